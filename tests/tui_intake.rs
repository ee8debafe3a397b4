//! The intake screens driven by scripted keys through the real loop on a fixed clock: a new
//! referral for a young person already known, triage starting the assessment clock, allocation
//! moving a case onto a caseload, an outreach tally, an exit scheduling follow-ups, bad input
//! shown at the field with nothing written — and each screen drawn at 80×24.

mod tui_support;

use casebook::domain::calendar::Calendar;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::due::{due_list, DueEntry, DueFilter};
use casebook::store::{caseload, drafts, intake, records, Store};
use casebook::tui::caseload::Scope;
use casebook::tui::{App, StatusKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_support::*;

fn setup() -> (App, Terminal<TestBackend>, Fixture) {
    let mut store = Store::open_in_memory().unwrap();
    let mut f = fill(&mut store);
    // Ama runs the duty desk as its manager here: only managers sign off an exit (the role
    // table), and these tests record exits.
    let now = casebook::domain::clock::Clock::fixed(d(TODAY)).now();
    store
        .write(&f.ama.id, now, |tx| {
            casebook::store::people::set_roles(
                tx,
                &f.ama.id,
                &[
                    casebook::domain::record::Role::Duty,
                    casebook::domain::record::Role::Manager,
                ],
            )
        })
        .unwrap();
    f.ama = casebook::store::people::worker(&store, &f.ama.id)
        .unwrap()
        .unwrap();
    (app(store, &f.ama), terminal(80, 24), f)
}

/// The young person of the fixture with this given name.
fn id_of(store: &Store, given: &str) -> String {
    caseload::caseload(store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == given)
        .unwrap()
        .young_person_id
}

fn dues(store: &Store, young_person_id: &str) -> Vec<DueEntry> {
    due_list(
        store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        d(TODAY),
        &DueFilter::default(),
    )
    .unwrap()
    .into_iter()
    .filter(|e| e.young_person_id == young_person_id)
    .collect()
}

fn error_at(app: &App, key: &str) -> String {
    let form = app.form().expect("the form stays open");
    form.field(key)
        .unwrap_or_else(|| panic!("no field {key}"))
        .error
        .clone()
        .unwrap_or_else(|| panic!("no message at {key}: {:?}", app.status()))
}

fn app_worker(app: &App) -> String {
    casebook::store::people::worker_by_name(app.store(), "Ama Mensah")
        .unwrap()
        .unwrap()
        .id
}

fn status_text(app: &App) -> String {
    app.status().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn a_referral_for_a_known_young_person_adds_an_episode_under_them() {
    let (mut app, mut t, _) = setup();
    let priya = id_of(app.store(), "Priya");
    run(&mut app, &mut t, "npriya shah");
    let s = screen(&t);
    assert!(s.contains("Priya Shah"), "{s}");
    let line = s.lines().find(|l| l.contains("Priya Shah")).expect(&s);
    assert!(line.contains("none open"), "{s}");
    assert!(line.contains("same name"), "{s}");
    // Down to her, Enter: the referral form, her details filled in.
    run(&mut app, &mut t, "<Down><Enter>");
    let form = app.form().expect("the referral form");
    assert_eq!(form.text("given_name").as_deref(), Some("Priya"));
    assert_eq!(form.text("date_of_birth").as_deref(), Some("09/09/2006"));
    assert_eq!(form.text("postcode_district").as_deref(), Some("SO14"));
    // To the source (the eighth field), pick School or college, save.
    run(
        &mut app,
        &mut t,
        "<Tab><Tab><Tab><Tab><Tab><Tab><Tab>school or coll<Enter>Mrs Patel, head of year<C-s>",
    );
    assert!(app.form().is_none(), "{}", status_text(&app));
    let status = app.status().unwrap();
    assert!(
        status
            .text
            .starts_with("Referral of 02/06/2025 saved: new episode for Priya Shah"),
        "{}",
        status.text
    );
    // Same young person, now two episodes; nobody new registered.
    let episodes = records::episodes_of(app.store(), &priya).unwrap();
    assert_eq!(episodes.len(), 2);
    let new = episodes.iter().find(|e| e.is_open()).unwrap();
    assert_eq!(new.referral_date, d(TODAY));
    assert_eq!(new.referral_source.as_deref(), Some("school_college"));
    assert_eq!(new.referrer.as_deref(), Some("Mrs Patel, head of year"));
    assert_eq!(caseload::caseload(app.store()).unwrap().len(), 6);
    // Her case opens, and the triage clock runs from the referral.
    assert_eq!(app.case().unwrap().model.person.id, priya);
    let triage = dues(app.store(), &priya)
        .into_iter()
        .find(|e| e.kind == DueKind::Triage)
        .expect("the triage is due");
    assert!(triage.due >= d(TODAY));
    let row = app
        .caseload()
        .rows()
        .iter()
        .find(|r| r.young_person_id == priya)
        .unwrap();
    assert_eq!(row.episode.as_ref().unwrap().referral_date, d(TODAY));
    // On the whole team's caseload (nobody is allocated yet) at the referred stage; her next
    // due there is the outcome profile overdue from her last episode, earlier than the triage.
    run(&mut app, &mut t, "<Esc>t");
    let s = screen(&t);
    let line = s.lines().find(|l| l.contains("Priya")).unwrap_or_default();
    assert!(line.contains("referred"), "{s}");
}

#[test]
fn a_young_person_with_an_open_episode_cannot_be_referred_again() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "nkwame asante<Down><Enter>");
    assert!(app.form().is_none());
    let status = app.status().unwrap();
    assert_eq!(status.kind, StatusKind::Warning);
    assert!(
        status
            .text
            .contains("Kwame Asante already has an open episode"),
        "{}",
        status.text
    );
}

