//! Offline teams (issue 15): devices share one record through a folder. Real encrypted files in
//! temporary folders, the store's own API, and the binary for the kill -9 test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use casebook::domain::record::{Contact, Role, YoungPerson};
use casebook::store::sign_in::{self, Unlocked};
use casebook::store::sync::{self, SyncReport};
use casebook::store::{people, records};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::types::Value;

const ADMIN: &str = "Olu Office";
const PW: &str = "a long enough password";
const KIM: &str = "Kim Keyworker";
const OMAR: &str = "Omar Outreach";

fn cheap_kdf() {
    // The cheap test-only key cost: honoured by debug builds only.
    std::env::set_var("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1");
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).unwrap()
}

struct Device {
    db: PathBuf,
    folder: PathBuf,
    u: Unlocked,
}

impl Device {
    fn sync(&mut self, now: DateTime<Utc>) -> SyncReport {
        let key = self.u.data_key().clone();
        let kf = self.u.key_file().clone();
        sync::sync(&mut self.u.store, &key, &kf, &self.folder, None, now).unwrap()
    }

    fn try_sync(&mut self, now: DateTime<Utc>) -> anyhow::Result<SyncReport> {
        let key = self.u.data_key().clone();
        let kf = self.u.key_file().clone();
        sync::sync(&mut self.u.store, &key, &kf, &self.folder, None, now)
    }

    fn try_sync_in(&mut self, folder: &Path) -> anyhow::Result<SyncReport> {
        let key = self.u.data_key().clone();
        let kf = self.u.key_file().clone();
        sync::sync(&mut self.u.store, &key, &kf, folder, None, t0())
    }

    fn actor(&self) -> String {
        self.u.worker.id.clone()
    }

    fn as_worker(&mut self, name: &str) {
        let w = people::worker_by_name(&self.u.store, name)
            .unwrap()
            .unwrap();
        self.u.store.sign_in(w.clone());
        self.u.worker = w;
    }

    fn register(
        &mut self,
        given: &str,
        family: &str,
        dob: NaiveDate,
        now: DateTime<Utc>,
    ) -> String {
        let actor = self.actor();
        self.u
            .store
            .write(&actor, now, |tx| {
                let p = YoungPerson {
                    given_name: given.into(),
                    family_name: family.into(),
                    date_of_birth: Some(dob),
                    ..Default::default()
                };
                Ok(people::create_young_person(tx, &p)?.0)
            })
            .unwrap()
    }

    fn contact(&mut self, yp: &str, on: NaiveDate, now: DateTime<Utc>) -> String {
        let actor = self.actor();
        self.u
            .store
            .write(&actor, now, |tx| {
                records::add_contact(
                    tx,
                    &Contact {
                        id: String::new(),
                        young_person_id: yp.into(),
                        episode_id: None,
                        date: on,
                        time: None,
                        contact_type: "face_to_face".into(),
                        duration_minutes: Some(30),
                        present: None,
                        note: Some("synthetic".into()),
                        did_not_attend: false,
                        dna_follow_up: None,
                        worker_id: Some(actor.clone()),
                    },
                )
            })
            .unwrap()
    }

    fn set(&mut self, table: &str, id: &str, column: &str, value: Value, now: DateTime<Utc>) {
        let actor = self.actor();
        self.u
            .store
            .write(&actor, now, |tx| tx.update(table, id, &[(column, value)]))
            .unwrap();
    }

    fn mark_in_error(&mut self, table: &'static str, id: &str, reason: &str, now: DateTime<Utc>) {
        let actor = self.actor();
        self.u
            .store
            .write(&actor, now, |tx| tx.mark_in_error(table, id, reason))
            .unwrap();
    }

