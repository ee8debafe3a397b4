//! The contact form: a session, call or meeting with a young person, or a did-not-attend with
//! what will be done about it (S §8.9.7).

use chrono::NaiveDate;
use serde_json::json;

use super::codes;
use super::form::{Field, Form, SHORT_MAX};
use crate::domain::codes::CodeLists;
use crate::domain::record::{Contact, YoungPerson};

/// The most a contact note holds.
pub const NOTE_MAX: usize = 4000;

/// The draft key of the contact form for a young person.
pub fn form_key(young_person_id: &str) -> String {
    format!("contact:{young_person_id}")
}

/// A fresh contact form for `person`, dated today.
pub fn new_form(person: &YoungPerson, today: NaiveDate, lists: &CodeLists) -> Form {
    Form::new(
        form_key(&person.id),
        "New contact".into(),
        format!(
            "New contact with {} ({})",
            person.display_name(),
            person.reference
        ),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!("today")),
            Field::time("time", "Time"),
            Field::choice("type", "Type", codes::choices(lists, "contact_types")).required(),
            Field::number("duration", "Minutes", 0, 600).hint("0 to 600"),
            Field::yes_no("dna", "Did not attend").with_value(json!(false)),
            Field::text("follow_up", "Follow-up action", SHORT_MAX)
                .hint("needed when did not attend"),
            Field::multi(
                "present",
                "Who was present",
                codes::choices(lists, "contact_present"),
            ),
            Field::long_text("note", "Note", NOTE_MAX),
        ],
        today,
    )
}

/// Checks the form and, when it is valid, returns the contact to save. Problems are set on the
/// fields, each naming the field and what is expected.
pub fn to_contact(
    form: &mut Form,
    young_person_id: &str,
    episode_id: Option<&str>,
    worker_id: &str,
) -> Option<Contact> {
    let mut ok = form.check_fields();
    let today = form.today();
    let dna = form.yes_no("dna").unwrap_or(false);
    if dna && form.text("follow_up").is_none() {
        form.set_error(
            "follow_up",
            "Follow-up action: say what will be done about the missed appointment \
             (needed when did not attend is yes)"
                .into(),
        );
        ok = false;
    }
    if let Some(d) = form.date("date") {
        if d > today {
            form.set_error(
                "date",
                format!(
                    "Date: a contact cannot be in the future (today is {})",
                    today.format("%d/%m/%Y")
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let present = form.choice_labels("present");
    Some(Contact {
        id: String::new(),
        young_person_id: young_person_id.to_string(),
        episode_id: episode_id.map(str::to_string),
        date: form.date("date")?,
        time: form.time("time"),
        contact_type: form.choice("type")?,
        duration_minutes: form.number("duration").map(|m| m as u32),
        present: (!present.is_empty()).then(|| present.join("; ")),
        note: form.text("note"),
        did_not_attend: dna,
        dna_follow_up: if dna { form.text("follow_up") } else { None },
        worker_id: Some(worker_id.to_string()),
    })
}

/// The contact form's purpose: a contact for a young person, on their current episode.
pub struct ContactPurpose {
    pub young_person_id: String,
    pub episode_id: Option<String>,
}

/// Opens the contact form for the case in view.
pub fn open(
    model: &super::case_view::CaseModel,
    env: &super::component::Env,
) -> super::component::Step {
    let form = new_form(&model.person, env.today, env.codes);
    super::form_screen::FormScreen::push(
        form,
        Box::new(ContactPurpose {
            young_person_id: model.person.id.clone(),
            episode_id: model.current_episode().map(|e| e.id.clone()),
        }),
        env,
    )
}

impl super::form_screen::FormPurpose for ContactPurpose {
    fn save(
        &mut self,
        form: &mut Form,
        env: &mut super::component::Env,
    ) -> super::form_screen::Saved {
        use super::form_screen::Saved;
        let worker = env.worker_id().to_string();
        let Some(contact) = to_contact(
            form,
            &self.young_person_id,
            self.episode_id.as_deref(),
            &worker,
        ) else {
            let labels = form.problem_labels();
            form.focus_first_problem();
            return Saved::Refused(format!(
                "Not saved: {} need{} attention — {}",
                if labels.len() == 1 {
                    "1 field".to_string()
                } else {
                    format!("{} fields", labels.len())
                },
                if labels.len() == 1 { "s" } else { "" },
                labels.join(", ")
            ));
        };
        let key = form.key.clone();
        let result = env.store.write(&worker, env.now, |tx| {
            crate::store::records::add_contact(tx, &contact)?;
            crate::store::drafts::discard_in(tx, &worker, &key)?;
            Ok(())
        });
        match result {
            Ok(()) => Saved::Done {
                msg: super::msg::Msg::Written(super::msg::Written {
                    section: Some(super::msg::Section::Contacts),
                    ..super::msg::Written::of(
                        &self.young_person_id,
                        format!("Contact of {} saved", contact.date.format("%d/%m/%Y")),
                    )
                }),
                next_form: None,
            },
            Err(e) => Saved::Refused(format!("Not saved (your draft is kept): {e}")),
        }
    }

    fn young_person(&self) -> Option<&str> {
        Some(&self.young_person_id)
    }
}
