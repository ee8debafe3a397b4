//! A return's layout: which measures, in which sections and order, with which labels and
//! breakdowns, and the definitions printed in its notes. Shipped in `assets/returns/`; a
//! service replaces one with a same-named file in its configuration folder, whose text the
//! caller reads and hands in (this module reads no files).
//!
//! ```toml
//! return = "southampton"            # which return this lays out
//! service = "…"                     # printed on the cover
//! title = "…"
//! definitions_version = "…"         # printed on the cover and in the manifest
//! notes = ["…"]                     # the definitions the figures follow
//!
//! [[section]]
//! id = "kpi"                        # a-z, 0-9, _ : names the CSV file
//! sheet = "KPIs"                    # the spreadsheet tab (31 characters at most)
//! title = "…"
//!
//! [[section.measure]]
//! id = "kpi.2a"                     # a measure casebook computes
//! label = "…"
//! definition = "…"
//! breakdowns = ["under_18", "18_24", "other", "all"]   # optional: age bands, in order
//! by = ["sex", "ethnicity"]         # optional, Leicester tables only
//! ```

use std::collections::HashSet;

use serde::Deserialize;

use super::measures::{Kind, MeasureDef, BANDS};

/// Which return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnKind {
    /// Southampton ESAP (S §19, §20.6).
    Southampton,
    /// Leicester mentoring project (L §10.3 A).
    Leicester,
}

impl ReturnKind {
    pub const ALL: [ReturnKind; 2] = [ReturnKind::Southampton, ReturnKind::Leicester];

    /// `southampton` or `leicester`: the layout's `return` and its file's stem.
    pub fn code(self) -> &'static str {
        match self {
            ReturnKind::Southampton => "southampton",
            ReturnKind::Leicester => "leicester",
        }
    }

    pub fn from_code(code: &str) -> Option<ReturnKind> {
        ReturnKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The layout file name, in `assets/returns/` and in the configuration folder.
    pub fn layout_file(self) -> &'static str {
        match self {
            ReturnKind::Southampton => "southampton.toml",
            ReturnKind::Leicester => "leicester.toml",
        }
    }

    fn embedded_text(self) -> &'static str {
        match self {
            ReturnKind::Southampton => include_str!("../../assets/returns/southampton.toml"),
            ReturnKind::Leicester => include_str!("../../assets/returns/leicester.toml"),
        }
    }

    /// The measures this return can show.
    pub fn measures(self) -> &'static [MeasureDef] {
        match self {
            ReturnKind::Southampton => super::southampton::MEASURES,
            ReturnKind::Leicester => super::leicester::MEASURES,
        }
    }
}

/// Where a layout came from (shown on the cover and in the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutSource {
    Embedded,
    Override,
}

