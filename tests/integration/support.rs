//! Shared helpers: the fetched kernel, and running the binary.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use archport::kernel::{self, KernelCache};
use archport::progress::Progress;

/// The cache root every test and every spawned `archport` uses.
pub fn cache_root() -> PathBuf {
    kernel::cache_root(None).expect("a cache folder")
}

/// The fetched kernel (fetched on first use).
pub fn kernel() -> &'static KernelCache {
    static K: OnceLock<KernelCache> = OnceLock::new();
    K.get_or_init(|| kernel::ensure(&cache_root(), false, Progress { enabled: false }).expect("fetching the kernel"))
}

/// Debian bookworm's linux-source-6.1 tree, already ported (fetched on first use).
pub fn tree_6_1() -> &'static std::path::Path {
    static T: OnceLock<PathBuf> = OnceLock::new();
    T.get_or_init(|| {
        let fetched =
            kernel::open(&cache_root(), kernel::Kernel::V6_1, kernel::Action::Use, Progress { enabled: false })
                .expect("fetching linux-source-6.1");
        fetched.ported_tree().to_path_buf()
    })
}

/// `archport ARGS` with the shared cache, captured.
pub fn archport(args: &[&str]) -> Output {
    archport_env(args, &[])
}

pub fn archport_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archport"));
    // CI changes what blessing may do: a test that wants it sets it.
    cmd.args(args).env("ARCHPORT_CACHE", cache_root()).env("NO_COLOR", "1").env_remove("CI");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running archport")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts an exit status, showing the output when it differs.
#[track_caller]
pub fn assert_status(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// Every file under `dir`, by relative path, with its bytes.
pub fn read_tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// A copy of the project's arch-templates folder to break.
pub fn templates_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = archport::descriptor::templates_root(None);
    for e in walkdir::WalkDir::new(&src).into_iter().filter_map(|e| e.ok()).filter(|e| e.file_type().is_file()) {
        let to = dir.path().join(e.path().strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(e.path(), to).unwrap();
    }
    dir
}

pub fn edit(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}
