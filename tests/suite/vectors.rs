//! Every vector file replayed through the model from the file alone, under every profile it
//! was filled for, with its own identities and clock and again with fresh ones, as a live run
//! has them (vector accounting: a file that is not replayed, or one citing an unknown rule id,
//! fails).

use crate::util::repo_path;
use nitrocert::model::Profile;
use nitrocert::vectors::{self, coverage};

#[test]
fn every_vector_file_replays_through_the_model() {
    let dir = repo_path("vectors");
    let files = vectors::files(&dir).unwrap();
    assert!(!files.is_empty(), "no vector files under {dir:?}");
    let mut replayed = 0;
    let mut problems = Vec::new();
    for path in &files {
        let vector = match vectors::load(path) {
            Ok(v) => v,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let expected_path = vectors::path_of(&dir, &vector.id);
        if &expected_path != path {
            problems.push(format!("{}: its id says {}", path.display(), vector.id));
        }
        for name in &vector.provenance.profiles {
            let Some(profile) = Profile::from_name(name) else {
                problems.push(format!("{}: unknown profile {name}", vector.id));
                continue;
            };
            for p in vectors::replay::replay(&vector, profile) {
                problems.push(format!("{}: {p}", vector.id));
            }
            // Nothing in the file may still depend on who filled it or when.
            for p in vectors::replay::replay_renamed(&vector, profile, 7) {
                problems.push(format!(
                    "{} (fresh identities, later clock): {p}",
                    vector.id
                ));
            }
        }
        replayed += 1;
    }
    assert_eq!(replayed, files.len(), "every file is replayed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_cited_rule_id_exists_in_the_spec() {
    let mut texts = coverage::read_spec(&repo_path("spec")).unwrap();
    texts.push(std::fs::read_to_string(repo_path("SPEC.md")).unwrap_or_default());
    let rules = coverage::defined_rules(&texts);
    let mut loaded = Vec::new();
    for path in vectors::files(&repo_path("vectors")).unwrap() {
        loaded.push(vectors::load(&path).unwrap());
    }
    let c = coverage::Coverage::compute(&rules, &loaded);
    assert!(c.unknown.is_empty(), "unknown rule ids: {:?}", c.unknown);
}

#[test]
fn spec_digests_match_the_shared_originals() {
    for name in ["app-sessions.md", "wire-and-auth.md"] {
        if let Some(original) = crate::util::shared_path(&format!("spec/{name}")) {
            assert_eq!(
                std::fs::read_to_string(repo_path("spec").join(name)).unwrap(),
                std::fs::read_to_string(original).unwrap(),
                "spec/{name} is stale: copy shared/spec again"
            );
        }
    }
}

#[test]
fn every_vector_file_follows_the_json_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("vectors/schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("vectors/schema.json is a schema");
    let mut problems = Vec::new();
    for path in vectors::files(&repo_path("vectors")).unwrap() {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for error in validator.iter_errors(&value).take(3) {
            problems.push(format!(
                "{}: {} at {}",
                path.display(),
                error,
                error.instance_path()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The schema must reject what the format forbids, or it proves nothing.
    let broken = serde_json::json!({"format": "nitrocert-vector/2", "id": "x/y"});
    assert!(!validator.is_valid(&broken));
}

/// `vectors migrate` rewrites a v1 file (a shrunk fuzz finding) in place as v2, which loads,
/// replays through the model, and certifies against the embedded broker with and without the
/// bug it was shrunk from; a second run has nothing left to migrate.
#[test]
fn vectors_migrate_rewrites_a_v1_file_that_then_certifies() {
    use crate::util::run;
    let dir = std::env::temp_dir().join(format!("nitrocert-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("close-skips-credit-1.json");
    std::fs::copy(repo_path("tests/data/v1/close-skips-credit-1.json"), &file).unwrap();
    assert!(vectors::load(&file)
        .unwrap_err()
        .contains("vectors migrate"));
    let d = dir.to_str().unwrap();
    let (code, out, err) = run(&["vectors", "--dir", d, "migrate"], "");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("1 of 1 files migrated"), "{out}");
    let vector = vectors::load(&file).unwrap();
    for profile in Profile::ALL {
        assert_eq!(
            vectors::replay::replay(&vector, profile),
            Vec::<String>::new()
        );
    }
    let certify = |fault: &[&str]| {
        // Outside `dir`: the report's JSON files are not vectors to migrate.
        let out = dir.with_extension("report");
        let f = file.to_str().unwrap();
        let mut args = vec!["certify", "--vectors", f, "--out", out.to_str().unwrap()];
        args.extend_from_slice(fault);
        run(&args, "").0
    };
    assert_eq!(certify(&[]), 0);
    assert_eq!(certify(&["--fault", "close-skips-credit"]), 1);
    let (code, out, _) = run(&["vectors", "--dir", d, "migrate"], "");
    assert_eq!(code, 0);
    assert!(out.contains("0 of 1 files migrated"), "{out}");
    let _ = std::fs::remove_dir_all(dir.with_extension("report"));
    let _ = std::fs::remove_dir_all(&dir);
}
