//! `casebook follow-up record|close|list`: after-exit follow-ups from a script (S §20.5).

use std::io::Write;

use anyhow::{bail, Result};

use super::{FollowUpCommand, Format, Session};
use crate::domain::follow_up::{FollowUpForm, OutcomeEffect};
use crate::domain::record::YoungPerson;
use crate::follow_ups::{close, follow_up_episode, record};
use crate::store::{follow_ups, people};

fn young_person(session: &Session, reference: &str) -> Result<YoungPerson> {
    let reference = crate::domain::ids::parse_reference(reference)
        .map_err(|e| anyhow::anyhow!("reference: {e}"))?;
    match people::young_person_by_reference(&session.store, &reference)? {
        Some(yp) => Ok(yp),
        None => bail!("reference: no young person has the reference {reference}"),
    }
}

pub fn run(session: &mut Session, command: &FollowUpCommand) -> Result<()> {
    let cal = crate::config::load_calendar(session.config_dir.as_deref())?;
    let codes = crate::config::load_codes(session.config_dir.as_deref())?;
    let today = session.clock.today();
    let (actor, now) = (session.worker.id.clone(), session.clock.now());
    let mut out = std::io::stdout().lock();
    match command {
        FollowUpCommand::Record {
            reference,
            date,
            method,
            outcome,
            note,
            substance_use,
            re_referral,
            reason,
        } => {
            let yp = young_person(session, reference)?;
            let Some(ep) = follow_up_episode(&session.store, &yp.id)? else {
                bail!(
                    "reference: {} has no episode that has ended; a follow-up comes after the exit",
                    yp.reference
                );
            };
            let form = FollowUpForm {
                date: date.clone(),
                method: method.clone(),
                outcome: outcome.clone(),
                note: note.clone(),
                substance_use: substance_use.clone(),
                re_referral: re_referral.clone(),
                reason: reason.clone(),
            };
            let r = record(
                &mut session.store,
                &actor,
                now,
                &cal,
                &codes,
                today,
                &ep.id,
                &form,
            )?;
            let what = match (r.effect, r.closed) {
                (OutcomeEffect::Meets, _) => "recorded".to_string(),
                (OutcomeEffect::Attempt, _) => {
                    "recorded as an attempt: the follow-up stays due".to_string()
                }
                (OutcomeEffect::Closes, Some(k)) => format!("recorded; {} closed", k.code()),
                (OutcomeEffect::Closes, None) => {
                    "recorded; no follow-up was open to close".to_string()
                }
            };
            writeln!(
                out,
                "{} follow-up {what} ({})",
                yp.reference, r.follow_up_id
            )?;
        }
        FollowUpCommand::Close {
            reference,
            clock,
            reason,
        } => {
            let yp = young_person(session, reference)?;
            let Some(ep) = follow_up_episode(&session.store, &yp.id)? else {
                bail!("reference: {} has no episode that has ended", yp.reference);
            };
            let id = close(
                &mut session.store,
                &actor,
                now,
                &cal,
                &codes,
                today,
                &ep.id,
                clock,
                reason,
            )?;
            writeln!(out, "{} {} closed ({id})", yp.reference, clock.trim())?;
        }
        FollowUpCommand::List { reference, format } => {
            let yp = young_person(session, reference)?;
            let h = follow_ups::after_exit_history(&session.store, &yp.id)?;
            session
                .store
                .record_view(&actor, now, "follow-up list", &[yp.id.as_str()])?;
            if *format == Format::Json {
                writeln!(out, "{}", serde_json::to_string_pretty(&h)?)?;
                return Ok(());
            }
            writeln!(out, "{}: {} follow-ups", yp.reference, h.follow_ups.len())?;
            for f in &h.follow_ups {
                writeln!(
                    out,
                    "  {}  {:<8} {:<18} {}{}",
                    f.date,
                    f.method.as_deref().unwrap_or("-"),
                    f.outcome.as_deref().unwrap_or("reached"),
                    f.note.as_deref().unwrap_or(""),
                    f.reason
                        .as_deref()
                        .map(|r| format!(" (reason: {r})"))
                        .unwrap_or_default()
                )?;
            }
            writeln!(out, "{} closed clocks", h.closures.len())?;
            for c in &h.closures {
                writeln!(out, "  {}  {:<13} {}", c.closed_on, c.clock, c.reason)?;
            }
        }
    }
    Ok(())
}
