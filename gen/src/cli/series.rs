//! `archport series`: write each arch's port as a patch mail, with a
//! cover letter, in `git format-patch` form.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use super::{emit, print_json, shown_path, ArchArgs, DataArgs, ForceArg, Format, GlobalArgs, RecipientArgs};
use crate::golden;
use crate::output::OutputDir;
use crate::pipeline;
use crate::progress::Progress;
use crate::series::assemble::{self, PatchReport, RangeDiffs, SeriesOptions, SeriesReport};
use crate::series::checkpatch::{self, Findings};
use crate::series::format_patch::{Identity, SubjectPrefix};
use crate::series::manifest::{self, Manifest};
use crate::series::range_diff;
use crate::series::recipients::RecipientFinder;

pub const AFTER_HELP: &str =
    "Examples:\n  archport series --signoff 'Jane Hacker <jane@example.org>' --out out/series\n  \
archport series --arch arm --arch x86 --range-diff\n  archport series --split-per-tree --out out/trees\n  \
archport series --tree ~/linux --base v5.10    # base-commit: and prerequisite-patch-id: lines\n  \
archport series -v 2 --previous out/v1 --in-reply-to '<cover-of-v1@example.org>' --out out/v2\n  \
archport series --rfc --cc 'linux-mm@kvack.org' --check\n\n\
Writes OUT/0000-cover-letter.patch and OUT/NNNN-<subject>.patch in series order (patches/kmap_local/series.toml), \
as `git format-patch --cover-letter` does (a series of one patch is one `[PATCH]` mail, the cover text below \
its `---`), To/Cc from the tree's MAINTAINERS file (read as scripts/get_maintainer.pl reads it; --get-maintainer \
runs the script itself). The same inputs give byte-identical files. \
`git am` applies every file but the cover letter to the tree. --check runs the tree's scripts/checkpatch.pl \
on every patch (code from the tree, stopped after --check-timeout seconds) and exits 1 when it reports an error.";

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
    /// Mark the series as its N-th version: `[PATCH vN 03/10]`, files named vN-NNNN-...
    #[arg(short = 'v', long, value_name = "N")]
    pub reroll_count: Option<String>,
    /// Add to the cover letter a range-diff against the previous version's mails in DIR.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Mark the series as a request for comments: `[RFC PATCH ...]`.
    #[arg(long)]
    pub rfc: bool,
    /// What the subjects' brackets say instead of PATCH (`PATCH net`).
    #[arg(long, value_name = "PREFIX", default_value = "PATCH")]
    pub subject_prefix: String,
    /// Make every mail a reply to this message (`In-Reply-To:` and `References:`).
    #[arg(long, value_name = "MESSAGE-ID")]
    pub in_reply_to: Option<String>,
    /// Add this address to every mail's To: (repeatable), before the maintainers.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Vec<String>,
    /// Add this address to every mail's Cc: (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    /// Run the tree's scripts/checkpatch.pl on every patch and print its findings per patch.
    #[arg(long)]
    pub check: bool,
    /// Seconds checkpatch.pl may take for one patch before it is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "check")]
    pub check_timeout: u64,
}

/// The findings of checkpatch.pl for one patch file.
#[derive(Serialize)]
struct Checked {
    file: String,
    #[serde(flatten)]
    findings: Findings,
}

