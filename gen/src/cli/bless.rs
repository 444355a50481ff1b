//! `archport check --golden-dir DIR [--bless]`: keep generated output
//! under review in a user's own repository, the way insta does.
//!
//! `check` compares what archport generates now with the copy blessed in
//! DIR, shows every difference, and leaves each new version beside the
//! file it changes as a pending file (`blessed`), never over it; `archport
//! review` then accepts or rejects each one. `--bless` accepts them all
//! at once: it shows the same differences and writes the current output
//! into DIR. With `CI` set nothing is ever accepted.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::diff::CheckArgs;
use super::{emit, exit_status, print_json, shown_path, Format, GlobalArgs};
use crate::arch::Arch;
use crate::blessed::{self, Change, What};
use crate::output::{port_layout, OutputDir};
use crate::per_arch::{self, Failure};
use crate::pipeline;

/// One arch compared with its blessed copy.
struct ArchChanges {
    arch: Arch,
    changes: Vec<Change>,
    /// Nothing of this arch was blessed before.
    first_time: bool,
}

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let dir = args.golden_dir.as_deref().expect("dispatched here only with --golden-dir");
    refuse_early(dir, args)?;
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    let templates = args.data.templates();
    let inputs = args.data.inputs(&tree, &golden)?;
    // Opened before anything is compared, so a folder that cannot be
    // blessed into is refused before the work.
    let mut out = match args.bless {
        true => Some(OutputDir::open("--golden-dir", dir, &inputs, args.force.force)?),
        false => None,
    };
    let outcome = per_arch::each(
        &args.arches.selected(),
        progress,
        |a| format!("port {a}"),
        |arch| {
            let p = pipeline::port_arch(arch, &tree, &templates)?;
            let changes = blessed::changes(dir, &p.port)?;
            let first_time = !changes.is_empty()
                && changes.iter().all(|c| c.what == What::New)
                && changes.len() == port_layout::files(&p.port).len();
            Ok((p.port, ArchChanges { arch, changes, first_time }))
        },
    );
    let mut failed = outcome.failed;
    let pending = write_changes(out.as_mut(), dir, &inputs, &outcome.done, &mut failed);
    let arches: Vec<&ArchChanges> = outcome.done.iter().map(|(_, a)| a).collect();
    print(&arches, &pending, dir, args, global)?;
    let changed = arches.iter().any(|a| !a.changes.is_empty());
    Ok(exit_status(&failed, args.bless || !changed))
}

fn print(arches: &[&ArchChanges], pending: &[String], dir: &Path, args: &CheckArgs, global: &GlobalArgs) -> Result<()> {
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "golden_dir": shown_path(dir),
            "blessed": args.bless,
            "changes": arches.iter().flat_map(|a| &a.changes).collect::<Vec<_>>(),
            "pending": pending,
            "first_time": arches.iter().filter(|a| a.first_time).map(|a| a.arch).collect::<Vec<_>>(),
        })),
        Format::Text => emit(&text(arches, dir, args, global)),
    }
}

/// Refuses, before any work, a bless in CI and a check of a folder
/// where nothing is blessed (a mistyped path).
fn refuse_early(dir: &Path, args: &CheckArgs) -> Result<()> {
    if args.bless && blessed::in_ci() {
        bail!("CI is set: --bless accepts every change, and nothing is accepted in CI; bless on your own machine");
    }
    if !args.bless && blessed::holds_nothing(dir) {
        bail!(
            "--golden-dir {}: nothing is blessed there (is the path right?); to bless the current output: {}",
            dir.display(),
            command(dir, args, "--bless")
        );
    }
    Ok(())
}

/// Blesses the new output (`out`, with --bless) or leaves it pending
/// beside the blessed files; returns the pending files written.
fn write_changes(
    out: Option<&mut OutputDir>,
    dir: &Path,
    inputs: &crate::output::Inputs,
    done: &[(crate::port::Port, ArchChanges)],
    failed: &mut Vec<Failure>,
) -> Vec<String> {
    let mut pending = Vec::new();
    match out {
        Some(out) => {
            for (port, _) in done {
                if let Err(error) = port_layout::write(out, port) {
                    failed.push(Failure { arch: port.arch, error });
                }
            }
        }
        None => {
            let mut beside = None;
            for (_, a) in done {
                match write_pending(dir, inputs, &mut beside, a) {
                    Ok(files) => pending.extend(files),
                    Err(error) => failed.push(Failure { arch: a.arch, error }),
                }
            }
        }
    }
    pending
}

