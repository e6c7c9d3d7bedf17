//! Go's two-step params decode (AS-GEN-6, WIRE-13): generic value, re-encode, typed decode.
//!
//! The frame arrives as a `serde_json::Value` (numbers already correctly rounded, duplicate keys
//! already collapsed to the last one, as Go's generic map does). What remains to emulate is the
//! typed step: keys visited in sorted byte order (the re-encode sorts them), matched to fields
//! case-insensitively, each match overwriting the field; `null` leaves scalars untouched but
//! clears slices and pointers; numbers were doubles and are re-read from Go's float text.

use super::amount::{self, Dec, DecimalError};
use super::gojson;
use serde_json::Value;

/// Why the typed decode failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Clearnode fails with its "failed to parse parameters" text.
    Invalid,
    /// Clearnode accepts it, but the value is outside what the model handles.
    OutOfModelRange,
}

pub type Parsed<T> = Result<T, ParseError>;

/// Go's key matching: exact, else Unicode simple case folding. For ASCII field names the only
/// non-ASCII spellings that fold onto them are KELVIN SIGN (k) and LATIN SMALL LETTER LONG S (s).
pub fn key_is(key: &str, field: &str) -> bool {
    // Both folding characters take more bytes than the letter they fold to, so a key of the
    // field's length matches only ASCII-case-insensitively, and a shorter one never. Keys are
    // usually spelled exactly: a plain comparison first.
    if key.len() == field.len() {
        return key == field || key.eq_ignore_ascii_case(field);
    }
    if key.len() < field.len() || key.is_ascii() {
        return false;
    }
    let mut k = key.chars().map(|c| match c {
        '\u{212a}' => 'k',
        '\u{17f}' => 's',
        c => c.to_ascii_lowercase(),
    });
    let mut f = field.chars().map(|c| c.to_ascii_lowercase());
    loop {
        match (k.next(), f.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Visits an object's members in Go's typed-decode order. `null` decodes to nothing; anything
/// else that is not an object is a type error.
pub fn each_member<'v>(
    v: &'v Value,
    mut f: impl FnMut(&'v str, &'v Value) -> Parsed<()>,
) -> Parsed<()> {
    match v {
        Value::Null => Ok(()),
        Value::Object(map) => {
            // Order matters only between keys that match the same field; without such a pair
            // (the usual case) map order is as good as Go's sorted order.
            let plain = map.keys().all(|k| k.is_ascii())
                && map.len() <= 16
                && !map
                    .keys()
                    .enumerate()
                    .any(|(i, a)| map.keys().skip(i + 1).any(|b| a.eq_ignore_ascii_case(b)));
            if plain {
                for (k, v) in map {
                    f(k, v)?;
                }
                return Ok(());
            }
            let mut keys: Vec<(&'v str, &'v Value)> =
                map.iter().map(|(k, v)| (k.as_str(), v)).collect();
            if keys.windows(2).any(|w| w[0].0 > w[1].0) {
                keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
            }
            for (k, v) in keys {
                f(k, v)?;
            }
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// A Go `string` field.
pub fn string(dst: &mut String, v: &Value) -> Parsed<()> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            dst.clone_from(s);
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// A Go `string` field borrowed from the params (no copy; for fields only read in the step).
pub fn str<'v>(dst: &mut &'v str, v: &'v Value) -> Parsed<()> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            *dst = s;
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// A Go `*string` field: `null` clears it.
pub fn opt_string(dst: &mut Option<String>, v: &Value) -> Parsed<()> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        Value::String(s) => {
            *dst = Some(s.clone());
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// 2^53: integers up to here survive the trip through a double unchanged.
const EXACT_IN_DOUBLE: u64 = 1 << 53;

/// every JSON number went through a double; integers above 2^53 (a nonce) and long
/// amounts come back rounded.
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_f64().map(gojson::float_text),
        _ => None,
    }
}

/// A Go unsigned integer field of at most `max` (AS-DEF-2): the double's Go text must parse.
pub fn uint(dst: &mut u64, v: &Value, max: u64) -> Parsed<()> {
    if v.is_null() {
        return Ok(());
    }
    // An integer up to 2^53 is its own double, and Go's text of it is its digits.
    if let Some(n) = v.as_u64().filter(|n| *n <= EXACT_IN_DOUBLE) {
        if n > max {
            return Err(ParseError::Invalid);
        }
        *dst = n;
        return Ok(());
    }
    let text = number_text(v).ok_or(ParseError::Invalid)?;
    match amount::go_uint(&text) {
        Some(n) if n <= max => {
            *dst = n;
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// A Go `int64` field (weights).
pub fn int64(dst: &mut i64, v: &Value) -> Parsed<()> {
    if v.is_null() {
        return Ok(());
    }
    if let Some(n) = v.as_i64().filter(|n| n.unsigned_abs() <= EXACT_IN_DOUBLE) {
        *dst = n;
        return Ok(());
    }
    let text = number_text(v).ok_or(ParseError::Invalid)?;
    *dst = amount::go_int64(&text).ok_or(ParseError::Invalid)?;
    Ok(())
}

/// A shopspring `decimal.Decimal` field (AS-AMT-1, AS-AMT-3, Q-33).
pub fn decimal(dst: &mut Dec, v: &Value) -> Parsed<()> {
    let parsed = match v {
        Value::Null => return Ok(()),
        Value::String(s) => amount::parse_decimal(s),
        Value::Number(_) => amount::parse_decimal(&number_text(v).ok_or(ParseError::Invalid)?),
        _ => return Err(ParseError::Invalid),
    };
    match parsed {
        Ok(d) => {
            *dst = d;
            Ok(())
        }
        Err(DecimalError::Invalid(_)) => Err(ParseError::Invalid),
        Err(DecimalError::OutOfModelRange) => Err(ParseError::OutOfModelRange),
    }
}

/// A Go slice field. Go decodes a later array into the existing elements (so a repeated key
/// merges element-wise), `[]` gives an empty non-nil slice and `null` a nil one.
pub fn slice<'v, T: Default>(
    dst: &mut Option<Vec<T>>,
    v: &'v Value,
    mut elem: impl FnMut(&mut T, &'v Value) -> Parsed<()>,
) -> Parsed<()> {
    match v {
        Value::Null => {
            *dst = None;
            Ok(())
        }
        Value::Array(items) => {
            let mut out = dst.take().unwrap_or_default();
            out.truncate(items.len());
            for (i, item) in items.iter().enumerate() {
                if i == out.len() {
                    out.push(T::default());
                }
                elem(&mut out[i], item)?;
            }
            *dst = Some(out);
            Ok(())
        }
        _ => Err(ParseError::Invalid),
    }
}

/// Rejects params that are not an object (or null) without decoding any field, for handlers
/// whose struct has no field the model needs.
pub fn object_or_null(v: &Value) -> Parsed<()> {
    each_member(v, |_, _| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default, Debug)]
    struct P {
        name: String,
        n: u64,
        w: Option<Vec<i64>>,
        d: Dec,
        s: Option<String>,
    }

    fn decode(v: &Value) -> Parsed<P> {
        let mut p = P::default();
        each_member(v, |k, v| {
            if key_is(k, "name") {
                string(&mut p.name, v)
            } else if key_is(k, "n") {
                uint(&mut p.n, v, u64::MAX)
            } else if key_is(k, "w") {
                slice(&mut p.w, v, int64)
            } else if key_is(k, "d") {
                decimal(&mut p.d, v)
            } else if key_is(k, "session") {
                opt_string(&mut p.s, v)
            } else {
                Ok(())
            }
        })?;
        Ok(p)
    }

    #[test]
    fn as_gen_6_case_insensitive_keys_lower_case_wins() {
        let p = decode(&json!({"NAME": "a", "name": "b", "Name": "c"})).unwrap();
        assert_eq!(p.name, "b");
        let p = decode(&json!({"nAmE": "x"})).unwrap();
        assert_eq!(p.name, "x");
        let p = decode(&json!({"\u{17f}ession": "long s"})).unwrap();
        assert_eq!(p.s.as_deref(), Some("long s"));
    }

    #[test]
    fn as_gen_6_null_is_a_no_op_for_scalars_and_clears_slices() {
        let p = decode(&json!({"N": 5, "n": null, "W": [1, 2], "w": null})).unwrap();
        assert_eq!(p.n, 5);
        assert_eq!(p.w, None);
        let p = decode(&json!({"W": [1, 2], "w": [null, 7]})).unwrap();
        assert_eq!(p.w, Some(vec![1, 7]));
        let p = decode(&json!({"w": []})).unwrap();
        assert_eq!(p.w, Some(vec![]));
    }

    #[test]
    fn as_gen_6_type_errors() {
        assert!(decode(&json!([])).is_err());
        assert!(decode(&json!("x")).is_err());
        assert!(decode(&json!({"n": "2"})).is_err());
        assert!(decode(&json!({"n": -1})).is_err());
        assert!(decode(&json!({"n": 1.5})).is_err());
        assert!(decode(&json!({"n": 1e21})).is_err());
        assert!(decode(&json!({"n": -0.0})).is_err());
        assert!(decode(&json!({"name": 1})).is_err());
        assert!(decode(&json!({"session": {}})).is_err());
        assert!(decode(&json!({"d": true})).is_err());
        assert!(decode(&json!({"d": ""})).is_err());
        assert!(decode(&json!({"N": "x", "n": 1})).is_err());
    }

    #[test]
    fn as_def_2_integer_rounding() {
        assert_eq!(decode(&json!({"n": 1e3})).unwrap().n, 1000);
        assert_eq!(decode(&json!({"n": 2.0})).unwrap().n, 2);
        assert_eq!(
            decode(&json!({"n": 9007199254740993u64})).unwrap().n,
            9007199254740992
        );
        assert_eq!(decode(&json!({"n": 1.7e9})).unwrap().n, 1_700_000_000);
        assert_eq!(decode(&json!({"w": [-0.0]})).unwrap().w, Some(vec![0]));
        assert!(decode(&json!({"n": 18446744073709551615u64})).is_err());
    }

    #[test]
    fn as_amt_3_numbers_pass_through_a_double() {
        assert_eq!(
            amount::render(&decode(&json!({"d": 0.1})).unwrap().d),
            "0.1"
        );
        assert_eq!(
            amount::render(
                &decode(&json!({"d": 123456789012345678901u128 as f64}))
                    .unwrap()
                    .d
            ),
            "123456789012345680000"
        );
        assert_eq!(
            amount::render(&decode(&json!({"d": 1e-7})).unwrap().d),
            "0.0000001"
        );
        assert_eq!(
            amount::render(&decode(&json!({"d": "1e3"})).unwrap().d),
            "1000"
        );
        assert_eq!(amount::render(&decode(&json!({"d": -0.0})).unwrap().d), "0");
    }
}
