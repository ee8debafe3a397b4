//! The one keymap. Each binding names an action, the keys that trigger it, what it does in
//! words, and the contexts it applies in. Dispatch, the `?` help overlay, the status-bar hints
//! and the `:` command palette all read this table, so help never drifts from behaviour.
//!
//! A worker may rebind keys in `keymap.toml` in the config folder (`action = "key"` or
//! `action = ["key", "key"]`); a bad entry is reported and that action keeps its default keys.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Lock,
    Conflicts,
    SyncNow,
    // Possible duplicates (src/tui/duplicates.rs).
    Duplicates,
    MergeDuplicate,
    KeepApart,
    Help,
    Palette,
    Back,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Filter,
    ToggleTeam,
    ShowExited,
    SortNext,
    SortReverse,
    NextSection,
    PrevSection,
    AddContact,
    NextField,
    PrevField,
    Edit,
    Toggle,
    Save,
    RestoreDraft,
    DiscardDraft,
    Reload,
    AddAssessment,
    OpenCarePlan,
    AddOutcomeProfile,
    AddReview,
    CompareVersions,
    NewPlan,
    AddGoal,
    AddPlanAction,
    AddBudgetItem,
    MoveItemUp,
    MoveItemDown,
    MarkDone,
    SetTargetDate,
    SignOff,
    ApproveSpend,
    EarlierFrom,
    LaterFrom,
    EarlierTo,
    LaterTo,
    SetSupportLevel,
    // Intake (S §8.3–8.4).
    NewReferral,
    Triage,
    Allocate,
    OutreachTally,
    RecordExit,
    // The due-list, risk flags and dashboard screens (src/tui/due_list.rs, flags.rs).
    DueList,
    Flags,
    Dashboard,
    CycleKind,
    AsOf,
    RaiseFlag,
    ReviewFlag,
    ChangeFlagLevel,
    ResolveFlag,
    // The dashboard's KPI panel and the export screen (src/tui/kpis.rs, export.rs).
    Kpis,
    PrevQuarter,
    NextQuarter,
    ExportReturn,
    // After-exit work (S §20.5): follow-ups and closing a clock (src/tui/follow_up_form.rs).
    RecordFollowUp,
    CloseClock,
    // The mentoring project (L §5–7): the coordinator's board and its forms (src/tui/mentoring/).
    MentoringBoard,
    NewMentor,
    EditMentor,
    AddMentoringEvent,
    AddDrive,
    MatchMentor,
    EndMatch,
    AddComplaint,
    AddPhoneMessage,
    AnswerPhoneMessage,
    AddMentorSession,
}

impl Action {
    pub const ALL: [Action; 84] = [
        Action::Quit,
        Action::Lock,
        Action::Conflicts,
        Action::SyncNow,
        Action::Duplicates,
        Action::MergeDuplicate,
        Action::KeepApart,
        Action::Help,
        Action::Palette,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Open,
        Action::Filter,
        Action::ToggleTeam,
        Action::ShowExited,
        Action::SortNext,
        Action::SortReverse,
        Action::NextSection,
        Action::PrevSection,
        Action::AddContact,
        Action::NextField,
        Action::PrevField,
        Action::Edit,
        Action::Toggle,
        Action::Save,
        Action::RestoreDraft,
        Action::DiscardDraft,
        Action::Reload,
        Action::AddAssessment,
        Action::OpenCarePlan,
        Action::AddOutcomeProfile,
        Action::AddReview,
        Action::CompareVersions,
        Action::NewPlan,
        Action::AddGoal,
        Action::AddPlanAction,
        Action::AddBudgetItem,
        Action::MoveItemUp,
        Action::MoveItemDown,
        Action::MarkDone,
        Action::SetTargetDate,
        Action::SignOff,
        Action::ApproveSpend,
        Action::EarlierFrom,
        Action::LaterFrom,
        Action::EarlierTo,
        Action::LaterTo,
        Action::SetSupportLevel,
        Action::NewReferral,
        Action::Triage,
        Action::Allocate,
        Action::OutreachTally,
        Action::RecordExit,
        Action::DueList,
        Action::Flags,
        Action::Dashboard,
        Action::CycleKind,
        Action::AsOf,
        Action::RaiseFlag,
        Action::ReviewFlag,
        Action::ChangeFlagLevel,
        Action::ResolveFlag,
        Action::Kpis,
        Action::PrevQuarter,
        Action::NextQuarter,
        Action::ExportReturn,
        Action::RecordFollowUp,
        Action::CloseClock,
        Action::MentoringBoard,
        Action::NewMentor,
        Action::EditMentor,
        Action::AddMentoringEvent,
        Action::AddDrive,
        Action::MatchMentor,
        Action::EndMatch,
        Action::AddComplaint,
        Action::AddPhoneMessage,
        Action::AnswerPhoneMessage,
        Action::AddMentorSession,
    ];

