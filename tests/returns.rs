//! The Southampton and Leicester returns on a hand-worked fixture (`tests/fixtures/`). Every
//! expected figure below was worked out by hand from the register and the extras, following
//! DESIGN.md "How each Southampton figure is counted"; the reasoning is in the comments.
//!
//! Quarter: 2025-26 Q2 (1 July – 30 September 2025). Report date: Wednesday 1 October 2025.
//! Bank holiday in the quarter: Monday 25 August 2025.
//!
//! Episodes referred in Q (age on the referral date → band):
//!   E1  Amara 02 Jul (15 u18)   E2  Amara 08 Sep (15 u18, re-referral)
//!   E3  Ben 04 Aug (18 today → 18_24)   E4 Chloe Fri 22 Aug (15 u18)   E5 Dylan Fri 22 Aug (21)
//!   E6  Erin 08 Jul (born 29 Feb 2008: 17 u18)   E8 George 10 Jul (26 other)
//!   E9  Hana 22 Sep (13 u18)   E10 Isaac 24 Sep (18)   E11 Jade Fri 26 Sep (16 u18)
//!   E12 Kofi Mon 29 Sep (16 u18)   E13 Mo Tue 30 Sep (18)
//! Not referred in Q but touching it: E7 Farah (referred 16 Jun, 14 u18), E15 Nia (3 Mar, 12
//! u18), E16 Omar (19 May, 20 18_24), E17 Ben (6 Jan, 17 u18). E14 Lily is entered in error.

#[path = "fixtures/returns_fixture.rs"]
mod fixture;

use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::codes::CodeLists;
use casebook::returns::{self, explain, explain_cell, Request, Return, ReturnKind};
use fixture::{d, episode_id, Fixture};

fn q2() -> Quarter {
    Quarter::new(2025, 2).unwrap()
}

fn compute(fx: &Fixture, kind: ReturnKind, q: Quarter, report: &str) -> Return {
    returns::compute(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &Request::new(kind, q, d(report)),
        &mut |_, _, _| {},
    )
    .unwrap()
}

/// The exact JSON line the export writes for a cell.
fn cell(measure: &str, breakdown: &str, field: &str, value: &str) -> String {
    format!(
        r#"{{"measure":"{measure}","breakdown":"{breakdown}","field":"{field}","value":{value}}}"#
    )
}

