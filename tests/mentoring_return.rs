//! The Leicester return's mentor figures (L §10.3 A v, viii; B i–v) on a hand-worked fixture,
//! through the real store and the same counting as the export and the drill-down.
//!
//! Quarter: 2025-26 Q2 (1 July – 30 September 2025).
//!
//! Mentors: M1 Asha (female, H) recruited 10 Jul, Tier 1 20 Jul, Tier 2 2 Aug: recruited and
//! trained in Q. M2 Ben (male, A) recruited 6 Jan, trained 1 Feb, left 15 Sep (moved away).
//! M3 Cleo (female, M) recruited 30 Sep (the last day), in training.
//! Drives: D1 5 Jul (in Q), D0 1 Mar (not).
//! Sessions: T1 training session 15 Jul (M1, M3); T2 training course 2 Aug (M1); T0 training
//! session 30 Jun (M2, before Q); S1 support session 20 Aug (M1, M2); S2 support 1 Oct (after
//! Q); G1 group programme 5 Aug (the young person; not a mentor figure).
//! Complaints: C1 3 Jul about Priya (16: under 18, female, J), upheld; C2 1 Sep about no young
//! person, undecided; C0 30 Jun (before Q).

use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::mentoring::{Complaint, Mentor, MentoringEvent, RecruitmentDrive};
use casebook::domain::record::{Episode, Role, YoungPerson};
use casebook::returns::{self, explain_cell, Request, ReturnKind, Value};
use casebook::store::{mentoring, people, records, Store};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn q2() -> Quarter {
    Quarter::new(2025, 2).unwrap()
}

fn build() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-10-01")).now();
    let today = d("2025-10-01");
    let codes = CodeLists::embedded();
    let w = people::ensure_worker(&mut store, "Cara Coordinator", Role::Coordinator, now)
        .unwrap()
        .id;
    store
        .write(&w, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Priya".into(),
                    family_name: "Shah".into(),
                    date_of_birth: Some(d("2009-05-01")),
                    sex: Some("female".into()),
                    ethnicity: Some("J".into()),
                    ..Default::default()
                },
            )?;
            records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-01-02"),
                    ..Default::default()
                },
            )?;
            let drive = |start: &str, title: &str| RecruitmentDrive {
                start_date: d(start),
                title: title.into(),
                ..RecruitmentDrive::default()
            };
            let d1 = mentoring::add_drive(
                tx,
                &drive("2025-07-05", "University volunteering fair"),
                today,
            )?;
            mentoring::add_drive(tx, &drive("2025-03-01", "Library poster"), today)?;
            let base = |given: &str, gender: &str, eth: &str, recruited: &str| Mentor {
                given_name: given.into(),
                family_name: "Volunteer".into(),
                gender: Some(gender.into()),
                ethnicity: Some(eth.into()),
                recruited_on: Some(d(recruited)),
                status: "in_training".into(),
                ..Mentor::default()
            };
            let m1 = mentoring::add_mentor(
                tx,
                &codes,
                &Mentor {
                    recruitment_drive_id: Some(d1),
                    tier1_on: Some(d("2025-07-20")),
                    tier2_on: Some(d("2025-08-02")),
                    ..base("Asha", "female", "H", "2025-07-10")
                },
                today,
            )?;
            let m2 = mentoring::add_mentor(
                tx,
                &codes,
                &Mentor {
                    tier1_on: Some(d("2025-01-25")),
                    tier2_on: Some(d("2025-02-01")),
                    status: "left".into(),
                    left_on: Some(d("2025-09-15")),
                    leaving_reason: Some("Moved away".into()),
                    ..base("Ben", "male", "A", "2025-01-06")
                },
                today,
            )?;
            let m3 = mentoring::add_mentor(
                tx,
                &codes,
                &base("Cleo", "female", "M", "2025-09-30"),
                today,
            )?;
            let ev = |kind: &str, date: &str, title: &str| MentoringEvent {
                kind: kind.into(),
                date: d(date),
                title: title.into(),
                ..MentoringEvent::default()
            };
            let none: [String; 0] = [];
            mentoring::add_event(
                tx,
                &ev("training_session", "2025-07-15", "Boundaries"),
                &[m1.clone(), m3.clone()],
                &none,
                today,
            )?;
            mentoring::add_event(
                tx,
                &ev("training_course", "2025-08-02", "Tier 2 drug awareness"),
                std::slice::from_ref(&m1),
                &none,
                today,
            )?;
            mentoring::add_event(
                tx,
                &ev("training_session", "2025-06-30", "Induction"),
                std::slice::from_ref(&m2),
                &none,
                today,
            )?;
            mentoring::add_event(
                tx,
                &ev("support_session", "2025-08-20", "Support"),
                &[m1.clone(), m2.clone()],
                &none,
                today,
            )?;
            mentoring::add_event(
                tx,
                &ev("support_session", "2025-10-01", "Support"),
                std::slice::from_ref(&m1),
                &none,
                today,
            )?;
            mentoring::add_event(
                tx,
                &ev("group_programme", "2025-08-05", "Anger management"),
                &none,
                std::slice::from_ref(&yp),
                today,
            )?;
            let complaint =
                |on: &str, yp: Option<String>, outcome: Option<(&str, &str)>| Complaint {
                    received_on: d(on),
                    young_person_id: yp,
                    about: "Session cancelled late".into(),
                    outcome: outcome.map(|o| o.0.to_string()),
                    outcome_on: outcome.map(|o| d(o.1)),
                    ..Complaint::default()
                };
            mentoring::add_complaint(
                tx,
                &codes,
                &complaint(
                    "2025-07-03",
                    Some(yp.clone()),
                    Some(("upheld", "2025-07-20")),
                ),
                today,
            )?;
            mentoring::add_complaint(tx, &codes, &complaint("2025-09-01", None, None), today)?;
            mentoring::add_complaint(tx, &codes, &complaint("2025-06-30", None, None), today)?;
            Ok(())
        })
        .unwrap();
    store
}

