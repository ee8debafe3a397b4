//! The duty worker's writes and the search before a referral: the duplicate search, a new
//! referral (a new young person, or a new episode under a known one), triage, allocation,
//! joint working, a brief intervention, an outreach tally and an exit.
//!
//! Every function that writes takes the caller's [`Tx`], so a screen can save a whole form in
//! one audited transaction. Each re-checks its validated value against the episode as it
//! stands inside that transaction; a refusal is an [`Invalid`] (field-named, as the forms show
//! it) inside the `anyhow::Error`, found with `err.downcast_ref::<Invalid>()`, and the caller's
//! transaction then rolls back with nothing written.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use super::values::*;
use super::{people, records, Store, Tx};
use crate::domain::ids::{new_id, parse_reference};
use crate::domain::intake::{
    allocation_problems, compare_key, dated_within_episode, exit_fits_episode,
    new_episode_problems, triage_fits_episode, EpisodeContext, MatchReason, NameQuery,
    ValidBriefIntervention, ValidExit, ValidJointWorking, ValidOutreachTally, ValidReferral,
    ValidTriage,
};
use crate::domain::record::{
    fold_name, Episode, OutreachTally, RiskFlag, SubstanceUse, Worker, YoungPerson,
};
use crate::domain::validate::{Invalid, Problems};

/// The same columns, in the same order, as `records::episode_from_row` reads.
const EPISODE_COLS: &str = "e.id, e.young_person_id, e.referral_date, e.referral_source, \
    e.referrer, e.referrer_contact, e.referral_reason, e.urgency, e.first_contact_date, \
    e.triage_date, e.triage_outcome, e.assessment_date, e.treatment_start, e.intervention, \
    e.care_plan_date, e.key_worker_id, e.joint_worked, e.exit_date, e.exit_reason";

/// At most this many young people are read for one date of birth: enough for any real
/// duplicate list, and a bound on the work a keystroke can cause.
const CANDIDATE_CAP: i64 = 500;

fn refuse(p: Problems) -> anyhow::Error {
    Invalid(p.0).into()
}

fn refuse_at(field: &str, message: impl Into<String>) -> anyhow::Error {
    let mut p = Problems::default();
    p.push(field, message);
    refuse(p)
}

fn ensure(p: Problems) -> Result<()> {
    if p.is_empty() {
        Ok(())
    } else {
        Err(refuse(p))
    }
}

fn load_context(conn: &Connection, episode_id: &str) -> Result<Option<EpisodeContext>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {EPISODE_COLS}, yp.date_of_birth
                 FROM episodes e JOIN young_people yp ON yp.id = e.young_person_id
                 WHERE e.id = ?1 AND e.in_error_at IS NULL"
            ),
            [episode_id],
            |r| {
                Ok(EpisodeContext {
                    episode: records::episode_from_row(r)?,
                    date_of_birth: get_date(r, 19)?,
                })
            },
        )
        .optional()?)
}

fn context_or_refuse(conn: &Connection, episode_id: &str) -> Result<EpisodeContext> {
    load_context(conn, episode_id)?.ok_or_else(|| {
        refuse_at(
            "episode",
            "no such episode (it may have been marked entered in error)",
        )
    })
}

/// The episode and the young person's date of birth, as the triage, joint-working and exit
/// forms validate against; `None` for an unknown or entered-in-error episode.
pub fn episode_context(store: &Store, episode_id: &str) -> Result<Option<EpisodeContext>> {
    load_context(store.conn(), episode_id)
}

// ---------------------------------------------------------------------------------------------
// Duplicate search.

/// A young person already on record who may be the one being referred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleMatch {
    pub young_person: YoungPerson,
    /// The strongest reason.
    pub reason: MatchReason,
    /// Any further reasons that also hold (e.g. a similar name as well as the same date of
    /// birth), strongest first.
    pub also: Vec<MatchReason>,
    /// They have an episode not yet exited (a new referral would be refused; add to that one).
    pub open_episode: bool,
}

