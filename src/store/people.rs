//! Workers and young people.

use anyhow::{bail, Context, Result};
use rusqlite::{params, OptionalExtension, Row};

use super::values::*;
use super::{Store, Tx};
use crate::domain::ids::{new_id, new_reference};
use crate::domain::record::{fold_name, Role, Worker, YoungPerson};

/// The columns [`worker_from_row`] reads.
pub(crate) const WORKER_COLS: &str = "id, name, roles, active";

pub(crate) fn worker_from_row(r: &Row) -> rusqlite::Result<Worker> {
    let codes: String = r.get(2)?;
    let mut roles: Vec<Role> = codes.split(' ').filter_map(Role::from_code).collect();
    roles.sort();
    Ok(Worker {
        id: r.get(0)?,
        name: r.get(1)?,
        roles,
        active: r.get::<_, i64>(3)? != 0,
    })
}

/// The old single-role column only allows the first four roles; it is kept filled for its
/// CHECK constraint, and nothing reads it.
fn legacy_role(roles: &[Role]) -> &'static str {
    [Role::Manager, Role::Duty, Role::Outreach, Role::Coordinator]
        .into_iter()
        .find(|r| roles.contains(r))
        .unwrap_or(Role::Duty)
        .code()
}

fn role_columns(roles: &[Role]) -> [(&'static str, rusqlite::types::Value); 2] {
    [
        ("role", text(legacy_role(roles))),
        ("roles", text(Role::list_code(roles))),
    ]
}

/// Adds a worker holding `roles`; names are unique (case-insensitive).
pub fn add_worker(tx: &Tx, name: &str, roles: &[Role]) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        bail!("worker name: give the worker's name");
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        bail!("worker name: at most 100 characters, on one line");
    }
    if roles.is_empty() {
        bail!("roles: a worker needs at least one role");
    }
    let taken: bool = tx.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM workers WHERE name = ?1 COLLATE NOCASE)",
        [name],
        |r| r.get(0),
    )?;
    if taken {
        bail!("worker name: there is already a worker called '{name}'");
    }
    let id = new_id();
    let mut cols = vec![("name", text(name))];
    cols.extend(role_columns(roles));
    tx.insert("workers", &id, &cols)
        .with_context(|| format!("worker name: cannot add '{name}'"))?;
    Ok(id)
}

/// Replaces a worker's roles. The last active administrator keeps that role, so the file is
/// never left with nobody who can add workers.
pub fn set_roles(tx: &Tx, worker_id: &str, roles: &[Role]) -> Result<()> {
    if roles.is_empty() {
        bail!("roles: a worker needs at least one role");
    }
    if !roles.contains(&Role::Administrator) {
        keep_an_administrator(tx, worker_id)?;
    }
    tx.update("workers", worker_id, &role_columns(roles))?;
    Ok(())
}

/// Marks a worker inactive: they can no longer sign in, and their records stay theirs.
pub fn deactivate(tx: &Tx, worker_id: &str) -> Result<()> {
    if worker_id == tx.actor() {
        bail!("worker: you cannot deactivate yourself; ask another administrator");
    }
    keep_an_administrator(tx, worker_id)?;
    tx.update("workers", worker_id, &[("active", int(0))])?;
    Ok(())
}

fn keep_an_administrator(tx: &Tx, leaving: &str) -> Result<()> {
    let others: i64 = tx.conn().query_row(
        "SELECT count(*) FROM workers WHERE active = 1 AND id <> ?1
         AND (' ' || roles || ' ') LIKE '% administrator %'",
        [leaving],
        |r| r.get(0),
    )?;
    let is_admin: bool = tx.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND active = 1
         AND (' ' || roles || ' ') LIKE '% administrator %')",
        [leaving],
        |r| r.get(0),
    )?;
    if is_admin && others == 0 {
        bail!("roles: this is the last active administrator; make someone else one first");
    }
    Ok(())
}

