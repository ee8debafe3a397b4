//! What the clocks need, loaded in a few set-based queries (not one query per young person),
//! so the due-list for 100,000 young people is computed in one pass.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::params_from_iter;

use super::values::*;
use super::Store;
use crate::domain::record::{EpisodeFacts, RiskLevel};

/// One episode with what the due-list shows beside it.
#[derive(Debug, Clone)]
pub struct EpisodeDueInput {
    pub episode_id: String,
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub key_worker_id: Option<String>,
    pub key_worker: Option<String>,
    pub facts: EpisodeFacts,
}

/// An active risk flag's review.
#[derive(Debug, Clone)]
pub struct FlagDueInput {
    pub flag_id: String,
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub key_worker_id: Option<String>,
    pub key_worker: Option<String>,
    pub flag_type: String,
    pub level: RiskLevel,
    pub review_date: NaiveDate,
}

/// A did-not-attend not yet followed up.
#[derive(Debug, Clone)]
pub struct DnaDueInput {
    pub contact_id: String,
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub key_worker_id: Option<String>,
    pub key_worker: Option<String>,
    pub date: NaiveDate,
}

/// Everything the due-list is computed from.
#[derive(Debug, Clone, Default)]
pub struct DueInputs {
    pub episodes: Vec<EpisodeDueInput>,
    pub flags: Vec<FlagDueInput>,
    pub dnas: Vec<DnaDueInput>,
    /// Highest active risk level per young person.
    pub highest_risk: HashMap<String, RiskLevel>,
}

/// Which episodes to load.
#[derive(Debug, Clone, Default)]
pub struct DueScope {
    /// Only episodes whose key worker is this worker ID.
    pub key_worker_id: Option<String>,
    /// The exit reasons in the planned category (from the code lists): exited episodes with
    /// these reasons are loaded while their after-exit work is open, however long ago the
    /// exit. Empty: open episodes only.
    pub planned_exit_reasons: Vec<String>,
}

// The key worker of a young person is the key worker of their latest open episode (or latest).
const CURRENT_WORKER: &str = "(SELECT e2.key_worker_id FROM episodes e2
      WHERE e2.young_person_id = yp.id AND e2.in_error_at IS NULL
      ORDER BY e2.exit_date IS NOT NULL, e2.referral_date DESC LIMIT 1)";

