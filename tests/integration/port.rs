//! Porting all ten arches on the real pre-port tree and comparing them
//! with the golden tree.

use std::collections::BTreeMap;

use archport::arch::Arch;
use archport::fidelity::{Language, Verdict};
use archport::pipeline;

use crate::support::{archport, assert_status, kernel, read_tree, stdout};

fn templates() -> std::path::PathBuf {
    archport::descriptor::templates_root(None)
}

#[test]
fn every_arch_matches_its_golden_port() {
    let k = kernel();
    let mut verdicts = BTreeMap::new();
    for arch in Arch::ALL {
        let p = pipeline::port_arch(arch, &k.pre_port, &templates()).unwrap_or_else(|e| panic!("{arch}: {e:#}"));
        let r = pipeline::review(&p, &k.pre_port, &k.golden).unwrap();
        for f in &r.files {
            if f.status == archport::fidelity::FileStatus::Identical
                || f.status == archport::fidelity::FileStatus::Equivalent
            {
                continue;
            }
            assert!(
                f.justification.is_some(),
                "{arch}: {} is {:?} without justification:\n{}",
                f.path,
                f.status,
                r.diffs[&f.path]
            );
        }
        verdicts.insert(arch, r.verdict());
    }
    assert!(verdicts.values().all(|v| *v != Verdict::Differs), "{verdicts:?}");
}

/// Porting parses each C file once; every later lookup after an edit
/// re-parses incrementally (issue 15: 141 full parses of 30 files before).
#[test]
fn each_c_file_is_parsed_once_per_port() {
    let k = kernel();
    for arch in Arch::ALL {
        let (p, stats) = archport::edit::c::session(|| pipeline::port_arch(arch, &k.pre_port, &templates()).unwrap());
        let c_files = p.port.files.iter().filter(|f| Language::of(&f.path) == Language::C).count();
        assert!(stats.full <= c_files, "{arch}: {stats:?} for {c_files} C files");
    }
}

#[test]
fn check_command_exits_0_and_json_has_the_documented_shape() {
    let out = archport(&["diff", "--format", "json", "--quiet"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["arches"].as_array().unwrap().len(), 10);
    for a in json["arches"].as_array().unwrap() {
        assert!(["identical", "equivalent", "justified"].contains(&a["verdict"].as_str().unwrap()), "{a}");
        assert!(a["template_lines"].is_u64());
        for f in a["files"].as_array().unwrap() {
            assert!(
                f["path"].is_string()
                    && f["status"].is_string()
                    && f["code_token_diff"].is_u64()
                    && f["similarity"].is_f64()
            );
        }
    }
    let s = &json["summary"];
    let total: u64 = ["identical", "equivalent", "justified", "differs"].iter().map(|k| s[k].as_u64().unwrap()).sum();
    assert_eq!((total, s["differs"].as_u64()), (10, Some(0)));
    assert_status(&archport(&["check", "--quiet"]), 0);
}

#[test]
fn two_runs_write_byte_identical_output_and_leave_the_tree_alone() {
    let k = kernel();
    let before = std::fs::read(k.pre_port.join("arch/arm/mm/highmem.c")).unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        let out = archport(&["port", "--quiet", "--out", d.path().to_str().unwrap()]);
        assert_status(&out, 0);
    }
    let (a, b) = (read_tree(dirs[0].path()), read_tree(dirs[1].path()));
    assert!(a.len() > 40, "only {} files written", a.len());
    assert_eq!(a, b);
    assert!(a.contains_key("arm.diff") && a.contains_key("arm/DELETED"));
    assert_eq!(
        std::fs::read(k.pre_port.join("arch/arm/mm/highmem.c")).unwrap(),
        before,
        "the input tree is never written"
    );
}

#[test]
fn port_refuses_an_output_folder_inside_the_tree() {
    let k = kernel();
    let inside = k.pre_port.join("out");
    let out = archport(&["port", "--arch", "arm", "--out", inside.to_str().unwrap()]);
    assert_status(&out, 2);
    assert!(!inside.exists());
}