/// All workers, active first, by name.
pub fn workers(store: &Store) -> Result<Vec<Worker>> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {WORKER_COLS} FROM workers ORDER BY active DESC, name"
    ))?;
    let rows = stmt.query_map([], worker_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The worker with this name (case-insensitive).
pub fn worker_by_name(store: &Store, name: &str) -> Result<Option<Worker>> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {WORKER_COLS} FROM workers WHERE name = ?1 COLLATE NOCASE"),
            [name.trim()],
            worker_from_row,
        )
        .optional()?)
}

pub fn worker(store: &Store, id: &str) -> Result<Option<Worker>> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {WORKER_COLS} FROM workers WHERE id = ?1"),
            [id],
            worker_from_row,
        )
        .optional()?)
}

/// The worker behind a transaction's actor, if the actor is a worker.
pub(crate) fn worker_in(conn: &rusqlite::Connection, id: &str) -> Result<Option<Worker>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {WORKER_COLS} FROM workers WHERE id = ?1"))?
        .query_row([id], worker_from_row)
        .optional()?)
}

/// Refuses `action` inside a transaction when its actor is a worker whose roles do not allow
/// it (the role table). The check reads the file, so it holds whoever opened the store.
pub(crate) fn require_actor(tx: &Tx, action: crate::domain::roles::Permission) -> Result<()> {
    if let Some(w) = worker_in(tx.conn(), tx.actor())? {
        crate::domain::roles::require(&w.name, &w.roles, action).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// The named worker, created with `roles` if the database has no one of that name yet. The
/// first worker on a fresh database is its own actor for that one write.
pub fn ensure_worker(
    store: &mut Store,
    name: &str,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Worker> {
    ensure_worker_with(store, name, &[role], now)
}

/// [`ensure_worker`] with several roles.
pub fn ensure_worker_with(
    store: &mut Store,
    name: &str,
    roles: &[Role],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Worker> {
    if let Some(w) = worker_by_name(store, name)? {
        return Ok(w);
    }
    let id = new_id();
    let name = name.trim().to_string();
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    store.write_for(
        crate::domain::roles::Permission::ManageWorkers,
        &id,
        now,
        |tx| {
            let mut cols = vec![("name", text(&name))];
            cols.extend(role_columns(&roles));
            tx.insert("workers", &id, &cols)
        },
    )?;
    Ok(Worker {
        id,
        name,
        roles,
        active: true,
    })
}

const PERSON_COLS: &str = "id, reference, given_name, family_name, date_of_birth, sex, gender, \
    ethnicity, postcode_district, gp_registered, looked_after, consent_to_share, consent_date, \
    parent_carer_involved";

fn person_from_row(r: &Row) -> rusqlite::Result<YoungPerson> {
    Ok(YoungPerson {
        id: r.get(0)?,
        reference: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        date_of_birth: get_date(r, 4)?,
        sex: r.get(5)?,
        gender: r.get(6)?,
        ethnicity: r.get(7)?,
        postcode_district: r.get(8)?,
        gp_registered: get_bool(r, 9)?,
        looked_after: get_bool(r, 10)?,
        consent_to_share: get_bool(r, 11)?,
        consent_date: get_date(r, 12)?,
        parent_carer_involved: get_bool(r, 13)?,
    })
}

fn person_columns(p: &YoungPerson) -> Vec<(&'static str, rusqlite::types::Value)> {
    vec![
        ("given_name", text(p.given_name.trim())),
        ("family_name", text(p.family_name.trim())),
        (
            "name_key",
            text(fold_name(&format!("{} {}", p.given_name, p.family_name))),
        ),
        ("date_of_birth", opt_date(p.date_of_birth)),
        ("sex", opt_text(p.sex.as_deref())),
        ("gender", opt_text(p.gender.as_deref())),
        ("ethnicity", opt_text(p.ethnicity.as_deref())),
        (
            "postcode_district",
            opt_text(
                p.postcode_district
                    .as_deref()
                    .map(str::to_uppercase)
                    .as_deref(),
            ),
        ),
        ("gp_registered", opt_bool(p.gp_registered)),
        ("looked_after", opt_bool(p.looked_after)),
        ("consent_to_share", opt_bool(p.consent_to_share)),
        ("consent_date", opt_date(p.consent_date)),
        ("parent_carer_involved", opt_bool(p.parent_carer_involved)),
    ]
}

/// Registers a young person, giving them an ID and a reference when they have none.
/// Returns the ID.
pub fn create_young_person(tx: &Tx, p: &YoungPerson) -> Result<(String, String)> {
    if p.given_name.trim().is_empty() && p.family_name.trim().is_empty() {
        bail!("given_name: a young person needs at least one name");
    }
    let id = if p.id.is_empty() {
        new_id()
    } else {
        p.id.clone()
    };
    let mut reference = if p.reference.is_empty() {
        new_reference()
    } else {
        p.reference.clone()
    };
    // A local clash of 45 random bits is rare but possible at scale: draw again.
    for _ in 0..8 {
        let taken: bool = tx.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM young_people WHERE reference = ?1)",
            [&reference],
            |r| r.get(0),
        )?;
        if !taken {
            break;
        }
        reference = new_reference();
    }
    let mut cols = person_columns(p);
    cols.insert(0, ("reference", text(&reference)));
    tx.insert("young_people", &id, &cols)?;
    Ok((id, reference))
}

/// Saves changes to a young person's details (the reference never changes).
pub fn update_young_person(tx: &Tx, p: &YoungPerson) -> Result<usize> {
    tx.update("young_people", &p.id, &person_columns(p))
}

pub fn young_person(store: &Store, id: &str) -> Result<Option<YoungPerson>> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {PERSON_COLS} FROM young_people WHERE id = ?1"),
            [id],
            person_from_row,
        )
        .optional()?)
}