    fn raw(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        c.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\";",
            self.u.data_key().hex().as_str()
        ))
        .unwrap();
        c
    }

    fn get(&self, table: &str, id: &str, column: &str) -> Value {
        self.raw()
            .query_row(
                &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Every captured table, row by row, plus every device's audit chain.
    fn tables(&self) -> BTreeMap<String, Vec<Vec<Value>>> {
        let c = self.raw();
        let names: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                 AND name NOT IN ('audit_log', 'audit_device', 'form_drafts', 'sync_local',
                   'sync_devices', 'sync_local_changes', 'sync_bundles_out', 'sync_applied',
                   'sync_refused', 'sync_field_versions', 'sync_attest')",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = BTreeMap::new();
        for n in names {
            let mut s = c.prepare(&format!("SELECT * FROM {n}")).unwrap();
            let k = s.column_count();
            let rows = s
                .query_map([], |r| (0..k).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<Vec<Value>>>();
            // Devices insert in different orders; a table's content is the same set of rows.
            let mut rows = rows;
            rows.sort_by_key(|r| format!("{r:?}"));
            out.insert(n, rows);
        }
        let mut s = c
            .prepare(
                "SELECT d.device_id, a.device_seq, a.at, a.actor_id, a.action, a.table_name,
                        a.record_id, a.changes, a.hash
                 FROM audit_log a JOIN audit_device d ON d.n = a.device
                 ORDER BY d.device_id, a.device_seq",
            )
            .unwrap();
        let rows = s
            .query_map([], |r| (0..9).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert("(audit chains)".into(), rows);
        out
    }
}

/// The office database, with a key worker and an outreach worker, founded as a team in its
/// folder.
fn office(dir: &Path) -> Device {
    cheap_kdf();
    let db = dir.join("office.db");
    let folder = dir.join("office-folder");
    std::fs::create_dir_all(&folder).unwrap();
    let mut u = sign_in::create(&db, ADMIN, PW, t0()).unwrap().unlocked;
    u.add_worker(KIM, &[Role::KeyWorker], PW, t0()).unwrap();
    u.add_worker(OMAR, &[Role::Outreach], PW, t0()).unwrap();
    let mut d = Device { db, folder, u };
    let r = d.sync(t0());
    assert!(r.founded);
    // A backup of the office as it stands now (the restored-backup test uses it).
    let backup = dir.join("office-backup");
    std::fs::create_dir_all(&backup).unwrap();
    d.raw()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    std::fs::copy(&d.db, backup.join("office.db")).unwrap();
    std::fs::copy(d.db.with_extension("keys"), backup.join("office.keys")).unwrap();
    copy_dir(&d.folder, &backup.join("office-folder"));
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A laptop joining from `folder` (its own copy of the team's folder when `own` is set).
fn laptop(dir: &Path, name: &str, team_folder: &Path, own: bool, worker: &str) -> Device {
    let db = dir.join(format!("{name}.db"));
    let folder = if own {
        let f = dir.join(format!("{name}-folder"));
        copy_dir(team_folder, &f);
        f
    } else {
        team_folder.to_path_buf()
    };
    let (u, _) = sync::join(&folder, &db, worker, PW, Some(name), t0()).unwrap();
    Device { db, folder, u }
}

fn dob() -> NaiveDate {
    NaiveDate::from_ymd_opt(2009, 3, 14).unwrap()
}

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 2).unwrap() + Duration::days(n)
}

#[test]
fn a_new_laptop_joins_from_the_folder_and_changes_travel_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let yp = office.register("Test", "Person", dob(), t0());
    // A wrong password joins nothing and leaves no file behind.
    let db = tmp.path().join("laptop.db");
    let err = sync::join(&office.folder, &db, KIM, "not the password", None, t0()).unwrap_err();
    assert!(err.to_string().contains("wrong password"), "{err}");
    assert!(!db.exists() && !db.with_extension("keys").exists());
    let err = sync::join(&tmp.path().join("nowhere"), &db, KIM, PW, None, t0()).unwrap_err();
    assert!(err.to_string().contains("is not there"), "{err}");
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    // The laptop starts from the snapshot; the registration made after it arrives as a bundle.
    assert!(
        laptop.tables()["young_people"].is_empty()
            || laptop.get("young_people", &yp, "id") != Value::Null
    );
    office.sync(t0());
    laptop.sync(t0());
    assert_eq!(
        laptop.get("young_people", &yp, "given_name"),
        Value::Text("Test".into())
    );
    let c = laptop.contact(&yp, day(1), t0() + Duration::hours(1));
    let st = sync::status(&laptop.u.store).unwrap();
    assert_eq!(st.waiting_changes, 1);
    let r = laptop.sync(t0() + Duration::hours(2));
    assert!(r.written.is_some());
    let st = sync::status(&laptop.u.store).unwrap();
    assert_eq!(st.waiting_changes, 0);
    assert_eq!(st.last_sync_at, Some(t0() + Duration::hours(2)));
    let r = office.sync(t0() + Duration::hours(3));
    assert_eq!(r.applied.len(), 1, "{r:?}");
    assert_eq!(
        office.get("contacts", &c, "young_person_id"),
        Value::Text(yp.clone())
    );
    assert_eq!(office.tables(), laptop.tables());
    // Each device keeps its own audit chain, and both verify everywhere.
    for d in [&office, &laptop] {
        let report = d.u.store.verify_audit(false).unwrap();
        assert_eq!(report.first_break, None);
    }
}

#[test]
fn running_sync_again_with_nothing_new_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let yp = laptop.register("Again", "Twice", dob(), t0());
    laptop.sync(t0());
    office.sync(t0());
    assert_eq!(
        office.get("young_people", &yp, "family_name"),
        Value::Text("Twice".into())
    );
    let before = (office.tables(), laptop.tables());
    let files = std::fs::read_dir(office.folder.join("bundles"))
        .unwrap()
        .count();
    for d in [&mut office, &mut laptop] {
        let r = d.sync(t0() + Duration::hours(1));
        assert_eq!(r.written, None);
        assert!(r.applied.is_empty());
    }
    assert_eq!(before, (office.tables(), laptop.tables()));
    assert_eq!(
        files,
        std::fs::read_dir(office.folder.join("bundles"))
            .unwrap()
            .count()
    );
}

#[test]
fn two_devices_changing_one_field_queue_a_conflict_and_a_choice_settles_it_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let yp = office.register("Same", "Field", dob(), t0());
    office.sync(t0());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    // Both change the postcode district while apart; the laptop also changes the gender.
    office.set(
        "young_people",
        &yp,
        "postcode_district",
        Value::Text("SO14".into()),
        t0() + Duration::hours(1),
    );
    laptop.set(
        "young_people",
        &yp,
        "postcode_district",
        Value::Text("SO15".into()),
        t0() + Duration::hours(2),
    );
    laptop.set(
        "young_people",
        &yp,
        "gender",
        Value::Text("girl".into()),
        t0() + Duration::hours(2),
    );
    office.sync(t0() + Duration::hours(3));
    laptop.sync(t0() + Duration::hours(3));
    office.sync(t0() + Duration::hours(3));
    // Neither value overwrote the other; the field that did not clash travelled.
    assert_eq!(
        office.get("young_people", &yp, "postcode_district"),
        Value::Text("SO14".into())
    );
    assert_eq!(
        laptop.get("young_people", &yp, "postcode_district"),
        Value::Text("SO15".into())
    );
    assert_eq!(
        office.get("young_people", &yp, "gender"),
        Value::Text("girl".into())
    );
    for d in [&office, &laptop] {
        let q = sync::conflicts(&d.u.store).unwrap();
        assert_eq!(q.len(), 1, "{q:?}");
        let c = &q[0];
        assert_eq!(
            (c.table.as_str(), c.record_id.as_str(), c.column.as_str()),
            ("young_people", yp.as_str(), "postcode_district")
        );
        let values: BTreeSet<String> = c.values.iter().map(|v| format!("{:?}", v.value)).collect();
        assert_eq!(
            values,
            BTreeSet::from(["Text(\"SO14\")".to_string(), "Text(\"SO15\")".to_string()])
        );
        let who: BTreeSet<Option<String>> = c.values.iter().map(|v| v.actor_name.clone()).collect();
        assert_eq!(
            who,
            BTreeSet::from([Some(ADMIN.to_string()), Some(KIM.to_string())])
        );
        let devices: BTreeSet<Option<String>> =
            c.values.iter().map(|v| v.device_name.clone()).collect();
        assert!(devices.contains(&Some("laptop".to_string())), "{devices:?}");
        assert_eq!(sync::status(&d.u.store).unwrap().open_conflicts, 1);
    }
    // An outreach worker may not choose; the key worker on the laptop chooses the office's value.
    let q = sync::conflicts(&laptop.u.store).unwrap();
    laptop.as_worker(OMAR);
    let omar = laptop.actor();
    let refused = sync::choose(
        &mut laptop.u.store,
        &omar,
        t0() + Duration::hours(4),
        &q[0],
        &Value::Text("SO14".into()),
    );
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("only a key worker or manager may choose"));
    laptop.as_worker(KIM);
    let kim = laptop.actor();
    sync::choose(
        &mut laptop.u.store,
        &kim,
        t0() + Duration::hours(4),
        &q[0],
        &Value::Text("SO14".into()),
    )
    .unwrap();
    laptop.sync(t0() + Duration::hours(5));
    office.sync(t0() + Duration::hours(5));
    laptop.sync(t0() + Duration::hours(5));
    for d in [&office, &laptop] {
        assert_eq!(
            d.get("young_people", &yp, "postcode_district"),
            Value::Text("SO14".into())
        );
        assert!(sync::conflicts(&d.u.store).unwrap().is_empty());
    }
    assert_eq!(office.tables(), laptop.tables());
}

#[test]
fn two_devices_registering_the_same_young_person_make_a_possible_duplicate_and_in_error_marks_agree(
) {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let a = office.register("Jo", "Double", dob(), t0());
    let b = laptop.register("Jo", "Double", dob(), t0());
    let c1 = office.contact(&a, day(0), t0());
    office.sync(t0());
    laptop.sync(t0());
    // Both mark the same contact entered in error, for different reasons.
    laptop.mark_in_error(
        "contacts",
        &c1,
        "wrong young person",
        t0() + Duration::hours(1),
    );
    office.mark_in_error("contacts", &c1, "typed twice", t0() + Duration::hours(2));
    office.sync(t0() + Duration::hours(3));
    laptop.sync(t0() + Duration::hours(3));
    office.sync(t0() + Duration::hours(3));
    for d in [&office, &laptop] {
        let pair = sync::possible_duplicates(&d.u.store).unwrap();
        let mut want = [a.clone(), b.clone()];
        want.sort();
        assert_eq!(pair, vec![(want[0].clone(), want[1].clone())]);
        // The earlier mark stands on both; the contact is kept.
        assert_eq!(
            d.get("contacts", &c1, "in_error_reason"),
            Value::Text("wrong young person".into())
        );
    }
    assert_eq!(office.tables(), laptop.tables());
}

#[test]
fn a_change_whose_actor_no_longer_holds_the_role_is_refused_on_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let yp = office.register("Role", "Check", dob(), t0());
    office.sync(t0());
    laptop.sync(t0());
    // The office takes casework away from Kim (made an administrator only); the laptop, not
    // yet told, still lets Kim record a contact.
    office
        .u
        .set_roles(KIM, &[Role::Administrator], t0() + Duration::hours(1))
        .unwrap();
    let c = laptop.contact(&yp, day(1), t0() + Duration::hours(2));
    office.sync(t0() + Duration::hours(3));
    laptop.sync(t0() + Duration::hours(3));
    let r = office.sync(t0() + Duration::hours(4));
    assert_eq!(r.refused_changes.len(), 1, "{r:?}");
    assert!(r.refused_changes[0].contains("record casework"), "{r:?}");
    assert_eq!(sync::status(&office.u.store).unwrap().refused_changes, 1);
    let n: i64 = office
        .raw()
        .query_row("SELECT count(*) FROM contacts WHERE id = ?1", [&c], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0);
    // The audit chain of the laptop still arrived whole.
    assert_eq!(
        office.u.store.verify_audit(false).unwrap().first_break,
        None
    );
}