/// Asserts every expected cell appears, exactly, in the JSON figures.
fn assert_cells(json: &str, expected: &[(&str, &str, &str, &str)]) {
    let lines: std::collections::HashSet<&str> =
        json.lines().map(|l| l.trim_end_matches(',')).collect();
    let mut missing = Vec::new();
    for (m, b, f, v) in expected {
        let want = cell(m, b, f, v);
        if !lines.contains(want.as_str()) {
            let got: Vec<&&str> = lines
                .iter()
                .filter(|l| {
                    l.contains(&format!(
                        r#""measure":"{m}","breakdown":"{b}","field":"{f}""#
                    ))
                })
                .collect();
            missing.push(format!("want {want}\n  got {got:?}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Rate rows: (breakdown, numerator, denominator, pending, percentage).
fn rate(
    measure: &'static str,
    rows: &[(&'static str, i64, i64, i64, &'static str)],
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for (b, n, den, p, pct) in rows {
        out.push((
            measure.into(),
            b.to_string(),
            "numerator".into(),
            n.to_string(),
        ));
        out.push((
            measure.into(),
            b.to_string(),
            "denominator".into(),
            den.to_string(),
        ));
        out.push((
            measure.into(),
            b.to_string(),
            "pending".into(),
            p.to_string(),
        ));
        out.push((
            measure.into(),
            b.to_string(),
            "percentage".into(),
            pct.to_string(),
        ));
    }
    out
}

/// Count rows: under_18, 18_24, other, all.
fn count(
    measure: &'static str,
    field: &'static str,
    v: [i64; 4],
) -> Vec<(String, String, String, String)> {
    ["under_18", "18_24", "other", "all"]
        .iter()
        .zip(v)
        .map(|(b, n)| {
            (
                measure.to_string(),
                b.to_string(),
                field.to_string(),
                n.to_string(),
            )
        })
        .collect()
}

/// Category rows: (category, [under_18, 18_24, other, all]).
fn categories(
    measure: &'static str,
    rows: &[(&'static str, [i64; 4])],
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for (cat, v) in rows {
        for (band, n) in ["under_18", "18_24", "other", "all"].iter().zip(v) {
            out.push((
                measure.into(),
                cat.to_string(),
                band.to_string(),
                n.to_string(),
            ));
        }
    }
    out
}

fn check(json: &str, expected: Vec<(String, String, String, String)>) {
    let e: Vec<(&str, &str, &str, &str)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_cells(json, &e);
}

#[test]
fn southampton_kpis_match_the_hand_worked_figures() {
    let fx = fixture::build();
    let ret = compute(&fx, ReturnKind::Southampton, q2(), "2025-10-01");
    let json = ret.figures_json();
    let mut want = Vec::new();

    // 1a: tallies with a brief intervention in Q — 15 Jul 5 u18 (alcohol), 30 Sep 3 18_24
    // (both), 5 Aug 2 18_24 (drugs) — plus attended BI contacts in Q: Amara 3 Jul (u18), Mo
    // 30 Sep (18 on that day). Out: 30 Jun and 1 Oct tallies, the tally in error, Amara's
    // DNA, Jade's 30 Jun contact, Chloe's contact in error.
    want.extend(count("kpi.1a", "count", [6, 6, 0, 12]));
    // 1b: targeted tallies in Q: 5 u18 + 2 18_24 (the 9 in error does not count).
    want.extend(count("kpi.1b", "count", [5, 2, 0, 7]));

    // 2a: due the 2nd working day after referral; pending when not triaged and due >= 1 Oct.
    // u18: E1 met (3 Jul <= Fri 4 Jul), E2 met, E4 met (Fri 22 Aug -> Wed 27 Aug over the bank
    // holiday), E6 met, E9 met, E11 missed (due Tue 30 Sep), E12 pending (due Wed 1 Oct).
    // 18_24: E3 met, E5 missed (Thu 28 Aug), E10 met, E13 pending (due Thu 2 Oct).
    // other: E8 met.
    want.extend(rate(
        "kpi.2a",
        &[
            ("under_18", 5, 6, 1, "83.3"),
            ("18_24", 2, 3, 1, "66.7"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 8, 10, 2, "80.0"),
        ],
    ));

    // 2b: triage in Q with outcome comprehensive assessment; due the 5th working day after.
    // E2 missed (due 16 Sep, assessed 17 Sep), E6 met, E9 met (u18); E3 met on the day (13
    // Aug), E5 missed (none by 4 Sep), E10 pending (due 2 Oct) (18_24); E8 met on the day.
    want.extend(rate(
        "kpi.2b",
        &[
            ("under_18", 2, 3, 0, "66.7"),
            ("18_24", 1, 2, 1, "50.0"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 4, 6, 1, "66.7"),
        ],
    ));

    // 2c: treatment starts in Q. Waiting days: E6 21, E7 30, E9 3 (u18); E3 14 (18_24);
    // E8 11 (other). Under 2 weeks < 14; under 3 weeks < 21.
    for (b, n2, n3, den, p2, p3) in [
        ("under_18", 1, 1, 3, "33.3", "33.3"),
        ("18_24", 0, 1, 1, "0.0", "100.0"),
        ("other", 1, 1, 1, "100.0", "100.0"),
        ("all", 2, 3, 5, "40.0", "60.0"),
    ] {
        for (f, v) in [
            ("numerator_under_2_weeks", n2.to_string()),
            ("numerator_under_3_weeks", n3.to_string()),
            ("denominator", den.to_string()),
            ("pending", "0".to_string()),
            ("percentage_under_2_weeks", p2.to_string()),
            ("percentage_under_3_weeks", p3.to_string()),
        ] {
            want.push(("kpi.2c".into(), b.into(), f.into(), v));
        }
    }

    // 3a: referred in Q and triaged: all but E11, E12, E13.
    want.extend(count("kpi.3a", "count", [5, 3, 1, 9]));

    // 4a: care plan by treatment start + 14 days. E6 a day late (13 Aug vs 12 Aug), E7 met,
    // E9 none yet (due 9 Oct: pending) (u18); E3 met; E8 met.
    want.extend(rate(
        "kpi.4a",
        &[
            ("under_18", 1, 2, 1, "50.0"),
            ("18_24", 1, 1, 0, "100.0"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 3, 4, 1, "75.0"),
        ],
    ));

    // 4b: first review deadline (assessment + 84 days) in Q: E7 (23 Jun -> 15 Sep, reviewed
    // 15 Sep), E15 (12 May -> 4 Aug, reviewed 28 Jul) u18; E16 (2 Jun -> 25 Aug, reviewed a day
    // late on 26 Aug) 18_24.
    want.extend(rate(
        "kpi.4b",
        &[
            ("under_18", 2, 2, 0, "100.0"),
            ("18_24", 0, 1, 0, "0.0"),
            ("other", 0, 0, 0, "null"),
            ("all", 2, 3, 0, "66.7"),
        ],
    ));

    // 4c: joint worked: E2 (referral out marked joint working), E3 and E8 (episode flag); E11's
    // joint referral out was entered in error.
    want.extend(rate(
        "kpi.4c",
        &[
            ("under_18", 1, 7, 0, "14.3"),
            ("18_24", 1, 4, 0, "25.0"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 3, 12, 0, "25.0"),
        ],
    ));

    // 4d: key worker: u18 E1, E2, E6 (not E4, E9, E11, E12); 18_24 all four; other E8.
    want.extend(rate(
        "kpi.4d",
        &[
            ("under_18", 3, 7, 0, "42.9"),
            ("18_24", 4, 4, 0, "100.0"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 8, 12, 0, "66.7"),
        ],
    ));

    // 5a: exits in Q: E1 planned, E6 self exit on 30 Sep (the last day), E15 planned, E17 no
    // reason (u18); E8 planned (other).
    want.extend(rate(
        "kpi.5a",
        &[
            ("under_18", 2, 4, 0, "50.0"),
            ("18_24", 0, 0, 0, "null"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 3, 5, 0, "60.0"),
        ],
    ));

    // 6a start: E6 TOP 15 days after start (no), E7 TOP 6 days before (yes), E9 none yet (due
    // 9 Oct: pending) (u18); E3 yes; E8 yes.
    want.extend(rate(
        "kpi.6a.start",
        &[
            ("under_18", 1, 2, 1, "50.0"),
            ("18_24", 1, 1, 0, "100.0"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 3, 4, 1, "75.0"),
        ],
    ));

    // 6a review: reviews in Q — E6 18 Sep (no TOP, but due 2 Oct: pending), E7 15 Sep (TOP 20
    // Sep), E15 28 Jul (TOP 8 Aug), E15 10 Sep (only TOP near it is in error) (u18); E16 26 Aug
    // (TOP same day) (18_24).
    want.extend(rate(
        "kpi.6a.review",
        &[
            ("under_18", 2, 3, 1, "66.7"),
            ("18_24", 1, 1, 0, "100.0"),
            ("other", 0, 0, 0, "null"),
            ("all", 3, 4, 1, "75.0"),
        ],
    ));

    // 6a exit: planned exits in Q — E1 (no TOP), E15 (only TOP near is in error) u18; E8 (TOP
    // on the exit day) other.
    want.extend(rate(
        "kpi.6a.exit",
        &[
            ("under_18", 0, 2, 0, "0.0"),
            ("18_24", 0, 0, 0, "null"),
            ("other", 1, 1, 0, "100.0"),
            ("all", 1, 3, 0, "33.3"),
        ],
    ));
    check(&json, want);
}

#[test]
fn southampton_management_information_matches_the_hand_worked_figures() {
    let fx = fixture::build();
    let ret = compute(&fx, ReturnKind::Southampton, q2(), "2025-10-01");
    let json = ret.figures_json();
    let mut want = Vec::new();

    // MI 1: 12 referrals in Q (Amara twice); Lily's entered in error is not one.
    want.extend(count("mi.1", "count", [7, 4, 1, 12]));
    // MI 2: assessments in Q: E2, E6, E9 (u18), E3, E8.
    want.extend(count("mi.2", "count", [3, 1, 1, 5]));
    // MI 3: starts in Q: E6, E7, E9; E3; E8.
    want.extend(count("mi.3", "count", [3, 1, 1, 5]));
    // MI 4: in treatment at 30 Sep: E7, E9 (u18), E3, E16 (18_24). E6 exited on 30 Sep, so
    // not; E8, E15, E17 exited in Q.
    want.extend(count("mi.4", "count", [2, 2, 0, 4]));
    // MI 13: care plans in Q: E6, E7 (u18), E3, E8.
    want.extend(count("mi.13", "count", [2, 1, 1, 4]));
    // MI 12: waiting days of starts in Q: u18 21, 30, 3; 18_24 14; other 11.
    for (b, n, min, max, mean) in [
        ("under_18", 3, 3, 30, "18.0"),
        ("18_24", 1, 14, 14, "14.0"),
        ("other", 1, 11, 11, "11.0"),
        ("all", 5, 3, 30, "15.8"),
    ] {
        want.push(("mi.12".into(), b.into(), "count".into(), n.to_string()));
        want.push(("mi.12".into(), b.into(), "minimum".into(), min.to_string()));
        want.push(("mi.12".into(), b.into(), "maximum".into(), max.to_string()));
        want.push(("mi.12".into(), b.into(), "mean".into(), mean.to_string()));
    }

    // MI 5: referral sources of MI 1.
    want.extend(categories(
        "mi.5",
        &[
            ("source:self", [2, 1, 1, 4]),
            ("source:school_college", [2, 0, 0, 2]),
            ("source:yot", [0, 1, 0, 1]),
            ("source:social_care", [1, 0, 0, 1]),
            ("source:gp", [0, 1, 0, 1]),
            ("source:family_carer", [1, 0, 0, 1]),
            ("source:camhs", [0, 1, 0, 1]),
            ("source:police", [1, 0, 0, 1]),
            ("source:probation", [0, 0, 0, 0]),
            ("source:not_recorded", [0, 0, 0, 0]),
        ],
    ));
    // MI 6: ages on the referral date; 26 is outside 11–24 and listed after 24.
    want.extend(categories(
        "mi.6",
        &[
            ("age:11", [0, 0, 0, 0]),
            ("age:13", [1, 0, 0, 1]),
            ("age:15", [3, 0, 0, 3]),
            ("age:16", [2, 0, 0, 2]),
            ("age:17", [1, 0, 0, 1]),
            ("age:18", [0, 3, 0, 3]),
            ("age:21", [0, 1, 0, 1]),
            ("age:26", [0, 0, 1, 1]),
            ("age:not_recorded", [0, 0, 0, 0]),
        ],
    ));
    // MI 7: sex.
    want.extend(categories(
        "mi.7",
        &[
            ("sex:female", [6, 0, 0, 6]),
            ("sex:male", [1, 4, 1, 6]),
            ("sex:other", [0, 0, 0, 0]),
            ("sex:not_recorded", [0, 0, 0, 0]),
        ],
    ));
    // MI 8: ethnicity; Isaac's is not recorded.
    want.extend(categories(
        "mi.8",
        &[
            ("ethnicity:A", [1, 2, 0, 3]),
            ("ethnicity:B", [1, 0, 0, 1]),
            ("ethnicity:C", [2, 0, 0, 2]),
            ("ethnicity:J", [0, 1, 0, 1]),
            ("ethnicity:N", [3, 0, 0, 3]),
            ("ethnicity:R", [0, 0, 1, 1]),
            ("ethnicity:D", [0, 0, 0, 0]),
            ("ethnicity:not_recorded", [0, 1, 0, 1]),
        ],
    ));
    // MI 9: vulnerabilities of the young people referred; Amara's counts for both her
    // referrals; Chloe's was entered in error.
    want.extend(categories(
        "mi.9",
        &[
            ("vulnerability:school_excludee", [2, 0, 0, 2]),
            ("vulnerability:young_offender", [0, 1, 0, 1]),
            ("vulnerability:looked_after", [1, 0, 0, 1]),
            ("vulnerability:mental_health", [1, 0, 0, 1]),
            ("vulnerability:substance_misusing_parents", [1, 0, 0, 1]),
            ("vulnerability:sexually_exploited", [0, 0, 0, 0]),
        ],
    ));
    // MI 10: substances of the referrals in Q.
    want.extend(categories(
        "mi.10",
        &[
            ("primary:alcohol", [2, 0, 0, 2]),
            ("primary:cannabis", [3, 1, 0, 4]),
            ("primary:cocaine", [0, 1, 0, 1]),
            ("primary:heroin", [0, 0, 1, 1]),
            ("primary:not_recorded", [2, 2, 0, 4]),
            ("secondary:alcohol", [1, 0, 0, 1]),
            ("secondary:cocaine", [1, 0, 0, 1]),
            ("polydrug", [2, 0, 0, 2]),
            ("route:oral", [2, 0, 0, 2]),
            ("route:smoking", [3, 1, 0, 4]),
            ("route:sniffing", [0, 1, 0, 1]),
            ("route:injecting", [0, 0, 1, 1]),
            ("route:not_recorded", [0, 0, 0, 0]),
            ("injecting:never", [0, 1, 0, 1]),
            ("injecting:currently", [0, 0, 1, 1]),
        ],
    ));
    // MI 15: exits in Q by reason.
    want.extend(categories(
        "mi.15",
        &[
            ("reason:completed_drug_free", [1, 0, 0, 1]),
            ("reason:completed_occasional_use", [1, 0, 0, 1]),
            ("reason:transfer_adult_services", [0, 0, 1, 1]),
            ("reason:self_exit", [1, 0, 0, 1]),
            ("reason:disciplinary", [0, 0, 0, 0]),
            ("reason:not_recorded", [1, 0, 0, 1]),
        ],
    ));
    // MI 18: outreach tallies in Q by setting and by gender.
    want.extend(categories(
        "mi.18",
        &[
            ("setting:generic", [0, 3, 0, 3]),
            ("setting:school_college", [12, 0, 0, 12]),
            ("setting:targeted", [5, 2, 0, 7]),
            ("gender:male", [5, 0, 0, 5]),
            ("gender:female", [12, 3, 0, 15]),
            ("gender:other", [0, 2, 0, 2]),
        ],
    ));
    // MI 19: brief interventions: alcohol = 5 (15 Jul) + 3 (both, 30 Sep) + Mo's contact;
    // drugs = 3 (both) + 2 (5 Aug) + Amara's contact.
    want.extend(categories(
        "mi.19",
        &[("bi:alcohol", [5, 4, 0, 9]), ("bi:drugs", [1, 5, 0, 6])],
    ));
    check(&json, want);
}

#[test]
fn every_cell_is_listed_once_in_a_stable_order() {
    let fx = fixture::build();
    let a = compute(&fx, ReturnKind::Southampton, q2(), "2025-10-01");
    let cells = a.cells();
    let keys: std::collections::HashSet<(&str, &str, &str)> = cells
        .iter()
        .map(|c| (c.measure, c.breakdown, c.field))
        .collect();
    assert_eq!(keys.len(), cells.len(), "a cell is listed twice");
    assert_eq!(cells[0].measure, "kpi.1a");
    assert_eq!((cells[0].breakdown, cells[0].field), ("under_18", "count"));
    // The JSON is the cells, one per line, parseable.
    let parsed: Vec<serde_json::Value> = serde_json::from_str(&a.figures_json()).unwrap();
    assert_eq!(parsed.len(), cells.len());
}

#[test]
fn a_29_february_birthday_is_reached_on_1_march_in_a_common_year() {
    // 2025-26 Q4. Erin (born 29 Feb 2008) referred again on Saturday 28 Feb 2026: still 17.
    // Priya (born 29 Feb 2008) referred on Sunday 1 Mar 2026: 18 that day. Both are due
    // triage by Tuesday 3 March; Erin was triaged on the 3rd, Priya on the 4th.
    let fx = fixture::build();
    let ret = compute(
        &fx,
        ReturnKind::Southampton,
        Quarter::new(2025, 4).unwrap(),
        "2026-04-01",
    );
    let json = ret.figures_json();
    let mut want = count("mi.1", "count", [1, 1, 0, 2]);
    want.extend(rate(
        "kpi.2a",
        &[
            ("under_18", 1, 1, 0, "100.0"),
            ("18_24", 0, 1, 0, "0.0"),
            ("other", 0, 0, 0, "null"),
            ("all", 1, 2, 0, "50.0"),
        ],
    ));
    want.extend(categories(
        "mi.6",
        &[("age:17", [1, 0, 0, 1]), ("age:18", [0, 1, 0, 1])],
    ));
    // In treatment at 31 March 2026: E7, E9 (u18), E3, E16 (18_24), as at 30 September.
    want.extend(count("mi.4", "count", [2, 2, 0, 4]));
    check(&json, want);
}

#[test]
fn pending_depends_on_the_report_date() {
    // A week later (Wednesday 8 October) the deadlines of E12 (1 Oct), E13 (2 Oct) and E10's
    // assessment (2 Oct) have passed unmet; E9's care plan and TOP (due 9 Oct) are still
    // pending.
    let fx = fixture::build();
    let ret = compute(&fx, ReturnKind::Southampton, q2(), "2025-10-08");
    let json = ret.figures_json();
    let mut want = rate(
        "kpi.2a",
        &[
            ("under_18", 5, 7, 0, "71.4"),
            ("18_24", 2, 4, 0, "50.0"),
            ("all", 8, 12, 0, "66.7"),
        ],
    );
    want.extend(rate(
        "kpi.2b",
        &[("18_24", 1, 3, 0, "33.3"), ("all", 4, 7, 0, "57.1")],
    ));
    want.extend(rate("kpi.4a", &[("under_18", 1, 2, 1, "50.0")]));
    check(&json, want);
}

#[test]
fn explain_lists_exactly_the_episodes_counted() {
    let fx = fixture::build();
    let (cal, codes) = (Calendar::embedded(), CodeLists::embedded());
    let report = d("2025-10-01");

    let x = explain(&fx.store, &cal, &codes, "kpi.2a", q2(), report).unwrap();
    let names = |rows: &[returns::ExplainRow]| -> Vec<String> {
        rows.iter().map(|r| r.name.clone()).collect()
    };
    // Listed by referral date (Chloe and Dylan share 22 August).
    let dates: Vec<_> = x
        .denominator
        .iter()
        .map(|r| r.referral_date.unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    let mut listed = names(&x.denominator);
    listed.sort();
    assert_eq!(
        listed,
        [
            "Amara Okafor",
            "Amara Okafor",
            "Ben Hartley",
            "Chloe Brennan",
            "Dylan Moss",
            "Erin Walsh",
            "George Lin",
            "Hana Novak",
            "Isaac Reid",
            "Jade Turner"
        ]
    );
    assert_eq!(names(&x.pending), ["Kofi Mensah", "Mo Ahmed"]);
    let missed: Vec<String> = x
        .denominator
        .iter()
        .filter(|r| !x.numerator.contains(r))
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(missed, ["Dylan Moss", "Jade Turner"]);
    assert!(x.numerator.iter().all(|r| x.denominator.contains(r)));
    assert!(x.pending.iter().all(|r| !x.denominator.contains(r)));

    // The Friday-before-the-bank-holiday referral shows the dates that decided it.
    let chloe = x
        .numerator
        .iter()
        .find(|r| r.name == "Chloe Brennan")
        .unwrap();
    assert_eq!(
        chloe.decided_by,
        vec![
            ("referral", d("2025-08-22")),
            ("triage due", d("2025-08-27")),
            ("triage", d("2025-08-27"))
        ]
    );
    assert_eq!(
        chloe.episode_id.as_deref(),
        Some(episode_id(&fx.store, "Chloe", "Brennan", "2025-08-22").as_str())
    );
    assert!(chloe.young_person_reference.starts_with("YP-"));

    // A category cell: MI 5, self-referrals aged under 18.
    let x = explain_cell(&fx.store, &cal, &codes, "mi.5", "source:self", q2(), report).unwrap();
    assert_eq!(
        names(&x.numerator),
        ["Erin Walsh", "George Lin", "Amara Okafor", "Mo Ahmed"]
    );
    let x = explain_cell(&fx.store, &cal, &codes, "mi.5", "under_18", q2(), report).unwrap();
    assert_eq!(x.numerator.len(), 7);

    // Reviews are the unit of 6a at review: Nia's two reviews are two rows.
    let x = explain(&fx.store, &cal, &codes, "kpi.6a.review", q2(), report).unwrap();
    assert_eq!(
        names(&x.denominator),
        ["Nia Price", "Nia Price", "Omar Haddad", "Farah Qureshi"]
    );
    assert_eq!(
        names(&x.numerator),
        ["Nia Price", "Omar Haddad", "Farah Qureshi"]
    );
    assert_eq!(names(&x.pending), ["Erin Walsh"]);

    // KPI 2c's two numerators.
    let x = explain(&fx.store, &cal, &codes, "kpi.2c", q2(), report).unwrap();
    assert_eq!(names(&x.numerator), ["George Lin", "Hana Novak"]);
    assert_eq!(
        names(&x.second_numerator),
        ["George Lin", "Ben Hartley", "Hana Novak"]
    );

    // KPI 1a: tallied young people have no record to list.
    let x = explain(&fx.store, &cal, &codes, "kpi.1a", q2(), report).unwrap();
    assert_eq!(x.tallied, 10);
    assert_eq!(names(&x.numerator), ["Amara Okafor", "Mo Ahmed"]);

    // Every rate and count explains to exactly its figure, in every band.
    let ret = compute(&fx, ReturnKind::Southampton, q2(), "2025-10-01");
    for t in ret.sections.iter().flat_map(|s| &s.tables) {
        if !t.fields.iter().any(|f| f == "denominator" || f == "count") {
            continue;
        }
        for row in &t.rows {
            let x = explain_cell(
                &fx.store,
                &cal,
                &codes,
                &t.measure,
                &row.breakdown,
                q2(),
                report,
            )
            .unwrap();
            let get = |f: &str| {
                ret.value(&t.measure, &row.breakdown, f)
                    .and_then(|v| v.as_f64())
            };
            if let Some(den) = get("denominator") {
                assert_eq!(
                    x.denominator.len() as f64,
                    den,
                    "{} {}",
                    t.measure,
                    row.breakdown
                );
                assert_eq!(x.pending.len() as f64, get("pending").unwrap());
            }
            if let Some(n) = get("numerator") {
                assert_eq!(
                    x.numerator.len() as f64,
                    n,
                    "{} {}",
                    t.measure,
                    row.breakdown
                );
            }
            if let Some(n) = get("count") {
                assert_eq!(
                    (x.numerator.len() as u64 + x.tallied) as f64,
                    n,
                    "{} {}",
                    t.measure,
                    row.breakdown
                );
            }
        }
    }

    let e = explain(&fx.store, &cal, &codes, "kpi.9z", q2(), report).unwrap_err();
    assert!(e.to_string().contains("unknown measure \"kpi.9z\""), "{e}");
}

#[test]
fn leicester_return_matches_the_hand_worked_figures() {
    let fx = fixture::build();
    let ret = compute(&fx, ReturnKind::Leicester, q2(), "2025-10-01");
    let json = ret.figures_json();
    let row = |m: &'static str, b: &'static str, fields: &[(&'static str, i64)]| {
        fields
            .iter()
            .map(|(f, v)| (m.to_string(), b.to_string(), f.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let mut want = Vec::new();
    // A (i): referrals in Q (as MI 1), by sex and ethnicity too.
    want.extend(row(
        "leic.a1",
        "total",
        &[
            ("under_18", 7),
            ("18_24", 4),
            ("other", 1),
            ("all", 12),
            ("sex:female", 6),
            ("sex:male", 6),
            ("sex:other", 0),
            ("ethnicity:A", 3),
            ("ethnicity:B", 1),
            ("ethnicity:C", 2),
            ("ethnicity:J", 1),
            ("ethnicity:N", 3),
            ("ethnicity:R", 1),
            ("ethnicity:not_recorded", 1),
        ],
    ));
    // Self-referrals: Amara (E2), Erin, George, Mo.
    want.extend(row(
        "leic.a1",
        "source:self",
        &[
            ("under_18", 2),
            ("18_24", 1),
            ("other", 1),
            ("all", 4),
            ("sex:female", 2),
            ("sex:male", 2),
            ("ethnicity:N", 1),
            ("ethnicity:C", 1),
            ("ethnicity:R", 1),
            ("ethnicity:J", 1),
            ("ethnicity:A", 0),
        ],
    ));
    // A (ii): assessed in Q: Amara (E2), Erin, Hana (u18, female), Ben, George.
    want.extend(row(
        "leic.a2",
        "total",
        &[
            ("under_18", 3),
            ("18_24", 1),
            ("other", 1),
            ("all", 5),
            ("sex:female", 3),
            ("sex:male", 2),
        ],
    ));
    // A (iii): mentor sessions offered: Farah 8 Jul, Farah 15 Jul (not attended: still
    // offered), Hana 29 Sep; Lily's belongs to an episode entered in error.
    want.extend(row(
        "leic.a3",
        "total",
        &[
            ("under_18", 3),
            ("all", 3),
            ("sex:female", 3),
            ("ethnicity:J", 2),
            ("ethnicity:C", 1),
        ],
    ));
    // A (ix): advice sessions held: Farah 1 Aug (Hana's was not attended).
    want.extend(row(
        "leic.a9",
        "total",
        &[("under_18", 1), ("all", 1), ("ethnicity:J", 1)],
    ));
    // A (iv): starts by month: July E6, E7 (u18), E8 (other); August E3; September E9.
    want.extend(row(
        "leic.a4",
        "total",
        &[("under_18", 3), ("18_24", 1), ("other", 1), ("all", 5)],
    ));
    want.extend(row(
        "leic.a4",
        "month:2025-07",
        &[("under_18", 2), ("other", 1), ("all", 3)],
    ));
    want.extend(row("leic.a4", "month:2025-08", &[("18_24", 1), ("all", 1)]));
    want.extend(row(
        "leic.a4",
        "month:2025-09",
        &[("under_18", 1), ("all", 1)],
    ));
    // A (vi): in the scheme on 30 Sep: E3 (since 18 Aug), E7 (16 Jul), E9 (25 Sep) under 3
    // months; E16 (9 Jun) 3 to 6 months.
    want.extend(row(
        "leic.a6",
        "total",
        &[("under_18", 2), ("18_24", 2), ("all", 4)],
    ));
    want.extend(row(
        "leic.a6",
        "duration:under_3_months",
        &[("under_18", 2), ("18_24", 1), ("all", 3)],
    ));
    want.extend(row(
        "leic.a6",
        "duration:3_to_6_months",
        &[("18_24", 1), ("all", 1)],
    ));
    want.extend(row("leic.a6", "duration:6_to_12_months", &[("all", 0)]));
    // A (vii): discontinuing by month: July E1, E17; August none; September E6 (on the 30th),
    // E8, E15.
    want.extend(row(
        "leic.a7",
        "month:2025-07",
        &[("under_18", 2), ("all", 2)],
    ));
    want.extend(row("leic.a7", "month:2025-08", &[("all", 0)]));
    want.extend(row(
        "leic.a7",
        "month:2025-09",
        &[("under_18", 2), ("other", 1), ("all", 3)],
    ));
    want.extend(row(
        "leic.a7_reasons",
        "reason:self_exit",
        &[("under_18", 1), ("all", 1)],
    ));
    want.extend(row(
        "leic.a7_reasons",
        "reason:not_recorded",
        &[("under_18", 1), ("sex:male", 1)],
    ));
    check(&json, want);

    // Every quarterly figure is counted now: no note says otherwise; section C is annual.
    assert!(!ret
        .notes
        .iter()
        .any(|n| n.contains("Not reported") || n.contains("future work")));
    assert!(ret.notes.iter().any(|n| n.contains("Section C")));
    let x = explain_cell(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        "leic.a1",
        "ethnicity:not_recorded",
        q2(),
        d("2025-10-01"),
    )
    .unwrap();
    assert_eq!(
        x.numerator
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["Isaac Reid"]
    );
}
