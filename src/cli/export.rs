//! `casebook export`: the quarterly returns, and `--explain` for the episodes behind a figure.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::Session;
use crate::domain::calendar::Quarter;
use crate::returns::layout::ReturnKind;
use crate::returns::write::Format;
use crate::returns::{explain_cell, export, Request};

/// What `casebook export` was asked for.
pub struct ExportArgs<'a> {
    pub quarter: &'a str,
    /// A financial year: the annual section C instead of a quarter.
    pub year: Option<&'a str>,
    pub kind: &'a str,
    /// `None` when not given: xlsx for a quarter; for `--year`, the `--out` file's
    /// extension (json or xlsx), else xlsx.
    pub format: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub suppress_below: Option<u32>,
    pub explain: Option<&'a str>,
    pub breakdown: &'a str,
}

pub fn run(session: &Session, args: &ExportArgs) -> Result<()> {
    if let Some(year) = args.year {
        return annual(session, args, year);
    }
    let quarter = Quarter::parse(args.quarter).map_err(|e| anyhow::anyhow!("--quarter: {e}"))?;
    let kind = ReturnKind::from_code(args.kind).with_context(|| {
        format!(
            "--return: '{}' is not a return; expected one of {}",
            args.kind,
            ReturnKind::ALL.map(|k| k.code()).join(", ")
        )
    })?;
    let dir = session.config_dir.as_deref();
    let cal = crate::config::load_calendar(dir)?;
    let codes = crate::config::load_codes(dir)?;
    let report_date = session.clock.today();
    let mut out = std::io::stdout().lock();

    if let Some(measure) = args.explain {
        let e = explain_cell(
            &session.store,
            &cal,
            &codes,
            measure,
            args.breakdown,
            quarter,
            report_date,
        )?;
        // For a manager checking a figure inside the building: names are shown here, and
        // never written to an export file. Every young person listed is audited as seen.
        let listed: Vec<&str> = [
            &e.numerator,
            &e.second_numerator,
            &e.denominator,
            &e.pending,
        ]
        .into_iter()
        .flatten()
        .map(|r| r.young_person_reference.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
        session.store.record_view_of_references(
            &session.worker.id,
            session.clock.now(),
            &format!(
                "export --explain {} {} {}",
                e.measure,
                e.breakdown,
                quarter.label()
            ),
            &listed,
        )?;
        writeln!(
            out,
            "{} ({}) for {}, as of {report_date}",
            e.measure,
            e.breakdown,
            quarter.label()
        )?;
        let sections = [
            ("numerator", &e.numerator),
            ("second numerator (under 3 weeks)", &e.second_numerator),
            ("denominator", &e.denominator),
            ("pending (deadline not yet passed)", &e.pending),
        ];
        for (title, rows) in sections {
            if title.starts_with("second") && rows.is_empty() {
                continue;
            }
            writeln!(out, "\n{title}: {}", rows.len())?;
            for r in rows {
                let decided: Vec<String> = r
                    .decided_by
                    .iter()
                    .map(|(what, d)| format!("{what} {d}"))
                    .collect();
                writeln!(
                    out,
                    "  {:<14} {:<24} {:<8} {}{}",
                    r.young_person_reference,
                    super::clip(&r.name, 24),
                    r.age_band,
                    decided.join(", "),
                    r.category
                        .as_deref()
                        .map(|c| format!(" [{c}]"))
                        .unwrap_or_default()
                )?;
            }
        }
        if e.tallied > 0 {
            writeln!(
                out,
                "\nplus {} young people counted by outreach tallies (not registered)",
                e.tallied
            )?;
        }
        return Ok(());
    }

    let format = parse_format(args.format.unwrap_or("xlsx"))?;
    let Some(out_path) = args.out else {
        bail!("--out: say where to write the return (a file for xlsx and json, a folder for csv)");
    };
    let request = Request {
        kind,
        quarter,
        report_date,
        suppress_below: args.suppress_below,
        layout_override: crate::config::read_override(dir, kind.layout_file())?,
    };
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut progress = |stage: &str, done: usize, total: usize| {
        if interactive && total > 0 {
            eprint!("\r{stage}: {done}/{total}        ");
        }
    };
    let written = export(
        &session.store,
        &cal,
        &codes,
        &request,
        format,
        out_path,
        &mut progress,
    )?;
    if interactive {
        eprintln!();
    }
    session.store.record_export(
        &session.worker.id,
        session.clock.now(),
        &format!("{} {}", kind.code(), quarter.label()),
        &format!("export {}", format.code()),
    )?;
    writeln!(
        out,
        "{} return for {} written (as of {report_date}):",
        kind.code(),
        quarter.label()
    )?;
    for f in &written.files {
        writeln!(out, "  {}", f.display())?;
    }
    writeln!(out, "  {} (manifest)", written.manifest.display())?;
    writeln!(out, "figures sha256 {}", written.figures_sha256)?;
    Ok(())
}

fn parse_format(text: &str) -> Result<Format> {
    Format::from_code(text).with_context(|| {
        format!(
            "--format: '{}' is not a format; expected xlsx, csv or json",
            text.trim()
        )
    })
}

/// `--year`: the Leicester return's annual section C, written as the quarterly returns are
/// (XLSX, CSV or JSON and a manifest with the files' SHA-256) to `--out`, as JSON on the
/// screen without `--out`, or with `--explain` the young people behind one figure (names:
/// inside the building only).
fn annual(session: &Session, args: &ExportArgs, year: &str) -> Result<()> {
    use crate::returns::leicester_annual;
    if ReturnKind::from_code(args.kind) != Some(ReturnKind::Leicester) {
        bail!("--year: only the Leicester return has an annual section; use --return leicester");
    }
    let fy = leicester_annual::parse_year(year).map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    let annual = leicester_annual::compute(&session.store, fy)?;
    let mut out = std::io::stdout().lock();
    if let Some(id) = args.explain {
        let Some(f) = annual.figure(id) else {
            let known: Vec<&str> = annual.figures.iter().map(|f| f.id.as_str()).collect();
            bail!(
                "--explain: unknown figure \"{id}\"; expected one of {}",
                known.join(", ")
            );
        };
        writeln!(
            out,
            "{} for {}: {} of {} ({})",
            f.id,
            annual.year,
            f.numerator,
            f.denominator,
            f.percentage.to_text()
        )?;
        let listed: Vec<&str> = f
            .behind
            .iter()
            .map(|(i, _)| annual.episodes[*i].reference.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        session.store.record_view_of_references(
            &session.worker.id,
            session.clock.now(),
            &format!("export --explain {} {}", f.id, annual.year),
            &listed,
        )?;
        for (i, met) in &f.behind {
            let e = &annual.episodes[*i];
            writeln!(
                out,
                "  {:<14} {:<24} {}",
                e.reference,
                super::clip(&e.name, 24),
                if *met { "counted" } else { "not counted" }
            )?;
        }
        return Ok(());
    }
    // Without --format, a file named .json is JSON (as section C was first written).
    let inferred = args.out.and_then(|p| {
        p.extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .filter(|e| e == "json" || e == "xlsx")
    });
    let format = parse_format(args.format.or(inferred.as_deref()).unwrap_or("xlsx"))?;
    session
        .store
        .require(crate::domain::roles::Permission::ExportReturn)?;
    let report_date = session.clock.today();
    match args.out {
        Some(path) => {
            let written = crate::returns::write::write_annual(&annual, report_date, format, path)?;
            session.store.record_export(
                &session.worker.id,
                session.clock.now(),
                &format!("leicester section C {}", annual.year),
                &format!("export {}", format.code()),
            )?;
            writeln!(
                out,
                "leicester section C for {} written (as of {report_date}):",
                annual.year
            )?;
            for f in &written.files {
                writeln!(out, "  {}", f.display())?;
            }
            writeln!(out, "  {} (manifest)", written.manifest.display())?;
            writeln!(out, "figures sha256 {}", written.figures_sha256)?;
        }
        None => {
            if args.format.is_some() && format != Format::Json {
                bail!(
                    "--out: say where to write section C as {} (a file for xlsx, a folder for \
                     csv); without --out it is shown as JSON",
                    format.code()
                );
            }
            let json = annual.to_json()?;
            session.store.record_export(
                &session.worker.id,
                session.clock.now(),
                &format!("leicester section C {}", annual.year),
                "export json",
            )?;
            writeln!(out, "{json}")?;
        }
    }
    Ok(())
}
