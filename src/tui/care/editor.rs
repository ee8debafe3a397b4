//! The care plan editor: the current version's goals grouped by life domain, each with its
//! actions (what, owner, target date, status, the risk it manages), the level of support, the
//! costed items with a running total per budget, sign-off and the manager's spend approval.
//! Keys act on the selected goal or action; each change is one small audited write, after
//! which the plan is read again (see `CareMsg`).

use std::collections::HashMap;
use std::rc::Rc;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ddmmyyyy, CareMsg, MoveDir};
use crate::domain::assessment::Assessment;
use crate::domain::care_plan::{
    format_pence, unlinked_risks, Action as PlanAction, CarePlan, Goal, PlanVersion, STATUS_DONE,
    STATUS_DROPPED, STATUS_IN_PROGRESS,
};
use crate::domain::codes::{CodeLists, ListName};
use crate::store::{assessments, care_plans, Store};
use crate::tui::case_view::level_badge;
use crate::tui::form::truncate;
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::theme::Theme;

/// A selectable line of the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Goal(usize),
    Action(usize, usize),
    Budget(usize),
}

pub struct PlanEditor {
    pub young_person_id: String,
    pub episode_id: String,
    pub person_name: String,
    pub plan: Option<CarePlan>,
    pub versions: Vec<PlanVersion>,
    pub assessment: Option<Assessment>,
    codes: Rc<CodeLists>,
    worker_names: HashMap<String, String>,
    selected: usize,
    scroll: usize,
    today: NaiveDate,
}

impl PlanEditor {
    pub fn load(
        store: &Store,
        young_person_id: &str,
        episode_id: &str,
        person_name: &str,
        codes: &Rc<CodeLists>,
        worker_names: &HashMap<String, String>,
        today: NaiveDate,
    ) -> Result<PlanEditor> {
        let mut e = PlanEditor {
            young_person_id: young_person_id.to_string(),
            episode_id: episode_id.to_string(),
            person_name: person_name.to_string(),
            plan: None,
            versions: Vec::new(),
            assessment: None,
            codes: Rc::clone(codes),
            worker_names: worker_names.clone(),
            selected: 0,
            scroll: 0,
            today,
        };
        e.reload(store, None)?;
        Ok(e)
    }

