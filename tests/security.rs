//! Secure by default (issue 12): the file is encrypted and owner-only, workers sign in, the
//! role table is obeyed by the command line, and faults are refused saying which.

mod common;
use common::casebook_as;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use casebook::domain::clock::Clock;
use casebook::store::sign_in;
use chrono::{Duration, NaiveDate};
use predicates::prelude::*;

const ADMIN: &str = "Ada Admin";
const ADMIN_PW: &str = "admin's long password";

fn admin(db: &Path) -> Command {
    casebook_as(db, ADMIN, ADMIN_PW)
}

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    admin(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "demo",
            "--people",
            "40",
            "--seed",
            "2",
        ])
        .assert()
        .success();
    db
}

fn recovery_key(db: &Path) -> String {
    let out = admin(db)
        .args(["admin", "recovery-key"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap().trim().to_string()
}

/// What the standard sqlcipher shell does with the recovery key.
fn raw_with_key(db: &Path, key: &str) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))
        .unwrap();
    c
}

fn family_names(db: &Path) -> Vec<String> {
    let c = raw_with_key(db, &recovery_key(db));
    let mut s = c
        .prepare("SELECT DISTINCT family_name FROM young_people")
        .unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn password_file(dir: &Path, name: &str, pw: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{pw}\n")).unwrap();
    p
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn no_demo_name_appears_in_the_bytes_of_the_database_its_wal_or_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let names = family_names(&db);
    assert!(names.len() > 5, "{names:?}");
    // A draft with a name in it, saved the way the form saves it, through an open store.
    let key = casebook::store::DataKey::from_hex(&recovery_key(&db)).unwrap();
    let store = casebook::store::Store::open(&db, &key).unwrap();
    let draft = serde_json::json!({ "given_name": "Zebedee", "family_name": names[0] });
    casebook::store::drafts::save(&store, "w", "intake:new", &draft, chrono::Utc::now()).unwrap();
    // While the store is open the draft sits in the WAL: read every file now.
    let files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with("-wal")));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for n in names.iter().filter(|n| n.len() >= 4) {
            assert!(!contains(&bytes, n), "{n} readable in {}", f.display());
        }
        assert!(
            !contains(&bytes, "Zebedee"),
            "draft readable in {}",
            f.display()
        );
    }
    drop(store);
}

#[cfg(unix)]
#[test]
fn every_file_casebook_writes_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let out = dir.path().join("q2.json");
    admin(&db)
        .args(["--as-of", "2025-11-20", "export", "--quarter", "2025-26 Q2"])
        .args(["--format", "json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let csv = dir.path().join("q2-csv");
    admin(&db)
        .args(["--as-of", "2025-11-20", "export", "--quarter", "2025-26 Q2"])
        .args(["--format", "csv", "--out"])
        .arg(&csv)
        .assert()
        .success();
    let mut checked = 0;
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                assert_eq!(mode(&p), 0o600, "{} is mode {:o}", p.display(), mode(&p));
                checked += 1;
            }
        }
    }
    // The database, its key file, the return and its manifest, the CSV sections.
    assert!(checked >= 6, "{checked}");
}

#[test]
fn the_recovery_key_opens_the_file_in_a_plain_sqlcipher_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let key = recovery_key(&db);
    assert_eq!(key.len(), 64);
    let c = raw_with_key(&db, &key);
    let n: i64 = c
        .query_row("SELECT count(*) FROM young_people", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 40);
    // Showing it is audited.
    let shown: i64 = c
        .query_row(
            "SELECT count(*) FROM security_events WHERE event = 'recovery_key_shown'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(shown, 1);
    // Without the key the file does not read.
    let plain = rusqlite::Connection::open(&db).unwrap();
    assert!(plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r
            .get::<_, i64>(0))
        .is_err());
}

#[test]
fn a_wrong_password_is_refused_clearly_and_leaves_the_database_bytes_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let before = std::fs::read(&db).unwrap();
    casebook_as(&db, ADMIN, "not the password")
        .arg("due")
        .assert()
        .failure()
        .stderr(predicate::str::contains("wrong password for Ada Admin"))
        .stderr(predicate::str::contains("nothing was opened or written"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
    casebook_as(&db, "Nobody Here", ADMIN_PW)
        .arg("due")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no worker named 'Nobody Here'"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn six_failed_sign_ins_lock_the_worker_and_they_see_until_when() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    for i in 1..=5 {
        casebook_as(&db, ADMIN, "wrong wrong")
            .arg("check")
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!("{} more tries", 6 - i)));
    }
    casebook_as(&db, ADMIN, "wrong wrong")
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "locked after 6 failed sign-ins until",
        ));
    // Now even the right password is refused, saying until when.
    admin(&db).arg("check").assert().failure().stderr(
        predicate::str::is_match(r"locked .* until \d{4}-\d\d-\d\d \d\d:\d\d UTC").unwrap(),
    );
}

