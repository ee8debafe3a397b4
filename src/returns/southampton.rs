//! The Southampton return (S §19 KPIs, S §20.6 management information), counted exactly as
//! DESIGN.md "How each Southampton figure is counted" defines each figure. Pure: it reads the
//! rows the store loaded, never the database, the clock or a file.

use anyhow::Result;
use chrono::{Duration, NaiveDate};

use super::measures::{Contribution, Group, Kind, MeasureDef, Order, Status, Unit, NOT_RECORDED};
use super::rules::{band_of, band_on, Ctx};
use crate::domain::calendar::age_on;
use crate::domain::clocks;
use crate::domain::codes::{self, ListName};
use crate::store::returns::ReturnInputs;

/// Care plan within 14 days of treatment start, inclusive (KPI 4a).
const CARE_PLAN_DAYS: i64 = clocks::CARE_PLAN_DAYS as i64;
/// A TOP counts for an event dated within 14 days either side of it (KPI 6a).
const TOP_WINDOW_DAYS: i64 = clocks::TOP_WINDOW_DAYS as i64;
/// Days from the comprehensive assessment to the first review (12 weeks, S §8.2, KPI 4b).
const FIRST_REVIEW_DAYS: i64 = clocks::REVIEW_INTERVAL_DAYS as i64;
/// KPI 2c: waiting days under 2 weeks, and under 3 weeks.
const UNDER_2_WEEKS: i64 = clocks::FIRST_INTERVENTION_DAYS as i64;
const UNDER_3_WEEKS: i64 = 21;

const SOURCE: &[Group] = &[Group {
    prefix: "source",
    order: Order::List(ListName::ReferralSources),
    not_recorded: true,
}];
const AGE: &[Group] = &[Group {
    prefix: "age",
    order: Order::Ages,
    not_recorded: true,
}];
const SEX: &[Group] = &[Group {
    prefix: "sex",
    order: Order::List(ListName::Sex),
    not_recorded: true,
}];
const ETHNICITY: &[Group] = &[Group {
    prefix: "ethnicity",
    order: Order::List(ListName::Ethnicity),
    not_recorded: true,
}];
const VULNERABILITY: &[Group] = &[Group {
    prefix: "vulnerability",
    order: Order::List(ListName::Vulnerabilities),
    not_recorded: false,
}];
const SUBSTANCES: &[Group] = &[
    Group {
        prefix: "primary",
        order: Order::List(ListName::Substances),
        not_recorded: true,
    },
    Group {
        prefix: "secondary",
        order: Order::List(ListName::Substances),
        not_recorded: false,
    },
    Group {
        prefix: "polydrug",
        order: Order::Single,
        not_recorded: false,
    },
    Group {
        prefix: "route",
        order: Order::List(ListName::Routes),
        not_recorded: true,
    },
    Group {
        prefix: "injecting",
        order: Order::List(ListName::Injecting),
        not_recorded: false,
    },
];
const EXIT_REASON: &[Group] = &[Group {
    prefix: "reason",
    order: Order::List(ListName::ExitReasons),
    not_recorded: true,
}];
const OUTREACH: &[Group] = &[
    Group {
        prefix: "setting",
        order: Order::List(ListName::OutreachSettings),
        not_recorded: false,
    },
    Group {
        prefix: "gender",
        order: Order::List(ListName::Sex),
        not_recorded: false,
    },
];
const BRIEF_INTERVENTIONS: &[Group] = &[Group {
    prefix: "bi",
    order: Order::Fixed(&["alcohol", "drugs"]),
    not_recorded: false,
}];

/// What became of each follow-up due in Q (S §20.5), by how long after the exit it falls.
const FOLLOW_UP_STATES: Order = Order::Fixed(&["due", "done", "closed_unreached", "open"]);
const FOLLOW_UPS: &[Group] = &[
    Group {
        prefix: "3_months",
        order: FOLLOW_UP_STATES,
        not_recorded: false,
    },
    Group {
        prefix: "6_months",
        order: FOLLOW_UP_STATES,
        not_recorded: false,
    },
];

