//! The care screens as components: the care plan editor and the versions comparison over the
//! case view, the care forms they open, and the writes behind the editor's own keys (move,
//! mark done, sign off, approve spend).

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::forms::CareForm;
use super::{
    assessment_form, outcome_form, review_form, small_forms, CareMsg, CarePurpose, CareScreen,
    Compare, PlanEditor,
};
use crate::domain::care_plan::{STATUS_DONE, STATUS_IN_PROGRESS};
use crate::domain::record::YoungPerson;
use crate::store::care_plans;
use crate::tui::case_view::CaseModel;
use crate::tui::component::{Component, Env, Step};
use crate::tui::form::Form;
use crate::tui::form_screen::FormScreen;
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::msg::{Msg, StatusKind, Written};
use crate::tui::theme::Theme;

/// The editor or the comparison, for one young person's current episode.
pub struct CareComponent {
    pub screen: CareScreen,
    person: YoungPerson,
    episode_id: String,
}

/// A case-view key that opens a care screen or form.
pub fn open_from_case(a: Action, model: &CaseModel, env: &mut Env) -> Step {
    let Some(episode) = model.current_episode() else {
        return no_episode();
    };
    let m = match a {
        Action::AddAssessment => CareMsg::OpenAssessment,
        Action::OpenCarePlan => CareMsg::OpenEditor,
        Action::AddOutcomeProfile => CareMsg::OpenOutcomeProfile,
        Action::AddReview => CareMsg::OpenReview,
        _ => return Step::Pass,
    };
    open(m, &model.person, &episode.id, None, env)
}

fn no_episode() -> Step {
    Step::status(
        StatusKind::Warning,
        "No episode yet: assessments, care plans and outcomes belong to an episode",
    )
}

fn no_plan() -> Step {
    Step::status(
        StatusKind::Warning,
        "No care plan yet: press n in the editor to make one",
    )
}

fn form(form: Form, purpose: CarePurpose, env: &Env) -> Step {
    FormScreen::push(form, Box::new(CareForm(purpose)), env)
}

/// Opens what `m` asks for: a care form, or the editor. `editor` is the open editor, whose
/// plan and selection the small forms are about.
fn open(
    m: CareMsg,
    person: &YoungPerson,
    episode_id: &str,
    editor: Option<&PlanEditor>,
    env: &mut Env,
) -> Step {
    let today = env.today;
    let yp = person.id.clone();
    let episode_id = episode_id.to_string();
    let plan = editor.and_then(|e| e.plan.clone());
    match m {
        CareMsg::OpenAssessment => form(
            assessment_form::new_form(person, today, env.codes),
            CarePurpose::Assessment {
                young_person_id: yp,
                episode_id,
            },
            env,
        ),
        CareMsg::OpenOutcomeProfile => form(
            outcome_form::new_form(person, today, env.codes),
            CarePurpose::OutcomeProfile {
                young_person_id: yp,
                episode_id,
            },
            env,
        ),
        CareMsg::OpenReview => {
            let plan = match care_plans::current_plan(env.store, &episode_id) {
                Ok(p) => p,
                Err(e) => return Step::status(StatusKind::Error, e.to_string()),
            };
            let f = review_form::new_form(person, plan.as_ref(), today, env.codes);
            let goal_ids = plan
                .map(|p| p.goals.into_iter().map(|g| g.id).collect())
                .unwrap_or_default();
            form(
                f,
                CarePurpose::Review {
                    young_person_id: yp,
                    episode_id,
                    goal_ids,
                },
                env,
            )
        }
        CareMsg::OpenEditor => match load_editor(person, &episode_id, env) {
            Ok(e) => Step::Push(Box::new(CareComponent {
                screen: CareScreen::Editor(Box::new(e)),
                person: person.clone(),
                episode_id,
            })),
            Err(step) => step,
        },
        CareMsg::NewPlanForm => {
            if let Some(p) = plan {
                return Step::status(
                    StatusKind::Warning,
                    format!(
                        "This episode has its care plan (version {}): edit it, or record a review (r) to make the next version",
                        p.version
                    ),
                );
            }
            form(
                small_forms::new_plan_form(&yp, today),
                CarePurpose::NewPlan {
                    young_person_id: yp,
                    episode_id,
                },
                env,
            )
        }
        CareMsg::AddGoalForm => {
            let Some(plan) = plan else {
                return no_plan();
            };
            form(
                small_forms::goal_form(&plan, today, env.codes),
                CarePurpose::Goal {
                    young_person_id: yp,
                    plan_id: plan.id,
                },
                env,
            )
        }
        CareMsg::AddActionForm => {
            if plan.is_none() {
                return no_plan();
            }
            let Some(goal) = editor.and_then(|e| e.selected_goal()).cloned() else {
                return Step::status(
                    StatusKind::Warning,
                    "Select a goal first (↑/↓): an action belongs to a goal",
                );
            };
            form(
                small_forms::action_form(&goal.goal, &goal.id, today, env.codes),
                CarePurpose::Action {
                    young_person_id: yp,
                    goal_id: goal.id,
                },
                env,
            )
        }
        CareMsg::AddBudgetItemForm => {
            let Some(plan) = plan else {
                return no_plan();
            };
            form(
                small_forms::budget_form(&plan, today, env.codes),
                CarePurpose::BudgetItem {
                    young_person_id: yp,
                    plan_id: plan.id,
                },
                env,
            )
        }
        CareMsg::TargetDateForm => {
            let Some(a) = editor.and_then(|e| e.selected_action()).cloned() else {
                return Step::status(
                    StatusKind::Warning,
                    "Select an action first (↑/↓): only actions have target dates",
                );
            };
            form(
                small_forms::target_date_form(&a, today),
                CarePurpose::TargetDate {
                    young_person_id: yp,
                    action_id: a.id,
                },
                env,
            )
        }
        CareMsg::SupportLevelForm => {
            let Some(plan) = plan else {
                return no_plan();
            };
            form(
                small_forms::support_level_form(&plan, today),
                CarePurpose::SupportLevel {
                    young_person_id: yp,
                    plan_id: plan.id,
                },
                env,
            )
        }
        _ => Step::Pass,
    }
}

