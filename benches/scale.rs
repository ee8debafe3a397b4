//! Scale benchmark: how long casebook takes at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; each measurement prints one line, `name key=value ... seconds=S ...`, so
//! runs can be compared by eye or with grep. Add a measurement by calling `measure` again.

use std::time::Instant;

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::store::due::{self, DueScope};
use casebook::store::Store;
use chrono::NaiveDate;

/// Runs `f` once, timing it, and prints `name params seconds=S` followed by the
/// `key=value` pairs `f` reports.
fn measure(
    name: &str,
    params: &str,
    f: impl FnOnce() -> Result<Vec<(&'static str, String)>>,
) -> Result<()> {
    let started = Instant::now();
    let facts = f().with_context(|| format!("{name} failed"))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut line = format!("{name} {params} seconds={seconds:.2}");
    for (k, v) in facts {
        line.push_str(&format!(" {k}={v}"));
    }
    println!("{line}");
    Ok(())
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
    let now = today.and_hms_opt(12, 0, 0).context("noon")?.and_utc();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("scale.db");
    let params = format!("people={people}");

    let mut store = Store::open(&path, &test_key())?;
    measure("demo.generate", &params, || {
        let s = generate(&mut store, &DemoOptions { people, seed: 1 }, today, now)?;
        Ok(vec![
            ("episodes", s.episodes.to_string()),
            ("contacts", s.contacts.to_string()),
            ("risk_flags", s.risk_flags.to_string()),
            ("reviews", s.reviews.to_string()),
            ("outreach_tallies", s.outreach_tallies.to_string()),
        ])
    })?;
    // Closing the store checkpoints the write-ahead log into the file, so its size is real.
    drop(store);
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "demo.database {params} bytes={bytes} mib={:.1}",
        bytes as f64 / (1024.0 * 1024.0)
    );

    let store = Store::open(&path, &test_key())?;
    measure("due.load.open_episodes", &params, || {
        let inputs = due::load(&store, &DueScope::default(), &|_| None)?;
        Ok(vec![
            ("episodes", inputs.episodes.len().to_string()),
            ("flags", inputs.flags.len().to_string()),
            ("dnas", inputs.dnas.len().to_string()),
        ])
    })?;
    let cal = casebook::domain::calendar::Calendar::embedded();
    let codes = casebook::domain::codes::CodeLists::embedded();
    for (label, horizon) in [
        ("due.list.team_28_days", Some(28)),
        ("due.list.team_all", None),
    ] {
        measure(label, &params, || {
            let filter = casebook::due::DueFilter {
                horizon_days: horizon,
                ..Default::default()
            };
            let entries = casebook::due::due_list(&store, &cal, &codes, today, &filter)?;
            Ok(vec![("entries", entries.len().to_string())])
        })?;
    }
    // One worker's own list: what an outreach worker opens most often.
    let worker = casebook::store::people::workers(&store)?
        .into_iter()
        .find(|w| w.has(casebook::domain::record::Role::Outreach))
        .context("the demo has outreach workers")?;
    measure("due.list.one_worker", &params, || {
        let filter = casebook::due::DueFilter {
            worker_id: Some(worker.id.clone()),
            horizon_days: Some(28),
            ..Default::default()
        };
        let entries = casebook::due::due_list(&store, &cal, &codes, today, &filter)?;
        Ok(vec![("entries", entries.len().to_string())])
    })?;
    Ok(())
}

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
