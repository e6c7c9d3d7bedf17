//! Wire-level mutations of one generated request, for the fidelity campaign (`nitrocert fuzz
//! --mutate`): the generator builds a valid request from the model's state, then one mutation
//! changes its signatures, an address, an amount, the type of a value, a key, the request id or
//! the timestamp. The result is still a case step (a request, or a signed raw template), so the
//! shadow and the broker get exactly the same bytes, and a shrunk divergence is a vector.
//!
//! A mutation is a plan like [`super::op::Op`]: a kind, which node it acts on (`at`, wrapping
//! over the candidates the request has) and which variant (`variant`, wrapping over the list of
//! its kind), so it stays meaningful when shrinking changes the request under it.

use super::world::Request;
use crate::scenario::{SigEdit, SigSpec};
use arbitrary::Arbitrary;
use serde_json::{json, Map, Number, Value};

/// What a mutation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum MutKind {
    /// One signature replaced by its high-s twin (s → n − s, v flipped; SIG-3).
    SigMalleate,
    /// One signer signs twice.
    SigDuplicate,
    /// The signatures in another order.
    SigReorder,
    /// A signer that is not the one the request needs: the outsider, another wallet, a
    /// wallet's session key in place of the wallet or the other way round.
    SigForeign,
    /// No signatures at all, or an empty entry.
    SigEmpty,
    /// A signature of the wrong length (64, 66, 0, 1 bytes, an odd number of digits).
    SigLength,
    /// The signature's encoding: v as 0/1, 26, 29; no `0x`; `0X` and upper case.
    SigEncoding,
    /// An address or session id spelled otherwise (case, prefix, spaces; for ids a flipped
    /// letter).
    HexSpelling,
    /// An address replaced by something that is not one, or by the zero address.
    AddressInvalid,
    /// An address replaced by another identity's (another wallet, a session key, the outsider).
    AddressSwap,
    /// An amount in another decimal text: the same value written otherwise, or text that is
    /// no decimal (every form Go's shopspring parser accepts or rejects).
    AmountText,
    /// An amount as a JSON number instead of a string.
    AmountNumber,
    /// A huge or tiny amount.
    AmountExtreme,
    /// One value replaced by another JSON type (string, number, null, bool, array, object).
    ParamType,
    /// An extra field nobody reads (or a known name at the wrong level).
    UnknownField,
    /// A key spelled in another case (Go matches keys case-insensitively), or given twice.
    KeyCase,
    /// The request id at its edges (2^32, 2^53 + 1, u64::MAX, overflow, negative, a string…).
    RequestId,
    /// The timestamp at the edges of the window (WIRE-12), far in the future or the past.
    Timestamp,
}

impl MutKind {
    pub const ALL: &'static [MutKind] = &[
        MutKind::SigMalleate,
        MutKind::SigDuplicate,
        MutKind::SigReorder,
        MutKind::SigForeign,
        MutKind::SigEmpty,
        MutKind::SigLength,
        MutKind::SigEncoding,
        MutKind::HexSpelling,
        MutKind::AddressInvalid,
        MutKind::AddressSwap,
        MutKind::AmountText,
        MutKind::AmountNumber,
        MutKind::AmountExtreme,
        MutKind::ParamType,
        MutKind::UnknownField,
        MutKind::KeyCase,
        MutKind::RequestId,
        MutKind::Timestamp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MutKind::SigMalleate => "sig-malleate",
            MutKind::SigDuplicate => "sig-duplicate",
            MutKind::SigReorder => "sig-reorder",
            MutKind::SigForeign => "sig-foreign",
            MutKind::SigEmpty => "sig-empty",
            MutKind::SigLength => "sig-length",
            MutKind::SigEncoding => "sig-encoding",
            MutKind::HexSpelling => "hex-spelling",
            MutKind::AddressInvalid => "address-invalid",
            MutKind::AddressSwap => "address-swap",
            MutKind::AmountText => "amount-text",
            MutKind::AmountNumber => "amount-number",
            MutKind::AmountExtreme => "amount-extreme",
            MutKind::ParamType => "param-type",
            MutKind::UnknownField => "unknown-field",
            MutKind::KeyCase => "key-case",
            MutKind::RequestId => "request-id",
            MutKind::Timestamp => "timestamp",
        }
    }
}

