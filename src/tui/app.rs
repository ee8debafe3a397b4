//! The app: a stack of screens (components) over the caseload, and the router between them.
//! A key goes to the top screen; what it passes on, the global keys may take; what it asks for
//! (a [`Msg`]) the app does: open a screen, pop one, or after a write have every screen that
//! shows the young person read again. The loop over terminal events is in `app/run.rs`.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;

use super::case_view::CaseView;
use super::caseload::{CaseloadScreen, Scope};
use super::chrome;
use super::component::{Component, Env, Layer, Step};
use super::due::next_due_by_person_in;
use super::due_list::Board;
use super::dues::{Background, Done, Dues};
use super::form::Form;
use super::form_screen::FormScreen;
use super::keymap::{Action, Context, KeyMap};
use super::lock::LockScreen;
use super::msg::{BoardKind, Command, Msg, Route, Status, StatusKind, Written};
use super::screens;
use super::theme::Theme;
use super::TuiContext;
use crate::domain::calendar::Calendar;
use crate::domain::codes::CodeLists;
use crate::store::caseload::CaseloadRow;
use crate::store::{caseload, people, Store};

pub use super::chrome::{MIN_HEIGHT, MIN_WIDTH};

// The loop over terminal events (a child module, so it sees the app's fields).
mod run;

const FORM_OPEN: &str = "Close the form first (Esc); its draft is kept";

/// Rows read for the first frame when the rest is read in the background: more than any
/// terminal shows.
pub const FIRST_PAGE_ROWS: usize = 200;

/// The terminal UI's page cache per connection, MiB: the screens read by index, and the OS
/// keeps the file's pages anyway; the store's default 64 MiB would be most of the memory
/// the UI may use (issue 13: 100 MB in all).
const TUI_PAGE_CACHE_MIB: u32 = 8;

/// The caseload being read in the background (see [`App::with_background_load`]).
struct Loading {
    /// Writes made while it was being read: their rows are read again once it arrives, as
    /// the background read may have been taken before them.
    written: Vec<Written>,
}

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
    /// When the worker last pressed a key: the idle lock counts from here.
    last_activity: chrono::DateTime<chrono::Utc>,
    /// Minutes without a key before the screen locks itself.
    idle_lock_minutes: i64,
    /// How to sync now (`Y`), when casebook was started with the team's folder.
    sync: Option<super::SyncNow>,
    /// The whole caseload, while it is read in the background.
    loading: Option<Loading>,
    /// The whole service's due-list, shared by the screens that read it.
    dues: Dues,
    /// The caseload's "next due" column waits for an up-to-date due-list (after Ctrl-R).
    home_wants_dues: bool,
    /// "synced 2h ago · 3 changes waiting" for a device in a sync team (the title bar shows
    /// it); read again after each write and on Ctrl-R.
    sync_line: Option<String>,
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
            dues: &$app.dues,
            status: None,
        }
    };
}

impl App {
    /// An app on `store` for the worker in `ctx`: reads the keymap file (reporting bad entries
    /// in the status bar), the workers, and the caseload index.
    pub fn new(store: Store, ctx: TuiContext) -> Result<App> {
        store.limit_page_cache(TUI_PAGE_CACHE_MIB)?;
        let rows = caseload::caseload(&store)?;
        Self::with_rows(store, ctx, rows)
    }

    /// As [`App::new`], but only the first screenful of the caseload is read before the first
    /// frame; the whole caseload and what is due are read on `reader` (a second connection to
    /// the same file) in a background thread, and replace the first page when they arrive
    /// (polled on every event; the loop ticks quickly until then). No frame waits for them.
    pub fn with_background_load(store: Store, ctx: TuiContext, reader: Store) -> Result<App> {
        store.limit_page_cache(TUI_PAGE_CACHE_MIB)?;
        reader.limit_page_cache(TUI_PAGE_CACHE_MIB)?;
        let rows = caseload::caseload_first_page(&store, &ctx.worker.id, FIRST_PAGE_ROWS)?;
        let mut app = Self::with_rows(store, ctx, rows)?;
        // What is due arrives with the rest.
        app.dues_loaded = true;
        app.home.set_partial(true);
        let (calendar, codes, today) = (app.calendar.clone(), (*app.codes).clone(), app.today());
        let background = Background::start(reader, calendar, codes, today)?;
        app.dues = Dues::in_background(background, today);
        app.loading = Some(Loading {
            written: Vec::new(),
        });
        Ok(app)
    }

