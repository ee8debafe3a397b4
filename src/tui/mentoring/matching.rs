//! Matching a young person with a mentor (L §7.1 b), ending a match, and the mentor's sessions
//! with the young person (L §7.3 a, b) typed from the case view.
//!
//! The match form asks for the young person's reference first; as soon as it names someone,
//! the mentors `store::mentoring::suggestions` offers for their episode are listed above the
//! fields with every reason, best fit first, ranked by the young person's preferences as the
//! form holds them (filled in from the record, kept with the match when changed). The coordinator decides: any mentor may be
//! chosen, and the store refuses one without checks and training at the mentor field.

use ratatui::crossterm::event::KeyEvent;
use serde_json::json;

use super::{ddmmyyyy, young_person_by_typed_reference};
use crate::domain::mentoring::{
    Attendance, Match, Mentor, MentorSession, MentorStatus, Preferences, Suggestion,
};
use crate::domain::record::{Episode, YoungPerson};
use crate::store::mentoring::{self, BoardRow};
use crate::store::{drafts, records};
use crate::tui::care::{problems_status, show_refusal};
use crate::tui::case_view::CaseModel;
use crate::tui::codes::{self, Choice};
use crate::tui::component::{Env, Step};
use crate::tui::form::{Field, Form, FormEvent};
use crate::tui::form_screen::{FormPurpose, FormScreen, Saved};
use crate::tui::keymap::Action;
use crate::tui::msg::{Msg, Section, StatusKind, Written};

/// How many suggestions the match form lists above its fields.
const SUGGESTIONS_SHOWN: usize = 6;

fn choice(code: &str, label: String) -> Choice {
    Choice {
        code: code.to_string(),
        label,
    }
}

/// The episode a match is for: the open one, else the latest (as `casebook mentors match`).
fn episode_to_match(env: &Env, yp: &YoungPerson) -> anyhow::Result<Option<Episode>> {
    let episodes = records::episodes_of(env.store, &yp.id)?;
    Ok(episodes
        .iter()
        .filter(|e| e.is_open())
        .max_by_key(|e| e.referral_date)
        .or_else(|| episodes.iter().max_by_key(|e| e.referral_date))
        .cloned())
}

// ---- a match --------------------------------------------------------------------------------

/// Opens the match form, with `selected` (the board's mentor) chosen to start with.
pub fn open_match(selected: Option<&Mentor>, env: &Env) -> Step {
    let mentors = match mentoring::mentors(env.store) {
        Ok(m) => m,
        Err(e) => return Step::status(StatusKind::Error, format!("Cannot read the mentors: {e}")),
    };
    // Every mentor who has not left is offered, ready or not: the store says why one cannot
    // be matched, at the field, rather than the mentor silently missing from the list.
    let options: Vec<Choice> = mentors
        .iter()
        .filter(|m| m.status() != MentorStatus::Left)
        .map(|m| {
            let reasons = m.not_ready_reasons();
            let label = if reasons.is_empty() {
                m.display_name()
            } else {
                format!("{} (not ready: {})", m.display_name(), reasons.join(", "))
            };
            choice(&m.id, label)
        })
        .collect();
    let mut mentor = Field::choice("mentor", "Mentor", options).required();
    if let Some(m) = selected.filter(|m| m.status() != MentorStatus::Left) {
        mentor = mentor.with_value(json!(m.id));
    }
    let form = Form::new(
        "mentor_match:new".into(),
        "Match a mentor".into(),
        "Match a young person with a mentor — you decide; the suggestions say why".into(),
        vec![
            Field::text("reference", "Young person", 40)
                .required()
                .hint("their reference, e.g. YP-…"),
            // What the young person would like (L §7.1 b): the suggestions follow as typed.
            Field::text("mentor_gender", "Mentor wanted", 60)
                .hint("female, male… as they said; blank: no preference"),
            Field::yes_no("same_background", "Same background")
                .hint("y / n: someone from their cultural background"),
            Field::text("language", "Language", 60).hint("one the mentor should speak"),
            mentor,
            Field::date("start_date", "Match starts")
                .required()
                .with_value(json!("today")),
        ],
        env.today,
    );
    FormScreen::push(
        form,
        Box::new(MatchPurpose {
            typed: String::new(),
            problem: None,
            episode_id: None,
            young_person_id: None,
            who: String::new(),
            recorded: None,
            ranked_by: None,
            preface: vec![WAITING.to_string()],
        }),
        env,
    )
}

