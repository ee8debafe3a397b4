//! Set-up every integration test shares: dates written as text, the fixed data key test files
//! are encrypted with (real SQLCipher; the key is test data), and a raw keyed connection for
//! looking at (or tampering with) a file as the `sqlcipher` shell would.
#![allow(dead_code)]

use chrono::NaiveDate;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The data key of every test file.
pub const TEST_KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(TEST_KEY_HEX).unwrap()
}

/// A raw connection to a test file, keyed as the sqlcipher shell would be.
pub fn keyed_open(path: impl AsRef<std::path::Path>) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(path)?;
    c.execute_batch(&format!("PRAGMA key = \"x'{TEST_KEY_HEX}'\";"))?;
    Ok(c)
}

/// A new encrypted database file in its own temporary folder (removed when dropped).
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casebook.db");
        TempDb { dir, path }
    }

    pub fn open(&self) -> casebook::store::Store {
        casebook::store::Store::open(&self.path, &test_key()).unwrap()
    }
}

/// The binary on `db`, signed in as `user` with `password` (the cheap test-only key cost, which
/// debug builds alone honour), with a configuration folder of its own so a developer's
/// overrides never leak in.
pub fn casebook_as(db: &std::path::Path, user: &str, password: &str) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("casebook").unwrap();
    c.arg("--db").arg(db);
    c.env("CASEBOOK_USER", user)
        .env("CASEBOOK_PASSWORD", password)
        .env("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1")
        .env("CASEBOOK_CONFIG", db.with_extension("config"))
        .env_remove("CASEBOOK_NEW_PASSWORD");
    c
}

/// The binary on `db` as the first administrator the CLI tests make.
pub fn casebook(db: &std::path::Path) -> assert_cmd::Command {
    casebook_as(db, "Test Runner", "a long test password")
}

/// The data key of a file the binary made, as its administrator reads it
/// (`casebook admin recovery-key`).
pub fn recovery_key(db: &std::path::Path) -> String {
    let out = casebook(db)
        .args(["admin", "recovery-key"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap().trim().to_string()
}

/// A new file made by `casebook init` (its administrator is `casebook`'s), opened through the
/// store with its recovery key, so a test can write records the binary then reads.
pub fn initialised_store(db: &std::path::Path) -> casebook::store::Store {
    casebook(db).arg("init").assert().success();
    let key = casebook::store::DataKey::from_hex(&recovery_key(db)).unwrap();
    casebook::store::Store::open(db, &key).unwrap()
}
