//! Comprehensive assessments and outcome profiles through a real SQLite file: the MARAC rule,
//! flags raised in the same write, the episode's assessment date, refusals that write nothing.

mod common;
use common::*;

use casebook::domain::assessment::{
    improved, trend, AreaRating, AssessmentForm, Measure, Need, Occasion, OutcomeProfile,
    RiskDomain, SubstanceDays, AREA_OFFENDING, AREA_RELATIONSHIPS,
};
use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Episode, RiskLevel, Role, YoungPerson};
use casebook::domain::validate::Invalid;
use casebook::store::{assessments, people, records, Store};

struct Case {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    worker: String,
    yp: String,
    episode: String,
    codes: CodeLists,
}

/// Referred Monday 3 March 2025, triaged the next day with "comprehensive assessment".
fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let now = Clock::fixed(d("2025-03-03")).now();
    let w = people::ensure_worker(&mut store, "Ama Mensah", Role::Duty, now).unwrap();
    let (yp, episode) = store
        .write(&w.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Kai".into(),
                    family_name: "Lee".into(),
                    date_of_birth: Some(d("2009-05-01")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-03-03"),
                    triage_date: Some(d("2025-03-04")),
                    triage_outcome: Some("comprehensive_assessment".into()),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();
    Case {
        _dir: dir,
        path,
        store,
        worker: w.id,
        yp,
        episode,
        codes: CodeLists::embedded(),
    }
}

const TABLES: &[&str] = &[
    "assessments",
    "assessment_needs",
    "risk_assessments",
    "risk_flags",
    "risk_flag_events",
    "episodes",
    "outcome_profiles",
    "outcome_substance_days",
    "outcome_ratings",
    "audit_log",
];

/// Row counts read through a second connection to the file.
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

/// A form with every domain low, dated `on`.
fn low_risk(on: &str) -> AssessmentForm {
    let mut f = AssessmentForm::blank(d(on));
    for dm in RiskDomain::ALL {
        f.set_risk(dm, RiskLevel::Low, "");
    }
    f
}

fn save(
    c: &mut Case,
    form: &AssessmentForm,
    today: &str,
) -> anyhow::Result<assessments::SavedAssessment> {
    let (ep, codes) = (c.episode.clone(), c.codes.clone());
    let today = d(today);
    c.store.write(&c.worker, Clock::fixed(today).now(), |tx| {
        assessments::save_assessment(tx, &ep, form, &codes, today)
    })
}

fn invalid(e: &anyhow::Error) -> &Invalid {
    e.downcast_ref::<Invalid>()
        .unwrap_or_else(|| panic!("expected field problems, got: {e:#}"))
}

fn message<'a>(inv: &'a Invalid, field: &str) -> &'a str {
    inv.0
        .iter()
        .find(|f| f.field == field)
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| panic!("no problem at {field}: {inv}"))
}

#[test]
fn dash_fourteen_refers_to_marac_and_raises_a_high_flag_in_the_same_write() {
    let mut c = case();
    let mut f = low_risk("2025-03-10");
    f.dash_yes_count = Some(14);
    f.set_risk(
        RiskDomain::DomesticViolence,
        RiskLevel::High,
        "IDVA referral; safety plan",
    );
    f.needs.push(Need {
        domain: "housing".into(),
        need: "Sofa-surfing since February".into(),
    });
    let saved = save(&mut c, &f, "2025-03-10").unwrap();

    let a = assessments::assessment(&c.store, &saved.id)
        .unwrap()
        .unwrap();
    assert!(a.marac_referral);
    assert!(!a.professional_judgement());
    assert_eq!(a.dash_yes_count, Some(14));
    assert_eq!(a.risks.len(), 6);
    assert_eq!(a.risks[5].domain, RiskDomain::DomesticViolence);
    assert_eq!(a.risks[5].level, Some(RiskLevel::High));
    assert_eq!(a.needs[0].need, "Sofa-surfing since February");

    let flags = records::flags_of(&c.store, &c.yp).unwrap();
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert_eq!(Some(&flag.id), saved.marac_flag_id.as_ref());
    assert_eq!(flag.flag_type, "marac_referral");
    assert_eq!(flag.level, RiskLevel::High);
    assert_eq!(flag.raised_by, c.worker);
    assert_eq!(flag.raised_on, d("2025-03-10"));
    assert_eq!(flag.episode_id.as_deref(), Some(c.episode.as_str()));
    assert!(flag.action.contains("DASH 14 of 24"), "{}", flag.action);
    // A high flag raised without a review date is reviewed a week on.
    assert_eq!(flag.review_date, Some(d("2025-03-17")));

    // The episode's assessment date starts the review clock.
    let ep = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(ep.assessment_date, Some(d("2025-03-10")));

    // Every row came through the audited write, as the worker.
    let conn = keyed_open(&c.path).unwrap();
    let audited: Vec<String> = conn
        .prepare("SELECT table_name FROM audit_log WHERE actor_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([&c.worker], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let tail: Vec<&str> = audited[audited.len() - 11..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "assessments",
            "assessment_needs",
            "risk_assessments",
            "risk_assessments",
            "risk_assessments",
            "risk_assessments",
            "risk_assessments",
            "risk_assessments",
            "episodes",
            "risk_flags",
            "risk_flag_events",
        ]
    );
}

