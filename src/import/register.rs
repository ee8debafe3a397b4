//! Reading a service's register (DESIGN.md, "The register a service migrates from"): CSV bytes
//! in, checked rows out, or every problem found, each naming its row (as a spreadsheet counts
//! them: the header is row 1) and column. Pure: no SQL, no files, no real date.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use super::Problem;
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::validate::{parse_date, truncate_for_message};

/// The register's columns, in the order DESIGN.md gives them, then `follow_up_dates`
/// (issue 17).
pub const COLUMNS: [&str; 26] = [
    "ref",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "postcode",
    "referral_date",
    "referral_source",
    "triage_date",
    "triage_outcome",
    "assessment_date",
    "treatment_start",
    "care_plan_date",
    "review_dates",
    "key_worker",
    "joint_worked",
    "primary_substance",
    "secondary_substance",
    "route",
    "injecting",
    "vulnerabilities",
    "top_dates",
    "exit_date",
    "exit_reason",
    "follow_up_dates",
];

/// Columns a register must have. Every other column may be left out (= never recorded).
pub const REQUIRED: [&str; 4] = [
    "given_name",
    "family_name",
    "date_of_birth",
    "referral_date",
];

/// How far either side of an event a TOP still counts for it (DESIGN.md).
pub const TOP_WINDOW_DAYS: i64 = 14;

/// One register row, checked: codes resolved to the lists' codes, dates parsed.
/// No `Debug`: it holds a young person's name and date of birth.
#[derive(Clone, Default)]
pub struct RegisterRow {
    /// The row number a spreadsheet shows (header = 1).
    pub row: usize,
    /// The register's own reference for the young person, trimmed and upper-cased.
    pub reference: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    /// The postcode district only (e.g. `SO14`): a full postcode is cut to its district.
    pub postcode_district: Option<String>,
    pub referral_date: NaiveDate,
    pub referral_source: Option<String>,
    pub triage_date: Option<NaiveDate>,
    pub triage_outcome: Option<String>,
    pub assessment_date: Option<NaiveDate>,
    pub treatment_start: Option<NaiveDate>,
    pub care_plan_date: Option<NaiveDate>,
    pub review_dates: Vec<NaiveDate>,
    pub key_worker: Option<String>,
    pub joint_worked: bool,
    pub primary_substance: Option<String>,
    pub secondary_substance: Option<String>,
    pub route: Option<String>,
    pub injecting: Option<String>,
    pub vulnerabilities: Vec<String>,
    pub top_dates: Vec<NaiveDate>,
    pub exit_date: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    /// Follow-ups after the exit that reached the young person (S §20.5).
    pub follow_up_dates: Vec<NaiveDate>,
}

impl RegisterRow {
    /// Folded names and date of birth: who a row without a `ref` is.
    pub fn name_key(&self) -> String {
        crate::domain::record::fold_name(&format!("{} {}", self.given_name, self.family_name))
    }
}

/// What a TOP dated `top` was recorded for: the nearest of treatment start, a review and the
/// exit within [`TOP_WINDOW_DAYS`] either side (earlier event on a tie), else `other`.
pub fn top_occasion(
    top: NaiveDate,
    treatment_start: Option<NaiveDate>,
    review_dates: &[NaiveDate],
    exit_date: Option<NaiveDate>,
) -> &'static str {
    let events = treatment_start
        .map(|d| (d, "start"))
        .into_iter()
        .chain(review_dates.iter().map(|d| (*d, "review")))
        .chain(exit_date.map(|d| (d, "exit")));
    let mut best: Option<(i64, &'static str)> = None;
    for (d, occasion) in events {
        let gap = (top - d).num_days().abs();
        if gap <= TOP_WINDOW_DAYS && best.is_none_or(|(b, _)| gap < b) {
            best = Some((gap, occasion));
        }
    }
    best.map_or("other", |(_, o)| o)
}

