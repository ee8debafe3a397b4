//! The coordinator's forms on the board: a mentor (new or edited), a training or support
//! session (or group programme, workshop), a recruitment drive, a complaint, a telephone
//! message and its answer. Each saves through `store::mentoring` in one write; a refusal
//! shows at the field the store names and nothing is written.

use std::rc::Rc;

use chrono::NaiveDate;
use serde_json::json;

use super::{ddmmyyyy, iso, young_person_by_typed_reference};
use crate::domain::codes::CodeLists;
use crate::domain::mentoring::{
    CheckResult, Complaint, EventKind, Mentor, MentorStatus, MentoringEvent, RecruitmentDrive,
    TelephoneMessage,
};
use crate::store::{drafts, mentoring};
use crate::tui::care::{problems_status, show_refusal};
use crate::tui::codes::{self, Choice};
use crate::tui::component::{Env, Step};
use crate::tui::form::{Field, Form, SHORT_MAX};
use crate::tui::form_screen::{FormPurpose, FormScreen, Saved};
use crate::tui::msg::{Msg, StatusKind, Written};

/// The most a complaint or a session's notes hold (the store's own limit).
const LONG_MAX: usize = 4000;

fn choice(code: &str, label: &str) -> Choice {
    Choice {
        code: code.to_string(),
        label: label.to_string(),
    }
}

fn status_choices() -> Vec<Choice> {
    MentorStatus::ALL
        .iter()
        .map(|s| choice(s.code(), s.label()))
        .collect()
}

fn check_choices() -> Vec<Choice> {
    CheckResult::ALL
        .iter()
        .map(|c| {
            let label = match c {
                CheckResult::Clear => "Clear",
                CheckResult::ClearWithDisclosure => "Clear with a disclosure (does not bar)",
                CheckResult::Pending => "Pending",
                CheckResult::NotSuitable => "Not suitable",
            };
            choice(c.code(), label)
        })
        .collect()
}

/// What each kind of event is called on the form.
pub fn event_kind_label(k: EventKind) -> &'static str {
    match k {
        EventKind::TrainingSession => "Mentor training session",
        EventKind::TrainingCourse => "Training course (e.g. Tier 1 / Tier 2 drug awareness)",
        EventKind::SupportSession => "Mentor support session (every 6 weeks)",
        EventKind::GroupProgramme => "Group programme session",
        EventKind::Workshop => "Workshop or joint activity",
    }
}

/// The write went through: the board reads again (and selects `select`, a mentor's ID).
fn done(env: &mut Env, form: &Form, message: String, select: Option<String>) -> Saved {
    let worker = env.worker_id().to_string();
    // Written already; a draft left behind would only be offered again.
    let _ = drafts::discard(env.store, &worker, &form.key);
    Saved::Done {
        msg: Msg::Written(Written {
            message,
            select,
            ..Written::default()
        }),
        next_form: None,
    }
}

/// A refusal from the store, shown at the field it names (the forms' keys are the store's
/// field names).
fn refused(form: &mut Form, e: &anyhow::Error) -> Saved {
    Saved::Refused(show_refusal(form, e, |_, f| Some(f.to_string())))
}

// ---- a mentor -------------------------------------------------------------------------------