#[test]
fn a_full_triage_starts_the_assessment_clock() {
    let (mut app, mut t, _) = setup();
    let kwame = id_of(app.store(), "Kwame");
    run(&mut app, &mut t, "t/kwame<Enter><Enter>T");
    assert_eq!(app.form().unwrap().name, "Triage");
    let script = concat!(
        "<Tab>Cannabis most days; sleeping badly<Tab>", // presenting needs
        "<Tab>",                                        // no substance use: no
        "cannabis (herbal<Enter>smoking<Enter>daily<Enter>13<Tab>", // primary
        "alcohol<Enter>oral<Enter>once a week<Enter>14<Tab>", // secondary
        "<Tab><Tab><Tab><Tab>",                         // other: none
        "never<Enter>n<Tab>medium<Enter>soon<Enter>6<Tab>",
        "Older friends supply<Tab>",
        "school excl<Space><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS>poor school<Space><Tab>",
        "comprehensive<Enter>Weekly sessions at school<Tab>",
        "self-harm<Enter>high<Enter>Daily check-in with school nurse<Tab>+7d",
        "<C-s>"
    );
    run(&mut app, &mut t, script);
    assert!(app.form().is_none(), "{}", status_text(&app));
    assert!(
        status_text(&app).contains("a comprehensive assessment is now due within 5 working days"),
        "{}",
        status_text(&app)
    );
    let episode = records::episodes_of(app.store(), &kwame).unwrap().remove(0);
    assert_eq!(episode.triage_date, Some(d(TODAY)));
    assert_eq!(
        episode.triage_outcome.as_deref(),
        Some("comprehensive_assessment")
    );
    let subs = intake::substances_of(app.store(), &episode.id).unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!((subs[0].rank, subs[0].age_first_use), (1, Some(13)));
    assert_eq!(subs[0].frequency.as_deref(), Some("daily"));
    assert_eq!((subs[1].rank, subs[1].substance.as_str()), (2, "alcohol"));
    let vulns = intake::vulnerabilities_of(app.store(), &kwame).unwrap();
    assert_eq!(vulns.len(), 2, "{vulns:?}");
    let flags = records::flags_of(app.store(), &kwame).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].flag_type, "self_harm");
    assert_eq!(flags[0].review_date, Some(d("2025-06-09")));
    // Five working days from Monday 2 June: Monday 9 June.
    let assessment = dues(app.store(), &kwame)
        .into_iter()
        .find(|e| e.kind == DueKind::Assessment)
        .expect("the assessment is due");
    assert_eq!(assessment.due, d("2025-06-09"));
    assert!(dues(app.store(), &kwame)
        .iter()
        .all(|e| e.kind != DueKind::Triage));
    // The caseload's next due for him is now the assessment.
    run(&mut app, &mut t, "<Esc>");
    let s = screen(&t);
    let line = s.lines().find(|l| l.contains("Kwame")).unwrap_or_default();
    assert!(line.contains("09/06 assessment"), "{s}");
}

