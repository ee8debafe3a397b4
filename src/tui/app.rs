//! The app: a stack of screens (components) over the caseload, and the router between them.
//! A key goes to the top screen; what it passes on, the global keys may take; what it asks for
//! (a [`Msg`]) the app does: open a screen, pop one, or after a write have every screen that
//! shows the young person read again. Input is any iterator of terminal events, so tests drive
//! the very loop that production reads from crossterm.

use std::collections::HashMap;
use std::io;
use std::rc::Rc;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::{Frame, Terminal};

use super::case_view::CaseView;
use super::caseload::{CaseloadScreen, Scope};
use super::component::{Component, Env, Layer, Step};
use super::due::next_due_by_person;
use super::due_list::Board;
use super::export::{self, ExportScreen};
use super::form::{truncate, Form};
use super::form_screen::FormScreen;
use super::keymap::{Action, Context, KeyMap};
use super::msg::{BoardKind, Command, Msg, Route, Status, StatusKind, Written};
use super::screens;
use super::theme::Theme;
use super::TuiContext;
use crate::domain::calendar::Calendar;
use crate::domain::codes::CodeLists;
use crate::store::{caseload, people, Store};

/// The smallest terminal the app draws in; below it, a message says what is needed.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

const FORM_OPEN: &str = "Close the form first (Esc); its draft is kept";

/// The terminal UI's state.
pub struct App {
    store: Store,
    ctx: TuiContext,
    keymap: KeyMap,
    theme: Theme,
    calendar: Calendar,
    codes: Rc<CodeLists>,
    worker_names: HashMap<String, String>,
    /// The caseload: the screen at the bottom, always there.
    home: CaseloadScreen,
    /// The screens opened over it, the top one last.
    stack: Vec<Box<dyn Component>>,
    status: Option<Status>,
    quit: bool,
    dues_loaded: bool,
}

/// What a component is lent to act; field by field, so the stack stays free to borrow.
macro_rules! env {
    ($app:ident) => {
        Env {
            store: &mut $app.store,
            calendar: &$app.calendar,
            codes: &$app.codes,
            keymap: &$app.keymap,
            today: $app.ctx.clock.today(),
            now: $app.ctx.clock.now(),
            worker: &$app.ctx.worker,
            worker_names: &$app.worker_names,
            status: None,
        }
    };
}

impl App {
    /// An app on `store` for the worker in `ctx`: reads the keymap file (reporting bad entries
    /// in the status bar), the workers, and the caseload index.
    pub fn new(store: Store, ctx: TuiContext) -> Result<App> {
        let (keymap, mut problems) = KeyMap::load(ctx.config_dir.as_deref());
        let dir = ctx.config_dir.as_deref();
        // A service's broken override file must not lock workers out: say so, use the defaults.
        let calendar = crate::config::load_calendar(dir).unwrap_or_else(|e| {
            problems.push(format!("{e:#}; using the built-in bank holidays"));
            Calendar::embedded()
        });
        let codes = Rc::new(crate::config::load_codes(dir).unwrap_or_else(|e| {
            problems.push(format!("{e:#}; using the built-in code lists"));
            CodeLists::embedded()
        }));
        let worker_names = people::workers(&store)?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        let rows = caseload::caseload(&store)?;
        // What is due is worked out after the first frame (see `run_loop`): at the size of a
        // large service it takes a few seconds, and the list is worth seeing before then.
        let home = CaseloadScreen::new(rows, &HashMap::new(), &ctx.worker.id, ctx.clock.today());
        let status = (!problems.is_empty()).then(|| Status {
            kind: StatusKind::Warning,
            text: problems.join(" · "),
        });
        Ok(App {
            store,
            keymap,
            theme: Theme::from_env(),
            calendar,
            codes,
            worker_names,
            home,
            stack: Vec::new(),
            status,
            quit: false,
            dues_loaded: false,
            ctx,
        })
    }

