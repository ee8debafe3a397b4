//! The key file beside an encrypted database, like LUKS key slots.
//!
//! The database is encrypted (SQLCipher) with a random 256-bit data key that is never stored in
//! the clear. `casebook.keys` (the database's name with `.keys` for its extension) holds that
//! key wrapped once per worker, with a key derived from the worker's password by argon2id
//! (parameters recorded in each slot), plus one slot for the recovery code printed at `init`.
//! Failed sign-ins are counted in the slot: the database cannot be opened without the right
//! password, so this is the only place they can be recorded, and the database's bytes stay
//! unchanged by a wrong password.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The format marker written in every key file.
pub const FORMAT: &str = "casebook-keys-1";

/// Failed sign-ins in a row that lock a worker out.
pub const MAX_FAILURES: u32 = 6;

/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

/// The 256-bit key SQLCipher encrypts the database with. Wiped from memory when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> DataKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(&mut k[..]);
        DataKey(k)
    }

    /// The key as 64 hex digits (what `PRAGMA key = "x'HEX'"` takes).
    pub fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0[..]))
    }

    /// Reads 64 hex digits.
    pub fn from_hex(s: &str) -> Result<DataKey> {
        let mut k = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s.trim(), &mut k[..])
            .map_err(|_| anyhow::anyhow!("a data key is 64 hex digits"))?;
        Ok(DataKey(k))
    }

    fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key sync bundles are sealed with: derived from the data key, so the team that shares
    /// the database key shares it, and SQLCipher's key is never used for a second purpose.
    pub(crate) fn bundle_key(&self) -> Zeroizing<[u8; 32]> {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"casebook sync bundle key v1\0");
        h.update(&self.0[..]);
        Zeroizing::new(h.finalize().into())
    }
}

/// argon2id cost, recorded in each slot so a file made with other costs still opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kdf {
    pub algorithm: KdfAlgorithm,
    /// Memory in KiB.
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

/// The one algorithm a slot may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KdfAlgorithm {
    #[serde(rename = "argon2id")]
    Argon2id,
}

impl Kdf {
    /// The real cost: 64 MiB, 3 passes (OWASP's argon2id guidance is at least 19 MiB, 2 passes).
    pub const DEFAULT: Kdf = Kdf {
        algorithm: KdfAlgorithm::Argon2id,
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// The smallest argon2id allows: for tests only, never chosen by a release build.
    const TEST_ONLY_CHEAP: Kdf = Kdf {
        algorithm: KdfAlgorithm::Argon2id,
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };

    /// The cost new slots get. `CASEBOOK_TEST_ONLY_CHEAP_KDF=1` picks the cheapest cost so the
    /// test suite stays fast; it is honoured only by debug builds (what `cargo test` runs), so a
    /// release build always uses [`Kdf::DEFAULT`].
    pub fn for_new_slots() -> Kdf {
        if cfg!(debug_assertions) && std::env::var_os("CASEBOOK_TEST_ONLY_CHEAP_KDF").is_some() {
            Kdf::TEST_ONLY_CHEAP
        } else {
            Kdf::DEFAULT
        }
    }

    /// Whether this cost is below the real default (a test-made file).
    pub fn is_weak(&self) -> bool {
        self.m_cost_kib < Kdf::DEFAULT.m_cost_kib || self.t_cost < Kdf::DEFAULT.t_cost
    }

    fn derive(&self, secret: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let params = argon2::Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|e| anyhow::anyhow!("key file: unusable argon2id parameters ({e})"))?;
        let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        a.hash_password_into(secret, salt, &mut out[..])
            .map_err(|e| anyhow::anyhow!("key file: cannot derive the key ({e})"))?;
        Ok(out)
    }
}

/// Whose slot it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    Worker,
    Recovery,
}

/// One wrapped copy of the data key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slot {
    pub kind: SlotKind,
    /// The worker's ID in the database (worker slots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// The name the worker signs in with (worker slots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
    pub kdf: Kdf,
    pub salt: String,
    pub nonce: String,
    pub wrapped_key: String,
    #[serde(default)]
    pub failed_sign_ins: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
}

impl Slot {
    /// What binds the wrapped key to this slot, so a slot copied onto another worker fails.
    fn aad(kind: SlotKind, worker_id: Option<&str>) -> Vec<u8> {
        format!(
            "{FORMAT}/{}/{}",
            match kind {
                SlotKind::Worker => "worker",
                SlotKind::Recovery => "recovery",
            },
            worker_id.unwrap_or("")
        )
        .into_bytes()
    }

