//! When a generated file may differ from its golden one: the project's
//! central rule, in one place.
//!
//! A difference is *justified* only by a mechanical check that shows the
//! golden file wrong and the generated one right, and only when the part
//! the check vouches for is the file's sole difference (the two files
//! are code-equivalent once that part is cut from both). Never by a
//! hand-written note. The checks:
//!
//! - the golden file does not preprocess (an `#endif` without its `#if`)
//!   while the generated one does, and they differ only in conditional
//!   directives;
//! - the model refutes the golden hooks and proves the generated ones,
//!   and the hook definitions are the hooks header's only difference;
//! - the model refutes a golden call site (a function's kmap_local calls
//!   run as a task script) and proves the generated one, and that
//!   function is the file's only difference.
//!
//! `fidelity` only compares; `review` gathers the comparisons; this
//! module decides which differences are the golden port's fault.

use std::ops::Range;
use std::path::Path;

use anyhow::Result;
use archport_generic::model::Bounds;

use crate::arch::Arch;
use crate::descriptor::ArchSpec;
use crate::edit::lex::c_tokens;
use crate::fidelity::{FileStatus, Language};
use crate::review::ArchReview;
use crate::verify::{self, contract, CPort};

/// Fills in the justification of every file of `review` that differs
/// and that a mechanical check shows to be the golden port's fault.
/// `model` is the generated port's hooks as read back from its C.
pub fn justify(review: &mut ArchReview, spec: &ArchSpec, model: &CPort, golden: &Path) -> Result<()> {
    let hooks_header = verify::hooks_header(spec.arch);
    for f in review.files.iter_mut() {
        if matches!(f.status, FileStatus::Identical | FileStatus::Equivalent) {
            continue;
        }
        let Some((Some(generated), Some(gold))) = review.sides.get(&f.path) else { continue };
        f.justification = match Language::of(&f.path) {
            Language::C if f.path == hooks_header => by_preprocessor(generated, gold)
                .map_or_else(|| by_hooks(spec, model, golden, generated, gold), |j| Ok(Some(j)))?,
            Language::C => by_preprocessor(generated, gold)
                .map_or_else(|| by_call_sites(spec.arch, model, generated, gold), |j| Ok(Some(j)))?,
            Language::Kconfig | Language::Make => None,
        };
    }
    Ok(())
}

/// The golden file does not preprocess (an `#endif` without its `#if`,
/// or an `#if` never closed) while the generated one does, and the two
/// differ in nothing but conditional directives.
fn by_preprocessor(generated: &[u8], golden: &[u8]) -> Option<String> {
    let golden_err = conditional_balance(golden).err()?;
    conditional_balance(generated).ok()?;
    let directives = |t: &[u8]| conditional_directive_lines(t);
    if !equivalent_outside(generated, &directives(generated), golden, &directives(golden)) {
        return None;
    }
    Some(format!(
        "the golden file does not preprocess: {golden_err}; the generated file is balanced and differs only in conditional directives"
    ))
}

/// Why the golden hooks are wrong and the generated ones right, when the
/// model says so and the hook definitions are the header's only
/// difference.
fn by_hooks(spec: &ArchSpec, model: &CPort, golden: &Path, generated: &[u8], gold: &[u8]) -> Result<Option<String>> {
    let defs = verify::hook_definition_ranges;
    if !equivalent_outside(generated, &defs(generated), gold, &defs(gold)) {
        return Ok(None);
    }
    let golden_contract = contract::read(golden)?;
    let bounds = Bounds::standard();
    let theirs = verify::tree_verdict(spec, golden, &golden_contract, &bounds)?;
    let ours = verify::check_under(spec.arch, model, &golden_contract, &bounds)?;
    let Some(property) = theirs.property() else { return Ok(None) };
    if !ours.is_proved() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the golden hooks fail the model: counterexample to \"{property}\" (`archport verify --arch {} --tree {}` prints the trace); the generated hooks are proved ({} states), and the rest of the header is equivalent",
        spec.arch,
        golden.display(),
        ours.states
    )))
}

