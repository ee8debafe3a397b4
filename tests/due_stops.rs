//! Issue 11: what is due must be true. Each clock that runs while an episode is open leaves
//! the due-list when the episode exits or is entered in error; the clocks the exit starts
//! (exit TOP, follow-ups) stop only when met, closed or entered in error; a missed review is
//! history for kpi.4b, not a due item; and, over generated episodes, nothing on the due-list
//! belongs to a closed episode unless its rule starts at the exit.
//!
//! Today is Monday 1 September 2025 unless a test says otherwise.

use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::clock::Clock;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Role, YoungPerson};
use casebook::due::{due_list, explain_young_person, DueFilter, DueSubject, LiveCounts};
use casebook::returns::{self, Request, ReturnKind};
use casebook::store::{people, records, Store};
use chrono::NaiveDate;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2025-09-01";

struct Case {
    store: Store,
    worker: String,
    young_person: String,
    episode: String,
}

/// One young person with one episode as `ep`, plus the dated events the clock needs.
fn case(ep: Episode, dob: &str, reviews: &[&str], dna: Option<&str>) -> Case {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d(TODAY)).now();
    let w = people::ensure_worker(&mut store, "Kim Keyworker", Role::KeyWorker, now).unwrap();
    let (yp, episode) = store
        .write(&w.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoë".into(),
                    family_name: "Stopwatch".into(),
                    date_of_birth: Some(d(dob)),
                    ..Default::default()
                },
            )?;
            let episode = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    key_worker_id: Some(w.id.clone()),
                    ..ep
                },
            )?;
            for r in reviews {
                records::add_review(tx, &episode, d(r), None, None)?;
            }
            if let Some(on) = dna {
                records::add_contact(
                    tx,
                    &Contact {
                        young_person_id: yp.clone(),
                        episode_id: Some(episode.clone()),
                        date: d(on),
                        contact_type: "face_to_face".into(),
                        did_not_attend: true,
                        worker_id: Some(w.id.clone()),
                        ..Default::default()
                    },
                )?;
            }
            Ok((yp, episode))
        })
        .unwrap();
    Case {
        store,
        worker: w.id,
        young_person: yp,
        episode,
    }
}

impl Case {
    fn listed(&self, kind: DueKind) -> usize {
        due_list(
            &self.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &DueFilter {
                kind: Some(kind),
                ..Default::default()
            },
        )
        .unwrap()
        .len()
    }

    fn everything(&self) -> Vec<DueKind> {
        due_list(
            &self.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &DueFilter::default(),
        )
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
    }

    fn exit(&mut self, on: &str, reason: &str) {
        let mut e = records::episode(&self.store, &self.episode)
            .unwrap()
            .unwrap();
        e.exit_date = Some(d(on));
        e.exit_reason = Some(reason.into());
        let now = Clock::fixed(d(TODAY)).now();
        self.store
            .write(&self.worker, now, |tx| records::update_episode(tx, &e))
            .unwrap();
    }

    fn enter_in_error(&mut self) {
        let now = Clock::fixed(d(TODAY)).now();
        let ep = self.episode.clone();
        self.store
            .write(&self.worker, now, |tx| {
                tx.mark_in_error("episodes", &ep, "recorded on the wrong young person")
            })
            .unwrap();
    }
}

fn referred(on: &str) -> Episode {
    Episode {
        referral_date: d(on),
        ..Default::default()
    }
}

/// Triaged on `triage` as needing a comprehensive assessment, not yet assessed.
fn needs_assessment(referral: &str, triage: &str) -> Episode {
    Episode {
        referral_date: d(referral),
        first_contact_date: Some(d(triage)),
        triage_date: Some(d(triage)),
        triage_outcome: Some("comprehensive_assessment".into()),
        ..Default::default()
    }
}

/// Assessed and in treatment from `start`, with a care plan the same day.
fn in_treatment(start: &str, care_plan: bool) -> Episode {
    Episode {
        referral_date: d("2025-04-01"),
        first_contact_date: Some(d("2025-04-02")),
        triage_date: Some(d("2025-04-02")),
        triage_outcome: Some("comprehensive_assessment".into()),
        assessment_date: Some(d(start)),
        treatment_start: Some(d(start)),
        care_plan_date: care_plan.then(|| d(start)),
        ..Default::default()
    }
}

const YOUNG: &str = "2009-01-15";