    fn wrap(
        kind: SlotKind,
        worker: Option<(&str, &str)>,
        secret: &[u8],
        key: &DataKey,
        kdf: Kdf,
    ) -> Result<Slot> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut nonce);
        let kek = kdf.derive(secret, &salt)?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
        let aad = Slot::aad(kind, worker.map(|w| w.0));
        let wrapped = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot wrap the data key"))?;
        Ok(Slot {
            kind,
            worker_id: worker.map(|w| w.0.to_string()),
            worker_name: worker.map(|w| w.1.to_string()),
            kdf,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped_key: hex::encode(wrapped),
            failed_sign_ins: 0,
            locked_until: None,
        })
    }

    /// The data key, or `None` when `secret` is wrong.
    fn unwrap_key(&self, secret: &[u8]) -> Result<Option<DataKey>> {
        let salt = hex::decode(&self.salt).context("key file: a slot's salt is not hex")?;
        let nonce = hex::decode(&self.nonce).context("key file: a slot's nonce is not hex")?;
        let wrapped =
            hex::decode(&self.wrapped_key).context("key file: a slot's key is not hex")?;
        if nonce.len() != 24 {
            bail!("key file: a slot's nonce has the wrong length");
        }
        let kek = self.kdf.derive(secret, &salt)?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
        let aad = Slot::aad(self.kind, self.worker_id.as_deref());
        match cipher.decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &wrapped,
                aad: &aad,
            },
        ) {
            Ok(mut plain) if plain.len() == 32 => {
                let mut k = Zeroizing::new([0u8; 32]);
                k.copy_from_slice(&plain);
                plain.zeroize();
                Ok(Some(DataKey(k)))
            }
            Ok(mut plain) => {
                plain.zeroize();
                bail!("key file: a slot holds a key of the wrong length")
            }
            Err(_) => Ok(None),
        }
    }

    fn locked_until(&self) -> Option<DateTime<Utc>> {
        self.locked_until
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
    }
}

/// The key file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    /// The first 16 bytes of the database file (SQLCipher's salt) as hex: tells, before any
    /// password is tried, whether this key file belongs to that database.
    pub database_salt: String,
    pub slots: Vec<Slot>,
}

/// Why a sign-in did not open the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    UnknownWorker(String),
    WrongPassword { name: String, tries_left: u32 },
    Locked { name: String, until: DateTime<Utc> },
}

impl std::fmt::Display for SignInRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignInRefused::UnknownWorker(name) => write!(
                f,
                "sign-in: no worker named '{name}' can sign in to this database (ask an administrator)"
            ),
            SignInRefused::WrongPassword { name, tries_left } => write!(
                f,
                "sign-in: wrong password for {name}; nothing was opened or written \
                 ({tries_left} more tries before a {LOCK_MINUTES}-minute lock)"
            ),
            SignInRefused::Locked { name, until } => write!(
                f,
                "sign-in: {name} is locked after {MAX_FAILURES} failed sign-ins until {} UTC",
                until.format("%Y-%m-%d %H:%M")
            ),
        }
    }
}

impl std::error::Error for SignInRefused {}

/// Where the key file of `db` lives: the same name with `.keys` for its extension.
pub fn key_file_path(db: &Path) -> PathBuf {
    db.with_extension("keys")
}

/// A recovery code: 25 random base-32 symbols in five groups (about 125 bits).
pub fn new_recovery_code() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    let mut bytes = Zeroizing::new([0u8; 25]);
    rand::rng().fill_bytes(&mut bytes[..]);
    let mut code = Zeroizing::new(String::new());
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        code.push(ALPHABET[(*b as usize) % ALPHABET.len()] as char);
    }
    code
}

