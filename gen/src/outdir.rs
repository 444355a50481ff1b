//! The on-disk layout of a port's output, shared by `archport port` and
//! the golden folders users bless with `archport check --bless`:
//!
//! ```text
//! OUT/ARCH/PATH      every file the port changes, after the port
//! OUT/ARCH/DELETED   the files the port deletes, one per line
//! OUT/ARCH.diff      the port as one diff against the input tree
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::output::write_atomic;
use crate::port::Port;

/// The files of a port's output, by path relative to OUT.
pub fn files(port: &Port) -> BTreeMap<String, Vec<u8>> {
    let arch = port.arch.name();
    let mut out = BTreeMap::new();
    let mut deleted = String::new();
    for f in &port.files {
        match &f.after {
            Some(bytes) => {
                out.insert(format!("{arch}/{}", f.path), bytes.clone());
            }
            None => deleted.push_str(&format!("{}\n", f.path)),
        }
    }
    if !deleted.is_empty() {
        out.insert(format!("{arch}/DELETED"), deleted.into_bytes());
    }
    out.insert(format!("{arch}.diff"), crate::patch::unified_diff(port));
    out
}

/// The files an earlier run left for this arch, by path relative to OUT.
pub fn existing(out: &Path, port: &Port) -> Result<BTreeMap<String, Vec<u8>>> {
    let arch = port.arch.name();
    let mut found = BTreeMap::new();
    let diff = out.join(format!("{arch}.diff"));
    if diff.is_file() {
        found.insert(format!("{arch}.diff"), std::fs::read(&diff)?);
    }
    let dir = out.join(arch);
    for e in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_map(|e| e.ok()) {
        if e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with(".archport-") {
            let rel = e.path().strip_prefix(out).expect("walk stays under OUT").to_string_lossy().into_owned();
            found.insert(rel, std::fs::read(e.path()).with_context(|| format!("reading {}", e.path().display()))?);
        }
    }
    Ok(found)
}

/// Writes a port's output under `out`: every file atomically (an
/// interrupted run leaves each file old or new, never torn), then removes
/// the files of an earlier run that this one no longer produces.
pub fn write(out: &Path, port: &Port) -> Result<()> {
    let files = files(port);
    for (rel, bytes) in &files {
        write_atomic(&out.join(rel), bytes)?;
    }
    let dest = out.join(port.arch.name());
    let keep: Vec<PathBuf> = files.keys().map(|r| out.join(r)).collect();
    for entry in walkdir::WalkDir::new(&dest).contents_first(true).into_iter().filter_map(|e| e.ok()) {
        let p = entry.path();
        if entry.file_type().is_dir() {
            // Only empty folders go.
            let _ = std::fs::remove_dir(p);
        } else if !keep.iter().any(|k| k == p) {
            std::fs::remove_file(p).with_context(|| format!("removing stale {}", p.display()))?;
        }
    }
    Ok(())
}
