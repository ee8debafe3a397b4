//! Care plans through the real loop with scripted keys: the comprehensive assessment (DASH 14
//! raises the MARAC flag), the care plan editor (goals in three domains, another agency's
//! action, a costed item, a manager's approval), a review making version 2, the version
//! comparison, the outcome trend, and bad input held at its field with nothing written.

mod tui_support;

use casebook::domain::care_plan::{PlanHeader, STATUS_DONE};
use casebook::domain::codes::{CodeLists, ListName};
use casebook::domain::record::{Role, Worker};
use casebook::store::{assessments, care_plans, records, Store};
use casebook::tui::{App, StatusKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_support::*;

fn zoe_id(store: &Store) -> String {
    casebook::store::caseload::caseload(store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Zoë")
        .unwrap()
        .young_person_id
}

fn zoe_episode(store: &Store) -> String {
    let id = zoe_id(store);
    records::episodes_of(store, &id)
        .unwrap()
        .into_iter()
        .find(|e| e.is_open())
        .unwrap()
        .id
}

/// Opens Zoë's case from the caseload (the team's, for a worker whose own list lacks her).
fn open_zoe(app: &mut App, t: &mut Terminal<TestBackend>) {
    run(app, t, "/zoe<Enter><Enter>");
    if app.case().is_none() {
        run(app, t, "<Esc>t/zoe<Enter><Enter>");
    }
    assert_eq!(app.case().unwrap().model.person.given_name, "Zoë");
}

fn status(app: &App) -> (StatusKind, String) {
    let s = app.status().expect("a message in the status bar");
    (s.kind, s.text.clone())
}

fn field_error(app: &App, key: &str) -> String {
    app.form()
        .expect("the form stays open")
        .field(key)
        .unwrap_or_else(|| panic!("no field {key}"))
        .error
        .clone()
        .unwrap_or_default()
}

/// Gives Zoë a plan dated 20/05/2025 with two goals (the second with an action) straight
/// through the store; returns the plan's ID.
fn seed_plan(store: &mut Store, worker: &Worker) -> String {
    let ep = zoe_episode(store);
    let codes = CodeLists::embedded();
    store
        .write(&worker.id, clock().now(), |tx| {
            let plan = care_plans::create_plan(
                tx,
                &ep,
                &PlanHeader {
                    date: d("2025-05-20"),
                    support_level: Some(2),
                    interim: false,
                },
                d(TODAY),
            )?;
            care_plans::add_goal(tx, &plan.id, "substance_use", "Cut down cannabis", &codes)?;
            let g = care_plans::add_goal(
                tx,
                &plan.id,
                "education_training_employment",
                "Back to college",
                &codes,
            )?;
            let mut a = casebook::domain::care_plan::Action::new("Call the college", "worker");
            a.target_date = Some(d("2025-06-10"));
            care_plans::add_action(tx, &g, &a, &codes)?;
            Ok(plan.id)
        })
        .unwrap()
}

/// The keys that walk the assessment form: one need, every risk low except domestic
/// violence (high, with its action), DASH `dash`.
fn assessment_script(dash: &str) -> String {
    let needs = CodeLists::embedded()
        .list(ListName::NeedDomains)
        .active()
        .count();
    let mut s = String::from("A<Tab>Sleeping badly");
    s.push_str(&"<Tab>".repeat(needs));
    for _ in 0..5 {
        s.push_str("low<Enter><Tab>");
    }
    s.push_str("high<Enter>Refer to MARAC and IDVA<Tab>");
    s.push_str(dash);
    s.push_str("<C-s>");
    s
}

#[test]
fn an_assessment_with_dash_14_raises_the_marac_flag_in_the_header() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    assert!(!screen(&t).contains("MARAC"), "{}", screen(&t));

    run(&mut app, &mut t, &assessment_script("14"));
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Info, "{text}");
    assert!(text.contains("MARAC referral"), "{text}");
    assert!(app.form().is_none());
    let s = screen(&t);
    assert!(s.contains("▲ HIGH MARAC referral"), "{s}");

    let ep = zoe_episode(app.store());
    let a = assessments::latest_assessment(app.store(), &ep)
        .unwrap()
        .unwrap();
    assert_eq!(a.dash_yes_count, Some(14));
    assert!(a.marac_referral);
    assert_eq!(a.needs.len(), 1);
    assert_eq!(a.needs[0].need, "Sleeping badly");
    let flags = records::flags_of(app.store(), &zoe_id(app.store())).unwrap();
    assert!(flags
        .iter()
        .any(|f| f.flag_type == "marac_referral" && f.is_active()));
}

