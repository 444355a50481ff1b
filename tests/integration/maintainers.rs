//! The in-process MAINTAINERS reader against the tree's own
//! get_maintainer.pl (each arch's patch, each file the ports touch, a toy
//! tree for the rarer rules), and running that script safely: only when
//! asked, stopped at its timeout or when archport is interrupted, its
//! temporary folder removed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use archport::arch::Arch;
use archport::golden;
use archport::patch::parse_patch;
use archport::pipeline;
use archport::series;
use archport::series::maintainers::MaintainersFile;
use archport::series::recipients::{self, RecipientFinder, RecipientSource};

use crate::support::kernel;

fn templates() -> PathBuf {
    archport::descriptor::templates_root(None)
}

/// `perl scripts/get_maintainer.pl --no-git --no-git-fallback --roles --scm ARGS` in `tree`.
fn get_maintainer(tree: &Path, args: &[&str]) -> String {
    let o = Command::new("perl")
        .args(["scripts/get_maintainer.pl", "--no-git", "--no-git-fallback", "--roles", "--scm"])
        .args(args)
        .current_dir(tree)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running perl");
    assert!(o.status.success(), "get_maintainer.pl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// `f` over `items` on both cores (each call runs perl for ~0.5 s).
fn on_two_threads<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let half = items.len().div_ceil(2);
    std::thread::scope(|s| {
        let chunks: Vec<_> =
            items.chunks(half.max(1)).map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>())).collect();
        chunks.into_iter().flat_map(|h| h.join().expect("a worker")).collect()
    })
}

/// Each arch's generated patch (what `series` asks about), by arch.
fn arch_patches() -> Vec<(Arch, Vec<series::format_patch::FileDiff>)> {
    let mut failed = Vec::new();
    let mut out = Vec::new();
    for arch in Arch::ALL {
        match pipeline::port_arch(arch, &kernel().pre_port, &templates()) {
            Ok(p) => out.push((arch, series::port_diffs(&p.port, |_| 0o100644))),
            Err(e) => failed.push(format!("{arch}: {e:#}")),
        }
    }
    assert!(failed.is_empty(), "arches that do not port:\n{}", failed.join("\n"));
    out
}

#[test]
fn the_reader_answers_as_get_maintainer_for_each_arch_patch() {
    let tree = &kernel().pre_port;
    let reader = MaintainersFile::read(tree).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let patches: Vec<(Arch, Vec<u8>, PathBuf)> = arch_patches()
        .into_iter()
        .map(|(arch, diffs)| {
            let bytes = series::diff_bytes(&diffs);
            let path = dir.path().join(format!("{arch}.patch"));
            std::fs::write(&path, &bytes).unwrap();
            (arch, bytes, path)
        })
        .collect();
    let printed = on_two_threads(&patches, |(_, _, path)| get_maintainer(tree, &[path.to_str().unwrap()]));
    for ((arch, bytes, _), printed) in patches.iter().zip(&printed) {
        let answer = reader.for_patch(bytes);
        assert_eq!(answer.text(), *printed, "{arch}");
        assert_eq!(answer.maintainers(), recipients::parse(printed), "{arch}");
        assert!(!answer.maintainers().recipients.to.is_empty(), "{arch}: nobody to send to");
    }
}

/// The files the generated and the golden ports touch, and each
/// generated file's diff alone.
#[test]
fn the_reader_answers_as_get_maintainer_file_by_file() {
    let tree = &kernel().pre_port;
    let reader = MaintainersFile::read(tree).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut single = Vec::new();
    let mut files = std::collections::BTreeSet::new();
    for (arch, diffs) in arch_patches() {
        for (i, d) in diffs.into_iter().enumerate() {
            let path = dir.path().join(format!("{arch}-{i}.patch"));
            std::fs::write(&path, &d.text).unwrap();
            files.insert(d.path.clone());
            single.push((d.path, d.text, path));
        }
    }
    let rt = parse_patch(&std::fs::read(&kernel().rt_patch).unwrap()).unwrap();
    for port in golden::extract(&rt, &Arch::ALL) {
        files.extend(port.port_files().map(|f| f.path.clone()));
    }
    let files: Vec<String> = files.into_iter().filter(|f| tree.join(f).is_file()).collect();
    println!("{} files, {} single-file patches", files.len(), single.len());
    assert!(files.len() >= Arch::ALL.len() && single.len() >= Arch::ALL.len());

    let printed = on_two_threads(&files, |f| get_maintainer(tree, &["-f", f]));
    for (f, printed) in files.iter().zip(&printed) {
        let text = std::fs::read(tree.join(f)).unwrap();
        assert_eq!(reader.for_file(f, &text).text(), *printed, "-f {f}");
    }
    let printed = on_two_threads(&single, |(_, _, p)| get_maintainer(tree, &[p.to_str().unwrap()]));
    for ((f, text, _), printed) in single.iter().zip(&printed) {
        assert_eq!(reader.for_patch(text).text(), *printed, "the diff of {f}");
    }
}

