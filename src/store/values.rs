//! Conversions between the record's Rust values and SQLite's: dates as ISO-8601 text,
//! booleans as 0/1, absent values as NULL.

use chrono::NaiveDate;
pub use rusqlite::types::Value;
use rusqlite::Row;

/// A stored value as a person reads it (a conflict's candidates, an audit entry).
pub fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => format!("({} bytes)", b.len()),
    }
}

pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub fn opt_text(s: Option<&str>) -> Value {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Value::Text(s.to_string()),
        None => Value::Null,
    }
}

pub fn date(d: NaiveDate) -> Value {
    Value::Text(d.format("%Y-%m-%d").to_string())
}

pub fn opt_date(d: Option<NaiveDate>) -> Value {
    d.map(date).unwrap_or(Value::Null)
}

pub fn boolean(b: bool) -> Value {
    Value::Integer(b as i64)
}

pub fn opt_bool(b: Option<bool>) -> Value {
    b.map(boolean).unwrap_or(Value::Null)
}

pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

pub fn opt_int(i: Option<i64>) -> Value {
    i.map(Value::Integer).unwrap_or(Value::Null)
}

/// Parses a stored date column; a malformed stored date reads as absent rather than panicking.
/// Stored dates are always `YYYY-MM-DD`, so this reads the digits directly: chrono's
/// format-string parser was most of the cost of loading a large due-list.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

pub fn get_date(row: &Row, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    Ok(row
        .get::<_, Option<String>>(idx)?
        .as_deref()
        .and_then(parse_date))
}

pub fn get_bool(row: &Row, idx: usize) -> rusqlite::Result<Option<bool>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(|v| v != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_dates_read_back_and_junk_reads_as_absent() {
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("2025-1-01"), None);
        assert_eq!(parse_date("20x5-01-01"), None);
        assert_eq!(parse_date("2025-01-01T00"), None);
        assert_eq!(parse_date("२०२५-०१-०१"), None);
    }
}
