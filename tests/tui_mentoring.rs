//! The mentoring project in the terminal UI (issue 14), through the real app loop on a fixed
//! clock (Monday 2 June 2025): the coordinator's board (who may open it, what it shows, its
//! help), a mentor added from it, a match with the suggestions shown and an unchecked mentor
//! refused at the mentor field, a match ended, a mentor session typed from the case view (and
//! one dated before the match refused at the date), a telephone message recorded and answered.

mod tui_support;

use casebook::domain::codes::CodeLists;
use casebook::domain::mentoring::Mentor;
use casebook::domain::mentoring::{Match, MentorSession, MentoringEvent, RecruitmentDrive};
use casebook::domain::record::{Role, Worker};
use casebook::store::{caseload, mentoring, records, Store};
use casebook::tui::mentoring::MentoringBoard;
use casebook::tui::App;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_support::*;

struct Fx {
    app: App,
    t: Terminal<TestBackend>,
    /// Zoë's open episode: no match yet.
    zoe_episode: String,
    zoe_reference: String,
    /// Callum's match with Grace Obi, from 1 April 2025.
    callum_match: String,
    ama: Worker,
    /// The telephone messages `fixture_with` left, by ID, in order.
    messages: Vec<String>,
}

fn row(store: &Store, given: &str) -> caseload::CaseloadRow {
    caseload::caseload(store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == given)
        .unwrap()
}

fn open_episode(store: &Store, yp: &str) -> String {
    records::episodes_of(store, yp)
        .unwrap()
        .into_iter()
        .find(|e| e.is_open())
        .unwrap()
        .id
}

/// The TUI fixture's caseload, a mentoring coordinator (Cleo) and three mentors: Amrit Kaur,
/// ready and active, from a recruitment drive, supported on 20 May; Grace Obi, active and matched with Callum since
/// 1 April with one session, her support session overdue (last one 10 April: due 22 May);
/// Dan Reid, in training with his check pending, no references and only Tier 1.
fn fixture_for(role: Role) -> Fx {
    fixture_with(role, &[])
}

