//! Integrated care plans through a real SQLite file: goals, actions and costed items written as
//! small audited edits, totals, sign-off and manager approval, reviews that make a new version
//! and leave the old one readable, the 12-week review clock, and refusals that write nothing.

mod common;
use common::*;

use casebook::domain::assessment::{
    AreaRating, AssessmentForm, Occasion, OutcomeProfile, RiskDomain, AREA_OFFENDING,
};
use casebook::domain::calendar::Calendar;
use casebook::domain::care_plan::{
    diff_versions, unlinked_risks, Action, BudgetItem, BudgetTotal, Direction, PlanHeader,
    ReviewForm, BUDGET_CARE_MANAGEMENT, BUDGET_DIRECT_PAYMENT, STATUS_DONE,
};
use casebook::domain::clock::Clock;
use casebook::domain::clocks::{episode_due_items, DueKind, DueStatus};
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Episode, RiskLevel, Role, YoungPerson};
use casebook::domain::validate::Invalid;
use casebook::store::{assessments, care_plans, due, people, records, Store, Tx};
use chrono::NaiveDate;

struct Case {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    duty: String,
    manager: String,
    episode: String,
    codes: CodeLists,
}

impl Case {
    /// Writes as `actor` with today fixed at `today`.
    fn write<T>(
        &mut self,
        actor: &str,
        today: &str,
        f: impl FnOnce(&Tx, &CodeLists, NaiveDate) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let today = d(today);
        let codes = self.codes.clone();
        self.store
            .write(actor, Clock::fixed(today).now(), |tx| f(tx, &codes, today))
    }

    fn duty<T>(
        &mut self,
        today: &str,
        f: impl FnOnce(&Tx, &CodeLists, NaiveDate) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let duty = self.duty.clone();
        self.write(&duty, today, f)
    }
}

/// Referred Monday 3 March 2025, triaged the next day, assessed Monday 10 March with
/// self-harm medium and everything else low.
fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let now = Clock::fixed(d("2025-03-03")).now();
    let duty = people::ensure_worker(&mut store, "Ama Mensah", Role::Duty, now).unwrap();
    let manager = people::ensure_worker(&mut store, "Mo Farah", Role::Manager, now).unwrap();
    let episode = store
        .write(&duty.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Kai".into(),
                    family_name: "Lee".into(),
                    date_of_birth: Some(d("2009-05-01")),
                    ..Default::default()
                },
            )?;
            records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp,
                    referral_date: d("2025-03-03"),
                    triage_date: Some(d("2025-03-04")),
                    triage_outcome: Some("comprehensive_assessment".into()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let mut c = Case {
        _dir: dir,
        path,
        store,
        duty: duty.id,
        manager: manager.id,
        episode,
        codes: CodeLists::embedded(),
    };
    let ep = c.episode.clone();
    let mut form = AssessmentForm::blank(d("2025-03-10"));
    for dm in RiskDomain::ALL {
        form.set_risk(dm, RiskLevel::Low, "");
    }
    form.set_risk(RiskDomain::SelfHarm, RiskLevel::Medium, "Safety plan");
    c.duty("2025-03-10", |tx, codes, today| {
        assessments::save_assessment(tx, &ep, &form, codes, today)
    })
    .unwrap();
    c
}

const TABLES: &[&str] = &[
    "care_plans",
    "care_plan_goals",
    "care_plan_actions",
    "care_plan_budget_items",
    "reviews",
    "outcome_profiles",
    "outcome_ratings",
    "episodes",
    "risk_flags",
    "audit_log",
];

fn counts(path: &std::path::Path) -> Vec<(&'static str, i64)> {
    let c = keyed_open(path).unwrap();
    TABLES
        .iter()
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (*t, n)
        })
        .collect()
}

fn audit_count(path: &std::path::Path) -> i64 {
    keyed_open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap()
}

fn invalid(e: &anyhow::Error) -> &Invalid {
    e.downcast_ref::<Invalid>()
        .unwrap_or_else(|| panic!("expected field problems, got: {e:#}"))
}

fn message<'a>(e: &'a anyhow::Error, field: &str) -> &'a str {
    let inv = invalid(e);
    inv.0
        .iter()
        .find(|f| f.field == field)
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| panic!("no problem at {field}: {inv}"))
}

fn header(on: &str, level: u8) -> PlanHeader {
    PlanHeader {
        date: d(on),
        support_level: Some(level),
        interim: false,
    }
}

