//! The duty worker's intake screens (S §8.3–8.4, §14): the search before a new referral, the
//! referral, triage, allocation with joint working, the outreach tally and the exit. Each form
//! is the shared [`Form`] component; this module opens them, reads their values into the
//! domain's forms, puts the domain's problems at the fields, and saves through the store in one
//! transaction. Each form is a [`FormScreen`](super::form_screen::FormScreen) with an [`IntakeForm`] purpose.

pub mod allocation;
pub mod exit;
pub mod outreach;
pub mod referral;
pub mod search;
pub mod triage;

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;

use super::case_view::{CaseModel, Section};
use super::form::{Form, FormEvent};
use super::keymap::Action;
use crate::domain::codes::CodeLists;
use crate::domain::intake::EpisodeContext;
use crate::domain::record::Episode;
use crate::domain::validate::{Invalid, Problems};
use crate::store::{intake as store_intake, Store};

pub use search::{ReferralSearch, SearchOutcome};

/// What an open intake form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A referral: a new episode for the young person chosen in the search, or a new young
    /// person when `None`.
    Referral {
        existing: Option<String>,
    },
    Triage {
        young_person_id: String,
        episode_id: String,
    },
    Allocation {
        young_person_id: String,
        episode_id: String,
    },
    Outreach,
    Exit {
        young_person_id: String,
        episode_id: String,
    },
}

pub use super::msg::IntakeOpen as Open;

/// What [`open`] made.
pub enum Opened {
    Search(ReferralSearch),
    Form(Form, Purpose),
}

/// A save that went through.
#[derive(Debug)]
pub struct Done {
    /// The young person written for (none for an outreach tally).
    pub young_person_id: Option<String>,
    pub message: String,
    /// The message carries a note the worker must see (an age outside the service's range).
    pub warning: bool,
    /// The form to carry on with (the outreach tally resets for the next one).
    pub next_form: Option<Form>,
    /// Open the young person's case (after a referral).
    pub open_case: bool,
    /// The case view section that shows what was written.
    pub section: Section,
}

/// What [`save`] did.
#[derive(Debug)]
pub enum Outcome {
    /// Refused: the problems are at the fields; the message is for the status bar.
    Invalid(String),
    /// The write failed; nothing was written.
    Failed(String),
    Done(Done),
}

/// Opens an intake screen. `case` is the case open in the case view, if any. A refusal is a
/// message for the status bar.
pub fn open(
    what: Open,
    store: &Store,
    case: Option<&CaseModel>,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<Opened, String> {
    match what {
        Open::ReferralSearch => Ok(Opened::Search(ReferralSearch::new())),
        Open::Referral { existing, typed } => {
            let person = match &existing {
                Some(id) => Some(
                    crate::store::people::young_person(store, id)
                        .map_err(|e| format!("Cannot read the young person: {e}"))?
                        .ok_or("That young person is no longer on file")?,
                ),
                None => None,
            };
            let form = referral::new_form(person.as_ref(), &typed, today, codes);
            Ok(Opened::Form(form, Purpose::Referral { existing }))
        }
        Open::Outreach => Ok(Opened::Form(
            outreach::new_form(today, codes, None),
            Purpose::Outreach,
        )),
        Open::Triage => {
            let (model, e) = open_episode(case, "triage")?;
            if let Some(t) = e.triage_date {
                return Err(format!(
                    "This episode was triaged on {}: one triage per episode",
                    t.format("%d/%m/%Y")
                ));
            }
            let form = triage::new_form(model, e, today, codes);
            Ok(Opened::Form(
                form,
                Purpose::Triage {
                    young_person_id: model.person.id.clone(),
                    episode_id: e.id.clone(),
                },
            ))
        }
        Open::Allocation => {
            let (model, e) = open_episode(case, "allocate a key worker")?;
            let workers = crate::store::people::workers(store)
                .map_err(|e| format!("Cannot read the workers: {e}"))?;
            let form = allocation::new_form(model, e, &workers, today, codes);
            Ok(Opened::Form(
                form,
                Purpose::Allocation {
                    young_person_id: model.person.id.clone(),
                    episode_id: e.id.clone(),
                },
            ))
        }
        Open::Exit => {
            let (model, e) = open_episode(case, "record an exit")?;
            let form = exit::new_form(model, e, today, codes);
            Ok(Opened::Form(
                form,
                Purpose::Exit {
                    young_person_id: model.person.id.clone(),
                    episode_id: e.id.clone(),
                },
            ))
        }
    }
}

/// The open case and its current episode, which must be open.
fn open_episode<'a>(
    case: Option<&'a CaseModel>,
    what: &str,
) -> Result<(&'a CaseModel, &'a Episode), String> {
    let model = case.ok_or_else(|| format!("Open a young person's case first to {what}"))?;
    match model.current_episode() {
        Some(e) if e.is_open() => Ok((model, e)),
        Some(e) => Err(format!(
            "{}'s last episode ended on {}: take a new referral (n) first",
            model.person.display_name(),
            e.exit_date
                .map_or_else(String::new, |d| d.format("%d/%m/%Y").to_string())
        )),
        None => Err(format!(
            "{} has no episode: take a new referral (n) first",
            model.person.display_name()
        )),
    }
}

