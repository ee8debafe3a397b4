//! TEMPORARY stand-in for `domain::calendar` and `domain::codes` until they land on main.
//! Same names and signatures as theirs; deleted after the merge.
#![allow(dead_code)]

use chrono::{Datelike, Duration, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reckoned<T> {
    pub value: T,
    pub projected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    OutsideTable {
        date: NaiveDate,
        first_year: i32,
        last_year: i32,
    },
}

impl std::fmt::Display for CalendarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let CalendarError::OutsideTable { date, .. } = self;
        write!(f, "cannot count working days on {date}")
    }
}
impl std::error::Error for CalendarError {}

#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: Vec<NaiveDate>,
}

impl Calendar {
    pub fn embedded() -> Calendar {
        let h = [
            "2024-01-01",
            "2024-03-29",
            "2024-04-01",
            "2024-05-06",
            "2024-05-27",
            "2024-08-26",
            "2024-12-25",
            "2024-12-26",
            "2025-01-01",
            "2025-04-18",
            "2025-04-21",
            "2025-05-05",
            "2025-05-26",
            "2025-08-25",
            "2025-12-25",
            "2025-12-26",
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-04",
            "2026-05-25",
            "2026-08-31",
            "2026-12-25",
            "2026-12-28",
            "2027-01-01",
            "2027-03-26",
            "2027-03-29",
            "2027-05-03",
            "2027-05-31",
            "2027-08-30",
            "2027-12-27",
            "2027-12-28",
        ];
        Calendar {
            holidays: h
                .iter()
                .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
                .collect(),
        }
    }

    fn check(&self, d: NaiveDate) -> Result<(), CalendarError> {
        if (2024..=2027).contains(&d.year()) {
            Ok(())
        } else {
            Err(CalendarError::OutsideTable {
                date: d,
                first_year: 2024,
                last_year: 2027,
            })
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.check(date)?;
        Ok(
            !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                && !self.holidays.contains(&date),
        )
    }

    pub fn add_working_days(
        &self,
        start: NaiveDate,
        n: u32,
    ) -> Result<Reckoned<NaiveDate>, CalendarError> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(Reckoned {
            value: d,
            projected: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub fy_start_year: i32,
    pub q: u8,
}

impl Quarter {
    pub fn new(fy_start_year: i32, q: u8) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { fy_start_year, q })
    }
    pub fn containing(date: NaiveDate) -> Quarter {
        let (y, q) = match date.month() {
            4..=6 => (date.year(), 1),
            7..=9 => (date.year(), 2),
            10..=12 => (date.year(), 3),
            _ => (date.year() - 1, 4),
        };
        Quarter {
            fy_start_year: y,
            q,
        }
    }
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self.q {
            1 => (self.fy_start_year, 4),
            2 => (self.fy_start_year, 7),
            3 => (self.fy_start_year, 10),
            _ => (self.fy_start_year + 1, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }
    pub fn end(self) -> NaiveDate {
        self.next().start() - Duration::days(1)
    }
    pub fn contains(self, d: NaiveDate) -> bool {
        self.start() <= d && d <= self.end()
    }
    pub fn label(self) -> String {
        format!(
            "{}-{:02} Q{}",
            self.fy_start_year,
            (self.fy_start_year + 1) % 100,
            self.q
        )
    }
    pub fn previous(self) -> Quarter {
        Quarter::containing(self.start() - Duration::days(1))
    }
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                fy_start_year: self.fy_start_year + 1,
                q: 1,
            }
        } else {
            Quarter {
                fy_start_year: self.fy_start_year,
                q: self.q + 1,
            }
        }
    }
}

