//! Code lists: referral sources, ethnicity, substances, exit reasons and the rest.
//!
//! Each list is a TOML file in `assets/codes/<name>.toml`, embedded in the binary. A service can
//! replace any list with a same-named file in its configuration folder; the caller reads that
//! folder and hands the text in through a closure, so this module never touches the file system.
//!
//! A file looks like this:
//!
//! ```toml
//! title = "Exit reasons"          # what screens and returns call the list
//!
//! [[categories]]                   # optional: the categories entries may use, with labels
//! code = "planned"
//! label = "Planned exit"
//!
//! [[codes]]
//! code = "self_exit"               # stable: stored in records, never changed
//! label = "Unplanned: self exit"   # what a caseworker reads
//! category = "unplanned"           # optional
//! aliases = ["Self exit"]          # optional: other spellings the register import accepts
//! retired = true                   # optional: kept for old records, not offered for new ones
//! ```
//!
//! Text is matched leniently ([`CodeList::resolve`]): case, surrounding space, punctuation and
//! `&`/`and` do not matter, so `School/College`, `school college` and `school_college` are the
//! same. A list is refused when two entries could be matched by the same text.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize, Serializer};

use crate::domain::validate::truncate_for_message;

/// The triage outcome that starts KPI 2b's clock (S §8.5.1, §19).
pub const COMPREHENSIVE_ASSESSMENT: &str = "comprehensive_assessment";
/// The exit-reason category KPI 5a counts.
pub const PLANNED: &str = "planned";
/// The other exit-reason category.
pub const UNPLANNED: &str = "unplanned";

/// What an override of a list may change, because other code relies on its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixity {
    /// Anything: the codes are data only.
    Free,
    /// Must keep every embedded code (it may retire them, relabel them, and add new ones).
    KeepCodes,
    /// Exactly the embedded codes: labels, aliases and categories may change.
    ExactCodes,
}

macro_rules! list_names {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $noun:literal, $fixity:ident; )*) => {
        /// The fixed names of the code lists. Misspelling one is a compile error.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ListName {
            $( $(#[$doc])* $variant, )*
        }

        impl ListName {
            /// Every list, in declaration order.
            pub const ALL: &'static [ListName] = &[ $( ListName::$variant, )* ];

            /// The list's name, e.g. `referral_sources`.
            pub fn as_str(self) -> &'static str {
                match self { $( ListName::$variant => $name, )* }
            }

            /// The file that holds it, e.g. `referral_sources.toml`.
            pub fn file_name(self) -> &'static str {
                match self { $( ListName::$variant => concat!($name, ".toml"), )* }
            }

            /// One entry of the list in words, for messages: `referral source`.
            pub fn noun(self) -> &'static str {
                match self { $( ListName::$variant => $noun, )* }
            }

            /// What an override may change.
            pub fn fixity(self) -> Fixity {
                match self { $( ListName::$variant => Fixity::$fixity, )* }
            }

            fn embedded_text(self) -> &'static str {
                match self {
                    $( ListName::$variant =>
                        include_str!(concat!("../../assets/codes/", $name, ".toml")), )*
                }
            }
        }
    };
}

list_names! {
    /// Who referred the young person (S §20.6 item 5), grouped as the NTA reports group them.
    ReferralSources => "referral_sources", "referral source", Free;
    /// `male`, `female`, `other`, `not_stated`.
    Sex => "sex", "sex", KeepCodes;
    /// NHS ethnic categories A–S, Z, 99.
    Ethnicity => "ethnicity", "ethnic category", KeepCodes;
    /// Substances, with a drug group as category.
    Substances => "substances", "substance", Free;
    /// Routes of use.
    Routes => "routes", "route", Free;
    /// Injecting status.
    Injecting => "injecting", "injecting status", KeepCodes;
    /// Frequency of use in the last 28 days.
    Frequency => "frequency", "frequency", Free;
    /// The five triage outcomes (S §8.4).
    TriageOutcomes => "triage_outcomes", "triage outcome", ExactCodes;
    /// Interventions / treatment modalities.
    Interventions => "interventions", "intervention", Free;
    /// Exit reasons, each `planned` or `unplanned`.
    ExitReasons => "exit_reasons", "exit reason", Free;
    /// Vulnerabilities (S §20.6 item 9 and others).
    Vulnerabilities => "vulnerabilities", "vulnerability", Free;
    /// Risk flag types.
    RiskTypes => "risk_types", "risk type", KeepCodes;
    /// `low`, `medium`, `high`.
    RiskLevels => "risk_levels", "risk level", ExactCodes;
    /// Contact types.
    ContactTypes => "contact_types", "contact type", KeepCodes;
    /// Life domains for care-plan goals.
    LifeDomains => "life_domains", "life domain", KeepCodes;
    /// Need domains for the CAF-style assessment.
    NeedDomains => "need_domains", "need domain", KeepCodes;
    /// Levels of support `1`–`4` (S §8.6.4).
    SupportLevels => "support_levels", "level of support", ExactCodes;
    /// Referral urgency.
    Urgency => "urgency", "urgency", KeepCodes;
    /// Outreach settings (KPI 1a, 1b).
    OutreachSettings => "outreach_settings", "outreach setting", ExactCodes;
    /// Brief intervention given at outreach.
    BriefInterventions => "brief_interventions", "brief intervention", ExactCodes;
    /// Age bands for returns.
    AgeBands => "age_bands", "age band", ExactCodes;
    /// Care-plan budgets (S §8.7–8.8).
    Budgets => "budgets", "budget", KeepCodes;
    /// Who owns a care-plan action.
    ActionOwners => "action_owners", "action owner", KeepCodes;
    /// Progress of a care-plan action.
    ActionStatus => "action_status", "action status", KeepCodes;
    /// Services referred on to (S §10).
    ReferralServices => "referral_services", "service", Free;
    /// Why a young person left mentoring (L §10.3 A vii).
    MentorDiscontinuationReasons => "mentor_discontinuation_reasons", "mentoring discontinuation reason", Free;
    /// Why a mentor left (L §10.3 B v).
    MentorLeavingReasons => "mentor_leaving_reasons", "mentor leaving reason", Free;
    /// Complaint outcomes (L §10.3 A viii).
    ComplaintOutcomes => "complaint_outcomes", "complaint outcome", Free;
    /// How a follow-up after exit was attempted (S §20.5).
    FollowUpMethods => "follow_up_methods", "follow-up method", KeepCodes;
    /// What came of a follow-up; the category says what the clock does.
    FollowUpOutcomes => "follow_up_outcomes", "follow-up outcome", ExactCodes;
    /// Substance use when a follow-up reached the young person.
    FollowUpSubstanceUse => "follow_up_substance_use", "substance use at follow-up", KeepCodes;
}