/// One mutation plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub struct Mutation {
    pub kind: MutKind,
    /// Which node, signer or member (wrapping over the request's candidates).
    pub at: u8,
    /// Which variant of the kind (wrapping over its list).
    pub variant: u8,
}

/// The identities a mutation may bring in: names and their addresses.
#[derive(Debug, Clone, Default)]
pub struct Cast {
    /// (identity name, EIP-55 address): wallets first, then session keys, then the outsider.
    pub identities: Vec<(String, String)>,
    /// The outsider's name (a funded wallet with no connection).
    pub outsider: String,
}

impl Cast {
    fn counterpart(&self, name: &str) -> Option<String> {
        let other = match name.strip_suffix(".sk") {
            Some(wallet) => wallet.to_string(),
            None => format!("{name}.sk"),
        };
        self.identities
            .iter()
            .any(|(n, _)| *n == other)
            .then_some(other)
    }

    fn wallets(&self) -> impl Iterator<Item = &str> {
        self.identities
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.contains('.'))
    }
}

/// A mutated step: a request (params, signers or timestamp changed), or a hand-built signed
/// frame (signature bytes, request id or duplicate keys changed).
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Request(Request),
    Template {
        conn: String,
        /// The `req` array text; its last element, the `ts`, is set at plan time.
        req: String,
        ts_offset_ms: i64,
        sig: Vec<SigSpec>,
    },
}

/// The id templates carry unless the mutation is about the id: far above the ids the harness
/// numbers its own requests with, and never 0 (the id of notifications, so a reply with it
/// could not be told from a push).
pub const TEMPLATE_ID: u64 = 900_000;

/// `request` mutated by `m`, or `None` when the request has nothing the mutation acts on (no
/// amount, no signer, no address). The top-level params named in `keep` (the filter of a list
/// read, without which it would list other clients' rows) are never touched, nor is the root
/// replaced while there are any.
pub fn apply(m: &Mutation, request: &Request, cast: &Cast, keep: &[&str]) -> Option<Wire> {
    let (at, variant) = (m.at as usize, m.variant as usize);
    let n = Nodes { keep };
    match m.kind {
        MutKind::SigMalleate => {
            sig_template(request, at, |_| Some(SigFix::Edit(SigEdit::Malleated)))
        }
        MutKind::SigLength => sig_template(request, at, |_| Some(sig_length(variant))),
        MutKind::SigEncoding => sig_template(request, at, |_| Some(sig_encoding(variant))),
        MutKind::SigEmpty => sig_empty(request, at, variant),
        MutKind::SigDuplicate => signers(request, |s| {
            let i = at % s.len().max(1);
            let name = s.get(i)?.clone();
            let to = if variant % 2 == 0 { i + 1 } else { s.len() };
            s.insert(to, name);
            Some(())
        }),
        MutKind::SigReorder => signers(request, |s| {
            if s.len() < 2 {
                return None;
            }
            let before = s.clone();
            if variant % 2 == 0 {
                s.reverse();
            } else {
                s.rotate_left(1);
            }
            (*s != before).then_some(())
        }),
        MutKind::SigForeign => signers(request, |s| sig_foreign(s, cast, at, variant)),
        MutKind::HexSpelling => n.edit_node(request, at, is_hex_id, |v| {
            spell(v.as_str()?, variant).map(Value::String)
        }),
        MutKind::AddressInvalid => n.edit_node(request, at, is_address, |_| {
            Some(Value::String(not_address(variant)))
        }),
        MutKind::AddressSwap => n.edit_node(request, at, is_address, |v| {
            let others: Vec<&String> = cast
                .identities
                .iter()
                .map(|(_, a)| a)
                .filter(|a| Some(a.as_str()) != v.as_str())
                .collect();
            Some(Value::String(
                others.get(variant % others.len().max(1))?.to_string(),
            ))
        }),
        MutKind::AmountText => n.edit_node(request, at, is_amount, |v| {
            amount_text(&text_of(v)?, variant).map(Value::String)
        }),
        MutKind::AmountNumber => n.edit_node(request, at, is_amount, |v| {
            amount_number(&text_of(v)?, variant)
        }),
        MutKind::AmountExtreme => n.edit_node(request, at, is_amount, |_| {
            Some(Value::String(EXTREME[variant % EXTREME.len()].to_string()))
        }),
        MutKind::ParamType => n.param_type(request, at, variant),
        MutKind::UnknownField => n.unknown_field(request, at, variant),
        MutKind::KeyCase => n.key_case(request, at, variant),
        MutKind::RequestId => {
            let id = REQUEST_IDS[variant % REQUEST_IDS.len()];
            Some(template(
                request,
                id,
                &request.params_text(),
                plain_sigs(request),
            ))
        }
        MutKind::Timestamp => {
            let mut r = request.clone();
            r.ts_offset_ms = TS_OFFSETS[variant % TS_OFFSETS.len()];
            Some(Wire::Request(r))
        }
    }
}

