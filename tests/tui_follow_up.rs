//! Follow-ups after exit from the keyboard (S §20.5, issue 17), through the real app loop on a
//! fixed clock (Monday 2 June 2025): the follow-up form over the case, opened from the due-list
//! or the case view, shows the earlier attempts; a tried-not-reached attempt keeps the clock
//! due, a reached one meets it; a clock closed with a reason leaves the list, and the reason is
//! in the case history and the audit log; a bad date is held at its field with nothing written.

mod tui_support;

use casebook::domain::calendar::Calendar;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::domain::record::{Episode, Role, Worker, YoungPerson};
use casebook::due::{due_list, DueFilter};
use casebook::store::{audit, follow_ups, people, records, Store};
use casebook::tui::App;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_support::{app, clock, d, run, screen, terminal, TODAY};

struct Fx {
    app: App,
    t: Terminal<TestBackend>,
    mia: String,
}

/// Ama's one young person, Mia, who completed treatment on 1 October 2024 (eight months
/// ago) with her exit TOP done and no follow-up: both follow-ups are overdue.
fn fixture() -> Fx {
    fixture_with(true)
}

/// The same, with or without the outcome profile at exit.
fn fixture_with(exit_top: bool) -> Fx {
    let mut store = Store::open_in_memory().unwrap();
    let now = clock().now();
    let ama: Worker = people::ensure_worker(&mut store, "Ama Mensah", Role::Duty, now).unwrap();
    let mia = store
        .write(&ama.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    reference: "YP-MMMM-0001".into(),
                    given_name: "Mia".into(),
                    family_name: "Follow".into(),
                    date_of_birth: Some(d("2008-03-14")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2024-03-01"),
                    first_contact_date: Some(d("2024-03-01")),
                    triage_date: Some(d("2024-03-01")),
                    key_worker_id: Some(ama.id.clone()),
                    exit_date: Some(d("2024-10-01")),
                    exit_reason: Some("completed_drug_free".into()),
                    ..Default::default()
                },
            )?;
            if exit_top {
                records::add_outcome_profile(tx, &ep, d("2024-10-01"), "exit")?;
            }
            Ok(yp)
        })
        .unwrap();
    Fx {
        app: app(store, &ama),
        t: terminal(80, 24),
        mia,
    }
}

/// Mia's after-exit items on the due-list, as the store has them now.
fn follow_ups_due(app: &App) -> Vec<DueKind> {
    let codes = CodeLists::embedded();
    let cal = Calendar::embedded();
    due_list(app.store(), &cal, &codes, d(TODAY), &DueFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.after_exit)
        .map(|e| e.kind)
        .collect()
}

fn status(app: &App) -> String {
    app.status().map(|s| s.text.clone()).unwrap_or_default()
}

/// Keys that fill the follow-up form from its first field: method, outcome (each pick moves
/// on to the next field), then any more from the note on.
fn follow_up(method: &str, outcome: &str, more: &str) -> String {
    format!("<Tab>{method}<Enter>{outcome}<Enter>{more}<C-s>")
}

#[test]
fn a_tried_attempt_keeps_the_follow_up_due_and_a_reached_one_meets_it() {
    let mut f = fixture();
    assert_eq!(
        follow_ups_due(&f.app),
        [DueKind::FollowUp3Months, DueKind::FollowUp6Months]
    );
    // Enter on the 3-month follow-up (the most overdue) opens its form over the case.
    run(&mut f.app, &mut f.t, "D<Enter>");
    let s = screen(&f.t);
    assert!(
        s.contains("Follow-up with Mia Follow after the exit on 01/10/2024"),
        "{s}"
    );
    assert!(
        s.contains("No follow-up recorded since the exit on 01/10/2024."),
        "{s}"
    );
    run(
        &mut f.app,
        &mut f.t,
        &follow_up("phone", "tried", "No answer, left a voicemail"),
    );
    assert!(f.app.form().is_none(), "{}", screen(&f.t));
    assert!(
        status(&f.app).contains("an attempt; the follow-up stays due"),
        "{}",
        status(&f.app)
    );
    assert_eq!(
        follow_ups_due(&f.app),
        [DueKind::FollowUp3Months, DueKind::FollowUp6Months]
    );
    // The attempt is in the case history (the timeline) and the form shows it next time.
    let s = screen(&f.t);
    assert!(
        s.contains("Follow-up contact") && s.contains("Tried, not reached by Phone call"),
        "{s}"
    );
    run(&mut f.app, &mut f.t, "u");
    let s = screen(&f.t);
    assert!(
        s.contains("Earlier attempts since the exit on 01/10/2024 (1):"),
        "{s}"
    );
    assert!(
        s.contains("02/06/2025  Phone call: Tried, not reached — No answer, left a voicemail"),
        "{s}"
    );
    insta::assert_snapshot!("follow_up_form", s);

    run(
        &mut f.app,
        &mut f.t,
        &follow_up("phone", "reached", "<Tab>reduced<Enter>"),
    );
    assert!(f.app.form().is_none(), "{}", screen(&f.t));
    assert_eq!(follow_ups_due(&f.app), [DueKind::FollowUp6Months]);
    let h = follow_ups::after_exit_history(f.app.store(), &f.mia).unwrap();
    assert_eq!(h.follow_ups.len(), 2);
    let reached = h
        .follow_ups
        .iter()
        .find(|r| r.outcome.as_deref() == Some("reached"))
        .unwrap();
    assert_eq!(reached.substance_use.as_deref(), Some("reduced"));
    assert_eq!(reached.method.as_deref(), Some("phone"));
}

