//! The risk flags screen (every active flag across the caseload, highest level first) and the
//! four small flag forms: raise, review, change level, resolve (S §8.5.5, §22). Each form is
//! saved through `FlagPurpose`, one transaction per write, recorded with who and
//! when in `risk_flag_events`; `Enter` on a flag shows that history.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;
use serde_json::json;

use super::codes::{self, Choice};
use super::due_list::{BoardEnv, Step};
use super::form::{truncate, Field, Form, SHORT_MAX};
use super::keymap::Action;
pub use super::msg::FlagAction;
use super::msg::{Msg, Route, StatusKind};
use super::theme::Theme;
use crate::domain::codes::CodeLists;
use crate::domain::record::{RiskFlag, RiskLevel};
use crate::store::drafts;
use crate::store::records::{self, ActiveFlag, FlagEvent};
use crate::store::{people, Store};

/// The most a flag note holds.
pub const NOTE_MAX: usize = 2000;

fn form_key(action: &FlagAction) -> String {
    {
        match action {
            FlagAction::Raise { young_person_id } => format!("flag_raise:{young_person_id}"),
            FlagAction::Review { flag_id } => format!("flag_review:{flag_id}"),
            FlagAction::ChangeLevel { flag_id } => format!("flag_level:{flag_id}"),
            FlagAction::Resolve { flag_id } => format!("flag_resolve:{flag_id}"),
        }
    }
}

/// A level with its symbol, so it reads without colour: `▲ high`, `◆ medium`, `● low`.
pub fn level_text(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::High => "▲ high",
        RiskLevel::Medium => "◆ med",
        RiskLevel::Low => "● low",
    }
}

pub fn level_style(level: RiskLevel, theme: Theme) -> Style {
    match level {
        RiskLevel::High => theme.high_risk(),
        RiskLevel::Medium => theme.medium_risk(),
        RiskLevel::Low => theme.low_risk(),
    }
}

fn level_choices() -> Vec<Choice> {
    [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low]
        .into_iter()
        .map(|l| Choice {
            code: l.code().to_string(),
            label: match l {
                RiskLevel::High => "High",
                RiskLevel::Medium => "Medium",
                RiskLevel::Low => "Low",
            }
            .to_string(),
        })
        .collect()
}

fn flag_or_err(store: &Store, flag_id: &str) -> Result<RiskFlag> {
    records::flag(store, flag_id)?
        .ok_or_else(|| anyhow::anyhow!("that risk flag is no longer on file; press Ctrl-R"))
}

fn person_label(store: &Store, young_person_id: &str) -> Result<String> {
    Ok(people::young_person(store, young_person_id)?
        .map(|p| format!("{} ({})", p.display_name(), p.reference))
        .unwrap_or_else(|| "this young person".into()))
}

/// The form for `action`, with the draft key it saves under.
pub fn new_form(
    action: &FlagAction,
    store: &Store,
    lists: &CodeLists,
    today: NaiveDate,
) -> Result<Form> {
    let key = form_key(action);
    let date = |label| {
        Field::date("date", label)
            .required()
            .with_value(json!("today"))
    };
    Ok(match action {
        FlagAction::Raise { young_person_id } => Form::new(
            key,
            "Raise a risk flag".into(),
            format!(
                "Raise a risk flag for {}",
                person_label(store, young_person_id)?
            ),
            vec![
                Field::choice("type", "Type", codes::choices(lists, "risk_types")).required(),
                Field::choice("level", "Level", level_choices()).required(),
                Field::text("action", "Action", SHORT_MAX)
                    .required()
                    .hint("what to do about this risk"),
                Field::date("review", "Review by")
                    .required()
                    .hint("when it must be reviewed"),
                date("Raised on"),
            ],
            today,
        ),
        FlagAction::Review { flag_id } => {
            let f = flag_or_err(store, flag_id)?;
            Form::new(
                key,
                "Review a risk flag".into(),
                format!(
                    "Review: {} {} flag of {}",
                    f.level.code(),
                    codes::label(lists, "risk_types", &f.flag_type),
                    person_label(store, &f.young_person_id)?
                ),
                vec![
                    Field::long_text("note", "Review note", NOTE_MAX).required(),
                    Field::date("next", "Next review")
                        .required()
                        .hint("after the review date"),
                    date("Reviewed on"),
                ],
                today,
            )
        }
        FlagAction::ChangeLevel { flag_id } => {
            let f = flag_or_err(store, flag_id)?;
            Form::new(
                key,
                "Change a risk flag's level".into(),
                format!(
                    "Change level (now {}): {} flag of {}",
                    f.level.code(),
                    codes::label(lists, "risk_types", &f.flag_type),
                    person_label(store, &f.young_person_id)?
                ),
                vec![
                    Field::choice("level", "New level", level_choices()).required(),
                    Field::text("note", "Why", SHORT_MAX).required(),
                    date("Changed on"),
                ],
                today,
            )
        }
        FlagAction::Resolve { flag_id } => {
            let f = flag_or_err(store, flag_id)?;
            Form::new(
                key,
                "Resolve a risk flag".into(),
                format!(
                    "Resolve: {} {} flag of {}",
                    f.level.code(),
                    codes::label(lists, "risk_types", &f.flag_type),
                    person_label(store, &f.young_person_id)?
                ),
                vec![
                    Field::text("reason", "Reason", SHORT_MAX)
                        .required()
                        .hint("why the risk is resolved"),
                    date("Resolved on"),
                ],
                today,
            )
        }
    })
}

