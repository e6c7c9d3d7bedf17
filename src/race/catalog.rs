//! The race catalogue: for each [`Kind`], a race vector whose burst can only be served
//! serially in a few ways, built from a seed (amounts vary, the shape does not). Amounts are
//! chosen so that the serial outcomes and a racy outcome differ in what is accepted or in the
//! books: two debits that each fit the balance but not together, two submits of one version.
//!
//! `clients` is how many connections race in a burst (at least 2). Every wallet logs in once
//! with a signature; its other connections reuse the JWT (AUTH-9 budgets logins, AUTH-10).

use super::vector::{
    AllowanceRow, Balance, Burst, ConnSpec, Group, Kind, Login, RaceVector, RequestSpec, FORMAT,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::{json, Value};

pub const ASSET: &str = "usdc";
/// The application of the sessions and of the app session key the races use.
pub const APPLICATION: &str = "nitrocert-race";

/// The generator of round `round` under `seed`.
pub fn rng(seed: u64, round: u64) -> ChaCha8Rng {
    let mut material = [0u8; 32];
    material[..8].copy_from_slice(&seed.to_le_bytes());
    material[8..16].copy_from_slice(&round.to_le_bytes());
    material[16..].copy_from_slice(b"nitrocert/race/1");
    ChaCha8Rng::from_seed(material)
}

/// The generator of `kind`'s race in round `round`: a round's race and the reproducer written
/// from it draw the same amounts.
pub fn kind_rng(seed: u64, round: u64, kind: Kind) -> ChaCha8Rng {
    let index = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u64;
    rng(seed, round.wrapping_mul(64).wrapping_add(index))
}

/// A uniform integer in `lo..=hi`.
fn pick(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    lo + rng.next_u64() % (hi - lo + 1)
}

/// A race of `kind` with `clients` racing connections.
pub fn build(kind: Kind, clients: usize, rng: &mut ChaCha8Rng) -> RaceVector {
    let n = clients.max(2);
    let mut b = Builder::new(kind, n);
    match kind {
        Kind::DuplicateTransfer => duplicate_transfer(&mut b, n, rng),
        Kind::OverdrawTransfer => overdraw_transfer(&mut b, n, rng),
        Kind::DoubleCreate => double_create(&mut b, n, rng),
        Kind::ConcurrentSubmit => concurrent_submit(&mut b, n, rng),
        Kind::SubmitVsClose => submit_vs_close(&mut b, n, rng),
        Kind::DepositWithdrawTransfer => deposit_withdraw_transfer(&mut b, n, rng),
        Kind::SessionKeyAllowance => session_key_allowance(&mut b, n, rng),
    }
    b.v
}

struct Builder {
    v: RaceVector,
}

impl Builder {
    fn new(kind: Kind, clients: usize) -> Self {
        Builder {
            v: RaceVector {
                format: FORMAT.into(),
                id: format!("races/{}-{clients}c", kind.name()),
                description: describe(kind, clients),
                groups: vec![Group {
                    name: String::new(),
                    kind,
                }],
                rules: kind.rules().iter().map(|r| r.to_string()).collect(),
                balances: vec![],
                connections: vec![],
                setup: vec![],
                bursts: vec![Burst { release: vec![] }],
            },
        }
    }

    fn fund(&mut self, wallet: &str, amount: u64) {
        self.v.balances.push(Balance {
            wallet: wallet.into(),
            asset: ASSET.into(),
            amount: amount.to_string(),
        });
    }

    fn conn(&mut self, name: &str, wallet: &str, login: Login) {
        self.v.connections.push(ConnSpec {
            name: name.into(),
            wallet: wallet.into(),
            login,
            group: String::new(),
        });
    }

    /// The usual login: a root (`clearnode`) key named `<wallet>.sk`.
    fn login(&mut self, name: &str, wallet: &str) {
        let login = Login::Signature {
            session_key: format!("{wallet}.sk"),
            application: "clearnode".into(),
            allowances: vec![],
        };
        self.conn(name, wallet, login);
    }

    fn jwt(&mut self, name: &str, wallet: &str, of: &str) {
        self.conn(name, wallet, Login::Jwt { of: of.into() });
    }

    fn setup(&mut self, conn: &str, method: &str, params: Value, sig: &[&str]) {
        self.v.setup.push(request(conn, method, params, sig));
    }

    fn release(&mut self, conn: &str, method: &str, params: Value, sig: &[&str]) {
        self.v.bursts[0]
            .release
            .push(request(conn, method, params, sig));
    }
}

fn request(conn: &str, method: &str, params: Value, sig: &[&str]) -> RequestSpec {
    RequestSpec {
        conn: conn.into(),
        method: method.into(),
        params,
        sig: sig.iter().map(|s| s.to_string()).collect(),
        same_as: None,
    }
}

fn describe(kind: Kind, n: usize) -> String {
    match kind {
        Kind::DuplicateTransfer => format!("The same signed transfer released on {n} connections of one wallet: the replay cache must admit it once (REPLAY-2, FUZZ-5)."),
        Kind::OverdrawTransfer => format!("{n} transfers from one wallet, any two of which overdraw it, released together: at most one may be accepted (Q-23)."),
        Kind::DoubleCreate => format!("{n} app sessions funded from one balance that covers only one of them, created at once (Q-23)."),
        Kind::ConcurrentSubmit => format!("{n} participants submit version 2 of one NitroRPC/0.4 session at once, each alone a quorum: one may win (Q-23)."),
        Kind::SubmitVsClose => format!("A submit of version 2 races a close of the same session ({n} requests): the close must see the session before or after the submit (Q-23)."),
        Kind::DepositWithdrawTransfer => format!("A deposit, a withdrawal and transfers on one unified balance ({n} requests): the deposit and a transfer cannot both be covered (Q-23)."),
        Kind::SessionKeyAllowance => format!("{n} transfers signed by one session key from {n} connections, any two over its allowance (Q-23, AS-SK-3)."),
    }
}

fn transfer(to: &str, amount: u64) -> Value {
    json!({"destination": format!("${to}"), "allocations": [{"asset": ASSET, "amount": amount.to_string()}]})
}

fn rows(participants: &[&str], amounts: &[u64]) -> Value {
    Value::Array(
        participants
            .iter()
            .zip(amounts)
            .map(|(p, a)| json!({"participant": format!("${p}"), "asset": ASSET, "amount": a.to_string()}))
            .collect(),
    )
}

/// A NitroRPC/0.4 session in which every participant alone is a quorum.
fn create(participants: &[&str], amounts: &[u64], nonce: u64) -> Value {
    json!({
        "definition": {
            "application": APPLICATION,
            "protocol": "NitroRPC/0.4",
            "participants": participants.iter().map(|p| format!("${p}")).collect::<Vec<_>>(),
            "weights": participants.iter().map(|_| 1).collect::<Vec<_>>(),
            "quorum": 1,
            "challenge": 0,
            "nonce": nonce,
        },
        "allocations": rows(participants, amounts),
    })
}

fn submit(session: usize, intent: &str, participants: &[&str], amounts: &[u64]) -> Value {
    json!({"app_session_id": format!("$session.{session}"), "intent": intent, "version": 2,
           "allocations": rows(participants, amounts)})
}

/// Connections `a1` (signature) and `a2..an` (JWT of `a1`) for wallet `A`, and `b1` for `B`.
fn sender_and_recipient(b: &mut Builder, n: usize) {
    b.login("a1", "A");
    for i in 2..=n {
        b.jwt(&format!("a{i}"), "A", "a1");
    }
    b.login("b1", "B");
}

fn duplicate_transfer(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let balance = pick(rng, 40, 120);
    // Every copy is covered by the balance: only the replay cache may stop the copies.
    let amount = (balance / n as u64).max(1);
    b.fund("A", balance);
    sender_and_recipient(b, n);
    b.release("a1", "transfer", transfer("B", amount), &["A"]);
    for i in 2..=n {
        let mut copy = request(&format!("a{i}"), "transfer", Value::Null, &[]);
        copy.same_as = Some(0);
        b.v.bursts[0].release.push(copy);
    }
}

fn overdraw_transfer(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let balance = pick(rng, 50, 150);
    b.fund("A", balance);
    sender_and_recipient(b, n);
    for i in 1..=n {
        let amount = (balance / 2 + i as u64).min(balance);
        b.release(&format!("a{i}"), "transfer", transfer("B", amount), &["A"]);
    }
}

fn double_create(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let balance = pick(rng, 50, 150);
    b.fund("A", balance);
    sender_and_recipient(b, n);
    for i in 1..=n {
        let amount = (balance / 2 + i as u64).min(balance);
        let params = create(&["A", "B"], &[amount, 0], i as u64);
        b.release(&format!("a{i}"), "create_app_session", params, &["A"]);
    }
}

fn concurrent_submit(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let base = pick(rng, 20, 100);
    let shift = pick(rng, 1, base / n as u64);
    let names: Vec<String> = (1..=n).map(|i| format!("P{i}")).collect();
    let ps: Vec<&str> = names.iter().map(String::as_str).collect();
    for p in &ps {
        b.fund(p, base);
        b.login(&p.to_lowercase(), p);
    }
    b.setup(
        "p1",
        "create_app_session",
        create(&ps, &vec![base; n], 1),
        &ps,
    );
    for (i, p) in ps.iter().enumerate() {
        // Each proposes a split in its own favour; every split keeps the total.
        let amounts: Vec<u64> = (0..n)
            .map(|j| {
                if i == j {
                    base + shift * (n as u64 - 1)
                } else {
                    base - shift
                }
            })
            .collect();
        let params = submit(0, "operate", &ps, &amounts);
        b.release(&p.to_lowercase(), "submit_app_state", params, &[p]);
    }
}

fn submit_vs_close(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let base = pick(rng, 20, 100);
    let shift = pick(rng, 1, base / 2);
    b.fund("A", base);
    b.fund("B", base);
    sender_and_recipient(b, n - 1);
    b.setup(
        "a1",
        "create_app_session",
        create(&["A", "B"], &[base, base], 1),
        &["A", "B"],
    );
    b.release(
        "b1",
        "close_app_session",
        json!({"app_session_id": "$session.0", "allocations": rows(&["A", "B"], &[base, base])}),
        &["B"],
    );
    for i in 1..n {
        let s = (shift + i as u64 - 1).min(base);
        let params = submit(0, "operate", &["A", "B"], &[base + s, base - s]);
        b.release(&format!("a{i}"), "submit_app_state", params, &["A"]);
    }
}

fn deposit_withdraw_transfer(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let n = n.max(3);
    let unified = pick(rng, 40, 100);
    let withdrawn = pick(rng, 1, 5);
    // Either debit alone fits; both do not, even after the withdrawal came back.
    let debit = (unified + withdrawn) / 2 + 1;
    b.fund("A", unified + withdrawn);
    sender_and_recipient(b, n);
    b.setup(
        "a1",
        "create_app_session",
        create(&["A", "B"], &[0, 0], 1),
        &[],
    );
    b.setup(
        "a1",
        "create_app_session",
        create(&["A", "B"], &[withdrawn, 0], 2),
        &["A"],
    );
    b.release(
        "a1",
        "submit_app_state",
        submit(0, "deposit", &["A", "B"], &[debit, 0]),
        &["A"],
    );
    b.release(
        "a2",
        "submit_app_state",
        submit(1, "withdraw", &["A", "B"], &[0, 0]),
        &["A"],
    );
    for i in 3..=n {
        let amount = debit + i as u64 - 3;
        b.release(&format!("a{i}"), "transfer", transfer("B", amount), &["A"]);
    }
}

fn session_key_allowance(b: &mut Builder, n: usize, rng: &mut ChaCha8Rng) {
    let cap = pick(rng, 20, 100);
    // The balance covers every transfer; only the key's allowance may stop them.
    b.fund("A", cap * n as u64);
    b.conn(
        "a1",
        "A",
        Login::Signature {
            session_key: "A.app".into(),
            application: APPLICATION.into(),
            allowances: vec![AllowanceRow {
                asset: ASSET.into(),
                amount: cap.to_string(),
            }],
        },
    );
    for i in 2..=n {
        b.jwt(&format!("a{i}"), "A", "a1");
    }
    b.login("b1", "B");
    for i in 1..=n {
        let amount = (cap / 2 + i as u64).min(cap);
        b.release(
            &format!("a{i}"),
            "transfer",
            transfer("B", amount),
            &["A.app"],
        );
    }
}

/// One vector holding several races on disjoint wallets, released by one barrier: the
/// checker splits the history back by keys (P-compositionality). Names get the kind as a
/// prefix (`overdraw-transfer.A`), and each race becomes a group named after its kind.
pub fn merge(id: &str, parts: &[RaceVector]) -> RaceVector {
    let mut out = RaceVector {
        format: FORMAT.into(),
        id: id.into(),
        description: format!(
            "{} races released together on disjoint wallets",
            parts.len()
        ),
        groups: vec![],
        rules: vec![],
        balances: vec![],
        connections: vec![],
        setup: vec![],
        bursts: vec![Burst { release: vec![] }],
    };
    for part in parts {
        let kind = part.groups[0].kind;
        let prefix = kind.name();
        let rename = |name: &str| format!("{prefix}.{name}");
        let setup_offset = out.setup.len();
        let release_offset = out.bursts[0].release.len();
        out.groups.push(Group {
            name: prefix.into(),
            kind,
        });
        for r in &part.rules {
            if !out.rules.contains(r) {
                out.rules.push(r.clone());
            }
        }
        for bal in &part.balances {
            out.balances.push(Balance {
                wallet: rename(&bal.wallet),
                ..bal.clone()
            });
        }
        for c in &part.connections {
            out.connections.push(ConnSpec {
                name: rename(&c.name),
                wallet: rename(&c.wallet),
                login: match &c.login {
                    Login::Signature {
                        session_key,
                        application,
                        allowances,
                    } => Login::Signature {
                        session_key: rename(session_key),
                        application: application.clone(),
                        allowances: allowances.clone(),
                    },
                    Login::Jwt { of } => Login::Jwt { of: rename(of) },
                },
                group: prefix.into(),
            });
        }
        let shift = |r: &RequestSpec| RequestSpec {
            conn: rename(&r.conn),
            method: r.method.clone(),
            params: rename_placeholders(&r.params, prefix, setup_offset),
            sig: r.sig.iter().map(|s| rename(s)).collect(),
            same_as: r.same_as.map(|i| i + release_offset),
        };
        out.setup.extend(part.setup.iter().map(shift));
        if let Some(burst) = part.bursts.first() {
            out.bursts[0]
                .release
                .extend(burst.release.iter().map(shift));
        }
    }
    out
}

fn rename_placeholders(value: &Value, prefix: &str, setup_offset: usize) -> Value {
    use super::vector::{placeholder, Placeholder};
    match value {
        Value::String(s) => match placeholder(s) {
            Some(Placeholder::Identity(name)) => Value::String(format!("${prefix}.{name}")),
            Some(Placeholder::Session(n)) => {
                Value::String(format!("$session.{}", n + setup_offset))
            }
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| rename_placeholders(v, prefix, setup_offset))
                .collect(),
        ),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), rename_placeholders(v, prefix, setup_offset)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_builds_a_valid_vector_and_merges() {
        let mut parts = Vec::new();
        for &kind in Kind::ALL {
            for clients in [2, 3, 5] {
                let v = build(kind, clients, &mut rng(7, 1));
                v.validate()
                    .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
                assert!(v.bursts[0].release.len() >= clients);
            }
            parts.push(build(kind, 2, &mut rng(7, 1)));
        }
        let merged = merge("races/round", &parts);
        merged.validate().unwrap();
        let releases: usize = parts.iter().map(|p| p.bursts[0].release.len()).sum();
        assert_eq!(merged.bursts[0].release.len(), releases);
        assert_eq!(merged.groups.len(), Kind::ALL.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_vector() {
        let a = build(Kind::OverdrawTransfer, 2, &mut rng(3, 9));
        let b = build(Kind::OverdrawTransfer, 2, &mut rng(3, 9));
        assert_eq!(a, b);
    }
}
