//! The Leicester return's annual section C, service user perspective (L §10.3 C), with the
//! outcome improvements the project aims for (L §3.1 a–g, against the specification's
//! targets). Counted over the episodes in the scheme during a financial year: programme
//! started on or before its last day and not exited before its first.
//!
//! Choices made where the specification is silent:
//! - "Improved" compares the first profile of the episode that rates the area with the latest
//!   one up to the year's end that rates it (two different profiles); higher is better for
//!   ratings and TOP health scores, fewer days of use is better for drug taking. An episode
//!   with fewer than two such profiles is not in that figure's denominator.
//! - GP registration counts young people (once each) recorded as registered.
//! - Accessing education or training reads the latest profile's education/employment answer.

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::value::{percentage_tenths, Value};
use crate::domain::assessment::OUTCOME_AREAS;
use crate::store::mentoring::{annual_rows, AnnualEpisodeRow, AnnualProfile};
use crate::store::Store;

/// What section C cannot be counted from the record, said in the notes rather than invented.
pub const NOT_HELD: &[&str] = &[
    "C Drug taking (i) young people reporting drugs as their primary issue, and (iii) reaching a controlled or non-dependent stage: the record does not ask these questions.",
    "C Living circumstances (iv) entering tenancies and (v) financial situation: the record holds accommodation as a TOP answer, not tenancies, and no finances.",
    "C Services received (i) modifications after consultation with users and (ii) the annual service user satisfaction audit: these are the project's own reports, not case records.",
];

/// One annual figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualFigure {
    pub id: String,
    pub label: String,
    pub numerator: i64,
    pub denominator: i64,
    pub percentage: Value,
    /// L §3.1's target share, in per cent, where it sets one.
    pub target_percent: Option<u8>,
    /// Whether the percentage reaches the target (None without a target or a denominator).
    pub meets_target: Option<bool>,
    #[serde(skip)]
    pub definition: String,
    /// Rows of [`Annual::episodes`] in the denominator, with whether each is in the
    /// numerator: the drill-down. Never exported.
    #[serde(skip)]
    pub behind: Vec<(usize, bool)>,
}

/// Section C for one financial year.
#[derive(Debug, Clone, PartialEq)]
pub struct Annual {
    /// `2025-26`.
    pub year: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub figures: Vec<AnnualFigure>,
    pub notes: Vec<String>,
    /// The episodes counted from (names for the drill-down only).
    pub episodes: Vec<AnnualEpisodeRow>,
}

/// Parses `2025-26` (or `2025`) as the financial year starting 1 April 2025.
pub fn parse_year(text: &str) -> Result<i32, String> {
    let t = text.trim();
    let (a, b) = t.split_once(['-', '/']).unwrap_or((t, ""));
    let start: i32 = a
        .parse()
        .ok()
        .filter(|y| (1990..=2200).contains(y))
        .ok_or_else(|| format!("'{t}' is not a financial year: expected e.g. 2025-26"))?;
    if !b.is_empty() {
        let end: i32 = b
            .parse()
            .map_err(|_| format!("'{t}' is not a financial year: expected e.g. 2025-26"))?;
        if end != (start + 1) % 100 && end != start + 1 {
            return Err(format!(
                "'{t}' is not a financial year: the second year follows the first (e.g. 2025-26)"
            ));
        }
    }
    Ok(start)
}

