//! The Leicester mentoring project's quarterly return: service details (L §10.3 A) counted
//! from the same record as the Southampton return, by age group, gender (the recorded sex) and
//! ethnicity, and the mentors (L §10.3 B) counted from the mentoring tables, by the mentor's
//! gender and ethnicity (volunteers' ages are not recorded, so they count in the `other` age
//! group; the layout's notes say so).

use anyhow::Result;
use chrono::{Datelike, Months, NaiveDate};

use super::measures::{Contribution, Group, Kind, MeasureDef, Order, Status, Unit, NOT_RECORDED};
use super::rules::{band_on, Ctx};
use crate::domain::calendar::AgeBand;
use crate::domain::codes::ListName;
use crate::domain::mentoring::EventKind;
use crate::store::returns::ReturnInputs;

const SOURCE: &[Group] = &[Group {
    prefix: "source",
    order: Order::List(ListName::ReferralSources),
    not_recorded: true,
}];
const MONTH: &[Group] = &[Group {
    prefix: "month",
    order: Order::Months,
    not_recorded: false,
}];
const DURATION: &[Group] = &[Group {
    prefix: "duration",
    order: Order::Fixed(&[
        "under_3_months",
        "3_to_6_months",
        "6_to_12_months",
        "12_months_and_over",
    ]),
    not_recorded: false,
}];
const REASON: &[Group] = &[Group {
    prefix: "reason",
    order: Order::List(ListName::ExitReasons),
    not_recorded: true,
}];
const TRAINING_KIND: &[Group] = &[Group {
    prefix: "kind",
    order: Order::Fixed(&["training_session", "training_course"]),
    not_recorded: false,
}];
const COMPLAINT_OUTCOME: &[Group] = &[Group {
    prefix: "outcome",
    order: Order::List(ListName::ComplaintOutcomes),
    not_recorded: true,
}];
const LEAVING_REASON: &[Group] = &[Group {
    prefix: "reason",
    order: Order::List(ListName::MentorLeavingReasons),
    not_recorded: true,
}];

/// Every measure the Leicester return can show.
pub const MEASURES: &[MeasureDef] = &[
    MeasureDef {
        id: "leic.a1",
        kind: Kind::Demographic(SOURCE),
    },
    MeasureDef {
        id: "leic.a2",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.a3",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.a4",
        kind: Kind::Demographic(MONTH),
    },
    MeasureDef {
        id: "leic.a6",
        kind: Kind::Demographic(DURATION),
    },
    MeasureDef {
        id: "leic.a7",
        kind: Kind::Demographic(MONTH),
    },
    MeasureDef {
        id: "leic.a7_reasons",
        kind: Kind::Demographic(REASON),
    },
    MeasureDef {
        id: "leic.a9",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.a5",
        kind: Kind::Demographic(TRAINING_KIND),
    },
    MeasureDef {
        id: "leic.a8",
        kind: Kind::Demographic(COMPLAINT_OUTCOME),
    },
    MeasureDef {
        id: "leic.b1_recruited",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.b1_trained",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.b2",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.b3",
        kind: Kind::Demographic(TRAINING_KIND),
    },
    MeasureDef {
        id: "leic.b4",
        kind: Kind::Demographic(&[]),
    },
    MeasureDef {
        id: "leic.b5",
        kind: Kind::Demographic(LEAVING_REASON),
    },
];

fn month(d: NaiveDate) -> Option<String> {
    Some(format!("month:{:04}-{:02}", d.year(), d.month()))
}

/// How long someone who started on `start` has been in the scheme on `on`.
fn duration(start: NaiveDate, on: NaiveDate) -> &'static str {
    let after = |m: u32| {
        start
            .checked_add_months(Months::new(m))
            .unwrap_or(NaiveDate::MAX)
    };
    if on < after(3) {
        "under_3_months"
    } else if on < after(6) {
        "3_to_6_months"
    } else if on < after(12) {
        "6_to_12_months"
    } else {
        "12_months_and_over"
    }
}

