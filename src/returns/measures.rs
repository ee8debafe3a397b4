//! What a figure is made of. The counting rules (`southampton`, `leicester`) turn the record
//! into [`Contribution`]s: one per unit (an episode, a review, a contact, a tally) per measure it
//! counts towards, saying how it counts. Tables of figures and the manager's drill-down are
//! both built from that one list, so a figure and the list of young people behind it can never
//! disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};

use super::value::{percentage_tenths, round_div, Value};
use crate::domain::calendar::AgeBand;
use crate::domain::codes::{CodeLists, ListName};

/// What a contribution counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// `inputs.episodes[i]`.
    Episode(usize),
    /// A review of `inputs.episodes[i]` held on the date.
    Review(usize, NaiveDate),
    /// `inputs.contacts[i]`.
    Contact(usize),
    /// `inputs.tallies[i]`: young people counted but never registered.
    Tally(usize),
    /// `inputs.mentoring.mentors[i]`: a volunteer mentor (L §10.3 B i, v).
    Mentor(usize),
    /// `inputs.mentoring.attendance[i]`: a mentor at a training session (L §10.3 A v).
    Attendance(usize),
    /// `inputs.mentoring.events[i]`: a session provided (L §10.3 B iii, iv).
    Event(usize),
    /// `inputs.mentoring.drives[i]`: a recruitment drive (L §10.3 B ii).
    Drive(usize),
    /// `inputs.mentoring.complaints[i]` (L §10.3 A viii).
    Complaint(usize),
}

/// How a unit counts towards a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Counted (count and category measures).
    Counted,
    /// In the denominator; `met` says whether it is in the numerator (`second` is KPI 2c's
    /// under-3-weeks numerator).
    Judged { met: bool, second: bool },
    /// The deadline has not passed on the report date and the event is not yet recorded:
    /// in neither numerator nor denominator.
    Pending,
    /// A value summarised as minimum, maximum and mean (waiting days).
    Value(i64),
}

/// One unit's part in one measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub measure: &'static str,
    pub unit: Unit,
    pub band: AgeBand,
    /// The row of a category table, e.g. `source:self`.
    pub category: Option<String>,
    pub status: Status,
    /// How many young people the unit stands for (a tally counts many; anything else one).
    pub weight: u64,
    /// The dates that decided it, for the drill-down.
    pub decided_by: Vec<(&'static str, NaiveDate)>,
}

/// Where a category table's rows come from, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The codes of a code list, in the list's order.
    List(ListName),
    /// A fixed set of codes.
    Fixed(&'static [&'static str]),
    /// Ages in years, 11 to 24, then any others seen.
    Ages,
    /// The three months of the quarter, `YYYY-MM`.
    Months,
    /// One row named by the prefix alone (e.g. `polydrug`).
    Single,
}

/// A group of rows in a category table: `prefix:code` for each code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub prefix: &'static str,
    pub order: Order,
    /// Always show a `prefix:not_recorded` row.
    pub not_recorded: bool,
}

/// The shape of a measure's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rows: age bands; field `count`.
    Count,
    /// Rows: age bands; fields numerator, denominator, pending, percentage.
    Rate,
    /// Rows: age bands; two numerators named by the suffixes (KPI 2c).
    Rate2(&'static str, &'static str),
    /// Rows: age bands; fields count, minimum, maximum, mean.
    Stats,
    /// Rows: categories; fields: age bands.
    Categories(&'static [Group]),
    /// Rows: a total, then categories; fields: age bands, then sex and ethnicity (Leicester).
    Demographic(&'static [Group]),
}

/// A measure a return can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureDef {
    pub id: &'static str,
    pub kind: Kind,
}

/// What a field holds, for suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A count of young people or episodes.
    Count,
    /// A percentage of the fields at these positions (numerator, denominator).
    Percentage(usize, usize),
    /// A statistic over the count at this position.
    Statistic(usize),
}

/// One measure's figures as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub measure: String,
    pub label: String,
    pub definition: String,
    pub fields: Vec<String>,
    pub field_kinds: Vec<FieldKind>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub breakdown: String,
    pub label: String,
    pub values: Vec<Value>,
}

/// The age-band breakdowns, in the order returns show them.
pub const BANDS: [&str; 4] = ["under_18", "18_24", "other", "all"];

