//! The case view: a header that stays on screen (who, how old, key worker, consent, every active
//! risk flag) over sections for the summary, the episode timeline, risk flags, contacts,
//! referrals out and earlier episodes. The whole case is loaded once when opened and again
//! after a write.

use std::collections::HashMap;
use std::rc::Rc;

use anyhow::Result;
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Tabs, Wrap};
use ratatui::Frame;

use super::care::{self, CareSummary};
use super::caseload::stage_label;
use super::codes;
use super::due::{facts_of, person_next_due, NextDue};
use super::form::truncate;
use super::keymap::{Action, Context, KeyMap};
use super::theme::Theme;
use crate::domain::calendar::Calendar;
use crate::domain::clocks::{episode_due_items, DueItem, DueKind, DueStatus};
use crate::domain::codes::CodeLists;
use crate::domain::record::{Contact, Episode, RiskFlag, RiskLevel, Stage, YoungPerson};
use crate::store::caseload::{contact_count, episode_events, referrals_out_of, ReferralOut};
use crate::store::follow_ups::{after_exit_history, AfterExitHistory};
use crate::store::{people, records, Store};

/// How many contacts the case view reads at once.
const CONTACT_PAGE: usize = 500;

pub use super::msg::Section;

/// Everything the case view shows, read once.
#[derive(Debug, Clone)]
pub struct CaseModel {
    pub person: YoungPerson,
    pub key_worker: Option<String>,
    /// Newest referral first.
    pub episodes: Vec<Episode>,
    /// Index into `episodes` of the current one (open, else the latest).
    pub current: Option<usize>,
    /// The clocks' items (met and unmet) of the current episode.
    pub current_items: Vec<DueItem>,
    /// The young person's next due item across their episodes, flags and DNAs.
    pub next_due: Option<NextDue>,
    /// Active first, highest level first.
    pub flags: Vec<RiskFlag>,
    /// Newest first.
    pub contacts: Vec<Contact>,
    pub contact_total: i64,
    pub referrals: Vec<ReferralOut>,
    pub worker_names: HashMap<String, String>,
    pub codes: Rc<CodeLists>,
    /// The worker has a contact draft waiting for this young person.
    pub draft_waiting: bool,
    /// The current episode's care plan, assessment and outcome profiles.
    pub care: CareSummary,
    /// The young person's follow-ups after exit and closed after-exit clocks, newest first.
    pub after_exit: AfterExitHistory,
}

impl CaseModel {
    /// Reads the case of young person `id`; `None` when there is no such young person.
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        store: &Store,
        id: &str,
        worker_names: &HashMap<String, String>,
        draft_waiting: bool,
        cal: &Calendar,
        codes: &Rc<CodeLists>,
        today: NaiveDate,
    ) -> Result<Option<CaseModel>> {
        let Some(person) = people::young_person(store, id)? else {
            return Ok(None);
        };
        let episodes = records::episodes_of(store, id)?;
        let current = episodes
            .iter()
            .position(Episode::is_open)
            .or(if episodes.is_empty() { None } else { Some(0) });
        let current_items = match current {
            Some(i) => {
                let e = &episodes[i];
                let ev = episode_events(store, &e.id)?;
                episode_due_items(&facts_of(e, &ev, person.date_of_birth, codes), cal, today)
            }
            None => Vec::new(),
        };
        let next_due = person_next_due(store, id, person.date_of_birth, cal, codes, today)?;
        let key_worker = current
            .and_then(|i| episodes[i].key_worker_id.as_ref())
            .map(|k| {
                worker_names
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| "(unknown worker)".into())
            });
        let care = match current {
            Some(i) => CareSummary::load(store, &episodes[i].id)?,
            None => CareSummary::default(),
        };
        Ok(Some(CaseModel {
            care,
            after_exit: after_exit_history(store, id)?,
            flags: records::flags_of(store, id)?,
            contacts: records::contacts_of(store, id, CONTACT_PAGE, 0)?,
            contact_total: contact_count(store, id)?,
            referrals: referrals_out_of(store, id)?,
            person,
            key_worker,
            episodes,
            current,
            current_items,
            next_due,
            worker_names: worker_names.clone(),
            codes: Rc::clone(codes),
            draft_waiting,
        }))
    }

    pub fn current_episode(&self) -> Option<&Episode> {
        self.current.map(|i| &self.episodes[i])
    }

    fn worker(&self, id: &str) -> String {
        self.worker_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(unknown worker)".into())
    }

    fn active_flags(&self) -> impl Iterator<Item = &RiskFlag> {
        self.flags.iter().filter(|f| f.is_active())
    }
}

