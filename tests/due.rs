//! The due-list on a hand-worked fixture: groups, risk-weighted order and its reasons.
//! Today is Wednesday 27 August 2025; Monday 25 August 2025 was the summer bank holiday.

use casebook::domain::calendar::Calendar;
use casebook::domain::clock::Clock;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Role, YoungPerson};
use casebook::domain::urgency::DueGroup;
use casebook::due::{due_list, DueFilter};
use casebook::store::{people, records, Store};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Fixture {
    store: Store,
    key_worker: String,
}

fn person(store: &mut Store, actor: &str, name: &str, ep: Episode, flag: Option<RiskLevel>) {
    let now = Clock::fixed(d("2025-08-27")).now();
    store
        .write(actor, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: name.into(),
                    family_name: "Fixture".into(),
                    date_of_birth: Some(d("2009-01-15")),
                    ..Default::default()
                },
            )?;
            let start = ep.treatment_start;
            let ep_id = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    ..ep
                },
            )?;
            // Outcome profile recorded at treatment start, as KPI 6a expects.
            if let Some(start) = start {
                records::add_outcome_profile(tx, &ep_id, start, "start")?;
            }
            if let Some(level) = flag {
                records::raise_flag(
                    tx,
                    &RiskFlag {
                        id: String::new(),
                        young_person_id: yp,
                        episode_id: None,
                        flag_type: "self_harm".into(),
                        level,
                        raised_by: actor.into(),
                        raised_on: d("2025-05-01"),
                        action: "Safety plan".into(),
                        review_date: Some(d("2025-09-30")),
                        closed_on: None,
                        closed_by: None,
                        close_reason: None,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
}

fn assessed(referral: &str, assessment: &str, worker: &str) -> Episode {
    Episode {
        referral_date: d(referral),
        triage_date: Some(d(referral)),
        triage_outcome: Some("comprehensive_assessment".into()),
        first_contact_date: Some(d(referral)),
        assessment_date: Some(d(assessment)),
        treatment_start: Some(d(assessment)),
        care_plan_date: Some(d(assessment)),
        key_worker_id: Some(worker.into()),
        ..Default::default()
    }
}

fn fixture() -> Fixture {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-08-27")).now();
    let w = people::ensure_worker(&mut store, "Kim Keyworker", Role::Outreach, now).unwrap();
    let other = people::ensure_worker(&mut store, "Ola Other", Role::Duty, now).unwrap();
    // Anna: referred Friday 22 Aug; Monday was a bank holiday, so triage is due Wednesday 27th.
    person(
        &mut store,
        &w.id,
        "Anna",
        Episode {
            referral_date: d("2025-08-22"),
            key_worker_id: Some(w.id.clone()),
            ..Default::default()
        },
        Some(RiskLevel::High),
    );
    // Ben: referred Monday 18 Aug, triage due Wednesday 20th: 4 working days overdue
    // (21, 22, 26, 27 — the 25th was a holiday). No risk flag.
    person(
        &mut store,
        &w.id,
        "Ben",
        Episode {
            referral_date: d("2025-08-18"),
            key_worker_id: Some(other.id.clone()),
            ..Default::default()
        },
        None,
    );
    // Cara: assessed 28 May, first review due 20 Aug (84 days): 7 days overdue, high risk.
    person(
        &mut store,
        &w.id,
        "Cara",
        assessed("2025-05-21", "2025-05-28", &w.id),
        Some(RiskLevel::High),
    );
    // Dev: assessed 27 May, review due 19 Aug: 8 days overdue, low risk.
    person(
        &mut store,
        &w.id,
        "Dev",
        assessed("2025-05-20", "2025-05-27", &w.id),
        Some(RiskLevel::Low),
    );
    Fixture {
        store,
        key_worker: w.id,
    }
}

fn rows(entries: &[casebook::due::DueEntry]) -> Vec<(String, DueKind, DueGroup, i64, String)> {
    entries
        .iter()
        .map(|e| (e.name.clone(), e.kind, e.group, e.days_left, e.why.clone()))
        .collect()
}

#[test]
fn the_due_list_puts_high_risk_lateness_first_and_says_why() {
    let f = fixture();
    let cal = Calendar::embedded();
    let codes = CodeLists::embedded();
    let filter = DueFilter {
        horizon_days: Some(28),
        ..Default::default()
    };
    let entries = due_list(&f.store, &cal, &codes, d("2025-08-27"), &filter).unwrap();
    let got = rows(&entries);
    let review = DueKind::Review;
    let expected = vec![
        (
            "Cara Fixture".to_string(),
            review,
            DueGroup::Overdue,
            -7,
            "7 days overdue + high risk (+10) = 17".to_string(),
        ),
        (
            "Dev Fixture".to_string(),
            review,
            DueGroup::Overdue,
            -8,
            "8 days overdue; low risk".to_string(),
        ),
        (
            "Ben Fixture".to_string(),
            DueKind::Triage,
            DueGroup::Overdue,
            -4,
            "4 working days overdue; no active risk flag".to_string(),
        ),
        (
            "Anna Fixture".to_string(),
            DueKind::Triage,
            DueGroup::Today,
            0,
            "due today; high risk".to_string(),
        ),
    ];
    // The review TOPs (due with each review) are not yet due: reviews have not been held.
    assert_eq!(got, expected);
}

#[test]
fn the_due_list_filters_by_worker_and_kind_and_horizon() {
    let f = fixture();
    let cal = Calendar::embedded();
    let codes = CodeLists::embedded();
    let today = d("2025-08-27");
    let mine = due_list(
        &f.store,
        &cal,
        &codes,
        today,
        &DueFilter {
            worker_id: Some(f.key_worker.clone()),
            horizon_days: Some(28),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(mine.iter().all(|e| e.name != "Ben Fixture"), "Ben is Ola's");
    assert_eq!(mine.len(), 3);

    let triage_only = due_list(
        &f.store,
        &cal,
        &codes,
        today,
        &DueFilter {
            kind: Some(DueKind::Triage),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(triage_only.len(), 2);

    // Without a horizon the flag reviews of 30 September appear, in the "later" group.
    let everything = due_list(&f.store, &cal, &codes, today, &DueFilter::default()).unwrap();
    let flag_reviews: Vec<_> = everything
        .iter()
        .filter(|e| e.kind == DueKind::RiskFlagReview)
        .collect();
    assert_eq!(flag_reviews.len(), 3);
    assert!(flag_reviews.iter().all(|e| e.group == DueGroup::Later));
}

#[test]
fn as_of_a_later_date_the_same_items_are_later_still() {
    let f = fixture();
    let cal = Calendar::embedded();
    let codes = CodeLists::embedded();
    let entries = due_list(
        &f.store,
        &cal,
        &codes,
        d("2025-09-03"),
        &DueFilter {
            kind: Some(DueKind::Triage),
            ..Default::default()
        },
    )
    .unwrap();
    let anna = entries.iter().find(|e| e.name == "Anna Fixture").unwrap();
    // Due 27 Aug; by Wednesday 3 Sept: 28, 29 Aug, 1, 2, 3 Sept = 5 working days.
    assert_eq!(anna.days_left, -5);
    assert_eq!(anna.group, DueGroup::Overdue);
}

#[test]
fn a_dna_follow_up_stops_when_the_episode_exits() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-08-27")).now();
    let w = people::ensure_worker(&mut store, "Kim Keyworker", Role::Outreach, now).unwrap();
    let (yp, ep) = store
        .write(&w.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Eve".into(),
                    family_name: "Fixture".into(),
                    date_of_birth: Some(d("2009-01-15")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-07-01"),
                    key_worker_id: Some(w.id.clone()),
                    ..Default::default()
                },
            )?;
            records::add_contact(
                tx,
                &Contact {
                    young_person_id: yp.clone(),
                    episode_id: Some(ep.clone()),
                    date: d("2025-08-11"),
                    contact_type: "face_to_face".into(),
                    did_not_attend: true,
                    worker_id: Some(w.id.clone()),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();
    let cal = Calendar::embedded();
    let codes = CodeLists::embedded();
    let dnas = |store: &Store| {
        due_list(store, &cal, &codes, d("2025-08-27"), &DueFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == DueKind::DnaFollowUp)
            .count()
    };
    assert_eq!(
        dnas(&store),
        1,
        "the missed appointment is due for follow-up"
    );

    let mut episode = records::episode(&store, &ep).unwrap().unwrap();
    episode.exit_date = Some(d("2025-08-20"));
    episode.exit_reason = Some("treatment_withdrawn".into());
    store
        .write(&w.id, now, |tx| records::update_episode(tx, &episode))
        .unwrap();
    assert_eq!(
        dnas(&store),
        0,
        "after the exit the DNA is history, not a due item"
    );
    assert!(people::young_person(&store, &yp).unwrap().is_some());
}
