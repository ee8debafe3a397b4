//! "Which young people make up this number?" — the drill-down a manager inside the building
//! uses to trace a figure (DESIGN.md, "Every figure in a return must be traceable"). It lists
//! names and references, so it is for the screen, never for an export.

use anyhow::{bail, Result};
use chrono::NaiveDate;

use super::measures::{Contribution, Status, Unit};
use super::rules::Ctx;
use super::{contributions, ReturnKind};
use crate::domain::calendar::{Calendar, Quarter};
use crate::domain::codes::CodeLists;
use crate::store::returns::{self as loader, ReturnInputs};
use crate::store::Store;

/// One episode (or review, or contact) behind a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainRow {
    /// The episode, when the unit belongs to one (a contact may not).
    pub episode_id: Option<String>,
    pub young_person_reference: String,
    pub name: String,
    pub referral_date: Option<NaiveDate>,
    /// `under_18`, `18_24` or `other`.
    pub age_band: &'static str,
    /// The category row it counts in (`source:self`), for category tables.
    pub category: Option<String>,
    /// The dates that decided it: referral, deadline, the event.
    pub decided_by: Vec<(&'static str, NaiveDate)>,
    /// Waiting days, for MI 12.
    pub value: Option<i64>,
}

/// The episodes behind one measure's figure. The numerator is a subset of the denominator;
/// pending is disjoint from both. For a count, numerator and denominator are the units
/// counted (KPI 3a's denominator is every referral in Q, its numerator those seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub measure: String,
    /// The breakdown explained: `all`, an age band, or a category such as `source:self`.
    pub breakdown: String,
    pub numerator: Vec<ExplainRow>,
    /// KPI 2c's second numerator (under 3 weeks); empty for other measures.
    pub second_numerator: Vec<ExplainRow>,
    pub denominator: Vec<ExplainRow>,
    pub pending: Vec<ExplainRow>,
    /// Young people counted by outreach tallies, who have no record to list.
    pub tallied: u64,
}

/// The episodes behind `measure` (all ages) for `quarter`, pending judged on `report_date`.
pub fn explain(
    store: &Store,
    calendar: &Calendar,
    codes: &CodeLists,
    measure: &str,
    quarter: Quarter,
    report_date: NaiveDate,
) -> Result<Explanation> {
    explain_cell(store, calendar, codes, measure, "all", quarter, report_date)
}

/// The episodes behind one row or column of `measure`: `breakdown` is `all`, an age band, a
/// category (`source:self`) or, for a Leicester table, a column such as `sex:female`. In a
/// table where one episode can count in several rows (MI 9 vulnerabilities, MI 10 substances),
/// `all` lists it once per row it counts in; ask for a row to see that row's episodes.
pub fn explain_cell(
    store: &Store,
    calendar: &Calendar,
    codes: &CodeLists,
    measure: &str,
    breakdown: &str,
    quarter: Quarter,
    report_date: NaiveDate,
) -> Result<Explanation> {
    // Names of young people: only for those the role table allows.
    store.require(crate::domain::roles::Permission::ExplainFigure)?;
    let Some(kind) = ReturnKind::ALL
        .into_iter()
        .find(|k| k.measures().iter().any(|d| d.id == measure))
    else {
        let known: Vec<&str> = ReturnKind::ALL
            .iter()
            .flat_map(|k| k.measures().iter().map(|d| d.id))
            .collect();
        bail!(
            "measure: unknown measure \"{measure}\"; expected one of {}",
            known.join(", ")
        );
    };
    let inputs = super::load_inputs(store, codes, quarter, &mut |_, _, _| {})?;
    let cx = Ctx::new(quarter.start(), quarter.end(), report_date, calendar, codes);
    let all = contributions(kind, &inputs, &cx)?;
    let mut wanted: Vec<&Contribution> = all
        .iter()
        .filter(|c| c.measure == measure && matches(c, breakdown, &inputs))
        .collect();
    wanted.sort_by(|a, b| sort_key(a, &inputs).cmp(&sort_key(b, &inputs)));

    let ids: Vec<&str> = wanted
        .iter()
        .filter_map(|c| young_person_of(c.unit, &inputs))
        .collect();
    let people = loader::people(store, &ids)?;
    let row = |c: &Contribution| -> Option<ExplainRow> {
        let (episode_id, referral_date) = match c.unit {
            Unit::Episode(i) | Unit::Review(i, _) => {
                let e = &inputs.episodes[i];
                (Some(e.episode_id.clone()), Some(e.referral_date))
            }
            Unit::Contact(i) => (inputs.contacts[i].episode_id.clone(), None),
            Unit::Tally(_) => return None,
            _ => (None, None),
        };
        let shown = young_person_of(c.unit, &inputs).and_then(|id| people.get(id));
        // Mentor-side units name the mentor, the session or the drive instead of a young person.
        let (reference, name) = match mentoring_shown(c.unit, &inputs) {
            Some(x) => x,
            None => (
                shown.map(|p| p.reference.clone()).unwrap_or_default(),
                shown.map(|p| p.name.clone()).unwrap_or_default(),
            ),
        };
        Some(ExplainRow {
            episode_id,
            young_person_reference: reference,
            name,
            referral_date,
            age_band: c.band.code(),
            category: c.category.clone(),
            decided_by: c.decided_by.clone(),
            value: match c.status {
                Status::Value(v) => Some(v),
                _ => None,
            },
        })
    };

    let mut out = Explanation {
        measure: measure.to_string(),
        breakdown: breakdown.to_string(),
        numerator: Vec::new(),
        second_numerator: Vec::new(),
        denominator: Vec::new(),
        pending: Vec::new(),
        tallied: 0,
    };
    for c in wanted {
        if let Unit::Tally(_) = c.unit {
            if c.status == Status::Counted {
                out.tallied += c.weight;
            }
            continue;
        }
        let Some(r) = row(c) else { continue };
        match c.status {
            Status::Counted | Status::Value(_) => {
                out.numerator.push(r.clone());
                out.denominator.push(r);
            }
            Status::Judged { met, second } => {
                if met {
                    out.numerator.push(r.clone());
                }
                if second {
                    out.second_numerator.push(r.clone());
                }
                out.denominator.push(r);
            }
            Status::Pending => out.pending.push(r),
        }
    }
    if measure == "kpi.3a" {
        // Seen, out of every referral in Q.
        out.denominator = explain_cell(
            store,
            calendar,
            codes,
            "mi.1",
            breakdown,
            quarter,
            report_date,
        )?
        .denominator;
    }
    Ok(out)
}