pub fn young_person_by_reference(store: &Store, reference: &str) -> Result<Option<YoungPerson>> {
    Ok(store
        .conn()
        .query_row(
            &format!(
                "SELECT {PERSON_COLS} FROM young_people WHERE reference = ?1 AND in_error_at IS NULL"
            ),
            [reference],
            person_from_row,
        )
        .optional()?)
}

/// Young people whose folded name contains every word of `query`, or whose date of birth or
/// reference matches: the candidates shown before a new referral so a known young person gets
/// a new episode rather than a duplicate record (S §20.5).
pub fn find_young_people(
    store: &Store,
    query: &str,
    dob: Option<chrono::NaiveDate>,
    limit: usize,
) -> Result<Vec<YoungPerson>> {
    let mut out: Vec<YoungPerson> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |p: YoungPerson, out: &mut Vec<YoungPerson>| {
        if seen.insert(p.id.clone()) {
            out.push(p);
        }
    };
    if let Ok(reference) = crate::domain::ids::parse_reference(query) {
        if let Some(p) = young_person_by_reference(store, &reference)? {
            push(p, &mut out);
        }
    }
    if let Some(d) = dob {
        let mut stmt = store.conn().prepare(&format!(
            "SELECT {PERSON_COLS} FROM young_people WHERE date_of_birth = ?1 AND in_error_at IS NULL LIMIT ?2"
        ))?;
        for p in stmt.query_map(params![date(d), limit as i64], person_from_row)? {
            push(p?, &mut out);
        }
    }
    let words: Vec<String> = fold_name(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace(['%', '_'], ""))
        .filter(|w| !w.is_empty())
        .collect();
    if !words.is_empty() && crate::domain::ids::parse_reference(query).is_err() {
        let conds: Vec<String> = (1..=words.len())
            .map(|i| format!("name_key LIKE ?{i}"))
            .collect();
        let sql = format!(
            "SELECT {PERSON_COLS} FROM young_people WHERE {} AND in_error_at IS NULL ORDER BY name_key LIMIT {}",
            conds.join(" AND "),
            limit
        );
        let mut stmt = store.conn().prepare(&sql)?;
        let patterns: Vec<String> = words.iter().map(|w| format!("%{w}%")).collect();
        for p in stmt.query_map(rusqlite::params_from_iter(patterns.iter()), person_from_row)? {
            push(p?, &mut out);
        }
    }
    out.truncate(limit);
    Ok(out)
}
