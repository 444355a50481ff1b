//! `archport series`: write each arch's port as a patch mail, with a
//! cover letter, in `git format-patch` form.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::golden;
use crate::output::write_atomic;
use crate::pipeline;
use crate::progress::Progress;
use crate::series::date::MailDate;
use crate::series::format_patch::Identity;
use crate::series::git::{self, BaseInfo};
use crate::series::manifest::{self, CoverPatch, Manifest};
use crate::series::range_diff::{self, RangeDiff};
use crate::series::recipients::{self, Recipients};
use crate::series::{self, ArchPatch, Cover, Envelope, SeriesFile};

#[derive(Args, Debug)]
pub struct SeriesArgs {
    /// Only these arches (repeatable); default all ten, in series order.
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<Arch>,
    #[command(flatten)]
    pub data: DataArgs,
    /// With --range-diff: the patch carrying the golden ports.
    #[command(flatten)]
    pub golden_patch: super::GoldenPatchArg,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/series")]
    pub out: PathBuf,
    /// Sign off (and author) the patches as "NAME <EMAIL>" [default: git's user.name and user.email].
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub signoff: Option<String>,
    /// The commit the series is based on, for `base-commit:`; the commits from it to HEAD become
    /// `prerequisite-patch-id:` lines. Needs a tree that is a git repository [default: HEAD there].
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The mails' date: @SECONDS, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] or RFC 2822
    /// [default: the tree's HEAD commit date in a git tree, else its Makefile's mtime].
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Write one small series per maintainer tree (OUT/<arches>/), instead of one tree-wide series.
    #[arg(long)]
    pub split_per_tree: bool,
    /// Add to the cover letter a range-diff of each patch against the golden port.
    #[arg(long)]
    pub range_diff: bool,
}

/// One series as written: its folder and its mails.
#[derive(Serialize)]
pub struct SeriesReport {
    pub dir: PathBuf,
    tree: Option<String>,
    cover: String,
    to: Vec<String>,
    cc: Vec<String>,
    pub patches: Vec<PatchReport>,
}

#[derive(Serialize)]
pub struct PatchReport {
    pub arch: Arch,
    pub file: String,
    subject: String,
    to: Vec<String>,
    cc: Vec<String>,
    files_changed: usize,
    insertions: usize,
    deletions: usize,
}

