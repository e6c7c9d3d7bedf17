//! `nitrocert rules [RULE]`: where a rule of the spec digests lives in this checkout: its text
//! (spec/*.md), the code that implements it and the tests that check it (src/ and tests/, by
//! the exact id as a whole word, or its snake-case form in a test's name), and the vectors that
//! cite it (vectors/). Rules with nothing to implement here are listed in [`EXCEPTIONS`].

use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::vectors::{self, coverage};
use clap::Args;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(
    about = "Show where a spec rule is implemented, tested and covered by vectors",
    long_about = "For a rule id of the spec digests (spec/*.md): its text, the code naming it \
(src/, outside tests and the catalogue), the vectors citing it (vectors/) and the tests naming \
it (tests/ and test modules, by the id or its snake-case form in a test name). Without a rule, \
one line per rule with its counts. Run it from the checkout (or give --root).",
    after_help = "Examples:\n  \
nitrocert rules AS-CLOSE-2     # text, code, vectors and tests of one rule\n  \
nitrocert rules                # every rule: code / vectors / tests counts\n  \
nitrocert rules --missing      # rules no code names (exit 1 if any)"
)]
pub struct RulesArgs {
    /// A rule id: AS-CLOSE-2, WIRE-12a, Q-7, SPEC-3, …
    pub rule: Option<String>,
    /// The checkout to read (its spec/, src/, tests/ and vectors/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// List only the rules that no code names and that are no listed exception; exit 1 if any.
    #[arg(long, conflicts_with = "rule")]
    pub missing: bool,
}

/// This file.
const SELF: &str = "src/cli/rules.rs";

/// The test that replays every vector file through the model.
const REPLAY: &str = "tests/suite/vectors.rs every_vector_file_replays_through_the_model";

/// Rules whose subject is outside what nitrocert implements, and why. They still have their
/// vectors and tests where any exist; `--missing` does not report them.
pub const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "TRANS-9",
        "Clearnode sends no keepalive: nothing to implement or check",
    ),
    (
        "TRANS-10",
        "Clearnode has no connection or rate limits: nothing to implement or check",
    ),
    (
        "SDK-3",
        "the TypeScript SDK's parsers: tests/sdk passes every frame of the embedded broker \
         through them",
    ),
    (
        "SDK-4",
        "what the SDK leaves out (signature checks, error codes)",
    ),
    (
        "SDK-5",
        "where the SDK, the docs and Clearnode disagree; the model follows Clearnode's code",
    ),
    (
        "SDK-6",
        "where the docs and Clearnode's code disagree; the model follows the code",
    ),
];

pub fn run(args: &RulesArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let index = Index::read(&args.root)?;
    match &args.rule {
        Some(rule) => {
            let Some(spec) = index.spec.iter().find(|s| &s.id == rule) else {
                return Err(CliError::Input(format!(
                    "{rule} is no rule of {}/spec/*.md",
                    args.root.display()
                )));
            };
            show(&index, spec, out)?;
            Ok(EXIT_OK)
        }
        None if args.missing => missing(&index, out),
        None => {
            table(&index, out)?;
            Ok(EXIT_OK)
        }
    }
}

/// A rule as the digests define it.
struct SpecRule {
    id: String,
    /// `spec/<file>.md:<line>`.
    at: String,
    summary: String,
}

/// A line of a source file.
struct Line {
    /// The file, relative to the checkout.
    file: String,
    /// `<file>:<line number>`.
    at: String,
    text: String,
    test: bool,
}

/// Everything the command reads, once.
struct Index {
    spec: Vec<SpecRule>,
    lines: Vec<Line>,
    vectors: Vec<vectors::Vector>,
}

impl Index {
    fn read(root: &Path) -> Result<Index, CliError> {
        let spec_dir = root.join("spec");
        let texts = coverage::read_spec(&spec_dir)
            .map_err(|e| CliError::Input(format!("{}: {e}", spec_dir.display())))?;
        let ids = coverage::defined_rules(&texts);
        let mut spec = Vec::new();
        for path in markdown(&spec_dir)? {
            let text = std::fs::read_to_string(&path)?;
            spec.extend(definitions(&ids, &relative(root, &path), &text));
        }
        spec.sort_by(|a, b| a.id.cmp(&b.id));
        spec.dedup_by(|a, b| a.id == b.id);
        let mut lines = Vec::new();
        for path in sources(&root.join("src"))?
            .iter()
            .chain(&sources(&root.join("tests"))?)
        {
            // This command names rules as examples: it neither implements nor tests them.
            if relative(root, path) != SELF {
                lines.extend(source_lines(root, path)?);
            }
        }
        let mut loaded = Vec::new();
        for path in vectors::files(&root.join("vectors")).unwrap_or_default() {
            loaded.extend(vectors::load(&path).ok());
        }
        Ok(Index {
            spec,
            lines,
            vectors: loaded,
        })
    }

    /// Code lines naming `rule`; the catalogue cites rules, it does not implement them.
    fn code(&self, rule: &str) -> Vec<&Line> {
        let catalogue = Path::new("src/vectors/catalog");
        self.lines
            .iter()
            .filter(|l| !l.test && !Path::new(&l.file).starts_with(catalogue))
            .filter(|l| names(&l.text, rule))
            .collect()
    }