#[test]
fn leicester_mentor_figures_match_the_hand_worked_figures() {
    let store = build();
    let ret = returns::compute(
        &store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &Request::new(ReturnKind::Leicester, q2(), d("2025-10-01")),
        &mut |_, _, _| {},
    )
    .unwrap();
    let v = |m: &str, b: &str, f: &str| {
        ret.value(m, b, f)
            .unwrap_or_else(|| panic!("no cell {m} {b} {f}"))
    };
    // A (v): attendances at training in Q: T1 M1, T1 M3, T2 M1 = 3 (T0 is before Q, S1 is
    // support). All mentors count in `other` (no dates of birth); M1 and M3 are female.
    assert_eq!(v("leic.a5", "total", "all"), Value::Int(3));
    assert_eq!(v("leic.a5", "total", "other"), Value::Int(3));
    assert_eq!(v("leic.a5", "total", "under_18"), Value::Int(0));
    assert_eq!(v("leic.a5", "total", "sex:female"), Value::Int(3));
    assert_eq!(v("leic.a5", "total", "ethnicity:H"), Value::Int(2));
    assert_eq!(v("leic.a5", "total", "ethnicity:M"), Value::Int(1));
    assert_eq!(v("leic.a5", "kind:training_session", "all"), Value::Int(2));
    assert_eq!(v("leic.a5", "kind:training_course", "all"), Value::Int(1));
    // A (viii): C1 (Priya, under 18, upheld) and C2 (nobody, undecided); C0 is before Q.
    assert_eq!(v("leic.a8", "total", "all"), Value::Int(2));
    assert_eq!(v("leic.a8", "total", "under_18"), Value::Int(1));
    assert_eq!(v("leic.a8", "total", "other"), Value::Int(1));
    assert_eq!(v("leic.a8", "total", "ethnicity:J"), Value::Int(1));
    assert_eq!(v("leic.a8", "outcome:upheld", "all"), Value::Int(1));
    assert_eq!(v("leic.a8", "outcome:not_recorded", "all"), Value::Int(1));
    // B (i): recruited in Q: M1 (10 Jul), M3 (30 Sep); trained in Q: M1 (2 Aug, the later tier).
    assert_eq!(v("leic.b1_recruited", "total", "all"), Value::Int(2));
    assert_eq!(v("leic.b1_recruited", "total", "sex:female"), Value::Int(2));
    assert_eq!(v("leic.b1_recruited", "total", "sex:male"), Value::Int(0));
    assert_eq!(v("leic.b1_trained", "total", "all"), Value::Int(1));
    assert_eq!(v("leic.b1_trained", "total", "ethnicity:H"), Value::Int(1));
    // B (ii): D1 only.
    assert_eq!(v("leic.b2", "total", "all"), Value::Int(1));
    // B (iii): T1 and T2, once each however many attended.
    assert_eq!(v("leic.b3", "total", "all"), Value::Int(2));
    assert_eq!(v("leic.b3", "kind:training_session", "all"), Value::Int(1));
    assert_eq!(v("leic.b3", "kind:training_course", "all"), Value::Int(1));
    // B (iv): S1 only (S2 is after Q).
    assert_eq!(v("leic.b4", "total", "all"), Value::Int(1));
    // B (v): M2 left 15 Sep, moved away; male, A.
    assert_eq!(v("leic.b5", "total", "all"), Value::Int(1));
    assert_eq!(v("leic.b5", "reason:moved_away", "all"), Value::Int(1));
    assert_eq!(v("leic.b5", "total", "sex:male"), Value::Int(1));
    assert_eq!(v("leic.b5", "total", "ethnicity:A"), Value::Int(1));
}