/// The mentor form: empty for a new mentor, filled from `m` to edit one.
pub fn mentor_form(
    m: Option<&Mentor>,
    drives: &[RecruitmentDrive],
    codes: &CodeLists,
    today: NaiveDate,
) -> Form {
    let blank = Mentor {
        status: MentorStatus::InTraining.code().into(),
        ..Mentor::default()
    };
    let v = m.unwrap_or(&blank);
    let text = |s: &Option<String>| json!(s.clone().unwrap_or_default());
    let drive_choices = drives
        .iter()
        .map(|d| {
            choice(
                &d.id,
                &format!("{} (from {})", d.title, ddmmyyyy(d.start_date)),
            )
        })
        .collect();
    let (key, name, title) = match m {
        Some(m) => (
            format!("mentor:{}", m.id),
            "Edit mentor".to_string(),
            format!("Mentor {}: checks, training and status", m.display_name()),
        ),
        None => (
            "mentor:new".to_string(),
            "New mentor".to_string(),
            "A new volunteer mentor: ready to match after checks and Tier 1/2".to_string(),
        ),
    };
    Form::new(
        key,
        name,
        title,
        vec![
            Field::text("given_name", "Given name", 100)
                .required()
                .with_value(json!(v.given_name)),
            Field::text("family_name", "Family name", 100)
                .required()
                .with_value(json!(v.family_name)),
            Field::text("gender", "Gender", 60)
                .hint("as the mentor describes it")
                .with_value(text(&v.gender)),
            Field::choice("ethnicity", "Ethnicity", codes::choices(codes, "ethnicity"))
                .with_value(json!(v.ethnicity)),
            Field::text("languages", "Languages", SHORT_MAX)
                .hint("comma separated")
                .with_value(text(&v.languages)),
            Field::date("recruited_on", "Recruited on").with_value(iso(v.recruited_on)),
            Field::choice("recruitment_drive", "Recruitment drive", drive_choices)
                .with_value(json!(v.recruitment_drive_id)),
            Field::date("check_date", "DBS check on").with_value(iso(v.check_date)),
            Field::choice("check_result", "DBS check result", check_choices())
                .with_value(json!(v.check_result)),
            Field::date("references_on", "References on").with_value(iso(v.references_on)),
            Field::date("commitment_start", "Commitment from").with_value(iso(v.commitment_start)),
            Field::date("tier1_on", "Tier 1 training").with_value(iso(v.tier1_on)),
            Field::date("tier2_on", "Tier 2 training").with_value(iso(v.tier2_on)),
            Field::choice("status", "Status", status_choices())
                .required()
                .with_value(json!(v.status)),
            Field::date("left_on", "Left on")
                .hint("when the status is left")
                .with_value(iso(v.left_on)),
            Field::choice(
                "leaving_reason",
                "Leaving reason",
                codes::choices(codes, "mentor_leaving_reasons"),
            )
            .with_value(json!(v.leaving_reason)),
        ],
        today,
    )
}

/// The mentor as the form holds it (`id` empty for a new one).
pub fn mentor_of(form: &Form, id: &str) -> Mentor {
    Mentor {
        id: id.to_string(),
        given_name: form.text("given_name").unwrap_or_default(),
        family_name: form.text("family_name").unwrap_or_default(),
        gender: form.text("gender"),
        ethnicity: form.choice("ethnicity"),
        languages: form.text("languages"),
        recruited_on: form.date("recruited_on"),
        recruitment_drive_id: form.choice("recruitment_drive"),
        check_date: form.date("check_date"),
        check_result: form.choice("check_result"),
        references_on: form.date("references_on"),
        commitment_start: form.date("commitment_start"),
        tier1_on: form.date("tier1_on"),
        tier2_on: form.date("tier2_on"),
        status: form.choice("status").unwrap_or_default(),
        left_on: form.date("left_on"),
        leaving_reason: form.choice("leaving_reason"),
    }
}

/// Opens the mentor form: a new mentor, or `m` to edit.
pub fn open_mentor(m: Option<&Mentor>, env: &Env) -> Step {
    let drives = match mentoring::drives(env.store) {
        Ok(d) => d,
        Err(e) => return Step::status(StatusKind::Error, format!("Cannot read the drives: {e}")),
    };
    let form = mentor_form(m, &drives, env.codes, env.today);
    FormScreen::push(
        form,
        Box::new(MentorPurpose {
            mentor_id: m.map(|m| m.id.clone()),
        }),
        env,
    )
}

pub struct MentorPurpose {
    /// `None` for a new mentor.
    mentor_id: Option<String>,
}

