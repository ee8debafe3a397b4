//! Comprehensive assessments (S §8.5) and outcome profiles (S §8.9.4, L §3.1) in SQLite.
//!
//! Saving an assessment writes its needs and risk domains, sets the episode's assessment date
//! (which starts the 12-week review clock) and raises the risk flags it calls for — a high
//! `marac_referral` flag when DASH is 14 or more or on professional judgement, and any medium
//! or high domain the worker chose — all in the caller's transaction. A refused form comes back
//! as an error wrapping [`Invalid`] (`err.downcast_ref::<Invalid>()`), with a message per
//! field, and nothing is written.

use anyhow::{bail, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::records::{change_flag_level, raise_flag};
use super::values::*;
use super::{Store, Tx};
use crate::domain::assessment::{
    default_flag_review, marac_action, AreaRating, Assessment, AssessmentForm, Need, Occasion,
    OutcomeProfile, RiskDomain, RiskEntry, SubstanceDays, MARAC_FLAG_TYPE,
};
use crate::domain::codes::CodeLists;
use crate::domain::ids::new_id;
use crate::domain::record::{Episode, RiskFlag, RiskLevel};
use crate::domain::validate::{FieldError, Invalid};

/// A refusal the form shows at `field`.
pub(crate) fn refuse(field: &str, message: impl Into<String>) -> anyhow::Error {
    Invalid(vec![FieldError::new(field, message)]).into()
}

/// The episode's dates, read inside the transaction (entered-in-error episodes refused).
pub(crate) fn episode_in(conn: &Connection, episode_id: &str) -> Result<Episode> {
    let row = conn
        .prepare_cached(
            "SELECT id, young_person_id, referral_date, triage_date, triage_outcome,
                    assessment_date, treatment_start, care_plan_date, exit_date
             FROM episodes WHERE id = ?1 AND in_error_at IS NULL",
        )?
        .query_row([episode_id], |r| {
            Ok(Episode {
                id: r.get(0)?,
                young_person_id: r.get(1)?,
                referral_date: get_date(r, 2)?.unwrap_or_default(),
                triage_date: get_date(r, 3)?,
                triage_outcome: r.get(4)?,
                assessment_date: get_date(r, 5)?,
                treatment_start: get_date(r, 6)?,
                care_plan_date: get_date(r, 7)?,
                exit_date: get_date(r, 8)?,
                ..Default::default()
            })
        })
        .optional()?;
    match row {
        Some(e) => Ok(e),
        None => bail!("no episode with id {episode_id} (or it was entered in error)"),
    }
}

/// What saving an assessment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAssessment {
    pub id: String,
    /// The MARAC flag raised (or the active one already there), when MARAC applies.
    pub marac_flag_id: Option<String>,
    /// Flags raised (or raised in level) for the medium and high domains chosen, in order.
    pub flag_ids: Vec<String>,
}

