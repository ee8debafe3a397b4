//! Workers and young people.

use anyhow::{bail, Context, Result};
use rusqlite::{params, OptionalExtension, Row};

use super::values::*;
use super::{Store, Tx};
use crate::domain::ids::{new_id, new_reference};
use crate::domain::record::{fold_name, Role, Worker, YoungPerson};

fn worker_from_row(r: &Row) -> rusqlite::Result<Worker> {
    let role: String = r.get(2)?;
    Ok(Worker {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::from_code(&role).unwrap_or(Role::Duty),
        active: r.get::<_, i64>(3)? != 0,
    })
}

/// Adds a worker; names are unique (case-insensitive).
pub fn add_worker(tx: &Tx, name: &str, role: Role) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        bail!("worker name: give the worker's name");
    }
    let id = new_id();
    tx.insert(
        "workers",
        &id,
        &[("name", text(name)), ("role", text(role.code()))],
    )
    .with_context(|| format!("worker name: '{name}' may already exist"))?;
    Ok(id)
}

/// All workers, active first, by name.
pub fn workers(store: &Store) -> Result<Vec<Worker>> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, name, role, active FROM workers ORDER BY active DESC, name")?;
    let rows = stmt.query_map([], worker_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The worker with this name (case-insensitive).
pub fn worker_by_name(store: &Store, name: &str) -> Result<Option<Worker>> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id, name, role, active FROM workers WHERE name = ?1 COLLATE NOCASE",
            [name.trim()],
            worker_from_row,
        )
        .optional()?)
}

pub fn worker(store: &Store, id: &str) -> Result<Option<Worker>> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id, name, role, active FROM workers WHERE id = ?1",
            [id],
            worker_from_row,
        )
        .optional()?)
}

/// The named worker, created with `role` if the database has no one of that name yet. The
/// first worker on a fresh database is its own actor for that one write.
pub fn ensure_worker(
    store: &mut Store,
    name: &str,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Worker> {
    if let Some(w) = worker_by_name(store, name)? {
        return Ok(w);
    }
    let id = new_id();
    let name = name.trim().to_string();
    store.write(&id, now, |tx| {
        tx.insert(
            "workers",
            &id,
            &[("name", text(&name)), ("role", text(role.code()))],
        )
    })?;
    Ok(Worker {
        id,
        name,
        role,
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
