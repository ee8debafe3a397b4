//! A form as a screen: the fields, the draft kept as the worker types (and offered back when
//! the form opens again), and a purpose that knows how to save it. Every form in the app (a
//! contact, a risk flag, the intake forms, the care forms) is this one component with its own
//! [`FormPurpose`].

use chrono::{DateTime, Local};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::component::{Component, Env, Layer, Step};
use super::form::{truncate, Form, FormEvent};
use super::keymap::{Action, Context, KeyMap};
use super::msg::{Msg, StatusKind, Written};
use super::theme::Theme;
use crate::store::drafts::{self, Draft};

/// What a save came to.
pub enum Saved {
    /// Refused or failed: the message is for the status bar; the form stays open.
    Refused(String),
    /// Written: the message says so; `next_form` carries on (the outreach tally resets).
    Done {
        msg: Msg,
        next_form: Option<Box<Form>>,
    },
}

/// What a form is for: how its keys differ from the plain form's, and how it saves.
pub trait FormPurpose {
    /// A key the form gets; the intake forms add their own.
    fn key(
        &mut self,
        form: &mut Form,
        k: &KeyEvent,
        action: Option<Action>,
        env: &mut Env,
    ) -> FormEvent {
        let _ = env;
        form.handle_key(k, action)
    }

    /// Checks the form and writes it, in one transaction with the draft's removal.
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved;

    /// The young person the form is about (the case view's draft note follows the form).
    fn young_person(&self) -> Option<&str> {
        None
    }

    /// A small form drawn over the lower part of the screen below (the care plan's).
    fn small(&self) -> bool {
        false
    }

    /// Lines read from the record shown above the fields (the follow-up form's earlier
    /// attempts); none for most forms.
    fn preface(&self) -> &[String] {
        &[]
    }
}

pub struct FormScreen {
    pub form: Form,
    purpose: Box<dyn FormPurpose>,
    /// A draft found when the form opened, waiting for restore or discard.
    pub offer: Option<Draft>,
}

impl FormScreen {
    /// Opens `form`, offering a draft kept from before.
    pub fn open(form: Form, purpose: Box<dyn FormPurpose>, env: &Env) -> FormScreen {
        let offer = drafts::load(env.store, env.worker_id(), &form.key).unwrap_or_default();
        FormScreen {
            form,
            purpose,
            offer,
        }
    }

    /// As a step: the form opened over the current screen.
    pub fn push(form: Form, purpose: Box<dyn FormPurpose>, env: &Env) -> Step {
        Step::Push(Box::new(FormScreen::open(form, purpose, env)))
    }

    fn close(&mut self, env: &mut Env) -> Step {
        let kept = drafts::load(env.store, env.worker_id(), &self.form.key)
            .ok()
            .flatten()
            .is_some();
        let message = if kept {
            "Form closed; its draft is kept — reopen the form to restore or discard it"
        } else {
            ""
        };
        Step::Close(Some(self.told(message)))
    }

    /// A message about the form's draft: the case it belongs to reads its draft note again.
    fn told(&self, message: &str) -> Msg {
        match self.purpose.young_person() {
            Some(yp) => Msg::Written(Written::of(yp, message)),
            None if message.is_empty() => Msg::Many(Vec::new()),
            None => Msg::Status(StatusKind::Info, message.into()),
        }
    }

    fn keep_draft(&self, env: &mut Env) -> Step {
        match drafts::save(
            env.store,
            env.worker_id(),
            &self.form.key,
            &self.form.draft_data(),
            env.now,
        ) {
            Ok(()) => Step::Done,
            Err(e) => Step::status(
                StatusKind::Error,
                format!("The draft could not be kept: {e}"),
            ),
        }
    }

    fn save(&mut self, env: &mut Env) -> Step {
        match self.purpose.save(&mut self.form, env) {
            Saved::Refused(text) => Step::status(StatusKind::Error, text),
            Saved::Done { msg, next_form } => match next_form {
                Some(f) => {
                    self.form = *f;
                    Step::Msg(msg)
                }
                None => Step::Close(Some(msg)),
            },
        }
    }

    /// Draws a form's title, its mode line and its fields into `body`.
    pub fn draw_form(form: &mut Form, frame: &mut Frame, body: Rect, theme: Theme) {
        Self::draw_form_with(form, &[], frame, body, theme);
    }

