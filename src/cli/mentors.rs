//! `casebook mentors`: the coordinator's board as a list (mentors with status, checks,
//! training, next support session due, current mentees), and the few writes a script wants:
//! add a mentor, record a match, record a mentor session.

use std::io::Write;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{clip, parse_cli_date, Format, Session};
use crate::domain::mentoring::{Match, Mentor, MentorSession};
use crate::store::{mentoring, people, records};

#[derive(Debug, Args)]
pub struct MentorsArgs {
    #[command(subcommand)]
    pub action: Option<MentorsAction>,
    /// Output format for the list.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum MentorsAction {
    /// Add a volunteer mentor; prints the new mentor's ID.
    Add {
        #[arg(long)]
        given_name: String,
        #[arg(long)]
        family_name: String,
        #[arg(long)]
        gender: Option<String>,
        /// NHS ethnic category (A–S, Z, 99) or its label.
        #[arg(long)]
        ethnicity: Option<String>,
        #[arg(long, value_parser = parse_cli_date)]
        recruited: Option<NaiveDate>,
        /// Date of the police/DBS check.
        #[arg(long, value_parser = parse_cli_date)]
        check_date: Option<NaiveDate>,
        /// clear, clear_with_disclosure, pending or not_suitable.
        #[arg(long)]
        check_result: Option<String>,
        #[arg(long, value_parser = parse_cli_date)]
        references: Option<NaiveDate>,
        #[arg(long, value_parser = parse_cli_date)]
        commitment_start: Option<NaiveDate>,
        /// Tier 1 drug awareness training completed on.
        #[arg(long, value_parser = parse_cli_date)]
        tier1: Option<NaiveDate>,
        /// Tier 2 drug awareness training completed on.
        #[arg(long, value_parser = parse_cli_date)]
        tier2: Option<NaiveDate>,
        /// in_training, active, paused or left.
        #[arg(long, default_value = "in_training")]
        status: String,
    },
    /// Match a young person (their current episode) with a mentor; prints the match ID.
    Match {
        /// The young person's reference, e.g. YP-7K3MQ-9QX2C.
        #[arg(long)]
        reference: String,
        /// The mentor's ID (from `casebook mentors --format json`).
        #[arg(long)]
        mentor: String,
        #[arg(long, value_parser = parse_cli_date)]
        start: NaiveDate,
    },
    /// Mark a mentoring record entered in error: it stays in the file (audited) and no
    /// longer counts in the Leicester return or the clocks; prints its ID.
    InError {
        /// session, match, event, complaint, message, drive or mentor.
        #[arg(long)]
        record: String,
        /// The record's ID (as printed when it was added, or from --format json).
        #[arg(long)]
        id: String,
        /// Why it was entered in error.
        #[arg(long)]
        reason: String,
    },
    /// Record a mentor session with the young person; prints the session ID.
    Session {
        /// The match ID.
        #[arg(long = "match")]
        match_id: String,
        #[arg(long, value_parser = parse_cli_date)]
        date: NaiveDate,
        /// offered, attended or did_not_attend.
        #[arg(long, default_value = "attended")]
        attendance: String,
        #[arg(long)]
        place: Option<String>,
        /// What was done.
        #[arg(long)]
        activity: Option<String>,
    },
}

#[derive(Serialize)]
struct MentorJson<'a> {
    id: &'a str,
    name: String,
    status: &'static str,
    ready_to_match: bool,
    not_ready: &'a [&'static str],
    check_date: Option<NaiveDate>,
    check_result: Option<&'a str>,
    trained_on: Option<NaiveDate>,
    last_support: Option<NaiveDate>,
    next_support_due: Option<NaiveDate>,
    commitment_end: Option<NaiveDate>,
    mentees: &'a [mentoring::BoardMentee],
}