/// Leaves the pending files of one arch beside the blessed ones (and
/// removes those an earlier check left that no longer apply); the folder
/// is opened on the first arch that needs it, so a check that finds
/// nothing writes nothing.
fn write_pending(
    dir: &Path,
    inputs: &crate::output::Inputs,
    beside: &mut Option<OutputDir>,
    a: &ArchChanges,
) -> Result<Vec<String>> {
    if beside.is_none() {
        if a.changes.is_empty() && !has_pending_file(dir, a.arch) {
            return Ok(Vec::new());
        }
        *beside = Some(OutputDir::open_beside("--golden-dir", dir, inputs)?);
    }
    if a.changes.is_empty() && !has_pending_file(dir, a.arch) {
        return Ok(Vec::new());
    }
    let out = beside.as_mut().expect("opened above");
    blessed::write_pending(out, a.arch.name(), &a.changes)?;
    Ok(a.changes.iter().map(|c| c.pending_file().0).collect())
}

/// Whether any file below `dir` looks like a pending change of `arch`.
fn has_pending_file(dir: &Path, arch: Arch) -> bool {
    walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()).any(|e| {
        let rel = e.path().strip_prefix(dir).unwrap_or(e.path()).to_string_lossy();
        port_layout::pending_target(&rel).is_some() && port_layout::in_arch(arch.name(), &rel)
    })
}

fn text(arches: &[&ArchChanges], dir: &Path, args: &CheckArgs, global: &GlobalArgs) -> String {
    let mut out = String::new();
    let count: usize = arches.iter().map(|a| a.changes.len()).sum();
    if !global.quiet {
        for a in arches {
            changes(&mut out, a, args.bless, global.color.enabled());
        }
    }
    let shown = dir.display();
    let files = |n: usize| if n == 1 { "1 file".to_string() } else { format!("{n} files") };
    let _ = match (count, args.bless) {
        (0, _) => writeln!(out, "generated output matches {shown}"),
        (n, true) => writeln!(out, "{} blessed into {shown}", files(n)),
        (n, false) => writeln!(
            out,
            "{} {} from {shown}; each new version waits beside its file (*{})",
            files(n),
            if n == 1 { "differs" } else { "differ" },
            port_layout::PENDING_NEW
        ),
    };
    if count > 0 && !args.bless && !global.quiet {
        let _ = writeln!(out, "review each: archport review --golden-dir {}", shell_word(&shown.to_string()));
        let _ = writeln!(out, "accept all:  {}", command(dir, args, "--bless"));
        if blessed::in_ci() {
            let _ = writeln!(out, "(CI is set: nothing is accepted here; run these on your own machine)");
        }
    }
    out
}

/// One arch's changes: a line for an arch blessed the first time, else
/// each changed file with its diff.
fn changes(out: &mut String, a: &ArchChanges, bless: bool, color: bool) {
    if a.first_time {
        let n = a.changes.len();
        let _ = match bless {
            true => writeln!(out, "{}: blessed {n} files (nothing of {} was blessed before)", a.arch, a.arch),
            false => writeln!(out, "{}: nothing blessed yet; {n} new files", a.arch),
        };
        return;
    }
    for c in &a.changes {
        let _ = writeln!(out, "{} {}", c.what.name(), c.path);
        out.push_str(&crate::color::paint_diff(&c.diff(), color));
    }
}

/// `archport check --golden-dir DIR` with every flag of `args` that
/// changes what is generated, and `extra`: a command that, run as
/// printed, works on the same output.
fn command(dir: &Path, args: &CheckArgs, extra: &str) -> String {
    let mut words = vec!["archport".to_string(), "check".to_string(), "--golden-dir".to_string()];
    words.push(shell_word(&dir.display().to_string()));
    for a in &args.arches.arches {
        words.extend(["--arch".to_string(), a.name().to_string()]);
    }
    let data = &args.data;
    let cache_from_env = std::env::var_os("ARCHPORT_CACHE").map(std::path::PathBuf::from);
    let flags = [
        ("--cache", data.cache.as_ref().filter(|c| cache_from_env.as_ref() != Some(*c))),
        ("--tree", data.tree.as_ref()),
        ("--templates", data.templates.as_ref()),
    ];
    for (flag, value) in flags {
        if let Some(v) = value {
            words.extend([flag.to_string(), shell_word(&v.display().to_string())]);
        }
    }
    words.push(extra.to_string());
    words.join(" ")
}

/// `s` as one shell word: as it is when it needs no quoting, else in
/// single quotes.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("ci/golden-1"), "ci/golden-1");
        assert_eq!(shell_word("my dir"), "'my dir'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