/// As `fixture_for`, with telephone messages waiting: (received, from whom, about Zoë).
fn fixture_with(role: Role, messages: &[(&str, &str, bool)]) -> Fx {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let now = clock().now();
    let cleo =
        casebook::store::people::ensure_worker(&mut store, "Cleo Okafor", Role::Coordinator, now)
            .unwrap();
    let zoe = row(&store, "Zoë");
    let callum = row(&store, "Callum");
    let zoe_episode = open_episode(&store, &zoe.young_person_id);
    let callum_episode = open_episode(&store, &callum.young_person_id);
    let codes = CodeLists::embedded();
    let today = d(TODAY);
    let callum_match = store
        .write(&cleo.id, now, |tx| {
            let drive = mentoring::add_drive(
                tx,
                &RecruitmentDrive {
                    start_date: d("2024-12-02"),
                    title: "Volunteer fair".into(),
                    ..Default::default()
                },
                today,
            )?;
            let ready = |given: &str, family: &str, gender: &str, eth: &str| Mentor {
                given_name: given.into(),
                family_name: family.into(),
                gender: Some(gender.into()),
                ethnicity: Some(eth.into()),
                recruited_on: Some(d("2025-01-06")),
                recruitment_drive_id: Some(drive.clone()),
                check_date: Some(d("2025-01-20")),
                check_result: Some("clear".into()),
                references_on: Some(d("2025-01-22")),
                commitment_start: Some(d("2025-02-03")),
                tier1_on: Some(d("2025-01-25")),
                tier2_on: Some(d("2025-02-01")),
                status: "active".into(),
                ..Default::default()
            };
            let amrit = mentoring::add_mentor(
                tx,
                &codes,
                &Mentor {
                    languages: Some("English, Punjabi".into()),
                    ..ready("Amrit", "Kaur", "female", "H")
                },
                today,
            )?;
            let grace =
                mentoring::add_mentor(tx, &codes, &ready("Grace", "Obi", "female", "N"), today)?;
            mentoring::add_mentor(
                tx,
                &codes,
                &Mentor {
                    given_name: "Dan".into(),
                    family_name: "Reid".into(),
                    gender: Some("male".into()),
                    recruited_on: Some(d("2025-05-01")),
                    check_date: Some(d("2025-05-10")),
                    check_result: Some("pending".into()),
                    tier1_on: Some(d("2025-05-20")),
                    status: "in_training".into(),
                    ..Default::default()
                },
                today,
            )?;
            mentoring::add_event(
                tx,
                &MentoringEvent {
                    kind: "support_session".into(),
                    date: d("2025-04-10"),
                    title: "Spring support group".into(),
                    ..Default::default()
                },
                std::slice::from_ref(&grace),
                &[],
                today,
            )?;
            mentoring::add_event(
                tx,
                &MentoringEvent {
                    kind: "support_session".into(),
                    date: d("2025-05-20"),
                    title: "Support with the coordinator".into(),
                    ..Default::default()
                },
                std::slice::from_ref(&amrit),
                &[],
                today,
            )?;
            let m = mentoring::add_match(
                tx,
                &codes,
                &Match {
                    episode_id: callum_episode.clone(),
                    mentor_id: grace.clone(),
                    start_date: d("2025-04-01"),
                    ..Default::default()
                },
                today,
            )?;
            mentoring::add_session(
                tx,
                &MentorSession {
                    match_id: m.clone(),
                    date: d("2025-05-28"),
                    attendance: "attended".into(),
                    place: Some("Library".into()),
                    ..Default::default()
                },
                Some(&cleo.id),
                today,
            )?;
            Ok(m)
        })
        .unwrap();
    let zoe_id = zoe.young_person_id.clone();
    let messages = store
        .write(&cleo.id, now, |tx| {
            let mut ids = Vec::new();
            for (received, from, about_zoe) in messages {
                ids.push(mentoring::add_message(
                    tx,
                    &casebook::domain::mentoring::TelephoneMessage {
                        received_on: d(received),
                        from_whom: from.to_string(),
                        young_person_id: about_zoe.then(|| zoe_id.clone()),
                        ..Default::default()
                    },
                    today,
                )?);
            }
            Ok(ids)
        })
        .unwrap();
    let user = match role {
        Role::Coordinator => cleo,
        _ => f.ama.clone(),
    };
    Fx {
        app: app(store, &user),
        t: terminal(80, 24),
        zoe_episode,
        zoe_reference: zoe.reference,
        callum_match,
        ama: f.ama,
        messages,
    }
}

fn fixture() -> Fx {
    fixture_for(Role::Coordinator)
}

fn board_names(app: &App) -> Vec<String> {
    app.find::<MentoringBoard>()
        .expect("the board is open")
        .rows()
        .iter()
        .map(|r| r.mentor.display_name())
        .collect()
}

fn status_text(app: &App) -> String {
    app.status().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn the_board_lists_mentors_with_checks_training_support_and_mentees() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, "B");
    let s = screen(&fx.t);
    assert!(s.contains("Mentoring — coordinator's board"), "{s}");
    assert_eq!(
        board_names(&fx.app),
        ["Amrit Kaur", "Grace Obi", "Dan Reid"]
    );
    // Grace: matched with Callum, her support session overdue since 22 May.
    assert!(s.contains("22/05/2025 !"), "{s}");
    // Down selects Grace: her details show her mentee by reference.
    run(&mut fx.app, &mut fx.t, "j");
    let s = screen(&fx.t);
    assert!(s.contains("Grace Obi — active, ready to match"), "{s}");
    assert!(s.contains("Mentees (1): YP-"), "{s}");
    assert!(
        s.contains("since 01/04/2025 (last session 28/05/2025)"),
        "{s}"
    );
    insta::assert_snapshot!("mentoring_board", s);
    // Dan is not ready, and the board says why.
    run(&mut fx.app, &mut fx.t, "j");
    let s = screen(&fx.t);
    assert!(
        s.contains("Not ready to match: police/DBS check not clear; references not recorded"),
        "{s}"
    );
}

#[test]
fn only_the_coordinator_and_managers_open_the_board() {
    let mut fx = fixture_for(Role::Duty);
    assert!(!fx.ama.has(Role::Coordinator));
    run(&mut fx.app, &mut fx.t, "B");
    assert!(fx.app.find::<MentoringBoard>().is_none());
    let status = status_text(&fx.app);
    assert!(
        status.contains("only a mentoring coordinator or manager may open the mentoring"),
        "{status}"
    );
}

