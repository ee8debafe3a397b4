//! The due-list, risk flags and dashboard screens driven by keys through the real loop, on a
//! hand-made caseload and a fixed clock: Wednesday 27 August 2025 (Monday 25 August was the
//! summer bank holiday).

mod tui_support;

use casebook::domain::clock::Clock;
use casebook::domain::clocks::DueKind;
use casebook::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Role, Worker, YoungPerson};
use casebook::domain::urgency::DueGroup;
use casebook::store::{people, records, Store};
use casebook::tui::due_list::{Board, Whose};
use casebook::tui::{App, StatusKind, Theme, TuiContext};
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use tui_support::{d, keys, screen, terminal};

const TODAY: &str = "2025-08-27";

struct Fx {
    store: Store,
    kim: Worker,
}

fn person(
    store: &mut Store,
    actor: &str,
    given: &str,
    reference: &str,
    ep: Episode,
    flag: Option<(RiskLevel, &str)>,
) -> String {
    let now = Clock::fixed(d(TODAY)).now();
    store
        .write(actor, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    reference: reference.into(),
                    given_name: given.into(),
                    family_name: "Fixture".into(),
                    date_of_birth: Some(d("2009-01-15")),
                    ..Default::default()
                },
            )?;
            let start = ep.treatment_start;
            let ep_id = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    ..ep
                },
            )?;
            if let Some(start) = start {
                records::add_outcome_profile(tx, &ep_id, start, "start")?;
            }
            if let Some((level, review)) = flag {
                records::raise_flag(
                    tx,
                    &RiskFlag {
                        id: String::new(),
                        young_person_id: yp.clone(),
                        episode_id: Some(ep_id),
                        flag_type: "self_harm".into(),
                        level,
                        raised_by: actor.into(),
                        raised_on: d("2025-05-01"),
                        action: "Safety plan".into(),
                        review_date: Some(d(review)),
                        closed_on: None,
                        closed_by: None,
                        close_reason: None,
                    },
                )?;
            }
            Ok(yp)
        })
        .unwrap()
}

fn assessed(referral: &str, assessment: &str, worker: &str) -> Episode {
    Episode {
        referral_date: d(referral),
        triage_date: Some(d(referral)),
        triage_outcome: Some("comprehensive_assessment".into()),
        first_contact_date: Some(d(referral)),
        assessment_date: Some(d(assessment)),
        treatment_start: Some(d(assessment)),
        care_plan_date: Some(d(assessment)),
        key_worker_id: Some(worker.into()),
        ..Default::default()
    }
}

/// Kim (the worker using the app) and Ola; six young people.
fn fixture() -> Fx {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d(TODAY)).now();
    let kim = people::ensure_worker(&mut store, "Kim Keyworker", Role::Outreach, now).unwrap();
    let ola = people::ensure_worker(&mut store, "Ola Other", Role::Duty, now).unwrap();
    // Anna: referred Friday 22 Aug; with the bank holiday, triage is due today.
    let anna = Episode {
        referral_date: d("2025-08-22"),
        key_worker_id: Some(kim.id.clone()),
        ..Default::default()
    };
    person(
        &mut store,
        &kim.id,
        "Anna",
        "YP-AAAA-0001",
        anna,
        Some((RiskLevel::High, "2025-09-30")),
    );
    // Ben: Ola's, referred Monday 18 Aug: triage 4 working days overdue, no flag.
    let ben = Episode {
        referral_date: d("2025-08-18"),
        key_worker_id: Some(ola.id.clone()),
        ..Default::default()
    };
    person(&mut store, &kim.id, "Ben", "YP-BBBB-0002", ben, None);
    // Cara: review due 20 Aug, 7 days late, high risk (7 + 10 = 17).
    person(
        &mut store,
        &kim.id,
        "Cara",
        "YP-CCCC-0003",
        assessed("2025-05-21", "2025-05-28", &kim.id),
        Some((RiskLevel::High, "2025-09-30")),
    );
    // Dev: review due 19 Aug, 8 days late, low risk (8).
    person(
        &mut store,
        &kim.id,
        "Dev",
        "YP-DDDD-0004",
        assessed("2025-05-20", "2025-05-27", &kim.id),
        Some((RiskLevel::Low, "2025-09-30")),
    );
    // Eve: a medium flag to review on Monday 1 September: this week, overdue a week on.
    person(
        &mut store,
        &kim.id,
        "Eve",
        "YP-EEEE-0005",
        assessed("2025-08-11", "2025-08-18", &kim.id),
        Some((RiskLevel::Medium, "2025-09-01")),
    );
    // Fay: missed an appointment yesterday; the follow-up is open.
    let fay = person(
        &mut store,
        &kim.id,
        "Fay",
        "YP-FFFF-0006",
        assessed("2025-08-11", "2025-08-18", &kim.id),
        None,
    );
    store
        .write(&kim.id, now, |tx| {
            records::add_contact(
                tx,
                &Contact {
                    young_person_id: fay.clone(),
                    date: d("2025-08-26"),
                    contact_type: "face_to_face".into(),
                    did_not_attend: true,
                    dna_follow_up: Some("Phone her tomorrow".into()),
                    worker_id: Some(kim.id.clone()),
                    ..Default::default()
                },
            )
            .map(|_| ())
        })
        .unwrap();
    Fx { store, kim }
}

