//! The mentoring project's record (L §5–7) through the real store: audited writes, refusals
//! that write nothing, the board and the open mentoring clocks.

use casebook::domain::calendar::Calendar;
use casebook::domain::clock::Clock;
use casebook::domain::codes::CodeLists;
use casebook::domain::mentoring::{
    ClockKind, Complaint, Match, Mentor, MentorSession, MentoringEvent, Preferences,
    RecruitmentDrive, TelephoneMessage,
};
use casebook::domain::record::{Episode, Role, YoungPerson};
use casebook::domain::validate::Invalid;
use casebook::store::{mentoring, people, records, Store};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Fx {
    store: Store,
    worker: String,
    codes: CodeLists,
    episode: String,
    young_person: String,
}

fn fixture() -> Fx {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d("2025-01-02")).now();
    let w = people::ensure_worker(&mut store, "Cara Coordinator", Role::Coordinator, now)
        .unwrap()
        .id;
    let (yp, ep) = store
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
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-01-02"),
                    referral_source: Some("social_services".into()),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();
    Fx {
        store,
        worker: w,
        codes: CodeLists::embedded(),
        episode: ep,
        young_person: yp,
    }
}

fn mentor(given: &str, gender: &str, eth: &str) -> Mentor {
    Mentor {
        given_name: given.into(),
        family_name: "Volunteer".into(),
        gender: Some(gender.into()),
        ethnicity: Some(eth.into()),
        recruited_on: Some(d("2025-01-06")),
        check_date: Some(d("2025-01-20")),
        check_result: Some("clear".into()),
        references_on: Some(d("2025-01-21")),
        commitment_start: Some(d("2025-02-03")),
        tier1_on: Some(d("2025-01-25")),
        tier2_on: Some(d("2025-02-01")),
        status: "active".into(),
        ..Mentor::default()
    }
}

fn invalid(e: &anyhow::Error) -> &Invalid {
    e.downcast_ref::<Invalid>()
        .unwrap_or_else(|| panic!("expected a refusal, got {e:#}"))
}

fn field_of(e: &anyhow::Error, field: &str) -> String {
    invalid(e)
        .0
        .iter()
        .find(|f| f.field == field)
        .map(|f| f.message.clone())
        .unwrap_or_else(|| panic!("no message at {field}: {e:#}"))
}

#[test]
fn a_mentor_cannot_be_matched_before_checks_and_training_and_nothing_is_written() {
    let mut fx = fixture();
    let now = Clock::fixed(d("2025-03-01")).now();
    let today = d("2025-03-01");
    let mut m = mentor("Asha", "female", "H");
    m.tier2_on = None;
    m.status = "in_training".into();
    let codes = fx.codes.clone();
    let id = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::add_mentor(tx, &codes, &m, today)
        })
        .unwrap();
    let ep = fx.episode.clone();
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: ep.clone(),
                    mentor_id: id.clone(),
                    start_date: d("2025-02-20"),
                    ..Match::default()
                },
                today,
            )
        })
        .unwrap_err();
    assert!(field_of(&err, "mentor").contains("Tier 2"));
    assert!(mentoring::matches_of_episode(&fx.store, &fx.episode)
        .unwrap()
        .is_empty());
    // Training recorded: the match goes through.
    let mut ready = mentoring::mentor(&fx.store, &id).unwrap().unwrap();
    ready.tier2_on = Some(d("2025-02-01"));
    ready.status = "active".into();
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::update_mentor(tx, &codes, &ready, today)
        })
        .unwrap();
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: ep.clone(),
                    mentor_id: id.clone(),
                    start_date: d("2025-02-20"),
                    ..Match::default()
                },
                today,
            )
        })
        .unwrap();
    assert_eq!(
        mentoring::matches_of_episode(&fx.store, &fx.episode)
            .unwrap()
            .len(),
        1
    );
}

fn matched(fx: &mut Fx) -> (String, String) {
    let now = Clock::fixed(d("2025-03-01")).now();
    let today = d("2025-03-01");
    let codes = fx.codes.clone();
    let ep = fx.episode.clone();
    fx.store
        .write(&fx.worker, now, |tx| {
            let m = mentoring::add_mentor(tx, &codes, &mentor("Asha", "female", "H"), today)?;
            let id = mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: ep.clone(),
                    mentor_id: m.clone(),
                    start_date: d("2025-02-10"),
                    ..Match::default()
                },
                today,
            )?;
            Ok((m, id))
        })
        .unwrap()
}

