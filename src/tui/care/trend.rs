//! The case view's "Care plan" section: the plan at a glance (version, level of support,
//! sign-off, spend, next review), the latest assessment (with MARAC), and the outcome trend:
//! a sparkline per measure across the profiles recorded, with the first and latest values and
//! whether that is better, so colour is never the only signal.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ddmmyyyy, CareSummary};
use crate::domain::assessment::{trend, Measure, RATING_MAX, TOP_DAYS};
use crate::domain::care_plan::format_pence;
use crate::domain::clocks::{DueItem, DueKind};
use crate::domain::codes::CodeLists;
use crate::tui::form::truncate;
use crate::tui::keymap::{Action, Context, KeyMap};
use crate::tui::theme::Theme;

/// The next care plan review not yet held, from the clocks' items of the episode.
pub fn next_review(items: &[DueItem]) -> Option<chrono::NaiveDate> {
    items
        .iter()
        .filter(|i| i.kind == DueKind::Review && !i.is_met())
        .map(|i| i.due)
        .min()
}

fn summary_lines(
    s: &CareSummary,
    items: &[DueItem],
    theme: Theme,
    keys: &KeyMap,
) -> Vec<Line<'static>> {
    let key = |a: Action| {
        keys.key_for(a, Context::CaseView)
            .map_or_else(|| ":".to_string(), |k| k.to_string())
    };
    let label = |t: &str| Span::styled(format!("{t:<18}"), theme.dim());
    let mut out = Vec::new();
    match &s.plan {
        Some(p) => {
            let actions: usize = p.goals.iter().map(|g| g.actions.len()).sum();
            out.push(Line::from(vec![
                label("Care plan"),
                Span::raw(format!(
                    "version {} of {} · level {} · {} goal{}, {} action{}",
                    p.version,
                    ddmmyyyy(p.date),
                    p.support_level
                        .map_or_else(|| "not set".into(), |l| l.to_string()),
                    p.goals.len(),
                    if p.goals.len() == 1 { "" } else { "s" },
                    actions,
                    if actions == 1 { "" } else { "s" },
                )),
            ]));
            let spend = if p.total_pence() == 0 {
                Span::raw("nothing costed")
            } else if p.has_unapproved_spend() {
                Span::styled(
                    format!("✗ {} — spend not approved", format_pence(p.total_pence())),
                    theme.error(),
                )
            } else {
                Span::raw(format!("✓ {} approved", format_pence(p.total_pence())))
            };
            out.push(Line::from(vec![
                label("Sign-off / spend"),
                Span::raw(if p.is_signed_off() {
                    "✓ signed off · "
                } else {
                    "○ not signed off · "
                }),
                spend,
            ]));
        }
        None => out.push(Line::from(vec![
            label("Care plan"),
            Span::raw(format!(
                "none yet — {} opens the editor",
                key(Action::OpenCarePlan)
            )),
        ])),
    }
    if let Some(d) = next_review(items) {
        out.push(Line::from(vec![
            label("Next review"),
            Span::raw(format!("due {}", ddmmyyyy(d))),
        ]));
    }
    match &s.assessment {
        Some(a) => out.push(Line::from(vec![
            label("Assessment"),
            Span::raw(format!(
                "{}{}",
                ddmmyyyy(a.date),
                a.dash_yes_count
                    .map(|n| format!(" · DASH {n}"))
                    .unwrap_or_default()
            )),
            if a.marac_referral {
                Span::styled(" · ▲ MARAC referral", theme.high_risk())
            } else {
                Span::raw("")
            },
        ])),
        None => out.push(Line::from(vec![
            label("Assessment"),
            Span::raw(format!(
                "none yet — {} records one",
                key(Action::AddAssessment)
            )),
        ])),
    }
    out.push(Line::from(vec![
        label("Outcome profiles"),
        Span::raw(match s.profiles.len() {
            0 => format!("none yet — {} records one", key(Action::AddOutcomeProfile)),
            1 => "1 recorded — the trend shows after two".to_string(),
            n => format!("{n} recorded"),
        }),
    ]));
    out
}

/// The most a measure can be, so every sparkline is drawn to its own scale.
fn scale_of(m: &Measure) -> u64 {
    if m.higher_is_better() {
        RATING_MAX as u64
    } else {
        TOP_DAYS as u64
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the latest `width` values on a 0..=`scale` axis. Unlike ratatui's
/// `Sparkline`, a nought still draws the lowest bar, so no recording ever looks missing.
pub fn spark(values: &[i32], scale: u64, width: usize) -> String {
    let scale = scale.max(1) as f64;
    let skip = values.len().saturating_sub(width);
    values[skip..]
        .iter()
        .map(|v| {
            let f = (*v).max(0) as f64 / scale;
            BARS[((f * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// One text line per measure with two or more recordings: label, first → latest, verdict.
pub fn trend_lines(s: &CareSummary, codes: &CodeLists) -> Vec<(Measure, String)> {
    trend(&s.profiles)
        .into_iter()
        .filter(|series| series.values().len() >= 2)
        .map(|series| {
            let v = series.values();
            let (first, last) = (v[0], v[v.len() - 1]);
            let better = if series.measure.higher_is_better() {
                last > first
            } else {
                last < first
            };
            // The arrow is which way the number moved; the word, whether that is good.
            let arrow = if last > first { "↑" } else { "↓" };
            let verdict = if first == last {
                "= same".to_string()
            } else if better {
                format!("{arrow} better")
            } else {
                format!("{arrow} worse")
            };
            let text = format!("{first} → {last} {verdict}");
            let _ = codes;
            (series.measure, text)
        })
        .collect()
}

/// Draws the section into `area`.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    s: &CareSummary,
    items: &[DueItem],
    codes: &CodeLists,
    theme: Theme,
    keys: &KeyMap,
) {
    let lines = summary_lines(s, items, theme, keys);
    let n = (lines.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(lines), Rect { height: n, ..area });
    let mut y = area.y + n;
    let bottom = area.y + area.height;
    let trends = trend_lines(s, codes);
    if trends.is_empty() || y + 1 >= bottom {
        return;
    }
    frame.render_widget(
        Paragraph::new(Line::styled("Outcome trend", theme.header())),
        Rect::new(area.x, y, area.width, 1),
    );
    y += 1;
    let series = trend(&s.profiles);
    let label_w = 24u16.min(area.width / 3);
    let spark_w = 14u16.min(area.width / 4);
    for (measure, text) in trends {
        if y >= bottom {
            break;
        }
        let Some(sr) = series.iter().find(|x| x.measure == measure) else {
            continue;
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                truncate(&measure.label(codes), label_w as usize - 1),
                theme.dim(),
            )),
            Rect::new(area.x, y, label_w, 1),
        );
        frame.render_widget(
            Paragraph::new(spark(&sr.values(), scale_of(&measure), spark_w as usize)),
            Rect::new(area.x + label_w, y, spark_w, 1),
        );
        frame.render_widget(
            Paragraph::new(text),
            Rect::new(
                area.x + label_w + spark_w + 1,
                y,
                area.width.saturating_sub(label_w + spark_w + 1),
                1,
            ),
        );
        y += 1;
    }
}