/// Turns a header cell into a column name: case, surrounding space, and spaces or hyphens for
/// underscores do not matter (`Date of birth` is `date_of_birth`).
fn header_name(cell: &str) -> String {
    cell.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// Edit distance, for "did you mean" on a misspelt header.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

const NOT_UTF8: &str =
    "the file is not UTF-8 — save it from Excel as 'CSV UTF-8 (Comma delimited)' and import that";

/// A cell as read: its text, or bytes that are not UTF-8.
enum Cell {
    Text(String),
    Unreadable,
}

/// Reads and checks the whole register. `today` bounds dates (nothing recorded in the future).
pub fn read_register(
    bytes: &[u8],
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<Vec<RegisterRow>, Vec<Problem>> {
    let mut problems = Vec::new();
    // A register repeats a few values per column many times: look each up once.
    let mut resolved: HashMap<(ListName, String), Result<String, String>> = HashMap::new();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        problems.push(Problem::file(
            "the file is UTF-16 (Excel's 'Unicode Text'), not UTF-8 — save it from Excel as 'CSV UTF-8 (Comma delimited)' and import that",
        ));
        return Err(problems);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        // Said once for the file; each unreadable cell is named below as well.
        problems.push(Problem::file(NOT_UTF8));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();

    let header = match records.next() {
        None => {
            problems.push(Problem::file(
                "the file is empty: the first row must name the columns",
            ));
            return Err(problems);
        }
        Some(Err(e)) => {
            problems.push(Problem::at(1, None, csv_message(&e)));
            return Err(problems);
        }
        Some(Ok(h)) => h,
    };
    let Some(layout) = read_header(&header, &mut problems) else {
        return Err(problems);
    };

    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::at(row, None, csv_message(&e)));
                continue;
            }
        };
        let cells: Vec<Cell> = record
            .iter()
            .map(|b| match std::str::from_utf8(b) {
                Ok(s) => Cell::Text(s.trim().to_string()),
                Err(_) => Cell::Unreadable,
            })
            .collect();
        // Spreadsheets leave rows of empty cells at the end of a sheet: not episodes.
        if cells
            .iter()
            .all(|c| matches!(c, Cell::Text(t) if t.is_empty()))
        {
            continue;
        }
        if cells.len() != layout.width {
            problems.push(Problem::at(
                row,
                None,
                format!(
                    "has {} cells but the header has {}: a cell may hold an unquoted comma, or cells are missing",
                    cells.len(),
                    layout.width
                ),
            ));
            continue;
        }
        for &pos in &layout.unnamed {
            if matches!(&cells[pos], Cell::Text(t) if !t.is_empty()) {
                problems.push(Problem::at(
                    row,
                    Some(format!("{}", pos + 1)),
                    "this cell is in a column with no name in the header: name the column or empty it",
                ));
            }
        }
        let mut reader = RowReader {
            row,
            cells: &cells,
            layout: &layout,
            codes,
            resolved: &mut resolved,
            today,
            problems: &mut problems,
        };
        if let Some(r) = reader.read() {
            rows.push(r);
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(_) => "the file could not be read to the end".to_string(),
        _ => "this row could not be read as CSV".to_string(),
    }
}

/// Where each known column sits in a row.
struct Layout {
    /// Position of each of [`COLUMNS`], when the register has it.
    position: [Option<usize>; COLUMNS.len()],
    /// Cells per row, as the header has them.
    width: usize,
    /// Header cells left empty (a spreadsheet's trailing blank columns).
    unnamed: Vec<usize>,
}

