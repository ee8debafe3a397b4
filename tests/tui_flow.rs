//! Scripted key sequences through the real loop: filtering, opening a case, adding a contact,
//! drafts surviving a crash, paste, the keymap file and the palette.

mod tui_support;

use std::io;

use casebook::store::{drafts, records, Store};
use casebook::tui::keymap::Action;
use casebook::tui::{App, StatusKind};
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_support::*;

fn names(app: &App) -> Vec<String> {
    app.caseload().visible().map(|r| r.display_name()).collect()
}

fn zoe_id(store: &Store) -> String {
    casebook::store::caseload::caseload(store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Zoë")
        .unwrap()
        .young_person_id
}

#[test]
fn filter_open_add_a_contact_and_see_it_listed() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);

    run(&mut app, &mut t, "t/zoe");
    assert_eq!(names(&app)[0], "Zoë Hart");
    run(&mut app, &mut t, "<Enter><Enter>");
    assert_eq!(app.case().unwrap().model.person.given_name, "Zoë");

    // Date "-1d", type by filtering, 30 minutes, two people present, a note.
    run(
        &mut app,
        &mut t,
        "c<C-u>-1d<Tab><Tab>phone<Enter>30<Tab><Tab><Tab>young<Space><BS><BS><BS><BS><BS>parent<Space><Tab>Talked about exams.<C-s>",
    );
    let status = app.status().expect("a message after saving");
    assert_eq!(status.kind, StatusKind::Info, "{}", status.text);
    assert_eq!(status.text, "Contact of 01/06/2025 saved");
    assert!(app.form().is_none(), "the form closes once saved");
    let s = screen(&t);
    assert!(s.contains("Contacts 4"), "{s}");
    assert!(
        s.contains("01/06/25       Telephone call       30m        Talked about exams."),
        "{s}"
    );

    let id = zoe_id(app.store());
    let saved = &records::contacts_of(app.store(), &id, 10, 0).unwrap()[0];
    assert_eq!(saved.date, d("2025-06-01"));
    assert_eq!(saved.contact_type, "telephone");
    assert_eq!(saved.duration_minutes, Some(30));
    assert_eq!(
        saved.present.as_deref(),
        Some("Young person; Parent or carer")
    );
    assert_eq!(saved.note.as_deref(), Some("Talked about exams."));
    assert!(!saved.did_not_attend);
    assert_eq!(saved.worker_id.as_deref(), Some(f.ama.id.as_str()));
    assert!(
        drafts::load(app.store(), &f.ama.id, &format!("contact:{id}"))
            .unwrap()
            .is_none()
    );

    // Read it in full, then back to the caseload, where the last contact has moved on.
    run(&mut app, &mut t, "<Enter>");
    assert!(screen(&t).contains("Contact 1 of 4"), "{}", screen(&t));
    run(&mut app, &mut t, "<Esc><Esc>");
    assert!(app.case().is_none());
    let row = app
        .caseload()
        .visible()
        .find(|r| r.given_name == "Zoë")
        .unwrap();
    assert_eq!(row.last_contact, Some(d("2025-06-01")));
}

#[test]
fn a_did_not_attend_needs_its_follow_up_and_then_saves_with_it() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(
        &mut app,
        &mut t,
        "t/kwame<Enter><Enter>c<Tab><Tab>home<Enter><Tab>y<C-s>",
    );
    let form = app.form().expect("not saved: still open");
    let err = form.field("follow_up").unwrap().error.clone().unwrap();
    assert!(err.starts_with("Follow-up action:"), "{err}");
    assert_eq!(
        form.focused().unwrap().key,
        "follow_up",
        "the focus goes to the problem"
    );
    run(&mut app, &mut t, "Call mum tomorrow; text a new time<C-s>");
    assert!(app.form().is_none(), "{:?}", app.status());
    let id = app.case().unwrap().model.person.id.clone();
    let c = &records::contacts_of(app.store(), &id, 1, 0).unwrap()[0];
    assert!(c.did_not_attend);
    assert_eq!(
        c.dna_follow_up.as_deref(),
        Some("Call mum tomorrow; text a new time")
    );
    // The DNA's follow-up is now what is next due for Kwame... after his overdue triage.
    let row = app
        .caseload()
        .rows()
        .iter()
        .find(|r| r.young_person_id == id)
        .unwrap();
    assert_eq!(row.last_contact, Some(d(TODAY)));
}

