//! Episodes and what hangs off them: contacts, risk flags, reviews, outcome profiles,
//! follow-ups, referrals out, outreach tallies.

use anyhow::{bail, Result};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Row};

use super::values::*;
use super::{Store, Tx};
use crate::domain::ids::new_id;
use crate::domain::record::{Contact, Episode, OutreachTally, RiskFlag, RiskLevel};

const EPISODE_COLS: &str = "id, young_person_id, referral_date, referral_source, referrer, \
    referrer_contact, referral_reason, urgency, first_contact_date, triage_date, triage_outcome, \
    assessment_date, treatment_start, intervention, care_plan_date, key_worker_id, joint_worked, \
    exit_date, exit_reason";

pub(crate) fn episode_from_row(r: &Row) -> rusqlite::Result<Episode> {
    Ok(Episode {
        id: r.get(0)?,
        young_person_id: r.get(1)?,
        referral_date: get_date(r, 2)?.unwrap_or_default(),
        referral_source: r.get(3)?,
        referrer: r.get(4)?,
        referrer_contact: r.get(5)?,
        referral_reason: r.get(6)?,
        urgency: r.get(7)?,
        first_contact_date: get_date(r, 8)?,
        triage_date: get_date(r, 9)?,
        triage_outcome: r.get(10)?,
        assessment_date: get_date(r, 11)?,
        treatment_start: get_date(r, 12)?,
        intervention: r.get(13)?,
        care_plan_date: get_date(r, 14)?,
        key_worker_id: r.get(15)?,
        joint_worked: get_bool(r, 16)?.unwrap_or(false),
        exit_date: get_date(r, 17)?,
        exit_reason: r.get(18)?,
    })
}

fn episode_columns(e: &Episode) -> Vec<(&'static str, rusqlite::types::Value)> {
    vec![
        ("young_person_id", text(&e.young_person_id)),
        ("referral_date", date(e.referral_date)),
        ("referral_source", opt_text(e.referral_source.as_deref())),
        ("referrer", opt_text(e.referrer.as_deref())),
        ("referrer_contact", opt_text(e.referrer_contact.as_deref())),
        ("referral_reason", opt_text(e.referral_reason.as_deref())),
        ("urgency", opt_text(e.urgency.as_deref())),
        ("first_contact_date", opt_date(e.first_contact_date)),
        ("triage_date", opt_date(e.triage_date)),
        ("triage_outcome", opt_text(e.triage_outcome.as_deref())),
        ("assessment_date", opt_date(e.assessment_date)),
        ("treatment_start", opt_date(e.treatment_start)),
        ("intervention", opt_text(e.intervention.as_deref())),
        ("care_plan_date", opt_date(e.care_plan_date)),
        ("key_worker_id", opt_text(e.key_worker_id.as_deref())),
        ("joint_worked", boolean(e.joint_worked)),
        ("exit_date", opt_date(e.exit_date)),
        ("exit_reason", opt_text(e.exit_reason.as_deref())),
    ]
}

/// Opens a new episode; returns its ID.
pub fn create_episode(tx: &Tx, e: &Episode) -> Result<String> {
    let id = if e.id.is_empty() {
        new_id()
    } else {
        e.id.clone()
    };
    tx.insert("episodes", &id, &episode_columns(e))?;
    Ok(id)
}

/// Saves an episode's fields, auditing what changed.
pub fn update_episode(tx: &Tx, e: &Episode) -> Result<usize> {
    tx.update("episodes", &e.id, &episode_columns(e))
}

pub fn episode(store: &Store, id: &str) -> Result<Option<Episode>> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {EPISODE_COLS} FROM episodes WHERE id = ?1"),
            [id],
            episode_from_row,
        )
        .optional()?)
}

