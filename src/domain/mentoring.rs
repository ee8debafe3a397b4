//! The mentoring project (L §5–7): volunteer mentors, their checks and training, matches with
//! young people, the mentors' sessions, support for mentors, complaints, telephone messages.
//! Pure types and the rules that refuse bad input at its field; the store writes and queries.
//!
//! Choices made where the specification is silent:
//! - A mentor is ready to be matched (L §7.1 b: "after initial training, selection and police
//!   checks") when the police/DBS check is recorded with a clear result, references are
//!   recorded, and both Tier 1 and Tier 2 drug awareness training (L §7.4) are completed.
//! - Match suggestions never decide: they rank the mentors who are ready and active, and give
//!   every reason (for or against), so the coordinator sees why.
//! - The 12-month commitment (L §7.3) is reviewed with the coordinator 28 days before it ends.

use chrono::{Days, Months, NaiveDate};

use super::calendar::Calendar;
use super::clocks::{
    mentor_check_renewal_item, mentor_commitment_review_item, mentor_contact_item,
    mentor_support_item, telephone_message_item, DueItem, DueKind,
};
use super::codes::{CodeLists, ListName};
use super::validate::Problems;

/// Days before the end of the 12-month commitment that the review with the coordinator is due.
pub const COMMITMENT_REVIEW_NOTICE_DAYS: u64 = 28;

/// Where a volunteer mentor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MentorStatus {
    InTraining,
    Active,
    Paused,
    Left,
}

impl MentorStatus {
    pub const ALL: [MentorStatus; 4] = [
        MentorStatus::InTraining,
        MentorStatus::Active,
        MentorStatus::Paused,
        MentorStatus::Left,
    ];
    pub fn code(self) -> &'static str {
        match self {
            MentorStatus::InTraining => "in_training",
            MentorStatus::Active => "active",
            MentorStatus::Paused => "paused",
            MentorStatus::Left => "left",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MentorStatus::InTraining => "in training",
            MentorStatus::Active => "active",
            MentorStatus::Paused => "paused",
            MentorStatus::Left => "left",
        }
    }
    pub fn from_code(code: &str) -> Option<MentorStatus> {
        let t = code.trim().replace([' ', '-'], "_").to_lowercase();
        MentorStatus::ALL.into_iter().find(|s| s.code() == t)
    }
}

/// Result of the police/DBS check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckResult {
    Clear,
    /// Information disclosed: the coordinator decided it does not bar mentoring.
    ClearWithDisclosure,
    Pending,
    NotSuitable,
}

impl CheckResult {
    pub const ALL: [CheckResult; 4] = [
        CheckResult::Clear,
        CheckResult::ClearWithDisclosure,
        CheckResult::Pending,
        CheckResult::NotSuitable,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CheckResult::Clear => "clear",
            CheckResult::ClearWithDisclosure => "clear_with_disclosure",
            CheckResult::Pending => "pending",
            CheckResult::NotSuitable => "not_suitable",
        }
    }
    pub fn from_code(code: &str) -> Option<CheckResult> {
        let t = code.trim().replace([' ', '-'], "_").to_lowercase();
        CheckResult::ALL.into_iter().find(|s| s.code() == t)
    }
    /// Whether the result lets the mentor be matched.
    pub fn permits_matching(self) -> bool {
        matches!(self, CheckResult::Clear | CheckResult::ClearWithDisclosure)
    }
}

/// A volunteer mentor (L §7.3). Dates are optional until they happen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentor {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    /// As the mentor describes it (free text: "female", "male", "non-binary").
    pub gender: Option<String>,
    /// NHS ethnic category code.
    pub ethnicity: Option<String>,
    /// Languages spoken, comma separated (a cultural factor for matching, L §7.1 b).
    pub languages: Option<String>,
    pub recruited_on: Option<NaiveDate>,
    pub recruitment_drive_id: Option<String>,
    pub check_date: Option<NaiveDate>,
    /// A [`CheckResult`] code.
    pub check_result: Option<String>,
    pub references_on: Option<NaiveDate>,
    pub commitment_start: Option<NaiveDate>,
    pub tier1_on: Option<NaiveDate>,
    pub tier2_on: Option<NaiveDate>,
    /// A [`MentorStatus`] code.
    pub status: String,
    pub left_on: Option<NaiveDate>,
    /// A `mentor_leaving_reasons` code.
    pub leaving_reason: Option<String>,
}

