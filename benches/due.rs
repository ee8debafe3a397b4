//! Due-list and risk flags screens at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; the app is driven through its real event handling and drawn into a 120×40
//! test backend. Each measurement prints one line, `name key=value ...`. Run with
//! `cargo bench --bench due` (a `[[bench]] name = "due" harness = false` entry).

mod support;

use support::{key, report, step};

use anyhow::{Context, Result};
use casebook::domain::record::Role;
use casebook::store::{people, Store};
use casebook::tui::due_list::Board;
use casebook::tui::{App, Theme, TuiContext};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::Terminal;

fn shown(app: &App) -> usize {
    match app.board() {
        Some(Board::Due(s)) => s.shown().count(),
        Some(Board::Flags(s)) => s.rows().len(),
        _ => 0,
    }
}

fn main() -> Result<()> {
    let db = support::bench_db("due")?;
    let (clock, params) = (db.clock, db.params.clone());
    let store = Store::open(&db.path, &test_key())?;
    let worker = people::workers(&store)?
        .into_iter()
        .find(|w| w.has(Role::Duty))
        .context("the demo team has a duty worker")?;
    let mut app = App::new(
        store,
        TuiContext {
            clock,
            worker,
            config_dir: None,
        },
    )?
    .with_theme(Theme::coloured());
    let mut t = Terminal::new(TestBackend::new(120, 40))?;
    t.draw(|f| app.draw(f))?;
    app.load_dues();

    // Opening the due-list: the whole service's list worked out once, then drawn.
    let times = vec![step(&mut app, &mut t, key(KeyCode::Char('D')))?];
    report(
        "due.open_due_list",
        &format!("{params} mine={}", shown(&app)),
        &times,
    );
    // Whole team.
    let times = vec![step(&mut app, &mut t, key(KeyCode::Char('t')))?];
    report(
        "due.whose_change",
        &format!("{params} team={}", shown(&app)),
        &times,
    );
    let team = shown(&app);

    let mut times = Vec::new();
    for _ in 0..200 {
        times.push(step(&mut app, &mut t, key(KeyCode::Down))?);
    }
    report("due.scroll_step", &format!("{params} shown={team}"), &times);
    let mut times = Vec::new();
    for _ in 0..50 {
        times.push(step(&mut app, &mut t, key(KeyCode::PageDown))?);
    }
    times.push(step(&mut app, &mut t, key(KeyCode::Char('G')))?);
    report("due.page_step", &format!("{params} shown={team}"), &times);

    let mut times = Vec::new();
    for _ in 0..6 {
        times.push(step(&mut app, &mut t, key(KeyCode::Char('i')))?);
    }
    report("due.kind_change", &format!("{params} shown={team}"), &times);
    let mut times = Vec::new();
    for _ in 0..4 {
        times.push(step(&mut app, &mut t, key(KeyCode::Char('t')))?);
    }
    report(
        "due.whose_change",
        &format!("{params} shown={team}"),
        &times,
    );

    // As of a week on: the list worked out again for that date.
    step(&mut app, &mut t, key(KeyCode::Char('a')))?;
    for c in "+7d".chars() {
        step(&mut app, &mut t, key(KeyCode::Char(c)))?;
    }
    let times = vec![step(&mut app, &mut t, key(KeyCode::Enter))?];
    report("due.as_of_change", &params, &times);

    // The flags screen.
    step(&mut app, &mut t, key(KeyCode::Esc))?;
    let times = vec![step(&mut app, &mut t, key(KeyCode::Char('F')))?];
    report(
        "due.open_flags",
        &format!("{params} active={}", shown(&app)),
        &times,
    );
    let mut times = Vec::new();
    for _ in 0..200 {
        times.push(step(&mut app, &mut t, key(KeyCode::Down))?);
    }
    report("due.flags_scroll_step", &params, &times);
    let times = vec![step(&mut app, &mut t, key(KeyCode::Enter))?];
    report("due.flag_history", &params, &times);
    Ok(())
}

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
