//! Shared pieces of the terminal UI tests: a small, fixed caseload written through the store,
//! an app on a fixed clock, scripted keys and the screen as text.
#![allow(dead_code)]

use std::io;

#[path = "../common/mod.rs"]
mod common;
pub use common::*;

use casebook::domain::clock::Clock;
use casebook::domain::ids::reference_from_bits;
use casebook::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Role, Worker, YoungPerson};
use casebook::store::{people, records, Store};
use casebook::tui::{App, Theme, TuiContext};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;

/// Every test's "today": Monday 2 June 2025.
pub const TODAY: &str = "2025-06-02";

pub fn clock() -> Clock {
    Clock::fixed(d(TODAY))
}

/// The workers of the fixture: Ama (the worker using the app) and Ben.
pub struct Fixture {
    pub ama: Worker,
    pub ben: Worker,
}

struct Person<'a> {
    bits: u64,
    given: &'a str,
    family: &'a str,
    dob: &'a str,
    postcode: &'a str,
    consent: Option<bool>,
}

/// Writes a small caseload: six young people at different stages, with flags, contacts, a
/// referral out and an earlier episode. References are fixed so screens are deterministic.
pub fn fill(store: &mut Store) -> Fixture {
    let now = clock().now();
    let ama = people::ensure_worker(store, "Ama Mensah", Role::Duty, now).unwrap();
    let ben = people::ensure_worker(store, "Ben Carter", Role::Outreach, now).unwrap();
    let persons = [
        Person {
            bits: 0x1234_5678_9abc,
            given: "Zoë",
            family: "Hart",
            dob: "2009-02-28",
            postcode: "SO14",
            consent: Some(true),
        },
        Person {
            bits: 0x0bad_cafe_f00d,
            given: "Kwame",
            family: "Asante",
            dob: "2008-07-15",
            postcode: "SO15",
            consent: None,
        },
        Person {
            bits: 0x1f2e_3d4c_5b6a,
            given: "Aleksandra",
            family: "Nowak-Wiśniewska",
            dob: "2010-11-03",
            postcode: "SO16",
            consent: Some(false),
        },
        Person {
            bits: 0x0102_0304_0506,
            given: "Callum",
            family: "O'Brien",
            dob: "2007-01-20",
            postcode: "SO17",
            consent: Some(true),
        },
        Person {
            bits: 0x0a0b_0c0d_0e0f,
            given: "Priya",
            family: "Shah",
            dob: "2006-09-09",
            postcode: "SO14",
            consent: Some(true),
        },
        Person {
            bits: 0x0f0e_0d0c_0b0a,
            given: "Liam",
            family: "Walsh",
            dob: "2009-05-30",
            postcode: "SO18",
            consent: None,
        },
    ];
    let ama_id = ama.id.clone();
    let ben_id = ben.id.clone();
    store
        .write(&ama.id, now, |tx| {
            let mut ids = Vec::new();
            for p in &persons {
                let (id, _) = people::create_young_person(
                    tx,
                    &YoungPerson {
                        reference: reference_from_bits(p.bits),
                        given_name: p.given.into(),
                        family_name: p.family.into(),
                        date_of_birth: Some(d(p.dob)),
                        sex: Some("female".into()),
                        postcode_district: Some(p.postcode.into()),
                        consent_to_share: p.consent,
                        consent_date: p.consent.map(|_| d("2025-05-02")),
                        ..Default::default()
                    },
                )?;
                ids.push(id);
            }
            let ep = |yp: &str, referral: &str, worker: &str| Episode {
                young_person_id: yp.to_string(),
                referral_date: d(referral),
                referral_source: Some("school_college".into()),
                key_worker_id: Some(worker.to_string()),
                ..Default::default()
            };
            // Zoë: assessed, a high and a medium flag, contacts, a referral out, an earlier episode.
            records::create_episode(
                tx,
                &Episode {
                    exit_date: Some(d("2024-05-01")),
                    exit_reason: Some("completed_drug_free".into()),
                    ..ep(&ids[0], "2024-01-10", &ama_id)
                },
            )?;
            let zoe = records::create_episode(
                tx,
                &Episode {
                    first_contact_date: Some(d("2025-05-01")),
                    triage_date: Some(d("2025-05-02")),
                    triage_outcome: Some("comprehensive_assessment".into()),
                    assessment_date: Some(d("2025-05-12")),
                    referral_reason: Some("Cannabis use most days; missing school".into()),
                    ..ep(&ids[0], "2025-04-30", &ama_id)
                },
            )?;
            let flag = |yp: &str, ep: &str, t: &str, level, review: &str| RiskFlag {
                id: String::new(),
                young_person_id: yp.to_string(),
                episode_id: Some(ep.to_string()),
                flag_type: t.into(),
                level,
                raised_by: ama_id.clone(),
                raised_on: d("2025-05-02"),
                action: "Weekly check-in; share with school nurse".into(),
                review_date: Some(d(review)),
                closed_on: None,
                closed_by: None,
                close_reason: None,
            };
            records::raise_flag(
                tx,
                &flag(&ids[0], &zoe, "self_harm", RiskLevel::High, "2025-05-30"),
            )?;
            records::raise_flag(
                tx,
                &flag(&ids[0], &zoe, "housing", RiskLevel::Medium, "2025-07-01"),
            )?;
            for (day, t, note) in [
                (
                    "2025-05-01",
                    "telephone",
                    "First call; agreed to meet at school.",
                ),
                (
                    "2025-05-12",
                    "face_to_face",
                    "Assessment at school.\nTalked about sleep and friends.",
                ),
                ("2025-05-27", "face_to_face", "Reviewed cannabis diary."),
            ] {
                records::add_contact(
                    tx,
                    &Contact {
                        young_person_id: ids[0].clone(),
                        episode_id: Some(zoe.clone()),
                        date: d(day),
                        contact_type: t.into(),
                        duration_minutes: Some(45),
                        note: Some(note.into()),
                        worker_id: Some(ama_id.clone()),
                        ..Default::default()
                    },
                )?;
            }
            records::add_referral_out(tx, &zoe, d("2025-05-14"), "camhs", Some("Low mood"), true)?;
            // Kwame: referred last week, not yet triaged (triage overdue).
            records::create_episode(tx, &ep(&ids[1], "2025-05-27", &ama_id))?;
            // Aleksandra: triaged, brief intervention, a low flag; Ben's case.
            let ola = records::create_episode(
                tx,
                &Episode {
                    first_contact_date: Some(d("2025-05-20")),
                    triage_date: Some(d("2025-05-20")),
                    triage_outcome: Some("brief_intervention".into()),
                    ..ep(&ids[2], "2025-05-19", &ben_id)
                },
            )?;
            records::raise_flag(
                tx,
                &flag(
                    &ids[2],
                    &ola,
                    "risk_from_others",
                    RiskLevel::Low,
                    "2025-08-01",
                ),
            )?;
            // Callum: in treatment with a care plan; Ama's.
            records::create_episode(
                tx,
                &Episode {
                    first_contact_date: Some(d("2025-03-03")),
                    triage_date: Some(d("2025-03-04")),
                    triage_outcome: Some("comprehensive_assessment".into()),
                    assessment_date: Some(d("2025-03-10")),
                    treatment_start: Some(d("2025-03-17")),
                    care_plan_date: Some(d("2025-03-24")),
                    ..ep(&ids[3], "2025-03-03", &ama_id)
                },
            )?;
            // Priya: exited in April (planned); follow-ups run.
            records::create_episode(
                tx,
                &Episode {
                    first_contact_date: Some(d("2024-10-01")),
                    triage_date: Some(d("2024-10-01")),
                    triage_outcome: Some("brief_intervention".into()),
                    exit_date: Some(d("2025-04-11")),
                    exit_reason: Some("completed_drug_free".into()),
                    ..ep(&ids[4], "2024-09-30", &ama_id)
                },
            )?;
            // Liam: referred today, Ben's.
            records::create_episode(tx, &ep(&ids[5], TODAY, &ben_id))?;
            Ok(())
        })
        .unwrap();
    Fixture { ama, ben }
}

