//! The comprehensive assessment (S §8.5) and the outcome profiles that measure progress
//! against it (TOP, S §8.9.4, KPI 6a; the mentoring outcome areas, L §3.1).
//!
//! An assessment records needs by CAF-style domain, a risk assessment over the six domains of
//! S §8.5.5 (each with a level and, when medium or high, a risk management action) and the
//! DASH checklist's yes-count. DASH 14 or more, or the worker's professional judgement, means a
//! MARAC referral (S §10.7.4) and a high risk flag. Everything here is pure: the store checks
//! forms with these rules before it writes anything.

use std::fmt;

use chrono::{Days, NaiveDate};

use crate::domain::codes::{CodeLists, ListName};
use crate::domain::record::{Episode, RiskLevel};
use crate::domain::validate::{truncate_for_message, Problems};

/// Questions on the DASH risk identification checklist (S §10.7.3).
pub const DASH_QUESTIONS: i32 = 24;
/// DASH yes-answers that mark a case high risk and send it to MARAC (S §10.7.4).
pub const MARAC_THRESHOLD: i32 = 14;
/// The risk flag type raised for a MARAC referral (code in the `risk_types` list).
pub const MARAC_FLAG_TYPE: &str = "marac_referral";

/// The six risk domains a full risk assessment covers (S §8.5.5). Their codes are also risk
/// flag types in the `risk_types` list, so a risk can become a flag of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskDomain {
    SelfHarm,
    RiskFromOthers,
    RiskToOthers,
    Housing,
    SexualExploitation,
    DomesticViolence,
}

impl RiskDomain {
    /// In the order S §8.5.5 lists them (the order a form shows them in).
    pub const ALL: [RiskDomain; 6] = [
        RiskDomain::SelfHarm,
        RiskDomain::RiskFromOthers,
        RiskDomain::RiskToOthers,
        RiskDomain::Housing,
        RiskDomain::SexualExploitation,
        RiskDomain::DomesticViolence,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RiskDomain::SelfHarm => "self_harm",
            RiskDomain::RiskFromOthers => "risk_from_others",
            RiskDomain::RiskToOthers => "risk_to_others",
            RiskDomain::Housing => "housing",
            RiskDomain::SexualExploitation => "sexual_exploitation",
            RiskDomain::DomesticViolence => "domestic_violence",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskDomain::SelfHarm => "Self-harm",
            RiskDomain::RiskFromOthers => "Risk from others",
            RiskDomain::RiskToOthers => "Risk to others",
            RiskDomain::Housing => "Housing",
            RiskDomain::SexualExploitation => "Sexual exploitation",
            RiskDomain::DomesticViolence => "Domestic violence",
        }
    }

    pub fn from_code(code: &str) -> Option<RiskDomain> {
        let code = code.trim();
        RiskDomain::ALL
            .into_iter()
            .find(|d| d.code().eq_ignore_ascii_case(code))
    }

    /// A form's field key for this domain's level: `risks.self_harm.level`.
    pub fn level_field(self) -> String {
        format!("risks.{}.level", self.code())
    }

    /// A form's field key for this domain's risk management action.
    pub fn action_field(self) -> String {
        format!("risks.{}.action", self.code())
    }
}

impl fmt::Display for RiskDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One domain of the risk assessment: its level and the risk management action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskEntry {
    pub domain: RiskDomain,
    /// `None` until the worker has assessed it; a full assessment needs all six.
    pub level: Option<RiskLevel>,
    /// What will be done about it: required when the level is medium or high.
    pub action: String,
}

/// A need recorded under one CAF-style domain (code from `need_domains`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub domain: String,
    pub need: String,
}

/// What the comprehensive assessment form holds before it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentForm {
    pub date: NaiveDate,
    /// Needs by domain; a domain with no need is simply absent (or blank).
    pub needs: Vec<Need>,
    /// One entry per risk domain ([`AssessmentForm::blank`] lists all six).
    pub risks: Vec<RiskEntry>,
    /// DASH yes-answers, `None` when the checklist was not used. Kept wide so a mistyped 25 or
    /// -1 reaches validation and gets a message rather than a parse failure.
    pub dash_yes_count: Option<i32>,
    /// The worker judges the case high risk whatever the count (S §10.7.4).
    pub professional_judgement: bool,
    /// Medium or high risk domains to raise as risk flags too (offered by
    /// [`AssessmentForm::flaggable`]).
    pub flag_domains: Vec<RiskDomain>,
    /// When the flags raised should be reviewed; `None` takes [`default_flag_review`].
    pub flag_review_date: Option<NaiveDate>,
    pub notes: String,
}

