//! The care plan review form (S §8.9.5): when it was held, who took part, progress on each
//! goal of the current plan (and whether the goal closes), notes, and optionally an outcome
//! profile recorded at the review. Saving makes the plan's next version; the next review then
//! falls due 12 weeks after this one.

use chrono::NaiveDate;
use serde_json::json;

use super::{intern, outcome_form};
use crate::domain::assessment::Occasion;
use crate::domain::care_plan::{CarePlan, ReviewForm};
use crate::domain::codes::CodeLists;
use crate::domain::record::YoungPerson;
use crate::tui::form::{truncate, Field, Form, SHORT_MAX};

pub const NOTES_MAX: usize = 4000;
/// The prefix of the optional outcome profile's fields (as the review's rules name them).
pub const PROFILE: &str = "outcome_profile.";

pub fn form_key(young_person_id: &str) -> String {
    format!("review:{young_person_id}")
}

fn progress_key(i: usize) -> &'static str {
    intern(format!("goal.{i}.progress"))
}

fn close_key(i: usize) -> &'static str {
    intern(format!("goal.{i}.close"))
}

/// A fresh review form over `plan`'s goals (none when there is no plan yet).
pub fn new_form(
    person: &YoungPerson,
    plan: Option<&CarePlan>,
    today: NaiveDate,
    lists: &CodeLists,
) -> Form {
    let mut fields = vec![
        Field::date("date", "Date held")
            .required()
            .with_value(json!("today")),
        Field::text("participants", "Participants", SHORT_MAX).hint("who took part"),
    ];
    for (i, g) in plan
        .map(|p| p.goals.as_slice())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        fields.push(
            Field::text(
                progress_key(i),
                intern(format!("Goal {} progress", i + 1)),
                SHORT_MAX,
            )
            .hint(intern(truncate(&g.goal, 60))),
        );
        fields.push(
            Field::yes_no(close_key(i), intern(format!("  close goal {}", i + 1)))
                .with_value(json!(false))
                .hint("y: achieved or no longer wanted"),
        );
    }
    fields.push(Field::long_text("notes", "Notes", NOTES_MAX));
    fields.extend(outcome_form::measure_fields(PROFILE, lists));
    let title = match plan {
        Some(p) => format!(
            "Review of {}'s care plan (version {}) — saving makes version {}",
            person.display_name(),
            p.version,
            p.version + 1
        ),
        None => format!("Review for {} (no care plan yet)", person.display_name()),
    };
    Form::new(
        form_key(&person.id),
        "Care plan review".into(),
        title,
        fields,
        today,
    )
}

/// The review the form holds; `goal_ids` are the plan's goals in the order shown.
pub fn to_review(form: &mut Form, goal_ids: &[String], lists: &CodeLists) -> Option<ReviewForm> {
    if !form.check_fields() {
        return None;
    }
    let date = form.date("date")?;
    let mut r = ReviewForm::new(date);
    r.participants = form.text("participants").unwrap_or_default();
    r.notes = form.text("notes").unwrap_or_default();
    for (i, id) in goal_ids.iter().enumerate() {
        let progress = form.text(progress_key(i)).unwrap_or_default();
        r = if form.yes_no(close_key(i)) == Some(true) {
            r.close_goal(id, &progress)
        } else if !progress.is_empty() {
            r.progress(id, &progress)
        } else {
            r
        };
    }
    if outcome_form::any_measure(form, PROFILE, lists) {
        r.outcome_profile = Some(outcome_form::read_measures(
            form,
            PROFILE,
            date,
            Occasion::Review,
        ));
    }
    Some(r)
}

/// The form key a refusal's field lands at.
pub fn field_of(form: &Form, name: &str) -> Option<String> {
    match name.strip_prefix(PROFILE) {
        Some("date") => Some("date".into()),
        Some(rest) => outcome_form::field_of(form, PROFILE, rest),
        None if name == "goals" => Some(progress_key(0).to_string()),
        None => Some(name.to_string()),
    }
}