#[test]
fn a_triage_dated_before_the_referral_is_refused_at_the_date() {
    let (mut app, mut t, _) = setup();
    let kwame = id_of(app.store(), "Kwame");
    run(
        &mut app,
        &mut t,
        "t/kwame<Enter><Enter>T<C-u>20/05/2025<Tab><Tab>y<Tab>",
    );
    // To the outcome: past the substances and the rest.
    for _ in 0..19 {
        run(&mut app, &mut t, "<Tab>");
    }
    assert_eq!(app.form().unwrap().focused().unwrap().key, "outcome");
    run(&mut app, &mut t, "brief<Enter><C-s>");
    let err = error_at(&app, "date");
    assert!(
        err.starts_with(
            "Triage date: the triage date 2025-05-20 is before the referral date 2025-05-27"
        ),
        "{err}"
    );
    assert_eq!(app.form().unwrap().focused().unwrap().key, "date");
    assert_eq!(app.status().unwrap().kind, StatusKind::Error);
    assert!(
        screen(&t).contains("✗ Triage date: the triage date 2025-05-20 is before the"),
        "{}",
        screen(&t)
    );
    let episode = records::episodes_of(app.store(), &kwame).unwrap().remove(0);
    assert_eq!(episode.triage_date, None, "nothing written");
}

#[test]
fn allocation_moves_the_case_onto_the_workers_caseload() {
    let (mut app, mut t, f) = setup();
    let kwame = id_of(app.store(), "Kwame");
    run(&mut app, &mut t, "t/kwame<Enter><Enter>a");
    assert_eq!(app.form().unwrap().name, "Allocation");
    assert_eq!(
        app.form().unwrap().choice("key_worker").as_deref(),
        Some(f.ama.id.as_str()),
        "starts as the worker allocated now"
    );
    run(&mut app, &mut t, "ben<Enter>camhs<Enter><Tab>Low mood<C-s>");
    assert!(app.form().is_none(), "{}", status_text(&app));
    assert!(
        status_text(&app).starts_with("Allocated to Ben Carter"),
        "{}",
        status_text(&app)
    );
    let bens = intake::open_episodes_of_key_worker(app.store(), &f.ben.id).unwrap();
    assert!(bens.iter().any(|e| e.young_person_id == kwame));
    assert!(
        bens.iter()
            .find(|e| e.young_person_id == kwame)
            .unwrap()
            .joint_worked
    );
    let outs = caseload::referrals_out_of(app.store(), &kwame).unwrap();
    assert_eq!(outs.len(), 1);
    assert_eq!(outs[0].service, "camhs");
    assert_eq!(
        app.case().unwrap().model.key_worker.as_deref(),
        Some("Ben Carter")
    );
    // Off Ama's caseload ("My caseload" is hers), onto Ben's.
    run(&mut app, &mut t, "<Esc>");
    let row = app
        .caseload()
        .rows()
        .iter()
        .find(|r| r.young_person_id == kwame)
        .unwrap();
    assert_eq!(row.key_worker_id.as_deref(), Some(f.ben.id.as_str()));
    // Back to "My caseload" (Ama's): Kwame is no longer on it.
    run(&mut app, &mut t, "t");
    assert_eq!(app.caseload().scope(), Scope::Mine);
    assert!(app.caseload().visible().all(|r| r.young_person_id != kwame));
}

#[test]
fn a_closed_intake_form_keeps_its_draft_to_restore() {
    let (mut app, mut t, _) = setup();
    let zoe = id_of(app.store(), "Zoë");
    run(&mut app, &mut t, "t/zoe<Enter><Enter>x<C-u>-1d<Esc><Esc>");
    assert!(app.form().is_none());
    assert!(
        !app.case().unwrap().model.draft_waiting,
        "not a contact draft"
    );
    assert!(!screen(&t).contains("contact draft"), "{}", screen(&t));
    run(&mut app, &mut t, "x");
    assert!(app.has_draft_offer(), "{}", screen(&t));
    run(&mut app, &mut t, "r");
    assert_eq!(app.form().unwrap().date("date"), Some(d("2025-06-01")));
    // Saved: the draft goes with it.
    run(&mut app, &mut t, "<Tab>drug free<Enter><C-s>");
    assert!(app.form().is_none(), "{}", status_text(&app));
    assert_eq!(
        records::episodes_of(app.store(), &zoe).unwrap()[0].exit_date,
        Some(d("2025-06-01"))
    );
    assert_eq!(drafts::count(app.store(), &app_worker(&app)).unwrap(), 0);
}