/// One step on the episode timeline, with its clock where one applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub label: String,
    pub date: Option<NaiveDate>,
    /// The clock's verdict and due date (the worst, where two clocks apply).
    pub clock: Option<(DueStatus, NaiveDate)>,
}

fn severity(s: DueStatus) -> u8 {
    match s {
        DueStatus::MetOnTime => 0,
        DueStatus::Due => 1,
        DueStatus::MetLate => 2,
        DueStatus::Overdue => 3,
    }
}

fn worst<'a>(items: impl Iterator<Item = &'a DueItem>) -> Option<(DueStatus, NaiveDate)> {
    items
        .map(|i| (i.status, i.due))
        .max_by_key(|(s, d)| (severity(*s), std::cmp::Reverse(*d)))
}

/// The steps of an episode in order (referral, first contact, triage, assessment, treatment,
/// care plan, reviews, outcome profiles, exit, follow-ups), each date marked against its clock
/// from `items` (the episode's items from [`episode_due_items`]).
pub fn timeline(e: &Episode, items: &[DueItem]) -> Vec<Milestone> {
    let of = |kinds: &[DueKind]| worst(items.iter().filter(|i| kinds.contains(&i.kind)));
    let m = |label: &str, date: Option<NaiveDate>, clock| Milestone {
        label: label.to_string(),
        date,
        clock,
    };
    let mut out = vec![
        m("Referral", Some(e.referral_date), None),
        m("First contact", e.first_contact_date, None),
        m("Triage", e.triage_date, of(&[DueKind::Triage])),
        m("Assessment", e.assessment_date, of(&[DueKind::Assessment])),
        m(
            "Treatment start",
            e.treatment_start,
            of(&[DueKind::FirstIntervention, DueKind::StructuredTreatment]),
        ),
        m("Care plan", e.care_plan_date, of(&[DueKind::CarePlan])),
    ];
    let mut held = 0;
    for r in items.iter().filter(|i| i.kind == DueKind::Review) {
        if r.is_met() {
            held += 1;
            out.push(m(
                &format!("Review {held}"),
                r.met_on,
                Some((r.status, r.due)),
            ));
        } else {
            out.push(m("Next review", None, Some((r.status, r.due))));
        }
    }
    for t in items.iter().filter(|i| {
        matches!(
            i.kind,
            DueKind::OutcomeProfileStart | DueKind::OutcomeProfileReview
        )
    }) {
        let label = if t.kind == DueKind::OutcomeProfileStart {
            "TOP at start"
        } else {
            "TOP at review"
        };
        out.push(m(label, t.met_on, Some((t.status, t.due))));
    }
    out.push(m("Exit", e.exit_date, None));
    for t in items.iter().filter(|i| {
        matches!(
            i.kind,
            DueKind::OutcomeProfileExit
                | DueKind::FollowUp3Months
                | DueKind::FollowUp6Months
                | DueKind::Transition
        )
    }) {
        let label = match t.kind {
            DueKind::OutcomeProfileExit => "TOP at exit",
            DueKind::FollowUp3Months => "Follow-up 3 months",
            DueKind::FollowUp6Months => "Follow-up 6 months",
            _ => "Transition plan",
        };
        out.push(m(label, t.met_on, Some((t.status, t.due))));
    }
    out
}

fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not recorded",
    }
}

/// The risk level as a symbol and a word, so colour is never the only signal.
pub fn level_badge(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::High => "▲ HIGH",
        RiskLevel::Medium => "◆ MEDIUM",
        RiskLevel::Low => "· low",
    }
}

pub fn level_style(level: RiskLevel, theme: Theme) -> Style {
    match level {
        RiskLevel::High => theme.high_risk(),
        RiskLevel::Medium => theme.medium_risk(),
        RiskLevel::Low => theme.low_risk(),
    }
}

/// The case view screen.
pub struct CaseView {
    pub model: CaseModel,
    section: Section,
    /// Per section: the selected contact (Contacts) or the scroll offset (others).
    pos: [usize; Section::ALL.len()],
    /// The contact being read in full, if any, and how far it is scrolled.
    reading: Option<(usize, usize)>,
    today: NaiveDate,
    page: usize,
}

impl CaseView {
    pub fn new(model: CaseModel, today: NaiveDate) -> CaseView {
        CaseView {
            model,
            section: Section::Summary,
            pos: [0; Section::ALL.len()],
            reading: None,
            today,
            page: 10,
        }
    }

    /// Swaps in a freshly loaded model, keeping the section.
    pub fn reload(&mut self, model: CaseModel) {
        self.model = model;
        self.reading = None;
        let n = self.model.contacts.len();
        self.pos[Section::Contacts.index()] =
            self.pos[Section::Contacts.index()].min(n.saturating_sub(1));
    }

    pub fn section(&self) -> Section {
        self.section
    }

