//! The dashboard's KPI panel: each Southampton rate KPI for a quarter, as a bar against its
//! target with the figures behind it (numerator/denominator, pending) and the last four
//! quarters' trend, so a manager sees at a glance what is behind. `Enter` lists the young
//! people behind the selected KPI (`returns::explain_cell`; names stay inside the building).
//! Figures are computed once per quarter shown (and kept), never per frame.

use std::collections::HashMap;

use anyhow::Result;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::due_list::BoardEnv;
use super::form::truncate;
use super::keymap::{Action, Binding, Context, Key};
use super::theme::Theme;
use crate::returns::{self, explain_cell, ExplainRow, Quarter, Request, ReturnKind, Value};

/// The KPI panel's key bindings, added to the one keymap.
pub fn bindings() -> Vec<Binding> {
    use Context as C;
    let b = Binding::new;
    vec![
        b(
            Action::Kpis,
            vec![Key::ch('K'), Key::plain(KeyCode::Tab)],
            "switch between the per-worker loads and the quarterly KPI figures",
            "KPIs",
            &[C::Dashboard],
        ),
        b(
            Action::PrevQuarter,
            vec![Key::ch('[')],
            "KPI figures of the quarter before",
            "quarter",
            &[C::Dashboard],
        ),
        b(
            Action::NextQuarter,
            vec![Key::ch(']')],
            "KPI figures of the quarter after",
            "",
            &[C::Dashboard],
        ),
        b(
            Action::ExportReturn,
            vec![Key::ch('E')],
            "export a quarterly return (Southampton or Leicester; xlsx, csv or json)",
            "export",
            &[C::Dashboard],
        ),
        b(
            Action::ExportReturn,
            vec![Key::ch('E')],
            "export a quarterly return (Southampton or Leicester; xlsx, csv or json)",
            "",
            &[C::Global],
        ),
    ]
}

/// One rate KPI's figures for one quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiFigure {
    /// `kpi.2a`.
    pub measure: String,
    /// `2a`, `6a.start`.
    pub code: String,
    /// The layout's label without its code and target: "Referrals offered triage within 2
    /// working days".
    pub label: String,
    /// Target percentage, from the layout's label ("target 95%").
    pub target: Option<u32>,
    pub numerator: Value,
    pub denominator: Value,
    pub pending: Value,
    pub percentage: Value,
}

impl KpiFigure {
    /// Whether the figure is below its target (nothing to judge without a percentage).
    pub fn behind(&self) -> Option<bool> {
        match (self.percentage, self.target) {
            (Value::Tenths(t), Some(target)) => Some(t < i64::from(target) * 10),
            _ => None,
        }
    }
}

