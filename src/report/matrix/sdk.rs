//! The SDK release matrix as data: `tests/sdk/releases/cells.json`, written by
//! `tests/sdk/releases/sdk-matrix.mjs --update` and compared with every run by
//! `scripts/sdk-matrix.sh`. One cell per SDK release × broker × flow.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// The `format` the file must declare.
pub const FORMAT: &str = "nitrocert-sdk-matrix/1";

/// How one flow of one SDK release went against one broker, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum SdkClass {
    /// The broker did what the flow expects, and every frame parsed with the release's parsers.
    #[serde(rename = "PASS")]
    Pass,
    /// The broker did it, but the release's parsers refused a frame it sent.
    #[serde(rename = "PARSE")]
    Parse,
    /// The broker answered the release's request with an error.
    #[serde(rename = "REFUSED")]
    Refused,
    /// Accepted, but a version, status, balance or signature is not what the flow expects.
    #[serde(rename = "WRONG")]
    Wrong,
    /// No answer, a disconnect, or the harness failed.
    #[serde(rename = "ERROR")]
    Error,
    /// Not attempted: an earlier flow it needs did not succeed.
    #[serde(rename = "BLOCKED")]
    Blocked,
    /// The release cannot express this flow (a protocol version it does not speak).
    #[serde(rename = "N/A")]
    NotApplicable,
}

impl SdkClass {
    pub const ALL: [SdkClass; 7] = [
        SdkClass::Pass,
        SdkClass::Parse,
        SdkClass::Refused,
        SdkClass::Wrong,
        SdkClass::Error,
        SdkClass::Blocked,
        SdkClass::NotApplicable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SdkClass::Pass => "PASS",
            SdkClass::Parse => "PARSE",
            SdkClass::Refused => "REFUSED",
            SdkClass::Wrong => "WRONG",
            SdkClass::Error => "ERROR",
            SdkClass::Blocked => "BLOCKED",
            SdkClass::NotApplicable => "N/A",
        }
    }

    /// The CSS class the HTML page colours it with (the report's palette).
    pub fn css(self) -> &'static str {
        match self {
            SdkClass::Pass => "c-pass",
            SdkClass::Parse => "c-non-strict",
            SdkClass::Refused | SdkClass::Wrong => "c-fail",
            SdkClass::Error => "c-error",
            SdkClass::Blocked | SdkClass::NotApplicable => "c-skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkCell {
    /// The SDK release (`0.4.0`).
    pub release: String,
    /// `embedded` or `clearnode-v0.5.2`.
    pub broker: String,
    /// `auth`, `NitroRPC/0.4 submit`, `share read`, … (one of the file's `flows`).
    pub flow: String,
    pub class: SdkClass,
    /// What happened: the broker's error text, which parser refused which frame, …
    pub detail: String,
    /// How the flow was reached when it was not the release's own way (`bridged auth`).
    #[serde(default)]
    pub via: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkMatrix {
    pub format: String,
    /// The flows in display order.
    pub flows: Vec<String>,
    /// Per release, what it does against each broker and why (written by people).
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
    pub cells: Vec<SdkCell>,
}

impl SdkMatrix {
    /// Parses and checks the file: its format, every cell's flow listed, no cell twice.
    pub fn parse(text: &str) -> Result<SdkMatrix, String> {
        let m: SdkMatrix = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if m.format != FORMAT {
            return Err(format!("format is {:?}, expected {FORMAT:?}", m.format));
        }
        let mut seen = BTreeSet::new();
        for c in &m.cells {
            if !m.flows.contains(&c.flow) {
                return Err(format!(
                    "cell {}/{}: unknown flow {:?}",
                    c.release, c.broker, c.flow
                ));
            }
            if !seen.insert((&c.release, &c.broker, &c.flow)) {
                return Err(format!(
                    "cell {}/{}/{} appears twice",
                    c.release, c.broker, c.flow
                ));
            }
        }
        Ok(m)
    }

    /// Releases in the order their first cell appears.
    pub fn releases(&self) -> Vec<&str> {
        first_seen(self.cells.iter().map(|c| c.release.as_str()))
    }

    /// Brokers: `embedded` first (the reference), then the others by name.
    pub fn brokers(&self) -> Vec<&str> {
        let mut b = first_seen(self.cells.iter().map(|c| c.broker.as_str()));
        b.sort_by_key(|name| (*name != "embedded", *name));
        b
    }

    pub fn cell(&self, release: &str, broker: &str, flow: &str) -> Option<&SdkCell> {
        self.cells
            .iter()
            .find(|c| c.release == release && c.broker == broker && c.flow == flow)
    }

    /// Counts per class of one release against one broker, in `SdkClass::ALL` order.
    pub fn counts(&self, release: &str, broker: &str) -> Vec<(SdkClass, usize)> {
        SdkClass::ALL
            .into_iter()
            .map(|k| {
                let n = self
                    .cells
                    .iter()
                    .filter(|c| c.release == release && c.broker == broker && c.class == k)
                    .count();
                (k, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

fn first_seen<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(cells: &str) -> String {
        format!(r#"{{"format":"{FORMAT}","flows":["auth","share read"],"cells":[{cells}]}}"#)
    }

    #[test]
    fn parses_cells_and_orders_brokers_reference_first() {
        let m = SdkMatrix::parse(&doc(
            r#"{"release":"0.4.0","broker":"clearnode-v0.5.2","flow":"auth","class":"REFUSED","detail":"x"},
               {"release":"0.4.0","broker":"embedded","flow":"share read","class":"N/A","detail":"","via":"bridged auth"}"#,
        ))
        .unwrap();
        assert_eq!(m.brokers(), ["embedded", "clearnode-v0.5.2"]);
        assert_eq!(m.releases(), ["0.4.0"]);
        let c = m.cell("0.4.0", "embedded", "share read").unwrap();
        assert_eq!(
            (c.class, c.via.as_deref()),
            (SdkClass::NotApplicable, Some("bridged auth"))
        );
        assert_eq!(
            m.counts("0.4.0", "clearnode-v0.5.2"),
            [(SdkClass::Refused, 1)]
        );
    }

    #[test]
    fn refuses_unknown_flows_duplicates_classes_and_formats() {
        let cell =
            r#"{"release":"0.3.0","broker":"embedded","flow":"auth","class":"PASS","detail":""}"#;
        assert!(SdkMatrix::parse(&doc(&format!("{cell},{cell}")))
            .unwrap_err()
            .contains("twice"));
        let other = cell.replace("\"auth\"", "\"login\"");
        assert!(SdkMatrix::parse(&doc(&other))
            .unwrap_err()
            .contains("unknown flow"));
        let bad = cell.replace("PASS", "OK");
        assert!(SdkMatrix::parse(&doc(&bad)).is_err());
        let old = doc(cell).replace(FORMAT, "nitrocert-sdk-matrix/0");
        assert!(SdkMatrix::parse(&old).unwrap_err().contains("format"));
    }
}
