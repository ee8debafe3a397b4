//! The `?` help overlay: the keys bound where the worker is, read from the keymap itself,
//! filtered as they type.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::form::truncate;
use super::keymap::{Action, Context, KeyMap};
use super::text_line::{Edit, TextLine};
use super::theme::Theme;

pub struct Help {
    /// The contexts under the overlay (innermost first), whose bindings are listed.
    contexts: Vec<Context>,
    filter: TextLine,
    scroll: usize,
    page: usize,
}

impl Help {
    pub fn new(contexts: Vec<Context>) -> Help {
        Help {
            contexts,
            filter: TextLine::new(40),
            scroll: 0,
            page: 10,
        }
    }

    /// A key while the help is open. Returns false when the help should close.
    pub fn key(&mut self, ev: &KeyEvent, action: Option<Action>) -> bool {
        match action {
            Some(Action::Back) => return false,
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => self.scroll += 1,
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(self.page),
            Some(Action::PageDown) => self.scroll += self.page,
            _ => {
                if self.filter.key(ev) == Edit::Changed {
                    self.scroll = 0;
                }
            }
        }
        true
    }

    pub fn paste(&mut self, text: &str) {
        self.filter.paste(text);
        self.scroll = 0;
    }

    /// The lines listed: a heading per context, then `keys  what it does`.
    pub fn lines(&self, keymap: &KeyMap) -> Vec<(Option<Context>, String, String)> {
        let needle = self.filter.value().trim().to_lowercase();
        let mut out = Vec::new();
        let mut last: Option<Context> = None;
        for (b, ctx) in keymap.active(&self.contexts) {
            let keys = b.keys_label();
            let hay = format!("{keys} {} {}", b.description, b.action.name()).to_lowercase();
            if !needle.is_empty() && !hay.contains(&needle) {
                continue;
            }
            if last != Some(ctx) {
                out.push((Some(ctx), String::new(), String::new()));
                last = Some(ctx);
            }
            out.push((None, keys, b.description.to_string()));
        }
        out
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, keymap: &KeyMap, theme: Theme) {
        let w = area.width.saturating_sub(6).min(72);
        let h = area.height.saturating_sub(4);
        if w < 30 || h < 6 {
            return;
        }
        let popup = Rect::new(area.x + (area.width - w) / 2, area.y + 2, w, h);
        frame.render_widget(Clear, popup);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(" Keys here — type to filter, Esc closes ");
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let filter_line = Line::from(vec![
            Span::styled("filter: ", theme.dim()),
            Span::raw(self.filter.value().to_string()),
        ]);
        frame
            .buffer_mut()
            .set_line(inner.x, inner.y, &filter_line, inner.width);
        frame.set_cursor_position(Position::new(
            (inner.x + 8 + self.filter.cursor() as u16).min(inner.right().saturating_sub(1)),
            inner.y,
        ));
        let list_h = inner.height.saturating_sub(1) as usize;
        self.page = list_h.max(1);
        let entries = self.lines(keymap);
        self.scroll = self.scroll.min(entries.len().saturating_sub(list_h));
        let keys_w = 14usize;
        let lines: Vec<Line> = if entries.is_empty() {
            vec![Line::styled("No key matches the filter.", theme.dim())]
        } else {
            entries
                .iter()
                .skip(self.scroll)
                .take(list_h)
                .map(|(ctx, keys, desc)| match ctx {
                    Some(c) => Line::styled(
                        match c {
                            Context::Always => "Everywhere".to_string(),
                            Context::Global => "Anywhere (not while typing)".to_string(),
                            other => capitalise(other.label()),
                        },
                        theme.header(),
                    ),
                    None => Line::from(vec![
                        Span::styled(
                            format!("  {:<keys_w$}", truncate(keys, keys_w)),
                            theme.key(),
                        ),
                        Span::raw(desc.clone()),
                    ]),
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

impl super::component::Component for Help {
    fn title(&self) -> Option<String> {
        None
    }

    fn contexts(&self) -> Vec<Context> {
        vec![Context::Help]
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
        if Help::key(self, k, action) {
            super::component::Step::Done
        } else {
            super::component::Step::Close(None)
        }
    }

    fn paste(&mut self, text: &str, _env: &mut super::component::Env) -> super::component::Step {
        Help::paste(self, text);
        super::component::Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, _body: Rect, theme: Theme, keys: &KeyMap) {
        let area = frame.area();
        Help::draw(self, frame, area, keys, theme);
    }

    crate::as_any!();
}
