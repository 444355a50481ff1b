//! Checks of the code's shape that ARCHITECTURE.md promises: no two
//! source files import each other (directly or around a loop; a module
//! and its own children excepted), and `cli/` only parses and
//! dispatches (no function there over 40 lines).
//!
//! Imports are read from the text (`crate::`, `super::`, `self::` paths,
//! braces included), which is enough for this crate's style; test
//! modules and comments do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file's module path (`["verify", "cpp"]`) and its text.
fn sources(root: &Path) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy();
        if p.extension().is_none_or(|x| x != "rs") || name.ends_with("tests.rs") {
            continue;
        }
        let rel: PathBuf = p.strip_prefix(root).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            parts.pop();
        }
        out.insert(parts, std::fs::read_to_string(p).unwrap());
    }
    out
}

/// `text` without comments and without its inline `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod ").next().unwrap_or(text);
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The modules `from` names, each resolved to the longest module path
/// that is a file.
fn imports(from: &[String], text: &str, files: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let path = regex::Regex::new(r"\b(?:crate|super|self)(?:::\w+)+(?:::\{[^}]*\})?").unwrap();
    let mut out = BTreeSet::new();
    for m in path.find_iter(&code(text)) {
        let (head, group) = match m.as_str().split_once("::{") {
            Some((h, g)) => (h, g.trim_end_matches('}')),
            None => (m.as_str(), ""),
        };
        let items: Vec<&str> = group.split(',').map(|i| i.trim().split("::").next().unwrap_or("")).collect();
        for item in items.iter().filter(|i| !i.is_empty() && **i != "self").chain(group.is_empty().then_some(&"")) {
            let mut segs: Vec<&str> = head.split("::").collect();
            if !item.is_empty() {
                segs.push(item);
            }
            let mut base: Vec<String> = match segs[0] {
                "crate" => Vec::new(),
                _ => from.to_vec(),
            };
            let mut rest = &segs[1..];
            if segs[0] == "super" {
                base.pop();
                while rest.first() == Some(&"super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            let found = (0..=rest.len()).rev().map(|k| {
                let mut c = base.clone();
                c.extend(rest[..k].iter().map(|s| s.to_string()));
                c
            });
            if let Some(m) = found.into_iter().find(|c| files.contains(c)) {
                out.insert(m);
            }
        }
    }
    out
}

#[test]
fn no_two_files_import_each_other_around_a_loop() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // This crate and the model's.
    for root in [here.join("src"), here.join("../generic/src")] {
        no_loop_under(&root);
    }
}

fn no_loop_under(root: &Path) {
    let src = sources(root);
    let files: BTreeSet<Vec<String>> = src.keys().cloned().collect();
    let related = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let edges: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> = src
        .iter()
        .map(|(m, text)| (m, imports(m, text, &files).into_iter().filter(|d| !related(m, d)).collect()))
        .collect();
    // A loop exists when some file reaches itself.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&Vec<String>> = edges[start].iter().collect();
        while let Some(m) = todo.pop() {
            assert_ne!(m, *start, "{}: {} imports itself around a loop", root.display(), start.join("::"));
            if seen.insert(m) {
                todo.extend(edges.get(m).into_iter().flatten());
            }
        }
    }
    assert!(edges.len() > 10, "the sources under {} were found: {}", root.display(), edges.len());
}

#[test]
fn the_command_line_only_parses_and_dispatches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut long = Vec::new();
    for (module, text) in sources(&root) {
        let code = code(&text);
        let lines: Vec<&str> = code.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let indent = line.len() - line.trim_start().len();
            let t = line.trim_start();
            let is_fn = t.starts_with("fn ") || t.starts_with("pub fn ") || t.starts_with("pub(crate) fn ");
            if is_fn {
                let close = format!("{}}}", " ".repeat(indent));
                let end = (i + 1..lines.len()).find(|&j| lines[j] == close).unwrap_or(lines.len() - 1);
                if end - i + 1 > 40 {
                    long.push(format!("cli/{}: {}: {} lines", module.join("/"), t, end - i + 1));
                }
                i = end;
            }
            i += 1;
        }
    }
    assert!(long.is_empty(), "functions in cli/ over 40 lines: {long:?}");
}
