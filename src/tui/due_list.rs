//! The due-list screen: every unmet item across the caseload from `crate::due::due_list`,
//! grouped (overdue, today, this week, later) in urgency order, with the selected row's "why"
//! line. Loaded once (and after writes or an as-of change); filters (whose items, which kind)
//! work on the loaded list in memory and only visible rows are drawn, so it stays quick at the
//! size of a large service.
//!
//! Also home to what the three "boards" (due-list, risk flags, dashboard) share: their key
//! bindings, the `Board` the app holds, and what a board needs to load.

use std::collections::HashMap;
use std::rc::Rc;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::dashboard::DashboardScreen;
use super::due::short_label;
use super::flags::FlagsScreen;
use super::form::truncate;
use super::keymap::{Action, Binding, Context, Key, KeyMap};
use super::msg::FlagAction;
use super::msg::{MentoringFocus, Msg, Route, StatusKind};
use super::text_line::{Edit, TextLine};
use super::theme::Theme;
use crate::domain::calendar::Calendar;
use crate::domain::clocks::DueKind;
use crate::domain::codes::CodeLists;
use crate::domain::dates::{parse_relative_date, DATE_FORMS};
use crate::domain::record::RiskLevel;
use crate::domain::roles::{may, Permission};
use crate::domain::urgency::DueGroup;
use crate::due::{explain_mentoring, explain_young_person, DueEntry, DueSubject};
use crate::store::Store;

/// The service's police/DBS check renewal period for the boards' due-lists. A value that is
/// not a period stops the terminal UI at start (`tui::run`), so here it is read or none.
pub fn renewal_months() -> Option<u32> {
    crate::config::check_renewal_months().unwrap_or(None)
}

/// The contexts of the three boards.
const BOARDS: &[Context] = &[Context::DueList, Context::Flags, Context::Dashboard];

/// The boards' key bindings, added to the one keymap (so help, hints and the palette list them).
pub fn bindings() -> Vec<Binding> {
    use Context as C;
    use KeyCode as K;
    let k = Key::plain;
    let b = Binding::new;
    vec![
        b(
            Action::DueList,
            vec![Key::ch('D')],
            "the due-list: everything due across the caseload",
            "",
            &[C::Global],
        ),
        b(
            Action::Flags,
            vec![Key::ch('F')],
            "risk flags: every active flag",
            "",
            &[C::Global],
        ),
        b(
            Action::Dashboard,
            vec![Key::ch('M')],
            "manager's dashboard: caseloads and overdue items per worker",
            "",
            &[C::Global],
        ),
        b(
            Action::Up,
            vec![k(K::Up), Key::ch('k')],
            "move up",
            "",
            BOARDS,
        ),
        b(
            Action::Down,
            vec![k(K::Down), Key::ch('j')],
            "move down",
            "",
            BOARDS,
        ),
        b(
            Action::Top,
            vec![Key::ch('g'), k(K::Home)],
            "go to the top",
            "",
            BOARDS,
        ),
        b(
            Action::Bottom,
            vec![Key::ch('G'), k(K::End)],
            "go to the bottom",
            "",
            BOARDS,
        ),
        b(
            Action::PageUp,
            vec![k(K::PageUp), Key::ctrl('b')],
            "page up",
            "",
            BOARDS,
        ),
        b(
            Action::PageDown,
            vec![k(K::PageDown), Key::ctrl('f')],
            "page down",
            "",
            BOARDS,
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "open the item: a flag review's form, a missed appointment's contact form, a \
             follow-up's form, a mentor's item or message on the mentoring board, otherwise \
             the young person's case",
            "open",
            &[C::DueList],
        ),
        b(
            Action::ToggleTeam,
            vec![Key::ch('t')],
            "whose items: mine, the whole team, then each worker in turn",
            "whose",
            &[C::DueList],
        ),
        b(
            Action::CycleKind,
            vec![Key::ch('i')],
            "which items: all, then each kind in turn",
            "item",
            &[C::DueList],
        ),
        b(
            Action::AsOf,
            vec![Key::ch('a')],
            "show the list as it will be on another date (+7d, 2025-12-01)",
            "as of",
            &[C::DueList],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "show the flag's full history",
            "history",
            &[C::Flags],
        ),
        b(
            Action::RaiseFlag,
            vec![Key::ch('r'), Key::ch('!')],
            "raise a risk flag for the selected young person",
            "raise",
            &[C::Flags],
        ),
        b(
            Action::RaiseFlag,
            vec![Key::ch('!')],
            "raise a risk flag",
            "",
            &[C::CaseView],
        ),
        b(
            Action::ReviewFlag,
            vec![Key::ch('v')],
            "review the flag: a note and the next review date",
            "review",
            &[C::Flags],
        ),
        b(
            Action::ChangeFlagLevel,
            vec![Key::ch('c')],
            "change the flag's level, with a note",
            "level",
            &[C::Flags],
        ),
        b(
            Action::ResolveFlag,
            vec![Key::ch('x')],
            "resolve (close) the flag, with the reason",
            "resolve",
            &[C::Flags],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "the young people behind the figure",
            "open",
            &[C::Dashboard],
        ),
        b(
            Action::Reload,
            vec![Key::ctrl('r')],
            "reload from the database",
            "",
            BOARDS,
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "back to the caseload",
            "back",
            BOARDS,
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "use this date",
            "use",
            &[C::Prompt],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "cancel",
            "cancel",
            &[C::Prompt],
        ),
    ]
}