    fn tests(&self, rule: &str) -> Vec<&Line> {
        self.lines
            .iter()
            .filter(|l| l.test && (names(&l.text, rule) || test_named(&l.text, rule)))
            .collect()
    }

    fn vectors(&self, rule: &str) -> Vec<&str> {
        self.vectors
            .iter()
            .filter(|v| v.rules.iter().chain(&v.quirks).any(|r| r == rule))
            .map(|v| v.id.as_str())
            .collect()
    }
}

fn show(index: &Index, spec: &SpecRule, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out, "{}  {}", spec.id, spec.at)?;
    writeln!(out, "  {}", spec.summary)?;
    if let Some((_, why)) = EXCEPTIONS.iter().find(|(id, _)| *id == spec.id) {
        writeln!(out, "  nothing to implement here: {why}")?;
    }
    let code = index.code(&spec.id);
    writeln!(out, "code ({}):", code.len())?;
    for line in code {
        writeln!(out, "  {}  {}", line.at, clip(&line.text))?;
    }
    let cited = index.vectors(&spec.id);
    writeln!(out, "vectors ({}):", cited.len())?;
    for id in cited {
        writeln!(out, "  {id}")?;
    }
    let tests = index.tests(&spec.id);
    writeln!(out, "tests ({}):", tests.len())?;
    for line in tests {
        writeln!(out, "  {}  {}", line.at, clip(&line.text))?;
    }
    if !index.vectors(&spec.id).is_empty() {
        writeln!(out, "  and {REPLAY}, which replays each vector above")?;
    }
    Ok(())
}

fn table(index: &Index, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "{:<12} {:>5} {:>8} {:>6}",
        "rule", "code", "vectors", "tests"
    )?;
    for spec in &index.spec {
        let (code, cited, tests) = (
            index.code(&spec.id).len(),
            index.vectors(&spec.id).len(),
            index.tests(&spec.id).len(),
        );
        writeln!(out, "{:<12} {code:>5} {cited:>8} {tests:>6}", spec.id)?;
    }
    let named = index.spec.iter().filter(|s| !index.code(&s.id).is_empty());
    writeln!(
        out,
        "{} of {} rules named in code; {} listed as having nothing to implement",
        named.count(),
        index.spec.len(),
        EXCEPTIONS.len()
    )?;
    Ok(())
}

fn missing(index: &Index, out: &mut dyn Write) -> Result<i32, CliError> {
    let excepted: BTreeSet<&str> = EXCEPTIONS.iter().map(|(id, _)| *id).collect();
    let mut count = 0;
    for spec in &index.spec {
        if index.code(&spec.id).is_empty() && !excepted.contains(spec.id.as_str()) {
            writeln!(out, "{}  {}  {}", spec.id, spec.at, clip(&spec.summary))?;
            count += 1;
        }
    }
    writeln!(out, "{count} rules named by no code")?;
    Ok(if count == 0 { EXIT_OK } else { EXIT_FINDINGS })
}

/// Whether `text` names `rule` as a whole word (not the first id of a range such as `X-1..3`).
fn names(text: &str, rule: &str) -> bool {
    text.match_indices(rule).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + rule.len()..];
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            && !after.starts_with(|c: char| c.is_ascii_alphanumeric())
            && !after.starts_with("..")
    })
}

/// Whether `text` declares a function whose name holds the rule in snake case
/// (`fn as_close_2_free_redistribution` names AS-CLOSE-2, not AS-CLOSE-21).
fn test_named(text: &str, rule: &str) -> bool {
    let Some(rest) = text.trim_start().strip_prefix("fn ") else {
        return false;
    };
    let name: Vec<&str> = rest
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .split('_')
        .collect();
    let lower = rule.to_ascii_lowercase();
    let wanted: Vec<&str> = lower.split('-').collect();
    name.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

/// Where each of `ids` is defined in `text` (the first `**ID` or `| ID |` line), with the
/// definition's first lines.
fn definitions(ids: &BTreeSet<String>, file: &str, text: &str) -> Vec<SpecRule> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for id in ids {
        let Some(n) = lines.iter().position(|line| defines(line, id)) else {
            continue;
        };
        found.push(SpecRule {
            id: id.clone(),
            at: format!("{file}:{}", n + 1),
            summary: summary(&lines[n..]),
        });
    }
    found
}