#[test]
fn the_drill_down_names_who_is_behind_each_mentor_figure() {
    let store = build();
    let ex = |m: &str, b: &str| {
        explain_cell(
            &store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            m,
            b,
            q2(),
            d("2025-10-01"),
        )
        .unwrap()
    };
    let names = |m: &str, b: &str| -> Vec<String> {
        ex(m, b).numerator.into_iter().map(|r| r.name).collect()
    };
    assert_eq!(
        names("leic.b1_recruited", "all"),
        vec!["Asha Volunteer", "Cleo Volunteer"]
    );
    assert_eq!(names("leic.b5", "reason:moved_away"), vec!["Ben Volunteer"]);
    assert_eq!(
        names("leic.b2", "all"),
        vec!["University volunteering fair"]
    );
    assert_eq!(names("leic.b4", "all"), vec!["Support"]);
    assert_eq!(
        names("leic.b3", "all"),
        vec!["Boundaries", "Tier 2 drug awareness"]
    );
    assert_eq!(
        names("leic.a5", "ethnicity:H"),
        vec![
            "Asha Volunteer at Boundaries",
            "Asha Volunteer at Tier 2 drug awareness"
        ]
    );
    let a8 = ex("leic.a8", "under_18");
    assert_eq!(a8.numerator.len(), 1);
    assert_eq!(a8.numerator[0].name, "Priya Shah");
    assert_eq!(ex("leic.a8", "all").numerator.len(), 2);
}

