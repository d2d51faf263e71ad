//! Helpers shared by the CLI's integration tests: run the binary, read its output and JSON.
//! Each test binary uses only some of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `undertow` with `args` and waits for it.
pub fn undertow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undertow"))
        .args(args)
        .output()
        .expect("run undertow")
}

/// Bytes of a stream as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A JSON file, parsed.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `undertow` with `args` and checks that it rejects them as bad input: exit code 2, a
/// message containing `needle`, and nothing created at `out`.
pub fn assert_bad_input(args: &[&str], needle: &str, out: &Path) {
    let o = undertow(args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in {err}"
    );
    assert!(!out.exists(), "{args:?} created output");
}
