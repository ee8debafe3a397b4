//! The mentoring clocks on the due-list, the dashboard, the due-list screen and `casebook due`,
//! on hand-worked fixtures: one young person (Priya, Kim's) matched with one volunteer (Asha),
//! around the summer bank holiday of Monday 25 August 2025.

mod tui_support;

use std::collections::HashMap;

use casebook::domain::calendar::Calendar;
use casebook::domain::clock::Clock;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::domain::mentoring::{Match, Mentor, MentorSession, MentoringEvent, TelephoneMessage};
use casebook::domain::record::{Episode, Role, Worker, YoungPerson};
use casebook::domain::urgency::DueGroup;
use casebook::due::{
    due_list, explain_mentoring, explain_young_person, DueEntry, DueFilter, DueSubject,
};
use casebook::store::{mentoring, people, records, Store};
use casebook::tui::dashboard::{worker_loads, MENTORING};
use casebook::tui::due_list::{Board, BoardEnv};
use casebook::tui::dues::Dues;
use casebook::tui::{App, Theme, TuiContext};
use tui_support::{casebook, d, initialised_store, keys, terminal};

struct Fx {
    store: Store,
    cara: Worker,
    kim: Worker,
    ola: Worker,
    young_person: String,
    mentor: String,
}

/// Cara the coordinator, Kim (Priya's key worker) and Ola; Priya referred 2 January 2025;
/// Asha, checked 20 January, trained 25 January and 1 February (Tier 1, Tier 2), her
/// commitment from 3 February 2025.
fn fixture() -> Fx {
    fill(Store::open_in_memory().unwrap())
}

/// The fixture's records written into `store`.
fn fill(mut store: Store) -> Fx {
    let now = Clock::fixed(d("2025-01-02")).now();
    let cara =
        people::ensure_worker(&mut store, "Cara Coordinator", Role::Coordinator, now).unwrap();
    let kim = people::ensure_worker(&mut store, "Kim Keyworker", Role::KeyWorker, now).unwrap();
    let ola = people::ensure_worker(&mut store, "Ola Other", Role::KeyWorker, now).unwrap();
    let kim_id = kim.id.clone();
    let young_person = store
        .write(&cara.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    reference: "YP-PPPP-0001".into(),
                    given_name: "Priya".into(),
                    family_name: "Shah".into(),
                    date_of_birth: Some(d("2009-05-01")),
                    ..Default::default()
                },
            )?;
            records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2025-01-02"),
                    key_worker_id: Some(kim_id.clone()),
                    ..Default::default()
                },
            )?;
            Ok(yp)
        })
        .unwrap();
    let codes = CodeLists::embedded();
    let later = Clock::fixed(d("2025-03-01")).now();
    let mentor = store
        .write(&cara.id, later, |tx| {
            mentoring::add_mentor(
                tx,
                &codes,
                &Mentor {
                    given_name: "Asha".into(),
                    family_name: "Volunteer".into(),
                    gender: Some("female".into()),
                    ethnicity: Some("H".into()),
                    recruited_on: Some(d("2025-01-06")),
                    check_date: Some(d("2025-01-20")),
                    check_result: Some("clear".into()),
                    references_on: Some(d("2025-01-21")),
                    commitment_start: Some(d("2025-02-03")),
                    tier1_on: Some(d("2025-01-25")),
                    tier2_on: Some(d("2025-02-01")),
                    status: "active".into(),
                    ..Mentor::default()
                },
                d("2025-03-01"),
            )
        })
        .unwrap();
    Fx {
        store,
        cara,
        kim,
        ola,
        young_person,
        mentor,
    }
}

fn episode_of(fx: &Fx) -> String {
    records::episodes_of(&fx.store, &fx.young_person).unwrap()[0]
        .id
        .clone()
}

