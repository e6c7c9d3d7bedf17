//! The layering the README states is the layering of the code: every `crate::` path of `src/`
//! (outside test code) names a module lower in the README's layer list, or the module itself,
//! and no two files of one module import each other.

use crate::util::repo_path;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arrows that run up the list on purpose, each with its reason: (file, module it names).
const ALLOWED: &[(&str, &str, &str)] = &[(
    "src/gen/mod.rs",
    "campaign",
    "`gen::campaign` re-exports the campaign's old path for code outside src/ (benches/fuzz.rs)",
)];

/// The layer list of the README's Layout section: the backticked names of its first line that
/// joins them with `←`, lowest first.
fn layers() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let layout = readme
        .split("\n## ")
        .find(|s| s.starts_with("Layout"))
        .expect("the README has a Layout section");
    let line = layout
        .lines()
        .find(|l| l.contains(" ← ") && l.trim_start().starts_with('`'))
        .expect("the Layout section states the layers as `a` ← `b` ← …");
    line.split('←')
        .map(|name| name.trim().trim_matches('`').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Test code may reach any layer: `tests.rs` files, `tests/` folders, and `#[cfg(test)]`
/// items (see [`code`]).
fn is_test_file(relative: &Path) -> bool {
    relative
        .components()
        .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs")
}

/// The code of a file without comments and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            skip_item(&mut lines);
            continue;
        }
        if !line.trim_start().starts_with("//") {
            out.push_str(line.split(" //").next().unwrap_or(""));
        }
        out.push('\n');
    }
    out
}

/// Skips one item: a declaration ending in `;`, or a block up to its closing brace.
fn skip_item<'a>(lines: &mut impl Iterator<Item = &'a str>) {
    let mut depth = 0usize;
    for line in lines.by_ref() {
        let opened = line.matches('{').count();
        depth = (depth + opened).saturating_sub(line.matches('}').count());
        let declaration = opened == 0 && line.trim_end().ends_with(';');
        if depth == 0 && (opened > 0 || declaration) {
            return;
        }
    }
}

/// Every top-level module a piece of code names as `crate::name` or inside `crate::{…}`.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with('$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for part in group.split(',') {
                    let name = ident(part.trim());
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            }
            None => out.push(ident(rest)),
        }
    }
    out
}

/// The top-level module a file of `src/` belongs to (`None`: the crate root files).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative
        .components()
        .nth(1)?
        .as_os_str()
        .to_str()?
        .to_string();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first),
    }
}

#[test]
fn every_arrow_runs_down_the_readme_layers() {
    let layers = layers();
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let root = repo_path("");
    let mut files = Vec::new();
    rust_files(&repo_path("src"), &mut files);
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap();
        let Some(module) = module_of(relative) else {
            continue;
        };
        let Some(&own) = rank.get(module.as_str()) else {
            problems.push(format!(
                "module `{module}` is missing from the README's layers"
            ));
            continue;
        };
        if is_test_file(relative) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let shown = relative.display().to_string();
        for used in crate_paths(&code(&text)) {
            let allowed = ALLOWED.iter().any(|(f, m, _)| *f == shown && *m == used);
            match rank.get(used.as_str()) {
                None => problems.push(format!("{shown}: `crate::{used}` is not a layer")),
                Some(&r) if r > own && !allowed => problems.push(format!(
                    "{shown}: `{module}` uses `{used}`, which the README puts above it"
                )),
                _ => {}
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_files_of_a_module_import_each_other() {
    let mut files = Vec::new();
    rust_files(&repo_path("src"), &mut files);
    // (folder, file stem) → the sibling stems it names through `super::`.
    let mut uses: BTreeMap<(PathBuf, String), Vec<String>> = BTreeMap::new();
    for path in &files {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        if stem == "mod" || is_test_file(path.strip_prefix(repo_path("")).unwrap()) {
            continue;
        }
        let text = code(&std::fs::read_to_string(path).unwrap());
        let named = text
            .match_indices("super::")
            .map(|(at, _)| {
                text[at + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .collect();
        uses.insert((path.parent().unwrap().to_path_buf(), stem), named);
    }
    let mut cycles = Vec::new();
    for ((dir, a), named) in &uses {
        for b in named.iter().filter(|b| *b > a) {
            let back = uses.get(&(dir.clone(), b.clone()));
            if back.is_some_and(|n| n.contains(a)) {
                cycles.push(format!(
                    "{}: {a}.rs and {b}.rs import each other",
                    dir.display()
                ));
            }
        }
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}

#[test]
fn the_checker_reads_paths_as_written() {
    assert_eq!(
        crate_paths("use crate::{broker, client::now_ms};\nlet x = crate::model::dec(\"1\");"),
        ["broker", "client", "model"]
    );
    assert!(crate_paths(&code("// see crate::runner\nfn f() {} // crate::cli\n")).is_empty());
    let text =
        "#[cfg(test)]\nmod tests;\nuse crate::wire;\n#[cfg(test)]\nmod t {\n use crate::cli;\n}\n";
    assert_eq!(crate_paths(&code(text)), ["wire"]);
}
