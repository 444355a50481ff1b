//! Removing C definitions, declarations and statements, with what
//! belongs to them: the comment right above, `EXPORT_SYMBOL` and initcall
//! lines, an `#ifdef` block left empty, the blank line left behind.

use super::locate::{define_lines, node_lines};
use super::{c, text};

/// Removes `EXPORT_SYMBOL(name);` (and `_GPL`) lines, and the lines
/// registering `name` as an initcall (`arch_initcall(name);`,
/// `module_init(name);`, ...).
pub(super) fn remove_export(t: &mut Vec<u8>, name: &str) {
    loop {
        let lines = text::line_ranges(t);
        let found = lines.iter().position(|l| {
            let c = text::line_str(t, l);
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

/// Removes every match of `find` (the lines of one match, searched again
/// after each removal since removing shifts the text), running `after`
/// with the first removed line; `missing` is the error when none matched.
fn remove_each(
    t: &mut Vec<u8>,
    missing: impl FnOnce() -> String,
    mut find: impl FnMut(&[u8]) -> Option<(usize, usize)>,
    mut after: impl FnMut(&mut Vec<u8>, usize),
) -> Result<(), String> {
    let mut removed = 0;
    while let Some((first, last)) = find(t) {
        text::remove_lines(t, first, last);
        after(t, first);
        removed += 1;
    }
    if removed == 0 {
        return Err(missing());
    }
    Ok(())
}

pub(super) fn remove_function(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    // Every definition goes: `#ifdef` variants of one function included.
    remove_each(
        t,
        || format!("no definition of function `{name}`"),
        |t| c::function(t, name).map(|r| node_lines(t, &r, true)),
        |_, _| {},
    )?;
    remove_export(t, name);
    Ok(())
}

pub(super) fn remove_declaration(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    remove_each(
        t,
        || format!("no declaration of `{name}`"),
        |t| c::declarations(t, name).first().map(|r| node_lines(t, r, false)),
        |t, first| {
            remove_export(t, name);
            prune_empty_conditional(t, first);
        },
    )
}

pub(super) fn remove_statements(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    // A comment right above a removed statement described it.
    remove_each(
        t,
        || format!("no statement mentions `{name}`"),
        |t| c::statements_mentioning(t, name).first().map(|r| node_lines(t, r, true)),
        prune_empty_conditional,
    )
}

/// After a removal at line `at`: if the `#if...`/`#endif` pair around it
/// now encloses only blank lines, remove the pair, a comment right above
/// it, and the blank line it leaves.
pub(super) fn prune_empty_conditional(t: &mut Vec<u8>, at: usize) {
    let lines = text::line_ranges(t);
    let text_of = |i: usize| text::line_str(t, &lines[i]).trim().to_string();
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
pub(super) fn first_code_line(t: &[u8]) -> Option<usize> {
    let lines = text::line_ranges(t);
    let mut in_comment = false;
    for (i, l) in lines.iter().enumerate() {
        let c = text::line_str(t, l).trim().to_string();
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

/// `MACRO(name);` where MACRO registers an initcall.
pub(super) fn is_initcall(line: &str, name: &str) -> bool {
    let Some(args) = line.strip_suffix(";").and_then(|l| l.strip_suffix(')')) else { return false };
    let Some((mac, arg)) = args.split_once('(') else { return false };
    arg.trim() == name
        && (mac.ends_with("initcall") || mac.ends_with("initcall_sync") || matches!(mac, "module_init" | "module_exit"))
}

pub(super) fn remove_macro(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
    remove_each(t, || format!("no `#define {name}`"), |t| define_lines(t, name), prune_empty_conditional)
}

pub(super) fn drop_static(t: &mut Vec<u8>, name: &str) -> Result<(), String> {
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