/// Copies every bundle file due by `round` into its device's folder.
struct Network {
    /// (due round, target device, source file, name in the target)
    queue: Vec<(usize, usize, PathBuf, String)>,
    seen: BTreeSet<(usize, String)>,
}

impl Network {
    /// Schedules the bundles device `from` has written since last asked.
    fn post(
        &mut self,
        devices: &[Device],
        from: usize,
        round: usize,
        rng: &mut ChaCha8Rng,
        max_delay: usize,
    ) {
        let dir = devices[from].folder.join("bundles");
        let own = sync::status(&devices[from].u.store).unwrap().device_id;
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(&own))
            .collect();
        names.sort();
        for n in names {
            if !self.seen.insert((from, n.clone())) {
                continue;
            }
            for to in 0..devices.len() {
                if to == from {
                    continue;
                }
                let delay = rng.random_range(0..=max_delay);
                self.queue
                    .push((round.saturating_add(delay), to, dir.join(&n), n.clone()));
                if rng.random_bool(0.2) {
                    // A file-sync engine's duplicate copy, arriving later under another name.
                    let later = round.saturating_add(rng.random_range(0..=max_delay + 1));
                    self.queue
                        .push((later, to, dir.join(&n), format!("copy-{later}-{n}")));
                }
            }
        }
    }

    fn deliver(&mut self, devices: &[Device], round: usize) {
        let (due, later): (Vec<_>, Vec<_>) = self.queue.drain(..).partition(|q| q.0 <= round);
        self.queue = later;
        for (_, to, src, name) in due {
            let dest = devices[to].folder.join("bundles").join(name);
            if !dest.exists() {
                std::fs::copy(src, dest).unwrap();
            }
        }
    }
}

fn ids(d: &Device, sql: &str) -> Vec<String> {
    d.raw()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every (table, id, column) whose value differs between two devices.
fn differing_fields(devices: &[Device]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let tables = devices[0].tables();
    let c = devices[0].raw();
    for (table, rows0) in &tables {
        if table.starts_with('(') {
            continue;
        }
        let cols: Vec<String> = c
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for d in &devices[1..] {
            let other = &d.tables()[table];
            let by_id: BTreeMap<String, &Vec<Value>> =
                other.iter().map(|r| (format!("{:?}", r[0]), r)).collect();
            for r in rows0 {
                if let Some(o) = by_id.get(&format!("{:?}", r[0])) {
                    for (i, col) in cols.iter().enumerate() {
                        if r[i] != o[i] {
                            let Value::Text(id) = &r[0] else { continue };
                            out.insert((table.clone(), id.clone(), col.clone()));
                        }
                    }
                }
            }
        }
    }
    out
}

fn settle(
    devices: &mut [Device],
    net: &mut Network,
    rng: &mut ChaCha8Rng,
    round: usize,
    now: DateTime<Utc>,
) {
    for _ in 0..4 {
        for i in 0..devices.len() {
            let r = devices[i].sync(now);
            assert!(r.refused.is_empty(), "{r:?}");
            net.post(devices, i, round, rng, 0);
        }
        net.deliver(devices, round);
    }
}

#[test]
fn three_devices_editing_apart_over_many_rounds_converge_and_lose_no_contact() {
    let tmp = tempfile::tempdir().unwrap();
    let office = office(tmp.path());
    let team = office.folder.clone();
    let a = laptop(tmp.path(), "laptop-a", &team, true, KIM);
    let b = laptop(tmp.path(), "laptop-b", &team, true, OMAR);
    let mut devices = vec![office, a, b];
    // Another seed can be tried with SYNC_SIM_SEED=N.
    let seed = std::env::var("SYNC_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = Network {
        queue: Vec::new(),
        seen: BTreeSet::new(),
    };
    let mut contacts_made = BTreeSet::new();
    let given = ["Ada", "Ben", "Cleo", "Dev"];
    let family = ["Synth", "Demo"];
    const ROUNDS: usize = 12;
    for round in 0..ROUNDS {
        let now = t0() + Duration::hours(round as i64);
        for device in devices.iter_mut() {
            for _ in 0..rng.random_range(2..=5) {
                let people = ids(device, "SELECT id FROM young_people ORDER BY id");
                let op = rng.random_range(0..12);
                if op < 2 || people.is_empty() {
                    let g = given[rng.random_range(0..given.len())];
                    let f = family[rng.random_range(0..family.len())];
                    device.register(g, f, dob(), now);
                } else if op < 6 {
                    let yp = &people[rng.random_range(0..people.len())];
                    let c = device.contact(yp, day(round as i64), now);
                    contacts_made.insert(c);
                } else if op < 11 {
                    // Most edits fall on the first few young people, so devices collide.
                    let yp = &people[rng.random_range(0..people.len().min(3))];
                    let (col, pool) = if rng.random_bool(0.5) {
                        ("postcode_district", ["SO14", "SO15", "SO16"])
                    } else {
                        ("gender", ["boy", "girl", "non-binary"])
                    };
                    let v = pool[rng.random_range(0..3)];
                    device.set("young_people", yp, col, Value::Text(v.into()), now);
                } else {
                    let open = ids(
                        device,
                        "SELECT id FROM contacts WHERE in_error_at IS NULL ORDER BY id",
                    );
                    if !open.is_empty() {
                        let c = open[rng.random_range(0..open.len())].clone();
                        device.mark_in_error("contacts", &c, "entered twice", now);
                    }
                }
            }
        }
        net.deliver(&devices, round);
        let mut order: Vec<usize> = (0..devices.len()).collect();
        order.sort_by_key(|_| rng.random::<u32>());
        for i in order {
            let r = devices[i].sync(now);
            assert!(r.refused.is_empty(), "{r:?}");
            net.post(&devices, i, round, &mut rng, 3);
        }
    }
    // The last round: everything arrives.
    let end = t0() + Duration::hours(ROUNDS as i64 + 1);
    net.deliver(&devices, usize::MAX);
    settle(&mut devices, &mut net, &mut rng, usize::MAX, end);
    // Every field on which the devices differ is in the queue, the same queue everywhere.
    let queue = |d: &Device| -> BTreeSet<(String, String, String)> {
        sync::conflicts(&d.u.store)
            .unwrap()
            .into_iter()
            .map(|c| (c.table, c.record_id, c.column))
            .collect()
    };
    let q0 = queue(&devices[0]);
    assert!(!q0.is_empty(), "the simulation made no same-field conflict");
    for d in &devices[1..] {
        assert_eq!(queue(d), q0);
    }
    let differing = differing_fields(&devices);
    assert!(
        differing.is_subset(&q0),
        "not queued: {:?}",
        differing.difference(&q0).collect::<Vec<_>>()
    );
    // A manager at the office chooses; the choices travel.
    for _ in 0..3 {
        let open = sync::conflicts(&devices[0].u.store).unwrap();
        if open.is_empty() {
            break;
        }
        let actor = devices[0].actor();
        for c in &open {
            let v = c.values[0].value.clone();
            sync::choose(&mut devices[0].u.store, &actor, end, c, &v).unwrap();
        }
        settle(&mut devices, &mut net, &mut rng, usize::MAX, end);
    }
    let t = devices[0].tables();
    for d in &devices[1..] {
        assert!(sync::conflicts(&d.u.store).unwrap().is_empty());
        let other = d.tables();
        for (name, rows) in &t {
            assert_eq!(rows, &other[name], "table {name} differs");
        }
    }
    for d in &devices {
        let have: BTreeSet<String> = ids(d, "SELECT id FROM contacts").into_iter().collect();
        assert!(contacts_made.is_subset(&have), "a contact was lost");
        let report = d.u.store.verify_audit(true).unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.record_mismatches, vec![]);
    }
    assert!(!sync::possible_duplicates(&devices[0].u.store)
        .unwrap()
        .is_empty());
}

