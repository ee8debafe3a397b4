//! `casebook sync`: share the team's record through a folder; `sync join` makes a new device.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};
use rusqlite::types::Value;

use super::{clip, Cli, Format, Session};
use crate::domain::clock::Clock;
use crate::store::sync::{self, SyncReport};

/// `casebook sync --folder DIR`.
pub fn run(session: &mut Session, folder: &Path, device_name: Option<&str>) -> Result<()> {
    let key = session.keys.data_key().clone();
    let key_file = session.keys.key_file().clone();
    let report = sync::sync(
        &mut session.store,
        &key,
        &key_file,
        folder,
        device_name,
        session.clock.now(),
    )?;
    print_report(folder, &report)?;
    let (out, incoming) = sync::share_key_slots(&mut session.keys, folder)?;
    if out + incoming > 0 {
        println!(
            "shared workers' key slots: {out} into the folder, {incoming} from it (they sign in \
             here once their record has arrived)"
        );
    }
    print_status(session)?;
    refuse_on_refusal(&report)
}

/// What `Y` in the terminal UI runs, when `CASEBOOK_SYNC_FOLDER` names the team's folder: the
/// same sync as `casebook sync --folder DIR`, as the signed-in worker.
pub fn tui_sync(session: &Session) -> Result<Option<crate::tui::SyncNow>> {
    let Some(folder) = std::env::var_os("CASEBOOK_SYNC_FOLDER").map(std::path::PathBuf::from)
    else {
        return Ok(None);
    };
    if !folder.is_dir() {
        anyhow::bail!(
            "CASEBOOK_SYNC_FOLDER: {} is not a folder; expected the team's sync folder",
            folder.display()
        );
    }
    let key = session.keys.data_key().clone();
    let key_file = session.keys.key_file().clone();
    Ok(Some(crate::tui::SyncNow(std::rc::Rc::new(
        move |store: &mut crate::store::Store, now| {
            let r = sync::sync(store, &key, &key_file, &folder, None, now)?;
            Ok(summary(&r))
        },
    ))))
}