/// Priya matched with Asha from 1 July 2025, and a session on Friday 22 August.
fn matched_with_a_session(fx: &mut Fx) -> String {
    let ep = episode_of(fx);
    let mentor = fx.mentor.clone();
    let codes = CodeLists::embedded();
    let now = Clock::fixed(d("2025-08-22")).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            let m = mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: ep.clone(),
                    mentor_id: mentor.clone(),
                    start_date: d("2025-07-01"),
                    ..Match::default()
                },
                d("2025-08-22"),
            )?;
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: m.clone(),
                    date: d("2025-08-22"),
                    attendance: "attended".into(),
                    ..MentorSession::default()
                },
                None,
                d("2025-08-22"),
            )?;
            Ok(m)
        })
        .unwrap()
}

/// A telephone message left on `on`, about Priya or about no one on the record.
fn message(fx: &mut Fx, on: &str, from: &str, about_priya: bool) -> String {
    let yp = about_priya.then(|| fx.young_person.clone());
    let now = Clock::fixed(d(on)).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            mentoring::add_message(
                tx,
                &TelephoneMessage {
                    received_on: d(on),
                    from_whom: from.into(),
                    young_person_id: yp.clone(),
                    ..TelephoneMessage::default()
                },
                d(on),
            )
        })
        .unwrap()
}

fn list(fx: &Fx, today: &str, filter: DueFilter) -> Vec<DueEntry> {
    due_list(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        d(today),
        &filter,
    )
    .unwrap()
}

fn of_kind(fx: &Fx, today: &str, kind: DueKind) -> Vec<DueEntry> {
    list(
        fx,
        today,
        DueFilter {
            kind: Some(kind),
            ..Default::default()
        },
    )
}

fn mine(fx: &Fx, today: &str, worker: &Worker) -> Vec<DueKind> {
    list(
        fx,
        today,
        DueFilter {
            worker_id: Some(worker.id.clone()),
            ..Default::default()
        },
    )
    .into_iter()
    .map(|e| e.kind)
    .collect()
}

#[test]
fn weekly_contact_counts_calendar_days_over_the_bank_holiday_and_stops_when_the_match_ends() {
    let mut fx = fixture();
    let match_id = matched_with_a_session(&mut fx);
    // Session Fri 22 Aug + 7 calendar days = Fri 29 Aug. The weekly rule (L §7.3 a) counts
    // calendar days, so the bank holiday on Mon 25 Aug does not move it.
    let on_wed = of_kind(&fx, "2025-08-27", DueKind::MentorContact);
    assert_eq!(on_wed.len(), 1);
    let e = &on_wed[0];
    assert_eq!(e.due, d("2025-08-29"));
    assert!(!e.working_days);
    assert_eq!(e.days_left, 2);
    assert_eq!(e.group, DueGroup::ThisWeek);
    assert_eq!(e.reference, "YP-PPPP-0001");
    assert_eq!(e.name, "Priya Shah");
    assert_eq!(e.young_person_id, fx.young_person);
    assert_eq!(e.key_worker.as_deref(), Some("Kim Keyworker"));
    assert_eq!(e.subject, DueSubject::Match(match_id.clone()));
    assert_eq!(
        e.why,
        "due in 2 days; no active risk flag; mentor Asha Volunteer"
    );

    // Mon 1 Sep: 3 calendar days late (30, 31 Aug, 1 Sep).
    let late = &of_kind(&fx, "2025-09-01", DueKind::MentorContact)[0];
    assert_eq!(late.group, DueGroup::Overdue);
    assert_eq!(late.days_left, -3);
    assert_eq!(
        late.why,
        "3 days overdue; no active risk flag; mentor Asha Volunteer"
    );

    // The why-line names the rule, its source, what started it and when it stops.
    let cal = Calendar::embedded();
    let x = explain_mentoring(
        &fx.store,
        &cal,
        d("2025-08-27"),
        None,
        &e.subject,
        DueKind::MentorContact,
    )
    .unwrap()
    .expect("an explanation");
    assert_eq!(
        x.why_line(),
        "mentor contact with mentee (L §7.3 a): 7 days after the last mentor session of \
         2025-08-22, due 2025-08-29; stops when the match ends, or the episode exits or is \
         entered in error"
    );
    // And `due --explain` for Priya lists it with her other items.
    let px = explain_young_person(
        &fx.store,
        &cal,
        &CodeLists::embedded(),
        d("2025-08-27"),
        &fx.young_person,
    )
    .unwrap()
    .unwrap();
    let contact = px
        .due()
        .find(|c| c.kind == "mentor_contact")
        .expect("the contact clock among Priya's due items");
    assert_eq!(contact.due, d("2025-08-29"));
    assert_eq!(contact.start_event, "last mentor session");

    // The match ends on 28 Aug: its clock stops.
    let codes = CodeLists::embedded();
    let now = Clock::fixed(d("2025-08-28")).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            mentoring::end_match(
                tx,
                &codes,
                &match_id,
                d("2025-08-28"),
                "moved_away",
                d("2025-08-28"),
            )
        })
        .unwrap();
    assert!(of_kind(&fx, "2025-09-01", DueKind::MentorContact).is_empty());
}