#[test]
fn dash_thirteen_without_judgement_makes_no_referral_and_judgement_alone_does() {
    let mut c = case();
    let mut f = low_risk("2025-03-10");
    f.dash_yes_count = Some(13);
    f.set_risk(
        RiskDomain::DomesticViolence,
        RiskLevel::Medium,
        "PIPPA referral",
    );
    let saved = save(&mut c, &f, "2025-03-10").unwrap();
    assert_eq!(saved.marac_flag_id, None);
    assert!(records::flags_of(&c.store, &c.yp).unwrap().is_empty());
    let a = assessments::assessment(&c.store, &saved.id)
        .unwrap()
        .unwrap();
    assert!(!a.marac_referral);

    f.date = d("2025-03-12");
    f.professional_judgement = true;
    let saved = save(&mut c, &f, "2025-03-12").unwrap();
    let flags = records::flags_of(&c.store, &c.yp).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].flag_type, "marac_referral");
    assert_eq!(flags[0].level, RiskLevel::High);
    assert!(flags[0].action.contains("professional judgement"));
    let a = assessments::assessment(&c.store, &saved.id)
        .unwrap()
        .unwrap();
    assert!(a.marac_referral && a.professional_judgement());
}

#[test]
fn chosen_medium_and_high_risks_become_flags_without_doubling() {
    let mut c = case();
    let mut f = low_risk("2025-03-10");
    f.set_risk(
        RiskDomain::SelfHarm,
        RiskLevel::Medium,
        "Safety plan; weekly check-in",
    );
    f.set_risk(
        RiskDomain::Housing,
        RiskLevel::Medium,
        "Housing options referral",
    );
    assert_eq!(f.flaggable(), [RiskDomain::SelfHarm, RiskDomain::Housing]);
    f.flag_domains = vec![RiskDomain::SelfHarm];
    let saved = save(&mut c, &f, "2025-03-10").unwrap();
    assert_eq!(saved.flag_ids.len(), 1);
    let flags = records::flags_of(&c.store, &c.yp).unwrap();
    assert_eq!(flags.len(), 1, "housing was offered but not chosen");
    assert_eq!(flags[0].flag_type, "self_harm");
    assert_eq!(flags[0].level, RiskLevel::Medium);
    assert_eq!(flags[0].action, "Safety plan; weekly check-in");
    assert_eq!(flags[0].review_date, Some(d("2025-04-07")));

    // A reassessment finds the risk high: the same flag goes up, no second flag.
    let mut again = f.clone();
    again.date = d("2025-03-24");
    again.set_risk(
        RiskDomain::SelfHarm,
        RiskLevel::High,
        "Crisis plan; CAMHS referral",
    );
    let saved2 = save(&mut c, &again, "2025-03-24").unwrap();
    assert_eq!(saved2.flag_ids, saved.flag_ids);
    let flags = records::flags_of(&c.store, &c.yp).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].level, RiskLevel::High);
    let kinds: Vec<String> = records::flag_history(&c.store, &flags[0].id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["raised", "level_changed"]);

    // The reassessment does not move the date the review clock started from.
    let ep = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(ep.assessment_date, Some(d("2025-03-10")));
    let all = assessments::assessments_of(&c.store, &c.episode).unwrap();
    assert_eq!(
        all.iter().map(|a| a.date).collect::<Vec<_>>(),
        [d("2025-03-24"), d("2025-03-10")]
    );
    assert_eq!(
        all[0].risks_needing_a_plan(),
        [
            (RiskDomain::SelfHarm, RiskLevel::High),
            (RiskDomain::Housing, RiskLevel::Medium)
        ]
    );
}

