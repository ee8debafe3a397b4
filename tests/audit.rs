//! The tamper-evident audit log through real SQLite files: the chain names the first row
//! edited, deleted or inserted behind casebook's back, a record edited in raw SQL is found by
//! `audit verify --records`, views are audited, and a first-schema file migrates faithfully.

mod tui_support;

use std::path::Path;

use casebook::store::audit::changes_json;
use casebook::store::Store;
use predicates::prelude::*;
use rusqlite::Connection;
use tui_support::*;

/// The data key of a test file: a file made through `casebook init` or `demo` has a random
/// one, read once as an administrator would (`admin recovery-key`) and kept beside it; a file
/// a test builds by hand uses a fixed one.
fn key_hex(path: &Path) -> String {
    let kept = path.with_extension("hexkey");
    if let Ok(hex) = std::fs::read_to_string(&kept) {
        return hex;
    }
    if !path.with_extension("keys").exists() {
        return "5a".repeat(32);
    }
    let out = casebook(path)
        .args(["admin", "recovery-key"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let hex = String::from_utf8(out).unwrap().trim().to_string();
    std::fs::write(&kept, &hex).unwrap();
    hex
}

fn key_of(path: &Path) -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&key_hex(path)).unwrap()
}

/// A raw connection to the file, keyed as the sqlcipher shell would be: how someone with the
/// key but without casebook would edit it.
fn raw(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    c.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key_hex(path)))?;
    Ok(c)
}

/// A small caseload in a new encrypted file with its first administrator, closed again.
fn filled(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("case.db");
    casebook(&path).arg("init").assert().success();
    let mut store = Store::open(&path, &key_of(&path)).unwrap();
    fill(&mut store);
    path
}

fn sql(path: &Path, statement: &str) {
    raw(path).unwrap().execute_batch(statement).unwrap();
}

fn first_break(path: &Path) -> Option<(i64, String)> {
    Store::open(path, &key_of(path))
        .unwrap()
        .verify_audit(false)
        .unwrap()
        .first_break
        .map(|b| (b.seq, b.reason))
}

#[test]
fn an_untouched_log_verifies_and_check_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    assert_eq!(first_break(&path), None);
    casebook(&path)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("audit chain     ok"));
}

#[test]
fn a_row_edited_in_raw_sql_breaks_the_chain_at_that_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    sql(
        &path,
        "UPDATE audit_log SET actor_id = 'someone else' WHERE seq = 7",
    );
    let (seq, reason) = first_break(&path).unwrap();
    assert_eq!(seq, 7);
    assert!(reason.contains("does not match its hash"), "{reason}");
    casebook(&path)
        .args(["audit", "verify"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("BROKEN at row 7"))
        .stderr(predicate::str::contains("chain breaks at row 7"));
    casebook(&path)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("row 7"));
}

#[test]
fn a_deleted_row_is_detected_in_the_middle_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    sql(&path, "DELETE FROM audit_log WHERE seq = 5");
    let (seq, reason) = first_break(&path).unwrap();
    assert_eq!(seq, 6, "named at the row after the gap");
    assert!(reason.contains("missing"), "{reason}");

    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    let last: i64 = raw(&path)
        .unwrap()
        .query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    sql(&path, &format!("DELETE FROM audit_log WHERE seq = {last}"));
    let (seq, reason) = first_break(&path).unwrap();
    assert_eq!(seq, last);
    assert!(reason.contains("end of the log"), "{reason}");
}

#[test]
fn an_inserted_row_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    // A forged row that follows the sequence but cannot know the hash.
    sql(
        &path,
        "INSERT INTO audit_log (device, device_seq, at, actor_id, action, table_name, record_id,
                                changes, row_hash, hash)
         SELECT device, device_seq + 1, at, actor_id, 'view', 'young_people', record_id,
                NULL, NULL, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
    );
    let forged: i64 = raw(&path)
        .unwrap()
        .query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first_break(&path).unwrap().0, forged);

    // Slipped in between two rows (rows renumbered up by one from seq 10).
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    sql(
        &path,
        "UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 10;
         UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000;
         INSERT INTO audit_log (seq, device, device_seq, at, actor_id, action, table_name,
                                record_id, changes, row_hash, hash)
         SELECT 10, device, device_seq, at, actor_id, action, table_name, record_id, changes,
                row_hash, hash FROM audit_log WHERE seq = 11;",
    );
    assert_eq!(first_break(&path).unwrap().0, 11);
}

