//! The cache under damage: lost metadata, changed trees, read-only
//! volumes, held locks and links out of the cache. Each test builds a
//! small entry of its own in a temp folder (with the library's
//! `assemble`, as a fetch ends) and runs archport with unreachable
//! mirrors, so any attempt to download fails the test.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use archport::kernel::{assemble, Kernel};
use archport::progress::Progress;

use crate::support::{archport_env, assert_status, stderr, stdout};

const VERSION: &str = "5.10.999-1";

const ARM_HIGHMEM: &str = "line1\nvoid *kmap_atomic(struct page *page)\n{\n\treturn page;\n}\nline6\n";

/// A small RT patch: one kmap hunk (a golden port of arm) and one
/// realtime hunk.
const RT_PATCH: &str = "\
diff --git a/arch/arm/mm/highmem.c b/arch/arm/mm/highmem.c
--- a/arch/arm/mm/highmem.c
+++ b/arch/arm/mm/highmem.c
@@ -1,6 +1,3 @@
 line1
-void *kmap_atomic(struct page *page)
-{
-\treturn page;
-}
+#define arch_kmap_local_post_map(vaddr, pteval)\tlocal_flush_tlb_kernel_page(vaddr)
 line6
diff --git a/kernel/sched/core.c b/kernel/sched/core.c
--- a/kernel/sched/core.c
+++ b/kernel/sched/core.c
@@ -1,3 +1,4 @@
 a
+#ifdef CONFIG_PREEMPT_RT
 b
 c
";

/// Writes `files` under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// A cache root holding one complete 5.10 entry, as a fetch leaves it.
fn cache_with_entry() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    make_entry(&root.path().join("linux-source-5.10"), VERSION);
    root
}

fn make_entry(package_dir: &Path, version: &str) -> PathBuf {
    let entry = package_dir.join(version);
    write_files(
        &entry.join("base"),
        &[
            ("Makefile", "VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = 999\n"),
            ("arch/arm/mm/highmem.c", ARM_HIGHMEM),
            ("kernel/sched/core.c", "a\nb\nc\n"),
            ("mm/highmem.c", "/* the generic code */\n"),
            ("drivers/misc/cold.c", "a file archport never reads\n"),
        ],
    );
    std::fs::write(entry.join("rt.patch"), RT_PATCH).unwrap();
    assemble(&entry, Kernel::V5_10, version, Progress { enabled: false }).unwrap();
    std::fs::write(package_dir.join("current"), version).unwrap();
    entry
}

fn entry_of(root: &Path) -> PathBuf {
    root.join("linux-source-5.10").join(VERSION)
}

/// Mirrors that refuse every connection: a download attempt fails.
const OFFLINE: [(&str, &str); 2] = [
    ("ARCHPORT_DEBIAN_MIRROR", "http://127.0.0.1:9/debian"),
    ("ARCHPORT_DEBIAN_SECURITY_MIRROR", "http://127.0.0.1:9/debian-security"),
];

/// `archport fetch --cache ROOT ARGS`, offline.
fn fetch(root: &Path, args: &[&str]) -> Output {
    let mut all = vec!["fetch", "--cache", root.to_str().unwrap()];
    all.extend_from_slice(args);
    archport_env(&all, &OFFLINE)
}

#[test]
fn a_lost_meta_json_is_rebuilt_without_downloading() {
    let root = cache_with_entry();
    let meta = entry_of(root.path()).join("meta.json");
    let before = std::fs::read(&meta).unwrap();
    std::fs::remove_file(&meta).unwrap();
    let out = fetch(root.path(), &[]);
    assert_status(&out, 0);
    assert!(stdout(&out).contains(VERSION), "{}", stdout(&out));
    assert!(stderr(&out).contains("rebuilt") && stderr(&out).contains("meta.json"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&meta).unwrap(), before);
}

#[test]
fn a_lost_current_is_rebuilt_from_the_newest_version_folder() {
    let root = cache_with_entry();
    let package = root.path().join("linux-source-5.10");
    make_entry(&package, "5.10.99-1");
    std::fs::remove_file(package.join("current")).unwrap();
    let out = fetch(root.path(), &["--quiet"]);
    assert_status(&out, 0);
    assert!(stdout(&out).starts_with(&format!("linux-source-5.10 {VERSION}\n")), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(package.join("current")).unwrap(), VERSION);
}

