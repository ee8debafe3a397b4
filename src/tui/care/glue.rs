//! The care screens' part of `App`: routing keys to the editor and the comparison, opening
//! the care forms, and the writes behind `Msg::Care` and a care form's save. It is a child
//! module of `tui::app` (declared there with `#[path]`) so that `update` stays the one place
//! that writes while `app.rs` itself only gains a few match arms.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use super::{App, FormPurpose, Msg, OpenForm, StatusKind};
use crate::domain::care_plan::{STATUS_DONE, STATUS_IN_PROGRESS};
use crate::store::{assessments, care_plans, caseload, drafts};
use crate::tui::care::{
    assessment_form, outcome_form, problems_status, review_form, show_refusal, small_forms,
    CareMsg, CarePurpose, CareScreen, Compare, PlanEditor,
};
use crate::tui::case_view::CaseModel;
use crate::tui::due::person_next_due;
use crate::tui::form::Form;
use crate::tui::keymap::{Action, Context};
use crate::tui::theme::Theme;

impl App {
    /// The context of the open care screen, if any.
    pub(super) fn care_context(&self) -> Option<Context> {
        match self.care.as_ref()? {
            CareScreen::Editor(_) => Some(Context::CarePlan),
            CareScreen::Compare(_) => Some(Context::Compare),
        }
    }

    /// A key on the open care screen.
    pub(super) fn care_key(
        &mut self,
        _k: &KeyEvent,
        action: Option<Action>,
        contexts: &[Context],
    ) -> Option<Msg> {
        let a = action?;
        let msg = match self.care.as_mut()? {
            CareScreen::Editor(e) => e.action(a),
            CareScreen::Compare(c) => c.action(a),
        };
        match msg {
            Some(m) => Some(Msg::Care(m)),
            None => self.global(action, contexts),
        }
    }

    /// Which case-view keys open a care screen or form.
    pub(super) fn care_case_key(a: Action) -> Option<Msg> {
        Some(Msg::Care(match a {
            Action::AddAssessment => CareMsg::OpenAssessment,
            Action::OpenCarePlan => CareMsg::OpenEditor,
            Action::AddOutcomeProfile => CareMsg::OpenOutcomeProfile,
            Action::AddReview => CareMsg::OpenReview,
            _ => return None,
        }))
    }

    fn care_status(&self, kind: StatusKind, text: impl Into<String>) -> Option<Msg> {
        Some(Msg::Status(kind, text.into()))
    }

    /// Opens `form` for `purpose`, offering a draft kept from before.
    fn open_care_form(&mut self, form: Form, purpose: CarePurpose) -> Option<Msg> {
        let offer = drafts::load(&self.store, &self.ctx.worker.id, &form.key)
            .ok()
            .flatten();
        self.form = Some(OpenForm {
            form,
            purpose: FormPurpose::Care(purpose),
            offer,
        });
        None
    }

    fn editor(&self) -> Option<&PlanEditor> {
        match self.care.as_ref()? {
            CareScreen::Editor(e) => Some(e),
            CareScreen::Compare(_) => None,
        }
    }

