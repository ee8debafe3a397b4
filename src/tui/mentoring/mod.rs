//! The mentoring project in the terminal UI (L §5–7, issue 14): the coordinator's board of
//! volunteer mentors (status, checks, training, support, current mentees) with the forms the
//! coordinator fills from it, and the mentor session form on a young person's case.
//!
//! Every form is a `FormScreen` with its own `FormPurpose`, and every save goes through
//! `store::mentoring`, the same rules as `casebook mentors`: a refusal comes back at the field
//! the store names.

pub mod board;
pub mod forms;
pub mod matching;

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyCode;

use super::component::{Component, Env};
use super::keymap::{Action, Binding, Context, Key};
use crate::domain::ids::parse_reference;
use crate::domain::record::YoungPerson;
use crate::domain::roles::{require, Permission};
use crate::store::people;
use crate::tui::msg::MentoringFocus;

pub use board::MentoringBoard;

/// The board's keys and the case view's mentor-session key, added to the one keymap.
pub fn bindings() -> Vec<Binding> {
    use Context as C;
    use KeyCode as K;
    let k = Key::plain;
    let b = Binding::new;
    const BOARD: &[Context] = &[C::Mentoring];
    vec![
        b(
            Action::MentoringBoard,
            vec![Key::ch('B')],
            "the mentoring coordinator's board: mentors, checks, training, matches",
            "",
            &[C::Global],
        ),
        b(
            Action::AddMentorSession,
            vec![Key::ch('m')],
            "record a mentor session with the young person (their open match)",
            "",
            &[C::CaseView],
        ),
        b(
            Action::Up,
            vec![k(K::Up), Key::ch('k')],
            "select the mentor above",
            "",
            BOARD,
        ),
        b(
            Action::Down,
            vec![k(K::Down), Key::ch('j')],
            "select the mentor below",
            "",
            BOARD,
        ),
        b(
            Action::Top,
            vec![Key::ch('g'), k(K::Home)],
            "go to the first mentor",
            "",
            BOARD,
        ),
        b(
            Action::Bottom,
            vec![Key::ch('G'), k(K::End)],
            "go to the last mentor",
            "",
            BOARD,
        ),
        b(
            Action::PageUp,
            vec![k(K::PageUp), Key::ctrl('b')],
            "page up",
            "",
            BOARD,
        ),
        b(
            Action::PageDown,
            vec![k(K::PageDown), Key::ctrl('f')],
            "page down",
            "",
            BOARD,
        ),
        b(
            Action::NewMentor,
            vec![Key::ch('n')],
            "add a volunteer mentor",
            "new",
            BOARD,
        ),
        b(
            Action::EditMentor,
            vec![Key::ch('e'), k(K::Enter)],
            "edit the selected mentor: checks, training, status, leaving",
            "edit",
            BOARD,
        ),
        b(
            Action::MatchMentor,
            vec![Key::ch('m')],
            "match a young person (by reference) with a mentor; suggestions with reasons",
            "match",
            BOARD,
        ),
        b(
            Action::EndMatch,
            vec![Key::ch('x')],
            "end one of the selected mentor's matches (date, reason)",
            "end",
            BOARD,
        ),
        b(
            Action::AddMentoringEvent,
            vec![Key::ch('t')],
            "record a training or support session, group programme or workshop",
            "session",
            BOARD,
        ),
        b(
            Action::AddDrive,
            vec![Key::ch('d')],
            "record a recruitment drive",
            "",
            BOARD,
        ),
        b(
            Action::AddComplaint,
            vec![Key::ch('c')],
            "record a complaint (received, about what, outcome)",
            "",
            BOARD,
        ),
        b(
            Action::AddPhoneMessage,
            vec![Key::ch('p')],
            "record a telephone message (received, from whom, about whom)",
            "",
            BOARD,
        ),
        b(
            Action::AnswerPhoneMessage,
            vec![Key::ch('a')],
            "record that a telephone message was answered",
            "",
            BOARD,
        ),
        b(
            Action::Reload,
            vec![Key::ctrl('r')],
            "reload from the database",
            "",
            BOARD,
        ),
        b(Action::Back, vec![k(K::Esc)], "back", "back", BOARD),
    ]
}

/// Opens the board on `focus`, for the mentoring coordinator and managers only; else the
/// refusal.
pub fn open_board(env: &Env, focus: MentoringFocus) -> Result<Box<dyn Component>, String> {
    require(
        &env.worker.name,
        &env.worker.roles,
        Permission::CoordinateMentoring,
    )
    .map_err(|why| format!("The mentoring board is not open to you: {why}"))?;
    MentoringBoard::load(env)
        .map(|mut b| {
            b.focus(focus);
            Box::new(b) as Box<dyn Component>
        })
        .map_err(|e| format!("Cannot read the mentors: {e}"))
}

/// `dd/mm/yyyy`, as the rest of the UI shows dates.
pub fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An optional date as shown, or a dash.
pub fn or_dash(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), ddmmyyyy)
}

/// A date as a form field holds it.
fn iso(d: Option<NaiveDate>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| {
        serde_json::json!(d.format("%Y-%m-%d").to_string())
    })
}

/// The young person a typed reference names. `Ok(None)` when nothing was typed; the error is
/// the message for the field.
pub fn young_person_by_typed_reference(
    env: &Env,
    typed: Option<&str>,
) -> Result<Option<YoungPerson>, String> {
    let Some(typed) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let reference = parse_reference(typed).map_err(|e| e.to_string())?;
    match people::young_person_by_reference(env.store, &reference) {
        Ok(Some(yp)) => Ok(Some(yp)),
        Ok(None) => Err(format!("no young person has the reference {reference}")),
        Err(e) => Err(format!("cannot look the reference up: {e}")),
    }
}
