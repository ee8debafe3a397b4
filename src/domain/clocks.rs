//! The clocks (DESIGN.md, "Clocks: what falls due, and when"). For an episode, every deadline
//! whose starting event has been recorded, met or not: the case view draws its timeline from
//! the met ones, the due lists show the unmet ones. Standalone helpers cover deadlines the
//! store keeps outside [`EpisodeFacts`] (risk flags, DNAs, mentoring, telephone messages).
//!
//! Choices made where the specifications are silent, applying to every rule:
//! - A deadline is met on time when the event is dated on or before the due date, late after.
//! - An unmet item is Overdue from the day after its due date; on the due date it is Due.
//! - Each clock says when it stops ([`DueKind::stop_rule`]). The clocks that run while an
//!   episode is open stop at the exit: once an episode has exited, an unmet one is not listed
//!   whatever its due date. One missed before the exit is history for the returns (the KPIs
//!   count it from the recorded dates), not work for anyone today. Met items stay, for the
//!   case view's timeline. The exit's own outcome profile and the follow-ups start at the exit.
//!   An episode entered in error has no clocks at all (the store never loads it).
//! - A recorded date counts as having happened whatever `today` is (a date in the future is
//!   for validation to catch, not for the clocks to hide).
//! - Working-day deadlines use the bank-holiday table. Where a deadline crosses a projected
//!   year, or a year the table does not cover (then the standing rules stand in), the item is
//!   marked `estimated` rather than refused, so a due list always shows a date.
//!
//! Pure: `today` is always a parameter, and nothing here panics on odd dates.

use std::cmp::Ordering;

use chrono::{Days, Months, NaiveDate};

use super::calendar::{date_reaching_age, Calendar, Reckoned};
use super::record::{ClosedClock, EpisodeFacts};

/// Triage (first contact) within 2 working days of referral (S §14.4, KPI 2a).
pub const TRIAGE_WORKING_DAYS: u32 = 2;
/// Comprehensive assessment within 5 working days of triage (KPI 2b).
pub const ASSESSMENT_WORKING_DAYS: u32 = 5;
/// First intervention under 2 weeks from referral: waiting days < 14 (KPI 2c).
pub const FIRST_INTERVENTION_DAYS: u64 = 14;
/// Structured treatment within 14 working days of first contact (S §14.5).
pub const STRUCTURED_TREATMENT_WORKING_DAYS: u32 = 14;
/// Care plan within 2 weeks of treatment start, inclusive (KPI 4a).
pub const CARE_PLAN_DAYS: u64 = 14;
/// Reviews every 12 weeks (S §8.2, §8.9.5, KPI 4b).
pub const REVIEW_INTERVAL_DAYS: u64 = 84;
/// A TOP counts for an event dated within 14 days either side of it (KPI 6a).
pub const TOP_WINDOW_DAYS: u64 = 14;
/// DNA follow-up within 2 working days (our choice for S §8.9.7; see [`dna_follow_up_item`]).
pub const DNA_FOLLOW_UP_WORKING_DAYS: u32 = 2;
/// Telephone messages answered within two working days (L §6.2).
pub const TELEPHONE_WORKING_DAYS: u32 = 2;
/// Mentor contact at least weekly (L §7.3 a).
pub const MENTOR_CONTACT_DAYS: u64 = 7;
/// Mentor support sessions every six weeks (L §7.5).
pub const MENTOR_SUPPORT_DAYS: u64 = 42;
/// The age by which a young person moves on to adult services (S §8.10.3).
pub const TRANSITION_AGE: u32 = 25;
/// How long before the transition deadline it shows on an open episode's due list.
pub const TRANSITION_NOTICE_MONTHS: u32 = 6;

/// What falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DueKind {
    Triage,
    Assessment,
    FirstIntervention,
    StructuredTreatment,
    CarePlan,
    Review,
    OutcomeProfileStart,
    OutcomeProfileReview,
    OutcomeProfileExit,
    FollowUp3Months,
    FollowUp6Months,
    RiskFlagReview,
    DnaFollowUp,
    Transition,
    MentorContact,
    MentorSupport,
    TelephoneMessage,
    MentorCommitmentReview,
    MentorCheckRenewal,
}

