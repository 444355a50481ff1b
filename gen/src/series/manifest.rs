//! The series manifest: `patches/<series>/series.toml` (the order of the
//! patches, their subjects, how effects are worded) and the tera
//! templates beside it (`commit.tera`, `cover.tera`).
//!
//! The manifest is the source of truth for subjects; the templates turn
//! an arch's descriptor (facts, hooks and their effects, rationale, the
//! edits of its files) into its commit message. Rendering is pure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use archport_generic::{Contract, Effect};
use serde::{Deserialize, Serialize};

use crate::arch::Arch;
use crate::data_file::tera_error;
use crate::descriptor::ArchSpec;
use crate::edit::Op;
use crate::port::Port;

/// Columns a commit message is wrapped at (checkpatch asks for at most 75).
pub const WRAP: usize = 72;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    name: String,
    cover_subject: String,
    #[serde(rename = "patch")]
    patches: Vec<RawEntry>,
    effects: BTreeMap<String, String>,
    #[serde(default)]
    conditions: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    arch: String,
    name: String,
    subject: String,
}

/// One patch of the series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PatchEntry {
    pub arch: Arch,
    /// How prose names the arch (`ARM`, `PowerPC`).
    pub name: String,
    pub subject: String,
}

/// A loaded manifest with its templates.
pub struct Manifest {
    pub dir: PathBuf,
    pub name: String,
    pub cover_subject: String,
    /// Every arch once, in series order.
    pub patches: Vec<PatchEntry>,
    effects: BTreeMap<String, String>,
    conditions: BTreeMap<String, String>,
    tera: tera::Tera,
}

/// The project's `patches/kmap_local` folder.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches/kmap_local")
}

