//! The outreach tally (KPIs 1a, 1b; MI 18–19): young people counted, not registered — date,
//! setting, how many, age band, gender and any brief intervention. Made to take seconds: Enter
//! saves once everything needed is filled, and the form comes back ready for the next tally
//! with the same date and setting.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;
use serde_json::json;

use super::{place_problems, same_name, write_failed, Done, Outcome};
use crate::domain::codes::CodeLists;
use crate::domain::intake::{validate_outreach_tally, OutreachTallyForm, OUTREACH_COUNT_MAX};
use crate::store::{drafts, intake as store_intake, Store};
use crate::tui::case_view::Section;
use crate::tui::codes;
use crate::tui::form::{Field, Form, FormEvent};
use crate::tui::keymap::Action;

/// The draft key of the outreach tally.
pub const FORM_KEY: &str = "outreach";

const KEYS: &[&str] = &[
    "date",
    "setting",
    "count",
    "age_band",
    "gender",
    "brief_intervention",
];

/// Where the focus starts on the next tally: the count.
const NEXT_FOCUS: usize = 2;

/// A fresh tally form; `keep` carries the date and setting over from the last tally.
pub fn new_form(today: NaiveDate, lists: &CodeLists, keep: Option<(String, String)>) -> Form {
    let (date, setting) = keep.unwrap_or_else(|| ("today".into(), String::new()));
    let mut form = Form::new(
        FORM_KEY.into(),
        "Outreach tally".into(),
        "Outreach tally: counted, not registered — Enter saves once complete".into(),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!(date)),
            Field::choice(
                "setting",
                "Setting",
                codes::choices(lists, "outreach_settings"),
            )
            .required()
            .with_value(json!(setting)),
            Field::number("count", "How many", 1, i64::from(OUTREACH_COUNT_MAX))
                .required()
                .hint("young people, 1 to 500"),
            Field::choice("age_band", "Age band", codes::choices(lists, "age_bands")).required(),
            Field::choice("gender", "Gender", codes::choices(lists, "sex")).required(),
            Field::choice(
                "brief_intervention",
                "Intervention",
                codes::choices(lists, "brief_interventions"),
            )
            .required()
            .hint("brief intervention given, if any")
            .with_value(json!("none")),
        ],
        today,
    );
    if form.choice("setting").is_some() {
        form.restore(&json!({ "focus": NEXT_FOCUS }));
    }
    form
}

/// Whether every field a tally needs has a value.
fn complete(form: &Form) -> bool {
    ["date", "count"].iter().all(|k| form.text(k).is_some())
        && ["setting", "age_band", "gender", "brief_intervention"]
            .iter()
            .all(|k| form.choice(k).is_some())
}

/// Enter in the tally: as in any form (next field, or pick a choice), but when it changes
/// nothing and the tally is complete, it saves.
pub fn enter(form: &mut Form, k: &KeyEvent, action: Option<Action>) -> FormEvent {
    let before = form.draft_data()["fields"].clone();
    let ev = form.handle_key(k, action);
    let unchanged = form.draft_data()["fields"] == before;
    if unchanged && complete(form) && matches!(ev, FormEvent::Handled | FormEvent::Changed) {
        return FormEvent::Save;
    }
    ev
}

fn read(form: &Form) -> OutreachTallyForm {
    let text = |k: &str| form.text(k).unwrap_or_default();
    let code = |k: &str| form.choice(k).unwrap_or_default();
    OutreachTallyForm {
        date: text("date"),
        setting: code("setting"),
        count: text("count"),
        age_band: code("age_band"),
        gender: code("gender"),
        brief_intervention: code("brief_intervention"),
    }
}

/// Checks and saves the tally; on success the next form keeps the date and setting.
pub fn save(
    store: &mut Store,
    form: &mut Form,
    worker: &str,
    now: DateTime<Utc>,
    lists: &CodeLists,
) -> Outcome {
    let ok = form.check_fields();
    let valid = match validate_outreach_tally(&read(form), lists, form.today()) {
        Ok(v) if ok => v,
        Ok(_) => return super::not_saved(form, &[]),
        Err(p) => {
            let loose = place_problems(form, &p, same_name(KEYS));
            return super::not_saved(form, &loose);
        }
    };
    let result = store.write(worker, now, |tx| {
        store_intake::record_outreach_tally(tx, &valid)?;
        drafts::discard_in(tx, worker, FORM_KEY)?;
        Ok(())
    });
    match result {
        Ok(()) => {
            let message = format!(
                "Tally saved: {} young {} at {} on {} — ready for the next",
                valid.count,
                if valid.count == 1 { "person" } else { "people" },
                codes::label(lists, "outreach_settings", &valid.setting),
                super::ddmmyyyy(valid.date)
            );
            let keep = (
                valid.date.format("%Y-%m-%d").to_string(),
                valid.setting.clone(),
            );
            Outcome::Done(Done {
                young_person_id: None,
                message,
                warning: false,
                next_form: Some(new_form(form.today(), lists, Some(keep))),
                open_case: false,
                section: Section::Summary,
            })
        }
        Err(e) => write_failed(form, e, same_name(KEYS)),
    }
}
