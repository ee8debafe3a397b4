//! Opening an encrypted database as a worker: the key file, the password, the role table.
//! The command line and the terminal UI both open files only through here.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};

use super::keys::{key_file_path, new_recovery_code, DataKey, KeyFile, SignInRefused};
use super::values::text;
use super::{file_kind, people, FileKind, Store};
use crate::domain::ids::new_id;
use crate::domain::record::{Role, Worker};
use crate::domain::roles::Permission;

/// An open database, the worker signed in to it, and what is needed to change its key slots.
pub struct Unlocked {
    pub store: Store,
    pub worker: Worker,
    key: DataKey,
    key_file: KeyFile,
    key_path: PathBuf,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Unlocked({})", self.worker.name)
    }
}

impl Unlocked {
    pub(crate) fn from_parts(
        store: Store,
        worker: Worker,
        key: DataKey,
        key_file: KeyFile,
        key_path: PathBuf,
    ) -> Unlocked {
        Unlocked {
            store,
            worker,
            key,
            key_file,
            key_path,
        }
    }

    /// The database's data key (sync seals bundles with a key derived from it).
    pub fn data_key(&self) -> &DataKey {
        &self.key
    }

    /// The key file and where it lives, for sync to share worker slots through the folder.
    pub(crate) fn key_file_mut(&mut self) -> (&mut KeyFile, &Path) {
        (&mut self.key_file, &self.key_path)
    }

    /// The key file as read at sign-in (sync copies it into a new team's folder).
    pub fn key_file(&self) -> &KeyFile {
        &self.key_file
    }
}

/// What `create` hands back once: the recovery code is shown to the administrator and then
/// exists only as a wrapped slot.
pub struct Created {
    pub unlocked: Unlocked,
    pub recovery_code: zeroize::Zeroizing<String>,
}

/// The roles of the first administrator of a new file: administrator, and manager so that one
/// person can run a small service (drop it with `worker set-roles` once there is a manager).
pub const FIRST_ADMINISTRATOR_ROLES: [Role; 2] = [Role::Manager, Role::Administrator];

/// Writes a new file's key file (its first administrator's slot and the recovery slot) and
/// signs that administrator in: the last step of `create` and `encrypt`.
fn first_key_file(
    mut store: Store,
    db: &Path,
    key: DataKey,
    key_path: &Path,
    worker: Worker,
    password: &str,
) -> Result<Created> {
    let salt = store.flush_header(db)?;
    let recovery_code = new_recovery_code();
    let key_file = KeyFile::new(
        salt,
        &key,
        (&worker.id, &worker.name),
        password,
        &recovery_code,
    )?;
    key_file.write(key_path)?;
    store.sign_in(worker.clone());
    Ok(Created {
        unlocked: Unlocked {
            store,
            worker,
            key,
            key_file,
            key_path: key_path.to_path_buf(),
        },
        recovery_code,
    })
}

/// Removes what a failed `create` or `encrypt` left (the database and its WAL files), so a
/// half-made file is never mistaken for a casebook database.
fn remove_partial(db: &Path) {
    for p in [db.to_path_buf(), wal(db, "-wal"), wal(db, "-shm")] {
        let _ = std::fs::remove_file(p);
    }
}

/// Whether `db` has no database yet (no file, or an empty one).
pub fn is_new(db: &Path) -> Result<bool> {
    Ok(file_kind(db)? == FileKind::New)
}

/// Creates a new encrypted database at `db` with its key file, and its first administrator
/// `name` with `password`. Refuses when either file already exists.
pub fn create(db: &Path, name: &str, password: &str, now: DateTime<Utc>) -> Result<Created> {
    let key_path = key_file_path(db);
    if !is_new(db)? {
        bail!(
            "{} already exists; casebook init makes a new database only",
            db.display()
        );
    }
    if key_path == db {
        bail!("--db {}: a database may not be named .keys", db.display());
    }
    if key_path.exists() {
        bail!(
            "{} exists without its database {}; move it away first (it may be the only way \
             into a database that was moved)",
            key_path.display(),
            db.display()
        );
    }
    super::keys::check_password(password)?;
    let name = name.trim();
    if name.is_empty() {
        bail!("name: give the first administrator's name");
    }
    let key = DataKey::generate();
    let made = (|| -> Result<Created> {
        let mut store = Store::open(db, &key)?;
        let worker = people::ensure_worker_with(&mut store, name, &FIRST_ADMINISTRATOR_ROLES, now)?;
        first_key_file(store, db, key, &key_path, worker, password)
    })();
    if made.is_err() {
        remove_partial(db);
    }
    made
}