    /// Replaces the theme (tests use it to draw with and without colour).
    pub fn with_theme(mut self, theme: Theme) -> App {
        self.theme = theme;
        self
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    pub fn caseload(&self) -> &CaseloadScreen {
        &self.home
    }

    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    /// Gives the store back (e.g. to look at what was written).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The topmost open screen of type `T`.
    pub fn find<T: Component>(&self) -> Option<&T> {
        self.stack
            .iter()
            .rev()
            .find_map(|c| c.as_any().downcast_ref::<T>())
    }

    fn find_mut<T: Component>(&mut self) -> Option<&mut T> {
        self.stack
            .iter_mut()
            .rev()
            .find_map(|c| c.as_any_mut().downcast_mut::<T>())
    }

    pub fn case(&self) -> Option<&CaseView> {
        self.find::<CaseView>()
    }

    pub fn board(&self) -> Option<&Board> {
        self.find::<Board>()
    }

    pub fn form(&self) -> Option<&Form> {
        self.find::<FormScreen>().map(|f| &f.form)
    }

    pub fn has_draft_offer(&self) -> bool {
        self.find::<FormScreen>().is_some_and(|f| f.offer.is_some())
    }

    /// How many screens are open over the caseload.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    fn today(&self) -> NaiveDate {
        self.ctx.clock.today()
    }

    fn top(&self) -> &dyn Component {
        self.stack.last().map_or(&self.home, |c| c.as_ref())
    }