impl Mentor {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name.trim(), self.family_name.trim())
            .trim()
            .to_string()
    }

    pub fn status(&self) -> MentorStatus {
        MentorStatus::from_code(&self.status).unwrap_or(MentorStatus::InTraining)
    }

    /// The reasons the mentor cannot be matched yet (L §7.1 b); empty when ready.
    pub fn not_ready_reasons(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.check_date.is_none() {
            out.push("no police/DBS check recorded");
        } else if !self
            .check_result
            .as_deref()
            .and_then(CheckResult::from_code)
            .is_some_and(CheckResult::permits_matching)
        {
            out.push("police/DBS check not clear");
        }
        if self.references_on.is_none() {
            out.push("references not recorded");
        }
        if self.tier1_on.is_none() {
            out.push("Tier 1 drug awareness training not completed");
        }
        if self.tier2_on.is_none() {
            out.push("Tier 2 drug awareness training not completed");
        }
        out
    }

    /// When initial training was completed: the later of Tier 1 and Tier 2.
    pub fn trained_on(&self) -> Option<NaiveDate> {
        Some(self.tier1_on?.max(self.tier2_on?))
    }

    /// The last day of the 12-month commitment (L §7.3).
    pub fn commitment_end(&self) -> Option<NaiveDate> {
        self.commitment_start?
            .checked_add_months(Months::new(12))?
            .checked_sub_days(Days::new(1))
    }
}

fn check_name(p: &mut Problems, field: &str, v: &str, what: &str) {
    let t = v.trim();
    if t.is_empty() {
        p.push(field, format!("the mentor's {what} is needed"));
    } else if t.chars().count() > 100 {
        p.push(
            field,
            format!("the {what} is too long (at most 100 characters)"),
        );
    } else if t.chars().any(char::is_control) {
        p.push(
            field,
            format!("the {what} cannot contain control characters"),
        );
    }
}

fn not_before(
    p: &mut Problems,
    field: &str,
    later: Option<NaiveDate>,
    earlier: Option<NaiveDate>,
    what: &str,
) {
    if let (Some(l), Some(e)) = (later, earlier) {
        if l < e {
            p.push(
                field,
                format!("{l} is before {what} ({e}): expected a date on or after it"),
            );
        }
    }
}

fn not_future(p: &mut Problems, field: &str, d: Option<NaiveDate>, today: NaiveDate) {
    if let Some(d) = d.filter(|d| *d > today) {
        p.push(
            field,
            format!("{d} is in the future: record it once it has happened"),
        );
    }
}

/// Checks a mentor record. Codes are made canonical in place.
pub fn validate_mentor(m: &mut Mentor, codes: &CodeLists, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    check_name(&mut p, "given_name", &m.given_name, "given name");
    check_name(&mut p, "family_name", &m.family_name, "family name");
    if let Some(e) = m.ethnicity.as_deref().filter(|e| !e.trim().is_empty()) {
        match codes.check(ListName::Ethnicity, e) {
            Ok(c) => m.ethnicity = Some(c),
            Err(msg) => p.push("ethnicity", msg),
        }
    }
    let status = match MentorStatus::from_code(&m.status) {
        Some(s) => {
            m.status = s.code().to_string();
            Some(s)
        }
        None => {
            p.push(
                "status",
                "expected one of: in_training, active, paused, left",
            );
            None
        }
    };
    if let Some(r) = m.check_result.as_deref().filter(|r| !r.trim().is_empty()) {
        match CheckResult::from_code(r) {
            Some(c) => m.check_result = Some(c.code().to_string()),
            None => p.push(
                "check_result",
                "expected one of: clear, clear_with_disclosure, pending, not_suitable",
            ),
        }
    }
    if m.check_result.is_some() && m.check_date.is_none() {
        p.push("check_date", "a check result needs the date of the check");
    }
    for (f, d) in [
        ("recruited_on", m.recruited_on),
        ("check_date", m.check_date),
        ("references_on", m.references_on),
        ("tier1_on", m.tier1_on),
        ("tier2_on", m.tier2_on),
        ("left_on", m.left_on),
    ] {
        not_future(&mut p, f, d, today);
    }
    not_before(
        &mut p,
        "left_on",
        m.left_on,
        m.recruited_on,
        "the date recruited",
    );
    not_before(
        &mut p,
        "commitment_start",
        m.commitment_start,
        m.recruited_on,
        "the date recruited",
    );
    not_before(
        &mut p,
        "tier1_on",
        m.tier1_on,
        m.recruited_on,
        "the date recruited",
    );
    not_before(
        &mut p,
        "tier2_on",
        m.tier2_on,
        m.recruited_on,
        "the date recruited",
    );
    if status == Some(MentorStatus::Left) {
        if m.left_on.is_none() {
            p.push("left_on", "a mentor who has left needs the leaving date");
        }
        match m.leaving_reason.as_deref().filter(|r| !r.trim().is_empty()) {
            None => p.push("leaving_reason", "a mentor who has left needs the reason"),
            Some(r) => match codes.check(ListName::MentorLeavingReasons, r) {
                Ok(c) => m.leaving_reason = Some(c),
                Err(msg) => p.push("leaving_reason", msg),
            },
        }
    } else if m.left_on.is_some() {
        p.push(
            "status",
            "a leaving date is recorded: set the status to left",
        );
    }
    if status == Some(MentorStatus::Active) && !m.not_ready_reasons().is_empty() {
        p.push(
            "status",
            format!("cannot be active yet: {}", m.not_ready_reasons().join(", ")),
        );
    }
    p
}

