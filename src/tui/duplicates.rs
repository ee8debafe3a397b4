//! Possible duplicates (issue 15): young people registered on two devices with the same name
//! and date of birth, both records side by side, for a key worker or manager to decide. `m`
//! keeps the selected record and merges the other into it (after a confirmation naming the
//! record kept); `n` keeps both apart. The decision syncs to every device.

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
use crate::store::sync::{self, DuplicateSide, PossibleDuplicate};

/// The screen's keys, added to the one keymap.
pub fn bindings() -> Vec<Binding> {
    use Context as C;
    let b = Binding::new;
    let k = Key::plain;
    vec![
        b(
            Action::Duplicates,
            vec![Key::ch('P')],
            "possible duplicates: one young person registered on two devices",
            "",
            &[C::Global],
        ),
        b(
            Action::Up,
            vec![k(KeyCode::Up), Key::ch('k')],
            "move up",
            "",
            &[C::Duplicates],
        ),
        b(
            Action::Down,
            vec![k(KeyCode::Down), Key::ch('j')],
            "move down",
            "",
            &[C::Duplicates],
        ),
        b(
            Action::MergeDuplicate,
            vec![Key::ch('m')],
            "the same person: keep the selected record, merge the other into it (asks first)",
            "merge",
            &[C::Duplicates],
        ),
        b(
            Action::KeepApart,
            vec![Key::ch('n')],
            "not the same person: keep both, and the pair leaves the list on every device",
            "not the same",
            &[C::Duplicates],
        ),
        b(
            Action::Back,
            vec![k(KeyCode::Esc)],
            "back",
            "back",
            &[C::Duplicates],
        ),
    ]
}

/// A merge waiting for its confirmation: (kept, merged).
type Pending = (DuplicateSide, DuplicateSide);

pub struct DuplicatesScreen {
    items: Vec<PossibleDuplicate>,
    /// Two lines per item: `2 * item + side` (0 the first record, 1 the second).
    selected: usize,
    pending: Option<Pending>,
}

impl DuplicatesScreen {
    pub fn load(env: &Env) -> Result<DuplicatesScreen> {
        let mut s = DuplicatesScreen {
            items: Vec::new(),
            selected: 0,
            pending: None,
        };
        s.read(env)?;
        Ok(s)
    }

    fn read(&mut self, env: &Env) -> Result<()> {
        self.items = sync::open_duplicates(env.store)?;
        self.selected = self.selected.min((self.items.len() * 2).saturating_sub(1));
        Ok(())
    }

    /// The selected record and the other one of its pair.
    fn selection(&self) -> Option<(&PossibleDuplicate, &DuplicateSide, &DuplicateSide)> {
        let item = self.items.get(self.selected / 2)?;
        Some(if self.selected % 2 == 0 {
            (item, &item.a, &item.b)
        } else {
            (item, &item.b, &item.a)
        })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn merge(&mut self, env: &mut Env, (kept, merged): Pending) -> Step {
        let worker = env.worker_id().to_string();
        match sync::merge(
            env.store,
            &worker,
            env.now,
            &kept.young_person_id,
            &merged.young_person_id,
        ) {
            Ok(moved) => {
                if let Err(e) = self.read(env) {
                    return Step::status(StatusKind::Error, e.to_string());
                }
                Step::Msg(Msg::Many(vec![
                    Msg::Reload,
                    Msg::Written(Written::of(
                        kept.young_person_id.clone(),
                        format!(
                            "{} merged into {} ({moved} record(s) moved); the decision syncs to \
                             every device",
                            merged.reference, kept.reference
                        ),
                    )),
                ]))
            }
            Err(e) => Step::status(StatusKind::Error, format!("Not merged: {e:#}")),
        }
    }
}

fn side_line(s: &DuplicateSide) -> String {
    let born = s
        .date_of_birth
        .as_deref()
        .and_then(crate::store::values::parse_date)
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|| "-".into());
    format!(
        "{}  {}  born {born}  {} ep  kw {}  on {}",
        s.reference,
        s.name(),
        s.episodes,
        s.key_worker.as_deref().unwrap_or("-"),
        s.registered_on.as_deref().unwrap_or("-"),
    )
}