/// Saves a comprehensive assessment for `episode_id`, as the transaction's actor, checking it
/// first ([`AssessmentForm::validate`]). The episode's `assessment_date` becomes this date
/// when it has none or a later one (a reassessment leaves the first date, which KPI 2b and
/// the review clock count from). Flags: a high `marac_referral` flag when
/// [`AssessmentForm::marac_referral`], and one per domain in `flag_domains` at that domain's
/// level. A young person who already has an active flag of that type keeps it (raised in
/// level if this assessment finds more), so flags are never doubled.
pub fn save_assessment(
    tx: &Tx,
    episode_id: &str,
    form: &AssessmentForm,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<SavedAssessment> {
    let episode = episode_in(tx.conn(), episode_id)?;
    form.validate(&episode, codes, today).into_result()?;

    let id = new_id();
    let marac = form.marac_referral();
    tx.insert(
        "assessments",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(form.date)),
            (
                "dash_yes_count",
                opt_int(form.dash_yes_count.map(i64::from)),
            ),
            ("marac_referral", boolean(marac)),
            ("notes", opt_text(Some(&form.notes))),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    for n in form.needs.iter().filter(|n| !n.need.trim().is_empty()) {
        tx.insert(
            "assessment_needs",
            &new_id(),
            &[
                ("assessment_id", text(&id)),
                ("domain", text(&n.domain)),
                ("need", opt_text(Some(&n.need))),
            ],
        )?;
    }
    for domain in RiskDomain::ALL {
        let Some(r) = form.risks.iter().find(|r| r.domain == domain) else {
            continue;
        };
        let Some(level) = r.level else { continue };
        tx.insert(
            "risk_assessments",
            &new_id(),
            &[
                ("assessment_id", text(&id)),
                ("domain", text(domain.code())),
                ("level", text(level.code())),
                ("action", opt_text(Some(&r.action))),
            ],
        )?;
    }

    if episode.assessment_date.is_none_or(|d| form.date < d) {
        tx.update(
            "episodes",
            episode_id,
            &[("assessment_date", date(form.date))],
        )?;
    }

    let raise = |flag_type: &str, level: RiskLevel, action: &str| {
        let review = form
            .flag_review_date
            .unwrap_or_else(|| default_flag_review(form.date, level));
        raise_once(tx, &episode, flag_type, level, action, form.date, review)
    };
    let marac_flag_id = if marac {
        Some(raise(
            MARAC_FLAG_TYPE,
            RiskLevel::High,
            &marac_action(form.dash_yes_count),
        )?)
    } else {
        None
    };
    let mut flag_ids = Vec::new();
    for d in &form.flag_domains {
        let Some(r) = form.risks.iter().find(|r| r.domain == *d) else {
            continue;
        };
        let Some(level) = r.level else { continue };
        flag_ids.push(raise(d.code(), level, r.action.trim())?);
    }
    Ok(SavedAssessment {
        id,
        marac_flag_id,
        flag_ids,
    })
}

/// Raises a flag of `flag_type` for the episode's young person, unless one is active already:
/// then that one is kept, and raised to `level` if it is lower.
fn raise_once(
    tx: &Tx,
    episode: &Episode,
    flag_type: &str,
    level: RiskLevel,
    action: &str,
    on: NaiveDate,
    review_date: NaiveDate,
) -> Result<String> {
    let existing: Option<(String, String)> = tx
        .conn()
        .prepare_cached(
            "SELECT id, level FROM risk_flags
             WHERE young_person_id = ?1 AND flag_type = ?2 AND closed_on IS NULL
               AND in_error_at IS NULL
             ORDER BY raised_on DESC LIMIT 1",
        )?
        .query_row(params![episode.young_person_id, flag_type], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((id, old)) = existing {
        if RiskLevel::from_code(&old).is_some_and(|o| o < level) {
            change_flag_level(
                tx,
                &id,
                on,
                level,
                &format!(
                    "Comprehensive assessment on {on} found the risk {}",
                    level.code()
                ),
            )?;
        }
        return Ok(id);
    }
    let action = if action.is_empty() {
        "Follow the risk management plan in the care plan"
    } else {
        action
    };
    raise_flag(
        tx,
        &RiskFlag {
            id: String::new(),
            young_person_id: episode.young_person_id.clone(),
            episode_id: Some(episode.id.clone()),
            flag_type: flag_type.to_string(),
            level,
            raised_by: tx.actor().to_string(),
            raised_on: on,
            action: action.to_string(),
            review_date: Some(review_date),
            closed_on: None,
            closed_by: None,
            close_reason: None,
        },
    )
}

const ASSESSMENT_COLS: &str =
    "id, episode_id, date, dash_yes_count, marac_referral, notes, worker_id";

fn assessment_row(r: &rusqlite::Row) -> rusqlite::Result<Assessment> {
    Ok(Assessment {
        id: r.get(0)?,
        episode_id: r.get(1)?,
        date: get_date(r, 2)?.unwrap_or_default(),
        dash_yes_count: r.get::<_, Option<i64>>(3)?.map(|n| n as i32),
        marac_referral: get_bool(r, 4)?.unwrap_or(false),
        notes: r.get(5)?,
        worker_id: r.get(6)?,
        needs: Vec::new(),
        risks: Vec::new(),
    })
}

/// Fills in needs and risks for `list`, two queries for the lot.
fn fill_assessments(
    conn: &Connection,
    list: &mut [Assessment],
    where_sql: &str,
    arg: &str,
) -> Result<()> {
    let mut needs = conn.prepare_cached(&format!(
        "SELECT n.assessment_id, n.domain, n.need FROM assessment_needs n
         WHERE n.assessment_id IN (SELECT id FROM assessments WHERE {where_sql})
         ORDER BY n.rowid"
    ))?;
    let mut rows = needs.query([arg])?;
    while let Some(r) = rows.next()? {
        let aid: String = r.get(0)?;
        if let Some(a) = list.iter_mut().find(|a| a.id == aid) {
            a.needs.push(Need {
                domain: r.get(1)?,
                need: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            });
        }
    }
    let mut risks = conn.prepare_cached(&format!(
        "SELECT x.assessment_id, x.domain, x.level, x.action FROM risk_assessments x
         WHERE x.assessment_id IN (SELECT id FROM assessments WHERE {where_sql})"
    ))?;
    let mut rows = risks.query([arg])?;
    while let Some(r) = rows.next()? {
        let aid: String = r.get(0)?;
        let Some(domain) = RiskDomain::from_code(&r.get::<_, String>(1)?) else {
            continue;
        };
        if let Some(a) = list.iter_mut().find(|a| a.id == aid) {
            a.risks.push(RiskEntry {
                domain,
                level: RiskLevel::from_code(&r.get::<_, String>(2)?),
                action: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            });
        }
    }
    for a in list.iter_mut() {
        a.risks.sort_by_key(|r| r.domain);
    }
    Ok(())
}

/// One assessment with its needs and risks.
pub fn assessment(store: &Store, id: &str) -> Result<Option<Assessment>> {
    let conn = store.conn();
    let a = conn
        .query_row(
            &format!("SELECT {ASSESSMENT_COLS} FROM assessments WHERE id = ?1"),
            [id],
            assessment_row,
        )
        .optional()?;
    let Some(a) = a else { return Ok(None) };
    let mut list = vec![a];
    fill_assessments(conn, &mut list, "id = ?1", id)?;
    Ok(list.pop())
}

/// An episode's assessments, newest first (entered-in-error ones left out), in three queries.
pub fn assessments_of(store: &Store, episode_id: &str) -> Result<Vec<Assessment>> {
    let conn = store.conn();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ASSESSMENT_COLS} FROM assessments
         WHERE episode_id = ?1 AND in_error_at IS NULL ORDER BY date DESC, id DESC"
    ))?;
    let mut list: Vec<Assessment> = stmt
        .query_map([episode_id], assessment_row)?
        .collect::<rusqlite::Result<_>>()?;
    fill_assessments(
        conn,
        &mut list,
        "episode_id = ?1 AND in_error_at IS NULL",
        episode_id,
    )?;
    Ok(list)
}

