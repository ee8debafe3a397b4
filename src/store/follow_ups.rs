//! Follow-ups after exit and closed after-exit clocks (issue 17), and the small table of exited
//! episodes whose after-exit work may still be open, which [`Tx`] keeps on every write that
//! can change it so the due-list never reads every closed episode.

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

use super::values::*;
use super::{Store, Tx};
use crate::domain::clocks::DueKind;
use crate::domain::follow_up::FollowUp;
use crate::domain::ids::new_id;
use crate::domain::record::ClosedClock;

/// Which follow-ups meet a clock: "reached", and the rows from before outcomes were recorded
/// (they were follow-ups done). The store keeps to the codes, which cannot be overridden.
pub(crate) const REACHED_SQL: &str = "coalesce(f.outcome, 'reached') = 'reached'";

/// Tables whose writes can open or settle an episode's after-exit work.
pub(crate) const AFTER_EXIT_TABLES: &[&str] = &[
    "episodes",
    "follow_ups",
    "outcome_profiles",
    "clock_closures",
];

/// Recomputes whether `episode_id` belongs in `after_exit_open`: exited, not in error, and
/// not yet settled. Settled = the exit TOP met (a TOP from 14 days before the exit on) or
/// closed, and both follow-ups met or closed (reached follow-ups after the exit day plus
/// closed follow-up clocks come to two). The same rules as the clocks, so the table never
/// drops an episode the due-list would show; it may keep an unplanned exit, which has no
/// after-exit clocks, and the due-list reads only planned reasons.
pub(crate) fn refresh_after_exit(conn: &Connection, episode_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM after_exit_open WHERE episode_id = ?1")?
        .execute([episode_id])?;
    conn.prepare_cached(&format!(
        "INSERT INTO after_exit_open (episode_id, exit_reason, exit_date)
         SELECT e.id, coalesce(e.exit_reason, ''), e.exit_date FROM episodes e
          WHERE e.id = ?1 AND e.exit_date IS NOT NULL AND e.in_error_at IS NULL AND NOT (
                (EXISTS (SELECT 1 FROM outcome_profiles t WHERE t.episode_id = e.id
                            AND t.in_error_at IS NULL AND t.date >= date(e.exit_date, '-14 days'))
                 OR EXISTS (SELECT 1 FROM clock_closures c WHERE c.episode_id = e.id
                            AND c.in_error_at IS NULL AND c.clock = 'top_exit'))
            AND (SELECT count(DISTINCT f.date) FROM follow_ups f WHERE f.episode_id = e.id
                    AND f.in_error_at IS NULL AND f.date > e.exit_date AND {REACHED_SQL})
              + (SELECT count(DISTINCT c.clock) FROM clock_closures c WHERE c.episode_id = e.id
                    AND c.in_error_at IS NULL AND c.clock IN ('follow_up_3m', 'follow_up_6m'))
                >= 2)"
    ))?
    .execute([episode_id])?;
    Ok(())
}

/// The episode a row of `table` belongs to (the row itself for `episodes`).
pub(crate) fn episode_of_row(conn: &Connection, table: &str, id: &str) -> Result<Option<String>> {
    if table == "episodes" {
        return Ok(Some(id.to_string()));
    }
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("SELECT episode_id FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Records a follow-up; with `closes`, closes that clock in the same transaction, the
/// follow-up's outcome as the reason. Returns the follow-up's ID.
pub fn record_follow_up(
    tx: &Tx,
    episode_id: &str,
    f: &FollowUp,
    closes: Option<(DueKind, String)>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "follow_ups",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(f.date)),
            ("note", opt_text(f.note.as_deref())),
            ("worker_id", text(tx.actor())),
            ("method", text(&f.method)),
            ("outcome", text(&f.outcome)),
            ("substance_use", opt_text(f.substance_use.as_deref())),
            ("re_referral", opt_bool(f.re_referral)),
            ("reason", opt_text(f.reason.as_deref())),
        ],
    )?;
    if let Some((kind, reason)) = closes {
        close_clock(tx, episode_id, kind, f.date, &reason, Some(&id))?;
    }
    Ok(id)
}

/// Records a follow-up that reached the young person, with nothing else known (the register
/// import's `follow_up_dates`).
pub fn record_reached(tx: &Tx, episode_id: &str, on: NaiveDate) -> Result<String> {
    let id = new_id();
    tx.insert(
        "follow_ups",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(on)),
            ("worker_id", text(tx.actor())),
            ("outcome", text(crate::domain::follow_up::REACHED)),
        ],
    )?;
    Ok(id)
}

