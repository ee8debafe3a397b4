//! The command line: `casebook` opens the terminal UI; subcommands fill, check and report on
//! the database. Every command shares `--db`, `--as-of` and `--actor`.

mod audit;
mod check;
mod demo;
mod due;
mod export;
mod flags;
mod import;
mod mentors;

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::domain::clock::Clock;
use crate::domain::record::{Role, Worker};
use crate::store::{people, Store};

#[derive(Debug, Parser)]
#[command(
    name = "casebook",
    version,
    about = "Casework for young people's substance-misuse and mentoring services, in the terminal.",
    long_about = "Casework for young people's substance-misuse and mentoring services, in the terminal.\n\n\
        Run `casebook` with no command to open the caseload screen. The database is one SQLite \
        file, created on first use in your platform's data folder unless --db names another.\n\n\
        Try it on synthetic data:  casebook --db demo.db demo --people 200  then  casebook --db demo.db"
)]
pub struct Cli {
    /// The database file (created on first use). Default: casebook.db in the platform's data folder.
    #[arg(long, global = true, env = "CASEBOOK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Act as if today were DATE (YYYY-MM-DD or DD/MM/YYYY): every clock and due-list uses it.
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_cli_date)]
    pub as_of: Option<NaiveDate>,

    /// The worker making changes (recorded in the audit log). Default: your login name; a worker
    /// of that name is added on first use.
    #[arg(long, global = true, env = "CASEBOOK_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fill the database with realistic, obviously synthetic casework (deterministic per seed).
    Demo {
        /// How many young people (10 to 100000).
        #[arg(long, default_value_t = 200)]
        people: usize,
        /// Seed for the generator: the same seed gives the same casework.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// List what falls due, most urgent first.
    Due {
        /// Only this worker's caseload (by name).
        #[arg(long, value_name = "NAME")]
        worker: Option<String>,
        /// Only items of this kind (e.g. triage, review, risk_flag_review).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Also list items due more than 4 weeks ahead.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a quarterly return (no names, references or dates of birth), or with --explain list
    /// the episodes behind one figure.
    Export {
        /// The financial-year quarter, e.g. "2025-26 Q2" (Q1 is April to June).
        #[arg(long, required_unless_present = "year")]
        quarter: Option<String>,
        /// A financial year, e.g. 2025-26: the Leicester return's annual section C (JSON).
        #[arg(long, conflicts_with = "quarter")]
        year: Option<String>,
        /// Which return: southampton or leicester.
        #[arg(long = "return", default_value = "southampton", value_name = "RETURN")]
        kind: String,
        /// xlsx, csv or json.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// Where to write: a file for xlsx and json, a folder for csv.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace counts from 1 to N-1 with * (and percentages worked out from them).
        #[arg(long, value_name = "N")]
        suppress_below: Option<u32>,
        /// List the episodes in the numerator, denominator and pending of one measure
        /// (e.g. kpi.2a) instead of writing a file.
        #[arg(long, value_name = "MEASURE")]
        explain: Option<String>,
        /// With --explain: the breakdown (all, under_18, 18_24, other, or a category such
        /// as source:self).
        #[arg(long, default_value = "all")]
        breakdown: String,
    },
    /// Import a spreadsheet register (CSV, one row per episode). Checks the whole file first and
    /// writes nothing if any cell is wrong; importing the same file again adds nothing twice.
    Import {
        /// The register, CSV in UTF-8 (as Excel's "CSV UTF-8" saves it).
        path: PathBuf,
        /// Check the file and report what would be created, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// List every active risk flag, highest level first.
    Flags {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The mentoring project's volunteers (status, checks, training, support, mentees), and
    /// adding a mentor, a match or a mentor session from a script.
    Mentors(mentors::MentorsArgs),
    /// Show the schema version, SQLite's integrity check, the audit chain and record counts.
    Check,
    /// The tamper-evident audit log: verify its chain, or show one young person's history.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and name the first broken row (exit 1 on a break).
    Verify {
        /// Also compare every audited record with the hash of its last audited write
        /// (finds records edited outside casebook; slower).
        #[arg(long)]
        records: bool,
    },
    /// Who saw and changed a young person's record, newest first.
    Show {
        /// The young person's reference, e.g. YP-7K3MQ-9QX2C.
        #[arg(long = "young-person", value_name = "REF")]
        young_person: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

fn parse_cli_date(s: &str) -> Result<NaiveDate, String> {
    crate::domain::validate::parse_date(s)
}

/// Everything a command needs: the open store, the clock and the acting worker.
pub struct Session {
    pub store: Store,
    pub clock: Clock,
    pub db_path: PathBuf,
    pub config_dir: Option<PathBuf>,
}

impl Session {
    fn open(cli: &Cli) -> Result<Session> {
        let db_path = match &cli.db {
            Some(p) => p.clone(),
            None => crate::config::default_db_path()?,
        };
        let store = Store::open(&db_path)?;
        let clock = match cli.as_of {
            Some(d) => Clock::as_of(d),
            None => Clock::system(),
        };
        Ok(Session {
            store,
            clock,
            db_path,
            config_dir: crate::config::config_dir(),
        })
    }

    /// The acting worker, added (as a duty worker) the first time a name is used.
    pub fn actor(&mut self, cli: &Cli) -> Result<Worker> {
        let name = cli
            .actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "casebook user".to_string());
        people::ensure_worker(&mut self.store, &name, Role::Duty, self.clock.now())
            .context("cannot record the acting worker")
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let mut session = Session::open(&cli)?;
    match &cli.command {
        None => {
            let worker = session.actor(&cli)?;
            let ctx = crate::tui::TuiContext {
                clock: session.clock,
                worker,
                config_dir: session.config_dir.clone(),
            };
            crate::tui::run(session.store, ctx)
        }
        Some(Command::Demo { people, seed }) => demo::run(&mut session, *people, *seed),
        Some(Command::Due {
            worker,
            kind,
            all,
            format,
        }) => due::run(&session, worker.as_deref(), kind.as_deref(), *all, *format),
        Some(Command::Export {
            quarter,
            year,
            kind,
            format,
            out,
            suppress_below,
            explain,
            breakdown,
        }) => export::run(
            &session,
            &export::ExportArgs {
                quarter: quarter.as_deref().unwrap_or_default(),
                year: year.as_deref(),
                kind,
                format,
                out: out.as_deref(),
                suppress_below: *suppress_below,
                explain: explain.as_deref(),
                breakdown,
            },
        ),
        Some(Command::Import { path, dry_run }) => import::run(&mut session, &cli, path, *dry_run),
        Some(Command::Flags { format }) => flags::run(&session, *format),
        Some(Command::Mentors(args)) => mentors::run(&mut session, &cli, args),
        Some(Command::Check) => check::run(&session),
        Some(Command::Audit(AuditCommand::Verify { records })) => audit::verify(&session, *records),
        Some(Command::Audit(AuditCommand::Show { young_person })) => {
            audit::show(&session, young_person)
        }
    }
}

/// Shortens `s` to `n` characters for a table column, marking the cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