    /// The contexts in force, innermost first: what decides which bindings apply.
    pub fn contexts(&self) -> Vec<Context> {
        let mut c = self.top().contexts();
        c.push(Context::Always);
        c
    }

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
        let dir = self.ctx.config_dir.clone();
        let theme = self.theme;
        let Some(screen) = self
            .stack
            .last_mut()
            .and_then(|c| c.as_any_mut().downcast_mut::<ExportScreen>())
        else {
            return Ok(());
        };
        let export::State::Waiting(job) = screen.state() else {
            return Ok(());
        };
        let layout = crate::config::read_override(dir.as_deref(), job.request.kind.layout_file())
            .unwrap_or_else(|e| {
                self.status = Some(Status {
                    kind: StatusKind::Warning,
                    text: format!("{e:#}; using the shipped layout"),
                });
                None
            });
        let mut last: Option<(String, usize)> = None;
        let mut progress = |stage: &str, done: usize, total: usize| {
            // A redraw per stage and per twentieth, not per row.
            let step = done * 20 / total.max(1);
            if last.as_ref() != Some(&(stage.to_string(), step)) {
                last = Some((stage.to_string(), step));
                let _ = terminal.draw(|f| export::draw_progress(f, theme, stage, done, total));
            }
        };
        screen.run(
            &self.store,
            &self.calendar,
            &self.codes,
            layout,
            &mut progress,
        );
        terminal.draw(|f| self.draw(f))?;
        Ok(())
    }

    /// Works out every young person's next due item for the caseload (once, after the first
    /// frame; later changes come row by row after each write).
    pub fn load_dues(&mut self) {
        self.dues_loaded = true;
        match next_due_by_person(&self.store, &self.calendar, &self.codes, self.today()) {
            Ok(dues) => self.home.set_dues(&dues),
            Err(e) => self.set_status(
                StatusKind::Error,
                format!("Could not work out what is due: {e}"),
            ),
        }
    }

    /// One terminal event.
    pub fn handle_event(&mut self, ev: Event) {
        if !self.dues_loaded {
            self.load_dues();
        }
        match ev {
            // Only presses: terminals that report releases and repeats would double every key.
            Event::Key(k) if k.kind == KeyEventKind::Press => self.handle_key(k),
            Event::Paste(text) => self.handle_paste(&text),
            _ => {}
        }
    }

    fn handle_key(&mut self, k: KeyEvent) {
        self.status = None;
        let action = self.keymap.resolve(&k, &self.contexts());
        // Ctrl-C anywhere, or q where it is bound (never while typing); a draft is kept first.
        if action == Some(Action::Quit) {
            return self.process(Msg::Quit);
        }
        self.offer_key(&k, action);
    }

    /// Offers a key to the top screen and does what it comes to.
    fn offer_key(&mut self, k: &KeyEvent, action: Option<Action>) {
        let mut env = env!(self);
        let top: &mut dyn Component = match self.stack.last_mut() {
            Some(c) => c.as_mut(),
            None => &mut self.home,
        };
        let step = top.key(k, action, &mut env);
        if let Some(s) = env.status.take() {
            self.status = Some(s);
        }
        self.apply(step, action);
    }

    fn handle_paste(&mut self, text: &str) {
        self.status = None;
        let mut env = env!(self);
        let top: &mut dyn Component = match self.stack.last_mut() {
            Some(c) => c.as_mut(),
            None => &mut self.home,
        };
        let step = top.paste(text, &mut env);
        if let Some(s) = env.status.take() {
            self.status = Some(s);
        }
        match step {
            Step::Pass => self.set_status(
                StatusKind::Info,
                "Nothing here takes pasted text: paste into a field or the filter (/)".into(),
            ),
            step => self.apply(step, None),
        }
    }

    fn apply(&mut self, step: Step, action: Option<Action>) {
        match step {
            Step::Done => {}
            Step::Pass => {
                if let Some(m) = action.and_then(screens::global) {
                    self.process(m);
                }
            }
            Step::Msg(m) => self.process(m),
            Step::Close(then) => {
                self.stack.pop();
                if let Some(m) = then {
                    self.process(m);
                }
            }
            Step::Push(c) => self.stack.push(c),
        }
    }

    fn set_status(&mut self, kind: StatusKind, text: String) {
        self.status = Some(Status { kind, text });
    }

    /// Does what a screen asked.
    pub fn process(&mut self, msg: Msg) {
        match msg {
            Msg::Quit => {
                let mut env = env!(self);
                for c in self.stack.iter_mut() {
                    c.quitting(&mut env);
                }
                self.quit = true;
            }
            Msg::Status(kind, text) => self.set_status(kind, text),
            Msg::Reload => self.reload(),
            Msg::Written(w) => self.written(&w),
            Msg::Open(route) => {
                self.open(route);
            }
            Msg::OpenCaseThen(id, action) => {
                if self.open(Route::Case(id)) {
                    // No raw key: the action alone drives the case.
                    self.offer_key(
                        &KeyEvent::new(KeyCode::Null, KeyModifiers::NONE),
                        Some(action),
                    );
                }
            }
            Msg::OpenDueListOf(name) => {
                if self.open(Route::Board(BoardKind::Due)) {
                    if let Some(Board::Due(d)) = self.find_mut::<Board>() {
                        d.show_worker(&name);
                    }
                }
            }
            Msg::Command(cmd) => self.command(cmd),
            Msg::Many(msgs) => msgs.into_iter().for_each(|m| self.process(m)),
        }
    }

    /// Opens the screen `route` names over the current one; false when it was refused (and the
    /// status bar says why). A board replaces what is open; a case replaces an open case.
    fn open(&mut self, route: Route) -> bool {
        let form_open = self.find::<FormScreen>().is_some();
        match route {
            Route::Board(_) | Route::Intake(_) | Route::Export if form_open => {
                self.set_status(StatusKind::Warning, FORM_OPEN.into());
                return false;
            }
            Route::FlagForm(_) if form_open => return false,
            _ => {}
        }
        let under = self.contexts();
        let mut env = env!(self);
        let case = self
            .stack
            .iter()
            .rev()
            .find_map(|c| c.as_any().downcast_ref::<CaseView>())
            .map(|cv| &cv.model);
        match screens::open(route.clone(), &mut env, case, &under) {
            Ok(screen) => {
                let keep = match route {
                    Route::Board(_) => 0,
                    Route::Case(_) => self
                        .stack
                        .iter()
                        .position(|c| c.as_any().is::<CaseView>())
                        .unwrap_or(self.stack.len()),
                    _ => self.stack.len(),
                };
                self.stack.truncate(keep);
                self.stack.push(screen);
                true
            }
            Err(m) => {
                self.process(m);
                false
            }
        }
    }

    /// After a write: every open screen reads again what the write touched.
    fn written(&mut self, w: &Written) {
        let env = env!(self);
        let mut failed = self.home.written(w, &env).err();
        for c in self.stack.iter_mut() {
            if let Err(e) = c.written(w, &env) {
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => self.set_status(
                StatusKind::Warning,
                format!("{}; the list could not be reloaded: {e}", w.message),
            ),
            None if w.message.is_empty() => {}
            None => self.set_status(w.kind.unwrap_or(StatusKind::Info), w.message.clone()),
        }
    }

    /// Ctrl-R: the workers and every open screen, read again.
    fn reload(&mut self) {
        match people::workers(&self.store) {
            Ok(ws) => self.worker_names = ws.into_iter().map(|w| (w.id, w.name)).collect(),
            Err(e) => return self.set_status(StatusKind::Error, e.to_string()),
        }
        let env = env!(self);
        let mut failed = self.home.reload(&env).err();
        for c in self.stack.iter_mut() {
            if let Err(e) = c.reload(&env) {
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => self.set_status(StatusKind::Error, e.to_string()),
            // The case says what it shows; the lists say they were read again.
            None if self.case().is_some() => {}
            None => self.set_status(StatusKind::Info, "Reloaded".into()),
        }
    }

    /// Runs a palette command as if its key were pressed where the worker is.
    fn command(&mut self, cmd: Command) {
        let form_open = self.find::<FormScreen>().is_some();
        match cmd {
            Command::MyCaseload | Command::TeamCaseload if form_open => {
                self.set_status(StatusKind::Warning, FORM_OPEN.into())
            }
            Command::MyCaseload | Command::TeamCaseload => {
                self.stack.clear();
                self.home.set_scope(if cmd == Command::MyCaseload {
                    Scope::Mine
                } else {
                    Scope::Team
                });
            }
            Command::Section(s) => match self.find_mut::<CaseView>() {
                Some(cv) if !form_open => cv.set_section(s),
                _ => self.set_status(
                    StatusKind::Warning,
                    format!("{} is part of the case view", s.title()),
                ),
            },
            Command::Action(a) => {
                let applies = self
                    .keymap
                    .active(&self.contexts())
                    .iter()
                    .any(|(b, _)| b.action == a);
                if !applies {
                    self.set_status(
                        StatusKind::Warning,
                        format!("“{}” does nothing here", a.title()),
                    );
                } else if a == Action::Quit {
                    self.process(Msg::Quit);
                } else {
                    // No raw key: the action alone drives the screen.
                    self.offer_key(&KeyEvent::new(KeyCode::Null, KeyModifiers::NONE), Some(a));
                }
            }
        }
    }

    /// Draws the whole screen: the title, the top screen (with the screens it is drawn over),
    /// the status bar.
    pub fn draw(&mut self, frame: &mut Frame) {
        let area = frame.area();
        if area.width == 0 || area.height == 0 {
            return;
        }
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "Terminal too small — need at least {MIN_WIDTH}×{MIN_HEIGHT} (now {}×{}). \
                 Make the window bigger, or press Ctrl-C to leave; nothing typed is lost.",
                area.width, area.height
            );
            frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        // A long message (e.g. several bad keymap entries) takes up to three lines.
        let status_h = self.status.as_ref().map_or(1, |s| {
            let n = s.text.chars().count() + 2;
            let w = area.width as usize;
            if n <= w {
                1
            } else {
                (n / w + 1).min(3) as u16
            }
        });
        let [title, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(status_h),
        ])
        .areas(area);
        self.draw_title(frame, title);
        let (theme, keys) = (self.theme, &self.keymap);
        // From the last screen that fills the body, up through what is drawn over it.
        match self.stack.iter().rposition(|c| c.layer() == Layer::Screen) {
            Some(i) => self.stack[i..]
                .iter_mut()
                .for_each(|c| c.draw(frame, body, theme, keys)),
            None => {
                self.home.draw(frame, body, theme, keys);
                self.stack
                    .iter_mut()
                    .for_each(|c| c.draw(frame, body, theme, keys));
            }
        }
        self.draw_status(frame, status);
    }

    fn draw_title(&self, frame: &mut Frame, area: Rect) {
        let what = self
            .stack
            .iter()
            .rev()
            .find_map(|c| c.title())
            .unwrap_or_else(|| self.home.describe());
        let today = self.today();
        let right = format!(
            "{} · {}{} ",
            self.ctx.worker.name,
            today.format("%a %d %b %Y"),
            if self.ctx.clock.is_shifted() && self.ctx.clock.now().date_naive() != today {
                " (as of)"
            } else {
                ""
            }
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
        frame.render_widget(Paragraph::new(line).style(self.theme.title_bar()), area);
    }

    fn draw_status(&self, frame: &mut Frame, area: Rect) {
        let w = area.width as usize;
        if let Some(s) = &self.status {
            let (mark, style) = match s.kind {
                StatusKind::Info => ("✓ ", self.theme.info()),
                StatusKind::Warning => ("! ", self.theme.warning()),
                StatusKind::Error => ("✗ ", self.theme.error()),
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
        for (key, hint) in self.keymap.hints(&self.contexts()) {
            let piece = key.chars().count() + hint.chars().count() + 3;
            if used + piece > w {
                break;
            }
            spans.push(Span::styled(format!(" {key}"), self.theme.key()));
            spans.push(Span::styled(format!(" {hint} "), self.theme.dim()));
            used += piece;
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}