    /// The name used in `keymap.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Lock => "lock",
            Action::Conflicts => "conflicts",
            Action::SyncNow => "sync_now",
            Action::Duplicates => "duplicates",
            Action::MergeDuplicate => "merge_duplicate",
            Action::KeepApart => "keep_apart",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::Back => "back",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Open => "open",
            Action::Filter => "filter",
            Action::ToggleTeam => "toggle_team",
            Action::ShowExited => "show_exited",
            Action::SortNext => "sort_next",
            Action::SortReverse => "sort_reverse",
            Action::NextSection => "next_section",
            Action::PrevSection => "prev_section",
            Action::AddContact => "add_contact",
            Action::NextField => "next_field",
            Action::PrevField => "prev_field",
            Action::Edit => "edit",
            Action::Toggle => "toggle",
            Action::Save => "save",
            Action::RestoreDraft => "restore_draft",
            Action::DiscardDraft => "discard_draft",
            Action::Reload => "reload",
            Action::AddAssessment => "add_assessment",
            Action::OpenCarePlan => "open_care_plan",
            Action::AddOutcomeProfile => "add_outcome_profile",
            Action::AddReview => "add_review",
            Action::CompareVersions => "compare_versions",
            Action::NewPlan => "new_plan",
            Action::AddGoal => "add_goal",
            Action::AddPlanAction => "add_plan_action",
            Action::AddBudgetItem => "add_budget_item",
            Action::MoveItemUp => "move_item_up",
            Action::MoveItemDown => "move_item_down",
            Action::MarkDone => "mark_done",
            Action::SetTargetDate => "set_target_date",
            Action::SignOff => "sign_off",
            Action::ApproveSpend => "approve_spend",
            Action::EarlierFrom => "earlier_from",
            Action::LaterFrom => "later_from",
            Action::EarlierTo => "earlier_to",
            Action::LaterTo => "later_to",
            Action::SetSupportLevel => "set_support_level",
            Action::NewReferral => "new_referral",
            Action::Triage => "triage",
            Action::Allocate => "allocate",
            Action::OutreachTally => "outreach_tally",
            Action::RecordExit => "record_exit",
            Action::DueList => "due_list",
            Action::Flags => "risk_flags",
            Action::Dashboard => "dashboard",
            Action::CycleKind => "cycle_kind",
            Action::AsOf => "as_of",
            Action::RaiseFlag => "raise_flag",
            Action::ReviewFlag => "review_flag",
            Action::ChangeFlagLevel => "change_flag_level",
            Action::ResolveFlag => "resolve_flag",
            Action::Kpis => "kpis",
            Action::PrevQuarter => "prev_quarter",
            Action::NextQuarter => "next_quarter",
            Action::ExportReturn => "export_return",
            Action::RecordFollowUp => "record_follow_up",
            Action::CloseClock => "close_clock",
            Action::MentoringBoard => "mentoring_board",
            Action::NewMentor => "new_mentor",
            Action::EditMentor => "edit_mentor",
            Action::AddMentoringEvent => "add_mentoring_event",
            Action::AddDrive => "add_recruitment_drive",
            Action::MatchMentor => "match_mentor",
            Action::EndMatch => "end_match",
            Action::AddComplaint => "add_complaint",
            Action::AddPhoneMessage => "add_telephone_message",
            Action::AnswerPhoneMessage => "answer_telephone_message",
            Action::AddMentorSession => "add_mentor_session",
        }
    }

    /// What the action does, as the command palette lists it.
    pub fn title(self) -> &'static str {
        match self {
            Action::Quit => "Quit casebook (a form's draft is kept)",
            Action::Lock => "Lock the screen now (your password unlocks it)",
            Action::Conflicts => "Go to: sync conflicts waiting for a choice",
            Action::SyncNow => "Sync now through the team's folder",
            Action::Duplicates => "Go to: possible duplicates waiting for a decision",
            Action::MergeDuplicate => "Merge the other record into the selected one",
            Action::KeepApart => "Keep both records apart: not the same person",
            Action::Help => "Show the keys for this screen",
            Action::Palette => "Open the command palette",
            Action::Back => "Go back or cancel",
            Action::Up => "Move up",
            Action::Down => "Move down",
            Action::Top => "Go to the top",
            Action::Bottom => "Go to the bottom",
            Action::PageUp => "Page up",
            Action::PageDown => "Page down",
            Action::Open => "Open the selected item",
            Action::Filter => "Filter the list",
            Action::ToggleTeam => "Switch between my caseload and the whole team",
            Action::ShowExited => "Show or hide young people whose episode has ended",
            Action::SortNext => "Sort by the next column",
            Action::SortReverse => "Reverse the sort order",
            Action::NextSection => "Next section",
            Action::PrevSection => "Previous section",
            Action::AddContact => "Add a contact",
            Action::NextField => "Next field",
            Action::PrevField => "Previous field",
            Action::Edit => "Edit the field",
            Action::Toggle => "Toggle yes/no or a choice",
            Action::Save => "Save the form",
            Action::RestoreDraft => "Restore the saved draft",
            Action::DiscardDraft => "Discard the saved draft",
            Action::Reload => "Reload from the database",
            Action::AddAssessment => "Record a comprehensive assessment",
            Action::OpenCarePlan => "Open the care plan editor",
            Action::AddOutcomeProfile => "Record an outcome profile",
            Action::AddReview => "Record a care plan review (makes the next version)",
            Action::CompareVersions => "Compare two versions of the care plan",
            Action::NewPlan => "Make the care plan",
            Action::AddGoal => "Add a goal to the care plan",
            Action::AddPlanAction => "Add an action to the selected goal",
            Action::AddBudgetItem => "Add a costed item to the care plan",
            Action::MoveItemUp => "Move the selected goal or action up",
            Action::MoveItemDown => "Move the selected goal or action down",
            Action::MarkDone => "Mark the selected action done (again: in progress)",
            Action::SetTargetDate => "Change the selected action's target date",
            Action::SignOff => "Sign the care plan off",
            Action::ApproveSpend => "Approve the plan's costed spend (managers)",
            Action::EarlierFrom => "Compare from an earlier version",
            Action::LaterFrom => "Compare from a later version",
            Action::EarlierTo => "Compare to an earlier version",
            Action::LaterTo => "Compare to a later version",
            Action::SetSupportLevel => "Change the care plan's level of support",
            Action::NewReferral => "New referral",
            Action::Triage => "Triage the current episode",
            Action::Allocate => "Allocate a key worker (and joint working)",
            Action::OutreachTally => "Record an outreach tally",
            Action::RecordExit => "Record the exit of the current episode",
            Action::DueList => "Go to: due-list (everything due across the caseload)",
            Action::Flags => "Go to: risk flags (every active flag)",
            Action::Dashboard => "Go to: manager's dashboard",
            Action::CycleKind => "Due-list: show one kind of item (cycle)",
            Action::AsOf => "Due-list: change the as-of date",
            Action::RaiseFlag => "Raise a risk flag",
            Action::ReviewFlag => "Review the selected risk flag",
            Action::ChangeFlagLevel => "Change the selected risk flag's level",
            Action::ResolveFlag => "Resolve (close) the selected risk flag",
            Action::Kpis => "Dashboard: switch between worker loads and KPI figures",
            Action::PrevQuarter => "Dashboard KPIs: the quarter before",
            Action::NextQuarter => "Dashboard KPIs: the quarter after",
            Action::ExportReturn => "Export a quarterly return (xlsx, csv, json)",
            Action::RecordFollowUp => "Record a follow-up after the exit (3 or 6 months)",
            Action::CloseClock => "Close an after-exit clock (exit TOP, follow-up) with a reason",
            Action::MentoringBoard => {
                "Go to: mentoring — coordinator's board (mentors, checks, matches)"
            }
            Action::NewMentor => "Mentoring board: add a volunteer mentor",
            Action::EditMentor => {
                "Mentoring board: edit the selected mentor (checks, training, status)"
            }
            Action::AddMentoringEvent => {
                "Mentoring board: record a training or support session, group or workshop"
            }
            Action::AddDrive => "Mentoring board: record a recruitment drive",
            Action::MatchMentor => {
                "Mentoring board: match a young person with a mentor (suggestions shown)"
            }
            Action::EndMatch => "Mentoring board: end one of the selected mentor's matches",
            Action::AddComplaint => "Mentoring board: record a complaint",
            Action::AddPhoneMessage => "Mentoring board: record a telephone message",
            Action::AnswerPhoneMessage => {
                "Mentoring board: record that a telephone message was answered"
            }
            Action::AddMentorSession => {
                "Record a mentor session with the young person (their open match)"
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        let n = name.trim().replace('-', "_").to_ascii_lowercase();
        Action::ALL.into_iter().find(|a| a.name() == n)
    }
}

