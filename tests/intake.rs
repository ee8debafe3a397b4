//! The duty worker's day through the real store on a temporary file: a referral that finds a
//! known young person, refusals that leave nothing behind, triage, allocation, joint working,
//! a brief intervention, an outreach tally and an exit whose follow-ups the clocks then show.

mod common;
use common::*;

use casebook::domain::calendar::{AgeBand, Calendar};
use casebook::domain::clock::Clock;
use casebook::domain::clocks::{episode_due_items, DueKind};
use casebook::domain::codes::CodeLists;
use casebook::domain::intake::*;
use casebook::domain::record::{Role, Worker};
use casebook::domain::validate::Invalid;
use casebook::store::due::{load, DueScope};
use casebook::store::intake::{self as intake_store, PossibleMatch};
use casebook::store::{people, records, Store};
use chrono::NaiveDate;

/// Wednesday 4 June 2025.
const TODAY: &str = "2025-06-04";

struct Desk {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    duty: Worker,
    codes: CodeLists,
    clock: Clock,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casebook.db");
        let mut store = Store::open(&path, &test_key()).unwrap();
        let clock = Clock::fixed(d(TODAY));
        let duty =
            // A duty manager: exits are signed off by managers only (the role table).
            people::ensure_worker_with(&mut store, "Ama Mensah", &[Role::Duty, Role::Manager], clock.now()).unwrap();
        Desk {
            _dir: dir,
            path,
            store,
            duty,
            codes: CodeLists::embedded(),
            clock,
        }
    }

    fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Saves a referral as a screen would: validate, then record in one transaction. A
    /// validation problem comes back as the same `Invalid` the store's refusals use.
    fn refer(
        &mut self,
        existing: Option<&str>,
        form: &ReferralForm,
    ) -> anyhow::Result<intake_store::RecordedReferral> {
        let today = self.today();
        let v = validate_referral(form, &self.codes, today).map_err(|p| Invalid(p.0))?;
        self.store.write(&self.duty.id, self.clock.now(), |tx| {
            intake_store::record_referral(tx, existing, &v)
        })
    }

    fn context(&self, episode_id: &str) -> EpisodeContext {
        intake_store::episode_context(&self.store, episode_id)
            .unwrap()
            .unwrap()
    }

    fn triage(&mut self, episode_id: &str, form: &TriageForm) -> anyhow::Result<String> {
        let ctx = self.context(episode_id);
        let v = validate_triage(form, &self.codes, self.today(), &ctx).map_err(|p| Invalid(p.0))?;
        self.store.write(&self.duty.id, self.clock.now(), |tx| {
            intake_store::record_triage(tx, episode_id, &v)
        })
    }

    fn exit(&mut self, episode_id: &str, date: &str, reason: &str) -> anyhow::Result<()> {
        let ctx = self.context(episode_id);
        let form = ExitForm {
            date: date.into(),
            reason: reason.into(),
        };
        let v = validate_exit(&form, &self.codes, self.today(), &ctx).map_err(|p| Invalid(p.0))?;
        self.store.write(&self.duty.id, self.clock.now(), |tx| {
            intake_store::record_exit(tx, episode_id, &v)
        })
    }

    fn counts(&self) -> Vec<(&'static str, i64)> {
        let mut c = records::record_counts(&self.store).unwrap();
        let conn = keyed_open(&self.path).unwrap();
        for t in [
            "episode_substances",
            "young_person_vulnerabilities",
            "risk_flag_events",
        ] {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            c.push((t, n));
        }
        c
    }

    fn sql<T: rusqlite::types::FromSql>(&self, sql: &str, arg: &str) -> T {
        keyed_open(&self.path)
            .unwrap()
            .query_row(sql, [arg], |r| r.get(0))
            .unwrap()
    }
}

/// The field-named problems inside a refusal.
fn problems(err: &anyhow::Error) -> &Invalid {
    err.downcast_ref::<Invalid>()
        .unwrap_or_else(|| panic!("expected field-named problems, got: {err:#}"))
}

fn message_at<'a>(err: &'a anyhow::Error, field: &str) -> &'a str {
    problems(err)
        .0
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
        .unwrap_or_else(|| panic!("no problem at {field}: {err}"))
}