impl FormPurpose for MentorPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let m = mentor_of(form, self.mentor_id.as_deref().unwrap_or(""));
        let worker = env.worker_id().to_string();
        let codes = Rc::clone(env.codes);
        let today = env.today;
        let result = match &self.mentor_id {
            None => env.store.write(&worker, env.now, |tx| {
                mentoring::add_mentor(tx, &codes, &m, today)
            }),
            Some(id) => env
                .store
                .write(&worker, env.now, |tx| {
                    mentoring::update_mentor(tx, &codes, &m, today)
                })
                .map(|_| id.clone()),
        };
        match result {
            Ok(id) => {
                let what = if self.mentor_id.is_some() {
                    "saved"
                } else {
                    "added"
                };
                let message = format!("Mentor {} {what}", m.display_name());
                done(env, form, message, Some(id))
            }
            Err(e) => refused(form, &e),
        }
    }
}

// ---- training, support, group programme, workshop -----------------------------------------

/// Opens the form for a training or support session (or group programme, workshop).
pub fn open_event(env: &Env) -> Step {
    let mentors = match mentoring::mentors(env.store) {
        Ok(m) => m,
        Err(e) => return Step::status(StatusKind::Error, format!("Cannot read the mentors: {e}")),
    };
    let attendees = mentors
        .iter()
        .filter(|m| m.status() != MentorStatus::Left)
        .map(|m| choice(&m.id, &m.display_name()))
        .collect();
    let kinds = EventKind::ALL
        .iter()
        .map(|k| choice(k.code(), event_kind_label(*k)))
        .collect();
    let form = Form::new(
        "mentoring_event:new".into(),
        "Training or support session".into(),
        "A training or support session, group programme session or workshop".into(),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!("today")),
            Field::choice("kind", "Kind", kinds).required(),
            Field::text("title", "What it was", 200).required(),
            Field::text("facilitator", "Facilitator", 200),
            Field::multi("attendees", "Mentors attending", attendees),
            Field::text("young_people", "Young people", SHORT_MAX)
                .hint("references, comma or space separated (group programme, workshop)"),
        ],
        env.today,
    );
    FormScreen::push(form, Box::new(EventPurpose), env)
}

pub struct EventPurpose;

/// The young people a typed list of references names (comma or space separated), each
/// looked up; the first unknown one is refused at the field, by the reference typed. Only a
/// group programme or workshop has young people attending (L §7.2).
fn young_people_attending(form: &Form, env: &Env) -> Result<Vec<String>, String> {
    let typed = form.text("young_people").unwrap_or_default();
    let refs: Vec<&str> = typed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|r| !r.is_empty())
        .collect();
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let kind = form
        .choice("kind")
        .as_deref()
        .and_then(EventKind::from_code);
    if !matches!(kind, Some(EventKind::GroupProgramme | EventKind::Workshop)) {
        return Err("young people attend only a group programme session or a workshop".into());
    }
    let mut ids: Vec<String> = Vec::new();
    for r in refs {
        match young_person_by_typed_reference(env, Some(r)) {
            Ok(Some(yp)) if !ids.contains(&yp.id) => ids.push(yp.id),
            Ok(_) => {}
            Err(why) => return Err(format!("“{r}”: {why}")),
        }
    }
    Ok(ids)
}

impl FormPurpose for EventPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        let fields_ok = form.check_fields();
        let young_people = match young_people_attending(form, env) {
            Ok(ids) => ids,
            Err(why) => {
                form.set_error("young_people", format!("Young people: {why}"));
                Vec::new()
            }
        };
        if !fields_ok
            || form
                .field("young_people")
                .is_some_and(|f| f.error.is_some())
        {
            return Saved::Refused(problems_status(form));
        }
        let event = MentoringEvent {
            id: String::new(),
            kind: form.choice("kind").unwrap_or_default(),
            date: form.date("date").unwrap_or(env.today),
            title: form.text("title").unwrap_or_default(),
            facilitator: form.text("facilitator"),
        };
        let attendees = form.choices("attendees");
        let worker = env.worker_id().to_string();
        let today = env.today;
        let result = env.store.write(&worker, env.now, |tx| {
            mentoring::add_event(tx, &event, &attendees, &young_people, today)
        });
        match result {
            Ok(_) => {
                let kind = EventKind::from_code(&event.kind).map_or("Session", event_kind_label);
                let people = match young_people.len() {
                    0 => String::new(),
                    1 => " and 1 young person".to_string(),
                    n => format!(" and {n} young people"),
                };
                let message = format!(
                    "{kind} of {} recorded, {} mentor{}{people} attending",
                    ddmmyyyy(event.date),
                    attendees.len(),
                    if attendees.len() == 1 { "" } else { "s" }
                );
                done(env, form, message, None)
            }
            Err(e) => refused(form, &e),
        }
    }
}