#[test]
fn a_record_edited_in_raw_sql_is_found_by_verify_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    let store = Store::open(&path, &key_of(&path)).unwrap();
    let clean = store.verify_audit(true).unwrap();
    assert!(clean.records_checked > 20, "{clean:?}");
    assert!(clean.record_mismatches.is_empty(), "{clean:?}");
    drop(store);

    sql(
        &path,
        "UPDATE young_people SET date_of_birth = '2001-01-01' WHERE given_name = 'Zoë'",
    );
    // The chain itself is intact: only the record changed.
    assert_eq!(first_break(&path), None);
    let report = Store::open(&path, &key_of(&path))
        .unwrap()
        .verify_audit(true)
        .unwrap();
    assert_eq!(report.record_mismatches.len(), 1, "{report:?}");
    assert_eq!(report.record_mismatches[0].0, "young_people");
    casebook(&path)
        .args(["audit", "verify", "--records"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("1 changed outside casebook"));
}

#[test]
fn two_handles_on_one_file_write_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    let mut a = Store::open(&path, &key_of(&path)).unwrap();
    let b = Store::open(&path, &key_of(&path)).unwrap();
    let now = clock().now();
    let ids: Vec<String> = casebook::store::caseload::caseload(&a)
        .unwrap()
        .into_iter()
        .map(|r| r.young_person_id)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if i % 2 == 0 {
            a.record_view("w1", now, "case view", &[id]).unwrap();
            a.write("w1", now, |tx| {
                tx.update(
                    "young_people",
                    id,
                    &[("postcode_district", casebook::store::values::text("SO15"))],
                )
            })
            .unwrap();
        } else {
            b.record_view("w2", now, "case view", &[id]).unwrap();
        }
    }
    assert_eq!(first_break(&path), None);
}

#[test]
fn opening_a_case_in_the_terminal_ui_is_audited_as_a_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    let mut store = Store::open(&path, &key_of(&path)).unwrap();
    let f = fill_workers(&mut store);
    let mut app = app(store, &f);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    assert!(app.case().is_some());
    let (actor, what): (String, Vec<u8>) = raw(&path)
        .unwrap()
        .query_row(
            "SELECT actor_id, changes FROM audit_log WHERE action = 'view' ORDER BY seq DESC",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(actor, f.id);
    assert_eq!(what, b"case view");
}

fn fill_workers(store: &mut Store) -> casebook::domain::record::Worker {
    casebook::store::people::worker_by_name(store, "Ama Mensah")
        .unwrap()
        .unwrap()
}

#[test]
fn an_export_is_one_row_and_an_explained_figure_names_each_person_listed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "demo",
            "--people",
            "40",
            "--seed",
            "3",
        ])
        .assert()
        .success();
    let views = |db: &Path, table: &str| -> i64 {
        raw(db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'view' AND table_name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap()
    };
    let out = dir.path().join("q2.json");
    casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "export",
            "--quarter",
            "2025-26 Q2",
            "--format",
            "json",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(views(&db, "returns"), 1);
    assert_eq!(
        views(&db, "young_people"),
        0,
        "an export is not a view of each person"
    );
    let record: String = raw(&db)
        .unwrap()
        .query_row(
            "SELECT record_id FROM audit_log WHERE table_name = 'returns'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(record, "southampton 2025-26 Q2");

    let listed = casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "export",
            "--quarter",
            "2025-26 Q2",
            "--explain",
            "kpi.2a",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed = String::from_utf8(listed).unwrap();
    let people: std::collections::BTreeSet<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("YP-"))
        .collect();
    assert!(!people.is_empty(), "{listed}");
    assert_eq!(views(&db, "young_people"), people.len() as i64);

    // The annual section C is a return too: one row for the file written.
    casebook(&db)
        .args(["--as-of", "2025-11-20", "export", "--return", "leicester"])
        .args(["--year", "2025-26", "--format", "json", "--out"])
        .arg(dir.path().join("c.json"))
        .assert()
        .success();
    assert_eq!(views(&db, "returns"), 2);
    assert_eq!(first_break(&db), None);
}

