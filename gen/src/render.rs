//! Rendering C text: the hook macros from the contract and an arch's
//! descriptor, and the tera templates an arch's edits name.
//!
//! Templates are looked up from specific to general: `<arch>/<name>.tera`
//! first, then `shared/<name>.tera`; a name found in neither is an error.

use std::path::Path;

use anyhow::{Context, Result};
use archport_generic::Hook;
use serde::Serialize;

use crate::descriptor::{ArchSpec, HookSpec};
use crate::edit::Render;

/// Column the continuation backslashes of a multi-line macro align to,
/// as kernel headers do.
const BACKSLASH_COLUMN: usize = 72;

/// The tera templates for one arch, plus the shared ones.
pub struct Templates {
    tera: tera::Tera,
    arch: String,
    /// Lines of arch-specific template text, per template name.
    arch_lines: std::collections::BTreeMap<String, usize>,
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
        let mut arch_lines = std::collections::BTreeMap::new();
        let arch = spec.arch.name().to_string();
        for folder in ["shared", arch.as_str()] {
            let dir = root.join(folder);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for file in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "tera")) {
                let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                let name = format!("{folder}/{stem}");
                tera.add_raw_template(&name, &text)
                    .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), tera_error(&e)))?;
                if folder != "shared" {
                    arch_lines.insert(stem, text.lines().count());
                }
            }
        }
        Ok(Templates { tera, arch, arch_lines })
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

    /// Lines of arch-specific template text the named templates hold.
    pub fn arch_lines(&self, names: &[&str]) -> usize {
        names.iter().filter_map(|n| self.arch_lines.get(*n)).sum()
    }
}

/// Tera's error and its causes on one line.
fn tera_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg.replace('\n', " ")
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
            .into_iter()
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
    if let (Some(proto), Some(function)) = (&spec.prototype, &spec.function) {
        return Some(format!("{proto}\n{}", align(&format!("#define {}", hook.c_name()), function, 40)));
    }
    let body = spec.c.as_ref()?;
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

    fn spec_none() -> HookSpec {
        HookSpec {
            effects: vec![],
            c: None,
            prototype: None,
            function: None,
            template: None,
            defensive: vec![],
            defensive_reason: None,
        }
    }

    fn spec(c: &str) -> HookSpec {
        HookSpec { c: Some(c.into()), ..spec_none() }
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
        let s = HookSpec {
            prototype: Some("enum fixed_addresses kmap_local_map_idx(int type, unsigned long pfn);".into()),
            function: Some("kmap_local_map_idx".into()),
            ..spec_none()
        };
        assert_eq!(
            define(Hook::MapIdx, &s).unwrap(),
            "enum fixed_addresses kmap_local_map_idx(int type, unsigned long pfn);\n#define arch_kmap_local_map_idx\t\tkmap_local_map_idx"
        );
    }
}
