//! The caseload index: one slim row per young person, read in one query so the terminal UI can
//! hold a whole service (100,000 young people) in memory and filter and sort it without going
//! back to the database. Also the few case-view lists `records` does not read.
//!
//! The query scans `young_people` once; everything per young person is an index search
//! (current episode via `episodes_young_person`, active flags via `risk_flags_active`, last
//! contact via `contacts_young_person`), never a scan of another table per row.

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Row};

use super::values::*;
use super::Store;
use crate::domain::record::{Episode, RiskLevel, Stage};

/// What the caseload table needs about one young person and their current episode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseloadRow {
    pub young_person_id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    /// Lower-cased, accent-folded "given family" (for searching).
    pub name_key: String,
    pub date_of_birth: Option<NaiveDate>,
    pub postcode_district: Option<String>,
    /// The current episode: the open one with the latest referral, else the latest.
    pub episode: Option<EpisodeDates>,
    pub key_worker_id: Option<String>,
    pub key_worker_name: Option<String>,
    /// Highest level among active risk flags.
    pub highest_risk: Option<RiskLevel>,
    /// Earliest review date among active risk flags.
    pub flag_review_due: Option<NaiveDate>,
    pub last_contact: Option<NaiveDate>,
}

/// The milestone dates of the current episode: enough for the stage column and the clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeDates {
    pub episode_id: String,
    pub referral_date: NaiveDate,
    pub first_contact_date: Option<NaiveDate>,
    pub triage_date: Option<NaiveDate>,
    pub triage_outcome: Option<String>,
    pub assessment_date: Option<NaiveDate>,
    pub treatment_start: Option<NaiveDate>,
    pub care_plan_date: Option<NaiveDate>,
    pub exit_date: Option<NaiveDate>,
}

impl EpisodeDates {
    /// Where the episode has got to.
    pub fn stage(&self) -> Stage {
        Stage::of(&Episode {
            referral_date: self.referral_date,
            triage_date: self.triage_date,
            assessment_date: self.assessment_date,
            treatment_start: self.treatment_start,
            exit_date: self.exit_date,
            ..Default::default()
        })
    }
}

impl CaseloadRow {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_string()
    }
}

const CASELOAD_SQL: &str = "
SELECT yp.id, yp.reference, yp.given_name, yp.family_name, yp.name_key, yp.date_of_birth,
       yp.postcode_district,
       e.id, e.referral_date, e.first_contact_date, e.triage_date, e.triage_outcome,
       e.assessment_date, e.treatment_start, e.care_plan_date, e.exit_date,
       e.key_worker_id, w.name,
       (SELECT max(CASE f.level WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)
          FROM risk_flags f
         WHERE f.young_person_id = yp.id AND f.closed_on IS NULL AND f.in_error_at IS NULL),
       (SELECT min(f.review_date)
          FROM risk_flags f
         WHERE f.young_person_id = yp.id AND f.closed_on IS NULL AND f.in_error_at IS NULL),
       (SELECT c.date FROM contacts c
         WHERE c.young_person_id = yp.id AND c.in_error_at IS NULL
         ORDER BY c.date DESC LIMIT 1)
  FROM young_people yp
  LEFT JOIN episodes e ON e.id = (
       SELECT e2.id FROM episodes e2
        WHERE e2.young_person_id = yp.id AND e2.in_error_at IS NULL
        ORDER BY e2.exit_date IS NULL DESC, e2.referral_date DESC, e2.id DESC LIMIT 1)
  LEFT JOIN workers w ON w.id = e.key_worker_id
 WHERE yp.in_error_at IS NULL";

fn row_from(r: &Row) -> rusqlite::Result<CaseloadRow> {
    let episode = match r.get::<_, Option<String>>(7)? {
        Some(episode_id) => Some(EpisodeDates {
            episode_id,
            referral_date: get_date(r, 8)?.unwrap_or_default(),
            first_contact_date: get_date(r, 9)?,
            triage_date: get_date(r, 10)?,
            triage_outcome: r.get(11)?,
            assessment_date: get_date(r, 12)?,
            treatment_start: get_date(r, 13)?,
            care_plan_date: get_date(r, 14)?,
            exit_date: get_date(r, 15)?,
        }),
        None => None,
    };
    let highest_risk = match r.get::<_, Option<i64>>(18)? {
        Some(3) => Some(RiskLevel::High),
        Some(2) => Some(RiskLevel::Medium),
        Some(_) => Some(RiskLevel::Low),
        None => None,
    };
    Ok(CaseloadRow {
        young_person_id: r.get(0)?,
        reference: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        name_key: r.get(4)?,
        date_of_birth: get_date(r, 5)?,
        postcode_district: r.get(6)?,
        episode,
        key_worker_id: r.get(16)?,
        key_worker_name: r.get(17)?,
        highest_risk,
        flag_review_due: get_date(r, 19)?,
        last_contact: get_date(r, 20)?,
    })
}