fn bundles(folder: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(folder.join("bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cbsync"))
        .collect();
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_str().unwrap().to_string()
}

/// The office and a laptop on their own folders; the office has one new bundle, which is
/// copied to the laptop by the test (or not).
fn pair(dir: &Path) -> (Device, Device, String, PathBuf) {
    let mut office = office(dir);
    let team = office.folder.clone();
    let laptop = laptop(dir, "laptop", &team, true, KIM);
    let yp = office.register("Fault", "Case", dob(), t0());
    let r = office.sync(t0());
    let name = r.written.unwrap();
    let path = office.folder.join("bundles").join(name);
    (office, laptop, yp, path)
}

fn has_person(d: &Device, yp: &str) -> bool {
    d.raw()
        .query_row(
            "SELECT count(*) FROM young_people WHERE id = ?1",
            [yp],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

#[test]
fn a_truncated_bundle_is_refused_by_name_and_applied_once_it_arrives_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (_office, mut laptop, yp, path) = pair(tmp.path());
    let bytes = std::fs::read(&path).unwrap();
    let dest = laptop.folder.join("bundles").join(file_name(&path));
    std::fs::write(&dest, &bytes[..bytes.len() / 2]).unwrap();
    let before = laptop.tables();
    let report = laptop.sync(t0());
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].file, file_name(&path));
    assert!(report.refused[0].reason.contains("truncated"), "{report:?}");
    assert_eq!(before, laptop.tables(), "nothing of it was applied");
    std::fs::write(&dest, &bytes).unwrap();
    let r = laptop.sync(t0());
    assert_eq!(r.applied, vec![file_name(&path)]);
    assert!(has_person(&laptop, &yp));
}

#[test]
fn a_bundle_from_another_team_is_refused_by_name_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (_office, mut laptop, _yp, _path) = pair(tmp.path());
    let other_dir = tmp.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let mut other = office(&other_dir);
    other.register("Other", "Team", dob(), t0());
    let name = other.sync(t0()).written.unwrap();
    std::fs::copy(
        other.folder.join("bundles").join(&name),
        laptop.folder.join("bundles").join(&name),
    )
    .unwrap();
    let before = laptop.tables();
    let key = laptop.u.data_key().clone();
    let mut report = SyncReport::default();
    sync::apply_folder(
        &mut laptop.u.store,
        &key,
        &laptop.folder.clone(),
        t0(),
        &mut report,
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].file, name);
    assert!(
        report.refused[0].reason.contains("another team"),
        "{report:?}"
    );
    assert_eq!(before, laptop.tables());
    // A team folder is never mistaken for another's.
    let err = other.try_sync_in(&laptop.folder).unwrap_err();
    assert!(err.to_string().contains("another team"), "{err}");
}

#[test]
fn a_replayed_bundle_changes_nothing_and_a_rewritten_old_sequence_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (office, mut laptop, yp, path) = pair(tmp.path());
    std::fs::copy(&path, laptop.folder.join("bundles").join(file_name(&path))).unwrap();
    laptop.sync(t0());
    assert!(has_person(&laptop, &yp));
    let after_first = laptop.tables();
    // The same bundle again, under its own name and as a file-sync engine's copy.
    std::fs::copy(&path, laptop.folder.join("bundles").join("copy (1).cbsync")).unwrap();
    let r = laptop.sync(t0() + Duration::hours(1));
    assert!(r.applied.is_empty());
    assert_eq!(r.already_applied, 2);
    assert_eq!(after_first, laptop.tables());
    // The office is restored from a backup taken before its bundle and writes a different
    // bundle 1: the laptop, which applied the first, refuses it by name.
    drop(office);
    let backup = tmp.path().join("restored");
    std::fs::create_dir_all(&backup).unwrap();
    let mut other = laptop_from_backup(tmp.path(), &backup);
    other.register("Second", "Version", dob(), t0());
    let name = other.sync(t0()).written.unwrap();
    assert_eq!(
        name,
        file_name(&path),
        "the restored office reuses its sequence number"
    );
    let forged = other.folder.join("bundles").join(&name);
    std::fs::copy(
        &forged,
        laptop.folder.join("bundles").join("restored.cbsync"),
    )
    .unwrap();
    let key = laptop.u.data_key().clone();
    let mut report = SyncReport::default();
    sync::apply_folder(
        &mut laptop.u.store,
        &key,
        &laptop.folder.clone(),
        t0(),
        &mut report,
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(
        report.refused[0]
            .reason
            .contains("already applied here with other content"),
        "{report:?}"
    );
    assert_eq!(after_first, laptop.tables());
}

/// The office as it was before its first bundle: a copy of its files made right after it
/// founded the team (kept by `office_with_backup`).
fn laptop_from_backup(dir: &Path, into: &Path) -> Device {
    let src = dir.join("office-backup");
    copy_dir(&src, into);
    let db = into.join("office.db");
    let u = sign_in::sign_in(&db, ADMIN, PW, t0()).unwrap();
    let folder = into.join("office-folder");
    Device { db, folder, u }
}

#[test]
fn a_folder_that_vanishes_mid_sync_leaves_nothing_half_done_and_the_next_sync_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let yp = office.register("Gone", "Folder", dob(), t0());
    let key = office.u.data_key().clone();
    let folder = office.folder.clone();
    let (written, _) = sync::write_bundle(&mut office.u.store, &key, &folder, t0()).unwrap();
    assert!(written.is_some());
    // The stick is pulled: the folder is gone before the apply half of the sync.
    let aside = tmp.path().join("aside");
    std::fs::rename(&folder, &aside).unwrap();
    let mut report = SyncReport::default();
    let err =
        sync::apply_folder(&mut office.u.store, &key, &folder, t0(), &mut report).unwrap_err();
    assert!(err.to_string().contains("is not there"), "{err}");
    let err = laptop.try_sync(t0()).unwrap_err();
    assert!(err.to_string().contains("is not there"), "{err}");
    // It comes back without the bundle written into it (the sync engine had not copied it).
    std::fs::rename(&aside, &folder).unwrap();
    for p in bundles(&folder) {
        std::fs::remove_file(p).unwrap();
    }
    assert_eq!(sync::status(&office.u.store).unwrap().waiting_changes, 0);
    let r = office.sync(t0() + Duration::hours(1));
    assert_eq!(
        r.rewritten, 1,
        "the lost bundle is written again, byte for byte"
    );
    laptop.sync(t0() + Duration::hours(1));
    assert!(has_person(&laptop, &yp));
}

#[test]
fn kill_9_during_an_apply_leaves_nothing_half_applied_and_the_next_sync_applies_it() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(office.register(&format!("Kill{i}"), "Nine", dob(), t0()));
    }
    office.sync(t0());
    let laptop_db = laptop.db.clone();
    let folder = laptop.folder.clone();
    drop(laptop);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--db")
        .arg(&laptop_db)
        .args(["--as-of", "2025-06-03", "sync", "--folder"])
        .arg(&folder)
        .env("CASEBOOK_USER", KIM)
        .env("CASEBOOK_PASSWORD", PW)
        .env("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1")
        .env("CASEBOOK_TEST_ONLY_SYNC_PAUSE_MS", "20000")
        .env("CASEBOOK_CONFIG", tmp.path().join("config"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("applying"), "{line}");
    // The bundle's rows are written inside the open transaction; the process dies now.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut laptop = Device {
        u: sign_in::sign_in(&laptop_db, KIM, PW, t0()).unwrap(),
        db: laptop_db,
        folder,
    };
    assert!(
        people.iter().all(|p| !has_person(&laptop, p)),
        "nothing half applied"
    );
    assert_eq!(
        laptop.u.store.integrity_check().unwrap(),
        vec!["ok".to_string()]
    );
    let r = laptop.sync(t0() + Duration::hours(1));
    assert_eq!(r.applied.len(), 1);
    assert!(people.iter().all(|p| has_person(&laptop, p)));
    assert_eq!(
        laptop.u.store.verify_audit(false).unwrap().first_break,
        None
    );
}

