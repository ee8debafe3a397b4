//! One young person's synthetic casework, planned as plain values before anything is written:
//! the person, their episodes (a second one for some who return), and what hangs off each
//! episode. Every date follows the order of the journey (referral, triage, assessment,
//! treatment, care plan, exit) and none is after today; whatever would fall after today is
//! left unrecorded, which is what makes items due or overdue at today.
//!
//! Planning draws from the seeded generator in a fixed order, so one seed gives one history.

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use rand::Rng;

use super::codes::{self as c, Weighted};
use super::names;
use crate::domain::ids::reference_from_bits;
use crate::domain::record::{Episode, RiskLevel, Role, YoungPerson};

/// The two years the demo covers, ending today.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: NaiveDate,
    pub today: NaiveDate,
}

impl Window {
    pub fn ending(today: NaiveDate) -> Window {
        Window {
            start: today - Duration::days(730),
            today,
        }
    }
}

/// The demo team, as indices into the list of workers written to the store.
#[derive(Debug, Clone)]
pub struct Team {
    pub names: Vec<(String, Role)>,
    /// Workers who carry a caseload (duty and outreach).
    pub key_workers: Vec<usize>,
    /// Workers who triage.
    pub duty: Vec<usize>,
    pub outreach: Vec<usize>,
}

impl Team {
    /// A team scaled to the number of young people: at least five, a manager for about every
    /// twelve, one coordinator, the rest a third duty and two thirds outreach.
    pub fn for_people(people: usize) -> Team {
        let size = (people / 100).clamp(5, 400);
        let mut team = Team {
            names: Vec::with_capacity(size),
            key_workers: Vec::new(),
            duty: Vec::new(),
            outreach: Vec::new(),
        };
        let (g, f) = (names::WORKER_GIVEN.len(), names::WORKER_FAMILY.len());
        for i in 0..size {
            let role = match i {
                0 => Role::Manager,
                1 => Role::Coordinator,
                _ if i % 12 == 0 => Role::Manager,
                _ if i % 3 == 2 => Role::Duty,
                _ => Role::Outreach,
            };
            // (a, (a + b) mod f) is distinct for every i below g * f.
            let (a, b) = (i % g, i / g);
            let name = format!(
                "{} {}",
                names::WORKER_GIVEN[a],
                names::WORKER_FAMILY[(a + b) % f]
            );
            match role {
                Role::Duty => {
                    team.duty.push(i);
                    team.key_workers.push(i);
                }
                Role::Outreach => {
                    team.outreach.push(i);
                    team.key_workers.push(i);
                }
                _ => {}
            }
            team.names.push((name, role));
        }
        team
    }
}

/// A young person and their episodes, oldest first.
#[derive(Debug, Clone)]
pub struct PersonPlan {
    /// With a deterministic reference; no ID yet.
    pub person: YoungPerson,
    pub episodes: Vec<EpisodePlan>,
}

