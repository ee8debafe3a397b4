//! Possible duplicates (issue 15): two devices each registered the same young person. A key
//! worker or manager decides: the same person (merge one into the other) or not (dismiss).
//!
//! A decision is a row of `sync_duplicate_decisions`, written with its effects in one
//! `Store::write` and travelling like casework. A merge moves everything keyed by the merged
//! young person to the kept one, and marks the merged one entered in error with
//! `merged_into` set: nothing is deleted, and every read that skips records entered in error
//! (caseload, search, returns) skips it.
//!
//! Two devices may decide one item apart. Every device keeps every decision, and the same one
//! stands everywhere: a merge before a dismissal (a merge has moved records that others have
//! since built on; keeping two apart again is a person's job, not the sync engine's), then the
//! earlier decision, then the lower id. After each bundle is applied the standing merges are
//! enforced ([`settle`]), which also moves a record another device keyed to the merged young
//! person before it heard of the merge.

use anyhow::{bail, Result};
use chrono::DateTime;
use chrono::Utc;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::super::values::text;
use super::super::Store;
use crate::domain::ids::new_id;
use crate::domain::roles::Permission;

/// How a merge's entered-in-error reason begins (the kept record's reference follows).
const MERGED_INTO: &str = "merged into ";

fn merge_reason(kept_reference: &str) -> String {
    format!("{MERGED_INTO}{kept_reference}: the same young person registered twice")
}

/// One of the two young people of a possible duplicate, as a person deciding needs to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateSide {
    pub young_person_id: String,
    pub reference: String,
    /// Names are for the screen; `--format json` leaves them out.
    #[serde(skip)]
    pub given_name: String,
    #[serde(skip)]
    pub family_name: String,
    pub date_of_birth: Option<String>,
    /// Episodes not entered in error.
    pub episodes: i64,
    /// The key worker of the latest episode.
    #[serde(skip)]
    pub key_worker: Option<String>,
    /// The device that registered the young person (its name, else its id).
    pub registered_on: Option<String>,
}

impl DuplicateSide {
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// A possible duplicate waiting for a person's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PossibleDuplicate {
    pub id: String,
    pub a: DuplicateSide,
    pub b: DuplicateSide,
}

/// A decision on a possible duplicate, and whether it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateDecision {
    pub id: String,
    pub duplicate_id: String,
    /// `merge` or `not_duplicate`.
    pub decision: String,
    pub kept_reference: Option<String>,
    pub merged_reference: Option<String>,
    /// The worker's name (their id when this device does not know them).
    pub decided_by: String,
    pub decided_at: String,
    /// False when another decision on the same item stands instead (made apart on another
    /// device): it is kept, and shown, so a person can look again.
    pub stands: bool,
}

