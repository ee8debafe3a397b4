//! A figure's value, and the integer arithmetic that keeps figures byte-identical from run to
//! run (percentages and means are kept in tenths, never as floating-point sums).

use serde::{Serialize, Serializer};

/// One figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A whole number (a count, or days).
    Int(i64),
    /// A number with one decimal place, held in tenths: `Tenths(667)` is 66.7.
    Tenths(i64),
    /// A small count (or something derived from one) withheld: written `*`.
    Suppressed,
    /// Nothing to show (a percentage of nothing, the mean of no values): written empty/null.
    Missing,
}

impl Value {
    /// The number, when there is one.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(i as f64),
            Value::Tenths(t) => Some(t as f64 / 10.0),
            _ => None,
        }
    }

    /// As text for CSV: `12`, `66.7`, `*`, or empty.
    pub fn to_text(self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Tenths(t) => {
                let sign = if t < 0 { "-" } else { "" };
                format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10)
            }
            Value::Suppressed => "*".into(),
            Value::Missing => String::new(),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Int(i) => s.serialize_i64(i),
            Value::Tenths(t) => s.serialize_f64(t as f64 / 10.0),
            Value::Suppressed => s.serialize_str("*"),
            Value::Missing => s.serialize_none(),
        }
    }
}

/// `a / b` rounded half away from zero; `b` must be positive.
pub fn round_div(a: i64, b: i64) -> i64 {
    if b <= 0 {
        return 0;
    }
    let (a2, b2) = (i128::from(a) * 2, i128::from(b) * 2);
    let q = if a >= 0 {
        (a2 + i128::from(b)) / b2
    } else {
        -((-a2 + i128::from(b)) / b2)
    };
    q as i64
}

/// `numerator / denominator` as a percentage to one decimal place; missing when the
/// denominator is zero.
pub fn percentage_tenths(numerator: i64, denominator: i64) -> Value {
    if denominator == 0 {
        Value::Missing
    } else {
        Value::Tenths(round_div(numerator * 1000, denominator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_away_from_zero_in_tenths() {
        assert_eq!(percentage_tenths(2, 3), Value::Tenths(667));
        assert_eq!(percentage_tenths(1, 3), Value::Tenths(333));
        assert_eq!(percentage_tenths(1, 8), Value::Tenths(125));
        assert_eq!(percentage_tenths(1, 16), Value::Tenths(63)); // 6.25 -> 6.3
        assert_eq!(percentage_tenths(5, 5), Value::Tenths(1000));
        assert_eq!(percentage_tenths(0, 0), Value::Missing);
        assert_eq!(round_div(-15, 10), -2);
        assert_eq!(round_div(-14, 10), -1);
    }

    #[test]
    fn values_write_as_numbers_star_or_null() {
        let v = vec![
            Value::Int(12),
            Value::Tenths(667),
            Value::Tenths(1000),
            Value::Suppressed,
            Value::Missing,
        ];
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[12,66.7,100.0,"*",null]"#
        );
        assert_eq!(Value::Tenths(-5).to_text(), "-0.5");
        assert_eq!(Value::Tenths(667).to_text(), "66.7");
    }
}
