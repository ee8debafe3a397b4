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
pub mod follow_ups;
pub mod import;
pub mod intake;
pub mod keys;
pub mod mentoring;
pub mod mentoring_due;
pub mod people;
pub mod records;
pub mod returns;
pub mod scale;
pub mod sign_in;
pub mod sync;
pub mod values;

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use rusqlite_migration::{Migrations, M};

pub use audit::Tx;
pub use keys::DataKey;

use crate::domain::record::Worker;
use crate::domain::roles::{self, Permission};

/// `PRAGMA application_id` of a casebook database ("CBK1"), so we never write into a
/// SQLite file that belongs to something else.
pub const APPLICATION_ID: i32 = 0x4342_4b31;

const MIGRATION_SQL: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("mentoring.sql"),
    include_str!("audit_chain.sql"),
    // A worker may hold several roles (issue 12). `role` stays for its CHECK on old files;
    // `roles` (codes separated by spaces) is what casebook reads.
    "ALTER TABLE workers ADD COLUMN roles TEXT NOT NULL DEFAULT '';
     UPDATE workers SET roles = role;
     -- Passwords set or reset and recovery keys shown: audited rows, no secrets.
     CREATE TABLE security_events (
         id          TEXT PRIMARY KEY,
         event       TEXT NOT NULL,
         worker_id   TEXT NOT NULL,
         created_at  TEXT NOT NULL
     );",
    // Follow-up outcomes, closed after-exit clocks, and the open after-exit work (issue 17).
    include_str!("follow_ups.sql"),
    // Devices, captured changesets, bundles applied, conflicts (issue 15).
    include_str!("sync.sql"),
    // Merging or dismissing possible duplicates; merged young people (issue 15).
    include_str!("sync_merges.sql"),
];

/// The index of the migration whose hook converts the first schema's JSON audit rows.
const AUDIT_CHAIN_MIGRATION: usize = 2;

/// The first 16 bytes of every plain SQLite file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a database file is, read from its first bytes without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new database.
    New,
    /// A plain (unencrypted) SQLite file.
    Plain,
    /// Anything else: an encrypted database, whose first 16 bytes are SQLCipher's salt (or a
    /// file of another program, which no key file will match).
    Encrypted { salt: [u8; 16] },
}

/// Reads the first bytes of `path`.
pub fn file_kind(path: &Path) -> Result<FileKind> {
    use std::io::Read;
    let shown = path.display();
    if path.is_dir() {
        bail!("{shown} is a folder, not a database file");
    }
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(_) if !path.exists() => return Ok(FileKind::New),
        Err(e) => bail!("cannot read {shown}: {e}"),
    };
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < 16 {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => bail!("cannot read {shown}: {e}"),
        }
    }
    // Even an empty database is a page of at least 512 bytes.
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(match n {
        0 => FileKind::New,
        16 if &head == SQLITE_HEADER => FileKind::Plain,
        16 if len >= 512 => FileKind::Encrypted { salt: head },
        _ => bail!(
            "{shown} is not a casebook database (it is not a SQLite file); it was left untouched"
        ),
    })
}

/// Opens SQLite once, before any other connection, and waits for it. SQLCipher marks itself
/// initialised before it registers `sqlcipher_export` for new connections, so a connection
/// opened by a second thread during the very first open can lack the function (seen when
/// tests open files on several threads at once).
pub(crate) fn sqlcipher_ready() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        let _ = Connection::open_in_memory();
    });
}