/// Every measure the Southampton return can show.
pub const MEASURES: &[MeasureDef] = &[
    MeasureDef {
        id: "kpi.1a",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "kpi.1b",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "kpi.2a",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.2b",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.2c",
        kind: Kind::Rate2("under_2_weeks", "under_3_weeks"),
    },
    MeasureDef {
        id: "kpi.3a",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "kpi.4a",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.4b",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.4c",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.4d",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.5a",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.6a.start",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.6a.review",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "kpi.6a.exit",
        kind: Kind::Rate,
    },
    MeasureDef {
        id: "mi.1",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "mi.2",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "mi.3",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "mi.4",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "mi.5",
        kind: Kind::Categories(SOURCE),
    },
    MeasureDef {
        id: "mi.6",
        kind: Kind::Categories(AGE),
    },
    MeasureDef {
        id: "mi.7",
        kind: Kind::Categories(SEX),
    },
    MeasureDef {
        id: "mi.8",
        kind: Kind::Categories(ETHNICITY),
    },
    MeasureDef {
        id: "mi.9",
        kind: Kind::Categories(VULNERABILITY),
    },
    MeasureDef {
        id: "mi.10",
        kind: Kind::Categories(SUBSTANCES),
    },
    MeasureDef {
        id: "mi.12",
        kind: Kind::Stats,
    },
    MeasureDef {
        id: "mi.13",
        kind: Kind::Count,
    },
    MeasureDef {
        id: "mi.15",
        kind: Kind::Categories(EXIT_REASON),
    },
    MeasureDef {
        id: "mi.18",
        kind: Kind::Categories(OUTREACH),
    },
    MeasureDef {
        id: "mi.19",
        kind: Kind::Categories(BRIEF_INTERVENTIONS),
    },
    MeasureDef {
        id: "local.follow_ups",
        kind: Kind::Categories(FOLLOW_UPS),
    },
];

fn cat(prefix: &str, code: Option<&str>) -> Option<String> {
    Some(format!(
        "{prefix}:{}",
        code.map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(NOT_RECORDED)
    ))
}

/// Whether an event was recorded in time, is still pending, or was missed: DESIGN.md's rule
/// that a deadline not yet passed on the report date, with the event not yet recorded, is
/// pending (in neither numerator nor denominator).
fn judge(recorded_in_time: Option<bool>, due: NaiveDate, report_date: NaiveDate) -> Status {
    match recorded_in_time {
        Some(met) => Status::Judged { met, second: false },
        None if report_date <= due => Status::Pending,
        None => Status::Judged {
            met: false,
            second: false,
        },
    }
}

/// The exit reason is in the planned category.
fn planned_exit(cx: &Ctx, e: &crate::store::returns::EpisodeRow) -> bool {
    e.exit_reason.as_deref().is_some_and(|r| {
        cx.codes.list(ListName::ExitReasons).category_of(r) == Some(codes::PLANNED)
    })
}

/// A TOP counts for an event dated within 14 days either side of it (KPI 6a).
fn top_near(tops: &[NaiveDate], event: NaiveDate) -> Option<NaiveDate> {
    tops.iter()
        .copied()
        .filter(|t| (*t - event).num_days().abs() <= TOP_WINDOW_DAYS)
        .min_by_key(|t| ((*t - event).num_days().abs(), *t))
}

