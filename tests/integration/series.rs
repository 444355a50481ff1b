//! `archport series` on the real tree: `git am` applies every patch and
//! gives `archport port`'s files, the tree's checkpatch.pl finds no
//! error, get_maintainer.pl's recipients are in the headers, the output
//! is reproducible, and the base tree shows what needs the generic core.
//!
//! Every test covers all ten arches: an arch that does not port fails
//! the test, after the others have been checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use archport::arch::Arch;
use archport::pipeline::{self, Ported};

use crate::support::{archport_env, assert_status, kernel, read_tree, stderr, stdout};

const SIGNOFF: &str = "Jane Hacker <jane@example.org>";

fn templates() -> PathBuf {
    archport::descriptor::templates_root(None)
}

/// Every arch ported from the pre-port tree, and the errors of those
/// that do not port.
fn port_all() -> (Vec<Ported>, Vec<String>) {
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for arch in Arch::ALL {
        match pipeline::port_arch(arch, &kernel().pre_port, &templates()) {
            Ok(p) => ok.push(p),
            Err(e) => failed.push(format!("{arch}: {e:#}")),
        }
    }
    (ok, failed)
}

#[track_caller]
fn assert_every_arch_ports(failed: &[String]) {
    assert!(
        failed.is_empty(),
        "{} arches do not port, so the series misses them:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// `--arch` flags for the arches that port (none when all ten do).
fn arch_flags(ported: &[Ported]) -> Vec<String> {
    if ported.len() == Arch::ALL.len() {
        return Vec::new();
    }
    ported.iter().flat_map(|p| ["--arch".to_string(), p.port.arch.name().to_string()]).collect()
}

/// Runs `archport series` with the shared cache.
fn series(out: &Path, ported: &[Ported], extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args: Vec<String> = vec!["series".into(), "--quiet".into(), "--out".into(), out.to_str().unwrap().into()];
    args.extend(arch_flags(ported));
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    archport_env(&refs, env)
}

/// Writes the series of the arches that port and returns its patch
/// files in order (cover letter first).
fn write_series(out: &Path, ported: &[Ported]) -> Vec<PathBuf> {
    let o = series(out, ported, &["--signoff", SIGNOFF], &[]);
    assert_status(&o, 0);
    // Every file but archport's record of what it wrote (.archport-manifest).
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    files.sort();
    assert_eq!(files.len(), ported.len() + 1, "{files:?}");
    assert!(files[0].ends_with("0000-cover-letter.patch"));
    files
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

fn git(dir: &Path, args: &[&str]) -> Output {
    run(Command::new("git").arg("-C").arg(dir).args(args))
}

#[track_caller]
fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git(dir, args);
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o)
}

/// A fresh repository holding copies of the given tree files, committed.
fn repo_with(tree: &Path, paths: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["config", "user.name", "Archport Test"]);
    git_ok(dir.path(), &["config", "user.email", "test@example.org"]);
    for p in paths {
        let dest = dir.path().join(p);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(tree.join(p), &dest).unwrap_or_else(|e| panic!("copying {p}: {e}"));
    }
    git_ok(dir.path(), &["add", "-A"]);
    git_ok(dir.path(), &["commit", "-q", "-m", "pre-port files"]);
    dir
}

fn touched(ported: &[Ported]) -> Vec<&str> {
    ported.iter().flat_map(|p| &p.port.files).filter(|f| f.before.is_some()).map(|f| f.path.as_str()).collect()
}

#[test]
fn git_am_applies_every_patch_and_gives_the_ported_files() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let files = write_series(out.path(), &ported);
    let repo = repo_with(&kernel().pre_port, &touched(&ported));

    let mut am = Command::new("git");
    am.arg("-C").arg(repo.path()).args(["am", "-q"]).args(&files[1..]);
    let o = run(&mut am);
    assert!(o.status.success(), "git am failed:\n{}{}", stdout(&o), stderr(&o));

    let log = git_ok(repo.path(), &["log", "--reverse", "--format=%an <%ae>|%s", "HEAD~1..HEAD"]);
    let subjects = git_ok(repo.path(), &["log", "--reverse", "--format=%s", &format!("HEAD~{}..HEAD", ported.len())]);
    let manifest = archport::series::manifest::Manifest::load(&archport::series::manifest::default_dir()).unwrap();
    let arches: Vec<Arch> = ported.iter().map(|p| p.port.arch).collect();
    let expected: Vec<&str> = manifest.ordered(&arches).iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects.lines().collect::<Vec<_>>(), expected);
    assert!(log.starts_with(SIGNOFF), "{log}");
    println!("git am applied {} of {} patches", subjects.lines().count(), files.len() - 1);

    for p in &ported {
        for f in &p.port.files {
            let applied = std::fs::read(repo.path().join(&f.path)).ok();
            assert!(applied == f.after, "{}: {} after git am differs from archport port", p.port.arch, f.path);
        }
    }
    assert_every_arch_ports(&failed);
}

