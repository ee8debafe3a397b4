//! After-exit work from the keyboard (S §20.5, issue 17): the follow-up form, which shows the
//! earlier attempts above its fields, and the small form that closes an after-exit clock (exit
//! TOP, 3- or 6-month follow-up) with a reason. Both save through `crate::follow_ups`, the same
//! code as `casebook follow-up record|close`, so the rules and refusals are the CLI's.

use chrono::NaiveDate;
use serde_json::json;

use super::care::{problems_status, show_refusal};
use super::codes::{self, Choice};
use super::component::{Env, Step};
use super::form::{Field, Form};
use super::form_screen::{FormPurpose, FormScreen, Saved};
use super::msg::{Msg, Section, StatusKind, Written};
use crate::domain::clocks::DueKind;
use crate::domain::codes::CodeLists;
use crate::domain::follow_up::{FollowUpForm, OutcomeEffect, NOTE_MAX};
use crate::domain::record::Episode;
use crate::due::explain_young_person;
use crate::follow_ups::{self, follow_up_episode};
use crate::store::follow_ups::{after_exit_history, AfterExitHistory};

/// How many earlier attempts the form lists (newest first); the rest are counted.
const ATTEMPTS_SHOWN: usize = 4;

/// The draft key of the follow-up form for an episode.
pub fn form_key(episode_id: &str) -> String {
    format!("follow_up:{episode_id}")
}

/// The draft key of the closing form for an episode.
pub fn close_key(episode_id: &str) -> String {
    format!("close_clock:{episode_id}")
}

fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The follow-up form for `person_name` on `episode`, dated today.
pub fn new_form(person_name: &str, episode: &Episode, today: NaiveDate, lists: &CodeLists) -> Form {
    let exit = episode.exit_date.map(ddmmyyyy).unwrap_or_default();
    Form::new(
        form_key(&episode.id),
        "Follow-up".into(),
        format!("Follow-up with {person_name} after the exit on {exit}"),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!("today")),
            Field::choice(
                "method",
                "Method",
                codes::choices(lists, "follow_up_methods"),
            )
            .required(),
            Field::choice(
                "outcome",
                "Outcome",
                codes::choices(lists, "follow_up_outcomes"),
            )
            .required(),
            Field::text("note", "Note", NOTE_MAX),
            Field::choice(
                "substance_use",
                "Substance use",
                codes::choices(lists, "follow_up_substance_use"),
            )
            .hint("when reached"),
            Field::yes_no("re_referral", "Re-referral").hint("when reached"),
            Field::text("reason", "Reason", NOTE_MAX).hint("needed for not appropriate"),
        ],
        today,
    )
}

/// The lines above the follow-up form's fields: the episode's earlier attempts and closed
/// clocks, newest first.
pub fn attempts_lines(
    history: &AfterExitHistory,
    episode: &Episode,
    lists: &CodeLists,
) -> Vec<String> {
    let follow_ups: Vec<_> = history
        .follow_ups
        .iter()
        .filter(|f| f.episode_id == episode.id)
        .collect();
    let closures: Vec<_> = history
        .closures
        .iter()
        .filter(|c| c.episode_id == episode.id)
        .collect();
    let exit = episode.exit_date.map(ddmmyyyy).unwrap_or_default();
    if follow_ups.is_empty() && closures.is_empty() {
        return vec![format!("No follow-up recorded since the exit on {exit}.")];
    }
    let mut out = vec![format!(
        "Earlier attempts since the exit on {exit} ({}):",
        follow_ups.len()
    )];
    for f in follow_ups.iter().take(ATTEMPTS_SHOWN) {
        let method = f
            .method
            .as_deref()
            .map(|m| codes::label(lists, "follow_up_methods", m))
            .unwrap_or_else(|| "—".into());
        let outcome = codes::label(
            lists,
            "follow_up_outcomes",
            f.outcome.as_deref().unwrap_or("reached"),
        );
        let mut line = format!("{}  {method}: {outcome}", ddmmyyyy(f.date));
        if let Some(n) = f.note.as_deref().or(f.reason.as_deref()) {
            line.push_str(&format!(" — {n}"));
        }
        out.push(line);
    }
    if follow_ups.len() > ATTEMPTS_SHOWN {
        out.push(format!(
            "… and {} earlier",
            follow_ups.len() - ATTEMPTS_SHOWN
        ));
    }
    for c in closures.iter().take(2) {
        let kind = DueKind::from_code(&c.clock).map_or(c.clock.as_str(), |k| k.label());
        out.push(format!(
            "{}  closed {kind}: {}",
            ddmmyyyy(c.closed_on),
            c.reason
        ));
    }
    out
}

