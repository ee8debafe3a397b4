//! The mentoring project's records (L §5–7): audited writes through [`Store::write`]'s
//! transaction, and the queries a coordinator's board, the CLI and the return read.
//!
//! A refused write comes back as an error wrapping [`Invalid`] (`err.downcast_ref::<Invalid>()`),
//! a message per field, and nothing is written (the checks run before the first insert, and
//! the caller's transaction rolls back on any error).

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::values::*;
use super::{Store, Tx};
use crate::domain::calendar::Calendar;
use crate::domain::clocks::StartedBy;
use crate::domain::codes::CodeLists;
use crate::domain::ids::new_id;
use crate::domain::mentoring::{
    check_renewal_clock, commitment_clock, contact_clock, message_clock, suggest, support_clock,
    validate_complaint, validate_drive, validate_event, validate_match, validate_mentor,
    validate_message, validate_session, Attendance, ClockKind, Complaint, EventKind, Match, Mentee,
    Mentor, MentorSession, MentorStatus, MentoringClock, MentoringEvent, Preferences,
    RecruitmentDrive, Suggestion, TelephoneMessage,
};
use crate::domain::validate::{FieldError, Invalid};

fn refuse(field: &str, message: impl Into<String>) -> anyhow::Error {
    Invalid(vec![FieldError::new(field, message)]).into()
}

fn id_or_new(id: &str) -> String {
    if id.trim().is_empty() {
        new_id()
    } else {
        id.to_string()
    }
}

// ---- recruitment drives -------------------------------------------------------------------

/// Records a recruitment drive (L §10.3 B ii); returns its ID.
pub fn add_drive(tx: &Tx, d: &RecruitmentDrive, today: NaiveDate) -> Result<String> {
    validate_drive(d, today).into_result()?;
    let id = id_or_new(&d.id);
    tx.insert(
        "recruitment_drives",
        &id,
        &[
            ("start_date", date(d.start_date)),
            ("end_date", opt_date(d.end_date)),
            ("title", text(d.title.trim())),
        ],
    )?;
    Ok(id)
}

