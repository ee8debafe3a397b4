//! Form drafts: what a worker has typed into a form and not yet saved, kept as they type so a
//! closed terminal or a crash loses nothing.
//!
//! Drafts are not casework: they bypass the audit log and are deleted when the form is saved
//! (in the same transaction as the record, see [`discard_in`]) or discarded.

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};
use serde_json::Value as Json;

use super::{Store, Tx};

/// One saved draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Which form, for which record, e.g. `contact:<young person id>`.
    pub form_key: String,
    pub worker_id: String,
    /// When it was last saved (UTC, RFC 3339).
    pub saved_at: String,
    /// The form's field values as the form wrote them.
    pub data: Json,
}

/// The row key: a draft belongs to one worker, so two workers sharing a file never overwrite
/// each other's half-typed forms.
fn row_key(worker_id: &str, form_key: &str) -> String {
    format!("{worker_id}/{form_key}")
}

/// Saves (or replaces) this worker's draft of `form_key`.
pub fn save(
    store: &Store,
    worker_id: &str,
    form_key: &str,
    data: &Json,
    now: DateTime<Utc>,
) -> Result<()> {
    store
        .conn()
        .prepare_cached(
            "INSERT INTO form_drafts (form_key, worker_id, saved_at, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (form_key) DO UPDATE SET saved_at = excluded.saved_at, data = excluded.data",
        )?
        .execute(params![
            row_key(worker_id, form_key),
            worker_id,
            now.to_rfc3339_opts(SecondsFormat::Secs, true),
            data.to_string()
        ])
        .context("cannot keep the draft of this form")?;
    Ok(())
}

/// This worker's draft of `form_key`, if there is one. A draft whose data no longer reads as
/// JSON is treated as absent rather than blocking the form.
pub fn load(store: &Store, worker_id: &str, form_key: &str) -> Result<Option<Draft>> {
    let row: Option<(String, String)> = store
        .conn()
        .prepare_cached("SELECT saved_at, data FROM form_drafts WHERE form_key = ?1")?
        .query_row([row_key(worker_id, form_key)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(saved_at, data)| {
        serde_json::from_str(&data).ok().map(|data| Draft {
            form_key: form_key.to_string(),
            worker_id: worker_id.to_string(),
            saved_at,
            data,
        })
    }))
}

/// Throws away this worker's draft of `form_key` (nothing happens if there is none).
pub fn discard(store: &Store, worker_id: &str, form_key: &str) -> Result<()> {
    store
        .conn()
        .execute(
            "DELETE FROM form_drafts WHERE form_key = ?1",
            [row_key(worker_id, form_key)],
        )
        .context("cannot discard the draft of this form")?;
    Ok(())
}

/// Discards the draft inside the transaction that saves the form, so the record and the end of
/// its draft commit together.
pub fn discard_in(tx: &Tx, worker_id: &str, form_key: &str) -> Result<()> {
    tx.conn().execute(
        "DELETE FROM form_drafts WHERE form_key = ?1",
        [row_key(worker_id, form_key)],
    )?;
    Ok(())
}

/// How many drafts this worker has waiting.
pub fn count(store: &Store, worker_id: &str) -> Result<i64> {
    Ok(store.conn().query_row(
        "SELECT count(*) FROM form_drafts WHERE worker_id = ?1",
        [worker_id],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Clock;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Clock::fixed(chrono::NaiveDate::from_ymd_opt(2025, 6, 2).unwrap()).now()
    }

    #[test]
    fn a_draft_is_saved_replaced_and_discarded() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(load(&store, "w1", "contact:a").unwrap(), None);
        save(&store, "w1", "contact:a", &json!({"note": "first"}), now()).unwrap();
        save(&store, "w1", "contact:a", &json!({"note": "second"}), now()).unwrap();
        let d = load(&store, "w1", "contact:a").unwrap().unwrap();
        assert_eq!(d.data, json!({"note": "second"}));
        assert_eq!(d.saved_at, "2025-06-02T12:00:00Z");
        assert_eq!(count(&store, "w1").unwrap(), 1);
        discard(&store, "w1", "contact:a").unwrap();
        assert_eq!(load(&store, "w1", "contact:a").unwrap(), None);
    }

    #[test]
    fn drafts_belong_to_one_worker() {
        let store = Store::open_in_memory().unwrap();
        save(&store, "w1", "contact:a", &json!({"note": "mine"}), now()).unwrap();
        save(&store, "w2", "contact:a", &json!({"note": "theirs"}), now()).unwrap();
        assert_eq!(
            load(&store, "w1", "contact:a").unwrap().unwrap().data,
            json!({"note": "mine"})
        );
        discard(&store, "w2", "contact:a").unwrap();
        assert!(load(&store, "w1", "contact:a").unwrap().is_some());
    }

    #[test]
    fn discarding_inside_a_write_leaves_no_audit_row() {
        let mut store = Store::open_in_memory().unwrap();
        save(&store, "w1", "contact:a", &json!({}), now()).unwrap();
        store
            .write("w1", now(), |tx| discard_in(tx, "w1", "contact:a"))
            .unwrap();
        assert_eq!(load(&store, "w1", "contact:a").unwrap(), None);
        let audits: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(audits, 0);
    }
}
