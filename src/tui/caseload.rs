//! The caseload screen (home): a table of young people, mine or the whole team's, filtered as
//! the worker types and sorted by any column. The rows are loaded once into memory; filtering
//! and sorting happen there, and only the rows on screen are drawn, so 100,000 young people
//! stay smooth.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::due::{short_label, tiny_label, NextDue};
use super::form::truncate;
use super::keymap::{Action, Context, KeyMap};
use super::text_line::{Edit, TextLine};
use super::theme::Theme;
use crate::domain::record::{RiskLevel, Stage};
use crate::store::caseload::CaseloadRow;

/// The most a filter holds.
const FILTER_MAX: usize = 60;

/// Columns, in the order the sort key cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Reference,
    Name,
    Age,
    KeyWorker,
    Stage,
    NextDue,
    Risk,
    LastContact,
}

impl Column {
    const ALL: [Column; 8] = [
        Column::Reference,
        Column::Name,
        Column::Age,
        Column::KeyWorker,
        Column::Stage,
        Column::NextDue,
        Column::Risk,
        Column::LastContact,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Column::Reference => "reference",
            Column::Name => "name",
            Column::Age => "age",
            Column::KeyWorker => "key worker",
            Column::Stage => "stage",
            Column::NextDue => "next due",
            Column::Risk => "risk",
            Column::LastContact => "last contact",
        }
    }

    fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }
}

/// Per-row values worked out once at load (they depend on today, not on the view).
#[derive(Debug, Clone)]
struct Derived {
    age: Option<u32>,
    due: Option<NextDue>,
    stage: Option<Stage>,
    open: bool,
}

/// Which young people the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Open episodes where I am the key worker.
    Mine,
    /// Every open episode.
    Team,
}

pub struct CaseloadScreen {
    rows: Vec<CaseloadRow>,
    derived: Vec<Derived>,
    haystacks: Vec<Utf32String>,
    /// The string columns' orders as integers, worked out once per set of rows.
    ranks: Ranks,
    today: NaiveDate,
    worker_id: String,
    scope: Scope,
    /// Young people whose last episode has ended are shown too (one key away, never first).
    exited: bool,
    sort: Column,
    reverse: bool,
    /// Best matches first while a filter is typed; off once the worker picks a sort.
    rank_matches: bool,
    filter: TextLine,
    filtering: bool,
    matcher: Matcher,
    /// Each filter typed so far and the rows (with scores) it matched, shortest first: typing
    /// narrows the top entry's rows, backspace goes back to an entry without matching again.
    history: Vec<(String, Vec<(u32, u32)>)>,
    /// The whole list in the current sort order, and each row's position in it, so a
    /// keystroke re-sorts a view by comparing integers rather than strings.
    order: Option<Order>,
    /// Orders already worked out for other columns since the rows last changed, so going
    /// back to a column costs nothing.
    other_orders: Vec<Order>,
    view: Vec<u32>,
    /// Whether the next due items have been worked out yet.
    dues_known: bool,
    /// Only the first page is held; the whole list is being read in the background.
    partial: bool,
    selected: usize,
    offset: usize,
    page: usize,
}

struct Order {
    column: Column,
    reverse: bool,
    sorted: Vec<u32>,
    rank: Vec<u32>,
}

/// Each row's place among the references, names and key workers (equal values, equal
/// rank), so sorting by any column compares integers, never strings.
#[derive(Debug, Clone, Default)]
struct Ranks {
    /// Row indices in reference order.
    by_reference: Vec<u32>,
    /// Each row's position in `by_reference` (the tie-break of every sort).
    reference: Vec<u32>,
    name: Vec<u32>,
    worker: Vec<u32>,
}

impl Ranks {
    fn of(rows: &[CaseloadRow]) -> Ranks {
        let n = rows.len() as u32;
        let mut by_reference: Vec<u32> = (0..n).collect();
        by_reference
            .sort_unstable_by(|&a, &b| rows[a as usize].reference.cmp(&rows[b as usize].reference));
        let mut reference = vec![0u32; rows.len()];
        for (pos, &i) in by_reference.iter().enumerate() {
            reference[i as usize] = pos as u32;
        }
        Ranks {
            by_reference,
            reference,
            name: dense_ranks(rows.len(), |a, b| name_order(&rows[a], &rows[b])),
            worker: dense_ranks(rows.len(), |a, b| {
                opt_order(&rows[a].key_worker_name, &rows[b].key_worker_name)
            }),
        }
    }
}