impl PossibleMatch {
    fn sort_key(&self) -> (u8, u8) {
        let all = || std::iter::once(self.reason).chain(self.also.iter().copied());
        let score = all()
            .find_map(|r| match r {
                MatchReason::SimilarName { score } => Some(score),
                _ => None,
            })
            .unwrap_or(0);
        let same_dob = all().any(|r| r == MatchReason::SameDateOfBirth);
        let group = match (self.reason, same_dob, score > 0) {
            (MatchReason::SameReference, _, _) => 0,
            (_, true, true) => 1,
            (_, true, false) => 2,
            _ => 3,
        };
        (group, 100 - score)
    }
}

const NAME_RANGE_SQL: &str =
    "SELECT rowid, name_key FROM young_people WHERE name_key >= ?1 AND name_key < ?2";
const DOB_SQL: &str = "SELECT id, given_name, family_name FROM young_people
     WHERE date_of_birth = ?1 AND in_error_at IS NULL LIMIT ?2";

/// Young people who may already be the one being referred, strongest first, at most `limit`:
/// the same reference (when `reference_text` reads as one), the same date of birth, or a
/// similar name (see `domain::intake::name_similarity`; accents, case and punctuation ignored,
/// nicknames and names typed the wrong way round found). Reads through the reference, date of
/// birth and name indexes only: the name search scans the index range of the typed names'
/// first letters, never the table.
pub fn possible_matches(
    store: &Store,
    given: &str,
    family: &str,
    dob: Option<NaiveDate>,
    reference_text: &str,
    limit: usize,
) -> Result<Vec<PossibleMatch>> {
    let conn = store.conn();
    let mut order: Vec<String> = Vec::new();
    let mut reasons: HashMap<String, Vec<MatchReason>> = HashMap::new();
    let mut note = |id: String, r: MatchReason| {
        let list = reasons.entry(id.clone()).or_default();
        if list.is_empty() {
            order.push(id);
        }
        if !list.contains(&r) {
            list.push(r);
        }
    };

    if let Ok(reference) = parse_reference(reference_text) {
        let id: Option<String> = conn
            .query_row(
                "SELECT id FROM young_people WHERE reference = ?1 AND in_error_at IS NULL",
                [&reference],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            note(id, MatchReason::SameReference);
        }
    }

    let query = NameQuery::new(given, family);
    if let Some(d) = dob {
        let mut stmt = conn.prepare_cached(DOB_SQL)?;
        let mut rows = stmt.query(params![date(d), CANDIDATE_CAP])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let (g, f): (String, String) = (r.get(1)?, r.get(2)?);
            note(id.clone(), MatchReason::SameDateOfBirth);
            if let Some(score) = query.score(&g, &f) {
                note(id, MatchReason::SimilarName { score });
            }
        }
    }

    // Names: the index range of each typed name's first letter, scored on the index's own
    // `name_key` (a covering scan, no table reads); only the best are then read in full.
    let mut scored: Vec<(u8, String, i64)> = Vec::new();
    for prefix in query.name_key_prefixes() {
        let upper = format!("{prefix}\u{10FFFF}");
        let mut stmt = conn.prepare_cached(NAME_RANGE_SQL)?;
        let mut rows = stmt.query(params![prefix, upper])?;
        while let Some(r) = rows.next()? {
            let key: String = r.get(1)?;
            if let Some(score) = query.score_name_key(&key) {
                scored.push((score, key, r.get(0)?));
            }
        }
    }
    // Best first, then alphabetical so the list is steady between keystrokes.
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    scored.dedup_by_key(|s| s.2);
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, given_name, family_name FROM young_people
             WHERE rowid = ?1 AND in_error_at IS NULL",
        )?;
        for (_, _, rowid) in scored.into_iter().take(limit.saturating_mul(2)) {
            let row: Option<(String, String, String)> = stmt
                .query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((id, g, f)) = row {
                if let Some(score) = query.score(&g, &f) {
                    note(id, MatchReason::SimilarName { score });
                }
            }
        }
    }

    let mut matches = Vec::new();
    for id in order {
        let mut rs = reasons.remove(&id).unwrap_or_default();
        rs.sort_by_key(|r| r.rank());
        let Some((&reason, also)) = rs.split_first() else {
            continue;
        };
        matches.push((id, reason, also.to_vec()));
    }
    // Sort on the reasons before reading whole records, so only `limit` are read.
    let mut keyed: Vec<(PossibleMatch, String)> = Vec::new();
    for (id, reason, also) in matches {
        let m = PossibleMatch {
            young_person: YoungPerson::default(),
            reason,
            also,
            open_episode: false,
        };
        keyed.push((m, id));
    }
    keyed.sort_by_key(|(m, id)| (m.sort_key(), id.clone()));
    keyed.truncate(limit);
    let mut out = Vec::with_capacity(keyed.len());
    for (mut m, id) in keyed {
        let Some(p) = people::young_person(store, &id)? else {
            continue;
        };
        m.young_person = p;
        m.open_episode = has_open_episode(conn, &id)?;
        out.push(m);
    }
    // Same group and score: alphabetical, so the list does not jump about between keystrokes.
    out.sort_by(|a, b| {
        (a.sort_key(), fold_name(&a.young_person.display_name()))
            .cmp(&(b.sort_key(), fold_name(&b.young_person.display_name())))
    });
    Ok(out)
}

