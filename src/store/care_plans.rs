//! Integrated care plans (S §8.6–8.8, §16) and reviews (S §8.9.5) in SQLite.
//!
//! The current plan (the latest version) loads in three queries. Edits are small audited
//! writes, one per keystroke-sized change (`add_goal`, `move_goal`, `set_action_status`, ...),
//! so a keyboard screen can save as it goes. Only the current version can be edited: a review
//! makes the next version and leaves the old one as it was.
//!
//! A refused edit comes back as an error wrapping [`Invalid`]
//! (`err.downcast_ref::<Invalid>()`) with a message per field, and nothing is written.

use anyhow::{bail, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::assessments::{episode_in, insert_outcome_profile, refuse};
use super::records::add_review;
use super::values::*;
use super::{Store, Tx};
use crate::domain::assessment::{check_event_date, Occasion, RiskDomain};
use crate::domain::care_plan::{
    check_target_date, next_version, validate_goal, validate_support_level, Action, BudgetItem,
    CarePlan, Direction, Goal, PlanHeader, PlanVersion, Review, ReviewForm,
};
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::ids::new_id;
use crate::domain::record::Role;
use crate::domain::validate::Problems;

/// A plan version's ID and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRef {
    pub id: String,
    pub version: u32,
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

const PLAN_COLS: &str = "id, episode_id, version, date, support_level, interim, signed_off_by, \
    signed_off_on, spend_approved_by, spend_approved_on, review_id";

fn plan_row(r: &Row) -> rusqlite::Result<CarePlan> {
    Ok(CarePlan {
        id: r.get(0)?,
        episode_id: r.get(1)?,
        version: r.get::<_, i64>(2)?.max(0) as u32,
        date: get_date(r, 3)?.unwrap_or_default(),
        support_level: r.get::<_, Option<i64>>(4)?.map(|l| l.clamp(0, 255) as u8),
        interim: get_bool(r, 5)?.unwrap_or(false),
        signed_off_by: r.get(6)?,
        signed_off_on: get_date(r, 7)?,
        spend_approved_by: r.get(8)?,
        spend_approved_on: get_date(r, 9)?,
        review_id: r.get(10)?,
        goals: Vec::new(),
        budget_items: Vec::new(),
    })
}

/// Goals with their actions (one joined query) and the costed items (one query).
fn fill_plan(conn: &Connection, plan: &mut CarePlan) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.domain, g.goal, g.progress,
                a.id, a.what, a.owner_kind, a.owner_name, a.target_date, a.status, a.risk_domain
         FROM care_plan_goals g LEFT JOIN care_plan_actions a ON a.goal_id = g.id
         WHERE g.care_plan_id = ?1
         ORDER BY g.position, g.id, a.position, a.id",
    )?;
    let mut rows = stmt.query([&plan.id])?;
    while let Some(r) = rows.next()? {
        let gid: String = r.get(0)?;
        if plan.goals.last().is_none_or(|g| g.id != gid) {
            plan.goals.push(Goal {
                id: gid,
                domain: r.get(1)?,
                goal: r.get(2)?,
                progress: r.get(3)?,
                actions: Vec::new(),
            });
        }
        if let Some(aid) = r.get::<_, Option<String>>(4)? {
            let risk: Option<String> = r.get(10)?;
            let action = Action {
                id: aid,
                what: r.get(5)?,
                owner_kind: r.get(6)?,
                owner_name: r.get(7)?,
                target_date: get_date(r, 8)?,
                status: r.get(9)?,
                risk_domain: risk.as_deref().and_then(RiskDomain::from_code),
            };
            if let Some(g) = plan.goals.last_mut() {
                g.actions.push(action);
            }
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, description, budget, amount_pence FROM care_plan_budget_items
         WHERE care_plan_id = ?1 ORDER BY position, id",
    )?;
    plan.budget_items = stmt
        .query_map([&plan.id], |r| {
            Ok(BudgetItem {
                id: r.get(0)?,
                description: r.get(1)?,
                budget: r.get(2)?,
                amount_pence: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(())
}

fn load_where(
    conn: &Connection,
    where_sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Option<CarePlan>> {
    let plan = conn
        .prepare_cached(&format!(
            "SELECT {PLAN_COLS} FROM care_plans WHERE {where_sql} AND in_error_at IS NULL
             ORDER BY version DESC LIMIT 1"
        ))?
        .query_row(args, plan_row)
        .optional()?;
    match plan {
        Some(mut p) => {
            fill_plan(conn, &mut p)?;
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

fn current_in(conn: &Connection, episode_id: &str) -> Result<Option<CarePlan>> {
    load_where(conn, "episode_id = ?1", &[&episode_id])
}

/// The episode's current care plan (its latest version) with goals, actions and costed items,
/// in three queries.
pub fn current_plan(store: &Store, episode_id: &str) -> Result<Option<CarePlan>> {
    current_in(store.conn(), episode_id)
}

/// One version of an episode's plan, old or current, as it was.
pub fn plan_version(store: &Store, episode_id: &str, version: u32) -> Result<Option<CarePlan>> {
    load_where(
        store.conn(),
        "episode_id = ?1 AND version = ?2",
        &[&episode_id, &i64::from(version)],
    )
}

/// A plan version by its ID.
pub fn plan(store: &Store, plan_id: &str) -> Result<Option<CarePlan>> {
    load_where(store.conn(), "id = ?1", &[&plan_id])
}

/// The episode's plan versions, newest first.
pub fn plan_versions(store: &Store, episode_id: &str) -> Result<Vec<PlanVersion>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT id, version, date, interim, review_id, signed_off_by IS NOT NULL FROM care_plans
         WHERE episode_id = ?1 AND in_error_at IS NULL ORDER BY version DESC",
    )?;
    let rows = stmt.query_map([episode_id], |r| {
        Ok(PlanVersion {
            id: r.get(0)?,
            version: r.get::<_, i64>(1)?.max(0) as u32,
            date: get_date(r, 2)?.unwrap_or_default(),
            interim: get_bool(r, 3)?.unwrap_or(false),
            review_id: r.get(4)?,
            signed_off: get_bool(r, 5)?.unwrap_or(false),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The episode's reviews, oldest first.
pub fn reviews_of(store: &Store, episode_id: &str) -> Result<Vec<Review>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT id, episode_id, date, participants, notes, worker_id FROM reviews
         WHERE episode_id = ?1 AND in_error_at IS NULL ORDER BY date, created_at, id",
    )?;
    let rows = stmt.query_map([episode_id], |r| {
        Ok(Review {
            id: r.get(0)?,
            episode_id: r.get(1)?,
            date: get_date(r, 2)?.unwrap_or_default(),
            participants: r.get(3)?,
            notes: r.get(4)?,
            worker_id: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------------------------------------
// Writing: whole plans
// ---------------------------------------------------------------------------------------------

/// Writes `plan` as a new version with all its goals, actions and costed items.
fn insert_plan(tx: &Tx, plan: &CarePlan) -> Result<PlanRef> {
    let id = new_id();
    tx.insert(
        "care_plans",
        &id,
        &[
            ("episode_id", text(&plan.episode_id)),
            ("version", int(i64::from(plan.version))),
            ("date", date(plan.date)),
            ("support_level", opt_int(plan.support_level.map(i64::from))),
            ("interim", boolean(plan.interim)),
            ("signed_off_by", opt_text(plan.signed_off_by.as_deref())),
            ("signed_off_on", opt_date(plan.signed_off_on)),
            (
                "spend_approved_by",
                opt_text(plan.spend_approved_by.as_deref()),
            ),
            ("spend_approved_on", opt_date(plan.spend_approved_on)),
            ("review_id", opt_text(plan.review_id.as_deref())),
        ],
    )?;
    for (gi, g) in plan.goals.iter().enumerate() {
        let gid = new_id();
        insert_goal(tx, &id, &gid, gi as i64 + 1, g)?;
        for (ai, a) in g.actions.iter().enumerate() {
            insert_action(tx, &gid, &new_id(), ai as i64 + 1, a)?;
        }
    }
    for (bi, b) in plan.budget_items.iter().enumerate() {
        insert_budget_item(tx, &id, &new_id(), bi as i64 + 1, b)?;
    }
    Ok(PlanRef {
        id,
        version: plan.version,
    })
}

fn insert_goal(tx: &Tx, plan_id: &str, id: &str, position: i64, g: &Goal) -> Result<()> {
    tx.insert(
        "care_plan_goals",
        id,
        &[
            ("care_plan_id", text(plan_id)),
            ("position", int(position)),
            ("domain", text(&g.domain)),
            ("goal", text(g.goal.trim())),
            ("progress", opt_text(g.progress.as_deref())),
        ],
    )
}

fn action_columns(a: &Action) -> Vec<(&'static str, rusqlite::types::Value)> {
    vec![
        ("what", text(a.what.trim())),
        ("owner_kind", text(&a.owner_kind)),
        ("owner_name", opt_text(a.owner_name.as_deref())),
        ("target_date", opt_date(a.target_date)),
        ("status", text(&a.status)),
        ("risk_domain", opt_text(a.risk_domain.map(RiskDomain::code))),
    ]
}

fn insert_action(tx: &Tx, goal_id: &str, id: &str, position: i64, a: &Action) -> Result<()> {
    let mut cols = vec![("goal_id", text(goal_id)), ("position", int(position))];
    cols.extend(action_columns(a));
    tx.insert("care_plan_actions", id, &cols)
}

fn insert_budget_item(
    tx: &Tx,
    plan_id: &str,
    id: &str,
    position: i64,
    b: &BudgetItem,
) -> Result<()> {
    tx.insert(
        "care_plan_budget_items",
        id,
        &[
            ("care_plan_id", text(plan_id)),
            ("position", int(position)),
            ("description", text(b.description.trim())),
            ("budget", text(&b.budget)),
            ("amount_pence", int(b.amount_pence)),
        ],
    )
}

/// The next free version number (versions entered in error keep theirs).
fn next_version_number(conn: &Connection, episode_id: &str) -> Result<u32> {
    let max: Option<i64> = conn
        .prepare_cached("SELECT max(version) FROM care_plans WHERE episode_id = ?1")?
        .query_row([episode_id], |r| r.get(0))?;
    Ok(max.unwrap_or(0).max(0) as u32 + 1)
}

/// Makes the episode's care plan from `header`. With no plan yet this is version 1. When the
/// current plan is interim (made at triage, S §8.4.2) and `header` is not, the integrated plan
/// becomes the next version, keeping the interim plan's goals, actions and costed items.
/// Otherwise the episode already has its plan: edit it, or record a review.
/// The first integrated (non-interim) plan's date becomes the episode's `care_plan_date`
/// when that is empty (KPI 4a).
pub fn create_plan(
    tx: &Tx,
    episode_id: &str,
    header: &PlanHeader,
    today: NaiveDate,
) -> Result<PlanRef> {
    let episode = episode_in(tx.conn(), episode_id)?;
    header.validate(&episode, today).into_result()?;
    let current = current_in(tx.conn(), episode_id)?;
    let mut plan = CarePlan {
        id: String::new(),
        episode_id: episode_id.to_string(),
        version: next_version_number(tx.conn(), episode_id)?,
        date: header.date,
        support_level: header.support_level,
        interim: header.interim,
        goals: Vec::new(),
        budget_items: Vec::new(),
        signed_off_by: None,
        signed_off_on: None,
        spend_approved_by: None,
        spend_approved_on: None,
        review_id: None,
    };
    match current {
        None => {}
        Some(cur) if cur.interim && !header.interim => {
            if header.date < cur.date {
                return Err(refuse(
                    "date",
                    format!(
                        "{} is before the interim plan ({}): the care plan follows it",
                        header.date, cur.date
                    ),
                ));
            }
            let mut copy = next_version(&cur, &ReviewForm::new(header.date));
            copy.version = plan.version;
            plan.goals = copy.goals;
            plan.budget_items = copy.budget_items;
            plan.spend_approved_by = copy.spend_approved_by;
            plan.spend_approved_on = copy.spend_approved_on;
        }
        Some(cur) => {
            return Err(refuse(
                "plan",
                format!(
                    "this episode already has a care plan (version {}): edit it, or record a review to make the next version",
                    cur.version
                ),
            ))
        }
    }
    let r = insert_plan(tx, &plan)?;
    if !header.interim && episode.care_plan_date.is_none() {
        tx.update(
            "episodes",
            episode_id,
            &[("care_plan_date", date(header.date))],
        )?;
    }
    Ok(r)
}

/// What the write guard knows about the plan being edited.
struct Editable {
    id: String,
    episode_id: String,
    date: NaiveDate,
    interim: bool,
    review_id: Option<String>,
    spend_approved: bool,
}

/// Refuses edits to anything but the current version of a plan.
fn editable(conn: &Connection, plan_id: &str) -> Result<Editable> {
    let row = conn
        .prepare_cached(
            "SELECT p.id, p.episode_id, p.date, p.interim, p.review_id,
                    p.spend_approved_by IS NOT NULL, p.version,
                    (SELECT max(q.version) FROM care_plans q
                     WHERE q.episode_id = p.episode_id AND q.in_error_at IS NULL)
             FROM care_plans p WHERE p.id = ?1 AND p.in_error_at IS NULL",
        )?
        .query_row([plan_id], |r| {
            Ok((
                Editable {
                    id: r.get(0)?,
                    episode_id: r.get(1)?,
                    date: get_date(r, 2)?.unwrap_or_default(),
                    interim: get_bool(r, 3)?.unwrap_or(false),
                    review_id: r.get(4)?,
                    spend_approved: get_bool(r, 5)?.unwrap_or(false),
                },
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
            ))
        })
        .optional()?;
    match row {
        None => bail!("no care plan with id {plan_id} (or it was entered in error)"),
        Some((_, version, Some(latest))) if version < latest => Err(refuse(
            "version",
            format!(
                "version {version} is kept as it was at its review: edit the current version ({latest})"
            ),
        )),
        Some((e, _, _)) => Ok(e),
    }
}

fn plan_of_goal(conn: &Connection, goal_id: &str) -> Result<String> {
    match conn
        .prepare_cached("SELECT care_plan_id FROM care_plan_goals WHERE id = ?1")?
        .query_row([goal_id], |r| r.get(0))
        .optional()?
    {
        Some(p) => Ok(p),
        None => bail!("no care plan goal with id {goal_id}"),
    }
}

/// The action's goal and plan.
fn owners_of_action(conn: &Connection, action_id: &str) -> Result<(String, String)> {
    match conn
        .prepare_cached(
            "SELECT g.id, g.care_plan_id FROM care_plan_actions a
             JOIN care_plan_goals g ON g.id = a.goal_id WHERE a.id = ?1",
        )?
        .query_row([action_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    {
        Some(x) => Ok(x),
        None => bail!("no care plan action with id {action_id}"),
    }
}

fn next_position(conn: &Connection, table: &str, parent_col: &str, parent: &str) -> Result<i64> {
    let sql = format!("SELECT coalesce(max(position), 0) + 1 FROM {table} WHERE {parent_col} = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([parent], |r| r.get(0))?)
}

/// Swaps a row with its neighbour above or below; `false` when it is already at that end.
fn move_row(
    tx: &Tx,
    table: &'static str,
    parent_col: &str,
    id: &str,
    dir: Direction,
) -> Result<bool> {
    let (parent, pos): (String, i64) = tx.conn().query_row(
        &format!("SELECT {parent_col}, position FROM {table} WHERE id = ?1"),
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (cmp, order) = match dir {
        Direction::Up => ("<", "DESC"),
        Direction::Down => (">", "ASC"),
    };
    let neighbour: Option<(String, i64)> = tx
        .conn()
        .prepare_cached(&format!(
            "SELECT id, position FROM {table} WHERE {parent_col} = ?1 AND position {cmp} ?2
             ORDER BY position {order}, id LIMIT 1"
        ))?
        .query_row(params![parent, pos], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((other, other_pos)) = neighbour else {
        return Ok(false);
    };
    tx.update(table, id, &[("position", int(other_pos))])?;
    tx.update(table, &other, &[("position", int(pos))])?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Writing: the header, sign-off and approval
// ---------------------------------------------------------------------------------------------

/// Sets the level of support (1–4, S §8.6.4) on the current version.
pub fn set_support_level(tx: &Tx, plan_id: &str, level: Option<u8>) -> Result<()> {
    let e = editable(tx.conn(), plan_id)?;
    validate_support_level(level, e.interim).into_result()?;
    tx.update(
        "care_plans",
        plan_id,
        &[("support_level", opt_int(level.map(i64::from)))],
    )?;
    Ok(())
}

/// Corrects the date of a plan not made by a review (a reviewed version is dated by its
/// review). Keeps the episode's `care_plan_date` in step when it was this plan's date.
pub fn set_plan_date(tx: &Tx, plan_id: &str, on: NaiveDate, today: NaiveDate) -> Result<()> {
    let e = editable(tx.conn(), plan_id)?;
    if e.review_id.is_some() {
        return Err(refuse(
            "date",
            "this version was made by a review and carries the review's date",
        ));
    }
    let episode = episode_in(tx.conn(), &e.episode_id)?;
    let mut p = Problems::default();
    check_event_date(&mut p, "date", "a care plan", on, &episode, today);
    p.into_result()?;
    tx.update("care_plans", plan_id, &[("date", date(on))])?;
    if !e.interim && episode.care_plan_date == Some(e.date) {
        tx.update("episodes", &e.episode_id, &[("care_plan_date", date(on))])?;
    }
    Ok(())
}

fn active_worker(conn: &Connection, worker_id: &str) -> Result<Option<(String, Vec<Role>, bool)>> {
    Ok(super::people::worker_in(conn, worker_id)?.map(|w| (w.name, w.roles, w.active)))
}

/// Records the assessor's sign-off of the current version (S §16.2) on `on`. The plan must be
/// complete: at least one goal, and every field valid ([`CarePlan::validate`]).
pub fn sign_off(
    tx: &Tx,
    plan_id: &str,
    assessor_id: &str,
    on: NaiveDate,
    codes: &CodeLists,
) -> Result<()> {
    let e = editable(tx.conn(), plan_id)?;
    match active_worker(tx.conn(), assessor_id)? {
        Some((_, _, true)) => {}
        Some((name, _, false)) => {
            return Err(refuse(
                "signed_off_by",
                format!("{name} is no longer an active worker"),
            ))
        }
        None => return Err(refuse("signed_off_by", "no such worker")),
    }
    if on < e.date {
        return Err(refuse(
            "signed_off_on",
            format!("{on} is before the plan's date ({})", e.date),
        ));
    }
    let Some(plan) = load_where(tx.conn(), "id = ?1", &[&plan_id])? else {
        bail!("no care plan with id {plan_id}");
    };
    let mut p = plan.validate(codes);
    if plan.goals.is_empty() {
        p.push(
            "goals",
            "a plan needs at least one goal before it is signed off",
        );
    }
    p.into_result()?;
    tx.update(
        "care_plans",
        plan_id,
        &[
            ("signed_off_by", text(assessor_id)),
            ("signed_off_on", date(on)),
        ],
    )?;
    Ok(())
}

/// Records a manager's approval of the plan's costed spend (S §8.8.3) on `on`. Only a worker
/// whose role is `manager` may approve, and only under their own name (the transaction's
/// actor). Refused when nothing is costed.
pub fn approve_spend(tx: &Tx, plan_id: &str, manager_id: &str, on: NaiveDate) -> Result<()> {
    let e = editable(tx.conn(), plan_id)?;
    match active_worker(tx.conn(), manager_id)? {
        None => return Err(refuse("spend_approved_by", "no such worker")),
        Some((name, _, false)) => {
            return Err(refuse(
                "spend_approved_by",
                format!("{name} is no longer an active worker"),
            ))
        }
        Some((name, roles, true))
            if !crate::domain::roles::may(
                &roles,
                crate::domain::roles::Permission::ApproveSpend,
            ) =>
        {
            let held: Vec<&str> = roles.iter().map(|r| r.label()).collect();
            return Err(refuse(
                "spend_approved_by",
                format!(
                    "only a manager may approve spend (S §8.8.3); {name} is {}",
                    held.join(", ")
                ),
            ));
        }
        Some(_) => {}
    }
    if manager_id != tx.actor() {
        return Err(refuse(
            "spend_approved_by",
            "a manager approves spend signed in as themselves",
        ));
    }
    if on < e.date {
        return Err(refuse(
            "spend_approved_on",
            format!("{on} is before the plan's date ({})", e.date),
        ));
    }
    let total: i64 = tx
        .conn()
        .prepare_cached(
            "SELECT coalesce(sum(amount_pence), 0) FROM care_plan_budget_items WHERE care_plan_id = ?1",
        )?
        .query_row([plan_id], |r| r.get(0))?;
    if total == 0 {
        return Err(refuse(
            "budget_items",
            "nothing is costed on this plan: there is no spend to approve",
        ));
    }
    tx.update(
        "care_plans",
        plan_id,
        &[
            ("spend_approved_by", text(manager_id)),
            ("spend_approved_on", date(on)),
        ],
    )?;
    Ok(())
}

/// A change to the costed items withdraws an approval given before it.
fn withdraw_approval(tx: &Tx, e: &Editable) -> Result<()> {
    if e.spend_approved {
        tx.update(
            "care_plans",
            &e.id,
            &[
                ("spend_approved_by", rusqlite::types::Value::Null),
                ("spend_approved_on", rusqlite::types::Value::Null),
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing: goals, actions, costed items
// ---------------------------------------------------------------------------------------------

/// Adds a goal at the end of the current version; returns its ID. Fields: `domain`, `goal`.
pub fn add_goal(
    tx: &Tx,
    plan_id: &str,
    domain: &str,
    goal: &str,
    codes: &CodeLists,
) -> Result<String> {
    editable(tx.conn(), plan_id)?;
    validate_goal(domain, goal, codes).into_result()?;
    let domain = codes
        .check(ListName::LifeDomains, domain)
        .unwrap_or_default();
    let id = new_id();
    let position = next_position(tx.conn(), "care_plan_goals", "care_plan_id", plan_id)?;
    insert_goal(
        tx,
        plan_id,
        &id,
        position,
        &Goal {
            id: id.clone(),
            domain,
            goal: goal.to_string(),
            progress: None,
            actions: Vec::new(),
        },
    )?;
    Ok(id)
}

/// Changes a goal's domain and wording.
pub fn edit_goal(
    tx: &Tx,
    goal_id: &str,
    domain: &str,
    goal: &str,
    codes: &CodeLists,
) -> Result<()> {
    editable(tx.conn(), &plan_of_goal(tx.conn(), goal_id)?)?;
    validate_goal(domain, goal, codes).into_result()?;
    let domain = codes
        .check(ListName::LifeDomains, domain)
        .unwrap_or_default();
    tx.update(
        "care_plan_goals",
        goal_id,
        &[("domain", text(domain)), ("goal", text(goal.trim()))],
    )?;
    Ok(())
}

/// Notes progress on a goal (blank clears it).
pub fn set_goal_progress(tx: &Tx, goal_id: &str, progress: &str) -> Result<()> {
    editable(tx.conn(), &plan_of_goal(tx.conn(), goal_id)?)?;
    tx.update(
        "care_plan_goals",
        goal_id,
        &[("progress", opt_text(Some(progress)))],
    )?;
    Ok(())
}

/// Moves a goal one place up or down; `false` when it is already first or last.
pub fn move_goal(tx: &Tx, goal_id: &str, dir: Direction) -> Result<bool> {
    editable(tx.conn(), &plan_of_goal(tx.conn(), goal_id)?)?;
    move_row(tx, "care_plan_goals", "care_plan_id", goal_id, dir)
}

/// Adds an action at the end of a goal; returns its ID. Fields: `what`, `owner_kind`,
/// `owner_name` (required for another agency), `status`, `target_date` (not before the plan).
pub fn add_action(tx: &Tx, goal_id: &str, action: &Action, codes: &CodeLists) -> Result<String> {
    let e = editable(tx.conn(), &plan_of_goal(tx.conn(), goal_id)?)?;
    let a = checked_action(action, None, e.date, codes)?;
    let id = new_id();
    let position = next_position(tx.conn(), "care_plan_actions", "goal_id", goal_id)?;
    insert_action(tx, goal_id, &id, position, &a)?;
    Ok(id)
}

/// Validates an action; a target date is checked against the plan only when it is new or
/// changed (a copied action may keep a date before a later version's date).
fn checked_action(
    a: &Action,
    old_target: Option<Option<NaiveDate>>,
    plan_date: NaiveDate,
    codes: &CodeLists,
) -> Result<Action> {
    let mut p = a.validate(codes);
    if old_target != Some(a.target_date) {
        if let Err(m) = check_target_date(a.target_date, plan_date) {
            p.push("target_date", m);
        }
    }
    p.into_result()?;
    let mut a = a.clone();
    a.owner_kind = codes
        .check(ListName::ActionOwners, &a.owner_kind)
        .map_err(|m| refuse("owner_kind", m))?;
    a.status = codes
        .check(ListName::ActionStatus, &a.status)
        .map_err(|m| refuse("status", m))?;
    Ok(a)
}

fn target_of(conn: &Connection, action_id: &str) -> Result<Option<NaiveDate>> {
    let t: Option<String> = conn
        .prepare_cached("SELECT target_date FROM care_plan_actions WHERE id = ?1")?
        .query_row([action_id], |r| r.get(0))?;
    Ok(t.as_deref().and_then(parse_date))
}

/// Saves every field of an action (found by its `id`).
pub fn update_action(tx: &Tx, action: &Action, codes: &CodeLists) -> Result<()> {
    let (_, plan_id) = owners_of_action(tx.conn(), &action.id)?;
    let e = editable(tx.conn(), &plan_id)?;
    let old = target_of(tx.conn(), &action.id)?;
    let a = checked_action(action, Some(old), e.date, codes)?;
    tx.update("care_plan_actions", &action.id, &action_columns(&a))?;
    Ok(())
}

/// Sets an action's status (a code or label from `action_status`, e.g. `done`).
pub fn set_action_status(tx: &Tx, action_id: &str, status: &str, codes: &CodeLists) -> Result<()> {
    let (_, plan_id) = owners_of_action(tx.conn(), action_id)?;
    editable(tx.conn(), &plan_id)?;
    let status = codes
        .check(ListName::ActionStatus, status)
        .map_err(|m| refuse("status", m))?;
    tx.update("care_plan_actions", action_id, &[("status", text(status))])?;
    Ok(())
}

/// Sets or clears an action's target date; not before the plan's date.
pub fn set_action_target_date(tx: &Tx, action_id: &str, target: Option<NaiveDate>) -> Result<()> {
    let (_, plan_id) = owners_of_action(tx.conn(), action_id)?;
    let e = editable(tx.conn(), &plan_id)?;
    check_target_date(target, e.date).map_err(|m| refuse("target_date", m))?;
    tx.update(
        "care_plan_actions",
        action_id,
        &[("target_date", opt_date(target))],
    )?;
    Ok(())
}

/// Links an action to a risk domain's management plan (or unlinks it).
pub fn set_action_risk(tx: &Tx, action_id: &str, risk: Option<RiskDomain>) -> Result<()> {
    let (_, plan_id) = owners_of_action(tx.conn(), action_id)?;
    editable(tx.conn(), &plan_id)?;
    tx.update(
        "care_plan_actions",
        action_id,
        &[("risk_domain", opt_text(risk.map(RiskDomain::code)))],
    )?;
    Ok(())
}

/// Moves an action one place up or down within its goal; `false` at the end.
pub fn move_action(tx: &Tx, action_id: &str, dir: Direction) -> Result<bool> {
    let (_, plan_id) = owners_of_action(tx.conn(), action_id)?;
    editable(tx.conn(), &plan_id)?;
    move_row(tx, "care_plan_actions", "goal_id", action_id, dir)
}

/// Adds a costed item at the end of the current version; returns its ID. Fields:
/// `description`, `budget`, `amount`. Withdraws any spend approval (it no longer covers the
/// plan's spend).
pub fn add_budget_item(
    tx: &Tx,
    plan_id: &str,
    item: &BudgetItem,
    codes: &CodeLists,
) -> Result<String> {
    let e = editable(tx.conn(), plan_id)?;
    item.validate(codes).into_result()?;
    let mut item = item.clone();
    item.budget = codes
        .check(ListName::Budgets, &item.budget)
        .map_err(|m| refuse("budget", m))?;
    let id = new_id();
    let position = next_position(tx.conn(), "care_plan_budget_items", "care_plan_id", plan_id)?;
    insert_budget_item(tx, plan_id, &id, position, &item)?;
    withdraw_approval(tx, &e)?;
    Ok(id)
}

/// Saves a costed item (found by its `id`); any change withdraws the spend approval.
pub fn update_budget_item(tx: &Tx, item: &BudgetItem, codes: &CodeLists) -> Result<()> {
    let plan_id: Option<String> = tx
        .conn()
        .prepare_cached("SELECT care_plan_id FROM care_plan_budget_items WHERE id = ?1")?
        .query_row([&item.id], |r| r.get(0))
        .optional()?;
    let Some(plan_id) = plan_id else {
        bail!("no costed item with id {}", item.id);
    };
    let e = editable(tx.conn(), &plan_id)?;
    item.validate(codes).into_result()?;
    let budget = codes
        .check(ListName::Budgets, &item.budget)
        .map_err(|m| refuse("budget", m))?;
    let changed = tx.update(
        "care_plan_budget_items",
        &item.id,
        &[
            ("description", text(item.description.trim())),
            ("budget", text(budget)),
            ("amount_pence", int(item.amount_pence)),
        ],
    )?;
    if changed > 0 {
        withdraw_approval(tx, &e)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reviews
// ---------------------------------------------------------------------------------------------

/// What recording a review wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSaved {
    pub review_id: String,
    /// The plan version the review made (none when the episode had no plan).
    pub plan: Option<PlanRef>,
    pub outcome_profile_id: Option<String>,
}

/// Records a care plan review held on `form.date` (S §8.9.5) as the transaction's actor: a
/// `reviews` row, the plan's next version ([`next_version`]: goals carried forward with the
/// progress noted, closed goals left behind, actions and costed items copied) and, when given,
/// the outcome profile recorded at the review (occasion `review`). The old version stays as
/// it was. The next review falls due 12 weeks after this one (the clocks read `reviews`).
pub fn record_review(
    tx: &Tx,
    episode_id: &str,
    form: &ReviewForm,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<ReviewSaved> {
    let episode = episode_in(tx.conn(), episode_id)?;
    let current = current_in(tx.conn(), episode_id)?;
    form.validate(&episode, current.as_ref(), codes, today)
        .into_result()?;
    let review_id = add_review(
        tx,
        episode_id,
        form.date,
        Some(&form.participants),
        Some(&form.notes),
    )?;
    let plan = match &current {
        Some(cur) => {
            let mut next = next_version(cur, form);
            next.version = next_version_number(tx.conn(), episode_id)?;
            next.review_id = Some(review_id.clone());
            Some(insert_plan(tx, &next)?)
        }
        None => None,
    };
    let outcome_profile_id = match &form.outcome_profile {
        Some(op) => {
            let mut op = op.clone();
            op.occasion = Occasion::Review;
            Some(insert_outcome_profile(tx, episode_id, &op)?)
        }
        None => None,
    };
    Ok(ReviewSaved {
        review_id,
        plan,
        outcome_profile_id,
    })
}