// ---- a recruitment drive --------------------------------------------------------------------

pub fn open_drive(env: &Env) -> Step {
    let form = Form::new(
        "recruitment_drive:new".into(),
        "Recruitment drive".into(),
        "A volunteer recruitment drive (where or how mentors were sought)".into(),
        vec![
            Field::date("start_date", "Started")
                .required()
                .with_value(json!("today")),
            Field::date("end_date", "Ended"),
            Field::text("title", "Where or how", 200).required(),
        ],
        env.today,
    );
    FormScreen::push(form, Box::new(DrivePurpose), env)
}

pub struct DrivePurpose;

impl FormPurpose for DrivePurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let drive = RecruitmentDrive {
            id: String::new(),
            start_date: form.date("start_date").unwrap_or(env.today),
            end_date: form.date("end_date"),
            title: form.text("title").unwrap_or_default(),
        };
        let worker = env.worker_id().to_string();
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            mentoring::add_drive(tx, &drive, today)
        }) {
            Ok(_) => {
                let message = format!("Recruitment drive “{}” recorded", drive.title.trim());
                done(env, form, message, None)
            }
            Err(e) => refused(form, &e),
        }
    }
}

// ---- complaints -----------------------------------------------------------------------------

pub fn open_complaint(env: &Env) -> Step {
    let form = Form::new(
        "complaint:new".into(),
        "Complaint".into(),
        "A complaint received (L §11.1 c)".into(),
        vec![
            Field::date("received_on", "Received")
                .required()
                .with_value(json!("today")),
            Field::text("young_person", "Young person", 40)
                .hint("their reference, when it is about one"),
            Field::long_text("about", "About", LONG_MAX).required(),
            Field::choice(
                "outcome",
                "Outcome",
                codes::choices(env.codes, "complaint_outcomes"),
            )
            .hint("once decided"),
            Field::date("outcome_on", "Outcome decided on"),
        ],
        env.today,
    );
    FormScreen::push(form, Box::new(ComplaintPurpose), env)
}

pub struct ComplaintPurpose;

/// Checks the fields, then the typed reference; the young person's ID when one was named.
fn checked_reference(form: &mut Form, env: &Env) -> Result<Option<String>, Saved> {
    let fields_ok = form.check_fields();
    let yp = match young_person_by_typed_reference(env, form.text("young_person").as_deref()) {
        Ok(yp) => yp.map(|p| p.id),
        Err(why) => {
            let label = form
                .field("young_person")
                .map_or("Young person", |f| f.label);
            form.set_error("young_person", format!("{label}: {why}"));
            None
        }
    };
    if !fields_ok
        || form
            .field("young_person")
            .is_some_and(|f| f.error.is_some())
    {
        return Err(Saved::Refused(problems_status(form)));
    }
    Ok(yp)
}

impl FormPurpose for ComplaintPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        let young_person_id = match checked_reference(form, env) {
            Ok(yp) => yp,
            Err(s) => return s,
        };
        let c = Complaint {
            id: String::new(),
            received_on: form.date("received_on").unwrap_or(env.today),
            young_person_id,
            about: form.text("about").unwrap_or_default(),
            outcome: form.choice("outcome"),
            outcome_on: form.date("outcome_on"),
        };
        let worker = env.worker_id().to_string();
        let codes = Rc::clone(env.codes);
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            mentoring::add_complaint(tx, &codes, &c, today)
        }) {
            Ok(_) => {
                let message = format!("Complaint received {} recorded", ddmmyyyy(c.received_on));
                done(env, form, message, None)
            }
            Err(e) => refused(form, &e),
        }
    }
}

