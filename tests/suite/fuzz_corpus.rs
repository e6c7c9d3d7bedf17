//! Replays every checked-in cargo-fuzz corpus through the same library entry points the fuzz
//! targets call, so stable Rust and CI exercise them without libFuzzer.

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
}

#[test]
fn frame_corpus_replays() {
    replay("frame", nitrocert::fuzzing::frame);
}
