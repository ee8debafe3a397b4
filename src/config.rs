//! Where casebook keeps its files: the database in the platform's data folder, a service's
//! overrides (code lists, bank holidays, return layouts, keymap) in its configuration folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "casebook", "casebook")
}

/// The default database: `casebook.db` in the platform's data folder
/// (e.g. `~/.local/share/casebook/` on Linux).
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = project_dirs()
        .context("cannot find a home folder to keep the database in; pass --db PATH")?;
    Ok(dirs.data_dir().join("casebook.db"))
}

/// The configuration folder: `CASEBOOK_CONFIG` if set, else the platform's
/// (e.g. `~/.config/casebook/` on Linux). It may not exist: then nothing is overridden.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CASEBOOK_CONFIG") {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// Reads `name` from the configuration folder if the service put one there.
/// A file that exists but cannot be read is an error, not a silent fallback.
pub fn read_override(dir: Option<&Path>, name: &str) -> Result<Option<String>> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    std::fs::read_to_string(&path)
        .map(Some)
        .with_context(|| format!("cannot read the override file {}", path.display()))
}

/// The bank-holiday calendar: the embedded table, replaced or extended by
/// `bank_holidays.toml` in the configuration folder.
pub fn load_calendar(dir: Option<&Path>) -> Result<crate::domain::calendar::Calendar> {
    let cal = crate::domain::calendar::Calendar::embedded();
    match read_override(dir, "bank_holidays.toml")? {
        Some(text) => cal
            .with_override(&text)
            .map_err(|e| anyhow::anyhow!("bank_holidays.toml in the configuration folder: {e}")),
        None => Ok(cal),
    }
}

/// The code lists: embedded, each replaceable by a same-named file in the configuration folder.
pub fn load_codes(dir: Option<&Path>) -> Result<crate::domain::codes::CodeLists> {
    use crate::domain::codes::{CodeLists, ListName};
    let mut texts = std::collections::HashMap::new();
    for list in ListName::ALL {
        if let Some(text) = read_override(dir, list.file_name())? {
            texts.insert(list.file_name(), text);
        }
    }
    if texts.is_empty() {
        return Ok(CodeLists::embedded());
    }
    CodeLists::with_overrides(|name| texts.get(name).cloned())
        .map_err(|e| anyhow::anyhow!("code lists in the configuration folder: {e}"))
}

/// The environment variable a service sets for how often mentors' police/DBS checks are
/// renewed, in months. The specification sets no period (L §7.3), so by default there is none
/// and no renewal clock runs.
pub const CHECK_RENEWAL_ENV: &str = "CASEBOOK_CHECK_RENEWAL_MONTHS";

/// The police/DBS check renewal period: `CASEBOOK_CHECK_RENEWAL_MONTHS` when set (1 to 120
/// months), else none. A value that is set but not a period is an error, not a silent default:
/// a service that meant to track renewals must not find out from a lapsed check.
pub fn check_renewal_months() -> Result<Option<u32>> {
    parse_check_renewal_months(std::env::var(CHECK_RENEWAL_ENV).ok().as_deref())
}

/// [`check_renewal_months`] for a value as read (`None`: not set).
pub fn parse_check_renewal_months(value: Option<&str>) -> Result<Option<u32>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(m) if (1..=120).contains(&m) => Ok(Some(m)),
        _ => anyhow::bail!(
            "{CHECK_RENEWAL_ENV}: expected a whole number of months from 1 to 120 (or \"none\"), \
             got \"{v}\""
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_check_renewal_months as parse;

    #[test]
    fn the_check_renewal_period_is_none_unless_set_and_a_bad_one_is_refused_by_name() {
        assert_eq!(parse(None).unwrap(), None);
        assert_eq!(parse(Some("  ")).unwrap(), None);
        assert_eq!(parse(Some("none")).unwrap(), None);
        assert_eq!(parse(Some(" 36 ")).unwrap(), Some(36));
        for bad in ["0", "121", "3 years", "-6"] {
            let e = parse(Some(bad)).unwrap_err().to_string();
            assert!(
                e.starts_with("CASEBOOK_CHECK_RENEWAL_MONTHS: expected a whole number of months"),
                "{bad}: {e}"
            );
            assert!(e.contains(&format!("got \"{bad}\"")), "{e}");
        }
    }
}
