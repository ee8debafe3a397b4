//! The duty worker's day as rules, without screens or SQL: a new referral (S §8.3, §14.4,
//! §20.5), triage (S §8.4), allocation and joint working (KPIs 4c, 4d), a brief intervention,
//! an outreach tally (KPIs 1a, 1b; MI 18–19) and an exit (S §8.10, §20.6 item 15).
//!
//! Each form holds what the worker typed (text as typed, check boxes as `bool`/`Option<bool>`)
//! and is turned into a `Valid…` value by its `validate_…` function, or into [`Problems`] that
//! name the field. A problem's field is the form struct's field name (`referral_date`); a
//! problem inside a list names the item, as [`item_field`] builds it (`substances[1].route`,
//! `flags_to_raise[0].action`). Problems about the episode as a whole, rather than one field,
//! use the field `episode` (or `young_person`, `key_worker`).
//!
//! `Valid…` values can only be made by their `validate_…` function, so the store may trust them;
//! it still re-checks them against the episode as it stands inside the write's transaction
//! (`…_fits_episode`), because a screen may have validated against a stale copy.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::domain::calendar::{age_on, AgeBand};
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::dates::{parse_relative_date, DATE_FORMS};
use crate::domain::record::{
    fold_name, Contact, Episode, OutreachTally, RiskLevel, SubstanceUse, Worker, YoungPerson,
};
use crate::domain::validate::{parse_date, truncate_for_message, Problems};

/// Below this age on the referral date the date of birth is surely mistyped.
pub const YOUNGEST_PLAUSIBLE_AGE: u32 = 5;
/// Above this age on the referral date the date of birth is surely mistyped.
pub const OLDEST_PLAUSIBLE_AGE: u32 = 30;
/// The ages the service is commissioned for (S §8.3.1); others are accepted with a note.
pub const SERVICE_AGES: std::ops::RangeInclusive<u32> = 11..=24;
/// Motivation to engage (S §8.4.2) is a 0–10 readiness ruler: 0 not at all, 10 fully.
pub const MOTIVATION_MAX: u8 = 10;
/// An outreach tally counts this many young people at most (one session, one setting).
pub const OUTREACH_COUNT_MAX: u32 = 500;

const NAME_MAX: usize = 100;
const SHORT_TEXT_MAX: usize = 200;
const LONG_TEXT_MAX: usize = 4000;

/// The field name of an item in a list on a form: `item_field("substances", 1, "route")` is
/// `substances[1].route`.
pub fn item_field(list: &str, index: usize, field: &str) -> String {
    format!("{list}[{index}].{field}")
}

/// Marks a value as made by its validator; nothing outside this module can build one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked;

// ---------------------------------------------------------------------------------------------
// Small readers shared by the forms.

/// A required date of an event, as a form's date field takes it (`2025-06-02`, `02/06/2025`,
/// `today`, `-2d`, …): a message at `field` when empty or unreadable.
fn required_date(
    p: &mut Problems,
    field: &str,
    text: &str,
    what: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        p.push(field, format!("give {what} ({DATE_FORMS})"));
        return None;
    }
    optional_date(p, field, text, today)
}

/// An optional date of an event: `None` when empty, a message at `field` when unreadable.
fn optional_date(p: &mut Problems, field: &str, text: &str, today: NaiveDate) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        return None;
    }
    match parse_relative_date(text, today) {
        Ok(d) => Some(d),
        Err(e) => {
            p.push(field, e);
            None
        }
    }
}

/// A date that may not be after today.
fn not_in_future(p: &mut Problems, field: &str, d: NaiveDate, today: NaiveDate, what: &str) {
    if d > today {
        p.push(
            field,
            format!("{what} {d} is in the future (today is {today})"),
        );
    }
}

/// Trimmed free text, `None` when empty. `multiline` allows line breaks and tabs; any other
/// control character (a stray paste) is refused, as is text longer than `max` characters.
fn free_text(
    p: &mut Problems,
    field: &str,
    text: &str,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let n = t.chars().count();
    if n > max {
        p.push(
            field,
            format!("too long ({n} characters): at most {max} characters"),
        );
        return None;
    }
    let bad = t
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    if bad {
        p.push(
            field,
            "contains control characters: retype it rather than pasting",
        );
        return None;
    }
    Some(t.to_string())
}

/// A code from `list` for a new record, `None` when empty.
fn optional_code(
    p: &mut Problems,
    codes: &CodeLists,
    list: ListName,
    field: &str,
    text: &str,
) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    match codes.check_active(list, text) {
        Ok(c) => Some(c),
        Err(e) => {
            p.push(field, e);
            None
        }
    }
}

/// A code from `list` for a new record; the list's own message when empty or unknown.
fn required_code(
    p: &mut Problems,
    codes: &CodeLists,
    list: ListName,
    field: &str,
    text: &str,
) -> Option<String> {
    match codes.check_active(list, text) {
        Ok(c) => Some(c),
        Err(e) => {
            p.push(field, e);
            None
        }
    }
}

