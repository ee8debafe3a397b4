//! `casebook import`: bringing in the register a service kept before casebook (DESIGN.md, "The
//! register a service migrates from").
//!
//! The whole file is read and checked first; with any problem nothing is written and every
//! problem is reported by row and column. Otherwise the import is one audited transaction as
//! the importing worker. Each register row becomes an episode with a stable `import_key`, so
//! importing the same file again adds nothing twice: rows already imported (or an episode a
//! caseworker already recorded for that young person on that referral date) are "matched" and
//! left as they are, because casebook is now the record.
//!
//! Who is who: rows with the same `ref` are one young person; a row without one is matched by
//! names and date of birth. Against the database, a young person is found by the register ref
//! of an earlier import, then by a casebook reference (`YP-…`) given as the ref, then by names
//! and date of birth. The register's ref itself is not stored in the clear: the import key
//! holds a hash of it (or of the names and date of birth), the referral date, and nothing else.
//!
//! Where the columns go: a triage row (date, outcome, injecting) when the register gives the
//! triage's date and outcome; the primary substance (rank 1, with the route) and secondary
//! (rank 2); the young person's vulnerabilities; a review per review date; a TOP per TOP date,
//! counted for the nearest of treatment start, a review or the exit within 14 days. A key
//! worker the database does not know is created with the duty role and named in the report.
//! Only the postcode district is kept. A young person's details come from their most recent
//! row that gives them.
//!
//! A dry run does the whole import in the transaction and rolls it back, so its report counts
//! exactly what a real import would create and match.

pub mod register;

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::domain::clock::Clock;
use crate::domain::codes::CodeLists;
use crate::domain::record::{Episode, Role, YoungPerson};
use crate::store::{import as sql, people, records, Store, Tx};
use register::{group_rows, read_register, top_occasion, Group, RegisterRow};

/// One problem with the register, at a row (header = row 1) and column where it has one.
#[derive(Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: Option<usize>,
    pub column: Option<String>,
    /// What is wrong and what is expected; may quote the (truncated) cell.
    pub message: String,
}

impl Problem {
    pub(crate) fn file(message: impl Into<String>) -> Problem {
        Problem {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(row: usize, column: Option<String>, message: impl Into<String>) -> Problem {
        Problem {
            row: Some(row),
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, "row {r}, column {c}: {}", self.message),
            (Some(r), None) => write!(f, "row {r}: {}", self.message),
            (None, Some(c)) => write!(f, "column {c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Row and column only: a message may quote a name or a date of birth.
impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("row", &self.row)
            .field("column", &self.column)
            .finish_non_exhaustive()
    }
}

/// Why an import wrote nothing.
pub enum ImportError {
    /// The register has problems, every one listed; nothing was written.
    Invalid(Vec<Problem>),
    /// The database refused or failed; the transaction rolled back, so nothing was written.
    Failed(anyhow::Error),
}

impl ImportError {
    /// The register's problems (empty for a database failure).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ImportError::Invalid(p) => p,
            ImportError::Failed(_) => &[],
        }
    }
}

/// Every problem, one per line, then a line saying nothing was imported.
impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Invalid(problems) => {
                for p in problems {
                    writeln!(f, "{p}")?;
                }
                let n = problems.len();
                write!(
                    f,
                    "{n} problem{} found: nothing was imported. Correct the register and import it again.",
                    if n == 1 { "" } else { "s" }
                )
            }
            ImportError::Failed(e) => write!(f, "the import failed and nothing was written: {e:#}"),
        }
    }
}

impl fmt::Debug for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Invalid(p) => f.debug_tuple("Invalid").field(p).finish(),
            ImportError::Failed(e) => f.debug_tuple("Failed").field(&format!("{e:#}")).finish(),
        }
    }
}

impl std::error::Error for ImportError {}

