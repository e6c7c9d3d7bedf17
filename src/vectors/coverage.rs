//! Rule coverage: every rule id the spec digests define, the vectors that cite it, and the share
//! of rules covered per protocol version.

use super::Vector;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rule families the digests define (`**ID` at the start of a rule, or a `| Q-n |` table row).
const FAMILIES: &[&str] = &[
    "AS", "WIRE", "SIG", "RSIG", "AUTH", "SK", "API", "NOTIF", "TRANS", "ADDR", "LIM", "REPLAY",
    "SDK", "FUZZ", "VEC", "Q", "SPEC",
];

pub const V02: &str = "NitroRPC/0.2";
pub const V04: &str = "NitroRPC/0.4";

/// Which protocol versions a rule applies to: app-session rules to the versions they name,
/// everything else to the envelope, whatever the version.
pub fn applies_to(rule: &str) -> &'static [&'static str] {
    if rule.starts_with("AS-V02") {
        &[V02]
    } else if ["AS-V04", "AS-DEP", "AS-WD"]
        .iter()
        .any(|p| rule.starts_with(p))
    {
        &[V04]
    } else if rule.starts_with("AS-") {
        &[V02, V04]
    } else {
        &[]
    }
}

fn is_rule_id(id: &str) -> bool {
    let Some((family, rest)) = id.split_once('-') else {
        return false;
    };
    if family == "AS" {
        return rest.split_once('-').is_some_and(|(area, n)| {
            area.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && starts_with_digit(n)
        });
    }
    FAMILIES.contains(&family) && starts_with_digit(rest)
}

fn starts_with_digit(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Rule ids defined in the markdown digests under `spec_dir` (and SPEC.md rules, if given).
pub fn defined_rules(texts: &[String]) -> BTreeSet<String> {
    let mut rules = BTreeSet::new();
    for text in texts {
        for (i, _) in text.match_indices("**") {
            let tail = &text[i + 2..];
            let id: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if is_rule_id(&id) {
                rules.insert(id);
            }
        }
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("| ") {
                let id: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if (id.starts_with("Q-") || id.starts_with("SPEC-")) && is_rule_id(&id) {
                    rules.insert(id);
                }
            }
        }
    }
    rules
}

pub fn read_spec(spec_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut texts = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(spec_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    for p in paths {
        texts.push(std::fs::read_to_string(p)?);
    }
    Ok(texts)
}

/// Coverage of `rules` by `vectors`.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// rule → ids of the vectors citing it (in `rules` or `quirks`).
    pub cited_by: BTreeMap<String, Vec<String>>,
    /// Cited ids that no digest defines.
    pub unknown: BTreeMap<String, Vec<String>>,
}

impl Coverage {
    pub fn compute(rules: &BTreeSet<String>, vectors: &[Vector]) -> Coverage {
        let mut c = Coverage::default();
        for r in rules {
            c.cited_by.insert(r.clone(), Vec::new());
        }
        for v in vectors {
            for id in v.rules.iter().chain(v.quirks.iter()) {
                match c.cited_by.get_mut(id) {
                    Some(list) => list.push(v.id.clone()),
                    None => c.unknown.entry(id.clone()).or_default().push(v.id.clone()),
                }
            }
        }
        c
    }

    /// (covered, applicable) for app-session rules under `protocol`.
    pub fn per_protocol(&self, vectors: &[Vector], protocol: &str) -> (usize, usize, Vec<String>) {
        let by_id: BTreeMap<&str, &Vector> = vectors.iter().map(|v| (v.id.as_str(), v)).collect();
        let mut covered = 0;
        let mut applicable = 0;
        let mut missing = Vec::new();
        for (rule, citing) in &self.cited_by {
            if !applies_to(rule).contains(&protocol) {
                continue;
            }
            applicable += 1;
            let hit = citing.iter().any(|id| {
                by_id.get(id.as_str()).and_then(|v| v.protocol.as_deref()) == Some(protocol)
            });
            if hit {
                covered += 1;
            } else {
                missing.push(rule.clone());
            }
        }
        (covered, applicable, missing)
    }

    /// (covered, defined) for one family prefix such as `WIRE-`.
    pub fn per_family(&self, prefix: &str) -> (usize, usize, Vec<String>) {
        let mut covered = 0;
        let mut defined = 0;
        let mut missing = Vec::new();
        for (rule, citing) in &self.cited_by {
            if !rule.starts_with(prefix) {
                continue;
            }
            defined += 1;
            if citing.is_empty() {
                missing.push(rule.clone());
            } else {
                covered += 1;
            }
        }
        (covered, defined, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rule_definitions_not_mentions() {
        let text = "**AS-OP-1 (row walk)** text\n- **WIRE-12a [C]** x\n| Q-7 | dup |\n\
                    **EIP-712** and a mention of AS-OP-9 in prose\n| SPEC-3 | x |"
            .to_string();
        let rules = defined_rules(&[text]);
        let got: Vec<_> = rules.iter().map(String::as_str).collect();
        assert_eq!(got, vec!["AS-OP-1", "Q-7", "SPEC-3", "WIRE-12a"]);
        assert_eq!(applies_to("AS-DEP-1"), &[V04]);
        assert_eq!(applies_to("AS-V02-1"), &[V02]);
        assert_eq!(applies_to("AS-OP-1"), &[V02, V04]);
        assert!(applies_to("WIRE-3").is_empty());
    }
}