impl DueKind {
    pub const ALL: [DueKind; 19] = [
        DueKind::Triage,
        DueKind::Assessment,
        DueKind::FirstIntervention,
        DueKind::StructuredTreatment,
        DueKind::CarePlan,
        DueKind::Review,
        DueKind::OutcomeProfileStart,
        DueKind::OutcomeProfileReview,
        DueKind::OutcomeProfileExit,
        DueKind::FollowUp3Months,
        DueKind::FollowUp6Months,
        DueKind::RiskFlagReview,
        DueKind::DnaFollowUp,
        DueKind::Transition,
        DueKind::MentorContact,
        DueKind::MentorSupport,
        DueKind::TelephoneMessage,
        DueKind::MentorCommitmentReview,
        DueKind::MentorCheckRenewal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DueKind::Triage => "triage",
            DueKind::Assessment => "assessment",
            DueKind::FirstIntervention => "first_intervention",
            DueKind::StructuredTreatment => "structured_treatment",
            DueKind::CarePlan => "care_plan",
            DueKind::Review => "review",
            DueKind::OutcomeProfileStart => "top_start",
            DueKind::OutcomeProfileReview => "top_review",
            DueKind::OutcomeProfileExit => "top_exit",
            DueKind::FollowUp3Months => "follow_up_3m",
            DueKind::FollowUp6Months => "follow_up_6m",
            DueKind::RiskFlagReview => "risk_flag_review",
            DueKind::DnaFollowUp => "dna_follow_up",
            DueKind::Transition => "transition",
            DueKind::MentorContact => "mentor_contact",
            DueKind::MentorSupport => "mentor_support",
            DueKind::TelephoneMessage => "telephone_message",
            DueKind::MentorCommitmentReview => "mentor_commitment_review",
            DueKind::MentorCheckRenewal => "mentor_check_renewal",
        }
    }

    pub fn from_code(code: &str) -> Option<DueKind> {
        DueKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn label(self) -> &'static str {
        match self {
            DueKind::Triage => "triage / first contact",
            DueKind::Assessment => "comprehensive assessment",
            DueKind::FirstIntervention => "first intervention",
            DueKind::StructuredTreatment => "structured treatment starts",
            DueKind::CarePlan => "care plan in place",
            DueKind::Review => "care plan review",
            DueKind::OutcomeProfileStart => "outcome profile (TOP) at start",
            DueKind::OutcomeProfileReview => "outcome profile (TOP) at review",
            DueKind::OutcomeProfileExit => "outcome profile (TOP) at exit",
            DueKind::FollowUp3Months => "follow-up 3 months after exit",
            DueKind::FollowUp6Months => "follow-up 6 months after exit",
            DueKind::RiskFlagReview => "risk flag review",
            DueKind::DnaFollowUp => "follow up a missed appointment",
            DueKind::Transition => "transition plan to adult services",
            DueKind::MentorContact => "mentor contact with mentee",
            DueKind::MentorSupport => "mentor support session",
            DueKind::TelephoneMessage => "answer telephone message",
            DueKind::MentorCommitmentReview => "review before the 12-month commitment ends",
            DueKind::MentorCheckRenewal => "renew police/DBS check",
        }
    }

    /// Where the rule comes from.
    pub fn source(self) -> &'static str {
        match self {
            DueKind::Triage => "S §14.4, KPI 2a",
            DueKind::Assessment => "S §8.5.1, KPI 2b",
            DueKind::FirstIntervention => "KPI 2c",
            DueKind::StructuredTreatment => "S §14.5",
            DueKind::CarePlan => "S §8.6, KPI 4a",
            DueKind::Review => "S §8.2, §8.9.5, KPI 4b",
            DueKind::OutcomeProfileStart
            | DueKind::OutcomeProfileReview
            | DueKind::OutcomeProfileExit => "S §8.9.4, KPI 6a",
            DueKind::FollowUp3Months | DueKind::FollowUp6Months => "S §20.5",
            DueKind::RiskFlagReview => "S §8.5.5",
            DueKind::DnaFollowUp => "S §8.9.7",
            DueKind::Transition => "S §8.10.3",
            DueKind::MentorContact => "L §7.3 a",
            DueKind::MentorSupport => "L §7.5",
            DueKind::TelephoneMessage => "L §6.2",
            DueKind::MentorCommitmentReview => "L §7.3",
            DueKind::MentorCheckRenewal => "L §7.1 b; renewal period set by the service",
        }
    }

    /// When the clock stops without being met (issue 11): read by `due --explain` and the
    /// why-line, and applied by [`episode_due_items_with`] for the episode's clocks.
    pub fn stop_rule(self) -> &'static str {
        match self {
            DueKind::Triage
            | DueKind::Assessment
            | DueKind::FirstIntervention
            | DueKind::StructuredTreatment
            | DueKind::CarePlan
            | DueKind::Review
            | DueKind::OutcomeProfileStart
            | DueKind::OutcomeProfileReview
            | DueKind::Transition
            | DueKind::DnaFollowUp => "stops when the episode exits or is entered in error",
            DueKind::OutcomeProfileExit | DueKind::FollowUp3Months | DueKind::FollowUp6Months => {
                "starts at a planned exit; stops when met, closed by a worker with a reason, or \
                 the episode is entered in error"
            }
            DueKind::RiskFlagReview => "stops when the flag is resolved",
            DueKind::MentorContact => {
                "stops when the match ends, or the episode exits or is entered in error"
            }
            DueKind::MentorSupport => "stops when the mentor leaves",
            DueKind::TelephoneMessage => "stops when the message is answered",
            DueKind::MentorCommitmentReview => {
                "stops when the mentor leaves or a new commitment start is recorded"
            }
            DueKind::MentorCheckRenewal => {
                "stops when a new check date is recorded or the mentor leaves"
            }
        }
    }

    /// How the due date is reckoned from the start event, for `due --explain`.
    pub fn timescale(self) -> &'static str {
        match self {
            DueKind::Triage => "2 working days after",
            DueKind::Assessment => "5 working days after",
            DueKind::FirstIntervention => "under 2 weeks (13 days) after",
            DueKind::StructuredTreatment => "14 working days after",
            DueKind::CarePlan => "14 days after",
            DueKind::Review => "12 weeks (84 days) after",
            DueKind::OutcomeProfileStart
            | DueKind::OutcomeProfileReview
            | DueKind::OutcomeProfileExit => "within 14 days either side of",
            DueKind::FollowUp3Months => "3 months after",
            DueKind::FollowUp6Months => "6 months after",
            DueKind::RiskFlagReview => "on the review date set at",
            DueKind::DnaFollowUp => "2 working days after",
            DueKind::Transition => "the day before the 25th birthday, from",
            DueKind::MentorContact => "7 days after",
            DueKind::MentorSupport => "6 weeks (42 days) after",
            DueKind::TelephoneMessage => "2 working days after",
            DueKind::MentorCommitmentReview => "28 days before the 12 months end, from",
            DueKind::MentorCheckRenewal => "the service's renewal period after",
        }
    }

    /// Whether the clock starts at the exit (so the exit does not stop it).
    pub fn starts_at_exit(self) -> bool {
        matches!(
            self,
            DueKind::OutcomeProfileExit | DueKind::FollowUp3Months | DueKind::FollowUp6Months
        )
    }

    /// Whether the rule counts working days (else calendar days).
    pub fn counts_working_days(self) -> bool {
        matches!(
            self,
            DueKind::Triage
                | DueKind::Assessment
                | DueKind::StructuredTreatment
                | DueKind::DnaFollowUp
                | DueKind::TelephoneMessage
        )
    }

    /// Tie-break for items due the same day: safety first, then getting people seen, then
    /// the rest of the journey.
    fn urgency_rank(self) -> u8 {
        match self {
            DueKind::RiskFlagReview => 0,
            DueKind::Triage => 1,
            DueKind::DnaFollowUp => 2,
            DueKind::TelephoneMessage => 3,
            DueKind::Assessment => 4,
            DueKind::FirstIntervention => 5,
            DueKind::StructuredTreatment => 6,
            DueKind::CarePlan => 7,
            DueKind::Review => 8,
            DueKind::OutcomeProfileStart => 9,
            DueKind::OutcomeProfileReview => 10,
            DueKind::OutcomeProfileExit => 11,
            DueKind::MentorContact => 12,
            DueKind::MentorSupport => 13,
            DueKind::FollowUp3Months => 14,
            DueKind::FollowUp6Months => 15,
            DueKind::Transition => 16,
            DueKind::MentorCommitmentReview => 17,
            DueKind::MentorCheckRenewal => 18,
        }
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueStatus {
    /// Not met; the due date is today or later.
    Due,
    /// Not met; the due date has passed.
    Overdue,
    /// Met on or before the due date.
    MetOnTime,
    /// Met after the due date.
    MetLate,
}

impl DueStatus {
    pub fn code(self) -> &'static str {
        match self {
            DueStatus::Due => "due",
            DueStatus::Overdue => "overdue",
            DueStatus::MetOnTime => "met_on_time",
            DueStatus::MetLate => "met_late",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueStatus::Due => "due",
            DueStatus::Overdue => "overdue",
            DueStatus::MetOnTime => "met on time",
            DueStatus::MetLate => "met late",
        }
    }

    pub fn is_met(self) -> bool {
        matches!(self, DueStatus::MetOnTime | DueStatus::MetLate)
    }
}

/// One deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    pub kind: DueKind,
    /// The last day on which meeting it is on time.
    pub due: NaiveDate,
    pub status: DueStatus,
    /// The date of the event that met it.
    pub met_on: Option<NaiveDate>,
    /// Counted in working days (else calendar days).
    pub counts_working_days: bool,
    /// The due date relies on projected bank holidays (or the standing rules beyond the
    /// table): show it as an estimate.
    pub estimated: bool,
}

impl DueItem {
    pub fn is_met(&self) -> bool {
        self.status.is_met()
    }

    /// Days left until the due date: positive = left, 0 = due today, negative = overdue by
    /// that many. Working days for working-day rules, calendar days otherwise. For a met item
    /// it is counted from the day it was met (negative = met that many days late).
    ///
    /// A working-day count can be 0 for an Overdue item when only a weekend or bank holiday
    /// has passed since the deadline; the status still says Overdue. `projected` is set when
    /// the count itself, or the due date, relies on projected holidays.
    pub fn days_left(&self, cal: &Calendar, today: NaiveDate) -> Reckoned<i64> {
        let from = self.met_on.unwrap_or(today);
        if self.counts_working_days {
            let r = cal.working_days_between_estimated(from, self.due);
            Reckoned {
                value: r.value,
                projected: r.projected || self.estimated,
            }
        } else {
            Reckoned {
                value: self.due.signed_duration_since(from).num_days(),
                projected: self.estimated,
            }
        }
    }
}

/// What the clocks need beyond [`EpisodeFacts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraFacts {
    /// When the joint transition plan to adult services was agreed (S §8.10.3).
    pub transition_plan_date: Option<NaiveDate>,
}

/// Every item for the episode whose starting event has happened: met ones (for the case
/// view's timeline) and unmet ones (Due or Overdue), in due-date order. See the module notes
/// for the rules common to all; each rule's own choices are on [`episode_due_items_with`].
pub fn episode_due_items(facts: &EpisodeFacts, cal: &Calendar, today: NaiveDate) -> Vec<DueItem> {
    episode_due_items_with(facts, &ExtraFacts::default(), cal, today)
}

/// As [`episode_due_items`], with facts `EpisodeFacts` does not carry.
///
/// - **Triage** (S §14.4, KPI 2a): due on the 2nd working day after the referral, met by the
///   triage date — the same arithmetic as kpi.2a.
/// - **Comprehensive assessment** (KPI 2b): only when triage said one is needed; due on the
///   5th working day after triage, met by the assessment date.
/// - **First intervention** (KPI 2c): due 13 days after referral (waiting days < 14), met by
///   the treatment start. Only on the structured-treatment path: assessment needed, an
///   assessment held, or treatment already started. The 3-week ceiling is a return's
///   figure, not a separate item.
/// - **Structured treatment starts** (S §14.5): 14 working days after first contact (the
///   triage date when no first contact is recorded), met by the treatment start; same path.
/// - **Care plan** (KPI 4a): treatment start + 14 days inclusive, met by the care plan date.
/// - **Reviews** (S §8.2, §8.9.5, KPI 4b): 84 days after the comprehensive assessment (after
///   the treatment start when there was no assessment), then 84 days after each review held.
///   Reviews on or before that starting date are not part of the chain. Each review held
///   appears as met (on time or late); the next one is Due/Overdue.
/// - **Outcome profile (TOP)** (S §8.9.4, KPI 6a): for the treatment start, each review held
///   and a planned exit. Due 14 days after the event; met on time by the earliest TOP within
///   14 days either side of it; otherwise met late by the first TOP after that window (which
///   may also count for a later event), so a late TOP clears the due list.
/// - **Follow-ups** (S §20.5): only after a planned exit. Due 3 and 6 calendar months after
///   the exit (clamped to the month's end: 31 January → 30 April). The first follow-up dated
///   after the exit meets the 3-month one, the second meets the 6-month one, each on time if
///   on or before its due date. A follow-up on the exit day itself does not count.
/// - **Transition** (S §8.10.3): the plan is due the day before the 25th birthday (see
///   [`transition_date`]). Without a plan it appears from 6 months before that day; with a
///   plan date it is listed as met.
pub fn episode_due_items_with(
    facts: &EpisodeFacts,
    extra: &ExtraFacts,
    cal: &Calendar,
    today: NaiveDate,
) -> Vec<DueItem> {
    episode_clocks(facts, extra, cal, today)
        .into_iter()
        .filter(|c| c.item.is_met() || c.stopped.is_none())
        .map(|c| c.item)
        .collect()
}

