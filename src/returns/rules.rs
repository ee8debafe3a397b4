//! What every return's counting rules share: the quarter, the report date, the calendar and
//! the code lists, and the age band an episode is counted in.

use std::cell::Cell;
use std::collections::HashMap;

use anyhow::{anyhow, Result};
use chrono::NaiveDate;

use crate::domain::calendar::{age_on, AgeBand, Calendar};
use crate::domain::codes::{CodeLists, ListName};
use crate::store::returns::ReturnInputs;

/// The frame a return is counted in.
pub struct Ctx<'a> {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// "Today" from the clock: a deadline not yet passed on this date is pending.
    pub report_date: NaiveDate,
    pub calendar: &'a Calendar,
    pub codes: &'a CodeLists,
    /// Set when a deadline was counted across a year whose bank holidays are projected.
    pub projected: Cell<bool>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        start: NaiveDate,
        end: NaiveDate,
        report_date: NaiveDate,
        calendar: &'a Calendar,
        codes: &'a CodeLists,
    ) -> Ctx<'a> {
        Ctx {
            start,
            end,
            report_date,
            calendar,
            codes,
            projected: Cell::new(false),
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }

    /// The `n`-th working day after `start`. A date the bank-holiday table does not cover is
    /// refused rather than guessed: a guessed deadline could move a figure.
    pub fn working_days_after(&self, start: NaiveDate, n: u32) -> Result<NaiveDate> {
        let r = self
            .calendar
            .add_working_days(start, n)
            .map_err(|e| anyhow!("{e}"))?;
        if r.projected {
            self.projected.set(true);
        }
        Ok(r.value)
    }
}

/// The band of someone born on `dob` on `date` (the referral date, for an episode). A missing
/// or impossible date of birth is counted under `other`: nobody is left out of the total.
pub fn band_on(dob: Option<NaiveDate>, date: NaiveDate) -> AgeBand {
    dob.and_then(|d| age_on(d, date))
        .map(AgeBand::of)
        .unwrap_or(AgeBand::Other)
}

/// The band a tally was recorded in; an unknown code is counted under `other`.
pub fn band_of(code: &str) -> AgeBand {
    AgeBand::from_code(code).unwrap_or(AgeBand::Other)
}

/// The category for a value that is not in its code list: a return counts it under
/// "unlisted" rather than printing whatever text the record holds (which could be anything,
/// even a name, and returns leave the building).
pub const UNLISTED: &str = "unlisted";

/// Rewrites every coded value the returns count to its list's canonical code (a label or
/// alias becomes its code), and anything the list does not know to [`UNLISTED`], so the
/// counting rules and the exports only ever see codes from the lists.
pub fn normalise(inputs: &mut ReturnInputs, codes: &CodeLists) {
    let mut n = Canon {
        codes,
        seen: HashMap::new(),
    };
    for e in &mut inputs.episodes {
        n.opt(ListName::Sex, &mut e.sex);
        n.opt(ListName::Ethnicity, &mut e.ethnicity);
        n.opt(ListName::ReferralSources, &mut e.referral_source);
        n.opt(ListName::TriageOutcomes, &mut e.triage_outcome);
        n.opt(ListName::ExitReasons, &mut e.exit_reason);
        n.opt(ListName::Injecting, &mut e.injecting);
        for s in &mut e.substances {
            n.text(ListName::Substances, &mut s.substance);
            n.opt(ListName::Routes, &mut s.route);
        }
        for v in &mut e.vulnerabilities {
            n.text(ListName::Vulnerabilities, v);
        }
        e.vulnerabilities.sort();
        e.vulnerabilities.dedup();
    }
    for t in &mut inputs.tallies {
        n.text(ListName::OutreachSettings, &mut t.setting);
        n.text(ListName::Sex, &mut t.gender);
        n.text(ListName::AgeBands, &mut t.age_band);
        n.text(ListName::BriefInterventions, &mut t.brief_intervention);
    }
    for m in &mut inputs.mentoring.mentors {
        n.opt(ListName::Sex, &mut m.gender);
        n.opt(ListName::Ethnicity, &mut m.ethnicity);
        n.opt(ListName::MentorLeavingReasons, &mut m.leaving_reason);
    }
    for c in &mut inputs.mentoring.complaints {
        n.opt(ListName::Sex, &mut c.sex);
        n.opt(ListName::Ethnicity, &mut c.ethnicity);
        n.opt(ListName::ComplaintOutcomes, &mut c.outcome);
    }
    for c in &mut inputs.contacts {
        n.opt(ListName::Sex, &mut c.sex);
        n.opt(ListName::Ethnicity, &mut c.ethnicity);
    }
}

/// Resolves coded values to canonical codes, each distinct value once (the same few values
/// repeat on every row).
struct Canon<'a> {
    codes: &'a CodeLists,
    seen: HashMap<(ListName, String), String>,
}

impl Canon<'_> {
    fn code(&mut self, list: ListName, text: &str) -> String {
        if let Some(code) = self.seen.get(&(list, text.to_string())) {
            return code.clone();
        }
        let code = self
            .codes
            .list(list)
            .resolve(text)
            .map(|c| c.code.clone())
            .unwrap_or_else(|| UNLISTED.to_string());
        self.seen.insert((list, text.to_string()), code.clone());
        code
    }

    fn opt(&mut self, list: ListName, v: &mut Option<String>) {
        if let Some(text) = v.as_deref().map(str::trim) {
            *v = if text.is_empty() {
                None
            } else {
                Some(self.code(list, text))
            };
        }
    }

    fn text(&mut self, list: ListName, v: &mut String) {
        let text = v.trim();
        *v = if text.is_empty() {
            UNLISTED.to_string()
        } else {
            self.code(list, text)
        };
    }
}