/// Each item's rank in the order `cmp` gives, equal items sharing one.
fn dense_ranks(n: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..n as u32).collect();
    idx.sort_unstable_by(|&a, &b| cmp(a as usize, b as usize));
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (p, &i) in idx.iter().enumerate() {
        if p > 0 && cmp(idx[p - 1] as usize, i as usize) != std::cmp::Ordering::Equal {
            r = p as u32;
        }
        rank[i as usize] = r;
    }
    rank
}

/// The rows and everything worked out from them, made off the loop's thread when the whole
/// caseload is read in the background ([`CaseloadScreen::prepare`]).
pub struct PreparedRows {
    rows: Vec<CaseloadRow>,
    derived: Vec<Derived>,
    haystacks: Vec<Utf32String>,
    ranks: Ranks,
    dues_known: bool,
}

fn haystack(r: &CaseloadRow) -> Utf32String {
    Utf32String::from(format!(
        "{} {} {} {}",
        r.given_name,
        r.family_name,
        r.reference,
        r.postcode_district.as_deref().unwrap_or("")
    ))
}

impl CaseloadScreen {
    /// A screen over `rows`, for worker `worker_id`, as of `today`. Starts on the worker's own
    /// caseload, or the whole team's when they have none.
    pub fn new(
        rows: Vec<CaseloadRow>,
        dues: &HashMap<String, NextDue>,
        worker_id: &str,
        today: NaiveDate,
    ) -> CaseloadScreen {
        let mut s = CaseloadScreen {
            rows: Vec::new(),
            derived: Vec::new(),
            haystacks: Vec::new(),
            ranks: Ranks::default(),
            today,
            worker_id: worker_id.to_string(),
            scope: Scope::Mine,
            exited: false,
            sort: Column::NextDue,
            reverse: false,
            rank_matches: true,
            filter: TextLine::new(FILTER_MAX),
            filtering: false,
            matcher: Matcher::new(Config::DEFAULT),
            history: Vec::new(),
            order: None,
            other_orders: Vec::new(),
            view: Vec::new(),
            dues_known: false,
            partial: false,
            selected: 0,
            offset: 0,
            page: 10,
        };
        s.dues_known = !dues.is_empty();
        s.replace_rows(rows, dues);
        if s.view.is_empty() {
            s.scope = Scope::Team;
            s.refresh();
        }
        s
    }

    fn derive(row: &CaseloadRow, due: Option<NextDue>, today: NaiveDate) -> Derived {
        Derived {
            age: row.date_of_birth.and_then(|d| today.years_since(d)),
            due,
            stage: row.episode.as_ref().map(|e| e.stage()),
            open: row.episode.as_ref().is_some_and(|e| e.exit_date.is_none()),
        }
    }

    /// Replaces every row (after a full reload), keeping the view settings.
    pub fn replace_rows(&mut self, rows: Vec<CaseloadRow>, dues: &HashMap<String, NextDue>) {
        let prepared = Self::prepare(rows, dues, self.today);
        self.install(prepared);
    }

    /// Works out what the screen needs from `rows` as of `today` (any thread): the slow part
    /// of taking a whole caseload, so [`CaseloadScreen::install`] is quick.
    pub fn prepare(
        rows: Vec<CaseloadRow>,
        dues: &HashMap<String, NextDue>,
        today: NaiveDate,
    ) -> PreparedRows {
        PreparedRows {
            derived: rows
                .iter()
                .map(|r| Self::derive(r, dues.get(&r.young_person_id).copied(), today))
                .collect(),
            haystacks: rows.iter().map(haystack).collect(),
            ranks: Ranks::of(&rows),
            rows,
            dues_known: !dues.is_empty(),
        }
    }

