//! The integrated care plan (S §8.6–8.8, §16) and its reviews (S §8.9.5).
//!
//! A plan has goals by life domain, each with actions (owner, target date, status, and an
//! optional link to a risk domain: the risk management plan of S §8.5.5), costed items against
//! the direct-payment or care-management budget, the assessor's sign-off and a manager's
//! approval of spend (S §8.8.3). Each review makes a new version; old versions are kept as they
//! were. This module holds the rules (validation, totals, the next version, the difference
//! between two versions); the store does the reading and writing.

use chrono::NaiveDate;

use crate::domain::assessment::{check_event_date, Assessment, OutcomeProfile, RiskDomain};
use crate::domain::codes::{CodeLists, ListName};
use crate::domain::record::{Episode, RiskLevel};
use crate::domain::validate::{truncate_for_message, FieldError, Invalid, Problems};

pub const BUDGET_DIRECT_PAYMENT: &str = "direct_payment";
pub const BUDGET_CARE_MANAGEMENT: &str = "care_management";
/// The action owner whose name must be given (which agency).
pub const OWNER_OTHER_AGENCY: &str = "other_agency";
pub const STATUS_NOT_STARTED: &str = "not_started";
pub const STATUS_IN_PROGRESS: &str = "in_progress";
pub const STATUS_DONE: &str = "done";
pub const STATUS_DROPPED: &str = "dropped";
/// The most one costed item may be (£100,000): anything above is taken as a typing slip.
pub const MAX_ITEM_PENCE: i64 = 10_000_000;

/// A goal's or an action's step in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// What the worker does to something on the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: String,
    pub what: String,
    /// Code from `action_owners`.
    pub owner_kind: String,
    /// Who exactly: required when the owner is another agency.
    pub owner_name: Option<String>,
    pub target_date: Option<NaiveDate>,
    /// Code from `action_status`.
    pub status: String,
    /// The risk this action manages, linking it to the risk management plan (S §8.5.5).
    pub risk_domain: Option<RiskDomain>,
}

impl Action {
    /// A new action, not started.
    pub fn new(what: &str, owner_kind: &str) -> Action {
        Action {
            id: String::new(),
            what: what.to_string(),
            owner_kind: owner_kind.to_string(),
            owner_name: None,
            target_date: None,
            status: STATUS_NOT_STARTED.to_string(),
            risk_domain: None,
        }
    }

    /// Done or dropped: nothing more to do.
    pub fn is_finished(&self) -> bool {
        self.status == STATUS_DONE || self.status == STATUS_DROPPED
    }

    /// Every problem with the action's own fields (`what`, `owner_kind`, `owner_name`,
    /// `status`). Its target date is checked by [`check_target_date`] when it is set.
    pub fn validate(&self, codes: &CodeLists) -> Problems {
        let mut p = Problems::default();
        if self.what.trim().is_empty() {
            p.push("what", "say what will be done");
        }
        if let Err(m) = codes.check(ListName::ActionOwners, &self.owner_kind) {
            p.push("owner_kind", m);
        } else if self.owner_kind == OWNER_OTHER_AGENCY
            && self
                .owner_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            p.push("owner_name", "name the agency that owns this action");
        }
        if let Err(m) = codes.check(ListName::ActionStatus, &self.status) {
            p.push("status", m);
        }
        p
    }
}

/// The rule for a target date the worker sets: not before the plan it belongs to.
pub fn check_target_date(target: Option<NaiveDate>, plan_date: NaiveDate) -> Result<(), String> {
    match target {
        Some(t) if t < plan_date => Err(format!(
            "{t} is before the plan's date ({plan_date}): expected a date on or after it"
        )),
        _ => Ok(()),
    }
}

/// A goal in one life domain, with its actions in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub id: String,
    /// Code from `life_domains`.
    pub domain: String,
    pub goal: String,
    /// Progress as noted at the review that made this version (or since).
    pub progress: Option<String>,
    pub actions: Vec<Action>,
}

/// Checks a goal's own fields (`domain`, `goal`).
pub fn validate_goal(domain: &str, goal: &str, codes: &CodeLists) -> Problems {
    let mut p = Problems::default();
    if let Err(m) = codes.check(ListName::LifeDomains, domain) {
        p.push("domain", m);
    }
    if goal.trim().is_empty() {
        p.push("goal", "say what the young person wants to achieve");
    }
    p
}

/// A costed item (S §8.8): what is bought, from which budget, for how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetItem {
    pub id: String,
    pub description: String,
    /// Code from `budgets`.
    pub budget: String,
    pub amount_pence: i64,
}

impl BudgetItem {
    /// Builds an item from what the worker typed, the amount as `£12.50`, `12.5` or `1,250`.
    /// Every problem is reported at its field (`description`, `budget`, `amount`).
    pub fn from_text(
        description: &str,
        budget: &str,
        amount: &str,
        codes: &CodeLists,
    ) -> Result<BudgetItem, Invalid> {
        let mut p = Problems::default();
        let budget_code = codes
            .check(ListName::Budgets, budget)
            .map_err(|m| p.push("budget", m))
            .unwrap_or_default();
        let amount_pence = parse_pounds(amount)
            .map_err(|m| p.push("amount", m))
            .unwrap_or_default();
        if description.trim().is_empty() {
            p.push("description", "say what is being paid for");
        }
        p.into_result()?;
        Ok(BudgetItem {
            id: String::new(),
            description: description.trim().to_string(),
            budget: budget_code,
            amount_pence,
        })
    }

