//! What the UI benchmarks share: one demo database (generated, or reused from
//! `CASEBOOK_BENCH_DB`), and a step that handles one event and draws the frame after it.

#![allow(dead_code)] // each bench uses the part it needs

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::clock::Clock;
use casebook::store::Store;
use casebook::tui::App;
use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

/// A demo database of `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) on a fixed date.
pub struct BenchDb {
    /// Keeps a generated database's folder alive for the bench.
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: Clock,
    /// `people=N`, for each measurement line.
    pub params: String,
}

/// Generates the database (or, with `CASEBOOK_BENCH_DB=PATH`, reuses the one kept there) and
/// prints `<name>.setup` with how long that took.
pub fn bench_db(name: &str) -> Result<BenchDb> {
    let people: usize = match std::env::var("CASEBOOK_BENCH_PEOPLE") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("CASEBOOK_BENCH_PEOPLE: expected a number, got {v:?}"))?,
        Err(_) => 100_000,
    };
    // Fixed dates: a bench must not depend on the real date either.
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let dir = tempfile::tempdir()?;
    let path = std::env::var_os("CASEBOOK_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join(format!("{name}.db")));
    let params = format!("people={people}");
    let started = Instant::now();
    if !path.exists() {
        let mut store = Store::open(&path, &test_key())?;
        generate(
            &mut store,
            &DemoOptions { people, seed: 1 },
            today,
            clock.now(),
        )?;
    }
    println!(
        "{name}.setup {params} seconds={:.2} (demo data, not part of the UI)",
        started.elapsed().as_secs_f64()
    );
    Ok(BenchDb {
        _dir: dir,
        path,
        clock,
        params,
    })
}

/// A key press as a terminal sends it (Shift with capital letters).
pub fn key(c: KeyCode) -> Event {
    let mods = match c {
        KeyCode::Char(ch) if ch.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Event::Key(KeyEvent::new(c, mods))
}

/// Handles one event and draws the frame that follows it, as the loop does; returns how long
/// the two took.
pub fn step(app: &mut App, t: &mut Terminal<TestBackend>, ev: Event) -> Result<Duration> {
    let started = Instant::now();
    app.handle_event(ev);
    t.draw(|f| app.draw(f))?;
    Ok(started.elapsed())
}

/// Prints one measurement line: mean and worst step in milliseconds.
pub fn report(name: &str, params: &str, times: &[Duration]) {
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

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
pub fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
