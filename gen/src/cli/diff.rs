//! `archport diff` and `archport check`: compare generated ports with
//! the golden ports.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::fidelity::{FileStatus, Verdict};
use crate::pipeline;
use crate::progress::Progress;
use crate::review::ArchReview;

#[derive(Serialize, Default)]
struct Summary {
    identical: usize,
    equivalent: usize,
    justified: usize,
    differs: usize,
}

/// Ports and reviews every arch; an arch whose port fails is reported as
/// an error line and counts as `differs`.
fn reviews(arches: &[Arch], data: &DataArgs, progress: Progress) -> Result<(String, Vec<ArchReview>, Vec<String>)> {
    let (tree, golden) = data.trees(progress)?;
    let version = data.version(progress)?;
    let templates = data.templates();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("porting and reviewing {arch}"));
        match pipeline::port_arch(arch, &tree, &templates).and_then(|p| pipeline::review(&p, &tree, &golden)) {
            Ok(r) => out.push(r),
            Err(e) => errors.push(format!("{e:#}")),
        }
        drop(step);
    }
    Ok((version, out, errors))
}

fn summary(reviews: &[ArchReview], errors: usize) -> Summary {
    let mut s = Summary { differs: errors, ..Summary::default() };
    for r in reviews {
        match r.verdict {
            Verdict::Identical => s.identical += 1,
            Verdict::Equivalent => s.equivalent += 1,
            Verdict::Justified => s.justified += 1,
            Verdict::Differs => s.differs += 1,
        }
    }
    s
}

pub fn run(arches: &[Arch], data: &DataArgs, check: bool, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let (version, reviews, errors) = reviews(arches, data, progress)?;
    let s = summary(&reviews, errors.len());
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": version,
            "arches": reviews,
            "errors": errors,
            "summary": s,
        }))?,
        Format::Text => print_text(
            &reviews,
            &s,
            if check {
                Detail::Summary
            } else if global.quiet {
                Detail::Files
            } else {
                Detail::Diffs
            },
            global.color.enabled(),
        ),
    }
    for e in &errors {
        eprintln!("archport: error: {e}");
    }
    if !errors.is_empty() {
        return Ok(ExitCode::from(2));
    }
    Ok(if s.differs == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// How much `diff`/`check` print after the table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// `check`: the table, the summary, and the files that are not
    /// identical or equivalent (with their justification).
    Summary,
    /// `diff --quiet`: every file that is not identical, no diffs.
    Files,
    /// `diff`: and the review diff of each file whose code differs.
    Diffs,
}

fn print_text(reviews: &[ArchReview], s: &Summary, detail: Detail, color: bool) {
    println!("{:<11} {:>5}  {:<11} {:>14}  {:>13}", "arch", "files", "verdict", "template lines", "generic share");
    for r in reviews {
        let share = if r.golden_added_lines == 0 {
            100.0
        } else {
            100.0 * r.generic_added_lines as f64 / r.golden_added_lines as f64
        };
        println!(
            "{:<11} {:>5}  {:<11} {:>14}  {:>12.0}%",
            r.arch.name(),
            r.files.len(),
            format!("{:?}", r.verdict).to_lowercase(),
            r.template_lines,
            share
        );
    }
    println!(
        "\narches: {} identical, {} equivalent, {} justified, {} differ",
        s.identical, s.equivalent, s.justified, s.differs
    );
    for r in reviews.iter().filter(|r| r.verdict != Verdict::Identical) {
        let shown = |f: &&crate::fidelity::FileComparison| match detail {
            Detail::Summary => !matches!(f.status, FileStatus::Identical | FileStatus::Equivalent),
            _ => f.status != FileStatus::Identical,
        };
        for f in r.files.iter().filter(shown) {
            let why = f.justification.as_deref().map(|j| format!(" — justified: {j}")).unwrap_or_default();
            println!(
                "\n{}: {} {:?}, {} code tokens differ, similarity {:.2}{why}",
                r.arch, f.path, f.status, f.code_token_diff, f.similarity
            );
            if detail == Detail::Diffs && f.status != FileStatus::Equivalent {
                if let Some(d) = r.diffs.get(&f.path) {
                    print!("{}", crate::color::paint_diff(d, color));
                }
            }
        }
    }
}
