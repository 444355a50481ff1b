//! `archport verify`: check ports with the executable model.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use archport_generic::model::{Bounds, Contract, Variant};
use clap::Args;
use serde::Serialize;

use super::{emit, exit_status, print_json, shown_path, ArchArgs, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::descriptor;
use crate::kernel::Kernel;
use crate::per_arch::{self, Failure};
use crate::pipeline;
use crate::verify::{self, contract, old_code, ArchVerdict, Outcome};

pub const AFTER_HELP: &str = "Examples:\n  archport verify                         # the generated ports\n  \
archport verify --tree ~/linux-rt       # the hooks a tree defines (golden ports, or yours)\n  \
archport verify --kernel 6.1            # Debian's linux-source-6.1, against its own generic code\n  \
archport verify --deep                  # 3 CPUs, 2 interrupts, nesting 2 in task and interrupt\n  \
archport verify --arch arm --variant    # what breaks without migrate_disable, without the\n                                          \
# context-switch save/restore, with per-CPU indexes\n\n\
Hooks are read from the C as the compiler runs them (preprocessor, control flow, arguments, helper \
functions); what cannot be decided is reported unmodelled with file:line. The generic code is the \
tree's own mm/highmem.c. Every interleaving of the cases the arch's hardware facts call for is \
explored within the printed bounds. Exit 1 when a present, ported arch is not proved.";

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub arches: ArchArgs,
    /// Check the hooks this tree defines, against its own generic code, instead of the generated ports.
    #[arg(long = "tree", value_name = "DIR", conflicts_with = "kernel")]
    pub hook_tree: Option<PathBuf>,
    /// Check the hooks of a fetched kernel tree (5.10: the golden tree; 6.1: bookworm's tree).
    #[arg(long, value_enum, value_name = "VERSION")]
    pub kernel: Option<Kernel>,
    /// Also run the model with the generic code changed (the design question).
    #[arg(long)]
    pub variant: bool,
    /// CPUs in each case [default: 2; 3 with --deep].
    #[arg(long, value_name = "N")]
    pub cpus: Option<u8>,
    /// Interrupts delivered in each run [default: 1; 2 with --deep].
    #[arg(long, value_name = "N")]
    pub interrupts: Option<u8>,
    /// Tasks [default: 2].
    #[arg(long, value_name = "N")]
    pub tasks: Option<u8>,
    /// Nesting of kmap_local calls in task and in interrupt context [default: 1; 2 with --deep].
    #[arg(long, value_name = "N")]
    pub depth: Option<u8>,
    /// The deep profile: 3 CPUs, 2 interrupts, nesting 2 in task and interrupt context.
    #[arg(long)]
    pub deep: bool,
    /// An arch-templates folder with your own descriptors.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
}

impl VerifyArgs {
    fn bounds(&self) -> Bounds {
        let base = if self.deep { Bounds::deep() } else { Bounds::standard() };
        Bounds {
            cpus: self.cpus.unwrap_or(base.cpus),
            interrupts: self.interrupts.unwrap_or(base.interrupts),
            tasks: self.tasks.unwrap_or(base.tasks),
            depth: self.depth.unwrap_or(base.depth),
        }
    }
}

#[derive(Serialize)]
struct VariantReport {
    variant: &'static str,
    description: String,
    arches: Vec<ArchVerdict>,
}

/// Whose hooks are checked.
enum Subject {
    Generated { pre_port: PathBuf },
    Tree(PathBuf),
}

impl Subject {
    fn tree(&self) -> Option<&Path> {
        match self {
            Subject::Tree(t) => Some(t),
            Subject::Generated { .. } => None,
        }
    }
}

/// The tree's generic code (for a tree), and the contract checked against.
type Contracts = (Option<contract::TreeContract>, Contract);

pub fn run(args: &VerifyArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let data = DataArgs { templates: args.templates.clone(), cache: args.cache.clone(), ..DataArgs::default() };
    let templates = data.templates();
    let subject = subject(args, &data, global)?;
    let bounds = args.bounds();
    let tree_contract = subject.tree().map(contract::read).transpose()?;
    let contract = tree_contract.as_ref().map_or_else(Contract::linux_5_10, |c| c.contract.clone());
    let contracts: Contracts = (tree_contract, contract);
    let arches = args.arches.selected();
    let outcome = per_arch::each(
        &arches,
        progress,
        |a| format!("check {a} with the model"),
        |arch| check_arch(arch, &subject, &templates, &contracts, &bounds),
    );
    let mut failed = outcome.failed;
    // An arch the user named that the tree lacks is bad input.
    for (v, _) in outcome.done.iter().filter(|(v, _)| matches!(v.outcome, Outcome::NotInTree)) {
        if args.arches.arches.contains(&v.arch) {
            failed.push(Failure { arch: v.arch, error: anyhow::anyhow!("is not in this tree") });
        }
    }
    let (results, old): (Vec<ArchVerdict>, Vec<Vec<old_code::Comparison>>) = outcome.done.into_iter().unzip();
    let variants = match (&subject, args.variant) {
        (_, false) => Vec::new(),
        (Subject::Generated { pre_port }, true) => run_variants(&arches, pre_port, &templates, &bounds, progress)?,
        (Subject::Tree(_), true) => {
            anyhow::bail!("--variant runs the generated ports against changed generic code; drop --tree/--kernel")
        }
    };
    print(args, global, subject.tree(), &results, &old, &variants, &contracts)?;
    // Variants are expected to break: they answer the design question
    // and do not decide the exit status; neither do arches a tree does
    // not have or has not ported.
    let ok =
        results.iter().all(|v| matches!(v.outcome, Outcome::Proved | Outcome::NotInTree | Outcome::NotPorted { .. }));
    Ok(exit_status(&failed, ok))
}

