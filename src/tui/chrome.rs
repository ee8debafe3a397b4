//! The frame around every screen: the title bar (what is open, who, which day), the status
//! bar (a message, or the keys that work here), and the notice of a terminal too small.

use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::form::truncate;
use super::msg::{Status, StatusKind};
use super::theme::Theme;

/// The smallest terminal the app draws in; below it, a message says what is needed.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Says what size is needed when the terminal is smaller; true when it did.
pub fn too_small(frame: &mut Frame) -> bool {
    let area = frame.area();
    if area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT {
        return false;
    }
    let msg = format!(
        "Terminal too small — need at least {MIN_WIDTH}×{MIN_HEIGHT} (now {}×{}). \
         Make the window bigger, or press Ctrl-C to leave; nothing typed is lost.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
    true
}

/// The title bar, the body and the status bar. A long message (e.g. several bad keymap
/// entries) takes up to three lines.
pub fn areas(area: Rect, status: Option<&Status>) -> [Rect; 3] {
    let status_h = status.map_or(1, |s| {
        let n = s.text.chars().count() + 2;
        let w = area.width as usize;
        if n <= w {
            1
        } else {
            (n / w + 1).min(3) as u16
        }
    });
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(status_h),
    ])
    .areas(area)
}

/// ` casebook │ what` on the left; the worker and the day (marked when `--as-of` moved it) on
/// the right.
pub fn draw_title(
    frame: &mut Frame,
    area: Rect,
    what: &str,
    (worker, today, as_of): (&str, NaiveDate, bool),
    theme: Theme,
) {
    let right = format!(
        "{} · {}{} ",
        worker,
        today.format("%a %d %b %Y"),
        if as_of { " (as of)" } else { "" }
    );
    let w = area.width as usize;
    let right_w = right.chars().count().min(w / 2);
    // One space at least between the two halves.
    let left_w = w.saturating_sub(right_w + 1);
    let left = truncate(&format!(" casebook │ {what}"), left_w);
    let line = Line::from(vec![
        Span::raw(format!("{left:<left_w$} ")),
        Span::raw(truncate(&right, right_w)),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.title_bar()), area);
}

/// The message, if there is one; otherwise as many of the keys that work here as fit.
pub fn draw_status(
    frame: &mut Frame,
    area: Rect,
    status: Option<&Status>,
    hints: &[(String, &str)],
    theme: Theme,
) {
    let w = area.width as usize;
    if let Some(s) = status {
        let (mark, style) = match s.kind {
            StatusKind::Info => ("✓ ", theme.info()),
            StatusKind::Warning => ("! ", theme.warning()),
            StatusKind::Error => ("✗ ", theme.error()),
        };
        let text = truncate(&format!("{mark}{}", s.text), w * area.height as usize);
        frame.render_widget(
            Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, hint) in hints {
        let piece = key.chars().count() + hint.chars().count() + 3;
        if used + piece > w {
            break;
        }
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::styled(format!(" {hint} "), theme.dim()));
        used += piece;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
