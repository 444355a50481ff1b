//! `archport check --golden-dir DIR [--bless]`: keep generated output
//! under review in a user's own repository, as insta and compiletest do.
//!
//! `check` compares what archport generates now with the blessed copy in
//! DIR and shows every difference; `--bless` shows the same differences
//! and then writes the current output there, so accepting a change is a
//! deliberate, reviewable step.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::outdir;
use crate::patch::file_diff;
use crate::pipeline;
use crate::progress::Progress;

#[derive(Serialize)]
struct Change {
    path: String,
    /// `changed`, `new` (not blessed yet) or `gone` (blessed, no longer generated).
    what: &'static str,
    #[serde(skip)]
    diff: String,
}

pub fn run(
    arches: &[Arch],
    data: &DataArgs,
    dir: &Path,
    bless: bool,
    global: &GlobalArgs,
    progress: Progress,
) -> Result<ExitCode> {
    let (tree, _) = data.trees(progress)?;
    let templates = data.templates();
    let mut changes = Vec::new();
    let mut ports = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("porting {arch}"));
        let p = pipeline::port_arch(arch, &tree, &templates)?;
        drop(step);
        let now = outdir::files(&p.port);
        let blessed = outdir::existing(dir, &p.port)?;
        for (path, bytes) in &now {
            match blessed.get(path) {
                Some(old) if old == bytes => {}
                Some(old) => changes.push(change(path, "changed", Some(old), Some(bytes))),
                None => changes.push(change(path, "new", None, Some(bytes))),
            }
        }
        for (path, old) in blessed.iter().filter(|(p, _)| !now.contains_key(*p)) {
            changes.push(change(path, "gone", Some(old), None));
        }
        ports.push(p.port);
    }
    match global.format {
        Format::Json => print_json(&serde_json::json!({ "golden_dir": dir, "blessed": bless, "changes": changes }))?,
        Format::Text => {
            for c in &changes {
                println!("{} {}", c.what, c.path);
                if !global.quiet {
                    print!("{}", crate::color::paint_diff(&c.diff, global.color.enabled()));
                }
            }
            let verb = if bless { "blessed" } else { "differ from" };
            match (changes.len(), bless) {
                (0, _) => println!("generated output matches {}", dir.display()),
                (n, _) => println!("{n} files {verb} {}", dir.display()),
            }
            if !bless && !changes.is_empty() {
                println!("accept with: archport check --golden-dir {} --bless", dir.display());
            }
        }
    }
    if bless {
        for p in &ports {
            outdir::write(dir, p)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn change(path: &str, what: &'static str, old: Option<&Vec<u8>>, new: Option<&Vec<u8>>) -> Change {
    let diff =
        String::from_utf8_lossy(&file_diff(path, old.map(|v| v.as_slice()), new.map(|v| v.as_slice()))).into_owned();
    Change { path: path.to_string(), what, diff }
}