/// The clock is listed while the episode is open, and not once it exits (planned or not) or
/// is entered in error.
fn stops_at_exit_and_in_error(kind: DueKind, make: impl Fn() -> Case) {
    for reason in ["completed_drug_free", "self_exit"] {
        let mut c = make();
        assert_eq!(c.listed(kind), 1, "{kind:?} should be running while open");
        c.exit("2025-08-29", reason);
        assert_eq!(
            c.listed(kind),
            0,
            "{kind:?} listed after the exit ({reason})"
        );
        // What is left is only what the exit starts.
        assert!(
            c.everything().iter().all(|k| k.starts_at_exit()),
            "{:?}",
            c.everything()
        );
    }
    let mut c = make();
    c.enter_in_error();
    assert_eq!(c.listed(kind), 0, "{kind:?} listed after entered in error");
    assert!(c.everything().is_empty(), "{:?}", c.everything());
}

#[test]
fn triage_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::Triage, || {
        case(referred("2025-08-20"), YOUNG, &[], None)
    });
}

#[test]
fn the_comprehensive_assessment_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::Assessment, || {
        case(
            needs_assessment("2025-08-18", "2025-08-19"),
            YOUNG,
            &[],
            None,
        )
    });
}

#[test]
fn first_intervention_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::FirstIntervention, || {
        case(
            needs_assessment("2025-08-18", "2025-08-19"),
            YOUNG,
            &[],
            None,
        )
    });
}

#[test]
fn structured_treatment_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::StructuredTreatment, || {
        case(
            needs_assessment("2025-08-18", "2025-08-19"),
            YOUNG,
            &[],
            None,
        )
    });
}

#[test]
fn the_care_plan_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::CarePlan, || {
        case(in_treatment("2025-08-11", false), YOUNG, &[], None)
    });
}

#[test]
fn the_care_plan_review_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::Review, || {
        case(in_treatment("2025-05-01", true), YOUNG, &[], None)
    });
}

#[test]
fn the_top_at_treatment_start_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::OutcomeProfileStart, || {
        case(in_treatment("2025-05-01", true), YOUNG, &[], None)
    });
}

#[test]
fn the_top_at_a_review_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::OutcomeProfileReview, || {
        case(
            in_treatment("2025-05-01", true),
            YOUNG,
            &["2025-07-20"],
            None,
        )
    });
}

#[test]
fn transition_planning_stops_at_exit_and_in_error() {
    // 25 on 15 January 2026: the plan shows from 14 July 2025.
    stops_at_exit_and_in_error(DueKind::Transition, || {
        case(referred("2025-06-02"), "2001-01-15", &[], None)
    });
}

#[test]
fn a_dna_follow_up_stops_at_exit_and_in_error() {
    stops_at_exit_and_in_error(DueKind::DnaFollowUp, || {
        case(referred("2025-06-02"), YOUNG, &[], Some("2025-08-27"))
    });
}

#[test]
fn a_risk_flag_review_stops_when_the_flag_is_resolved() {
    let mut c = case(referred("2025-06-02"), YOUNG, &[], None);
    let now = Clock::fixed(d(TODAY)).now();
    let (w, yp) = (c.worker.clone(), c.young_person.clone());
    let flag = c
        .store
        .write(&w, now, |tx| {
            records::raise_flag(
                tx,
                &RiskFlag {
                    id: String::new(),
                    young_person_id: yp,
                    episode_id: None,
                    flag_type: "self_harm".into(),
                    level: RiskLevel::High,
                    raised_by: w.clone(),
                    raised_on: d("2025-08-01"),
                    action: "Safety plan".into(),
                    review_date: Some(d("2025-08-29")),
                    closed_on: None,
                    closed_by: None,
                    close_reason: None,
                },
            )
        })
        .unwrap();
    assert_eq!(c.listed(DueKind::RiskFlagReview), 1);
    c.store
        .write(&w, now, |tx| {
            records::resolve_flag(tx, &flag, d(TODAY), "Safety plan in place")
        })
        .unwrap();
    assert_eq!(c.listed(DueKind::RiskFlagReview), 0);
}

#[test]
fn the_after_exit_clocks_start_at_a_planned_exit_and_stop_when_entered_in_error() {
    let mut c = case(in_treatment("2025-05-01", true), YOUNG, &[], None);
    for k in [
        DueKind::OutcomeProfileExit,
        DueKind::FollowUp3Months,
        DueKind::FollowUp6Months,
    ] {
        assert_eq!(c.listed(k), 0, "{k:?} before the exit");
    }
    c.exit("2025-05-20", "completed_drug_free");
    let mut after = c.everything();
    after.sort();
    assert_eq!(
        after,
        [
            DueKind::OutcomeProfileExit,
            DueKind::FollowUp3Months,
            DueKind::FollowUp6Months
        ]
    );
    c.enter_in_error();
    assert!(c.everything().is_empty());
}

