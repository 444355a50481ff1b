//! `archport verify`: check ports with the executable model.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use archport_generic::model::Variant;
use clap::Args;
use serde::Serialize;

use super::{emit, print_json, ArchArgs, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::descriptor;
use crate::pipeline;
use crate::progress::Progress;
use crate::verify::{self, ArchVerdict};

#[derive(Serialize)]
struct VariantReport {
    variant: &'static str,
    description: String,
    arches: Vec<ArchVerdict>,
}

pub const AFTER_HELP: &str = "Examples:\n  archport verify                       # the generated ports, from the descriptors\n  \
archport verify --tree ~/linux-rt       # the hooks a tree defines (golden ports, or yours)\n  \
archport verify --arch arm --variant    # what breaks without migrate_disable, without the\n                                        \
# context-switch save/restore, with per-CPU indexes\n\n\
Explores every interleaving of the scenarios within the printed bounds; prints the states explored, \
or the shortest counterexample step by step. Exit 1 when any arch is not proved.";

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    /// Check the hooks this tree defines instead of the generated ports.
    #[arg(long = "tree", value_name = "DIR")]
    pub hook_tree: Option<PathBuf>,
    /// Also run the model with the generic code changed (the design question).
    #[arg(long)]
    pub variant: bool,
    /// An arch-templates folder with your own descriptors.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
}

pub fn run(args: &VerifyArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let arches = &args.arches.selected()[..];
    let (tree, variants) = (args.hook_tree.clone(), args.variant);
    let data = DataArgs { templates: args.templates.clone(), cache: args.cache.clone(), ..DataArgs::default() };
    let templates = data.templates();
    if let Some(t) = &tree {
        crate::kernel::check_kernel_tree(t)?;
    }
    // The generated ports are read back from the files the port writes:
    // that needs the pre-port tree.
    let pre_port = if tree.is_none() || variants { Some(data.kernel(progress)?.pre_port) } else { None };
    let generated = |arch: Arch| -> Result<archport_generic::model::PortSpec> {
        let tree = pre_port.as_deref().expect("fetched above when generated ports are checked");
        Ok(pipeline::port_arch(arch, tree, &templates)?.model)
    };
    let mut results = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("checking {arch} with the model"));
        let port = match &tree {
            None => Ok(generated(arch)?),
            Some(t) => verify::tree_port(&descriptor::load(&templates, arch)?, t)?,
        };
        results.push(match port {
            Ok(port) => verify::check(arch, &port, Variant::Merged)?,
            Err(what) => verify::unmodelled(arch, what),
        });
        drop(step);
    }
    let variant_reports = if variants { run_variants(arches, &generated, progress)? } else { Vec::new() };
    match global.format {
        Format::Json => {
            let mut json = serde_json::json!({ "arches": results });
            if variants {
                json["variants"] = serde_json::to_value(&variant_reports)?;
            }
            print_json(&json)?
        }
        Format::Text => emit(&text(&results, &variant_reports, tree.is_some(), global.quiet))?,
    }
    // Variants are expected to break: they answer the design question
    // and do not decide the exit status.
    Ok(if results.iter().all(ArchVerdict::is_proved) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The generic code changed three ways, each run with every selected
/// arch's generated port: what breaks without each design decision.
fn run_variants(
    arches: &[Arch],
    generated: &dyn Fn(Arch) -> Result<archport_generic::model::PortSpec>,
    progress: Progress,
) -> Result<Vec<VariantReport>> {
    let mut out = Vec::new();
    for variant in Variant::ALL.into_iter().filter(|v| *v != Variant::Merged) {
        let mut verdicts = Vec::new();
        for &arch in arches {
            let step = progress.step(format!("variant {variant}: {arch}"));
            verdicts.push(verify::check(arch, &generated(arch)?, variant)?);
            drop(step);
        }
        out.push(VariantReport { variant: variant.name(), description: variant.to_string(), arches: verdicts });
    }
    Ok(out)
}

fn text(results: &[ArchVerdict], variants: &[VariantReport], from_tree: bool, quiet: bool) -> String {
    let mut out = String::new();
    let what = if from_tree { "hooks in the tree" } else { "generated ports" };
    let _ = writeln!(out, "model check of the {what}");
    let _ = writeln!(out, "{:<11} {:<15} {:>8}", "arch", "status", "states");
    for r in results {
        let _ = writeln!(out, "{:<11} {:<15} {:>8}", r.arch.name(), r.status.to_string(), r.states);
    }
    // Each distinct set of bounds once, with the arches checked within it.
    let mut scenarios: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in results {
        for scenario in r.bounds.split(" | ").filter(|b| !b.is_empty()) {
            match scenarios.iter_mut().find(|(b, _)| *b == scenario) {
                Some((_, arches)) => arches.push(r.arch.name()),
                None => scenarios.push((scenario, vec![r.arch.name()])),
            }
        }
    }
    for (scenario, arches) in scenarios.iter().filter(|_| !quiet) {
        let _ = writeln!(out, "\nwithin bounds ({}):\n  {scenario}", arches.join(", "));
    }
    for r in results.iter().filter(|r| !r.witnesses.is_empty()) {
        for w in &r.witnesses {
            let (statement, trace) = w.split_once('\n').unwrap_or((w, ""));
            println!("\n{}: proved, and seen without harm: {statement}", r.arch);
            if !quiet {
                print!("{trace}");
            }
        }
    }
    for r in results.iter().filter(|r| !r.is_proved()) {
        let _ = writeln!(out);
        match r.status {
            verify::Status::Unmodelled => {
                let _ = writeln!(out, "{}: unmodelled C in hooks: {}", r.arch, r.unmodelled.join("; "));
            }
            _ => {
                let _ = writeln!(out, "{}: counterexample to \"{}\"", r.arch, r.property.as_deref().unwrap_or("?"));
                if !quiet {
                    out.push_str(r.trace.as_deref().unwrap_or(""));
                }
            }
        }
    }
    for v in variants {
        let _ = writeln!(out, "\nvariant {}: {}", v.variant, v.description);
        for r in &v.arches {
            let broke = r.property.as_deref().map(|p| format!("breaks \"{p}\"")).unwrap_or_else(|| "holds".into());
            let _ = writeln!(out, "  {:<11} {broke} ({} states)", r.arch.name(), r.states);
        }
        if let Some(first) = v.arches.iter().find(|r| r.trace.is_some()) {
            if !quiet {
                let _ = writeln!(out, "  shortest trace ({}):", first.arch);
                for line in first.trace.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    out
}