#[test]
fn an_assessment_under_14_raises_no_marac_flag() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, &assessment_script("13"));
    assert_eq!(status(&app), (StatusKind::Info, "Assessment saved".into()));
    assert!(!screen(&t).contains("MARAC"), "{}", screen(&t));
}

#[test]
fn a_care_plan_built_from_the_keyboard_and_its_spend_approved_by_a_manager() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("casebook.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let f = fill(&mut store);
    let meg = casebook::store::people::ensure_worker(
        &mut store,
        "Meg Okafor",
        Role::Manager,
        clock().now(),
    )
    .unwrap();
    drop(store);

    let mut app = app(Store::open(&path, &test_key()).unwrap(), &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "p");
    assert!(
        screen(&t).contains("No care plan yet. Press n"),
        "{}",
        screen(&t)
    );

    run(&mut app, &mut t, "n<Tab>3<C-s>");
    assert_eq!(
        status(&app),
        (StatusKind::Info, "Care plan version 1 made".into())
    );
    run(
        &mut app,
        &mut t,
        "gsubstance<Enter>Cut down cannabis<C-s>\
         geducation<Enter>Back to college 3 days a week<C-s>\
         gaccommodation<Enter>Stay at home safely<C-s>",
    );
    assert_eq!(status(&app), (StatusKind::Info, "Goal added".into()));
    // The last goal added is selected: its action goes to another agency.
    run(
        &mut app,
        &mut t,
        "aHousing assessment<Tab>other<Enter>Housing Options<Tab>30/06/2025<Tab><Tab>housing<Enter><C-s>",
    );
    assert_eq!(status(&app), (StatusKind::Info, "Action added".into()));
    run(
        &mut app,
        &mut t,
        "bBus pass for college<Tab>direct<Enter>45.50<C-s>",
    );
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Info, "{text}");
    assert!(text.contains("£45.50"), "{text}");

    let s = screen(&t);
    assert!(s.contains("✗ spend not approved"), "{s}");
    assert!(
        s.contains("Housing assessment — Other agency (Housing Options)"),
        "{s}"
    );
    assert!(s.contains("Total Direct payment budget"), "{s}");
    insta::assert_snapshot!("care_plan_editor", s);

    let ep = zoe_episode(app.store());
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.support_level, Some(3));
    let mut domains: Vec<&str> = plan.goals.iter().map(|g| g.domain.as_str()).collect();
    domains.dedup();
    assert_eq!(
        domains,
        [
            "substance_use",
            "education_training_employment",
            "accommodation"
        ]
    );
    let action = &plan.goals[2].actions[0];
    assert_eq!(action.owner_kind, "other_agency");
    assert_eq!(action.owner_name.as_deref(), Some("Housing Options"));
    assert_eq!(action.target_date, Some(d("2025-06-30")));
    assert_eq!(
        action.risk_domain,
        Some(casebook::domain::assessment::RiskDomain::Housing)
    );
    assert_eq!(plan.budget_items[0].amount_pence, 4550);
    assert_eq!(plan.budget_items[0].budget, "direct_payment");

    // The costed item is selected; the action above it is marked done in one write.
    run(&mut app, &mut t, "kd");
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.goals[2].actions[0].status, STATUS_DONE);

    // Ama is a duty worker: refused, with the reason.
    run(&mut app, &mut t, "m");
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Error, "{text}");
    assert!(text.contains("only a manager may approve spend"), "{text}");
    assert!(care_plans::current_plan(app.store(), &ep)
        .unwrap()
        .unwrap()
        .spend_approved_by
        .is_none());
    drop(app);

    // Meg, a manager, approves it.
    let mut app = tui_support::app(Store::open(&path, &test_key()).unwrap(), &meg);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "pm");
    assert_eq!(
        status(&app),
        (StatusKind::Info, "Spend of £45.50 approved".into())
    );
    let s = screen(&t);
    assert!(
        s.contains("✓ spend approved by Meg Okafor on 02/06/2025"),
        "{s}"
    );
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.spend_approved_by.as_deref(), Some(meg.id.as_str()));
}

