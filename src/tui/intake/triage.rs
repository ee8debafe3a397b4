//! The triage form (S §8.4.2) for the current episode: presenting needs, substances (fixed rows
//! for the primary, secondary and one other), injecting, seriousness, urgency, motivation, risk
//! factors, vulnerabilities, the outcome, the interim plan and one risk flag raised from the
//! form. The outcome "comprehensive assessment" starts the 5-working-day clock.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::{context, place_problems, write_failed, Done, Outcome};
use crate::domain::codes::CodeLists;
use crate::domain::intake::{validate_triage, NewFlagForm, SubstanceForm, TriageForm};
use crate::domain::record::Episode;
use crate::store::{drafts, intake as store_intake, Store};
use crate::tui::case_view::{CaseModel, Section};
use crate::tui::codes;
use crate::tui::form::{Field, Form, SHORT_MAX};

const LONG_MAX: usize = 4000;

/// The substance rows' keys (primary, secondary, other): substance, route, frequency and age
/// of first use, in the order of the domain's `SubstanceForm`.
const ROW_KEYS: [[&str; 4]; 3] = [
    ["s1_substance", "s1_route", "s1_frequency", "s1_age"],
    ["s2_substance", "s2_route", "s2_frequency", "s2_age"],
    ["s3_substance", "s3_route", "s3_frequency", "s3_age"],
];

/// The draft key of an episode's triage.
pub fn form_key(episode_id: &str) -> String {
    format!("triage:{episode_id}")
}

/// A triage form for the current episode of `case`, dated today.
pub fn new_form(case: &CaseModel, e: &Episode, today: NaiveDate, lists: &CodeLists) -> Form {
    let person = &case.person;
    let mut fields = vec![
        Field::date("date", "Triage date")
            .required()
            .with_value(json!("today")),
        Field::long_text("presenting_needs", "Presenting needs", LONG_MAX),
        Field::yes_no("no_substances", "No substance use").with_value(json!(false)),
    ];
    let substance_labels: [[&'static str; 4]; 3] = [
        [
            "Primary substance",
            "Primary route",
            "Primary frequency",
            "Primary first use",
        ],
        [
            "Second substance",
            "Second route",
            "Second frequency",
            "Second first use",
        ],
        [
            "Other substance",
            "Other route",
            "Other frequency",
            "Other first use",
        ],
    ];
    for (k, l) in ROW_KEYS.iter().zip(substance_labels.iter()) {
        fields.push(Field::choice(
            k[0],
            l[0],
            codes::choices(lists, "substances"),
        ));
        fields.push(Field::choice(k[1], l[1], codes::choices(lists, "routes")));
        fields.push(Field::choice(
            k[2],
            l[2],
            codes::choices(lists, "frequency"),
        ));
        fields.push(Field::number(k[3], l[3], 1, 30).hint("age in years at first use"));
    }
    fields.extend([
        Field::choice("injecting", "Injecting", codes::choices(lists, "injecting")),
        Field::yes_no("sharing", "Sharing equipment").hint("only for someone who injects"),
        Field::choice(
            "seriousness",
            "Seriousness",
            codes::choices(lists, "risk_levels"),
        ),
        Field::choice("urgency", "Urgency", codes::choices(lists, "urgency"))
            .with_value(json!(e.urgency.clone().unwrap_or_default())),
        Field::scale("motivation", "Motivation", 0, 10).hint("0 none – 10 fully"),
        Field::long_text("risk_factors", "Risk factors", LONG_MAX),
        Field::multi(
            "vulnerabilities",
            "Vulnerabilities",
            codes::choices(lists, "vulnerabilities"),
        ),
        Field::choice(
            "outcome",
            "Outcome",
            codes::choices(lists, "triage_outcomes"),
        )
        .required(),
        Field::long_text("interim_plan", "Interim plan", LONG_MAX),
        Field::choice(
            "flag_type",
            "Raise flag: type",
            codes::choices(lists, "risk_types"),
        )
        .hint("optional: a risk seen at triage"),
        Field::choice(
            "flag_level",
            "Flag level",
            codes::choices(lists, "risk_levels"),
        ),
        Field::text("flag_action", "Flag action", SHORT_MAX).hint("what will be done"),
        Field::date("flag_review", "Flag review date").hint("when to review it"),
    ]);
    Form::new(
        form_key(&e.id),
        "Triage".into(),
        format!(
            "Triage of {} ({}), referred {}",
            person.display_name(),
            person.reference,
            super::ddmmyyyy(e.referral_date)
        ),
        fields,
        today,
    )
}

/// The form's key for a field the domain names.
fn field_of(f: &str) -> Option<&'static str> {
    const PLAIN: &[&str] = &[
        "date",
        "presenting_needs",
        "injecting",
        "sharing",
        "seriousness",
        "urgency",
        "motivation",
        "risk_factors",
        "vulnerabilities",
        "outcome",
        "interim_plan",
    ];
    if let Some(k) = PLAIN.iter().copied().find(|k| *k == f) {
        return Some(k);
    }
    if f == "substances" {
        return Some("no_substances");
    }
    let parts = ["substance", "route", "frequency", "age_first_use"];
    for (i, row) in ROW_KEYS.iter().enumerate() {
        for (j, part) in parts.iter().enumerate() {
            if f == crate::domain::intake::item_field("substances", i, part) {
                return Some(row[j]);
            }
        }
    }
    let flag = [
        ("flag_type", "flag_type"),
        ("level", "flag_level"),
        ("action", "flag_action"),
        ("review_date", "flag_review"),
    ];
    flag.iter()
        .find(|(part, _)| f == crate::domain::intake::item_field("flags_to_raise", 0, part))
        .map(|(_, k)| *k)
}

