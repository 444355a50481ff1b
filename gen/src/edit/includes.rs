//! `#include` edits: replace, drop, add.

use super::text;

/// Replaces (or drops) every `#include <header>` line.
pub(super) fn replace_include(t: &mut Vec<u8>, header: &str, to: Option<&str>) -> Result<(), String> {
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

pub(super) fn from_is_to(header: &str, to: Option<&str>) -> bool {
    to == Some(header)
}

pub(super) fn include_line(t: &[u8], header: &str) -> Option<usize> {
    let want = format!("<{header}>");
    text::line_ranges(t).iter().position(|l| {
        let c = text::line_str(t, l);
        let c = c.trim();
        c.starts_with("#include") && c.trim_start_matches("#include").trim() == want
    })
}

pub(super) fn add_include(t: &mut Vec<u8>, header: &str, after: &str) -> Result<(), String> {
    if include_line(t, header).is_some() {
        return Err(format!("`#include <{header}>` is already there"));
    }
    let at = include_line(t, after).ok_or_else(|| format!("no `#include <{after}>` to add it after"))?;
    let mut line = format!("#include <{header}>").into_bytes();
    line.extend_from_slice(text::newline(t));
    text::insert_after_line(t, at, &line);
    Ok(())
}
