//! FUZZ-8: huge frames (TRANS-5) and slow readers (TRANS-8, LIM-4).
//!
//! Huge frame: one `ping` of 100 MiB. Clearnode sets no read limit, so it buffers and decodes
//! it whole; a broker with a frame limit closes the connection at the header.
//!
//! Slow reader: connection S, logged in as wallet W with a tiny receive buffer, stops reading
//! and asks for large replies (`unknown method: <256 KiB name>`, routed before any login check,
//! WIRE-6) until the broker's queue and the socket are full. Connection F, also W, then sends
//! `transfer`s (failing ones: W holds nothing), each of which pushes a `bu` to every
//! connection of W, S included. Clearnode enqueues that push under its hub lock with a 5 s
//! timeout and a one-shot close signal, so F waits, and a second timeout blocks for good with
//! the lock held: new connections then hang. A monitor measures the others' latency all along:
//! pings on a connection it already has, and pings on new connections.

use super::kit::{alive, call, limits, login_on, ping_new};
use super::record::{gist, ProbeResult, Transcript, Verdict};
use crate::client::{now_ms, ClientError, Connection, Limits, Received};
use crate::crypto::identity::{derive, Role};
use crate::wire::{encode_req, encode_signed};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ID: &str = "FUZZ-8";
/// The huge frame (issue #13: "a 100 MB frame").
const HUGE_BYTES: usize = 100 << 20;
/// The slow reader's request: a method name this long comes back in the error text.
const LONG_NAME: usize = 256 << 10;
/// At most this many long requests from the slow reader (about 10 MiB of replies).
const SLOW_REQUESTS: usize = 40;
/// A reply to F slower than this means F waited for the slow reader (Clearnode waits 5 s).
const STALL_MS: u64 = 3_000;
/// How long F waits for a reply before calling the broker hung.
const HANG_MS: u64 = 20_000;

/// Peak and current memory of a local process, from /proc (Linux), in KiB.
fn memory_kib(pid: Option<u32>) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

pub async fn huge_frame(url: &str, pid: Option<u32>) -> ProbeResult {
    let mut t = Transcript::default();
    let part = Some("huge-frame");
    let before = memory_kib(pid);
    let limits = Limits {
        reply_timeout_ms: 60_000,
        max_frame_bytes: HUGE_BYTES + (1 << 20),
        ..limits()
    };
    let Ok(mut conn) = Connection::connect(url, limits).await else {
        return ProbeResult::new(ID, part, Verdict::Inconclusive, "could not connect".into())
            .with(t);
    };
    let pad = "a".repeat(HUGE_BYTES);
    let frame = encode_signed(
        &encode_req(1, "ping", &json!({ "pad": pad }), now_ms()),
        &[],
    );
    drop(pad);
    t.sent("H", &frame);
    let started = Instant::now();
    let outcome = send_and_read(&mut conn, &frame).await;
    let ms = started.elapsed().as_millis() as u64;
    drop(frame);
    conn.close().await;
    let survived = alive(url).await;
    let after = memory_kib(pid);
    let (verdict, summary) = match (&outcome, survived) {
        (_, false) => (
            Verdict::Crashed,
            format!(
                "after a {} MiB frame the broker no longer answers",
                HUGE_BYTES >> 20
            ),
        ),
        (Ok(reply), true) => {
            t.received("H", &reply.text);
            (
                Verdict::Vulnerable,
                format!(
                    "a {} MiB `ping` frame was read whole and answered with {} after {ms} ms: \
                     no frame-size limit (TRANS-5)",
                    HUGE_BYTES >> 20,
                    gist(&reply.text)
                ),
            )
        }
        (Err(e), true) => {
            t.note(format!("H: {e}"));
            (
                Verdict::Survived,
                format!(
                    "the {} MiB frame was refused ({e}) after {ms} ms, and the broker answers",
                    HUGE_BYTES >> 20
                ),
            )
        }
    };
    let mut result = ProbeResult::new(ID, part, verdict, summary).figure("reply_ms", ms);
    if let (Some((_, rss_before)), Some((peak, rss_after))) = (before, after) {
        t.note(format!(
            "broker memory: {rss_before} KiB before, {rss_after} KiB after, peak {peak} KiB"
        ));
        result = result
            .figure("broker_rss_before_kib", rss_before)
            .figure("broker_peak_kib", peak);
    }
    result.with(t)
}

/// Sends `frame` and reads up to its reply (the first frame that is not a notification): the
/// huge frame is not parsed on our side, unlike an exchange's request.
async fn send_and_read(conn: &mut Connection, frame: &str) -> Result<Received, ClientError> {
    conn.send(frame).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = conn.read(deadline).await?;
        if !r.frame.is_notification() {
            return Ok(r);
        }
    }
}

