//! Dates as the services count them (DESIGN.md, "Clocks"): England and Wales bank holidays and
//! working days, UK financial-year quarters, and ages and age bands.
//!
//! Pure: the holiday table arrives as text (the embedded asset or a service's override) and
//! "today" is always a parameter.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

/// The shipped table: GOV.UK's published list plus projected years, marked as such.
const EMBEDDED: &str = include_str!("../../assets/bank_holidays.toml");

/// England and Wales never have fewer than eight bank holidays in a year. A table year with
/// fewer is almost certainly half-listed (say, an override adding one new year's Christmas
/// only), and counting across it would silently treat the missing holidays as working days.
pub const MIN_HOLIDAYS_PER_YEAR: usize = 8;

// ---------------------------------------------------------------------------------------------
// Bank holidays
// ---------------------------------------------------------------------------------------------

/// One bank holiday, on the weekday it is observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    pub date: NaiveDate,
    /// GOV.UK's title, e.g. "Early May bank holiday (VE day)".
    pub title: String,
    /// GOV.UK's note, e.g. "Substitute day".
    pub note: Option<String>,
    /// Worked out from the standing rules, not yet published by GOV.UK.
    pub projected: bool,
}

impl BankHoliday {
    /// A weekday standing in for a holiday that fell at a weekend.
    pub fn is_substitute(&self) -> bool {
        self.note
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("substitute day"))
    }
}

/// A result counted with the calendar, saying whether projected holidays were relied on, so
/// a screen or a return can mark it "estimate".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reckoned<T> {
    pub value: T,
    /// Some day counted lies in a projected year (or, for the `_estimated` methods, outside
    /// the table altogether, where the standing rules stood in).
    pub projected: bool,
}

/// Why the calendar refused to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// Counting needed to know whether `date` is a working day, and the table has no
    /// holidays for its year. Guessing could move a statutory deadline, so we refuse.
    OutsideTable {
        date: NaiveDate,
        first_year: i32,
        last_year: i32,
    },
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::OutsideTable {
                date,
                first_year,
                last_year,
            } => write!(
                f,
                "cannot count working days on {date}: the bank-holiday calendar covers \
                 {first_year}–{last_year} only; add {}'s holidays with a calendar override \
                 (mode = \"extend\")",
                date.year()
            ),
        }
    }
}

impl std::error::Error for CalendarError {}

/// The bank-holiday table, covering whole years from `first_year` to `last_year`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeMap<NaiveDate, BankHoliday>,
    first_year: i32,
    last_year: i32,
    projected_years: BTreeSet<i32>,
}

/// The file's shape; unknown keys are refused so a typo (`projeted = true`) cannot pass
/// silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mode: Option<String>,
    #[serde(default)]
    remove: Vec<toml::Value>,
    #[serde(default)]
    holiday: Vec<RawHoliday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    date: Option<toml::Value>,
    title: Option<String>,
    note: Option<String>,
    #[serde(default)]
    projected: bool,
}

/// How an override combines with the table it is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Replace,
    Extend,
}

/// A file read and checked entry by entry, before the table-wide checks.
struct Parsed {
    mode: Option<Mode>,
    remove: Vec<NaiveDate>,
    holidays: Vec<BankHoliday>,
}

impl Calendar {
    /// The shipped England and Wales table (`assets/bank_holidays.toml`).
    pub fn embedded() -> Calendar {
        // The asset is compiled in and a unit test parses it, so this cannot fail at run time.
        Calendar::from_toml(EMBEDDED).expect("the embedded bank-holiday table is valid")
    }

    /// Reads a whole table. Errors name the offending entry (`holiday 12 (2015-02-30)`).
    pub fn from_toml(text: &str) -> Result<Calendar, String> {
        let parsed = parse_file(text, "bank-holiday calendar")?;
        if parsed.mode.is_some() || !parsed.remove.is_empty() {
            return Err(
                "bank-holiday calendar: `mode` and `remove` belong in an override \
                        file, not in the table itself"
                    .to_string(),
            );
        }
        Calendar::build(parsed.holidays, "bank-holiday calendar")
    }

    /// Applies a service's override. The override must say `mode = "replace"` (its entries
    /// are the whole table) or `mode = "extend"` (an entry replaces the table's entry on the
    /// same date, entries in new years extend the covered years, and `remove = ["…"]` drops
    /// dates, e.g. a projected holiday the government has moved).
    pub fn with_override(self, text: &str) -> Result<Calendar, String> {
        const WHAT: &str = "calendar override";
        let parsed = parse_file(text, WHAT)?;
        match parsed.mode {
            None => Err(format!(
                "{WHAT}: say whether it replaces or extends the table: \
                 mode = \"replace\" or mode = \"extend\""
            )),
            Some(Mode::Replace) => {
                if !parsed.remove.is_empty() {
                    return Err(format!(
                        "{WHAT}: `remove` only makes sense with mode = \"extend\"; \
                         a replacing override simply leaves the date out"
                    ));
                }
                Calendar::build(parsed.holidays, WHAT)
            }
            Some(Mode::Extend) => {
                let mut merged = self.holidays;
                for date in parsed.remove {
                    if merged.remove(&date).is_none() {
                        return Err(format!(
                            "{WHAT}: remove \"{date}\": the table has no holiday on that date"
                        ));
                    }
                }
                for h in parsed.holidays {
                    merged.insert(h.date, h);
                }
                Calendar::build(merged.into_values().collect(), WHAT)
            }
        }
    }

    /// Table-wide checks: something listed, no gap years, every year listed in full.
    fn build(list: Vec<BankHoliday>, what: &str) -> Result<Calendar, String> {
        let mut holidays = BTreeMap::new();
        for h in list {
            holidays.insert(h.date, h);
        }
        let (first, last) = match (holidays.keys().next(), holidays.keys().next_back()) {
            (Some(a), Some(b)) => (a.year(), b.year()),
            _ => {
                return Err(format!(
                    "{what}: lists no holidays (add [[holiday]] entries)"
                ))
            }
        };
        let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
        let mut projected_years = BTreeSet::new();
        for h in holidays.values() {
            *per_year.entry(h.date.year()).or_default() += 1;
            if h.projected {
                projected_years.insert(h.date.year());
            }
        }
        for year in first..=last {
            let count = per_year.get(&year).copied().unwrap_or(0);
            if count == 0 {
                return Err(format!(
                    "{what}: lists holidays for {first}–{last} but none for {year}; \
                     every year in between needs its holidays"
                ));
            }
            if count < MIN_HOLIDAYS_PER_YEAR {
                return Err(format!(
                    "{what}: {year} lists {count} holiday(s); England and Wales have at least \
                     {MIN_HOLIDAYS_PER_YEAR} a year (New Year's Day, Good Friday, Easter Monday, \
                     early May, spring, summer, Christmas Day, Boxing Day): list the whole year"
                ));
            }
        }
        Ok(Calendar {
            holidays,
            first_year: first,
            last_year: last,
            projected_years,
        })
    }

