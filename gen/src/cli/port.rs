//! `archport port`: write each arch's ported files and its diff.

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
    let Outcome { done, mut failed } = pipeline::port_each(&args.arches.selected(), &tree, &templates, progress);
    let (mut written, mut already, mut absent) = (Vec::new(), Vec::new(), Vec::new());
    for porting in done {
        match porting {
            Porting::Ported(p) => match port_layout::write(&mut out, &p.port) {
                Ok(()) => written.push(*p),
                Err(error) => failed.push(Failure { arch: p.spec.arch, error }),
            },
            Porting::Already { arch, evidence } => already.push((arch, evidence)),
            Porting::NotInTree { arch } if args.arches.arches.contains(&arch) => {
                failed.push(Failure { arch, error: anyhow::anyhow!("is not in this tree") })
            }
            Porting::NotInTree { arch } => absent.push(arch),
        }
    }
    print(args, global, &written, &already, &absent, &failed)?;
    Ok(exit_status(&failed, true))
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