pub fn run(args: &SeriesArgs, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let written = write(args, progress)?;
    print(
        &written.reports,
        written.base.as_ref(),
        &written.from,
        written.date,
        written.range_diffs.as_deref(),
        global,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What `write` wrote, for printing.
pub struct Written {
    pub reports: Vec<SeriesReport>,
    base: Option<BaseInfo>,
    from: Identity,
    date: MailDate,
    range_diffs: Option<Vec<RangeDiff>>,
}

/// Writes the series (or one per maintainer tree) and says what it wrote.
pub fn write(args: &SeriesArgs, progress: Progress) -> Result<Written> {
    let tree = match args.data.user_tree()? {
        Some(t) => t.to_path_buf(),
        None => args.data.kernel(progress)?.pre_port,
    };
    super::port::refuse_inside(&args.out, &tree)?;
    let from = signoff(args.signoff.as_deref(), &tree)?;
    let date = match &args.date {
        Some(d) => MailDate::parse(d).map_err(anyhow::Error::msg)?,
        None => default_date(&tree)?,
    };
    let base = if git::is_repository(&tree) {
        Some(git::base_info(&tree, args.base.as_deref())?)
    } else if let Some(rev) = &args.base {
        bail!("--base {rev} needs a tree that is a git repository; {} is not one", tree.display());
    } else {
        None
    };
    let manifest = Manifest::load(&manifest::default_dir())?;
    let arches = Arch::selected(&args.arches);
    let patches = gather(&manifest, &arches, &tree, &args.data.templates(), progress)?;
    let range_diffs = if args.range_diff {
        Some(range_diffs(&args.data, args.golden_patch.golden_patch.as_deref(), &patches, progress)?)
    } else {
        None
    };

    let version = format!("archport {}", env!("CARGO_PKG_VERSION"));
    let env = Envelope { from: &from, date, version: &version };
    let groups: Vec<(PathBuf, Option<String>, Vec<ArchPatch>)> =
        if args.split_per_tree { split_per_tree(&args.out, patches) } else { vec![(args.out.clone(), None, patches)] };
    let mut reports = Vec::new();
    for (dir, tree_name, group) in &groups {
        let cover_patches: Vec<CoverPatch> = group.iter().map(|p| p.cover.clone()).collect();
        let text = manifest.cover_text(&cover_patches, tree_name.as_deref())?;
        let rd = range_diffs.as_ref().map(|all| {
            let mine: Vec<&RangeDiff> = group.iter().filter_map(|p| all.iter().find(|r| r.arch == p.arch)).collect();
            range_diff::render(&mine)
        });
        let cover =
            Cover { subject: &manifest.cover_subject, text: &text, range_diff: rd.as_deref(), base: base.as_ref() };
        let files = series::render_series(group, &cover, &env);
        write_series(dir, &files)?;
        reports.push(report(dir, tree_name.clone(), group, &files));
    }
    Ok(Written { reports, base, from, date, range_diffs })
}

/// `--signoff`, else git's identity; neither is bad usage.
pub fn signoff(flag: Option<&str>, tree: &Path) -> Result<Identity> {
    match flag {
        Some(s) => Identity::parse(s).map_err(|e| anyhow::anyhow!("--signoff: {e}")),
        None => git::identity(tree).context(
            "no identity to sign the patches off with: pass --signoff \"Name <email>\" or set git's user.name and user.email",
        ),
    }
}

/// A date that does not change from run to run: the HEAD commit's in a
/// git tree, else the mtime of the tree's top Makefile (which unpacking
/// keeps from the release tarball).
fn default_date(tree: &Path) -> Result<MailDate> {
    if git::is_repository(tree) {
        return git::head_date(tree);
    }
    let makefile = tree.join("Makefile");
    let modified = std::fs::metadata(&makefile)
        .and_then(|m| m.modified())
        .with_context(|| format!("reading the date of {}", makefile.display()))?;
    Ok(MailDate::from_system_time(modified))
}

/// Ports every arch and gathers its patch; any arch that does not port
/// stops the series (a series with a hole is not one).
fn gather(
    manifest: &Manifest,
    arches: &[Arch],
    tree: &Path,
    templates: &Path,
    progress: Progress,
) -> Result<Vec<ArchPatch>> {
    let mut patches = Vec::new();
    let mut failed = Vec::new();
    for entry in manifest.ordered(arches) {
        let step = progress.step(format!("{}: porting and asking get_maintainer.pl", entry.arch));
        if let Ok(Some(evidence)) = pipeline::already_ported(entry.arch, tree, templates) {
            failed.push(format!(
                "{}: already ported ({evidence}); a series is made from the tree before the port",
                entry.arch
            ));
            continue;
        }
        let ported = match pipeline::port_arch(entry.arch, tree, templates) {
            Ok(p) => p,
            Err(e) => {
                failed.push(format!("{e:#}"));
                continue;
            }
        };
        let diffs = series::port_diffs(&ported.port, |path| mode_of(&tree.join(path)));
        let message = manifest
            .commit_message(&ported.spec, &ported.port)
            .with_context(|| format!("{}: commit message", entry.arch))?;
        let maintainers = recipients::get_maintainer(tree, &series::diff_bytes(&diffs))
            .with_context(|| format!("{}: recipients", entry.arch))?;
        patches.push(ArchPatch {
            arch: entry.arch,
            subject: entry.subject.clone(),
            message,
            cover: CoverPatch::new(&ported.spec, entry, &ported.port),
            diffs,
            recipients: maintainers.recipients,
            tree: maintainers.tree,
        });
        drop(step);
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} arches do not port, so no series is written:\n  {}",
            failed.len(),
            arches.len(),
            failed.join("\n  ")
        );
    }
    Ok(patches)
}

fn mode_of(path: &Path) -> u32 {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o111 != 0 => 0o100755,
        _ => 0o100644,
    }
}