#[test]
fn a_new_match_without_a_session_is_due_a_week_from_its_start_and_an_exit_stops_it() {
    let mut fx = fixture();
    let ep = episode_of(&fx);
    let mentor = fx.mentor.clone();
    let codes = CodeLists::embedded();
    let now = Clock::fixed(d("2025-08-01")).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: ep.clone(),
                    mentor_id: mentor.clone(),
                    start_date: d("2025-07-30"),
                    ..Match::default()
                },
                d("2025-08-01"),
            )
        })
        .unwrap();
    let e = &of_kind(&fx, "2025-08-01", DueKind::MentorContact)[0];
    // Wed 30 Jul + 7 = Wed 6 Aug.
    assert_eq!(e.due, d("2025-08-06"));
    // The episode exits on 4 Aug with the match still open: the clock stops at the exit, as
    // every clock that runs while an episode is open does.
    let mut exited = records::episode(&fx.store, &ep).unwrap().unwrap();
    exited.exit_date = Some(d("2025-08-04"));
    exited.exit_reason = Some("completed_drug_free".into());
    fx.store
        .write(&fx.kim.id, now, |tx| records::update_episode(tx, &exited))
        .unwrap();
    assert!(of_kind(&fx, "2025-08-08", DueKind::MentorContact).is_empty());
}

#[test]
fn a_message_left_on_the_friday_before_the_bank_holiday_is_due_wednesday_until_answered() {
    let mut fx = fixture();
    let id = message(&mut fx, "2025-08-22", "Social worker", false);
    // Fri 22 Aug; Mon 25 is the bank holiday: Tue 26 is the 1st working day, Wed 27 the 2nd.
    let tue = of_kind(&fx, "2025-08-26", DueKind::TelephoneMessage);
    assert_eq!(tue.len(), 1);
    let e = &tue[0];
    assert_eq!(e.due, d("2025-08-27"));
    assert!(e.working_days);
    assert_eq!(e.days_left, 1);
    assert_eq!(e.why, "due in 1 working day; message from Social worker");
    // About no one on the record: no young person, the caller in the name column.
    assert_eq!(e.young_person_id, "");
    assert_eq!(e.reference, "message");
    assert_eq!(e.name, "Social worker");
    assert_eq!(e.key_worker, None);
    assert_eq!(e.risk, None);
    assert_eq!(e.subject, DueSubject::Message(id.clone()));
    // Thu 28 Aug: one working day late.
    let thu = &of_kind(&fx, "2025-08-28", DueKind::TelephoneMessage)[0];
    assert_eq!(thu.group, DueGroup::Overdue);
    assert_eq!(thu.days_left, -1);
    assert_eq!(thu.why, "1 working day overdue; message from Social worker");
    // The coordinator's: in the team's list and Cara's, not in a key worker's.
    assert!(!mine(&fx, "2025-08-28", &fx.kim).contains(&DueKind::TelephoneMessage));
    assert!(mine(&fx, "2025-08-28", &fx.cara).contains(&DueKind::TelephoneMessage));

    let now = Clock::fixed(d("2025-08-27")).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            mentoring::answer_message(tx, &id, d("2025-08-27"), d("2025-08-27"))
        })
        .unwrap();
    assert!(of_kind(&fx, "2025-08-28", DueKind::TelephoneMessage).is_empty());
}

