//! The stages wired together for the commands: load each arch's
//! descriptor and templates, read its files from the input tree, port
//! it, and review it against the golden tree.

use std::path::Path;

use anyhow::Result;

use crate::arch::Arch;
use crate::descriptor::{self, ArchSpec};
use crate::per_arch::{self, Outcome};
use crate::port::{self, Port};
use crate::progress::Progress;
use crate::render::Templates;
use crate::review::{self, ArchReview};
use crate::verify::{self, CPort};

/// One arch ported, with what it was ported from.
pub struct Ported {
    pub spec: ArchSpec,
    pub port: Port,
    /// The generated hooks as the model sees them, read back from the
    /// generated C (and equal to what the descriptor declares).
    pub model: CPort,
    /// Lines of arch-specific text (hook C text and arch templates),
    /// whitespace-folded, for attributing the generated lines.
    pub arch_text: Vec<String>,
}

/// Ports one arch from `tree` with the descriptors under `templates`.
pub fn port_arch(arch: Arch, tree: &Path, templates: &Path) -> Result<Ported> {
    require_generic_code(tree)?;
    port_spec(descriptor::load(templates, arch)?, tree, templates)
}

/// Ports the arch of a loaded descriptor (the tree already checked to
/// have the generic code).
fn port_spec(spec: ArchSpec, tree: &Path, templates: &Path) -> Result<Ported> {
    let tpl = Templates::load(templates, &spec)?;
    let inputs = port::read_inputs(tree, &spec)?;
    let port = port::port(&spec, &tpl, &inputs)?;
    let model = verify::generated_port(&spec, tree, &port)?;
    let arch_text = tpl.arch_text(&spec).into_iter().map(crate::data_file::fold_ws).collect();
    Ok(Ported { spec, port, model, arch_text })
}

/// Fails, naming what is missing, when `tree` has no generic kmap_local
/// code to port an arch to (the tree before the kmap_local series).
pub fn require_generic_code(tree: &Path) -> Result<()> {
    let kconfig = crate::input::read_optional(&tree.join("mm/Kconfig"))?.unwrap_or_default();
    let has_config = String::from_utf8_lossy(&kconfig).lines().any(|l| l.trim() == "config KMAP_LOCAL");
    let has_header = tree.join("include/asm-generic/kmap_size.h").is_file();
    let missing: Vec<&str> = [
        (!has_config).then_some("mm/Kconfig has no `config KMAP_LOCAL`"),
        (!has_header).then_some("include/asm-generic/kmap_size.h is missing"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{} has no generic kmap_local code to port to: {} (port a tree that has mm/highmem.c's kmap_local, such as the fetched pre-port tree)",
            tree.display(),
            missing.join(", and ")
        );
    }
    Ok(())
}

/// What porting an arch gave: its port, evidence that the tree has it
/// already, or that the tree has no such arch.
pub enum Porting {
    Ported(Box<Ported>),
    Already { arch: Arch, evidence: String },
    NotInTree { arch: Arch },
}

/// Ports each arch of `arches` from `tree`, skipping those the tree
/// already has; failures stay with their arch. Callers check the tree
/// with [`require_generic_code`] first, once for every arch.
pub fn port_each(arches: &[Arch], tree: &Path, templates: &Path, progress: Progress) -> Outcome<Porting> {
    let outcome = port_each_then(arches, tree, templates, progress, |_| ());
    Outcome { done: outcome.done.into_iter().map(|(porting, ())| porting).collect(), failed: outcome.failed }
}

/// [`port_each`], also making `then` of each port on the core that
/// ported it (`T::default()` for an arch not ported): a command's own
/// per-arch work, such as `port`'s diffs, spread over the cores too.
pub fn port_each_then<T: Send + Default>(
    arches: &[Arch],
    tree: &Path,
    templates: &Path,
    progress: Progress,
    then: impl Fn(&Ported) -> T + Sync,
) -> Outcome<(Porting, T)> {
    per_arch::each_heaviest_first(
        arches,
        port_weight(tree),
        progress,
        |a| format!("port {a}"),
        |arch| {
            let porting = port_one(arch, tree, templates)?;
            let made = match &porting {
                Porting::Ported(p) => then(p),
                _ => T::default(),
            };
            Ok((porting, made))
        },
    )
}

/// Ports `arch` from `tree` unless the tree already has it or has no
/// such arch.
fn port_one(arch: Arch, tree: &Path, templates: &Path) -> Result<Porting> {
    if !tree.join(arch.dir()).is_dir() {
        return Ok(Porting::NotInTree { arch });
    }
    let spec = descriptor::load(templates, arch)?;
    Ok(match already_ported(&spec, tree)? {
        Some(evidence) => Porting::Already { arch, evidence },
        None => Porting::Ported(Box::new(port_spec(spec, tree, templates)?)),
    })
}

/// The work porting an arch of `tree` is expected to take, to start the
/// longest first: the bytes of C in its `mm/`, which reading back its
/// hooks lexes, and which grow with the files its edits parse. A guess
/// for scheduling only; a folder that cannot be listed weighs nothing.
pub fn port_weight(tree: &Path) -> impl Fn(Arch) -> u64 + '_ {
    |arch| {
        let Ok(entries) = std::fs::read_dir(tree.join(arch.dir()).join("mm")) else { return 0 };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().as_encoded_bytes().ends_with(b".c"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    }
}

impl Outcome<Porting> {
    /// The arches ported; one the tree already has is a failure, for `why`.
    pub fn unported_only(self, why: &str) -> Outcome<Ported> {
        let mut out = Outcome { done: Vec::new(), failed: self.failed };
        for porting in self.done {
            match porting {
                Porting::Ported(p) => out.done.push(*p),
                Porting::Already { arch, evidence } => out
                    .failed
                    .push(per_arch::Failure { arch, error: anyhow::anyhow!("already ported ({evidence}); {why}") }),
                Porting::NotInTree { arch } => {
                    out.failed.push(per_arch::Failure { arch, error: anyhow::anyhow!("is not in this tree") })
                }
            }
        }
        out
    }
}

/// Evidence that `tree` already has the arch's port: every Kconfig
/// `select` the descriptor adds is already there. `None` when the arch
/// is still to be ported.
pub fn already_ported(spec: &ArchSpec, tree: &Path) -> Result<Option<String>> {
    let mut evidence = Vec::new();
    for f in &spec.descriptor.files {
        for op in &f.edits {
            if let crate::edit::Op::KconfigSelect { config, symbol } = op {
                let text = crate::input::read_optional(&tree.join(&f.path))?.unwrap_or_default();
                if !crate::edit::kbuild::kconfig_selects(&text, config, symbol) {
                    return Ok(None);
                }
                evidence.push(format!("{} already selects {symbol} in {config}", f.path));
            }
        }
    }
    Ok((!evidence.is_empty()).then(|| evidence.join("; ")))
}

/// Reviews a port against `golden`: every file compared, and the
/// differences a mechanical check shows to be the golden port's fault
/// justified (see `justify`).
/// The checks share one parse session (see `edit::c::session`).
pub fn review(p: &Ported, tree: &Path, golden: &Path) -> Result<ArchReview> {
    crate::edit::c::session(|| {
        let mut r = review::review(&p.port, tree, golden, &p.arch_text)?;
        crate::justify::justify(&mut r, &p.spec, &p.model, golden)?;
        Ok(r)
    })
    .0
}
