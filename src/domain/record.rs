//! The record as DESIGN.md describes it: workers, young people, episodes and what hangs off an
//! episode. These are plain values; the store reads and writes them, the rules read them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A member of staff's role (DESIGN.md, "Who uses it"). A worker may hold several; what each
/// role may do is the one table in [`crate::domain::roles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Outreach,
    Duty,
    KeyWorker,
    Manager,
    Coordinator,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Outreach,
        Role::Duty,
        Role::KeyWorker,
        Role::Manager,
        Role::Coordinator,
        Role::Administrator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Outreach => "outreach",
            Role::Duty => "duty",
            Role::KeyWorker => "key_worker",
            Role::Manager => "manager",
            Role::Coordinator => "coordinator",
            Role::Administrator => "administrator",
        }
    }

    /// The role as the service says it ("key worker", "mentoring coordinator").
    pub fn label(self) -> &'static str {
        match self {
            Role::Outreach => "outreach worker",
            Role::Duty => "duty worker",
            Role::KeyWorker => "key worker",
            Role::Manager => "manager",
            Role::Coordinator => "mentoring coordinator",
            Role::Administrator => "administrator",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        let code = code.trim().replace([' ', '-'], "_");
        Role::ALL.into_iter().find(|r| {
            r.code().eq_ignore_ascii_case(&code)
                || r.label().replace(' ', "_").eq_ignore_ascii_case(&code)
        })
    }

    /// Parses a list such as `key_worker,manager` (commas or spaces); names the bad one.
    pub fn parse_list(list: &str) -> Result<Vec<Role>, String> {
        let mut roles = Vec::new();
        for part in list.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let Some(r) = Role::from_code(part) else {
                return Err(format!(
                    "'{}' is not a role; expected some of {}",
                    part.trim(),
                    Role::ALL.map(Role::code).join(", ")
                ));
            };
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        if roles.is_empty() {
            return Err(format!(
                "give at least one role, from {}",
                Role::ALL.map(Role::code).join(", ")
            ));
        }
        roles.sort();
        Ok(roles)
    }

    /// The stored form: codes separated by spaces, in a fixed order.
    pub fn list_code(roles: &[Role]) -> String {
        let mut v: Vec<Role> = roles.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|r| r.code()).collect::<Vec<_>>().join(" ")
    }
}

/// A worker: the actor behind every write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    pub id: String,
    pub name: String,
    /// Every role the worker holds, in [`Role`] order (never empty).
    pub roles: Vec<Role>,
    pub active: bool,
}

impl Worker {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// "key worker, manager".
    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A young person: one persistent ID for life (S §20.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YoungPerson {
    pub id: String,
    /// Short human reference with a check symbol, e.g. `YP-7K3MQ-9QX2C`.
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    /// Code from the `sex` list.
    pub sex: Option<String>,
    /// Gender in the young person's own words.
    pub gender: Option<String>,
    /// NHS ethnic category code (A–S, Z, 99).
    pub ethnicity: Option<String>,
    /// Postcode district only (e.g. `SO14`): enough for returns, no more.
    pub postcode_district: Option<String>,
    pub gp_registered: Option<bool>,
    pub looked_after: Option<bool>,
    /// Consent to share information (S §8.5.4, §12.1.3); `None` = not yet asked.
    pub consent_to_share: Option<bool>,
    pub consent_date: Option<NaiveDate>,
    pub parent_carer_involved: Option<bool>,
}

impl YoungPerson {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_string()
    }
}

/// One treatment journey, referral to exit (S §20.5). The milestone dates live here so the
/// clocks and the returns read one row per episode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    pub id: String,
    pub young_person_id: String,
    pub referral_date: NaiveDate,
    /// Code from `referral_sources`.
    pub referral_source: Option<String>,
    pub referrer: Option<String>,
    pub referrer_contact: Option<String>,
    pub referral_reason: Option<String>,
    /// Code from `urgency`.
    pub urgency: Option<String>,
    pub first_contact_date: Option<NaiveDate>,
    pub triage_date: Option<NaiveDate>,
    /// Code from `triage_outcomes`.
    pub triage_outcome: Option<String>,
    pub assessment_date: Option<NaiveDate>,
    pub treatment_start: Option<NaiveDate>,
    /// Code from `interventions`.
    pub intervention: Option<String>,
    pub care_plan_date: Option<NaiveDate>,
    pub key_worker_id: Option<String>,
    pub joint_worked: bool,
    pub exit_date: Option<NaiveDate>,
    /// Code from `exit_reasons`.
    pub exit_reason: Option<String>,
}

impl Episode {
    pub fn is_open(&self) -> bool {
        self.exit_date.is_none()
    }
}

/// Where an episode has got to, for the caseload's "stage" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Referred,
    Triaged,
    Assessed,
    InTreatment,
    Exited,
}

