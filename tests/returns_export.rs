//! Writing returns: XLSX read back with calamine against the JSON figures, CSV, the manifest,
//! byte-identical figures from run to run, small-number suppression, layout overrides, and
//! that nothing leaving the building carries a name, reference or date of birth.

#[path = "fixtures/returns_fixture.rs"]
mod fixture;

use std::collections::HashMap;
use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use casebook::domain::calendar::{Calendar, Quarter};
use casebook::domain::codes::CodeLists;
use casebook::returns::{self, export, write_return, Format, Request, Return, ReturnKind, Value};
use casebook::store::records;
use fixture::{d, Fixture};
use sha2::{Digest, Sha256};

fn q2() -> Quarter {
    Quarter::new(2025, 2).unwrap()
}

fn request(kind: ReturnKind) -> Request {
    Request::new(kind, q2(), d("2025-10-01"))
}

fn compute(fx: &Fixture, req: &Request) -> Return {
    returns::compute(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        req,
        &mut |_, _, _| {},
    )
    .unwrap()
}

fn run_export(fx: &Fixture, req: &Request, format: Format, out: &Path) -> returns::Written {
    export(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        req,
        format,
        out,
        &mut |_, _, _| {},
    )
    .unwrap()
}

fn manifest(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every cell of every sheet as text.
fn xlsx_text(path: &Path) -> Vec<String> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        out.push(name.clone());
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for c in row {
                out.push(c.to_string());
            }
        }
    }
    out
}

#[test]
fn xlsx_has_a_cover_and_a_sheet_per_section_matching_the_json_figures() {
    let fx = fixture::build();
    let out = fx.dir.path().join("out/southampton.xlsx");
    let written = run_export(&fx, &request(ReturnKind::Southampton), Format::Xlsx, &out);
    assert_eq!(written.files, vec![out.clone()]);
    assert_eq!(
        written.manifest,
        fx.dir.path().join("out/southampton.manifest.json")
    );
    let ret = compute(&fx, &request(ReturnKind::Southampton));

    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    let mut sheets = vec!["Cover".to_string()];
    sheets.extend(ret.sections.iter().map(|s| s.sheet.clone()));
    assert_eq!(wb.sheet_names(), sheets);

    // The cover: service, period, date produced, version, definitions.
    let cover: Vec<String> = wb
        .worksheet_range("Cover")
        .unwrap()
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .collect();
    let has = |s: &str| cover.iter().any(|c| c.contains(s));
    assert!(has("Southampton Early Support"), "{cover:?}");
    assert!(has("2025-26 Q2 (1 July 2025 to 30 September 2025)"));
    assert!(has("1 October 2025"));
    assert!(has(env!("CARGO_PKG_VERSION")));
    assert!(has("casebook-southampton-1"));
    assert!(has("Definitions used"));
    assert!(has("is pending"));
    assert!(has(
        "Numerator: triage on or before the 2nd working day after the referral date"
    ));

    // Every figure on the section sheets equals the JSON cell: numbers as numbers,
    // percentages as fractions (shown as %), nothing for a percentage of nothing.
    let json: Vec<serde_json::Value> = serde_json::from_str(&ret.figures_json()).unwrap();
    let by_key: HashMap<(String, String, String), serde_json::Value> = json
        .iter()
        .map(|c| {
            (
                (
                    c["measure"].as_str().unwrap().to_string(),
                    c["breakdown"].as_str().unwrap().to_string(),
                    c["field"].as_str().unwrap().to_string(),
                ),
                c["value"].clone(),
            )
        })
        .collect();
    let mut compared = 0;
    for s in &ret.sections {
        let range = wb.worksheet_range(&s.sheet).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let header_at = rows
            .iter()
            .position(|r| r.first().map(|c| c.to_string()) == Some("measure".into()))
            .expect("a header row");
        let header: Vec<String> = rows[header_at].iter().map(|c| c.to_string()).collect();
        assert_eq!(
            &header[..4],
            ["measure", "label", "breakdown", "breakdown_label"]
        );
        for row in &rows[header_at + 1..] {
            let (m, b) = (row[0].to_string(), row[2].to_string());
            for (col, field) in header.iter().enumerate().skip(4) {
                let got = row.get(col).cloned().unwrap_or(Data::Empty);
                let Some(want) = by_key.get(&(m.clone(), b.clone(), field.clone())) else {
                    assert_eq!(got, Data::Empty, "{m} {b} {field}: a cell the JSON lacks");
                    continue;
                };
                compared += 1;
                match want {
                    serde_json::Value::Null => assert_eq!(got, Data::Empty, "{m} {b} {field}"),
                    serde_json::Value::Number(n) => {
                        let want = n.as_f64().unwrap();
                        let want = if field.starts_with("percentage") {
                            want / 100.0
                        } else {
                            want
                        };
                        match got {
                            Data::Float(f) => {
                                assert!((f - want).abs() < 1e-9, "{m} {b} {field}: {f} vs {want}")
                            }
                            Data::Int(i) => assert_eq!(i as f64, want, "{m} {b} {field}"),
                            other => panic!("{m} {b} {field}: {other:?} is not a number"),
                        }
                    }
                    other => panic!("unexpected {other}"),
                }
            }
        }
    }
    assert_eq!(compared, json.len(), "every JSON cell is on a sheet");
    // Spot check a hand-worked figure on the sheet itself.
    assert_eq!(
        ret.value("kpi.2a", "all", "percentage"),
        Some(Value::Tenths(800))
    );
}