/// `total: E errors, W warnings, N lines checked`.
fn checkpatch_totals(output: &str) -> Option<(usize, usize)> {
    let line = output.lines().find(|l| l.starts_with("total: "))?;
    let n = |word: &str| line.split(", ").find(|p| p.contains(word))?.split_whitespace().find_map(|w| w.parse().ok());
    Some((n("error")?, n("warning")?))
}

#[test]
fn checkpatch_from_the_tree_reports_no_error() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let files = write_series(out.path(), &ported);
    let tree = &kernel().pre_port;
    let mut errors = Vec::new();
    for f in &files[1..] {
        let o = run(Command::new("perl").arg("scripts/checkpatch.pl").arg(f).current_dir(tree));
        let text = stdout(&o);
        let (e, w) = checkpatch_totals(&text)
            .unwrap_or_else(|| panic!("no checkpatch totals for {}:\n{text}{}", f.display(), stderr(&o)));
        println!("checkpatch {}: {e} errors, {w} warnings", f.file_name().unwrap().to_string_lossy());
        for l in text.lines().filter(|l| l.starts_with("WARNING:") || l.starts_with("ERROR:")) {
            println!("    {l}");
        }
        if e > 0 || !o.status.success() && e == 0 && w == 0 {
            errors.push(format!("{}:\n{text}", f.display()));
        }
    }
    assert!(errors.is_empty(), "checkpatch reports errors:\n{}", errors.join("\n"));
    assert_every_arch_ports(&failed);
}

/// Why a patch needs the generic kmap_local core: what its added lines
/// use that the pre-port tree has and the base tree lacks.
fn needs_core(patch: &str, base: &Path, pre_port: &Path) -> Vec<String> {
    let mm_kconfig = |t: &Path| std::fs::read_to_string(t.join("mm/Kconfig")).unwrap_or_default();
    let (base_kconfig, pre_kconfig) = (mm_kconfig(base), mm_kconfig(pre_port));
    let mut why = Vec::new();
    for line in patch.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")) {
        let l = line[1..].trim();
        if let Some(sym) = l.strip_prefix("select ") {
            let def = format!("config {}\n", sym.trim());
            if pre_kconfig.contains(&def) && !base_kconfig.contains(&def) {
                why.push(format!("select {}", sym.trim()));
            }
        }
        if let Some(h) = l.strip_prefix("#include <asm/").and_then(|h| h.strip_suffix('>')) {
            let generic = format!("include/asm-generic/{h}");
            if pre_port.join(&generic).exists() && !base.join(&generic).exists() {
                why.push(format!("<asm/{h}>"));
            }
        }
    }
    why.sort();
    why.dedup();
    why
}

#[test]
fn git_apply_check_on_the_base_tree_shows_what_needs_the_generic_core() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let files = write_series(out.path(), &ported);
    let k = kernel();
    // Keep git from finding a repository above the base tree.
    let ceiling = k.base.parent().unwrap();
    for f in &files[1..] {
        let text = std::fs::read_to_string(f).unwrap();
        let o = run(Command::new("git")
            .args(["apply", "--check"])
            .arg(f)
            .current_dir(&k.base)
            .env("GIT_CEILING_DIRECTORIES", ceiling));
        let why = needs_core(&text, &k.base, &k.pre_port);
        let name = f.file_name().unwrap().to_string_lossy();
        let applies =
            if o.status.success() { "applies".to_string() } else { format!("does not apply ({})", stderr(&o).trim()) };
        println!("base tree: {name} {applies}; needs the generic kmap_local core for: {}", why.join(", "));
        assert!(!why.is_empty(), "{name} uses nothing of the generic kmap_local core");
        if !o.status.success() {
            // Only files the pre-port tree changed may refuse the patch.
            for path in
                text.lines().filter_map(|l| l.strip_prefix("diff --git a/")).map(|l| l.split(" b/").next().unwrap())
            {
                let (b, p) = (std::fs::read(k.base.join(path)).ok(), std::fs::read(k.pre_port.join(path)).ok());
                assert!(
                    b != p || !stderr(&o).contains(path),
                    "{name}: {path} is the same in both trees yet does not apply"
                );
            }
        }
    }
    assert_every_arch_ports(&failed);
}