/// The episode the case's follow-ups belong to (the latest exited one), or the warning to show.
fn episode_for(model: &super::case_view::CaseModel, env: &Env) -> Result<Episode, Step> {
    match follow_up_episode(env.store, &model.person.id) {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(Step::status(
            StatusKind::Warning,
            "No follow-up yet: follow-ups come after an episode's exit, and this young person \
             has not exited",
        )),
        Err(e) => Err(Step::status(
            StatusKind::Error,
            format!("Cannot read the episodes: {e}"),
        )),
    }
}

/// Opens the follow-up form for the case in view, over its latest exited episode.
pub fn open(model: &super::case_view::CaseModel, env: &Env) -> Step {
    let episode = match episode_for(model, env) {
        Ok(e) => e,
        Err(step) => return step,
    };
    let history = match after_exit_history(env.store, &model.person.id) {
        Ok(h) => h,
        Err(e) => {
            return Step::status(
                StatusKind::Error,
                format!("Cannot read the earlier follow-ups: {e}"),
            )
        }
    };
    let preface = attempts_lines(&history, &episode, env.codes);
    let form = new_form(&model.person.display_name(), &episode, env.today, env.codes);
    FormScreen::push(
        form,
        Box::new(FollowUpPurpose {
            young_person_id: model.person.id.clone(),
            episode_id: episode.id,
            preface,
        }),
        env,
    )
}

/// The follow-up form's purpose: a follow-up on one exited episode.
pub struct FollowUpPurpose {
    pub young_person_id: String,
    pub episode_id: String,
    preface: Vec<String>,
}

/// The form's values as the CLI takes them (the shared rules check them).
fn typed(form: &Form) -> FollowUpForm {
    FollowUpForm {
        date: form
            .date("date")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        method: form.choice("method").unwrap_or_default(),
        outcome: form.choice("outcome").unwrap_or_default(),
        note: form.text("note").unwrap_or_default(),
        substance_use: form.choice("substance_use").unwrap_or_default(),
        re_referral: match form.yes_no("re_referral") {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        reason: form.text("reason").unwrap_or_default(),
    }
}

impl FormPurpose for FollowUpPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let worker = env.worker_id().to_string();
        let typed = typed(form);
        let codes = std::rc::Rc::clone(env.codes);
        let result = follow_ups::record(
            env.store,
            &worker,
            env.now,
            env.calendar,
            &codes,
            env.today,
            &self.episode_id,
            &typed,
        );
        match result {
            Ok(r) => {
                // The write is done; a draft left behind would only be offered again.
                let _ = crate::store::drafts::discard(env.store, &worker, &form.key);
                let date = typed.date;
                let what = match (r.effect, r.closed) {
                    (OutcomeEffect::Meets, _) => "done".to_string(),
                    (OutcomeEffect::Attempt, _) => {
                        "an attempt; the follow-up stays due".to_string()
                    }
                    (OutcomeEffect::Closes, Some(k)) => format!("the {} is closed", k.label()),
                    (OutcomeEffect::Closes, None) => "no follow-up was open to close".into(),
                };
                Saved::Done {
                    msg: Msg::Written(Written {
                        section: Some(Section::Timeline),
                        ..Written::of(
                            &self.young_person_id,
                            format!("Follow-up of {date} saved: {what}"),
                        )
                    }),
                    next_form: None,
                }
            }
            Err(e) => Saved::Refused(show_refusal(form, &e, |_, f| Some(f.to_string()))),
        }
    }

    fn young_person(&self) -> Option<&str> {
        Some(&self.young_person_id)
    }

    fn preface(&self) -> &[String] {
        &self.preface
    }
}