fn load_editor(person: &YoungPerson, episode_id: &str, env: &Env) -> Result<PlanEditor, Step> {
    PlanEditor::load(
        env.store,
        &person.id,
        episode_id,
        &person.display_name(),
        env.codes,
        env.worker_names,
        env.today,
    )
    .map_err(|e| Step::status(StatusKind::Error, format!("Cannot open the plan: {e}")))
}

impl CareComponent {
    fn editor(&self) -> Option<&PlanEditor> {
        match &self.screen {
            CareScreen::Editor(e) => Some(e),
            CareScreen::Compare(_) => None,
        }
    }

    fn saved(&self, message: String, select: Option<String>) -> Step {
        Step::Msg(Msg::Written(Written {
            select,
            ..Written::of(&self.person.id, message)
        }))
    }

    /// The editor's and the comparison's own keys.
    fn handle(&mut self, m: CareMsg, env: &mut Env) -> Step {
        let worker = env.worker_id().to_string();
        let now = env.now;
        let today = env.today;
        match m {
            CareMsg::OpenCompare => match Compare::load(env.store, &self.episode_id, env.codes) {
                Ok(c) => {
                    self.screen = CareScreen::Compare(c);
                    Step::Done
                }
                Err(e) => Step::status(StatusKind::Error, e.to_string()),
            },
            // The comparison goes back to the editor; the editor to the case.
            CareMsg::CloseScreen => match &self.screen {
                CareScreen::Compare(_) => match load_editor(&self.person, &self.episode_id, env) {
                    Ok(e) => {
                        self.screen = CareScreen::Editor(Box::new(e));
                        Step::Done
                    }
                    Err(step) => step,
                },
                CareScreen::Editor(_) => Step::Close(None),
            },
            CareMsg::Move(dir) => {
                let Some(e) = self.editor() else {
                    return Step::Done;
                };
                let Some(id) = e.selected_id() else {
                    return no_plan();
                };
                let is_action = e.selected_action().is_some();
                let is_goal = !is_action && e.selected_goal().is_some();
                if !is_action && !is_goal {
                    return Step::status(
                        StatusKind::Warning,
                        "Only goals and actions move; costed items keep their order",
                    );
                }
                let r = env.store.write(&worker, now, |tx| {
                    if is_action {
                        care_plans::move_action(tx, &id, dir.into())
                    } else {
                        care_plans::move_goal(tx, &id, dir.into())
                    }
                });
                match r {
                    Ok(true) => self.saved(
                        format!("{} moved", if is_action { "Action" } else { "Goal" }),
                        Some(id),
                    ),
                    Ok(false) => Step::status(StatusKind::Info, "Already at that end"),
                    Err(e) => Step::status(StatusKind::Error, super::forms::refusal_text(&e)),
                }
            }
            CareMsg::MarkDone => {
                let Some(a) = self.editor().and_then(|e| e.selected_action()).cloned() else {
                    return Step::status(
                        StatusKind::Warning,
                        "Select an action first (↑/↓): goals are closed at a review",
                    );
                };
                let to = if a.status == STATUS_DONE {
                    STATUS_IN_PROGRESS
                } else {
                    STATUS_DONE
                };
                let codes = env.codes.clone();
                let r = env.store.write(&worker, now, |tx| {
                    care_plans::set_action_status(tx, &a.id, to, &codes)
                });
                match r {
                    Ok(()) => self.saved(
                        format!(
                            "“{}” marked {}",
                            a.what,
                            if to == STATUS_DONE {
                                "done"
                            } else {
                                "in progress"
                            }
                        ),
                        Some(a.id),
                    ),
                    Err(e) => Step::status(StatusKind::Error, super::forms::refusal_text(&e)),
                }
            }
            CareMsg::SignOff => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let codes = env.codes.clone();
                let r = env.store.write(&worker, now, |tx| {
                    care_plans::sign_off(tx, &plan.id, &worker, today, &codes)
                });
                match r {
                    Ok(()) => self.saved(format!("Version {} signed off", plan.version), None),
                    Err(e) => Step::status(
                        StatusKind::Error,
                        format!("Not signed off: {}", super::forms::refusal_text(&e)),
                    ),
                }
            }
            CareMsg::ApproveSpend => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let r = env.store.write(&worker, now, |tx| {
                    care_plans::approve_spend(tx, &plan.id, &worker, today)
                });
                match r {
                    Ok(()) => self.saved(
                        format!(
                            "Spend of {} approved",
                            crate::domain::care_plan::format_pence(plan.total_pence())
                        ),
                        None,
                    ),
                    Err(e) => Step::status(
                        StatusKind::Error,
                        format!("Spend not approved: {}", super::forms::refusal_text(&e)),
                    ),
                }
            }
            other => open(other, &self.person, &self.episode_id, self.editor(), env),
        }
    }
}

