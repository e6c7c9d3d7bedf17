//! The filler files, `vectors/fillers/<area>.toml`: the catalogue's cases that are plain data (a
//! setup, then requests with the answers the digests give), read into typed rows. Serde stops at
//! this file; [`super::play`] runs the rows. The format is described in
//! `vectors/fillers/README.md`.

use super::common::Want;
use crate::model::ChannelStatus;
use crate::vectors::coverage::{V02, V04};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One filler file: how its case ids are made, its defaults, and its cases in file order.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ids: Ids,
    #[serde(default)]
    defaults: Defaults,
    case: toml::Table,
}

/// The id pattern per protocol; `{name}` is the case's key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ids {
    v02: Option<String>,
    v04: Option<String>,
    none: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Defaults {
    protocol: Option<Protocols>,
    setup: Option<Vec<SetupOp>>,
}

/// Which protocol versions a row is filled for: one case each.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Protocols {
    Both,
    V02,
    V04,
    None,
}

impl Protocols {
    fn expand(self) -> &'static [Option<&'static str>] {
        match self {
            Protocols::Both => &[Some(V02), Some(V04)],
            Protocols::V02 => &[Some(V02)],
            Protocols::V04 => &[Some(V04)],
            Protocols::None => &[None],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowText {
    /// The whole id, instead of the file's pattern (one protocol only).
    id: Option<String>,
    what: String,
    rules: Vec<String>,
    #[serde(default)]
    quirks: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
    protocol: Option<Protocols>,
    setup: Option<Vec<SetupOp>>,
    #[serde(default)]
    def: Map<String, Value>,
    steps: Vec<Step>,
}

/// A case of a filler file, for one protocol (or none).
pub struct Row {
    pub id: String,
    pub what: String,
    pub rules: Vec<String>,
    pub quirks: Vec<String>,
    pub flags: Vec<String>,
    pub protocol: Option<&'static str>,
    pub setup: Vec<SetupOp>,
    /// Changes to the default session definition (application "app", participants [A, B],
    /// weights [50, 50], quorum 100, challenge 0, nonce 1), key by key.
    pub def: Map<String, Value>,
    pub steps: Vec<Step>,
}

/// Every row of a filler file, expanded per protocol. Panics with the file name on any error:
/// the fillers are part of the build, and `vectors check` runs them.
pub fn rows(file_name: &str, text: &str) -> Vec<Row> {
    let file: File = toml::from_str(text).unwrap_or_else(|e| panic!("{file_name}: {e}"));
    let mut rows = Vec::new();
    for (name, value) in file.case {
        let row: RowText = value
            .try_into()
            .unwrap_or_else(|e| panic!("{file_name}: case {name}: {e}"));
        let protocols = row.protocol.or(file.defaults.protocol);
        let protocols = protocols.unwrap_or_else(|| panic!("{file_name}: {name}: no protocol"));
        for &protocol in protocols.expand() {
            let pattern = match protocol {
                Some(V02) => &file.ids.v02,
                Some(_) => &file.ids.v04,
                None => &file.ids.none,
            };
            let pattern = pattern
                .as_ref()
                .unwrap_or_else(|| panic!("{file_name}: no id pattern for {protocol:?}"));
            let setup = row.setup.clone().or(file.defaults.setup.clone());
            let id = row.id.clone();
            rows.push(Row {
                id: id.unwrap_or_else(|| pattern.replace("{name}", &name)),
                what: row.what.clone(),
                rules: row.rules.clone(),
                quirks: row.quirks.clone(),
                flags: row.flags.clone(),
                protocol,
                setup: setup.unwrap_or_default(),
                def: row.def.clone(),
                steps: row.steps.clone(),
            });
        }
    }
    rows
}

/// What happens before the case's point: identities, balances, connections, a session.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SetupOp {
    /// A and B, each with an authenticated connection (root key `<name>.sk`) and 1000 usdc.
    Pair,
    /// `pair`, then the session.
    Open([String; 2]),
    /// The session: created with A and B paying these usdc amounts, signed by both; it must
    /// succeed.
    Session([String; 2]),
    /// Declares a wallet (its address is then known to `{NAME}` and rows).
    Wallet(String),
    /// Declares a session key identity.
    Key(String),
    /// A wallet with its own authenticated connection.
    Participant(String),
    /// Credits a unified balance: `"C 100"` (usdc) or `"A eth 5"`.
    Fund(Alloc),
    /// An unauthenticated connection.
    Connect(String),
    /// A connection that authenticates as `wallet` with `key`.
    ConnectAs(AuthRow),
    /// The channel hook (a step): `"A challenged 1"`.
    Channel(ChannelHook),
}

/// One step: what is sent, how, and what the digests say comes back.
#[derive(Deserialize, Clone, Debug)]
#[serde(try_from = "StepText")]
pub struct Step {
    pub conn: String,
    pub send: Send,
    pub sig: Vec<Sig>,
    pub ts: i64,
    /// Send a hand-built `{"req":…,"sig":…}` frame with this request id and `sig` as given.
    pub frame: Option<u64>,
    /// Params members set (or replaced in place) after the request is built.
    pub set: Map<String, Value>,
    pub want: Option<Want>,
    /// The spec profile must reject the step (SPEC-* rules).
    pub spec_rejects: bool,
}

#[derive(Clone, Debug)]
pub enum Send {
    /// `create_app_session` of the case's definition (with `def` changes) and these rows.
    Create {
        rows: Vec<Alloc>,
        def: Map<String, Value>,
    },
    /// A create whose only row is A's in usdc with this JSON `amount`.
    Amount(Value),
    /// The same with this JSON text as the amount, written into a `frame` byte for byte.
    Literal(String),
    /// `submit_app_state` that operates: 0.2 without intent and version, 0.4 with both.
    Operate {
        rows: Vec<Alloc>,
        version: u64,
    },
    /// `submit_app_state` with an explicit intent and version, whatever the protocol.
    Submit {
        intent: String,
        version: u64,
        rows: Vec<Alloc>,
    },
    Close(Vec<Alloc>),
    Transfer {
        to: String,
        pays: Vec<Pay>,
    },
    /// Any method with these params.
    Call {
        method: String,
        params: Value,
    },
    /// A frame sent byte for byte.
    Raw(String),
    /// The frame of step n again.
    Resend(usize),
    /// Moves the broker clock; records no step.
    Advance(u64),
    Authenticate(AuthRow),
    /// `auth_request` as the SDK sends it for this handshake (`wallet` may carry a modifier:
    /// `"A:bare"`); the expiry counts from the first step's clock.
    AuthRequest(AuthRow),
    AuthVerify(VerifyRow),
}

/// The text form of a step; every field optional, exactly one verb.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepText {
    conn: Option<String>,
    create: Option<Vec<Alloc>>,
    amount: Option<Value>,
    literal: Option<String>,
    operate: Option<Vec<Alloc>>,
    deposit: Option<Vec<Alloc>>,
    withdraw: Option<Vec<Alloc>>,
    submit: Option<Vec<Alloc>>,
    intent: Option<String>,
    close: Option<Vec<Alloc>>,
    transfer: Option<Vec<Pay>>,
    to: Option<String>,
    call: Option<String>,
    params: Option<Value>,
    raw: Option<String>,
    resend: Option<usize>,
    advance: Option<u64>,
    authenticate: Option<AuthRow>,
    auth_request: Option<AuthRow>,
    auth_verify: Option<VerifyRow>,
    v: Option<u64>,
    #[serde(default)]
    def: Map<String, Value>,
    session: Option<String>,
    #[serde(default)]
    sig: Vec<Sig>,
    #[serde(default)]
    ts: i64,
    frame: Option<u64>,
    #[serde(default)]
    set: Map<String, Value>,
    #[serde(default)]
    null: Vec<String>,
    #[serde(default)]
    ok: bool,
    result: Option<Map<String, Value>>,
    err: Option<String>,
    one_of: Option<Vec<String>>,
    prefix: Option<String>,
    #[serde(default)]
    no_reply: bool,
    #[serde(default)]
    spec_rejects: bool,
}