#[test]
fn the_board_opens_from_the_palette_and_its_help_lists_its_keys() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, ":coordinator's board<Enter>");
    assert!(
        fx.app.find::<MentoringBoard>().is_some(),
        "{}",
        screen(&fx.t)
    );
    run(&mut fx.app, &mut fx.t, "?");
    let s = screen(&fx.t);
    for words in [
        "add a volunteer mentor",
        "match a young person",
        "record a telephone message",
    ] {
        assert!(s.contains(words), "help lacks “{words}”:\n{s}");
    }
}

#[test]
fn a_mentor_added_from_the_board_is_listed_and_stored() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, "Bn");
    assert!(
        screen(&fx.t).contains("A new volunteer mentor"),
        "{}",
        screen(&fx.t)
    );
    run(&mut fx.app, &mut fx.t, "Hana<Tab>Yilmaz<Tab>female<C-s>");
    assert!(
        fx.app.form().is_none(),
        "saved and closed: {}",
        status_text(&fx.app)
    );
    assert_eq!(
        board_names(&fx.app),
        ["Amrit Kaur", "Grace Obi", "Dan Reid", "Hana Yilmaz"]
    );
    let s = screen(&fx.t);
    assert!(
        s.contains("Hana Yilmaz — in training, not ready to match"),
        "{s}"
    );
    let stored = mentoring::mentors(fx.app.store()).unwrap();
    let hana = stored.iter().find(|m| m.given_name == "Hana").unwrap();
    assert_eq!(hana.status, "in_training");
    assert_eq!(hana.gender.as_deref(), Some("female"));
}

#[test]
fn the_match_form_shows_the_suggestions_with_their_reasons() {
    let mut fx = fixture();
    let r = fx.zoe_reference.clone();
    run(&mut fx.app, &mut fx.t, &format!("Bm{r}<Tab>"));
    let s = screen(&fx.t);
    assert!(s.contains("Suggested for Zoë Hart"), "{s}");
    assert!(
        s.contains("1. Amrit Kaur: same gender as the young person; no current mentees"),
        "{s}"
    );
    assert!(
        s.contains("2. Grace Obi: same gender as the young person; 1 current mentee"),
        "{s}"
    );
    insta::assert_snapshot!("mentoring_match_form", s);
    // Amrit was selected on the board: saving matches her.
    run(&mut fx.app, &mut fx.t, "<C-s>");
    let matches = mentoring::matches_of_episode(fx.app.store(), &fx.zoe_episode).unwrap();
    assert_eq!(matches.len(), 1, "{}", status_text(&fx.app));
    assert_eq!(matches[0].start_date, d(TODAY));
    let amrit = &fx.app.find::<MentoringBoard>().unwrap().rows()[0];
    assert_eq!(amrit.mentees.len(), 1);
}