#[test]
fn the_lock_lasts_fifteen_minutes_by_the_fixed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let now = Clock::fixed(NaiveDate::from_ymd_opt(2025, 11, 20).unwrap()).now();
    for _ in 0..6 {
        assert!(sign_in::sign_in(&db, ADMIN, "wrong wrong", now).is_err());
    }
    let locked = sign_in::sign_in(&db, ADMIN, ADMIN_PW, now + Duration::minutes(14)).unwrap_err();
    assert!(
        locked.to_string().contains("until 2025-11-20 12:15 UTC"),
        "{locked}"
    );
    let again = sign_in::sign_in(&db, ADMIN, ADMIN_PW, now + Duration::minutes(15)).unwrap();
    assert_eq!(again.worker.name, ADMIN);
}

#[test]
fn the_command_line_obeys_the_role_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let kim_pw = password_file(dir.path(), "kim.pw", "kim's own password");
    admin(&db)
        .args(["worker", "add", "Kim Keyworker", "--roles", "key_worker"])
        .arg("--new-password-file")
        .arg(&kim_pw)
        .assert()
        .success()
        .stdout(predicate::str::contains("added Kim Keyworker (key worker)"));
    let kim = || casebook_as(&db, "Kim Keyworker", "kim's own password");
    // A key worker reads the due-list...
    kim()
        .args(["--as-of", "2025-11-20", "due"])
        .assert()
        .success();
    // ...but does not write returns, list names behind figures, manage workers or see the key.
    kim()
        .args([
            "export",
            "--quarter",
            "2025-26 Q2",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir.path().join("kim.json"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "only a manager may write a quarterly return; Kim Keyworker is signed in as key worker",
        ));
    assert!(!dir.path().join("kim.json").exists());
    kim()
        .args(["export", "--quarter", "2025-26 Q2", "--explain", "kpi.2a"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "only a manager may list the young people",
        ));
    kim()
        .args(["worker", "add", "Mallory", "--roles", "administrator"])
        .arg("--new-password-file")
        .arg(&kim_pw)
        .assert()
        .failure()
        .stderr(predicate::str::contains("only an administrator may add"));
    kim()
        .args(["worker", "reset-password", ADMIN, "--new-password-file"])
        .arg(&kim_pw)
        .assert()
        .failure()
        .stderr(predicate::str::contains("reset another worker's password"));
    kim()
        .args(["admin", "recovery-key"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("show the recovery key"));
    // The administrator makes Kim a manager too: now the return is written.
    admin(&db)
        .args([
            "worker",
            "set-roles",
            "Kim Keyworker",
            "--roles",
            "key_worker,manager",
        ])
        .assert()
        .success();
    kim()
        .args(["--as-of", "2025-11-20", "export", "--quarter", "2025-26 Q2"])
        .args(["--format", "json", "--out"])
        .arg(dir.path().join("kim.json"))
        .assert()
        .success();
    admin(&db)
        .args(["worker", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"Kim Keyworker +key worker, manager +yes +yes").unwrap());
}

#[test]
fn reset_password_and_deactivate_change_who_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let first = password_file(dir.path(), "1.pw", "first password");
    let second = password_file(dir.path(), "2.pw", "second password");
    admin(&db)
        .args(["worker", "add", "Olu Outreach", "--roles", "outreach"])
        .arg("--new-password-file")
        .arg(&first)
        .assert()
        .success();
    casebook_as(&db, "Olu Outreach", "first password")
        .arg("flags")
        .assert()
        .success();
    admin(&db)
        .args([
            "worker",
            "reset-password",
            "Olu Outreach",
            "--new-password-file",
        ])
        .arg(&second)
        .assert()
        .success();
    casebook_as(&db, "Olu Outreach", "first password")
        .arg("flags")
        .assert()
        .failure()
        .stderr(predicate::str::contains("wrong password"));
    // --password-file signs in too.
    casebook_as(&db, "Olu Outreach", "ignored")
        .arg("--password-file")
        .arg(&second)
        .arg("flags")
        .assert()
        .success();
    admin(&db)
        .args(["worker", "deactivate", "Olu Outreach"])
        .assert()
        .success();
    casebook_as(&db, "Olu Outreach", "second password")
        .arg("flags")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no worker named 'Olu Outreach' can sign in",
        ));
    // The last administrator cannot be removed.
    admin(&db)
        .args(["worker", "set-roles", ADMIN, "--roles", "manager"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("last active administrator"));
}

