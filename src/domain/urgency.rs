//! How urgent an unmet due item is, and why, so a due-list can put a high-risk young person's
//! late review above a low-risk one's and say so in one line.

use chrono::{Days, NaiveDate};

use super::clocks::{DueItem, DueStatus};
use super::record::RiskLevel;

/// Extra weight for the young person's highest active risk level, in days overdue. A high-risk
/// young person's item one day late (1 + 10) ranks above a low-risk one's eight days late.
pub const HIGH_RISK_WEIGHT: i64 = 10;
pub const MEDIUM_RISK_WEIGHT: i64 = 5;

/// The due-list's groups, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DueGroup {
    Overdue,
    Today,
    /// Due within the next 7 days.
    ThisWeek,
    Later,
}

impl DueGroup {
    pub const ALL: [DueGroup; 4] = [
        DueGroup::Overdue,
        DueGroup::Today,
        DueGroup::ThisWeek,
        DueGroup::Later,
    ];

    pub fn of(item: &DueItem, today: NaiveDate) -> DueGroup {
        if item.status == DueStatus::Overdue {
            DueGroup::Overdue
        } else if item.due <= today {
            DueGroup::Today
        } else if item.due <= today + Days::new(7) {
            DueGroup::ThisWeek
        } else {
            DueGroup::Later
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueGroup::Overdue => "overdue",
            DueGroup::Today => "today",
            DueGroup::ThisWeek => "this week",
            DueGroup::Later => "later",
        }
    }
}

pub fn risk_weight(risk: Option<RiskLevel>) -> i64 {
    match risk {
        Some(RiskLevel::High) => HIGH_RISK_WEIGHT,
        Some(RiskLevel::Medium) => MEDIUM_RISK_WEIGHT,
        _ => 0,
    }
}

/// An unmet item's place in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urgency {
    pub group: DueGroup,
    /// Overdue items: days overdue plus the risk weight. Others: 0 (they sort by date).
    pub score: i64,
    /// The "why is this here?" line.
    pub why: String,
}

/// Scores an unmet item given `days_left` (negative when overdue; working days where the rule
/// counts them) and the young person's highest active risk level.
pub fn urgency(
    item: &DueItem,
    days_left: i64,
    working_days: bool,
    risk: Option<RiskLevel>,
    today: NaiveDate,
) -> Urgency {
    let risk_text = match risk {
        Some(level) => format!("{} risk", level.code()),
        None => "no active risk flag".to_string(),
    };
    reckon(
        item,
        days_left,
        working_days,
        risk_weight(risk),
        risk_text,
        today,
    )
}

/// As [`urgency`], for an item about no young person (a mentor's support session, a telephone
/// message about someone not on the record): no risk weight, and `note` (whose item it is)
/// where the risk would be said.
pub fn urgency_without_risk(
    item: &DueItem,
    days_left: i64,
    working_days: bool,
    note: &str,
    today: NaiveDate,
) -> Urgency {
    reckon(item, days_left, working_days, 0, note.to_string(), today)
}

fn reckon(
    item: &DueItem,
    days_left: i64,
    working_days: bool,
    weight: i64,
    risk_text: String,
    today: NaiveDate,
) -> Urgency {
    let group = DueGroup::of(item, today);
    let unit = if working_days { "working day" } else { "day" };
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    match group {
        DueGroup::Overdue if item.kind == crate::domain::clocks::DueKind::Transition => {
            // Past 25 and still open: the age of the miss says nothing, the move does (issue 11).
            Urgency {
                group,
                score: weight,
                why: format!("past 25: transfer now; {risk_text}"),
            }
        }
        DueGroup::Overdue => {
            // A working-day rule can be overdue by 0 working days (only a weekend passed).
            let late = (-days_left).max(0);
            let score = late + weight;
            let why = if weight > 0 {
                format!(
                    "{late} {unit}{} overdue + {risk_text} (+{weight}) = {score}",
                    plural(late)
                )
            } else {
                format!("{late} {unit}{} overdue; {risk_text}", plural(late))
            };
            Urgency { group, score, why }
        }
        DueGroup::Today => Urgency {
            group,
            score: weight,
            why: format!("due today; {risk_text}"),
        },
        _ => Urgency {
            group,
            score: weight,
            why: format!(
                "due in {days_left} {unit}{}; {risk_text}",
                plural(days_left)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clocks::DueKind;

    #[test]
    fn someone_past_25_still_open_reads_transfer_now_not_days_overdue() {
        let mut i = item("2025-01-01", DueStatus::Overdue);
        i.kind = DueKind::Transition;
        let u = urgency(&i, -300, false, None, d("2025-10-28"));
        assert_eq!(u.group, DueGroup::Overdue);
        assert_eq!(u.why, "past 25: transfer now; no active risk flag");
        assert_eq!(u.score, 0);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn item(due: &str, status: DueStatus) -> DueItem {
        DueItem {
            kind: DueKind::Review,
            due: d(due),
            status,
            met_on: None,
            counts_working_days: false,
            estimated: false,
        }
    }

    #[test]
    fn a_high_risk_review_one_day_late_outranks_a_low_risk_one_eight_days_late() {
        let today = d("2025-06-10");
        let high = urgency(
            &item("2025-06-09", DueStatus::Overdue),
            -1,
            false,
            Some(RiskLevel::High),
            today,
        );
        let low = urgency(
            &item("2025-06-02", DueStatus::Overdue),
            -8,
            false,
            Some(RiskLevel::Low),
            today,
        );
        assert!(high.score > low.score);
        assert_eq!(high.why, "1 day overdue + high risk (+10) = 11");
        assert_eq!(low.why, "8 days overdue; low risk");
    }

    #[test]
    fn items_fall_into_groups_by_their_due_date() {
        let today = d("2025-06-10");
        assert_eq!(
            DueGroup::of(&item("2025-06-10", DueStatus::Due), today),
            DueGroup::Today
        );
        assert_eq!(
            DueGroup::of(&item("2025-06-17", DueStatus::Due), today),
            DueGroup::ThisWeek
        );
        assert_eq!(
            DueGroup::of(&item("2025-06-18", DueStatus::Due), today),
            DueGroup::Later
        );
        assert_eq!(
            DueGroup::of(&item("2025-06-09", DueStatus::Overdue), today),
            DueGroup::Overdue
        );
    }
}
