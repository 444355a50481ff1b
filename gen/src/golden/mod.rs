//! The golden ports: the hand-written upstream kmap_local port of each
//! arch, cut out of the RT patch hunk by hunk.

mod classify;

pub use classify::{classify_file, Reason};

use serde::Serialize;

use crate::arch::Arch;
use crate::patch::{FileChange, FilePatch, Hunk, Patch};

/// One arch's share of the RT patch: every file under `arch/<arch>/`
/// with each hunk either taken into the port or left out of it.
#[derive(Clone, Debug, Serialize)]
pub struct GoldenPort {
    pub arch: Arch,
    pub files: Vec<GoldenFile>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GoldenFile {
    pub path: String,
    #[serde(skip)]
    pub patch: FilePatch,
    pub taken: Vec<HunkEntry>,
    pub left: Vec<HunkEntry>,
}

/// A hunk as a reviewer audits it.
#[derive(Clone, Debug, Serialize)]
pub struct HunkEntry {
    /// Index of the hunk within its file's patch.
    #[serde(skip)]
    pub index: usize,
    /// The hunk's first line in the file before the patch.
    pub line: usize,
    pub header: String,
    pub first_change: String,
    pub added: usize,
    pub removed: usize,
    pub reason: Reason,
}

impl GoldenFile {
    /// True when the port takes every hunk of a file the patch deletes:
    /// the port deletes the file.
    pub fn deleted_by_port(&self) -> bool {
        self.patch.kind == FileChange::Deleted && self.left.is_empty()
    }

    pub fn is_taken(&self, hunk: usize) -> bool {
        self.taken.iter().any(|h| h.index == hunk)
    }
}

impl GoldenPort {
    /// Files the port changes (at least one hunk taken).
    pub fn port_files(&self) -> impl Iterator<Item = &GoldenFile> {
        self.files.iter().filter(|f| !f.taken.is_empty())
    }
}

fn entry(index: usize, hunk: &Hunk, reason: Reason) -> HunkEntry {
    let (added, removed) = hunk.counts();
    HunkEntry {
        index,
        line: hunk.old_start,
        header: format!(
            "@@ -{} +{} @@",
            crate::patch::range(hunk.old_start, hunk.old_len),
            crate::patch::range(hunk.new_start, hunk.new_len)
        ),
        first_change: hunk.first_change(),
        added,
        removed,
        reason,
    }
}

/// Splits `patch` into the golden ports of `arches`.
pub fn extract(patch: &Patch, arches: &[Arch]) -> Vec<GoldenPort> {
    arches
        .iter()
        .map(|&arch| {
            let files = patch
                .files
                .iter()
                .filter(|f| Arch::of_path(&f.path) == Some(arch))
                .map(|f| {
                    let (mut taken, mut left) = (Vec::new(), Vec::new());
                    for (i, reason) in classify_file(f).into_iter().enumerate() {
                        let e = entry(i, &f.hunks[i], reason);
                        if e.reason.is_taken() {
                            taken.push(e)
                        } else {
                            left.push(e)
                        }
                    }
                    GoldenFile { path: f.path.clone(), patch: f.clone(), taken, left }
                })
                .collect();
            GoldenPort { arch, files }
        })
        .collect()
}