/// Whose hooks the flags name: a tree given, a fetched kernel, or the
/// generated ports of the fetched pre-port tree.
fn subject(args: &VerifyArgs, data: &DataArgs, global: &GlobalArgs) -> Result<Subject> {
    Ok(match (&args.hook_tree, args.kernel) {
        (Some(t), _) => {
            crate::kernel::check_kernel_tree(t)?;
            Subject::Tree(t.clone())
        }
        (None, Some(k)) => {
            let fetched = DataArgs { kernel_version: k, ..data.clone() }.fetched(global.progress())?;
            Subject::Tree(fetched.ported_tree().to_path_buf())
        }
        (None, None) => Subject::Generated { pre_port: data.kernel(global.progress())?.pre_port },
    })
}

/// One arch's verdict and, for a generated port, what it kept of the
/// old kmap_atomic code (read from the tree before it).
fn check_arch(
    arch: Arch,
    subject: &Subject,
    templates: &Path,
    (tree_contract, contract): &Contracts,
    bounds: &Bounds,
) -> Result<(ArchVerdict, Vec<old_code::Comparison>)> {
    match subject {
        Subject::Generated { pre_port } => {
            let p = pipeline::port_arch(arch, pre_port, templates)?;
            let verdict = verify::check(arch, &p.model, contract, bounds)?;
            let ops = old_code::old_ops(&p.spec, &old_code::old_files(pre_port, &p.spec)?);
            Ok((verdict, old_code::compare(&p.spec, &p.model, &ops, contract)?))
        }
        Subject::Tree(t) => {
            let spec = descriptor::load(templates, arch)?;
            Ok((verify::tree_verdict(&spec, t, tree_contract.as_ref().expect("read for a tree"), bounds)?, Vec::new()))
        }
    }
}

fn print(
    args: &VerifyArgs,
    global: &GlobalArgs,
    tree: Option<&Path>,
    results: &[ArchVerdict],
    old: &[Vec<old_code::Comparison>],
    variants: &[VariantReport],
    (tree_contract, contract): &Contracts,
) -> Result<()> {
    match global.format {
        Format::Json => {
            let mut json = serde_json::json!({
                "tree": tree.map(shown_path),
                "contract": contract.to_string(),
                "contract_unknown_hooks": tree_contract.as_ref().map(|c| c.unknown_hooks.clone()).unwrap_or_default(),
                "contract_undecided": tree_contract.as_ref().map(|c| c.undecided.clone()).unwrap_or_default(),
                "arches": results,
            });
            if tree.is_none() {
                json["old_code"] = serde_json::to_value(
                    results
                        .iter()
                        .map(|r| r.arch)
                        .zip(old)
                        .map(|(arch, c)| serde_json::json!({ "arch": arch, "operations": c }))
                        .collect::<Vec<_>>(),
                )?;
            }
            if args.variant {
                json["variants"] = serde_json::to_value(variants)?;
            }
            print_json(&json)
        }
        Format::Text => emit(&text(results, old, variants, tree, contract, tree_contract.as_ref(), global.quiet)),
    }
}

/// The generic code changed three ways, each run with every selected
/// arch's generated port: what breaks without each design decision.
fn run_variants(
    arches: &[Arch],
    pre_port: &Path,
    templates: &Path,
    bounds: &Bounds,
    progress: crate::progress::Progress,
) -> Result<Vec<VariantReport>> {
    let mut out = Vec::new();
    for variant in Variant::ALL.into_iter().filter(|v| *v != Variant::Merged) {
        let contract = variant.contract();
        let verdicts = per_arch::each(
            arches,
            progress,
            |a| format!("variant {variant}: {a}"),
            |arch| verify::check(arch, &pipeline::port_arch(arch, pre_port, templates)?.model, &contract, bounds),
        )
        .all("the variants are not checked")?;
        out.push(VariantReport { variant: variant.name(), description: variant.to_string(), arches: verdicts });
    }
    Ok(out)
}

