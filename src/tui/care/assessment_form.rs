//! The comprehensive assessment form (S §8.5): needs by domain, the six risk domains each with
//! a level and a risk management action, the DASH yes-count and professional judgement. Field
//! keys are the names `AssessmentForm::validate` reports problems under, so a refusal lands at
//! its field unchanged.

use chrono::NaiveDate;
use serde_json::json;

use super::intern;
use crate::domain::assessment::{AssessmentForm, Need, RiskDomain, DASH_QUESTIONS};
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::record::{RiskLevel, YoungPerson};
use crate::tui::codes::{self, Choice};
use crate::tui::form::{Field, Form, SHORT_MAX};

/// The most the assessment's notes hold.
pub const NOTES_MAX: usize = 4000;

pub fn form_key(young_person_id: &str) -> String {
    format!("assessment:{young_person_id}")
}

fn need_key(code: &str) -> &'static str {
    intern(format!("needs.{code}"))
}

/// The risk domain's name in the form's label column (16 characters with the required mark).
fn short_risk(d: RiskDomain) -> &'static str {
    match d {
        RiskDomain::SelfHarm => "Self-harm",
        RiskDomain::RiskFromOthers => "Risk from others",
        RiskDomain::RiskToOthers => "Risk to others",
        RiskDomain::Housing => "Housing risk",
        RiskDomain::SexualExploitation => "Exploitation",
        RiskDomain::DomesticViolence => "Domestic abuse",
    }
}

/// A fresh assessment form for `person`, dated today.
pub fn new_form(person: &YoungPerson, today: NaiveDate, lists: &CodeLists) -> Form {
    let mut fields = vec![Field::date("date", "Date")
        .required()
        .with_value(json!("today"))];
    for c in lists.list(ListName::NeedDomains).active() {
        // Labels fit the form's 18 columns; the full domain shows as the hint.
        let first = c
            .label
            .split([' ', ','])
            .next()
            .unwrap_or("")
            .to_lowercase();
        fields.push(
            Field::text(
                need_key(&c.code),
                intern(format!("Need: {first}")),
                SHORT_MAX,
            )
            .hint(intern(c.label.clone())),
        );
    }
    let levels = codes::choices(lists, "risk_levels");
    for d in RiskDomain::ALL {
        fields.push(
            Field::choice(intern(d.level_field()), short_risk(d), levels.clone())
                .required()
                .hint("risk: low, medium or high"),
        );
        fields.push(
            Field::text(intern(d.action_field()), "  action", SHORT_MAX)
                .hint("needed when medium or high"),
        );
    }
    fields.push(
        Field::number("dash_yes_count", "DASH yes answers", 0, 99)
            .hint("0 to 24; 14 or more is a MARAC referral"),
    );
    fields.push(
        Field::yes_no("professional_judgement", "High risk on judgement")
            .with_value(json!(false))
            .hint("y / n: MARAC whatever the count"),
    );
    fields.push(Field::multi(
        "flag_domains",
        "Raise as risk flags",
        RiskDomain::ALL
            .iter()
            .map(|d| Choice {
                code: d.code().to_string(),
                label: d.label().to_string(),
            })
            .collect(),
    ));
    fields.push(Field::long_text("notes", "Notes", NOTES_MAX));
    Form::new(
        form_key(&person.id),
        "Comprehensive assessment".into(),
        format!(
            "Comprehensive assessment of {} ({}) — DASH has {DASH_QUESTIONS} questions",
            person.display_name(),
            person.reference
        ),
        fields,
        today,
    )
}

/// The assessment the form holds, when every field is in the expected form (the rules that
/// need the episode are the store's: it refuses, and the refusal is shown at the field).
pub fn to_assessment(form: &mut Form, lists: &CodeLists) -> Option<AssessmentForm> {
    if !form.check_fields() {
        return None;
    }
    let mut a = AssessmentForm::blank(form.date("date")?);
    for c in lists.list(ListName::NeedDomains).active() {
        if let Some(need) = form.text(need_key(&c.code)) {
            a.needs.push(Need {
                domain: c.code.clone(),
                need,
            });
        }
    }
    for r in &mut a.risks {
        r.level = form
            .choice(&r.domain.level_field())
            .and_then(|c| RiskLevel::from_code(&c));
        r.action = form.text(&r.domain.action_field()).unwrap_or_default();
    }
    a.dash_yes_count = form.number("dash_yes_count").map(|n| n as i32);
    a.professional_judgement = form.yes_no("professional_judgement").unwrap_or(false);
    a.flag_domains = form
        .choices("flag_domains")
        .iter()
        .filter_map(|c| RiskDomain::from_code(c))
        .collect();
    a.notes = form.text("notes").unwrap_or_default();
    Some(a)
}

/// The form key a refusal's field lands at.
pub fn field_of(name: &str) -> Option<String> {
    match name {
        // An unknown need domain cannot come from this form's fields: the status bar says it.
        "needs" => None,
        "flag_review_date" => Some("flag_domains".to_string()),
        other => Some(other.to_string()),
    }
}