fn matches(c: &Contribution, breakdown: &str, inputs: &ReturnInputs) -> bool {
    if breakdown == "all" || breakdown == "total" || breakdown == c.band.code() {
        return true;
    }
    if c.category.as_deref() == Some(breakdown) {
        return true;
    }
    let (sex, eth) = super::demographics_of(inputs, c.unit);
    let nr = super::measures::NOT_RECORDED;
    match breakdown.split_once(':') {
        Some(("sex", v)) => sex.unwrap_or(nr) == v,
        Some(("ethnicity", v)) => eth.unwrap_or(nr) == v,
        _ => false,
    }
}

fn young_person_of(u: Unit, inputs: &ReturnInputs) -> Option<&str> {
    match u {
        Unit::Episode(i) | Unit::Review(i, _) => Some(&inputs.episodes[i].young_person_id),
        Unit::Contact(i) => Some(&inputs.contacts[i].young_person_id),
        Unit::Complaint(i) => inputs.mentoring.complaints[i].young_person_id.as_deref(),
        Unit::Tally(_)
        | Unit::Mentor(_)
        | Unit::Attendance(_)
        | Unit::Event(_)
        | Unit::Drive(_) => None,
    }
}

/// What a drill-down row shows for a unit that is not a young person's: (reference, name).
fn mentoring_shown(u: Unit, inputs: &ReturnInputs) -> Option<(String, String)> {
    let m = &inputs.mentoring;
    match u {
        Unit::Mentor(i) => Some(("mentor".into(), m.mentors[i].name.clone())),
        Unit::Attendance(i) => {
            let a = &m.attendance[i];
            Some((
                "mentor".into(),
                format!(
                    "{} at {}",
                    m.mentors[a.mentor].name, m.events[a.event].title
                ),
            ))
        }
        Unit::Event(i) => Some((m.events[i].kind.clone(), m.events[i].title.clone())),
        Unit::Drive(i) => Some(("recruitment drive".into(), m.drives[i].title.clone())),
        Unit::Complaint(i) if m.complaints[i].young_person_id.is_none() => {
            Some(("complaint".into(), "(not about a young person)".into()))
        }
        _ => None,
    }
}

fn sort_key<'a>(
    c: &Contribution,
    inputs: &'a ReturnInputs,
) -> (NaiveDate, &'a str, Option<NaiveDate>) {
    match c.unit {
        Unit::Episode(i) => {
            let e = &inputs.episodes[i];
            (e.referral_date, &e.episode_id, None)
        }
        Unit::Review(i, d) => {
            let e = &inputs.episodes[i];
            (e.referral_date, &e.episode_id, Some(d))
        }
        Unit::Contact(i) => {
            let k = &inputs.contacts[i];
            (k.date, &k.contact_id, None)
        }
        Unit::Tally(i) => (inputs.tallies[i].date, &inputs.tallies[i].id, None),
        Unit::Mentor(i) => {
            let r = &inputs.mentoring.mentors[i];
            (r.recruited_on.unwrap_or_default(), &r.mentor_id, r.left_on)
        }
        Unit::Attendance(i) => {
            let a = &inputs.mentoring.attendance[i];
            let ev = &inputs.mentoring.events[a.event];
            (ev.date, &inputs.mentoring.mentors[a.mentor].mentor_id, None)
        }
        Unit::Event(i) => {
            let ev = &inputs.mentoring.events[i];
            (ev.date, &ev.event_id, None)
        }
        Unit::Drive(i) => {
            let dr = &inputs.mentoring.drives[i];
            (dr.start_date, &dr.drive_id, None)
        }
        Unit::Complaint(i) => {
            let c = &inputs.mentoring.complaints[i];
            (c.received_on, &c.complaint_id, None)
        }
    }
}