#[test]
fn audit_verify_names_the_device_whose_chain_an_edit_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let yp = laptop.register("Chain", "Named", dob(), t0());
    laptop.contact(&yp, day(0), t0());
    laptop.sync(t0());
    office.sync(t0());
    let laptop_id = sync::status(&laptop.u.store).unwrap().device_id;
    office
        .raw()
        .execute(
            "UPDATE audit_log SET actor_id = 'someone else'
             WHERE device = (SELECT n FROM audit_device WHERE device_id = ?1) AND device_seq = 2",
            [&laptop_id],
        )
        .unwrap();
    let b = office
        .u
        .store
        .verify_audit(false)
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!((b.device.as_str(), b.device_seq), (laptop_id.as_str(), 2));
}

fn casebook(db: &Path, user: &str) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("casebook").unwrap();
    c.arg("--db")
        .arg(db)
        .env("CASEBOOK_USER", user)
        .env("CASEBOOK_PASSWORD", PW)
        .env("CASEBOOK_NEW_PASSWORD", PW)
        .env("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1")
        .env("CASEBOOK_CONFIG", db.with_extension("config"))
        .args(["--as-of", "2025-06-02"]);
    c
}

#[test]
fn the_command_line_founds_joins_syncs_and_reports_status() {
    use predicates::prelude::*;
    use predicates::str::contains;
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office.db");
    let laptop = tmp.path().join("laptop.db");
    let folder = tmp.path().join("team");
    casebook(&office, ADMIN).arg("init").assert().success();
    casebook(&office, ADMIN)
        .args(["worker", "add", KIM, "--roles", "key_worker"])
        .assert()
        .success();
    casebook(&office, ADMIN)
        .args(["sync", "--folder"])
        .arg(&folder)
        .assert()
        .failure()
        .stderr(contains("is not there"));
    std::fs::create_dir_all(&folder).unwrap();
    casebook(&office, ADMIN)
        .args(["sync", "--device-name", "Office desktop", "--folder"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(contains("founded the team"))
        .stdout(contains("Office desktop"));
    casebook(&office, ADMIN)
        .args(["demo", "--people", "10"])
        .assert()
        .success();
    casebook(&office, ADMIN)
        .args(["sync", "status"])
        .assert()
        .success()
        .stdout(contains("last sync       never").not())
        .stdout(contains("waiting         10 local change(s)"));
    casebook(&office, ADMIN)
        .args(["sync", "--folder"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(contains("wrote bundle"));
    casebook(&laptop, KIM)
        .args(["sync", "join", "--device-name", "Kim's laptop", "--folder"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(contains("applied 1 bundle(s)"));
    // A database of another team, or a second join over an existing file, is refused.
    casebook(&laptop, KIM)
        .args(["sync", "join", "--folder"])
        .arg(&folder)
        .assert()
        .failure()
        .stderr(contains("already exists"));
    casebook(&laptop, KIM)
        .args(["sync", "--folder"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(contains("no new changes to send"))
        .stdout(contains("applied 0 bundle(s)"));
    let count = |db: &Path| {
        let out = casebook(db, if db == office { ADMIN } else { KIM })
            .arg("check")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        text.lines()
            .filter(|l| {
                l.trim_start().starts_with("young_people") || l.trim_start().starts_with("contacts")
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(count(&office), count(&laptop));
    casebook(&laptop, KIM)
        .args(["sync", "conflicts"])
        .assert()
        .success()
        .stdout(contains("no conflicts wait"));
}

#[test]
fn a_bundle_that_deletes_a_record_is_refused_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    let yp = office.register("Never", "Deleted", dob(), t0());
    let c = office.contact(&yp, day(0), t0());
    office.sync(t0());
    laptop.sync(t0());
    // Something writes a deletion behind the store's back on the laptop (not how casebook
    // removes anything: it marks a record entered in error).
    let actor = laptop.actor();
    laptop
        .u
        .store
        .write(&actor, t0(), |tx| {
            tx.conn()
                .execute("DELETE FROM contacts WHERE id = ?1", [&c])?;
            Ok(())
        })
        .unwrap();
    laptop.sync(t0());
    let r = office.sync(t0() + Duration::hours(1));
    assert_eq!(r.refused.len(), 1, "{r:?}");
    assert!(r.refused[0].reason.contains("never deletes"), "{r:?}");
    assert_eq!(office.get("contacts", &c, "id"), Value::Text(c.clone()));
}

#[test]
fn a_bundle_whose_predecessor_has_not_arrived_waits_and_both_apply_in_order_once_it_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, mut laptop, first_yp, first) = pair(tmp.path());
    office.set(
        "young_people",
        &first_yp,
        "gender",
        Value::Text("girl".into()),
        t0(),
    );
    let second = office
        .folder
        .join("bundles")
        .join(office.sync(t0()).written.unwrap());
    let bundles_dir = laptop.folder.join("bundles");
    std::fs::copy(&second, bundles_dir.join(file_name(&second))).unwrap();
    let r = laptop.sync(t0());
    assert!(r.applied.is_empty());
    assert_eq!(r.waiting.len(), 1, "{r:?}");
    assert!(
        r.waiting[0].reason.contains("waits for bundle 1 of device"),
        "{r:?}"
    );
    assert!(!has_person(&laptop, &first_yp));
    std::fs::copy(&first, bundles_dir.join(file_name(&first))).unwrap();
    let r = laptop.sync(t0());
    assert_eq!(r.applied, vec![file_name(&first), file_name(&second)]);
    assert_eq!(
        laptop.get("young_people", &first_yp, "gender"),
        Value::Text("girl".into())
    );
}

#[test]
fn a_bundle_signed_with_another_key_than_its_device_first_used_is_refused() {
    use casebook::store::sync::bundle;
    let tmp = tempfile::tempdir().unwrap();
    let (office, mut laptop, yp, first) = pair(tmp.path());
    std::fs::copy(
        &first,
        laptop.folder.join("bundles").join(file_name(&first)),
    )
    .unwrap();
    laptop.sync(t0());
    // Someone holding the team's key makes bundle 2 in the office's name with their own key.
    let real = std::fs::read(&first).unwrap();
    let mut header = bundle::peek(&real).unwrap();
    let impostor = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    header.public_key = hex::encode(impostor.verifying_key().to_bytes());
    header.bundle_seq = 2;
    header.first_change = 100;
    header.last_change = 99;
    let forged = bundle::seal(&header, &[], office.u.data_key(), &impostor).unwrap();
    std::fs::write(laptop.folder.join("bundles").join("forged.cbsync"), forged).unwrap();
    let r = laptop.sync(t0());
    assert_eq!(r.refused.len(), 1, "{r:?}");
    assert!(
        r.refused[0]
            .reason
            .contains("a key other than the one device"),
        "{r:?}"
    );
    assert!(has_person(&laptop, &yp));
}

#[test]
fn a_worker_added_after_the_team_began_signs_in_on_another_device_after_a_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    office
        .u
        .add_worker("Nia New", &[Role::KeyWorker], PW, t0())
        .unwrap();
    office.sync(t0());
    assert_eq!(
        sync::share_key_slots(&mut office.u, &office.folder.clone()).unwrap(),
        (1, 0)
    );
    let refused = sign_in::sign_in(&laptop.db, "Nia New", PW, t0()).unwrap_err();
    assert!(refused.to_string().contains("no worker named"), "{refused}");
    laptop.sync(t0());
    assert_eq!(
        sync::share_key_slots(&mut laptop.u, &laptop.folder.clone()).unwrap(),
        (0, 1)
    );
    let nia = sign_in::sign_in(&laptop.db, "Nia New", PW, t0()).unwrap();
    assert_eq!(nia.worker.name, "Nia New");
}

#[test]
fn the_conflicts_screen_lists_both_values_and_a_choice_there_settles_the_field() {
    use casebook::tui::{App, Theme, TuiContext};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let yp = office.register("Same", "Field", dob(), t0());
    office.sync(t0());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    for (d, v, h) in [(&mut office, "SO14", 1), (&mut laptop, "SO15", 2)] {
        d.set(
            "young_people",
            &yp,
            "postcode_district",
            Value::Text(v.into()),
            t0() + Duration::hours(h),
        );
    }
    laptop.sync(t0() + Duration::hours(3));
    office.sync(t0() + Duration::hours(3));

    let Device { u, db, .. } = office;
    let worker = u.worker.clone();
    let clock = casebook::domain::clock::Clock::fixed(NaiveDate::from_ymd_opt(2025, 6, 2).unwrap());
    let mut app = App::new(
        u.store,
        TuiContext {
            clock,
            worker,
            config_dir: None,
            db_path: Some(db),
        },
    )
    .unwrap()
    .with_theme(Theme::plain());
    let mut t = ratatui::Terminal::new(TestBackend::new(100, 24)).unwrap();
    let key = |c| Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.run_loop(&mut t, vec![key(KeyCode::Char('C'))]).unwrap();
    let text = format!("{}", t.backend());
    assert!(text.contains("Sync conflicts (1)"), "{text}");
    assert!(
        text.contains("postcode_district") && text.contains("SO14"),
        "{text}"
    );
    assert!(text.contains("“SO15” by Kim Keyworker on laptop"), "{text}");

    // The header line, then the office's value, then the laptop's: choose the laptop's.
    app.run_loop(
        &mut t,
        vec![key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)],
    )
    .unwrap();
    assert!(
        app.status().unwrap().text.contains("set to “SO15”"),
        "{:?}",
        app.status()
    );
    assert!(sync::conflicts(app.store()).unwrap().is_empty());
    assert!(format!("{}", t.backend()).contains("No conflicts wait"));
}

// ---- possible duplicates: merge, keep apart, decisions made apart; the snapshot refresh ----

impl Device {
    fn episode(&mut self, yp: &str, on: NaiveDate, now: DateTime<Utc>) -> String {
        let actor = self.actor();
        self.u
            .store
            .write(&actor, now, |tx| {
                records::create_episode(
                    tx,
                    &casebook::domain::record::Episode {
                        young_person_id: yp.into(),
                        referral_date: on,
                        key_worker_id: Some(actor.clone()),
                        ..Default::default()
                    },
                )
            })
            .unwrap()
    }

    fn count(&self, sql: &str, arg: &str) -> i64 {
        self.raw().query_row(sql, [arg], |r| r.get(0)).unwrap()
    }

    fn reference(&self, yp: &str) -> String {
        match self.get("young_people", yp, "reference") {
            Value::Text(t) => t,
            other => panic!("no reference: {other:?}"),
        }
    }
}

/// The office and a laptop that each registered Jo Double (with an episode and a contact),
/// synced until both hold both records and the possible duplicate.
fn registered_twice(dir: &Path) -> (Device, Device, String, String, Vec<String>) {
    let mut office = office(dir);
    let mut laptop = laptop(dir, "laptop", &office.folder.clone(), false, KIM);
    office.as_worker(KIM);
    let a = office.register("Jo", "Double", dob(), t0());
    let b = laptop.register("Jo", "Double", dob(), t0());
    office.episode(&a, day(0), t0());
    laptop.episode(&b, day(0), t0());
    let contacts = vec![
        office.contact(&a, day(0), t0()),
        laptop.contact(&b, day(0), t0()),
    ];
    office.sync(t0());
    laptop.sync(t0());
    office.sync(t0());
    for d in [&office, &laptop] {
        assert_eq!(sync::possible_duplicates(&d.u.store).unwrap().len(), 1);
    }
    (office, laptop, a, b, contacts)
}

fn converged(devices: &[&Device]) {
    let t = devices[0].tables();
    for d in &devices[1..] {
        let other = d.tables();
        for (name, rows) in &t {
            assert_eq!(rows, &other[name], "table {name} differs");
        }
    }
    for d in devices {
        let report = d.u.store.verify_audit(true).unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.record_mismatches, vec![]);
    }
}

#[test]
fn a_merge_on_one_device_leaves_every_device_one_young_person_with_both_episodes() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, mut laptop, a, b, contacts) = registered_twice(tmp.path());
    let item = &sync::open_duplicates(&office.u.store).unwrap()[0];
    let sides = [&item.a, &item.b];
    assert!(sides
        .iter()
        .all(|s| s.name() == "Jo Double" && s.episodes == 1));
    let devices: BTreeSet<_> = sides
        .iter()
        .map(|s| s.registered_on.clone().unwrap())
        .collect();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.contains("laptop"), "{devices:?}");

    // The laptop's record knows the postcode district; the office's does not.
    laptop.set(
        "young_people",
        &b,
        "postcode_district",
        Value::Text("SO15".into()),
        t0(),
    );
    office.set(
        "young_people",
        &a,
        "gender",
        Value::Text("girl".into()),
        t0(),
    );
    office.set(
        "young_people",
        &b,
        "gender",
        Value::Text("boy".into()),
        t0(),
    );
    laptop.sync(t0());
    office.sync(t0());
    let actor = office.actor();
    let moved = sync::merge(
        &mut office.u.store,
        &actor,
        t0() + Duration::hours(1),
        &a,
        &b,
    )
    .unwrap();
    assert_eq!(moved, 2, "the laptop's episode and contact");
    office.sync(t0() + Duration::hours(2));
    laptop.sync(t0() + Duration::hours(2));
    let a_ref = office.reference(&a);
    for d in [&office, &laptop] {
        let store = &d.u.store;
        assert!(sync::possible_duplicates(store).unwrap().is_empty());
        assert_eq!(sync::status(store).unwrap().possible_duplicates, 0);
        // One Jo Double in the caseload and in a search, with both episodes and contacts.
        let rows: Vec<_> = casebook::store::caseload::caseload(store)
            .unwrap()
            .into_iter()
            .filter(|r| r.family_name == "Double")
            .map(|r| r.young_person_id)
            .collect();
        assert_eq!(rows, vec![a.clone()]);
        assert!(people::young_person_by_reference(store, &d.reference(&b))
            .unwrap()
            .is_none());
        assert_eq!(
            d.count(
                "SELECT count(*) FROM episodes WHERE young_person_id = ?1",
                &a
            ),
            2
        );
        for c in &contacts {
            assert_eq!(
                d.get("contacts", c, "young_person_id"),
                Value::Text(a.clone())
            );
        }
        // The kept record takes the details it lacked, and keeps its own.
        assert_eq!(
            d.get("young_people", &a, "postcode_district"),
            Value::Text("SO15".into())
        );
        assert_eq!(
            d.get("young_people", &a, "gender"),
            Value::Text("girl".into())
        );
        // The merged record is kept, entered in error, and names the record kept.
        assert_eq!(
            d.get("young_people", &b, "merged_into"),
            Value::Text(a.clone())
        );
        assert_eq!(
            d.get("young_people", &b, "in_error_reason"),
            Value::Text(format!(
                "merged into {a_ref}: the same young person registered twice"
            ))
        );
        // The kept record's history names the decision, its maker, and the merged record.
        let history = casebook::store::audit::history_of_young_person(store, &a).unwrap();
        let decision = history
            .iter()
            .find(|e| e.table == "sync_duplicate_decisions")
            .expect("the decision is in the kept record's history");
        assert_eq!(decision.actor, KIM);
        assert_eq!(
            decision.what.as_deref(),
            Some(
                format!(
                    "the same person: {a_ref} kept, {} merged into it",
                    d.reference(&b)
                )
                .as_str()
            )
        );
        assert!(history
            .iter()
            .any(|e| e.action == "in_error" && e.table == "young_people"));
    }
    converged(&[&office, &laptop]);
    // Decided once: a second decision on the same pair is refused, naming both references.
    let actor = laptop.actor();
    let again = sync::dismiss(&mut laptop.u.store, &actor, t0(), &a, &b).unwrap_err();
    assert!(
        format!("{again:#}").contains("not a possible duplicate waiting"),
        "{again:#}"
    );
}

#[test]
fn keeping_a_possible_duplicate_apart_keeps_both_and_the_item_leaves_every_device() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, mut laptop, a, b, _) = registered_twice(tmp.path());
    let actor = laptop.actor();
    sync::dismiss(
        &mut laptop.u.store,
        &actor,
        t0() + Duration::hours(1),
        &b,
        &a,
    )
    .unwrap();
    laptop.sync(t0() + Duration::hours(2));
    office.sync(t0() + Duration::hours(2));
    for d in [&office, &laptop] {
        assert!(sync::possible_duplicates(&d.u.store).unwrap().is_empty());
        for yp in [&a, &b] {
            assert_eq!(d.get("young_people", yp, "in_error_at"), Value::Null);
            assert_eq!(d.get("young_people", yp, "merged_into"), Value::Null);
            assert_eq!(
                d.count(
                    "SELECT count(*) FROM episodes WHERE young_person_id = ?1",
                    yp
                ),
                1
            );
            let history = casebook::store::audit::history_of_young_person(&d.u.store, yp).unwrap();
            assert!(
                history.iter().any(|e| e.table == "sync_duplicate_decisions"
                    && e.what
                        .as_deref()
                        .is_some_and(|w| w.starts_with("not the same person"))),
                "{history:?}"
            );
        }
        let decisions = sync::duplicate_decisions(&d.u.store).unwrap();
        assert_eq!(decisions.len(), 1);
        assert!(decisions[0].stands);
        assert_eq!(decisions[0].decided_by, KIM);
    }
    converged(&[&office, &laptop]);
}