fn zoe() -> ReferralForm {
    ReferralForm {
        given_name: "Zoë".into(),
        family_name: "Ní Bhriain".into(),
        date_of_birth: "28/02/2009".into(),
        sex: "female".into(),
        ethnicity: "A".into(),
        postcode_district: "so14 0aa".into(),
        referral_date: "2024-09-02".into(),
        referral_source: "school_college".into(),
        referrer: "Head of year".into(),
        referral_reason: "Cannabis use affecting attendance".into(),
        consent_to_share: Some(true),
        consent_date: "2024-09-02".into(),
        urgency: "routine".into(),
        ..Default::default()
    }
}

fn kai(referral_date: &str) -> ReferralForm {
    ReferralForm {
        given_name: "Kai".into(),
        family_name: "Lee".into(),
        date_of_birth: "2011-09-01".into(),
        referral_date: referral_date.into(),
        referral_source: "Self".into(),
        ..Default::default()
    }
}

fn triage_form(date: &str) -> TriageForm {
    TriageForm {
        date: date.into(),
        presenting_needs: "Daily cannabis, school exclusion pending".into(),
        substances: vec![
            SubstanceForm {
                substance: "Cannabis".into(),
                route: "smoking".into(),
                frequency: "daily".into(),
                age_first_use: "12".into(),
            },
            SubstanceForm {
                substance: "alcohol".into(),
                route: "oral".into(),
                frequency: "once_a_week".into(),
                age_first_use: "13".into(),
            },
        ],
        injecting: "never".into(),
        sharing: Some(false),
        seriousness: "medium".into(),
        urgency: "soon".into(),
        motivation: "6".into(),
        risk_factors: "Older peers supplying".into(),
        vulnerabilities: vec![
            "school_excludee".into(),
            "Young offender".into(),
            "school_excludee".into(),
        ],
        outcome: "Comprehensive assessment needed (structured treatment)".into(),
        interim_plan: "Weekly check-in until the assessment".into(),
        flags_to_raise: vec![NewFlagForm {
            flag_type: "risk_from_others".into(),
            level: "high".into(),
            action: "Discuss at the exploitation panel; safety plan with school".into(),
            review_date: "2025-06-18".into(),
        }],
        ..Default::default()
    }
}

#[test]
fn a_known_young_person_found_by_birth_date_and_accented_name_gets_a_second_episode() {
    let mut desk = Desk::new();
    let first = desk.refer(None, &zoe()).unwrap();
    assert!(first.new_young_person);
    desk.exit(&first.episode_id, "2024-12-02", "completed_drug_free")
        .unwrap();
    // Others on the record: one born the same day with another name, one with a similar name.
    let mut same_day = kai("2024-10-01");
    same_day.date_of_birth = "2009-02-28".into();
    desk.refer(None, &same_day).unwrap();
    let mut namesake = zoe();
    namesake.date_of_birth = "2010-07-07".into();
    namesake.family_name = "Ni Bhrian".into();
    let namesake = desk.refer(None, &namesake).unwrap();

    // The duty worker types the name without accents, and the date of birth.
    let found: Vec<PossibleMatch> = intake_store::possible_matches(
        &desk.store,
        "Zoe",
        "Ni Bhriain",
        Some(d("2009-02-28")),
        "",
        10,
    )
    .unwrap();
    let summary: Vec<(String, MatchReason, Vec<MatchReason>, bool)> = found
        .iter()
        .map(|m| {
            (
                m.young_person.display_name(),
                m.reason,
                m.also.clone(),
                m.open_episode,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Zoë Ní Bhriain".to_string(),
                MatchReason::SameDateOfBirth,
                vec![MatchReason::SimilarName { score: 100 }],
                false
            ),
            (
                "Kai Lee".to_string(),
                MatchReason::SameDateOfBirth,
                vec![],
                true
            ),
            (
                "Zoë Ni Bhrian".to_string(),
                MatchReason::SimilarName { score: 90 },
                vec![],
                true
            ),
        ]
    );
    assert_eq!(found[2].young_person.id, namesake.young_person_id);
    let zoe_id = found[0].young_person.id.clone();
    assert_eq!(zoe_id, first.young_person_id);

    // Her reference, typed loosely, puts her first.
    let by_ref = intake_store::possible_matches(
        &desk.store,
        "",
        "",
        None,
        &first.reference.to_lowercase().replace('-', " "),
        10,
    )
    .unwrap();
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0].reason, MatchReason::SameReference);

    // The new referral goes under her ID as a second episode.
    let people_before = desk.counts()[1];
    let mut again = zoe();
    again.given_name = "Zoe".into();
    again.family_name = "Ni Bhriain".into();
    again.referral_date = "2025-06-02".into();
    again.postcode_district = "SO16 3AB".into();
    again.referral_source = "GP".into();
    let second = desk.refer(Some(&zoe_id), &again).unwrap();
    assert!(!second.new_young_person);
    assert_eq!(second.young_person_id, zoe_id);
    assert_eq!(second.reference, first.reference);
    assert_ne!(second.episode_id, first.episode_id);
    assert_eq!(second.updated, ["postcode_district"]);
    assert_eq!(desk.counts()[1], people_before, "no new young person");
    let episodes = records::episodes_of(&desk.store, &zoe_id).unwrap();
    assert_eq!(
        episodes
            .iter()
            .map(|e| (e.referral_date, e.referral_source.as_deref()))
            .collect::<Vec<_>>(),
        [
            (d("2025-06-02"), Some("gp")),
            (d("2024-09-02"), Some("school_college"))
        ]
    );
    let person = people::young_person(&desk.store, &zoe_id).unwrap().unwrap();
    assert_eq!(
        person.display_name(),
        "Zoë Ní Bhriain",
        "stored spelling kept"
    );
    assert_eq!(person.postcode_district.as_deref(), Some("SO16"));
}

