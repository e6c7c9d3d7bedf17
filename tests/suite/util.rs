//! Helpers shared by the suites: the repo's data files and the built binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn read_json(relative: &str) -> serde_json::Value {
    let path = repo_path(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The digests in `../shared` (next to the repo, where the team keeps them), if present.
///
/// Absent, the calling test says so on the terminal (written to the stderr handle, which the
/// test harness does not capture) and does nothing. In CI (`CI=true`, where shared/ is laid
/// next to the clone) or with `NITROCERT_REQUIRE_SHARED=1`, absent is a failure.
pub fn shared_path(relative: &str) -> Option<PathBuf> {
    let path = repo_path("..").join("shared").join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("NITROCERT_REQUIRE_SHARED").as_deref() == Ok("1")
        || std::env::var("CI").as_deref() == Ok("true");
    assert!(
        !required,
        "{} is missing, and CI / NITROCERT_REQUIRE_SHARED=1 requires it",
        path.display()
    );
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {} not found (set NITROCERT_REQUIRE_SHARED=1 to require it)",
        path.display()
    );
    None
}

/// Runs the `nitrocert` binary with `stdin`; returns (exit code, stdout, stderr).
pub fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nitrocert"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A command that fails on its arguments exits before reading its input: a broken pipe
    // here is that, not a test failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