/// The status line for a form that did not pass its checks.
fn not_saved(form: &mut Form) -> String {
    let labels = form.problem_labels();
    form.focus_first_problem();
    format!(
        "Not saved: {} — {}",
        if labels.len() == 1 {
            "1 field needs attention".to_string()
        } else {
            format!("{} fields need attention", labels.len())
        },
        labels.join(", ")
    )
}

/// Checks the form and writes it in one transaction (the draft goes with it). Returns the young
/// person it was for and the message to show; on a problem, the fields carry the errors and
/// the message says which need attention, and nothing is written.
pub fn save(
    store: &mut Store,
    form: &mut Form,
    action: &FlagAction,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), String> {
    let mut ok = form.check_fields();
    let today = form.today();
    let on = form.date("date");
    if let Some(d) = on {
        if d > today {
            form.set_error(
                "date",
                format!(
                    "Date: cannot be in the future (today is {})",
                    today.format("%d/%m/%Y")
                ),
            );
            ok = false;
        }
    }
    let existing = match action {
        FlagAction::Raise { .. } => None,
        FlagAction::Review { flag_id }
        | FlagAction::ChangeLevel { flag_id }
        | FlagAction::Resolve { flag_id } => match flag_or_err(store, flag_id) {
            Ok(f) if f.is_active() => Some(f),
            Ok(_) => return Err("Not saved: that risk flag is already resolved".into()),
            Err(e) => return Err(format!("Not saved: {e}")),
        },
    };
    let review_field = match action {
        FlagAction::Raise { .. } => Some(("review", "Review by")),
        FlagAction::Review { .. } => Some(("next", "Next review")),
        _ => None,
    };
    if let (Some((key, label)), Some(on)) = (review_field, on) {
        if form.date(key).is_some_and(|r| r <= on) {
            form.set_error(
                key,
                format!(
                    "{label}: must be after {} (the date of this record)",
                    on.format("%d/%m/%Y")
                ),
            );
            ok = false;
        }
    }
    let level = form.choice("level").and_then(|c| RiskLevel::from_code(&c));
    if let (FlagAction::ChangeLevel { .. }, Some(f), Some(l)) = (action, &existing, level) {
        if f.level == l {
            form.set_error(
                "level",
                format!("New level: the flag is already {}; pick another", l.code()),
            );
            ok = false;
        }
    }
    if !ok {
        return Err(not_saved(form));
    }
    let Some(on) = on else {
        return Err(not_saved(form));
    };
    let key = form.key.clone();
    let label = |f: &RiskFlag| f.flag_type.replace('_', " ");
    let result: Result<(String, String)> = match action {
        FlagAction::Raise { young_person_id } => {
            let episode_id = records::episodes_of(store, young_person_id)
                .ok()
                .and_then(|eps| eps.into_iter().rev().find(|e| e.exit_date.is_none()))
                .map(|e| e.id);
            let flag = RiskFlag {
                id: String::new(),
                young_person_id: young_person_id.clone(),
                episode_id,
                flag_type: form.choice("type").unwrap_or_default(),
                level: level.unwrap_or(RiskLevel::High),
                raised_by: worker.to_string(),
                raised_on: on,
                action: form.text("action").unwrap_or_default(),
                review_date: form.date("review"),
                closed_on: None,
                closed_by: None,
                close_reason: None,
            };
            let msg = format!("Risk flag raised: {} {}", flag.level.code(), label(&flag));
            store
                .write(worker, now, |tx| {
                    records::raise_flag(tx, &flag)?;
                    drafts::discard_in(tx, worker, &key)
                })
                .map(|()| (young_person_id.clone(), msg))
        }
        FlagAction::Review { flag_id } => {
            let f = existing.as_ref().ok_or_else(|| "no flag".to_string())?;
            let note = form.text("note").unwrap_or_default();
            let next = form.date("next");
            store
                .write(worker, now, |tx| {
                    records::review_flag(tx, flag_id, on, &note, next)?;
                    drafts::discard_in(tx, worker, &key)
                })
                .map(|()| {
                    (
                        f.young_person_id.clone(),
                        format!(
                            "Risk flag reviewed; next review {}",
                            next.map_or("not set".into(), |d| d.format("%d/%m/%Y").to_string())
                        ),
                    )
                })
        }
        FlagAction::ChangeLevel { flag_id } => {
            let f = existing.as_ref().ok_or_else(|| "no flag".to_string())?;
            let note = form.text("note").unwrap_or_default();
            let level = level.unwrap_or(f.level);
            store
                .write(worker, now, |tx| {
                    records::change_flag_level(tx, flag_id, on, level, &note)?;
                    drafts::discard_in(tx, worker, &key)
                })
                .map(|()| {
                    (
                        f.young_person_id.clone(),
                        format!(
                            "Risk flag level changed from {} to {}",
                            f.level.code(),
                            level.code()
                        ),
                    )
                })
        }
        FlagAction::Resolve { flag_id } => {
            let f = existing.as_ref().ok_or_else(|| "no flag".to_string())?;
            let reason = form.text("reason").unwrap_or_default();
            store
                .write(worker, now, |tx| {
                    records::resolve_flag(tx, flag_id, on, &reason)?;
                    drafts::discard_in(tx, worker, &key)
                })
                .map(|()| {
                    (
                        f.young_person_id.clone(),
                        format!("Risk flag resolved: {}", label(f)),
                    )
                })
        }
    };
    result.map_err(|e| format!("Not saved (your draft is kept): {e}"))
}