impl Manifest {
    /// Loads `<dir>/series.toml`, `<dir>/commit.tera` and `<dir>/cover.tera`.
    pub fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join("series.toml");
        let raw: ManifestFile = crate::data_file::load_toml(&path).context("reading the series manifest")?;
        let mut patches = Vec::new();
        for e in raw.patches {
            let arch: Arch = e.arch.parse().map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
            if patches.iter().any(|p: &PatchEntry| p.arch == arch) {
                bail!("{}: arch `{arch}` has two [[patch]] entries", path.display());
            }
            if e.subject.trim().is_empty() || e.subject.contains('\n') {
                bail!("{}: the subject of `{arch}` must be one non-empty line", path.display());
            }
            patches.push(PatchEntry { arch, name: e.name, subject: e.subject });
        }
        if let Some(missing) = Arch::ALL.into_iter().find(|a| !patches.iter().any(|p| p.arch == *a)) {
            bail!("{}: no [[patch]] entry for arch `{missing}`", path.display());
        }
        if let Some(e) = Effect::ALL.into_iter().find(|e| !raw.effects.contains_key(e.name())) {
            bail!("{}: [effects] has no wording for `{e}`", path.display());
        }
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        for name in ["commit", "cover"] {
            let file = dir.join(format!("{name}.tera"));
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            tera.add_raw_template(name, &text)
                .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), tera_error(&e)))?;
        }
        Ok(Manifest {
            dir: dir.to_path_buf(),
            name: raw.name,
            cover_subject: raw.cover_subject,
            patches,
            effects: raw.effects,
            conditions: raw.conditions,
            tera,
        })
    }

    /// The entries of `arches`, in series order.
    pub fn ordered(&self, arches: &[Arch]) -> Vec<&PatchEntry> {
        self.patches.iter().filter(|p| arches.contains(&p.arch)).collect()
    }

    /// The commit message of an arch's patch: body only, wrapped, with no
    /// subject line and no trailing blank line.
    pub fn commit_message(&self, spec: &ArchSpec, port: &Port) -> Result<String> {
        let ctx = self.commit_context(spec, port)?;
        let text = self.render("commit", &tera::Context::from_serialize(ctx)?)?;
        Ok(reflow(&tidy(&text), WRAP))
    }

    /// The cover letter's text for the given patches (before the shortlog).
    pub fn cover_text(&self, patches: &[CoverPatch], tree: Option<&str>) -> Result<String> {
        let mut ctx = tera::Context::new();
        ctx.insert("count", &patches.len());
        ctx.insert("patches", patches);
        ctx.insert("tree", &tree);
        Ok(reflow(&tidy(&self.render("cover", &ctx)?), WRAP))
    }

    fn render(&self, name: &str, ctx: &tera::Context) -> Result<String> {
        self.tera
            .render(name, ctx)
            .map_err(|e| anyhow::anyhow!("{}: {}", self.dir.join(format!("{name}.tera")).display(), tera_error(&e)))
    }

    fn effect_words(&self, spec: &ArchSpec, hook: &str, g: &archport_generic::GuardedEffect) -> Result<String> {
        let mut s = self.effects[g.effect.name()].clone();
        if let Some(cond) = g.when {
            let key = serde_json::to_value(cond)?.as_str().unwrap_or_default().to_string();
            let Some(words) = self.conditions.get(&key) else {
                bail!(
                    "{}: [conditions] has no wording for `{key}` (used by {} hook {hook})",
                    self.dir.join("series.toml").display(),
                    spec.arch
                );
            };
            s = format!("{s} {words}");
        }
        Ok(s)
    }

    fn commit_context<'a>(&self, spec: &'a ArchSpec, port: &Port) -> Result<CommitContext<'a>> {
        let d = &spec.descriptor;
        let mut hooks = Vec::new();
        for (hook, h) in spec.hooks() {
            let words =
                h.effects.iter().map(|e| self.effect_words(spec, hook.name(), e)).collect::<Result<Vec<_>>>()?;
            hooks.push(HookView {
                c_name: hook.c_name(),
                params: hook.params().join(", "),
                when: hook.summary().starts_with("Called").then(|| sentence_case(hook.summary())),
                does: if words.is_empty() { "does nothing".to_string() } else { words.join(", then ") },
                function: match &h.body {
                    crate::descriptor::HookBody::Function { name, .. } => Some(name.clone()),
                    _ => None,
                },
            });
        }
        let called = Contract::linux_5_10().hooks();
        let defaults = called.iter().filter(|h| !d.hooks.contains_key(*h)).map(|h| h.c_name()).collect();
        let mut edits = Edits::default();
        for f in &d.files {
            for op in &f.edits {
                edits.note(&f.path, op);
            }
        }
        let deleted =
            port.files.iter().filter(|f| f.after.is_none() && f.before.is_some()).map(|f| f.path.clone()).collect();
        let name = self.patches.iter().find(|p| p.arch == spec.arch).map_or(spec.arch.name(), |p| p.name.as_str());
        Ok(CommitContext {
            arch: name.to_string(),
            rationale: d.rationale.trim(),
            hooks,
            defaults,
            facts: serde_json::to_value(d.facts)?,
            reasons: &d.reasons,
            selects: edits.selects,
            includes: edits.includes,
            renames: edits.renames,
            removed: edits
                .removed
                .iter()
                .map(|(name, function)| if *function { format!("{name}()") } else { name.clone() })
                .collect(),
            deleted,
            objects: edits.objects,
        })
    }
}

/// What the cover letter says about one patch.
#[derive(Clone, Debug, Serialize)]
pub struct CoverPatch {
    pub arch: Arch,
    pub name: String,
    pub subject: String,
    pub hooks: Vec<&'static str>,
    pub deleted: usize,
}

impl CoverPatch {
    pub fn new(spec: &ArchSpec, entry: &PatchEntry, port: &Port) -> CoverPatch {
        CoverPatch {
            arch: spec.arch,
            name: entry.name.clone(),
            subject: entry.subject.clone(),
            hooks: spec.hooks().map(|(h, _)| h.c_name()).collect(),
            deleted: port.files.iter().filter(|f| f.after.is_none()).count(),
        }
    }
}

#[derive(Serialize)]
struct CommitContext<'a> {
    /// The arch as prose names it.
    arch: String,
    rationale: &'a str,
    hooks: Vec<HookView>,
    defaults: Vec<&'static str>,
    facts: serde_json::Value,
    reasons: &'a BTreeMap<String, String>,
    selects: Vec<Select>,
    includes: Vec<Include>,
    renames: Vec<Rename>,
    removed: Vec<String>,
    deleted: Vec<String>,
    objects: Vec<String>,
}

#[derive(Serialize)]
struct HookView {
    c_name: &'static str,
    params: String,
    /// When the generic code calls it, where the contract's summary says.
    when: Option<String>,
    /// Its effects in words, in order.
    does: String,
    function: Option<String>,
}

