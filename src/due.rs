//! The due-list: every unmet item from the clocks across a caseload, grouped and in urgency
//! order with the reason. Computed below the TUI so `casebook due` and the due-list screen
//! show the same thing.

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::calendar::Calendar;
use crate::domain::clocks::{
    dna_follow_up_item, episode_clocks, episode_due_items, risk_flag_review_item, DueItem, DueKind,
    Explanation, ExtraFacts, StartedBy, Stopped,
};
use crate::domain::codes::CodeLists;
use crate::domain::record::{Episode, EpisodeFacts, RiskLevel, Role};
use crate::domain::urgency::{urgency, urgency_without_risk, DueGroup};
use crate::store::caseload::{episode_events, EpisodeEvents};
use crate::store::due::{dnas_of, load, DueScope};
use crate::store::mentoring_due::{due_inputs as mentoring_due_inputs, MentoringDueInput};
use crate::store::{people, records, Store};

/// What the item is about, so `Enter` can open the right form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum DueSubject {
    Episode(String),
    RiskFlag(String),
    Contact(String),
    /// A mentoring match (its weekly contact): about the young person, who is on the row.
    Match(String),
    /// A volunteer mentor (support, commitment review, check renewal): no young person.
    Mentor(String),
    /// A telephone message; about a young person only when the message names one.
    Message(String),
}

impl DueSubject {
    /// Whether the item belongs to the mentoring coordinator rather than a young person's
    /// case (a mentor's clocks, a message about no one on the record).
    pub fn is_coordinators(&self, young_person_id: &str) -> bool {
        matches!(self, DueSubject::Mentor(_))
            || (matches!(self, DueSubject::Message(_)) && young_person_id.is_empty())
    }
}

/// One row of the due-list. A mentor's item (and a telephone message about no one on the
/// record) has no young person: `young_person_id` is empty, `reference` is `mentor` or
/// `message`, and `name` is the mentor's name or who left the message.
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
    /// The item is an after-exit clock of an exited episode (exit TOP, follow-ups): live
    /// until met or closed. Every other item belongs to an open episode or an active flag.
    pub after_exit: bool,
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
    /// The service's police/DBS check renewal period in months (`None`: no renewal clock).
    /// A setting rather than a filter (`config::check_renewal_months`), carried here so
    /// every caller of [`due_list`] passes it the same way.
    pub check_renewal_months: Option<u32>,
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
        // After-exit clocks stay until met or closed, however long ago the exit (issue 17).
        planned_exit_reasons: codes.planned_exit_codes(),
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
            after_exit: item.kind.starts_at_exit(),
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
    // Mentoring (L §6.2, §7.3–7.5): a match's weekly contact (and a message about a young
    // person) belongs to the young person's key worker as well as the team; a mentor's clocks
    // and a message about no one on the record belong to the coordinator: in the whole team's
    // list, and in the list of any worker who holds the mentoring coordinator's role.
    let coordinators = match &filter.worker_id {
        None => true,
        Some(w) => people::worker(store, w)?.is_some_and(|w| w.has(Role::Coordinator)),
    };
    let mentoring_kinds = [
        DueKind::MentorContact,
        DueKind::MentorSupport,
        DueKind::TelephoneMessage,
        DueKind::MentorCommitmentReview,
        DueKind::MentorCheckRenewal,
    ];
    let mentoring = if filter.kind.is_none_or(|k| mentoring_kinds.contains(&k)) {
        mentoring_due_inputs(store, cal, today, filter.check_renewal_months)?
    } else {
        Vec::new()
    };
    for m in mentoring {
        let in_view = match (&filter.worker_id, &m.young_person) {
            (None, _) => true,
            (Some(w), Some(yp)) => yp.key_worker_id.as_deref() == Some(w.as_str()),
            (Some(_), None) => coordinators,
        };
        if in_view {
            if let Some(entry) = mentoring_entry(&m, &inputs.highest_risk, cal, today) {
                if filter.kind.is_none_or(|k| k == entry.kind)
                    && horizon.is_none_or(|h| entry.due <= h)
                {
                    out.push(entry);
                }
            }
        }
    }
    sort(&mut out);
    Ok(out)
}

/// Whose a mentoring item is, in words: "mentor Amrit Kaur", "message from Social worker".
fn mentoring_note(m: &MentoringDueInput) -> String {
    match (&m.clock.message_id, &m.message_from, &m.mentor_name) {
        (Some(_), Some(from), _) => format!("message from {from}"),
        (Some(_), None, _) => "telephone message".to_string(),
        (None, _, Some(mentor)) => format!("mentor {mentor}"),
        (None, _, None) => "mentor".to_string(),
    }
}