/// A young person's episodes, newest referral first (entered-in-error ones left out).
pub fn episodes_of(store: &Store, young_person_id: &str) -> Result<Vec<Episode>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {EPISODE_COLS} FROM episodes WHERE young_person_id = ?1 AND in_error_at IS NULL
         ORDER BY referral_date DESC, id DESC"
    ))?;
    let rows = stmt.query_map([young_person_id], episode_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many of a young person's episodes were entered in error.
pub fn episodes_in_error_count(store: &Store, young_person_id: &str) -> Result<usize> {
    let n: i64 = store.conn().query_row(
        "SELECT count(*) FROM episodes WHERE young_person_id = ?1 AND in_error_at IS NOT NULL",
        [young_person_id],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as usize)
}

const CONTACT_COLS: &str = "id, young_person_id, episode_id, date, time, contact_type, \
    duration_minutes, present, note, did_not_attend, dna_follow_up, worker_id";

fn contact_from_row(r: &Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: r.get(0)?,
        young_person_id: r.get(1)?,
        episode_id: r.get(2)?,
        date: get_date(r, 3)?.unwrap_or_default(),
        time: r.get(4)?,
        contact_type: r.get(5)?,
        duration_minutes: r.get::<_, Option<i64>>(6)?.map(|m| m.max(0) as u32),
        present: r.get(7)?,
        note: r.get(8)?,
        did_not_attend: get_bool(r, 9)?.unwrap_or(false),
        dna_follow_up: r.get(10)?,
        worker_id: r.get(11)?,
    })
}

/// Records a contact (or a did-not-attend); returns its ID.
pub fn add_contact(tx: &Tx, c: &Contact) -> Result<String> {
    let id = if c.id.is_empty() {
        new_id()
    } else {
        c.id.clone()
    };
    tx.insert(
        "contacts",
        &id,
        &[
            ("young_person_id", text(&c.young_person_id)),
            ("episode_id", opt_text(c.episode_id.as_deref())),
            ("date", date(c.date)),
            ("time", opt_text(c.time.as_deref())),
            ("contact_type", text(&c.contact_type)),
            (
                "duration_minutes",
                opt_int(c.duration_minutes.map(i64::from)),
            ),
            ("present", opt_text(c.present.as_deref())),
            ("note", opt_text(c.note.as_deref())),
            ("did_not_attend", boolean(c.did_not_attend)),
            ("dna_follow_up", opt_text(c.dna_follow_up.as_deref())),
            ("worker_id", opt_text(c.worker_id.as_deref())),
        ],
    )?;
    Ok(id)
}

/// Records that a did-not-attend was followed up on `on`.
pub fn mark_dna_followed_up(tx: &Tx, contact_id: &str, on: NaiveDate) -> Result<()> {
    tx.update("contacts", contact_id, &[("dna_followed_up_on", date(on))])?;
    Ok(())
}