#[test]
fn the_recovery_code_printed_at_init_sets_a_new_administrator_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let out = admin(&db)
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains("Recovery code"))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 29 && l.matches('-').count() == 4)
        .expect("the code is printed")
        .to_string();
    let code_file = password_file(dir.path(), "code.txt", &code);
    let new_pw = password_file(dir.path(), "new.pw", "brand new password");
    admin(&db)
        .args([
            "admin",
            "recover",
            "--worker",
            ADMIN,
            "--recovery-code-file",
        ])
        .arg(&code_file)
        .arg("--new-password-file")
        .arg(&new_pw)
        .assert()
        .success();
    casebook_as(&db, ADMIN, "brand new password")
        .arg("check")
        .assert()
        .success();
    let wrong = password_file(dir.path(), "wrong.txt", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE");
    admin(&db)
        .args([
            "admin",
            "recover",
            "--worker",
            ADMIN,
            "--recovery-code-file",
        ])
        .arg(&wrong)
        .arg("--new-password-file")
        .arg(&new_pw)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "not this database's recovery code",
        ));
    // init never replaces a database.
    admin(&db)
        .arg("init")
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn a_missing_or_mismatched_key_file_and_a_foreign_file_are_refused_saying_which() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    admin(&a).arg("init").assert().success();
    admin(&b).arg("init").assert().success();
    let a_before = std::fs::read(&a).unwrap();
    // b's key file beside a.
    std::fs::rename(a.with_extension("keys"), dir.path().join("a.keys.saved")).unwrap();
    admin(&a)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("its key file"))
        .stderr(predicate::str::contains("is missing"));
    std::fs::copy(b.with_extension("keys"), a.with_extension("keys")).unwrap();
    admin(&a)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not belong to"));
    assert_eq!(std::fs::read(&a).unwrap(), a_before);
    // A SQLite file of another program.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    admin(&other)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a casebook one"));
    // A command on no database at all says how to make one, and makes nothing.
    let none = dir.path().join("none.db");
    admin(&none)
        .arg("due")
        .assert()
        .failure()
        .stderr(predicate::str::contains("casebook init"));
    assert!(!none.exists());
}

#[test]
fn a_plain_database_is_refused_and_encrypt_makes_a_checked_copy() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("old.db");
    // An unencrypted casebook file as earlier versions wrote it: the schema through the same
    // migrations, in a connection with no key.
    {
        let c = rusqlite::Connection::open(&plain).unwrap();
        c.execute_batch(concat!(
            include_str!("../src/store/schema.sql"),
            "\nPRAGMA user_version = 1; PRAGMA application_id = 1128418097;\n",
            "INSERT INTO workers (id, name, role, active, created_at) ",
            "VALUES ('w1', 'Ada Admin', 'manager', 1, '2025-01-01T00:00:00Z');"
        ))
        .unwrap();
    }
    let before = std::fs::read(&plain).unwrap();
    admin(&plain)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("unencrypted casebook database"))
        .stderr(predicate::str::contains("casebook encrypt --in"));
    assert_eq!(
        std::fs::read(&plain).unwrap(),
        before,
        "never silently converted"
    );
    let new = dir.path().join("new.db");
    admin(&new)
        .args(["encrypt", "--in"])
        .arg(&plain)
        .arg("--out")
        .arg(&new)
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"workers +1\n").unwrap());
    assert_eq!(std::fs::read(&plain).unwrap(), before);
    admin(&new)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "schema version  {}",
            casebook::store::latest_schema_version()
        )))
        .stdout(predicate::str::is_match(r"workers +1\n").unwrap());
    // The existing worker became its administrator.
    admin(&new)
        .args(["worker", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"Ada Admin +manager, administrator").unwrap());
    admin(&new)
        .args(["encrypt", "--in"])
        .arg(&plain)
        .arg("--out")
        .arg(&new)
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"));
}