    /// Every problem with the item, each at its field.
    pub fn validate(&self, codes: &CodeLists) -> Problems {
        let mut p = Problems::default();
        if self.description.trim().is_empty() {
            p.push("description", "say what is being paid for");
        }
        if let Err(m) = codes.check(ListName::Budgets, &self.budget) {
            p.push("budget", m);
        }
        if let Err(m) = check_pence(self.amount_pence) {
            p.push("amount", m);
        }
        p
    }
}

fn check_pence(pence: i64) -> Result<i64, String> {
    if pence < 0 {
        Err("a cost cannot be negative: enter the amount to be spent".into())
    } else if pence > MAX_ITEM_PENCE {
        Err(format!(
            "{} for one item is more than {}: check the amount",
            format_pence(pence),
            format_pence(MAX_ITEM_PENCE)
        ))
    } else {
        Ok(pence)
    }
}

/// Reads an amount of money as a person types it (`£12.50`, `12.5`, `£1,250`, `3`) into pence.
/// Refuses negatives, more than two decimal places, junk and amounts above
/// [`MAX_ITEM_PENCE`], with a message saying what is expected.
pub fn parse_pounds(text: &str) -> Result<i64, String> {
    let expected = "expected an amount in pounds such as 12.50 or £12.50";
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("no amount given: {expected}"));
    }
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, t),
    };
    let rest = rest.strip_prefix('£').unwrap_or(rest).trim_start();
    let (negative, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (negative, rest),
    };
    let junk = || format!("'{}' is not an amount: {expected}", truncate_for_message(t));
    let (pounds, pence) = match rest.split_once('.') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    // Thousands separators only in their proper places: "1,250" yes, "12,50" no.
    let groups: Vec<&str> = pounds.split(',').collect();
    let grouped_ok = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    let pounds: String = groups.concat();
    if !grouped_ok
        || (pounds.is_empty() && pence.is_empty())
        || !pounds.chars().all(|c| c.is_ascii_digit())
        || !pence.chars().all(|c| c.is_ascii_digit())
    {
        return Err(junk());
    }
    if pence.len() > 2 {
        return Err(format!(
            "'{}' has more than two decimal places: {expected}",
            truncate_for_message(t)
        ));
    }
    if negative {
        return Err("a cost cannot be negative: enter the amount to be spent".into());
    }
    // Too many digits for any real cost: refuse before the arithmetic could overflow.
    if pounds.trim_start_matches('0').len() > 9 {
        return check_pence(i64::MAX);
    }
    let whole: i64 = if pounds.is_empty() {
        0
    } else {
        pounds.parse().map_err(|_| junk())?
    };
    let frac: i64 = match pence.len() {
        0 => 0,
        1 => pence.parse::<i64>().map_err(|_| junk())? * 10,
        _ => pence.parse().map_err(|_| junk())?,
    };
    check_pence(whole * 100 + frac)
}

/// Pence as pounds for people: `£1,250.00`, `-£3.05`.
pub fn format_pence(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let abs = pence.unsigned_abs();
    let pounds = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}£{grouped}.{:02}", abs % 100)
}

/// One budget's running total on a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetTotal {
    pub budget: String,
    pub pence: i64,
}

/// The header fields of a plan: what a new plan is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHeader {
    pub date: NaiveDate,
    /// Level of support 1–4 (S §8.6.4); may wait for the assessment on an interim plan.
    pub support_level: Option<u8>,
    /// An interim plan made at triage (S §8.4.2) rather than the integrated care plan.
    pub interim: bool,
}

impl PlanHeader {
    /// Checks `date` (in the episode, not in the future) and `support_level`.
    pub fn validate(&self, episode: &Episode, today: NaiveDate) -> Problems {
        let mut p = Problems::default();
        check_event_date(&mut p, "date", "a care plan", self.date, episode, today);
        check_support_level(&mut p, self.support_level, self.interim);
        p
    }
}

/// The level of support must be 1–4, and given unless the plan is interim.
pub fn validate_support_level(level: Option<u8>, interim: bool) -> Problems {
    let mut p = Problems::default();
    check_support_level(&mut p, level, interim);
    p
}

fn check_support_level(p: &mut Problems, level: Option<u8>, interim: bool) {
    match level {
        Some(l) if !(1..=4).contains(&l) => p.push(
            "support_level",
            format!("{l} is not a level of support: expected 1 to 4 (S §8.6.4)"),
        ),
        None if !interim => p.push(
            "support_level",
            "give the level of support, 1 to 4 (S §8.6.4)",
        ),
        _ => {}
    }
}

