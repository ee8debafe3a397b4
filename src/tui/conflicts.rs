//! Sync conflicts (issue 15): each field two devices changed differently, with every value
//! waiting (this device's own, and each other device's, who and when), for a key worker or
//! manager to choose. The choice is itself a change that syncs, so every device ends with it.

use anyhow::Result;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::component::{Component, Env, Step};
use super::form::truncate;
use super::keymap::{Action, Binding, Context, Key, KeyMap};
use super::msg::{Msg, StatusKind, Written};
use super::theme::Theme;
use crate::store::sync::{self, Conflict};
use crate::store::values::{shown, Value};

/// The screen's keys, added to the one keymap.
pub fn bindings() -> Vec<Binding> {
    use Context as C;
    let b = Binding::new;
    let k = Key::plain;
    vec![
        b(
            Action::Conflicts,
            vec![Key::ch('C')],
            "sync conflicts: fields two devices changed differently",
            "",
            &[C::Global],
        ),
        b(
            Action::SyncNow,
            vec![Key::ch('Y')],
            "sync now: send this device's changes and apply what has arrived",
            "",
            &[C::Global],
        ),
        b(
            Action::Up,
            vec![k(KeyCode::Up), Key::ch('k')],
            "move up",
            "",
            &[C::Conflicts],
        ),
        b(
            Action::Down,
            vec![k(KeyCode::Down), Key::ch('j')],
            "move down",
            "",
            &[C::Conflicts],
        ),
        b(
            Action::Open,
            vec![k(KeyCode::Enter)],
            "choose this value for the field (it travels to every device)",
            "choose",
            &[C::Conflicts],
        ),
        b(
            Action::Back,
            vec![k(KeyCode::Esc)],
            "back",
            "back",
            &[C::Conflicts],
        ),
    ]
}

/// One line per value waiting: (conflict, value index; `None` for this device's current one).
pub struct ConflictsScreen {
    conflicts: Vec<Conflict>,
    rows: Vec<(usize, Option<usize>)>,
    selected: usize,
}

impl ConflictsScreen {
    pub fn load(env: &Env) -> Result<ConflictsScreen> {
        let mut s = ConflictsScreen {
            conflicts: Vec::new(),
            rows: Vec::new(),
            selected: 0,
        };
        s.read(env)?;
        Ok(s)
    }

    fn read(&mut self, env: &Env) -> Result<()> {
        self.conflicts = sync::conflicts(env.store)?;
        self.rows = self
            .conflicts
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                std::iter::once((i, None)).chain((0..c.values.len()).map(move |v| (i, Some(v))))
            })
            .collect();
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        Ok(())
    }

    /// The value the selected line offers.
    fn value_of(&self, row: usize) -> Option<(&Conflict, Value)> {
        let (c, v) = *self.rows.get(row)?;
        let c = &self.conflicts[c];
        Some(match v {
            None => (c, c.current.clone()),
            Some(v) => (c, c.values[v].value.clone()),
        })
    }

    pub fn len(&self) -> usize {
        self.conflicts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conflicts.is_empty()
    }
}

impl Component for ConflictsScreen {
    fn title(&self) -> Option<String> {
        Some(format!("Sync conflicts ({})", self.conflicts.len()))
    }

    fn contexts(&self) -> Vec<Context> {
        vec![Context::Conflicts, Context::Global]
    }

    fn key(&mut self, _k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1))
            }
            Some(Action::Back) => return Step::Close(None),
            Some(Action::Open) => {
                let Some((c, value)) = self.value_of(self.selected).map(|(c, v)| (c.clone(), v))
                else {
                    return Step::Done;
                };
                let worker = env.worker_id().to_string();
                return match sync::choose(env.store, &worker, env.now, &c, &value) {
                    Ok(()) => {
                        if let Err(e) = self.read(env) {
                            return Step::status(StatusKind::Error, e.to_string());
                        }
                        Step::Msg(Msg::Written(Written {
                            message: format!(
                                "{} of {} set to “{}”; the choice syncs to every device",
                                c.column,
                                c.table,
                                shown(&value)
                            ),
                            ..Written::default()
                        }))
                    }
                    Err(e) => Step::status(StatusKind::Error, format!("Not chosen: {e:#}")),
                };
            }
            _ => return Step::Pass,
        }
        Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, _keys: &KeyMap) {
        let w = body.width.saturating_sub(2) as usize;
        let buf = frame.buffer_mut();
        if self.rows.is_empty() {
            buf.set_line(
                body.x + 1,
                body.y + 1,
                &Line::styled("No conflicts wait: every device agrees.", theme.dim()),
                body.width.saturating_sub(1),
            );
            return;
        }
        let bottom = body.y + body.height;
        // Keep the selected line in view: start a page above it when needed.
        let page = body.height.saturating_sub(1) as usize;
        let first = self.selected.saturating_sub(page.saturating_sub(2));
        for (y, (i, &(c, v))) in (body.y..).zip(self.rows.iter().enumerate().skip(first)) {
            if y >= bottom {
                break;
            }
            let con = &self.conflicts[c];
            let text = match v {
                None => format!(
                    "{} · {} of {} — here now: “{}”",
                    con.table,
                    con.column,
                    truncate(&con.record_id, 12),
                    shown(&con.current)
                ),
                Some(v) => {
                    let val = &con.values[v];
                    format!(
                        "    “{}” by {} on {} at {}",
                        shown(&val.value),
                        val.actor_name.as_deref().unwrap_or(&val.actor_id),
                        val.device_name.as_deref().unwrap_or(&val.device_id),
                        val.at.format("%d/%m/%Y %H:%M")
                    )
                }
            };
            let style = if i == self.selected {
                theme.selected()
            } else if v.is_none() {
                theme.header()
            } else {
                theme.base()
            };
            buf.set_line(
                body.x + 1,
                y,
                &Line::styled(truncate(&text, w), style),
                body.width.saturating_sub(1),
            );
        }
    }

    fn written(&mut self, _w: &Written, env: &Env) -> Result<()> {
        self.read(env)
    }

    fn reload(&mut self, env: &Env) -> Result<()> {
        self.read(env)
    }

    crate::as_any!();
}
