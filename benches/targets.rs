//! Issue 13's targets, measured on one database: `cargo bench --bench targets`.
//!
//! One demo database of `CASEBOOK_BENCH_PEOPLE` young people (default 100,000; generated once
//! and kept with `CASEBOOK_BENCH_DB=PATH`). Each figure prints one line,
//! `name key=value ... target=T meets|misses`; timed keys print p50/p99/max over
//! `CASEBOOK_BENCH_REPS` repetitions (default 200) with the frame drawn into a 120×40 test
//! backend included (`support::step`). A figure whose repetitions pass
//! `CASEBOOK_BENCH_BUDGET_S` seconds (default 60) stops early and says how many it ran.
//! `CASEBOOK_BENCH_ONLY=memory,cold_start,keys,due,returns,file` picks figures (default all).
//! The verdict is on p99 for timings and on VmHWM for memory. The OS page cache is warm
//! (the file was just written or read), so the cold start is the process's, not the disk's.

mod support;

use support::{key, step, test_key};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use casebook::demo::{generate, DemoOptions};
use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Role, Worker};
use casebook::due::{due_list, DueFilter};
use casebook::returns::{export, Format, Request, ReturnKind};
use casebook::store::{people, scale, Store};
use casebook::tui::{App, Theme, TuiContext};
use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode};
use ratatui::Terminal;

/// Milliseconds a key may take to the redrawn frame (p99).
const KEY_TARGET_MS: f64 = 16.0;

fn env_number(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name}: expected a number, got {v:?}")),
        Err(_) => Ok(default),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "meets"
    } else {
        "misses"
    }
}

/// p50, p99 and max in milliseconds (nearest rank).
fn percentiles(times: &[Duration]) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let at = |p: f64| ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.50), at(0.99), ms[ms.len() - 1])
}

/// Prints a timing line with its verdict on p99.
fn timing(name: &str, params: &str, times: &[Duration], target_ms: f64, note: &str) {
    let (p50, p99, max) = percentiles(times);
    let target = if target_ms.is_finite() {
        format!("target_ms={target_ms} {}", verdict(p99 <= target_ms))
    } else {
        "no_target".to_string()
    };
    println!(
        "{name} {params} reps={} p50_ms={p50:.2} p99_ms={p99:.2} max_ms={max:.2} {target}{note}",
        times.len(),
    );
}

struct Bench {
    path: PathBuf,
    clock: Clock,
    params: String,
    reps: usize,
    budget: Duration,
}

impl Bench {
    /// Runs `one` up to `reps` times (fewer when the budget runs out, at least 5), timing what
    /// it returns.
    fn repeat(
        &self,
        mut one: impl FnMut(usize) -> Result<Duration>,
    ) -> Result<(Vec<Duration>, String)> {
        let started = Instant::now();
        let mut times = Vec::with_capacity(self.reps);
        for i in 0..self.reps {
            times.push(one(i)?);
            if i >= 4 && started.elapsed() > self.budget {
                let note = format!(" (stopped after {} reps: over the time budget)", i + 1);
                return Ok((times, note));
            }
        }
        Ok((times, String::new()))
    }

    fn open_app(&self, worker: &Worker) -> Result<App> {
        let store = Store::open(&self.path, &test_key())?;
        Ok(App::new(
            store,
            TuiContext {
                clock: self.clock,
                worker: worker.clone(),
                config_dir: None,
                db_path: None,
            },
        )?
        .with_theme(Theme::coloured()))
    }
}

fn terminal() -> Result<Terminal<TestBackend>> {
    Ok(Terminal::new(TestBackend::new(120, 40))?)
}

/// The duty worker the app is opened as (the same one every run).
fn duty_worker(path: &Path) -> Result<Worker> {
    let store = Store::open(path, &test_key())?;
    people::workers(&store)?
        .into_iter()
        .find(|w| w.has(Role::Duty))
        .context("the demo team has a duty worker")
}

