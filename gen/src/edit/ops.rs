//! The edit operations a descriptor can ask for, and applying them.
//!
//! Each operation is written once and used by every arch that needs it;
//! an arch descriptor only names them and their arguments. An operation
//! that cannot find what it is asked to change fails with a message
//! naming the file, the operation and what was missing.

use serde::Deserialize;

use super::{c, kbuild, text};

/// One edit, as written in a descriptor's `edits = [...]` list.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Add `select SYMBOL` to the Kconfig entry `config CONFIG`.
    KconfigSelect { config: String, symbol: String },
    /// Replace every `#include <FROM>` with `#include <TO>`.
    ReplaceInclude { from: String, to: String },
    /// Remove every `#include <HEADER>`.
    DropInclude { header: String },
    /// Add `#include <HEADER>` right after `#include <AFTER>`.
    AddInclude { header: String, after: String },
    /// Rename an identifier everywhere in the file (comments included).
    Rename { from: String, to: String },
    /// Remove every definition of a function, the comment right above
    /// it, its EXPORT_SYMBOL and the blank line it leaves.
    RemoveFunction { name: String },
    /// Remove every declaration or definition of a variable or prototype,
    /// its EXPORT_SYMBOL, and an `#ifdef` block left empty.
    RemoveDeclaration { name: String },
    /// Remove the statements inside functions that mention an identifier
    /// (a call or an assignment), the comment right above each, and an
    /// `#ifdef` block left empty.
    RemoveStatements { mentioning: String },
    /// Remove the Makefile line building OBJECT, with a comment line that
    /// only described it.
    RemoveMakefileObject { object: String },
    /// Delete the file outright (a header the change makes obsolete).
    DeleteFile,
    /// Delete a file the previous edits left with nothing but includes,
    /// comments and guards; an error if code remains.
    DeleteEmptiedFile,
    /// Insert the arch's hook macros (shared template) at an anchor.
    InsertHooks {
        #[serde(flatten)]
        at: Anchor,
    },
    /// Insert a rendered template at an anchor.
    InsertTemplate {
        template: String,
        #[serde(flatten)]
        at: Anchor,
    },
    /// Replace a whole function definition with a rendered template.
    ReplaceFunction { name: String, template: String },
    /// Replace one exact occurrence of FROM with a rendered template.
    ReplaceText { from: String, template: String },
    /// Remove `#define NAME` with its continuation lines, and an `#ifdef`
    /// block left empty.
    RemoveMacro { name: String },
    /// Move a named definition (macro, function, declaration) to an
    /// anchor: a macro moved next to a macro joins its paragraph.
    MoveDefinition {
        name: String,
        #[serde(flatten)]
        at: Anchor,
    },
    /// Remove `static` from the definition of function NAME, so that
    /// other files can call it.
    DropStatic { name: String },
}

/// Where inserted text goes: after or before a named definition (macro,
/// function, declaration), or at the end of a header, before its guard's
/// closing `#endif`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub after: Option<String>,
    pub before: Option<String>,
    #[serde(default)]
    pub at_end: bool,
}

impl Op {
    /// A short human name for messages: `remove_function kmap_atomic_pfn`.
    pub fn describe(&self) -> String {
        match self {
            Op::KconfigSelect { config, symbol } => format!("kconfig_select {symbol} in {config}"),
            Op::ReplaceInclude { from, to } => format!("replace_include <{from}> by <{to}>"),
            Op::DropInclude { header } => format!("drop_include <{header}>"),
            Op::AddInclude { header, after } => format!("add_include <{header}> after <{after}>"),
            Op::Rename { from, to } => format!("rename {from} to {to}"),
            Op::RemoveFunction { name } => format!("remove_function {name}"),
            Op::RemoveDeclaration { name } => format!("remove_declaration {name}"),
            Op::RemoveStatements { mentioning } => format!("remove_statements mentioning {mentioning}"),
            Op::RemoveMakefileObject { object } => format!("remove_makefile_object {object}"),
            Op::DeleteFile => "delete_file".into(),
            Op::DeleteEmptiedFile => "delete_emptied_file".into(),
            Op::InsertHooks { .. } => "insert_hooks".into(),
            Op::InsertTemplate { template, .. } => format!("insert_template {template}"),
            Op::ReplaceFunction { name, template } => format!("replace_function {name} with {template}"),
            Op::ReplaceText { template, .. } => format!("replace_text with {template}"),
            Op::RemoveMacro { name } => format!("remove_macro {name}"),
            Op::MoveDefinition { name, .. } => format!("move_definition {name}"),
            Op::DropStatic { name } => format!("drop_static {name}"),
        }
    }