/// Loads the due-list inputs for `scope`: open episodes, and exited ones with a planned exit
/// whose after-exit clocks are not all met or closed (read from `after_exit_open`, never by
/// scanning closed episodes). `planned_exit` says whether an exit reason code is in the
/// planned category (from the code lists).
pub fn load(
    store: &Store,
    scope: &DueScope,
    planned_exit: &dyn Fn(&str) -> Option<bool>,
) -> Result<DueInputs> {
    let conn = store.conn();
    let ScopeSql { with, filter, args } = scope_sql(scope);
    let mut inputs = DueInputs::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    {
        let sql = episodes_sql(&with, &filter);
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let triage_outcome: Option<String> = r.get(9)?;
            let exit_reason: Option<String> = r.get(14)?;
            let facts = EpisodeFacts {
                referral_date: get_date(r, 6)?.unwrap_or_default(),
                first_contact_date: get_date(r, 7)?,
                triage_date: get_date(r, 8)?,
                assessment_needed: triage_outcome.as_deref() == Some("comprehensive_assessment"),
                assessment_date: get_date(r, 10)?,
                treatment_start: get_date(r, 11)?,
                care_plan_date: get_date(r, 12)?,
                exit_date: get_date(r, 13)?,
                exit_planned: exit_reason.as_deref().and_then(planned_exit),
                date_of_birth: get_date(r, 15)?,
                ..Default::default()
            };
            let id: String = r.get(0)?;
            index.insert(id.clone(), inputs.episodes.len());
            inputs.episodes.push(EpisodeDueInput {
                episode_id: id,
                young_person_id: r.get(1)?,
                reference: r.get(2)?,
                name: r.get::<_, String>(3)?.trim().to_string(),
                key_worker_id: r.get(4)?,
                key_worker: r.get(5)?,
                facts,
            });
        }
    }

    // Referral date then ID, sorted here rather than by SQLite's temporary b-tree (a tenth
    // of the query's time at 100,000 young people); the due-list's sort is stable, so
    // this order is what ties keep.
    inputs.episodes.sort_unstable_by(|a, b| {
        (a.facts.referral_date, &a.episode_id).cmp(&(b.facts.referral_date, &b.episode_id))
    });
    for (i, e) in inputs.episodes.iter().enumerate() {
        if let Some(slot) = index.get_mut(&e.episode_id) {
            *slot = i;
        }
    }

    // Dated events per episode in scope, each in one pass through the episode's index.
    let reached = super::follow_ups::REACHED_SQL;
    for (table, only, which) in [
        ("reviews", "1", 0u8),
        ("outcome_profiles", "1", 1),
        ("follow_ups", reached, 2),
        ("clock_closures", "1", 3),
    ] {
        let (date_col, extra) = if which == 3 {
            ("f.closed_on", ", f.clock, f.reason")
        } else {
            ("f.date", ", NULL, NULL")
        };
        let sql = format!(
            "{with} SELECT f.episode_id, {date_col}{extra} FROM scope s
             JOIN {table} f ON f.episode_id = s.id
             WHERE f.in_error_at IS NULL AND {only}"
        );
        let mut stmt = conn.prepare(&sql)?;
        // The key worker's filter is not in this query; unused arguments are not allowed.
        let n = args.len() - usize::from(scope.key_worker_id.is_some());
        let mut rows = stmt.query(params_from_iter(args.iter().take(n)))?;
        while let Some(r) = rows.next()? {
            let ep: String = r.get(0)?;
            let (Some(&i), Some(d)) = (index.get(&ep), get_date(r, 1)?) else {
                continue;
            };
            let f = &mut inputs.episodes[i].facts;
            match which {
                0 => f.review_dates.push(d),
                1 => f.top_dates.push(d),
                2 => f.follow_up_dates.push(d),
                _ => f.closed_clocks.extend(super::follow_ups::closed_from(
                    &r.get::<_, String>(2)?,
                    Some(d),
                    r.get(3)?,
                )),
            }
        }
    }

    let mut people_in_scope: Option<HashSet<String>> = scope.key_worker_id.as_ref().map(|_| {
        inputs
            .episodes
            .iter()
            .map(|e| e.young_person_id.clone())
            .collect()
    });
    let in_scope = |yp: &str, scope_set: &mut Option<HashSet<String>>| {
        scope_set.as_ref().is_none_or(|s| s.contains(yp))
    };

    // One worker's list: only their young people's flags and DNAs are read at all.
    let (person_filter, person_args): (&str, Vec<String>) = match &scope.key_worker_id {
        Some(w) => (
            " AND yp.id IN (SELECT x.young_person_id FROM episodes x
                            WHERE x.key_worker_id = ?1 AND x.in_error_at IS NULL)",
            vec![w.clone()],
        ),
        None => ("", Vec::new()),
    };
    {
        let sql = format!(
            "SELECT f.id, yp.id, yp.reference, yp.given_name || ' ' || yp.family_name,
                    {CURRENT_WORKER}, f.flag_type, f.level, f.review_date
             FROM risk_flags f JOIN young_people yp ON yp.id = f.young_person_id
             WHERE f.closed_on IS NULL AND f.in_error_at IS NULL AND yp.in_error_at IS NULL
             {person_filter}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(person_args.iter()))?;
        while let Some(r) = rows.next()? {
            let yp: String = r.get(1)?;
            if !in_scope(&yp, &mut people_in_scope) {
                continue;
            }
            let level = RiskLevel::from_code(&r.get::<_, String>(6)?).unwrap_or(RiskLevel::High);
            let best = inputs.highest_risk.entry(yp.clone()).or_insert(level);
            *best = (*best).max(level);
            if let Some(review_date) = get_date(r, 7)? {
                inputs.flags.push(FlagDueInput {
                    flag_id: r.get(0)?,
                    young_person_id: yp,
                    reference: r.get(2)?,
                    name: r.get::<_, String>(3)?.trim().to_string(),
                    key_worker_id: r.get(4)?,
                    key_worker: None,
                    flag_type: r.get(5)?,
                    level,
                    review_date,
                });
            }
        }
    }

    {
        let sql = format!(
            "SELECT c.id, yp.id, yp.reference, yp.given_name || ' ' || yp.family_name,
                    {CURRENT_WORKER}, c.date
             FROM contacts c JOIN young_people yp ON yp.id = c.young_person_id
             WHERE c.did_not_attend = 1 AND c.dna_followed_up_on IS NULL
               AND c.in_error_at IS NULL AND yp.in_error_at IS NULL
               -- DNA follow-up stops when the contact's episode exits or is entered in error
               -- (DueKind::stop_rule).
               AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.id = c.episode_id
                                  AND (e.exit_date IS NOT NULL OR e.in_error_at IS NOT NULL))
             {person_filter}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(person_args.iter()))?;
        while let Some(r) = rows.next()? {
            let yp: String = r.get(1)?;
            if !in_scope(&yp, &mut people_in_scope) {
                continue;
            }
            if let Some(d) = get_date(r, 5)? {
                inputs.dnas.push(DnaDueInput {
                    contact_id: r.get(0)?,
                    young_person_id: yp,
                    reference: r.get(2)?,
                    name: r.get::<_, String>(3)?.trim().to_string(),
                    key_worker_id: r.get(4)?,
                    key_worker: None,
                    date: d,
                });
            }
        }
    }

    // Worker names for flags and DNAs.
    let names: HashMap<String, String> = {
        let mut stmt = conn.prepare("SELECT id, name FROM workers")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for f in &mut inputs.flags {
        f.key_worker = f.key_worker_id.as_ref().and_then(|w| names.get(w).cloned());
    }
    for d in &mut inputs.dnas {
        d.key_worker = d.key_worker_id.as_ref().and_then(|w| names.get(w).cloned());
    }
    Ok(inputs)
}

