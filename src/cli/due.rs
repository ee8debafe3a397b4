//! `casebook due`: the due-list from the clocks, most urgent first.

use std::io::Write;

use anyhow::{bail, Result};

use super::{clip, Format, Session};
use crate::domain::clocks::DueKind;
use crate::domain::clocks::Explanation;
use crate::due::{due_list, explain_mentor, explain_young_person, DueFilter};
use crate::store::mentoring;
use crate::store::people;

/// Without `--all`, items due more than this many days ahead are left out.
const DEFAULT_HORIZON_DAYS: u64 = 28;

pub fn run(
    session: &Session,
    worker: Option<&str>,
    kind: Option<&str>,
    all: bool,
    format: Format,
) -> Result<()> {
    let worker_id = match worker {
        Some(name) => match people::worker_by_name(&session.store, name)? {
            Some(w) => Some(w.id),
            None => {
                let known: Vec<String> = people::workers(&session.store)?
                    .into_iter()
                    .take(8)
                    .map(|w| w.name)
                    .collect();
                bail!(
                    "--worker: no worker called '{name}'{}",
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(" (workers include: {})", known.join(", "))
                    }
                )
            }
        },
        None => None,
    };
    let kind = match kind {
        Some(k) => match DueKind::from_code(k) {
            Some(k) => Some(k),
            None => bail!(
                "--kind: '{k}' is not a kind of due item; expected one of {}",
                DueKind::ALL.map(|k| k.code()).join(", ")
            ),
        },
        None => None,
    };
    let cal = crate::config::load_calendar(session.config_dir.as_deref())?;
    let codes = crate::config::load_codes(session.config_dir.as_deref())?;
    let today = session.clock.today();
    let filter = DueFilter {
        worker_id,
        kind,
        horizon_days: (!all).then_some(DEFAULT_HORIZON_DAYS),
        check_renewal_months: crate::config::check_renewal_months()?,
    };
    let mut out = std::io::stdout().lock();
    let entries = due_list(&session.store, &cal, &codes, today, &filter)?;
    match format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
        }
        Format::Table => {
            writeln!(
                out,
                "due-list as of {today}: {} items ({}; {} after exit)",
                entries.len(),
                crate::due::LiveCounts::LABEL,
                entries.iter().filter(|e| e.after_exit).count()
            )?;
            let mut group = None;
            for e in &entries {
                if group != Some(e.group) {
                    group = Some(e.group);
                    writeln!(out, "\n{}", e.group.label().to_uppercase())?;
                    writeln!(
                        out,
                        "  {:<14} {:<24} {:<30} {:<10} {:>6} {:<18} {:<6} why",
                        "reference",
                        "young person / mentor",
                        "item",
                        "due",
                        "days",
                        "key worker",
                        "risk"
                    )?;
                }
                let days = if e.working_days {
                    format!("{}wd", e.days_left)
                } else {
                    format!("{}d", e.days_left)
                };
                writeln!(
                    out,
                    "  {:<14} {:<24} {:<30} {:<10} {:>6} {:<18} {:<6} {}{}",
                    // A mentor's or a message's row has a word here, not a reference.
                    e.reference,
                    clip(&e.name, 24),
                    clip(e.kind.label(), 30),
                    e.due.format("%Y-%m-%d"),
                    days,
                    clip(e.key_worker.as_deref().unwrap_or("-"), 18),
                    e.risk.map(|r| r.code()).unwrap_or("-"),
                    e.why,
                    if e.estimated { " (date estimated)" } else { "" }
                )?;
            }
        }
    }
    Ok(())
}

