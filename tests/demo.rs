//! `casebook demo`: synthetic casework through the store, read back from a real SQLite file.

mod common;
use common::*;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use casebook::demo::{generate, DemoOptions, DemoSummary, DEMO_ACTOR_NAME};
use casebook::domain::clock::Clock;
use casebook::store::{people, records, Store};
use chrono::NaiveDate;

const TODAY: &str = "2026-03-31";

fn today() -> NaiveDate {
    d(TODAY)
}

struct Demo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    summary: DemoSummary,
}

fn demo(people: usize, seed: u64) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let mut store = Store::open(&path, &test_key()).unwrap();
    let summary = generate(
        &mut store,
        &DemoOptions { people, seed },
        today(),
        Clock::fixed(today()).now(),
    )
    .unwrap();
    Demo {
        _dir: dir,
        path,
        summary,
    }
}

fn strings(path: &Path, sql: &str) -> Vec<String> {
    let c = keyed_open(path).unwrap();
    let mut s = c.prepare(sql).unwrap();
    s.query_map([], |r| r.get::<_, Option<String>>(0))
        .unwrap()
        .map(|r| r.unwrap().unwrap_or_default())
        .collect()
}

fn count(path: &Path, sql: &str) -> i64 {
    keyed_open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Each young person in the order written: names, date of birth, reference, and the referral
/// dates of their episodes in order.
type PersonLine = (String, String, String, String, Vec<String>);

fn people_and_referrals(path: &Path) -> Vec<PersonLine> {
    let c = keyed_open(path).unwrap();
    let mut out: Vec<PersonLine> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut s = c
        .prepare(
            "SELECT id, given_name, family_name, date_of_birth, reference FROM young_people
             ORDER BY rowid",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, given, family, dob, reference) = row.unwrap();
        index.insert(id, out.len());
        out.push((given, family, dob, reference, Vec::new()));
    }
    let mut s = c
        .prepare("SELECT young_person_id, referral_date FROM episodes ORDER BY rowid")
        .unwrap();
    let rows = s
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    for row in rows {
        let (yp, date) = row.unwrap();
        out[index[&yp]].4.push(date);
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_people_dates_and_references() {
    let a = demo(60, 7);
    let b = demo(60, 7);
    assert_eq!(a.summary, b.summary);
    let (pa, pb) = (people_and_referrals(&a.path), people_and_referrals(&b.path));
    assert_eq!(pa.len(), 60);
    assert_eq!(pa, pb);
    let codes = "SELECT referral_source || triage_outcome || coalesce(exit_reason, '') FROM episodes ORDER BY rowid";
    assert_eq!(strings(&a.path, codes), strings(&b.path, codes));
    let contacts = "SELECT date || contact_type || did_not_attend FROM contacts ORDER BY rowid";
    assert_eq!(strings(&a.path, contacts), strings(&b.path, contacts));
}

#[test]
fn another_seed_gives_other_people() {
    let a = people_and_referrals(&demo(60, 7).path);
    let b = people_and_referrals(&demo(60, 8).path);
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
    let same_name_and_birth = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| (&x.0, &x.1, &x.2) == (&y.0, &y.1, &y.2))
        .count();
    assert!(same_name_and_birth < 3, "{same_name_and_birth} of 60 alike");
}

#[test]
fn every_episode_keeps_the_order_of_the_journey_and_nothing_is_after_today() {
    let demo = demo(200, 3);
    let c = keyed_open(&demo.path).unwrap();
    let mut s = c
        .prepare(
            "SELECT referral_date, first_contact_date, triage_date, assessment_date,
                    treatment_start, care_plan_date, exit_date, exit_reason FROM episodes",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| {
            let dates: Vec<Option<String>> = (0..7).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            Ok((dates, r.get::<_, Option<String>>(7)?))
        })
        .unwrap();
    let mut n = 0;
    for row in rows {
        let (dates, exit_reason) = row.unwrap();
        let present: Vec<NaiveDate> = dates.iter().flatten().map(|s| d(s)).collect();
        assert!(
            present.windows(2).all(|w| w[0] <= w[1]),
            "out of order: {dates:?}"
        );
        assert!(
            present.iter().all(|x| *x <= today()),
            "after today: {dates:?}"
        );
        assert_eq!(dates[6].is_some(), exit_reason.is_some(), "{dates:?}");
        n += 1;
    }
    assert_eq!(n, demo.summary.episodes);

    // Everything dated hangs inside its episode and before today.
    let inside = |sql: &str| count(&demo.path, sql);
    let t = TODAY;
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM contacts x JOIN episodes e ON e.id = x.episode_id
             WHERE x.date < e.referral_date OR x.date > coalesce(e.exit_date, '{t}')
                OR x.dna_followed_up_on > '{t}' OR x.dna_followed_up_on < x.date"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM reviews x JOIN episodes e ON e.id = x.episode_id
             WHERE x.date <= e.assessment_date OR e.assessment_date IS NULL
                OR x.date >= coalesce(e.exit_date, '9999') OR x.date > '{t}'"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM outcome_profiles x JOIN episodes e ON e.id = x.episode_id
             WHERE x.date < e.treatment_start OR e.treatment_start IS NULL
                OR x.date > coalesce(e.exit_date, '{t}')"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM follow_ups x JOIN episodes e ON e.id = x.episode_id
             WHERE e.exit_date IS NULL OR x.date <= e.exit_date OR x.date > '{t}'"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM risk_flags f JOIN episodes e ON e.id = f.episode_id
             WHERE f.raised_on < e.referral_date OR f.raised_on > '{t}'
                OR f.closed_on < f.raised_on OR f.closed_on > '{t}'"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM risk_flag_events v JOIN risk_flags f ON f.id = v.flag_id
             WHERE v.date < f.raised_on OR v.date > '{t}'"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM referrals_out x JOIN episodes e ON e.id = x.episode_id
             WHERE x.date < e.referral_date OR x.date > '{t}'"
        )),
        0
    );
    assert_eq!(
        inside(&format!(
            "SELECT count(*) FROM outreach_tallies WHERE date > '{t}' OR date < '2024-03-31'"
        )),
        0
    );
    // A returning young person's second episode starts after the first one closed.
    assert_eq!(
        inside(
            "SELECT count(*) FROM episodes a JOIN episodes b
               ON a.young_person_id = b.young_person_id AND a.rowid < b.rowid
             WHERE a.exit_date IS NULL OR b.referral_date <= a.exit_date"
        ),
        0
    );
}

