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
use archport_generic::{Condition, Effect, GuardedEffect, HardwareFacts, Hook};
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
    /// The hooks the arch defines, by hook of the contract.
    #[serde(default, deserialize_with = "hooks_by_name")]
    pub hooks: BTreeMap<Hook, HookSpec>,
    /// What the primitives the hooks call do, in the model's vocabulary
    /// (TLB and cache instructions, below which the C reader does not go):
    /// how `archport verify` reads hooks back from C.
    #[serde(default)]
    pub c_effects: BTreeMap<String, CEffect>,
    /// Values the hooks compute with that the arch's files do not define
    /// in a form the reader follows (a page's cache colour).
    #[serde(default)]
    pub c_values: BTreeMap<String, CValue>,
    /// What the configuration the verdict is for says about preprocessor
    /// symbols and conditions the hooks depend on (`CONFIG_SMP = false`),
    /// each with its reason in `[reasons]`.
    #[serde(default)]
    pub config: BTreeMap<String, bool>,
    #[serde(rename = "file")]
    pub files: Vec<FileSpec>,
    /// How `archport compile` builds the arch's ports.
    #[serde(default)]
    pub build: Option<crate::compile::recipe::BuildRecipe>,
}

/// One hook the arch defines.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawHookSpec")]
pub struct HookSpec {
    /// What the hook does, in order, in the model's vocabulary.
    pub effects: Vec<GuardedEffect>,
    /// Where its C definition comes from.
    pub body: HookBody,
    /// Effects kept as the arch's old code did although its hardware
    /// facts do not require them; the mutation tests check both ways.
    pub defensive: Vec<Effect>,
    /// Why the defensive effects are kept.
    pub defensive_reason: Option<String>,
}

/// The C that defines a hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookBody {
    /// The statements of the macro body (one line: an expression).
    C(String),
    /// A function the macro aliases, with its prototype.
    Function { prototype: String, name: String },
    /// An arch template renders the definition (inserted by an edit).
    Template(String),
}

/// A hook as written in `port.toml`, before its one body is picked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHookSpec {
    effects: Vec<EffectEntry>,
    c: Option<String>,
    prototype: Option<String>,
    function: Option<String>,
    template: Option<String>,
    #[serde(default)]
    defensive: Vec<EffectName>,
    defensive_reason: Option<String>,
}

impl TryFrom<RawHookSpec> for HookSpec {
    type Error = String;

    fn try_from(raw: RawHookSpec) -> Result<HookSpec, String> {
        let body = match (raw.c, raw.prototype, raw.function, raw.template) {
            (Some(c), None, None, None) => HookBody::C(c),
            (None, Some(prototype), Some(name), None) => HookBody::Function { prototype, name },
            (None, None, None, Some(t)) => HookBody::Template(t),
            _ => return Err("a hook needs exactly one of `c`, `prototype` + `function`, or `template`".into()),
        };
        let effects: Vec<GuardedEffect> = raw.effects.into_iter().map(|e| e.0).collect();
        let defensive: Vec<Effect> = raw.defensive.into_iter().map(|e| e.0).collect();
        if let Some(e) = defensive.iter().find(|d| !effects.iter().any(|g| g.effect == **d)) {
            return Err(format!("`{e}` is marked defensive but not listed in `effects`"));
        }
        if !defensive.is_empty() && raw.defensive_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err("defensive effects need a `defensive_reason`".into());
        }
        Ok(HookSpec { effects, body, defensive, defensive_reason: raw.defensive_reason })
    }
}

impl HookSpec {
    /// The C text the descriptor holds for the hook (its macro body, or its
    /// function's prototype); a template's text lives with the templates.
    pub fn c_text(&self) -> Option<&str> {
        match &self.body {
            HookBody::C(c) => Some(c),
            HookBody::Function { prototype, .. } => Some(prototype),
            HookBody::Template(_) => None,
        }
    }
}

/// A `[c_effects]` entry: what a primitive does, and which of its
/// arguments say where. Written `name = ["effect", ...]` for a primitive
/// that takes no address (`flush_tlb_all`), or `name = { effects = [...],
/// addr = N }` (argument N is the address), `range = [S, E]` (start and
/// end addresses), `area = [A, N]` (address and size), `pte = N` (the PTE
/// value it loads), `ptep = P, pte = N` (the PTE it writes, and the value).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawCEffect")]
pub struct CEffect {
    pub effects: Vec<Effect>,
    pub args: ArgSpec,
}

/// Where a primitive's arguments say it acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgSpec {
    None,
    Addr(usize),
    Range(usize, usize),
    Area(usize, usize),
    Pte(usize),
    /// A PTE pointer and the value written through it.
    PtepPte(usize, usize),
}