    /// Takes prepared rows in place of the ones shown, keeping the view settings and the
    /// selected young person.
    pub fn install(&mut self, p: PreparedRows) {
        let keep = self.selected_id().map(str::to_string);
        self.dues_known |= p.dues_known;
        self.derived = p.derived;
        self.haystacks = p.haystacks;
        self.ranks = p.ranks;
        self.rows = p.rows;
        self.history.clear();
        self.order = None;
        self.other_orders.clear();
        self.refresh();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// Sets every young person's next due item (worked out after the first frame is drawn),
    /// then shows the list from the top in its order.
    pub fn set_dues(&mut self, dues: &HashMap<String, NextDue>) {
        for (r, d) in self.rows.iter().zip(self.derived.iter_mut()) {
            d.due = dues.get(&r.young_person_id).copied();
        }
        self.dues_known = true;
        self.history.clear();
        self.order = None;
        self.other_orders.clear();
        self.refresh();
        self.selected = 0;
        self.offset = 0;
    }

    /// Says the rows are only the first page while the rest is read (the title says so).
    pub fn set_partial(&mut self, partial: bool) {
        self.partial = partial;
    }

    /// The rows given last carry what is due (even when nothing is).
    pub fn mark_dues_known(&mut self) {
        self.dues_known = true;
    }

    /// Replaces (or adds) one young person's row after a write.
    pub fn upsert_row(&mut self, row: CaseloadRow, due: Option<NextDue>) {
        let keep = self.selected_id().map(str::to_string);
        let d = Self::derive(&row, due, self.today);
        let h = haystack(&row);
        let same_ranks = match self
            .rows
            .iter()
            .position(|r| r.young_person_id == row.young_person_id)
        {
            Some(i) => {
                let old = &self.rows[i];
                let same = old.reference == row.reference
                    && name_order(old, &row) == std::cmp::Ordering::Equal
                    && old.key_worker_name == row.key_worker_name;
                self.rows[i] = row;
                self.derived[i] = d;
                self.haystacks[i] = h;
                same
            }
            None => {
                self.rows.push(row);
                self.derived.push(d);
                self.haystacks.push(h);
                false
            }
        };
        // Most writes (a contact, a flag) leave the sorted strings as they were.
        if !same_ranks {
            self.ranks = Ranks::of(&self.rows);
        }
        self.history.clear();
        self.order = None;
        self.other_orders.clear();
        self.refresh();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    pub fn rows(&self) -> &[CaseloadRow] {
        &self.rows
    }

    /// The young people shown, in order (for tests and the count in the title).
    pub fn visible(&self) -> impl Iterator<Item = &CaseloadRow> {
        self.view.iter().map(|&i| &self.rows[i as usize])
    }

    pub fn visible_count(&self) -> usize {
        self.view.len()
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    pub fn set_scope(&mut self, scope: Scope) {
        if self.scope != scope {
            self.scope = scope;
            self.history.clear();
            self.refresh();
        }
    }

    pub fn sort(&self) -> (Column, bool) {
        (self.sort, self.reverse)
    }

    pub fn filter_text(&self) -> &str {
        self.filter.value()
    }

    pub fn is_filtering(&self) -> bool {
        self.filtering
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.view
            .get(self.selected)
            .map(|&i| self.rows[i as usize].young_person_id.as_str())
    }

    pub fn selected_row(&self) -> Option<&CaseloadRow> {
        self.view
            .get(self.selected)
            .map(|&i| &self.rows[i as usize])
    }

    fn select_id(&mut self, id: &str) {
        if let Some(p) = self
            .view
            .iter()
            .position(|&i| self.rows[i as usize].young_person_id == id)
        {
            self.selected = p;
        }
    }

    /// Live work by default: open episodes (mine, or the team's) and ended ones with work
    /// still due after the exit (a follow-up, the exit TOP; the clocks that run while an
    /// episode is open stop at its exit); with `exited`, every young person whose episode
    /// has ended as well.
    fn in_scope(&self, i: usize) -> bool {
        let d = &self.derived[i];
        let live = d.open || d.due.is_some() || self.exited;
        match self.scope {
            Scope::Team => live,
            Scope::Mine => {
                live && self.rows[i].key_worker_id.as_deref() == Some(self.worker_id.as_str())
            }
        }
    }

    /// Whether young people whose episode has ended are shown.
    pub fn shows_exited(&self) -> bool {
        self.exited
    }

    /// Sorts the whole list for the current column once (a sort change costs one full sort;
    /// every later keystroke reuses it).
    fn ensure_order(&mut self) {
        let fresh = self
            .order
            .as_ref()
            .is_some_and(|o| o.column == self.sort && o.reverse == self.reverse);
        if fresh {
            return;
        }
        if let Some(previous) = self.order.take() {
            self.other_orders.push(previous);
        }
        if let Some(i) = self
            .other_orders
            .iter()
            .position(|o| o.column == self.sort && o.reverse == self.reverse)
        {
            self.order = Some(self.other_orders.swap_remove(i));
            return;
        }
        let rows = &self.rows;
        let (sort, reverse) = (self.sort, self.reverse);
        // One u64 per row: the column's key (reversed for a reversed sort, absent values as
        // the largest) above the row's place by reference, which breaks ties.
        let ranks = &self.ranks;
        let mut keys: Vec<u64> = (0..rows.len())
            .map(|i| {
                let k = column_key(rows, &self.derived, ranks, sort, i);
                let k = if reverse { u32::MAX - k } else { k };
                (u64::from(k) << 32) | u64::from(ranks.reference[i])
            })
            .collect();
        keys.sort_unstable();
        let sorted: Vec<u32> = keys
            .iter()
            .map(|k| ranks.by_reference[(k & 0xffff_ffff) as usize])
            .collect();
        let mut rank = vec![0u32; rows.len()];
        for (pos, &i) in sorted.iter().enumerate() {
            rank[i as usize] = pos as u32;
        }
        self.order = Some(Order {
            column: sort,
            reverse,
            sorted,
            rank,
        });
    }

    /// Recomputes the view: scope, then filter, then order.
    fn refresh(&mut self) {
        self.ensure_order();
        let query = self.filter.value().trim().to_string();
        if query.is_empty() {
            self.history.clear();
            let Some(order) = self.order.as_ref() else {
                return;
            };
            let view: Vec<u32> = order
                .sorted
                .iter()
                .copied()
                .filter(|&i| self.in_scope(i as usize))
                .collect();
            self.view = view;
            self.selected = self.selected.min(self.view.len().saturating_sub(1));
            return;
        }
        // Go back to the longest earlier filter this one extends (after a backspace, the
        // earlier filter itself, with nothing to match again).
        while self
            .history
            .last()
            .is_some_and(|(q, _)| !query.starts_with(q.as_str()))
        {
            self.history.pop();
        }
        let reuse = self.history.last().is_some_and(|(q, _)| *q == query);
        if !reuse {
            let pattern = Pattern::new(
                &query,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            );
            // A longer query matches a subset of what its prefix matched: search only those.
            let candidates: Vec<u32> = match self.history.last() {
                Some((_, hits)) => hits.iter().map(|h| h.0).collect(),
                None => (0..self.rows.len() as u32)
                    .filter(|&i| self.in_scope(i as usize))
                    .collect(),
            };
            let mut out = Vec::new();
            for i in candidates {
                if let Some(score) =
                    pattern.score(self.haystacks[i as usize].slice(..), &mut self.matcher)
                {
                    out.push((i, score));
                }
            }
            self.history.push((query, out));
        }
        let Some(order) = self.order.as_ref() else {
            return;
        };
        let rank = &order.rank;
        let mut scored = self.history.last().map(|h| h.1.clone()).unwrap_or_default();
        if self.rank_matches {
            scored.sort_unstable_by_key(|&(i, score)| (std::cmp::Reverse(score), rank[i as usize]));
        } else {
            scored.sort_unstable_by_key(|&(i, _)| rank[i as usize]);
        }
        self.view = scored.into_iter().map(|(i, _)| i).collect();
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
    }

    /// A key while the filter is being typed. Returns whether it was used.
    pub fn filter_key(&mut self, ev: &ratatui::crossterm::event::KeyEvent) -> Edit {
        let e = self.filter.key(ev);
        if e == Edit::Changed {
            self.rank_matches = true;
            self.selected = 0;
            self.offset = 0;
            self.refresh();
        }
        e
    }

    /// Pasted text into the filter; returns true when some was left out.
    pub fn filter_paste(&mut self, text: &str) -> bool {
        let (changed, cut) = self.filter.paste(text);
        if changed {
            self.rank_matches = true;
            self.selected = 0;
            self.refresh();
        }
        cut
    }

    pub fn filter_max(&self) -> usize {
        self.filter.max()
    }

    /// An action on the screen. Returns true when it was used.
    pub fn action(&mut self, action: Action) -> bool {
        let last = self.view.len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page.max(1)),
            Action::PageDown => self.selected = (self.selected + self.page.max(1)).min(last),
            Action::Filter => self.filtering = true,
            Action::ToggleTeam => {
                let keep = self.selected_id().map(str::to_string);
                self.set_scope(match self.scope {
                    Scope::Mine => Scope::Team,
                    Scope::Team => Scope::Mine,
                });
                self.selected = 0;
                if let Some(id) = keep {
                    self.select_id(&id);
                }
            }
            Action::ShowExited => {
                let keep = self.selected_id().map(str::to_string);
                self.exited = !self.exited;
                self.history.clear();
                self.refresh();
                self.selected = 0;
                if let Some(id) = keep {
                    self.select_id(&id);
                }
            }
            Action::SortNext | Action::SortReverse => {
                let keep = self.selected_id().map(str::to_string);
                if action == Action::SortNext {
                    self.sort = self.sort.next();
                    self.reverse = false;
                } else {
                    self.reverse = !self.reverse;
                }
                self.rank_matches = false;
                self.refresh();
                if let Some(id) = keep {
                    self.select_id(&id);
                }
            }
            _ => return false,
        }
        true
    }

    /// Leaves filter typing, keeping (`keep`) or clearing the filter.
    pub fn end_filter(&mut self, keep: bool) {
        self.filtering = false;
        if !keep {
            let id = self.selected_id().map(str::to_string);
            self.filter.clear();
            self.refresh();
            if let Some(id) = id {
                self.select_id(&id);
            }
        }
    }

    /// Clears a kept filter (Esc on the list). Returns false when there was none.
    pub fn clear_filter(&mut self) -> bool {
        if self.filter.value().is_empty() {
            return false;
        }
        self.end_filter(false);
        true
    }

    /// The title-bar description: which list, how many, in what order.
    pub fn describe(&self) -> String {
        let which = match (self.scope, self.exited) {
            (Scope::Mine, false) => "My caseload",
            (Scope::Team, false) => "Whole team",
            (Scope::Mine, true) => "My caseload with ended",
            (Scope::Team, true) => "Whole team with ended",
        };
        let filtered = !self.filter.value().trim().is_empty();
        let order = if filtered && self.rank_matches {
            "best match first".to_string()
        } else {
            format!(
                "by {} {}",
                self.sort.label(),
                if self.reverse { "↓" } else { "↑" }
            )
        };
        let count = if filtered {
            let total = (0..self.rows.len()).filter(|&i| self.in_scope(i)).count();
            format!("{} of {total}", self.view.len())
        } else {
            self.view.len().to_string()
        };
        if self.partial {
            format!("{which} ({count}…) · {order} · reading the whole list")
        } else {
            format!("{which} ({count}) · {order}")
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        let key = |a: Action, c: Context| keys.key_for(a, c).map(|k| k.to_string());
        if area.height == 0 || area.width == 0 {
            return;
        }
        let mut table_area = area;
        if self.filtering || !self.filter.value().is_empty() {
            let line = Line::from(vec![
                Span::styled("/ ", theme.key()),
                Span::raw(self.filter.value().to_string()),
                Span::styled(
                    if self.filtering {
                        "   (Enter keeps, Esc clears)"
                    } else {
                        "   (/ to change, Esc clears)"
                    },
                    theme.dim(),
                ),
            ]);
            frame
                .buffer_mut()
                .set_line(area.x, area.y, &line, area.width);
            if self.filtering {
                let x = area.x + 2 + self.filter.cursor() as u16;
                frame.set_cursor_position(Position::new(
                    x.min(area.right().saturating_sub(1)),
                    area.y,
                ));
            }
            table_area = Rect {
                y: area.y + 1,
                height: area.height - 1,
                ..area
            };
        }
        if table_area.height < 2 {
            return;
        }
        let body_h = (table_area.height - 1) as usize;
        self.page = body_h;
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + body_h {
            self.offset = self.selected + 1 - body_h;
        }
        self.offset = self.offset.min(self.view.len().saturating_sub(body_h));

        if self.view.is_empty() {
            let msg = if !self.filter.value().is_empty() {
                match key(Action::Back, Context::Caseload) {
                    Some(k) => format!("No young person matches the filter. {k} clears it."),
                    None => "No young person matches the filter.".to_string(),
                }
            } else if self.scope == Scope::Mine {
                match key(Action::ToggleTeam, Context::Caseload) {
                    Some(k) => {
                        format!(
                            "No open cases with you as key worker. Press {k} for the whole team."
                        )
                    }
                    None => "No open cases with you as key worker.".to_string(),
                }
            } else if self.rows.is_empty() {
                "No young people on file yet.".to_string()
            } else if !self.exited {
                match key(Action::ShowExited, Context::Caseload) {
                    Some(k) => format!("No open episodes. Press {k} to show those that ended."),
                    None => "No open episodes.".to_string(),
                }
            } else {
                "No young people on file yet.".to_string()
            };
            frame.buffer_mut().set_line(
                table_area.x + 1,
                table_area.y + 1,
                &Line::styled(msg, theme.dim()),
                table_area.width.saturating_sub(1),
            );
        }

        let wide = table_area.width >= 96;
        let due_w: usize = if wide { 22 } else { 16 };
        let fixed: usize = if wide {
            2 + 14 + 3 + 14 + 9 + 4 + 8
        } else {
            2 + 11 + 3 + 7 + 9 + 4 + 8
        };
        let name_w = (table_area.width as usize)
            .saturating_sub(fixed + due_w + 8)
            .max(4);
        let widths = [
            Constraint::Length(2),
            Constraint::Length(if wide { 14 } else { 11 }),
            Constraint::Min(10),
            Constraint::Length(3),
            Constraint::Length(if wide { 14 } else { 7 }),
            Constraint::Length(9),
            Constraint::Length(due_w as u16),
            Constraint::Length(4),
            Constraint::Length(8),
        ];
        let arrow = if self.reverse { "↓" } else { "↑" };
        let head = |c: Column, s: &str| -> Cell {
            let ranked = self.rank_matches && !self.filter.value().trim().is_empty();
            if c == self.sort && !ranked {
                Cell::from(format!("{s}{arrow}"))
            } else {
                Cell::from(s.to_string())
            }
        };
        let header = Row::new(vec![
            Cell::from(""),
            head(Column::Reference, "Ref"),
            head(Column::Name, "Name"),
            head(Column::Age, "Age"),
            head(Column::KeyWorker, "Worker"),
            head(Column::Stage, "Stage"),
            head(Column::NextDue, "Next due"),
            head(Column::Risk, "Risk"),
            head(Column::LastContact, "Last"),
        ])
        .style(theme.header());

        let end = (self.offset + body_h).min(self.view.len());
        let rows: Vec<Row> = self.view[self.offset..end]
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let r = &self.rows[i as usize];
                let d = &self.derived[i as usize];
                let high = r.highest_risk == Some(RiskLevel::High);
                let overdue = d.due.is_some_and(|x| x.overdue);
                let marker = format!(
                    "{}{}",
                    if high { "▲" } else { " " },
                    if overdue { "!" } else { " " }
                );
                let reference = if wide {
                    r.reference.clone()
                } else {
                    r.reference.trim_start_matches("YP-").to_string()
                };
                let worker = r
                    .key_worker_name
                    .as_deref()
                    .map(|w| short_worker(w, wide))
                    .unwrap_or_default();
                let stage = d.stage.map(stage_label).unwrap_or("—");
                let due = d
                    .due
                    .as_ref()
                    .map(|x| {
                        truncate(
                            &if wide {
                                format!("{} {}", x.date.format("%d/%m/%y"), short_label(x.kind))
                            } else {
                                // The year only when it is not this year's.
                                let day = if x.date.year() == self.today.year() {
                                    x.date.format("%d/%m").to_string()
                                } else {
                                    x.date.format("%m/%Y").to_string()
                                };
                                format!("{day} {}", tiny_label(x.kind))
                            },
                            due_w,
                        )
                    })
                    .unwrap_or_else(|| {
                        if self.dues_known {
                            String::new()
                        } else {
                            "…".into()
                        }
                    });
                let risk = match r.highest_risk {
                    Some(RiskLevel::High) => "high",
                    Some(RiskLevel::Medium) => "med",
                    Some(RiskLevel::Low) => "low",
                    None => "",
                };
                let risk_style = match r.highest_risk {
                    Some(RiskLevel::High) => theme.high_risk(),
                    Some(RiskLevel::Medium) => theme.medium_risk(),
                    Some(RiskLevel::Low) => theme.low_risk(),
                    None => theme.base(),
                };
                let last = r
                    .last_contact
                    .map(|x| x.format("%d/%m/%y").to_string())
                    .unwrap_or_else(|| "—".into());
                let selected = self.offset + n == self.selected;
                let row = Row::new(vec![
                    Cell::from(marker).style(if high || overdue {
                        theme.high_risk()
                    } else {
                        theme.base()
                    }),
                    Cell::from(reference),
                    Cell::from(truncate(&r.display_name(), name_w)),
                    Cell::from(d.age.map(|a| a.to_string()).unwrap_or_default()),
                    Cell::from(worker),
                    Cell::from(stage),
                    Cell::from(due).style(if overdue {
                        theme.overdue()
                    } else {
                        theme.base()
                    }),
                    Cell::from(risk).style(risk_style),
                    Cell::from(last),
                ]);
                if selected {
                    row.style(theme.selected())
                } else {
                    row.style(Style::new())
                }
            })
            .collect();
        let table = Table::new(rows, widths).header(header).column_spacing(1);
        frame.render_widget(table, table_area);
    }
}