/// What an import created and matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Nothing was written: this is what the import would do.
    pub dry_run: bool,
    /// Register rows read (one episode each; rows of empty cells are skipped).
    pub rows: usize,
    pub young_people_created: usize,
    pub young_people_matched: usize,
    pub episodes_created: usize,
    /// Rows already in the database (imported before, or recorded by hand), left as they are.
    pub episodes_matched: usize,
    /// Names of key workers the database did not know, created with the duty role.
    pub workers_created: Vec<String>,
    pub triages_added: usize,
    pub substances_added: usize,
    pub reviews_added: usize,
    pub tops_added: usize,
    pub vulnerabilities_added: usize,
    /// Follow-ups after exit from `follow_up_dates` (each "reached").
    pub follow_ups_added: usize,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let would = if self.dry_run { "would be " } else { "" };
        writeln!(
            f,
            "{} register row{} read.",
            self.rows,
            if self.rows == 1 { "" } else { "s" }
        )?;
        writeln!(
            f,
            "Young people: {} {would}created, {} matched to records already here.",
            self.young_people_created, self.young_people_matched
        )?;
        writeln!(
            f,
            "Episodes: {} {would}created, {} matched (already here; left as they are).",
            self.episodes_created, self.episodes_matched
        )?;
        writeln!(
            f,
            "Also {would}added: {} triages, {} substances, {} reviews, {} TOPs, {} vulnerabilities{}.",
            self.triages_added,
            self.substances_added,
            self.reviews_added,
            self.tops_added,
            self.vulnerabilities_added,
            match self.follow_ups_added {
                0 => String::new(),
                n => format!(", {n} follow-ups"),
            }
        )?;
        if !self.workers_created.is_empty() {
            writeln!(
                f,
                "Key workers {would}created with the duty role (check their roles): {}.",
                self.workers_created.join(", ")
            )?;
        }
        if self.dry_run {
            writeln!(f, "Dry run: nothing was written.")?;
        }
        Ok(())
    }
}

/// Checks a register's cells and rows without touching any database: every problem a file can
/// have on its own (the import also checks it against the record, e.g. ambiguous matches).
pub fn check_register(
    bytes: &[u8],
    codes: &CodeLists,
    today: chrono::NaiveDate,
) -> std::result::Result<(), ImportError> {
    let rows = read_register(bytes, codes, today).map_err(ImportError::Invalid)?;
    group_rows(&rows).map_err(ImportError::Invalid)?;
    Ok(())
}

/// Imports a register (CSV bytes) as `actor_worker_id`. Checks the whole file first; with any
/// problem writes nothing and returns them all. Otherwise writes everything in one audited
/// transaction, or with `dry_run` rolls it back and reports what it would have done.
pub fn import_register(
    store: &mut Store,
    actor_worker_id: &str,
    clock: &Clock,
    bytes: &[u8],
    codes: &CodeLists,
    dry_run: bool,
) -> std::result::Result<ImportReport, ImportError> {
    let rows = read_register(bytes, codes, clock.today()).map_err(ImportError::Invalid)?;
    let groups = group_rows(&rows).map_err(ImportError::Invalid)?;
    let outcome = store.write(actor_worker_id, clock.now(), |tx| {
        if !sql::worker_exists(tx, actor_worker_id)? {
            anyhow::bail!("the importing worker is not recorded in this database");
        }
        let plan = plan(tx, &rows, &groups)?;
        let mut report = apply(tx, &rows, &plan)?;
        report.rows = rows.len();
        if dry_run {
            report.dry_run = true;
            // An error rolls the transaction back; the report rides out on it.
            return Err(anyhow::Error::new(RolledBack(report)));
        }
        Ok(report)
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(e) => match e.downcast::<RolledBack>() {
            Ok(RolledBack(report)) => Ok(report),
            Err(e) => match e.downcast::<Refused>() {
                Ok(Refused(problems)) => Err(ImportError::Invalid(problems)),
                Err(e) => Err(ImportError::Failed(e)),
            },
        },
    }
}

/// A dry run's report, carried out of the transaction it rolled back.
#[derive(Debug)]
struct RolledBack(ImportReport);

impl fmt::Display for RolledBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dry run rolled back")
    }
}

impl std::error::Error for RolledBack {}

/// Problems found while matching the register against the database.
#[derive(Debug)]
struct Refused(Vec<Problem>);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problems in the register", self.0.len())
    }
}

impl std::error::Error for Refused {}