impl Request {
    /// The params as `encode_req` writes them.
    fn params_text(&self) -> String {
        serde_json::to_string(&self.params).expect("a JSON value always serializes")
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures

/// How one `sig` entry of a template is changed.
enum SigFix {
    Edit(SigEdit),
    V(u8),
    V01,
    Literal(&'static str),
}

fn plain_sigs(request: &Request) -> Vec<SigSpec> {
    request
        .signers
        .iter()
        .map(|n| SigSpec::Signer { name: n.clone() })
        .collect()
}

/// `[id,"method",params,0]` (the ts is stamped at plan time) as a signed template.
fn template(request: &Request, id: &str, params: &str, sig: Vec<SigSpec>) -> Wire {
    let method = serde_json::to_string(&request.method).expect("a string serializes");
    Wire::Template {
        conn: request.conn.clone(),
        req: format!("[{id},{method},{params},0]"),
        ts_offset_ms: request.ts_offset_ms,
        sig,
    }
}

/// The request as a template with signature `at` (wrapping) changed by `fix`.
fn sig_template(
    request: &Request,
    at: usize,
    fix: impl Fn(&str) -> Option<SigFix>,
) -> Option<Wire> {
    let mut sig = plain_sigs(request);
    if sig.is_empty() {
        return None;
    }
    let i = at % sig.len();
    let name = request.signers[i].clone();
    sig[i] = match fix(&name)? {
        SigFix::Edit(edit) => SigSpec::Edited { name, edit },
        SigFix::V(v) => SigSpec::SignerV { name, v },
        SigFix::V01 => SigSpec::SignerV01 { name },
        SigFix::Literal(hex) => SigSpec::Literal {
            hex: hex.to_string(),
        },
    };
    Some(template(
        request,
        &TEMPLATE_ID.to_string(),
        &request.params_text(),
        sig,
    ))
}

/// 65 zero bytes: the length is right, the content recovers no one.
const ZERO_SIG: &str = "0x0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
/// 64 bytes and a half: an odd number of digits.
const ODD_SIG: &str = "0x111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111";

fn sig_length(variant: usize) -> SigFix {
    match variant % 6 {
        0 => SigFix::Edit(SigEdit::Truncated),
        1 => SigFix::Edit(SigEdit::Extended),
        2 => SigFix::Literal("0x"),
        3 => SigFix::Literal("0x00"),
        4 => SigFix::Literal(ZERO_SIG),
        _ => SigFix::Literal(ODD_SIG),
    }
}

fn sig_encoding(variant: usize) -> SigFix {
    match variant % 6 {
        0 => SigFix::V01,
        1 => SigFix::V(29),
        2 => SigFix::V(26),
        3 => SigFix::V(0x1b + 0x20),
        4 => SigFix::Edit(SigEdit::NoPrefix),
        _ => SigFix::Edit(SigEdit::UpperHex),
    }
}

fn sig_empty(request: &Request, at: usize, variant: usize) -> Option<Wire> {
    match variant % 3 {
        0 => signers(request, |s| {
            if s.is_empty() {
                return None;
            }
            s.clear();
            Some(())
        }),
        1 => sig_template(request, at, |_| Some(SigFix::Literal(""))),
        _ => {
            // An empty entry after the real ones.
            let mut sig = plain_sigs(request);
            sig.push(SigSpec::Literal { hex: "0x".into() });
            Some(template(
                request,
                &TEMPLATE_ID.to_string(),
                &request.params_text(),
                sig,
            ))
        }
    }
}

/// The request with its signer list changed by `edit` (`None`: nothing to change).
fn signers(request: &Request, edit: impl FnOnce(&mut Vec<String>) -> Option<()>) -> Option<Wire> {
    let mut r = request.clone();
    edit(&mut r.signers)?;
    Some(Wire::Request(r))
}

fn sig_foreign(s: &mut Vec<String>, cast: &Cast, at: usize, variant: usize) -> Option<()> {
    let i = at % s.len().max(1);
    match variant % 4 {
        0 => s.push(cast.outsider.clone()),
        1 if !s.is_empty() => s[i] = cast.outsider.clone(),
        2 => {
            let other = cast.wallets().find(|w| !s.iter().any(|n| n == w))?;
            s.push(other.to_string());
        }
        _ if !s.is_empty() => {
            // A wallet's key in place of the wallet, or the wallet in place of its key.
            s[i] = cast.counterpart(&s[i])?;
        }
        _ => return None,
    }
    Some(())
}

// ---------------------------------------------------------------------------------------------
// Nodes of the params

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Which nodes of a request's params a mutation may touch: all but those under the top-level
/// keys in `keep`.
struct Nodes<'k> {
    keep: &'k [&'k str],
}

impl Nodes<'_> {
    fn allowed(&self, path: &[Seg]) -> bool {
        match path.first() {
            Some(Seg::Key(k)) => !self.keep.contains(&k.as_str()),
            _ => self.keep.is_empty(),
        }
    }

