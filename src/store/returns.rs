//! What the quarterly returns are counted from, read in one snapshot with set-based queries:
//! the episodes that can touch the quarter (with their reviews, outcome profiles, substances,
//! joint working and the young person's vulnerabilities), the outreach tallies and the contacts
//! the returns count. No names or references are read here: the figures never see them.
//! [`people`] reads those separately for a manager's drill-down.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};
use rusqlite::params;

use super::follow_ups::{closed_from, REACHED_SQL};
use super::values::*;
use super::Store;
use crate::domain::record::ClosedClock;

/// One episode and what the counting rules read about it and its young person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeRow {
    pub episode_id: String,
    pub young_person_id: String,
    pub date_of_birth: Option<NaiveDate>,
    /// Code from `sex`.
    pub sex: Option<String>,
    /// Code from `ethnicity`.
    pub ethnicity: Option<String>,
    pub referral_date: NaiveDate,
    pub referral_source: Option<String>,
    pub triage_date: Option<NaiveDate>,
    pub triage_outcome: Option<String>,
    pub assessment_date: Option<NaiveDate>,
    pub treatment_start: Option<NaiveDate>,
    pub care_plan_date: Option<NaiveDate>,
    pub key_worker_assigned: bool,
    /// The episode says it was joint worked, or a referral out was marked joint working.
    pub joint_worked: bool,
    pub exit_date: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    /// Reviews held, oldest first.
    pub review_dates: Vec<NaiveDate>,
    /// Outcome profiles (TOP) recorded, oldest first.
    pub top_dates: Vec<NaiveDate>,
    /// Substances, primary first.
    pub substances: Vec<SubstanceRow>,
    /// Injecting status from the triage, when recorded.
    pub injecting: Option<String>,
    /// The young person's vulnerabilities, in code order.
    pub vulnerabilities: Vec<String>,
    /// Follow-ups after the exit that reached the young person (S §20.5), oldest first.
    pub follow_up_dates: Vec<NaiveDate>,
    /// After-exit clocks a worker closed with a reason.
    pub closed_clocks: Vec<ClosedClock>,
}

/// A substance recorded for an episode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubstanceRow {
    /// 1 primary, 2 secondary, 3+ others.
    pub rank: i64,
    pub substance: String,
    pub route: Option<String>,
}

/// An outreach tally dated in the quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    pub id: String,
    pub date: NaiveDate,
    pub setting: String,
    pub count: u64,
    pub age_band: String,
    pub gender: String,
    pub brief_intervention: String,
}

/// A contact of one of the types the returns count, dated in the quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub contact_id: String,
    pub young_person_id: String,
    pub episode_id: Option<String>,
    pub date: NaiveDate,
    pub contact_type: String,
    pub did_not_attend: bool,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
}

/// Everything a return is counted from, read in one transaction so the figures are one
/// consistent snapshot even while another terminal writes.
#[derive(Debug, Clone, Default)]
pub struct ReturnInputs {
    pub episodes: Vec<EpisodeRow>,
    pub tallies: Vec<TallyRow>,
    pub contacts: Vec<ContactRow>,
    /// The mentoring project's rows (L §10.3 A v, viii; B).
    pub mentoring: super::mentoring::MentoringReturnRows,
    /// Rows per table (entered-in-error ones included), for the manifest.
    pub record_counts: Vec<(String, i64)>,
}

/// The contact types any return counts.
pub const COUNTED_CONTACT_TYPES: &[&str] = &[
    "brief_intervention_alcohol",
    "brief_intervention_drugs",
    "mentor_session",
    "parent_carer_advice",
];

/// Days before the quarter an assessment may fall and still have its first review deadline
/// (assessment + 84 days, KPI 4b) inside the quarter.
pub const FIRST_REVIEW_DAYS: i64 = 84;

/// Months before the quarter an exit may fall and still have a follow-up due in it (the 6-month
/// follow-up, with a month's slack for month ends; the rules decide exactly).
pub const FOLLOW_UP_MONTHS: u32 = 7;

