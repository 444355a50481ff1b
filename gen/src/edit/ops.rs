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
            (c.starts_with("EXPORT_SYMBOL(") || c.starts_with("EXPORT_SYMBOL_GPL("))
                && c.contains(&format!("({name});"))
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
        rest.starts_with(name)
            && rest[name.len()..].chars().next().is_none_or(|ch| !(ch.is_alphanumeric() || ch == '_'))
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

/// `MACRO(name);` where MACRO registers an initcall.
fn is_initcall(line: &str, name: &str) -> bool {
    let Some(args) = line.strip_suffix(";").and_then(|l| l.strip_suffix(')')) else { return false };
    let Some((mac, arg)) = args.split_once('(') else { return false };
    arg.trim() == name
        && (mac.ends_with("initcall") || mac.ends_with("initcall_sync") || matches!(mac, "module_init" | "module_exit"))
}

fn remove_macro(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    let mut removed = 0;
    while let Some((first, last)) = define_lines(t, name) {
        text::remove_lines(t, first, last);
        prune_empty_conditional(t, first);
        removed += 1;
    }
    if removed == 0 {
        return Err(format!("no `#define {name}`"));
    }
    Ok(())
}

/// Moves a definition next to an anchor. A macro moved next to a macro
/// joins its paragraph; anything else is set off by a blank line, and a
/// comment that introduces the anchor stays with the anchor.
fn move_definition(t: &mut Vec<u8>, name: &str, at: &Anchor) -> Result<(), String> {
    let (target, after) = match (&at.after, &at.before, at.at_end) {
        (Some(n), None, false) => (n.as_str(), true),
        (None, Some(n), false) => (n.as_str(), false),
        _ => return Err("move_definition needs exactly one of `after` or `before`".into()),
    };
    if target == name {
        return Err(format!("cannot move `{name}` next to itself"));
    }
    let (first, _, last) = definition_span(t, name).ok_or_else(|| format!("no definition of `{name}`"))?;
    if definition_span(t, target).is_none() {
        return Err(format!("anchor: no definition of `{target}`"));
    }
    let nl = text::newline(t);
    let lines = text::line_ranges(t);
    let mut moved = t[lines[first].start..lines[last].end].to_vec();
    if !moved.ends_with(b"\n") {
        moved.extend_from_slice(nl);
    }
    let tight = define_lines(t, name).is_some() && define_lines(t, target).is_some();
    text::remove_lines(t, first, last);
    let (a_first, a_own, a_last) =
        definition_span(t, target).ok_or_else(|| format!("anchor: `{target}` went with `{name}`"))?;
    let lines = text::line_ranges(t);
    let mut ins = Vec::new();
    if after {
        let pos = lines[a_last].end;
        if !t[..pos].ends_with(b"\n") {
            ins.extend_from_slice(nl);
        }
        if !tight {
            ins.extend_from_slice(nl);
        }
        ins.extend_from_slice(&moved);
        text::splice(t, pos..pos, &ins);
    } else {
        ins.extend_from_slice(&moved);
        if !tight || a_first < a_own {
            ins.extend_from_slice(nl);
        }
        let pos = lines[a_first].start;
        text::splice(t, pos..pos, &ins);
    }
    Ok(())
}

fn drop_static(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    let r = c::function_specifier(t, name, "static")
        .ok_or_else(|| format!("no `static` definition of function `{name}`"))?;
    let mut end = r.end;
    while end < t.len() && matches!(t[end], b' ' | b'\t') {
        end += 1;
    }
    let lines = text::line_ranges(t);
    let i = text::line_of(&lines, r.start);
    let alone = t[lines[i].start..r.start].iter().all(|b| matches!(b, b' ' | b'\t'))
        && t[end..lines[i].end].iter().all(|b| b.is_ascii_whitespace());
    if alone {
        text::remove_lines(t, i, i);
    } else {
        text::splice(t, r.start..end, b"");
    }
    Ok(())
}

#[cfg(test)]
mod definition_tests {
    use super::*;

    struct NoRender;

    impl Render for NoRender {
        fn hooks(&self) -> Result<String, String> {
            Err("no hooks".into())
        }
        fn template(&self, _: &str) -> Result<String, String> {
            Err("no templates".into())
        }
    }

    fn run(src: &str, ops: &[Op]) -> Result<String, String> {
        let mut content = Some(src.as_bytes().to_vec());
        for op in ops {
            apply(&mut content, op, &NoRender)?;
        }
        Ok(String::from_utf8(content.unwrap()).unwrap())
    }

    fn before(name: &str) -> Anchor {
        Anchor { before: Some(name.into()), ..Anchor::default() }
    }

    fn after(name: &str) -> Anchor {
        Anchor { after: Some(name.into()), ..Anchor::default() }
    }