/// A young person's episode matched with a mentor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    pub id: String,
    pub episode_id: String,
    pub mentor_id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// A `mentor_discontinuation_reasons` code.
    pub end_reason: Option<String>,
}

/// Checks a new or changed match against the mentor and the episode's dates.
pub fn validate_match(
    m: &mut Match,
    mentor: &Mentor,
    episode_referral: NaiveDate,
    episode_exit: Option<NaiveDate>,
    codes: &CodeLists,
    today: NaiveDate,
) -> Problems {
    let mut p = Problems::default();
    let reasons = mentor.not_ready_reasons();
    if !reasons.is_empty() {
        p.push(
            "mentor",
            format!(
                "{} cannot be matched before checks and initial training are recorded: {}",
                mentor.display_name(),
                reasons.join(", ")
            ),
        );
    } else if let Some(t) = mentor.trained_on() {
        not_before(
            &mut p,
            "start_date",
            Some(m.start_date),
            Some(t),
            "the mentor's initial training",
        );
    }
    // A match recorded after the event may predate the mentor leaving; one cannot start on
    // or after the leaving day, nor run past it.
    match mentor.left_on {
        Some(l) if m.start_date >= l => p.push(
            "mentor",
            format!("{} left the project on {l}", mentor.display_name()),
        ),
        Some(l) if m.end_date.is_none_or(|e| e > l) => p.push(
            "end_date",
            format!("the mentor left on {l}: end the match on or before that day"),
        ),
        None if mentor.status() == MentorStatus::Left => {
            p.push("mentor", "the mentor has left the project")
        }
        _ => {}
    }
    not_future(&mut p, "start_date", Some(m.start_date), today);
    not_before(
        &mut p,
        "start_date",
        Some(m.start_date),
        Some(episode_referral),
        "the referral",
    );
    if let (Some(x), None) = (episode_exit, m.end_date) {
        if m.start_date > x {
            p.push(
                "start_date",
                format!("the young person left the scheme on {x}: a match cannot start after it"),
            );
        }
    }
    not_before(
        &mut p,
        "end_date",
        m.end_date,
        Some(m.start_date),
        "the match start",
    );
    not_future(&mut p, "end_date", m.end_date, today);
    match (
        m.end_date,
        m.end_reason.as_deref().filter(|r| !r.trim().is_empty()),
    ) {
        (Some(_), None) => p.push("end_reason", "an ended match needs the reason"),
        (None, Some(_)) => p.push("end_date", "a reason is given: the end date is needed"),
        (_, Some(r)) => match codes.check(ListName::MentorDiscontinuationReasons, r) {
            Ok(c) => m.end_reason = Some(c),
            Err(msg) => p.push("end_reason", msg),
        },
        _ => {}
    }
    p
}

/// Whether the young person came to a mentor session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attendance {
    /// Offered and not taken up (declined or cancelled ahead), as distinct from a no-show.
    Offered,
    Attended,
    DidNotAttend,
}

impl Attendance {
    pub const ALL: [Attendance; 3] = [
        Attendance::Offered,
        Attendance::Attended,
        Attendance::DidNotAttend,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Attendance::Offered => "offered",
            Attendance::Attended => "attended",
            Attendance::DidNotAttend => "did_not_attend",
        }
    }
    pub fn from_code(code: &str) -> Option<Attendance> {
        let t = code.trim().replace([' ', '-'], "_").to_lowercase();
        match t.as_str() {
            "dna" => Some(Attendance::DidNotAttend),
            _ => Attendance::ALL.into_iter().find(|s| s.code() == t),
        }
    }
}

/// A mentor's session with the young person (L §7.3 a, b).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentorSession {
    pub id: String,
    pub match_id: String,
    pub date: NaiveDate,
    /// An [`Attendance`] code.
    pub attendance: String,
    pub place: Option<String>,
    pub activity: Option<String>,
}

fn check_text(p: &mut Problems, field: &str, v: Option<&str>, max: usize) {
    if let Some(t) = v {
        if t.chars().count() > max {
            p.push(field, format!("too long (at most {max} characters)"));
        }
    }
}