impl Stage {
    pub fn of(e: &Episode) -> Stage {
        if e.exit_date.is_some() {
            Stage::Exited
        } else if e.treatment_start.is_some() {
            Stage::InTreatment
        } else if e.assessment_date.is_some() {
            Stage::Assessed
        } else if e.triage_date.is_some() {
            Stage::Triaged
        } else {
            Stage::Referred
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Referred => "referred",
            Stage::Triaged => "triaged",
            Stage::Assessed => "assessed",
            Stage::InTreatment => "in treatment",
            Stage::Exited => "exited",
        }
    }
}

/// A substance recorded at triage (S §8.4): rank 1 = primary, 2 = secondary, 3+ = others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubstanceUse {
    pub rank: u8,
    pub substance: String,
    pub route: Option<String>,
    pub frequency: Option<String>,
    pub age_first_use: Option<u8>,
}

/// Risk levels, lowest first so `max()` gives the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 3] = [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High];

    pub fn code(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn from_code(code: &str) -> Option<RiskLevel> {
        RiskLevel::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// A risk flag: what every screen shows at a glance (DESIGN.md, S §8.5.5, §22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFlag {
    pub id: String,
    pub young_person_id: String,
    pub episode_id: Option<String>,
    /// Code from `risk_types`.
    pub flag_type: String,
    pub level: RiskLevel,
    pub raised_by: String,
    pub raised_on: NaiveDate,
    pub action: String,
    pub review_date: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
}

impl RiskFlag {
    pub fn is_active(&self) -> bool {
        self.closed_on.is_none()
    }
}

/// A contact: a session, call, outreach meeting, mentor session, or a did-not-attend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub young_person_id: String,
    pub episode_id: Option<String>,
    pub date: NaiveDate,
    /// `HH:MM`, when known.
    pub time: Option<String>,
    /// Code from `contact_types`.
    pub contact_type: String,
    pub duration_minutes: Option<u32>,
    pub present: Option<String>,
    pub note: Option<String>,
    pub did_not_attend: bool,
    /// What will be done about a DNA (S §8.9.7).
    pub dna_follow_up: Option<String>,
    pub worker_id: Option<String>,
}

/// An outreach tally: contacts never registered, counted (S §19 KPIs 1a, 1b; §20.6 18–19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutreachTally {
    pub id: String,
    pub date: NaiveDate,
    /// `generic`, `school_college` or `targeted`.
    pub setting: String,
    pub count: u32,
    /// `under_18`, `18_24` or `other`.
    pub age_band: String,
    /// Code from `sex`.
    pub gender: String,
    /// `alcohol`, `drugs`, `both` or `none`.
    pub brief_intervention: String,
    pub worker_id: Option<String>,
}

/// What the clocks need to know about one episode (and its young person) to say what is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeFacts {
    pub referral_date: NaiveDate,
    pub first_contact_date: Option<NaiveDate>,
    pub triage_date: Option<NaiveDate>,
    /// The triage outcome said a comprehensive assessment is needed (starts KPI 2b's clock).
    pub assessment_needed: bool,
    pub assessment_date: Option<NaiveDate>,
    pub treatment_start: Option<NaiveDate>,
    pub care_plan_date: Option<NaiveDate>,
    /// Dates of reviews held, any order.
    pub review_dates: Vec<NaiveDate>,
    /// Dates outcome profiles (TOP) were recorded, any order.
    pub top_dates: Vec<NaiveDate>,
    pub exit_date: Option<NaiveDate>,
    /// The exit reason is in the planned category.
    pub exit_planned: Option<bool>,
    /// Follow-ups after exit that reached the young person, any order ("tried, not reached"
    /// attempts are not here: they keep the clock open).
    pub follow_up_dates: Vec<NaiveDate>,
    pub date_of_birth: Option<NaiveDate>,
    /// After-exit clocks a worker closed with a reason (issue 17).
    pub closed_clocks: Vec<ClosedClock>,
}

/// An after-exit clock (exit TOP, 3- or 6-month follow-up) closed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedClock {
    pub kind: super::clocks::DueKind,
    pub on: NaiveDate,
    pub reason: String,
}

/// Folds a name for searching: lower case, accents removed, spaces collapsed, so "Zoë" finds
/// "Zoe" and "O'Brien" finds "o'brien".
pub fn fold_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_for_searching() {
        assert_eq!(fold_name("  Zoë   Ní Bhriain "), "zoe ni bhriain");
        assert_eq!(fold_name("ŁUKASZ"), "łukasz");
        assert_eq!(fold_name("李 小龍"), "李 小龍");
    }

    #[test]
    fn stage_follows_the_milestones() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let mut e = Episode {
            referral_date: d,
            ..Default::default()
        };
        assert_eq!(Stage::of(&e), Stage::Referred);
        e.triage_date = Some(d);
        assert_eq!(Stage::of(&e), Stage::Triaged);
        e.treatment_start = Some(d);
        assert_eq!(Stage::of(&e), Stage::InTreatment);
        e.exit_date = Some(d);
        assert_eq!(Stage::of(&e), Stage::Exited);
    }
}
