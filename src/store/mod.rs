//! The only place with SQL: schema migrations, queries, transactions.
//!
//! Every write goes through [`Store::write`], which names the actor (the worker making it) and
//! records an audit row for every changed record in the same transaction. Case records are
//! never deleted; a record entered in error is marked so, with a reason, and kept.

pub mod assessments;
pub mod audit;
pub mod care_plans;
pub mod caseload;
pub mod drafts;
pub mod due;
pub mod import;
pub mod intake;
pub mod mentoring;
pub mod people;
pub mod records;
pub mod returns;
pub mod values;

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

pub use audit::Tx;

/// `PRAGMA application_id` of a casebook database ("CBK1"), so we never write into a
/// SQLite file that belongs to something else.
pub const APPLICATION_ID: i32 = 0x4342_4b31;

const MIGRATION_SQL: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("mentoring.sql"),
    include_str!("audit_chain.sql"),
];

/// The index of the migration whose hook converts the first schema's JSON audit rows.
const AUDIT_CHAIN_MIGRATION: usize = 2;

fn migrations() -> Migrations<'static> {
    Migrations::new(
        MIGRATION_SQL
            .iter()
            .enumerate()
            .map(|(i, sql)| match i {
                // The audit log's chained form: the hook converts the first schema's rows.
                AUDIT_CHAIN_MIGRATION => M::up_with_hook(sql, |tx: &rusqlite::Transaction| {
                    audit::migrate_to_chained(tx)
                        .map_err(|e| rusqlite_migration::HookError::Hook(format!("{e:#}")))
                }),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// The newest schema version this build knows.
pub fn latest_schema_version() -> i64 {
    MIGRATION_SQL.len() as i64
}

/// An open casebook database.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Opens (creating if needed) the casebook database at `path`, migrating it to the latest
    /// schema. A file that is not a casebook database, or one written by a newer casebook, is
    /// refused before anything is written to it, so it stays byte-for-byte as it was.
    pub fn open(path: &Path) -> Result<Store> {
        let shown = path.display();
        if path.is_dir() {
            bail!("{shown} is a folder, not a database file");
        }
        let existing = path.exists()
            && std::fs::metadata(path)
                .with_context(|| format!("cannot read {shown}"))?
                .len()
                > 0;
        if existing {
            check_is_ours(path)?;
        } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open or create a database at {shown}"))?;
        Self::prepare(conn).with_context(|| format!("cannot prepare the database at {shown}"))
    }

    /// A private in-memory database through the same code (tests, dry runs).
    pub fn open_in_memory() -> Result<Store> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL keeps readers (another terminal on the same file) unblocked by a writer.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;",
        )?;
        let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if app_id != APPLICATION_ID {
            conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
        }
        migrations()
            .to_latest(&mut conn)
            .context("cannot bring the database schema up to date")?;
        Ok(Store { conn })
    }

    /// The schema version stored in the file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// SQLite's own integrity check: `ok` or the problems it found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Runs `f` in one transaction as `actor` (a worker ID) at `now`. Either everything `f`
    /// wrote is committed with its audit rows, or nothing is.
    pub fn write<T>(
        &mut self,
        actor: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&Tx) -> Result<T>,
    ) -> Result<T> {
        // IMMEDIATE: the write lock is taken before the audit chain's head is read, so two
        // terminals on one file queue rather than fork the chain.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let wtx = Tx::new(&tx, actor, now);
        let out = f(&wtx)?;
        drop(wtx);
        tx.commit()?;
        Ok(out)
    }

    /// Records that `actor` saw these young people's records (`what`: "case view",
    /// "drill-down kpi.2a 2025-26 Q2"), one chained audit row each.
    pub fn record_view(
        &mut self,
        actor: &str,
        now: DateTime<Utc>,
        what: &str,
        young_person_ids: &[&str],
    ) -> Result<()> {
        if young_person_ids.is_empty() {
            return Ok(());
        }
        self.write(actor, now, |tx| {
            for id in young_person_ids {
                tx.audit_view(id, what)?;
            }
            Ok(())
        })
    }

    /// Records that `actor` wrote a return: one row naming it ("southampton 2025-26 Q2"),
    /// not one per young person counted.
    pub fn record_export(
        &mut self,
        actor: &str,
        now: DateTime<Utc>,
        return_name: &str,
        what: &str,
    ) -> Result<()> {
        self.write(actor, now, |tx| tx.audit_export(return_name, what))
    }

    /// Walks the audit chain (and with `records`, compares every audited record with the hash
    /// of its last audited write). See [`audit::ChainReport`].
    pub fn verify_audit(&self, records: bool) -> Result<audit::ChainReport> {
        let mut report = audit::verify_chain(&self.conn)?;
        if records {
            audit::verify_records(&self.conn, &mut report)?;
        }
        Ok(report)
    }

    /// Read access for the query modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Reads the file without opening it for writing and refuses anything that is not ours.
fn check_is_ours(path: &Path) -> Result<()> {
    let shown = path.display();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {shown}"))?;
    let header = conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0));
    let app_id = match header {
        Ok(id) => id,
        Err(_) => bail!(
            "{shown} is not a casebook database (it is not a SQLite file); it was left untouched"
        ),
    };
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .with_context(|| {
            format!("{shown} is not a readable SQLite database; it was left untouched")
        })?;
    if app_id != APPLICATION_ID && !(app_id == 0 && tables == 0) {
        bail!("{shown} is a SQLite database but not a casebook one; it was left untouched");
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > latest_schema_version() {
        bail!(
            "{shown} was written by a newer casebook (schema {version}; this casebook knows up to {}); \
             install the newer casebook to open it. The file was left untouched",
            latest_schema_version()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_run_from_empty() {
        migrations().validate().unwrap();
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_schema_version());
        assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    }
}
