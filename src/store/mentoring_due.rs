//! The mentoring clocks as the due-list shows them: each open clock from
//! [`mentoring::open_clocks`] with who it is about (the young person and their key worker for a
//! match's weekly contact, the mentor's name, who left a telephone message).

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::mentoring::{self, OpenClock};
use super::Store;
use crate::domain::calendar::Calendar;

/// A young person an item is about, with their key worker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AboutYoungPerson {
    pub young_person_id: String,
    pub reference: String,
    pub name: String,
    pub key_worker_id: Option<String>,
    pub key_worker: Option<String>,
}

/// One open mentoring clock and what the due-list shows beside it.
#[derive(Debug, Clone)]
pub struct MentoringDueInput {
    pub clock: OpenClock,
    /// The mentee (weekly contact), or whom a telephone message is about when on the record.
    pub young_person: Option<AboutYoungPerson>,
    /// The mentor's name (every clock but a telephone message).
    pub mentor_name: Option<String>,
    /// Who left the telephone message.
    pub message_from: Option<String>,
}

// The key worker of a young person is the key worker of their latest open episode (or latest),
// as in `store::due`.
const PERSON_SQL: &str = "SELECT yp.id, yp.reference, yp.given_name || ' ' || yp.family_name,
        w.id, w.name
    FROM young_people yp
    LEFT JOIN workers w ON w.id = (SELECT e2.key_worker_id FROM episodes e2
        WHERE e2.young_person_id = yp.id AND e2.in_error_at IS NULL
        ORDER BY e2.exit_date IS NOT NULL, e2.referral_date DESC LIMIT 1)
    WHERE yp.id = ?1 AND yp.in_error_at IS NULL";

/// Every open mentoring clock on `today` with who it is about. A weekly contact whose
/// episode has exited is left out: like every clock that runs while an episode is open, it
/// stops at the exit (`DueKind::MentorContact`'s stop rule), match ended or not.
pub fn due_inputs(
    store: &Store,
    cal: &Calendar,
    today: NaiveDate,
    check_renewal_months: Option<u32>,
) -> Result<Vec<MentoringDueInput>> {
    let conn = store.conn();
    let mentor_names: HashMap<String, String> = mentoring::mentors(store)?
        .into_iter()
        .map(|m| {
            let name = m.display_name();
            (m.id, name)
        })
        .collect();
    let person = |id: &str| -> Result<Option<AboutYoungPerson>> {
        Ok(conn
            .query_row(PERSON_SQL, [id], |r| {
                Ok(AboutYoungPerson {
                    young_person_id: r.get(0)?,
                    reference: r.get(1)?,
                    name: r.get::<_, String>(2)?.trim().to_string(),
                    key_worker_id: r.get(3)?,
                    key_worker: r.get(4)?,
                })
            })
            .optional()?)
    };
    let mut out = Vec::new();
    for c in mentoring::open_clocks(store, cal, today, check_renewal_months)? {
        let mentor_name = c
            .mentor_id
            .as_ref()
            .and_then(|m| mentor_names.get(m).cloned());
        let mut input = MentoringDueInput {
            clock: c,
            young_person: None,
            mentor_name,
            message_from: None,
        };
        if let Some(ep) = input.clock.episode_id.clone() {
            // The mentee and the episode's own key worker (not the person's latest episode).
            let row = conn
                .query_row(
                    "SELECT yp.id, yp.reference, yp.given_name || ' ' || yp.family_name,
                            e.key_worker_id, w.name, e.exit_date IS NOT NULL
                     FROM episodes e JOIN young_people yp ON yp.id = e.young_person_id
                     LEFT JOIN workers w ON w.id = e.key_worker_id
                     WHERE e.id = ?1 AND e.in_error_at IS NULL AND yp.in_error_at IS NULL",
                    [&ep],
                    |r| {
                        Ok((
                            AboutYoungPerson {
                                young_person_id: r.get(0)?,
                                reference: r.get(1)?,
                                name: r.get::<_, String>(2)?.trim().to_string(),
                                key_worker_id: r.get(3)?,
                                key_worker: r.get(4)?,
                            },
                            r.get::<_, bool>(5)?,
                        ))
                    },
                )
                .optional()?;
            match row {
                Some((yp, false)) => input.young_person = Some(yp),
                // Exited (or gone): the contact clock has stopped.
                _ => continue,
            }
        }
        if let Some(msg) = input.clock.message_id.clone() {
            let row: Option<(String, Option<String>)> = conn
                .query_row(
                    "SELECT from_whom, young_person_id FROM telephone_messages WHERE id = ?1",
                    [&msg],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((from, yp)) = row {
                input.message_from = Some(from.trim().to_string());
                if let Some(yp) = yp {
                    input.young_person = person(&yp)?;
                }
            }
        }
        out.push(input);
    }
    Ok(out)
}
