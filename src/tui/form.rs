//! A form is one component: typed fields, the focus, an explicit editing state (so letter
//! shortcuts never fire while typing), inline errors at the field, and its values as JSON for
//! the draft that is saved as the worker types. What the form is *for* (a contact, a review)
//! lives with its caller, which reads typed values out and writes them through the store.

use chrono::NaiveDate;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use ratatui_textarea::{TextArea, WrapMode};
use serde_json::{json, Map, Value as Json};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use super::codes::Choice;
use super::keymap::Action;
use super::theme::Theme;
use crate::domain::dates::{parse_relative_date, parse_time, DATE_FORMS};
use crate::domain::record::fold_name;

/// What a key or a paste did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEvent {
    /// Not for the form: the caller may use it (help, palette, quit).
    Ignored,
    /// Focus or state moved; values unchanged.
    Handled,
    /// A value changed: time to save the draft.
    Changed,
    /// The worker asked to save.
    Save,
    /// The worker asked to close the form (the draft stays).
    Close,
}

/// The most a short text field holds, in characters.
pub const SHORT_MAX: usize = 200;
/// The most a typed date, time or number holds.
const TINY_MAX: usize = 40;
/// The most a choice's type-to-filter holds.
const FILTER_MAX: usize = 40;
/// How many choices show under a choice field while it is open.
const CHOICE_ROWS: usize = 6;

/// What a single-line field must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Plain,
    Date,
    Time,
    Number { min: i64, max: i64 },
}

/// A list of choices with type-to-filter; single or multiple.
#[derive(Debug, Clone)]
pub struct ChoiceList {
    options: Vec<Choice>,
    folded: Vec<String>,
    filter: Input,
    /// Indices of the options that match the filter.
    shown: Vec<usize>,
    /// Highlighted position in `shown`.
    cursor: usize,
    chosen: Vec<usize>,
    multiple: bool,
}

impl ChoiceList {
    fn new(options: Vec<Choice>, multiple: bool) -> ChoiceList {
        let folded = options
            .iter()
            .map(|c| fold_name(&format!("{} {}", c.label, c.code.replace('_', " "))))
            .collect();
        let mut list = ChoiceList {
            shown: (0..options.len()).collect(),
            options,
            folded,
            filter: Input::default(),
            cursor: 0,
            chosen: Vec::new(),
            multiple,
        };
        list.refilter();
        list
    }

    fn refilter(&mut self) {
        let words: Vec<String> = fold_name(self.filter.value())
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        self.shown = (0..self.options.len())
            .filter(|&i| words.iter().all(|w| self.folded[i].contains(w.as_str())))
            .collect();
        self.cursor = self.cursor.min(self.shown.len().saturating_sub(1));
    }

    /// After a key changed the filter: highlight the best match, so Enter picks what was
    /// typed. An option whose label is the filter comes first, then one that starts with it,
    /// then the first shown ("clear" picks "Clear", not "Clear with a disclosure").
    fn refilter_typed(&mut self) {
        self.refilter();
        let typed = fold_name(self.filter.value());
        let typed = typed.trim();
        if typed.is_empty() {
            return;
        }
        let label = |i: usize| fold_name(&self.options[i].label);
        self.cursor = self
            .shown
            .iter()
            .position(|&i| label(i) == typed)
            .or_else(|| self.shown.iter().position(|&i| label(i).starts_with(typed)))
            .unwrap_or(0);
    }

    fn open(&mut self) {
        self.filter.reset();
        self.refilter();
        self.cursor = self
            .chosen
            .first()
            .and_then(|c| self.shown.iter().position(|s| s == c))
            .unwrap_or(0);
    }

    fn highlighted(&self) -> Option<usize> {
        self.shown.get(self.cursor).copied()
    }

    fn toggle_highlighted(&mut self) -> bool {
        let Some(i) = self.highlighted() else {
            return false;
        };
        if self.multiple {
            if let Some(p) = self.chosen.iter().position(|&c| c == i) {
                self.chosen.remove(p);
            } else {
                self.chosen.push(i);
                self.chosen.sort_unstable();
            }
        } else {
            self.chosen = vec![i];
        }
        true
    }

    fn codes(&self) -> Vec<String> {
        self.chosen
            .iter()
            .map(|&i| self.options[i].code.clone())
            .collect()
    }

    fn summary(&self) -> String {
        self.chosen
            .iter()
            .map(|&i| self.options[i].label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn set_codes(&mut self, codes: &[String]) {
        self.chosen = codes
            .iter()
            .filter_map(|c| self.options.iter().position(|o| &o.code == c))
            .collect();
        self.chosen.sort_unstable();
        self.chosen.dedup();
        if !self.multiple {
            self.chosen.truncate(1);
        }
    }
}

/// The kinds of field a form can hold.
#[derive(Debug)]
pub enum FieldKind {
    Line {
        input: Input,
        max: usize,
        kind: LineKind,
    },
    Long {
        area: Box<TextArea<'static>>,
        max: usize,
    },
    Choice(ChoiceList),
    Scale {
        min: i64,
        max: i64,
        value: Option<i64>,
    },
    YesNo(Option<bool>),
}

/// One field of a form.
#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub required: bool,
    pub kind: FieldKind,
    /// A validation problem, shown at the field; blocks saving.
    pub error: Option<String>,
    /// A note that does not block saving (e.g. a paste was cut short).
    pub notice: Option<String>,
}

fn long_area(text: &str) -> Box<TextArea<'static>> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.split('\n').map(str::to_string).collect()
    };
    let mut area = TextArea::new(lines);
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.set_cursor_line_style(ratatui::style::Style::new());
    // A restored note carries on where it ended.
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    Box::new(area)
}

