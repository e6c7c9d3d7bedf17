//! `nitrocert-vector/1` → `/2`: a v1 file (shrunk fuzz findings under `vectors/regressions/`,
//! or anyone's) is filled again from its own inputs. Its steps are played on a
//! [`Recorder`] as a script, so the v2 file comes out of the same filler as the catalogue's,
//! and every frame the script sends must be byte for byte the one the v1 file recorded: the
//! migration changes how the case is written, never what it sends.

use super::fill::{fill, Case};
use super::format::{Auth, Connection, SigSpec, Vector, VerifySpec, FORMAT_V1};
use super::recorder::{identity_key, Recorder, START_MS};
use crate::model::ChannelStatus;
use crate::scenario::{Challenge, RawTemplate, Role, SignKind};
use crate::wire::members::{array_elements, read_top_level, TopLevel};
use serde::Deserialize;
use serde_json::Value;

/// A v1 file, as far as migration reads it.
#[derive(Deserialize)]
struct V1 {
    format: String,
    id: String,
    description: String,
    rules: Vec<String>,
    #[serde(default)]
    quirks: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
    protocol: Option<String>,
    setup: V1Setup,
    steps: Vec<V1Step>,
}

#[derive(Deserialize)]
struct V1Setup {
    now_ms: u64,
    identities: Vec<V1Identity>,
    balances: Vec<V1Balance>,
    connections: Vec<Connection>,
}

#[derive(Deserialize)]
struct V1Identity {
    name: String,
    role: Role,
    private_key: String,
}

#[derive(Deserialize)]
struct V1Balance {
    wallet: String,
    asset: String,
    amount: String,
}

#[derive(Deserialize)]
struct V1Step {
    at_ms: u64,
    conn: String,
    action: V1Action,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "snake_case")]
enum V1Action {
    Request {
        method: String,
        signers: Vec<String>,
        wire: String,
        #[serde(default)]
        ts_offset_ms: i64,
    },
    Raw {
        text: String,
        template: Option<V1Template>,
    },
    Authenticate(Auth),
    AuthVerify(V1Verify),
    Channel {
        wallet: String,
        status: String,
        amount: String,
    },
}

#[derive(Deserialize, Clone)]
struct V1Template {
    #[serde(default)]
    req: String,
    #[serde(default)]
    ts_offset_ms: i64,
    #[serde(default)]
    sig: Vec<SigSpec>,
    resend_step: Option<usize>,
}

#[derive(Deserialize, Clone)]
struct V1Verify {
    signer: Option<String>,
    policy_conn: Option<String>,
    challenge: Challenge,
    sign: SignKind,
}

/// The v2 vector of a v1 file's text.
pub fn migrate(text: &str) -> Result<Vector, String> {
    let v1: V1 = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if v1.format != FORMAT_V1 {
        return Err(format!("format {:?} is not {FORMAT_V1:?}", v1.format));
    }
    if v1.setup.now_ms != START_MS {
        return Err(format!("setup.now_ms is not {START_MS}"));
    }
    for identity in &v1.setup.identities {
        if identity_key(&identity.name).to_hex() != identity.private_key {
            return Err(format!(
                "identity {}: not nitrocert's vector key for that name",
                identity.name
            ));
        }
    }
    let sent: Vec<Option<String>> = v1.steps.iter().map(|s| sent_req(&s.action)).collect();
    let mut case = Case::new(v1.id.clone(), v1.description.clone());
    case.rules = v1.rules.clone();
    case.quirks = v1.quirks.clone();
    case.flags = v1.flags.clone();
    case.protocol = v1.protocol.clone();
    let (setup, steps) = (v1.setup, v1.steps);
    let vector = fill(&case.script(move |r| play(r, &setup, &steps)));
    for (i, want) in sent.iter().enumerate() {
        let got = super::instance::filled_text(&vector, i);
        if want.is_some() && got != *want {
            return Err(format!(
                "step {i}: the v2 file sends {got:?}, the v1 file {want:?}"
            ));
        }
    }
    Ok(vector)
}

