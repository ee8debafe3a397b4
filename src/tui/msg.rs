//! What screens ask the app to do, and the small types those requests carry. This module
//! depends on no screen: screens depend on it (and on the store's view models), never on
//! `app.rs`, so adding a screen widens nothing.

use super::keymap::Action;

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

/// Everything a screen can ask of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Quit,
    Status(StatusKind, String),
    /// Read everything on screen again (Ctrl-R).
    Reload,
    /// A write went through: every open screen showing this young person reads again, then
    /// the status bar says `message`.
    Written(Written),
    /// Open a screen over the current one.
    Open(Route),
    /// A young person's case, then `Action` pressed in it (a form over the case, from the
    /// due-list).
    OpenCaseThen(String, Action),
    /// The due-list showing one worker's items (from the dashboard).
    OpenDueListOf(String),
    /// A screen, then `Action` pressed in it (the answer form on the mentoring board, from
    /// a telephone message on the due-list); nothing is pressed when the screen was refused.
    OpenThen(Route, Action),
    /// A palette choice, run as if its key were pressed where the worker is.
    Command(Command),
    /// Lock the screen now (Ctrl-L).
    Lock,
    /// Sync through the team's folder now.
    SyncNow,
    /// Several in order (a referral saved: the new case opens, then the write is shown).
    Many(Vec<Msg>),
}

/// What a write touched, for the reload after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Written {
    /// The young person written for (none for an outreach tally).
    pub young_person_id: Option<String>,
    pub message: String,
    pub kind: Option<StatusKind>,
    /// The goal or action the care plan editor selects afterwards.
    pub select: Option<String>,
    /// The case view section that shows what was written.
    pub section: Option<Section>,
}

impl Written {
    pub fn of(young_person_id: impl Into<String>, message: impl Into<String>) -> Written {
        Written {
            young_person_id: Some(young_person_id.into()),
            message: message.into(),
            ..Written::default()
        }
    }

    /// Whether this write was about `young_person_id`.
    pub fn touches(&self, young_person_id: &str) -> bool {
        self.young_person_id.as_deref() == Some(young_person_id)
    }
}

/// A screen the app can open by name (the registry in `screens.rs` builds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Case(String),
    Board(BoardKind),
    Intake(IntakeOpen),
    FlagForm(FlagAction),
    Export,
    Help,
    Palette,
    Conflicts,
    Duplicates,
    /// The mentoring coordinator's board (`tui::mentoring`), with what it opens on.
    Mentoring(MentoringFocus),
}

/// What the mentoring board opens on (from a due-list item or the dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MentoringFocus {
    /// The first mentor, as from `B`.
    #[default]
    Board,
    /// This mentor (by ID) selected: their support, commitment review or check renewal.
    Mentor(String),
    /// This telephone message (by ID) chosen on the answer form when it is opened.
    Message(String),
}

/// Which board to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Due,
    Flags,
    Dashboard,
}

/// What a flag form does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagAction {
    Raise { young_person_id: String },
    Review { flag_id: String },
    ChangeLevel { flag_id: String },
    Resolve { flag_id: String },
}

/// An intake screen to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOpen {
    /// The search step of a new referral.
    ReferralSearch,
    /// The referral form, for a known young person or a new one; `typed` is what was typed in
    /// the search (a new young person's name and date of birth are filled in from it).
    Referral {
        existing: Option<String>,
        typed: String,
    },
    /// Triage of the open case's current episode.
    Triage,
    /// Allocation of the open case's current episode.
    Allocation,
    Outreach,
    /// Exit of the open case's current episode.
    Exit,
}

/// What a palette entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Action(Action),
    MyCaseload,
    TeamCaseload,
    Section(Section),
}

/// The case view's sections below the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Summary,
    Timeline,
    Flags,
    Contacts,
    Referrals,
    Earlier,
    /// The care plan, assessment and outcome trend (`tui::care::trend`).
    Care,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Summary,
        Section::Timeline,
        Section::Flags,
        Section::Contacts,
        Section::Referrals,
        Section::Earlier,
        Section::Care,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Summary => "Summary",
            Section::Timeline => "Timeline",
            Section::Flags => "Risk flags",
            Section::Contacts => "Contacts",
            Section::Referrals => "Referrals out",
            Section::Earlier => "Earlier",
            Section::Care => "Care plan",
        }
    }

    pub fn index(self) -> usize {
        Section::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}