fn has_open_episode(conn: &Connection, young_person_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM episodes WHERE young_person_id = ?1
             AND exit_date IS NULL AND in_error_at IS NULL)",
        )?
        .query_row([young_person_id], |r| r.get(0))?)
}

// ---------------------------------------------------------------------------------------------
// New referral.

/// What a recorded referral made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReferral {
    pub young_person_id: String,
    /// The young person's reference (new, or theirs already).
    pub reference: String,
    pub episode_id: String,
    /// A new young person was registered (rather than a known one given a new episode).
    pub new_young_person: bool,
    /// For a known young person: the details the referral changed, by column name.
    pub updated: Vec<&'static str>,
}

fn episodes_in(conn: &Connection, young_person_id: &str) -> Result<Vec<Episode>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EPISODE_COLS} FROM episodes e
         WHERE e.young_person_id = ?1 AND e.in_error_at IS NULL"
    ))?;
    let rows = stmt.query_map([young_person_id], records::episode_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns among `cols` whose stored value differs from the new one.
fn changed_columns(
    conn: &Connection,
    table: &str,
    id: &str,
    cols: &[(&'static str, Value)],
) -> Result<Vec<&'static str>> {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let old: Vec<Value> = conn.query_row(
        &format!("SELECT {} FROM {table} WHERE id = ?1", names.join(", ")),
        [id],
        |r| (0..names.len()).map(|i| r.get::<_, Value>(i)).collect(),
    )?;
    Ok(cols
        .iter()
        .zip(old)
        .filter(|((_, new), old)| new != old)
        .map(|((c, _), _)| *c)
        .collect())
}

/// A known young person's details from a referral: only what the form gave replaces what is
/// stored (an empty field keeps the stored value, and so does a name that differs only in
/// case, accents or punctuation).
fn update_from_referral(
    tx: &Tx,
    id: &str,
    stored_given: &str,
    stored_family: &str,
    r: &ValidReferral,
) -> Result<Vec<&'static str>> {
    // A name typed without its accents or punctuation (Zoe for Zoë) keeps the stored
    // spelling; only a different name (a change of family name, say) replaces it.
    let keeps =
        |typed: &str, stored: &str| typed.is_empty() || compare_key(typed) == compare_key(stored);
    let mut cols: Vec<(&'static str, Value)> = Vec::new();
    let given = if keeps(&r.given_name, stored_given) {
        stored_given
    } else {
        cols.push(("given_name", text(&r.given_name)));
        &r.given_name
    };
    let family = if keeps(&r.family_name, stored_family) {
        stored_family
    } else {
        cols.push(("family_name", text(&r.family_name)));
        &r.family_name
    };
    cols.push(("name_key", text(fold_name(&format!("{given} {family}")))));
    cols.push(("date_of_birth", date(r.date_of_birth)));
    for (col, v) in [
        ("sex", &r.sex),
        ("ethnicity", &r.ethnicity),
        ("postcode_district", &r.postcode_district),
    ] {
        if let Some(v) = v {
            cols.push((col, text(v)));
        }
    }
    // A consent answer comes with its own date (or none, for a refusal not dated), so a
    // refusal never sits beside an old consent's date.
    if let Some(c) = r.consent_to_share {
        cols.push(("consent_to_share", boolean(c)));
        cols.push(("consent_date", opt_date(r.consent_date)));
    }
    let changed: Vec<&'static str> = changed_columns(tx.conn(), "young_people", id, &cols)?
        .into_iter()
        .filter(|c| *c != "name_key")
        .collect();
    tx.update("young_people", id, &cols)?;
    Ok(changed)
}

/// Records a validated referral. With `existing_young_person_id` (chosen from
/// [`possible_matches`]) the known young person gets a new episode under their own ID, and
/// their details are updated where the form gave different values (a name that differs only
/// in case, accents or punctuation keeps its stored spelling); refused (field `young_person`) while
/// they have an open episode, and (field `referral_date`) when dated before their last exit.
/// Without it a new young person is registered with a new reference.
pub fn record_referral(
    tx: &Tx,
    existing_young_person_id: Option<&str>,
    r: &ValidReferral,
) -> Result<RecordedReferral> {
    let (young_person_id, reference, new_young_person, updated) = match existing_young_person_id {
        Some(id) => {
            let row: Option<(String, String, String, Option<String>)> = tx
                .conn()
                .query_row(
                    "SELECT reference, given_name, family_name, in_error_at FROM young_people
                     WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((reference, given, family, in_error)) = row else {
                return Err(refuse_at("young_person", "no such young person"));
            };
            if in_error.is_some() {
                return Err(refuse_at(
                    "young_person",
                    "that record was marked entered in error: choose another, or register \
                     them as new",
                ));
            }
            ensure(new_episode_problems(
                r.referral_date,
                &episodes_in(tx.conn(), id)?,
            ))?;
            let updated = update_from_referral(tx, id, &given, &family, r)?;
            (id.to_string(), reference, false, updated)
        }
        None => {
            let (id, reference) = people::create_young_person(
                tx,
                &YoungPerson {
                    given_name: r.given_name.clone(),
                    family_name: r.family_name.clone(),
                    date_of_birth: Some(r.date_of_birth),
                    sex: r.sex.clone(),
                    ethnicity: r.ethnicity.clone(),
                    postcode_district: r.postcode_district.clone(),
                    consent_to_share: r.consent_to_share,
                    consent_date: r.consent_date,
                    ..Default::default()
                },
            )?;
            (id, reference, true, Vec::new())
        }
    };
    let episode_id = records::create_episode(
        tx,
        &Episode {
            young_person_id: young_person_id.clone(),
            referral_date: r.referral_date,
            referral_source: Some(r.referral_source.clone()),
            referrer: r.referrer.clone(),
            referrer_contact: r.referrer_contact.clone(),
            referral_reason: r.referral_reason.clone(),
            urgency: r.urgency.clone(),
            ..Default::default()
        },
    )?;
    Ok(RecordedReferral {
        young_person_id,
        reference,
        episode_id,
        new_young_person,
        updated,
    })
}

// ---------------------------------------------------------------------------------------------
// Triage.

/// Records a validated triage on an episode, all in the caller's transaction: the `triages`
/// row (by the transaction's actor), the substances, the young person's vulnerabilities (each
/// once), the episode's triage date and outcome (the outcome `comprehensive_assessment` starts
/// KPI 2b's clock) and its first contact date when it has none, and the flags raised. Refused
/// on an episode already triaged or exited, or dated before its referral. Returns the triage's
/// ID.
pub fn record_triage(tx: &Tx, episode_id: &str, t: &ValidTriage) -> Result<String> {
    let conn = tx.conn();
    let ctx = context_or_refuse(conn, episode_id)?;
    ensure(triage_fits_episode(t, &ctx))?;
    // One triage row per episode, even when an earlier one was marked in error.
    let earlier: Option<String> = conn
        .query_row(
            "SELECT date FROM triages WHERE episode_id = ?1",
            [episode_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(d) = earlier {
        return Err(refuse_at(
            "episode",
            format!("this episode already has a triage (dated {d}): one triage per episode"),
        ));
    }
    let young_person_id = ctx.episode.young_person_id.clone();

    let triage_id = new_id();
    tx.insert(
        "triages",
        &triage_id,
        &[
            ("episode_id", text(episode_id)),
            ("date", date(t.date)),
            ("presenting_needs", opt_text(t.presenting_needs.as_deref())),
            ("seriousness", opt_text(t.seriousness.as_deref())),
            ("urgency", opt_text(t.urgency.as_deref())),
            ("motivation", opt_int(t.motivation.map(i64::from))),
            ("risk_factors", opt_text(t.risk_factors.as_deref())),
            ("injecting", opt_text(t.injecting.as_deref())),
            ("sharing", opt_bool(t.sharing)),
            ("outcome", text(&t.outcome)),
            ("interim_plan", opt_text(t.interim_plan.as_deref())),
            ("worker_id", text(tx.actor())),
        ],
    )?;

    for s in &t.substances {
        tx.insert(
            "episode_substances",
            &new_id(),
            &[
                ("episode_id", text(episode_id)),
                ("rank", int(i64::from(s.rank))),
                ("substance", text(&s.substance)),
                ("route", opt_text(s.route.as_deref())),
                ("frequency", opt_text(s.frequency.as_deref())),
                ("age_first_use", opt_int(s.age_first_use.map(i64::from))),
            ],
        )?;
    }

    for code in &t.vulnerabilities {
        let existing: Option<(String, Option<String>)> = conn
            .query_row(
                "SELECT id, in_error_at FROM young_person_vulnerabilities
                 WHERE young_person_id = ?1 AND code = ?2",
                params![young_person_id, code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match existing {
            None => tx.insert(
                "young_person_vulnerabilities",
                &new_id(),
                &[
                    ("young_person_id", text(&young_person_id)),
                    ("code", text(code)),
                    ("recorded_on", date(t.date)),
                ],
            )?,
            // Recorded once before and marked in error: this triage records it again.
            Some((id, Some(_))) => {
                tx.update(
                    "young_person_vulnerabilities",
                    &id,
                    &[
                        ("recorded_on", date(t.date)),
                        ("in_error_at", Value::Null),
                        ("in_error_reason", Value::Null),
                    ],
                )?;
            }
            Some((_, None)) => {}
        }
    }

    let mut episode_cols = vec![
        ("triage_date", date(t.date)),
        ("triage_outcome", text(&t.outcome)),
    ];
    if ctx.episode.first_contact_date.is_none() {
        episode_cols.push(("first_contact_date", date(t.date)));
    }
    tx.update("episodes", episode_id, &episode_cols)?;

    for f in &t.flags {
        records::raise_flag(
            tx,
            &RiskFlag {
                id: String::new(),
                young_person_id: young_person_id.clone(),
                episode_id: Some(episode_id.to_string()),
                flag_type: f.flag_type.clone(),
                level: f.level,
                raised_by: tx.actor().to_string(),
                raised_on: t.date,
                action: f.action.clone(),
                review_date: f.review_date,
                closed_on: None,
                closed_by: None,
                close_reason: None,
            },
        )?;
    }
    Ok(triage_id)
}

/// An episode's substances, primary first.
pub fn substances_of(store: &Store, episode_id: &str) -> Result<Vec<SubstanceUse>> {
    let mut stmt = store.conn().prepare(
        "SELECT rank, substance, route, frequency, age_first_use FROM episode_substances
         WHERE episode_id = ?1 AND in_error_at IS NULL ORDER BY rank",
    )?;
    let rows = stmt.query_map([episode_id], |r| {
        Ok(SubstanceUse {
            rank: u8::try_from(r.get::<_, i64>(0)?).unwrap_or(u8::MAX),
            substance: r.get(1)?,
            route: r.get(2)?,
            frequency: r.get(3)?,
            age_first_use: r
                .get::<_, Option<i64>>(4)?
                .and_then(|a| u8::try_from(a).ok()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A young person's vulnerability codes, in code order.
pub fn vulnerabilities_of(store: &Store, young_person_id: &str) -> Result<Vec<String>> {
    let mut stmt = store.conn().prepare(
        "SELECT code FROM young_person_vulnerabilities
         WHERE young_person_id = ?1 AND in_error_at IS NULL ORDER BY code",
    )?;
    let rows = stmt.query_map([young_person_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------------------------------------
// Allocation and joint working.

fn worker_in(conn: &Connection, id: &str) -> Result<Option<Worker>> {
    super::people::worker_in(conn, id)
}

/// Makes `key_worker_id` the key worker of an open episode (KPI 4d). Refused (field
/// `key_worker`) for an unknown or inactive worker, and (field `episode`) for an exited
/// episode. Returns whether anything changed.
pub fn allocate(tx: &Tx, episode_id: &str, key_worker_id: &str) -> Result<bool> {
    let ctx = context_or_refuse(tx.conn(), episode_id)?;
    let worker = worker_in(tx.conn(), key_worker_id)?;
    ensure(allocation_problems(&ctx, worker.as_ref()))?;
    let n = tx.update(
        "episodes",
        episode_id,
        &[("key_worker_id", text(key_worker_id))],
    )?;
    Ok(n > 0)
}

/// A caseload: the open episodes whose key worker is `worker_id`, oldest referral first.
pub fn open_episodes_of_key_worker(store: &Store, worker_id: &str) -> Result<Vec<Episode>> {
    // `exit_date IS NULL` matches the partial index `episodes_key_worker`.
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {EPISODE_COLS} FROM episodes e
         WHERE e.key_worker_id = ?1 AND e.exit_date IS NULL AND e.in_error_at IS NULL
         ORDER BY e.referral_date, e.id"
    ))?;
    let rows = stmt.query_map([worker_id], records::episode_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records joint working with another service (KPI 4c): a referral out marked joint working,
/// and the episode marked joint worked. Refused when dated outside the episode. Returns the
/// referral-out ID.
pub fn record_joint_working(tx: &Tx, episode_id: &str, j: &ValidJointWorking) -> Result<String> {
    let ctx = context_or_refuse(tx.conn(), episode_id)?;
    ensure(dated_within_episode(j.date, &ctx))?;
    let id = records::add_referral_out(
        tx,
        episode_id,
        j.date,
        &j.service,
        j.reason.as_deref(),
        true,
    )?;
    tx.update("episodes", episode_id, &[("joint_worked", boolean(true))])?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Brief intervention, outreach tally, exit.

/// Records a brief intervention with a known young person as a contact given by the
/// transaction's actor, on `episode_id` when given (it must be theirs and the date within it).
/// Returns the contact's ID.
pub fn record_brief_intervention(
    tx: &Tx,
    young_person_id: &str,
    episode_id: Option<&str>,
    b: &ValidBriefIntervention,
) -> Result<String> {
    let row: Option<(Option<String>, Option<String>)> = tx
        .conn()
        .query_row(
            "SELECT date_of_birth, in_error_at FROM young_people WHERE id = ?1",
            [young_person_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None | Some((_, Some(_))) => {
            return Err(refuse_at(
                "young_person",
                "no such young person (they may have been marked entered in error)",
            ))
        }
        Some((dob, None)) => {
            if dob
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| b.date < d)
            {
                return Err(refuse_at(
                    "date",
                    "the date is before the young person's birth",
                ));
            }
        }
    }
    if let Some(ep) = episode_id {
        let ctx = context_or_refuse(tx.conn(), ep)?;
        if ctx.episode.young_person_id != young_person_id {
            return Err(refuse_at(
                "episode",
                "that episode is another young person's",
            ));
        }
        ensure(dated_within_episode(b.date, &ctx))?;
    }
    records::add_contact(tx, &b.contact(young_person_id, episode_id, tx.actor()))
}

/// Records an outreach tally counted by the transaction's actor. Returns its ID.
pub fn record_outreach_tally(tx: &Tx, t: &ValidOutreachTally) -> Result<String> {
    records::add_outreach_tally(tx, &t.tally(tx.actor()))
}

/// The outreach tallies counted on `day` (entered-in-error ones left out), in the order they
/// were recorded: what the tally screen shows back to the worker.
pub fn outreach_tallies_on(store: &Store, day: NaiveDate) -> Result<Vec<OutreachTally>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT id, date, setting, count, age_band, gender, brief_intervention, worker_id
         FROM outreach_tallies WHERE date = ?1 AND in_error_at IS NULL
         ORDER BY created_at, rowid",
    )?;
    let rows = stmt.query_map([date(day)], |r| {
        let d: String = r.get(1)?;
        Ok(OutreachTally {
            id: r.get(0)?,
            date: parse_date(&d).unwrap_or(day),
            setting: r.get(2)?,
            count: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            age_band: r.get(4)?,
            gender: r.get(5)?,
            brief_intervention: r.get(6)?,
            worker_id: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records an episode's exit (date and reason). Refused on an episode already exited, or
/// dated before its referral or any milestone recorded on it. After a planned exit the clocks
/// make the 3- and 6-month follow-ups due (S §20.5).
pub fn record_exit(tx: &Tx, episode_id: &str, x: &ValidExit) -> Result<()> {
    super::people::require_actor(tx, crate::domain::roles::Permission::CloseEpisode)?;
    let ctx = context_or_refuse(tx.conn(), episode_id)?;
    ensure(exit_fits_episode(x, &ctx))?;
    tx.update(
        "episodes",
        episode_id,
        &[
            ("exit_date", date(x.date)),
            ("exit_reason", text(&x.reason)),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(store: &Store, sql: &str) -> String {
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let n = stmt.parameter_count();
        let args: Vec<Value> = (0..n).map(|_| Value::Text("x".into())).collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn the_duplicate_search_reads_through_indexes_not_the_table() {
        let store = Store::open_in_memory().unwrap();
        let names = plan(&store, NAME_RANGE_SQL);
        assert!(
            names.contains("COVERING INDEX young_people_name_key"),
            "{names}"
        );
        let dob = plan(&store, DOB_SQL);
        assert!(dob.contains("INDEX young_people_dob"), "{dob}");
        let caseload = plan(
            &store,
            &format!(
                "SELECT {EPISODE_COLS} FROM episodes e
                 WHERE e.key_worker_id = ?1 AND e.exit_date IS NULL AND e.in_error_at IS NULL"
            ),
        );
        assert!(caseload.contains("INDEX episodes_key_worker"), "{caseload}");
    }
}
