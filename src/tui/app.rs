//! The app: screens, overlays, the key dispatch and `update`, the one place that writes through
//! the store. Input is any iterator of terminal events, so tests drive the very loop that
//! production reads from crossterm.

use std::collections::HashMap;
use std::io;
use std::rc::Rc;

use anyhow::Result;
use chrono::{DateTime, Local, NaiveDate};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::{Frame, Terminal};

use super::care::{CareMsg, CarePurpose, CareScreen};
use super::case_view::{CaseModel, CaseView, Section};
use super::caseload::{CaseloadScreen, Scope};
use super::contact_form;
use super::due::{next_due_by_person, person_next_due};
use super::due_list::{Board, BoardEnv, BoardKind, Step};
use super::export::{self, ExportScreen};
use super::flags::{self, FlagAction};
use super::form::{truncate, Form, FormEvent};
use super::help::Help;
use super::intake;
use super::keymap::{Action, Context, KeyMap};
use super::palette::{Command, Palette, PaletteOutcome};
use super::text_line::Edit;
use super::theme::Theme;
use super::TuiContext;
use crate::domain::calendar::Calendar;
use crate::domain::codes::CodeLists;
use crate::store::drafts::{self, Draft};
use crate::store::{caseload, people, records, Store};

// The care screens' keys, forms and writes (`tui::care`), kept in their own file.
#[path = "care/glue.rs"]
mod care_glue;

/// The smallest terminal the app draws in; below it, a message says what is needed.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// How a status-bar message reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Warning,
    Error,
}

/// A message in the status bar, replacing the key hints until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
}

/// Everything `update` can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Quit,
    OpenCase(String),
    CloseCase,
    OpenContactForm,
    CloseForm,
    SaveForm,
    SaveDraft,
    RestoreDraft,
    DiscardDraft,
    /// A record was written for this young person: reload what shows it.
    Written {
        young_person_id: String,
        message: String,
    },
    Reload,
    Status(StatusKind, String),
    /// The care screens: assessment, care plan, review, versions, outcomes.
    Care(CareMsg),
    /// Open an intake screen (referral search, referral, triage, allocation, tally, exit).
    OpenIntake(intake::Open),
    /// The due-list, risk flags or dashboard in place of the caseload.
    OpenBoard(BoardKind),
    CloseBoard,
    /// The due-list showing one worker's items (from the dashboard).
    OpenDueListOf(String),
    OpenFlagForm(FlagAction),
    /// A young person's case with the contact form open over it (a missed appointment to
    /// follow up, from the due-list).
    OpenContactFormFor(String),
    /// A young person's case, then the next message (a form over it), from the due-list.
    OpenCaseThen(String, Box<Msg>),
    /// The export screen (a quarterly return), over whatever is open.
    OpenExport,
}

/// What an open form is for.
#[derive(Debug, Clone)]
enum FormPurpose {
    Contact {
        young_person_id: String,
        episode_id: Option<String>,
    },
    Care(CarePurpose),
    Intake(intake::Purpose),
    Flag(FlagAction),
}

struct OpenForm {
    form: Form,
    purpose: FormPurpose,
    /// A draft found when the form opened, waiting for restore or discard.
    offer: Option<Draft>,
}