/// Checks a session against its match: not before the match started, not after it ended.
pub fn validate_session(s: &mut MentorSession, m: &Match, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    match Attendance::from_code(&s.attendance) {
        Some(a) => s.attendance = a.code().to_string(),
        None => p.push(
            "attendance",
            "expected one of: offered, attended, did_not_attend",
        ),
    }
    not_before(
        &mut p,
        "date",
        Some(s.date),
        Some(m.start_date),
        "the match start",
    );
    if let Some(e) = m.end_date.filter(|e| s.date > *e) {
        p.push("date", format!("{} is after the match ended ({e})", s.date));
    }
    // Recorded once it has happened (or been offered and not taken up): a session is also a
    // contact, and a future contact would read as the last one.
    not_future(&mut p, "date", Some(s.date), today);
    check_text(&mut p, "place", s.place.as_deref(), 200);
    check_text(&mut p, "activity", s.activity.as_deref(), 4000);
    p
}

/// Kinds of dated event for mentors and the group programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A mentor training session (L §7.3: "up to three training sessions a year").
    TrainingSession,
    /// A training course, e.g. Tier 1 / Tier 2 drug awareness (L §7.4).
    TrainingCourse,
    /// A mentor review and support session (L §7.5, §10.3 B iv).
    SupportSession,
    /// The skills-based group programme for young people (L §7.2).
    GroupProgramme,
    /// An issue-based workshop or joint activity for mentors and mentees (L §7.2).
    Workshop,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::TrainingSession,
        EventKind::TrainingCourse,
        EventKind::SupportSession,
        EventKind::GroupProgramme,
        EventKind::Workshop,
    ];
    pub fn code(self) -> &'static str {
        match self {
            EventKind::TrainingSession => "training_session",
            EventKind::TrainingCourse => "training_course",
            EventKind::SupportSession => "support_session",
            EventKind::GroupProgramme => "group_programme",
            EventKind::Workshop => "workshop",
        }
    }
    pub fn from_code(code: &str) -> Option<EventKind> {
        let t = code.trim().replace([' ', '-'], "_").to_lowercase();
        EventKind::ALL.into_iter().find(|s| s.code() == t)
    }
    /// Training for mentors (counts in L §10.3 A v and B iii).
    pub fn is_training(self) -> bool {
        matches!(self, EventKind::TrainingSession | EventKind::TrainingCourse)
    }
}

/// A dated session: training, support, group programme, workshop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentoringEvent {
    pub id: String,
    /// An [`EventKind`] code.
    pub kind: String,
    pub date: NaiveDate,
    pub title: String,
    pub facilitator: Option<String>,
}

pub fn validate_event(e: &mut MentoringEvent, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    match EventKind::from_code(&e.kind) {
        Some(k) => e.kind = k.code().to_string(),
        None => p.push(
            "kind",
            "expected one of: training_session, training_course, support_session, group_programme, workshop",
        ),
    }
    if e.title.trim().is_empty() {
        p.push("title", "a title is needed (what the session was)");
    }
    check_text(&mut p, "title", Some(&e.title), 200);
    check_text(&mut p, "facilitator", e.facilitator.as_deref(), 200);
    not_future(&mut p, "date", Some(e.date), today);
    p
}

/// A volunteer recruitment drive (L §10.3 B ii).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecruitmentDrive {
    pub id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub title: String,
}

pub fn validate_drive(d: &RecruitmentDrive, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    if d.title.trim().is_empty() {
        p.push(
            "title",
            "a title is needed (where or how mentors were sought)",
        );
    }
    check_text(&mut p, "title", Some(&d.title), 200);
    not_future(&mut p, "start_date", Some(d.start_date), today);
    not_before(
        &mut p,
        "end_date",
        d.end_date,
        Some(d.start_date),
        "the start",
    );
    p
}

/// A complaint (L §10.3 A viii, §11.1 c).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Complaint {
    pub id: String,
    pub received_on: NaiveDate,
    /// The young person it concerns, when it concerns one (for the age/gender/ethnicity
    /// breakdown).
    pub young_person_id: Option<String>,
    pub about: String,
    /// A `complaint_outcomes` code once decided.
    pub outcome: Option<String>,
    pub outcome_on: Option<NaiveDate>,
}