/// Every clock of the episode whose starting event has happened, with what started it and,
/// for one that stopped without being met, why (the exit, or a worker closing it): what
/// `due --explain` and the why-line read. [`episode_due_items_with`] is this list less the
/// stopped ones. Same order and rules as there.
pub fn episode_clocks(
    facts: &EpisodeFacts,
    extra: &ExtraFacts,
    cal: &Calendar,
    today: NaiveDate,
) -> Vec<EpisodeClock> {
    let mut clocks = Vec::new();
    let exit = facts.exit_date;
    // The stop rules: an unmet clock that runs while the episode is open stops at the exit;
    // an unmet after-exit clock stops when a worker closes it with a reason (issue 17).
    let mut keep = |item: DueItem, event: &'static str, date: NaiveDate| {
        let stopped = if item.is_met() {
            None
        } else if item.kind.starts_at_exit() {
            facts
                .closed_clocks
                .iter()
                .find(|c| c.kind == item.kind)
                .map(|c| Stopped::Closed {
                    on: c.on,
                    reason: c.reason.clone(),
                })
        } else {
            exit.map(Stopped::Exit)
        };
        clocks.push(EpisodeClock {
            item,
            started_by: StartedBy { event, date },
            stopped,
        });
    };

    let triage_due = cal.add_working_days_estimated(facts.referral_date, TRIAGE_WORKING_DAYS);
    keep(
        settle(DueKind::Triage, triage_due, facts.triage_date, today),
        "referral",
        facts.referral_date,
    );

    if let (true, Some(triage)) = (facts.assessment_needed, facts.triage_date) {
        let due = cal.add_working_days_estimated(triage, ASSESSMENT_WORKING_DAYS);
        keep(
            settle(DueKind::Assessment, due, facts.assessment_date, today),
            "triage (assessment needed)",
            triage,
        );
    }

    let structured_path = facts.assessment_needed
        || facts.assessment_date.is_some()
        || facts.treatment_start.is_some();
    if structured_path {
        let due = plus_days(facts.referral_date, FIRST_INTERVENTION_DAYS - 1);
        keep(
            settle(
                DueKind::FirstIntervention,
                due,
                facts.treatment_start,
                today,
            ),
            "referral",
            facts.referral_date,
        );
        let first_contact = facts
            .first_contact_date
            .map(|d| ("first contact", d))
            .or(facts.triage_date.map(|d| ("triage (first contact)", d)));
        if let Some((event, first_contact)) = first_contact {
            let due =
                cal.add_working_days_estimated(first_contact, STRUCTURED_TREATMENT_WORKING_DAYS);
            keep(
                settle(
                    DueKind::StructuredTreatment,
                    due,
                    facts.treatment_start,
                    today,
                ),
                event,
                first_contact,
            );
        }
    }

    if let Some(start) = facts.treatment_start {
        let due = plus_days(start, CARE_PLAN_DAYS);
        keep(
            settle(DueKind::CarePlan, due, facts.care_plan_date, today),
            "treatment start",
            start,
        );
    }

    let reviews = sorted_unique(&facts.review_dates);
    let anchor = facts
        .assessment_date
        .map(|d| ("comprehensive assessment", d))
        .or(facts.treatment_start.map(|d| ("treatment start", d)));
    if let Some((first_event, anchor)) = anchor {
        let (mut event, mut previous) = (first_event, anchor);
        for &held in reviews.iter().filter(|r| **r > anchor) {
            let due = plus_days(previous, REVIEW_INTERVAL_DAYS);
            keep(
                settle(DueKind::Review, due, Some(held), today),
                event,
                previous,
            );
            (event, previous) = ("previous review", held);
        }
        let due = plus_days(previous, REVIEW_INTERVAL_DAYS);
        keep(settle(DueKind::Review, due, None, today), event, previous);
    }

    let tops = sorted_unique(&facts.top_dates);
    let planned_exit = exit.filter(|_| facts.exit_planned == Some(true));
    let mut top_events: Vec<(DueKind, &'static str, NaiveDate)> = Vec::new();
    if let Some(start) = facts.treatment_start {
        top_events.push((DueKind::OutcomeProfileStart, "treatment start", start));
    }
    top_events.extend(
        reviews
            .iter()
            .map(|r| (DueKind::OutcomeProfileReview, "review", *r)),
    );
    if let Some(x) = planned_exit {
        top_events.push((DueKind::OutcomeProfileExit, "planned exit", x));
    }
    for (kind, label, event) in top_events {
        let due = plus_days(event, TOP_WINDOW_DAYS);
        let opens = event
            .checked_sub_days(Days::new(TOP_WINDOW_DAYS))
            .unwrap_or(NaiveDate::MIN);
        let met = tops
            .iter()
            .find(|t| **t >= opens && **t <= due.value)
            .or_else(|| tops.iter().find(|t| **t > due.value))
            .copied();
        keep(settle(kind, due, met, today), label, event);
    }

    if let Some(x) = planned_exit {
        for f in follow_up_clocks(x, &facts.follow_up_dates, &facts.closed_clocks) {
            let due = Reckoned {
                value: f.due,
                projected: false,
            };
            keep(settle(f.kind, due, f.met, today), "planned exit", x);
        }
    }

    if let Some(dob) = facts.date_of_birth {
        let due = transition_due(dob);
        let shows_from = due
            .checked_sub_months(Months::new(TRANSITION_NOTICE_MONTHS))
            .unwrap_or(NaiveDate::MIN);
        let planned = extra.transition_plan_date;
        if planned.is_some() || today >= shows_from {
            let due = Reckoned {
                value: due,
                projected: false,
            };
            keep(
                settle(DueKind::Transition, due, planned, today),
                "date of birth",
                dob,
            );
        }
    }

    clocks.sort_by(|a, b| {
        a.item
            .due
            .cmp(&b.item.due)
            .then(a.item.kind.cmp(&b.item.kind))
    });
    clocks
}

/// One follow-up after a planned exit (S §20.5): due 3 or 6 months after the exit day, met by
/// a follow-up that reached the young person, or closed by a worker with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpClock {
    pub kind: DueKind,
    pub due: NaiveDate,
    pub met: Option<NaiveDate>,
    pub closed: Option<ClosedClock>,
}

/// The two follow-ups of a planned exit on `exit`. Follow-ups dated after the exit day meet
/// the open clocks in order; a clock a worker closed takes none (so after a closed 3-month
/// one, the next follow-up meets the 6-month one). The due-list and the return's local figure
/// both read this one rule.
pub fn follow_up_clocks(
    exit: NaiveDate,
    follow_up_dates: &[NaiveDate],
    closed_clocks: &[ClosedClock],
) -> [FollowUpClock; 2] {
    let mut after = sorted_unique(follow_up_dates)
        .into_iter()
        .filter(|f| *f > exit);
    [(DueKind::FollowUp3Months, 3), (DueKind::FollowUp6Months, 6)].map(|(kind, months)| {
        let closed = closed_clocks.iter().find(|c| c.kind == kind).cloned();
        FollowUpClock {
            kind,
            due: exit
                .checked_add_months(Months::new(months))
                .unwrap_or(NaiveDate::MAX),
            met: if closed.is_some() { None } else { after.next() },
            closed,
        }
    })
}

/// What started a clock: the event and its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartedBy {
    pub event: &'static str,
    pub date: NaiveDate,
}