#[test]
fn two_devices_deciding_one_duplicate_apart_converge_on_the_same_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, mut laptop, a, b, contacts) = registered_twice(tmp.path());
    // A second pair: Sam Twice, also registered on both.
    let c = office.register("Sam", "Twice", dob(), t0());
    let d2 = laptop.register("Sam", "Twice", dob(), t0());
    office.sync(t0());
    laptop.sync(t0());
    office.sync(t0());
    assert_eq!(sync::possible_duplicates(&office.u.store).unwrap().len(), 2);
    // Apart: the office merges Jo's laptop record into its own, and keeps the Sams apart; an
    // hour later the laptop merges the other way round, and merges the Sams.
    let (oa, la) = (office.actor(), laptop.actor());
    let t1 = t0() + Duration::hours(1);
    let t2 = t0() + Duration::hours(2);
    sync::merge(&mut office.u.store, &oa, t1, &a, &b).unwrap();
    sync::dismiss(&mut office.u.store, &oa, t1, &c, &d2).unwrap();
    sync::merge(&mut laptop.u.store, &la, t2, &b, &a).unwrap();
    sync::merge(&mut laptop.u.store, &la, t2, &d2, &c).unwrap();
    // The laptop records a contact for its kept Jo before it hears of the office's merge.
    let late = laptop.contact(&b, day(1), t2);
    for i in 0..4 {
        let d = if i % 2 == 0 { &mut laptop } else { &mut office };
        let r = d.sync(t0() + Duration::hours(3));
        assert!(
            r.refused.is_empty() && r.refused_changes.is_empty(),
            "{r:?}"
        );
    }
    for d in [&office, &laptop] {
        // The earlier merge stands: Jo is the office's record, with everything.
        assert_eq!(d.get("young_people", &a, "merged_into"), Value::Null);
        assert_eq!(d.get("young_people", &a, "in_error_at"), Value::Null);
        assert_eq!(
            d.get("young_people", &b, "merged_into"),
            Value::Text(a.clone())
        );
        assert_eq!(
            d.count(
                "SELECT count(*) FROM episodes WHERE young_person_id = ?1",
                &a
            ),
            2
        );
        for c in contacts.iter().chain([&late]) {
            assert_eq!(
                d.get("contacts", c, "young_person_id"),
                Value::Text(a.clone())
            );
        }
        // A merge stands over keeping apart: the Sams are one, the laptop's record kept.
        assert_eq!(
            d.get("young_people", &c, "merged_into"),
            Value::Text(d2.clone())
        );
        assert_eq!(d.get("young_people", &d2, "in_error_at"), Value::Null);
        assert!(sync::possible_duplicates(&d.u.store).unwrap().is_empty());
        // Every decision is kept; the two overruled ones say so, the same on both devices.
        let decisions = sync::duplicate_decisions(&d.u.store).unwrap();
        assert_eq!(decisions.len(), 4);
        let overruled: BTreeSet<(String, Option<String>)> = decisions
            .iter()
            .filter(|x| !x.stands)
            .map(|x| (x.decision.clone(), x.kept_reference.clone()))
            .collect();
        assert_eq!(
            overruled,
            BTreeSet::from([
                ("merge".to_string(), Some(office.reference(&b))),
                ("not_duplicate".to_string(), None),
            ])
        );
    }
    converged(&[&office, &laptop]);
}

