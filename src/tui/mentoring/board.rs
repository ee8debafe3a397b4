//! The mentoring coordinator's board: every volunteer mentor with status, police/DBS check,
//! references, Tier 1/2 training, next support session due and current mentees; the selected
//! mentor's details below. Mentees are shown by reference, never by name (the board is often
//! on a screen in a shared office).

use std::collections::HashMap;

use anyhow::Result;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{ddmmyyyy, forms, matching, or_dash};
use crate::domain::mentoring::{CheckResult, MentorStatus};
use crate::store::mentoring::{self, BoardRow};
use crate::tui::codes;
use crate::tui::component::{Component, Env, Step};
use crate::tui::form::truncate;
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::msg::{MentoringFocus, StatusKind, Written};
use crate::tui::theme::Theme;

/// Rows the details of the selected mentor take below the list.
const DETAIL_ROWS: u16 = 8;

pub struct MentoringBoard {
    rows: Vec<BoardRow>,
    /// Recruitment drive titles by ID.
    drives: HashMap<String, String>,
    /// Telephone messages waiting for an answer, and the oldest's date.
    messages_waiting: usize,
    oldest_message: Option<chrono::NaiveDate>,
    selected: usize,
    today: chrono::NaiveDate,
    leaving_labels: HashMap<String, String>,
    /// The telephone message the answer form chooses first (opened from the due-list).
    focus_message: Option<String>,
}

impl MentoringBoard {
    pub fn load(env: &Env) -> Result<MentoringBoard> {
        let mut b = MentoringBoard {
            rows: Vec::new(),
            drives: HashMap::new(),
            messages_waiting: 0,
            oldest_message: None,
            selected: 0,
            today: env.today,
            leaving_labels: HashMap::new(),
            focus_message: None,
        };
        b.read(env)?;
        Ok(b)
    }

    fn read(&mut self, env: &Env) -> Result<()> {
        // Keep the same mentor selected across a reload when they are still listed.
        let was = self.selected_row().map(|r| r.mentor.id.clone());
        self.today = env.today;
        self.rows = mentoring::board(env.store, env.today)?;
        self.drives = mentoring::drives(env.store)?
            .into_iter()
            .map(|d| (d.id, d.title))
            .collect();
        let msgs = mentoring::unanswered_messages(env.store)?;
        self.messages_waiting = msgs.len();
        self.oldest_message = msgs.first().map(|m| m.received_on);
        self.leaving_labels = codes::choices(env.codes, "mentor_leaving_reasons")
            .into_iter()
            .map(|c| (c.code, c.label))
            .collect();
        self.selected = was
            .and_then(|id| self.rows.iter().position(|r| r.mentor.id == id))
            .unwrap_or(self.selected)
            .min(self.rows.len().saturating_sub(1));
        Ok(())
    }

    /// Selects the mentor with this ID (after adding one, the new mentor is selected).
    pub fn select_mentor(&mut self, id: &str) {
        if let Some(i) = self.rows.iter().position(|r| r.mentor.id == id) {
            self.selected = i;
        }
    }

    /// Opens on a due-list item: its mentor selected, or its message chosen on the answer form.
    pub fn focus(&mut self, focus: MentoringFocus) {
        match focus {
            MentoringFocus::Board => {}
            MentoringFocus::Mentor(id) => self.select_mentor(&id),
            MentoringFocus::Message(id) => self.focus_message = Some(id),
        }
    }

    pub fn rows(&self) -> &[BoardRow] {
        &self.rows
    }

    pub fn selected_row(&self) -> Option<&BoardRow> {
        self.rows.get(self.selected)
    }

    fn move_to(&mut self, i: usize) {
        self.selected = i.min(self.rows.len().saturating_sub(1));
    }

