//! `casebook due`: the due-list from the clocks, most urgent first.

use std::io::Write;

use anyhow::{bail, Result};

use super::{clip, Format, Session};
use crate::domain::clocks::DueKind;
use crate::due::{due_list, DueFilter};
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
    };
    let mut out = std::io::stdout().lock();
    let entries = due_list(&session.store, &cal, &codes, today, &filter)?;
    match format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
        }
        Format::Table => {
            writeln!(out, "due-list as of {today}: {} items", entries.len())?;
            let mut group = None;
            for e in &entries {
                if group != Some(e.group) {
                    group = Some(e.group);
                    writeln!(out, "\n{}", e.group.label().to_uppercase())?;
                    writeln!(
                        out,
                        "  {:<14} {:<24} {:<30} {:<10} {:>6} {:<18} {:<6} why",
                        "reference", "young person", "item", "due", "days", "key worker", "risk"
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