/// Reads the header. Unknown and repeated names are noted and the rows still checked (their
/// cells ignored); a missing required column stops there, as every row would say the same.
fn read_header(header: &csv::ByteRecord, problems: &mut Vec<Problem>) -> Option<Layout> {
    let mut missing = false;
    let mut position = [None; COLUMNS.len()];
    let mut unnamed = Vec::new();
    if header.len() == 1 {
        let only = String::from_utf8_lossy(&header[0]);
        if only.contains(';') || only.contains('\t') {
            problems.push(Problem::at(
                1,
                None,
                "the header is one cell: the file separates columns with ';' or tabs, not commas — save it from Excel as 'CSV UTF-8 (Comma delimited)'",
            ));
            return None;
        }
    }
    for (pos, raw) in header.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.push(Problem::at(
                1,
                Some(format!("{}", pos + 1)),
                "this header cell is not UTF-8 text",
            ));
            continue;
        };
        let name = header_name(text);
        if name.is_empty() {
            unnamed.push(pos);
            continue;
        }
        let shown = truncate_for_message(text.trim());
        match COLUMNS.iter().position(|c| *c == name) {
            Some(k) if position[k].is_some() => problems.push(Problem::at(
                1,
                Some(shown),
                format!(
                    "appears twice in the header (columns {} and {}): keep one",
                    position[k].map_or(0, |p| p + 1),
                    pos + 1
                ),
            )),
            Some(k) => position[k] = Some(pos),
            None => {
                let near = COLUMNS
                    .iter()
                    .map(|c| (distance(&name, c), *c))
                    .min()
                    .filter(|(d, _)| *d <= 3);
                let message = match near {
                    Some((_, c)) => format!("unknown column: did you mean {c}?"),
                    None => format!(
                        "unknown column: the register's columns are {}",
                        COLUMNS.join(", ")
                    ),
                };
                problems.push(Problem::at(1, Some(shown), message));
            }
        }
    }
    for required in REQUIRED {
        let k = COLUMNS.iter().position(|c| *c == required).unwrap_or(0);
        if position[k].is_none() {
            missing = true;
            problems.push(Problem::at(
                1,
                Some(required.to_string()),
                "missing from the header: the register must have this column",
            ));
        }
    }
    (!missing).then_some(Layout {
        position,
        width: header.len(),
        unnamed,
    })
}

/// Reads one row's cells, noting each problem at its column.
struct RowReader<'a> {
    row: usize,
    cells: &'a [Cell],
    layout: &'a Layout,
    codes: &'a CodeLists,
    resolved: &'a mut HashMap<(ListName, String), Result<String, String>>,
    today: NaiveDate,
    problems: &'a mut Vec<Problem>,
}