/// The episode's latest assessment: the one the care plan's risk links are checked against.
pub fn latest_assessment(store: &Store, episode_id: &str) -> Result<Option<Assessment>> {
    Ok(assessments_of(store, episode_id)?.into_iter().next())
}

// ---------------------------------------------------------------------------------------------
// Outcome profiles
// ---------------------------------------------------------------------------------------------

/// Records an outcome profile for `episode_id` as the transaction's actor, after checking it
/// ([`OutcomeProfile::validate_in`]). Returns its ID.
pub fn record_outcome_profile(
    tx: &Tx,
    episode_id: &str,
    profile: &OutcomeProfile,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<String> {
    let episode = episode_in(tx.conn(), episode_id)?;
    profile.validate_in(&episode, codes, today).into_result()?;
    insert_outcome_profile(tx, episode_id, profile)
}

/// Writes a profile already checked.
pub(crate) fn insert_outcome_profile(
    tx: &Tx,
    episode_id: &str,
    p: &OutcomeProfile,
) -> Result<String> {
    let id = if p.id.is_empty() {
        new_id()
    } else {
        p.id.clone()
    };
    let small = |v: Option<i32>| opt_int(v.map(i64::from));
    tx.insert(
        "outcome_profiles",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(p.date)),
            ("occasion", text(p.occasion.code())),
            ("injecting_days", small(p.injecting_days)),
            ("sharing", opt_bool(p.sharing)),
            ("offending_days", small(p.offending_days)),
            ("psychological_health", small(p.psychological_health)),
            ("physical_health", small(p.physical_health)),
            ("quality_of_life", small(p.quality_of_life)),
            ("accommodation", opt_text(p.accommodation.as_deref())),
            (
                "education_employment",
                opt_text(p.education_employment.as_deref()),
            ),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    for s in &p.substance_days {
        tx.insert(
            "outcome_substance_days",
            &new_id(),
            &[
                ("profile_id", text(&id)),
                ("substance", text(&s.substance)),
                ("days", int(i64::from(s.days))),
            ],
        )?;
    }
    for r in &p.ratings {
        tx.insert(
            "outcome_ratings",
            &new_id(),
            &[
                ("profile_id", text(&id)),
                ("area", text(&r.area)),
                ("rating", int(i64::from(r.rating))),
            ],
        )?;
    }
    Ok(id)
}

/// An episode's outcome profiles, oldest first (the order [`trend`] draws), in three queries.
///
/// [`trend`]: crate::domain::assessment::trend
pub fn outcome_profiles_of(store: &Store, episode_id: &str) -> Result<Vec<OutcomeProfile>> {
    let conn = store.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT id, episode_id, date, occasion, injecting_days, sharing, offending_days,
                psychological_health, physical_health, quality_of_life, accommodation,
                education_employment, worker_id
         FROM outcome_profiles WHERE episode_id = ?1 AND in_error_at IS NULL
         ORDER BY date, created_at, id",
    )?;
    let small = |r: &rusqlite::Row, i: usize| -> rusqlite::Result<Option<i32>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(|v| v as i32))
    };
    let mut list: Vec<OutcomeProfile> = stmt
        .query_map([episode_id], |r| {
            Ok(OutcomeProfile {
                id: r.get(0)?,
                episode_id: r.get(1)?,
                date: get_date(r, 2)?.unwrap_or_default(),
                occasion: Occasion::from_code(&r.get::<_, String>(3)?).unwrap_or(Occasion::Other),
                injecting_days: small(r, 4)?,
                sharing: get_bool(r, 5)?,
                offending_days: small(r, 6)?,
                psychological_health: small(r, 7)?,
                physical_health: small(r, 8)?,
                quality_of_life: small(r, 9)?,
                accommodation: r.get(10)?,
                education_employment: r.get(11)?,
                worker_id: r.get(12)?,
                substance_days: Vec::new(),
                ratings: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let index: std::collections::HashMap<String, usize> = list
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let mut days = conn.prepare_cached(
        "SELECT s.profile_id, s.substance, s.days FROM outcome_substance_days s
         JOIN outcome_profiles p ON p.id = s.profile_id
         WHERE p.episode_id = ?1 AND p.in_error_at IS NULL ORDER BY s.rowid",
    )?;
    let mut rows = days.query([episode_id])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
            list[i].substance_days.push(SubstanceDays {
                substance: r.get(1)?,
                days: r.get::<_, i64>(2)? as i32,
            });
        }
    }
    let mut ratings = conn.prepare_cached(
        "SELECT s.profile_id, s.area, s.rating FROM outcome_ratings s
         JOIN outcome_profiles p ON p.id = s.profile_id
         WHERE p.episode_id = ?1 AND p.in_error_at IS NULL ORDER BY s.rowid",
    )?;
    let mut rows = ratings.query([episode_id])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
            list[i].ratings.push(AreaRating {
                area: r.get(1)?,
                rating: r.get::<_, i64>(2)? as i32,
            });
        }
    }
    Ok(list)
}
