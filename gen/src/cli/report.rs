//! `archport report --html FILE`: the review report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{emit, print_json, shown_path, ArchArgs, DataArgs, ForceArg, Format, GlobalArgs};
use crate::output;
use crate::per_arch;
use crate::pipeline;
use crate::report;

pub const AFTER_HELP: &str = "Example:\n  archport report --html review.html && chromium review.html\n\n\
The page needs no network: the summary table and a legend, and per arch every file (identical ones \
folded), the golden file beside the generated one (changed words marked, comments set apart, \
whitespace-only changes hideable), the hooks with their effects and C, the model verdict and the \
patch. An existing FILE is replaced only if archport wrote it (or with --force).";

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Where to write the HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
}

pub fn run(args: &ReportArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let html = &args.html;
    // A mistyped folder is an error, not a new folder.
    if let Some(dir) = html.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
        anyhow::bail!("--html {}: the folder {} does not exist", html.display(), dir.display());
    }
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    let inputs = args.data.inputs(&tree, &golden)?;
    inputs.refuse("--html", html)?;
    let version = args.data.version(progress)?;
    let templates = args.data.templates();
    let entries = per_arch::each(
        &args.arches.selected(),
        progress,
        |a| format!("review {a}"),
        |arch| report::arch_entry(&pipeline::port_arch(arch, &tree, &templates)?, &tree, &golden),
    )
    .all("no report is written")?;
    let page = report::render(&version, &entries)?;
    output::write_file("--html", html, page.as_bytes(), &inputs, args.force.force, report::is_report)?;
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "html": shown_path(html),
            "arches": entries.iter().map(|e| serde_json::json!({
                "arch": e.review.arch,
                "verdict": e.review.verdict(),
                "model": e.model.status,
            })).collect::<Vec<_>>(),
        }))?,
        Format::Text if !global.quiet => emit(&format!("wrote {} ({} arches)\n", html.display(), entries.len()))?,
        Format::Text => {}
    }
    Ok(ExitCode::SUCCESS)
}
