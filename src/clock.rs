//! The machine's clock, read in one place: live request timestamps and the embedded broker's
//! time. The model never reads it (time is an input of every call).

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
