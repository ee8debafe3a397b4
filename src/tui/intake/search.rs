//! The first step of a new referral: the worker types a name, a date of birth or a reference
//! and sees, as they type, the young people already on record who may be the one referred —
//! with why (same reference, same date of birth, similar name) and whether they have an open
//! episode. Choosing one adds a new episode under them; "a new young person" registers one.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::domain::ids::parse_reference;
use crate::domain::validate::parse_date;
use crate::store::intake::{possible_matches, PossibleMatch};
use crate::store::Store;
use crate::tui::form::truncate;
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::text_line::{Edit, TextLine};
use crate::tui::theme::Theme;

/// The most the search box holds.
const SEARCH_MAX: usize = 80;
/// How many possible matches are listed.
const MATCH_LIMIT: usize = 12;

/// What was typed in the search, read as a name, a date of birth and a reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub given: String,
    pub family: String,
    pub dob: Option<NaiveDate>,
    /// Text that reads as a reference (empty when none does).
    pub reference: String,
}

/// Reads the search text: words that read as a date are the date of birth, one that reads as a
/// reference is the reference, the rest is the name (the first word the given name).
pub fn read_typed(text: &str) -> Typed {
    let mut t = Typed::default();
    if parse_reference(text).is_ok() {
        t.reference = text.trim().to_string();
        return t;
    }
    let mut words = Vec::new();
    for w in text.split_whitespace() {
        if let Ok(d) = parse_date(w) {
            t.dob = Some(d);
        } else if parse_reference(w).is_ok() {
            t.reference = w.to_string();
        } else {
            words.push(w);
        }
    }
    if let Some((first, rest)) = words.split_first() {
        t.given = (*first).to_string();
        t.family = rest.join(" ");
    }
    t
}

/// What the app does after a key in the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchOutcome {
    Stay,
    Close,
    /// Open the referral form: for this young person, or a new one.
    Choose(Option<String>),
    /// Not possible: say why.
    Refuse(String),
    /// The key is not the search's (help).
    NotMine,
}

/// The search step's state.
#[derive(Debug, Clone)]
pub struct ReferralSearch {
    input: TextLine,
    matches: Vec<PossibleMatch>,
    /// 0 is "a new young person"; 1.. the matches.
    cursor: usize,
    problem: Option<String>,
}

impl Default for ReferralSearch {
    fn default() -> Self {
        ReferralSearch::new()
    }
}

impl ReferralSearch {
    pub fn new() -> ReferralSearch {
        ReferralSearch {
            input: TextLine::new(SEARCH_MAX),
            matches: Vec::new(),
            cursor: 0,
            problem: None,
        }
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }

    pub fn matches(&self) -> &[PossibleMatch] {
        &self.matches
    }

    /// The highlighted line: 0 is "a new young person".
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Looks again for possible matches of what is typed.
    pub fn refresh(&mut self, store: &Store) {
        let t = read_typed(self.input.value());
        let (given, family) = if t.family.is_empty() {
            // One word could be either name: compare it as the family name, which the search
            // also tries the wrong way round.
            (String::new(), t.given.clone())
        } else {
            (t.given.clone(), t.family.clone())
        };
        let empty = family.is_empty() && t.dob.is_none() && t.reference.is_empty();
        self.problem = None;
        self.matches = if empty {
            Vec::new()
        } else {
            match possible_matches(store, &given, &family, t.dob, &t.reference, MATCH_LIMIT) {
                Ok(m) => m,
                Err(e) => {
                    self.problem = Some(format!("The search failed: {e}"));
                    Vec::new()
                }
            }
        };
        self.cursor = self.cursor.min(self.matches.len());
    }

    /// A key while the search is open.
    pub fn key(&mut self, ev: &KeyEvent, action: Option<Action>, store: &Store) -> SearchOutcome {
        match action {
            Some(Action::Back) => SearchOutcome::Close,
            Some(Action::Help) => SearchOutcome::NotMine,
            Some(Action::Up) => {
                self.cursor = self.cursor.saturating_sub(1);
                SearchOutcome::Stay
            }
            Some(Action::Down) => {
                self.cursor = (self.cursor + 1).min(self.matches.len());
                SearchOutcome::Stay
            }
            Some(Action::Open) => self.choose(),
            _ => {
                match self.input.key(ev) {
                    Edit::Changed => self.refresh(store),
                    Edit::Full => {
                        return SearchOutcome::Refuse(format!(
                            "Search: holds at most {SEARCH_MAX} characters"
                        ))
                    }
                    Edit::Same | Edit::NotMine => {}
                }
                SearchOutcome::Stay
            }
        }
    }

    /// Pasted text goes into the search box.
    pub fn paste(&mut self, text: &str, store: &Store) {
        if self.input.paste(text).0 {
            self.refresh(store);
        }
    }