impl AssessmentForm {
    /// An empty form dated `date`, listing the six risk domains unassessed.
    pub fn blank(date: NaiveDate) -> AssessmentForm {
        AssessmentForm {
            date,
            needs: Vec::new(),
            risks: RiskDomain::ALL
                .into_iter()
                .map(|domain| RiskEntry {
                    domain,
                    level: None,
                    action: String::new(),
                })
                .collect(),
            dash_yes_count: None,
            professional_judgement: false,
            flag_domains: Vec::new(),
            flag_review_date: None,
            notes: String::new(),
        }
    }

    /// Sets one domain's level and action (adding the entry if the form lacks it).
    pub fn set_risk(&mut self, domain: RiskDomain, level: RiskLevel, action: &str) {
        match self.risks.iter_mut().find(|r| r.domain == domain) {
            Some(r) => {
                r.level = Some(level);
                r.action = action.to_string();
            }
            None => self.risks.push(RiskEntry {
                domain,
                level: Some(level),
                action: action.to_string(),
            }),
        }
    }

    /// The assessed level of `domain`, if any.
    pub fn level_of(&self, domain: RiskDomain) -> Option<RiskLevel> {
        self.risks
            .iter()
            .find(|r| r.domain == domain)
            .and_then(|r| r.level)
    }

    /// Whether saving this form makes a MARAC referral: DASH 14+ or professional judgement.
    pub fn marac_referral(&self) -> bool {
        marac_referral(self.dash_yes_count, self.professional_judgement)
    }

    /// The risk domains the form offers to raise as flags: those assessed medium or high.
    pub fn flaggable(&self) -> Vec<RiskDomain> {
        self.risks
            .iter()
            .filter(|r| r.level.is_some_and(|l| l >= RiskLevel::Medium))
            .map(|r| r.domain)
            .collect()
    }

    /// Every problem with the form, each at its field. `episode` gives the referral, triage
    /// and exit dates the assessment must fit between; `today` comes from the clock.
    pub fn validate(&self, episode: &Episode, codes: &CodeLists, today: NaiveDate) -> Problems {
        let mut p = Problems::default();
        check_event_date(&mut p, "date", "an assessment", self.date, episode, today);
        if let Some(triage) = episode.triage_date {
            if self.date < triage {
                p.push(
                    "date",
                    format!("the comprehensive assessment follows triage, which was on {triage}"),
                );
            }
        }

        if let Some(n) = self.dash_yes_count {
            if !(0..=DASH_QUESTIONS).contains(&n) {
                p.push(
                    "dash_yes_count",
                    format!("{n} is not a DASH count: expected 0 to {DASH_QUESTIONS} yes answers"),
                );
            }
        }

        let needs = codes.list(ListName::NeedDomains);
        let mut seen_needs = Vec::new();
        for n in &self.needs {
            let field = format!("needs.{}", n.domain);
            if !needs.contains(&n.domain) {
                p.push(
                    "needs",
                    format!(
                        "unknown need domain '{}': expected a code from need_domains",
                        truncate_for_message(&n.domain)
                    ),
                );
            } else if seen_needs.contains(&n.domain.as_str()) {
                p.push(&field, "this domain is listed twice: keep one entry");
            }
            seen_needs.push(n.domain.as_str());
        }

        for domain in RiskDomain::ALL {
            let entries: Vec<&RiskEntry> =
                self.risks.iter().filter(|r| r.domain == domain).collect();
            match entries.as_slice() {
                [] | [RiskEntry { level: None, .. }] => p.push(
                    &domain.level_field(),
                    format!(
                        "assess the risk of {}: low, medium or high (S §8.5.5)",
                        domain.label().to_lowercase()
                    ),
                ),
                [r] => {
                    if r.level.is_some_and(|l| l >= RiskLevel::Medium) && r.action.trim().is_empty()
                    {
                        p.push(
                            &domain.action_field(),
                            "a medium or high risk needs a risk management action",
                        );
                    }
                }
                _ => p.push(
                    &domain.level_field(),
                    "this domain is listed twice: keep one entry",
                ),
            }
        }

        // DASH 14+ is, by definition, a high domestic violence risk: the record must agree.
        if self
            .dash_yes_count
            .is_some_and(|n| (MARAC_THRESHOLD..=DASH_QUESTIONS).contains(&n))
            && self
                .level_of(RiskDomain::DomesticViolence)
                .is_some_and(|l| l < RiskLevel::High)
        {
            p.push(
                &RiskDomain::DomesticViolence.level_field(),
                format!(
                    "DASH {MARAC_THRESHOLD} or more yes answers is high risk: set domestic violence to high"
                ),
            );
        }

        let offered = self.flaggable();
        for d in &self.flag_domains {
            if !offered.contains(d) {
                p.push(
                    "flag_domains",
                    format!(
                        "{} is not assessed medium or high: only those are raised as flags",
                        d.label()
                    ),
                );
            }
        }
        if let Some(r) = self.flag_review_date {
            if r < self.date {
                p.push(
                    "flag_review_date",
                    format!(
                        "the flags' review date is before the assessment ({})",
                        self.date
                    ),
                );
            }
        }
        p
    }
}