/// One version of an episode's integrated care plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarePlan {
    pub id: String,
    pub episode_id: String,
    /// 1 for the first plan; each review adds one.
    pub version: u32,
    pub date: NaiveDate,
    pub support_level: Option<u8>,
    pub interim: bool,
    pub goals: Vec<Goal>,
    pub budget_items: Vec<BudgetItem>,
    /// The assessor who signed the plan off (S §16.2), and when.
    pub signed_off_by: Option<String>,
    pub signed_off_on: Option<NaiveDate>,
    /// The manager who approved the spend (S §8.8.3), and when.
    pub spend_approved_by: Option<String>,
    pub spend_approved_on: Option<NaiveDate>,
    /// The review that made this version (none for the first).
    pub review_id: Option<String>,
}

impl CarePlan {
    /// Totals per budget, in the order the budgets first appear on the plan.
    pub fn budget_totals(&self) -> Vec<BudgetTotal> {
        let mut out: Vec<BudgetTotal> = Vec::new();
        for item in &self.budget_items {
            match out.iter_mut().find(|t| t.budget == item.budget) {
                Some(t) => t.pence += item.amount_pence,
                None => out.push(BudgetTotal {
                    budget: item.budget.clone(),
                    pence: item.amount_pence,
                }),
            }
        }
        out
    }

    /// The total for one budget (0 when it has no items).
    pub fn budget_total(&self, budget: &str) -> i64 {
        self.budget_items
            .iter()
            .filter(|i| i.budget == budget)
            .map(|i| i.amount_pence)
            .sum()
    }

    /// Everything costed on the plan.
    pub fn total_pence(&self) -> i64 {
        self.budget_items.iter().map(|i| i.amount_pence).sum()
    }

    /// There is costed spend no manager has approved. A change to the costed items after
    /// approval withdraws it (the store clears it), so the approval always covers what is
    /// on the plan now.
    pub fn has_unapproved_spend(&self) -> bool {
        self.total_pence() > 0 && self.spend_approved_by.is_none()
    }

    pub fn is_signed_off(&self) -> bool {
        self.signed_off_by.is_some()
    }

    pub fn goal(&self, goal_id: &str) -> Option<&Goal> {
        self.goals.iter().find(|g| g.id == goal_id)
    }

    /// An action and the goal it belongs to.
    pub fn action(&self, action_id: &str) -> Option<(&Goal, &Action)> {
        self.goals
            .iter()
            .find_map(|g| g.actions.iter().find(|a| a.id == action_id).map(|a| (g, a)))
    }

    /// Actions not finished whose target date has passed, with their goals.
    pub fn overdue_actions(&self, today: NaiveDate) -> Vec<(&Goal, &Action)> {
        self.goals
            .iter()
            .flat_map(|g| g.actions.iter().map(move |a| (g, a)))
            .filter(|(_, a)| !a.is_finished() && a.target_date.is_some_and(|t| t < today))
            .collect()
    }

    /// Actions linked to a risk domain (its risk management plan).
    pub fn actions_for_risk(&self, domain: RiskDomain) -> Vec<&Action> {
        self.goals
            .iter()
            .flat_map(|g| g.actions.iter())
            .filter(|a| a.risk_domain == Some(domain))
            .collect()
    }

    /// Every problem with the whole plan, each at a path naming the field:
    /// `support_level`, `goals[0].goal`, `goals[1].actions[0].owner_name`,
    /// `budget_items[2].amount`. Target dates are checked as they are set (copied actions
    /// may keep a date before a later version's date).
    pub fn validate(&self, codes: &CodeLists) -> Problems {
        let mut p = Problems::default();
        check_support_level(&mut p, self.support_level, self.interim);
        for (i, g) in self.goals.iter().enumerate() {
            prefixed(
                &mut p,
                &format!("goals[{i}]."),
                validate_goal(&g.domain, &g.goal, codes),
            );
            for (j, a) in g.actions.iter().enumerate() {
                prefixed(
                    &mut p,
                    &format!("goals[{i}].actions[{j}]."),
                    a.validate(codes),
                );
            }
        }
        for (i, b) in self.budget_items.iter().enumerate() {
            prefixed(&mut p, &format!("budget_items[{i}]."), b.validate(codes));
        }
        p
    }
}

/// Moves `inner`'s problems into `p` with their fields under `prefix`.
pub(crate) fn prefixed(p: &mut Problems, prefix: &str, inner: Problems) {
    p.0.extend(
        inner
            .0
            .into_iter()
            .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message)),
    );
}

/// The medium and high risks of an assessment that no action on the plan manages: the risk
/// management plan must be linked to the care plan (S §8.5.5). Highest risk first.
pub fn unlinked_risks(assessment: &Assessment, plan: &CarePlan) -> Vec<(RiskDomain, RiskLevel)> {
    assessment
        .risks_needing_a_plan()
        .into_iter()
        .filter(|(d, _)| plan.actions_for_risk(*d).is_empty())
        .collect()
}

/// A version in an episode's list of plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersion {
    pub id: String,
    pub version: u32,
    pub date: NaiveDate,
    pub interim: bool,
    pub review_id: Option<String>,
    pub signed_off: bool,
}