fn main() -> Result<()> {
    let people_n = env_number("CASEBOOK_BENCH_PEOPLE", 100_000)?;
    let today = NaiveDate::from_ymd_opt(2026, 3, 31).context("a valid date")?;
    let clock = Clock::fixed(today);
    let dir = tempfile::tempdir()?;
    let path = std::env::var_os("CASEBOOK_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("targets.db"));
    let bench = Bench {
        path,
        clock,
        params: format!("people={people_n}"),
        reps: env_number("CASEBOOK_BENCH_REPS", 200)?,
        budget: Duration::from_secs(env_number("CASEBOOK_BENCH_BUDGET_S", 60)? as u64),
    };
    // The memory figures run in a child process of this binary, so its VmHWM is the TUI's
    // alone (not this process's generation, returns and copies).
    if std::env::var_os("CASEBOOK_BENCH_MEMORY_CHILD").is_some() {
        return memory(&bench);
    }
    demo(&bench, people_n, today)?;
    // `CASEBOOK_BENCH_ONLY=keys,returns` runs only those figures (all when unset).
    let only = std::env::var("CASEBOOK_BENCH_ONLY").unwrap_or_default();
    let wanted = |figure: &str| only.is_empty() || only.split(',').any(|f| f.trim() == figure);
    if wanted("memory") {
        let exe = std::env::current_exe()?;
        let status = std::process::Command::new(exe)
            .env("CASEBOOK_BENCH_MEMORY_CHILD", "1")
            .env("CASEBOOK_BENCH_DB", &bench.path)
            .status()?;
        if !status.success() {
            bail!("the memory measurement failed: {status}");
        }
    }
    if wanted("cold_start") {
        cold_start(&bench)?;
    }
    if wanted("keys") {
        keys(&bench)?;
    }
    if wanted("due") {
        due_against_sql(&bench)?;
    }
    if wanted("returns") {
        returns_year(&bench, dir.path())?;
    }
    if wanted("file") {
        file_size(&bench)?;
    }
    Ok(())
}

/// Generates the database when it is not there yet (its time is kept beside it, so a later
/// run that reuses it can print it too).
fn demo(bench: &Bench, people_n: usize, today: NaiveDate) -> Result<()> {
    let note = PathBuf::from(format!("{}.generate.txt", bench.path.display()));
    if !bench.path.exists() {
        let started = Instant::now();
        let mut store = Store::open(&bench.path, &test_key())?;
        let s = generate(
            &mut store,
            &DemoOptions {
                people: people_n,
                seed: 1,
            },
            today,
            bench.clock.now(),
        )?;
        drop(store);
        let line = format!(
            "demo.generate {} seconds={:.1} episodes={} contacts={} risk_flags={} reviews={} \
             triages={} assessments={} care_plans={}",
            bench.params,
            started.elapsed().as_secs_f64(),
            s.episodes,
            s.contacts,
            s.risk_flags,
            s.reviews,
            s.triages,
            s.assessments,
            s.care_plans
        );
        std::fs::write(&note, format!("{line}\n"))?;
        println!("{line}");
    } else {
        match std::fs::read_to_string(&note) {
            Ok(line) => println!("{} (kept from the run that made the file)", line.trim_end()),
            Err(_) => println!(
                "demo.generate reused={} (no time kept)",
                bench.path.display()
            ),
        }
    }
    Ok(())
}

/// VmRSS and VmHWM of this process, in MiB.
fn vm() -> Result<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> Result<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("{name} in /proc/self/status"))?;
        let kb: f64 = line
            .split_whitespace()
            .nth(1)
            .context("a number of kB")?
            .parse()?;
        Ok(kb / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resident memory after each screen is opened, in a fresh process that is only the TUI.
fn memory(bench: &Bench) -> Result<()> {
    let worker = duty_worker(&bench.path)?;
    let print = |screen: &str| -> Result<()> {
        let (rss, hwm) = vm()?;
        println!(
            "memory.{screen} {} rss_mib={rss:.0} hwm_mib={hwm:.0} target_mib=100 {} \
             (this bench process is the TUI process)",
            bench.params,
            verdict(hwm <= 100.0)
        );
        Ok(())
    };
    let mut app = bench.open_app(&worker)?;
    let mut t = terminal()?;
    t.draw(|f| app.draw(f))?;
    print("first_frame")?;
    app.load_dues();
    t.draw(|f| app.draw(f))?;
    print("caseload_with_dues")?;
    step(&mut app, &mut t, key(KeyCode::Char('t')))?;
    print("caseload_team")?;
    for (screen, c) in [("due_list", 'D'), ("flags", 'F')] {
        step(&mut app, &mut t, key(KeyCode::Char(c)))?;
        print(screen)?;
        if screen == "due_list" {
            step(&mut app, &mut t, key(KeyCode::Char('t')))?;
            print("due_list_team")?;
        }
        step(&mut app, &mut t, key(KeyCode::Esc))?;
    }
    step(&mut app, &mut t, key(KeyCode::Enter))?;
    print("case")?;
    Ok(())
}

/// Open the store, App and the first frame, each time afresh: as `casebook` starts (the first
/// page first, the rest read by a background thread on a second connection), and as tests
/// build the app (everything read before the first frame).
fn cold_start(bench: &Bench) -> Result<()> {
    let worker = duty_worker(&bench.path)?;
    let reps = bench.reps.clamp(1, 20);
    let (mut first, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let started = Instant::now();
        let store = Store::open(&bench.path, &test_key())?;
        let reader = Store::open(&bench.path, &test_key())?;
        let mut app = App::with_background_load(
            store,
            TuiContext {
                clock: bench.clock,
                worker: worker.clone(),
                config_dir: None,
                db_path: None,
            },
            reader,
        )?
        .with_theme(Theme::coloured());
        let mut t = terminal()?;
        t.draw(|f| app.draw(f))?;
        first.push(started.elapsed());
        // The loop's tick: poll until the whole caseload with what is due has arrived.
        while !app.poll_loading() {
            std::thread::sleep(Duration::from_millis(2));
        }
        t.draw(|f| app.draw(f))?;
        whole.push(started.elapsed());
    }
    timing(
        "cold_start.first_frame",
        &bench.params,
        &first,
        100.0,
        " (two store opens + App::with_background_load + first draw; OS page cache warm)",
    );
    timing(
        "cold_start.whole_list_with_dues",
        &bench.params,
        &whole,
        f64::INFINITY,
        " (from the start, read in the background; no frame waits; no target of its own)",
    );

    let (mut first, mut dues) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let started = Instant::now();
        let mut app = bench.open_app(&worker)?;
        let mut t = terminal()?;
        t.draw(|f| app.draw(f))?;
        first.push(started.elapsed());
        let started = Instant::now();
        app.load_dues();
        t.draw(|f| app.draw(f))?;
        dues.push(started.elapsed());
    }
    timing(
        "cold_start.first_frame_all_rows",
        &bench.params,
        &first,
        100.0,
        " (App::new reads every row first, as tests do)",
    );
    timing(
        "cold_start.then_dues_blocking",
        &bench.params,
        &dues,
        f64::INFINITY,
        " (App::load_dues after that first frame; blocks the loop)",
    );
    Ok(())
}

