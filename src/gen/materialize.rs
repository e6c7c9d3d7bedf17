//! Turning a plan ([`Op`]) into a concrete request against the current state: real session ids,
//! the next version, quorum-reaching signer sets, amounts the wallets can afford and splits that
//! add up to the session totals; then the plan's flaw, if any, breaks exactly one of those.

use super::op::{Asset, Flaw, Intent, Kind, Op, Protocol, Shape, SHARE_ONE};
use super::world::{address, session_key_name, Request, World, OUTSIDER};
use crate::model::amount::{fraction_digits, normalized, parse_decimal, render};
use crate::model::{AppSession, Dec, Status};
use bigdecimal::Zero;
use num_bigint::BigInt;
use serde_json::Map;
use serde_json::{json, Value};

// The catalogue's params builders (`vectors::build`), built by moving values into maps rather
// than through `json!`, which serialises every value it is given: a generated create cost
// twice its model step. `builders_match_the_catalogue` keeps the bytes identical.

fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in members {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// `vectors::build::row`.
fn row(participant: &str, asset: &str, amount: &str) -> Value {
    object([
        ("participant", text(participant)),
        ("asset", text(asset)),
        ("amount", text(amount)),
    ])
}

/// `vectors::build::definition`.
fn definition(
    application: &str,
    protocol: &str,
    participants: &[&str],
    weights: &[i64],
    quorum: u64,
    nonce: u64,
) -> Value {
    object([
        ("application", text(application)),
        ("protocol", text(protocol)),
        (
            "participants",
            participants.iter().map(|p| text(p)).collect(),
        ),
        ("weights", weights.iter().map(|w| Value::from(*w)).collect()),
        ("quorum", Value::from(quorum)),
        ("challenge", Value::from(0)),
        ("nonce", Value::from(nonce)),
    ])
}

/// `vectors::build::create` without session data.
fn create(definition: Value, allocations: Vec<Value>) -> Value {
    object([
        ("definition", definition),
        ("allocations", Value::Array(allocations)),
    ])
}

/// `vectors::build::submit_v04`.
fn submit_v04(session: &str, intent: &str, version: u64, allocations: Vec<Value>) -> Value {
    object([
        ("app_session_id", text(session)),
        ("intent", text(intent)),
        ("version", Value::from(version)),
        ("allocations", Value::Array(allocations)),
    ])
}

/// `vectors::build::submit_v02` (and `close`: the same shape).
fn submit_v02(session: &str, allocations: Vec<Value>) -> Value {
    object([
        ("app_session_id", text(session)),
        ("allocations", Value::Array(allocations)),
    ])
}

/// `vectors::build::close`.
fn close(session: &str, allocations: Vec<Value>) -> Value {
    submit_v02(session, allocations)
}

/// A timestamp this far behind the broker clock is stale (WIRE-12: 60 s window).
const STALE_MS: i64 = -120_000;
/// The application of generated sessions (root `clearnode` keys may act for it, AS-SK-2).
const APPLICATION: &str = "fuzz";
const HUGE: [&str; 2] = ["1e50", "123456789012345678901234567890"];

/// `balance × share / 16`, rounded down to the balance's decimals (at least 2, at most 18), so
/// the result never exceeds the balance and stays representable (SPEC-5).
pub fn share_of(balance: &Dec, share: u8) -> Dec {
    if balance.is_zero() || share == 0 {
        return Dec::zero();
    }
    let scale = fraction_digits(balance).clamp(2, 18);
    fraction_down(balance, u64::from(share), u64::from(SHARE_ONE), scale)
}

/// `value × num / den` rounded towards zero to `scale` places, normalised: exact integer
/// arithmetic rather than a 100-digit decimal division (most of a generated step's cost).
/// The quotient's repeating digits come from `den` alone, so no rounding of bigdecimal's
/// 100-digit quotient could reach the `scale`-th place: the result is the same
/// (`gen::tests` checks it against the division).
fn fraction_down(value: &Dec, num: u64, den: u64, scale: i64) -> Dec {
    let (digits, value_scale) = value.as_bigint_and_scale();
    // value = digits / 10^value_scale, so the result is
    // digits × num × 10^(scale − value_scale) / den, truncated, over 10^scale.
    let mut numerator = digits.as_ref() * BigInt::from(num);
    let mut denominator = BigInt::from(den);
    let shift = scale - value_scale;
    let ten = BigInt::from(10u8);
    if shift >= 0 {
        numerator *= ten.pow(shift as u32);
    } else {
        denominator *= ten.pow((-shift) as u32);
    }
    normalized(&Dec::new(numerator / denominator, scale))
}

/// Splits `total` by `weights` (all zero: evenly); the last part takes the rounding remainder,
/// so the parts add up to `total` exactly.
pub fn split(total: &Dec, weights: &[u8]) -> Vec<Dec> {
    let even = weights.iter().all(|w| *w == 0);
    let w: Vec<u64> = weights
        .iter()
        .map(|x| if even { 1 } else { *x as u64 })
        .collect();
    let sum: u64 = w.iter().sum();
    let scale = fraction_digits(total).clamp(2, 18);
    let mut parts = Vec::with_capacity(w.len());
    let mut given = Dec::zero();
    for (i, x) in w.iter().enumerate() {
        if i + 1 == w.len() {
            parts.push(normalized(&(total - &given)));
        } else {
            let part = fraction_down(total, *x, sum, scale);
            given += &part;
            parts.push(part);
        }
    }
    parts
}

fn sessions_with(world: &World, status: Status) -> Vec<&AppSession> {
    let mut v: Vec<&AppSession> = world
        .model()
        .sessions()
        .filter(|s| s.status == status)
        .collect();
    v.sort_by_key(|s| s.seq);
    v
}

/// Distinct participants, in order.
fn members(s: &AppSession) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &s.participants {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Walks the participants from `start` (wrapping), skipping `exclude`, until their weights
/// reach the quorum; `below` stops just short of it instead.
fn walk(s: &AppSession, start: u8, exclude: &[String], below: bool) -> Vec<String> {
    let m = members(s);
    let mut out = Vec::new();
    let mut sum: i64 = 0;
    for i in 0..m.len() {
        let p = &m[(start as usize + i) % m.len()];
        if exclude.contains(p) {
            continue;
        }
        let w = s.weight_of(p).unwrap_or(0);
        if below && sum + w >= s.quorum as i64 {
            continue;
        }
        if !below && sum >= s.quorum as i64 {
            break;
        }
        sum += w;
        out.push(p.clone());
    }
    out
}

/// Identity names signing for participant addresses; bit i of `keys` makes the i-th sign
/// through its root session key. Participants that are none of ours cannot sign.
fn signer_names(world: &World, participants: &[String], keys: u8) -> Vec<String> {
    participants
        .iter()
        .filter_map(|p| world.name_of(p))
        .enumerate()
        .map(|(i, n)| {
            if n != OUTSIDER && keys & (1 << (i % 8)) != 0 {
                session_key_name(&n)
            } else {
                n
            }
        })
        .collect()
}

fn unknown_session_id(pick: u8) -> String {
    crate::crypto::to_hex(crate::crypto::keccak256(format!(
        "nitrocert/unknown-session/{pick}"
    )))
}

fn unified(world: &World, wallet: &str, asset: &str) -> Dec {
    world.model().unified_balance(wallet, asset)
}

/// `preferred` when one of `wallets` holds some of it, else an asset one of them holds: a
/// valid step moves funds that exist.
fn held_asset<'a>(world: &World, wallets: &[String], preferred: &'a str) -> &'a str {
    let holds = |a: &str| wallets.iter().any(|w| !unified(world, w, a).is_zero());
    if holds(preferred) {
        return preferred;
    }
    [Asset::Usdc, Asset::Eth]
        .into_iter()
        .map(Asset::symbol)
        .find(|a| holds(a))
        .unwrap_or(preferred)
}