#[test]
fn bad_values_are_named_at_their_fields() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(
        &mut app,
        &mut t,
        "t/zoe<Enter><Enter>c<C-u>+3d<Tab>25:99<Tab><Tab>9999<C-s>",
    );
    let form = app.form().unwrap();
    let err = |k: &str| form.field(k).unwrap().error.clone().unwrap_or_default();
    assert!(
        err("date").starts_with("Date: a contact cannot be in the future"),
        "{}",
        err("date")
    );
    assert!(
        err("time").starts_with("Time: '25:99' is not a time"),
        "{}",
        err("time")
    );
    assert!(
        err("type").starts_with("Type: choose one"),
        "{}",
        err("type")
    );
    assert!(err("duration").starts_with("Minutes: give a whole number from 0 to 600"));
    let status = app.status().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status
            .text
            .contains("4 fields need attention — Date, Time, Type, Minutes"),
        "{}",
        status.text
    );
    assert_eq!(
        records::contacts_of(app.store(), &app.case().unwrap().model.person.id, 10, 0)
            .unwrap()
            .len(),
        3,
        "nothing saved"
    );
}

#[test]
fn letters_are_text_while_typing_never_shortcuts() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    // In the note: q would quit, ? help, : palette, t team, c contact, / filter.
    run(&mut app, &mut t, "t/zoe<Enter><Enter>c<S-Tab>q?:tc/ jk");
    assert!(!app.should_quit());
    let form = app.form().unwrap();
    assert_eq!(form.text("note").as_deref(), Some("q?:tc/ jk"));
    // Out of editing, the same letters are shortcuts again.
    run(&mut app, &mut t, "<Esc>?");
    assert!(screen(&t).contains("Keys here"));
    // And the filter takes letters as text too.
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = tui_support::app(store, &f.ama);
    run(&mut app, &mut t, "/qt");
    assert!(!app.should_quit());
    assert_eq!(app.caseload().filter_text(), "qt");
}

