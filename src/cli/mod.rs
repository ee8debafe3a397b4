//! The command line: `casebook` opens the terminal UI; subcommands fill, check and report on
//! the database. Every command shares `--db`, `--as-of` and `--password-file`; the worker
//! signs in from `CASEBOOK_USER` and `CASEBOOK_PASSWORD` or at a prompt, and is the actor.

mod audit;
mod check;
mod demo;
mod due;
mod export;
mod flags;
mod follow_up;
mod import;
mod mentors;
mod security;
pub mod sign_in;
mod sync;

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::domain::clock::Clock;
use crate::domain::record::Worker;
use crate::store::sign_in::Unlocked;
use crate::store::Store;

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

    /// Read your password from the first line of this file (else CASEBOOK_PASSWORD, else a
    /// prompt). Your name comes from CASEBOOK_USER, else a prompt.
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

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
        /// Instead of the list, explain one young person's items (by reference): each rule,
        /// its source, the start event and date, the due date and when it stops.
        #[arg(long, value_name = "REF", conflicts_with_all = ["worker", "kind", "all"])]
        explain: Option<String>,
    },
    /// Write a quarterly return (no names, references or dates of birth), or with --explain list
    /// the episodes behind one figure.
    Export {
        /// The financial-year quarter, e.g. "2025-26 Q2" (Q1 is April to June).
        #[arg(long, required_unless_present = "year")]
        quarter: Option<String>,
        /// A financial year, e.g. 2025-26: the Leicester return's annual section C (written
        /// as --format with a manifest to --out; JSON on the screen without --out).
        #[arg(long, conflicts_with = "quarter")]
        year: Option<String>,
        /// Which return: southampton or leicester.
        #[arg(long = "return", default_value = "southampton", value_name = "RETURN")]
        kind: String,
        /// xlsx, csv or json (default xlsx; with --year, a --out file ending .json is json).
        #[arg(long)]
        format: Option<String>,
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
    /// Create a new encrypted database and its first administrator (name from CASEBOOK_USER,
    /// password from CASEBOOK_PASSWORD or --password-file, else asked twice); prints the
    /// recovery code once.
    Init,
    /// Make an encrypted copy of an unencrypted casebook database (never overwrites).
    Encrypt {
        /// The unencrypted database (only read).
        #[arg(long = "in", value_name = "PATH")]
        input: PathBuf,
        /// The new encrypted database (its key file goes beside it).
        #[arg(long = "out", value_name = "PATH")]
        output: PathBuf,
    },
    /// Follow-ups after a completed episode (S §20.5): record one, close a follow-up (or the
    /// exit TOP) with a reason, or list a young person's follow-ups.
    #[command(subcommand)]
    FollowUp(FollowUpCommand),
    /// Workers: add, list, change roles, reset a password, deactivate (administrators).
    #[command(subcommand)]
    Worker(WorkerCommand),
    /// Administration: the recovery key, and recovery when passwords are lost.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Share the team's record through a folder (a shared drive, a USB stick, a Syncthing
    /// folder): write this device's new changes as one bundle and apply every bundle there.
    Sync(SyncArgs),
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    /// The team's folder (an empty one founds the team).
    #[arg(long, value_name = "DIR")]
    pub folder: Option<std::path::PathBuf>,
    /// This device's name as other devices show it (default: the machine's name).
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Make this new device's database (--db) from the team's folder, then sync.
    Join {
        #[arg(long, value_name = "DIR")]
        folder: std::path::PathBuf,
        #[arg(long, value_name = "NAME")]
        device_name: Option<String>,
    },
    /// When this device last synced, how many changes wait, how many conflicts.
    Status,
    /// The fields two devices changed differently, waiting for a key worker or manager.
    Conflicts,
    /// Young people registered on two devices with the same name and date of birth, waiting
    /// for a key worker or manager to merge them or keep them apart.
    Duplicates {
        /// Output format (JSON leaves names out).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The same young person: merge one record into the other (its episodes, contacts and
    /// flags move; it is kept, marked entered in error). The decision syncs.
    Merge {
        /// The reference of the record to keep.
        #[arg(long, value_name = "REF")]
        keep: String,
        /// The reference of the record merged into it.
        #[arg(long, value_name = "REF")]
        merge: String,
    },
    /// Not the same young person: keep both; the possible duplicate is gone on every device.
    NotDuplicate {
        #[arg(value_name = "REF")]
        first: String,
        #[arg(value_name = "REF")]
        second: String,
    },
    /// Sync, then replace the folder's snapshot with a fresh one of this database, so a device
    /// joining later applies only the bundles written after it.
    Snapshot {
        #[arg(long, value_name = "DIR")]
        folder: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkerCommand {
    /// Add a worker. Their password comes from --new-password-file or CASEBOOK_NEW_PASSWORD,
    /// else it is asked twice.
    Add {
        name: String,
        /// Roles, comma-separated: outreach, duty, key_worker, manager, coordinator, administrator.
        #[arg(long)]
        roles: String,
        #[arg(long, value_name = "PATH")]
        new_password_file: Option<PathBuf>,
    },
    /// List the workers, their roles and whether they can sign in.
    List,
    /// Replace a worker's roles.
    SetRoles {
        name: String,
        #[arg(long)]
        roles: String,
    },
    /// Give a worker a new password.
    ResetPassword {
        name: String,
        #[arg(long, value_name = "PATH")]
        new_password_file: Option<PathBuf>,
    },
    /// Stop a worker signing in (their records stay theirs).
    Deactivate { name: String },
}

#[derive(Debug, Subcommand)]
pub enum FollowUpCommand {
    /// Record a follow-up on the young person's most recently exited episode.
    Record {
        /// The young person's reference, e.g. YP-7K3MQ-9QX2C.
        reference: String,
        /// When (YYYY-MM-DD or DD/MM/YYYY), on or after the exit.
        #[arg(long)]
        date: String,
        /// phone, text, letter, visit or other.
        #[arg(long)]
        method: String,
        /// reached, not_reached (keeps the follow-up due), declined, moved_away or
        /// not_appropriate (these close it).
        #[arg(long)]
        outcome: String,
        /// A short note (up to 500 characters).
        #[arg(long, default_value = "")]
        note: String,
        /// When reached: stopped, reduced, same or increased.
        #[arg(long, default_value = "")]
        substance_use: String,
        /// When reached: yes or no.
        #[arg(long, default_value = "")]
        re_referral: String,
        /// Why a follow-up is not appropriate (needed with that outcome).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Close an after-exit clock that will not be met, with the reason.
    Close {
        /// The young person's reference.
        reference: String,
        /// top_exit, follow_up_3m or follow_up_6m.
        #[arg(long)]
        clock: String,
        /// Why (up to 500 characters).
        #[arg(long)]
        reason: String,
    },
    /// The young person's follow-ups and closed clocks, newest first.
    List {
        /// The young person's reference.
        reference: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print the raw data key as hex (recorded in the audit log): with it the standard sqlcipher
    /// shell opens the file with PRAGMA key = "x'HEX'".
    RecoveryKey,
    /// With the recovery code printed at init, set a new password for an administrator.
    Recover {
        /// The administrator whose password is set.
        #[arg(long, value_name = "NAME")]
        worker: String,
        /// Read the recovery code from this file (else it is asked for).
        #[arg(long, value_name = "PATH")]
        recovery_code_file: Option<PathBuf>,
        #[arg(long, value_name = "PATH")]
        new_password_file: Option<PathBuf>,
    },
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

/// Everything a command needs: the open store, the clock and the signed-in worker.
pub struct Session {
    pub store: Store,
    pub clock: Clock,
    pub db_path: PathBuf,
    pub config_dir: Option<PathBuf>,
    /// The signed-in worker: the actor of every write.
    pub worker: Worker,
    /// What is needed to change key slots (worker and admin commands).
    pub keys: Unlocked,
}

impl Session {
    /// Opens the database signed in, creating it first when `may_create` and it is new.
    fn open(cli: &Cli, may_create: bool) -> Result<Session> {
        let db_path = db_path(cli)?;
        let clock = clock(cli);
        let unlocked = if crate::store::sign_in::is_new(&db_path)? && may_create {
            sign_in::create_first(cli, &db_path, &clock)?
        } else {
            sign_in::sign_in(cli, &db_path, &clock)?
        };
        Ok(Session::from(unlocked, clock, db_path))
    }

    fn from(mut unlocked: Unlocked, clock: Clock, db_path: PathBuf) -> Session {
        // The store moves out for the commands; `keys` keeps an empty in-memory one.
        let store = std::mem::replace(
            &mut unlocked.store,
            Store::open_in_memory().expect("an in-memory database opens"),
        );
        Session {
            store,
            clock,
            db_path,
            config_dir: crate::config::config_dir(),
            worker: unlocked.worker.clone(),
            keys: unlocked,
        }
    }
}

fn db_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(p) => Ok(p.clone()),
        None => crate::config::default_db_path(),
    }
}

fn clock(cli: &Cli) -> Clock {
    match cli.as_of {
        Some(d) => Clock::as_of(d),
        None => Clock::system(),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Some(Command::Encrypt { input, output }) => {
            return security::encrypt(&cli, input, output, &clock(&cli))
        }
        Some(Command::Init) => return security::init(&cli, &db_path(&cli)?, &clock(&cli)),
        Some(Command::Admin(AdminCommand::Recover {
            worker,
            recovery_code_file,
            new_password_file,
        })) => {
            return security::recover(
                &db_path(&cli)?,
                worker,
                recovery_code_file.as_deref(),
                new_password_file.as_deref(),
                &clock(&cli),
            )
        }
        Some(Command::Sync(SyncArgs {
            command:
                Some(SyncCommand::Join {
                    folder,
                    device_name,
                }),
            ..
        })) => return sync::join(&cli, folder, device_name.as_deref(), &clock(&cli)),
        _ => {}
    }
    let may_create = matches!(cli.command, None | Some(Command::Demo { .. }));
    let mut session = Session::open(&cli, may_create)?;
    match &cli.command {
        None => {
            let ctx = crate::tui::TuiContext {
                clock: session.clock,
                worker: session.worker.clone(),
                config_dir: session.config_dir.clone(),
                db_path: Some(session.db_path.clone()),
            };
            let sync = sync::tui_sync(&session)?;
            // A second connection reads the whole caseload behind the first frame; without
            // one the caseload is read before it, as tests do.
            let reader = Store::open(&session.db_path, session.keys.data_key()).ok();
            crate::tui::run(session.store, ctx, sync, reader)
        }
        Some(Command::Demo { people, seed }) => demo::run(&mut session, *people, *seed),
        Some(Command::Due {
            explain: Some(reference),
            format,
            ..
        }) => due::explain(&mut session, reference, *format),
        Some(Command::Due {
            worker,
            kind,
            all,
            format,
            explain: None,
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
                format: format.as_deref(),
                out: out.as_deref(),
                suppress_below: *suppress_below,
                explain: explain.as_deref(),
                breakdown,
            },
        ),
        Some(Command::Import { path, dry_run }) => import::run(&mut session, path, *dry_run),
        Some(Command::Flags { format }) => flags::run(&session, *format),
        Some(Command::Mentors(args)) => mentors::run(&mut session, args),
        Some(Command::Check) => check::run(&session),
        Some(Command::Audit(AuditCommand::Verify { records })) => audit::verify(&session, *records),
        Some(Command::Audit(AuditCommand::Show { young_person })) => {
            audit::show(&session, young_person)
        }
        Some(Command::FollowUp(c)) => follow_up::run(&mut session, c),
        Some(Command::Worker(w)) => security::worker(&mut session, w),
        Some(Command::Admin(AdminCommand::RecoveryKey)) => security::recovery_key(&mut session),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Status),
            ..
        })) => sync::status(&session),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Conflicts),
            ..
        })) => sync::conflicts(&session),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Duplicates { format }),
            ..
        })) => sync::duplicates(&session, *format),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Merge { keep, merge }),
            ..
        })) => sync::merge(&mut session, keep, merge),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::NotDuplicate { first, second }),
            ..
        })) => sync::not_duplicate(&mut session, first, second),
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Snapshot { folder }),
            ..
        })) => sync::snapshot(&mut session, folder),
        Some(Command::Sync(SyncArgs {
            folder,
            device_name,
            command: None,
        })) => match folder {
            Some(f) => sync::run(&mut session, f, device_name.as_deref()),
            None => anyhow::bail!("sync: give the team's folder with --folder DIR"),
        },
        Some(Command::Sync(SyncArgs {
            command: Some(SyncCommand::Join { .. }),
            ..
        }))
        | Some(Command::Init | Command::Encrypt { .. } | Command::Admin(_)) => {
            unreachable!("handled before signing in")
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
