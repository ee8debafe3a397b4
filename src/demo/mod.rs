//! Synthetic casework for demos and benchmarks: `casebook demo [--people N] [--seed S]`.
//!
//! Fills an empty database with two years of obviously invented casework (a team of workers,
//! young people with their episodes, contacts, risk flags, reviews, outcome profiles,
//! follow-ups, referrals out, outreach tallies, and the triage answers, comprehensive
//! assessments and care plans behind each episode's milestones: `clinical`), all written
//! through the store's own functions as one demo worker, a few hundred young people per
//! transaction so memory stays flat from 10 to 100,000 young people.

pub mod clinical;
pub mod codes;
pub mod mentoring;
pub mod names;
pub mod plan;

use anyhow::{bail, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::domain::codes::CodeLists;
use crate::domain::record::{Contact, Episode, OutreachTally, RiskFlag, Role};
use crate::store::{people, records, Store, Tx};
use plan::{FlagStep, PersonPlan, Team, Window};

/// The worker every demo write is made by (it is also the audit actor).
pub const DEMO_ACTOR_NAME: &str = "Demo Generator";
pub const MIN_PEOPLE: usize = 10;
pub const MAX_PEOPLE: usize = 100_000;
/// Young people written per transaction: large enough to be quick, small enough that a
/// transaction never holds much.
const PEOPLE_PER_TRANSACTION: usize = 500;
const TALLIES_PER_TRANSACTION: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// How many young people, 10 to 100,000.
    pub people: usize,
    /// One seed, one history.
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Including the demo actor.
    pub workers: usize,
    pub young_people: usize,
    pub episodes: usize,
    pub contacts: usize,
    pub risk_flags: usize,
    pub reviews: usize,
    pub outreach_tallies: usize,
    /// Young people with a second episode.
    pub returning_young_people: usize,
    pub did_not_attend: usize,
    pub outcome_profiles: usize,
    pub referrals_out: usize,
    pub follow_ups: usize,
    pub exits: usize,
    /// Triage answers (with substances, sometimes a vulnerability).
    pub triages: usize,
    /// Comprehensive assessments (needs and the six risk domains).
    pub assessments: usize,
    /// Care plans (version 1, with goals).
    pub care_plans: usize,
    /// The mentoring project's records.
    pub mentoring: mentoring::MentoringSummary,
}