const WAITING: &str = "Type the young person's reference: the suggested mentors show here.";

pub struct MatchPurpose {
    /// The reference last looked up.
    typed: String,
    /// Why that reference matches no episode, when it does not.
    problem: Option<String>,
    episode_id: Option<String>,
    young_person_id: Option<String>,
    /// "Zoë Hart (YP-…)", for the suggestions' heading.
    who: String,
    /// The episode's preferences on record, if any.
    recorded: Option<Preferences>,
    /// The preferences the suggestions were last ranked by.
    ranked_by: Option<Preferences>,
    preface: Vec<String>,
}

/// The preferences as typed on the form.
fn typed_preferences(form: &Form) -> Preferences {
    Preferences {
        mentor_gender: form.text("mentor_gender"),
        same_background: form.yes_no("same_background") == Some(true),
        language: form.text("language"),
    }
}

impl MatchPurpose {
    /// Looks the reference up again when it changed (filling in the preferences on record),
    /// and ranks the mentors again when the reference or the preferences changed.
    fn refresh(&mut self, form: &mut Form, env: &Env) {
        let typed = form.text("reference").unwrap_or_default();
        let looked_up = typed != self.typed;
        if looked_up {
            self.typed = typed;
            self.problem = None;
            self.episode_id = None;
            self.young_person_id = None;
            self.recorded = None;
            if let Err(why) = self.look_up(env) {
                self.problem = Some(why);
            }
            // What the young person said before is filled in, unless preferences were typed.
            if let Some(p) = self.recorded.clone() {
                if typed_preferences(form) == Preferences::default() {
                    form.restore(&json!({ "fields": {
                        "mentor_gender": p.mentor_gender.unwrap_or_default(),
                        "same_background": p.same_background,
                        "language": p.language.unwrap_or_default(),
                    }}));
                }
            }
        }
        let prefs = typed_preferences(form);
        if !looked_up && self.ranked_by.as_ref() == Some(&prefs) {
            return;
        }
        self.ranked_by = Some(prefs.clone());
        self.preface = match (&self.episode_id, &self.problem) {
            (_, Some(why)) => vec![why.clone()],
            (None, None) => vec![WAITING.to_string()],
            (Some(ep), None) => match mentoring::suggestions_with(env.store, ep, Some(&prefs)) {
                Ok(s) => self.suggestion_lines(&s),
                Err(e) => vec![format!("Cannot work out the suggestions: {e}")],
            },
        };
    }

    fn look_up(&mut self, env: &Env) -> Result<(), String> {
        if self.typed.is_empty() {
            return Ok(());
        }
        let Some(yp) = young_person_by_typed_reference(env, Some(self.typed.as_str()))? else {
            return Ok(());
        };
        let ep = episode_to_match(env, &yp)
            .map_err(|e| format!("Cannot read the episodes: {e}"))?
            .ok_or_else(|| format!("{} has no episode to match", yp.reference))?;
        self.recorded = mentoring::preferences(env.store, &ep.id)
            .map_err(|e| format!("Cannot read the preferences: {e}"))?;
        self.who = format!("{} ({})", yp.display_name(), yp.reference);
        self.young_person_id = Some(yp.id.clone());
        self.episode_id = Some(ep.id.clone());
        Ok(())
    }

    fn suggestion_lines(&self, suggestions: &[Suggestion]) -> Vec<String> {
        let who = &self.who;
        if suggestions.is_empty() {
            return vec![
                format!("No mentor is ready and active to suggest for {who}."),
                "A mentor is ready once the police/DBS check, references and Tier 1 and 2 are \
                 recorded."
                    .to_string(),
            ];
        }
        let mut out = vec![format!(
            "Suggested for {who}, best fit first ({}):",
            suggestions.len()
        )];
        for (n, s) in suggestions.iter().take(SUGGESTIONS_SHOWN).enumerate() {
            out.push(format!("{}. {}: {}", n + 1, s.name, s.reasons.join("; ")));
        }
        if suggestions.len() > SUGGESTIONS_SHOWN {
            out.push(format!(
                "… and {} more",
                suggestions.len() - SUGGESTIONS_SHOWN
            ));
        }
        out
    }
}