// ---- telephone messages ---------------------------------------------------------------------

pub fn open_message(env: &Env) -> Step {
    let form = Form::new(
        "telephone_message:new".into(),
        "Telephone message".into(),
        "A telephone message left for the project (answer within 2 working days, L §6.2)".into(),
        vec![
            Field::date("received_on", "Received")
                .required()
                .with_value(json!("today")),
            Field::text("from_whom", "From", 200).required(),
            Field::text("young_person", "About (reference)", 40)
                .hint("the young person's reference, when known"),
            Field::text("about", "About", SHORT_MAX).hint("what it was about"),
            Field::date("answered_on", "Answered on").hint("if answered already"),
        ],
        env.today,
    );
    FormScreen::push(form, Box::new(MessagePurpose), env)
}

pub struct MessagePurpose;

impl FormPurpose for MessagePurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        let young_person_id = match checked_reference(form, env) {
            Ok(yp) => yp,
            Err(s) => return s,
        };
        let m = TelephoneMessage {
            id: String::new(),
            received_on: form.date("received_on").unwrap_or(env.today),
            from_whom: form.text("from_whom").unwrap_or_default(),
            young_person_id,
            about: form.text("about"),
            answered_on: form.date("answered_on"),
        };
        let worker = env.worker_id().to_string();
        let today = env.today;
        match env
            .store
            .write(&worker, env.now, |tx| mentoring::add_message(tx, &m, today))
        {
            Ok(_) => {
                let message = format!(
                    "Telephone message from {} recorded{}",
                    m.from_whom.trim(),
                    if m.answered_on.is_some() {
                        ", answered"
                    } else {
                        ": answer it within 2 working days"
                    }
                );
                done(env, form, message, None)
            }
            Err(e) => refused(form, &e),
        }
    }
}

/// Opens the form that records a waiting message as answered, with `chosen` (a message's ID)
/// chosen when it is still waiting, or the only one waiting.
pub fn open_answer(chosen: Option<&str>, env: &Env) -> Step {
    let waiting = match mentoring::unanswered_messages(env.store) {
        Ok(w) => w,
        Err(e) => return Step::status(StatusKind::Error, format!("Cannot read the messages: {e}")),
    };
    if waiting.is_empty() {
        return Step::status(
            StatusKind::Info,
            "No telephone message is waiting for an answer",
        );
    }
    let only = chosen
        .filter(|c| waiting.iter().any(|m| m.id == *c))
        .map(str::to_string)
        .or_else(|| (waiting.len() == 1).then(|| waiting[0].id.clone()));
    let options = waiting
        .iter()
        .map(|m| {
            let about = m
                .about
                .as_deref()
                .map(|a| format!(" — {a}"))
                .unwrap_or_default();
            choice(
                &m.id,
                &format!(
                    "{} from {}{about}",
                    ddmmyyyy(m.received_on),
                    m.from_whom.trim()
                ),
            )
        })
        .collect();
    let mut message = Field::choice("message", "Message", options).required();
    if let Some(id) = only {
        message = message.with_value(json!(id));
    }
    let form = Form::new(
        "telephone_answer".into(),
        "Answer a message".into(),
        "Record that a telephone message was answered".into(),
        vec![
            message,
            Field::date("answered_on", "Answered on")
                .required()
                .with_value(json!("today")),
        ],
        env.today,
    );
    FormScreen::push(form, Box::new(AnswerPurpose), env)
}

pub struct AnswerPurpose;

impl FormPurpose for AnswerPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let id = form.choice("message").unwrap_or_default();
        let on = form.date("answered_on").unwrap_or(env.today);
        let worker = env.worker_id().to_string();
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            mentoring::answer_message(tx, &id, on, today)
        }) {
            Ok(()) => {
                let message = format!("Telephone message answered on {}", ddmmyyyy(on));
                done(env, form, message, None)
            }
            Err(e) => refused(form, &e),
        }
    }

    fn small(&self) -> bool {
        true
    }
}