/// A flag's history, open over the list.
struct History {
    title: String,
    lines: Vec<Line<'static>>,
    scroll: usize,
}

/// The risk flags screen.
pub struct FlagsScreen {
    rows: Vec<ActiveFlag>,
    type_labels: Vec<String>,
    selected: usize,
    offset: usize,
    page: usize,
    today: NaiveDate,
    history: Option<History>,
}

impl FlagsScreen {
    pub fn load(env: &BoardEnv) -> Result<FlagsScreen> {
        let mut s = FlagsScreen {
            rows: Vec::new(),
            type_labels: Vec::new(),
            selected: 0,
            offset: 0,
            page: 10,
            today: env.today,
            history: None,
        };
        s.reload(env)?;
        Ok(s)
    }

    pub fn reload(&mut self, env: &BoardEnv) -> Result<()> {
        let keep = self.selected_flag().map(|f| f.flag.id.clone());
        self.today = env.today;
        self.rows = records::active_flags(env.store)?;
        self.type_labels = self
            .rows
            .iter()
            .map(|r| codes::label(env.codes, "risk_types", &r.flag.flag_type))
            .collect();
        self.history = None;
        self.selected = keep
            .and_then(|id| self.rows.iter().position(|r| r.flag.id == id))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        Ok(())
    }

    pub fn rows(&self) -> &[ActiveFlag] {
        &self.rows
    }

    pub fn selected_flag(&self) -> Option<&ActiveFlag> {
        self.rows.get(self.selected)
    }

    pub fn is_reading(&self) -> bool {
        self.history.is_some()
    }

    /// The history shown, as text lines (for tests and the screen alike).
    pub fn history_text(&self) -> Option<Vec<String>> {
        self.history.as_ref().map(|h| {
            h.lines
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                .collect()
        })
    }