impl Field {
    fn new(key: &'static str, label: &'static str, kind: FieldKind) -> Field {
        Field {
            key,
            label,
            hint: "",
            required: false,
            kind,
            error: None,
            notice: None,
        }
    }

    pub fn text(key: &'static str, label: &'static str, max: usize) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Line {
                input: Input::default(),
                max,
                kind: LineKind::Plain,
            },
        )
    }

    pub fn date(key: &'static str, label: &'static str) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Line {
                input: Input::default(),
                max: TINY_MAX,
                kind: LineKind::Date,
            },
        )
        .hint("today, -2d, 31/05/2025")
    }

    pub fn time(key: &'static str, label: &'static str) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Line {
                input: Input::default(),
                max: TINY_MAX,
                kind: LineKind::Time,
            },
        )
        .hint("HH:MM")
    }

    pub fn number(key: &'static str, label: &'static str, min: i64, max: i64) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Line {
                input: Input::default(),
                max: TINY_MAX,
                kind: LineKind::Number { min, max },
            },
        )
    }

    pub fn long_text(key: &'static str, label: &'static str, max: usize) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Long {
                area: long_area(""),
                max,
            },
        )
    }

    pub fn choice(key: &'static str, label: &'static str, options: Vec<Choice>) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Choice(ChoiceList::new(options, false)),
        )
        .hint("type to filter")
    }

    pub fn multi(key: &'static str, label: &'static str, options: Vec<Choice>) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Choice(ChoiceList::new(options, true)),
        )
        .hint("Space ticks")
    }

    pub fn scale(key: &'static str, label: &'static str, min: i64, max: i64) -> Field {
        Field::new(
            key,
            label,
            FieldKind::Scale {
                min,
                max,
                value: None,
            },
        )
    }

    pub fn yes_no(key: &'static str, label: &'static str) -> Field {
        Field::new(key, label, FieldKind::YesNo(None)).hint("y / n")
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    /// Sets the starting value (as the draft would hold it).
    pub fn with_value(mut self, value: Json) -> Field {
        self.set_json(&value);
        self
    }

    /// The value as the draft keeps it.
    pub fn to_json(&self) -> Json {
        match &self.kind {
            FieldKind::Line { input, .. } => json!(input.value()),
            FieldKind::Long { area, .. } => json!(area.lines().join("\n")),
            FieldKind::Choice(list) if list.multiple => json!(list.codes()),
            FieldKind::Choice(list) => list.codes().first().map_or(Json::Null, |c| json!(c)),
            FieldKind::Scale { value, .. } => value.map_or(Json::Null, |v| json!(v)),
            FieldKind::YesNo(v) => v.map_or(Json::Null, |v| json!(v)),
        }
    }

    /// Restores a value from a draft; values of the wrong shape are ignored, and text is cut to
    /// the field's size (a draft is data from disk, not trusted to fit).
    pub fn set_json(&mut self, value: &Json) {
        match (&mut self.kind, value) {
            (FieldKind::Line { input, max, .. }, Json::String(s)) => {
                let s: String = s.chars().filter(|c| *c != '\n').take(*max).collect();
                *input = Input::new(s);
            }
            (FieldKind::Long { area, max }, Json::String(s)) => {
                let s: String = s.chars().take(*max).collect();
                *area = long_area(&s);
            }
            (FieldKind::Choice(list), Json::String(s)) => list.set_codes(std::slice::from_ref(s)),
            (FieldKind::Choice(list), Json::Array(a)) => {
                let codes: Vec<String> = a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                list.set_codes(&codes);
            }
            (FieldKind::Choice(list), Json::Null) => list.chosen.clear(),
            (FieldKind::Scale { min, max, value }, Json::Number(n)) => {
                *value = n.as_i64().filter(|v| (*min..=*max).contains(v));
            }
            (FieldKind::Scale { value, .. }, Json::Null) => *value = None,
            (FieldKind::YesNo(v), Json::Bool(b)) => *v = Some(*b),
            (FieldKind::YesNo(v), Json::Null) => *v = None,
            _ => {}
        }
    }

    /// The text of a text-like field, trimmed; empty for others.
    pub fn raw_text(&self) -> String {
        match &self.kind {
            FieldKind::Line { input, .. } => input.value().trim().to_string(),
            FieldKind::Long { area, .. } => area.lines().join("\n").trim().to_string(),
            _ => String::new(),
        }
    }

    fn is_empty(&self) -> bool {
        match &self.kind {
            FieldKind::Line { .. } | FieldKind::Long { .. } => self.raw_text().is_empty(),
            FieldKind::Choice(list) => list.chosen.is_empty(),
            FieldKind::Scale { value, .. } => value.is_none(),
            FieldKind::YesNo(v) => v.is_none(),
        }
    }

    /// This field's own problem, if any: required and empty, or not in the expected form.
    /// The message names the field and says what is expected.
    pub fn check(&self, today: NaiveDate) -> Option<String> {
        if self.is_empty() {
            return self.required.then(|| {
                let what = match &self.kind {
                    FieldKind::Line {
                        kind: LineKind::Date,
                        ..
                    } => format!("give a date ({DATE_FORMS})"),
                    FieldKind::Choice(_) => "choose one (type to filter, Enter picks)".to_string(),
                    FieldKind::YesNo(_) => "answer yes or no".to_string(),
                    _ => "this is needed".to_string(),
                };
                format!("{}: {what}", self.label)
            });
        }
        let FieldKind::Line { input, kind, .. } = &self.kind else {
            return None;
        };
        let t = input.value().trim();
        let problem = match kind {
            LineKind::Plain => None,
            LineKind::Date => parse_relative_date(t, today).err(),
            LineKind::Time => parse_time(t).err(),
            LineKind::Number { min, max } => match t.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => None,
                _ => Some(format!("give a whole number from {min} to {max}")),
            },
        };
        problem.map(|p| format!("{}: {p}", self.label))
    }

    fn char_count(&self) -> usize {
        match &self.kind {
            FieldKind::Line { input, .. } => input.value().chars().count(),
            FieldKind::Long { area, .. } => {
                area.lines()
                    .iter()
                    .map(|l| l.chars().count())
                    .sum::<usize>()
                    + area.lines().len().saturating_sub(1)
            }
            _ => 0,
        }
    }

    /// A key while editing this field. `None` means the field did not want it.
    fn key(&mut self, ev: &KeyEvent, action: Option<Action>) -> Option<FieldResult> {
        let ctrl = ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if matches!(
            ev.code,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc | KeyCode::F(_)
        ) {
            return None;
        }
        if ctrl && matches!(ev.code, KeyCode::Char('s') | KeyCode::Char('c')) {
            return None;
        }
        let count = self.char_count();
        let label = self.label;
        match &mut self.kind {
            FieldKind::Line { input, max, .. } => {
                if matches!(ev.code, KeyCode::Enter | KeyCode::Up | KeyCode::Down) {
                    return None;
                }
                let req = to_input_request(&Event::Key(*ev))?;
                if matches!(req, InputRequest::InsertChar(_)) && count >= *max {
                    let max = *max;
                    self.notice = Some(full_message(label, max));
                    return Some(FieldResult::Consumed);
                }
                let changed = input.handle(req).is_some_and(|s| s.value);
                Some(if changed {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                })
            }
            FieldKind::Long { area, max } => {
                let inserts = matches!(ev.code, KeyCode::Enter)
                    || matches!(ev.code, KeyCode::Char(_)) && !ctrl;
                if inserts && count >= *max {
                    let max = *max;
                    self.notice = Some(full_message(label, max));
                    return Some(FieldResult::Consumed);
                }
                let changed = area.input(*ev);
                Some(if changed {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                })
            }
            FieldKind::Choice(list) => match (ev.code, action) {
                (KeyCode::Up, _) => {
                    list.cursor = list.cursor.saturating_sub(1);
                    Some(FieldResult::Consumed)
                }
                (KeyCode::Down, _) => {
                    list.cursor = (list.cursor + 1).min(list.shown.len().saturating_sub(1));
                    Some(FieldResult::Consumed)
                }
                (KeyCode::Char(' '), _) if list.multiple => Some(if list.toggle_highlighted() {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                }),
                (KeyCode::Enter, _) => {
                    if list.shown.is_empty() {
                        return Some(FieldResult::Consumed);
                    }
                    if list.multiple {
                        list.toggle_highlighted();
                        Some(FieldResult::Changed)
                    } else {
                        list.toggle_highlighted();
                        Some(FieldResult::Picked)
                    }
                }
                _ => {
                    let req = to_input_request(&Event::Key(*ev))?;
                    if matches!(req, InputRequest::InsertChar(_))
                        && list.filter.value().chars().count() >= FILTER_MAX
                    {
                        return Some(FieldResult::Consumed);
                    }
                    list.filter.handle(req);
                    list.refilter_typed();
                    Some(FieldResult::Consumed)
                }
            },
            FieldKind::Scale { min, max, value } => {
                let new = match ev.code {
                    KeyCode::Left | KeyCode::Char('-') => {
                        Some(value.map_or(*min, |v| (v - 1).max(*min)))
                    }
                    KeyCode::Right | KeyCode::Char('+') => {
                        Some(value.map_or(*min, |v| (v + 1).min(*max)))
                    }
                    KeyCode::Char(c) if c.is_ascii_digit() => {
                        let d = i64::from(c as u8 - b'0');
                        // Typing two digits in a row builds a two-digit score.
                        let joined = value.map(|v| v * 10 + d).filter(|v| v <= max);
                        Some(joined.unwrap_or(d).clamp(*min, *max))
                    }
                    KeyCode::Backspace | KeyCode::Delete => None,
                    KeyCode::Enter => return None,
                    _ => return Some(FieldResult::Consumed),
                };
                let changed = *value != new;
                *value = new;
                Some(if changed {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                })
            }
            FieldKind::YesNo(v) => {
                let new = match ev.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => Some(true),
                    KeyCode::Char('n') | KeyCode::Char('N') => Some(false),
                    KeyCode::Char(' ') => Some(!v.unwrap_or(false)),
                    KeyCode::Backspace | KeyCode::Delete => None,
                    KeyCode::Enter => return None,
                    _ => return Some(FieldResult::Consumed),
                };
                let changed = *v != new;
                *v = new;
                Some(if changed {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                })
            }
        }
    }

    /// Pasted text while editing this field, cut to what the field holds.
    fn paste(&mut self, text: &str) -> FieldResult {
        let count = self.char_count();
        let label = self.label;
        match &mut self.kind {
            FieldKind::Line { input, max, .. } => {
                let room = max.saturating_sub(count);
                let mut taken = 0;
                for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
                    if taken == room {
                        break;
                    }
                    input.handle(InputRequest::InsertChar(c));
                    taken += 1;
                }
                let max = *max;
                if text.chars().nth(taken).is_some() {
                    self.notice = Some(full_message(label, max));
                }
                if taken > 0 {
                    FieldResult::Changed
                } else {
                    FieldResult::Consumed
                }
            }
            FieldKind::Long { area, max } => {
                let room = max.saturating_sub(count);
                let cut: String = text.chars().filter(|c| *c != '\r').take(room).collect();
                let max = *max;
                if text.chars().filter(|c| *c != '\r').nth(room).is_some() {
                    self.notice = Some(full_message(label, max));
                }
                if cut.is_empty() {
                    FieldResult::Consumed
                } else {
                    area.insert_str(cut);
                    FieldResult::Changed
                }
            }
            FieldKind::Choice(list) => {
                let room = FILTER_MAX.saturating_sub(list.filter.value().chars().count());
                for c in text.chars().filter(|c| !c.is_control()).take(room) {
                    list.filter.handle(InputRequest::InsertChar(c));
                }
                list.refilter_typed();
                FieldResult::Consumed
            }
            FieldKind::Scale { .. } | FieldKind::YesNo(_) => FieldResult::Consumed,
        }
    }

    fn start_editing(&mut self) {
        if let FieldKind::Choice(list) = &mut self.kind {
            list.open();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldResult {
    Consumed,
    Changed,
    /// A single choice was picked: move on.
    Picked,
}

fn full_message(label: &str, max: usize) -> String {
    format!(
        "{label}: holds at most {} characters; the rest was left out",
        group_thousands(max)
    )
}

fn group_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A form: its fields, the focus and whether the focused field is being edited.
#[derive(Debug)]
pub struct Form {
    /// The draft key, e.g. `contact:<young person id>`.
    pub key: String,
    /// What the form is, for the title bar: "New contact".
    pub name: String,
    /// The heading over the fields: "New contact for Zoë Hart (YP-…)".
    pub title: String,
    fields: Vec<Field>,
    focus: usize,
    editing: bool,
    today: NaiveDate,
    scroll: usize,
    /// The values the form opened with, to tell whether anything was typed.
    baseline: Json,
}

impl Form {
    /// A form that starts editing its first field.
    pub fn new(
        key: String,
        name: String,
        title: String,
        fields: Vec<Field>,
        today: NaiveDate,
    ) -> Form {
        let mut f = Form {
            key,
            name,
            title,
            fields,
            focus: 0,
            editing: false,
            today,
            scroll: 0,
            baseline: Json::Null,
        };
        f.baseline = f.draft_data()["fields"].clone();
        f.set_editing(true);
        f
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn field_mut(&mut self, key: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn is_editing(&self) -> bool {
        self.editing
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    /// Whether any value differs from what the form opened with.
    pub fn has_changes(&self) -> bool {
        self.draft_data()["fields"] != self.baseline
    }

    pub fn focus_index(&self) -> usize {
        self.focus
    }

    fn set_editing(&mut self, on: bool) {
        self.editing = on && !self.fields.is_empty();
        if self.editing {
            self.fields[self.focus].start_editing();
        }
    }

    /// Moves the focus, checking the field being left so its problem shows straight away.
    pub fn move_focus(&mut self, forward: bool) {
        if self.fields.is_empty() {
            return;
        }
        self.recheck(self.focus);
        let n = self.fields.len();
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
        if self.editing {
            self.set_editing(true);
        }
    }

    fn recheck(&mut self, i: usize) {
        let today = self.today;
        let f = &mut self.fields[i];
        f.error = if f.is_empty() {
            // An empty required field is only flagged on save, not while tabbing past it.
            None
        } else {
            f.check(today)
        };
    }

    /// A key, with the action it resolved to in the form's context.
    pub fn handle_key(&mut self, ev: &KeyEvent, action: Option<Action>) -> FormEvent {
        if self.fields.is_empty() {
            return match action {
                Some(Action::Back) => FormEvent::Close,
                _ => FormEvent::Ignored,
            };
        }
        if self.editing {
            let focus = self.focus;
            if let Some(result) = self.fields[focus].key(ev, action) {
                return match result {
                    FieldResult::Consumed => FormEvent::Handled,
                    FieldResult::Changed => {
                        if self.fields[focus].error.is_some() {
                            // Clear a stale message as soon as the worker fixes the field.
                            let today = self.today;
                            let f = &mut self.fields[focus];
                            f.error = f.check(today).filter(|_| !f.is_empty());
                        }
                        FormEvent::Changed
                    }
                    FieldResult::Picked => {
                        self.fields[focus].error = None;
                        self.move_focus(true);
                        FormEvent::Changed
                    }
                };
            }
            return match action {
                Some(Action::NextField) | Some(Action::Open) => {
                    self.move_focus(true);
                    FormEvent::Handled
                }
                Some(Action::PrevField) => {
                    self.move_focus(false);
                    FormEvent::Handled
                }
                Some(Action::Back) => {
                    self.recheck(self.focus);
                    self.editing = false;
                    FormEvent::Handled
                }
                Some(Action::Save) => FormEvent::Save,
                _ => FormEvent::Ignored,
            };
        }
        match action {
            Some(Action::NextField) => {
                self.move_focus(true);
                FormEvent::Handled
            }
            Some(Action::PrevField) => {
                self.move_focus(false);
                FormEvent::Handled
            }
            Some(Action::Edit) => {
                self.set_editing(true);
                FormEvent::Handled
            }
            Some(Action::Toggle) => {
                let f = &mut self.fields[self.focus];
                if let FieldKind::YesNo(v) = &mut f.kind {
                    *v = Some(!v.unwrap_or(false));
                    FormEvent::Changed
                } else {
                    self.set_editing(true);
                    FormEvent::Handled
                }
            }
            Some(Action::Save) => FormEvent::Save,
            Some(Action::Back) => FormEvent::Close,
            _ => FormEvent::Ignored,
        }
    }

    /// Pasted text: into the field being edited, cut to what it holds. Returns the event and
    /// a message for the status bar when the paste could not all go in.
    pub fn paste(&mut self, text: &str) -> (FormEvent, Option<String>) {
        if !self.editing || self.fields.is_empty() {
            return (
                FormEvent::Ignored,
                Some("Paste into a field: press Enter on it first, then paste".to_string()),
            );
        }
        let f = &mut self.fields[self.focus];
        f.notice = None;
        let result = f.paste(text);
        let msg = f.notice.clone();
        let ev = match result {
            FieldResult::Changed | FieldResult::Picked => FormEvent::Changed,
            FieldResult::Consumed => FormEvent::Handled,
        };
        (ev, msg)
    }

    /// Every field's own check; true when none has a problem.
    pub fn check_fields(&mut self) -> bool {
        let today = self.today;
        let mut ok = true;
        for f in &mut self.fields {
            f.error = f.check(today);
            ok &= f.error.is_none();
        }
        ok
    }

    /// Sets a problem found by the caller's own rules (e.g. one field needed because of another).
    pub fn set_error(&mut self, key: &str, message: String) {
        if let Some(f) = self.field_mut(key) {
            f.error = Some(message);
        }
    }

    /// Labels of the fields with problems, in order.
    pub fn problem_labels(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.error.is_some())
            .map(|f| f.label)
            .collect()
    }

    /// Moves the focus to the first field with a problem and starts editing it.
    pub fn focus_first_problem(&mut self) {
        if let Some(i) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = i;
            self.set_editing(true);
        }
    }

    // Typed values, for the caller's validation.

    /// Trimmed text, `None` when empty.
    pub fn text(&self, key: &str) -> Option<String> {
        self.field(key)
            .map(Field::raw_text)
            .filter(|t| !t.is_empty())
    }

    pub fn date(&self, key: &str) -> Option<NaiveDate> {
        self.text(key)
            .and_then(|t| parse_relative_date(&t, self.today).ok())
    }

    pub fn time(&self, key: &str) -> Option<String> {
        self.text(key).and_then(|t| parse_time(&t).ok())
    }

    pub fn number(&self, key: &str) -> Option<i64> {
        self.text(key).and_then(|t| t.parse().ok())
    }

    pub fn choice(&self, key: &str) -> Option<String> {
        self.choices(key).into_iter().next()
    }

    pub fn choices(&self, key: &str) -> Vec<String> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice(list)) => list.codes(),
            _ => Vec::new(),
        }
    }

    /// Labels of the chosen options (for storing a multi-choice as readable text).
    pub fn choice_labels(&self, key: &str) -> Vec<String> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice(list)) => list
                .chosen
                .iter()
                .map(|&i| list.options[i].label.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn yes_no(&self, key: &str) -> Option<bool> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::YesNo(v)) => *v,
            _ => None,
        }
    }

    pub fn scale(&self, key: &str) -> Option<i64> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Scale { value, .. }) => *value,
            _ => None,
        }
    }

    /// Everything typed so far, for the draft.
    pub fn draft_data(&self) -> Json {
        let mut fields = Map::new();
        for f in &self.fields {
            let value = match &f.kind {
                // "today" or "-2d" typed on Monday must still mean Monday's date when the draft
                // comes back on Tuesday: keep the date it meant.
                FieldKind::Line {
                    input,
                    kind: LineKind::Date,
                    ..
                } => match parse_relative_date(input.value(), self.today) {
                    Ok(d) => json!(d.format("%Y-%m-%d").to_string()),
                    Err(_) => f.to_json(),
                },
                _ => f.to_json(),
            };
            fields.insert(f.key.to_string(), value);
        }
        json!({ "fields": fields, "focus": self.focus })
    }

    /// Puts a draft's values back.
    pub fn restore(&mut self, data: &Json) {
        if let Some(values) = data.get("fields").and_then(Json::as_object) {
            for f in &mut self.fields {
                if let Some(v) = values.get(f.key) {
                    f.set_json(v);
                }
            }
        }
        if let Some(i) = data.get("focus").and_then(Json::as_u64) {
            if (i as usize) < self.fields.len() {
                self.focus = i as usize;
            }
        }
        self.set_editing(true);
    }

    /// Draws the form into `area`; sets the terminal cursor on the field being typed into.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        if area.width < 20 || area.height < 3 {
            return;
        }
        let label_w: u16 = 18;
        let value_x = area.x + label_w + 2;
        let value_w = area.width.saturating_sub(label_w + 3);
        // Lay out every field's rows, then scroll so the focused one is on screen.
        let mut rows: Vec<(usize, u16)> = Vec::new(); // (field, height)
        for (i, f) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let mut h: u16 = match &f.kind {
                FieldKind::Long { .. } => 4,
                FieldKind::Choice(list) if focused && self.editing => {
                    1 + list.shown.len().clamp(1, CHOICE_ROWS) as u16
                }
                _ => 1,
            };
            h += message_lines(f.error.as_deref(), value_w, '✗').len() as u16
                + message_lines(f.notice.as_deref(), value_w, '!').len() as u16;
            rows.push((i, h));
        }
        let focus_top: u16 = rows[..self.focus.min(rows.len())].iter().map(|r| r.1).sum();
        let focus_h = rows.get(self.focus).map_or(1, |r| r.1);
        let mut scroll = self.scroll as u16;
        if focus_top < scroll {
            scroll = focus_top;
        }
        if focus_top + focus_h > scroll + area.height {
            scroll = (focus_top + focus_h).saturating_sub(area.height);
        }
        self.scroll = scroll as usize;

        let mut y_virtual: u16 = 0;
        for (i, h) in rows {
            let top = y_virtual;
            y_virtual += h;
            if top < scroll || top + h > scroll + area.height {
                // Partly visible fields are left out rather than drawn cut in half.
                if top + h <= scroll || top >= scroll + area.height {
                    continue;
                }
                if top < scroll {
                    continue;
                }
            }
            let y = area.y + (top - scroll);
            let avail = (area.y + area.height).saturating_sub(y);
            let h = h.min(avail);
            let rect = Rect::new(area.x, y, area.width, h);
            self.draw_field(frame, rect, i, label_w, value_x, value_w, theme);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_field(
        &self,
        frame: &mut Frame,
        rect: Rect,
        i: usize,
        label_w: u16,
        value_x: u16,
        value_w: u16,
        theme: Theme,
    ) {
        let f = &self.fields[i];
        let focused = i == self.focus;
        let editing = focused && self.editing;
        let marker = if editing {
            "✎"
        } else if focused {
            "›"
        } else {
            " "
        };
        let label = format!("{}{}", f.label, if f.required { " *" } else { "" });
        let label_style = if focused { theme.focus() } else { theme.base() };
        let buf = frame.buffer_mut();
        buf.set_line(
            rect.x,
            rect.y,
            &Line::from(vec![
                Span::styled(marker, label_style),
                Span::raw(" "),
                Span::styled(truncate(&label, label_w as usize), label_style),
            ]),
            label_w + 2,
        );
        let mut y = rect.y;
        let bottom = rect.y + rect.height;
        let main_h: u16 = match &f.kind {
            FieldKind::Long { .. } => 4,
            _ => 1,
        };
        let main = Rect::new(value_x, y, value_w, main_h.min(bottom - y));
        let mut cursor: Option<Position> = None;
        match &f.kind {
            FieldKind::Line { input, kind, .. } => {
                let width = main.width.max(1) as usize;
                let scroll = input.visual_scroll(width.saturating_sub(1));
                let value: String = input.value().chars().skip(scroll).collect();
                let mut spans = vec![Span::raw(value)];
                if input.value().is_empty() && !f.hint.is_empty() {
                    spans = vec![Span::styled(format!("({})", f.hint), theme.dim())];
                } else if *kind == LineKind::Date && !editing {
                    if let Ok(d) = parse_relative_date(input.value(), self.today) {
                        if d.format("%Y-%m-%d").to_string() != input.value().trim() {
                            spans.push(Span::styled(
                                format!("  = {}", d.format("%a %d %b %Y")),
                                theme.dim(),
                            ));
                        }
                    }
                }
                frame
                    .buffer_mut()
                    .set_line(main.x, main.y, &Line::from(spans), main.width);
                if editing {
                    let cx = (input.visual_cursor().saturating_sub(scroll)) as u16;
                    cursor = Some(Position::new(
                        main.x + cx.min(main.width.saturating_sub(1)),
                        main.y,
                    ));
                }
            }
            FieldKind::Long { area, .. } => {
                let block = Block::new()
                    .borders(Borders::LEFT)
                    .border_style(if focused { theme.focus() } else { theme.dim() });
                if editing {
                    let mut a = (**area).clone();
                    a.set_block(block);
                    a.set_cursor_style(theme.selected());
                    frame.render_widget(&a, main);
                } else {
                    let text = area.lines().join("\n");
                    let p = if text.is_empty() {
                        Paragraph::new(Span::styled("(Enter to write)", theme.dim()))
                    } else {
                        Paragraph::new(text).wrap(Wrap { trim: false })
                    };
                    frame.render_widget(p.block(block), main);
                }
            }
            FieldKind::Choice(list) => {
                if editing {
                    let filter = list.filter.value();
                    let shown = if list.multiple {
                        format!("{}  ▸ {}", list.summary(), filter)
                    } else {
                        format!("▸ {filter}")
                    };
                    frame.buffer_mut().set_line(
                        main.x,
                        main.y,
                        &Line::from(vec![
                            Span::raw(shown.clone()),
                            Span::styled(
                                if filter.is_empty() {
                                    "  type to filter"
                                } else {
                                    ""
                                },
                                theme.dim(),
                            ),
                        ]),
                        main.width,
                    );
                    cursor = Some(Position::new(
                        (main.x + shown.chars().count() as u16)
                            .min(main.x + main.width.saturating_sub(1)),
                        main.y,
                    ));
                    y += 1;
                    let start = list.cursor.saturating_sub(CHOICE_ROWS - 1);
                    if list.shown.is_empty() && y < bottom {
                        frame.buffer_mut().set_line(
                            main.x,
                            y,
                            &Line::styled("  no choice matches; Backspace to widen", theme.dim()),
                            main.width,
                        );
                        y += 1;
                    }
                    for (pos, &opt) in list.shown.iter().enumerate().skip(start).take(CHOICE_ROWS) {
                        if y >= bottom {
                            break;
                        }
                        let tick = if list.multiple {
                            if list.chosen.contains(&opt) {
                                "[x] "
                            } else {
                                "[ ] "
                            }
                        } else if list.chosen.contains(&opt) {
                            "(•) "
                        } else {
                            "( ) "
                        };
                        let style = if pos == list.cursor {
                            theme.selected()
                        } else {
                            theme.base()
                        };
                        frame.buffer_mut().set_line(
                            main.x,
                            y,
                            &Line::styled(
                                format!(
                                    "{tick}{}",
                                    truncate(
                                        &list.options[opt].label,
                                        (main.width as usize).saturating_sub(4),
                                    )
                                ),
                                style,
                            ),
                            main.width,
                        );
                        y += 1;
                    }
                    y -= 1;
                } else {
                    let s = list.summary();
                    let line = if s.is_empty() {
                        Line::styled(
                            format!("({})", if f.hint.is_empty() { "choose" } else { f.hint }),
                            theme.dim(),
                        )
                    } else {
                        Line::raw(truncate(&s, main.width as usize))
                    };
                    frame
                        .buffer_mut()
                        .set_line(main.x, main.y, &line, main.width);
                }
            }
            FieldKind::Scale { min, max, value } => {
                let span = (*max - *min).max(1);
                let bar_w = (main.width as i64 - 12).clamp(0, span + 1) as usize;
                let filled = value.map_or(0, |v| ((v - min) * bar_w as i64 / span) as usize);
                let shown = match value {
                    Some(v) => format!("{v:>2} / {max}  "),
                    None => format!(" – / {max}  "),
                };
                let bar = format!(
                    "{}{}",
                    "■".repeat(filled),
                    "·".repeat(bar_w - filled.min(bar_w))
                );
                frame.buffer_mut().set_line(
                    main.x,
                    main.y,
                    &Line::from(vec![Span::raw(shown), Span::styled(bar, theme.focus())]),
                    main.width,
                );
            }
            FieldKind::YesNo(v) => {
                let (y_mark, n_mark) = match v {
                    Some(true) => ("(•)", "( )"),
                    Some(false) => ("( )", "(•)"),
                    None => ("( )", "( )"),
                };
                frame.buffer_mut().set_line(
                    main.x,
                    main.y,
                    &Line::from(format!("{y_mark} yes   {n_mark} no")),
                    main.width,
                );
            }
        }
        y += main_h;
        for (text, style, mark) in [
            (&f.error, theme.error(), '✗'),
            (&f.notice, theme.warning(), '!'),
        ] {
            for l in message_lines(text.as_deref(), value_w, mark) {
                if y >= bottom {
                    break;
                }
                frame
                    .buffer_mut()
                    .set_line(value_x, y, &Line::styled(l, style), value_w);
                y += 1;
            }
        }
        if let Some(c) = cursor {
            frame.set_cursor_position(c);
        }
    }
}