/// The target in a layout label: "target 95%", or a first "(95%)" as KPI 2c writes it.
fn target_of(label: &str) -> Option<u32> {
    let lower = label.to_ascii_lowercase();
    let at = lower
        .find("target ")
        .map(|i| i + "target ".len())
        .or_else(|| lower.find('(').map(|i| i + 1))?;
    let digits: String = lower[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let rest = &lower[at + digits.len()..];
    if rest.starts_with('%') {
        digits.parse().ok()
    } else {
        None
    }
}

/// "2a Referrals offered triage … (target 95%)" → "Referrals offered triage …".
fn short_label(label: &str, code: &str) -> String {
    let code_head = code.split('.').next().unwrap_or(code);
    let l = label.strip_prefix(code_head).unwrap_or(label).trim();
    let l = match l.find(" (") {
        Some(i) => &l[..i],
        None => l,
    };
    l.to_string()
}

/// Every Southampton rate KPI for `quarter`, pending judged on `report_date`.
pub fn kpi_figures(env: &BoardEnv, quarter: Quarter) -> Result<Vec<KpiFigure>> {
    let request = Request::new(ReturnKind::Southampton, quarter, env.today);
    let ret = returns::compute(
        env.store,
        env.calendar,
        env.codes,
        &request,
        &mut |_, _, _| {},
    )?;
    let mut out = Vec::new();
    for s in &ret.sections {
        for t in &s.tables {
            let Some(code) = t.measure.strip_prefix("kpi.") else {
                continue;
            };
            // Rates only: a rate has a denominator; KPI 2c's first numerator is the one
            // with a target below 100%.
            let (num, pct) = if t.fields.iter().any(|f| f == "numerator") {
                ("numerator", "percentage")
            } else if t.fields.iter().any(|f| f == "numerator_under_2_weeks") {
                ("numerator_under_2_weeks", "percentage_under_2_weeks")
            } else {
                continue;
            };
            let v = |f: &str| ret.value(&t.measure, "all", f).unwrap_or(Value::Missing);
            out.push(KpiFigure {
                measure: t.measure.clone(),
                code: code.to_string(),
                label: short_label(&t.label, code),
                target: target_of(&t.label),
                numerator: v(num),
                denominator: v("denominator"),
                pending: v("pending"),
                percentage: v(pct),
            });
        }
    }
    Ok(out)
}

/// The young people behind one KPI's figure, split as a manager reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behind {
    pub measure: String,
    pub quarter: Quarter,
    /// In the numerator (met).
    pub met: Vec<ExplainRow>,
    /// In the denominator but not the numerator.
    pub not_met: Vec<ExplainRow>,
    pub pending: Vec<ExplainRow>,
}

/// One line of the drill-down list.
enum BehindLine<'a> {
    Head(&'static str, usize),
    Row(&'a ExplainRow),
    Blank,
}

impl Behind {
    fn lines(&self) -> Vec<BehindLine<'_>> {
        let mut out = Vec::new();
        for (title, rows) in [
            ("Met — in the numerator", &self.met),
            ("Not met — in the denominator only", &self.not_met),
            ("Pending — deadline not yet passed", &self.pending),
        ] {
            out.push(BehindLine::Head(title, rows.len()));
            out.extend(rows.iter().map(BehindLine::Row));
            out.push(BehindLine::Blank);
        }
        out
    }
}

/// The KPI panel.
pub struct KpiPanel {
    quarter: Quarter,
    /// The latest quarter that can be shown: the one containing today.
    current: Quarter,
    /// Figures by quarter, computed once each.
    cache: HashMap<Quarter, Vec<KpiFigure>>,
    selected: usize,
    behind: Option<Behind>,
    behind_offset: usize,
}

impl KpiPanel {
    /// The panel for the quarter containing today (and the three before, for the trend).
    pub fn load(env: &BoardEnv) -> Result<KpiPanel> {
        let current = Quarter::containing(env.today);
        let mut p = KpiPanel {
            quarter: current,
            current,
            cache: HashMap::new(),
            selected: 0,
            behind: None,
            behind_offset: 0,
        };
        p.fill(env)?;
        Ok(p)
    }

    /// Computes whatever of the shown quarter and the three before it is not yet computed.
    fn fill(&mut self, env: &BoardEnv) -> Result<()> {
        let mut q = self.quarter;
        for _ in 0..4 {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.cache.entry(q) {
                slot.insert(kpi_figures(env, q)?);
            }
            q = q.previous();
        }
        Ok(())
    }

    /// Forgets every figure and computes the shown quarter again (after a write or Ctrl-R).
    pub fn reload(&mut self, env: &BoardEnv) -> Result<()> {
        self.cache.clear();
        self.behind = None;
        self.fill(env)
    }

    pub fn quarter(&self) -> Quarter {
        self.quarter
    }

    /// The shown quarter's figures.
    pub fn figures(&self) -> &[KpiFigure] {
        self.cache.get(&self.quarter).map_or(&[], Vec::as_slice)
    }

    pub fn behind(&self) -> Option<&Behind> {
        self.behind.as_ref()
    }