#[test]
fn an_outreach_tally_saves_on_enter_and_resets_for_the_next() {
    let (mut app, mut t, f) = setup();
    run(
        &mut app,
        &mut t,
        "O<Tab>school or<Enter>12<Enter>under<Enter>male<Enter><Enter>",
    );
    let rows = intake::outreach_tallies_on(app.store(), d(TODAY)).unwrap();
    assert_eq!(rows.len(), 1, "{}", status_text(&app));
    let r = &rows[0];
    assert_eq!(
        (r.setting.as_str(), r.count, r.age_band.as_str()),
        ("school_college", 12, "under_18")
    );
    assert_eq!(
        (r.gender.as_str(), r.brief_intervention.as_str()),
        ("male", "none")
    );
    assert_eq!(r.worker_id.as_deref(), Some(f.ama.id.as_str()));
    assert_eq!(
        status_text(&app),
        "Tally saved: 12 young people at School or college on 02/06/2025 — ready for the next"
    );
    // Ready for the next: same date and setting, the count to type.
    let form = app.form().expect("the form stays for the next tally");
    assert_eq!(form.choice("setting").as_deref(), Some("school_college"));
    assert_eq!(form.text("count"), None);
    assert_eq!(form.focused().unwrap().key, "count");
    // (A choice's highlight keeps its place as the filter narrows: Up to the first match.)
    run(
        &mut app,
        &mut t,
        "3<Enter>18-24<Enter>female<Enter>alcohol<Up><Enter><Enter>",
    );
    let rows = intake::outreach_tallies_on(app.store(), d(TODAY)).unwrap();
    assert_eq!(rows.len(), 2, "{}", status_text(&app));
    assert_eq!(
        (
            rows[1].count,
            rows[1].age_band.as_str(),
            rows[1].brief_intervention.as_str()
        ),
        (3, "18_24", "alcohol")
    );
}

#[test]
fn a_planned_exit_schedules_the_follow_ups() {
    let (mut app, mut t, _) = setup();
    let zoe = id_of(app.store(), "Zoë");
    run(&mut app, &mut t, "t/zoe<Enter><Enter>x");
    assert_eq!(app.form().unwrap().name, "Exit");
    run(&mut app, &mut t, "<Tab>drug free<Enter><C-s>");
    assert!(app.form().is_none(), "{}", status_text(&app));
    assert!(
        status_text(&app).starts_with("Exit of 02/06/2025 saved (planned)"),
        "{}",
        status_text(&app)
    );
    let episodes = records::episodes_of(app.store(), &zoe).unwrap();
    let last = &episodes[0];
    assert_eq!(last.exit_date, Some(d(TODAY)));
    assert_eq!(last.exit_reason.as_deref(), Some("completed_drug_free"));
    let due = dues(app.store(), &zoe);
    // This episode's: her earlier completed episode (2024) has overdue follow-ups of its own.
    let this = casebook::due::DueSubject::Episode(last.id.clone());
    let at = |k: DueKind| {
        due.iter()
            .find(|e| e.kind == k && e.subject == this)
            .map(|e| e.due)
    };
    assert_eq!(at(DueKind::FollowUp3Months), Some(d("2025-09-02")));
    assert_eq!(at(DueKind::FollowUp6Months), Some(d("2025-12-02")));
    // The case view's timeline shows them.
    let s = screen(&t);
    assert!(
        s.contains("Follow-up 3 months  —           … due 02/09/2025"),
        "{s}"
    );
    assert!(
        s.contains("Follow-up 6 months  —           … due 02/12/2025"),
        "{s}"
    );
}

#[test]
fn bad_referrals_show_the_message_at_the_field_and_write_nothing() {
    let (mut app, mut t, _) = setup();
    let before = caseload::caseload(app.store()).unwrap().len();
    // A new young person: the name comes from the search.
    run(&mut app, &mut t, "nJo Bloggs<Enter>");
    let form = app.form().expect("the referral form");
    assert_eq!(form.text("given_name").as_deref(), Some("Jo"));
    assert_eq!(form.text("family_name").as_deref(), Some("Bloggs"));
    // Born 2022: three on the referral date. Referred in three days' time.
    run(
        &mut app,
        &mut t,
        "<Tab><Tab>01/01/2022<Tab><Tab><Tab><Tab><C-u>+3d<Tab>school or coll<Enter><C-s>",
    );
    let dob = error_at(&app, "date_of_birth");
    assert!(
        dob.starts_with("Date of birth: check the date of birth: that makes them"),
        "{dob}"
    );
    let date = error_at(&app, "referral_date");
    assert!(date.starts_with("Referral date:"), "{date}");
    assert!(date.contains("future"), "{date}");
    let status = app.status().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status.text.contains("Date of birth, Referral date"),
        "{}",
        status.text
    );
    assert_eq!(app.form().unwrap().focused().unwrap().key, "date_of_birth");
    assert_eq!(caseload::caseload(app.store()).unwrap().len(), before);
}

