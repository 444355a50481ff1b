//! Gathering what the report shows about one ported arch: its review
//! against the golden tree, its hooks as the generated header defines
//! them, the model's verdicts, and its patch.

use std::path::Path;

use anyhow::Result;
use archport_generic::model::{Bounds, Contract};

use super::{ArchEntry, HookEntry, ModelEntry, OldCodeRow};
use crate::descriptor::{ArchSpec, HookBody};
use crate::pipeline;
use crate::series;
use crate::verify::{self, contract, old_code, ArchVerdict, Outcome};

/// Everything the report shows about one ported arch. Paths of the
/// trees are shown by their role (`<golden tree>`), never as the
/// absolute paths of this machine's cache.
pub fn arch_entry(p: &pipeline::Ported, tree: &Path, golden: &Path) -> Result<ArchEntry> {
    let hide = |text: &str| hide_paths(text, &[(golden, "<golden tree>"), (tree, "<input tree>")]);
    let mut review = pipeline::review(p, tree, golden)?;
    for f in &mut review.files {
        f.justification = f.justification.as_deref().map(hide);
    }
    let mut model = model_entry(p, tree, golden)?;
    for text in [&mut model.detail, &mut model.golden_detail] {
        *text = hide(text);
    }
    for trace in [&mut model.trace, &mut model.golden_trace].into_iter().flatten() {
        *trace = hide(trace);
    }
    let header =
        p.port.files.iter().find(|f| f.path == verify::hooks_header(p.spec.arch)).and_then(|f| f.after.as_deref());
    Ok(ArchEntry { review, hooks: hook_entries(&p.spec, header), model, patch: patch(p, tree)? })
}

/// `text` with each path replaced by the name of what it is.
fn hide_paths(text: &str, paths: &[(&Path, &str)]) -> String {
    let mut out = text.to_string();
    for (path, name) in paths {
        let shown = path.display().to_string();
        if !shown.is_empty() {
            out = out.replace(&shown, name);
        }
    }
    out
}

/// The patch as a reviewer reads it: subject, commit message, diffstat
/// and diffs, the same in `run`'s report and `report`'s (without the
/// mail headers, which depend on who sends it).
fn patch(p: &pipeline::Ported, tree: &Path) -> Result<String> {
    let manifest = series::manifest::Manifest::load(&series::manifest::default_dir())?;
    let no_one = |_: &[u8]| Ok(series::recipients::Maintainers::default());
    let patches = series::assemble::gather(&manifest, std::slice::from_ref(p), tree, no_one)?;
    Ok(patches.first().map(series::review_text).unwrap_or_default())
}

/// The model's verdicts on the generated port and on the golden hooks
/// (each against the golden tree's generic code, the 5.10 one), and what
/// became of the old kmap_atomic code of `tree`.
pub fn model_entry(p: &pipeline::Ported, tree: &Path, golden: &Path) -> Result<ModelEntry> {
    let spec = &p.spec;
    let golden_contract = contract::read(golden)?;
    let contract = &golden_contract.contract;
    let bounds = Bounds::standard();
    let ours = verify::check_under(spec.arch, &p.model, &golden_contract, &bounds)?;
    let theirs = verify::tree_verdict(spec, golden, &golden_contract, &bounds)?;
    let detail = |v: &ArchVerdict| match &v.outcome {
        Outcome::Proved => format!("{} states explored", v.states),
        Outcome::Counterexample { property, .. } => format!("breaks \"{property}\" ({} states explored)", v.states),
        Outcome::Unmodelled { what } => format!("unmodelled C: {}", what.join("; ")),
        Outcome::NotPorted { why } => format!("not ported: {why}"),
        Outcome::NotInTree => "not in the tree".to_string(),
    };
    let trace = |v: &ArchVerdict| match &v.outcome {
        Outcome::Counterexample { trace, .. } => Some(trace.to_string()),
        _ => None,
    };
    Ok(ModelEntry {
        status: ours.status(),
        detail: detail(&ours),
        trace: trace(&ours),
        golden_status: theirs.status(),
        golden_detail: detail(&theirs),
        golden_trace: trace(&theirs),
        old_code: old_code_rows(p, tree, contract)?,
    })
}