#[test]
fn closing_a_clock_with_a_reason_removes_it_and_the_reason_is_in_the_history_and_audit_log() {
    let mut f = fixture();
    run(&mut f.app, &mut f.t, "D<Enter><Esc><Esc>");
    assert!(f.app.form().is_none());
    assert!(f.app.case().is_some());
    let reason = "Moved to Leeds; no new number";
    run(
        &mut f.app,
        &mut f.t,
        &format!("U3 months<Enter>{reason}<C-s>"),
    );
    assert!(f.app.form().is_none(), "{}", screen(&f.t));
    assert!(
        status(&f.app).contains("Closed: follow-up 3 months after exit"),
        "{}",
        status(&f.app)
    );
    assert_eq!(follow_ups_due(&f.app), [DueKind::FollowUp6Months]);

    let h = follow_ups::after_exit_history(f.app.store(), &f.mia).unwrap();
    assert_eq!(h.closures.len(), 1);
    assert_eq!(h.closures[0].clock, "follow_up_3m");
    assert_eq!(h.closures[0].reason, reason);
    let s = screen(&f.t);
    assert!(s.contains("Clock closed"), "{s}");
    assert!(
        s.contains("follow-up 3 months after exit: Moved to Leeds"),
        "{s}"
    );
    let log = audit::history_of_young_person(f.app.store(), &f.mia).unwrap();
    let closing = log
        .iter()
        .find(|e| e.table == "clock_closures" && e.action == "insert")
        .expect("the closing is audited");
    assert_eq!(closing.actor, "Ama Mensah");
    // An insert is audited as the row and the hash of its content: the reason is attested.
    let report = f.app.store().verify_audit(true).unwrap();
    assert!(report.first_break.is_none() && report.record_mismatches.is_empty());
    assert!(report.records_checked > 0);

    // Closing the one still open: it is chosen already; without a reason nothing is written.
    run(&mut f.app, &mut f.t, "U<C-s>");
    assert!(f.app.form().is_some());
    assert!(
        screen(&f.t).contains("Reason: this is needed"),
        "{}",
        screen(&f.t)
    );
    run(&mut f.app, &mut f.t, "Not appropriate: in custody<C-s>");
    assert!(f.app.form().is_none(), "{}", screen(&f.t));
    assert!(follow_ups_due(&f.app).is_empty());
    run(&mut f.app, &mut f.t, "U");
    assert!(
        status(&f.app).contains("No after-exit clock is open"),
        "{}",
        status(&f.app)
    );
}

#[test]
fn a_bad_date_is_held_at_its_field_and_nothing_is_written() {
    let mut f = fixture();
    run(&mut f.app, &mut f.t, "D<Enter>");
    run(
        &mut f.app,
        &mut f.t,
        &format!("<C-u>31/02/2025{}", follow_up("phone", "reached", "")),
    );
    assert!(f.app.form().is_some(), "the form stays open");
    let s = screen(&f.t);
    assert!(s.contains("Date:"), "{s}");
    assert!(
        status(&f.app).starts_with("Not saved"),
        "{}",
        status(&f.app)
    );
    // A date before the exit is the shared rule's refusal, shown at the date too.
    run(&mut f.app, &mut f.t, "<C-u>30/09/2024<C-s>");
    let s = screen(&f.t);
    assert!(s.contains("before the exit (2024-10-01)"), "{s}");
    assert!(f.app.form().is_some());
    let h = follow_ups::after_exit_history(f.app.store(), &f.mia).unwrap();
    assert!(h.follow_ups.is_empty() && h.closures.is_empty());
    assert_eq!(
        follow_ups_due(&f.app),
        [DueKind::FollowUp3Months, DueKind::FollowUp6Months]
    );
}

#[test]
fn the_due_list_shows_the_selected_follow_ups_rule_at_80_by_24() {
    let mut f = fixture();
    run(&mut f.app, &mut f.t, "D");
    let s = screen(&f.t);
    assert!(
        s.contains("rule: follow-up 3 months after exit (S §20.5): 3 months after the"),
        "{s}"
    );
    insta::assert_snapshot!("due_list_follow_up_rule", s);
}

#[test]
fn enter_on_a_missing_exit_top_opens_the_outcome_profile_form_over_the_case() {
    let mut f = fixture_with(false);
    assert_eq!(
        follow_ups_due(&f.app),
        [
            DueKind::OutcomeProfileExit,
            DueKind::FollowUp3Months,
            DueKind::FollowUp6Months
        ]
    );
    run(&mut f.app, &mut f.t, "D<Enter>");
    assert!(f.app.case().is_some(), "{}", screen(&f.t));
    let form = f.app.form().expect("a form over the case");
    assert!(form.key.starts_with("outcome"), "{}", form.key);
}
