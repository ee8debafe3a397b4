//! The idle lock and Ctrl-L: after 15 minutes without a key (on the one clock the test sets)
//! or at once on Ctrl-L, nothing of anyone's record shows until the worker's own password is
//! typed; a wrong one is refused and counted; the screens under the lock are as they were.

mod tui_support;

use casebook::store::{sign_in, Store};
use chrono::Duration;
use tui_support::*;

const PASSWORD: &str = "correct horse battery staple";

/// A real encrypted file with its key file, Ama its administrator, filled with the caseload;
/// the app runs on it with the key file at hand for unlocking.
fn locked_app() -> (tempfile::TempDir, casebook::tui::App) {
    std::env::set_var("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casebook.db");
    let created = sign_in::create(&db, "Ama Mensah", PASSWORD, clock().now()).unwrap();
    let key = created.unlocked.data_key().clone();
    drop(created);
    let mut store = Store::open(&db, &key).unwrap();
    let f = fill(&mut store);
    let app = casebook::tui::App::new(
        store,
        casebook::tui::TuiContext {
            clock: clock(),
            worker: f.ama.clone(),
            config_dir: None,
            db_path: Some(db),
        },
    )
    .unwrap()
    .with_theme(casebook::tui::Theme::plain());
    (dir, app)
}

#[test]
fn fifteen_idle_minutes_lock_the_screen_and_only_the_password_opens_it() {
    let (_dir, mut app) = locked_app();
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    assert!(screen(&t).contains("Zoë"));

    app.tick(clock().now() + Duration::minutes(14));
    assert!(!app.is_locked(), "fourteen minutes is not yet idle");
    app.tick(clock().now() + Duration::minutes(15));
    assert!(app.is_locked());
    run(&mut app, &mut t, "");
    let shown = screen(&t);
    assert!(shown.contains("casebook is locked"), "{shown}");
    for name in ["Zoë", "Hart", "Kwame", "Case of"] {
        assert!(!shown.contains(name), "{name} shows while locked:\n{shown}");
    }
    insta::assert_snapshot!("locked", shown);

    // Keys that would do something elsewhere are letters of the password here.
    run(&mut app, &mut t, "qbadpass<Enter>");
    assert!(app.is_locked());
    assert!(!app.should_quit());
    assert!(screen(&t).contains("password"), "{}", screen(&t));
    assert!(
        !screen(&t).contains("qbadpass"),
        "the password is never shown"
    );

    run(&mut app, &mut t, &format!("{PASSWORD}<Enter>"));
    assert!(!app.is_locked(), "{}", screen(&t));
    assert_eq!(app.case().unwrap().model.person.given_name, "Zoë");
    assert!(screen(&t).contains("Case of Zoë"), "{}", screen(&t));
}

#[test]
fn ctrl_l_locks_at_once_even_while_typing_and_the_typing_is_kept() {
    let (_dir, mut app) = locked_app();
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>c<Tab><Tab>");
    let before = app.form().unwrap().draft_data();
    run(&mut app, &mut t, "<C-l>");
    assert!(app.is_locked());
    assert!(!screen(&t).contains("Zoë"), "{}", screen(&t));
    run(&mut app, &mut t, &format!("{PASSWORD}<Enter>"));
    assert!(!app.is_locked());
    assert_eq!(app.form().unwrap().draft_data(), before);
}

#[test]
fn an_empty_password_is_asked_for_and_a_store_without_a_key_file_cannot_lock() {
    let (_dir, mut app) = locked_app();
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "<C-l><Enter>");
    assert!(app.is_locked());
    assert!(screen(&t).contains("Type your password"), "{}", screen(&t));

    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut plain = app_with_config(store, &f.ama, None);
    run(&mut plain, &mut t, "<C-l>");
    assert!(!plain.is_locked());
    assert!(plain.status().unwrap().text.contains("cannot be locked"));
    plain.tick(clock().now() + Duration::hours(2));
    assert!(!plain.is_locked());
}

#[test]
fn a_service_may_set_another_idle_time() {
    let (_dir, app) = locked_app();
    let mut app = app.with_idle_lock_minutes(5);
    app.tick(clock().now() + Duration::minutes(4));
    assert!(!app.is_locked());
    app.tick(clock().now() + Duration::minutes(5));
    assert!(app.is_locked());
}