/// What the monitor saw while the slow reader stalled: latencies in ms, `None` for no answer.
#[derive(Default)]
struct Seen {
    old_conn: Vec<Option<u64>>,
    new_conn: Vec<Option<u64>>,
}

/// Pings on one held connection every 250 ms and on a new connection every second, until
/// `stop` is set.
async fn monitor(url: String, seen: Arc<Mutex<Seen>>, stop: Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    let fast = Limits {
        reply_timeout_ms: 2_000,
        connect_timeout_ms: 2_000,
        ..Limits::default()
    };
    let mut held = Connection::connect(&url, fast.clone()).await.ok();
    let mut tick = 0u32;
    while !stop.load(Ordering::SeqCst) {
        if let Some(conn) = held.as_mut() {
            let started = Instant::now();
            let ok = conn.sync().await.is_ok();
            let ms = ok.then(|| started.elapsed().as_millis() as u64);
            seen.lock().expect("monitor").old_conn.push(ms);
        }
        if tick % 4 == 0 {
            let ms = ping_new(&url, 2_000).await;
            seen.lock().expect("monitor").new_conn.push(ms);
        }
        tick += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if let Some(conn) = held {
        conn.close().await;
    }
}

/// The slow reader: logged in as `wallet` on a socket with a tiny receive buffer, it sends long
/// unknown methods and never reads; the number it could send.
async fn stall(url: &str, s: &mut Connection, t: &mut Transcript) -> usize {
    let name = "x".repeat(LONG_NAME);
    let mut sent = 0;
    for i in 0..SLOW_REQUESTS {
        let id = s.next_id();
        let frame = encode_signed(&encode_req(id, &name, &json!({}), now_ms()), &[]);
        match tokio::time::timeout(Duration::from_secs(2), s.send(&frame)).await {
            Ok(Ok(())) => sent += 1,
            _ => {
                t.note(format!(
                    "S: request {i} could not be sent within 2 s: the broker stopped reading S"
                ));
                break;
            }
        }
    }
    t.note(format!(
        "S sent {sent} requests for `unknown method: <{} KiB>` replies and reads nothing ({url})",
        LONG_NAME >> 10
    ));
    sent
}

async fn slow_socket(url: &str) -> Option<tokio::net::TcpStream> {
    let host = url
        .trim_start_matches("ws://")
        .split('/')
        .next()?
        .to_string();
    let addr = tokio::net::lookup_host(host).await.ok()?.next()?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .ok()?;
    socket.set_recv_buffer_size(4096).ok()?;
    socket.connect(addr).await.ok()
}

/// F's transfer and how long it took (`None`: no reply within [`HANG_MS`]).
async fn transfer(
    f: &mut Connection,
    w: &crate::crypto::SecretKey,
    to: &str,
    t: &mut Transcript,
) -> Option<u64> {
    let started = Instant::now();
    let params = json!({"destination": to, "allocations": [{"asset": "usdc", "amount": "1"}]});
    let reply = call(f, "F", "transfer", &params, std::slice::from_ref(w), t)
        .await
        .ok()?;
    let ms = started.elapsed().as_millis() as u64;
    t.note(format!("F: {} after {ms} ms", gist(&reply.text)));
    Some(ms)
}

pub async fn slow_reader(url: &str, seed: u64) -> ProbeResult {
    let mut t = Transcript::default();
    let part = Some("slow-reader");
    let inconclusive =
        |why: String, t: Transcript| ProbeResult::new(ID, part, Verdict::Inconclusive, why).with(t);
    let (w, other) = (
        derive(seed, Role::Wallet, 80),
        derive(seed, Role::Wallet, 81),
    );
    let Some(tcp) = slow_socket(url).await else {
        return inconclusive("could not open the slow reader's socket".into(), t);
    };
    let mut s = match Connection::connect_over(url, tcp, limits()).await {
        Ok(s) => s,
        Err(e) => return inconclusive(format!("S could not connect: {e}"), t),
    };
    let key_s = derive(seed, Role::SessionKey, 80).address();
    if let Err(e) = login_on(&mut s, &w, &key_s, "fuzz-8-slow", &mut t, "S").await {
        return inconclusive(format!("S could not log in: {e}"), t);
    }
    let key_f = derive(seed, Role::SessionKey, 81).address();
    // F waits up to HANG_MS for a reply: Clearnode's own wait is 5 s per blocked push.
    let patient = Limits {
        reply_timeout_ms: HANG_MS,
        ..limits()
    };
    let mut f = match Connection::connect(url, patient).await {
        Ok(f) => f,
        Err(e) => return inconclusive(format!("F could not connect: {e}"), t),
    };
    if let Err(e) = login_on(&mut f, &w, &key_f, "fuzz-8-fast", &mut t, "F").await {
        return inconclusive(format!("F could not log in: {e}"), t);
    }
    let to = other.address();
    // Calibration: before the stall, while S still reads.
    let _ = s.drain(300).await;
    let Some(calm_ms) = transfer(&mut f, &w, &to, &mut t).await else {
        return inconclusive("F's transfer got no reply before the stall".into(), t);
    };
    let _ = s.drain(300).await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn(monitor(url.to_string(), seen.clone(), stop.clone()));
    let sent = stall(url, &mut s, &mut t).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        // The client's own reply timeout (HANG_MS) ends a wait that never ends.
        let ms = transfer(&mut f, &w, &to, &mut t).await;
        stalled.push(ms);
        if ms.is_none() {
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = tokio::time::timeout(Duration::from_secs(10), watcher).await;
    drop(s);
    f.close().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = ping_new(url, 5_000).await;
    let seen = std::mem::take(&mut *seen.lock().expect("monitor"));
    judge(calm_ms, &stalled, &seen, after, sent, t)
}

fn judge(
    calm_ms: u64,
    stalled: &[Option<u64>],
    seen: &Seen,
    after: Option<u64>,
    sent: usize,
    mut t: Transcript,
) -> ProbeResult {
    let worst = |v: &[Option<u64>]| -> String {
        let missed = v.iter().filter(|m| m.is_none()).count();
        let max = v.iter().flatten().max().copied().unwrap_or(0);
        format!("{} pings, {missed} unanswered, slowest {max} ms", v.len())
    };
    let others = format!(
        "meanwhile pings on an open connection: {}; on new connections: {}",
        worst(&seen.old_conn),
        worst(&seen.new_conn)
    );
    t.note(&others);
    let f_text = stalled
        .iter()
        .map(|m| m.map_or("no reply".to_string(), |ms| format!("{ms} ms")))
        .collect::<Vec<_>>()
        .join(", then ");
    t.note(match after {
        Some(ms) => format!("after S left: a new connection answered a ping in {ms} ms"),
        None => "after S left: a new connection got no answer to a ping within 5 s".into(),
    });
    let hung = after.is_none() || stalled.iter().any(Option::is_none);
    let slow = stalled.iter().flatten().any(|&ms| ms >= STALL_MS)
        || seen.new_conn.iter().any(Option::is_none);
    let (verdict, what) = if hung {
        (
            Verdict::Hung,
            format!(
                "with one slow reader (S, {sent} long requests unread), the other connection of \
                 the same wallet waited for good on its `transfer` ({f_text}; {calm_ms} ms \
                 before the stall), and {}",
                if after.is_none() {
                    "after S left, a new connection still got no answer: the broker hangs until \
                     restarted"
                } else {
                    "the broker answered new connections again after S left"
                }
            ),
        )
    } else if slow {
        (
            Verdict::Stalled,
            format!(
                "one slow reader held up another client: F's `transfer` took {f_text} ({calm_ms} \
                 ms before the stall); the broker came back"
            ),
        )
    } else {
        (
            Verdict::Survived,
            format!(
                "one slow reader ({sent} long requests unread) did not hold up others: F's \
                 `transfer` took {f_text} ({calm_ms} ms before)"
            ),
        )
    };
    let mut result = ProbeResult::new(
        ID,
        Some("slow-reader"),
        verdict,
        format!("{what}; {others}."),
    )
    .figure("calm_transfer_ms", calm_ms)
    .figure("slow_requests_sent", sent as u64);
    for (i, ms) in stalled.iter().enumerate() {
        result = result.figure(&format!("stalled_transfer_{}_ms", i + 1), *ms);
    }
    result.with(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(old: &[Option<u64>], new: &[Option<u64>]) -> Seen {
        Seen {
            old_conn: old.to_vec(),
            new_conn: new.to_vec(),
        }
    }

    // FUZZ-8 / TRANS-8: a wait of Clearnode's 5 s enqueue timeout is a stall, no reply a hang.
    #[test]
    fn fuzz_8_slow_reader_verdicts() {
        let calm = seen(&[Some(3)], &[Some(9)]);
        let v = |stalled: &[Option<u64>], s: &Seen, after| {
            judge(5, stalled, s, after, 40, Transcript::default()).verdict
        };
        assert_eq!(v(&[Some(6), Some(4)], &calm, Some(8)), Verdict::Survived);
        assert_eq!(v(&[Some(5_010), Some(4)], &calm, Some(8)), Verdict::Stalled);
        let locked = seen(&[Some(3)], &[Some(9), None]);
        assert_eq!(v(&[Some(6), Some(4)], &locked, Some(8)), Verdict::Stalled);
        assert_eq!(v(&[Some(5_010), None], &locked, Some(8)), Verdict::Hung);
        assert_eq!(v(&[Some(6), Some(4)], &calm, None), Verdict::Hung);
    }
}
