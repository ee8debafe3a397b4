//! Dates and times as a worker types them into a form: the two written forms
//! (`YYYY-MM-DD`, `DD/MM/YYYY`) plus words and offsets relative to "today" (`today`,
//! `yesterday`, `tomorrow`, `+3d`, `-2d`, `+1w`). "Today" is passed in from the clock.

use chrono::{Days, NaiveDate, NaiveTime};

use super::validate::{parse_date, truncate_for_message};

/// What a date field accepts, for messages and hints.
pub const DATE_FORMS: &str = "YYYY-MM-DD, DD/MM/YYYY, today, yesterday, or +3d / -2d / +1w";

/// Reads a typed date relative to `today`. The error says what is expected.
pub fn parse_relative_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "" => return Err(format!("give a date: {DATE_FORMS}")),
        "today" => return Ok(today),
        "yesterday" => return Ok(today - Days::new(1)),
        "tomorrow" => return Ok(today + Days::new(1)),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let forward = t.starts_with('+');
        return offset(rest, forward, today).ok_or_else(|| {
            format!(
                "'{}' is not an offset: use +3d, -2d or +1w (days or weeks)",
                truncate_for_message(text.trim())
            )
        });
    }
    parse_date(text).map_err(|_| {
        format!(
            "'{}' is not a date: use {DATE_FORMS}",
            truncate_for_message(text.trim())
        )
    })
}

fn offset(rest: &str, forward: bool, today: NaiveDate) -> Option<NaiveDate> {
    let (digits, unit) = match rest.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => rest.split_at(i),
        None => (rest, "d"),
    };
    // Three digits of weeks is already nineteen years: anything longer is a typing slip.
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let days = match unit.trim() {
        "d" | "day" | "days" => n,
        "w" | "week" | "weeks" => n * 7,
        _ => return None,
    };
    if forward {
        today.checked_add_days(Days::new(days))
    } else {
        today.checked_sub_days(Days::new(days))
    }
}

/// Reads a time of day as `HH:MM` (24-hour; `9:30`, `0930` and `9.30` are read too) and
/// returns it as `HH:MM`.
pub fn parse_time(text: &str) -> Result<String, String> {
    let t = text.trim();
    let normal = t.replace('.', ":");
    let parsed = NaiveTime::parse_from_str(&normal, "%H:%M").or_else(|e| {
        if normal.len() == 4 && normal.chars().all(|c| c.is_ascii_digit()) {
            NaiveTime::parse_from_str(&normal, "%H%M")
        } else {
            Err(e)
        }
    });
    parsed
        .map(|tm| tm.format("%H:%M").to_string())
        .map_err(|_| {
            format!(
                "'{}' is not a time: use HH:MM on the 24-hour clock, e.g. 14:30",
                truncate_for_message(t)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn words_and_offsets_count_from_today() {
        let today = d("2025-03-31");
        assert_eq!(parse_relative_date("today", today), Ok(today));
        assert_eq!(
            parse_relative_date(" Yesterday ", today),
            Ok(d("2025-03-30"))
        );
        assert_eq!(parse_relative_date("+3d", today), Ok(d("2025-04-03")));
        assert_eq!(parse_relative_date("-2d", today), Ok(d("2025-03-29")));
        assert_eq!(parse_relative_date("+1w", today), Ok(d("2025-04-07")));
        assert_eq!(parse_relative_date("-2", today), Ok(d("2025-03-29")));
    }

    #[test]
    fn written_dates_are_read_in_both_forms() {
        let today = d("2025-03-31");
        assert_eq!(
            parse_relative_date("2025-04-07", today),
            Ok(d("2025-04-07"))
        );
        assert_eq!(
            parse_relative_date("07/04/2025", today),
            Ok(d("2025-04-07"))
        );
    }

    #[test]
    fn nonsense_says_what_a_date_looks_like() {
        let today = d("2025-03-31");
        let e = parse_relative_date("next tuesday", today).unwrap_err();
        assert!(e.contains("YYYY-MM-DD") && e.contains("+3d"), "{e}");
        assert!(parse_relative_date("+3y", today)
            .unwrap_err()
            .contains("offset"));
        assert!(parse_relative_date("+", today).is_err());
        assert!(parse_relative_date("+99999999999d", today).is_err());
        assert!(parse_relative_date("", today)
            .unwrap_err()
            .contains("give a date"));
        let long = "9".repeat(5000);
        assert!(parse_relative_date(&long, today).unwrap_err().len() < 120);
    }

    #[test]
    fn times_are_read_on_the_24_hour_clock() {
        assert_eq!(parse_time("9:30"), Ok("09:30".to_string()));
        assert_eq!(parse_time("1430"), Ok("14:30".to_string()));
        assert_eq!(parse_time("14.05"), Ok("14:05".to_string()));
        assert!(parse_time("25:00").unwrap_err().contains("HH:MM"));
        assert!(parse_time("half past").is_err());
    }
}