pub fn age_on(dob: NaiveDate, date: NaiveDate) -> Option<u32> {
    if date < dob {
        return None;
    }
    let mut years = date.year() - dob.year();
    if (date.month(), date.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    Under18,
    From18To24,
    Other,
}

impl AgeBand {
    pub const ALL: [AgeBand; 3] = [AgeBand::Under18, AgeBand::From18To24, AgeBand::Other];
    pub fn of(age: u32) -> AgeBand {
        match age {
            11..=17 => AgeBand::Under18,
            18..=24 => AgeBand::From18To24,
            _ => AgeBand::Other,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under18 => "under_18",
            AgeBand::From18To24 => "18_24",
            AgeBand::Other => "other",
        }
    }
    pub fn from_code(code: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.code() == code.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListName {
    ReferralSources,
    Sex,
    Ethnicity,
    Substances,
    Routes,
    Injecting,
    ExitReasons,
    Vulnerabilities,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub code: String,
    pub label: String,
    pub category: Option<String>,
    pub retired: bool,
}

#[derive(Debug, Clone)]
pub struct CodeList {
    pub name: ListName,
    pub title: String,
    pub codes: Vec<Code>,
}

impl CodeList {
    pub fn get(&self, code: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.code == code)
    }
    pub fn label_of<'a>(&'a self, code: &'a str) -> &'a str {
        self.get(code).map(|c| c.label.as_str()).unwrap_or(code)
    }
}

#[derive(Debug, Clone)]
pub struct CodeLists {
    lists: Vec<CodeList>,
}

fn mk(name: ListName, codes: &[(&str, Option<&str>)]) -> CodeList {
    CodeList {
        name,
        title: format!("{name:?}"),
        codes: codes
            .iter()
            .map(|(c, cat)| Code {
                code: c.to_string(),
                label: c.to_string(),
                category: cat.map(str::to_string),
                retired: false,
            })
            .collect(),
    }
}

impl CodeLists {
    pub fn embedded() -> CodeLists {
        let n = None;
        let p = Some("planned");
        let u = Some("unplanned");
        CodeLists {
            lists: vec![
                mk(
                    ListName::ReferralSources,
                    &[
                        ("self", n),
                        ("family_carer", n),
                        ("school_college", n),
                        ("social_care", n),
                        ("yot", n),
                        ("gp", n),
                        ("camhs", n),
                    ],
                ),
                mk(
                    ListName::Sex,
                    &[("male", n), ("female", n), ("other", n), ("not_stated", n)],
                ),
                mk(
                    ListName::Ethnicity,
                    &[("A", n), ("B", n), ("C", n), ("D", n), ("N", n), ("Z", n)],
                ),
                mk(
                    ListName::Substances,
                    &[("alcohol", n), ("cannabis", n), ("stimulant", n)],
                ),
                mk(
                    ListName::Routes,
                    &[
                        ("oral", n),
                        ("smoking", n),
                        ("sniffing", n),
                        ("injecting", n),
                    ],
                ),
                mk(
                    ListName::Injecting,
                    &[("never", n), ("previously", n), ("currently", n)],
                ),
                mk(
                    ListName::ExitReasons,
                    &[
                        ("completed_drug_free", p),
                        ("referral_more_appropriate", p),
                        ("self_exit", u),
                        ("disciplinary", u),
                    ],
                ),
                mk(
                    ListName::Vulnerabilities,
                    &[
                        ("school_excludee", n),
                        ("young_offender", n),
                        ("looked_after", n),
                    ],
                ),
            ],
        }
    }
    pub fn list(&self, name: ListName) -> &CodeList {
        self.lists.iter().find(|l| l.name == name).unwrap()
    }
    pub fn exit_is_planned(&self, exit_reason: &str) -> Option<bool> {
        match self
            .list(ListName::ExitReasons)
            .get(exit_reason)?
            .category
            .as_deref()
        {
            Some("planned") => Some(true),
            Some("unplanned") => Some(false),
            _ => None,
        }
    }
    pub fn is_comprehensive_assessment(&self, triage_outcome: &str) -> bool {
        triage_outcome == "comprehensive_assessment"
    }
}
