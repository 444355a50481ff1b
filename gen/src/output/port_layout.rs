//! The on-disk layout of a port's output, shared by `archport port` and
//! the golden folders users bless with `archport check --bless`:
//!
//! ```text
//! OUT/ARCH/PATH      every file the port changes, after the port
//! OUT/ARCH/DELETED   the files the port deletes, one per line
//! OUT/ARCH.diff      the port as one diff against the input tree
//! ```
//!
//! A folder of blessed output also holds the changes waiting for review
//! beside the files they change, as insta keeps `.snap.new` files:
//! `PATH.archport-new` holds what archport generates now for `PATH`, and
//! `PATH.archport-gone` says that archport no longer generates `PATH`.

use std::collections::BTreeMap;

use std::path::Path;

use anyhow::{Context, Result};

use super::{Batch, OutputDir, MANIFEST, TEMP_PREFIX};
use crate::arch::Arch;
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

/// The suffix of a pending file holding a file's new content.
pub const PENDING_NEW: &str = ".archport-new";
/// The suffix of a pending file saying a file is no longer generated.
pub const PENDING_GONE: &str = ".archport-gone";

/// The file a pending file (`PATH.archport-new` or `PATH.archport-gone`)
/// is about, and whether it is a deletion; `None` for any other file.
pub fn pending_target(rel: &str) -> Option<(&str, bool)> {
    rel.strip_suffix(PENDING_NEW).map(|t| (t, false)).or_else(|| rel.strip_suffix(PENDING_GONE).map(|t| (t, true)))
}

/// Whether `rel` (relative to OUT) belongs to `arch`'s output, or is a
/// pending change of it.
pub fn in_arch(arch: &str, rel: &str) -> bool {
    let rel = pending_target(rel).map_or(rel, |(target, _)| target);
    rel == format!("{arch}.diff") || rel.strip_prefix(arch).is_some_and(|r| r.starts_with('/'))
}

/// The files a folder holds for this arch (an earlier run's, or a
/// blessed copy a user keeps), by path relative to it. Links are not
/// followed; archport's bookkeeping files and pending changes are left
/// out.
pub fn existing(dir: &Path, port: &Port) -> Result<BTreeMap<String, Vec<u8>>> {
    let arch = port.arch.name();
    let mut found = BTreeMap::new();
    for start in [dir.join(format!("{arch}.diff")), dir.join(arch)] {
        for e in walkdir::WalkDir::new(&start).sort_by_file_name() {
            let e = match e {
                Ok(e) => e,
                Err(e) if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => continue,
                Err(e) => return Err(e).with_context(|| format!("listing {}", start.display())),
            };
            let name = e.file_name().to_string_lossy();
            if !e.file_type().is_file()
                || name.starts_with(TEMP_PREFIX)
                || name == MANIFEST
                || pending_target(&name).is_some()
            {
                continue;
            }
            let rel = e.path().strip_prefix(dir).expect("the walk stays under DIR").to_string_lossy().into_owned();
            found.insert(rel, std::fs::read(e.path()).with_context(|| format!("reading {}", e.path().display()))?);
        }
    }
    Ok(found)
}

/// Writes a port's output under `out`, then removes the files of an
/// earlier run of this arch that this one no longer produces.
pub fn write(out: &mut OutputDir, port: &Port) -> Result<()> {
    write_each(out, &[(port.arch, files(port))]).pop().expect("one result for one arch")
}

/// [`write`] for several arches' outputs (each made by [`files`]) at
/// once, with one result an arch: one that cannot be written leaves the
/// others written.
pub fn write_each(out: &mut OutputDir, outputs: &[(Arch, BTreeMap<String, Vec<u8>>)]) -> Vec<Result<()>> {
    let scopes: Vec<_> = outputs.iter().map(|(arch, _)| move |rel: &str| in_arch(arch.name(), rel)).collect();
    let batches: Vec<Batch> = outputs.iter().zip(&scopes).map(|((_, files), scope)| Batch { files, scope }).collect();
    out.replace_each(&batches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_files_name_the_file_they_change_and_belong_to_its_arch() {
        assert_eq!(pending_target("arm/arch/arm/Kconfig.archport-new"), Some(("arm/arch/arm/Kconfig", false)));
        assert_eq!(pending_target("arm.diff.archport-gone"), Some(("arm.diff", true)));
        assert_eq!(pending_target("arm/arch/arm/Kconfig"), None);
        assert!(in_arch("arm", "arm.diff.archport-new") && in_arch("arm", "arm/DELETED.archport-gone"));
        assert!(!in_arch("arm", "arc.diff.archport-new") && !in_arch("arc", "arm/x.archport-new"));
    }
}
