//! What the scale benchmark (`benches/targets.rs`, issue 13) asks of the file that is not
//! casework: the due-list's question asked as one SQL query, a copy of the records in a plain
//! indexed schema to compare sizes with, and the space each table takes. Kept here because
//! the store is the only place with SQL; nothing in casebook itself calls it.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection};

use super::Store;

/// The due-list's question as one SQL statement over the same file: the unmet items of open
/// episodes (triage, assessment, first intervention, structured treatment, care plan, start
/// TOP, next review), the exit TOP and follow-ups of planned exits (`?4`: the planned exit
/// codes as `,a,b,`) still open, active flag reviews and open did-not-attends, for
/// one key worker's young people (`?2`) or everyone's (`?2` NULL), due up to `?1` + the
/// horizon (`?3` days, NULL for all). Calendar days stand in for working days, so it is the
/// same reads and about the same items, not the same arithmetic: the bench compares its time,
/// and prints both counts.
const DUE_SQL: &str = "
WITH scope AS (
  SELECT e.id, e.young_person_id, e.referral_date, e.first_contact_date, e.triage_date,
         e.triage_outcome, e.assessment_date, e.treatment_start, e.care_plan_date, e.exit_date,
         e.key_worker_id
    FROM episodes e
   WHERE e.exit_date IS NULL AND e.in_error_at IS NULL
     AND (?2 IS NULL OR e.key_worker_id = ?2)
  UNION ALL
  SELECT e.id, e.young_person_id, e.referral_date, e.first_contact_date, e.triage_date,
         e.triage_outcome, e.assessment_date, e.treatment_start, e.care_plan_date, e.exit_date,
         e.key_worker_id
    FROM after_exit_open a JOIN episodes e ON e.id = a.episode_id
   WHERE instr(?4, ',' || a.exit_reason || ',') > 0
     AND (?2 IS NULL OR e.key_worker_id = ?2)
),
items AS (
  SELECT id, 'triage' AS kind, date(referral_date, '+2 days') AS due FROM scope
   WHERE triage_date IS NULL AND exit_date IS NULL
  UNION ALL
  SELECT id, 'assessment', date(triage_date, '+7 days') FROM scope
   WHERE triage_outcome = 'comprehensive_assessment' AND assessment_date IS NULL
     AND exit_date IS NULL
  UNION ALL
  SELECT id, 'first_intervention', date(referral_date, '+13 days') FROM scope
   WHERE treatment_start IS NULL AND exit_date IS NULL
     AND (triage_outcome = 'comprehensive_assessment' OR assessment_date IS NOT NULL)
  UNION ALL
  SELECT id, 'structured_treatment', date(coalesce(first_contact_date, triage_date), '+20 days')
    FROM scope
   WHERE treatment_start IS NULL AND exit_date IS NULL
     AND coalesce(first_contact_date, triage_date) IS NOT NULL
     AND (triage_outcome = 'comprehensive_assessment' OR assessment_date IS NOT NULL)
  UNION ALL
  SELECT s.id, 'top_start', date(s.treatment_start, '+14 days') FROM scope s
   WHERE s.treatment_start IS NOT NULL AND s.exit_date IS NULL
     AND NOT EXISTS (SELECT 1 FROM outcome_profiles t WHERE t.episode_id = s.id
                        AND t.in_error_at IS NULL
                        AND t.date >= date(s.treatment_start, '-14 days'))
  UNION ALL
  SELECT s.id, 'top_exit', date(s.exit_date, '+14 days') FROM scope s
   WHERE s.exit_date IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM outcome_profiles t WHERE t.episode_id = s.id
                        AND t.in_error_at IS NULL AND t.date >= date(s.exit_date, '-14 days'))
  UNION ALL
  SELECT id, 'care_plan', date(treatment_start, '+14 days') FROM scope
   WHERE treatment_start IS NOT NULL AND care_plan_date IS NULL AND exit_date IS NULL
  UNION ALL
  SELECT s.id, 'review',
         date(max(coalesce(s.assessment_date, s.treatment_start),
                  coalesce((SELECT max(r.date) FROM reviews r
                             WHERE r.episode_id = s.id AND r.in_error_at IS NULL), '')),
              '+84 days')
    FROM scope s
   WHERE coalesce(s.assessment_date, s.treatment_start) IS NOT NULL AND s.exit_date IS NULL
  UNION ALL
  SELECT n.id, m.kind, date(n.exit_date, m.after)
    FROM (SELECT s.id, s.exit_date, (SELECT count(DISTINCT f.date) FROM follow_ups f
                          WHERE f.episode_id = s.id AND f.in_error_at IS NULL
                            AND f.date > s.exit_date) AS done
            FROM scope s WHERE s.exit_date IS NOT NULL) n
    JOIN (SELECT 'follow_up_3m' AS kind, '+3 months' AS after, 1 AS needs
          UNION ALL SELECT 'follow_up_6m', '+6 months', 2) m ON n.done < m.needs
  UNION ALL
  SELECT f.id, 'risk_flag_review', f.review_date
    FROM risk_flags f
   WHERE f.closed_on IS NULL AND f.in_error_at IS NULL AND f.review_date IS NOT NULL
     AND (?2 IS NULL OR EXISTS (SELECT 1 FROM episodes e WHERE e.young_person_id = f.young_person_id
             AND e.key_worker_id = ?2 AND e.exit_date IS NULL AND e.in_error_at IS NULL))
  UNION ALL
  SELECT c.id, 'dna_follow_up', date(c.date, '+1 day')
    FROM contacts c
   WHERE c.did_not_attend = 1 AND c.dna_followed_up_on IS NULL AND c.in_error_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.id = c.episode_id
                        AND (e.exit_date IS NOT NULL OR e.in_error_at IS NOT NULL))
     AND (?2 IS NULL OR EXISTS (SELECT 1 FROM episodes e WHERE e.young_person_id = c.young_person_id
             AND e.key_worker_id = ?2 AND e.exit_date IS NULL AND e.in_error_at IS NULL))
)
SELECT kind, due FROM items
 WHERE ?3 IS NULL OR due <= date(?1, '+' || ?3 || ' days')
 ORDER BY due";