    /// As [`FormScreen::draw_form`], with `preface` lines between the mode line and the fields.
    pub fn draw_form_with(
        form: &mut Form,
        preface: &[String],
        frame: &mut Frame,
        body: Rect,
        theme: Theme,
    ) {
        let width = body.width.saturating_sub(2) as usize;
        let mode = if form.is_editing() {
            format!(
                "Editing {} — letters are text here; Esc stops editing",
                form.focused().map_or("", |f| f.label)
            )
        } else {
            "Moving between fields — Enter edits, Ctrl-S saves, Esc closes (draft kept)".to_string()
        };
        let buf = frame.buffer_mut();
        buf.set_line(
            body.x + 1,
            body.y,
            &Line::styled(truncate(&form.title, width), theme.header()),
            body.width.saturating_sub(1),
        );
        if body.height > 1 {
            buf.set_line(
                body.x + 1,
                body.y + 1,
                &Line::styled(truncate(&mode, width), theme.dim()),
                body.width.saturating_sub(1),
            );
        }
        // The preface keeps at least a few rows for the fields.
        let room = body.height.saturating_sub(3 + 6) as usize;
        let shown = preface.len().min(room);
        for (n, text) in preface[..shown].iter().enumerate() {
            let style = if n == 0 { theme.header() } else { theme.dim() };
            frame.buffer_mut().set_line(
                body.x + 1,
                body.y + 3 + n as u16,
                &Line::styled(truncate(text, width), style),
                body.width.saturating_sub(1),
            );
        }
        let top = 3 + if shown > 0 { shown as u16 + 1 } else { 0 };
        if body.height > top {
            let fields = Rect::new(body.x, body.y + top, body.width, body.height - top);
            form.draw(frame, fields, theme);
        }
    }

    fn draw_offer(d: &Draft, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        let key = |a: Action| {
            keys.key_for(a, Context::DraftOffer)
                .map_or_else(|| "?".to_string(), |k| k.to_string())
        };
        let w = body.width.saturating_sub(8).min(64);
        let h = 7u16.min(body.height);
        if w < 30 || h < 5 {
            return;
        }
        let popup = Rect::new(body.x + (body.width - w) / 2, body.y + 3, w, h);
        let when = DateTime::parse_from_rfc3339(&d.saved_at)
            .map(|t| {
                t.with_timezone(&Local)
                    .format("%d/%m/%Y at %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| "earlier".into());
        let text = vec![
            Line::raw(format!("A draft of this form was kept on {when}.")),
            Line::raw(""),
            Line::from(vec![
                Span::styled(key(Action::RestoreDraft), theme.key()),
                Span::raw(" restore it   "),
                Span::styled(key(Action::DiscardDraft), theme.key()),
                Span::raw(" discard it   "),
                Span::styled(key(Action::Back), theme.key()),
                Span::raw(" decide later"),
            ]),
        ];
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(theme.warning())
                    .title(" Draft waiting "),
            ),
            popup,
        );
    }
}

impl Component for FormScreen {
    fn title(&self) -> Option<String> {
        Some(self.form.name.clone())
    }

    fn contexts(&self) -> Vec<Context> {
        if self.offer.is_some() {
            vec![Context::DraftOffer, Context::Global]
        } else if self.form.is_editing() {
            vec![Context::Editing]
        } else {
            vec![Context::Form, Context::Global]
        }
    }

    fn layer(&self) -> Layer {
        if self.purpose.small() {
            Layer::Popup
        } else {
            Layer::Screen
        }
    }

    fn key(&mut self, k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        if self.offer.is_some() {
            return match action {
                Some(Action::RestoreDraft) => {
                    if let Some(d) = self.offer.take() {
                        self.form.restore(&d.data);
                    }
                    Step::status(StatusKind::Info, "Draft restored")
                }
                Some(Action::DiscardDraft) => {
                    self.offer = None;
                    match drafts::discard(env.store, env.worker_id(), &self.form.key) {
                        Ok(()) => Step::Msg(self.told("Draft discarded")),
                        Err(e) => Step::status(StatusKind::Error, e.to_string()),
                    }
                }
                Some(Action::Back) => self.close(env),
                _ => Step::Pass,
            };
        }
        match self.purpose.key(&mut self.form, k, action, env) {
            FormEvent::Changed => self.keep_draft(env),
            FormEvent::Save => self.save(env),
            FormEvent::Close => self.close(env),
            FormEvent::Handled => Step::Done,
            FormEvent::Ignored => Step::Pass,
        }
    }

    fn paste(&mut self, text: &str, env: &mut Env) -> Step {
        if self.offer.is_some() {
            return Step::Done;
        }
        let (ev, msg) = self.form.paste(text);
        if let Some(m) = msg {
            env.warn(m);
        }
        if ev == FormEvent::Changed {
            return self.keep_draft(env);
        }
        Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        if self.purpose.small() && body.height >= 12 {
            // Over the lower part, so the plan stays in view while a goal, action or cost is
            // typed: title, mode line, a gap, the fields, room for a wrapped message, the
            // border; an open choice list scrolls within it.
            let want = 3 + self.form.fields().len() as u16 + 4 + 1;
            let h = want.min(body.height - 2);
            let popup = Rect::new(body.x, body.y + body.height - h, body.width, h);
            frame.render_widget(Clear, popup);
            let block = Block::new()
                .borders(Borders::TOP)
                .border_style(theme.border());
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            Self::draw_form(&mut self.form, frame, inner, theme);
        } else {
            if self.purpose.small() {
                frame.render_widget(Clear, body);
            }
            Self::draw_form_with(&mut self.form, self.purpose.preface(), frame, body, theme);
        }
        if let Some(d) = &self.offer {
            Self::draw_offer(d, frame, body, theme, keys);
        }
    }

    fn quitting(&mut self, env: &mut Env) {
        // Already saved as typed; saving once more covers anything since.
        if self.offer.is_none() && self.form.has_changes() {
            let _ = self.keep_draft(env);
        }
    }

    crate::as_any!();
}
