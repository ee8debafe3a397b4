//! `casebook due --kind follow_up_3m`, `follow-up record|close|list` and `due --explain`
//! through the real binary, on a register imported the way a service migrates (issue 17's
//! example: completed treatment on 31/01/2025, looked at on 1 October 2025).

use assert_cmd::Command;
use predicates::prelude::*;

fn casebook(db: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("casebook").unwrap();
    c.arg("--db").arg(db).args(["--as-of", "2025-10-01"]);
    c.env("CASEBOOK_USER", "Test Runner")
        .env("CASEBOOK_PASSWORD", "a long test password")
        .env("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1");
    c.env("CASEBOOK_CONFIG", db.with_extension("config"));
    c
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

/// The references of the young people with a `kind` item due, from the JSON due-list.
fn due_refs(db: &std::path::Path, kind: &str) -> Vec<String> {
    let out = stdout(casebook(db).args(["due", "--all", "--format", "json", "--kind", kind]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["reference"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn follow_ups_stay_due_until_recorded_or_closed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.db");
    casebook(&db).arg("init").assert().success();
    let register = dir.path().join("register.csv");
    std::fs::write(
        &register,
        "given_name,family_name,date_of_birth,referral_date,triage_date,triage_outcome,exit_date,exit_reason,follow_up_dates\n\
         Ada,Done,2008-01-01,2024-09-02,2024-09-03,brief_intervention,2025-01-31,completed_drug_free,2025-04-25;2025-07-28\n\
         Bea,Waiting,2008-02-02,2024-09-02,2024-09-03,brief_intervention,2025-01-31,completed_drug_free,\n",
    )
    .unwrap();
    casebook(&db)
        .arg("import")
        .arg(&register)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 follow-ups"));

    let waiting = due_refs(&db, "follow_up_3m");
    assert_eq!(waiting.len(), 1, "only Bea's 3-month follow-up is due");
    let bea = waiting[0].clone();
    assert_eq!(due_refs(&db, "follow_up_6m"), vec![bea.clone()]);

    // Tried, not reached: still due.
    casebook(&db)
        .args(["follow-up", "record", &bea, "--date", "2025-10-01"])
        .args([
            "--method",
            "phone",
            "--outcome",
            "not_reached",
            "--note",
            "No answer",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("stays due"));
    assert_eq!(due_refs(&db, "follow_up_3m"), vec![bea.clone()]);

    // Bad input is named by field and nothing is written.
    casebook(&db)
        .args(["follow-up", "record", &bea, "--date", "2025-13-01"])
        .args(["--method", "pigeon", "--outcome", "reached"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("date: "))
        .stderr(predicate::str::contains(
            "method: unknown follow-up method 'pigeon'",
        ));

    // Closed with a reason: gone, and the reason is listed.
    let reason = "Moved to Leeds; no forwarding number";
    casebook(&db)
        .args([
            "follow-up",
            "close",
            &bea,
            "--clock",
            "follow_up_3m",
            "--reason",
            reason,
        ])
        .assert()
        .success();
    assert!(due_refs(&db, "follow_up_3m").is_empty());
    let list = stdout(casebook(&db).args(["follow-up", "list", &bea]));
    assert!(list.contains(reason), "{list}");
    assert!(list.contains("not_reached"), "{list}");

    // --explain names the rule, source, start, due date and stop rule of what is left.
    let explain = stdout(casebook(&db).args(["due", "--explain", &bea]));
    for want in [
        "follow-up 6 months after exit [overdue] (S §20.5)",
        "start:  planned exit on 2025-01-31",
        "due:    2025-07-31 (6 months after the planned exit)",
        "stop rule: starts at a planned exit",
        "closed 2025-10-01: Moved to Leeds; no forwarding number",
    ] {
        assert!(explain.contains(want), "{want:?} not in\n{explain}");
    }
    // The return's local figure: in Q2 (July–September) Ada's 6-month follow-up was done and
    // Bea's is still open; --explain names who is behind each row.
    let q2 = [
        "export",
        "--quarter",
        "2025-26 Q2",
        "--explain",
        "local.follow_ups",
    ];
    let open = stdout(
        casebook(&db)
            .args(q2)
            .args(["--breakdown", "6_months:open"]),
    );
    assert!(open.contains(&bea), "{open}");
    assert!(!open.contains("Ada"), "{open}");
    let done = stdout(
        casebook(&db)
            .args(q2)
            .args(["--breakdown", "6_months:done"]),
    );
    assert!(done.contains("Ada Done"), "{done}");
    assert!(!done.contains(&bea), "{done}");
    // Bea's 3-month one, due 30 April, was closed with the reason above.
    let q1 = [
        "export",
        "--quarter",
        "2025-26 Q1",
        "--explain",
        "local.follow_ups",
    ];
    let closed = stdout(
        casebook(&db)
            .args(q1)
            .args(["--breakdown", "3_months:closed_unreached"]),
    );
    assert!(closed.contains(&bea), "{closed}");

    casebook(&db)
        .args(["due", "--explain", "YP-NOBODY"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("casebook: --explain:"));
}