#[derive(Debug, Clone, Default)]
pub struct EpisodePlan {
    /// The milestones; `young_person_id` and `key_worker_id` are filled in when written.
    pub episode: Episode,
    pub key_worker: Option<usize>,
    pub contacts: Vec<ContactPlan>,
    pub flags: Vec<FlagPlan>,
    pub reviews: Vec<NaiveDate>,
    /// Date and occasion (`start`, `review`, `exit`).
    pub outcome_profiles: Vec<(NaiveDate, &'static str)>,
    pub referrals_out: Vec<ReferralOutPlan>,
    pub follow_ups: Vec<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct ContactPlan {
    pub date: NaiveDate,
    pub time: String,
    pub contact_type: &'static str,
    pub duration_minutes: Option<u32>,
    pub present: Option<&'static str>,
    pub note: Option<&'static str>,
    pub worker: usize,
    pub did_not_attend: bool,
    pub dna_follow_up: Option<&'static str>,
    pub dna_followed_up_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct FlagPlan {
    pub flag_type: &'static str,
    pub level: RiskLevel,
    pub raised_by: usize,
    pub raised_on: NaiveDate,
    pub review_date: NaiveDate,
    /// What happened to the flag afterwards, in date order.
    pub steps: Vec<FlagStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagStep {
    LevelChanged {
        on: NaiveDate,
        level: RiskLevel,
    },
    Reviewed {
        on: NaiveDate,
        note: &'static str,
        next: NaiveDate,
    },
    Resolved {
        on: NaiveDate,
        reason: &'static str,
    },
}

impl FlagStep {
    pub fn date(&self) -> NaiveDate {
        match self {
            FlagStep::LevelChanged { on, .. }
            | FlagStep::Reviewed { on, .. }
            | FlagStep::Resolved { on, .. } => *on,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReferralOutPlan {
    pub date: NaiveDate,
    pub service: &'static str,
    pub joint_working: bool,
}

/// An outreach tally (S §19 KPIs 1a, 1b).
#[derive(Debug, Clone)]
pub struct TallyPlan {
    pub date: NaiveDate,
    pub setting: &'static str,
    pub count: u32,
    pub age_band: &'static str,
    pub gender: &'static str,
    pub brief_intervention: &'static str,
    pub worker: usize,
}

/// Draws one item by weight.
pub fn pick<T: Copy>(rng: &mut impl Rng, items: Weighted<T>) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn one<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// Weekends, and the three fixed holidays a demo would look silly working on. (The real
/// bank-holiday calendar lives in `domain::calendar`; the demo only needs plausible dates.)
fn is_day_off(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        || matches!((d.month(), d.day()), (12, 25) | (12, 26) | (1, 1))
}

/// The next working day on or after `d`.
fn weekday_from(mut d: NaiveDate) -> NaiveDate {
    while is_day_off(d) {
        d += days(1);
    }
    d
}

/// A weekday near `d` that is not after `today`: the Monday after, or else the Friday before.
fn weekday_near(d: NaiveDate, today: NaiveDate) -> NaiveDate {
    let after = weekday_from(d);
    if after <= today {
        return after;
    }
    let mut before = d;
    while is_day_off(before) {
        before -= days(1);
    }
    before
}

/// `n` working days after `d` (weekends skipped; bank holidays are not modelled here, which
/// only makes a few demo triages look a day later than they are).
fn add_working_days(d: NaiveDate, n: u32) -> NaiveDate {
    let mut d = weekday_from(d);
    for _ in 0..n {
        d = weekday_from(d + days(1));
    }
    d
}

fn age_on(dob: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(dob).unwrap_or(0)
}

fn review_interval(level: RiskLevel) -> i64 {
    match level {
        RiskLevel::High => 14,
        RiskLevel::Medium => 28,
        RiskLevel::Low => 56,
    }
}

/// Plans one young person.
pub fn person(rng: &mut impl Rng, w: &Window, team: &Team) -> PersonPlan {
    let reference = reference_from_bits(rng.random::<u64>());
    let sex = pick(rng, c::SEX);
    let (given, family) = name(rng, sex);
    let span = (w.today - w.start).num_days().max(0);
    let first_referral = weekday_near(w.start + days(rng.random_range(0..=span)), w.today);
    let age = pick(rng, c::AGE_AT_REFERRAL);
    let dob = first_referral
        .checked_sub_months(Months::new(12 * age))
        .unwrap_or(first_referral)
        - days(rng.random_range(1..=364));
    let gender = match sex {
        "male" if rng.random_bool(0.75) => Some("Male"),
        "female" if rng.random_bool(0.75) => Some("Female"),
        "other" => Some(one(
            rng,
            &["Non-binary", "Genderfluid", "Trans man", "Trans woman"],
        )),
        _ => None,
    };
    let ethnicity = pick(rng, c::ETHNICITY);
    let postcode = pick(rng, c::POSTCODE_DISTRICTS);
    let postcode_known = rng.random_bool(0.97);
    let gp_registered = match rng.random_range(0..100) {
        0..88 => Some(true),
        88..93 => Some(false),
        _ => None,
    };
    let looked_after = match rng.random_range(0..100) {
        0..8 => Some(true),
        8..88 => Some(false),
        _ => None,
    };
    let consent = match rng.random_range(0..100) {
        0..85 => Some(true),
        85..92 => Some(false),
        _ => None,
    };
    let parent_carer_involved = match (age < 18, rng.random_range(0..100)) {
        (true, 0..60) | (false, 0..15) => Some(true),
        (true, 60..90) | (false, 15..85) => Some(false),
        _ => None,
    };

    let mut planner = Planner { rng, w, team, dob };
    let mut episodes = vec![planner.episode(first_referral)];
    // Some come back: a new episode under the same ID (S §20.5).
    if let Some(exit) = episodes[0].episode.exit_date {
        let returns = planner.rng.random_bool(0.25);
        let back = weekday_from(exit + days(planner.rng.random_range(30..=300)));
        if returns && back <= w.today {
            episodes.push(planner.episode(back));
        }
    }
    let consent_date = consent.map(|_| episodes[0].episode.triage_date.unwrap_or(first_referral));

    PersonPlan {
        person: YoungPerson {
            reference,
            given_name: given.to_string(),
            family_name: family.to_string(),
            date_of_birth: Some(dob),
            sex: Some(sex.to_string()),
            gender: gender.map(str::to_string),
            ethnicity: Some(ethnicity.to_string()),
            postcode_district: postcode_known.then(|| postcode.to_string()),
            gp_registered,
            looked_after,
            consent_to_share: consent,
            consent_date,
            parent_carer_involved,
            ..Default::default()
        },
        episodes,
    }
}

fn name(rng: &mut impl Rng, sex: &str) -> (&'static str, &'static str) {
    let script = rng.random_range(0..100) < 4;
    match sex {
        "male" if script => one(rng, names::SCRIPT_NAMES_MALE),
        "female" if script => one(rng, names::SCRIPT_NAMES_FEMALE),
        "male" => (one(rng, names::GIVEN_MALE), one(rng, names::FAMILY)),
        "female" => (one(rng, names::GIVEN_FEMALE), one(rng, names::FAMILY)),
        _ => (one(rng, names::GIVEN_NEUTRAL), one(rng, names::FAMILY)),
    }
}

/// Plans an outreach tally on a weekday in the window.
pub fn tally(rng: &mut impl Rng, w: &Window, team: &Team) -> TallyPlan {
    let span = (w.today - w.start).num_days().max(0);
    let date = weekday_near(w.start + days(rng.random_range(0..=span)), w.today);
    let setting = pick(rng, c::OUTREACH_SETTINGS);
    let (count, age_band) = match setting {
        "school_college" => (
            rng.random_range(3..=30),
            pick(rng, &[("under_18", 95), ("18_24", 5)]),
        ),
        "targeted" => (
            rng.random_range(1..=8),
            pick(rng, &[("under_18", 40), ("18_24", 55), ("other", 5)]),
        ),
        _ => (
            rng.random_range(1..=12),
            pick(rng, &[("under_18", 50), ("18_24", 44), ("other", 6)]),
        ),
    };
    let worker = if team.outreach.is_empty() {
        one(rng, &team.key_workers)
    } else {
        one(rng, &team.outreach)
    };
    TallyPlan {
        date,
        setting,
        count,
        age_band,
        gender: pick(rng, c::OUTREACH_GENDERS),
        brief_intervention: pick(rng, c::BRIEF_INTERVENTIONS),
        worker,
    }
}

struct Planner<'a, R: Rng> {
    rng: &'a mut R,
    w: &'a Window,
    team: &'a Team,
    dob: NaiveDate,
}

impl<R: Rng> Planner<'_, R> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    fn today(&self) -> NaiveDate {
        self.w.today
    }

    fn duty(&mut self) -> usize {
        one(self.rng, &self.team.duty)
    }

    fn key_worker(&mut self) -> usize {
        one(self.rng, &self.team.key_workers)
    }

    fn exit_reason(&mut self, planned: bool, exit: NaiveDate) -> &'static str {
        let age = age_on(self.dob, exit);
        if !planned {
            pick(self.rng, c::UNPLANNED_EXITS)
        } else if age >= 24 || (age >= 18 && self.chance(0.3)) {
            c::TRANSFERRED_ADULT_SERVICES
        } else {
            pick(self.rng, c::PLANNED_EXITS)
        }
    }

    /// One episode from `referral` on.
    fn episode(&mut self, referral: NaiveDate) -> EpisodePlan {
        let source = pick(self.rng, c::REFERRAL_SOURCES);
        let mut ep = EpisodePlan {
            episode: Episode {
                referral_date: referral,
                referral_source: Some(source.to_string()),
                referrer: c::referrer_for(source).map(str::to_string),
                referral_reason: Some(one(self.rng, c::REFERRAL_REASONS).to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        let today = self.today();

        // A few never engage and are closed before triage.
        if self.chance(0.03) {
            let exit = weekday_from(referral + days(self.between(5, 25)));
            if exit <= today {
                let missed = add_working_days(referral, 2);
                if missed <= exit {
                    let worker = self.duty();
                    let mut dna = self.contact(missed, c::FACE_TO_FACE, worker);
                    self.make_dna(&mut dna, Some(exit));
                    ep.contacts.push(dna);
                }
                ep.episode.exit_date = Some(exit);
                ep.episode.exit_reason =
                    Some(one(self.rng, &["declined_treatment", "moved_away"]).to_string());
            }
            return ep;
        }

        // Triage (S §8.4), usually within 2 working days (KPI 2a).
        let wd = pick(
            self.rng,
            &[(0, 20), (1, 35), (2, 30), (3, 8), (4, 4), (6, 3)],
        );
        let triage = add_working_days(referral, wd);
        if triage > today {
            return ep;
        }
        ep.episode.first_contact_date = Some(triage);
        ep.episode.triage_date = Some(triage);
        ep.key_worker = self.chance(0.93).then(|| self.key_worker());
        let outcome = pick(self.rng, c::TRIAGE_OUTCOMES);
        ep.episode.triage_outcome = Some(outcome.to_string());
        let triager = self.duty();
        let kind = if outcome == c::CRISIS_INTERVENTION {
            c::FACE_TO_FACE
        } else if outcome == c::BRIEF_INTERVENTION {
            pick(self.rng, c::BRIEF_CONTACT_TYPES)
        } else {
            pick(self.rng, c::TRIAGE_CONTACT_TYPES)
        };
        let triage_contact = self.contact(triage, kind, triager);
        ep.contacts.push(triage_contact);
        let worker = ep.key_worker.unwrap_or(triager);

        match outcome {
            c::COMPREHENSIVE_ASSESSMENT | c::CRISIS_INTERVENTION => {
                self.structured(&mut ep, triage, worker, outcome == c::CRISIS_INTERVENTION)
            }
            c::BRIEF_INTERVENTION => self.brief(&mut ep, triage, worker),
            c::LOW_INTENSITY_SUPPORT => self.low_intensity(&mut ep, triage, worker),
            _ => self.referred_on(&mut ep, triage),
        }
        ep
    }

    /// Comprehensive assessment, structured treatment, care plan, 12-weekly reviews.
    fn structured(&mut self, ep: &mut EpisodePlan, triage: NaiveDate, worker: usize, crisis: bool) {
        let today = self.today();
        // Some drift away between triage and assessment.
        if self.chance(0.05) {
            let exit = weekday_from(triage + days(self.between(5, 30)));
            if exit <= today {
                self.flags(ep, triage, worker, crisis, 0.3, Some(exit));
                ep.episode.exit_date = Some(exit);
                ep.episode.exit_reason =
                    Some(one(self.rng, &["self_exit", "declined_treatment"]).to_string());
                return;
            }
        }
        // KPI 2b: within 5 working days of triage, most of the time.
        let wd = pick(
            self.rng,
            &[
                (0, 10),
                (1, 20),
                (2, 20),
                (3, 15),
                (4, 12),
                (5, 10),
                (6, 6),
                (8, 5),
                (10, 2),
            ],
        );
        let assessment = add_working_days(triage, wd);
        let wait = pick(
            self.rng,
            &[
                (0, 25),
                (2, 15),
                (4, 15),
                (7, 20),
                (10, 15),
                (14, 7),
                (21, 3),
            ],
        );
        let start = weekday_from(assessment + days(wait));
        let care_plan_after = pick(
            self.rng,
            &[(0, 30), (3, 20), (7, 20), (12, 15), (16, 10), (25, 5)],
        );
        let planned = self.chance(0.8);
        let weeks = if planned {
            self.between(10, 40)
        } else {
            self.between(3, 25)
        };
        let planned_exit = weekday_from(start + days(7 * weeks + self.between(0, 4)));
        let exit = (planned_exit <= today).then_some(planned_exit);
        let flag_chance = if crisis { 0.85 } else { 0.4 };

        if assessment > today {
            self.flags(ep, triage, worker, crisis, flag_chance, None);
            return;
        }
        ep.episode.assessment_date = Some(assessment);
        let contact = self.contact(assessment, c::FACE_TO_FACE, worker);
        ep.contacts.push(contact);
        let raised = if crisis { triage } else { assessment };
        if start > today {
            self.flags(ep, raised, worker, crisis, flag_chance, None);
            return;
        }
        ep.episode.treatment_start = Some(start);
        let mut intervention = pick(self.rng, c::INTERVENTIONS);
        if intervention == "pharmacological" && age_on(self.dob, start) < 16 {
            intervention = "psychosocial";
        }
        ep.episode.intervention = Some(intervention.to_string());
        let end = exit.unwrap_or(today);
        let care_plan = start + days(care_plan_after);
        if care_plan <= end {
            ep.episode.care_plan_date = Some(care_plan);
        }
        if let Some(x) = exit {
            ep.episode.exit_date = Some(x);
            ep.episode.exit_reason = Some(self.exit_reason(planned, x).to_string());
        }
        self.flags(ep, raised, worker, crisis, flag_chance, exit);
        self.sessions(ep, start, end, worker, c::SESSION_CONTACT_TYPES, 40);
        // A new concern can come up during treatment.
        if ep.contacts.len() > 2 && self.chance(0.2) {
            let at = self.rng.random_range(2..ep.contacts.len());
            let on = ep.contacts[at].date;
            self.flags(ep, on, worker, false, 1.0, exit);
        }
        self.reviews(ep, assessment, exit);
        self.outcome_profiles(ep, start, exit, planned);
        // Joint working with another service (KPI 4c).
        let joint = if crisis { 0.45 } else { 0.25 };
        if self.chance(joint) {
            let service = if crisis {
                "camhs"
            } else {
                pick(self.rng, c::REFERRAL_SERVICES)
            };
            let on = weekday_from(assessment + days(self.between(0, 30)));
            if on <= end {
                ep.episode.joint_worked = true;
                ep.referrals_out.push(ReferralOutPlan {
                    date: on,
                    service,
                    joint_working: true,
                });
            }
        }
        if let Some(x) = exit {
            if planned {
                self.follow_ups(ep, x);
            }
        }
    }

    /// A brief intervention at triage, perhaps a session or two, then closed.
    fn brief(&mut self, ep: &mut EpisodePlan, triage: NaiveDate, worker: usize) {
        let today = self.today();
        ep.episode.treatment_start = Some(triage);
        ep.episode.intervention =
            Some(one(self.rng, &["harm_reduction", "psychosocial"]).to_string());
        let extra = self.between(0, 2);
        let mut last = triage;
        for _ in 0..extra {
            let d = weekday_from(last + days(self.between(5, 14)));
            if d > today {
                break;
            }
            let kind = pick(self.rng, c::BRIEF_CONTACT_TYPES);
            let mut contact = self.contact(d, kind, worker);
            if self.chance(0.1) {
                self.make_dna(&mut contact, None);
            }
            ep.contacts.push(contact);
            last = d;
        }
        let exit = weekday_from(last + days(self.between(0, 7)));
        let planned = self.chance(0.88);
        if exit <= today {
            ep.episode.exit_date = Some(exit);
            ep.episode.exit_reason = Some(
                if planned {
                    c::TREATMENT_COMPLETED
                } else {
                    "self_exit"
                }
                .to_string(),
            );
        }
        if self.chance(0.3) {
            ep.outcome_profiles.push((triage, c::TOP_START));
        }
        self.flags(ep, triage, worker, false, 0.08, ep.episode.exit_date);
    }

    /// A few weeks of lighter support.
    fn low_intensity(&mut self, ep: &mut EpisodePlan, triage: NaiveDate, worker: usize) {
        let today = self.today();
        let start = weekday_from(triage + days(self.between(0, 10)));
        let with_plan = self.chance(0.7);
        let care_plan = start + days(self.between(0, 14));
        let planned = self.chance(0.8);
        let weeks = if planned {
            self.between(4, 16)
        } else {
            self.between(2, 8)
        };
        let planned_exit = weekday_from(start + days(7 * weeks));
        if start > today {
            self.flags(ep, triage, worker, false, 0.1, None);
            return;
        }
        let exit = (planned_exit <= today).then_some(planned_exit);
        let end = exit.unwrap_or(today);
        ep.episode.treatment_start = Some(start);
        ep.episode.intervention = Some(
            pick(
                self.rng,
                &[
                    ("psychosocial", 50),
                    ("harm_reduction", 30),
                    ("family_work", 20),
                ],
            )
            .to_string(),
        );
        if with_plan && care_plan <= end {
            ep.episode.care_plan_date = Some(care_plan);
        }
        if let Some(x) = exit {
            ep.episode.exit_date = Some(x);
            ep.episode.exit_reason = Some(self.exit_reason(planned, x).to_string());
        }
        self.flags(ep, triage, worker, false, 0.1, exit);
        self.sessions(ep, start, end, worker, c::SESSION_CONTACT_TYPES, 16);
        self.outcome_profiles(ep, start, exit, planned);
        if let Some(x) = exit {
            if planned {
                self.follow_ups(ep, x);
            }
        }
    }

    /// Triage found another service fits better: referred on and closed.
    fn referred_on(&mut self, ep: &mut EpisodePlan, triage: NaiveDate) {
        let today = self.today();
        let on = weekday_from(triage + days(self.between(0, 5)));
        let service = pick(self.rng, c::REFERRAL_SERVICES);
        let exit = weekday_from(on + days(self.between(0, 10)));
        if on > today {
            return;
        }
        ep.referrals_out.push(ReferralOutPlan {
            date: on,
            service,
            joint_working: false,
        });
        if exit <= today {
            ep.episode.exit_date = Some(exit);
            ep.episode.exit_reason = Some(c::REFERRED_MORE_APPROPRIATE_SERVICE.to_string());
        }
    }

    /// Regular sessions from `from` (exclusive) to `end` (inclusive).
    fn sessions(
        &mut self,
        ep: &mut EpisodePlan,
        from: NaiveDate,
        end: NaiveDate,
        worker: usize,
        kinds: Weighted<&'static str>,
        max: usize,
    ) {
        let mut d = from;
        for _ in 0..max {
            let gap = pick(self.rng, &[(7, 35), (14, 40), (10, 10), (4, 5), (21, 10)]);
            d = weekday_from(d + days(gap));
            if d > end {
                break;
            }
            let kind = pick(self.rng, kinds);
            // Now and then someone else from the team covers.
            let by = if self.chance(0.1) {
                self.key_worker()
            } else {
                worker
            };
            let mut contact = self.contact(d, kind, by);
            if kind != "text_online" && self.chance(0.12) {
                self.make_dna(&mut contact, None);
            }
            ep.contacts.push(contact);
        }
    }

    fn contact(&mut self, date: NaiveDate, kind: &'static str, worker: usize) -> ContactPlan {
        let hour = if kind == "outreach" {
            self.between(16, 19)
        } else {
            self.between(9, 17)
        };
        let minute = one(self.rng, &[0, 15, 30, 45]);
        let (lo, hi) = match kind {
            "telephone" => (1, 2),
            "text_online" | "brief_intervention_alcohol" | "brief_intervention_drugs" => (1, 1),
            "group" => (4, 8),
            "home_visit" => (3, 6),
            _ => (2, 5),
        };
        let duration = 15 * self.between(lo, hi) as u32;
        let with_carer = age_on(self.dob, date) < 18 && self.chance(0.2);
        ContactPlan {
            date,
            time: format!("{hour:02}:{minute:02}"),
            contact_type: kind,
            duration_minutes: Some(duration),
            present: Some(if with_carer {
                "Young person, parent/carer"
            } else {
                "Young person"
            }),
            note: Some(one(self.rng, c::CONTACT_NOTES)),
            worker,
            did_not_attend: false,
            dna_follow_up: None,
            dna_followed_up_on: None,
        }
    }

    /// Turns a planned contact into a did-not-attend, followed up a few days later unless it
    /// is recent (or, once in a while, forgotten: S §8.9.7's follow-up is then overdue).
    fn make_dna(&mut self, contact: &mut ContactPlan, by: Option<NaiveDate>) {
        contact.did_not_attend = true;
        contact.duration_minutes = None;
        contact.present = None;
        contact.note = None;
        contact.dna_follow_up = Some(one(self.rng, c::DNA_FOLLOW_UPS));
        let followed = self.chance(0.95);
        let on = weekday_from(contact.date + days(self.between(1, 4)));
        let limit = by.unwrap_or(self.today()).min(self.today());
        let recent = contact.date + days(7) > self.today();
        if followed && !recent && on <= limit {
            contact.dna_followed_up_on = Some(on);
        } else if followed && by.is_some() {
            contact.dna_followed_up_on = Some(limit.max(contact.date));
        }
    }

    /// Care plan reviews every 12 weeks from the assessment (S §8.2, §8.9.5): most on time or
    /// early, some late, and some not held yet (overdue at today).
    fn reviews(&mut self, ep: &mut EpisodePlan, assessment: NaiveDate, exit: Option<NaiveDate>) {
        let today = self.today();
        let end = exit.unwrap_or(today);
        let mut anchor = assessment;
        loop {
            let due = anchor + days(84);
            if due > end {
                break;
            }
            let roll = self.between(0, 99);
            let held = match roll {
                0..65 => due - days(self.between(0, 21)),
                65..85 => due + days(self.between(1, 28)),
                _ => break,
            };
            let held = weekday_from(held);
            if held > today || exit.is_some_and(|x| held >= x) {
                break;
            }
            ep.reviews.push(held);
            if self.chance(0.8) {
                let top = (held + days(self.between(0, 3))).min(end);
                ep.outcome_profiles.push((top, c::TOP_REVIEW));
            }
            anchor = held;
        }
    }

    /// Outcome profiles (TOP) at treatment start and exit (KPI 6a); review TOPs are added with
    /// the reviews. Some are missing.
    fn outcome_profiles(
        &mut self,
        ep: &mut EpisodePlan,
        start: NaiveDate,
        exit: Option<NaiveDate>,
        planned: bool,
    ) {
        let end = exit.unwrap_or(self.today());
        if self.chance(0.85) {
            let on = (start + days(self.between(0, 7))).min(end);
            ep.outcome_profiles.push((on, c::TOP_START));
        }
        if let Some(x) = exit {
            let p = if planned { 0.8 } else { 0.15 };
            if self.chance(p) {
                let on = (x - days(self.between(0, 5))).max(start);
                ep.outcome_profiles.push((on, c::TOP_EXIT));
            }
        }
        ep.outcome_profiles.sort_by_key(|(d, _)| *d);
    }

    /// Follow-ups at about 3 and 6 months after a completed episode (S §20.5).
    fn follow_ups(&mut self, ep: &mut EpisodePlan, exit: NaiveDate) {
        for (after, p) in [(91, 0.8), (182, 0.7)] {
            let done = self.chance(p);
            let on = weekday_from(exit + days(after + self.between(-7, 14)));
            if done && on <= self.today() {
                ep.follow_ups.push(on);
            }
        }
    }

    /// Risk flags raised on `raised_on` with chance `p`, each reviewed on its own schedule
    /// (S §8.5.5) until resolved, closed at exit, or left with its review overdue.
    fn flags(
        &mut self,
        ep: &mut EpisodePlan,
        raised_on: NaiveDate,
        raised_by: usize,
        crisis: bool,
        p: f64,
        exit: Option<NaiveDate>,
    ) {
        if !self.chance(p) {
            return;
        }
        let today = self.today();
        let n = if self.chance(0.2) { 2 } else { 1 };
        for _ in 0..n {
            let mut flag_type = pick(self.rng, c::RISK_TYPES);
            if flag_type == c::CHILD_PROTECTION && age_on(self.dob, raised_on) >= 18 {
                flag_type = "risk_from_others";
            }
            let level = if crisis && self.chance(0.7) {
                RiskLevel::High
            } else {
                pick(
                    self.rng,
                    &[
                        (RiskLevel::Low, 33),
                        (RiskLevel::Medium, 37),
                        (RiskLevel::High, 30),
                    ],
                )
            };
            let first_review = raised_on + days(review_interval(level) + self.between(-3, 3));
            let mut flag = FlagPlan {
                flag_type,
                level,
                raised_by,
                raised_on,
                review_date: first_review,
                steps: Vec::new(),
            };
            let mut level_now = level;
            let mut due = first_review;
            let mut last = raised_on;
            loop {
                if due > today {
                    break;
                }
                if exit.is_some_and(|x| due > x) {
                    break;
                }
                // Mostly on time, sometimes a few weeks late; one not yet held by today is
                // overdue on the due-list.
                let late = if self.chance(0.25) {
                    self.between(5, 30)
                } else {
                    self.between(-2, 4)
                };
                let held = (due + days(late)).max(last);
                if held > today {
                    break;
                }
                let resolve = match level_now {
                    RiskLevel::High => 0.08,
                    RiskLevel::Medium => 0.15,
                    RiskLevel::Low => 0.25,
                };
                if self.chance(resolve) {
                    let reason = one(self.rng, c::FLAG_RESOLVE_REASONS);
                    flag.steps.push(FlagStep::Resolved { on: held, reason });
                    break;
                }
                let step_down = if level_now == RiskLevel::High {
                    0.06
                } else {
                    0.1
                };
                if level_now > RiskLevel::Low && self.chance(step_down) {
                    level_now = if level_now == RiskLevel::High {
                        RiskLevel::Medium
                    } else {
                        RiskLevel::Low
                    };
                    flag.steps.push(FlagStep::LevelChanged {
                        on: held,
                        level: level_now,
                    });
                }
                let next = held + days(review_interval(level_now));
                let note = one(self.rng, c::FLAG_REVIEW_NOTES);
                flag.steps.push(FlagStep::Reviewed {
                    on: held,
                    note,
                    next,
                });
                last = held;
                due = next;
            }
            // Most flags still open when the episode closes are closed with it.
            let resolved = matches!(flag.steps.last(), Some(FlagStep::Resolved { .. }));
            if let Some(x) = exit {
                if !resolved && self.chance(0.95) {
                    flag.steps.push(FlagStep::Resolved {
                        on: x.max(last),
                        reason: c::FLAG_CLOSED_AT_EXIT,
                    });
                }
            }
            // Child protection concerns go to the MASH (S §22).
            if flag_type == c::CHILD_PROTECTION && self.chance(0.6) {
                ep.referrals_out.push(ReferralOutPlan {
                    date: raised_on,
                    service: c::MASH,
                    joint_working: false,
                });
            }
            ep.flags.push(flag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn working_days_skip_the_weekend() {
        // Friday 6 June 2025 + 1 working day is Monday 9 June.
        assert_eq!(add_working_days(d("2025-06-06"), 1), d("2025-06-09"));
        assert_eq!(add_working_days(d("2025-06-07"), 0), d("2025-06-09"));
        assert_eq!(add_working_days(d("2025-06-02"), 2), d("2025-06-04"));
    }

    #[test]
    fn a_weekend_date_moves_to_a_weekday_not_after_today() {
        let sat = d("2025-06-07");
        assert_eq!(weekday_near(sat, d("2025-06-30")), d("2025-06-09"));
        assert_eq!(weekday_near(sat, d("2025-06-08")), d("2025-06-06"));
    }

    #[test]
    fn team_names_are_unique_at_the_largest_size() {
        let team = Team::for_people(100_000);
        let mut names: Vec<&str> = team.names.iter().map(|(n, _)| n.as_str()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert_eq!(n, 400);
        assert!(team.names.iter().any(|(_, r)| *r == Role::Coordinator));
        assert_eq!(Team::for_people(10).names.len(), 5);
        assert!(!Team::for_people(10).duty.is_empty());
    }

    #[test]
    fn every_planned_date_keeps_the_order_of_the_journey() {
        let today = d("2026-03-31");
        let w = Window::ending(today);
        let team = Team::for_people(1000);
        for seed in 0..4 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..2000 {
                let p = person(&mut rng, &w, &team);
                let mut previous_exit: Option<NaiveDate> = None;
                for ep in &p.episodes {
                    check_episode(ep, today, previous_exit);
                    previous_exit = ep.episode.exit_date;
                }
            }
        }
    }

    fn check_episode(ep: &EpisodePlan, today: NaiveDate, previous_exit: Option<NaiveDate>) {
        let e = &ep.episode;
        if let Some(x) = previous_exit {
            assert!(e.referral_date > x, "a return starts after the last exit");
        }
        let chain = [
            Some(e.referral_date),
            e.first_contact_date,
            e.triage_date,
            e.assessment_date,
            e.treatment_start,
            e.care_plan_date,
            e.exit_date,
        ];
        let mut last = e.referral_date;
        for x in chain.into_iter().flatten() {
            assert!(x >= last, "{e:?}");
            assert!(x <= today, "{e:?}");
            last = x;
        }
        let end = e.exit_date.unwrap_or(today);
        for c in &ep.contacts {
            assert!(c.date >= e.referral_date && c.date <= end, "{e:?} {c:?}");
            if let Some(f) = c.dna_followed_up_on {
                assert!(c.did_not_attend && f >= c.date && f <= today);
            }
        }
        for r in &ep.reviews {
            assert!(*r > e.assessment_date.unwrap() && *r <= today, "{e:?} {r}");
            assert!(e.exit_date.is_none_or(|x| *r < x), "{e:?} {r}");
        }
        for (t, _) in &ep.outcome_profiles {
            assert!(*t >= e.treatment_start.unwrap() && *t <= end);
        }
        for f in &ep.follow_ups {
            assert!(*f > e.exit_date.unwrap() && *f <= today);
        }
        for r in &ep.referrals_out {
            assert!(r.date >= e.referral_date && r.date <= today);
        }
        for f in &ep.flags {
            assert!(f.raised_on >= e.referral_date && f.raised_on <= today);
            let mut last = f.raised_on;
            for s in &f.steps {
                assert!(s.date() >= last && s.date() <= today, "{f:?}");
                last = s.date();
            }
        }
    }
}
