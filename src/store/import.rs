//! The SQL the register import needs beyond `people` and `records`: finding what an earlier
//! import (or a caseworker) already recorded, and the audited writes for triage answers,
//! substances, vulnerabilities and an episode's import key. All run inside the import's one
//! transaction; statements are cached, so a 100,000-row register prepares each once.

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};

use super::values::*;
use super::Tx;
use crate::domain::ids::new_id;

/// An episode that came from a register.
pub struct ImportedEpisode {
    pub import_key: String,
    pub young_person_id: String,
    /// The young person has since been marked as entered in error.
    pub young_person_in_error: bool,
}

/// Every episode that came from a register (those marked in error too: a re-import must not
/// bring them back), in one query.
pub fn imported_episodes(tx: &Tx) -> Result<Vec<ImportedEpisode>> {
    let mut stmt = tx.conn().prepare_cached(
        "SELECT e.import_key, e.young_person_id, yp.in_error_at IS NOT NULL
         FROM episodes e JOIN young_people yp ON yp.id = e.young_person_id
         WHERE e.import_key IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ImportedEpisode {
            import_key: r.get(0)?,
            young_person_id: r.get(1)?,
            young_person_in_error: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// `+date_of_birth` keeps SQLite on the name index: thousands share a birthday, few a name,
// and without statistics the planner may pick the birthday index and scan them all.
const NAMED: &str = "SELECT id FROM young_people
     WHERE name_key = ?1 AND +date_of_birth = ?2 AND in_error_at IS NULL ORDER BY id";

/// Young people (not entered in error) with these folded names (`name_key`) and date of birth.
pub fn young_people_named(tx: &Tx, name_key: &str, dob: NaiveDate) -> Result<Vec<String>> {
    let mut stmt = tx.conn().prepare_cached(NAMED)?;
    let rows = stmt.query_map(params![name_key, date(dob)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The young person with this casebook reference (canonical form), if any.
pub fn young_person_with_reference(tx: &Tx, reference: &str) -> Result<Option<String>> {
    Ok(tx
        .conn()
        .prepare_cached("SELECT id FROM young_people WHERE reference = ?1 AND in_error_at IS NULL")?
        .query_row([reference], |r| r.get(0))
        .optional()?)
}

/// A young person's episode (not entered in error) referred on `on`, if any: the same
/// episode, whether an earlier import or a caseworker recorded it.
pub fn episode_referred_on(
    tx: &Tx,
    young_person_id: &str,
    on: NaiveDate,
) -> Result<Option<String>> {
    Ok(tx
        .conn()
        .prepare_cached(
            "SELECT id FROM episodes
             WHERE young_person_id = ?1 AND referral_date = ?2 AND in_error_at IS NULL
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![young_person_id, date(on)], |r| r.get(0))
        .optional()?)
}

/// Every worker as `(name, id)`.
pub fn workers_by_name(tx: &Tx) -> Result<Vec<(String, String)>> {
    let mut stmt = tx.conn().prepare_cached("SELECT name, id FROM workers")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether the worker ID exists.
pub fn worker_exists(tx: &Tx, id: &str) -> Result<bool> {
    Ok(tx
        .conn()
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM workers WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))?)
}

/// Marks an episode as coming from the register row with `key`, so a re-import matches it.
pub fn set_import_key(tx: &Tx, episode_id: &str, key: &str) -> Result<()> {
    tx.update("episodes", episode_id, &[("import_key", text(key))])?;
    Ok(())
}

/// Records a triage's date, outcome and injecting status (S §8.4) for an episode.
pub fn add_triage(
    tx: &Tx,
    episode_id: &str,
    on: NaiveDate,
    outcome: &str,
    injecting: Option<&str>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "triages",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("outcome", text(outcome)),
            ("injecting", opt_text(injecting)),
        ],
    )?;
    Ok(id)
}

/// Records a substance for an episode: rank 1 primary, 2 secondary.
pub fn add_episode_substance(
    tx: &Tx,
    episode_id: &str,
    rank: u8,
    substance: &str,
    route: Option<&str>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "episode_substances",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("rank", int(i64::from(rank))),
            ("substance", text(substance)),
            ("route", opt_text(route)),
        ],
    )?;
    Ok(id)
}

/// Records a vulnerability (S §20.6 item 9) unless the young person already has it.
/// Returns whether it was added.
pub fn add_vulnerability(
    tx: &Tx,
    young_person_id: &str,
    code: &str,
    recorded_on: NaiveDate,
) -> Result<bool> {
    let known: bool = tx
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM young_person_vulnerabilities
             WHERE young_person_id = ?1 AND code = ?2)",
        )?
        .query_row(params![young_person_id, code], |r| r.get(0))?;
    if known {
        return Ok(false);
    }
    tx.insert(
        "young_person_vulnerabilities",
        &new_id(),
        &[
            ("young_person_id", text(young_person_id)),
            ("code", text(code)),
            ("recorded_on", date(recorded_on)),
        ],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn names_and_birthday_are_looked_up_through_the_name_index() {
        let store = Store::open_in_memory().unwrap();
        let plan: Vec<String> = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::NAMED))
            .unwrap()
            .query_map(["amy lee", "2009-01-01"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter().any(|p| p.contains("young_people_name_key")),
            "{plan:?}"
        );
    }
}