/// A list or a table. Not `#[serde(untagged)]`: that would swallow the
/// inner error (an unknown effect's name) into "did not match any variant".
enum RawCEffect {
    Plain(Vec<EffectName>),
    Table(RawCEffectTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCEffectTable {
    effects: Vec<EffectName>,
    addr: Option<usize>,
    range: Option<[usize; 2]>,
    area: Option<[usize; 2]>,
    pte: Option<usize>,
    ptep: Option<usize>,
}

impl<'de> Deserialize<'de> for RawCEffect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawCEffect, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};

        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = RawCEffect;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of effects, or a table `{ effects = [...], addr = N }`")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawCEffect, A::Error> {
                Deserialize::deserialize(SeqAccessDeserializer::new(seq)).map(RawCEffect::Plain)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawCEffect, A::Error> {
                Deserialize::deserialize(MapAccessDeserializer::new(map)).map(RawCEffect::Table)
            }
        }
        d.deserialize_any(Either)
    }
}

impl TryFrom<RawCEffect> for CEffect {
    type Error = String;

    fn try_from(raw: RawCEffect) -> Result<CEffect, String> {
        let (effects, args) = match raw {
            RawCEffect::Plain(e) => (e, ArgSpec::None),
            RawCEffect::Table(RawCEffectTable { effects, addr, range, area, pte, ptep }) => {
                let args = match (addr, range, area, pte, ptep) {
                    (Some(a), None, None, None, None) => ArgSpec::Addr(a),
                    (None, Some([s, e]), None, None, None) => ArgSpec::Range(s, e),
                    (None, None, Some([a, n]), None, None) => ArgSpec::Area(a, n),
                    (None, None, None, Some(p), None) => ArgSpec::Pte(p),
                    (None, None, None, Some(v), Some(p)) => ArgSpec::PtepPte(p, v),
                    (None, None, None, None, None) => ArgSpec::None,
                    _ => return Err("give one of `addr`, `range`, `area`, `pte`, or `ptep` with `pte`".into()),
                };
                (effects, args)
            }
        };
        let effects: Vec<Effect> = effects.into_iter().map(|e| e.0).collect();
        let needs = |e: &Effect| match e {
            Effect::TlbFlushPage | Effect::CacheFlushPage | Effect::TlbVpnSet => {
                matches!(args, ArgSpec::Addr(_) | ArgSpec::Range(..) | ArgSpec::Area(..))
            }
            Effect::TlbWrite | Effect::TlbWriteVpn => matches!(args, ArgSpec::Pte(_)),
            Effect::PteWrite => matches!(args, ArgSpec::PtepPte(..)),
            _ => true,
        };
        if let Some(e) = effects.iter().find(|e| !needs(e)) {
            return Err(match e {
                Effect::PteWrite => "`pte_write` needs `ptep = N, pte = M`: the PTE pointer and the value".to_string(),
                Effect::TlbWrite | Effect::TlbWriteVpn => {
                    format!("`{e}` needs `pte = N`: which argument is the PTE value")
                }
                _ => format!("`{e}` acts on an address: say which argument with `addr`, `range` or `area`"),
            });
        }
        Ok(CEffect { effects, args })
    }
}

/// A `[c_values]` entry: `"colours"` (the number of cache colours), or
/// `{ colour_of = N }` (the cache colour of the address in argument N).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CValue {
    ColourOf {
        colour_of: usize,
    },
    #[serde(with = "colours")]
    Colours,
}

mod colours {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        use serde::de::Error as _;
        let s = <String as serde::Deserialize>::deserialize(d)?;
        if s == "colours" {
            Ok(())
        } else {
            Err(D::Error::custom(format!("unknown value `{s}` (known: \"colours\", {{ colour_of = N }})")))
        }
    }
}

/// An effect named in a descriptor; an unknown name lists the known ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct EffectName(pub Effect);

impl TryFrom<String> for EffectName {
    type Error = String;

    fn try_from(name: String) -> Result<EffectName, String> {
        Effect::ALL.into_iter().find(|e| e.name() == name).map(EffectName).ok_or_else(|| {
            let known: Vec<&str> = Effect::ALL.iter().map(|e| e.name()).collect();
            format!("unknown effect `{name}` (known: {})", known.join(", "))
        })
    }
}

/// An effect, written as `"tlb_flush_page"` or
/// `{ effect = "cache_flush_page", when = "cache_is_vivt" }`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "RawEffectEntry")]
struct EffectEntry(GuardedEffect);

#[derive(Deserialize)]
#[serde(untagged)]
enum RawEffectEntry {
    Plain(String),
    Guarded { effect: String, when: Option<String> },
}

