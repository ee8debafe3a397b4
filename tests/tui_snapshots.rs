//! The terminal UI drawn at 80×24 on a fixed clock and seeded demo data, compared with the
//! committed snapshots; and the cells where colour carries meaning, checked for their style
//! (a snapshot holds text only) on a small hand-made caseload.

mod tui_support;

use casebook::demo::{generate, DemoOptions};
use casebook::domain::record::Role;
use casebook::store::{people, Store};
use casebook::tui::{App, Theme};
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use tui_support::*;

fn setup() -> (App, Terminal<TestBackend>) {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    (app(store, &f.ama), terminal(80, 24))
}

/// Forty demo young people (seed 7), seen by the demo team's first duty worker.
fn demo() -> (App, Terminal<TestBackend>) {
    let mut store = Store::open_in_memory().unwrap();
    generate(
        &mut store,
        &DemoOptions {
            people: 40,
            seed: 7,
        },
        d(TODAY),
        clock().now(),
    )
    .unwrap();
    let duty = people::workers(&store)
        .unwrap()
        .into_iter()
        .find(|w| w.has(Role::Duty))
        .unwrap();
    (app(store, &duty), terminal(80, 24))
}

/// The position of the first cell whose text starts `needle` on the screen.
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
fn caseload_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(&mut app, &mut t, "");
    insta::assert_snapshot!("caseload", screen(&t));
    // Where colour carries meaning in that picture: the high-risk marker and an overdue date.
    let (x, y) = find(&t, "▲");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    let (x, y) = find(&t, "21/05 review");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    assert_eq!(t.backend().buffer()[(1, y)].symbol(), "!");
}

#[test]
fn whole_team_caseload_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(&mut app, &mut t, "t");
    insta::assert_snapshot!("caseload_team", screen(&t));
}

#[test]
fn case_view_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(&mut app, &mut t, "<Enter>");
    insta::assert_snapshot!("case_view", screen(&t));
    run(&mut app, &mut t, "<Tab>");
    insta::assert_snapshot!("case_view_timeline", screen(&t));
    run(&mut app, &mut t, "<Tab><Tab>");
    insta::assert_snapshot!("case_view_contacts", screen(&t));
}

#[test]
fn help_overlay_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(&mut app, &mut t, "?");
    insta::assert_snapshot!("help_caseload", screen(&t));
}

#[test]
fn command_palette_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(&mut app, &mut t, ":sort");
    insta::assert_snapshot!("palette_sort", screen(&t));
}

#[test]
fn contact_form_at_80_by_24() {
    let (mut app, mut t) = demo();
    run(
        &mut app,
        &mut t,
        "<Enter>c<Tab>14:30<Tab>face<Enter>50<Tab>",
    );
    insta::assert_snapshot!("contact_form", screen(&t));
    // Saving without the follow-up a did-not-attend needs: the message is at the field.
    run(&mut app, &mut t, "y<C-s>");
    insta::assert_snapshot!("contact_form_invalid", screen(&t));
}

#[test]
fn a_high_risk_marker_is_red_and_a_symbol() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "");
    let (x, y) = find(&t, "▲");
    let buf = t.backend().buffer();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    // The same row says "high" in words too.
    let (hx, hy) = find(&t, "high");
    assert_eq!(hy, y);
    assert_eq!(buf[(hx, hy)].fg, Color::Red);
}

#[test]
fn an_overdue_due_date_is_red_and_marked() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "");
    // Kwame's triage was due on 29/05 (two working days after 27/05); today is 02/06.
    let (x, y) = find(&t, "29/05 triage");
    let buf = t.backend().buffer();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert_eq!(
        buf[(1, y)].symbol(),
        "!",
        "the row is marked overdue by a symbol"
    );
    // A date not yet due is not red.
    run(&mut app, &mut t, "t");
    let (x, y) = find(&t, "04/06 triage");
    assert_ne!(t.backend().buffer()[(x, y)].fg, Color::Red);
    assert_eq!(t.backend().buffer()[(1, y)].symbol(), " ");
}

#[test]
fn an_overdue_clock_in_the_timeline_is_red() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "/zoe<Enter><Enter><Tab>");
    let (x, y) = find(&t, "! overdue");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    let (x, y) = find(&t, "✓ on time");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Green);
}

#[test]
fn no_color_means_no_colour_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama).with_theme(Theme::plain());
    let mut t = terminal(80, 24);
    for script in [
        "",
        "t",
        "/zoe<Enter><Enter>",
        "<Tab>",
        "<Tab>",
        "c",
        "<Esc>?",
    ] {
        run(&mut app, &mut t, script);
        let buf = t.backend().buffer();
        for cell in buf.content() {
            assert_eq!(
                cell.fg,
                Color::Reset,
                "colour after {script:?}:\n{}",
                screen(&t)
            );
            assert_eq!(cell.bg, Color::Reset, "colour after {script:?}");
        }
    }
    // The markers are still there without colour.
    run(&mut app, &mut t, "<Esc><Esc><Esc>");
    assert!(screen(&t).contains("▲!"), "{}", screen(&t));
}

#[test]
fn a_small_terminal_says_what_it_needs() {
    let (mut app, _) = setup();
    let mut t = terminal(50, 12);
    run(&mut app, &mut t, "");
    let s = screen(&t).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        s.contains("Terminal too small — need at least 60×16 (now 50×12)"),
        "{s}"
    );
}

#[test]
fn resizing_to_nothing_and_back_never_panics() {
    let (mut app, mut t) = setup();
    run(&mut app, &mut t, "/zoe<Enter><Enter>c");
    for (w, h) in [
        (0, 0),
        (1, 1),
        (80, 0),
        (0, 24),
        (59, 15),
        (60, 16),
        (200, 60),
        (80, 24),
    ] {
        t.backend_mut().resize(w, h);
        t.resize(ratatui::layout::Rect::new(0, 0, w, h)).unwrap();
        t.draw(|f| app.draw(f)).unwrap();
    }
    assert!(screen(&t).contains("New contact"));
    // Every overlay, drawn at the smallest usable size.
    t.backend_mut().resize(60, 16);
    t.resize(ratatui::layout::Rect::new(0, 0, 60, 16)).unwrap();
    run(&mut app, &mut t, "<Esc>?<Esc>:<Esc><Esc><Esc>?<Esc>");
    assert!(screen(&t).contains("My caseload"), "{}", screen(&t));
}

#[test]
fn the_first_frame_comes_before_the_due_dates_are_worked_out() {
    let (mut app, mut t) = setup();
    t.draw(|f| app.draw(f)).unwrap();
    let (x, y) = find(&t, "Kwame");
    let row: String = (x..80)
        .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
        .collect();
    assert!(row.contains(" … "), "the due column waits: {row}");
    app.load_dues();
    t.draw(|f| app.draw(f)).unwrap();
    assert!(screen(&t).contains("29/05 triage"), "{}", screen(&t));
}