/// A folder that passes get_maintainer.pl's "top of a kernel tree" check.
fn fake_tree(maintainers: &str, script: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for d in ["Documentation", "arch", "include", "drivers", "fs", "init", "ipc", "kernel", "lib", "scripts"] {
        std::fs::create_dir_all(t.path().join(d)).unwrap();
    }
    for f in ["COPYING", "CREDITS", "Kbuild", "Makefile", "README"] {
        std::fs::write(t.path().join(f), "").unwrap();
    }
    std::fs::write(t.path().join("MAINTAINERS"), maintainers).unwrap();
    std::fs::write(t.path().join("scripts/get_maintainer.pl"), script).unwrap();
    t
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const TOY: &str = "\
SECTION ONE
M:\tAnn Example <ann@example.org>
M:\tlist-a@example.org, Bob Two <bob@example.org>
M:\tEnrico Weigelt, metux IT consult <info@metux.net>
R:\tJuri Lelli <juri@example.org> (SCHED_DEADLINE)
L:\tone@lists.example.org
L:\tsecret@lists.example.org (subscribers-only)
S:\tOrphan
F:\tDocumentation/devicetree/bindings/one/
K:\t(?i)one_keyword

MAILMAPPED
M:\tOld Name <old@example.org>
M:\tPat <pat@old.org>
S:\tMaintained
F:\tdrivers/mapped/
X:\tdrivers/mapped/skip-*.c

STATUSLESS
M:\tNobody Status <ns@example.org>
F:\tdrivers/mapped/statusless.c

THE REST
M:\tLinus Torvalds <torvalds@linux-foundation.org>
L:\tlinux-kernel@vger.kernel.org
S:\tBuried alive in reporters
T:\tgit git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git
F:\t*
F:\t*/
";

const BINDING: &str = "\
title: a binding
maintainers:
  - John Ronald R. Tolkien <jrr@t.org>
  - Jane Q. Public (jq@p.org)
  - ann@example.org
  - Jos\u{e9} M\u{fc}ller <jm@example.org>
";

fn diff(path: &str, added: &str) -> String {
    format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,1 +1,1 @@\n-old\n+{added}\n")
}

/// Lists of addresses, comments, `.mailmap`, a binding's own addresses,
/// exclusions, keywords in the message, sections without `S:`: the rules
/// the real tree's answers for the port do not all exercise.
#[test]
fn the_reader_answers_as_get_maintainer_on_a_toy_tree() {
    let script = std::fs::read_to_string(kernel().pre_port.join("scripts/get_maintainer.pl")).unwrap();
    let t = fake_tree(TOY, &script);
    let root = t.path();
    write(root, ".mailmap", "New Name <new@example.org> <old@example.org>\nPat <pat@new.org> Pat <pat@old.org>\n");
    write(root, "Documentation/devicetree/bindings/one/thing.yaml", BINDING);
    write(root, "drivers/mapped/statusless.c", "int one_keyword;\n");
    let binding = "Documentation/devicetree/bindings/one/thing.yaml";
    let patches = [
        diff(binding, "x"),
        diff("drivers/mapped/statusless.c", "x"),
        diff("drivers/mapped/skip-me.c", "x"),
        format!("Subject: [PATCH] ONE_Keyword\n\n{}", diff("init/main.c", "x")),
        diff("init/main.c", "int one_keyword;") + &diff("drivers/mapped/a.c", "x"),
    ];
    let reader = MaintainersFile::read(root).unwrap();
    for (i, p) in patches.iter().enumerate() {
        let path = root.join(format!("{i}.patch"));
        std::fs::write(&path, p).unwrap();
        assert_eq!(reader.for_patch(p.as_bytes()).text(), get_maintainer(root, &[path.to_str().unwrap()]), "{p}");
    }
    for f in [binding, "drivers/mapped/statusless.c"] {
        let text = std::fs::read(root.join(f)).unwrap();
        assert_eq!(reader.for_file(f, &text).text(), get_maintainer(root, &["-f", f]), "-f {f}");
    }
}

/// A get_maintainer.pl that writes its pid, a child's pid and its
/// patch's path into `marks`, then sleeps (and so does the child).
fn sleeper(marks: &Path) -> String {
    format!(
        "my $kid = fork();\nif ($kid == 0) {{ sleep 300; exit 0; }}\n\
         open(my $f, '>', '{m}/pids.tmp') or die;\nprint $f \"$$ $kid $ARGV[-1]\";\nclose $f;\n\
         rename('{m}/pids.tmp', '{m}/pids');\nsleep 300;\n",
        m = marks.display()
    )
}

fn wait_for(path: &Path, within: Duration) -> String {
    let t0 = Instant::now();
    while !path.exists() {
        assert!(t0.elapsed() < within, "{} did not appear", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(path).unwrap()
}

/// Whether a process is gone (or dead and only waiting to be reaped).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// The script and its child are gone and the patch's folder removed.
#[track_caller]
fn assert_all_cleaned_up(marks: &str) {
    let parts: Vec<&str> = marks.split(' ').collect();
    let t0 = Instant::now();
    while !(gone(parts[0]) && gone(parts[1])) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the script ({}) or its child ({}) still runs",
            parts[0],
            parts[1]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let folder = Path::new(parts[2]).parent().unwrap();
    assert!(!folder.exists(), "{} is left behind", folder.display());
}

/// Run alone with `ARCHPORT_TEST_INTERRUPT_MARKS` set, this is the
/// process the interruption test interrupts (with a timeout it never
/// reaches).
#[test]
fn a_sleeping_script_is_stopped_at_its_timeout() {
    let interrupted = std::env::var_os("ARCHPORT_TEST_INTERRUPT_MARKS").map(PathBuf::from);
    let own_marks = tempfile::tempdir().unwrap();
    let marks = interrupted.clone().unwrap_or_else(|| own_marks.path().to_path_buf());
    let t = fake_tree("", &sleeper(&marks));
    let timeout = Duration::from_secs(if interrupted.is_some() { 120 } else { 3 });
    let finder = RecipientFinder::new(RecipientSource::GetMaintainerScript { timeout }, t.path()).unwrap();
    let t0 = Instant::now();
    let e = finder.recipients(diff("init/main.c", "x").as_bytes()).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(15), "took {:?}", t0.elapsed());
    let e = format!("{e:#}");
    assert!(e.contains("scripts/get_maintainer.pl") && e.contains("within 3 s"), "{e}");
    assert_all_cleaned_up(&wait_for(&marks.join("pids"), Duration::ZERO));
}

#[test]
fn interrupting_archport_stops_the_script_and_removes_its_folder() {
    use std::os::unix::process::CommandExt;
    let marks = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    // SAFETY: only async-signal-safe calls between fork and exec. A suite
    // started as a background job (`cmd &` in a script) inherits SIGINT
    // ignored, which archport rightly leaves ignored: the child gets the
    // default disposition a user's terminal would give it.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command
        .args(["maintainers::a_sleeping_script_is_stopped_at_its_timeout", "--exact", "--test-threads=1"])
        .env("ARCHPORT_TEST_INTERRUPT_MARKS", marks.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pids = wait_for(&marks.path().join("pids"), Duration::from_secs(60));
    // SAFETY: a signal to the child we started, by its id.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("the interrupted process did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status}");
    assert_all_cleaned_up(&pids);
}

/// By default the tree's script does not run at all; asked for, it runs
/// (and here writes outside the tree, as a hostile one could).
#[test]
fn the_tree_script_runs_only_when_asked() {
    let outside = tempfile::tempdir().unwrap();
    let owned = outside.path().join("owned");
    let script = format!(
        "open(my $f, '>', '{}') or die;\nclose $f;\nprint \"Evil <evil\\@example.org> (maintainer:EVIL)\\n\";\n",
        owned.display()
    );
    let t = fake_tree("ONE\nM:\tAnn <ann@example.org>\nS:\tMaintained\nF:\tinit/\n", &script);
    let patch = diff("init/main.c", "x");

    let finder = RecipientFinder::new(RecipientSource::default(), t.path()).unwrap();
    let m = finder.recipients(patch.as_bytes()).unwrap();
    assert_eq!(m.recipients.to, ["Ann <ann@example.org>"]);
    assert!(!owned.exists(), "the default ran the tree's script");

    let asked = RecipientSource::GetMaintainerScript { timeout: Duration::from_secs(60) };
    let m = RecipientFinder::new(asked, t.path()).unwrap().recipients(patch.as_bytes()).unwrap();
    assert_eq!(m.recipients.to, ["Evil <evil@example.org>"]);
    assert!(owned.exists(), "the script did not run when asked");
}

/// The same through the command line: `series` on a tree whose script is
/// hostile runs nothing from it unless `--get-maintainer` is given.
#[test]
fn series_runs_no_tree_code_unless_asked() {
    let top = tempfile::tempdir().unwrap();
    let tree = top.path().join("tree");
    archport::kernel::trees::link_tree(&crate::support::kernel().pre_port, &tree).unwrap();
    let owned = top.path().join("owned");
    let script = tree.join("scripts/get_maintainer.pl");
    std::fs::remove_file(&script).unwrap();
    std::fs::write(&script, format!("open(my $f, '>', '{}') or die;\nclose $f;\n", owned.display())).unwrap();
    let out = top.path().join("series");
    let args = [
        "series",
        "--quiet",
        "--arch",
        "csky",
        "--tree",
        tree.to_str().unwrap(),
        "--signoff",
        "A <a@example.org>",
        "--out",
        out.to_str().unwrap(),
    ];
    crate::support::assert_status(&crate::support::archport(&args), 0);
    assert!(!owned.exists(), "series ran the tree's get_maintainer.pl without being asked");
    // One patch, so no cover letter: the patch itself carries them.
    let mail = std::fs::read_to_string(out.join("0001-csky-mm-highmem-Switch-to-generic-kmap-atomic.patch")).unwrap();
    assert!(mail.contains("linux-csky@vger.kernel.org"), "recipients from MAINTAINERS:\n{mail}");

    let mut asked = args.to_vec();
    asked.extend(["--get-maintainer", "--get-maintainer-timeout", "30"]);
    let _ = crate::support::archport(&asked);
    assert!(owned.exists(), "--get-maintainer runs the tree's script");
}