// ---------------------------------------------------------------------------------------------
// Reviews
// ---------------------------------------------------------------------------------------------

/// What the review says about one goal of the current plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalReview {
    pub goal_id: String,
    /// Progress since the last version; blank keeps the progress noted before.
    pub progress: String,
    /// Keep the goal in the new version; `false` closes it (achieved or no longer wanted),
    /// and it stays readable in the old version.
    pub carry_forward: bool,
}

/// A care plan review (S §8.9.5): held on `date`, it makes the plan's next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewForm {
    pub date: NaiveDate,
    pub participants: String,
    pub notes: String,
    /// Goals not mentioned are carried forward unchanged.
    pub goals: Vec<GoalReview>,
    /// An outcome profile recorded at the review (KPI 6a); its occasion is set to `review`.
    pub outcome_profile: Option<OutcomeProfile>,
}

impl ReviewForm {
    pub fn new(date: NaiveDate) -> ReviewForm {
        ReviewForm {
            date,
            participants: String::new(),
            notes: String::new(),
            goals: Vec::new(),
            outcome_profile: None,
        }
    }

    /// Notes progress on a goal, keeping it in the next version.
    pub fn progress(mut self, goal_id: &str, progress: &str) -> ReviewForm {
        self.goals.push(GoalReview {
            goal_id: goal_id.to_string(),
            progress: progress.to_string(),
            carry_forward: true,
        });
        self
    }

    /// Closes a goal at this review, with a last progress note.
    pub fn close_goal(mut self, goal_id: &str, progress: &str) -> ReviewForm {
        self.goals.push(GoalReview {
            goal_id: goal_id.to_string(),
            progress: progress.to_string(),
            carry_forward: false,
        });
        self
    }

    /// Every problem with the review, each at its field: `date` (in the episode, not in the
    /// future, not before the comprehensive assessment or the current plan), `goals`, and the
    /// outcome profile's fields under `outcome_profile.`.
    pub fn validate(
        &self,
        episode: &Episode,
        plan: Option<&CarePlan>,
        codes: &CodeLists,
        today: NaiveDate,
    ) -> Problems {
        let mut p = Problems::default();
        check_event_date(&mut p, "date", "a review", self.date, episode, today);
        if let Some(a) = episode.assessment_date {
            if self.date < a {
                p.push(
                    "date",
                    format!(
                        "{} is before the comprehensive assessment ({a}): a review follows it",
                        self.date
                    ),
                );
            }
        }
        if let Some(plan) = plan {
            if self.date < plan.date {
                p.push(
                    "date",
                    format!(
                        "{} is before the current plan (version {}, {}): a review follows it",
                        self.date, plan.version, plan.date
                    ),
                );
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for g in &self.goals {
            if plan.and_then(|pl| pl.goal(&g.goal_id)).is_none() {
                p.push("goals", "a goal reviewed is not on the current plan");
            } else if seen.contains(&g.goal_id.as_str()) {
                p.push("goals", "a goal is reviewed twice: keep one entry");
            }
            seen.push(&g.goal_id);
        }
        if let Some(op) = &self.outcome_profile {
            prefixed(
                &mut p,
                "outcome_profile.",
                op.validate_in(episode, codes, today),
            );
        }
        p
    }
}

/// The version a review makes from `plan`: dated the review, goals carried forward with the
/// progress noted, actions and costed items copied. Sign-off is the assessor's for each
/// version, so it is not carried; the spend approval is, because the costed items are copied
/// unchanged (any later change to them withdraws it). IDs are left empty for the store.
pub fn next_version(plan: &CarePlan, review: &ReviewForm) -> CarePlan {
    let goals = plan
        .goals
        .iter()
        .filter_map(|g| {
            let r = review.goals.iter().find(|r| r.goal_id == g.id);
            if r.is_some_and(|r| !r.carry_forward) {
                return None;
            }
            let progress = match r.map(|r| r.progress.trim()).filter(|t| !t.is_empty()) {
                Some(t) => Some(t.to_string()),
                None => g.progress.clone(),
            };
            Some(Goal {
                id: String::new(),
                domain: g.domain.clone(),
                goal: g.goal.clone(),
                progress,
                actions: g
                    .actions
                    .iter()
                    .map(|a| Action {
                        id: String::new(),
                        ..a.clone()
                    })
                    .collect(),
            })
        })
        .collect();
    CarePlan {
        id: String::new(),
        episode_id: plan.episode_id.clone(),
        version: plan.version + 1,
        date: review.date,
        support_level: plan.support_level,
        interim: plan.interim,
        goals,
        budget_items: plan
            .budget_items
            .iter()
            .map(|b| BudgetItem {
                id: String::new(),
                ..b.clone()
            })
            .collect(),
        signed_off_by: None,
        signed_off_on: None,
        spend_approved_by: plan.spend_approved_by.clone(),
        spend_approved_on: plan.spend_approved_on,
        review_id: None,
    }
}

/// A review as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub episode_id: String,
    pub date: NaiveDate,
    pub participants: Option<String>,
    pub notes: Option<String>,
    pub worker_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Differences between versions
// ---------------------------------------------------------------------------------------------

/// One difference between two versions of a plan, for the case view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SupportLevel {
        from: Option<u8>,
        to: Option<u8>,
    },
    /// The interim plan became the integrated care plan (or back).
    Interim {
        to: bool,
    },
    GoalAdded {
        domain: String,
        goal: String,
    },
    GoalRemoved {
        domain: String,
        goal: String,
    },
    GoalReworded {
        domain: String,
        from: String,
        to: String,
    },
    GoalProgress {
        goal: String,
        progress: Option<String>,
    },
    ActionAdded {
        goal: String,
        what: String,
        target_date: Option<NaiveDate>,
    },
    ActionRemoved {
        goal: String,
        what: String,
    },
    ActionReworded {
        goal: String,
        from: String,
        to: String,
    },
    ActionStatus {
        what: String,
        from: String,
        to: String,
    },
    ActionTargetDate {
        what: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    ActionOwner {
        what: String,
        from: (String, Option<String>),
        to: (String, Option<String>),
    },
    ActionRisk {
        what: String,
        from: Option<RiskDomain>,
        to: Option<RiskDomain>,
    },
    BudgetAdded {
        description: String,
        budget: String,
        amount_pence: i64,
    },
    BudgetRemoved {
        description: String,
        budget: String,
        amount_pence: i64,
    },
    BudgetChanged {
        description: String,
        from: (String, String, i64),
        to: (String, String, i64),
    },
}

fn date_or_none(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "none".into())
}

