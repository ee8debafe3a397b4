//! Comparing two versions of a care plan: by default the latest against the one before; the
//! worker steps either side through the versions and reads `diff_versions`' lines.

use std::rc::Rc;

use anyhow::Result;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{ddmmyyyy, CareMsg};
use crate::domain::care_plan::{diff_versions, CarePlan};
use crate::domain::codes::CodeLists;
use crate::store::{care_plans, Store};
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::theme::Theme;

pub struct Compare {
    /// Every version, oldest first.
    plans: Vec<CarePlan>,
    from: usize,
    to: usize,
    codes: Rc<CodeLists>,
    scroll: usize,
}

impl Compare {
    pub fn load(store: &Store, episode_id: &str, codes: &Rc<CodeLists>) -> Result<Compare> {
        let mut plans = Vec::new();
        let mut versions = care_plans::plan_versions(store, episode_id)?;
        versions.sort_by_key(|v| v.version);
        for v in versions {
            if let Some(p) = care_plans::plan_version(store, episode_id, v.version)? {
                plans.push(p);
            }
        }
        let to = plans.len().saturating_sub(1);
        Ok(Compare {
            from: to.saturating_sub(1),
            to,
            plans,
            codes: Rc::clone(codes),
            scroll: 0,
        })
    }

    /// The versions compared (from, to).
    pub fn versions(&self) -> Option<(u32, u32)> {
        Some((
            self.plans.get(self.from)?.version,
            self.plans.get(self.to)?.version,
        ))
    }

    /// The differences between the two versions, one readable line each.
    pub fn lines(&self) -> Vec<String> {
        match (self.plans.get(self.from), self.plans.get(self.to)) {
            (Some(a), Some(b)) if self.from != self.to => diff_versions(a, b)
                .iter()
                .map(|c| c.line(&self.codes))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn action(&mut self, a: Action) -> Option<CareMsg> {
        let last = self.plans.len().saturating_sub(1);
        match a {
            Action::Back => return Some(CareMsg::CloseScreen),
            Action::EarlierFrom => self.from = self.from.saturating_sub(1),
            Action::LaterFrom => self.from = (self.from + 1).min(self.to.saturating_sub(1)),
            Action::EarlierTo => self.to = self.to.saturating_sub(1).max(self.from + 1).min(last),
            Action::LaterTo => self.to = (self.to + 1).min(last),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll += 1,
            _ => return None,
        }
        if !matches!(a, Action::Up | Action::Down) {
            self.scroll = 0;
        }
        None
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        let key = |a: Action| {
            keys.key_for(a, Context::Compare)
                .map_or_else(|| ":".to_string(), |k| k.to_string())
        };
        let mut out = Vec::new();
        if self.plans.len() < 2 {
            out.push(Line::styled("Comparing versions", theme.header()));
            out.push(Line::raw(""));
            out.push(Line::raw(
                "There is only one version so far: a review makes the next one.",
            ));
            frame.render_widget(Paragraph::new(out), area);
            return;
        }
        let (a, b) = (&self.plans[self.from], &self.plans[self.to]);
        out.push(Line::styled(
            format!(
                "Version {} ({}) → version {} ({})",
                a.version,
                ddmmyyyy(a.date),
                b.version,
                ddmmyyyy(b.date)
            ),
            theme.header(),
        ));
        out.push(Line::styled(
            format!(
                "{}/{} pick the earlier version, {}/{} the later ({} versions)",
                key(Action::EarlierFrom),
                key(Action::LaterFrom),
                key(Action::EarlierTo),
                key(Action::LaterTo),
                self.plans.len()
            ),
            theme.dim(),
        ));
        out.push(Line::raw(""));
        let lines = self.lines();
        if lines.is_empty() {
            out.push(Line::raw("No differences."));
        }
        let body_h = (area.height as usize).saturating_sub(out.len());
        self.scroll = self.scroll.min(lines.len().saturating_sub(body_h));
        out.extend(
            lines
                .into_iter()
                .skip(self.scroll)
                .map(|l| Line::raw(format!("• {l}"))),
        );
        frame.render_widget(Paragraph::new(out).wrap(Wrap { trim: false }), area);
    }
}