#[test]
fn a_half_filled_form_comes_back_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let f = fill(&mut store);
    let id = zoe_id(&store);
    {
        let mut app = app(store, &f.ama);
        let mut t = terminal(80, 24);
        run(&mut app, &mut t, "t/zoe<Enter><Enter>c<Tab>10:15<Tab>group<Enter>40<S-Tab><S-Tab><S-Tab><S-Tab>Sounded tired");
        assert_eq!(
            app.form().unwrap().text("note").as_deref(),
            Some("Sounded tired")
        );
        // The app is dropped here as a crash would drop it: no quit, no save.
    }
    let store = Store::open(&path, &test_key()).unwrap();
    let draft = drafts::load(&store, &f.ama.id, &format!("contact:{id}"))
        .unwrap()
        .unwrap();
    assert_eq!(draft.data["fields"]["note"], "Sounded tired");

    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>");
    assert!(
        screen(&t).contains("a contact draft is waiting — press c"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "c");
    assert!(app.has_draft_offer());
    assert!(
        screen(&t).contains("A draft of this form was kept on"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "r");
    let form = app.form().unwrap();
    assert_eq!(form.text("time").as_deref(), Some("10:15"));
    assert_eq!(form.choice("type").as_deref(), Some("group"));
    assert_eq!(form.text("duration").as_deref(), Some("40"));
    assert_eq!(form.text("note").as_deref(), Some("Sounded tired"));
    assert_eq!(
        form.focused().unwrap().key,
        "note",
        "the focus comes back too"
    );
    run(&mut app, &mut t, " but engaged.<C-s>");
    assert!(app.form().is_none(), "{:?}", app.status());
    let c = &records::contacts_of(app.store(), &id, 1, 0).unwrap()[0];
    assert_eq!(c.note.as_deref(), Some("Sounded tired but engaged."));
    assert!(
        drafts::load(app.store(), &f.ama.id, &format!("contact:{id}"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_waiting_draft_can_be_discarded_or_left_for_later() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let id = zoe_id(&store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>c<Tab>09:00<Esc><Esc>");
    assert!(app.form().is_none());
    assert!(app.status().unwrap().text.contains("draft is kept"));
    // Esc at the offer leaves it for later; d discards it.
    run(&mut app, &mut t, "c<Esc>");
    assert!(
        drafts::load(app.store(), &f.ama.id, &format!("contact:{id}"))
            .unwrap()
            .is_some()
    );
    run(&mut app, &mut t, "cd");
    assert!(!app.has_draft_offer());
    assert_eq!(app.form().unwrap().text("time"), None);
    assert!(
        drafts::load(app.store(), &f.ama.id, &format!("contact:{id}"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn ctrl_c_leaves_from_a_form_keeping_what_was_typed() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let id = zoe_id(&store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(
        &mut app,
        &mut t,
        "t/zoe<Enter><Enter>c<S-Tab>Half a thought<C-c>ignored after quitting",
    );
    assert!(app.should_quit());
    let draft = drafts::load(app.store(), &f.ama.id, &format!("contact:{id}"))
        .unwrap()
        .unwrap();
    assert_eq!(draft.data["fields"]["note"], "Half a thought");
}

#[test]
fn ctrl_c_leaves_from_the_filter_and_the_help() {
    for script in ["/abc<C-c>", "?<C-c>", ":<C-c>", "t/zoe<Enter><Enter><C-c>"] {
        let mut store = Store::open_in_memory().unwrap();
        let f = fill(&mut store);
        let mut app = app(store, &f.ama);
        run(&mut app, &mut terminal(80, 24), script);
        assert!(app.should_quit(), "{script}");
    }
}

fn paste(text: String) -> Vec<io::Result<Event>> {
    vec![Ok(Event::Paste(text))]
}

#[test]
fn a_huge_paste_is_cut_to_the_field_with_a_message() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>c<S-Tab>");
    let huge = "lorem ipsum ".repeat(1_000_000);
    app.run_loop(&mut t, paste(huge.clone())).unwrap();
    assert_eq!(
        app.form().unwrap().text("note").unwrap().chars().count(),
        4000
    );
    let status = app.status().unwrap();
    assert!(
        status.text.contains("Note: holds at most 4,000 characters"),
        "{}",
        status.text
    );
    assert!(
        screen(&t).contains("! Note: holds at most 4,000"),
        "{}",
        screen(&t)
    );
    // Into a one-line field, newlines become spaces.
    run(&mut app, &mut t, "<Tab><Tab>");
    app.run_loop(&mut t, paste("line one\nline two".into()))
        .unwrap();
    assert_eq!(
        app.form().unwrap().text("time").as_deref(),
        Some("line one line two")
    );
    // The caseload filter takes at most 60.
    run(&mut app, &mut t, "<Esc><Esc><Esc>/");
    app.run_loop(&mut t, paste(huge)).unwrap();
    assert_eq!(app.caseload().filter_text().chars().count(), 60);
    assert!(app
        .status()
        .unwrap()
        .text
        .contains("Filter: holds at most 60"));
}

#[test]
fn only_key_presses_count() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    let release = |c| {
        Ok(Event::Key(KeyEvent {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Release,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }))
    };
    app.run_loop(&mut t, vec![release('t'), release('q')])
        .unwrap();
    assert!(!app.should_quit());
    // Ama's three open cases and Priya, whose follow-ups after her exit are still due.
    assert_eq!(app.caseload().visible_count(), 4, "still my caseload");
}

#[test]
fn sort_cycles_columns_and_reverses() {
    use casebook::tui::caseload::Column;
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    // The whole team with the ended episodes too, so every column has something to sort.
    run(&mut app, &mut t, "te");
    assert_eq!(app.caseload().sort(), (Column::NextDue, false));
    run(&mut app, &mut t, "s");
    assert_eq!(app.caseload().sort(), (Column::Risk, false));
    assert_eq!(
        &names(&app)[..3],
        &["Zoë Hart", "Aleksandra Nowak-Wiśniewska", "Callum O'Brien"]
    );
    run(&mut app, &mut t, "ss");
    assert_eq!(app.caseload().sort(), (Column::Reference, false));
    run(&mut app, &mut t, "s");
    assert_eq!(
        names(&app),
        vec![
            "Aleksandra Nowak-Wiśniewska",
            "Callum O'Brien",
            "Kwame Asante",
            "Liam Walsh",
            "Priya Shah",
            "Zoë Hart",
        ]
    );
    assert!(screen(&t).contains("by name ↑"));
    run(&mut app, &mut t, "S");
    assert_eq!(names(&app)[0], "Zoë Hart");
    assert!(screen(&t).contains("by name ↓"));
}

#[test]
fn the_filter_matches_reference_and_postcode_and_moves_with_arrows() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "te/so18");
    assert_eq!(names(&app)[0], "Liam Walsh");
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(app.caseload().filter_text(), "");
    assert_eq!(app.caseload().visible_count(), 6);
    let zoe_ref = app
        .caseload()
        .rows()
        .iter()
        .find(|r| r.given_name == "Zoë")
        .unwrap()
        .reference
        .clone();
    run(&mut app, &mut t, &format!("/{}", zoe_ref.to_lowercase()));
    assert_eq!(names(&app), vec!["Zoë Hart"]);
    // Enter keeps the filter; j/k move again; Esc on the list clears the kept filter.
    run(&mut app, &mut t, "<Esc>/a<Enter>j");
    assert_eq!(app.caseload().filter_text(), "a");
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(app.caseload().filter_text(), "");
}

#[test]
fn a_keymap_file_rebinds_and_reports_what_it_could_not_use() {
    use casebook::tui::caseload::Column;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keymap.toml"),
        "sort_next = \"o\"\nteleport = \"x\"\nadd_contact = \"ctrl-hyper-q\"\n",
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app_with_config(store, &f.ama, Some(dir.path().to_path_buf()));
    let mut t = terminal(100, 30);
    run(&mut app, &mut t, "");
    let status = app.status().unwrap();
    assert_eq!(status.kind, StatusKind::Warning);
    assert!(
        status.text.contains("'teleport' is not an action"),
        "{}",
        status.text
    );
    assert!(status.text.contains("add_contact"), "{}", status.text);
    assert!(
        screen(&t).contains("'teleport' is not an action"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "o");
    assert_eq!(app.caseload().sort().0, Column::Risk);
    run(&mut app, &mut t, "s");
    assert_eq!(
        app.caseload().sort().0,
        Column::Risk,
        "s is no longer bound"
    );
    // The default kept for the bad entry; the help and hints show the new key.
    run(&mut app, &mut t, "?sort");
    assert!(
        screen(&t).contains("o             sort by the next column"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "<Esc>");
    assert!(screen(&t).contains(" o sort "), "{}", screen(&t));
    run(&mut app, &mut t, "t/zoe<Enter><Enter>c");
    assert!(app.form().is_some(), "c still adds a contact");
}

#[test]
fn the_palette_runs_actions_and_goes_to_screens() {
    use casebook::tui::case_view::Section;
    use casebook::tui::caseload::Scope;
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, ":whole team<Enter>");
    assert_eq!(app.caseload().scope(), Scope::Team);
    run(&mut app, &mut t, "/zoe<Enter><Enter>:contacts<Enter>");
    assert_eq!(app.case().unwrap().section(), Section::Contacts);
    run(&mut app, &mut t, ":add contact<Enter>");
    assert!(app.form().is_some());
    // An action that does nothing here says so.
    run(&mut app, &mut t, "<Esc>:reverse the sort<Enter>");
    assert!(
        app.status().unwrap().text.contains("does nothing here"),
        "{:?}",
        app.status()
    );
}

#[test]
fn help_lists_only_what_is_bound_here_and_filters() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "?");
    let s = screen(&t);
    assert!(s.contains("filter by name"), "{s}");
    assert!(
        !s.contains("add a contact"),
        "not bound on the caseload: {s}"
    );
    run(&mut app, &mut t, "team");
    let s = screen(&t);
    assert!(
        s.contains("switch between my caseload and the whole team"),
        "{s}"
    );
    assert!(!s.contains("move up"), "{s}");
    // In the case view the help has the case view's keys.
    run(&mut app, &mut t, "<Esc>t/zoe<Enter><Enter>?");
    let s = screen(&t);
    assert!(s.contains("add a contact"), "{s}");
    assert!(!s.contains("filter by name"), "{s}");
    // Every action the help lists resolves to itself from its first key.
    for (b, ctx) in app.keymap().active(&app.contexts()) {
        let _ = ctx;
        assert!(!b.keys.is_empty(), "{:?} has no key", b.action);
    }
    assert!(app
        .keymap()
        .active(&app.contexts())
        .iter()
        .any(|(b, _)| b.action == Action::Back));
}

#[test]
fn backspace_gives_back_exactly_the_shorter_filters_list() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/a");
    let after_a = names(&app);
    run(&mut app, &mut t, "r");
    let after_ar = names(&app);
    assert!(
        after_ar.len() < after_a.len(),
        "{after_ar:?} vs {after_a:?}"
    );
    run(&mut app, &mut t, "<BS>");
    assert_eq!(names(&app), after_a);
    run(&mut app, &mut t, "<BS>");
    let everyone = names(&app);
    run(&mut app, &mut t, "<Esc>");
    assert_eq!(
        names(&app),
        everyone,
        "an empty filter shows the whole list"
    );
    // Reversing the sort reverses the list (ties aside, names here are distinct); reversing
    // again restores it: the cached order follows the sort.
    run(&mut app, &mut t, "S");
    let reversed = names(&app);
    assert_ne!(reversed, everyone);
    run(&mut app, &mut t, "S");
    assert_eq!(names(&app), everyone);
}

#[test]
fn a_sort_order_worked_out_before_a_write_is_not_reused_after_it() {
    use casebook::tui::caseload::Column;
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    // Callum's last contact falls between Zoë's (27 May) and the one added below (2 June).
    let callum = casebook::store::caseload::caseload(&store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Callum")
        .unwrap()
        .young_person_id;
    store
        .write(&f.ama.id, clock().now(), |tx| {
            records::add_contact(
                tx,
                &casebook::domain::record::Contact {
                    young_person_id: callum.clone(),
                    date: d("2025-05-30"),
                    contact_type: "telephone".into(),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t");
    let to_last_contact =
        |app: &mut App, t: &mut ratatui::Terminal<ratatui::backend::TestBackend>| {
            for _ in 0..8 {
                if app.caseload().sort().0 == Column::LastContact {
                    return;
                }
                run(app, t, "s");
            }
            panic!("no last-contact sort");
        };
    // Work out the last-contact order, then move on so it is kept aside.
    to_last_contact(&mut app, &mut t);
    run(&mut app, &mut t, "s");
    // A contact today for Zoë changes her last contact.
    run(&mut app, &mut t, "/zoe<Enter><Enter>");
    run(&mut app, &mut t, "c<C-u>today<Tab><Tab>phone<Enter>30<C-s>");
    run(&mut app, &mut t, "<Esc>/<C-u><Esc>");
    to_last_contact(&mut app, &mut t);
    let dates: Vec<_> = app
        .caseload()
        .visible()
        .filter_map(|r| r.last_contact)
        .collect();
    assert!(dates.contains(&d("2025-06-02")), "{dates:?}");
    // The order must follow the sort's direction with today's data.
    let reversed = app.caseload().sort().1;
    let in_order = dates
        .windows(2)
        .all(|w| if reversed { w[0] >= w[1] } else { w[0] <= w[1] });
    assert!(in_order, "stale order (reversed: {reversed}): {dates:?}");
}

#[test]
fn the_default_view_is_live_work_and_ended_episodes_are_one_key_away() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    // Priya left of her own accord: an unplanned exit starts no follow-up, so nothing of hers
    // is live work.
    let priya = casebook::store::caseload::caseload(&store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Priya")
        .unwrap();
    let episode = priya.episode.unwrap().episode_id;
    store
        .write(&f.ama.id, clock().now(), |tx| {
            tx.update(
                "episodes",
                &episode,
                &[("exit_reason", casebook::store::values::text("self_exit"))],
            )
        })
        .unwrap();
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    // Ama's own open cases first; the whole team's open episodes one key away.
    run(&mut app, &mut t, "");
    assert!(
        app.caseload().describe().starts_with("My caseload"),
        "{}",
        app.caseload().describe()
    );
    run(&mut app, &mut t, "t");
    assert!(
        !names(&app).contains(&"Priya Shah".to_string()),
        "{:?}",
        names(&app)
    );
    assert_eq!(app.caseload().visible_count(), 5);
    assert!(!app.caseload().shows_exited());
    run(&mut app, &mut t, "e");
    assert!(names(&app).contains(&"Priya Shah".to_string()));
    assert_eq!(app.caseload().visible_count(), 6);
    assert!(
        screen(&t).contains("Whole team with ended (6)"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "e");
    assert_eq!(app.caseload().visible_count(), 5);
}