/// Each key, repeated, with the frame drawn after it.
fn keys(bench: &Bench) -> Result<()> {
    let worker = duty_worker(&bench.path)?;
    let mut app = bench.open_app(&worker)?;
    let mut t = terminal()?;
    t.draw(|f| app.draw(f))?;
    app.load_dues();
    t.draw(|f| app.draw(f))?;
    let p = &bench.params;
    let at_home = |app: &App| -> Result<()> {
        if app.depth() != 0 {
            bail!("expected the caseload, {} screens are open", app.depth());
        }
        Ok(())
    };

    let (times, note) = bench.repeat(|_| step(&mut app, &mut t, key(KeyCode::Char('t'))))?;
    timing("key.caseload_mine_team", p, &times, KEY_TARGET_MS, &note);
    if app.caseload().scope() != casebook::tui::caseload::Scope::Team {
        step(&mut app, &mut t, key(KeyCode::Char('t')))?;
    }
    let shown = app.caseload().visible_count();
    let p = &format!("{p} shown={shown}");

    let (times, note) = bench.repeat(|_| step(&mut app, &mut t, key(KeyCode::Down)))?;
    timing("key.caseload_down", p, &times, KEY_TARGET_MS, &note);
    let (times, note) = bench.repeat(|_| step(&mut app, &mut t, key(KeyCode::PageDown)))?;
    timing("key.caseload_page_down", p, &times, KEY_TARGET_MS, &note);
    let (times, note) = bench.repeat(|_| step(&mut app, &mut t, key(KeyCode::Char('s'))))?;
    timing(
        "key.caseload_sort_column",
        p,
        &times,
        KEY_TARGET_MS,
        &format!("{note} (8 columns in turn; the first sort of each is the max)"),
    );

    // Typing a name and deleting it again, over and over.
    step(&mut app, &mut t, key(KeyCode::Char('/')))?;
    let typed: Vec<Event> = "jade"
        .chars()
        .map(|c| key(KeyCode::Char(c)))
        .chain((0..4).map(|_| key(KeyCode::Backspace)))
        .collect();
    let (times, note) = bench.repeat(|i| step(&mut app, &mut t, typed[i % typed.len()].clone()))?;
    timing(
        "key.caseload_filter_typing",
        p,
        &times,
        KEY_TARGET_MS,
        &format!("{note} (\"jade\" typed then deleted, each keystroke)"),
    );
    step(&mut app, &mut t, key(KeyCode::Esc))?;
    at_home(&app)?;

    let mut opens = Vec::new();
    let (backs, note) = bench.repeat(|_| {
        step(&mut app, &mut t, key(KeyCode::Down))?;
        opens.push(step(&mut app, &mut t, key(KeyCode::Enter))?);
        if app.case().is_none() {
            bail!("Enter did not open a case");
        }
        step(&mut app, &mut t, key(KeyCode::Esc))
    })?;
    at_home(&app)?;
    timing("key.open_case", p, &opens, KEY_TARGET_MS, &note);
    timing("key.case_back", p, &backs, KEY_TARGET_MS, &note);

    for (name, c) in [("due_list", 'D'), ("flags", 'F')] {
        let mut opens = Vec::new();
        let (backs, note) = bench.repeat(|_| {
            opens.push(step(&mut app, &mut t, key(KeyCode::Char(c)))?);
            if app.board().is_none() {
                bail!("{c} did not open the {name}");
            }
            step(&mut app, &mut t, key(KeyCode::Esc))
        })?;
        at_home(&app)?;
        timing(
            &format!("key.open_{name}"),
            &bench.params,
            &opens,
            KEY_TARGET_MS,
            &note,
        );
        timing(
            &format!("key.{name}_back"),
            &bench.params,
            &backs,
            KEY_TARGET_MS,
            &note,
        );
    }

    // Whose items on the due-list.
    step(&mut app, &mut t, key(KeyCode::Char('D')))?;
    let (times, note) = bench.repeat(|_| step(&mut app, &mut t, key(KeyCode::Char('t'))))?;
    timing(
        "key.due_list_mine_team",
        &bench.params,
        &times,
        KEY_TARGET_MS,
        &note,
    );
    Ok(())
}