pub use super::msg::BoardKind;

/// What a board needs to load itself.
pub struct BoardEnv<'a> {
    pub store: &'a Store,
    pub calendar: &'a Calendar,
    pub codes: &'a CodeLists,
    pub today: NaiveDate,
    /// The instant for audit rows of what the board shows.
    pub now: chrono::DateTime<chrono::Utc>,
    pub worker_id: &'a str,
    pub worker_names: &'a HashMap<String, String>,
    /// The whole service's due-list, worked out once and shared.
    pub dues: &'a super::dues::Dues,
}

/// A board the app shows in place of the caseload.
pub enum Board {
    Due(DueListScreen),
    Flags(FlagsScreen),
    Dashboard(DashboardScreen),
}

impl Board {
    pub fn load(kind: BoardKind, env: &BoardEnv) -> Result<Board> {
        Ok(match kind {
            BoardKind::Due => Board::Due(DueListScreen::load(env)?),
            BoardKind::Flags => Board::Flags(FlagsScreen::load(env)?),
            BoardKind::Dashboard => Board::Dashboard(DashboardScreen::load(env)?),
        })
    }

    /// Loads again after a write (or Ctrl-R), keeping the filters and selection where it can.
    pub fn reload(&mut self, env: &BoardEnv) -> Result<()> {
        match self {
            Board::Due(s) => s.reload(env),
            Board::Flags(s) => s.reload(env),
            Board::Dashboard(s) => s.reload(env),
        }
    }

    /// The contexts in force, innermost first (without `Always`).
    pub fn contexts(&self) -> Vec<Context> {
        match self {
            Board::Due(s) if s.prompt.is_some() => vec![Context::Prompt],
            Board::Due(_) => vec![Context::DueList, Context::Global],
            Board::Flags(s) if s.is_reading() => vec![Context::Detail, Context::Global],
            Board::Flags(_) => vec![Context::Flags, Context::Global],
            Board::Dashboard(s) if s.is_reading() => vec![Context::Detail, Context::Global],
            Board::Dashboard(_) => vec![Context::Dashboard, Context::Global],
        }
    }

    /// A key on the board. `None` with `handled` false means the app's global keys may take it.
    pub fn key(&mut self, k: &KeyEvent, action: Option<Action>, env: &BoardEnv) -> Step {
        match self {
            Board::Due(s) => s.key(k, action, env),
            Board::Flags(s) => s.key(action, env),
            Board::Dashboard(s) => s.key(action, env),
        }
    }