#[test]
fn every_leicester_figure_is_non_zero_on_a_demo_database() {
    let mut store = Store::open_in_memory().unwrap();
    let today = d("2026-01-15");
    casebook::demo::generate(
        &mut store,
        &casebook::demo::DemoOptions {
            people: 300,
            seed: 1,
        },
        today,
        Clock::fixed(today).now(),
    )
    .unwrap();
    let q = Quarter::new(2025, 3).unwrap(); // October – December 2025
    let ret = returns::compute(
        &store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &Request::new(ReturnKind::Leicester, q, today),
        &mut |_, _, _| {},
    )
    .unwrap();
    let zero: Vec<&str> = ReturnKind::Leicester
        .measures()
        .iter()
        .map(|m| m.id)
        .filter(|m| ret.value(m, "total", "all") == Some(Value::Int(0)))
        .collect();
    assert!(zero.is_empty(), "zero on the demo: {zero:?}");
    assert!(ReturnKind::Leicester
        .measures()
        .iter()
        .all(|m| ret.table(m.id).is_some()));
}

/// Section C, financial year 2025-26 (1 April 2025 – 31 March 2026), worked by hand:
///
/// - E1 Asha (GP yes), programme from 1 May 2025. Profiles 1 May and 1 Aug: substance use
///   5 → 9 (improved), relationships 8 → 8 (not), physical 10 → 12 (improved), psychological
///   9 → 8 (not), cannabis days 20 → 10 (reduced), education: none → education.
/// - E2 Bea (GP no), from 1 June 2025. One profile in the year (substance use 10); the one on
///   10 April 2026 is after the year: in no improvement figure; no education answer.
/// - E3 Cal (GP unknown), programme Oct 2024, exited 15 March 2025: not in the scheme in
///   the year at all.
/// - E4 Dee (GP yes), from 1 Sep 2025. Profiles 1 Sep and 1 Dec: substance use 12 → 11
///   (not), offending 5 → 10 (improved), education: training → none.
#[test]
fn section_c_matches_the_hand_worked_figures() {
    use casebook::domain::assessment::{AreaRating, Occasion, OutcomeProfile, SubstanceDays};
    use casebook::returns::leicester_annual;
    use casebook::store::assessments;

    let mut store = Store::open_in_memory().unwrap();
    let today = d("2026-05-01");
    let now = Clock::fixed(today).now();
    let w = people::ensure_worker(&mut store, "Cara Coordinator", Role::Coordinator, now)
        .unwrap()
        .id;
    type P<'a> = (
        &'a str,
        &'a [(&'a str, i32)],
        Option<(i32, i32)>,
        Option<i32>,
        Option<&'a str>,
    );
    let person = |name: &str, gp: Option<bool>, start: &str, exit: Option<&str>, profiles: &[P]| {
        let name = name.to_string();
        let start = d(start);
        let exit = exit.map(d);
        let profiles: Vec<OutcomeProfile> = profiles
            .iter()
            .enumerate()
            .map(|(i, (date, ratings, health, days, edu))| OutcomeProfile {
                ratings: ratings
                    .iter()
                    .map(|(a, r)| AreaRating {
                        area: a.to_string(),
                        rating: *r,
                    })
                    .collect(),
                physical_health: health.map(|h| h.0),
                psychological_health: health.map(|h| h.1),
                substance_days: days
                    .map(|n| {
                        vec![SubstanceDays {
                            substance: "cannabis".into(),
                            days: n,
                        }]
                    })
                    .unwrap_or_default(),
                education_employment: edu.map(str::to_string),
                ..OutcomeProfile::blank(
                    d(date),
                    if i == 0 {
                        Occasion::Start
                    } else {
                        Occasion::Review
                    },
                )
            })
            .collect();
        move |tx: &casebook::store::Tx| -> anyhow::Result<()> {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: name.clone(),
                    family_name: "Example".into(),
                    date_of_birth: Some(d("2009-01-01")),
                    gp_registered: gp,
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp,
                    referral_date: start - chrono::Duration::days(10),
                    triage_date: Some(start - chrono::Duration::days(9)),
                    assessment_date: Some(start - chrono::Duration::days(5)),
                    treatment_start: Some(start),
                    exit_date: exit,
                    exit_reason: exit.map(|_| "completed_drug_free".to_string()),
                    ..Default::default()
                },
            )?;
            for p in &profiles {
                assessments::record_outcome_profile(tx, &ep, p, &CodeLists::embedded(), today)?;
            }
            Ok(())
        }
    };
    let e1 = person(
        "Asha",
        Some(true),
        "2025-05-01",
        None,
        &[
            (
                "2025-05-01",
                &[("substance_use", 5), ("relationships", 8)],
                Some((10, 9)),
                Some(20),
                Some("none"),
            ),
            (
                "2025-08-01",
                &[("substance_use", 9), ("relationships", 8)],
                Some((12, 8)),
                Some(10),
                Some("education"),
            ),
        ],
    );
    let e2 = person(
        "Bea",
        Some(false),
        "2025-06-01",
        None,
        &[
            ("2025-06-01", &[("substance_use", 10)], None, None, None),
            ("2026-04-10", &[("substance_use", 15)], None, None, None),
        ],
    );
    let e3 = person(
        "Cal",
        None,
        "2024-10-01",
        Some("2025-03-15"),
        &[
            ("2024-10-01", &[("substance_use", 2)], None, None, None),
            ("2025-03-01", &[("substance_use", 9)], None, None, None),
        ],
    );
    let e4 = person(
        "Dee",
        Some(true),
        "2025-09-01",
        None,
        &[
            (
                "2025-09-01",
                &[("substance_use", 12), ("offending", 5)],
                None,
                None,
                Some("training"),
            ),
            (
                "2025-12-01",
                &[("substance_use", 11), ("offending", 10)],
                None,
                None,
                Some("none"),
            ),
        ],
    );
    store
        .write(&w, now, |tx| {
            e1(tx)?;
            e2(tx)?;
            e3(tx)?;
            e4(tx)
        })
        .unwrap();

    let c = leicester_annual::compute(&store, 2025).unwrap();
    assert_eq!(c.year, "2025-26");
    let f = |id: &str| {
        let f = c.figure(id).unwrap();
        (f.numerator, f.denominator, f.percentage, f.meets_target)
    };
    // a) substance use: E1 improved, E4 not: 1 of 2 = 50.0%, short of the 100% target.
    assert_eq!(
        f("leic.c.outcome_a"),
        (1, 2, Value::Tenths(500), Some(false))
    );
    // b) nobody rated: no percentage, no verdict.
    assert_eq!(f("leic.c.outcome_b"), (0, 0, Value::Missing, None));
    // f) relationships: E1 unchanged: 0 of 1, short of 70%.
    assert_eq!(f("leic.c.outcome_f"), (0, 1, Value::Tenths(0), Some(false)));
    // g) offending: E4 improved: 1 of 1, meets 40%.
    assert_eq!(
        f("leic.c.outcome_g"),
        (1, 1, Value::Tenths(1000), Some(true))
    );
    assert_eq!(f("leic.c.drug_days"), (1, 1, Value::Tenths(1000), None));
    // GP: Asha, Bea, Dee in the scheme; Asha and Dee registered: 2 of 3.
    assert_eq!(f("leic.c.gp_registered"), (2, 3, Value::Tenths(667), None));
    assert_eq!(
        f("leic.c.physical_health"),
        (1, 1, Value::Tenths(1000), None)
    );
    assert_eq!(
        f("leic.c.psychological_health"),
        (0, 1, Value::Tenths(0), None)
    );
    // Education: Asha's latest is education (counted), Dee's is none: 1 of 2.
    assert_eq!(
        f("leic.c.education_training"),
        (1, 2, Value::Tenths(500), None)
    );
    // The drill-down names who is behind a figure; the JSON names nobody.
    let behind: Vec<(&str, bool)> = c
        .figure("leic.c.outcome_a")
        .unwrap()
        .behind
        .iter()
        .map(|(i, met)| (c.episodes[*i].name.as_str(), *met))
        .collect();
    assert_eq!(behind, vec![("Asha Example", true), ("Dee Example", false)]);
    let json = c.to_json().unwrap();
    assert!(!json.contains("Asha") && !json.contains("YP-"));
    assert!(c.notes.iter().any(|n| n.contains("satisfaction audit")));
}

