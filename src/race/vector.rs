//! Race vectors (`nitrocert-race/1`): which requests are released together. A race vector
//! names its wallets, what they are funded with, which connections they open (one wallet may
//! open several: the first logs in with a signature, the others reuse its JWT, AUTH-10), the
//! requests run one after another before the race (`setup`), and the bursts: the requests
//! released at once by a barrier, one per connection.
//!
//! Requests are templates, not signed bytes: a live broker rejects stale timestamps (WIRE-12)
//! and keeps the wallets of earlier runs, so every replay signs fresh frames for fresh keys.
//! In `params`, a string `"$NAME"` stands for the address of identity NAME and `"$session.N"`
//! for the `app_session_id` that setup request N created. The format is documented in
//! `vectors/README.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "nitrocert-race/1";
/// File extension of race vectors. Not `.json`: `vectors/` loaders read every `*.json` as a
/// sequential vector.
pub const EXTENSION: &str = "race";

/// What a race is about (the catalogue's kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The same signed transfer on several connections of one wallet (FUZZ-5, REPLAY-2).
    DuplicateTransfer,
    /// Different transfers that together overdraw one balance (Q-23, FUZZ-5).
    OverdrawTransfer,
    /// Two app sessions funded from one balance that covers only one.
    DoubleCreate,
    /// Submits of the same version by different participants.
    ConcurrentSubmit,
    /// A submit racing a close of the same session.
    SubmitVsClose,
    /// A deposit, a withdrawal and a transfer on one unified balance.
    DepositWithdrawTransfer,
    /// One session key's allowance spent from several connections (Q-23, AS-SK-3).
    SessionKeyAllowance,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::DuplicateTransfer,
        Kind::OverdrawTransfer,
        Kind::DoubleCreate,
        Kind::ConcurrentSubmit,
        Kind::SubmitVsClose,
        Kind::DepositWithdrawTransfer,
        Kind::SessionKeyAllowance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::DuplicateTransfer => "duplicate-transfer",
            Kind::OverdrawTransfer => "overdraw-transfer",
            Kind::DoubleCreate => "double-create",
            Kind::ConcurrentSubmit => "concurrent-submit",
            Kind::SubmitVsClose => "submit-vs-close",
            Kind::DepositWithdrawTransfer => "deposit-withdraw-transfer",
            Kind::SessionKeyAllowance => "session-key-allowance",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The rule ids and quirks a race of this kind checks.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Kind::DuplicateTransfer => &["FUZZ-5", "REPLAY-2"],
            Kind::OverdrawTransfer => &["Q-23", "FUZZ-5", "AS-MODEL-3"],
            Kind::SessionKeyAllowance => &["Q-23", "AS-SK-3", "AS-MODEL-3"],
            _ => &["Q-23", "AS-MODEL-3"],
        }
    }
}

/// A unified balance credited before anything else (on Clearnode, a `ledger` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    pub wallet: String,
    pub asset: String,
    pub amount: String,
}

/// One allowance row of a session key (AUTH-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowanceRow {
    pub asset: String,
    pub amount: String,
}

/// How a connection authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Login {
    /// `auth_request` → `auth_verify` with the wallet's EIP-712 signature, registering
    /// `session_key` for `application` (one pending challenge spent, AUTH-9).
    Signature {
        session_key: String,
        application: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allowances: Vec<AllowanceRow>,
    },
    /// `auth_verify` with the JWT that connection `of` received (AUTH-10: no challenge spent).
    Jwt { of: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnSpec {
    pub name: String,
    pub wallet: String,
    pub login: Login,
    /// Which race of a merged round the connection belongs to (verdicts are kept per group).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
}

/// One request template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub conn: String,
    pub method: String,
    #[serde(default)]
    pub params: Value,
    /// Identity names whose keys sign the req bytes, in `sig` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sig: Vec<String>,
    /// In a burst: send exactly the bytes of release N (the same signed frame, FUZZ-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<usize>,
}

/// Requests released together, at most one per connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub release: Vec<RequestSpec>,
}

/// One race inside a vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaceVector {
    pub format: String,
    /// `races/<name>`; the file is `vectors/races/<name>.race`.
    pub id: String,
    pub description: String,
    /// The races of the vector: one group (named `""`) for a single race, one per kind for a
    /// merged round.
    pub groups: Vec<Group>,
    pub rules: Vec<String>,
    #[serde(default)]
    pub balances: Vec<Balance>,
    pub connections: Vec<ConnSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<RequestSpec>,
    pub bursts: Vec<Burst>,
}

impl RaceVector {
    pub fn connection(&self, name: &str) -> Option<&ConnSpec> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// Every wallet name, in first-use order.
    pub fn wallets(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in self
            .connections
            .iter()
            .map(|c| &c.wallet)
            .chain(self.balances.iter().map(|b| &b.wallet))
        {
            if !out.contains(w) {
                out.push(w.clone());
            }
        }
        out
    }

    /// Session-key names (registered by signature logins).
    pub fn session_keys(&self) -> Vec<String> {
        self.connections
            .iter()
            .filter_map(|c| match &c.login {
                Login::Signature { session_key, .. } => Some(session_key.clone()),
                Login::Jwt { .. } => None,
            })
            .collect()
    }

    /// The kind of a group.
    pub fn kind_of(&self, group: &str) -> Option<Kind> {
        self.groups.iter().find(|g| g.name == group).map(|g| g.kind)
    }

