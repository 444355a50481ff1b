//! The stages wired together for the commands: load each arch's
//! descriptor and templates, read its files from the input tree, port
//! it, and review it against the golden tree.

use std::path::Path;

use anyhow::Result;

use crate::arch::Arch;
use crate::descriptor::{self, ArchSpec};
use crate::fidelity::{self, FileStatus};
use crate::port::{self, Port};
use crate::render::Templates;
use crate::review::{self, ArchReview};
use crate::verify;
use archport_generic::model::Variant;

/// One arch ported, with what it was ported from.
pub struct Ported {
    pub spec: ArchSpec,
    pub port: Port,
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
    let arch_text = arch_text(&spec, templates);
    Ok(Ported { spec, port, arch_text })
}

fn arch_text(spec: &ArchSpec, templates: &Path) -> Vec<String> {
    let fold = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut lines: Vec<String> = spec
        .descriptor
        .hooks
        .values()
        .flat_map(|h| h.c.iter().chain(&h.prototype).flat_map(|c| c.lines().map(fold)).collect::<Vec<_>>())
        .collect();
    if let Ok(entries) = std::fs::read_dir(templates.join(spec.arch.name())) {
        for e in entries.filter_map(|e| e.ok()) {
            if e.path().extension().is_some_and(|x| x == "tera") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                lines.extend(text.lines().map(fold));
            }
        }
    }
    lines
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
                let text = crate::kernel::trees::read_optional(&tree.join(&f.path))?.unwrap_or_default();
                if !crate::edit::kbuild::kconfig_selects(&text, config, symbol) {
                    return Ok(None);
                }
                evidence.push(format!("{} already selects {symbol} in {config}", f.path));
            }
        }
    }
    Ok((!evidence.is_empty()).then(|| evidence.join("; ")))
}

/// Reviews a port against `golden`. A difference in the hooks header is
/// justified when the model proves the generated hooks and finds a
/// counterexample in the golden ones.
pub fn review(p: &Ported, tree: &Path, golden: &Path) -> Result<ArchReview> {
    let mut r = review::review(&p.port, tree, golden, &p.arch_text)?;
    let hooks_header = format!("{}include/asm/highmem.h", p.spec.arch.dir());
    let unjustified = r.files.iter().any(|f| {
        f.path == hooks_header
            && f.justification.is_none()
            && !matches!(f.status, FileStatus::Identical | FileStatus::Equivalent)
    });
    if unjustified {
        if let Some(why) = model_justification(&p.spec, golden)? {
            for f in r.files.iter_mut().filter(|f| f.path == hooks_header) {
                f.justification = Some(why.clone());
            }
        }
    }
    for f in r.files.iter_mut().filter(|f| f.justification.is_none() && f.status == FileStatus::Differs) {
        if let Some((generated, gold)) = r.sides.get(&f.path) {
            f.justification = call_site_justification(&p.spec, generated.as_deref(), gold.as_deref())?;
        }
    }
    r.verdict = fidelity::verdict(&r.files);
    Ok(r)
}

/// Why a changed call site in the golden port is wrong and ours right:
/// a function whose kmap_local calls the model refutes in the golden
/// file and proves in the generated one (on the arch's hooks).
fn call_site_justification(spec: &ArchSpec, generated: Option<&[u8]>, golden: Option<&[u8]>) -> Result<Option<String>> {
    let (Some(generated), Some(golden)) = (generated, golden) else { return Ok(None) };
    let port = verify::declared_port(spec);
    let ours = verify::call_sites::scripts(generated);
    for (name, theirs) in verify::call_sites::scripts(golden) {
        let Some((_, mine)) = ours.iter().find(|(n, _)| *n == name) else { continue };
        if *mine == theirs {
            continue;
        }
        let refuted = verify::call_sites::refute(&port, &theirs).map_err(|e| anyhow::anyhow!("{}: {e}", spec.arch))?;
        let holds =
            verify::call_sites::refute(&port, mine).map_err(|e| anyhow::anyhow!("{}: {e}", spec.arch))?.is_none();
        if let (Some((property, _)), true) = (refuted, holds) {
            let script = theirs.iter().map(|op| op.to_string()).collect::<Vec<_>>().join(", ");
            return Ok(Some(format!(
                "the golden {name}() breaks \"{property}\" in the model (its calls: {script}); the generated {name}() holds"
            )));
        }
    }
    Ok(None)
}

/// Why the golden hooks are wrong and the generated ones right, when the
/// model says so.
fn model_justification(spec: &ArchSpec, golden: &Path) -> Result<Option<String>> {
    let Ok(golden_port) = verify::tree_port(spec, golden)? else { return Ok(None) };
    let theirs = verify::check(spec.arch, &golden_port, Variant::Merged)?;
    let ours = verify::check(spec.arch, &verify::declared_port(spec), Variant::Merged)?;
    if theirs.is_proved() || !ours.is_proved() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the golden hooks fail the model: counterexample to \"{}\" (`archport verify --arch {} --tree GOLDEN` prints the trace); the generated hooks are proved ({} states)",
        theirs.property.as_deref().unwrap_or("?"),
        spec.arch,
        ours.states
    )))
}