#[test]
fn a_second_open_episode_is_refused_and_nothing_is_written() {
    let mut desk = Desk::new();
    let first = desk.refer(None, &kai("2025-05-01")).unwrap();
    let before = desk.counts();
    let err = desk
        .refer(Some(&first.young_person_id), &kai("2025-06-02"))
        .unwrap_err();
    assert_eq!(
        message_at(&err, "young_person"),
        "already has an open episode (referred 2025-05-01): record the referral on that \
         episode, or record its exit first"
    );
    assert_eq!(desk.counts(), before);

    // After the exit, a referral dated before that exit is refused at its date.
    desk.exit(&first.episode_id, "2025-05-20", "self_exit")
        .unwrap();
    let before = desk.counts();
    let err = desk
        .refer(Some(&first.young_person_id), &kai("2025-05-19"))
        .unwrap_err();
    assert!(message_at(&err, "referral_date").contains("before the end of their last episode"));
    assert_eq!(desk.counts(), before);
    desk.refer(Some(&first.young_person_id), &kai("2025-05-20"))
        .unwrap();
}

#[test]
fn bad_dates_are_refused_at_their_field_and_nothing_is_written() {
    let mut desk = Desk::new();
    let ep = desk.refer(None, &kai("2025-06-02")).unwrap().episode_id;
    let before = desk.counts();

    let err = desk.refer(None, &kai("2025-06-05")).unwrap_err();
    assert_eq!(
        message_at(&err, "referral_date"),
        "the referral date 2025-06-05 is in the future (today is 2025-06-04)"
    );

    let mut toddler = kai("2025-06-02");
    toddler.date_of_birth = "2022-01-10".into();
    let err = desk.refer(None, &toddler).unwrap_err();
    assert_eq!(
        message_at(&err, "date_of_birth"),
        "check the date of birth: that makes them 3 on the referral date (expected 5 to 30)"
    );

    let mut elder = kai("2025-06-02");
    elder.date_of_birth = "15/03/1935".into();
    let err = desk.refer(None, &elder).unwrap_err();
    assert!(message_at(&err, "date_of_birth").contains("that makes them 90"));

    let err = desk.triage(&ep, &triage_form("2025-06-01")).unwrap_err();
    assert_eq!(
        message_at(&err, "date"),
        "the triage date 2025-06-01 is before the referral date 2025-06-02"
    );
    let err = desk.triage(&ep, &triage_form("tomorrow")).unwrap_err();
    assert!(message_at(&err, "date").contains("in the future"));

    assert_eq!(desk.counts(), before, "nothing written by any refusal");
}

