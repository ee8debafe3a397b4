//! The referral form (S §8.3): the young person's details (filled in for one already known),
//! then the referral's own — date, source, referrer, reason, consent and urgency. Saving opens
//! a new episode, and with it the triage clock.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::search::read_typed;
use super::{place_problems, same_name, write_failed, Done, Outcome};
use crate::domain::calendar::age_on;
use crate::domain::codes::CodeLists;
use crate::domain::intake::{
    validate_referral, ReferralForm, OLDEST_PLAUSIBLE_AGE, SERVICE_AGES, YOUNGEST_PLAUSIBLE_AGE,
};
use crate::domain::record::YoungPerson;
use crate::domain::validate::parse_date;
use crate::store::{drafts, intake as store_intake, Store};
use crate::tui::case_view::Section;
use crate::tui::codes;
use crate::tui::form::{Field, Form, SHORT_MAX};

/// The most a name or a reason holds (as the domain checks them).
const NAME_MAX: usize = 100;
const REASON_MAX: usize = 4000;

/// The form's keys: each is the domain's field name, so problems land where they belong.
const KEYS: &[&str] = &[
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "postcode_district",
    "referral_date",
    "referral_source",
    "referrer",
    "referrer_contact",
    "referral_reason",
    "consent_to_share",
    "consent_date",
    "urgency",
];

/// The draft key: one per known young person, one for a new young person.
pub fn form_key(existing: Option<&str>) -> String {
    format!("referral:{}", existing.unwrap_or("new"))
}

/// A referral form: for `person` (already known, details filled in) or a new young person,
/// whose name and date of birth come from what was typed in the search.
pub fn new_form(
    person: Option<&YoungPerson>,
    typed: &str,
    today: NaiveDate,
    lists: &CodeLists,
) -> Form {
    let start = match person {
        Some(p) => {
            // Dates as the worker types them (the domain gives them as YYYY-MM-DD).
            let shown =
                |iso: String| parse_date(&iso).map_or(iso, |d| d.format("%d/%m/%Y").to_string());
            let known = ReferralForm::for_known(p);
            ReferralForm {
                date_of_birth: shown(known.date_of_birth.clone()),
                consent_date: shown(known.consent_date.clone()),
                ..known
            }
        }
        None => {
            let t = read_typed(typed);
            ReferralForm {
                given_name: t.given,
                family_name: t.family,
                date_of_birth: t
                    .dob
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                ..Default::default()
            }
        }
    };
    let consent = start.consent_to_share.map_or(json!(null), |c| json!(c));
    let title = match person {
        Some(p) => format!(
            "New referral: a new episode for {} ({})",
            p.display_name(),
            p.reference
        ),
        None => "New referral: a new young person".to_string(),
    };
    Form::new(
        form_key(person.map(|p| p.id.as_str())),
        "New referral".into(),
        title,
        vec![
            Field::text("given_name", "Given name", NAME_MAX).with_value(json!(start.given_name)),
            Field::text("family_name", "Family name", NAME_MAX)
                .with_value(json!(start.family_name)),
            Field::date("date_of_birth", "Date of birth")
                .required()
                .hint("31/05/2009")
                .with_value(json!(start.date_of_birth)),
            Field::choice("sex", "Sex", codes::choices(lists, "sex")).with_value(json!(start.sex)),
            Field::choice("ethnicity", "Ethnicity", codes::choices(lists, "ethnicity"))
                .with_value(json!(start.ethnicity)),
            Field::text("postcode_district", "Postcode", 10)
                .hint("only the district is kept, e.g. SO14")
                .with_value(json!(start.postcode_district)),
            Field::date("referral_date", "Referral date")
                .required()
                .with_value(json!("today")),
            Field::choice(
                "referral_source",
                "Source",
                codes::choices(lists, "referral_sources"),
            )
            .required(),
            Field::text("referrer", "Referrer", SHORT_MAX).hint("person or agency"),
            Field::text("referrer_contact", "Referrer contact", SHORT_MAX).hint("phone or email"),
            Field::long_text("referral_reason", "Reason", REASON_MAX),
            Field::yes_no("consent_to_share", "Consent to share").with_value(consent),
            Field::date("consent_date", "Consent date")
                .hint("needed when consent is yes")
                .with_value(json!(start.consent_date)),
            Field::choice("urgency", "Urgency", codes::choices(lists, "urgency")),
        ],
        today,
    )
}

