//! `archport review --golden-dir DIR`: walk the changes `check
//! --golden-dir` left pending beside the blessed files, and accept,
//! reject or skip each one, as `cargo insta review` does.
//!
//! On a terminal it asks about each change; `--accept-all` and
//! `--reject-all` decide for all of them in scripts; anywhere else it
//! lists them and changes nothing. With `CI` set nothing is accepted.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use super::{emit, print_json, shown_path, ForceArg, Format, GlobalArgs};
use crate::blessed::{self, Decision, Pending};
use crate::output::{Inputs, OutputDir};

pub const AFTER_HELP: &str =
    "Examples:\n  archport review --golden-dir ci/archport                # asks about each change\n  \
archport review --golden-dir ci/archport --accept-all   # accept them all\n  \
archport review --golden-dir ci/archport --reject-all   # keep the blessed files, drop the changes\n\n\
Each change is a pending file `check --golden-dir` left beside the file it changes: FILE.archport-new \
(the new content) or FILE.archport-gone (no longer generated). Accepting one makes it the blessed file; \
rejecting one removes the pending file. Exit 0 when no change is left pending, 1 otherwise. With CI \
set, nothing is accepted.";

#[derive(Args, Debug)]
pub struct ReviewArgs {
    /// The folder of blessed output (`check --golden-dir DIR`).
    #[arg(long, value_name = "DIR")]
    pub golden_dir: PathBuf,
    /// Accept every pending change (refused when CI is set).
    #[arg(long, conflicts_with = "reject_all")]
    pub accept_all: bool,
    /// Reject every pending change: remove the pending files, keep the blessed ones.
    #[arg(long)]
    pub reject_all: bool,
    #[command(flatten)]
    pub force: ForceArg,
}

/// How the changes are decided, resolved once from the flags and the
/// terminal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    All(Decision),
    /// Ask on the terminal about each change.
    Ask,
    /// Show the changes, decide nothing.
    List,
}

#[derive(Serialize)]
struct Outcome<'a> {
    file: &'a str,
    #[serde(flatten)]
    change: &'a blessed::Change,
    decision: Decision,
}

pub fn run(args: &ReviewArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let dir = &args.golden_dir;
    if !dir.is_dir() {
        bail!("--golden-dir {}: no such folder", dir.display());
    }
    let mode = mode(args, global)?;
    // Files a user put there or edited stay theirs: accepting over one
    // takes --force, and the rest of the review goes on around them.
    let mut out = match args.force.force {
        true => OutputDir::open("--golden-dir", dir, &inputs()?, true)?,
        false => OutputDir::open_beside("--golden-dir", dir, &inputs()?)?,
    };
    let pending = blessed::pending(&out)?;
    let (decided, refused) = walk(&mut out, &pending, mode, dir, global)?;
    let left = pending.len() - decided.iter().filter(|(_, d)| *d != Decision::Skip).count();
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "golden_dir": shown_path(dir),
            "changes": decided.iter().map(|(p, d)| Outcome { file: &p.file, change: &p.change, decision: *d }).collect::<Vec<_>>(),
            "left": left,
        }))?,
        Format::Text => emit(&summary(&decided, left, dir, mode))?,
    }
    if !refused.is_empty() {
        bail!("{} change(s) not applied, the rest of the review went on:\n  {}", refused.len(), refused.join("\n  "));
    }
    Ok(if left == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The changes decided, each with its decision.
type Decided<'p> = Vec<(&'p Pending, Decision)>;

/// Shows and decides each pending change in turn. A change that cannot
/// be applied (a file the user edited, without --force) is refused with
/// its reason and the walk goes on: the decisions made, and the refusals.
fn walk<'p>(
    out: &mut OutputDir,
    pending: &'p [Pending],
    mode: Mode,
    dir: &std::path::Path,
    global: &GlobalArgs,
) -> Result<(Decided<'p>, Vec<String>)> {
    let (mut decided, mut refused) = (Vec::new(), Vec::new());
    for (i, p) in pending.iter().enumerate() {
        if global.format == Format::Text && !(global.quiet && matches!(mode, Mode::All(_))) {
            emit(&show(p, i + 1, pending.len(), global))?;
        }
        let decision = match mode {
            Mode::All(d) => d,
            Mode::List => Decision::Skip,
            Mode::Ask => match ask()? {
                Some(d) => d,
                None => break,
            },
        };
        match blessed::decide(out, p, decision) {
            Ok(()) => decided.push((p, decision)),
            Err(e) => refused.push(format!("{}: {}: {e:#}", shown_path(dir), p.file)),
        }
    }
    Ok((decided, refused))
}

/// How the flags and the terminal say to decide; never accepting in CI.
fn mode(args: &ReviewArgs, global: &GlobalArgs) -> Result<Mode> {
    let mode = match (args.accept_all, args.reject_all) {
        (true, _) => Mode::All(Decision::Accept),
        (_, true) => Mode::All(Decision::Reject),
        _ if std::io::stdin().is_terminal() && global.format == Format::Text => Mode::Ask,
        _ => Mode::List,
    };
    if blessed::in_ci() && matches!(mode, Mode::All(Decision::Accept) | Mode::Ask) {
        bail!("CI is set: pending changes are never accepted in CI; review them on your own machine");
    }
    Ok(mode)
}

/// The folders a review never writes into: the kernel cache and the
/// project's templates.
fn inputs() -> Result<Inputs> {
    let mut inputs = Inputs::default().add("the templates folder", &crate::descriptor::templates_root(None))?;
    if let Ok(cache) = crate::kernel::cache_root(None) {
        inputs = inputs.add("the kernel cache", &cache)?;
    }
    Ok(inputs)
}

/// One pending change: what it is and its diff against the blessed file.
fn show(p: &Pending, n: usize, total: usize, global: &GlobalArgs) -> String {
    let c = &p.change;
    let mut text = format!("[{n}/{total}] {} {}\n", c.what.name(), c.path);
    text.push_str(&crate::color::paint_diff(&c.diff(), global.color.enabled()));
    text
}

/// Asks about one change on the terminal; `None` when input ends.
fn ask() -> Result<Option<Decision>> {
    let stdin = std::io::stdin();
    loop {
        eprint!("accept, reject or skip? [a/r/s] ");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).context("reading the answer")? == 0 {
            eprintln!();
            return Ok(None);
        }
        match line.trim() {
            "a" | "accept" => return Ok(Some(Decision::Accept)),
            "r" | "reject" => return Ok(Some(Decision::Reject)),
            "s" | "skip" | "" => return Ok(Some(Decision::Skip)),
            other => eprintln!("`{other}`: answer a (accept), r (reject) or s (skip)"),
        }
    }
}

fn summary(decided: &[(&Pending, Decision)], left: usize, dir: &std::path::Path, mode: Mode) -> String {
    let count = |d: Decision| decided.iter().filter(|(_, x)| *x == d).count();
    let shown = dir.display();
    if decided.is_empty() && left == 0 {
        return format!("no pending changes in {shown}\n");
    }
    let mut text = format!(
        "{} accepted, {} rejected, {} skipped; {left} pending in {shown}\n",
        count(Decision::Accept),
        count(Decision::Reject),
        count(Decision::Skip)
    );
    if mode == Mode::List && left > 0 {
        text.push_str("not a terminal: pass --accept-all or --reject-all to decide them, or run this on a terminal\n");
    }
    text
}