impl RowReader<'_> {
    fn problem(&mut self, column: &str, message: impl Into<String>) {
        self.problems
            .push(Problem::at(self.row, Some(column.to_string()), message));
    }

    /// The trimmed text of `column` ("" when the register has no such column), or `None` when
    /// the cell is not UTF-8 (noted once here).
    fn text(&mut self, column: &'static str) -> Option<String> {
        let k = COLUMNS.iter().position(|c| *c == column)?;
        let Some(pos) = self.layout.position[k] else {
            return Some(String::new());
        };
        match &self.cells[pos] {
            Cell::Text(t) => Some(t.clone()),
            Cell::Unreadable => {
                self.problem(column, "this cell is not UTF-8 text (see the first line)");
                None
            }
        }
    }

    fn optional(&mut self, column: &'static str) -> Option<String> {
        self.text(column).filter(|t| !t.is_empty())
    }

    fn parse_one_date(&mut self, column: &'static str, text: &str) -> Option<NaiveDate> {
        match parse_date(text) {
            Ok(d) if d > self.today => {
                self.problem(
                    column,
                    format!(
                        "{d} is in the future (today is {}): check the date",
                        self.today
                    ),
                );
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                self.problem(column, message);
                None
            }
        }
    }

    fn date(&mut self, column: &'static str) -> Option<NaiveDate> {
        let text = self.optional(column)?;
        self.parse_one_date(column, &text)
    }

    fn dates(&mut self, column: &'static str) -> Vec<NaiveDate> {
        let Some(text) = self.optional(column) else {
            return Vec::new();
        };
        let mut out: Vec<NaiveDate> = text
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .filter_map(|t| self.parse_one_date(column, t))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The list's code for `text` (its code, label or an alias, case-insensitive).
    fn resolve(&mut self, list: ListName, text: &str) -> Result<String, String> {
        let codes = self.codes;
        self.resolved
            .entry((list, text.to_string()))
            .or_insert_with(|| codes.check(list, text))
            .clone()
    }

    fn code(&mut self, column: &'static str, list: ListName) -> Option<String> {
        let text = self.optional(column)?;
        match self.resolve(list, &text) {
            Ok(code) => Some(code),
            Err(message) => {
                self.problem(column, message);
                None
            }
        }
    }

    fn codes(&mut self, column: &'static str, list: ListName) -> Vec<String> {
        let Some(text) = self.optional(column) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in text.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            match self.resolve(list, item) {
                Ok(code) if !out.contains(&code) => out.push(code),
                Ok(_) => {}
                Err(message) => self.problem(column, message),
            }
        }
        out
    }

    fn yes_no(&mut self, column: &'static str) -> bool {
        let Some(text) = self.optional(column) else {
            return false;
        };
        match text.to_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => true,
            "no" | "n" | "false" | "0" => false,
            _ => {
                self.problem(
                    column,
                    format!(
                        "'{}' is not yes or no: use yes/no, y/n, true/false or 1/0",
                        truncate_for_message(&text)
                    ),
                );
                false
            }
        }
    }

    fn postcode(&mut self) -> Option<String> {
        let text = self.optional("postcode")?;
        match postcode_district(&text) {
            Some(d) => Some(d),
            None => {
                self.problem(
                    "postcode",
                    format!(
                        "'{}' is not a postcode or postcode district (e.g. SO14 3AB or SO14)",
                        truncate_for_message(&text)
                    ),
                );
                None
            }
        }
    }

    /// Reads every cell, then checks the order of the dates. `None` when anything is wrong.
    fn read(&mut self) -> Option<RegisterRow> {
        let before = self.problems.len();
        let reference = self.optional("ref").map(|r| r.to_uppercase());
        let given_name = self.text("given_name").unwrap_or_default();
        let family_name = self.text("family_name").unwrap_or_default();
        if given_name.is_empty() && family_name.is_empty() && self.problems.len() == before {
            self.problem(
                "given_name",
                "no name: a young person needs a given_name or a family_name",
            );
        }
        let date_of_birth = self.date("date_of_birth");
        let referral_text = self.text("referral_date");
        let referral_date = match referral_text.as_deref() {
            Some("") => {
                self.problem(
                    "referral_date",
                    "missing: every row is an episode and needs its referral date",
                );
                None
            }
            Some(_) => self.date("referral_date"),
            None => None,
        };
        let r = RegisterRow {
            row: self.row,
            reference,
            given_name,
            family_name,
            date_of_birth,
            sex: self.code("sex", ListName::Sex),
            ethnicity: self.code("ethnicity", ListName::Ethnicity),
            postcode_district: self.postcode(),
            referral_date: referral_date.unwrap_or_default(),
            referral_source: self.code("referral_source", ListName::ReferralSources),
            triage_date: self.date("triage_date"),
            triage_outcome: self.code("triage_outcome", ListName::TriageOutcomes),
            assessment_date: self.date("assessment_date"),
            treatment_start: self.date("treatment_start"),
            care_plan_date: self.date("care_plan_date"),
            review_dates: self.dates("review_dates"),
            key_worker: self.optional("key_worker"),
            joint_worked: self.yes_no("joint_worked"),
            primary_substance: self.code("primary_substance", ListName::Substances),
            secondary_substance: self.code("secondary_substance", ListName::Substances),
            route: self.code("route", ListName::Routes),
            injecting: self.code("injecting", ListName::Injecting),
            vulnerabilities: self.codes("vulnerabilities", ListName::Vulnerabilities),
            top_dates: self.dates("top_dates"),
            exit_date: self.date("exit_date"),
            exit_reason: self.code("exit_reason", ListName::ExitReasons),
            follow_up_dates: self.dates("follow_up_dates"),
        };
        self.check_presence(&r);
        if referral_date.is_some() {
            self.check_order(&r);
        }
        (self.problems.len() == before).then_some(r)
    }

    /// What one cell needs another to mean anything.
    fn check_presence(&mut self, r: &RegisterRow) {
        if r.reference.is_none() && self.optional_quiet("date_of_birth").is_none() {
            self.problem(
                "date_of_birth",
                "missing: a row without a ref needs the date of birth to tell who the young person is",
            );
        }
        if self.optional_quiet("triage_outcome").is_some()
            && self.optional_quiet("triage_date").is_none()
        {
            self.problem(
                "triage_outcome",
                "given without a triage_date: give the date of the triage",
            );
        }
        if self.optional_quiet("injecting").is_some()
            && (self.optional_quiet("triage_date").is_none()
                || self.optional_quiet("triage_outcome").is_none())
        {
            self.problem(
                "injecting",
                "injecting is recorded at triage: give the triage_date and triage_outcome too, or leave it empty",
            );
        }
        let primary = self.optional_quiet("primary_substance").is_some();
        if self.optional_quiet("secondary_substance").is_some() && !primary {
            self.problem(
                "secondary_substance",
                "given without a primary_substance: put the main substance first",
            );
        }
        if self.optional_quiet("route").is_some() && !primary {
            self.problem(
                "route",
                "the route is the primary substance's: give the primary_substance too",
            );
        }
        if self.optional_quiet("exit_reason").is_some()
            && self.optional_quiet("exit_date").is_none()
        {
            self.problem(
                "exit_reason",
                "given without an exit_date: give the date the episode ended",
            );
        }
        if self.optional_quiet("follow_up_dates").is_some()
            && self.optional_quiet("exit_date").is_none()
        {
            self.problem(
                "follow_up_dates",
                "given without an exit_date: a follow-up comes after the episode ends",
            );
        }
    }

    /// A non-empty cell's text without noting anything (its problems are noted elsewhere).
    fn optional_quiet(&self, column: &'static str) -> Option<()> {
        let k = COLUMNS.iter().position(|c| *c == column)?;
        let pos = self.layout.position[k]?;
        match &self.cells[pos] {
            Cell::Text(t) if t.is_empty() => None,
            _ => Some(()),
        }
    }

    /// Events happen in order: no triage before the referral, no assessment before the
    /// triage, nothing recorded after the exit, and so on.
    fn check_order(&mut self, r: &RegisterRow) {
        let referral = r.referral_date;
        if let Some(dob) = r.date_of_birth {
            if dob > referral {
                self.problem(
                    "date_of_birth",
                    format!("{dob} is after the referral_date {referral}"),
                );
            }
        }
        let after_referral: [(&str, Option<NaiveDate>); 4] = [
            ("triage_date", r.triage_date),
            ("treatment_start", r.treatment_start),
            ("care_plan_date", r.care_plan_date),
            ("exit_date", r.exit_date),
        ];
        for (column, d) in after_referral {
            if let Some(d) = d.filter(|d| *d < referral) {
                self.problem(
                    column,
                    format!("{d} is before the referral_date {referral}"),
                );
            }
        }
        if let Some(a) = r.assessment_date {
            match r.triage_date {
                Some(t) if a < t => self.problem(
                    "assessment_date",
                    format!("{a} is before the triage_date {t}"),
                ),
                None if a < referral => self.problem(
                    "assessment_date",
                    format!("{a} is before the referral_date {referral}"),
                ),
                _ => {}
            }
        }
        for (column, list) in [
            ("review_dates", &r.review_dates),
            ("top_dates", &r.top_dates),
        ] {
            if let Some(d) = list.iter().find(|d| **d < referral) {
                self.problem(
                    column,
                    format!("{d} is before the referral_date {referral}"),
                );
            }
        }
        let Some(exit) = r.exit_date else {
            return;
        };
        let before_exit: [(&str, Option<NaiveDate>); 4] = [
            ("triage_date", r.triage_date),
            ("assessment_date", r.assessment_date),
            ("treatment_start", r.treatment_start),
            ("care_plan_date", r.care_plan_date),
        ];
        for (column, d) in before_exit {
            if let Some(d) = d.filter(|d| *d > exit) {
                self.problem(column, format!("{d} is after the exit_date {exit}"));
            }
        }
        if let Some(d) = r.review_dates.iter().find(|d| **d > exit) {
            self.problem("review_dates", format!("{d} is after the exit_date {exit}"));
        }
        if let Some(d) = r.follow_up_dates.iter().find(|d| **d < exit) {
            self.problem(
                "follow_up_dates",
                format!("{d} is before the exit_date {exit}: a follow-up comes after the exit"),
            );
        }
        let last_top = exit + Duration::days(TOP_WINDOW_DAYS);
        if let Some(d) = r.top_dates.iter().find(|d| **d > last_top) {
            self.problem(
                "top_dates",
                format!("{d} is more than {TOP_WINDOW_DAYS} days after the exit_date {exit}"),
            );
        }
    }
}

