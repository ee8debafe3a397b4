//! Offline teams: devices that share one record through a folder (issue 15).
//!
//! Once a database belongs to a team, every [`Store::write`] transaction is captured by
//! SQLite's session extension as a changeset, kept in `sync_local_changes` with its actor, the
//! role-table action it was made under and the audit rows it appended. `sync` seals the new
//! ones into one bundle file in the folder (see [`bundle`]) and applies, in a deterministic
//! order, every bundle there that this device has not applied: one transaction per bundle, so
//! a bundle is applied whole or not at all.
//!
//! The folder holds `casebook-team.json` (the team's id), `casebook-team.keys` (the founder's
//! key file: the data key wrapped per worker password, as beside every database), the first
//! full snapshot (`snapshot.cbsnap`, an SQLCipher copy of the founder's database under the
//! team's data key, with the founder's signing key removed, and `snapshot.json`, its digest
//! signed by the founder) and `bundles/`.
//!
//! Conflicts go to a person: a remote change to a field that this device changed differently
//! does not overwrite it; both values are recorded in `sync_conflict_values` (ids derived from
//! the field and the audited change that wrote each value, so every device records the same
//! rows, and the rows travel too) until a key worker or manager chooses, which is itself a
//! change that travels and sets the field everywhere.

pub mod bundle;
pub mod duplicates;

pub use duplicates::{
    dismiss, duplicate_by_references, duplicate_decisions, merge, open_duplicates,
    DuplicateDecision, DuplicateSide, PossibleDuplicate,
};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;
use rusqlite::hooks::Action;
use rusqlite::session::{ChangesetItem, ChangesetIter, ConflictAction, ConflictType, Session};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit::{self, decode_changes, TravellingRow};
use super::keys::{key_file_path, KeyFile};
use super::sign_in::Unlocked;
use super::values::text;
use super::{DataKey, Store};
use crate::domain::ids::new_id;
use crate::domain::roles::{self, Permission};

/// Tables that are this device's own and never travel.
const LOCAL_TABLES: &[&str] = &[
    "audit_log",
    "audit_device",
    "form_drafts",
    "sync_local",
    "sync_devices",
    "sync_local_changes",
    "sync_bundles_out",
    "sync_applied",
    "sync_refused",
    "sync_field_versions",
    "sync_attest",
];

/// Rows the sync engine itself derives on apply (conflict values, possible duplicates). Every
/// device that sees the same collision derives the same rows; they travel so that every device
/// ends with all of them.
const DERIVED_TABLES: &[&str] = &["sync_conflict_values", "sync_possible_duplicates"];

/// The pseudo-actor and action of the derived rows' changes.
const SYNC_ACTOR: &str = "sync";
const SYNC_PERMISSION: &str = "sync";

const TEAM_FILE: &str = "casebook-team.json";
const TEAM_KEYS: &str = "casebook-team.keys";
const SNAPSHOT: &str = "snapshot.cbsnap";
const SNAPSHOT_SIG: &str = "snapshot.json";
const BUNDLES: &str = "bundles";

/// The tables whose changes are captured: every table but the local ones.
pub(crate) fn capture_tables(conn: &Connection) -> Result<Vec<String>> {
    let mut names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names.retain(|n| !LOCAL_TABLES.contains(&n.as_str()));
    Ok(names)
}

/// Whether this database belongs to a team (its writes are captured).
pub(crate) fn in_team(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM sync_local", [], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Starts capturing a write transaction.
pub(crate) fn start_capture<'c>(conn: &'c Connection, tables: &[String]) -> Result<Session<'c>> {
    let mut s = Session::new(conn)?;
    for t in tables {
        s.attach(Some(t.as_str()))?;
    }
    Ok(s)
}

/// Records a captured write as a local change waiting for the next bundle. A transaction that
/// changed nothing and audited nothing leaves nothing.
pub(crate) fn record_local_change(
    conn: &Connection,
    actor: &str,
    now: DateTime<Utc>,
    action: &str,
    changeset: &[u8],
    audit: (i64, i64),
) -> Result<()> {
    let (before, after) = audit;
    if changeset.is_empty() && after == before {
        return Ok(());
    }
    if actor != SYNC_ACTOR {
        note_local_writers(conn, audit)?;
    }
    let range = if after > before {
        (Some(before + 1), Some(after))
    } else {
        (None, None)
    };
    conn.prepare_cached(
        "INSERT INTO sync_local_changes (seq, at, actor_id, permission, changeset, audit_from, audit_to)
         VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM sync_local_changes), ?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now.timestamp(),
        actor,
        action,
        changeset,
        range.0,
        range.1
    ])?;
    Ok(())
}

// ---- the folder ------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TeamFile {
    format: String,
    team_id: String,
    founded_by: String,
    founded_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotSig {
    team_id: String,
    device_id: String,
    public_key: String,
    sha256: String,
    signature: String,
    /// For each device, the last of its bundles the snapshot holds (a refreshed snapshot; the
    /// founder's first one holds no bundle). Informational: the signed database says the same
    /// in its `sync_applied`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    includes: BTreeMap<String, i64>,
}

fn check_folder(folder: &Path) -> Result<()> {
    if !folder.is_dir() {
        bail!(
            "the sync folder {} is not there (a drive not connected, or a folder moved); \
             nothing was changed",
            folder.display()
        );
    }
    Ok(())
}

fn read_team(folder: &Path) -> Result<Option<TeamFile>> {
    let p = folder.join(TEAM_FILE);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("cannot read {}: {e}", p.display()),
    };
    let t: TeamFile = serde_json::from_str(&text)
        .map_err(|_| anyhow::anyhow!("{} is not a casebook team file", p.display()))?;
    if t.format != "casebook-team-1" {
        bail!("{} is of another format ('{}')", p.display(), t.format);
    }
    Ok(Some(t))
}

/// Writes `bytes` to `path` whole: a temporary file in the same folder, synced, then renamed,
/// so a file-sync engine or a reader never sees half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("a sync file needs a name")?;
    let tmp = path.with_file_name(format!(".{name}.part"));
    let _ = std::fs::remove_file(&tmp);
    let written = (|| -> Result<()> {
        let mut f = crate::private_file::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| {
        format!(
            "cannot write {} (is the sync folder still there?)",
            path.display()
        )
    })
}

// ---- this device -----------------------------------------------------------------------------

struct Local {
    team_id: String,
    device_id: String,
    device_name: String,
    signer: SigningKey,
    snapshot_written: bool,
}

fn local(conn: &Connection) -> Result<Option<Local>> {
    conn.query_row(
        "SELECT team_id, device_id, device_name, secret_key, snapshot_written FROM sync_local",
        [],
        |r| {
            let secret: Vec<u8> = r.get(3)?;
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, secret, r.get::<_, i64>(4)?))
        },
    )
    .optional()?
    .map(|(team_id, device_id, device_name, secret, sw)| {
        let secret: [u8; 32] = secret
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("this device's signing key is damaged"))?;
        Ok(Local {
            team_id,
            device_id,
            device_name,
            signer: SigningKey::from_bytes(&secret),
            snapshot_written: sw != 0,
        })
    })
    .transpose()
}

fn new_signer() -> SigningKey {
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(&mut secret[..]);
    SigningKey::from_bytes(&secret)
}

fn check_device_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        bail!("device name: 1 to 60 characters on one line (e.g. \"Office desktop\")");
    }
    Ok(name.to_string())
}

/// The device name when none is given: the machine's host name, else "casebook device".
pub fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().count() <= 60)
        .unwrap_or_else(|| "casebook device".to_string())
}

fn insert_local(
    conn: &Connection,
    team_id: &str,
    device_id: &str,
    name: &str,
    signer: &SigningKey,
    snapshot_written: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let public = signer.verifying_key().to_bytes();
    conn.execute(
        "INSERT INTO sync_local (one, team_id, device_id, device_name, secret_key, public_key,
             snapshot_written)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            team_id,
            device_id,
            name,
            &signer.to_bytes()[..],
            &public[..],
            snapshot_written as i64
        ],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO sync_devices (device_id, name, public_key, first_seen_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![device_id, name, &public[..], stamp(now)],
    )?;
    Ok(())
}

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---- status, for the command line and the terminal's status line ------------------------------