/// A key in an intake form. The outreach tally saves on Enter once every required field is
/// filled (it is counted in seconds, between conversations); other forms behave as any form.
pub fn handle_key(
    purpose: &Purpose,
    form: &mut Form,
    k: &KeyEvent,
    action: Option<Action>,
) -> FormEvent {
    if *purpose == Purpose::Outreach && action == Some(Action::Open) {
        return outreach::enter(form, k, action);
    }
    form.handle_key(k, action)
}

/// A note to keep in view while the form is open, though nothing is wrong: a referral's age
/// outside the service's 11–24 (accepted: nobody is refused, S §11.2).
pub fn live_note(purpose: &Purpose, form: &Form) -> Option<String> {
    match purpose {
        Purpose::Referral { .. } => referral::age_note(form),
        _ => None,
    }
}

/// Checks the open form and saves it in one transaction. On a refusal the problems are at the
/// fields and nothing is written.
pub fn save(
    store: &mut Store,
    form: &mut Form,
    purpose: &Purpose,
    worker: &str,
    now: DateTime<Utc>,
    codes: &CodeLists,
) -> Outcome {
    match purpose {
        Purpose::Referral { existing } => {
            referral::save(store, form, existing.as_deref(), worker, now, codes)
        }
        Purpose::Triage {
            young_person_id,
            episode_id,
        } => triage::save(store, form, young_person_id, episode_id, worker, now, codes),
        Purpose::Allocation {
            young_person_id,
            episode_id,
        } => allocation::save(store, form, young_person_id, episode_id, worker, now, codes),
        Purpose::Outreach => outreach::save(store, form, worker, now, codes),
        Purpose::Exit {
            young_person_id,
            episode_id,
        } => exit::save(store, form, young_person_id, episode_id, worker, now, codes),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by the forms.

/// The episode as the domain's rules see it, read afresh.
fn context(store: &Store, episode_id: &str) -> Result<EpisodeContext, String> {
    match store_intake::episode_context(store, episode_id) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err("That episode is no longer on file; press Ctrl-R to reload".into()),
        Err(e) => Err(format!("Cannot read the episode: {e}")),
    }
}

/// Puts the domain's problems at the form's fields (`field_of` maps a domain field name to the
/// form's key), keeping a field's own message where it already has one. Returns the messages
/// that belong to no field (about the episode as a whole).
fn place_problems(
    form: &mut Form,
    problems: &Problems,
    field_of: impl Fn(&str) -> Option<&'static str>,
) -> Vec<String> {
    let mut loose = Vec::new();
    for p in &problems.0 {
        let target =
            field_of(&p.field).and_then(|k| form.field(k).map(|f| (k, f.label, f.error.is_some())));
        match target {
            Some((key, label, has_error)) => {
                if !has_error {
                    form.set_error(key, format!("{}: {}", label.trim(), p.message));
                }
            }
            None => loose.push(p.message.clone()),
        }
    }
    loose
}

/// The status-bar message for a form that was not saved, with the focus moved to the first
/// field with a problem.
fn not_saved(form: &mut Form, loose: &[String]) -> Outcome {
    let labels: Vec<&str> = form.problem_labels().iter().map(|l| l.trim()).collect();
    form.focus_first_problem();
    let mut parts = Vec::new();
    if !labels.is_empty() {
        parts.push(format!(
            "{} need{} attention — {}",
            if labels.len() == 1 {
                "1 field".to_string()
            } else {
                format!("{} fields", labels.len())
            },
            if labels.len() == 1 { "s" } else { "" },
            labels.join(", ")
        ));
    }
    parts.extend(loose.iter().cloned());
    Outcome::Invalid(format!("Not saved: {}", parts.join("; ")))
}

/// A refused or failed write: a refusal's problems go to the fields.
fn write_failed(
    form: &mut Form,
    e: anyhow::Error,
    field_of: impl Fn(&str) -> Option<&'static str>,
) -> Outcome {
    match e.downcast_ref::<Invalid>() {
        Some(inv) => {
            let loose = place_problems(form, &Problems(inv.0.clone()), field_of);
            not_saved(form, &loose)
        }
        None => Outcome::Failed(format!("Not saved (your draft is kept): {e}")),
    }
}

/// A form's key that is also the domain's field name.
fn same_name(form_keys: &'static [&'static str]) -> impl Fn(&str) -> Option<&'static str> {
    move |f: &str| form_keys.iter().copied().find(|k| *k == f)
}

