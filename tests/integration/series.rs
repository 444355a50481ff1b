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
    // A lone patch is its own series, without a cover letter.
    let cover = usize::from(ported.len() > 1);
    assert_eq!(files.len(), ported.len() + cover, "{files:?}");
    assert_eq!(files[0].ends_with("0000-cover-letter.patch"), cover == 1, "{files:?}");
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

    // A second run into the same folder with fewer arches leaves no stale
    // patch, and no cover letter for a lone patch.
    let one = &ported[..1];
    write_series(dirs[0].path(), one);
    assert_eq!(read_tree(dirs[0].path()).len(), 2, "the patch and the manifest");
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
    let mut lone = 0;
    for s in json["series"].as_array().unwrap() {
        let dir = PathBuf::from(s["dir"].as_str().unwrap());
        let tree = s["tree"].as_str().unwrap_or_else(|| panic!("no tree: {s}"));
        assert!(tree.starts_with("git ") && tree.contains("://"), "{s}");
        let patches = s["patches"].as_array().unwrap();
        // With one patch the notes go below its `---`, else into a cover letter.
        let notes = match patches.len() {
            1 => {
                lone += 1;
                assert!(s["cover"].is_null() && !dir.join("0000-cover-letter.patch").exists(), "{s}");
                let mail = std::fs::read_to_string(dir.join(patches[0]["file"].as_str().unwrap())).unwrap();
                assert!(mail.contains("\nSubject: [PATCH] "), "git sends a lone patch as [PATCH]:\n{mail}");
                let dashes = mail.find("\n---\n").unwrap();
                let notes = mail[dashes..mail.find("\ndiff --git ").unwrap()].to_string();
                assert!(notes.contains("This patch switches ") && !notes.contains("These "), "{notes}");
                notes
            }
            n => {
                let cover = std::fs::read_to_string(dir.join("0000-cover-letter.patch")).unwrap();
                assert!(cover.contains(&format!("Subject: [PATCH 0/{n}] ")), "{cover}");
                for (i, p) in patches.iter().enumerate() {
                    let mail = std::fs::read_to_string(dir.join(p["file"].as_str().unwrap())).unwrap();
                    assert!(mail.contains(&format!("Subject: [PATCH {}/{n}] ", i + 1)));
                }
                cover
            }
        };
        // The tree reads as MAINTAINERS' T: line has it.
        assert!(notes.contains(&format!("\n\tT: {tree}\n")), "{notes}");
        assert!(!notes.contains('`') && !notes.contains("tree git"), "{notes}");
        assert!(notes.contains("\nRange-diff against the golden ports:\n"), "{notes}");
        for (i, p) in patches.iter().enumerate() {
            let n = i + 1;
            let line = notes
                .lines()
                .find(|l| l.starts_with(&format!("{n}:  ")))
                .unwrap_or_else(|| panic!("no range-diff line {n}:\n{notes}"));
            assert!(line.contains(" = ") || line.contains(" ! "), "{line}");
            seen.push(p["arch"].as_str().unwrap().to_string());
        }
    }
    assert!(lone > 0, "no tree with a single patch");
    seen.sort();
    let mut want: Vec<String> = ported.iter().map(|p| p.port.arch.name().to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every arch in exactly one series");
    assert_eq!(json["range_diff"].as_array().unwrap().len(), ported.len());
    assert_every_arch_ports(&failed);
}

/// The message of a mail: from the end of its headers to its `---`.
fn message(mail: &str) -> &str {
    let start = mail.find("\n\n").unwrap() + 2;
    &mail[start..start + mail[start..].find("\n---\n").unwrap()]
}