/// Closes an after-exit clock with the worker's reason. The caller checks that the clock is
/// an after-exit one and open (`crate::domain::follow_up`).
pub fn close_clock(
    tx: &Tx,
    episode_id: &str,
    kind: DueKind,
    on: NaiveDate,
    reason: &str,
    follow_up_id: Option<&str>,
) -> Result<String> {
    let id = new_id();
    tx.insert(
        "clock_closures",
        &id,
        &[
            ("episode_id", text(episode_id)),
            ("clock", text(kind.code())),
            ("closed_on", date(on)),
            ("reason", text(reason)),
            ("follow_up_id", opt_text(follow_up_id)),
            ("worker_id", text(tx.actor())),
        ],
    )?;
    Ok(id)
}

/// One follow-up attempt as the case view and the follow-up form list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpRecord {
    pub id: String,
    pub episode_id: String,
    pub date: NaiveDate,
    /// `None` on follow-ups recorded before methods were.
    pub method: Option<String>,
    /// `None` on follow-ups recorded before outcomes were: read as reached.
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub substance_use: Option<String>,
    pub re_referral: Option<bool>,
    pub reason: Option<String>,
    pub worker: Option<String>,
}

/// A closed after-exit clock as the case history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosureRecord {
    pub id: String,
    pub episode_id: String,
    /// The clock's code (`follow_up_3m`, ...).
    pub clock: String,
    pub closed_on: NaiveDate,
    pub reason: String,
    /// Set when a follow-up's closing outcome closed it.
    pub follow_up_id: Option<String>,
    pub worker: Option<String>,
}

/// A young person's follow-ups and closed clocks, newest first: the case history's entries
/// for after-exit work, with the previous attempts the follow-up form shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AfterExitHistory {
    pub follow_ups: Vec<FollowUpRecord>,
    pub closures: Vec<ClosureRecord>,
}

/// Every follow-up and closed clock of a young person's episodes (not in error), newest first.
pub fn after_exit_history(store: &Store, young_person_id: &str) -> Result<AfterExitHistory> {
    let conn = store.conn();
    let mut out = AfterExitHistory::default();
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.episode_id, f.date, f.method, f.outcome, f.note, f.substance_use,
                f.re_referral, f.reason, w.name
           FROM follow_ups f JOIN episodes e ON e.id = f.episode_id
           LEFT JOIN workers w ON w.id = f.worker_id
          WHERE e.young_person_id = ?1 AND e.in_error_at IS NULL AND f.in_error_at IS NULL
          ORDER BY f.date DESC, f.created_at DESC, f.id DESC",
    )?;
    let mut rows = stmt.query([young_person_id])?;
    while let Some(r) = rows.next()? {
        out.follow_ups.push(FollowUpRecord {
            id: r.get(0)?,
            episode_id: r.get(1)?,
            date: get_date(r, 2)?.unwrap_or_default(),
            method: r.get(3)?,
            outcome: r.get(4)?,
            note: r.get(5)?,
            substance_use: r.get(6)?,
            re_referral: get_bool(r, 7)?,
            reason: r.get(8)?,
            worker: r.get(9)?,
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.episode_id, c.clock, c.closed_on, c.reason, c.follow_up_id, w.name
           FROM clock_closures c JOIN episodes e ON e.id = c.episode_id
           LEFT JOIN workers w ON w.id = c.worker_id
          WHERE e.young_person_id = ?1 AND e.in_error_at IS NULL AND c.in_error_at IS NULL
          ORDER BY c.closed_on DESC, c.created_at DESC, c.id DESC",
    )?;
    let mut rows = stmt.query([young_person_id])?;
    while let Some(r) = rows.next()? {
        out.closures.push(ClosureRecord {
            id: r.get(0)?,
            episode_id: r.get(1)?,
            clock: r.get(2)?,
            closed_on: get_date(r, 3)?.unwrap_or_default(),
            reason: r.get(4)?,
            follow_up_id: r.get(5)?,
            worker: r.get(6)?,
        });
    }
    Ok(out)
}

/// The closed after-exit clocks of one episode (for its clocks).
pub fn closed_clocks_of(store: &Store, episode_id: &str) -> Result<Vec<ClosedClock>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT clock, closed_on, reason FROM clock_closures
          WHERE episode_id = ?1 AND in_error_at IS NULL ORDER BY closed_on, id",
    )?;
    let mut rows = stmt.query(params![episode_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if let Some(c) = closed_from(&r.get::<_, String>(0)?, get_date(r, 1)?, r.get(2)?) {
            out.push(c);
        }
    }
    Ok(out)
}

pub(crate) fn closed_from(
    clock: &str,
    on: Option<NaiveDate>,
    reason: String,
) -> Option<ClosedClock> {
    Some(ClosedClock {
        kind: DueKind::from_code(clock)?,
        on: on?,
        reason,
    })
}

/// How many exited episodes the due-list may read for after-exit work (for tests and
/// `casebook check`).
pub fn after_exit_open_count(store: &Store) -> Result<i64> {
    Ok(store
        .conn()
        .query_row("SELECT count(*) FROM after_exit_open", [], |r| r.get(0))?)
}