#[derive(Serialize, PartialEq)]
struct Select {
    config: String,
    symbol: String,
}

#[derive(Serialize)]
struct Include {
    from: String,
    to: Option<String>,
    files: Vec<String>,
}

#[derive(Serialize)]
struct Rename {
    from: String,
    to: String,
    files: Vec<String>,
}

/// The descriptor's edits, gathered for the message: each item once, in
/// descriptor order.
#[derive(Default)]
struct Edits {
    selects: Vec<Select>,
    includes: Vec<Include>,
    renames: Vec<Rename>,
    /// Names removed, and whether one of them is a function.
    removed: Vec<(String, bool)>,
    objects: Vec<String>,
}

impl Edits {
    fn include(&mut self, path: &str, from: &str, to: Option<&String>) {
        match self.includes.iter_mut().find(|i| i.from == from && i.to.as_ref() == to) {
            Some(i) if !i.files.iter().any(|f| f == path) => i.files.push(path.to_string()),
            Some(_) => {}
            None => {
                self.includes.push(Include { from: from.to_string(), to: to.cloned(), files: vec![path.to_string()] })
            }
        }
    }

    fn note(&mut self, path: &str, op: &Op) {
        fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
            if !v.contains(&x) {
                v.push(x);
            }
        }
        match op {
            Op::KconfigSelect { config, symbol } => {
                push(&mut self.selects, Select { config: config.clone(), symbol: symbol.clone() })
            }
            Op::ReplaceInclude { from, to } => self.include(path, from, Some(to)),
            Op::DropInclude { header } => self.include(path, header, None),
            Op::Rename { from, to } => match self.renames.iter_mut().find(|r| r.from == *from && r.to == *to) {
                Some(r) => push(&mut r.files, path.to_string()),
                None => self.renames.push(Rename { from: from.clone(), to: to.clone(), files: vec![path.to_string()] }),
            },
            Op::RemoveFunction { name } | Op::RemoveDeclaration { name } | Op::RemoveMacro { name } => {
                let function = matches!(op, Op::RemoveFunction { .. });
                match self.removed.iter_mut().find(|(n, _)| n == name) {
                    Some((_, f)) => *f |= function,
                    None => self.removed.push((name.clone(), function)),
                }
            }
            Op::RemoveMakefileObject { object } => push(&mut self.objects, object.clone()),
            _ => {}
        }
    }
}

/// `Called after ...` -> `called after ...`, without the final period
/// and the Rust doc's backticks.
fn sentence_case(summary: &str) -> String {
    let s = summary.trim().trim_end_matches('.').replace('`', "");
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

/// Trailing blanks off every line, no more than one blank line in a row,
/// none at either end.
fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Re-wraps a rendered message at `width` columns, the way its author
/// would after the template's fields were filled in (a long arch name
/// or path must not leave a short line behind, nor a long one):
///
/// - a paragraph (lines between blank lines) is one text;
/// - a line starting with `- ` (after any indentation) opens a list
///   item, continued by the lines below it that are indented further;
///   its wrapped lines are indented to its text;
/// - any other indented line is an item of its own, continued the same
///   way, its wrapped lines indented two more columns;
/// - a line indented by a tab is kept as it is (code, a `T:` line).
///
/// A word longer than the width stays whole on a line of its own.
pub fn reflow(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    // The item being gathered: its first line's lead, the lead of its
    // wrapped lines, its indentation, whether it is a paragraph, its words.
    let mut item: Option<(String, String, usize, bool, Vec<&str>)> = None;
    let flush = |item: &mut Option<(String, String, usize, bool, Vec<&str>)>, out: &mut Vec<String>| {
        if let Some((lead, indent, _, _, words)) = item.take() {
            out.extend(fill(&words, width, &lead, &indent));
        }
    };
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('\t') {
            flush(&mut item, &mut out);
            out.push(if line.trim().is_empty() { String::new() } else { line.to_string() });
            continue;
        }
        let ws = line.len() - line.trim_start_matches(' ').len();
        let body = &line[ws..];
        let bullet = body.starts_with("- ");
        let continues = match &item {
            Some((_, _, at, paragraph, _)) => !bullet && if *paragraph { ws == 0 } else { ws > *at },
            None => false,
        };
        if !continues {
            flush(&mut item, &mut out);
            let pad = " ".repeat(ws);
            let (lead, indent) = match (bullet, ws) {
                (true, _) => (format!("{pad}- "), " ".repeat(ws + 2)),
                (false, 0) => (String::new(), String::new()),
                (false, _) => (pad, " ".repeat(ws + 2)),
            };
            item = Some((lead, indent, ws, !bullet && ws == 0, Vec::new()));
        }
        let words = if bullet && !continues { &body[2..] } else { body };
        if let Some((.., gathered)) = item.as_mut() {
            gathered.extend(words.split_whitespace());
        }
    }
    flush(&mut item, &mut out);
    out.join("\n")
}