/// Plays a v1 case on a recorder: its setup, then its steps at their clock.
fn play(r: &mut Recorder, setup: &V1Setup, steps: &[V1Step]) {
    for identity in &setup.identities {
        match identity.role {
            Role::Wallet => r.wallet(&identity.name),
            Role::SessionKey => r.session_key(&identity.name),
        };
    }
    for b in &setup.balances {
        r.fund(&b.wallet, &b.asset, &b.amount);
    }
    for c in &setup.connections {
        r.connect(&c.name, c.auth.clone());
    }
    for step in steps {
        let due = START_MS + step.at_ms;
        assert!(due >= r.now_ms(), "steps out of clock order");
        r.advance(due - r.now_ms());
        send(r, &step.conn, step.action.clone());
    }
}

fn send(r: &mut Recorder, conn: &str, action: V1Action) {
    match action {
        V1Action::Request {
            method,
            signers,
            wire,
            ts_offset_ms,
        } => {
            let params = params_of(&wire).expect("a v1 request frame");
            let signers: Vec<&str> = signers.iter().map(String::as_str).collect();
            r.request_at(conn, &method, params, &signers, ts_offset_ms);
        }
        V1Action::Raw {
            text,
            template: None,
        } => r.raw(conn, &text),
        V1Action::Raw {
            template: Some(t), ..
        } => {
            let template = RawTemplate {
                req: t.req,
                ts_offset_ms: t.ts_offset_ms,
                sig: t.sig,
                resend_step: t.resend_step,
            };
            r.raw_template(conn, template);
        }
        V1Action::Authenticate(auth) => {
            r.authenticate(conn, auth);
        }
        V1Action::AuthVerify(v) => {
            let spec = VerifySpec {
                signer: v.signer,
                policy_conn: v.policy_conn,
                challenge: v.challenge,
                sign: v.sign,
            };
            r.auth_verify(conn, spec);
        }
        V1Action::Channel {
            wallet,
            status,
            amount,
        } => {
            let status = ChannelStatus::parse(&status).expect("a channel status");
            r.channel(&wallet, status, &amount);
        }
    }
}

/// The params (`req[2]`) of a request frame.
fn params_of(wire: &str) -> Option<Value> {
    let TopLevel::Object(members) = read_top_level(wire).ok()? else {
        return None;
    };
    let (_, req) = members.0.iter().find(|(name, _)| name == "req")?;
    serde_json::from_str(array_elements(req)?.get(2)?.get()).ok()
}

/// The `req` text (or raw text) a v1 step sent, to compare with what the v2 file sends.
fn sent_req(action: &V1Action) -> Option<String> {
    match action {
        V1Action::Request { wire, .. } => {
            let TopLevel::Object(members) = read_top_level(wire).ok()? else {
                return None;
            };
            let (_, req) = members.0.iter().find(|(name, _)| name == "req")?;
            Some(req.get().to_string())
        }
        V1Action::Raw {
            template: Some(t), ..
        } if t.resend_step.is_none() => Some(t.req.clone()),
        V1Action::Raw {
            text,
            template: None,
        } => Some(text.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v1 file as nitrocert wrote it before the format bump (a shrunk fuzz finding).
    const V1_TEXT: &str = include_str!("../../tests/data/v1/close-skips-credit-1.json");

    #[test]
    fn a_v1_file_is_filled_again_and_sends_the_same_bytes() {
        let v2 = migrate(V1_TEXT).unwrap();
        assert_eq!(v2.format, super::super::format::FORMAT);
        let v1: Value = serde_json::from_str(V1_TEXT).unwrap();
        assert_eq!(v2.id, v1["id"]);
        assert_eq!(v2.description, v1["description"]);
        assert_eq!(v2.steps.len(), v1["steps"].as_array().unwrap().len());
        for p in crate::model::Profile::ALL {
            assert_eq!(crate::vectors::replay::replay(&v2, p), Vec::<String>::new());
        }
        // A v1 frame the filler would not send again (other spacing) is refused.
        let tampered = V1_TEXT.replacen("\\\"quorum\\\":", "\\\"quorum\\\": ", 1);
        assert_ne!(tampered, V1_TEXT);
        assert!(migrate(&tampered).unwrap_err().contains("the v1 file"));
        assert!(migrate(&V1_TEXT.replace("vector/1", "vector/9")).is_err());
    }
}