    /// The first year the table covers.
    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    /// The last year the table covers.
    pub fn last_year(&self) -> i32 {
        self.last_year
    }

    /// The covered years.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first_year..=self.last_year
    }

    /// Whether the table says which days of `date`'s year are holidays.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years().contains(&date.year())
    }

    /// Whether `date`'s year is a projection (not yet published by GOV.UK). False outside
    /// the table: there the working-day methods refuse rather than project.
    pub fn is_projected(&self, date: NaiveDate) -> bool {
        self.projected_years.contains(&date.year())
    }

    /// Years whose holidays are projections.
    pub fn projected_years(&self) -> Vec<i32> {
        self.projected_years.iter().copied().collect()
    }

    /// Every holiday, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = &BankHoliday> {
        self.holidays.values()
    }

    /// The holiday observed on `date`, if any.
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&BankHoliday> {
        self.holidays.get(&date)
    }

    /// Monday to Friday and not a bank holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.check(date)?;
        Ok(is_weekday(date) && !self.holidays.contains_key(&date))
    }

    /// The `n`-th working day after `start` (`start` itself never counts; `n = 0` gives
    /// `start`). A Friday referral before a bank-holiday Monday has its 2nd working day on
    /// the Wednesday. Errors if any day examined lies outside the table.
    pub fn add_working_days(
        &self,
        start: NaiveDate,
        n: u32,
    ) -> Result<Reckoned<NaiveDate>, CalendarError> {
        self.add_inner(start, n, false)
    }

    /// Working days in `(a, b]`, negative when `b` is before `a`; so
    /// `working_days_between(a, add_working_days(a, n)) == n`.
    pub fn working_days_between(
        &self,
        a: NaiveDate,
        b: NaiveDate,
    ) -> Result<Reckoned<i64>, CalendarError> {
        self.between_inner(a, b, false)
    }

    /// As [`Calendar::is_working_day`], but outside the table the England and Wales standing
    /// rules stand in, and the answer is marked projected.
    pub fn is_working_day_estimated(&self, date: NaiveDate) -> Reckoned<bool> {
        if self.covers(date) {
            Reckoned {
                value: is_weekday(date) && !self.holidays.contains_key(&date),
                projected: self.is_projected(date),
            }
        } else {
            let holiday = standing_rule_holidays(date.year())
                .iter()
                .any(|h| h.date == date);
            Reckoned {
                value: is_weekday(date) && !holiday,
                projected: true,
            }
        }
    }

    /// As [`Calendar::add_working_days`], but never fails: outside the table the standing
    /// rules stand in and the result is marked projected. For clocks that must show a date.
    pub fn add_working_days_estimated(&self, start: NaiveDate, n: u32) -> Reckoned<NaiveDate> {
        match self.add_inner(start, n, true) {
            Ok(r) => r,
            // Only reachable at the very end of chrono's range.
            Err(_) => Reckoned {
                value: NaiveDate::MAX,
                projected: true,
            },
        }
    }

    /// As [`Calendar::working_days_between`], but never fails (see
    /// [`Calendar::add_working_days_estimated`]).
    pub fn working_days_between_estimated(&self, a: NaiveDate, b: NaiveDate) -> Reckoned<i64> {
        match self.between_inner(a, b, true) {
            Ok(r) => r,
            Err(_) => Reckoned {
                value: 0,
                projected: true,
            },
        }
    }

    fn check(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if self.covers(date) {
            Ok(())
        } else {
            Err(self.outside(date))
        }
    }

    fn outside(&self, date: NaiveDate) -> CalendarError {
        CalendarError::OutsideTable {
            date,
            first_year: self.first_year,
            last_year: self.last_year,
        }
    }

    /// Every day in `(lo, hi]` must be covered; the error names the first uncovered day.
    fn check_span(&self, lo: NaiveDate, hi: NaiveDate) -> Result<(), CalendarError> {
        if hi <= lo {
            return Ok(());
        }
        let first_examined = lo.succ_opt().unwrap_or(lo);
        if first_examined.year() < self.first_year || first_examined.year() > self.last_year {
            return Err(self.outside(first_examined));
        }
        if hi.year() > self.last_year {
            let first_uncovered = NaiveDate::from_ymd_opt(self.last_year + 1, 1, 1).unwrap_or(hi);
            return Err(self.outside(first_uncovered));
        }
        Ok(())
    }

    /// Whether `(lo, hi]` touches a projected year, or (when estimating) an uncovered one.
    fn span_projected(&self, lo: NaiveDate, hi: NaiveDate) -> bool {
        if hi <= lo {
            return false;
        }
        let y1 = lo.succ_opt().unwrap_or(lo).year();
        let y2 = hi.year();
        y1 < self.first_year
            || y2 > self.last_year
            || self.projected_years.range(y1..=y2).next().is_some()
    }

    /// Bank holidays falling Monday–Friday in `(lo, hi]`; uncovered years count by the
    /// standing rules (callers that must not estimate check the span first).
    fn weekday_holidays_in(&self, lo: NaiveDate, hi: NaiveDate) -> i64 {
        if hi <= lo {
            return 0;
        }
        let in_span = |d: &NaiveDate| *d > lo && *d <= hi && is_weekday(*d);
        let mut count = self
            .holidays
            .range((Bound::Excluded(lo), Bound::Included(hi)))
            .filter(|(d, _)| is_weekday(**d))
            .count() as i64;
        let y1 = lo.year();
        let y2 = hi.year();
        let before = y1..=y2.min(self.first_year - 1);
        let after = y1.max(self.last_year + 1)..=y2;
        for year in before.chain(after) {
            count += standing_rule_holidays(year)
                .iter()
                .filter(|h| in_span(&h.date))
                .count() as i64;
        }
        count
    }

    fn add_inner(
        &self,
        start: NaiveDate,
        n: u32,
        estimate: bool,
    ) -> Result<Reckoned<NaiveDate>, CalendarError> {
        let mut from = start;
        let mut remaining = i64::from(n);
        // Jump n weekdays; every holiday passed on the way costs one more working day.
        while remaining > 0 {
            let to = match add_weekdays(from, remaining) {
                Some(to) => to,
                // Past the end of dates altogether: strictly, that is outside the table;
                // as an estimate, the last representable day is as good as any.
                None if estimate => {
                    return Ok(Reckoned {
                        value: NaiveDate::MAX,
                        projected: true,
                    })
                }
                None => NaiveDate::MAX,
            };
            if !estimate {
                self.check_span(from, to)?;
            }
            remaining = self.weekday_holidays_in(from, to);
            from = to;
        }
        Ok(Reckoned {
            value: from,
            projected: self.span_projected(start, from),
        })
    }

    fn between_inner(
        &self,
        a: NaiveDate,
        b: NaiveDate,
        estimate: bool,
    ) -> Result<Reckoned<i64>, CalendarError> {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        if !estimate {
            self.check_span(lo, hi)?;
        }
        let days = weekdays_in(lo, hi) - self.weekday_holidays_in(lo, hi);
        Ok(Reckoned {
            value: sign * days,
            projected: self.span_projected(lo, hi),
        })
    }
}