/// Where the worker is, deciding which bindings apply. Typing contexts (`Editing`, `Filter`,
/// `HelpFilter`, `Palette`) send printable keys to the text being typed, never to a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Everywhere, even while typing.
    Always,
    /// Everywhere except while typing.
    Global,
    Caseload,
    Filter,
    CaseView,
    Detail,
    Form,
    Editing,
    DraftOffer,
    Help,
    Palette,
    /// The care plan editor.
    CarePlan,
    /// Comparing two versions of a care plan.
    Compare,
    /// The search before a new referral: typing a name, date of birth or reference.
    ReferralSearch,
    DueList,
    Flags,
    Dashboard,
    /// A one-line prompt on a board (the due-list's as-of date).
    Prompt,
    /// The screen is locked: only the worker's password opens it.
    Locked,
    /// Fields two devices changed differently, waiting for a person to choose.
    Conflicts,
    /// Young people registered twice, waiting for a person to merge or keep apart.
    Duplicates,
    /// The mentoring coordinator's board.
    Mentoring,
}

impl Context {
    pub fn label(self) -> &'static str {
        match self {
            Context::Always => "everywhere",
            Context::Global => "anywhere but while typing",
            Context::Caseload => "caseload",
            Context::Filter => "filtering",
            Context::CaseView => "case view",
            Context::Detail => "reading",
            Context::Form => "form",
            Context::Editing => "editing a field",
            Context::DraftOffer => "draft waiting",
            Context::Help => "help",
            Context::Palette => "command palette",
            Context::CarePlan => "care plan",
            Context::Compare => "comparing versions",
            Context::ReferralSearch => "referral search",
            Context::DueList => "due-list",
            Context::Flags => "risk flags",
            Context::Dashboard => "dashboard",
            Context::Prompt => "typing a date",
            Context::Locked => "locked",
            Context::Conflicts => "sync conflicts",
            Context::Duplicates => "possible duplicates",
            Context::Mentoring => "mentoring board",
        }
    }

    /// Whether printable keys are text here.
    pub fn is_typing(self) -> bool {
        matches!(
            self,
            Context::Editing
                | Context::Filter
                | Context::Help
                | Context::Palette
                | Context::ReferralSearch
                | Context::Prompt
                | Context::Locked
        )
    }
}