impl LayoutSource {
    pub fn code(self) -> &'static str {
        match self {
            LayoutSource::Embedded => "embedded",
            LayoutSource::Override => "override",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    #[serde(rename = "return")]
    pub return_id: String,
    pub service: String,
    pub title: String,
    pub definitions_version: String,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(rename = "section")]
    pub sections: Vec<SectionLayout>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionLayout {
    pub id: String,
    pub sheet: String,
    pub title: String,
    #[serde(rename = "measure")]
    pub measures: Vec<MeasureLayout>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureLayout {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub breakdowns: Option<Vec<String>>,
    #[serde(default)]
    pub by: Option<Vec<String>>,
}

impl MeasureLayout {
    /// The age bands asked for (all four by default).
    pub fn bands(&self) -> Vec<String> {
        self.breakdowns
            .clone()
            .unwrap_or_else(|| BANDS.iter().map(|b| b.to_string()).collect())
    }

    /// The demographic columns asked for (Leicester; sex and ethnicity by default).
    pub fn by_columns(&self) -> Vec<String> {
        self.by
            .clone()
            .unwrap_or_else(|| vec!["sex".into(), "ethnicity".into()])
    }
}

/// The layout for `kind`: the service's override text when given, else the shipped one.
/// A bad override is refused with a message naming the file, the place and what is expected.
pub fn load(
    kind: ReturnKind,
    override_text: Option<&str>,
) -> Result<(Layout, LayoutSource), String> {
    match override_text {
        Some(text) => parse(kind, text).map(|l| (l, LayoutSource::Override)),
        None => parse(kind, kind.embedded_text()).map(|l| (l, LayoutSource::Embedded)),
    }
}

/// Parses and checks a layout for `kind`.
pub fn parse(kind: ReturnKind, text: &str) -> Result<Layout, String> {
    let file = kind.layout_file();
    let layout: Layout = toml::from_str(text).map_err(|e| format!("{file}: {}", e.message()))?;
    let fail = |what: String| Err(format!("{file}: {what}"));
    if layout.return_id != kind.code() {
        return fail(format!(
            "return: expected \"{}\", found \"{}\"",
            kind.code(),
            layout.return_id
        ));
    }
    if layout.definitions_version.trim().is_empty() {
        return fail("definitions_version: give the version of the definitions".into());
    }
    if layout.sections.is_empty() {
        return fail("give at least one [[section]]".into());
    }
    let mut section_ids = HashSet::new();
    let mut sheets = HashSet::new();
    let mut measures = HashSet::new();
    for s in &layout.sections {
        let ok_id = !s.id.is_empty()
            && s.id.len() <= 40
            && s.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_id {
            return fail(format!(
                "section id \"{}\": use 1–40 lower-case letters, digits or _ (it names a file)",
                s.id
            ));
        }
        if !section_ids.insert(s.id.as_str()) {
            return fail(format!("section id \"{}\" appears twice", s.id));
        }
        let sheet = s.sheet.trim();
        let bad_sheet = sheet.is_empty()
            || sheet.chars().count() > 31
            || sheet.contains(['[', ']', ':', '*', '?', '/', '\\'])
            || sheet.starts_with('\'')
            || sheet.ends_with('\'')
            || sheet.eq_ignore_ascii_case("cover");
        if bad_sheet {
            return fail(format!(
                "section \"{}\" sheet \"{}\": a sheet name has 1–31 characters, none of []:*?/\\, \
                 and is not \"Cover\"",
                s.id, s.sheet
            ));
        }
        if !sheets.insert(sheet.to_lowercase()) {
            return fail(format!("sheet \"{}\" appears twice", s.sheet));
        }
        for m in &s.measures {
            let Some(def) = kind.measures().iter().find(|d| d.id == m.id) else {
                let known: Vec<&str> = kind.measures().iter().map(|d| d.id).collect();
                return fail(format!(
                    "section \"{}\": unknown measure \"{}\"; the {} return knows {}",
                    s.id,
                    m.id,
                    kind.code(),
                    known.join(", ")
                ));
            };
            if !measures.insert(m.id.as_str()) {
                return fail(format!("measure \"{}\" appears twice", m.id));
            }
            if let Some(b) = &m.breakdowns {
                let mut seen = HashSet::new();
                for band in b {
                    if !BANDS.contains(&band.as_str()) || !seen.insert(band) {
                        return fail(format!(
                            "measure \"{}\" breakdowns: \"{band}\" is not one of {} (each once)",
                            m.id,
                            BANDS.join(", ")
                        ));
                    }
                }
            }
            if let Some(by) = &m.by {
                if !matches!(def.kind, Kind::Demographic(_)) {
                    return fail(format!(
                        "measure \"{}\": `by` applies only to the Leicester tables",
                        m.id
                    ));
                }
                let mut seen = HashSet::new();
                for b in by {
                    if !matches!(b.as_str(), "sex" | "ethnicity") || !seen.insert(b) {
                        return fail(format!(
                            "measure \"{}\" by: \"{b}\" is not sex or ethnicity (each once)",
                            m.id
                        ));
                    }
                }
            }
        }
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_layouts_parse_and_show_every_measure() {
        for kind in ReturnKind::ALL {
            let (layout, source) = load(kind, None).unwrap();
            assert_eq!(source, LayoutSource::Embedded);
            let shown: HashSet<&str> = layout
                .sections
                .iter()
                .flat_map(|s| s.measures.iter().map(|m| m.id.as_str()))
                .collect();
            for def in kind.measures() {
                assert!(
                    shown.contains(def.id),
                    "{} missing from {}",
                    def.id,
                    kind.code()
                );
            }
            for m in layout.sections.iter().flat_map(|s| &s.measures) {
                assert!(
                    !m.definition.trim().is_empty(),
                    "{} has no definition",
                    m.id
                );
            }
        }
    }

    #[test]
    fn a_bad_override_is_refused_naming_what_is_wrong() {
        let base = "return = \"southampton\"\nservice = \"S\"\ntitle = \"T\"\n\
                    definitions_version = \"1\"\n";
        let unknown = format!(
            "{base}[[section]]\nid = \"kpi\"\nsheet = \"KPIs\"\ntitle = \"K\"\n\
             [[section.measure]]\nid = \"kpi.9z\"\nlabel = \"x\"\n"
        );
        let e = parse(ReturnKind::Southampton, &unknown).unwrap_err();
        assert!(e.starts_with("southampton.toml: "), "{e}");
        assert!(e.contains("unknown measure \"kpi.9z\""), "{e}");

        let traversal = format!(
            "{base}[[section]]\nid = \"../evil\"\nsheet = \"KPIs\"\ntitle = \"K\"\n\
             [[section.measure]]\nid = \"kpi.2a\"\nlabel = \"x\"\n"
        );
        let e = parse(ReturnKind::Southampton, &traversal).unwrap_err();
        assert!(e.contains("section id \"../evil\""), "{e}");

        let band = format!(
            "{base}[[section]]\nid = \"kpi\"\nsheet = \"KPIs\"\ntitle = \"K\"\n\
             [[section.measure]]\nid = \"kpi.2a\"\nlabel = \"x\"\nbreakdowns = [\"under_12\"]\n"
        );
        let e = parse(ReturnKind::Southampton, &band).unwrap_err();
        assert!(e.contains("\"under_12\" is not one of"), "{e}");

        let wrong = base.replace("southampton", "leicester")
            + "[[section]]\nid = \"a\"\nsheet = \"A\"\ntitle = \"A\"\nmeasure = []\n";
        let e = parse(ReturnKind::Southampton, &wrong).unwrap_err();
        assert!(e.contains("return: expected \"southampton\""), "{e}");

        let typo = format!("{base}sectoin = 1\n");
        let e = parse(ReturnKind::Southampton, &typo).unwrap_err();
        assert!(e.contains("sectoin"), "{e}");
    }
}
