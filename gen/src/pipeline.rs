//! The stages wired together for the commands: load each arch's
//! descriptor and templates, read its files from the input tree, port
//! it, and review it against the golden tree.

use std::path::Path;

use anyhow::Result;

use crate::arch::Arch;
use crate::descriptor::{self, ArchSpec};
use crate::port::{self, Port};
use crate::render::Templates;
use crate::review::{self, ArchReview};

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

/// Reviews a port against `golden`.
pub fn review(p: &Ported, tree: &Path, golden: &Path) -> Result<ArchReview> {
    review::review(&p.port, tree, golden, &p.arch_text)
}