    /// Moves to the quarter before (`-1`) or after (`1`); never past the current one.
    pub fn step(&mut self, by: i32, env: &BoardEnv) -> Result<bool> {
        let next = if by < 0 {
            self.quarter.previous()
        } else {
            self.quarter.next()
        };
        if next > self.current {
            return Ok(false);
        }
        let was = self.quarter;
        self.quarter = next;
        self.behind = None;
        if let Err(e) = self.fill(env) {
            self.quarter = was;
            return Err(e);
        }
        Ok(true)
    }

    /// Percentages of the selected-or-`i`th KPI over the four quarters ending at the shown
    /// one, oldest first.
    pub fn trend(&self, measure: &str) -> Vec<(Quarter, Value)> {
        let mut qs = vec![self.quarter];
        for _ in 0..3 {
            let before = qs[qs.len() - 1].previous();
            qs.push(before);
        }
        qs.reverse();
        qs.into_iter()
            .map(|q| {
                let v = self
                    .cache
                    .get(&q)
                    .and_then(|fs| fs.iter().find(|f| f.measure == measure))
                    .map_or(Value::Missing, |f| f.percentage);
                (q, v)
            })
            .collect()
    }

    /// A key on the panel; `Ok(false)` when it is not the panel's.
    pub fn key(&mut self, a: Action, env: &BoardEnv) -> Result<bool> {
        if let Some(b) = &self.behind {
            let n = b.lines().len();
            match a {
                Action::Up => self.behind_offset = self.behind_offset.saturating_sub(1),
                Action::Down => {
                    self.behind_offset = (self.behind_offset + 1).min(n.saturating_sub(1))
                }
                Action::PageUp | Action::Top => self.behind_offset = 0,
                Action::PageDown | Action::Bottom => self.behind_offset = n.saturating_sub(1),
                Action::Back | Action::Open => self.behind = None,
                _ => return Ok(false),
            }
            return Ok(true);
        }
        let n = self.figures().len();
        match a {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Top | Action::PageUp => self.selected = 0,
            Action::Bottom | Action::PageDown => self.selected = n.saturating_sub(1),
            Action::PrevQuarter => {
                self.step(-1, env)?;
            }
            Action::NextQuarter => {
                self.step(1, env)?;
            }
            Action::Open => self.open(env)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Lists the young people behind the selected KPI.
    fn open(&mut self, env: &BoardEnv) -> Result<()> {
        let Some(f) = self.figures().get(self.selected) else {
            return Ok(());
        };
        let e = explain_cell(
            env.store,
            env.calendar,
            env.codes,
            &f.measure,
            "all",
            self.quarter,
            env.today,
        )?;
        let not_met = e
            .denominator
            .iter()
            .filter(|r| !e.numerator.contains(r))
            .cloned()
            .collect();
        env.store.record_view_of_references(
            env.worker_id,
            env.now,
            &format!("drill-down {} {}", f.measure, self.quarter.label()),
            &e.denominator
                .iter()
                .chain(&e.pending)
                .map(|r| r.young_person_reference.as_str())
                .collect::<Vec<_>>(),
        )?;
        self.behind = Some(Behind {
            measure: f.measure.clone(),
            quarter: self.quarter,
            met: e.numerator,
            not_met,
            pending: e.pending,
        });
        self.behind_offset = 0;
        Ok(())
    }

    pub fn describe(&self) -> String {
        match &self.behind {
            Some(b) => format!(
                "Dashboard · {} · {}",
                b.measure.trim_start_matches("kpi."),
                self.quarter.label()
            ),
            None => format!("Dashboard · KPIs {}", self.quarter.label()),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        if area.height < 4 || area.width < 40 {
            return;
        }
        if self.behind.is_some() {
            return self.draw_behind(frame, area, theme);
        }
        let w = area.width.saturating_sub(1);
        let buf = frame.buffer_mut();
        let mut y = area.y;
        let head = format!(
            "Southampton KPIs {} ({} to {}){}",
            self.quarter.label(),
            self.quarter.start().format("%d/%m/%Y"),
            self.quarter.end().format("%d/%m/%Y"),
            if self.quarter == self.current {
                " · quarter so far"
            } else {
                ""
            }
        );
        buf.set_line(area.x + 1, y, &Line::styled(head, theme.header()), w);
        y += 2;
        let bar_w: usize = if area.width >= 80 { 20 } else { 12 };
        let header = format!(
            "  {:<10}{:<bw$}  {:>6} {:>6} {:>9} {:>5}  {}",
            "KPI",
            "against target │",
            "actual",
            "target",
            "met/all",
            "pend",
            "trend",
            bw = bar_w + 2
        );
        buf.set_line(area.x, y, &Line::styled(header, theme.dim()), w);
        y += 1;
        let figures = self.cache.get(&self.quarter).cloned().unwrap_or_default();
        if figures.is_empty() {
            buf.set_line(
                area.x + 1,
                y,
                &Line::styled("No KPI figures for this quarter.", theme.dim()),
                w,
            );
        }
        for (i, f) in figures.iter().enumerate() {
            if y >= area.y + area.height {
                break;
            }
            let (mark, style) = match f.behind() {
                Some(true) => ("✗", theme.overdue()),
                Some(false) => ("✓", theme.on_time()),
                None => ("·", theme.dim()),
            };
            let trend = spark(&self.trend(&f.measure));
            let line = Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(format!("{:<10}", truncate(&f.code, 9))),
                Span::styled(bar(f, bar_w), style),
                Span::styled(format!("  {:>6}", pct_text(f.percentage)), style),
                Span::raw(format!(
                    " {:>6}",
                    f.target.map_or("—".to_string(), |t| format!("{t}%"))
                )),
                Span::raw(format!(
                    " {:>9}",
                    format!("{}/{}", f.numerator.to_text(), f.denominator.to_text())
                )),
                Span::raw(format!(" {:>5}", f.pending.to_text())),
                Span::raw(format!("  {trend}")),
            ]);
            let line = if i == self.selected {
                line.style(theme.selected())
            } else {
                line
            };
            buf.set_line(area.x, y, &line, w);
            y += 1;
        }
        // The selected KPI in full, with its trend as numbers.
        if let Some(f) = figures.get(self.selected) {
            let bottom = area.y + area.height;
            if y + 3 < bottom {
                y += 1;
                let text = format!(
                    "{} {} — {}/{} met, {} pending",
                    f.code,
                    f.label,
                    f.numerator.to_text(),
                    f.denominator.to_text(),
                    f.pending.to_text()
                );
                buf.set_line(
                    area.x + 1,
                    y,
                    &Line::raw(truncate(&text, w as usize - 1)),
                    w,
                );
                y += 1;
                let trend = self
                    .trend(&f.measure)
                    .iter()
                    .map(|(q, v)| format!("{} {}", q.label(), pct_text(*v)))
                    .collect::<Vec<_>>()
                    .join(" · ");
                buf.set_line(
                    area.x + 1,
                    y,
                    &Line::styled(truncate(&trend, w as usize - 1), theme.dim()),
                    w,
                );
                y += 1;
            }
            if y < bottom {
                buf.set_line(
                    area.x + 1,
                    y,
                    &Line::styled(
                        "✗ behind target  ✓ on target  · nothing to count  │ target line",
                        theme.dim(),
                    ),
                    w,
                );
            }
        }
    }

    fn draw_behind(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        let Some(b) = &self.behind else {
            return;
        };
        let w = area.width.saturating_sub(1);
        let buf = frame.buffer_mut();
        let f = self
            .cache
            .get(&b.quarter)
            .and_then(|fs| fs.iter().find(|f| f.measure == b.measure));
        let head = match f {
            Some(f) => format!(
                "{} {} · {} · {}/{} = {}",
                f.code,
                f.label,
                b.quarter.label(),
                f.numerator.to_text(),
                f.denominator.to_text(),
                pct_text(f.percentage)
            ),
            None => format!("{} · {}", b.measure, b.quarter.label()),
        };
        buf.set_line(
            area.x + 1,
            area.y,
            &Line::styled(truncate(&head, w as usize - 1), theme.header()),
            w,
        );
        let lines = b.lines();
        let body_h = area.height.saturating_sub(2) as usize;
        let start = self.behind_offset.min(lines.len().saturating_sub(1));
        for (i, l) in lines.iter().skip(start).take(body_h).enumerate() {
            let y = area.y + 2 + i as u16;
            let line = match l {
                BehindLine::Head(t, n) => Line::styled(format!("{t} ({n})"), theme.header()),
                BehindLine::Row(r) => Line::raw(truncate(
                    &format!(
                        "  {:<14} {:<28} referred {}",
                        r.young_person_reference,
                        truncate(&r.name, 28),
                        r.referral_date
                            .map_or("—".to_string(), |d| d.format("%d/%m/%Y").to_string())
                    ),
                    w as usize - 1,
                )),
                BehindLine::Blank => Line::raw(""),
            };
            buf.set_line(area.x + 1, y, &line, w);
        }
    }
}

/// `66.7%`, or `—` when there is nothing to count.
fn pct_text(v: Value) -> String {
    match v {
        Value::Tenths(_) | Value::Int(_) => format!("{}%", v.to_text()),
        Value::Suppressed => "*".into(),
        Value::Missing => "—".into(),
    }
}

/// `▕██████░░░░░░│░░▏`: the actual percentage filled, the target as a line.
fn bar(f: &KpiFigure, width: usize) -> String {
    let filled = match f.percentage {
        Value::Tenths(t) => ((t.clamp(0, 1000) as usize) * width + 500) / 1000,
        _ => 0,
    };
    let target_at = f
        .target
        .map(|t| (t.min(100) as usize * width).div_ceil(100));
    let mut s = String::from("▕");
    for i in 0..width {
        let c = if target_at == Some(i + 1) && i + 1 > filled {
            '│'
        } else if i < filled {
            '█'
        } else {
            '░'
        };
        s.push(c);
    }
    s.push('▏');
    s
}

/// The trend as four bar characters, `·` for a quarter with nothing to count.
fn spark(trend: &[(Quarter, Value)]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    trend
        .iter()
        .map(|(_, v)| match v {
            Value::Tenths(t) => LEVELS[((t.clamp(&0, &1000) * 7 + 500) / 1000) as usize],
            _ => '·',
        })
        .collect()
}

/// A style for a figure's mark (for tests and other screens).
pub fn mark_style(f: &KpiFigure, theme: Theme) -> Style {
    match f.behind() {
        Some(true) => theme.overdue(),
        Some(false) => theme.on_time(),
        None => theme.dim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_labels_come_from_the_layout_label() {
        assert_eq!(
            target_of("2a Referrals offered triage within 2 working days (target 95%)"),
            Some(95)
        );
        assert_eq!(
            target_of("2c First interventions with a waiting time under 2 weeks (95%) and under 3 weeks (100%)"),
            Some(95)
        );
        assert_eq!(target_of("3a New referrals seen"), None);
        assert_eq!(
            short_label(
                "6a TOP recorded at exit, of planned exits (target 95%)",
                "6a.exit"
            ),
            "TOP recorded at exit, of planned exits"
        );
    }

    #[test]
    fn the_bar_fills_to_the_figure_and_marks_the_target() {
        let f = KpiFigure {
            measure: "kpi.2a".into(),
            code: "2a".into(),
            label: String::new(),
            target: Some(95),
            numerator: Value::Int(2),
            denominator: Value::Int(3),
            pending: Value::Int(0),
            percentage: Value::Tenths(667),
        };
        assert_eq!(bar(&f, 20), "▕█████████████░░░░░│░▏");
        assert_eq!(f.behind(), Some(true));
    }
}
