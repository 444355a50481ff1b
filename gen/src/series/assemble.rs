//! From ported arches to the files of a series: each arch's patch
//! gathered (diffs, commit message, recipients), grouped into one series
//! or one per maintainer tree, and laid out as mails. Nothing here
//! writes: the caller hands the files to an output folder.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::date::MailDate;
use super::format_patch::{Identity, SubjectPrefix};
use super::git::{self, BaseInfo};
use super::manifest::{CoverPatch, Manifest};
use super::range_diff::{self, RangeDiff};
use super::recipients::{self, Maintainers, Recipients};
use super::{render_series, ArchPatch, Cover, Envelope, SeriesFile};
use crate::arch::Arch;
use crate::golden::GoldenPort;
use crate::pipeline::Ported;

/// How a series is made, resolved from the command line.
#[derive(Clone, Debug)]
pub struct SeriesOptions {
    /// Author and sign-off.
    pub from: Identity,
    pub date: MailDate,
    /// `base-commit:` and `prerequisite-patch-id:`, for a git tree.
    pub base: Option<BaseInfo>,
    /// One series per maintainer tree instead of one tree-wide series.
    pub split_per_tree: bool,
    /// `[RFC PATCH v2 ...]`.
    pub prefix: SubjectPrefix,
    /// The message id the series answers.
    pub in_reply_to: Option<String>,
    /// Added to the `To:`/`Cc:` of every mail, before the maintainers.
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

impl SeriesOptions {
    /// Options for a series with the given sign-off, date and base, and
    /// everything else as `git format-patch` defaults it.
    pub fn new(from: Identity, date: MailDate, base: Option<BaseInfo>) -> SeriesOptions {
        SeriesOptions {
            from,
            date,
            base,
            split_per_tree: false,
            prefix: SubjectPrefix::default(),
            in_reply_to: None,
            to: Vec::new(),
            cc: Vec::new(),
        }
    }
}

/// One series as laid out: its folder (relative to the output folder;
/// empty for the one tree-wide series), its files and what they hold.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesReport {
    pub dir: String,
    pub tree: Option<String>,
    /// The cover letter's file; none for a series of one patch.
    pub cover: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub patches: Vec<PatchReport>,
    #[serde(skip)]
    pub files: Vec<SeriesFile>,
}

/// One mail of a series.
#[derive(Clone, Debug, Serialize)]
pub struct PatchReport {
    pub arch: Arch,
    pub file: String,
    pub subject: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub files_changed: usize,
    pub insertions: usize,
    pub deletions: usize,
}

/// `--signoff`, else git's identity; neither is bad usage.
pub fn identity(flag: Option<&str>, tree: &Path) -> Result<Identity> {
    match flag {
        Some(s) => Identity::parse(s).map_err(|e| anyhow::anyhow!("--signoff: {e}")),
        None => git::identity(tree).context(
            "no identity to sign the patches off with: pass --signoff \"Name <email>\" or set git's user.name and user.email",
        ),
    }
}

/// `--date`, else a date that does not change from run to run: the HEAD
/// commit's in a git tree, else the mtime of the tree's top Makefile
/// (which unpacking keeps from the release tarball).
pub fn date(flag: Option<&str>, tree: &Path) -> Result<MailDate> {
    if let Some(d) = flag {
        return MailDate::parse(d).map_err(|e| anyhow::anyhow!("--date: {e}"));
    }
    if git::is_repository(tree) {
        return git::head_date(tree);
    }
    let makefile = tree.join("Makefile");
    let modified = std::fs::metadata(&makefile)
        .and_then(|m| m.modified())
        .with_context(|| format!("reading the date of {}", makefile.display()))?;
    Ok(MailDate::from_system_time(modified))
}

/// The base of the series in a git tree; `--base` needs one.
pub fn base(tree: &Path, rev: Option<&str>) -> Result<Option<BaseInfo>> {
    if git::is_repository(tree) {
        return Ok(Some(git::base_info(tree, rev)?));
    }
    if let Some(rev) = rev {
        bail!("--base {rev} needs a tree that is a git repository; {} is not one", tree.display());
    }
    Ok(None)
}

/// Each ported arch's patch, in series order, with its recipients.
pub fn gather(
    manifest: &Manifest,
    ported: &[Ported],
    tree: &Path,
    mut recipients: impl FnMut(&[u8]) -> Result<Maintainers>,
) -> Result<Vec<ArchPatch>> {
    let arches: Vec<Arch> = ported.iter().map(|p| p.spec.arch).collect();
    let mut patches = Vec::new();
    for entry in manifest.ordered(&arches) {
        let p = ported.iter().find(|p| p.spec.arch == entry.arch).expect("ordered() keeps only the given arches");
        let diffs = super::port_diffs(&p.port, |path| mode_of(&tree.join(path)));
        let message =
            manifest.commit_message(&p.spec, &p.port).with_context(|| format!("{}: commit message", entry.arch))?;
        let maintainers =
            recipients(&super::diff_bytes(&diffs)).with_context(|| format!("{}: recipients", entry.arch))?;
        patches.push(ArchPatch {
            arch: entry.arch,
            subject: entry.subject.clone(),
            message,
            cover: CoverPatch::new(&p.spec, entry, &p.port),
            diffs,
            recipients: maintainers.recipients,
            tree: maintainers.tree,
        });
    }
    Ok(patches)
}