/// A date as the screens show it.
fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Opens an intake screen as a component: the referral search, or a form (with its draft
/// offered, as every form does).
pub fn open_screen(
    what: Open,
    env: &super::component::Env,
    case: Option<&CaseModel>,
) -> Result<Box<dyn super::component::Component>, String> {
    Ok(match open(what, env.store, case, env.codes, env.today)? {
        Opened::Search(s) => Box::new(s),
        Opened::Form(form, purpose) => Box::new(super::form_screen::FormScreen::open(
            form,
            Box::new(IntakeForm(purpose)),
            env,
        )),
    })
}

/// An intake form's purpose.
pub struct IntakeForm(pub Purpose);

impl super::form_screen::FormPurpose for IntakeForm {
    fn key(
        &mut self,
        form: &mut Form,
        k: &KeyEvent,
        action: Option<Action>,
        env: &mut super::component::Env,
    ) -> FormEvent {
        let ev = handle_key(&self.0, form, k, action);
        if let Some(text) = live_note(&self.0, form) {
            env.warn(text);
        }
        ev
    }

    /// After a referral the new episode's case opens; the outreach tally resets for the next.
    fn save(
        &mut self,
        form: &mut Form,
        env: &mut super::component::Env,
    ) -> super::form_screen::Saved {
        use super::form_screen::Saved;
        use super::msg::{Msg, Route, StatusKind, Written};
        let worker = env.worker_id().to_string();
        let codes = env.codes.clone();
        match save(env.store, form, &self.0, &worker, env.now, &codes) {
            Outcome::Invalid(text) | Outcome::Failed(text) => Saved::Refused(text),
            Outcome::Done(done) => {
                let written = Written {
                    young_person_id: done.young_person_id.clone(),
                    message: done.message,
                    kind: Some(if done.warning {
                        StatusKind::Warning
                    } else {
                        StatusKind::Info
                    }),
                    select: None,
                    section: done.young_person_id.as_ref().map(|_| done.section),
                };
                let msg = match (&done.young_person_id, done.open_case) {
                    (Some(id), true) => Msg::Many(vec![
                        Msg::Open(Route::Case(id.clone())),
                        Msg::Written(written),
                    ]),
                    _ => Msg::Written(written),
                };
                Saved::Done {
                    msg,
                    next_form: done.next_form.map(Box::new),
                }
            }
        }
    }

    fn young_person(&self) -> Option<&str> {
        match &self.0 {
            Purpose::Triage {
                young_person_id, ..
            }
            | Purpose::Allocation {
                young_person_id, ..
            }
            | Purpose::Exit {
                young_person_id, ..
            } => Some(young_person_id),
            Purpose::Referral { .. } | Purpose::Outreach => None,
        }
    }
}
