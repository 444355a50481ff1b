//! What the host has: the programs on PATH archport runs (apt-get and
//! dpkg-deb for a fetch, make and the compilers for `compile`).

use std::path::{Path, PathBuf};

/// The first executable file `program` names on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
