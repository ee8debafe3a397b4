//! The exit of the current episode (S §8.10, §20.6 item 15): the date and the reason, each
//! reason labelled planned or unplanned. After a planned exit the 3- and 6-month follow-ups
//! fall due and show on the case's timeline and the due-list.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::{context, place_problems, write_failed, Done, Outcome};
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::intake::{validate_exit, ExitForm};
use crate::domain::record::Episode;
use crate::store::{drafts, intake as store_intake, Store};
use crate::tui::case_view::{CaseModel, Section};
use crate::tui::codes::Choice;
use crate::tui::form::{Field, Form};

/// The draft key of an episode's exit.
pub fn form_key(episode_id: &str) -> String {
    format!("exit:{episode_id}")
}

/// The exit reasons, each label saying whether the exit is planned (the list's own labels
/// usually do; where one does not, it is added).
pub fn reason_choices(lists: &CodeLists) -> Vec<Choice> {
    lists
        .list(ListName::ExitReasons)
        .active()
        .map(|c| {
            let lower = c.label.to_ascii_lowercase();
            let label = match lists.exit_is_planned(&c.code) {
                Some(true) if !lower.starts_with("planned") => format!("Planned: {}", c.label),
                Some(false) if !lower.starts_with("unplanned") => {
                    format!("Unplanned: {}", c.label)
                }
                _ => c.label.clone(),
            };
            Choice {
                code: c.code.clone(),
                label,
            }
        })
        .collect()
}

/// An exit form for the current episode of `case`, dated today.
pub fn new_form(case: &CaseModel, e: &Episode, today: NaiveDate, lists: &CodeLists) -> Form {
    let person = &case.person;
    Form::new(
        form_key(&e.id),
        "Exit".into(),
        format!(
            "Exit of {} ({}) from the episode referred {}",
            person.display_name(),
            person.reference,
            super::ddmmyyyy(e.referral_date)
        ),
        vec![
            Field::date("date", "Exit date")
                .required()
                .with_value(json!("today")),
            Field::choice("reason", "Reason", reason_choices(lists))
                .required()
                .hint("planned or unplanned; type to filter"),
        ],
        today,
    )
}

fn field_of(f: &str) -> Option<&'static str> {
    match f {
        "date" => Some("date"),
        "reason" => Some("reason"),
        _ => None,
    }
}

/// Checks and saves the exit.
pub fn save(
    store: &mut Store,
    form: &mut Form,
    young_person_id: &str,
    episode_id: &str,
    worker: &str,
    now: DateTime<Utc>,
    lists: &CodeLists,
) -> Outcome {
    let ctx = match context(store, episode_id) {
        Ok(c) => c,
        Err(msg) => return Outcome::Failed(msg),
    };
    let ok = form.check_fields();
    let typed = ExitForm {
        date: form.text("date").unwrap_or_default(),
        reason: form.choice("reason").unwrap_or_default(),
    };
    let valid = match validate_exit(&typed, lists, form.today(), &ctx) {
        Ok(v) if ok => v,
        Ok(_) => return super::not_saved(form, &[]),
        Err(p) => {
            let loose = place_problems(form, &p, field_of);
            return super::not_saved(form, &loose);
        }
    };
    let key = form.key.clone();
    let result = store.write(worker, now, |tx| {
        store_intake::record_exit(tx, episode_id, &valid)?;
        drafts::discard_in(tx, worker, &key)?;
        Ok(())
    });
    match result {
        Ok(()) => {
            let date = super::ddmmyyyy(valid.date);
            // The clocks decide the follow-ups' dates; the timeline shows them.
            let message = match valid.planned {
                Some(true) => format!(
                    "Exit of {date} saved (planned): follow-ups at 3 and 6 months are on the \
                     timeline"
                ),
                Some(false) => format!("Exit of {date} saved (unplanned)"),
                None => format!("Exit of {date} saved"),
            };
            Outcome::Done(Done {
                young_person_id: Some(young_person_id.to_string()),
                message,
                warning: false,
                next_form: None,
                open_case: false,
                section: Section::Timeline,
            })
        }
        Err(e) => write_failed(form, e, field_of),
    }
}
