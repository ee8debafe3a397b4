//! A screen is a component: it turns a resolved key action into a [`Step`], draws its cached
//! view model into an area, names the keymap contexts it offers (so help, hints and the
//! palette come from the one keymap), and reads again after a write that touched it.
//!
//! The app keeps a stack of components (the caseload at the bottom) and offers each key to the
//! top one; what it passes on, the app's global keys may take (as gitui offers events to its
//! components in order until one consumes it).

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::due_list::BoardEnv;
use super::dues::Dues;
use super::keymap::{Action, Context, KeyMap};
use super::msg::{Msg, Status, StatusKind, Written};
use super::theme::Theme;
use crate::domain::calendar::Calendar;
use crate::domain::codes::CodeLists;
use crate::domain::record::Worker;
use crate::store::Store;

/// What a component is given to act: the store (the one way to write), the calendar and code
/// lists, the clock's today and now, and who is signed in.
pub struct Env<'a> {
    pub store: &'a mut Store,
    pub calendar: &'a Calendar,
    pub codes: &'a Rc<CodeLists>,
    pub keymap: &'a KeyMap,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub worker: &'a Worker,
    pub worker_names: &'a HashMap<String, String>,
    /// The whole service's due-list, worked out once and shared.
    pub dues: &'a Dues,
    /// A status-bar message a component sets while it goes on (a live note under a field).
    pub status: Option<Status>,
}

impl Env<'_> {
    pub fn worker_id(&self) -> &str {
        &self.worker.id
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            kind: StatusKind::Warning,
            text: text.into(),
        });
    }

    /// What the boards read through.
    pub fn board(&self) -> BoardEnv<'_> {
        BoardEnv {
            store: self.store,
            calendar: self.calendar,
            codes: self.codes,
            today: self.today,
            now: self.now,
            worker_id: &self.worker.id,
            worker_names: self.worker_names,
            dues: self.dues,
        }
    }
}

/// What a key (or a paste) came to.
pub enum Step {
    /// Used; nothing more to do.
    Done,
    /// Not this component's: the app's global keys may take it.
    Pass,
    /// Used, and the app should do this.
    Msg(Msg),
    /// This component is finished: pop it, then do the message (if any) below it.
    Close(Option<Msg>),
    /// Open this component over this one.
    Push(Box<dyn Component>),
}

impl Step {
    pub fn status(kind: StatusKind, text: impl Into<String>) -> Step {
        Step::Msg(Msg::Status(kind, text.into()))
    }
}

/// How a component sits on the one below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// Takes the whole body.
    Screen,
    /// Drawn over the body with the screen below still showing (a small form over the plan).
    Popup,
    /// Drawn over the whole frame (help, the palette); the title keeps the screen's name.
    Overlay,
}

pub trait Component: Any {
    /// The title bar's words; `None` keeps the title of the screen below.
    fn title(&self) -> Option<String>;

    /// The keymap contexts in force, innermost first (the app adds `Always`).
    fn contexts(&self) -> Vec<Context>;

    fn layer(&self) -> Layer {
        Layer::Screen
    }

    /// A key, already resolved against the keymap to `action` (when it is bound here).
    fn key(&mut self, key: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step;

    /// Pasted text; `Pass` when nothing here takes it.
    fn paste(&mut self, _text: &str, _env: &mut Env) -> Step {
        Step::Pass
    }

    /// Draws the cached view model; `body` is below the title bar, `frame.area()` the whole.
    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap);

    /// Reads again after a write, if the write touched what this shows.
    fn written(&mut self, _w: &Written, _env: &Env) -> Result<()> {
        Ok(())
    }

    /// Reads everything again (Ctrl-R).
    fn reload(&mut self, _env: &Env) -> Result<()> {
        Ok(())
    }

    /// An up-to-date due-list as of `as_of` arrived from the background reader (after a
    /// write or Ctrl-R); a screen that shows it reads it again.
    fn dues_arrived(&mut self, _as_of: NaiveDate, _env: &Env) -> Result<()> {
        Ok(())
    }

    /// The worker is leaving: keep what must not be lost (a form's draft).
    fn quitting(&mut self, _env: &mut Env) {}

    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// The two `Any` methods every component writes the same way.
#[macro_export]
macro_rules! as_any {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
    };
}
