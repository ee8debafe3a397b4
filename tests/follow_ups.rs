//! Issue 17: after-exit work never drops off unrecorded. A completed episode's follow-ups at 3
//! and 6 months (S §20.5) and its exit TOP stay on the due-list until met or closed with a
//! reason, however long ago the exit; "tried, not reached" keeps them there.
//!
//! The young person completed treatment on Friday 31 January 2025: the 3-month follow-up is
//! due 30 April, the 6-month one 31 July. Today is 1 October 2025, eight months on.

use casebook::domain::calendar::Calendar;
use casebook::domain::clock::Clock;
use casebook::domain::clocks::DueKind;
use casebook::domain::codes::CodeLists;
use casebook::domain::follow_up::FollowUpForm;
use casebook::domain::record::{Episode, Role, YoungPerson};
use casebook::domain::urgency::DueGroup;
use casebook::due::{due_list, DueFilter};
use casebook::import::import_register;
use casebook::store::{audit, follow_ups, people, records, Store};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2025-10-01";

struct Case {
    store: Store,
    worker: String,
    young_person: String,
    episode: String,
}

fn exited(reason: &str) -> Case {
    let mut store = Store::open_in_memory().unwrap();
    let now = Clock::fixed(d(TODAY)).now();
    let w = people::ensure_worker(&mut store, "Kim Keyworker", Role::KeyWorker, now).unwrap();
    let (yp, ep) = store
        .write(&w.id, now, |tx| {
            let (yp, _) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: "Zoë".into(),
                    family_name: "Afterwards".into(),
                    date_of_birth: Some(d("2008-05-05")),
                    ..Default::default()
                },
            )?;
            let ep = records::create_episode(
                tx,
                &Episode {
                    young_person_id: yp.clone(),
                    referral_date: d("2024-09-02"),
                    first_contact_date: Some(d("2024-09-03")),
                    triage_date: Some(d("2024-09-03")),
                    triage_outcome: Some("brief_intervention".into()),
                    key_worker_id: Some(w.id.clone()),
                    exit_date: Some(d("2025-01-31")),
                    exit_reason: Some(reason.into()),
                    ..Default::default()
                },
            )?;
            Ok((yp, ep))
        })
        .unwrap();
    Case {
        store,
        worker: w.id,
        young_person: yp,
        episode: ep,
    }
}

impl Case {
    fn due_on(&self, today: &str) -> Vec<(DueKind, NaiveDate, DueGroup)> {
        due_list(
            &self.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(today),
            &DueFilter::default(),
        )
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.due, e.group))
        .collect()
    }

    fn follow_ups_due(&self) -> Vec<DueKind> {
        self.due_on(TODAY)
            .into_iter()
            .map(|(k, _, _)| k)
            .filter(|k| matches!(k, DueKind::FollowUp3Months | DueKind::FollowUp6Months))
            .collect()
    }

    fn record(&mut self, date: &str, method: &str, outcome: &str, note: &str) {
        let form = FollowUpForm {
            date: date.into(),
            method: method.into(),
            outcome: outcome.into(),
            note: note.into(),
            ..Default::default()
        };
        casebook::follow_ups::record(
            &mut self.store,
            &self.worker,
            Clock::fixed(d(TODAY)).now(),
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &self.episode,
            &form,
        )
        .unwrap();
    }

    fn close(&mut self, clock: &str, reason: &str) -> anyhow::Result<String> {
        casebook::follow_ups::close(
            &mut self.store,
            &self.worker,
            Clock::fixed(d(TODAY)).now(),
            &Calendar::embedded(),
            &CodeLists::embedded(),
            d(TODAY),
            &self.episode,
            clock,
            reason,
        )
    }
}

#[test]
fn an_exit_eight_months_ago_with_no_follow_up_lists_both_follow_ups_overdue() {
    let c = exited("completed_drug_free");
    let mut due = c.due_on(TODAY);
    due.sort();
    assert_eq!(
        due,
        [
            (
                DueKind::OutcomeProfileExit,
                d("2025-02-14"),
                DueGroup::Overdue
            ),
            (DueKind::FollowUp3Months, d("2025-04-30"), DueGroup::Overdue),
            (DueKind::FollowUp6Months, d("2025-07-31"), DueGroup::Overdue),
        ]
    );
    // Never because time passed: five years on they are still there.
    assert_eq!(c.due_on("2030-10-01").len(), 3);
}