/// Why a clock stopped without being met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The episode exited (a clock that runs while the episode is open).
    Exit(NaiveDate),
    /// A worker closed an after-exit clock, with the reason.
    Closed { on: NaiveDate, reason: String },
}

/// One clock of an episode and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeClock {
    pub item: DueItem,
    pub started_by: StartedBy,
    /// Set when the clock stopped without being met; such a clock is not due.
    pub stopped: Option<Stopped>,
}

impl EpisodeClock {
    pub fn explain(&self) -> Explanation {
        Explanation::new(&self.item, self.started_by, self.stopped.as_ref())
    }
}

/// Why an item is (or is no longer) due, so a manager can check it by hand: the rule, its
/// source, the start event and date, the due date, and the stop condition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// The kind's code (`review`, `follow_up_3m`, ...).
    pub kind: &'static str,
    pub rule: &'static str,
    pub source: &'static str,
    /// How the due date is reckoned from the start ("84 days after").
    pub timescale: &'static str,
    pub start_event: &'static str,
    pub start_date: NaiveDate,
    pub due: NaiveDate,
    /// `due`, `overdue`, `met_on_time`, `met_late`, `stopped` (at the exit) or `closed`.
    pub state: &'static str,
    pub met_on: Option<NaiveDate>,
    pub stopped_on: Option<NaiveDate>,
    /// Why it stopped: "the episode exited" or the worker's reason for closing it.
    pub stopped_because: Option<String>,
    pub stop_rule: &'static str,
    /// The due date relies on projected bank holidays.
    pub estimated: bool,
}

impl Explanation {
    /// Explains `item`, started by `started_by`; `stopped` when it stopped unmet.
    pub fn new(item: &DueItem, started_by: StartedBy, stopped: Option<&Stopped>) -> Explanation {
        let (state, stopped_on, stopped_because) = match stopped {
            Some(Stopped::Exit(on)) => ("stopped", Some(*on), Some("the episode exited".into())),
            Some(Stopped::Closed { on, reason }) => ("closed", Some(*on), Some(reason.clone())),
            None => (item.status.code(), None, None),
        };
        Explanation {
            kind: item.kind.code(),
            rule: item.kind.label(),
            source: item.kind.source(),
            timescale: item.kind.timescale(),
            start_event: started_by.event,
            start_date: started_by.date,
            due: item.due,
            state,
            met_on: item.met_on,
            stopped_on,
            stopped_because,
            stop_rule: item.kind.stop_rule(),
            estimated: item.estimated,
        }
    }

    /// One line: "care plan review (S §8.2, §8.9.5, KPI 4b): 84 days after the comprehensive
    /// assessment of 2025-02-03, due 2025-04-28; stops when the episode exits or is entered in
    /// error", then how it stands when met or stopped.
    pub fn why_line(&self) -> String {
        let estimate = if self.estimated { " (estimated)" } else { "" };
        let mut line = format!(
            "{} ({}): {} the {} of {}, due {}{estimate}; {}",
            self.rule,
            self.source,
            self.timescale,
            self.start_event,
            self.start_date.format("%Y-%m-%d"),
            self.due.format("%Y-%m-%d"),
            self.stop_rule
        );
        match (self.met_on, self.stopped_on) {
            (Some(m), _) => line.push_str(&format!(
                " — met {} ({})",
                m.format("%Y-%m-%d"),
                if self.state == "met_late" {
                    "late"
                } else {
                    "on time"
                }
            )),
            (None, Some(s)) => line.push_str(&format!(
                " — {} {}: {}",
                if self.state == "closed" {
                    "closed"
                } else {
                    "stopped"
                },
                s.format("%Y-%m-%d"),
                self.stopped_because.as_deref().unwrap_or("")
            )),
            (None, None) => {}
        }
        line
    }
}

/// The 25th birthday, when a young person moves on to adult services (S §8.10.3); someone
/// born on 29 February turns 25 on 1 March in a non-leap year. The transition plan is due
/// the day before.
pub fn transition_date(dob: NaiveDate) -> NaiveDate {
    date_reaching_age(dob, TRANSITION_AGE).unwrap_or(NaiveDate::MAX)
}

/// The last day the transition plan is on time: the day before the 25th birthday.
fn transition_due(dob: NaiveDate) -> NaiveDate {
    let birthday = transition_date(dob);
    birthday.pred_opt().unwrap_or(birthday)
}

/// A risk flag's review (S §8.5.5): due on the flag's own review date. Reviewing a flag
/// sets a new review date (the store passes the current one); closing it meets the review,
/// on time if closed on or before the review date.
pub fn risk_flag_review_item(
    review_date: NaiveDate,
    closed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> DueItem {
    let due = Reckoned {
        value: review_date,
        projected: false,
    };
    settle(DueKind::RiskFlagReview, due, closed_on, today)
}

/// Following up a missed appointment (S §8.9.7, "follow up on those who do not attend").
/// The specification sets no timescale; we use 2 working days after the DNA, the same as
/// the service's first-contact standard for a new referral (S §14.4): a DNA is a young
/// person the service has lost touch with.
pub fn dna_follow_up_item(
    dna_date: NaiveDate,
    followed_up_on: Option<NaiveDate>,
    cal: &Calendar,
    today: NaiveDate,
) -> DueItem {
    let due = cal.add_working_days_estimated(dna_date, DNA_FOLLOW_UP_WORKING_DAYS);
    settle(DueKind::DnaFollowUp, due, followed_up_on, today)
}

/// The mentor's next contact with the mentee: at least once a week (L §7.3 a), so due 7 days
/// after the last session (for a new match, the store passes the match date). Always unmet:
/// the next session becomes the new `last_session`.
pub fn mentor_contact_item(last_session: NaiveDate, today: NaiveDate) -> DueItem {
    settle(
        DueKind::MentorContact,
        plus_days(last_session, MENTOR_CONTACT_DAYS),
        None,
        today,
    )
}

/// A volunteer mentor's next support session: every six weeks (L §7.5), so due 42 days after
/// the last one. Always unmet, as [`mentor_contact_item`].
pub fn mentor_support_item(last_support: NaiveDate, today: NaiveDate) -> DueItem {
    settle(
        DueKind::MentorSupport,
        plus_days(last_support, MENTOR_SUPPORT_DAYS),
        None,
        today,
    )
}

/// A telephone message, "responded within two next working days" (L §6.2): due on the 2nd
/// working day after the message.
pub fn telephone_message_item(
    message_date: NaiveDate,
    answered_on: Option<NaiveDate>,
    cal: &Calendar,
    today: NaiveDate,
) -> DueItem {
    let due = cal.add_working_days_estimated(message_date, TELEPHONE_WORKING_DAYS);
    settle(DueKind::TelephoneMessage, due, answered_on, today)
}

/// The review with the coordinator before a mentor's 12-month commitment ends (L §7.3): due
/// `notice_days` before its last day. Always unmet: recording a new commitment start moves it.
pub fn mentor_commitment_review_item(
    commitment_end: NaiveDate,
    notice_days: u64,
    today: NaiveDate,
) -> DueItem {
    let due = Reckoned {
        value: commitment_end
            .checked_sub_days(Days::new(notice_days))
            .unwrap_or(commitment_end),
        projected: false,
    };
    settle(DueKind::MentorCommitmentReview, due, None, today)
}

/// A mentor's police/DBS check renewal, `period_months` after the last check (a service
/// setting; the specification sets none). Always unmet: a new check date moves it.
pub fn mentor_check_renewal_item(
    check_date: NaiveDate,
    period_months: u32,
    today: NaiveDate,
) -> DueItem {
    let due = Reckoned {
        value: check_date
            .checked_add_months(Months::new(period_months))
            .unwrap_or(NaiveDate::MAX),
        projected: false,
    };
    settle(DueKind::MentorCheckRenewal, due, None, today)
}

/// Orders for a due list: unmet items first, Overdue before Due, then by due date (so the
/// item overdue by most days leads, then the soonest due; comparing dates lets working-day
/// and calendar-day rules sort together), then risk before the rest on the same day. Met
/// items follow, most recently met first.
pub fn urgency_cmp(a: &DueItem, b: &DueItem) -> Ordering {
    match (a.is_met(), b.is_met()) {
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, false) => (b.status == DueStatus::Overdue)
            .cmp(&(a.status == DueStatus::Overdue))
            .then(a.due.cmp(&b.due))
            .then(a.kind.urgency_rank().cmp(&b.kind.urgency_rank())),
        (true, true) => b
            .met_on
            .cmp(&a.met_on)
            .then(a.kind.urgency_rank().cmp(&b.kind.urgency_rank())),
    }
}