pub fn validate_complaint(c: &mut Complaint, codes: &CodeLists, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    if c.about.trim().is_empty() {
        p.push("about", "say what the complaint is about");
    }
    check_text(&mut p, "about", Some(&c.about), 4000);
    not_future(&mut p, "received_on", Some(c.received_on), today);
    not_before(
        &mut p,
        "outcome_on",
        c.outcome_on,
        Some(c.received_on),
        "the date received",
    );
    if let Some(o) = c.outcome.as_deref().filter(|o| !o.trim().is_empty()) {
        match codes.check(ListName::ComplaintOutcomes, o) {
            Ok(code) => c.outcome = Some(code),
            Err(msg) => p.push("outcome", msg),
        }
        if c.outcome_on.is_none() {
            p.push("outcome_on", "an outcome needs the date it was decided");
        }
    }
    p
}

/// A telephone message left for the project (L §6.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelephoneMessage {
    pub id: String,
    pub received_on: NaiveDate,
    pub from_whom: String,
    /// The young person it was about, when known.
    pub young_person_id: Option<String>,
    /// Free text when it is about someone not on the record.
    pub about: Option<String>,
    pub answered_on: Option<NaiveDate>,
}

pub fn validate_message(m: &TelephoneMessage, today: NaiveDate) -> Problems {
    let mut p = Problems::default();
    if m.from_whom.trim().is_empty() {
        p.push("from_whom", "say who left the message");
    }
    check_text(&mut p, "from_whom", Some(&m.from_whom), 200);
    check_text(&mut p, "about", m.about.as_deref(), 4000);
    not_future(&mut p, "received_on", Some(m.received_on), today);
    not_future(&mut p, "answered_on", m.answered_on, today);
    not_before(
        &mut p,
        "answered_on",
        m.answered_on,
        Some(m.received_on),
        "the message",
    );
    p
}

/// What a young person said they would like in a mentor (L §7.1 b).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    /// "female", "male", … or none for no preference.
    pub mentor_gender: Option<String>,
    /// Would like a mentor from the same cultural background.
    pub same_background: bool,
    /// A language the young person would like the mentor to speak.
    pub language: Option<String>,
}

/// The young person as matching sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentee {
    pub gender: Option<String>,
    pub ethnicity: Option<String>,
    pub preferences: Preferences,
}

/// A mentor offered for a match, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub mentor_id: String,
    pub name: String,
    /// Higher is a better fit; only for ordering.
    pub score: i32,
    /// Why (and why not), in plain words.
    pub reasons: Vec<String>,
}

/// The broad NHS ethnic group (A–C White, D–G Mixed, H–L Asian, M–P Black, R–S Other), so
/// "same background" can be near as well as exact.
fn ethnic_group(code: &str) -> Option<char> {
    match code.trim().chars().next()?.to_ascii_uppercase() {
        'A'..='C' => Some('W'),
        'D'..='G' => Some('M'),
        'H'..='L' => Some('A'),
        'M'..='P' => Some('B'),
        'R' | 'S' => Some('O'),
        _ => None,
    }
}

fn same(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    let a = a.map(str::trim).filter(|s| !s.is_empty())?;
    let b = b.map(str::trim).filter(|s| !s.is_empty())?;
    Some(a.eq_ignore_ascii_case(b))
}

/// Ranks the mentors who can take a match (ready, active, not left) for a young person with
/// regard to gender and cultural factors (L §7.1 b) and the young person's stated
/// preferences; `current_mentees` gives each mentor's open matches (fewer first on a tie).
/// Mentors who are not ready are left out: the board shows why separately.
pub fn suggest(mentee: &Mentee, mentors: &[(Mentor, usize)]) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = mentors
        .iter()
        .filter(|(m, _)| m.status() == MentorStatus::Active && m.not_ready_reasons().is_empty())
        .map(|(m, load)| {
            let mut score = 0;
            let mut reasons = Vec::new();
            let prefs = &mentee.preferences;
            if let Some(want) = prefs
                .mentor_gender
                .as_deref()
                .filter(|g| !g.trim().is_empty())
            {
                match same(Some(want), m.gender.as_deref()) {
                    Some(true) => {
                        score += 40;
                        reasons.push(format!("is {want}, as the young person asked"));
                    }
                    _ => {
                        score -= 40;
                        reasons.push(format!("the young person asked for a {want} mentor"));
                    }
                }
            } else if same(mentee.gender.as_deref(), m.gender.as_deref()) == Some(true) {
                score += 10;
                reasons.push("same gender as the young person".to_string());
            }
            let exact = same(mentee.ethnicity.as_deref(), m.ethnicity.as_deref());
            let near = match (
                mentee.ethnicity.as_deref().and_then(ethnic_group),
                m.ethnicity.as_deref().and_then(ethnic_group),
            ) {
                (Some(a), Some(b)) => Some(a == b),
                _ => None,
            };
            let weight = if prefs.same_background { 3 } else { 1 };
            if exact == Some(true) {
                score += 10 * weight;
                reasons.push("same ethnic background".to_string());
            } else if near == Some(true) {
                score += 5 * weight;
                reasons.push("same broad ethnic group".to_string());
            } else if prefs.same_background {
                score -= 20;
                reasons.push(
                    "the young person asked for someone from the same background".to_string(),
                );
            }
            if let Some(lang) = prefs.language.as_deref().filter(|l| !l.trim().is_empty()) {
                let speaks = m.languages.as_deref().is_some_and(|ls| {
                    ls.split(',')
                        .any(|x| x.trim().eq_ignore_ascii_case(lang.trim()))
                });
                if speaks {
                    score += 20;
                    reasons.push(format!("speaks {}", lang.trim()));
                } else {
                    score -= 10;
                    reasons.push(format!("does not speak {}", lang.trim()));
                }
            }
            score -= 3 * (*load as i32);
            reasons.push(match load {
                0 => "no current mentees".to_string(),
                1 => "1 current mentee".to_string(),
                n => format!("{n} current mentees"),
            });
            Suggestion {
                mentor_id: m.id.clone(),
                name: m.display_name(),
                score,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.name.cmp(&b.name)));
    out
}

