//! Redaction of what changes from run to run in a rendered report (times, durations, ports,
//! broker-made ids), so that report text can be compared against insta snapshots.
//!
//! Works on the text of any of our formats (JSON, JUnit, Markdown, HTML) and on raw wire text,
//! without parsing: a wire frame must not be re-serialised just to be compared.

use std::collections::HashMap;

/// Replaces every nondeterministic field of a rendered report with a placeholder:
///
/// - RFC 3339 date-times (`started_at`, broker `created_at`): `[ts]`;
/// - epoch-millisecond timestamps inside wire text (13 digits, years 2017 to 2049): `[ts]`;
/// - ports after `scheme://host:` and after loopback hosts (`127.0.0.1`, `localhost`, `[::1]`):
///   `[port]`;
/// - durations as the writers print them (`"duration_ms": 12`, `time="0.012"`, `0.012 s`):
///   `[duration]`;
/// - JWTs (`eyJ…`): `[jwt]`;
/// - UUIDs: `[uuid#1]`, `[uuid#2]`, …, the same UUID getting the same number throughout, so
///   that a snapshot still shows which replies refer to the same challenge or session.
pub fn for_snapshot(text: &str) -> String {
    let text = replace(text, jwt);
    let mut uuids: HashMap<String, usize> = HashMap::new();
    let text = replace(&text, |t, i| {
        let len = uuid(t, i)?;
        let next = uuids.len() + 1;
        let n = *uuids
            .entry(t[i..i + len].to_ascii_lowercase())
            .or_insert(next);
        Some((len, format!("[uuid#{n}]")))
    });
    let text = replace(&text, rfc3339);
    let text = replace(&text, port);
    let text = replace(&text, duration);
    replace(&text, epoch_ms)
}

/// A match: how many bytes it covers from the position, and what replaces them.
type Match = Option<(usize, String)>;