/// Where this device stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `None` until the database founds or joins a team.
    pub team_id: Option<String>,
    pub device_id: String,
    pub device_name: Option<String>,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Local changes not yet written to a bundle.
    pub waiting_changes: i64,
    /// Fields with values from two devices that wait for a person.
    pub open_conflicts: i64,
    pub possible_duplicates: i64,
    /// Changes from other devices refused because their actor lacked the role.
    pub refused_changes: i64,
}

/// This device's sync status (cheap: indexed counts).
pub fn status(store: &Store) -> Result<Status> {
    let conn = store.conn();
    let (device_id, _) = audit::local_device_seq(conn)?;
    let l = local(conn)?;
    let last: Option<String> = conn
        .query_row("SELECT last_sync_at FROM sync_local", [], |r| r.get(0))
        .optional()?
        .flatten();
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    Ok(Status {
        team_id: l.as_ref().map(|l| l.team_id.clone()),
        device_id,
        device_name: l.map(|l| l.device_name),
        last_sync_at: last
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|d| d.with_timezone(&Utc)),
        waiting_changes: count("SELECT count(*) FROM sync_local_changes WHERE bundle_seq IS NULL")?,
        open_conflicts: count(
            "SELECT count(*) FROM (SELECT DISTINCT table_name, record_id, column_name
             FROM sync_conflict_values v WHERE NOT EXISTS
             (SELECT 1 FROM sync_choice_covers c WHERE c.value_id = v.id))",
        )?,
        possible_duplicates: count(
            "SELECT count(*) FROM sync_possible_duplicates p
             JOIN young_people a ON a.id = p.young_person_a
             JOIN young_people b ON b.id = p.young_person_b
             WHERE a.in_error_at IS NULL AND b.in_error_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sync_duplicate_decisions d WHERE d.duplicate_id = p.id)",
        )?,
        refused_changes: count("SELECT count(*) FROM sync_refused")?,
    })
}

impl Status {
    /// The figures for the terminal's status line ([`crate::domain::sync::status_line`]).
    pub fn figures(&self) -> crate::domain::sync::SyncFigures {
        crate::domain::sync::SyncFigures {
            in_team: self.team_id.is_some(),
            last_sync_at: self.last_sync_at,
            waiting_changes: self.waiting_changes,
            open_conflicts: self.open_conflicts,
            possible_duplicates: self.possible_duplicates,
        }
    }
}

// ---- sync ---------------------------------------------------------------------------------------

/// A bundle that was not applied, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file's name in the folder's `bundles/`.
    pub file: String,
    pub reason: String,
}

/// What one `sync` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// This run founded the team in the folder.
    pub founded: bool,
    /// The bundle this device wrote (none when nothing was waiting).
    pub written: Option<String>,
    /// Earlier bundles of this device found missing from the folder and written again.
    pub rewritten: usize,
    /// Bundles applied, in the order applied.
    pub applied: Vec<String>,
    /// Bundles already applied here (replays, copies): nothing changed.
    pub already_applied: usize,
    /// Bundles that wait for an earlier one (a gap) or for what they build on.
    pub waiting: Vec<Refusal>,
    pub refused: Vec<Refusal>,
    /// Changes inside applied bundles refused because their actor lacked the role.
    pub refused_changes: Vec<String>,
}

/// `casebook sync --folder DIR`: founds the team in an empty folder, writes this device's new
/// changes as one bundle, then applies every bundle in the folder not yet applied here.
/// Running it again with nothing new changes nothing.
pub fn sync(
    store: &mut Store,
    key: &DataKey,
    key_file: &KeyFile,
    folder: &Path,
    device_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SyncReport> {
    check_folder(folder)?;
    let mut report = SyncReport::default();
    let team = read_team(folder)?;
    match (local(store.conn())?, &team) {
        (None, Some(t)) => bail!(
            "{} holds the team {}, and this database is not part of it; a new device joins with \
             `casebook sync join --folder {}` and a new --db file. Nothing was changed",
            folder.display(),
            t.team_id,
            folder.display()
        ),
        (None, None) => {
            let name = check_device_name(
                &device_name
                    .map(str::to_string)
                    .unwrap_or_else(default_device_name),
            )?;
            found(store, key, key_file, folder, &name, now)?;
            report.founded = true;
        }
        (Some(l), Some(t)) if t.team_id != l.team_id => bail!(
            "{} holds another team ({}; this database belongs to {}); nothing was changed",
            folder.display(),
            t.team_id,
            l.team_id
        ),
        (Some(l), _) if !l.snapshot_written => {
            write_snapshot(store, key, key_file, folder, now)?;
        }
        (Some(_), None) => bail!(
            "{} holds no casebook team (its {TEAM_FILE} is missing), though this database \
             belongs to one; point --folder at the team's folder. Nothing was changed",
            folder.display()
        ),
        (Some(_), Some(_)) => {}
    }
    let (written, rewritten) = write_bundle(store, key, folder, now)?;
    report.written = written;
    report.rewritten = rewritten;
    apply_folder(store, key, folder, now, &mut report)?;
    store
        .conn
        .execute("UPDATE sync_local SET last_sync_at = ?1", [stamp(now)])?;
    Ok(report)
}

/// Makes this database the first device of a new team in `folder`.
fn found(
    store: &mut Store,
    key: &DataKey,
    key_file: &KeyFile,
    folder: &Path,
    name: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (device_id, _) = audit::local_device_seq(store.conn())?;
    let team_id = uuid::Uuid::new_v4().to_string();
    {
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_local(&tx, &team_id, &device_id, name, &new_signer(), false, now)?;
        tx.commit()?;
    }
    store.capture = Some(capture_tables(store.conn())?);
    write_snapshot(store, key, key_file, folder, now)
}

/// Writes the team's first full snapshot, key file and team file into the folder, and marks
/// every change made so far as inside it.
fn write_snapshot(
    store: &mut Store,
    key: &DataKey,
    key_file: &KeyFile,
    folder: &Path,
    now: DateTime<Utc>,
) -> Result<()> {
    let l = local(store.conn())?.context("this database belongs to no team")?;
    let upto: i64 = store.conn().query_row(
        "SELECT coalesce(max(seq), 0) FROM sync_local_changes",
        [],
        |r| r.get(0),
    )?;
    let made = (|| -> Result<()> {
        write_snapshot_file(store, key, &l, folder, &[], now)?;
        let mut team_keys = key_file.clone();
        team_keys.database_salt = String::new();
        for slot in &mut team_keys.slots {
            slot.failed_sign_ins = 0;
            slot.locked_until = None;
        }
        write_whole(
            &folder.join(TEAM_KEYS),
            serde_json::to_string_pretty(&team_keys)?.as_bytes(),
        )?;
        std::fs::create_dir_all(folder.join(BUNDLES))?;
        let team = TeamFile {
            format: "casebook-team-1".into(),
            team_id: l.team_id.clone(),
            founded_by: l.device_id.clone(),
            founded_at: stamp(now),
        };
        write_whole(&folder.join(TEAM_FILE), &serde_json::to_vec_pretty(&team)?)?;
        Ok(())
    })();
    made.with_context(|| format!("cannot write the team's snapshot into {}", folder.display()))?;
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE sync_local_changes SET bundle_seq = 0 WHERE seq <= ?1 AND bundle_seq IS NULL",
        [upto],
    )?;
    tx.execute(
        "UPDATE sync_field_versions SET origin_bundle = 0 WHERE origin_bundle IS NULL",
        [],
    )?;
    tx.execute("UPDATE sync_local SET snapshot_written = 1", [])?;
    tx.commit()?;
    Ok(())
}

/// One of this device's own bundles a refreshed snapshot holds: its sequence, its last
/// change and the digest of its file (so a joining device recognises the file as applied).
type OwnBundle = (i64, i64, [u8; 32]);