/// The episodes that can touch the quarter `?1`..`?2`: any milestone dated in it, a
/// first-review deadline in it (`?3` = start − 84 days), a review in it, in treatment at its
/// end, or an exit whose follow-ups may fall due in it (`?4` = start − 7 months). Each arm is a range on an indexed date column, so SQLite answers it with one index
/// search per arm (a multi-index OR) rather than a scan of the table.
const EPISODE_IN_WINDOW: &str = "(e.referral_date BETWEEN ?1 AND ?2
      OR e.triage_date BETWEEN ?1 AND ?2
      OR e.assessment_date BETWEEN ?3 AND ?2
      OR e.treatment_start BETWEEN ?1 AND ?2
      OR e.care_plan_date BETWEEN ?1 AND ?2
      OR e.exit_date BETWEEN ?4 AND ?2
      OR (e.treatment_start <= ?2 AND (e.exit_date IS NULL OR e.exit_date > ?2))
      OR e.id IN (SELECT episode_id FROM reviews
                  WHERE date BETWEEN ?1 AND ?2 AND in_error_at IS NULL))";

/// Where loading has got to: `(stage, done, total)`.
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Loads what the returns for the quarter `start..=end` are counted from. Entered-in-error
/// records (and everything belonging to an entered-in-error young person or episode) are left
/// out here, so no rule can count them.
pub fn load(
    store: &Store,
    start: NaiveDate,
    end: NaiveDate,
    progress: Progress,
) -> Result<ReturnInputs> {
    // A read transaction: every query below sees the same snapshot.
    let tx = store
        .conn()
        .unchecked_transaction()
        .context("cannot start reading the record")?;
    let out = load_in(store, start, end, progress)?;
    tx.finish()?;
    Ok(out)
}

