//! Bad input, hostile trees and interrupted runs: exit status 2 with a
//! message naming the file, never a panic, never a partial write.

use std::path::{Path, PathBuf};
use std::process::Command;

use archport::arch::Arch;
use archport::descriptor;

use crate::support::{archport, assert_status, edit, kernel, stderr, stdout, templates_copy};

/// A small kernel tree holding just what porting `arch` reads, copied
/// from the pre-port tree (so tests may change it freely).
fn mini_tree(arch: Arch) -> tempfile::TempDir {
    let k = kernel();
    let dir = tempfile::tempdir().unwrap();
    // The generic kmap_local code port checks for before it ports.
    for p in ["Makefile", "mm/Kconfig", "include/asm-generic/kmap_size.h"] {
        let to = dir.path().join(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(k.pre_port.join(p), to).unwrap();
    }
    let spec = descriptor::load(&descriptor::templates_root(None), arch).unwrap();
    for f in &spec.descriptor.files {
        let to = dir.path().join(&f.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(k.pre_port.join(&f.path), to).unwrap();
    }
    dir
}

fn port_arm(tree: &Path, templates: &Path, out: &Path) -> std::process::Output {
    archport(&[
        "port",
        "--arch",
        "arm",
        "--quiet",
        "--tree",
        tree.to_str().unwrap(),
        "--golden",
        tree.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[track_caller]
fn fails_with(o: &std::process::Output, needles: &[&str]) {
    assert_status(o, 2);
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn descriptor_syntax_error_names_file_line_and_column() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    let desc = tpl.path().join("arm/port.toml");
    edit(&desc, "[facts]", "[facts");
    let line = std::fs::read_to_string(&desc).unwrap().lines().position(|l| l == "[facts").unwrap() + 1;
    let at = format!("arm/port.toml:{line}:7:");
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &[&at, "unclosed table, expected `]`"]);
    assert!(!out.path().join("arm").exists(), "nothing written");
}

#[test]
fn descriptor_unknown_field_names_it() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    edit(&tpl.path().join("arm/port.toml"), "[facts]\n", "[facts]\ntlb_is_magic = true\n");
    let o = port_arm(tree.path(), tpl.path(), out.path());
    fails_with(&o, &["arm/port.toml:", "unknown field `tlb_is_magic`"]);
    let line = stderr(&o).split("port.toml:").nth(1).unwrap().split(':').next().unwrap().parse::<usize>().unwrap();
    assert!(line > 1, "a real line number: {}", stderr(&o));
}

#[test]
fn a_hook_the_target_generic_code_never_calls_is_refused() {
    // set_pte is in the declared contract (later kernels call it), not in
    // the 5.10 code ports are generated for.
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    let hook = "[hooks.set_pte]\neffects = [\"pte_write\"]\nc = \"set_pte(ptep, ptev)\"\n\n[hooks.post_map]";
    edit(&tpl.path().join("arm/port.toml"), "[hooks.post_map]", hook);
    let o = port_arm(tree.path(), tpl.path(), out.path());
    fails_with(&o, &["arm/port.toml", "hook `set_pte` is not one the Linux 5.10 generic code calls"]);
}

#[test]
fn template_error_names_the_template() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    std::fs::write(tpl.path().join("arm/high_get.tera"), "line one\n{{ no_such_variable }}\n").unwrap();
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["arm/high_get", "no_such_variable"]);
}

#[test]
fn descriptor_naming_a_missing_file_or_function() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    edit(&tpl.path().join("arm/port.toml"), "name = \"get_fixmap_pte\"", "name = \"no_such_function\"");
    fails_with(
        &port_arm(tree.path(), tpl.path(), out.path()),
        &["arm: arch/arm/mm/highmem.c: remove_function no_such_function: no definition of function `no_such_function`"],
    );
    std::fs::remove_file(tree.path().join("arch/arm/mm/cache-xsc3l2.c")).unwrap();
    let tpl = templates_copy();
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["arm: arch/arm/mm/cache-xsc3l2.c", "no such file"]);
    assert!(!out.path().join("arm").exists());
}

#[test]
fn descriptor_paths_must_stay_inside_the_arch() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    edit(&tpl.path().join("arm/port.toml"), "path = \"arch/arm/Kconfig\"", "path = \"arch/arm/../../etc/passwd\"");
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["must be relative and inside the tree"]);
}

#[test]
fn a_moved_anchor_is_reported_and_nothing_is_written_for_that_arch() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    edit(&tree.path().join("arch/arm/include/asm/highmem.h"), "extern void *kmap_atomic_pfn(unsigned long pfn);\n", "");
    fails_with(
        &port_arm(tree.path(), tpl.path(), out.path()),
        &["arm: arch/arm/include/asm/highmem.h: remove_declaration kmap_atomic_pfn: no declaration of `kmap_atomic_pfn`"],
    );
    assert!(!out.path().join("arm").exists() && !out.path().join("arm.diff").exists());
}

#[test]
fn symbolic_links_in_the_tree_are_not_edited_through() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    let makefile = tree.path().join("arch/arm/mm/Makefile");
    let elsewhere = tree.path().join("elsewhere");
    std::fs::rename(&makefile, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &makefile).unwrap();
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["arch/arm/mm/Makefile is a symbolic link"]);
}