    fn check_cell(r: &BoardRow) -> &'static str {
        match (
            r.mentor.check_date,
            r.mentor
                .check_result
                .as_deref()
                .and_then(CheckResult::from_code),
        ) {
            (None, _) => "none",
            (Some(_), Some(CheckResult::Clear)) => "clear",
            (Some(_), Some(CheckResult::ClearWithDisclosure)) => "clear+discl.",
            (Some(_), Some(CheckResult::Pending)) => "pending",
            (Some(_), Some(CheckResult::NotSuitable)) => "not suitable",
            (Some(_), None) => "no result",
        }
    }

    fn training_cell(r: &BoardRow) -> String {
        let tick = |d: Option<chrono::NaiveDate>| if d.is_some() { "✓" } else { "–" };
        format!(
            "T1 {} T2 {}",
            tick(r.mentor.tier1_on),
            tick(r.mentor.tier2_on)
        )
    }

    fn line(r: &BoardRow, today: chrono::NaiveDate) -> String {
        let support = match r.next_support_due {
            Some(d) if d < today => format!("{} !", ddmmyyyy(d)),
            Some(d) => ddmmyyyy(d),
            None => "—".into(),
        };
        format!(
            "{:<17} {:<11} {:<12} {:<4} {:<9} {:<12} {}",
            truncate(&r.mentor.display_name(), 17),
            r.status.label(),
            Self::check_cell(r),
            if r.mentor.references_on.is_some() {
                "yes"
            } else {
                "no"
            },
            Self::training_cell(r),
            support,
            r.mentees.len()
        )
    }

    /// The selected mentor's details, one line each.
    fn details(&self, r: &BoardRow) -> Vec<(String, Style, bool)> {
        let m = &r.mentor;
        let mut out = Vec::new();
        let ready = if r.status == MentorStatus::Left {
            String::new()
        } else if r.not_ready.is_empty() {
            ", ready to match".to_string()
        } else {
            ", not ready to match".to_string()
        };
        let about: Vec<&str> = [m.gender.as_deref(), m.languages.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect();
        out.push((
            format!(
                "{} — {}{ready}{}",
                m.display_name(),
                r.status.label(),
                if about.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", about.join(" · "))
                }
            ),
            Style::default(),
            true,
        ));
        let drive = m
            .recruitment_drive_id
            .as_deref()
            .and_then(|d| self.drives.get(d))
            .map(|t| format!(" from “{t}”"))
            .unwrap_or_default();
        let commitment = match (m.commitment_start, r.commitment_end) {
            (Some(s), Some(e)) => format!(" · commitment {}–{}", ddmmyyyy(s), ddmmyyyy(e)),
            _ => " · commitment not started".to_string(),
        };
        out.push((
            format!("Recruited {}{drive}{commitment}", or_dash(m.recruited_on)),
            Style::default(),
            false,
        ));
        let check = match (m.check_date, m.check_result.as_deref()) {
            (Some(d), Some(res)) => format!("{} on {}", res.replace('_', " "), ddmmyyyy(d)),
            (Some(d), None) => format!("done on {} (no result)", ddmmyyyy(d)),
            (None, _) => "not recorded".into(),
        };
        out.push((
            format!(
                "Police/DBS check: {check} · references: {}",
                or_dash(m.references_on)
            ),
            Style::default(),
            false,
        ));
        out.push((
            format!(
                "Training: Tier 1 {} · Tier 2 {}",
                or_dash(m.tier1_on),
                or_dash(m.tier2_on)
            ),
            Style::default(),
            false,
        ));
        if r.status != MentorStatus::Left {
            out.push((
                format!(
                    "Support: last session {} · next due {}",
                    or_dash(r.last_support),
                    or_dash(r.next_support_due)
                ),
                Style::default(),
                false,
            ));
        }
        if r.status == MentorStatus::Left {
            let reason = m
                .leaving_reason
                .as_deref()
                .map(|c| {
                    self.leaving_labels
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| c.to_string())
                })
                .unwrap_or_else(|| "no reason recorded".into());
            out.push((
                format!("Left on {}: {reason}", or_dash(m.left_on)),
                Style::default(),
                false,
            ));
        } else if !r.not_ready.is_empty() {
            out.push((
                format!("Not ready to match: {}", r.not_ready.join("; ")),
                Style::default(),
                false,
            ));
        }
        if r.mentees.is_empty() {
            out.push(("No current mentees".into(), Style::default(), false));
        } else {
            let list: Vec<String> = r
                .mentees
                .iter()
                .map(|x| {
                    format!(
                        "{} since {} (last session {})",
                        x.reference,
                        ddmmyyyy(x.since),
                        or_dash(x.last_session)
                    )
                })
                .collect();
            out.push((
                format!("Mentees ({}): {}", r.mentees.len(), list.join("; ")),
                Style::default(),
                false,
            ));
        }
        out
    }
}

impl Component for MentoringBoard {
    fn title(&self) -> Option<String> {
        Some("Mentoring — coordinator's board".into())
    }

    fn contexts(&self) -> Vec<Context> {
        vec![Context::Mentoring, Context::Global]
    }