fn app_for(store: Store, worker: &Worker, theme: Theme) -> App {
    App::new(
        store,
        TuiContext {
            clock: Clock::fixed(d(TODAY)),
            worker: worker.clone(),
            config_dir: None,
            db_path: None,
        },
    )
    .unwrap()
    .with_theme(theme)
}

fn setup() -> (App, Terminal<TestBackend>) {
    let f = fixture();
    (
        app_for(f.store, &f.kim, Theme::coloured()),
        terminal(80, 24),
    )
}

fn run(app: &mut App, t: &mut Terminal<TestBackend>, script: &str) {
    app.run_loop(t, keys(script)).unwrap();
}

fn due(app: &App) -> &casebook::tui::due_list::DueListScreen {
    match app.board() {
        Some(Board::Due(s)) => s,
        _ => panic!("the due-list is not open"),
    }
}

fn flags(app: &App) -> &casebook::tui::flags::FlagsScreen {
    match app.board() {
        Some(Board::Flags(s)) => s,
        _ => panic!("the risk flags screen is not open"),
    }
}

/// (first name, kind, group) of each shown row.
fn shown(app: &App) -> Vec<(String, DueKind, DueGroup)> {
    due(app)
        .shown()
        .map(|e| {
            (
                e.name.split(' ').next().unwrap().to_string(),
                e.kind,
                e.group,
            )
        })
        .collect()
}

fn find(t: &Terminal<TestBackend>, needle: &str) -> (u16, u16) {
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut xs = Vec::new();
        for x in 0..buf.area.width {
            xs.push((line.len(), x));
            line.push_str(buf[(x, y)].symbol());
        }
        if let Some(i) = line.find(needle) {
            let x = xs.iter().rev().find(|(b, _)| *b <= i).map_or(0, |p| p.1);
            return (x, y);
        }
    }
    panic!("'{needle}' is not on the screen:\n{}", screen(t));
}

