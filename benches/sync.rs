//! Sync through a folder (issue 15): what a week of one worker's casework costs as a bundle,
//! and what a new device's `sync join` of the whole record costs.
//!
//! The office gets demo casework (`CASEBOOK_BENCH_PEOPLE`, default 100,000, seed 1) and founds
//! the team (the snapshot is written). A laptop joins (timed). On the laptop one key worker
//! then does a week of casework: 5 days of 8 contacts, 2 changes to a young person's details,
//! 1 new young person and 6 case views. The bundle's size and the office's apply time are
//! printed. Run with `cargo bench --bench sync`.
//!
//! Measured here (2 shared cores, release): at 100,000 people the founding export of the
//! snapshot took 54 s (1,443 MB snapshot of a 1,513 MB database), `sync join` 5.6 s, the week
//! (85 writes) made a 32 KB bundle, and the office applied it in 39 ms.

use std::time::Instant;

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::clock::Clock;
use casebook::domain::record::{Contact, Role, YoungPerson};
use casebook::store::sync::{self, SyncReport};
use casebook::store::{people, records, sign_in};
use chrono::{Duration, NaiveDate};
use rusqlite::types::Value;

const PW: &str = "a long enough password";

fn main() -> Result<()> {
    let n: usize = std::env::var("CASEBOOK_BENCH_PEOPLE")
        .ok()
        .map(|v| v.trim().parse().context("CASEBOOK_BENCH_PEOPLE: a number"))
        .transpose()?
        .unwrap_or(100_000);
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let now = clock.now();
    let dir = tempfile::tempdir()?;
    let folder = dir.path().join("team");
    std::fs::create_dir_all(&folder)?;

    let started = Instant::now();
    let office_db = dir.path().join("office.db");
    let mut office = sign_in::create(&office_db, "Olu Office", PW, now)?.unlocked;
    office.add_worker("Kim Keyworker", &[Role::KeyWorker], PW, now)?;
    office
        .store
        .as_demo_loader(|s| generate(s, &DemoOptions { people: n, seed: 1 }, today, now))?;
    println!(
        "sync.setup people={n} demo {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let key = office.data_key().clone();
    let kf = office.key_file().clone();
    sync::sync(&mut office.store, &key, &kf, &folder, Some("office"), now)?;
    let snapshot = std::fs::metadata(folder.join("snapshot.cbsnap"))?.len();
    let database = std::fs::metadata(&office_db)?.len();
    println!(
        "sync.found people={n} {:.2}s snapshot {:.1} MB (database {:.1} MB)",
        started.elapsed().as_secs_f64(),
        snapshot as f64 / 1e6,
        database as f64 / 1e6
    );

    let started = Instant::now();
    let laptop_db = dir.path().join("laptop.db");
    let (mut laptop, _) = sync::join(
        &folder,
        &laptop_db,
        "Kim Keyworker",
        PW,
        Some("laptop"),
        now,
    )?;
    println!(
        "sync.join people={n} {:.2}s",
        started.elapsed().as_secs_f64()
    );

    // A week of one key worker's casework on the laptop.
    let ids: Vec<String> = {
        let c = rusqlite::Connection::open(&laptop_db)?;
        c.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.hex().as_str()))?;
        let mut s = c.prepare("SELECT id FROM young_people ORDER BY id LIMIT 40")?;
        let v = s
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        v
    };
    let kim = laptop.worker.id.clone();
    let mut writes = 0;
    for day in 0..5i64 {
        let at = now + Duration::days(day);
        let on = today + Duration::days(day);
        for i in 0..8 {
            let yp = ids[(day as usize * 8 + i) % ids.len()].clone();
            laptop.store.write(&kim, at, |tx| {
                records::add_contact(
                    tx,
                    &Contact {
                        id: String::new(),
                        young_person_id: yp,
                        episode_id: None,
                        date: on,
                        time: Some("10:30".into()),
                        contact_type: "face_to_face".into(),
                        duration_minutes: Some(45),
                        present: Some("young person".into()),
                        note: Some("Talked through the week; agreed the next steps.".into()),
                        did_not_attend: false,
                        dna_follow_up: None,
                        worker_id: Some(kim.clone()),
                    },
                )
            })?;
            writes += 1;
        }
        for i in 0..2 {
            let yp = ids[(day as usize * 2 + i) % ids.len()].clone();
            let v = Value::Text(format!("SO{}", 14 + i));
            laptop.store.write(&kim, at, |tx| {
                tx.update("young_people", &yp, &[("postcode_district", v)])
            })?;
            writes += 1;
        }
        laptop.store.write(&kim, at, |tx| {
            people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: format!("New{day}"),
                    family_name: "Referral".into(),
                    date_of_birth: NaiveDate::from_ymd_opt(2010, 1, 1),
                    ..Default::default()
                },
            )
        })?;
        writes += 1;
        for i in 0..6 {
            let yp = ids[(day as usize * 6 + i) % ids.len()].clone();
            laptop.store.record_view(&kim, at, "case view", &[&yp])?;
            writes += 1;
        }
    }
    let later = now + Duration::days(6);
    let lkey = laptop.data_key().clone();
    let lkf = laptop.key_file().clone();
    let r = sync::sync(&mut laptop.store, &lkey, &lkf, &folder, None, later)?;
    let name = r.written.context("the week's bundle")?;
    let size = std::fs::metadata(folder.join("bundles").join(&name))?.len();
    println!(
        "sync.week_bundle people={n} writes={writes} {:.1} KB ({} bytes)",
        size as f64 / 1e3,
        size
    );
    let started = Instant::now();
    let mut report = SyncReport::default();
    sync::apply_folder(&mut office.store, &key, &folder, later, &mut report)?;
    anyhow::ensure!(
        report.applied.len() == 1,
        "the office applies the week: {report:?}"
    );
    println!(
        "sync.week_apply people={n} writes={writes} {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
