//! A cache entry built from what it already holds: `base/` (and for the
//! RT layout `rt.patch`) give the derived trees, the manifests and
//! `meta.json`. A fetch ends with it and a repair redoes it; neither
//! `fetch` nor `cache` is needed to build one, so both can use it.

use std::path::Path;

use anyhow::{Context, Result};

use super::manifest;
use super::package::{Kernel, Layout, Meta};
use super::trees;
use crate::arch::Arch;
use crate::golden::{self, GoldenPort};
use crate::output::write_atomic;
use crate::patch::{parse_patch, Patch};
use crate::progress::Progress;

/// Builds an entry from what `entry` already holds (`base/`, and for the
/// RT layout `rt.patch`): the derived trees, the manifests and
/// `meta.json`. The fetch ends with it; tests use it to make small
/// entries.
pub fn assemble(entry: &Path, kernel: Kernel, version: &str, progress: Progress) -> Result<Meta> {
    let ported = match kernel.layout() {
        Layout::Tree => Vec::new(),
        Layout::Rt => {
            let step = progress.step("fetch: building the golden and pre-port trees...");
            let (patch, ports) = golden_ports(entry)?;
            trees::build_derived(&entry.join("base"), &patch, &ports, &entry.join("golden"), &entry.join("pre-port"))?;
            drop(step);
            ported_paths(&ports)
        }
    };
    let step = progress.step(format!("fetch: recording {} of {}...", manifest::FULL, entry.display()));
    let meta = Meta { package: kernel.package().to_string(), version: version.to_string() };
    manifest::write(entry, &meta, kernel.layout(), &ported)?;
    write_atomic(&entry.join("meta.json"), &serde_json::to_vec_pretty(&meta)?)?;
    drop(step);
    Ok(meta)
}

/// The entry's RT patch, read, and the golden ports cut out of it.
fn golden_ports(entry: &Path) -> Result<(Patch, Vec<GoldenPort>)> {
    let rt = entry.join("rt.patch");
    let bytes = std::fs::read(&rt).with_context(|| format!("reading {}", rt.display()))?;
    let patch = parse_patch(&bytes).with_context(|| format!("reading the RT patch {}", rt.display()))?;
    let ports = golden::extract(&patch, &Arch::ALL);
    Ok((patch, ports))
}

fn ported_paths(ports: &[GoldenPort]) -> Vec<String> {
    ports.iter().flat_map(|p| &p.files).map(|f| f.path.clone()).collect()
}

/// The golden ports' paths of an entry (none for a tree alone).
pub(super) fn entry_ported_paths(entry: &Path, kernel: Kernel) -> Result<Vec<String>> {
    match kernel.layout() {
        Layout::Tree => Ok(Vec::new()),
        Layout::Rt => Ok(ported_paths(&golden_ports(entry)?.1)),
    }
}
