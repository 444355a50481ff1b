//! `archport fetch`: the cache, its JSON, and failing cleanly.

use crate::support::{archport, archport_env, assert_status, kernel, stderr, stdout};

#[test]
fn json_names_version_and_absolute_paths() {
    let k = kernel();
    let out = archport(&["fetch", "--format", "json", "--quiet"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["version"], k.version.as_str());
    for key in ["base", "golden", "pre_port", "rt_patch"] {
        let p = std::path::PathBuf::from(json[key].as_str().unwrap());
        assert!(p.is_absolute() && p.exists(), "{key}: {}", p.display());
    }
}

#[test]
fn a_cached_kernel_needs_no_network() {
    kernel();
    let out = archport_env(&["fetch", "--quiet"], &[("ARCHPORT_DEBIAN_MIRROR", "http://127.0.0.1:9/debian")]);
    assert_status(&out, 0);
}

#[test]
fn unreachable_mirror_fails_with_status_2_and_leaves_no_partial_cache() {
    let cache = tempfile::tempdir().unwrap();
    let out = archport_env(
        &["fetch", "--quiet", "--cache", cache.path().to_str().unwrap()],
        &[
            ("ARCHPORT_DEBIAN_MIRROR", "http://127.0.0.1:9/debian"),
            ("ARCHPORT_DEBIAN_SECURITY_MIRROR", "http://127.0.0.1:9/debian-security"),
        ],
    );
    assert_status(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("bullseye") && err.contains("linux-source-5.10"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line reason: {err}");
    let left: Vec<String> = std::fs::read_dir(cache.path().join("linux-source-5.10"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".lock")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
