//! Replays every checked-in cargo-fuzz corpus through the same library entry points the fuzz
//! targets call, so stable Rust and CI exercise them without libFuzzer. The seed corpora are
//! made by `nitrocert::fuzzing::seeds`; after changing them, rewrite the files with
//! `cargo test --test tests fuzz_corpus::write_seed_corpora -- --ignored`.

use crate::util::repo_path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = repo_path("fuzz/corpus").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count > 0, "the {target} corpus is empty");
    // The seeds as the library makes them now, in case the files lag behind.
    for seed in nitrocert::fuzzing::seeds(target) {
        run(&seed);
    }
}

#[test]
fn frame_corpus_replays() {
    replay("frame", nitrocert::fuzzing::frame);
}

#[test]
fn model_sequence_corpus_replays() {
    replay("model_sequence", nitrocert::fuzzing::model_sequence);
}

#[test]
fn broker_frame_corpus_replays() {
    replay("broker_frame", nitrocert::fuzzing::broker_frame);
}

#[test]
fn differential_corpus_replays() {
    replay("differential", nitrocert::fuzzing::differential);
}

#[test]
#[ignore = "writes fuzz/corpus/<target>/seed-*; run by hand after changing the seeds"]
fn write_seed_corpora() {
    for target in ["model_sequence", "broker_frame", "differential"] {
        let dir = repo_path("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, seed) in nitrocert::fuzzing::seeds(target).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed).unwrap();
        }
    }
}