#[test]
fn matching_an_unchecked_mentor_is_refused_at_the_mentor_field_and_nothing_is_written() {
    let mut fx = fixture();
    let r = fx.zoe_reference.clone();
    // G: Dan Reid, last on the board; the match form starts with him chosen.
    run(&mut fx.app, &mut fx.t, &format!("BGm{r}<C-s>"));
    let err = field_error(&fx.app, "mentor");
    assert!(
        err.contains("Dan Reid cannot be matched before checks and initial training"),
        "{err}"
    );
    assert!(err.contains("police/DBS check not clear"), "{err}");
    assert!(
        status_text(&fx.app).contains("Not saved"),
        "{}",
        status_text(&fx.app)
    );
    assert!(
        mentoring::matches_of_episode(fx.app.store(), &fx.zoe_episode)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_match_ended_from_the_board_leaves_the_mentor_without_mentees() {
    let mut fx = fixture();
    // j: Grace; her one match is chosen already.
    run(&mut fx.app, &mut fx.t, "Bjx<Tab><Tab>goals<Enter><C-s>");
    let m = mentoring::get_match(fx.app.store(), &fx.callum_match)
        .unwrap()
        .unwrap();
    assert_eq!(m.end_date, Some(d(TODAY)), "{}", status_text(&fx.app));
    assert_eq!(m.end_reason.as_deref(), Some("goals_achieved"));
    let grace = &fx.app.find::<MentoringBoard>().unwrap().rows()[1];
    assert!(grace.mentees.is_empty());
}

#[test]
fn a_mentor_session_typed_from_the_case_view_is_stored() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, "/callum<Enter><Enter>");
    assert!(screen(&fx.t).contains("Contacts 1"), "{}", screen(&fx.t));
    run(&mut fx.app, &mut fx.t, "m");
    let s = screen(&fx.t);
    assert!(
        s.contains("Mentor session: Callum O'Brien with Grace Obi"),
        "{s}"
    );
    assert!(s.contains("Last session: 28/05/2025 (attended)"), "{s}");
    run(
        &mut fx.app,
        &mut fx.t,
        "<Tab>attended<Enter>Youth centre<Tab>Pool, then talked about college<C-s>",
    );
    assert!(fx.app.form().is_none(), "{}", status_text(&fx.app));
    let sessions = mentoring::sessions_of_match(fx.app.store(), &fx.callum_match).unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].date, d(TODAY));
    assert_eq!(sessions[0].attendance, "attended");
    assert_eq!(sessions[0].place.as_deref(), Some("Youth centre"));
    assert_eq!(
        sessions[0].activity.as_deref(),
        Some("Pool, then talked about college")
    );
    assert!(
        status_text(&fx.app).contains("Mentor session of 02/06/2025 saved"),
        "{}",
        status_text(&fx.app)
    );
    // The case shows it among the contacts (a mentor session is a contact).
    let s = screen(&fx.t);
    assert!(s.contains("Contacts 2"), "{s}");
    assert!(s.contains("Youth centre: Pool, then talked"), "{s}");
}

#[test]
fn a_session_dated_before_the_match_is_refused_at_the_date() {
    let mut fx = fixture();
    run(
        &mut fx.app,
        &mut fx.t,
        "/callum<Enter><Enter>m<BS><BS><BS><BS><BS>20/03/2025<Tab>attended<Enter><C-s>",
    );
    let err = field_error(&fx.app, "date");
    assert!(err.starts_with("Date: "), "{err}");
    assert!(err.contains("before the match start (2025-04-01)"), "{err}");
    assert_eq!(
        mentoring::sessions_of_match(fx.app.store(), &fx.callum_match)
            .unwrap()
            .len(),
        1,
        "nothing written"
    );
}

#[test]
fn a_telephone_message_is_recorded_then_answered() {
    let mut fx = fixture();
    let r = fx.zoe_reference.clone();
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("Bp<Tab>Zoë's mum<Tab>{r}<Tab>Can the session move to Thursday?<C-s>"),
    );
    let waiting = mentoring::unanswered_messages(fx.app.store()).unwrap();
    assert_eq!(waiting.len(), 1, "{}", status_text(&fx.app));
    assert_eq!(waiting[0].from_whom, "Zoë's mum");
    assert_eq!(waiting[0].received_on, d(TODAY));
    assert!(waiting[0].young_person_id.is_some());
    assert!(
        screen(&fx.t).contains("1 telephone message to answer (oldest 02/06/2025)"),
        "{}",
        screen(&fx.t)
    );
    // The one waiting message is chosen already; answered today.
    run(&mut fx.app, &mut fx.t, "a<C-s>");
    assert!(
        mentoring::unanswered_messages(fx.app.store())
            .unwrap()
            .is_empty(),
        "{}",
        status_text(&fx.app)
    );
    assert!(
        status_text(&fx.app).contains("Telephone message answered on 02/06/2025"),
        "{}",
        status_text(&fx.app)
    );
    assert!(!screen(&fx.t).contains("telephone message to answer"));
}

#[test]
fn a_bad_reference_on_a_message_is_refused_at_its_field() {
    let mut fx = fixture();
    run(
        &mut fx.app,
        &mut fx.t,
        "Bp<Tab>A teacher<Tab>YP-0000-0000<C-s>",
    );
    let err = field_error(&fx.app, "young_person");
    assert!(err.starts_with("About (reference): "), "{err}");
    assert!(mentoring::unanswered_messages(fx.app.store())
        .unwrap()
        .is_empty());
}

