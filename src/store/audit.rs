//! The audit log: one hash-chained row for every write and every view of a young person's
//! record, in the same transaction as the write.
//!
//! Canonical form (the one the hash covers, and the one a later sync between devices would
//! carry): `version, device id, device sequence, time, actor, action, table, record id,
//! changes, row hash`, each length-prefixed. `changes` is a compact binary list of
//! `(column, old, new)` triples for updates and in-error marks (only the columns that changed;
//! the old value is kept because an insert stores no values, so it would exist nowhere else,
//! and a manager reads "changed X from A to B"). An insert stores no values at all: the row is
//! referenced by table and id, and `row_hash` is the SHA-256 of its canonical content after
//! the write, so `audit verify --records` can tell a record edited behind the store's back.
//! Each row's `hash` is SHA-256(previous hash of this device's chain || canonical content), so
//! an edited, deleted or inserted audit row breaks the chain from there on.

use std::cell::RefCell;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Transaction};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

/// Child rows that belong to a dated parent and carry no `created_at` of their own.
const TABLES_WITHOUT_CREATED_AT: &[&str] = &[
    "assessment_needs",
    "risk_assessments",
    "care_plan_goals",
    "care_plan_actions",
    "care_plan_budget_items",
    "outcome_substance_days",
    "outcome_ratings",
    "young_person_vulnerabilities",
    "episode_substances",
];

/// Bumped if the canonical encoding ever changes; old rows keep verifying under their version.
const CANONICAL_VERSION: u8 = 1;
const GENESIS: [u8; 32] = [0; 32];

/// The chain head of this database's own device, read once inside the write transaction.
#[derive(Clone)]
struct Head {
    device: i64,
    device_id: String,
    device_seq: i64,
    hash: [u8; 32],
}

/// A write transaction acting for one worker at one instant.
pub struct Tx<'a> {
    conn: &'a Connection,
    actor: String,
    now: String,
    at: i64,
    head: RefCell<Option<Head>>,
}

// ---- compact canonical encoding -------------------------------------------------------------

pub(crate) fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(b);
            return;
        }
        buf.push(b | 0x80);
    }
}

pub(crate) fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

pub(crate) fn put_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.push(0),
        Value::Integer(i) => {
            buf.push(1);
            // zig-zag so small negative numbers stay short
            put_varint(buf, ((i << 1) ^ (i >> 63)) as u64);
        }
        Value::Real(f) => {
            buf.push(2);
            buf.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Text(t) => {
            buf.push(3);
            put_bytes(buf, t.as_bytes());
        }
        Value::Blob(b) => {
            buf.push(4);
            put_bytes(buf, b);
        }
    }
}

pub(crate) struct Reader<'b> {
    pub(crate) b: &'b [u8],
}

impl Reader<'_> {
    pub(crate) fn byte(&mut self) -> Result<u8> {
        let (&first, rest) = self.b.split_first().context("audit changes end early")?;
        self.b = rest;
        Ok(first)
    }
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        bail!("audit changes hold a malformed number")
    }
    pub(crate) fn bytes(&mut self) -> Result<&[u8]> {
        let n = self.varint()? as usize;
        if n > self.b.len() {
            bail!("audit changes end early");
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    pub(crate) fn text(&mut self) -> Result<String> {
        Ok(String::from_utf8(self.bytes()?.to_vec())?)
    }
    pub(crate) fn value(&mut self) -> Result<Value> {
        Ok(match self.byte()? {
            0 => Value::Null,
            1 => {
                let z = self.varint()?;
                Value::Integer(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            2 => {
                let mut a = [0u8; 8];
                for x in &mut a {
                    *x = self.byte()?;
                }
                Value::Real(f64::from_bits(u64::from_be_bytes(a)))
            }
            3 => Value::Text(self.text()?),
            4 => Value::Blob(self.bytes()?.to_vec()),
            t => bail!("audit changes hold an unknown value tag {t}"),
        })
    }
}

/// One changed column: its name, the value before and the value after.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub column: String,
    pub old: Value,
    pub new: Value,
}

/// Encodes changed columns compactly, sorted by column name so the encoding is canonical.
pub fn encode_changes(changes: &[Change]) -> Vec<u8> {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| a.column.cmp(&b.column));
    let mut buf = Vec::with_capacity(16 * changes.len());
    put_varint(&mut buf, sorted.len() as u64);
    for c in sorted {
        put_bytes(&mut buf, c.column.as_bytes());
        put_value(&mut buf, &c.old);
        put_value(&mut buf, &c.new);
    }
    buf
}

/// Decodes what [`encode_changes`] wrote; an empty blob is no changes.
pub fn decode_changes(blob: &[u8]) -> Result<Vec<Change>> {
    if blob.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader { b: blob };
    let n = r.varint()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Change {
            column: r.text()?,
            old: r.value()?,
            new: r.value()?,
        });
    }
    if !r.b.is_empty() {
        bail!("audit changes hold trailing bytes");
    }
    Ok(out)
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Text(t) => json!(t),
        Value::Blob(b) => json!(format!("<{} bytes>", b.len())),
    }
}

fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(*b as i64),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// The changes as the JSON object the first schema stored (`{"column": [old, new]}`), for
/// people and tests reading a row by eye.
pub fn changes_json(blob: &[u8]) -> Result<String> {
    let mut m = Map::new();
    for c in decode_changes(blob)? {
        m.insert(c.column, json!([to_json(&c.old), to_json(&c.new)]));
    }
    Ok(Json::Object(m).to_string())
}

/// The fields of one audit row that its hash covers.
struct Canonical<'c> {
    device_id: &'c str,
    device_seq: i64,
    at: i64,
    actor: &'c str,
    action: &'c str,
    table: &'c str,
    record_id: &'c str,
    changes: &'c [u8],
    row_hash: Option<&'c [u8]>,
}

impl Canonical<'_> {
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(160 + self.changes.len());
        b.push(CANONICAL_VERSION);
        put_bytes(&mut b, self.device_id.as_bytes());
        put_varint(&mut b, self.device_seq as u64);
        put_value(&mut b, &Value::Integer(self.at));
        put_bytes(&mut b, self.actor.as_bytes());
        put_bytes(&mut b, self.action.as_bytes());
        put_bytes(&mut b, self.table.as_bytes());
        put_bytes(&mut b, self.record_id.as_bytes());
        put_bytes(&mut b, self.changes);
        put_bytes(&mut b, self.row_hash.unwrap_or(&[]));
        b
    }

    fn chain(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.bytes());
        h.finalize().into()
    }
}

/// SHA-256 of a record row's canonical content: table, id and every non-null column by name
/// (nulls are skipped so a later migration adding a column does not change every hash).
/// `None` when there is no such row.
pub(crate) fn row_hash(conn: &Connection, table: &str, id: &str) -> Result<Option<[u8; 32]>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT * FROM {table} WHERE id = ?1"))?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut cols: Vec<(&str, Value)> = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let v: Value = row.get(i)?;
        if v != Value::Null {
            cols.push((n, v));
        }
    }
    cols.sort_by(|a, b| a.0.cmp(b.0));
    let mut buf = Vec::with_capacity(256);
    put_bytes(&mut buf, table.as_bytes());
    put_bytes(&mut buf, id.as_bytes());
    for (n, v) in &cols {
        put_bytes(&mut buf, n.as_bytes());
        put_value(&mut buf, v);
    }
    Ok(Some(Sha256::digest(&buf).into()))
}

fn local_head(conn: &Connection) -> Result<Head> {
    let (device, device_id): (i64, String) = conn
        .query_row(
            "SELECT n, device_id FROM audit_device WHERE is_local = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .context("the audit log has no local device; the database is damaged")?;
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            // By device sequence: the (device, device_seq) index answers it at once, however
            // many rows the file holds.
            "SELECT device_seq, hash FROM audit_log WHERE device = ?1
             ORDER BY device_seq DESC LIMIT 1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (device_seq, hash) = match last {
        Some((s, h)) => (s, h.try_into().unwrap_or(GENESIS)),
        None => (0, GENESIS),
    };
    Ok(Head {
        device,
        device_id,
        device_seq,
        hash,
    })
}

fn append(
    conn: &Connection,
    head: &mut Head,
    at: i64,
    actor: &str,
    (table, id, action): (&str, &str, &str),
    changes: &[u8],
    row_hash: Option<&[u8]>,
) -> Result<()> {
    let c = Canonical {
        device_id: &head.device_id,
        device_seq: head.device_seq + 1,
        at,
        actor,
        action,
        table,
        record_id: id,
        changes,
        row_hash,
    };
    let hash = c.chain(&head.hash);
    conn.prepare_cached(
        "INSERT INTO audit_log (device, device_seq, at, actor_id, action, table_name,
             record_id, changes, row_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        head.device,
        c.device_seq,
        at,
        actor,
        action,
        table,
        id,
        changes,
        row_hash,
        &hash[..]
    ])?;
    head.device_seq += 1;
    head.hash = hash;
    Ok(())
}

