//! The stages wired together for the commands: load each arch's
//! descriptor and templates, read its files from the input tree, port
//! it, and review it against the golden tree.

use std::path::Path;

use anyhow::Result;

use crate::arch::Arch;
use crate::descriptor::{self, ArchSpec};
use crate::fidelity::{self, FileStatus};
use crate::per_arch::{self, Outcome};
use crate::port::{self, Port};
use crate::progress::Progress;
use crate::render::Templates;
use crate::review::{self, ArchReview};
use crate::verify;
use archport_generic::model::{PortSpec, Variant};

/// One arch ported, with what it was ported from.
pub struct Ported {
    pub spec: ArchSpec,
    pub port: Port,
    /// The generated hooks as the model sees them, read back from the
    /// generated header (and equal to what the descriptor declares).
    pub model: PortSpec,
    /// Lines of arch-specific text (hook C text and arch templates),
    /// whitespace-folded, for attributing the generated lines.
    pub arch_text: Vec<String>,
}

/// Ports one arch from `tree` with the descriptors under `templates`.
pub fn port_arch(arch: Arch, tree: &Path, templates: &Path) -> Result<Ported> {
    let spec = descriptor::load(templates, arch)?;
    let tpl = Templates::load(templates, &spec)?;
    let inputs = port::read_inputs(tree, &spec)?;
    let port = port::port(&spec, &tpl, &inputs)?;
    let model = verify::generated_port(&spec, &port)?;
    let arch_text = tpl.arch_text(&spec).into_iter().map(crate::data_file::fold_ws).collect();
    Ok(Ported { spec, port, model, arch_text })
}

/// What porting an arch gave: its port, or evidence that the tree has it already.
pub enum Porting {
    Ported(Box<Ported>),
    Already { arch: Arch, evidence: String },
}

/// Ports each arch of `arches` from `tree`, skipping those the tree
/// already has; failures stay with their arch.
pub fn port_each(arches: &[Arch], tree: &Path, templates: &Path, progress: Progress) -> Outcome<Porting> {
    per_arch::each(
        arches,
        progress,
        |a| format!("port {a}"),
        |arch| {
            Ok(match already_ported(arch, tree, templates)? {
                Some(evidence) => Porting::Already { arch, evidence },
                None => Porting::Ported(Box::new(port_arch(arch, tree, templates)?)),
            })
        },
    )
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
            }
        }
        out
    }
}

/// Evidence that `tree` already has the arch's port: every Kconfig
/// `select` the descriptor adds is already there. `None` when the arch
/// is still to be ported.
pub fn already_ported(arch: Arch, tree: &Path, templates: &Path) -> Result<Option<String>> {
    let spec = descriptor::load(templates, arch)?;
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

/// Reviews a port against `golden`. A difference is justified only when
/// the model refutes the golden side and proves ours, and only when the
/// part the model vouches for is the file's sole difference: the hook
/// definitions of the hooks header, or the one function whose call site
/// was checked.
pub fn review(p: &Ported, tree: &Path, golden: &Path) -> Result<ArchReview> {
    let mut r = review::review(&p.port, tree, golden, &p.arch_text)?;
    let hooks_header = verify::hooks_header(p.spec.arch);
    for f in r.files.iter_mut() {
        if f.justification.is_some() || matches!(f.status, FileStatus::Identical | FileStatus::Equivalent) {
            continue;
        }
        let Some((Some(generated), Some(gold))) = r.sides.get(&f.path) else { continue };
        f.justification = if f.path == hooks_header {
            hooks_justification(p, golden, generated, gold)?
        } else {
            call_site_justification(p, generated, gold)?
        };
    }
    r.verdict = fidelity::verdict(&r.files);
    Ok(r)
}

/// Why a changed call site in the golden port is wrong and ours right:
/// a function whose kmap_local calls the model refutes in the golden
/// file and proves in the generated one (on the arch's hooks), when that
/// function is the only difference.
fn call_site_justification(p: &Ported, generated: &[u8], golden: &[u8]) -> Result<Option<String>> {
    let ours = verify::call_sites::scripts(generated);
    for (name, theirs) in verify::call_sites::scripts(golden) {
        let Some((_, mine)) = ours.iter().find(|(n, _)| *n == name) else { continue };
        if *mine == theirs {
            continue;
        }
        let function = |t: &[u8]| crate::edit::c::function(t, &name).into_iter().collect::<Vec<_>>();
        if !fidelity::equivalent_outside(generated, &function(generated), golden, &function(golden)) {
            continue;
        }
        let arch = p.spec.arch;
        let refuted = verify::call_sites::refute(&p.model, &theirs).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
        let holds = verify::call_sites::refute(&p.model, mine).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?.is_none();
        if let (Some((property, _)), true) = (refuted, holds) {
            let script = theirs.iter().map(|op| op.to_string()).collect::<Vec<_>>().join(", ");
            return Ok(Some(format!(
                "the golden {name}() breaks \"{property}\" in the model (its calls: {script}); the generated {name}() holds, and the rest of the file is equivalent"
            )));
        }
    }
    Ok(None)
}

/// Why the golden hooks are wrong and the generated ones right, when the
/// model says so and the hook definitions are the header's only
/// difference.
fn hooks_justification(p: &Ported, golden: &Path, generated: &[u8], gold: &[u8]) -> Result<Option<String>> {
    let defs = verify::hook_definition_ranges;
    if !fidelity::equivalent_outside(generated, &defs(generated), gold, &defs(gold)) {
        return Ok(None);
    }
    let Ok(golden_port) = verify::tree_port(&p.spec, golden)? else { return Ok(None) };
    let theirs = verify::check(p.spec.arch, &golden_port, Variant::Merged)?;
    let ours = verify::check(p.spec.arch, &p.model, Variant::Merged)?;
    if theirs.is_proved() || !ours.is_proved() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the golden hooks fail the model: counterexample to \"{}\" (`archport verify --arch {} --tree {}` prints the trace); the generated hooks are proved ({} states), and the rest of the header is equivalent",
        theirs.property.as_deref().unwrap_or("?"),
        p.spec.arch,
        golden.display(),
        ours.states
    )))
}
