//! Follow-ups after a completed episode (S §20.5: "contacted by the service 3 months and then 6
//! months after they complete treatment"), and closing an after-exit clock with a reason.
//!
//! Choices made where the specification is silent:
//! - An outcome says what it does to the clock (its category in `follow_up_outcomes`): "meets"
//!   (reached: the next open follow-up is done), "attempt" (tried, not reached: the clock stays
//!   open, the attempt is kept and shown), "closes" (declined, moved away or no contact
//!   details, not appropriate: the earliest open follow-up clock closes with the outcome as its
//!   reason; a later one stays open until done or closed in its turn).
//! - How the young person is doing (substance use, re-referral) is recorded only when they
//!   were reached; "not appropriate" needs its reason.
//! - A follow-up is dated on or after the exit and not in the future. One on the exit day is
//!   kept but meets nothing (the clocks' rule).
//! - A worker closes an after-exit clock (exit TOP, 3- or 6-month follow-up) only while it is
//!   open, always with a reason.
//!
//! Pure: `today` and the code lists are parameters.

use chrono::NaiveDate;
use serde::Serialize;

use super::clocks::DueKind;
use super::codes::{CodeLists, ListName};
use super::validate::{parse_date, Invalid, Problems};

/// The longest note or reason kept.
pub const NOTE_MAX: usize = 500;

/// The outcome that needs a reason.
pub const NOT_APPROPRIATE: &str = "not_appropriate";
/// The outcome that reaches the young person (the register import's follow-ups).
pub const REACHED: &str = "reached";

/// What a follow-up does to its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeEffect {
    Meets,
    Attempt,
    Closes,
}

impl OutcomeEffect {
    /// The effect of outcome `code`. By code, not category: the list's codes are fixed
    /// (an override may relabel them), and the store reads "reached" the same way. An unknown
    /// code is an attempt, so it never meets or closes a clock by accident.
    pub fn of(_codes: &CodeLists, code: &str) -> OutcomeEffect {
        match code {
            REACHED => OutcomeEffect::Meets,
            "declined" | "moved_away" | NOT_APPROPRIATE => OutcomeEffect::Closes,
            _ => OutcomeEffect::Attempt,
        }
    }
}

/// A follow-up as typed (CLI options or form fields); empty text means not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpForm {
    pub date: String,
    pub method: String,
    pub outcome: String,
    pub note: String,
    /// When reached: `follow_up_substance_use` code or label.
    pub substance_use: String,
    /// When reached: yes / no.
    pub re_referral: String,
    /// Needed for "not appropriate".
    pub reason: String,
}

/// A checked follow-up, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub date: NaiveDate,
    pub method: String,
    pub outcome: String,
    pub effect: OutcomeEffect,
    pub note: Option<String>,
    pub substance_use: Option<String>,
    pub re_referral: Option<bool>,
    pub reason: Option<String>,
}

