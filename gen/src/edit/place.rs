//! Placing text: finding a named definition (macro, function,
//! declaration) and inserting or moving text next to it.

use super::locate::{define_lines, definition_lines, definition_span};
use super::{c, text, Anchor};

pub(super) fn insert(t: &mut Vec<u8>, at: &Anchor, rendered: &str) -> Result<(), String> {
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
                .rposition(|l| text::line_str(t, l).trim().starts_with("#endif"))
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

/// Moves a definition next to an anchor. A macro moved next to a macro
/// joins its paragraph; anything else is set off by a blank line, and a
/// comment that introduces the anchor stays with the anchor.
pub(super) fn move_definition(t: &mut Vec<u8>, name: &str, at: &Anchor) -> Result<(), String> {
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

/// Replaces the statement of `function`'s body that mentions `mentioning`
/// (its whole lines) with `rendered`.
pub(super) fn replace_statement(
    t: &mut Vec<u8>,
    function: &str,
    mentioning: &str,
    rendered: &str,
) -> Result<(), String> {
    let r = c::body_statement_mentioning(t, function, mentioning)
        .ok_or_else(|| format!("no statement of `{function}` mentions `{mentioning}`"))?;
    let lines = text::line_ranges(t);
    let (first, last) = (text::line_of(&lines, r.start), text::line_of(&lines, r.end.saturating_sub(1)));
    let mut rendered = text::with_newlines(rendered, text::newline(t));
    if !rendered.ends_with(b"\n") {
        rendered.extend_from_slice(text::newline(t));
    }
    text::splice(t, lines[first].start..lines[last].end, &rendered);
    Ok(())
}
