//! What is due, as the screens show it: the caseload's "next due" column (the unmet item with the
//! earliest due date, from the same clocks as `casebook due`) and the facts the case view's
//! timeline marks against.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;

use crate::domain::calendar::Calendar;
use crate::domain::clocks::{
    dna_follow_up_item, episode_due_items, risk_flag_review_item, DueItem, DueKind, DueStatus,
};
use crate::domain::codes::CodeLists;
use crate::domain::record::{Episode, EpisodeFacts, RiskFlag};
use crate::domain::urgency::DueGroup;
use crate::due::{due_list, DueEntry, DueFilter};
use crate::store::caseload::{episode_events, open_dna_dates, EpisodeEvents};
use crate::store::{records, Store};

/// The next thing due for a young person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDue {
    pub date: NaiveDate,
    pub kind: DueKind,
    pub overdue: bool,
}

impl NextDue {
    fn of(item: &DueItem) -> NextDue {
        NextDue {
            date: item.due,
            kind: item.kind,
            overdue: item.status == DueStatus::Overdue,
        }
    }

    fn earlier(a: Option<NextDue>, b: NextDue) -> Option<NextDue> {
        match a {
            Some(a) if (a.date, a.kind) <= (b.date, b.kind) => Some(a),
            _ => Some(b),
        }
    }
}

/// A due kind in the few columns a table has.
pub fn short_label(kind: DueKind) -> &'static str {
    match kind {
        DueKind::Triage => "triage",
        DueKind::Assessment => "assessment",
        DueKind::FirstIntervention => "1st intervention",
        DueKind::StructuredTreatment => "treatment start",
        DueKind::CarePlan => "care plan",
        DueKind::Review => "review",
        DueKind::OutcomeProfileStart
        | DueKind::OutcomeProfileReview
        | DueKind::OutcomeProfileExit => "TOP",
        DueKind::FollowUp3Months => "follow-up 3m",
        DueKind::FollowUp6Months => "follow-up 6m",
        DueKind::RiskFlagReview => "flag review",
        DueKind::DnaFollowUp => "DNA follow-up",
        DueKind::Transition => "transition",
        DueKind::MentorContact => "mentor contact",
        DueKind::MentorSupport => "mentor support",
        DueKind::TelephoneMessage => "phone message",
        DueKind::MentorCommitmentReview => "mentor 12m review",
        DueKind::MentorCheckRenewal => "DBS renewal",
    }
}

/// A due kind in ten columns, for narrow tables.
pub fn tiny_label(kind: DueKind) -> &'static str {
    match kind {
        DueKind::FirstIntervention => "1st interv",
        DueKind::StructuredTreatment => "treatment",
        DueKind::FollowUp3Months => "follow 3m",
        DueKind::FollowUp6Months => "follow 6m",
        DueKind::RiskFlagReview => "flag check",
        DueKind::DnaFollowUp => "DNA follow",
        DueKind::MentorContact => "mentoring",
        DueKind::MentorSupport => "support",
        DueKind::TelephoneMessage => "phone msg",
        DueKind::MentorCommitmentReview => "12m review",
        DueKind::MentorCheckRenewal => "DBS renew",
        other => short_label(other),
    }
}

/// The next due item of every young person with one, from the service-wide due-list.
pub fn next_due_by_person(
    store: &Store,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<HashMap<String, NextDue>> {
    Ok(next_due_by_person_in(&due_list(
        store,
        cal,
        codes,
        today,
        &DueFilter::default(),
    )?))
}

/// The next due item of every young person with one in `entries` (a due-list).
pub fn next_due_by_person_in(entries: &[DueEntry]) -> HashMap<String, NextDue> {
    let mut out: HashMap<String, NextDue> = HashMap::new();
    for e in entries {
        // A mentor's item (or a message about no one on the record) is no young person's.
        if e.young_person_id.is_empty() {
            continue;
        }
        let nd = NextDue {
            date: e.due,
            kind: e.kind,
            overdue: e.group == DueGroup::Overdue,
        };
        let slot = out.entry(e.young_person_id.clone()).or_insert(nd);
        if (nd.date, nd.kind) < (slot.date, slot.kind) {
            *slot = nd;
        }
    }
    out
}

/// The clocks' facts for an episode.
pub fn facts_of(
    e: &Episode,
    ev: &EpisodeEvents,
    date_of_birth: Option<NaiveDate>,
    codes: &CodeLists,
) -> EpisodeFacts {
    crate::due::episode_facts(e, ev, date_of_birth, codes)
}

/// One young person's next due item, worked out from their record (after a write, so the
/// caseload row changes without reloading the whole service).
pub fn person_next_due(
    store: &Store,
    young_person_id: &str,
    date_of_birth: Option<NaiveDate>,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<Option<NextDue>> {
    let mut next = None;
    for e in records::episodes_of(store, young_person_id)? {
        let ev = episode_events(store, &e.id)?;
        let facts = facts_of(&e, &ev, date_of_birth, codes);
        for item in episode_due_items(&facts, cal, today) {
            if !item.is_met() {
                next = NextDue::earlier(next, NextDue::of(&item));
            }
        }
    }
    for f in records::flags_of(store, young_person_id)? {
        next = flag_next(next, &f, today);
    }
    for d in open_dna_dates(store, young_person_id)? {
        let item = dna_follow_up_item(d, None, cal, today);
        next = NextDue::earlier(next, NextDue::of(&item));
    }
    // As the due-list: a match's weekly contact, a telephone message about them.
    for (item, _) in crate::due::mentoring_items_of(store, cal, today, young_person_id)? {
        next = NextDue::earlier(next, NextDue::of(&item));
    }
    Ok(next)
}

fn flag_next(next: Option<NextDue>, f: &RiskFlag, today: NaiveDate) -> Option<NextDue> {
    match (f.is_active(), f.review_date) {
        (true, Some(r)) => {
            NextDue::earlier(next, NextDue::of(&risk_flag_review_item(r, None, today)))
        }
        _ => next,
    }
}