/// Rebuilds `text`, asking `matcher` at every character boundary whether a pattern starts there.
fn replace(text: &str, mut matcher: impl FnMut(&str, usize) -> Match) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if let Some((len, with)) = matcher(text, i) {
            debug_assert!(len > 0 && text.is_char_boundary(i + len));
            out.push_str(&with);
            i += len;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

fn byte(t: &str, i: usize) -> Option<u8> {
    t.as_bytes().get(i).copied()
}

/// Is the byte before `i` absent or not part of a word, so a pattern does not start mid-token?
fn starts_token(t: &str, i: usize) -> bool {
    i == 0
        || !matches!(byte(t, i - 1), Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

fn ends_token(t: &str, i: usize) -> bool {
    !matches!(byte(t, i), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
}

/// Length of the run of bytes from `i` satisfying `f`.
fn run(t: &str, i: usize, f: impl Fn(u8) -> bool) -> usize {
    t.as_bytes()[i.min(t.len())..]
        .iter()
        .take_while(|b| f(**b))
        .count()
}

fn digits(t: &str, i: usize, n: usize) -> bool {
    run(t, i, |b| b.is_ascii_digit()) >= n
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn rfc3339(t: &str, i: usize) -> Match {
    if !starts_token(t, i) {
        return None;
    }
    let shape = [
        (4, b'-'),
        (2, b'-'),
        (2, b'T'),
        (2, b':'),
        (2, b':'),
        (2, 0),
    ];
    let mut j = i;
    for (n, sep) in shape {
        if run(t, j, |b| b.is_ascii_digit()) != n {
            return None;
        }
        j += n;
        if sep != 0 {
            if byte(t, j)? != sep && !(sep == b'T' && byte(t, j) == Some(b't')) {
                return None;
            }
            j += 1;
        }
    }
    if byte(t, j) == Some(b'.') && digits(t, j + 1, 1) {
        j += 1 + run(t, j + 1, |b| b.is_ascii_digit());
    }
    match byte(t, j) {
        Some(b'Z' | b'z') => j += 1,
        Some(b'+' | b'-')
            if run(t, j + 1, |b| b.is_ascii_digit()) == 2
                && byte(t, j + 3) == Some(b':')
                && run(t, j + 4, |b| b.is_ascii_digit()) == 2 =>
        {
            j += 6
        }
        _ => return None,
    }
    Some((j - i, "[ts]".into()))
}

/// A port: `://host:PORT` (host a name, an IPv4 address or a bracketed IPv6 address), or a
/// loopback host written without a scheme.
fn port(t: &str, i: usize) -> Match {
    let rest = &t[i..];
    let host_start = if rest.starts_with("://") {
        i + 3
    } else if starts_token(t, i)
        && ["127.0.0.1:", "localhost:", "[::1]:"]
            .iter()
            .any(|h| rest.starts_with(h))
    {
        i
    } else {
        return None;
    };
    let host_len = if byte(t, host_start) == Some(b'[') {
        run(t, host_start, |b| b != b']' && b != b'/' && b != b' ') + 1
    } else {
        run(t, host_start, |b| {
            b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'
        })
    };
    let colon = host_start + host_len;
    if host_len == 0 || byte(t, colon) != Some(b':') {
        return None;
    }
    let n = run(t, colon + 1, |b| b.is_ascii_digit());
    if n == 0 || n > 5 || !ends_token(t, colon + 1 + n) {
        return None;
    }
    Some((colon + 1 + n - i, format!("{}:[port]", &t[i..colon])))
}

/// The duration forms the writers print.
fn duration(t: &str, i: usize) -> Match {
    let rest = &t[i..];
    for key in ["\"duration_ms\": ", "time=\""] {
        if let Some(after) = rest.strip_prefix(key) {
            let n = run(after, 0, |b| b.is_ascii_digit() || b == b'.');
            if n > 0 {
                return Some((key.len() + n, format!("{key}[duration]")));
            }
        }
    }
    // `1.234 s` as printed by the Markdown and HTML writers.
    if !starts_token(t, i) {
        return None;
    }
    let whole = run(t, i, |b| b.is_ascii_digit());
    if whole == 0 || byte(t, i + whole) != Some(b'.') {
        return None;
    }
    let frac = run(t, i + whole + 1, |b| b.is_ascii_digit());
    let end = i + whole + 1 + frac;
    if frac != 3 || !t[end..].starts_with(" s") || !ends_token(t, end + 2) {
        return None;
    }
    Some((end + 2 - i, "[duration]".into()))
}

/// A 13-digit number read as milliseconds since 1970 falling in 2017..2049: a broker's clock.
fn epoch_ms(t: &str, i: usize) -> Match {
    if !starts_token(t, i) {
        return None;
    }
    let n = run(t, i, |b| b.is_ascii_digit());
    if n != 13 || !ends_token(t, i + n) || byte(t, i + n) == Some(b'.') {
        return None;
    }
    let value: u64 = t[i..i + n].parse().ok()?;
    (1_500_000_000_000..2_500_000_000_000)
        .contains(&value)
        .then(|| (n, "[ts]".into()))
}

/// `8-4-4-4-12` hex digits.
fn uuid(t: &str, i: usize) -> Option<usize> {
    if !starts_token(t, i) {
        return None;
    }
    let mut j = i;
    for (k, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if run(t, j, |b| b.is_ascii_hexdigit()) != n {
            return None;
        }
        j += n;
        if k < 4 {
            if byte(t, j) != Some(b'-') {
                return None;
            }
            j += 1;
        }
    }
    ends_token(t, j).then_some(j - i)
}

/// A compact JWT: three base64url segments, the header starting `eyJ` (`{"`).
fn jwt(t: &str, i: usize) -> Match {
    if !starts_token(t, i) || !t[i..].starts_with("eyJ") {
        return None;
    }
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let mut j = i;
    for k in 0..3 {
        let n = run(t, j, b64);
        if n == 0 {
            return None;
        }
        j += n;
        if k < 2 {
            if byte(t, j) != Some(b'.') {
                return None;
            }
            j += 1;
        }
    }
    Some((j - i, "[jwt]".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(
            for_snapshot("\"started_at\": \"2025-11-26T18:18:00.123456Z\","),
            "\"started_at\": \"[ts]\","
        );
        assert_eq!(for_snapshot("at 2025-11-26T18:18:00+01:00."), "at [ts].");
        assert_eq!(
            for_snapshot(r#"{"res":[3,"ping",{},1732640000123],"sig":[]}"#),
            r#"{"res":[3,"ping",{},[ts]],"sig":[]}"#
        );
        // Not a clock: hex, longer numbers, amounts with decimals, dates without a zone.
        for keep in [
            "0x1732640000123",
            "17326400001234",
            "1732640000123.5",
            "1000000000000",
            "2025-11-26T18:18:00",
        ] {
            assert_eq!(for_snapshot(keep), keep);
        }
    }

    #[test]
    fn ports() {
        assert_eq!(
            for_snapshot("ws://127.0.0.1:45821/ws and `ws://127.0.0.1:45821/ws`"),
            "ws://127.0.0.1:[port]/ws and `ws://127.0.0.1:[port]/ws`"
        );
        assert_eq!(for_snapshot("wss://[::1]:8443/x"), "wss://[::1]:[port]/x");
        assert_eq!(
            for_snapshot("target localhost:9000"),
            "target localhost:[port]"
        );
        assert_eq!(for_snapshot("ws://broker/ws"), "ws://broker/ws");
        assert_eq!(for_snapshot("AS-CREATE-1: 3"), "AS-CREATE-1: 3");
    }

    #[test]
    fn durations() {
        assert_eq!(
            for_snapshot("\"duration_ms\": 1234,\n"),
            "\"duration_ms\": [duration],\n"
        );
        assert_eq!(for_snapshot("time=\"0.012\""), "time=\"[duration]\"");
        assert_eq!(
            for_snapshot("| duration | 1.234 s |"),
            "| duration | [duration] |"
        );
        assert_eq!(for_snapshot("1.5 s or 1.234 sec"), "1.5 s or 1.234 sec");
    }

    #[test]
    fn uuids_keep_their_identity() {
        let a = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let b = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        assert_eq!(
            for_snapshot(&format!("{a} {b} {}", a.to_uppercase())),
            "[uuid#1] [uuid#2] [uuid#1]"
        );
    }

    #[test]
    fn jwts() {
        assert_eq!(
            for_snapshot("\"jwt_token\":\"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_x\""),
            "\"jwt_token\":\"[jwt]\""
        );
    }
}