    fn choose(&self) -> SearchOutcome {
        if self.cursor == 0 {
            return SearchOutcome::Choose(None);
        }
        let Some(m) = self.matches.get(self.cursor - 1) else {
            return SearchOutcome::Stay;
        };
        if m.open_episode {
            return SearchOutcome::Refuse(format!(
                "{} already has an open episode: record this referral on it, or record its \
                 exit (x in their case) first",
                m.young_person.display_name()
            ));
        }
        SearchOutcome::Choose(Some(m.young_person.id.clone()))
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        if area.width < 20 || area.height < 6 {
            return;
        }
        let w = area.width.saturating_sub(2) as usize;
        let x = area.x + 1;
        let key = |a: Action| {
            keys.key_for(a, Context::ReferralSearch)
                .map_or_else(|| "?".to_string(), |k| k.to_string())
        };
        let buf = frame.buffer_mut();
        buf.set_line(
            x,
            area.y,
            &Line::styled(
                truncate("New referral: is this young person already known?", w),
                theme.header(),
            ),
            w as u16,
        );
        buf.set_line(
            x,
            area.y + 1,
            &Line::styled(
                truncate(
                    &format!(
                        "Type a name, date of birth or reference. ↑↓ choose, {} picks, {} cancels.",
                        key(Action::Open),
                        key(Action::Back)
                    ),
                    w,
                ),
                theme.dim(),
            ),
            w as u16,
        );
        let prompt = "Search ▸ ";
        buf.set_line(
            x,
            area.y + 3,
            &Line::from(vec![
                Span::styled(prompt, theme.key()),
                Span::raw(self.input.value().to_string()),
            ]),
            w as u16,
        );
        let cursor_x = x + (prompt.chars().count() + self.input.cursor()) as u16;
        frame.set_cursor_position(Position::new(
            cursor_x.min(area.right().saturating_sub(1)),
            area.y + 3,
        ));
        let mut top = area.y + 5;
        if !self.matches.is_empty() {
            frame.buffer_mut().set_line(
                x,
                top,
                &Line::styled(
                    truncate(
                        &format!(
                            "  {:<20} {:<11} {:<10}  {:<9}  Why",
                            "Name", "Reference", "Born", "Episode"
                        ),
                        w,
                    ),
                    theme.dim(),
                ),
                w as u16,
            );
            top += 1;
        }
        let rows = area.bottom().saturating_sub(top) as usize;
        let mut lines: Vec<(String, bool, bool)> = Vec::new(); // (text, open episode, selected)
        lines.push((
            "+ A new young person (not on record)".to_string(),
            false,
            self.cursor == 0,
        ));
        for (i, m) in self.matches.iter().enumerate() {
            let p = &m.young_person;
            let dob = p
                .date_of_birth
                .map_or_else(|| "DOB unknown".to_string(), super::ddmmyyyy);
            let why: Vec<String> = std::iter::once(m.reason)
                .chain(m.also.iter().copied())
                .map(|r| r.describe())
                .collect();
            let open = if m.open_episode { "open" } else { "none open" };
            let name = truncate(&p.display_name(), 20);
            // As the caseload shows references: without the "YP-" every one has.
            let reference = p.reference.strip_prefix("YP-").unwrap_or(&p.reference);
            lines.push((
                format!(
                    "  {name:<20} {reference:<11} {dob:<10}  {open:<9}  {}",
                    why.join(", ")
                ),
                m.open_episode,
                self.cursor == i + 1,
            ));
        }
        let typed = !self.input.value().trim().is_empty();
        if self.matches.is_empty() && typed {
            lines.push((
                "  Nobody on record matches what is typed.".to_string(),
                false,
                false,
            ));
        }
        let start = self.cursor.saturating_sub(rows.saturating_sub(1));
        let buf = frame.buffer_mut();
        for (row, (text, open, selected)) in lines.iter().skip(start).take(rows).enumerate() {
            let style = if *selected {
                theme.selected()
            } else if *open {
                theme.dim()
            } else {
                theme.base()
            };
            buf.set_line(
                x,
                top + row as u16,
                &Line::styled(truncate(text, w), style),
                w as u16,
            );
        }
        if let Some(p) = &self.problem {
            buf.set_line(
                x,
                area.bottom().saturating_sub(1),
                &Line::styled(truncate(p, w), theme.error()),
                w as u16,
            );
        }
    }
}

impl crate::tui::component::Component for ReferralSearch {
    fn title(&self) -> Option<String> {
        Some("New referral".into())
    }

    fn contexts(&self) -> Vec<crate::tui::keymap::Context> {
        vec![crate::tui::keymap::Context::ReferralSearch]
    }

    fn key(
        &mut self,
        k: &KeyEvent,
        action: Option<Action>,
        env: &mut crate::tui::component::Env,
    ) -> crate::tui::component::Step {
        use crate::tui::component::Step;
        use crate::tui::msg::{IntakeOpen, Msg, Route, StatusKind};
        match ReferralSearch::key(self, k, action, env.store) {
            SearchOutcome::Stay => Step::Done,
            SearchOutcome::Close => Step::Close(None),
            SearchOutcome::Choose(existing) => {
                let typed = self.text().to_string();
                Step::Close(Some(Msg::Open(Route::Intake(IntakeOpen::Referral {
                    existing,
                    typed,
                }))))
            }
            SearchOutcome::Refuse(text) => Step::status(StatusKind::Warning, text),
            SearchOutcome::NotMine => Step::Pass,
        }
    }

    fn paste(
        &mut self,
        text: &str,
        env: &mut crate::tui::component::Env,
    ) -> crate::tui::component::Step {
        ReferralSearch::paste(self, text, env.store);
        crate::tui::component::Step::Done
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        ReferralSearch::draw(self, frame, body, theme, keys);
    }

    crate::as_any!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_reads_names_dates_and_references() {
        let t = read_typed("Zoe  Hart 28/02/2009");
        assert_eq!(t.given, "Zoe");
        assert_eq!(t.family, "Hart");
        assert_eq!(t.dob, NaiveDate::from_ymd_opt(2009, 2, 28));
        assert_eq!(t.reference, "");
        let t = read_typed("hart");
        assert_eq!((t.given.as_str(), t.family.as_str()), ("hart", ""));
        assert_eq!(read_typed("").dob, None);
    }
}