#[test]
fn a_message_about_a_young_person_is_theirs_and_their_key_workers() {
    let mut fx = fixture();
    message(&mut fx, "2025-08-22", "Foster carer", true);
    let e = &of_kind(&fx, "2025-08-26", DueKind::TelephoneMessage)[0];
    assert_eq!(e.reference, "YP-PPPP-0001");
    assert_eq!(e.name, "Priya Shah");
    assert_eq!(e.key_worker.as_deref(), Some("Kim Keyworker"));
    assert_eq!(
        e.why,
        "due in 1 working day; no active risk flag; message from Foster carer"
    );
    assert!(mine(&fx, "2025-08-26", &fx.kim).contains(&DueKind::TelephoneMessage));
    assert!(!mine(&fx, "2025-08-26", &fx.ola).contains(&DueKind::TelephoneMessage));
}

#[test]
fn support_is_due_42_days_after_training_then_after_the_last_support_session() {
    let mut fx = fixture();
    // Trained 1 Feb (the later of Tier 1 and Tier 2), no support yet: 1 Feb + 42 = 15 Mar.
    let e = &of_kind(&fx, "2025-03-01", DueKind::MentorSupport)[0];
    assert_eq!(e.due, d("2025-03-15"));
    assert_eq!(e.days_left, 14);
    assert_eq!(e.group, DueGroup::Later);
    assert_eq!(e.reference, "mentor");
    assert_eq!(e.name, "Asha Volunteer");
    assert_eq!(e.young_person_id, "");
    assert_eq!(e.subject, DueSubject::Mentor(fx.mentor.clone()));
    assert_eq!(e.why, "due in 14 days; mentor Asha Volunteer");

    let mentor = fx.mentor.clone();
    let now = Clock::fixed(d("2025-03-10")).now();
    fx.store
        .write(&fx.cara.id, now, |tx| {
            mentoring::add_event(
                tx,
                &MentoringEvent {
                    kind: "support_session".into(),
                    date: d("2025-03-10"),
                    title: "Six-weekly support".into(),
                    ..MentoringEvent::default()
                },
                std::slice::from_ref(&mentor),
                &[],
                d("2025-03-10"),
            )
        })
        .unwrap();
    // 10 Mar + 42 = 21 Apr (21 days to 31 Mar, 21 more).
    let e = &of_kind(&fx, "2025-03-20", DueKind::MentorSupport)[0];
    assert_eq!(e.due, d("2025-04-21"));
    let x = explain_mentoring(
        &fx.store,
        &Calendar::embedded(),
        d("2025-03-20"),
        None,
        &e.subject,
        DueKind::MentorSupport,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        x.why_line(),
        "mentor support session (L §7.5): 6 weeks (42 days) after the last support session of \
         2025-03-10, due 2025-04-21; stops when the mentor leaves"
    );
    // A mentor's item is the coordinator's: on Cara's list, not on a key worker's.
    assert!(!mine(&fx, "2025-03-20", &fx.kim).contains(&DueKind::MentorSupport));
    assert!(mine(&fx, "2025-03-20", &fx.cara).contains(&DueKind::MentorSupport));
}