fn level_or_none(l: Option<u8>) -> String {
    l.map(|l| l.to_string()).unwrap_or_else(|| "not set".into())
}

fn owner_text(codes: &CodeLists, (kind, name): &(String, Option<String>)) -> String {
    let label = codes.label_of(ListName::ActionOwners, kind);
    match name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => format!("{label} ({n})"),
        None => label.to_string(),
    }
}

impl Change {
    /// One readable line, with labels from the code lists.
    pub fn line(&self, codes: &CodeLists) -> String {
        let life = |c: &str| codes.label_of(ListName::LifeDomains, c).to_string();
        let budget = |c: &str| codes.label_of(ListName::Budgets, c).to_string();
        let status = |c: &str| codes.label_of(ListName::ActionStatus, c).to_string();
        match self {
            Change::SupportLevel { from, to } => format!(
                "Level of support: {} → {}",
                level_or_none(*from),
                level_or_none(*to)
            ),
            Change::Interim { to: false } => {
                "The interim plan became the integrated care plan".into()
            }
            Change::Interim { to: true } => "The plan is now marked interim".into(),
            Change::GoalAdded { domain, goal } => format!("Goal added ({}): {goal}", life(domain)),
            Change::GoalRemoved { domain, goal } => {
                format!("Goal closed ({}): {goal}", life(domain))
            }
            Change::GoalReworded { domain, from, to } => {
                format!("Goal reworded ({}): '{from}' → '{to}'", life(domain))
            }
            Change::GoalProgress { goal, progress } => match progress {
                Some(p) => format!("Progress on '{goal}': {p}"),
                None => format!("Progress on '{goal}' cleared"),
            },
            Change::ActionAdded {
                goal,
                what,
                target_date,
            } => match target_date {
                Some(t) => format!("Action added to '{goal}': {what} (by {t})"),
                None => format!("Action added to '{goal}': {what}"),
            },
            Change::ActionRemoved { goal, what } => {
                format!("Action no longer on '{goal}': {what}")
            }
            Change::ActionReworded { goal, from, to } => {
                format!("Action on '{goal}' reworded: '{from}' → '{to}'")
            }
            Change::ActionStatus { what, from, to } => {
                format!("Action '{what}': {} → {}", status(from), status(to))
            }
            Change::ActionTargetDate { what, from, to } => format!(
                "Action '{what}': target date {} → {}",
                date_or_none(*from),
                date_or_none(*to)
            ),
            Change::ActionOwner { what, from, to } => format!(
                "Action '{what}': owner {} → {}",
                owner_text(codes, from),
                owner_text(codes, to)
            ),
            Change::ActionRisk { what, from, to } => {
                let r = |d: &Option<RiskDomain>| {
                    d.map(|d| d.label().to_string())
                        .unwrap_or_else(|| "no risk".into())
                };
                format!("Action '{what}': manages {} → {}", r(from), r(to))
            }
            Change::BudgetAdded {
                description,
                budget: b,
                amount_pence,
            } => format!(
                "Costed item added: {description}, {} ({})",
                format_pence(*amount_pence),
                budget(b)
            ),
            Change::BudgetRemoved {
                description,
                budget: b,
                amount_pence,
            } => format!(
                "Costed item removed: {description}, {} ({})",
                format_pence(*amount_pence),
                budget(b)
            ),
            Change::BudgetChanged {
                description,
                from,
                to,
            } => {
                let mut parts = Vec::new();
                if from.0 != to.0 {
                    parts.push(format!("'{}' → '{}'", from.0, to.0));
                }
                if from.1 != to.1 {
                    parts.push(format!("{} → {}", budget(&from.1), budget(&to.1)));
                }
                if from.2 != to.2 {
                    parts.push(format!("{} → {}", format_pence(from.2), format_pence(to.2)));
                }
                format!("Costed item '{description}': {}", parts.join(", "))
            }
        }
    }
}