#[test]
fn csv_writes_one_file_per_section_with_a_byte_order_mark() {
    let fx = fixture::build();
    let out = fx.dir.path().join("csv");
    let written = run_export(&fx, &request(ReturnKind::Southampton), Format::Csv, &out);
    let ret = compute(&fx, &request(ReturnKind::Southampton));
    let names: Vec<String> = written
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "kpi.csv",
            "activity.csv",
            "referrals.csv",
            "exits.csv",
            "outreach.csv",
            "local.csv"
        ]
    );
    assert_eq!(written.manifest, out.join("manifest.json"));

    let bytes = std::fs::read(out.join("kpi.csv")).unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    // The union of the section's fields, in the order the measures bring them.
    assert_eq!(
        header,
        [
            "measure",
            "label",
            "breakdown",
            "breakdown_label",
            "count",
            "numerator",
            "denominator",
            "pending",
            "percentage",
            "numerator_under_2_weeks",
            "numerator_under_3_weeks",
            "percentage_under_2_weeks",
            "percentage_under_3_weeks"
        ]
    );
    let mut seen = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, field) in header.iter().enumerate().skip(4) {
            if let Some(v) = ret.value(&rec[0], &rec[2], field) {
                assert_eq!(&rec[i], v.to_text(), "{} {} {field}", &rec[0], &rec[2]);
                seen += 1;
            } else {
                assert_eq!(&rec[i], "");
            }
        }
    }
    let kpi_cells = ret.sections[0]
        .tables
        .iter()
        .map(|t| t.rows.len() * t.fields.len())
        .sum::<usize>();
    assert_eq!(seen, kpi_cells);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("kpi.2a,2a Referrals offered triage within 2 working days (target 95%),all,All ages,,8,10,2,80.0,,,,\r\n"), "{text}");

    // --out for CSV is a folder.
    let file = fx.dir.path().join("a-file.csv");
    std::fs::write(&file, "x").unwrap();
    let e = write_return(&ret, Format::Csv, &file).unwrap_err();
    assert!(e.to_string().contains("give a folder"), "{e}");
}