    /// The template an operation renders, if any.
    pub fn template(&self) -> Option<&str> {
        match self {
            Op::InsertTemplate { template, .. } | Op::ReplaceFunction { template, .. } | Op::ReplaceText { template, .. } => {
                Some(template)
            }
            _ => None,
        }
    }
}

/// Supplies rendered text to the operations that insert it.
pub trait Render {
    fn hooks(&self) -> Result<String, String>;
    fn template(&self, name: &str) -> Result<String, String>;
}

/// Applies one operation to a file's content (`None`: deleted).
pub fn apply(content: &mut Option<Vec<u8>>, op: &Op, render: &dyn Render) -> Result<(), String> {
    let Some(t) = content.as_mut() else {
        return Err("the file was already deleted by an earlier edit".into());
    };
    match op {
        Op::KconfigSelect { config, symbol } => kbuild::kconfig_select(t, config, symbol),
        Op::ReplaceInclude { from, to } => replace_include(t, from, Some(to)),
        Op::DropInclude { header } => replace_include(t, header, None),
        Op::AddInclude { header, after } => add_include(t, header, after),
        Op::Rename { from, to } => rename(t, from, to),
        Op::RemoveFunction { name } => remove_function(t, name),
        Op::RemoveDeclaration { name } => remove_declaration(t, name),
        Op::RemoveStatements { mentioning } => remove_statements(t, mentioning),
        Op::RemoveMakefileObject { object } => kbuild::remove_object(t, object),
        Op::DeleteFile => {
            *content = None;
            Ok(())
        }
        Op::DeleteEmptiedFile => {
            if let Some(line) = first_code_line(t) {
                return Err(format!("the file still has code at line {line}; not deleting it"));
            }
            *content = None;
            Ok(())
        }
        Op::InsertHooks { at } => insert(t, at, &render.hooks()?),
        Op::InsertTemplate { template, at } => insert(t, at, &render.template(template)?),
        Op::ReplaceFunction { name, template } => {
            let r = c::function(t, name).ok_or_else(|| format!("no definition of function `{name}`"))?;
            let rendered = render.template(template)?;
            let rendered = text::with_newlines(rendered.trim_end_matches('\n'), text::newline(t));
            text::splice(t, r, &rendered);
            Ok(())
        }
        Op::ReplaceText { from, template } => {
            let rendered = render.template(template)?;
            replace_once(t, from.as_bytes(), &text::with_newlines(&rendered, text::newline(t)))
        }
        Op::RemoveMacro { name } => remove_macro(t, name),
        Op::MoveDefinition { name, at } => move_definition(t, name, at),
        Op::DropStatic { name } => drop_static(t, name),
    }
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    (0..hay.len().saturating_sub(needle.len() - 1)).filter(|&i| hay[i..].starts_with(needle)).collect()
}

fn replace_once(t: &mut Vec<u8>, from: &[u8], to: &[u8]) -> Result<(), String> {
    match find_all(t, from).as_slice() {
        [at] => {
            text::splice(t, *at..*at + from.len(), to);
            Ok(())
        }
        [] => Err(format!("text not found: `{}`", String::from_utf8_lossy(from).lines().next().unwrap_or(""))),
        many => Err(format!("text found {} times, expected once", many.len())),
    }
}

/// Replaces (or drops) every `#include <header>` line.
fn replace_include(t: &mut Vec<u8>, header: &str, to: Option<&str>) -> Result<(), String> {
    if from_is_to(header, to) {
        return Err(format!("replacing <{header}> by itself"));
    }
    let mut found = false;
    while let Some(idx) = include_line(t, header) {
        found = true;
        let l = text::line_ranges(t)[idx].clone();
        match to {
            Some(to) => {
                let end = l.start + text::content(t, &l).len();
                text::splice(t, l.start..end, format!("#include <{to}>").as_bytes());
            }
            None => text::splice(t, l, b""),
        }
    }
    if !found {
        return Err(format!("no `#include <{header}>`"));
    }
    Ok(())
}

fn from_is_to(header: &str, to: Option<&str>) -> bool {
    to == Some(header)
}

fn include_line(t: &[u8], header: &str) -> Option<usize> {
    let want = format!("<{header}>");
    text::line_ranges(t).iter().position(|l| {
        let c = String::from_utf8_lossy(&text::content(t, l)).into_owned();
        let c = c.trim();
        c.starts_with("#include") && c.trim_start_matches("#include").trim() == want
    })
}

