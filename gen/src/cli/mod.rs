//! The command line: argument definitions and one module per command.
//!
//! Each command module parses its flags into the library's own values,
//! calls the library, renders what it found, and returns an exit status;
//! it holds no porting, reviewing or writing logic of its own. Errors
//! travel up as `anyhow::Error` and `main` prints them once. Exit status:
//! 0 success, 1 a check found a difference, 2 bad input or usage.

mod bless;
mod compile;
mod data;
mod diff;
mod fetch;
mod golden;
#[cfg(test)]
mod help_tests;
mod port;
mod report;
mod review;
mod run;
mod series;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::arch::Arch;
use crate::color::ColorChoice;
use crate::per_arch::Failure;
use crate::progress::Progress;

pub use data::{DataArgs, GoldenPatchArg};

#[derive(Parser, Debug)]
#[command(
    name = "archport",
    version,
    about = "Port one tree-wide Linux kernel change (kmap_local) to every architecture that needs it",
    long_about = "archport ports the kmap_local conversion (kmap_atomic made preemptible by storing \
temporary mappings per task) to arc, arm, csky, microblaze, mips, nds32, powerpc, sparc, x86 and \
xtensa. It fetches Debian's linux-source-5.10 package on first use: the 5.10 tree, and the RT \
patch that carries the upstream (golden) ports.\n\nExit status: 0 success, 1 a check found a \
difference, 2 bad input or usage.",
    after_help = "Examples:\n  archport run                   # the whole job, into ./out\n  \
archport fetch                 # fetch and build the trees once\n  \
archport golden --arch arm     # audit the golden arm port, hunk by hunk"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print no progress and only the essential result.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// When to colour diffs: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl GlobalArgs {
    pub fn progress(&self) -> Progress {
        Progress { enabled: !self.quiet }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--arch`, the same on every command.
#[derive(Args, Debug, Clone, Default)]
pub struct ArchArgs {
    /// Only these arches (repeatable); default all ten.
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<Arch>,
}

impl ArchArgs {
    /// The arches named, sorted, or all ten.
    pub fn selected(&self) -> Vec<Arch> {
        Arch::selected(&self.arches)
    }
}

/// `--force`, for the commands that write into a folder or file.
#[derive(Args, Debug, Clone, Default)]
pub struct ForceArg {
    /// Write into an output folder that holds files archport did not write (they are kept, and
    /// replaced only where archport writes the same path), or replace an output file archport
    /// did not write.
    #[arg(long)]
    pub force: bool,
}

/// Where the patches' To/Cc come from, for `series` and `run`.
#[derive(Args, Debug, Clone, Default)]
pub struct RecipientArgs {
    /// Ask the tree's own scripts/get_maintainer.pl (runs Perl code from the tree, with a timeout)
    /// instead of reading its MAINTAINERS file in-process, which gives the same answer and runs
    /// nothing from the tree.
    #[arg(long)]
    pub get_maintainer: bool,
    /// Seconds get_maintainer.pl may take for one patch before it is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "get_maintainer")]
    pub get_maintainer_timeout: u64,
}

impl RecipientArgs {
    pub fn source(&self) -> crate::series::recipients::RecipientSource {
        use crate::series::recipients::RecipientSource;
        match self.get_maintainer {
            true => RecipientSource::GetMaintainerScript {
                timeout: std::time::Duration::from_secs(self.get_maintainer_timeout),
            },
            false => RecipientSource::Maintainers,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The whole job: fetch, port all ten arches, compare with the golden ports, model-check,
    /// write the patch series and the HTML report, and print one table.
    #[command(after_help = run::AFTER_HELP)]
    Run(run::RunArgs),
    /// Fetch Debian's linux-source-5.10 and build the base, golden and pre-port trees (or, with
    /// --kernel 6.1, linux-source-6.1's one tree); check or repair the cache.
    #[command(after_help = fetch::AFTER_HELP)]
    Fetch(fetch::FetchArgs),
    /// List each arch's golden port: the RT patch hunks taken and left, per file.
    #[command(after_help = golden::AFTER_HELP)]
    Golden(golden::GoldenArgs),
    /// Port the arches: write each touched file's post-state and a diff per arch.
    #[command(after_help = port::AFTER_HELP)]
    Port(port::PortArgs),
    /// Compare each generated port with the golden port, file by file.
    #[command(after_help = diff::AFTER_HELP)]
    Diff(diff::DiffArgs),
    /// The comparison for CI: a short summary, exit 0 when no arch differs, 1 otherwise.
    #[command(after_help = diff::CHECK_AFTER_HELP)]
    Check(diff::CheckArgs),
    /// Accept, reject or skip each change `check --golden-dir` left pending beside the blessed files.
    #[command(after_help = review::AFTER_HELP)]
    Review(review::ReviewArgs),
    /// Check ports with the executable model of the generic kmap_local code.
    #[command(after_help = verify::AFTER_HELP)]
    Verify(verify::VerifyArgs),
    /// Write the review report: one self-contained HTML file.
    #[command(after_help = report::AFTER_HELP)]
    Report(report::ReportArgs),
    /// Write the ports as a patch series: a cover letter and one `git format-patch` mail per arch.
    #[command(after_help = series::AFTER_HELP)]
    Series(Box<series::SeriesArgs>),
    /// Build each generated port (or the golden tree) with real compilers; front end only where Debian has none.
    #[command(after_help = compile::AFTER_HELP)]
    Compile(compile::CompileArgs),
}

/// Runs a parsed command line and returns its exit status.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Run(args) => run::run(&args, g),
        Command::Fetch(args) => fetch::run(&args, g),
        Command::Golden(args) => golden::run(&args, g),
        Command::Port(args) => port::run(&args, g),
        Command::Diff(args) => diff::run_diff(&args, g),
        Command::Check(args) if args.golden_dir.is_some() => bless::run(&args, g),
        Command::Check(args) => diff::run_check(&args, g),
        Command::Review(args) => review::run(&args, g),
        Command::Verify(args) => verify::run(&args, g),
        Command::Report(args) => report::run(&args, g),
        Command::Series(args) => series::run(&args, g),
        Command::Compile(args) => compile::run(&args, g),
    }
}

/// Prints per-arch failures once, on stderr, and turns the outcome into
/// the exit status: 2 when an arch failed, else 1 when a check failed.
fn exit_status(failed: &[Failure], ok: bool) -> ExitCode {
    for f in failed {
        eprintln!("archport: error: {f}");
    }
    if !failed.is_empty() {
        ExitCode::from(2)
    } else if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Writes a command's text output; a full disk or a closed stream is an
/// error (exit 2), not a panic.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).context("writing to standard output")
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    emit(&(serde_json::to_string_pretty(value)? + "\n"))
}

/// `p` as an absolute path for output a user copies elsewhere, in text
/// that survives any bytes the path holds (JSON needs UTF-8).
fn shown_path(p: &Path) -> String {
    absolute(p).to_string_lossy().into_owned()
}

/// `p` as an absolute path (kept as given when the working folder cannot
/// be read).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