/// Greedy filling: the first line starts with `lead`, the others with
/// `indent`.
fn fill(words: &[&str], width: usize, lead: &str, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = lead.to_string();
    let mut empty = true;
    for word in words {
        if !empty && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut current, indent.to_string()));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflow_rewraps_paragraphs_and_items_after_substitution() {
        // mips's rationale broke as "...its PTE\nand\nafter clearing it".
        let text = "MIPS flushes the local TLB entry of a kmap slot after writing its PTE and\nafter clearing it, as the old kmap_atomic() did.\n\n\
- include <asm/kmap_size.h> instead of <asm/kmap_types.h> in arch/mips/include/asm/fixmap.h, arch/mips/include/asm/highmem.h\n\
- define the hooks below\n\n  ARM: arch_kmap_local_post_map, arch_kmap_local_pre_unmap, arch_kmap_local_post_unmap\n\n\
\tT: git git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip.git x86/core";
        let want = [
            "MIPS flushes the local TLB entry of a kmap slot after writing its PTE",
            "and after clearing it, as the old kmap_atomic() did.",
            "",
            "- include <asm/kmap_size.h> instead of <asm/kmap_types.h> in",
            "  arch/mips/include/asm/fixmap.h, arch/mips/include/asm/highmem.h",
            "- define the hooks below",
            "",
            "  ARM: arch_kmap_local_post_map, arch_kmap_local_pre_unmap,",
            "    arch_kmap_local_post_unmap",
            "",
            "\tT: git git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip.git x86/core",
        ];
        assert_eq!(reflow(text, 72), want.join("\n"));
        assert_eq!(reflow("averyveryverylongword x", 5), "averyveryverylongword\nx");
        assert_eq!(reflow(&reflow(text, 72), 72), reflow(text, 72), "reflowing twice changes nothing");
    }

    #[test]
    fn tidy_folds_blank_runs() {
        assert_eq!(tidy("\n\na  \n\n\n\nb\n\n"), "a\n\nb");
    }

    #[test]
    fn the_project_manifest_names_every_arch_once_in_upstream_order() {
        let m = Manifest::load(&default_dir()).unwrap();
        let order: Vec<&str> = m.patches.iter().map(|p| p.arch.name()).collect();
        assert_eq!(order, ["x86", "arc", "arm", "csky", "microblaze", "mips", "nds32", "powerpc", "sparc", "xtensa"]);
        let subject = |a: Arch| m.patches.iter().find(|p| p.arch == a).unwrap().subject.as_str();
        assert_eq!(subject(Arch::Arm), "ARM: highmem: Switch to generic kmap atomic");
        assert_eq!(subject(Arch::X86), "x86/mm/highmem: Use generic kmap atomic implementation");
        assert_eq!(
            m.ordered(&[Arch::Sparc, Arch::X86]).iter().map(|p| p.arch).collect::<Vec<_>>(),
            [Arch::X86, Arch::Sparc]
        );
    }

    #[test]
    fn a_manifest_missing_an_arch_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["commit.tera", "cover.tera"] {
            std::fs::copy(default_dir().join(f), dir.path().join(f)).unwrap();
        }
        let text = std::fs::read_to_string(default_dir().join("series.toml")).unwrap();
        let without_nds32 = text.replace("arch = \"nds32\"", "arch = \"mips\"");
        std::fs::write(dir.path().join("series.toml"), without_nds32).unwrap();
        let err = Manifest::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("arch `mips` has two [[patch]] entries"), "{err}");
    }
}