/// Pairs the items of two lists. A version's rows have new IDs, so items are paired by
/// content: first those `same` says are identical (in order), then, within each group `group`
/// puts them in, what is left over when both sides have the same number left (read as the same
/// items, reworded). Returns the pairs and the unpaired indices of each side.
fn pair<T>(
    a: &[T],
    b: &[T],
    same: impl Fn(&T, &T) -> bool,
    group: impl Fn(&T, &T) -> bool,
) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let mut pairs = Vec::new();
    let mut used_b = vec![false; b.len()];
    let mut left_a = Vec::new();
    for (i, x) in a.iter().enumerate() {
        match (0..b.len()).find(|&j| !used_b[j] && same(x, &b[j])) {
            Some(j) => {
                used_b[j] = true;
                pairs.push((i, j));
            }
            None => left_a.push(i),
        }
    }
    let mut left_b: Vec<usize> = (0..b.len()).filter(|&j| !used_b[j]).collect();
    let mut still_a = Vec::new();
    let mut done_a = vec![false; a.len()];
    for &i in &left_a {
        if done_a[i] {
            continue;
        }
        let ga: Vec<usize> = left_a
            .iter()
            .copied()
            .filter(|&k| group(&a[i], &a[k]))
            .collect();
        let gb: Vec<usize> = left_b
            .iter()
            .copied()
            .filter(|&k| group(&a[i], &b[k]))
            .collect();
        for &k in &ga {
            done_a[k] = true;
        }
        if ga.len() == gb.len() {
            pairs.extend(ga.iter().copied().zip(gb.iter().copied()));
            left_b.retain(|k| !gb.contains(k));
        } else {
            still_a.extend(ga);
        }
    }
    still_a.sort_unstable();
    pairs.sort_unstable();
    (pairs, still_a, left_b)
}

/// What changed from version `a` to version `b` of a plan: support level, goals added,
/// closed, reworded or with new progress, actions added, removed, reworded or with a new
/// status, target date, owner or risk link, and costed items added, removed or changed.
/// Rows are paired by content (each version has its own IDs).
pub fn diff_versions(a: &CarePlan, b: &CarePlan) -> Vec<Change> {
    let mut out = Vec::new();
    if a.interim != b.interim {
        out.push(Change::Interim { to: b.interim });
    }
    if a.support_level != b.support_level {
        out.push(Change::SupportLevel {
            from: a.support_level,
            to: b.support_level,
        });
    }

    let (pairs, removed, added) = pair(
        &a.goals,
        &b.goals,
        |x, y| x.domain == y.domain && x.goal == y.goal,
        |x, y| x.domain == y.domain,
    );
    for i in removed {
        let g = &a.goals[i];
        out.push(Change::GoalRemoved {
            domain: g.domain.clone(),
            goal: g.goal.clone(),
        });
    }
    for (i, j) in pairs {
        let (ga, gb) = (&a.goals[i], &b.goals[j]);
        if ga.goal != gb.goal {
            out.push(Change::GoalReworded {
                domain: gb.domain.clone(),
                from: ga.goal.clone(),
                to: gb.goal.clone(),
            });
        }
        if ga.progress != gb.progress {
            out.push(Change::GoalProgress {
                goal: gb.goal.clone(),
                progress: gb.progress.clone(),
            });
        }
        diff_actions(&mut out, gb, &ga.actions, &gb.actions);
    }
    for j in added {
        let g = &b.goals[j];
        out.push(Change::GoalAdded {
            domain: g.domain.clone(),
            goal: g.goal.clone(),
        });
        for act in &g.actions {
            out.push(Change::ActionAdded {
                goal: g.goal.clone(),
                what: act.what.clone(),
                target_date: act.target_date,
            });
        }
    }

    let (pairs, removed, added) = pair(
        &a.budget_items,
        &b.budget_items,
        |x, y| x.description == y.description && x.budget == y.budget,
        |x, y| x.budget == y.budget,
    );
    for i in removed {
        let it = &a.budget_items[i];
        out.push(Change::BudgetRemoved {
            description: it.description.clone(),
            budget: it.budget.clone(),
            amount_pence: it.amount_pence,
        });
    }
    for (i, j) in pairs {
        let (x, y) = (&a.budget_items[i], &b.budget_items[j]);
        if x != &(BudgetItem {
            id: x.id.clone(),
            ..y.clone()
        }) {
            out.push(Change::BudgetChanged {
                description: y.description.clone(),
                from: (x.description.clone(), x.budget.clone(), x.amount_pence),
                to: (y.description.clone(), y.budget.clone(), y.amount_pence),
            });
        }
    }
    for j in added {
        let it = &b.budget_items[j];
        out.push(Change::BudgetAdded {
            description: it.description.clone(),
            budget: it.budget.clone(),
            amount_pence: it.amount_pence,
        });
    }
    out
}