impl<'a> Tx<'a> {
    pub(crate) fn new(conn: &'a Connection, actor: &str, now: DateTime<Utc>) -> Tx<'a> {
        Tx {
            conn,
            actor: actor.to_string(),
            now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            at: now.timestamp(),
            head: RefCell::new(None),
        }
    }

    /// The worker ID this transaction writes as.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The transaction's timestamp (UTC, RFC 3339).
    pub fn now(&self) -> &str {
        &self.now
    }

    /// Reads inside the transaction.
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// Appends one chained audit row. The head is read inside this (IMMEDIATE) transaction, so
    /// two terminals on one file queue for the write lock rather than fork the chain.
    fn audit(
        &self,
        table: &str,
        id: &str,
        action: &str,
        changes: &[u8],
        row_hash: Option<&[u8]>,
    ) -> Result<()> {
        let mut slot = self.head.borrow_mut();
        let head = match slot.as_mut() {
            Some(h) => h,
            None => slot.insert(local_head(self.conn)?),
        };
        append(
            self.conn,
            head,
            self.at,
            &self.actor,
            (table, id, action),
            changes,
            row_hash,
        )
    }

    fn audit_write(&self, table: &str, id: &str, action: &str, changes: &[Change]) -> Result<()> {
        // Every write passes here, so the open after-exit clocks are kept with the record.
        if super::follow_ups::AFTER_EXIT_TABLES.contains(&table) {
            if let Some(ep) = super::follow_ups::episode_of_row(self.conn, table, id)? {
                super::follow_ups::refresh_after_exit(self.conn, &ep)?;
            }
        }
        let rh = row_hash(self.conn, table, id)?;
        let blob = if changes.is_empty() {
            Vec::new()
        } else {
            encode_changes(changes)
        };
        self.audit(table, id, action, &blob, rh.as_ref().map(|h| &h[..]))
    }

    /// Records that the actor saw a young person's record (`what` says where: "case view",
    /// "drill-down kpi.2a 2025-26 Q2").
    pub fn audit_view(&self, young_person_id: &str, what: &str) -> Result<()> {
        self.audit(
            "young_people",
            young_person_id,
            "view",
            what.as_bytes(),
            None,
        )
    }

    /// Records that the actor wrote a return (`return_name`, e.g. "southampton 2025-26 Q2"):
    /// one row, not one per person counted.
    pub fn audit_export(&self, return_name: &str, what: &str) -> Result<()> {
        self.audit("returns", return_name, "view", what.as_bytes(), None)
    }

    /// Inserts a row with `id` and the given columns (plus `created_at` where the table has
    /// one), auditing it as a reference to the row and the hash of its content.
    pub fn insert(
        &self,
        table: &'static str,
        id: &str,
        cols: &[(&'static str, Value)],
    ) -> Result<()> {
        let has_created_at = !TABLES_WITHOUT_CREATED_AT.contains(&table);
        let mut names = vec!["id"];
        let mut values = vec![Value::Text(id.to_string())];
        for (c, v) in cols {
            names.push(c);
            values.push(v.clone());
        }
        if has_created_at && !cols.iter().any(|(c, _)| *c == "created_at") {
            names.push("created_at");
            values.push(Value::Text(self.now.clone()));
        }
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        self.conn
            .prepare_cached(&sql)?
            .execute(params_from_iter(values.iter()))?;
        self.audit_write(table, id, "insert", &[])
    }

    /// Updates the given columns of one row, auditing only the columns whose value changes.
    /// Returns how many columns changed; an unknown `id` is an error.
    pub fn update(&self, table: &str, id: &str, cols: &[(&str, Value)]) -> Result<usize> {
        if cols.is_empty() {
            return Ok(0);
        }
        let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
        let sql = format!("SELECT {} FROM {table} WHERE id = ?1", names.join(", "));
        let old: Vec<Value> = match self.conn.query_row(&sql, [id], |r| {
            (0..names.len()).map(|i| r.get::<_, Value>(i)).collect()
        }) {
            Ok(v) => v,
            Err(rusqlite::Error::QueryReturnedNoRows) => bail!("no {table} record with id {id}"),
            Err(e) => return Err(e.into()),
        };
        let mut changes = Vec::new();
        let mut sets = Vec::new();
        let mut values = Vec::new();
        for ((c, new), old) in cols.iter().zip(old) {
            if *new != old {
                values.push(new.clone());
                sets.push(format!("{c} = ?{}", values.len()));
                changes.push(Change {
                    column: (*c).to_string(),
                    old,
                    new: new.clone(),
                });
            }
        }
        if sets.is_empty() {
            return Ok(0);
        }
        values.push(Value::Text(id.to_string()));
        let sql = format!(
            "UPDATE {table} SET {} WHERE id = ?{}",
            sets.join(", "),
            values.len()
        );
        self.conn.execute(&sql, params_from_iter(values.iter()))?;
        self.audit_write(table, id, "update", &changes)?;
        Ok(changes.len())
    }

    /// Marks a record as entered in error, with the reason; it stays in the file.
    pub fn mark_in_error(&self, table: &'static str, id: &str, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            bail!("reason: say why the record was entered in error");
        }
        let n = self.conn.execute(
            &format!(
                "UPDATE {table} SET in_error_at = ?1, in_error_reason = ?2
                 WHERE id = ?3 AND in_error_at IS NULL"
            ),
            rusqlite::params![self.now, reason, id],
        )?;
        if n == 0 {
            bail!("no {table} record with id {id} that is not already marked in error");
        }
        let changes = [
            Change {
                column: "in_error_at".into(),
                old: Value::Null,
                new: Value::Text(self.now.clone()),
            },
            Change {
                column: "in_error_reason".into(),
                old: Value::Null,
                new: Value::Text(reason.to_string()),
            },
        ];
        self.audit_write(table, id, "in_error", &changes)
    }
}

// ---- verification -----------------------------------------------------------------------------

/// Where the chain first fails, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The audit row's `seq` (for a row missing at the end: the last seq the file handed out).
    pub seq: i64,
    pub reason: String,
    /// The device whose chain breaks there and the row's place in that device's chain (each
    /// device keeps its own chain; a synced file holds several). Empty and 0 when unknown.
    pub device: String,
    pub device_seq: i64,
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    pub rows: u64,
    pub first_break: Option<Break>,
    /// With `--records`: record rows whose content no longer matches their last audited hash.
    pub records_checked: u64,
    pub records_unattested: u64,
    pub record_mismatches: Vec<(String, String)>,
}

/// Walks every device's chain in order and names the first row that does not follow from the
/// one before it: an edited row (its hash no longer matches), a deleted one (a gap in the
/// device's sequence, or rows missing at the end), or an inserted one.
pub(crate) fn verify_chain(conn: &Connection) -> Result<ChainReport> {
    let devices: Vec<(i64, String)> = conn
        .prepare("SELECT n, device_id FROM audit_device ORDER BY n")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut report = ChainReport::default();
    let names: std::collections::HashMap<i64, String> = devices.iter().cloned().collect();
    let mut heads: std::collections::HashMap<i64, (String, i64, [u8; 32])> = devices
        .into_iter()
        .map(|(n, id)| (n, (id, 0, GENESIS)))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT seq, device, device_seq, at, actor_id, action, table_name, record_id,
                changes, row_hash, hash FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut last_seq = 0i64;
    while let Some(r) = rows.next()? {
        report.rows += 1;
        let seq: i64 = r.get(0)?;
        last_seq = seq;
        let device: i64 = r.get(1)?;
        let device_seq: i64 = r.get(2)?;
        let fail = |reason: String| Break {
            seq,
            reason,
            device: names.get(&device).cloned().unwrap_or_default(),
            device_seq,
        };
        let Some(head) = heads.get_mut(&device) else {
            report.first_break = Some(fail(format!("names an unknown device {device}")));
            return Ok(report);
        };
        if device_seq != head.1 + 1 {
            report.first_break = Some(fail(if device_seq > head.1 + 1 {
                format!(
                    "{} row(s) before it are missing (device sequence {} follows {})",
                    device_seq - head.1 - 1,
                    device_seq,
                    head.1
                )
            } else {
                format!(
                    "is out of sequence (device sequence {device_seq} after {})",
                    head.1
                )
            }));
            return Ok(report);
        }
        let changes: Option<Vec<u8>> = r.get(8)?;
        let row_hash: Option<Vec<u8>> = r.get(9)?;
        let stored: Vec<u8> = r.get::<_, Option<Vec<u8>>>(10)?.unwrap_or_default();
        let (Ok(actor), Ok(action), Ok(table), Ok(record_id), Ok(at)) = (
            r.get::<_, String>(4),
            r.get::<_, String>(5),
            r.get::<_, String>(6),
            r.get::<_, String>(7),
            r.get::<_, i64>(3),
        ) else {
            report.first_break = Some(fail("has a field of the wrong type".into()));
            return Ok(report);
        };
        let c = Canonical {
            device_id: &head.0,
            device_seq,
            at,
            actor: &actor,
            action: &action,
            table: &table,
            record_id: &record_id,
            changes: changes.as_deref().unwrap_or(&[]),
            row_hash: row_hash.as_deref(),
        };
        let hash = c.chain(&head.2);
        if stored[..] != hash[..] {
            report.first_break = Some(fail(
                "does not match its hash: it was edited, or a row before it was".into(),
            ));
            return Ok(report);
        }
        head.1 = device_seq;
        head.2 = hash;
    }
    drop(rows);
    // A row removed from the end leaves no gap behind it; AUTOINCREMENT remembers the last seq.
    let handed_out: i64 = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if handed_out > last_seq {
        report.first_break = Some(Break {
            seq: last_seq + 1,
            reason: format!(
                "row(s) {} to {handed_out} at the end of the log are missing",
                last_seq + 1
            ),
            device: String::new(),
            device_seq: 0,
        });
    }
    Ok(report)
}

/// Compares every audited record row with the hash its latest audit row holds. Rows audited
/// only before the chained form (migrated rows carry no row hash) are counted as unattested.
pub(crate) fn verify_records(conn: &Connection, report: &mut ChainReport) -> Result<()> {
    // A record last changed by a synced bundle is compared with the hash taken here when that
    // bundle was applied (its content here merges several devices' writes, so no one device's
    // audit row holds it).
    let mut stmt = conn.prepare(
        "SELECT a.table_name, a.record_id,
                CASE WHEN s.at_seq >= a.seq THEN s.row_hash ELSE a.row_hash END
         FROM audit_log a
         JOIN (SELECT table_name, record_id, max(seq) AS seq FROM audit_log
               WHERE action <> 'view' GROUP BY table_name, record_id) l ON l.seq = a.seq
         LEFT JOIN sync_attest s ON s.table_name = a.table_name AND s.record_id = a.record_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let table: String = r.get(0)?;
        let id: String = r.get(1)?;
        let Some(expected) = r.get::<_, Option<Vec<u8>>>(2)? else {
            report.records_unattested += 1;
            continue;
        };
        report.records_checked += 1;
        let ok = match row_hash(conn, &table, &id) {
            Ok(Some(h)) => h[..] == expected[..],
            _ => false,
        };
        if !ok {
            report.record_mismatches.push((table, id));
        }
    }
    Ok(())
}

// ---- migration from the JSON form ------------------------------------------------------------

/// Migration 2's hook: gives this database its device id and converts every audit row of the
/// first schema (JSON of old and new values) into the chained compact form, in order, inside
/// the migration's one transaction. Before the old table is dropped, every converted row is
/// read back and rendered as the JSON it came from; any difference aborts the transaction, so
/// SQLite leaves the file exactly as it was.
pub(crate) fn migrate_to_chained(tx: &Transaction) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_device (n, device_id, is_local) VALUES (1, ?1, 1)",
        [uuid::Uuid::new_v4().to_string()],
    )?;
    let old_rows: i64 = tx.query_row("SELECT count(*) FROM audit_log_v1", [], |r| r.get(0))?;
    let mut head = local_head(tx)?;
    {
        let mut stmt = tx.prepare(
            "SELECT seq, at, actor_id, table_name, record_id, action, changes
             FROM audit_log_v1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let at: String = r.get(1)?;
            let at = DateTime::parse_from_rfc3339(&at)
                .with_context(|| format!("audit row {seq}: unreadable time"))?
                .timestamp();
            let json: Json = serde_json::from_str(&r.get::<_, String>(6)?)
                .with_context(|| format!("audit row {seq}: unreadable changes"))?;
            let changes: Vec<Change> = json
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Change {
                            column: k.clone(),
                            old: from_json(&v[0]),
                            new: from_json(&v[1]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (actor, table, id, action): (String, String, String, String) =
                (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            // Kept as recorded: its own actor and time, its values (old inserts listed them),
            // no row hash (the row's content at that moment is not known).
            append(
                tx,
                &mut head,
                at,
                &actor,
                (&table, &id, &action),
                &encode_changes(&changes),
                None,
            )?;
        }
    }
    // Verify before anything old is dropped.
    let mut a = tx.prepare(
        "SELECT seq, at, actor_id, table_name, record_id, action, changes
         FROM audit_log_v1 ORDER BY seq",
    )?;
    let mut b = tx.prepare(
        "SELECT at, actor_id, table_name, record_id, action, changes FROM audit_log
         ORDER BY seq",
    )?;
    let mut ra = a.query([])?;
    let mut rb = b.query([])?;
    let mut n = 0i64;
    while let Some(o) = ra.next()? {
        let seq: i64 = o.get(0)?;
        let Some(c) = rb.next()? else {
            bail!("audit migration: row {seq} was not converted; nothing was changed");
        };
        let at = DateTime::from_timestamp(c.get::<_, i64>(0)?, 0)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        let old_json: Json = serde_json::from_str(&o.get::<_, String>(6)?)?;
        let new_json: Json = serde_json::from_str(&changes_json(&c.get::<_, Vec<u8>>(5)?)?)?;
        let same = DateTime::parse_from_rfc3339(&o.get::<_, String>(1)?)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .ok()
            .as_deref()
            == Some(at.as_str())
            && o.get::<_, String>(2)? == c.get::<_, String>(1)?
            && o.get::<_, String>(3)? == c.get::<_, String>(2)?
            && o.get::<_, String>(4)? == c.get::<_, String>(3)?
            && o.get::<_, String>(5)? == c.get::<_, String>(4)?
            && old_json == new_json;
        if !same {
            bail!("audit migration: row {seq} did not convert faithfully; nothing was changed");
        }
        n += 1;
    }
    if n != old_rows || rb.next()?.is_some() {
        bail!("audit migration: row counts differ; nothing was changed");
    }
    drop(ra);
    drop(rb);
    drop(a);
    drop(b);
    let report = verify_chain(tx)?;
    if let Some(b) = report.first_break {
        bail!(
            "audit migration: the new chain fails at row {}: {}",
            b.seq,
            b.reason
        );
    }
    tx.execute_batch("DROP TABLE audit_log_v1")?;
    Ok(())
}

// ---- history of one young person -------------------------------------------------------------

/// One audited event on a young person's record, for `audit show`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The worker's name (their id when the worker is unknown).
    pub actor: String,
    pub action: String,
    pub table: String,
    pub changes: Vec<Change>,
    /// For a view: where the record was seen. For a decision on a possible duplicate: what
    /// was decided ("merge: YP-… kept, YP-… merged into it").
    pub what: Option<String>,
}

/// Tables that hang off an episode, and their own children (table, parent column, parent table).
const EPISODE_CHILDREN: &[&str] = &[
    "triages",
    "episode_substances",
    "assessments",
    "care_plans",
    "reviews",
    "outcome_profiles",
    "referrals_out",
    "follow_ups",
    "clock_closures",
];
const GRANDCHILDREN: &[(&str, &str, &str)] = &[
    ("risk_flag_events", "flag_id", "risk_flags"),
    ("assessment_needs", "assessment_id", "assessments"),
    ("risk_assessments", "assessment_id", "assessments"),
    ("care_plan_goals", "care_plan_id", "care_plans"),
    ("care_plan_budget_items", "care_plan_id", "care_plans"),
    ("care_plan_actions", "goal_id", "care_plan_goals"),
    ("outcome_substance_days", "profile_id", "outcome_profiles"),
    ("outcome_ratings", "profile_id", "outcome_profiles"),
];

/// Who saw and changed a young person's record (and everything recorded under it), newest
/// first.
pub fn history_of_young_person(
    store: &super::Store,
    young_person_id: &str,
) -> Result<Vec<HistoryEntry>> {
    let mut parts = vec![
        "SELECT 'young_people' AS t, ?1 AS id".to_string(),
        // A young person merged into this one, and the decisions on either (issue 15).
        "SELECT 'young_people', id FROM young_people WHERE merged_into = ?1".to_string(),
        "SELECT 'sync_duplicate_decisions', id FROM sync_duplicate_decisions \
         WHERE young_person_a = ?1 OR young_person_b = ?1"
            .to_string(),
    ];
    for t in [
        "young_person_vulnerabilities",
        "episodes",
        "risk_flags",
        "contacts",
    ] {
        parts.push(format!(
            "SELECT '{t}', id FROM {t} WHERE young_person_id = ?1"
        ));
    }
    for t in EPISODE_CHILDREN {
        parts.push(format!(
            "SELECT '{t}', id FROM {t} WHERE episode_id IN \
             (SELECT id FROM episodes WHERE young_person_id = ?1)"
        ));
    }
    let sql = format!(
        "WITH base(t, id) AS ({}), recs(t, id) AS (SELECT t, id FROM base {})
         SELECT a.at, coalesce(w.name, a.actor_id), a.action, a.table_name, a.changes,
                a.record_id
         FROM recs r JOIN audit_log a ON a.table_name = r.t AND a.record_id = r.id
         LEFT JOIN workers w ON w.id = a.actor_id
         ORDER BY a.seq DESC",
        parts.join(" UNION ALL "),
        grandchildren_sql()
    );
    let conn = store.conn();
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([young_person_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let action: String = r.get(2)?;
        let blob: Option<Vec<u8>> = r.get(4)?;
        let blob = blob.unwrap_or_default();
        let table: String = r.get(3)?;
        let (changes, what) = if action == "view" {
            (
                Vec::new(),
                Some(String::from_utf8_lossy(&blob).into_owned()),
            )
        } else if table == "sync_duplicate_decisions" {
            let id: String = r.get(5)?;
            (decode_changes(&blob)?, decision_text(conn, &id)?)
        } else {
            (decode_changes(&blob)?, None)
        };
        out.push(HistoryEntry {
            at: DateTime::from_timestamp(r.get(0)?, 0).unwrap_or_default(),
            actor: r.get(1)?,
            action,
            table,
            changes,
            what,
        });
    }
    Ok(out)
}

/// "merge: YP-… kept, YP-… merged into it" or "not the same person: YP-… and YP-…".
fn decision_text(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT d.decision, k.reference, m.reference, a.reference, b.reference
             FROM sync_duplicate_decisions d
             LEFT JOIN young_people k ON k.id = d.kept_id
             LEFT JOIN young_people m ON m.id = d.merged_id
             LEFT JOIN young_people a ON a.id = d.young_person_a
             LEFT JOIN young_people b ON b.id = d.young_person_b
             WHERE d.id = ?1",
            [id],
            |r| {
                let decision: String = r.get(0)?;
                let refs: [Option<String>; 4] = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?];
                let [k, m, a, b] = refs.map(Option::unwrap_or_default);
                Ok(if decision == "merge" {
                    format!("the same person: {k} kept, {m} merged into it")
                } else {
                    format!("not the same person: {a} and {b} kept apart")
                })
            },
        )
        .optional()?)
}