/// One mentoring clock as a due-list row; `None` when it is met (never, today: the clocks
/// come from the store open).
fn mentoring_entry(
    m: &MentoringDueInput,
    highest_risk: &std::collections::HashMap<String, RiskLevel>,
    cal: &Calendar,
    today: NaiveDate,
) -> Option<DueEntry> {
    let item = m.clock.clock.item.clone()?;
    if item.is_met() {
        return None;
    }
    let days = item.days_left(cal, today);
    let note = mentoring_note(m);
    let subject = if let Some(id) = &m.clock.message_id {
        DueSubject::Message(id.clone())
    } else if let Some(id) = &m.clock.match_id {
        DueSubject::Match(id.clone())
    } else {
        DueSubject::Mentor(m.clock.mentor_id.clone().unwrap_or_default())
    };
    let (young_person_id, reference, name, key_worker, risk, u) = match &m.young_person {
        Some(yp) => {
            let risk = highest_risk.get(&yp.young_person_id).copied();
            let mut u = urgency(&item, days.value, item.counts_working_days, risk, today);
            u.why = format!("{}; {note}", u.why);
            (
                yp.young_person_id.clone(),
                yp.reference.clone(),
                yp.name.clone(),
                yp.key_worker.clone(),
                risk,
                u,
            )
        }
        None => {
            let u = urgency_without_risk(&item, days.value, item.counts_working_days, &note, today);
            let (reference, name) = match &m.clock.message_id {
                Some(_) => ("message", m.message_from.clone().unwrap_or_default()),
                None => ("mentor", m.mentor_name.clone().unwrap_or_default()),
            };
            (String::new(), reference.to_string(), name, None, None, u)
        }
    };
    Some(DueEntry {
        young_person_id,
        reference,
        name,
        key_worker,
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
        after_exit: false,
    })
}

/// The explanation of a mentoring item on the due-list (the why-line of a row without an
/// episode): the rule, its source, the start event and date, the due date, the stop rule.
pub fn explain_mentoring(
    store: &Store,
    cal: &Calendar,
    today: NaiveDate,
    check_renewal_months: Option<u32>,
    subject: &DueSubject,
    kind: DueKind,
) -> Result<Option<Explanation>> {
    let hit = |m: &MentoringDueInput| match subject {
        DueSubject::Match(id) => m.clock.match_id.as_deref() == Some(id.as_str()),
        DueSubject::Mentor(id) => {
            m.clock.message_id.is_none()
                && m.clock.match_id.is_none()
                && m.clock.mentor_id.as_deref() == Some(id.as_str())
        }
        DueSubject::Message(id) => m.clock.message_id.as_deref() == Some(id.as_str()),
        _ => false,
    };
    Ok(
        mentoring_due_inputs(store, cal, today, check_renewal_months)?
            .iter()
            .filter(|m| hit(m))
            .filter_map(|m| Some((m.clock.clock.item.clone()?, m.clock.started_by)))
            .find(|(item, _)| item.kind == kind)
            .map(|(item, started)| Explanation::new(&item, started, None)),
    )
}

/// A volunteer mentor's open clocks (`due --explain mentor:NAME`): support every 6 weeks, the
/// commitment review, the check renewal, and each open match's weekly contact (by the
/// mentee's reference), soonest due first.
pub fn explain_mentor(
    store: &Store,
    cal: &Calendar,
    today: NaiveDate,
    check_renewal_months: Option<u32>,
    mentor_id: &str,
) -> Result<Vec<(Explanation, Option<String>)>> {
    let mut out: Vec<(Explanation, Option<String>)> =
        mentoring_due_inputs(store, cal, today, check_renewal_months)?
            .into_iter()
            .filter(|m| m.clock.mentor_id.as_deref() == Some(mentor_id))
            .filter_map(|m| {
                let mentee = m.young_person.map(|yp| yp.reference);
                let item = m.clock.clock.item?;
                Some((Explanation::new(&item, m.clock.started_by, None), mentee))
            })
            .collect();
    out.sort_by(|a, b| a.0.due.cmp(&b.0.due).then(a.0.kind.cmp(b.0.kind)));
    Ok(out)
}

/// The open mentoring items about one young person: their matches' weekly contact and
/// telephone messages about them, with what started each (`due --explain REF`, and the
/// caseload's "next due" after a write).
pub fn mentoring_items_of(
    store: &Store,
    cal: &Calendar,
    today: NaiveDate,
    young_person_id: &str,
) -> Result<Vec<(DueItem, StartedBy)>> {
    // The renewal period does not matter here: a check renewal is a mentor's, not a young
    // person's.
    Ok(mentoring_due_inputs(store, cal, today, None)?
        .into_iter()
        .filter(|m| {
            m.young_person
                .as_ref()
                .is_some_and(|yp| yp.young_person_id == young_person_id)
        })
        .filter_map(|m| Some((m.clock.clock.item?, m.clock.started_by)))
        .collect())
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

/// The clocks' facts for an episode and its dated events (the case view and `due --explain`).
pub fn episode_facts(
    e: &Episode,
    ev: &EpisodeEvents,
    date_of_birth: Option<NaiveDate>,
    codes: &CodeLists,
) -> EpisodeFacts {
    EpisodeFacts {
        referral_date: e.referral_date,
        first_contact_date: e.first_contact_date,
        triage_date: e.triage_date,
        assessment_needed: e
            .triage_outcome
            .as_deref()
            .is_some_and(|t| codes.is_comprehensive_assessment(t)),
        assessment_date: e.assessment_date,
        treatment_start: e.treatment_start,
        care_plan_date: e.care_plan_date,
        review_dates: ev.reviews.clone(),
        top_dates: ev.outcome_profiles.clone(),
        exit_date: e.exit_date,
        exit_planned: e
            .exit_reason
            .as_deref()
            .and_then(|r| codes.exit_is_planned(r)),
        follow_up_dates: ev.follow_ups.clone(),
        date_of_birth,
        closed_clocks: ev.closed_clocks.clone(),
    }
}

/// One episode's clocks, explained.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeExplanation {
    pub episode_id: String,
    pub referral_date: NaiveDate,
    pub exit_date: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    pub exit_planned: Option<bool>,
    pub clocks: Vec<Explanation>,
}

