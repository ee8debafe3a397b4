//! A one-line text box with a size limit, for filters and the palette. Keys it does not edit
//! with (Enter, Esc, arrows up and down) are left for the caller.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

#[derive(Debug, Clone, Default)]
pub struct TextLine {
    input: Input,
    max: usize,
}

/// What a key did to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Not an editing key.
    NotMine,
    /// Cursor moved or nothing changed.
    Same,
    Changed,
    /// Refused: the box is full.
    Full,
}

impl TextLine {
    pub fn new(max: usize) -> TextLine {
        TextLine {
            input: Input::default(),
            max,
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Where the cursor is, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.input.visual_cursor()
    }

    pub fn clear(&mut self) {
        self.input.reset();
    }

    pub fn key(&mut self, ev: &KeyEvent) -> Edit {
        if matches!(
            ev.code,
            KeyCode::Enter
                | KeyCode::Esc
                | KeyCode::Up
                | KeyCode::Down
                | KeyCode::Tab
                | KeyCode::BackTab
        ) {
            return Edit::NotMine;
        }
        let Some(req) = to_input_request(&Event::Key(*ev)) else {
            return Edit::NotMine;
        };
        if matches!(req, InputRequest::InsertChar(_))
            && self.input.value().chars().count() >= self.max
        {
            return Edit::Full;
        }
        match self.input.handle(req) {
            Some(s) if s.value => Edit::Changed,
            _ => Edit::Same,
        }
    }

    /// Inserts pasted text on one line, cut to the space left. Returns whether anything went in
    /// and whether some was left out.
    pub fn paste(&mut self, text: &str) -> (bool, bool) {
        let room = self.max.saturating_sub(self.input.value().chars().count());
        let mut n = 0;
        for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
            if n == room {
                return (n > 0, true);
            }
            self.input.handle(InputRequest::InsertChar(c));
            n += 1;
        }
        (n > 0, false)
    }
}
