//! `archport golden`: the auditable split of the RT patch into ports.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{emit, print_json, ArchArgs, DataArgs, Format, GlobalArgs, GoldenPatchArg};
use crate::golden::{self, GoldenPort, HunkEntry};

pub const AFTER_HELP: &str = "Examples:\n  archport golden --arch arm --arch x86\n  \
archport golden --format json | jq '.arches[0].files'\n  archport golden --golden-patch my-series.patch";

#[derive(Args, Debug)]
pub struct GoldenArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
    #[command(flatten)]
    pub golden_patch: GoldenPatchArg,
}

#[derive(Serialize)]
struct Report<'a> {
    version: &'a str,
    patch: String,
    arches: &'a [GoldenPort],
}

pub fn run(args: &GoldenArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let data = DataArgs { cache: args.cache.clone(), ..DataArgs::default() };
    let gp = data.golden_patch(args.golden_patch.path.as_deref(), global.progress())?;
    let ports = golden::extract(&gp.patch, &args.arches.selected());
    match global.format {
        Format::Json => {
            print_json(&Report {
                version: &gp.version,
                patch: gp.path.to_string_lossy().into_owned(),
                arches: &ports,
            })?;
        }
        Format::Text => {
            let mut text = format!("golden ports from {} ({})\n", gp.path.display(), gp.version);
            for port in &ports {
                port_text(&mut text, port, global.quiet)?;
            }
            emit(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn port_text(out: &mut String, port: &GoldenPort, quiet: bool) -> std::fmt::Result {
    let taken: usize = port.files.iter().map(|f| f.taken.len()).sum();
    let left: usize = port.files.iter().map(|f| f.left.len()).sum();
    let (added, removed) =
        port.files.iter().flat_map(|f| &f.taken).fold((0, 0), |(a, r), h| (a + h.added, r + h.removed));
    writeln!(
        out,
        "\n{}: {} files in the port ({} in the RT patch), {} hunks taken (+{} -{}), {} left",
        port.arch,
        port.port_files().count(),
        port.files.len(),
        taken,
        added,
        removed,
        left
    )?;
    if quiet {
        return Ok(());
    }
    for file in &port.files {
        let note = if file.deleted_by_port() { "  (deleted)" } else { "" };
        writeln!(out, "  {}{note}", file.path)?;
        for (what, hunks) in [("taken", &file.taken), ("left ", &file.left)] {
            for h in hunks {
                writeln!(out, "    {what} {}", line(h))?;
            }
        }
    }
    Ok(())
}

fn line(h: &HunkEntry) -> String {
    let mut first: String = h.first_change.chars().take(60).collect();
    if first.len() < h.first_change.len() {
        first.push('…');
    }
    format!("{:<28} {:<62} {}", h.header, first.replace('\t', "    "), h.reason)
}