#[test]
fn a_review_missed_before_the_exit_is_not_due_afterwards_but_still_counts_in_kpi_4b() {
    // Assessed 12 May 2025: first review due 4 August (in 2025-26 Q2), never held. The
    // episode exits on 15 August, unplanned.
    let mut c = case(in_treatment("2025-05-12", true), YOUNG, &[], None);
    assert_eq!(c.listed(DueKind::Review), 1, "overdue while open");
    c.exit("2025-08-15", "self_exit");
    assert_eq!(c.listed(DueKind::Review), 0, "history, not a due item");

    let ret = returns::compute(
        &c.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &Request::new(
            ReturnKind::Southampton,
            Quarter::new(2025, 2).unwrap(),
            d("2025-10-01"),
        ),
        &mut |_, _, _| {},
    )
    .unwrap();
    let json = ret.figures_json();
    let cell = |field: &str, value: &str| {
        format!(r#"{{"measure":"kpi.4b","breakdown":"all","field":"{field}","value":{value}}}"#)
    };
    let lines: Vec<&str> = json.lines().map(|l| l.trim_end_matches(',')).collect();
    for want in [cell("denominator", "1"), cell("numerator", "0")] {
        assert!(lines.contains(&want.as_str()), "{want} not in {json}");
    }
}

#[test]
fn explain_names_the_rule_source_start_due_and_stop_for_each_item() {
    let mut c = case(in_treatment("2025-05-01", true), YOUNG, &[], None);
    let explain = |c: &Case| {
        explain_young_person(
            &c.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &c.young_person,
        )
        .unwrap()
        .unwrap()
    };
    let x = explain(&c);
    let review = x.due().find(|e| e.kind == "review").unwrap();
    assert_eq!(
        (
            review.rule,
            review.source,
            review.start_event,
            review.start_date,
            review.due,
            review.state
        ),
        (
            "care plan review",
            "S §8.2, §8.9.5, KPI 4b",
            "comprehensive assessment",
            d("2025-05-01"),
            d("2025-07-24"),
            "overdue"
        )
    );
    assert_eq!(
        review.why_line(),
        "care plan review (S §8.2, §8.9.5, KPI 4b): 12 weeks (84 days) after the comprehensive \
         assessment of 2025-05-01, due 2025-07-24; stops when the episode exits or is entered \
         in error"
    );
    // Every item on the due-list has its explanation, and nothing else is "due".
    let listed = c.everything();
    assert_eq!(x.due().count(), listed.len());

    c.exit("2025-08-29", "self_exit");
    let x = explain(&c);
    assert_eq!(x.due().count(), 0);
    let stopped = x.episodes[0]
        .clocks
        .iter()
        .find(|e| e.kind == "review")
        .unwrap();
    assert_eq!(stopped.state, "stopped");
    assert_eq!(stopped.stopped_on, Some(d("2025-08-29")));
    assert!(
        stopped
            .why_line()
            .ends_with("stopped 2025-08-29: the episode exited"),
        "{}",
        stopped.why_line()
    );
}

#[test]
fn the_dashboard_counts_only_live_work_and_says_so() {
    let mut c = case(in_treatment("2025-05-01", true), YOUNG, &[], None);
    let count = |c: &Case| {
        let list = due_list(
            &c.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &DueFilter::default(),
        )
        .unwrap();
        LiveCounts::of(&list)
    };
    // Open: the review and the start TOP are overdue.
    assert_eq!(
        count(&c),
        LiveCounts {
            overdue: 2,
            overdue_high_risk: 0,
            due_this_week: 0,
            after_exit: 0
        }
    );
    // A planned exit on 20 May: the review and TOP stop; the exit TOP (due 3 June) and the
    // 3-month follow-up (20 August) are overdue, the 6-month one not yet due.
    c.exit("2025-05-20", "completed_drug_free");
    assert_eq!(
        count(&c),
        LiveCounts {
            overdue: 2,
            overdue_high_risk: 0,
            due_this_week: 0,
            after_exit: 2
        }
    );
    assert!(LiveCounts::LABEL.starts_with("live work"));
}

// ---- property: nothing on the due-list belongs to a closed episode unless it starts at exit --

#[derive(Debug, Clone)]
struct GenEpisode {
    referral_offset: u32,
    triaged_after: Option<u32>,
    needs_assessment: bool,
    assessed_after: Option<u32>,
    started_after: Option<u32>,
    care_plan_after: Option<u32>,
    reviews: Vec<u32>,
    dna_after: Option<u32>,
    exit_after: Option<(u32, bool)>,
    in_error: bool,
}

fn gen_episode() -> impl Strategy<Value = GenEpisode> {
    (
        0u32..700,
        proptest::option::of(0u32..5),
        any::<bool>(),
        proptest::option::of(0u32..20),
        proptest::option::of(0u32..30),
        proptest::option::of(0u32..30),
        proptest::collection::vec(1u32..400, 0..3),
        proptest::option::of(0u32..200),
        proptest::option::of((0u32..400, any::<bool>())),
        proptest::bool::weighted(0.1),
    )
        .prop_map(
            |(r, t, n, a, s, cp, reviews, dna, exit, in_error)| GenEpisode {
                referral_offset: r,
                triaged_after: t,
                needs_assessment: n,
                assessed_after: a,
                started_after: s,
                care_plan_after: cp,
                reviews,
                dna_after: dna,
                exit_after: exit,
                in_error,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_due_item_belongs_to_a_closed_episode_unless_its_rule_starts_at_the_exit(
        episodes in proptest::collection::vec(gen_episode(), 1..6),
        dob_offset in 0u32..4000,
    ) {
        let today = d(TODAY);
        let base = d("2023-10-01");
        let plus = |from: NaiveDate, n: u32| from + chrono::Days::new(u64::from(n));
        let mut store = Store::open_in_memory().unwrap();
        let now = Clock::fixed(today).now();
        let w = people::ensure_worker(&mut store, "Kim Keyworker", Role::KeyWorker, now).unwrap();
        let mut closed = std::collections::HashSet::new();
        for g in &episodes {
            let referral = plus(base, g.referral_offset).min(today);
            let triage = g.triaged_after.map(|n| plus(referral, n));
            let assessment = g.assessed_after.and(triage).map(|t| plus(t, g.assessed_after.unwrap()));
            let start = g.started_after.map(|n| plus(assessment.or(triage).unwrap_or(referral), n));
            let care_plan = g.care_plan_after.and(start).map(|s| plus(s, g.care_plan_after.unwrap()));
            let latest = [Some(referral), triage, assessment, start, care_plan]
                .into_iter().flatten().max().unwrap();
            let exit = g.exit_after.map(|(n, planned)| (plus(latest, n), planned));
            let (yp, ep) = store.write(&w.id, now, |tx| {
                let (yp, _) = people::create_young_person(tx, &YoungPerson {
                    given_name: "Gen".into(),
                    family_name: "Erated".into(),
                    date_of_birth: Some(plus(d("2000-01-01"), dob_offset)),
                    ..Default::default()
                })?;
                let ep = records::create_episode(tx, &Episode {
                    young_person_id: yp.clone(),
                    referral_date: referral,
                    first_contact_date: triage,
                    triage_date: triage,
                    triage_outcome: triage.map(|_| if g.needs_assessment {
                        "comprehensive_assessment".to_string()
                    } else {
                        "brief_intervention".to_string()
                    }),
                    assessment_date: assessment,
                    treatment_start: start,
                    care_plan_date: care_plan,
                    key_worker_id: Some(w.id.clone()),
                    exit_date: exit.map(|x| x.0),
                    exit_reason: exit.map(|x| if x.1 { "completed_drug_free" } else { "self_exit" }.to_string()),
                    ..Default::default()
                })?;
                for r in &g.reviews {
                    records::add_review(tx, &ep, plus(referral, *r), None, None)?;
                }
                if let Some(n) = g.dna_after {
                    records::add_contact(tx, &Contact {
                        young_person_id: yp.clone(),
                        episode_id: Some(ep.clone()),
                        date: plus(referral, n),
                        contact_type: "face_to_face".into(),
                        did_not_attend: true,
                        ..Default::default()
                    })?;
                }
                if g.in_error {
                    tx.mark_in_error("episodes", &ep, "generated in error")?;
                }
                Ok((yp, ep))
            }).unwrap();
            let _ = yp;
            if exit.is_some() || g.in_error {
                closed.insert(ep.clone());
            }
            if g.in_error {
                closed.insert(format!("in error {ep}"));
            }
        }
        let list = due_list(&store, &Calendar::embedded(), &CodeLists::embedded(), today,
            &DueFilter::default()).unwrap();
        for e in &list {
            let episode = match &e.subject {
                DueSubject::Episode(id) => Some(id.clone()),
                DueSubject::Contact(id) => records::contacts_of(&store, &e.young_person_id, 100, 0)
                    .unwrap()
                    .into_iter()
                    .find(|c| &c.id == id)
                    .and_then(|c| c.episode_id),
                // No mentoring records in these fixtures; flags have no episode.
                DueSubject::RiskFlag(_) | DueSubject::Match(_) | DueSubject::Mentor(_)
                | DueSubject::Message(_) => None,
            };
            if let Some(ep) = episode {
                prop_assert!(!closed.contains(&format!("in error {ep}")),
                    "{:?} of an episode entered in error", e.kind);
                if closed.contains(&ep) {
                    prop_assert!(e.kind.starts_at_exit(),
                        "{:?} due {} belongs to a closed episode", e.kind, e.due);
                    prop_assert!(e.after_exit);
                }
            }
        }
    }
}
