//! `archport compile`: build each generated port (or the golden tree)
//! with real compilers, or the host gcc's front end where Debian has no
//! compiler, and print what compiled. The work is `crate::compile`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use std::fmt::Write as _;

use super::{emit, exit_status, print_json, shown_path, ArchArgs, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::compile::{self, ArchBuild, Diagnostic, Missing, Options, Source};
use crate::descriptor;
use crate::per_arch::{self, Failure};
use crate::pipeline;

pub const AFTER_HELP: &str = "Examples:\n  archport compile                         # every generated port\n  \
archport compile --arch arm --arch x86 --baseline\n  archport compile --golden                # the golden tree, for comparison\n  \
archport compile --clean                 # remove the cached build folders\n\n\
Builds, per arch and config of its [build] recipe, the objects the port touches plus mm/highmem.o \
in a hard-linked scratch tree under <cache>/build (kept, so later runs rebuild only what changed). \
csky, microblaze, nds32 and xtensa have no Debian compiler: the host gcc checks them through Kbuild, \
front end only. Exit 0 when every arch builds, 1 when one fails, 2 when an arch named with --arch \
has no compiler installed (the message names the Debian package).";

#[derive(Args, Debug)]
pub struct CompileArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    /// The tree to port and build [default: the fetched pre-port tree].
    #[arg(long, value_name = "DIR")]
    pub tree: Option<PathBuf>,
    /// Build the golden tree instead of the generated ports [default: the fetched golden tree].
    #[arg(long)]
    pub golden: bool,
    /// The golden tree for --golden.
    #[arg(long, value_name = "DIR", requires = "golden")]
    pub golden_tree: Option<PathBuf>,
    /// Also build the input tree as it is, and mark the warnings in touched files it has too.
    #[arg(long)]
    pub baseline: bool,
    /// make -j [default: one job per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Remove every cached build folder (<cache>/build) and build nothing.
    #[arg(long)]
    pub clean: bool,
    /// An arch-templates folder with your own descriptors [default: the project's].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Cache folder for the fetched kernel and the build folders [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
}

/// One arch's outcome.
#[derive(Serialize)]
struct ArchResult {
    #[serde(flatten)]
    build: ArchBuild,
    /// With --baseline: warnings in touched files the input tree lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_warnings: Option<Vec<Diagnostic>>,
}

#[derive(Serialize)]
struct Skipped {
    arch: Arch,
    missing: Vec<Missing>,
}

#[derive(Serialize)]
struct Report {
    source: Source,
    tree: String,
    arches: Vec<ArchResult>,
    skipped: Vec<Skipped>,
}

pub fn run(args: &CompileArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let cache = crate::kernel::cache_root(args.cache.as_deref())?;
    if args.clean {
        return clean(&cache, global);
    }
    let (tree, golden) = trees(args, global)?;
    let templates = descriptor::templates_root(args.templates.as_deref());
    let mut opts = Options::new(cache, progress);
    if let Some(j) = args.jobs {
        opts.jobs = j;
    }
    let mut report = Report {
        source: if golden.is_some() { Source::Golden } else { Source::Port },
        tree: shown_path(golden.as_deref().unwrap_or(&tree)),
        arches: Vec::new(),
        skipped: Vec::new(),
    };
    let outcome = per_arch::each_in_turn(
        &args.arches.selected(),
        progress,
        |a| format!("compile {a}"),
        |arch| compile_arch(arch, args, &tree, golden.as_deref(), &templates, &opts),
    );
    for r in outcome.done {
        match r {
            Ok(a) => report.arches.push(a),
            Err(s) => report.skipped.push(s),
        }
    }
    match global.format {
        Format::Json => print_json(&report)?,
        Format::Text => emit(&text(&report, global.quiet))?,
    }
    let failed = skipped_named(args, &report.skipped, outcome.failed);
    Ok(exit_status(&failed, report.arches.iter().all(|a| a.build.ok())))
}

/// The input tree (given, or the fetched pre-port tree) and, with
/// `--golden`, the golden tree to build instead of the port.
fn trees(args: &CompileArgs, global: &GlobalArgs) -> Result<(PathBuf, Option<PathBuf>)> {
    let data = DataArgs { cache: args.cache.clone(), tree: args.tree.clone(), ..DataArgs::default() };
    let tree = match data.user_tree()? {
        Some(t) => t.to_path_buf(),
        None => data.kernel(global.progress())?.pre_port,
    };
    let golden = match (&args.golden, &args.golden_tree) {
        (false, _) => None,
        (true, Some(p)) => Some(crate::kernel::check_kernel_tree(p).map(|_| p.clone())?),
        (true, None) => Some(data.kernel(global.progress())?.golden),
    };
    Ok((tree, golden))
}

