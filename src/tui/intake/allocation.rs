//! Allocation (KPI 4d): the key worker of the current episode, chosen from the active workers,
//! and optionally joint working with another service (KPI 4c) recorded at the same time. The
//! case then shows on that worker's caseload.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::{context, place_problems, write_failed, Done, Outcome};
use crate::domain::codes::CodeLists;
use crate::domain::intake::{validate_joint_working, JointWorkingForm};
use crate::domain::record::{Episode, Worker};
use crate::store::{drafts, intake as store_intake, Store};
use crate::tui::case_view::{CaseModel, Section};
use crate::tui::codes::{self, Choice};
use crate::tui::form::{Field, Form};

const REASON_MAX: usize = 4000;

/// The draft key of an episode's allocation.
pub fn form_key(episode_id: &str) -> String {
    format!("allocation:{episode_id}")
}

/// An allocation form for the current episode of `case`; the key worker starts as the one
/// allocated now, if any.
pub fn new_form(
    case: &CaseModel,
    e: &Episode,
    workers: &[Worker],
    today: NaiveDate,
    lists: &CodeLists,
) -> Form {
    let choices: Vec<Choice> = workers
        .iter()
        .filter(|w| w.active)
        .map(|w| Choice {
            code: w.id.clone(),
            label: w.name.clone(),
        })
        .collect();
    let person = &case.person;
    Form::new(
        form_key(&e.id),
        "Allocation".into(),
        format!(
            "Allocate a key worker for {} ({}), referred {}",
            person.display_name(),
            person.reference,
            super::ddmmyyyy(e.referral_date)
        ),
        vec![
            Field::choice("key_worker", "Key worker", choices)
                .required()
                .with_value(json!(e.key_worker_id.clone().unwrap_or_default())),
            Field::choice(
                "joint_service",
                "Joint working",
                codes::choices(lists, "referral_services"),
            )
            .hint("optional: another service working with them"),
            Field::date("joint_date", "Joint since").hint("today, -2d, 31/05/2025"),
            Field::long_text("joint_reason", "Joint work reason", REASON_MAX),
        ],
        today,
    )
}

fn field_of(f: &str) -> Option<&'static str> {
    match f {
        "key_worker" => Some("key_worker"),
        "service" => Some("joint_service"),
        "date" => Some("joint_date"),
        "reason" => Some("joint_reason"),
        _ => None,
    }
}

/// Checks and saves the allocation (and any joint working) in one transaction.
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
    let service = form.choice("joint_service");
    let date = form.text("joint_date");
    let reason = form.text("joint_reason");
    let joint = match service {
        Some(service) => {
            let typed = JointWorkingForm {
                service,
                // Joint working recorded with the allocation starts today unless said otherwise.
                date: date.unwrap_or_else(|| "today".into()),
                reason: reason.unwrap_or_default(),
            };
            match validate_joint_working(&typed, lists, form.today(), &ctx) {
                Ok(j) => Some(j),
                Err(p) => {
                    let loose = place_problems(form, &p, field_of);
                    return super::not_saved(form, &loose);
                }
            }
        }
        None => {
            if date.is_some() || reason.is_some() {
                form.set_error(
                    "joint_service",
                    "Joint working: choose the service, or clear the joint-working date \
                     and reason"
                        .into(),
                );
                return super::not_saved(form, &[]);
            }
            None
        }
    };
    let Some(key_worker) = form.choice("key_worker").filter(|_| ok) else {
        return super::not_saved(form, &[]);
    };
    let key = form.key.clone();
    let result = store.write(worker, now, |tx| {
        store_intake::allocate(tx, episode_id, &key_worker)?;
        if let Some(j) = &joint {
            store_intake::record_joint_working(tx, episode_id, j)?;
        }
        drafts::discard_in(tx, worker, &key)?;
        Ok(())
    });
    match result {
        Ok(()) => {
            let name = form
                .choice_labels("key_worker")
                .into_iter()
                .next()
                .unwrap_or_default();
            let mut message = format!("Allocated to {name}: the case is on their caseload");
            if let Some(j) = &joint {
                message.push_str(&format!(
                    "; joint working with {} recorded",
                    codes::label(lists, "referral_services", &j.service)
                ));
            }
            Outcome::Done(Done {
                young_person_id: Some(young_person_id.to_string()),
                message,
                warning: false,
                next_form: None,
                open_case: false,
                section: Section::Summary,
            })
        }
        Err(e) => write_failed(form, e, field_of),
    }
}
