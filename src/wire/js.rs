//! JSON as JavaScript sees it: the value `JSON.parse` gives and the text `JSON.stringify`
//! writes. The official SDK builds every request with `JSON.stringify` (SIG-9), so
//! `nitrocert request`, which promises the SDK's bytes, writes by these rules, not by
//! serde_json's (the harness's own requests keep serde_json's forms on purpose, see
//! [`super::encode_req`]):
//! - a number is an IEEE double printed as ECMAScript's Number::toString (shortest round-trip
//!   digits, plain decimal for 1e-7 < |x| < 1e21, `-0` as `0`; `ryu-js` implements it);
//!   a non-finite number (`1e400` parses as Infinity) is written `null`;
//! - a string is a sequence of UTF-16 code units: a lone surrogate is legal and is written as
//!   a lowercase `\udXXX` escape (well-formed `JSON.stringify`, ES2019);
//! - an object lists its integer-index keys ("0", "7", … up to 2^32 − 2) first, ascending,
//!   then the other keys in creation order; a duplicate key keeps its first position and its
//!   last value.
//!
//! Parsing reuses serde_json's lexer (syntax, escapes, numbers' grammar) through `RawValue`;
//! strings are read with `deserialize_bytes`, which keeps lone surrogates (as WTF-8).

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt::Write as _;

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 512;

/// One JSON value as JavaScript holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    Null,
    Bool(bool),
    Number(f64),
    /// UTF-16 code units, lone surrogates included.
    String(Vec<u16>),
    Array(Vec<JsValue>),
    /// Members in creation order; a repeated key was replaced in place.
    Object(Vec<(Vec<u16>, JsValue)>),
}

/// Why params text is not something `JSON.parse` accepts.
#[derive(Debug, thiserror::Error)]
pub enum JsParseError {
    #[error("{0}")]
    Syntax(#[from] serde_json::Error),
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// `JSON.parse(text)`.
pub fn parse(text: &str) -> Result<JsValue, JsParseError> {
    let raw: &RawValue = serde_json::from_str(text)?;
    parse_raw(raw, 0)
}

fn parse_raw(raw: &RawValue, depth: usize) -> Result<JsValue, JsParseError> {
    if depth > MAX_DEPTH {
        return Err(JsParseError::TooDeep);
    }
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => JsValue::String(string_units(text)?),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            let items = items.into_iter().map(|item| parse_raw(item, depth + 1));
            JsValue::Array(items.collect::<Result<_, _>>()?)
        }
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(text);
            let members = de.deserialize_map(MembersVisitor)?;
            let mut object = Vec::with_capacity(members.len());
            for (key, value) in members {
                insert(
                    &mut object,
                    wtf8_to_utf16(&key),
                    parse_raw(value, depth + 1)?,
                );
            }
            JsValue::Object(object)
        }
        Some(b't') => JsValue::Bool(true),
        Some(b'f') => JsValue::Bool(false),
        Some(b'n') => JsValue::Null,
        // The lexer checked the number grammar; Rust's parse rounds to nearest as
        // JSON.parse does and gives ±Infinity past the double range.
        _ => JsValue::Number(text.parse().unwrap_or(f64::NAN)),
    })
}

/// CreateDataProperty: a repeated key keeps its place and takes the new value.
fn insert(object: &mut Vec<(Vec<u16>, JsValue)>, key: Vec<u16>, value: JsValue) {
    match object.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => object.push((key, value)),
    }
}

/// Members of one object, keys as WTF-8 bytes, in document order with duplicates.
struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Vec<u8>, &'de RawValue)>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Wtf8>()? {
            out.push((key.0, map.next_value::<&RawValue>()?));
        }
        Ok(out)
    }
}

/// A JSON string read as bytes: serde_json then accepts lone surrogates and writes them as
/// WTF-8.
struct Wtf8(Vec<u8>);

impl<'de> serde::Deserialize<'de> for Wtf8 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = Wtf8;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON string")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Wtf8, E> {
                Ok(Wtf8(v.to_vec()))
            }
        }
        d.deserialize_bytes(BytesVisitor)
    }
}

fn string_units(text: &str) -> Result<Vec<u16>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let bytes: Wtf8 = serde::Deserialize::deserialize(&mut de)?;
    Ok(wtf8_to_utf16(&bytes.0))
}

/// WTF-8 (UTF-8 that may encode surrogates) to UTF-16 code units.
fn wtf8_to_utf16(mut bytes: &[u8]) -> Vec<u16> {
    let mut units = Vec::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                units.extend(valid.encode_utf16());
                return units;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                units.extend(
                    std::str::from_utf8(valid)
                        .unwrap_or_default()
                        .encode_utf16(),
                );
                // serde_json only ever writes a surrogate here: 0xED, 0xA0..=0xBF, 0x80..=0xBF.
                let [b0, b1, b2, ..] = *rest else {
                    units.push(0xFFFD);
                    return units;
                };
                units.push(
                    (u16::from(b0 & 0x0F) << 12)
                        | (u16::from(b1 & 0x3F) << 6)
                        | u16::from(b2 & 0x3F),
                );
                bytes = &rest[3..];
            }
        }
    }
}

/// The value Go's encoding/json decodes from `text`: serde_json's, except that a lone
/// surrogate, which serde_json refuses, becomes U+FFFD as Go makes it. Numbers are read by
/// serde_json (exact integers; a number past the double range fails, as in Go).
pub fn go_value(text: &str) -> Result<Value, JsParseError> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(_) => go_raw(serde_json::from_str(text)?, 0),
    }
}

