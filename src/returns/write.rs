//! Writing a return: XLSX, CSV or JSON, with a manifest beside it.
//!
//! Where the output goes (`--out`):
//! - `xlsx` and `json` write one file. `--out` is that file (its extension, if any, must match
//!   the format); if it names an existing folder, the file is `<return>-<quarter>.xlsx` (or
//!   `.json`) inside it. The manifest is the file's name with `.manifest.json` in place of its
//!   extension.
//! - `csv` writes one file per section (`<section id>.csv`, UTF-8 with a byte-order mark so
//!   spreadsheet programs read it as UTF-8). `--out` is a folder, created if need be; the
//!   manifest is `manifest.json` inside it.
//!
//! Every file written here holds figures and labels only: no name, reference or date of birth.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XlsxFormat, Workbook, Worksheet};
use serde_json::json;
use sha2::Digest;

use super::measures::{FieldKind, Table};
use super::{compute, Calendar, CodeLists, Request, Return, Value};
use crate::store::returns::Progress;
use crate::store::Store;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Xlsx,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Xlsx, Format::Csv, Format::Json];

    pub fn code(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn from_code(code: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Whether `--out` names a folder (CSV) rather than a file.
    pub fn writes_folder(self) -> bool {
        self == Format::Csv
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The figures: one file, or one per section for CSV.
    pub files: Vec<PathBuf>,
    pub manifest: PathBuf,
    /// SHA-256 of the figures (as the JSON export writes them).
    pub figures_sha256: String,
}

/// Computes a return and writes it: the whole `casebook export`. `progress` hears reading,
/// counting and writing.
pub fn export(
    store: &Store,
    calendar: &Calendar,
    codes: &CodeLists,
    request: &Request,
    format: Format,
    out: &Path,
    progress: Progress,
) -> Result<Written> {
    store.require(crate::domain::roles::Permission::ExportReturn)?;
    let ret = compute(store, calendar, codes, request, &mut *progress)?;
    progress("writing", 0, 1);
    let written = write_return(&ret, format, out)?;
    progress("writing", 1, 1);
    Ok(written)
}

/// Writes `ret` as `format` to `out` (a file for XLSX and JSON, a folder for CSV; see the
/// module notes), and the manifest beside it.
pub fn write_return(ret: &Return, format: Format, out: &Path) -> Result<Written> {
    let (files, manifest) = match format {
        Format::Csv => {
            if out.is_file() {
                bail!(
                    "--out {}: CSV writes one file per section, so give a folder, not a file",
                    out.display()
                );
            }
            fs::create_dir_all(out)
                .with_context(|| format!("cannot create the folder {}", out.display()))?;
            let mut files = Vec::new();
            for s in &ret.sections {
                let path = out.join(format!("{}.csv", s.id));
                write_bytes(&path, &section_csv(s)?)?;
                files.push(path);
            }
            (files, out.join("manifest.json"))
        }
        Format::Xlsx | Format::Json => {
            let path = single_file(out, &ret.file_stem(), format)?;
            let bytes = match format {
                Format::Json => ret.figures_json().into_bytes(),
                _ => xlsx_bytes(ret)?,
            };
            write_bytes(&path, &bytes)?;
            let manifest = path.with_extension("manifest.json");
            (vec![path], manifest)
        }
    };
    let figures_sha256 = ret.figures_sha256();
    write_bytes(&manifest, manifest_json(ret, format, &files).as_bytes())?;
    Ok(Written {
        files,
        manifest,
        figures_sha256,
    })
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    // Owner-only even for a return meant to leave the building: it is sent deliberately,
    // not left readable by everyone who shares the laptop.
    crate::private_file::write(path, bytes)
}

/// The manifest: what was exported, from what, under which definitions, and a SHA-256 of the
/// figures so the same database and quarter can be shown to give the same figures.
pub fn manifest_json(ret: &Return, format: Format, files: &[PathBuf]) -> String {
    let counts: serde_json::Map<String, serde_json::Value> = ret
        .record_counts
        .iter()
        .map(|(t, n)| (t.clone(), json!(n)))
        .collect();
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let m = json!({
        "return": ret.kind.code(),
        "service": ret.service,
        "period": {
            "quarter": ret.quarter.label(),
            "start": ret.quarter.start().to_string(),
            "end": ret.quarter.end().to_string(),
        },
        "report_date": ret.report_date.to_string(),
        "casebook_version": env!("CARGO_PKG_VERSION"),
        "definitions_version": ret.definitions_version,
        "layout": ret.layout_source.code(),
        "format": format.code(),
        "files": names,
        "record_counts": counts,
        "cells": ret.cells().len(),
        "suppress_below": ret.suppress_below,
        "suppressed": ret.suppressed,
        "figures_sha256": ret.figures_sha256(),
    });
    let mut s = serde_json::to_string_pretty(&m).unwrap_or_default();
    s.push('\n');
    s
}

/// The grid a section is written as, in CSV and in its spreadsheet tab: one row per measure
/// and breakdown, one column per field (the union of the section's fields, in order).
struct Grid {
    fields: Vec<String>,
    rows: Vec<GridRow>,
}

struct GridRow {
    measure: String,
    label: String,
    breakdown: String,
    breakdown_label: String,
    /// Per grid field: the value and what it holds, or nothing.
    values: Vec<Option<(Value, FieldKind)>>,
    /// Whether the field holds a percentage (shown as %).
    percent: Vec<bool>,
}

fn grid(tables: &[Table]) -> Grid {
    let mut fields: Vec<String> = Vec::new();
    for t in tables {
        for f in &t.fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
    }
    let mut rows = Vec::new();
    for t in tables {
        for r in &t.rows {
            let mut values = vec![None; fields.len()];
            let mut percent = vec![false; fields.len()];
            for (i, f) in t.fields.iter().enumerate() {
                if let Some(col) = fields.iter().position(|g| g == f) {
                    values[col] = Some((r.values[i], t.field_kinds[i]));
                    percent[col] = matches!(t.field_kinds[i], FieldKind::Percentage(..));
                }
            }
            rows.push(GridRow {
                measure: t.measure.clone(),
                label: t.label.clone(),
                breakdown: r.breakdown.clone(),
                breakdown_label: r.label.clone(),
                values,
                percent,
            });
        }
    }
    Grid { fields, rows }
}

const FIXED_COLUMNS: [&str; 4] = ["measure", "label", "breakdown", "breakdown_label"];

fn section_csv(s: &super::Section) -> Result<Vec<u8>> {
    let g = grid(&s.tables);
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    {
        // CRLF line ends, as RFC 4180 and spreadsheet programs expect.
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut bytes);
        let header: Vec<String> = FIXED_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(g.fields.iter().cloned())
            .collect();
        w.write_record(&header)?;
        for r in &g.rows {
            let mut rec = vec![
                r.measure.clone(),
                r.label.clone(),
                r.breakdown.clone(),
                r.breakdown_label.clone(),
            ];
            rec.extend(
                r.values
                    .iter()
                    .map(|v| v.map(|(v, _)| v.to_text()).unwrap_or_default()),
            );
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(bytes)
}

/// Column widths that fit the longest text, within reason.
struct Widths(Vec<usize>);

impl Widths {
    fn see(&mut self, col: usize, text: &str) {
        if self.0.len() <= col {
            self.0.resize(col + 1, 0);
        }
        self.0[col] = self.0[col].max(text.chars().count());
    }

    fn apply(&self, ws: &mut Worksheet, max: usize) -> Result<()> {
        for (i, w) in self.0.iter().enumerate() {
            let width = (*w).clamp(6, max) as f64 + 2.0;
            ws.set_column_width(i as u16, width)?;
        }
        Ok(())
    }
}

fn xlsx_bytes(ret: &Return) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // The report date as the creation date, so the same return gives the same file.
    let created = ExcelDateTime::parse_from_str(&format!("{}T12:00:00", ret.report_date))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&ret.title)
            .set_creation_datetime(&created),
    );
    let bold = XlsxFormat::new().set_bold();
    let title = XlsxFormat::new().set_bold().set_font_size(14);
    let wrap = XlsxFormat::new().set_text_wrap();
    let pct = XlsxFormat::new().set_num_format("0.0%");
    let one_dp = XlsxFormat::new().set_num_format("0.0");
    let right = XlsxFormat::new().set_align(rust_xlsxwriter::FormatAlign::Right);

    // Cover sheet.
    {
        let ws = wb.add_worksheet();
        ws.set_name("Cover")?;
        let mut row = 0u32;
        ws.write_string_with_format(row, 0, &ret.title, &title)?;
        row += 2;
        let period = format!(
            "{} ({} to {})",
            ret.quarter.label(),
            ret.quarter.start().format("%-d %B %Y"),
            ret.quarter.end().format("%-d %B %Y")
        );
        let suppression = match ret.suppress_below {
            Some(n) if n > 1 => format!("counts from 1 to {} shown as *", n - 1),
            _ => "none".to_string(),
        };
        let facts: [(&str, String); 7] = [
            ("Service", ret.service.clone()),
            ("Period", period),
            (
                "Date produced (report date)",
                ret.report_date.format("%-d %B %Y").to_string(),
            ),
            ("casebook version", env!("CARGO_PKG_VERSION").to_string()),
            ("Definitions version", ret.definitions_version.clone()),
            ("Layout", ret.layout_source.code().to_string()),
            ("Small-number suppression", suppression),
        ];
        for (k, v) in &facts {
            ws.write_string_with_format(row, 0, *k, &bold)?;
            ws.write_string(row, 1, v)?;
            row += 1;
        }
        row += 1;
        ws.write_string_with_format(row, 0, "Definitions used", &bold)?;
        row += 1;
        for n in &ret.notes {
            ws.write_string_with_format(row, 1, n, &wrap)?;
            row += 1;
        }
        row += 1;
        ws.write_string_with_format(row, 0, "Measure", &bold)?;
        ws.write_string_with_format(row, 1, "Definition", &bold)?;
        row += 1;
        for t in ret.sections.iter().flat_map(|s| &s.tables) {
            ws.write_string(row, 0, &t.measure)?;
            ws.write_string_with_format(row, 1, format!("{}: {}", t.label, t.definition), &wrap)?;
            row += 1;
        }
        ws.set_column_width(0, 28)?;
        ws.set_column_width(1, 110)?;
    }

    for s in &ret.sections {
        let g = grid(&s.tables);
        let ws = wb.add_worksheet();
        ws.set_name(&s.sheet)?;
        ws.write_string_with_format(0, 0, &s.title, &title)?;
        let mut widths = Widths(Vec::new());
        let header_row = 2u32;
        let headers: Vec<String> = FIXED_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(g.fields.iter().cloned())
            .collect();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(header_row, c as u16, h, &bold)?;
            widths.see(c, h);
        }
        for (i, r) in g.rows.iter().enumerate() {
            let row = header_row + 1 + i as u32;
            for (c, text) in [&r.measure, &r.label, &r.breakdown, &r.breakdown_label]
                .into_iter()
                .enumerate()
            {
                ws.write_string(row, c as u16, text)?;
                widths.see(c, text);
            }
            for (j, v) in r.values.iter().enumerate() {
                let col = (FIXED_COLUMNS.len() + j) as u16;
                let Some((v, _)) = v else { continue };
                match v {
                    Value::Int(n) => {
                        ws.write_number(row, col, *n as f64)?;
                    }
                    Value::Tenths(t) if r.percent[j] => {
                        ws.write_number_with_format(row, col, *t as f64 / 1000.0, &pct)?;
                    }
                    Value::Tenths(t) => {
                        ws.write_number_with_format(row, col, *t as f64 / 10.0, &one_dp)?;
                    }
                    Value::Suppressed => {
                        ws.write_string_with_format(row, col, "*", &right)?;
                    }
                    Value::Missing => {}
                }
                widths.see(FIXED_COLUMNS.len() + j, &v.to_text());
            }
        }
        ws.set_freeze_panes(header_row + 1, 0)?;
        widths.apply(ws, 60)?;
    }
    Ok(wb.save_to_buffer()?)
}