impl Component for DuplicatesScreen {
    fn title(&self) -> Option<String> {
        Some(format!("Possible duplicates ({})", self.items.len()))
    }

    fn contexts(&self) -> Vec<Context> {
        vec![Context::Duplicates, Context::Global]
    }

    fn key(&mut self, k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        if let Some(p) = self.pending.take() {
            // The confirmation: `y` merges, any other key leaves both as they are.
            return match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.merge(env, p),
                _ => Step::status(StatusKind::Info, "Not merged: both records are unchanged"),
            };
        }
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min((self.items.len() * 2).saturating_sub(1))
            }
            Some(Action::Back) => return Step::Close(None),
            Some(Action::MergeDuplicate) => {
                let Some((_, kept, merged)) = self.selection() else {
                    return Step::Done;
                };
                self.pending = Some((kept.clone(), merged.clone()));
            }
            Some(Action::KeepApart) => {
                let Some((item, _, _)) = self.selection() else {
                    return Step::Done;
                };
                let (a, b) = (item.a.clone(), item.b.clone());
                let worker = env.worker_id().to_string();
                return match sync::dismiss(
                    env.store,
                    &worker,
                    env.now,
                    &a.young_person_id,
                    &b.young_person_id,
                ) {
                    Ok(()) => {
                        if let Err(e) = self.read(env) {
                            return Step::status(StatusKind::Error, e.to_string());
                        }
                        Step::Msg(Msg::Written(Written {
                            message: format!(
                                "{} and {} kept apart (not the same person); the decision syncs \
                                 to every device",
                                a.reference, b.reference
                            ),
                            ..Written::default()
                        }))
                    }
                    Err(e) => Step::status(StatusKind::Error, format!("Not decided: {e:#}")),
                };
            }
            _ => return Step::Pass,
        }
        Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, _keys: &KeyMap) {
        let w = body.width.saturating_sub(2) as usize;
        let buf = frame.buffer_mut();
        let width = body.width.saturating_sub(1);
        if self.items.is_empty() {
            buf.set_line(
                body.x + 1,
                body.y + 1,
                &Line::styled("No possible duplicates wait.", theme.dim()),
                width,
            );
            return;
        }
        let bottom = body.y + body.height;
        // The confirmation takes the last line of the body.
        let list_bottom = if self.pending.is_some() {
            bottom.saturating_sub(1)
        } else {
            bottom
        };
        // Three lines per item; keep the selected one in view.
        let per_page = (body.height.saturating_sub(1) / 3).max(1) as usize;
        let first = (self.selected / 2).saturating_sub(per_page.saturating_sub(1));
        let mut y = body.y;
        for (i, item) in self.items.iter().enumerate().skip(first) {
            if y + 2 >= list_bottom {
                break;
            }
            buf.set_line(
                body.x + 1,
                y,
                &Line::styled(
                    truncate(
                        &format!(
                            "Possible duplicate {} of {}: same name and date of birth",
                            i + 1,
                            self.items.len()
                        ),
                        w,
                    ),
                    theme.header(),
                ),
                width,
            );
            for (n, s) in [&item.a, &item.b].into_iter().enumerate() {
                let here = self.selected == 2 * i + n;
                let text = format!("{} {}", if here { "▸" } else { " " }, side_line(s));
                let style = if here { theme.selected() } else { theme.base() };
                buf.set_line(
                    body.x + 1,
                    y + 1 + n as u16,
                    &Line::styled(truncate(&text, w), style),
                    width,
                );
            }
            y += 3;
        }
        if let Some((kept, merged)) = &self.pending {
            let text = format!(
                "Keep {} and merge {} into it? y merges · any other key cancels",
                kept.reference, merged.reference
            );
            buf.set_line(
                body.x + 1,
                bottom.saturating_sub(1),
                &Line::styled(truncate(&text, w), theme.selected()),
                width,
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