pub fn run(session: &mut Session, args: &MentorsArgs) -> Result<()> {
    let today = session.clock.today();
    let now = session.clock.now();
    let mut out = std::io::stdout().lock();
    let Some(action) = &args.action else {
        return list(session, args.format, &mut out);
    };
    let codes = crate::config::load_codes(session.config_dir.as_deref())?;
    let actor = session.worker.clone();
    let id = match action {
        MentorsAction::Add {
            given_name,
            family_name,
            gender,
            ethnicity,
            recruited,
            check_date,
            check_result,
            references,
            commitment_start,
            tier1,
            tier2,
            status,
        } => {
            let m = Mentor {
                given_name: given_name.clone(),
                family_name: family_name.clone(),
                gender: gender.clone(),
                ethnicity: ethnicity.clone(),
                recruited_on: *recruited,
                check_date: *check_date,
                check_result: check_result.clone(),
                references_on: *references,
                commitment_start: *commitment_start,
                tier1_on: *tier1,
                tier2_on: *tier2,
                status: status.clone(),
                ..Mentor::default()
            };
            session.store.write(&actor.id, now, |tx| {
                mentoring::add_mentor(tx, &codes, &m, today)
            })?
        }
        MentorsAction::Match {
            reference,
            mentor,
            start,
        } => {
            let reference = crate::domain::ids::parse_reference(reference)
                .map_err(|e| anyhow::anyhow!("reference: {e}"))?;
            let Some(yp) = people::young_person_by_reference(&session.store, &reference)? else {
                bail!("reference: no young person with the reference {reference}");
            };
            let episodes = records::episodes_of(&session.store, &yp.id)?;
            // The open episode, else the latest.
            let Some(ep) = episodes
                .iter()
                .filter(|e| e.exit_date.is_none())
                .max_by_key(|e| e.referral_date)
                .or_else(|| episodes.iter().max_by_key(|e| e.referral_date))
            else {
                bail!("reference: {reference} has no episode to match");
            };
            let m = Match {
                episode_id: ep.id.clone(),
                mentor_id: mentor.clone(),
                start_date: *start,
                ..Match::default()
            };
            session.store.write(&actor.id, now, |tx| {
                mentoring::add_match(tx, &codes, &m, today)
            })?
        }
        MentorsAction::InError { record, id, reason } => {
            session.store.write(&actor.id, now, |tx| {
                mentoring::mark_in_error(tx, record, id, reason)
            })?;
            id.clone()
        }
        MentorsAction::Session {
            match_id,
            date,
            attendance,
            place,
            activity,
        } => {
            let s = MentorSession {
                match_id: match_id.clone(),
                date: *date,
                attendance: attendance.clone(),
                place: place.clone(),
                activity: activity.clone(),
                ..MentorSession::default()
            };
            session.store.write(&actor.id, now, |tx| {
                mentoring::add_session(tx, &s, Some(&actor.id), today)
            })?
        }
    };
    writeln!(out, "{id}").context("cannot write to standard output")?;
    Ok(())
}

fn list(session: &Session, format: Format, out: &mut impl Write) -> Result<()> {
    let today = session.clock.today();
    let board = mentoring::board(&session.store, today)?;
    match format {
        Format::Json => {
            let rows: Vec<MentorJson> = board
                .iter()
                .map(|r| MentorJson {
                    id: &r.mentor.id,
                    name: r.mentor.display_name(),
                    status: r.status.code(),
                    ready_to_match: r.not_ready.is_empty(),
                    not_ready: &r.not_ready,
                    check_date: r.mentor.check_date,
                    check_result: r.mentor.check_result.as_deref(),
                    trained_on: r.trained_on,
                    last_support: r.last_support,
                    next_support_due: r.next_support_due,
                    commitment_end: r.commitment_end,
                    mentees: &r.mentees,
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        }
        Format::Table => {
            writeln!(out, "mentors as of {today}: {}", board.len())?;
            writeln!(
                out,
                "  {:<22} {:<11} {:<22} {:<10} {:<12} mentees",
                "name", "status", "checks", "trained", "support due"
            )?;
            for r in &board {
                let checks = match (r.mentor.check_date, r.mentor.check_result.as_deref()) {
                    (Some(d), Some(res)) => format!("{res} {d}"),
                    (Some(d), None) => format!("checked {d}"),
                    _ => "not checked".into(),
                };
                let support = match r.next_support_due {
                    Some(d) if d < today => format!("{d} !"),
                    Some(d) => d.to_string(),
                    None => "-".into(),
                };
                let mentees: Vec<&str> = r.mentees.iter().map(|m| m.reference.as_str()).collect();
                writeln!(
                    out,
                    "  {:<22} {:<11} {:<22} {:<10} {:<12} {}",
                    clip(&r.mentor.display_name(), 22),
                    r.status.label(),
                    clip(&checks, 22),
                    r.trained_on.map_or("-".into(), |d| d.to_string()),
                    support,
                    if mentees.is_empty() {
                        "-".to_string()
                    } else {
                        mentees.join(", ")
                    }
                )?;
                if !r.not_ready.is_empty() && r.status.code() != "left" {
                    writeln!(out, "      not ready to match: {}", r.not_ready.join("; "))?;
                }
            }
            writeln!(out, "(! = support session overdue)")?;
        }
    }
    Ok(())
}