    /// Every node below the root that may be touched, with the key it sits under.
    fn nodes(&self, v: &Value) -> Vec<(Vec<Seg>, Option<String>)> {
        nodes(v)
            .into_iter()
            .filter(|(p, _)| self.allowed(p))
            .collect()
    }

    /// Paths of every node that may be touched, plus the root (last) when nothing is kept.
    fn nodes_and_root(&self, v: &Value) -> Vec<Vec<Seg>> {
        let mut out: Vec<Vec<Seg>> = self.nodes(v).into_iter().map(|(p, _)| p).collect();
        if self.keep.is_empty() {
            out.push(Vec::new());
        }
        out
    }

    /// Object nodes that may be touched, the root included (first): adding to the root never
    /// removes a kept key.
    fn objects(&self, v: &Value) -> Vec<Vec<Seg>> {
        let mut out = vec![Vec::new()];
        out.extend(
            self.nodes(v)
                .into_iter()
                .map(|(p, _)| p)
                .filter(|p| at_ref(v, p).is_some_and(Value::is_object)),
        );
        out.retain(|p| at_ref(v, p).is_some_and(Value::is_object));
        out
    }

    /// Every (object path, key) pair that may be touched.
    fn members(&self, v: &Value) -> Vec<(Vec<Seg>, String)> {
        self.objects(v)
            .into_iter()
            .flat_map(|p| {
                let keys: Vec<String> = at_ref(v, &p)
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                keys.into_iter().map(move |k| (p.clone(), k))
            })
            .filter(|(p, k)| !(p.is_empty() && self.keep.contains(&k.as_str())))
            .collect()
    }
}

