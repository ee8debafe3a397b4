//! The dashboard's KPI panel and the export screen driven by keys through the real loop, on a
//! hand-made caseload and a fixed clock: Wednesday 27 August 2025 (2025-26 Q2; Monday 25
//! August was the summer bank holiday).
//!
//! 2025-26 Q2 holds four referrals: two triaged within 2 working days, one late, one referred
//! yesterday and not yet triaged (pending) — KPI 2a is 2/3 = 66.7%, behind its 95% target.
//! Q1 holds one referral, triaged the next day — 1/1 = 100%.

mod tui_support;

use casebook::domain::clock::Clock;
use casebook::domain::record::{Episode, Role, Worker, YoungPerson};
use casebook::store::{people, records, Store};
use casebook::tui::due_list::Board;
use casebook::tui::{App, Theme, TuiContext};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use tui_support::{d, keys, screen, terminal};

const TODAY: &str = "2025-08-27";

fn clock() -> Clock {
    Clock::fixed(d(TODAY))
}

fn person(store: &mut Store, actor: &str, given: &str, reference: &str, ep: Episode) {
    store
        .write(actor, clock().now(), |tx| {
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
            records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp,
                    ..ep
                },
            )?;
            Ok(())
        })
        .unwrap();
}

fn referral(on: &str, triaged: Option<&str>) -> Episode {
    Episode {
        referral_date: d(on),
        triage_date: triaged.map(d),
        first_contact_date: triaged.map(d),
        triage_outcome: triaged.map(|_| "brief_intervention".into()),
        ..Default::default()
    }
}

fn fixture() -> (Store, Worker) {
    let mut store = Store::open_in_memory().unwrap();
    let kim =
        people::ensure_worker(&mut store, "Kim Keyworker", Role::Duty, clock().now()).unwrap();
    let k = kim.id.clone();
    // Monday referral, triaged Tuesday: met.
    person(
        &mut store,
        &k,
        "Anna",
        "YP-AAAA-0001",
        referral("2025-07-07", Some("2025-07-08")),
    );
    // Monday referral, triaged Wednesday, the 2nd working day: met.
    person(
        &mut store,
        &k,
        "Ben",
        "YP-BBBB-0002",
        referral("2025-07-14", Some("2025-07-16")),
    );
    // Monday referral, triaged a week later: not met.
    person(
        &mut store,
        &k,
        "Cara",
        "YP-CCCC-0003",
        referral("2025-07-21", Some("2025-07-28")),
    );
    // Referred yesterday, not yet triaged; due tomorrow: pending.
    person(
        &mut store,
        &k,
        "Dev",
        "YP-DDDD-0004",
        referral("2025-08-26", None),
    );
    // 2025-26 Q1: triaged the next day.
    person(
        &mut store,
        &k,
        "Esi",
        "YP-EEEE-0005",
        referral("2025-05-06", Some("2025-05-07")),
    );
    (store, kim)
}

fn app(store: Store, kim: &Worker, theme: Theme) -> App {
    App::new(
        store,
        TuiContext {
            clock: clock(),
            worker: kim.clone(),
            config_dir: None,
            db_path: None,
        },
    )
    .unwrap()
    .with_theme(theme)
}

fn run(app: &mut App, t: &mut Terminal<TestBackend>, script: &str) {
    app.run_loop(t, keys(script)).unwrap();
}

/// The screen line holding `needle`.
fn line_with(s: &str, needle: &str) -> String {
    s.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{s}"))
        .to_string()
}

/// The screen with wrapped lines joined again (each body line starts one column in).
fn unwrapped(s: &str) -> String {
    s.replace("\n ", "").replace('\n', "")
}

