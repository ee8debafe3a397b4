//! The terminal's title bar says when this device last synced and how many of its changes
//! wait for the next sync; a device in no team says nothing of sync.

mod tui_support;

use casebook::domain::record::{Episode, YoungPerson};
use casebook::store::Store;
use casebook::store::{people, records, sign_in, sync};
use casebook::tui::{App, SyncNow, Theme, TuiContext};
use tui_support::*;

#[test]
fn the_title_bar_shows_the_last_sync_and_the_changes_waiting() {
    std::env::set_var("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let folder = dir.path().join("team");
    std::fs::create_dir(&folder).unwrap();
    let mut u = sign_in::create(&db, "Ama Mensah", "a long test password", clock().now())
        .unwrap()
        .unlocked;
    let (key, kf) = (u.data_key().clone(), u.key_file().clone());
    sync::sync(
        &mut u.store,
        &key,
        &kf,
        &folder,
        Some("Ama's laptop"),
        clock().now(),
    )
    .unwrap();
    let worker = u.worker.clone();
    // Zoë referred on the laptop after that sync: one change waits.
    u.store
        .write(&worker.id, clock().now(), |tx| {
            let (id, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoë".into(),
                    family_name: "Hart".into(),
                    date_of_birth: Some(d("2009-02-28")),
                    ..Default::default()
                },
            )?;
            records::create_episode(
                tx,
                &Episode {
                    young_person_id: id,
                    referral_date: d(TODAY),
                    key_worker_id: Some(worker.id.clone()),
                    ..Default::default()
                },
            )?;
            Ok(())
        })
        .unwrap();
    let mut app = App::new(
        u.store,
        TuiContext {
            clock: clock(),
            worker: worker.clone(),
            config_dir: None,
            db_path: Some(db),
        },
    )
    .unwrap()
    .with_theme(Theme::plain())
    .with_sync(SyncNow(std::rc::Rc::new(move |store: &mut Store, now| {
        let r = sync::sync(store, &key, &kf, &folder, None, now)?;
        Ok(format!("synced: {} bundle(s) applied", r.applied.len()))
    })));
    let mut t = terminal(100, 24);
    run(&mut app, &mut t, "");
    assert_eq!(app.sync_line(), Some("synced just now · 1 change waiting"));
    let title = screen(&t).lines().next().unwrap().to_string();
    assert!(
        title.contains("synced just now · 1 change waiting · Ama Mensah"),
        "{title}"
    );

    // A contact saved in the terminal is a second change waiting, shown at once.
    run(
        &mut app,
        &mut t,
        "<Enter>c<C-u>-1d<Tab><Tab>phone<Enter>30<C-s>",
    );
    assert!(
        app.status().unwrap().text.contains("saved"),
        "{:?}",
        app.status()
    );
    assert_eq!(app.sync_line(), Some("synced just now · 2 changes waiting"));

    // Y syncs through the folder: nothing waits any more.
    run(&mut app, &mut t, "<Esc><Esc>Y");
    assert_eq!(app.status().unwrap().text, "synced: 0 bundle(s) applied");
    assert_eq!(app.sync_line(), Some("synced just now"));
}

#[test]
fn a_device_in_no_team_says_nothing_of_sync() {
    let mut store = casebook::store::Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "Y");
    assert_eq!(app.sync_line(), None);
    assert!(!screen(&t).contains("synced"));
    assert!(app.status().unwrap().text.contains("CASEBOOK_SYNC_FOLDER"));
}
