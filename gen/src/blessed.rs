//! A copy of archport's output that a user blessed into their own
//! repository (`check --golden-dir DIR`), and the changes waiting for
//! review beside it, the way insta keeps `.snap.new` files beside its
//! snapshots: a check that finds a change never overwrites the blessed
//! file, it writes a pending file next to it (`PATH.archport-new` with
//! the new content, `PATH.archport-gone` when archport no longer writes
//! `PATH`); `archport review` accepts or rejects each one.
//!
//! Pending files are archport's own (its manifest lists them), so they
//! are replaced or removed freely; the blessed files follow the output
//! folder's rules (`output`). `CI` set in the environment means no
//! pending change is ever accepted.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::output::port_layout::{self, PENDING_GONE, PENDING_NEW};
use crate::output::OutputDir;
use crate::patch::file_diff;
use crate::port::Port;

/// How a generated file differs from the blessed copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// Both exist, with other content.
    Changed,
    /// Generated, not blessed yet.
    New,
    /// Blessed, no longer generated.
    Gone,
}

impl What {
    pub fn name(self) -> &'static str {
        match self {
            What::Changed => "changed",
            What::New => "new",
            What::Gone => "gone",
        }
    }
}

/// One file that differs between the blessed copy and what archport
/// generates now (or a pending file that says so).
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// Relative to the blessed folder.
    pub path: String,
    pub what: What,
    #[serde(skip)]
    pub blessed: Option<Vec<u8>>,
    #[serde(skip)]
    pub now: Option<Vec<u8>>,
}

impl Change {
    fn new(path: &str, blessed: Option<&Vec<u8>>, now: Option<&Vec<u8>>) -> Change {
        let what = match (blessed, now) {
            (Some(_), Some(_)) => What::Changed,
            (None, _) => What::New,
            (_, None) => What::Gone,
        };
        Change { path: path.to_string(), what, blessed: blessed.cloned(), now: now.cloned() }
    }

    /// The unified diff from the blessed file to the new one.
    pub fn diff(&self) -> String {
        String::from_utf8_lossy(&file_diff(&self.path, self.blessed.as_deref(), self.now.as_deref())).into_owned()
    }

    /// The pending file that records this change, and its content.
    pub fn pending_file(&self) -> (String, Vec<u8>) {
        match &self.now {
            Some(bytes) => (format!("{}{PENDING_NEW}", self.path), bytes.clone()),
            None => (
                format!("{}{PENDING_GONE}", self.path),
                format!("archport no longer generates {}; accepting this deletes it\n", self.path).into_bytes(),
            ),
        }
    }
}

/// What differs between a port's output and the copy blessed in `dir`.
pub fn changes(dir: &Path, port: &Port) -> Result<Vec<Change>> {
    let now = port_layout::files(port);
    let blessed = port_layout::existing(dir, port)?;
    let mut out = Vec::new();
    for (path, bytes) in &now {
        if blessed.get(path) != Some(bytes) {
            out.push(Change::new(path, blessed.get(path), Some(bytes)));
        }
    }
    for (path, old) in blessed.iter().filter(|(p, _)| !now.contains_key(*p)) {
        out.push(Change::new(path, Some(old), None));
    }
    Ok(out)
}

/// Whether `dir` holds no file at all: nothing was ever blessed there
/// (or the path is mistyped).
pub fn holds_nothing(dir: &Path) -> bool {
    walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()).all(|e| !e.file_type().is_file())
}

/// Writes the pending files of one arch's `changes` into `out`, and
/// removes the arch's older pending files that no longer apply.
pub fn write_pending(out: &mut OutputDir, arch: &str, changes: &[Change]) -> Result<()> {
    let files: BTreeMap<String, Vec<u8>> = changes.iter().map(Change::pending_file).collect();
    out.replace(&files, |rel| port_layout::pending_target(rel).is_some() && port_layout::in_arch(arch, rel))
}

/// A change waiting for review: its pending file and what it changes.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The pending file, relative to the folder.
    pub file: String,
    pub change: Change,
}

/// Every pending change in the folder that archport wrote (and that was
/// not edited since), in path order; each compared with the blessed file
/// as it is now (a user may have edited it).
pub fn pending(out: &OutputDir) -> Result<Vec<Pending>> {
    let mut found = Vec::new();
    for (rel, bytes) in out.owned()? {
        let Some((target, gone)) = port_layout::pending_target(&rel) else { continue };
        let blessed = crate::input::read_optional(&out.path().join(target))?;
        let now = (!gone).then_some(bytes);
        found.push(Pending { file: rel.clone(), change: Change::new(target, blessed.as_ref(), now.as_ref()) });
    }
    Ok(found)
}

/// What a review does with one pending change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The new content becomes the blessed file (or the file goes).
    Accept,
    /// The pending file goes; the blessed file stays.
    Reject,
    /// Both stay as they are.
    Skip,
}

/// Whether the environment is a CI job (`CI` set to anything but empty,
/// `0` or `false`), where no pending change is ever accepted.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Carries out `decision` on one pending change.
pub fn decide(out: &mut OutputDir, p: &Pending, decision: Decision) -> Result<()> {
    let mut files = BTreeMap::new();
    match decision {
        Decision::Skip => return Ok(()),
        Decision::Accept if in_ci() => {
            bail!("CI is set: pending changes are never accepted in CI; review them on your own machine")
        }
        Decision::Accept => {
            if let Some(now) = &p.change.now {
                files.insert(p.change.path.clone(), now.clone());
            }
        }
        Decision::Reject => {}
    }
    let accept_gone = decision == Decision::Accept && p.change.what == What::Gone;
    if accept_gone && p.change.blessed.is_some() && out.existing(&p.change.path)?.is_none() {
        bail!(
            "{} is no longer generated, but archport did not write it (or it changed since) and deletes no such file: \
             delete it yourself, or reject the change",
            p.change.path
        );
    }
    out.replace(&files, |rel| rel == p.file || accept_gone && rel == p.change.path)
}
