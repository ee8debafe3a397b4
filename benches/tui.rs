//! Terminal UI benchmark: how the caseload feels at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; the app is then driven through its real event handling and drawn into a
//! 120×40 test backend. Each measurement prints one line, `name key=value ... seconds=S`.
//! Run with `cargo bench --bench tui` (a `[[bench]] name = "tui" harness = false` entry).

mod support;

use support::{key, report, step};

use std::time::Instant;

use anyhow::{Context, Result};
use casebook::domain::record::Role;
use casebook::store::{caseload, people, Store};
use casebook::tui::{App, Theme, TuiContext};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::Terminal;

fn main() -> Result<()> {
    let db = support::bench_db("tui")?;
    let (clock, params) = (db.clock, db.params.clone());
    let store = Store::open(&db.path, &test_key())?;
    let started = Instant::now();
    let rows = caseload::caseload(&store)?.len();
    println!(
        "tui.caseload_query {params} rows={rows} seconds={:.3}",
        started.elapsed().as_secs_f64()
    );
    let worker = people::workers(&store)?
        .into_iter()
        .find(|w| w.has(Role::Duty))
        .context("the demo team has a duty worker")?;

    // Time to first frame: open the database, load the caseload, draw; then work out what is
    // due (the loop does that straight after the first frame) and draw again.
    drop(store);
    let started = Instant::now();
    let store = Store::open(&db.path, &test_key())?;
    let mut app = App::new(
        store,
        TuiContext {
            clock,
            worker,
            config_dir: None,
            db_path: None,
        },
    )?
    .with_theme(Theme::coloured());
    let mut t = Terminal::new(TestBackend::new(120, 40))?;
    t.draw(|f| app.draw(f))?;
    println!(
        "tui.first_frame {params} seconds={:.3}",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    app.load_dues();
    t.draw(|f| app.draw(f))?;
    println!(
        "tui.next_due_filled {params} seconds={:.3} (after the first frame)",
        started.elapsed().as_secs_f64()
    );

    // The whole team: every young person in the table.
    step(&mut app, &mut t, key(KeyCode::Char('t')))?;
    let shown = app.caseload().visible_count();

    let mut times = Vec::new();
    for _ in 0..200 {
        times.push(step(&mut app, &mut t, key(KeyCode::Down))?);
    }
    report(
        "tui.scroll_step",
        &format!("{params} shown={shown}"),
        &times,
    );

    let mut times = Vec::new();
    for _ in 0..50 {
        times.push(step(&mut app, &mut t, key(KeyCode::PageDown))?);
    }
    times.push(step(&mut app, &mut t, key(KeyCode::Char('G')))?);
    report("tui.page_step", &format!("{params} shown={shown}"), &times);

    let mut times = Vec::new();
    for _ in 0..8 {
        times.push(step(&mut app, &mut t, key(KeyCode::Char('s')))?);
    }
    report(
        "tui.sort_change",
        &format!("{params} shown={shown}"),
        &times,
    );

    // Filtering as the worker types a name, then deletes it again.
    step(&mut app, &mut t, key(KeyCode::Char('/')))?;
    let mut times = Vec::new();
    for c in "jade fik".chars() {
        times.push(step(&mut app, &mut t, key(KeyCode::Char(c)))?);
    }
    let matched = app.caseload().visible_count();
    report(
        "tui.filter_keystroke",
        &format!("{params} typed=\"jade fik\" matched={matched}"),
        &times,
    );
    let mut times = Vec::new();
    for _ in 0..8 {
        times.push(step(&mut app, &mut t, key(KeyCode::Backspace))?);
    }
    report("tui.filter_backspace", &params, &times);
    step(&mut app, &mut t, key(KeyCode::Esc))?;

    let times = vec![step(&mut app, &mut t, key(KeyCode::Enter))?];
    report("tui.open_case", &params, &times);
    Ok(())
}

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