impl ListName {
    /// The list called `name` (with or without `.toml`), if there is one.
    pub fn from_name(name: &str) -> Option<ListName> {
        let name = name.trim();
        let name = name.strip_suffix(".toml").unwrap_or(name);
        ListName::ALL.iter().copied().find(|l| l.as_str() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ListName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One entry of a code list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Code {
    /// Stable code stored in records (snake_case, or the official code such as NHS `A`).
    pub code: String,
    /// What a caseworker reads.
    pub label: String,
    /// A grouping, e.g. `planned` / `unplanned` for exit reasons, `opioid` for substances.
    pub category: Option<String>,
    /// Kept so old records still read, but not offered for new ones.
    pub retired: bool,
    /// Other spellings [`CodeList::resolve`] accepts (register import, forms).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl Code {
    /// Whether `text` names this entry: its code, label or an alias, leniently compared.
    pub fn matches(&self, text: &str) -> bool {
        let key = normalise(text);
        !key.is_empty() && self.keys().any(|k| normalise(k) == key)
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        [self.code.as_str(), self.label.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
    }
}

/// A category a list's entries may use, with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: String,
    pub label: String,
}

/// One code list, in the order its file gives (the order forms offer it in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeList {
    pub name: ListName,
    /// What screens and returns call the list.
    pub title: String,
    /// Declared categories with labels; empty when the file declares none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    pub codes: Vec<Code>,
}

impl CodeList {
    /// Parses and checks a list's file text. Errors start with the file name and say what is
    /// wrong. A missing `title` falls back to the embedded list's. This applies the same checks
    /// as [`CodeLists::with_overrides`], so a CLI can check a file before it is installed.
    pub fn parse(name: ListName, text: &str) -> Result<CodeList, String> {
        let embedded = CodeLists::embedded_ref().list(name);
        let list = parse_list(name, text, Some(&embedded.title))?;
        check_fixity(&list, embedded).map_err(|e| format!("{}: {e}", name.file_name()))?;
        Ok(list)
    }

    /// The entry with exactly this code.
    pub fn get(&self, code: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// Whether `code` is exactly one of this list's codes (retired ones included).
    pub fn contains(&self, code: &str) -> bool {
        self.get(code).is_some()
    }

    /// The entry `text` names: its code first, then its label or an alias. Case, surrounding
    /// space and punctuation do not matter. Retired entries are found too (old records).
    pub fn resolve(&self, text: &str) -> Option<&Code> {
        let trimmed = text.trim();
        if let Some(c) = self
            .codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(trimmed))
        {
            return Some(c);
        }
        let key = normalise(trimmed);
        if key.is_empty() {
            return None;
        }
        self.codes
            .iter()
            .find(|c| c.keys().any(|k| normalise(k) == key))
    }

    /// The entries offered for new records (not retired), in order.
    pub fn active(&self) -> impl Iterator<Item = &Code> + '_ {
        self.codes.iter().filter(|c| !c.retired)
    }

    /// The labels of the active entries, in order (a form's choices, aligned with
    /// [`CodeList::active`]).
    pub fn labels(&self) -> Vec<&str> {
        self.active().map(|c| c.label.as_str()).collect()
    }

    /// The label for `code`, or the code itself when the list does not know it (a record made
    /// under an older or a different list still shows something).
    pub fn label_of<'a>(&'a self, code: &'a str) -> &'a str {
        self.get(code).map(|c| c.label.as_str()).unwrap_or(code)
    }

    /// The category of `code`, if the code is known and has one.
    pub fn category_of(&self, code: &str) -> Option<&str> {
        self.get(code).and_then(|c| c.category.as_deref())
    }

    /// The entries in `category` (retired ones included), in order.
    pub fn in_category<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a Code> + 'a {
        self.codes
            .iter()
            .filter(move |c| c.category.as_deref() == Some(category))
    }