#[test]
fn editing_a_mentor_as_checks_come_back_makes_them_ready_to_match() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, "BGe");
    let s = screen(&fx.t);
    assert!(
        s.contains("Mentor Dan Reid: checks, training and status"),
        "{s}"
    );
    // The form opens with what is on record.
    let form = fx.app.form().unwrap();
    assert_eq!(form.text("given_name").as_deref(), Some("Dan"));
    assert_eq!(form.choice("check_result").as_deref(), Some("pending"));
    assert_eq!(form.date("tier1_on"), Some(d("2025-05-20")));
    // Check result (the 9th field): clear (the filter also shows "clear with a disclosure";
    // typing highlights the option named exactly); references; then Tier 2.
    run(
        &mut fx.app,
        &mut fx.t,
        "<Tab><Tab><Tab><Tab><Tab><Tab><Tab><Tab>clear<Enter>28/05/2025<Tab><Tab><Tab>01/06/2025<C-s>",
    );
    assert!(fx.app.form().is_none(), "{}", status_text(&fx.app));
    let dan = mentoring::mentors(fx.app.store())
        .unwrap()
        .into_iter()
        .find(|m| m.given_name == "Dan")
        .unwrap();
    assert_eq!(dan.check_result.as_deref(), Some("clear"));
    assert_eq!(dan.references_on, Some(d("2025-05-28")));
    assert_eq!(dan.tier2_on, Some(d("2025-06-01")));
    assert!(dan.not_ready_reasons().is_empty());
    let s = screen(&fx.t);
    assert!(s.contains("Dan Reid — in training, ready to match"), "{s}");
}

#[test]
fn making_an_unchecked_mentor_active_is_refused_at_the_status() {
    let mut fx = fixture();
    // Status is the 14th field.
    let tabs = "<Tab>".repeat(13);
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("BGe{tabs}active<Enter><C-s>"),
    );
    let err = field_error(&fx.app, "status");
    assert!(err.starts_with("Status: cannot be active yet"), "{err}");
    let dan = mentoring::mentors(fx.app.store())
        .unwrap()
        .into_iter()
        .find(|m| m.given_name == "Dan")
        .unwrap();
    assert_eq!(dan.status, "in_training", "nothing written");
}

#[test]
fn a_support_session_with_the_mentors_ticked_moves_their_next_support_date() {
    let mut fx = fixture();
    run(
        &mut fx.app,
        &mut fx.t,
        "Bt<Tab>support<Enter>Six-weekly support<Tab>Cleo Okafor<Tab>grace<Space><C-s>",
    );
    assert!(
        fx.app.form().is_none(),
        "{}\n{}",
        status_text(&fx.app),
        screen(&fx.t)
    );
    let grace = &fx.app.find::<MentoringBoard>().unwrap().rows()[1];
    assert_eq!(grace.mentor.given_name, "Grace");
    assert_eq!(grace.last_support, Some(d(TODAY)));
    assert_eq!(grace.next_support_due, Some(d("2025-07-14")));
    assert!(
        status_text(&fx.app).contains("1 mentor attending"),
        "{}",
        status_text(&fx.app)
    );
}

#[test]
fn a_recruitment_drive_recorded_on_the_board_is_offered_on_the_mentor_form() {
    let mut fx = fixture();
    run(
        &mut fx.app,
        &mut fx.t,
        "Bd<BS><BS><BS><BS><BS>-7d<Tab><Tab>Leaflets at the college<C-s>",
    );
    let drives = mentoring::drives(fx.app.store()).unwrap();
    assert_eq!(drives.len(), 2, "{}", status_text(&fx.app));
    assert_eq!(drives[0].title, "Leaflets at the college");
    assert_eq!(drives[0].start_date, d("2025-05-26"));
    // The new mentor form's drive field (the 7th) offers it.
    let tabs = "<Tab>".repeat(6);
    run(&mut fx.app, &mut fx.t, &format!("n{tabs}"));
    let s = screen(&fx.t);
    assert!(
        s.contains("Leaflets at the college (from 26/05/2025)"),
        "{s}"
    );
    println!("{s}");
}