/// Keys a fresh connection. The log level goes first, so a wrong key prints nothing.
fn key_connection(conn: &Connection, key: &DataKey) -> Result<()> {
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    let sql = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", key.hex().as_str()));
    conn.execute_batch(&sql)?;
    Ok(())
}

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
    /// The worker who signed in; every write is theirs and the role table applies to it.
    /// `None` for a store opened without signing in (in memory, or with a raw key by tests).
    signed_in: Option<Worker>,
    /// Once the database belongs to a sync team: the tables whose changes every write
    /// captures as a changeset (see [`sync`]).
    capture: Option<Vec<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Opens (creating if needed, mode 600) the encrypted casebook database at `path` with the
    /// data key, migrating it to the latest schema. A file that is not a casebook database, a
    /// plain one, one written by a newer casebook, or one the key does not open is refused
    /// before anything is written to it, so it stays byte-for-byte as it was.
    pub fn open(path: &Path, key: &DataKey) -> Result<Store> {
        sqlcipher_ready();
        let shown = path.display();
        match file_kind(path)? {
            FileKind::New => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).with_context(|| {
                        format!("cannot create the folder {}", parent.display())
                    })?;
                }
                // SQLite gives the WAL and shared-memory files the database's own mode.
                if path.exists() {
                    crate::private_file::restrict(path)?;
                } else {
                    drop(crate::private_file::create_new(path)?);
                }
            }
            FileKind::Plain => {
                check_is_ours(path, None)?;
                bail!(
                    "{shown} is an unencrypted casebook database; casebook only opens encrypted \
                     files. Make an encrypted copy with `casebook encrypt --in {shown} --out NEW.db`. \
                     The file was left untouched"
                );
            }
            FileKind::Encrypted { .. } => check_is_ours(path, Some(key))?,
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open or create a database at {shown}"))?;
        key_connection(&conn, key)?;
        Self::prepare(conn).with_context(|| format!("cannot prepare the database at {shown}"))
    }

    /// Opens or creates an UNENCRYPTED file through the same code, for the encryption benchmark
    /// alone (plain against encrypted, same work). casebook itself never opens one.
    #[doc(hidden)]
    pub fn open_unencrypted_for_benchmark(path: &Path) -> Result<Store> {
        if matches!(file_kind(path)?, FileKind::Encrypted { .. }) {
            bail!("{} is encrypted", path.display());
        }
        Self::prepare(Connection::open(path)?)
    }

    /// A private in-memory database through the same code (tests, dry runs). Not encrypted:
    /// memory is not disk.
    pub fn open_in_memory() -> Result<Store> {
        sqlcipher_ready();
        Self::prepare(Connection::open_in_memory()?)
    }

    /// Binds the store to the worker who signed in: from now on every write is theirs and the
    /// role table applies.
    pub fn sign_in(&mut self, worker: Worker) {
        self.signed_in = Some(worker);
    }

    /// The signed-in worker, if any.
    pub fn signed_in(&self) -> Option<&Worker> {
        self.signed_in.as_ref()
    }

    /// Refuses `action` when the signed-in worker's roles do not allow it (the table in
    /// [`crate::domain::roles`]). A store nobody signed in to (tests) allows it.
    pub fn require(&self, action: Permission) -> Result<()> {
        match &self.signed_in {
            Some(w) => roles::require(&w.name, &w.roles, action).map_err(anyhow::Error::msg),
            None => Ok(()),
        }
    }

    /// Runs `f` with nobody signed in, for the demo loader, which writes as its own synthetic
    /// worker once an administrator has been allowed to start it.
    pub fn as_demo_loader<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.require(Permission::LoadDemo)?;
        let who = self.signed_in.take();
        let out = f(self);
        self.signed_in = who;
        out
    }

    /// Writes an encrypted copy of this database to `dest` (a new file, mode 600) under
    /// `key`. Plain SQLite backup refuses encrypted databases, so this uses `sqlcipher_export`.
    pub fn export_encrypted(&self, dest: &Path, key: &DataKey) -> Result<()> {
        export_encrypted(&self.conn, dest, key)
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
        let capture = if sync::in_team(&conn)? {
            Some(sync::capture_tables(&conn)?)
        } else {
            None
        };
        Ok(Store {
            conn,
            signed_in: None,
            capture,
        })
    }

    /// Caps the page cache of this connection at `mib` MiB (64 by default: right for the
    /// command line's long reads, more than a terminal UI that must stay small can hold).
    pub fn limit_page_cache(&self, mib: u32) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024))?;
        Ok(())
    }

    /// A number that changes whenever another connection commits to the file (SQLite's
    /// `data_version`; this connection's own commits do not change it): what a cache of this
    /// connection's reads checks before it trusts itself.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Writes everything to the main file (out of the WAL) and returns its first 16 bytes,
    /// SQLCipher's salt, which the key file records to know its database.
    pub(crate) fn flush_header(&self, path: &Path) -> Result<[u8; 16]> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        match file_kind(path)? {
            FileKind::Encrypted { salt } => Ok(salt),
            _ => bail!("{} was not written encrypted", path.display()),
        }
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

    /// Runs `f` in one transaction as `actor` (a worker ID) at `now`: casework, so the
    /// signed-in worker must hold a casework role. Either everything `f` wrote is committed
    /// with its audit rows, or nothing is.
    pub fn write<T>(
        &mut self,
        actor: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&Tx) -> Result<T>,
    ) -> Result<T> {
        self.write_for(Permission::RecordCasework, actor, now, f)
    }

    /// [`Store::write`] for an action other than casework (adding a worker, say). When a
    /// worker has signed in, only they can be the actor, and only if the role table allows.
    pub fn write_for<T>(
        &mut self,
        action: Permission,
        actor: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&Tx) -> Result<T>,
    ) -> Result<T> {
        if let Some(w) = &self.signed_in {
            if w.id != actor {
                bail!(
                    "changes are recorded as the signed-in worker ({}) only",
                    w.name
                );
            }
        }
        self.require(action)?;
        // IMMEDIATE: the write lock is taken before the audit chain's head is read, so two
        // terminals on one file queue rather than fork the chain.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some(tables) = &self.capture else {
            let wtx = Tx::new(&tx, actor, now);
            let out = f(&wtx)?;
            drop(wtx);
            tx.commit()?;
            return Ok(out);
        };
        // In a sync team: the session extension records what this transaction changes, and
        // the changeset is kept with the actor and the audit rows it appended.
        let (_, audit_before) = audit::local_device_seq(&tx)?;
        let mut session = sync::start_capture(&tx, tables)?;
        let wtx = Tx::new(&tx, actor, now);
        let out = f(&wtx)?;
        drop(wtx);
        let mut changeset = Vec::new();
        session.changeset_strm(&mut changeset)?;
        drop(session);
        let (_, audit_after) = audit::local_device_seq(&tx)?;
        sync::record_local_change(
            &tx,
            actor,
            now,
            action.code(),
            &changeset,
            (audit_before, audit_after),
        )?;
        tx.commit()?;
        Ok(out)
    }

    /// Records that `actor` saw these young people's records (`what`: "case view",
    /// "drill-down kpi.2a 2025-26 Q2"), one chained audit row each. Takes `&self` so screens
    /// that only read can audit what they show.
    pub fn record_view(
        &self,
        actor: &str,
        now: DateTime<Utc>,
        what: &str,
        young_person_ids: &[&str],
    ) -> Result<()> {
        if young_person_ids.is_empty() {
            return Ok(());
        }
        self.audit_only(actor, now, |tx| {
            for id in young_person_ids {
                tx.audit_view(id, what)?;
            }
            Ok(())
        })
    }

    /// As [`Store::record_view`], for lists that carry young people's references.
    pub fn record_view_of_references(
        &self,
        actor: &str,
        now: DateTime<Utc>,
        what: &str,
        references: &[&str],
    ) -> Result<()> {
        if references.is_empty() {
            return Ok(());
        }
        self.audit_only(actor, now, |tx| {
            let mut stmt = tx
                .conn()
                .prepare_cached("SELECT id FROM young_people WHERE reference = ?1")?;
            for r in references {
                let id: Option<String> = stmt.query_row([r], |row| row.get(0)).optional()?;
                if let Some(id) = id {
                    tx.audit_view(&id, what)?;
                }
            }
            Ok(())
        })
    }

    /// Records that `actor` wrote a return: one row naming it ("southampton 2025-26 Q2"),
    /// not one per young person counted.
    pub fn record_export(
        &self,
        actor: &str,
        now: DateTime<Utc>,
        return_name: &str,
        what: &str,
    ) -> Result<()> {
        self.audit_only(actor, now, |tx| tx.audit_export(return_name, what))
    }

    /// An IMMEDIATE transaction on a shared borrow, for audit rows of reads.
    fn audit_only(
        &self,
        actor: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&Tx) -> Result<()>,
    ) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let out = f(&Tx::new(&self.conn, actor, now));
        match out {
            Ok(()) => self.conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(())
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
fn check_is_ours(path: &Path, key: Option<&DataKey>) -> Result<()> {
    sqlcipher_ready();
    let shown = path.display();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {shown}"))?;
    if let Some(key) = key {
        key_connection(&conn, key)?;
    }
    let header = conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0));
    let app_id = match header {
        Ok(id) => id,
        Err(_) if key.is_some() => bail!(
            "the key does not open {shown}: its key file belongs to another database, or the \
             file is not a casebook database or is damaged; it was left untouched"
        ),
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

/// Copies the database behind `conn` into a new encrypted file at `dest` (refusing to replace
/// one), keeping its schema version and application ID.
fn export_encrypted(conn: &Connection, dest: &Path, key: &DataKey) -> Result<()> {
    if dest.exists() {
        bail!("{} already exists; give a new file name", dest.display());
    }
    drop(crate::private_file::create_new(dest)?);
    let run = || -> Result<()> {
        let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        let dest_str = dest
            .to_str()
            .context("the destination's path is not valid UTF-8")?;
        let sql = zeroize::Zeroizing::new(format!(
            "ATTACH DATABASE ?1 AS encrypted KEY \"x'{}'\"",
            key.hex().as_str()
        ));
        conn.execute(&sql, [dest_str])?;
        let copied = conn
            .query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
            .and_then(|_| {
                conn.execute_batch(&format!(
                    "PRAGMA encrypted.user_version = {version};
                     PRAGMA encrypted.application_id = {APPLICATION_ID};"
                ))
            });
        conn.execute_batch("DETACH DATABASE encrypted")?;
        copied?;
        Ok(())
    };
    run().inspect_err(|_| {
        let _ = std::fs::remove_file(dest);
    })
}

/// Makes an encrypted copy of the plain casebook database `src` at `dest` under `key`, and
/// checks every table holds the same number of rows. `src` is only read.
pub fn encrypt_plain(src: &Path, dest: &Path, key: &DataKey) -> Result<Vec<(String, i64)>> {
    match file_kind(src)? {
        FileKind::Plain => check_is_ours(src, None)?,
        FileKind::New => bail!("--in {}: there is no database there", src.display()),
        FileKind::Encrypted { .. } => bail!(
            "--in {}: this file is already encrypted (or not a SQLite database)",
            src.display()
        ),
    }
    let conn = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("cannot open {}", src.display()))?;
    let counts = |c: &Connection, schema: &str| -> Result<Vec<(String, i64)>> {
        let mut names: Vec<String> = c
            .prepare(&format!(
                "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' ORDER BY name"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        names.retain(|n| !n.starts_with("sqlite_"));
        names
            .into_iter()
            .map(|n| {
                let k: i64 =
                    c.query_row(&format!("SELECT count(*) FROM {schema}.\"{n}\""), [], |r| {
                        r.get(0)
                    })?;
                Ok((n, k))
            })
            .collect()
    };
    let before = counts(&conn, "main")?;
    export_encrypted(&conn, dest, key)?;
    drop(conn);
    let copy = Connection::open(dest)?;
    key_connection(&copy, key)?;
    let after = counts(&copy, "main")?;
    if before != after {
        drop(copy);
        let _ = std::fs::remove_file(dest);
        bail!("the encrypted copy's record counts differ from the original; nothing was kept");
    }
    Ok(after)
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

    /// A file written before follow-up outcomes (schema 4) opens, and its exited episodes with
    /// after-exit work still open are found for the due-list; settled ones are not.
    #[test]
    fn the_follow_up_migration_finds_open_after_exit_work_in_an_older_file() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 4).unwrap();
        conn.execute_batch(
            "INSERT INTO young_people (id, reference, given_name, family_name, name_key, created_at)
             VALUES ('yp', 'YP-1', 'Ada', 'Old', 'ada old', '2025-01-01T00:00:00Z');
             INSERT INTO episodes (id, young_person_id, referral_date, exit_date, exit_reason, created_at)
             VALUES ('open', 'yp', '2025-01-01', NULL, NULL, '2025-01-01T00:00:00Z'),
                    ('waiting', 'yp', '2024-01-01', '2024-06-28', 'completed_drug_free', '2024-01-01T00:00:00Z'),
                    ('done', 'yp', '2023-01-01', '2023-06-30', 'completed_drug_free', '2023-01-01T00:00:00Z'),
                    ('one_done', 'yp', '2022-01-01', '2022-06-30', 'completed_drug_free', '2022-01-01T00:00:00Z');
             INSERT INTO outcome_profiles (id, episode_id, date, occasion, created_at)
             VALUES ('t1', 'done', '2023-06-30', 'exit', '2023-06-30T00:00:00Z'),
                    ('t2', 'one_done', '2022-06-30', 'exit', '2022-06-30T00:00:00Z');
             INSERT INTO follow_ups (id, episode_id, date, created_at)
             VALUES ('f1', 'done', '2023-09-30', '2023-09-30T00:00:00Z'),
                    ('f2', 'done', '2023-12-30', '2023-12-30T00:00:00Z'),
                    ('f3', 'one_done', '2022-09-30', '2022-09-30T00:00:00Z'),
                    ('f4', 'one_done', '2022-06-30', '2022-06-30T00:00:00Z');",
        )
        .unwrap();
        let s = Store::prepare(conn).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_schema_version());
        let mut open: Vec<String> = s
            .conn()
            .prepare("SELECT episode_id FROM after_exit_open ORDER BY episode_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        open.sort();
        // `one_done`'s second follow-up was on the exit day: it does not count.
        assert_eq!(open, ["one_done", "waiting"]);
    }
}