/// The MARAC rule (S §10.7.4): DASH 14 or more yes answers, or professional judgement.
pub fn marac_referral(dash_yes_count: Option<i32>, professional_judgement: bool) -> bool {
    professional_judgement || dash_yes_count.is_some_and(|n| n >= MARAC_THRESHOLD)
}

/// The review date given to flags raised at an assessment when the form sets none: a week for
/// a high risk, four weeks otherwise, so every flag raised here appears on a due-list.
pub fn default_flag_review(assessed_on: NaiveDate, level: RiskLevel) -> NaiveDate {
    let days = if level == RiskLevel::High { 7 } else { 28 };
    assessed_on
        .checked_add_days(Days::new(days))
        .unwrap_or(assessed_on)
}

/// The action text of the MARAC flag.
pub fn marac_action(dash_yes_count: Option<i32>) -> String {
    match dash_yes_count {
        Some(n) if n >= MARAC_THRESHOLD => {
            format!("Refer to MARAC (S §10.7): DASH {n} of {DASH_QUESTIONS} yes")
        }
        _ => "Refer to MARAC (S §10.7): high risk on professional judgement".to_string(),
    }
}

/// A saved comprehensive assessment as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: String,
    pub episode_id: String,
    pub date: NaiveDate,
    pub needs: Vec<Need>,
    /// Domains as saved, in [`RiskDomain::ALL`] order; each has a level.
    pub risks: Vec<RiskEntry>,
    pub dash_yes_count: Option<i32>,
    pub marac_referral: bool,
    pub notes: Option<String>,
    pub worker_id: Option<String>,
}

impl Assessment {
    /// Whether MARAC was on professional judgement alone (the count was under 14 or absent).
    /// Not stored as such: it follows from the referral and the count.
    pub fn professional_judgement(&self) -> bool {
        self.marac_referral && self.dash_yes_count.is_none_or(|n| n < MARAC_THRESHOLD)
    }