#[test]
fn kpi_panel_shows_2a_behind_target_with_pending() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(100, 30);
    run(&mut a, &mut t, "MK");
    let s = screen(&t);
    assert!(s.contains("Southampton KPIs 2025-26 Q2"), "{s}");
    let row = line_with(&s, "2a ");
    assert!(row.contains("66.7%"), "{row}");
    assert!(row.contains("95%"), "{row}");
    assert!(row.contains("2/3"), "{row}");
    assert!(row.starts_with('✗'), "behind target is marked: {row}");
    assert!(row.trim_end().ends_with(|c: char| "▁▂▃▄▅▆▇█·".contains(c)));
    // Pending: Dev, referred yesterday.
    let cols: Vec<&str> = row.split_whitespace().collect();
    let at = cols.iter().position(|c| *c == "2/3").unwrap();
    assert_eq!(cols[at + 1], "1", "one pending: {row}");
    // Colour as well as the symbol.
    let y = s.lines().position(|l| l.contains("2a ")).unwrap() as u16;
    assert_eq!(t.backend().buffer()[(0, y)].fg, Color::Red);
    // The dashboard holds the computed figures.
    let Some(Board::Dashboard(dash)) = a.board() else {
        panic!("dashboard not open")
    };
    let panel = dash.kpis().expect("KPI panel computed");
    let f = &panel.figures()[0];
    assert_eq!(f.measure, "kpi.2a");
    assert_eq!(f.behind(), Some(true));
    // The trend's last quarter is this one; Q1 had 1/1.
    let trend = panel.trend("kpi.2a");
    assert_eq!(trend.len(), 4);
    assert_eq!(trend[3].1.to_text(), "66.7");
    assert_eq!(trend[2].1.to_text(), "100.0");
}

#[test]
fn without_colour_behind_target_is_still_marked() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::plain());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, "MK");
    let s = screen(&t);
    let row = line_with(&s, "2a ");
    assert!(row.starts_with('✗'), "{row}");
    assert_eq!(t.backend().buffer()[(0, 4)].fg, Color::Reset);
}

#[test]
fn enter_lists_the_young_people_behind_2a() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, "MK<Enter>");
    let s = screen(&t);
    assert!(s.contains("Met — in the numerator (2)"), "{s}");
    assert!(s.contains("Not met — in the denominator only (1)"), "{s}");
    assert!(s.contains("Pending — deadline not yet passed (1)"), "{s}");
    let Some(Board::Dashboard(dash)) = a.board() else {
        panic!("dashboard not open")
    };
    let b = dash.kpis().unwrap().behind().expect("drill-down open");
    let refs = |rows: &[casebook::returns::ExplainRow]| {
        let mut r: Vec<String> = rows
            .iter()
            .map(|r| r.young_person_reference.clone())
            .collect();
        r.sort();
        r
    };
    assert_eq!(refs(&b.met), ["YP-AAAA-0001", "YP-BBBB-0002"]);
    assert_eq!(refs(&b.not_met), ["YP-CCCC-0003"]);
    assert_eq!(refs(&b.pending), ["YP-DDDD-0004"]);
    // Q1's young person is not behind Q2's figure.
    assert!(!s.contains("YP-EEEE-0005"), "{s}");
    let met = s.find("YP-AAAA-0001").unwrap();
    let not_met = s.find("Not met").unwrap();
    assert!(met < not_met, "Anna listed under met:\n{s}");
    // Esc goes back to the panel.
    run(&mut a, &mut t, "<Esc>");
    assert!(screen(&t).contains("Southampton KPIs 2025-26 Q2"));
}

#[test]
fn stepping_the_quarter_changes_the_figures() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, "MK[");
    let s = screen(&t);
    assert!(s.contains("Southampton KPIs 2025-26 Q1"), "{s}");
    let row = line_with(&s, "2a ");
    assert!(row.contains("100.0%") && row.contains("1/1"), "{row}");
    assert!(row.starts_with('✓'), "{row}");
    // Not past the current quarter.
    run(&mut a, &mut t, "]]]");
    let s = screen(&t);
    assert!(s.contains("Southampton KPIs 2025-26 Q2"), "{s}");
    assert!(line_with(&s, "2a ").contains("2/3"));
    run(&mut a, &mut t, "[[");
    let s = screen(&t);
    assert!(s.contains("Southampton KPIs 2024-25 Q4"), "{s}");
    assert!(line_with(&s, "2a ").contains("0/0"), "{s}");
}

#[test]
fn snapshot_kpi_panel() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, "MK");
    insta::assert_snapshot!("kpi_panel", screen(&t));
}

/// Opens the export screen with `E`, picks JSON and types `folder` as the output folder.
fn export_script(folder: &str) -> String {
    format!("Ejj<Enter>json<Enter><Tab>{}{folder}", "<BS>".repeat(400))
}