fn add_include(t: &mut Vec<u8>, header: &str, after: &str) -> Result<(), String> {
    if include_line(t, header).is_some() {
        return Err(format!("`#include <{header}>` is already there"));
    }
    let at = include_line(t, after).ok_or_else(|| format!("no `#include <{after}>` to add it after"))?;
    let mut line = format!("#include <{header}>").into_bytes();
    line.extend_from_slice(text::newline(t));
    text::insert_after_line(t, at, &line);
    Ok(())
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn rename(t: &mut Vec<u8>, from: &str, to: &str) -> Result<(), String> {
    let hits: Vec<usize> = find_all(t, from.as_bytes())
        .into_iter()
        .filter(|&i| (i == 0 || !is_ident(t[i - 1])) && t.get(i + from.len()).is_none_or(|&b| !is_ident(b)))
        .collect();
    if hits.is_empty() {
        return Err(format!("identifier `{from}` does not occur"));
    }
    for &i in hits.iter().rev() {
        text::splice(t, i..i + from.len(), to.as_bytes());
    }
    Ok(())
}

/// Lines `first..=last` of the node at `range`, widened to include a
/// comment block that ends right above it.
fn node_lines(t: &[u8], range: &std::ops::Range<usize>, with_comment: bool) -> (usize, usize) {
    let lines = text::line_ranges(t);
    let mut first = text::line_of(&lines, range.start);
    let last = text::line_of(&lines, range.end.saturating_sub(1));
    if with_comment && first > 0 && String::from_utf8_lossy(&text::content(t, &lines[first - 1])).trim_end().ends_with("*/") {
        let mut i = first - 1;
        loop {
            let c = String::from_utf8_lossy(&text::content(t, &lines[i])).into_owned();
            if c.trim_start().starts_with("/*") {
                first = i;
                break;
            }
            if i == 0 || !c.trim_start().starts_with('*') {
                break;
            }
            i -= 1;
        }
    }
    (first, last)
}

/// Removes `EXPORT_SYMBOL(name);` (and `_GPL`) lines, and the lines
/// registering `name` as an initcall (`arch_initcall(name);`,
/// `module_init(name);`, ...).
fn remove_export(t: &mut Vec<u8>, name: &str) {
    loop {
        let lines = text::line_ranges(t);
        let found = lines.iter().position(|l| {
            let c = String::from_utf8_lossy(&text::content(t, l)).into_owned();
            let c = c.trim();
            (c.starts_with("EXPORT_SYMBOL(") || c.starts_with("EXPORT_SYMBOL_GPL(")) && c.contains(&format!("({name});"))
                || is_initcall(c, name)
        });
        match found {
            Some(i) => text::remove_lines(t, i, i),
            None => return,
        }
    }
}

fn remove_function(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    // Every definition goes: `#ifdef` variants of one function included.
    let mut removed = 0;
    while let Some(r) = c::function(t, name) {
        let (first, last) = node_lines(t, &r, true);
        text::remove_lines(t, first, last);
        removed += 1;
    }
    if removed == 0 {
        return Err(format!("no definition of function `{name}`"));
    }
    remove_export(t, name);
    Ok(())
}

fn remove_declaration(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    let mut removed = 0;
    while let Some(r) = c::declarations(t, name).into_iter().next() {
        let (first, last) = node_lines(t, &r, false);
        text::remove_lines(t, first, last);
        remove_export(t, name);
        prune_empty_conditional(t, first);
        removed += 1;
    }
    if removed == 0 {
        return Err(format!("no declaration of `{name}`"));
    }
    Ok(())
}

fn remove_statements(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    let mut removed = 0;
    while let Some(r) = c::statements_mentioning(t, name).into_iter().next() {
        // A comment right above a removed statement described it.
        let (first, last) = node_lines(t, &r, true);
        text::remove_lines(t, first, last);
        prune_empty_conditional(t, first);
        removed += 1;
    }
    if removed == 0 {
        return Err(format!("no statement mentions `{name}`"));
    }
    Ok(())
}

/// After a removal at line `at`: if the `#if...`/`#endif` pair around it
/// now encloses only blank lines, remove the pair, a comment right above
/// it, and the blank line it leaves.
fn prune_empty_conditional(t: &mut Vec<u8>, at: usize) {
    let lines = text::line_ranges(t);
    let text_of = |i: usize| String::from_utf8_lossy(&text::content(t, &lines[i])).trim().to_string();
    if lines.is_empty() {
        return;
    }
    let mut open = at.min(lines.len());
    while open > 0 {
        open -= 1;
        let l = text_of(open);
        if l.starts_with("#if") {
            break;
        }
        if !l.is_empty() {
            return;
        }
    }
    if open >= lines.len() || !text_of(open).starts_with("#if") {
        return;
    }
    let Some(close) = (at..lines.len()).find(|&i| !text_of(i).is_empty()) else { return };
    if !text_of(close).starts_with("#endif") {
        return;
    }
    let (first, _) = node_lines(t, &(lines[open].start..lines[open].end), true);
    text::remove_lines(t, first, close);
}

/// The first line (1-based) that is neither blank, a comment, an
/// `#include`, nor part of an include guard.
fn first_code_line(t: &[u8]) -> Option<usize> {
    let lines = text::line_ranges(t);
    let mut in_comment = false;
    for (i, l) in lines.iter().enumerate() {
        let c = String::from_utf8_lossy(&text::content(t, l)).trim().to_string();
        if in_comment {
            in_comment = !c.contains("*/");
            continue;
        }
        if c.is_empty() || c.starts_with("//") || c.starts_with("#include") || c.starts_with("#endif") {
            continue;
        }
        if c.starts_with("/*") {
            in_comment = !c.contains("*/");
            continue;
        }
        if (c.starts_with("#ifndef ") || c.starts_with("#define ")) && c.split_whitespace().count() == 2 {
            continue;
        }
        return Some(i + 1);
    }
    None
}

/// Finds the lines of a named definition: a `#define NAME` (with its
/// continuation lines), a function, or a declaration, with a comment
/// right above it.
fn definition_lines(t: &[u8], name: &str) -> Option<(usize, usize)> {
    definition_span(t, name).map(|(first, _, last)| (first, last))
}

/// The lines of a named definition as `definition_lines` finds it: the
/// first line of a comment right above it (else its own first line), its
/// own first line, and its last line.
fn definition_span(t: &[u8], name: &str) -> Option<(usize, usize, usize)> {
    let lines = text::line_ranges(t);
    let r = match define_lines(t, name) {
        Some((first, last)) => lines[first].start..lines[last].end,
        None => c::function(t, name).or_else(|| c::declarations(t, name).into_iter().next())?,
    };
    let (own_first, last) = node_lines(t, &r, false);
    let (first, _) = node_lines(t, &r, true);
    Some((first, own_first, last))
}

/// The lines of `#define NAME` and its continuation lines.
fn define_lines(t: &[u8], name: &str) -> Option<(usize, usize)> {
    let lines = text::line_ranges(t);
    let first = lines.iter().position(|l| {
        let c = String::from_utf8_lossy(&text::content(t, l)).into_owned();
        let rest = c.trim_start().strip_prefix("#define").map(str::trim_start).unwrap_or("");
        rest.starts_with(name) && rest[name.len()..].chars().next().is_none_or(|ch| !(ch.is_alphanumeric() || ch == '_'))
    })?;
    let mut last = first;
    while last + 1 < lines.len() && text::content(t, &lines[last]).ends_with(b"\\") {
        last += 1;
    }
    Some((first, last))
}

fn insert(t: &mut Vec<u8>, at: &Anchor, rendered: &str) -> Result<(), String> {
    let nl = text::newline(t);
    let block = text::with_newlines(rendered, nl);
    let lines = text::line_ranges(t);
    match (&at.after, &at.before, at.at_end) {
        (Some(name), None, false) => {
            let (_, last) = definition_lines(t, name).ok_or_else(|| format!("anchor: no definition of `{name}`"))?;
            let mut ins = nl.to_vec();
            ins.extend_from_slice(&block);
            text::insert_after_line(t, last, &ins);
        }
        (None, Some(name), false) => {
            let (first, _) = definition_lines(t, name).ok_or_else(|| format!("anchor: no definition of `{name}`"))?;
            let mut ins = block;
            ins.extend_from_slice(nl);
            let pos = lines[first].start;
            text::splice(t, pos..pos, &ins);
        }
        (None, None, true) => {
            let last_endif = lines
                .iter()
                .rposition(|l| String::from_utf8_lossy(&text::content(t, l)).trim().starts_with("#endif"))
                .ok_or("anchor: the file has no closing #endif")?;
            let mut ins = Vec::new();
            if last_endif > 0 && !text::is_blank(t, &lines[last_endif - 1]) {
                ins.extend_from_slice(nl);
            }
            ins.extend_from_slice(&block);
            ins.extend_from_slice(nl);
            let pos = lines[last_endif].start;
            text::splice(t, pos..pos, &ins);
        }
        _ => return Err("an anchor needs exactly one of `after`, `before` or `at_end = true`".into()),
    }
    Ok(())
}

#[cfg(test)]
mod statement_tests {
    use super::*;

    #[test]
    fn removed_statements_take_their_comment_and_no_block_opens_blank() {
        let mut t = b"void __init setup(void)\n{\n\tunsigned long v;\n\n\tcheck();\n\t/* cache the first pte */\n\tv = base();\n\tfirst_pte = lookup(v);\n\tother();\n}\n".to_vec();
        remove_declaration(&mut t, "v").unwrap();
        remove_statements(&mut t, "v").unwrap();
        assert_eq!(String::from_utf8(t).unwrap(), "void __init setup(void)\n{\n\tcheck();\n\tother();\n}\n");
    }
}