/// The addresses of a folded `To:`/`Cc:` header.
fn header_addresses(mail: &str, name: &str) -> Vec<String> {
    let head = mail.split("\n\n").next().unwrap();
    let mut found = Vec::new();
    let mut inside = false;
    for line in head.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{name}: ")) {
            inside = true;
            found.push(rest.trim_end_matches(',').to_string());
        } else if inside && line.starts_with(' ') {
            found.push(line.trim().trim_end_matches(',').to_string());
        } else {
            inside = false;
        }
    }
    found
}

#[test]
fn get_maintainer_recipients_are_in_the_headers() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let files = write_series(out.path(), &ported);
    let tree = &kernel().pre_port;
    let cover = std::fs::read_to_string(&files[0]).unwrap();
    let cover_all: Vec<String> = [header_addresses(&cover, "To"), header_addresses(&cover, "Cc")].concat();
    for f in &files[1..] {
        let o = run(Command::new("perl")
            .args(["scripts/get_maintainer.pl", "--no-git", "--no-git-fallback", "--no-rolestats"])
            .arg(f)
            .current_dir(tree));
        assert!(o.status.success(), "get_maintainer.pl {}: {}", f.display(), stderr(&o));
        let mail = std::fs::read_to_string(f).unwrap();
        let (to, cc) = (header_addresses(&mail, "To"), header_addresses(&mail, "Cc"));
        let printed = stdout(&o);
        let wanted: Vec<&str> = printed.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert!(!wanted.is_empty() && !to.is_empty(), "{}: no recipients", f.display());
        for a in &wanted {
            assert!(
                to.iter().chain(&cc).any(|h| h == a),
                "{}: {a} is in neither To nor Cc: {to:?} {cc:?}",
                f.display()
            );
            assert!(cover_all.iter().any(|h| h == a), "the cover letter misses {a}");
        }
        println!("{}: To {} Cc {}", f.file_name().unwrap().to_string_lossy(), to.len(), cc.len());
    }
    assert_every_arch_ports(&failed);
}

#[test]
fn two_runs_give_byte_identical_files_dated_by_the_tree() {
    let (ported, failed) = port_all();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        write_series(d.path(), &ported);
    }
    let (a, b) = (read_tree(dirs[0].path()), read_tree(dirs[1].path()));
    assert_eq!(a.len(), ported.len() + 2, "the patches, the cover letter and the manifest");
    assert!(a == b, "two runs differ");

    let mtime = std::fs::metadata(kernel().pre_port.join("Makefile")).unwrap().modified().unwrap();
    let date = archport::series::date::MailDate::from_system_time(mtime).rfc2822();
    let cover = String::from_utf8(a["0000-cover-letter.patch"].clone()).unwrap();
    assert!(cover.contains(&format!("\nDate: {date}\n")), "{cover}");

    // A second run into the same folder with fewer arches leaves no stale patch.
    let one = &ported[..1];
    write_series(dirs[0].path(), one);
    assert_eq!(read_tree(dirs[0].path()).len(), 3, "cover letter, patch, manifest");
    assert_every_arch_ports(&failed);
}

#[test]
fn no_signoff_identity_is_bad_usage() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let no_git_identity = [
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("HOME", home.path().to_str().unwrap()),
        ("XDG_CONFIG_HOME", home.path().to_str().unwrap()),
    ];
    let o = series(&out, &[], &["--arch", "arm"], &no_git_identity);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("--signoff"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing is written without a sign-off");

    let o = series(&out, &[], &["--arch", "arm", "--signoff", "jane@example.org"], &no_git_identity);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("Name <email@example.org>"), "{}", stderr(&o));

    let o = series(&out, &[], &["--arch", "arm", "--signoff", SIGNOFF, "--date", "soon"], &[]);
    assert_status(&o, 2);
    let o = series(&out, &[], &["--arch", "arm", "--signoff", SIGNOFF, "--base", "v5.10"], &[]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("git repository"), "{}", stderr(&o));
}