/// A recovery code as typed: case, spaces and dashes do not matter.
fn normalise_code(code: &str) -> Zeroizing<String> {
    Zeroizing::new(
        code.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

impl KeyFile {
    /// A key file for a new database: one administrator slot and the recovery slot.
    pub fn new(
        database_salt: [u8; 16],
        key: &DataKey,
        admin: (&str, &str),
        password: &str,
        recovery_code: &str,
    ) -> Result<KeyFile> {
        let kdf = Kdf::for_new_slots();
        let mut file = KeyFile {
            format: FORMAT.to_string(),
            database_salt: hex::encode(database_salt),
            slots: vec![],
        };
        file.set_worker_slot(key, admin.0, admin.1, password)?;
        file.slots.push(Slot::wrap(
            SlotKind::Recovery,
            None,
            normalise_code(recovery_code).as_bytes(),
            key,
            kdf,
        )?);
        Ok(file)
    }

    /// Reads the key file at `path`; a missing or unreadable one is refused, saying which.
    pub fn read(path: &Path, db: &Path) -> Result<KeyFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{} is encrypted (or not a database at all) and its key file {} is missing; \
                 put the key file back beside it. Nothing was opened or written",
                db.display(),
                path.display()
            ),
            Err(e) => bail!("cannot read the key file {}: {e}", path.display()),
        };
        let file: KeyFile = serde_json::from_str(&text).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a casebook key file; nothing was opened or written",
                path.display()
            )
        })?;
        if file.format != FORMAT {
            bail!(
                "{} is a key file of another format ('{}'; this casebook reads {FORMAT})",
                path.display(),
                file.format
            );
        }
        Ok(file)
    }

    /// Writes the file (mode 600) by replacing it whole, so a crash leaves the old or the new.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        let tmp = path.with_extension("keys.tmp");
        let _ = std::fs::remove_file(&tmp);
        {
            let mut f = crate::private_file::create_new(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot write the key file {}", path.display()))
    }

    /// Whether this key file belongs to the database whose first 16 bytes are `salt`.
    pub fn matches(&self, salt: &[u8; 16]) -> bool {
        self.database_salt.eq_ignore_ascii_case(&hex::encode(salt))
    }

    fn worker_slot_index(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.slots.iter().position(|s| {
            s.kind == SlotKind::Worker
                && s.worker_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase() == name.to_lowercase())
        })
    }

    /// Whether `name` has a slot (can sign in).
    pub fn has_worker(&self, name: &str) -> bool {
        self.worker_slot_index(name).is_some()
    }

    /// Signs `name` in with `password` at `now`: the data key and the worker's ID. Failures are
    /// counted in the slot (the caller writes the file back when [`Self::is_dirty`] says so);
    /// the sixth in a row locks the worker for 15 minutes.
    pub fn unlock(
        &mut self,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(DataKey, String), SignInRefused>> {
        let Some(i) = self.worker_slot_index(name) else {
            return Ok(Err(SignInRefused::UnknownWorker(name.trim().to_string())));
        };
        let slot = &mut self.slots[i];
        let shown = slot.worker_name.clone().unwrap_or_default();
        if let Some(until) = slot.locked_until() {
            if now < until {
                return Ok(Err(SignInRefused::Locked { name: shown, until }));
            }
        }
        match slot.unwrap_key(password.as_bytes())? {
            Some(key) => {
                slot.failed_sign_ins = 0;
                slot.locked_until = None;
                Ok(Ok((key, slot.worker_id.clone().unwrap_or_default())))
            }
            None => {
                slot.failed_sign_ins += 1;
                if slot.failed_sign_ins >= MAX_FAILURES {
                    let until = now + Duration::minutes(LOCK_MINUTES);
                    slot.failed_sign_ins = 0;
                    slot.locked_until = Some(until.to_rfc3339_opts(SecondsFormat::Secs, true));
                    Ok(Err(SignInRefused::Locked { name: shown, until }))
                } else {
                    Ok(Err(SignInRefused::WrongPassword {
                        name: shown,
                        tries_left: MAX_FAILURES - slot.failed_sign_ins,
                    }))
                }
            }
        }
    }

    /// The data key from the recovery code, or `None` when the code is wrong.
    pub fn unlock_with_recovery_code(&self, code: &str) -> Result<Option<DataKey>> {
        let Some(slot) = self.slots.iter().find(|s| s.kind == SlotKind::Recovery) else {
            bail!("this key file has no recovery slot");
        };
        slot.unwrap_key(normalise_code(code).as_bytes())
    }

    /// Adds or replaces the worker's slot, wrapping `key` under `password`.
    pub fn set_worker_slot(
        &mut self,
        key: &DataKey,
        worker_id: &str,
        name: &str,
        password: &str,
    ) -> Result<()> {
        check_password(password)?;
        let slot = Slot::wrap(
            SlotKind::Worker,
            Some((worker_id, name.trim())),
            password.as_bytes(),
            key,
            Kdf::for_new_slots(),
        )?;
        self.slots
            .retain(|s| !(s.kind == SlotKind::Worker && s.worker_id.as_deref() == Some(worker_id)));
        self.slots.insert(0, slot);
        Ok(())
    }

    /// Removes the worker's slot: they can no longer sign in.
    pub fn remove_worker_slot(&mut self, worker_id: &str) {
        self.slots
            .retain(|s| !(s.kind == SlotKind::Worker && s.worker_id.as_deref() == Some(worker_id)));
    }

    /// The slot of `worker_id`, for callers that check its cost.
    pub fn worker_slot(&self, worker_id: &str) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| s.kind == SlotKind::Worker && s.worker_id.as_deref() == Some(worker_id))
    }
}