#[test]
fn the_store_rechecks_a_triage_against_the_episode_it_is_saved_on() {
    let mut desk = Desk::new();
    let early = desk.refer(None, &kai("2025-05-01")).unwrap().episode_id;
    let mut other = zoe();
    other.referral_date = "2025-06-03".into();
    let late = desk.refer(None, &other).unwrap().episode_id;
    // Valid for the early episode, then saved on the late one by mistake.
    let ctx = desk.context(&early);
    let v = validate_triage(&triage_form("2025-06-02"), &desk.codes, desk.today(), &ctx).unwrap();
    let before = desk.counts();
    let err = desk
        .store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_triage(tx, &late, &v)
        })
        .unwrap_err();
    assert!(message_at(&err, "date").contains("before the referral date 2025-06-03"));
    assert_eq!(desk.counts(), before);
}

#[test]
fn an_age_26_referral_is_accepted_with_a_note() {
    let mut desk = Desk::new();
    let mut form = kai("2025-06-02");
    form.date_of_birth = "1999-01-15".into();
    let v = validate_referral(&form, &desk.codes, desk.today()).unwrap();
    assert_eq!(v.age_on_referral, 26);
    assert_eq!(v.age_band, AgeBand::Other);
    assert_eq!(
        v.notes,
        ["aged 26 on referral: outside 11–24, accepted (S §11.2: nobody is refused)"]
    );
    let rec = desk.refer(None, &form).unwrap();
    let ep = records::episode(&desk.store, &rec.episode_id)
        .unwrap()
        .unwrap();
    assert_eq!(ep.referral_date, d("2025-06-02"));
    assert_eq!(ep.referral_source.as_deref(), Some("self"));
}

