//! The caseload read behind the first frame (issue 13): the first page is drawn from one quick
//! query, the whole list with what is due arrives from a background thread on a second
//! connection, and ends as the synchronous `App::new` would have it.

mod tui_support;

use casebook::domain::record::YoungPerson;
use casebook::store::{people, Store};
use casebook::tui::msg::Written;
use casebook::tui::{App, Msg, Theme, TuiContext};
use tui_support::*;

fn names(app: &App) -> Vec<String> {
    app.caseload().visible().map(|r| r.display_name()).collect()
}

fn background_app(db: &TempDb, worker: &casebook::domain::record::Worker) -> App {
    App::with_background_load(
        db.open(),
        TuiContext {
            clock: clock(),
            worker: worker.clone(),
            config_dir: None,
            db_path: None,
        },
        db.open(),
    )
    .unwrap()
    .with_theme(Theme::coloured())
}

/// Polls as the loop's tick does until the background read has arrived.
fn wait_loaded(app: &mut App) {
    for _ in 0..10_000 {
        app.poll_loading();
        if !app.is_loading() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("the background read never arrived");
}

#[test]
fn the_first_frame_shows_the_first_page_and_the_whole_list_replaces_it() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let mut sync = app(db.open(), &f.ama);
    sync.load_dues();

    let mut app = background_app(&db, &f.ama);
    assert!(app.is_loading());
    let mut t = terminal(100, 20);
    t.draw(|fr| app.draw(fr)).unwrap();
    let first = screen(&t);
    assert!(first.contains("reading the whole list"), "{first}");
    // Before what is due is known both show the worker's open cases, by reference.
    let before_dues = app_for(&db, &f.ama);
    assert_eq!(names(&app), names(&before_dues));
    assert!(names(&app).len() >= 3, "{:?}", names(&app));

    wait_loaded(&mut app);
    assert!(!app.is_loading());
    assert!(!app.poll_loading(), "nothing more arrives");
    t.draw(|fr| app.draw(fr)).unwrap();
    let loaded = screen(&t);
    assert!(!loaded.contains("reading the whole list"), "{loaded}");
    assert_eq!(names(&app), names(&sync));
    assert_eq!(app.caseload().describe(), sync.caseload().describe());
    assert_eq!(app.caseload().rows().len(), sync.caseload().rows().len());
}

#[test]
fn a_worker_with_no_cases_of_their_own_sees_the_team_first() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let now = clock().now();
    let manager = people::ensure_worker(
        &mut db.open(),
        "Mo Manager",
        casebook::domain::record::Role::Manager,
        now,
    )
    .unwrap();
    let mut app = background_app(&db, &manager);
    assert!(app.caseload().visible_count() > 0);
    assert_eq!(app.caseload().scope(), casebook::tui::caseload::Scope::Team);
    wait_loaded(&mut app);
    let mut sync = app_for(&db, &manager);
    sync.load_dues();
    assert_eq!(names(&app), names(&sync));
    let _ = f;
}

fn app_for(db: &TempDb, worker: &casebook::domain::record::Worker) -> App {
    app(db.open(), worker)
}