/// Sorts in place by [`urgency_cmp`].
pub fn sort_by_urgency(items: &mut [DueItem]) {
    items.sort_by(urgency_cmp);
}

/// The unmet items only, most urgent first.
pub fn most_urgent_first(items: impl IntoIterator<Item = DueItem>) -> Vec<DueItem> {
    let mut open: Vec<DueItem> = items.into_iter().filter(|i| !i.is_met()).collect();
    sort_by_urgency(&mut open);
    open
}

fn settle(
    kind: DueKind,
    due: Reckoned<NaiveDate>,
    met_on: Option<NaiveDate>,
    today: NaiveDate,
) -> DueItem {
    let status = match met_on {
        Some(m) if m <= due.value => DueStatus::MetOnTime,
        Some(_) => DueStatus::MetLate,
        None if today > due.value => DueStatus::Overdue,
        None => DueStatus::Due,
    };
    DueItem {
        kind,
        due: due.value,
        status,
        met_on,
        counts_working_days: kind.counts_working_days(),
        estimated: due.projected,
    }
}

/// Calendar-day deadlines never need the bank-holiday table.
fn plus_days(date: NaiveDate, days: u64) -> Reckoned<NaiveDate> {
    Reckoned {
        value: date
            .checked_add_days(Days::new(days))
            .unwrap_or(NaiveDate::MAX),
        projected: false,
    }
}