fn amount_of(row: &Value) -> Dec {
    row["amount"]
        .as_str()
        .and_then(|a| parse_decimal(a).ok())
        .unwrap_or_default()
}

fn set_amount(row: &mut Value, amount: String) {
    row["amount"] = Value::String(amount);
}

/// Flaws that act on allocation rows, shared by every method with rows. Returns whether the
/// flaw was one of them.
fn flaw_rows(
    flaw: Flaw,
    pick: u8,
    rows: &mut Vec<Value>,
    asset: &str,
    plus_one_if_empty: &str,
) -> bool {
    let at = |rows: &Vec<Value>| pick as usize % rows.len().max(1);
    match flaw {
        Flaw::NonParticipantRow => rows.push(row(address(OUTSIDER), asset, "1")),
        Flaw::DuplicateRow if !rows.is_empty() => {
            let r = rows[at(rows)].clone();
            rows.push(r);
        }
        Flaw::NegativeAmount if !rows.is_empty() => {
            let i = at(rows);
            let a = amount_of(&rows[i]);
            let text = if a.is_zero() {
                "-1".into()
            } else {
                render(&-a)
            };
            set_amount(&mut rows[i], text);
        }
        Flaw::ZeroAmount if !rows.is_empty() => {
            let i = at(rows);
            set_amount(&mut rows[i], "0".into());
        }
        Flaw::HugeAmount if !rows.is_empty() => {
            let i = at(rows);
            set_amount(&mut rows[i], HUGE[pick as usize % HUGE.len()].into());
        }
        Flaw::ManyDecimals if !rows.is_empty() => {
            let i = at(rows);
            let a = amount_of(&rows[i]) + parse_decimal("0.0000000000000000001").expect("decimal");
            set_amount(&mut rows[i], render(&a));
        }
        Flaw::BadSum => {
            if rows.is_empty() {
                rows.push(row(plus_one_if_empty, asset, "1"));
            } else {
                let i = at(rows);
                let a = amount_of(&rows[i]) + Dec::from(1);
                set_amount(&mut rows[i], render(&a));
            }
        }
        _ => return false,
    }
    true
}