    pub fn paste(&mut self, text: &str) -> bool {
        match self {
            Board::Due(s) => match &mut s.prompt {
                Some(p) => {
                    p.paste(text);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Board::Due(s) => s.describe(),
            Board::Flags(s) => s.describe(),
            Board::Dashboard(s) => s.describe(),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        match self {
            Board::Due(s) => s.draw(frame, area, theme, keys),
            Board::Flags(s) => s.draw(frame, area, theme),
            Board::Dashboard(s) => s.draw(frame, area, theme),
        }
    }
}

pub use super::component::Step;

/// Whose items the due-list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose {
    Mine,
    Team,
    /// One worker, by name (the due-list carries the key worker's name).
    Worker(String),
}

/// One line of the list: a group heading or an item (index into the loaded entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disp {
    Head(DueGroup, usize),
    Item(u32),
}

/// The due-list screen.
pub struct DueListScreen {
    /// The shared list (see `dues`): opening the screen or leaving it copies nothing.
    entries: Rc<Vec<DueEntry>>,
    /// The list is being worked out (after a write, or for another date): what shows is
    /// the last one, or nothing yet.
    updating: bool,
    display: Vec<Disp>,
    /// Index into `display`; always an item when there is one.
    selected: usize,
    offset: usize,
    page: usize,
    whose: Whose,
    kind: Option<DueKind>,
    my_name: String,
    /// The names of the workers holding the mentoring coordinator's role: their lists also
    /// hold the mentors' items and messages about no one on the record (as `casebook due
    /// --worker`).
    coordinators: Vec<String>,
    /// Whether the signed-in worker may open the mentoring board (Enter on a mentor's item or
    /// a telephone message opens it).
    may_coordinate: bool,
    /// The real today, and the date the list is worked out for when the worker moved it.
    today: NaiveDate,
    as_of: Option<NaiveDate>,
    prompt: Option<TextLine>,
    prompt_error: Option<String>,
    /// The selected item's rule explained (`Explanation::why_line`), read for that one young
    /// person when the selection moves, with the item it explains.
    explained: Option<(WhyKey, String)>,
}

/// Which item a why-line explains.
type WhyKey = (DueSubject, DueKind, NaiveDate, NaiveDate);

impl DueListScreen {
    /// Loads the whole team's list as of today, showing the worker's own items.
    pub fn load(env: &BoardEnv) -> Result<DueListScreen> {
        let my_name = env
            .worker_names
            .get(env.worker_id)
            .cloned()
            .unwrap_or_default();
        let mut s = DueListScreen {
            entries: Rc::new(Vec::new()),
            updating: false,
            display: Vec::new(),
            selected: 0,
            offset: 0,
            page: 10,
            whose: Whose::Mine,
            kind: None,
            my_name,
            coordinators: Vec::new(),
            may_coordinate: false,
            today: env.today,
            as_of: None,
            prompt: None,
            prompt_error: None,
            explained: None,
        };
        s.reload(env)?;
        Ok(s)
    }

    /// The date the list is worked out for.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or(self.today)
    }

    pub fn reload(&mut self, env: &BoardEnv) -> Result<()> {
        self.today = env.today;
        let workers = crate::store::people::workers(env.store)?;
        self.may_coordinate = workers
            .iter()
            .any(|w| w.id == env.worker_id && may(&w.roles, Permission::CoordinateMentoring));
        self.coordinators = workers
            .into_iter()
            .filter(|w| w.has(crate::domain::record::Role::Coordinator))
            .map(|w| w.name)
            .collect();
        self.read_entries(env)
    }

    /// Takes the shared list as of the date shown, keeping the selection where it can.
    fn read_entries(&mut self, env: &BoardEnv) -> Result<()> {
        let keep = self.selected_entry().map(|e| (e.subject.clone(), e.kind));
        let now = (env.dues).get(self.as_of(), env.store, env.calendar, env.codes)?;
        (self.entries, self.updating) = now.entries();
        self.refresh();
        if let Some((subject, kind)) = keep {
            if let Some(i) = self.display.iter().position(|d| match d {
                Disp::Item(i) => {
                    let e = &self.entries[*i as usize];
                    e.subject == subject && e.kind == kind
                }
                Disp::Head(..) => false,
            }) {
                self.selected = i;
            }
        }
        self.explained = None;
        self.explain_selected(env);
        Ok(())
    }

    /// The selected item's why-line: its rule, source, start event and date, due date and
    /// stop condition, as `casebook due --explain` gives them.
    pub fn why_line(&self) -> Option<&str> {
        self.explained.as_ref().map(|(_, w)| w.as_str())
    }