    pub fn set_section(&mut self, s: Section) {
        self.section = s;
    }

    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }

    pub fn selected_contact(&self) -> Option<&Contact> {
        self.model.contacts.get(self.pos[Section::Contacts.index()])
    }

    /// An action on the screen. Returns true when it was used.
    pub fn action(&mut self, action: Action) -> bool {
        if let Some((i, scroll)) = self.reading {
            match action {
                Action::Back => self.reading = None,
                Action::Up => self.reading = Some((i, scroll.saturating_sub(1))),
                Action::Down => self.reading = Some((i, scroll + 1)),
                Action::PageUp => self.reading = Some((i, scroll.saturating_sub(self.page))),
                Action::PageDown => self.reading = Some((i, scroll + self.page)),
                Action::Top => self.reading = Some((i, 0)),
                _ => return false,
            }
            return true;
        }
        let idx = self.section.index();
        let contacts = self.section == Section::Contacts;
        let last = if contacts {
            self.model.contacts.len().saturating_sub(1)
        } else {
            usize::MAX / 2
        };
        match action {
            Action::NextSection => {
                self.section = Section::ALL[(idx + 1) % Section::ALL.len()];
            }
            Action::PrevSection => {
                self.section = Section::ALL[(idx + Section::ALL.len() - 1) % Section::ALL.len()];
            }
            Action::Up => self.pos[idx] = self.pos[idx].saturating_sub(1),
            Action::Down => self.pos[idx] = (self.pos[idx] + 1).min(last),
            Action::Top => self.pos[idx] = 0,
            Action::Bottom => self.pos[idx] = if contacts { last } else { usize::MAX / 2 },
            Action::PageUp => self.pos[idx] = self.pos[idx].saturating_sub(self.page),
            Action::PageDown => self.pos[idx] = (self.pos[idx] + self.page).min(last),
            Action::Open if contacts && !self.model.contacts.is_empty() => {
                self.reading = Some((self.pos[idx], 0));
            }
            _ => return false,
        }
        true
    }

    fn lbl(&self, list: &str, code: &str) -> String {
        codes::label(&self.model.codes, list, code)
    }

    fn header_lines(&self, theme: Theme, width: u16) -> Vec<Line<'static>> {
        let p = &self.model.person;
        let age = p.date_of_birth.map(|dob| {
            let years = self.today.years_since(dob).unwrap_or(0);
            format!("{years} (born {})", ddmmyyyy(dob))
        });
        let mut lines = vec![Line::from(vec![
            Span::styled(p.display_name(), theme.header()),
            Span::raw("  "),
            Span::raw(p.reference.clone()),
            Span::raw("  "),
            Span::raw(age.unwrap_or_else(|| "date of birth not recorded".into())),
        ])];
        let consent = match (p.consent_to_share, p.consent_date) {
            (Some(true), Some(d)) => Span::raw(format!("yes ({})", ddmmyyyy(d))),
            (Some(true), None) => Span::raw("yes"),
            (Some(false), _) => Span::styled("✗ NO — do not share", theme.warning()),
            (None, _) => Span::styled("? not yet asked", theme.warning()),
        };
        lines.push(Line::from(vec![
            Span::styled("Key worker: ", theme.dim()),
            Span::raw(
                self.model
                    .key_worker
                    .clone()
                    .unwrap_or_else(|| "none allocated".into()),
            ),
            Span::styled("   Consent to share: ", theme.dim()),
            consent,
        ]));
        // Every active flag, wrapped over as many lines as it takes.
        let mut spans = vec![Span::styled("Risk: ", theme.dim())];
        let mut used = 6usize;
        let mut any = false;
        for f in self.model.active_flags() {
            let text = format!(
                "{} {}",
                level_badge(f.level),
                codes::label(&self.model.codes, "risk_types", &f.flag_type)
            );
            let w = text.chars().count() + 2;
            if any && used + w > width as usize {
                lines.push(Line::from(std::mem::take(&mut spans)));
                spans.push(Span::raw("      "));
                used = 6;
            }
            spans.push(Span::styled(text, level_style(f.level, theme)));
            spans.push(Span::raw("  "));
            used += w;
            any = true;
        }
        if !any {
            spans.push(Span::raw("no active risk flags"));
        }
        lines.push(Line::from(spans));
        lines
    }

    fn summary_lines(&self, theme: Theme, add_key: &str) -> Vec<Line<'static>> {
        let p = &self.model.person;
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<18}"), theme.dim()),
                Span::raw(v),
            ])
        };
        let mut out = vec![
            row(
                "Date of birth",
                p.date_of_birth
                    .map(ddmmyyyy)
                    .unwrap_or_else(|| "not recorded".into()),
            ),
            row(
                "Sex / gender",
                format!(
                    "{} / {}",
                    p.sex
                        .as_deref()
                        .map(|c| self.lbl("sex", c))
                        .unwrap_or_else(|| "not recorded".into()),
                    p.gender.as_deref().unwrap_or("not recorded")
                ),
            ),
            row(
                "Ethnicity",
                p.ethnicity
                    .as_deref()
                    .map(|c| self.lbl("ethnicity", c))
                    .unwrap_or_else(|| "not recorded".into()),
            ),
            row(
                "Postcode district",
                p.postcode_district
                    .clone()
                    .unwrap_or_else(|| "not recorded".into()),
            ),
            row("GP registered", yes_no(p.gp_registered).into()),
            row("Looked after", yes_no(p.looked_after).into()),
            row("Parent/carer", yes_no(p.parent_carer_involved).into()),
        ];
        match self.model.current_episode() {
            Some(e) => {
                out.push(row(
                    "Current episode",
                    format!(
                        "referred {}{} — {}",
                        ddmmyyyy(e.referral_date),
                        e.referral_source
                            .as_deref()
                            .map(|s| format!(" by {}", self.lbl("referral_sources", s)))
                            .unwrap_or_default(),
                        stage_label(Stage::of(e))
                    ),
                ));
                if let Some(r) = &e.referral_reason {
                    out.push(row("Referral reason", r.clone()));
                }
                if let Some(i) = &e.intervention {
                    out.push(row("Intervention", self.lbl("interventions", i)));
                }
            }
            None => out.push(row("Current episode", "none".into())),
        }
        let last = self.model.contacts.first().map(|c| ddmmyyyy(c.date));
        out.push(row(
            "Contacts",
            match last {
                Some(d) => format!("{} (last {d})", self.model.contact_total),
                None => "none yet".into(),
            },
        ));
        if self.model.draft_waiting {
            out.push(Line::from(vec![
                Span::styled(format!("{:<18}", "Draft"), theme.dim()),
                Span::styled(
                    format!("a contact draft is waiting — press {add_key}"),
                    theme.warning(),
                ),
            ]));
        }
        out
    }

    fn timeline_lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let Some(e) = self.model.current_episode() else {
            return vec![Line::styled("No episode yet.", theme.dim())];
        };
        let mut out = vec![Line::styled(
            format!(
                "Episode referred {}{}",
                ddmmyyyy(e.referral_date),
                if e.is_open() { " (open)" } else { " (closed)" }
            ),
            theme.header(),
        )];
        for m in timeline(e, &self.model.current_items) {
            let date = m.date.map(ddmmyyyy).unwrap_or_else(|| "—".into());
            let mut spans = vec![
                Span::styled(format!("{:<20}", m.label), theme.dim()),
                Span::raw(format!("{date:<12}")),
            ];
            if let Some((status, due)) = m.clock {
                let due = ddmmyyyy(due);
                spans.push(match status {
                    DueStatus::MetOnTime => {
                        Span::styled(format!("✓ on time (due {due})"), theme.on_time())
                    }
                    DueStatus::MetLate => {
                        Span::styled(format!("✗ late (due {due})"), theme.overdue())
                    }
                    DueStatus::Overdue => {
                        Span::styled(format!("! overdue (due {due})"), theme.overdue())
                    }
                    DueStatus::Due => Span::raw(format!("… due {due}")),
                });
            }
            out.push(Line::from(spans));
        }
        // After the exit: each follow-up attempt and each clock closed with its reason.
        let codes = &self.model.codes;
        for f in self
            .model
            .after_exit
            .follow_ups
            .iter()
            .filter(|f| f.episode_id == e.id)
        {
            let outcome = codes::label(
                codes,
                "follow_up_outcomes",
                f.outcome.as_deref().unwrap_or("reached"),
            );
            let method = f
                .method
                .as_deref()
                .map(|m| format!(" by {}", codes::label(codes, "follow_up_methods", m)))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(format!("{:<20}", "Follow-up contact"), theme.dim()),
                Span::raw(format!("{:<12}", ddmmyyyy(f.date))),
                Span::raw(format!("{outcome}{method}")),
            ]));
        }
        for c in self
            .model
            .after_exit
            .closures
            .iter()
            .filter(|c| c.episode_id == e.id)
        {
            let kind = DueKind::from_code(&c.clock).map_or(c.clock.as_str(), |k| k.label());
            out.push(Line::from(vec![
                Span::styled(format!("{:<20}", "Clock closed"), theme.dim()),
                Span::raw(format!("{:<12}", ddmmyyyy(c.closed_on))),
                Span::raw(format!("{kind}: {}", c.reason)),
            ]));
        }
        out
    }

    fn flag_lines(&self, theme: Theme) -> Vec<Line<'static>> {
        if self.model.flags.is_empty() {
            return vec![Line::styled("No risk flags.", theme.dim())];
        }
        let mut out = Vec::new();
        for f in &self.model.flags {
            let style = if f.is_active() {
                level_style(f.level, theme)
            } else {
                theme.dim()
            };
            out.push(Line::from(vec![
                Span::styled(format!("{:<9}", level_badge(f.level)), style),
                Span::styled(
                    codes::label(&self.model.codes, "risk_types", &f.flag_type),
                    theme.header(),
                ),
                Span::raw(format!(
                    "  raised {} by {}",
                    ddmmyyyy(f.raised_on),
                    self.model.worker(&f.raised_by)
                )),
            ]));
            let mut detail = vec![Span::raw(format!("         What to do: {}", f.action))];
            if let Some(closed) = f.closed_on {
                detail = vec![Span::styled(
                    format!(
                        "         Closed {}: {}",
                        ddmmyyyy(closed),
                        f.close_reason.as_deref().unwrap_or("")
                    ),
                    theme.dim(),
                )];
            }
            out.push(Line::from(detail));
            if f.is_active() {
                if let Some(r) = f.review_date {
                    let overdue = r < self.today;
                    out.push(Line::from(Span::styled(
                        format!(
                            "         {}Review by {}",
                            if overdue { "! overdue — " } else { "" },
                            ddmmyyyy(r)
                        ),
                        if overdue {
                            theme.overdue()
                        } else {
                            theme.base()
                        },
                    )));
                }
            }
        }
        out
    }

    fn referral_lines(&self, theme: Theme) -> Vec<Line<'static>> {
        if self.model.referrals.is_empty() {
            return vec![Line::styled("No referrals out.", theme.dim())];
        }
        self.model
            .referrals
            .iter()
            .map(|r| {
                Line::from(vec![
                    Span::raw(format!("{}  ", ddmmyyyy(r.date))),
                    Span::styled(self.lbl("referral_services", &r.service), theme.header()),
                    Span::raw(if r.joint_working {
                        "  (joint working)"
                    } else {
                        ""
                    }),
                    Span::styled(
                        r.reason
                            .as_deref()
                            .map(|x| format!("  {x}"))
                            .unwrap_or_default(),
                        theme.dim(),
                    ),
                ])
            })
            .collect()
    }

    fn earlier_lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let earlier: Vec<&Episode> = self
            .model
            .episodes
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.model.current)
            .map(|(_, e)| e)
            .collect();
        if earlier.is_empty() {
            return vec![Line::styled("No earlier episodes.", theme.dim())];
        }
        earlier
            .into_iter()
            .map(|e| {
                Line::raw(format!(
                    "referred {}  {}  {}",
                    ddmmyyyy(e.referral_date),
                    e.exit_date
                        .map(|d| format!("exited {}", ddmmyyyy(d)))
                        .unwrap_or_else(|| stage_label(Stage::of(e)).to_string()),
                    e.exit_reason
                        .as_deref()
                        .map(|r| self.lbl("exit_reasons", r))
                        .unwrap_or_default()
                ))
            })
            .collect()
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
        let add_key = keys
            .key_for(Action::AddContact, Context::CaseView)
            .map_or_else(|| ":".to_string(), |k| k.to_string());
        if area.width == 0 || area.height == 0 {
            return;
        }
        let header = self.header_lines(theme, area.width);
        // The header keeps at most half the screen, so the sections always have room.
        let header_h = (header.len() as u16).min(area.height / 2);
        let [head, tabs, body] = Layout::vertical([
            Constraint::Length(header_h),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(header), head);
        let titles: Vec<String> = Section::ALL
            .iter()
            .map(|s| match s {
                Section::Flags => format!("{} {}", s.title(), self.model.active_flags().count()),
                Section::Contacts => format!("{} {}", s.title(), self.model.contact_total),
                _ => s.title().to_string(),
            })
            .collect();
        // Seven tabs overflow 80 columns: shorter names then, so every tab stays readable.
        let wide: usize = titles.iter().map(|t| t.chars().count() + 3).sum();
        let titles: Vec<String> = if wide > area.width as usize {
            titles
                .into_iter()
                .map(|t| {
                    t.replace("Risk flags", "Flags")
                        .replace("Referrals out", "Referrals")
                })
                .collect()
        } else {
            titles
        };
        frame.render_widget(
            Tabs::new(titles)
                .select(self.section.index())
                .style(theme.dim())
                .highlight_style(theme.selected())
                .divider("│"),
            tabs,
        );
        if body.height == 0 {
            return;
        }
        self.page = body.height as usize;
        let idx = self.section.index();
        if self.section == Section::Contacts {
            self.draw_contacts(frame, body, theme, &add_key);
        } else if self.section == Section::Care {
            let m = &self.model;
            care::trend::draw(
                frame,
                body,
                &m.care,
                &m.current_items,
                &m.codes,
                theme,
                keys,
            );
        } else {
            let lines = match self.section {
                Section::Summary => self.summary_lines(theme, &add_key),
                Section::Timeline => self.timeline_lines(theme),
                Section::Flags => self.flag_lines(theme),
                Section::Referrals => self.referral_lines(theme),
                Section::Earlier => self.earlier_lines(theme),
                Section::Contacts | Section::Care => Vec::new(),
            };
            let max_scroll = lines.len().saturating_sub(body.height as usize);
            self.pos[idx] = self.pos[idx].min(max_scroll);
            frame.render_widget(
                Paragraph::new(lines).scroll((self.pos[idx] as u16, 0)),
                body,
            );
        }
        if let Some((i, scroll)) = self.reading {
            self.draw_reading(frame, area, i, scroll, theme);
        }
    }

    fn draw_contacts(&mut self, frame: &mut Frame, body: Rect, theme: Theme, add_key: &str) {
        let idx = Section::Contacts.index();
        if self.model.contacts.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("No contacts yet. Press {add_key} to add one."),
                    theme.dim(),
                )),
                body,
            );
            return;
        }
        let h = body.height.saturating_sub(1) as usize;
        if h == 0 {
            return;
        }
        let sel = self.pos[idx].min(self.model.contacts.len() - 1);
        let offset = sel.saturating_sub(h - 1);
        let rows: Vec<Row> = self
            .model
            .contacts
            .iter()
            .enumerate()
            .skip(offset)
            .take(h)
            .map(|(i, c)| {
                let note = c
                    .note
                    .as_deref()
                    .and_then(|n| n.lines().next())
                    .unwrap_or("")
                    .to_string();
                let row = Row::new(vec![
                    Cell::from(c.date.format("%d/%m/%y").to_string()),
                    Cell::from(c.time.clone().unwrap_or_default()),
                    Cell::from(truncate(
                        &codes::label(&self.model.codes, "contact_types", &c.contact_type),
                        20,
                    )),
                    Cell::from(
                        c.duration_minutes
                            .map(|m| format!("{m}m"))
                            .unwrap_or_default(),
                    ),
                    if c.did_not_attend {
                        Cell::from("✗ DNA").style(theme.warning())
                    } else {
                        Cell::from("")
                    },
                    Cell::from(note),
                ]);
                if i == sel {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(20),
                Constraint::Length(4),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(vec!["Date", "Time", "Type", "Mins", "DNA", "Note"]).style(theme.header()))
        .column_spacing(1);
        frame.render_widget(table, body);
    }

    fn draw_reading(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        i: usize,
        scroll: usize,
        theme: Theme,
    ) {
        let Some(c) = self.model.contacts.get(i) else {
            return;
        };
        let w = area.width.saturating_sub(4).min(76);
        let h = area.height.saturating_sub(2);
        if w < 20 || h < 5 {
            return;
        }
        let popup = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h);
        let label = |k: &str| Span::styled(format!("{k:<14}"), theme.dim());
        let mut lines = vec![
            Line::from(vec![
                label("Date"),
                Span::raw(format!(
                    "{}{}",
                    c.date.format("%a %d %b %Y"),
                    c.time
                        .as_deref()
                        .map(|t| format!(" at {t}"))
                        .unwrap_or_default()
                )),
            ]),
            Line::from(vec![
                label("Type"),
                Span::raw(codes::label(
                    &self.model.codes,
                    "contact_types",
                    &c.contact_type,
                )),
            ]),
            Line::from(vec![
                label("Duration"),
                Span::raw(
                    c.duration_minutes
                        .map(|m| format!("{m} minutes"))
                        .unwrap_or_else(|| "not recorded".into()),
                ),
            ]),
            Line::from(vec![
                label("Present"),
                Span::raw(c.present.clone().unwrap_or_else(|| "not recorded".into())),
            ]),
            Line::from(vec![
                label("Worker"),
                Span::raw(
                    c.worker_id
                        .as_deref()
                        .map(|w| self.model.worker(w))
                        .unwrap_or_else(|| "not recorded".into()),
                ),
            ]),
        ];
        if c.did_not_attend {
            lines.push(Line::from(vec![
                label("Did not attend"),
                Span::styled("✗ yes", theme.warning()),
            ]));
            lines.push(Line::from(vec![
                label("Follow-up"),
                Span::raw(c.dna_follow_up.clone().unwrap_or_default()),
            ]));
        }
        lines.push(Line::raw(""));
        for l in c.note.as_deref().unwrap_or("(no note)").lines() {
            lines.push(Line::raw(l.to_string()));
        }
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Line::from(truncate(
                &format!(" Contact {} of {} ", i + 1, self.model.contacts.len()),
                w as usize - 2,
            )));
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
            popup,
        );
    }
}