#[test]
fn a_changed_tree_is_named_and_repaired_from_what_is_there() {
    let root = cache_with_entry();
    let entry = entry_of(root.path());
    let port_file = entry.join("pre-port/arch/arm/mm/highmem.c");
    let original = std::fs::read(&port_file).unwrap();
    std::fs::remove_file(&port_file).unwrap();
    std::fs::write(&port_file, "changed by hand\n").unwrap();

    let out = fetch(root.path(), &["--quiet"]);
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&port_file.display().to_string()), "names the path: {err}");
    assert!(err.contains("archport fetch --repair") && err.contains("without downloading"), "remedy: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let out = fetch(root.path(), &["--quiet", "--repair"]);
    assert_status(&out, 0);
    assert_eq!(std::fs::read(&port_file).unwrap(), original);
    assert_status(&fetch(root.path(), &["--quiet", "--verify"]), 0);
}

#[test]
fn a_missing_derived_tree_is_named_and_rebuilt() {
    let root = cache_with_entry();
    let entry = entry_of(root.path());
    std::fs::remove_dir_all(entry.join("golden")).unwrap();
    let out = fetch(root.path(), &["--quiet"]);
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&format!("{}/golden is missing", entry.display())), "{err}");
    assert!(err.contains("archport fetch --repair"), "{err}");
    assert_status(&fetch(root.path(), &["--quiet", "--repair"]), 0);
    assert!(entry.join("golden/arch/arm/mm/highmem.c").is_file());
    assert_status(&fetch(root.path(), &["--quiet", "--verify"]), 0);
}

#[test]
fn verify_reads_every_byte_and_names_what_differs() {
    let root = cache_with_entry();
    let entry = entry_of(root.path());
    // Same size, same time: only reading the content can tell.
    let cold = entry.join("base/drivers/misc/cold.c");
    let mtime = std::fs::metadata(&cold).unwrap().modified().unwrap();
    std::fs::write(&cold, "A file archport never reads\n").unwrap();
    File::options().write(true).open(&cold).unwrap().set_modified(mtime).unwrap();

    assert_status(&fetch(root.path(), &["--quiet"]), 0);
    let out = fetch(root.path(), &["--quiet", "--verify"]);
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&format!("{} content differs", cold.display())), "{err}");
    assert!(err.contains("downloads linux-source-5.10 again"), "{err}");

    // The base tree cannot be rebuilt from what is there: --repair
    // downloads, and offline it fails keeping the entry.
    let out = fetch(root.path(), &["--quiet", "--repair"]);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    assert!(cold.is_file());
}

#[test]
fn times_lost_in_a_copy_are_recorded_again_by_repair() {
    let root = cache_with_entry();
    let file = entry_of(root.path()).join("base/mm/highmem.c");
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();

    let out = fetch(root.path(), &["--quiet"]);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("modification time differs"), "{}", stderr(&out));
    let out = fetch(root.path(), &["--quiet", "--verify"]);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("every file of"), "{}", stderr(&out));
    assert_status(&fetch(root.path(), &["--quiet", "--repair"]), 0);
    assert_status(&fetch(root.path(), &["--quiet"]), 0);
}

/// Runs `cmd` as an unprivileged user when the tests run as root (root
/// writes through any permission bits); `None` when that is impossible.
fn unprivileged(mut cmd: Command) -> Option<Output> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().ok()?;
    Some(out)
}