/// Whole number as typed, in `range`.
fn optional_number(
    p: &mut Problems,
    field: &str,
    text: &str,
    range: std::ops::RangeInclusive<u32>,
    what: &str,
) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<u32>() {
        Ok(n) if range.contains(&n) => Some(n),
        Ok(n) => {
            p.push(
                field,
                format!(
                    "{n} is out of range: {what} is {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
        Err(_) => {
            p.push(
                field,
                format!(
                    "'{}' is not a whole number: {what} is {} to {}",
                    truncate_for_message(t),
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Postcode district.

fn is_outward_code(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) {
        return false;
    }
    match &b[letters..] {
        [d] => d.is_ascii_digit(),
        [d, x] => d.is_ascii_digit() && (x.is_ascii_digit() || x.is_ascii_uppercase()),
        _ => false,
    }
}

fn is_inward_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1..].iter().all(u8::is_ascii_uppercase)
}

/// The start of an inward code, as typed by someone giving only the sector (`SO14 0`).
fn is_partial_inward_code(s: &str) -> bool {
    let b = s.as_bytes();
    match b {
        [d] => d.is_ascii_digit(),
        [d, l] => d.is_ascii_digit() && l.is_ascii_uppercase(),
        _ => is_inward_code(s),
    }
}

/// The postcode district (outward code) of a postcode as typed: `so14 0aa`, `SO140AA` and
/// `so14` all give `SO14`. Only the district is kept: enough for the returns and no more
/// (DESIGN.md, young person). `Ok(None)` when empty.
pub fn postcode_district(text: &str) -> Result<Option<String>, String> {
    let upper = text.trim().to_ascii_uppercase();
    if upper.is_empty() {
        return Ok(None);
    }
    let refuse = || {
        Err(format!(
            "'{}' is not a postcode: give the district (e.g. SO14) or the whole postcode \
             (SO14 0AA); only the district is kept",
            truncate_for_message(text.trim())
        ))
    };
    let parts: Vec<&str> = upper.split_whitespace().collect();
    let outward = match parts.as_slice() {
        [one] if is_outward_code(one) => *one,
        [one] if one.len() >= 5 && one.is_char_boundary(one.len() - 3) => {
            let (head, tail) = one.split_at(one.len() - 3);
            if is_outward_code(head) && is_inward_code(tail) {
                head
            } else {
                return refuse();
            }
        }
        [out, inward] if is_outward_code(out) && is_partial_inward_code(inward) => *out,
        _ => return refuse(),
    };
    Ok(Some(outward.to_string()))
}

// ---------------------------------------------------------------------------------------------
// New referral (S §8.3, §14.4, §20.5).

/// A referral as the duty worker types it. Dates as typed (`YYYY-MM-DD` or `DD/MM/YYYY`),
/// codes as code or label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralForm {
    pub given_name: String,
    pub family_name: String,
    /// Required: the age checks and every return's age breakdown need it.
    pub date_of_birth: String,
    /// Code from `sex`; optional.
    pub sex: String,
    /// NHS ethnic category (`ethnicity`); optional.
    pub ethnicity: String,
    /// A postcode or its district; only the district is kept. Optional.
    pub postcode_district: String,
    /// Required; not in the future.
    pub referral_date: String,
    /// Code from `referral_sources`; required (S §20.6 item 5).
    pub referral_source: String,
    /// Who referred (a person or an agency), free text.
    pub referrer: String,
    /// How to reach the referrer, free text.
    pub referrer_contact: String,
    pub referral_reason: String,
    /// Consent to share information (S §8.5.4, §12.1.3); `None` = not yet asked.
    pub consent_to_share: Option<bool>,
    /// When consent was given (or refused); required when consent is given.
    pub consent_date: String,
    /// Code from `urgency`; optional.
    pub urgency: String,
}

impl ReferralForm {
    /// A referral form for a young person already known (chosen from the duplicate search),
    /// with their details filled in; the referral's own fields are left empty.
    pub fn for_known(person: &YoungPerson) -> ReferralForm {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        ReferralForm {
            given_name: person.given_name.clone(),
            family_name: person.family_name.clone(),
            date_of_birth: date(person.date_of_birth).unwrap_or_default(),
            sex: person.sex.clone().unwrap_or_default(),
            ethnicity: person.ethnicity.clone().unwrap_or_default(),
            postcode_district: person.postcode_district.clone().unwrap_or_default(),
            consent_to_share: person.consent_to_share,
            consent_date: date(person.consent_date).unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// A referral that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReferral {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub postcode_district: Option<String>,
    pub referral_date: NaiveDate,
    pub referral_source: String,
    pub referrer: Option<String>,
    pub referrer_contact: Option<String>,
    pub referral_reason: Option<String>,
    pub consent_to_share: Option<bool>,
    pub consent_date: Option<NaiveDate>,
    pub urgency: Option<String>,
    /// Age in whole years on the referral date.
    pub age_on_referral: u32,
    /// The episode's age band for the returns (age on the referral date).
    pub age_band: AgeBand,
    /// Things the worker should see before saving, though nothing is wrong.
    pub notes: Vec<String>,
    _checked: Checked,
}

/// Checks a referral: every problem is reported at its field, and an accepted referral may
/// carry notes (an age outside 11–24 is accepted: nobody is refused, S §11.2).
pub fn validate_referral(
    form: &ReferralForm,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<ValidReferral, Problems> {
    let mut p = Problems::default();
    let mut notes = Vec::new();

    let given_name = free_text(&mut p, "given_name", &form.given_name, NAME_MAX, false);
    let family_name = free_text(&mut p, "family_name", &form.family_name, NAME_MAX, false);
    if form.given_name.trim().is_empty() && form.family_name.trim().is_empty() {
        p.push(
            "given_name",
            "give the young person's name (at least a given or a family name)",
        );
    }

    // A date of birth is a written date, never `today` or an offset.
    let dob = if form.date_of_birth.trim().is_empty() {
        p.push(
            "date_of_birth",
            "give the date of birth (YYYY-MM-DD or DD/MM/YYYY)",
        );
        None
    } else {
        match parse_date(&form.date_of_birth) {
            Ok(d) => Some(d),
            Err(e) => {
                p.push("date_of_birth", e);
                None
            }
        }
    };
    let referral_date = required_date(
        &mut p,
        "referral_date",
        &form.referral_date,
        "the referral date",
        today,
    );
    if let Some(r) = referral_date {
        not_in_future(&mut p, "referral_date", r, today, "the referral date");
    }
    if let Some(d) = dob {
        not_in_future(&mut p, "date_of_birth", d, today, "the date of birth");
    }
    let mut age_on_referral = None;
    if let (Some(d), Some(r)) = (dob, referral_date) {
        match age_on(d, r) {
            None => {
                if d <= today {
                    p.push(
                        "date_of_birth",
                        format!("the date of birth {d} is after the referral date {r}"),
                    );
                }
            }
            Some(age) if !(YOUNGEST_PLAUSIBLE_AGE..=OLDEST_PLAUSIBLE_AGE).contains(&age) => {
                p.push(
                    "date_of_birth",
                    format!(
                        "check the date of birth: that makes them {age} on the referral date \
                         (expected {YOUNGEST_PLAUSIBLE_AGE} to {OLDEST_PLAUSIBLE_AGE})"
                    ),
                );
            }
            Some(age) => {
                if !SERVICE_AGES.contains(&age) {
                    notes.push(format!(
                        "aged {age} on referral: outside {}–{}, accepted (S §11.2: nobody is \
                         refused)",
                        SERVICE_AGES.start(),
                        SERVICE_AGES.end()
                    ));
                }
                age_on_referral = Some(age);
            }
        }
    }

    let sex = optional_code(&mut p, codes, ListName::Sex, "sex", &form.sex);
    let ethnicity = optional_code(
        &mut p,
        codes,
        ListName::Ethnicity,
        "ethnicity",
        &form.ethnicity,
    );
    let postcode = match postcode_district(&form.postcode_district) {
        Ok(d) => d,
        Err(e) => {
            p.push("postcode_district", e);
            None
        }
    };
    let referral_source = required_code(
        &mut p,
        codes,
        ListName::ReferralSources,
        "referral_source",
        &form.referral_source,
    );
    let referrer = free_text(&mut p, "referrer", &form.referrer, SHORT_TEXT_MAX, false);
    let referrer_contact = free_text(
        &mut p,
        "referrer_contact",
        &form.referrer_contact,
        SHORT_TEXT_MAX,
        false,
    );
    let referral_reason = free_text(
        &mut p,
        "referral_reason",
        &form.referral_reason,
        LONG_TEXT_MAX,
        true,
    );
    let urgency = optional_code(&mut p, codes, ListName::Urgency, "urgency", &form.urgency);

    let consent_date = optional_date(&mut p, "consent_date", &form.consent_date, today);
    match (form.consent_to_share, consent_date) {
        (None, Some(_)) => p.push(
            "consent_date",
            "say whether the young person consents to share information before giving a \
             consent date",
        ),
        (Some(true), None) if form.consent_date.trim().is_empty() => p.push(
            "consent_date",
            "give the date consent to share was given (YYYY-MM-DD or DD/MM/YYYY)",
        ),
        _ => {}
    }
    if let Some(c) = consent_date {
        not_in_future(&mut p, "consent_date", c, today, "the consent date");
        if dob.is_some_and(|d| c < d) {
            p.push(
                "consent_date",
                format!("the consent date {c} is before the date of birth"),
            );
        }
    }

    if !p.is_empty() {
        return Err(p);
    }
    match (dob, referral_date, referral_source, age_on_referral) {
        (Some(date_of_birth), Some(referral_date), Some(referral_source), Some(age)) => {
            Ok(ValidReferral {
                given_name: given_name.unwrap_or_default(),
                family_name: family_name.unwrap_or_default(),
                date_of_birth,
                sex,
                ethnicity,
                postcode_district: postcode,
                referral_date,
                referral_source,
                referrer,
                referrer_contact,
                referral_reason,
                consent_to_share: form.consent_to_share,
                consent_date,
                urgency,
                age_on_referral: age,
                age_band: AgeBand::of(age),
                notes,
                _checked: Checked,
            })
        }
        // Every path that leaves one of these empty pushed a problem above.
        _ => {
            p.push("referral_date", "the referral could not be read");
            Err(p)
        }
    }
}

/// Whether a new referral may open an episode for a young person already known: refused while
/// they have an open episode (one treatment journey at a time, S §20.5; record this referral's
/// details on that episode, or exit it first), and refused when dated before their last exit.
/// `episodes` are the young person's episodes (entered-in-error ones left out).
pub fn new_episode_problems(referral_date: NaiveDate, episodes: &[Episode]) -> Problems {
    let mut p = Problems::default();
    if let Some(open) = episodes.iter().find(|e| e.is_open()) {
        p.push(
            "young_person",
            format!(
                "already has an open episode (referred {}): record the referral on that \
                 episode, or record its exit first",
                open.referral_date
            ),
        );
    }
    if let Some(last_exit) = episodes.iter().filter_map(|e| e.exit_date).max() {
        if referral_date < last_exit {
            p.push(
                "referral_date",
                format!(
                    "the referral date {referral_date} is before the end of their last episode \
                     ({last_exit}): a new episode starts on or after it"
                ),
            );
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Duplicate search: name similarity (the store finds the candidates through its indexes).

/// How a possible duplicate resembles the young person being referred, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchReason {
    /// The reference typed is theirs.
    SameReference,
    /// Same date of birth.
    SameDateOfBirth,
    /// A similar name; `score` 100 means the same name once case, accents and punctuation are
    /// set aside.
    SimilarName { score: u8 },
}

impl MatchReason {
    /// Sort key: lower is stronger.
    pub fn rank(self) -> (u8, u8) {
        match self {
            MatchReason::SameReference => (0, 0),
            MatchReason::SameDateOfBirth => (1, 0),
            MatchReason::SimilarName { score } => (2, 100u8.saturating_sub(score)),
        }
    }

    /// In words, for the duplicate list.
    pub fn describe(self) -> String {
        match self {
            MatchReason::SameReference => "same reference".into(),
            MatchReason::SameDateOfBirth => "same date of birth".into(),
            MatchReason::SimilarName { score: 100 } => "same name".into(),
            MatchReason::SimilarName { score } => format!("similar name ({score}%)"),
        }
    }
}

/// A name reduced to words for comparing: folded (lower case, no accents), hyphens as spaces,
/// other punctuation dropped, so `Zoë O'Brien-Smith` gives `zoe obrien smith`.
pub fn compare_key(name: &str) -> String {
    // Plain ASCII needs no Unicode folding: the common case, and the duplicate search runs
    // this over thousands of index entries per keystroke.
    let folded = if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        fold_name(name)
    };
    let kept: String = folded
        .chars()
        .filter_map(|c| match c {
            '-' | '\u{2010}' | '\u{2013}' => Some(' '),
            c if c.is_alphanumeric() || c.is_whitespace() => Some(c),
            _ => None,
        })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A compare key without its spaces: `Smith-Jones`, `Smith Jones` and `SmithJones` are one
/// name.
fn squashed(name: &str) -> String {
    compare_key(name).replace(' ', "")
}

/// How many edits a family name may be from another and still be similar: none for very
/// short names (`Li`/`Le` are different families), one up to five letters, two beyond.
fn allowed_edits(key: &str) -> usize {
    match key.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of
/// two neighbouring letters, the commonest slips) if it is at most `max`, else `None`. Stops
/// as soon as the bound is passed.
pub fn bounded_edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Optimal string alignment: three rows of the Damerau–Levenshtein table.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    let mut last_min = 0;
    for i in 0..a.len() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            let mut v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                v = v.min(before[j - 1] + 1);
            }
            cur[j + 1] = v;
            row_min = row_min.min(v);
        }
        // A later row is at least this row's minimum, or the one before's plus one (a swap
        // reaches back two rows): past the bound in both, it can only grow.
        if row_min > max && last_min + 1 > max {
            return None;
        }
        last_min = row_min;
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Given names: penalty for how far apart they are, `None` when unrelated.
fn given_penalty(query: &str, candidate: &str) -> Option<u8> {
    if query.is_empty() || candidate.is_empty() {
        return Some(20);
    }
    if query == candidate {
        return Some(0);
    }
    if bounded_edit_distance(query, candidate, 1).is_some() {
        return Some(5);
    }
    // Alex / Alexander, or an initial typed for the given name.
    if candidate.starts_with(query) || query.starts_with(candidate) {
        return Some(10);
    }
    if query.chars().next() == candidate.chars().next() {
        return Some(25);
    }
    None
}

fn pair_score(query_given: &str, query_family: &str, given: &str, family: &str) -> Option<u8> {
    if query_family.is_empty() || family.is_empty() {
        return None;
    }
    let edits = bounded_edit_distance(query_family, family, allowed_edits(query_family))?;
    let penalty = given_penalty(query_given, given)?;
    Some(
        100u8
            .saturating_sub(10 * edits as u8)
            .saturating_sub(penalty),
    )
}

/// How similar a stored name is to the name typed on a referral, 0–100, or `None` when not
/// similar: the family names within a few edits (none for very short names) and the given
/// names the same, one edit apart, one a prefix of the other, or sharing the first letter.
/// Names typed the wrong way round (family as given) also match, scoring 10 less.
pub fn name_similarity(
    query_given: &str,
    query_family: &str,
    given: &str,
    family: &str,
) -> Option<u8> {
    NameQuery::new(query_given, query_family).score(given, family)
}

/// A name typed on a referral, prepared once to be compared with many stored names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    typed_given: String,
    typed_family: String,
    given: String,
    family: String,
}

impl NameQuery {
    pub fn new(given: &str, family: &str) -> NameQuery {
        NameQuery {
            typed_given: given.to_string(),
            typed_family: family.to_string(),
            given: squashed(given),
            family: squashed(family),
        }
    }

    /// Without a family name there is nothing to compare.
    pub fn is_empty(&self) -> bool {
        self.family.is_empty()
    }

    /// As [`name_similarity`], against a stored given and family name.
    pub fn score(&self, given: &str, family: &str) -> Option<u8> {
        self.score_squashed(&squashed(given), &squashed(family))
    }

    fn score_squashed(&self, given: &str, family: &str) -> Option<u8> {
        let direct = pair_score(&self.given, &self.family, given, family);
        let swapped =
            pair_score(&self.given, &self.family, family, given).map(|s| s.saturating_sub(10));
        direct.max(swapped)
    }

    /// The score against a stored `name_key` ("given family", folded) as the index holds it,
    /// taking the best split of its words into given and family name (the key does not say
    /// where a two-word given name ends). The store ranks index entries by this and reads in
    /// full only the best; [`NameQuery::score`] then scores them on the real fields.
    pub fn score_name_key(&self, name_key: &str) -> Option<u8> {
        if self.is_empty() {
            return None;
        }
        let key = compare_key(name_key);
        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        (0..words.len())
            .filter_map(|k| self.score_squashed(&words[..k].concat(), &words[k..].concat()))
            .max()
    }

    /// The `name_key` prefixes (see the `young_people_name_key` index) under which a similar
    /// name must sit: the first letter of the folded given name (the given names share it, or
    /// one is a prefix of the other), and of the folded family name (for names typed the wrong
    /// way round). The store scans only these index ranges, never the whole table.
    pub fn name_key_prefixes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        for part in [&self.typed_given, &self.typed_family] {
            if let Some(c) = fold_name(part).chars().next() {
                let s = c.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// What the episode rules need to know.

/// An episode as the triage, allocation, joint-working and exit rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeContext {
    pub episode: Episode,
    /// The young person's date of birth, for the age-of-first-use check.
    pub date_of_birth: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------------
// Triage (S §8.4).

/// One substance row on the triage form. Rows are ranked by position: the first is the
/// primary substance, the second the secondary, the rest others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubstanceForm {
    /// Code from `substances`.
    pub substance: String,
    /// Code from `routes`; optional.
    pub route: String,
    /// Code from `frequency`; optional.
    pub frequency: String,
    /// Whole years; optional, not older than they are now.
    pub age_first_use: String,
}

impl SubstanceForm {
    fn is_blank(&self) -> bool {
        [
            &self.substance,
            &self.route,
            &self.frequency,
            &self.age_first_use,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// A risk flag to raise with the triage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewFlagForm {
    /// Code from `risk_types`.
    pub flag_type: String,
    /// `low`, `medium` or `high`.
    pub level: String,
    /// What to do about it: required.
    pub action: String,
    /// When it must be reviewed; optional, not before the triage.
    pub review_date: String,
}

/// A risk flag that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub flag_type: String,
    pub level: RiskLevel,
    pub action: String,
    pub review_date: Option<NaiveDate>,
}

/// The triage form (S §8.4.2): seriousness and urgency, substances, motivation, risk factors,
/// the immediate outcome and the interim care plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageForm {
    pub date: String,
    pub presenting_needs: String,
    /// Ticked when the young person reports no substance use; otherwise a primary substance
    /// is required.
    pub no_substances: bool,
    pub substances: Vec<SubstanceForm>,
    /// Code from `injecting` (`never`, `previously`, `currently`, `not_stated`); optional.
    pub injecting: String,
    /// Sharing injecting equipment; only for someone who injects (or did).
    pub sharing: Option<bool>,
    /// How serious the needs are: `low`, `medium` or `high` (the `risk_levels` list).
    pub seriousness: String,
    /// Code from `urgency`.
    pub urgency: String,
    /// Motivation to engage, 0 (none) to 10 (fully).
    pub motivation: String,
    pub risk_factors: String,
    /// Codes from `vulnerabilities`; repeats are merged.
    pub vulnerabilities: Vec<String>,
    /// Code from `triage_outcomes`: required. `comprehensive_assessment` starts KPI 2b's
    /// 5-working-day clock.
    pub outcome: String,
    pub interim_plan: String,
    pub flags_to_raise: Vec<NewFlagForm>,
}

/// A triage that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTriage {
    pub date: NaiveDate,
    pub presenting_needs: Option<String>,
    /// Ranked 1 (primary), 2 (secondary), 3+ (others); empty when no substance use.
    pub substances: Vec<SubstanceUse>,
    pub injecting: Option<String>,
    pub sharing: Option<bool>,
    pub seriousness: Option<String>,
    pub urgency: Option<String>,
    pub motivation: Option<u8>,
    pub risk_factors: Option<String>,
    pub vulnerabilities: Vec<String>,
    pub outcome: String,
    /// The outcome says a comprehensive assessment is needed (KPI 2b's clock starts).
    pub assessment_needed: bool,
    pub interim_plan: Option<String>,
    pub flags: Vec<NewFlag>,
    pub notes: Vec<String>,
    _checked: Checked,
}

const INJECTS: &[&str] = &["previously", "currently"];

/// Checks a triage against the episode it is for.
pub fn validate_triage(
    form: &TriageForm,
    codes: &CodeLists,
    today: NaiveDate,
    ctx: &EpisodeContext,
) -> Result<ValidTriage, Problems> {
    let mut p = Problems::default();
    let mut notes = Vec::new();
    let date = required_date(&mut p, "date", &form.date, "the triage date", today);
    if let Some(d) = date {
        not_in_future(&mut p, "date", d, today, "the triage date");
        p.0.extend(triage_date_problems(d, ctx).0);
    }
    let presenting_needs = free_text(
        &mut p,
        "presenting_needs",
        &form.presenting_needs,
        LONG_TEXT_MAX,
        true,
    );

    // Substances: blank rows at the end are ignored; a blank row before a filled one is not.
    let last_filled = form.substances.iter().rposition(|s| !s.is_blank());
    let rows = last_filled.map_or(&form.substances[..0], |i| &form.substances[..=i]);
    let age_now = match (ctx.date_of_birth, date) {
        (Some(dob), Some(d)) => age_on(dob, d),
        _ => None,
    };
    let mut substances = Vec::new();
    let mut seen = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let field = |f: &str| item_field("substances", i, f);
        if row.substance.trim().is_empty() {
            let what = match i {
                0 => "give the primary substance",
                1 => "give the secondary substance",
                _ => "give the substance",
            };
            p.push(&field("substance"), format!("{what}, or clear this row"));
            continue;
        }
        let substance = required_code(
            &mut p,
            codes,
            ListName::Substances,
            &field("substance"),
            &row.substance,
        );
        let route = optional_code(&mut p, codes, ListName::Routes, &field("route"), &row.route);
        let frequency = optional_code(
            &mut p,
            codes,
            ListName::Frequency,
            &field("frequency"),
            &row.frequency,
        );
        let age_first_use = optional_number(
            &mut p,
            &field("age_first_use"),
            &row.age_first_use,
            1..=OLDEST_PLAUSIBLE_AGE,
            "age of first use",
        );
        if let (Some(first), Some(now)) = (age_first_use, age_now) {
            if first > now {
                p.push(
                    &field("age_first_use"),
                    format!("{first} is older than they are on the triage date ({now})"),
                );
            }
        }
        if let Some(code) = substance {
            if !seen.insert(code.clone()) {
                p.push(
                    &field("substance"),
                    format!(
                        "{} is already listed above: each substance once",
                        codes.label_of(ListName::Substances, &code)
                    ),
                );
                continue;
            }
            substances.push(SubstanceUse {
                rank: u8::try_from(i + 1).unwrap_or(u8::MAX),
                substance: code,
                route,
                frequency,
                age_first_use: age_first_use.and_then(|a| u8::try_from(a).ok()),
            });
        }
    }
    match (form.no_substances, rows.is_empty()) {
        (true, false) => p.push(
            "substances",
            "'no substance use' is ticked but substances are listed: untick it or clear them",
        ),
        (false, true) => p.push(
            &item_field("substances", 0, "substance"),
            "give the primary substance, or tick 'no substance use'",
        ),
        _ => {}
    }

    let injecting = optional_code(
        &mut p,
        codes,
        ListName::Injecting,
        "injecting",
        &form.injecting,
    );
    if form.sharing == Some(true) && !injecting.as_deref().is_some_and(|i| INJECTS.contains(&i)) {
        p.push(
            "sharing",
            "sharing equipment is recorded only for someone who injects: set injecting to \
             'currently' or 'previously' first",
        );
    }
    if injecting.as_deref() == Some("never")
        && substances
            .iter()
            .any(|s| s.route.as_deref() == Some("injecting"))
    {
        p.push(
            "injecting",
            "a substance's route is injecting, so injecting cannot be 'never'",
        );
    }

    let seriousness = optional_code(
        &mut p,
        codes,
        ListName::RiskLevels,
        "seriousness",
        &form.seriousness,
    );
    let urgency = optional_code(&mut p, codes, ListName::Urgency, "urgency", &form.urgency);
    let motivation = optional_number(
        &mut p,
        "motivation",
        &form.motivation,
        0..=u32::from(MOTIVATION_MAX),
        "motivation",
    )
    .and_then(|m| u8::try_from(m).ok());
    let risk_factors = free_text(
        &mut p,
        "risk_factors",
        &form.risk_factors,
        LONG_TEXT_MAX,
        true,
    );

    let mut vulnerabilities: Vec<String> = Vec::new();
    for v in form.vulnerabilities.iter().filter(|v| !v.trim().is_empty()) {
        match codes.check_active(ListName::Vulnerabilities, v) {
            Ok(c) if !vulnerabilities.contains(&c) => vulnerabilities.push(c),
            Ok(_) => {}
            Err(e) => p.push("vulnerabilities", e),
        }
    }

    let outcome = required_code(
        &mut p,
        codes,
        ListName::TriageOutcomes,
        "outcome",
        &form.outcome,
    );
    let assessment_needed = outcome
        .as_deref()
        .is_some_and(|o| codes.is_comprehensive_assessment(o));
    if assessment_needed {
        notes.push(
            "a comprehensive assessment is now due within 5 working days of the triage \
             (KPI 2b)"
                .to_string(),
        );
    }
    let interim_plan = free_text(
        &mut p,
        "interim_plan",
        &form.interim_plan,
        LONG_TEXT_MAX,
        true,
    );

    let mut flags = Vec::new();
    for (i, f) in form.flags_to_raise.iter().enumerate() {
        let field = |n: &str| item_field("flags_to_raise", i, n);
        let flag_type = required_code(
            &mut p,
            codes,
            ListName::RiskTypes,
            &field("flag_type"),
            &f.flag_type,
        );
        let level = required_code(
            &mut p,
            codes,
            ListName::RiskLevels,
            &field("level"),
            &f.level,
        )
        .and_then(|l| RiskLevel::from_code(&l));
        let action = free_text(&mut p, &field("action"), &f.action, LONG_TEXT_MAX, true);
        if f.action.trim().is_empty() {
            p.push(&field("action"), "say what to do about this risk");
        }
        let review_date = optional_date(&mut p, &field("review_date"), &f.review_date, today);
        if let (Some(r), Some(d)) = (review_date, date) {
            if r < d {
                p.push(
                    &field("review_date"),
                    format!("the review date {r} is before the triage date {d}"),
                );
            }
        }
        if let (Some(flag_type), Some(level), Some(action)) = (flag_type, level, action) {
            flags.push(NewFlag {
                flag_type,
                level,
                action,
                review_date,
            });
        }
    }

    if !p.is_empty() {
        return Err(p);
    }
    match (date, outcome) {
        (Some(date), Some(outcome)) => Ok(ValidTriage {
            date,
            presenting_needs,
            substances,
            injecting,
            sharing: form.sharing,
            seriousness,
            urgency,
            motivation,
            risk_factors,
            vulnerabilities,
            outcome,
            assessment_needed,
            interim_plan,
            flags,
            notes,
            _checked: Checked,
        }),
        _ => {
            p.push("date", "the triage could not be read");
            Err(p)
        }
    }
}

/// The triage date against the episode: not before the referral, not on an exited or an
/// already triaged episode (one triage per episode), and the young person not older at first
/// use than on the triage date.
pub fn triage_date_problems(date: NaiveDate, ctx: &EpisodeContext) -> Problems {
    let mut p = Problems::default();
    let e = &ctx.episode;
    if let Some(t) = e.triage_date {
        p.push(
            "episode",
            format!("this episode was already triaged on {t}: one triage per episode"),
        );
    }
    if let Some(x) = e.exit_date {
        p.push(
            "episode",
            format!("this episode ended on {x}: take a new referral to triage again"),
        );
    }
    if date < e.referral_date {
        p.push(
            "date",
            format!(
                "the triage date {date} is before the referral date {}",
                e.referral_date
            ),
        );
    }
    p
}

/// Re-checks a validated triage against the episode as it now stands (the store calls this
/// inside the write's transaction).
pub fn triage_fits_episode(t: &ValidTriage, ctx: &EpisodeContext) -> Problems {
    let mut p = triage_date_problems(t.date, ctx);
    if let Some(now) = ctx.date_of_birth.and_then(|dob| age_on(dob, t.date)) {
        for s in &t.substances {
            if s.age_first_use.is_some_and(|a| u32::from(a) > now) {
                p.push(
                    &item_field("substances", usize::from(s.rank) - 1, "age_first_use"),
                    format!("older than they are on the triage date ({now})"),
                );
            }
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Allocation and joint working (KPIs 4d, 4c).

/// Whether `worker` may become the key worker of the episode: the worker must exist and be
/// active, and the episode must be open.
pub fn allocation_problems(ctx: &EpisodeContext, worker: Option<&Worker>) -> Problems {
    let mut p = Problems::default();
    match worker {
        None => p.push("key_worker", "no such worker: choose one from the list"),
        Some(w) if !w.active => p.push(
            "key_worker",
            format!("{} is no longer active: choose an active worker", w.name),
        ),
        Some(_) => {}
    }
    if let Some(x) = ctx.episode.exit_date {
        p.push(
            "episode",
            format!("this episode ended on {x}: a key worker is allocated to an open episode"),
        );
    }
    p
}

/// Joint working with another service on an episode, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JointWorkingForm {
    /// Code from `referral_services`.
    pub service: String,
    pub date: String,
    pub reason: String,
}

/// Joint working that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidJointWorking {
    pub service: String,
    pub date: NaiveDate,
    pub reason: Option<String>,
    _checked: Checked,
}

/// Checks joint working against the episode: a known service, dated within the episode.
pub fn validate_joint_working(
    form: &JointWorkingForm,
    codes: &CodeLists,
    today: NaiveDate,
    ctx: &EpisodeContext,
) -> Result<ValidJointWorking, Problems> {
    let mut p = Problems::default();
    let service = required_code(
        &mut p,
        codes,
        ListName::ReferralServices,
        "service",
        &form.service,
    );
    let date = required_date(&mut p, "date", &form.date, "the date", today);
    if let Some(d) = date {
        not_in_future(&mut p, "date", d, today, "the date");
        p.0.extend(dated_within_episode(d, ctx).0);
    }
    let reason = free_text(&mut p, "reason", &form.reason, LONG_TEXT_MAX, true);
    match (service, date) {
        (Some(service), Some(date)) if p.is_empty() => Ok(ValidJointWorking {
            service,
            date,
            reason,
            _checked: Checked,
        }),
        _ => Err(p),
    }
}

/// An event's `date` must fall within the episode: on or after the referral and not after the
/// exit.
pub fn dated_within_episode(date: NaiveDate, ctx: &EpisodeContext) -> Problems {
    let mut p = Problems::default();
    let e = &ctx.episode;
    if date < e.referral_date {
        p.push(
            "date",
            format!(
                "{date} is before the referral date {}: date it within the episode",
                e.referral_date
            ),
        );
    }
    if let Some(x) = e.exit_date {
        if date > x {
            p.push(
                "date",
                format!("{date} is after the episode ended ({x}): date it within the episode"),
            );
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Brief intervention (a contact with a known young person).

/// A brief intervention given to a known young person, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BriefInterventionForm {
    pub date: String,
    /// `alcohol` or `drugs` (or the contact type `brief_intervention_alcohol` /
    /// `brief_intervention_drugs`, by code or label).
    pub kind: String,
    /// Minutes, optional (1–600).
    pub duration_minutes: String,
    pub note: String,
}

/// A brief intervention that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBriefIntervention {
    pub date: NaiveDate,
    /// `brief_intervention_alcohol` or `brief_intervention_drugs`.
    pub contact_type: String,
    pub duration_minutes: Option<u32>,
    pub note: Option<String>,
    _checked: Checked,
}

impl ValidBriefIntervention {
    /// The contact to record for this young person (and episode, when there is one), given by
    /// `worker_id`.
    pub fn contact(
        &self,
        young_person_id: &str,
        episode_id: Option<&str>,
        worker_id: &str,
    ) -> Contact {
        Contact {
            id: String::new(),
            young_person_id: young_person_id.to_string(),
            episode_id: episode_id.map(str::to_string),
            date: self.date,
            time: None,
            contact_type: self.contact_type.clone(),
            duration_minutes: self.duration_minutes,
            present: None,
            note: self.note.clone(),
            did_not_attend: false,
            dna_follow_up: None,
            worker_id: Some(worker_id.to_string()),
        }
    }
}

const BRIEF_INTERVENTION_CATEGORY: &str = "brief_intervention";

fn brief_intervention_type(codes: &CodeLists, kind: &str) -> Result<String, String> {
    let contacts = codes.list(ListName::ContactTypes);
    if let Some(c) = contacts.resolve(kind) {
        if c.category.as_deref() == Some(BRIEF_INTERVENTION_CATEGORY) {
            return contacts.check_active(&c.code);
        }
    }
    match codes.list(ListName::BriefInterventions).resolve(kind) {
        Some(c) if c.code == "alcohol" => contacts.check_active("brief_intervention_alcohol"),
        Some(c) if c.code == "drugs" => contacts.check_active("brief_intervention_drugs"),
        Some(c) if c.code == "both" => {
            Err("record alcohol and drugs as two brief interventions, one of each".to_string())
        }
        _ if kind.trim().is_empty() => Err("choose alcohol or drugs".to_string()),
        _ => Err(format!(
            "unknown brief intervention '{}': choose alcohol or drugs",
            truncate_for_message(kind.trim())
        )),
    }
}

/// Checks a brief intervention for a young person born on `date_of_birth` (when known).
pub fn validate_brief_intervention(
    form: &BriefInterventionForm,
    codes: &CodeLists,
    today: NaiveDate,
    date_of_birth: Option<NaiveDate>,
) -> Result<ValidBriefIntervention, Problems> {
    let mut p = Problems::default();
    let date = required_date(&mut p, "date", &form.date, "the date", today);
    if let Some(d) = date {
        not_in_future(&mut p, "date", d, today, "the date");
        if date_of_birth.is_some_and(|b| d < b) {
            p.push("date", format!("{d} is before the young person's birth"));
        }
    }
    let contact_type = match brief_intervention_type(codes, &form.kind) {
        Ok(c) => Some(c),
        Err(e) => {
            p.push("kind", e);
            None
        }
    };
    let duration_minutes = optional_number(
        &mut p,
        "duration_minutes",
        &form.duration_minutes,
        1..=600,
        "the duration in minutes",
    );
    let note = free_text(&mut p, "note", &form.note, LONG_TEXT_MAX, true);
    match (date, contact_type) {
        (Some(date), Some(contact_type)) if p.is_empty() => Ok(ValidBriefIntervention {
            date,
            contact_type,
            duration_minutes,
            note,
            _checked: Checked,
        }),
        _ => Err(p),
    }
}

// ---------------------------------------------------------------------------------------------
// Outreach tally (KPIs 1a, 1b; MI 18–19).

/// Outreach contacts counted, not registered, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutreachTallyForm {
    pub date: String,
    /// Code from `outreach_settings`.
    pub setting: String,
    /// How many young people, 1–500.
    pub count: String,
    /// Code from `age_bands`.
    pub age_band: String,
    /// Code from `sex`.
    pub gender: String,
    /// Code from `brief_interventions` (`none` when none was given).
    pub brief_intervention: String,
}

/// An outreach tally that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOutreachTally {
    pub date: NaiveDate,
    pub setting: String,
    pub count: u32,
    pub age_band: String,
    pub gender: String,
    pub brief_intervention: String,
    _checked: Checked,
}

impl ValidOutreachTally {
    /// The tally to record, counted by `worker_id`.
    pub fn tally(&self, worker_id: &str) -> OutreachTally {
        OutreachTally {
            id: String::new(),
            date: self.date,
            setting: self.setting.clone(),
            count: self.count,
            age_band: self.age_band.clone(),
            gender: self.gender.clone(),
            brief_intervention: self.brief_intervention.clone(),
            worker_id: Some(worker_id.to_string()),
        }
    }
}

/// Checks an outreach tally.
pub fn validate_outreach_tally(
    form: &OutreachTallyForm,
    codes: &CodeLists,
    today: NaiveDate,
) -> Result<ValidOutreachTally, Problems> {
    let mut p = Problems::default();
    let date = required_date(&mut p, "date", &form.date, "the date", today);
    if let Some(d) = date {
        not_in_future(&mut p, "date", d, today, "the date");
    }
    let setting = required_code(
        &mut p,
        codes,
        ListName::OutreachSettings,
        "setting",
        &form.setting,
    );
    let count = if form.count.trim().is_empty() {
        p.push(
            "count",
            format!("give how many young people (1 to {OUTREACH_COUNT_MAX})"),
        );
        None
    } else {
        optional_number(
            &mut p,
            "count",
            &form.count,
            1..=OUTREACH_COUNT_MAX,
            "the number of young people",
        )
    };
    let age_band = required_code(
        &mut p,
        codes,
        ListName::AgeBands,
        "age_band",
        &form.age_band,
    );
    let gender = required_code(&mut p, codes, ListName::Sex, "gender", &form.gender);
    let brief_intervention = required_code(
        &mut p,
        codes,
        ListName::BriefInterventions,
        "brief_intervention",
        &form.brief_intervention,
    );
    match (date, setting, count, age_band, gender, brief_intervention) {
        (
            Some(date),
            Some(setting),
            Some(count),
            Some(age_band),
            Some(gender),
            Some(brief_intervention),
        ) if p.is_empty() => Ok(ValidOutreachTally {
            date,
            setting,
            count,
            age_band,
            gender,
            brief_intervention,
            _checked: Checked,
        }),
        _ => Err(p),
    }
}

// ---------------------------------------------------------------------------------------------
// Exit (S §8.10, §20.6 item 15).

/// An exit as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitForm {
    pub date: String,
    /// Code from `exit_reasons`.
    pub reason: String,
}

/// An exit that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidExit {
    pub date: NaiveDate,
    pub reason: String,
    /// The reason is in the planned category (KPI 5a); follow-ups at 3 and 6 months then fall
    /// due (S §20.5). `None` when the list gives the reason no category.
    pub planned: Option<bool>,
    pub notes: Vec<String>,
    _checked: Checked,
}

/// Checks an exit against the episode.
pub fn validate_exit(
    form: &ExitForm,
    codes: &CodeLists,
    today: NaiveDate,
    ctx: &EpisodeContext,
) -> Result<ValidExit, Problems> {
    let mut p = Problems::default();
    let date = required_date(&mut p, "date", &form.date, "the exit date", today);
    if let Some(d) = date {
        not_in_future(&mut p, "date", d, today, "the exit date");
        p.0.extend(exit_date_problems(d, ctx).0);
    }
    let reason = required_code(&mut p, codes, ListName::ExitReasons, "reason", &form.reason);
    match (date, reason) {
        (Some(date), Some(reason)) if p.is_empty() => {
            let planned = codes.exit_is_planned(&reason);
            let mut notes = Vec::new();
            if planned == Some(true) {
                notes.push(
                    "planned exit: follow-ups fall due 3 and 6 months after the exit date \
                     (S §20.5)"
                        .to_string(),
                );
            }
            Ok(ValidExit {
                date,
                reason,
                planned,
                notes,
                _checked: Checked,
            })
        }
        _ => Err(p),
    }
}

/// The exit date against the episode: not on an episode already exited, and not before the
/// referral or any milestone already recorded (first contact, triage, assessment, treatment
/// start, care plan).
pub fn exit_date_problems(date: NaiveDate, ctx: &EpisodeContext) -> Problems {
    let mut p = Problems::default();
    let e = &ctx.episode;
    if let Some(x) = e.exit_date {
        p.push("episode", format!("this episode already ended on {x}"));
        return p;
    }
    let milestones = [
        ("the referral date", Some(e.referral_date)),
        ("the first contact", e.first_contact_date),
        ("the triage", e.triage_date),
        ("the comprehensive assessment", e.assessment_date),
        ("the treatment start", e.treatment_start),
        ("the care plan", e.care_plan_date),
    ];
    let latest = milestones
        .iter()
        .filter_map(|(what, d)| d.map(|d| (d, *what)))
        .filter(|(d, _)| date < *d)
        .max_by_key(|(d, _)| *d);
    if let Some((d, what)) = latest {
        p.push(
            "date",
            format!("the exit date {date} is before {what} ({d})"),
        );
    }
    p
}

/// Re-checks a validated exit against the episode as it now stands.
pub fn exit_fits_episode(x: &ValidExit, ctx: &EpisodeContext) -> Problems {
    exit_date_problems(x.date, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn referral() -> ReferralForm {
        ReferralForm {
            given_name: "Kai".into(),
            family_name: "Lee".into(),
            date_of_birth: "2010-03-15".into(),
            referral_date: "2025-06-02".into(),
            referral_source: "School or college".into(),
            ..Default::default()
        }
    }

    #[test]
    fn postcodes_keep_only_the_district() {
        for (typed, want) in [
            ("so14 0aa", "SO14"),
            ("SO140AA", "SO14"),
            (" so14 ", "SO14"),
            ("EC1A 1BB", "EC1A"),
            ("ec1a1bb", "EC1A"),
            ("W1A 0AX", "W1A"),
            ("M1 1AE", "M1"),
            ("SO14 0", "SO14"),
        ] {
            assert_eq!(
                postcode_district(typed),
                Ok(Some(want.to_string())),
                "{typed}"
            );
        }
        assert_eq!(postcode_district("  "), Ok(None));
        for junk in [
            "hello",
            "12345",
            "SO14 0AA X",
            "S",
            "SOO14",
            "Ö14",
            "SO14 AAA",
        ] {
            let e = postcode_district(junk).unwrap_err();
            assert!(e.contains("not a postcode"), "{junk}: {e}");
        }
    }

    #[test]
    fn a_good_referral_is_accepted_with_codes_resolved() {
        let codes = CodeLists::embedded();
        let v = validate_referral(&referral(), &codes, d("2025-06-02")).unwrap();
        assert_eq!(v.referral_source, "school_college");
        assert_eq!(v.age_on_referral, 15);
        assert_eq!(v.age_band, AgeBand::Under18);
        assert!(v.notes.is_empty());
    }

    #[test]
    fn a_referral_dated_tomorrow_is_refused_at_the_referral_date() {
        let codes = CodeLists::embedded();
        let p = validate_referral(&referral(), &codes, d("2025-06-01")).unwrap_err();
        assert!(p
            .for_field("referral_date")
            .unwrap()
            .contains("in the future"));
    }

    #[test]
    fn implausible_ages_point_at_the_date_of_birth() {
        let codes = CodeLists::embedded();
        let mut f = referral();
        f.date_of_birth = "2022-01-01".into();
        let p = validate_referral(&f, &codes, d("2025-06-02")).unwrap_err();
        assert_eq!(
            p.for_field("date_of_birth").unwrap(),
            "check the date of birth: that makes them 3 on the referral date (expected 5 to 30)"
        );
        f.date_of_birth = "1935-01-01".into();
        let p = validate_referral(&f, &codes, d("2025-06-02")).unwrap_err();
        assert!(p
            .for_field("date_of_birth")
            .unwrap()
            .contains("makes them 90"));
    }

    #[test]
    fn ages_outside_the_service_are_accepted_with_a_note() {
        let codes = CodeLists::embedded();
        let mut f = referral();
        f.date_of_birth = "2015-01-01".into();
        let v = validate_referral(&f, &codes, d("2025-06-02")).unwrap();
        assert_eq!(v.age_on_referral, 10);
        assert!(v.notes[0].starts_with("aged 10 on referral: outside 11–24"));
    }

    #[test]
    fn consent_dates_need_a_consent_answer() {
        let codes = CodeLists::embedded();
        let mut f = referral();
        f.consent_date = "2025-06-02".into();
        let p = validate_referral(&f, &codes, d("2025-06-02")).unwrap_err();
        assert!(p.for_field("consent_date").unwrap().contains("say whether"));
        f.consent_date.clear();
        f.consent_to_share = Some(true);
        let p = validate_referral(&f, &codes, d("2025-06-02")).unwrap_err();
        assert!(p
            .for_field("consent_date")
            .unwrap()
            .contains("give the date"));
        f.consent_to_share = Some(false);
        assert!(validate_referral(&f, &codes, d("2025-06-02")).is_ok());
    }

    #[test]
    fn unknown_codes_get_the_code_lists_message() {
        let codes = CodeLists::embedded();
        let mut f = referral();
        f.referral_source = "carrier pigeon".into();
        f.sex = "x".into();
        f.referral_date = "31/02/2025".into();
        let p = validate_referral(&f, &codes, d("2025-06-02")).unwrap_err();
        assert!(p
            .for_field("referral_source")
            .unwrap()
            .starts_with("unknown referral source 'carrier pigeon'"));
        assert!(p.for_field("sex").unwrap().starts_with("unknown sex"));
        assert!(p.for_field("referral_date").unwrap().contains("YYYY-MM-DD"));
    }

    #[test]
    fn names_compare_without_case_accents_or_punctuation() {
        assert_eq!(
            name_similarity("Zoe", "Ni Bhriain", "Zoë", "Ní Bhriain"),
            Some(100)
        );
        assert_eq!(
            name_similarity("zoe", "obrien", "Zoë", "O'Brien"),
            Some(100)
        );
        assert_eq!(
            name_similarity("Alex", "Smith", "Alexander", "Smith"),
            Some(90)
        );
        assert_eq!(name_similarity("Jon", "Smyth", "John", "Smith"), Some(85));
        // Typed the wrong way round.
        assert_eq!(name_similarity("Smith", "Jo", "Jo", "Smith"), Some(90));
        assert_eq!(
            name_similarity("Alex", "Smith Jones", "Alexander", "Smith-Jones"),
            Some(90)
        );
        assert_eq!(name_similarity("Kai", "Lee", "Mia", "Lee"), None);
        assert_eq!(name_similarity("Kai", "Li", "Kai", "Le"), None);
        assert_eq!(name_similarity("Kai", "Lee", "Kai", "Leese"), None);
    }

    #[test]
    fn a_name_key_is_scored_on_its_best_split() {
        let q = NameQuery::new("Zoe", "Ni Bhriain");
        assert_eq!(q.score_name_key("zoë ní bhriain"), Some(100));
        assert_eq!(q.score_name_key("zoe ni bhrian"), Some(90));
        assert_eq!(q.score_name_key("zoe smith"), None);
        let q = NameQuery::new("Mary Jane", "Smith");
        assert_eq!(q.score_name_key("mary jane smith"), Some(100));
        assert_eq!(
            NameQuery::new("Zoë", "Ní Bhriain").name_key_prefixes(),
            vec!["z", "n"]
        );
        assert!(NameQuery::new("Zoë", "").name_key_prefixes().is_empty());
    }

    #[test]
    fn edit_distance_stops_at_the_bound() {
        assert_eq!(bounded_edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(bounded_edit_distance("kitten", "sitting", 2), None);
        assert_eq!(bounded_edit_distance("", "ab", 2), Some(2));
        assert_eq!(bounded_edit_distance("alexandre", "alexander", 1), Some(1));
        assert_eq!(bounded_edit_distance("ca", "abc", 3), Some(3));
    }

    fn ctx(referral: &str) -> EpisodeContext {
        EpisodeContext {
            episode: Episode {
                id: "e".into(),
                young_person_id: "y".into(),
                referral_date: d(referral),
                ..Default::default()
            },
            date_of_birth: Some(d("2011-09-01")),
        }
    }

    fn triage() -> TriageForm {
        TriageForm {
            date: "2025-06-03".into(),
            substances: vec![SubstanceForm {
                substance: "cannabis".into(),
                route: "smoking".into(),
                frequency: "daily".into(),
                age_first_use: "12".into(),
            }],
            injecting: "never".into(),
            motivation: "7".into(),
            outcome: "comprehensive_assessment".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_triage_is_checked_field_by_field() {
        let codes = CodeLists::embedded();
        let today = d("2025-06-04");
        let v = validate_triage(&triage(), &codes, today, &ctx("2025-06-02")).unwrap();
        assert!(v.assessment_needed);
        assert_eq!(v.substances[0].rank, 1);
        assert_eq!(v.motivation, Some(7));

        let mut f = triage();
        f.date = "2025-06-01".into();
        f.substances[0].age_first_use = "14".into();
        f.sharing = Some(true);
        f.outcome.clear();
        f.motivation = "11".into();
        f.flags_to_raise.push(NewFlagForm {
            flag_type: "self_harm".into(),
            level: "high".into(),
            ..Default::default()
        });
        let p = validate_triage(&f, &codes, today, &ctx("2025-06-02")).unwrap_err();
        assert!(p
            .for_field("date")
            .unwrap()
            .contains("before the referral date"));
        assert!(p
            .for_field("substances[0].age_first_use")
            .unwrap()
            .contains("older than they are on the triage date (13)"));
        assert!(p.for_field("sharing").unwrap().contains("injects"));
        assert!(p
            .for_field("outcome")
            .unwrap()
            .contains("no triage outcome"));
        assert!(p.for_field("motivation").unwrap().contains("0 to 10"));
        assert_eq!(
            p.for_field("flags_to_raise[0].action"),
            Some("say what to do about this risk")
        );
    }

    #[test]
    fn substances_are_required_unless_none_and_ranked_in_order() {
        let codes = CodeLists::embedded();
        let today = d("2025-06-04");
        let mut f = triage();
        f.substances.clear();
        let p = validate_triage(&f, &codes, today, &ctx("2025-06-02")).unwrap_err();
        assert!(p
            .for_field("substances[0].substance")
            .unwrap()
            .contains("primary substance"));
        f.no_substances = true;
        assert!(validate_triage(&f, &codes, today, &ctx("2025-06-02")).is_ok());

        let mut f = triage();
        f.substances.insert(0, SubstanceForm::default());
        let p = validate_triage(&f, &codes, today, &ctx("2025-06-02")).unwrap_err();
        assert!(p.for_field("substances[0].substance").is_some());

        let mut f = triage();
        f.substances.push(SubstanceForm {
            substance: "Alcohol".into(),
            ..Default::default()
        });
        f.substances.push(SubstanceForm::default());
        let v = validate_triage(&f, &codes, today, &ctx("2025-06-02")).unwrap();
        assert_eq!(
            v.substances
                .iter()
                .map(|s| (s.rank, s.substance.as_str()))
                .collect::<Vec<_>>(),
            [(1, "cannabis"), (2, "alcohol")]
        );
    }

    #[test]
    fn an_exit_must_not_come_before_the_treatment_start() {
        let codes = CodeLists::embedded();
        let mut c = ctx("2025-01-06");
        c.episode.treatment_start = Some(d("2025-02-03"));
        let f = ExitForm {
            date: "2025-02-01".into(),
            reason: "completed_drug_free".into(),
        };
        let p = validate_exit(&f, &codes, d("2025-06-02"), &c).unwrap_err();
        assert_eq!(
            p.for_field("date"),
            Some("the exit date 2025-02-01 is before the treatment start (2025-02-03)")
        );
        let f = ExitForm {
            date: "2025-05-30".into(),
            reason: "Planned: treatment completed, free of drugs and alcohol of concern".into(),
        };
        let v = validate_exit(&f, &codes, d("2025-06-02"), &c).unwrap();
        assert_eq!(v.planned, Some(true));
        assert_eq!(v.reason, "completed_drug_free");
    }

    #[test]
    fn outreach_counts_are_bounded() {
        let codes = CodeLists::embedded();
        let mut f = OutreachTallyForm {
            date: "2025-06-02".into(),
            setting: "school_college".into(),
            count: "501".into(),
            age_band: "under_18".into(),
            gender: "female".into(),
            brief_intervention: "alcohol".into(),
        };
        let p = validate_outreach_tally(&f, &codes, d("2025-06-02")).unwrap_err();
        assert!(p.for_field("count").unwrap().contains("1 to 500"));
        f.count = "0".into();
        assert!(validate_outreach_tally(&f, &codes, d("2025-06-02")).is_err());
        f.count = "12".into();
        assert_eq!(
            validate_outreach_tally(&f, &codes, d("2025-06-02"))
                .unwrap()
                .count,
            12
        );
    }

    #[test]
    fn a_brief_intervention_is_alcohol_or_drugs() {
        let codes = CodeLists::embedded();
        let mut f = BriefInterventionForm {
            date: "2025-06-02".into(),
            kind: "Drugs".into(),
            ..Default::default()
        };
        let v = validate_brief_intervention(&f, &codes, d("2025-06-02"), None).unwrap();
        assert_eq!(v.contact_type, "brief_intervention_drugs");
        f.kind = "Brief intervention: alcohol".into();
        let v = validate_brief_intervention(&f, &codes, d("2025-06-02"), None).unwrap();
        assert_eq!(v.contact_type, "brief_intervention_alcohol");
        f.kind = "telephone".into();
        let p = validate_brief_intervention(&f, &codes, d("2025-06-02"), None).unwrap_err();
        assert!(p.for_field("kind").is_some());
    }
}
