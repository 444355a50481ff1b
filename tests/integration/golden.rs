//! The golden port extraction on the real RT patch.

use archport::arch::Arch;
use archport::golden::{self, GoldenPort};
use archport::patch::{apply_hunks, parse_patch, Applied, LineKind, Patch};
use regex::Regex;

use crate::support::{archport, assert_status, kernel, stdout};

fn rt_patch() -> (Vec<u8>, Patch) {
    let bytes = std::fs::read(&kernel().rt_patch).unwrap();
    let patch = parse_patch(&bytes).unwrap();
    (bytes, patch)
}

fn ports() -> Vec<GoldenPort> {
    golden::extract(&rt_patch().1, &Arch::ALL)
}

fn added_lines(port: &GoldenPort) -> Vec<String> {
    port.port_files()
        .flat_map(|f| f.taken.iter().map(move |t| &f.patch.hunks[t.index]))
        .flat_map(|h| h.lines.iter().filter(|l| l.kind == LineKind::Added))
        .map(|l| String::from_utf8_lossy(&l.text).into_owned())
        .collect()
}

#[test]
fn json_lists_all_ten_arches_and_each_selects_kmap_local() {
    let out = archport(&["golden", "--format", "json", "--quiet"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(json["version"].as_str().unwrap().starts_with("5.10."));
    let names: Vec<&str> = json["arches"].as_array().unwrap().iter().map(|a| a["arch"].as_str().unwrap()).collect();
    assert_eq!(names, ["arc", "arm", "csky", "microblaze", "mips", "nds32", "powerpc", "sparc", "x86", "xtensa"]);
    for a in json["arches"].as_array().unwrap() {
        let file = a["files"].as_array().unwrap();
        assert!(file.iter().all(|f| f["taken"].is_array() && f["left"].is_array()));
    }
    for port in ports() {
        let select = added_lines(&port).iter().filter(|l| l.trim() == "select KMAP_LOCAL").count();
        assert_eq!(select, 1, "{}: the port must add exactly one `select KMAP_LOCAL`", port.arch);
    }
}

#[test]
fn no_taken_hunk_carries_a_realtime_change() {
    // Written independently of the classifier's own word list.
    let realtime =
        Regex::new(r"ARCH_SUPPORTS_RT|HAVE_PREEMPT_LAZY|PREEMPT_RT|HAVE_POSIX_CPU_TIMERS_TASK_WORK|_LAZY\b").unwrap();
    for port in ports() {
        for f in port.port_files() {
            for t in &f.taken {
                for l in f.patch.hunks[t.index].changed_lines() {
                    let text = String::from_utf8_lossy(&l.text);
                    assert!(
                        !realtime.is_match(&text),
                        "{}: taken hunk {} changes realtime line `{text}`",
                        f.path,
                        t.header
                    );
                }
            }
        }
    }
    // And the realtime Kconfig hunks really are there, and left.
    let arm = ports().into_iter().find(|p| p.arch == Arch::Arm).unwrap();
    let kconfig = arm.files.iter().find(|f| f.path == "arch/arm/Kconfig").unwrap();
    assert!(kconfig.left.iter().any(|h| h.first_change.contains("select ARCH_SUPPORTS_RT")));
    assert!(kconfig.left.iter().any(|h| h.first_change.contains("select HAVE_PREEMPT_LAZY")));
}

#[test]
fn every_arch_hunk_is_taken_or_left() {
    let (bytes, _) = rt_patch();
    // Count hunks straight from the text, without the parser.
    let text = String::from_utf8_lossy(&bytes);
    let mut in_arch = None;
    let mut expected = std::collections::BTreeMap::<Arch, usize>::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("+++ b/") {
            in_arch = Arch::of_path(path.split('\t').next().unwrap());
        } else if line.starts_with("@@ -") {
            if let Some(a) = in_arch {
                *expected.entry(a).or_default() += 1;
            }
        }
    }
    for port in ports() {
        let got: usize = port.files.iter().map(|f| f.taken.len() + f.left.len()).sum();
        assert_eq!(got, expected[&port.arch], "{}", port.arch);
        for f in &port.files {
            let mut seen: Vec<usize> = f.taken.iter().chain(&f.left).map(|h| h.index).collect();
            seen.sort();
            assert_eq!(seen, (0..f.patch.hunks.len()).collect::<Vec<_>>(), "{}", f.path);
        }
    }
}

#[test]
fn taken_hunks_applied_to_the_pre_port_tree_give_the_golden_files() {
    let k = kernel();
    let mut files = 0;
    for port in ports() {
        for f in port.port_files() {
            let pre = std::fs::read(k.pre_port.join(&f.path)).ok();
            let golden = std::fs::read(k.golden.join(&f.path)).ok();
            let got = apply_hunks(pre.as_deref(), &f.patch, |i| f.is_taken(i)).unwrap();
            match (got, golden) {
                (Applied::Deleted, None) => {}
                (Applied::Content(c), Some(g)) => {
                    assert!(c == g, "{}: differs from the golden tree", f.path)
                }
                (got, g) => {
                    panic!("{}: got {:?}, golden has file: {}", f.path, matches!(got, Applied::Deleted), g.is_some())
                }
            }
            files += 1;
        }
    }
    assert!(files >= 60, "only {files} port files");
}

#[test]
fn pre_port_tree_has_the_generic_core_but_no_arch_port() {
    let k = kernel();
    let read = |root: &std::path::Path, p: &str| std::fs::read(root.join(p)).unwrap();
    // The generic kmap_local code is there...
    assert_eq!(read(&k.pre_port, "mm/highmem.c"), read(&k.golden, "mm/highmem.c"));
    assert!(String::from_utf8(read(&k.pre_port, "mm/highmem.c")).unwrap().contains("__kmap_local_sched_out"));
    // ...the arch ports are not.
    assert_eq!(read(&k.pre_port, "arch/arm/mm/highmem.c"), read(&k.base, "arch/arm/mm/highmem.c"));
    assert!(!k.golden.join("arch/arm/mm/highmem.c").exists());
    let kconfig = String::from_utf8(read(&k.pre_port, "arch/arm/Kconfig")).unwrap();
    assert!(!kconfig.contains("select KMAP_LOCAL"));
    assert!(kconfig.contains("select ARCH_SUPPORTS_RT"), "the realtime hunks stay in the pre-port tree");
}

#[test]
fn text_report_names_taken_and_left_hunks() {
    let out = archport(&["golden", "--arch", "xtensa"]);
    assert_status(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("xtensa: 4 files in the port (5 in the RT patch)"), "{text}");
    assert!(text.contains("arch/xtensa/include/asm/spinlock_types.h"));
    assert!(text.lines().any(|l| l.contains("left") && l.contains("unrelated")), "{text}");
    assert!(text.lines().any(|l| l.contains("taken") && l.contains("select KMAP_LOCAL")), "{text}");
}