#[test]
fn a_merge_by_a_worker_without_the_role_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, _laptop, a, b, _) = registered_twice(tmp.path());
    office.as_worker(OMAR);
    let actor = office.actor();
    let before = office.tables();
    let e = sync::merge(&mut office.u.store, &actor, t0(), &a, &b).unwrap_err();
    assert_eq!(
        e.to_string(),
        "only a key worker or manager may merge or keep apart two young people registered \
         twice; Omar Outreach is signed in as outreach worker"
    );
    assert!(sync::dismiss(&mut office.u.store, &actor, t0(), &a, &b).is_err());
    assert_eq!(office.tables(), before);
    assert_eq!(sync::possible_duplicates(&office.u.store).unwrap().len(), 1);
}

#[test]
fn the_duplicates_screen_shows_both_records_and_merges_after_a_confirmation() {
    use casebook::tui::{App, Theme, TuiContext};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    let tmp = tempfile::tempdir().unwrap();
    let (office, _laptop, a, b, _) = registered_twice(tmp.path());
    let (a_ref, b_ref) = (office.reference(&a), office.reference(&b));
    let Device { u, db, .. } = office;
    let worker = u.worker.clone();
    let clock = casebook::domain::clock::Clock::fixed(NaiveDate::from_ymd_opt(2025, 6, 2).unwrap());
    let mut app = App::new(
        u.store,
        TuiContext {
            clock,
            worker,
            config_dir: None,
            db_path: Some(db),
        },
    )
    .unwrap()
    .with_theme(Theme::plain());
    assert!(
        app.sync_line().unwrap().contains("1 possible duplicate"),
        "{:?}",
        app.sync_line()
    );
    let mut t = ratatui::Terminal::new(TestBackend::new(100, 24)).unwrap();
    let key = |c| Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.run_loop(&mut t, vec![key(KeyCode::Char('P'))]).unwrap();
    let text = format!("{}", t.backend());
    assert!(text.contains("Possible duplicates (1)"), "{text}");
    // Both records side by side: reference, name, date of birth, episodes, key worker, device.
    let (first, second) = if a < b {
        (&a_ref, &b_ref)
    } else {
        (&b_ref, &a_ref)
    };
    for r in [first, second] {
        assert!(
            text.contains(&format!(
                "{r}  Jo Double  born 14/03/2009  1 ep  kw Kim Keyworker"
            )),
            "{text}"
        );
    }
    assert!(text.contains("on laptop"), "{text}");
    // The second record selected, `m`: the screen asks, naming the record kept; Esc cancels.
    app.run_loop(&mut t, vec![key(KeyCode::Down), key(KeyCode::Char('m'))])
        .unwrap();
    let text = format!("{}", t.backend());
    assert!(
        text.contains(&format!(
            "Keep {second} and merge {first} into it? y merges"
        )),
        "{text}"
    );
    app.run_loop(&mut t, vec![key(KeyCode::Esc)]).unwrap();
    assert!(app.status().unwrap().text.contains("Not merged"));
    assert_eq!(sync::possible_duplicates(app.store()).unwrap().len(), 1);
    app.run_loop(
        &mut t,
        vec![key(KeyCode::Char('m')), key(KeyCode::Char('y'))],
    )
    .unwrap();
    assert!(
        app.status()
            .unwrap()
            .text
            .contains(&format!("{first} merged into {second}")),
        "{:?}",
        app.status()
    );
    assert!(sync::possible_duplicates(app.store()).unwrap().is_empty());
    let (kept, merged) = if a < b { (&b, &a) } else { (&a, &b) };
    let p = people::young_person(app.store(), kept).unwrap().unwrap();
    assert_eq!(p.family_name, "Double");
    assert!(people::young_person_by_reference(app.store(), first)
        .unwrap()
        .is_none());
    let rows = casebook::store::caseload::caseload(app.store()).unwrap();
    assert!(rows.iter().all(|r| &r.young_person_id != merged));
    assert!(format!("{}", t.backend()).contains("No possible duplicates wait"));
}