    pub(super) fn update_care(&mut self, m: CareMsg) -> Option<Msg> {
        let today = self.today();
        let now = self.ctx.clock.now();
        let worker = self.ctx.worker.id.clone();
        // Everything here is about the open case's current episode.
        let (person, episode_id) = {
            let cv = self.case.as_ref()?;
            (
                cv.model.person.clone(),
                cv.model.current_episode().map(|e| e.id.clone()),
            )
        };
        let yp = person.id.clone();
        let Some(episode_id) = episode_id else {
            return self.care_status(
                StatusKind::Warning,
                "No episode yet: assessments, care plans and outcomes belong to an episode",
            );
        };
        let no_plan = || {
            Some(Msg::Status(
                StatusKind::Warning,
                "No care plan yet: press n in the editor to make one".into(),
            ))
        };
        match m {
            CareMsg::OpenAssessment => {
                let form = assessment_form::new_form(&person, today, &self.codes);
                self.open_care_form(
                    form,
                    CarePurpose::Assessment {
                        young_person_id: yp,
                        episode_id,
                    },
                )
            }
            CareMsg::OpenOutcomeProfile => {
                let form = outcome_form::new_form(&person, today, &self.codes);
                self.open_care_form(
                    form,
                    CarePurpose::OutcomeProfile {
                        young_person_id: yp,
                        episode_id,
                    },
                )
            }
            CareMsg::OpenReview => {
                let plan = match care_plans::current_plan(&self.store, &episode_id) {
                    Ok(p) => p,
                    Err(e) => return self.care_status(StatusKind::Error, e.to_string()),
                };
                let form = review_form::new_form(&person, plan.as_ref(), today, &self.codes);
                let goal_ids = plan
                    .map(|p| p.goals.into_iter().map(|g| g.id).collect())
                    .unwrap_or_default();
                self.open_care_form(
                    form,
                    CarePurpose::Review {
                        young_person_id: yp,
                        episode_id,
                        goal_ids,
                    },
                )
            }
            CareMsg::OpenEditor => {
                match PlanEditor::load(
                    &self.store,
                    &yp,
                    &episode_id,
                    &person.display_name(),
                    &self.codes,
                    &self.worker_names,
                    today,
                ) {
                    Ok(e) => {
                        self.care = Some(CareScreen::Editor(Box::new(e)));
                        None
                    }
                    Err(e) => {
                        self.care_status(StatusKind::Error, format!("Cannot open the plan: {e}"))
                    }
                }
            }
            CareMsg::OpenCompare => match Compare::load(&self.store, &episode_id, &self.codes) {
                Ok(c) => {
                    self.care = Some(CareScreen::Compare(c));
                    None
                }
                Err(e) => self.care_status(StatusKind::Error, e.to_string()),
            },
            CareMsg::CloseScreen => {
                // The comparison goes back to the editor; the editor to the case.
                match self.care.take() {
                    Some(CareScreen::Compare(_)) => self.update_care(CareMsg::OpenEditor),
                    _ => None,
                }
            }
            CareMsg::NewPlanForm => {
                if let Some(p) = self.editor().and_then(|e| e.plan.as_ref()) {
                    return self.care_status(
                        StatusKind::Warning,
                        format!(
                            "This episode has its care plan (version {}): edit it, or record a review (r) to make the next version",
                            p.version
                        ),
                    );
                }
                let form = small_forms::new_plan_form(&yp, today);
                self.open_care_form(
                    form,
                    CarePurpose::NewPlan {
                        young_person_id: yp,
                        episode_id,
                    },
                )
            }
            CareMsg::AddGoalForm => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let form = small_forms::goal_form(&plan, today, &self.codes);
                self.open_care_form(
                    form,
                    CarePurpose::Goal {
                        young_person_id: yp,
                        plan_id: plan.id,
                    },
                )
            }
            CareMsg::AddActionForm => {
                let e = self.editor()?;
                if e.plan.is_none() {
                    return no_plan();
                }
                let Some(goal) = e.selected_goal().cloned() else {
                    return self.care_status(
                        StatusKind::Warning,
                        "Select a goal first (↑/↓): an action belongs to a goal",
                    );
                };
                let form = small_forms::action_form(&goal.goal, &goal.id, today, &self.codes);
                self.open_care_form(
                    form,
                    CarePurpose::Action {
                        young_person_id: yp,
                        goal_id: goal.id,
                    },
                )
            }
            CareMsg::AddBudgetItemForm => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let form = small_forms::budget_form(&plan, today, &self.codes);
                self.open_care_form(
                    form,
                    CarePurpose::BudgetItem {
                        young_person_id: yp,
                        plan_id: plan.id,
                    },
                )
            }
            CareMsg::TargetDateForm => {
                let Some(a) = self.editor().and_then(|e| e.selected_action()).cloned() else {
                    return self.care_status(
                        StatusKind::Warning,
                        "Select an action first (↑/↓): only actions have target dates",
                    );
                };
                let form = small_forms::target_date_form(&a, today);
                self.open_care_form(
                    form,
                    CarePurpose::TargetDate {
                        young_person_id: yp,
                        action_id: a.id,
                    },
                )
            }
            CareMsg::SupportLevelForm => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let form = small_forms::support_level_form(&plan, today);
                self.open_care_form(
                    form,
                    CarePurpose::SupportLevel {
                        young_person_id: yp,
                        plan_id: plan.id,
                    },
                )
            }
            CareMsg::Move(dir) => {
                let e = self.editor()?;
                let Some(id) = e.selected_id() else {
                    return no_plan();
                };
                let is_action = e.selected_action().is_some();
                let is_goal = !is_action && e.selected_goal().is_some();
                if !is_action && !is_goal {
                    return self.care_status(
                        StatusKind::Warning,
                        "Only goals and actions move; costed items keep their order",
                    );
                }
                let r = self.store.write(&worker, now, |tx| {
                    if is_action {
                        care_plans::move_action(tx, &id, dir.into())
                    } else {
                        care_plans::move_goal(tx, &id, dir.into())
                    }
                });
                match r {
                    Ok(true) => Some(Msg::Care(CareMsg::Written {
                        young_person_id: yp,
                        message: format!("{} moved", if is_action { "Action" } else { "Goal" }),
                        select: Some(id),
                    })),
                    Ok(false) => self.care_status(StatusKind::Info, "Already at that end"),
                    Err(e) => self.care_status(StatusKind::Error, refusal_text(&e)),
                }
            }
            CareMsg::MarkDone => {
                let Some(a) = self.editor().and_then(|e| e.selected_action()).cloned() else {
                    return self.care_status(
                        StatusKind::Warning,
                        "Select an action first (↑/↓): goals are closed at a review",
                    );
                };
                let to = if a.status == STATUS_DONE {
                    STATUS_IN_PROGRESS
                } else {
                    STATUS_DONE
                };
                let codes = self.codes.clone();
                let r = self.store.write(&worker, now, |tx| {
                    care_plans::set_action_status(tx, &a.id, to, &codes)
                });
                match r {
                    Ok(()) => Some(Msg::Care(CareMsg::Written {
                        young_person_id: yp,
                        message: format!(
                            "“{}” marked {}",
                            a.what,
                            if to == STATUS_DONE {
                                "done"
                            } else {
                                "in progress"
                            }
                        ),
                        select: Some(a.id),
                    })),
                    Err(e) => self.care_status(StatusKind::Error, refusal_text(&e)),
                }
            }
            CareMsg::SignOff => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let codes = self.codes.clone();
                let r = self.store.write(&worker, now, |tx| {
                    care_plans::sign_off(tx, &plan.id, &worker, today, &codes)
                });
                match r {
                    Ok(()) => Some(Msg::Care(CareMsg::Written {
                        young_person_id: yp,
                        message: format!("Version {} signed off", plan.version),
                        select: None,
                    })),
                    Err(e) => self.care_status(
                        StatusKind::Error,
                        format!("Not signed off: {}", refusal_text(&e)),
                    ),
                }
            }
            CareMsg::ApproveSpend => {
                let Some(plan) = self.editor().and_then(|e| e.plan.clone()) else {
                    return no_plan();
                };
                let r = self.store.write(&worker, now, |tx| {
                    care_plans::approve_spend(tx, &plan.id, &worker, today)
                });
                match r {
                    Ok(()) => Some(Msg::Care(CareMsg::Written {
                        young_person_id: yp,
                        message: format!(
                            "Spend of {} approved",
                            crate::domain::care_plan::format_pence(plan.total_pence())
                        ),
                        select: None,
                    })),
                    Err(e) => self.care_status(
                        StatusKind::Error,
                        format!("Spend not approved: {}", refusal_text(&e)),
                    ),
                }
            }
            CareMsg::Written {
                young_person_id,
                message,
                select,
            } => self.care_written(&young_person_id, message, select.as_deref()),
        }
    }

    /// After a care write: the case (header flags, section), the caseload row and the editor
    /// are read again.
    fn care_written(&mut self, yp: &str, message: String, select: Option<&str>) -> Option<Msg> {
        let today = self.today();
        if let Ok(Some(row)) = caseload::caseload_row(&self.store, yp) {
            let due = person_next_due(
                &self.store,
                yp,
                row.date_of_birth,
                &self.calendar,
                &self.codes,
                today,
            )
            .unwrap_or(None);
            self.caseload.upsert_row(row, due);
        }
        if let Some(cv) = &mut self.case {
            if cv.model.person.id == yp {
                let draft = cv.model.draft_waiting;
                if let Ok(Some(model)) = CaseModel::load(
                    &self.store,
                    yp,
                    &self.worker_names,
                    draft,
                    &self.calendar,
                    &self.codes,
                    today,
                ) {
                    cv.reload(model);
                }
            }
        }
        if let Some(CareScreen::Editor(e)) = &mut self.care {
            if let Err(err) = e.reload(&self.store, select) {
                return Some(Msg::Status(StatusKind::Error, err.to_string()));
            }
        }
        Some(Msg::Status(StatusKind::Info, message))
    }

    /// Saves an open care form; problems stay at their fields and nothing is written.
    pub(super) fn save_care_form(&mut self, purpose: CarePurpose) -> Option<Msg> {
        let today = self.today();
        let now = self.ctx.clock.now();
        let worker = self.ctx.worker.id.clone();
        let codes = self.codes.clone();
        let of = self.form.as_mut()?;
        let key = of.form.key.clone();
        let form = &mut of.form;
        // Each arm: read the form (or show its own problems), write, say what happened.
        let (yp, result, field_of): (String, anyhow::Result<(String, Option<String>)>, FieldMap) =
            match purpose {
                CarePurpose::Assessment {
                    young_person_id,
                    episode_id,
                } => {
                    let Some(a) = assessment_form::to_assessment(form, &codes) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let r = self.store.write(&worker, now, |tx| {
                        let saved =
                            assessments::save_assessment(tx, &episode_id, &a, &codes, today)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(saved)
                    });
                    (
                        young_person_id,
                        r.map(|s| {
                            (
                                if s.marac_flag_id.is_some() {
                                    "Assessment saved — MARAC referral: a high risk flag is raised"
                                        .to_string()
                                } else {
                                    "Assessment saved".to_string()
                                },
                                None,
                            )
                        }),
                        FieldMap::Assessment,
                    )
                }
                CarePurpose::OutcomeProfile {
                    young_person_id,
                    episode_id,
                } => {
                    let Some(p) = outcome_form::to_profile(form) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let r = self.store.write(&worker, now, |tx| {
                        assessments::record_outcome_profile(tx, &episode_id, &p, &codes, today)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(())
                    });
                    (
                        young_person_id,
                        r.map(|()| {
                            (
                                format!("Outcome profile of {} saved", p.date.format("%d/%m/%Y")),
                                None,
                            )
                        }),
                        FieldMap::Outcome,
                    )
                }
                CarePurpose::Review {
                    young_person_id,
                    episode_id,
                    goal_ids,
                } => {
                    let Some(r) = review_form::to_review(form, &goal_ids, &codes) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let res = self.store.write(&worker, now, |tx| {
                        let saved = care_plans::record_review(tx, &episode_id, &r, &codes, today)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(saved)
                    });
                    let next = r.date + chrono::Days::new(84);
                    (
                        young_person_id,
                        res.map(|s| {
                            (
                                match s.plan {
                                    Some(p) => format!(
                                        "Review saved: care plan version {} made; next review due {}",
                                        p.version,
                                        next.format("%d/%m/%Y")
                                    ),
                                    None => format!(
                                        "Review saved; next review due {}",
                                        next.format("%d/%m/%Y")
                                    ),
                                },
                                None,
                            )
                        }),
                        FieldMap::Review,
                    )
                }
                CarePurpose::NewPlan {
                    young_person_id,
                    episode_id,
                } => {
                    let Some(h) = small_forms::to_header(form) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let r = self.store.write(&worker, now, |tx| {
                        let p = care_plans::create_plan(tx, &episode_id, &h, today)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(p)
                    });
                    (
                        young_person_id,
                        r.map(|p| (format!("Care plan version {} made", p.version), None)),
                        FieldMap::Same,
                    )
                }
                CarePurpose::Goal {
                    young_person_id,
                    plan_id,
                } => {
                    if !form.check_fields() {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    }
                    let domain = form.choice("domain").unwrap_or_default();
                    let goal = form.text("goal").unwrap_or_default();
                    let r = self.store.write(&worker, now, |tx| {
                        let id = care_plans::add_goal(tx, &plan_id, &domain, &goal, &codes)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(id)
                    });
                    (
                        young_person_id,
                        r.map(|id| ("Goal added".to_string(), Some(id))),
                        FieldMap::Same,
                    )
                }
                CarePurpose::Action {
                    young_person_id,
                    goal_id,
                } => {
                    let Some(a) = small_forms::to_action(form) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let r = self.store.write(&worker, now, |tx| {
                        let id = care_plans::add_action(tx, &goal_id, &a, &codes)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(id)
                    });
                    (
                        young_person_id,
                        r.map(|id| ("Action added".to_string(), Some(id))),
                        FieldMap::Same,
                    )
                }
                CarePurpose::BudgetItem {
                    young_person_id,
                    plan_id,
                } => {
                    let Some(item) = small_forms::to_budget_item(form) else {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    };
                    let r = self.store.write(&worker, now, |tx| {
                        let id = care_plans::add_budget_item(tx, &plan_id, &item, &codes)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(id)
                    });
                    (
                        young_person_id,
                        r.map(|id| {
                            (
                                format!(
                                    "Costed item of {} added — a manager approves the spend",
                                    crate::domain::care_plan::format_pence(item.amount_pence)
                                ),
                                Some(id),
                            )
                        }),
                        FieldMap::Same,
                    )
                }
                CarePurpose::SupportLevel {
                    young_person_id,
                    plan_id,
                } => {
                    if !form.check_fields() {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    }
                    let level = form.number("support_level").map(|n| n.clamp(0, 255) as u8);
                    let r = self.store.write(&worker, now, |tx| {
                        care_plans::set_support_level(tx, &plan_id, level)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(())
                    });
                    (
                        young_person_id,
                        r.map(|()| {
                            (
                                match level {
                                    Some(l) => format!("Level of support set to {l}"),
                                    None => "Level of support cleared".to_string(),
                                },
                                None,
                            )
                        }),
                        FieldMap::Same,
                    )
                }
                CarePurpose::TargetDate {
                    young_person_id,
                    action_id,
                } => {
                    if !form.check_fields() {
                        return Some(Msg::Status(StatusKind::Error, problems_status(form)));
                    }
                    let target = form.date("target_date");
                    let r = self.store.write(&worker, now, |tx| {
                        care_plans::set_action_target_date(tx, &action_id, target)?;
                        drafts::discard_in(tx, &worker, &key)?;
                        Ok(())
                    });
                    (
                        young_person_id,
                        r.map(|()| {
                            (
                                match target {
                                    Some(t) => {
                                        format!("Target date set to {}", t.format("%d/%m/%Y"))
                                    }
                                    None => "Target date cleared".to_string(),
                                },
                                Some(action_id.clone()),
                            )
                        }),
                        FieldMap::Same,
                    )
                }
            };
        match result {
            Ok((message, select)) => {
                self.form = None;
                Some(Msg::Care(CareMsg::Written {
                    young_person_id: yp,
                    message,
                    select,
                }))
            }
            Err(e) => {
                let of = self.form.as_mut()?;
                let form = &mut of.form;
                let text = show_refusal(form, &e, |f, name| field_of.key(f, name));
                Some(Msg::Status(StatusKind::Error, text))
            }
        }
    }

    /// Draws the open care screen into the body.
    pub(super) fn draw_care(&mut self, frame: &mut Frame, body: Rect, theme: Theme) -> bool {
        match &mut self.care {
            Some(CareScreen::Editor(e)) => e.draw(frame, body, theme, &self.keymap),
            Some(CareScreen::Compare(c)) => c.draw(frame, body, theme, &self.keymap),
            None => return false,
        }
        true
    }

    /// Draws the editor with one of its small forms over the lower part, so the plan stays in
    /// view while a goal, action or cost is typed. False when no such form is open.
    pub(super) fn draw_care_popup(&mut self, frame: &mut Frame, body: Rect, theme: Theme) -> bool {
        let small = self
            .form
            .as_ref()
            .is_some_and(|of| matches!(&of.purpose, FormPurpose::Care(p) if p.is_small()));
        if !small || self.care.is_none() || body.height < 12 {
            return false;
        }
        self.draw_care(frame, body, theme);
        let Some(of) = self.form.as_mut() else {
            return true;
        };
        // Title, mode line, a gap, the fields, room for a wrapped message, the border; an open
        // choice list scrolls within it.
        let want = 3 + of.form.fields().len() as u16 + 4 + 1;
        let h = want.min(body.height - 2);
        let popup = Rect::new(body.x, body.y + body.height - h, body.width, h);
        frame.render_widget(Clear, popup);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme.border());
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        Self::draw_form(of, frame, inner, theme);
        true
    }

    /// The title bar's words for the open care screen.
    pub(super) fn care_title(&self) -> Option<String> {
        let name = self
            .case
            .as_ref()
            .map(|cv| cv.model.person.display_name())
            .unwrap_or_default();
        match self.care.as_ref()? {
            CareScreen::Editor(_) => Some(format!("Care plan of {name}")),
            CareScreen::Compare(_) => Some(format!("Care plan versions of {name}")),
        }
    }
}

/// How a refusal's field names map to a care form's keys.
#[derive(Debug, Clone, Copy)]
enum FieldMap {
    Assessment,
    Outcome,
    Review,
    Same,
}

impl FieldMap {
    fn key(self, form: &Form, name: &str) -> Option<String> {
        match self {
            FieldMap::Assessment => assessment_form::field_of(name),
            FieldMap::Outcome => outcome_form::field_of(form, "", name),
            FieldMap::Review => review_form::field_of(form, name),
            FieldMap::Same => Some(name.to_string()),
        }
    }
}

/// A refusal's messages (or the error) as one line for the status bar.
fn refusal_text(e: &anyhow::Error) -> String {
    match e.downcast_ref::<crate::domain::validate::Invalid>() {
        Some(inv) => inv
            .0
            .iter()
            .map(|fe| fe.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        None => e.to_string(),
    }
}
