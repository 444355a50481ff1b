//! `archport golden`: the auditable split of the RT patch into ports.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::golden::{self, GoldenPort, HunkEntry};
use crate::progress::Progress;

#[derive(Serialize)]
struct Report<'a> {
    version: &'a str,
    patch: String,
    arches: &'a [GoldenPort],
}

pub fn run(
    arches: &[Arch],
    data: &DataArgs,
    golden_patch: Option<&std::path::Path>,
    global: &GlobalArgs,
    progress: Progress,
) -> Result<ExitCode> {
    let gp = data.golden_patch(golden_patch, progress)?;
    let ports = golden::extract(&gp.patch, arches);
    match global.format {
        Format::Json => {
            print_json(&Report { version: &gp.version, patch: gp.path.display().to_string(), arches: &ports })?;
        }
        Format::Text => {
            println!("golden ports from {} ({})", gp.path.display(), gp.version);
            for port in &ports {
                print_port(port, global.quiet);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_port(port: &GoldenPort, quiet: bool) {
    let taken: usize = port.files.iter().map(|f| f.taken.len()).sum();
    let left: usize = port.files.iter().map(|f| f.left.len()).sum();
    let (added, removed) =
        port.files.iter().flat_map(|f| &f.taken).fold((0, 0), |(a, r), h| (a + h.added, r + h.removed));
    println!(
        "\n{}: {} files in the port ({} in the RT patch), {} hunks taken (+{} -{}), {} left",
        port.arch,
        port.port_files().count(),
        port.files.len(),
        taken,
        added,
        removed,
        left
    );
    if quiet {
        return;
    }
    for file in &port.files {
        let note = if file.deleted_by_port() { "  (deleted)" } else { "" };
        println!("  {}{note}", file.path);
        for (what, hunks) in [("taken", &file.taken), ("left ", &file.left)] {
            for h in hunks {
                println!("    {what} {}", line(h));
            }
        }
    }
}

fn line(h: &HunkEntry) -> String {
    let mut first: String = h.first_change.chars().take(60).collect();
    if first.len() < h.first_change.len() {
        first.push('…');
    }
    format!("{:<28} {:<62} {}", h.header, first.replace('\t', "    "), h.reason)
}