#[test]
fn the_manifest_records_period_counts_definitions_and_the_figures_hash() {
    let fx = fixture::build();
    let out = fx.dir.path().join("s.json");
    let written = run_export(&fx, &request(ReturnKind::Southampton), Format::Json, &out);
    assert_eq!(written.manifest, fx.dir.path().join("s.manifest.json"));
    let m = manifest(&written.manifest);
    assert_eq!(m["return"], "southampton");
    assert_eq!(m["period"]["quarter"], "2025-26 Q2");
    assert_eq!(m["period"]["start"], "2025-07-01");
    assert_eq!(m["period"]["end"], "2025-09-30");
    assert_eq!(m["report_date"], "2025-10-01");
    assert_eq!(m["casebook_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["definitions_version"], "casebook-southampton-1");
    assert_eq!(m["layout"], "embedded");
    assert_eq!(m["format"], "json");
    assert_eq!(m["files"], serde_json::json!(["s.json"]));
    assert_eq!(m["suppress_below"], serde_json::Value::Null);
    assert_eq!(m["suppressed"], serde_json::json!([]));
    let counts = records::record_counts(&fx.store).unwrap();
    assert_eq!(m["record_counts"].as_object().unwrap().len(), counts.len());
    for (table, n) in counts {
        assert_eq!(m["record_counts"][table], n, "{table}");
    }
    // 16 young people, 19 episodes (one entered in error, still in the file).
    assert_eq!(m["record_counts"]["young_people"], 16);
    assert_eq!(m["record_counts"]["episodes"], 19);
    let figures = std::fs::read(&out).unwrap();
    assert_eq!(m["figures_sha256"], sha256_hex(&figures));
    assert_eq!(written.figures_sha256, sha256_hex(&figures));
}

#[test]
fn the_same_database_and_quarter_give_byte_identical_figures() {
    let fx = fixture::build();
    let req = request(ReturnKind::Southampton);
    let a = run_export(&fx, &req, Format::Json, &fx.dir.path().join("a/r.json"));
    let b = run_export(&fx, &req, Format::Json, &fx.dir.path().join("b/r.json"));
    let (fa, fb) = (
        std::fs::read(&a.files[0]).unwrap(),
        std::fs::read(&b.files[0]).unwrap(),
    );
    assert!(!fa.is_empty());
    assert_eq!(fa, fb);
    assert_eq!(a.figures_sha256, b.figures_sha256);
    assert_eq!(
        std::fs::read(&a.manifest).unwrap(),
        std::fs::read(&b.manifest).unwrap()
    );

    let x = run_export(&fx, &req, Format::Xlsx, &fx.dir.path().join("x1.xlsx"));
    let y = run_export(&fx, &req, Format::Xlsx, &fx.dir.path().join("x2.xlsx"));
    assert_eq!(
        std::fs::read(&x.files[0]).unwrap(),
        std::fs::read(&y.files[0]).unwrap()
    );
    // XLSX and JSON exports of the same return carry the same figures hash.
    assert_eq!(x.figures_sha256, a.figures_sha256);

    // A different report date changes the pending figures, and so the hash.
    let later = Request::new(ReturnKind::Southampton, q2(), d("2025-10-08"));
    let c = run_export(&fx, &later, Format::Json, &fx.dir.path().join("c/r.json"));
    assert_ne!(c.figures_sha256, a.figures_sha256);
}

#[test]
fn small_counts_are_suppressed_with_what_is_derived_from_them() {
    let fx = fixture::build();
    let mut req = request(ReturnKind::Southampton);
    req.suppress_below = Some(5);
    let out = fx.dir.path().join("supp.json");
    let written = run_export(&fx, &req, Format::Json, &out);
    let ret = compute(&fx, &req);
    let v = |m: &str, b: &str, f: &str| ret.value(m, b, f).unwrap();

    // kpi.2a under 18: 5 of 6, 1 pending — the pending count goes, the rate stays.
    assert_eq!(v("kpi.2a", "under_18", "numerator"), Value::Int(5));
    assert_eq!(v("kpi.2a", "under_18", "denominator"), Value::Int(6));
    assert_eq!(v("kpi.2a", "under_18", "pending"), Value::Suppressed);
    assert_eq!(v("kpi.2a", "under_18", "percentage"), Value::Tenths(833));
    // 18 to 24: 2 of 3 — both counts and the percentage go.
    assert_eq!(v("kpi.2a", "18_24", "numerator"), Value::Suppressed);
    assert_eq!(v("kpi.2a", "18_24", "denominator"), Value::Suppressed);
    assert_eq!(v("kpi.2a", "18_24", "percentage"), Value::Suppressed);
    // A zero is shown; a percentage of nothing stays blank.
    assert_eq!(v("kpi.4b", "other", "denominator"), Value::Int(0));
    assert_eq!(v("kpi.4b", "other", "percentage"), Value::Missing);
    // 0 of 2: the numerator 0 is shown, but the percentage is derived from the suppressed 2.
    assert_eq!(v("kpi.6a.exit", "under_18", "numerator"), Value::Int(0));
    assert_eq!(
        v("kpi.6a.exit", "under_18", "percentage"),
        Value::Suppressed
    );
    // MI 12 for one young person: the count and every statistic go.
    for f in ["count", "minimum", "maximum", "mean"] {
        assert_eq!(v("mi.12", "18_24", f), Value::Suppressed, "{f}");
    }
    assert_eq!(v("mi.12", "all", "mean"), Value::Tenths(158));
    // Category tables too.
    assert_eq!(v("mi.5", "source:self", "all"), Value::Suppressed);
    assert_eq!(v("mi.5", "source:gp", "18_24"), Value::Suppressed);
    assert_eq!(
        v("mi.18", "setting:school_college", "under_18"),
        Value::Int(12)
    );

    // The manifest lists exactly the cells shown as *.
    let m = manifest(&written.manifest);
    assert_eq!(m["suppress_below"], 5);
    let listed: Vec<(String, String, String)> = m["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["measure"].as_str().unwrap().into(),
                c["breakdown"].as_str().unwrap().into(),
                c["field"].as_str().unwrap().into(),
            )
        })
        .collect();
    let starred: Vec<(String, String, String)> = ret
        .cells()
        .iter()
        .filter(|c| c.value == Value::Suppressed)
        .map(|c| (c.measure.into(), c.breakdown.into(), c.field.into()))
        .collect();
    assert!(!starred.is_empty());
    assert_eq!(listed, starred);
    assert!(listed.contains(&("kpi.2a".into(), "18_24".into(), "percentage".into())));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text
        .contains(r#"{"measure":"kpi.2a","breakdown":"18_24","field":"numerator","value":"*"}"#));
}

/// Whether `word` appears in `text` on its own (case-insensitive), so the name "Mo" is found
/// in "Mo Ahmed" but not in "month".
fn contains_word(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_lowercase(), word.to_lowercase());
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    text.match_indices(&word).any(|(i, _)| {
        edge(text[..i].chars().next_back()) && edge(text[i + word.len()..].chars().next())
    })
}