struct Built {
    plan: String,
    goals: [String; 3],
    weekly: String,
    camhs: String,
    gym: String,
}

/// Version 1, dated Monday 17 March: goals in three domains, an action owned by another
/// agency (linked to the self-harm risk), and three costed items.
fn build_plan(c: &mut Case) -> Built {
    let ep = c.episode.clone();
    c.duty("2025-03-17", |tx, codes, today| {
        let plan = care_plans::create_plan(tx, &ep, &header("2025-03-17", 3), today)?.id;
        let g1 = care_plans::add_goal(
            tx,
            &plan,
            "substance_use",
            "Cut cannabis to weekends only",
            codes,
        )?;
        let g2 = care_plans::add_goal(
            tx,
            &plan,
            "Mental health and emotional wellbeing",
            "Get support with anxiety",
            codes,
        )?;
        let g3 = care_plans::add_goal(
            tx,
            &plan,
            "accommodation",
            "Move to supported lodgings",
            codes,
        )?;
        let weekly = care_plans::add_action(
            tx,
            &g1,
            &Action {
                target_date: Some(d("2025-04-14")),
                ..Action::new("Weekly one-to-one sessions", "worker")
            },
            codes,
        )?;
        care_plans::add_action(
            tx,
            &g1,
            &Action::new("Keep a use diary", "young_person"),
            codes,
        )?;
        let camhs = care_plans::add_action(
            tx,
            &g2,
            &Action {
                owner_name: Some("CAMHS Southampton".into()),
                target_date: Some(d("2025-05-01")),
                risk_domain: Some(RiskDomain::SelfHarm),
                ..Action::new("CAMHS assessment", "Other agency")
            },
            codes,
        )?;
        care_plans::add_action(
            tx,
            &g3,
            &Action::new("Housing options appointment", "worker"),
            codes,
        )?;
        let gym = BudgetItem::from_text("Gym membership", "direct_payment", "£90", codes)?;
        let gym = care_plans::add_budget_item(tx, &plan, &gym, codes)?;
        let bus = BudgetItem::from_text("Bus pass", "Direct payment budget", "45.5", codes)?;
        care_plans::add_budget_item(tx, &plan, &bus, codes)?;
        let rehab = BudgetItem::from_text(
            "Residential rehab assessment",
            "care management",
            "£1,250",
            codes,
        )?;
        care_plans::add_budget_item(tx, &plan, &rehab, codes)?;
        Ok(Built {
            plan,
            goals: [g1, g2, g3],
            weekly,
            camhs,
            gym,
        })
    })
    .unwrap()
}