#[test]
fn due_list_groups_items_with_high_risk_lateness_first_and_says_why() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Dt");
    assert_eq!(due(&app).whose(), &Whose::Team);
    let rows = shown(&app);
    // Overdue by score: Cara (7 + high 10 = 17) above Dev (8, low), then Ben (4 wd).
    assert_eq!(
        rows[..3],
        [
            ("Cara".to_string(), DueKind::Review, DueGroup::Overdue),
            ("Dev".to_string(), DueKind::Review, DueGroup::Overdue),
            ("Ben".to_string(), DueKind::Triage, DueGroup::Overdue),
        ]
    );
    assert!(rows.contains(&("Anna".into(), DueKind::Triage, DueGroup::Today)));
    assert!(rows.contains(&("Eve".into(), DueKind::RiskFlagReview, DueGroup::ThisWeek)));
    assert!(rows.contains(&("Fay".into(), DueKind::DnaFollowUp, DueGroup::ThisWeek)));
    // Groups in order, each with its heading on screen.
    let groups: Vec<DueGroup> = due(&app).groups().iter().map(|g| g.0).collect();
    assert_eq!(groups, DueGroup::ALL.to_vec());
    let s = screen(&t);
    assert!(s.contains("── overdue (3) ──"), "{s}");
    assert!(s.contains("── today (1)"), "{s}");
    // The first row is selected and its reason is in the footer.
    assert!(
        s.contains("why: 7 days overdue + high risk (+10) = 17 · care plan review"),
        "{s}"
    );
    assert!(s.contains("4wd late"), "{s}");
    // Moving down shows the next row's reason.
    run(&mut app, &mut t, "j");
    assert!(
        screen(&t).contains("why: 8 days overdue; low risk"),
        "{}",
        screen(&t)
    );
}

#[test]
fn due_list_filters_mine_team_one_worker_and_kind() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "D");
    assert_eq!(due(&app).whose(), &Whose::Mine);
    let mine = shown(&app);
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|r| r.0 != "Ben"), "Ben is Ola's: {mine:?}");
    run(&mut app, &mut t, "t");
    assert!(shown(&app).iter().any(|r| r.0 == "Ben"));
    run(&mut app, &mut t, "t");
    assert_eq!(due(&app).whose(), &Whose::Worker("Ola Other".into()));
    assert_eq!(
        shown(&app),
        vec![("Ben".to_string(), DueKind::Triage, DueGroup::Overdue)]
    );
    assert!(screen(&t).contains("whose: Ola Other"), "{}", screen(&t));
    run(&mut app, &mut t, "t");
    assert_eq!(due(&app).whose(), &Whose::Mine);
    // Team, then the first kind present: triage.
    run(&mut app, &mut t, "ti");
    assert_eq!(due(&app).kind(), Some(DueKind::Triage));
    let names: Vec<String> = shown(&app).into_iter().map(|r| r.0).collect();
    assert_eq!(names, vec!["Ben", "Anna"]);
    assert!(screen(&t).contains("item: triage"), "{}", screen(&t));
}

#[test]
fn as_of_a_week_on_moves_a_flag_review_from_this_week_to_overdue() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Dt");
    let eve = |app: &App| {
        shown(app)
            .into_iter()
            .find(|r| r.0 == "Eve" && r.1 == DueKind::RiskFlagReview)
            .unwrap()
            .2
    };
    assert_eq!(eve(&app), DueGroup::ThisWeek);
    // A bad date says what is expected and changes nothing.
    run(&mut app, &mut t, "asoon<Enter>");
    assert!(
        screen(&t).contains("'soon' is not a date"),
        "{}",
        screen(&t)
    );
    assert_eq!(due(&app).as_of(), d(TODAY));
    run(&mut app, &mut t, "<BS><BS><BS><BS>+7d<Enter>");
    assert_eq!(due(&app).as_of(), d("2025-09-03"));
    assert_eq!(eve(&app), DueGroup::Overdue);
    assert!(
        screen(&t).contains("as of 03/09/2025 (not today)"),
        "{}",
        screen(&t)
    );
    // And back with an absolute date.
    run(&mut app, &mut t, "a2025-08-27<Enter>");
    assert_eq!(eve(&app), DueGroup::ThisWeek);
}

