//! `check --golden-dir`, `--bless` and `archport review`: the blessed
//! output workflow, the insta way (a change waits beside its file until
//! it is accepted or rejected).

use std::path::Path;
use std::process::Command;

use crate::support::{archport, archport_env, assert_status, edit, read_tree, stderr, stdout, templates_copy};

/// A copy of the templates whose arm port changes three blessed files:
/// `arm.diff` and `highmem.h` change, `cache-feroceon-l2.c` is no longer
/// generated.
fn changed_templates() -> tempfile::TempDir {
    let tpl = templates_copy();
    let desc = tpl.path().join("arm/port.toml");
    let text = std::fs::read_to_string(&desc).unwrap();
    let (head, rest) = text.split_once("[[file]]\npath = \"arch/arm/mm/cache-feroceon-l2.c\"").unwrap();
    let tail = &rest[rest.find("[[file]]").unwrap()..];
    std::fs::write(&desc, format!("{head}{tail}")).unwrap();
    edit(
        &tpl.path().join("arm/high_get.tera"),
        "static inline void *arch_kmap_local_high_get",
        "/* Reuses a pkmap mapping. */\nstatic inline void *arch_kmap_local_high_get",
    );
    tpl
}

fn is_pending(rel: &str) -> bool {
    rel.ends_with(".archport-new") || rel.ends_with(".archport-gone")
}

/// Blesses the arm port into `dir` with the project's templates.
fn bless_arm(dir: &Path) {
    let o = archport(&["check", "--arch", "arm", "--golden-dir", dir.to_str().unwrap(), "--bless"]);
    assert_status(&o, 0);
}

#[test]
fn a_mistyped_golden_dir_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ci/archprot");
    let o = archport(&["check", "--arch", "arm", "--golden-dir", missing.to_str().unwrap()]);
    assert_status(&o, 2);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with('[')).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("nothing is blessed there (is the path right?)"), "{err}");
    assert!(!missing.exists(), "a check creates nothing");
}

#[test]
fn blessing_the_first_time_prints_one_line_per_arch() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("golden");
    let o = archport(&["check", "--arch", "arm", "--arch", "x86", "--golden-dir", g.to_str().unwrap(), "--bless"]);
    assert_status(&o, 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("arm: blessed 8 files"), "{out}");
    assert!(lines[1].starts_with("x86: blessed 11 files"), "{out}");
    assert!(lines[2].starts_with("19 files blessed into"), "{out}");
    assert!(g.join("arm/arch/arm/Kconfig").is_file() && g.join("x86.diff").is_file());
    let o = archport(&["check", "--arch", "arm", "--arch", "x86", "--golden-dir", g.to_str().unwrap()]);
    assert_status(&o, 0);
    assert!(stdout(&o).starts_with("generated output matches"), "{}", stdout(&o));
}

#[test]
fn a_change_waits_beside_its_file_and_the_printed_command_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("golden");
    bless_arm(&g);
    let blessed = read_tree(&g);
    let tpl = changed_templates();
    let t = tpl.path().to_str().unwrap();

    let o = archport(&["check", "--arch", "arm", "--golden-dir", g.to_str().unwrap(), "--templates", t]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("gone arm/arch/arm/mm/cache-feroceon-l2.c\n"), "{out}");
    assert!(out.contains("changed arm/arch/arm/include/asm/highmem.h\n"), "{out}");
    assert!(out.contains("\n+/* Reuses a pkmap mapping. */\n"), "the diff is shown: {out}");
    assert!(out.contains("3 files differ from "), "{out}");

    // The new versions wait beside the blessed files, which stay as they were.
    let pending = [
        "arm.diff.archport-new",
        "arm/arch/arm/include/asm/highmem.h.archport-new",
        "arm/arch/arm/mm/cache-feroceon-l2.c.archport-gone",
    ];
    let now = read_tree(&g);
    for p in pending {
        assert!(now.contains_key(p), "no pending {p}: {:?}", now.keys());
    }
    for (path, bytes) in &blessed {
        if path != ".archport-manifest" {
            assert_eq!(now.get(path), Some(bytes), "{path} changed");
        }
    }
    let manifest = String::from_utf8(now[".archport-manifest"].clone()).unwrap();
    for p in pending {
        assert!(manifest.contains(&format!("  {p}\n")), "the manifest does not record {p}:\n{manifest}");
    }
    let highmem = String::from_utf8(now["arm/arch/arm/include/asm/highmem.h.archport-new"].clone()).unwrap();
    assert!(highmem.contains("/* Reuses a pkmap mapping. */"));

    // The hint repeats every flag that changed the output: run as
    // printed, it accepts the change.
    let hint = out.lines().find_map(|l| l.strip_prefix("accept all:")).unwrap_or_else(|| panic!("no hint: {out}"));
    let words: Vec<&str> = hint.split_whitespace().collect();
    assert_eq!(words[..2], ["archport", "check"], "{hint}");
    assert!(hint.contains(&format!("--templates {t}")) && hint.contains("--arch arm"), "{hint}");
    assert_status(&archport(&words[1..]), 0);
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g.to_str().unwrap(), "--templates", t]);
    assert_status(&o, 0);
    assert!(read_tree(&g).keys().all(|k| !is_pending(k)), "blessing removes the pending files");
    assert!(!g.join("arm/arch/arm/mm/cache-feroceon-l2.c").exists(), "archport's own stale file is removed");

    // --quiet: the summary line alone.
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g.to_str().unwrap(), "--quiet"]);
    assert_status(&o, 1);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("3 files differ from "), "{}", stdout(&o));
}