#[test]
fn a_young_person_written_while_the_list_is_read_is_in_it_afterwards() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let mut app = background_app(&db, &f.ama);
    // Another write lands while the list is being read; the app is told, as after any write.
    let mut other: Store = db.open();
    let (id, _) = other
        .write(&f.ama.id, clock().now(), |tx| {
            people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Nia".into(),
                    family_name: "Okafor".into(),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    app.process(Msg::Written(Written::of(id.clone(), "Added")));
    wait_loaded(&mut app);
    assert!(
        app.caseload()
            .rows()
            .iter()
            .any(|r| r.young_person_id == id && r.given_name == "Nia"),
        "the young person written during the read is kept"
    );
}

/// Presses keys as the loop would take them (no drawing between).
fn press(app: &mut App, script: &str) {
    for ev in keys(script) {
        app.handle_event(ev.unwrap());
    }
}

/// Polls as the loop's tick does until the background reader has answered everything asked.
fn wait_idle(app: &mut App) {
    for _ in 0..10_000 {
        app.poll_loading();
        if !app.is_busy() && !app.is_loading() {
            app.poll_loading();
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("the background reader never finished");
}

/// What the open due-list shows: each item's young person, kind and due date.
fn due_items(app: &App) -> Vec<(String, String, chrono::NaiveDate)> {
    match app.board() {
        Some(casebook::tui::due_list::Board::Due(d)) => d
            .shown()
            .map(|e| (e.name.clone(), e.kind.code().to_string(), e.due))
            .collect(),
        _ => panic!("the due-list is not open"),
    }
}

#[test]
fn the_due_list_read_in_the_background_is_the_one_worked_out_on_the_spot() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let mut sync = app_for(&db, &f.ama);
    sync.load_dues();
    press(&mut sync, "D");
    let expected = due_items(&sync);
    assert!(expected.len() >= 2, "{expected:?}");

    let mut app = background_app(&db, &f.ama);
    wait_idle(&mut app);
    press(&mut app, "D");
    assert_eq!(due_items(&app), expected);
    assert!(
        !app.is_busy(),
        "opening the list asks nothing of the reader"
    );
    // Whose items: the same list filtered, nothing worked out again.
    press(&mut app, "t");
    press(&mut sync, "t");
    assert_eq!(due_items(&app), due_items(&sync));
    assert!(!app.is_busy());
}

#[test]
fn after_a_write_the_due_list_shows_the_last_list_as_updating_until_the_new_one_arrives() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let mut app = background_app(&db, &f.ama);
    wait_idle(&mut app);
    press(&mut app, "D");
    let before = due_items(&app);
    assert!(!before.iter().any(|(name, _, _)| name.contains("Okafor")));

    // A referral for a new young person, Ama's: a triage falls due.
    let mut other: Store = db.open();
    let (id, _) = other
        .write(&f.ama.id, clock().now(), |tx| {
            let (id, r) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Nia".into(),
                    family_name: "Okafor".into(),
                    ..Default::default()
                },
            )?;
            casebook::store::records::create_episode(
                tx,
                &casebook::domain::record::Episode {
                    young_person_id: id.clone(),
                    referral_date: clock().today(),
                    key_worker_id: Some(f.ama.id.clone()),
                    ..Default::default()
                },
            )?;
            Ok((id, r))
        })
        .unwrap();
    app.process(Msg::Written(Written::of(id, "Referral saved")));
    // No frame waits: the last list shows, marked as updating.
    assert_eq!(due_items(&app), before);
    let mut t = terminal(100, 24);
    t.draw(|fr| app.draw(fr)).unwrap();
    assert!(screen(&t).contains("updating…"), "{}", screen(&t));

    wait_idle(&mut app);
    let after = due_items(&app);
    assert!(
        after
            .iter()
            .any(|(name, kind, _)| name.contains("Okafor") && kind == "triage"),
        "{after:?}"
    );
    t.draw(|fr| app.draw(fr)).unwrap();
    assert!(!screen(&t).contains("updating…"), "{}", screen(&t));
    // As the list worked out on the spot after the same write.
    let mut sync = app_for(&db, &f.ama);
    sync.load_dues();
    press(&mut sync, "D");
    assert_eq!(after, due_items(&sync));
}

#[test]
fn a_list_for_another_date_is_worked_out_in_the_background_and_shown_when_it_arrives() {
    let db = TempDb::new();
    let f = fill(&mut db.open());
    let mut app = background_app(&db, &f.ama);
    wait_idle(&mut app);
    // `a` moves the list's date; 30 days on more is overdue.
    press(&mut app, "Da+30d<Enter>");
    let mut t = terminal(100, 24);
    t.draw(|fr| app.draw(fr)).unwrap();
    let waiting = screen(&t);
    assert!(waiting.contains("Working out what is due"), "{waiting}");
    wait_idle(&mut app);
    let mut sync = app_for(&db, &f.ama);
    sync.load_dues();
    press(&mut sync, "Da+30d<Enter>");
    assert!(!due_items(&sync).is_empty());
    assert_eq!(due_items(&app), due_items(&sync));
}