/// Everything `due --explain REF` prints for one young person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonExplanation {
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    /// Newest episode first.
    pub episodes: Vec<EpisodeExplanation>,
    /// Episodes entered in error: they have no clocks.
    pub episodes_in_error: usize,
    /// Risk flag reviews, missed-appointment follow-ups, and the mentoring items about them
    /// (a match's weekly contact, telephone messages).
    pub others: Vec<Explanation>,
}

impl PersonExplanation {
    /// The explanations of the items on the due-list (not met, not stopped).
    pub fn due(&self) -> impl Iterator<Item = &Explanation> {
        self.episodes
            .iter()
            .flat_map(|e| e.clocks.iter())
            .chain(self.others.iter())
            .filter(|x| x.state == "due" || x.state == "overdue")
    }
}

/// Why each of a young person's items is due, met or stopped (`casebook due --explain` and
/// the due-list's why-line): rule, source, start event and date, due date, stop condition.
/// `None` when there is no such young person.
pub fn explain_young_person(
    store: &Store,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
    young_person_id: &str,
) -> Result<Option<PersonExplanation>> {
    let Some(person) = people::young_person(store, young_person_id)? else {
        return Ok(None);
    };
    let mut episodes = Vec::new();
    let mut open_episode_ids = Vec::new();
    for e in records::episodes_of(store, young_person_id)? {
        let ev = episode_events(store, &e.id)?;
        let facts = episode_facts(&e, &ev, person.date_of_birth, codes);
        if e.exit_date.is_none() {
            open_episode_ids.push(e.id.clone());
        }
        episodes.push(EpisodeExplanation {
            clocks: episode_clocks(&facts, &ExtraFacts::default(), cal, today)
                .iter()
                .map(|c| c.explain())
                .collect(),
            episode_id: e.id,
            referral_date: e.referral_date,
            exit_date: e.exit_date,
            exit_reason: e.exit_reason,
            exit_planned: facts.exit_planned,
        });
    }
    let mut others = Vec::new();
    for f in records::flags_of(store, young_person_id)? {
        let Some(review) = f.review_date else {
            continue;
        };
        let item = risk_flag_review_item(review, f.closed_on, today);
        let started = StartedBy {
            event: "flag raised",
            date: f.raised_on,
        };
        others.push(Explanation::new(&item, started, None));
    }
    for dna in dnas_of(store, young_person_id)? {
        let item = dna_follow_up_item(dna.date, None, cal, today);
        let started = StartedBy {
            event: "missed appointment",
            date: dna.date,
        };
        let stopped = dna.episode_exit.map(Stopped::Exit);
        others.push(Explanation::new(&item, started, stopped.as_ref()));
    }
    for (item, started) in mentoring_items_of(store, cal, today, young_person_id)? {
        others.push(Explanation::new(&item, started, None));
    }
    Ok(Some(PersonExplanation {
        young_person_id: person.id.clone(),
        reference: person.reference.clone(),
        name: format!("{} {}", person.given_name, person.family_name)
            .trim()
            .to_string(),
        episodes,
        episodes_in_error: records::episodes_in_error_count(store, young_person_id)?,
        others,
    }))
}

/// What the manager's dashboard counts: the live set only (items of open episodes, the
/// after-exit clocks of exited ones until met or closed, and the open mentoring clocks), and
/// says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LiveCounts {
    pub overdue: usize,
    pub overdue_high_risk: usize,
    pub due_this_week: usize,
    /// Of all the above, the after-exit clocks (exit TOP, follow-ups) of exited episodes.
    pub after_exit: usize,
}

impl LiveCounts {
    /// The label the dashboard shows beside the counts.
    pub const LABEL: &'static str =
        "live work: open episodes, after-exit follow-ups, and mentoring";

    /// Counts `entries` (a due-list, which holds only live items).
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a DueEntry>) -> LiveCounts {
        let mut c = LiveCounts::default();
        for e in entries {
            match e.group {
                DueGroup::Overdue => {
                    c.overdue += 1;
                    if e.risk == Some(RiskLevel::High) {
                        c.overdue_high_risk += 1;
                    }
                }
                DueGroup::Today | DueGroup::ThisWeek => c.due_this_week += 1,
                DueGroup::Later => continue,
            }
            if e.after_exit {
                c.after_exit += 1;
            }
        }
        c
    }
}