#[test]
fn a_referral_outside_the_service_ages_is_accepted_with_a_note() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "nSam Okafor 01/01/1999<Enter><Tab>");
    // The note shows while the form is open, before saving.
    let status = app.status().expect("a note");
    assert_eq!(status.kind, StatusKind::Warning);
    assert_eq!(
        status.text,
        "Aged 26 on the referral date: outside 11–24, accepted (nobody is refused)"
    );
    assert!(
        screen(&t).contains("! Aged 26 on the referral date"),
        "{}",
        screen(&t)
    );
    run(
        &mut app,
        &mut t,
        "<Tab><Tab><Tab><Tab><Tab><Tab>self-ref<Enter><C-s>",
    );
    assert!(app.form().is_none(), "{}", status_text(&app));
    let status = app.status().unwrap();
    assert_eq!(status.kind, StatusKind::Warning);
    assert!(status.text.contains("registered as YP-"), "{}", status.text);
    assert!(
        status.text.contains("aged 26 on referral"),
        "{}",
        status.text
    );
    assert_eq!(caseload::caseload(app.store()).unwrap().len(), 7);
    assert_eq!(app.case().unwrap().model.person.given_name, "Sam");
}

#[test]
fn every_intake_action_is_in_the_keymap_with_a_description() {
    use casebook::tui::keymap::Action;
    let (app, _, _) = setup();
    for a in [
        Action::NewReferral,
        Action::Triage,
        Action::Allocate,
        Action::OutreachTally,
        Action::RecordExit,
    ] {
        let b = app
            .keymap()
            .bindings()
            .iter()
            .find(|b| b.action == a)
            .unwrap_or_else(|| panic!("{a:?} is not bound"));
        assert!(!b.description.is_empty() && !b.keys.is_empty(), "{a:?}");
    }
}

#[test]
fn the_palette_opens_a_new_referral() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, ":new referral<Enter>");
    assert!(
        screen(&t).contains("New referral: is this young person already known?"),
        "{}",
        screen(&t)
    );
    run(&mut app, &mut t, "<Esc>");
    assert!(!screen(&t).contains("already known?"));
}

// Each screen at 80×24.

#[test]
fn referral_search_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "nzoe hart");
    insta::assert_snapshot!("referral_search", screen(&t));
}

#[test]
fn referral_form_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "npriya shah<Down><Enter>");
    insta::assert_snapshot!("referral_form", screen(&t));
}

#[test]
fn triage_form_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(
        &mut app,
        &mut t,
        "t/kwame<Enter><Enter>T<Tab>Cannabis most days<Tab><Tab>cannabis (herbal<Enter>",
    );
    insta::assert_snapshot!("triage_form", screen(&t));
}

#[test]
fn allocation_form_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "t/kwame<Enter><Enter>a");
    insta::assert_snapshot!("allocation_form", screen(&t));
}

#[test]
fn outreach_tally_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "O<Tab>school or<Enter>12<Enter>");
    insta::assert_snapshot!("outreach_tally", screen(&t));
}

#[test]
fn exit_form_at_80_by_24() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "t/zoe<Enter><Enter>x<Tab>");
    insta::assert_snapshot!("exit_form", screen(&t));
}

#[test]
fn intake_keys_say_why_when_the_episode_cannot_take_them() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "t/zoe<Enter><Enter>T");
    assert!(app.form().is_none());
    assert_eq!(
        status_text(&app),
        "This episode was triaged on 02/05/2025: one triage per episode"
    );
    // Priya's last episode ended in April: no exit, no allocation until a new referral.
    run(&mut app, &mut t, "<Esc><Esc>e/priya<Enter><Enter>x");
    assert!(app.form().is_none());
    assert_eq!(
        status_text(&app),
        "Priya Shah's last episode ended on 11/04/2025: take a new referral (n) first"
    );
    run(&mut app, &mut t, "a");
    assert!(app.form().is_none());
    assert!(status_text(&app).contains("take a new referral"));
}

#[test]
fn the_search_finds_by_date_of_birth_and_by_reference() {
    let (mut app, mut t, _) = setup();
    run(&mut app, &mut t, "n28/02/2009");
    let s = screen(&t);
    let line = s.lines().find(|l| l.contains("Zoë Hart")).expect(&s);
    assert!(line.contains("same date of birth"), "{s}");
    assert!(line.contains(" open "), "{s}");
    run(&mut app, &mut t, "<Esc>nYP-FG3T0-6C1AZ");
    let s = screen(&t);
    let line = s.lines().find(|l| l.contains("Priya Shah")).expect(&s);
    assert!(line.contains("same reference"), "{s}");
    assert!(line.contains("none open"), "{s}");
    // Nobody: only a new young person to choose.
    run(&mut app, &mut t, "<Esc>nxanthe quill");
    assert!(screen(&t).contains("Nobody on record matches what is typed."));
}
