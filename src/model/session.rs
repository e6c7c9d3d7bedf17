//! The app-session record (AS-MODEL-2) and the JSON shapes it is shown in.

use super::clock;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(s.clone())).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }
}

/// One row of `app_sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSession {
    pub id: String,
    pub protocol: String,
    pub application: String,
    /// Request strings, in order, duplicates kept.
    pub participants: Vec<String>,
    pub weights: Vec<i64>,
    /// The stored value: 0 became 100.
    pub quorum: u64,
    pub challenge: u64,
    pub nonce: u64,
    pub session_data: String,
    pub version: u64,
    pub status: Status,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// Creation order, for a stable order among equal `updated_at` values.
    pub seq: u64,
}

pub const PROTOCOL_02: &str = "NitroRPC/0.2";
pub const PROTOCOL_04: &str = "NitroRPC/0.4";

impl AppSession {
    pub fn is_participant(&self, p: &str) -> bool {
        self.participants.iter().any(|x| x == p)
    }

    /// The weight map of AS-QUORUM-1: with duplicate participants the later index wins.
    pub fn weight_of(&self, wallet: &str) -> Option<i64> {
        self.participants
            .iter()
            .zip(&self.weights)
            .rev()
            .find(|(p, _)| *p == wallet)
            .map(|(_, w)| *w)
    }

    /// The record as `get_app_sessions` (with `application`) or `asu` (always `""`, Q-13) shows it.
    pub fn record_json(&self, with_application: bool) -> Value {
        let mut m = Map::with_capacity(13);
        m.insert("app_session_id".into(), Value::String(self.id.clone()));
        let app = if with_application {
            self.application.as_str()
        } else {
            ""
        };
        m.insert("application".into(), Value::String(app.to_string()));
        m.insert("status".into(), Value::from(self.status.as_str()));
        m.insert("participants".into(), strings(&self.participants));
        if !self.session_data.is_empty() {
            m.insert(
                "session_data".into(),
                Value::String(self.session_data.clone()),
            );
        }
        m.insert("protocol".into(), Value::String(self.protocol.clone()));
        m.insert("challenge".into(), Value::from(self.challenge));
        m.insert(
            "weights".into(),
            self.weights.iter().map(|w| Value::from(*w)).collect(),
        );
        m.insert("quorum".into(), Value::from(self.quorum));
        m.insert("version".into(), Value::from(self.version));
        m.insert("nonce".into(), Value::from(self.nonce));
        m.insert(
            "created_at".into(),
            Value::from(clock::rfc3339(self.created_ms)),
        );
        m.insert(
            "updated_at".into(),
            Value::from(clock::rfc3339(self.updated_ms)),
        );
        Value::Object(m)
    }

    /// `get_app_definition` (AS-READ-2): `application` is never filled.
    pub fn definition_json(&self) -> Value {
        json!({
            "application": "",
            "protocol": self.protocol,
            "participants": self.participants,
            "weights": self.weights,
            "quorum": self.quorum,
            "challenge": self.challenge,
            "nonce": self.nonce,
        })
    }
}

/// The create/submit/close result: the shared response struct with three fields filled and the
/// rest zero-valued (AS-CREATE-5, Q-12).
pub fn short_response(id: &str, status: Status, version: u64) -> Value {
    // Cloning a built object skips hashing its twelve keys (serde_json's map uses SipHash);
    // every create needs this result, even in verdict detail.
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    let mut out = TEMPLATE
        .get_or_init(|| {
            json!({
                "app_session_id": "",
                "application": "",
                "status": "",
                "participants": null,
                "protocol": "",
                "challenge": 0,
                "weights": null,
                "quorum": 0,
                "version": 0,
                "nonce": 0,
                "created_at": "",
                "updated_at": "",
            })
        })
        .clone();
    let Value::Object(m) = &mut out else {
        unreachable!("the template is an object")
    };
    for (k, v) in m.iter_mut() {
        match k.as_str() {
            "app_session_id" => *v = Value::String(id.to_string()),
            "status" => *v = Value::from(status.as_str()),
            "version" => *v = Value::from(version),
            _ => {}
        }
    }
    out
}