/// A young person's contacts, newest first, one page at a time.
pub fn contacts_of(
    store: &Store,
    young_person_id: &str,
    limit: usize,
    offset: usize,
) -> Result<Vec<Contact>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {CONTACT_COLS} FROM contacts WHERE young_person_id = ?1 AND in_error_at IS NULL
         ORDER BY date DESC, time DESC, id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(
        params![young_person_id, limit as i64, offset as i64],
        contact_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const FLAG_COLS: &str = "id, young_person_id, episode_id, flag_type, level, raised_by, raised_on, \
    action, review_date, closed_on, closed_by, close_reason";

pub(crate) fn flag_from_row(r: &Row) -> rusqlite::Result<RiskFlag> {
    let level: String = r.get(4)?;
    Ok(RiskFlag {
        id: r.get(0)?,
        young_person_id: r.get(1)?,
        episode_id: r.get(2)?,
        flag_type: r.get(3)?,
        level: RiskLevel::from_code(&level).unwrap_or(RiskLevel::High),
        raised_by: r.get(5)?,
        raised_on: get_date(r, 6)?.unwrap_or_default(),
        action: r.get(7)?,
        review_date: get_date(r, 8)?,
        closed_on: get_date(r, 9)?,
        closed_by: r.get(10)?,
        close_reason: r.get(11)?,
    })
}

fn flag_event(
    tx: &Tx,
    flag_id: &str,
    on: NaiveDate,
    kind: &str,
    level: Option<RiskLevel>,
    review_date: Option<NaiveDate>,
    note: Option<&str>,
) -> Result<()> {
    tx.insert(
        "risk_flag_events",
        &new_id(),
        &[
            ("flag_id", text(flag_id)),
            ("date", date(on)),
            ("worker_id", text(tx.actor())),
            ("kind", text(kind)),
            ("level", opt_text(level.map(RiskLevel::code))),
            ("review_date", opt_date(review_date)),
            ("note", opt_text(note)),
        ],
    )
}

/// Raises a risk flag as the transaction's actor; returns its ID.
pub fn raise_flag(tx: &Tx, f: &RiskFlag) -> Result<String> {
    if f.action.trim().is_empty() {
        bail!("action: say what to do about this risk");
    }
    let id = if f.id.is_empty() {
        new_id()
    } else {
        f.id.clone()
    };
    tx.insert(
        "risk_flags",
        &id,
        &[
            ("young_person_id", text(&f.young_person_id)),
            ("episode_id", opt_text(f.episode_id.as_deref())),
            ("flag_type", text(&f.flag_type)),
            ("level", text(f.level.code())),
            ("raised_by", text(&f.raised_by)),
            ("raised_on", date(f.raised_on)),
            ("action", text(f.action.trim())),
            ("review_date", opt_date(f.review_date)),
        ],
    )?;
    flag_event(
        tx,
        &id,
        f.raised_on,
        "raised",
        Some(f.level),
        f.review_date,
        Some(&f.action),
    )?;
    Ok(id)
}

/// Records a review of a flag: a note, and the next review date.
pub fn review_flag(
    tx: &Tx,
    flag_id: &str,
    on: NaiveDate,
    note: &str,
    next_review: Option<NaiveDate>,
) -> Result<()> {
    tx.update(
        "risk_flags",
        flag_id,
        &[("review_date", opt_date(next_review))],
    )?;
    flag_event(tx, flag_id, on, "reviewed", None, next_review, Some(note))
}

/// Changes a flag's level, with a note saying why.
pub fn change_flag_level(
    tx: &Tx,
    flag_id: &str,
    on: NaiveDate,
    level: RiskLevel,
    note: &str,
) -> Result<()> {
    tx.update("risk_flags", flag_id, &[("level", text(level.code()))])?;
    flag_event(
        tx,
        flag_id,
        on,
        "level_changed",
        Some(level),
        None,
        Some(note),
    )
}

/// Closes a flag with the reason; its history stays.
pub fn resolve_flag(tx: &Tx, flag_id: &str, on: NaiveDate, reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        bail!("reason: say why the risk is resolved");
    }
    tx.update(
        "risk_flags",
        flag_id,
        &[
            ("closed_on", date(on)),
            ("closed_by", text(tx.actor())),
            ("close_reason", text(reason.trim())),
        ],
    )?;
    flag_event(tx, flag_id, on, "resolved", None, None, Some(reason))
}

/// A young person's flags, active first, highest level first.
pub fn flags_of(store: &Store, young_person_id: &str) -> Result<Vec<RiskFlag>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {FLAG_COLS} FROM risk_flags WHERE young_person_id = ?1 AND in_error_at IS NULL
         ORDER BY closed_on IS NOT NULL, CASE level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                  raised_on DESC"
    ))?;
    let rows = stmt.query_map([young_person_id], flag_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One risk flag by its ID (closed ones too; not those marked in error).
pub fn flag(store: &Store, flag_id: &str) -> Result<Option<RiskFlag>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {FLAG_COLS} FROM risk_flags WHERE id = ?1 AND in_error_at IS NULL"
    ))?;
    let mut rows = stmt.query_map([flag_id], flag_from_row)?;
    Ok(rows.next().transpose()?)
}

/// One event in a flag's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagEvent {
    pub date: NaiveDate,
    pub worker_id: String,
    pub kind: String,
    pub level: Option<String>,
    pub review_date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A flag's history, oldest first.