/// An app for `worker` on a fixed clock, with colour (so styles can be asserted).
pub fn app(store: Store, worker: &Worker) -> App {
    app_with_config(store, worker, None)
}

pub fn app_with_config(
    store: Store,
    worker: &Worker,
    config_dir: Option<std::path::PathBuf>,
) -> App {
    App::new(
        store,
        TuiContext {
            clock: clock(),
            worker: worker.clone(),
            config_dir,
            db_path: None,
        },
    )
    .unwrap()
    .with_theme(Theme::coloured())
}

pub fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).unwrap()
}

fn key(code: KeyCode, mods: KeyModifiers) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent {
        code,
        modifiers: mods,
        kind: KeyEventKind::Press,
        state: ratatui::crossterm::event::KeyEventState::NONE,
    }))
}

/// Scripted keys: characters as typed, and `<Enter>`, `<Esc>`, `<Tab>`, `<S-Tab>`, `<Up>`,
/// `<Down>`, `<Left>`, `<Right>`, `<BS>`, `<Space>`, `<C-x>` for Ctrl with a letter.
pub fn keys(script: &str) -> Vec<io::Result<Event>> {
    let mut out = Vec::new();
    let mut rest = script;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                let none = KeyModifiers::NONE;
                let ev = match name {
                    "Enter" => key(KeyCode::Enter, none),
                    "Esc" => key(KeyCode::Esc, none),
                    "Tab" => key(KeyCode::Tab, none),
                    "S-Tab" => key(KeyCode::BackTab, KeyModifiers::SHIFT),
                    "Up" => key(KeyCode::Up, none),
                    "Down" => key(KeyCode::Down, none),
                    "Left" => key(KeyCode::Left, none),
                    "Right" => key(KeyCode::Right, none),
                    "BS" => key(KeyCode::Backspace, none),
                    "Space" => key(KeyCode::Char(' '), none),
                    "PgDn" => key(KeyCode::PageDown, none),
                    n if n.starts_with("C-") && n.len() == 3 => key(
                        KeyCode::Char(n.chars().nth(2).unwrap()),
                        KeyModifiers::CONTROL,
                    ),
                    other => panic!("unknown key <{other}> in script"),
                };
                out.push(ev);
                rest = &rest[end + 1..];
                continue;
            }
        }
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        out.push(key(KeyCode::Char(c), mods));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The screen as lines of text, trailing spaces trimmed.
pub fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            // The cell after a wide character (小) is hidden under it on a real terminal.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = ratatui::text::Span::raw(sym).width().saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Drives the app through `script` and the real loop.
pub fn run(app: &mut App, t: &mut Terminal<TestBackend>, script: &str) {
    app.run_loop(t, keys(script)).unwrap();
}

/// The message at `field` of the open form ("" when the field has none); panics when no form
/// stayed open, since a refused save keeps its form.
pub fn field_error(app: &App, field: &str) -> String {
    let form = app.form().expect("the form stays open");
    form.field(field)
        .unwrap_or_else(|| panic!("the form has no field {field:?}"))
        .error
        .clone()
        .unwrap_or_default()
}