/// Every node below the root, depth first, with the key it sits under (if any).
fn nodes(v: &Value) -> Vec<(Vec<Seg>, Option<String>)> {
    fn walk(
        v: &Value,
        path: &mut Vec<Seg>,
        key: Option<&str>,
        out: &mut Vec<(Vec<Seg>, Option<String>)>,
    ) {
        if !path.is_empty() {
            out.push((path.clone(), key.map(str::to_string)));
        }
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    path.push(Seg::Key(k.clone()));
                    walk(child, path, Some(k), out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(child, path, key, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), None, &mut out);
    out
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.as_object_mut()?.get_mut(k)?,
            Seg::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn at_ref<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.as_object()?.get(k)?,
            Seg::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}

fn is_hex_of(v: &Value, digits: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == digits + 2
            && s.starts_with("0x")
            && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn is_address(v: &Value, _key: Option<&str>) -> bool {
    is_hex_of(v, 40)
}

/// Addresses and session ids.
fn is_hex_id(v: &Value, _key: Option<&str>) -> bool {
    is_hex_of(v, 40) || is_hex_of(v, 64)
}

fn is_amount(v: &Value, key: Option<&str>) -> bool {
    key == Some("amount") && (v.is_string() || v.is_number())
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Nodes<'_> {
    /// The request with the `at`-th node (wrapping) among those `pick` selects replaced by
    /// `replace` of it.
    fn edit_node(
        &self,
        request: &Request,
        at: usize,
        pick: fn(&Value, Option<&str>) -> bool,
        replace: impl FnOnce(&Value) -> Option<Value>,
    ) -> Option<Wire> {
        let candidates: Vec<Vec<Seg>> = self
            .nodes(&request.params)
            .into_iter()
            .filter(|(path, key)| {
                at_ref(&request.params, path).is_some_and(|v| pick(v, key.as_deref()))
            })
            .map(|(path, _)| path)
            .collect();
        let path = candidates.get(at % candidates.len().max(1))?;
        let mut r = request.clone();
        let node = at_mut(&mut r.params, path)?;
        let new = replace(node)?;
        if new == *node {
            return None;
        }
        *node = new;
        Some(Wire::Request(r))
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses

/// Another spelling of an address or a session id. Live replays rename identities by their
/// EIP-55 and lower-case digits, so an address is only respelled in forms that keep one of
/// them (an upper-case or mis-cased address would escape the renaming and name a fixed, shared
/// address on a live broker). A session id, which never receives funds, also gets upper case
/// and a flipped letter.
fn spell(text: &str, variant: usize) -> Option<String> {
    let digits = text.strip_prefix("0x")?;
    let address = digits.len() == 40;
    Some(match variant % if address { 7 } else { 9 } {
        0 => text.to_ascii_lowercase(),
        1 => digits.to_string(),
        2 => digits.to_ascii_lowercase(),
        3 => format!("0X{digits}"),
        4 => format!("0X{}", digits.to_ascii_lowercase()),
        5 => format!(" {text}"),
        6 => format!("{text} "),
        7 => format!("0x{}", digits.to_ascii_uppercase()),
        _ => {
            let mut out = String::from("0x");
            let mut flipped = false;
            for c in digits.chars() {
                if !flipped && c.is_ascii_alphabetic() {
                    flipped = true;
                    out.push(if c.is_ascii_uppercase() {
                        c.to_ascii_lowercase()
                    } else {
                        c.to_ascii_uppercase()
                    });
                } else {
                    out.push(c);
                }
            }
            out
        }
    })
}

const ZERO_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

fn not_address(variant: usize) -> String {
    match variant % 9 {
        0 => String::new(),
        1 => "0x".into(),
        2 => "0x0".into(),
        3 => ZERO_ADDRESS[..41].into(),
        4 => format!("{ZERO_ADDRESS}1"),
        5 => ZERO_ADDRESS.into(),
        6 => "0xZZ00000000000000000000000000000000000000".into(),
        7 => "alice.eth".into(),
        _ => "0x000000000000000000000000000000000000dEaD".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts

/// The same amount written otherwise, or text that is no decimal.
fn amount_text(t: &str, variant: usize) -> Option<String> {
    let integral = !t.contains(['.', 'e', 'E']);
    Some(match variant % 30 {
        0 => format!("+{t}"),
        1 => format!("{t}.0"),
        2 => format!("{t}e0"),
        3 => format!("{t}E0"),
        4 => format!("0{t}"),
        5 if integral => format!("{t}."),
        5 => format!("{t}0"),
        6 => match t.strip_prefix("0.") {
            Some(rest) => format!(".{rest}"),
            None => format!("{t}e+0"),
        },
        7 => format!(" {t}"),
        8 => format!("{t} "),
        9 if integral => format!("{t}.000000000000000000"),
        9 => format!("{t}000000000000000000"),
        10 => format!("{t}e-0"),
        11 => format!("{t}0e-1"),
        12 => "-0".into(),
        13 => "0x10".into(),
        14 => "1_000".into(),
        15 => "NaN".into(),
        16 => "Infinity".into(),
        17 => String::new(),
        18 => "1,5".into(),
        19 => "\u{0663}".into(),
        20 => "1e".into(),
        21 => "e1".into(),
        22 => "--1".into(),
        23 => "+-1".into(),
        24 => ".".into(),
        25 => "0.".into(),
        26 => "00".into(),
        27 => format!("-{t}"),
        28 => format!("{t}\u{0}"),
        _ => format!("{t}.5.5"),
    })
}

/// The amount as a JSON number.
fn amount_number(t: &str, variant: usize) -> Option<Value> {
    let f: f64 = t.trim().parse().ok()?;
    Some(match variant % 5 {
        0 => Value::Number(Number::from_f64(f)?),
        1 if f.fract() == 0.0 && (0.0..9.0e15).contains(&f) => json!(f as u64),
        1 => Value::Number(Number::from_f64(f)?),
        2 => Value::Number(Number::from_f64(f / 1e7)?),
        3 => Value::Number(Number::from_f64(1e21)?),
        _ => Value::Number(Number::from_f64(-f)?),
    })
}

const EXTREME: &[&str] = &[
    "1e1000",
    "1e-1000",
    "1e46",
    "1e45",
    "99999999999999999999999999999999999999999999999999",
    "0.0000000000000000000000000000001",
    "1e18",
    "1e-18",
    "1e-19",
    "-1e-18",
    "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "0.000000000000000001",
    "123456789.123456789123456789",
    "-0.0",
    "1e+2",
    "1e-2",
    "0.00000000000000000000000000000000000000000000000000000000000000000000000000000001",
];

// ---------------------------------------------------------------------------------------------
// Types and keys

fn another_type(orig: &Value, variant: usize) -> Value {
    match variant % 13 {
        0 => json!(""),
        1 => json!("x"),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1.5),
        5 => Value::Null,
        6 => json!(true),
        7 => json!([]),
        8 => json!({}),
        9 => json!([orig]),
        10 => json!({ "value": orig }),
        11 => match orig {
            Value::String(s) => match s.parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                None => json!(s.len()),
            },
            other => Value::String(other.to_string()),
        },
        _ => json!(1e30),
    }
}

const UNKNOWN_KEYS: &[&str] = &[
    "foo",
    "extra",
    "id",
    "sig",
    "signature",
    "nonce",
    "session_key",
    "app_session_id",
    "amount",
    "__proto__",
    "",
    "participant",
];

impl Nodes<'_> {
    fn param_type(&self, request: &Request, at: usize, variant: usize) -> Option<Wire> {
        let paths = self.nodes_and_root(&request.params);
        if paths.is_empty() {
            return None;
        }
        let path = &paths[at % paths.len()];
        let mut r = request.clone();
        let node = at_mut(&mut r.params, path)?;
        let new = another_type(node, variant);
        if new == *node {
            return None;
        }
        *node = new;
        Some(Wire::Request(r))
    }

    fn unknown_field(&self, request: &Request, at: usize, variant: usize) -> Option<Wire> {
        let paths = self.objects(&request.params);
        let path = paths.get(at % paths.len().max(1))?;
        let mut r = request.clone();
        let map = at_mut(&mut r.params, path)?.as_object_mut()?;
        let key = UNKNOWN_KEYS[variant % UNKNOWN_KEYS.len()];
        if map.contains_key(key) {
            return None;
        }
        let value = match (variant / UNKNOWN_KEYS.len()) % 4 {
            0 => json!("x"),
            1 => json!(1),
            2 => Value::Null,
            _ => json!({}),
        };
        map.insert(key.to_string(), value);
        Some(Wire::Request(r))
    }

    /// Go's case-insensitive key matching: the key upper-cased, capitalised, or with a Unicode
    /// letter that folds onto an ASCII one (KELVIN SIGN for `k`, LONG S for `s`); or the key twice
    /// (Go keeps the last).
    fn key_case(&self, request: &Request, at: usize, variant: usize) -> Option<Wire> {
        let all = self.members(&request.params);
        let (path, key) = all.get(at % all.len().max(1))?.clone();
        let renamed = match variant % 5 {
            0 => key.to_ascii_uppercase(),
            1 => {
                let mut c = key.chars();
                let first = c.next()?;
                format!("{}{}", first.to_ascii_uppercase(), c.as_str())
            }
            2 if key.contains('k') => key.replacen('k', "\u{212a}", 1),
            2 => key.replacen('s', "\u{17f}", 1),
            v => return duplicate_key(request, &path, &key, v == 3),
        };
        if renamed == key {
            return None;
        }
        let mut r = request.clone();
        let map = at_mut(&mut r.params, &path)?.as_object_mut()?;
        if map.contains_key(&renamed) {
            return None;
        }
        // Same position: rebuild the object in order.
        let old = std::mem::take(map);
        for (k, v) in old {
            map.insert(if k == key { renamed.clone() } else { k }, v);
        }
        Some(Wire::Request(r))
    }
}

/// The object at `path` written with `key` twice: a `null` first and the real value last
/// (`null_first`), or the real value first and a string last. Needs the exact text: a template.
fn duplicate_key(request: &Request, path: &[Seg], key: &str, null_first: bool) -> Option<Wire> {
    const MARK: &str = "\u{1}nitrocert-duplicate\u{1}";
    let mut params = request.params.clone();
    let node = at_mut(&mut params, path)?;
    let map: Map<String, Value> = node.as_object()?.clone();
    *node = Value::String(MARK.into());
    let mut text = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let k_text = serde_json::to_string(k).expect("a string serializes");
        if k == key && null_first {
            text.push_str(&format!("{k_text}:null,"));
        }
        text.push_str(&format!(
            "{k_text}:{}",
            serde_json::to_string(v).expect("serializes")
        ));
        if k == key && !null_first {
            text.push_str(&format!(",{k_text}:\"x\""));
        }
    }
    text.push('}');
    let mark = serde_json::to_string(MARK).expect("a string serializes");
    let params_text = serde_json::to_string(&params)
        .expect("serializes")
        .replacen(&mark, &text, 1);
    Some(template(
        request,
        &TEMPLATE_ID.to_string(),
        &params_text,
        plain_sigs(request),
    ))
}

// ---------------------------------------------------------------------------------------------
// Envelope edges

/// Request ids at their edges (never 0: that is the id of notifications).
const REQUEST_IDS: &[&str] = &[
    "1",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "1.5",
    "1e3",
    "\"5\"",
    "null",
    "[]",
    "00",
];

/// `req[3]` minus the broker clock: either side of the 60 s window (WIRE-12), far ahead, far
/// behind, and 0 (clamped).
const TS_OFFSETS: &[i64] = &[
    -60_001,
    -59_000,
    59_000,
    60_001,
    3_600_000,
    -3_600_000,
    100_000_000_000_000,
    -1_600_000_000_000,
    i64::MIN / 2,
];

#[cfg(test)]
mod tests;