impl CaseModel {
    /// Reads the case of young person `id` for the worker in `env`, with the note of a
    /// contact draft waiting.
    pub fn load_for(env: &super::component::Env, id: &str) -> Result<Option<CaseModel>> {
        let draft = crate::store::drafts::load(
            env.store,
            env.worker_id(),
            &super::contact_form::form_key(id),
        )
        .ok()
        .flatten()
        .is_some();
        CaseModel::load(
            env.store,
            id,
            env.worker_names,
            draft,
            env.calendar,
            env.codes,
            env.today,
        )
    }
}

impl super::component::Component for CaseView {
    fn title(&self) -> Option<String> {
        Some(format!("Case of {}", self.model.person.display_name()))
    }

    fn contexts(&self) -> Vec<Context> {
        if self.is_reading() {
            vec![Context::Detail, Context::Global]
        } else {
            vec![Context::CaseView, Context::Global]
        }
    }

    fn key(
        &mut self,
        _k: &ratatui::crossterm::event::KeyEvent,
        action: Option<Action>,
        env: &mut super::component::Env,
    ) -> super::component::Step {
        use super::component::Step;
        use super::msg::{FlagAction, Msg, Route};
        let Some(a) = action else {
            return Step::Done;
        };
        if self.action(a) {
            return Step::Done;
        }
        match a {
            Action::AddContact => super::contact_form::open(&self.model, env),
            Action::RecordFollowUp => super::follow_up_form::open(&self.model, env),
            Action::CloseClock => super::follow_up_form::open_close(&self.model, env),
            Action::AddMentorSession => super::mentoring::matching::open_session(&self.model, env),
            Action::RaiseFlag => Step::Msg(Msg::Open(Route::FlagForm(FlagAction::Raise {
                young_person_id: self.model.person.id.clone(),
            }))),
            Action::Back => Step::Close(None),
            Action::Reload => Step::Msg(Msg::Reload),
            Action::AddAssessment
            | Action::OpenCarePlan
            | Action::AddOutcomeProfile
            | Action::AddReview => care::open_from_case(a, &self.model, env),
            _ => Step::Pass,
        }
    }

    fn draw(&mut self, frame: &mut Frame, body: Rect, theme: Theme, keys: &KeyMap) {
        CaseView::draw(self, frame, body, theme, keys);
    }

    fn written(&mut self, w: &super::msg::Written, env: &super::component::Env) -> Result<()> {
        if !w.touches(&self.model.person.id) {
            return Ok(());
        }
        if let Some(model) = CaseModel::load_for(env, &self.model.person.id)? {
            self.reload(model);
        }
        if let Some(s) = w.section {
            self.set_section(s);
        }
        Ok(())
    }

    fn reload(&mut self, env: &super::component::Env) -> Result<()> {
        if let Some(model) = CaseModel::load_for(env, &self.model.person.id)? {
            self.reload(model);
        }
        Ok(())
    }

    crate::as_any!();
}