/// Fills `store` with synthetic casework over the two years before `today`, deterministic for
/// `opts.seed` (the same people, dates, codes and references; row IDs differ). Refuses, and
/// writes nothing, when `opts.people` is outside 10..=100,000 or when the database already
/// holds casework, so demo records can never mix with real ones.
pub fn generate(
    store: &mut Store,
    opts: &DemoOptions,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DemoSummary> {
    generate_with_progress(store, opts, today, now, |_, _| {})
}

/// As [`generate`], calling `progress(done, total)` after each batch of young people is
/// committed (for a progress line on a large run).
pub fn generate_with_progress(
    store: &mut Store,
    opts: &DemoOptions,
    today: NaiveDate,
    now: DateTime<Utc>,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary> {
    if !(MIN_PEOPLE..=MAX_PEOPLE).contains(&opts.people) {
        bail!(
            "people: expected a number of young people from {MIN_PEOPLE} to {MAX_PEOPLE}, got {}",
            opts.people
        );
    }
    let held = records::record_counts(store)?
        .into_iter()
        .filter(|(table, _)| {
            matches!(
                *table,
                "young_people" | "episodes" | "contacts" | "outreach_tallies"
            )
        })
        .map(|(_, n)| n)
        .sum::<i64>();
    if held > 0 {
        bail!(
            "this database already holds casework; demo data goes only into a new, empty \
             database, so it can never mix with real records"
        );
    }

    let window = Window::ending(today);
    let team = Team::for_people(opts.people);
    let actor = people::ensure_worker(store, DEMO_ACTOR_NAME, Role::Manager, now)?;
    let mut summary = DemoSummary::default();
    let workers = write_team(store, &actor.id, now, &team)?;
    summary.workers = workers.len() + 1;

    // People and tallies draw from separate streams, so the people stay the same whatever
    // the tallies do.
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    // The clinical records draw from a stream of their own (see `clinical`).
    let mut clinical_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    clinical_rng.set_stream(3);
    let codes = CodeLists::embedded();
    let mut done = 0;
    while done < opts.people {
        let batch = PEOPLE_PER_TRANSACTION.min(opts.people - done);
        store.write(&actor.id, now, |tx| {
            for _ in 0..batch {
                let plan = plan::person(&mut rng, &window, &team);
                let mut clinical = clinical::Clinical {
                    rng: &mut clinical_rng,
                    codes: &codes,
                    today,
                };
                write_person(tx, &plan, &workers, &mut clinical, &mut summary)?;
            }
            Ok(())
        })?;
        done += batch;
        progress(done, opts.people);
    }

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(1);
    let tallies = (opts.people / 2).max(20);
    let mut done = 0;
    while done < tallies {
        let batch = TALLIES_PER_TRANSACTION.min(tallies - done);
        store.write(&actor.id, now, |tx| {
            for _ in 0..batch {
                let t = plan::tally(&mut rng, &window, &team);
                records::add_outreach_tally(
                    tx,
                    &OutreachTally {
                        id: String::new(),
                        date: t.date,
                        setting: t.setting.to_string(),
                        count: t.count,
                        age_band: t.age_band.to_string(),
                        gender: t.gender.to_string(),
                        brief_intervention: t.brief_intervention.to_string(),
                        worker_id: Some(workers[t.worker].clone()),
                    },
                )?;
            }
            Ok(())
        })?;
        done += batch;
        summary.outreach_tallies += batch;
    }
    summary.mentoring =
        mentoring::generate(store, &actor.id, now, &window, opts.seed, opts.people)?;
    summary.contacts += summary.mentoring.contacts;
    summary.did_not_attend += summary.mentoring.did_not_attend;
    Ok(summary)
}

/// Writes the team (reusing any worker of the same name) and returns their IDs in order.
fn write_team(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    team: &Team,
) -> Result<Vec<String>> {
    let mut existing = Vec::with_capacity(team.names.len());
    for (name, _) in &team.names {
        existing.push(people::worker_by_name(store, name)?.map(|w| w.id));
    }
    store.write(actor, now, |tx| {
        let mut ids = Vec::with_capacity(team.names.len());
        for ((name, role), known) in team.names.iter().zip(existing) {
            ids.push(match known {
                Some(id) => id,
                None => people::add_worker(tx, name, &[*role])?,
            });
        }
        Ok(ids)
    })
}

fn write_person(
    tx: &Tx,
    plan: &PersonPlan,
    workers: &[String],
    clinical: &mut clinical::Clinical,
    summary: &mut DemoSummary,
) -> Result<()> {
    let (yp_id, _reference) = people::create_young_person(tx, &plan.person)?;
    summary.young_people += 1;
    if plan.episodes.len() > 1 {
        summary.returning_young_people += 1;
    }
    for ep in &plan.episodes {
        let episode_id = records::create_episode(
            tx,
            &Episode {
                young_person_id: yp_id.clone(),
                key_worker_id: ep.key_worker.map(|i| workers[i].clone()),
                ..ep.episode.clone()
            },
        )?;
        summary.episodes += 1;
        summary.exits += usize::from(ep.episode.exit_date.is_some());
        clinical::write_episode_records(tx, clinical, &yp_id, &episode_id, &ep.episode, summary)?;

        for c in &ep.contacts {
            let id = records::add_contact(
                tx,
                &Contact {
                    id: String::new(),
                    young_person_id: yp_id.clone(),
                    episode_id: Some(episode_id.clone()),
                    date: c.date,
                    time: Some(c.time.clone()),
                    contact_type: c.contact_type.to_string(),
                    duration_minutes: c.duration_minutes,
                    present: c.present.map(str::to_string),
                    note: c.note.map(str::to_string),
                    did_not_attend: c.did_not_attend,
                    dna_follow_up: c.dna_follow_up.map(str::to_string),
                    worker_id: Some(workers[c.worker].clone()),
                },
            )?;
            if let Some(on) = c.dna_followed_up_on {
                records::mark_dna_followed_up(tx, &id, on)?;
            }
            summary.contacts += 1;
            summary.did_not_attend += usize::from(c.did_not_attend);
        }

        for f in &ep.flags {
            let flag_id = records::raise_flag(
                tx,
                &RiskFlag {
                    id: String::new(),
                    young_person_id: yp_id.clone(),
                    episode_id: Some(episode_id.clone()),
                    flag_type: f.flag_type.to_string(),
                    level: f.level,
                    raised_by: workers[f.raised_by].clone(),
                    raised_on: f.raised_on,
                    action: codes::risk_action(f.flag_type).to_string(),
                    review_date: Some(f.review_date),
                    closed_on: None,
                    closed_by: None,
                    close_reason: None,
                },
            )?;
            for step in &f.steps {
                match step {
                    FlagStep::LevelChanged { on, level } => records::change_flag_level(
                        tx,
                        &flag_id,
                        *on,
                        *level,
                        codes::FLAG_STEPPED_DOWN,
                    )?,
                    FlagStep::Reviewed { on, note, next } => {
                        records::review_flag(tx, &flag_id, *on, note, Some(*next))?
                    }
                    FlagStep::Resolved { on, reason } => {
                        records::resolve_flag(tx, &flag_id, *on, reason)?
                    }
                }
            }
            summary.risk_flags += 1;
        }

        for on in &ep.reviews {
            records::add_review(
                tx,
                &episode_id,
                *on,
                Some("Young person, key worker"),
                Some("Care plan reviewed"),
            )?;
            summary.reviews += 1;
        }
        for (on, occasion) in &ep.outcome_profiles {
            records::add_outcome_profile(tx, &episode_id, *on, occasion)?;
            summary.outcome_profiles += 1;
        }
        for r in &ep.referrals_out {
            records::add_referral_out(tx, &episode_id, r.date, r.service, None, r.joint_working)?;
            summary.referrals_out += 1;
        }
        for on in &ep.follow_ups {
            records::add_follow_up(tx, &episode_id, *on, Some("Doing well; no return to use"))?;
            summary.follow_ups += 1;
        }
    }
    Ok(())
}