#[test]
fn a_device_joining_after_a_snapshot_refresh_applies_fewer_bundles_and_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let mut office = office(tmp.path());
    let mut laptop = laptop(tmp.path(), "laptop", &office.folder.clone(), false, KIM);
    // Some months of work on both devices, synced as they go.
    for round in 0..3 {
        let now = t0() + Duration::hours(round);
        let yp = office.register("Ann", &format!("Round{round}"), dob(), now);
        office.sync(now);
        laptop.sync(now);
        laptop.contact(&yp, day(round), now);
        laptop.sync(now);
        office.sync(now);
    }
    let before = bundles(&office.folder).len();
    assert!(before >= 6, "{before}");
    // A copy of the folder as it was, for a device joining from the first snapshot.
    let old_folder = tmp.path().join("old-folder");
    copy_dir(&office.folder, &old_folder);
    let old_sig = std::fs::read(office.folder.join("snapshot.json")).unwrap();

    let now = t0() + Duration::hours(4);
    let key = office.u.data_key().clone();
    let kf = office.u.key_file().clone();
    let r = sync::refresh_snapshot(&mut office.u.store, &key, &kf, &office.folder, now).unwrap();
    assert_eq!(r.includes.len(), 2, "{:?}", r.includes);
    assert!(r.includes.values().all(|&n| n >= 3), "{:?}", r.includes);
    let sig: serde_json::Value =
        serde_json::from_slice(&std::fs::read(office.folder.join("snapshot.json")).unwrap())
            .unwrap();
    assert_ne!(
        std::fs::read(office.folder.join("snapshot.json")).unwrap(),
        old_sig
    );
    assert_eq!(sig["includes"].as_object().unwrap().len(), 2, "{sig}");
    assert!(!office.folder.join(".snapshot.cbsnap.part").exists());
    // The laptop goes on working after the refresh.
    let later = laptop.register("Bo", "After", dob(), now);
    laptop.sync(now);

    let (tablet_u, fresh) = sync::join(
        &office.folder,
        &tmp.path().join("tablet.db"),
        OMAR,
        PW,
        Some("tablet"),
        now,
    )
    .unwrap();
    let (_, old) = sync::join(
        &old_folder,
        &tmp.path().join("old-way.db"),
        OMAR,
        PW,
        Some("old way"),
        now,
    )
    .unwrap();
    assert!(
        fresh.refused.is_empty() && fresh.waiting.is_empty(),
        "{fresh:?}"
    );
    // From the first snapshot every bundle is applied; from the fresh one only the laptop's
    // bundle written after it, and the others are recognised as held.
    assert_eq!(old.applied.len(), before);
    assert_eq!(fresh.applied.len(), 1, "{fresh:?}");
    assert!(fresh.already_applied >= before, "{fresh:?}");
    let mut tablet = Device {
        db: tmp.path().join("tablet.db"),
        folder: office.folder.clone(),
        u: tablet_u,
    };
    assert!(has_person(&tablet, &later));
    // Everyone goes on syncing and ends the same.
    tablet.contact(&later, day(5), now);
    for i in 0..4 {
        let d = match i {
            1 => &mut office,
            2 => &mut laptop,
            _ => &mut tablet,
        };
        let r = d.sync(now + Duration::hours(1));
        assert!(r.refused.is_empty() && r.waiting.is_empty(), "{r:?}");
    }
    converged(&[&office, &laptop, &tablet]);
}

#[test]
fn the_command_line_lists_merges_and_keeps_apart_possible_duplicates() {
    use predicates::prelude::*;
    use predicates::str::contains;
    let tmp = tempfile::tempdir().unwrap();
    let (mut office, laptop, a, b, _) = registered_twice(tmp.path());
    let c = office.register("Sam", "Twice", dob(), t0());
    let mut laptop = laptop;
    let d2 = laptop.register("Sam", "Twice", dob(), t0());
    office.sync(t0());
    laptop.sync(t0());
    office.sync(t0());
    let refs = [&a, &b, &c, &d2].map(|id| office.reference(id));
    let folder = office.folder.clone();
    let db = office.db.clone();
    drop(office);
    drop(laptop);
    casebook(&db, KIM)
        .args(["sync", "duplicates"])
        .assert()
        .success()
        .stdout(contains("Jo Double"))
        .stdout(contains("Sam Twice"))
        .stdout(contains("registered on laptop"))
        .stdout(contains("casebook sync merge --keep"));
    // JSON for other tools: references, dates of birth and devices, no names.
    casebook(&db, KIM)
        .args(["sync", "duplicates", "--format", "json"])
        .assert()
        .success()
        .stdout(contains(refs[0].as_str()))
        .stdout(contains("2009-03-14"))
        .stdout(contains("\"registered_on\": \"laptop\""))
        .stdout(contains("Double").not())
        .stdout(contains("Jo").not());
    casebook(&db, OMAR)
        .args(["sync", "merge", "--keep", &refs[0], "--merge", &refs[1]])
        .assert()
        .failure()
        .stderr(contains("only a key worker or manager may merge"));
    casebook(&db, KIM)
        .args(["sync", "merge", "--keep", &refs[0], "--merge", "YP-NOPE"])
        .assert()
        .failure()
        .stderr(contains("no young person has the reference 'YP-NOPE'"));
    casebook(&db, KIM)
        .args(["sync", "merge", "--keep", &refs[0], "--merge", &refs[1]])
        .assert()
        .success()
        .stdout(contains(format!("merged {} into {}", refs[1], refs[0])));
    casebook(&db, KIM)
        .args(["sync", "not-duplicate", &refs[2], &refs[3]])
        .assert()
        .success()
        .stdout(contains("kept apart"));
    casebook(&db, KIM)
        .args(["sync", "duplicates"])
        .assert()
        .success()
        .stdout(contains("no possible duplicates wait"));
    casebook(&db, ADMIN)
        .args(["audit", "show", "--young-person", &refs[0]])
        .assert()
        .success()
        .stdout(contains(format!(
            "decided a possible duplicate: the same person: {} kept, {} merged into it",
            refs[0], refs[1]
        )));
    casebook(&db, KIM)
        .args(["sync", "snapshot", "--folder"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(contains("wrote a fresh snapshot"));
}
