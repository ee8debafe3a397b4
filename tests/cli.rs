//! The command line through the real binary: the commands a newcomer types, and refusals.

mod common;
use common::{casebook, recovery_key};

use assert_cmd::Command;
use predicates::prelude::*;

/// A new encrypted database with its first administrator.
fn init(db: &std::path::Path) {
    casebook(db).arg("init").assert().success();
}

/// A plain connection to the encrypted file, keyed as the sqlcipher shell would be.
fn raw(db: &std::path::Path) -> rusqlite::Connection {
    let key = recovery_key(db);
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))
        .unwrap();
    c
}

#[test]
fn help_names_every_command() {
    Command::cargo_bin("casebook")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("demo"))
        .stdout(predicate::str::contains("due"))
        .stdout(predicate::str::contains("check"))
        .stdout(predicate::str::contains("--as-of"));
}

#[test]
fn demo_then_due_then_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "demo",
            "--people",
            "60",
            "--seed",
            "3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("young people             60"));

    let out = casebook(&db)
        .args(["--as-of", "2025-11-20", "due", "--format", "json", "--all"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert!(!items.is_empty());
    // Overdue items come first, and the groups never go backwards.
    let order = ["overdue", "today", "this week", "later"];
    let ranks: Vec<usize> = items
        .iter()
        .map(|i| {
            order
                .iter()
                .position(|g| *g == i["group"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");

    casebook(&db)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("integrity       ok"))
        .stdout(predicate::str::is_match(r"young_people +60\n").unwrap());
}

#[test]
fn the_same_seed_gives_the_same_due_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for name in ["a.db", "b.db"] {
        let db = dir.path().join(name);
        casebook(&db)
            .args([
                "--as-of",
                "2025-11-20",
                "demo",
                "--people",
                "30",
                "--seed",
                "11",
            ])
            .assert()
            .success();
        let out = casebook(&db)
            .args(["--as-of", "2025-11-20", "due"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        outputs.push(String::from_utf8(out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_foreign_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shopping.db");
    std::fs::write(&db, b"eggs, milk, bread\n").unwrap();
    casebook(&db)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a casebook database"));
    assert_eq!(std::fs::read(&db).unwrap(), b"eggs, milk, bread\n");
    assert!(!db.with_extension("keys").exists());
}

#[test]
fn a_malformed_date_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    casebook(&db)
        .args(["--as-of", "31/02/2025", "check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--as-of"))
        .stderr(predicate::str::contains("YYYY-MM-DD"));
    assert!(
        !db.exists(),
        "nothing is created when the command line is wrong"
    );
}

#[test]
fn unknown_worker_and_kind_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    init(&db);
    casebook(&db)
        .args(["due", "--worker", "Nobody Atall"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--worker: no worker called 'Nobody Atall'",
        ));
    casebook(&db)
        .args(["due", "--kind", "lunch"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--kind: 'lunch' is not a kind"))
        .stderr(predicate::str::contains("triage"));
}

#[test]
fn demo_size_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    casebook(&db)
        .args(["demo", "--people", "5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("10"));
}

#[test]
fn an_unwritable_location_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let db = blocker.join("case.db");
    casebook(&db)
        .arg("init")
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot create the folder"));
}

#[test]
fn flags_lists_active_flags_highest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "demo",
            "--people",
            "80",
            "--seed",
            "5",
        ])
        .assert()
        .success();
    let out = casebook(&db)
        .args(["--as-of", "2025-11-20", "flags", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let flags: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert!(!flags.is_empty());
    assert!(flags.iter().all(|f| f["closed_on"].is_null()));
    let rank = |l: &str| {
        ["high", "medium", "low"]
            .iter()
            .position(|x| *x == l)
            .unwrap()
    };
    let ranks: Vec<usize> = flags
        .iter()
        .map(|f| rank(f["level"].as_str().unwrap()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
}

#[test]
fn import_a_register_then_again_adds_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("imp.db");
    let register = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/register_good.csv"
    );
    init(&db);
    casebook(&db)
        .args(["--as-of", "2026-01-15", "import", register])
        .assert()
        .success()
        .stdout(predicate::str::contains("Episodes: 6 created"));
    casebook(&db)
        .args(["--as-of", "2026-01-15", "import", register])
        .assert()
        .success()
        .stdout(predicate::str::contains("Episodes: 0 created, 6 matched"));
}

#[test]
fn a_corrupt_register_names_every_bad_cell_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("imp.db");
    init(&db);
    let before = std::fs::read(&db).unwrap();
    let register = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/register_corrupt.csv"
    );
    casebook(&db)
        .args(["--as-of", "2026-01-15", "import", register])
        .assert()
        .failure()
        .stderr(predicate::str::contains("row 3, column triage_date"))
        .stderr(predicate::str::contains("nothing was imported"));
    casebook(&db)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"episodes +0\n").unwrap());
    casebook(&db)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"workers +1\n").unwrap());
    assert_eq!(before, std::fs::read(&db).unwrap());
}

#[test]
fn export_writes_a_return_without_names_and_explains_a_figure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    casebook(&db)
        .args([
            "--as-of",
            "2025-11-20",
            "demo",
            "--people",
            "60",
            "--seed",
            "4",
        ])
        .assert()
        .success();
    let out = dir.path().join("q2.json");
    casebook(&db)
        .args(["--as-of", "2025-11-20", "export", "--quarter", "2025-26 Q2"])
        .args(["--format", "json", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("figures sha256"));
    let cells: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let kpi_2a_all: Vec<_> = cells
        .iter()
        .filter(|c| c["measure"] == "kpi.2a" && c["breakdown"] == "all")
        .collect();
    assert!(kpi_2a_all.iter().any(|c| c["field"] == "denominator"));
    // No name of any young person in the file.
    let text = std::fs::read_to_string(&out).unwrap();
    let c = raw(&db);
    let mut stmt = c
        .prepare("SELECT family_name, reference FROM young_people")
        .unwrap();
    let people: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (family, reference) in &people {
        assert!(!text.contains(family.as_str()), "{family} leaked");
        assert!(!text.contains(reference.as_str()), "{reference} leaked");
    }

    // The drill-down's numerator count is the figure in the file.
    let numerator = kpi_2a_all
        .iter()
        .find(|c| c["field"] == "numerator")
        .and_then(|c| c["value"].as_i64())
        .unwrap();
    casebook(&db)
        .args(["--as-of", "2025-11-20", "export", "--quarter", "2025-26 Q2"])
        .args(["--explain", "kpi.2a"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "numerator: {numerator}\n"
        )));
}