fn load_in(
    store: &Store,
    start: NaiveDate,
    end: NaiveDate,
    progress: Progress,
) -> Result<ReturnInputs> {
    const STAGES: usize = 9;
    let conn = store.conn();
    let (s, e) = (date_text(start), date_text(end));
    let review_from = date_text(start - Duration::days(FIRST_REVIEW_DAYS));
    let exit_from = date_text(
        start
            .checked_sub_months(chrono::Months::new(FOLLOW_UP_MONTHS))
            .unwrap_or(NaiveDate::MIN),
    );
    let live = "e.in_error_at IS NULL AND yp.in_error_at IS NULL";

    progress("reading episodes", 0, STAGES);
    let mut episodes: Vec<EpisodeRow> = Vec::new();
    {
        let sql = format!(
            "SELECT e.id, e.young_person_id, yp.date_of_birth, yp.sex, yp.ethnicity,
                    e.referral_date, e.referral_source, e.triage_date, e.triage_outcome,
                    e.assessment_date, e.treatment_start, e.care_plan_date,
                    e.key_worker_id IS NOT NULL, e.joint_worked, e.exit_date, e.exit_reason
             FROM episodes e JOIN young_people yp ON yp.id = e.young_person_id
             WHERE {EPISODE_IN_WINDOW} AND {live}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params![s, e, review_from, exit_from])?;
        while let Some(r) = rows.next()? {
            let row = EpisodeRow {
                episode_id: r.get(0)?,
                young_person_id: r.get(1)?,
                date_of_birth: get_date(r, 2)?,
                sex: r.get(3)?,
                ethnicity: r.get(4)?,
                referral_date: get_date(r, 5)?.unwrap_or_default(),
                referral_source: r.get(6)?,
                triage_date: get_date(r, 7)?,
                triage_outcome: r.get(8)?,
                assessment_date: get_date(r, 9)?,
                treatment_start: get_date(r, 10)?,
                care_plan_date: get_date(r, 11)?,
                key_worker_assigned: get_bool(r, 12)?.unwrap_or(false),
                joint_worked: get_bool(r, 13)?.unwrap_or(false),
                exit_date: get_date(r, 14)?,
                exit_reason: r.get(15)?,
                ..Default::default()
            };
            episodes.push(row);
        }
    }
    // Sorted here, not by SQL: an ORDER BY would lead SQLite to walk the referral-date index
    // over the whole table instead of searching each date range.
    episodes.sort_unstable_by(|a, b| {
        (a.referral_date, &a.episode_id).cmp(&(b.referral_date, &b.episode_id))
    });
    let index: HashMap<String, usize> = episodes
        .iter()
        .enumerate()
        .map(|(i, e)| (e.episode_id.clone(), i))
        .collect();

    // What hangs off those episodes, each table in one pass that looks the episodes up by
    // ID (a JSON array SQLite reads with `json_each`) rather than re-running the search.
    let ids = serde_json::to_string(&episodes.iter().map(|e| &e.episode_id).collect::<Vec<_>>())?;
    let people_ids = {
        let mut p: Vec<&String> = episodes.iter().map(|e| &e.young_person_id).collect();
        p.sort_unstable();
        p.dedup();
        serde_json::to_string(&p)?
    };
    for (stage, (table, which)) in [("reviews", 0u8), ("outcome_profiles", 1)]
        .into_iter()
        .enumerate()
    {
        progress(
            &format!("reading {}", table.replace('_', " ")),
            stage + 1,
            STAGES,
        );
        let sql = format!(
            "SELECT x.episode_id, x.date FROM json_each(?1) j JOIN {table} x ON x.episode_id = j.value
             WHERE x.in_error_at IS NULL"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            let ep: String = r.get(0)?;
            let (Some(&i), Some(d)) = (index.get(&ep), get_date(r, 1)?) else {
                continue;
            };
            match which {
                0 => episodes[i].review_dates.push(d),
                _ => episodes[i].top_dates.push(d),
            }
        }
    }
    // Follow-ups and closed follow-up clocks, for the local follow-up figure (S §20.5).
    {
        let sql = format!(
            "SELECT f.episode_id, f.date FROM json_each(?1) j JOIN follow_ups f ON f.episode_id = j.value
             WHERE f.in_error_at IS NULL AND {REACHED_SQL}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            let ep: String = r.get(0)?;
            if let (Some(&i), Some(d)) = (index.get(&ep), get_date(r, 1)?) {
                episodes[i].follow_up_dates.push(d);
            }
        }
        let sql = "SELECT c.episode_id, c.clock, c.closed_on, c.reason FROM json_each(?1) j
             JOIN clock_closures c ON c.episode_id = j.value
             WHERE c.in_error_at IS NULL ORDER BY c.closed_on, c.id";
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            let ep: String = r.get(0)?;
            let closed = closed_from(&r.get::<_, String>(1)?, get_date(r, 2)?, r.get(3)?);
            if let (Some(&i), Some(c)) = (index.get(&ep), closed) {
                episodes[i].closed_clocks.push(c);
            }
        }
    }
    for ep in &mut episodes {
        ep.review_dates.sort_unstable();
        ep.top_dates.sort_unstable();
        ep.follow_up_dates.sort_unstable();
    }

    progress("reading joint working", 3, STAGES);
    {
        let sql = "SELECT DISTINCT x.episode_id FROM json_each(?1) j
             JOIN referrals_out x ON x.episode_id = j.value
             WHERE x.in_error_at IS NULL AND x.joint_working = 1";
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                episodes[i].joint_worked = true;
            }
        }
    }

    progress("reading substances", 4, STAGES);
    {
        let sql = "SELECT x.episode_id, x.rank, x.substance, x.route
             FROM json_each(?1) j JOIN episode_substances x ON x.episode_id = j.value
             WHERE x.in_error_at IS NULL ORDER BY x.episode_id, x.rank, x.id";
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                episodes[i].substances.push(SubstanceRow {
                    rank: r.get(1)?,
                    substance: r.get(2)?,
                    route: r.get(3)?,
                });
            }
        }
        let sql = "SELECT x.episode_id, x.injecting FROM json_each(?1) j
             JOIN triages x ON x.episode_id = j.value
             WHERE x.in_error_at IS NULL AND x.injecting IS NOT NULL";
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                episodes[i].injecting = r.get(1)?;
            }
        }
    }

    progress("reading vulnerabilities", 5, STAGES);
    {
        let sql = "SELECT v.young_person_id, v.code FROM json_each(?1) j
             JOIN young_person_vulnerabilities v ON v.young_person_id = j.value
             WHERE v.in_error_at IS NULL ORDER BY v.young_person_id, v.code";
        let mut of_person: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in episodes.iter().enumerate() {
            of_person
                .entry(e.young_person_id.as_str())
                .or_default()
                .push(i);
        }
        let mut found: Vec<(usize, String)> = Vec::new();
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([&people_ids])?;
        while let Some(r) = rows.next()? {
            let yp: String = r.get(0)?;
            let code: String = r.get(1)?;
            for &i in of_person.get(yp.as_str()).into_iter().flatten() {
                found.push((i, code.clone()));
            }
        }
        drop(of_person);
        for (i, code) in found {
            episodes[i].vulnerabilities.push(code);
        }
    }

    progress("reading outreach tallies", 6, STAGES);
    let mut tallies = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, date, setting, count, age_band, gender, brief_intervention
             FROM outreach_tallies WHERE date BETWEEN ?1 AND ?2 AND in_error_at IS NULL
             ORDER BY date, id",
        )?;
        let mut rows = stmt.query(params![s, e])?;
        while let Some(r) = rows.next()? {
            let Some(date) = get_date(r, 1)? else {
                continue;
            };
            tallies.push(TallyRow {
                id: r.get(0)?,
                date,
                setting: r.get(2)?,
                count: r.get::<_, i64>(3)?.max(0) as u64,
                age_band: r.get(4)?,
                gender: r.get(5)?,
                brief_intervention: r.get(6)?,
            });
        }
    }

    progress("reading contacts", 7, STAGES);
    let mut contacts = Vec::new();
    {
        let types: Vec<String> = COUNTED_CONTACT_TYPES
            .iter()
            .map(|t| format!("'{t}'"))
            .collect();
        let sql = format!(
            "SELECT c.id, c.young_person_id, c.episode_id, c.date, c.contact_type,
                    c.did_not_attend, yp.date_of_birth, yp.sex, yp.ethnicity
             FROM contacts c JOIN young_people yp ON yp.id = c.young_person_id
             LEFT JOIN episodes e ON e.id = c.episode_id
             WHERE c.date BETWEEN ?1 AND ?2 AND c.contact_type IN ({})
               AND c.in_error_at IS NULL AND yp.in_error_at IS NULL AND e.in_error_at IS NULL
             ORDER BY c.date, c.id",
            types.join(", ")
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params![s, e])?;
        while let Some(r) = rows.next()? {
            let Some(date) = get_date(r, 3)? else {
                continue;
            };
            contacts.push(ContactRow {
                contact_id: r.get(0)?,
                young_person_id: r.get(1)?,
                episode_id: r.get(2)?,
                date,
                contact_type: r.get(4)?,
                did_not_attend: get_bool(r, 5)?.unwrap_or(false),
                date_of_birth: get_date(r, 6)?,
                sex: r.get(7)?,
                ethnicity: r.get(8)?,
            });
        }
    }

    let mentoring = super::mentoring::return_rows(conn, start, end)?;

    progress("counting records", 8, STAGES);
    let record_counts = super::records::record_counts(store)?
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect();
    progress("read", STAGES, STAGES);
    Ok(ReturnInputs {
        episodes,
        tallies,
        contacts,
        mentoring,
        record_counts,
    })
}

/// A young person as a manager's drill-down shows them (never used in an export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonShown {
    pub reference: String,
    pub name: String,
}

/// References and names for the given young person IDs.
pub fn people(store: &Store, ids: &[&str]) -> Result<HashMap<String, PersonShown>> {
    let mut out = HashMap::new();
    let mut stmt = store.conn().prepare_cached(
        "SELECT reference, given_name || ' ' || family_name FROM young_people WHERE id = ?1",
    )?;
    for id in ids {
        if out.contains_key(*id) {
            continue;
        }
        let mut rows = stmt.query([id])?;
        if let Some(r) = rows.next()? {
            out.insert(
                id.to_string(),
                PersonShown {
                    reference: r.get(0)?,
                    name: r.get::<_, String>(1)?.trim().to_string(),
                },
            );
        }
    }
    Ok(out)
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}