/// The items the one-query due-list finds (see [`DUE_SQL`]), counted by kind, reading every
/// row as a caller would.
pub fn due_items_one_query(
    store: &Store,
    today: NaiveDate,
    key_worker_id: Option<&str>,
    horizon_days: Option<u64>,
    planned_exit_codes: &[String],
) -> Result<Vec<(String, usize)>> {
    let planned = format!(",{},", planned_exit_codes.join(","));
    let mut stmt = store.conn().prepare_cached(DUE_SQL)?;
    let mut rows = stmt.query(params![
        today.to_string(),
        key_worker_id,
        horizon_days.map(|d| d as i64),
        planned
    ])?;
    let mut by_kind: std::collections::BTreeMap<String, usize> = Default::default();
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        let _due: Option<String> = r.get(1)?;
        *by_kind.entry(kind).or_default() += 1;
    }
    Ok(by_kind.into_iter().collect())
}

/// Tables that are not casework records: the audit, sync bookkeeping, drafts, what is worked
/// out from other tables. Left out of the plain copy.
fn is_bookkeeping(table: &str) -> bool {
    table.starts_with("audit")
        || table.starts_with("sync_")
        || table.starts_with("sqlite_")
        || matches!(
            table,
            "form_drafts" | "security_events" | "after_exit_open" | "schema_info"
        )
}

/// Copies every casework table's rows into a new unencrypted file at `dest` in a plain
/// indexed schema (the same columns, `id` as primary key, an index on each column that points
/// at another record or holds its date; no audit, no sync, no drafts), then VACUUMs it.
/// Returns the tables copied and their row counts.
pub fn plain_copy(store: &Store, dest: &Path) -> Result<Vec<(String, i64)>> {
    let conn = store.conn();
    if dest.exists() {
        std::fs::remove_file(dest)?;
    }
    let shown = dest.to_str().context("a plain-copy path that is UTF-8")?;
    // KEY '' makes the attached file unencrypted (SQLCipher).
    conn.execute("ATTACH DATABASE ?1 AS plain KEY ''", [shown])?;
    let result = copy_tables(conn);
    conn.execute("DETACH DATABASE plain", [])?;
    let copied = result?;
    let plain = Connection::open(dest)?;
    plain.execute_batch("VACUUM")?;
    Ok(copied)
}

fn copy_tables(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    conn.execute_batch("BEGIN")?;
    for t in tables.iter().filter(|t| !is_bookkeeping(t)) {
        let cols: Vec<(String, String, bool)> = conn
            .prepare(&format!("PRAGMA main.table_info(\"{t}\")"))?
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get::<_, i64>(5)? > 0)))?
            .collect::<rusqlite::Result<_>>()?;
        let defs: Vec<String> = cols
            .iter()
            .map(|(name, ty, pk)| {
                let pk = if *pk && cols.iter().filter(|c| c.2).count() == 1 {
                    " PRIMARY KEY"
                } else {
                    ""
                };
                format!("\"{name}\" {ty}{pk}")
            })
            .collect();
        conn.execute_batch(&format!(
            "CREATE TABLE plain.\"{t}\" ({}); INSERT INTO plain.\"{t}\" SELECT * FROM main.\"{t}\";",
            defs.join(", ")
        ))?;
        for (name, _, _) in &cols {
            let indexed = name.ends_with("_id") || name == "date" || name.ends_with("_date");
            if indexed && name != "id" {
                conn.execute_batch(&format!(
                    "CREATE INDEX plain.\"{t}_{name}\" ON \"{t}\"(\"{name}\");"
                ))?;
            }
        }
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM plain.\"{t}\""), [], |r| {
            r.get(0)
        })?;
        out.push((t.clone(), n));
    }
    conn.execute_batch("COMMIT")?;
    Ok(out)
}

/// Rewrites the file without its free pages (VACUUM), so its size is the records'.
pub fn vacuum(store: &Store) -> Result<()> {
    store.conn().execute_batch("VACUUM")?;
    Ok(())
}

/// Bytes each table takes in the file, its indexes included, largest first: from `dbstat`
/// when SQLite has it, else `None`.
pub fn bytes_by_table(store: &Store) -> Result<Option<Vec<(String, i64)>>> {
    let sql = "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d
                 LEFT JOIN sqlite_master m ON m.name = d.name
                GROUP BY 1 ORDER BY 2 DESC";
    let mut stmt = match store.conn().prepare(sql) {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
}

/// The audit log's rows and about the bytes they hold (changes, record id, two hashes and the
/// small columns), for when `dbstat` is missing.
pub fn audit_bytes_estimate(store: &Store) -> Result<(i64, i64)> {
    Ok(store.conn().query_row(
        "SELECT count(*), coalesce(sum(coalesce(length(changes), 0) + length(record_id) + 100), 0)
           FROM audit_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