#[test]
fn a_complaint_about_a_young_person_is_recorded_with_its_outcome() {
    let mut fx = fixture();
    let r = fx.zoe_reference.clone();
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("Bc-1d<Tab>{r}<Tab>Mentor late twice<Tab>upheld<Enter>today<C-s>"),
    );
    // The received date starts as "today": "-1d" typed after it is not a date.
    let form = fx.app.form().expect("refused");
    assert!(form
        .field("received_on")
        .unwrap()
        .error
        .as_deref()
        .unwrap_or_default()
        .starts_with("Received: "));
    run(
        &mut fx.app,
        &mut fx.t,
        "<BS><BS><BS><BS><BS><BS><BS><BS>-1d<C-s>",
    );
    assert!(fx.app.form().is_none(), "{}", status_text(&fx.app));
    // The Leicester return of April–June counts it: one complaint, about an under-18, upheld.
    let ret = casebook::returns::compute(
        fx.app.store(),
        &casebook::domain::calendar::Calendar::embedded(),
        &CodeLists::embedded(),
        &casebook::returns::Request::new(
            casebook::returns::ReturnKind::Leicester,
            casebook::domain::calendar::Quarter::new(2025, 1).unwrap(),
            d(TODAY),
        ),
        &mut |_, _, _| {},
    )
    .unwrap();
    let v = |m: &str, b: &str, f: &str| ret.value(m, b, f);
    use casebook::returns::Value;
    assert_eq!(v("leic.a8", "total", "all"), Some(Value::Int(1)));
    assert_eq!(v("leic.a8", "total", "under_18"), Some(Value::Int(1)));
    assert_eq!(v("leic.a8", "outcome:upheld", "all"), Some(Value::Int(1)));
}

#[test]
fn a_mentor_leaving_before_they_were_recruited_is_refused_at_the_leaving_date() {
    let mut fx = fixture();
    // Dan (recruited 1 May): status (14th field) left, left on 1 April, moved away.
    let tabs = "<Tab>".repeat(13);
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("BGe{tabs}left<Enter>01/04/2025<Tab>moved<Enter><C-s>"),
    );
    let err = field_error(&fx.app, "left_on");
    assert!(
        err.starts_with("Left on: 2025-04-01 is before the date recruited (2025-05-01)"),
        "{err}"
    );
    let dan = mentoring::mentors(fx.app.store())
        .unwrap()
        .into_iter()
        .find(|m| m.given_name == "Dan")
        .unwrap();
    assert_eq!((dan.status.as_str(), dan.left_on), ("in_training", None));
}

#[test]
fn a_match_ending_before_it_started_is_refused_at_the_end_date() {
    let mut fx = fixture();
    run(
        &mut fx.app,
        &mut fx.t,
        "Bjx<Tab><BS><BS><BS><BS><BS>01/03/2025<Tab>goals<Enter><C-s>",
    );
    let err = field_error(&fx.app, "end_date");
    assert!(
        err.starts_with("Ended on: 2025-03-01 is before the match start"),
        "{err}"
    );
    let m = mentoring::get_match(fx.app.store(), &fx.callum_match)
        .unwrap()
        .unwrap();
    assert_eq!(m.end_date, None, "nothing written");
}

#[test]
fn the_young_persons_preferences_rank_the_suggestions_and_are_kept_with_the_match() {
    let mut fx = fixture();
    let r = fx.zoe_reference.clone();
    // Zoë would like a mentor who speaks Punjabi: Amrit does, Grace does not.
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("Bjm{r}<Tab><Tab><Tab>Punjabi<Tab>"),
    );
    let s = screen(&fx.t);
    assert!(
        s.contains("1. Amrit Kaur: same gender as the young person; speaks Punjabi"),
        "{s}"
    );
    assert!(
        s.contains("2. Grace Obi: same gender as the young person; does not speak Punjabi"),
        "{s}"
    );
    // Grace was selected on the board; the coordinator decides for Grace all the same.
    run(&mut fx.app, &mut fx.t, "<C-s>");
    let matches = mentoring::matches_of_episode(fx.app.store(), &fx.zoe_episode).unwrap();
    assert_eq!(matches.len(), 1, "{}", status_text(&fx.app));
    let grace = &fx.app.find::<MentoringBoard>().unwrap().rows()[1];
    assert_eq!(matches[0].mentor_id, grace.mentor.id);
    let prefs = mentoring::preferences(fx.app.store(), &fx.zoe_episode)
        .unwrap()
        .expect("kept with the match");
    assert_eq!(prefs.language.as_deref(), Some("Punjabi"));
    assert_eq!(prefs.mentor_gender, None);
    // The next match form for Zoë starts from what she said.
    run(&mut fx.app, &mut fx.t, &format!("m{r}<Tab>"));
    let form = fx.app.form().unwrap();
    assert_eq!(form.text("language").as_deref(), Some("Punjabi"));
}

