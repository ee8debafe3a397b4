//! The export screen: choose a return (Southampton or Leicester), a quarter (the last completed
//! one unless changed), a format, small-number suppression and a folder, then write the return
//! with `returns::compute` + `returns::write_return`, showing each stage's progress and then
//! the files, manifest and checksum. What it writes carries no personal data (see
//! `src/returns/`). Export runs synchronously: the app draws the "writing…" state first
//! (`App::run_loop`), then runs [`ExportScreen::run`].

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::json;

use super::codes::Choice;
use super::form::{truncate, Field, Form, FormEvent};
use super::keymap::Action;
use super::theme::Theme;
use crate::returns::{self, Calendar, CodeLists, Format, Quarter, Request, ReturnKind, Written};
use crate::store::Store;

impl ExportScreen {
    /// Runs the export this screen waits on, if any, drawing each stage on `terminal` as it is
    /// reached. Returns a warning for the status bar (a broken layout override).
    pub fn run_waiting<B>(
        &mut self,
        terminal: &mut ratatui::Terminal<B>,
        store: &Store,
        calendar: &Calendar,
        codes: &CodeLists,
        config_dir: Option<&Path>,
        theme: Theme,
    ) -> Option<String>
    where
        B: ratatui::backend::Backend,
    {
        let State::Waiting(job) = self.state() else {
            return None;
        };
        let mut warning = None;
        let layout = crate::config::read_override(config_dir, job.request.kind.layout_file())
            .unwrap_or_else(|e| {
                warning = Some(format!("{e:#}; using the shipped layout"));
                None
            });
        let mut last: Option<(String, usize)> = None;
        let mut progress = |stage: &str, done: usize, total: usize| {
            // A redraw per stage and per twentieth, not per row.
            let step = done * 20 / total.max(1);
            if last.as_ref() != Some(&(stage.to_string(), step)) {
                last = Some((stage.to_string(), step));
                let _ = terminal.draw(|f| draw_progress(f, theme, stage, done, total));
            }
        };
        self.run(store, calendar, codes, layout, &mut progress);
        warning
    }
}

/// What a key on the export screen came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
}

/// An export asked for and checked, waiting to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub request: Request,
    pub format: Format,
    /// The folder chosen; XLSX and JSON write `<stem>.<ext>` in it, CSV a `<stem>` folder.
    pub folder: PathBuf,
    /// The Leicester return's annual section C for the financial year starting in April of
    /// this year, instead of the quarter (`casebook export --return leicester --year`).
    pub annual_year: Option<i32>,
}

/// Where the screen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Choosing,
    Waiting(Job),
    Done(Written),
    Failed(String),
}

/// The export screen.
pub struct ExportScreen {
    pub form: Form,
    state: State,
    /// Each stage the export reported, with its last done/total.
    stages: Vec<(String, usize, usize)>,
    today: NaiveDate,
}

/// Where returns go unless the worker says otherwise: `casebook-returns` in the home folder,
/// or in the current folder when there is no home.
pub fn default_folder() -> PathBuf {
    let base = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("casebook-returns")
}

/// The return choice for the Leicester return's annual section C.
const ANNUAL: &str = "leicester_c";

fn choice(code: &str, label: &str) -> Choice {
    Choice {
        code: code.into(),
        label: label.into(),
    }
}

/// `~/x` as the home folder's `x`.
fn expand_home(text: &str) -> PathBuf {
    match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(text),
    }
}