#[test]
fn commitment_review_and_check_renewal_are_listed_by_kind_and_renewal_only_when_set() {
    let fx = fixture();
    // Commitment 3 Feb 2025 to 2 Feb 2026: the review is due 28 days before, Mon 5 Jan 2026.
    let r = &of_kind(&fx, "2025-12-01", DueKind::MentorCommitmentReview)[0];
    assert_eq!(r.due, d("2026-01-05"));
    assert_eq!(r.name, "Asha Volunteer");
    // No renewal period: no renewal clock.
    assert!(of_kind(&fx, "2025-12-01", DueKind::MentorCheckRenewal).is_empty());
    let with_period = list(
        &fx,
        "2025-12-01",
        DueFilter {
            kind: Some(DueKind::MentorCheckRenewal),
            check_renewal_months: Some(12),
            ..Default::default()
        },
    );
    // Checked 20 Jan 2025 + 12 months.
    assert_eq!(with_period.len(), 1);
    assert_eq!(with_period[0].due, d("2026-01-20"));
    assert_eq!(with_period[0].kind.code(), "mentor_check_renewal");
    // The horizon applies: 28 days from 1 Dec is 29 Dec, before the review.
    let near = list(
        &fx,
        "2025-12-01",
        DueFilter {
            horizon_days: Some(28),
            ..Default::default()
        },
    );
    assert!(near
        .iter()
        .all(|e| e.kind != DueKind::MentorCommitmentReview));
    assert_eq!(
        DueKind::from_code("mentor_commitment_review"),
        Some(DueKind::MentorCommitmentReview)
    );
}

fn board_env<'a>(
    fx: &'a Fx,
    cal: &'a Calendar,
    codes: &'a CodeLists,
    names: &'a HashMap<String, String>,
    dues: &'a Dues,
    today: &str,
) -> BoardEnv<'a> {
    BoardEnv {
        store: &fx.store,
        calendar: cal,
        codes,
        today: d(today),
        now: Clock::fixed(d(today)).now(),
        worker_id: &fx.kim.id,
        worker_names: names,
        dues,
    }
}

#[test]
fn the_dashboard_counts_a_contact_on_the_key_workers_line_and_the_rest_on_mentoring() {
    let mut fx = fixture();
    let cal = Calendar::embedded();
    let codes = CodeLists::embedded();
    let names = HashMap::new();
    let before = worker_loads(
        &board_env(
            &fx,
            &cal,
            &codes,
            &names,
            &Dues::on_the_spot(),
            "2025-09-01",
        ),
        d("2025-09-01"),
    )
    .unwrap();
    let kim_before = before
        .iter()
        .find(|l| l.worker == "Kim Keyworker")
        .unwrap()
        .overdue;
    matched_with_a_session(&mut fx);
    message(&mut fx, "2025-08-22", "Social worker", false);
    message(&mut fx, "2025-08-29", "School", false);
    let loads = worker_loads(
        &board_env(
            &fx,
            &cal,
            &codes,
            &names,
            &Dues::on_the_spot(),
            "2025-09-01",
        ),
        d("2025-09-01"),
    )
    .unwrap();
    let kim = loads.iter().find(|l| l.worker == "Kim Keyworker").unwrap();
    // On Mon 1 Sep: Priya's contact was due Fri 29 Aug.
    assert_eq!(kim.overdue, kim_before + 1);
    let m = loads.iter().find(|l| l.worker == MENTORING).unwrap();
    // Overdue: Asha's support (due 15 Mar) and the 22 Aug message (due 27 Aug). This week:
    // the message of Fri 29 Aug, due Tue 2 Sep.
    assert_eq!((m.overdue, m.due_this_week), (2, 1));
    assert_eq!(m.open_cases, 0);
}

fn app(fx: Fx, worker: Worker) -> App {
    App::new(
        fx.store,
        TuiContext {
            clock: Clock::fixed(d("2025-08-27")),
            worker,
            config_dir: None,
            db_path: None,
        },
    )
    .unwrap()
    .with_theme(Theme::plain())
}

