//! The terminal UI: a synchronous ratatui + crossterm loop over the store.
//!
//! Shape (ARCHITECTURE.md says more): input is an iterator of terminal events, so tests feed
//! scripted keys through the same loop production reads from crossterm. Each screen is a
//! [`component::Component`]: it turns keys into a [`msg::Msg`] or a step (open a screen over
//! it, close), draws a view model loaded once and read again after a write, and names its
//! keymap contexts, so one keymap drives dispatch, the help overlay, the status-bar hints and
//! the command palette. `App` is only the router: a stack of components over the caseload.
//! Screens depend on `msg` and `component`, never on `app`.

pub mod app;
pub mod care;
pub mod case_view;
pub mod caseload;
pub mod chrome;
pub mod codes;
pub mod component;
pub mod conflicts;
pub mod contact_form;
pub mod dashboard;
pub mod due;
pub mod due_list;
pub mod dues;
pub mod duplicates;
pub mod export;
pub mod flags;
pub mod follow_up_form;
pub mod form;
pub mod form_screen;
pub mod help;
pub mod intake;
pub mod keymap;
pub mod kpis;
pub mod lock;
pub mod mentoring;
pub mod msg;
pub mod palette;
pub mod screens;
pub mod text_line;
pub mod theme;

use std::io::stdout;
use std::path::PathBuf;

use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;

pub use app::App;
pub use msg::{Msg, Status, StatusKind};
pub use theme::Theme;

use crate::domain::clock::Clock;
use crate::domain::record::Worker;
use crate::store::Store;

/// How this terminal syncs through the team's folder (the command line builds it with the
/// signed-in worker's keys); it returns what the sync did, in a line.
/// The sync itself: the store, and now.
pub type SyncFn = dyn Fn(&mut Store, chrono::DateTime<chrono::Utc>) -> anyhow::Result<String>;

#[derive(Clone)]
pub struct SyncNow(pub std::rc::Rc<SyncFn>);

impl std::fmt::Debug for SyncNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncNow")
    }
}

/// What the terminal UI needs besides the store.
#[derive(Debug, Clone)]
pub struct TuiContext {
    pub clock: Clock,
    /// The worker using casebook: the actor of every write.
    pub worker: Worker,
    /// The config folder; a `keymap.toml` there rebinds keys.
    pub config_dir: Option<PathBuf>,
    /// The database file, whose key file checks the password that unlocks a locked screen.
    /// `None` (an in-memory store) cannot lock.
    pub db_path: Option<PathBuf>,
}

/// How long the terminal may sit without a key before it locks: `CASEBOOK_IDLE_LOCK_MINUTES`
/// (1 to 240) when a service sets it, else 15.
pub fn idle_lock_minutes() -> anyhow::Result<i64> {
    match std::env::var("CASEBOOK_IDLE_LOCK_MINUTES") {
        Err(_) => Ok(crate::domain::roles::IDLE_LOCK_MINUTES),
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(m) if (1..=240).contains(&m) => Ok(m),
            _ => anyhow::bail!(
                "CASEBOOK_IDLE_LOCK_MINUTES: expected a whole number of minutes from 1 to 240, got \"{v}\""
            ),
        },
    }
}

/// The keymap, bank holidays and code lists, with a service's overrides from `config_dir`. A
/// broken override file must not lock workers out: the problems are returned (for the status
/// bar) and the built-in defaults used.
pub fn settings(
    config_dir: Option<&std::path::Path>,
) -> (
    keymap::KeyMap,
    crate::domain::calendar::Calendar,
    std::rc::Rc<crate::domain::codes::CodeLists>,
    Vec<String>,
) {
    let (keymap, mut problems) = keymap::KeyMap::load(config_dir);
    let calendar = crate::config::load_calendar(config_dir).unwrap_or_else(|e| {
        problems.push(format!("{e:#}; using the built-in bank holidays"));
        crate::domain::calendar::Calendar::embedded()
    });
    let codes = std::rc::Rc::new(crate::config::load_codes(config_dir).unwrap_or_else(|e| {
        problems.push(format!("{e:#}; using the built-in code lists"));
        crate::domain::codes::CodeLists::embedded()
    }));
    (keymap, calendar, codes, problems)
}

/// Runs the terminal UI on the real terminal until the worker quits. The terminal is restored
/// on every way out, a panic included.
/// With `reader` (a second connection to the same file) the first frame shows the first page
/// of the caseload and the rest is read behind it ([`App::with_background_load`]).
pub fn run(
    store: Store,
    ctx: TuiContext,
    sync: Option<SyncNow>,
    reader: Option<Store>,
) -> anyhow::Result<()> {
    // A renewal period that is set but not a period stops here, with its name, rather than
    // the due-list quietly running without the renewal clock.
    crate::config::check_renewal_months()?;
    let app = match reader {
        Some(reader) => App::with_background_load(store, ctx, reader)?,
        None => App::new(store, ctx)?,
    };
    let mut app = app.with_idle_lock_minutes(idle_lock_minutes()?);
    let busy = app.busy_flag();
    if let Some(s) = sync {
        app = app.with_sync(s);
    }
    // `try_init` installs a panic hook that restores the terminal; ours runs first and turns
    // bracketed paste off too, so a panic leaves a usable shell.
    let mut terminal = ratatui::try_init()?;
    let restore_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableBracketedPaste);
        restore_hook(info);
    }));
    let _ = execute!(stdout(), EnableBracketedPaste);
    // A second without a key yields a tick (a focus event, which nothing else uses), so an
    // idle terminal locks itself on time rather than at the next key.
    // While the background reader works (the caseload at the start, the due-list after a
    // write) the tick comes every 50 ms, so what it sends shows as soon as it arrives.
    let events = std::iter::from_fn(|| {
        let waiting = busy
            .as_ref()
            .is_some_and(|b| b.load(std::sync::atomic::Ordering::Acquire) > 0);
        let tick = if waiting { 50 } else { 1000 };
        Some(match event::poll(std::time::Duration::from_millis(tick)) {
            Ok(true) => event::read(),
            Ok(false) => Ok(event::Event::FocusGained),
            Err(e) => Err(e),
        })
    });
    let result = app.run_loop(&mut terminal, events);
    let _ = execute!(stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
}