/// The name column's order: the folded name, then the family name as written.
fn name_order(a: &CaseloadRow, b: &CaseloadRow) -> std::cmp::Ordering {
    a.name_key
        .cmp(&b.name_key)
        .then_with(|| a.family_name.cmp(&b.family_name))
}

/// Absent values after present ones.
fn opt_order<T: Ord>(a: &Option<T>, b: &Option<T>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Row `i`'s key for `col`, smaller first; an absent value is `u32::MAX` (last).
fn column_key(
    rows: &[CaseloadRow],
    derived: &[Derived],
    ranks: &Ranks,
    col: Column,
    i: usize,
) -> u32 {
    let day = |d: Option<NaiveDate>| {
        d.map_or(u32::MAX, |d| {
            u32::try_from(d.num_days_from_ce()).unwrap_or(0)
        })
    };
    let (r, d) = (&rows[i], &derived[i]);
    match col {
        Column::Reference => ranks.reference[i],
        Column::Name => ranks.name[i],
        Column::Age => d.age.unwrap_or(u32::MAX),
        Column::KeyWorker => ranks.worker[i],
        Column::Stage => d.stage.map_or(u32::MAX, |s| s as u32),
        Column::NextDue => day(d.due.as_ref().map(|x| x.date)),
        // Highest risk first reads naturally, so the "ascending" risk order is high to low.
        Column::Risk => match r.highest_risk {
            Some(RiskLevel::High) => 0,
            Some(RiskLevel::Medium) => 1,
            Some(RiskLevel::Low) => 2,
            None => u32::MAX,
        },
        // Longest without contact first: the ones to worry about.
        Column::LastContact => day(r.last_contact),
    }
}

/// A worker's name in the width the table has: "Ama M." when narrow.
fn short_worker(name: &str, wide: bool) -> String {
    if wide {
        return name.to_string();
    }
    let mut parts = name.split_whitespace();
    match (parts.next(), parts.last()) {
        (Some(first), Some(last)) => {
            let initial: String = last.chars().take(1).collect();
            truncate(&format!("{first} {initial}"), 7)
        }
        (Some(first), None) => truncate(first, 7),
        _ => String::new(),
    }
}

/// The stage in the nine columns the table gives it.
pub fn stage_label(s: Stage) -> &'static str {
    match s {
        Stage::Referred => "referred",
        Stage::Triaged => "triaged",
        Stage::Assessed => "assessed",
        Stage::InTreatment => "treatment",
        Stage::Exited => "exited",
    }
}