    /// Reads the plan again; selects the goal or action `select` (by ID) when given.
    pub fn reload(&mut self, store: &Store, select: Option<&str>) -> Result<()> {
        self.plan = care_plans::current_plan(store, &self.episode_id)?;
        self.versions = care_plans::plan_versions(store, &self.episode_id)?;
        self.assessment = assessments::latest_assessment(store, &self.episode_id)?;
        let items = self.items();
        if let Some(id) = select {
            if let Some(i) = items.iter().position(|it| self.id_of(*it) == Some(id)) {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(items.len().saturating_sub(1));
        Ok(())
    }

    /// Every selectable line, in screen order.
    pub fn items(&self) -> Vec<Item> {
        let Some(p) = &self.plan else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for gi in self.goal_order() {
            out.push(Item::Goal(gi));
            out.extend((0..p.goals[gi].actions.len()).map(|ai| Item::Action(gi, ai)));
        }
        out.extend((0..p.budget_items.len()).map(Item::Budget));
        out
    }

    /// Goals grouped by life domain (domains in the order they first appear), each group in
    /// the plan's own order.
    fn goal_order(&self) -> Vec<usize> {
        let Some(p) = &self.plan else {
            return Vec::new();
        };
        let mut domains: Vec<&str> = Vec::new();
        for g in &p.goals {
            if !domains.contains(&g.domain.as_str()) {
                domains.push(&g.domain);
            }
        }
        domains
            .iter()
            .flat_map(|d| {
                p.goals
                    .iter()
                    .enumerate()
                    .filter(move |(_, g)| g.domain == *d)
                    .map(|(i, _)| i)
            })
            .collect()
    }

    fn id_of(&self, item: Item) -> Option<&str> {
        let p = self.plan.as_ref()?;
        Some(match item {
            Item::Goal(g) => &p.goals[g].id,
            Item::Action(g, a) => &p.goals[g].actions[a].id,
            Item::Budget(b) => &p.budget_items[b].id,
        })
    }

    pub fn selected_item(&self) -> Option<Item> {
        self.items().get(self.selected).copied()
    }

    /// The goal of the selection (an action's goal too).
    pub fn selected_goal(&self) -> Option<&Goal> {
        let p = self.plan.as_ref()?;
        match self.selected_item()? {
            Item::Goal(g) | Item::Action(g, _) => p.goals.get(g),
            Item::Budget(_) => None,
        }
    }

    pub fn selected_action(&self) -> Option<&PlanAction> {
        let p = self.plan.as_ref()?;
        match self.selected_item()? {
            Item::Action(g, a) => p.goals.get(g)?.actions.get(a),
            _ => None,
        }
    }

    /// The ID of the selected goal or action (what a move moves).
    pub fn selected_id(&self) -> Option<String> {
        self.selected_item()
            .and_then(|i| self.id_of(i))
            .map(str::to_string)
    }

    /// A key's action on the editor: moves the selection itself, asks `update` for the rest.
    pub fn action(&mut self, a: Action) -> Option<CareMsg> {
        let n = self.items().len();
        match a {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = n.saturating_sub(1),
            Action::Back => return Some(CareMsg::CloseScreen),
            Action::NewPlan => return Some(CareMsg::NewPlanForm),
            Action::AddGoal => return Some(CareMsg::AddGoalForm),
            Action::AddPlanAction => return Some(CareMsg::AddActionForm),
            Action::AddBudgetItem => return Some(CareMsg::AddBudgetItemForm),
            Action::MoveItemUp => return Some(CareMsg::Move(MoveDir::Up)),
            Action::MoveItemDown => return Some(CareMsg::Move(MoveDir::Down)),
            Action::MarkDone => return Some(CareMsg::MarkDone),
            Action::SetTargetDate => return Some(CareMsg::TargetDateForm),
            Action::SignOff => return Some(CareMsg::SignOff),
            Action::SetSupportLevel => return Some(CareMsg::SupportLevelForm),
            Action::ApproveSpend => return Some(CareMsg::ApproveSpend),
            Action::AddReview => return Some(CareMsg::OpenReview),
            Action::CompareVersions => return Some(CareMsg::OpenCompare),
            _ => return None,
        }
        None
    }

    fn label(&self, list: ListName, code: &str) -> String {
        self.codes.label_of(list, code).to_string()
    }

    fn worker(&self, id: &str) -> String {
        self.worker_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(unknown worker)".into())
    }

    /// The lines above the goals: version, level of support, sign-off, spend.
    fn header(&self, p: &CarePlan, theme: Theme) -> Vec<Line<'static>> {
        let mut first = vec![
            Span::styled(
                format!(
                    "{}Version {} of {}",
                    if p.interim { "Interim plan · " } else { "" },
                    p.version,
                    ddmmyyyy(p.date)
                ),
                theme.header(),
            ),
            Span::raw(format!(
                " · Level of support {}",
                p.support_level
                    .map_or_else(|| "not set".to_string(), |l| l.to_string())
            )),
        ];
        if self.versions.len() > 1 {
            first.push(Span::styled(
                format!(" · {} versions", self.versions.len()),
                theme.dim(),
            ));
        }
        let sign = match (&p.signed_off_by, p.signed_off_on) {
            (Some(w), Some(d)) => Span::styled(
                format!("✓ signed off by {} on {}", self.worker(w), ddmmyyyy(d)),
                theme.on_time(),
            ),
            _ => Span::styled("○ not signed off", theme.warning()),
        };
        let spend = if p.total_pence() == 0 {
            Span::styled("nothing costed", theme.dim())
        } else if p.has_unapproved_spend() {
            Span::styled("✗ spend not approved", theme.error())
        } else {
            Span::styled(
                format!(
                    "✓ spend approved by {}{}",
                    p.spend_approved_by
                        .as_deref()
                        .map(|w| self.worker(w))
                        .unwrap_or_default(),
                    p.spend_approved_on
                        .map(|d| format!(" on {}", ddmmyyyy(d)))
                        .unwrap_or_default()
                ),
                theme.on_time(),
            )
        };
        let mut out = vec![
            Line::from(first),
            Line::from(vec![sign, Span::raw("   "), spend]),
        ];
        if let Some(a) = &self.assessment {
            let unlinked = unlinked_risks(a, p);
            if !unlinked.is_empty() {
                out.push(Line::styled(
                    format!(
                        "! no action manages: {}",
                        unlinked
                            .iter()
                            .map(|(d, l)| format!("{} {}", level_badge(*l), d.label()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    theme.warning(),
                ));
            }
        }
        out
    }

    fn action_line(&self, a: &PlanAction, width: usize) -> String {
        let mark = match a.status.as_str() {
            STATUS_DONE => "✓",
            STATUS_IN_PROGRESS => "…",
            STATUS_DROPPED => "✗",
            _ => "○",
        };
        let owner = match &a.owner_name {
            Some(n) => format!(
                "{} ({n})",
                self.label(ListName::ActionOwners, &a.owner_kind)
            ),
            None => self.label(ListName::ActionOwners, &a.owner_kind),
        };
        let mut s = format!("    {mark} {} — {owner}", a.what);
        match a.target_date {
            Some(t) if !a.is_finished() && t < self.today => {
                s.push_str(&format!(" · ! overdue {}", ddmmyyyy(t)))
            }
            Some(t) => s.push_str(&format!(" · by {}", ddmmyyyy(t))),
            None => {}
        }
        if a.status == STATUS_IN_PROGRESS || a.status == STATUS_DROPPED {
            s.push_str(&format!(
                " · {}",
                self.label(ListName::ActionStatus, &a.status)
            ));
        }
        if let Some(r) = a.risk_domain {
            s.push_str(&format!(" · ⚑ {}", r.label()));
        }
        truncate(&s, width)
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        let key = |a: Action| {
            keys.key_for(a, Context::CarePlan)
                .map_or_else(|| ":".to_string(), |k| k.to_string())
        };
        let w = area.width.saturating_sub(1) as usize;
        let Some(p) = self.plan.clone() else {
            let lines = vec![
                Line::styled(format!("Care plan of {}", self.person_name), theme.header()),
                Line::raw(""),
                Line::raw(format!(
                    "No care plan yet. Press {} to make one.",
                    key(Action::NewPlan)
                )),
            ];
            frame.render_widget(Paragraph::new(lines), area);
            return;
        };
        let header = self.header(&p, theme);
        let items = self.items();
        let mut lines: Vec<(Option<usize>, Line<'static>)> = Vec::new();
        let mut last_domain: Option<&str> = None;
        for (i, item) in items.iter().enumerate() {
            match *item {
                Item::Goal(gi) => {
                    let g = &p.goals[gi];
                    if last_domain != Some(g.domain.as_str()) {
                        lines.push((
                            None,
                            Line::styled(
                                truncate(&self.label(ListName::LifeDomains, &g.domain), w),
                                theme.header(),
                            ),
                        ));
                        last_domain = Some(g.domain.as_str());
                    }
                    lines.push((Some(i), Line::raw(truncate(&format!("  ▸ {}", g.goal), w))));
                    if let Some(pr) = &g.progress {
                        lines.push((
                            None,
                            Line::styled(
                                truncate(&format!("      Progress: {pr}"), w),
                                theme.dim(),
                            ),
                        ));
                    }
                    if g.actions.is_empty() {
                        lines.push((
                            None,
                            Line::styled(
                                format!(
                                    "    no actions yet — {} adds one",
                                    key(Action::AddPlanAction)
                                ),
                                theme.dim(),
                            ),
                        ));
                    }
                }
                Item::Action(gi, ai) => {
                    let a = &p.goals[gi].actions[ai];
                    let overdue = !a.is_finished() && a.target_date.is_some_and(|t| t < self.today);
                    let text = self.action_line(a, w);
                    lines.push((
                        Some(i),
                        if overdue {
                            Line::styled(text, theme.overdue())
                        } else {
                            Line::raw(text)
                        },
                    ));
                }
                Item::Budget(bi) => {
                    if bi == 0 {
                        lines.push((None, Line::styled("Costed items", theme.header())));
                    }
                    let b = &p.budget_items[bi];
                    let amount = format_pence(b.amount_pence);
                    let budget = self.label(ListName::Budgets, &b.budget);
                    let left = truncate(
                        &format!("  {} · {}", b.description, budget),
                        w.saturating_sub(amount.chars().count() + 1),
                    );
                    let pad = w.saturating_sub(left.chars().count() + amount.chars().count());
                    lines.push((
                        Some(i),
                        Line::raw(format!("{left}{}{amount}", " ".repeat(pad))),
                    ));
                }
            }
        }
        if p.goals.is_empty() {
            lines.push((
                None,
                Line::styled(
                    format!("No goals yet — {} adds one.", key(Action::AddGoal)),
                    theme.dim(),
                ),
            ));
        }
        for t in p.budget_totals() {
            let amount = format_pence(t.pence);
            let left = truncate(
                &format!("  Total {}", self.label(ListName::Budgets, &t.budget)),
                w.saturating_sub(amount.chars().count() + 1),
            );
            let pad = w.saturating_sub(left.chars().count() + amount.chars().count());
            lines.push((
                None,
                Line::styled(format!("{left}{}{amount}", " ".repeat(pad)), theme.header()),
            ));
        }
        let head_h = header.len().min(area.height as usize);
        let body_h = (area.height as usize).saturating_sub(head_h + 1);
        // Keep the selected line on screen.
        let sel_line = lines
            .iter()
            .position(|(i, _)| *i == Some(self.selected))
            .unwrap_or(0);
        if sel_line < self.scroll {
            self.scroll = sel_line;
        } else if body_h > 0 && sel_line >= self.scroll + body_h {
            self.scroll = sel_line + 1 - body_h;
        }
        let mut out = header;
        out.push(Line::raw(""));
        for (i, line) in lines.into_iter().skip(self.scroll).take(body_h) {
            if i == Some(self.selected) {
                // A mark as well as the highlight, so the selection reads without colour.
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                let rest: String = text.chars().skip(1).collect();
                out.push(Line::raw(format!("›{rest}")).style(theme.selected()));
            } else {
                out.push(line);
            }
        }
        frame.render_widget(Paragraph::new(out), area);
    }
}