fn diff_actions(out: &mut Vec<Change>, goal: &Goal, a: &[Action], b: &[Action]) {
    let (pairs, removed, added) = pair(a, b, |x, y| x.what == y.what, |_, _| true);
    for i in removed {
        out.push(Change::ActionRemoved {
            goal: goal.goal.clone(),
            what: a[i].what.clone(),
        });
    }
    for (i, j) in pairs {
        let (x, y) = (&a[i], &b[j]);
        if x.what != y.what {
            out.push(Change::ActionReworded {
                goal: goal.goal.clone(),
                from: x.what.clone(),
                to: y.what.clone(),
            });
        }
        if x.status != y.status {
            out.push(Change::ActionStatus {
                what: y.what.clone(),
                from: x.status.clone(),
                to: y.status.clone(),
            });
        }
        if x.target_date != y.target_date {
            out.push(Change::ActionTargetDate {
                what: y.what.clone(),
                from: x.target_date,
                to: y.target_date,
            });
        }
        if x.owner_kind != y.owner_kind || x.owner_name != y.owner_name {
            out.push(Change::ActionOwner {
                what: y.what.clone(),
                from: (x.owner_kind.clone(), x.owner_name.clone()),
                to: (y.owner_kind.clone(), y.owner_name.clone()),
            });
        }
        if x.risk_domain != y.risk_domain {
            out.push(Change::ActionRisk {
                what: y.what.clone(),
                from: x.risk_domain,
                to: y.risk_domain,
            });
        }
    }
    for j in added {
        out.push(Change::ActionAdded {
            goal: goal.goal.clone(),
            what: b[j].what.clone(),
            target_date: b[j].target_date,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_pounds("£12.50"), Ok(1250));
        assert_eq!(parse_pounds("12.5"), Ok(1250));
        assert_eq!(parse_pounds(" 12 "), Ok(1200));
        assert_eq!(parse_pounds("£1,250"), Ok(125_000));
        assert_eq!(parse_pounds(".99"), Ok(99));
        assert_eq!(parse_pounds("0"), Ok(0));
        assert_eq!(parse_pounds("£100,000.00"), Ok(MAX_ITEM_PENCE));
    }

    #[test]
    fn junk_negative_and_absurd_amounts_are_refused_with_what_is_expected() {
        for junk in [
            "twelve", "£", "12.50p", "1.2.3", "12,50", "£ 12 50", "", ".",
        ] {
            let e = parse_pounds(junk).unwrap_err();
            assert!(e.contains("12.50"), "{junk}: {e}");
        }
        assert!(parse_pounds("12.505").unwrap_err().contains("two decimal"));
        assert!(parse_pounds("-5").unwrap_err().contains("negative"));
        assert!(parse_pounds("£-5.00").unwrap_err().contains("negative"));
        assert!(parse_pounds("100000.01")
            .unwrap_err()
            .contains("check the amount"));
        assert!(parse_pounds(&"9".repeat(40))
            .unwrap_err()
            .contains("check the amount"));
    }

    #[test]
    fn pence_are_shown_as_pounds() {
        assert_eq!(format_pence(0), "£0.00");
        assert_eq!(format_pence(1250), "£12.50");
        assert_eq!(format_pence(123_456_789), "£1,234,567.89");
        assert_eq!(format_pence(-305), "-£3.05");
    }

    #[test]
    fn budget_item_from_text_reports_every_field() {
        let codes = CodeLists::embedded();
        let e = BudgetItem::from_text(" ", "petty cash", "abc", &codes).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["budget", "amount", "description"]);
        let ok = BudgetItem::from_text("Gym", "Direct payment budget", "£30", &codes).unwrap();
        assert_eq!(ok.budget, BUDGET_DIRECT_PAYMENT);
        assert_eq!(ok.amount_pence, 3000);
    }

    #[test]
    fn an_action_for_another_agency_names_it() {
        let codes = CodeLists::embedded();
        let mut a = Action::new("CAMHS appointment", "other_agency");
        assert!(a.validate(&codes).for_field("owner_name").is_some());
        a.owner_name = Some("CAMHS".into());
        assert!(a.validate(&codes).is_empty());
        assert!(check_target_date(Some(d("2025-01-01")), d("2025-01-02")).is_err());
        assert!(check_target_date(Some(d("2025-01-02")), d("2025-01-02")).is_ok());
    }

    fn plan() -> CarePlan {
        CarePlan {
            id: "p1".into(),
            episode_id: "e".into(),
            version: 1,
            date: d("2025-03-10"),
            support_level: Some(3),
            interim: false,
            goals: vec![
                Goal {
                    id: "g1".into(),
                    domain: "substance_use".into(),
                    goal: "Cut down cannabis".into(),
                    progress: None,
                    actions: vec![
                        Action {
                            id: "a1".into(),
                            ..Action::new("Weekly sessions", "worker")
                        },
                        Action {
                            id: "a2".into(),
                            target_date: Some(d("2025-04-01")),
                            ..Action::new("Drug diary", "young_person")
                        },
                    ],
                },
                Goal {
                    id: "g2".into(),
                    domain: "accommodation".into(),
                    goal: "Stable housing".into(),
                    progress: None,
                    actions: vec![],
                },
            ],
            budget_items: vec![
                BudgetItem {
                    id: "b1".into(),
                    description: "Gym".into(),
                    budget: BUDGET_DIRECT_PAYMENT.into(),
                    amount_pence: 3000,
                },
                BudgetItem {
                    id: "b2".into(),
                    description: "Course".into(),
                    budget: BUDGET_CARE_MANAGEMENT.into(),
                    amount_pence: 12_000,
                },
                BudgetItem {
                    id: "b3".into(),
                    description: "Bus pass".into(),
                    budget: BUDGET_DIRECT_PAYMENT.into(),
                    amount_pence: 1550,
                },
            ],
            signed_off_by: None,
            signed_off_on: None,
            spend_approved_by: None,
            spend_approved_on: None,
            review_id: None,
        }
    }

    #[test]
    fn totals_run_per_budget() {
        let p = plan();
        assert_eq!(
            p.budget_totals(),
            [
                BudgetTotal {
                    budget: BUDGET_DIRECT_PAYMENT.into(),
                    pence: 4550
                },
                BudgetTotal {
                    budget: BUDGET_CARE_MANAGEMENT.into(),
                    pence: 12_000
                }
            ]
        );
        assert_eq!(p.total_pence(), 16_550);
        assert!(p.has_unapproved_spend());
    }

    #[test]
    fn whole_plan_problems_name_their_path() {
        let codes = CodeLists::embedded();
        let mut p = plan();
        p.support_level = Some(5);
        p.goals[1].goal = " ".into();
        p.goals[0].actions[1].owner_kind = "other_agency".into();
        p.budget_items[2].amount_pence = -1;
        let probs = p.validate(&codes);
        assert!(probs.for_field("support_level").unwrap().contains("1 to 4"));
        assert!(probs.for_field("goals[1].goal").is_some());
        assert!(probs.for_field("goals[0].actions[1].owner_name").is_some());
        assert!(probs
            .for_field("budget_items[2].amount")
            .unwrap()
            .contains("negative"));
        assert_eq!(probs.0.len(), 4);
    }

    #[test]
    fn the_next_version_carries_goals_with_progress_and_drops_closed_ones() {
        let p = plan();
        let review = ReviewForm::new(d("2025-06-02"))
            .progress("g1", "Down to weekends")
            .close_goal("g2", "Tenancy signed");
        let next = next_version(&p, &review);
        assert_eq!(next.version, 2);
        assert_eq!(next.date, d("2025-06-02"));
        assert_eq!(next.goals.len(), 1);
        assert_eq!(next.goals[0].progress.as_deref(), Some("Down to weekends"));
        assert_eq!(next.goals[0].actions.len(), 2);
        assert!(next.goals[0].actions.iter().all(|a| a.id.is_empty()));
        assert_eq!(next.budget_items.len(), 3);
    }

    #[test]
    fn the_diff_reads_like_the_case_view() {
        let a = plan();
        let mut b = a.clone();
        b.version = 2;
        b.support_level = Some(2);
        b.goals.remove(1);
        b.goals[0].goal = "Stop cannabis".into();
        b.goals[0].actions[0].status = STATUS_DONE.into();
        b.goals[0].actions[1].target_date = Some(d("2025-05-01"));
        b.goals.push(Goal {
            id: "g3".into(),
            domain: "offending".into(),
            goal: "No new offences".into(),
            progress: None,
            actions: vec![Action::new("Meet YOT worker", "worker")],
        });
        b.budget_items[0].amount_pence = 2500;
        b.budget_items.remove(2);
        let codes = CodeLists::embedded();
        let lines: Vec<String> = diff_versions(&a, &b)
            .iter()
            .map(|c| c.line(&codes))
            .collect();
        assert_eq!(
            lines,
            [
                "Level of support: 3 → 2",
                "Goal closed (Accommodation): Stable housing",
                "Goal reworded (Substance use): 'Cut down cannabis' → 'Stop cannabis'",
                "Action 'Weekly sessions': Not started → Done",
                "Action 'Drug diary': target date 2025-04-01 → 2025-05-01",
                "Goal added (Offending): No new offences",
                "Action added to 'No new offences': Meet YOT worker",
                "Costed item removed: Bus pass, £15.50 (Direct payment budget)",
                "Costed item 'Gym': £30.00 → £25.00",
            ]
        );
        assert!(diff_versions(&a, &a).is_empty());
    }

    #[test]
    fn unequal_leftovers_are_added_and_removed_not_reworded() {
        let a = plan();
        let mut b = a.clone();
        b.goals[0].actions = vec![
            Action::new("One", "worker"),
            Action::new("Two", "worker"),
            Action::new("Three", "worker"),
        ];
        let changes = diff_versions(&a, &b);
        let removed = changes
            .iter()
            .filter(|c| matches!(c, Change::ActionRemoved { .. }))
            .count();
        let added = changes
            .iter()
            .filter(|c| matches!(c, Change::ActionAdded { .. }))
            .count();
        assert_eq!((removed, added), (2, 3));
    }
}