#[test]
fn a_full_triage_sets_the_episode_writes_substances_and_vulnerabilities_and_raises_a_flag() {
    let mut desk = Desk::new();
    let rec = desk.refer(None, &zoe()).unwrap();
    desk.exit(&rec.episode_id, "2024-10-01", "self_exit")
        .unwrap();
    let mut again = zoe();
    again.referral_date = "2025-06-02".into();
    let ep = desk
        .refer(Some(&rec.young_person_id), &again)
        .unwrap()
        .episode_id;
    let audit_before: i64 = desk.sql("SELECT count(*) FROM audit_log WHERE ?1 = ?1", "x");

    let triage_id = desk.triage(&ep, &triage_form("2025-06-03")).unwrap();

    let e = records::episode(&desk.store, &ep).unwrap().unwrap();
    assert_eq!(e.triage_date, Some(d("2025-06-03")));
    assert_eq!(
        e.triage_outcome.as_deref(),
        Some("comprehensive_assessment")
    );
    assert_eq!(e.first_contact_date, Some(d("2025-06-03")));
    // The in-transaction read the store validates against is the same episode.
    assert_eq!(desk.context(&ep).episode, e);

    let subs = intake_store::substances_of(&desk.store, &ep).unwrap();
    assert_eq!(
        subs.iter()
            .map(|s| (s.rank, s.substance.as_str(), s.age_first_use))
            .collect::<Vec<_>>(),
        [(1, "cannabis", Some(12)), (2, "alcohol", Some(13))]
    );
    assert_eq!(
        intake_store::vulnerabilities_of(&desk.store, &rec.young_person_id).unwrap(),
        ["school_excludee", "young_offender"]
    );
    let flags = records::flags_of(&desk.store, &rec.young_person_id).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].flag_type, "risk_from_others");
    assert_eq!(flags[0].raised_by, desk.duty.id);
    assert_eq!(flags[0].raised_on, d("2025-06-03"));
    assert_eq!(flags[0].episode_id.as_deref(), Some(ep.as_str()));
    let motivation: i64 = desk.sql("SELECT motivation FROM triages WHERE id = ?1", &triage_id);
    assert_eq!(motivation, 6);
    let by: String = desk.sql("SELECT worker_id FROM triages WHERE id = ?1", &triage_id);
    assert_eq!(by, desk.duty.id);

    // Every row written has its audit row naming the duty worker.
    let conn = keyed_open(&desk.path).unwrap();
    let unaudited: i64 = conn
        .query_row(
            "SELECT count(*) FROM (
                 SELECT 'triages' t, id FROM triages
                 UNION ALL SELECT 'episode_substances', id FROM episode_substances
                 UNION ALL SELECT 'young_person_vulnerabilities', id FROM young_person_vulnerabilities
                 UNION ALL SELECT 'risk_flags', id FROM risk_flags
                 UNION ALL SELECT 'risk_flag_events', id FROM risk_flag_events
             ) w WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.table_name = w.t AND a.record_id = w.id AND a.actor_id = ?1
                   AND a.action = 'insert')",
            [&desk.duty.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unaudited, 0);
    let episode_change: Vec<u8> = conn
        .query_row(
            "SELECT changes FROM audit_log WHERE table_name = 'episodes' AND record_id = ?1
             AND action = 'update' AND actor_id = ?2 ORDER BY seq DESC LIMIT 1",
            [&ep, &desk.duty.id],
            |r| r.get(0),
        )
        .unwrap();
    // The audit row holds the changed columns in the compact form; read it as JSON.
    let episode_change = casebook::store::audit::changes_json(&episode_change).unwrap();
    assert_eq!(
        episode_change,
        r#"{"first_contact_date":[null,"2025-06-03"],"triage_date":[null,"2025-06-03"],"triage_outcome":[null,"comprehensive_assessment"]}"#
    );
    let audit_after: i64 = desk.sql("SELECT count(*) FROM audit_log WHERE ?1 = ?1", "x");
    // triage, 2 substances, 2 vulnerabilities, flag, flag event, episode update
    assert_eq!(audit_after - audit_before, 8);

    // The clocks read the outcome: the assessment is due 5 working days after the triage.
    let inputs = load(&desk.store, &DueScope::default(), &|r| {
        desk.codes.exit_is_planned(r)
    })
    .unwrap();
    let facts = &inputs
        .episodes
        .iter()
        .find(|i| i.episode_id == ep)
        .unwrap()
        .facts;
    let items = episode_due_items(facts, &Calendar::embedded(), desk.today());
    let assessment = items
        .iter()
        .find(|i| i.kind == DueKind::Assessment)
        .expect("assessment due");
    assert_eq!(assessment.due, d("2025-06-10"));

    // A second triage on the same episode is refused, and writes nothing.
    let before = desk.counts();
    let err = desk.triage(&ep, &triage_form("2025-06-04")).unwrap_err();
    assert!(message_at(&err, "episode").contains("already triaged on 2025-06-03"));
    assert_eq!(desk.counts(), before);
}

#[test]
fn vulnerabilities_are_recorded_once_per_young_person() {
    let mut desk = Desk::new();
    let rec = desk.refer(None, &kai("2025-01-06")).unwrap();
    desk.triage(&rec.episode_id, &triage_form("2025-01-07"))
        .unwrap();
    desk.exit(&rec.episode_id, "2025-03-03", "declined_treatment")
        .unwrap();
    // The form for a known young person starts from their record: saving it changes nothing.
    let person = people::young_person(&desk.store, &rec.young_person_id)
        .unwrap()
        .unwrap();
    let mut form = ReferralForm::for_known(&person);
    form.referral_date = "2025-06-02".into();
    form.referral_source = "yot".into();
    let again = desk.refer(Some(&rec.young_person_id), &form).unwrap();
    assert!(again.updated.is_empty(), "{:?}", again.updated);
    let ep2 = again.episode_id;
    let mut again = triage_form("2025-06-03");
    again.vulnerabilities = vec!["young_offender".into(), "neet".into()];
    again.flags_to_raise.clear();
    desk.triage(&ep2, &again).unwrap();
    assert_eq!(
        intake_store::vulnerabilities_of(&desk.store, &rec.young_person_id).unwrap(),
        ["neet", "school_excludee", "young_offender"]
    );
}