    /// The label of a category, or the category itself when the file gives none.
    pub fn category_label<'a>(&'a self, category: &'a str) -> &'a str {
        self.categories
            .iter()
            .find(|c| c.code == category)
            .map(|c| c.label.as_str())
            .unwrap_or(category)
    }

    /// The canonical code for `text` (a code, label or alias), or a message saying what is
    /// expected. Retired codes are accepted: old records and imported registers use them.
    pub fn check(&self, text: &str) -> Result<String, String> {
        match self.resolve(text) {
            Some(c) => Ok(c.code.clone()),
            None if text.trim().is_empty() => Err(format!(
                "no {} given: expected a code or label from {} ({})",
                self.name.noun(),
                self.name,
                self.examples()
            )),
            None => Err(format!(
                "unknown {} '{}': expected a code or label from {} ({})",
                self.name.noun(),
                truncate_for_message(text.trim()),
                self.name,
                self.examples()
            )),
        }
    }

    /// As [`CodeList::check`], but a retired code is refused: for new records.
    pub fn check_active(&self, text: &str) -> Result<String, String> {
        let code = self.check(text)?;
        match self.get(&code) {
            Some(c) if c.retired => Err(format!(
                "{} '{}' ({}) is retired: it is kept for old records but not offered for new ones",
                self.name.noun(),
                c.label,
                c.code
            )),
            _ => Ok(code),
        }
    }

    fn examples(&self) -> String {
        let mut shown: Vec<&str> = self.active().take(3).map(|c| c.code.as_str()).collect();
        if shown.is_empty() {
            shown = self.codes.iter().take(3).map(|c| c.code.as_str()).collect();
        }
        let more = if self.codes.len() > shown.len() {
            "…"
        } else {
            ""
        };
        format!("e.g. {}{more}", shown.join(", "))
    }
}

/// Every code list, embedded or as a service has overridden them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLists {
    /// Indexed by `ListName as usize`.
    lists: Vec<CodeList>,
}

impl CodeLists {
    /// The lists shipped in the binary.
    pub fn embedded() -> CodeLists {
        Self::embedded_ref().clone()
    }

    fn embedded_ref() -> &'static CodeLists {
        static EMBEDDED: OnceLock<CodeLists> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let lists = ListName::ALL
                .iter()
                .map(|&name| {
                    parse_list(name, name.embedded_text(), None)
                        .unwrap_or_else(|e| panic!("embedded code list is broken: {e}"))
                })
                .collect();
            CodeLists { lists }
        })
    }

    /// The embedded lists, each replaced by the service's own file where `read` has one.
    /// `read("referral_sources.toml")` returns that file's text from the configuration folder,
    /// or `None`. Every bad file is reported (one line each), naming the file and the problem.
    pub fn with_overrides(read: impl Fn(&str) -> Option<String>) -> Result<CodeLists, String> {
        let embedded = Self::embedded_ref();
        let mut lists = embedded.clone();
        let mut errors = Vec::new();
        for &name in ListName::ALL {
            let Some(text) = read(name.file_name()) else {
                continue;
            };
            let base = embedded.list(name);
            let parsed = parse_list(name, &text, Some(&base.title)).and_then(|list| {
                check_fixity(&list, base)
                    .map(|()| list)
                    .map_err(|e| format!("{}: {e}", name.file_name()))
            });
            match parsed {
                Ok(list) => lists.lists[name.index()] = list,
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(lists)
        } else {
            Err(errors.join("\n"))
        }
    }

    /// One list.
    pub fn list(&self, name: ListName) -> &CodeList {
        &self.lists[name.index()]
    }

    /// Every list, in [`ListName::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = &CodeList> + '_ {
        self.lists.iter()
    }

    /// The canonical code for `text` in `list`, or a message naming the list and examples.
    pub fn check(&self, list: ListName, text: &str) -> Result<String, String> {
        self.list(list).check(text)
    }

    /// As [`CodeLists::check`], refusing retired codes (for new records).
    pub fn check_active(&self, list: ListName, text: &str) -> Result<String, String> {
        self.list(list).check_active(text)
    }

    /// The label for `code` in `list`, or the code itself.
    pub fn label_of<'a>(&'a self, list: ListName, code: &'a str) -> &'a str {
        self.list(list).label_of(code)
    }

    /// The exit reason codes in the planned category (retired ones too: old records keep them).
    pub fn planned_exit_codes(&self) -> Vec<String> {
        self.list(ListName::ExitReasons)
            .codes
            .iter()
            .filter(|c| c.category.as_deref() == Some(PLANNED))
            .map(|c| c.code.clone())
            .collect()
    }

    /// Whether an exit reason (code or label) is in the planned category; `None` when the
    /// reason is unknown or has no planned/unplanned category.
    pub fn exit_is_planned(&self, exit_reason: &str) -> Option<bool> {
        let code = self.list(ListName::ExitReasons).resolve(exit_reason)?;
        match code.category.as_deref() {
            Some(PLANNED) => Some(true),
            Some(UNPLANNED) => Some(false),
            _ => None,
        }
    }

    /// Whether a triage outcome (code or label) says a comprehensive assessment is needed,
    /// which starts KPI 2b's clock.
    pub fn is_comprehensive_assessment(&self, triage_outcome: &str) -> bool {
        self.list(ListName::TriageOutcomes)
            .resolve(triage_outcome)
            .is_some_and(|c| c.code == COMPREHENSIVE_ASSESSMENT)
    }
}