#[test]
fn a_bad_assessment_is_refused_at_its_fields_and_writes_nothing() {
    let mut c = case();
    let before = counts(&c.path);

    // Before triage, DASH out of range, a high risk with no plan.
    let mut f = low_risk("2025-03-03");
    f.dash_yes_count = Some(25);
    f.set_risk(RiskDomain::RiskToOthers, RiskLevel::High, " ");
    let e = save(&mut c, &f, "2025-03-10").unwrap_err();
    let inv = invalid(&e);
    assert!(message(inv, "date").contains("follows triage, which was on 2025-03-04"));
    assert!(message(inv, "dash_yes_count").contains("0 to 24"));
    assert!(message(inv, "risks.risk_to_others.action").contains("risk management action"));
    assert_eq!(inv.0.len(), 3, "{inv}");

    // In the future.
    let e = save(&mut c, &low_risk("2025-03-11"), "2025-03-10").unwrap_err();
    assert!(message(invalid(&e), "date").contains("in the future"));

    // Before the referral (and so before triage too).
    let e = save(&mut c, &low_risk("2025-02-28"), "2025-03-10").unwrap_err();
    assert!(message(invalid(&e), "date").contains("before the referral"));

    // A domain not assessed at all.
    let mut f = low_risk("2025-03-10");
    f.risks
        .retain(|r| r.domain != RiskDomain::SexualExploitation);
    let e = save(&mut c, &f, "2025-03-10").unwrap_err();
    assert!(message(invalid(&e), "risks.sexual_exploitation.level").contains("low, medium or high"));

    assert_eq!(counts(&c.path), before);
    let ep = records::episode(&c.store, &c.episode).unwrap().unwrap();
    assert_eq!(ep.assessment_date, None);
}

fn top(on: &str, occasion: Occasion, cannabis: i32, psych: i32, offending: i32) -> OutcomeProfile {
    let mut p = OutcomeProfile::blank(d(on), occasion);
    p.substance_days = vec![
        SubstanceDays {
            substance: "cannabis".into(),
            days: cannabis,
        },
        SubstanceDays {
            substance: "alcohol".into(),
            days: 4,
        },
    ];
    p.psychological_health = Some(psych);
    p.sharing = Some(false);
    p.accommodation = Some("at_risk_of_eviction".into());
    p.education_employment = Some("education".into());
    p.ratings = vec![
        AreaRating {
            area: AREA_OFFENDING.into(),
            rating: offending,
        },
        AreaRating {
            area: AREA_RELATIONSHIPS.into(),
            rating: 10,
        },
    ];
    p
}

#[test]
fn outcome_profiles_read_back_in_date_order_with_days_and_ratings() {
    let mut c = case();
    let ep = c.episode.clone();
    let codes = c.codes.clone();
    let today = d("2025-06-02");
    let (a, b) = (
        top("2025-06-02", Occasion::Review, 6, 13, 15),
        top("2025-03-10", Occasion::Start, 24, 8, 9),
    );
    c.store
        .write(&c.worker, Clock::fixed(today).now(), |tx| {
            assessments::record_outcome_profile(tx, &ep, &a, &codes, today)?;
            assessments::record_outcome_profile(tx, &ep, &b, &codes, today)
        })
        .unwrap();
    let profiles = assessments::outcome_profiles_of(&c.store, &c.episode).unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0].occasion, Occasion::Start);
    assert_eq!(profiles[0].substance_days, b.substance_days);
    assert_eq!(profiles[0].ratings, b.ratings);
    assert_eq!(
        profiles[0].accommodation.as_deref(),
        Some("at_risk_of_eviction")
    );
    assert_eq!(profiles[0].sharing, Some(false));
    assert_eq!(profiles[0].worker_id.as_deref(), Some(c.worker.as_str()));
    assert_eq!(profiles[1].psychological_health, Some(13));

    let series = trend(&profiles);
    let cannabis = series
        .iter()
        .find(|s| s.measure == Measure::SubstanceDays("cannabis".into()))
        .unwrap();
    assert_eq!(cannabis.values(), [24, 6]);
    let (first, last) = (&profiles[0], &profiles[1]);
    assert_eq!(
        improved(first, last, &Measure::SubstanceDays("cannabis".into())),
        Some(true)
    );
    assert_eq!(
        improved(first, last, &Measure::SubstanceDays("alcohol".into())),
        Some(false)
    );
    assert_eq!(
        improved(first, last, &Measure::Area(AREA_OFFENDING.into())),
        Some(true)
    );
    assert_eq!(
        improved(first, last, &Measure::Area(AREA_RELATIONSHIPS.into())),
        Some(false)
    );
}

#[test]
fn a_rating_of_25_or_29_days_is_refused_at_the_field_and_nothing_written() {
    let mut c = case();
    let before = counts(&c.path);
    let ep = c.episode.clone();
    let codes = c.codes.clone();
    let today = d("2025-06-02");
    let bad = top("2025-06-02", Occasion::Review, 29, 13, 25);
    let e = c
        .store
        .write(&c.worker, Clock::fixed(today).now(), |tx| {
            assessments::record_outcome_profile(tx, &ep, &bad, &codes, today)
        })
        .unwrap_err();
    let inv = invalid(&e);
    assert!(message(inv, "substance_days.cannabis").contains("0 to 28"));
    assert!(message(inv, "ratings.offending").contains("25 is off the scale"));
    assert_eq!(inv.0.len(), 2, "{inv}");
    assert_eq!(counts(&c.path), before);
}