fn range_diffs(
    data: &DataArgs,
    golden_patch: Option<&Path>,
    patches: &[ArchPatch],
    progress: Progress,
) -> Result<Vec<RangeDiff>> {
    let gp = data.golden_patch(golden_patch, progress)?;
    let arches: Vec<Arch> = patches.iter().map(|p| p.arch).collect();
    let goldens = golden::extract(&gp.patch, &arches);
    Ok(patches
        .iter()
        .zip(&goldens)
        .map(|(p, g)| {
            range_diff::compare(p.arch, &p.subject, &range_diff::golden_text(g), &range_diff::generated_text(&p.diffs))
        })
        .collect())
}

/// Groups the patches by the maintainer tree get_maintainer.pl names
/// first, keeping series order; each group goes to `OUT/<arches>/`.
fn split_per_tree(out: &Path, patches: Vec<ArchPatch>) -> Vec<(PathBuf, Option<String>, Vec<ArchPatch>)> {
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
            (out.join(name.join("-")), tree, g)
        })
        .collect()
}

/// Writes the mails atomically and removes `NNNN-*.patch` files an
/// earlier run left in the folder, so that `git am DIR/*.patch` applies
/// exactly this series.
fn write_series(dir: &Path, files: &[SeriesFile]) -> Result<()> {
    for f in files {
        write_atomic(&dir.join(&f.name), &f.bytes).with_context(|| format!("writing under {}", dir.display()))?;
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let numbered = name.len() > 5 && name[..4].bytes().all(|b| b.is_ascii_digit()) && name[4..].starts_with('-');
        if numbered && name.ends_with(".patch") && !files.iter().any(|f| f.name == name) {
            std::fs::remove_file(dir.join(&name)).with_context(|| format!("removing the stale {name}"))?;
        }
    }
    Ok(())
}

fn report(dir: &Path, tree: Option<String>, group: &[ArchPatch], files: &[SeriesFile]) -> SeriesReport {
    let all = recipients::union(group.iter().map(|p| &p.recipients).collect::<Vec<&Recipients>>());
    SeriesReport {
        dir: super::absolute(dir),
        tree,
        cover: files[0].name.clone(),
        to: all.to,
        cc: all.cc,
        patches: group
            .iter()
            .zip(&files[1..])
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
    }
}

fn print(
    reports: &[SeriesReport],
    base: Option<&BaseInfo>,
    from: &Identity,
    date: MailDate,
    range_diffs: Option<&[RangeDiff]>,
    global: &GlobalArgs,
) -> Result<()> {
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "signoff": from.to_string(),
            "date": date.rfc2822(),
            "base": base,
            "series": reports,
            "range_diff": range_diffs.map(|rd| rd.iter().map(|r| serde_json::json!({
                "arch": r.arch,
                "same": r.same,
                "golden_missing": r.golden_missing,
                "golden_id": r.golden_id,
                "generated_id": r.generated_id,
            })).collect::<Vec<_>>()),
        })),
        Format::Text => {
            for r in reports {
                println!(
                    "{}{}",
                    r.dir.display(),
                    r.tree.as_ref().map(|t| format!("  (tree: {t})")).unwrap_or_default()
                );
                if !global.quiet {
                    println!("  {}  To: {}  Cc: {}", r.cover, r.to.len(), r.cc.len());
                }
                for p in &r.patches {
                    println!(
                        "  {}  {} files, +{} -{}  To: {}  Cc: {}",
                        p.file,
                        p.files_changed,
                        p.insertions,
                        p.deletions,
                        p.to.len(),
                        p.cc.len()
                    );
                }
            }
            if let Some(rd) = range_diffs {
                let by: BTreeMap<&str, Vec<&str>> = rd.iter().fold(BTreeMap::new(), |mut m, r| {
                    let k = if r.golden_missing {
                        "no golden"
                    } else if r.same {
                        "same as golden"
                    } else {
                        "differs from golden"
                    };
                    m.entry(k).or_default().push(r.arch.name());
                    m
                });
                for (k, v) in by {
                    println!("range-diff: {k}: {}", v.join(" "));
                }
            }
            Ok(())
        }
    }
}
