//! A service-sized register (100,000 rows), for measuring by hand:
//! `cargo test --release --test import_volume -- --ignored --nocapture`. Not timed.

mod common;
use common::*;

use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::Role;
use casebook::import::import_register;
use casebook::store::{people, Store};
use chrono::NaiveDate;

#[test]
#[ignore = "volume run, by hand"]
fn a_hundred_thousand_row_register_imports_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("case.db"), &test_key()).unwrap();
    let clock = Clock::fixed(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
    let actor = people::ensure_worker(&mut store, "Importer", Role::Manager, clock.now())
        .unwrap()
        .id;
    let mut csv = String::from(
        "ref,given_name,family_name,date_of_birth,sex,referral_date,triage_date,triage_outcome,\
         primary_substance,route,review_dates,top_dates,key_worker,vulnerabilities,exit_date,exit_reason\n",
    );
    for i in 0..50_000 {
        csv.push_str(&format!(
            "R{i},Given{i},Family{},2009-01-01,female,2024-01-08,2024-01-09,brief_intervention,\
             cannabis,smoking,2024-04-01;2024-06-24,2024-01-15;2024-04-01,Worker {},looked_after,\
             2024-09-01,self_exit\n",
            i % 97,
            i % 40
        ));
        csv.push_str(&format!(
            "R{i},Given{i},Family{},2009-01-01,female,2025-02-03,,,,,,,,,,\n",
            i % 97
        ));
    }
    let codes = CodeLists::embedded();
    let started = std::time::Instant::now();
    let report =
        import_register(&mut store, &actor, &clock, csv.as_bytes(), &codes, false).unwrap();
    println!("{report}in {:?}", started.elapsed());
    assert_eq!(report.episodes_created, 100_000);
    let started = std::time::Instant::now();
    let again = import_register(&mut store, &actor, &clock, csv.as_bytes(), &codes, false).unwrap();
    println!("{again}in {:?}", started.elapsed());
    assert_eq!(again.episodes_matched, 100_000);
}
