//! Reviewing a generated port against the golden tree: per-file
//! comparisons, the arch verdict, and how much of the golden port's new
//! code came from generic operations rather than arch-specific text.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use walkdir::{DirEntryExt, WalkDir};

use crate::arch::Arch;
use crate::fidelity::{self, FileComparison, FileStatus, Verdict};
use crate::input::read_optional;
use crate::port::Port;

#[derive(Clone, Debug)]
pub struct ArchReview {
    pub arch: Arch,
    pub files: Vec<FileComparison>,
    pub template_lines: usize,
    /// Code lines the golden port adds.
    pub golden_added_lines: usize,
    /// Of those, how many the generated port adds through generic
    /// operations and shared templates (not arch-specific text).
    pub generic_added_lines: usize,
    /// Review diffs (golden to generated) of the files that are not
    /// identical.
    pub diffs: BTreeMap<String, String>,
    /// Both sides of the files that are not identical, for side-by-side
    /// views.
    pub sides: BTreeMap<String, Sides>,
}

impl ArchReview {
    /// The arch's verdict, from its files (and their justifications).
    pub fn verdict(&self) -> Verdict {
        fidelity::verdict(&self.files)
    }

    /// The share of the golden port's added code lines that the generated
    /// port produces from generic operations and shared templates.
    pub fn generic_share(&self) -> f64 {
        if self.golden_added_lines == 0 {
            1.0
        } else {
            self.generic_added_lines as f64 / self.golden_added_lines as f64
        }
    }
}

/// What `--format json` shows of a review: its figures and verdict.
impl Serialize for ArchReview {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ArchReview", 6)?;
        st.serialize_field("arch", &self.arch)?;
        st.serialize_field("verdict", &self.verdict())?;
        st.serialize_field("files", &self.files)?;
        st.serialize_field("template_lines", &self.template_lines)?;
        st.serialize_field("golden_added_lines", &self.golden_added_lines)?;
        st.serialize_field("generic_added_lines", &self.generic_added_lines)?;
        st.end()
    }
}

/// A file as generated and as in the golden tree; `None` is a deleted
/// file.
pub type Sides = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Files under `arch/<arch>/` whose content differs between the trees.
///
/// The golden and pre-port trees share every file the RT patch leaves
/// alone through hard links, so a file with the same inode on both sides
/// (as the directory listing gives it, without a `stat` per file) is the
/// same file; only the others are read and compared.
pub fn changed_files(tree: &Path, golden: &Path, arch: Arch) -> Result<Vec<String>> {
    let (ours, theirs) = (listing(tree, arch), listing(golden, arch));
    // Inode numbers only mean the same file on the same file system.
    let device = |root: &Path| root.join(arch.dir()).metadata().map(|m| m.dev()).ok();
    let linked = device(tree).is_some() && device(tree) == device(golden);
    let mut paths: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    for rel in paths {
        let same_inode = linked && matches!((ours.get(rel), theirs.get(rel)), (Some(a), Some(b)) if a == b);
        if !same_inode && read_optional(&tree.join(rel))? != read_optional(&golden.join(rel))? {
            out.push(rel.clone());
        }
    }
    Ok(out)
}

/// The regular files under `arch/<arch>/` of `root`, by path relative to
/// `root`, with their inode numbers.
fn listing(root: &Path, arch: Arch) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for entry in WalkDir::new(root.join(arch.dir())).into_iter().filter_map(|e| e.ok()) {
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(root).expect("walked under root").to_string_lossy().into_owned();
            out.insert(rel, entry.ino());
        }
    }
    out
}

/// Compares a port with the golden tree.
pub fn review(port: &Port, tree: &Path, golden: &Path, arch_text: &[String]) -> Result<ArchReview> {
    let golden_changed = changed_files(tree, golden, port.arch)?;
    let mut paths: Vec<String> = port.files.iter().map(|f| f.path.clone()).collect();
    paths.extend(golden_changed.iter().cloned());
    paths.sort();
    paths.dedup();

    let mut files = Vec::new();
    let mut diffs = BTreeMap::new();
    let mut sides = BTreeMap::new();
    let (mut golden_added, mut generic_added) = (0, 0);
    for path in &paths {
        let ported = port.files.iter().find(|f| &f.path == path);
        let before = match ported {
            Some(f) => f.before.clone(),
            None => read_optional(&tree.join(path))?,
        };
        let generated = match ported {
            Some(f) => f.after.clone(),
            None => before.clone(),
        };
        let gold = read_optional(&golden.join(path))?;
        let changed_by_gen = ported.is_some_and(|f| f.after != f.before);
        let changed_by_golden = golden_changed.contains(path);
        let cmp = fidelity::compare(path, generated.as_deref(), gold.as_deref(), changed_by_gen, changed_by_golden);
        if !matches!(cmp.status, FileStatus::Identical) {
            diffs.insert(path.clone(), fidelity::review_diff(path, generated.as_deref(), gold.as_deref()));
            sides.insert(path.clone(), (generated.clone(), gold.clone()));
        }
        let (g, n) = added_code_lines(before.as_deref(), gold.as_deref(), generated.as_deref(), arch_text);
        golden_added += g;
        generic_added += n;
        files.push(cmp);
    }
    Ok(ArchReview {
        arch: port.arch,
        files,
        template_lines: port.template_lines,
        golden_added_lines: golden_added,
        generic_added_lines: generic_added,
        diffs,
        sides,
    })
}

/// Counts the golden port's added code lines, and how many of them the
/// generated port also adds from text that is not arch-specific.
fn added_code_lines(
    before: Option<&[u8]>,
    golden: Option<&[u8]>,
    generated: Option<&[u8]>,
    arch_text: &[String],
) -> (usize, usize) {
    let added = |new: Option<&[u8]>| -> Vec<String> {
        let old = String::from_utf8_lossy(before.unwrap_or_default()).into_owned();
        let new = String::from_utf8_lossy(new.unwrap_or_default()).into_owned();
        crate::diff_budget::line_diff(&old, &new)
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Insert)
            .map(|c| c.value().split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| is_code(l))
            .collect()
    };
    let golden_added = added(golden);
    // A generated file identical to the golden one adds the same lines.
    let mut generated_added = if generated == golden { golden_added.clone() } else { added(generated) };
    let mut generic = 0;
    for line in &golden_added {
        if let Some(i) = generated_added.iter().position(|g| g == line) {
            generated_added.swap_remove(i);
            if !arch_text.iter().any(|a| a == line) {
                generic += 1;
            }
        }
    }
    (golden_added.len(), generic)
}

fn is_code(l: &str) -> bool {
    let t = l.trim_matches(|c: char| c.is_whitespace() || c == '\\');
    !(t.is_empty()
        || t.starts_with("/*")
        || t.starts_with('*')
        || t.starts_with("//")
        || t.starts_with('#') && t.len() == 1)
}
