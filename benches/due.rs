//! Due-list and risk flags screens at the size of a large service.
//!
//! `CASEBOOK_BENCH_PEOPLE` young people (default 100,000) are generated into a temporary
//! database file; the app is driven through its real event handling and drawn into a 120×40
//! test backend. Each measurement prints one line, `name key=value ...`. Run with
//! `cargo bench --bench due` (a `[[bench]] name = "due" harness = false` entry).
//!
//! `due.team_list_ten_years` (issue 17) adds `CASEBOOK_BENCH_HISTORY` exited episodes to the
//! file (with `CASEBOOK_BENCH_DB`, to the kept file, each run). Measured once on the 2-core
//! machine, 2 December 2026, 100,000 young people: the team due-list 2.79 s (161,579 items)
//! before and 3.17 s (171,983 items) after 50,000 episodes exited over the ten years before;
//! adding them took 9.3 s. Only open episodes and planned exits with after-exit work open are
//! read (`after_exit_open`), so the closed, followed-up history costs nothing to list.

mod support;

use support::{key, report, step};

use std::time::Instant;

use anyhow::{Context, Result};
use casebook::domain::calendar::Calendar;
use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Episode, Role};
use casebook::due::{due_list, DueFilter};
use casebook::store::{caseload, follow_ups, people, records, Store};
use casebook::tui::due_list::Board;
use casebook::tui::{App, Theme, TuiContext};
use chrono::Days;
use rand::{Rng, SeedableRng};
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
            db_path: None,
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
    drop(app);

    ten_years_of_exits(&db.path, clock, &params)
}

/// Issue 17: the team due-list keeps after-exit work however old the exit, so it must not
/// slow down as closed episodes pile up. Measures the list, then adds
/// `CASEBOOK_BENCH_HISTORY` (default: half the young people) episodes that exited over the
/// ten years before the demo's two — most followed up, one in ten planned exits left with
/// something undone — and measures it again.
fn ten_years_of_exits(path: &std::path::Path, clock: Clock, params: &str) -> Result<()> {
    let mut store = Store::open(path, &test_key())?;
    let (cal, codes) = (Calendar::embedded(), CodeLists::embedded());
    let today = clock.today();
    let measure = |store: &Store, label: &str, extra: &str| -> Result<usize> {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..3 {
            let started = Instant::now();
            n = due_list(store, &cal, &codes, today, &DueFilter::default())?.len();
            times.push(started.elapsed());
        }
        report(label, &format!("{params} {extra} items={n}"), &times);
        Ok(n)
    };
    measure(&store, "due.team_list_two_years", "history=0")?;

    let people: Vec<String> = caseload::caseload(&store)?
        .into_iter()
        .map(|r| r.young_person_id)
        .collect();
    let history: usize = match std::env::var("CASEBOOK_BENCH_HISTORY") {
        Ok(v) => v
            .trim()
            .parse()
            .context("CASEBOOK_BENCH_HISTORY: expected a number")?,
        Err(_) => people.len() / 2,
    };
    let actor = people::workers(&store)?
        .into_iter()
        .next()
        .context("the demo has workers")?
        .id;
    let started = Instant::now();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let first = today - Days::new(12 * 365);
    for chunk in (0..history).collect::<Vec<_>>().chunks(5_000) {
        store.write(&actor, clock.now(), |tx| {
            for &i in chunk {
                let referral = first + Days::new(rng.random_range(0..(10 * 365)));
                let start = referral + Days::new(rng.random_range(3..30));
                let exit = start + Days::new(rng.random_range(30..300));
                let planned = rng.random_bool(0.7);
                let ep = records::create_episode(
                    tx,
                    &Episode {
                        young_person_id: people[i % people.len()].clone(),
                        referral_date: referral,
                        first_contact_date: Some(referral),
                        triage_date: Some(referral),
                        triage_outcome: Some("comprehensive_assessment".into()),
                        assessment_date: Some(start),
                        treatment_start: Some(start),
                        care_plan_date: Some(start),
                        exit_date: Some(exit),
                        exit_reason: Some(
                            if planned {
                                "completed_drug_free"
                            } else {
                                "self_exit"
                            }
                            .into(),
                        ),
                        ..Default::default()
                    },
                )?;
                records::add_outcome_profile(tx, &ep, start, "start")?;
                if planned && rng.random_bool(0.9) {
                    records::add_outcome_profile(tx, &ep, exit, "exit")?;
                    follow_ups::record_reached(tx, &ep, exit + Days::new(90))?;
                    follow_ups::record_reached(tx, &ep, exit + Days::new(182))?;
                }
            }
            Ok(())
        })?;
    }
    println!(
        "due.history_setup {params} history={history} seconds={:.2} after_exit_open={} (not part of the list)",
        started.elapsed().as_secs_f64(),
        follow_ups::after_exit_open_count(&store)?
    );
    measure(
        &store,
        "due.team_list_ten_years",
        &format!("history={history}"),
    )?;
    Ok(())
}

/// Tests open their files with a fixed data key (real SQLCipher encryption; the key is test data).
#[allow(dead_code)]
fn test_key() -> casebook::store::DataKey {
    casebook::store::DataKey::from_hex(&"5a".repeat(32)).unwrap()
}