#[test]
fn allocation_puts_the_episode_on_the_workers_caseload() {
    let mut desk = Desk::new();
    let ep = desk.refer(None, &kai("2025-06-02")).unwrap().episode_id;
    let now = desk.clock.now();
    let (sam, jo, gone) = desk
        .store
        .write(&desk.duty.id, now, |tx| {
            let sam = people::add_worker(tx, "Sam Okafor", &[Role::Outreach])?;
            let jo = people::add_worker(tx, "Jo Hart", &[Role::Duty])?;
            let gone = people::add_worker(tx, "Lee Former", &[Role::Outreach])?;
            tx.update(
                "workers",
                &gone,
                &[("active", rusqlite::types::Value::Integer(0))],
            )?;
            Ok((sam, jo, gone))
        })
        .unwrap();
    assert!(intake_store::open_episodes_of_key_worker(&desk.store, &sam)
        .unwrap()
        .is_empty());

    let changed = desk
        .store
        .write(&desk.duty.id, now, |tx| {
            intake_store::allocate(tx, &ep, &sam)
        })
        .unwrap();
    assert!(changed);
    let caseload = intake_store::open_episodes_of_key_worker(&desk.store, &sam).unwrap();
    assert_eq!(caseload.len(), 1);
    assert_eq!(caseload[0].id, ep);
    assert_eq!(caseload[0].key_worker_id.as_deref(), Some(sam.as_str()));

    // Moving it to Jo takes it off Sam's caseload.
    desk.store
        .write(&desk.duty.id, now, |tx| {
            intake_store::allocate(tx, &ep, &jo)
        })
        .unwrap();
    assert!(intake_store::open_episodes_of_key_worker(&desk.store, &sam)
        .unwrap()
        .is_empty());
    assert_eq!(
        intake_store::open_episodes_of_key_worker(&desk.store, &jo)
            .unwrap()
            .len(),
        1
    );

    let before = desk.counts();
    for (who, expected) in [
        (
            gone.as_str(),
            "Lee Former is no longer active: choose an active worker",
        ),
        ("no-such-worker", "no such worker: choose one from the list"),
    ] {
        let err = desk
            .store
            .write(&desk.duty.id, now, |tx| {
                intake_store::allocate(tx, &ep, who)
            })
            .unwrap_err();
        assert_eq!(message_at(&err, "key_worker"), expected);
    }
    assert_eq!(desk.counts(), before);
}

#[test]
fn joint_working_is_a_referral_out_and_marks_the_episode() {
    let mut desk = Desk::new();
    let ep = desk.refer(None, &kai("2025-06-02")).unwrap().episode_id;
    let ctx = desk.context(&ep);
    let bad = JointWorkingForm {
        service: "the moon".into(),
        date: "2025-05-30".into(),
        reason: String::new(),
    };
    let p = validate_joint_working(&bad, &desk.codes, desk.today(), &ctx).unwrap_err();
    assert!(p
        .for_field("service")
        .unwrap()
        .starts_with("unknown service 'the moon'"));
    assert!(p
        .for_field("date")
        .unwrap()
        .contains("before the referral date 2025-06-02"));

    let form = JointWorkingForm {
        service: "CAMHS (child and adolescent mental health services)".into(),
        date: "today".into(),
        reason: "Low mood; joint sessions".into(),
    };
    let v = validate_joint_working(&form, &desk.codes, desk.today(), &ctx).unwrap();
    let id = desk
        .store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_joint_working(tx, &ep, &v)
        })
        .unwrap();
    let (service, joint): (String, i64) = keyed_open(&desk.path)
        .unwrap()
        .query_row(
            "SELECT service, joint_working FROM referrals_out WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((service.as_str(), joint), ("camhs", 1));
    assert!(
        records::episode(&desk.store, &ep)
            .unwrap()
            .unwrap()
            .joint_worked
    );
}