fn wal(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Reads the key file of the existing database `db` and checks that it belongs to it.
fn key_file_for(db: &Path) -> Result<(KeyFile, PathBuf)> {
    let shown = db.display();
    let salt = match file_kind(db)? {
        FileKind::New => bail!(
            "there is no database at {shown} yet; make one with `casebook init` \
             (or try casebook with `casebook demo`)"
        ),
        FileKind::Plain => {
            // Store::open says which kind of plain file it is, and refuses it.
            Store::open(db, &DataKey::generate())?;
            unreachable!("a plain file is always refused");
        }
        FileKind::Encrypted { salt } => salt,
    };
    let key_path = key_file_path(db);
    let key_file = KeyFile::read(&key_path, db)?;
    if !key_file.matches(&salt) {
        bail!(
            "the key file {} does not belong to {shown} (it was made for another database); \
             nothing was opened or written",
            key_path.display()
        );
    }
    Ok((key_file, key_path))
}

/// Signs `name` in to `db` with `password` at `now`. A wrong password opens nothing and writes
/// nothing to the database; it is counted in the key file, and the sixth in a row locks the
/// worker for 15 minutes.
pub fn sign_in(db: &Path, name: &str, password: &str, now: DateTime<Utc>) -> Result<Unlocked> {
    let (mut key_file, key_path) = key_file_for(db)?;
    let before = serde_json::to_string(&key_file)?;
    let outcome = key_file.unlock(name, password, now)?;
    if serde_json::to_string(&key_file)? != before {
        key_file.write(&key_path)?;
    }
    let (key, worker_id) = outcome.map_err(anyhow::Error::new)?;
    let mut store = Store::open(db, &key)?;
    let Some(worker) = people::worker(&store, &worker_id)? else {
        bail!(
            "the key file {} has a slot for a worker this database does not know; \
             ask an administrator",
            key_path.display()
        );
    };
    if !worker.active {
        bail!(
            "sign-in: {} has been deactivated; ask an administrator",
            worker.name
        );
    }
    if !cfg!(debug_assertions)
        && key_file
            .worker_slot(&worker.id)
            .is_some_and(|s| s.kdf.is_weak())
    {
        // A file made by the test suite: give this slot the real cost now.
        key_file.set_worker_slot(&key, &worker.id, &worker.name, password)?;
        key_file.write(&key_path)?;
        eprintln!("casebook: your key slot used a weak test-only cost; it now uses the real one");
    }
    store.sign_in(worker.clone());
    Ok(Unlocked {
        store,
        worker,
        key,
        key_file,
        key_path,
    })
}

/// Whether `err` is a refused sign-in (wrong password, unknown worker, locked).
pub fn refusal(err: &anyhow::Error) -> Option<&SignInRefused> {
    err.downcast_ref::<SignInRefused>()
}

/// Records a security event (password set, recovery key shown) as an audited row.
fn record_event(tx: &super::Tx, event: &str, worker_id: &str) -> Result<()> {
    tx.insert(
        "security_events",
        &new_id(),
        &[("event", text(event)), ("worker_id", text(worker_id))],
    )
}

/// With the recovery code, sets a new password for the administrator `name` (every password
/// lost). Audited as that administrator.
pub fn recover(
    db: &Path,
    recovery_code: &str,
    name: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<Unlocked> {
    let (mut key_file, key_path) = key_file_for(db)?;
    let Some(key) = key_file.unlock_with_recovery_code(recovery_code)? else {
        bail!("recovery code: that is not this database's recovery code; nothing was changed");
    };
    let mut store = Store::open(db, &key)?;
    let Some(worker) = people::worker_by_name(&store, name)? else {
        bail!("--worker: no worker called '{}'", name.trim());
    };
    if !worker.active || !worker.has(Role::Administrator) {
        bail!(
            "--worker: {} is not an active administrator; the recovery code resets an \
             administrator's password",
            worker.name
        );
    }
    key_file.set_worker_slot(&key, &worker.id, &worker.name, new_password)?;
    store.sign_in(worker.clone());
    store.write_for(Permission::ResetPassword, &worker.id, now, |tx| {
        record_event(tx, "password_recovered", &worker.id)
    })?;
    key_file.write(&key_path)?;
    Ok(Unlocked {
        store,
        worker,
        key,
        key_file,
        key_path,
    })
}

impl Unlocked {
    /// The raw data key as hex, for an administrator (recorded in the audit log).
    pub fn recovery_key(&mut self, now: DateTime<Utc>) -> Result<zeroize::Zeroizing<String>> {
        let id = self.worker.id.clone();
        self.store
            .write_for(Permission::ShowRecoveryKey, &id, now, |tx| {
                record_event(tx, "recovery_key_shown", &id)
            })?;
        Ok(self.key.hex())
    }

    /// Adds a worker with `roles` who signs in with `password`.
    pub fn add_worker(
        &mut self,
        name: &str,
        roles: &[Role],
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Worker> {
        self.store.require(Permission::ManageWorkers)?;
        super::keys::check_password(password)?;
        let actor = self.worker.id.clone();
        let id = self
            .store
            .write_for(Permission::ManageWorkers, &actor, now, |tx| {
                let id = people::add_worker(tx, name, roles)?;
                record_event(tx, "password_set", &id)?;
                Ok(id)
            })?;
        let worker = people::worker(&self.store, &id)?.context("the new worker is missing")?;
        self.key_file
            .set_worker_slot(&self.key, &worker.id, &worker.name, password)?;
        self.key_file.write(&self.key_path)?;
        Ok(worker)
    }

    fn active_worker(&self, name: &str) -> Result<Worker> {
        match people::worker_by_name(&self.store, name)? {
            Some(w) if w.active => Ok(w),
            Some(w) => bail!("worker: {} has been deactivated", w.name),
            None => bail!("worker: no worker called '{}'", name.trim()),
        }
    }

    /// Replaces a worker's roles.
    pub fn set_roles(&mut self, name: &str, roles: &[Role], now: DateTime<Utc>) -> Result<Worker> {
        self.store.require(Permission::ManageWorkers)?;
        let w = self.active_worker(name)?;
        let actor = self.worker.id.clone();
        self.store
            .write_for(Permission::ManageWorkers, &actor, now, |tx| {
                people::set_roles(tx, &w.id, roles)
            })?;
        let w = people::worker(&self.store, &w.id)?.context("the worker is missing")?;
        if w.id == self.worker.id {
            self.worker = w.clone();
            self.store.sign_in(w.clone());
        }
        Ok(w)
    }

    /// Gives a worker a new password (an administrator, for someone who forgot theirs).
    pub fn reset_password(&mut self, name: &str, password: &str, now: DateTime<Utc>) -> Result<()> {
        self.store.require(Permission::ResetPassword)?;
        super::keys::check_password(password)?;
        let w = self.active_worker(name)?;
        let actor = self.worker.id.clone();
        self.store
            .write_for(Permission::ResetPassword, &actor, now, |tx| {
                record_event(tx, "password_reset", &w.id)
            })?;
        self.key_file
            .set_worker_slot(&self.key, &w.id, &w.name, password)?;
        self.key_file.write(&self.key_path)
    }

    /// Deactivates a worker and removes their key slot: they can no longer sign in. (The data
    /// key is not changed: a copy of the old key file taken earlier still holds their slot.)
    pub fn deactivate(&mut self, name: &str, now: DateTime<Utc>) -> Result<()> {
        self.store.require(Permission::ManageWorkers)?;
        let w = self.active_worker(name)?;
        let actor = self.worker.id.clone();
        self.store
            .write_for(Permission::ManageWorkers, &actor, now, |tx| {
                people::deactivate(tx, &w.id)
            })?;
        self.key_file.remove_worker_slot(&w.id);
        self.key_file.write(&self.key_path)
    }

    /// Whether each worker has a key slot (can sign in).
    pub fn can_sign_in(&self, worker: &Worker) -> bool {
        self.key_file.worker_slot(&worker.id).is_some()
    }

    /// Where the key file is.
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }
}

/// Makes an encrypted copy of the plain casebook database `src` at `dest`, with a key file
/// whose first slot is the administrator `name` (an existing worker of that name gains the
/// administrator role; otherwise one is added). Refuses to overwrite; checks the counts.
pub fn encrypt(
    src: &Path,
    dest: &Path,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(Created, Vec<(String, i64)>)> {
    super::keys::check_password(password)?;
    let key_path = key_file_path(dest);
    if dest.exists() {
        bail!(
            "--out {}: that file already exists; give a new name",
            dest.display()
        );
    }
    if key_path.exists() {
        bail!(
            "--out {}: its key file {} already exists; give a new name",
            dest.display(),
            key_path.display()
        );
    }
    let key = DataKey::generate();
    let counts = super::encrypt_plain(src, dest, &key)?;
    let made = (|| -> Result<Created> {
        let mut store = Store::open(dest, &key)?;
        let worker = match people::worker_by_name(&store, name)? {
            Some(w) => {
                let mut roles = w.roles.clone();
                roles.push(Role::Administrator);
                store.write_for(Permission::ManageWorkers, &w.id, now, |tx| {
                    people::set_roles(tx, &w.id, &roles)
                })?;
                people::worker(&store, &w.id)?.context("the worker is missing")?
            }
            None => people::ensure_worker_with(&mut store, name, &FIRST_ADMINISTRATOR_ROLES, now)?,
        };
        first_key_file(store, dest, key, &key_path, worker, password)
    })();
    if made.is_err() {
        remove_partial(dest);
    }
    made.map(|c| (c, counts))
}