/// Writes the signed snapshot of this database into the folder, whole: a `.part` copy,
/// cleaned of this device's own secrets and unsent work, then renamed, then its signature.
/// `own` are this device's bundles the copy holds; they are recorded as applied in it.
/// Returns, per device, the last bundle the snapshot holds.
fn write_snapshot_file(
    store: &Store,
    key: &DataKey,
    l: &Local,
    folder: &Path,
    own: &[OwnBundle],
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, i64>> {
    let tmp = folder.join(".snapshot.cbsnap.part");
    let _ = std::fs::remove_file(&tmp);
    store.export_encrypted(&tmp, key)?;
    let made = (|| -> Result<BTreeMap<String, i64>> {
        let includes = {
            // The copy keeps the writer's pinned devices and what it applied, never its
            // signing key or its unsent changes.
            let c = Connection::open(&tmp)?;
            super::key_connection(&c, key)?;
            c.execute_batch(
                "PRAGMA secure_delete = ON;
                 DELETE FROM sync_local; DELETE FROM sync_local_changes;
                 DELETE FROM sync_bundles_out; DELETE FROM form_drafts;",
            )?;
            for (seq, last, digest) in own {
                c.execute(
                    "INSERT OR REPLACE INTO sync_applied
                         (device_id, bundle_seq, last_change, digest, applied_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![l.device_id, seq, last, &digest[..], stamp(now)],
                )?;
            }
            let includes: BTreeMap<String, i64> = applied_marks(&c)?
                .into_iter()
                .map(|(d, (b, _))| (d, b))
                .collect();
            c.execute_batch("VACUUM")?;
            includes
        };
        let bytes = std::fs::read(&tmp)?;
        let digest = Sha256::digest(&bytes);
        let sig = l.signer.sign(&snapshot_message(&l.team_id, &digest));
        let s = SnapshotSig {
            team_id: l.team_id.clone(),
            device_id: l.device_id.clone(),
            public_key: hex::encode(l.signer.verifying_key().to_bytes()),
            sha256: hex::encode(digest),
            signature: hex::encode(sig.to_bytes()),
            includes: includes.clone(),
        };
        std::fs::rename(&tmp, folder.join(SNAPSHOT))?;
        write_whole(&folder.join(SNAPSHOT_SIG), &serde_json::to_vec_pretty(&s)?)?;
        Ok(includes)
    })();
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    made
}

/// What `casebook sync snapshot` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotReport {
    /// The sync run first (this device's changes sealed, the folder's bundles applied).
    pub sync: SyncReport,
    /// Per device, the last bundle the new snapshot holds: a device joining from it applies
    /// only bundles after these.
    pub includes: BTreeMap<String, i64>,
}

/// `casebook sync snapshot --folder DIR`: syncs, seals everything this device holds into a
/// bundle, then replaces the folder's snapshot with a fresh signed copy of this database that
/// records the bundles it holds, so a device joining later starts from it rather than from the
/// founder's first snapshot and every bundle since. The old bundles stay in the folder (devices
/// not yet synced still need them); a joining device recognises them as applied.
pub fn refresh_snapshot(
    store: &mut Store,
    key: &DataKey,
    key_file: &KeyFile,
    folder: &Path,
    now: DateTime<Utc>,
) -> Result<SnapshotReport> {
    check_folder(folder)?;
    if local(store.conn())?.is_none() {
        bail!(
            "this database belongs to no team yet; `casebook sync --folder {}` founds one (and \
             writes the first snapshot)",
            folder.display()
        );
    }
    let mut sync_report = sync(store, key, key_file, folder, None, now)?;
    // What the apply derived is sealed too, so the snapshot holds nothing unsent.
    let (written, _) = write_bundle(store, key, folder, now)?;
    if written.is_some() {
        sync_report.written = written;
    }
    let l = local(store.conn())?.context("this database belongs to no team")?;
    let seqs: Vec<(i64, i64)> = store
        .conn()
        .prepare("SELECT bundle_seq, last_change FROM sync_bundles_out ORDER BY bundle_seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut own = Vec::with_capacity(seqs.len());
    for (seq, last) in seqs {
        // A bundle is written again byte for byte, so its digest is the file's.
        let bytes = build_bundle(store.conn(), &l, key, seq)?;
        own.push((seq, last, Sha256::digest(&bytes).into()));
    }
    let includes = write_snapshot_file(store, key, &l, folder, &own, now)
        .with_context(|| format!("cannot write the team's snapshot into {}", folder.display()))?;
    Ok(SnapshotReport {
        sync: sync_report,
        includes,
    })
}

fn snapshot_message(team_id: &str, digest: &[u8]) -> Vec<u8> {
    let mut m = b"casebook snapshot v1\0".to_vec();
    m.extend_from_slice(team_id.as_bytes());
    m.push(0);
    m.extend_from_slice(digest);
    m
}

/// The last bundle (and change) applied from each other device.
fn applied_marks(conn: &Connection) -> Result<BTreeMap<String, (i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT device_id, max(bundle_seq), max(last_change) FROM sync_applied GROUP BY device_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Seals the changes waiting into the next bundle (recorded first, so a crash before the file
/// is written loses nothing: the file is written again, byte for byte, by the next sync), and
/// writes again any earlier bundle of this device missing from the folder.
/// Returns the new bundle's file name and how many were written again.
pub fn write_bundle(
    store: &mut Store,
    key: &DataKey,
    folder: &Path,
    now: DateTime<Utc>,
) -> Result<(Option<String>, usize)> {
    check_folder(folder)?;
    let l = local(store.conn())?.context("this database belongs to no team")?;
    let dir = folder.join(BUNDLES);
    std::fs::create_dir_all(&dir).with_context(|| {
        format!(
            "cannot make {} (is the sync folder still there?)",
            dir.display()
        )
    })?;
    let new_seq = {
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pending: Option<(i64, i64)> = tx.query_row(
            "SELECT min(seq), max(seq) FROM sync_local_changes WHERE bundle_seq IS NULL",
            [],
            |r| Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?)),
        )?;
        let seq = match pending {
            Some((first, last)) => {
                let seq: i64 = tx.query_row(
                    "SELECT coalesce(max(bundle_seq), 0) + 1 FROM sync_bundles_out",
                    [],
                    |r| r.get(0),
                )?;
                let depends: BTreeMap<String, i64> = applied_marks(&tx)?
                    .into_iter()
                    .map(|(d, (b, _))| (d, b))
                    .collect();
                tx.execute(
                    "INSERT INTO sync_bundles_out (bundle_seq, first_change, last_change, created_at, depends)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![seq, first, last, stamp(now), serde_json::to_string(&depends)?],
                )?;
                tx.execute(
                    "UPDATE sync_local_changes SET bundle_seq = ?1 WHERE bundle_seq IS NULL",
                    [seq],
                )?;
                tx.execute(
                    "UPDATE sync_field_versions SET origin_bundle = ?1
                     WHERE device_id = ?2 AND origin_bundle IS NULL",
                    params![seq, l.device_id],
                )?;
                Some(seq)
            }
            None => None,
        };
        tx.commit()?;
        seq
    };
    let all: Vec<i64> = store
        .conn()
        .prepare("SELECT bundle_seq FROM sync_bundles_out ORDER BY bundle_seq")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rewritten = 0;
    for seq in all {
        let name = bundle::file_name(&l.device_id, seq);
        let path = dir.join(&name);
        if Some(seq) != new_seq && path.exists() {
            continue;
        }
        let bytes = build_bundle(store.conn(), &l, key, seq)?;
        write_whole(&path, &bytes)?;
        if Some(seq) != new_seq {
            rewritten += 1;
        }
    }
    Ok((
        new_seq.map(|s| bundle::file_name(&l.device_id, s)),
        rewritten,
    ))
}

fn build_bundle(conn: &Connection, l: &Local, key: &DataKey, seq: i64) -> Result<Vec<u8>> {
    let (first, last, created_at, depends): (i64, i64, String, String) = conn.query_row(
        "SELECT first_change, last_change, created_at, depends FROM sync_bundles_out WHERE bundle_seq = ?1",
        [seq],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut changes = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor_id, permission, changeset, audit_from, audit_to
         FROM sync_local_changes WHERE bundle_seq = ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([seq])?;
    while let Some(r) = rows.next()? {
        let from: Option<i64> = r.get(5)?;
        let to: Option<i64> = r.get(6)?;
        let audit = match (from, to) {
            (Some(f), Some(t)) => audit::local_rows(conn, f, t)?,
            _ => Vec::new(),
        };
        changes.push(bundle::Change {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            permission: r.get(3)?,
            changeset: r.get(4)?,
            audit,
        });
    }
    let header = bundle::Header {
        format: 1,
        team_id: l.team_id.clone(),
        device_id: l.device_id.clone(),
        device_name: l.device_name.clone(),
        public_key: hex::encode(l.signer.verifying_key().to_bytes()),
        bundle_seq: seq,
        first_change: first,
        last_change: last,
        depends: serde_json::from_str(&depends)?,
        schema_version: super::latest_schema_version(),
        created_at,
    };
    bundle::seal(&header, &changes, key, &l.signer)
}

/// One bundle file found in the folder, read whole.
struct Found {
    file: String,
    bytes: Vec<u8>,
    header: bundle::Header,
}

/// Applies, in a deterministic order, every bundle in the folder not yet applied here: for
/// each other device in order of its id, its next bundle once what it builds on is applied,
/// until nothing more can be applied.
pub fn apply_folder(
    store: &mut Store,
    key: &DataKey,
    folder: &Path,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<()> {
    check_folder(folder)?;
    let l = local(store.conn())?.context("this database belongs to no team")?;
    // A bundle says what its writer had applied when its changes were made; so local changes
    // are sealed before anything more is applied.
    let unsent: i64 = store.conn().query_row(
        "SELECT count(*) FROM sync_local_changes WHERE bundle_seq IS NULL AND actor_id <> ?1",
        [SYNC_ACTOR],
        |r| r.get(0),
    )?;
    if unsent > 0 {
        let (written, rewritten) = write_bundle(store, key, folder, now)?;
        report.written = report.written.take().or(written);
        report.rewritten += rewritten;
    }
    let dir = folder.join(BUNDLES);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && folder.is_dir() => return Ok(()),
        Err(_) => bail!(
            "the sync folder {} vanished during the sync; what was applied stays applied, \
             and the next sync carries on from there",
            folder.display()
        ),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".cbsync") && !n.starts_with('.'))
        .collect();
    names.sort();
    let marks = applied_marks(store.conn())?;
    let mut queue: BTreeMap<(String, i64), Vec<Found>> = BTreeMap::new();
    for name in names {
        let bytes = match std::fs::read(dir.join(&name)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                report.refused.push(Refusal {
                    file: name,
                    reason: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let header = match bundle::peek(&bytes) {
            Ok(h) => h,
            Err(e) => {
                report.refused.push(Refusal {
                    file: name,
                    reason: format!("{e:#}"),
                });
                continue;
            }
        };
        if header.device_id == l.device_id && header.team_id == l.team_id {
            continue;
        }
        let applied_digest: Option<Vec<u8>> = store
            .conn()
            .query_row(
                "SELECT digest FROM sync_applied WHERE device_id = ?1 AND bundle_seq = ?2",
                params![header.device_id, header.bundle_seq],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(d) = applied_digest {
            if d[..] == Sha256::digest(&bytes)[..] {
                report.already_applied += 1;
            } else {
                report.refused.push(Refusal {
                    file: name,
                    reason: format!(
                        "bundle {} of device {} was already applied here with other content \
                         (a replayed or forged bundle)",
                        header.bundle_seq, header.device_id
                    ),
                });
            }
            continue;
        }
        queue
            .entry((header.device_id.clone(), header.bundle_seq))
            .or_default()
            .push(Found {
                file: name,
                bytes,
                header,
            });
    }
    let mut marks: BTreeMap<String, i64> = marks.into_iter().map(|(d, (b, _))| (d, b)).collect();
    let mut blocked: HashSet<String> = HashSet::new();
    loop {
        let mut progress = false;
        let keys: Vec<(String, i64)> = queue.keys().cloned().collect();
        for k in keys {
            let (device, seq) = &k;
            if blocked.contains(device) {
                continue;
            }
            let next = marks.get(device).copied().unwrap_or(0) + 1;
            if *seq != next {
                continue;
            }
            let candidates = &queue[&k];
            let ready = candidates[0]
                .header
                .depends
                .iter()
                .all(|(d, s)| d == &l.device_id || marks.get(d).copied().unwrap_or(0) >= *s);
            if !ready {
                continue;
            }
            let candidates = queue.remove(&k).expect("present");
            let mut done = false;
            for f in candidates {
                match apply_bundle(store, key, &l, &f, now) {
                    Ok(refused) => {
                        report.applied.push(f.file);
                        report.refused_changes.extend(refused);
                        done = true;
                        break;
                    }
                    Err(e) => report.refused.push(Refusal {
                        file: f.file,
                        reason: format!("{e:#}"),
                    }),
                }
            }
            if done {
                marks.insert(device.clone(), *seq);
                progress = true;
            } else {
                // Later bundles of this device wait for a good copy of this one.
                blocked.insert(device.clone());
            }
        }
        if !progress {
            break;
        }
    }
    for ((device, seq), founds) in queue {
        let next = marks.get(&device).copied().unwrap_or(0) + 1;
        let reason = if seq < next {
            continue;
        } else if seq > next {
            format!("waits for bundle {next} of device {device}, which has not arrived")
        } else {
            let missing: Vec<String> = founds[0]
                .header
                .depends
                .iter()
                .filter(|(d, s)| *d != &l.device_id && marks.get(*d).copied().unwrap_or(0) < **s)
                .map(|(d, s)| format!("bundle {s} of device {d}"))
                .collect();
            if missing.is_empty() {
                continue;
            }
            format!("waits for what it builds on: {}", missing.join(", "))
        };
        for f in founds {
            report.waiting.push(Refusal {
                file: f.file,
                reason: reason.clone(),
            });
        }
    }
    Ok(())
}

/// Pause inside the apply transaction (debug builds only), so the kill -9 test can stop the
/// process with a bundle half applied.
fn test_only_pause(file: &str) {
    if cfg!(debug_assertions) {
        if let Some(ms) = std::env::var("CASEBOOK_TEST_ONLY_SYNC_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            eprintln!("casebook: applying {file}");
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}

/// Checks and applies one bundle in one transaction. Returns the changes refused for their
/// actor's role.
fn apply_bundle(
    store: &mut Store,
    key: &DataKey,
    l: &Local,
    f: &Found,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let h = &f.header;
    if h.schema_version != super::latest_schema_version() {
        bail!(
            "it was written by a casebook with schema {} (this one has {}); bring every device \
             to the same casebook version",
            h.schema_version,
            super::latest_schema_version()
        );
    }
    let pinned: Option<Vec<u8>> = store
        .conn()
        .query_row(
            "SELECT public_key FROM sync_devices WHERE device_id = ?1",
            [&h.device_id],
            |r| r.get(0),
        )
        .optional()?;
    let carried =
        hex::decode(&h.public_key).map_err(|_| anyhow::anyhow!("its device key is not hex"))?;
    if let Some(p) = &pinned {
        if p[..] != carried[..] {
            bail!(
                "it is signed with a key other than the one device {} first used; refused",
                h.device_id
            );
        }
    }
    let opened = bundle::open(
        &f.bytes,
        &l.team_id,
        pinned.as_deref().unwrap_or(&carried),
        key,
    )?;
    let tables = store
        .capture
        .clone()
        .context("this database belongs to no team")?;
    let columns = Arc::new(table_columns(store.conn(), &tables)?);
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last_change: i64 = tx.query_row(
        "SELECT coalesce(max(last_change), 0) FROM sync_applied WHERE device_id = ?1",
        [&h.device_id],
        |r| r.get(0),
    )?;
    if h.first_change != last_change + 1 {
        bail!(
            "its changes start at {} but {} was due from device {}",
            h.first_change,
            last_change + 1,
            h.device_id
        );
    }
    let (_, before_seq) = audit::local_device_seq(&tx)?;
    let mut refused = Vec::new();
    let mut chosen_records = Vec::new();
    let mut derived = Session::new(&tx)?;
    for t in DERIVED_TABLES {
        derived.attach(Some(*t))?;
    }
    derived.set_enabled(false);
    for ch in &opened.changes {
        match may_apply(&tx, ch) {
            Ok(()) => apply_change(
                &tx,
                ch,
                &h.device_id,
                h.bundle_seq,
                &h.depends,
                &columns,
                &mut derived,
                &mut chosen_records,
            )
            .with_context(|| format!("change {} of device {}", ch.seq, h.device_id))?,
            Err(reason) => {
                tx.execute(
                    "INSERT OR REPLACE INTO sync_refused (device_id, change_seq, actor_id, reason)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![h.device_id, ch.seq, ch.actor, reason],
                )?;
                refused.push(format!(
                    "change {} of device {}: {reason}",
                    ch.seq, h.device_id
                ));
            }
        }
        audit::import_rows(&tx, &h.device_id, &ch.audit)?;
    }
    let mut cs = Vec::new();
    derived.changeset_strm(&mut cs)?;
    drop(derived);
    // The standing merges, whatever order their decisions and records arrived in.
    chosen_records.extend(duplicates::settle(&tx)?);
    attest(&tx, &opened.changes, &chosen_records, &tables)?;
    record_local_change(
        &tx,
        SYNC_ACTOR,
        now,
        SYNC_PERMISSION,
        &cs,
        (before_seq, before_seq),
    )?;
    tx.execute(
        "INSERT INTO sync_applied (device_id, bundle_seq, last_change, digest, applied_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            h.device_id,
            h.bundle_seq,
            h.last_change,
            &opened.digest[..],
            stamp(now)
        ],
    )?;
    if pinned.is_none() {
        tx.execute(
            "INSERT INTO sync_devices (device_id, name, public_key, first_seen_at) VALUES (?1, ?2, ?3, ?4)",
            params![h.device_id, h.device_name, &carried[..], stamp(now)],
        )?;
    }
    test_only_pause(&f.file);
    tx.commit()?;
    Ok(refused)
}

/// Records the hash of every record the bundle's audit rows name, as it now stands here.
/// Records the hash of every record the bundle's audit rows name, and of every record a choice
/// in it set, as it now stands here.
fn attest(
    conn: &Connection,
    changes: &[bundle::Change],
    chosen: &[(String, String)],
    tables: &[String],
) -> Result<()> {
    let seq: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| {
        r.get(0)
    })?;
    let mut seen = HashSet::new();
    let audited = changes
        .iter()
        .flat_map(|c| &c.audit)
        .filter(|row| row.action != "view")
        .map(|row| (row.table.as_str(), row.record_id.as_str()));
    let chosen = chosen.iter().map(|(t, r)| (t.as_str(), r.as_str()));
    for (table, id) in audited.chain(chosen) {
        if !tables.iter().any(|t| t == table) || !seen.insert((table, id)) {
            continue;
        }
        if let Some(h) = audit::row_hash(conn, table, id)? {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO sync_attest (table_name, record_id, row_hash, at_seq)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![table, id, &h[..], seq])?;
        }
    }
    Ok(())
}

/// Whether the change's actor held the role for it here (the workers table travels too, so a
/// worker's roles are those this device knows when the change arrives after them).
fn may_apply(conn: &Connection, ch: &bundle::Change) -> std::result::Result<(), String> {
    if ch.permission == SYNC_PERMISSION && ch.actor == SYNC_ACTOR {
        return only_derived(&ch.changeset).map_err(|e| format!("{e:#}"));
    }
    let Some(action) = Permission::from_code(&ch.permission) else {
        return Err(format!("unknown action '{}'", ch.permission));
    };
    let worker = match super::people::worker_in(conn, &ch.actor) {
        Ok(Some(w)) => w,
        Ok(None) => {
            // The demo loader and scripts write as no signed-in worker; their changes are
            // casework by a synthetic actor, allowed only as casework. A worker made as the
            // actor of their own creation (how the first worker of a file, and the demo's
            // worker, are made) is allowed that one write.
            if action == Permission::RecordCasework || action == Permission::LoadDemo {
                return Ok(());
            }
            if creates_worker(&ch.changeset, &ch.actor).unwrap_or(false) {
                return Ok(());
            }
            return Err(format!("its actor {} is not a worker here", ch.actor));
        }
        Err(e) => return Err(format!("{e:#}")),
    };
    roles::require(&worker.name, &worker.roles, action)
}

/// Whether the changeset inserts the worker `id` and nothing else.
fn creates_worker(changeset: &[u8], id: &str) -> Result<bool> {
    let mut only = true;
    let mut found = false;
    for_each_item(changeset, |item| {
        let op = item.op()?;
        if op.table_name() == "workers" && op.code() == Action::SQLITE_INSERT {
            found |= matches!(item.new_value(0)?, ValueRef::Text(t) if t == id.as_bytes());
        } else {
            only = false;
        }
        Ok(())
    })?;
    Ok(found && only)
}

fn only_derived(changeset: &[u8]) -> Result<()> {
    for_each_item(changeset, |item| {
        let op = item.op()?;
        if !DERIVED_TABLES.contains(&op.table_name()) {
            bail!("the sync engine's change touches {}", op.table_name());
        }
        Ok(())
    })
}

fn for_each_item(changeset: &[u8], mut f: impl FnMut(&ChangesetItem) -> Result<()>) -> Result<()> {
    use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
    if changeset.is_empty() {
        return Ok(());
    }
    let mut input: &[u8] = changeset;
    let reader: &mut dyn std::io::Read = &mut input;
    let mut it = ChangesetIter::start_strm(&reader)?;
    while let Some(item) = it.next()? {
        f(item)?;
    }
    Ok(())
}

fn owned(v: ValueRef) -> Value {
    // Text that is not UTF-8 cannot come from casebook; it is kept as bytes.
    match v {
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => Value::Text(s.to_string()),
            Err(_) => Value::Blob(t.to_vec()),
        },
        other => Value::try_from(other).unwrap_or(Value::Null),
    }
}

/// Column names of every captured table, in the order the changesets number them.
fn table_columns(conn: &Connection, tables: &[String]) -> Result<HashMap<String, Vec<String>>> {
    let mut out = HashMap::new();
    for t in tables {
        let cols: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.insert(t.clone(), cols);
    }
    Ok(out)
}

/// A value two devices wrote to one field.
#[derive(Debug, Clone)]
struct Clash {
    table: String,
    id: String,
    column: String,
    incoming: Value,
    current: Value,
    /// Who wrote the value held here.
    writer: Writer,
}

#[derive(Default)]
struct Collected {
    /// New records that clash with a unique rule here (e.g. a second triage of one episode).
    constraint: Vec<(String, String)>,
    error: Option<String>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Integer(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The audited change that wrote a field's value here.
#[derive(Debug, Clone)]
struct Writer {
    device_id: String,
    audit_seq: i64,
    origin_bundle: Option<i64>,
}

fn writer_of(conn: &Connection, table: &str, id: &str, column: &str) -> Result<Option<Writer>> {
    Ok(conn
        .prepare_cached(
            "SELECT device_id, audit_seq, origin_bundle FROM sync_field_versions
             WHERE table_name = ?1 AND record_id = ?2 AND column_name = ?3",
        )?
        .query_row([table, id, column], |r| {
            Ok(Writer {
                device_id: r.get(0)?,
                audit_seq: r.get(1)?,
                origin_bundle: r.get(2)?,
            })
        })
        .optional()?)
}

pub(crate) fn set_writer(
    conn: &Connection,
    (table, id, column): (&str, &str, &str),
    device_id: &str,
    audit_seq: i64,
    origin_bundle: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_field_versions
             (table_name, record_id, column_name, device_id, audit_seq, origin_bundle)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        table,
        id,
        column,
        device_id,
        audit_seq,
        origin_bundle
    ])?;
    Ok(())
}

/// Records this device as the writer of every field its transaction's audit rows changed.
pub(crate) fn note_local_writers(conn: &Connection, audit: (i64, i64)) -> Result<()> {
    let (before, after) = audit;
    if after <= before {
        return Ok(());
    }
    let (device, _) = audit::local_device_seq(conn)?;
    for row in audit::local_rows(conn, before + 1, after)? {
        if row.action != "update" && row.action != "in_error" {
            continue;
        }
        for c in decode_changes(row.changes.as_deref().unwrap_or(&[]))? {
            set_writer(
                conn,
                (&row.table, &row.record_id, &c.column),
                &device,
                row.device_seq,
                None,
            )?;
        }
    }
    Ok(())
}

/// Whether the writer of a field here had been seen by the device that sent a change: then the
/// change supersedes it; otherwise the two were made apart, and collide.
fn seen_by(w: &Writer, from_device: &str, depends: &BTreeMap<String, i64>) -> bool {
    w.device_id == from_device
        || w.origin_bundle
            .is_some_and(|b| depends.get(&w.device_id).copied().unwrap_or(0) >= b)
}

/// One record's changed columns: table, id, and per column what it becomes.
type RowChange<T> = (String, String, Vec<(String, T)>);

/// What happens to one column of an incoming update.
enum Decision {
    Apply(Value),
    Keep(Value),
}

/// Applies one change's changeset, sending conflicts to the queue rather than overwriting.
#[allow(clippy::too_many_arguments)]
fn apply_change(
    conn: &Connection,
    ch: &bundle::Change,
    from_device: &str,
    bundle_seq: i64,
    depends: &BTreeMap<String, i64>,
    columns: &Arc<HashMap<String, Vec<String>>>,
    derived: &mut Session,
    chosen_records: &mut Vec<(String, String)>,
) -> Result<()> {
    if ch.changeset.is_empty() {
        return Ok(());
    }
    let derived_only = ch.permission == SYNC_PERMISSION;
    // First pass: choices made by a person (their field is set whatever this device holds),
    // young people registered (checked for a possible duplicate), and every updated column.
    let mut choices: Vec<(String, String, String, String, Value)> = Vec::new();
    let mut new_people: Vec<String> = Vec::new();
    let mut updates: Vec<RowChange<Value>> = Vec::new();
    for_each_item(&ch.changeset, |item| {
        let op = item.op()?;
        let table = op.table_name();
        let cols = columns
            .get(table)
            .with_context(|| format!("a change to a table casebook does not have ({table})"))?;
        let get = |name: &str| -> Result<Value> {
            let i = cols
                .iter()
                .position(|n| n == name)
                .with_context(|| format!("{table} has no column {name}"))?;
            Ok(owned(item.new_value(i)?))
        };
        match (op.code(), table) {
            (Action::SQLITE_DELETE, _) => bail!(
                "it deletes a {table} record; casebook never deletes one (it is marked entered \
                 in error instead)"
            ),
            (Action::SQLITE_INSERT, "sync_choices") => choices.push((
                text_of(&get("id")?),
                text_of(&get("table_name")?),
                text_of(&get("record_id")?),
                text_of(&get("column_name")?),
                get("value")?,
            )),
            (Action::SQLITE_INSERT, "young_people") => new_people.push(text_of(&get("id")?)),
            (Action::SQLITE_UPDATE, _) if !derived_only => {
                let pk = item.pk()?.to_vec();
                let pk_col = pk.iter().position(|&p| p != 0).unwrap_or(0);
                let id = text_of(&owned(item.old_value(pk_col)?));
                let mut set = Vec::new();
                for (i, name) in cols.iter().enumerate() {
                    if pk.get(i).copied().unwrap_or(0) != 0 {
                        continue;
                    }
                    if let Ok(v) = item.new_value(i) {
                        set.push((name.clone(), owned(v)));
                    }
                }
                updates.push((table.to_string(), id, set));
            }
            _ => {}
        }
        Ok(())
    })?;
    let chosen: HashSet<(String, String, String)> = choices
        .iter()
        .map(|(_, t, r, c, _)| (t.clone(), r.clone(), c.clone()))
        .collect();
    // Decide each updated column before anything is applied: a column whose writer here the
    // sender had not seen keeps this device's value and goes to the queue.
    let mut decided: Vec<RowChange<Decision>> = Vec::new();
    let mut clashes: Vec<Clash> = Vec::new();
    for (table, id, set) in &updates {
        let mut out = Vec::new();
        let mut in_error: Vec<(String, Value, Value)> = Vec::new();
        for (column, new) in set {
            let current: Value = conn
                .query_row(
                    &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .optional()?
                .with_context(|| {
                    format!("it changes a {table} record this device does not have ({id})")
                })?;
            let writer = writer_of(conn, table, id, column)?;
            let concurrent = writer
                .as_ref()
                .filter(|w| !seen_by(w, from_device, depends));
            match concurrent {
                None => out.push((column.clone(), Decision::Apply(new.clone()))),
                Some(_) if current == *new => out.push((column.clone(), Decision::Keep(current))),
                Some(_) if chosen.contains(&(table.clone(), id.clone(), column.clone())) => {
                    out.push((column.clone(), Decision::Keep(current)))
                }
                Some(_) if column == "in_error_at" || column == "in_error_reason" => {
                    in_error.push((column.clone(), new.clone(), current))
                }
                Some(w) => {
                    clashes.push(Clash {
                        table: table.clone(),
                        id: id.clone(),
                        column: column.clone(),
                        incoming: new.clone(),
                        current: current.clone(),
                        writer: w.clone(),
                    });
                    out.push((column.clone(), Decision::Keep(current)));
                }
            }
        }
        // Two devices marked the record entered in error: it is, either way; the earlier mark
        // stands everywhere (the same answer whatever order bundles arrive in).
        if !in_error.is_empty() {
            let key = |pick: fn(&(String, Value, Value)) -> &Value| {
                let at = in_error
                    .iter()
                    .find(|e| e.0 == "in_error_at")
                    .map(|e| text_of(pick(e)));
                let r = in_error
                    .iter()
                    .find(|e| e.0 == "in_error_reason")
                    .map(|e| text_of(pick(e)));
                (at, r)
            };
            let incoming_wins = key(|e| &e.1) < key(|e| &e.2);
            for (column, new, current) in in_error {
                out.push((
                    column,
                    if incoming_wins {
                        Decision::Apply(new)
                    } else {
                        Decision::Keep(current)
                    },
                ));
            }
        }
        decided.push((table.clone(), id.clone(), out));
    }
    let collected = Arc::new(Mutex::new(Collected::default()));
    let sink = Arc::clone(&collected);
    let cols = Arc::clone(columns);
    let handler = move |kind: ConflictType, item: ChangesetItem| -> ConflictAction {
        let mut out = sink.lock().expect("one applier");
        match on_conflict(&kind, &item, &cols, &mut out) {
            Ok(a) => a,
            Err(e) => {
                out.error = Some(format!("{e:#}"));
                ConflictAction::SQLITE_CHANGESET_ABORT
            }
        }
    };
    let mut input: &[u8] = &ch.changeset;
    let filter = move |t: &str| !derived_only || DERIVED_TABLES.contains(&t);
    let applied = conn.apply_strm(&mut input, Some(filter), handler);
    let c = std::mem::take(&mut *collected.lock().expect("one applier"));
    if let Some(e) = c.error {
        bail!("{e}");
    }
    applied.context("SQLite could not apply it")?;
    // SQLite applied the updates whose old values matched and left the others: either way,
    // each column now ends as decided.
    for (table, id, cols) in &decided {
        if cols.is_empty() {
            continue;
        }
        let assignments: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, (col, _))| format!("{col} = ?{}", i + 1))
            .collect();
        let mut values: Vec<Value> = cols
            .iter()
            .map(|(_, d)| match d {
                Decision::Apply(v) | Decision::Keep(v) => v.clone(),
            })
            .collect();
        values.push(Value::Text(id.clone()));
        conn.execute(
            &format!(
                "UPDATE {table} SET {} WHERE id = ?{}",
                assignments.join(", "),
                values.len()
            ),
            rusqlite::params_from_iter(values.iter()),
        )?;
        for (col, d) in cols {
            if let Decision::Apply(_) = d {
                let seq = incoming_audit(ch, table, id, Some(col)).map(|r| r.device_seq);
                set_writer(
                    conn,
                    (table, id, col),
                    from_device,
                    seq.unwrap_or(-ch.seq),
                    Some(bundle_seq),
                )?;
            }
        }
    }
    derived.set_enabled(true);
    for clash in &clashes {
        let incoming = match incoming_audit(ch, &clash.table, &clash.id, Some(&clash.column)) {
            Some(r) => (from_device.to_string(), r.device_seq, r.actor.clone(), r.at),
            None => (from_device.to_string(), -ch.seq, ch.actor.clone(), ch.at),
        };
        let (actor, at) = audit_actor(conn, &clash.writer.device_id, clash.writer.audit_seq)?;
        let current = (
            clash.writer.device_id.clone(),
            clash.writer.audit_seq,
            actor,
            at,
        );
        for ((device, seq, actor, at), value) in
            [(incoming, &clash.incoming), (current, &clash.current)]
        {
            conn.execute(
                "INSERT OR IGNORE INTO sync_conflict_values
                     (id, table_name, record_id, column_name, value, device_id, audit_seq, actor_id, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    value_id(clash, &device, seq),
                    clash.table,
                    clash.id,
                    clash.column,
                    value,
                    device,
                    seq,
                    actor,
                    at
                ],
            )?;
        }
    }
    for id in &new_people {
        let dupes: Vec<String> = conn
            .prepare_cached(
                "SELECT o.id FROM young_people n JOIN young_people o
                   ON o.name_key = n.name_key AND o.date_of_birth IS n.date_of_birth
                 WHERE n.id = ?1 AND o.id <> n.id AND o.in_error_at IS NULL",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for other in dupes {
            let (a, b) = if *id < other {
                (id.clone(), other)
            } else {
                (other, id.clone())
            };
            conn.execute(
                "INSERT OR IGNORE INTO sync_possible_duplicates (id, young_person_a, young_person_b)
                 VALUES (?1, ?2, ?3)",
                params![short_hash(&[&a, &b]), a, b],
            )?;
        }
    }
    derived.set_enabled(false);
    for (table, id) in &c.constraint {
        conn.execute(
            "INSERT OR REPLACE INTO sync_refused (device_id, change_seq, actor_id, reason)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                from_device,
                ch.seq,
                ch.actor,
                format!("a new {table} record ({id}) clashes with one already here")
            ],
        )?;
    }
    for (choice_id, table, id, column, value) in &choices {
        let known = columns
            .get(table)
            .is_some_and(|c| c.iter().any(|n| n == column) && column != "id");
        if !known {
            bail!("a choice names a field casebook does not have ({table}.{column})");
        }
        conn.execute(
            &format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2"),
            params![value, id],
        )?;
        chosen_records.push((table.clone(), id.clone()));
        let seq = incoming_audit(ch, "sync_choices", choice_id, None).map(|r| r.device_seq);
        set_writer(
            conn,
            (table, id, column),
            from_device,
            seq.unwrap_or(-ch.seq),
            Some(bundle_seq),
        )?;
    }
    Ok(())
}

fn on_conflict(
    kind: &ConflictType,
    item: &ChangesetItem,
    columns: &HashMap<String, Vec<String>>,
    out: &mut Collected,
) -> Result<ConflictAction> {
    // A foreign-key conflict names no row (SQLite gives no table for it).
    if *kind == ConflictType::SQLITE_CHANGESET_FOREIGN_KEY {
        bail!(
            "it refers to records this device does not have ({} broken reference(s))",
            item.fk_conflicts().unwrap_or(0)
        );
    }
    let op = item.op()?;
    let table = op.table_name().to_string();
    let cols = columns
        .get(&table)
        .with_context(|| format!("a change to a table casebook does not have ({table})"))?;
    let pk = item.pk()?.to_vec();
    let pk_col = pk.iter().position(|&p| p != 0).unwrap_or(0);
    let v = match op.code() {
        Action::SQLITE_INSERT => item.new_value(pk_col)?,
        _ => item.old_value(pk_col)?,
    };
    let id = text_of(&owned(v));
    match kind {
        // Decided column by column before the apply; the columns are set after it.
        ConflictType::SQLITE_CHANGESET_DATA if op.code() == Action::SQLITE_UPDATE => {
            Ok(ConflictAction::SQLITE_CHANGESET_OMIT)
        }
        ConflictType::SQLITE_CHANGESET_CONFLICT => {
            if DERIVED_TABLES.contains(&table.as_str()) {
                return Ok(ConflictAction::SQLITE_CHANGESET_OMIT);
            }
            let same = (0..cols.len())
                .all(|i| item.new_value(i).map(owned).ok() == item.conflict(i).map(owned).ok());
            if same {
                Ok(ConflictAction::SQLITE_CHANGESET_OMIT)
            } else {
                bail!("a new {table} record has the id of a different one already here ({id})")
            }
        }
        ConflictType::SQLITE_CHANGESET_CONSTRAINT => {
            out.constraint.push((table, id));
            Ok(ConflictAction::SQLITE_CHANGESET_OMIT)
        }
        ConflictType::SQLITE_CHANGESET_NOTFOUND => {
            bail!("it changes a {table} record this device does not have ({id})")
        }
        ConflictType::SQLITE_CHANGESET_FOREIGN_KEY => {
            bail!("it refers to records this device does not have")
        }
        _ => bail!("an unexpected conflict on {table} ({id})"),
    }
}

/// The incoming change's audit row for a record (and, given, a column it changed).
fn incoming_audit<'c>(
    ch: &'c bundle::Change,
    table: &str,
    id: &str,
    column: Option<&str>,
) -> Option<&'c TravellingRow> {
    ch.audit.iter().find(|r| {
        r.table == table
            && r.record_id == id
            && column.is_none_or(|col| {
                r.changes
                    .as_deref()
                    .and_then(|c| decode_changes(c).ok())
                    .is_some_and(|cs| cs.iter().any(|c| c.column == col))
            })
    })
}