impl FormPurpose for MatchPurpose {
    fn key(
        &mut self,
        form: &mut Form,
        k: &KeyEvent,
        action: Option<Action>,
        env: &mut Env,
    ) -> FormEvent {
        let ev = form.handle_key(k, action);
        self.refresh(form, env);
        ev
    }

    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        self.refresh(form, env);
        let fields_ok = form.check_fields();
        if form.text("reference").is_some() && self.episode_id.is_none() {
            let why = self
                .problem
                .clone()
                .unwrap_or_else(|| "no young person has that reference".into());
            form.set_error("reference", format!("Young person: {why}"));
        }
        let Some(episode_id) = self.episode_id.clone().filter(|_| fields_ok) else {
            return Saved::Refused(problems_status(form));
        };
        let m = Match {
            id: String::new(),
            episode_id,
            mentor_id: form.choice("mentor").unwrap_or_default(),
            start_date: form.date("start_date").unwrap_or(env.today),
            end_date: None,
            end_reason: None,
        };
        // The preferences are kept with the match when they are new or were changed.
        let prefs = typed_preferences(form);
        let keep = match &self.recorded {
            Some(r) => *r != prefs,
            None => prefs != Preferences::default(),
        };
        let worker = env.worker_id().to_string();
        let codes = std::rc::Rc::clone(env.codes);
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            if keep {
                mentoring::set_preferences(tx, &m.episode_id, &prefs)?;
            }
            mentoring::add_match(tx, &codes, &m, today)
        }) {
            Ok(_) => {
                let _ = drafts::discard(env.store, &worker, &form.key);
                let mentor = form.choice_labels("mentor").join("");
                Saved::Done {
                    msg: Msg::Written(Written {
                        select: Some(m.mentor_id.clone()),
                        section: Some(Section::Contacts),
                        ..Written::of(
                            self.young_person_id.clone().unwrap_or_default(),
                            format!(
                                "{} matched with {mentor} from {}",
                                self.typed,
                                ddmmyyyy(m.start_date)
                            ),
                        )
                    }),
                    next_form: None,
                }
            }
            Err(e) => Saved::Refused(show_refusal(form, &e, |_, f| {
                Some(if f == "episode" { "reference" } else { f }.to_string())
            })),
        }
    }

    fn preface(&self) -> &[String] {
        &self.preface
    }
}

// ---- ending a match -------------------------------------------------------------------------

/// Opens the form that ends one of the board row's matches.
pub fn open_end(row: &BoardRow, env: &Env) -> Step {
    if row.mentees.is_empty() {
        return Step::status(
            StatusKind::Info,
            format!(
                "{} has no current mentee: nothing to end",
                row.mentor.display_name()
            ),
        );
    }
    let options: Vec<Choice> = row
        .mentees
        .iter()
        .map(|x| {
            choice(
                &x.match_id,
                format!("{} since {}", x.reference, ddmmyyyy(x.since)),
            )
        })
        .collect();
    let mut which = Field::choice("match", "Match", options).required();
    if let [only] = row.mentees.as_slice() {
        which = which.with_value(json!(only.match_id));
    }
    let form = Form::new(
        format!("mentor_match_end:{}", row.mentor.id),
        "End a match".into(),
        format!("End a match of {}", row.mentor.display_name()),
        vec![
            which,
            Field::date("end_date", "Ended on")
                .required()
                .with_value(json!("today")),
            Field::choice(
                "end_reason",
                "Reason",
                codes::choices(env.codes, "mentor_discontinuation_reasons"),
            )
            .required(),
        ],
        env.today,
    );
    FormScreen::push(
        form,
        Box::new(EndPurpose {
            mentor_id: row.mentor.id.clone(),
        }),
        env,
    )
}

pub struct EndPurpose {
    mentor_id: String,
}

