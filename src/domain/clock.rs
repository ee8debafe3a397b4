//! The one clock. "Today" for every rule comes from here, so a test (or a manager previewing
//! next week with `--as-of`) can fix it; audit timestamps stay real unless a test fixes them too.

use chrono::{DateTime, NaiveDate, Utc};

/// Where "today" and "now" come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    as_of: Option<NaiveDate>,
    fixed_now: Option<DateTime<Utc>>,
}

impl Clock {
    /// The real clock.
    pub fn system() -> Self {
        Clock {
            as_of: None,
            fixed_now: None,
        }
    }

    /// Rules act as if today were `date`; audit timestamps stay real (used by `--as-of`).
    pub fn as_of(date: NaiveDate) -> Self {
        Clock {
            as_of: Some(date),
            fixed_now: None,
        }
    }

    /// Fully fixed: today is `date`, and now is noon UTC of that day (for tests).
    pub fn fixed(date: NaiveDate) -> Self {
        Clock {
            as_of: Some(date),
            fixed_now: Some(date.and_hms_opt(12, 0, 0).expect("noon exists").and_utc()),
        }
    }

    /// Today's date in the service's own calendar.
    pub fn today(&self) -> NaiveDate {
        self.as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// The present instant, for audit rows.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// Whether today has been moved away from the real date.
    pub fn is_shifted(&self) -> bool {
        self.as_of.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_gives_the_same_day_and_noon() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let c = Clock::fixed(d);
        assert_eq!(c.today(), d);
        assert_eq!(c.now().to_rfc3339(), "2026-03-31T12:00:00+00:00");
    }
}