/// One key with its modifiers, normalised so `Shift` on a character or on `BackTab` does not
/// matter (terminals disagree about reporting it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        Key { code, mods }
    }

    pub const fn plain(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    /// The key of a terminal event, normalised.
    pub fn of(ev: &KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                // Ctrl with a letter arrives lower-case on most terminals; keep it so.
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Reads a key as written in `keymap.toml`: `j`, `G`, `?`, `enter`, `esc`, `tab`,
    /// `shift-tab`, `space`, `up`, `pgdn`, `f1`, `ctrl-s`, `alt-x`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty key".into());
        }
        if t.chars().count() == 1 {
            let c = t.chars().next().unwrap_or(' ');
            return Ok(Key::ch(c));
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = t;
        loop {
            let lower = rest.to_ascii_lowercase();
            let cut = [
                "ctrl-", "ctrl+", "c-", "alt-", "alt+", "a-", "m-", "shift-", "shift+", "s-",
            ]
            .iter()
            .find(|p| lower.starts_with(**p) && rest.len() > p.len());
            match cut {
                Some(p) => {
                    match p.chars().next() {
                        Some('c') => mods |= KeyModifiers::CONTROL,
                        Some('a') | Some('m') => mods |= KeyModifiers::ALT,
                        _ => mods |= KeyModifiers::SHIFT,
                    }
                    rest = &rest[p.len()..];
                }
                None => break,
            }
        }
        let code = if rest.chars().count() == 1 {
            let c = rest.chars().next().unwrap_or(' ');
            KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            })
        } else {
            match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "'{}' is not a key: use a character, or a name such as enter, esc, tab, \
                         space, up, pgdn, f1, with ctrl- / alt- / shift- in front",
                        crate::domain::validate::truncate_for_message(t)
                    ))
                }
            }
        };
        // Shift only means something on named keys; on a character it is the character.
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One binding: an action, its keys, what it does here, and where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub action: Action,
    pub keys: Vec<Key>,
    /// What pressing it does, in the help overlay.
    pub description: &'static str,
    /// A word or two for the status-bar hints; empty when it is not hinted.
    pub hint: &'static str,
    pub contexts: &'static [Context],
}

impl Binding {
    pub fn new(
        action: Action,
        keys: Vec<Key>,
        description: &'static str,
        hint: &'static str,
        contexts: &'static [Context],
    ) -> Binding {
        Binding {
            action,
            keys,
            description,
            hint,
            contexts,
        }
    }

    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The key table.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<Binding>,
}

use Context as C;
const LISTS: &[Context] = &[
    C::Caseload,
    C::CaseView,
    C::Detail,
    C::Form,
    C::Help,
    C::Palette,
];