// ---- the Leicester return's annual section C ----------------------------------------------

/// Where an XLSX or JSON return goes: `out` itself, or `stem.<format>` inside it when it is a
/// folder; a name with another extension is refused, and the folder is made.
fn single_file(out: &Path, stem: &str, format: Format) -> Result<PathBuf> {
    let path = if out.is_dir() {
        out.join(format!("{stem}.{}", format.code()))
    } else {
        out.to_path_buf()
    };
    if let Some(ext) = path.extension().map(|e| e.to_string_lossy().to_lowercase()) {
        if ext != format.code() {
            bail!(
                "--out {}: the {} format writes a .{} file; give a name ending .{}",
                out.display(),
                format.code(),
                format.code(),
                format.code()
            );
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    Ok(path)
}

/// Writes section C for a year as `format` to `out`, as [`write_return`] writes a quarter: a
/// file for XLSX and JSON (`leicester-C-2025-26.xlsx` inside `out` when it is a folder), a
/// folder holding `section_c.csv` for CSV, and the manifest beside it naming the year and
/// the SHA-256 of each file written. Figures, labels and notes only: the drill-down's
/// episodes (with names) are never written.
pub fn write_annual(
    annual: &super::leicester_annual::Annual,
    report_date: chrono::NaiveDate,
    format: Format,
    out: &Path,
) -> Result<Written> {
    let json = format!("{}\n", annual.to_json()?);
    let stem = format!("leicester-C-{}", annual.year);
    let (files, manifest) = match format {
        Format::Csv => {
            if out.is_file() {
                bail!(
                    "--out {}: CSV writes a folder (section_c.csv and manifest.json), so give a \
                     folder, not a file",
                    out.display()
                );
            }
            fs::create_dir_all(out)
                .with_context(|| format!("cannot create the folder {}", out.display()))?;
            let path = out.join("section_c.csv");
            write_bytes(&path, &annual_csv(annual)?)?;
            (vec![path], out.join("manifest.json"))
        }
        Format::Xlsx | Format::Json => {
            let path = single_file(out, &stem, format)?;
            let bytes = match format {
                Format::Json => json.clone().into_bytes(),
                _ => annual_xlsx(annual, report_date)?,
            };
            write_bytes(&path, &bytes)?;
            let manifest = path.with_extension("manifest.json");
            (vec![path], manifest)
        }
    };
    let figures_sha256 = super::hex(&sha2::Sha256::digest(json.as_bytes()));
    let mut hashes = serde_json::Map::new();
    for f in &files {
        let bytes = fs::read(f).with_context(|| format!("cannot read back {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hashes.insert(name, json!(super::hex(&sha2::Sha256::digest(&bytes))));
    }
    let names: Vec<&String> = hashes.keys().collect();
    let m = json!({
        "return": "leicester",
        "section": "C (annual)",
        "period": {
            "year": annual.year,
            "start": annual.start.to_string(),
            "end": annual.end.to_string(),
        },
        "report_date": report_date.to_string(),
        "casebook_version": env!("CARGO_PKG_VERSION"),
        "format": format.code(),
        "files": names,
        "file_sha256": hashes,
        "figures": annual.figures.len(),
        "figures_sha256": figures_sha256,
    });
    let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
    text.push('\n');
    write_bytes(&manifest, text.as_bytes())?;
    Ok(Written {
        files,
        manifest,
        figures_sha256,
    })
}

const ANNUAL_COLUMNS: [&str; 8] = [
    "figure",
    "label",
    "numerator",
    "denominator",
    "percentage",
    "target_percent",
    "meets_target",
    "definition",
];

fn annual_row(f: &super::leicester_annual::AnnualFigure) -> [String; 8] {
    [
        f.id.clone(),
        f.label.clone(),
        f.numerator.to_string(),
        f.denominator.to_string(),
        f.percentage.to_text(),
        f.target_percent.map(|t| t.to_string()).unwrap_or_default(),
        match f.meets_target {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        f.definition.clone(),
    ]
}

fn annual_csv(annual: &super::leicester_annual::Annual) -> Result<Vec<u8>> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut bytes);
        w.write_record(ANNUAL_COLUMNS)?;
        for f in &annual.figures {
            w.write_record(annual_row(f))?;
        }
        w.flush()?;
    }
    Ok(bytes)
}

fn annual_xlsx(
    annual: &super::leicester_annual::Annual,
    report_date: chrono::NaiveDate,
) -> Result<Vec<u8>> {
    let title_text = format!(
        "Leicester mentoring project: section C (annual), {}",
        annual.year
    );
    let mut wb = Workbook::new();
    // The report date as the creation date, so the same year gives the same file.
    let created = ExcelDateTime::parse_from_str(&format!("{report_date}T12:00:00"))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title_text)
            .set_creation_datetime(&created),
    );
    let bold = XlsxFormat::new().set_bold();
    let title = XlsxFormat::new().set_bold().set_font_size(14);
    let wrap = XlsxFormat::new().set_text_wrap();
    let pct = XlsxFormat::new().set_num_format("0.0%");
    {
        let ws = wb.add_worksheet();
        ws.set_name("Cover")?;
        ws.write_string_with_format(0, 0, &title_text, &title)?;
        let facts: [(&str, String); 4] = [
            (
                "Period",
                format!(
                    "{} ({} to {})",
                    annual.year,
                    annual.start.format("%-d %B %Y"),
                    annual.end.format("%-d %B %Y")
                ),
            ),
            (
                "Date produced (report date)",
                report_date.format("%-d %B %Y").to_string(),
            ),
            ("casebook version", env!("CARGO_PKG_VERSION").to_string()),
            ("Figures", annual.figures.len().to_string()),
        ];
        let mut row = 2u32;
        for (k, v) in &facts {
            ws.write_string_with_format(row, 0, *k, &bold)?;
            ws.write_string(row, 1, v)?;
            row += 1;
        }
        row += 1;
        ws.write_string_with_format(row, 0, "Notes", &bold)?;
        row += 1;
        for n in &annual.notes {
            ws.write_string_with_format(row, 1, n, &wrap)?;
            row += 1;
        }
        ws.set_column_width(0, 28)?;
        ws.set_column_width(1, 110)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Section C")?;
        ws.write_string_with_format(0, 0, &title_text, &title)?;
        let header_row = 2u32;
        let mut widths = Widths(Vec::new());
        for (c, h) in ANNUAL_COLUMNS.iter().enumerate() {
            ws.write_string_with_format(header_row, c as u16, *h, &bold)?;
            widths.see(c, h);
        }
        for (i, f) in annual.figures.iter().enumerate() {
            let row = header_row + 1 + i as u32;
            let texts = annual_row(f);
            ws.write_string(row, 0, &texts[0])?;
            ws.write_string(row, 1, &texts[1])?;
            ws.write_number(row, 2, f.numerator as f64)?;
            ws.write_number(row, 3, f.denominator as f64)?;
            if let Value::Tenths(t) = f.percentage {
                ws.write_number_with_format(row, 4, t as f64 / 1000.0, &pct)?;
            }
            if let Some(t) = f.target_percent {
                ws.write_number_with_format(row, 5, f64::from(t) / 100.0, &pct)?;
            }
            ws.write_string(row, 6, &texts[6])?;
            ws.write_string_with_format(row, 7, &texts[7], &wrap)?;
            for (c, t) in texts.iter().enumerate() {
                widths.see(c, t);
            }
        }
        ws.set_freeze_panes(header_row + 1, 0)?;
        widths.apply(ws, 60)?;
    }
    Ok(wb.save_to_buffer()?)
}