/// The note for an age on the referral date outside the service's ages (ages so far out that
/// the date of birth is surely mistyped are the domain's problem, shown on saving).
pub fn age_note(form: &Form) -> Option<String> {
    let dob = parse_date(&form.text("date_of_birth")?).ok()?;
    let referred = form.date("referral_date")?;
    let age = age_on(dob, referred)?;
    let plausible = YOUNGEST_PLAUSIBLE_AGE..=OLDEST_PLAUSIBLE_AGE;
    (plausible.contains(&age) && !SERVICE_AGES.contains(&age)).then(|| {
        format!(
            "Aged {age} on the referral date: outside {}–{}, accepted (nobody is refused)",
            SERVICE_AGES.start(),
            SERVICE_AGES.end()
        )
    })
}

/// The domain's referral form from what was typed.
fn read(form: &Form) -> ReferralForm {
    let text = |k: &str| form.text(k).unwrap_or_default();
    let code = |k: &str| form.choice(k).unwrap_or_default();
    ReferralForm {
        given_name: text("given_name"),
        family_name: text("family_name"),
        date_of_birth: text("date_of_birth"),
        sex: code("sex"),
        ethnicity: code("ethnicity"),
        postcode_district: text("postcode_district"),
        referral_date: text("referral_date"),
        referral_source: code("referral_source"),
        referrer: text("referrer"),
        referrer_contact: text("referrer_contact"),
        referral_reason: text("referral_reason"),
        consent_to_share: form.yes_no("consent_to_share"),
        consent_date: text("consent_date"),
        urgency: code("urgency"),
    }
}

/// Checks and saves the referral in one transaction.
pub fn save(
    store: &mut Store,
    form: &mut Form,
    existing: Option<&str>,
    worker: &str,
    now: DateTime<Utc>,
    lists: &CodeLists,
) -> Outcome {
    let ok = form.check_fields();
    let valid = validate_referral(&read(form), lists, form.today());
    let valid = match valid {
        Ok(v) if ok => v,
        Ok(_) => return super::not_saved(form, &[]),
        Err(p) => {
            let loose = place_problems(form, &p, same_name(KEYS));
            return super::not_saved(form, &loose);
        }
    };
    let key = form.key.clone();
    let result = store.write(worker, now, |tx| {
        let r = store_intake::record_referral(tx, existing, &valid)?;
        drafts::discard_in(tx, worker, &key)?;
        Ok(r)
    });
    match result {
        Ok(r) => {
            let who = if r.new_young_person {
                format!("{} registered as {}", display(&valid), r.reference)
            } else {
                format!("new episode for {} ({})", display(&valid), r.reference)
            };
            let mut message = format!(
                "Referral of {} saved: {who}; triage is now due",
                super::ddmmyyyy(valid.referral_date)
            );
            for n in &valid.notes {
                message.push_str(" · ");
                message.push_str(n);
            }
            Outcome::Done(Done {
                young_person_id: Some(r.young_person_id),
                message,
                warning: !valid.notes.is_empty(),
                next_form: None,
                open_case: true,
                section: Section::Timeline,
            })
        }
        Err(e) => write_failed(form, e, |f| match f {
            "young_person" => None,
            other => same_name(KEYS)(other),
        }),
    }
}

fn display(v: &crate::domain::intake::ValidReferral) -> String {
    format!("{} {}", v.given_name, v.family_name)
        .trim()
        .to_string()
}