    fn key(&mut self, _k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        let Some(a) = action else {
            return Step::Pass;
        };
        let page = 5;
        match a {
            Action::Up => self.move_to(self.selected.saturating_sub(1)),
            Action::Down => self.move_to(self.selected + 1),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(usize::MAX),
            Action::PageUp => self.move_to(self.selected.saturating_sub(page)),
            Action::PageDown => self.move_to(self.selected.saturating_add(page)),
            Action::Back => return Step::Close(None),
            Action::Reload => {
                return match self.read(env) {
                    Ok(()) => Step::status(StatusKind::Info, "Reloaded"),
                    Err(e) => Step::status(StatusKind::Error, e.to_string()),
                }
            }
            Action::NewMentor => return forms::open_mentor(None, env),
            Action::EditMentor => match self.selected_row() {
                Some(r) => return forms::open_mentor(Some(&r.mentor), env),
                None => {
                    return Step::status(
                        StatusKind::Info,
                        "No mentor yet: n adds the first volunteer mentor",
                    )
                }
            },
            Action::AddMentoringEvent => return forms::open_event(env),
            Action::AddDrive => return forms::open_drive(env),
            Action::AddComplaint => return forms::open_complaint(env),
            Action::AddPhoneMessage => return forms::open_message(env),
            Action::AnswerPhoneMessage => {
                return forms::open_answer(self.focus_message.as_deref(), env)
            }
            Action::MatchMentor => {
                return matching::open_match(self.selected_row().map(|r| &r.mentor), env)
            }
            Action::EndMatch => match self.selected_row() {
                Some(r) => return matching::open_end(r, env),
                None => return Step::status(StatusKind::Info, "No mentor is selected"),
            },
            _ => return Step::Pass,
        }
        Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, _keys: &KeyMap) {
        let w = body.width.saturating_sub(2) as usize;
        let x = body.x + 1;
        let bottom = body.y + body.height;
        let put = |frame: &mut Frame, y: u16, text: &str, style: Style| {
            if y < bottom {
                frame.buffer_mut().set_line(
                    x,
                    y,
                    &Line::styled(truncate(text, w), style),
                    body.width.saturating_sub(1),
                );
            }
        };
        let active = self
            .rows
            .iter()
            .filter(|r| r.status == MentorStatus::Active)
            .count();
        let not_ready = self
            .rows
            .iter()
            .filter(|r| r.status != MentorStatus::Left && !r.not_ready.is_empty())
            .count();
        let overdue = self
            .rows
            .iter()
            .filter(|r| r.next_support_due.is_some_and(|d| d < self.today))
            .count();
        put(
            frame,
            body.y,
            &format!(
                "Mentors: {} · {active} active · {not_ready} not ready to match · {overdue} support overdue",
                self.rows.len()
            ),
            theme.header(),
        );
        // The messages waiting sit on the last row, so the two-day answer is never out of view.
        let bottom = match self.oldest_message {
            Some(d) if body.height > 4 => {
                put(
                    frame,
                    bottom - 1,
                    &format!(
                        "{} telephone message{} to answer (oldest {}): a records the answer",
                        self.messages_waiting,
                        if self.messages_waiting == 1 { "" } else { "s" },
                        ddmmyyyy(d)
                    ),
                    theme.warning(),
                );
                bottom - 1
            }
            _ => bottom,
        };
        if self.rows.is_empty() {
            put(
                frame,
                body.y + 2,
                "No mentors on the record yet: n adds a volunteer mentor.",
                theme.dim(),
            );
            return;
        }
        put(
            frame,
            body.y + 1,
            &format!(
                "{:<17} {:<11} {:<12} {:<4} {:<9} {:<12} {}",
                "Mentor", "Status", "DBS check", "Refs", "Training", "Support due", "Mentees"
            ),
            theme.dim(),
        );
        let list_top = body.y + 2;
        let room = body.height.saturating_sub(2 + DETAIL_ROWS + 1).max(1) as usize;
        let first = self.selected.saturating_sub(room.saturating_sub(1));
        for (n, (i, r)) in self
            .rows
            .iter()
            .enumerate()
            .skip(first)
            .take(room)
            .enumerate()
        {
            let style = if i == self.selected {
                theme.selected()
            } else if r.status == MentorStatus::Left {
                theme.dim()
            } else if r.next_support_due.is_some_and(|d| d < self.today) {
                theme.overdue()
            } else {
                theme.base()
            };
            put(
                frame,
                list_top + n as u16,
                &Self::line(r, self.today),
                style,
            );
        }
        let shown = self.rows.len().saturating_sub(first).min(room) as u16;
        let detail_top = list_top + shown + 1;
        if let (Some(r), true) = (self.selected_row(), detail_top < bottom) {
            // Details wrap: a list of reasons must not be cut off at the edge.
            let lines: Vec<Line> = self
                .details(r)
                .into_iter()
                .map(|(text, _, head)| {
                    Line::styled(text, if head { theme.header() } else { theme.base() })
                })
                .collect();
            let area = Rect::new(x, detail_top, w as u16, bottom - detail_top);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
    }

    fn written(&mut self, w: &Written, env: &Env) -> Result<()> {
        self.read(env)?;
        if let Some(id) = w.select.as_deref() {
            self.select_mentor(id);
        }
        Ok(())
    }

    fn reload(&mut self, env: &Env) -> Result<()> {
        self.read(env)
    }

    crate::as_any!();
}