fn parse_file(text: &str, what: &str) -> Result<Parsed, String> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| format!("{what}: {}", e.to_string().trim()))?;
    let mode = match raw.mode.as_deref().map(|m| m.trim().to_ascii_lowercase()) {
        None => None,
        Some(m) if m == "replace" => Some(Mode::Replace),
        Some(m) if m == "extend" => Some(Mode::Extend),
        Some(m) => {
            return Err(format!(
                "{what}: mode = \"{m}\" is not understood: \
                 use mode = \"replace\" or mode = \"extend\""
            ))
        }
    };
    let mut remove = Vec::new();
    for (i, v) in raw.remove.iter().enumerate() {
        let d = date_value(v).map_err(|e| format!("{what}: remove entry {}: {e}", i + 1))?;
        remove.push(d);
    }
    let mut holidays: Vec<BankHoliday> = Vec::new();
    let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (i, h) in raw.holiday.into_iter().enumerate() {
        let number = i + 1;
        let title = h.title.as_deref().map(str::trim).unwrap_or("");
        let name = if title.is_empty() {
            format!("holiday {number}")
        } else {
            format!("holiday {number} (\"{title}\")")
        };
        let date = match &h.date {
            None => {
                return Err(format!(
                    "{what}: {name} has no date (date = \"YYYY-MM-DD\")"
                ))
            }
            Some(v) => date_value(v).map_err(|e| format!("{what}: {name}: {e}"))?,
        };
        if title.is_empty() {
            return Err(format!("{what}: holiday {number} ({date}) has no title"));
        }
        let name = format!("holiday {number} ({date}, \"{title}\")");
        if !is_weekday(date) {
            return Err(format!(
                "{what}: {name} falls on a {}: list the weekday it is observed on \
                 (the substitute day) instead",
                weekday_name(date.weekday())
            ));
        }
        if let Some(earlier) = seen.insert(date, number) {
            return Err(format!(
                "{what}: {name} repeats the date of holiday {earlier}"
            ));
        }
        holidays.push(BankHoliday {
            date,
            title: title.to_string(),
            note: h
                .note
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            projected: h.projected,
        });
    }
    Ok(Parsed {
        mode,
        remove,
        holidays,
    })
}

/// Accepts `"2025-04-18"` or a bare TOML date `2025-04-18`.
fn date_value(v: &toml::Value) -> Result<NaiveDate, String> {
    let text = match v {
        toml::Value::String(s) => s.trim().to_string(),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        other => return Err(format!("date {other} is not a date (use \"YYYY-MM-DD\")")),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| format!("date \"{text}\" is not a date (use \"YYYY-MM-DD\")"))
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Weekdays from a fixed Monday up to and including `d`; differences give weekdays in a span
/// without walking it. (1 January of year 1 is a Monday in the proleptic Gregorian calendar.)
fn weekday_index(d: NaiveDate) -> i64 {
    let k = i64::from(d.num_days_from_ce()) - 1;
    k.div_euclid(7) * 5 + (k.rem_euclid(7) + 1).min(5)
}

/// Monday–Friday days in `(lo, hi]`.
fn weekdays_in(lo: NaiveDate, hi: NaiveDate) -> i64 {
    if hi <= lo {
        0
    } else {
        weekday_index(hi) - weekday_index(lo)
    }
}

/// The `n`-th weekday after `start` (n ≥ 1), or `None` past chrono's range.
fn add_weekdays(start: NaiveDate, n: i64) -> Option<NaiveDate> {
    // From a weekend, the n-th weekday after is the n-th after the Friday before.
    let wd = i64::from(start.weekday().num_days_from_monday());
    let (base, wd) = if wd >= 5 {
        (start.checked_sub_days(Days::new((wd - 4) as u64))?, 4)
    } else {
        (start, wd)
    };
    let total = wd + n;
    let offset = total.div_euclid(5) * 7 + total.rem_euclid(5) - wd;
    base.checked_add_days(Days::new(u64::try_from(offset).ok()?))
}

/// Easter Sunday (Gregorian; the anonymous "Meeus/Jones/Butcher" algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// A year's England and Wales bank holidays by the standing rules alone (no one-off
/// holidays, no moved ones), each marked projected: New Year's Day, Good Friday, Easter
/// Monday, first and last Mondays in May, last Monday in August, Christmas Day and Boxing
/// Day, with a weekday substitute when one falls at a weekend. Used for the table's projected
/// years and to estimate beyond the table.
pub fn standing_rule_holidays(year: i32) -> Vec<BankHoliday> {
    let mut out = Vec::new();
    let mut add = |date: Option<NaiveDate>, title: &str, substitute: bool| {
        if let Some(date) = date {
            out.push(BankHoliday {
                date,
                title: title.to_string(),
                note: substitute.then(|| "Substitute day".to_string()),
                projected: true,
            });
        }
    };
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    let plus = |d: Option<NaiveDate>, n: u64| d.and_then(|d| d.checked_add_days(Days::new(n)));
    let minus = |d: Option<NaiveDate>, n: u64| d.and_then(|d| d.checked_sub_days(Days::new(n)));

    let new_year = ymd(1, 1);
    match new_year.map(|d| d.weekday()) {
        Some(Weekday::Sat) => add(plus(new_year, 2), "New Year’s Day", true),
        Some(Weekday::Sun) => add(plus(new_year, 1), "New Year’s Day", true),
        _ => add(new_year, "New Year’s Day", false),
    }
    let easter = easter_sunday(year);
    add(minus(easter, 2), "Good Friday", false);
    add(plus(easter, 1), "Easter Monday", false);
    add(
        NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, 1),
        "Early May bank holiday",
        false,
    );
    add(last_monday(year, 5), "Spring bank holiday", false);
    add(last_monday(year, 8), "Summer bank holiday", false);
    // Christmas Day and Boxing Day: each weekend one moves to the next free weekday.
    match ymd(12, 25).map(|d| d.weekday()) {
        Some(Weekday::Fri) => {
            add(ymd(12, 25), "Christmas Day", false);
            add(ymd(12, 28), "Boxing Day", true);
        }
        Some(Weekday::Sat) => {
            add(ymd(12, 27), "Christmas Day", true);
            add(ymd(12, 28), "Boxing Day", true);
        }
        Some(Weekday::Sun) => {
            add(ymd(12, 26), "Boxing Day", false);
            add(ymd(12, 27), "Christmas Day", true);
        }
        _ => {
            add(ymd(12, 25), "Christmas Day", false);
            add(ymd(12, 26), "Boxing Day", false);
        }
    }
    out.sort_by_key(|h| h.date);
    out
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5)
        .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4))
}

// ---------------------------------------------------------------------------------------------
// Financial-year quarters
// ---------------------------------------------------------------------------------------------

