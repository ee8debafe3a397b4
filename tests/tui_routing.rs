//! The app as a router over a stack of screens: Esc pops the top screen and only it, what a
//! popup writes reaches the screen under it, and a write reads again only what it touched.

mod tui_support;

use casebook::domain::record::Contact;
use casebook::store::{caseload, records, Store};
use casebook::tui::care::{CareComponent, CareScreen};
use casebook::tui::case_view::CaseView;
use casebook::tui::form_screen::FormScreen;
use casebook::tui::msg::{Msg, Written};
use tui_support::*;

fn id_of(store: &Store, given: &str) -> String {
    caseload::caseload(store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == given)
        .unwrap()
        .young_person_id
}

#[test]
fn esc_pops_the_top_screen_and_only_it() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    assert_eq!(app.depth(), 1, "the case over the caseload");
    run(&mut app, &mut t, "c");
    assert_eq!(app.depth(), 2, "the contact form over the case");
    assert!(app.find::<FormScreen>().is_some());

    if app.form().unwrap().is_editing() {
        // Esc in a field stops editing it: the form's own key, nothing popped.
        run(&mut app, &mut t, "<Esc>");
        assert_eq!(app.depth(), 2);
        assert!(!app.form().unwrap().is_editing());
    }
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(app.depth(), 1);
    assert_eq!(app.case().unwrap().model.person.given_name, "Zoë");
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(app.depth(), 0);
    assert!(screen(&t).contains("Whole team"), "{}", screen(&t));
    // Esc on the caseload itself pops nothing and quits nothing.
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(app.depth(), 0);
    assert!(!app.should_quit());
}

#[test]
fn a_board_replaces_what_is_open_and_a_case_from_it_pops_back_to_it() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    run(&mut app, &mut t, "F");
    assert_eq!(app.depth(), 1, "the flags board replaced the case");
    assert!(app.board().is_some() && app.case().is_none());
    run(&mut app, &mut t, "<Enter>");
    run(&mut app, &mut t, "<Esc>");
    assert!(app.board().is_some(), "{}", screen(&t));
}

#[test]
fn what_a_popup_form_writes_reaches_the_editor_under_it() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>p");
    run(&mut app, &mut t, "n<Tab>3<C-s>");
    run(&mut app, &mut t, "g");
    // The goal form is drawn over the editor, which stays in view above it.
    assert_eq!(app.depth(), 3);
    assert!(screen(&t).contains("No goals yet"), "{}", screen(&t));
    assert!(screen(&t).contains("New goal"), "{}", screen(&t));
    run(&mut app, &mut t, "substance<Enter>Cut down cannabis<C-s>");
    assert_eq!(app.depth(), 2, "the form closed after its save");
    let editor = match &app.find::<CareComponent>().unwrap().screen {
        CareScreen::Editor(e) => e,
        CareScreen::Compare(_) => panic!("the editor is open"),
    };
    assert_eq!(
        editor.selected_goal().map(|g| g.goal.as_str()),
        Some("Cut down cannabis"),
        "the editor read its plan again and selected the new goal"
    );
}

#[test]
fn a_write_reads_again_only_the_young_person_it_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    let (zoe, kwame) = (id_of(app.store(), "Zoë"), id_of(app.store(), "Kwame"));
    let last_contact = |app: &casebook::tui::App, id: &str| {
        app.caseload()
            .rows()
            .iter()
            .find(|r| r.young_person_id == id)
            .unwrap()
            .last_contact
    };
    let kwame_before = last_contact(&app, &kwame);
    let zoe_contacts = app.case().unwrap().model.contacts.len();

    // Another terminal on the same file records a contact today for each of them.
    let mut other = Store::open(&path, &test_key()).unwrap();
    for id in [&zoe, &kwame] {
        other
            .write(&f.ama.id, clock().now(), |tx| {
                records::add_contact(
                    tx,
                    &Contact {
                        young_person_id: id.clone(),
                        date: d(TODAY),
                        contact_type: "telephone".into(),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
    }
    // This terminal is told of the write for Zoë alone.
    app.process(Msg::Written(Written::of(&zoe, "Contact saved")));
    assert_eq!(app.case().unwrap().model.contacts.len(), zoe_contacts + 1);
    assert_eq!(last_contact(&app, &zoe), Some(d(TODAY)));
    assert_eq!(
        last_contact(&app, &kwame),
        kwame_before,
        "Kwame's row was not read again"
    );
    assert_eq!(app.status().unwrap().text, "Contact saved");

    // Ctrl-R reads everything.
    run(&mut app, &mut t, "<C-r>");
    assert_eq!(last_contact(&app, &kwame), Some(d(TODAY)));
    assert!(app.find::<CaseView>().is_some(), "the case stays open");
}