    /// Reads the selected item's explanation when the selection moved to another item (one
    /// young person's clocks, never the whole list's).
    fn explain_selected(&mut self, env: &BoardEnv) {
        let Some(e) = self.selected_entry() else {
            self.explained = None;
            return;
        };
        let key: WhyKey = (e.subject.clone(), e.kind, e.due, self.as_of());
        if self.explained.as_ref().is_some_and(|(k, _)| *k == key) {
            return;
        }
        if matches!(
            e.subject,
            DueSubject::Match(_) | DueSubject::Mentor(_) | DueSubject::Message(_)
        ) {
            let line = match explain_mentoring(
                env.store,
                env.calendar,
                self.as_of(),
                renewal_months(),
                &e.subject,
                e.kind,
            ) {
                Ok(Some(x)) => x.why_line(),
                Ok(None) => format!("{} ({})", e.kind.label(), e.kind.source()),
                Err(err) => format!("Cannot explain the item: {err}"),
            };
            self.explained = Some((key, line));
            return;
        }
        let line = match explain_young_person(
            env.store,
            env.calendar,
            env.codes,
            self.as_of(),
            &e.young_person_id,
        ) {
            Ok(Some(x)) => {
                let code = e.kind.code();
                let of_episode = match &e.subject {
                    DueSubject::Episode(id) => x
                        .episodes
                        .iter()
                        .filter(|ep| ep.episode_id == *id)
                        .flat_map(|ep| ep.clocks.iter())
                        .find(|c| c.kind == code && c.due == e.due),
                    _ => None,
                };
                of_episode
                    .or_else(|| x.others.iter().find(|c| c.kind == code && c.due == e.due))
                    .map(|c| c.why_line())
                    .unwrap_or_else(|| format!("{} ({})", e.kind.label(), e.kind.source()))
            }
            Ok(None) => "That young person is no longer on file; Ctrl-R reloads".into(),
            Err(err) => format!("Cannot explain the item: {err}"),
        };
        self.explained = Some((key, line));
    }

    fn matches(&self, e: &DueEntry) -> bool {
        let of = |name: &str| {
            e.key_worker.as_deref() == Some(name)
                || (e.subject.is_coordinators(&e.young_person_id)
                    && self.coordinators.iter().any(|c| c == name))
        };
        let whose = match &self.whose {
            Whose::Team => true,
            Whose::Mine => of(&self.my_name),
            Whose::Worker(w) => of(w),
        };
        whose && self.kind.is_none_or(|k| k == e.kind)
    }

    /// Rebuilds the shown lines from the loaded entries (already in urgency order).
    fn refresh(&mut self) {
        let mut display = Vec::new();
        let mut head: Option<usize> = None;
        let mut group = None;
        for (i, e) in self.entries.iter().enumerate() {
            if !self.matches(e) {
                continue;
            }
            if group != Some(e.group) {
                group = Some(e.group);
                head = Some(display.len());
                display.push(Disp::Head(e.group, 0));
            }
            if let Some(h) = head {
                if let Disp::Head(g, n) = display[h] {
                    display[h] = Disp::Head(g, n + 1);
                }
            }
            display.push(Disp::Item(i as u32));
        }
        self.display = display;
        self.selected = 0;
        self.offset = 0;
        self.step(true);
    }

    /// The entries shown, in order.
    pub fn shown(&self) -> impl Iterator<Item = &DueEntry> {
        self.display.iter().filter_map(|d| match d {
            Disp::Item(i) => Some(&self.entries[*i as usize]),
            Disp::Head(..) => None,
        })
    }

    /// The group headings shown, with their counts.
    pub fn groups(&self) -> Vec<(DueGroup, usize)> {
        self.display
            .iter()
            .filter_map(|d| match d {
                Disp::Head(g, n) => Some((*g, *n)),
                Disp::Item(_) => None,
            })
            .collect()
    }

    pub fn selected_entry(&self) -> Option<&DueEntry> {
        match self.display.get(self.selected) {
            Some(Disp::Item(i)) => self.entries.get(*i as usize),
            _ => None,
        }
    }

    pub fn whose(&self) -> &Whose {
        &self.whose
    }

    pub fn kind(&self) -> Option<DueKind> {
        self.kind
    }

    /// Moves the selection to the nearest item at or after (or before) it.
    fn step(&mut self, forward: bool) {
        let n = self.display.len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        let mut i = self.selected.min(n - 1);
        loop {
            if matches!(self.display[i], Disp::Item(_)) {
                self.selected = i;
                return;
            }
            if forward {
                if i + 1 >= n {
                    break;
                }
                i += 1;
            } else {
                if i == 0 {
                    break;
                }
                i -= 1;
            }
        }
        // Nothing that way: look the other way.
        if forward {
            self.selected = self.selected.saturating_sub(1);
            if !matches!(self.display.get(self.selected), Some(Disp::Item(_))) {
                self.step(false);
            }
        } else if let Some(j) = self.display.iter().position(|d| matches!(d, Disp::Item(_))) {
            self.selected = j;
        }
    }

