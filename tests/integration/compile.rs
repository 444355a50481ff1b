//! `archport compile` against the real tree with Debian's compilers: the
//! generated ports build (front end only where Debian has no compiler),
//! the golden microblaze port does not, and a broken hook is caught at
//! its file and line.
//!
//! The build folders live in the shared cache (`<cache>/build`), so the
//! cold build is paid once per machine and the tests after it rebuild
//! only what their overlay changes.

use std::path::Path;

use archport::arch::Arch;
use serde_json::Value;

use crate::support::{archport, archport_env, assert_status, edit, kernel, stderr, stdout, templates_copy};

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

fn arch<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["arches"].as_array().unwrap().iter().find(|a| a["arch"] == name).unwrap_or_else(|| panic!("{name}"))
}

fn problems(a: &Value) -> Vec<String> {
    a["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
}

/// The touched-file errors of an arch, as `file:line:col: error: message`.
fn touched_errors(a: &Value) -> Vec<String> {
    a["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["touched"] == true && d["severity"] == "error")
        .map(|d| {
            format!("{}:{}:{}: {}", d["file"].as_str().unwrap(), d["line"], d["column"], d["message"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn the_generated_ports_build_ten_of_ten_with_no_new_warning_in_a_touched_file() {
    let out = archport(&["compile", "--baseline", "--format", "json"]);
    assert_status(&out, 0);
    let report = json(&out);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 0, "{}", stderr(&out));
    let arches = report["arches"].as_array().unwrap();
    assert_eq!(arches.len(), 10);
    for a in arches {
        let name = a["arch"].as_str().unwrap();
        let front_end_only = ["csky", "microblaze", "nds32", "xtensa"].contains(&name);
        assert_eq!(a["toolchain"]["front_end_only"], front_end_only, "{name}");
        assert!(problems(a).is_empty(), "{name}: {:?}", problems(a));
        assert_eq!(a["new_warnings"], serde_json::json!([]), "{name}");
        for c in a["configs"].as_array().unwrap() {
            let options = c["options"].as_array().unwrap();
            for required in ["HIGHMEM", "KMAP_LOCAL"] {
                let o = options.iter().find(|o| o["option"] == required).unwrap_or_else(|| panic!("{name}: {c}"));
                assert_eq!(o["found"], "y", "{name}: {}", c["name"]);
            }
        }
        // Every touched C file that survives the port was compiled.
        let built: Vec<&str> = a["configs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["objects"].as_array().unwrap())
            .filter(|o| o["status"] == "built")
            .map(|o| o["object"].as_str().unwrap())
            .collect();
        assert!(built.contains(&"mm/highmem.o"), "{name}: {built:?}");
    }
    let arm_objects: Vec<&Value> = arch(&report, "arm")["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["objects"].as_array().unwrap())
        .collect();
    for object in ["arch/arm/mm/cache-feroceon-l2.o", "arch/arm/mm/cache-xsc3l2.o"] {
        assert!(arm_objects.iter().any(|o| o["object"] == object && o["status"] == "built"), "{object}");
    }
}

#[test]
fn the_golden_tree_fails_on_microblaze_init_c_line_71_and_builds_elsewhere() {
    let out = archport(&["compile", "--golden", "--format", "json"]);
    assert_status(&out, 1);
    let report = json(&out);
    assert_eq!(report["source"], "golden");
    for a in report["arches"].as_array().unwrap() {
        let name = a["arch"].as_str().unwrap();
        if name == "microblaze" {
            assert_eq!(touched_errors(a), ["arch/microblaze/mm/init.c:71:2: #endif without #if"]);
            assert_eq!(problems(a), ["config mmu: arch/microblaze/mm/init.o does not compile"]);
        } else {
            assert!(problems(a).is_empty(), "{name}: {:?}", problems(a));
        }
    }
}

/// Ports `arch` with a copy of the descriptors whose first edit matching
/// `from` misspells a macro in `file`, builds it, and returns the report with where
/// the misspelling landed. (A misspelling inside a hook would not get
/// past the port: the verifier refuses C it cannot read.)
fn build_with_misspelling(arch_name: &str, file: &str, from: &str, to: &str, misspelt: &str) -> (Value, String) {
    let templates = templates_copy();
    edit(&templates.path().join(arch_name).join("port.toml"), from, to);
    let a: Arch = arch_name.parse().unwrap();
    let ported = archport::pipeline::port_arch(a, &kernel().pre_port, templates.path()).unwrap();
    let text = ported.port.files.iter().find(|f| f.path == file).and_then(|f| f.after.clone()).unwrap();
    let text = String::from_utf8(text).unwrap();
    let line = text.lines().position(|l| l.contains(misspelt)).unwrap() + 1;
    let out = archport(&[
        "compile",
        "--arch",
        arch_name,
        "--templates",
        templates.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_status(&out, 1);
    (json(&out), format!("{file}:{line}:"))
}

#[test]
fn a_misspelled_macro_fails_the_build_at_its_file_and_line() {
    let (report, place) = build_with_misspelling(
        "arm",
        "arch/arm/include/asm/fixmap.h",
        "to = \"KM_MAX_IDX\"",
        "to = \"KM_MAXIDX\"",
        "KM_MAXIDX",
    );
    let a = arch(&report, "arm");
    let errors = touched_errors(a);
    assert!(
        errors.iter().any(|e| e.starts_with(&place) && e.contains("'KM_MAXIDX' undeclared")),
        "{place} {errors:#?}"
    );
    assert!(!problems(a).is_empty(), "the arm build fails");
}

#[test]
fn the_front_end_only_check_catches_a_misspelled_macro_too() {
    let (report, place) = build_with_misspelling(
        "xtensa",
        "arch/xtensa/include/asm/fixmap.h",
        "to = \"KM_MAX_IDX\"",
        "to = \"KM_MAXIDX\"",
        "KM_MAXIDX",
    );
    let a = arch(&report, "xtensa");
    assert_eq!(a["toolchain"]["front_end_only"], true);
    let errors = touched_errors(a);
    assert!(
        errors.iter().any(|e| e.starts_with(&place) && e.contains("'KM_MAXIDX' undeclared")),
        "{place} {errors:#?}"
    );
}

#[test]
fn a_named_arch_without_its_compiler_is_skipped_with_the_package_to_install() {
    // A PATH with Kbuild's tools but no cross compiler.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["make", "gcc", "flex", "bison", "bc", "sh", "bash"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{tool} is installed"));
        std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
    }
    let out = archport_env(&["compile", "--arch", "arm"], &[("PATH", bin.path().to_str().unwrap())]);
    assert_status(&out, 2);
    assert!(
        stderr(&out).contains(
            "arm: no compiler: `arm-linux-gnueabihf-gcc` is not installed (Debian package: gcc-arm-linux-gnueabihf)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn clean_removes_the_build_folders_and_nothing_else() {
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cache.path().join("build/arm-0123456789abcdef/tree")).unwrap();
    std::fs::write(cache.path().join("keep"), "").unwrap();
    let out = archport_env(&["compile", "--clean"], &[("ARCHPORT_CACHE", cache.path().to_str().unwrap())]);
    assert_status(&out, 0);
    assert!(stdout(&out).contains("removed"), "{}", stdout(&out));
    assert!(!cache.path().join("build").exists());
    assert!(Path::new(&cache.path().join("keep")).exists());
}

#[test]
fn clean_leaves_what_archport_did_not_build_in_a_build_folder() {
    // `--cache` pointed at a folder whose `build/` is the user's own.
    let cache = tempfile::tempdir().unwrap();
    let build = cache.path().join("build");
    std::fs::create_dir_all(build.join("x86-fedcba9876543210/obj")).unwrap();
    std::fs::create_dir_all(build.join("release")).unwrap();
    std::fs::write(build.join("release/vmlinux"), "mine").unwrap();
    std::fs::write(build.join("notes.txt"), "mine").unwrap();
    std::fs::create_dir_all(cache.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(cache.path().join("elsewhere"), build.join("arm-0123456789abcdef")).unwrap();
    let out = archport_env(&["compile", "--clean"], &[("ARCHPORT_CACHE", cache.path().to_str().unwrap())]);
    assert_status(&out, 0);
    assert!(!build.join("x86-fedcba9876543210").exists(), "archport's build folder goes");
    assert_eq!(std::fs::read_to_string(build.join("release/vmlinux")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(build.join("notes.txt")).unwrap(), "mine");
    assert!(
        build.join("arm-0123456789abcdef").is_symlink() && cache.path().join("elsewhere").is_dir(),
        "a link is not followed"
    );
}
