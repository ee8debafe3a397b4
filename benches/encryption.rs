//! The cost of encryption: the same work on a plain and on an encrypted (SQLCipher) file.
//!
//! Two files get the same demo casework (`CASEBOOK_BENCH_PEOPLE`, default 5,000, seed 1). Each
//! step opens the file afresh (keying it, for the encrypted one), reads the whole caseload and
//! works out the service's due-list, as starting casebook and opening the due-list do. Prints
//! one line per file and the ratio. Run with `cargo bench --bench encryption`.

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::clock::Clock;
use casebook::due::{due_list, DueFilter};
use casebook::store::{caseload, Store};
use chrono::NaiveDate;

const STEPS: usize = 5;

fn work(open: &dyn Fn() -> Result<Store>, clock: &Clock) -> Result<(Duration, usize)> {
    let cal = casebook::config::load_calendar(None)?;
    let codes = casebook::config::load_codes(None)?;
    let started = Instant::now();
    let store = open()?;
    let rows = caseload::caseload(&store)?.len();
    let due = due_list(&store, &cal, &codes, clock.today(), &DueFilter::default())?.len();
    Ok((started.elapsed(), rows + due))
}

fn main() -> Result<()> {
    let people: usize = std::env::var("CASEBOOK_BENCH_PEOPLE")
        .ok()
        .map(|v| v.trim().parse().context("CASEBOOK_BENCH_PEOPLE: a number"))
        .transpose()?
        .unwrap_or(5_000);
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("plain.db");
    let encrypted = dir.path().join("encrypted.db");
    let key = support::test_key();
    let options = DemoOptions { people, seed: 1 };
    generate(
        &mut Store::open_unencrypted_for_benchmark(&plain)?,
        &options,
        today,
        clock.now(),
    )?;
    generate(
        &mut Store::open(&encrypted, &key)?,
        &options,
        today,
        clock.now(),
    )?;

    let open_plain = || Store::open_unencrypted_for_benchmark(&plain);
    let open_encrypted = || Store::open(&encrypted, &key);
    let mut means = Vec::new();
    for (name, open) in [
        ("plain", &open_plain as &dyn Fn() -> Result<Store>),
        ("encrypted", &open_encrypted),
    ] {
        // One warm-up so both read from the operating system's cache.
        let (_, items) = work(open, &clock)?;
        let mut times = Vec::new();
        for _ in 0..STEPS {
            let (t, n) = work(open, &clock)?;
            anyhow::ensure!(n == items, "the same work each time");
            times.push(t);
        }
        support::report(
            &format!("encryption.open_caseload_due.{name}"),
            &format!("people={people} items={items}"),
            &times,
        );
        means.push(times.iter().map(Duration::as_secs_f64).sum::<f64>() / STEPS as f64);
    }
    println!(
        "encryption.ratio people={people} encrypted_over_plain={:.2}",
        means[1] / means[0]
    );
    Ok(())
}
