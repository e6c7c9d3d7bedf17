//! Small builders for request params, so catalogue scripts read like the spec's examples.

use serde_json::{json, Value};

/// `definition` with the keys in the SDK's order.
pub fn definition(
    application: &str,
    protocol: &str,
    participants: &[&str],
    weights: &[i64],
    quorum: u64,
    nonce: u64,
) -> Value {
    json!({
        "application": application,
        "protocol": protocol,
        "participants": participants,
        "weights": weights,
        "quorum": quorum,
        "challenge": 0,
        "nonce": nonce,
    })
}

/// One allocation row.
pub fn row(participant: &str, asset: &str, amount: &str) -> Value {
    json!({"participant": participant, "asset": asset, "amount": amount})
}

/// `create_app_session` params.
pub fn create(definition: Value, allocations: Vec<Value>, session_data: Option<&str>) -> Value {
    let mut params = json!({"definition": definition, "allocations": allocations});
    if let Some(data) = session_data {
        params["session_data"] = json!(data);
    }
    params
}

/// `submit_app_state` params for NitroRPC/0.4 (`intent`, `version`).
pub fn submit_v04(session: &str, intent: &str, version: u64, allocations: Vec<Value>) -> Value {
    json!({"app_session_id": session, "intent": intent, "version": version, "allocations": allocations})
}

/// `submit_app_state` params for NitroRPC/0.2 (no intent, no version).
pub fn submit_v02(session: &str, allocations: Vec<Value>) -> Value {
    json!({"app_session_id": session, "allocations": allocations})
}

/// `close_app_session` params.
pub fn close(session: &str, allocations: Vec<Value>) -> Value {
    json!({"app_session_id": session, "allocations": allocations})
}

/// The app_session_id the model derives for a definition built by [`definition`] (AS-ID).
pub fn session_id(definition: &Value) -> String {
    let participants: Vec<String> = definition["participants"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let weights: Vec<i64> = definition["weights"]
        .as_array()
        .map(|a| a.iter().map(|w| w.as_i64().unwrap_or(0)).collect())
        .unwrap_or_default();
    crate::model::gojson::DefinitionBytes {
        application: definition["application"].as_str().unwrap_or(""),
        protocol: definition["protocol"].as_str().unwrap_or(""),
        participants: &participants,
        weights: &weights,
        quorum: definition["quorum"].as_u64().unwrap_or(0),
        challenge: definition["challenge"].as_u64().unwrap_or(0),
        nonce: definition["nonce"].as_u64().unwrap_or(0),
    }
    .session_id()
}

/// The bytes a broker hashes into the app_session_id of the `definition` a create sends
/// (AS-ID-1, AS-ID-2): Go's JSON of the fields Go decodes from it (keys matched as Go matches
/// them, absent ones zero). `None` when Go would not decode it (the create fails before any id
/// exists).
pub fn definition_bytes(definition: &Value) -> Option<String> {
    use crate::model::params::{self, key_is};
    let (mut application, mut protocol) = (String::new(), String::new());
    let (mut participants, mut weights) = (None, None);
    let (mut quorum, mut challenge, mut nonce) = (0, 0, 0);
    params::each_member(definition, |k, v| {
        if key_is(k, "application") {
            params::string(&mut application, v)
        } else if key_is(k, "protocol") {
            params::string(&mut protocol, v)
        } else if key_is(k, "participants") {
            params::slice(&mut participants, v, params::string)
        } else if key_is(k, "weights") {
            params::slice(&mut weights, v, params::int64)
        } else if key_is(k, "quorum") {
            params::uint(&mut quorum, v, u64::MAX)
        } else if key_is(k, "challenge") {
            params::uint(&mut challenge, v, u64::MAX)
        } else if key_is(k, "nonce") {
            params::uint(&mut nonce, v, u64::MAX)
        } else {
            Ok(())
        }
    })
    .ok()?;
    let bytes = crate::model::gojson::DefinitionBytes {
        application: &application,
        protocol: &protocol,
        participants: &participants.unwrap_or_default(),
        weights: &weights.unwrap_or_default(),
        quorum,
        challenge,
        nonce,
    };
    Some(bytes.encode())
}