#[test]
fn a_brief_intervention_is_a_contact_with_the_young_person() {
    let mut desk = Desk::new();
    let rec = desk.refer(None, &kai("2025-06-02")).unwrap();
    let form = BriefInterventionForm {
        date: "yesterday".into(),
        kind: "alcohol".into(),
        duration_minutes: "20".into(),
        note: "Units and safer drinking".into(),
    };
    let v = validate_brief_intervention(&form, &desk.codes, desk.today(), Some(d("2011-09-01")))
        .unwrap();
    desk.store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_brief_intervention(
                tx,
                &rec.young_person_id,
                Some(&rec.episode_id),
                &v,
            )
        })
        .unwrap();
    let contacts = records::contacts_of(&desk.store, &rec.young_person_id, 10, 0).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].contact_type, "brief_intervention_alcohol");
    assert_eq!(contacts[0].date, d("2025-06-03"));
    assert_eq!(
        contacts[0].worker_id.as_deref(),
        Some(desk.duty.id.as_str())
    );

    // On someone else's episode: refused.
    let other = desk.refer(None, &zoe()).unwrap();
    let before = desk.counts();
    let err = desk
        .store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_brief_intervention(
                tx,
                &rec.young_person_id,
                Some(&other.episode_id),
                &v,
            )
        })
        .unwrap_err();
    assert_eq!(
        message_at(&err, "episode"),
        "that episode is another young person's"
    );
    assert_eq!(desk.counts(), before);
}

#[test]
fn an_outreach_tally_is_counted_by_the_worker() {
    let mut desk = Desk::new();
    let bad = OutreachTallyForm {
        date: "2025-06-05".into(),
        setting: "beach".into(),
        count: "0".into(),
        age_band: "under 18".into(),
        gender: "female".into(),
        brief_intervention: String::new(),
    };
    let p = validate_outreach_tally(&bad, &desk.codes, desk.today()).unwrap_err();
    assert!(p.for_field("date").unwrap().contains("in the future"));
    assert!(p
        .for_field("setting")
        .unwrap()
        .starts_with("unknown outreach setting 'beach'"));
    assert!(p.for_field("count").unwrap().contains("1 to 500"));
    assert!(p
        .for_field("brief_intervention")
        .unwrap()
        .starts_with("no brief intervention given"));
    assert_eq!(p.for_field("age_band"), None, "labels are accepted");

    let form = OutreachTallyForm {
        date: "2025-06-03".into(),
        setting: "School or college".into(),
        count: "23".into(),
        age_band: "under_18".into(),
        gender: "Male".into(),
        brief_intervention: "drugs".into(),
    };
    let v = validate_outreach_tally(&form, &desk.codes, desk.today()).unwrap();
    let id = desk
        .store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_outreach_tally(tx, &v)
        })
        .unwrap();
    let row: (String, String, i64, String, String, String, String) = keyed_open(&desk.path)
        .unwrap()
        .query_row(
            "SELECT date, setting, count, age_band, gender, brief_intervention, worker_id
                 FROM outreach_tallies WHERE id = ?1",
            [&id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "2025-06-03".into(),
            "school_college".into(),
            23,
            "under_18".into(),
            "male".into(),
            "drugs".into(),
            desk.duty.id.clone()
        )
    );
}