#[test]
fn every_audit_row_names_the_demo_actor() {
    let demo = demo(30, 11);
    let store = Store::open(&demo.path, &test_key()).unwrap();
    let actor = people::worker_by_name(&store, DEMO_ACTOR_NAME)
        .unwrap()
        .expect("the demo actor is a worker");
    drop(store);
    let actors = strings(&demo.path, "SELECT DISTINCT actor_id FROM audit_log");
    assert_eq!(actors, vec![actor.id]);
    assert!(count(&demo.path, "SELECT count(*) FROM audit_log") > 300);
}

#[test]
fn a_number_of_people_out_of_range_is_refused_and_nothing_is_written() {
    for people in [0, 9, 100_001] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("demo.db"), &test_key()).unwrap();
        let err = generate(
            &mut store,
            &DemoOptions { people, seed: 1 },
            today(),
            Clock::fixed(today()).now(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("people:"), "{err}");
        assert!(err.contains("10 to 100000"), "{err}");
        assert!(err.contains(&people.to_string()), "{err}");
        for (table, n) in records::record_counts(&store).unwrap() {
            assert_eq!(n, 0, "{table} was written to");
        }
    }
}

#[test]
fn a_database_that_already_holds_casework_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("demo.db"), &test_key()).unwrap();
    let now = Clock::fixed(today()).now();
    let opts = DemoOptions {
        people: 10,
        seed: 1,
    };
    generate(&mut store, &opts, today(), now).unwrap();
    let before = records::record_counts(&store).unwrap();
    let err = generate(&mut store, &opts, today(), now)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already holds casework"), "{err}");
    assert_eq!(records::record_counts(&store).unwrap(), before);
}

#[test]
fn the_summary_counts_what_is_in_the_database() {
    let demo = demo(120, 5);
    let s = demo.summary;
    let counts: HashMap<&str, i64> =
        records::record_counts(&Store::open(&demo.path, &test_key()).unwrap())
            .unwrap()
            .into_iter()
            .collect();
    let pairs = [
        ("workers", s.workers),
        ("young_people", s.young_people),
        ("episodes", s.episodes),
        ("contacts", s.contacts),
        ("risk_flags", s.risk_flags),
        ("reviews", s.reviews),
        ("outreach_tallies", s.outreach_tallies),
        ("outcome_profiles", s.outcome_profiles),
        ("referrals_out", s.referrals_out),
        ("follow_ups", s.follow_ups),
        ("triages", s.triages),
        ("assessments", s.assessments),
        ("care_plans", s.care_plans),
    ];
    for (table, n) in pairs {
        assert_eq!(counts[table], n as i64, "{table}");
    }
    assert_eq!(s.young_people, 120);
    assert_eq!(
        count(
            &demo.path,
            "SELECT count(*) FROM contacts WHERE did_not_attend = 1"
        ),
        s.did_not_attend as i64
    );
    assert_eq!(
        count(
            &demo.path,
            "SELECT count(*) FROM (SELECT young_person_id FROM episodes
             GROUP BY young_person_id HAVING count(*) > 1)"
        ),
        s.returning_young_people as i64
    );
    // About ten casework contacts per young person (mentor sessions are weekly, on top).
    let casework = s.contacts - s.mentoring.contacts;
    let per_person = casework as f64 / s.young_people as f64;
    assert!((7.0..=14.0).contains(&per_person), "{per_person}");
}