fn go_raw(raw: &RawValue, depth: usize) -> Result<Value, JsParseError> {
    if depth > MAX_DEPTH {
        return Err(JsParseError::TooDeep);
    }
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => Value::String(String::from_utf16_lossy(&string_units(text)?)),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            let items = items.into_iter().map(|item| go_raw(item, depth + 1));
            Value::Array(items.collect::<Result<_, _>>()?)
        }
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(text);
            let mut object = serde_json::Map::new();
            for (key, value) in de.deserialize_map(MembersVisitor)? {
                let key = String::from_utf16_lossy(&wtf8_to_utf16(&key));
                object.insert(key, go_raw(value, depth + 1)?);
            }
            Value::Object(object)
        }
        _ => serde_json::from_str(text)?,
    })
}

/// `JSON.stringify(value)`: compact, by the rules in the module comment.
pub fn stringify(value: &JsValue) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &JsValue) {
    match value {
        JsValue::Null => out.push_str("null"),
        JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsValue::Number(x) => write_number(out, *x),
        JsValue::String(units) => write_string(out, units),
        JsValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        JsValue::Object(members) => write_object(out, members),
    }
}

/// Number::toString for finite doubles, `null` otherwise (SerializeJSONProperty step 9).
pub fn write_number(out: &mut String, x: f64) {
    if x.is_finite() {
        out.push_str(ryu_js::Buffer::new().format_finite(x));
    } else {
        out.push_str("null");
    }
}

/// OrdinaryOwnPropertyKeys: integer indices ascending, then the rest in creation order.
fn write_object(out: &mut String, members: &[(Vec<u16>, JsValue)]) {
    let mut indexed: Vec<(u32, &(Vec<u16>, JsValue))> = members
        .iter()
        .filter_map(|m| array_index(&m.0).map(|i| (i, m)))
        .collect();
    indexed.sort_by_key(|(i, _)| *i);
    let named = members.iter().filter(|m| array_index(&m.0).is_none());
    out.push('{');
    for (n, (key, value)) in indexed.into_iter().map(|(_, m)| m).chain(named).enumerate() {
        if n > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

/// A canonical numeric string of an integer below 2^32 − 1 ("0", "42"; not "01" or "-1").
fn array_index(key: &[u16]) -> Option<u32> {
    let digits = key
        .iter()
        .all(|&u| (u16::from(b'0')..=u16::from(b'9')).contains(&u));
    if key.is_empty() || !digits || (key.len() > 1 && key[0] == u16::from(b'0')) || key.len() > 10 {
        return None;
    }
    let n = key
        .iter()
        .fold(0u64, |n, &u| n * 10 + u64::from(u - u16::from(b'0')));
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

/// QuoteJSONString: `"` and `\` escaped, \b \t \n \f \r by name, other controls and lone
/// surrogates as lowercase \uXXXX, everything else as is.
pub fn write_string(out: &mut String, units: &[u16]) {
    out.push('"');
    for unit in char::decode_utf16(units.iter().copied()) {
        match unit {
            Ok('"') => out.push_str("\\\""),
            Ok('\\') => out.push_str("\\\\"),
            Ok('\u{8}') => out.push_str("\\b"),
            Ok('\t') => out.push_str("\\t"),
            Ok('\n') => out.push_str("\\n"),
            Ok('\u{c}') => out.push_str("\\f"),
            Ok('\r') => out.push_str("\\r"),
            Ok(c) if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            Ok(c) => out.push(c),
            Err(lone) => {
                let _ = write!(out, "\\u{:04x}", lone.unpaired_surrogate());
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    //! Expected texts come from Node's JSON.stringify (tests/data/kat/js-json.mjs wrote
    //! tests/data/kat/js-json.json), never from this module.
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Kat {
        numbers: Vec<NumberCase>,
        parsed: Vec<TextCase>,
    }
    #[derive(Deserialize)]
    struct NumberCase {
        bits: String,
        js: String,
    }
    #[derive(Deserialize)]
    struct TextCase {
        text: String,
        js: String,
    }

    fn kat() -> Kat {
        serde_json::from_str(include_str!("../../tests/data/kat/js-json.json")).unwrap()
    }

    fn double(bits: &str) -> f64 {
        f64::from_bits(u64::from_str_radix(bits.trim_start_matches("0x"), 16).unwrap())
    }

    #[test]
    fn numbers_are_written_as_number_to_string() {
        let kat = kat();
        assert!(kat.numbers.len() > 500);
        for case in &kat.numbers {
            let x = double(&case.bits);
            assert_eq!(
                stringify(&JsValue::Number(x)),
                case.js,
                "{} ({x:e})",
                case.bits
            );
        }
    }

    #[test]
    fn typed_text_is_parsed_as_json_parse_and_written_as_json_stringify() {
        for case in kat().parsed {
            let value = parse(&case.text).unwrap_or_else(|e| panic!("{}: {e}", case.text));
            assert_eq!(stringify(&value), case.js, "text {}", case.text);
        }
    }

    #[test]
    fn lone_surrogates_decode_as_go_does_with_u_fffd() {
        let text = r#"{"a":"x\ud800y","\udc00":[12345678901234567890, 1.5, 2],"a":"z"}"#;
        assert_eq!(
            go_value(text).unwrap(),
            serde_json::json!({"a": "z", "\u{FFFD}": [12345678901234567890u64, 1.5, 2]})
        );
        // Go cannot decode a number past the double range into `any` (AS-AMT-3).
        assert!(go_value(r#"["\ud800", 1e400]"#).is_err());
        assert!(go_value(r#"[1e400]"#).is_err());
    }

    #[test]
    fn refuses_what_json_parse_refuses_and_absurd_nesting() {
        for text in [
            "", "{", "[1,]", "{'a':1}", "01", "1.", "\"\\x\"", "NaN", "[1] x",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert!(matches!(parse(&deep), Err(JsParseError::TooDeep)));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(stringify(&parse(&ok).unwrap()), ok);
    }
}
