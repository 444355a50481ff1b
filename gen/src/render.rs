//! Rendering C text: the hook macros from the contract and an arch's
//! descriptor, and the tera templates an arch's edits name.
//!
//! Templates are looked up from specific to general: `<arch>/<name>.tera`
//! first, then `shared/<name>.tera`; a name found in neither is an error.

use std::path::Path;

use anyhow::{Context, Result};
use archport_generic::Hook;
use serde::Serialize;

use crate::data_file::tera_error;
use crate::descriptor::{ArchSpec, HookBody, HookSpec};
use crate::edit::Render;

/// Column the continuation backslashes of a multi-line macro align to,
/// as kernel headers do.
const BACKSLASH_COLUMN: usize = 72;

/// The tera templates for one arch, plus the shared ones.
pub struct Templates {
    tera: tera::Tera,
    arch: String,
    /// The arch's own templates' text, per template name.
    arch_texts: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct HookView {
    name: &'static str,
    c_name: &'static str,
    define: String,
}

impl Templates {
    /// Loads `<root>/shared/*.tera` and `<root>/<arch>/*.tera`.
    pub fn load(root: &Path, spec: &ArchSpec) -> Result<Templates> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        let mut arch_texts = std::collections::BTreeMap::new();
        let arch = spec.arch.name().to_string();
        for folder in ["shared", arch.as_str()] {
            let dir = root.join(folder);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for file in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "tera")) {
                let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                refuse_composition(&file, &text)?;
                let name = format!("{folder}/{stem}");
                tera.add_raw_template(&name, &text)
                    .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), tera_error(&e)))?;
                if folder != "shared" {
                    arch_texts.insert(stem, text);
                }
            }
        }
        Ok(Templates { tera, arch, arch_texts })
    }

    fn resolve(&self, name: &str) -> Result<String, String> {
        let specific = format!("{}/{name}", self.arch);
        let shared = format!("shared/{name}");
        let names: Vec<&str> = self.tera.get_template_names().collect();
        if names.contains(&specific.as_str()) {
            Ok(specific)
        } else if names.contains(&shared.as_str()) {
            Ok(shared)
        } else {
            Err(format!("no template `{name}` (looked for {specific}.tera and {shared}.tera)"))
        }
    }

    fn render(&self, name: &str, context: &tera::Context) -> Result<String, String> {
        let full = self.resolve(name)?;
        self.tera.render(&full, context).map_err(|e| format!("template {full}: {}", tera_error(&e)))
    }

    /// The arch-specific text a port uses, line by line: its hooks' C
    /// text and the arch's own templates that its edits and hooks name
    /// (shared templates are generic). The one notion of "what is
    /// specific to this arch" that template-line counts and the generic
    /// share both derive from.
    pub fn arch_text<'a>(&'a self, spec: &'a ArchSpec) -> Vec<&'a str> {
        let mut names: Vec<&str> =
            spec.descriptor.files.iter().flat_map(|f| &f.edits).filter_map(|op| op.template()).collect();
        names.extend(spec.descriptor.hooks.values().filter_map(|h| match &h.body {
            HookBody::Template(t) => Some(t.as_str()),
            _ => None,
        }));
        names.sort();
        names.dedup();
        let hooks = spec.descriptor.hooks.values().filter_map(|h| h.c_text()).flat_map(|c| c.trim_end().lines());
        let templates = names.into_iter().filter_map(|n| self.arch_texts.get(n)).flat_map(|t| t.lines());
        hooks.chain(templates).collect()
    }
}

/// Arch templates are fragments of C: they need no macros, imports,
/// includes or inheritance, and those are how a template recurses
/// without end (tera has no recursion limit; the stack overflows). They
/// are refused, with the line, rather than run.
fn refuse_composition(file: &Path, text: &str) -> Result<()> {
    // Compiled once per process: every arch's templates are checked.
    static TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\{%-?\s*(macro|import|include|extends)\b").expect("a valid pattern")
    });
    if let Some(m) = TAG.captures(text) {
        let line = text[..m.get(0).map_or(0, |g| g.start())].matches('\n').count() + 1;
        anyhow::bail!(
            "{}:{line}: `{}` is not allowed in archport templates (they are plain fragments; macros, imports, \
             includes and inheritance could recurse without end)",
            file.display(),
            &m[1]
        );
    }
    Ok(())
}