/// The domain's triage form from what was typed.
fn read(form: &Form) -> TriageForm {
    let text = |k: &str| form.text(k).unwrap_or_default();
    let code = |k: &str| form.choice(k).unwrap_or_default();
    let substances = ROW_KEYS
        .iter()
        .map(|[substance, route, frequency, age]| SubstanceForm {
            substance: code(substance),
            route: code(route),
            frequency: code(frequency),
            age_first_use: text(age),
        })
        .collect();
    let flag = NewFlagForm {
        flag_type: code("flag_type"),
        level: code("flag_level"),
        action: text("flag_action"),
        review_date: text("flag_review"),
    };
    let raising = [
        &flag.flag_type,
        &flag.level,
        &flag.action,
        &flag.review_date,
    ]
    .iter()
    .any(|s| !s.is_empty());
    TriageForm {
        date: text("date"),
        presenting_needs: text("presenting_needs"),
        no_substances: form.yes_no("no_substances").unwrap_or(false),
        substances,
        injecting: code("injecting"),
        sharing: form.yes_no("sharing"),
        seriousness: code("seriousness"),
        urgency: code("urgency"),
        motivation: form
            .scale("motivation")
            .map_or_else(String::new, |m| m.to_string()),
        risk_factors: text("risk_factors"),
        vulnerabilities: form.choices("vulnerabilities"),
        outcome: code("outcome"),
        interim_plan: text("interim_plan"),
        flags_to_raise: if raising { vec![flag] } else { Vec::new() },
    }
}

/// Checks and saves the triage (with its substances, vulnerabilities and flag) in one
/// transaction.
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
    let valid = match validate_triage(&read(form), lists, form.today(), &ctx) {
        Ok(v) if ok => v,
        Ok(_) => return super::not_saved(form, &[]),
        Err(p) => {
            let loose = place_problems(form, &p, field_of);
            return super::not_saved(form, &loose);
        }
    };
    let key = form.key.clone();
    let result = store.write(worker, now, |tx| {
        store_intake::record_triage(tx, episode_id, &valid)?;
        drafts::discard_in(tx, worker, &key)?;
        Ok(())
    });
    match result {
        Ok(()) => {
            let mut message = format!(
                "Triage of {} saved: {}",
                super::ddmmyyyy(valid.date),
                codes::label(lists, "triage_outcomes", &valid.outcome)
            );
            if !valid.flags.is_empty() {
                message.push_str("; risk flag raised");
            }
            for n in &valid.notes {
                message.push_str(" · ");
                message.push_str(n);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domains_field_names_find_the_forms_fields() {
        assert_eq!(field_of("date"), Some("date"));
        assert_eq!(field_of("substances[0].substance"), Some("s1_substance"));
        assert_eq!(field_of("substances[1].route"), Some("s2_route"));
        assert_eq!(field_of("substances[2].age_first_use"), Some("s3_age"));
        assert_eq!(field_of("substances"), Some("no_substances"));
        assert_eq!(field_of("flags_to_raise[0].action"), Some("flag_action"));
        assert_eq!(
            field_of("flags_to_raise[0].review_date"),
            Some("flag_review")
        );
        assert_eq!(field_of("episode"), None, "shown in the status bar instead");
        assert_eq!(field_of("substances[3].route"), None);
    }
}