    /// Checks the references inside the vector; the error says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "format {:?}, this nitrocert reads {FORMAT:?}",
                self.format
            ));
        }
        let mut identities: BTreeSet<String> = self.wallets().into_iter().collect();
        identities.extend(self.session_keys());
        let mut seen: Vec<&str> = Vec::new();
        for c in &self.connections {
            if self.kind_of(&c.group).is_none() {
                return Err(format!("{}: unknown group {:?}", c.name, c.group));
            }
            if seen.contains(&c.name.as_str()) {
                return Err(format!("connection {} is declared twice", c.name));
            }
            if let Login::Jwt { of } = &c.login {
                let source = self.connection(of).filter(|_| seen.contains(&of.as_str()));
                match source {
                    Some(s)
                        if s.wallet == c.wallet && matches!(s.login, Login::Signature { .. }) => {}
                    _ => {
                        return Err(format!(
                            "{}: jwt of {of} needs an earlier signature login of the same wallet",
                            c.name
                        ))
                    }
                }
            }
            seen.push(&c.name);
        }
        for (i, r) in self.setup.iter().enumerate() {
            self.check_request(r, &identities, i, None)
                .map_err(|e| format!("setup {i}: {e}"))?;
        }
        for (b, burst) in self.bursts.iter().enumerate() {
            let mut conns: Vec<&str> = Vec::new();
            for (i, r) in burst.release.iter().enumerate() {
                self.check_request(r, &identities, self.setup.len(), Some(i))
                    .map_err(|e| format!("burst {b}, release {i}: {e}"))?;
                if conns.contains(&r.conn.as_str()) {
                    return Err(format!("burst {b}: two releases on {}", r.conn));
                }
                conns.push(&r.conn);
            }
        }
        Ok(())
    }

    fn check_request(
        &self,
        r: &RequestSpec,
        identities: &BTreeSet<String>,
        setup_len: usize,
        release: Option<usize>,
    ) -> Result<(), String> {
        if self.connection(&r.conn).is_none() {
            return Err(format!("unknown connection {}", r.conn));
        }
        if let Some(n) = r.same_as {
            if release.is_none_or(|i| n >= i) {
                return Err(format!("same_as {n} must name an earlier release"));
            }
            return Ok(());
        }
        if let Some(s) = r.sig.iter().find(|s| !identities.contains(*s)) {
            return Err(format!("unknown signer {s}"));
        }
        let mut bad = None;
        visit_placeholders(&r.params, &mut |p| match p {
            Placeholder::Identity(name) if !identities.contains(name) => {
                bad = Some(format!("unknown identity ${name}"))
            }
            Placeholder::Session(n) if n >= setup_len => {
                bad = Some(format!("$session.{n} names no earlier setup request"))
            }
            _ => {}
        });
        bad.map_or(Ok(()), Err)
    }
}

/// A placeholder inside `params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder<'a> {
    Identity(&'a str),
    Session(usize),
}

/// Reads a placeholder string (`$NAME`, `$session.N`).
pub fn placeholder(text: &str) -> Option<Placeholder<'_>> {
    let name = text.strip_prefix('$')?;
    match name.strip_prefix("session.") {
        Some(n) => n.parse().ok().map(Placeholder::Session),
        None if !name.is_empty() => Some(Placeholder::Identity(name)),
        None => None,
    }
}

fn visit_placeholders<'a>(value: &'a Value, f: &mut dyn FnMut(Placeholder<'a>)) {
    match value {
        Value::String(s) => {
            if let Some(p) = placeholder(s) {
                f(p)
            }
        }
        Value::Array(items) => items.iter().for_each(|v| visit_placeholders(v, f)),
        Value::Object(members) => members.values().for_each(|v| visit_placeholders(v, f)),
        _ => {}
    }
}

/// `params` with every placeholder replaced; `None` when one cannot be resolved.
pub fn fill(
    value: &Value,
    resolve: &dyn Fn(&Placeholder) -> Option<String>,
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => match placeholder(s) {
            Some(p) => Value::String(resolve(&p).ok_or_else(|| format!("cannot resolve {s}"))?),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill(v, resolve))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(members) => {
            let mut out = serde_json::Map::new();
            for (k, v) in members {
                out.insert(k.clone(), fill(v, resolve)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The text of a race vector file: pretty JSON and a final newline.
pub fn to_text(vector: &RaceVector) -> String {
    let mut text = serde_json::to_string_pretty(vector).expect("race vectors serialize");
    text.push('\n');
    text
}

/// The file of vector `id` (`races/<name>`) under the vectors folder `root`.
pub fn path_of(root: &Path, id: &str) -> PathBuf {
    root.join(format!("{id}.{EXTENSION}"))
}

/// Reads and validates one race vector file.
pub fn load(path: &Path) -> Result<RaceVector, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vector: RaceVector =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    vector
        .validate()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(vector)
}

/// Every race vector under `dir` (files), sorted by path; a file is taken as given.
pub fn files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p)? {
                stack.push(entry?.path());
            }
        } else if paths.contains(&p) || p.extension().is_some_and(|e| e == EXTENSION) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_resolve_and_unknown_ones_fail() {
        let params = json!({"destination": "$B", "id": "$session.0", "n": [1, "$x"], "s": "$"});
        let resolve = |p: &Placeholder| match p {
            Placeholder::Identity("B") => Some("0xB".to_string()),
            Placeholder::Session(0) => Some("0xS".to_string()),
            _ => None,
        };
        assert!(fill(&params, &resolve).is_err());
        let params = json!({"destination": "$B", "id": "$session.0", "s": "$"});
        assert_eq!(
            fill(&params, &resolve).unwrap(),
            json!({"destination": "0xB", "id": "0xS", "s": "$"})
        );
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(*k));
            let text = serde_json::to_string(k).unwrap();
            assert_eq!(text, format!("\"{}\"", k.name()));
        }
    }
}
