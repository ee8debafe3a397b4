//! Recording a follow-up after exit and closing an after-exit clock (issue 17), shared by the
//! command line and (later) the terminal UI's follow-up form: the checks against the episode's
//! clocks, then one audited write.

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::calendar::Calendar;
use crate::domain::clocks::{episode_clocks, DueKind, EpisodeClock, ExtraFacts, Stopped};
use crate::domain::codes::CodeLists;
use crate::domain::follow_up::{validate_closing, validate_follow_up, FollowUpForm, OutcomeEffect};
use crate::domain::record::Episode;
use crate::due::episode_facts;
use crate::store::caseload::episode_events;
use crate::store::{follow_ups, people, records, Store};

/// What recording a follow-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub follow_up_id: String,
    pub effect: OutcomeEffect,
    /// The clock a closing outcome closed (`None` when none was open).
    pub closed: Option<DueKind>,
}

/// The episode a young person's follow-ups belong to: the one that exited most recently.
pub fn follow_up_episode(store: &Store, young_person_id: &str) -> Result<Option<Episode>> {
    Ok(records::episodes_of(store, young_person_id)?
        .into_iter()
        .filter(|e| e.exit_date.is_some())
        .max_by_key(|e| (e.exit_date, e.referral_date)))
}

/// The episode's clocks as of `today`.
fn clocks_of(
    store: &Store,
    episode: &Episode,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<Vec<EpisodeClock>> {
    let dob = people::young_person(store, &episode.young_person_id)?.and_then(|p| p.date_of_birth);
    let facts = episode_facts(episode, &episode_events(store, &episode.id)?, dob, codes);
    Ok(episode_clocks(&facts, &ExtraFacts::default(), cal, today))
}

fn is_open(c: &EpisodeClock) -> bool {
    !c.item.is_met() && c.stopped.is_none()
}

/// Records a follow-up on `episode_id` as `actor`. "Tried, not reached" keeps the clock open;
/// a closing outcome (declined, moved away, not appropriate) closes the earliest open
/// follow-up clock with the outcome as its reason, in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn record(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
    episode_id: &str,
    form: &FollowUpForm,
) -> Result<Recorded> {
    let Some(episode) = records::episode(store, episode_id)? else {
        bail!("episode: no episode with id {episode_id}");
    };
    let f = validate_follow_up(form, codes, episode.exit_date, today).map_err(|e| anyhow!(e))?;
    let closes = match f.effect {
        OutcomeEffect::Closes => clocks_of(store, &episode, cal, codes, today)?
            .into_iter()
            .find(|c| {
                matches!(
                    c.item.kind,
                    DueKind::FollowUp3Months | DueKind::FollowUp6Months
                ) && is_open(c)
            })
            .map(|c| (c.item.kind, f.closing_reason(codes))),
        _ => None,
    };
    let closed = closes.as_ref().map(|(k, _)| *k);
    let id = store.write(actor, now, |tx| {
        follow_ups::record_follow_up(tx, episode_id, &f, closes)
    })?;
    Ok(Recorded {
        follow_up_id: id,
        effect: f.effect,
        closed,
    })
}

/// Closes an after-exit clock (exit TOP, 3- or 6-month follow-up) of `episode_id` today with
/// the worker's reason. Refused unless that clock is running and not yet met.
#[allow(clippy::too_many_arguments)]
pub fn close(
    store: &mut Store,
    actor: &str,
    now: DateTime<Utc>,
    cal: &Calendar,
    codes: &CodeLists,
    today: NaiveDate,
    episode_id: &str,
    clock: &str,
    reason: &str,
) -> Result<String> {
    let Some(episode) = records::episode(store, episode_id)? else {
        bail!("episode: no episode with id {episode_id}");
    };
    let (kind, reason) =
        validate_closing(DueKind::from_code(clock), reason).map_err(|e| anyhow!(e))?;
    let clocks = clocks_of(store, &episode, cal, codes, today)?;
    let Some(c) = clocks.iter().find(|c| c.item.kind == kind) else {
        bail!(
            "clock: {} is not running on this episode: {}",
            kind.code(),
            match episode.exit_date {
                None => "it starts at the exit, and the episode is open".to_string(),
                Some(_) => "only a planned exit starts the after-exit clocks".to_string(),
            }
        );
    };
    if let Some(m) = c.item.met_on {
        bail!("clock: {} was already met on {m}", kind.code());
    }
    if let Some(Stopped::Closed { on, .. }) = &c.stopped {
        bail!("clock: {} was already closed on {on}", kind.code());
    }
    store.write(actor, now, |tx| {
        follow_ups::close_clock(tx, episode_id, kind, today, &reason, None)
    })
}
