//! `archport check` without a blessed copy: what it prints against the
//! golden ports, and its progress lines outside a terminal.

use crate::support::{archport, assert_status, stderr, stdout};

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