/// Every young person not entered in error, in no particular order (the screen sorts them;
/// an ORDER BY here would visit the rows in index order, at random across the file).
pub fn caseload(store: &Store) -> Result<Vec<CaseloadRow>> {
    let mut stmt = store.conn().prepare(CASELOAD_SQL)?;
    let rows = stmt.query_map([], row_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One young person's caseload row (after a write, to refresh just that row).
pub fn caseload_row(store: &Store, young_person_id: &str) -> Result<Option<CaseloadRow>> {
    let mut stmt = store
        .conn()
        .prepare_cached(&format!("{CASELOAD_SQL} AND yp.id = ?1"))?;
    let mut rows = stmt.query_map([young_person_id], row_from)?;
    Ok(rows.next().transpose()?)
}

/// The first screenful of the caseload, for the first frame while the whole list is read in
/// the background: the open episodes whose key worker is `worker_id`, or, when they have none,
/// everyone's open episodes, by reference (the order the screen shows before what is due is
/// known), at most `limit`. Reads the worker's episodes through `episodes_key_worker`, and the
/// team's through the reference index, stopping at `limit`.
pub fn caseload_first_page(
    store: &Store,
    worker_id: &str,
    limit: usize,
) -> Result<Vec<CaseloadRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mine = format!(
        "{CASELOAD_SQL}
           AND yp.id IN (SELECT m.young_person_id FROM episodes m
                          WHERE m.key_worker_id = ?1 AND m.exit_date IS NULL
                            AND m.in_error_at IS NULL)
           AND e.exit_date IS NULL AND e.key_worker_id = ?1
         ORDER BY yp.reference LIMIT ?2"
    );
    let mut stmt = store.conn().prepare(&mine)?;
    let rows: Vec<CaseloadRow> = stmt
        .query_map(params![worker_id, limit], row_from)?
        .collect::<rusqlite::Result<_>>()?;
    if !rows.is_empty() {
        return Ok(rows);
    }
    let team = format!("{CASELOAD_SQL} AND e.exit_date IS NULL ORDER BY yp.reference LIMIT ?1");
    let mut stmt = store.conn().prepare(&team)?;
    let rows = stmt.query_map(params![limit], row_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// SQLite's plan for the caseload query, one line per step (for tests and `casebook check`).
pub fn caseload_query_plan(store: &Store) -> Result<Vec<String>> {
    let mut stmt = store
        .conn()
        .prepare(&format!("EXPLAIN QUERY PLAN {CASELOAD_SQL}"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A referral out to another service (S §10), as the case view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralOut {
    pub episode_id: String,
    pub date: NaiveDate,
    pub service: String,
    pub reason: Option<String>,
    pub joint_working: bool,
}

/// A young person's referrals out across all episodes, newest first.
pub fn referrals_out_of(store: &Store, young_person_id: &str) -> Result<Vec<ReferralOut>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT r.episode_id, r.date, r.service, r.reason, r.joint_working
           FROM referrals_out r JOIN episodes e ON e.id = r.episode_id
          WHERE e.young_person_id = ?1 AND r.in_error_at IS NULL AND e.in_error_at IS NULL
          ORDER BY r.date DESC, r.id DESC",
    )?;
    let rows = stmt.query_map([young_person_id], |r| {
        Ok(ReferralOut {
            episode_id: r.get(0)?,
            date: get_date(r, 1)?.unwrap_or_default(),
            service: r.get(2)?,
            reason: r.get(3)?,
            joint_working: get_bool(r, 4)?.unwrap_or(false),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The dated events the clocks read for one episode, each list oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeEvents {
    pub reviews: Vec<NaiveDate>,
    pub outcome_profiles: Vec<NaiveDate>,
    /// Follow-ups that reached the young person (attempts keep the clock open).
    pub follow_ups: Vec<NaiveDate>,
    /// After-exit clocks closed by a worker.
    pub closed_clocks: Vec<crate::domain::record::ClosedClock>,
}

/// Reviews, outcome profiles (TOP) and follow-ups of one episode.
pub fn episode_events(store: &Store, episode_id: &str) -> Result<EpisodeEvents> {
    let mut out = EpisodeEvents::default();
    let reached = super::follow_ups::REACHED_SQL;
    for (table, only, list) in [
        ("reviews", "1", &mut out.reviews),
        ("outcome_profiles", "1", &mut out.outcome_profiles),
        // Attempts that did not reach the young person keep the clock open.
        ("follow_ups", reached, &mut out.follow_ups),
    ] {
        let mut stmt = store.conn().prepare_cached(&format!(
            "SELECT f.date FROM {table} f WHERE f.episode_id = ?1 AND f.in_error_at IS NULL
                AND {only} ORDER BY f.date"
        ))?;
        let rows = stmt.query_map(params![episode_id], |r| get_date(r, 0))?;
        for d in rows {
            list.extend(d?);
        }
    }
    out.closed_clocks = super::follow_ups::closed_clocks_of(store, episode_id)?;
    Ok(out)
}

/// Dates of a young person's did-not-attends not yet followed up.
pub fn open_dna_dates(store: &Store, young_person_id: &str) -> Result<Vec<NaiveDate>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT c.date FROM contacts c WHERE c.young_person_id = ?1 AND c.did_not_attend = 1
            AND c.dna_followed_up_on IS NULL AND c.in_error_at IS NULL
            -- stops when the contact's episode exits or is entered in error
            AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.id = c.episode_id
                               AND (e.exit_date IS NOT NULL OR e.in_error_at IS NOT NULL))
          ORDER BY c.date",
    )?;
    let rows = stmt.query_map([young_person_id], |r| get_date(r, 0))?;
    let mut out = Vec::new();
    for d in rows {
        out.extend(d?);
    }
    Ok(out)
}

/// How many contacts a young person has (the case view pages through them).
pub fn contact_count(store: &Store, young_person_id: &str) -> Result<i64> {
    Ok(store.conn().query_row(
        "SELECT count(*) FROM contacts WHERE young_person_id = ?1 AND in_error_at IS NULL",
        [young_person_id],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Clock;
    use crate::domain::record::{Contact, RiskFlag, Role, YoungPerson};
    use crate::store::{people, records};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_row_carries_the_current_episode_highest_flag_and_last_contact() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Clock::fixed(d("2025-06-02")).now();
        let w = people::ensure_worker(&mut store, "Ama Mensah", Role::Duty, now).unwrap();
        let yp = store
            .write(&w.id, now, |tx| {
                let (yp, _) = people::create_young_person(
                    tx,
                    &YoungPerson {
                        given_name: "Zoë".into(),
                        family_name: "Hart".into(),
                        postcode_district: Some("so14".into()),
                        ..Default::default()
                    },
                )?;
                records::create_episode(
                    tx,
                    &Episode {
                        young_person_id: yp.clone(),
                        referral_date: d("2024-01-10"),
                        exit_date: Some(d("2024-05-01")),
                        ..Default::default()
                    },
                )?;
                let open = records::create_episode(
                    tx,
                    &Episode {
                        young_person_id: yp.clone(),
                        referral_date: d("2025-05-01"),
                        triage_date: Some(d("2025-05-02")),
                        key_worker_id: Some(w.id.clone()),
                        ..Default::default()
                    },
                )?;
                for (level, review) in [
                    (RiskLevel::Medium, "2025-07-01"),
                    (RiskLevel::High, "2025-06-20"),
                ] {
                    records::raise_flag(
                        tx,
                        &RiskFlag {
                            id: String::new(),
                            young_person_id: yp.clone(),
                            episode_id: Some(open.clone()),
                            flag_type: "self_harm".into(),
                            level,
                            raised_by: w.id.clone(),
                            raised_on: d("2025-05-02"),
                            action: "check in weekly".into(),
                            review_date: Some(d(review)),
                            closed_on: None,
                            closed_by: None,
                            close_reason: None,
                        },
                    )?;
                }
                for day in ["2025-05-03", "2025-05-20", "2025-05-10"] {
                    records::add_contact(
                        tx,
                        &Contact {
                            young_person_id: yp.clone(),
                            date: d(day),
                            contact_type: "session".into(),
                            ..Default::default()
                        },
                    )?;
                }
                Ok(yp)
            })
            .unwrap();
        let rows = caseload(&store).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.young_person_id, yp);
        assert_eq!(r.name_key, "zoe hart");
        assert_eq!(r.postcode_district.as_deref(), Some("SO14"));
        let e = r.episode.as_ref().unwrap();
        assert_eq!(e.referral_date, d("2025-05-01"));
        assert_eq!(e.stage(), Stage::Triaged);
        assert_eq!(r.key_worker_name.as_deref(), Some("Ama Mensah"));
        assert_eq!(r.highest_risk, Some(RiskLevel::High));
        assert_eq!(r.flag_review_due, Some(d("2025-06-20")));
        assert_eq!(r.last_contact, Some(d("2025-05-20")));
        assert_eq!(caseload_row(&store, &yp).unwrap().as_ref(), Some(r));
        assert_eq!(contact_count(&store, &yp).unwrap(), 3);
    }

    #[test]
    fn the_caseload_query_scans_only_young_people() {
        let store = Store::open_in_memory().unwrap();
        let plan = caseload_query_plan(&store).unwrap();
        let scans: Vec<&String> = plan.iter().filter(|l| l.starts_with("SCAN")).collect();
        assert_eq!(scans, vec!["SCAN yp"], "{plan:#?}");
        assert!(
            plan.iter().any(|l| l.contains("contacts_last")),
            "{plan:#?}"
        );
    }
}