/// Grandchildren reached through their parent's ids, two levels deep (goal actions).
fn grandchildren_sql() -> String {
    let mut s = String::new();
    for (t, col, parent) in GRANDCHILDREN {
        let from = if *parent == "care_plan_goals" {
            "(SELECT id FROM care_plan_goals WHERE care_plan_id IN \
             (SELECT id FROM base WHERE t = 'care_plans'))"
                .to_string()
        } else {
            format!("(SELECT id FROM base WHERE t = '{parent}')")
        };
        s.push_str(&format!(
            " UNION ALL SELECT '{t}', id FROM {t} WHERE {col} IN {from}"
        ));
    }
    s
}

// ---- sync: this device's rows out, another device's rows in ---------------------------------

/// One audit row as it travels in a sync bundle (its device is the bundle's).
#[derive(Debug, Clone, PartialEq)]
pub struct TravellingRow {
    pub device_seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub table: String,
    pub record_id: String,
    pub changes: Option<Vec<u8>>,
    pub row_hash: Option<Vec<u8>>,
    pub hash: Vec<u8>,
}

/// This database's own device id and the last device sequence its chain handed out.
pub(crate) fn local_device_seq(conn: &Connection) -> Result<(String, i64)> {
    let h = local_head(conn)?;
    Ok((h.device_id, h.device_seq))
}