impl Default for CodeLists {
    /// The embedded lists.
    fn default() -> Self {
        CodeLists::embedded()
    }
}

/// Folds text for matching: lower case, `&` as `and`, apostrophes dropped, any other run of
/// punctuation or space as one space, trimmed. `School/College` → `school college`,
/// `A&E` → `a and e`, `18-24` → `18 24`, `children's` → `childrens`.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for ch in text.chars() {
        match ch {
            '\'' | '\u{2018}' | '\u{2019}' => {}
            '&' => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str("and");
                gap = true;
            }
            c if c.is_alphanumeric() => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.extend(c.to_lowercase());
            }
            _ => gap = true,
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title: Option<String>,
    #[serde(default)]
    categories: Vec<RawCategory>,
    codes: Option<Vec<RawCode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    code: Option<String>,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    /// Text, or a bare integer for the numbered lists (`code = 1`).
    code: Option<toml::Value>,
    label: Option<String>,
    category: Option<String>,
    #[serde(default)]
    retired: bool,
    #[serde(default)]
    aliases: Vec<String>,
}

/// Parses one file and checks everything that can be checked without the embedded list.
/// `fallback_title` stands in for a missing `title`; embedded files must have their own.
fn parse_list(
    name: ListName,
    text: &str,
    fallback_title: Option<&str>,
) -> Result<CodeList, String> {
    let file = name.file_name();
    let fail = |msg: String| format!("{file}: {msg}");
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                format!(
                    " at line {}",
                    text[..s.start.min(text.len())].matches('\n').count() + 1
                )
            })
            .unwrap_or_default();
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        fail(format!("not valid TOML{at}: {message}"))
    })?;

    let title = match (raw.title, fallback_title) {
        (Some(t), _) if !t.trim().is_empty() => t.trim().to_string(),
        (Some(_), _) => return Err(fail("the title is empty".into())),
        (None, Some(t)) => t.to_string(),
        (None, None) => return Err(fail("no title: add `title = \"…\"` at the top".into())),
    };

    let mut categories: Vec<Category> = Vec::new();
    for (i, rc) in raw.categories.into_iter().enumerate() {
        let n = i + 1;
        let code = required_text(rc.code, || format!("category {n} has no code")).map_err(fail)?;
        let label = required_text(rc.label, || format!("category {n} ('{code}') has no label"))
            .map_err(fail)?;
        if categories.iter().any(|c| c.code == code) {
            return Err(fail(format!("duplicate category '{code}'")));
        }
        categories.push(Category { code, label });
    }

    let raw_codes = raw.codes.unwrap_or_default();
    if raw_codes.is_empty() {
        return Err(fail(
            "the list is empty: add at least one [[codes]] entry with a code and a label".into(),
        ));
    }

    let mut codes: Vec<Code> = Vec::with_capacity(raw_codes.len());
    for (i, rc) in raw_codes.into_iter().enumerate() {
        let n = i + 1;
        let code = match rc.code {
            Some(toml::Value::String(s)) => Some(s),
            Some(toml::Value::Integer(i)) => Some(i.to_string()),
            Some(other) => {
                return Err(fail(format!(
                    "entry {n}: code must be text such as code = \"gp\", not {}",
                    other.type_str()
                )))
            }
            None => None,
        };
        let code = required_text(code, || format!("entry {n} has no code")).map_err(fail)?;
        if code.chars().any(|c| c.is_whitespace() || c == ';') {
            return Err(fail(format!(
                "code '{code}' (entry {n}) contains a space or ';': codes are single words such as \
                 'school_college'"
            )));
        }
        let label = required_text(rc.label, || format!("entry {n} ('{code}') has no label"))
            .map_err(fail)?;
        let category = match rc.category {
            Some(c) if c.trim().is_empty() => {
                return Err(fail(format!("code '{code}' has an empty category")))
            }
            Some(c) => Some(c.trim().to_string()),
            None => None,
        };
        let mut aliases = Vec::with_capacity(rc.aliases.len());
        for a in rc.aliases {
            let a = a.trim().to_string();
            if normalise(&a).is_empty() {
                return Err(fail(format!("code '{code}' has an empty alias")));
            }
            aliases.push(a);
        }
        for text in std::iter::once(&label).chain(aliases.iter()) {
            if text.contains(';') {
                return Err(fail(format!(
                    "'{text}' (code '{code}') contains ';', which separates list items in the \
                     register"
                )));
            }
        }
        if let Some(prev) = codes
            .iter()
            .position(|c| c.code.eq_ignore_ascii_case(&code))
        {
            return Err(fail(format!(
                "duplicate code '{code}' (entries {} and {n})",
                prev + 1
            )));
        }
        codes.push(Code {
            code,
            label,
            category,
            retired: rc.retired,
            aliases,
        });
    }

    // Every spelling must lead to one entry only.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, c) in codes.iter().enumerate() {
        for key in c.keys() {
            match seen.get(&normalise(key)) {
                Some(&j) if j != i => {
                    return Err(fail(format!(
                        "'{key}' would match both '{}' and '{}': labels and aliases must be \
                         unique within a list",
                        codes[j].code, c.code
                    )))
                }
                _ => {
                    seen.insert(normalise(key), i);
                }
            }
        }
    }

    if !categories.is_empty() {
        for c in &codes {
            if let Some(cat) = &c.category {
                if !categories.iter().any(|k| &k.code == cat) {
                    let known: Vec<&str> = categories.iter().map(|k| k.code.as_str()).collect();
                    return Err(fail(format!(
                        "code '{}' has category '{cat}', which is not one of the declared \
                         categories ({})",
                        c.code,
                        known.join(", ")
                    )));
                }
            }
        }
    }

    if name == ListName::ExitReasons {
        for c in &codes {
            if !matches!(c.category.as_deref(), Some(PLANNED) | Some(UNPLANNED)) {
                return Err(fail(format!(
                    "exit reason '{}' needs category = \"{PLANNED}\" or \"{UNPLANNED}\" \
                     (KPI 5a counts planned exits)",
                    c.code
                )));
            }
        }
    }

    Ok(CodeList {
        name,
        title,
        categories,
        codes,
    })
}

