//! Validation results that name the field and say what is expected, so a form can show the
//! message at the field and the CLI can print it.

use std::fmt;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's key as the form and the CLI name it, e.g. `referral_date`.
    pub field: String,
    /// What is wrong and what is expected, in plain words.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem found with a record; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The first message for `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    /// `Ok(())` when there are no problems, else an error listing them all.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

/// A record refused for the listed reasons; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for Invalid {}

/// Reads a date as a person types it: `YYYY-MM-DD` or the UK `DD/MM/YYYY`.
/// Returns a message naming what is expected when it cannot.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    let t = text.trim();
    let parsed = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(t, "%d/%m/%Y"));
    match parsed {
        Ok(d) if (1900..=2200).contains(&chrono::Datelike::year(&d)) => Ok(d),
        Ok(_) => Err(format!(
            "'{t}' is not a plausible date (years 1900 to 2200)"
        )),
        Err(_) => Err(format!(
            "'{}' is not a date: use YYYY-MM-DD or DD/MM/YYYY",
            truncate_for_message(t)
        )),
    }
}

/// Keeps messages short when someone pastes a novel into a date field.
pub fn truncate_for_message(t: &str) -> String {
    if t.chars().count() > 24 {
        let head: String = t.chars().take(24).collect();
        format!("{head}…")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_iso_and_uk_forms() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 4, 7).unwrap();
        assert_eq!(parse_date("2025-04-07"), Ok(d));
        assert_eq!(parse_date("07/04/2025"), Ok(d));
        assert_eq!(parse_date(" 7/4/2025 "), Ok(d));
    }

    #[test]
    fn absurd_dates_are_refused_with_the_expected_form() {
        assert!(parse_date("2025-02-30").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("31/31/2025").is_err());
        assert!(parse_date("0001-01-01").unwrap_err().contains("plausible"));
        let long = "x".repeat(10_000);
        assert!(parse_date(&long).unwrap_err().len() < 100);
    }
}