pub fn band_label(code: &str) -> &'static str {
    match code {
        "under_18" => "Under 18",
        "18_24" => "18 to 24",
        "other" => "Other ages",
        "all" => "All ages",
        "total" => "Total",
        _ => "",
    }
}

fn band_matches(breakdown: &str, band: AgeBand) -> bool {
    breakdown == "all" || breakdown == band.code()
}

/// What the aggregation needs to know about the world outside the contributions.
pub struct Frame<'a> {
    pub codes: &'a CodeLists,
    pub quarter_start: NaiveDate,
    /// Sex and ethnicity of the young person behind a unit (Leicester's columns).
    pub demographics: &'a dyn Fn(Unit) -> (Option<&'a str>, Option<&'a str>),
}

/// Builds one measure's table from the contributions for it. `breakdowns` are the age bands
/// the layout asks for (rows, or fields for category tables); `by` the extra demographic
/// columns (`sex`, `ethnicity`) of a Leicester table.
pub fn table(
    def: &MeasureDef,
    label: &str,
    definition: &str,
    breakdowns: &[String],
    by: &[String],
    contributions: &[&Contribution],
    frame: &Frame,
) -> Table {
    let mut t = Table {
        measure: def.id.to_string(),
        label: label.to_string(),
        definition: definition.to_string(),
        fields: Vec::new(),
        field_kinds: Vec::new(),
        rows: Vec::new(),
    };
    let band_row = |b: &str, values: Vec<Value>| TableRow {
        breakdown: b.to_string(),
        label: band_label(b).to_string(),
        values,
    };
    match def.kind {
        Kind::Count => {
            t.fields = vec!["count".into()];
            t.field_kinds = vec![FieldKind::Count];
            for b in breakdowns {
                let n: u64 = contributions
                    .iter()
                    .filter(|c| c.status == Status::Counted && band_matches(b, c.band))
                    .map(|c| c.weight)
                    .sum();
                t.rows.push(band_row(b, vec![Value::Int(n as i64)]));
            }
        }
        Kind::Rate => {
            t.fields = ["numerator", "denominator", "pending", "percentage"]
                .map(String::from)
                .to_vec();
            t.field_kinds = vec![
                FieldKind::Count,
                FieldKind::Count,
                FieldKind::Count,
                FieldKind::Percentage(0, 1),
            ];
            for b in breakdowns {
                let r = rate(contributions, b);
                t.rows.push(band_row(
                    b,
                    vec![
                        Value::Int(r.met),
                        Value::Int(r.denominator),
                        Value::Int(r.pending),
                        percentage_tenths(r.met, r.denominator),
                    ],
                ));
            }
        }
        Kind::Rate2(first, second) => {
            t.fields = vec![
                format!("numerator_{first}"),
                format!("numerator_{second}"),
                "denominator".into(),
                "pending".into(),
                format!("percentage_{first}"),
                format!("percentage_{second}"),
            ];
            t.field_kinds = vec![
                FieldKind::Count,
                FieldKind::Count,
                FieldKind::Count,
                FieldKind::Count,
                FieldKind::Percentage(0, 2),
                FieldKind::Percentage(1, 2),
            ];
            for b in breakdowns {
                let r = rate(contributions, b);
                t.rows.push(band_row(
                    b,
                    vec![
                        Value::Int(r.met),
                        Value::Int(r.second),
                        Value::Int(r.denominator),
                        Value::Int(r.pending),
                        percentage_tenths(r.met, r.denominator),
                        percentage_tenths(r.second, r.denominator),
                    ],
                ));
            }
        }
        Kind::Stats => {
            t.fields = ["count", "minimum", "maximum", "mean"]
                .map(String::from)
                .to_vec();
            t.field_kinds = vec![
                FieldKind::Count,
                FieldKind::Statistic(0),
                FieldKind::Statistic(0),
                FieldKind::Statistic(0),
            ];
            for b in breakdowns {
                let values: Vec<i64> = contributions
                    .iter()
                    .filter(|c| band_matches(b, c.band))
                    .filter_map(|c| match c.status {
                        Status::Value(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                let n = values.len() as i64;
                let row = if n == 0 {
                    vec![
                        Value::Int(0),
                        Value::Missing,
                        Value::Missing,
                        Value::Missing,
                    ]
                } else {
                    let sum: i64 = values.iter().sum();
                    vec![
                        Value::Int(n),
                        Value::Int(*values.iter().min().unwrap_or(&0)),
                        Value::Int(*values.iter().max().unwrap_or(&0)),
                        Value::Tenths(round_div(sum * 10, n)),
                    ]
                };
                t.rows.push(band_row(b, row));
            }
        }
        Kind::Categories(groups) => {
            t.fields = breakdowns.to_vec();
            t.field_kinds = vec![FieldKind::Count; breakdowns.len()];
            // One pass: the weight in each (category, band).
            let mut sums: HashMap<&str, [u64; 3]> = HashMap::new();
            for c in contributions {
                if let Some(cat) = &c.category {
                    sums.entry(cat.as_str()).or_default()[band_index(c.band)] += c.weight;
                }
            }
            for (cat, label) in category_rows(groups, contributions, frame) {
                let by_band = sums.get(cat.as_str()).copied().unwrap_or_default();
                let values = breakdowns
                    .iter()
                    .map(|b| Value::Int(band_sum(&by_band, b) as i64))
                    .collect();
                t.rows.push(TableRow {
                    breakdown: cat,
                    label,
                    values,
                });
            }
        }
        Kind::Demographic(groups) => {
            // Columns: the age bands, then each sex and ethnicity the layout asks for.
            let mut fields: Vec<String> = breakdowns.to_vec();
            for dim in by {
                let (list, pick) = match dim.as_str() {
                    "sex" => (ListName::Sex, 0),
                    _ => (ListName::Ethnicity, 1),
                };
                let seen: BTreeSet<String> = contributions
                    .iter()
                    .map(|c| demographic(frame, c.unit, pick).to_string())
                    .collect();
                for code in ordered_codes(Order::List(list), &seen, frame, true) {
                    fields.push(format!("{dim}:{code}"));
                }
            }
            // One pass: the weight in each (row, column); every unit is in the total row.
            let mut sums: HashMap<(String, String), u64> = HashMap::new();
            for c in contributions {
                let mut columns = vec![c.band.code().to_string(), "all".to_string()];
                for dim in by {
                    let pick = if dim == "sex" { 0 } else { 1 };
                    columns.push(format!("{dim}:{}", demographic(frame, c.unit, pick)));
                }
                let rows = std::iter::once("total").chain(c.category.as_deref());
                for row in rows {
                    for col in &columns {
                        *sums.entry((row.to_string(), col.clone())).or_default() += c.weight;
                    }
                }
            }
            t.field_kinds = vec![FieldKind::Count; fields.len()];
            let mut rows: Vec<(String, String)> = vec![("total".into(), "Total".into())];
            rows.extend(category_rows(groups, contributions, frame));
            for (cat, label) in rows {
                let values = fields
                    .iter()
                    .map(|f| {
                        let n = sums.get(&(cat.clone(), f.clone())).copied().unwrap_or(0);
                        Value::Int(n as i64)
                    })
                    .collect();
                t.rows.push(TableRow {
                    breakdown: cat,
                    label,
                    values,
                });
            }
            t.fields = fields;
        }
    }
    t
}

fn band_index(band: AgeBand) -> usize {
    match band {
        AgeBand::Under18 => 0,
        AgeBand::From18To24 => 1,
        AgeBand::Other => 2,
    }
}

/// The sum for a breakdown (`all` or one band) from per-band sums.
fn band_sum(by_band: &[u64; 3], breakdown: &str) -> u64 {
    match AgeBand::from_code(breakdown) {
        Some(b) => by_band[band_index(b)],
        None => by_band.iter().sum(),
    }
}

/// The sex (`pick` 0) or ethnicity (1) code of the young person behind a unit.
fn demographic<'a>(frame: &Frame<'a>, unit: Unit, pick: usize) -> &'a str {
    let d = (frame.demographics)(unit);
    let v = if pick == 0 { d.0 } else { d.1 };
    v.unwrap_or(NOT_RECORDED)
}

/// The code used when a category is not recorded.
pub const NOT_RECORDED: &str = "not_recorded";

#[derive(Default)]
struct RateCounts {
    met: i64,
    second: i64,
    denominator: i64,
    pending: i64,
}

fn rate(contributions: &[&Contribution], breakdown: &str) -> RateCounts {
    let mut r = RateCounts::default();
    for c in contributions
        .iter()
        .filter(|c| band_matches(breakdown, c.band))
    {
        let w = c.weight as i64;
        match c.status {
            Status::Judged { met, second } => {
                r.denominator += w;
                r.met += if met { w } else { 0 };
                r.second += if second { w } else { 0 };
            }
            Status::Pending => r.pending += w,
            _ => {}
        }
    }
    r
}

/// The rows of a category table, in order, with labels.
fn category_rows(
    groups: &[Group],
    contributions: &[&Contribution],
    frame: &Frame,
) -> Vec<(String, String)> {
    let mut seen: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for c in contributions {
        if let Some(cat) = &c.category {
            if let Some((prefix, code)) = cat.split_once(':') {
                seen.entry(prefix).or_default().insert(code.to_string());
            }
        }
    }
    let empty = BTreeSet::new();
    let mut rows = Vec::new();
    for g in groups {
        if g.order == Order::Single {
            rows.push((g.prefix.to_string(), single_label(g.prefix).to_string()));
            continue;
        }
        let seen = seen.get(g.prefix).unwrap_or(&empty);
        for code in ordered_codes(g.order, seen, frame, g.not_recorded) {
            let label = code_label(g.order, &code, frame);
            rows.push((format!("{}:{code}", g.prefix), label));
        }
    }
    rows
}

/// The codes of a group in order: the known ones first, then any others seen (sorted), then
/// `not_recorded` when asked for or seen.
fn ordered_codes(
    order: Order,
    seen: &BTreeSet<String>,
    frame: &Frame,
    not_recorded: bool,
) -> Vec<String> {
    let mut known: Vec<String> = match order {
        Order::List(name) => frame
            .codes
            .list(name)
            .codes
            .iter()
            .filter(|c| !c.retired || seen.contains(&c.code))
            .map(|c| c.code.clone())
            .collect(),
        Order::Fixed(codes) => codes.iter().map(|c| c.to_string()).collect(),
        Order::Ages => (11..=24).map(|a| a.to_string()).collect(),
        Order::Months => {
            let mut out = Vec::new();
            let mut d = frame.quarter_start;
            for _ in 0..3 {
                out.push(format!("{:04}-{:02}", d.year(), d.month()));
                d = d.checked_add_months(chrono::Months::new(1)).unwrap_or(d);
            }
            out
        }
        Order::Single => Vec::new(),
    };
    let mut extra: Vec<&String> = seen
        .iter()
        .filter(|c| c.as_str() != NOT_RECORDED && !known.contains(c))
        .collect();
    if order == Order::Ages {
        extra.sort_by_key(|a| a.parse::<i64>().unwrap_or(i64::MAX));
    }
    known.extend(extra.into_iter().cloned());
    if not_recorded || seen.contains(NOT_RECORDED) {
        known.push(NOT_RECORDED.to_string());
    }
    known
}

fn code_label(order: Order, code: &str, frame: &Frame) -> String {
    if code == NOT_RECORDED {
        return "Not recorded".into();
    }
    if code == super::rules::UNLISTED {
        return "Not in the code list".into();
    }
    match order {
        Order::List(name) => frame.codes.list(name).label_of(code).to_string(),
        Order::Ages => format!("Aged {code}"),
        Order::Fixed(_) => fixed_label(code).to_string(),
        Order::Months => NaiveDate::parse_from_str(&format!("{code}-01"), "%Y-%m-%d")
            .map(|d| d.format("%B %Y").to_string())
            .unwrap_or_else(|_| code.to_string()),
        Order::Single => single_label(code).to_string(),
    }
}

fn fixed_label(code: &str) -> &str {
    match code {
        "alcohol" => "Alcohol",
        "drugs" => "Drugs",
        "under_3_months" => "Under 3 months",
        "3_to_6_months" => "3 to under 6 months",
        "6_to_12_months" => "6 to under 12 months",
        "12_months_and_over" => "12 months and over",
        other => other,
    }
}

fn single_label(prefix: &str) -> &str {
    match prefix {
        "polydrug" => "More than one substance (polydrug)",
        other => other,
    }
}

/// Contributions grouped by measure, keeping their order.
pub fn by_measure(contributions: &[Contribution]) -> BTreeMap<&'static str, Vec<&Contribution>> {
    let mut out: BTreeMap<&'static str, Vec<&Contribution>> = BTreeMap::new();
    for c in contributions {
        out.entry(c.measure).or_default().push(c);
    }
    out
}