#[test]
fn an_already_ported_tree_is_left_alone() {
    let k = kernel();
    let out = tempfile::tempdir().unwrap();
    let o = archport(&["port", "--quiet", "--tree", k.golden.to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_status(&o, 0);
    let text = stdout(&o);
    for arch in Arch::ALL {
        assert!(text.contains(&format!("{:<11} already ported", arch.name())), "{arch}: {text}");
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with(".archport-"))
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn a_killed_run_leaves_every_file_whole() {
    let out = tempfile::tempdir().unwrap();
    assert_status(&archport(&["port", "--quiet", "--out", out.path().to_str().unwrap()]), 0);
    let complete = snapshot(out.path());
    for delay_ms in [5u64, 20, 60, 150] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_archport"))
            .args(["port", "--quiet", "--out", out.path().to_str().unwrap()])
            .env("ARCHPORT_CACHE", crate::support::cache_root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().ok();
        child.wait().unwrap();
        // Same inputs, so old and new files are equal: any other content
        // would be a torn write.
        let now = snapshot(out.path());
        for (path, bytes) in &now {
            let before = complete.iter().find(|(p, _)| p == path).map(|(_, b)| b);
            assert_eq!(before, Some(bytes), "{} is torn or unexpected after a kill at {delay_ms} ms", path.display());
        }
    }
}

#[test]
fn duplicate_and_non_canonical_descriptor_paths_are_refused() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    let desc = tpl.path().join("arm/port.toml");
    edit(&desc, "path = \"arch/arm/mm/highmem.c\"", "path = \"arch/arm/./mm//highmem.c\"");
    fails_with(
        &port_arm(tree.path(), tpl.path(), out.path()),
        &["is not written canonically (as `arch/arm/mm/highmem.c`)"],
    );

    let tpl = templates_copy();
    let desc = tpl.path().join("arm/port.toml");
    edit(&desc, "path = \"arch/arm/mm/cache-xsc3l2.c\"", "path = \"arch/arm/mm/cache-feroceon-l2.c\"");
    fails_with(
        &port_arm(tree.path(), tpl.path(), out.path()),
        &["`arch/arm/mm/cache-feroceon-l2.c` has two [[file]] entries"],
    );
    assert!(!out.path().join("arm").exists());
}

#[test]
fn an_unknown_effect_lists_the_known_ones_with_its_line() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    edit(&tpl.path().join("arm/port.toml"), "\"tlb_flush_page\"", "\"tlb_flush_pgae\"");
    let o = port_arm(tree.path(), tpl.path(), out.path());
    fails_with(&o, &["arm/port.toml:", "unknown effect `tlb_flush_pgae` (known: tlb_flush_page, tlb_flush_all"]);
}

#[test]
fn a_fifo_in_the_tree_is_refused_instead_of_waited_on() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    let kconfig = tree.path().join("arch/arm/Kconfig");
    std::fs::remove_file(&kconfig).unwrap();
    let c = std::ffi::CString::new(kconfig.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["arch/arm/Kconfig is not a regular file"]);
}

#[test]
fn non_ascii_code_in_a_tree_is_compared_not_a_panic() {
    // A hard-linked copy of the pre-port tree whose csky entry.S (a file
    // the review compares, but the port does not touch) has a non-ASCII
    // line outside any comment.
    let k = kernel();
    let top = tempfile::tempdir().unwrap();
    let tree = top.path().join("tree");
    archport::kernel::trees::link_tree(&k.pre_port, &tree).unwrap();
    let entry = tree.join("arch/csky/kernel/entry.S");
    let mut text = std::fs::read(&entry).unwrap();
    std::fs::remove_file(&entry).unwrap();
    text.extend_from_slice("# Zoë\n\t\"ünïcode\" '\\é'\n".as_bytes());
    std::fs::write(&entry, text).unwrap();
    let t = tree.to_str().unwrap();
    let o = archport(&["diff", "--quiet", "--arch", "csky", "--tree", t]);
    assert_eq!(o.status.code(), Some(1), "entry.S now differs from the golden tree: {}", stderr(&o));
    assert!(stdout(&o).contains("arch/csky/kernel/entry.S"), "{}", stdout(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let o = archport(&["verify", "--quiet", "--arch", "csky", "--tree", t]);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn a_signoff_that_would_inject_a_header_is_refused() {
    let out = tempfile::tempdir().unwrap();
    for bad in ["Jane\r\nBcc: all@example.org <j@example.org>", "Jane <a@b@c>"] {
        let o =
            archport(&["series", "--quiet", "--arch", "csky", "--signoff", bad, "--out", out.path().to_str().unwrap()]);
        fails_with(&o, &["--signoff"]);
    }
    let o = archport(&[
        "series",
        "--quiet",
        "--arch",
        "csky",
        "--signoff",
        "Jane <j@example.org>",
        "--date",
        "@253402300800",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    fails_with(&o, &["1 to 9999"]);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn a_template_that_could_recurse_is_refused_with_its_line() {
    let (tree, tpl, out) = (mini_tree(Arch::Arm), templates_copy(), tempfile::tempdir().unwrap());
    std::fs::write(
        tpl.path().join("arm/high_get.tera"),
        "static inline void x(void) {}\n{% macro r(n) %}{{ self::r(n=n) }}{% endmacro r %}{{ self::r(n=1) }}\n",
    )
    .unwrap();
    fails_with(&port_arm(tree.path(), tpl.path(), out.path()), &["arm/high_get.tera:2: `macro` is not allowed"]);
}