#[test]
fn a_tried_not_reached_attempt_keeps_it_listed_and_is_kept() {
    let mut c = exited("completed_drug_free");
    c.record(
        "2025-05-02",
        "phone",
        "not_reached",
        "No answer; voicemail left",
    );
    assert_eq!(
        c.follow_ups_due(),
        [DueKind::FollowUp3Months, DueKind::FollowUp6Months]
    );
    let h = follow_ups::after_exit_history(&c.store, &c.young_person).unwrap();
    assert_eq!(h.follow_ups.len(), 1);
    assert_eq!(h.follow_ups[0].outcome.as_deref(), Some("not_reached"));
    assert_eq!(
        h.follow_ups[0].note.as_deref(),
        Some("No answer; voicemail left")
    );
    // Reached later: that meets the 3-month one (late); the 6-month one is still due.
    c.record("2025-05-09", "visit", "reached", "");
    assert_eq!(c.follow_ups_due(), [DueKind::FollowUp6Months]);
}

#[test]
fn closing_it_with_a_reason_removes_it_and_the_reason_is_in_the_case_history_and_audit_log() {
    let mut c = exited("completed_drug_free");
    c.record("2025-05-02", "phone", "not_reached", "");
    c.record("2025-05-16", "text", "not_reached", "");
    let reason = "Three attempts by phone and text; number now unobtainable";
    let id = c.close("follow_up_3m", reason).unwrap();
    assert_eq!(c.follow_ups_due(), [DueKind::FollowUp6Months]);

    let h = follow_ups::after_exit_history(&c.store, &c.young_person).unwrap();
    assert_eq!(h.closures.len(), 1);
    assert_eq!(
        (h.closures[0].clock.as_str(), h.closures[0].reason.as_str()),
        ("follow_up_3m", reason)
    );
    assert_eq!(h.closures[0].worker.as_deref(), Some("Kim Keyworker"));
    let log = audit::history_of_young_person(&c.store, &c.young_person).unwrap();
    assert!(
        log.iter().any(|e| e.table == "clock_closures"
            && e.action == "insert"
            && e.actor == "Kim Keyworker"),
        "{log:#?}"
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.table == "follow_ups" && e.action == "insert")
            .count(),
        2
    );
    assert!(c
        .store
        .verify_audit(true)
        .unwrap()
        .record_mismatches
        .is_empty());
    assert!(!id.is_empty());

    // Closing needs a reason, an after-exit clock, and one still open.
    let err = |r: anyhow::Result<String>| r.unwrap_err().to_string();
    assert!(err(c.close("follow_up_6m", "  ")).starts_with("reason:"));
    assert!(err(c.close("review", "because")).starts_with("clock:"));
    assert!(err(c.close("follow_up_3m", "again")).contains("already closed"));
}

#[test]
fn a_closing_outcome_closes_the_earliest_open_follow_up_with_the_outcome_as_reason() {
    let mut c = exited("completed_drug_free");
    c.record("2025-04-28", "letter", "moved_away", "Letter returned");
    assert_eq!(c.follow_ups_due(), [DueKind::FollowUp6Months]);
    let h = follow_ups::after_exit_history(&c.store, &c.young_person).unwrap();
    assert_eq!(
        h.closures[0].reason,
        "Moved away or no contact details: Letter returned"
    );
    assert_eq!(
        h.closures[0].follow_up_id.as_deref(),
        Some(h.follow_ups[0].id.as_str())
    );
    // The next one reached meets the 6-month follow-up.
    c.record("2025-07-30", "phone", "reached", "");
    assert!(c.follow_ups_due().is_empty());
}

#[test]
fn a_follow_up_dated_on_the_exit_day_does_not_count() {
    let mut c = exited("completed_drug_free");
    c.record(
        "2025-01-31",
        "phone",
        "reached",
        "Rang on the day she finished",
    );
    assert_eq!(
        c.follow_ups_due(),
        [DueKind::FollowUp3Months, DueKind::FollowUp6Months]
    );
}

#[test]
fn an_unplanned_exit_starts_no_follow_up() {
    let mut c = exited("self_exit");
    assert!(c.due_on(TODAY).is_empty());
    assert!(c
        .close("follow_up_3m", "nothing to close")
        .unwrap_err()
        .to_string()
        .contains("only a planned exit starts the after-exit clocks"));
}

