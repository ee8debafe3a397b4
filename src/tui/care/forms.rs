//! The care forms' purpose: the assessment, outcome profile and review forms and the care plan
//! editor's small forms, each read, checked and written in one transaction with its draft's
//! removal; a refusal from the rules is shown at its field.

use super::{
    assessment_form, outcome_form, problems_status, review_form, show_refusal, small_forms,
    CarePurpose,
};
use crate::store::{assessments, care_plans, drafts};
use crate::tui::component::Env;
use crate::tui::form::Form;
use crate::tui::form_screen::{FormPurpose, Saved};
use crate::tui::msg::{Msg, Written};

/// A care form, for what `CarePurpose` says.
pub struct CareForm(pub CarePurpose);

impl FormPurpose for CareForm {
    /// Saves a care form; problems stay at their fields and nothing is written.
    fn save(&mut self, form: &mut Form, env: &mut Env) -> Saved {
        let today = env.today;
        let now = env.now;
        let worker = env.worker_id().to_string();
        let codes = env.codes.clone();
        let key = form.key.clone();
        let purpose = self.0.clone();
        // Each arm: read the form (or show its own problems), write, say what happened.
        let (yp, result, field_of): (String, anyhow::Result<(String, Option<String>)>, FieldMap) =
            match purpose {
                CarePurpose::Assessment {
                    young_person_id,
                    episode_id,
                } => {
                    let Some(a) = assessment_form::to_assessment(form, &codes) else {
                        return Saved::Refused(problems_status(form));
                    };
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    };
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    };
                    let res = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    };
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    }
                    let domain = form.choice("domain").unwrap_or_default();
                    let goal = form.text("goal").unwrap_or_default();
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    };
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    };
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    }
                    let level = form.number("support_level").map(|n| n.clamp(0, 255) as u8);
                    let r = env.store.write(&worker, now, |tx| {
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
                        return Saved::Refused(problems_status(form));
                    }
                    let target = form.date("target_date");
                    let r = env.store.write(&worker, now, |tx| {
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
            Ok((message, select)) => Saved::Done {
                msg: Msg::Written(Written {
                    select,
                    ..Written::of(yp, message)
                }),
                next_form: None,
            },
            Err(e) => Saved::Refused(show_refusal(form, &e, |f, name| field_of.key(f, name))),
        }
    }

    fn young_person(&self) -> Option<&str> {
        Some(self.0.young_person_id())
    }

    fn small(&self) -> bool {
        self.0.is_small()
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
pub fn refusal_text(e: &anyhow::Error) -> String {
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