/// One arch built (the port, or the golden tree), with the warnings the
/// input tree does not have when `--baseline` asks; skipped when its
/// compiler is missing.
fn compile_arch(
    arch: Arch,
    args: &CompileArgs,
    tree: &Path,
    golden: Option<&Path>,
    templates: &Path,
    opts: &Options,
) -> Result<Result<ArchResult, Skipped>> {
    let spec = descriptor::load(templates, arch)?;
    let toolchain = match compile::find_toolchain(&spec)? {
        Ok(t) => t,
        Err(missing) => return Ok(Err(Skipped { arch, missing })),
    };
    let build = match golden {
        Some(g) => compile::build(&compile::golden_target(&spec, tree, g)?, &toolchain, opts)?,
        None => {
            let ported = pipeline::port_arch(arch, tree, templates)?;
            compile::build_port(&ported.spec, &ported.port, tree, &toolchain, opts)?
        }
    };
    let new_warnings = if args.baseline {
        let input = compile::build(&compile::input_target(&spec, tree), &toolchain, opts)?;
        Some(compile::new_warnings(&build, &input).into_iter().cloned().collect())
    } else {
        None
    };
    Ok(Ok(ArchResult { build, new_warnings }))
}

/// A missing compiler is bad input for an arch the user named, and a
/// note for the others.
fn skipped_named(args: &CompileArgs, skipped: &[Skipped], mut failed: Vec<Failure>) -> Vec<Failure> {
    for s in skipped {
        let what: Vec<String> = s.missing.iter().map(|m| m.to_string()).collect();
        let message = format!("no compiler: {}", what.join("; "));
        if args.arches.arches.contains(&s.arch) {
            failed.push(Failure { arch: s.arch, error: anyhow::anyhow!(message) });
        } else {
            eprintln!("archport: {}: skipped, {message}", s.arch);
        }
    }
    failed
}

fn clean(cache: &Path, global: &GlobalArgs) -> Result<ExitCode> {
    let removed = compile::clean(cache)?;
    match global.format {
        Format::Json => print_json(&serde_json::json!({ "removed": removed }))?,
        Format::Text => match &removed {
            Some(dir) => emit(&format!("removed {}\n", dir.display()))?,
            None => emit(&format!("no build folders under {}\n", cache.display()))?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn text(report: &Report, quiet: bool) -> String {
    let mut out = String::new();
    let what = match report.source {
        Source::Golden => "the golden tree",
        _ => "the generated ports",
    };
    let _ = writeln!(out, "compile: {what} ({})", report.tree);
    let _ = writeln!(out, "{:<11} {:<24} {:>7}  {:<22} compiler", "arch", "result", "time", "configs");
    for a in &report.arches {
        row(&mut out, &a.build);
    }
    for a in &report.arches {
        details(&mut out, a, quiet);
    }
    let count = |f: &dyn Fn(&ArchBuild) -> bool| report.arches.iter().filter(|a| f(&a.build)).count();
    let _ = writeln!(
        out,
        "\n{}/{} arches: {} build, {} pass the front end only, {} fail{}",
        count(&|b| b.ok()),
        report.arches.len() + report.skipped.len(),
        count(&|b| b.ok() && !b.front_end_only()),
        count(&|b| b.ok() && b.front_end_only()),
        count(&|b| !b.ok()),
        if report.skipped.is_empty() { String::new() } else { format!(", {} skipped", report.skipped.len()) }
    );
    out
}

/// The table's line for one arch.
fn row(out: &mut String, b: &ArchBuild) {
    let configs: Vec<&str> = b.configs.iter().map(|c| c.name.as_str()).collect();
    let compiler = if b.front_end_only() {
        format!("host {} (front end only)", b.toolchain.version)
    } else {
        b.toolchain.version.clone()
    };
    let _ = writeln!(
        out,
        "{:<11} {:<24} {:>6.1}s  {:<22} {compiler}",
        b.arch.name(),
        b.verdict(),
        b.seconds,
        configs.join(",")
    );
}

/// An arch's problems, its diagnostics in touched files, and the first
/// lines of failures elsewhere.
fn details(out: &mut String, a: &ArchResult, quiet: bool) {
    let b = &a.build;
    let touched: Vec<&Diagnostic> = b.in_touched_files().collect();
    if b.ok() && touched.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}: {}", b.arch, b.verdict());
    for p in &b.problems {
        let _ = writeln!(out, "  {p}");
    }
    for d in &touched {
        let known = a.new_warnings.as_ref().is_some_and(|n| !n.contains(d)) && d.severity == compile::Severity::Warning;
        let _ = writeln!(out, "  {d}{}", if known { "  (the input tree has it too)" } else { "" });
    }
    if quiet {
        return;
    }
    let elsewhere: Vec<&Diagnostic> = b.errors_elsewhere().collect();
    if !elsewhere.is_empty() {
        let _ = writeln!(out, "  errors in files the port does not touch:");
        for d in elsewhere.iter().take(8) {
            let _ = writeln!(out, "    {d}");
        }
    }
    for c in b.configs.iter().filter(|c| !c.first_error_lines.is_empty()) {
        let _ = writeln!(out, "  config {}: unrelated to the port's files (first lines):", c.name);
        for l in &c.first_error_lines {
            let _ = writeln!(out, "    {l}");
        }
    }
}