    /// Shows one worker's items (by name), or the worker's own when it is theirs.
    pub fn show_worker(&mut self, name: &str) {
        self.whose = if name == self.my_name {
            Whose::Mine
        } else {
            Whose::Worker(name.to_string())
        };
        self.refresh();
    }

    fn cycle_whose(&mut self, names: &HashMap<String, String>) {
        let mut others: Vec<&String> = names.values().filter(|n| **n != self.my_name).collect();
        others.sort();
        others.dedup();
        self.whose = match &self.whose {
            Whose::Mine => Whose::Team,
            Whose::Team => others
                .first()
                .map_or(Whose::Mine, |n| Whose::Worker((*n).clone())),
            Whose::Worker(w) => others
                .iter()
                .position(|n| *n == w)
                .and_then(|i| others.get(i + 1))
                .map_or(Whose::Mine, |n| Whose::Worker((*n).clone())),
        };
        self.refresh();
    }

    /// All kinds, then each kind present in the loaded list, in the clocks' order.
    fn cycle_kind(&mut self) {
        let mut present: Vec<DueKind> = Vec::new();
        for k in DueKind::ALL {
            if self.entries.iter().any(|e| e.kind == k) {
                present.push(k);
            }
        }
        self.kind = match self.kind {
            None => present.first().copied(),
            Some(k) => present
                .iter()
                .position(|p| *p == k)
                .and_then(|i| present.get(i + 1))
                .copied(),
        };
        self.refresh();
    }

    fn key(&mut self, k: &KeyEvent, action: Option<Action>, env: &BoardEnv) -> Step {
        let step = self.key_inner(k, action, env);
        self.explain_selected(env);
        step
    }

    fn key_inner(&mut self, k: &KeyEvent, action: Option<Action>, env: &BoardEnv) -> Step {
        if let Some(p) = &mut self.prompt {
            match action {
                Some(Action::Back) => {
                    self.prompt = None;
                    self.prompt_error = None;
                }
                Some(Action::Open) => {
                    let text = p.value().trim().to_string();
                    // Relative dates count from the real today, not from the shown date.
                    match parse_relative_date(&text, self.today) {
                        Ok(date) => {
                            let before = self.as_of;
                            self.as_of = (date != self.today).then_some(date);
                            self.prompt = None;
                            self.prompt_error = None;
                            if let Err(e) = self.reload(env) {
                                self.as_of = before;
                                return Step::Msg(Msg::Status(
                                    StatusKind::Error,
                                    format!("Could not work out the due-list: {e}"),
                                ));
                            }
                            return Step::Msg(Msg::Status(
                                StatusKind::Info,
                                format!(
                                    "Due-list as it will be on {}",
                                    self.as_of().format("%a %d/%m/%Y")
                                ),
                            ));
                        }
                        Err(e) => self.prompt_error = Some(format!("As of: {e}")),
                    }
                }
                _ => {
                    if p.key(k) == Edit::Changed {
                        self.prompt_error = None;
                    }
                }
            }
            return Step::Done;
        }
        let Some(a) = action else {
            return Step::Pass;
        };
        match a {
            Action::Up => {
                if self.selected > 0 {
                    self.selected -= 1;
                    self.step(false);
                }
            }
            Action::Down => {
                if self.selected + 1 < self.display.len() {
                    self.selected += 1;
                    self.step(true);
                }
            }
            Action::Top => {
                self.selected = 0;
                self.step(true);
            }
            Action::Bottom => {
                self.selected = self.display.len().saturating_sub(1);
                self.step(false);
            }
            Action::PageUp => {
                self.selected = self.selected.saturating_sub(self.page.max(1));
                self.step(false);
            }
            Action::PageDown => {
                self.selected =
                    (self.selected + self.page.max(1)).min(self.display.len().saturating_sub(1));
                self.step(true);
            }
            Action::ToggleTeam => self.cycle_whose(env.worker_names),
            Action::CycleKind => self.cycle_kind(),
            Action::AsOf => {
                self.prompt = Some(TextLine::new(20));
                self.prompt_error = None;
            }
            Action::Open => {
                let Some(e) = self.selected_entry() else {
                    return Step::Done;
                };
                return Step::Msg(match &e.subject {
                    DueSubject::RiskFlag(id) => Msg::Open(Route::FlagForm(FlagAction::Review {
                        flag_id: id.clone(),
                    })),
                    DueSubject::Contact(_) => {
                        Msg::OpenCaseThen(e.young_person_id.clone(), Action::AddContact)
                    }
                    // A mentee's weekly contact: their case, where mentor sessions are
                    // recorded.
                    DueSubject::Match(_) if !e.young_person_id.is_empty() => {
                        Msg::Open(Route::Case(e.young_person_id.clone()))
                    }
                    // A message is answered on the coordinator's board, its answer form open
                    // on it; a key worker without the board has the young person's case.
                    DueSubject::Message(id) if self.may_coordinate => Msg::OpenThen(
                        Route::Mentoring(MentoringFocus::Message(id.clone())),
                        Action::AnswerPhoneMessage,
                    ),
                    DueSubject::Message(_) if !e.young_person_id.is_empty() => {
                        Msg::Open(Route::Case(e.young_person_id.clone()))
                    }
                    // A mentor's item is dealt with on the board, that mentor selected (the
                    // board refuses a worker who may not open it, saying why).
                    DueSubject::Mentor(id) => {
                        Msg::Open(Route::Mentoring(MentoringFocus::Mentor(id.clone())))
                    }
                    DueSubject::Match(_) | DueSubject::Message(_) => {
                        Msg::Open(Route::Mentoring(MentoringFocus::Board))
                    }
                    // An episode item opens its own form over the case where it has one;
                    // the rest (first intervention, transition) are dealt with
                    // from the case view.
                    DueSubject::Episode(_) => match form_for(e.kind) {
                        Some(then) => Msg::OpenCaseThen(e.young_person_id.clone(), then),
                        None => Msg::Open(Route::Case(e.young_person_id.clone())),
                    },
                });
            }
            Action::Back => return Step::Close(None),
            Action::Reload => {
                if let Err(e) = self.reload(env) {
                    return Step::Msg(Msg::Status(StatusKind::Error, e.to_string()));
                }
                return Step::Msg(Msg::Status(StatusKind::Info, "Reloaded".into()));
            }
            _ => return Step::Pass,
        }
        Step::Done
    }