#[test]
fn the_word_search_finds_names_and_only_names() {
    assert!(contains_word("seen: Mo Ahmed", "mo"));
    assert!(contains_word("\"YP-7K3MQ-9QX2C\"", "YP-7K3MQ-9QX2C"));
    assert!(contains_word("born 2008-02-29.", "2008-02-29"));
    assert!(!contains_word("month:2025-07", "mo"));
    assert!(!contains_word("Outline", "lin"));
}

#[test]
fn nothing_exported_carries_a_name_reference_or_date_of_birth() {
    let mut fx = fixture::build();
    // A referral source typed as free text, naming someone: counted as "unlisted", never
    // printed.
    let kofi = fixture::person(&fx.store, "Kofi", "Mensah");
    let worker = casebook::store::people::worker_by_name(&fx.store, fixture::WORKER)
        .unwrap()
        .unwrap();
    fx.store
        .write(
            &worker.id,
            casebook::domain::clock::Clock::fixed(d("2025-10-01")).now(),
            |tx| {
                records::create_episode(
                    tx,
                    &casebook::domain::record::Episode {
                        young_person_id: kofi.id.clone(),
                        referral_date: d("2025-07-07"),
                        referral_source: Some("Mrs Jones, head of year".into()),
                        ..Default::default()
                    },
                )
            },
        )
        .unwrap();
    fx.names.push("Jones".into());
    let ret = compute(&fx, &request(ReturnKind::Southampton));
    assert_eq!(
        ret.value("mi.5", "source:unlisted", "all"),
        Some(Value::Int(1))
    );
    assert!(fx.names.len() >= 30 && fx.references.len() >= 30 && fx.dates_of_birth.len() >= 30);
    let root = fx.dir.path().join("leave-the-building");
    let mut texts: Vec<(String, String)> = Vec::new();
    for kind in [ReturnKind::Southampton, ReturnKind::Leicester] {
        for format in Format::ALL {
            let out = root.join(format!("{}-{}", kind.code(), format.code()));
            let out = if format.writes_folder() {
                out
            } else {
                out.with_extension(format.code())
            };
            let w = run_export(&fx, &request(kind), format, &out);
            let mut files = w.files.clone();
            files.push(w.manifest.clone());
            if kind == ReturnKind::Leicester {
                // And the annual section C, in the same format.
                let c = annual_export(&fx, format, &root.join(format!("c-{}", format.code())));
                files.extend(c.files.clone());
                files.push(c.manifest.clone());
            }
            for f in files {
                let bytes = std::fs::read(&f).unwrap();
                let label = f.display().to_string();
                // An XLSX file is compressed: read what it holds, cell by cell.
                if f.extension().is_some_and(|e| e == "xlsx") {
                    texts.push((label, xlsx_text(&f).join("\n")));
                } else {
                    texts.push((label, String::from_utf8(bytes).unwrap()));
                }
            }
        }
    }
    assert!(texts.len() >= 2 * (1 + 1 + 1) + 5 + 3 + 6);
    for (file, text) in &texts {
        for secret in fx
            .names
            .iter()
            .chain(&fx.references)
            .chain(&fx.dates_of_birth)
        {
            assert!(
                !contains_word(text, secret),
                "{file} contains personal data ({} characters)",
                secret.len()
            );
        }
    }
}