/// The due-list as casebook works it out against the same question as one SQL query.
fn due_against_sql(bench: &Bench) -> Result<()> {
    let store = Store::open(&bench.path, &test_key())?;
    let (cal, codes) = (Calendar::embedded(), CodeLists::embedded());
    let today = bench.clock.today();
    let worker = duty_worker(&bench.path)?;
    let reps = env_number("CASEBOOK_BENCH_DUE_REPS", 5)?;
    let planned = codes.planned_exit_codes();
    for (who, id) in [("one_worker", Some(worker.id.clone())), ("team", None)] {
        let filter = DueFilter {
            worker_id: id.clone(),
            ..Default::default()
        };
        let (mut ours, mut sql) = (Vec::new(), Vec::new());
        let (mut list, mut kinds) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let started = Instant::now();
            list = due_list(&store, &cal, &codes, today, &filter)?;
            ours.push(started.elapsed());
            let started = Instant::now();
            kinds = scale::due_items_one_query(&store, today, id.as_deref(), None, &planned)?;
            sql.push(started.elapsed());
        }
        let n_ours = list.len();
        let n_sql: usize = kinds.iter().map(|(_, n)| n).sum();
        let mut ours_by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in &list {
            *ours_by_kind.entry(e.kind.code()).or_default() += 1;
        }
        let show = |it: Vec<String>| it.join(",");
        println!(
            "due.{who}_kinds casebook={} sql={}",
            show(
                ours_by_kind
                    .iter()
                    .map(|(k, n)| format!("{k}:{n}"))
                    .collect()
            ),
            show(kinds.iter().map(|(k, n)| format!("{k}:{n}")).collect())
        );
        let (a, _, _) = percentiles(&ours);
        let (b, _, _) = percentiles(&sql);
        let ratio = a / b.max(1e-6);
        println!(
            "due.{who}_vs_sql {} reps={reps} casebook_p50_ms={a:.1} sql_p50_ms={b:.1} \
             ratio={ratio:.2} casebook_items={n_ours} sql_items={n_sql} target_ratio=2 {}",
            bench.params,
            verdict(ratio <= 2.0)
        );
    }
    Ok(())
}