    fn whose_label(&self) -> String {
        match &self.whose {
            Whose::Mine => "mine".into(),
            Whose::Team => "whole team".into(),
            Whose::Worker(w) => w.clone(),
        }
    }

    pub fn describe(&self) -> String {
        let n = self.shown().count();
        format!(
            "Due-list · {} · {n} item{}{}",
            self.whose_label(),
            if n == 1 { "" } else { "s" },
            if self.updating { " · updating…" } else { "" }
        )
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        if area.height < 4 || area.width < 20 {
            return;
        }
        let key = |a: Action| {
            keys.key_for(a, Context::DueList)
                .map_or_else(|| "?".to_string(), |k| k.to_string())
        };
        // Top line: the filters in force (or the as-of prompt).
        let top = if let Some(p) = &self.prompt {
            let mut spans = vec![
                Span::styled("As of: ", theme.key()),
                Span::raw(p.value().to_string()),
            ];
            match &self.prompt_error {
                Some(e) => spans.push(Span::styled(format!("  {e}"), theme.error())),
                None => spans.push(Span::styled(format!("  ({DATE_FORMS})"), theme.dim())),
            }
            Line::from(spans)
        } else {
            let mut spans = vec![
                Span::styled(format!("{} ", key(Action::ToggleTeam)), theme.key()),
                Span::raw(format!("whose: {}  ", self.whose_label())),
                Span::styled(format!("{} ", key(Action::CycleKind)), theme.key()),
                Span::raw(format!(
                    "item: {}  ",
                    self.kind.map_or("all kinds", short_label)
                )),
                Span::styled(format!("{} ", key(Action::AsOf)), theme.key()),
            ];
            match self.as_of {
                Some(d) => spans.push(Span::styled(
                    format!("as of {} (not today)", d.format("%d/%m/%Y")),
                    theme.warning(),
                )),
                None => spans.push(Span::raw("as of today")),
            }
            Line::from(spans)
        };
        frame
            .buffer_mut()
            .set_line(area.x + 1, area.y, &top, area.width.saturating_sub(1));
        if let Some(p) = &self.prompt {
            let x = area.x + 1 + 7 + p.cursor() as u16;
            frame.set_cursor_position(Position::new(x.min(area.right() - 1), area.y));
        }
        // Under the table: the order's reason, then the rule wrapped on up to three lines
        // (at 80 columns it needs about three) when the screen has room for them.
        let rule_h: u16 = if area.height >= 16 { 3 } else { 0 };
        let table_area = Rect::new(area.x, area.y + 1, area.width, area.height - 2 - rule_h);
        let why_y = area.bottom() - 1 - rule_h;
        let body_h = table_area.height.saturating_sub(1) as usize;
        self.page = body_h.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + body_h {
            self.offset = self.selected + 1 - body_h;
        }
        // Keep the group heading of the top item in view when there is room.
        self.offset = self.offset.min(self.display.len().saturating_sub(body_h));

        if self.display.is_empty() {
            let msg = match (&self.whose, self.kind) {
                _ if self.updating => "Working out what is due…".to_string(),
                (Whose::Mine, _) => format!(
                    "Nothing due on your caseload here. {} shows the whole team.",
                    key(Action::ToggleTeam)
                ),
                (_, Some(_)) => format!(
                    "Nothing of this kind is due. {} shows the next kind.",
                    key(Action::CycleKind)
                ),
                _ => "Nothing is due.".to_string(),
            };
            frame.buffer_mut().set_line(
                area.x + 1,
                table_area.y + 1,
                &Line::styled(msg, theme.dim()),
                area.width.saturating_sub(1),
            );
        }

        let wide = area.width >= 100;
        let item_w: u16 = if wide { 22 } else { 15 };
        let worker_w: u16 = if wide { 14 } else { 7 };
        let ref_w: u16 = if wide { 14 } else { 10 };
        // Days holds up to `999wd late` (10 characters).
        let fixed = 2 + ref_w + item_w + 8 + 10 + worker_w + 4 + 7;
        let name_w = (area.width.saturating_sub(fixed)).max(4) as usize;
        let widths = [
            Constraint::Length(2),
            Constraint::Length(ref_w),
            Constraint::Min(4),
            Constraint::Length(item_w),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(worker_w),
            Constraint::Length(4),
        ];
        let header = Row::new(vec![
            "",
            "Ref",
            "Young person",
            "Item",
            "Due",
            "Days",
            "Worker",
            "Risk",
        ])
        .style(theme.header());
        let end = (self.offset + body_h).min(self.display.len());
        let rows: Vec<Row> = self.display[self.offset..end]
            .iter()
            .enumerate()
            .map(|(n, d)| match d {
                // Drawn across the row after the table (a cell would cut it short).
                Disp::Head(..) => Row::new(vec![Cell::from("")]),
                Disp::Item(i) => {
                    let e = &self.entries[*i as usize];
                    let overdue = e.group == DueGroup::Overdue;
                    let high = e.risk == Some(RiskLevel::High);
                    let marker = format!(
                        "{}{}",
                        if high { "▲" } else { " " },
                        if overdue { "!" } else { " " }
                    );
                    let reference = if wide {
                        e.reference.clone()
                    } else {
                        e.reference.trim_start_matches("YP-").to_string()
                    };
                    let days = days_text(e);
                    let worker = e
                        .key_worker
                        .as_deref()
                        .map(|w| short_worker(w, worker_w as usize))
                        .unwrap_or_else(|| "—".into());
                    let (risk, risk_style) = risk_cell(e.risk, theme);
                    let row = Row::new(vec![
                        Cell::from(marker).style(if high || overdue {
                            theme.high_risk()
                        } else {
                            theme.base()
                        }),
                        Cell::from(reference),
                        Cell::from(truncate(&e.name, name_w)),
                        Cell::from(truncate(short_label(e.kind), item_w as usize)),
                        Cell::from(e.due.format("%d/%m/%y").to_string()),
                        Cell::from(days).style(if overdue {
                            theme.overdue()
                        } else {
                            theme.base()
                        }),
                        Cell::from(worker),
                        Cell::from(risk).style(risk_style),
                    ]);
                    if self.offset + n == self.selected {
                        row.style(theme.selected())
                    } else {
                        row.style(Style::new())
                    }
                }
            })
            .collect();
        frame.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            table_area,
        );
        for (n, d) in self.display[self.offset..end].iter().enumerate() {
            if let Disp::Head(g, count) = d {
                let style = if *g == DueGroup::Overdue {
                    theme.overdue()
                } else {
                    theme.header()
                };
                frame.buffer_mut().set_line(
                    table_area.x + 3,
                    table_area.y + 1 + n as u16,
                    &Line::styled(format!("── {} ({count}) ──", g.label()), style),
                    table_area.width.saturating_sub(3),
                );
            }
        }
        // The selected row's reason, so the order is never a mystery.
        if let Some(e) = self.selected_entry() {
            let line = Line::from(vec![
                Span::styled(" why: ", theme.key()),
                Span::raw(format!(
                    "{}{} · {} ({})",
                    e.why,
                    if e.estimated { " (estimated)" } else { "" },
                    e.kind.label(),
                    e.kind.source()
                )),
            ]);
            frame
                .buffer_mut()
                .set_line(area.x, why_y, &line, area.width);
        }
        if let (Some(w), true) = (self.why_line(), rule_h > 0) {
            let rule = Rect::new(area.x + 1, why_y + 1, area.width.saturating_sub(2), rule_h);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("rule: ", theme.key()),
                    Span::styled(w.to_string(), theme.dim()),
                ]))
                .wrap(Wrap { trim: true }),
                rule,
            );
        }
    }
}