/// The due-list's item of `kind` for `subject`, selected with `g` and `j`, then Enter.
fn enter_on_due_item(fx: &mut Fx, hit: impl Fn(&casebook::due::DueEntry) -> bool) {
    let n = match fx.app.board() {
        Some(casebook::tui::due_list::Board::Due(s)) => s.shown().position(hit),
        _ => panic!("the due-list is not open"),
    }
    .expect("the item is on the due-list");
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("g{}<Enter>", "j".repeat(n)),
    );
}

fn mentor_id(fx: &Fx, given: &str) -> String {
    mentoring::mentors(fx.app.store())
        .unwrap()
        .into_iter()
        .find(|m| m.given_name == given)
        .unwrap()
        .id
}

#[test]
fn enter_on_a_mentors_support_item_opens_the_board_with_that_mentor_selected() {
    let mut fx = fixture();
    let grace = mentor_id(&fx, "Grace");
    run(&mut fx.app, &mut fx.t, "D");
    enter_on_due_item(&mut fx, |e| {
        e.kind == casebook::domain::clocks::DueKind::MentorSupport
            && e.subject == casebook::due::DueSubject::Mentor(grace.clone())
    });
    let board = fx.app.find::<MentoringBoard>().expect("the board is open");
    assert_eq!(board.selected_row().unwrap().mentor.id, grace);
    assert!(fx.app.board().is_none(), "the board replaced the due-list");
    assert!(
        screen(&fx.t).contains("Grace Obi — active"),
        "{}",
        screen(&fx.t)
    );
}

#[test]
fn enter_on_a_telephone_message_opens_its_answer_form_on_the_board() {
    let mut fx = fixture_with(
        Role::Coordinator,
        &[
            ("2025-05-28", "A teacher", false),
            ("2025-05-30", "The youth club", false),
        ],
    );
    let later = fx.messages[1].clone();
    run(&mut fx.app, &mut fx.t, "D");
    enter_on_due_item(&mut fx, |e| {
        e.subject == casebook::due::DueSubject::Message(later.clone())
    });
    assert!(
        fx.app.find::<MentoringBoard>().is_some(),
        "{}",
        screen(&fx.t)
    );
    let form = fx.app.form().expect("the answer form is open");
    // Of the two waiting, the one Enter was pressed on is chosen.
    assert_eq!(form.choice("message").as_deref(), Some(later.as_str()));
    run(&mut fx.app, &mut fx.t, "<C-s>");
    let waiting: Vec<String> = mentoring::unanswered_messages(fx.app.store())
        .unwrap()
        .into_iter()
        .map(|m| m.from_whom)
        .collect();
    assert_eq!(waiting, ["A teacher"], "{}", status_text(&fx.app));
}

#[test]
fn a_worker_without_the_board_is_refused_on_a_mentors_item_and_has_the_case_for_a_message() {
    let mut fx = fixture_with(Role::Duty, &[("2025-05-30", "Zoë's mum", true)]);
    let msg = fx.messages[0].clone();
    // The whole team's list holds the mentors' items.
    run(&mut fx.app, &mut fx.t, "Dt");
    enter_on_due_item(&mut fx, |e| {
        matches!(e.subject, casebook::due::DueSubject::Mentor(_))
    });
    assert!(fx.app.find::<MentoringBoard>().is_none());
    let status = status_text(&fx.app);
    assert!(
        status.contains("The mentoring board is not open to you: only a mentoring coordinator"),
        "{status}"
    );
    enter_on_due_item(&mut fx, |e| {
        e.subject == casebook::due::DueSubject::Message(msg.clone())
    });
    assert!(fx.app.find::<MentoringBoard>().is_none());
    assert_eq!(fx.app.case().unwrap().model.person.given_name, "Zoë");
}