/// The postcode district (outward code) of a full postcode or a district, upper-cased; `None`
/// when the text is neither. Only the district is kept: enough for returns, no more.
pub fn postcode_district(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    if !compact.is_ascii() {
        return None;
    }
    let b = compact.as_bytes();
    // A full postcode ends in its inward code: a digit and two letters.
    let outward = if b.len() >= 5
        && b[b.len() - 3].is_ascii_digit()
        && b[b.len() - 2..].iter().all(u8::is_ascii_alphabetic)
    {
        &compact[..compact.len() - 3]
    } else {
        compact.as_str()
    };
    let o = outward.as_bytes();
    let letters = o.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let ok = (2..=4).contains(&o.len())
        && (1..=2).contains(&letters)
        && o.get(letters).is_some_and(u8::is_ascii_digit)
        && o[letters..].iter().all(u8::is_ascii_alphanumeric);
    ok.then(|| outward.to_string())
}

/// Rows grouped by young person: rows with the same `ref`, or (without one) the same folded
/// names and date of birth. A row without a ref joins the one group with a ref that has its
/// names and date of birth.
pub struct Group {
    /// The register's ref, when the group has one.
    pub reference: Option<String>,
    /// Indices into the rows, in file order.
    pub rows: Vec<usize>,
}

/// Groups checked rows by young person, refusing a young person with two rows for one
/// referral date, a ref given two dates of birth, or a row without a ref that could belong
/// to more than one.
pub fn group_rows(rows: &[RegisterRow]) -> Result<Vec<Group>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    // (folded names, date of birth) -> groups with a ref that have a row with them
    let mut ref_groups_by_name: HashMap<(String, NaiveDate), Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(reference) = &r.reference {
            let g = *by_ref.entry(reference.clone()).or_insert_with(|| {
                groups.push(Group {
                    reference: Some(reference.clone()),
                    rows: Vec::new(),
                });
                groups.len() - 1
            });
            groups[g].rows.push(i);
            if let Some(dob) = r.date_of_birth {
                let seen = ref_groups_by_name.entry((r.name_key(), dob)).or_default();
                if !seen.contains(&g) {
                    seen.push(g);
                }
            }
        }
    }
    let mut by_name: HashMap<(String, NaiveDate), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.reference.is_some() {
            continue;
        }
        let Some(dob) = r.date_of_birth else {
            continue; // refused when the row was read
        };
        let key = (r.name_key(), dob);
        match ref_groups_by_name.get(&key).map(Vec::as_slice) {
            Some([g]) => groups[*g].rows.push(i),
            Some(several) => {
                let firsts: Vec<String> = several
                    .iter()
                    .map(|g| rows[groups[*g].rows[0]].row.to_string())
                    .collect();
                problems.push(Problem::at(
                    r.row,
                    Some("ref".to_string()),
                    format!(
                        "missing, and the names and date of birth match rows with different refs (rows {}): give this row its ref",
                        firsts.join(", ")
                    ),
                ));
            }
            None => {
                let g = *by_name.entry(key).or_insert_with(|| {
                    groups.push(Group {
                        reference: None,
                        rows: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[g].rows.push(i);
            }
        }
    }
    for g in &mut groups {
        g.rows.sort_unstable();
        let mut first_dob: Option<&RegisterRow> = None;
        let mut referred: HashMap<NaiveDate, usize> = HashMap::new();
        for &i in &g.rows {
            let r = &rows[i];
            if let Some(dob) = r.date_of_birth {
                match first_dob {
                    Some(f) if f.date_of_birth != Some(dob) => problems.push(Problem::at(
                        r.row,
                        Some("date_of_birth".to_string()),
                        format!(
                            "differs from row {} for the same young person (same ref): one of them is wrong",
                            f.row
                        ),
                    )),
                    Some(_) => {}
                    None => first_dob = Some(r),
                }
            }
            if let Some(earlier) = referred.insert(r.referral_date, r.row) {
                problems.push(Problem::at(
                    r.row,
                    Some("referral_date".to_string()),
                    format!(
                        "the same young person has another episode referred on this date (row {earlier}): one row per episode"
                    ),
                ));
                referred.insert(r.referral_date, earlier);
            }
        }
    }
    problems.sort_by_key(|p| p.row);
    if problems.is_empty() {
        groups.sort_by_key(|g| g.rows[0]);
        Ok(groups)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_full_postcode_is_cut_to_its_district() {
        assert_eq!(postcode_district("so14 3ab").as_deref(), Some("SO14"));
        assert_eq!(postcode_district("SO143AB").as_deref(), Some("SO14"));
        assert_eq!(postcode_district("EC1A 1BB").as_deref(), Some("EC1A"));
        assert_eq!(postcode_district("M1 1AE").as_deref(), Some("M1"));
        assert_eq!(postcode_district("so14").as_deref(), Some("SO14"));
        assert_eq!(postcode_district("W1A").as_deref(), Some("W1A"));
        assert_eq!(postcode_district("Southampton"), None);
        assert_eq!(postcode_district("14SO"), None);
        assert_eq!(postcode_district("SØ14"), None);
    }

    #[test]
    fn a_top_counts_for_the_nearest_event_within_fourteen_days() {
        let start = Some(d("2025-01-10"));
        let reviews = [d("2025-04-04")];
        let exit = Some(d("2025-04-20"));
        assert_eq!(
            top_occasion(d("2025-01-24"), start, &reviews, exit),
            "start"
        );
        assert_eq!(
            top_occasion(d("2025-01-25"), start, &reviews, exit),
            "other"
        );
        assert_eq!(
            top_occasion(d("2025-04-11"), start, &reviews, exit),
            "review"
        );
        assert_eq!(top_occasion(d("2025-04-13"), start, &reviews, exit), "exit");
        // equidistant: the earlier event
        assert_eq!(
            top_occasion(d("2025-04-12"), start, &reviews, exit),
            "review"
        );
        assert_eq!(top_occasion(d("2025-05-04"), start, &reviews, exit), "exit");
        assert_eq!(top_occasion(d("2025-05-05"), None, &[], exit), "other");
    }

    #[test]
    fn header_names_forgive_case_and_spaces() {
        assert_eq!(header_name(" Date of Birth "), "date_of_birth");
        assert_eq!(header_name("Triage-Date"), "triage_date");
        assert_eq!(distance("triage_dat", "triage_date"), 1);
        assert_eq!(distance("", "ref"), 3);
    }
}