#[test]
fn goals_and_actions_reorder_and_target_dates_change_in_the_editor() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    seed_plan(&mut store, &f.ama);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    let ep = zoe_episode(app.store());
    // Second goal selected, moved up.
    run(&mut app, &mut t, "pjK");
    assert_eq!(status(&app), (StatusKind::Info, "Goal moved".into()));
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.goals[0].goal, "Back to college");
    // The selection followed the goal: its action is next; give it a new date.
    run(&mut app, &mut t, "jt<C-u>2025-06-20<C-s>");
    assert_eq!(
        status(&app),
        (StatusKind::Info, "Target date set to 20/06/2025".into())
    );
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.goals[0].actions[0].target_date, Some(d("2025-06-20")));
    assert!(screen(&t).contains("Call the college — Worker · by 20/06/2025"));

    // The level of support: 5 is refused at the field, 4 is kept.
    run(&mut app, &mut t, "L<C-u>5<C-s>");
    assert_eq!(status(&app).0, StatusKind::Error);
    let e = field_error(&app, "support_level");
    assert!(e.contains("5 is not a level of support"), "{e}");
    run(&mut app, &mut t, "<C-u>4<C-s>");
    assert_eq!(
        status(&app),
        (StatusKind::Info, "Level of support set to 4".into())
    );
    assert!(screen(&t).contains("Level of support 4"), "{}", screen(&t));

    // Sign-off by the assessor, shown with a tick and a name.
    run(&mut app, &mut t, "s");
    assert_eq!(
        status(&app),
        (StatusKind::Info, "Version 1 signed off".into())
    );
    assert!(
        screen(&t).contains("✓ signed off by Ama Mensah on 02/06/2025"),
        "{}",
        screen(&t)
    );
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.support_level, Some(4));
    assert_eq!(plan.signed_off_by.as_deref(), Some(f.ama.id.as_str()));
}

#[test]
fn a_review_makes_version_2_moves_the_next_review_and_the_versions_compare() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    seed_plan(&mut store, &f.ama);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "pr");
    assert!(app.form().is_some());
    insta::assert_snapshot!("review_form", screen(&t));

    // Date today, participants, progress on goal 1, goal 2 closed.
    run(
        &mut app,
        &mut t,
        &format!(
            "<Tab>Zoë, mum, worker<Tab>Down to weekends only<Tab><Tab>Enrolled for September<Tab>y\
             <Tab><Tab>{}12<C-s>",
            "<Tab>".repeat(9)
        ),
    );
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Info, "{text}");
    assert_eq!(
        text,
        "Review saved: care plan version 2 made; next review due 25/08/2025"
    );
    let ep = zoe_episode(app.store());
    let versions = care_plans::plan_versions(app.store(), &ep).unwrap();
    assert_eq!(versions.len(), 2);
    let plan = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();
    assert_eq!(plan.version, 2);
    assert_eq!(plan.date, d(TODAY));
    assert_eq!(plan.goals.len(), 1, "the closed goal is left behind");
    assert_eq!(
        plan.goals[0].progress.as_deref(),
        Some("Down to weekends only")
    );
    assert_eq!(care_plans::reviews_of(app.store(), &ep).unwrap().len(), 1);
    // The outcome profile recorded at the review.
    let profiles = assessments::outcome_profiles_of(app.store(), &ep).unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].quality_of_life, Some(12));
    assert_eq!(
        profiles[0].occasion,
        casebook::domain::assessment::Occasion::Review
    );
    assert_eq!(profiles[0].date, d(TODAY));

    // The comparison lists what changed, latest against the one before.
    run(&mut app, &mut t, "v");
    let s = screen(&t);
    assert!(
        s.contains("Version 1 (20/05/2025) → version 2 (02/06/2025)"),
        "{s}"
    );
    assert!(s.contains("Back to college"), "{s}");
    insta::assert_snapshot!("version_comparison", s);

    // Back in the case, the care section shows the next review 12 weeks on.
    run(&mut app, &mut t, "<Esc><Esc>h");
    let s = screen(&t);
    assert!(s.contains("Next review       due 25/08/2025"), "{s}");
    assert!(s.contains("version 2 of 02/06/2025"), "{s}");
}