    /// The risk domains assessed medium or high, highest first: those needing a risk
    /// management plan linked to the care plan (S §8.5.5).
    pub fn risks_needing_a_plan(&self) -> Vec<(RiskDomain, RiskLevel)> {
        let mut out: Vec<(RiskDomain, RiskLevel)> = self
            .risks
            .iter()
            .filter_map(|r| {
                r.level
                    .filter(|l| *l >= RiskLevel::Medium)
                    .map(|l| (r.domain, l))
            })
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The highest level across the six domains.
    pub fn highest_risk(&self) -> Option<RiskLevel> {
        self.risks.iter().filter_map(|r| r.level).max()
    }
}

/// Shared date checks for an event in an episode: not before the referral, not after the
/// exit, not in the future.
pub(crate) fn check_event_date(
    p: &mut Problems,
    field: &str,
    what: &str,
    on: NaiveDate,
    episode: &Episode,
    today: NaiveDate,
) {
    if on > today {
        p.push(
            field,
            format!("{on} is in the future: record {what} once it has happened (today is {today})"),
        );
    }
    if on < episode.referral_date {
        p.push(
            field,
            format!(
                "{on} is before the referral ({}): expected a date in this episode",
                episode.referral_date
            ),
        );
    }
    if let Some(exit) = episode.exit_date {
        if on > exit {
            p.push(
                field,
                format!(
                    "{on} is after the episode ended ({exit}): expected a date in this episode"
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outcome profiles
// ---------------------------------------------------------------------------------------------

/// Days counted in a TOP's look-back window (the last 28 days).
pub const TOP_DAYS: i32 = 28;
/// The top of every 0–20 scale (TOP health and quality of life; the mentoring ratings).
pub const RATING_MAX: i32 = 20;

/// When an outcome profile was recorded (S §19 KPI 6a: at start, each review and exit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Occasion {
    Start,
    Review,
    Exit,
    Other,
}

impl Occasion {
    pub const ALL: [Occasion; 4] = [
        Occasion::Start,
        Occasion::Review,
        Occasion::Exit,
        Occasion::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Occasion::Start => "start",
            Occasion::Review => "review",
            Occasion::Exit => "exit",
            Occasion::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Occasion::Start => "Start of treatment",
            Occasion::Review => "Review",
            Occasion::Exit => "Exit",
            Occasion::Other => "Other",
        }
    }

    pub fn from_code(code: &str) -> Option<Occasion> {
        let code = code.trim();
        Occasion::ALL
            .into_iter()
            .find(|o| o.code().eq_ignore_ascii_case(code))
    }
}

/// One of the seven outcome areas the mentoring project aims to improve (L §3.1 a–g), with
/// the share of cases the specification expects to improve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeArea {
    /// Stored in `outcome_ratings.area`.
    pub code: &'static str,
    pub label: &'static str,
    /// The target share of cases improving, in per cent; `None` where L §3.1 sets none.
    pub target_percent: Option<u8>,
    /// The clause of L §3.1 it comes from.
    pub source: &'static str,
}

pub const AREA_SUBSTANCE_USE: &str = "substance_use";
pub const AREA_HEALTH: &str = "physical_psychological_health";
pub const AREA_EDUCATION_TRAINING: &str = "education_training";
pub const AREA_ACCOMMODATION: &str = "accommodation";
pub const AREA_SOCIAL_SKILLS: &str = "social_skills_confidence";
pub const AREA_RELATIONSHIPS: &str = "relationships";
pub const AREA_OFFENDING: &str = "offending";

/// The seven outcome areas of L §3.1, in the specification's order.
pub const OUTCOME_AREAS: [OutcomeArea; 7] = [
    OutcomeArea {
        code: AREA_SUBSTANCE_USE,
        label: "Substance use problem",
        target_percent: Some(100),
        source: "L §3.1 a",
    },
    OutcomeArea {
        code: AREA_HEALTH,
        label: "Physical and psychological health",
        target_percent: Some(75),
        source: "L §3.1 b",
    },
    OutcomeArea {
        code: AREA_EDUCATION_TRAINING,
        label: "Attitude towards education and training",
        target_percent: Some(50),
        source: "L §3.1 c",
    },
    OutcomeArea {
        code: AREA_ACCOMMODATION,
        label: "Accommodation arrangements",
        target_percent: None,
        source: "L §3.1 d",
    },
    OutcomeArea {
        code: AREA_SOCIAL_SKILLS,
        label: "Social skills, confidence and self-esteem",
        target_percent: Some(70),
        source: "L §3.1 e",
    },
    OutcomeArea {
        code: AREA_RELATIONSHIPS,
        label: "Relationships with friends and family",
        target_percent: Some(70),
        source: "L §3.1 f",
    },
    OutcomeArea {
        code: AREA_OFFENDING,
        label: "Offending behaviour",
        target_percent: Some(40),
        source: "L §3.1 g",
    },
];

/// The outcome area with this code.
pub fn outcome_area(code: &str) -> Option<&'static OutcomeArea> {
    OUTCOME_AREAS.iter().find(|a| a.code == code.trim())
}

/// Accommodation as a TOP records it (acute housing problem, at risk of eviction).
pub const ACCOMMODATION_CODES: [(&str, &str); 3] = [
    ("stable", "Stable accommodation"),
    ("at_risk_of_eviction", "At risk of eviction"),
    ("acute_housing_problem", "Acute housing problem"),
];

/// Education and employment in the last 28 days, as a TOP asks it.
pub const EDUCATION_EMPLOYMENT_CODES: [(&str, &str); 4] = [
    ("education", "In education or college"),
    ("training", "In training"),
    ("employment", "In paid work"),
    ("none", "Not in education, training or work"),
];

/// Days a substance was used in the last 28.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstanceDays {
    /// Code from `substances`.
    pub substance: String,
    pub days: i32,
}

/// A rating in one L §3.1 outcome area, 0 (worst) to 20 (best).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRating {
    pub area: String,
    pub rating: i32,
}