/// Every unit's part in every Southampton measure for the quarter.
pub fn contributions(inputs: &ReturnInputs, cx: &Ctx) -> Result<Vec<Contribution>> {
    let mut out: Vec<Contribution> = Vec::new();
    let inq = |d: Option<NaiveDate>| d.is_some_and(|d| cx.contains(d));

    for (i, e) in inputs.episodes.iter().enumerate() {
        let band = band_on(e.date_of_birth, e.referral_date);
        let unit = Unit::Episode(i);
        let mut push = |measure: &'static str,
                        status,
                        category,
                        decided_by: Vec<(&'static str, NaiveDate)>| {
            out.push(Contribution {
                measure,
                unit,
                band,
                category,
                status,
                weight: 1,
                decided_by,
            })
        };
        let referral = ("referral", e.referral_date);

        if inq(Some(e.referral_date)) {
            push("mi.1", Status::Counted, None, vec![referral]);

            // KPI 2a: triage on or before the 2nd working day after the referral.
            let due = cx.working_days_after(e.referral_date, clocks::TRIAGE_WORKING_DAYS)?;
            let mut dates = vec![referral, ("triage due", due)];
            dates.extend(e.triage_date.map(|t| ("triage", t)));
            let status = judge(e.triage_date.map(|t| t <= due), due, cx.report_date);
            push("kpi.2a", status, None, dates);

            // KPI 3a: referred in Q and seen (triaged).
            if let Some(t) = e.triage_date {
                push(
                    "kpi.3a",
                    Status::Counted,
                    None,
                    vec![referral, ("triage", t)],
                );
            }

            let judged = |met| Status::Judged { met, second: false };
            push("kpi.4c", judged(e.joint_worked), None, vec![referral]);
            push(
                "kpi.4d",
                judged(e.key_worker_assigned),
                None,
                vec![referral],
            );

            push(
                "mi.5",
                Status::Counted,
                cat("source", e.referral_source.as_deref()),
                vec![referral],
            );
            let age = e
                .date_of_birth
                .and_then(|dob| age_on(dob, e.referral_date))
                .map(|a| a.to_string());
            push(
                "mi.6",
                Status::Counted,
                cat("age", age.as_deref()),
                vec![referral],
            );
            push(
                "mi.7",
                Status::Counted,
                cat("sex", e.sex.as_deref()),
                vec![referral],
            );
            push(
                "mi.8",
                Status::Counted,
                cat("ethnicity", e.ethnicity.as_deref()),
                vec![referral],
            );
            for v in &e.vulnerabilities {
                push(
                    "mi.9",
                    Status::Counted,
                    cat("vulnerability", Some(v)),
                    vec![referral],
                );
            }
            let primary = e.substances.iter().find(|s| s.rank <= 1);
            push(
                "mi.10",
                Status::Counted,
                cat("primary", primary.map(|s| s.substance.as_str())),
                vec![referral],
            );
            if let Some(s) = e.substances.iter().find(|s| s.rank == 2) {
                push(
                    "mi.10",
                    Status::Counted,
                    cat("secondary", Some(&s.substance)),
                    vec![referral],
                );
            }
            let distinct: std::collections::BTreeSet<&str> =
                e.substances.iter().map(|s| s.substance.as_str()).collect();
            if distinct.len() >= 2 {
                push(
                    "mi.10",
                    Status::Counted,
                    Some("polydrug".into()),
                    vec![referral],
                );
            }
            if let Some(p) = primary {
                push(
                    "mi.10",
                    Status::Counted,
                    cat("route", p.route.as_deref()),
                    vec![referral],
                );
            }
            if let Some(inj) = &e.injecting {
                push(
                    "mi.10",
                    Status::Counted,
                    cat("injecting", Some(inj)),
                    vec![referral],
                );
            }
        }

        // KPI 2b: triage in Q said a comprehensive assessment is needed; assessment on or
        // before the 5th working day after the triage.
        if let Some(t) = e.triage_date.filter(|t| cx.contains(*t)) {
            // Codes are canonical by now (rules::normalise).
            let needs = e.triage_outcome.as_deref() == Some(codes::COMPREHENSIVE_ASSESSMENT);
            if needs {
                let due = cx.working_days_after(t, clocks::ASSESSMENT_WORKING_DAYS)?;
                let mut dates = vec![referral, ("triage", t), ("assessment due", due)];
                dates.extend(e.assessment_date.map(|a| ("assessment", a)));
                let status = judge(e.assessment_date.map(|a| a <= due), due, cx.report_date);
                push("kpi.2b", status, None, dates);
            }
        }

        if let Some(a) = e.assessment_date {
            if cx.contains(a) {
                push(
                    "mi.2",
                    Status::Counted,
                    None,
                    vec![referral, ("assessment", a)],
                );
            }
            // KPI 4b: first review deadline (assessment + 84 days) in Q; a review after the
            // assessment and on or before the deadline.
            let due = a + Duration::days(FIRST_REVIEW_DAYS);
            if cx.contains(due) {
                let review = e.review_dates.iter().copied().find(|r| *r > a && *r <= due);
                let mut dates = vec![referral, ("assessment", a), ("first review due", due)];
                dates.extend(review.map(|r| ("review", r)));
                let status = judge(review.map(|_| true), due, cx.report_date);
                push("kpi.4b", status, None, dates);
            }
        }

        if let Some(s) = e.treatment_start.filter(|s| cx.contains(*s)) {
            let start = ("treatment start", s);
            push("mi.3", Status::Counted, None, vec![referral, start]);

            // KPI 2c and MI 12: waiting days from referral to treatment start (calendar days).
            let wait = (s - e.referral_date).num_days();
            push(
                "kpi.2c",
                Status::Judged {
                    met: wait < UNDER_2_WEEKS,
                    second: wait < UNDER_3_WEEKS,
                },
                None,
                vec![referral, start],
            );
            push("mi.12", Status::Value(wait), None, vec![referral, start]);

            // KPI 4a: care plan dated no later than treatment start + 14 days.
            let due = s + Duration::days(CARE_PLAN_DAYS);
            let mut dates = vec![referral, start, ("care plan due", due)];
            dates.extend(e.care_plan_date.map(|c| ("care plan", c)));
            let status = judge(e.care_plan_date.map(|c| c <= due), due, cx.report_date);
            push("kpi.4a", status, None, dates);

            // KPI 6a at start.
            let top = top_near(&e.top_dates, s);
            let mut dates = vec![referral, start];
            dates.extend(top.map(|t| ("TOP", t)));
            let status = judge(
                top.map(|_| true),
                s + Duration::days(TOP_WINDOW_DAYS),
                cx.report_date,
            );
            push("kpi.6a.start", status, None, dates);
        }

        // MI 4: in treatment at the end of Q (started on or before, not exited by then).
        if let Some(s) = e.treatment_start.filter(|s| *s <= cx.end) {
            if e.exit_date.is_none_or(|x| x > cx.end) {
                push(
                    "mi.4",
                    Status::Counted,
                    None,
                    vec![referral, ("treatment start", s)],
                );
            }
        }

        if let Some(c) = e.care_plan_date.filter(|c| cx.contains(*c)) {
            push(
                "mi.13",
                Status::Counted,
                None,
                vec![referral, ("care plan", c)],
            );
        }

        if let Some(x) = e.exit_date.filter(|x| cx.contains(*x)) {
            let exit = ("exit", x);
            let planned = planned_exit(cx, e);
            push(
                "kpi.5a",
                Status::Judged {
                    met: planned,
                    second: false,
                },
                None,
                vec![referral, exit],
            );
            push(
                "mi.15",
                Status::Counted,
                cat("reason", e.exit_reason.as_deref()),
                vec![referral, exit],
            );
            if planned {
                let top = top_near(&e.top_dates, x);
                let mut dates = vec![referral, exit];
                dates.extend(top.map(|t| ("TOP", t)));
                let status = judge(
                    top.map(|_| true),
                    x + Duration::days(TOP_WINDOW_DAYS),
                    cx.report_date,
                );
                push("kpi.6a.exit", status, None, dates);
            }
        }

        // Local figure, not a KPI (S §20.5): each follow-up of a planned exit that falls due
        // in Q, and whether it was done, closed without reaching the young person, or is
        // still open. The same rule as the due-list's clocks.
        if let Some(x) = e.exit_date.filter(|_| planned_exit(cx, e)) {
            for f in clocks::follow_up_clocks(x, &e.follow_up_dates, &e.closed_clocks) {
                if !cx.contains(f.due) {
                    continue;
                }
                let prefix = match f.kind {
                    clocks::DueKind::FollowUp3Months => "3_months",
                    _ => "6_months",
                };
                let mut dates = vec![referral, ("planned exit", x), ("follow-up due", f.due)];
                let state = match (&f.met, &f.closed) {
                    (Some(m), _) => {
                        dates.push(("follow-up", *m));
                        "done"
                    }
                    (None, Some(c)) => {
                        dates.push(("closed", c.on));
                        "closed_unreached"
                    }
                    (None, None) => "open",
                };
                for code in ["due", state] {
                    push(
                        "local.follow_ups",
                        Status::Counted,
                        cat(prefix, Some(code)),
                        dates.clone(),
                    );
                }
            }
        }

        // KPI 6a at each review held in Q: the unit is the review.
        for r in e.review_dates.iter().copied().filter(|r| cx.contains(*r)) {
            let top = top_near(&e.top_dates, r);
            let mut dates = vec![referral, ("review", r)];
            dates.extend(top.map(|t| ("TOP", t)));
            out.push(Contribution {
                measure: "kpi.6a.review",
                unit: Unit::Review(i, r),
                band,
                category: None,
                status: judge(
                    top.map(|_| true),
                    r + Duration::days(TOP_WINDOW_DAYS),
                    cx.report_date,
                ),
                weight: 1,
                decided_by: dates,
            });
        }
    }

    // Outreach tallies (KPI 1a, 1b; MI 18, 19): young people counted, never registered.
    for (i, t) in inputs.tallies.iter().enumerate() {
        let band = band_of(&t.age_band);
        let mut push = |measure: &'static str, category: Option<String>| {
            out.push(Contribution {
                measure,
                unit: Unit::Tally(i),
                band,
                category,
                status: Status::Counted,
                weight: t.count,
                decided_by: vec![("tally", t.date)],
            })
        };
        let bi = t.brief_intervention.as_str();
        if matches!(bi, "alcohol" | "drugs" | "both") {
            push("kpi.1a", None);
        }
        if matches!(bi, "alcohol" | "both") {
            push("mi.19", cat("bi", Some("alcohol")));
        }
        if matches!(bi, "drugs" | "both") {
            push("mi.19", cat("bi", Some("drugs")));
        }
        if t.setting == "targeted" {
            push("kpi.1b", None);
        }
        push("mi.18", cat("setting", Some(&t.setting)));
        push("mi.18", cat("gender", Some(&t.gender)));
    }

    // Brief interventions given to registered young people (KPI 1a, MI 19): each attended
    // brief-intervention contact counts once; the age band is the age on the contact date.
    for (i, c) in inputs.contacts.iter().enumerate() {
        let kind = match c.contact_type.as_str() {
            "brief_intervention_alcohol" => "alcohol",
            "brief_intervention_drugs" => "drugs",
            _ => continue,
        };
        if c.did_not_attend {
            continue;
        }
        let band = band_on(c.date_of_birth, c.date);
        for (measure, category) in [("kpi.1a", None), ("mi.19", cat("bi", Some(kind)))] {
            out.push(Contribution {
                measure,
                unit: Unit::Contact(i),
                band,
                category,
                status: Status::Counted,
                weight: 1,
                decided_by: vec![("brief intervention", c.date)],
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_top_counts_within_fourteen_days_either_side() {
        let event = d("2025-08-15");
        assert_eq!(top_near(&[d("2025-08-01")], event), Some(d("2025-08-01")));
        assert_eq!(top_near(&[d("2025-08-29")], event), Some(d("2025-08-29")));
        assert_eq!(top_near(&[d("2025-07-31"), d("2025-08-30")], event), None);
        // The nearest one is shown as the one that decided it.
        assert_eq!(
            top_near(&[d("2025-08-02"), d("2025-08-16"), d("2025-08-20")], event),
            Some(d("2025-08-16"))
        );
    }

    #[test]
    fn a_deadline_is_pending_up_to_and_including_its_day() {
        let due = d("2025-10-01");
        let missed = Status::Judged {
            met: false,
            second: false,
        };
        assert_eq!(judge(None, due, d("2025-09-30")), Status::Pending);
        assert_eq!(judge(None, due, due), Status::Pending);
        assert_eq!(judge(None, due, d("2025-10-02")), missed);
        // Once the event is recorded it is judged, whatever the report date.
        assert_eq!(judge(Some(false), due, d("2025-09-30")), missed);
        assert_eq!(
            judge(Some(true), due, d("2025-09-30")),
            Status::Judged {
                met: true,
                second: false
            }
        );
    }
}
