//! Due-list and risk flags screens at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; the app is driven through its real event handling and drawn into a 120×40
//! test backend. Each measurement prints one line, `name key=value ...`. Run with
//! `cargo bench --bench due` (a `[[bench]] name = "due" harness = false` entry).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::clock::Clock;
use casebook::domain::record::Role;
use casebook::store::{people, Store};
use casebook::tui::due_list::Board;
use casebook::tui::{App, Theme, TuiContext};
use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

fn key(c: KeyCode) -> Event {
    let mods = match c {
        KeyCode::Char(ch) if ch.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Event::Key(KeyEvent::new(c, mods))
}

/// Handles one event and draws the frame that follows, as the loop does.
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

fn shown(app: &App) -> usize {
    match app.board() {
        Some(Board::Due(s)) => s.shown().count(),
        Some(Board::Flags(s)) => s.rows().len(),
        _ => 0,
    }
}

fn main() -> Result<()> {
    let people: usize = match std::env::var("CASEBOOK_BENCH_PEOPLE") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("CASEBOOK_BENCH_PEOPLE: expected a number, got {v:?}"))?,
        Err(_) => 100_000,
    };
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let dir = tempfile::tempdir()?;
    // CASEBOOK_BENCH_DB=PATH keeps the generated database there and reuses it next time.
    let path = std::env::var_os("CASEBOOK_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("due.db"));
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
        "due.setup {params} seconds={:.2} (demo data, not part of the UI)",
        started.elapsed().as_secs_f64()
    );

    let store = Store::open(&path)?;
    let worker = people::workers(&store)?
        .into_iter()
        .find(|w| w.role == Role::Duty)
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