/// An outcome profile: TOP-style measures (S §8.9.4) and the mentoring ratings (L §3.1).
/// Numbers are kept wide so a mistyped 29 or 25 reaches validation and gets a message.
/// Health and quality-of-life scales run 0 (poor) to 20 (good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeProfile {
    pub id: String,
    pub episode_id: String,
    pub date: NaiveDate,
    pub occasion: Occasion,
    pub substance_days: Vec<SubstanceDays>,
    pub injecting_days: Option<i32>,
    pub sharing: Option<bool>,
    pub offending_days: Option<i32>,
    pub psychological_health: Option<i32>,
    pub physical_health: Option<i32>,
    pub quality_of_life: Option<i32>,
    /// Code from [`ACCOMMODATION_CODES`].
    pub accommodation: Option<String>,
    /// Code from [`EDUCATION_EMPLOYMENT_CODES`].
    pub education_employment: Option<String>,
    pub ratings: Vec<AreaRating>,
    pub worker_id: Option<String>,
}

impl OutcomeProfile {
    /// An empty profile for `occasion` on `date`.
    pub fn blank(date: NaiveDate, occasion: Occasion) -> OutcomeProfile {
        OutcomeProfile {
            id: String::new(),
            episode_id: String::new(),
            date,
            occasion,
            substance_days: Vec::new(),
            injecting_days: None,
            sharing: None,
            offending_days: None,
            psychological_health: None,
            physical_health: None,
            quality_of_life: None,
            accommodation: None,
            education_employment: None,
            ratings: Vec::new(),
            worker_id: None,
        }
    }

    /// Every problem with the measures, each at its field (`substance_days.cannabis`,
    /// `ratings.offending`, `quality_of_life`, ...). Dates are checked by
    /// [`OutcomeProfile::validate_in`], which knows the episode.
    pub fn validate(&self, codes: &CodeLists) -> Problems {
        let mut p = Problems::default();
        let substances = codes.list(ListName::Substances);
        let mut seen: Vec<&str> = Vec::new();
        for s in &self.substance_days {
            let field = format!("substance_days.{}", s.substance);
            if !substances.contains(&s.substance) {
                p.push(
                    "substance_days",
                    format!(
                        "unknown substance '{}': expected a code from substances",
                        truncate_for_message(&s.substance)
                    ),
                );
            } else if seen.contains(&s.substance.as_str()) {
                p.push(&field, "this substance is listed twice: keep one entry");
            }
            seen.push(&s.substance);
            check_days(&mut p, &field, Some(s.days));
        }
        check_days(&mut p, "injecting_days", self.injecting_days);
        check_days(&mut p, "offending_days", self.offending_days);
        check_rating(&mut p, "psychological_health", self.psychological_health);
        check_rating(&mut p, "physical_health", self.physical_health);
        check_rating(&mut p, "quality_of_life", self.quality_of_life);
        if let Some(a) = &self.accommodation {
            if !ACCOMMODATION_CODES.iter().any(|(c, _)| c == a) {
                p.push(
                    "accommodation",
                    format!(
                        "unknown accommodation '{}': expected stable, at_risk_of_eviction or acute_housing_problem",
                        truncate_for_message(a)
                    ),
                );
            }
        }
        if let Some(e) = &self.education_employment {
            if !EDUCATION_EMPLOYMENT_CODES.iter().any(|(c, _)| c == e) {
                p.push(
                    "education_employment",
                    format!(
                        "unknown education or employment '{}': expected education, training, employment or none",
                        truncate_for_message(e)
                    ),
                );
            }
        }
        let mut seen_areas: Vec<&str> = Vec::new();
        for r in &self.ratings {
            let field = format!("ratings.{}", r.area);
            if outcome_area(&r.area).is_none() {
                p.push(
                    "ratings",
                    format!(
                        "unknown outcome area '{}': expected one of the seven of L §3.1",
                        truncate_for_message(&r.area)
                    ),
                );
            } else if seen_areas.contains(&r.area.as_str()) {
                p.push(&field, "this area is rated twice: keep one rating");
            }
            seen_areas.push(&r.area);
            check_rating(&mut p, &field, Some(r.rating));
        }
        p
    }