/// Every drive not entered in error, newest first.
pub fn drives(store: &Store) -> Result<Vec<RecruitmentDrive>> {
    let mut stmt = store.conn().prepare(
        "SELECT id, start_date, end_date, title FROM recruitment_drives
         WHERE in_error_at IS NULL ORDER BY start_date DESC, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(RecruitmentDrive {
            id: r.get(0)?,
            start_date: get_date(r, 1)?.unwrap_or_default(),
            end_date: get_date(r, 2)?,
            title: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- mentors ------------------------------------------------------------------------------

const MENTOR_COLS: &str = "id, given_name, family_name, gender, ethnicity, languages, \
    recruited_on, recruitment_drive_id, check_date, check_result, references_on, \
    commitment_start, tier1_on, tier2_on, status, left_on, leaving_reason";

fn mentor_from_row(r: &Row) -> rusqlite::Result<Mentor> {
    Ok(Mentor {
        id: r.get(0)?,
        given_name: r.get(1)?,
        family_name: r.get(2)?,
        gender: r.get(3)?,
        ethnicity: r.get(4)?,
        languages: r.get(5)?,
        recruited_on: get_date(r, 6)?,
        recruitment_drive_id: r.get(7)?,
        check_date: get_date(r, 8)?,
        check_result: r.get(9)?,
        references_on: get_date(r, 10)?,
        commitment_start: get_date(r, 11)?,
        tier1_on: get_date(r, 12)?,
        tier2_on: get_date(r, 13)?,
        status: r.get(14)?,
        left_on: get_date(r, 15)?,
        leaving_reason: r.get(16)?,
    })
}

fn mentor_cols(m: &Mentor) -> Vec<(&'static str, rusqlite::types::Value)> {
    vec![
        ("given_name", text(m.given_name.trim())),
        ("family_name", text(m.family_name.trim())),
        ("gender", opt_text(m.gender.as_deref())),
        ("ethnicity", opt_text(m.ethnicity.as_deref())),
        ("languages", opt_text(m.languages.as_deref())),
        ("recruited_on", opt_date(m.recruited_on)),
        (
            "recruitment_drive_id",
            opt_text(m.recruitment_drive_id.as_deref()),
        ),
        ("check_date", opt_date(m.check_date)),
        ("check_result", opt_text(m.check_result.as_deref())),
        ("references_on", opt_date(m.references_on)),
        ("commitment_start", opt_date(m.commitment_start)),
        ("tier1_on", opt_date(m.tier1_on)),
        ("tier2_on", opt_date(m.tier2_on)),
        ("status", text(&m.status)),
        ("left_on", opt_date(m.left_on)),
        ("leaving_reason", opt_text(m.leaving_reason.as_deref())),
    ]
}

fn check_drive_exists(conn: &Connection, m: &Mentor) -> Result<()> {
    if let Some(d) = m.recruitment_drive_id.as_deref().filter(|d| !d.is_empty()) {
        let found: Option<String> = conn
            .query_row(
                "SELECT id FROM recruitment_drives WHERE id = ?1 AND in_error_at IS NULL",
                [d],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_none() {
            return Err(refuse(
                "recruitment_drive",
                "no such recruitment drive: choose one from the list of drives",
            ));
        }
    }
    Ok(())
}

/// Records a volunteer mentor; returns the ID. Codes are made canonical.
pub fn add_mentor(tx: &Tx, codes: &CodeLists, m: &Mentor, today: NaiveDate) -> Result<String> {
    let mut m = m.clone();
    validate_mentor(&mut m, codes, today).into_result()?;
    check_drive_exists(tx.conn(), &m)?;
    let id = id_or_new(&m.id);
    tx.insert("mentors", &id, &mentor_cols(&m))?;
    Ok(id)
}

/// Saves changes to a mentor (status, checks, training, leaving); returns columns changed.
pub fn update_mentor(tx: &Tx, codes: &CodeLists, m: &Mentor, today: NaiveDate) -> Result<usize> {
    let mut m = m.clone();
    validate_mentor(&mut m, codes, today).into_result()?;
    check_drive_exists(tx.conn(), &m)?;
    tx.update("mentors", &m.id, &mentor_cols(&m))
}

fn mentor_in(conn: &Connection, id: &str) -> Result<Option<Mentor>> {
    Ok(conn
        .query_row(
            &format!("SELECT {MENTOR_COLS} FROM mentors WHERE id = ?1 AND in_error_at IS NULL"),
            [id],
            mentor_from_row,
        )
        .optional()?)
}

/// One mentor.
pub fn mentor(store: &Store, id: &str) -> Result<Option<Mentor>> {
    mentor_in(store.conn(), id)
}

/// Every mentor not entered in error, by name. (A project has tens of mentors, L §7.3.)
pub fn mentors(store: &Store) -> Result<Vec<Mentor>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {MENTOR_COLS} FROM mentors WHERE in_error_at IS NULL
         ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE, id"
    ))?;
    let rows = stmt.query_map([], mentor_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- training, support, group programme ---------------------------------------------------

/// Records a training session or course, a support session, a group programme session or a
/// workshop, with who attended; returns its ID.
pub fn add_event(
    tx: &Tx,
    e: &MentoringEvent,
    mentor_ids: &[String],
    young_person_ids: &[String],
    today: NaiveDate,
) -> Result<String> {
    let mut e = e.clone();
    validate_event(&mut e, today).into_result()?;
    for m in mentor_ids {
        if mentor_in(tx.conn(), m)?.is_none() {
            return Err(refuse(
                "attendees",
                "one of the mentors is not on the record",
            ));
        }
    }
    for yp in young_person_ids {
        let found: Option<String> = tx
            .conn()
            .query_row(
                "SELECT id FROM young_people WHERE id = ?1 AND in_error_at IS NULL",
                [yp],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_none() {
            return Err(refuse(
                "attendees",
                "one of the young people is not on the record",
            ));
        }
    }
    let id = id_or_new(&e.id);
    tx.insert(
        "mentoring_events",
        &id,
        &[
            ("kind", text(&e.kind)),
            ("date", date(e.date)),
            ("title", text(e.title.trim())),
            ("facilitator", opt_text(e.facilitator.as_deref())),
        ],
    )?;
    for m in mentor_ids {
        tx.insert(
            "mentoring_event_attendance",
            &new_id(),
            &[("event_id", text(&id)), ("mentor_id", text(m))],
        )?;
    }
    for yp in young_person_ids {
        tx.insert(
            "mentoring_event_attendance",
            &new_id(),
            &[("event_id", text(&id)), ("young_person_id", text(yp))],
        )?;
    }
    Ok(id)
}

/// A mentor's last support session attended on or before `on`.
fn last_support(conn: &Connection, mentor_id: &str, on: NaiveDate) -> Result<Option<NaiveDate>> {
    let d: Option<String> = conn.query_row(
        "SELECT max(e.date) FROM mentoring_event_attendance a
         JOIN mentoring_events e ON e.id = a.event_id
         WHERE a.mentor_id = ?1 AND a.in_error_at IS NULL AND e.in_error_at IS NULL
           AND e.kind = ?2 AND e.date <= ?3",
        params![
            mentor_id,
            EventKind::SupportSession.code(),
            on.format("%Y-%m-%d").to_string()
        ],
        |r| r.get(0),
    )?;
    Ok(d.as_deref().and_then(parse_date))
}

// ---- preferences and matches --------------------------------------------------------------

/// Records (or replaces) what the young person would like in a mentor.
pub fn set_preferences(tx: &Tx, episode_id: &str, p: &Preferences) -> Result<()> {
    let existing: Option<String> = tx
        .conn()
        .query_row(
            "SELECT id FROM mentoring_preferences WHERE episode_id = ?1",
            [episode_id],
            |r| r.get(0),
        )
        .optional()?;
    let cols = [
        ("mentor_gender", opt_text(p.mentor_gender.as_deref())),
        ("same_background", boolean(p.same_background)),
        ("language", opt_text(p.language.as_deref())),
    ];
    match existing {
        Some(id) => {
            tx.update("mentoring_preferences", &id, &cols)?;
        }
        None => {
            let mut all = vec![("episode_id", text(episode_id))];
            all.extend(cols);
            tx.insert("mentoring_preferences", &new_id(), &all)?;
        }
    }
    Ok(())
}

struct EpisodeDates {
    young_person_id: String,
    referral: NaiveDate,
    exit: Option<NaiveDate>,
}

fn episode_dates(conn: &Connection, episode_id: &str) -> Result<Option<EpisodeDates>> {
    Ok(conn
        .query_row(
            "SELECT e.young_person_id, e.referral_date, e.exit_date FROM episodes e
             JOIN young_people p ON p.id = e.young_person_id
             WHERE e.id = ?1 AND e.in_error_at IS NULL AND p.in_error_at IS NULL",
            [episode_id],
            |r| {
                Ok(EpisodeDates {
                    young_person_id: r.get(0)?,
                    referral: get_date(r, 1)?.unwrap_or_default(),
                    exit: get_date(r, 2)?,
                })
            },
        )
        .optional()?)
}

const MATCH_COLS: &str = "id, episode_id, mentor_id, start_date, end_date, end_reason";

fn match_from_row(r: &Row) -> rusqlite::Result<Match> {
    Ok(Match {
        id: r.get(0)?,
        episode_id: r.get(1)?,
        mentor_id: r.get(2)?,
        start_date: get_date(r, 3)?.unwrap_or_default(),
        end_date: get_date(r, 4)?,
        end_reason: r.get(5)?,
    })
}

fn match_in(conn: &Connection, id: &str) -> Result<Option<Match>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {MATCH_COLS} FROM mentor_matches WHERE id = ?1 AND in_error_at IS NULL"
            ),
            [id],
            match_from_row,
        )
        .optional()?)
}

/// One match.
pub fn get_match(store: &Store, id: &str) -> Result<Option<Match>> {
    match_in(store.conn(), id)
}

/// An episode's matches, oldest first.
pub fn matches_of_episode(store: &Store, episode_id: &str) -> Result<Vec<Match>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {MATCH_COLS} FROM mentor_matches WHERE episode_id = ?1 AND in_error_at IS NULL
         ORDER BY start_date, id"
    ))?;
    let rows = stmt.query_map([episode_id], match_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn validated_match(tx: &Tx, codes: &CodeLists, m: &Match, today: NaiveDate) -> Result<Match> {
    let mut m = m.clone();
    let Some(mentor) = mentor_in(tx.conn(), &m.mentor_id)? else {
        return Err(refuse("mentor", "no such mentor on the record"));
    };
    let Some(ep) = episode_dates(tx.conn(), &m.episode_id)? else {
        return Err(refuse("episode", "no such episode on the record"));
    };
    validate_match(&mut m, &mentor, ep.referral, ep.exit, codes, today).into_result()?;
    Ok(m)
}

/// Matches a young person's episode with a mentor (the coordinator's decision); returns the
/// ID. Refused unless the mentor's checks and initial training are recorded (L §7.1 b), and
/// while the episode already has an open match.
pub fn add_match(tx: &Tx, codes: &CodeLists, m: &Match, today: NaiveDate) -> Result<String> {
    let m = validated_match(tx, codes, m, today)?;
    let open: i64 = tx.conn().query_row(
        "SELECT count(*) FROM mentor_matches
         WHERE episode_id = ?1 AND end_date IS NULL AND in_error_at IS NULL",
        [&m.episode_id],
        |r| r.get(0),
    )?;
    if open > 0 && m.end_date.is_none() {
        return Err(refuse(
            "episode",
            "the young person already has an open match: end it first",
        ));
    }
    let id = id_or_new(&m.id);
    tx.insert(
        "mentor_matches",
        &id,
        &[
            ("episode_id", text(&m.episode_id)),
            ("mentor_id", text(&m.mentor_id)),
            ("start_date", date(m.start_date)),
            ("end_date", opt_date(m.end_date)),
            ("end_reason", opt_text(m.end_reason.as_deref())),
        ],
    )?;
    Ok(id)
}

/// Ends a match on `end` for `reason` (a `mentor_discontinuation_reasons` code or label).
pub fn end_match(
    tx: &Tx,
    codes: &CodeLists,
    match_id: &str,
    end: NaiveDate,
    reason: &str,
    today: NaiveDate,
) -> Result<()> {
    let Some(mut m) = match_in(tx.conn(), match_id)? else {
        return Err(refuse("match", "no such match on the record"));
    };
    m.end_date = Some(end);
    m.end_reason = Some(reason.to_string());
    let m = validated_match(tx, codes, &m, today)?;
    let last: Option<String> = tx.conn().query_row(
        "SELECT max(date) FROM mentor_sessions WHERE match_id = ?1 AND in_error_at IS NULL",
        [match_id],
        |r| r.get(0),
    )?;
    if let Some(l) = last.as_deref().and_then(parse_date).filter(|l| *l > end) {
        return Err(refuse(
            "end_date",
            format!("a session is recorded on {l}, after {end}: the match cannot end before it"),
        ));
    }
    tx.update(
        "mentor_matches",
        match_id,
        &[
            ("end_date", opt_date(m.end_date)),
            ("end_reason", opt_text(m.end_reason.as_deref())),
        ],
    )?;
    Ok(())
}

/// Mentors suggested for an episode's young person, best fit first, each with its reasons
/// (L §7.1 b). The coordinator decides.
pub fn suggestions(store: &Store, episode_id: &str) -> Result<Vec<Suggestion>> {
    suggestions_with(store, episode_id, None)
}

/// What the young person said they would like in a mentor, when it is recorded.
pub fn preferences(store: &Store, episode_id: &str) -> Result<Option<Preferences>> {
    Ok(store
        .conn()
        .query_row(
            "SELECT mentor_gender, same_background, language FROM mentoring_preferences
             WHERE episode_id = ?1",
            [episode_id],
            |r| {
                Ok(Preferences {
                    mentor_gender: r.get(0)?,
                    same_background: get_bool(r, 1)?.unwrap_or(false),
                    language: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// As [`suggestions`], with `prefs` in place of the recorded preferences when given: the
/// match form ranks the mentors by the preferences as the coordinator types them.
pub fn suggestions_with(
    store: &Store,
    episode_id: &str,
    prefs: Option<&Preferences>,
) -> Result<Vec<Suggestion>> {
    let conn = store.conn();
    let mentee = conn
        .query_row(
            "SELECT p.gender, p.sex, p.ethnicity, pr.mentor_gender, pr.same_background, pr.language
             FROM episodes e JOIN young_people p ON p.id = e.young_person_id
             LEFT JOIN mentoring_preferences pr ON pr.episode_id = e.id
             WHERE e.id = ?1",
            [episode_id],
            |r| {
                let gender: Option<String> = r.get(0)?;
                let sex: Option<String> = r.get(1)?;
                Ok(Mentee {
                    gender: gender.or(sex.map(|s| sex_as_gender(&s).to_string())),
                    ethnicity: r.get(2)?,
                    preferences: Preferences {
                        mentor_gender: r.get(3)?,
                        same_background: get_bool(r, 4)?.unwrap_or(false),
                        language: r.get(5)?,
                    },
                })
            },
        )
        .optional()?;
    let Some(mut mentee) = mentee else {
        return Err(refuse("episode", "no such episode on the record"));
    };
    if let Some(p) = prefs {
        mentee.preferences = p.clone();
    }
    let loads = open_match_counts(conn)?;
    let pool: Vec<(Mentor, usize)> = mentors(store)?
        .into_iter()
        .map(|m| {
            let n = loads.get(&m.id).copied().unwrap_or(0);
            (m, n)
        })
        .collect();
    Ok(suggest(&mentee, &pool))
}

/// The recorded sex code as a word a mentor's gender can be compared with.
fn sex_as_gender(code: &str) -> &str {
    match code.trim() {
        "1" | "M" | "m" | "male" => "male",
        "2" | "F" | "f" | "female" => "female",
        other => other,
    }
}

fn open_match_counts(conn: &Connection) -> Result<std::collections::HashMap<String, usize>> {
    let mut stmt = conn.prepare(
        "SELECT mentor_id, count(*) FROM mentor_matches
         WHERE end_date IS NULL AND in_error_at IS NULL GROUP BY mentor_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- mentor sessions ----------------------------------------------------------------------

/// Records a mentor's session with the young person (L §7.3 a, b): a contact of type
/// `mentor_session` (so the case view and the return see it) and the session's details.
/// Refused when dated before the match started or after it ended.
pub fn add_session(
    tx: &Tx,
    s: &MentorSession,
    worker_id: Option<&str>,
    today: NaiveDate,
) -> Result<String> {
    let mut s = s.clone();
    let Some(m) = match_in(tx.conn(), &s.match_id)? else {
        return Err(refuse("match", "no such match on the record"));
    };
    validate_session(&mut s, &m, today).into_result()?;
    let Some(ep) = episode_dates(tx.conn(), &m.episode_id)? else {
        return Err(refuse("match", "the match's episode is not on the record"));
    };
    let contact_id = new_id();
    let note = match (s.place.as_deref(), s.activity.as_deref()) {
        (Some(p), Some(a)) => Some(format!("{p}: {a}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    };
    tx.insert(
        "contacts",
        &contact_id,
        &[
            ("young_person_id", text(&ep.young_person_id)),
            ("episode_id", text(&m.episode_id)),
            ("date", date(s.date)),
            ("contact_type", text("mentor_session")),
            ("present", text("mentor")),
            ("note", opt_text(note.as_deref())),
            (
                "did_not_attend",
                boolean(s.attendance == Attendance::DidNotAttend.code()),
            ),
            ("worker_id", opt_text(worker_id)),
        ],
    )?;
    let id = id_or_new(&s.id);
    tx.insert(
        "mentor_sessions",
        &id,
        &[
            ("contact_id", text(&contact_id)),
            ("match_id", text(&s.match_id)),
            ("date", date(s.date)),
            ("attendance", text(&s.attendance)),
            ("place", opt_text(s.place.as_deref())),
            ("activity", opt_text(s.activity.as_deref())),
        ],
    )?;
    // A session attended re-establishes contact: the match's earlier missed sessions are
    // followed up by it, so they leave the DNA follow-up list.
    if s.attendance == Attendance::Attended.code() {
        let mut stmt = tx.conn().prepare_cached(
            "SELECT c.id FROM mentor_sessions m JOIN contacts c ON c.id = m.contact_id
             WHERE m.match_id = ?1 AND m.in_error_at IS NULL AND c.did_not_attend = 1
               AND c.dna_followed_up_on IS NULL AND c.date < ?2",
        )?;
        let missed: Vec<String> = stmt
            .query_map(
                params![s.match_id, s.date.format("%Y-%m-%d").to_string()],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        for c in missed {
            tx.update("contacts", &c, &[("dna_followed_up_on", date(s.date))])?;
        }
    }
    Ok(id)
}

/// A match's sessions, newest first.
pub fn sessions_of_match(store: &Store, match_id: &str) -> Result<Vec<MentorSession>> {
    let mut stmt = store.conn().prepare(
        "SELECT id, match_id, date, attendance, place, activity FROM mentor_sessions
         WHERE match_id = ?1 AND in_error_at IS NULL ORDER BY date DESC, id",
    )?;
    let rows = stmt.query_map([match_id], |r| {
        Ok(MentorSession {
            id: r.get(0)?,
            match_id: r.get(1)?,
            date: get_date(r, 2)?.unwrap_or_default(),
            attendance: r.get(3)?,
            place: r.get(4)?,
            activity: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- complaints and telephone messages ----------------------------------------------------

pub fn add_complaint(
    tx: &Tx,
    codes: &CodeLists,
    c: &Complaint,
    today: NaiveDate,
) -> Result<String> {
    let mut c = c.clone();
    validate_complaint(&mut c, codes, today).into_result()?;
    let id = id_or_new(&c.id);
    tx.insert(
        "complaints",
        &id,
        &[
            ("received_on", date(c.received_on)),
            ("young_person_id", opt_text(c.young_person_id.as_deref())),
            ("about", text(c.about.trim())),
            ("outcome", opt_text(c.outcome.as_deref())),
            ("outcome_on", opt_date(c.outcome_on)),
        ],
    )?;
    Ok(id)
}

pub fn add_message(tx: &Tx, m: &TelephoneMessage, today: NaiveDate) -> Result<String> {
    validate_message(m, today).into_result()?;
    let id = id_or_new(&m.id);
    tx.insert(
        "telephone_messages",
        &id,
        &[
            ("received_on", date(m.received_on)),
            ("from_whom", text(m.from_whom.trim())),
            ("young_person_id", opt_text(m.young_person_id.as_deref())),
            ("about", opt_text(m.about.as_deref())),
            ("answered_on", opt_date(m.answered_on)),
        ],
    )?;
    Ok(id)
}

/// Records that a message was answered on `on`.
pub fn answer_message(tx: &Tx, id: &str, on: NaiveDate, today: NaiveDate) -> Result<()> {
    let received: Option<String> = tx
        .conn()
        .query_row(
            "SELECT received_on FROM telephone_messages WHERE id = ?1 AND in_error_at IS NULL",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(received) = received.as_deref().and_then(parse_date) else {
        return Err(refuse("message", "no such telephone message on the record"));
    };
    let m = TelephoneMessage {
        received_on: received,
        from_whom: "-".into(),
        answered_on: Some(on),
        ..TelephoneMessage::default()
    };
    validate_message(&m, today).into_result()?;
    tx.update("telephone_messages", id, &[("answered_on", date(on))])?;
    Ok(())
}

// ---- the coordinator's board and the open clocks ------------------------------------------

/// A mentee on the board: the young person's reference, never their name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BoardMentee {
    pub match_id: String,
    pub episode_id: String,
    pub reference: String,
    pub since: NaiveDate,
    pub last_session: Option<NaiveDate>,
}

/// One mentor's row on the coordinator's board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub mentor: Mentor,
    pub status: MentorStatus,
    /// Why the mentor cannot be matched yet; empty when ready.
    pub not_ready: Vec<&'static str>,
    pub trained_on: Option<NaiveDate>,
    pub last_support: Option<NaiveDate>,
    pub next_support_due: Option<NaiveDate>,
    pub commitment_end: Option<NaiveDate>,
    pub mentees: Vec<BoardMentee>,
}

fn open_matches(conn: &Connection) -> Result<Vec<(String, BoardMentee)>> {
    let mut stmt = conn.prepare(
        "SELECT m.mentor_id, m.id, m.episode_id, p.reference, m.start_date,
                (SELECT max(s.date) FROM mentor_sessions s
                 WHERE s.match_id = m.id AND s.in_error_at IS NULL AND s.attendance <> 'offered')
         FROM mentor_matches m
         JOIN episodes e ON e.id = m.episode_id
         JOIN young_people p ON p.id = e.young_person_id
         WHERE m.end_date IS NULL AND m.in_error_at IS NULL
           AND e.in_error_at IS NULL AND p.in_error_at IS NULL
         ORDER BY m.start_date, m.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            BoardMentee {
                match_id: r.get(1)?,
                episode_id: r.get(2)?,
                reference: r.get(3)?,
                since: get_date(r, 4)?.unwrap_or_default(),
                last_session: get_date(r, 5)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The coordinator's board: every mentor with status, readiness, training, support and
/// current mentees; mentors who have left come last.
pub fn board(store: &Store, today: NaiveDate) -> Result<Vec<BoardRow>> {
    let conn = store.conn();
    let mut by_mentor: std::collections::HashMap<String, Vec<BoardMentee>> = Default::default();
    for (mentor_id, m) in open_matches(conn)? {
        by_mentor.entry(mentor_id).or_default().push(m);
    }
    let mut rows = Vec::new();
    for m in mentors(store)? {
        let last = last_support(conn, &m.id, today)?;
        let next = support_clock(&m, last, today).map(|c| c.due);
        rows.push(BoardRow {
            status: m.status(),
            not_ready: m.not_ready_reasons(),
            trained_on: m.trained_on(),
            last_support: last,
            next_support_due: next,
            commitment_end: m.commitment_end(),
            mentees: by_mentor.remove(&m.id).unwrap_or_default(),
            mentor: m,
        });
    }
    rows.sort_by_key(|r| r.status == MentorStatus::Left);
    Ok(rows)
}

/// One open mentoring deadline and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenClock {
    pub clock: MentoringClock,
    /// The event the clock counts from and its date (for the why-line and `due --explain`).
    pub started_by: StartedBy,
    pub mentor_id: Option<String>,
    /// The match, for the weekly contact clock.
    pub match_id: Option<String>,
    pub episode_id: Option<String>,
    pub message_id: Option<String>,
}

/// Every open mentoring clock on `today`, soonest due first: weekly contact for each open
/// match (L §7.3 a), six-weekly support for each mentor active or paused (L §7.5), the
/// review before each commitment ends (L §7.3), police/DBS renewal when `check_renewal_months`
/// is set, and each unanswered telephone message (L §6.2, working days on `cal`).
pub fn open_clocks(
    store: &Store,
    cal: &Calendar,
    today: NaiveDate,
    check_renewal_months: Option<u32>,
) -> Result<Vec<OpenClock>> {
    let conn = store.conn();
    let mut out = Vec::new();
    for (mentor_id, m) in open_matches(conn)? {
        // The same choice as `contact_clock`: the later of the match start and the last session.
        let started_by = match m.last_session {
            Some(s) if s >= m.since => StartedBy {
                event: "last mentor session",
                date: s,
            },
            _ => StartedBy {
                event: "match start",
                date: m.since,
            },
        };
        out.push(OpenClock {
            clock: contact_clock(m.since, m.last_session, today),
            started_by,
            mentor_id: Some(mentor_id),
            match_id: Some(m.match_id),
            episode_id: Some(m.episode_id),
            message_id: None,
        });
    }
    for m in mentors(store)? {
        let last = last_support(conn, &m.id, today)?;
        // The same choice as `support_clock`: the later of the last support and the training.
        let support_from = match (last, m.trained_on()) {
            (Some(s), Some(t)) if t > s => ("initial training completed", t),
            (Some(s), _) => ("last support session", s),
            (None, Some(t)) => ("initial training completed", t),
            (None, None) => ("", today),
        };
        let per_mentor = [
            (support_clock(&m, last, today), support_from),
            (
                commitment_clock(&m, today),
                ("commitment start", m.commitment_start.unwrap_or(today)),
            ),
            (
                check_renewal_clock(&m, check_renewal_months, today),
                ("police/DBS check", m.check_date.unwrap_or(today)),
            ),
        ];
        for (c, (event, date)) in per_mentor {
            let Some(c) = c else { continue };
            out.push(OpenClock {
                clock: c,
                started_by: StartedBy { event, date },
                mentor_id: Some(m.id.clone()),
                match_id: None,
                episode_id: None,
                message_id: None,
            });
        }
    }
    let mut stmt = conn.prepare(
        "SELECT id, received_on FROM telephone_messages
         WHERE answered_on IS NULL AND in_error_at IS NULL ORDER BY received_on, id",
    )?;
    let msgs = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, get_date(r, 1)?)))?;
    for row in msgs {
        let (id, received) = row?;
        if let Some(received) = received {
            out.push(OpenClock {
                clock: message_clock(received, cal, today),
                started_by: StartedBy {
                    event: "message received",
                    date: received,
                },
                mentor_id: None,
                match_id: None,
                episode_id: None,
                message_id: Some(id),
            });
        }
    }
    out.sort_by(|a, b| {
        a.clock
            .due
            .cmp(&b.clock.due)
            .then(a.clock.kind.code().cmp(b.clock.kind.code()))
    });
    Ok(out)
}

/// Whether the kind is one of the clocks the due-list knows: all of them, since the
/// commitment review and the check renewal gained kinds ([`ClockKind::due_kind`]). Kept for
/// callers written before.
pub fn has_due_kind(_kind: ClockKind) -> bool {
    true
}

// ---- what the Leicester return counts (L §10.3 A v, viii; B) ------------------------------

/// A mentor as the return sees them. The name is for the in-building drill-down only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentorReturnRow {
    pub mentor_id: String,
    pub name: String,
    pub gender: Option<String>,
    pub ethnicity: Option<String>,
    pub recruited_on: Option<NaiveDate>,
    /// Initial training completed: the later of Tier 1 and Tier 2.
    pub trained_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub leaving_reason: Option<String>,
}

/// A training, support or group session dated in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventReturnRow {
    pub event_id: String,
    pub kind: String,
    pub date: NaiveDate,
    pub title: String,
}

/// A mentor at a session: `mentor` and `event` index the rows above.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttendanceReturnRow {
    pub mentor: usize,
    pub event: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriveReturnRow {
    pub drive_id: String,
    pub start_date: NaiveDate,
    pub title: String,
}

/// A complaint received in the period, with the young person's details when it is about one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintReturnRow {
    pub complaint_id: String,
    pub received_on: NaiveDate,
    pub young_person_id: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub outcome: Option<String>,
}

/// The mentoring rows a return for `start..=end` counts. Mentors: every mentor (tens, L §7.3);
/// the rest: rows dated in the period, by indexed date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentoringReturnRows {
    pub mentors: Vec<MentorReturnRow>,
    pub events: Vec<EventReturnRow>,
    pub attendance: Vec<AttendanceReturnRow>,
    pub drives: Vec<DriveReturnRow>,
    pub complaints: Vec<ComplaintReturnRow>,
}

/// Loads [`MentoringReturnRows`]; entered-in-error rows are left out.
pub fn return_rows(
    conn: &Connection,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<MentoringReturnRows> {
    let (s, e) = (
        start.format("%Y-%m-%d").to_string(),
        end.format("%Y-%m-%d").to_string(),
    );
    let mut out = MentoringReturnRows::default();
    let mut stmt = conn.prepare(
        "SELECT id, given_name || ' ' || family_name, gender, ethnicity, recruited_on,
                CASE WHEN tier1_on IS NULL OR tier2_on IS NULL THEN NULL
                     ELSE max(tier1_on, tier2_on) END,
                left_on, leaving_reason
         FROM mentors WHERE in_error_at IS NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(MentorReturnRow {
            mentor_id: r.get(0)?,
            name: r.get(1)?,
            gender: r.get(2)?,
            ethnicity: r.get(3)?,
            recruited_on: get_date(r, 4)?,
            trained_on: get_date(r, 5)?,
            left_on: get_date(r, 6)?,
            leaving_reason: r.get(7)?,
        })
    })?;
    out.mentors = rows.collect::<rusqlite::Result<_>>()?;
    let mentor_index: std::collections::HashMap<&str, usize> = out
        .mentors
        .iter()
        .enumerate()
        .map(|(i, m)| (m.mentor_id.as_str(), i))
        .collect();

    let mut stmt = conn.prepare(
        "SELECT id, kind, date, title FROM mentoring_events
         WHERE date BETWEEN ?1 AND ?2 AND in_error_at IS NULL ORDER BY date, id",
    )?;
    let rows = stmt.query_map(params![s, e], |r| {
        Ok(EventReturnRow {
            event_id: r.get(0)?,
            kind: r.get(1)?,
            date: get_date(r, 2)?.unwrap_or_default(),
            title: r.get(3)?,
        })
    })?;
    out.events = rows.collect::<rusqlite::Result<_>>()?;
    let event_index: std::collections::HashMap<&str, usize> = out
        .events
        .iter()
        .enumerate()
        .map(|(i, ev)| (ev.event_id.as_str(), i))
        .collect();

    let mut stmt = conn.prepare(
        "SELECT a.event_id, a.mentor_id FROM mentoring_event_attendance a
         JOIN mentoring_events ev ON ev.id = a.event_id
         WHERE ev.date BETWEEN ?1 AND ?2 AND ev.in_error_at IS NULL
           AND a.in_error_at IS NULL AND a.mentor_id IS NOT NULL
         ORDER BY ev.date, a.event_id, a.mentor_id",
    )?;
    let rows = stmt.query_map(params![s, e], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut attendance = Vec::new();
    for row in rows {
        let (ev, m) = row?;
        if let (Some(&event), Some(&mentor)) =
            (event_index.get(ev.as_str()), mentor_index.get(m.as_str()))
        {
            attendance.push(AttendanceReturnRow { mentor, event });
        }
    }
    out.attendance = attendance;

    let mut stmt = conn.prepare(
        "SELECT id, start_date, title FROM recruitment_drives
         WHERE start_date BETWEEN ?1 AND ?2 AND in_error_at IS NULL ORDER BY start_date, id",
    )?;
    let rows = stmt.query_map(params![s, e], |r| {
        Ok(DriveReturnRow {
            drive_id: r.get(0)?,
            start_date: get_date(r, 1)?.unwrap_or_default(),
            title: r.get(2)?,
        })
    })?;
    out.drives = rows.collect::<rusqlite::Result<_>>()?;

    // A complaint about a young person entered in error is left out with them.
    let mut stmt = conn.prepare(
        "SELECT c.id, c.received_on, c.young_person_id, yp.date_of_birth, yp.sex, yp.ethnicity,
                c.outcome
         FROM complaints c LEFT JOIN young_people yp ON yp.id = c.young_person_id
         WHERE c.received_on BETWEEN ?1 AND ?2 AND c.in_error_at IS NULL
           AND (c.young_person_id IS NULL OR yp.in_error_at IS NULL)
         ORDER BY c.received_on, c.id",
    )?;
    let rows = stmt.query_map(params![s, e], |r| {
        Ok(ComplaintReturnRow {
            complaint_id: r.get(0)?,
            received_on: get_date(r, 1)?.unwrap_or_default(),
            young_person_id: r.get(2)?,
            date_of_birth: get_date(r, 3)?,
            sex: r.get(4)?,
            ethnicity: r.get(5)?,
            outcome: r.get(6)?,
        })
    })?;
    out.complaints = rows.collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

/// Episodes whose programme (treatment) started between `from` and `to`, with the young
/// person and the exit: what a coordinator (or the demo) matches from. Oldest first.
pub fn episodes_started_between(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, NaiveDate, Option<NaiveDate>)>> {
    let mut stmt = store.conn().prepare(
        "SELECT e.id, e.treatment_start, e.exit_date FROM episodes e
         JOIN young_people p ON p.id = e.young_person_id
         WHERE e.treatment_start BETWEEN ?1 AND ?2
           AND e.in_error_at IS NULL AND p.in_error_at IS NULL
         ORDER BY e.treatment_start, e.id",
    )?;
    let rows = stmt.query_map(
        params![
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string()
        ],
        |r| {
            Ok((
                r.get(0)?,
                get_date(r, 1)?.unwrap_or_default(),
                get_date(r, 2)?,
            ))
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Young person IDs of the given episodes (for the demo's complaints and messages).
pub fn young_person_of_episode(store: &Store, episode_id: &str) -> Result<Option<String>> {
    Ok(episode_dates(store.conn(), episode_id)?.map(|e| e.young_person_id))
}

// ---- the Leicester annual return (L §10.3 C) ----------------------------------------------

/// One outcome profile as the annual return reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnualProfile {
    pub date: NaiveDate,
    pub physical_health: Option<i32>,
    pub psychological_health: Option<i32>,
    pub education_employment: Option<String>,
    /// L §3.1 area ratings, 0 (worst) to 20 (best).
    pub ratings: Vec<(String, i32)>,
    /// Days of use in the last 28, summed over substances; None when none recorded.
    pub substance_days: Option<i64>,
}

/// An episode in the scheme during the year, with its profiles up to the year's end, oldest
/// first. Reference and name are for the in-building drill-down only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnualEpisodeRow {
    pub episode_id: String,
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub gp_registered: Option<bool>,
    pub profiles: Vec<AnnualProfile>,
}

/// Episodes whose programme started on or before `end` and had not ended before `start`.
const IN_SCHEME: &str = "e.treatment_start IS NOT NULL AND e.treatment_start <= ?2
      AND (e.exit_date IS NULL OR e.exit_date >= ?1)
      AND e.in_error_at IS NULL AND yp.in_error_at IS NULL";

pub fn annual_rows(
    store: &Store,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<AnnualEpisodeRow>> {
    let conn = store.conn();
    let (s, e) = (
        start.format("%Y-%m-%d").to_string(),
        end.format("%Y-%m-%d").to_string(),
    );
    let mut stmt = conn.prepare(&format!(
        "SELECT e.id, yp.id, yp.reference, yp.given_name || ' ' || yp.family_name, yp.gp_registered
         FROM episodes e JOIN young_people yp ON yp.id = e.young_person_id
         WHERE {IN_SCHEME} ORDER BY e.treatment_start, e.id"
    ))?;
    let rows = stmt.query_map(params![s, e], |r| {
        Ok(AnnualEpisodeRow {
            episode_id: r.get(0)?,
            young_person_id: r.get(1)?,
            reference: r.get(2)?,
            name: r.get(3)?,
            gp_registered: get_bool(r, 4)?,
            profiles: Vec::new(),
        })
    })?;
    let mut out: Vec<AnnualEpisodeRow> = rows.collect::<rusqlite::Result<_>>()?;
    let index: std::collections::HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, r)| (r.episode_id.clone(), i))
        .collect();
    let mut profile_at: std::collections::HashMap<String, (usize, usize)> = Default::default();
    let mut stmt = conn.prepare(&format!(
        "SELECT p.id, p.episode_id, p.date, p.physical_health, p.psychological_health,
                p.education_employment
         FROM outcome_profiles p JOIN episodes e ON e.id = p.episode_id
         JOIN young_people yp ON yp.id = e.young_person_id
         WHERE {IN_SCHEME} AND p.in_error_at IS NULL AND p.date <= ?2
         ORDER BY p.date, p.id"
    ))?;
    let mut rows = stmt.query(params![s, e])?;
    while let Some(r) = rows.next()? {
        let pid: String = r.get(0)?;
        let Some(&i) = index.get(&r.get::<_, String>(1)?) else {
            continue;
        };
        let Some(date) = get_date(r, 2)? else {
            continue;
        };
        out[i].profiles.push(AnnualProfile {
            date,
            physical_health: r.get(3)?,
            psychological_health: r.get(4)?,
            education_employment: r.get(5)?,
            ..AnnualProfile::default()
        });
        profile_at.insert(pid, (i, out[i].profiles.len() - 1));
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT s.profile_id, s.area, s.rating FROM outcome_ratings s
         JOIN outcome_profiles p ON p.id = s.profile_id
         JOIN episodes e ON e.id = p.episode_id JOIN young_people yp ON yp.id = e.young_person_id
         WHERE {IN_SCHEME} AND p.in_error_at IS NULL AND p.date <= ?2 ORDER BY s.rowid"
    ))?;
    let mut rows = stmt.query(params![s, e])?;
    while let Some(r) = rows.next()? {
        if let Some(&(i, j)) = profile_at.get(&r.get::<_, String>(0)?) {
            out[i].profiles[j]
                .ratings
                .push((r.get(1)?, r.get::<_, i64>(2)? as i32));
        }
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT s.profile_id, sum(s.days) FROM outcome_substance_days s
         JOIN outcome_profiles p ON p.id = s.profile_id
         JOIN episodes e ON e.id = p.episode_id JOIN young_people yp ON yp.id = e.young_person_id
         WHERE {IN_SCHEME} AND p.in_error_at IS NULL AND p.date <= ?2 GROUP BY s.profile_id"
    ))?;
    let mut rows = stmt.query(params![s, e])?;
    while let Some(r) = rows.next()? {
        if let Some(&(i, j)) = profile_at.get(&r.get::<_, String>(0)?) {
            out[i].profiles[j].substance_days = r.get(1)?;
        }
    }
    Ok(out)
}

/// Adds L §3.1 area ratings to a profile that has none for those areas (the coordinator
/// rating the mentoring outcomes on a profile the key worker recorded).
pub fn add_area_ratings(
    tx: &Tx,
    profile_id: &str,
    ratings: &[crate::domain::assessment::AreaRating],
) -> Result<()> {
    for r in ratings {
        let field = format!("ratings.{}", r.area);
        if crate::domain::assessment::outcome_area(&r.area).is_none() {
            return Err(refuse(
                &field,
                "expected one of the seven outcome areas of L §3.1",
            ));
        }
        if !(0..=20).contains(&r.rating) {
            return Err(refuse(&field, "a rating is 0 (worst) to 20 (best)"));
        }
        let held: i64 = tx.conn().query_row(
            "SELECT count(*) FROM outcome_ratings WHERE profile_id = ?1 AND area = ?2",
            params![profile_id, r.area],
            |row| row.get(0),
        )?;
        if held > 0 {
            return Err(refuse(&field, "this profile already rates the area"));
        }
    }
    for r in ratings {
        tx.insert(
            "outcome_ratings",
            &new_id(),
            &[
                ("profile_id", text(profile_id)),
                ("area", text(&r.area)),
                ("rating", int(i64::from(r.rating))),
            ],
        )?;
    }
    Ok(())
}

/// A match's missed sessions not yet followed up (by a later attended session), oldest first.
pub fn missed_sessions_open(store: &Store, match_id: &str) -> Result<Vec<NaiveDate>> {
    let mut stmt = store.conn().prepare(
        "SELECT c.date FROM mentor_sessions m JOIN contacts c ON c.id = m.contact_id
         WHERE m.match_id = ?1 AND m.in_error_at IS NULL AND c.in_error_at IS NULL
           AND c.did_not_attend = 1 AND c.dna_followed_up_on IS NULL ORDER BY c.date",
    )?;
    let rows = stmt.query_map([match_id], |r| get_date(r, 0))?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Telephone messages not yet answered (L §6.2), oldest first: what the coordinator answers.
pub fn unanswered_messages(store: &Store) -> Result<Vec<TelephoneMessage>> {
    let mut stmt = store.conn().prepare(
        "SELECT id, received_on, from_whom, young_person_id, about FROM telephone_messages
         WHERE answered_on IS NULL AND in_error_at IS NULL ORDER BY received_on, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(TelephoneMessage {
            id: r.get(0)?,
            received_on: get_date(r, 1)?.unwrap_or_default(),
            from_whom: r.get(2)?,
            young_person_id: r.get(3)?,
            about: r.get(4)?,
            answered_on: None,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The group programme sessions and workshops a young person attended (L §7.2), by date.
pub fn events_attended_by(store: &Store, young_person_id: &str) -> Result<Vec<MentoringEvent>> {
    let mut stmt = store.conn().prepare(
        "SELECT ev.id, ev.kind, ev.date, ev.title, ev.facilitator
         FROM mentoring_event_attendance a JOIN mentoring_events ev ON ev.id = a.event_id
         WHERE a.young_person_id = ?1 AND a.in_error_at IS NULL AND ev.in_error_at IS NULL
         ORDER BY ev.date, ev.id",
    )?;
    let rows = stmt.query_map([young_person_id], |r| {
        Ok(MentoringEvent {
            id: r.get(0)?,
            kind: r.get(1)?,
            date: get_date(r, 2)?.unwrap_or_default(),
            title: r.get(3)?,
            facilitator: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The mentoring records that may be marked entered in error, as `casebook mentors in-error
/// --record` names them, with their tables.
pub const IN_ERROR_RECORDS: [(&str, &str); 7] = [
    ("session", "mentor_sessions"),
    ("match", "mentor_matches"),
    ("event", "mentoring_events"),
    ("complaint", "complaints"),
    ("message", "telephone_messages"),
    ("drive", "recruitment_drives"),
    ("mentor", "mentors"),
];

/// Marks a mentoring record entered in error with the reason (it stays in the file, audited);
/// it no longer counts in the Leicester return or starts or stops a clock.
pub fn mark_in_error(tx: &Tx, record: &str, id: &str, reason: &str) -> Result<()> {
    let Some((_, table)) = IN_ERROR_RECORDS.iter().find(|(r, _)| *r == record.trim()) else {
        let known: Vec<&str> = IN_ERROR_RECORDS.iter().map(|(r, _)| *r).collect();
        return Err(refuse(
            "record",
            format!(
                "'{record}' is not a mentoring record: expected one of {}",
                known.join(", ")
            ),
        ));
    };
    tx.mark_in_error(table, id, reason)
}