fn mode_of(path: &Path) -> u32 {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o111 != 0 => 0o100755,
        _ => 0o100644,
    }
}

/// Each patch compared with its golden port.
pub fn range_diffs(goldens: &[GoldenPort], patches: &[ArchPatch]) -> Vec<RangeDiff> {
    patches
        .iter()
        .filter_map(|p| {
            let g = goldens.iter().find(|g| g.arch == p.arch)?;
            let golden = range_diff::golden_text(g);
            Some(range_diff::compare(p.arch, &p.subject, &golden, &range_diff::generated_text(&p.diffs)))
        })
        .collect()
}

/// Range-diffs a series carries in its cover letter.
#[derive(Clone, Debug, Default)]
pub struct RangeDiffs {
    /// Each patch against its golden port (`--range-diff`).
    pub golden: Option<Vec<RangeDiff>>,
    /// The patches of the previous version (`--previous DIR`), read
    /// from its mails.
    pub previous: Option<Vec<range_diff::PreviousPatch>>,
}

/// Lays the patches out as one series, or one per maintainer tree.
pub fn assemble(
    manifest: &Manifest,
    mut patches: Vec<ArchPatch>,
    opts: &SeriesOptions,
    range_diffs: &RangeDiffs,
) -> Result<Vec<SeriesReport>> {
    let version = format!("archport {}", env!("CARGO_PKG_VERSION"));
    let env = Envelope {
        from: &opts.from,
        date: opts.date,
        prefix: &opts.prefix,
        in_reply_to: opts.in_reply_to.as_deref(),
        version: &version,
    };
    let extra = Recipients { to: opts.to.clone(), cc: opts.cc.clone() };
    for p in &mut patches {
        p.recipients = recipients::union([&extra, &p.recipients]);
    }
    let groups = if opts.split_per_tree { split_per_tree(patches) } else { vec![(String::new(), None, patches)] };
    let mut out = Vec::new();
    for (dir, tree, group) in groups {
        let cover_patches: Vec<CoverPatch> = group.iter().map(|p| p.cover.clone()).collect();
        let text = manifest.cover_text(&cover_patches, tree.as_deref())?;
        let mut sections = Vec::new();
        if let Some(all) = &range_diffs.golden {
            let mine: Vec<&RangeDiff> = group.iter().filter_map(|p| all.iter().find(|r| r.arch == p.arch)).collect();
            sections.push(("Range-diff against the golden ports:".to_string(), range_diff::render(&mine)));
        }
        if let Some(previous) = &range_diffs.previous {
            let heading = match opts.prefix.reroll.as_deref().and_then(|v| v.parse::<u32>().ok()) {
                Some(v) if v > 1 => format!("Range-diff against v{}:", v - 1),
                _ => "Range-diff against the previous version:".to_string(),
            };
            sections.push((heading, range_diff::against_previous(previous, &group, &opts.from.to_string())));
        }
        let cover =
            Cover { subject: &manifest.cover_subject, text: &text, range_diffs: &sections, base: opts.base.as_ref() };
        let files = render_series(&group, &cover, &env);
        out.push(report(dir, tree, &group, files));
    }
    Ok(out)
}

/// Every file of the series, by path relative to the output folder.
pub fn files(series: &[SeriesReport]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for s in series {
        for f in &s.files {
            let rel = if s.dir.is_empty() { f.name.clone() } else { format!("{}/{}", s.dir, f.name) };
            out.insert(rel, f.bytes.clone());
        }
    }
    out
}

/// Groups the patches by the maintainer tree named first, keeping series
/// order; each group goes to a folder named after its arches.
fn split_per_tree(patches: Vec<ArchPatch>) -> Vec<(String, Option<String>, Vec<ArchPatch>)> {
    let mut groups: Vec<(Option<String>, Vec<ArchPatch>)> = Vec::new();
    for p in patches {
        match groups.iter_mut().find(|(t, _)| *t == p.tree) {
            Some((_, g)) => g.push(p),
            None => groups.push((p.tree.clone(), vec![p])),
        }
    }
    groups
        .into_iter()
        .map(|(tree, g)| {
            let name: Vec<&str> = g.iter().map(|p| p.arch.name()).collect();
            (name.join("-"), tree, g)
        })
        .collect()
}

fn report(dir: String, tree: Option<String>, group: &[ArchPatch], files: Vec<SeriesFile>) -> SeriesReport {
    let all = recipients::union(group.iter().map(|p| &p.recipients).collect::<Vec<&Recipients>>());
    // A lone patch is its own series: no cover letter.
    let cover = (files.len() > group.len()).then(|| files[0].name.clone());
    let mails = &files[files.len() - group.len()..];
    SeriesReport {
        dir,
        tree,
        cover,
        to: all.to,
        cc: all.cc,
        patches: group
            .iter()
            .zip(mails)
            .map(|(p, f)| PatchReport {
                arch: p.arch,
                file: f.name.clone(),
                subject: p.subject.clone(),
                to: p.recipients.to.clone(),
                cc: p.recipients.cc.clone(),
                files_changed: p.diffs.len(),
                insertions: p.diffs.iter().map(|d| d.added).sum(),
                deletions: p.diffs.iter().map(|d| d.removed).sum(),
            })
            .collect(),
        files,
    }
}