    /// Whether the whole caseload is still being read in the background.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// How many jobs the background reader has not answered yet (shared with the loop, which
    /// polls quickly while there are any); `None` without a background reader.
    pub fn busy_flag(&self) -> Option<Arc<AtomicUsize>> {
        self.dues.background().map(|b| b.busy())
    }

    /// Whether the background reader is still working on something it was asked.
    pub fn is_busy(&self) -> bool {
        self.busy_flag()
            .is_some_and(|b| b.load(std::sync::atomic::Ordering::Acquire) > 0)
    }

    /// Takes what the background reader sent: the whole caseload with what is due replaces
    /// the first page; a due-list worked out after a write replaces the stale one on the
    /// screens showing it. Returns whether anything changed.
    pub fn poll_loading(&mut self) -> bool {
        let arrived = match self.dues.background() {
            Some(bg) => bg.arrived(),
            None => return false,
        };
        let changed = !arrived.is_empty();
        for done in arrived {
            match done {
                Done::Caseload(result) => self.caseload_arrived(result),
                Done::Dues {
                    as_of,
                    generation,
                    result: Ok(entries),
                } => {
                    if self.dues.arrived(as_of, generation, entries) {
                        self.dues_arrived(as_of);
                    }
                }
                Done::Dues {
                    as_of,
                    generation,
                    result: Err(e),
                } => {
                    self.dues.failed(as_of, generation);
                    self.set_status(
                        StatusKind::Error,
                        format!("Could not work out what is due: {e:#}"),
                    );
                }
            }
        }
        changed
    }

    /// An up-to-date due-list as of `as_of` arrived: the screens showing it read it.
    fn dues_arrived(&mut self, as_of: NaiveDate) {
        if self.home_wants_dues && as_of == self.today() {
            if let Some(next) = self.dues.next_due_by_person(as_of) {
                self.home.set_dues(&next);
                self.home_wants_dues = false;
            }
        }
        if let Some(e) = self.on_every(|c, env| c.dues_arrived(as_of, env)) {
            self.set_status(StatusKind::Warning, format!("{e:#}"));
        }
    }

    fn caseload_arrived(&mut self, result: Result<super::caseload::PreparedRows>) {
        let written = self.loading.take().map(|l| l.written).unwrap_or_default();
        self.home.set_partial(false);
        match result {
            Ok(prepared) => {
                self.home.install(prepared);
                self.home.mark_dues_known();
                for w in &written {
                    let env = env!(self);
                    if let Err(e) = self.home.written(w, &env) {
                        self.set_status(StatusKind::Warning, format!("{e:#}"));
                    }
                }
            }
            Err(e) => {
                self.set_status(
                    StatusKind::Error,
                    format!("Could not read the whole caseload: {e:#}"),
                );
            }
        }
    }

