//! A JSON object read as its members in document order, duplicates kept, each value as raw
//! text: what Go's decoder sees, so envelope rules about member order, duplicates and
//! case-insensitive names (WIRE-8, WIRE-15) can be reproduced.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of one JSON object, in order.
#[derive(Debug)]
pub struct Members(pub Vec<(String, Box<RawValue>)>);

/// What the top level of a frame turned out to be.
#[derive(Debug)]
pub enum TopLevel {
    Object(Members),
    Null,
    /// A valid JSON value that is not an object (array, string, number, bool).
    Other,
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push((key, value));
                }
                Ok(Members(out))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Reads the top level of `text`; `Err` only for text that is not one JSON value (syntax
/// errors, trailing bytes).
pub fn read_top_level(text: &str) -> Result<TopLevel, serde_json::Error> {
    let raw: Box<RawValue> = serde_json::from_str(text)?;
    let trimmed = raw.get().trim_start();
    if trimmed.starts_with('{') {
        Ok(TopLevel::Object(serde_json::from_str(raw.get())?))
    } else if trimmed == "null" {
        Ok(TopLevel::Null)
    } else {
        Ok(TopLevel::Other)
    }
}

/// The elements of a JSON array given as raw text, or `None` if it is not an array.
pub fn array_elements(raw: &RawValue) -> Option<Vec<Box<RawValue>>> {
    if !raw.get().trim_start().starts_with('[') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// A JSON integer that fits u64 (no sign, fraction or exponent), as Go decodes into uint64.
pub fn as_u64(raw: &RawValue) -> Option<u64> {
    let text = raw.get().trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A JSON string's decoded value.
pub fn as_string(raw: &RawValue) -> Option<String> {
    if !raw.get().trim_start().starts_with('"') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

pub fn is_null(raw: &RawValue) -> bool {
    raw.get().trim() == "null"
}