/// `archport review` on a terminal (a pseudo-terminal from `script`),
/// answering `answers` line by line.
fn review_on_a_terminal(dir: &Path, answers: &str) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_archport");
    let cmd = format!("{bin} review --color never --golden-dir {}", dir.display());
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("ARCHPORT_CACHE", crate::support::cache_root())
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running script (util-linux) for a terminal");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(answers.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn review_accepts_rejects_and_skips_each_pending_change_and_never_accepts_in_ci() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("golden");
    let gs = g.to_str().unwrap();
    bless_arm(&g);
    let blessed = read_tree(&g);
    let tpl = changed_templates();
    let t = tpl.path().to_str().unwrap();
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", gs, "--templates", t]), 1);
    let new_diff = read_tree(&g)["arm.diff.archport-new"].clone();

    // On a terminal: arm.diff accepted, highmem.h rejected, feroceon skipped.
    let o = review_on_a_terminal(&g, "a\nr\ns\n");
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("[1/3] changed arm.diff"), "{out}");
    assert!(out.contains("[2/3] changed arm/arch/arm/include/asm/highmem.h"), "{out}");
    assert!(out.contains("[3/3] gone arm/arch/arm/mm/cache-feroceon-l2.c"), "{out}");
    assert!(out.contains("accept, reject or skip? [a/r/s]"), "{out}");
    assert!(out.contains("1 accepted, 1 rejected, 1 skipped; 1 pending in"), "{out}");
    let now = read_tree(&g);
    assert_eq!(now["arm.diff"], new_diff, "accepted");
    assert!(!now.contains_key("arm.diff.archport-new"));
    let highmem = "arm/arch/arm/include/asm/highmem.h";
    assert_eq!(now[highmem], blessed[highmem], "rejected: the blessed file stays");
    assert!(!now.contains_key(&format!("{highmem}.archport-new")), "rejected: the pending file goes");
    assert!(now.contains_key("arm/arch/arm/mm/cache-feroceon-l2.c.archport-gone"), "skipped: it stays pending");

    // Outside a terminal, without a flag: listed, nothing decided.
    let o = archport(&["review", "--golden-dir", gs]);
    assert_status(&o, 1);
    assert!(stdout(&o).contains("not a terminal: pass --accept-all or --reject-all"), "{}", stdout(&o));

    // In CI nothing is accepted, neither by review nor by --bless.
    let ci = [("CI", "true")];
    let o = archport_env(&["review", "--golden-dir", gs, "--accept-all"], &ci);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("CI is set"), "{}", stderr(&o));
    let o = archport_env(&["check", "--arch", "arm", "--golden-dir", gs, "--templates", t, "--bless"], &ci);
    assert_status(&o, 2);
    assert!(g.join("arm/arch/arm/mm/cache-feroceon-l2.c.archport-gone").is_file(), "nothing accepted in CI");

    let o = archport(&["review", "--golden-dir", gs, "--accept-all"]);
    assert_status(&o, 0);
    assert!(!g.join("arm/arch/arm/mm/cache-feroceon-l2.c").exists(), "accepting a deletion deletes the file");
    assert!(read_tree(&g).keys().all(|k| !is_pending(k)), "{:?}", read_tree(&g).keys());

    // The rejected change is found again by the next check.
    let o = archport(&["check", "--arch", "arm", "--golden-dir", gs, "--templates", t]);
    assert_status(&o, 1);
    assert!(stdout(&o).contains("1 file differs from "), "{}", stdout(&o));
    assert!(g.join(format!("{highmem}.archport-new")).is_file());
}

#[test]
fn hand_edits_and_stray_files_stay_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("golden");
    let gs = g.to_str().unwrap();
    bless_arm(&g);

    // A hand edit to one blessed file: check exits 1, shows the diff and
    // leaves the generated version pending beside it.
    let fixmap = g.join("arm/arch/arm/include/asm/fixmap.h");
    let text = std::fs::read_to_string(&fixmap).unwrap().replace("KM_MAX_IDX", "KM_TYPE_NR");
    std::fs::write(&fixmap, &text).unwrap();
    std::fs::write(g.join("arm/arch/arm/stale.h"), "x\n").unwrap();
    let o = archport(&["check", "--arch", "arm", "--golden-dir", gs]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("changed arm/arch/arm/include/asm/fixmap.h"), "{out}");
    assert!(out.contains("-\tFIX_KMAP_END = FIX_KMAP_BEGIN + (KM_TYPE_NR * NR_CPUS) - 1,"), "{out}");
    assert!(out.contains("+\tFIX_KMAP_END = FIX_KMAP_BEGIN + (KM_MAX_IDX * NR_CPUS) - 1,"), "{out}");
    assert!(out.contains("gone arm/arch/arm/stale.h"), "{out}");
    assert_eq!(std::fs::read_to_string(&fixmap).unwrap(), text, "the edit stays until accepted");

    // Both are the user's now: accepting over the edit takes --force, and
    // archport deletes no file it did not write.
    let o = archport(&["review", "--golden-dir", gs, "--accept-all"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("pass --force"), "{}", stderr(&o));
    // The review went on past the edited file to the next change.
    assert!(stderr(&o).contains("2 change(s) not applied"), "{}", stderr(&o));
    assert!(stderr(&o).contains("stale.h is no longer generated"), "{}", stderr(&o));
    let o = archport(&["review", "--golden-dir", gs, "--accept-all", "--force"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("stale.h is no longer generated, but archport did not write it"), "{}", stderr(&o));
    assert!(!std::fs::read_to_string(&fixmap).unwrap().contains("KM_TYPE_NR"), "accepted with --force");
    assert!(g.join("arm/arch/arm/stale.h").exists(), "not archport's, so not deleted");
    assert_status(&archport(&["review", "--golden-dir", gs, "--reject-all"]), 0);
    std::fs::remove_file(g.join("arm/arch/arm/stale.h")).unwrap();
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", gs]), 0);
}
