//! The manager's dashboard: each key worker's open caseload beside what is due and overdue on
//! it (from the same due-list as the due-list screen), so a manager sees where work is piling
//! up. `Enter` opens the due-list of the selected worker. `K` (or Tab) switches to the quarterly
//! KPI panel (`super::kpis`), worked out the first time it is shown.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::due_list::{BoardEnv, Step};
use super::form::truncate;
use super::keymap::Action;
use super::kpis::KpiPanel;
use super::msg::{MentoringFocus, Msg, Route, StatusKind};
use super::theme::Theme;
use crate::domain::record::RiskLevel;
use crate::domain::urgency::DueGroup;
use crate::store::caseload;

/// One key worker's line ("no key worker" gathers the unallocated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerLoad {
    pub worker: String,
    /// Young people with an open episode.
    pub open_cases: usize,
    pub due_this_week: usize,
    pub overdue: usize,
    /// Overdue items of young people with an active high-risk flag.
    pub overdue_high_risk: usize,
}

/// The label of the unallocated line.
pub const NO_KEY_WORKER: &str = "(no key worker)";

/// The label of the mentoring coordinator's line: mentors' support sessions, commitment
/// reviews and check renewals, and telephone messages about no one on the record (a match's
/// weekly contact counts on the mentee's key worker's line).
pub const MENTORING: &str = "(mentoring)";

/// Works out each worker's load as of `today`, by worker name.
pub fn worker_loads(env: &BoardEnv, today: NaiveDate) -> Result<Vec<WorkerLoad>> {
    let mut by: BTreeMap<String, WorkerLoad> = BTreeMap::new();
    for r in caseload::caseload(env.store)? {
        if r.episode.as_ref().is_some_and(|e| e.exit_date.is_none()) {
            let name = r.key_worker_name.as_deref().unwrap_or(NO_KEY_WORKER);
            by.entry(name.to_string())
                .or_insert_with(|| WorkerLoad {
                    worker: name.to_string(),
                    ..Default::default()
                })
                .open_cases += 1;
        }
    }
    let (entries, _) = (env.dues)
        .get(today, env.store, env.calendar, env.codes)?
        .entries();
    for e in entries.iter() {
        let name = if e.subject.is_coordinators(&e.young_person_id) {
            MENTORING
        } else {
            e.key_worker.as_deref().unwrap_or(NO_KEY_WORKER)
        }
        .to_string();
        let l = by.entry(name.clone()).or_insert_with(|| WorkerLoad {
            worker: name,
            ..Default::default()
        });
        match e.group {
            DueGroup::Overdue => {
                l.overdue += 1;
                if e.risk == Some(RiskLevel::High) {
                    l.overdue_high_risk += 1;
                }
            }
            DueGroup::Today | DueGroup::ThisWeek => l.due_this_week += 1,
            DueGroup::Later => {}
        }
    }
    Ok(by.into_values().collect())
}

/// The dashboard screen.
pub struct DashboardScreen {
    loads: Vec<WorkerLoad>,
    selected: usize,
    offset: usize,
    /// The KPI panel, once shown; `show_kpis` says whether it is shown now.
    kpis: Option<KpiPanel>,
    show_kpis: bool,
}

impl DashboardScreen {
    pub fn load(env: &BoardEnv) -> Result<DashboardScreen> {
        Ok(DashboardScreen {
            loads: worker_loads(env, env.today)?,
            selected: 0,
            offset: 0,
            kpis: None,
            show_kpis: false,
        })
    }

    /// The KPI panel, when it has been shown.
    pub fn kpis(&self) -> Option<&KpiPanel> {
        self.kpis.as_ref()
    }

    /// Whether the KPI panel is the one shown.
    pub fn showing_kpis(&self) -> bool {
        self.show_kpis
    }

    /// Shows the KPI panel (computing it the first time) or the worker loads.
    pub fn set_show_kpis(&mut self, show: bool, env: &BoardEnv) -> Result<()> {
        if show && self.kpis.is_none() {
            self.kpis = Some(KpiPanel::load(env)?);
        }
        self.show_kpis = show;
        Ok(())
    }

    pub fn reload(&mut self, env: &BoardEnv) -> Result<()> {
        if let Some(k) = &mut self.kpis {
            k.reload(env)?;
        }
        self.loads = worker_loads(env, env.today)?;
        self.selected = self.selected.min(self.loads.len().saturating_sub(1));
        Ok(())
    }

    pub fn loads(&self) -> &[WorkerLoad] {
        &self.loads
    }

