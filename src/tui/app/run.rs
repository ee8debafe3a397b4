//! The loop: draw, then for each terminal event update and draw again. Input is any iterator
//! of events, so tests feed scripted keys through the same loop production reads from
//! crossterm.

use std::io;

use anyhow::Result;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use ratatui::Terminal;

use super::App;
use crate::tui::export::ExportScreen;
use crate::tui::msg::StatusKind;

impl App {
    /// Runs the loop: draws, then for each event updates and draws again, until the worker
    /// quits or the events end.
    pub fn run_loop<B, I>(&mut self, terminal: &mut Terminal<B>, events: I) -> Result<()>
    where
        B: Backend,
        B::Error: Send + Sync + 'static,
        I: IntoIterator<Item = io::Result<Event>>,
    {
        terminal.draw(|f| self.draw(f))?;
        if !self.dues_loaded {
            self.load_dues();
            terminal.draw(|f| self.draw(f))?;
        }
        for ev in events {
            self.handle_event(ev?);
            if self.quit {
                break;
            }
            terminal.draw(|f| self.draw(f))?;
            self.run_waiting_export(terminal)?;
        }
        Ok(())
    }

    /// Runs an export the export screen is waiting on (its "writing…" state already drawn),
    /// drawing each stage as it is reached, then the result.
    fn run_waiting_export<B>(&mut self, terminal: &mut Terminal<B>) -> Result<()>
    where
        B: Backend,
        B::Error: Send + Sync + 'static,
    {
        let Some(screen) = self
            .stack
            .last_mut()
            .and_then(|c| c.as_any_mut().downcast_mut::<ExportScreen>())
        else {
            return Ok(());
        };
        let dir = self.ctx.config_dir.as_deref();
        let (store, cal, codes) = (&self.store, &self.calendar, &self.codes);
        if let Some(warning) = screen.run_waiting(terminal, store, cal, codes, dir, self.theme) {
            self.set_status(StatusKind::Warning, warning);
        }
        terminal.draw(|f| self.draw(f))?;
        Ok(())
    }

    /// One terminal event.
    pub fn handle_event(&mut self, ev: Event) {
        self.poll_loading();
        if !self.dues_loaded {
            self.load_dues();
        }
        // Idle too long: the lock comes first, and the key that woke the terminal is spent on
        // showing it (it is not taken as the first letter of the password).
        let now = self.ctx.clock.now();
        let was_locked = self.is_locked();
        self.tick(now);
        if self.is_locked() && !was_locked {
            self.touched(now);
            return;
        }
        match ev {
            // Only presses: terminals that report releases and repeats would double every key.
            Event::Key(k) if k.kind == KeyEventKind::Press => {
                self.touched(now);
                self.handle_key(k)
            }
            Event::Paste(text) => {
                self.touched(now);
                self.handle_paste(&text)
            }
            // A focus event is the loop's tick (see `tui::run`).
            _ => {}
        }
    }
}