/// 64 bits of SHA-256, in hex: enough to tell register rows apart, and no name in the clear.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who a row says the young person is: `r:<hash of the ref>`, else `n:<hash of names + DOB>`.
fn person_tag(r: &RegisterRow) -> String {
    match (&r.reference, r.date_of_birth) {
        (Some(reference), _) => format!("r:{}", digest(&format!("ref|{reference}"))),
        (None, dob) => format!(
            "n:{}",
            digest(&format!(
                "name|{}|{}",
                r.name_key(),
                dob.map(|d| d.to_string()).unwrap_or_default()
            ))
        ),
    }
}

const KEY_PREFIX: &str = "reg1:";

/// The episode's stable import key: the young person's tag and the referral date.
fn import_key(r: &RegisterRow) -> String {
    format!("{KEY_PREFIX}{}:{}", person_tag(r), r.referral_date)
}

/// The person tag inside an import key this module wrote.
fn tag_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(KEY_PREFIX)?
        .rsplit_once(':')
        .map(|(tag, _)| tag)
}

/// What the import will do for one young person.
struct PersonPlan<'g> {
    group: &'g Group,
    /// The young person already recorded, when matched.
    existing: Option<String>,
    /// Rows to create as episodes (indices into the rows), by referral date.
    new_rows: Vec<usize>,
    matched_rows: usize,
}

/// Matches every group and row against the database, reading only. Problems (an ambiguous
/// match) come back as a [`Refused`] error before anything is written.
fn plan<'g>(tx: &Tx, rows: &[RegisterRow], groups: &'g [Group]) -> Result<Vec<PersonPlan<'g>>> {
    let mut keys: HashSet<String> = HashSet::new();
    let mut by_tag: HashMap<String, String> = HashMap::new();
    let mut ref_tags: HashMap<String, HashSet<String>> = HashMap::new();
    for e in sql::imported_episodes(tx)? {
        // A young person marked as entered in error is nobody to match; their episodes'
        // rows still count as imported, so a re-import does not bring them back.
        if let Some(tag) = tag_of_key(&e.import_key).filter(|_| !e.young_person_in_error) {
            let yp = e.young_person_id;
            by_tag.entry(tag.to_string()).or_insert_with(|| yp.clone());
            if tag.starts_with("r:") {
                ref_tags.entry(yp).or_default().insert(tag.to_string());
            }
        }
        keys.insert(e.import_key);
    }

    let mut problems = Vec::new();
    let mut claimed: HashMap<String, usize> = HashMap::new();
    let mut plans = Vec::with_capacity(groups.len());
    for group in groups {
        let first = &rows[group.rows[0]];
        let existing = match find_person(tx, rows, group, &by_tag, &ref_tags)? {
            Found::One(id) => Some(id),
            Found::None => None,
            Found::Several(n) => {
                problems.push(Problem::at(
                    first.row,
                    Some("ref".to_string()),
                    format!(
                        "{n} young people already recorded have these names and date of birth: put the casebook reference (YP-…) of the right one in ref"
                    ),
                ));
                None
            }
        };
        if let Some(id) = &existing {
            if let Some(other) = claimed.insert(id.clone(), first.row) {
                problems.push(Problem::at(
                    first.row,
                    Some("ref".to_string()),
                    format!(
                        "matches the same young person already recorded as row {other} does: give both rows the same ref if they are one young person"
                    ),
                ));
            }
        }
        let mut ordered = group.rows.clone();
        ordered.sort_by_key(|&i| (rows[i].referral_date, rows[i].row));
        let mut new_rows = Vec::new();
        let mut matched_rows = 0;
        for i in ordered {
            let r = &rows[i];
            let already = keys.contains(&import_key(r))
                || match &existing {
                    Some(yp) => sql::episode_referred_on(tx, yp, r.referral_date)?.is_some(),
                    None => false,
                };
            if already {
                matched_rows += 1;
            } else {
                new_rows.push(i);
            }
        }
        plans.push(PersonPlan {
            group,
            existing,
            new_rows,
            matched_rows,
        });
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(anyhow::Error::new(Refused(problems)))
    }
}

enum Found {
    None,
    One(String),
    Several(usize),
}