/// `casebook due --explain REF`: every item of one young person, each with its rule, source,
/// start event and date, due date and stop condition; met and stopped clocks briefly after.
pub fn explain(session: &mut Session, reference: &str, format: Format) -> Result<()> {
    if let Some(who) = reference.strip_prefix("mentor:") {
        return explain_of_mentor(session, who.trim(), format);
    }
    let reference = crate::domain::ids::parse_reference(reference)
        .map_err(|e| anyhow::anyhow!("--explain: {e}"))?;
    let Some(yp) = people::young_person_by_reference(&session.store, &reference)? else {
        bail!("--explain: no young person has the reference {reference}");
    };
    let cal = crate::config::load_calendar(session.config_dir.as_deref())?;
    let codes = crate::config::load_codes(session.config_dir.as_deref())?;
    let today = session.clock.today();
    let Some(x) = explain_young_person(&session.store, &cal, &codes, today, &yp.id)? else {
        bail!("--explain: no young person has the reference {reference}");
    };
    // Reading one young person's record is a view, as in the case view.
    let (actor, now) = (session.worker.id.clone(), session.clock.now());
    session
        .store
        .record_view(&actor, now, "due explain", &[yp.id.as_str()])?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&x)?)?;
        return Ok(());
    }
    writeln!(out, "{} {} as of {today}", x.reference, x.name)?;
    let due: Vec<&Explanation> = x.due().collect();
    writeln!(out, "\nDUE ({})", due.len())?;
    if due.is_empty() {
        writeln!(out, "  nothing is due")?;
    }
    for e in &due {
        write_full(&mut out, e)?;
    }
    for ep in &x.episodes {
        let exit = match (ep.exit_date, ep.exit_planned) {
            (None, _) => "open".to_string(),
            (Some(d), Some(true)) => format!("exited {d} (planned)"),
            (Some(d), Some(false)) => format!("exited {d} (unplanned)"),
            (Some(d), None) => format!("exited {d}"),
        };
        writeln!(
            out,
            "\nEPISODE referred {}, {exit}: met and stopped",
            ep.referral_date
        )?;
        let settled: Vec<&Explanation> = ep
            .clocks
            .iter()
            .filter(|c| c.state != "due" && c.state != "overdue")
            .collect();
        if settled.is_empty() {
            writeln!(out, "  none yet")?;
        }
        for c in settled {
            writeln!(out, "  {:<12} {}", c.state, brief(c))?;
        }
    }
    let settled_others: Vec<&Explanation> = x
        .others
        .iter()
        .filter(|c| c.state != "due" && c.state != "overdue")
        .collect();
    if !settled_others.is_empty() {
        writeln!(out, "\nRISK FLAGS AND MISSED APPOINTMENTS: met and stopped")?;
        for c in settled_others {
            writeln!(out, "  {:<12} {}", c.state, brief(c))?;
        }
    }
    if x.episodes_in_error > 0 {
        writeln!(
            out,
            "\n{} episode(s) entered in error: their clocks stopped",
            x.episodes_in_error
        )?;
    }
    Ok(())
}

fn write_full(out: &mut impl Write, e: &Explanation) -> Result<()> {
    writeln!(out, "  {} [{}] ({})", e.rule, e.state, e.source)?;
    writeln!(out, "    start:  {} on {}", e.start_event, e.start_date)?;
    writeln!(
        out,
        "    due:    {}{} ({} the {})",
        e.due,
        if e.estimated { ", estimated" } else { "" },
        e.timescale,
        e.start_event
    )?;
    writeln!(out, "    stop rule: {}", e.stop_rule)?;
    Ok(())
}

fn brief(e: &Explanation) -> String {
    let how = match (e.met_on, e.stopped_on) {
        (Some(m), _) => format!("met {m}"),
        (None, Some(s)) => format!(
            "{} {s}: {}",
            e.state,
            e.stopped_because.as_deref().unwrap_or("")
        ),
        (None, None) => String::new(),
    };
    format!(
        "{} ({}): {} {}, due {}; {how}",
        e.rule, e.source, e.start_event, e.start_date, e.due
    )
}

/// `casebook due --explain mentor:NAME` (or `mentor:ID`): one volunteer mentor's open clocks,
/// each with its rule, source, start event and date, due date and stop rule.
fn explain_of_mentor(session: &mut Session, who: &str, format: Format) -> Result<()> {
    if who.is_empty() {
        bail!("--explain: give the mentor after mentor:, by name or ID (mentor:\"Dan Okoro\")");
    }
    let mentors = mentoring::mentors(&session.store)?;
    let named: Vec<_> = mentors
        .iter()
        .filter(|m| m.id == who || m.display_name().eq_ignore_ascii_case(who))
        .collect();
    let mentor = match named.as_slice() {
        [m] => *m,
        [] => bail!("--explain: no mentor is called '{who}' (casebook mentors lists them)"),
        many => bail!(
            "--explain: {} mentors are called '{who}'; give one by ID: {}",
            many.len(),
            many.iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let cal = crate::config::load_calendar(session.config_dir.as_deref())?;
    let today = session.clock.today();
    let clocks = explain_mentor(
        &session.store,
        &cal,
        today,
        crate::config::check_renewal_months()?,
        &mentor.id,
    )?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let items: Vec<serde_json::Value> = clocks
            .iter()
            .map(|(x, mentee)| {
                let mut v = serde_json::to_value(x).unwrap_or_default();
                if let (Some(r), Some(o)) = (mentee, v.as_object_mut()) {
                    o.insert("mentee".into(), serde_json::json!(r));
                }
                v
            })
            .collect();
        let doc = serde_json::json!({
            "mentor_id": mentor.id,
            "mentor": mentor.display_name(),
            "as_of": today.to_string(),
            "due": items,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(out, "Mentor {} as of {today}", mentor.display_name())?;
    writeln!(out, "\nDUE ({})", clocks.len())?;
    if clocks.is_empty() {
        writeln!(out, "  nothing is due")?;
    }
    for (x, mentee) in &clocks {
        if let Some(r) = mentee {
            writeln!(out, "  with mentee {r}:")?;
        }
        write_full(&mut out, x)?;
    }
    Ok(())
}
