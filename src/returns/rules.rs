//! What every return's counting rules share: the quarter, the report date, the calendar and
//! the code lists, and the age band an episode is counted in.

use std::cell::Cell;

use anyhow::{anyhow, Result};
use chrono::NaiveDate;

use crate::domain::calendar::{age_on, AgeBand, Calendar};
use crate::domain::codes::CodeLists;

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
