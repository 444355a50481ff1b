//! `archport diff` and `archport check`: compare generated ports with
//! the golden ports.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{emit, exit_status, print_json, ArchArgs, DataArgs, ForceArg, Format, GlobalArgs};
use crate::fidelity::{FileStatus, Verdict};
use crate::per_arch::{self, Failure};
use crate::pipeline;
use crate::review::ArchReview;

pub const AFTER_HELP: &str = "Examples:\n  archport diff --arch sparc\n  archport diff --format json | jq .summary\n\n\
Verdicts: identical (byte for byte), equivalent (same code, comments and whitespace aside), \
justified (differs where the golden port is provably wrong), differs. Exit 1 when any arch differs.";

pub const CHECK_AFTER_HELP: &str = "Examples:\n  archport check --quiet || echo 'a port drifted from its golden'\n  \
archport check --golden-dir ci/golden            # compare with your blessed copy\n  \
archport review --golden-dir ci/golden           # accept or reject each change it found\n  \
archport check --golden-dir ci/golden --bless    # show the changes, then accept them all\n\n\
Without --golden-dir: the table and the diff of every file that differs from the golden port \
(--quiet: the summary line only). With --golden-dir: the diff of every file that differs from the \
blessed copy, each new version left beside its file as FILE.archport-new (FILE.archport-gone for a \
file no longer generated) for `archport review`; exit 1. With CI set, nothing is ever accepted.";

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Compare with the generated output blessed into DIR (same layout as `port --out`); a change
    /// is left beside its file as FILE.archport-new for `archport review`.
    #[arg(long, value_name = "DIR")]
    pub golden_dir: Option<PathBuf>,
    /// Write the current output into --golden-dir after showing what changes (accept every change;
    /// refused when CI is set).
    #[arg(long, requires = "golden_dir")]
    pub bless: bool,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Serialize, Default)]
struct Summary {
    identical: usize,
    equivalent: usize,
    justified: usize,
    differs: usize,
}

/// Ports and reviews every arch; an arch whose port fails is reported as
/// an error and counts as `differs`.
fn reviews(args: &DiffArgs, global: &GlobalArgs) -> Result<(String, Vec<ArchReview>, Vec<Failure>)> {
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    let version = args.data.version(progress)?;
    let templates = args.data.templates();
    let outcome = per_arch::each(
        &args.arches.selected(),
        progress,
        |a| format!("port and review {a}"),
        |arch| pipeline::review(&pipeline::port_arch(arch, &tree, &templates)?, &tree, &golden),
    );
    Ok((version, outcome.done, outcome.failed))
}

fn summary(reviews: &[ArchReview], errors: usize) -> Summary {
    let mut s = Summary { differs: errors, ..Summary::default() };
    for r in reviews {
        match r.verdict() {
            Verdict::Identical => s.identical += 1,
            Verdict::Equivalent => s.equivalent += 1,
            Verdict::Justified => s.justified += 1,
            Verdict::Differs => s.differs += 1,
        }
    }
    s
}

pub fn run_diff(args: &DiffArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let detail = if global.quiet { Detail::Files } else { Detail::Diffs };
    show(args, detail, global)
}

pub fn run_check(args: &CheckArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let diff = DiffArgs { arches: args.arches.clone(), data: args.data.clone() };
    show(&diff, Detail::Summary, global)
}

fn show(args: &DiffArgs, detail: Detail, global: &GlobalArgs) -> Result<ExitCode> {
    let (version, reviews, failed) = reviews(args, global)?;
    let s = summary(&reviews, failed.len());
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": version,
            "arches": reviews,
            "errors": failed.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            "summary": s,
        }))?,
        Format::Text if global.quiet && detail == Detail::Summary => emit(&summary_line(&s))?,
        Format::Text => emit(&text(&reviews, &s, detail, global.color.enabled()))?,
    }
    Ok(exit_status(&failed, s.differs == 0))
}

/// The arch counts, on one line.
fn summary_line(s: &Summary) -> String {
    format!(
        "arches: {} identical, {} equivalent, {} justified, {} differ\n",
        s.identical, s.equivalent, s.justified, s.differs
    )
}

/// How much `diff`/`check` print after the table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// `check`: the table, the summary, and the files that are not
    /// identical or equivalent (with their justification and diff);
    /// `check --quiet`: the summary line alone.
    Summary,
    /// `diff --quiet`: every file that is not identical, no diffs.
    Files,
    /// `diff`: and the review diff of each file whose code differs.
    Diffs,
}

fn text(reviews: &[ArchReview], s: &Summary, detail: Detail, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<11} {:>5}  {:<11} {:>14}  {:>13}",
        "arch", "files", "verdict", "template lines", "generic share"
    );
    for r in reviews {
        let share = 100.0 * r.generic_share();
        let _ = writeln!(
            out,
            "{:<11} {:>5}  {:<11} {:>14}  {:>12.0}%",
            r.arch.name(),
            r.files.len(),
            r.verdict().to_string(),
            r.template_lines,
            share
        );
    }
    out.push('\n');
    out.push_str(&summary_line(s));
    for r in reviews.iter().filter(|r| r.verdict() != Verdict::Identical) {
        files(&mut out, r, detail, color);
    }
    out
}

/// The files of one arch that `detail` shows, each with its numbers and
/// (unless only files are asked for) its diff.
fn files(out: &mut String, r: &ArchReview, detail: Detail, color: bool) {
    let shown = |f: &&crate::fidelity::FileComparison| match detail {
        Detail::Summary => !matches!(f.status, FileStatus::Identical | FileStatus::Equivalent),
        _ => f.status != FileStatus::Identical,
    };
    for f in r.files.iter().filter(shown) {
        let why = f.justification.as_deref().map(|j| format!(" — justified: {j}")).unwrap_or_default();
        let more = if f.tokens_at_least { "more than " } else { "" };
        let at_most = if f.similarity_at_most { "at most " } else { "" };
        let _ = writeln!(
            out,
            "\n{}: {} {}, {more}{} code tokens differ, similarity {at_most}{:.2}{why}",
            r.arch, f.path, f.status, f.code_token_diff, f.similarity
        );
        if detail != Detail::Files && f.status != FileStatus::Equivalent {
            if let Some(d) = r.diffs.get(&f.path) {
                out.push_str(&crate::color::paint_diff(d, color));
            }
        }
    }
}