/// The episodes in scope, by two indexed reads: open ones (a partial index) and the small
/// table of exited ones with after-exit work open.
struct ScopeSql {
    with: String,
    filter: String,
    args: Vec<String>,
}

fn scope_sql(scope: &DueScope) -> ScopeSql {
    let mut args: Vec<String> = Vec::new();
    let mut after_exit = String::new();
    if !scope.planned_exit_reasons.is_empty() {
        let marks: Vec<String> = scope
            .planned_exit_reasons
            .iter()
            .map(|r| {
                args.push(r.clone());
                format!("?{}", args.len())
            })
            .collect();
        after_exit = format!(
            " UNION ALL SELECT episode_id FROM after_exit_open WHERE exit_reason IN ({})",
            marks.join(", ")
        );
    }
    let mut filter = String::from("e.in_error_at IS NULL AND yp.in_error_at IS NULL");
    if let Some(w) = &scope.key_worker_id {
        args.push(w.clone());
        // `+` keeps SQLite from reading the worker's episodes (closed ones too) by their
        // index: the scope's two small reads drive the query.
        filter.push_str(&format!(" AND +e.key_worker_id = ?{}", args.len()));
    }
    let with = format!(
        "WITH scope(id) AS (SELECT id FROM episodes INDEXED BY episodes_open
                             WHERE exit_date IS NULL AND in_error_at IS NULL{after_exit})"
    );
    ScopeSql { with, filter, args }
}

fn episodes_sql(with: &str, filter: &str) -> String {
    format!(
        "{with} SELECT e.id, yp.id, yp.reference, yp.given_name || ' ' || yp.family_name,
                e.key_worker_id, w.name, e.referral_date, e.first_contact_date, e.triage_date,
                e.triage_outcome, e.assessment_date, e.treatment_start, e.care_plan_date,
                e.exit_date, e.exit_reason, yp.date_of_birth
         FROM scope s JOIN episodes e ON e.id = s.id
         JOIN young_people yp ON yp.id = e.young_person_id
         LEFT JOIN workers w ON w.id = e.key_worker_id
         WHERE {filter}"
    )
}

/// SQLite's plan for the due-list's episode query, one line per step (for tests).
pub fn due_query_plan(store: &Store, scope: &DueScope) -> Result<Vec<String>> {
    let ScopeSql { with, filter, args } = scope_sql(scope);
    let mut stmt = store.conn().prepare(&format!(
        "EXPLAIN QUERY PLAN {}",
        episodes_sql(&with, &filter)
    ))?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A young person's missed appointment not yet followed up, with its episode's exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDna {
    pub contact_id: String,
    pub date: NaiveDate,
    /// When the contact's episode exited (its follow-up stopped then).
    pub episode_exit: Option<NaiveDate>,
}

/// A young person's missed appointments not yet followed up, oldest first.
pub fn dnas_of(store: &Store, young_person_id: &str) -> Result<Vec<OpenDna>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT c.id, c.date, e.exit_date FROM contacts c
           LEFT JOIN episodes e ON e.id = c.episode_id
          WHERE c.young_person_id = ?1 AND c.did_not_attend = 1 AND e.in_error_at IS NULL
            AND c.dna_followed_up_on IS NULL AND c.in_error_at IS NULL
          ORDER BY c.date, c.id",
    )?;
    let mut rows = stmt.query([young_person_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if let Some(date) = get_date(r, 1)? {
            out.push(OpenDna {
                contact_id: r.get(0)?,
                date,
                episode_exit: get_date(r, 2)?,
            });
        }
    }
    Ok(out)
}