/// The concrete request of `op` in the current state, or `None` when there is nothing it could
/// address (no wallets to send from). `index` is the step's position, used for unique nonces.
pub fn materialize(op: &Op, world: &World, index: usize) -> Option<Request> {
    let wallets = world.wallets();
    if wallets.is_empty() {
        return None;
    }
    let conn = wallets[op.conn as usize % wallets.len()].clone();
    let mut ts_offset_ms = 0;
    if op.flaw == Some(Flaw::StaleTimestamp) {
        ts_offset_ms = STALE_MS;
    }
    let (method, params, signers) = match &op.kind {
        Kind::Create {
            protocol,
            size,
            first,
            shape,
            asset,
            shares,
        } => create_request(
            world,
            op,
            *protocol,
            *size,
            *first,
            *shape,
            asset.symbol(),
            shares,
            index,
        ),
        Kind::Submit {
            session,
            intent,
            asset,
            shares,
        } => submit_request(world, op, &conn, *session, *intent, asset.symbol(), shares),
        Kind::Close { session, shares } => close_request(world, op, &conn, *session, shares),
        Kind::Transfer { to, asset, share } => {
            transfer_request(world, op, &conn, *to, asset.symbol(), *share)
        }
    };
    Some(Request {
        conn,
        method: method.to_string(),
        params,
        signers,
        ts_offset_ms,
    })
}