/// A UK public-sector quarter (DESIGN.md, "Clocks"): the financial year starts 1 April, so
/// Q1 is April–June and Q4 is January–March of the following calendar year.
///
/// `q` should be 1–4 (use [`Quarter::new`]); the methods read any other value as counting on
/// from Q1 (Q5 = next year's Q1) rather than panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// The calendar year the financial year starts in (2025 for 2025-26).
    pub fy_start_year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    /// `None` unless `q` is 1 to 4.
    pub fn new(fy_start_year: i32, q: u8) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { fy_start_year, q })
    }

    /// The quarter `date` falls in.
    pub fn containing(date: NaiveDate) -> Quarter {
        let (fy_start_year, q) = match date.month() {
            4..=6 => (date.year(), 1),
            7..=9 => (date.year(), 2),
            10..=12 => (date.year(), 3),
            _ => (date.year() - 1, 4),
        };
        Quarter { fy_start_year, q }
    }

    fn index(self) -> i64 {
        i64::from(self.fy_start_year) * 4 + i64::from(self.q) - 1
    }

    fn from_index(i: i64) -> Quarter {
        let fy = i
            .div_euclid(4)
            .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        Quarter {
            fy_start_year: fy,
            q: (i.rem_euclid(4) + 1) as u8,
        }
    }

    /// The same quarter with `q` brought into 1–4.
    fn normalised(self) -> Quarter {
        Quarter::from_index(self.index())
    }

    /// The first day (1 April, 1 July, 1 October or 1 January).
    pub fn start(self) -> NaiveDate {
        let n = self.normalised();
        let (year, month) = match n.q {
            1 => (n.fy_start_year, 4),
            2 => (n.fy_start_year, 7),
            3 => (n.fy_start_year, 10),
            _ => (n.fy_start_year.saturating_add(1), 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(if year < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
    }

    /// The last day (30 June, 30 September, 31 December or 31 March).
    pub fn end(self) -> NaiveDate {
        let next = self.next().start();
        next.pred_opt().unwrap_or(next)
    }

    /// Whether `date` falls in this quarter.
    pub fn contains(self, date: NaiveDate) -> bool {
        Quarter::containing(date) == self.normalised()
    }

    /// `2025-26 Q2`; the second year is always two digits (`1999-00 Q1`).
    pub fn label(self) -> String {
        let n = self.normalised();
        format!(
            "{}-{:02} Q{}",
            n.fy_start_year,
            (i64::from(n.fy_start_year) + 1).rem_euclid(100),
            n.q
        )
    }

    /// The quarter before.
    pub fn previous(self) -> Quarter {
        Quarter::from_index(self.index() - 1)
    }

    /// The quarter after.
    pub fn next(self) -> Quarter {
        Quarter::from_index(self.index() + 1)
    }

    /// Reads `2025-26 Q2`, and leniently `2025/26 Q2`, `Q2 2025-26`, `2025-2026 q2`,
    /// `FY2025-26 Q2`. The error names the expected form.
    pub fn parse(text: &str) -> Result<Quarter, String> {
        let shown = crate::domain::validate::truncate_for_message(text.trim());
        let expected = format!(
            "'{shown}' is not a quarter: use the form 2025-26 Q2 (the financial year, then \
             Q1–Q4; Q1 is April–June, Q4 January–March)"
        );
        let up = text.trim().to_ascii_uppercase();
        let mut q = None;
        let mut rest = String::new();
        let mut chars = up.chars().peekable();
        while let Some(c) = chars.next() {
            if c == 'Q' && q.is_none() {
                match chars.next() {
                    Some(d @ '1'..='4') if !chars.peek().is_some_and(|c| c.is_ascii_digit()) => {
                        q = Some(d as u8 - b'0');
                    }
                    _ => return Err(expected),
                }
            } else {
                rest.push(c);
            }
        }
        let q = q.ok_or_else(|| expected.clone())?;
        let years = rest.trim().trim_matches(',').trim();
        let years = years.strip_prefix("FY").unwrap_or(years).trim();
        let (a, b) = years
            .split_once(['-', '/'])
            .ok_or_else(|| expected.clone())?;
        let (a, b) = (a.trim(), b.trim());
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if a.len() != 4 || !digits(a) || !(b.len() == 2 || b.len() == 4) || !digits(b) {
            return Err(expected);
        }
        let first: i32 = a.parse().map_err(|_| expected.clone())?;
        let second: i32 = b.parse().map_err(|_| expected.clone())?;
        let follows = if b.len() == 2 {
            second == (first + 1).rem_euclid(100)
        } else {
            second == first + 1
        };
        if !follows {
            return Err(format!(
                "'{shown}' is not a quarter: {years} is not a financial year (the second \
                 year must follow the first, e.g. {first}-{:02} Q{q})",
                (first + 1).rem_euclid(100)
            ));
        }
        Ok(Quarter {
            fy_start_year: first,
            q,
        })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for Quarter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quarter::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Ages
// ---------------------------------------------------------------------------------------------

/// Age in whole years on `date`; `None` if `date` is before the birth. Someone born on
/// 29 February reaches each new age on 1 March in a non-leap year (UK practice).
pub fn age_on(dob: NaiveDate, date: NaiveDate) -> Option<u32> {
    if date < dob {
        return None;
    }
    let mut years = date.year() - dob.year();
    // Comparing (month, day) puts 29 February after 28 February, so the leap-day birthday
    // is reached on 1 March in a non-leap year.
    if (date.month(), date.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// The day someone born on `dob` reaches `age` (29 February → 1 March in a non-leap year).
pub fn date_reaching_age(dob: NaiveDate, age: u32) -> Option<NaiveDate> {
    let year = dob.year().checked_add(i32::try_from(age).ok()?)?;
    NaiveDate::from_ymd_opt(year, dob.month(), dob.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// The age bands the returns break figures down by (S §19.1, §20.6; DESIGN.md, "How each
/// Southampton figure is counted").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    /// 11 to 17.
    Under18,
    /// 18 to 24.
    From18To24,
    /// Outside 11–24: nobody is refused a service (S §11.2), so they are counted here.
    Other,
}

impl AgeBand {
    pub const ALL: [AgeBand; 3] = [AgeBand::Under18, AgeBand::From18To24, AgeBand::Other];

    /// The band for an age in whole years.
    pub fn of(age: u32) -> AgeBand {
        match age {
            11..=17 => AgeBand::Under18,
            18..=24 => AgeBand::From18To24,
            _ => AgeBand::Other,
        }
    }

    /// The band on `date` for someone born on `dob`; `None` if `date` is before the birth.
    pub fn on(dob: NaiveDate, date: NaiveDate) -> Option<AgeBand> {
        age_on(dob, date).map(AgeBand::of)
    }

    /// The code used in the store and the returns.
    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under18 => "under_18",
            AgeBand::From18To24 => "18_24",
            AgeBand::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<AgeBand> {
        AgeBand::ALL
            .into_iter()
            .find(|b| b.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "under 18 (11–17)",
            AgeBand::From18To24 => "18–24",
            AgeBand::Other => "other (outside 11–24)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::embedded()
    }

    /// The n-th working day after `start`, checked against the published table.
    fn nth(start: NaiveDate, n: u32) -> NaiveDate {
        cal().add_working_days(start, n).unwrap().value
    }

    // --- the table ----------------------------------------------------------------------------

    /// GOV.UK's England and Wales list, 2015–2027, typed from https://www.gov.uk/bank-holidays.
    #[rustfmt::skip]
    const GOV_UK_2015_2027: &[&str] = &[
        "2015-01-01", "2015-04-03", "2015-04-06", "2015-05-04", "2015-05-25", "2015-08-31", "2015-12-25", "2015-12-28",
        "2016-01-01", "2016-03-25", "2016-03-28", "2016-05-02", "2016-05-30", "2016-08-29", "2016-12-26", "2016-12-27",
        "2017-01-02", "2017-04-14", "2017-04-17", "2017-05-01", "2017-05-29", "2017-08-28", "2017-12-25", "2017-12-26",
        "2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27", "2018-12-25", "2018-12-26",
        "2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26",
        "2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28",
        "2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28",
        "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27",
        "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26",
        "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26",
        "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
        "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
    ];

    /// Easter Sunday by Gauss's method: a different algorithm from the one the code uses.
    fn gauss_easter(y: i32) -> NaiveDate {
        let a = y % 19;
        let b = y % 4;
        let c = y % 7;
        let k = y / 100;
        let p = (13 + 8 * k) / 25;
        let q = k / 4;
        let m = (15 - p + k - q) % 30;
        let n = (4 + k - q) % 7;
        let dd = (19 * a + m) % 30;
        let e = (2 * b + 4 * c + 6 * dd + n) % 7;
        if dd == 29 && e == 6 {
            return d(y, 4, 19);
        }
        if dd == 28 && e == 6 && (11 * m + 11) % 30 < 19 {
            return d(y, 4, 18);
        }
        let day = 22 + dd + e;
        if day <= 31 {
            d(y, 3, day as u32)
        } else {
            d(y, 4, (day - 31) as u32)
        }
    }

    #[test]
    fn the_embedded_table_covers_2015_to_2030_with_2028_onwards_projected() {
        let c = cal();
        assert_eq!(c.years(), 2015..=2030);
        assert_eq!(c.projected_years(), vec![2028, 2029, 2030]);
        assert!(!c.is_projected(d(2027, 12, 31)));
        assert!(c.is_projected(d(2028, 1, 1)));
        assert!(c.holidays().all(|h| h.projected == (h.date.year() >= 2028)));
    }

    #[test]
    fn the_table_matches_gov_uk_exactly_for_2015_to_2027() {
        let published: Vec<String> = cal()
            .holidays()
            .filter(|h| h.date.year() <= 2027)
            .map(|h| h.date.to_string())
            .collect();
        assert_eq!(published, GOV_UK_2015_2027);
        assert_eq!(published.len(), 13 * 8 + 2 + 1);
    }

    #[test]
    fn every_holiday_is_observed_monday_to_friday() {
        for h in cal().holidays() {
            assert!(is_weekday(h.date), "{} {} is at a weekend", h.date, h.title);
        }
    }

    #[test]
    fn every_good_friday_and_easter_monday_follows_easter() {
        let c = cal();
        for year in 2015..=2030 {
            let easter = gauss_easter(year);
            assert_eq!(easter_sunday(year), Some(easter), "{year}");
            let gf = easter - Days::new(2);
            let em = easter + Days::new(1);
            assert_eq!(
                c.holiday_on(gf).map(|h| h.title.as_str()),
                Some("Good Friday")
            );
            assert_eq!(
                c.holiday_on(em).map(|h| h.title.as_str()),
                Some("Easter Monday")
            );
        }
        // Spot checks against the published dates.
        assert_eq!(gauss_easter(2025), d(2025, 4, 20));
        assert_eq!(gauss_easter(2027), d(2027, 3, 28));
        assert_eq!(gauss_easter(2030), d(2030, 4, 21));
    }

    #[test]
    fn each_year_follows_the_standing_rules_except_the_announced_one_offs() {
        let c = cal();
        let one_offs = [
            d(2020, 5, 8),
            d(2022, 6, 2),
            d(2022, 6, 3),
            d(2022, 9, 19),
            d(2023, 5, 8),
        ];
        let displaced = [d(2020, 5, 4), d(2022, 5, 30)];
        for year in 2015..=2030 {
            let table: Vec<(NaiveDate, String, bool)> = c
                .holidays()
                .filter(|h| h.date.year() == year && !one_offs.contains(&h.date))
                .map(|h| (h.date, h.title.clone(), h.is_substitute()))
                .collect();
            let rules: Vec<(NaiveDate, String, bool)> = standing_rule_holidays(year)
                .into_iter()
                .filter(|h| !displaced.contains(&h.date))
                .map(|h| (h.date, h.title.clone(), h.is_substitute()))
                .collect();
            assert_eq!(table, rules, "{year}");
        }
    }

    #[test]
    fn substitute_days_are_the_published_ones() {
        let subs: Vec<String> = cal()
            .holidays()
            .filter(|h| h.is_substitute())
            .map(|h| format!("{} {}", h.date, h.title))
            .collect();
        assert_eq!(
            subs,
            [
                "2015-12-28 Boxing Day",
                "2016-12-27 Christmas Day",
                "2017-01-02 New Year’s Day",
                "2020-12-28 Boxing Day",
                "2021-12-27 Christmas Day",
                "2021-12-28 Boxing Day",
                "2022-01-03 New Year’s Day",
                "2022-12-27 Christmas Day",
                "2023-01-02 New Year’s Day",
                "2026-12-28 Boxing Day",
                "2027-12-27 Christmas Day",
                "2027-12-28 Boxing Day",
                "2028-01-03 New Year’s Day",
            ]
        );
        // Boxing Day on a Monday (Christmas on Sunday) is not a substitute: 2016 and 2022.
        assert!(!cal().holiday_on(d(2016, 12, 26)).unwrap().is_substitute());
    }

    #[test]
    fn the_one_off_holidays_carry_gov_uk_titles() {
        let c = cal();
        let title = |date| c.holiday_on(date).map(|h| h.title.clone());
        assert_eq!(
            title(d(2020, 5, 8)).as_deref(),
            Some("Early May bank holiday (VE day)")
        );
        assert_eq!(title(d(2022, 6, 2)).as_deref(), Some("Spring bank holiday"));
        assert_eq!(
            title(d(2022, 6, 3)).as_deref(),
            Some("Platinum Jubilee bank holiday")
        );
        assert_eq!(
            title(d(2022, 9, 19)).as_deref(),
            Some("Bank Holiday for the State Funeral of Queen Elizabeth II")
        );
        assert_eq!(
            title(d(2023, 5, 8)).as_deref(),
            Some("Bank holiday for the coronation of King Charles III")
        );
        // The Mondays the moved holidays left are working days.
        assert_eq!(c.is_working_day(d(2020, 5, 4)), Ok(true));
        assert_eq!(c.is_working_day(d(2022, 5, 30)), Ok(true));
    }

    // --- working days -------------------------------------------------------------------------

    #[test]
    fn weekends_are_not_working_days_and_holidays_are_not_either() {
        let c = cal();
        assert_eq!(c.is_working_day(d(2025, 3, 7)), Ok(true)); // Friday
        assert_eq!(c.is_working_day(d(2025, 3, 8)), Ok(false)); // Saturday
        assert_eq!(c.is_working_day(d(2025, 3, 9)), Ok(false)); // Sunday
        assert_eq!(c.is_working_day(d(2025, 4, 18)), Ok(false)); // Good Friday
    }

    #[test]
    fn friday_referral_before_a_bank_holiday_monday_has_its_second_working_day_on_wednesday() {
        // Early May bank holiday, Monday 5 May 2025.
        assert_eq!(nth(d(2025, 5, 2), 1), d(2025, 5, 6));
        assert_eq!(nth(d(2025, 5, 2), 2), d(2025, 5, 7));
    }

    #[test]
    fn working_days_skip_the_weekend() {
        assert_eq!(nth(d(2025, 3, 6), 2), d(2025, 3, 10)); // Thursday → Monday
        assert_eq!(nth(d(2025, 3, 7), 2), d(2025, 3, 11)); // Friday → Tuesday
        assert_eq!(nth(d(2025, 3, 8), 2), d(2025, 3, 11)); // Saturday → Tuesday
        assert_eq!(nth(d(2025, 3, 9), 1), d(2025, 3, 10)); // Sunday → Monday
        assert_eq!(nth(d(2025, 3, 10), 0), d(2025, 3, 10));
        assert_eq!(nth(d(2025, 3, 10), 5), d(2025, 3, 17));
    }

    #[test]
    fn working_days_skip_good_friday_and_easter_monday() {
        // Easter 2025: Good Friday 18 April, Easter Monday 21 April.
        assert_eq!(nth(d(2025, 4, 16), 1), d(2025, 4, 17));
        assert_eq!(nth(d(2025, 4, 16), 2), d(2025, 4, 22));
        assert_eq!(nth(d(2025, 4, 17), 1), d(2025, 4, 22));
        assert_eq!(nth(d(2025, 4, 17), 2), d(2025, 4, 23));
    }

    #[test]
    fn working_days_skip_christmas_and_new_year_substitute_days() {
        // 2021: Christmas Saturday, Boxing Day Sunday → Mon 27 and Tue 28 off.
        assert_eq!(nth(d(2021, 12, 23), 1), d(2021, 12, 24));
        assert_eq!(nth(d(2021, 12, 23), 2), d(2021, 12, 29));
        // 2022: New Year's Day Saturday → Monday 3 January off.
        assert_eq!(nth(d(2021, 12, 30), 2), d(2022, 1, 4));
        // 2016: Christmas Sunday → Boxing Day Mon 26, Christmas substitute Tue 27.
        assert_eq!(nth(d(2016, 12, 23), 2), d(2016, 12, 29));
        // 2015: Boxing Day Saturday → Monday 28 off.
        assert_eq!(nth(d(2015, 12, 24), 1), d(2015, 12, 29));
        // 2027 (published): Mon 27 and Tue 28 December off.
        assert_eq!(nth(d(2027, 12, 24), 1), d(2027, 12, 29));
    }

    #[test]
    fn working_days_skip_the_one_off_holidays_of_2020_2022_and_2023() {
        // VE Day, Friday 8 May 2020; Monday 4 May 2020 was a working day.
        assert_eq!(nth(d(2020, 5, 7), 2), d(2020, 5, 12));
        assert_eq!(nth(d(2020, 5, 1), 1), d(2020, 5, 4));
        // Platinum Jubilee, Thursday 2 and Friday 3 June 2022.
        assert_eq!(nth(d(2022, 6, 1), 2), d(2022, 6, 7));
        assert_eq!(nth(d(2022, 5, 27), 1), d(2022, 5, 30));
        // State Funeral, Monday 19 September 2022.
        assert_eq!(nth(d(2022, 9, 16), 2), d(2022, 9, 21));
        // Coronation, Monday 8 May 2023, a week after the early May bank holiday.
        assert_eq!(nth(d(2023, 5, 5), 2), d(2023, 5, 10));
        assert_eq!(nth(d(2023, 4, 28), 5), d(2023, 5, 9));
    }

    #[test]
    fn working_days_between_counts_the_days_after_the_first_up_to_the_second() {
        let c = cal();
        let between = |a, b| c.working_days_between(a, b).unwrap().value;
        assert_eq!(between(d(2025, 5, 2), d(2025, 5, 7)), 2);
        assert_eq!(between(d(2025, 5, 7), d(2025, 5, 2)), -2);
        assert_eq!(between(d(2025, 5, 7), d(2025, 5, 7)), 0);
        assert_eq!(between(d(2025, 5, 9), d(2025, 5, 10)), 0); // Friday → Saturday
                                                               // A whole year: 2025 has 261 weekdays, 8 of them bank holidays.
        assert_eq!(between(d(2024, 12, 31), d(2025, 12, 31)), 253);
    }

    #[test]
    fn adding_then_counting_working_days_agree_with_a_day_by_day_walk() {
        let c = cal();
        let mut start = d(2015, 1, 1);
        while start < d(2030, 11, 1) {
            for n in 0..25u32 {
                // Walk one day at a time, the slow obvious way.
                let mut day = start;
                let mut left = n;
                while left > 0 {
                    day = day.succ_opt().unwrap();
                    if c.is_working_day(day).unwrap() {
                        left -= 1;
                    }
                }
                let got = c.add_working_days(start, n).unwrap().value;
                assert_eq!(got, day, "{start} + {n}");
                assert_eq!(
                    c.working_days_between(start, got).unwrap().value,
                    i64::from(n)
                );
            }
            start = start + Days::new(5);
        }
    }

    #[test]
    fn weekday_arithmetic_matches_chrono_weekdays() {
        assert_eq!(d(1, 1, 1).weekday(), Weekday::Mon);
        let mut a = d(2023, 12, 20);
        for _ in 0..30 {
            let mut count = 0;
            let mut day = a;
            for _ in 0..40 {
                day = day.succ_opt().unwrap();
                if is_weekday(day) {
                    count += 1;
                }
                assert_eq!(weekdays_in(a, day), count);
                if is_weekday(day) {
                    assert_eq!(add_weekdays(a, count), Some(day), "{a} + {count}");
                }
            }
            a = a.succ_opt().unwrap();
        }
    }

    #[test]
    fn dates_beyond_the_table_give_an_error_not_a_guess() {
        let c = cal();
        let err = c.add_working_days(d(2030, 12, 30), 5).unwrap_err();
        assert_eq!(
            err,
            CalendarError::OutsideTable {
                date: d(2031, 1, 1),
                first_year: 2015,
                last_year: 2030
            }
        );
        let message = err.to_string();
        assert!(
            message.contains("2031-01-01") && message.contains("2015–2030"),
            "{message}"
        );
        assert!(c.is_working_day(d(2031, 1, 2)).is_err());
        assert!(c.is_working_day(d(2014, 12, 31)).is_err());
        assert!(c.add_working_days(d(2014, 12, 30), 1).is_err());
        assert!(c
            .working_days_between(d(2030, 12, 1), d(2031, 1, 5))
            .is_err());
        assert!(c
            .working_days_between(d(2031, 1, 5), d(2030, 12, 1))
            .is_err());
        // The start day itself is never examined, so counting from 31 December 2014 works.
        assert_eq!(
            c.add_working_days(d(2014, 12, 31), 1).unwrap().value,
            d(2015, 1, 2)
        );
        assert!(c.add_working_days(d(2020, 1, 1), u32::MAX).is_err());
    }

    #[test]
    fn results_that_rely_on_projected_years_say_so() {
        let c = cal();
        assert!(!c.add_working_days(d(2027, 6, 1), 10).unwrap().projected);
        let into_2028 = c.add_working_days(d(2027, 12, 30), 2).unwrap();
        assert_eq!(into_2028.value, d(2028, 1, 4)); // Fri 31 Dec, then Mon 3 Jan is a substitute
        assert!(into_2028.projected);
        assert!(
            c.working_days_between(d(2027, 12, 30), d(2028, 1, 4))
                .unwrap()
                .projected
        );
        assert!(
            !c.working_days_between(d(2027, 12, 1), d(2027, 12, 31))
                .unwrap()
                .projected
        );
    }

    #[test]
    fn estimates_beyond_the_table_use_the_standing_rules_and_are_marked() {
        let c = cal();
        // New Year's Day 2031 is a Wednesday: by the standing rules it is not a working day.
        let r = c.add_working_days_estimated(d(2030, 12, 30), 2);
        assert_eq!(r.value, d(2031, 1, 2));
        assert!(r.projected);
        let r = c.add_working_days_estimated(d(2025, 1, 6), 2);
        assert_eq!(
            r,
            Reckoned {
                value: d(2025, 1, 8),
                projected: false
            }
        );
        assert_eq!(
            c.is_working_day_estimated(d(2031, 1, 1)),
            Reckoned {
                value: false,
                projected: true
            }
        );
        assert_eq!(
            c.working_days_between_estimated(d(2030, 12, 30), d(2031, 1, 2))
                .value,
            2
        );
        // Before the table: Good Friday 2014 was 18 April.
        assert_eq!(
            c.add_working_days_estimated(d(2014, 4, 17), 1).value,
            d(2014, 4, 22)
        );
        // Absurd requests finish rather than walk for ever.
        assert!(
            c.add_working_days_estimated(d(2025, 1, 1), u32::MAX)
                .projected
        );
    }

    // --- reading and overriding the table -----------------------------------------------------

    /// Eight holidays for `year` by the standing rules, as override text.
    fn year_text(year: i32) -> String {
        standing_rule_holidays(year)
            .iter()
            .map(|h| {
                format!(
                    "[[holiday]]\ndate = \"{}\"\ntitle = \"{}\"\n",
                    h.date, h.title
                )
            })
            .collect()
    }

    #[test]
    fn an_extending_override_adds_years_and_replaces_entries_by_date() {
        let text = format!(
            "mode = \"extend\"\nremove = [\"2029-05-07\"]\n\
             [[holiday]]\ndate = 2029-05-08\ntitle = \"Moved early May bank holiday\"\n\
             [[holiday]]\ndate = \"2026-06-05\"\ntitle = \"Local jubilee\"\n{}",
            year_text(2031)
        );
        let c = cal().with_override(&text).unwrap();
        assert_eq!(c.years(), 2015..=2031);
        assert_eq!(c.is_working_day(d(2029, 5, 7)), Ok(true));
        assert_eq!(c.is_working_day(d(2029, 5, 8)), Ok(false));
        assert_eq!(c.is_working_day(d(2026, 6, 5)), Ok(false));
        assert_eq!(c.is_working_day(d(2031, 1, 1)), Ok(false));
        // 2031's entries are not marked projected, so the year counts as confirmed.
        assert!(!c.is_projected(d(2031, 6, 1)));
        assert!(c.is_projected(d(2029, 6, 1)));
        assert_eq!(
            c.add_working_days(d(2030, 12, 30), 2).unwrap().value,
            d(2031, 1, 2)
        );
    }

    #[test]
    fn confirming_a_projected_year_in_an_override_clears_its_estimate_mark() {
        let c = cal()
            .with_override(&format!("mode = \"extend\"\n{}", year_text(2028)))
            .unwrap();
        assert!(!c.is_projected(d(2028, 3, 1)));
        assert_eq!(c.projected_years(), vec![2029, 2030]);
    }

    #[test]
    fn a_replacing_override_is_the_whole_table() {
        let text = format!("mode = \"replace\"\n{}{}", year_text(2040), year_text(2041));
        let c = cal().with_override(&text).unwrap();
        assert_eq!(c.years(), 2040..=2041);
        assert!(c.is_working_day(d(2025, 4, 18)).is_err());
        assert_eq!(c.is_working_day(d(2041, 1, 1)), Ok(false));
    }

    #[test]
    fn bad_files_are_refused_naming_the_entry() {
        let good = year_text(2040);
        let e = Calendar::from_toml(&format!(
            "{good}[[holiday]]\ndate = \"2040-02-30\"\ntitle = \"Leap\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("holiday 9") && e.contains("2040-02-30"), "{e}");
        let e = Calendar::from_toml(&format!(
            "{good}[[holiday]]\ndate = \"2040-03-03\"\ntitle = \"Saturday\"\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("holiday 9 (2040-03-03, \"Saturday\")") && e.contains("Saturday"),
            "{e}"
        );
        let e = Calendar::from_toml(&format!(
            "{good}[[holiday]]\ndate = \"2040-12-25\"\ntitle = \"Again\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("repeats the date of holiday 7"), "{e}");
        let e = Calendar::from_toml(&format!("{good}[[holiday]]\ndate = \"2040-03-05\"\n"))
            .unwrap_err();
        assert!(e.contains("holiday 9 (2040-03-05) has no title"), "{e}");
        let e =
            Calendar::from_toml(&format!("{good}[[holiday]]\ntitle = \"When?\"\n")).unwrap_err();
        assert!(e.contains("holiday 9 (\"When?\") has no date"), "{e}");
        let e = Calendar::from_toml(&format!(
            "{good}[[holiday]]\ndate = \"2040-03-05\"\ntitle = \"x\"\nprojeted = true\n"
        ))
        .unwrap_err();
        assert!(e.contains("projeted"), "{e}");
        let e = Calendar::from_toml("").unwrap_err();
        assert!(e.contains("no holidays"), "{e}");
        // A gap year, and a year listed in part, would silently count holidays as working days.
        let e = Calendar::from_toml(&format!("{good}{}", year_text(2042))).unwrap_err();
        assert!(e.contains("none for 2041"), "{e}");
        let e = cal()
            .with_override("mode = \"extend\"\n[[holiday]]\ndate = \"2031-12-25\"\ntitle = \"Christmas Day\"\n")
            .unwrap_err();
        assert!(e.contains("2031 lists 1 holiday"), "{e}");
        // Overrides must say what they do, and may only remove what is there.
        let e = cal().with_override(&good).unwrap_err();
        assert!(e.contains("mode = \"replace\" or mode = \"extend\""), "{e}");
        let e = cal().with_override("mode = \"merge\"").unwrap_err();
        assert!(e.contains("\"merge\""), "{e}");
        let e = cal()
            .with_override("mode = \"extend\"\nremove = [\"2025-04-19\"]")
            .unwrap_err();
        assert!(e.contains("remove \"2025-04-19\""), "{e}");
        assert!(Calendar::from_toml(&format!("mode = \"replace\"\n{good}")).is_err());
    }

    // --- quarters -----------------------------------------------------------------------------

    fn quarter(fy: i32, q: u8) -> Quarter {
        Quarter::new(fy, q).unwrap()
    }

    #[test]
    fn quarters_turn_on_31_march_30_june_30_september_and_31_december() {
        assert_eq!(Quarter::containing(d(2026, 3, 31)), quarter(2025, 4));
        assert_eq!(Quarter::containing(d(2026, 4, 1)), quarter(2026, 1));
        assert_eq!(Quarter::containing(d(2025, 6, 30)), quarter(2025, 1));
        assert_eq!(Quarter::containing(d(2025, 7, 1)), quarter(2025, 2));
        assert_eq!(Quarter::containing(d(2025, 9, 30)), quarter(2025, 2));
        assert_eq!(Quarter::containing(d(2025, 10, 1)), quarter(2025, 3));
        assert_eq!(Quarter::containing(d(2025, 12, 31)), quarter(2025, 3));
        assert_eq!(Quarter::containing(d(2026, 1, 1)), quarter(2025, 4));
    }

    #[test]
    fn a_quarter_starts_and_ends_on_its_boundaries() {
        assert_eq!(quarter(2025, 1).start(), d(2025, 4, 1));
        assert_eq!(quarter(2025, 1).end(), d(2025, 6, 30));
        assert_eq!(quarter(2025, 2).start(), d(2025, 7, 1));
        assert_eq!(quarter(2025, 2).end(), d(2025, 9, 30));
        assert_eq!(quarter(2025, 3).end(), d(2025, 12, 31));
        assert_eq!(quarter(2025, 4).start(), d(2026, 1, 1));
        assert_eq!(quarter(2025, 4).end(), d(2026, 3, 31));
        assert_eq!(quarter(2023, 4).end(), d(2024, 3, 31));
        assert!(quarter(2025, 4).contains(d(2026, 2, 28)));
        assert!(!quarter(2025, 4).contains(d(2026, 4, 1)));
    }

    #[test]
    fn quarters_step_across_financial_years() {
        assert_eq!(quarter(2025, 4).next(), quarter(2026, 1));
        assert_eq!(quarter(2026, 1).previous(), quarter(2025, 4));
        assert_eq!(quarter(2025, 2).next(), quarter(2025, 3));
        assert_eq!(quarter(2025, 2).previous(), quarter(2025, 1));
        assert!(quarter(2025, 4) < quarter(2026, 1));
        // Out-of-range q counts on rather than panicking.
        let odd = Quarter {
            fy_start_year: 2025,
            q: 5,
        };
        assert_eq!(odd.start(), d(2026, 4, 1));
        assert_eq!(odd.label(), "2026-27 Q1");
    }

    #[test]
    fn quarter_labels_use_the_two_digit_second_year() {
        assert_eq!(quarter(2025, 2).label(), "2025-26 Q2");
        assert_eq!(quarter(1999, 1).to_string(), "1999-00 Q1");
        assert_eq!(quarter(2009, 4).label(), "2009-10 Q4");
    }

    #[test]
    fn quarters_are_read_in_the_usual_forms() {
        let q2 = quarter(2025, 2);
        for text in [
            "2025-26 Q2",
            "2025/26 Q2",
            "Q2 2025-26",
            " 2025-2026 q2 ",
            "FY2025-26 Q2",
            "2025-26Q2",
        ] {
            assert_eq!(Quarter::parse(text), Ok(q2), "{text}");
        }
        assert_eq!("1999-00 Q4".parse::<Quarter>(), Ok(quarter(1999, 4)));
        for bad in [
            "2025 Q2",
            "2025-26 Q5",
            "2025-26",
            "Q2",
            "2025-26 Q12",
            "twenty",
            "25-26 Q1",
        ] {
            let e = Quarter::parse(bad).unwrap_err();
            assert!(e.contains("2025-26 Q2"), "{bad}: {e}");
        }
        let e = Quarter::parse("2025-27 Q1").unwrap_err();
        assert!(e.contains("2025-26 Q1"), "{e}");
    }

    // --- ages ---------------------------------------------------------------------------------

    #[test]
    fn a_leap_day_birthday_is_reached_on_1_march_in_other_years() {
        let dob = d(2008, 2, 29);
        assert_eq!(age_on(dob, d(2025, 2, 28)), Some(16));
        assert_eq!(age_on(dob, d(2025, 3, 1)), Some(17));
        assert_eq!(age_on(dob, d(2024, 2, 28)), Some(15));
        assert_eq!(age_on(dob, d(2024, 2, 29)), Some(16));
        assert_eq!(date_reaching_age(dob, 17), Some(d(2025, 3, 1)));
        assert_eq!(date_reaching_age(dob, 16), Some(d(2024, 2, 29)));
    }

    #[test]
    fn ages_count_whole_years_and_none_before_birth() {
        let dob = d(2007, 6, 15);
        assert_eq!(age_on(dob, d(2007, 6, 15)), Some(0));
        assert_eq!(age_on(dob, d(2025, 6, 14)), Some(17));
        assert_eq!(age_on(dob, d(2025, 6, 15)), Some(18));
        assert_eq!(age_on(dob, d(2007, 6, 14)), None);
    }

    #[test]
    fn age_bands_are_11_to_17_18_to_24_and_other() {
        assert_eq!(AgeBand::of(10), AgeBand::Other);
        assert_eq!(AgeBand::of(11), AgeBand::Under18);
        assert_eq!(AgeBand::of(17), AgeBand::Under18);
        assert_eq!(AgeBand::of(18), AgeBand::From18To24);
        assert_eq!(AgeBand::of(24), AgeBand::From18To24);
        assert_eq!(AgeBand::of(25), AgeBand::Other);
        assert_eq!(
            AgeBand::ALL.map(AgeBand::code),
            ["under_18", "18_24", "other"]
        );
        assert_eq!(AgeBand::from_code("18_24"), Some(AgeBand::From18To24));
        // Band on the day: turning 18 moves a referral into 18–24.
        assert_eq!(
            AgeBand::on(d(2007, 6, 15), d(2025, 6, 14)),
            Some(AgeBand::Under18)
        );
        assert_eq!(
            AgeBand::on(d(2007, 6, 15), d(2025, 6, 15)),
            Some(AgeBand::From18To24)
        );
    }
}
