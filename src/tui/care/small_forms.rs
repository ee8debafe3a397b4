//! The small forms of the care plan editor: a new plan, a goal, an action, a costed item and
//! an action's target date. Each saves one audited write and returns to the editor. Field keys
//! are the names the store's refusals use.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::assessment::RiskDomain;
use crate::domain::care_plan::{
    parse_pounds, Action, BudgetItem, CarePlan, PlanHeader, STATUS_NOT_STARTED,
};
use crate::domain::codes::CodeLists;
use crate::tui::codes::{self, Choice};
use crate::tui::form::{truncate, Field, Form, SHORT_MAX};

pub fn new_plan_form(young_person_id: &str, today: NaiveDate) -> Form {
    Form::new(
        format!("care-plan:{young_person_id}"),
        "New care plan".into(),
        "New care plan — goals, actions and costs are added in the editor".into(),
        vec![
            Field::date("date", "Date")
                .required()
                .with_value(json!("today")),
            Field::number("support_level", "Level of support", 0, 99).hint("1 to 4 (S §8.6.4)"),
            Field::yes_no("interim", "Interim plan")
                .with_value(json!(false))
                .hint("y: made at triage"),
        ],
        today,
    )
}

pub fn to_header(form: &mut Form) -> Option<PlanHeader> {
    if !form.check_fields() {
        return None;
    }
    Some(PlanHeader {
        date: form.date("date")?,
        support_level: form.number("support_level").map(|n| n.clamp(0, 255) as u8),
        interim: form.yes_no("interim").unwrap_or(false),
    })
}

pub fn support_level_form(plan: &CarePlan, today: NaiveDate) -> Form {
    let mut field =
        Field::number("support_level", "Level of support", 0, 99).hint("1 to 4 (S §8.6.4)");
    if let Some(l) = plan.support_level {
        field = field.with_value(json!(l.to_string()));
    }
    Form::new(
        format!("care-level:{}", plan.id),
        "Level of support".into(),
        format!(
            "Level of support on the care plan (version {})",
            plan.version
        ),
        vec![field],
        today,
    )
}

pub fn goal_form(plan: &CarePlan, today: NaiveDate, lists: &CodeLists) -> Form {
    Form::new(
        format!("care-goal:{}", plan.id),
        "New goal".into(),
        format!("New goal on the care plan (version {})", plan.version),
        vec![
            Field::choice(
                "domain",
                "Life domain",
                codes::choices(lists, "life_domains"),
            )
            .required(),
            Field::text("goal", "Goal", SHORT_MAX)
                .required()
                .hint("what the young person wants to achieve"),
        ],
        today,
    )
}

pub fn action_form(goal: &str, goal_id: &str, today: NaiveDate, lists: &CodeLists) -> Form {
    let status = codes::choices(lists, "action_status");
    Form::new(
        format!("care-action:{goal_id}"),
        "New action".into(),
        format!("New action towards “{}”", truncate(goal, 50)),
        vec![
            Field::text("what", "What", SHORT_MAX).required(),
            Field::choice(
                "owner_kind",
                "Owner",
                codes::choices(lists, "action_owners"),
            )
            .required(),
            Field::text("owner_name", "Owner's name", SHORT_MAX).hint("which agency, or who"),
            Field::date("target_date", "Target date"),
            Field::choice("status", "Status", status).with_value(json!([STATUS_NOT_STARTED])),
            Field::choice(
                "risk_domain",
                "Manages risk",
                RiskDomain::ALL
                    .iter()
                    .map(|d| Choice {
                        code: d.code().to_string(),
                        label: d.label().to_string(),
                    })
                    .collect(),
            )
            .hint("links it to the risk management plan"),
        ],
        today,
    )
}

pub fn to_action(form: &mut Form) -> Option<Action> {
    if !form.check_fields() {
        return None;
    }
    let mut a = Action::new(&form.text("what")?, &form.choice("owner_kind")?);
    a.owner_name = form.text("owner_name");
    a.target_date = form.date("target_date");
    a.status = form
        .choice("status")
        .unwrap_or_else(|| STATUS_NOT_STARTED.to_string());
    a.risk_domain = form
        .choice("risk_domain")
        .and_then(|c| RiskDomain::from_code(&c));
    Some(a)
}

pub fn budget_form(plan: &CarePlan, today: NaiveDate, lists: &CodeLists) -> Form {
    Form::new(
        format!("care-cost:{}", plan.id),
        "New costed item".into(),
        "New costed item — a manager approves the spend".into(),
        vec![
            Field::text("description", "What is bought", SHORT_MAX).required(),
            Field::choice("budget", "Budget", codes::choices(lists, "budgets")).required(),
            Field::text("amount", "Amount", 40)
                .required()
                .hint("pounds, e.g. 12.50"),
        ],
        today,
    )
}

/// The costed item the form holds; the amount's problem (negative, junk) is set at its field.
pub fn to_budget_item(form: &mut Form) -> Option<BudgetItem> {
    let mut ok = form.check_fields();
    let amount = form.text("amount").unwrap_or_default();
    let pence = match parse_pounds(&amount) {
        Ok(p) => Some(p),
        Err(m) => {
            if form.field("amount").is_some_and(|f| f.error.is_none()) && !amount.is_empty() {
                form.set_error("amount", format!("Amount: {m}"));
            }
            ok = false;
            None
        }
    };
    if !ok {
        return None;
    }
    Some(BudgetItem {
        id: String::new(),
        description: form.text("description")?,
        budget: form.choice("budget")?,
        amount_pence: pence?,
    })
}

pub fn target_date_form(action: &Action, today: NaiveDate) -> Form {
    let mut field = Field::date("target_date", "Target date").hint("empty clears it");
    if let Some(t) = action.target_date {
        field = field.with_value(json!(t.format("%d/%m/%Y").to_string()));
    }
    Form::new(
        format!("care-target:{}", action.id),
        "Target date".into(),
        format!("Target date of “{}”", truncate(&action.what, 50)),
        vec![field],
        today,
    )
}