/// What a mentoring clock is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// Weekly contact with the mentee (L §7.3 a).
    Contact,
    /// Six-weekly support session (L §7.5).
    Support,
    /// Telephone message answered in 2 working days (L §6.2).
    Message,
    /// Review before the end of the 12-month commitment (L §7.3).
    CommitmentReview,
    /// Police/DBS check renewal, when the service sets a period.
    CheckRenewal,
}

impl ClockKind {
    /// The due-list's kind for this clock (the due-list, the dashboard and `casebook due`).
    pub fn due_kind(self) -> DueKind {
        match self {
            ClockKind::Contact => DueKind::MentorContact,
            ClockKind::Support => DueKind::MentorSupport,
            ClockKind::Message => DueKind::TelephoneMessage,
            ClockKind::CommitmentReview => DueKind::MentorCommitmentReview,
            ClockKind::CheckRenewal => DueKind::MentorCheckRenewal,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ClockKind::Contact => "mentor_contact",
            ClockKind::Support => "mentor_support",
            ClockKind::Message => "telephone_message",
            ClockKind::CommitmentReview => "mentor_commitment_review",
            ClockKind::CheckRenewal => "mentor_check_renewal",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ClockKind::Contact => "mentor contact with mentee",
            ClockKind::Support => "mentor support session",
            ClockKind::Message => "answer telephone message",
            ClockKind::CommitmentReview => "review before the 12-month commitment ends",
            ClockKind::CheckRenewal => "renew police/DBS check",
        }
    }
    pub fn source(self) -> &'static str {
        match self {
            ClockKind::Contact => "L §7.3 a",
            ClockKind::Support => "L §7.5",
            ClockKind::Message => "L §6.2",
            ClockKind::CommitmentReview => "L §7.3",
            ClockKind::CheckRenewal => "L §7.1 b; renewal period set by the service",
        }
    }
}

/// One open mentoring deadline. `item` is the clocks' own [`DueItem`]; every mentoring clock
/// now has one (the `Option` stays for callers written before the last two had kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentoringClock {
    pub kind: ClockKind,
    pub due: NaiveDate,
    pub overdue: bool,
    pub item: Option<DueItem>,
}

fn clock_from(kind: ClockKind, item: DueItem) -> MentoringClock {
    MentoringClock {
        kind,
        due: item.due,
        overdue: item.status == super::clocks::DueStatus::Overdue,
        item: Some(item),
    }
}

/// The contact clock for an open match: 7 days after the last session held (attended or
/// not: the mentor made contact), else after the match start.
pub fn contact_clock(
    match_start: NaiveDate,
    last_session: Option<NaiveDate>,
    today: NaiveDate,
) -> MentoringClock {
    let from = last_session.map_or(match_start, |s| s.max(match_start));
    clock_from(ClockKind::Contact, mentor_contact_item(from, today))
}