#[test]
fn export_names_a_bad_quarter_or_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    init(&db);
    casebook(&db)
        .args(["export", "--quarter", "2025 Q9", "--out", "x.json"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--quarter"));
    casebook(&db)
        .args([
            "export",
            "--quarter",
            "2025-26 Q2",
            "--format",
            "pdf",
            "--out",
            "x",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--format: 'pdf'"));
}

#[test]
fn mentors_add_match_session_then_list_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "demo",
            "--people",
            "20",
            "--seed",
            "2",
        ])
        .assert()
        .success();
    let out = casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "mentors",
            "add",
            "--given-name",
            "Test",
            "--family-name",
            "Mentor",
            "--gender",
            "female",
            "--recruited",
            "2025-11-01",
            "--check-date",
            "2025-11-10",
            "--check-result",
            "clear",
            "--references",
            "2025-11-12",
            "--tier1",
            "2025-11-20",
            "--tier2",
            "2025-12-01",
            "--status",
            "active",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mentor_id = String::from_utf8(out).unwrap().trim().to_string();
    // A young person from the demo with a programme start, by reference.
    let conn = raw(&db);
    let reference: String = conn
        .query_row(
            "SELECT p.reference FROM young_people p JOIN episodes e ON e.young_person_id = p.id
             WHERE e.exit_date IS NULL AND e.referral_date <= '2025-12-01'
               AND e.id NOT IN (SELECT episode_id FROM mentor_matches WHERE end_date IS NULL)
             ORDER BY p.reference LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    // Before training a match is refused at the field; here the start predates Tier 2.
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "mentors",
            "match",
            "--reference",
            &reference,
        ])
        .args(["--mentor", &mentor_id, "--start", "2025-11-25"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("start_date"));
    let out = casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "mentors",
            "match",
            "--reference",
            &reference,
        ])
        .args(["--mentor", &mentor_id, "--start", "2025-12-02"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let match_id = String::from_utf8(out).unwrap().trim().to_string();
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "mentors",
            "session",
            "--match",
            &match_id,
        ])
        .args(["--date", "2025-12-01"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "date: 2025-12-01 is before the match start",
        ));
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "mentors",
            "session",
            "--match",
            &match_id,
        ])
        .args(["--date", "2025-12-09", "--place", "Library"])
        .assert()
        .success();
    let out = casebook(&db)
        .args(["--as-of", "2026-01-15", "mentors", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    let me = rows.iter().find(|r| r["id"] == mentor_id.as_str()).unwrap();
    assert_eq!(me["status"], "active");
    assert_eq!(me["ready_to_match"], true);
    assert_eq!(me["trained_on"], "2025-12-01");
    assert_eq!(me["mentees"][0]["reference"], reference.as_str());
    assert_eq!(me["mentees"][0]["last_session"], "2025-12-09");
}

#[test]
fn export_year_writes_section_c_and_explains_a_figure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "demo",
            "--people",
            "30",
            "--seed",
            "4",
        ])
        .assert()
        .success();
    let out = dir.path().join("c.json");
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "export",
            "--return",
            "leicester",
            "--year",
            "2025-26",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["year"], "2025-26");
    assert_eq!(json["figures"][0]["id"], "leic.c.outcome_a");
    assert_eq!(json["figures"][0]["target_percent"], 100);
    // Without --format a .json file stays JSON, now with its manifest beside it.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("c.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["period"]["year"], "2025-26");
    assert_eq!(m["format"], "json");
    // As XLSX into a folder, as the quarterly returns are written.
    let folder = dir.path().join("annual");
    std::fs::create_dir_all(&folder).unwrap();
    casebook(&db)
        .args(["--as-of", "2026-01-15", "export", "--return", "leicester"])
        .args(["--year", "2025-26", "--format", "xlsx", "--out"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(predicate::str::contains("leicester-C-2025-26.xlsx"))
        .stdout(predicate::str::contains(
            "leicester-C-2025-26.manifest.json (manifest)",
        ));
    assert!(folder.join("leicester-C-2025-26.xlsx").is_file());
    // CSV needs a folder to go to.
    casebook(&db)
        .args([
            "export",
            "--return",
            "leicester",
            "--year",
            "2025-26",
            "--format",
            "csv",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--out: say where to write section C as csv",
        ));
    casebook(&db)
        .args([
            "--as-of",
            "2026-01-15",
            "export",
            "--return",
            "leicester",
            "--year",
            "2025-26",
        ])
        .args(["--explain", "leic.c.gp_registered"])
        .assert()
        .success()
        .stdout(predicate::str::contains("leic.c.gp_registered for 2025-26"));
    casebook(&db)
        .args(["export", "--return", "leicester", "--year", "2025-27"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--year"));
    casebook(&db)
        .args(["export", "--return", "southampton", "--year", "2025-26"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("only the Leicester return"));
}