/// A password is at least 8 characters (NCSC: length over complexity rules).
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        bail!("password: at least 8 characters, please (a short phrase is easiest)");
    }
    if password.len() > 1024 {
        bail!("password: at most 1024 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn file() -> (KeyFile, DataKey) {
        let key = DataKey::generate();
        let mut f = KeyFile {
            format: FORMAT.into(),
            database_salt: hex::encode([7u8; 16]),
            slots: vec![],
        };
        let slot = Slot::wrap(
            SlotKind::Worker,
            Some(("w1", "Ama")),
            b"correct horse",
            &key,
            Kdf::TEST_ONLY_CHEAP,
        )
        .unwrap();
        f.slots.push(slot);
        (f, key)
    }

    #[test]
    fn the_right_password_unwraps_the_data_key_and_a_wrong_one_does_not() {
        let (mut f, key) = file();
        let now = at("2025-06-02T12:00:00Z");
        let (got, id) = f.unlock("ama", "correct horse", now).unwrap().unwrap();
        assert_eq!(got.hex(), key.hex());
        assert_eq!(id, "w1");
        let refused = f.unlock("Ama", "wrong horse", now).unwrap().unwrap_err();
        assert_eq!(
            refused,
            SignInRefused::WrongPassword {
                name: "Ama".into(),
                tries_left: 5
            }
        );
    }

    #[test]
    fn six_failures_lock_the_worker_for_fifteen_minutes_even_with_the_right_password() {
        let (mut f, _) = file();
        let now = at("2025-06-02T12:00:00Z");
        for _ in 0..5 {
            assert!(matches!(
                f.unlock("Ama", "nope nope", now).unwrap(),
                Err(SignInRefused::WrongPassword { .. })
            ));
        }
        let sixth = f.unlock("Ama", "nope nope", now).unwrap().unwrap_err();
        let until = at("2025-06-02T12:15:00Z");
        assert_eq!(
            sixth,
            SignInRefused::Locked {
                name: "Ama".into(),
                until
            }
        );
        assert!(sixth.to_string().contains("until 2025-06-02 12:15 UTC"));
        let during = f
            .unlock("Ama", "correct horse", at("2025-06-02T12:14:59Z"))
            .unwrap();
        assert!(matches!(during, Err(SignInRefused::Locked { .. })));
        assert!(f.unlock("Ama", "correct horse", until).unwrap().is_ok());
    }

    #[test]
    fn a_slot_moved_onto_another_worker_does_not_open() {
        let (mut f, _) = file();
        f.slots[0].worker_id = Some("w2".into());
        let now = at("2025-06-02T12:00:00Z");
        assert!(f.unlock("Ama", "correct horse", now).unwrap().is_err());
    }

    #[test]
    fn a_recovery_code_opens_its_slot_however_it_is_typed() {
        let key = DataKey::generate();
        let code = new_recovery_code();
        assert_eq!(code.len(), 29);
        let slot = Slot::wrap(
            SlotKind::Recovery,
            None,
            normalise_code(&code).as_bytes(),
            &key,
            Kdf::TEST_ONLY_CHEAP,
        )
        .unwrap();
        let f = KeyFile {
            format: FORMAT.into(),
            database_salt: String::new(),
            slots: vec![slot],
        };
        let typed = code.to_lowercase().replace('-', " ");
        let got = f.unlock_with_recovery_code(&typed).unwrap().unwrap();
        assert_eq!(got.hex(), key.hex());
        assert!(f
            .unlock_with_recovery_code("AAAAA-AAAAA")
            .unwrap()
            .is_none());
    }

    #[test]
    fn release_builds_never_pick_the_cheap_test_cost() {
        if !cfg!(debug_assertions) {
            std::env::set_var("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1");
            assert_eq!(Kdf::for_new_slots(), Kdf::DEFAULT);
        }
        assert!(!Kdf::DEFAULT.is_weak());
        assert!(Kdf::TEST_ONLY_CHEAP.is_weak());
    }
}