/// The support clock for a mentor who is active or paused: 42 days after the last support
/// session attended, else after initial training. None when neither is recorded.
pub fn support_clock(
    mentor: &Mentor,
    last_support: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<MentoringClock> {
    if matches!(
        mentor.status(),
        MentorStatus::Left | MentorStatus::InTraining
    ) {
        return None;
    }
    let from = match (last_support, mentor.trained_on()) {
        (Some(s), Some(t)) => s.max(t),
        (Some(s), None) => s,
        (None, Some(t)) => t,
        (None, None) => return None,
    };
    Some(clock_from(
        ClockKind::Support,
        mentor_support_item(from, today),
    ))
}

/// The review before the commitment ends: due 28 days before its last day, while the mentor
/// has not left.
pub fn commitment_clock(mentor: &Mentor, today: NaiveDate) -> Option<MentoringClock> {
    if mentor.status() == MentorStatus::Left {
        return None;
    }
    let end = mentor.commitment_end()?;
    Some(clock_from(
        ClockKind::CommitmentReview,
        mentor_commitment_review_item(end, COMMITMENT_REVIEW_NOTICE_DAYS, today),
    ))
}

/// Check renewal `period_months` after the last check, when the service sets a period.
pub fn check_renewal_clock(
    mentor: &Mentor,
    period_months: Option<u32>,
    today: NaiveDate,
) -> Option<MentoringClock> {
    if mentor.status() == MentorStatus::Left {
        return None;
    }
    let months = period_months.filter(|m| *m > 0)?;
    Some(clock_from(
        ClockKind::CheckRenewal,
        mentor_check_renewal_item(mentor.check_date?, months, today),
    ))
}

/// An unanswered message's clock (answered ones are met and not open).
pub fn message_clock(received_on: NaiveDate, cal: &Calendar, today: NaiveDate) -> MentoringClock {
    clock_from(
        ClockKind::Message,
        telephone_message_item(received_on, None, cal, today),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn ready_mentor() -> Mentor {
        Mentor {
            id: "m1".into(),
            given_name: "Amrit".into(),
            family_name: "Kaur".into(),
            gender: Some("female".into()),
            ethnicity: Some("H".into()),
            languages: Some("English, Punjabi".into()),
            recruited_on: Some(d("2025-01-06")),
            check_date: Some(d("2025-01-20")),
            check_result: Some("clear".into()),
            references_on: Some(d("2025-01-22")),
            commitment_start: Some(d("2025-02-03")),
            tier1_on: Some(d("2025-01-25")),
            tier2_on: Some(d("2025-02-01")),
            status: "active".into(),
            ..Mentor::default()
        }
    }

    #[test]
    fn a_mentor_leaving_before_recruitment_is_refused_at_left_on() {
        let codes = CodeLists::embedded();
        let mut m = ready_mentor();
        m.status = "left".into();
        m.left_on = Some(d("2024-12-01"));
        m.leaving_reason = Some("commitment_completed".into());
        let p = validate_mentor(&mut m, &codes, d("2025-06-01"));
        let msg = p.for_field("left_on").expect("refused at left_on");
        assert!(msg.contains("before the date recruited"), "{msg}");
    }

    #[test]
    fn a_mentor_who_left_needs_a_reason_from_the_code_list() {
        let codes = CodeLists::embedded();
        let mut m = ready_mentor();
        m.status = "Left".into();
        m.left_on = Some(d("2025-05-01"));
        m.leaving_reason = Some("bored of it".into());
        let p = validate_mentor(&mut m, &codes, d("2025-06-01"));
        assert!(p.for_field("leaving_reason").is_some());
        m.leaving_reason = Some("Commitment completed".into());
        let p = validate_mentor(&mut m, &codes, d("2025-06-01"));
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(m.leaving_reason.as_deref(), Some("commitment_completed"));
        assert_eq!(m.status, "left");
    }

    #[test]
    fn no_match_before_checks_and_initial_training() {
        let codes = CodeLists::embedded();
        let mut mentor = ready_mentor();
        mentor.tier2_on = None;
        mentor.status = "in_training".into();
        let mut m = Match {
            episode_id: "e".into(),
            mentor_id: "m1".into(),
            start_date: d("2025-03-01"),
            ..Match::default()
        };
        let p = validate_match(
            &mut m,
            &mentor,
            d("2025-02-01"),
            None,
            &codes,
            d("2025-06-01"),
        );
        let msg = p.for_field("mentor").unwrap();
        assert!(msg.contains("Tier 2"), "{msg}");
        mentor.tier2_on = Some(d("2025-02-01"));
        mentor.check_result = Some("pending".into());
        let p = validate_match(
            &mut m,
            &mentor,
            d("2025-02-01"),
            None,
            &codes,
            d("2025-06-01"),
        );
        assert!(p.for_field("mentor").unwrap().contains("not clear"));
        mentor.check_result = Some("clear".into());
        let p = validate_match(
            &mut m,
            &mentor,
            d("2025-02-01"),
            None,
            &codes,
            d("2025-06-01"),
        );
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn a_match_ending_before_it_starts_is_refused_at_end_date() {
        let codes = CodeLists::embedded();
        let mut m = Match {
            start_date: d("2025-03-01"),
            end_date: Some(d("2025-02-28")),
            end_reason: Some("moved_away".into()),
            ..Match::default()
        };
        let p = validate_match(
            &mut m,
            &ready_mentor(),
            d("2025-02-01"),
            None,
            &codes,
            d("2025-06-01"),
        );
        assert!(p
            .for_field("end_date")
            .unwrap()
            .contains("before the match start"));
    }

    #[test]
    fn a_session_before_the_match_is_refused_at_date() {
        let m = Match {
            start_date: d("2025-03-10"),
            ..Match::default()
        };
        let mut s = MentorSession {
            date: d("2025-03-09"),
            attendance: "attended".into(),
            ..MentorSession::default()
        };
        let p = validate_session(&mut s, &m, d("2025-06-01"));
        assert!(p
            .for_field("date")
            .unwrap()
            .contains("before the match start"));
        s.date = d("2025-03-10");
        s.attendance = "DNA".into();
        assert!(validate_session(&mut s, &m, d("2025-06-01")).is_empty());
        assert_eq!(s.attendance, "did_not_attend");
    }

    #[test]
    fn suggestions_follow_stated_preferences_and_say_why() {
        let a = ready_mentor(); // female, H (Indian), Punjabi
        let mut b = ready_mentor();
        b.id = "m2".into();
        b.given_name = "Ben".into();
        b.family_name = "Adams".into();
        b.gender = Some("male".into());
        b.ethnicity = Some("A".into());
        b.languages = Some("English".into());
        let mut c = ready_mentor();
        c.id = "m3".into();
        c.tier1_on = None; // not ready: never suggested
        let mentee = Mentee {
            gender: Some("female".into()),
            ethnicity: Some("J".into()), // Pakistani: same broad group as H
            preferences: Preferences {
                mentor_gender: Some("female".into()),
                same_background: true,
                language: Some("punjabi".into()),
            },
        };
        let s = suggest(&mentee, &[(b.clone(), 0), (a.clone(), 2), (c, 0)]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].mentor_id, "m1");
        // 40 (gender asked) + 15 (broad group x3) + 20 (language) - 6 (2 mentees)
        assert_eq!(s[0].score, 69);
        assert!(s[0]
            .reasons
            .contains(&"same broad ethnic group".to_string()));
        assert!(s[0].reasons.contains(&"speaks punjabi".to_string()));
        // -40 - 20 - 10 - 0
        assert_eq!(s[1].score, -70);
        assert!(s[1].reasons[0].contains("asked for a female mentor"));
    }

    #[test]
    fn weekly_contact_falls_due_in_a_bank_holiday_week_all_the_same() {
        // Last session Monday 19 May 2025; 26 May is the Spring bank holiday. Contact is
        // calendar days (L §7.3 a: "at least once a week"), so due that Monday regardless.
        let c = contact_clock(d("2025-05-12"), Some(d("2025-05-19")), d("2025-05-26"));
        assert_eq!(c.due, d("2025-05-26"));
        assert!(!c.overdue);
        let c = contact_clock(d("2025-05-12"), Some(d("2025-05-19")), d("2025-05-27"));
        assert!(c.overdue);
        // No session yet: from the match start.
        assert_eq!(
            contact_clock(d("2025-05-12"), None, d("2025-05-13")).due,
            d("2025-05-19")
        );
    }

    #[test]
    fn a_message_left_on_the_friday_before_a_bank_holiday_monday() {
        // Friday 23 May 2025; Monday 26 May is a bank holiday. Working days: Tue 27 (1),
        // Wed 28 (2) — so due Wednesday 28 May.
        let cal = Calendar::embedded();
        let c = message_clock(d("2025-05-23"), &cal, d("2025-05-28"));
        assert_eq!(c.due, d("2025-05-28"));
        assert!(!c.overdue);
        assert!(message_clock(d("2025-05-23"), &cal, d("2025-05-29")).overdue);
    }

    #[test]
    fn commitment_review_and_check_renewal() {
        let m = ready_mentor(); // commitment 3 Feb 2025, ends 2 Feb 2026
        assert_eq!(m.commitment_end(), Some(d("2026-02-02")));
        let c = commitment_clock(&m, d("2026-01-01")).unwrap();
        assert_eq!(c.due, d("2026-01-05"));
        assert!(check_renewal_clock(&m, None, d("2026-01-01")).is_none());
        let r = check_renewal_clock(&m, Some(36), d("2026-01-01")).unwrap();
        assert_eq!(r.due, d("2028-01-20"));
        // Support: 42 days after the later of training (1 Feb) and last support.
        let s = support_clock(&m, None, d("2025-03-01")).unwrap();
        assert_eq!(s.due, d("2025-03-15"));
        let s = support_clock(&m, Some(d("2025-03-10")), d("2025-03-11")).unwrap();
        assert_eq!(s.due, d("2025-04-21"));
    }
}
