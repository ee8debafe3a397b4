//! The store through a real SQLite file: migrations, audit rows, transactions, refusals.

mod common;
use common::*;

use casebook::domain::clock::Clock;
use casebook::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Role, YoungPerson};
use casebook::store::{people, records, Store};
use rusqlite::Connection;

fn audit_rows(path: &std::path::Path) -> Vec<(String, String, String, String)> {
    let c = keyed_open(path).unwrap();
    let mut s = c
        .prepare(
            "SELECT actor_id, table_name, action, changes, row_hash IS NOT NULL
             FROM audit_log ORDER BY seq",
        )
        .unwrap();
    s.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Vec<u8>>(3)?))
    })
    .unwrap()
    .map(Result::unwrap)
    // The changed columns are stored compactly; read them as JSON.
    .map(|(a, t, x, c)| (a, t, x, casebook::store::audit::changes_json(&c).unwrap()))
    .collect()
}

#[test]
fn every_write_leaves_its_audit_row_naming_the_actor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let now = Clock::fixed(d("2025-06-02")).now();
    let worker = people::ensure_worker(&mut store, "Ama Mensah", Role::Duty, now).unwrap();

    let (yp_id, ep_id) = store
        .write(&worker.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoë".into(),
                    family_name: "Ní Bhriain".into(),
                    date_of_birth: Some(d("2009-02-28")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-05-30"),
                    referral_source: Some("self".into()),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();

    let mut ep = records::episode(&store, &ep_id).unwrap().unwrap();
    ep.triage_date = Some(d("2025-06-02"));
    store
        .write(&worker.id, now, |tx| records::update_episode(tx, &ep))
        .unwrap();

    let rows = audit_rows(&path);
    // worker, young person, episode, then the update
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r.0 == worker.id));
    assert_eq!(rows[1].1, "young_people");
    // An insert refers to its row by the hash of its content; it does not copy the name.
    assert!(!rows[1].3.contains("Zoë"), "{}", rows[1].3);
    let insert_hash: Option<Vec<u8>> = keyed_open(&path)
        .unwrap()
        .query_row(
            "SELECT row_hash FROM audit_log WHERE table_name = 'young_people' AND action = 'insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(insert_hash.map(|h| h.len()), Some(32));
    assert_eq!(rows[3].2, "update");
    assert_eq!(rows[3].3, r#"{"triage_date":[null,"2025-06-02"]}"#);

    // An update that changes nothing writes no audit row.
    store
        .write(&worker.id, now, |tx| records::update_episode(tx, &ep))
        .unwrap();
    assert_eq!(audit_rows(&path).len(), 4);

    // Entered in error: marked, audited, kept.
    store
        .write(&worker.id, now, |tx| {
            tx.mark_in_error("young_people", &yp_id, "duplicate registration")
        })
        .unwrap();
    let rows = audit_rows(&path);
    assert_eq!(rows.last().unwrap().2, "in_error");
    assert!(people::young_person(&store, &yp_id).unwrap().is_some());
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-06-02")).now();
    let w = people::ensure_worker(&mut store, "Sam", Role::Outreach, now).unwrap();
    let before = records::record_counts(&store).unwrap();
    let result: anyhow::Result<()> = store.write(&w.id, now, |tx| {
        let (yp, _) = people::create_young_person(
            tx,
            &YoungPerson {
                given_name: "Kai".into(),
                family_name: "Lee".into(),
                ..Default::default()
            },
        )?;
        records::add_contact(
            tx,
            &Contact {
                young_person_id: yp,
                date: d("2025-06-02"),
                contact_type: "telephone".into(),
                ..Default::default()
            },
        )?;
        anyhow::bail!("the worker cancelled")
    });
    assert!(result.is_err());
    assert_eq!(records::record_counts(&store).unwrap(), before);
}

#[test]
fn a_flag_keeps_its_whole_history() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-06-02")).now();
    let w = people::ensure_worker(&mut store, "Sam", Role::Duty, now).unwrap();
    let flag_id = store
        .write(&w.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Kai".into(),
                    family_name: "Lee".into(),
                    ..Default::default()
                },
            )?;
            let id = records::raise_flag(
                tx,
                &RiskFlag {
                    id: String::new(),
                    young_person_id: yp,
                    episode_id: None,
                    flag_type: "self_harm".into(),
                    level: RiskLevel::Medium,
                    raised_by: w.id.clone(),
                    raised_on: d("2025-06-02"),
                    action: "Safety plan; check in weekly".into(),
                    review_date: Some(d("2025-06-16")),
                    closed_on: None,
                    closed_by: None,
                    close_reason: None,
                },
            )?;
            records::review_flag(tx, &id, d("2025-06-16"), "Engaging", Some(d("2025-07-14")))?;
            records::change_flag_level(tx, &id, d("2025-06-20"), RiskLevel::High, "Disclosure")?;
            records::resolve_flag(tx, &id, d("2025-08-01"), "Risk reduced; CAMHS involved")?;
            Ok(id)
        })
        .unwrap();
    let kinds: Vec<String> = records::flag_history(&store, &flag_id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["raised", "reviewed", "level_changed", "resolved"]);
}

fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "Dear diary, this is not a database.\n".repeat(200)).unwrap();
    let before = bytes(&path);
    let err = Store::open(&path, &test_key()).unwrap_err().to_string();
    assert!(err.contains("not a casebook database"), "{err}");
    assert_eq!(bytes(&path), before);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no -wal or -shm left"
    );
}

#[test]
fn another_programs_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let before = bytes(&path);
    let err = Store::open(&path, &test_key()).unwrap_err().to_string();
    assert!(err.contains("not a casebook one"), "{err}");
    assert_eq!(bytes(&path), before);
}

#[test]
fn a_database_from_a_newer_casebook_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(Store::open(&path, &test_key()).unwrap());
    {
        let c = keyed_open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999;")
            .unwrap();
    }
    let before = bytes(&path);
    let err = Store::open(&path, &test_key()).unwrap_err().to_string();
    assert!(err.contains("newer casebook"), "{err}");
    assert_eq!(bytes(&path), before);
}

#[test]
fn reopening_keeps_the_record_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("case.db");
    let now = Clock::fixed(d("2025-06-02")).now();
    {
        let mut s = Store::open(&path, &test_key()).unwrap();
        people::ensure_worker(&mut s, "Ama", Role::Manager, now).unwrap();
    }
    let s = Store::open(&path, &test_key()).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        casebook::store::latest_schema_version()
    );
    assert_eq!(people::workers(&s).unwrap().len(), 1);
}

#[test]
fn finding_a_young_person_by_folded_name_dob_or_reference() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-06-02")).now();
    let w = people::ensure_worker(&mut store, "Sam", Role::Duty, now).unwrap();
    let (_, reference) = store
        .write(&w.id, now, |tx| {
            people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoë".into(),
                    family_name: "O'Brien".into(),
                    date_of_birth: Some(d("2008-02-29")),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let by_name = people::find_young_people(&store, "zoe obr", None, 10).unwrap();
    assert!(by_name.is_empty(), "apostrophe is part of the name");
    let by_name = people::find_young_people(&store, "zoe o'b", None, 10).unwrap();
    assert_eq!(by_name.len(), 1);
    let by_dob = people::find_young_people(&store, "", Some(d("2008-02-29")), 10).unwrap();
    assert_eq!(by_dob.len(), 1);
    let by_ref = people::find_young_people(&store, &reference.to_lowercase(), None, 10).unwrap();
    assert_eq!(by_ref.len(), 1);
    assert!(people::find_young_people(&store, "%", None, 10)
        .unwrap()
        .is_empty());
}