/// Renders everything one arch's edits ask for.
pub struct ArchRenderer<'a> {
    pub spec: &'a ArchSpec,
    pub templates: &'a Templates,
}

impl ArchRenderer<'_> {
    fn context(&self) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("arch", self.spec.arch.name());
        let hooks: Vec<HookView> = self
            .spec
            .hooks()
            .filter_map(|(hook, spec)| {
                define(hook, spec).map(|define| HookView { name: hook.name(), c_name: hook.c_name(), define })
            })
            .collect();
        ctx.insert("hooks", &hooks);
        ctx
    }
}

impl Render for ArchRenderer<'_> {
    fn hooks(&self) -> Result<String, String> {
        self.templates.render("hooks", &self.context())
    }

    fn template(&self, name: &str) -> Result<String, String> {
        self.templates.render(name, &self.context())
    }
}

/// The C definition of one hook, or `None` when an arch template renders
/// it (a hook with a `template`).
pub fn define(hook: Hook, spec: &HookSpec) -> Option<String> {
    let body = match &spec.body {
        HookBody::Function { prototype, name } => {
            return Some(format!("{prototype}\n{}", align(&format!("#define {}", hook.c_name()), name, 40)))
        }
        HookBody::Template(_) => return None,
        HookBody::C(body) => body,
    };
    let head = format!("#define {}({})", hook.c_name(), hook.params().join(", "));
    let lines: Vec<&str> = body.trim_end().lines().collect();
    if let [single] = lines.as_slice() {
        let one = align(&head, single.trim(), 48);
        if width(&one) <= 80 {
            return Some(one);
        }
        return Some(format!("{}\n\t{}", continued(&head), single.trim()));
    }
    let mut out = vec![continued(&head), continued("do {")];
    out.extend(lines.iter().map(|l| continued(&format!("\t{l}"))));
    out.push("} while (0)".to_string());
    Some(out.join("\n"))
}

/// `left` then tabs up to `column` (at least one), then `right`.
fn align(left: &str, right: &str, column: usize) -> String {
    format!("{left}{}{right}", tabs_to(width(left), column))
}

/// A macro line ended by a backslash aligned to the kernel's column.
fn continued(line: &str) -> String {
    format!("{line}{}\\", tabs_to(width(line), BACKSLASH_COLUMN))
}

fn tabs_to(from: usize, column: usize) -> String {
    let (mut pos, mut n) = (from, 0);
    while pos < column || n == 0 {
        pos = (pos / 8 + 1) * 8;
        n += 1;
    }
    "\t".repeat(n)
}

/// Display width with 8-column tabs.
fn width(s: &str) -> usize {
    s.chars().fold(0, |w, c| if c == '\t' { (w / 8 + 1) * 8 } else { w + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(body: HookBody) -> HookSpec {
        HookSpec { effects: vec![], body, defensive: vec![], defensive_reason: None }
    }

    fn spec(c: &str) -> HookSpec {
        spec_with(HookBody::C(c.into()))
    }

    #[test]
    fn one_line_hooks_stay_on_one_line() {
        assert_eq!(
            define(Hook::PostUnmap, &spec("local_flush_tlb_one(vaddr)")).unwrap(),
            "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)"
        );
    }

    #[test]
    fn statements_are_wrapped_in_do_while() {
        let d = define(Hook::PostUnmap, &spec("flush_tlb_one_kernel((vaddr));\narch_flush_lazy_mmu_mode();")).unwrap();
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("#define arch_kmap_local_post_unmap(vaddr)\t") && lines[0].ends_with('\\'));
        assert_eq!(lines[1].trim_end_matches(['\t', '\\']), "do {");
        assert_eq!(lines[4], "} while (0)");
        assert!(lines[..4].iter().all(|l| width(l) <= 80 && width(l) >= BACKSLASH_COLUMN), "{d}");
    }

    #[test]
    fn function_hooks_alias_their_function() {
        let s = spec_with(HookBody::Function {
            prototype: "enum fixed_addresses kmap_local_map_idx(int type, unsigned long pfn);".into(),
            name: "kmap_local_map_idx".into(),
        });
        assert_eq!(
            define(Hook::MapIdx, &s).unwrap(),
            "enum fixed_addresses kmap_local_map_idx(int type, unsigned long pfn);\n#define arch_kmap_local_map_idx\t\tkmap_local_map_idx"
        );
    }
}
