//! Audited writes. Each insert, update and in-error mark writes one audit row naming the actor,
//! the time, the record and the old and new value of every column that changed.

use anyhow::{bail, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Map, Value as Json};

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

/// A write transaction acting for one worker at one instant.
pub struct Tx<'a> {
    conn: &'a Connection,
    actor: String,
    now: String,
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

impl<'a> Tx<'a> {
    pub(crate) fn new(conn: &'a Connection, actor: &str, now: DateTime<Utc>) -> Tx<'a> {
        Tx {
            conn,
            actor: actor.to_string(),
            now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
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

    fn audit(&self, table: &str, id: &str, action: &str, changes: Map<String, Json>) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (at, actor_id, table_name, record_id, action, changes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(rusqlite::params![
                self.now,
                self.actor,
                table,
                id,
                action,
                Json::Object(changes).to_string()
            ])?;
        Ok(())
    }

    /// Inserts a row with `id` and the given columns (plus `created_at` where the table has
    /// one), auditing every non-null value.
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
        let mut changes = Map::new();
        for (c, v) in cols {
            if *v != Value::Null {
                changes.insert((*c).to_string(), json!([Json::Null, to_json(v)]));
            }
        }
        self.audit(table, id, "insert", changes)
    }

    /// Updates the given columns of one row, auditing only the columns whose value changes.
    /// Returns how many columns changed; an unknown `id` is an error.
    pub fn update(
        &self,
        table: &'static str,
        id: &str,
        cols: &[(&'static str, Value)],
    ) -> Result<usize> {
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
        let mut changes = Map::new();
        let mut sets = Vec::new();
        let mut values = Vec::new();
        for ((c, new), old) in cols.iter().zip(old.iter()) {
            if new != old {
                changes.insert((*c).to_string(), json!([to_json(old), to_json(new)]));
                values.push(new.clone());
                sets.push(format!("{c} = ?{}", values.len()));
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
        let n = changes.len();
        self.audit(table, id, "update", changes)?;
        Ok(n)
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
        let mut changes = Map::new();
        changes.insert("in_error_at".into(), json!([Json::Null, self.now]));
        changes.insert("in_error_reason".into(), json!([Json::Null, reason]));
        self.audit(table, id, "in_error", changes)
    }
}
