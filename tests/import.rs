//! The register import through a real SQLite file: counts, re-import, refusals that write
//! nothing, dry runs and the audit trail.

mod common;
use common::*;

use std::path::Path;

use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Episode, Role, YoungPerson};
use casebook::import::{import_register, ImportError, ImportReport};
use casebook::store::{people, records, Store};
use chrono::NaiveDate;

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    actor: String,
    clock: Clock,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let clock = Clock::fixed(d("2025-06-30"));
    let actor = people::ensure_worker(&mut store, "Importer", Role::Manager, clock.now())
        .unwrap()
        .id;
    Fixture {
        _dir: dir,
        path,
        store,
        actor,
        clock,
    }
}

impl Fixture {
    fn import(&mut self, bytes: &[u8], dry_run: bool) -> Result<ImportReport, ImportError> {
        import_register(
            &mut self.store,
            &self.actor,
            &self.clock,
            bytes,
            &CodeLists::embedded(),
            dry_run,
        )
    }

    /// Rows in every table the import writes, audit log included.
    fn counts(&self) -> Vec<(String, i64)> {
        let c = keyed_open(&self.path).unwrap();
        [
            "workers",
            "young_people",
            "young_person_vulnerabilities",
            "episodes",
            "triages",
            "episode_substances",
            "reviews",
            "outcome_profiles",
            "audit_log",
        ]
        .iter()
        .map(|t| {
            let n: i64 = c
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t.to_string(), n)
        })
        .collect()
    }

    fn count(&self, table: &str) -> i64 {
        self.counts()
            .into_iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| n)
            .unwrap()
    }

    fn query<T: rusqlite::types::FromSql>(&self, sql: &str) -> Vec<T> {
        let c = keyed_open(&self.path).unwrap();
        let mut s = c.prepare(sql).unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

/// Young people by given name, read directly (the search box's own parsing is not under test).
fn people_named(f: &Fixture, given: &str) -> Vec<YoungPerson> {
    let ids: Vec<String> = f.query(&format!(
        "SELECT id FROM young_people WHERE given_name = '{given}'"
    ));
    ids.iter()
        .map(|id| people::young_person(&f.store, id).unwrap().unwrap())
        .collect()
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn good_report() -> ImportReport {
    ImportReport {
        dry_run: false,
        rows: 6,
        young_people_created: 3,
        young_people_matched: 0,
        episodes_created: 6,
        episodes_matched: 0,
        workers_created: vec!["Ama Mensah".into(), "Sam Lee".into()],
        triages_added: 3,
        substances_added: 4,
        reviews_added: 2,
        tops_added: 4,
        vulnerabilities_added: 3,
        follow_ups_added: 0,
    }
}

#[test]
fn a_good_register_imports_with_exact_counts() {
    let mut f = fixture();
    let report = f
        .import(&fixture_bytes("register_good.csv"), false)
        .unwrap();
    assert_eq!(report, good_report());
    assert_eq!(f.count("young_people"), 3);
    assert_eq!(f.count("episodes"), 6);
    assert_eq!(f.count("workers"), 3);
    let text = report.to_string();
    assert!(
        text.contains("Young people: 3 created, 0 matched"),
        "{text}"
    );
    assert!(text.contains("Episodes: 6 created, 0 matched"), "{text}");
    assert!(text.contains("Ama Mensah, Sam Lee"), "{text}");
    assert!(!text.contains("Dry run"), "{text}");
}

#[test]
fn the_register_is_read_as_written_unicode_uk_dates_labels_and_codes() {
    let mut f = fixture();
    f.import(&fixture_bytes("register_good.csv"), false)
        .unwrap();

    // Zoë: ref ESAP-001 (any case) and a row without a ref matched by names and DOB.
    let zoe = people::find_young_people(&f.store, "zoe ni bhriain", None, 10).unwrap();
    assert_eq!(zoe.len(), 1);
    let zoe = &zoe[0];
    assert_eq!(
        zoe.given_name, "Zoë",
        "names come from the latest episode's row"
    );
    assert_eq!(zoe.family_name, "Ní Bhriain");
    assert_eq!(zoe.date_of_birth, Some(d("2008-02-28")));
    assert_eq!(zoe.sex.as_deref(), Some("female"));
    assert_eq!(zoe.ethnicity.as_deref(), Some("A"));
    assert_eq!(zoe.postcode_district.as_deref(), Some("SO14"));
    let eps = records::episodes_of(&f.store, &zoe.id).unwrap();
    let dates: Vec<NaiveDate> = eps.iter().map(|e| e.referral_date).collect();
    assert_eq!(
        dates,
        vec![d("2025-02-03"), d("2024-01-08"), d("2023-03-01")]
    );
    let first = &eps[1];
    assert_eq!(first.referral_source.as_deref(), Some("self"));
    assert_eq!(first.triage_date, Some(d("2024-01-09")));
    assert_eq!(
        first.triage_outcome.as_deref(),
        Some("comprehensive_assessment")
    );
    assert_eq!(first.assessment_date, Some(d("2024-01-15")));
    assert_eq!(first.care_plan_date, Some(d("2024-01-29")));
    assert!(first.joint_worked);
    assert_eq!(first.exit_reason.as_deref(), Some("completed_drug_free"));
    let ama = people::worker_by_name(&f.store, "AMA MENSAH")
        .unwrap()
        .unwrap();
    assert_eq!(ama.roles, vec![Role::Duty]);
    assert_eq!(first.key_worker_id.as_deref(), Some(ama.id.as_str()));
    assert_eq!(eps[0].key_worker_id.as_deref(), Some(ama.id.as_str()));
    assert!(!eps[0].joint_worked);

    let tops: Vec<String> = f.query(&format!(
        "SELECT date || ' ' || occasion FROM outcome_profiles WHERE episode_id = '{}' ORDER BY date",
        first.id
    ));
    assert_eq!(
        tops,
        vec!["2024-01-22 start", "2024-04-15 review", "2024-09-02 exit"]
    );
    let reviews: Vec<String> = f.query(&format!(
        "SELECT date FROM reviews WHERE episode_id = '{}' ORDER BY date",
        first.id
    ));
    assert_eq!(reviews, vec!["2024-04-15", "2024-07-08"]);
    let substances: Vec<String> = f.query(&format!(
        "SELECT rank || ' ' || substance || ' ' || coalesce(route, '-') FROM episode_substances
         WHERE episode_id = '{}' ORDER BY rank",
        first.id
    ));
    assert_eq!(substances, vec!["1 cannabis smoking", "2 alcohol -"]);
    let triage: Vec<String> = f.query(&format!(
        "SELECT date || ' ' || outcome || ' ' || injecting FROM triages WHERE episode_id = '{}'",
        first.id
    ));
    assert_eq!(triage, vec!["2024-01-09 comprehensive_assessment never"]);
    let vulns: Vec<String> = f.query(&format!(
        "SELECT code || ' ' || recorded_on FROM young_person_vulnerabilities
         WHERE young_person_id = '{}' ORDER BY code",
        zoe.id
    ));
    assert_eq!(
        vulns,
        vec![
            "looked_after 2024-01-08",
            "neet 2025-02-03",
            "young_carer 2024-01-08"
        ]
    );

    // 李 小龍: CJK names, a label, a lower-case code, a UK date of birth, a new key worker.
    let li = people_named(&f, "小龍");
    assert_eq!(li.len(), 1);
    assert_eq!(li[0].date_of_birth, Some(d("2010-06-15")));
    assert_eq!(li[0].ethnicity.as_deref(), Some("H"));
    let li_ep = &records::episodes_of(&f.store, &li[0].id).unwrap()[0];
    assert_eq!(li_ep.referral_source.as_deref(), Some("school_college"));
    let sam = people::worker_by_name(&f.store, "Sam Lee")
        .unwrap()
        .unwrap();
    assert_eq!(li_ep.key_worker_id.as_deref(), Some(sam.id.as_str()));

    // Seán: two rows without a ref, names in different case, ISO and UK dates of birth.
    let sean = people::find_young_people(&f.store, "sean o'brien", None, 10).unwrap();
    assert_eq!(sean.len(), 1);
    assert_eq!(sean[0].given_name, "Seán", "the latest row's spelling");
    assert_eq!(sean[0].postcode_district.as_deref(), Some("SO16"));
    assert_eq!(
        records::episodes_of(&f.store, &sean[0].id).unwrap().len(),
        2
    );
}

#[test]
fn importing_the_same_register_again_creates_nothing() {
    let mut f = fixture();
    let bytes = fixture_bytes("register_good.csv");
    f.import(&bytes, false).unwrap();
    let before = f.counts();
    let again = f.import(&bytes, false).unwrap();
    assert_eq!(
        again,
        ImportReport {
            rows: 6,
            young_people_matched: 3,
            episodes_matched: 6,
            ..Default::default()
        }
    );
    assert_eq!(f.counts(), before, "nothing written, not even audit rows");
    assert!(again.to_string().contains("Episodes: 0 created, 6 matched"));
}

#[test]
fn a_register_with_new_rows_adds_only_them_to_the_young_people_already_here() {
    let mut f = fixture();
    f.import(&fixture_bytes("register_good.csv"), false)
        .unwrap();
    let grown = b"ref,given_name,family_name,date_of_birth,referral_date,review_dates\n\
        ESAP-002,x,y,,2025-06-02,\n\
        ,Se\xc3\xa1n,O'Brien,2007-11-30,2025-06-03,2025-06-20\n\
        ESAP-001,Zo\xc3\xab,N\xc3\xad Bhriain,2008-02-28,2025-02-03,\n\
        ESAP-003,New,Person,2011-01-01,2025-06-04,\n";
    let report = f.import(grown, false).unwrap();
    assert_eq!(report.young_people_matched, 3);
    assert_eq!(report.young_people_created, 1);
    assert_eq!(report.episodes_created, 3);
    assert_eq!(report.episodes_matched, 1);
    assert_eq!(report.reviews_added, 1);
    let li = people_named(&f, "小龍");
    assert_eq!(
        li[0].given_name, "小龍",
        "a matched young person's details are left as they are"
    );
    assert_eq!(records::episodes_of(&f.store, &li[0].id).unwrap().len(), 2);
}

#[test]
fn a_young_person_recorded_by_hand_is_matched_by_names_and_date_of_birth() {
    let mut f = fixture();
    let actor = f.actor.clone();
    let now = f.clock.now();
    let (yp, _) = f
        .store
        .write(&actor, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoe".into(),
                    family_name: "Ni Bhriain".into(),
                    date_of_birth: Some(d("2008-02-28")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-02-03"),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();
    let report = f
        .import(&fixture_bytes("register_good.csv"), false)
        .unwrap();
    assert_eq!(report.young_people_created, 2);
    assert_eq!(report.young_people_matched, 1);
    assert_eq!(
        report.episodes_matched, 1,
        "the episode recorded by hand on 2025-02-03 is the register's"
    );
    assert_eq!(report.episodes_created, 5);
    assert_eq!(records::episodes_of(&f.store, &yp).unwrap().len(), 3);
    assert_eq!(
        people::find_young_people(&f.store, "bhriain", None, 10)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_dry_run_reports_what_it_would_do_and_writes_nothing() {
    let mut f = fixture();
    let before = f.counts();
    let report = f.import(&fixture_bytes("register_good.csv"), true).unwrap();
    assert_eq!(
        report,
        ImportReport {
            dry_run: true,
            ..good_report()
        }
    );
    assert_eq!(f.counts(), before);
    let text = report.to_string();
    assert!(text.contains("3 would be created"), "{text}");
    assert!(text.contains("Dry run: nothing was written."), "{text}");
    // and the real import afterwards does exactly what the dry run said
    assert_eq!(
        f.import(&fixture_bytes("register_good.csv"), false)
            .unwrap(),
        good_report()
    );
}

#[test]
fn every_imported_record_has_its_audit_row_naming_the_importer() {
    let mut f = fixture();
    f.import(&fixture_bytes("register_good.csv"), false)
        .unwrap();
    let c = keyed_open(&f.path).unwrap();
    for table in [
        "young_people",
        "episodes",
        "triages",
        "episode_substances",
        "reviews",
        "outcome_profiles",
        "young_person_vulnerabilities",
    ] {
        let unaudited: i64 = c
            .query_row(
                &format!(
                    "SELECT count(*) FROM {table} t WHERE NOT EXISTS (
                       SELECT 1 FROM audit_log a WHERE a.table_name = '{table}'
                       AND a.record_id = t.id AND a.action = 'insert' AND a.actor_id = ?1)"
                ),
                [&f.actor],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unaudited, 0, "{table} rows without an insert audit row");
    }
    let keyed: i64 = c
        .query_row(
            "SELECT count(*) FROM audit_log WHERE table_name = 'episodes' AND action = 'update'
             AND actor_id = ?1 AND changes LIKE '%import_key%'",
            [&f.actor],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keyed, 6);
    let workers: i64 = c
        .query_row(
            "SELECT count(*) FROM audit_log WHERE table_name = 'workers' AND actor_id = ?1
             AND record_id <> ?1",
            [&f.actor],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(workers, 2, "the two key workers the import created");
    let keys: Vec<String> = f.query("SELECT import_key FROM episodes");
    assert!(keys.iter().all(|k| k.starts_with("reg1:")));
    assert!(
        keys.iter().all(|k| !k.contains("ESAP")),
        "the register's refs are not stored in the clear"
    );
}

#[test]
fn a_corrupt_register_writes_nothing_and_names_every_bad_cell() {
    let mut f = fixture();
    let before = f.counts();
    let err = f
        .import(&fixture_bytes("register_corrupt.csv"), false)
        .unwrap_err();
    assert_eq!(f.counts(), before);
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let expected = [
        "the file is not UTF-8 — save it from Excel as 'CSV UTF-8",
        "row 1, column favourite_colour: unknown column",
        "row 3, column triage_date: '31/02/2025' is not a date: use YYYY-MM-DD or DD/MM/YYYY",
        "row 4, column ethnicity: unknown ethnic category 'Q9': expected a code or label from ethnicity (e.g. A, B, C",
        "row 5, column triage_date: 2025-01-02 is before the referral_date 2025-01-06",
        "row 6: has 10 cells but the header has 15",
        "row 7, column family_name: this cell is not UTF-8 text",
        "row 8, column referral_date: missing",
        "row 9, column exit_reason: given without an exit_date",
        "row 10, column exit_date: 2024-12-01 is before the referral_date 2025-01-06",
    ];
    for want in expected {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{text}"
        );
    }
    assert_eq!(
        err.problems().len(),
        expected.len(),
        "one problem each, no more:\n{text}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("10 problems found: nothing was imported. Correct the register and import it again.")
    );
    assert!(!format!("{err:?}").contains("Lee"), "Debug quotes no cell");
}

#[test]
fn order_violations_are_named_at_the_later_event() {
    let mut f = fixture();
    let csv = "ref,given_name,family_name,date_of_birth,referral_date,triage_date,triage_outcome,assessment_date,treatment_start,review_dates,top_dates,exit_date,exit_reason,injecting,route,secondary_substance\n\
        A,Amy,Lee,2026-01-01,2025-02-03,2025-02-05,brief_intervention,2025-02-04,,,,,,,,\n\
        B,Bo,Lee,2009-01-01,2025-02-03,2025-02-05,,,2025-03-01,2025-05-01,2025-06-01,2025-04-01,self_exit,never,smoking,alcohol\n\
        C,Cy,Lee,2009-01-01,2025-02-03,,,2025-02-01,,2025-02-01,,,,,,\n";
    let before = f.counts();
    let err = f.import(csv.as_bytes(), false).unwrap_err();
    assert_eq!(f.counts(), before);
    let text = err.to_string();
    for want in [
        "row 2, column date_of_birth: 2026-01-01 is in the future (today is 2025-06-30)",
        "row 2, column assessment_date: 2025-02-04 is before the triage_date 2025-02-05",
        "row 3, column injecting: injecting is recorded at triage",
        "row 3, column route: the route is the primary substance's",
        "row 3, column secondary_substance: given without a primary_substance",
        "row 3, column review_dates: 2025-05-01 is after the exit_date 2025-04-01",
        "row 3, column top_dates: 2025-06-01 is more than 14 days after the exit_date 2025-04-01",
        "row 4, column assessment_date: 2025-02-01 is before the referral_date 2025-02-03",
        "row 4, column review_dates: 2025-02-01 is before the referral_date 2025-02-03",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{text}"
        );
    }
    assert_eq!(err.problems().len(), 9, "{text}");
}

#[test]
fn header_problems_are_reported_on_row_one() {
    let mut f = fixture();
    let err = f
        .import(
            b"ref,given_name,Given Name,family_name,referal_date,date_of_birth\n",
            false,
        )
        .unwrap_err();
    let text = err.to_string();
    for want in [
        "row 1, column Given Name: appears twice in the header (columns 2 and 3)",
        "row 1, column referal_date: unknown column: did you mean referral_date?",
        "row 1, column referral_date: missing from the header",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{text}"
        );
    }
}

#[test]
fn files_that_are_not_utf8_csv_get_told_how_to_save_them() {
    let mut f = fixture();
    let before = f.counts();
    // Excel's "Unicode Text" is UTF-16 with a byte-order mark.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("ref\tgiven_name".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let err = f.import(&utf16, false).unwrap_err();
    assert!(err.to_string().starts_with("the file is UTF-16"), "{err}");
    // Some locales save CSV with semicolons.
    let err = f
        .import(
            b"ref;given_name;family_name;date_of_birth;referral_date\nR1;Amy;Lee;2009-01-01;2025-01-06\n",
            false,
        )
        .unwrap_err();
    assert!(
        err.to_string().starts_with("row 1: the header is one cell"),
        "{err}"
    );
    let err = f.import(b"", false).unwrap_err();
    assert!(err.to_string().starts_with("the file is empty"), "{err}");
    assert_eq!(f.counts(), before);
}

#[test]
fn a_row_that_could_be_either_of_two_young_people_is_refused() {
    let mut f = fixture();
    let csv = "ref,given_name,family_name,date_of_birth,referral_date\n\
        R1,Amy,Lee,2009-01-01,2025-01-06\n\
        R2,Amy,Lee,2009-01-01,2025-02-06\n\
        ,Amy,Lee,2009-01-01,2025-03-06\n\
        R1,Amy,Lee,2009-01-02,2025-04-06\n\
        R2,Amy,Lee,2009-01-01,2025-02-06\n";
    let err = f.import(csv.as_bytes(), false).unwrap_err();
    let text = err.to_string();
    for want in [
        "row 4, column ref: missing, and the names and date of birth match rows with different refs (rows 2, 3)",
        "row 5, column date_of_birth: differs from row 2",
        "row 6, column referral_date: the same young person has another episode referred on this date (row 3)",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{text}"
        );
    }
    assert_eq!(f.count("young_people"), 0);
}

#[test]
fn two_young_people_recorded_with_the_same_names_and_birthday_need_a_reference() {
    let mut f = fixture();
    let actor = f.actor.clone();
    let now = f.clock.now();
    let refs = f
        .store
        .write(&actor, now, |tx| {
            let mut refs = Vec::new();
            for _ in 0..2 {
                let (_, r) = people::create_young_person(
                    tx,
                    &YoungPerson {
                        given_name: "Amy".into(),
                        family_name: "Lee".into(),
                        date_of_birth: Some(d("2009-01-01")),
                        ..Default::default()
                    },
                )?;
                refs.push(r);
            }
            Ok(refs)
        })
        .unwrap();
    let before = f.counts();
    let err = f
        .import(
            b"given_name,family_name,date_of_birth,referral_date\nAmy,Lee,2009-01-01,2025-01-06\n",
            false,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("row 2, column ref: 2 young people already recorded have these names"),
        "{err}"
    );
    assert_eq!(f.counts(), before);
    // Their casebook reference as the ref says which one.
    let csv = format!(
        "ref,given_name,family_name,date_of_birth,referral_date\n{},Amy,Lee,2009-01-01,2025-01-06\n",
        refs[1].to_lowercase()
    );
    let report = f.import(csv.as_bytes(), false).unwrap();
    assert_eq!(report.young_people_matched, 1);
    let second = people::young_person_by_reference(&f.store, &refs[1])
        .unwrap()
        .unwrap();
    assert_eq!(records::episodes_of(&f.store, &second.id).unwrap().len(), 1);
}

#[test]
fn huge_cells_are_quoted_short() {
    let mut f = fixture();
    let csv = format!(
        "given_name,family_name,date_of_birth,referral_date\nAmy,Lee,{},2025-01-06\n",
        "9".repeat(5000)
    );
    let err = f.import(csv.as_bytes(), false).unwrap_err();
    assert!(err.to_string().lines().all(|l| l.len() < 200), "{err}");
}

#[test]
fn a_large_register_imports_in_one_go() {
    // Not timed: checks the set-based path holds together at volume.
    let mut f = fixture();
    let mut csv = String::from("ref,given_name,family_name,date_of_birth,referral_date,triage_date,triage_outcome,review_dates,top_dates,key_worker\n");
    for i in 0..2000 {
        csv.push_str(&format!(
            "R{i},Given{i},Family,2009-01-01,2025-01-06,2025-01-07,brief_intervention,2025-03-01,2025-03-01,Worker {}\n",
            i % 7
        ));
        csv.push_str(&format!(
            "R{i},Given{i},Family,2009-01-01,2025-05-06,,,,,\n"
        ));
    }
    let report = f.import(csv.as_bytes(), false).unwrap();
    assert_eq!(report.young_people_created, 2000);
    assert_eq!(report.episodes_created, 4000);
    assert_eq!(report.workers_created.len(), 7);
    assert_eq!(f.count("episodes"), 4000);
    let again = f.import(csv.as_bytes(), false).unwrap();
    assert_eq!(again.episodes_matched, 4000);
    assert_eq!(f.count("episodes"), 4000);
}

#[test]
fn an_episode_marked_in_error_is_not_brought_back_by_a_reimport() {
    let mut f = fixture();
    let bytes = fixture_bytes("register_good.csv");
    f.import(&bytes, false).unwrap();
    let li = people_named(&f, "小龍");
    let ep = records::episodes_of(&f.store, &li[0].id).unwrap()[0]
        .id
        .clone();
    let actor = f.actor.clone();
    f.store
        .write(&actor, f.clock.now(), |tx| {
            tx.mark_in_error("episodes", &ep, "not our young person")
        })
        .unwrap();
    let again = f.import(&bytes, false).unwrap();
    assert_eq!(again.episodes_matched, 6);
    assert_eq!(again.episodes_created, 0);
    assert!(records::episodes_of(&f.store, &li[0].id)
        .unwrap()
        .is_empty());
}

#[test]
fn an_importer_the_database_does_not_know_writes_nothing() {
    let mut f = fixture();
    let before = f.counts();
    let err = import_register(
        &mut f.store,
        "no-such-worker",
        &f.clock,
        &fixture_bytes("register_good.csv"),
        &CodeLists::embedded(),
        false,
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Failed(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("the importing worker is not recorded"),
        "{err}"
    );
    assert_eq!(f.counts(), before);
}