    const LAYOUT: &str = "\
#include <a.h>

/* the base */
#define BASE\t(TOP - SIZE - OTHER)
#define SIZE\t4096\t/* one */
#define SLOTS\t((SIZE >> 12) / NR)
#define ADDR(n)\t\\
\t(BASE + (n))

/* the rest */
#define REST\t(BASE + SIZE)
#define OTHER\t4096
#define LAST\t(OTHER >> 12)
";

    #[test]
    fn macros_are_removed_with_their_continuation_lines() {
        let out =
            run(LAYOUT, &[Op::RemoveMacro { name: "SLOTS".into() }, Op::RemoveMacro { name: "ADDR".into() }]).unwrap();
        assert!(!out.contains("SLOTS") && !out.contains("ADDR") && !out.contains("(BASE + (n))"), "{out}");
        assert!(out.contains("#define SIZE\t4096\t/* one */\n\n/* the rest */"), "{out}");
        assert_eq!(run(LAYOUT, &[Op::RemoveMacro { name: "SIZ".into() }]).unwrap_err(), "no `#define SIZ`");
        let out = run("#ifdef X\n#define A 1\n#endif\nint y;\n", &[Op::RemoveMacro { name: "A".into() }]).unwrap();
        assert_eq!(out, "int y;\n", "an #ifdef left empty goes too");
    }

    #[test]
    fn a_moved_macro_goes_above_the_comment_introducing_its_anchor() {
        let ops = [
            Op::MoveDefinition { name: "SIZE".into(), at: before("BASE") },
            Op::MoveDefinition { name: "OTHER".into(), at: after("SIZE") },
        ];
        let out = run(LAYOUT, &ops).unwrap();
        assert!(
            out.starts_with(
                "#include <a.h>\n\n#define SIZE\t4096\t/* one */\n#define OTHER\t4096\n\n/* the base */\n#define BASE\t(TOP - SIZE - OTHER)\n#define SLOTS"
            ),
            "{out}"
        );
        assert!(out.contains("#define REST\t(BASE + SIZE)\n#define LAST"), "{out}");
        assert_eq!(out.matches("#define OTHER").count(), 1);
    }

    #[test]
    fn a_macro_moved_before_a_macro_without_comment_joins_it() {
        let out = run(LAYOUT, &[Op::MoveDefinition { name: "LAST".into(), at: before("SLOTS") }]).unwrap();
        assert!(out.contains("/* one */\n#define LAST\t(OTHER >> 12)\n#define SLOTS"), "{out}");
    }

    #[test]
    fn moved_functions_are_set_off_by_blank_lines() {
        let src = "int a;\n\n/* f */\nint f(void)\n{\n\treturn 1;\n}\n\nint g(void)\n{\n\treturn 2;\n}\n";
        let out = run(src, &[Op::MoveDefinition { name: "f".into(), at: after("g") }]).unwrap();
        assert_eq!(out, "int a;\n\nint g(void)\n{\n\treturn 2;\n}\n\n/* f */\nint f(void)\n{\n\treturn 1;\n}\n");
    }

    #[test]
    fn moving_fails_without_changing_anything() {
        let err = run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: before("NOPE") }]).unwrap_err();
        assert_eq!(err, "anchor: no definition of `NOPE`");
        let at_end = Anchor { at_end: true, ..Anchor::default() };
        assert!(run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: at_end }]).is_err());
        assert!(run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: after("SIZE") }]).is_err());
    }

    #[test]
    fn drop_static_makes_a_function_global() {
        let src = "static int x;\n\nstatic void __init setup(void)\n{\n}\n\nstatic inline\nint other(void)\n{\n\treturn 0;\n}\n";
        let out = run(src, &[Op::DropStatic { name: "setup".into() }]).unwrap();
        assert!(out.starts_with("static int x;\n\nvoid __init setup(void)\n{"), "{out}");
        let out = run(src, &[Op::DropStatic { name: "other".into() }]).unwrap();
        assert!(out.ends_with("}\n\ninline\nint other(void)\n{\n\treturn 0;\n}\n"), "{out}");
        let err =
            run(src, &[Op::DropStatic { name: "setup".into() }, Op::DropStatic { name: "setup".into() }]).unwrap_err();
        assert_eq!(err, "no `static` definition of function `setup`");
    }

    #[test]
    fn a_removed_function_takes_its_initcall_along() {
        let src = "int keep;\n\nstatic int __init setup(void)\n{\n\treturn 0;\n}\narch_initcall(setup);\n";
        let out = run(src, &[Op::RemoveFunction { name: "setup".into() }]).unwrap();
        assert_eq!(out, "int keep;\n");
        assert!(is_initcall("late_initcall_sync(f);", "f") && is_initcall("module_init(f);", "f"));
        assert!(!is_initcall("arch_initcall(fg);", "f") && !is_initcall("call(f);", "f"));
    }
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