fn required_text(value: Option<String>, missing: impl Fn() -> String) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(missing()),
    }
}

/// Checks an override keeps the codes casebook relies on.
fn check_fixity(list: &CodeList, embedded: &CodeList) -> Result<(), String> {
    let fixity = list.name.fixity();
    if fixity == Fixity::Free {
        return Ok(());
    }
    let missing: Vec<&str> = embedded
        .codes
        .iter()
        .map(|c| c.code.as_str())
        .filter(|c| !list.contains(c))
        .collect();
    if !missing.is_empty() {
        let how = if fixity == Fixity::ExactCodes {
            "this list's codes are fixed; only labels, aliases and categories can change"
        } else {
            "casebook relies on them; retire a code (retired = true) instead of removing it"
        };
        return Err(format!("missing code(s) {}: {how}", quoted(&missing)));
    }
    if fixity == Fixity::ExactCodes {
        let extra: Vec<&str> = list
            .codes
            .iter()
            .map(|c| c.code.as_str())
            .filter(|c| !embedded.contains(c))
            .collect();
        if !extra.is_empty() {
            let fixed: Vec<&str> = embedded.codes.iter().map(|c| c.code.as_str()).collect();
            return Err(format!(
                "unexpected code(s) {}: this list's codes are fixed ({})",
                quoted(&extra),
                fixed.join(", ")
            ));
        }
    }
    Ok(())
}

