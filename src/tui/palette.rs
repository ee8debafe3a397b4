//! The `:` command palette: every action and screen by name, fuzzy-matched as the worker types.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::form::truncate;
use super::keymap::{Action, KeyMap};
use super::msg::Section;
use super::text_line::TextLine;
use super::theme::Theme;

pub use super::msg::Command;

/// One entry: its name, what it runs, and its key (if any) as a reminder.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    pub command: Command,
    pub key: String,
    hay: Utf32String,
}

pub struct Palette {
    input: TextLine,
    entries: Vec<Entry>,
    shown: Vec<usize>,
    cursor: usize,
    matcher: Matcher,
}

impl Palette {
    /// A palette listing every action, the caseload screens and, when a case is open, its
    /// sections.
    pub fn new(keymap: &KeyMap, case_open: bool) -> Palette {
        let mut entries = Vec::new();
        let mut push = |title: String, command: Command, key: String| {
            let hay = Utf32String::from(title.as_str());
            entries.push(Entry {
                title,
                command,
                key,
                hay,
            });
        };
        push(
            "Go to: my caseload".into(),
            Command::MyCaseload,
            String::new(),
        );
        push(
            "Go to: whole team's caseload".into(),
            Command::TeamCaseload,
            String::new(),
        );
        if case_open {
            for s in Section::ALL {
                push(
                    format!("Case view: {}", s.title()),
                    Command::Section(s),
                    String::new(),
                );
            }
        }
        for a in Action::ALL {
            if matches!(a, Action::Palette) {
                continue;
            }
            let key = keymap
                .bindings()
                .iter()
                .find(|b| b.action == a)
                .and_then(|b| b.keys.first())
                .map(|k| k.to_string())
                .unwrap_or_default();
            push(a.title().to_string(), Command::Action(a), key);
        }
        let mut p = Palette {
            input: TextLine::new(60),
            shown: (0..entries.len()).collect(),
            entries,
            cursor: 0,
            matcher: Matcher::new(Config::DEFAULT),
        };
        p.refilter();
        p
    }

    fn refilter(&mut self) {
        let q = self.input.value().trim();
        if q.is_empty() {
            self.shown = (0..self.entries.len()).collect();
        } else {
            let pattern = Pattern::new(
                q,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            );
            let mut scored: Vec<(usize, u32)> = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    pattern
                        .score(e.hay.slice(..), &mut self.matcher)
                        .map(|s| (i, s))
                })
                .collect();
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            self.shown = scored.into_iter().map(|(i, _)| i).collect();
        }
        self.cursor = 0;
    }

    /// Titles shown, best first (for tests).
    pub fn shown_titles(&self) -> Vec<&str> {
        self.shown
            .iter()
            .map(|&i| self.entries[i].title.as_str())
            .collect()
    }

    pub fn selected(&self) -> Option<Command> {
        self.shown
            .get(self.cursor)
            .map(|&i| self.entries[i].command)
    }

    /// A key while the palette is open. Returns what the caller should do.
    pub fn key(&mut self, ev: &KeyEvent, action: Option<Action>) -> PaletteOutcome {
        match action {
            Some(Action::Back) => PaletteOutcome::Close,
            Some(Action::Open) => match self.selected() {
                Some(c) => PaletteOutcome::Run(c),
                None => PaletteOutcome::Stay,
            },
            Some(Action::Up) => {
                self.cursor = self.cursor.saturating_sub(1);
                PaletteOutcome::Stay
            }
            Some(Action::Down) => {
                self.cursor = (self.cursor + 1).min(self.shown.len().saturating_sub(1));
                PaletteOutcome::Stay
            }
            _ => {
                if self.input.key(ev) == super::text_line::Edit::Changed {
                    self.refilter();
                }
                PaletteOutcome::Stay
            }
        }
    }

    pub fn paste(&mut self, text: &str) {
        if self.input.paste(text).0 {
            self.refilter();
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        let w = area.width.saturating_sub(8).min(70);
        let h = area.height.saturating_sub(4).min(16);
        if w < 30 || h < 5 {
            return;
        }
        let popup = Rect::new(area.x + (area.width - w) / 2, area.y + 2, w, h);
        frame.render_widget(Clear, popup);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(" Commands — type to search, Enter runs, Esc closes ");
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        frame.buffer_mut().set_line(
            inner.x,
            inner.y,
            &Line::from(vec![
                Span::styled(": ", theme.key()),
                Span::raw(self.input.value().to_string()),
            ]),
            inner.width,
        );
        frame.set_cursor_position(Position::new(
            (inner.x + 2 + self.input.cursor() as u16).min(inner.right().saturating_sub(1)),
            inner.y,
        ));
        let list_h = inner.height.saturating_sub(1) as usize;
        let start = self.cursor.saturating_sub(list_h.saturating_sub(1));
        let key_w = 10usize;
        let title_w = (inner.width as usize).saturating_sub(key_w + 1);
        let lines: Vec<Line> = if self.shown.is_empty() {
            vec![Line::styled("Nothing matches.", theme.dim())]
        } else {
            self.shown
                .iter()
                .enumerate()
                .skip(start)
                .take(list_h)
                .map(|(pos, &i)| {
                    let e = &self.entries[i];
                    let style = if pos == self.cursor {
                        theme.selected()
                    } else {
                        theme.base()
                    };
                    Line::from(vec![
                        Span::styled(format!("{:<title_w$}", truncate(&e.title, title_w)), style),
                        Span::styled(format!(" {:>key_w$}", truncate(&e.key, key_w)), theme.dim()),
                    ])
                })
                .collect()
        };
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(
                inner.x,
                inner.y + 1,
                inner.width,
                inner.height.saturating_sub(1),
            ),
        );
    }
}

/// What the palette asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteOutcome {
    Stay,
    Close,
    Run(Command),
}

impl super::component::Component for Palette {
    fn title(&self) -> Option<String> {
        None
    }

    fn contexts(&self) -> Vec<super::keymap::Context> {
        vec![super::keymap::Context::Palette]
    }

    fn layer(&self) -> super::component::Layer {
        super::component::Layer::Overlay
    }

    fn key(
        &mut self,
        k: &KeyEvent,
        action: Option<Action>,
        _env: &mut super::component::Env,
    ) -> super::component::Step {
        use super::component::Step;
        match Palette::key(self, k, action) {
            PaletteOutcome::Stay => Step::Done,
            PaletteOutcome::Close => Step::Close(None),
            PaletteOutcome::Run(cmd) => Step::Close(Some(super::msg::Msg::Command(cmd))),
        }
    }

    fn paste(&mut self, text: &str, _env: &mut super::component::Env) -> super::component::Step {
        Palette::paste(self, text);
        super::component::Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, _body: Rect, theme: Theme, _keys: &KeyMap) {
        let area = frame.area();
        Palette::draw(self, frame, area, theme);
    }

    crate::as_any!();
}