    /// As [`OutcomeProfile::validate`], and the date must fall in `episode` and not in the
    /// future.
    pub fn validate_in(&self, episode: &Episode, codes: &CodeLists, today: NaiveDate) -> Problems {
        let mut p = Problems::default();
        check_event_date(
            &mut p,
            "date",
            "an outcome profile",
            self.date,
            episode,
            today,
        );
        p.0.extend(self.validate(codes).0);
        p
    }

    /// This profile's value for `measure`, if recorded. A substance not listed counts as not
    /// recorded (not as zero days): the profile may simply not have asked.
    pub fn value(&self, measure: &Measure) -> Option<i32> {
        match measure {
            Measure::SubstanceDays(code) => self
                .substance_days
                .iter()
                .find(|s| &s.substance == code)
                .map(|s| s.days),
            Measure::InjectingDays => self.injecting_days,
            Measure::OffendingDays => self.offending_days,
            Measure::PsychologicalHealth => self.psychological_health,
            Measure::PhysicalHealth => self.physical_health,
            Measure::QualityOfLife => self.quality_of_life,
            Measure::Area(code) => self
                .ratings
                .iter()
                .find(|r| &r.area == code)
                .map(|r| r.rating),
        }
    }

    /// The rating recorded for an L §3.1 area, if any.
    pub fn rating(&self, area: &str) -> Option<i32> {
        self.value(&Measure::Area(area.to_string()))
    }
}

fn check_days(p: &mut Problems, field: &str, days: Option<i32>) {
    if let Some(d) = days {
        if !(0..=TOP_DAYS).contains(&d) {
            p.push(
                field,
                format!("{d} is not a number of days in the last 28: expected 0 to {TOP_DAYS}"),
            );
        }
    }
}

fn check_rating(p: &mut Problems, field: &str, rating: Option<i32>) {
    if let Some(r) = rating {
        if !(0..=RATING_MAX).contains(&r) {
            p.push(
                field,
                format!("{r} is off the scale: expected 0 (poor) to {RATING_MAX} (good)"),
            );
        }
    }
}

/// One thing an outcome profile measures, for trends and improvement counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Days using this substance (code) in the last 28.
    SubstanceDays(String),
    InjectingDays,
    OffendingDays,
    PsychologicalHealth,
    PhysicalHealth,
    QualityOfLife,
    /// A mentoring outcome area (L §3.1) by code.
    Area(String),
}

impl Measure {
    /// Fewer days of use, injecting or offending is better; higher scores are better.
    pub fn higher_is_better(&self) -> bool {
        !matches!(
            self,
            Measure::SubstanceDays(_) | Measure::InjectingDays | Measure::OffendingDays
        )
    }

    /// A short name for a sparkline's caption.
    pub fn label(&self, codes: &CodeLists) -> String {
        match self {
            Measure::SubstanceDays(s) => {
                format!("{} days", codes.label_of(ListName::Substances, s))
            }
            Measure::InjectingDays => "Injecting days".into(),
            Measure::OffendingDays => "Offending days".into(),
            Measure::PsychologicalHealth => "Psychological health".into(),
            Measure::PhysicalHealth => "Physical health".into(),
            Measure::QualityOfLife => "Quality of life".into(),
            Measure::Area(a) => outcome_area(a)
                .map(|x| x.label.to_string())
                .unwrap_or_else(|| a.clone()),
        }
    }
}

/// One measure over time: a point per profile, oldest first, `None` where not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub measure: Measure,
    pub points: Vec<(NaiveDate, Option<i32>)>,
}

impl Series {
    /// The recorded values only, oldest first (what a sparkline draws).
    pub fn values(&self) -> Vec<i32> {
        self.points.iter().filter_map(|(_, v)| *v).collect()
    }
}

