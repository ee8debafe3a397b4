//! Conversions between the record's Rust values and SQLite's: dates as ISO-8601 text,
//! booleans as 0/1, absent values as NULL.

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::Row;

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
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
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