/// A complaint and a training session entered in error (`casebook mentors in-error`) no longer
/// count in A (viii) and A (v); a telephone message in error no longer waits for an answer
/// (its clock stops); an unknown kind of record is refused by name and nothing is written.
#[test]
fn mentoring_records_entered_in_error_no_longer_count() {
    let mut store = build();
    let now = Clock::fixed(d("2025-10-01")).now();
    let today = d("2025-10-01");
    let codes = CodeLists::embedded();
    let w = people::ensure_worker(&mut store, "Cara Coordinator", Role::Coordinator, now)
        .unwrap()
        .id;
    let count = |store: &Store, m: &str| {
        let ret = returns::compute(
            store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            &Request::new(ReturnKind::Leicester, q2(), today),
            &mut |_, _, _| {},
        )
        .unwrap();
        ret.value(m, "total", "all").unwrap()
    };
    let mentor = mentoring::mentors(&store).unwrap()[0].id.clone();
    let (complaint, training, message) = store
        .write(&w, now, |tx| {
            let c = mentoring::add_complaint(
                tx,
                &codes,
                &Complaint {
                    received_on: d("2025-08-11"),
                    about: "Typed twice".into(),
                    ..Complaint::default()
                },
                today,
            )?;
            let t = mentoring::add_event(
                tx,
                &MentoringEvent {
                    kind: "training_session".into(),
                    date: d("2025-08-12"),
                    title: "Wrong date".into(),
                    ..Default::default()
                },
                std::slice::from_ref(&mentor),
                &[],
                today,
            )?;
            let m = mentoring::add_message(
                tx,
                &casebook::domain::mentoring::TelephoneMessage {
                    received_on: d("2025-09-30"),
                    from_whom: "A parent".into(),
                    ..Default::default()
                },
                today,
            )?;
            Ok((c, t, m))
        })
        .unwrap();
    assert_eq!(
        count(&store, "leic.a8"),
        Value::Int(3),
        "C1, C2 and the new one"
    );
    assert_eq!(
        count(&store, "leic.a5"),
        Value::Int(4),
        "three and the new one"
    );
    let messages = |store: &Store| {
        mentoring::open_clocks(store, &Calendar::embedded(), today, None)
            .unwrap()
            .iter()
            .filter(|c| c.message_id.as_deref() == Some(message.as_str()))
            .count()
    };
    assert_eq!(messages(&store), 1);

    let refused = store.write(&w, now, |tx| {
        mentoring::mark_in_error(tx, "complaint", &complaint, "typed twice")?;
        mentoring::mark_in_error(tx, "meeting", &training, "wrong")
    });
    let e = format!("{:#}", refused.unwrap_err());
    assert!(e.contains("'meeting' is not a mentoring record"), "{e}");
    assert!(
        e.contains("session, match, event, complaint, message"),
        "{e}"
    );
    assert_eq!(count(&store, "leic.a8"), Value::Int(3), "nothing written");

    store
        .write(&w, now, |tx| {
            mentoring::mark_in_error(tx, "complaint", &complaint, "typed twice")?;
            mentoring::mark_in_error(tx, "event", &training, "wrong date")?;
            mentoring::mark_in_error(tx, "message", &message, "a wrong number")
        })
        .unwrap();
    assert_eq!(count(&store, "leic.a8"), Value::Int(2));
    assert_eq!(count(&store, "leic.a5"), Value::Int(3));
    assert_eq!(messages(&store), 0);
    assert!(mentoring::unanswered_messages(&store).unwrap().is_empty());
    // Twice is refused: it is in error already.
    assert!(store
        .write(&w, now, |tx| mentoring::mark_in_error(
            tx,
            "complaint",
            &complaint,
            "again"
        ))
        .is_err());
}