fn quoted(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::RiskLevel;
    use std::collections::HashSet;

    fn lists() -> CodeLists {
        CodeLists::embedded()
    }

    fn codes_of(name: ListName) -> Vec<String> {
        lists()
            .list(name)
            .codes
            .iter()
            .map(|c| c.code.clone())
            .collect()
    }

    #[test]
    fn every_embedded_file_parses_with_its_own_title() {
        for &name in ListName::ALL {
            let list =
                parse_list(name, name.embedded_text(), None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(list.name, name);
            assert!(!list.title.is_empty(), "{name} has no title");
        }
    }

    #[test]
    fn every_list_exists_and_is_not_empty() {
        let names: Vec<&str> = ListName::ALL.iter().map(|l| l.as_str()).collect();
        let expected = [
            "referral_sources",
            "sex",
            "ethnicity",
            "substances",
            "routes",
            "injecting",
            "frequency",
            "triage_outcomes",
            "interventions",
            "exit_reasons",
            "vulnerabilities",
            "risk_types",
            "risk_levels",
            "contact_types",
            "life_domains",
            "need_domains",
            "support_levels",
            "urgency",
            "outreach_settings",
            "brief_interventions",
            "age_bands",
            "budgets",
            "action_owners",
            "action_status",
            "referral_services",
            "mentor_discontinuation_reasons",
            "mentor_leaving_reasons",
            "complaint_outcomes",
            "follow_up_methods",
            "follow_up_outcomes",
            "follow_up_substance_use",
        ];
        assert_eq!(names, expected);
        let all = lists();
        for (i, &name) in ListName::ALL.iter().enumerate() {
            assert_eq!(name.index(), i);
            assert_eq!(all.list(name).name, name);
            assert!(all.list(name).active().next().is_some(), "{name} is empty");
            assert_eq!(ListName::from_name(name.as_str()), Some(name));
            assert_eq!(ListName::from_name(name.file_name()), Some(name));
        }
        assert_eq!(ListName::from_name("referal_sources"), None);
    }

    #[test]
    fn every_file_in_the_assets_folder_is_a_known_list() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/codes");
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        found.sort();
        let mut known: Vec<String> = ListName::ALL
            .iter()
            .map(|l| l.file_name().to_string())
            .collect();
        known.sort();
        assert_eq!(found, known);
    }

    #[test]
    fn codes_are_unique_within_each_list() {
        for list in lists().iter() {
            let mut seen = HashSet::new();
            for c in &list.codes {
                assert!(
                    seen.insert(c.code.to_lowercase()),
                    "{}: duplicate {}",
                    list.name,
                    c.code
                );
            }
        }
    }

    #[test]
    fn snake_case_lists_use_snake_case_codes() {
        for list in lists().iter() {
            if matches!(list.name, ListName::Ethnicity) {
                continue;
            }
            for c in &list.codes {
                assert!(
                    c.code
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                    "{}: '{}' is not snake_case",
                    list.name,
                    c.code
                );
            }
        }
    }

    #[test]
    fn ethnicity_has_exactly_the_eighteen_nhs_codes() {
        let expected = [
            "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z",
            "99",
        ];
        assert_eq!(codes_of(ListName::Ethnicity), expected);
        let l = lists();
        let eth = l.list(ListName::Ethnicity);
        assert_eq!(eth.label_of("A"), "White British");
        assert_eq!(eth.label_of("99"), "Not known");
        assert_eq!(eth.resolve("white british").unwrap().code, "A");
        assert_eq!(
            eth.resolve("Asian or Asian British - Indian").unwrap().code,
            "H"
        );
        assert_eq!(eth.resolve(" z ").unwrap().code, "Z");
    }

    #[test]
    fn fixed_code_sets_are_exactly_as_the_rest_of_casebook_expects() {
        assert_eq!(
            codes_of(ListName::TriageOutcomes),
            [
                "crisis_intervention",
                "brief_intervention",
                "low_intensity_support",
                "referral_other_service",
                "comprehensive_assessment"
            ]
        );
        assert_eq!(
            codes_of(ListName::Sex),
            ["male", "female", "other", "not_stated"]
        );
        assert_eq!(
            codes_of(ListName::OutreachSettings),
            ["generic", "school_college", "targeted"]
        );
        assert_eq!(
            codes_of(ListName::BriefInterventions),
            ["alcohol", "drugs", "both", "none"]
        );
        assert_eq!(codes_of(ListName::AgeBands), ["under_18", "18_24", "other"]);
        assert_eq!(codes_of(ListName::SupportLevels), ["1", "2", "3", "4"]);
        assert_eq!(
            codes_of(ListName::Budgets),
            ["direct_payment", "care_management"]
        );
        assert_eq!(
            codes_of(ListName::Urgency),
            ["routine", "soon", "urgent", "emergency"]
        );
        assert_eq!(
            codes_of(ListName::ActionStatus),
            ["not_started", "in_progress", "done", "dropped"]
        );
        assert_eq!(
            codes_of(ListName::ActionOwners),
            ["young_person", "worker", "other_agency", "parent_carer"]
        );
    }

    #[test]
    fn risk_levels_match_the_record_type() {
        let levels = codes_of(ListName::RiskLevels);
        let from_enum: Vec<&str> = RiskLevel::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(levels, from_enum);
    }

    #[test]
    fn lists_named_in_the_brief_carry_their_codes() {
        let has = |name: ListName, wanted: &[&str]| {
            let l = lists();
            for w in wanted {
                assert!(l.list(name).contains(w), "{name} lacks {w}");
            }
        };
        has(
            ListName::RiskTypes,
            &[
                "self_harm",
                "risk_from_others",
                "risk_to_others",
                "housing",
                "sexual_exploitation",
                "domestic_violence",
                "child_protection",
                "mash_referral",
                "marac_referral",
                "overdose",
                "injecting",
                "other",
            ],
        );
        has(
            ListName::ContactTypes,
            &[
                "face_to_face",
                "telephone",
                "outreach",
                "home_visit",
                "group",
                "text_online",
                "brief_intervention_alcohol",
                "brief_intervention_drugs",
                "mentor_session",
                "parent_carer_advice",
                "support_session",
                "other",
            ],
        );
        has(
            ListName::LifeDomains,
            &[
                "substance_use",
                "physical_health",
                "mental_health",
                "education_training_employment",
                "accommodation",
                "family_relationships",
                "offending",
                "finances",
            ],
        );
        has(
            ListName::NeedDomains,
            &[
                "development_health",
                "emotional_wellbeing",
                "education",
                "family_relationships",
                "housing",
                "offending",
                "finances",
            ],
        );
        has(
            ListName::Vulnerabilities,
            &[
                "school_excludee",
                "young_offender",
                "young_homeless",
                "sexually_exploited",
                "mental_health",
                "looked_after",
                "behavioural_problems",
                "substance_misusing_parents",
            ],
        );
        has(
            ListName::Injecting,
            &["never", "previously", "currently", "not_stated"],
        );
        has(
            ListName::Routes,
            &["oral", "smoking", "sniffing", "injecting", "other"],
        );
        has(
            ListName::ReferralSources,
            &["self", "gp", "school_college", "yot", "camhs", "other"],
        );
        // S §20.6 item 9 is exactly the "reported" category.
        let l = lists();
        assert_eq!(
            l.list(ListName::Vulnerabilities)
                .in_category("reported")
                .count(),
            8
        );
    }

    #[test]
    fn every_exit_reason_is_planned_or_unplanned_and_both_occur() {
        let l = lists();
        let exits = l.list(ListName::ExitReasons);
        for c in &exits.codes {
            assert!(l.exit_is_planned(&c.code).is_some(), "{}", c.code);
        }
        assert!(exits.in_category(PLANNED).count() >= 3);
        assert!(exits.in_category(UNPLANNED).count() >= 3);
        assert_eq!(l.exit_is_planned("transfer_adult_services"), Some(true));
        assert_eq!(l.exit_is_planned("self exit"), Some(false));
        assert_eq!(l.exit_is_planned("Unplanned: died"), Some(false));
        assert_eq!(l.exit_is_planned("no such reason"), None);
        assert_eq!(exits.category_label(PLANNED), "Planned exit");
    }

    #[test]
    fn comprehensive_assessment_is_recognised_by_code_or_label() {
        let l = lists();
        assert!(l.is_comprehensive_assessment("comprehensive_assessment"));
        assert!(
            l.is_comprehensive_assessment("Comprehensive assessment needed (structured treatment)")
        );
        assert!(l.is_comprehensive_assessment(" COMPREHENSIVE ASSESSMENT "));
        assert!(!l.is_comprehensive_assessment("brief_intervention"));
        assert!(!l.is_comprehensive_assessment(""));
    }

    #[test]
    fn resolve_by_code_label_or_alias_ignoring_case_space_and_punctuation() {
        let l = lists();
        let rs = l.list(ListName::ReferralSources);
        assert_eq!(rs.resolve("GP").unwrap().code, "gp");
        assert_eq!(rs.resolve("  gp or PRIMARY care ").unwrap().code, "gp");
        assert_eq!(rs.resolve("School/College").unwrap().code, "school_college");
        assert_eq!(rs.resolve("school college").unwrap().code, "school_college");
        assert_eq!(rs.resolve("a&e").unwrap().code, "hospital");
        assert_eq!(rs.resolve("A and E").unwrap().code, "hospital");
        assert_eq!(rs.resolve("Youth Offending Team").unwrap().code, "yot");
        assert_eq!(
            rs.resolve("childrens social care").unwrap().code,
            "social_care"
        );
        assert!(rs.resolve("xyz").is_none());
        assert!(rs.resolve("   ").is_none());
        assert!(rs.resolve("--").is_none());
        let ages = l.list(ListName::AgeBands);
        assert_eq!(ages.resolve("18-24").unwrap().code, "18_24");
        let freq = l.list(ListName::Frequency);
        assert_eq!(
            freq.resolve("4–6 days a week").unwrap().code,
            "4_6_days_a_week"
        );
        let levels = l.list(ListName::SupportLevels);
        assert_eq!(levels.resolve("level 3").unwrap().code, "3");
        assert!(l
            .list(ListName::Sex)
            .resolve("F")
            .is_some_and(|c| c.matches("female")));
    }

    #[test]
    fn check_returns_the_code_or_says_what_is_expected() {
        let l = lists();
        assert_eq!(
            l.check(ListName::ReferralSources, "Self-referral"),
            Ok("self".to_string())
        );
        let e = l.check(ListName::ReferralSources, "xyz").unwrap_err();
        assert_eq!(
            e,
            "unknown referral source 'xyz': expected a code or label from referral_sources \
             (e.g. self, family_carer, school_college…)"
        );
        let e = l.check(ListName::RiskLevels, "").unwrap_err();
        assert!(e.starts_with("no risk level given"), "{e}");
        assert!(e.contains("e.g. low, medium, high)"), "{e}");
        let long = "q".repeat(500);
        assert!(l.check(ListName::Sex, &long).unwrap_err().len() < 200);
    }

    #[test]
    fn label_of_falls_back_to_the_code() {
        let l = lists();
        assert_eq!(l.label_of(ListName::Sex, "female"), "Female");
        assert_eq!(l.label_of(ListName::Sex, "zz_old"), "zz_old");
        assert_eq!(
            l.list(ListName::Substances).category_of("heroin"),
            Some("opioid")
        );
        assert_eq!(
            l.list(ListName::Substances).category_label("opioid"),
            "Opioids"
        );
        assert_eq!(l.list(ListName::Sex).category_label("none"), "none");
        assert_eq!(l.list(ListName::Sex).labels()[0], "Male");
    }

    const SOURCES: &str = r#"
title = "Where referrals come from"

[[codes]]
code = "self"
label = "Self"

[[codes]]
code = "hub"
label = "Locality hub"
aliases = ["The hub"]

[[codes]]
code = "gp"
label = "GP"
retired = true
"#;

    #[test]
    fn an_override_replaces_its_list_and_leaves_the_others() {
        let l = CodeLists::with_overrides(|f| {
            (f == "referral_sources.toml").then(|| SOURCES.to_string())
        })
        .unwrap();
        let rs = l.list(ListName::ReferralSources);
        assert_eq!(rs.title, "Where referrals come from");
        assert_eq!(rs.codes.len(), 3);
        assert_eq!(
            l.check(ListName::ReferralSources, "the hub"),
            Ok("hub".into())
        );
        assert!(l.check(ListName::ReferralSources, "yot").is_err());
        assert_eq!(l.list(ListName::Sex), lists().list(ListName::Sex));
        // Retired: still resolves and labels, but is not offered or accepted for new records.
        assert_eq!(rs.labels(), ["Self", "Locality hub"]);
        assert_eq!(l.check(ListName::ReferralSources, "gp"), Ok("gp".into()));
        let e = l.check_active(ListName::ReferralSources, "gp").unwrap_err();
        assert!(e.contains("retired"), "{e}");
        // No overrides at all: the embedded lists.
        assert_eq!(CodeLists::with_overrides(|_| None).unwrap(), lists());
    }

    #[test]
    fn an_override_without_title_keeps_the_embedded_title_and_numbers_may_be_bare() {
        let text = r#"
[[codes]]
code = 1
label = "Self-help"
[[codes]]
code = 2
label = "Some help"
[[codes]]
code = 3
label = "One to one"
[[codes]]
code = 4
label = "Help to carry it out"
"#;
        let l =
            CodeLists::with_overrides(|f| (f == "support_levels.toml").then(|| text.to_string()))
                .unwrap();
        let sl = l.list(ListName::SupportLevels);
        assert_eq!(sl.title, lists().list(ListName::SupportLevels).title);
        assert_eq!(sl.label_of("3"), "One to one");
    }

    fn override_error(file: &str, text: &str) -> String {
        let owned = text.to_string();
        CodeLists::with_overrides(|f| (f == file).then(|| owned.clone())).unwrap_err()
    }

    #[test]
    fn a_bad_override_is_refused_with_the_file_and_the_problem() {
        let cases: &[(&str, &str, &str)] = &[
            ("referral_sources.toml", "title = \"x\"\n[[codes]\n", "not valid TOML"),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"a\"\nlabel = \"A\"\n[[codes]]\ncode = \"a\"\nlabel = \"B\"\n",
                "duplicate code 'a' (entries 1 and 2)",
            ),
            ("referral_sources.toml", "title = \"Sources\"\n", "the list is empty"),
            ("referral_sources.toml", "codes = []\n", "the list is empty"),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"a\"\n",
                "entry 1 ('a') has no label",
            ),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"a\"\nlabel = \"  \"\n",
                "entry 1 ('a') has no label",
            ),
            ("referral_sources.toml", "[[codes]]\nlabel = \"A\"\n", "entry 1 has no code"),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = true\nlabel = \"A\"\n",
                "code must be text",
            ),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"a\"\nlabel = \"A\"\nretierd = true\n",
                "not valid TOML",
            ),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"a\"\nlabel = \"Same\"\n[[codes]]\ncode = \"b\"\nlabel = \"same\"\n",
                "would match both 'a' and 'b'",
            ),
            (
                "referral_sources.toml",
                "[[codes]]\ncode = \"two words\"\nlabel = \"A\"\n",
                "contains a space",
            ),
            (
                "exit_reasons.toml",
                "[[codes]]\ncode = \"gone\"\nlabel = \"Gone\"\n",
                "needs category = \"planned\" or \"unplanned\"",
            ),
            (
                "triage_outcomes.toml",
                "[[codes]]\ncode = \"comprehensive_assessment\"\nlabel = \"CA\"\n",
                "missing code(s) 'crisis_intervention'",
            ),
            (
                "risk_levels.toml",
                "[[codes]]\ncode = \"low\"\nlabel = \"L\"\n[[codes]]\ncode = \"medium\"\nlabel = \"M\"\n\
                 [[codes]]\ncode = \"high\"\nlabel = \"H\"\n[[codes]]\ncode = \"extreme\"\nlabel = \"X\"\n",
                "unexpected code(s) 'extreme'",
            ),
            (
                "sex.toml",
                "[[codes]]\ncode = \"male\"\nlabel = \"Male\"\n",
                "retire a code",
            ),
            (
                "substances.toml",
                "[[categories]]\ncode = \"x\"\nlabel = \"X\"\n[[codes]]\ncode = \"a\"\nlabel = \"A\"\ncategory = \"y\"\n",
                "not one of the declared categories (x)",
            ),
        ];
        for (file, text, wanted) in cases {
            let e = override_error(file, text);
            assert!(e.starts_with(&format!("{file}: ")), "{file}: {e}");
            assert!(!e.contains('\n'), "one line per file: {e}");
            assert!(e.contains(wanted), "{file}: wanted {wanted:?} in {e:?}");
        }
    }

    #[test]
    fn every_bad_override_is_reported_at_once() {
        let e = CodeLists::with_overrides(|f| match f {
            "sex.toml" | "routes.toml" => Some("nonsense".to_string()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(e.lines().filter(|l| l.starts_with("sex.toml: ")).count(), 1);
        assert_eq!(
            e.lines().filter(|l| l.starts_with("routes.toml: ")).count(),
            1
        );
    }

    #[test]
    fn keep_codes_lists_may_add_and_retire() {
        let text = r#"
[[codes]]
code = "male"
label = "Male"
[[codes]]
code = "female"
label = "Female"
[[codes]]
code = "other"
label = "Other"
retired = true
[[codes]]
code = "not_stated"
label = "Not stated"
[[codes]]
code = "non_binary"
label = "Non-binary"
"#;
        let l = CodeLists::with_overrides(|f| (f == "sex.toml").then(|| text.to_string())).unwrap();
        assert_eq!(l.list(ListName::Sex).active().count(), 4);
        assert!(CodeList::parse(ListName::Sex, text).is_ok());
        assert!(CodeList::parse(ListName::Sex, "[[codes]]\ncode='male'\nlabel='M'\n").is_err());
    }

    #[test]
    fn normalise_folds_case_space_and_punctuation() {
        assert_eq!(normalise("  School/College "), "school college");
        assert_eq!(normalise("A&E"), "a and e");
        assert_eq!(normalise("18_24"), "18 24");
        assert_eq!(
            normalise("Children’s  SOCIAL care"),
            "childrens social care"
        );
        assert_eq!(normalise(" - "), "");
    }
}