    fn open_history(&mut self, env: &BoardEnv) -> Result<()> {
        let Some(r) = self.selected_flag() else {
            return Ok(());
        };
        let events = records::flag_history(env.store, &r.flag.id)?;
        let title = format!(
            " {} flag of {} ({}) ",
            self.type_labels
                .get(self.selected)
                .cloned()
                .unwrap_or_default(),
            r.name,
            r.reference
        );
        let lines = history_lines(&events, env.worker_names);
        self.history = Some(History {
            title,
            lines,
            scroll: 0,
        });
        Ok(())
    }

    pub fn key(&mut self, action: Option<Action>, env: &BoardEnv) -> Step {
        let Some(a) = action else {
            return Step::Pass;
        };
        if let Some(h) = &mut self.history {
            match a {
                Action::Back => self.history = None,
                Action::Up => h.scroll = h.scroll.saturating_sub(1),
                Action::Down => h.scroll = (h.scroll + 1).min(h.lines.len().saturating_sub(1)),
                Action::Top => h.scroll = 0,
                Action::Bottom => h.scroll = h.lines.len().saturating_sub(1),
                _ => return Step::Pass,
            }
            return Step::Done;
        }
        let n = self.rows.len();
        let selected = self.selected_flag().map(|r| r.flag.clone());
        let need = |what: &str| {
            Step::Msg(Msg::Status(
                StatusKind::Warning,
                format!("No flag selected to {what}"),
            ))
        };
        match a {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = n.saturating_sub(1),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page),
            Action::PageDown => {
                self.selected = (self.selected + self.page).min(n.saturating_sub(1))
            }
            Action::Open => {
                if let Err(e) = self.open_history(env) {
                    return Step::Msg(Msg::Status(StatusKind::Error, e.to_string()));
                }
            }
            Action::RaiseFlag => {
                return match selected {
                    Some(f) => Step::Msg(Msg::Open(Route::FlagForm(FlagAction::Raise {
                        young_person_id: f.young_person_id,
                    }))),
                    None => Step::Msg(Msg::Status(
                        StatusKind::Warning,
                        "To raise a flag for a young person with none, open their case and \
                         press !"
                            .into(),
                    )),
                }
            }
            Action::ReviewFlag => {
                return selected.map_or(need("review"), |f| {
                    Step::Msg(Msg::Open(Route::FlagForm(FlagAction::Review {
                        flag_id: f.id,
                    })))
                })
            }
            Action::ChangeFlagLevel => {
                return selected.map_or(need("change"), |f| {
                    Step::Msg(Msg::Open(Route::FlagForm(FlagAction::ChangeLevel {
                        flag_id: f.id,
                    })))
                })
            }
            Action::ResolveFlag => {
                return selected.map_or(need("resolve"), |f| {
                    Step::Msg(Msg::Open(Route::FlagForm(FlagAction::Resolve {
                        flag_id: f.id,
                    })))
                })
            }
            Action::Back => return Step::Close(None),
            Action::Reload => {
                if let Err(e) = self.reload(env) {
                    return Step::Msg(Msg::Status(StatusKind::Error, e.to_string()));
                }
                return Step::Msg(Msg::Status(StatusKind::Info, "Reloaded".into()));
            }
            _ => return Step::Pass,
        }
        Step::Done
    }

    pub fn describe(&self) -> String {
        let high = self
            .rows
            .iter()
            .filter(|r| r.flag.level == RiskLevel::High)
            .count();
        format!("Risk flags · {} active, {high} high", self.rows.len())
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        if area.height < 3 || area.width < 20 {
            return;
        }
        let table_area = Rect::new(area.x, area.y, area.width, area.height - 1);
        let body_h = table_area.height.saturating_sub(1) as usize;
        self.page = body_h.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + body_h {
            self.offset = self.selected + 1 - body_h;
        }
        if self.rows.is_empty() {
            frame.buffer_mut().set_line(
                area.x + 1,
                area.y + 1,
                &Line::styled("No active risk flags.", theme.dim()),
                area.width.saturating_sub(1),
            );
        }
        let widths = [
            Constraint::Length(6),
            Constraint::Length(14),
            Constraint::Length(22),
            Constraint::Length(12),
            Constraint::Min(8),
            Constraint::Length(9),
        ];
        let header = Row::new(vec![
            "Level",
            "Type",
            "Young person",
            "Raised",
            "Action",
            "Review",
        ])
        .style(theme.header());
        let end = (self.offset + body_h).min(self.rows.len());
        let action_w = (area.width as usize).saturating_sub(6 + 14 + 22 + 12 + 9 + 5);
        let rows: Vec<Row> = (self.offset..end)
            .map(|i| {
                let r = &self.rows[i];
                let f = &r.flag;
                let who = r
                    .raised_by_name
                    .as_deref()
                    .and_then(|n| n.split_whitespace().next())
                    .unwrap_or("—");
                let raised = format!("{} {}", truncate(who, 3), f.raised_on.format("%d/%m/%y"));
                let overdue = f.review_date.is_some_and(|d| d < self.today);
                let review = match f.review_date {
                    Some(d) => format!(
                        "{}{}",
                        if overdue { "!" } else { " " },
                        d.format("%d/%m/%y")
                    ),
                    None => " none".into(),
                };
                let row = Row::new(vec![
                    Cell::from(level_text(f.level)).style(level_style(f.level, theme)),
                    Cell::from(truncate(&self.type_labels[i], 14)),
                    Cell::from(truncate(
                        &format!("{} {}", r.reference.trim_start_matches("YP-"), r.name),
                        22,
                    )),
                    Cell::from(raised),
                    Cell::from(truncate(&f.action, action_w.max(8))),
                    Cell::from(review).style(if overdue {
                        theme.overdue()
                    } else {
                        theme.base()
                    }),
                ]);
                if i == self.selected {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        frame.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            table_area,
        );
        // The selected flag in full on the last line: the action is often longer than its cell.
        if let Some(r) = self.selected_flag() {
            let line = Line::styled(
                truncate(
                    &format!(
                        " {} · raised {} by {} · {}",
                        r.name,
                        r.flag.raised_on.format("%d/%m/%Y"),
                        r.raised_by_name.as_deref().unwrap_or("—"),
                        r.flag.action
                    ),
                    area.width as usize,
                ),
                theme.dim(),
            );
            frame
                .buffer_mut()
                .set_line(area.x, area.bottom() - 1, &line, area.width);
        }
        if let Some(h) = &self.history {
            let w = area.width.saturating_sub(4).min(76);
            let ht = area.height.saturating_sub(2).max(3);
            let popup = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, ht);
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(h.lines.clone())
                    .wrap(Wrap { trim: false })
                    .scroll((h.scroll as u16, 0))
                    .block(
                        Block::new()
                            .borders(Borders::ALL)
                            .border_style(theme.border())
                            .title(h.title.clone()),
                    ),
                popup,
            );
        }
    }
}