impl TryFrom<StepText> for Step {
    type Error = String;

    fn try_from(mut t: StepText) -> Result<Step, String> {
        let want = want_of(&t)?;
        let send = send_of(&mut t)?;
        let mut set = t.set;
        // TOML has no null: members to set to null are listed by name.
        set.extend(t.null.into_iter().map(|member| (member, Value::Null)));
        if let Some(session) = t.session {
            set.insert("app_session_id".into(), Value::String(session));
        }
        Ok(Step {
            conn: t.conn.unwrap_or_else(|| "A".into()),
            send,
            sig: t.sig,
            ts: t.ts,
            frame: t.frame,
            set,
            want,
            spec_rejects: t.spec_rejects,
        })
    }
}

/// The one thing a step sends (its verb and the verb's companions).
fn send_of(t: &mut StepText) -> Result<Send, String> {
    let version = t.v.unwrap_or(0);
    let submit = |intent: &str, rows| Send::Submit {
        intent: intent.to_string(),
        version,
        rows,
    };
    let mut sends = Vec::new();
    if let Some(rows) = t.create.take() {
        let def = std::mem::take(&mut t.def);
        sends.push(Send::Create { rows, def });
    }
    sends.extend(t.amount.take().map(Send::Amount));
    if let Some(text) = t.literal.take() {
        if t.frame.is_none() {
            return Err("a `literal` amount is sent in a `frame`".into());
        }
        sends.push(Send::Literal(text));
    }
    sends.extend(t.operate.take().map(|rows| Send::Operate { rows, version }));
    sends.extend(t.deposit.take().map(|rows| submit("deposit", rows)));
    sends.extend(t.withdraw.take().map(|rows| submit("withdraw", rows)));
    if let Some(rows) = t.submit.take() {
        let intent = t.intent.take().ok_or("`submit` needs an `intent`")?;
        sends.push(submit(&intent, rows));
    }
    sends.extend(t.close.take().map(Send::Close));
    if let Some(pays) = t.transfer.take() {
        let to = t.to.take().ok_or("`transfer` needs `to`")?;
        sends.push(Send::Transfer { to, pays });
    }
    if let Some(method) = t.call.take() {
        let params = t.params.take().unwrap_or_else(|| Value::Object(Map::new()));
        sends.push(Send::Call { method, params });
    }
    sends.extend(t.raw.take().map(Send::Raw));
    sends.extend(t.resend.map(Send::Resend));
    sends.extend(t.advance.map(Send::Advance));
    sends.extend(t.authenticate.take().map(Send::Authenticate));
    sends.extend(t.auth_request.take().map(Send::AuthRequest));
    sends.extend(t.auth_verify.take().map(Send::AuthVerify));
    let uses_version = matches!(sends[..], [Send::Operate { .. } | Send::Submit { .. }]);
    let strays = [
        ("intent", t.intent.is_some()),
        ("to", t.to.is_some()),
        ("params", t.params.is_some()),
        ("def", !t.def.is_empty()),
        ("v", t.v.is_some() && !uses_version),
    ];
    if let Some((key, _)) = strays.iter().find(|(_, stray)| *stray) {
        return Err(format!("`{key}` does not go with this step's verb"));
    }
    match sends.len() {
        1 => Ok(sends.remove(0)),
        _ => Err(format!("a step sends one thing, this one {sends:?}")),
    }
}