fn text(
    results: &[ArchVerdict],
    old: &[Vec<old_code::Comparison>],
    variants: &[VariantReport],
    tree: Option<&Path>,
    contract: &Contract,
    tree_contract: Option<&contract::TreeContract>,
    quiet: bool,
) -> String {
    let mut out = String::new();
    let _ = match tree {
        Some(t) => writeln!(out, "model check of the hooks in {} against its own generic code", t.display()),
        None => writeln!(out, "model check of the generated ports (read back from their C)"),
    };
    let _ = writeln!(out, "{:<11} {:<17} {:>9}", "arch", "status", "states");
    for r in results {
        let _ = writeln!(out, "{:<11} {:<17} {:>9}", r.arch.name(), r.status().name(), r.states);
    }
    if !quiet {
        contract_and_cases(&mut out, results, contract, tree_contract);
    }
    for r in results {
        outcome(&mut out, r, quiet);
    }
    for (r, comparisons) in results.iter().zip(old).filter(|(_, c)| !c.is_empty()) {
        if quiet && !comparisons.iter().any(|c| matches!(c.fate, old_code::Fate::DroppedWithoutProof)) {
            continue;
        }
        let _ = writeln!(out, "\n{}: the old kmap_atomic code's TLB and cache operations:", r.arch);
        for c in comparisons {
            let _ = writeln!(out, "  {c}");
        }
    }
    for v in variants {
        variant(&mut out, v, quiet);
    }
    out
}

/// The generic code checked against (beside 5.10's when a tree's
/// differs), and each distinct case once, with the arches checked in it.
fn contract_and_cases(
    out: &mut String,
    results: &[ArchVerdict],
    contract: &Contract,
    tree_contract: Option<&contract::TreeContract>,
) {
    let base = Contract::linux_5_10();
    let differs = |c: &&contract::TreeContract| Contract { name: base.name.clone(), ..c.contract.clone() } != base;
    if let Some(c) = tree_contract.filter(differs) {
        let _ = writeln!(out, "\nthe tree's generic code differs from the 5.10 code archport generates for:");
        let _ = writeln!(out, "{}\n{base}", c.contract);
    }
    let _ = writeln!(out, "\nthe generic code checked against:\n{contract}\n");
    let mut cases: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in results {
        for case in &r.cases {
            match cases.iter_mut().find(|(c, _)| c == case) {
                Some((_, arches)) => arches.push(r.arch.name()),
                None => cases.push((case, vec![r.arch.name()])),
            }
        }
    }
    for (case, arches) in &cases {
        let _ = writeln!(out, "within bounds ({}):\n  {case}", arches.join(", "));
    }
}

/// One arch's notes and what its verdict needs said: why it is not
/// ported or unmodelled, its trace, what the model saw happen unharmed.
fn outcome(out: &mut String, r: &ArchVerdict, quiet: bool) {
    for n in &r.notes {
        let _ = writeln!(out, "\n{}: note: {n}", r.arch);
    }
    match &r.outcome {
        Outcome::Proved | Outcome::NotInTree => {}
        Outcome::NotPorted { why } => {
            let _ = writeln!(out, "\n{}: not ported ({why})", r.arch);
        }
        Outcome::Unmodelled { what } => {
            let _ = writeln!(out, "\n{}: unmodelled, nothing was checked:", r.arch);
            for w in what {
                let _ = writeln!(out, "  {w}");
            }
        }
        Outcome::Counterexample { property, case, trace } => {
            let _ = writeln!(out, "\n{}: counterexample to \"{property}\" in: {case}", r.arch);
            if !quiet {
                out.push_str(&trace.to_string());
            }
        }
    }
    if !quiet {
        for w in &r.witnesses {
            let _ = writeln!(out, "\n{}: proved, and the model saw this happen without harm: {w}", r.arch);
        }
    }
}

/// A variant of the generic code: which arches it breaks, and the
/// shortest trace of the first.
fn variant(out: &mut String, v: &VariantReport, quiet: bool) {
    let _ = writeln!(out, "\nvariant {}: {}", v.variant, v.description);
    for r in &v.arches {
        let broke = r.property().map(|p| format!("breaks \"{p}\"")).unwrap_or_else(|| "holds".into());
        let _ = writeln!(out, "  {:<11} {broke} ({} states)", r.arch.name(), r.states);
    }
    let first = v.arches.iter().find_map(|r| match &r.outcome {
        Outcome::Counterexample { trace, .. } => Some((r, trace)),
        _ => None,
    });
    if let (Some((first, trace)), false) = (first, quiet) {
        let _ = writeln!(out, "  shortest trace ({}):", first.arch);
        for line in trace.to_string().lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
}