/// Checks a follow-up for an episode that exited on `exit` (`None`: still open).
pub fn validate_follow_up(
    form: &FollowUpForm,
    codes: &CodeLists,
    exit: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<FollowUp, Invalid> {
    let mut p = Problems::default();
    if exit.is_none() {
        p.push(
            "episode",
            "a follow-up comes after the episode ends; this episode has not exited",
        );
    }
    let date = match parse_date(&form.date) {
        Ok(d) if d > today => {
            p.push(
                "date",
                format!("{d} is in the future: record the follow-up once it has happened (today is {today})"),
            );
            None
        }
        Ok(d) if exit.is_some_and(|x| d < x) => {
            p.push(
                "date",
                format!(
                    "{d} is before the exit ({}): a follow-up comes after the episode ends",
                    exit.unwrap_or(d)
                ),
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) if form.date.trim().is_empty() => {
            p.push("date", "no date given: expected YYYY-MM-DD or DD/MM/YYYY");
            None
        }
        Err(e) => {
            p.push("date", e);
            None
        }
    };
    let method = codes
        .list(ListName::FollowUpMethods)
        .check_active(&form.method)
        .map_err(|e| p.push("method", e))
        .ok();
    let outcome = codes
        .list(ListName::FollowUpOutcomes)
        .check_active(&form.outcome)
        .map_err(|e| p.push("outcome", e))
        .ok();
    let effect = outcome.as_deref().map(|o| OutcomeEffect::of(codes, o));
    let note = short_text(&mut p, "note", &form.note);
    let reason = short_text(&mut p, "reason", &form.reason);
    let reached = effect == Some(OutcomeEffect::Meets);
    let mut substance_use = None;
    if !form.substance_use.trim().is_empty() {
        if reached {
            substance_use = codes
                .list(ListName::FollowUpSubstanceUse)
                .check_active(&form.substance_use)
                .map_err(|e| p.push("substance_use", e))
                .ok();
        } else if effect.is_some() {
            p.push(
                "substance_use",
                "only recorded when the follow-up reached the young person",
            );
        }
    }
    let re_referral = match form.re_referral.trim().to_ascii_lowercase().as_str() {
        "" => None,
        _ if effect.is_some() && !reached => {
            p.push(
                "re_referral",
                "only recorded when the follow-up reached the young person",
            );
            None
        }
        "yes" | "y" | "true" => Some(true),
        "no" | "n" | "false" => Some(false),
        other => {
            p.push(
                "re_referral",
                format!(
                    "'{}' is not yes or no",
                    super::validate::truncate_for_message(other)
                ),
            );
            None
        }
    };
    if outcome.as_deref() == Some(NOT_APPROPRIATE) && reason.is_none() {
        p.push(
            "reason",
            "say why a follow-up is not appropriate (up to 500 characters)",
        );
    }
    p.into_result()?;
    match (date, method, outcome, effect) {
        (Some(date), Some(method), Some(outcome), Some(effect)) => Ok(FollowUp {
            date,
            method,
            outcome,
            effect,
            note,
            substance_use,
            re_referral,
            reason,
        }),
        // Every missing part pushed a problem above.
        _ => Err(Invalid(Vec::new())),
    }
}

impl FollowUp {
    /// The reason a closing outcome gives its clock: the outcome's label, then the worker's
    /// reason or note.
    pub fn closing_reason(&self, codes: &CodeLists) -> String {
        let label = codes
            .list(ListName::FollowUpOutcomes)
            .get(&self.outcome)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| self.outcome.clone());
        match self.reason.as_deref().or(self.note.as_deref()) {
            Some(why) => format!("{label}: {why}"),
            None => label,
        }
    }
}

/// The clocks a worker may close with a reason: the ones the exit starts.
pub fn closable(kind: DueKind) -> bool {
    kind.starts_at_exit()
}

/// Checks a closing: an after-exit clock and a reason of up to [`NOTE_MAX`] characters.
/// Returns the trimmed reason. Whether the clock is open is the caller's to check against the
/// episode's clocks.
pub fn validate_closing(kind: Option<DueKind>, reason: &str) -> Result<(DueKind, String), Invalid> {
    let mut p = Problems::default();
    let kind = match kind {
        Some(k) if closable(k) => Some(k),
        _ => {
            p.push(
                "clock",
                "expected an after-exit clock: top_exit, follow_up_3m or follow_up_6m",
            );
            None
        }
    };
    let reason = match short_text(&mut p, "reason", reason) {
        Some(r) => Some(r),
        None => {
            if p.for_field("reason").is_none() {
                p.push(
                    "reason",
                    "say why the clock is closed (up to 500 characters)",
                );
            }
            None
        }
    };
    p.into_result()?;
    match (kind, reason) {
        (Some(k), Some(r)) => Ok((k, r)),
        _ => Err(Invalid(Vec::new())),
    }
}

/// Trimmed text of up to [`NOTE_MAX`] characters; `None` when empty.
fn short_text(p: &mut Problems, field: &str, text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let n = t.chars().count();
    if n > NOTE_MAX {
        p.push(
            field,
            format!("{n} characters is too long: keep it to {NOTE_MAX}"),
        );
        return None;
    }
    Some(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn form(outcome: &str) -> FollowUpForm {
        FollowUpForm {
            date: "2025-05-01".into(),
            method: "phone".into(),
            outcome: outcome.into(),
            ..Default::default()
        }
    }

    fn check(f: &FollowUpForm) -> Result<FollowUp, Invalid> {
        validate_follow_up(
            f,
            &CodeLists::embedded(),
            Some(d("2025-01-31")),
            d("2025-06-01"),
        )
    }

    fn fields(e: Invalid) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn each_outcome_says_what_it_does_to_the_clock() {
        let codes = CodeLists::embedded();
        assert_eq!(OutcomeEffect::of(&codes, "reached"), OutcomeEffect::Meets);
        assert_eq!(
            OutcomeEffect::of(&codes, "not_reached"),
            OutcomeEffect::Attempt
        );
        for c in ["declined", "moved_away", "not_appropriate"] {
            assert_eq!(OutcomeEffect::of(&codes, c), OutcomeEffect::Closes, "{c}");
        }
        assert_eq!(
            OutcomeEffect::of(&codes, "nonsense"),
            OutcomeEffect::Attempt
        );
    }

    #[test]
    fn a_reached_follow_up_records_how_the_young_person_is_doing() {
        let mut f = form("Reached");
        f.substance_use = "reduced".into();
        f.re_referral = "no".into();
        let ok = check(&f).unwrap();
        assert_eq!(ok.outcome, "reached");
        assert_eq!(ok.effect, OutcomeEffect::Meets);
        assert_eq!(ok.substance_use.as_deref(), Some("reduced"));
        assert_eq!(ok.re_referral, Some(false));
    }

    #[test]
    fn how_they_are_doing_is_refused_when_they_were_not_reached() {
        let mut f = form("not_reached");
        f.substance_use = "stopped".into();
        f.re_referral = "yes".into();
        assert_eq!(
            fields(check(&f).unwrap_err()),
            ["substance_use", "re_referral"]
        );
    }

    #[test]
    fn not_appropriate_needs_its_reason() {
        let f = form("not_appropriate");
        let e = check(&f).unwrap_err();
        assert_eq!(fields(e), ["reason"]);
        let mut f = f;
        f.reason = "Now in custody; contact through the YOT".into();
        let ok = check(&f).unwrap();
        assert_eq!(
            ok.closing_reason(&CodeLists::embedded()),
            "Not appropriate (say why): Now in custody; contact through the YOT"
        );
    }

    #[test]
    fn bad_dates_codes_and_huge_pastes_are_named_by_field() {
        let f = FollowUpForm {
            date: "31/02/2025".into(),
            method: "carrier pigeon".into(),
            outcome: "".into(),
            note: "x".repeat(5000),
            ..Default::default()
        };
        assert_eq!(
            fields(check(&f).unwrap_err()),
            ["date", "method", "outcome", "note"]
        );
        let mut before_exit = form("reached");
        before_exit.date = "2025-01-30".into();
        let e = check(&before_exit).unwrap_err();
        assert!(
            e.to_string().contains("before the exit (2025-01-31)"),
            "{e}"
        );
        let mut future = form("reached");
        future.date = "2025-06-02".into();
        assert!(check(&future).unwrap_err().to_string().contains("future"));
        let open = validate_follow_up(
            &form("reached"),
            &CodeLists::embedded(),
            None,
            d("2025-06-01"),
        );
        assert_eq!(fields(open.unwrap_err()), ["episode"]);
    }

    #[test]
    fn only_after_exit_clocks_close_and_always_with_a_reason() {
        assert_eq!(
            validate_closing(Some(DueKind::FollowUp3Months), "  moved to Leeds "),
            Ok((DueKind::FollowUp3Months, "moved to Leeds".to_string()))
        );
        assert_eq!(
            fields(validate_closing(Some(DueKind::Review), "").unwrap_err()),
            ["clock", "reason"]
        );
        assert_eq!(
            fields(validate_closing(None, &"ü".repeat(501)).unwrap_err()),
            ["clock", "reason"]
        );
    }
}