impl super::component::Component for CaseloadScreen {
    fn title(&self) -> Option<String> {
        Some(self.describe())
    }

    fn contexts(&self) -> Vec<Context> {
        if self.is_filtering() {
            vec![Context::Filter]
        } else {
            vec![Context::Caseload, Context::Global]
        }
    }

    fn key(
        &mut self,
        k: &ratatui::crossterm::event::KeyEvent,
        action: Option<Action>,
        _env: &mut super::component::Env,
    ) -> super::component::Step {
        use super::component::Step;
        use super::msg::{Msg, Route, StatusKind};
        if self.is_filtering() {
            match action {
                Some(Action::Open) => self.end_filter(true),
                Some(Action::Back) => self.end_filter(false),
                Some(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)) => {
                    self.action(a);
                }
                Some(Action::Help) => return Step::Pass,
                _ => {
                    if self.filter_key(k) == Edit::Full {
                        return Step::status(
                            StatusKind::Warning,
                            format!("Filter: holds at most {} characters", self.filter_max()),
                        );
                    }
                }
            }
            return Step::Done;
        }
        let Some(a) = action else {
            return Step::Done;
        };
        match a {
            Action::Open => match self.selected_id() {
                Some(id) => Step::Msg(Msg::Open(Route::Case(id.to_string()))),
                None => Step::Done,
            },
            Action::Back => {
                self.clear_filter();
                Step::Done
            }
            Action::Reload => Step::Msg(Msg::Reload),
            _ if self.action(a) => Step::Done,
            _ => Step::Pass,
        }
    }

    fn paste(&mut self, text: &str, env: &mut super::component::Env) -> super::component::Step {
        if !self.is_filtering() {
            return super::component::Step::Pass;
        }
        if self.filter_paste(text) {
            env.warn(format!(
                "Filter: holds at most {} characters; the rest of the paste was left out",
                self.filter_max()
            ));
        }
        super::component::Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        CaseloadScreen::draw(self, frame, body, theme, keys);
    }

    /// Only the touched young person's row is read again.
    fn written(
        &mut self,
        w: &super::msg::Written,
        env: &super::component::Env,
    ) -> anyhow::Result<()> {
        let Some(id) = &w.young_person_id else {
            return Ok(());
        };
        if let Some(row) = crate::store::caseload::caseload_row(env.store, id)? {
            let due = super::due::person_next_due(
                env.store,
                id,
                row.date_of_birth,
                env.calendar,
                env.codes,
                env.today,
            )
            .unwrap_or(None);
            self.upsert_row(row, due);
        }
        Ok(())
    }

    fn reload(&mut self, env: &super::component::Env) -> anyhow::Result<()> {
        let rows = crate::store::caseload::caseload(env.store)?;
        // The shared list (stale until the one asked after this reload arrives: the app sets
        // the column again then).
        let (entries, _) = (env.dues)
            .get(env.today, env.store, env.calendar, env.codes)?
            .entries();
        self.replace_rows(rows, &super::due::next_due_by_person_in(&entries));
        Ok(())
    }

    crate::as_any!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::caseload::EpisodeDates;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Rows with ties and gaps in every column.
    fn rows() -> Vec<CaseloadRow> {
        let names = ["ana", "Ben", "ana", "zoë", "Cal", "ben", "dee", "Eve"];
        let workers = [Some("Ama"), None, Some("Ben"), Some("Ama"), None];
        (0..40u32)
            .map(|i| {
                let given = names[(i as usize * 7) % names.len()].to_string();
                CaseloadRow {
                    young_person_id: format!("id{i}"),
                    reference: format!("YP-{:03}", (i * 17) % 41),
                    name_key: given.to_lowercase(),
                    given_name: given,
                    family_name: if i % 3 == 0 { "Hart" } else { "hart" }.to_string(),
                    date_of_birth: (i % 4 != 0).then(|| date(2005 + (i % 6) as i32, 1, 1)),
                    key_worker_name: workers[i as usize % workers.len()].map(str::to_string),
                    highest_risk: [None, Some(RiskLevel::Low), Some(RiskLevel::High)]
                        [i as usize % 3],
                    last_contact: (i % 5 != 1).then(|| date(2025, 1 + i % 3, 1)),
                    episode: (i % 7 != 0).then(|| EpisodeDates {
                        referral_date: date(2025, 1, 1),
                        triage_date: (i % 2 == 0).then(|| date(2025, 1, 2)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            })
            .collect()
    }

    /// The orders as the columns are documented, compared as values.
    fn expected(rows: &[CaseloadRow], s: &CaseloadScreen, col: Column, rev: bool) -> Vec<u32> {
        let d = &s.derived;
        let mut idx: Vec<u32> = (0..rows.len() as u32).collect();
        idx.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            let (ra, rb) = (&rows[a], &rows[b]);
            let o = match col {
                Column::Reference => ra.reference.cmp(&rb.reference),
                Column::Name => name_order(ra, rb),
                Column::Age => opt_order(&d[a].age, &d[b].age),
                Column::KeyWorker => opt_order(&ra.key_worker_name, &rb.key_worker_name),
                Column::Stage => opt_order(&d[a].stage, &d[b].stage),
                Column::NextDue => opt_order(&d[a].due.map(|x| x.date), &d[b].due.map(|x| x.date)),
                Column::Risk => opt_order(
                    &ra.highest_risk.map(std::cmp::Reverse),
                    &rb.highest_risk.map(std::cmp::Reverse),
                ),
                Column::LastContact => opt_order(&ra.last_contact, &rb.last_contact),
            };
            let o = if rev { o.reverse() } else { o };
            o.then_with(|| ra.reference.cmp(&rb.reference))
        });
        idx
    }

    #[test]
    fn every_column_sorts_both_ways_as_its_values_do() {
        let rows = rows();
        let mut s = CaseloadScreen::new(rows.clone(), &HashMap::new(), "w", date(2026, 3, 31));
        for col in Column::ALL {
            for rev in [false, true] {
                s.sort = col;
                s.reverse = rev;
                s.ensure_order();
                let got = &s.order.as_ref().unwrap().sorted;
                assert_eq!(
                    got,
                    &expected(&rows, &s, col, rev),
                    "{col:?} reversed={rev}"
                );
            }
        }
    }

    #[test]
    fn a_row_renamed_after_a_write_sorts_by_its_new_name() {
        let rows = rows();
        let mut s = CaseloadScreen::new(rows.clone(), &HashMap::new(), "w", date(2026, 3, 31));
        let mut renamed = rows[5].clone();
        renamed.given_name = "Aaron".into();
        renamed.family_name = "Aaronson".into();
        renamed.name_key = "aaron aaronson".into();
        s.upsert_row(renamed, None);
        s.sort = Column::Name;
        s.reverse = false;
        s.ensure_order();
        let first = s.order.as_ref().unwrap().sorted[0] as usize;
        assert_eq!(s.rows[first].young_person_id, "id5");
    }
}