impl Component for CareComponent {
    fn title(&self) -> Option<String> {
        let name = self.person.display_name();
        Some(match &self.screen {
            CareScreen::Editor(_) => format!("Care plan of {name}"),
            CareScreen::Compare(_) => format!("Care plan versions of {name}"),
        })
    }

    fn contexts(&self) -> Vec<Context> {
        match &self.screen {
            CareScreen::Editor(_) => vec![Context::CarePlan, Context::Global],
            CareScreen::Compare(_) => vec![Context::Compare, Context::Global],
        }
    }

    fn key(&mut self, _k: &KeyEvent, action: Option<Action>, env: &mut Env) -> Step {
        let Some(a) = action else {
            return Step::Done;
        };
        let m = match &mut self.screen {
            CareScreen::Editor(e) => e.action(a),
            CareScreen::Compare(c) => c.action(a),
        };
        match m {
            Some(m) => self.handle(m, env),
            None => Step::Pass,
        }
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        match &mut self.screen {
            CareScreen::Editor(e) => e.draw(frame, body, theme, keys),
            CareScreen::Compare(c) => c.draw(frame, body, theme, keys),
        }
    }

    /// The editor reads its plan again, selecting what was just written.
    fn written(&mut self, w: &Written, env: &Env) -> anyhow::Result<()> {
        if !w.touches(&self.person.id) {
            return Ok(());
        }
        match &mut self.screen {
            CareScreen::Editor(e) => e.reload(env.store, w.select.as_deref()),
            CareScreen::Compare(_) => Ok(()),
        }
    }

    fn reload(&mut self, env: &Env) -> anyhow::Result<()> {
        match &mut self.screen {
            CareScreen::Editor(e) => e.reload(env.store, None),
            CareScreen::Compare(_) => Ok(()),
        }
    }

    crate::as_any!();
}
