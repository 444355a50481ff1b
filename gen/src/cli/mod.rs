//! The command line: argument definitions and one module per command.
//!
//! Commands parse their flags here, call the library, and return an exit
//! status; errors travel up as `anyhow::Error` and `main` prints them
//! once. Exit status: 0 success, 1 a check found a difference, 2 bad
//! input or usage.

mod bless;
mod data;
mod diff;
mod fetch;
mod golden;
mod port;
mod report;
mod run;
mod series;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::arch::Arch;
use crate::color::ColorChoice;
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
    after_help = "Examples:\n  archport fetch                 # fetch and build the trees once\n  archport golden --arch arm     # audit the golden arm port, hunk by hunk"
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The whole job: fetch, port all ten arches, compare with the golden ports, model-check,
    /// write the patch series and the HTML report, and print one table.
    #[command(after_help = "Examples:\n  archport run                            # everything, into ./out\n  \
archport run --out /tmp/kmap --signoff \"A U Thor <author@example.org>\"\n\n\
Exit 0 when every arch matches its golden port (or differs only where the golden one is provably \
wrong) and every generated port is proved; 1 when a check fails; 2 on bad input.")]
    Run(run::RunArgs),
    /// Fetch Debian's linux-source-5.10 and build the base, golden and pre-port trees (or, with
    /// --kernel 6.1, linux-source-6.1's one tree); check or repair the cache.
    #[command(
        after_help = "Examples:\n  archport fetch --format json\n  archport fetch --kernel 6.1      # bookworm's linux-source-6.1, \
one tree\n  archport fetch --verify          # read every file against the manifest\n\nA second run finds the cache and \
returns at once; --refresh asks Debian for a newer 5.10.x; --repair rebuilds what is damaged."
    )]
    Fetch(fetch::FetchArgs),
    /// List each arch's golden port: the RT patch hunks taken and left, per file.
    #[command(
        after_help = "Examples:\n  archport golden --arch arm --arch x86\n  archport golden --format json | jq '.arches[0].files'\n  \
archport golden --golden-patch my-series.patch"
    )]
    Golden {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
        #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
        cache: Option<PathBuf>,
        #[command(flatten)]
        golden_patch: GoldenPatchArg,
    },
    /// Port the arches: write each touched file's post-state and a diff per arch.
    #[command(
        after_help = "Examples:\n  archport port --arch arm --out out\n  archport port --tree ~/linux --templates my-templates\n\n\
Writes OUT/ARCH/PATH for every file the port changes, OUT/ARCH/DELETED listing deleted files, and \
OUT/ARCH.diff against the input tree. The input tree is never written."
    )]
    Port {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        #[command(flatten)]
        data: DataArgs,
        /// Output folder.
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
    },
    /// Compare each generated port with the golden port, file by file.
    #[command(after_help = "Examples:\n  archport diff --arch sparc\n  archport diff --format json | jq .summary\n\n\
Verdicts: identical (byte for byte), equivalent (same code, comments and whitespace aside), \
justified (differs where the golden port is provably wrong), differs. Exit 1 when any arch differs.")]
    Diff {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The comparison for CI: a short summary, exit 0 when no arch differs, 1 otherwise.
    #[command(after_help = "Examples:\n  archport check --quiet || echo 'a port drifted from its golden'\n  \
archport check --golden-dir ci/golden            # compare with your blessed copy\n  \
archport check --golden-dir ci/golden --bless    # show the changes, then accept them")]
    Check {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        #[command(flatten)]
        data: DataArgs,
        /// Compare with the generated output blessed into DIR (same layout as `port --out`).
        #[arg(long, value_name = "DIR")]
        golden_dir: Option<PathBuf>,
        /// Write the current output into --golden-dir after showing what changes.
        #[arg(long, requires = "golden_dir")]
        bless: bool,
    },
    /// Check ports with the executable model of the generic kmap_local code.
    #[command(
        after_help = "Examples:\n  archport verify                       # the generated ports, from the descriptors\n  \
archport verify --tree ~/linux-rt       # the hooks a tree defines (golden ports, or yours)\n  \
archport verify --arch arm --variant    # what breaks without migrate_disable, without the\n                                        \
# context-switch save/restore, with per-CPU indexes\n\n\
Explores every interleaving of the scenarios within the printed bounds; prints the states explored, \
or the shortest counterexample step by step. Exit 1 when any arch is not proved."
    )]
    Verify {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        /// Check the hooks this tree defines instead of the generated ports.
        #[arg(long = "tree", value_name = "DIR")]
        hook_tree: Option<PathBuf>,
        /// Also run the model with the generic code changed (the design question).
        #[arg(long)]
        variant: bool,
        /// An arch-templates folder with your own descriptors.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
        #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
        cache: Option<PathBuf>,
    },
    /// Write the review report: one self-contained HTML file.
    #[command(after_help = "Example:\n  archport report --html review.html && chromium review.html\n\n\
The page needs no network: the summary table, and per arch the generated port beside the golden \
one (comments set apart), the hooks with their effects, the model verdict and the patch.")]
    Report {
        /// Only these arches (repeatable); default all ten.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<Arch>,
        #[command(flatten)]
        data: DataArgs,
        /// Where to write the HTML file.
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
    },
    /// Write the ports as a patch series: a cover letter and one `git format-patch` mail per arch.
    #[command(
        after_help = "Examples:\n  archport series --signoff 'Jane Hacker <jane@example.org>' --out out/series\n  \
archport series --arch arm --arch x86 --range-diff\n  archport series --split-per-tree --out out/trees\n  \
archport series --tree ~/linux --base v5.10    # base-commit: and prerequisite-patch-id: lines\n\n\
Writes OUT/0000-cover-letter.patch and OUT/NNNN-<subject>.patch in series order (patches/kmap_local/series.toml), \
To/Cc from the tree's scripts/get_maintainer.pl. The same inputs give byte-identical files. \
`git am` applies every file but the cover letter to the tree."
    )]
    Series(series::SeriesArgs),
}

/// Runs a parsed command line and returns its exit status.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let progress = Progress { enabled: !cli.global.quiet };
    match cli.command {
        Command::Fetch(args) => fetch::run(&args, &cli.global, progress),
        Command::Golden { arches, cache, golden_patch } => {
            let data = DataArgs { cache, ..DataArgs::default() };
            golden::run(&Arch::selected(&arches), &data, golden_patch.golden_patch.as_deref(), &cli.global, progress)
        }
        Command::Port { arches, data, out } => port::run(&Arch::selected(&arches), &data, &out, &cli.global, progress),
        Command::Diff { arches, data } => diff::run(&Arch::selected(&arches), &data, false, &cli.global, progress),
        Command::Check { arches, data, golden_dir: Some(dir), bless } => {
            bless::run(&Arch::selected(&arches), &data, &dir, bless, &cli.global, progress)
        }
        Command::Verify { arches, hook_tree, variant, templates, cache } => {
            let data = DataArgs { templates, cache, ..DataArgs::default() };
            verify::run(&Arch::selected(&arches), &data, hook_tree, variant, &cli.global, progress)
        }
        Command::Report { arches, data, html } => {
            report::run(&Arch::selected(&arches), &data, &html, &cli.global, progress)
        }
        Command::Series(args) => series::run(&args, &cli.global, progress),
        Command::Run(args) => run::run(&args, &cli.global, progress),
        Command::Check { arches, data, golden_dir: None, .. } => {
            diff::run(&Arch::selected(&arches), &data, true, &cli.global, progress)
        }
    }
}

/// `p` as an absolute path, for output a user copies elsewhere (kept
/// as given when the working folder cannot be read).
pub(crate) fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