#[test]
fn a_session_dated_before_the_match_is_refused_and_writes_no_contact() {
    let mut fx = fixture();
    let (_, match_id) = matched(&mut fx);
    let now = Clock::fixed(d("2025-03-01")).now();
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: match_id.clone(),
                    date: d("2025-02-09"),
                    attendance: "attended".into(),
                    ..MentorSession::default()
                },
                None,
                d("2025-03-01"),
            )
        })
        .unwrap_err();
    assert!(field_of(&err, "date").contains("before the match start (2025-02-10)"));
    assert!(mentoring::sessions_of_match(&fx.store, &match_id)
        .unwrap()
        .is_empty());
    let contacts = records::contacts_of(&fx.store, &fx.young_person, 10, 0).unwrap();
    assert!(contacts.is_empty());

    // A good one writes the session and its contact.
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: match_id.clone(),
                    date: d("2025-02-17"),
                    attendance: "did not attend".into(),
                    place: Some("YMCA café".into()),
                    activity: Some("Talked about college".into()),
                    ..MentorSession::default()
                },
                None,
                d("2025-03-01"),
            )
        })
        .unwrap();
    let contacts = records::contacts_of(&fx.store, &fx.young_person, 10, 0).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].contact_type, "mentor_session");
    assert!(contacts[0].did_not_attend);
    assert_eq!(
        mentoring::missed_sessions_open(&fx.store, &match_id).unwrap(),
        vec![d("2025-02-17")]
    );
    // The next session attended follows the missed one up.
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: match_id.clone(),
                    date: d("2025-02-24"),
                    attendance: "attended".into(),
                    ..MentorSession::default()
                },
                None,
                d("2025-03-01"),
            )
        })
        .unwrap();
    assert!(mentoring::missed_sessions_open(&fx.store, &match_id)
        .unwrap()
        .is_empty());
}

#[test]
fn a_match_cannot_end_before_it_starts_nor_before_its_last_session() {
    let mut fx = fixture();
    let (_, match_id) = matched(&mut fx);
    let now = Clock::fixed(d("2025-03-01")).now();
    let codes = fx.codes.clone();
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::end_match(
                tx,
                &codes,
                &match_id,
                d("2025-02-01"),
                "moved_away",
                d("2025-03-01"),
            )
        })
        .unwrap_err();
    assert!(field_of(&err, "end_date").contains("before the match start"));
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: match_id.clone(),
                    date: d("2025-02-24"),
                    attendance: "attended".into(),
                    ..MentorSession::default()
                },
                None,
                d("2025-03-01"),
            )
        })
        .unwrap();
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::end_match(
                tx,
                &codes,
                &match_id,
                d("2025-02-20"),
                "moved_away",
                d("2025-03-01"),
            )
        })
        .unwrap_err();
    assert!(field_of(&err, "end_date").contains("2025-02-24"));
    assert_eq!(
        mentoring::get_match(&fx.store, &match_id)
            .unwrap()
            .unwrap()
            .end_date,
        None
    );
}

#[test]
fn a_mentor_leaving_before_recruitment_is_refused_and_not_saved() {
    let mut fx = fixture();
    let now = Clock::fixed(d("2025-03-01")).now();
    let codes = fx.codes.clone();
    let mut m = mentor("Dev", "male", "H");
    m.status = "left".into();
    m.left_on = Some(d("2025-01-01"));
    m.leaving_reason = Some("moved_away".into());
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::add_mentor(tx, &codes, &m, d("2025-03-01"))
        })
        .unwrap_err();
    assert!(field_of(&err, "left_on").contains("before the date recruited (2025-01-06)"));
    assert!(mentoring::mentors(&fx.store).unwrap().is_empty());
}

#[test]
fn suggestions_come_from_the_record_with_reasons() {
    let mut fx = fixture();
    let now = Clock::fixed(d("2025-03-01")).now();
    let today = d("2025-03-01");
    let codes = fx.codes.clone();
    let ep = fx.episode.clone();
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_mentor(tx, &codes, &mentor("Ben", "male", "A"), today)?;
            mentoring::add_mentor(tx, &codes, &mentor("Asha", "female", "H"), today)?;
            mentoring::set_preferences(
                tx,
                &ep,
                &Preferences {
                    mentor_gender: Some("female".into()),
                    same_background: false,
                    language: None,
                },
            )
        })
        .unwrap();
    let s = mentoring::suggestions(&fx.store, &fx.episode).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].name, "Asha Volunteer");
    assert!(s[0]
        .reasons
        .contains(&"is female, as the young person asked".to_string()));
    assert!(s[0]
        .reasons
        .contains(&"same broad ethnic group".to_string()));
}