#[test]
fn the_due_list_reads_only_the_exited_episodes_whose_after_exit_work_is_open() {
    let mut c = exited("completed_drug_free");
    assert_eq!(follow_ups::after_exit_open_count(&c.store).unwrap(), 1);
    let now = Clock::fixed(d(TODAY)).now();
    let ep = c.episode.clone();
    let top = c
        .store
        .write(&c.worker, now, |tx| {
            records::add_outcome_profile(tx, &ep, d("2025-01-31"), "exit")
        })
        .unwrap();
    c.record("2025-04-20", "phone", "reached", "");
    assert_eq!(follow_ups::after_exit_open_count(&c.store).unwrap(), 1);
    c.record("2025-07-21", "phone", "reached", "");
    // All met: the episode leaves the small table, and the due-list with it.
    assert_eq!(follow_ups::after_exit_open_count(&c.store).unwrap(), 0);
    assert!(c.due_on(TODAY).is_empty());
    // The TOP entered in error reopens the exit TOP, through the same write path.
    c.store
        .write(&c.worker, now, |tx| {
            tx.mark_in_error("outcome_profiles", &top, "wrong young person")
        })
        .unwrap();
    assert_eq!(follow_ups::after_exit_open_count(&c.store).unwrap(), 1);
    assert_eq!(
        c.due_on(TODAY)
            .into_iter()
            .map(|(k, _, _)| k)
            .collect::<Vec<_>>(),
        [DueKind::OutcomeProfileExit]
    );
}

#[test]
fn a_register_with_follow_up_dates_meets_them() {
    let mut store = Store::open_in_memory().unwrap();
    let clock = Clock::fixed(d(TODAY));
    let actor = people::ensure_worker(&mut store, "Importer", Role::Manager, clock.now())
        .unwrap()
        .id;
    let csv = "ref,given_name,family_name,date_of_birth,referral_date,triage_date,triage_outcome,top_dates,exit_date,exit_reason,follow_up_dates\n\
               R-1,Ada,Done,2008-01-01,2024-09-02,2024-09-03,brief_intervention,2025-01-31,2025-01-31,completed_drug_free,2025-04-25; 28/07/2025\n\
               R-2,Bea,Waiting,2008-02-02,2024-09-02,2024-09-03,brief_intervention,2025-01-31,2025-01-31,completed_drug_free,\n";
    let report = import_register(
        &mut store,
        &actor,
        &clock,
        csv.as_bytes(),
        &CodeLists::embedded(),
        false,
    )
    .unwrap();
    assert_eq!(report.follow_ups_added, 2);
    let due: Vec<(String, DueKind)> = due_list(
        &store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        d(TODAY),
        &DueFilter::default(),
    )
    .unwrap()
    .into_iter()
    .map(|e| (e.name, e.kind))
    .collect();
    assert_eq!(
        due,
        [
            ("Bea Waiting".to_string(), DueKind::FollowUp3Months),
            ("Bea Waiting".to_string(), DueKind::FollowUp6Months),
        ]
    );

    // A follow-up before the exit is named by row and column; nothing is written.
    let bad = "given_name,family_name,date_of_birth,referral_date,exit_date,exit_reason,follow_up_dates\n\
               Cy,Early,2008-03-03,2024-09-02,2025-01-31,completed_drug_free,2025-01-30\n\
               Di,Nodate,2008-03-03,2024-09-02,,,2025-03-01\n";
    let err = import_register(
        &mut store,
        &actor,
        &clock,
        bad.as_bytes(),
        &CodeLists::embedded(),
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "row 2, column follow_up_dates: 2025-01-30 is before the exit_date 2025-01-31"
        ),
        "{err}"
    );
    assert!(
        err.contains("row 3, column follow_up_dates: given without an exit_date"),
        "{err}"
    );
}

#[test]
fn the_due_list_never_scans_closed_episodes() {
    let c = exited("completed_drug_free");
    for key_worker_id in [None, Some(c.worker.clone())] {
        let scope = casebook::store::due::DueScope {
            key_worker_id,
            planned_exit_reasons: CodeLists::embedded().planned_exit_codes(),
        };
        let plan = casebook::store::due::due_query_plan(&c.store, &scope).unwrap();
        let reads: Vec<&String> = plan
            .iter()
            .filter(|l| l.starts_with("SCAN") || l.starts_with("SEARCH"))
            .collect();
        // Open episodes through their partial index, exited ones through the small table;
        // everything else by key.
        for l in &reads {
            let ok = l.contains("episodes_open")
                || l.contains("after_exit_open")
                || l.contains("PRIMARY KEY")
                || l.contains("sqlite_autoindex")
                || l.starts_with("SCAN s");
            assert!(ok, "{l} in {plan:#?}");
        }
        assert!(
            plan.iter().any(|l| l.contains("episodes_open")),
            "{plan:#?}"
        );
        assert!(
            plan.iter().any(|l| l.contains("after_exit_open")),
            "{plan:#?}"
        );
    }
}