#[test]
fn commit_messages_are_wrapped_at_72_columns_after_substitution() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let files = write_series(out.path(), &ported);
    for f in &files {
        let mail = std::fs::read_to_string(f).unwrap();
        let cover = f.ends_with("0000-cover-letter.patch");
        let text = match cover {
            true => &mail[mail.find("\n\n").unwrap() + 2..mail.find("\nJane Hacker (").unwrap()],
            false => message(&mail),
        };
        let lines: Vec<&str> = text.lines().collect();
        for (k, line) in lines.iter().enumerate() {
            let long = line.chars().count() > 72 && line.split_whitespace().count() > 1;
            assert!(!long || line.starts_with('\t'), "{}: longer than 72 columns: {line}", f.display());
            // Greedy wrapping of paragraphs and `- ` items: the next line's
            // first word did not fit on this one.
            let Some(next) = lines.get(k + 1).filter(|_| !cover) else { continue };
            let in_item = line.starts_with("- ") || line.starts_with("  ");
            let continues = match next.strip_prefix("  ") {
                Some(rest) => in_item && !rest.starts_with(' '),
                None => !in_item && !next.is_empty() && !next.starts_with("- "),
            };
            if continues && !line.is_empty() {
                let first = next.split_whitespace().next().unwrap_or("");
                assert!(
                    line.chars().count() + 1 + first.chars().count() > 72,
                    "{}: `{first}` would fit on the line before it:\n{line}\n{next}",
                    f.display()
                );
            }
        }
    }
    let mips = files.iter().find(|f| f.to_string_lossy().contains("-mips-")).expect("a mips patch");
    let text = message(&std::fs::read_to_string(mips).unwrap()).to_string();
    assert!(text.contains("after writing its PTE\nand after clearing it,"), "{text}");
    assert_every_arch_ports(&failed);
}

/// `Header: value` of a mail's head (the first occurrence), with its
/// folded lines, as they are written.
fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\n\n").next().unwrap();
    let mut lines = head.lines().skip_while(|l| !l.starts_with(&format!("{name}: ")));
    let mut value = lines.next()?[name.len() + 2..].to_string();
    for more in lines.take_while(|l| l.starts_with(' ')) {
        value.push('\n');
        value.push_str(more);
    }
    Some(value)
}

#[test]
fn reroll_rfc_prefix_reply_and_recipients_as_git_format_patch_writes_them() {
    let (ported, failed) = port_all();
    let v1 = tempfile::tempdir().unwrap();
    write_series(v1.path(), &ported);
    let out = tempfile::tempdir().unwrap();
    let opts = [
        "--signoff",
        SIGNOFF,
        "-v",
        "2",
        "--rfc",
        "--subject-prefix",
        "PATCH mm",
        "--in-reply-to",
        "<v1-cover@example.org>",
        "--to",
        "Andrew Morton <akpm@linux-foundation.org>",
        "--cc",
        "linux-mm@kvack.org",
        "--previous",
        v1.path().to_str().unwrap(),
    ];
    assert_status(&series(out.path(), &ported, &opts, &[]), 0);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    files.sort();
    let total = ported.len();
    let width = total.to_string().len();
    for (n, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!("v2-{n:04}-")), "{name}");
        let mail = std::fs::read_to_string(f).unwrap();
        let subject = header(&mail, "Subject").unwrap();
        assert!(subject.starts_with(&format!("[RFC PATCH mm v2 {n:0width$}/{total}] ")), "{subject}");
        assert_eq!(header(&mail, "In-Reply-To").as_deref(), Some("<v1-cover@example.org>"), "{name}");
        assert_eq!(header(&mail, "References").as_deref(), Some("<v1-cover@example.org>"), "{name}");
        assert!(header(&mail, "To").unwrap().starts_with("Andrew Morton <akpm@linux-foundation.org>"), "{name}");
        assert!(mail.contains("Cc: linux-mm@kvack.org"), "{name}");
    }
    // Nothing changed since v1: every patch is the same.
    let cover = std::fs::read_to_string(&files[0]).unwrap();
    let same = cover.lines().filter(|l| l.contains(" = ")).count();
    assert!(cover.contains("\nRange-diff against v1:\n") && same == total, "{cover}");

    // git format-patch, given the same options on the applied series,
    // names the files and brackets the subjects alike.
    let repo = repo_with(&kernel().pre_port, &touched(&ported));
    let mut am = Command::new("git");
    am.arg("-C").arg(repo.path()).args(["am", "-q"]).args(&files[1..]);
    assert!(run(&mut am).status.success(), "git am");
    let theirs = tempfile::tempdir().unwrap();
    let range = format!("HEAD~{total}");
    let args = ["format-patch", "-q", "--cover-letter", "-v", "2", "--rfc", "--subject-prefix=PATCH mm"];
    git_ok(
        repo.path(),
        &[&args[..], &["--in-reply-to=v1-cover@example.org", "-o", theirs.path().to_str().unwrap(), &range]].concat(),
    );
    let mut theirs_files: Vec<PathBuf> = std::fs::read_dir(theirs.path()).unwrap().map(|e| e.unwrap().path()).collect();
    theirs_files.sort();
    let names =
        |fs: &[PathBuf]| fs.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>();
    assert_eq!(names(&files), names(&theirs_files));
    for (ours, theirs) in files.iter().zip(&theirs_files).skip(1) {
        let (a, b) = (std::fs::read_to_string(ours).unwrap(), std::fs::read_to_string(theirs).unwrap());
        for h in ["Subject", "In-Reply-To", "References"] {
            assert_eq!(header(&a, h), header(&b, h), "{h} of {}", ours.display());
        }
    }
    assert_every_arch_ports(&failed);
}