#[test]
fn a_service_layout_override_replaces_the_shipped_one() {
    let fx = fixture::build();
    let text = r#"
return = "southampton"
service = "A test service"
title = "Waiting times only"
definitions_version = "test-2"
notes = ["Our own note."]

[[section]]
id = "waits"
sheet = "Waits"
title = "Waiting times"

[[section.measure]]
id = "kpi.2a"
label = "Triage in two working days"
definition = "As casebook counts it."
breakdowns = ["all", "under_18"]
"#;
    let mut req = request(ReturnKind::Southampton);
    req.layout_override = Some(text.to_string());
    let ret = compute(&fx, &req);
    assert_eq!(ret.definitions_version, "test-2");
    assert_eq!(ret.notes, ["Our own note."]);
    let cells: Vec<String> = ret
        .cells()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c.measure,
                c.breakdown,
                c.field,
                c.value.to_text()
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            "kpi.2a all numerator 8",
            "kpi.2a all denominator 10",
            "kpi.2a all pending 2",
            "kpi.2a all percentage 80.0",
            "kpi.2a under_18 numerator 5",
            "kpi.2a under_18 denominator 6",
            "kpi.2a under_18 pending 1",
            "kpi.2a under_18 percentage 83.3",
        ]
    );
    let w = run_export(&fx, &req, Format::Json, &fx.dir.path().join("o.json"));
    assert_eq!(manifest(&w.manifest)["layout"], "override");

    req.layout_override = Some(text.replace("kpi.2a", "kpi.2z"));
    let e = returns::compute(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &req,
        &mut |_, _, _| {},
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("southampton.toml: section \"waits\": unknown measure \"kpi.2z\""),
        "{e}"
    );
}

#[test]
fn an_export_into_a_folder_names_its_file_and_reports_progress() {
    let fx = fixture::build();
    let folder = fx.dir.path().join("returns");
    std::fs::create_dir_all(&folder).unwrap();
    let mut heard: Vec<(String, usize, usize)> = Vec::new();
    let w = export(
        &fx.store,
        &Calendar::embedded(),
        &CodeLists::embedded(),
        &request(ReturnKind::Leicester),
        Format::Xlsx,
        &folder,
        &mut |stage, done, total| heard.push((stage.to_string(), done, total)),
    )
    .unwrap();
    assert_eq!(w.files, vec![folder.join("leicester-2025-26-Q2.xlsx")]);
    assert_eq!(
        w.manifest,
        folder.join("leicester-2025-26-Q2.manifest.json")
    );
    assert!(
        heard.iter().all(|(_, done, total)| done <= total),
        "{heard:?}"
    );
    let stages: Vec<&str> = heard.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(stages.first(), Some(&"reading episodes"));
    assert!(stages.contains(&"counting"));
    assert_eq!(heard.last().unwrap(), &("writing".to_string(), 1, 1));

    // A file name whose extension says another format is refused, and nothing is written.
    let ret = compute(&fx, &request(ReturnKind::Leicester));
    let wrong = fx.dir.path().join("leicester.json");
    let e = write_return(&ret, Format::Xlsx, &wrong).unwrap_err();
    assert!(
        e.to_string()
            .contains("the xlsx format writes a .xlsx file"),
        "{e}"
    );
    assert!(!wrong.exists());
}

/// Section C for 2025-26 written as `format` into the folder `dir`, as of 20 April 2026.
fn annual_export(fx: &Fixture, format: Format, dir: &Path) -> returns::Written {
    let annual = returns::leicester_annual::compute(&fx.store, 2025).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    returns::write::write_annual(&annual, d("2026-04-20"), format, dir).unwrap()
}