#[test]
fn the_due_list_screen_shows_mentoring_rows_and_enter_opens_the_case_or_says_where_to_go() {
    let mut fx = fixture();
    matched_with_a_session(&mut fx);
    message(&mut fx, "2025-08-22", "Social worker", false);
    let kim = fx.kim.clone();
    let mut app = app(fx, kim);
    let mut t = terminal(100, 30);
    // The due-list, the whole team's.
    app.run_loop(&mut t, keys("Dt")).unwrap();
    let shown: Vec<DueEntry> = match app.board() {
        Some(Board::Due(s)) => s.shown().cloned().collect(),
        _ => panic!("the due-list is not open"),
    };
    let pos = |k: DueKind| shown.iter().position(|e| e.kind == k).unwrap();
    let screen = tui_support::screen(&t);
    assert!(screen.contains("mentor support"), "{screen}");
    assert!(screen.contains("Asha Volunteer"), "{screen}");
    assert!(screen.contains("Social worker"), "{screen}");

    // A mentor's item: no case to open; the status says where it is dealt with.
    let n = pos(DueKind::MentorSupport);
    app.run_loop(&mut t, keys(&format!("g{}<Enter>", "j".repeat(n))))
        .unwrap();
    let status = app.status().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("coordinator's board"), "{status}");
    assert!(app.case().is_none());
    let why = match app.board() {
        Some(Board::Due(s)) => s.why_line().unwrap_or_default().to_string(),
        _ => panic!("the due-list is not open"),
    };
    assert!(
        why.contains("6 weeks (42 days) after the initial training completed of 2025-02-01"),
        "{why}"
    );

    // The weekly contact opens Priya's case.
    let n = pos(DueKind::MentorContact);
    app.run_loop(&mut t, keys(&format!("g{}<Enter>", "j".repeat(n))))
        .unwrap();
    assert_eq!(app.case().unwrap().model.person.given_name, "Priya");
}

/// `casebook due --kind mentor_contact --format json` through the binary, on a file the
/// fixture's records are written into.
#[test]
fn casebook_due_kind_mentor_contact_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casebook.db");
    {
        let mut fx = fill(initialised_store(&db));
        matched_with_a_session(&mut fx);
        message(&mut fx, "2025-08-22", "Social worker", false);
    }
    let out = casebook(&db)
        .args(["--as-of", "2025-08-27", "due", "--kind", "mentor_contact"])
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let i = &items[0];
    assert_eq!(i["kind"], "mentor_contact");
    assert_eq!(i["due"], "2025-08-29");
    assert_eq!(i["days_left"], 2);
    assert_eq!(i["reference"], "YP-PPPP-0001");
    assert_eq!(i["key_worker"], "Kim Keyworker");
    assert_eq!(i["subject"]["type"], "match");
    assert_eq!(i["group"], "this week");
    assert_eq!(
        i["why"],
        "due in 2 days; no active risk flag; mentor Asha Volunteer"
    );
    // The coordinator's items through the same command: the message, in the table.
    casebook(&db)
        .args([
            "--as-of",
            "2025-08-27",
            "due",
            "--kind",
            "telephone_message",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("message"))
        .stdout(predicates::str::contains("Social worker"))
        .stdout(predicates::str::contains("answer telephone message"));
    // The renewal clock runs only when the service sets a period, and a bad one is refused
    // by name.
    let renewal = |months: Option<&str>| {
        let mut c = casebook(&db);
        c.args([
            "--as-of",
            "2025-08-27",
            "due",
            "--kind",
            "mentor_check_renewal",
            "--all",
        ])
        .args(["--format", "json"]);
        match months {
            Some(m) => c.env("CASEBOOK_CHECK_RENEWAL_MONTHS", m),
            None => c.env_remove("CASEBOOK_CHECK_RENEWAL_MONTHS"),
        };
        c.assert()
    };
    let none: Vec<serde_json::Value> =
        serde_json::from_slice(&renewal(None).success().get_output().stdout).unwrap();
    assert!(none.is_empty(), "{none:?}");
    let set: Vec<serde_json::Value> =
        serde_json::from_slice(&renewal(Some("36")).success().get_output().stdout).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["due"], "2028-01-20");
    assert_eq!(set[0]["reference"], "mentor");
    renewal(Some("3 years"))
        .failure()
        .stderr(predicates::str::contains(
            "CASEBOOK_CHECK_RENEWAL_MONTHS: expected a whole number of months from 1 to 120",
        ));
    // A kind that is not one names the mentoring kinds among those expected.
    casebook(&db)
        .args(["due", "--kind", "mentoring"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("mentor_support"))
        .stderr(predicates::str::contains("mentor_check_renewal"));
}