    pub fn is_reading(&self) -> bool {
        false
    }

    pub fn key(&mut self, action: Option<Action>, env: &BoardEnv) -> Step {
        let Some(a) = action else {
            return Step::Pass;
        };
        if a == Action::Kpis {
            let show = !self.show_kpis;
            return match self.set_show_kpis(show, env) {
                Ok(()) => Step::Done,
                Err(e) => Step::Msg(Msg::Status(
                    StatusKind::Error,
                    format!("Could not work out the KPI figures: {e}"),
                )),
            };
        }
        if a == Action::ExportReturn {
            return Step::Msg(Msg::Open(Route::Export));
        }
        if self.show_kpis && a != Action::Reload {
            if let Some(k) = &mut self.kpis {
                match k.key(a, env) {
                    Ok(true) => return Step::Done,
                    Ok(false) => {}
                    Err(e) => {
                        return Step::Msg(Msg::Status(
                            StatusKind::Error,
                            format!("Could not work out the KPI figures: {e}"),
                        ))
                    }
                }
            }
        }
        let n = self.loads.len();
        match a {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Top | Action::PageUp => self.selected = 0,
            Action::Bottom | Action::PageDown => self.selected = n.saturating_sub(1),
            Action::Open => {
                if let Some(l) = self.loads.get(self.selected) {
                    // The mentoring items are the coordinator's board's (it refuses a worker
                    // who may not open it, saying why).
                    if l.worker == MENTORING {
                        return Step::Msg(Msg::Open(Route::Mentoring(MentoringFocus::Board)));
                    }
                    // Not a worker's due-list; those items are in the whole team's list.
                    if l.worker != NO_KEY_WORKER {
                        return Step::Msg(Msg::OpenDueListOf(l.worker.clone()));
                    }
                }
            }
            Action::Back => return Step::Close(None),
            Action::Reload => {
                if let Err(e) = self.reload(env) {
                    return Step::Msg(Msg::Status(StatusKind::Error, e.to_string()));
                }
                return Step::Msg(Msg::Status(StatusKind::Info, "Reloaded".into()));
            }
            _ => return Step::Pass,
        }
        Step::Done
    }

    pub fn describe(&self) -> String {
        match (&self.kpis, self.show_kpis) {
            (Some(k), true) => k.describe(),
            _ => "Dashboard · per worker".into(),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        if let (Some(k), true) = (&mut self.kpis, self.show_kpis) {
            return k.draw(frame, area, theme);
        }
        if area.height < 4 || area.width < 20 {
            return;
        }
        frame.buffer_mut().set_line(
            area.x + 1,
            area.y,
            &Line::styled(
                "Open episodes, after-exit work, mentoring · K: KPIs · E: export a return",
                theme.dim(),
            ),
            area.width.saturating_sub(1),
        );
        let table_area = Rect::new(area.x, area.y + 2, area.width, area.height - 2);
        let body_h = table_area.height.saturating_sub(1) as usize;
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + body_h {
            self.offset = self.selected + 1 - body_h;
        }
        let max_overdue = self
            .loads
            .iter()
            .map(|l| l.overdue)
            .max()
            .unwrap_or(0)
            .max(1);
        let bar_w = (area.width as usize)
            .saturating_sub(20 + 6 + 6 + 8 + 8 + 6)
            .max(4);
        let header = Row::new(vec!["Key worker", "Open", "Week", "Overdue", "▲ high", ""])
            .style(theme.header());
        let end = (self.offset + body_h).min(self.loads.len());
        let rows: Vec<Row> = (self.offset..end)
            .map(|i| {
                let l = &self.loads[i];
                let bar = "█".repeat(l.overdue * bar_w / max_overdue);
                let row = Row::new(vec![
                    Cell::from(truncate(&l.worker, 20)),
                    Cell::from(format!("{:>4}", l.open_cases)),
                    Cell::from(format!("{:>4}", l.due_this_week)),
                    Cell::from(format!("{:>7}", l.overdue)).style(if l.overdue > 0 {
                        theme.overdue()
                    } else {
                        theme.base()
                    }),
                    Cell::from(format!("{:>6}", l.overdue_high_risk)).style(
                        if l.overdue_high_risk > 0 {
                            theme.high_risk()
                        } else {
                            theme.base()
                        },
                    ),
                    Cell::from(bar).style(theme.overdue()),
                ]);
                if i == self.selected {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(20),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Min(4),
        ];
        frame.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            table_area,
        );
    }
}