/// A field's message wrapped at word boundaries to `width`, at most three lines, the first
/// marked with `mark` and the rest indented to match.
fn message_lines(text: Option<&str>, width: u16, mark: char) -> Vec<String> {
    let Some(text) = text else {
        return Vec::new();
    };
    let w = (width as usize).saturating_sub(2).max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let word: String = if word.chars().count() > w {
            truncate(word, w)
        } else {
            word.to_string()
        };
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > w {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > 3 {
        lines.truncate(3);
        let last = truncate(&format!("{}…", lines[2]), w);
        lines[2] = last;
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{mark} {l}")
            } else {
                format!("  {l}")
            }
        })
        .collect()
}

/// How many terminal columns `s` takes (wide characters such as 小 take two).
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Cuts `s` to `w` terminal columns, ending with `…` when cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let cw = width(c.encode_utf8(&mut buf));
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 2).unwrap()
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn type_str(form: &mut Form, s: &str) {
        for c in s.chars() {
            form.handle_key(&key(KeyCode::Char(c)), None);
        }
    }

    fn opts() -> Vec<Choice> {
        ["Phone call", "Home visit", "Face-to-face session"]
            .iter()
            .enumerate()
            .map(|(i, l)| Choice {
                code: format!("c{i}"),
                label: l.to_string(),
            })
            .collect()
    }

    fn form() -> Form {
        Form::new(
            "k".into(),
            "n".into(),
            "t".into(),
            vec![
                Field::date("date", "Date").required(),
                Field::choice("type", "Type", opts()).required(),
                Field::scale("mood", "Mood", 0, 20),
                Field::yes_no("dna", "Did not attend"),
                Field::multi("who", "Present", opts()),
                Field::text("name", "Name", 5),
            ],
            today(),
        )
    }

    #[test]
    fn typing_goes_into_the_field_and_tab_moves_on() {
        let mut f = form();
        assert!(f.is_editing());
        type_str(&mut f, "-2d");
        assert_eq!(
            f.date("date"),
            Some(NaiveDate::from_ymd_opt(2025, 5, 31).unwrap())
        );
        assert_eq!(
            f.handle_key(&key(KeyCode::Tab), Some(Action::NextField)),
            FormEvent::Handled
        );
        assert_eq!(f.focus_index(), 1);
    }

    #[test]
    fn a_choice_filters_as_you_type_and_enter_picks() {
        let mut f = form();
        f.handle_key(&key(KeyCode::Tab), Some(Action::NextField));
        type_str(&mut f, "hom");
        assert_eq!(
            f.handle_key(&key(KeyCode::Enter), Some(Action::Open)),
            FormEvent::Changed
        );
        assert_eq!(f.choice("type").as_deref(), Some("c1"));
        assert_eq!(f.focus_index(), 2, "picking moves on");
    }

    #[test]
    fn typing_highlights_the_option_named_before_one_that_only_contains_it() {
        let choice = |code: &str, label: &str| Choice {
            code: code.into(),
            label: label.into(),
        };
        let mut list = ChoiceList::new(
            vec![
                choice("clear_disclosure", "Clear with a disclosure"),
                choice("clear", "Clear"),
                choice("pending", "Pending"),
            ],
            false,
        );
        for c in "clear".chars() {
            list.filter.handle(InputRequest::InsertChar(c));
            list.refilter_typed();
        }
        assert_eq!(list.shown.len(), 2, "both labels contain the filter");
        assert_eq!(list.highlighted(), Some(1), "the exact label wins");
        for c in " with".chars() {
            list.filter.handle(InputRequest::InsertChar(c));
            list.refilter_typed();
        }
        assert_eq!(
            list.highlighted(),
            Some(0),
            "a label starting with the filter"
        );
        list.filter.reset();
        for c in "pend".chars() {
            list.filter.handle(InputRequest::InsertChar(c));
            list.refilter_typed();
        }
        assert_eq!(list.highlighted(), Some(2));
    }

    #[test]
    fn scale_yes_no_and_multi_take_their_own_keys() {
        let mut f = form();
        f.move_focus(true);
        f.move_focus(true);
        type_str(&mut f, "14");
        assert_eq!(f.scale("mood"), Some(14));
        f.handle_key(&key(KeyCode::Right), None);
        assert_eq!(f.scale("mood"), Some(15));
        type_str(&mut f, "99");
        assert_eq!(
            f.scale("mood"),
            Some(9),
            "a score past the top starts again"
        );
        f.move_focus(true);
        type_str(&mut f, "y");
        assert_eq!(f.yes_no("dna"), Some(true));
        f.move_focus(true);
        f.handle_key(&key(KeyCode::Char(' ')), Some(Action::Toggle));
        f.handle_key(&key(KeyCode::Down), Some(Action::Down));
        f.handle_key(&key(KeyCode::Down), Some(Action::Down));
        f.handle_key(&key(KeyCode::Char(' ')), Some(Action::Toggle));
        assert_eq!(f.choices("who"), vec!["c0", "c2"]);
        assert_eq!(
            f.choice_labels("who"),
            vec!["Phone call", "Face-to-face session"]
        );
    }

    #[test]
    fn a_full_field_refuses_more_and_says_so() {
        let mut f = form();
        for _ in 0..5 {
            f.move_focus(true);
        }
        type_str(&mut f, "abcdefgh");
        assert_eq!(f.text("name").as_deref(), Some("abcde"));
        assert!(f
            .field("name")
            .unwrap()
            .notice
            .as_ref()
            .unwrap()
            .contains("Name: holds at most 5"));
        let (_, msg) = f.paste("more");
        assert!(msg.is_some());
    }

    #[test]
    fn a_huge_paste_is_cut_to_the_field() {
        let mut f = Form::new(
            "k".into(),
            "n".into(),
            "t".into(),
            vec![Field::long_text("note", "Note", 4000)],
            today(),
        );
        let big = "word ".repeat(2_000_000);
        let (ev, msg) = f.paste(&big);
        assert_eq!(ev, FormEvent::Changed);
        assert_eq!(
            f.text("note").unwrap().chars().count(),
            3999,
            "trailing space trimmed"
        );
        assert!(msg.unwrap().contains("4,000"));
    }

    #[test]
    fn checks_name_the_field_and_what_is_expected() {
        let mut f = form();
        type_str(&mut f, "soon");
        assert!(!f.check_fields());
        let date_err = f.field("date").unwrap().error.clone().unwrap();
        assert!(
            date_err.starts_with("Date: 'soon' is not a date"),
            "{date_err}"
        );
        let type_err = f.field("type").unwrap().error.clone().unwrap();
        assert!(type_err.starts_with("Type: choose one"), "{type_err}");
        assert_eq!(f.problem_labels(), vec!["Date", "Type"]);
    }

    #[test]
    fn the_draft_round_trips() {
        let mut f = form();
        type_str(&mut f, "today");
        f.move_focus(true);
        type_str(&mut f, "phone");
        f.handle_key(&key(KeyCode::Enter), Some(Action::Open));
        let data = f.draft_data();
        let mut g = form();
        g.restore(&data);
        assert_eq!(g.text("date").as_deref(), Some("2025-06-02"));
        assert_eq!(g.choice("type").as_deref(), Some("c0"));
        assert_eq!(g.focus_index(), 2);
    }

    #[test]
    fn a_relative_date_keeps_its_day_in_the_draft() {
        let mut f = form();
        type_str(&mut f, "yesterday");
        let data = f.draft_data();
        assert_eq!(data["fields"]["date"], "2025-06-01");
        let mut next_day = Form::new(
            "k".into(),
            "n".into(),
            "t".into(),
            vec![Field::date("date", "Date")],
            NaiveDate::from_ymd_opt(2025, 6, 3).unwrap(),
        );
        next_day.restore(&data);
        assert_eq!(
            next_day.date("date"),
            Some(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
        );
    }

    #[test]
    fn esc_stops_editing_so_letters_become_shortcuts_again() {
        let mut f = form();
        assert_eq!(
            f.handle_key(&key(KeyCode::Esc), Some(Action::Back)),
            FormEvent::Handled
        );
        assert!(!f.is_editing());
        assert_eq!(
            f.handle_key(&key(KeyCode::Char('q')), Some(Action::Quit)),
            FormEvent::Ignored
        );
        assert_eq!(
            f.handle_key(&key(KeyCode::Esc), Some(Action::Back)),
            FormEvent::Close
        );
    }
}