pub fn run(args: &SeriesArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let tree = match args.data.user_tree()? {
        Some(t) => t.to_path_buf(),
        None => args.data.kernel(progress)?.pre_port,
    };
    pipeline::require_generic_code(&tree)?;
    let mut out = OutputDir::open("--out", &args.out, &args.data.inputs(&tree, &tree)?, args.force.force)?;
    let opts = options(args, &tree)?;
    let previous = args.previous.as_deref().map(range_diff::read_previous).transpose()?;
    let manifest = Manifest::load(&manifest::default_dir())?;
    let arches = args.arches.selected();
    let ported = pipeline::port_each(&arches, &tree, &args.data.templates(), progress)
        .unported_only("a series is made from the tree before the port")
        .all("no series is written")?;
    let step = progress.step("series: finding the recipients in MAINTAINERS");
    let finder = RecipientFinder::new(args.recipients.source(), &tree)?;
    let patches = assemble::gather(&manifest, &ported, &tree, |patch| finder.recipients(patch))?;
    drop(step);
    let golden = if args.range_diff {
        let gp = args.data.golden_patch(args.golden_patch.path.as_deref(), progress)?;
        Some(assemble::range_diffs(&golden::extract(&gp.patch, &arches), &patches))
    } else {
        None
    };
    let range_diffs = RangeDiffs { golden, previous };
    let series = assemble::assemble(&manifest, patches, &opts, &range_diffs)?;
    out.replace(&assemble::files(&series), |_| true)?;
    let checked = match args.check {
        true => check(&series, &tree, Duration::from_secs(args.check_timeout), progress)?,
        false => Vec::new(),
    };
    print(&series, &args.out, &opts, &range_diffs, args.check.then_some(&checked[..]), global)?;
    let errors = checked.iter().any(|c| c.findings.errors > 0);
    Ok(if errors { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The series' options from the flags, each value checked before
/// anything is ported.
fn options(args: &SeriesArgs, tree: &Path) -> Result<SeriesOptions> {
    let mut opts = SeriesOptions::new(
        assemble::identity(args.signoff.as_deref(), tree)?,
        assemble::date(args.date.as_deref(), tree)?,
        assemble::base(tree, args.base.as_deref())?,
    );
    opts.split_per_tree = args.split_per_tree;
    opts.prefix = SubjectPrefix {
        rfc: args.rfc,
        prefix: header_word("--subject-prefix", &args.subject_prefix)?,
        reroll: args.reroll_count.as_deref().map(|v| header_word("-v", v)).transpose()?,
    };
    opts.in_reply_to = args.in_reply_to.as_deref().map(message_id).transpose()?;
    opts.to = args.to.iter().map(|a| address("--to", a)).collect::<Result<_>>()?;
    opts.cc = args.cc.iter().map(|a| address("--cc", a)).collect::<Result<_>>()?;
    Ok(opts)
}

/// A flag's value that goes into a subject or header as it is: one line,
/// no control characters, no `]`.
fn header_word(flag: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(|c| c.is_control() || c == ']' || c == '[') {
        bail!("{flag} `{}`: must be non-empty, one line, without brackets", value.escape_debug());
    }
    Ok(v.to_string())
}

/// `--in-reply-to`: a message id, with or without its `<>`.
fn message_id(value: &str) -> Result<String> {
    let id = value.trim().trim_start_matches('<').trim_end_matches('>');
    if id.is_empty() || !id.contains('@') || id.chars().any(|c| c.is_control() || c.is_whitespace() || "<>".contains(c))
    {
        bail!(
            "--in-reply-to `{}`: not a message id (like <20201103092712.714480842@linutronix.de>)",
            value.escape_debug()
        );
    }
    Ok(id.to_string())
}

/// `--to`/`--cc`: `Name <user@host>` or `user@host`, refused when it could
/// carry a header of its own.
fn address(flag: &str, value: &str) -> Result<String> {
    if value.contains('<') {
        return Identity::parse(value).map(|i| i.to_string()).map_err(|e| anyhow::anyhow!("{flag}: {e}"));
    }
    let v = value.trim();
    let ok = v.split('@').count() == 2
        && !v.starts_with('@')
        && !v.ends_with('@')
        && !v.chars().any(|c| c.is_control() || c.is_whitespace() || "<>,\"".contains(c));
    if !ok {
        bail!("{flag} `{}`: not an address (`user@host` or `Name <user@host>`)", value.escape_debug());
    }
    Ok(v.to_string())
}

/// checkpatch.pl on every patch of every series (the cover letters left
/// out), in order.
fn check(series: &[SeriesReport], tree: &Path, timeout: Duration, progress: Progress) -> Result<Vec<Checked>> {
    let mut out = Vec::new();
    let mails: Vec<(&SeriesReport, &PatchReport)> =
        series.iter().flat_map(|s| s.patches.iter().map(move |p| (s, p))).collect();
    for (i, (s, p)) in mails.iter().enumerate() {
        let _step = progress.step_of(i + 1, mails.len(), format!("checkpatch {}", p.arch));
        let file = s.files.iter().find(|f| f.name == p.file).expect("every patch has its file");
        let findings = checkpatch::check(tree, &file.bytes, timeout).with_context(|| format!("checking {}", p.file))?;
        let shown = if s.dir.is_empty() { p.file.clone() } else { format!("{}/{}", s.dir, p.file) };
        out.push(Checked { file: shown, findings });
    }
    Ok(out)
}

fn print(
    series: &[SeriesReport],
    out: &Path,
    opts: &SeriesOptions,
    range_diffs: &RangeDiffs,
    checked: Option<&[Checked]>,
    global: &GlobalArgs,
) -> Result<()> {
    let dir_of = |s: &SeriesReport| if s.dir.is_empty() { out.to_path_buf() } else { out.join(&s.dir) };
    let golden = range_diffs.golden.as_deref();
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
            "range_diff": golden.map(|rd| rd.iter().map(|r| serde_json::json!({
                "arch": r.arch,
                "same": r.same,
                "golden_missing": r.golden_missing,
                "golden_id": r.golden_id,
                "generated_id": r.generated_id,
            })).collect::<Vec<_>>()),
            "check": checked,
        })),
        Format::Text => emit(&text(series, &dir_of, golden, checked, global.quiet)?),
    }
}

fn text(
    series: &[SeriesReport],
    dir_of: &dyn Fn(&SeriesReport) -> PathBuf,
    golden: Option<&[range_diff::RangeDiff]>,
    checked: Option<&[Checked]>,
    quiet: bool,
) -> Result<String, std::fmt::Error> {
    let mut text = String::new();
    for s in series {
        let tree = s.tree.as_ref().map(|t| format!("  (T: {t})")).unwrap_or_default();
        writeln!(text, "{}{tree}", shown_path(&dir_of(s)))?;
        if let (Some(cover), false) = (&s.cover, quiet) {
            writeln!(text, "  {cover}  To: {}  Cc: {}", s.to.len(), s.cc.len())?;
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
    if let Some(rd) = golden {
        range_diff_lines(&mut text, rd)?;
    }
    for c in checked.unwrap_or_default() {
        let f = &c.findings;
        writeln!(text, "checkpatch {}: {} errors, {} warnings, {} checks", c.file, f.errors, f.warnings, f.checks)?;
        for line in f.lines.iter().filter(|_| !quiet) {
            writeln!(text, "  {line}")?;
        }
    }
    Ok(text)
}

/// The arches grouped by how their patch compares with the golden one.
fn range_diff_lines(text: &mut String, rd: &[range_diff::RangeDiff]) -> std::fmt::Result {
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
    Ok(())
}