fn want_of(t: &StepText) -> Result<Option<Want>, String> {
    let mut wants = Vec::new();
    if t.ok {
        wants.push(Want::Ok);
    }
    wants.extend(t.result.clone().map(Want::OkWith));
    wants.extend(t.err.clone().map(|text| Want::OneOf(vec![text])));
    wants.extend(t.one_of.clone().map(Want::OneOf));
    wants.extend(t.prefix.clone().map(Want::Prefix));
    if t.no_reply {
        wants.push(Want::NoReply);
    }
    match wants.len() {
        0 | 1 => Ok(wants.pop()),
        _ => Err(format!("a step expects one answer, this one {wants:?}")),
    }
}

/// An allocation row: `"A 100"` (usdc) or `"A eth 5"`; the participant is an identity name,
/// optionally with a modifier (`"B:lower 6"`, see [`super::play::resolve`]).
#[derive(Deserialize, Clone, Debug)]
#[serde(try_from = "String")]
pub struct Alloc {
    pub who: String,
    pub asset: String,
    pub amount: String,
}

impl TryFrom<String> for Alloc {
    type Error = String;

    fn try_from(text: String) -> Result<Alloc, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (who, asset, amount) = match words[..] {
            [who, amount] => (who, "usdc", amount),
            [who, asset, amount] => (who, asset, amount),
            _ => return Err(format!("{text:?} is no \"WHO [ASSET] AMOUNT\" row")),
        };
        Ok(Alloc {
            who: who.into(),
            asset: asset.into(),
            amount: amount.into(),
        })
    }
}

