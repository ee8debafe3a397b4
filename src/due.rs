//! The due-list: every unmet item from the clocks across a caseload, grouped and in urgency
//! order with the reason. Computed below the TUI so `casebook due` and the due-list screen
//! show the same thing.

use anyhow::Result;
use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::domain::calendar::Calendar;
use crate::domain::clocks::{
    dna_follow_up_item, episode_due_items, risk_flag_review_item, DueItem, DueKind,
};
use crate::domain::codes::CodeLists;
use crate::domain::record::RiskLevel;
use crate::domain::urgency::{urgency, DueGroup};
use crate::store::due::{load, DueScope};
use crate::store::Store;

/// What the item is about, so `Enter` can open the right form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum DueSubject {
    Episode(String),
    RiskFlag(String),
    Contact(String),
}

/// One row of the due-list.
#[derive(Debug, Clone, Serialize)]
pub struct DueEntry {
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub key_worker: Option<String>,
    pub subject: DueSubject,
    #[serde(serialize_with = "ser_kind")]
    pub kind: DueKind,
    pub due: NaiveDate,
    /// Negative when overdue; working days where the rule counts them.
    pub days_left: i64,
    pub working_days: bool,
    /// The due date crosses a year the bank-holiday table only projects.
    pub estimated: bool,
    pub risk: Option<RiskLevel>,
    #[serde(serialize_with = "ser_group")]
    pub group: DueGroup,
    pub score: i64,
    pub why: String,
}

fn ser_kind<S: serde::Serializer>(k: &DueKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.code())
}

fn ser_group<S: serde::Serializer>(g: &DueGroup, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(g.label())
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    /// Only this worker's caseload (worker ID).
    pub worker_id: Option<String>,
    pub kind: Option<DueKind>,
    /// Items due later than this many days ahead are left out (`None`: everything).
    pub horizon_days: Option<u64>,
}

/// The due-list as of `today`, most urgent first.
pub fn due_list(
    store: &Store,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
    filter: &DueFilter,
) -> Result<Vec<DueEntry>> {
    let scope = DueScope {
        key_worker_id: filter.worker_id.clone(),
        // Follow-ups run to six months after exit; load exits a little further back.
        exited_since: today.checked_sub_months(Months::new(7)),
    };
    let inputs = load(store, &scope, &|code| codes.exit_is_planned(code))?;
    let horizon = filter
        .horizon_days
        .and_then(|d| today.checked_add_days(chrono::Days::new(d)));
    let mut out = Vec::new();
    let mut push = |item: DueItem,
                    yp: &str,
                    reference: &str,
                    name: &str,
                    worker: &Option<String>,
                    subject: DueSubject| {
        if item.is_met()
            || filter.kind.is_some_and(|k| k != item.kind)
            || horizon.is_some_and(|h| item.due > h)
        {
            return;
        }
        let risk = inputs.highest_risk.get(yp).copied();
        let days = item.days_left(cal, today);
        let u = urgency(&item, days.value, item.counts_working_days, risk, today);
        out.push(DueEntry {
            young_person_id: yp.to_string(),
            reference: reference.to_string(),
            name: name.to_string(),
            key_worker: worker.clone(),
            subject,
            kind: item.kind,
            due: item.due,
            days_left: days.value,
            working_days: item.counts_working_days,
            estimated: item.estimated || days.projected,
            risk,
            group: u.group,
            score: u.score,
            why: u.why,
        });
    };
    for e in &inputs.episodes {
        for item in episode_due_items(&e.facts, cal, today) {
            push(
                item,
                &e.young_person_id,
                &e.reference,
                &e.name,
                &e.key_worker,
                DueSubject::Episode(e.episode_id.clone()),
            );
        }
    }
    for f in &inputs.flags {
        push(
            risk_flag_review_item(f.review_date, None, today),
            &f.young_person_id,
            &f.reference,
            &f.name,
            &f.key_worker,
            DueSubject::RiskFlag(f.flag_id.clone()),
        );
    }
    for c in &inputs.dnas {
        push(
            dna_follow_up_item(c.date, None, cal, today),
            &c.young_person_id,
            &c.reference,
            &c.name,
            &c.key_worker,
            DueSubject::Contact(c.contact_id.clone()),
        );
    }
    sort(&mut out);
    Ok(out)
}

/// Groups in order; overdue by score (days overdue plus risk weight), the rest by due date
/// then risk; ties by reference so the order is stable.
pub fn sort(entries: &mut [DueEntry]) {
    entries.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then_with(|| {
                if a.group == DueGroup::Overdue {
                    b.score.cmp(&a.score).then(a.due.cmp(&b.due))
                } else {
                    a.due.cmp(&b.due).then(b.score.cmp(&a.score))
                }
            })
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.reference.cmp(&b.reference))
    });
}
