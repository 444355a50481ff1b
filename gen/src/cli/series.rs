//! `archport series`: write each arch's port as a patch mail, with a
//! cover letter, in `git format-patch` form.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{emit, print_json, shown_path, ArchArgs, DataArgs, ForceArg, Format, GlobalArgs, RecipientArgs};
use crate::golden;
use crate::output::OutputDir;
use crate::pipeline;
use crate::series::assemble::{self, SeriesOptions, SeriesReport};
use crate::series::manifest::{self, Manifest};
use crate::series::range_diff::RangeDiff;
use crate::series::recipients::RecipientFinder;

pub const AFTER_HELP: &str =
    "Examples:\n  archport series --signoff 'Jane Hacker <jane@example.org>' --out out/series\n  \
archport series --arch arm --arch x86 --range-diff\n  archport series --split-per-tree --out out/trees\n  \
archport series --tree ~/linux --base v5.10    # base-commit: and prerequisite-patch-id: lines\n\n\
Writes OUT/0000-cover-letter.patch and OUT/NNNN-<subject>.patch in series order (patches/kmap_local/series.toml), \
To/Cc from the tree's MAINTAINERS file (read as scripts/get_maintainer.pl reads it; --get-maintainer \
runs the script itself). The same inputs give byte-identical files. \
`git am` applies every file but the cover letter to the tree.";

#[derive(Args, Debug)]
pub struct SeriesArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// With --range-diff: the patch carrying the golden ports.
    #[command(flatten)]
    pub golden_patch: super::GoldenPatchArg,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/series")]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
    #[command(flatten)]
    pub recipients: RecipientArgs,
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

pub fn run(args: &SeriesArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let tree = match args.data.user_tree()? {
        Some(t) => t.to_path_buf(),
        None => args.data.kernel(progress)?.pre_port,
    };
    pipeline::require_generic_code(&tree)?;
    let mut out = OutputDir::open("--out", &args.out, &args.data.inputs(&tree, &tree)?, args.force.force)?;
    let opts = SeriesOptions {
        from: assemble::identity(args.signoff.as_deref(), &tree)?,
        date: assemble::date(args.date.as_deref(), &tree)?,
        base: assemble::base(&tree, args.base.as_deref())?,
        split_per_tree: args.split_per_tree,
    };
    let manifest = Manifest::load(&manifest::default_dir())?;
    let arches = args.arches.selected();
    let ported = pipeline::port_each(&arches, &tree, &args.data.templates(), progress)
        .unported_only("a series is made from the tree before the port")
        .all("no series is written")?;
    let _step = progress.step("finding the recipients in MAINTAINERS");
    let finder = RecipientFinder::new(args.recipients.source(), &tree)?;
    let patches = assemble::gather(&manifest, &ported, &tree, |patch| finder.recipients(patch))?;
    let range_diffs = if args.range_diff {
        let gp = args.data.golden_patch(args.golden_patch.path.as_deref(), progress)?;
        Some(assemble::range_diffs(&golden::extract(&gp.patch, &arches), &patches))
    } else {
        None
    };
    let series = assemble::assemble(&manifest, patches, &opts, range_diffs.as_deref())?;
    out.replace(&assemble::files(&series), |_| true)?;
    print(&series, &args.out, &opts, range_diffs.as_deref(), global)?;
    Ok(ExitCode::SUCCESS)
}

fn print(
    series: &[SeriesReport],
    out: &std::path::Path,
    opts: &SeriesOptions,
    range_diffs: Option<&[RangeDiff]>,
    global: &GlobalArgs,
) -> Result<()> {
    let dir_of = |s: &SeriesReport| if s.dir.is_empty() { out.to_path_buf() } else { out.join(&s.dir) };
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "signoff": opts.from.to_string(),
            "date": opts.date.rfc2822(),
            "base": opts.base,
            "series": series.iter().map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["dir"] = serde_json::Value::String(shown_path(&dir_of(s)));
                v
            }).collect::<Vec<_>>(),
            "range_diff": range_diffs.map(|rd| rd.iter().map(|r| serde_json::json!({
                "arch": r.arch,
                "same": r.same,
                "golden_missing": r.golden_missing,
                "golden_id": r.golden_id,
                "generated_id": r.generated_id,
            })).collect::<Vec<_>>()),
        })),
        Format::Text => {
            let mut text = String::new();
            for s in series {
                let tree = s.tree.as_ref().map(|t| format!("  (tree: {t})")).unwrap_or_default();
                writeln!(text, "{}{tree}", shown_path(&dir_of(s)))?;
                if !global.quiet {
                    writeln!(text, "  {}  To: {}  Cc: {}", s.cover, s.to.len(), s.cc.len())?;
                }
                for p in &s.patches {
                    writeln!(
                        text,
                        "  {}  {} files, +{} -{}  To: {}  Cc: {}",
                        p.file,
                        p.files_changed,
                        p.insertions,
                        p.deletions,
                        p.to.len(),
                        p.cc.len()
                    )?;
                }
            }
            if let Some(rd) = range_diffs {
                let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                for r in rd {
                    let k = match (r.golden_missing, r.same) {
                        (true, _) => "no golden",
                        (false, true) => "same as golden",
                        (false, false) => "differs from golden",
                    };
                    by.entry(k).or_default().push(r.arch.name());
                }
                for (k, v) in by {
                    writeln!(text, "range-diff: {k}: {}", v.join(" "))?;
                }
            }
            emit(&text)
        }
    }
}