#[test]
fn enter_opens_the_form_of_the_item() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Dt");
    let pos = |app: &App, name: &str, kind: DueKind| {
        shown(app)
            .iter()
            .position(|r| r.0 == name && r.1 == kind)
            .unwrap()
    };
    // A flag review opens the flag review form.
    let n = pos(&app, "Eve", DueKind::RiskFlagReview);
    run(&mut app, &mut t, &format!("{}<Enter>", "j".repeat(n)));
    let form = app.form().expect("the review form");
    assert_eq!(form.name, "Review a risk flag");
    assert!(form.title.contains("Eve Fixture"), "{}", form.title);
    run(&mut app, &mut t, "<Esc><Esc>");
    assert!(app.form().is_none());
    assert!(app.board().is_some(), "back on the due-list");
    // A missed appointment opens the contact form over Fay's case.
    run(&mut app, &mut t, "g");
    let n = pos(&app, "Fay", DueKind::DnaFollowUp);
    run(&mut app, &mut t, &format!("{}<Enter>", "j".repeat(n)));
    assert_eq!(app.form().unwrap().name, "New contact");
    assert_eq!(app.case().unwrap().model.person.given_name, "Fay");
    run(&mut app, &mut t, "<Esc><Esc><Esc>");
    assert!(app.case().is_none());
    // Cara's overdue review opens the review form over her case.
    run(&mut app, &mut t, "g");
    let n = pos(&app, "Cara", DueKind::Review);
    run(&mut app, &mut t, &format!("{}<Enter>", "j".repeat(n)));
    assert_eq!(app.case().unwrap().model.person.given_name, "Cara");
    let form = app.form().expect("the review form");
    assert!(form.name.to_lowercase().contains("review"), "{}", form.name);
    run(&mut app, &mut t, "<Esc><Esc><Esc>");
    assert!(app.form().is_none());
    // A triage that is due opens the triage form over Ben's case.
    run(&mut app, &mut t, "g");
    let n = pos(&app, "Ben", DueKind::Triage);
    run(&mut app, &mut t, &format!("{}<Enter>", "j".repeat(n)));
    assert_eq!(app.case().unwrap().model.person.given_name, "Ben");
    let form = app.form().expect("the triage form");
    assert!(form.name.to_lowercase().contains("triage"), "{}", form.name);
}

