//! Bad input: exit status 2 and a one-line reason, never a panic.

use crate::support::{archport, assert_status, stderr};

#[test]
fn unknown_arch() {
    let out = archport(&["golden", "--arch", "alpha"]);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("unknown arch `alpha`"), "{}", stderr(&out));
}

#[test]
fn tree_that_is_not_a_kernel_tree() {
    let dir = tempfile::tempdir().unwrap();
    let out = archport(&["port", "--tree", dir.path().to_str().unwrap()]);
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("is not a Linux kernel tree"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn golden_patch_that_is_not_a_patch() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "just some notes\n").unwrap();
    let out = archport(&["golden", "--golden-patch", file.to_str().unwrap()]);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("not a unified diff"), "{}", stderr(&out));
}

#[test]
fn a_reader_that_stops_early_is_no_panic() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // Like `archport golden --format json | head -c 16`: the JSON (about
    // 80 KB) outgrows the pipe's buffer, so archport is still writing when
    // the pipe closes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_archport"))
        .args(["golden", "--format", "json", "--golden-patch", crate::support::kernel().rt_patch.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}
