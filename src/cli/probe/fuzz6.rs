//! FUZZ-6: `sort` injection into ORDER BY. Clearnode upper-cases the list option `sort` and
//! appends it to `ORDER BY <column> ` (`list_options.go:20-26`, API-0), on public read methods
//! that need no login. The probe asks `get_app_sessions` (public) with sort values that are
//! SQL and not a direction, read-only and harmless, and compares the answers:
//! - `asc, 1` is valid SQL but no direction: accepted only where `sort` is spliced in;
//! - `asc, no_such_column_fuzz6` and `asc, 1/0` fail only where the database evaluates them;
//! - `asc, (select 1 from pg_sleep(1))` delays the answer by a second only where PostgreSQL
//!   runs a sub-query of our choosing (one row to sort is created first).

use super::kit::{call, limits, login, zero_session};
use super::record::{gist, ProbeResult, Transcript, Verdict};
use crate::client::Connection;
use crate::crypto::identity::{derive, Role};
use serde_json::json;
use std::time::Instant;

const ID: &str = "FUZZ-6";
/// How much slower than the plain query the sleeping one must be to count (of its 1 s).
const SLEEP_SHOWS_MS: u64 = 800;

/// How the broker answered one `sort`.
struct Answer {
    accepted: bool,
    gist: String,
    ms: u64,
}

async fn ask(
    conn: &mut Connection,
    participant: &str,
    sort: &str,
    t: &mut Transcript,
) -> Option<Answer> {
    let started = Instant::now();
    let params = json!({"participant": participant, "sort": sort});
    let reply = call(conn, "R", "get_app_sessions", &params, &[], t)
        .await
        .ok()?;
    Some(Answer {
        accepted: reply.frame.error_message().is_none(),
        gist: gist(&reply.text),
        ms: started.elapsed().as_millis() as u64,
    })
}

pub async fn run(url: &str, seed: u64) -> ProbeResult {
    let mut t = Transcript::default();
    let (d, e) = (
        derive(seed, Role::Wallet, 60),
        derive(seed, Role::Wallet, 61),
    );
    // A row to sort, so that sort keys are evaluated at all.
    let key = derive(seed, Role::SessionKey, 60).address();
    let rows = match login(url, &d, &key, "fuzz-6", &mut t, "D").await {
        Ok(mut conn) => {
            let created = zero_session(&mut conn, "D", "fuzz-6", &d, &e.address(), &mut t).await;
            conn.close().await;
            created.is_ok()
        }
        Err(_) => false,
    };
    t.note(format!(
        "reading D's sessions ({}) on an unauthenticated connection",
        if rows {
            "one row"
        } else {
            "no row: the sleep test cannot show"
        }
    ));
    let Ok(mut reader) = Connection::connect(url, limits()).await else {
        return inconclusive("could not connect".into()).with(t);
    };
    let participant = d.address();
    let mut answers = Vec::new();
    for sort in [
        "asc",
        "asc",
        "desc",
        "asc, 1",
        "asc, no_such_column_fuzz6",
        "asc, 1/0",
        "asc, (select 1 from pg_sleep(1))",
    ] {
        match ask(&mut reader, &participant, sort, &mut t).await {
            Some(a) => answers.push(a),
            None => {
                reader.close().await;
                return inconclusive(format!("`sort: {sort}` got no reply")).with(t);
            }
        }
    }
    reader.close().await;
    judge(&answers, rows).with(t)
}

fn inconclusive(summary: String) -> ProbeResult {
    ProbeResult::new(ID, None, Verdict::Inconclusive, summary)
}

fn judge(a: &[Answer], rows: bool) -> ProbeResult {
    let plain_ms = a[0].ms.max(a[1].ms).max(a[2].ms);
    let (extra, column, zero, sleep) = (&a[3], &a[4], &a[5], &a[6]);
    let delay = sleep.ms.saturating_sub(plain_ms);
    let evaluated = (extra.accepted && (!column.accepted || !zero.accepted))
        || (sleep.accepted && delay >= SLEEP_SHOWS_MS);
    let seen = format!(
        "`asc` {}; `asc, 1` {}; `asc, no_such_column_fuzz6` {}; `asc, 1/0` {}; \
         `asc, (select 1 from pg_sleep(1))` {} after {} ms (plain: {plain_ms} ms{})",
        a[0].gist,
        extra.gist,
        column.gist,
        zero.gist,
        sleep.gist,
        sleep.ms,
        if rows { "" } else { ", no row to sort" }
    );
    let (verdict, what) = if !a[0].accepted {
        (Verdict::Inconclusive, "the plain `sort: asc` was refused")
    } else if evaluated {
        (
            Verdict::Vulnerable,
            "`sort` reaches the database as SQL, unauthenticated: expressions and sub-queries of \
             the caller's choosing run inside ORDER BY",
        )
    } else {
        (
            Verdict::Survived,
            "no `sort` value other than a direction reached the database",
        )
    };
    ProbeResult::new(ID, None, verdict, format!("{what}. {seen}."))
        .figure("plain_ms", plain_ms)
        .figure("sleep_ms", sleep.ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(accepted: [bool; 7], sleep_ms: u64) -> Vec<Answer> {
        accepted
            .iter()
            .enumerate()
            .map(|(i, &ok)| Answer {
                accepted: ok,
                gist: String::new(),
                ms: if i == 6 { sleep_ms } else { 5 },
            })
            .collect()
    }

    // FUZZ-6: Clearnode's answers (SQL spliced) against an allow-list's and an ignored sort.
    #[test]
    fn fuzz_6_only_evaluated_sql_is_a_weakness() {
        let spliced = answers([true, true, true, true, false, false, true], 1010);
        assert_eq!(judge(&spliced, true).verdict, Verdict::Vulnerable);
        let allow_list = answers([true, true, true, false, false, false, false], 5);
        assert_eq!(judge(&allow_list, true).verdict, Verdict::Survived);
        let ignored = answers([true; 7], 6);
        assert_eq!(judge(&ignored, true).verdict, Verdict::Survived);
        let sleeps_only = answers([true, true, true, false, false, false, true], 1200);
        assert_eq!(judge(&sleeps_only, true).verdict, Verdict::Vulnerable);
        let broken = answers([false; 7], 5);
        assert_eq!(judge(&broken, true).verdict, Verdict::Inconclusive);
    }
}