#[test]
fn the_outcome_trend_shows_after_two_recordings() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    let qol = "<Tab>".repeat(9);
    run(
        &mut app,
        &mut t,
        &format!("o<C-u>19/05/2025<Tab>start<Enter>{qol}8<C-s>"),
    );
    assert_eq!(
        status(&app),
        (
            StatusKind::Info,
            "Outcome profile of 19/05/2025 saved".into()
        )
    );
    run(&mut app, &mut t, "h");
    let s = screen(&t);
    assert!(s.contains("1 recorded — the trend shows after two"), "{s}");
    assert!(!s.contains("Outcome trend"), "{s}");

    run(
        &mut app,
        &mut t,
        &format!("o<Tab>review<Enter>{qol}14<C-s>"),
    );
    let s = screen(&t);
    assert!(s.contains("Outcome trend"), "{s}");
    assert!(s.contains("Quality of life"), "{s}");
    assert!(s.contains("8 → 14 ↑ better"), "{s}");
    let ep = zoe_episode(app.store());
    let profiles = assessments::outcome_profiles_of(app.store(), &ep).unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[1].quality_of_life, Some(14));
}

#[test]
fn bad_input_is_shown_at_its_field_and_nothing_is_written() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    seed_plan(&mut store, &f.ama);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    let ep = zoe_episode(app.store());
    let before = care_plans::current_plan(app.store(), &ep).unwrap().unwrap();

    // A target date before the plan (20/05/2025).
    run(&mut app, &mut t, "pjjt<C-u>01/05/2025<C-s>");
    assert_eq!(status(&app).0, StatusKind::Error);
    let e = field_error(&app, "target_date");
    assert!(e.contains("before the plan's date"), "{e}");
    assert!(
        screen(&t).contains("before the plan's date"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "<Esc><Esc>");
    assert!(app.form().is_none());

    // A negative cost.
    run(&mut app, &mut t, "bBus pass<Tab>direct<Enter>-5<C-s>");
    assert_eq!(status(&app).0, StatusKind::Error);
    let e = field_error(&app, "amount");
    assert!(e.contains("cannot be negative"), "{e}");
    assert!(screen(&t).contains("cannot be negative"), "{}", screen(&t));
    run(&mut app, &mut t, "<Esc><Esc><Esc>");
    assert_eq!(
        care_plans::current_plan(app.store(), &ep).unwrap().unwrap(),
        before
    );

    // A rating of 25.
    let qol = "<Tab>".repeat(9);
    run(&mut app, &mut t, &format!("o<Tab>start<Enter>{qol}25<C-s>"));
    assert_eq!(status(&app).0, StatusKind::Error);
    let e = field_error(&app, "quality_of_life");
    assert!(e.contains("25 is off the scale"), "{e}");
    assert!(screen(&t).contains("25 is off the scale"), "{}", screen(&t));
    assert!(assessments::outcome_profiles_of(app.store(), &ep)
        .unwrap()
        .is_empty());
    run(&mut app, &mut t, "<Esc><Esc>");

    // A review before the assessment (12/05/2025).
    run(&mut app, &mut t, "r<C-u>01/05/2025<C-s>");
    assert_eq!(status(&app).0, StatusKind::Error);
    let e = field_error(&app, "date");
    assert!(e.contains("before the comprehensive assessment"), "{e}");
    assert!(care_plans::reviews_of(app.store(), &ep).unwrap().is_empty());
    assert_eq!(
        care_plans::plan_versions(app.store(), &ep).unwrap().len(),
        1
    );
}