const PLANNED: &[&str] = &[
    "completed_drug_free",
    "transfer_adult_services",
    "referral_more_appropriate",
];
const UNPLANNED: &[&str] = &[
    "self_exit",
    "disciplinary",
    "remanded_custody",
    "declined_treatment",
    "moved_away",
];

fn in_list(list: &[&str]) -> String {
    let quoted: Vec<String> = list.iter().map(|c| format!("'{c}'")).collect();
    format!("({})", quoted.join(", "))
}

#[test]
fn two_hundred_young_people_show_every_kind_of_case() {
    let demo = demo(200, 42);
    let p = &demo.path;
    let t = TODAY;
    let n = |sql: &str| count(p, sql);
    assert!(
        n(&format!(
            "SELECT count(*) FROM episodes WHERE exit_reason IN {}",
            in_list(PLANNED)
        )) > 0
    );
    assert!(
        n(&format!(
            "SELECT count(*) FROM episodes WHERE exit_reason IN {}",
            in_list(UNPLANNED)
        )) > 0
    );
    assert!(n("SELECT count(*) FROM contacts WHERE did_not_attend = 1") > 0);
    assert!(n("SELECT count(*) FROM risk_flags WHERE closed_on IS NULL AND level = 'high'") > 0);
    assert!(
        n(&format!(
            "SELECT count(*) FROM risk_flags WHERE closed_on IS NULL AND review_date < '{t}'"
        )) > 0,
        "an overdue flag review"
    );
    assert!(n("SELECT count(*) FROM risk_flags WHERE closed_on IS NOT NULL") > 0);
    assert!(n("SELECT count(*) FROM risk_flag_events WHERE kind = 'reviewed'") > 0);
    for level in ["low", "medium", "high"] {
        assert!(
            n(&format!(
                "SELECT count(*) FROM risk_flags WHERE level = '{level}'"
            )) > 0,
            "{level}"
        );
    }
    // Open episodes, some still waiting at each stage or with a review overdue.
    assert!(n("SELECT count(*) FROM episodes WHERE exit_date IS NULL") > 10);
    assert!(
        n(&format!(
            "SELECT count(*) FROM episodes e WHERE exit_date IS NULL AND assessment_date IS NOT NULL
               AND date(coalesce((SELECT max(date) FROM reviews r WHERE r.episode_id = e.id),
                                 assessment_date), '+84 days') < '{t}'"
        )) > 0,
        "an overdue care plan review"
    );
    assert!(
        n(&format!(
            "SELECT count(*) FROM contacts WHERE did_not_attend = 1 AND dna_followed_up_on IS NULL
               AND date < '{t}'"
        )) > 0,
        "a DNA awaiting follow-up"
    );
    assert!(n("SELECT count(*) FROM reviews") > 0);
    assert!(n("SELECT count(*) FROM follow_ups") > 0);
    assert!(n("SELECT count(*) FROM episodes WHERE joint_worked = 1") > 0);
    assert!(
        n("SELECT count(*) FROM episodes WHERE key_worker_id IS NULL AND triage_date IS NOT NULL")
            > 0
    );
    assert!(demo.summary.returning_young_people > 0);
    assert!(demo.summary.outreach_tallies >= 100);

    // Every triage outcome, and the age spread of S §11.2: mostly 11–24, a few outside.
    let outcomes: HashSet<String> = strings(
        p,
        "SELECT DISTINCT triage_outcome FROM episodes WHERE triage_outcome IS NOT NULL",
    )
    .into_iter()
    .collect();
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    let outside = n("SELECT count(*) FROM young_people yp WHERE EXISTS (
            SELECT 1 FROM episodes e WHERE e.young_person_id = yp.id
              AND (date(yp.date_of_birth, '+11 years') > e.referral_date
                   OR date(yp.date_of_birth, '+25 years') <= e.referral_date))");
    assert!(outside > 0 && outside < 20, "{outside} outside 11–24");

    // Names in other scripts and with accents.
    let names = strings(
        p,
        "SELECT given_name || ' ' || family_name FROM young_people",
    );
    assert!(names.iter().any(|s| !s.is_ascii()));
    assert!(names.iter().any(|s| {
        s.chars().any(|c| {
            ('\u{0600}'..='\u{06ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c)
        })
    }));
}

#[test]
fn every_code_written_comes_from_the_fixed_lists() {
    use casebook::domain::codes::{CodeLists, ListName};
    let demo = demo(300, 9);
    let p = &demo.path;
    let codes = CodeLists::embedded();
    // Every coded column the demo writes, checked against the shipped code lists exactly
    // (the stored value must be the canonical code, not a label or a near miss).
    let columns = [
        (ListName::ReferralSources, "referral_source", "episodes"),
        (ListName::TriageOutcomes, "triage_outcome", "episodes"),
        (ListName::ExitReasons, "exit_reason", "episodes"),
        (ListName::Interventions, "intervention", "episodes"),
        (ListName::Sex, "sex", "young_people"),
        (ListName::Ethnicity, "ethnicity", "young_people"),
        (ListName::RiskTypes, "flag_type", "risk_flags"),
        (ListName::ContactTypes, "contact_type", "contacts"),
        (ListName::ReferralServices, "service", "referrals_out"),
        (ListName::OutreachSettings, "setting", "outreach_tallies"),
        (ListName::AgeBands, "age_band", "outreach_tallies"),
        (ListName::Sex, "gender", "outreach_tallies"),
        (
            ListName::BriefInterventions,
            "brief_intervention",
            "outreach_tallies",
        ),
        (ListName::Injecting, "injecting", "triages"),
        (ListName::Substances, "substance", "episode_substances"),
        (ListName::Routes, "route", "episode_substances"),
        (
            ListName::Vulnerabilities,
            "code",
            "young_person_vulnerabilities",
        ),
        (ListName::NeedDomains, "domain", "assessment_needs"),
        (ListName::LifeDomains, "domain", "care_plan_goals"),
    ];
    for (list, column, table) in columns {
        let sql = format!("SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL");
        let found = strings(p, &sql);
        assert!(!found.is_empty(), "the demo writes no {column} in {table}");
        for code in found {
            assert!(
                codes.list(list).get(&code).is_some(),
                "{table}.{column} = '{code}' is not a code of {list}"
            );
        }
    }
    // Both exit categories occur.
    let exits = strings(
        p,
        "SELECT DISTINCT exit_reason FROM episodes WHERE exit_reason IS NOT NULL",
    );
    assert!(exits.iter().any(|c| codes.exit_is_planned(c) == Some(true)));
    assert!(exits
        .iter()
        .any(|c| codes.exit_is_planned(c) == Some(false)));
}

#[test]
fn each_milestone_has_the_record_behind_it_dated_as_the_episode_says() {
    let demo = demo(150, 4);
    let p = &demo.path;
    let n = |sql: &str| count(p, sql);
    // Every triaged episode has its triage answers (same date and outcome) and a primary
    // substance; every assessed one an assessment on its assessment date with all six risk
    // domains; every one with a care plan date a care plan (version 1) of that date with goals.
    let triaged = n("SELECT count(*) FROM episodes WHERE triage_date IS NOT NULL");
    assert!(triaged > 50, "{triaged}");
    assert_eq!(
        n(
            "SELECT count(*) FROM episodes e JOIN triages t ON t.episode_id = e.id
            AND t.date = e.triage_date AND t.outcome = e.triage_outcome"
        ),
        triaged
    );
    assert_eq!(
        n("SELECT count(DISTINCT episode_id) FROM episode_substances WHERE rank = 1"),
        triaged
    );
    let assessed = n("SELECT count(*) FROM episodes WHERE assessment_date IS NOT NULL");
    assert!(assessed > 20, "{assessed}");
    assert_eq!(
        n(
            "SELECT count(*) FROM episodes e JOIN assessments a ON a.episode_id = e.id
            AND a.date = e.assessment_date"
        ),
        assessed
    );
    assert_eq!(n("SELECT count(*) FROM risk_assessments"), assessed * 6);
    assert!(n("SELECT count(*) FROM assessment_needs") >= assessed);
    let planned = n("SELECT count(*) FROM episodes WHERE care_plan_date IS NOT NULL");
    assert!(planned > 20, "{planned}");
    assert_eq!(
        n(
            "SELECT count(*) FROM episodes e JOIN care_plans c ON c.episode_id = e.id
            AND c.date = e.care_plan_date AND c.version = 1 AND c.interim = 0"
        ),
        planned
    );
    assert!(n("SELECT count(*) FROM care_plan_goals") >= planned);
    // None of them raised a flag: every flag is one the plan chose (raised by a worker, with
    // an action from the demo's list), so the flag counts stay as they were.
    assert_eq!(
        n("SELECT count(*) FROM risk_flags"),
        demo.summary.risk_flags as i64
    );
    assert!(n("SELECT count(*) FROM young_person_vulnerabilities") > 0);
}
