//! Terminal UI benchmark: how the caseload feels at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; the app is then driven through its real event handling and drawn into a
//! 120×40 test backend. Each measurement prints one line, `name key=value ... seconds=S`.
//! Run with `cargo bench --bench tui` (a `[[bench]] name = "tui" harness = false` entry).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::clock::Clock;
use casebook::domain::record::Role;
use casebook::store::{caseload, people, Store};
use casebook::tui::{App, Theme, TuiContext};
use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Handles one event and draws the frame that follows it, as the loop does; returns how long
/// the two took.
fn step(app: &mut App, t: &mut Terminal<TestBackend>, ev: Event) -> Result<Duration> {
    let started = Instant::now();
    app.handle_event(ev);
    t.draw(|f| app.draw(f))?;
    Ok(started.elapsed())
}

fn report(name: &str, params: &str, times: &[Duration]) {
    let n = times.len().max(1) as f64;
    let total: f64 = times.iter().map(Duration::as_secs_f64).sum();
    let max = times.iter().map(Duration::as_secs_f64).fold(0.0, f64::max);
    println!(
        "{name} {params} steps={} mean_ms={:.2} max_ms={:.2}",
        times.len(),
        total / n * 1000.0,
        max * 1000.0
    );
}

fn main() -> Result<()> {
    let people: usize = match std::env::var("CASEBOOK_BENCH_PEOPLE") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("CASEBOOK_BENCH_PEOPLE: expected a number, got {v:?}"))?,
        Err(_) => 100_000,
    };
    // Fixed dates: the bench must not depend on the real date either.
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let dir = tempfile::tempdir()?;
    // CASEBOOK_BENCH_DB=PATH keeps the generated database there and reuses it next time.
    let path = std::env::var_os("CASEBOOK_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("tui.db"));
    let params = format!("people={people}");

    let started = Instant::now();
    if !path.exists() {
        let mut store = Store::open(&path)?;
        generate(
            &mut store,
            &DemoOptions { people, seed: 1 },
            today,
            clock.now(),
        )?;
    }
    println!(
        "tui.setup {params} seconds={:.2} (demo data, not part of the UI)",
        started.elapsed().as_secs_f64()
    );

    let store = Store::open(&path)?;
    let started = Instant::now();
    let rows = caseload::caseload(&store)?.len();
    println!(
        "tui.caseload_query {params} rows={rows} seconds={:.3}",
        started.elapsed().as_secs_f64()
    );
    let worker = people::workers(&store)?
        .into_iter()
        .find(|w| w.role == Role::Duty)
        .context("the demo team has a duty worker")?;

    // Time to first frame: open the database, load the caseload, draw; then work out what is
    // due (the loop does that straight after the first frame) and draw again.
    drop(store);
    let started = Instant::now();
    let store = Store::open(&path)?;
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