/// Days overdue or left: `7wd late`, `3d left`, `today` ("wd": working days).
pub fn days_text(e: &DueEntry) -> String {
    let unit = if e.working_days { "wd" } else { "d" };
    match e.group {
        DueGroup::Today => "today".into(),
        DueGroup::Overdue => format!("{}{unit} late", (-e.days_left).max(0)),
        _ => format!("{}{unit} left", e.days_left),
    }
}

/// A risk level as a short word and its style (the word carries it without colour).
pub fn risk_cell(risk: Option<RiskLevel>, theme: Theme) -> (&'static str, Style) {
    match risk {
        Some(RiskLevel::High) => ("high", theme.high_risk()),
        Some(RiskLevel::Medium) => ("med", theme.medium_risk()),
        Some(RiskLevel::Low) => ("low", theme.low_risk()),
        None => ("", theme.base()),
    }
}

/// A worker's name in `w` columns: the whole name, else the given name, else cut.
fn short_worker(name: &str, w: usize) -> String {
    if name.chars().count() <= w {
        return name.to_string();
    }
    let given = name.split_whitespace().next().unwrap_or(name);
    truncate(given, w)
}

/// The key, pressed in the case, that opens the form dealing with a due episode item.
fn form_for(kind: DueKind) -> Option<Action> {
    Some(match kind {
        DueKind::Triage => Action::Triage,
        DueKind::Assessment => Action::AddAssessment,
        DueKind::CarePlan => Action::OpenCarePlan,
        DueKind::Review => Action::AddReview,
        DueKind::OutcomeProfileStart
        | DueKind::OutcomeProfileReview
        | DueKind::OutcomeProfileExit => Action::AddOutcomeProfile,
        DueKind::FollowUp3Months | DueKind::FollowUp6Months => Action::RecordFollowUp,
        _ => return None,
    })
}