#[test]
fn export_screen_writes_json_and_shows_its_path() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("returns");
    run(
        &mut a,
        &mut t,
        &format!("{}<C-s>", export_script(out.to_str().unwrap())),
    );
    let file = out.join("southampton-2025-26-Q1.json");
    let text = std::fs::read_to_string(&file).expect("the JSON file is written");
    assert!(text.contains(r#""measure":"kpi.2a""#), "{text}");
    assert!(out.join("southampton-2025-26-Q1.manifest.json").exists());
    let s = screen(&t);
    assert!(s.contains("✓ Written:"), "{s}");
    assert!(unwrapped(&s).contains(file.to_str().unwrap()), "{s}");
    assert!(s.contains("SHA-256 of the figures"), "{s}");
    assert!(s.contains("writing 1/1"), "the stages are shown: {s}");
}

#[test]
fn export_to_a_folder_that_cannot_be_made_says_so_at_the_field() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = blocker.join("returns");
    run(
        &mut a,
        &mut t,
        &format!("{}<C-s>", export_script(out.to_str().unwrap())),
    );
    let s = screen(&t);
    assert!(s.contains("Cannot create the folder"), "{s}");
    assert!(s.contains("✗ Not exported"), "{s}");
    assert!(!out.exists());
    // A file given as the folder is refused before anything runs.
    let mut a2 = app(fixture().0, &kim, Theme::coloured());
    run(
        &mut a2,
        &mut t,
        &format!("{}<C-s>", export_script(blocker.to_str().unwrap())),
    );
    let s = screen(&t);
    assert!(s.contains("That is a file: give a folder"), "{s}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
}

#[test]
fn snapshot_export_screen() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, &export_script("/srv/casebook-returns"));
    insta::assert_snapshot!("export_screen", screen(&t));
}

#[test]
fn export_is_reachable_from_the_dashboard_and_esc_closes_it() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    run(&mut a, &mut t, "ME");
    let s = screen(&t);
    assert!(s.contains("Export a quarterly return"), "{s}");
    assert!(
        s.contains("2025-26 Q1"),
        "last completed quarter by default: {s}"
    );
    run(&mut a, &mut t, "<Esc>");
    assert!(screen(&t).contains("Dashboard · per worker"));
}

/// Opens the export screen, picks the Leicester return's section C (the quarter field's year,
/// 2025-26 by default), JSON and `folder`.
fn section_c_script(folder: &str) -> String {
    format!(
        "E<Enter>section<Enter><Esc>j<Enter>json<Enter><Tab>{}{folder}",
        "<BS>".repeat(400)
    )
}

#[test]
fn export_screen_writes_section_c_as_the_command_does() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("returns");
    run(
        &mut a,
        &mut t,
        &format!("{}<C-s>", section_c_script(out.to_str().unwrap())),
    );
    let file = out.join("leicester-C-2025-26.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("section C is written ({e}):\n{}", screen(&t)));
    // The same document `casebook export --return leicester --year 2025-26 --format json`
    // writes: section C counted for the year from 1 April 2025.
    let annual = casebook::returns::leicester_annual::compute(a.store(), 2025).unwrap();
    assert_eq!(text, format!("{}\n", annual.to_json().unwrap()));
    assert!(text.contains("2025-26"), "{text}");
    assert!(out.join("leicester-C-2025-26.manifest.json").exists());
    let s = screen(&t);
    assert!(s.contains("✓ Written:"), "{s}");
    assert!(unwrapped(&s).contains(file.to_str().unwrap()), "{s}");
}

#[test]
fn section_c_for_a_year_not_started_is_refused_at_the_field() {
    let (store, kim) = fixture();
    let mut a = app(store, &kim, Theme::coloured());
    let mut t = terminal(80, 24);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("returns");
    run(
        &mut a,
        &mut t,
        &format!(
            "E<Enter>section<Enter>{}2026-27<Esc><C-s>",
            "<BS>".repeat(20)
        ),
    );
    let s = screen(&t);
    assert!(s.contains("2026-27 has not started yet"), "{s}");
    assert!(!s.contains("Written"), "nothing written: {s}");
    assert!(!out.exists());
}
