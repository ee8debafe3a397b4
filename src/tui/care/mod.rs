//! Care plans in the terminal UI (S §8.5–8.9, §16): the comprehensive assessment form, the
//! care plan editor, the review form, the version comparison, the outcome profile form and the
//! outcome trend in the case view. The rules and the writes live in `domain::assessment`,
//! `domain::care_plan` and their stores; these modules turn keys into those calls and their
//! results (refusals included, shown at the field) into screens.

pub mod assessment_form;
pub mod compare;
pub mod editor;
pub mod forms;
pub mod outcome_form;
pub mod review_form;
pub mod screen;
pub mod small_forms;
pub mod trend;

use std::cell::RefCell;
use std::collections::HashSet;

use anyhow::Result;

use super::form::Form;
use crate::domain::assessment::{Assessment, OutcomeProfile};
use crate::domain::care_plan::{CarePlan, Direction};
use crate::domain::validate::Invalid;
use crate::store::{assessments, care_plans, Store};

pub use compare::Compare;
pub use editor::PlanEditor;
pub use screen::{open_from_case, CareComponent};

/// What the care screens' keys come to (handled by `screen::CareComponent`).
#[derive(Debug, Clone, PartialEq)]
pub enum CareMsg {
    OpenAssessment,
    OpenOutcomeProfile,
    OpenReview,
    OpenEditor,
    CloseScreen,
    NewPlanForm,
    AddGoalForm,
    AddActionForm,
    AddBudgetItemForm,
    TargetDateForm,
    SupportLevelForm,
    Move(MoveDir),
    MarkDone,
    SignOff,
    ApproveSpend,
    OpenCompare,
}

/// `Direction` with the traits `Msg` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveDir {
    Up,
    Down,
}

impl From<MoveDir> for Direction {
    fn from(d: MoveDir) -> Direction {
        match d {
            MoveDir::Up => Direction::Up,
            MoveDir::Down => Direction::Down,
        }
    }
}

/// What an open care form is for.
#[derive(Debug, Clone)]
pub enum CarePurpose {
    Assessment {
        young_person_id: String,
        episode_id: String,
    },
    OutcomeProfile {
        young_person_id: String,
        episode_id: String,
    },
    Review {
        young_person_id: String,
        episode_id: String,
        goal_ids: Vec<String>,
    },
    NewPlan {
        young_person_id: String,
        episode_id: String,
    },
    Goal {
        young_person_id: String,
        plan_id: String,
    },
    Action {
        young_person_id: String,
        goal_id: String,
    },
    BudgetItem {
        young_person_id: String,
        plan_id: String,
    },
    TargetDate {
        young_person_id: String,
        action_id: String,
    },
    SupportLevel {
        young_person_id: String,
        plan_id: String,
    },
}

impl CarePurpose {
    /// The young person the form is about.
    pub fn young_person_id(&self) -> &str {
        match self {
            CarePurpose::Assessment {
                young_person_id, ..
            }
            | CarePurpose::OutcomeProfile {
                young_person_id, ..
            }
            | CarePurpose::Review {
                young_person_id, ..
            }
            | CarePurpose::NewPlan {
                young_person_id, ..
            }
            | CarePurpose::Goal {
                young_person_id, ..
            }
            | CarePurpose::Action {
                young_person_id, ..
            }
            | CarePurpose::BudgetItem {
                young_person_id, ..
            }
            | CarePurpose::TargetDate {
                young_person_id, ..
            }
            | CarePurpose::SupportLevel {
                young_person_id, ..
            } => young_person_id,
        }
    }

    /// The editor's own small forms, drawn over the editor rather than instead of it.
    pub fn is_small(&self) -> bool {
        matches!(
            self,
            CarePurpose::NewPlan { .. }
                | CarePurpose::Goal { .. }
                | CarePurpose::Action { .. }
                | CarePurpose::BudgetItem { .. }
                | CarePurpose::TargetDate { .. }
                | CarePurpose::SupportLevel { .. }
        )
    }
}

/// A full-screen care screen over the case view.
pub enum CareScreen {
    Editor(Box<PlanEditor>),
    Compare(Compare),
}

thread_local! {
    static INTERNED: RefCell<HashSet<&'static str>> = RefCell::new(HashSet::new());
}

/// A `'static` copy of `s`, made once per distinct text. Form fields take `'static` keys and
/// labels; the care forms build some from code lists and goals, a small, bounded set.
pub fn intern(s: String) -> &'static str {
    INTERNED.with(|set| {
        let mut set = set.borrow_mut();
        if let Some(k) = set.get(s.as_str()) {
            return *k;
        }
        let k: &'static str = Box::leak(s.into_boxed_str());
        set.insert(k);
        k
    })
}

/// Puts a store refusal's messages at the form's fields (`field` maps a refusal's field name
/// to a form key, reading the form if it must) and returns the status-bar text. An error that is not a refusal (the
/// database failed) is only reported.
pub fn show_refusal(
    form: &mut Form,
    err: &anyhow::Error,
    field: impl Fn(&Form, &str) -> Option<String>,
) -> String {
    let Some(invalid) = err.downcast_ref::<Invalid>() else {
        return format!("Not saved (your draft is kept): {err}");
    };
    // Where each problem goes is read off the form as the worker filled it, before any
    // message is set on it.
    let placed: Vec<Option<String>> = invalid
        .0
        .iter()
        .map(|e| field(form, &e.field).filter(|k| form.field(k).is_some()))
        .collect();
    let mut elsewhere = Vec::new();
    for (e, key) in invalid.0.iter().zip(placed) {
        match key {
            Some(k) => {
                // Two rules may refuse one field (a review before both the assessment and
                // the plan): show both.
                let (label, before) = form
                    .field(&k)
                    .map_or(("", None), |f| (f.label, f.error.clone()));
                let msg = match before {
                    Some(b) => format!("{b}; {}", e.message),
                    None => format!("{label}: {}", e.message),
                };
                form.set_error(&k, msg);
            }
            None => elsewhere.push(e.message.clone()),
        }
    }
    form.focus_first_problem();
    let labels = form.problem_labels();
    let mut parts = Vec::new();
    if !labels.is_empty() {
        parts.push(format!("check {}", labels.join(", ")));
    }
    parts.extend(elsewhere);
    format!("Not saved: {}", parts.join("; "))
}

/// The form's own problems (required, wrong form) as one status line, after `check_fields`.
pub fn problems_status(form: &mut Form) -> String {
    form.focus_first_problem();
    let labels = form.problem_labels();
    format!(
        "Not saved: {} need{} attention — {}",
        if labels.len() == 1 {
            "1 field".to_string()
        } else {
            format!("{} fields", labels.len())
        },
        if labels.len() == 1 { "s" } else { "" },
        labels.join(", ")
    )
}

/// What the case view shows of the current episode's plan, assessment and outcomes.
#[derive(Debug, Clone, Default)]
pub struct CareSummary {
    pub plan: Option<CarePlan>,
    pub versions: usize,
    pub assessment: Option<Assessment>,
    /// Oldest first.
    pub profiles: Vec<OutcomeProfile>,
}

impl CareSummary {
    pub fn load(store: &Store, episode_id: &str) -> Result<CareSummary> {
        Ok(CareSummary {
            plan: care_plans::current_plan(store, episode_id)?,
            versions: care_plans::plan_versions(store, episode_id)?.len(),
            assessment: assessments::latest_assessment(store, episode_id)?,
            profiles: assessments::outcome_profiles_of(store, episode_id)?,
        })
    }
}

/// `dd/mm/yyyy`, as the rest of the UI shows dates.
pub fn ddmmyyyy(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}
