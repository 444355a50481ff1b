//! Arch descriptors: the per-arch table that drives the port.
//!
//! A descriptor (`arch-templates/<arch>/port.toml`) is data: the
//! hardware facts the model needs (each with a reason), the
//! hooks the arch defines (effects in the model's vocabulary, and the C
//! text that performs them), and the files the port touches with the
//! generic edit operations applied to each. `arch-templates/README.md`
//! documents every field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use archport_generic::{GuardedEffect, HardwareFacts, Hook};
use serde::Deserialize;

use crate::arch::Arch;
use crate::edit::Op;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    /// Why the port looks the way it does, for the commit message.
    #[serde(default)]
    pub rationale: String,
    pub facts: HardwareFacts,
    /// One reason per fact, from evidence independent of the port.
    pub reasons: BTreeMap<String, String>,
    #[serde(default)]
    pub hooks: BTreeMap<String, HookSpec>,
    /// What the C functions the hooks call do, in the model's vocabulary:
    /// how `archport verify --tree` reads a tree's hooks back.
    #[serde(default)]
    pub c_effects: BTreeMap<String, Vec<archport_generic::Effect>>,
    #[serde(rename = "file")]
    pub files: Vec<FileSpec>,
}

/// One hook the arch defines.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSpec {
    /// What the hook does, in order, in the model's vocabulary.
    pub effects: Vec<EffectEntry>,
    /// The C statements of the macro body (one line: an expression).
    pub c: Option<String>,
    /// For hooks provided by a function: its prototype...
    pub prototype: Option<String>,
    /// ...and its name, which the hook macro aliases.
    pub function: Option<String>,
    /// For a hook whose definition an arch template renders: its name.
    pub template: Option<String>,
    /// Effects kept as the arch's old code did although its hardware
    /// facts do not require them; the mutation tests check both ways.
    #[serde(default)]
    pub defensive: Vec<archport_generic::Effect>,
    /// Why the defensive effects are kept.
    pub defensive_reason: Option<String>,
}

/// An effect, written as `"tlb_flush_page"` or
/// `{ effect = "cache_flush_page", when = "cache_is_vivt" }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum EffectEntry {
    Plain(archport_generic::Effect),
    Guarded(GuardedEffect),
}

impl EffectEntry {
    pub fn guarded(&self) -> GuardedEffect {
        match self {
            EffectEntry::Plain(e) => GuardedEffect { effect: *e, when: None },
            EffectEntry::Guarded(g) => *g,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub path: String,
    pub edits: Vec<Op>,
}

/// A loaded descriptor with where it came from.
#[derive(Clone, Debug)]
pub struct ArchSpec {
    pub arch: Arch,
    pub dir: PathBuf,
    pub descriptor: Descriptor,
}

impl ArchSpec {
    /// The arch's hooks, resolved against the contract, in contract order.
    pub fn hooks(&self) -> Vec<(Hook, &HookSpec)> {
        Hook::ALL.iter().filter_map(|h| self.descriptor.hooks.get(h.name()).map(|s| (*h, s))).collect()
    }
}

/// The `arch-templates` folder: `--templates`, else the one beside this
/// crate's sources.
pub fn templates_root(flag: Option<&Path>) -> PathBuf {
    let root =
        flag.map(Path::to_path_buf).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../arch-templates"));
    root.canonicalize().unwrap_or(root)
}

/// Loads and validates `<root>/<arch>/port.toml`.
pub fn load(root: &Path, arch: Arch) -> Result<ArchSpec> {
    let dir = root.join(arch.name());
    let path = dir.join("port.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading the {arch} descriptor {}", path.display()))?;
    let descriptor: Descriptor = toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((0, 0));
        anyhow::anyhow!("{}:{line}:{col}: {}", path.display(), e.message().trim().replace('\n', "; "))
    })?;
    validate(&descriptor, arch, &path)?;
    Ok(ArchSpec { arch, dir, descriptor })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

fn validate(d: &Descriptor, arch: Arch, path: &Path) -> Result<()> {
    // Ports are generated for the 5.10 generic code: a hook it never
    // calls (set_pte, which later kernels added) would be dead C.
    let target = archport_generic::Contract::linux_5_10();
    for name in d.hooks.keys() {
        if !Hook::from_name(name).is_some_and(|h| target.calls(h)) {
            let known: Vec<&str> = target.hooks().iter().map(|h| h.name()).collect();
            bail!(
                "{}: hook `{name}` is not one the {} generic code calls ({})",
                path.display(),
                target.name,
                known.join(", ")
            );
        }
    }
    for (name, h) in &d.hooks {
        let forms = [h.c.is_some(), h.function.is_some(), h.template.is_some()].iter().filter(|x| **x).count();
        if forms != 1 || h.prototype.is_some() != h.function.is_some() {
            bail!(
                "{}: hook `{name}` needs exactly one of `c`, `prototype` + `function`, or `template`",
                path.display()
            );
        }
    }
    for (name, h) in &d.hooks {
        let listed: Vec<_> = h.effects.iter().map(|e| e.guarded().effect).collect();
        if let Some(e) = h.defensive.iter().find(|e| !listed.contains(e)) {
            bail!("{}: hook `{name}` marks `{e}` defensive but does not list it in `effects`", path.display());
        }
        if !h.defensive.is_empty() && h.defensive_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            bail!("{}: hook `{name}` has defensive effects but no `defensive_reason`", path.display());
        }
    }
    let facts = serde_json::to_value(d.facts)?;
    for field in facts.as_object().into_iter().flat_map(|o| o.keys()) {
        if d.reasons.get(field).is_none_or(|r| r.trim().is_empty()) {
            bail!("{}: fact `{field}` has no reason in [reasons]", path.display());
        }
    }
    for f in &d.files {
        let p = Path::new(&f.path);
        if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            bail!("{}: path `{}` must be relative and inside the tree", path.display(), f.path);
        }
        if !f.path.starts_with(&arch.dir()) {
            bail!("{}: path `{}` is outside {}", path.display(), f.path, arch.dir());
        }
    }
    Ok(())
}