#[test]
fn open_clocks_list_contact_support_commitment_renewal_and_messages() {
    let mut fx = fixture();
    let (mentor_id, _match_id) = matched(&mut fx);
    let now = Clock::fixed(d("2025-05-23")).now();
    let codes = fx.codes.clone();
    let yp = fx.young_person.clone();
    fx.store
        .write(&fx.worker, now, |tx| {
            mentoring::add_event(
                tx,
                &MentoringEvent {
                    kind: "support_session".into(),
                    date: d("2025-05-12"),
                    title: "Six-weekly support".into(),
                    facilitator: Some("Cara".into()),
                    ..MentoringEvent::default()
                },
                std::slice::from_ref(&mentor_id),
                &[],
                d("2025-05-23"),
            )?;
            // Left on the Friday before the Spring bank holiday (Mon 26 May 2025).
            mentoring::add_message(
                tx,
                &TelephoneMessage {
                    received_on: d("2025-05-23"),
                    from_whom: "Social worker".into(),
                    young_person_id: Some(yp.clone()),
                    ..TelephoneMessage::default()
                },
                d("2025-05-23"),
            )?;
            mentoring::add_complaint(
                tx,
                &codes,
                &Complaint {
                    received_on: d("2025-05-20"),
                    about: "Session cancelled late".into(),
                    ..Complaint::default()
                },
                d("2025-05-23"),
            )
        })
        .unwrap();
    let cal = Calendar::embedded();
    let clocks = mentoring::open_clocks(&fx.store, &cal, d("2025-05-27"), Some(36)).unwrap();
    let due = |k: ClockKind| {
        clocks
            .iter()
            .find(|c| c.clock.kind == k)
            .map(|c| (c.clock.due, c.clock.overdue))
    };
    // Match started 10 Feb with no session since: contact was due 17 Feb, long overdue.
    assert_eq!(due(ClockKind::Contact), Some((d("2025-02-17"), true)));
    // Support 12 May + 42 days = 23 June.
    assert_eq!(due(ClockKind::Support), Some((d("2025-06-23"), false)));
    // Message Fri 23 May: Tue 27 (1), Wed 28 (2).
    assert_eq!(due(ClockKind::Message), Some((d("2025-05-28"), false)));
    // Commitment 3 Feb 2025 – 2 Feb 2026: review 28 days before, 5 Jan 2026.
    assert_eq!(
        due(ClockKind::CommitmentReview),
        Some((d("2026-01-05"), false))
    );
    // DBS check 20 Jan 2025 + 36 months.
    assert_eq!(due(ClockKind::CheckRenewal), Some((d("2028-01-20"), false)));
    assert_eq!(clocks[0].clock.kind, ClockKind::Contact, "soonest first");
    // No renewal period set: no renewal clock.
    let none = mentoring::open_clocks(&fx.store, &cal, d("2025-05-27"), None).unwrap();
    assert!(none.iter().all(|c| c.clock.kind != ClockKind::CheckRenewal));

    let board = mentoring::board(&fx.store, d("2025-05-27")).unwrap();
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].mentees.len(), 1);
    assert_eq!(board[0].last_support, Some(d("2025-05-12")));
    assert_eq!(board[0].next_support_due, Some(d("2025-06-23")));
    assert!(board[0].not_ready.is_empty());
}

#[test]
fn a_drive_ending_before_it_starts_is_refused_at_end_date() {
    let mut fx = fixture();
    let now = Clock::fixed(d("2025-03-01")).now();
    let err = fx
        .store
        .write(&fx.worker, now, |tx| {
            mentoring::add_drive(
                tx,
                &RecruitmentDrive {
                    start_date: d("2025-02-01"),
                    end_date: Some(d("2025-01-31")),
                    title: "University fair".into(),
                    ..RecruitmentDrive::default()
                },
                d("2025-03-01"),
            )
        })
        .unwrap_err();
    assert!(field_of(&err, "end_date").contains("before the start"));
    assert!(mentoring::drives(&fx.store).unwrap().is_empty());
}