/// One line of what a sync did, for the terminal's status bar.
pub fn summary(r: &sync::SyncReport) -> String {
    let mut parts = vec![match &r.written {
        Some(_) => "synced: sent this device's changes".to_string(),
        None => "synced: nothing new to send".to_string(),
    }];
    parts.push(format!("{} bundle(s) applied", r.applied.len()));
    if !r.waiting.is_empty() {
        parts.push(format!("{} waiting for an earlier one", r.waiting.len()));
    }
    if !r.refused.is_empty() {
        parts.push(format!(
            "{} refused ({})",
            r.refused.len(),
            r.refused
                .iter()
                .map(|x| x.file.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    parts.join(" · ")
}

/// `casebook sync join --folder DIR` (the new database is `--db`).
pub fn join(cli: &Cli, folder: &Path, device_name: Option<&str>, clock: &Clock) -> Result<()> {
    let db = super::db_path(cli)?;
    let name = super::sign_in::name()?;
    let password = super::sign_in::password(cli)?;
    let (unlocked, report) = sync::join(folder, &db, &name, &password, device_name, clock.now())?;
    println!(
        "made {} from the team's snapshot in {}; {} is signed in on this device",
        db.display(),
        folder.display(),
        unlocked.worker.name
    );
    print_report(folder, &report)?;
    refuse_on_refusal(&report)
}

/// `casebook sync status`.
pub fn status(session: &Session) -> Result<()> {
    print_status(session)
}

/// `casebook sync conflicts`: the fields that wait for a key worker or manager.
pub fn conflicts(session: &Session) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let list = sync::conflicts(&session.store)?;
    if list.is_empty() {
        writeln!(out, "no conflicts wait")?;
    }
    for c in list {
        writeln!(
            out,
            "{}.{} of {} (here: {})",
            c.table,
            c.column,
            c.record_id,
            shown(&c.current)
        )?;
        for v in c.values {
            writeln!(
                out,
                "  {:<24} by {} on {} at {}",
                shown(&v.value),
                v.actor_name.as_deref().unwrap_or(&v.actor_id),
                v.device_name.as_deref().unwrap_or(&v.device_id),
                v.at.format("%Y-%m-%d %H:%M UTC")
            )?;
        }
    }
    Ok(())
}

/// `casebook sync duplicates`: the possible duplicates waiting, both records side by side, and
/// any decision another device's overruled (made apart, on the same item).
pub fn duplicates(session: &Session, format: Format) -> Result<()> {
    let list = sync::open_duplicates(&session.store)?;
    let overruled: Vec<_> = sync::duplicate_decisions(&session.store)?
        .into_iter()
        .filter(|d| !d.stands)
        .collect();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let json =
            serde_json::json!({ "possible_duplicates": list, "overruled_decisions": overruled });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(());
    }
    if list.is_empty() {
        writeln!(out, "no possible duplicates wait")?;
    }
    for p in &list {
        writeln!(out, "possible duplicate {}", p.id)?;
        for s in [&p.a, &p.b] {
            writeln!(
                out,
                "  {:<16} {:<24} born {:<10}  {} episode(s)  key worker {}  registered on {}",
                s.reference,
                clip(&s.name(), 24),
                s.date_of_birth.as_deref().unwrap_or("-"),
                s.episodes,
                s.key_worker.as_deref().unwrap_or("-"),
                s.registered_on.as_deref().unwrap_or("-"),
            )?;
        }
        writeln!(
            out,
            "  same person: casebook sync merge --keep {} --merge {}\n  not the same: casebook sync not-duplicate {} {}",
            p.a.reference, p.b.reference, p.a.reference, p.b.reference
        )?;
    }
    for d in &overruled {
        writeln!(
            out,
            "overruled: {} by {} at {} ({}); another decision on the same pair stands",
            describe_decision(d),
            d.decided_by,
            d.decided_at,
            d.id
        )?;
    }
    Ok(())
}

fn describe_decision(d: &sync::DuplicateDecision) -> String {
    match (d.decision.as_str(), &d.kept_reference, &d.merged_reference) {
        ("merge", Some(k), Some(m)) => format!("merge {m} into {k}"),
        _ => "not the same person".to_string(),
    }
}

/// `casebook sync merge --keep REF --merge REF`.
pub fn merge(session: &mut Session, keep: &str, merge: &str) -> Result<()> {
    let (keep_id, merge_id) = sync::duplicate_by_references(&session.store, keep, merge)?;
    let actor = session.worker.id.clone();
    let moved = sync::merge(
        &mut session.store,
        &actor,
        session.clock.now(),
        &keep_id,
        &merge_id,
    )?;
    println!(
        "merged {} into {}: {moved} record(s) moved; {} is kept, marked entered in error. \
         The decision syncs to every device",
        merge.trim(),
        keep.trim(),
        merge.trim()
    );
    Ok(())
}

/// `casebook sync not-duplicate REF REF`.
pub fn not_duplicate(session: &mut Session, first: &str, second: &str) -> Result<()> {
    let (a, b) = sync::duplicate_by_references(&session.store, first, second)?;
    let actor = session.worker.id.clone();
    sync::dismiss(&mut session.store, &actor, session.clock.now(), &a, &b)?;
    println!(
        "{} and {} are kept apart: not the same person. The decision syncs to every device",
        first.trim(),
        second.trim()
    );
    Ok(())
}

/// `casebook sync snapshot --folder DIR`.
pub fn snapshot(session: &mut Session, folder: &Path) -> Result<()> {
    let key = session.keys.data_key().clone();
    let key_file = session.keys.key_file().clone();
    let r = sync::refresh_snapshot(
        &mut session.store,
        &key,
        &key_file,
        folder,
        session.clock.now(),
    )?;
    print_report(folder, &r.sync)?;
    let held: usize = r.includes.values().map(|&n| n as usize).sum();
    println!(
        "wrote a fresh snapshot into {} holding {held} bundle(s) from {} device(s); a device \
         joining now applies only the bundles after them",
        folder.display(),
        r.includes.len()
    );
    refuse_on_refusal(&r.sync)
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => format!("\"{t}\""),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

fn print_report(folder: &Path, r: &SyncReport) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if r.founded {
        writeln!(
            out,
            "founded the team in {}: the snapshot, the team's key file and the team file are there; \
             other devices join with `casebook --db NEW.db sync join --folder {}`",
            folder.display(),
            folder.display()
        )?;
    }
    match &r.written {
        Some(name) => writeln!(out, "wrote bundle {name}")?,
        None => writeln!(out, "no new changes to send")?,
    }
    if r.rewritten > 0 {
        writeln!(
            out,
            "wrote again {} earlier bundle(s) missing from the folder",
            r.rewritten
        )?;
    }
    writeln!(
        out,
        "applied {} bundle(s){}",
        r.applied.len(),
        if r.already_applied > 0 {
            format!(" ({} already applied here, left alone)", r.already_applied)
        } else {
            String::new()
        }
    )?;
    for w in &r.waiting {
        writeln!(out, "waiting  {}: {}", w.file, w.reason)?;
    }
    for c in &r.refused_changes {
        writeln!(out, "refused change  {c}")?;
    }
    for f in &r.refused {
        writeln!(out, "REFUSED  {}: {}", f.file, f.reason)?;
    }
    Ok(())
}

fn print_status(session: &Session) -> Result<()> {
    let s = sync::status(&session.store)?;
    let mut out = std::io::stdout().lock();
    match (&s.team_id, &s.device_name) {
        (Some(team), Some(name)) => writeln!(
            out,
            "device          {name} ({}) in team {team}",
            s.device_id
        )?,
        _ => writeln!(
            out,
            "device          not in a team yet (`casebook sync --folder DIR` founds one)"
        )?,
    }
    writeln!(
        out,
        "last sync       {}",
        s.last_sync_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    )?;
    writeln!(out, "waiting         {} local change(s)", s.waiting_changes)?;
    writeln!(
        out,
        "conflicts       {} field(s) wait for a key worker or manager (casebook sync conflicts)",
        s.open_conflicts
    )?;
    writeln!(out, "duplicates      {} possible", s.possible_duplicates)?;
    if s.refused_changes > 0 {
        writeln!(
            out,
            "refused         {} change(s) whose worker lacked the role",
            s.refused_changes
        )?;
    }
    Ok(())
}

fn refuse_on_refusal(r: &SyncReport) -> Result<()> {
    if !r.refused.is_empty() {
        bail!(
            "{} bundle(s) refused (named above); everything else was applied, and the next sync \
             tries them again",
            r.refused.len()
        );
    }
    Ok(())
}
