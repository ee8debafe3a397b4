//! `casebook audit verify` walks the hash chain; `casebook audit show` lists who saw and changed
//! one young person's record, in words a manager reads.

use std::io::Write;

use anyhow::{bail, Result};
use rusqlite::types::Value;

use super::Session;
use crate::store::audit::{history_of_young_person, ChainReport, Change, HistoryEntry};
use crate::store::people;

/// Prints the chain's state; an error (exit 1) names the first broken row.
pub fn verify(session: &Session, records: bool) -> Result<()> {
    let report = session.store.verify_audit(records)?;
    let mut out = std::io::stdout().lock();
    print_report(&mut out, &report)?;
    fail_on_break(&report)
}

pub(crate) fn print_report(out: &mut impl Write, report: &ChainReport) -> Result<()> {
    match &report.first_break {
        None => writeln!(out, "audit chain     ok ({} rows)", report.rows)?,
        Some(b) if !b.device.is_empty() => writeln!(
            out,
            "audit chain     BROKEN at row {} (row {} of device {}): {}",
            b.seq, b.device_seq, b.device, b.reason
        )?,
        Some(b) => writeln!(out, "audit chain     BROKEN at row {}: {}", b.seq, b.reason)?,
    }
    if report.records_checked + report.records_unattested > 0 {
        writeln!(
            out,
            "records         {} checked against their last audited hash, {} changed outside \
             casebook, {} audited only before the chained log",
            report.records_checked,
            report.record_mismatches.len(),
            report.records_unattested
        )?;
        for (table, id) in &report.record_mismatches {
            writeln!(
                out,
                "  {table} {id}: content differs from its last audited write"
            )?;
        }
    }
    Ok(())
}

pub(crate) fn fail_on_break(report: &ChainReport) -> Result<()> {
    if let Some(b) = &report.first_break {
        bail!(
            "the audit log was altered outside casebook: the chain breaks at row {} ({}); \
             keep a copy of the file and tell your administrator",
            b.seq,
            b.reason
        );
    }
    if let Some((table, id)) = report.record_mismatches.first() {
        bail!(
            "{} record(s) were changed outside casebook (first: {table} {id}); keep a copy of \
             the file and tell your administrator",
            report.record_mismatches.len()
        );
    }
    Ok(())
}

/// Lists the young person's history, newest first.
pub fn show(session: &Session, reference: &str) -> Result<()> {
    // Who saw and changed a record: managers and administrators (the role table).
    session
        .store
        .require(crate::domain::roles::Permission::ReadAudit)?;
    let Some(yp) = people::young_person_by_reference(&session.store, reference.trim())? else {
        bail!("--young-person: no young person has the reference '{reference}'");
    };
    let entries = history_of_young_person(&session.store, &yp.id)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} ({}): {} entries, newest first",
        yp.reference,
        display_name(&yp),
        entries.len()
    )?;
    for e in &entries {
        writeln!(
            out,
            "{}  {:<20} {}",
            e.at.format("%d/%m/%Y %H:%M"),
            super::clip(&e.actor, 20),
            describe(e)
        )?;
    }
    Ok(())
}

fn display_name(yp: &crate::domain::record::YoungPerson) -> String {
    format!("{} {}", yp.given_name, yp.family_name)
}

/// "changed review date 01/02/2026 → 03/02/2026", "added episode", "viewed (case view)".
pub fn describe(e: &HistoryEntry) -> String {
    let thing = record_word(&e.table);
    match e.action.as_str() {
        "view" => format!("viewed the record ({})", e.what.as_deref().unwrap_or("")),
        "insert" if e.table == "sync_duplicate_decisions" => format!(
            "decided a possible duplicate: {}",
            e.what.as_deref().unwrap_or("")
        ),
        "insert" => format!("added {thing}"),
        "in_error" => {
            let reason = e
                .changes
                .iter()
                .find(|c| c.column == "in_error_reason")
                .map(|c| shown(&c.new))
                .unwrap_or_default();
            format!("marked {thing} entered in error: {reason}")
        }
        _ => {
            let parts: Vec<String> = e.changes.iter().map(describe_change).collect();
            format!("{thing}: changed {}", parts.join("; "))
        }
    }
}

fn describe_change(c: &Change) -> String {
    let col = c.column.trim_end_matches("_id").replace('_', " ");
    match (&c.old, &c.new) {
        (Value::Null, new) => format!("{col} (none) → {}", shown(new)),
        (old, Value::Null) => format!("{col} {} → (none)", shown(old)),
        (old, new) => format!("{col} {} → {}", shown(old), shown(new)),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => match crate::store::values::parse_date(t) {
            Some(d) => d.format("%d/%m/%Y").to_string(),
            None => t.clone(),
        },
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

fn record_word(table: &str) -> String {
    match table {
        "young_people" => "young person".into(),
        "young_person_vulnerabilities" => "vulnerability".into(),
        "episode_substances" => "substance".into(),
        "risk_flag_events" => "risk flag event".into(),
        "referrals_out" => "referral out".into(),
        "care_plan_budget_items" => "costed item".into(),
        t => t.trim_end_matches('s').replace('_', " "),
    }
}