    fn with_rows(store: Store, ctx: TuiContext, rows: Vec<CaseloadRow>) -> Result<App> {
        let (keymap, calendar, codes, problems) = super::settings(ctx.config_dir.as_deref());
        let worker_names = people::workers(&store)?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
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
            last_activity: ctx.clock.now(),
            sync_line: None,
            idle_lock_minutes: crate::domain::roles::IDLE_LOCK_MINUTES,
            sync: None,
            loading: None,
            dues: Dues::on_the_spot(),
            home_wants_dues: false,
            ctx,
        }
        .with_sync_line())
    }

    /// Locks the screen after `minutes` without a key instead of the default (a service's
    /// `CASEBOOK_IDLE_LOCK_MINUTES`).
    pub fn with_idle_lock_minutes(mut self, minutes: i64) -> App {
        self.idle_lock_minutes = minutes;
        self
    }

    /// Lets `Y` sync through the team's folder.
    pub fn with_sync(mut self, sync: super::SyncNow) -> App {
        self.sync = Some(sync);
        self
    }

    /// Syncs now; the screens read again what arrived.
    fn sync_now(&mut self) {
        let Some(sync) = self.sync.clone() else {
            return self.set_status(
                StatusKind::Warning,
                "Sync needs the team's folder: start casebook with CASEBOOK_SYNC_FOLDER=DIR \
                 (or run `casebook sync --folder DIR`)"
                    .into(),
            );
        };
        match (sync.0)(&mut self.store, self.ctx.clock.now()) {
            Ok(done) => {
                self.reload();
                self.set_status(StatusKind::Info, done);
            }
            Err(e) => self.set_status(StatusKind::Error, format!("Sync failed: {e:#}")),
        }
    }

    /// Reads this device's sync status for the title bar (nothing when it is in no team).
    fn with_sync_line(mut self) -> App {
        self.refresh_sync_line();
        self
    }

    fn refresh_sync_line(&mut self) {
        self.sync_line = crate::store::sync::status(&self.store)
            .ok()
            .filter(|s| s.team_id.is_some())
            .map(|s| crate::domain::sync::status_line(&s.figures(), self.ctx.clock.now()));
    }

    /// The sync status the title bar shows, if this device is in a team.
    pub fn sync_line(&self) -> Option<&str> {
        self.sync_line.as_deref()
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

    /// Works out every young person's next due item for the caseload (once, after the first
    /// frame; later changes come row by row after each write).
    pub fn load_dues(&mut self) {
        self.dues_loaded = true;
        let today = self.today();
        match (self.dues).get(today, &self.store, &self.calendar, &self.codes) {
            Ok(now) => {
                let (entries, updating) = now.entries();
                self.home_wants_dues = updating;
                self.home.set_dues(&next_due_by_person_in(&entries));
            }
            Err(e) => self.set_status(
                StatusKind::Error,
                format!("Could not work out what is due: {e}"),
            ),
        }
    }

    pub(super) fn handle_key(&mut self, k: KeyEvent) {
        self.status = None;
        let action = self.keymap.resolve(&k, &self.contexts());
        // Ctrl-C anywhere, or q where it is bound (never while typing); a draft is kept first.
        if action == Some(Action::Quit) {
            return self.process(Msg::Quit);
        }
        if action == Some(Action::Lock) {
            return self.process(Msg::Lock);
        }
        self.offer_key(&k, action);
    }

    /// Runs `f` on the top screen with the store lent to it; a note it left goes to the status
    /// bar.
    fn on_top(&mut self, f: impl FnOnce(&mut dyn Component, &mut Env) -> Step) -> Step {
        let mut env = env!(self);
        let step = match self.stack.last_mut() {
            Some(c) => f(c.as_mut(), &mut env),
            None => f(&mut self.home, &mut env),
        };
        if let Some(s) = env.status.take() {
            self.status = Some(s);
        }
        step
    }

    /// Offers a key to the top screen and does what it comes to.
    fn offer_key(&mut self, k: &KeyEvent, action: Option<Action>) {
        let step = self.on_top(|c, env| c.key(k, action, env));
        self.apply(step, action);
    }

    pub(super) fn handle_paste(&mut self, text: &str) {
        self.status = None;
        match self.on_top(|c, env| c.paste(text, env)) {
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

    pub(super) fn set_status(&mut self, kind: StatusKind, text: String) {
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
            Msg::OpenThen(route, action) => {
                if self.open(route) {
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
            Msg::Lock => self.lock(),
            Msg::SyncNow => self.sync_now(),
            Msg::Many(msgs) => msgs.into_iter().for_each(|m| self.process(m)),
        }
    }

    /// Whether the lock screen is up.
    pub fn is_locked(&self) -> bool {
        self.find::<LockScreen>().is_some()
    }

    /// Covers everything with the lock screen (nothing of anyone's record shows); the screens
    /// under it, a form's typing included, are as they were once the password is typed.
    fn lock(&mut self) {
        match &self.ctx.db_path {
            _ if self.is_locked() => {}
            Some(db) => {
                self.stack.push(Box::new(LockScreen::new(db.clone())));
                self.status = None;
            }
            None => self.set_status(
                StatusKind::Warning,
                "This database has no key file, so the screen cannot be locked".into(),
            ),
        }
    }

    /// The passing of time without a key: after the idle minutes (15 unless the service set
    /// another) the screen locks itself.
    /// The loop calls it on every event and once a second when none comes.
    pub fn tick(&mut self, now: chrono::DateTime<chrono::Utc>) {
        let idle = now - self.last_activity;
        if idle >= chrono::Duration::minutes(self.idle_lock_minutes) && self.ctx.db_path.is_some() {
            self.lock();
        }
    }

    /// Notes a key or paste as the worker's activity (after any lock it caused).
    pub(super) fn touched(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.last_activity = now;
    }

    /// Opens the screen `route` names over the current one; false when it was refused (and the
    /// status bar says why). A board replaces what is open; a case replaces an open case.
    fn open(&mut self, route: Route) -> bool {
        let form_open = self.find::<FormScreen>().is_some();
        match route {
            Route::Board(_)
            | Route::Mentoring(_)
            | Route::Intake(_)
            | Route::Export
            | Route::Conflicts
            | Route::Duplicates
                if form_open =>
            {
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
                    // The mentoring board is a board too: it replaces what is open.
                    Route::Board(_) | Route::Mentoring(_) => 0,
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
        self.refresh_sync_line();
        self.dues.invalidate(self.today());
        if let Some(loading) = &mut self.loading {
            loading.written.push(w.clone());
        }
        match self.on_every(|c, env| c.written(w, env)) {
            Some(e) => self.set_status(
                StatusKind::Warning,
                format!("{}; the list could not be reloaded: {e}", w.message),
            ),
            None if w.message.is_empty() => {}
            None => self.set_status(w.kind.unwrap_or(StatusKind::Info), w.message.clone()),
        }
    }

    /// Runs `f` on every open screen, the caseload first; the last failure, if any.
    fn on_every(
        &mut self,
        f: impl Fn(&mut dyn Component, &Env) -> Result<()>,
    ) -> Option<anyhow::Error> {
        let env = env!(self);
        let mut failed = f(&mut self.home, &env).err();
        for c in self.stack.iter_mut() {
            failed = f(c.as_mut(), &env).err().or(failed);
        }
        failed
    }

    /// Ctrl-R: the workers and every open screen, read again.
    fn reload(&mut self) {
        self.refresh_sync_line();
        self.dues.invalidate(self.today());
        match people::workers(&self.store) {
            Ok(ws) => self.worker_names = ws.into_iter().map(|w| (w.id, w.name)).collect(),
            Err(e) => return self.set_status(StatusKind::Error, e.to_string()),
        }
        let reloaded = self.on_every(|c, env| c.reload(env));
        self.home_wants_dues = self.dues.is_updating(self.today());
        match reloaded {
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
        if chrome::too_small(frame) {
            return;
        }
        let [title, body, status] = chrome::areas(area, self.status.as_ref());
        let what = self
            .stack
            .iter()
            .rev()
            .find_map(|c| c.title())
            .unwrap_or_else(|| self.home.describe());
        let today = self.today();
        let as_of = self.ctx.clock.is_shifted() && self.ctx.clock.now().date_naive() != today;
        let who = match &self.sync_line {
            Some(sync) => format!("{sync} · {}", self.ctx.worker.name),
            None => self.ctx.worker.name.clone(),
        };
        let who = (who.as_str(), today, as_of);
        chrome::draw_title(frame, title, &what, who, self.theme);
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
        let hints = self.keymap.hints(&self.contexts());
        chrome::draw_status(frame, status, self.status.as_ref(), &hints, self.theme);
    }
}