/// Finds the young person a group of rows is already recorded as, if any.
fn find_person(
    tx: &Tx,
    rows: &[RegisterRow],
    group: &Group,
    by_tag: &HashMap<String, String>,
    ref_tags: &HashMap<String, HashSet<String>>,
) -> Result<Found> {
    let first = &rows[group.rows[0]];
    let own_tag = group.reference.as_ref().map(|_| person_tag(first));
    // 1. The register ref of an earlier import.
    if let Some(yp) = own_tag.as_ref().and_then(|t| by_tag.get(t)) {
        return Ok(Found::One(yp.clone()));
    }
    // 2. A casebook reference given as the ref.
    if let Some(reference) = group.reference.as_deref().filter(|r| r.starts_with("YP")) {
        if let Ok(canonical) = crate::domain::ids::parse_reference(reference) {
            if let Some(yp) = sql::young_person_with_reference(tx, &canonical)? {
                return Ok(Found::One(yp));
            }
        }
    }
    // 3. Rows without a ref imported before.
    for &i in &group.rows {
        if rows[i].reference.is_none() {
            if let Some(yp) = by_tag.get(&person_tag(&rows[i])) {
                return Ok(Found::One(yp.clone()));
            }
        }
    }
    // 4. Names and date of birth, leaving out anyone imported under a different ref.
    let Some(named) = group
        .rows
        .iter()
        .map(|&i| &rows[i])
        .find(|r| r.date_of_birth.is_some())
    else {
        return Ok(Found::None);
    };
    let Some(dob) = named.date_of_birth else {
        return Ok(Found::None);
    };
    let candidates: Vec<String> = sql::young_people_named(tx, &named.name_key(), dob)?
        .into_iter()
        .filter(|yp| match (&own_tag, ref_tags.get(yp)) {
            (Some(tag), Some(tags)) => tags.contains(tag),
            _ => true,
        })
        .collect();
    Ok(match candidates.len() {
        0 => Found::None,
        1 => Found::One(candidates.into_iter().next().unwrap_or_default()),
        n => Found::Several(n),
    })
}

/// The most recent non-empty value of a young person's detail across their rows.
fn latest<'r>(
    rows: &'r [RegisterRow],
    group: &[usize],
    get: impl Fn(&'r RegisterRow) -> Option<&'r String>,
) -> Option<String> {
    group
        .iter()
        .map(|&i| &rows[i])
        .filter_map(|r| get(r).map(|v| (r.referral_date, r.row, v)))
        .max_by_key(|(d, row, _)| (*d, *row))
        .map(|(_, _, v)| v.clone())
}

/// Writes the plan. Every write goes through the audited store functions.
fn apply(tx: &Tx, rows: &[RegisterRow], plans: &[PersonPlan]) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut workers: HashMap<String, String> = sql::workers_by_name(tx)?
        .into_iter()
        .map(|(name, id)| (name.to_lowercase(), id))
        .collect();
    for p in plans {
        let young_person_id = match &p.existing {
            Some(id) => {
                report.young_people_matched += 1;
                id.clone()
            }
            None => {
                report.young_people_created += 1;
                let g = &p.group.rows;
                let newest = g
                    .iter()
                    .map(|&i| &rows[i])
                    .max_by_key(|r| (r.referral_date, r.row))
                    .ok_or_else(|| anyhow::anyhow!("an empty group of rows"))?;
                let person = YoungPerson {
                    given_name: newest.given_name.clone(),
                    family_name: newest.family_name.clone(),
                    date_of_birth: g.iter().find_map(|&i| rows[i].date_of_birth),
                    sex: latest(rows, g, |r| r.sex.as_ref()),
                    ethnicity: latest(rows, g, |r| r.ethnicity.as_ref()),
                    postcode_district: latest(rows, g, |r| r.postcode_district.as_ref()),
                    ..Default::default()
                };
                people::create_young_person(tx, &person)?.0
            }
        };
        report.episodes_matched += p.matched_rows;
        for &i in &p.new_rows {
            let r = &rows[i];
            let key_worker_id = match &r.key_worker {
                None => None,
                Some(name) => Some(match workers.get(&name.to_lowercase()) {
                    Some(id) => id.clone(),
                    None => {
                        let id = people::add_worker(tx, name, &[Role::Duty])?;
                        workers.insert(name.to_lowercase(), id.clone());
                        report.workers_created.push(name.clone());
                        id
                    }
                }),
            };
            create_episode(tx, r, &young_person_id, key_worker_id, &mut report)?;
        }
    }
    Ok(report)
}