impl ExportScreen {
    /// The screen with its defaults: Southampton, the last completed quarter, XLSX, nothing
    /// suppressed, the default folder.
    pub fn new(today: NaiveDate) -> ExportScreen {
        let quarter = Quarter::containing(today).previous();
        let fields = vec![
            Field::choice(
                "return",
                "Return",
                vec![
                    choice("southampton", "Southampton (ESAP KPIs and MI)"),
                    choice("leicester", "Leicester (quarterly MI)"),
                    choice(
                        ANNUAL,
                        "Leicester section C (annual: the quarter's financial year)",
                    ),
                ],
            )
            .required()
            .with_value(json!("southampton")),
            Field::text("quarter", "Quarter", 40)
                .required()
                .hint("2025-26 Q1 (Q1 is April–June)")
                .with_value(json!(quarter.label())),
            Field::choice(
                "format",
                "Format",
                vec![
                    choice("xlsx", "Spreadsheet (xlsx)"),
                    choice("csv", "CSV, one file per section"),
                    choice("json", "JSON, one figure per line"),
                ],
            )
            .required()
            .with_value(json!("xlsx")),
            Field::number("suppress", "Suppress below", 2, 100)
                .hint("optional: e.g. 5 shows 1–4 as *"),
            Field::text("out", "Output folder", 1000)
                .required()
                .hint("created if missing")
                .with_value(json!(default_folder().display().to_string())),
        ];
        let mut form = Form::new(
            "export:return".into(),
            "Export a return".into(),
            "Export a quarterly return".into(),
            fields,
            today,
        );
        // Start on the fields, not inside the first choice list.
        let none = KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Null,
            ratatui::crossterm::event::KeyModifiers::NONE,
        );
        form.handle_key(&none, Some(Action::Back));
        ExportScreen {
            form,
            state: State::Choosing,
            stages: Vec::new(),
            today,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether an export is waiting to run (drawn as "writing…" first).
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, State::Waiting(_))
    }

    pub fn key(&mut self, k: &KeyEvent, action: Option<Action>) -> Outcome {
        if self.is_waiting() {
            return Outcome::Stay;
        }
        match self.form.handle_key(k, action) {
            FormEvent::Close => Outcome::Close,
            FormEvent::Save => {
                if let Some(job) = self.check() {
                    self.stages.clear();
                    self.state = State::Waiting(job);
                }
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    pub fn paste(&mut self, text: &str) {
        if !self.is_waiting() {
            let _ = self.form.paste(text);
        }
    }

    /// Checks the choices; problems are shown at their fields.
    fn check(&mut self) -> Option<Job> {
        if self.form.choice("return").as_deref() == Some(ANNUAL) {
            return self.check_annual();
        }
        let mut ok = self.form.check_fields();
        let kind = self
            .form
            .choice("return")
            .and_then(|c| ReturnKind::from_code(&c));
        if kind.is_none() {
            self.form
                .set_error("return", "Choose a return: southampton or leicester".into());
            ok = false;
        }
        let quarter = match self.form.text("quarter").map(|t| Quarter::parse(&t)) {
            Some(Ok(q)) if q > Quarter::containing(self.today) => {
                self.form.set_error(
                    "quarter",
                    format!(
                        "{} has not started yet: choose an earlier quarter",
                        q.label()
                    ),
                );
                None
            }
            Some(Ok(q)) => Some(q),
            Some(Err(e)) => {
                self.form.set_error("quarter", e);
                None
            }
            None => {
                self.form
                    .set_error("quarter", "Give a quarter, e.g. 2025-26 Q1".into());
                None
            }
        };
        let format = self
            .form
            .choice("format")
            .and_then(|c| Format::from_code(&c));
        if format.is_none() {
            self.form
                .set_error("format", "Choose a format: xlsx, csv or json".into());
            ok = false;
        }
        let folder = match self.form.text("out") {
            Some(t) => {
                let p = expand_home(&t);
                if p.is_file() {
                    self.form.set_error(
                        "out",
                        "That is a file: give a folder; the return is written inside it".into(),
                    );
                    None
                } else {
                    Some(p)
                }
            }
            None => {
                self.form
                    .set_error("out", "Give the folder to write the return in".into());
                None
            }
        };
        let suppress_below = self.form.number("suppress").map(|n| n as u32);
        if !ok {
            self.form.focus_first_problem();
            return None;
        }
        let (Some(kind), Some(quarter), Some(format), Some(folder)) =
            (kind, quarter, format, folder)
        else {
            self.form.focus_first_problem();
            return None;
        };
        Some(Job {
            request: Request {
                suppress_below,
                ..Request::new(kind, quarter, self.today)
            },
            format,
            folder,
            annual_year: None,
        })
    }

    /// Section C: the financial year from the quarter field ("2025-26" or a quarter of it),
    /// not one still to start; the format and folder as for a quarter.
    fn check_annual(&mut self) -> Option<Job> {
        let mut ok = self.form.check_fields();
        let typed = self.form.text("quarter").unwrap_or_default();
        let year_text = typed.split_whitespace().next().unwrap_or("");
        let this_year = Quarter::containing(self.today);
        let year = match crate::returns::leicester_annual::parse_year(year_text) {
            Ok(y) => NaiveDate::from_ymd_opt(y, 4, 1).map(|start| (y, Quarter::containing(start))),
            Err(e) => {
                self.form.set_error(
                    "quarter",
                    format!("Section C is for a financial year (e.g. 2025-26): {e}"),
                );
                None
            }
        };
        let year = match year {
            Some((y, q)) if q > this_year => {
                self.form.set_error(
                    "quarter",
                    format!(
                        "{y}-{:02} has not started yet: choose an earlier year",
                        (y + 1) % 100
                    ),
                );
                None
            }
            y => y,
        };
        let format = self
            .form
            .choice("format")
            .and_then(|c| Format::from_code(&c));
        if format.is_none() {
            self.form
                .set_error("format", "Choose a format: xlsx, csv or json".into());
            ok = false;
        }
        let folder = match self.form.text("out").map(|t| expand_home(&t)) {
            Some(p) if p.is_file() => {
                self.form.set_error(
                    "out",
                    "That is a file: give a folder; the return is written inside it".into(),
                );
                None
            }
            Some(p) => Some(p),
            None => {
                self.form
                    .set_error("out", "Give the folder to write the return in".into());
                None
            }
        };
        let (true, Some((y, first)), Some(format), Some(folder)) = (ok, year, format, folder)
        else {
            self.form.focus_first_problem();
            return None;
        };
        Some(Job {
            request: Request::new(ReturnKind::Leicester, first, self.today),
            format,
            folder,
            annual_year: Some(y),
        })
    }

    /// Runs the waiting export; `progress` hears each stage (the app draws it).
    pub fn run(
        &mut self,
        store: &Store,
        calendar: &Calendar,
        codes: &CodeLists,
        layout_override: Option<String>,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) {
        let State::Waiting(job) = self.state.clone() else {
            return;
        };
        if let Err(e) = store.require(crate::domain::roles::Permission::ExportReturn) {
            self.state = State::Failed(format!("{e:#}"));
            return;
        }
        let mut request = job.request.clone();
        request.layout_override = layout_override;
        if let Err(e) = std::fs::create_dir_all(&job.folder) {
            self.fail_at_folder(format!("Cannot create the folder: {e}"));
            return;
        }
        if let Some(year) = job.annual_year {
            return self.run_annual(store, &job, year, progress);
        }
        let stages = &mut self.stages;
        let mut hear = |stage: &str, done: usize, total: usize| {
            match stages.iter_mut().find(|s| s.0 == stage) {
                Some(s) => (s.1, s.2) = (done, total),
                None => stages.push((stage.to_string(), done, total)),
            }
            progress(stage, done, total);
        };
        let ret = match returns::compute(store, calendar, codes, &request, &mut hear) {
            Ok(r) => r,
            Err(e) => {
                self.state = State::Failed(format!("The return could not be counted: {e:#}"));
                return;
            }
        };
        let out = if job.format.writes_folder() {
            job.folder.join(ret.file_stem())
        } else {
            job.folder.clone()
        };
        hear("writing", 0, 1);
        match returns::write_return(&ret, job.format, &out) {
            Ok(w) => {
                hear("writing", 1, 1);
                self.state = State::Done(w);
            }
            Err(e) => self.fail_at_folder(format!("{e:#}")),
        }
    }

    /// Section C, written as `casebook export --return leicester --year Y --out FOLDER` writes
    /// it (CSV in a `leicester-C-Y` folder inside, as a quarter's CSV).
    fn run_annual(
        &mut self,
        store: &Store,
        job: &Job,
        year: i32,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) {
        self.stages.push(("counting".into(), 0, 1));
        progress("counting", 0, 1);
        let annual = match returns::leicester_annual::compute(store, year) {
            Ok(a) => a,
            Err(e) => {
                self.state = State::Failed(format!("Section C could not be counted: {e:#}"));
                return;
            }
        };
        self.stages = vec![("counting".into(), 1, 1), ("writing".into(), 0, 1)];
        progress("writing", 0, 1);
        let out = if job.format.writes_folder() {
            job.folder.join(format!("leicester-C-{}", annual.year))
        } else {
            job.folder.clone()
        };
        match returns::write::write_annual(&annual, self.today, job.format, &out) {
            Ok(w) => {
                self.stages = vec![("counting".into(), 1, 1), ("writing".into(), 1, 1)];
                progress("writing", 1, 1);
                self.state = State::Done(w);
            }
            Err(e) => self.fail_at_folder(format!("{e:#}")),
        }
    }

    fn fail_at_folder(&mut self, text: String) {
        self.form.set_error("out", text.clone());
        self.form.focus_first_problem();
        self.state = State::Failed(format!("Not exported: {text}"));
    }

    pub fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme) {
        frame.render_widget(Clear, body);
        if body.height < 8 || body.width < 30 {
            return;
        }
        let width = body.width.saturating_sub(2) as usize;
        let mode = if self.form.is_editing() {
            "Editing — Enter next field, Esc stops editing, Ctrl-S exports".to_string()
        } else {
            "Enter edits a field · Ctrl-S exports · Esc closes".to_string()
        };
        let buf = frame.buffer_mut();
        buf.set_line(
            body.x + 1,
            body.y,
            &Line::styled(truncate(&self.form.title, width), theme.header()),
            body.width.saturating_sub(1),
        );
        buf.set_line(
            body.x + 1,
            body.y + 1,
            &Line::styled(truncate(&mode, width), theme.dim()),
            body.width.saturating_sub(1),
        );
        let result_h = 6u16.min(body.height.saturating_sub(8));
        let fields_h = body.height - 3 - result_h;
        self.form.draw(
            frame,
            Rect::new(body.x, body.y + 3, body.width, fields_h),
            theme,
        );
        let area = Rect::new(
            body.x + 1,
            body.y + 3 + fields_h,
            body.width.saturating_sub(2),
            result_h,
        );
        let (text, style) = match &self.state {
            State::Choosing => (String::new(), theme.dim()),
            State::Waiting(job) => (
                match job.annual_year {
                    Some(y) => format!("Writing Leicester section C for {y}-{:02}…", (y + 1) % 100),
                    None => format!(
                        "Writing the {} return for {}…",
                        job.request.kind.code(),
                        job.request.quarter.label()
                    ),
                },
                theme.warning(),
            ),
            State::Done(w) => {
                let mut t = String::from("✓ Written: ");
                let files: Vec<String> = w.files.iter().map(|f| f.display().to_string()).collect();
                t.push_str(&files.join(", "));
                t.push_str(&format!(
                    "\nManifest: {}\nSHA-256 of the figures: {}",
                    w.manifest.display(),
                    w.figures_sha256
                ));
                (t, theme.info())
            }
            State::Failed(e) => (format!("✗ {e}"), theme.error()),
        };
        let mut lines: Vec<Line> = text
            .lines()
            .map(|l| Line::styled(l.to_string(), style))
            .collect();
        if !self.stages.is_empty() {
            lines.push(Line::styled(stages_text(&self.stages), theme.dim()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}

/// The last stage reached: `Progress: writing 1/1 (11 stages)`.
fn stages_text(stages: &[(String, usize, usize)]) -> String {
    match stages.last() {
        Some((s, d, t)) => format!("Progress: {s} {d}/{t} ({} stages)", stages.len()),
        None => String::new(),
    }
}

/// The screen while an export runs: what stage it has reached.
pub fn draw_progress(frame: &mut Frame, theme: Theme, stage: &str, done: usize, total: usize) {
    let area = frame.area();
    if area.height < 3 || area.width < 20 {
        return;
    }
    let w = area.width.saturating_sub(2);
    frame.buffer_mut().set_line(
        area.x + 1,
        area.y + 1,
        &Line::styled("Writing the return…", theme.header()),
        w,
    );
    frame.buffer_mut().set_line(
        area.x + 1,
        area.y + 2,
        &Line::styled(format!("{stage} {done}/{total}"), theme.dim()),
        w,
    );
}

impl super::component::Component for ExportScreen {
    fn title(&self) -> Option<String> {
        Some("Export a return".into())
    }

    fn contexts(&self) -> Vec<super::keymap::Context> {
        if self.form.is_editing() {
            vec![super::keymap::Context::Editing]
        } else {
            vec![super::keymap::Context::Form]
        }
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
        match ExportScreen::key(self, k, action) {
            Outcome::Close => super::component::Step::Close(None),
            Outcome::Stay => super::component::Step::Done,
        }
    }

    fn paste(&mut self, text: &str, _env: &mut super::component::Env) -> super::component::Step {
        ExportScreen::paste(self, text);
        super::component::Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, _keys: &super::keymap::KeyMap) {
        ExportScreen::draw(self, frame, body, theme);
    }

    crate::as_any!();
}