/// Every unit's part in every Leicester measure for the quarter.
pub fn contributions(inputs: &ReturnInputs, cx: &Ctx) -> Result<Vec<Contribution>> {
    let mut out = Vec::new();
    for (i, e) in inputs.episodes.iter().enumerate() {
        let band = band_on(e.date_of_birth, e.referral_date);
        let mut push = |measure: &'static str, category: Option<String>, decided_by| {
            out.push(Contribution {
                measure,
                unit: Unit::Episode(i),
                band,
                category,
                status: Status::Counted,
                weight: 1,
                decided_by,
            })
        };
        let referral = ("referral", e.referral_date);
        if cx.contains(e.referral_date) {
            let source = e
                .referral_source
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(NOT_RECORDED);
            push("leic.a1", Some(format!("source:{source}")), vec![referral]);
        }
        if let Some(a) = e.assessment_date.filter(|a| cx.contains(*a)) {
            push("leic.a2", None, vec![referral, ("assessment", a)]);
        }
        if let Some(s) = e.treatment_start {
            if cx.contains(s) {
                push("leic.a4", month(s), vec![referral, ("start", s)]);
            }
            if s <= cx.end && e.exit_date.is_none_or(|x| x > cx.end) {
                let d = format!("duration:{}", duration(s, cx.end));
                push("leic.a6", Some(d), vec![referral, ("start", s)]);
            }
        }
        if let Some(x) = e.exit_date.filter(|x| cx.contains(*x)) {
            push("leic.a7", month(x), vec![referral, ("exit", x)]);
            let reason = e
                .exit_reason
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(NOT_RECORDED);
            push(
                "leic.a7_reasons",
                Some(format!("reason:{reason}")),
                vec![referral, ("exit", x)],
            );
        }
    }
    for (i, c) in inputs.contacts.iter().enumerate() {
        // Sessions offered include those the young person did not attend; advice sessions
        // count only when they took place.
        let measure = match c.contact_type.as_str() {
            "mentor_session" => "leic.a3",
            "parent_carer_advice" if !c.did_not_attend => "leic.a9",
            _ => continue,
        };
        out.push(Contribution {
            measure,
            unit: Unit::Contact(i),
            band: band_on(c.date_of_birth, c.date),
            category: None,
            status: Status::Counted,
            weight: 1,
            decided_by: vec![("session", c.date)],
        });
    }
    mentoring_contributions(inputs, cx, &mut out);
    Ok(out)
}

/// L §10.3 A v, viii and B: mentors, their sessions, drives and complaints.
fn mentoring_contributions(inputs: &ReturnInputs, cx: &Ctx, out: &mut Vec<Contribution>) {
    let m = &inputs.mentoring;
    let mut push = |measure: &'static str,
                    unit: Unit,
                    band,
                    category: Option<String>,
                    decided_by: Vec<(&'static str, NaiveDate)>| {
        out.push(Contribution {
            measure,
            unit,
            band,
            category,
            status: Status::Counted,
            weight: 1,
            decided_by,
        })
    };
    // Volunteers' dates of birth are not recorded: every mentor-side unit is in `other`.
    let adult = AgeBand::Other;
    for (i, r) in m.mentors.iter().enumerate() {
        if let Some(d) = r.recruited_on.filter(|d| cx.contains(*d)) {
            push(
                "leic.b1_recruited",
                Unit::Mentor(i),
                adult,
                None,
                vec![("recruited", d)],
            );
        }
        if let Some(d) = r.trained_on.filter(|d| cx.contains(*d)) {
            push(
                "leic.b1_trained",
                Unit::Mentor(i),
                adult,
                None,
                vec![("trained", d)],
            );
        }
        if let Some(d) = r.left_on.filter(|d| cx.contains(*d)) {
            let reason = r.leaving_reason.as_deref().unwrap_or(NOT_RECORDED);
            push(
                "leic.b5",
                Unit::Mentor(i),
                adult,
                Some(format!("reason:{reason}")),
                vec![("left", d)],
            );
        }
    }
    let training = |k: &str| EventKind::from_code(k).is_some_and(EventKind::is_training);
    for (i, a) in m.attendance.iter().enumerate() {
        let ev = &m.events[a.event];
        if training(&ev.kind) {
            push(
                "leic.a5",
                Unit::Attendance(i),
                adult,
                Some(format!("kind:{}", ev.kind)),
                vec![("session", ev.date)],
            );
        }
    }
    for (i, ev) in m.events.iter().enumerate() {
        if !cx.contains(ev.date) {
            continue;
        }
        if training(&ev.kind) {
            push(
                "leic.b3",
                Unit::Event(i),
                adult,
                Some(format!("kind:{}", ev.kind)),
                vec![("session", ev.date)],
            );
        } else if ev.kind == EventKind::SupportSession.code() {
            push(
                "leic.b4",
                Unit::Event(i),
                adult,
                None,
                vec![("session", ev.date)],
            );
        }
    }
    for (i, dr) in m.drives.iter().enumerate() {
        if cx.contains(dr.start_date) {
            push(
                "leic.b2",
                Unit::Drive(i),
                adult,
                None,
                vec![("drive", dr.start_date)],
            );
        }
    }
    for (i, c) in m.complaints.iter().enumerate() {
        if cx.contains(c.received_on) {
            let outcome = c.outcome.as_deref().unwrap_or(NOT_RECORDED);
            push(
                "leic.a8",
                Unit::Complaint(i),
                band_on(c.date_of_birth, c.received_on),
                Some(format!("outcome:{outcome}")),
                vec![("received", c.received_on)],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn duration_in_scheme_counts_calendar_months() {
        assert_eq!(duration(d("2025-07-01"), d("2025-09-30")), "under_3_months");
        assert_eq!(duration(d("2025-06-30"), d("2025-09-30")), "3_to_6_months");
        assert_eq!(duration(d("2025-04-01"), d("2025-09-30")), "3_to_6_months");
        assert_eq!(duration(d("2025-03-31"), d("2025-09-30")), "6_to_12_months");
        assert_eq!(
            duration(d("2024-09-30"), d("2025-09-30")),
            "12_months_and_over"
        );
    }
}