/// Four quarters of 2025-26, Southampton and Leicester, JSON and XLSX.
fn returns_year(bench: &Bench, dir: &Path) -> Result<()> {
    let store = Store::open(&bench.path, &test_key())?;
    let (cal, codes) = (Calendar::embedded(), CodeLists::embedded());
    let report_date = NaiveDate::from_ymd_opt(2026, 4, 1).context("a valid date")?;
    let out = dir.join("returns");
    let mut total = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    let mut bytes = 0;
    for q in 1..=4 {
        let quarter = Quarter::new(2025, q).context("a quarter")?;
        for kind in [ReturnKind::Southampton, ReturnKind::Leicester] {
            for format in [Format::Json, Format::Xlsx] {
                let request = Request::new(kind, quarter, report_date);
                let file = out.join(format!("{}-q{q}.{}", kind.code(), format.code()));
                let started = Instant::now();
                let written = export(
                    &store,
                    &cal,
                    &codes,
                    &request,
                    format,
                    &file,
                    &mut |_, _, _| {},
                )?;
                let took = started.elapsed();
                total += took;
                if took > slowest.0 {
                    slowest = (took, format!("{}-q{q}.{}", kind.code(), format.code()));
                }
                for f in &written.files {
                    bytes += std::fs::metadata(f)?.len();
                }
            }
        }
    }
    let seconds = total.as_secs_f64();
    println!(
        "returns.year {} exports=16 seconds={seconds:.3} slowest={}:{:.3}s bytes={bytes} \
         target_seconds=1 {}",
        bench.params,
        slowest.1,
        slowest.0.as_secs_f64(),
        verdict(seconds <= 1.0)
    );
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The file (VACUUMed) against the same records in a plain indexed schema (VACUUMed), and
/// the audit's share of the file.
fn file_size(bench: &Bench) -> Result<()> {
    let store = Store::open(&bench.path, &test_key())?;
    let started = Instant::now();
    scale::vacuum(&store)?;
    let vacuum_s = started.elapsed().as_secs_f64();
    let plain_path = PathBuf::from(format!("{}.plain.db", bench.path.display()));
    let copied = scale::plain_copy(&store, &plain_path)?;
    let by_table = scale::bytes_by_table(&store)?;
    let audit_estimate = scale::audit_bytes_estimate(&store)?;
    drop(store); // checkpoints the write-ahead log into the file
    let ours = std::fs::metadata(&bench.path)?.len();
    let plain = std::fs::metadata(&plain_path)?.len();
    std::fs::remove_file(&plain_path)?;
    let ratio = ours as f64 / plain as f64;
    let rows: i64 = copied.iter().map(|(_, n)| n).sum();
    println!(
        "file.size {} casebook_mib={:.1} plain_mib={:.1} ratio={ratio:.2} plain_tables={} \
         plain_rows={rows} vacuum_s={vacuum_s:.1} target_ratio=2 {}",
        bench.params,
        mib(ours),
        mib(plain),
        copied.len(),
        verdict(ratio <= 2.0)
    );
    match by_table {
        Some(tables) => {
            let total: i64 = tables.iter().map(|(_, b)| b).sum();
            let audit: i64 = tables
                .iter()
                .filter(|(t, _)| t.starts_with("audit"))
                .map(|(_, b)| b)
                .sum();
            let top: Vec<String> = tables
                .iter()
                .take(6)
                .map(|(t, b)| format!("{t}:{:.0}", mib(*b as u64)))
                .collect();
            println!(
                "file.audit_share {} audit_mib={:.1} share={:.0}% audit_rows={} largest_mib={} (dbstat)",
                bench.params,
                mib(audit as u64),
                100.0 * audit as f64 / total.max(1) as f64,
                audit_estimate.0,
                top.join(",")
            );
        }
        None => println!(
            "file.audit_share {} audit_rows={} audit_mib_estimate={:.1} share_estimate={:.0}% \
             (no dbstat: rows × their bytes)",
            bench.params,
            audit_estimate.0,
            mib(audit_estimate.1 as u64),
            100.0 * audit_estimate.1 as f64 / ours as f64
        ),
    }
    Ok(())
}