/// Why a changed call site in the golden port is wrong and ours right:
/// a function whose kmap_local calls the model refutes in the golden
/// file and proves in the generated one (on the arch's hooks), when that
/// function is the only difference.
fn by_call_sites(arch: Arch, model: &CPort, generated: &[u8], golden: &[u8]) -> Result<Option<String>> {
    let ours = verify::call_sites::scripts(generated);
    for (name, theirs) in verify::call_sites::scripts(golden) {
        let Some((_, mine)) = ours.iter().find(|(n, _)| *n == name) else { continue };
        if *mine == theirs {
            continue;
        }
        let function = |t: &[u8]| crate::edit::c::function(t, &name).into_iter().collect::<Vec<_>>();
        if !equivalent_outside(generated, &function(generated), golden, &function(golden)) {
            continue;
        }
        let refuted = verify::call_sites::refute(&model.normal, &theirs).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
        let holds =
            verify::call_sites::refute(&model.normal, mine).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?.is_none();
        if let (Some((property, _)), true) = (refuted, holds) {
            let script = theirs.iter().map(|op| op.to_string()).collect::<Vec<_>>().join(", ");
            return Ok(Some(format!(
                "the golden {name}() breaks \"{property}\" in the model (its calls: {script}); the generated {name}() holds, and the rest of the file is equivalent"
            )));
        }
    }
    Ok(None)
}

/// Whether two C texts are code-equivalent once the given byte ranges
/// are cut out of each: how a justification shows that the part it
/// vouches for is the only difference.
pub fn equivalent_outside(a: &[u8], a_cut: &[Range<usize>], b: &[u8], b_cut: &[Range<usize>]) -> bool {
    c_tokens(&cut(a, a_cut)) == c_tokens(&cut(b, b_cut))
}

/// `text` without the byte ranges `cuts` (each replaced by a newline, so
/// preprocessor lines around a cut stay lines of their own).
fn cut(text: &[u8], cuts: &[Range<usize>]) -> Vec<u8> {
    let mut cuts = cuts.to_vec();
    cuts.sort_by_key(|r| r.start);
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for r in cuts {
        if r.start >= at {
            out.extend_from_slice(&text[at..r.start]);
            out.push(b'\n');
            at = r.end;
        } else {
            at = at.max(r.end);
        }
    }
    out.extend_from_slice(&text[at.min(text.len())..]);
    out
}

/// Byte ranges of the `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`
/// lines.
fn conditional_directive_lines(text: &[u8]) -> Vec<Range<usize>> {
    crate::edit::text::line_ranges(text)
        .into_iter()
        .filter(|l| {
            let line = String::from_utf8_lossy(&text[l.clone()]).into_owned();
            let d = line.trim_start().strip_prefix('#').map(str::trim_start).unwrap_or("");
            ["if", "elif", "else", "endif"].iter().any(|k| d.starts_with(k))
        })
        .collect()
}

/// Checks that `#if`/`#ifdef`/`#ifndef` and `#endif` pair up.
pub fn conditional_balance(text: &[u8]) -> Result<(), String> {
    let mut open: Vec<usize> = Vec::new();
    for (i, line) in String::from_utf8_lossy(text).lines().enumerate() {
        let l = line.trim_start();
        let Some(d) = l.strip_prefix('#') else { continue };
        let d = d.trim_start();
        if d.starts_with("if") {
            open.push(i + 1);
        } else if d.starts_with("endif") && open.pop().is_none() {
            return Err(format!("line {}: #endif without #if", i + 1));
        }
    }
    match open.last() {
        Some(line) => Err(format!("line {line}: #if never closed")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unbalanced_golden_conditional_justifies_a_directive_only_difference() {
        let golden = b"#ifndef A\n#endif\nint x;\n#endif\n";
        let generated = b"#ifndef A\n#endif\n#ifdef B\nint x;\n#endif\n";
        assert!(by_preprocessor(generated, golden).unwrap().contains("line 4: #endif without #if"));
        // Any other difference beside the directives: not justified.
        let generated_more = b"#ifndef A\n#endif\n#ifdef B\nint y;\n#endif\n";
        assert_eq!(by_preprocessor(generated_more, golden), None);
    }
}
