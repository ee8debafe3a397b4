//! The clinical records behind an episode's milestones, so every screen and return has them
//! at scale (issue 13): the triage's answers (substances, injecting, vulnerabilities) when the
//! episode was triaged, a comprehensive assessment (needs, the six risk domains) when it was
//! assessed, and the care plan with a goal or two when it has a care plan date. Each is dated
//! as the episode's milestone already is, so no date or clock changes, and none raises a flag
//! (the demo's flags stay those `plan` chose). Written through the store's own functions.
//!
//! Drawn from their own random stream, so the people, episodes and contacts a seed gives stay
//! the same as before these were added.

use anyhow::Result;
use chrono::NaiveDate;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::plan::pick;
use super::DemoSummary;
use crate::domain::assessment::{AssessmentForm, Need, RiskDomain};
use crate::domain::care_plan::PlanHeader;
use crate::domain::codes::CodeLists;
use crate::domain::record::{Episode, RiskLevel};
use crate::store::{assessments, care_plans, import, Tx};

const SUBSTANCES: &[(&str, u32)] = &[
    ("cannabis", 55),
    ("alcohol", 25),
    ("cocaine", 6),
    ("ketamine", 4),
    ("nitrous_oxide", 4),
    ("ecstasy", 3),
    ("benzodiazepines", 2),
    ("heroin", 1),
];
const ROUTES: &[(&str, u32)] = &[("smoking", 60), ("oral", 30), ("sniffing", 10)];
const INJECTING: &[(&str, u32)] = &[("never", 90), ("not_stated", 8), ("previously", 2)];
const VULNERABILITIES: &[(&str, u32)] = &[
    ("school_non_attendance", 20),
    ("mental_health", 20),
    ("young_offender", 15),
    ("looked_after", 10),
    ("substance_misusing_parents", 10),
    ("neet", 10),
    ("self_harm", 8),
    ("young_carer", 4),
    ("domestic_abuse", 3),
];
const NEEDS: &[(&str, &str)] = &[
    (
        "emotional_wellbeing",
        "Low mood since leaving school; wants someone to talk to",
    ),
    (
        "education",
        "Missing most days at college; wants to get back on the course",
    ),
    (
        "family_relationships",
        "Arguments at home about use; parent willing to meet",
    ),
    (
        "offending",
        "Caution for possession last year; no current order",
    ),
    (
        "housing",
        "Sofa-surfing at a friend's; housing officer aware",
    ),
];
const GOALS: &[(&str, &str)] = &[
    ("substance_use", "Cut down to weekends only"),
    ("mental_health", "Sleep better and feel less anxious"),
    (
        "education_training_employment",
        "Back at college three days a week",
    ),
    ("family_relationships", "Fewer arguments at home"),
    ("accommodation", "Somewhere settled to live"),
];

/// What the clinical records need beside the plan.
pub struct Clinical<'a> {
    pub rng: &'a mut ChaCha8Rng,
    pub codes: &'a CodeLists,
    /// Forms are checked against it (nothing after today).
    pub today: NaiveDate,
}

/// Writes the clinical records of one episode just written (`episode` as planned, with its
/// id `episode_id`), counting them in `summary`.
pub fn write_episode_records(
    tx: &Tx,
    c: &mut Clinical,
    young_person_id: &str,
    episode_id: &str,
    episode: &Episode,
    summary: &mut DemoSummary,
) -> Result<()> {
    let (rng, codes, today) = (&mut *c.rng, c.codes, c.today);
    if let (Some(on), Some(outcome)) = (episode.triage_date, episode.triage_outcome.as_deref()) {
        import::add_triage(tx, episode_id, on, outcome, Some(pick(rng, INJECTING)))?;
        let primary = pick(rng, SUBSTANCES);
        import::add_episode_substance(tx, episode_id, 1, primary, Some(pick(rng, ROUTES)))?;
        if rng.random_bool(0.35) {
            let secondary = pick(rng, SUBSTANCES);
            if secondary != primary {
                import::add_episode_substance(tx, episode_id, 2, secondary, None)?;
            }
        }
        if rng.random_bool(0.4) {
            import::add_vulnerability(tx, young_person_id, pick(rng, VULNERABILITIES), on)?;
        }
        summary.triages += 1;
    }

    if let Some(on) = episode.assessment_date {
        let mut form = AssessmentForm::blank(on);
        let first = rng.random_range(0..NEEDS.len());
        for k in 0..rng.random_range(1..=2usize) {
            let (domain, need) = NEEDS[(first + k) % NEEDS.len()];
            form.needs.push(Need {
                domain: domain.to_string(),
                need: need.to_string(),
            });
        }
        for domain in RiskDomain::ALL {
            form.set_risk(domain, RiskLevel::Low, "");
        }
        // Now and then one domain is medium, managed in the plan rather than flagged.
        if rng.random_bool(0.2) {
            let domain = RiskDomain::ALL[rng.random_range(0..RiskDomain::ALL.len())];
            form.set_risk(domain, RiskLevel::Medium, "Talk it through at each session");
        }
        form.notes = "Assessed with the young person; plan agreed".to_string();
        assessments::save_assessment(tx, episode_id, &form, codes, today)?;
        summary.assessments += 1;
    }

    if let Some(on) = episode.care_plan_date {
        let plan = care_plans::create_plan(
            tx,
            episode_id,
            &PlanHeader {
                date: on,
                support_level: Some(rng.random_range(1..=4)),
                interim: false,
            },
            today,
        )?;
        let first = rng.random_range(0..GOALS.len());
        for k in 0..rng.random_range(1..=2usize) {
            let (domain, goal) = GOALS[(first + k) % GOALS.len()];
            care_plans::add_goal(tx, &plan.id, domain, goal, codes)?;
        }
        summary.care_plans += 1;
    }
    Ok(())
}