#[test]
fn the_assessment_form_at_80_by_24() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "A");
    insta::assert_snapshot!("assessment_form", screen(&t));
}

#[test]
fn every_care_key_is_in_the_help() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 40);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "p");
    let hints = screen(&t);
    assert!(hints.contains("g goal"), "{hints}");
    run(&mut app, &mut t, "?");
    let s = screen(&t);
    for words in [
        "add a goal in a life domain",
        "add an action to the selected goal",
        "add a costed item",
        "move the selected goal or action up",
        "mark the selected action done",
        "change the selected action's target date",
        "approve the costed spend (managers only)",
        "compare two versions of the plan",
    ] {
        assert!(s.contains(words), "{words} missing:\n{s}");
    }
}

#[test]
fn the_case_view_care_section_at_80_by_24() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    seed_plan(&mut store, &f.ama);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    let measures = |cannabis: &str, offending: &str, psych: &str, phys: &str, qol: &str| {
        format!(
            "cannab<Enter>{cannabis}<Tab><Tab><Tab><Tab><Tab>{offending}<Tab>{psych}<Tab>{phys}<Tab>{qol}<C-s>"
        )
    };
    run(
        &mut app,
        &mut t,
        &format!(
            "o<C-u>19/05/2025<Tab>start<Enter>{}",
            measures("20", "3", "9", "11", "8")
        ),
    );
    run(
        &mut app,
        &mut t,
        &format!(
            "o<Tab>review<Enter>{}",
            measures("6", "0", "12", "11", "14")
        ),
    );
    run(&mut app, &mut t, "h");
    let s = screen(&t);
    assert!(
        s.contains("Cannabis (herbal, skun… ▆▃             20 → 6 ↓ better"),
        "{s}"
    );
    assert!(
        s.contains("Offending days          ▂▁             3 → 0 ↓ better"),
        "{s}"
    );
    assert!(
        s.contains("Physical health         ▅▅             11 → 11 = same"),
        "{s}"
    );
    assert!(
        s.contains("Quality of life         ▄▆             8 → 14 ↑ better"),
        "{s}"
    );
    assert!(s.contains("Next review       due 04/08/2025"), "{s}");
    insta::assert_snapshot!("case_view_care", s);
}

#[test]
fn the_editor_stays_in_view_while_an_action_is_typed() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    seed_plan(&mut store, &f.ama);
    let mut app = app(store, &f.ama);
    let mut t = terminal(80, 24);
    open_zoe(&mut app, &mut t);
    run(&mut app, &mut t, "pjaHousing<Tab>oth");
    let s = screen(&t);
    assert!(s.contains("› ▸ Back to college"), "{s}");
    assert!(s.contains("New action towards “Back to college”"), "{s}");
    assert!(s.contains("( ) Other agency"), "{s}");
    insta::assert_snapshot!("care_plan_editor_adding_an_action", s);
}

/// Screens are added in parallel: a key bound twice where it applies would silently do only
/// one of its two jobs.
#[test]
fn no_key_does_two_things_in_one_place() {
    let map = casebook::tui::keymap::KeyMap::default();
    let b = map.bindings();
    let mut clashes = Vec::new();
    for (i, x) in b.iter().enumerate() {
        for y in b[i + 1..].iter().filter(|y| y.action != x.action) {
            for ctx in x.contexts.iter().filter(|c| y.contexts.contains(c)) {
                for k in x.keys.iter().filter(|k| y.keys.contains(k)) {
                    clashes.push(format!(
                        "{k} is both {} and {} in the {}",
                        x.action.name(),
                        y.action.name(),
                        ctx.label()
                    ));
                }
            }
        }
    }
    assert!(clashes.is_empty(), "{clashes:#?}");
}
