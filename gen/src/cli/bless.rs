//! `archport check --golden-dir DIR [--bless]`: keep generated output
//! under review in a user's own repository, as insta and compiletest do.
//!
//! `check` compares what archport generates now with the blessed copy in
//! DIR and shows every difference; `--bless` shows the same differences
//! and then writes the current output there, so accepting a change is a
//! deliberate, reviewable step.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::diff::CheckArgs;
use super::{emit, exit_status, print_json, shown_path, Format, GlobalArgs};
use crate::output::{port_layout, OutputDir};
use crate::patch::file_diff;
use crate::per_arch;
use crate::pipeline;

#[derive(Serialize)]
struct Change {
    path: String,
    /// `changed`, `new` (not blessed yet) or `gone` (blessed, no longer generated).
    what: &'static str,
    #[serde(skip)]
    diff: String,
}

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let dir = args.golden_dir.as_deref().expect("dispatched here only with --golden-dir");
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    let templates = args.data.templates();
    // Opened before anything is compared, so a folder that cannot be
    // blessed into is refused before the work.
    let mut out = match args.bless {
        true => Some(OutputDir::open("--golden-dir", dir, &args.data.inputs(&tree, &golden)?, args.force.force)?),
        false => None,
    };
    let outcome = per_arch::each(
        &args.arches.selected(),
        progress,
        |a| format!("port {a}"),
        |arch| {
            let p = pipeline::port_arch(arch, &tree, &templates)?;
            let changes = changes(dir, &p.port)?;
            Ok((p.port, changes))
        },
    );
    let changes: Vec<&Change> = outcome.done.iter().flat_map(|(_, c)| c).collect();
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "golden_dir": shown_path(dir),
            "blessed": args.bless,
            "changes": changes,
        }))?,
        Format::Text => emit(&text(&changes, dir, args.bless, global))?,
    }
    let mut failed = outcome.failed;
    if let Some(out) = out.as_mut() {
        for (port, _) in &outcome.done {
            if let Err(error) = port_layout::write(out, port) {
                failed.push(per_arch::Failure { arch: port.arch, error });
            }
        }
    }
    Ok(exit_status(&failed, args.bless || changes.is_empty()))
}

/// What differs between the port's output and the copy blessed in `dir`.
fn changes(dir: &Path, port: &crate::port::Port) -> Result<Vec<Change>> {
    let now = port_layout::files(port);
    let blessed = port_layout::existing(dir, port)?;
    let mut out = Vec::new();
    for (path, bytes) in &now {
        match blessed.get(path) {
            Some(old) if old == bytes => {}
            Some(old) => out.push(change(path, "changed", Some(old), Some(bytes))),
            None => out.push(change(path, "new", None, Some(bytes))),
        }
    }
    for (path, old) in blessed.iter().filter(|(p, _)| !now.contains_key(*p)) {
        out.push(change(path, "gone", Some(old), None));
    }
    Ok(out)
}

fn text(changes: &[&Change], dir: &Path, bless: bool, global: &GlobalArgs) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = writeln!(out, "{} {}", c.what, c.path);
        if !global.quiet {
            out.push_str(&crate::color::paint_diff(&c.diff, global.color.enabled()));
        }
    }
    let verb = if bless { "blessed" } else { "differ from" };
    match changes.len() {
        0 => {
            let _ = writeln!(out, "generated output matches {}", dir.display());
        }
        n => {
            let _ = writeln!(out, "{n} files {verb} {}", dir.display());
        }
    }
    if !bless && !changes.is_empty() {
        let _ = writeln!(out, "accept with: archport check --golden-dir {} --bless", dir.display());
    }
    out
}

fn change(path: &str, what: &'static str, old: Option<&Vec<u8>>, new: Option<&Vec<u8>>) -> Change {
    let diff =
        String::from_utf8_lossy(&file_diff(path, old.map(|v| v.as_slice()), new.map(|v| v.as_slice()))).into_owned();
    Change { path: path.to_string(), what, diff }
}