/// Section C for the financial year starting in April of `fy_start`.
pub fn compute(store: &Store, fy_start: i32) -> Result<Annual> {
    let start = NaiveDate::from_ymd_opt(fy_start, 4, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(fy_start + 1, 3, 31).unwrap_or_default();
    let episodes = annual_rows(store, start, end)?;
    Ok(from_rows(fy_start, start, end, episodes))
}

/// First and latest profile values that `get` finds, from two different profiles.
fn first_latest<T>(
    ps: &[AnnualProfile],
    get: impl Fn(&AnnualProfile) -> Option<T>,
) -> Option<(T, T)> {
    let mut found = ps.iter().filter_map(get);
    let first = found.next()?;
    let last = found.next_back()?;
    Some((first, last))
}

fn figure(
    id: &str,
    label: &str,
    definition: &str,
    target: Option<u8>,
    behind: Vec<(usize, bool)>,
) -> AnnualFigure {
    let denominator = behind.len() as i64;
    let numerator = behind.iter().filter(|(_, met)| *met).count() as i64;
    let percentage = percentage_tenths(numerator, denominator);
    let meets_target = match (target, percentage) {
        (Some(t), Value::Tenths(p)) => Some(p >= i64::from(t) * 10),
        _ => None,
    };
    AnnualFigure {
        id: id.into(),
        label: label.into(),
        numerator,
        denominator,
        percentage,
        target_percent: target,
        meets_target,
        definition: definition.into(),
        behind,
    }
}

pub(crate) fn from_rows(
    fy_start: i32,
    start: NaiveDate,
    end: NaiveDate,
    episodes: Vec<AnnualEpisodeRow>,
) -> Annual {
    let mut figures = Vec::new();
    let compare = |better: &dyn Fn(i64, i64) -> bool,
                   get: &dyn Fn(&AnnualProfile) -> Option<i64>| {
        episodes
            .iter()
            .enumerate()
            .filter_map(|(i, e)| first_latest(&e.profiles, get).map(|(a, b)| (i, better(a, b))))
            .collect::<Vec<_>>()
    };
    let higher = |a: i64, b: i64| b > a;
    let lower = |a: i64, b: i64| b < a;
    for (n, area) in OUTCOME_AREAS.iter().enumerate() {
        let letter = (b'a' + n as u8) as char;
        let behind = compare(&higher, &|p: &AnnualProfile| {
            p.ratings
                .iter()
                .find(|(a, _)| a == area.code)
                .map(|(_, r)| i64::from(*r))
        });
        figures.push(figure(
            &format!("leic.c.outcome_{letter}"),
            &format!("L §3.1 {letter}) {} improved", area.label),
            "Episodes in the scheme in the year with two profiles rating the area; improved when the latest rating (0 worst to 20 best) is higher than the first.",
            area.target_percent,
            behind,
        ));
    }
    figures.push(figure(
        "leic.c.drug_days",
        "C Drug taking (ii) reduction in quantity and frequency of drug taking",
        "Episodes with two profiles recording days of use; reduced when the latest profile's days of use in the last 28 (all substances) are fewer than the first's.",
        None,
        compare(&lower, &|p: &AnnualProfile| p.substance_days),
    ));
    let mut seen = std::collections::HashSet::new();
    let gp: Vec<(usize, bool)> = episodes
        .iter()
        .enumerate()
        .filter(|(_, e)| seen.insert(e.young_person_id.clone()))
        .map(|(i, e)| (i, e.gp_registered == Some(true)))
        .collect();
    figures.push(figure(
        "leic.c.gp_registered",
        "C Physical (i) young people registered with a GP",
        "Young people in the scheme in the year (once each), recorded as registered with a GP.",
        None,
        gp,
    ));
    figures.push(figure(
        "leic.c.physical_health",
        "C Physical (ii) improvement in physical health",
        "Episodes with two TOP physical health scores; improved when the latest is higher.",
        None,
        compare(&higher, &|p: &AnnualProfile| {
            p.physical_health.map(i64::from)
        }),
    ));
    figures.push(figure(
        "leic.c.psychological_health",
        "C Physical (iii) improvement in psychological health",
        "Episodes with two TOP psychological health scores; improved when the latest is higher.",
        None,
        compare(&higher, &|p: &AnnualProfile| {
            p.psychological_health.map(i64::from)
        }),
    ));
    let edu: Vec<(usize, bool)> = episodes
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let latest = e
                .profiles
                .iter()
                .rev()
                .find_map(|p| p.education_employment.as_deref())?;
            Some((i, matches!(latest, "education" | "training")))
        })
        .collect();
    figures.push(figure(
        "leic.c.education_training",
        "C Living circumstances (ii) accessing education and training",
        "Episodes whose latest profile records education or employment; counted when it is education or training.",
        None,
        edu,
    ));
    let mut notes = vec![
        "Section C is annual: the financial year 1 April to 31 March. An episode counts when its programme started on or before 31 March and it had not exited before 1 April.".to_string(),
        "C Living circumstances (i) social functioning is L §3.1 f (relationships) and (iii) offending behaviour is L §3.1 g, above.".to_string(),
    ];
    notes.extend(NOT_HELD.iter().map(|s| s.to_string()));
    Annual {
        year: format!("{}-{:02}", fy_start, (fy_start + 1) % 100),
        start,
        end,
        figures,
        notes,
        episodes,
    }
}

impl Annual {
    /// The figures as JSON: no names, references or dates of birth.
    pub fn to_json(&self) -> Result<String> {
        #[derive(Serialize)]
        struct Out<'a> {
            r#return: &'static str,
            section: &'static str,
            year: &'a str,
            figures: &'a [AnnualFigure],
            notes: &'a [String],
        }
        Ok(serde_json::to_string_pretty(&Out {
            r#return: "leicester",
            section: "C (annual)",
            year: &self.year,
            figures: &self.figures,
            notes: &self.notes,
        })?)
    }

    /// One figure, by id.
    pub fn figure(&self, id: &str) -> Option<&AnnualFigure> {
        self.figures.iter().find(|f| f.id == id)
    }
}
