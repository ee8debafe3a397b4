//! Returns benchmark: how long a quarterly export takes at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated with `demo::generate`
//! into a temporary database file; then each quarter of the financial year 2025-26 is exported
//! as the Southampton return (JSON and XLSX) and the Leicester return (JSON). One line per
//! measurement, `name key=value ... seconds=S`, so runs can be compared by eye or with grep.
//! Run with `cargo bench --bench returns` (registered with `harness = false`);
//! `CASEBOOK_BENCH_STAGES=1` also prints the time each progress stage is reached;
//! `CASEBOOK_BENCH_DB=PATH` keeps the generated database at PATH and reuses it on later runs;
//! `CASEBOOK_BENCH_OUT=FOLDER` keeps the exported returns.

use std::time::Instant;

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::codes::CodeLists;
use casebook::returns::{export, Format, Request, ReturnKind};
use casebook::store::Store;
use chrono::NaiveDate;

fn main() -> Result<()> {
    let people: usize = match std::env::var("CASEBOOK_BENCH_PEOPLE") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("CASEBOOK_BENCH_PEOPLE: expected a number, got {v:?}"))?,
        Err(_) => 100_000,
    };
    // Fixed dates: the bench never depends on the real date. The demo's two years end on the
    // last day of 2025-26, so every quarter of that year is full.
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let report_date = NaiveDate::from_ymd_opt(2026, 4, 1).context("a valid date")?;
    let now = today.and_hms_opt(12, 0, 0).context("noon")?.and_utc();
    let dir = tempfile::tempdir()?;
    // CASEBOOK_BENCH_DB=PATH keeps the generated database there and reuses it next time.
    let kept = std::env::var_os("CASEBOOK_BENCH_DB").map(std::path::PathBuf::from);
    let path = kept
        .clone()
        .unwrap_or_else(|| dir.path().join("returns.db"));

    let started = Instant::now();
    if kept.as_ref().is_some_and(|p| p.exists()) {
        println!("demo.reused path={}", path.display());
    } else {
        let mut store = Store::open(&path, &test_key())?;
        let s = generate(&mut store, &DemoOptions { people, seed: 1 }, today, now)?;
        println!(
            "demo.generate people={people} episodes={} seconds={:.2}",
            s.episodes,
            started.elapsed().as_secs_f64()
        );
    }

    // CASEBOOK_BENCH_STAGES=1 prints when each progress stage is reached.
    let show_stages = std::env::var_os("CASEBOOK_BENCH_STAGES").is_some();
    let store = Store::open(&path, &test_key())?;
    let calendar = Calendar::embedded();
    let codes = CodeLists::embedded();
    // CASEBOOK_BENCH_OUT=FOLDER keeps the exported returns there to look at.
    let out = std::env::var_os("CASEBOOK_BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("out"));
    let mut total = 0.0;
    for q in 1..=4 {
        let quarter = Quarter::new(2025, q).context("a quarter")?;
        for (kind, format) in [
            (ReturnKind::Southampton, Format::Json),
            (ReturnKind::Southampton, Format::Xlsx),
            (ReturnKind::Leicester, Format::Json),
        ] {
            let request = Request::new(kind, quarter, report_date);
            let file = out.join(format!(
                "{}-{}.{}",
                kind.code(),
                quarter.label().replace(' ', "-"),
                format.code()
            ));
            let started = Instant::now();
            let mut stages = 0usize;
            let written = export(
                &store,
                &calendar,
                &codes,
                &request,
                format,
                &file,
                &mut |st, d, t| {
                    stages += 1;
                    if show_stages {
                        println!("  {:.3} {st} {d}/{t}", started.elapsed().as_secs_f64());
                    }
                },
            )?;
            let seconds = started.elapsed().as_secs_f64();
            total += seconds;
            let bytes = std::fs::metadata(&written.files[0])?.len();
            println!(
                "returns.export people={people} return={} quarter={} format={} bytes={bytes} \
                 progress_calls={stages} seconds={seconds:.3}",
                kind.code(),
                quarter.label().replace(' ', "-"),
                format.code(),
            );
        }
    }
    println!("returns.export.year people={people} exports=12 seconds={total:.3}");
    Ok(())
}

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
