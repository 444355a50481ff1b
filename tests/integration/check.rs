//! `archport check` without a blessed copy: what it prints against the
//! golden ports; and progress, on a terminal and off it.

use std::process::Command;

use crate::support::{archport, archport_env, assert_status, stderr, stdout};

#[test]
fn check_prints_the_diff_of_every_file_that_differs_and_quiet_only_the_summary() {
    let o = archport(&["check", "--arch", "sparc", "--arch", "arm"]);
    assert_status(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("sparc: arch/sparc/include/asm/highmem.h differs"), "{out}");
    assert!(
        out.contains("--- golden/arch/sparc/include/asm/highmem.h\n+++ generated/arch/sparc/include/asm/highmem.h\n"),
        "{out}"
    );
    assert!(out.contains("\n+#define arch_kmap_local_post_map(vaddr, pteval)"), "{out}");
    assert!(!out.contains("generated/arch/arm/"), "an equivalent file has no diff: {out}");

    let o = archport(&["check", "--arch", "sparc", "--arch", "arm", "--quiet"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "arches: 0 identical, 1 equivalent, 1 justified, 0 differ\n");
    assert_eq!(stderr(&o), "", "no progress with --quiet");
}

#[test]
fn progress_outside_a_terminal_is_one_plain_line_per_step() {
    let o = archport(&["check", "--arch", "arm", "--arch", "x86"]);
    assert_status(&o, 0);
    assert_eq!(stderr(&o), "[1/2] port and review arm\n[2/2] port and review x86\n");
}

#[test]
fn a_fetch_says_what_it_does_one_line_per_step() {
    // A mirror that refuses connections: the fetch fails at its first step.
    let cache = tempfile::tempdir().unwrap();
    let refused = "http://127.0.0.1:9/debian";
    let o = archport_env(
        &["fetch"],
        &[
            ("ARCHPORT_CACHE", cache.path().to_str().unwrap()),
            ("ARCHPORT_DEBIAN_MIRROR", refused),
            ("ARCHPORT_DEBIAN_SECURITY_MIRROR", refused),
        ],
    );
    assert_status(&o, 2);
    let err = stderr(&o);
    assert!(
        err.starts_with("fetch: updating package lists for linux-source-5.10 (bullseye, bullseye-security)...\n"),
        "{err}"
    );
}

/// What a terminal shows at the end, line by line, from what was written
/// to it: colours dropped, each line as the last `\r` left it.
fn screen(raw: &str) -> Vec<String> {
    let plain = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap().replace_all(raw, "");
    plain
        .split('\n')
        .map(|l| l.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or("").trim_end().to_string())
        .collect()
}

#[test]
fn progress_on_a_terminal_is_a_bar_within_80_columns_that_leaves_a_summary() {
    // A pseudo-terminal 200 columns wide (util-linux `script`).
    let cmd = format!("stty rows 40 cols 200; {} check --arch arm --arch x86", env!("CARGO_BIN_EXE_archport"));
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("ARCHPORT_CACHE", crate::support::cache_root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running script (util-linux) for a terminal");
    assert_status(&o, 0);
    let raw = stdout(&o);
    // Every frame the bar draws fits 80 columns.
    let frames = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap().replace_all(&raw, "");
    let drawn: Vec<&str> = frames.split(['\r', '\n']).map(str::trim_end).filter(|f| !f.is_empty()).collect();
    for f in &drawn {
        assert!(f.chars().count() <= 80, "wider than 80 columns: {f:?}");
    }
    assert!(drawn.iter().any(|f| f.contains("] 2/2 port and review x86")), "no bar with N/2: {drawn:?}");
    // What stays on screen: the summary, then the command's own output.
    let lines = screen(&raw);
    let at = lines.iter().position(|l| l.starts_with("2 of 2 arches done (")).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(lines[at + 1].starts_with("arch "), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("port and review")), "the bar stays on screen: {lines:?}");
}
