//! `archport port`: write each arch's ported files and its diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{emit, exit_status, print_json, shown_path, ArchArgs, DataArgs, ForceArg, Format, GlobalArgs};
use crate::arch::Arch;
use crate::output::{port_layout, OutputDir};
use crate::per_arch::{Failure, Outcome};
use crate::pipeline::{self, Ported, Porting};

pub const AFTER_HELP: &str = "Examples:\n  archport port --arch arm --out out\n  \
archport port --tree ~/linux --templates my-templates\n\n\
Writes OUT/ARCH/PATH for every file the port changes, OUT/ARCH/DELETED listing deleted files, and \
OUT/ARCH.diff against the input tree. The input tree is never written. OUT holds only what archport \
wrote (recorded in OUT/.archport-manifest); a file of an earlier run that the port no longer makes \
is removed, anything else is never touched.";

#[derive(Args, Debug)]
pub struct PortArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
}

pub fn run(args: &PortArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    pipeline::require_generic_code(&tree)?;
    let templates = args.data.templates();
    let mut out = OutputDir::open("--out", &args.out, &args.data.inputs(&tree, &golden)?, args.force.force)?;
    // Each arch's output (its diff above all) is made on the core that
    // ported it; the folder is then written once for all of them.
    let outcome =
        pipeline::port_each_then(&args.arches.selected(), &tree, &templates, progress, |p| port_layout::files(&p.port));
    let mut sorted = Sorted::new(args, outcome);
    let written = sorted.write(&mut out);
    print(args, global, &written, &sorted.already, &sorted.absent, &sorted.failed)?;
    Ok(exit_status(&sorted.failed, true))
}

/// What porting gave, by what is done with it.
struct Sorted {
    /// Ported, with its output files.
    ported: Vec<(Ported, BTreeMap<String, Vec<u8>>)>,
    already: Vec<(Arch, String)>,
    absent: Vec<Arch>,
    failed: Vec<Failure>,
}

impl Sorted {
    fn new(args: &PortArgs, outcome: Outcome<(Porting, BTreeMap<String, Vec<u8>>)>) -> Sorted {
        let mut sorted = Sorted { ported: Vec::new(), already: Vec::new(), absent: Vec::new(), failed: outcome.failed };
        for (porting, files) in outcome.done {
            match porting {
                Porting::Ported(p) => sorted.ported.push((*p, files)),
                Porting::Already { arch, evidence } => sorted.already.push((arch, evidence)),
                Porting::NotInTree { arch } if args.arches.arches.contains(&arch) => {
                    sorted.failed.push(Failure { arch, error: anyhow::anyhow!("is not in this tree") })
                }
                Porting::NotInTree { arch } => sorted.absent.push(arch),
            }
        }
        sorted
    }

    /// Writes the ported arches' output; those written are returned, the
    /// others join the failures.
    fn write(&mut self, out: &mut OutputDir) -> Vec<Ported> {
        let (ported, outputs): (Vec<Ported>, Vec<_>) = std::mem::take(&mut self.ported)
            .into_iter()
            .map(|(p, files)| {
                let arch = p.spec.arch;
                (p, (arch, files))
            })
            .unzip();
        let mut written = Vec::new();
        for (p, result) in ported.into_iter().zip(port_layout::write_each(out, &outputs)) {
            match result {
                Ok(()) => written.push(p),
                Err(error) => self.failed.push(Failure { arch: p.spec.arch, error }),
            }
        }
        written
    }
}

fn print(
    args: &PortArgs,
    global: &GlobalArgs,
    written: &[Ported],
    already: &[(Arch, String)],
    absent: &[Arch],
    failed: &[Failure],
) -> Result<()> {
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "out": shown_path(&args.out),
            "arches": written.iter().map(|p| serde_json::json!({
                "arch": p.port.arch,
                "files": p.port.files.iter().map(|f| serde_json::json!({
                    "path": f.path,
                    "deleted": f.after.is_none(),
                })).collect::<Vec<_>>(),
                "diff": shown_path(&args.out.join(format!("{}.diff", p.port.arch))),
                "template_lines": p.port.template_lines,
            })).collect::<Vec<_>>(),
            "not_in_tree": absent,
            "already_ported": already.iter().map(|(a, e)| serde_json::json!({"arch": a, "evidence": e})).collect::<Vec<_>>(),
            "errors": failed.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        })),
        Format::Text => emit(&text(&args.out, written, already, absent)?),
    }
}

fn text(
    out: &Path,
    written: &[Ported],
    already: &[(Arch, String)],
    absent: &[Arch],
) -> Result<String, std::fmt::Error> {
    let mut text = String::new();
    for arch in absent {
        writeln!(text, "{:<11} not in this tree, nothing written", arch.name())?;
    }
    for (arch, evidence) in already {
        writeln!(text, "{:<11} already ported, nothing written ({evidence})", arch.name())?;
    }
    for p in written {
        let deleted = p.port.files.iter().filter(|f| f.after.is_none()).count();
        let diff = out.join(format!("{}.diff", p.port.arch));
        writeln!(
            text,
            "{:<11} {} files ({deleted} deleted)  {}",
            p.port.arch.name(),
            p.port.files.len(),
            diff.display()
        )?;
    }
    Ok(text)
}