#[test]
fn a_planned_exit_brings_the_follow_ups_due_and_a_bad_exit_is_refused_at_its_date() {
    let mut desk = Desk::new();
    let rec = desk.refer(None, &kai("2025-01-06")).unwrap();
    let ep = rec.episode_id;
    desk.triage(&ep, &triage_form("2025-01-07")).unwrap();
    let mut e = records::episode(&desk.store, &ep).unwrap().unwrap();
    e.treatment_start = Some(d("2025-02-03"));
    desk.store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            records::update_episode(tx, &e)
        })
        .unwrap();

    let before = desk.counts();
    let err = desk
        .exit(&ep, "2025-02-01", "completed_drug_free")
        .unwrap_err();
    assert_eq!(
        message_at(&err, "date"),
        "the exit date 2025-02-01 is before the treatment start (2025-02-03)"
    );
    let err = desk
        .exit(&ep, "2025-06-05", "completed_drug_free")
        .unwrap_err();
    assert!(message_at(&err, "date").contains("in the future"));
    let err = desk.exit(&ep, "2025-05-30", "got bored").unwrap_err();
    assert!(message_at(&err, "reason").starts_with("unknown exit reason 'got bored'"));
    assert_eq!(desk.counts(), before);

    let ctx = desk.context(&ep);
    let v = validate_exit(
        &ExitForm {
            date: "2025-05-30".into(),
            reason: "completed_drug_free".into(),
        },
        &desk.codes,
        desk.today(),
        &ctx,
    )
    .unwrap();
    assert_eq!(v.planned, Some(true));
    // Only a manager signs off a closure (the role table): a duty worker alone is refused.
    let now = desk.clock.now();
    let dee = people::ensure_worker(&mut desk.store, "Dee Duty", Role::Duty, now).unwrap();
    let refused = desk
        .store
        .write(&dee.id, now, |tx| intake_store::record_exit(tx, &ep, &v))
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("only a manager may sign off an episode's closure"),
        "{refused}"
    );
    desk.store
        .write(&desk.duty.id, desk.clock.now(), |tx| {
            intake_store::record_exit(tx, &ep, &v)
        })
        .unwrap();
    let e = records::episode(&desk.store, &ep).unwrap().unwrap();
    assert_eq!(e.exit_date, Some(d("2025-05-30")));
    assert_eq!(e.exit_reason.as_deref(), Some("completed_drug_free"));

    let scope = DueScope {
        planned_exit_reasons: desk.codes.planned_exit_codes(),
        ..Default::default()
    };
    let inputs = load(&desk.store, &scope, &|r| desk.codes.exit_is_planned(r)).unwrap();
    let facts = &inputs
        .episodes
        .iter()
        .find(|i| i.episode_id == ep)
        .unwrap()
        .facts;
    let follow_ups: Vec<(DueKind, NaiveDate)> =
        episode_due_items(facts, &Calendar::embedded(), desk.today())
            .into_iter()
            .filter(|i| matches!(i.kind, DueKind::FollowUp3Months | DueKind::FollowUp6Months))
            .map(|i| (i.kind, i.due))
            .collect();
    assert_eq!(
        follow_ups,
        [
            (DueKind::FollowUp3Months, d("2025-08-30")),
            (DueKind::FollowUp6Months, d("2025-11-30"))
        ]
    );

    // Exited once: a second exit is refused.
    let err = desk.exit(&ep, "2025-06-01", "self_exit").unwrap_err();
    assert!(message_at(&err, "episode").contains("already ended on 2025-05-30"));
}

#[test]
fn the_duplicate_search_finds_nicknames_swapped_names_and_typos_among_many() {
    let mut desk = Desk::new();
    let now = desk.clock.now();
    // Two hundred others whose names start with the same letters.
    desk.store
        .write(&desk.duty.id, now, |tx| {
            for i in 0..200 {
                people::create_young_person(
                    tx,
                    &casebook::domain::record::YoungPerson {
                        given_name: format!("Jordan{i}"),
                        family_name: format!("Smallwood{i}"),
                        date_of_birth: Some(d("2010-01-01")),
                        ..Default::default()
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let mut form = kai("2025-06-02");
    form.given_name = "Alexander".into();
    form.family_name = "Smith-Jones".into();
    form.date_of_birth = "2010-05-05".into();
    let alex = desk.refer(None, &form).unwrap().young_person_id;

    let top = |given: &str, family: &str| -> Option<(String, MatchReason)> {
        intake_store::possible_matches(&desk.store, given, family, None, "", 5)
            .unwrap()
            .into_iter()
            .next()
            .map(|m| (m.young_person.id, m.reason))
    };
    assert_eq!(
        top("Alex", "Smith Jones"),
        Some((alex.clone(), MatchReason::SimilarName { score: 90 }))
    );
    assert_eq!(
        top("Smith-Jones", "Alexander"),
        Some((alex.clone(), MatchReason::SimilarName { score: 90 }))
    );
    assert_eq!(
        top("alexandre", "smithjones"),
        Some((alex.clone(), MatchReason::SimilarName { score: 95 }))
    );
    assert_eq!(top("Alexander", "Brown"), None);
    assert_eq!(
        intake_store::possible_matches(&desk.store, "Jordan1", "Smallwood1", None, "", 5)
            .unwrap()
            .len(),
        5,
        "the limit holds"
    );
}