/// The actor and time of one device's audit row.
fn audit_actor(conn: &Connection, device_id: &str, seq: i64) -> Result<(String, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT a.actor_id, a.at FROM audit_log a JOIN audit_device d ON d.n = a.device
             WHERE d.device_id = ?1 AND a.device_seq = ?2",
        )?
        .query_row(params![device_id, seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default())
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

fn value_id(clash: &Clash, device: &str, audit_seq: i64) -> String {
    short_hash(&[
        &clash.table,
        &clash.id,
        &clash.column,
        device,
        &audit_seq.to_string(),
    ])
}

// ---- the conflicts queue -------------------------------------------------------------------------

/// One value in a conflict: what it is, who wrote it, when, on which device.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictValue {
    pub id: String,
    pub value: Value,
    pub device_id: String,
    pub device_name: Option<String>,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// A field two devices changed differently, waiting for a person to choose.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub table: String,
    pub record_id: String,
    pub column: String,
    /// What this device holds now (its own value until someone chooses).
    pub current: Value,
    pub values: Vec<ConflictValue>,
}

/// The open conflicts, by table, record and field.
pub fn conflicts(store: &Store) -> Result<Vec<Conflict>> {
    let conn = store.conn();
    let tables = capture_tables(conn)?;
    let mut groups: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT DISTINCT table_name, record_id, column_name FROM sync_conflict_values v
             WHERE NOT EXISTS (SELECT 1 FROM sync_choice_covers c WHERE c.value_id = v.id)
             ORDER BY table_name, record_id, column_name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    groups.retain(|(t, _, _)| tables.contains(t));
    let columns = table_columns(conn, &tables)?;
    let mut out = Vec::new();
    for (table, record_id, column) in groups {
        if !columns.get(&table).is_some_and(|c| c.contains(&column)) {
            continue;
        }
        let current: Value = conn
            .query_row(
                &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                [&record_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(Value::Null);
        let mut stmt = conn.prepare_cached(
            "SELECT v.id, v.value, v.device_id, d.name, v.actor_id, w.name, v.at
             FROM sync_conflict_values v
             LEFT JOIN sync_devices d ON d.device_id = v.device_id
             LEFT JOIN workers w ON w.id = v.actor_id
             WHERE v.table_name = ?1 AND v.record_id = ?2 AND v.column_name = ?3
               AND NOT EXISTS (SELECT 1 FROM sync_choice_covers c WHERE c.value_id = v.id)
             ORDER BY v.at, v.device_id, v.audit_seq",
        )?;
        let values = stmt
            .query_map([&table, &record_id, &column], |r| {
                Ok(ConflictValue {
                    id: r.get(0)?,
                    value: r.get(1)?,
                    device_id: r.get(2)?,
                    device_name: r.get(3)?,
                    actor_id: r.get(4)?,
                    actor_name: r.get(5)?,
                    at: DateTime::from_timestamp(r.get(6)?, 0).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(Conflict {
            table,
            record_id,
            column,
            current,
            values,
        });
    }
    Ok(out)
}

/// A key worker or manager chooses a field's value: the field is set, and the choice (which
/// travels) covers every value waiting on that field, so every device ends with `value`.
pub fn choose(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    conflict: &Conflict,
    value: &Value,
) -> Result<()> {
    let tables = capture_tables(store.conn())?;
    let columns = table_columns(store.conn(), &tables)?;
    let (table, record, column) = (&conflict.table, &conflict.record_id, &conflict.column);
    if !columns
        .get(table)
        .is_some_and(|c| c.contains(column) && column != "id")
    {
        bail!("field: {table}.{column} is not a field casebook keeps");
    }
    store.write_for(Permission::ChooseConflict, actor, now, |tx| {
        let open: Vec<String> = tx
            .conn()
            .prepare(
                "SELECT id FROM sync_conflict_values v
                 WHERE table_name = ?1 AND record_id = ?2 AND column_name = ?3
                   AND NOT EXISTS (SELECT 1 FROM sync_choice_covers c WHERE c.value_id = v.id)
                 ORDER BY id",
            )?
            .query_map([table, record, column], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if open.is_empty() {
            bail!("no conflict waits on {table}.{column} of {record} (someone chose already)");
        }
        tx.update(table, record, &[(column.as_str(), value.clone())])?;
        let choice = new_id();
        tx.insert(
            "sync_choices",
            &choice,
            &[
                ("table_name", text(table.as_str())),
                ("record_id", text(record.as_str())),
                ("column_name", text(column.as_str())),
                ("value", value.clone()),
                ("chosen_by", text(actor)),
            ],
        )?;
        // The choice is the field's writer now, on this device as on every other.
        let (device, seq) = audit::local_device_seq(tx.conn())?;
        set_writer(tx.conn(), (table, record, column), &device, seq, None)?;
        for v in open {
            tx.insert(
                "sync_choice_covers",
                &new_id(),
                &[("choice_id", text(choice.as_str())), ("value_id", text(v))],
            )?;
        }
        Ok(())
    })
}

/// Pairs of young people registered on different devices with the same name and date of
/// birth, waiting for a person to merge them or keep them apart (see [`duplicates`]).
pub fn possible_duplicates(store: &Store) -> Result<Vec<(String, String)>> {
    let mut stmt = store.conn().prepare(
        "SELECT p.young_person_a, p.young_person_b FROM sync_possible_duplicates p
         JOIN young_people a ON a.id = p.young_person_a
         JOIN young_people b ON b.id = p.young_person_b
         WHERE a.in_error_at IS NULL AND b.in_error_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM sync_duplicate_decisions d WHERE d.duplicate_id = p.id)
         ORDER BY p.id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- workers' key slots ---------------------------------------------------------------------

/// Shares workers' key slots through the folder's key file, so that a worker added on one
/// device can sign in on the others once the worker's record has travelled: slots of workers
/// this device has and the folder lacks go into the folder, and the reverse. A worker's own
/// slot is not replaced (a password set on one device stays that device's until the worker
/// sets it elsewhere too). Returns how many slots went each way.
pub fn share_key_slots(unlocked: &mut Unlocked, folder: &Path) -> Result<(usize, usize)> {
    check_folder(folder)?;
    let team_path = folder.join(TEAM_KEYS);
    if !team_path.exists() {
        return Ok((0, 0));
    }
    let mut team = KeyFile::read(&team_path, &folder.join(SNAPSHOT))?;
    let (local, local_path) = unlocked.key_file_mut();
    let ids = |k: &KeyFile| -> HashSet<String> {
        k.slots
            .iter()
            .filter(|s| s.kind == super::keys::SlotKind::Worker)
            .filter_map(|s| s.worker_id.clone())
            .collect()
    };
    let (mine, theirs) = (ids(local), ids(&team));
    let mut out = 0;
    for s in &local.slots {
        if s.kind == super::keys::SlotKind::Worker
            && s.worker_id.as_ref().is_some_and(|w| !theirs.contains(w))
        {
            let mut s = s.clone();
            s.failed_sign_ins = 0;
            s.locked_until = None;
            team.slots.push(s);
            out += 1;
        }
    }
    let mut incoming = 0;
    for s in &team.slots {
        if s.kind == super::keys::SlotKind::Worker
            && s.worker_id.as_ref().is_some_and(|w| !mine.contains(w))
        {
            local.slots.push(s.clone());
            incoming += 1;
        }
    }
    if out > 0 {
        write_whole(&team_path, serde_json::to_string_pretty(&team)?.as_bytes())?;
    }
    if incoming > 0 {
        let path = local_path.to_path_buf();
        local.write(&path)?;
    }
    Ok((out, incoming))
}

// ---- a new device -----------------------------------------------------------------------------

/// `casebook sync join --folder DIR`: makes a new device's database at `db` from the team's
/// snapshot in the folder, signed in as `name` (a worker of the team's key file), then applies
/// every bundle in the folder.
pub fn join(
    folder: &Path,
    db: &Path,
    name: &str,
    password: &str,
    device_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Unlocked, SyncReport)> {
    check_folder(folder)?;
    let device_name = check_device_name(
        &device_name
            .map(str::to_string)
            .unwrap_or_else(default_device_name),
    )?;
    let Some(team) = read_team(folder)? else {
        bail!(
            "{} holds no casebook team yet (no {TEAM_FILE}); the first device founds it with \
             `casebook sync --folder {}`",
            folder.display(),
            folder.display()
        );
    };
    if !super::sign_in::is_new(db)? {
        bail!(
            "{} already exists; give a new --db file for this device",
            db.display()
        );
    }
    let key_path = key_file_path(db);
    if key_path.exists() {
        bail!("{} already exists; move it away first", key_path.display());
    }
    let mut key_file = KeyFile::read(&folder.join(TEAM_KEYS), &folder.join(SNAPSHOT))?;
    let (key, worker_id) = key_file
        .unlock(name, password, now)?
        .map_err(anyhow::Error::new)?;
    let sig_path = folder.join(SNAPSHOT_SIG);
    let sig: SnapshotSig = serde_json::from_slice(
        &std::fs::read(&sig_path).with_context(|| format!("cannot read {}", sig_path.display()))?,
    )
    .with_context(|| format!("{} is not a snapshot signature", sig_path.display()))?;
    let bytes = std::fs::read(folder.join(SNAPSHOT))
        .with_context(|| format!("cannot read the team's snapshot in {}", folder.display()))?;
    let digest = Sha256::digest(&bytes);
    let checks = (|| -> Result<()> {
        if sig.team_id != team.team_id {
            bail!("it belongs to another team");
        }
        if hex::encode(digest) != sig.sha256 {
            bail!("it is truncated or damaged (its digest differs)");
        }
        let pk: [u8; 32] = hex::decode(&sig.public_key)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("bad key"))?;
        let s = ed25519_dalek::Signature::from_slice(&hex::decode(&sig.signature)?)?;
        VerifyingKey::from_bytes(&pk)?
            .verify(&snapshot_message(&team.team_id, &digest), &s)
            .map_err(|_| anyhow::anyhow!("its signature does not check"))?;
        Ok(())
    })();
    checks.with_context(|| format!("the team's snapshot in {} is refused", folder.display()))?;
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let made = (|| -> Result<(Unlocked, SyncReport)> {
        {
            let mut f = crate::private_file::create_new(db)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        let mut store = Store::open(db, &key)?;
        {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pinned: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT public_key FROM sync_devices WHERE device_id = ?1",
                    [&sig.device_id],
                    |r| r.get(0),
                )
                .optional()?;
            if pinned.map(hex::encode).as_deref() != Some(sig.public_key.as_str()) {
                bail!("the snapshot's signer is not the device it names");
            }
            let device_id = uuid::Uuid::new_v4().to_string();
            tx.execute_batch("UPDATE audit_device SET is_local = 0")?;
            tx.execute(
                "INSERT INTO audit_device (n, device_id, is_local)
                 VALUES ((SELECT coalesce(max(n), 0) + 1 FROM audit_device), ?1, 1)",
                [&device_id],
            )?;
            insert_local(
                &tx,
                &team.team_id,
                &device_id,
                &device_name,
                &new_signer(),
                true,
                now,
            )?;
            tx.commit()?;
        }
        store.capture = Some(capture_tables(store.conn())?);
        let salt = store.flush_header(db)?;
        key_file.database_salt = hex::encode(salt);
        key_file.write(&key_path)?;
        let Some(worker) = super::people::worker(&store, &worker_id)? else {
            bail!("the team's key file names a worker the snapshot does not have");
        };
        if !worker.active {
            bail!(
                "sign-in: {} has been deactivated; ask an administrator",
                worker.name
            );
        }
        store.sign_in(worker.clone());
        let mut report = SyncReport::default();
        let (written, _) = write_bundle(&mut store, &key, folder, now)?;
        report.written = written;
        apply_folder(&mut store, &key, folder, now, &mut report)?;
        store
            .conn
            .execute("UPDATE sync_local SET last_sync_at = ?1", [stamp(now)])?;
        Ok((
            Unlocked::from_parts(store, worker, key, key_file, key_path.clone()),
            report,
        ))
    })();
    if made.is_err() {
        for p in [
            db.to_path_buf(),
            key_path.clone(),
            suffixed(db, "-wal"),
            suffixed(db, "-shm"),
        ] {
            let _ = std::fs::remove_file(p);
        }
    }
    made
}

fn suffixed(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
