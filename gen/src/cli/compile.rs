//! `archport compile`: build each generated port (or the golden tree)
//! with real compilers, or the host gcc's front end where Debian has no
//! compiler, and print what compiled. The work is `crate::compile`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::compile::{self, ArchBuild, Diagnostic, Missing, Options, Source};
use crate::descriptor;
use crate::pipeline;
use crate::progress::Progress;

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Only these arches (repeatable); default all ten.
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<Arch>,
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
    tree: PathBuf,
    arches: Vec<ArchResult>,
    skipped: Vec<Skipped>,
}

pub fn run(args: &CompileArgs, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let cache = crate::kernel::cache_root(args.cache.as_deref())?;
    if args.clean {
        return clean(&cache, global);
    }
    let data = DataArgs { cache: args.cache.clone(), tree: args.tree.clone(), ..DataArgs::default() };
    let tree = match data.user_tree()? {
        Some(t) => t.to_path_buf(),
        None => data.kernel(progress)?.pre_port,
    };
    let golden = match (&args.golden, &args.golden_tree) {
        (false, _) => None,
        (true, Some(p)) => Some(crate::kernel::check_kernel_tree(p).map(|_| p.clone())?),
        (true, None) => Some(data.kernel(progress)?.golden),
    };
    let templates = descriptor::templates_root(args.templates.as_deref());
    let mut opts = Options::new(cache, progress);
    if let Some(j) = args.jobs {
        opts.jobs = j;
    }
    let mut report = Report {
        source: if golden.is_some() { Source::Golden } else { Source::Port },
        tree: golden.clone().unwrap_or_else(|| tree.clone()),
        arches: Vec::new(),
        skipped: Vec::new(),
    };
    for arch in Arch::selected(&args.arches) {
        let spec = descriptor::load(&templates, arch)?;
        let toolchain = match compile::find_toolchain(&spec)? {
            Ok(t) => t,
            Err(missing) => {
                report.skipped.push(Skipped { arch, missing });
                continue;
            }
        };
        let build = match &golden {
            Some(g) => compile::build(&compile::golden_target(&spec, &tree, g)?, &toolchain, &opts)?,
            None => {
                let ported = pipeline::port_arch(arch, &tree, &templates)?;
                compile::build_port(&ported.spec, &ported.port, &tree, &toolchain, &opts)?
            }
        };
        let new_warnings = if args.baseline {
            let input = compile::build(&compile::input_target(&spec, &tree), &toolchain, &opts)?;
            Some(compile::new_warnings(&build, &input).into_iter().cloned().collect())
        } else {
            None
        };
        report.arches.push(ArchResult { build, new_warnings });
    }
    match global.format {
        Format::Json => print_json(&report)?,
        Format::Text => print_text(&report, global.quiet),
    }
    for s in &report.skipped {
        let what: Vec<String> = s.missing.iter().map(|m| m.to_string()).collect();
        eprintln!("archport: {}: skipped: {}", s.arch, what.join("; "));
    }
    let named_and_skipped = report.skipped.iter().any(|s| args.arches.contains(&s.arch));
    Ok(if named_and_skipped {
        ExitCode::from(2)
    } else if report.arches.iter().all(|a| a.build.ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn clean(cache: &std::path::Path, global: &GlobalArgs) -> Result<ExitCode> {
    let removed = compile::clean(cache)?;
    match global.format {
        Format::Json => print_json(&serde_json::json!({ "removed": removed }))?,
        Format::Text => match &removed {
            Some(dir) => println!("removed {}", dir.display()),
            None => println!("no build folders under {}", cache.display()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(report: &Report, quiet: bool) {
    let what = match report.source {
        Source::Golden => "the golden tree",
        _ => "the generated ports",
    };
    println!("compile: {what} ({})", report.tree.display());
    println!("{:<11} {:<24} {:>7}  {:<22} compiler", "arch", "result", "time", "configs");
    for a in &report.arches {
        let b = &a.build;
        let configs: Vec<&str> = b.configs.iter().map(|c| c.name.as_str()).collect();
        let compiler = if b.front_end_only() {
            format!("host {} (front end only)", b.toolchain.version)
        } else {
            b.toolchain.version.clone()
        };
        println!("{:<11} {:<24} {:>6.1}s  {:<22} {compiler}", b.arch.name(), b.verdict(), b.seconds, configs.join(","));
    }
    for a in &report.arches {
        print_details(a, quiet);
    }
    let count = |f: &dyn Fn(&ArchBuild) -> bool| report.arches.iter().filter(|a| f(&a.build)).count();
    println!(
        "\n{}/{} arches: {} build, {} pass the front end only, {} fail{}",
        count(&|b| b.ok()),
        report.arches.len() + report.skipped.len(),
        count(&|b| b.ok() && !b.front_end_only()),
        count(&|b| b.ok() && b.front_end_only()),
        count(&|b| !b.ok()),
        if report.skipped.is_empty() { String::new() } else { format!(", {} skipped", report.skipped.len()) }
    );
}

/// An arch's problems, its diagnostics in touched files, and the first
/// lines of failures elsewhere.
fn print_details(a: &ArchResult, quiet: bool) {
    let b = &a.build;
    let touched: Vec<&Diagnostic> = b.in_touched_files().collect();
    if b.ok() && touched.is_empty() {
        return;
    }
    println!("\n{}: {}", b.arch, b.verdict());
    for p in &b.problems {
        println!("  {p}");
    }
    for d in &touched {
        let known = a.new_warnings.as_ref().is_some_and(|n| !n.contains(d)) && d.severity == compile::Severity::Warning;
        println!("  {d}{}", if known { "  (the input tree has it too)" } else { "" });
    }
    if quiet {
        return;
    }
    let elsewhere: Vec<&Diagnostic> = b.errors_elsewhere().collect();
    if !elsewhere.is_empty() {
        println!("  errors in files the port does not touch:");
        for d in elsewhere.iter().take(8) {
            println!("    {d}");
        }
    }
    for c in b.configs.iter().filter(|c| !c.first_error_lines.is_empty()) {
        println!("  config {}: unrelated to the port's files (first lines):", c.name);
        for l in &c.first_error_lines {
            println!("    {l}");
        }
    }
}