/// Every measure recorded in any of `profiles`, as a series with one point per profile in
/// date order. Measures come in a fixed order: substances (by code), injecting, offending,
/// the three TOP scales, then the L §3.1 areas in the specification's order.
pub fn trend(profiles: &[OutcomeProfile]) -> Vec<Series> {
    let mut sorted: Vec<&OutcomeProfile> = profiles.iter().collect();
    sorted.sort_by_key(|p| p.date);
    let mut measures: Vec<Measure> = Vec::new();
    let mut substances: Vec<&str> = sorted
        .iter()
        .flat_map(|p| p.substance_days.iter().map(|s| s.substance.as_str()))
        .collect();
    substances.sort_unstable();
    substances.dedup();
    measures.extend(
        substances
            .into_iter()
            .map(|s| Measure::SubstanceDays(s.to_string())),
    );
    measures.extend([
        Measure::InjectingDays,
        Measure::OffendingDays,
        Measure::PsychologicalHealth,
        Measure::PhysicalHealth,
        Measure::QualityOfLife,
    ]);
    measures.extend(OUTCOME_AREAS.iter().map(|a| Measure::Area(a.code.into())));
    measures
        .into_iter()
        .map(|m| Series {
            points: sorted.iter().map(|p| (p.date, p.value(&m))).collect(),
            measure: m,
        })
        .filter(|s| s.points.iter().any(|(_, v)| v.is_some()))
        .collect()
}

/// Whether `measure` improved from `first` to `last` (L §10.3 C): `Some(true)` when it moved
/// the better way, `Some(false)` when it stayed the same or worsened (so staying at 0 days of
/// use is not counted as an improvement), `None` when either profile lacks it.
pub fn improved(first: &OutcomeProfile, last: &OutcomeProfile, measure: &Measure) -> Option<bool> {
    let (a, b) = (first.value(measure)?, last.value(measure)?);
    Some(if measure.higher_is_better() {
        b > a
    } else {
        b < a
    })
}