pub fn flag_history(store: &Store, flag_id: &str) -> Result<Vec<FlagEvent>> {
    let mut stmt = store.conn().prepare(
        "SELECT date, worker_id, kind, level, review_date, note FROM risk_flag_events
         WHERE flag_id = ?1 ORDER BY date, created_at, rowid",
    )?;
    let rows = stmt.query_map([flag_id], |r| {
        Ok(FlagEvent {
            date: get_date(r, 0)?.unwrap_or_default(),
            worker_id: r.get(1)?,
            kind: r.get(2)?,
            level: r.get(3)?,
            review_date: get_date(r, 4)?,
            note: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records a review held on `on` for an episode; returns its ID.
pub fn add_review(
    tx: &Tx,
    episode_id: &str,
    on: NaiveDate,
    participants: Option<&str>,
    notes: Option<&str>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "reviews",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("participants", opt_text(participants)),
            ("notes", opt_text(notes)),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    Ok(id)
}

/// Records a bare outcome profile (TOP) for an episode; the detailed form adds scores.
pub fn add_outcome_profile(
    tx: &Tx,
    episode_id: &str,
    on: NaiveDate,
    occasion: &str,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "outcome_profiles",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("occasion", text(occasion)),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    Ok(id)
}

/// Records a follow-up after exit.
pub fn add_follow_up(
    tx: &Tx,
    episode_id: &str,
    on: NaiveDate,
    note: Option<&str>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "follow_ups",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("note", opt_text(note)),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    Ok(id)
}

/// Records a referral out to another service (S §10).
pub fn add_referral_out(
    tx: &Tx,
    episode_id: &str,
    on: NaiveDate,
    service: &str,
    reason: Option<&str>,
    joint_working: bool,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "referrals_out",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("service", text(service)),
            ("reason", opt_text(reason)),
            ("joint_working", boolean(joint_working)),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    Ok(id)
}

/// Records an outreach tally.
pub fn add_outreach_tally(tx: &Tx, t: &OutreachTally) -> Result<String> {
    if t.count == 0 {
        bail!("count: an outreach tally counts at least one young person");
    }
    let id = if t.id.is_empty() {
        new_id()
    } else {
        t.id.clone()
    };
    tx.insert(
        "outreach_tallies",
        &id,
        &[
            ("date", date(t.date)),
            ("setting", text(&t.setting)),
            ("count", int(t.count as i64)),
            ("age_band", text(&t.age_band)),
            ("gender", text(&t.gender)),
            ("brief_intervention", text(&t.brief_intervention)),
            ("worker_id", opt_text(t.worker_id.as_deref())),
        ],
    )?;
    Ok(id)
}

/// Record counts for `casebook check` and the export manifest, in a fixed order.
pub fn record_counts(store: &Store) -> Result<Vec<(&'static str, i64)>> {
    const TABLES: &[&str] = &[
        "workers",
        "young_people",
        "episodes",
        "triages",
        "assessments",
        "risk_flags",
        "care_plans",
        "reviews",
        "outcome_profiles",
        "contacts",
        "referrals_out",
        "follow_ups",
        "outreach_tallies",
        "audit_log",
    ];
    let mut out = Vec::new();
    for t in TABLES {
        let n: i64 = store
            .conn()
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
        out.push((*t, n));
    }
    Ok(out)
}

/// An active flag with what the flags list shows beside it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActiveFlag {
    #[serde(flatten)]
    pub flag: RiskFlag,
    pub reference: String,
    pub name: String,
    pub raised_by_name: Option<String>,
}

/// Every active risk flag across the caseload: highest level first, then the review that is
/// due soonest (flags with no review date last).
pub fn active_flags(store: &Store) -> Result<Vec<ActiveFlag>> {
    let cols: Vec<String> = FLAG_COLS.split(", ").map(|c| format!("f.{c}")).collect();
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {}, yp.reference, yp.given_name || ' ' || yp.family_name, w.name
         FROM risk_flags f JOIN young_people yp ON yp.id = f.young_person_id
         LEFT JOIN workers w ON w.id = f.raised_by
         WHERE f.closed_on IS NULL AND f.in_error_at IS NULL AND yp.in_error_at IS NULL
         ORDER BY CASE f.level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                  f.review_date IS NULL, f.review_date, yp.reference",
        cols.join(", ")
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(ActiveFlag {
            flag: flag_from_row(r)?,
            reference: r.get(12)?,
            name: r.get::<_, String>(13)?.trim().to_string(),
            raised_by_name: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