enum Overlay {
    Help(Help),
    Palette(Palette),
    Export(Box<ExportScreen>),
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
    caseload: CaseloadScreen,
    case: Option<CaseView>,
    /// A care screen (plan editor, versions) over the case view.
    care: Option<CareScreen>,
    /// A board (due-list, risk flags, dashboard) shown in place of the caseload.
    board: Option<Board>,
    form: Option<OpenForm>,
    /// The search step of a new referral, while it is open.
    search: Option<intake::ReferralSearch>,
    overlay: Option<Overlay>,
    status: Option<Status>,
    quit: bool,
    dues_loaded: bool,
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
        let today = ctx.clock.today();
        let rows = caseload::caseload(&store)?;
        // What is due is worked out after the first frame (see `run_loop`): at the size of a
        // large service it takes a few seconds, and the list is worth seeing before then.
        let caseload = CaseloadScreen::new(rows, &HashMap::new(), &ctx.worker.id, today);
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
            caseload,
            case: None,
            care: None,
            board: None,
            form: None,
            search: None,
            overlay: None,
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
        &self.caseload
    }

    pub fn case(&self) -> Option<&CaseView> {
        self.case.as_ref()
    }

    pub fn board(&self) -> Option<&Board> {
        self.board.as_ref()
    }

    pub fn form(&self) -> Option<&Form> {
        self.form.as_ref().map(|f| &f.form)
    }

    pub fn has_draft_offer(&self) -> bool {
        self.form.as_ref().is_some_and(|f| f.offer.is_some())
    }

    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    /// Gives the store back (e.g. to look at what was written).
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn today(&self) -> NaiveDate {
        self.ctx.clock.today()
    }

    /// The contexts in force, innermost first: what decides which bindings apply.
    pub fn contexts(&self) -> Vec<Context> {
        let mut c = match &self.overlay {
            Some(Overlay::Help(_)) => vec![Context::Help],
            Some(Overlay::Palette(_)) => vec![Context::Palette],
            Some(Overlay::Export(e)) if e.form.is_editing() => vec![Context::Editing],
            Some(Overlay::Export(_)) => vec![Context::Form],
            None if self.search.is_some() => vec![Context::ReferralSearch],
            None => match (&self.form, &self.case) {
                (Some(f), _) if f.offer.is_some() => vec![Context::DraftOffer, Context::Global],
                (Some(f), _) if f.form.is_editing() => vec![Context::Editing],
                (Some(_), _) => vec![Context::Form, Context::Global],
                (None, Some(_)) if self.care.is_some() => {
                    vec![
                        self.care_context().unwrap_or(Context::CaseView),
                        Context::Global,
                    ]
                }
                (None, Some(cv)) if cv.is_reading() => vec![Context::Detail, Context::Global],
                (None, Some(_)) => vec![Context::CaseView, Context::Global],
                (None, None) if self.board.is_some() => {
                    self.board.as_ref().map(Board::contexts).unwrap_or_default()
                }
                (None, None) if self.caseload.is_filtering() => vec![Context::Filter],
                (None, None) => vec![Context::Caseload, Context::Global],
            },
        };
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
        let Some(Overlay::Export(screen)) = &mut self.overlay else {
            return Ok(());
        };
        let layout = match screen.state() {
            export::State::Waiting(job) => crate::config::read_override(
                self.ctx.config_dir.as_deref(),
                job.request.kind.layout_file(),
            ),
            _ => return Ok(()),
        };
        let layout = match layout {
            Ok(l) => l,
            Err(e) => {
                self.status = Some(Status {
                    kind: StatusKind::Warning,
                    text: format!("{e:#}; using the shipped layout"),
                });
                None
            }
        };
        let theme = self.theme;
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
            Ok(dues) => self.caseload.set_dues(&dues),
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
        let contexts = self.contexts();
        let action = self.keymap.resolve(&k, &contexts);
        // Ctrl-C anywhere, or q where it is bound (never while typing); a draft is kept first.
        if action == Some(Action::Quit) {
            self.process(Msg::Quit);
            return;
        }
        let msg = self.route_key(&k, action, &contexts);
        if let Some(m) = msg {
            self.process(m);
        }
    }

    fn route_key(
        &mut self,
        k: &KeyEvent,
        action: Option<Action>,
        contexts: &[Context],
    ) -> Option<Msg> {
        if let Some(overlay) = &mut self.overlay {
            match overlay {
                Overlay::Help(h) => {
                    if !h.key(k, action) {
                        self.overlay = None;
                    }
                }
                Overlay::Palette(p) => match p.key(k, action) {
                    PaletteOutcome::Stay => {}
                    PaletteOutcome::Close => self.overlay = None,
                    PaletteOutcome::Run(cmd) => {
                        self.overlay = None;
                        return self.run_command(cmd);
                    }
                },
                Overlay::Export(e) => {
                    if e.key(k, action) == export::Outcome::Close {
                        self.overlay = None;
                    }
                }
            }
            return None;
        }
        if let Some(search) = &mut self.search {
            return match search.key(k, action, &self.store) {
                intake::SearchOutcome::Stay => None,
                intake::SearchOutcome::Close => {
                    self.search = None;
                    None
                }
                intake::SearchOutcome::Choose(existing) => {
                    let typed = search.text().to_string();
                    Some(Msg::OpenIntake(intake::Open::Referral { existing, typed }))
                }
                intake::SearchOutcome::Refuse(text) => Some(Msg::Status(StatusKind::Warning, text)),
                intake::SearchOutcome::NotMine => self.global(action, contexts),
            };
        }
        if let Some(of) = &mut self.form {
            if of.offer.is_some() {
                return match action {
                    Some(Action::RestoreDraft) => Some(Msg::RestoreDraft),
                    Some(Action::DiscardDraft) => Some(Msg::DiscardDraft),
                    Some(Action::Back) => Some(Msg::CloseForm),
                    other => self.global(other, contexts),
                };
            }
            let event = match &of.purpose {
                FormPurpose::Intake(p) => {
                    let ev = intake::handle_key(p, &mut of.form, k, action);
                    if let Some(text) = intake::live_note(p, &of.form) {
                        self.status = Some(Status {
                            kind: StatusKind::Warning,
                            text,
                        });
                    }
                    ev
                }
                _ => of.form.handle_key(k, action),
            };
            return match event {
                FormEvent::Changed => Some(Msg::SaveDraft),
                FormEvent::Save => Some(Msg::SaveForm),
                FormEvent::Close => Some(Msg::CloseForm),
                FormEvent::Handled => None,
                FormEvent::Ignored => self.global(action, contexts),
            };
        }
        if self.care.is_some() {
            return self.care_key(k, action, contexts);
        }
        if let Some(cv) = &mut self.case {
            let a = action?;
            if cv.action(a) {
                return None;
            }
            return match a {
                Action::AddContact => Some(Msg::OpenContactForm),
                Action::RaiseFlag => Some(Msg::OpenFlagForm(FlagAction::Raise {
                    young_person_id: cv.model.person.id.clone(),
                })),
                Action::Back => Some(Msg::CloseCase),
                Action::Reload => Some(Msg::Reload),
                a @ (Action::AddAssessment
                | Action::OpenCarePlan
                | Action::AddOutcomeProfile
                | Action::AddReview) => Self::care_case_key(a),
                _ => self.global(action, contexts),
            };
        }
        if let Some(board) = &mut self.board {
            let env = BoardEnv {
                store: &self.store,
                calendar: &self.calendar,
                codes: &self.codes,
                today: self.ctx.clock.today(),
                now: self.ctx.clock.now(),
                worker_id: &self.ctx.worker.id,
                worker_names: &self.worker_names,
            };
            return match board.key(k, action, &env) {
                Step::Done => None,
                Step::Msg(m) => Some(m),
                Step::Pass => self.global(action, contexts),
            };
        }
        if self.caseload.is_filtering() {
            match action {
                Some(Action::Open) => self.caseload.end_filter(true),
                Some(Action::Back) => self.caseload.end_filter(false),
                Some(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)) => {
                    self.caseload.action(a);
                }
                Some(Action::Help) => return self.global(action, contexts),
                _ => {
                    if self.caseload.filter_key(k) == Edit::Full {
                        return Some(Msg::Status(
                            StatusKind::Warning,
                            format!(
                                "Filter: holds at most {} characters",
                                self.caseload.filter_max()
                            ),
                        ));
                    }
                }
            }
            return None;
        }
        let a = action?;
        match a {
            Action::Open => self
                .caseload
                .selected_id()
                .map(|id| Msg::OpenCase(id.to_string())),
            Action::Back => {
                self.caseload.clear_filter();
                None
            }
            Action::Reload => Some(Msg::Reload),
            _ if self.caseload.action(a) => None,
            _ => self.global(action, contexts),
        }
    }

    /// Actions that work on every screen where they are bound.
    fn global(&mut self, action: Option<Action>, contexts: &[Context]) -> Option<Msg> {
        match action? {
            Action::Help => {
                let under: Vec<Context> = contexts.to_vec();
                self.overlay = Some(Overlay::Help(Help::new(under)));
                None
            }
            Action::Palette => {
                self.overlay = Some(Overlay::Palette(Palette::new(
                    &self.keymap,
                    self.case.is_some(),
                )));
                None
            }
            Action::Quit => Some(Msg::Quit),
            Action::NewReferral => Some(Msg::OpenIntake(intake::Open::ReferralSearch)),
            Action::OutreachTally => Some(Msg::OpenIntake(intake::Open::Outreach)),
            Action::Triage => Some(Msg::OpenIntake(intake::Open::Triage)),
            Action::Allocate => Some(Msg::OpenIntake(intake::Open::Allocation)),
            Action::RecordExit => Some(Msg::OpenIntake(intake::Open::Exit)),
            Action::DueList => Some(Msg::OpenBoard(BoardKind::Due)),
            Action::Flags => Some(Msg::OpenBoard(BoardKind::Flags)),
            Action::Dashboard => Some(Msg::OpenBoard(BoardKind::Dashboard)),
            Action::ExportReturn => Some(Msg::OpenExport),
            _ => None,
        }
    }

    /// Runs a palette command as if its key were pressed where the worker is.
    fn run_command(&mut self, cmd: Command) -> Option<Msg> {
        match cmd {
            Command::MyCaseload | Command::TeamCaseload => {
                if self.form.is_some() {
                    return Some(Msg::Status(
                        StatusKind::Warning,
                        "Close the form first (Esc); its draft is kept".into(),
                    ));
                }
                self.case = None;
                self.care = None;
                self.board = None;
                self.caseload.set_scope(if cmd == Command::MyCaseload {
                    Scope::Mine
                } else {
                    Scope::Team
                });
                None
            }
            Command::Section(s) => match (&mut self.case, &self.form) {
                (Some(cv), None) => {
                    cv.set_section(s);
                    None
                }
                _ => Some(Msg::Status(
                    StatusKind::Warning,
                    format!("{} is part of the case view", s.title()),
                )),
            },
            Command::Action(a) => {
                let contexts = self.contexts();
                let applies = self
                    .keymap
                    .active(&contexts)
                    .iter()
                    .any(|(b, _)| b.action == a);
                if !applies {
                    return Some(Msg::Status(
                        StatusKind::Warning,
                        format!("“{}” does nothing here", a.title()),
                    ));
                }
                if a == Action::Quit {
                    return Some(Msg::Quit);
                }
                // No raw key: the action alone drives the screen.
                let none = KeyEvent::new(
                    ratatui::crossterm::event::KeyCode::Null,
                    ratatui::crossterm::event::KeyModifiers::NONE,
                );
                self.route_key(&none, Some(a), &contexts)
            }
        }
    }

    fn handle_paste(&mut self, text: &str) {
        self.status = None;
        match &mut self.overlay {
            Some(Overlay::Help(h)) => return h.paste(text),
            Some(Overlay::Palette(p)) => return p.paste(text),
            Some(Overlay::Export(e)) => return e.paste(text),
            None => {}
        }
        if let Some(search) = &mut self.search {
            return search.paste(text, &self.store);
        }
        if let Some(of) = &mut self.form {
            if of.offer.is_some() {
                return;
            }
            let (ev, msg) = of.form.paste(text);
            if let Some(m) = msg {
                self.status = Some(Status {
                    kind: StatusKind::Warning,
                    text: m,
                });
            }
            if ev == FormEvent::Changed {
                self.process(Msg::SaveDraft);
            }
            return;
        }
        if self.case.is_none() && self.board.as_mut().is_some_and(|b| b.paste(text)) {
            return;
        }
        if self.case.is_none() && self.caseload.is_filtering() {
            if self.caseload.filter_paste(text) {
                self.set_status(
                    StatusKind::Warning,
                    format!(
                        "Filter: holds at most {} characters; the rest of the paste was left out",
                        self.caseload.filter_max()
                    ),
                );
            }
            return;
        }
        self.set_status(
            StatusKind::Info,
            "Nothing here takes pasted text: paste into a field or the filter (/)".into(),
        );
    }

    fn set_status(&mut self, kind: StatusKind, text: String) {
        self.status = Some(Status { kind, text });
    }

    /// Runs a message and whatever follows from it.
    pub fn process(&mut self, msg: Msg) {
        let mut next = Some(msg);
        while let Some(m) = next {
            next = self.update(m);
        }
    }

    /// The one place that writes through the store. Returns a follow-up message, if any.
    pub fn update(&mut self, msg: Msg) -> Option<Msg> {
        let now = self.ctx.clock.now();
        let worker = self.ctx.worker.id.clone();
        match msg {
            Msg::Quit => {
                // Already saved as typed; saving once more covers anything since.
                if let Some(of) = &self.form {
                    if of.offer.is_none() && self.form_has_input() {
                        let _ = drafts::save(
                            &self.store,
                            &worker,
                            &of.form.key,
                            &of.form.draft_data(),
                            now,
                        );
                    }
                }
                self.quit = true;
                None
            }
            Msg::OpenCase(id) => {
                let draft = drafts::load(&self.store, &worker, &contact_form::form_key(&id))
                    .ok()
                    .flatten()
                    .is_some();
                match CaseModel::load(
                    &self.store,
                    &id,
                    &self.worker_names,
                    draft,
                    &self.calendar,
                    &self.codes,
                    self.today(),
                ) {
                    Ok(Some(model)) => {
                        if let Err(e) = self.store.record_view(
                            &worker,
                            self.ctx.clock.now(),
                            "case view",
                            &[&id],
                        ) {
                            return Some(Msg::Status(StatusKind::Error, format!("Cannot record that you opened the case, so it stays closed: {e}")));
                        }
                        self.care = None;
                        self.case = Some(CaseView::new(model, self.today()));
                        None
                    }
                    Ok(None) => Some(Msg::Status(
                        StatusKind::Error,
                        "That young person is no longer on file; press Ctrl-R to reload".into(),
                    )),
                    Err(e) => Some(Msg::Status(
                        StatusKind::Error,
                        format!("Cannot open the case: {e}"),
                    )),
                }
            }
            Msg::CloseCase => {
                self.case = None;
                self.care = None;
                None
            }
            Msg::OpenContactForm => {
                let cv = self.case.as_ref()?;
                let person = cv.model.person.clone();
                let episode_id = cv.model.current_episode().map(|e| e.id.clone());
                let form = contact_form::new_form(&person, self.today(), &self.codes);
                let offer = match drafts::load(&self.store, &worker, &form.key) {
                    Ok(d) => d,
                    Err(e) => {
                        self.set_status(
                            StatusKind::Warning,
                            format!("Could not read the draft: {e}"),
                        );
                        None
                    }
                };
                self.form = Some(OpenForm {
                    form,
                    purpose: FormPurpose::Contact {
                        young_person_id: person.id.clone(),
                        episode_id,
                    },
                    offer,
                });
                None
            }
            Msg::CloseForm => {
                let of = self.form.take()?;
                let kept = drafts::load(&self.store, &worker, &of.form.key)
                    .ok()
                    .flatten()
                    .is_some();
                // The case view's draft note is about the contact form's draft only.
                if let (Some(cv), FormPurpose::Contact { .. }) = (&mut self.case, &of.purpose) {
                    cv.model.draft_waiting = kept;
                }
                kept.then(|| {
                    Msg::Status(
                        StatusKind::Info,
                        "Form closed; its draft is kept — reopen the form to restore or discard it"
                            .into(),
                    )
                })
            }
            Msg::SaveDraft => {
                let of = self.form.as_ref()?;
                match drafts::save(
                    &self.store,
                    &worker,
                    &of.form.key,
                    &of.form.draft_data(),
                    now,
                ) {
                    Ok(()) => None,
                    Err(e) => Some(Msg::Status(
                        StatusKind::Error,
                        format!("The draft could not be kept: {e}"),
                    )),
                }
            }
            Msg::RestoreDraft => {
                let of = self.form.as_mut()?;
                if let Some(d) = of.offer.take() {
                    of.form.restore(&d.data);
                }
                Some(Msg::Status(StatusKind::Info, "Draft restored".into()))
            }
            Msg::DiscardDraft => {
                let of = self.form.as_mut()?;
                of.offer = None;
                if let (Some(cv), FormPurpose::Contact { .. }) = (&mut self.case, &of.purpose) {
                    cv.model.draft_waiting = false;
                }
                match drafts::discard(&self.store, &worker, &of.form.key) {
                    Ok(()) => Some(Msg::Status(StatusKind::Info, "Draft discarded".into())),
                    Err(e) => Some(Msg::Status(StatusKind::Error, e.to_string())),
                }
            }
            Msg::SaveForm => {
                let of = self.form.as_mut()?;
                match of.purpose.clone() {
                    FormPurpose::Care(p) => self.save_care_form(p),
                    FormPurpose::Intake(p) => self.save_intake(p),
                    FormPurpose::Flag(action) => {
                        match flags::save(&mut self.store, &mut of.form, &action, &worker, now) {
                            Ok((young_person_id, message)) => {
                                self.form = None;
                                Some(Msg::Written {
                                    young_person_id,
                                    message,
                                })
                            }
                            Err(text) => Some(Msg::Status(StatusKind::Error, text)),
                        }
                    }
                    FormPurpose::Contact {
                        young_person_id,
                        episode_id,
                    } => {
                        let Some(contact) = contact_form::to_contact(
                            &mut of.form,
                            &young_person_id,
                            episode_id.as_deref(),
                            &worker,
                        ) else {
                            let labels = of.form.problem_labels();
                            of.form.focus_first_problem();
                            return Some(Msg::Status(
                                StatusKind::Error,
                                format!(
                                    "Not saved: {} need{} attention — {}",
                                    if labels.len() == 1 {
                                        "1 field".to_string()
                                    } else {
                                        format!("{} fields", labels.len())
                                    },
                                    if labels.len() == 1 { "s" } else { "" },
                                    labels.join(", ")
                                ),
                            ));
                        };
                        let key = of.form.key.clone();
                        let result = self.store.write(&worker, now, |tx| {
                            records::add_contact(tx, &contact)?;
                            drafts::discard_in(tx, &worker, &key)?;
                            Ok(())
                        });
                        match result {
                            Ok(()) => {
                                self.form = None;
                                Some(Msg::Written {
                                    young_person_id,
                                    message: format!(
                                        "Contact of {} saved",
                                        contact.date.format("%d/%m/%Y")
                                    ),
                                })
                            }
                            Err(e) => Some(Msg::Status(
                                StatusKind::Error,
                                format!("Not saved (your draft is kept): {e}"),
                            )),
                        }
                    }
                }
            }
            Msg::Written {
                young_person_id,
                message,
            } => {
                if let Ok(Some(row)) = caseload::caseload_row(&self.store, &young_person_id) {
                    let due = person_next_due(
                        &self.store,
                        &young_person_id,
                        row.date_of_birth,
                        &self.calendar,
                        &self.codes,
                        self.today(),
                    )
                    .unwrap_or(None);
                    self.caseload.upsert_row(row, due);
                }
                let draft = drafts::load(
                    &self.store,
                    &worker,
                    &contact_form::form_key(&young_person_id),
                )
                .ok()
                .flatten()
                .is_some();
                let today = self.today();
                if let Some(cv) = &mut self.case {
                    if cv.model.person.id == young_person_id {
                        if let Ok(Some(model)) = CaseModel::load(
                            &self.store,
                            &young_person_id,
                            &self.worker_names,
                            draft,
                            &self.calendar,
                            &self.codes,
                            today,
                        ) {
                            cv.reload(model);
                            cv.set_section(Section::Contacts);
                        }
                    }
                }
                if let Err(e) = self.reload_board() {
                    return Some(Msg::Status(
                        StatusKind::Warning,
                        format!("{message}; the list could not be reloaded: {e}"),
                    ));
                }
                Some(Msg::Status(StatusKind::Info, message))
            }
            Msg::Reload => {
                match people::workers(&self.store) {
                    Ok(ws) => self.worker_names = ws.into_iter().map(|w| (w.id, w.name)).collect(),
                    Err(e) => return Some(Msg::Status(StatusKind::Error, e.to_string())),
                }
                let today = self.today();
                let loaded = caseload::caseload(&self.store).and_then(|rows| {
                    let dues = next_due_by_person(&self.store, &self.calendar, &self.codes, today)?;
                    Ok((rows, dues))
                });
                match loaded {
                    Ok((rows, dues)) => self.caseload.replace_rows(rows, &dues),
                    Err(e) => return Some(Msg::Status(StatusKind::Error, e.to_string())),
                }
                if let Err(e) = self.reload_board() {
                    return Some(Msg::Status(StatusKind::Error, e.to_string()));
                }
                if let Some(cv) = &self.case {
                    let id = cv.model.person.id.clone();
                    let section = cv.section();
                    let next = self.update(Msg::OpenCase(id));
                    if let Some(cv) = &mut self.case {
                        cv.set_section(section);
                    }
                    return next;
                }
                Some(Msg::Status(StatusKind::Info, "Reloaded".into()))
            }
            Msg::Status(kind, text) => {
                self.status = Some(Status { kind, text });
                None
            }
            Msg::Care(m) => self.update_care(m),
            Msg::OpenBoard(kind) => {
                if self.form.is_some() {
                    return Some(Msg::Status(
                        StatusKind::Warning,
                        "Close the form first (Esc); its draft is kept".into(),
                    ));
                }
                let env = self.board_env();
                match Board::load(kind, &env) {
                    Ok(b) => {
                        self.case = None;
                        self.care = None;
                        self.board = Some(b);
                        None
                    }
                    Err(e) => Some(Msg::Status(
                        StatusKind::Error,
                        format!("Could not load the list: {e}"),
                    )),
                }
            }
            Msg::CloseBoard => {
                self.board = None;
                None
            }
            Msg::OpenDueListOf(name) => {
                let next = self.update(Msg::OpenBoard(BoardKind::Due));
                if let Some(Board::Due(d)) = &mut self.board {
                    d.show_worker(&name);
                }
                next
            }
            Msg::OpenFlagForm(action) => {
                if self.form.is_some() {
                    return None;
                }
                let form = match flags::new_form(&action, &self.store, &self.codes, self.today()) {
                    Ok(f) => f,
                    Err(e) => return Some(Msg::Status(StatusKind::Error, e.to_string())),
                };
                let offer = drafts::load(&self.store, &worker, &form.key).ok().flatten();
                self.form = Some(OpenForm {
                    form,
                    purpose: FormPurpose::Flag(action),
                    offer,
                });
                None
            }
            Msg::OpenContactFormFor(id) => {
                if let Some(m) = self.update(Msg::OpenCase(id)) {
                    return Some(m);
                }
                Some(Msg::OpenContactForm)
            }
            Msg::OpenCaseThen(id, next) => {
                if let Some(m) = self.update(Msg::OpenCase(id)) {
                    return Some(m);
                }
                Some(*next)
            }
            Msg::OpenIntake(what) => self.open_intake(what),
            Msg::OpenExport => {
                if self.form.is_some() {
                    return Some(Msg::Status(
                        StatusKind::Warning,
                        "Close the form first (Esc); its draft is kept".into(),
                    ));
                }
                self.overlay = Some(Overlay::Export(Box::new(ExportScreen::new(self.today()))));
                None
            }
        }
    }

    /// Opens an intake screen: the referral search, or one of the intake forms (with its
    /// draft offered, as every form does).
    fn open_intake(&mut self, what: intake::Open) -> Option<Msg> {
        if self.form.is_some() {
            return Some(Msg::Status(
                StatusKind::Warning,
                "Close the form first (Esc); its draft is kept".into(),
            ));
        }
        let case = self.case.as_ref().map(|cv| &cv.model);
        match intake::open(what, &self.store, case, &self.codes, self.today()) {
            Ok(intake::Opened::Search(s)) => {
                self.search = Some(s);
                None
            }
            Ok(intake::Opened::Form(form, purpose)) => {
                self.search = None;
                let offer = drafts::load(&self.store, &self.ctx.worker.id, &form.key)
                    .ok()
                    .flatten();
                self.form = Some(OpenForm {
                    form,
                    purpose: FormPurpose::Intake(purpose),
                    offer,
                });
                None
            }
            Err(text) => Some(Msg::Status(StatusKind::Warning, text)),
        }
    }

    /// Saves an intake form; after a referral the new episode's case opens.
    fn save_intake(&mut self, purpose: intake::Purpose) -> Option<Msg> {
        let now = self.ctx.clock.now();
        let worker = self.ctx.worker.id.clone();
        let of = self.form.as_mut()?;
        match intake::save(
            &mut self.store,
            &mut of.form,
            &purpose,
            &worker,
            now,
            &self.codes,
        ) {
            intake::Outcome::Invalid(text) | intake::Outcome::Failed(text) => {
                Some(Msg::Status(StatusKind::Error, text))
            }
            intake::Outcome::Done(done) => {
                self.form = done.next_form.map(|form| OpenForm {
                    form,
                    purpose: FormPurpose::Intake(purpose),
                    offer: None,
                });
                let kind = if done.warning {
                    StatusKind::Warning
                } else {
                    StatusKind::Info
                };
                if let Some(id) = done.young_person_id {
                    if done.open_case {
                        let _ = self.update(Msg::OpenCase(id.clone()));
                    }
                    self.process(Msg::Written {
                        young_person_id: id,
                        message: String::new(),
                    });
                    if let Some(cv) = &mut self.case {
                        cv.set_section(done.section);
                    }
                }
                Some(Msg::Status(kind, done.message))
            }
        }
    }

    fn board_env(&self) -> BoardEnv<'_> {
        BoardEnv {
            store: &self.store,
            calendar: &self.calendar,
            codes: &self.codes,
            today: self.ctx.clock.today(),
            now: self.ctx.clock.now(),
            worker_id: &self.ctx.worker.id,
            worker_names: &self.worker_names,
        }
    }

    /// Loads the open board again (after a write or Ctrl-R).
    fn reload_board(&mut self) -> Result<()> {
        let Some(mut board) = self.board.take() else {
            return Ok(());
        };
        let result = board.reload(&self.board_env());
        self.board = Some(board);
        result
    }

    /// Whether the open form holds anything worth keeping as a draft.
    fn form_has_input(&self) -> bool {
        self.form.as_ref().is_some_and(|of| of.form.has_changes())
    }

    /// Draws the whole screen.
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
        let theme = self.theme;
        if let Some(s) = &self.search {
            s.draw(frame, body, theme, &self.keymap);
        } else if self.draw_care_popup(frame, body, theme) {
            // The editor with its small form over it (see `care_glue`).
        } else if let Some(of) = &mut self.form {
            Self::draw_form(of, frame, body, theme);
        } else if self.care.is_some() {
            self.draw_care(frame, body, theme);
        } else if let Some(cv) = &mut self.case {
            cv.draw(frame, body, theme, &self.keymap);
        } else if let Some(b) = &mut self.board {
            b.draw(frame, body, theme, &self.keymap);
        } else {
            self.caseload.draw(frame, body, theme, &self.keymap);
        }
        if let Some(of) = &self.form {
            if let Some(d) = &of.offer {
                Self::draw_offer(d, frame, body, theme, &self.keymap);
            }
        }
        match &mut self.overlay {
            Some(Overlay::Help(h)) => h.draw(frame, area, &self.keymap, theme),
            Some(Overlay::Palette(p)) => p.draw(frame, area, theme),
            Some(Overlay::Export(e)) => e.draw(frame, body, theme),
            None => {}
        }
        self.draw_status(frame, status);
    }

    fn draw_title(&self, frame: &mut Frame, area: Rect) {
        let what = if matches!(self.overlay, Some(Overlay::Export(_))) {
            "Export a return".to_string()
        } else if self.search.is_some() {
            "New referral".to_string()
        } else if let Some(of) = &self.form {
            of.form.name.clone()
        } else if let Some(t) = self.care_title() {
            t
        } else if let Some(cv) = &self.case {
            format!("Case of {}", cv.model.person.display_name())
        } else if let Some(b) = &self.board {
            b.describe()
        } else {
            self.caseload.describe()
        };
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

    fn draw_form(of: &mut OpenForm, frame: &mut Frame, body: Rect, theme: Theme) {
        let width = body.width.saturating_sub(2) as usize;
        let mode = if of.form.is_editing() {
            format!(
                "Editing {} — letters are text here; Esc stops editing",
                of.form.focused().map_or("", |f| f.label)
            )
        } else {
            "Moving between fields — Enter edits, Ctrl-S saves, Esc closes (draft kept)".to_string()
        };
        let buf = frame.buffer_mut();
        buf.set_line(
            body.x + 1,
            body.y,
            &Line::styled(truncate(&of.form.title, width), theme.header()),
            body.width.saturating_sub(1),
        );
        if body.height > 1 {
            buf.set_line(
                body.x + 1,
                body.y + 1,
                &Line::styled(truncate(&mode, width), theme.dim()),
                body.width.saturating_sub(1),
            );
        }
        if body.height > 3 {
            let fields = Rect::new(body.x, body.y + 3, body.width, body.height - 3);
            of.form.draw(frame, fields, theme);
        }
    }

    fn draw_offer(d: &Draft, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        let key = |a: Action| {
            keys.key_for(a, Context::DraftOffer)
                .map_or_else(|| "?".to_string(), |k| k.to_string())
        };
        let w = body.width.saturating_sub(8).min(64);
        let h = 7u16.min(body.height);
        if w < 30 || h < 5 {
            return;
        }
        let popup = Rect::new(body.x + (body.width - w) / 2, body.y + 3, w, h);
        let when = DateTime::parse_from_rfc3339(&d.saved_at)
            .map(|t| {
                t.with_timezone(&Local)
                    .format("%d/%m/%Y at %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| "earlier".into());
        let text = vec![
            Line::raw(format!("A draft of this form was kept on {when}.")),
            Line::raw(""),
            Line::from(vec![
                Span::styled(key(Action::RestoreDraft), theme.key()),
                Span::raw(" restore it   "),
                Span::styled(key(Action::DiscardDraft), theme.key()),
                Span::raw(" discard it   "),
                Span::styled(key(Action::Back), theme.key()),
                Span::raw(" decide later"),
            ]),
        ];
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(theme.warning())
                    .title(" Draft waiting "),
            ),
            popup,
        );
    }

    fn draw_status(&self, frame: &mut Frame, area: Rect) {
        let w = area.width as usize;
        let line = match &self.status {
            Some(s) => {
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
            None => {
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
                Line::from(spans)
            }
        };
        frame.render_widget(Paragraph::new(line), area);
    }
}