impl TryFrom<RawEffectEntry> for EffectEntry {
    type Error = String;

    fn try_from(raw: RawEffectEntry) -> Result<EffectEntry, String> {
        let (effect, when) = match raw {
            RawEffectEntry::Plain(e) => (e, None),
            RawEffectEntry::Guarded { effect, when } => (effect, when),
        };
        let effect = EffectName::try_from(effect)?.0;
        // serde's own message lists the conditions there are.
        let when = when
            .map(|w| Condition::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&w)))
            .transpose()
            .map_err(|e| format!("condition: {e}"))?;
        Ok(EffectEntry(GuardedEffect { effect, when }))
    }
}

/// Descriptors name hooks by their short name; an unknown one lists the
/// contract's hooks.
fn hooks_by_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<Hook, HookSpec>, D::Error> {
    use serde::de::Error as _;
    BTreeMap::<String, HookSpec>::deserialize(d)?
        .into_iter()
        .map(|(name, spec)| match Hook::from_name(&name) {
            Some(hook) => Ok((hook, spec)),
            None => {
                let known: Vec<&str> = Hook::ALL.iter().map(|h| h.name()).collect();
                Err(D::Error::custom(format!("unknown hook `{name}` (the contract has: {})", known.join(", "))))
            }
        })
        .collect()
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
    /// The arch's hooks, in contract order.
    pub fn hooks(&self) -> impl Iterator<Item = (Hook, &HookSpec)> {
        self.descriptor.hooks.iter().map(|(h, s)| (*h, s))
    }

    /// The configuration the verdict is for: the descriptor's `[config]`
    /// and CONFIG_DEBUG_HIGHMEM as asked (its debug-only code split off).
    pub fn config(&self, debug_highmem: bool) -> crate::verify::cpp::Config {
        let mut config = crate::verify::cpp::Config::default();
        for (key, &value) in &self.descriptor.config {
            if crate::verify::cpp::is_ident(key) && !key.contains(' ') {
                config.symbols.insert(key.clone(), value);
            } else {
                config.conditions.insert(key.clone(), value);
            }
        }
        for symbol in ["CONFIG_DEBUG_HIGHMEM", "CONFIG_DEBUG_KMAP_LOCAL"] {
            config.symbols.insert(symbol.to_string(), debug_highmem);
        }
        config
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
    let descriptor: Descriptor =
        crate::data_file::load_toml(&path).with_context(|| format!("reading the {arch} descriptor"))?;
    validate(&descriptor, arch, &path)?;
    Ok(ArchSpec { arch, dir, descriptor })
}

fn validate(d: &Descriptor, arch: Arch, path: &Path) -> Result<()> {
    // Ports are generated for the 5.10 generic code: a hook it never
    // calls (set_pte, which later kernels added) would be dead C.
    let target = archport_generic::model::Contract::linux_5_10();
    for hook in d.hooks.keys() {
        if !target.calls(*hook) {
            let known: Vec<&str> = target.hooks().iter().map(|h| h.name()).collect();
            bail!(
                "{}: hook `{}` is not one the {} generic code calls ({})",
                path.display(),
                hook.name(),
                target.name,
                known.join(", ")
            );
        }
    }
    let facts = serde_json::to_value(d.facts)?;
    for field in facts.as_object().into_iter().flat_map(|o| o.keys()) {
        if d.reasons.get(field).is_none_or(|r| r.trim().is_empty()) {
            bail!("{}: fact `{field}` has no reason in [reasons]", path.display());
        }
    }
    for key in d.config.keys() {
        if d.reasons.get(key).is_none_or(|r| r.trim().is_empty()) {
            bail!("{}: [config] `{key}` has no reason in [reasons]", path.display());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for f in &d.files {
        let p = Path::new(&f.path);
        if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            bail!("{}: path `{}` must be relative and inside the tree", path.display(), f.path);
        }
        // Path::components() hides `./` and `//`; diffs and `git apply` do not.
        let canonical: Vec<&str> = p.components().filter_map(|c| c.as_os_str().to_str()).collect();
        if canonical.join("/") != f.path {
            bail!("{}: path `{}` is not written canonically (as `{}`)", path.display(), f.path, canonical.join("/"));
        }
        if !seen.insert(f.path.as_str()) {
            bail!("{}: path `{}` has two [[file]] entries; put all its edits in one", path.display(), f.path);
        }
        if !f.path.starts_with(&arch.dir()) {
            bail!("{}: path `{}` is outside {}", path.display(), f.path, arch.dir());
        }
    }
    if let Some(build) = &d.build {
        build.validate(path)?;
    }
    Ok(())
}