#[test]
fn a_plan_in_three_domains_with_an_agency_action_and_costed_items_totals_right() {
    let mut c = case();
    let b = build_plan(&mut c);
    let plan = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(plan.id, b.plan);
    assert_eq!(plan.version, 1);
    assert_eq!(plan.support_level, Some(3));
    let domains: Vec<&str> = plan.goals.iter().map(|g| g.domain.as_str()).collect();
    assert_eq!(domains, ["substance_use", "mental_health", "accommodation"]);
    assert_eq!(plan.goals[0].actions.len(), 2);
    let (goal, camhs) = plan.action(&b.camhs).unwrap();
    assert_eq!(goal.id, b.goals[1]);
    assert_eq!(camhs.owner_kind, "other_agency");
    assert_eq!(camhs.owner_name.as_deref(), Some("CAMHS Southampton"));
    assert_eq!(camhs.status, "not_started");

    // £90 + £45.50 direct payment; £1,250 care management.
    assert_eq!(
        plan.budget_totals(),
        [
            BudgetTotal {
                budget: BUDGET_DIRECT_PAYMENT.into(),
                pence: 13_550
            },
            BudgetTotal {
                budget: BUDGET_CARE_MANAGEMENT.into(),
                pence: 125_000
            },
        ]
    );
    assert_eq!(plan.total_pence(), 138_550);
    assert!(plan.has_unapproved_spend());

    // The first integrated plan's date is the episode's care plan date (KPI 4a).
    let ep = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(ep.care_plan_date, Some(d("2025-03-17")));

    // The self-harm risk is managed by the CAMHS action; nothing else is medium or high.
    let a = assessments::latest_assessment(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert!(unlinked_risks(&a, &plan).is_empty());
}

#[test]
fn only_a_manager_approves_spend_and_approval_is_recorded_with_who_and_when() {
    let mut c = case();
    let b = build_plan(&mut c);
    let (duty, manager) = (c.duty.clone(), c.manager.clone());

    let e = c
        .duty("2025-03-18", |tx, _, today| {
            care_plans::approve_spend(tx, &b.plan, &duty, today)
        })
        .unwrap_err();
    assert!(message(&e, "spend_approved_by").contains("only a manager may approve spend"));
    // Nor may a duty worker record it in the manager's name.
    let e = c
        .duty("2025-03-18", |tx, _, today| {
            care_plans::approve_spend(tx, &b.plan, &manager, today)
        })
        .unwrap_err();
    assert!(message(&e, "spend_approved_by").contains("signed in as themselves"));

    let before = audit_count(&c.path);
    c.write(&manager, "2025-03-18", |tx, _, today| {
        care_plans::approve_spend(tx, &b.plan, &manager, today)
    })
    .unwrap();
    let plan = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(plan.spend_approved_by.as_deref(), Some(manager.as_str()));
    assert_eq!(plan.spend_approved_on, Some(d("2025-03-18")));
    assert!(!plan.has_unapproved_spend());
    assert_eq!(audit_count(&c.path), before + 1);
    let (actor, changes): (String, Vec<u8>) = keyed_open(&c.path)
        .unwrap()
        .query_row(
            "SELECT actor_id, changes FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // The audit row holds the changed columns in the compact form; read it as JSON.
    let changes = casebook::store::audit::changes_json(&changes).unwrap();
    assert_eq!(actor, manager);
    assert!(
        changes.contains(r#""spend_approved_on":[null,"2025-03-18"]"#),
        "{changes}"
    );

    // A new costed item is not covered by the approval given before it.
    c.duty("2025-03-20", |tx, codes, _| {
        let taxi = BudgetItem::from_text("Taxi to rehab", "direct_payment", "35", codes)?;
        care_plans::add_budget_item(tx, &b.plan, &taxi, codes)
    })
    .unwrap();
    let plan = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(plan.spend_approved_by, None);
    assert!(plan.has_unapproved_spend());
}

#[test]
fn keyboard_edits_are_small_audited_writes() {
    let mut c = case();
    let b = build_plan(&mut c);
    let [g1, g2, g3] = b.goals.clone();

    let before = audit_count(&c.path);
    let moved = c
        .duty("2025-03-18", |tx, _, _| {
            care_plans::move_goal(tx, &g3, Direction::Up)
        })
        .unwrap();
    assert!(moved);
    assert_eq!(audit_count(&c.path), before + 2, "two positions swapped");
    let order: Vec<String> = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap()
        .goals
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(order, [g1.clone(), g3.clone(), g2.clone()]);

    // Already at the top: nothing to do, nothing written.
    let before = audit_count(&c.path);
    let moved = c
        .duty("2025-03-18", |tx, _, _| {
            care_plans::move_goal(tx, &g1, Direction::Up)
        })
        .unwrap();
    assert!(!moved);
    assert_eq!(audit_count(&c.path), before);

    c.duty("2025-03-18", |tx, codes, _| {
        care_plans::set_action_status(tx, &b.weekly, "In progress", codes)?;
        care_plans::set_action_target_date(tx, &b.camhs, Some(d("2025-05-15")))?;
        care_plans::set_goal_progress(tx, &g1, "First session went well")?;
        care_plans::move_goal(tx, &g2, Direction::Up)
    })
    .unwrap();
    let plan = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(plan.action(&b.weekly).unwrap().1.status, "in_progress");
    assert_eq!(
        plan.action(&b.camhs).unwrap().1.target_date,
        Some(d("2025-05-15"))
    );
    assert_eq!(
        plan.goals[0].progress.as_deref(),
        Some("First session went well")
    );
    let order: Vec<&str> = plan.goals.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(order, [g1.as_str(), g2.as_str(), g3.as_str()]);
}

#[test]
fn sign_off_needs_a_complete_plan_and_records_the_assessor_and_date() {
    let mut c = case();
    let (ep, duty) = (c.episode.clone(), c.duty.clone());
    let plan = c
        .duty("2025-03-17", |tx, _, today| {
            care_plans::create_plan(tx, &ep, &header("2025-03-17", 2), today)
        })
        .unwrap();
    let e = c
        .duty("2025-03-17", |tx, codes, today| {
            care_plans::sign_off(tx, &plan.id, &duty, today, codes)
        })
        .unwrap_err();
    assert!(message(&e, "goals").contains("at least one goal"));
    c.duty("2025-03-17", |tx, codes, today| {
        care_plans::add_goal(tx, &plan.id, "offending", "No new offences", codes)?;
        care_plans::sign_off(tx, &plan.id, &duty, today, codes)
    })
    .unwrap();
    let p = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(p.signed_off_by.as_deref(), Some(duty.as_str()));
    assert_eq!(p.signed_off_on, Some(d("2025-03-17")));
}

#[test]
fn an_interim_plan_gives_way_to_the_integrated_plan_as_version_two() {
    let mut c = case();
    let ep = c.episode.clone();
    let interim = c
        .duty("2025-03-04", |tx, codes, today| {
            let p = care_plans::create_plan(
                tx,
                &ep,
                &PlanHeader {
                    date: d("2025-03-04"),
                    support_level: None,
                    interim: true,
                },
                today,
            )?;
            care_plans::add_goal(tx, &p.id, "substance_use", "Stay safe this week", codes)?;
            Ok(p)
        })
        .unwrap();
    assert_eq!(interim.version, 1);
    let e1 = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(
        e1.care_plan_date, None,
        "an interim plan is not the care plan of KPI 4a"
    );

    let full = c
        .duty("2025-03-17", |tx, _, today| {
            care_plans::create_plan(tx, &ep, &header("2025-03-17", 3), today)
        })
        .unwrap();
    assert_eq!(full.version, 2);
    let p = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert!(!p.interim);
    assert_eq!(p.goals[0].goal, "Stay safe this week");
    assert!(
        care_plans::plan_version(&c.store, &c.episode, 1)
            .unwrap()
            .unwrap()
            .interim
    );
    let e2 = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(e2.care_plan_date, Some(d("2025-03-17")));
    let lines: Vec<String> = diff_versions(
        &care_plans::plan_version(&c.store, &c.episode, 1)
            .unwrap()
            .unwrap(),
        &p,
    )
    .iter()
    .map(|ch| ch.line(&c.codes))
    .collect();
    assert_eq!(
        lines,
        [
            "The interim plan became the integrated care plan",
            "Level of support: not set → 3"
        ]
    );

    let e = c
        .duty("2025-03-18", |tx, _, today| {
            care_plans::create_plan(tx, &ep, &header("2025-03-18", 3), today)
        })
        .unwrap_err();
    assert!(message(&e, "plan").contains("already has a care plan (version 2)"));
}

fn review_top() -> OutcomeProfile {
    let mut op = OutcomeProfile::blank(d("2025-06-09"), Occasion::Other);
    op.psychological_health = Some(12);
    op.ratings.push(AreaRating {
        area: AREA_OFFENDING.into(),
        rating: 14,
    });
    op
}

#[test]
fn a_review_makes_version_two_leaves_version_one_readable_and_the_diff_lists_the_changes() {
    let mut c = case();
    let b = build_plan(&mut c);
    let (ep, duty, manager) = (c.episode.clone(), c.duty.clone(), c.manager.clone());
    c.duty("2025-03-17", |tx, codes, today| {
        care_plans::sign_off(tx, &b.plan, &duty, today, codes)
    })
    .unwrap();
    c.write(&manager, "2025-03-18", |tx, _, today| {
        care_plans::approve_spend(tx, &b.plan, &manager, today)
    })
    .unwrap();
    let v1 = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();

    // Review held 9 June (a week after the 12 weeks from the assessment ran out).
    let mut form = ReviewForm::new(d("2025-06-09"))
        .progress(&b.goals[0], "Down to weekends since May")
        .close_goal(&b.goals[2], "Moved in on 2 June");
    form.participants = "Kai, key worker, foster carer".into();
    form.notes = "Engaging well".into();
    form.outcome_profile = Some(review_top());
    let saved = c
        .duty("2025-06-09", |tx, codes, today| {
            care_plans::record_review(tx, &ep, &form, codes, today)
        })
        .unwrap();
    let v2_ref = saved.plan.clone().unwrap();
    assert_eq!(v2_ref.version, 2);

    // Version 1 reads back exactly as it was.
    assert_eq!(
        care_plans::plan_version(&c.store, &c.episode, 1)
            .unwrap()
            .unwrap(),
        v1
    );
    let v2 = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(v2.id, v2_ref.id);
    assert_eq!(v2.date, d("2025-06-09"));
    assert_eq!(v2.review_id.as_deref(), Some(saved.review_id.as_str()));
    assert_eq!(v2.signed_off_by, None, "each version is signed off afresh");
    assert_eq!(v2.spend_approved_by.as_deref(), Some(manager.as_str()));
    assert_eq!(v2.goals.len(), 2);

    let reviews = care_plans::reviews_of(&c.store, &c.episode).unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        reviews[0].participants.as_deref(),
        Some("Kai, key worker, foster carer")
    );
    let tops = assessments::outcome_profiles_of(&c.store, &c.episode).unwrap();
    assert_eq!(tops.len(), 1);
    assert_eq!(tops[0].occasion, Occasion::Review);
    assert_eq!(Some(&tops[0].id), saved.outcome_profile_id.as_ref());

    // Version 1 is closed to edits.
    let e = c
        .duty("2025-06-10", |tx, codes, _| {
            care_plans::set_action_status(tx, &b.weekly, STATUS_DONE, codes)
        })
        .unwrap_err();
    assert!(message(&e, "version").contains("version 1 is kept as it was"));

    // Edits to version 2 after the review.
    let weekly = v2.goals[0].actions[0].id.clone();
    let camhs = v2.goals[1].actions[0].id.clone();
    let gym = v2.budget_items[0].clone();
    assert_eq!(gym.description, "Gym membership");
    assert_ne!(gym.id, b.gym);
    let (plan2, goal1) = (v2.id.clone(), v2.goals[0].id.clone());
    c.duty("2025-06-09", |tx, codes, _| {
        care_plans::set_action_status(tx, &weekly, STATUS_DONE, codes)?;
        care_plans::set_action_target_date(tx, &camhs, Some(d("2025-07-01")))?;
        care_plans::add_action(
            tx,
            &goal1,
            &Action {
                target_date: Some(d("2025-07-15")),
                ..Action::new("Relapse prevention plan", "worker")
            },
            codes,
        )?;
        care_plans::set_support_level(tx, &plan2, Some(2))?;
        care_plans::update_budget_item(
            tx,
            &BudgetItem {
                amount_pence: 6000,
                ..gym.clone()
            },
            codes,
        )
    })
    .unwrap();
    let v2 = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(
        v2.spend_approved_by, None,
        "the changed spend needs approving again"
    );

    let lines: Vec<String> = diff_versions(&v1, &v2)
        .iter()
        .map(|ch| ch.line(&c.codes))
        .collect();
    assert_eq!(
        lines,
        [
            "Level of support: 3 → 2",
            "Goal closed (Accommodation): Move to supported lodgings",
            "Progress on 'Cut cannabis to weekends only': Down to weekends since May",
            "Action 'Weekly one-to-one sessions': Not started → Done",
            "Action added to 'Cut cannabis to weekends only': Relapse prevention plan (by 2025-07-15)",
            "Action 'CAMHS assessment': target date 2025-05-01 → 2025-07-01",
            "Costed item 'Gym membership': £90.00 → £60.00",
        ]
    );
    let versions: Vec<u32> = care_plans::plan_versions(&c.store, &c.episode)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, [2, 1]);
}

#[test]
fn the_next_review_falls_due_twelve_weeks_after_the_review_actually_held() {
    let mut c = case();
    build_plan(&mut c);
    let ep = c.episode.clone();
    let reviews_due = |store: &Store, today: &str| -> Vec<(NaiveDate, DueStatus)> {
        let inputs = due::load(store, &due::DueScope::default(), &|_| None).unwrap();
        let facts = &inputs
            .episodes
            .iter()
            .find(|e| e.episode_id == ep)
            .unwrap()
            .facts;
        episode_due_items(facts, &Calendar::embedded(), d(today))
            .into_iter()
            .filter(|i| i.kind == DueKind::Review)
            .map(|i| (i.due, i.status))
            .collect()
    };
    // Assessed 10 March: the first review is due 84 days on, 2 June.
    assert_eq!(
        reviews_due(&c.store, "2025-05-30"),
        [(d("2025-06-02"), DueStatus::Due)]
    );

    // Held a week late, on 9 June: the next is due 84 days after that, 1 September.
    let form = ReviewForm::new(d("2025-06-09"));
    c.duty("2025-06-09", |tx, codes, today| {
        care_plans::record_review(tx, &ep, &form, codes, today)
    })
    .unwrap();
    assert_eq!(
        reviews_due(&c.store, "2025-06-09"),
        [
            (d("2025-06-02"), DueStatus::MetLate),
            (d("2025-09-01"), DueStatus::Due)
        ]
    );
}

#[test]
fn bad_input_is_refused_at_the_field_and_nothing_is_written() {
    let mut c = case();
    let b = build_plan(&mut c);
    let ep = c.episode.clone();
    let before = counts(&c.path);
    let [g1, ..] = b.goals.clone();

    // A target date before the plan (17 March).
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            care_plans::add_action(
                tx,
                &g1,
                &Action {
                    target_date: Some(d("2025-03-16")),
                    ..Action::new("Drug diary review", "worker")
                },
                codes,
            )
        })
        .unwrap_err();
    assert!(message(&e, "target_date").contains("before the plan's date (2025-03-17)"));
    let e = c
        .duty("2025-03-18", |tx, _, _| {
            care_plans::set_action_target_date(tx, &b.weekly, Some(d("2025-01-31")))
        })
        .unwrap_err();
    assert!(message(&e, "target_date").contains("before the plan's date"));

    // Another agency's action with no agency named.
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            care_plans::add_action(tx, &g1, &Action::new("YOT check-in", "other_agency"), codes)
        })
        .unwrap_err();
    assert!(message(&e, "owner_name").contains("name the agency"));

    // A negative cost, typed or stored; junk typed.
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            let item = BudgetItem {
                id: String::new(),
                description: "Refund".into(),
                budget: "direct_payment".into(),
                amount_pence: -100,
            };
            care_plans::add_budget_item(tx, &b.plan, &item, codes)
        })
        .unwrap_err();
    assert!(message(&e, "amount").contains("cannot be negative"));
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            let item = BudgetItem::from_text("Gym", "direct_payment", "-£5", codes)?;
            care_plans::add_budget_item(tx, &b.plan, &item, codes)
        })
        .unwrap_err();
    assert!(message(&e, "amount").contains("cannot be negative"));
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            let item = BudgetItem::from_text("Gym", "direct_payment", "ninety quid", codes)?;
            care_plans::add_budget_item(tx, &b.plan, &item, codes)
        })
        .unwrap_err();
    assert!(message(&e, "amount").contains("not an amount"));

    // Support level out of range; a goal with no words.
    let e = c
        .duty("2025-03-18", |tx, _, _| {
            care_plans::set_support_level(tx, &b.plan, Some(5))
        })
        .unwrap_err();
    assert!(message(&e, "support_level").contains("1 to 4"));
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            care_plans::add_goal(tx, &b.plan, "finances", "   ", codes)
        })
        .unwrap_err();
    assert!(message(&e, "goal").contains("wants to achieve"));

    // A good edit then a bad one in the same write: neither is kept.
    let e = c
        .duty("2025-03-18", |tx, codes, _| {
            let g = care_plans::add_goal(tx, &b.plan, "finances", "Open a bank account", codes)?;
            care_plans::add_action(tx, &g, &Action::new("", "worker"), codes)
        })
        .unwrap_err();
    assert!(message(&e, "what").contains("say what will be done"));

    // A review dated before the assessment (10 March), and one with a rating of 25.
    let e = c
        .duty("2025-06-09", |tx, codes, today| {
            care_plans::record_review(tx, &ep, &ReviewForm::new(d("2025-03-07")), codes, today)
        })
        .unwrap_err();
    assert!(message(&e, "date").contains("before the comprehensive assessment (2025-03-10)"));
    let mut form = ReviewForm::new(d("2025-06-09"));
    let mut top = review_top();
    top.ratings[0].rating = 25;
    form.outcome_profile = Some(top);
    let e = c
        .duty("2025-06-09", |tx, codes, today| {
            care_plans::record_review(tx, &ep, &form, codes, today)
        })
        .unwrap_err();
    assert!(message(&e, "outcome_profile.ratings.offending").contains("0 (poor) to 20"));

    assert_eq!(counts(&c.path), before);
    let plan = care_plans::current_plan(&c.store, &c.episode)
        .unwrap()
        .unwrap();
    assert_eq!(plan.version, 1);
    assert_eq!(plan.goals.len(), 3);
    assert_eq!(plan.support_level, Some(3));
}