/// This device's audit rows `from..=to` (device sequence), in order.
pub(crate) fn local_rows(conn: &Connection, from: i64, to: i64) -> Result<Vec<TravellingRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_seq, at, actor_id, action, table_name, record_id, changes, row_hash, hash
         FROM audit_log WHERE device = (SELECT n FROM audit_device WHERE is_local = 1)
           AND device_seq BETWEEN ?1 AND ?2 ORDER BY device_seq",
    )?;
    let rows = stmt.query_map([from, to], |r| {
        Ok(TravellingRow {
            device_seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            table: r.get(4)?,
            record_id: r.get(5)?,
            changes: r.get(6)?,
            row_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Appends another device's audit rows to its own chain in this file, after checking that each
/// follows the one before it (sequence and hash); the first that does not is named.
pub(crate) fn import_rows(
    conn: &Connection,
    device_id: &str,
    rows: &[TravellingRow],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let n: i64 = match conn
        .query_row(
            "SELECT n FROM audit_device WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )
        .optional()?
    {
        Some(n) => n,
        None => {
            conn.execute(
                "INSERT INTO audit_device (n, device_id, is_local)
                 VALUES ((SELECT coalesce(max(n), 0) + 1 FROM audit_device), ?1, 0)",
                [device_id],
            )?;
            conn.last_insert_rowid()
        }
    };
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT device_seq, hash FROM audit_log WHERE device = ?1
             ORDER BY device_seq DESC LIMIT 1",
            [n],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (mut seq, mut prev) = match last {
        Some((s, h)) => (s, h.try_into().unwrap_or(GENESIS)),
        None => (0, GENESIS),
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO audit_log (device, device_seq, at, actor_id, action, table_name,
             record_id, changes, row_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for row in rows {
        if row.device_seq != seq + 1 {
            bail!(
                "audit row {} of device {device_id} does not follow row {seq} of its chain",
                row.device_seq
            );
        }
        let c = Canonical {
            device_id,
            device_seq: row.device_seq,
            at: row.at,
            actor: &row.actor,
            action: &row.action,
            table: &row.table,
            record_id: &row.record_id,
            changes: row.changes.as_deref().unwrap_or(&[]),
            row_hash: row.row_hash.as_deref(),
        };
        let hash = c.chain(&prev);
        if row.hash[..] != hash[..] {
            bail!(
                "audit row {} of device {device_id} does not match its hash",
                row.device_seq
            );
        }
        insert.execute(rusqlite::params![
            n,
            row.device_seq,
            row.at,
            row.actor,
            row.action,
            row.table,
            row.record_id,
            row.changes,
            row.row_hash,
            &hash[..]
        ])?;
        seq = row.device_seq;
        prev = hash;
    }
    Ok(())
}