fn defaults() -> Vec<Binding> {
    use KeyCode as K;
    let k = Key::plain;
    let b = Binding::new;
    vec![
        b(
            Action::Quit,
            vec![Key::ctrl('c')],
            "quit from anywhere; a form's draft is kept",
            "",
            &[C::Always],
        ),
        b(
            Action::Lock,
            vec![Key::ctrl('l')],
            "lock the screen now (walking away; someone looking)",
            "",
            &[C::Always],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "unlock with your password",
            "unlock",
            &[C::Locked],
        ),
        b(
            Action::Help,
            vec![Key::ch('?'), k(K::F(1))],
            "show the keys for this screen",
            "help",
            &[C::Global],
        ),
        b(
            Action::Help,
            vec![k(K::F(1))],
            "show the keys for this screen",
            "",
            &[C::Editing, C::Filter],
        ),
        b(
            Action::Palette,
            vec![Key::ch(':')],
            "command palette: every action and screen by name",
            "commands",
            &[C::Global],
        ),
        b(
            Action::Quit,
            vec![Key::ch('q')],
            "quit casebook (a form's draft is kept)",
            "quit",
            &[C::Global],
        ),
        // Moving in lists: arrows and vim keys both.
        b(
            Action::Up,
            vec![k(K::Up), Key::ch('k')],
            "move up",
            "",
            &[C::Caseload, C::CaseView, C::Detail],
        ),
        b(
            Action::Down,
            vec![k(K::Down), Key::ch('j')],
            "move down",
            "",
            &[C::Caseload, C::CaseView, C::Detail],
        ),
        b(
            Action::Up,
            vec![k(K::Up)],
            "move up",
            "",
            &[C::Filter, C::Help, C::Palette],
        ),
        b(
            Action::Down,
            vec![k(K::Down)],
            "move down",
            "",
            &[C::Filter, C::Help, C::Palette],
        ),
        b(
            Action::Top,
            vec![Key::ch('g'), k(K::Home)],
            "go to the top",
            "",
            &[C::Caseload, C::CaseView, C::Detail],
        ),
        b(
            Action::Bottom,
            vec![Key::ch('G'), k(K::End)],
            "go to the bottom",
            "",
            &[C::Caseload, C::CaseView, C::Detail],
        ),
        b(
            Action::PageUp,
            vec![k(K::PageUp), Key::ctrl('b')],
            "page up",
            "",
            LISTS,
        ),
        b(
            Action::PageDown,
            vec![k(K::PageDown), Key::ctrl('f')],
            "page down",
            "",
            LISTS,
        ),
        // Caseload.
        b(
            Action::Open,
            vec![k(K::Enter), Key::ch('l'), k(K::Right)],
            "open the young person's case",
            "open",
            &[C::Caseload],
        ),
        b(
            Action::Filter,
            vec![Key::ch('/')],
            "filter by name, reference or postcode as you type",
            "filter",
            &[C::Caseload],
        ),
        b(
            Action::ToggleTeam,
            vec![Key::ch('t')],
            "switch between my caseload and the whole team",
            "team",
            &[C::Caseload],
        ),
        b(
            Action::ShowExited,
            vec![Key::ch('e')],
            "show or hide young people whose episode has ended",
            "",
            &[C::Caseload],
        ),
        b(
            Action::SortNext,
            vec![Key::ch('s')],
            "sort by the next column",
            "sort",
            &[C::Caseload],
        ),
        b(
            Action::SortReverse,
            vec![Key::ch('S')],
            "reverse the sort order",
            "",
            &[C::Caseload],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "clear the filter",
            "",
            &[C::Caseload],
        ),
        b(
            Action::Reload,
            vec![Key::ctrl('r')],
            "reload from the database",
            "",
            &[C::Caseload, C::CaseView],
        ),
        // Filtering the caseload.
        b(
            Action::Open,
            vec![k(K::Enter)],
            "keep the filter and go back to the list",
            "done",
            &[C::Filter],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "clear the filter",
            "clear",
            &[C::Filter],
        ),
        // Case view.
        b(
            Action::NextSection,
            vec![k(K::Tab), Key::ch('l'), k(K::Right)],
            "next section",
            "section",
            &[C::CaseView],
        ),
        b(
            Action::PrevSection,
            vec![k(K::BackTab), Key::ch('h'), k(K::Left)],
            "previous section",
            "",
            &[C::CaseView],
        ),
        b(
            Action::AddContact,
            vec![Key::ch('c')],
            "add a contact",
            "contact",
            &[C::CaseView],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "read the selected contact in full",
            "read",
            &[C::CaseView],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "back to the caseload",
            "back",
            &[C::CaseView],
        ),
        b(
            Action::Back,
            vec![k(K::Esc), k(K::Enter)],
            "close",
            "close",
            &[C::Detail],
        ),
        // Forms, moving between fields.
        b(
            Action::NextField,
            vec![k(K::Tab), k(K::Down), Key::ch('j')],
            "next field",
            "next",
            &[C::Form],
        ),
        b(
            Action::PrevField,
            vec![k(K::BackTab), k(K::Up), Key::ch('k')],
            "previous field",
            "",
            &[C::Form],
        ),
        b(
            Action::Edit,
            vec![k(K::Enter), Key::ch('i')],
            "edit the field",
            "edit",
            &[C::Form],
        ),
        b(
            Action::Toggle,
            vec![Key::ch(' ')],
            "toggle yes/no",
            "",
            &[C::Form],
        ),
        b(
            Action::Save,
            vec![Key::ctrl('s')],
            "save the form",
            "save",
            &[C::Form, C::Editing],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "close the form (the draft is kept)",
            "close",
            &[C::Form],
        ),
        // Forms, typing in a field: letters are text here, never shortcuts.
        b(
            Action::NextField,
            vec![k(K::Tab)],
            "next field",
            "next",
            &[C::Editing],
        ),
        b(
            Action::PrevField,
            vec![k(K::BackTab)],
            "previous field",
            "",
            &[C::Editing],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "next field; pick a choice; new line in a note",
            "",
            &[C::Editing],
        ),
        b(
            Action::Up,
            vec![k(K::Up)],
            "previous choice",
            "",
            &[C::Editing],
        ),
        b(
            Action::Down,
            vec![k(K::Down)],
            "next choice",
            "",
            &[C::Editing],
        ),
        b(
            Action::Toggle,
            vec![Key::ch(' ')],
            "tick or untick a choice in a multi-choice",
            "",
            &[C::Editing],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "stop editing",
            "stop",
            &[C::Editing],
        ),
        // A draft waiting when a form opens.
        b(
            Action::RestoreDraft,
            vec![Key::ch('r'), k(K::Enter)],
            "restore the draft",
            "restore",
            &[C::DraftOffer],
        ),
        b(
            Action::DiscardDraft,
            vec![Key::ch('d')],
            "discard the draft and start afresh",
            "discard",
            &[C::DraftOffer],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "decide later (the draft is kept)",
            "later",
            &[C::DraftOffer],
        ),
        // Intake (S §8.3–8.4): a referral and a tally from anywhere, the rest on a case.
        b(
            Action::NewReferral,
            vec![Key::ch('n')],
            "new referral: search for the young person, then the referral form",
            "referral",
            &[C::Caseload],
        ),
        b(
            Action::NewReferral,
            vec![Key::ch('n')],
            "new referral: search for the young person, then the referral form",
            "",
            &[C::CaseView],
        ),
        b(
            Action::OutreachTally,
            vec![Key::ch('O')],
            "outreach tally: young people counted, not registered",
            "",
            &[C::Caseload, C::CaseView],
        ),
        b(
            Action::Triage,
            vec![Key::ch('T')],
            "triage the current episode",
            "",
            &[C::CaseView],
        ),
        b(
            Action::Allocate,
            vec![Key::ch('a')],
            "allocate a key worker (and record joint working)",
            "",
            &[C::CaseView],
        ),
        b(
            Action::RecordExit,
            vec![Key::ch('x')],
            "record the exit of the current episode",
            "",
            &[C::CaseView],
        ),
        // After-exit work (S §20.5).
        b(
            Action::RecordFollowUp,
            vec![Key::ch('u')],
            "record a follow-up after the exit (the form shows earlier attempts)",
            "",
            &[C::CaseView],
        ),
        b(
            Action::CloseClock,
            vec![Key::ch('U')],
            "close an after-exit clock (exit TOP, 3- or 6-month follow-up) with a reason",
            "",
            &[C::CaseView],
        ),
        b(
            Action::Up,
            vec![k(K::Up)],
            "previous possible match",
            "",
            &[C::ReferralSearch],
        ),
        b(
            Action::Down,
            vec![k(K::Down)],
            "next possible match",
            "",
            &[C::ReferralSearch],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "choose: a new episode for the highlighted young person, or a new young person",
            "choose",
            &[C::ReferralSearch],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "cancel the referral",
            "cancel",
            &[C::ReferralSearch],
        ),
        b(
            Action::Help,
            vec![k(K::F(1))],
            "show the keys for this screen",
            "help",
            &[C::ReferralSearch],
        ),
        // Overlays.
        b(
            Action::Back,
            vec![k(K::Esc)],
            "close the help",
            "close",
            &[C::Help],
        ),
        b(
            Action::Open,
            vec![k(K::Enter)],
            "run the highlighted command",
            "run",
            &[C::Palette],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "close the palette",
            "close",
            &[C::Palette],
        ),
        // Care plans, assessments, reviews and outcomes (see `tui::care`).
        b(
            Action::AddAssessment,
            vec![Key::ch('A')],
            "record a comprehensive assessment (DASH 14+ raises the MARAC flag)",
            "",
            &[C::CaseView],
        ),
        b(
            Action::OpenCarePlan,
            vec![Key::ch('p')],
            "open the care plan editor",
            "",
            &[C::CaseView],
        ),
        b(
            Action::AddOutcomeProfile,
            vec![Key::ch('o')],
            "record an outcome profile (TOP and mentoring ratings)",
            "",
            &[C::CaseView],
        ),
        b(
            Action::AddReview,
            vec![Key::ch('r')],
            "record a care plan review: makes the next version",
            "",
            &[C::CaseView],
        ),
        b(
            Action::Up,
            vec![k(K::Up), Key::ch('k')],
            "select the item above",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::Down,
            vec![k(K::Down), Key::ch('j')],
            "select the item below",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::NewPlan,
            vec![Key::ch('n')],
            "make the care plan (date, level of support)",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::AddGoal,
            vec![Key::ch('g')],
            "add a goal in a life domain",
            "goal",
            &[C::CarePlan],
        ),
        b(
            Action::AddPlanAction,
            vec![Key::ch('a')],
            "add an action to the selected goal",
            "action",
            &[C::CarePlan],
        ),
        b(
            Action::AddBudgetItem,
            vec![Key::ch('b')],
            "add a costed item",
            "cost",
            &[C::CarePlan],
        ),
        b(
            Action::MoveItemUp,
            vec![Key::ch('K'), Key::new(K::Up, KeyModifiers::ALT)],
            "move the selected goal or action up",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::MoveItemDown,
            vec![Key::ch('J'), Key::new(K::Down, KeyModifiers::ALT)],
            "move the selected goal or action down",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::MarkDone,
            vec![Key::ch('d'), Key::ch(' ')],
            "mark the selected action done (again: back to in progress)",
            "done",
            &[C::CarePlan],
        ),
        b(
            Action::SetTargetDate,
            vec![Key::ch('t')],
            "change the selected action's target date",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::SetSupportLevel,
            vec![Key::ch('L')],
            "change the level of support (1 to 4)",
            "",
            &[C::CarePlan],
        ),
        b(
            Action::SignOff,
            vec![Key::ch('s')],
            "sign the plan off as its assessor",
            "sign off",
            &[C::CarePlan],
        ),
        b(
            Action::ApproveSpend,
            vec![Key::ch('m')],
            "approve the costed spend (managers only)",
            "approve",
            &[C::CarePlan],
        ),
        b(
            Action::CompareVersions,
            vec![Key::ch('v')],
            "compare two versions of the plan",
            "versions",
            &[C::CarePlan],
        ),
        b(
            Action::AddReview,
            vec![Key::ch('r')],
            "record a care plan review: makes the next version",
            "review",
            &[C::CarePlan],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "back to the case",
            "back",
            &[C::CarePlan],
        ),
        b(
            Action::EarlierFrom,
            vec![k(K::Left), Key::ch('h')],
            "compare from an earlier version",
            "from",
            &[C::Compare],
        ),
        b(
            Action::LaterFrom,
            vec![k(K::Right), Key::ch('l')],
            "compare from a later version",
            "",
            &[C::Compare],
        ),
        b(
            Action::EarlierTo,
            vec![Key::ch('[')],
            "compare to an earlier version",
            "to",
            &[C::Compare],
        ),
        b(
            Action::LaterTo,
            vec![Key::ch(']')],
            "compare to a later version",
            "",
            &[C::Compare],
        ),
        b(
            Action::Up,
            vec![k(K::Up), Key::ch('k')],
            "scroll up",
            "",
            &[C::Compare],
        ),
        b(
            Action::Down,
            vec![k(K::Down), Key::ch('j')],
            "scroll down",
            "",
            &[C::Compare],
        ),
        b(
            Action::Back,
            vec![k(K::Esc)],
            "back to the care plan",
            "back",
            &[C::Compare],
        ),
    ]
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut bindings = defaults();
        bindings.extend(super::due_list::bindings());
        bindings.extend(super::kpis::bindings());
        bindings.extend(super::conflicts::bindings());
        bindings.extend(super::duplicates::bindings());
        bindings.extend(super::mentoring::bindings());
        KeyMap { bindings }
    }
}

