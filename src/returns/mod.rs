//! Quarterly returns, computed below the TUI so CLI and TUI share them.
//!
//! A return is counted in three steps: the store loads plain rows for the episodes that can
//! touch the quarter ([`crate::store::returns::load`]); a return's counting rules
//! ([`southampton`], [`leicester`]) turn them into contributions, each unit's part in each
//! measure; the layout picks, orders and labels the measures, and the tables of figures are
//! summed from the contributions. The drill-down ([`explain`]) reads the same contributions, so
//! a figure and the list of young people behind it always agree.
//!
//! What leaves the building ([`write_return`]) carries no name, reference or date of birth;
//! small counts can be suppressed; a manifest beside every export records the period, the
//! record counts, the definitions version and a SHA-256 of the figures.

pub mod explain;
pub mod layout;
pub mod leicester;
pub mod leicester_annual;
pub mod measures;
mod rules;
pub mod southampton;
pub mod value;
pub mod write;

use anyhow::{anyhow, Result};
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use crate::domain::calendar::{Calendar, Quarter};
pub use crate::domain::codes::CodeLists;
pub use explain::{explain, explain_cell, ExplainRow, Explanation};
pub use layout::{LayoutSource, ReturnKind};
pub use measures::{FieldKind, Table, TableRow};
pub use value::Value;
pub use write::{export, write_return, Format, Written};

use crate::store::returns::{self as loader, Progress, ReturnInputs};
use crate::store::Store;
use measures::{Contribution, Frame, Unit};
use rules::Ctx;

/// Which return to produce, for when, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: ReturnKind,
    pub quarter: Quarter,
    /// "Today" from the clock: a deadline not yet passed on this date is pending.
    pub report_date: NaiveDate,
    /// Replace counts from 1 to `n − 1` with `*` (and what is worked out from them).
    pub suppress_below: Option<u32>,
    /// The text of the service's own layout file (same name as the shipped one, from the
    /// configuration folder), when it has one.
    pub layout_override: Option<String>,
}

impl Request {
    /// The return `kind` for `quarter` as of `report_date`, shipped layout, nothing suppressed.
    pub fn new(kind: ReturnKind, quarter: Quarter, report_date: NaiveDate) -> Request {
        Request {
            kind,
            quarter,
            report_date,
            suppress_below: None,
            layout_override: None,
        }
    }
}

/// One section of a return: a spreadsheet tab, a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub sheet: String,
    pub title: String,
    pub tables: Vec<Table>,
}

/// A figure withheld by small-number suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellRef {
    pub measure: String,
    pub breakdown: String,
    pub field: String,
}

/// One figure of a return, as the JSON export lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell<'a> {
    pub measure: &'a str,
    pub breakdown: &'a str,
    pub field: &'a str,
    pub value: Value,
}

/// A computed return: what every format writes. It holds no name, reference or date of birth.
#[derive(Debug, Clone, PartialEq)]
pub struct Return {
    pub kind: ReturnKind,
    pub service: String,
    pub title: String,
    pub quarter: Quarter,
    /// "Today" when it was produced: deadlines not passed on this date are pending.
    pub report_date: NaiveDate,
    pub definitions_version: String,
    pub layout_source: LayoutSource,
    /// The definitions the figures follow, for the cover sheet.
    pub notes: Vec<String>,
    pub sections: Vec<Section>,
    pub suppress_below: Option<u32>,
    pub suppressed: Vec<CellRef>,
    /// Rows per table in the database when it was produced.
    pub record_counts: Vec<(String, i64)>,
}