/// The hooks of a descriptor as the report lists them: each with the C
/// that defines it in the generated hooks `header` (a template's
/// rendering, not its name), or the descriptor's C without a header.
pub fn hook_entries(spec: &ArchSpec, header: Option<&[u8]>) -> Vec<HookEntry> {
    spec.hooks()
        .map(|(hook, h)| HookEntry {
            c_name: hook.c_name().to_string(),
            effects: h
                .effects
                .iter()
                .map(|g| match g.when {
                    Some(c) => format!(
                        "{} (when {})",
                        g.effect,
                        serde_json::to_value(c).unwrap_or_default().as_str().unwrap_or("?")
                    ),
                    None => g.effect.to_string(),
                })
                .collect(),
            c: header.and_then(|text| definition(text, hook.c_name())).unwrap_or_else(|| match &h.body {
                HookBody::C(c) => c.trim().to_string(),
                HookBody::Function { prototype, .. } => prototype.clone(),
                HookBody::Template(t) => format!("(template {t})"),
            }),
        })
        .collect()
}

/// Every definition of `name` in a header (its function, its macros), in
/// file order.
fn definition(text: &[u8], name: &str) -> Option<String> {
    let lines = crate::edit::text::line_ranges(text);
    let mut ranges: Vec<std::ops::Range<usize>> = crate::edit::text::defines(text, |n| n == name)
        .into_iter()
        .map(|(first, last)| lines[first].start..lines[last].end)
        .collect();
    ranges.extend(crate::edit::c::function(text, name));
    ranges.sort_by_key(|r| r.start);
    let parts: Vec<String> =
        ranges.iter().map(|r| String::from_utf8_lossy(&text[r.clone()]).trim_end().to_string()).collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn old_code_rows(p: &pipeline::Ported, tree: &Path, contract: &Contract) -> Result<Vec<OldCodeRow>> {
    let ops = old_code::old_ops(&p.spec, &old_code::old_files(tree, &p.spec)?);
    Ok(old_code::compare(&p.spec, &p.model, &ops, contract)?
        .into_iter()
        .map(|c| OldCodeRow {
            operation: c.op.effect.to_string(),
            place: c.op.place_in_words(),
            at: c.op.at.clone(),
            fate: c.fate.name(),
            detail: c.fate.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_is_shown_as_the_header_defines_it() {
        let header = b"#define arch_kmap_local_post_map(vaddr, pteval)\tflush(vaddr)\n\nstatic inline void *arch_kmap_local_high_get(struct page *page)\n{\n\treturn NULL;\n}\n#define arch_kmap_local_high_get arch_kmap_local_high_get\n";
        assert_eq!(
            definition(header, "arch_kmap_local_high_get").unwrap(),
            "static inline void *arch_kmap_local_high_get(struct page *page)\n{\n\treturn NULL;\n}\n#define arch_kmap_local_high_get arch_kmap_local_high_get"
        );
        assert_eq!(
            definition(header, "arch_kmap_local_post_map").unwrap(),
            "#define arch_kmap_local_post_map(vaddr, pteval)\tflush(vaddr)"
        );
        assert_eq!(definition(header, "arch_kmap_local_pre_unmap"), None);
    }

    #[test]
    fn tree_paths_are_named_by_their_role() {
        let golden = Path::new("/home/u/.cache/archport/linux-source-5.10/5.10.262-1/golden");
        let text = format!("run `archport verify --tree {}` for the trace", golden.display());
        assert_eq!(
            hide_paths(&text, &[(golden, "<golden tree>")]),
            "run `archport verify --tree <golden tree>` for the trace"
        );
    }
}