/// A transfer or allowance row: `"usdc 1.5"`.
#[derive(Deserialize, Clone, Debug)]
#[serde(try_from = "String")]
pub struct Pay {
    pub asset: String,
    pub amount: String,
}

impl TryFrom<String> for Pay {
    type Error = String;

    fn try_from(text: String) -> Result<Pay, String> {
        match text.split_whitespace().collect::<Vec<_>>()[..] {
            [asset, amount] => Ok(Pay {
                asset: asset.into(),
                amount: amount.into(),
            }),
            _ => Err(format!("{text:?} is no \"ASSET AMOUNT\" row")),
        }
    }
}

/// One `sig` entry: `"A"` (A signs the req), and in a `frame` also `"B:v29"` (v set to 29),
/// `"A:v01"` (v − 27) or `"0x…"` (a literal, malformed on purpose).
#[derive(Deserialize, Clone, Debug)]
#[serde(try_from = "String")]
pub enum Sig {
    Signer(String),
    SignerV(String, u8),
    SignerV01(String),
    Literal(String),
}

impl TryFrom<String> for Sig {
    type Error = String;

    fn try_from(text: String) -> Result<Sig, String> {
        if text.starts_with("0x") {
            return Ok(Sig::Literal(text));
        }
        Ok(match text.split_once(':') {
            None => Sig::Signer(text),
            Some((name, "v01")) => Sig::SignerV01(name.into()),
            Some((name, v)) => {
                let v = v.strip_prefix('v').and_then(|v| v.parse().ok());
                Sig::SignerV(name.into(), v.ok_or(format!("bad sig entry {text:?}"))?)
            }
        })
    }
}

/// The channel hook, `"A challenged 1"`: a row with the channel's status (`open`, `resizing`,
/// `challenged`, `closed`) in the asset's place.
#[derive(Deserialize, Clone, Debug)]
#[serde(try_from = "Alloc")]
pub struct ChannelHook {
    pub status: ChannelStatus,
    pub row: Alloc,
}

impl TryFrom<Alloc> for ChannelHook {
    type Error = String;

    fn try_from(row: Alloc) -> Result<ChannelHook, String> {
        let statuses = [
            ChannelStatus::Open,
            ChannelStatus::Resizing,
            ChannelStatus::Challenged,
            ChannelStatus::Closed,
        ];
        match statuses.into_iter().find(|s| s.as_str() == row.asset) {
            Some(status) => Ok(ChannelHook { status, row }),
            None => Err(format!("unknown channel status {:?}", row.asset)),
        }
    }
}

/// A signature handshake: `wallet` registers session key `key` for `application`.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AuthRow {
    /// The connection (`connect_as` only; default: the wallet's name).
    pub conn: Option<String>,
    pub wallet: String,
    pub key: String,
    #[serde(default = "clearnode")]
    pub application: String,
    #[serde(default = "console")]
    pub scope: String,
    #[serde(default = "one_day")]
    pub expires_in_s: u64,
    /// Spending caps (allowances).
    #[serde(default)]
    pub caps: Vec<Pay>,
}

fn clearnode() -> String {
    "clearnode".into()
}

fn console() -> String {
    "console".into()
}

fn one_day() -> u64 {
    86_400
}

/// An `auth_verify` answering the last `auth_request` (see `format::AuthVerify`).
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct VerifyRow {
    pub signer: String,
    pub policy_conn: Option<String>,
    #[serde(default = "issued")]
    pub challenge: String,
    #[serde(default = "policy")]
    pub sign: String,
}

fn issued() -> String {
    "issued".into()
}

fn policy() -> String {
    "policy".into()
}
