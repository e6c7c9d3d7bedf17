//! RFC 3339 times derived from the `now_ms` input: Go's `time.RFC3339` (seconds) for sessions and
//! channels, `time.RFC3339Nano` (trailing zeros trimmed) for ledger rows and session keys.

/// Civil date of a day count since 1970-01-01 (Gregorian, proleptic).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn base(secs: i64) -> String {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `2006-01-02T15:04:05Z` from Unix milliseconds (sub-second part dropped, as Go's format does).
pub fn rfc3339(ms: u64) -> String {
    format!("{}Z", base((ms / 1000) as i64))
}

/// Same for Unix seconds (session-key `expires_at`).
pub fn rfc3339_secs(secs: u64) -> String {
    format!("{}Z", base(secs as i64))
}

/// `time.RFC3339Nano`: fraction printed only when non-zero, trailing zeros trimmed.
pub fn rfc3339_nano(ms: u64) -> String {
    let frac = ms % 1000;
    if frac == 0 {
        return rfc3339(ms);
    }
    let f = format!("{frac:03}");
    format!("{}.{}Z", base((ms / 1000) as i64), f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_999), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_secs(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339_secs(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_nano(1_700_000_000_120), "2023-11-14T22:13:20.12Z");
        assert_eq!(rfc3339_nano(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