impl Return {
    /// Every figure, section by section, measure by measure, row by row, field by field: a
    /// stable order.
    pub fn cells(&self) -> Vec<Cell<'_>> {
        let mut out = Vec::new();
        for s in &self.sections {
            for t in &s.tables {
                for r in &t.rows {
                    for (f, v) in t.fields.iter().zip(&r.values) {
                        out.push(Cell {
                            measure: &t.measure,
                            breakdown: &r.breakdown,
                            field: f,
                            value: *v,
                        });
                    }
                }
            }
        }
        out
    }

    /// One figure.
    pub fn value(&self, measure: &str, breakdown: &str, field: &str) -> Option<Value> {
        let t = self.table(measure)?;
        let col = t.fields.iter().position(|f| f == field)?;
        let row = t.rows.iter().find(|r| r.breakdown == breakdown)?;
        row.values.get(col).copied()
    }

    /// One measure's table.
    pub fn table(&self, measure: &str) -> Option<&Table> {
        self.sections
            .iter()
            .flat_map(|s| &s.tables)
            .find(|t| t.measure == measure)
    }

    /// The figures as JSON: a flat list of cells, one per line, in [`Return::cells`] order.
    /// The same database, quarter, report date and options give the same bytes.
    pub fn figures_json(&self) -> String {
        let cells = self.cells();
        let mut out = String::from("[\n");
        for (i, c) in cells.iter().enumerate() {
            // Serialising plain strings and numbers cannot fail.
            out.push_str(&serde_json::to_string(c).unwrap_or_default());
            out.push_str(if i + 1 < cells.len() { ",\n" } else { "\n" });
        }
        out.push_str("]\n");
        out
    }

    /// SHA-256 of [`Return::figures_json`], hex.
    pub fn figures_sha256(&self) -> String {
        hex(&Sha256::digest(self.figures_json().as_bytes()))
    }

    /// A file-name stem: `southampton-2025-26-Q2`.
    pub fn file_stem(&self) -> String {
        format!(
            "{}-{}",
            self.kind.code(),
            self.quarter.label().replace(' ', "-")
        )
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts the return asked for as the record stands, with pending judged on the request's
/// report date. `progress` hears each stage.
pub fn compute(
    store: &Store,
    calendar: &Calendar,
    codes: &CodeLists,
    request: &Request,
    progress: Progress,
) -> Result<Return> {
    let Request {
        kind,
        quarter,
        report_date,
        ..
    } = *request;
    let (layout, source) =
        layout::load(kind, request.layout_override.as_deref()).map_err(|e| anyhow!(e))?;
    let inputs = load_inputs(store, codes, quarter, progress)?;
    progress("counting", 0, 1);
    let cx = Ctx::new(quarter.start(), quarter.end(), report_date, calendar, codes);
    let contributions = contributions(kind, &inputs, &cx)?;
    let mut ret = assemble(kind, &layout, source, &inputs, &contributions, &cx, quarter);
    if let Some(n) = request.suppress_below {
        ret.suppressed = suppress(&mut ret.sections, n);
        ret.suppress_below = Some(n);
    }
    progress("counting", 1, 1);
    Ok(ret)
}

/// What a return for `quarter` is counted from, every coded value canonical.
pub(crate) fn load_inputs(
    store: &Store,
    codes: &CodeLists,
    quarter: Quarter,
    progress: Progress,
) -> Result<ReturnInputs> {
    let mut inputs = loader::load(store, quarter.start(), quarter.end(), progress)?;
    rules::normalise(&mut inputs, codes);
    Ok(inputs)
}

pub(crate) fn contributions(
    kind: ReturnKind,
    inputs: &ReturnInputs,
    cx: &Ctx,
) -> Result<Vec<Contribution>> {
    match kind {
        ReturnKind::Southampton => southampton::contributions(inputs, cx),
        ReturnKind::Leicester => leicester::contributions(inputs, cx),
    }
}

fn assemble(
    kind: ReturnKind,
    layout: &layout::Layout,
    source: LayoutSource,
    inputs: &ReturnInputs,
    contributions: &[Contribution],
    cx: &Ctx,
    quarter: Quarter,
) -> Return {
    let demographics = |u: Unit| demographics_of(inputs, u);
    let frame = Frame {
        codes: cx.codes,
        quarter_start: cx.start,
        demographics: &demographics,
    };
    let grouped = measures::by_measure(contributions);
    let none = Vec::new();
    let sections = layout
        .sections
        .iter()
        .map(|s| Section {
            id: s.id.clone(),
            sheet: s.sheet.trim().to_string(),
            title: s.title.clone(),
            tables: s
                .measures
                .iter()
                .filter_map(|m| {
                    let def = kind.measures().iter().find(|d| d.id == m.id)?;
                    let cs = grouped.get(def.id).unwrap_or(&none);
                    Some(measures::table(
                        def,
                        &m.label,
                        &m.definition,
                        &m.bands(),
                        &m.by_columns(),
                        cs,
                        &frame,
                    ))
                })
                .collect(),
        })
        .collect();
    let mut notes = layout.notes.clone();
    if cx.projected.get() {
        notes.push(
            "Some working-day deadlines in this return were counted across a year whose bank \
             holidays are projected from the standing rules, not yet confirmed by GOV.UK."
                .into(),
        );
    }
    Return {
        kind,
        service: layout.service.clone(),
        title: layout.title.clone(),
        quarter,
        report_date: cx.report_date,
        definitions_version: layout.definitions_version.clone(),
        layout_source: source,
        notes,
        sections,
        suppress_below: None,
        suppressed: Vec::new(),
        record_counts: inputs.record_counts.clone(),
    }
}

/// Sex and ethnicity of the young person behind a unit (none for a tally).
fn demographics_of(inputs: &ReturnInputs, u: Unit) -> (Option<&str>, Option<&str>) {
    let (sex, eth) = match u {
        Unit::Episode(i) | Unit::Review(i, _) => {
            let e = &inputs.episodes[i];
            (&e.sex, &e.ethnicity)
        }
        Unit::Contact(i) => {
            let c = &inputs.contacts[i];
            (&c.sex, &c.ethnicity)
        }
        Unit::Mentor(i) => {
            let m = &inputs.mentoring.mentors[i];
            (&m.gender, &m.ethnicity)
        }
        Unit::Attendance(i) => {
            let m = &inputs.mentoring.mentors[inputs.mentoring.attendance[i].mentor];
            (&m.gender, &m.ethnicity)
        }
        Unit::Complaint(i) => {
            let c = &inputs.mentoring.complaints[i];
            (&c.sex, &c.ethnicity)
        }
        Unit::Tally(_) | Unit::Event(_) | Unit::Drive(_) => return (None, None),
    };
    (
        sex.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        eth.as_deref().map(str::trim).filter(|s| !s.is_empty()),
    )
}

/// Replaces counts from 1 to `below − 1` with `*`, then every percentage or statistic worked
/// out from a suppressed count; returns what it withheld, in cell order.
fn suppress(sections: &mut [Section], below: u32) -> Vec<CellRef> {
    let below = i64::from(below);
    let mut withheld = Vec::new();
    for t in sections.iter_mut().flat_map(|s| s.tables.iter_mut()) {
        for r in &mut t.rows {
            let mut hit = vec![false; r.values.len()];
            for (i, k) in t.field_kinds.iter().enumerate() {
                if let (FieldKind::Count, Value::Int(v)) = (k, r.values[i]) {
                    if v >= 1 && v < below {
                        hit[i] = true;
                    }
                }
            }
            for (i, k) in t.field_kinds.iter().enumerate() {
                let derived = match *k {
                    FieldKind::Count => false,
                    FieldKind::Percentage(n, d) => hit[n] || hit[d],
                    FieldKind::Statistic(c) => hit[c],
                };
                if derived && r.values[i] != Value::Missing {
                    hit[i] = true;
                }
            }
            for (i, h) in hit.iter().enumerate() {
                if *h {
                    r.values[i] = Value::Suppressed;
                    withheld.push(CellRef {
                        measure: t.measure.clone(),
                        breakdown: r.breakdown.clone(),
                        field: t.fields[i].clone(),
                    });
                }
            }
        }
    }
    withheld
}