#[test]
fn a_flag_is_raised_reviewed_changed_and_resolved_through_keys() {
    let (mut app, mut t) = setup();
    // Raise from Ben's case view (reached from the due-list).
    run(&mut app, &mut t, "Dt");
    let n = shown(&app).iter().position(|r| r.0 == "Ben").unwrap();
    run(&mut app, &mut t, &format!("{}<Enter>", "j".repeat(n)));
    assert_eq!(app.case().unwrap().model.person.given_name, "Ben");
    // Ben's item is his triage: its form opens over the case; close it to raise a flag.
    if app.form().is_some() {
        run(&mut app, &mut t, "<Esc><Esc>");
    }
    assert!(app.form().is_none());
    run(
        &mut app,
        &mut t,
        "!self<Enter>high<Enter>Daily check-in<Tab>+14d<Tab><C-s>",
    );
    let st = app.status().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}\n{}", st.text, screen(&t));
    assert_eq!(st.text, "Risk flag raised: high self harm");
    let ben_id = app.case().unwrap().model.person.id.clone();
    // High flags show in the caseload row (and the case header) at once.
    let row = app
        .caseload()
        .rows()
        .iter()
        .find(|r| r.young_person_id == ben_id)
        .unwrap();
    assert_eq!(row.highest_risk, Some(RiskLevel::High));

    // The flags screen: select Ben's flag, review it, change its level.
    run(&mut app, &mut t, "<Esc>F");
    let i = flags(&app)
        .rows()
        .iter()
        .position(|r| r.flag.young_person_id == ben_id)
        .unwrap();
    run(&mut app, &mut t, &"j".repeat(i));
    let flag_id = flags(&app).selected_flag().unwrap().flag.id.clone();
    assert_eq!(
        flags(&app).selected_flag().unwrap().flag.review_date,
        Some(d("2025-09-10"))
    );
    run(&mut app, &mut t, "vSpoke with mum.<Tab>+21d<Tab><C-s>");
    assert_eq!(
        app.status().unwrap().text,
        "Risk flag reviewed; next review 17/09/2025"
    );
    // Same level refused, then another accepted.
    run(&mut app, &mut t, "chigh<Enter>Calmer<Tab><C-s>");
    assert_eq!(app.status().unwrap().kind, StatusKind::Error);
    assert!(
        screen(&t).contains("New level: the flag is already high"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "med<Enter><C-s>");
    assert_eq!(
        app.status().unwrap().text,
        "Risk flag level changed from high to medium",
        "{}",
        screen(&t)
    );
    assert_eq!(
        flags(&app).selected_flag().unwrap().flag.id,
        flag_id,
        "the selection follows the flag"
    );
    // Its history, in full.
    run(&mut app, &mut t, "<Enter>");
    let h = flags(&app).history_text().unwrap();
    assert!(h[0].starts_with("27/08/2025 raised, high; review by 10/09/2025 — Kim Keyworker"));
    assert!(h
        .iter()
        .any(|l| l.contains("reviewed; review by 17/09/2025")));
    assert!(h.iter().any(|l| l == "    Spoke with mum."));
    assert!(h.iter().any(|l| l.contains("level changed to medium")));
    assert!(
        screen(&t).contains("level changed to medium"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "<Esc>");
    // Resolve: the flag leaves the active list; its history stays.
    run(&mut app, &mut t, "xMoved to a safe placement<Tab><C-s>");
    assert_eq!(app.status().unwrap().text, "Risk flag resolved: self harm");
    assert!(flags(&app).rows().iter().all(|r| r.flag.id != flag_id));
    // Every step is in risk_flag_events, with who did it.
    let kim = people::worker_by_name(app.store(), "Kim Keyworker")
        .unwrap()
        .unwrap()
        .id;
    let kinds: Vec<(String, String)> = records::flag_history(app.store(), &flag_id)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.worker_id))
        .collect();
    assert_eq!(
        kinds,
        ["raised", "reviewed", "level_changed", "resolved"]
            .map(|k| (k.to_string(), kim.clone()))
            .to_vec()
    );
    let f = records::flag(app.store(), &flag_id).unwrap().unwrap();
    assert_eq!(f.closed_on, Some(d(TODAY)));
    assert_eq!(f.close_reason.as_deref(), Some("Moved to a safe placement"));
    assert_eq!(f.level, RiskLevel::Medium);
}

#[test]
fn a_flag_form_with_nothing_filled_names_the_fields_and_writes_nothing() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Fx<C-s>");
    let st = app.status().unwrap();
    assert_eq!(st.kind, StatusKind::Error);
    assert!(st.text.contains("Reason"), "{}", st.text);
    assert_eq!(records::active_flags(app.store()).unwrap().len(), 4);
    let id = &flags(&app).selected_flag().unwrap().flag.id;
    assert_eq!(records::flag_history(app.store(), id).unwrap().len(), 1);
}

#[test]
fn snapshot_due_list() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Dt");
    insta::assert_snapshot!("due_list", screen(&t));
}

#[test]
fn snapshot_flags() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "F");
    insta::assert_snapshot!("flags", screen(&t));
}

#[test]
fn snapshot_dashboard() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "M");
    insta::assert_snapshot!("dashboard", screen(&t));
    // Enter: the selected worker's due-list.
    run(&mut app, &mut t, "j<Enter>");
    assert_eq!(due(&app).whose(), &Whose::Worker("Ola Other".into()));
}

#[test]
fn overdue_and_high_risk_cells_are_styled_and_readable_without_colour() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "Dt");
    let buf = t.backend().buffer();
    let (x, y) = find(&t, "7d late");
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&t, "high");
    assert_eq!(buf[(x, y)].fg, Color::Red);

    // NO_COLOR: no colour at all, the symbol and word still say it.
    let f = fixture();
    let mut app = app_for(f.store, &f.kim, Theme::plain());
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "F");
    let (x, y) = find(&t, "▲ high");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Reset);
    // Eve's review (1 September) is not overdue; nobody's is marked.
    assert!(!screen(&t).contains("!01/09/25"), "{}", screen(&t));
}