#[test]
fn the_coordinators_own_due_list_holds_the_mentors_items_and_messages() {
    let mut fx = fixture();
    matched_with_a_session(&mut fx);
    message(&mut fx, "2025-08-22", "Social worker", false);
    let cara = fx.cara.clone();
    let mut app = app(fx, cara);
    let mut t = terminal(100, 30);
    app.run_loop(&mut t, keys("D")).unwrap();
    let kinds: Vec<DueKind> = match app.board() {
        Some(Board::Due(s)) => {
            assert_eq!(s.whose(), &casebook::tui::due_list::Whose::Mine);
            s.shown().map(|e| e.kind).collect()
        }
        _ => panic!("the due-list is not open"),
    };
    // Asha's support and commitment review and the message; Priya's contact is Kim's.
    assert!(kinds.contains(&DueKind::MentorSupport), "{kinds:?}");
    assert!(kinds.contains(&DueKind::TelephoneMessage), "{kinds:?}");
    assert!(
        kinds.contains(&DueKind::MentorCommitmentReview),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&DueKind::MentorContact), "{kinds:?}");
}

/// `casebook due --explain mentor:NAME` through the binary: Asha's clocks with their rules, the
/// mentee's weekly contact among them; an unknown mentor refused by name.
#[test]
fn casebook_due_explain_a_mentor_lists_their_clocks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casebook.db");
    let mentor_id = {
        let mut fx = fill(initialised_store(&db));
        matched_with_a_session(&mut fx);
        fx.mentor.clone()
    };
    let out = casebook(&db)
        .args(["--as-of", "2025-08-27", "due", "--explain"])
        .arg("mentor:asha volunteer")
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["mentor"], "Asha Volunteer");
    assert_eq!(doc["mentor_id"], mentor_id.as_str());
    let due = doc["due"].as_array().unwrap();
    let of = |kind: &str| due.iter().find(|x| x["kind"] == kind).cloned();
    let support = of("mentor_support").expect("the support clock");
    assert_eq!(support["start_date"], "2025-02-01");
    assert_eq!(support["due"], "2025-03-15");
    assert_eq!(support["state"], "overdue");
    assert_eq!(support["source"], "L §7.5");
    let contact = of("mentor_contact").expect("the weekly contact");
    assert_eq!(contact["due"], "2025-08-29");
    assert_eq!(contact["mentee"], "YP-PPPP-0001");
    // Soonest due first.
    let dues: Vec<&str> = due.iter().map(|x| x["due"].as_str().unwrap()).collect();
    let mut sorted = dues.clone();
    sorted.sort();
    assert_eq!(dues, sorted);
    // The table, by ID, names the rule, the start and the stop rule.
    casebook(&db)
        .args(["--as-of", "2025-08-27", "due", "--explain"])
        .arg(format!("mentor:{mentor_id}"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "Mentor Asha Volunteer as of 2025-08-27",
        ))
        .stdout(predicates::str::contains("with mentee YP-PPPP-0001:"))
        .stdout(predicates::str::contains(
            "start:  initial training completed on 2025-02-01",
        ))
        .stdout(predicates::str::contains("stop rule:"));
    casebook(&db)
        .args(["due", "--explain", "mentor:Nobody Here"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "--explain: no mentor is called 'Nobody Here'",
        ));
    // Entered in error from the command line: the kind of record is checked by name.
    casebook(&db)
        .args(["mentors", "in-error", "--record", "meeting", "--id", "x"])
        .args(["--reason", "typed twice"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "'meeting' is not a mentoring record",
        ));
    casebook(&db)
        .args([
            "mentors", "in-error", "--record", "mentor", "--id", &mentor_id,
        ])
        .args(["--reason", "added twice"])
        .assert()
        .success()
        .stdout(predicates::str::contains(mentor_id.as_str()));
    casebook(&db)
        .args([
            "mentors", "in-error", "--record", "mentor", "--id", &mentor_id,
        ])
        .args(["--reason", "added twice"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("already marked in error"));
}