/// One line per event: date, what happened, who; then the note indented.
fn history_lines(events: &[FlagEvent], names: &HashMap<String, String>) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for e in events {
        let who = names
            .get(&e.worker_id)
            .cloned()
            .unwrap_or_else(|| "unknown worker".into());
        let what = match e.kind.as_str() {
            "raised" => format!("raised, {}", e.level.as_deref().unwrap_or("?")),
            "reviewed" => "reviewed".to_string(),
            "level_changed" => format!("level changed to {}", e.level.as_deref().unwrap_or("?")),
            "resolved" => "resolved".to_string(),
            other => other.replace('_', " "),
        };
        let review = e
            .review_date
            .map(|d| format!("; review by {}", d.format("%d/%m/%Y")))
            .unwrap_or_default();
        out.push(Line::raw(format!(
            "{} {what}{review} — {who}",
            e.date.format("%d/%m/%Y")
        )));
        if let Some(n) = &e.note {
            for l in n.lines() {
                out.push(Line::raw(format!("    {l}")));
            }
        }
    }
    if out.is_empty() {
        out.push(Line::raw("No history recorded."));
    }
    out
}

/// A flag form's purpose.
pub struct FlagPurpose(pub FlagAction);

impl super::form_screen::FormPurpose for FlagPurpose {
    fn save(
        &mut self,
        form: &mut Form,
        env: &mut super::component::Env,
    ) -> super::form_screen::Saved {
        use super::form_screen::Saved;
        let worker = env.worker_id().to_string();
        match save(env.store, form, &self.0, &worker, env.now) {
            Ok((young_person_id, message)) => Saved::Done {
                msg: Msg::Written(super::msg::Written {
                    section: Some(super::msg::Section::Contacts),
                    ..super::msg::Written::of(young_person_id, message)
                }),
                next_form: None,
            },
            Err(text) => Saved::Refused(text),
        }
    }
}
