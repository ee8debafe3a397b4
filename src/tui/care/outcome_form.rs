//! The outcome profile form: TOP measures (S §8.9.4: days of use, injecting, sharing,
//! offending, psychological and physical health and quality of life 0–20, accommodation,
//! education and employment) and the mentoring ratings of L §3.1. The same fields, under the
//! prefix `outcome_profile.`, are the optional profile of the review form. Keys are the field
//! names `OutcomeProfile::validate` reports under, so refusals land at their field.

use chrono::NaiveDate;
use serde_json::json;

use super::intern;
use crate::domain::assessment::{
    AreaRating, Occasion, OutcomeProfile, SubstanceDays, ACCOMMODATION_CODES,
    EDUCATION_EMPLOYMENT_CODES, OUTCOME_AREAS,
};
use crate::domain::codes::CodeLists;
use crate::domain::record::YoungPerson;
use crate::tui::codes::{self, Choice};
use crate::tui::form::{Field, Form};

/// How many substances the form asks days of use for (TOP asks up to four; two covers most).
pub const SUBSTANCE_ROWS: usize = 2;

// Numbers are taken wide so that a mistyped 25 reaches the profile's own rules and gets their
// message ("off the scale: expected 0 to 20").
const WIDE: i64 = 999;

pub fn form_key(young_person_id: &str) -> String {
    format!("outcome:{young_person_id}")
}

fn k(prefix: &str, name: &str) -> &'static str {
    intern(format!("{prefix}{name}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<Choice> {
    list.iter()
        .map(|(c, l)| Choice {
            code: (*c).to_string(),
            label: (*l).to_string(),
        })
        .collect()
}

/// An L §3.1 area's name in the form's 18-column label (the full name is the hint).
fn short_area(code: &str) -> &'static str {
    match code {
        "substance_use" => "Rated: substances",
        "physical_psychological_health" => "Rated: health",
        "education_training" => "Rated: education",
        "accommodation" => "Rated: housing",
        "social_skills_confidence" => "Rated: confidence",
        "relationships" => "Rated: relations",
        "offending" => "Rated: offending",
        other => intern(format!("Rated: {other}")),
    }
}

/// The measure fields, keys under `prefix` ("" for the profile form).
pub fn measure_fields(prefix: &str, lists: &CodeLists) -> Vec<Field> {
    let substances = codes::choices(lists, "substances");
    let mut out = Vec::new();
    for i in 1..=SUBSTANCE_ROWS {
        out.push(Field::choice(
            k(prefix, &format!("substance_{i}")),
            intern(format!("Substance {i}")),
            substances.clone(),
        ));
        out.push(
            Field::number(
                k(prefix, &format!("substance_{i}_days")),
                "  days used",
                0,
                WIDE,
            )
            .hint("of the last 28"),
        );
    }
    out.push(Field::number(k(prefix, "injecting_days"), "Injecting days", 0, WIDE).hint("of 28"));
    out.push(Field::yes_no(k(prefix, "sharing"), "Sharing equipment"));
    out.push(Field::number(k(prefix, "offending_days"), "Offending days", 0, WIDE).hint("of 28"));
    for (name, label) in [
        ("psychological_health", "Psychological"),
        ("physical_health", "Physical health"),
        ("quality_of_life", "Quality of life"),
    ] {
        out.push(Field::number(k(prefix, name), label, 0, WIDE).hint("0 poor to 20 good"));
    }
    out.push(Field::choice(
        k(prefix, "accommodation"),
        "Accommodation",
        pairs(&ACCOMMODATION_CODES),
    ));
    out.push(Field::choice(
        k(prefix, "education_employment"),
        "Education / work",
        pairs(&EDUCATION_EMPLOYMENT_CODES),
    ));
    for a in OUTCOME_AREAS {
        out.push(
            Field::number(
                k(prefix, &format!("ratings.{}", a.code)),
                short_area(a.code),
                0,
                WIDE,
            )
            .hint(intern(format!("{}, 0 worst to 20 best", a.label))),
        );
    }
    out
}

/// A fresh outcome profile form for `person`, dated today.
pub fn new_form(person: &YoungPerson, today: NaiveDate, lists: &CodeLists) -> Form {
    let mut fields = vec![
        Field::date("date", "Date")
            .required()
            .with_value(json!("today")),
        Field::choice(
            "occasion",
            "Occasion",
            Occasion::ALL
                .iter()
                .map(|o| Choice {
                    code: o.code().to_string(),
                    label: o.label().to_string(),
                })
                .collect(),
        )
        .required(),
    ];
    fields.extend(measure_fields("", lists));
    Form::new(
        form_key(&person.id),
        "Outcome profile".into(),
        format!(
            "Outcome profile of {} ({}) — the last 28 days",
            person.display_name(),
            person.reference
        ),
        fields,
        today,
    )
}

/// Whether any measure under `prefix` was filled in.
pub fn any_measure(form: &Form, prefix: &str, lists: &CodeLists) -> bool {
    measure_fields(prefix, lists).iter().any(|f| {
        form.text(f.key).is_some()
            || form.yes_no(f.key).is_some()
            || !form.choices(f.key).is_empty()
    })
}

/// The measures under `prefix` read into a blank profile dated `date`.
pub fn read_measures(
    form: &Form,
    prefix: &str,
    date: NaiveDate,
    occasion: Occasion,
) -> OutcomeProfile {
    let num = |name: &str| {
        form.number(k(prefix, name))
            .map(|n| n.clamp(-9999, 9999) as i32)
    };
    let mut p = OutcomeProfile::blank(date, occasion);
    for i in 1..=SUBSTANCE_ROWS {
        if let (Some(s), Some(days)) = (
            form.choice(k(prefix, &format!("substance_{i}"))),
            num(&format!("substance_{i}_days")),
        ) {
            p.substance_days.push(SubstanceDays { substance: s, days });
        }
    }
    p.injecting_days = num("injecting_days");
    p.sharing = form.yes_no(k(prefix, "sharing"));
    p.offending_days = num("offending_days");
    p.psychological_health = num("psychological_health");
    p.physical_health = num("physical_health");
    p.quality_of_life = num("quality_of_life");
    p.accommodation = form.choice(k(prefix, "accommodation"));
    p.education_employment = form.choice(k(prefix, "education_employment"));
    for a in OUTCOME_AREAS {
        if let Some(r) = num(&format!("ratings.{}", a.code)) {
            p.ratings.push(AreaRating {
                area: a.code.to_string(),
                rating: r,
            });
        }
    }
    p
}

/// The profile the form holds, when every field is in the expected form.
pub fn to_profile(form: &mut Form) -> Option<OutcomeProfile> {
    if !form.check_fields() {
        return None;
    }
    let occasion = form
        .choice("occasion")
        .and_then(|c| Occasion::from_code(&c))?;
    Some(read_measures(form, "", form.date("date")?, occasion))
}

/// The form key for a refusal's field under `prefix`: `substance_days.cannabis` lands at the
/// days of the row that named cannabis.
pub fn field_of(form: &Form, prefix: &str, name: &str) -> Option<String> {
    if let Some(code) = name.strip_prefix("substance_days.") {
        for i in 1..=SUBSTANCE_ROWS {
            if form.choice(k(prefix, &format!("substance_{i}"))).as_deref() == Some(code) {
                return Some(format!("{prefix}substance_{i}_days"));
            }
        }
        return Some(format!("{prefix}substance_1"));
    }
    if name == "substance_days" {
        return Some(format!("{prefix}substance_1"));
    }
    Some(format!("{prefix}{name}"))
}