#[test]
fn series_check_runs_the_trees_checkpatch_on_every_patch() {
    let (ported, failed) = port_all();
    let out = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["series".into(), "--out".into(), out.path().to_str().unwrap().into()];
    args.extend(arch_flags(&ported));
    args.extend(["--signoff".into(), SIGNOFF.into(), "--check".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = archport_env(&refs, &[]);
    assert_status(&o, 0);
    let text = stdout(&o);
    let reports: Vec<&str> = text.lines().filter(|l| l.starts_with("checkpatch ")).collect();
    assert_eq!(reports.len(), ported.len(), "{text}");
    for r in &reports {
        assert!(r.contains(".patch: 0 errors, "), "{r}");
    }
    assert!(text.contains(": WARNING: "), "the findings are printed: {text}");
    assert!(stderr(&o).contains("] checkpatch "), "{}", stderr(&o));
    assert_every_arch_ports(&failed);
}

#[test]
fn a_checkpatch_that_hangs_is_stopped_at_its_timeout() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir(tree.path().join("scripts")).unwrap();
    std::fs::write(tree.path().join("scripts/checkpatch.pl"), "sleep 60;\n").unwrap();
    let t0 = std::time::Instant::now();
    let e = archport::series::checkpatch::check(tree.path(), b"x\n", std::time::Duration::from_secs(1)).unwrap_err();
    assert!(t0.elapsed() < std::time::Duration::from_secs(10), "took {:?}", t0.elapsed());
    let e = format!("{e:#}");
    assert!(e.contains("scripts/checkpatch.pl") && e.contains("within 1 s"), "{e}");
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
    // One patch: no cover letter; the base lines follow its diffs.
    let patch = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "patch"))
        .unwrap();
    assert!(!out.path().join("0000-cover-letter.patch").exists());
    let mail = std::fs::read_to_string(&patch).unwrap();
    assert!(
        mail.contains("From: Archport Test <test@example.org>"),
        "the identity comes from the tree's git config:\n{mail}"
    );
    let head_date = git_ok(repo.path(), &["log", "-1", "--format=%cD"]);
    assert!(mail.contains(&format!("\nDate: {}\n", head_date.trim())), "dated by HEAD:\n{mail}");
    let ours = &mail[mail.find("\nbase-commit:").expect("a base-commit line")..mail.find("-- \n").unwrap()];

    let mut am = Command::new("git");
    am.arg("-C").arg(repo.path()).args(["am", "-q"]).arg(&patch);
    assert!(run(&mut am).status.success());
    let theirs = git_ok(repo.path(), &["format-patch", "--stdout", &format!("--base={base}"), "-1"]);
    let theirs = &theirs[theirs.find("\nbase-commit:").unwrap()..theirs.find("-- \n").unwrap()];
    assert_eq!(ours, theirs);
    assert!(ours.contains(&format!("base-commit: {base}\nprerequisite-patch-id: ")), "{ours}");
}