// ---- Southampton's local figure (not a KPI): follow-ups due in the quarter -------------------

impl Case {
    /// The local follow-up figure's cell for the under-18s (Zoë is 16 on her referral date)
    /// in quarter `q` of 2025-26, reported on `report`.
    fn figure(&self, q: u8, category: &str) -> Option<casebook::returns::Value> {
        let r = casebook::returns::compute(
            &self.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            &casebook::returns::Request::new(
                casebook::returns::ReturnKind::Southampton,
                casebook::domain::calendar::Quarter::new(2025, q).unwrap(),
                d(TODAY),
            ),
            &mut |_, _, _| {},
        )
        .unwrap();
        assert_eq!(
            r.value("local.follow_ups", category, "under_18"),
            r.value("local.follow_ups", category, "all"),
            "{category}: one young person, an under-18"
        );
        r.value("local.follow_ups", category, "under_18")
    }

    fn explained(&self, q: u8, category: &str) -> Vec<String> {
        casebook::returns::explain_cell(
            &self.store,
            &Calendar::embedded(),
            &CodeLists::embedded(),
            "local.follow_ups",
            category,
            casebook::domain::calendar::Quarter::new(2025, q).unwrap(),
            d(TODAY),
        )
        .unwrap()
        .denominator
        .into_iter()
        .map(|r| r.name)
        .collect()
    }
}

fn n(v: i64) -> Option<casebook::returns::Value> {
    Some(casebook::returns::Value::Int(v))
}

#[test]
fn the_return_counts_follow_ups_due_in_the_quarter_done_closed_and_open() {
    // Exit Fri 31 Jan 2025: the 3-month follow-up falls due 30 Apr (Q1 2025-26, April–June),
    // the 6-month one 31 Jul (Q2, July–September). Nothing is due in Q3.
    let mut c = exited("completed_drug_free");
    for (q, prefix) in [(1, "3_months"), (2, "6_months")] {
        assert_eq!(c.figure(q, &format!("{prefix}:due")), n(1), "Q{q}");
        assert_eq!(c.figure(q, &format!("{prefix}:open")), n(1), "Q{q}");
        assert_eq!(c.figure(q, &format!("{prefix}:done")), n(0), "Q{q}");
    }
    assert_eq!(c.figure(1, "6_months:due"), n(0));
    assert_eq!(c.figure(3, "3_months:due"), n(0));
    assert_eq!(c.figure(3, "6_months:due"), n(0));
    assert_eq!(c.explained(1, "3_months:open"), ["Zoë Afterwards"]);

    // A follow-up on the exit day never counts; a "tried, not reached" attempt keeps it open.
    c.record("2025-01-31", "phone", "reached", "");
    c.record("2025-05-02", "phone", "not_reached", "");
    assert_eq!(c.figure(1, "3_months:open"), n(1));

    // Reached in May (late, but done); the 6-month one closed after attempts.
    c.record("2025-05-09", "visit", "reached", "");
    c.close("follow_up_6m", "Moved out of the area; no new address")
        .unwrap();
    assert_eq!(c.figure(1, "3_months:done"), n(1));
    assert_eq!(c.figure(1, "3_months:open"), n(0));
    assert_eq!(c.figure(2, "6_months:due"), n(1));
    assert_eq!(c.figure(2, "6_months:closed_unreached"), n(1));
    assert_eq!(c.figure(2, "6_months:open"), n(0));
    assert_eq!(
        c.explained(2, "6_months:closed_unreached"),
        ["Zoë Afterwards"]
    );
    assert!(c.explained(2, "6_months:open").is_empty());
}

#[test]
fn an_unplanned_exit_has_no_follow_ups_in_the_return() {
    let c = exited("self_exit");
    for q in [1, 2] {
        assert_eq!(c.figure(q, "3_months:due"), n(0));
        assert_eq!(c.figure(q, "6_months:due"), n(0));
    }
}