/// The earliest and latest profiles by date (ties: the order given), when there are two or
/// more: the pair [`improved`] compares.
pub fn first_and_last(profiles: &[OutcomeProfile]) -> Option<(&OutcomeProfile, &OutcomeProfile)> {
    if profiles.len() < 2 {
        return None;
    }
    let first = profiles.iter().min_by_key(|p| p.date)?;
    let last = profiles.iter().rev().max_by_key(|p| p.date)?;
    Some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn episode() -> Episode {
        Episode {
            referral_date: d("2025-03-03"),
            triage_date: Some(d("2025-03-04")),
            ..Default::default()
        }
    }

    fn all_low(date: NaiveDate) -> AssessmentForm {
        let mut f = AssessmentForm::blank(date);
        for dm in RiskDomain::ALL {
            f.set_risk(dm, RiskLevel::Low, "");
        }
        f
    }

    #[test]
    fn risk_domain_codes_are_risk_flag_types() {
        let codes = CodeLists::embedded();
        for dm in RiskDomain::ALL {
            assert!(codes.list(ListName::RiskTypes).contains(dm.code()), "{dm}");
            assert_eq!(RiskDomain::from_code(dm.code()), Some(dm));
        }
        assert!(codes.list(ListName::RiskTypes).contains(MARAC_FLAG_TYPE));
    }

    #[test]
    fn marac_at_fourteen_or_on_judgement() {
        assert!(!marac_referral(Some(13), false));
        assert!(marac_referral(Some(14), false));
        assert!(marac_referral(Some(2), true));
        assert!(marac_referral(None, true));
        assert!(!marac_referral(None, false));
    }

    #[test]
    fn a_full_risk_assessment_needs_all_six_and_actions_for_medium_and_high() {
        let codes = CodeLists::embedded();
        let mut f = AssessmentForm::blank(d("2025-03-10"));
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert_eq!(p.0.len(), 6);
        assert!(p
            .for_field("risks.self_harm.level")
            .unwrap()
            .contains("low, medium or high"));
        f = all_low(d("2025-03-10"));
        f.set_risk(RiskDomain::Housing, RiskLevel::Medium, "  ");
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert_eq!(p.0.len(), 1);
        assert!(p.for_field("risks.housing.action").is_some());
    }

    #[test]
    fn assessment_dates_and_dash_are_checked() {
        let codes = CodeLists::embedded();
        let mut f = all_low(d("2025-03-03"));
        f.dash_yes_count = Some(25);
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert!(p.for_field("date").unwrap().contains("follows triage"));
        assert!(p.for_field("dash_yes_count").unwrap().contains("0 to 24"));
        let f = all_low(d("2025-03-11"));
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert!(p.for_field("date").unwrap().contains("future"));
        let f = all_low(d("2025-03-01"));
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert!(p.for_field("date").unwrap().contains("before the referral"));
    }

    #[test]
    fn dash_fourteen_requires_domestic_violence_high() {
        let codes = CodeLists::embedded();
        let mut f = all_low(d("2025-03-10"));
        f.dash_yes_count = Some(14);
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert!(p.for_field("risks.domestic_violence.level").is_some());
        f.set_risk(RiskDomain::DomesticViolence, RiskLevel::High, "Safety plan");
        assert!(f.validate(&episode(), &codes, d("2025-03-10")).is_empty());
    }

    #[test]
    fn only_medium_or_high_risks_are_offered_as_flags() {
        let codes = CodeLists::embedded();
        let mut f = all_low(d("2025-03-10"));
        f.set_risk(RiskDomain::SelfHarm, RiskLevel::High, "Safety plan");
        f.set_risk(RiskDomain::Housing, RiskLevel::Medium, "Housing referral");
        assert_eq!(f.flaggable(), [RiskDomain::SelfHarm, RiskDomain::Housing]);
        f.flag_domains = vec![RiskDomain::RiskToOthers];
        let p = f.validate(&episode(), &codes, d("2025-03-10"));
        assert!(p
            .for_field("flag_domains")
            .unwrap()
            .contains("Risk to others"));
    }

    fn profile(date: &str, cannabis: i32, qol: i32, offending: i32) -> OutcomeProfile {
        let mut p = OutcomeProfile::blank(d(date), Occasion::Review);
        p.substance_days.push(SubstanceDays {
            substance: "cannabis".into(),
            days: cannabis,
        });
        p.quality_of_life = Some(qol);
        p.ratings.push(AreaRating {
            area: AREA_OFFENDING.into(),
            rating: offending,
        });
        p
    }

    #[test]
    fn outcome_measures_out_of_range_are_refused_at_their_field() {
        let codes = CodeLists::embedded();
        let mut p = profile("2025-03-10", 29, 21, 25);
        p.injecting_days = Some(-1);
        let probs = p.validate(&codes);
        assert!(probs
            .for_field("substance_days.cannabis")
            .unwrap()
            .contains("0 to 28"));
        assert!(probs
            .for_field("quality_of_life")
            .unwrap()
            .contains("0 (poor) to 20"));
        assert!(probs.for_field("ratings.offending").unwrap().contains("25"));
        assert!(probs.for_field("injecting_days").is_some());
        assert_eq!(probs.0.len(), 4);
        assert!(profile("2025-03-10", 28, 20, 0).validate(&codes).is_empty());
    }

    #[test]
    fn seven_outcome_areas_from_leicester() {
        assert_eq!(OUTCOME_AREAS.len(), 7);
        let targets: Vec<Option<u8>> = OUTCOME_AREAS.iter().map(|a| a.target_percent).collect();
        assert_eq!(
            targets,
            [
                Some(100),
                Some(75),
                Some(50),
                None,
                Some(70),
                Some(70),
                Some(40)
            ]
        );
    }

    #[test]
    fn trend_orders_by_date_and_improvement_knows_which_way_is_better() {
        let later = profile("2025-06-01", 4, 14, 12);
        let earlier = profile("2025-03-01", 20, 9, 12);
        let profiles = vec![later.clone(), earlier.clone()];
        let t = trend(&profiles);
        let cannabis = t
            .iter()
            .find(|s| s.measure == Measure::SubstanceDays("cannabis".into()))
            .unwrap();
        assert_eq!(cannabis.values(), [20, 4]);
        assert_eq!(cannabis.points[0].0, d("2025-03-01"));
        assert!(t.iter().all(|s| s.measure != Measure::InjectingDays));
        let (first, last) = first_and_last(&profiles).unwrap();
        assert_eq!(first.date, d("2025-03-01"));
        let cannabis = Measure::SubstanceDays("cannabis".into());
        assert_eq!(improved(first, last, &cannabis), Some(true));
        assert_eq!(improved(first, last, &Measure::QualityOfLife), Some(true));
        let offending = Measure::Area(AREA_OFFENDING.into());
        assert_eq!(improved(first, last, &offending), Some(false));
        assert_eq!(improved(first, last, &Measure::PhysicalHealth), None);
        // Fewer days is better, so more days is not an improvement.
        assert_eq!(improved(last, first, &cannabis), Some(false));
    }
}