impl super::component::Component for Board {
    fn title(&self) -> Option<String> {
        Some(self.describe())
    }

    fn contexts(&self) -> Vec<Context> {
        Board::contexts(self)
    }

    fn key(
        &mut self,
        k: &KeyEvent,
        action: Option<Action>,
        env: &mut super::component::Env,
    ) -> Step {
        Board::key(self, k, action, &env.board())
    }

    fn paste(&mut self, text: &str, _env: &mut super::component::Env) -> Step {
        if Board::paste(self, text) {
            Step::Done
        } else {
            Step::Pass
        }
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        Board::draw(self, frame, body, theme, keys);
    }

    /// A board lists many young people: any write may change it.
    fn written(&mut self, _w: &super::msg::Written, env: &super::component::Env) -> Result<()> {
        Board::reload(self, &env.board())
    }

    fn reload(&mut self, env: &super::component::Env) -> Result<()> {
        Board::reload(self, &env.board())
    }

    fn dues_arrived(&mut self, as_of: NaiveDate, env: &super::component::Env) -> Result<()> {
        match self {
            Board::Due(s) if s.as_of() == as_of => s.read_entries(&env.board()),
            Board::Dashboard(s) => s.reload(&env.board()),
            _ => Ok(()),
        }
    }

    crate::as_any!();
}