#[test]
fn enter_on_the_dashboards_mentoring_line_opens_the_board() {
    let mut fx = fixture();
    run(&mut fx.app, &mut fx.t, "M");
    let n = match fx.app.board() {
        Some(casebook::tui::due_list::Board::Dashboard(s)) => s
            .loads()
            .iter()
            .position(|l| l.worker == casebook::tui::dashboard::MENTORING),
        _ => panic!("the dashboard is not open"),
    }
    .expect("a mentoring line");
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("g{}<Enter>", "j".repeat(n)),
    );
    assert!(
        fx.app.find::<MentoringBoard>().is_some(),
        "{}",
        screen(&fx.t)
    );

    let mut fx = fixture_for(Role::Duty);
    run(&mut fx.app, &mut fx.t, "M");
    let n = match fx.app.board() {
        Some(casebook::tui::due_list::Board::Dashboard(s)) => s
            .loads()
            .iter()
            .position(|l| l.worker == casebook::tui::dashboard::MENTORING),
        _ => panic!("the dashboard is not open"),
    }
    .expect("a mentoring line");
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("g{}<Enter>", "j".repeat(n)),
    );
    assert!(fx.app.find::<MentoringBoard>().is_none());
    assert!(
        status_text(&fx.app).contains("not open to you"),
        "{}",
        status_text(&fx.app)
    );
}

#[test]
fn a_group_programme_session_takes_the_young_people_attending_by_reference() {
    let mut fx = fixture();
    let zoe = fx.zoe_reference.clone();
    let callum = row(fx.app.store(), "Callum");
    run(
        &mut fx.app,
        &mut fx.t,
        &format!(
            "Bt<Tab>group<Enter>Anger management<Tab>Cleo Okafor<Tab><Tab>{zoe}, {}<C-s>",
            callum.reference
        ),
    );
    assert!(
        fx.app.form().is_none(),
        "{}\n{}",
        status_text(&fx.app),
        screen(&fx.t)
    );
    assert!(
        status_text(&fx.app).contains("0 mentors and 2 young people attending"),
        "{}",
        status_text(&fx.app)
    );
    let zoe_id = row(fx.app.store(), "Zoë").young_person_id;
    for id in [&zoe_id, &callum.young_person_id] {
        let attended = mentoring::events_attended_by(fx.app.store(), id).unwrap();
        assert_eq!(attended.len(), 1);
        assert_eq!(attended[0].kind, "group_programme");
        assert_eq!(attended[0].title, "Anger management");
        assert_eq!(attended[0].date, d(TODAY));
    }
}

#[test]
fn an_unknown_reference_among_the_young_people_attending_is_refused_by_name() {
    let mut fx = fixture();
    let zoe = fx.zoe_reference.clone();
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("Bt<Tab>workshop<Enter>Cooking<Tab><Tab><Tab>{zoe} YP-0000-0000<C-s>"),
    );
    let error = field_error(&fx.app, "young_people");
    assert!(error.contains("YP-0000-0000"), "{error}");
    assert!(error.starts_with("Young people:"), "{error}");
    let zoe_id = row(fx.app.store(), "Zoë").young_person_id;
    assert!(
        mentoring::events_attended_by(fx.app.store(), &zoe_id)
            .unwrap()
            .is_empty(),
        "nothing written"
    );
}

#[test]
fn young_people_are_refused_on_a_mentor_support_session() {
    let mut fx = fixture();
    let zoe = fx.zoe_reference.clone();
    run(
        &mut fx.app,
        &mut fx.t,
        &format!("Bt<Tab>support<Enter>Support<Tab><Tab>grace<Space><Tab>{zoe}<C-s>"),
    );
    let error = field_error(&fx.app, "young_people");
    assert!(
        error.contains("only a group programme session or a workshop"),
        "{error}"
    );
    let grace = &mentoring::board(fx.app.store(), d(TODAY)).unwrap()[1];
    assert_eq!(grace.last_support, Some(d("2025-04-10")), "nothing written");
}
