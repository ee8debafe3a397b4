//! The lock screen: over everything, showing no one's record, until the signed-in worker types
//! their password. It opens after `IDLE_LOCK_MINUTES` without a key, or at once with Ctrl-L.
//! The password is checked against the key file the way sign-in checks it (wrong ones are
//! counted there, and the sixth in a row locks the worker out for 15 minutes).

use std::path::PathBuf;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::component::{Component, Env, Step};
use super::keymap::{Action, Context, KeyMap};
use super::msg::{Msg, StatusKind};
use super::text_line::TextLine;
use super::theme::Theme;
use crate::store::sign_in;

/// The longest password the lock takes (a paste of a whole document is not a password).
const PASSWORD_MAX: usize = 256;

pub struct LockScreen {
    db: PathBuf,
    password: TextLine,
    message: Option<String>,
}

impl LockScreen {
    pub fn new(db: PathBuf) -> LockScreen {
        LockScreen {
            db,
            password: TextLine::new(PASSWORD_MAX),
            message: None,
        }
    }

    fn unlock(&mut self, env: &Env) -> Step {
        let typed = std::mem::replace(&mut self.password, TextLine::new(PASSWORD_MAX));
        if typed.value().is_empty() {
            self.message = Some("Type your password, then press Enter".into());
            return Step::Done;
        }
        match sign_in::sign_in(&self.db, &env.worker.name, typed.value(), env.now) {
            // The check opened a second handle on the file; it closes here.
            Ok(_) => Step::Close(Some(Msg::Status(StatusKind::Info, "Unlocked".into()))),
            Err(e) => {
                self.message = Some(match sign_in::refusal(&e) {
                    Some(r) => r.to_string(),
                    None => format!("Cannot check the password: {e:#}"),
                });
                Step::Done
            }
        }
    }
}

impl Component for LockScreen {
    fn title(&self) -> Option<String> {
        Some("Locked".into())
    }

    fn contexts(&self) -> Vec<Context> {
        vec![Context::Locked]
    }

    fn key(&mut self, k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        match action {
            Some(Action::Open) => self.unlock(env),
            // Nothing else leaves the lock; every other key is part of the password.
            _ => {
                self.password.key(k);
                Step::Done
            }
        }
    }

    fn paste(&mut self, text: &str, _env: &mut Env) -> Step {
        if self.password.paste(text).1 {
            self.message = Some(format!(
                "A password holds at most {PASSWORD_MAX} characters"
            ));
        }
        Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, _keys: &KeyMap) {
        frame.render_widget(Clear, body);
        let w = body.width.saturating_sub(4).min(60);
        let h = 8u16.min(body.height);
        let area = Rect::new(
            body.x + (body.width - w) / 2,
            body.y + body.height.saturating_sub(h) / 3,
            w,
            h,
        );
        let dots = "•".repeat(
            self.password
                .value()
                .chars()
                .count()
                .min((w as usize).saturating_sub(14)),
        );
        let mut lines = vec![
            Line::raw("casebook is locked: no record shows until you unlock it."),
            Line::raw(""),
            Line::raw(format!("Password: {dots}")),
            Line::raw(""),
        ];
        if let Some(m) = &self.message {
            lines.push(Line::styled(m.clone(), theme.error()));
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(" Locked "),
            ),
            area,
        );
    }

    crate::as_any!();
}