/// The tables with a `young_person_id` (what a merge moves), by name.
fn keyed_tables(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'young_person_id' AND m.name NOT LIKE 'sync_%'
             ORDER BY m.name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The records keyed by `from` that a merge into `to` moves. A vulnerability the kept record
/// already has stays with the merged one (one per code per young person), kept and unseen.
fn rows_to_move(conn: &Connection, from: &str, to: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for t in keyed_tables(conn)? {
        let sql = if t == "young_person_vulnerabilities" {
            format!(
                "SELECT id FROM {t} v WHERE young_person_id = ?1 AND NOT EXISTS
                 (SELECT 1 FROM {t} k WHERE k.young_person_id = ?2 AND k.code = v.code)
                 ORDER BY id"
            )
        } else {
            format!("SELECT id FROM {t} WHERE young_person_id = ?1 AND ?2 IS NOT NULL ORDER BY id")
        };
        let ids: Vec<String> = conn
            .prepare_cached(&sql)?
            .query_map([from, to], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.extend(ids.into_iter().map(|id| (t.clone(), id)));
    }
    Ok(out)
}

/// The young person's own details a merge fills in on the kept record where it has none.
const DETAILS: &[&str] = &[
    "date_of_birth",
    "sex",
    "gender",
    "ethnicity",
    "postcode_district",
    "gp_registered",
    "looked_after",
    "consent_to_share",
    "consent_date",
    "parent_carer_involved",
];

/// The merged record's details the kept record lacks (nothing the kept record says is
/// overwritten).
fn details_to_fill(
    conn: &Connection,
    keep: &str,
    merged: &str,
) -> Result<Vec<(&'static str, Value)>> {
    let cols = DETAILS.join(", ");
    let sql = format!("SELECT {cols} FROM young_people WHERE id = ?1");
    let read = |id: &str| -> Result<Vec<Value>> {
        Ok(conn.query_row(&sql, [id], |r| {
            (0..DETAILS.len()).map(|i| r.get::<_, Value>(i)).collect()
        })?)
    };
    let (k, m) = (read(keep)?, read(merged)?);
    Ok(DETAILS
        .iter()
        .zip(k.into_iter().zip(m))
        .filter(|(_, (k, m))| *k == Value::Null && *m != Value::Null)
        .map(|(c, (_, m))| (*c, m))
        .collect())
}

fn reference_of(conn: &Connection, id: &str) -> Result<String> {
    conn.prepare_cached("SELECT reference FROM young_people WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("no young person with id {id}"))
}

/// The open item for two young people (in either order): its id and the pair as stored.
fn open_item(conn: &Connection, x: &str, y: &str) -> Result<Option<(String, String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT p.id, p.young_person_a, p.young_person_b FROM sync_possible_duplicates p
             JOIN young_people a ON a.id = p.young_person_a
             JOIN young_people b ON b.id = p.young_person_b
             WHERE ((p.young_person_a = ?1 AND p.young_person_b = ?2)
                 OR (p.young_person_a = ?2 AND p.young_person_b = ?1))
               AND a.in_error_at IS NULL AND b.in_error_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sync_duplicate_decisions d WHERE d.duplicate_id = p.id)",
        )?
        .query_row([x, y], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

fn not_waiting(conn: &Connection, x: &str, y: &str) -> anyhow::Error {
    let x = reference_of(conn, x).unwrap_or_else(|_| x.to_string());
    let y = reference_of(conn, y).unwrap_or_else(|_| y.to_string());
    anyhow::anyhow!(
        "{x} and {y} are not a possible duplicate waiting for a decision (someone has decided \
         already, one of them is entered in error, or they were never found alike); see \
         `casebook sync duplicates`"
    )
}

/// The possible duplicates waiting for a decision, oldest pair first.
pub fn open_duplicates(store: &Store) -> Result<Vec<PossibleDuplicate>> {
    let conn = store.conn();
    let pairs: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT p.id, p.young_person_a, p.young_person_b FROM sync_possible_duplicates p
             JOIN young_people a ON a.id = p.young_person_a
             JOIN young_people b ON b.id = p.young_person_b
             WHERE a.in_error_at IS NULL AND b.in_error_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sync_duplicate_decisions d WHERE d.duplicate_id = p.id)
             ORDER BY p.young_person_a, p.young_person_b",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    pairs
        .into_iter()
        .map(|(id, a, b)| {
            Ok(PossibleDuplicate {
                id,
                a: side(conn, &a)?,
                b: side(conn, &b)?,
            })
        })
        .collect()
}

fn side(conn: &Connection, id: &str) -> Result<DuplicateSide> {
    let (reference, given_name, family_name, date_of_birth) = conn
        .prepare_cached(
            "SELECT reference, given_name, family_name, date_of_birth FROM young_people WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let episodes: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM episodes WHERE young_person_id = ?1 AND in_error_at IS NULL",
        )?
        .query_row([id], |r| r.get(0))?;
    let key_worker: Option<String> = conn
        .prepare_cached(
            "SELECT w.name FROM episodes e JOIN workers w ON w.id = e.key_worker_id
             WHERE e.young_person_id = ?1 AND e.in_error_at IS NULL
             ORDER BY e.exit_date IS NULL DESC, e.referral_date DESC, e.id DESC LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let registered_on: Option<String> = conn
        .prepare_cached(
            "SELECT coalesce(s.name, d.device_id) FROM audit_log a
             JOIN audit_device d ON d.n = a.device
             LEFT JOIN sync_devices s ON s.device_id = d.device_id
             WHERE a.table_name = 'young_people' AND a.record_id = ?1 AND a.action = 'insert'
             ORDER BY a.seq LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(DuplicateSide {
        young_person_id: id.to_string(),
        reference,
        given_name,
        family_name,
        date_of_birth,
        episodes,
        key_worker,
        registered_on,
    })
}

/// Every decision made on a possible duplicate, newest first, with whether it stands.
pub fn duplicate_decisions(store: &Store) -> Result<Vec<DuplicateDecision>> {
    let conn = store.conn();
    let standing: std::collections::HashSet<String> = standing_decisions(conn)?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let mut stmt = conn.prepare(
        "SELECT d.id, d.duplicate_id, d.decision, k.reference, m.reference,
                coalesce(w.name, d.decided_by), d.created_at
         FROM sync_duplicate_decisions d
         LEFT JOIN young_people k ON k.id = d.kept_id
         LEFT JOIN young_people m ON m.id = d.merged_id
         LEFT JOIN workers w ON w.id = d.decided_by
         ORDER BY d.created_at DESC, d.id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        let id: String = r.get(0)?;
        Ok(DuplicateDecision {
            stands: standing.contains(&id),
            id,
            duplicate_id: r.get(1)?,
            decision: r.get(2)?,
            kept_reference: r.get(3)?,
            merged_reference: r.get(4)?,
            decided_by: r.get(5)?,
            decided_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The two young people of an open item, by their references (either order).
pub fn duplicate_by_references(
    store: &Store,
    first: &str,
    second: &str,
) -> Result<(String, String)> {
    let conn = store.conn();
    let id = |r: &str| -> Result<String> {
        let r = r.trim();
        conn.prepare_cached("SELECT id FROM young_people WHERE reference = ?1")?
            .query_row([r], |row| row.get(0))
            .optional()?
            .ok_or_else(|| anyhow::anyhow!("reference: no young person has the reference '{r}'"))
    };
    let (x, y) = (id(first)?, id(second)?);
    if x == y {
        bail!(
            "reference: give two different young people (both were '{}')",
            first.trim()
        );
    }
    Ok((x, y))
}

/// "Same person": `merge` is merged into `keep`. Its episodes, contacts and everything keyed by
/// it move to `keep`, and its details fill those `keep` lacks; it is marked entered in error
/// with `merged_into`; the decision travels. Returns how many records moved.
pub fn merge(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    keep: &str,
    merge: &str,
) -> Result<usize> {
    store.write_for(Permission::DecideDuplicate, actor, now, |tx| {
        let conn = tx.conn();
        let Some((item, a, b)) = open_item(conn, keep, merge)? else {
            return Err(not_waiting(conn, keep, merge));
        };
        let kept_ref = reference_of(conn, keep)?;
        tx.insert(
            "sync_duplicate_decisions",
            &new_id(),
            &[
                ("duplicate_id", text(item)),
                ("young_person_a", text(a)),
                ("young_person_b", text(b)),
                ("decision", text("merge")),
                ("kept_id", text(keep)),
                ("merged_id", text(merge)),
                ("decided_by", text(actor)),
            ],
        )?;
        let moved = rows_to_move(conn, merge, keep)?;
        for (table, id) in &moved {
            tx.update(table, id, &[("young_person_id", text(keep))])?;
        }
        let fill = details_to_fill(conn, keep, merge)?;
        tx.update("young_people", keep, &fill)?;
        tx.update("young_people", merge, &[("merged_into", text(keep))])?;
        tx.mark_in_error("young_people", merge, &merge_reason(&kept_ref))?;
        Ok(moved.len())
    })
}

/// "Not the same person": both stay as they are, and the item is gone on every device.
pub fn dismiss(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    first: &str,
    second: &str,
) -> Result<()> {
    store.write_for(Permission::DecideDuplicate, actor, now, |tx| {
        let conn = tx.conn();
        let Some((item, a, b)) = open_item(conn, first, second)? else {
            return Err(not_waiting(conn, first, second));
        };
        tx.insert(
            "sync_duplicate_decisions",
            &new_id(),
            &[
                ("duplicate_id", text(item)),
                ("young_person_a", text(a)),
                ("young_person_b", text(b)),
                ("decision", text("not_duplicate")),
                ("decided_by", text(actor)),
            ],
        )?;
        Ok(())
    })
}

struct Standing {
    id: String,
    decision: String,
    kept: Option<String>,
    merged: Option<String>,
    at: String,
}

/// The decision that stands on each decided item: a merge before a dismissal, then the
/// earlier, then the lower id (the same answer on every device, whatever the arrival order).
fn standing_decisions(conn: &Connection) -> Result<Vec<Standing>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, decision, kept_id, merged_id, created_at FROM (
             SELECT *, row_number() OVER (PARTITION BY duplicate_id
                 ORDER BY decision <> 'merge', created_at, id) AS n
             FROM sync_duplicate_decisions)
         WHERE n = 1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Standing {
            id: r.get(0)?,
            decision: r.get(1)?,
            kept: r.get(2)?,
            merged: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Run inside a bundle's apply transaction: makes the record what the standing merges say.
/// An overruled opposite merge is undone on the kept record; anything still keyed by a merged
/// young person (recorded apart, before its device heard of the merge) moves to the kept one.
/// Returns the records it changed (attested as the bundle's).
pub(crate) fn settle(conn: &Connection) -> Result<Vec<(String, String)>> {
    let any: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_duplicate_decisions WHERE decision = 'merge')",
        [],
        |r| r.get(0),
    )?;
    if !any {
        return Ok(Vec::new());
    }
    let mut changed = Vec::new();
    for s in standing_decisions(conn)? {
        let (Some(keep), Some(merged)) = (s.kept.as_deref(), s.merged.as_deref()) else {
            continue;
        };
        if s.decision != "merge" {
            continue;
        }
        let kept_ref = reference_of(conn, keep)?;
        let merged_ref = reference_of(conn, merged)?;
        // An overruled merge the other way round: the kept record is itself again.
        let undone = conn.execute(
            "UPDATE young_people SET merged_into = NULL,
                 in_error_at = CASE WHEN in_error_reason = ?3 THEN NULL ELSE in_error_at END,
                 in_error_reason = CASE WHEN in_error_reason = ?3 THEN NULL ELSE in_error_reason END
             WHERE id = ?1 AND merged_into = ?2",
            params![keep, merged, merge_reason(&merged_ref)],
        )?;
        let marked = conn.execute(
            "UPDATE young_people SET merged_into = ?2,
                 in_error_at = coalesce(in_error_at, ?3),
                 in_error_reason = CASE WHEN in_error_at IS NULL THEN ?4 ELSE in_error_reason END
             WHERE id = ?1 AND (merged_into IS NOT ?2 OR in_error_at IS NULL)",
            params![merged, keep, s.at, merge_reason(&kept_ref)],
        )?;
        if undone > 0 {
            changed.push(("young_people".to_string(), keep.to_string()));
        }
        if marked > 0 {
            changed.push(("young_people".to_string(), merged.to_string()));
        }
        for (table, id) in rows_to_move(conn, merged, keep)? {
            conn.execute(
                &format!("UPDATE {table} SET young_person_id = ?1 WHERE id = ?2"),
                params![keep, id],
            )?;
            changed.push((table, id));
        }
    }
    Ok(changed)
}