impl KeyMap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action `key` asks for in `contexts` (innermost first). In a typing context a plain
    /// printable character is text, so it resolves to nothing.
    pub fn resolve(&self, ev: &KeyEvent, contexts: &[Context]) -> Option<Action> {
        let key = Key::of(ev);
        let printable = matches!(key.code, KeyCode::Char(_))
            && !key
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let typing = contexts.iter().any(|c| c.is_typing());
        for ctx in contexts {
            if printable && typing && *ctx != Context::Editing {
                // In a typing context only Editing's own character bindings (Space in a
                // multi-choice) may claim a printable key.
                if ctx.is_typing() || *ctx == Context::Always {
                    continue;
                }
            }
            if let Some(b) = self
                .bindings
                .iter()
                .find(|b| b.contexts.contains(ctx) && b.keys.contains(&key))
            {
                return Some(b.action);
            }
        }
        None
    }

    /// The bindings that apply in `contexts`, innermost context first, without repeating an
    /// action already listed for an inner context.
    pub fn active(&self, contexts: &[Context]) -> Vec<(&Binding, Context)> {
        let mut out: Vec<(&Binding, Context)> = Vec::new();
        for ctx in contexts {
            for b in self.bindings.iter().filter(|b| b.contexts.contains(ctx)) {
                if b.keys.is_empty() || out.iter().any(|(o, _)| o.action == b.action) {
                    continue;
                }
                out.push((b, *ctx));
            }
        }
        out
    }

    /// Short hints for the status bar: `Enter open  / filter  ? help`.
    pub fn hints(&self, contexts: &[Context]) -> Vec<(String, &'static str)> {
        self.active(contexts)
            .into_iter()
            .filter(|(b, _)| !b.hint.is_empty())
            .map(|(b, _)| (b.keys[0].to_string(), b.hint))
            .collect()
    }

    /// The first key bound to `action` in `ctx`, for messages such as "press c to add".
    pub fn key_for(&self, action: Action, ctx: Context) -> Option<Key> {
        self.bindings
            .iter()
            .find(|b| b.action == action && b.contexts.contains(&ctx))
            .and_then(|b| b.keys.first().copied())
    }

    /// Applies a worker's `keymap.toml` text. Returns a short message for each entry that was
    /// not used; those actions keep their default keys.
    pub fn apply_user_file(&mut self, text: &str) -> Vec<String> {
        let table: BTreeMap<String, toml::Value> = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or("unreadable");
                return vec![format!(
                    "keymap.toml is not valid TOML ({first}); using the default keys"
                )];
            }
        };
        let mut problems = Vec::new();
        for (name, value) in table {
            let Some(action) = Action::from_name(&name) else {
                problems.push(format!(
                    "'{}' is not an action",
                    crate::domain::validate::truncate_for_message(&name)
                ));
                continue;
            };
            let texts: Vec<String> = match &value {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) if a.iter().all(|v| v.is_str()) && !a.is_empty() => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    problems.push(format!(
                        "{name} needs a key or a list of keys, e.g. \"ctrl-s\""
                    ));
                    continue;
                }
            };
            let keys: Result<Vec<Key>, String> = texts.iter().map(|t| Key::parse(t)).collect();
            let keys = match keys {
                Ok(k) => k,
                Err(_) => {
                    let bad = texts
                        .iter()
                        .find(|t| Key::parse(t).is_err())
                        .map(|t| crate::domain::validate::truncate_for_message(t))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{name}: '{bad}' is not a key (e.g. x, ctrl-s, shift-tab, f2)"
                    ));
                    continue;
                }
            };
            if let Some(clash) = self.clash(action, &keys) {
                problems.push(format!("{name}: {clash}"));
                continue;
            }
            for b in self.bindings.iter_mut().filter(|b| b.action == action) {
                if b.contexts.contains(&Context::Always) {
                    continue; // Ctrl-C quits from anywhere, whatever the file says.
                }
                b.keys = keys.clone();
            }
        }
        problems
    }

    fn clash(&self, action: Action, keys: &[Key]) -> Option<String> {
        for mine in self.bindings.iter().filter(|b| b.action == action) {
            for other in self.bindings.iter().filter(|b| b.action != action) {
                let shared = mine.contexts.iter().find(|c| {
                    other.contexts.contains(c)
                        || **c == Context::Global
                        || other.contexts.contains(&Context::Global)
                });
                let Some(ctx) = shared else { continue };
                if let Some(k) = keys.iter().find(|k| other.keys.contains(k)) {
                    return Some(format!(
                        "{k} is already {} ({}) in the {}",
                        other.action.name(),
                        other.description,
                        ctx.label()
                    ));
                }
            }
        }
        None
    }

    /// The default keys patched by `keymap.toml` in `config_dir`, if present, with any
    /// messages about entries that could not be used.
    pub fn load(config_dir: Option<&Path>) -> (KeyMap, Vec<String>) {
        let mut map = KeyMap::default();
        let Some(dir) = config_dir else {
            return (map, Vec::new());
        };
        let path = dir.join("keymap.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let problems = map.apply_user_file(&text);
                let msg = match problems.as_slice() {
                    [] => Vec::new(),
                    [one] if one.starts_with("keymap.toml") => problems,
                    _ => vec![format!(
                        "keymap.toml: default keys kept for {} entr{}: {}",
                        problems.len(),
                        if problems.len() == 1 { "y" } else { "ies" },
                        problems.join("; ")
                    )],
                };
                (map, msg)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (map, Vec::new()),
            Err(e) => (
                map,
                vec![format!(
                    "cannot read keymap.toml ({e}); using the default keys"
                )],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn arrows_and_vim_keys_both_move() {
        let m = KeyMap::default();
        let ctx = [Context::Caseload, Context::Global, Context::Always];
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('j'), KeyModifiers::NONE), &ctx),
            Some(Action::Down)
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Down, KeyModifiers::NONE), &ctx),
            Some(Action::Down)
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT), &ctx),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn letters_are_text_while_typing() {
        let m = KeyMap::default();
        let ctx = [Context::Editing, Context::Always];
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('q'), KeyModifiers::NONE), &ctx),
            None
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('?'), KeyModifiers::NONE), &ctx),
            None
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL), &ctx),
            Some(Action::Quit)
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Tab, KeyModifiers::NONE), &ctx),
            Some(Action::NextField)
        );
        let filter = [Context::Filter, Context::Always];
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('t'), KeyModifiers::NONE), &filter),
            None
        );
    }

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(Key::parse("ctrl-s").unwrap(), Key::ctrl('s'));
        assert_eq!(Key::parse("C-S").unwrap(), Key::ctrl('s'));
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::plain(KeyCode::BackTab)
        );
        assert_eq!(Key::parse("pgdn").unwrap(), Key::plain(KeyCode::PageDown));
        assert_eq!(Key::parse("F5").unwrap(), Key::plain(KeyCode::F(5)));
        assert_eq!(Key::parse("G").unwrap(), Key::ch('G'));
        assert!(Key::parse("hyper-x").unwrap_err().contains("not a key"));
        assert_eq!(Key::ctrl('s').to_string(), "Ctrl-S");
        assert_eq!(Key::plain(KeyCode::BackTab).to_string(), "Shift-Tab");
    }

    #[test]
    fn a_user_file_rebinds_and_reports_bad_entries() {
        let mut m = KeyMap::default();
        let problems = m.apply_user_file(
            "sort_next = \"o\"\nfly = \"x\"\nadd_contact = \"hyper-z\"\ntoggle_team = \"j\"\n",
        );
        let ctx = [Context::Caseload, Context::Global, Context::Always];
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('o'), KeyModifiers::NONE), &ctx),
            Some(Action::SortNext)
        );
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('s'), KeyModifiers::NONE), &ctx),
            None
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("add_contact: 'hyper-z' is not a key"),
            "{}",
            problems[0]
        );
        assert!(problems[1].contains("'fly' is not an action"));
        assert!(problems[2].contains("toggle_team") && problems[2].contains("already"));
        // The defaults survive for the bad entries.
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('t'), KeyModifiers::NONE), &ctx),
            Some(Action::ToggleTeam)
        );
    }

    #[test]
    fn an_unreadable_file_keeps_every_default() {
        let mut m = KeyMap::default();
        let problems = m.apply_user_file("this is = = not toml");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("not valid TOML"));
        assert_eq!(m.bindings(), KeyMap::default().bindings());
    }

    #[test]
    fn ctrl_c_always_quits_whatever_the_file_says() {
        let mut m = KeyMap::default();
        assert!(m.apply_user_file("quit = \"Q\"").is_empty());
        let ctx = [Context::Editing, Context::Always];
        assert_eq!(
            m.resolve(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL), &ctx),
            Some(Action::Quit)
        );
    }
}
