//! Identifiers two offline laptops can create without colliding.
//!
//! Every row gets a UUID v7 as text (time-ordered, 74 random bits). A young person also gets a
//! short human reference such as `YP-7K3MQ-9QX2C`: nine Crockford base-32 symbols (45 random
//! bits) and a Luhn mod-32 check symbol, so any single mistyped symbol and most swaps of two
//! neighbours are caught. The local UNIQUE index catches the rare local clash; the check symbol
//! catches typing errors at the desk.

use uuid::Uuid;

/// A fresh globally unique row ID (UUID v7, hyphenated lower-case text).
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_LEN: usize = 9;

fn value_of(c: char) -> Option<u32> {
    // Crockford's decoding: case-insensitive, O reads as 0, I and L read as 1.
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u32)
}

/// The Luhn mod-32 check symbol for `data` (values 0..32).
fn check_value(data: &[u32]) -> u32 {
    let n = 32;
    let mut factor = 2;
    let mut sum = 0;
    for &v in data.iter().rev() {
        let mut addend = factor * v;
        factor = if factor == 2 { 1 } else { 2 };
        addend = addend / n + addend % n;
        sum += addend;
    }
    (n - sum % n) % n
}

/// A new reference from 45 random bits, e.g. `YP-7K3MQ-9QX2C`.
pub fn new_reference() -> String {
    let bits = u128::from_be_bytes(*Uuid::new_v4().as_bytes());
    reference_from_bits(bits as u64)
}

/// The reference built from the low 45 bits of `bits` (deterministic: the demo uses it).
pub fn reference_from_bits(bits: u64) -> String {
    let mut data = [0u32; DATA_LEN];
    for (i, slot) in data.iter_mut().enumerate() {
        *slot = ((bits >> (5 * i)) & 31) as u32;
    }
    let check = check_value(&data);
    let sym = |v: u32| ALPHABET[v as usize] as char;
    let mut s = String::from("YP-");
    for (i, v) in data.iter().enumerate() {
        if i == 5 {
            s.push('-');
        }
        s.push(sym(*v));
    }
    s.push(sym(check));
    s
}

/// Why a typed reference was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceError {
    /// Wrong number of symbols, or a character outside the alphabet.
    Malformed,
    /// Well-formed but the check symbol does not match: a typing error.
    CheckFailed,
}

impl std::fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReferenceError::Malformed => write!(
                f,
                "a reference looks like YP-7K3MQ-9QX2C: YP then ten letters or digits"
            ),
            ReferenceError::CheckFailed => write!(
                f,
                "that reference fails its check character: a symbol is probably mistyped"
            ),
        }
    }
}

/// Reads a reference as a person might type it (any case, with or without `YP` and dashes,
/// O for 0, I or L for 1) and returns it in its canonical form.
pub fn parse_reference(typed: &str) -> Result<String, ReferenceError> {
    let mut t: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    // `get` rather than indexing: the first character may be several bytes long.
    if t.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("YP")) {
        t.drain(..2);
    }
    if t.chars().count() != DATA_LEN + 1 {
        return Err(ReferenceError::Malformed);
    }
    let values: Option<Vec<u32>> = t.chars().map(value_of).collect();
    let values = values.ok_or(ReferenceError::Malformed)?;
    let (data, check) = values.split_at(DATA_LEN);
    if check_value(data) != check[0] {
        return Err(ReferenceError::CheckFailed);
    }
    let sym = |v: u32| ALPHABET[v as usize] as char;
    let mut s = String::from("YP-");
    for (i, v) in values.iter().enumerate() {
        if i == 5 {
            s.push('-');
        }
        s.push(sym(*v));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reference_parses_back_to_itself() {
        for _ in 0..200 {
            let r = new_reference();
            assert_eq!(r.len(), 14, "{r}");
            assert_eq!(parse_reference(&r).unwrap(), r);
        }
    }

    #[test]
    fn a_reference_is_read_loosely_as_typed() {
        let r = reference_from_bits(0x1234_5678_9abc);
        let typed = r.to_lowercase().replace('-', " ");
        assert_eq!(parse_reference(&typed).unwrap(), r);
        let no_prefix = r.trim_start_matches("YP-").replace('-', "");
        assert_eq!(parse_reference(&no_prefix).unwrap(), r);
    }

    #[test]
    fn every_single_symbol_mistype_is_caught() {
        let r = reference_from_bits(0x0bad_cafe_f00d);
        let body: Vec<char> = r.chars().filter(|c| *c != '-').skip(2).collect();
        for i in 0..body.len() {
            for &a in ALPHABET.iter() {
                let a = a as char;
                if a == body[i] {
                    continue;
                }
                let mut typo = body.clone();
                typo[i] = a;
                let typed: String = typo.into_iter().collect();
                assert_eq!(
                    parse_reference(&typed),
                    Err(ReferenceError::CheckFailed),
                    "{typed} should fail its check"
                );
            }
        }
    }

    #[test]
    fn adjacent_swaps_are_caught() {
        let r = reference_from_bits(0x1f2e_3d4c_5b6a);
        let body: Vec<char> = r.chars().filter(|c| *c != '-').skip(2).collect();
        for i in 0..body.len() - 1 {
            if body[i] == body[i + 1] {
                continue;
            }
            let mut swapped = body.clone();
            swapped.swap(i, i + 1);
            let typed: String = swapped.into_iter().collect();
            assert!(parse_reference(&typed).is_err(), "{typed} should be caught");
        }
    }

    #[test]
    fn junk_is_malformed() {
        assert_eq!(parse_reference("hello"), Err(ReferenceError::Malformed));
        assert_eq!(parse_reference(""), Err(ReferenceError::Malformed));
        assert_eq!(
            parse_reference("YP-ÄÄÄÄÄ-ÄÄÄÄÄ"),
            Err(ReferenceError::Malformed)
        );
    }
}
