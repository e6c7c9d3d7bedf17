//! `report.json`: the run as machine-readable data, pretty-printed in the field order of
//! `report::data` so that two runs diff line by line.

use std::io::{self, Write};

use super::data::RunReport;

/// Writes `report` as pretty-printed JSON followed by a newline.
///
/// Keys come in the declaration order of the `data` structs (serde derive order), case ids are
/// the vector ids; nothing is added or computed here, so the file round-trips into `RunReport`.
pub fn write<W: Write>(report: &RunReport, mut out: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::Summary;

    #[test]
    fn round_trips_and_ends_with_a_newline() {
        let report = RunReport {
            generator: "nitrocert 0.1.0".into(),
            target: "embedded".into(),
            endpoint: "ws://127.0.0.1:1/ws".into(),
            broker_address: None,
            profile: "spec".into(),
            seed: 7,
            started_at: "2025-01-01T00:00:00Z".into(),
            duration_ms: 5,
            summary: Summary::default(),
            cases: vec![],
        };
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"generator\"") < text.find("\"target\""));
        assert!(!text.contains("broker_address"));
        let back: RunReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }
}
