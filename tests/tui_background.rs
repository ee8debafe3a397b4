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
        if app.poll_loading() {
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