fn defines(line: &str, id: &str) -> bool {
    let bold = format!("**{id}");
    let table = format!("| {id} ");
    line.trim_start().starts_with(&table)
        || line.match_indices(&bold).any(|(at, _)| {
            !line[at + bold.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })
}

/// A definition's first line and the lines of its paragraph, without markdown emphasis, at
/// most about 400 characters.
fn summary(lines: &[&str]) -> String {
    let mut text = lines[0]
        .trim()
        .trim_start_matches(['-', '*', '|', ' '])
        .to_string();
    for line in &lines[1..] {
        let line = line.trim();
        let new_item = ["- ", "* ", "|", "#", "**"]
            .iter()
            .any(|p| line.starts_with(p));
        if line.is_empty() || new_item || text.len() > 400 {
            break;
        }
        text = format!("{text} {line}");
    }
    clip_to(&text.replace("**", ""), 400)
}

/// The lines of a source file, each marked as test code or not: a file under a `tests`
/// folder, a `tests.rs`, a `.mjs` test, or the item after a `#[cfg(test)]`.
fn source_lines(root: &Path, path: &Path) -> Result<Vec<Line>, CliError> {
    let text = std::fs::read_to_string(path)?;
    let file = relative(root, path);
    let whole_file_is_test = file.starts_with("tests/")
        || path.components().any(|c| c.as_os_str() == "tests")
        || path.file_name().is_some_and(|n| n == "tests.rs");
    let tested = test_regions(&text);
    Ok(text
        .lines()
        .enumerate()
        .map(|(n, line)| Line {
            file: file.clone(),
            at: format!("{file}:{}", n + 1),
            text: line.to_string(),
            test: whole_file_is_test || tested.iter().any(|r| r.contains(&n)),
        })
        .collect())
}

/// Line ranges of the items after `#[cfg(test)]` (braces counted outside strings, chars and
/// comments).
fn test_regions(text: &str) -> Vec<std::ops::Range<usize>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut regions = Vec::new();
    let mut n = 0;
    while n < lines.len() {
        if lines[n].trim() != "#[cfg(test)]" {
            n += 1;
            continue;
        }
        let start = n;
        let mut depth = 0i32;
        let mut opened = false;
        while n < lines.len() {
            depth += brace_balance(lines[n]);
            opened |= lines[n].contains('{');
            n += 1;
            if (opened && depth <= 0) || (!opened && lines[n - 1].trim_end().ends_with(';')) {
                break;
            }
        }
        regions.push(start..n);
    }
    regions
}

/// `{` minus `}` on a line of Rust, skipping string and char literals and `//` comments.
fn brace_balance(line: &str) -> i32 {
    let mut balance = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '"' => {
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // A char literal ('{', '\'') or a lifetime ('a): skip a literal only.
                let literal: String = chars.clone().take(3).collect();
                if literal.chars().nth(1) == Some('\'') || literal.starts_with('\\') {
                    chars.nth(if literal.starts_with('\\') { 2 } else { 1 });
                }
            }
            '{' => balance += 1,
            '}' => balance -= 1,
            _ => {}
        }
    }
    balance
}

fn markdown(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Rust and JavaScript test sources under `dir`, sorted (a missing folder has none).
fn sources(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() && name != "node_modules" {
                stack.push(path);
            } else if name.ends_with(".rs") || name.ends_with(".test.mjs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

/// A line as printed: trimmed, at most 110 characters.
fn clip(text: &str) -> String {
    clip_to(text.trim(), 110)
}

fn clip_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_named_as_a_whole_word_and_not_as_a_range_start() {
        assert!(names("// AS-CLOSE-2: empties the pair", "AS-CLOSE-2"));
        assert!(names("(AS-CLOSE-1, AS-CLOSE-2)", "AS-CLOSE-2"));
        assert!(!names("AS-CLOSE-21 and XAS-CLOSE-2", "AS-CLOSE-2"));
        assert!(!names("WIRE-12a", "WIRE-12"));
        assert!(names("WIRE-12a, WIRE-12.", "WIRE-12"));
        assert!(!names("(AS-CLOSE-2..3)", "AS-CLOSE-2"));
        assert!(!names("SUBAS-CLOSE-2", "AS-CLOSE-2"));
    }

    #[test]
    fn a_test_name_holds_the_rule_in_snake_case() {
        assert!(test_named(
            "fn as_close_2_free_redistribution() {",
            "AS-CLOSE-2"
        ));
        assert!(test_named("    fn vec_4_and_vec_5_frames() {", "VEC-5"));
        assert!(!test_named("fn as_close_21_x() {", "AS-CLOSE-2"));
        assert!(!test_named("fn wire_12a_response() {", "WIRE-12"));
        assert!(!test_named("let as_close_2 = 1;", "AS-CLOSE-2"));
    }

    #[test]
    fn test_modules_are_found_by_their_braces() {
        let text = "fn code() {}\n#[cfg(test)]\nmod tests {\n    fn t() { let s = \"}\"; }\n    \
                    fn u() { let c = '{'; }\n}\nfn more_code() {}\n";
        assert_eq!(test_regions(text), vec![1..6]);
        assert_eq!(
            test_regions("#[cfg(test)]\nmod tests;\nfn f() {}\n"),
            vec![0..2]
        );
    }

    #[test]
    fn an_exception_is_a_rule_of_the_digests_that_no_code_names() {
        let index = Index::read(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        for (id, why) in EXCEPTIONS {
            assert!(index.spec.iter().any(|s| s.id == *id), "{id} is no rule");
            assert!(
                index.code(id).is_empty(),
                "{id} is named in code: no exception"
            );
            assert!(!why.is_empty());
        }
    }
}