/// The after-exit clocks of `episode_id` still running (due or overdue), as choices.
fn open_clocks(env: &Env, young_person_id: &str, episode_id: &str) -> anyhow::Result<Vec<Choice>> {
    let Some(x) = explain_young_person(
        env.store,
        env.calendar,
        env.codes,
        env.today,
        young_person_id,
    )?
    else {
        return Ok(Vec::new());
    };
    Ok(x.episodes
        .iter()
        .filter(|e| e.episode_id == episode_id)
        .flat_map(|e| e.clocks.iter())
        .filter(|c| c.state == "due" || c.state == "overdue")
        .filter_map(|c| {
            let k = DueKind::from_code(c.kind)?;
            k.starts_at_exit().then(|| Choice {
                code: k.code().to_string(),
                label: format!("{} (due {})", k.label(), ddmmyyyy(c.due)),
            })
        })
        .collect())
}

/// Opens the small form that closes an after-exit clock of the case's latest exited episode.
pub fn open_close(model: &super::case_view::CaseModel, env: &Env) -> Step {
    let episode = match episode_for(model, env) {
        Ok(e) => e,
        Err(step) => return step,
    };
    let clocks = match open_clocks(env, &model.person.id, &episode.id) {
        Ok(c) => c,
        Err(e) => {
            return Step::status(
                StatusKind::Error,
                format!("Cannot work out the clocks: {e}"),
            )
        }
    };
    if clocks.is_empty() {
        return Step::status(
            StatusKind::Info,
            "No after-exit clock is open on this episode: each is met or closed",
        );
    }
    // One open clock is chosen already; with two the worker picks.
    let only = (clocks.len() == 1).then(|| clocks[0].code.clone());
    let mut clock = Field::choice("clock", "Clock", clocks).required();
    if let Some(code) = only {
        clock = clock.with_value(json!(code));
    }
    let form = Form::new(
        close_key(&episode.id),
        "Close a clock".into(),
        format!(
            "Close an after-exit clock of {} (exit {})",
            model.person.display_name(),
            episode.exit_date.map(ddmmyyyy).unwrap_or_default()
        ),
        vec![
            clock,
            Field::text("reason", "Reason", NOTE_MAX)
                .required()
                .hint("why it will not be done"),
        ],
        env.today,
    );
    FormScreen::push(
        form,
        Box::new(ClosePurpose {
            young_person_id: model.person.id.clone(),
            episode_id: episode.id,
        }),
        env,
    )
}

/// The closing form's purpose: closes one after-exit clock today with the worker's reason.
pub struct ClosePurpose {
    pub young_person_id: String,
    pub episode_id: String,
}

impl FormPurpose for ClosePurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let worker = env.worker_id().to_string();
        let clock = form.choice("clock").unwrap_or_default();
        let reason = form.text("reason").unwrap_or_default();
        let codes = std::rc::Rc::clone(env.codes);
        let result = follow_ups::close(
            env.store,
            &worker,
            env.now,
            env.calendar,
            &codes,
            env.today,
            &self.episode_id,
            &clock,
            &reason,
        );
        match result {
            Ok(_) => {
                let _ = crate::store::drafts::discard(env.store, &worker, &form.key);
                let label = DueKind::from_code(&clock).map_or(clock.as_str(), |k| k.label());
                Saved::Done {
                    msg: Msg::Written(Written {
                        section: Some(Section::Timeline),
                        ..Written::of(&self.young_person_id, format!("Closed: {label}"))
                    }),
                    next_form: None,
                }
            }
            Err(e) => {
                // The shared code names the clock in its refusals ("clock: … was already met").
                let text = e.to_string();
                if e.downcast_ref::<crate::domain::validate::Invalid>()
                    .is_none()
                {
                    if let Some(m) = text.strip_prefix("clock: ") {
                        form.set_error("clock", format!("Clock: {m}"));
                        return Saved::Refused(format!("Not saved: {m}"));
                    }
                }
                Saved::Refused(show_refusal(form, &e, |_, f| Some(f.to_string())))
            }
        }
    }

    fn young_person(&self) -> Option<&str> {
        Some(&self.young_person_id)
    }

    fn small(&self) -> bool {
        true
    }
}