fn make_read_only(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()) {
        if e.file_type().is_symlink() {
            continue;
        }
        let mode = if e.file_type().is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn make_writable(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()) {
        if e.file_type().is_dir() {
            std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

#[test]
fn a_read_only_cache_is_usable_for_reading() {
    let root = cache_with_entry();
    // A second entry whose meta.json is lost: usable, not rebuilt.
    let other = tempfile::tempdir().unwrap();
    make_entry(&other.path().join("linux-source-5.10"), VERSION);
    std::fs::remove_file(entry_of(other.path()).join("meta.json")).unwrap();
    for r in [root.path(), other.path()] {
        make_read_only(r);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_archport"));
        cmd.args(["fetch", "--cache", r.to_str().unwrap()]).envs(OFFLINE).env("NO_COLOR", "1");
        let Some(out) = unprivileged(cmd) else {
            make_writable(r);
            eprintln!("skipped: cannot run archport as an unprivileged user");
            return;
        };
        make_writable(r);
        assert_status(&out, 0);
        assert!(stdout(&out).contains(VERSION), "{}", stdout(&out));
        assert!(!r.join("linux-source-5.10/.lock").exists(), "a reader took the write lock");
    }
    assert!(!entry_of(other.path()).join("meta.json").exists(), "a reader wrote meta.json");
}

#[test]
fn a_read_only_cache_without_the_package_says_it_cannot_fetch() {
    let root = tempfile::tempdir().unwrap();
    make_read_only(root.path());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archport"));
    cmd.args(["fetch", "--quiet", "--cache", root.path().to_str().unwrap()]).envs(OFFLINE);
    let out = unprivileged(cmd);
    make_writable(root.path());
    let Some(out) = out else { return eprintln!("skipped: cannot run archport as an unprivileged user") };
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&root.path().join("linux-source-5.10").display().to_string()), "{err}");
    assert!(err.contains("writable"), "{err}");
}

#[test]
fn a_held_lock_names_its_holder_and_times_out() {
    let root = tempfile::tempdir().unwrap();
    let package = root.path().join("linux-source-5.10");
    std::fs::create_dir_all(&package).unwrap();
    let lock_path = package.join(".lock");
    std::fs::write(&lock_path, "archport pid 4242 on host elsewhere since 2026-01-01T00:00:00+00:00\n").unwrap();
    let lock = File::options().read(true).write(true).open(&lock_path).unwrap();
    lock.lock().unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_archport"))
        .args(["fetch", "--cache", root.path().to_str().unwrap()])
        .envs(OFFLINE)
        .env("ARCHPORT_LOCK_TIMEOUT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("archport still waits for the lock after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    drop(lock);
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("waiting for the cache lock"), "says it waits: {err}");
    assert!(err.contains(&lock_path.display().to_string()) && err.contains("pid 4242 on host elsewhere"), "{err}");
    assert!(err.contains("ARCHPORT_LOCK_TIMEOUT"), "{err}");
}

#[test]
fn current_leading_out_of_the_cache_is_refused() {
    // A complete entry outside the cache, which the cache must not reach.
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = make_entry(&outside.path().join("linux-source-5.10"), VERSION);
    let break_it = |name: &str, package: &Path| match name {
        "absolute" => std::fs::write(package.join("current"), elsewhere.to_str().unwrap()).unwrap(),
        "dot-dot" => {
            let up = package.parent().unwrap().join("stolen");
            std::os::unix::fs::symlink(&elsewhere, &up).unwrap();
            std::fs::write(package.join("current"), "../stolen").unwrap();
        }
        "current is a link" => {
            let file = outside.path().join("current");
            std::fs::write(&file, VERSION).unwrap();
            std::fs::remove_file(package.join("current")).unwrap();
            std::os::unix::fs::symlink(&file, package.join("current")).unwrap();
        }
        _ => {
            std::fs::rename(package.join(VERSION), package.join(".moved")).unwrap();
            std::os::unix::fs::symlink(&elsewhere, package.join(VERSION)).unwrap();
        }
    };
    for name in ["absolute", "dot-dot", "current is a link", "version folder is a link"] {
        let root = cache_with_entry();
        let package = root.path().join("linux-source-5.10");
        break_it(name, &package);
        let out = fetch(root.path(), &["--quiet"]);
        assert_status(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("does not follow paths out of its cache"), "{name}: {err}");
        assert!(err.contains(&package.display().to_string()), "{name}: names the path: {err}");
        assert!(!stdout(&out).contains(&elsewhere.display().to_string()), "{name}");
    }
}

#[test]
fn an_empty_archport_cache_counts_as_unset() {
    let xdg = tempfile::tempdir().unwrap();
    make_entry(&xdg.path().join("archport/linux-source-5.10"), VERSION);
    let mut env = OFFLINE.to_vec();
    env.extend([("ARCHPORT_CACHE", ""), ("XDG_CACHE_HOME", xdg.path().to_str().unwrap())]);
    let out = archport_env(&["fetch", "--quiet", "--format", "json"], &env);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(json["base"].as_str().unwrap().starts_with(xdg.path().to_str().unwrap()), "{json}");
}

#[test]
fn kernel_6_1_is_one_tree_without_golden_ports() {
    let root = tempfile::tempdir().unwrap();
    let entry = root.path().join("linux-source-6.1/6.1.999-1");
    write_files(
        &entry.join("base"),
        &[("Makefile", "VERSION = 6\nPATCHLEVEL = 1\n"), ("mm/highmem.c", "/* kmap_local */\n"), ("arch/.keep", "")],
    );
    assemble(&entry, Kernel::V6_1, "6.1.999-1", Progress { enabled: false }).unwrap();
    std::fs::write(root.path().join("linux-source-6.1/current"), "6.1.999-1").unwrap();

    let out = fetch(root.path(), &["--kernel", "6.1", "--format", "json"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["package"], "linux-source-6.1");
    assert_eq!(json["version"], "6.1.999-1");
    assert_eq!(json["base"], entry.join("base").to_str().unwrap());
    assert!(json.get("golden").is_none(), "{json}");
    assert_status(&fetch(root.path(), &["--kernel", "6.1", "--verify", "--quiet"]), 0);

    // The 5.10 entry of the same cache is another package folder.
    assert!(!root.path().join("linux-source-5.10").exists());
    let out = archport_env(&["diff", "--kernel", "6.1", "--cache", root.path().to_str().unwrap()], &OFFLINE);
    assert_status(&out, 2);
    assert!(stderr(&out).contains("carries no golden ports"), "{}", stderr(&out));
}