impl FormPurpose for EndPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let match_id = form.choice("match").unwrap_or_default();
        let end = form.date("end_date").unwrap_or(env.today);
        let reason = form.choice("end_reason").unwrap_or_default();
        let worker = env.worker_id().to_string();
        let codes = std::rc::Rc::clone(env.codes);
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            mentoring::end_match(tx, &codes, &match_id, end, &reason, today)
        }) {
            Ok(()) => {
                let _ = drafts::discard(env.store, &worker, &form.key);
                Saved::Done {
                    msg: Msg::Written(Written {
                        select: Some(self.mentor_id.clone()),
                        message: format!(
                            "Match of {} ended on {}",
                            form.choice_labels("match").join(""),
                            ddmmyyyy(end)
                        ),
                        ..Written::default()
                    }),
                    next_form: None,
                }
            }
            Err(e) => Saved::Refused(show_refusal(form, &e, |_, f| Some(f.to_string()))),
        }
    }

    fn small(&self) -> bool {
        true
    }
}

// ---- mentor sessions with the young person -------------------------------------------------

/// The draft key of the mentor session form for a match.
pub fn session_key(match_id: &str) -> String {
    format!("mentor_session:{match_id}")
}

/// Opens the mentor session form for the open match of the case's current episode.
pub fn open_session(model: &CaseModel, env: &Env) -> Step {
    let Some(ep) = model.current_episode() else {
        return Step::status(
            StatusKind::Warning,
            "No episode: a mentor session belongs to a match on the young person's episode",
        );
    };
    let open = match mentoring::matches_of_episode(env.store, &ep.id) {
        Ok(ms) => ms.into_iter().rev().find(|m| m.end_date.is_none()),
        Err(e) => return Step::status(StatusKind::Error, format!("Cannot read the matches: {e}")),
    };
    let Some(m) = open else {
        return Step::status(
            StatusKind::Warning,
            "No open mentoring match on this episode: the coordinator matches a mentor from \
             the mentoring board",
        );
    };
    let mentor = mentoring::mentor(env.store, &m.mentor_id)
        .ok()
        .flatten()
        .map_or_else(|| "their mentor".to_string(), |x| x.display_name());
    let last = mentoring::sessions_of_match(env.store, &m.id)
        .ok()
        .and_then(|s| s.into_iter().next());
    let preface = vec![
        format!("Matched with {mentor} since {}.", ddmmyyyy(m.start_date)),
        match last {
            Some(s) => format!(
                "Last session: {} ({})",
                ddmmyyyy(s.date),
                s.attendance.replace('_', " ")
            ),
            None => "No session recorded yet.".to_string(),
        },
    ];
    let form = Form::new(
        session_key(&m.id),
        "Mentor session".into(),
        format!(
            "Mentor session: {} with {mentor}",
            model.person.display_name()
        ),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!("today")),
            Field::choice("attendance", "Attendance", attendance_choices()).required(),
            Field::text("place", "Where", 200),
            Field::long_text("activity", "What was done", 4000),
        ],
        env.today,
    );
    FormScreen::push(
        form,
        Box::new(SessionPurpose {
            young_person_id: model.person.id.clone(),
            match_id: m.id,
            preface,
        }),
        env,
    )
}

fn attendance_choices() -> Vec<Choice> {
    Attendance::ALL
        .iter()
        .map(|a| {
            let label = match a {
                Attendance::Attended => "Attended",
                Attendance::Offered => "Offered, not taken up",
                Attendance::DidNotAttend => "Did not attend (DNA)",
            };
            choice(a.code(), label.to_string())
        })
        .collect()
}

pub struct SessionPurpose {
    young_person_id: String,
    match_id: String,
    preface: Vec<String>,
}

impl FormPurpose for SessionPurpose {
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        if !form.check_fields() {
            return Saved::Refused(problems_status(form));
        }
        let s = MentorSession {
            id: String::new(),
            match_id: self.match_id.clone(),
            date: form.date("date").unwrap_or(env.today),
            attendance: form.choice("attendance").unwrap_or_default(),
            place: form.text("place"),
            activity: form.text("activity"),
        };
        let worker = env.worker_id().to_string();
        let today = env.today;
        match env.store.write(&worker, env.now, |tx| {
            mentoring::add_session(tx, &s, Some(&worker), today)
        }) {
            Ok(_) => {
                let _ = drafts::discard(env.store, &worker, &form.key);
                let what = form.choice_labels("attendance").join("");
                Saved::Done {
                    msg: Msg::Written(Written {
                        section: Some(Section::Contacts),
                        ..Written::of(
                            &self.young_person_id,
                            format!("Mentor session of {} saved: {what}", ddmmyyyy(s.date)),
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