fn sorted_unique(dates: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut v = dates.to_vec();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::embedded()
    }

    fn referred(on: NaiveDate) -> EpisodeFacts {
        EpisodeFacts {
            referral_date: on,
            ..EpisodeFacts::default()
        }
    }

    fn items(facts: &EpisodeFacts, today: NaiveDate) -> Vec<DueItem> {
        episode_due_items(facts, &cal(), today)
    }

    /// The only item of `kind`; fails if there is none or more than one.
    fn only(facts: &EpisodeFacts, today: NaiveDate, kind: DueKind) -> DueItem {
        let mut found: Vec<DueItem> = items(facts, today)
            .into_iter()
            .filter(|i| i.kind == kind)
            .collect();
        assert_eq!(found.len(), 1, "{kind:?} in {found:?}");
        found.remove(0)
    }

    fn kinds(list: &[DueItem]) -> Vec<DueKind> {
        list.iter().map(|i| i.kind).collect()
    }

    fn triage_due(referral: NaiveDate) -> NaiveDate {
        only(&referred(referral), referral, DueKind::Triage).due
    }

    // --- triage (S §14.4, KPI 2a) -------------------------------------------------------------

    #[test]
    fn triage_is_due_on_the_second_working_day_after_referral() {
        let mut f = referred(d(2025, 3, 3)); // Monday
        let item = only(&f, d(2025, 3, 3), DueKind::Triage);
        assert_eq!(item.due, d(2025, 3, 5));
        assert_eq!(item.status, DueStatus::Due);
        assert!(item.counts_working_days && !item.estimated);
        assert_eq!(
            only(&f, d(2025, 3, 5), DueKind::Triage).status,
            DueStatus::Due
        );
        assert_eq!(
            only(&f, d(2025, 3, 6), DueKind::Triage).status,
            DueStatus::Overdue
        );
        f.triage_date = Some(d(2025, 3, 5));
        let met = only(&f, d(2025, 3, 20), DueKind::Triage);
        assert_eq!(
            (met.status, met.met_on),
            (DueStatus::MetOnTime, Some(d(2025, 3, 5)))
        );
        f.triage_date = Some(d(2025, 3, 6));
        assert_eq!(
            only(&f, d(2025, 3, 20), DueKind::Triage).status,
            DueStatus::MetLate
        );
    }

    #[test]
    fn triage_due_skips_the_weekend() {
        assert_eq!(triage_due(d(2025, 3, 6)), d(2025, 3, 10)); // Thursday → Monday
        assert_eq!(triage_due(d(2025, 3, 7)), d(2025, 3, 11)); // Friday → Tuesday
        assert_eq!(triage_due(d(2025, 3, 8)), d(2025, 3, 11)); // Saturday → Tuesday
    }

    #[test]
    fn triage_due_skips_good_friday_and_easter_monday() {
        // Good Friday 18 April 2025, Easter Monday 21 April.
        assert_eq!(triage_due(d(2025, 4, 16)), d(2025, 4, 22));
        assert_eq!(triage_due(d(2025, 4, 17)), d(2025, 4, 23));
        // Easter 2024 straddled the quarter end: Good Friday 29 March, Easter Monday 1 April.
        assert_eq!(triage_due(d(2024, 3, 28)), d(2024, 4, 3));
    }

    #[test]
    fn triage_due_skips_christmas_and_new_year_substitute_days() {
        assert_eq!(triage_due(d(2021, 12, 23)), d(2021, 12, 29));
        assert_eq!(triage_due(d(2021, 12, 30)), d(2022, 1, 4));
        assert_eq!(triage_due(d(2022, 12, 23)), d(2022, 12, 29));
        assert_eq!(triage_due(d(2022, 12, 30)), d(2023, 1, 4));
        assert_eq!(triage_due(d(2020, 12, 24)), d(2020, 12, 30));
    }

    #[test]
    fn triage_due_skips_the_one_off_holidays() {
        assert_eq!(triage_due(d(2020, 5, 7)), d(2020, 5, 12)); // VE Day, Fri 8 May
        assert_eq!(triage_due(d(2020, 5, 1)), d(2020, 5, 5)); // Mon 4 May 2020 was worked
        assert_eq!(triage_due(d(2022, 6, 1)), d(2022, 6, 7)); // Jubilee, Thu 2 + Fri 3 June
        assert_eq!(triage_due(d(2022, 9, 16)), d(2022, 9, 21)); // State Funeral, Mon 19 Sept
        assert_eq!(triage_due(d(2023, 5, 5)), d(2023, 5, 10)); // Coronation, Mon 8 May
    }

    #[test]
    fn a_referral_alone_starts_only_the_triage_clock() {
        let list = items(&referred(d(2025, 3, 3)), d(2025, 3, 3));
        assert_eq!(kinds(&list), [DueKind::Triage]);
    }

    // --- assessment (KPI 2b) ------------------------------------------------------------------

    fn triaged(referral: NaiveDate, triage: NaiveDate, needed: bool) -> EpisodeFacts {
        EpisodeFacts {
            triage_date: Some(triage),
            assessment_needed: needed,
            ..referred(referral)
        }
    }

    #[test]
    fn assessment_is_due_on_the_fifth_working_day_after_triage() {
        let mut f = triaged(d(2025, 2, 28), d(2025, 3, 3), true);
        let item = only(&f, d(2025, 3, 3), DueKind::Assessment);
        assert_eq!(item.due, d(2025, 3, 10)); // Monday → next Monday
        f.assessment_date = Some(d(2025, 3, 10));
        assert_eq!(
            only(&f, d(2025, 3, 11), DueKind::Assessment).status,
            DueStatus::MetOnTime
        );
        f.assessment_date = Some(d(2025, 3, 11));
        assert_eq!(
            only(&f, d(2025, 3, 11), DueKind::Assessment).status,
            DueStatus::MetLate
        );
    }

    #[test]
    fn assessment_due_skips_easter_and_the_coronation() {
        let due = |triage| only(&triaged(triage, triage, true), triage, DueKind::Assessment).due;
        // Thu 17 April 2025: Tue 22, Wed 23, Thu 24, Fri 25, Mon 28.
        assert_eq!(due(d(2025, 4, 17)), d(2025, 4, 28));
        // Fri 28 April 2023: Mon 1 May and Mon 8 May both bank holidays.
        assert_eq!(due(d(2023, 4, 28)), d(2023, 5, 9));
        // Fri 24 December 2021: Mon 27, Tue 28 and Mon 3 January off.
        assert_eq!(due(d(2021, 12, 24)), d(2022, 1, 5));
    }

    #[test]
    fn no_assessment_is_due_unless_triage_says_one_is_needed() {
        let f = triaged(d(2025, 3, 3), d(2025, 3, 4), false);
        let list = items(&f, d(2025, 3, 20));
        assert_eq!(kinds(&list), [DueKind::Triage]);
    }

    // --- first intervention (KPI 2c) and structured treatment (S §14.5) -------------------------

    #[test]
    fn first_intervention_is_due_under_two_weeks_from_referral() {
        let mut f = triaged(d(2025, 3, 3), d(2025, 3, 4), true);
        let item = only(&f, d(2025, 3, 4), DueKind::FirstIntervention);
        assert_eq!(item.due, d(2025, 3, 16)); // 13 days: waiting days < 14
        assert!(!item.counts_working_days);
        f.treatment_start = Some(d(2025, 3, 16));
        assert_eq!(
            only(&f, d(2025, 4, 1), DueKind::FirstIntervention).status,
            DueStatus::MetOnTime
        );
        f.treatment_start = Some(d(2025, 3, 17)); // 14 days: not under two weeks
        assert_eq!(
            only(&f, d(2025, 4, 1), DueKind::FirstIntervention).status,
            DueStatus::MetLate
        );
    }

    #[test]
    fn structured_treatment_is_due_14_working_days_after_first_contact() {
        // First contact Mon 7 April 2025; Good Friday and Easter Monday fall inside.
        let mut f = triaged(d(2025, 4, 3), d(2025, 4, 8), true);
        f.first_contact_date = Some(d(2025, 4, 7));
        let item = only(&f, d(2025, 4, 8), DueKind::StructuredTreatment);
        assert_eq!(item.due, d(2025, 4, 29));
        assert!(item.counts_working_days);
        // Without a first contact, the triage date starts the clock: Tue 8 April → Wed 30.
        f.first_contact_date = None;
        assert_eq!(
            only(&f, d(2025, 4, 8), DueKind::StructuredTreatment).due,
            d(2025, 4, 30)
        );
        f.treatment_start = Some(d(2025, 4, 30));
        assert_eq!(
            only(&f, d(2025, 5, 9), DueKind::StructuredTreatment).status,
            DueStatus::MetOnTime
        );
    }

    #[test]
    fn treatment_clocks_run_only_on_the_structured_treatment_path() {
        let f = triaged(d(2025, 3, 3), d(2025, 3, 4), false);
        let list = items(&f, d(2025, 3, 4));
        assert!(!kinds(&list).contains(&DueKind::FirstIntervention));
        assert!(!kinds(&list).contains(&DueKind::StructuredTreatment));
        // An assessment held, or a treatment start, puts the episode on the path.
        let mut g = f.clone();
        g.assessment_date = Some(d(2025, 3, 6));
        assert!(kinds(&items(&g, d(2025, 3, 6))).contains(&DueKind::FirstIntervention));
    }

    // --- care plan (KPI 4a) -------------------------------------------------------------------

    #[test]
    fn care_plan_is_due_within_two_weeks_of_treatment_start() {
        let mut f = triaged(d(2025, 2, 17), d(2025, 2, 18), true);
        f.treatment_start = Some(d(2025, 3, 3));
        let item = only(&f, d(2025, 3, 10), DueKind::CarePlan);
        assert_eq!((item.due, item.status), (d(2025, 3, 17), DueStatus::Due));
        assert_eq!(item.days_left(&cal(), d(2025, 3, 10)).value, 7);
        assert_eq!(
            only(&f, d(2025, 3, 18), DueKind::CarePlan).status,
            DueStatus::Overdue
        );
        f.care_plan_date = Some(d(2025, 3, 17));
        assert_eq!(
            only(&f, d(2025, 3, 18), DueKind::CarePlan).status,
            DueStatus::MetOnTime
        );
        f.care_plan_date = Some(d(2025, 3, 18));
        assert_eq!(
            only(&f, d(2025, 3, 18), DueKind::CarePlan).status,
            DueStatus::MetLate
        );
    }

    // --- reviews (S §8.2, §8.9.5, KPI 4b) -----------------------------------------------------

    fn assessed_on(assessment: NaiveDate) -> EpisodeFacts {
        EpisodeFacts {
            assessment_date: Some(assessment),
            ..triaged(assessment, assessment, true)
        }
    }

    fn reviews(facts: &EpisodeFacts, today: NaiveDate) -> Vec<(NaiveDate, DueStatus)> {
        items(facts, today)
            .into_iter()
            .filter(|i| i.kind == DueKind::Review)
            .map(|i| (i.due, i.status))
            .collect()
    }

    #[test]
    fn the_first_review_is_due_12_weeks_after_the_assessment() {
        let f = assessed_on(d(2025, 1, 6));
        assert_eq!(
            reviews(&f, d(2025, 3, 31)),
            [(d(2025, 3, 31), DueStatus::Due)]
        );
        assert_eq!(
            reviews(&f, d(2025, 4, 1)),
            [(d(2025, 3, 31), DueStatus::Overdue)]
        );
    }

    #[test]
    fn each_review_held_restarts_the_12_weeks() {
        let mut f = assessed_on(d(2025, 1, 6));
        // Held 28 March (due 31 March: on time), then 30 June (due 20 June: late).
        f.review_dates = vec![d(2025, 6, 30), d(2025, 3, 28)];
        assert_eq!(
            reviews(&f, d(2025, 9, 23)),
            [
                (d(2025, 3, 31), DueStatus::MetOnTime),
                (d(2025, 6, 20), DueStatus::MetLate),
                (d(2025, 9, 22), DueStatus::Overdue),
            ]
        );
    }

    #[test]
    fn without_an_assessment_reviews_run_from_treatment_start() {
        let mut f = triaged(d(2025, 1, 1), d(2025, 1, 2), false);
        f.treatment_start = Some(d(2025, 1, 6));
        assert_eq!(
            reviews(&f, d(2025, 1, 6)),
            [(d(2025, 3, 31), DueStatus::Due)]
        );
    }

    // --- outcome profiles (KPI 6a) ------------------------------------------------------------

    fn tops(
        facts: &EpisodeFacts,
        today: NaiveDate,
    ) -> Vec<(DueKind, NaiveDate, DueStatus, Option<NaiveDate>)> {
        items(facts, today)
            .into_iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    DueKind::OutcomeProfileStart
                        | DueKind::OutcomeProfileReview
                        | DueKind::OutcomeProfileExit
                )
            })
            .map(|i| (i.kind, i.due, i.status, i.met_on))
            .collect()
    }

    #[test]
    fn a_top_counts_within_14_days_either_side_of_the_event() {
        let mut f = assessed_on(d(2025, 2, 10));
        f.treatment_start = Some(d(2025, 3, 3));
        f.top_dates = vec![d(2025, 2, 17)]; // 14 days before the start
        assert_eq!(
            tops(&f, d(2025, 3, 20)),
            [(
                DueKind::OutcomeProfileStart,
                d(2025, 3, 17),
                DueStatus::MetOnTime,
                Some(d(2025, 2, 17))
            )]
        );
        f.top_dates = vec![d(2025, 2, 16)]; // 15 days before: too early to count
        assert_eq!(tops(&f, d(2025, 3, 17))[0].2, DueStatus::Due);
        assert_eq!(tops(&f, d(2025, 3, 18))[0].2, DueStatus::Overdue);
        f.top_dates = vec![d(2025, 2, 16), d(2025, 3, 17)]; // 14 days after
        assert_eq!(tops(&f, d(2025, 3, 20))[0].2, DueStatus::MetOnTime);
    }

    #[test]
    fn tops_fall_due_at_each_review_and_a_planned_exit() {
        let mut f = assessed_on(d(2025, 1, 6));
        f.treatment_start = Some(d(2025, 1, 6));
        f.review_dates = vec![d(2025, 3, 28)];
        f.exit_date = Some(d(2025, 5, 30));
        f.exit_planned = Some(true);
        // A TOP at the start; the review's came 17 days after it: late.
        f.top_dates = vec![d(2025, 1, 6), d(2025, 4, 14)];
        assert_eq!(
            tops(&f, d(2025, 6, 20)),
            [
                (
                    DueKind::OutcomeProfileStart,
                    d(2025, 1, 20),
                    DueStatus::MetOnTime,
                    Some(d(2025, 1, 6))
                ),
                (
                    DueKind::OutcomeProfileReview,
                    d(2025, 4, 11),
                    DueStatus::MetLate,
                    Some(d(2025, 4, 14))
                ),
                // The exit's TOP falls due after the exit, and is still listed.
                (
                    DueKind::OutcomeProfileExit,
                    d(2025, 6, 13),
                    DueStatus::Overdue,
                    None
                ),
            ]
        );
        // An unplanned exit has no TOP at exit.
        f.exit_planned = Some(false);
        assert!(!kinds(&items(&f, d(2025, 6, 20))).contains(&DueKind::OutcomeProfileExit));
    }

    // --- exit and follow-ups (S §20.5) --------------------------------------------------------

    #[test]
    fn nothing_new_falls_due_after_the_exit() {
        let mut f = triaged(d(2025, 2, 17), d(2025, 2, 20), true);
        f.assessment_date = Some(d(2025, 2, 24));
        f.treatment_start = Some(d(2025, 3, 3));
        f.exit_date = Some(d(2025, 3, 10));
        f.exit_planned = Some(false);
        let list = items(&f, d(2025, 4, 1));
        // Triage was late (met); the care plan (due 17 March), the review and the start TOP
        // (due 17 March) would fall after the exit, so they are not listed.
        assert_eq!(
            kinds(&list),
            [
                DueKind::Triage,
                DueKind::Assessment,
                DueKind::FirstIntervention,
                DueKind::StructuredTreatment
            ]
        );
        // An unmet deadline that passed before the exit is history for the returns, not due.
        f.triage_date = None;
        f.assessment_needed = false;
        f.assessment_date = None;
        assert!(!kinds(&items(&f, d(2025, 4, 1))).contains(&DueKind::Triage));
    }

    /// An open episode with every open-episode clock running and unmet (triage, assessment,
    /// first intervention, structured treatment, care plan, review, TOPs at start and review,
    /// transition), for the stop-at-exit tests.
    fn every_open_clock_running() -> EpisodeFacts {
        EpisodeFacts {
            referral_date: d(2025, 1, 6),
            first_contact_date: Some(d(2025, 1, 7)),
            assessment_needed: true,
            triage_date: None,
            assessment_date: None,
            treatment_start: Some(d(2025, 2, 3)),
            review_dates: vec![d(2025, 4, 28)],
            date_of_birth: Some(d(2000, 6, 1)),
            ..EpisodeFacts::default()
        }
    }

    const OPEN_EPISODE_CLOCKS: [DueKind; 9] = [
        DueKind::Triage,
        DueKind::Assessment,
        DueKind::FirstIntervention,
        DueKind::StructuredTreatment,
        DueKind::CarePlan,
        DueKind::Review,
        DueKind::OutcomeProfileStart,
        DueKind::OutcomeProfileReview,
        DueKind::Transition,
    ];

    #[test]
    fn every_clock_that_runs_while_open_is_unmet_before_the_exit() {
        let f = every_open_clock_running();
        let unmet: Vec<DueKind> = items(&f, d(2025, 9, 1))
            .into_iter()
            .filter(|i| !i.is_met())
            .map(|i| i.kind)
            .collect();
        for kind in OPEN_EPISODE_CLOCKS {
            if matches!(
                kind,
                DueKind::Assessment | DueKind::FirstIntervention | DueKind::StructuredTreatment
            ) {
                continue; // these run before treatment starts: their own test below
            }
            assert!(
                unmet.contains(&kind),
                "{kind:?} should be running: {unmet:?}"
            );
        }
    }

    #[test]
    fn each_open_episode_clock_stops_at_the_exit_planned_or_not() {
        for planned in [true, false] {
            let mut f = every_open_clock_running();
            f.exit_date = Some(d(2025, 8, 1));
            f.exit_planned = Some(planned);
            let unmet: Vec<DueKind> = items(&f, d(2025, 9, 1))
                .into_iter()
                .filter(|i| !i.is_met())
                .map(|i| i.kind)
                .collect();
            for kind in OPEN_EPISODE_CLOCKS {
                assert!(!unmet.contains(&kind), "{kind:?} listed after the exit");
                assert!(!kind.starts_at_exit());
                assert!(kind.stop_rule().contains("exits"));
            }
            assert!(unmet.iter().all(|k| k.starts_at_exit()), "{unmet:?}");
            assert_eq!(unmet.contains(&DueKind::OutcomeProfileExit), planned);
        }
    }

    #[test]
    fn the_assessment_clock_stops_at_the_exit() {
        let mut f = triaged(d(2025, 2, 17), d(2025, 2, 20), true);
        assert!(!only(&f, d(2025, 4, 1), DueKind::Assessment).is_met());
        f.exit_date = Some(d(2025, 3, 31));
        f.exit_planned = Some(false);
        assert!(!kinds(&items(&f, d(2025, 4, 1))).contains(&DueKind::Assessment));
    }

    #[test]
    fn first_intervention_and_structured_treatment_stop_at_the_exit() {
        let mut f = triaged(d(2025, 2, 17), d(2025, 2, 18), true);
        f.assessment_date = Some(d(2025, 2, 20));
        for kind in [DueKind::FirstIntervention, DueKind::StructuredTreatment] {
            assert!(!only(&f, d(2025, 5, 1), kind).is_met());
        }
        f.exit_date = Some(d(2025, 4, 30));
        f.exit_planned = Some(false);
        let listed = kinds(&items(&f, d(2025, 5, 1)));
        assert!(!listed.contains(&DueKind::FirstIntervention), "{listed:?}");
        assert!(
            !listed.contains(&DueKind::StructuredTreatment),
            "{listed:?}"
        );
    }

    #[test]
    fn met_items_stay_after_the_exit_for_the_timeline() {
        let mut f = triaged(d(2025, 2, 17), d(2025, 2, 20), false);
        f.exit_date = Some(d(2025, 3, 31));
        f.exit_planned = Some(false);
        assert!(only(&f, d(2025, 4, 1), DueKind::Triage).is_met());
    }

    #[test]
    fn follow_ups_fall_due_3_and_6_months_after_a_planned_exit() {
        let mut f = triaged(d(2024, 9, 2), d(2024, 9, 3), false);
        f.exit_date = Some(d(2025, 1, 31));
        f.exit_planned = Some(true);
        let follow_ups = |f: &EpisodeFacts, today| -> Vec<(DueKind, NaiveDate, DueStatus)> {
            items(f, today)
                .into_iter()
                .filter(|i| matches!(i.kind, DueKind::FollowUp3Months | DueKind::FollowUp6Months))
                .map(|i| (i.kind, i.due, i.status))
                .collect()
        };
        assert_eq!(
            follow_ups(&f, d(2025, 5, 1)),
            [
                (DueKind::FollowUp3Months, d(2025, 4, 30), DueStatus::Overdue),
                (DueKind::FollowUp6Months, d(2025, 7, 31), DueStatus::Due),
            ]
        );
        // One before the exit does not count; the first after it meets 3 months, the next 6.
        f.follow_up_dates = vec![d(2025, 8, 5), d(2025, 1, 20), d(2025, 4, 25)];
        assert_eq!(
            follow_ups(&f, d(2025, 9, 1)),
            [
                (
                    DueKind::FollowUp3Months,
                    d(2025, 4, 30),
                    DueStatus::MetOnTime
                ),
                (DueKind::FollowUp6Months, d(2025, 7, 31), DueStatus::MetLate),
            ]
        );
        // Only a completed (planned) exit is followed up.
        f.exit_planned = Some(false);
        assert!(follow_ups(&f, d(2025, 9, 1)).is_empty());
        f.exit_planned = None;
        assert!(follow_ups(&f, d(2025, 9, 1)).is_empty());
    }

    // --- transition (S §8.10.3) ---------------------------------------------------------------

    #[test]
    fn transition_plan_is_due_before_the_25th_birthday_and_shows_six_months_ahead() {
        let mut f = referred(d(2025, 6, 2));
        f.triage_date = Some(d(2025, 6, 3));
        f.date_of_birth = Some(d(2001, 3, 10));
        assert_eq!(transition_date(d(2001, 3, 10)), d(2026, 3, 10));
        let has_transition =
            |f: &EpisodeFacts, today| kinds(&items(f, today)).contains(&DueKind::Transition);
        assert!(!has_transition(&f, d(2025, 9, 8)));
        let item = only(&f, d(2025, 9, 9), DueKind::Transition);
        assert_eq!((item.due, item.status), (d(2026, 3, 9), DueStatus::Due));
        assert_eq!(
            only(&f, d(2026, 3, 10), DueKind::Transition).status,
            DueStatus::Overdue
        );
        // A plan agreed meets it.
        let extra = ExtraFacts {
            transition_plan_date: Some(d(2026, 1, 15)),
        };
        let planned: Vec<DueItem> = episode_due_items_with(&f, &extra, &cal(), d(2026, 3, 10))
            .into_iter()
            .filter(|i| i.kind == DueKind::Transition)
            .collect();
        assert_eq!(planned[0].status, DueStatus::MetOnTime);
        // An episode that ends before the deadline needs no plan.
        f.exit_date = Some(d(2025, 10, 1));
        assert!(!has_transition(&f, d(2025, 10, 2)));
    }

    #[test]
    fn a_leap_day_baby_turns_25_on_1_march() {
        assert_eq!(transition_date(d(2004, 2, 29)), d(2029, 3, 1));
        let mut f = referred(d(2028, 10, 2));
        f.date_of_birth = Some(d(2004, 2, 29));
        assert_eq!(
            only(&f, d(2028, 10, 2), DueKind::Transition).due,
            d(2029, 2, 28)
        );
    }

    // --- estimates ----------------------------------------------------------------------------

    #[test]
    fn deadlines_counted_across_projected_holidays_are_marked_estimated() {
        let published = only(&referred(d(2027, 12, 23)), d(2027, 12, 23), DueKind::Triage);
        assert_eq!(
            (published.due, published.estimated),
            (d(2027, 12, 29), false)
        );
        // Fri 31 December 2027, then the projected New Year substitute on Mon 3 January 2028.
        let projected = only(&referred(d(2027, 12, 30)), d(2027, 12, 30), DueKind::Triage);
        assert_eq!((projected.due, projected.estimated), (d(2028, 1, 4), true));
        // Beyond the table the standing rules stand in: New Year's Day 2031 is a Wednesday.
        let beyond = only(&referred(d(2030, 12, 30)), d(2030, 12, 30), DueKind::Triage);
        assert_eq!((beyond.due, beyond.estimated), (d(2031, 1, 2), true));
    }

    // --- standalone items ---------------------------------------------------------------------

    #[test]
    fn a_risk_flag_review_is_due_on_its_review_date() {
        let item = risk_flag_review_item(d(2025, 3, 10), None, d(2025, 3, 10));
        assert_eq!(
            (item.kind, item.due, item.status),
            (DueKind::RiskFlagReview, d(2025, 3, 10), DueStatus::Due)
        );
        assert_eq!(
            risk_flag_review_item(d(2025, 3, 10), None, d(2025, 3, 11)).status,
            DueStatus::Overdue
        );
        let closed = risk_flag_review_item(d(2025, 3, 10), Some(d(2025, 3, 10)), d(2025, 4, 1));
        assert_eq!(closed.status, DueStatus::MetOnTime);
        assert_eq!(closed.kind.source(), "S §8.5.5");
    }

    #[test]
    fn a_dna_is_followed_up_within_two_working_days() {
        let c = cal();
        let item = dna_follow_up_item(d(2025, 3, 6), None, &c, d(2025, 3, 6));
        assert_eq!(item.due, d(2025, 3, 10)); // Thursday → Monday
                                              // Over Easter 2025: Thursday 17 April → Wednesday 23 April.
        let easter = dna_follow_up_item(d(2025, 4, 17), Some(d(2025, 4, 22)), &c, d(2025, 4, 30));
        assert_eq!(
            (easter.due, easter.status),
            (d(2025, 4, 23), DueStatus::MetOnTime)
        );
        assert_eq!(
            dna_follow_up_item(d(2025, 4, 17), None, &c, d(2025, 4, 24)).status,
            DueStatus::Overdue
        );
    }

    #[test]
    fn a_mentor_sees_the_mentee_weekly_and_is_supported_six_weekly() {
        let contact = mentor_contact_item(d(2025, 3, 3), d(2025, 3, 10));
        assert_eq!(
            (contact.due, contact.status),
            (d(2025, 3, 10), DueStatus::Due)
        );
        assert_eq!(
            mentor_contact_item(d(2025, 3, 3), d(2025, 3, 11)).status,
            DueStatus::Overdue
        );
        let support = mentor_support_item(d(2025, 1, 6), d(2025, 2, 1));
        assert_eq!(
            (support.due, support.status),
            (d(2025, 2, 17), DueStatus::Due)
        );
        assert!(!support.counts_working_days);
    }

    #[test]
    fn a_telephone_message_is_answered_within_two_working_days() {
        let c = cal();
        // Friday 16 September 2022, before the State Funeral bank holiday.
        let item = telephone_message_item(d(2022, 9, 16), Some(d(2022, 9, 20)), &c, d(2022, 9, 30));
        assert_eq!(
            (item.due, item.status),
            (d(2022, 9, 21), DueStatus::MetOnTime)
        );
        let late = telephone_message_item(d(2022, 9, 16), Some(d(2022, 9, 22)), &c, d(2022, 9, 30));
        assert_eq!(late.status, DueStatus::MetLate);
    }

    // --- days left and urgency ----------------------------------------------------------------

    #[test]
    fn days_left_count_working_days_for_working_day_rules() {
        let c = cal();
        // Referral Fri 2 May 2025 → triage due Wed 7 May (Mon 5 May a bank holiday).
        let f = referred(d(2025, 5, 2));
        let item = only(&f, d(2025, 5, 2), DueKind::Triage);
        assert_eq!(item.days_left(&c, d(2025, 5, 2)).value, 2);
        assert_eq!(item.days_left(&c, d(2025, 5, 7)).value, 0);
        assert_eq!(item.days_left(&c, d(2025, 5, 9)).value, -2);
        // Saturday after a Friday deadline: overdue, but no working day has passed yet.
        let fri = only(&referred(d(2025, 3, 5)), d(2025, 3, 8), DueKind::Triage);
        assert_eq!((fri.due, fri.status), (d(2025, 3, 7), DueStatus::Overdue));
        assert_eq!(fri.days_left(&c, d(2025, 3, 8)).value, 0);
        // A met item counts from the day it was met: one working day late.
        let mut late = f.clone();
        late.triage_date = Some(d(2025, 5, 8));
        assert_eq!(
            only(&late, d(2025, 6, 1), DueKind::Triage)
                .days_left(&c, d(2025, 6, 1))
                .value,
            -1
        );
    }

    #[test]
    fn the_most_overdue_comes_first_then_the_soonest_due() {
        let c = cal();
        let today = d(2025, 3, 12);
        let list = vec![
            mentor_support_item(d(2025, 2, 1), today), // due 15 Mar
            mentor_contact_item(d(2025, 3, 1), today), // due 8 Mar, overdue
            risk_flag_review_item(d(2025, 3, 13), None, today), // due 13 Mar
            telephone_message_item(d(2025, 3, 3), None, &c, today), // due 5 Mar, overdue
            risk_flag_review_item(d(2025, 3, 1), Some(d(2025, 3, 1)), today), // met
            mentor_contact_item(d(2025, 3, 6), today), // due 13 Mar
        ];
        let ordered = most_urgent_first(list.clone());
        assert_eq!(
            ordered.iter().map(|i| (i.kind, i.due)).collect::<Vec<_>>(),
            [
                (DueKind::TelephoneMessage, d(2025, 3, 5)),
                (DueKind::MentorContact, d(2025, 3, 8)),
                (DueKind::RiskFlagReview, d(2025, 3, 13)),
                (DueKind::MentorContact, d(2025, 3, 13)),
                (DueKind::MentorSupport, d(2025, 3, 15)),
            ]
        );
        let mut all = list;
        sort_by_urgency(&mut all);
        assert!(all.last().unwrap().is_met());
    }

    #[test]
    fn a_commitment_review_falls_28_days_before_the_end_and_a_renewal_clamps_to_the_month() {
        let r = mentor_commitment_review_item(d(2026, 2, 2), 28, d(2026, 1, 6));
        assert_eq!(r.kind, DueKind::MentorCommitmentReview);
        assert_eq!(r.due, d(2026, 1, 5));
        assert_eq!(r.status, DueStatus::Overdue);
        // Checked 31 Jan 2025, renewed every 13 months: 28 Feb 2026 (no 31st).
        let c = mentor_check_renewal_item(d(2025, 1, 31), 13, d(2026, 2, 28));
        assert_eq!(c.due, d(2026, 2, 28));
        assert_eq!(c.status, DueStatus::Due);
        assert!(!c.counts_working_days);
    }

    #[test]
    fn every_kind_has_a_code_a_label_and_a_source() {
        let mut codes: Vec<&str> = DueKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), DueKind::ALL.len());
        for k in DueKind::ALL {
            assert_eq!(DueKind::from_code(k.code()), Some(k));
            assert!(!k.label().is_empty());
            let s = k.source();
            assert!(
                s.starts_with("S §") || s.starts_with("L §") || s.starts_with("KPI"),
                "{s}"
            );
        }
        assert_eq!(DueKind::Triage.source(), "S §14.4, KPI 2a");
    }
}