#[test]
fn section_c_is_written_as_xlsx_csv_or_json_with_a_manifest_naming_the_year_and_file_hashes() {
    let fx = fixture::build();
    let annual = returns::leicester_annual::compute(&fx.store, 2025).unwrap();
    let n = annual.figures.len();
    assert!(n >= 12, "{n} figures");

    // JSON into a folder: the file is named by the year, the manifest beside it.
    let dir = fx.dir.path().join("c-json");
    let w = annual_export(&fx, Format::Json, &dir);
    assert_eq!(w.files, vec![dir.join("leicester-C-2025-26.json")]);
    assert_eq!(w.manifest, dir.join("leicester-C-2025-26.manifest.json"));
    let json_bytes = std::fs::read(&w.files[0]).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap();
    assert_eq!(json["year"], "2025-26");
    assert_eq!(json["figures"].as_array().unwrap().len(), n);
    let m = manifest(&w.manifest);
    assert_eq!(m["return"], "leicester");
    assert_eq!(m["section"], "C (annual)");
    assert_eq!(m["period"]["year"], "2025-26");
    assert_eq!(m["period"]["start"], "2025-04-01");
    assert_eq!(m["period"]["end"], "2026-03-31");
    assert_eq!(m["report_date"], "2026-04-20");
    assert_eq!(m["format"], "json");
    assert_eq!(m["files"], serde_json::json!(["leicester-C-2025-26.json"]));
    assert_eq!(
        m["file_sha256"]["leicester-C-2025-26.json"],
        sha256_hex(&json_bytes)
    );
    assert_eq!(m["figures"], n);
    assert_eq!(m["figures_sha256"], sha256_hex(&json_bytes));

    // XLSX: a cover with the notes, and one row per figure matching the JSON.
    let dir = fx.dir.path().join("c-xlsx");
    let w = annual_export(&fx, Format::Xlsx, &dir);
    let file = dir.join("leicester-C-2025-26.xlsx");
    assert_eq!(w.files, vec![file.clone()]);
    let m = manifest(&w.manifest);
    assert_eq!(
        m["file_sha256"]["leicester-C-2025-26.xlsx"],
        sha256_hex(&std::fs::read(&file).unwrap())
    );
    // The figures' hash is the JSON's whatever the format, so formats can be compared.
    assert_eq!(m["figures_sha256"], sha256_hex(&json_bytes));
    let mut wb: Xlsx<_> = open_workbook(&file).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Cover", "Section C"]);
    let cover: Vec<String> = wb
        .worksheet_range("Cover")
        .unwrap()
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .collect();
    assert!(
        cover.iter().any(|c| c.contains("satisfaction audit")),
        "{cover:?}"
    );
    let range = wb.worksheet_range("Section C").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("figure".into())))
        .unwrap();
    let body = &rows[header + 1..];
    assert_eq!(body.len(), n);
    for (r, f) in body.iter().zip(&annual.figures) {
        assert_eq!(r[0].to_string(), f.id);
        assert_eq!(r[2], Data::Float(f.numerator as f64), "{}", f.id);
        assert_eq!(r[3], Data::Float(f.denominator as f64), "{}", f.id);
    }

    // CSV: a folder with section_c.csv and manifest.json.
    let dir = fx.dir.path().join("c-csv");
    let w = annual_export(&fx, Format::Csv, &dir);
    assert_eq!(w.files, vec![dir.join("section_c.csv")]);
    assert_eq!(w.manifest, dir.join("manifest.json"));
    let bytes = std::fs::read(&w.files[0]).unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), n + 1);
    assert!(lines[0].starts_with("figure,label,numerator,denominator,percentage,target_percent"));
    let a = &annual.figures[0];
    assert!(lines[1].starts_with(&format!("{},", a.id)), "{}", lines[1]);
    assert_eq!(
        manifest(&w.manifest)["file_sha256"]["section_c.csv"],
        sha256_hex(&bytes)
    );
    // A CSV asked for on a file is refused at --out.
    let e = returns::write::write_annual(&annual, d("2026-04-20"), Format::Csv, &w.files[0])
        .unwrap_err();
    assert!(e.to_string().starts_with("--out"), "{e}");
}