type Parts = (&'static str, Value, Vec<String>);

#[allow(clippy::too_many_arguments)]
fn create_request(
    world: &World,
    op: &Op,
    protocol: Protocol,
    size: u8,
    first: u8,
    shape: Shape,
    asset: &str,
    shares: &[u8; 4],
    index: usize,
) -> Parts {
    let wallets = world.wallets();
    let k = (size as usize).clamp(2, wallets.len().max(2)).min(4);
    let names: Vec<String> = (0..k)
        .map(|j| wallets[(first as usize + j) % wallets.len()].clone())
        .collect();
    let mut participants: Vec<String> = names.iter().map(|n| address(n).to_string()).collect();
    let (weights, mut quorum): (Vec<i64>, u64) = match shape {
        Shape::Unanimous => (vec![50; k], 50 * k as u64),
        Shape::Majority => (vec![1; k], k as u64 / 2 + 1),
        Shape::Dictator => ((0..k).map(|j| i64::from(j == 0)).collect(), 1),
        Shape::Weighted => ((0..k).map(|j| if j == 0 { 60 } else { 40 }).collect(), 60),
    };
    let mut rows: Vec<Value> = participants
        .iter()
        .enumerate()
        .map(|(j, p)| {
            row(
                p,
                asset,
                &render(&share_of(&unified(world, p, asset), shares[j])),
            )
        })
        .collect();
    let flaw = op.flaw;
    let pick = op.pick as usize;
    let mut protocol_name = protocol.name().to_string();
    match flaw {
        Some(Flaw::Overdraw) => {
            let j = pick % k;
            let over = unified(world, &participants[j], asset) + Dec::from(1);
            set_amount(&mut rows[j], render(&over));
        }
        Some(Flaw::ZeroQuorum) => quorum = 0,
        Some(Flaw::QuorumTooHigh) => quorum = weights.iter().sum::<i64>() as u64 + 1,
        Some(Flaw::BadProtocol) => protocol_name = "NitroRPC/0.3".into(),
        Some(Flaw::DuplicateParticipant) => participants[1] = participants[0].clone(),
        Some(Flaw::LowercaseParticipant) => {
            let j = pick % k;
            participants[j] = participants[j].to_lowercase();
        }
        Some(f) => {
            flaw_rows(f, op.pick, &mut rows, asset, &participants[0]);
        }
        None => {}
    }
    // Every participant of a positive row signs (AS-CREATE-2); no quorum at create.
    let mut positive: Vec<String> = Vec::new();
    for r in &rows {
        let p = r["participant"].as_str().unwrap_or_default().to_string();
        let amount = r["amount"].as_str().and_then(|a| parse_decimal(a).ok());
        if amount.is_some_and(|a| a > Dec::zero()) && !positive.contains(&p) {
            positive.push(p);
        }
    }
    if flaw == Some(Flaw::MissingSignature) && !positive.is_empty() {
        positive.remove(pick % positive.len());
    }
    let signers = signer_names(world, &positive, op.keys);
    let refs: Vec<&str> = participants.iter().map(String::as_str).collect();
    let mut def = definition(
        APPLICATION,
        protocol.name(),
        &refs,
        &weights,
        quorum,
        index as u64 + 1,
    );
    def["protocol"] = Value::String(protocol_name);
    ("create_app_session", create(def, rows), signers)
}

/// Picks the target session: an open one normally, a closed or unknown one for those flaws.
fn target(world: &World, op: &Op, session: u8) -> Option<AppSession> {
    let list = match op.flaw {
        Some(Flaw::UnknownSession) => vec![],
        Some(Flaw::ClosedSession) => sessions_with(world, Status::Closed),
        _ => sessions_with(world, Status::Open),
    };
    if list.is_empty() {
        return None;
    }
    Some(list[session as usize % list.len()].clone())
}

/// Rows splitting every non-zero total among the participants by `shares`; `omit` leaves one
/// participant out (its share goes to the others).
fn split_rows(world: &World, s: &AppSession, shares: &[u8; 4], omit: Option<usize>) -> Vec<Value> {
    let m = members(s);
    let mut rows = Vec::new();
    for (asset, total) in world.model().session_totals(&s.id) {
        if total.is_zero() {
            continue;
        }
        let kept: Vec<usize> = (0..m.len()).filter(|j| Some(*j) != omit).collect();
        let weights: Vec<u8> = kept.iter().map(|j| shares[j % 4]).collect();
        for (j, part) in kept.iter().zip(split(&total, &weights)) {
            rows.push(row(&m[*j], &asset, &render(&part)));
        }
    }
    rows
}

/// The participant an omission leaves out: the first holder from `pick` on.
fn holder(world: &World, s: &AppSession, pick: u8) -> usize {
    let m = members(s);
    (0..m.len())
        .map(|i| (pick as usize + i) % m.len())
        .find(|j| {
            world
                .model()
                .session_totals(&s.id)
                .keys()
                .any(|a| !world.model().session_balance(&s.id, &m[*j], a).is_zero())
        })
        .unwrap_or(pick as usize % m.len().max(1))
}

/// A participant (from `pick` on) whom the others reach the quorum without, if there is one.
fn unneeded(s: &AppSession, m: &[String], pick: u8) -> usize {
    let total: i64 = m.iter().map(|p| s.weight_of(p).unwrap_or(0)).sum();
    (0..m.len())
        .map(|i| (pick as usize + i) % m.len())
        .find(|j| total - s.weight_of(&m[*j]).unwrap_or(0) >= s.quorum as i64)
        .unwrap_or(pick as usize % m.len())
}

/// Signers of a submit or close: a quorum set, or one of the signature flaws.
fn quorum_signers(world: &World, op: &Op, s: &AppSession, exclude: &[String]) -> Vec<String> {
    let names = match op.flaw {
        Some(Flaw::SubQuorum) => signer_names(world, &walk(s, op.start, &[], true), op.keys),
        Some(Flaw::DuplicateSigner) => {
            let m = members(s);
            let light: Vec<&String> = m
                .iter()
                .filter(|p| s.weight_of(p).unwrap_or(0) < s.quorum as i64)
                .collect();
            match light.get(op.pick as usize % light.len().max(1)) {
                Some(p) => {
                    let name = world.name_of(p);
                    match name {
                        Some(n) if op.keys & 1 != 0 => vec![n.clone(), session_key_name(&n)],
                        Some(n) => vec![n.clone(), n],
                        None => vec![],
                    }
                }
                None => signer_names(world, &walk(s, op.start, &[], true), op.keys),
            }
        }
        _ => signer_names(world, &walk(s, op.start, exclude, false), op.keys),
    };
    let mut names = names;
    if op.flaw == Some(Flaw::ForeignSigner) {
        names.push(OUTSIDER.to_string());
    }
    names
}

fn submit_request(
    world: &World,
    op: &Op,
    conn: &str,
    session: u8,
    intent: Intent,
    asset: &str,
    shares: &[u8; 4],
) -> Parts {
    let Some(s) = target(world, op, session) else {
        // Nothing to address: a submit to a session that does not exist.
        let rows = vec![row(address(conn), asset, "1")];
        let id = unknown_session_id(op.pick);
        return (
            "submit_app_state",
            submit_v04(&id, "operate", 2, rows),
            vec![conn.to_string()],
        );
    };
    let v04 = s.protocol == Protocol::V04.name();
    let intent = if v04 { intent } else { Intent::Operate };
    let m = members(&s);
    let mut flaw = op.flaw;
    let mut depositors: Vec<String> = Vec::new();
    let mut rows = match intent {
        Intent::Operate => {
            let omit = (flaw == Some(Flaw::OmitParticipant)).then(|| holder(world, &s, op.pick));
            split_rows(world, &s, shares, omit)
        }
        Intent::Deposit => {
            let mut chosen: Vec<usize> = (0..m.len()).filter(|j| shares[j % 4] > 0).collect();
            if flaw == Some(Flaw::UnsignedDepositor) {
                // One depositor whom the others can outvote, so only its missing signature
                // is wrong (a Dictator's second participant, one of a majority).
                chosen = vec![unneeded(&s, &m, op.pick)];
            }
            if chosen.is_empty() {
                chosen.push(op.start as usize % m.len());
            }
            let payers: Vec<String> = chosen.iter().map(|j| m[*j].clone()).collect();
            let asset = held_asset(world, &payers, asset);
            let mut assets: Vec<String> = world
                .model()
                .session_totals(&s.id)
                .into_iter()
                .filter(|(_, t)| !t.is_zero())
                .map(|(a, _)| a)
                .collect();
            if !assets.iter().any(|a| a == asset) {
                assets.push(asset.to_string());
            }
            let mut rows = Vec::new();
            for a in &assets {
                for (j, p) in m.iter().enumerate() {
                    let c = world.model().session_balance(&s.id, p, a);
                    let amount = if a == asset && chosen.contains(&j) {
                        let wallet = unified(world, p, a);
                        let delta = if flaw == Some(Flaw::Overdraw) {
                            flaw = None;
                            wallet + Dec::from(1)
                        } else {
                            share_of(&wallet, shares[j % 4].max(1))
                        };
                        if !delta.is_zero() {
                            depositors.push(p.clone());
                        }
                        c + delta
                    } else {
                        c
                    };
                    rows.push(row(p, a, &render(&amount)));
                }
            }
            rows
        }
        Intent::Withdraw => {
            let mut rows = Vec::new();
            let mut decreased = false;
            for (a, total) in world.model().session_totals(&s.id) {
                if total.is_zero() {
                    continue;
                }
                for (j, p) in m.iter().enumerate() {
                    let c = world.model().session_balance(&s.id, p, &a);
                    let out = share_of(&c, shares[j % 4]);
                    decreased |= !out.is_zero();
                    rows.push(row(p, &a, &render(&(c - out))));
                }
            }
            if !decreased {
                // Nothing chosen: the first holder takes everything out.
                if let Some(r) = rows.iter_mut().find(|r| !amount_of(r).is_zero()) {
                    set_amount(r, "0".into());
                }
            }
            rows
        }
    };
    if let Some(f) = flaw {
        let f = if f == Flaw::Overdraw { Flaw::BadSum } else { f };
        flaw_rows(f, op.pick, &mut rows, asset, &m[0]);
    }
    let exclude = if flaw == Some(Flaw::UnsignedDepositor) {
        depositors.clone()
    } else {
        vec![]
    };
    let mut signers = quorum_signers(world, op, &s, &exclude);
    if intent == Intent::Deposit && flaw != Some(Flaw::UnsignedDepositor) {
        // AS-DEP-1 step 2.4: every depositor signs (directly or through its key).
        for n in signer_names(world, &depositors, 0) {
            let key = session_key_name(&n);
            if !signers.contains(&n) && !signers.contains(&key) {
                signers.push(n);
            }
        }
    }
    let version = s.version + 1;
    let mut params = if v04 {
        let name = match intent {
            Intent::Operate => "operate",
            Intent::Deposit => "deposit",
            Intent::Withdraw => "withdraw",
        };
        submit_v04(&s.id, name, version, rows)
    } else {
        submit_v02(&s.id, rows)
    };
    let mixup = matches!(op.flaw, Some(Flaw::ProtocolMixup))
        || (!v04 && matches!(op.flaw, Some(Flaw::WrongVersion | Flaw::StaleVersion)));
    match op.flaw {
        _ if mixup => {
            if v04 {
                let o = params.as_object_mut().expect("params are an object");
                o.remove("intent");
                o.remove("version");
            } else {
                params["intent"] = json!("operate");
                params["version"] = json!(version);
            }
        }
        Some(Flaw::WrongVersion) => {
            if op.pick % 4 == 0 {
                params.as_object_mut().expect("object").remove("version");
            } else {
                params["version"] = json!(version + 1 + u64::from(op.pick % 3));
            }
        }
        Some(Flaw::StaleVersion) => {
            let stale = if op.pick % 2 == 1 && s.version > 1 {
                s.version - 1
            } else {
                s.version
            };
            params["version"] = json!(stale);
        }
        _ => {}
    }
    ("submit_app_state", params, signers)
}

fn close_request(world: &World, op: &Op, conn: &str, session: u8, shares: &[u8; 4]) -> Parts {
    let Some(s) = target(world, op, session) else {
        let rows = vec![row(address(conn), "usdc", "0")];
        return (
            "close_app_session",
            close(&unknown_session_id(op.pick), rows),
            vec![conn.to_string()],
        );
    };
    let omit = (op.flaw == Some(Flaw::OmitParticipant)).then(|| holder(world, &s, op.pick));
    let mut rows = split_rows(world, &s, shares, omit);
    if rows.is_empty() {
        // An empty list is a missing parameter (AS-CLOSE-1 step 2): close with a zero row.
        rows.push(row(&s.participants[0], "usdc", "0"));
    }
    if let Some(f) = op.flaw {
        flaw_rows(f, op.pick, &mut rows, "usdc", &s.participants[0]);
    }
    let signers = quorum_signers(world, op, &s, &[]);
    ("close_app_session", close(&s.id, rows), signers)
}

fn transfer_request(world: &World, op: &Op, conn: &str, to: u8, asset: &str, share: u8) -> Parts {
    let from = address(conn);
    let others: Vec<&String> = world.wallets().iter().filter(|w| *w != conn).collect();
    let slot = to as usize % (others.len() + 1);
    let dest = if slot == others.len() {
        address(OUTSIDER)
    } else {
        address(others[slot])
    };
    let asset = held_asset(world, &[from.to_string()], asset);
    let balance = unified(world, from, asset);
    let amount = match op.flaw {
        Some(Flaw::Overdraw) => render(&(balance + Dec::from(1))),
        _ => {
            let a = share_of(&balance, share);
            if a.is_zero() {
                "1".to_string()
            } else {
                render(&a)
            }
        }
    };
    let mut rows = vec![object([
        ("asset", text(asset)),
        ("amount", Value::String(amount)),
    ])];
    if let Some(f) = op.flaw {
        if matches!(
            f,
            Flaw::NegativeAmount | Flaw::ZeroAmount | Flaw::HugeAmount | Flaw::ManyDecimals
        ) {
            flaw_rows(f, op.pick, &mut rows, asset, from);
        }
    }
    let signer = if op.flaw == Some(Flaw::ForeignSigner) {
        OUTSIDER.to_string()
    } else if op.keys & 1 != 0 {
        session_key_name(conn)
    } else {
        conn.to_string()
    };
    (
        "transfer",
        object([
            ("destination", text(dest)),
            ("allocations", Value::Array(rows)),
        ]),
        vec![signer],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::amount::dec;

    #[test]
    fn shares_never_exceed_the_balance_and_splits_add_up() {
        assert_eq!(render(&share_of(&dec("1000"), 16)), "1000");
        assert_eq!(render(&share_of(&dec("1000"), 3)), "187.5");
        assert_eq!(render(&share_of(&dec("0.01"), 1)), "0");
        let parts = split(&dec("100.01"), &[1, 1, 1]);
        assert_eq!(parts.iter().sum::<Dec>(), dec("100.01"));
        assert!(parts.iter().all(|p| *p >= Dec::zero()));
        assert_eq!(split(&dec("10"), &[0, 0]), vec![dec("5"), dec("5")]);
    }
}

#[cfg(test)]
mod builders {
    use super::*;
    use crate::vectors::build;

    /// The generator's builders give the catalogue's values, key order included (the request
    /// bytes, and so signatures and vectors, depend on it).
    #[test]
    fn builders_match_the_catalogue() {
        let same = |a: Value, b: Value| {
            assert_eq!(a.to_string(), b.to_string());
        };
        let rows = || vec![row("0xA", "usdc", "1.5"), row("0xB", "eth", "0")];
        let b_rows = || {
            vec![
                build::row("0xA", "usdc", "1.5"),
                build::row("0xB", "eth", "0"),
            ]
        };
        let parts = ["0xA", "0xB"];
        same(
            definition("fuzz", "NitroRPC/0.4", &parts, &[60, -40], 60, 9),
            build::definition("fuzz", "NitroRPC/0.4", &parts, &[60, -40], 60, 9),
        );
        let def = || definition("fuzz", "NitroRPC/0.2", &parts, &[1, 1], 2, 1);
        let b_def = || build::definition("fuzz", "NitroRPC/0.2", &parts, &[1, 1], 2, 1);
        same(
            create(def(), rows()),
            build::create(b_def(), b_rows(), None),
        );
        same(
            submit_v04("0x01", "deposit", 7, rows()),
            build::submit_v04("0x01", "deposit", 7, b_rows()),
        );
        same(
            submit_v02("0x01", rows()),
            build::submit_v02("0x01", b_rows()),
        );
        same(close("0x01", rows()), build::close("0x01", b_rows()));
        same(create(def(), vec![]), build::create(b_def(), vec![], None));
    }
}