#[test]
fn audit_show_lists_who_saw_and_changed_a_record_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(&dir);
    let mut store = Store::open(&path, &key_of(&path)).unwrap();
    let ama = fill_workers(&mut store);
    let zoe = casebook::store::caseload::caseload(&store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Zoë")
        .unwrap();
    let now = clock().now();
    store
        .write(&ama.id, now, |tx| {
            tx.update(
                "young_people",
                &zoe.young_person_id,
                &[("consent_date", casebook::store::values::text("2026-02-03"))],
            )
        })
        .unwrap();
    store
        .record_view(&ama.id, now, "case view", &[&zoe.young_person_id])
        .unwrap();
    drop(store);
    let out = casebook(&path)
        .args(["audit", "show", "--young-person", &zoe.reference])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].contains("Ama Mensah") && lines[1].contains("viewed the record (case view)"),
        "{out}"
    );
    assert!(
        lines[2].contains("young person: changed consent date")
            && lines[2].contains("→ 03/02/2026"),
        "{out}"
    );
    assert!(out.contains("added young person"), "{out}");
    assert!(out.contains("added contact"), "{out}");

    casebook(&path)
        .args(["audit", "show", "--young-person", "YP-NOPE"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--young-person"));
}

/// A file as the first schema wrote it: JSON of old and new values per audit row.
fn first_schema_file(path: &Path, changes_of_row_3: &str) {
    let c = raw(path).unwrap();
    c.execute_batch(include_str!("../src/store/schema.sql"))
        .unwrap();
    c.execute_batch(&format!(
        "PRAGMA user_version = 1; PRAGMA application_id = {};",
        casebook::store::APPLICATION_ID
    ))
    .unwrap();
    let rows = [
        (
            "2025-06-02T09:00:00Z",
            "w1",
            "workers",
            "w1",
            "insert",
            r#"{"name":[null,"Ama"],"role":[null,"duty"]}"#.to_string(),
        ),
        (
            "2025-06-02T09:01:00Z",
            "w1",
            "young_people",
            "yp1",
            "insert",
            r#"{"given_name":[null,"Zoë"],"gp_registered":[null,1]}"#.to_string(),
        ),
        (
            "2025-06-03T10:00:00Z",
            "w1",
            "young_people",
            "yp1",
            "update",
            changes_of_row_3.to_string(),
        ),
        (
            "2025-06-04T11:00:00Z",
            "w1",
            "young_people",
            "yp1",
            "in_error",
            r#"{"in_error_at":[null,"2025-06-04T11:00:00Z"],"in_error_reason":[null,"duplicate"]}"#
                .to_string(),
        ),
    ];
    for r in rows {
        c.execute(
            "INSERT INTO audit_log (at, actor_id, table_name, record_id, action, changes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![r.0, r.1, r.2, r.3, r.4, r.5],
        )
        .unwrap();
    }
}

#[test]
fn a_first_schema_file_migrates_every_audit_row_faithfully_into_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let update =
        r#"{"date_of_birth":["2009-02-28","2009-03-01"],"postcode_district":["SO14",null]}"#;
    first_schema_file(&path, update);
    let store = Store::open(&path, &key_of(&path)).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        casebook::store::latest_schema_version()
    );
    assert_eq!(store.verify_audit(false).unwrap().first_break, None);
    drop(store);
    let c = raw(&path).unwrap();
    let rows: Vec<(i64, String, String, Vec<u8>)> = c
        .prepare("SELECT at, action, record_id, changes FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2].0, 1_748_944_800, "2025-06-03T10:00:00Z");
    assert_eq!(rows[2].1, "update");
    assert_eq!(changes_json(&rows[2].3).unwrap(), update);
    assert_eq!(
        changes_json(&rows[1].3).unwrap(),
        r#"{"given_name":[null,"Zoë"],"gp_registered":[null,1]}"#
    );
    let old_table: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log_v1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_table, 0);
}

#[test]
fn a_first_schema_file_whose_audit_cannot_be_read_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    first_schema_file(&path, "not json at all");
    let e = Store::open(&path, &key_of(&path)).unwrap_err();
    assert!(format!("{e:#}").contains("audit row 3"), "{e:#}");
    // The migration's one transaction rolled back: schema 1, the JSON rows as they were.
    // (Opening switches the file to WAL, as it always has; that changes no content.)
    let c = raw(&path).unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let kept: Vec<String> = c
        .prepare("SELECT changes FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kept.len(), 4);
    assert_eq!(kept[2], "not json at all");
    let tables: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('audit_device', 'audit_log_v1')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}