#[test]
fn split_per_tree_and_range_diff() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let o = series(
        out.path(),
        &ported,
        &["--signoff", SIGNOFF, "--split-per-tree", "--range-diff", "--format", "json"],
        &[],
    );
    assert_status(&o, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut seen = Vec::new();
    for s in json["series"].as_array().unwrap() {
        let dir = PathBuf::from(s["dir"].as_str().unwrap());
        assert!(s["tree"].as_str().is_some_and(|t| t.contains("://")), "{s}");
        let patches = s["patches"].as_array().unwrap();
        let cover = std::fs::read_to_string(dir.join("0000-cover-letter.patch")).unwrap();
        assert!(cover.contains(&format!("Subject: [PATCH 0/{}] ", patches.len())), "{cover}");
        assert!(cover.contains("\nRange-diff against the golden ports:\n"), "{cover}");
        for (i, p) in patches.iter().enumerate() {
            let mail = std::fs::read_to_string(dir.join(p["file"].as_str().unwrap())).unwrap();
            assert!(mail.contains(&format!("Subject: [PATCH {}/{}] ", i + 1, patches.len())));
            let n = i + 1;
            let line = cover
                .lines()
                .find(|l| l.starts_with(&format!("{n}:  ")))
                .unwrap_or_else(|| panic!("no range-diff line {n}:\n{cover}"));
            assert!(line.contains(" = ") || line.contains(" ! "), "{line}");
            seen.push(p["arch"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    let mut want: Vec<String> = ported.iter().map(|p| p.port.arch.name().to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every arch in exactly one series");
    assert_eq!(json["range_diff"].as_array().unwrap().len(), ported.len());
    assert_every_arch_ports(&failed);
}

/// A small git tree (the arm port's files plus what the tools read):
/// `base-commit:` and `prerequisite-patch-id:` come out as `git
/// format-patch --base` writes them.
#[test]
fn base_commit_and_prerequisites_match_git_format_patch() {
    let k = kernel();
    let arm = pipeline::port_arch(Arch::Arm, &k.pre_port, &templates()).expect("arm ports");
    let arm_files: Vec<&str> = arm.port.files.iter().filter(|f| f.before.is_some()).map(|f| f.path.as_str()).collect();
    // What get_maintainer.pl checks to know it is at the top of a tree.
    let mut base_files = vec![
        "COPYING",
        "CREDITS",
        "Kbuild",
        "MAINTAINERS",
        "Makefile",
        "README",
        "scripts/get_maintainer.pl",
        "mm/Kconfig",
    ];
    base_files.extend(&arm_files);
    // The base commit holds the base tree's files; the next commit, the
    // prerequisite, turns them into the pre-port tree's.
    let repo = repo_with(&k.base, &base_files);
    for d in ["Documentation", "include", "drivers", "fs", "init", "ipc", "kernel", "lib"] {
        std::fs::create_dir_all(repo.path().join(d)).unwrap();
    }
    for p in base_files.iter().chain(&["include/asm-generic/kmap_size.h"]) {
        let dest = repo.path().join(p);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(k.pre_port.join(p), dest).unwrap();
    }
    git_ok(repo.path(), &["add", "-A"]);
    git_ok(repo.path(), &["commit", "-q", "-m", "mm/highmem: the generic kmap_local core"]);
    let base = git_ok(repo.path(), &["rev-parse", "HEAD~1"]).trim().to_string();

    let out = tempfile::tempdir().unwrap();
    let o = archport_env(
        &[
            "series",
            "--quiet",
            "--arch",
            "arm",
            "--tree",
            repo.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--base",
            "HEAD~1",
        ],
        &[("GIT_CONFIG_GLOBAL", "/dev/null"), ("GIT_CONFIG_NOSYSTEM", "1")],
    );
    assert_status(&o, 0);
    let cover = std::fs::read_to_string(out.path().join("0000-cover-letter.patch")).unwrap();
    assert!(
        cover.contains("From: Archport Test <test@example.org>"),
        "the identity comes from the tree's git config:\n{cover}"
    );
    let head_date = git_ok(repo.path(), &["log", "-1", "--format=%cD"]);
    assert!(cover.contains(&format!("\nDate: {}\n", head_date.trim())), "dated by HEAD:\n{cover}");
    let ours = &cover[cover.find("\nbase-commit:").expect("a base-commit line")..cover.find("-- \n").unwrap()];

    let patch = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.ends_with("0000-cover-letter.patch"))
        .unwrap();
    let mut am = Command::new("git");
    am.arg("-C").arg(repo.path()).args(["am", "-q"]).arg(&patch);
    assert!(run(&mut am).status.success());
    let theirs = git_ok(repo.path(), &["format-patch", "--stdout", "--cover-letter", &format!("--base={base}"), "-1"]);
    let theirs = &theirs[theirs.find("\nbase-commit:").unwrap()..theirs.find("-- \n").unwrap()];
    assert_eq!(ours, theirs);
    assert!(ours.contains(&format!("base-commit: {base}\nprerequisite-patch-id: ")), "{ours}");
}