/// One register row as an episode with its triage, substances, reviews, TOPs and the young
/// person's vulnerabilities.
fn create_episode(
    tx: &Tx,
    r: &RegisterRow,
    young_person_id: &str,
    key_worker_id: Option<String>,
    report: &mut ImportReport,
) -> Result<()> {
    let episode = Episode {
        young_person_id: young_person_id.to_string(),
        referral_date: r.referral_date,
        referral_source: r.referral_source.clone(),
        triage_date: r.triage_date,
        triage_outcome: r.triage_outcome.clone(),
        assessment_date: r.assessment_date,
        treatment_start: r.treatment_start,
        care_plan_date: r.care_plan_date,
        key_worker_id,
        joint_worked: r.joint_worked,
        exit_date: r.exit_date,
        exit_reason: r.exit_reason.clone(),
        ..Default::default()
    };
    let id = records::create_episode(tx, &episode)?;
    sql::set_import_key(tx, &id, &import_key(r))?;
    report.episodes_created += 1;
    if let (Some(on), Some(outcome)) = (r.triage_date, &r.triage_outcome) {
        sql::add_triage(tx, &id, on, outcome, r.injecting.as_deref())?;
        report.triages_added += 1;
    }
    if let Some(s) = &r.primary_substance {
        sql::add_episode_substance(tx, &id, 1, s, r.route.as_deref())?;
        report.substances_added += 1;
    }
    if let Some(s) = &r.secondary_substance {
        sql::add_episode_substance(tx, &id, 2, s, None)?;
        report.substances_added += 1;
    }
    for &on in &r.review_dates {
        records::add_review(tx, &id, on, None, None)?;
        report.reviews_added += 1;
    }
    for &on in &r.top_dates {
        let occasion = top_occasion(on, r.treatment_start, &r.review_dates, r.exit_date);
        records::add_outcome_profile(tx, &id, on, occasion)?;
        report.tops_added += 1;
    }
    for &on in &r.follow_up_dates {
        crate::store::follow_ups::record_reached(tx, &id, on)?;
        report.follow_ups_added += 1;
    }
    for code in &r.vulnerabilities {
        if sql::add_vulnerability(tx, young_person_id, code, r.referral_date)? {
            report.vulnerabilities_added += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_key_names_no_one_and_gives_back_its_tag() {
        let r = RegisterRow {
            reference: Some("ESAP-0042".into()),
            given_name: "Zoë".into(),
            family_name: "Ní Bhriain".into(),
            referral_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap_or_default(),
            ..Default::default()
        };
        let key = import_key(&r);
        assert!(key.starts_with("reg1:r:"), "{key}");
        assert!(key.ends_with(":2025-03-04"), "{key}");
        assert!(!key.contains("ESAP") && !key.to_lowercase().contains("zo"));
        assert_eq!(tag_of_key(&key), Some(person_tag(&r).as_str()));
        let unnamed = RegisterRow {
            reference: None,
            ..r.clone()
        };
        assert!(import_key(&unnamed).starts_with("reg1:n:"));
        assert_ne!(person_tag(&unnamed), person_tag(&r));
    }

    #[test]
    fn problems_read_as_row_and_column_and_debug_quotes_nothing() {
        let p = Problem::at(
            7,
            Some("triage_date".into()),
            "'31/02/2025' is not a date: use YYYY-MM-DD or DD/MM/YYYY",
        );
        assert_eq!(
            p.to_string(),
            "row 7, column triage_date: '31/02/2025' is not a date: use YYYY-MM-DD or DD/MM/YYYY"
        );
        let e = ImportError::Invalid(vec![p]);
        assert!(!format!("{e:?}").contains("31/02"));
        assert!(e.to_string().starts_with("row 7, column triage_date:"));
        assert!(e
            .to_string()
            .ends_with("nothing was imported. Correct the register and import it again."));
    }
}
