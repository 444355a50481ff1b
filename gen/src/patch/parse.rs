//! Parsing unified diffs (`diff -u`, `git diff`, `git format-patch`).
//!
//! Paths are taken `-p1` style: the first component (`a/`, `b/`) is
//! dropped. Text before, between and after file sections (commit
//! messages, `diff` command lines, `index` lines) is skipped; a hunk whose
//! body does not match its header's line counts is an error naming the
//! line, never a guess.

use super::{FileChange, FilePatch, Hunk, Line, LineKind, Patch};

/// A patch that cannot be read, with the 1-based line where reading failed.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// Parses a patch. An input without a single file section is an error.
pub fn parse_patch(text: &[u8]) -> Result<Patch, ParseError> {
    let lines: Vec<&[u8]> = split_lines(text);
    let mut files: Vec<FilePatch> = Vec::new();
    let mut i = 0;
    // Git's extended headers seen since the last file section started.
    let mut git_created = false;
    let mut git_deleted = false;
    let mut git_section = false;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with(b"diff ") {
            git_created = false;
            git_deleted = false;
            git_section = line.starts_with(b"diff --git ");
        } else if line.starts_with(b"new file mode") {
            git_created = true;
        } else if line.starts_with(b"deleted file mode") {
            git_deleted = true;
        }
        if line.starts_with(b"--- ") && i + 1 < lines.len() && lines[i + 1].starts_with(b"+++ ") {
            let header_line = i + 1;
            let old = header_path(&lines[i][4..]);
            let new = header_path(&lines[i + 1][4..]);
            i += 2;
            let mut hunks = Vec::new();
            while i < lines.len() && lines[i].starts_with(b"@@ ") {
                let (hunk, next) = parse_hunk(&lines, i)?;
                hunks.push(hunk);
                i = next;
            }
            if hunks.is_empty() {
                return Err(err(header_line, "file header without any @@ hunk"));
            }
            let kind = file_change(&old, &new, &hunks, git_section, git_created, git_deleted);
            let path = match kind {
                FileChange::Deleted => old,
                _ => new,
            }
            .ok_or_else(|| err(header_line, "file header names no path"))?;
            check_relative(&path, header_line)?;
            files.push(FilePatch { path, header_line, kind, hunks });
            continue;
        }
        i += 1;
    }
    if files.is_empty() {
        return Err(err(1, "no file section (`--- a/FILE` / `+++ b/FILE` / `@@`) found: not a unified diff"));
    }
    Ok(Patch { files })
}

fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if text.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

/// `a/arch/arm/Kconfig\t2020-...` -> `Some("arch/arm/Kconfig")`;
/// `/dev/null` -> `None`.
fn header_path(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let name = text.split('\t').next().unwrap_or("").trim_end();
    if name == "/dev/null" {
        return None;
    }
    let stripped = match name.split_once('/') {
        Some((_, rest)) => rest,
        None => name,
    };
    Some(stripped.to_string())
}

/// Paths from a patch become paths under an output folder: refuse any
/// that could leave it.
fn check_relative(path: &str, line: usize) -> Result<(), ParseError> {
    let bad =
        path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == ".." || c.is_empty() || c == ".");
    if bad {
        return Err(err(line, format!("unsafe path `{path}`: patch paths must be relative and stay inside the tree")));
    }
    Ok(())
}

fn file_change(
    old: &Option<String>,
    new: &Option<String>,
    hunks: &[Hunk],
    git: bool,
    git_created: bool,
    git_deleted: bool,
) -> FileChange {
    // `diff -N` writes neither /dev/null nor git headers: a file that ends
    // empty is marked only by a `+0,0` hunk, one that starts empty by
    // `-0,0`. Git marks both explicitly, so there an emptied file stays.
    let all_to_nothing = !git && hunks.iter().all(|h| h.new_start == 0 && h.new_len == 0);
    let all_from_nothing = !git && hunks.iter().all(|h| h.old_start == 0 && h.old_len == 0);
    if new.is_none() || git_deleted || all_to_nothing {
        FileChange::Deleted
    } else if old.is_none() || git_created || all_from_nothing {
        FileChange::Created
    } else {
        FileChange::Modified
    }
}

fn parse_hunk(lines: &[&[u8]], at: usize) -> Result<(Hunk, usize), ParseError> {
    let header_line = at + 1;
    let header = String::from_utf8_lossy(lines[at]).into_owned();
    let bad = || err(header_line, format!("malformed hunk header `{header}`"));
    let rest = header.strip_prefix("@@ -").ok_or_else(bad)?;
    let (ranges, section) = rest.split_once(" @@").ok_or_else(bad)?;
    let (old, new) = ranges.split_once(" +").ok_or_else(bad)?;
    let (old_start, old_len) = parse_range(old).ok_or_else(bad)?;
    let (new_start, new_len) = parse_range(new).ok_or_else(bad)?;

    let mut body = Vec::new();
    let (mut old_seen, mut new_seen) = (0, 0);
    let mut i = at + 1;
    while old_seen < old_len || new_seen < new_len {
        let Some(&raw) = lines.get(i) else {
            return Err(err(i, format!("hunk at line {header_line} ends early: the patch is truncated")));
        };
        let (kind, text) = match raw.first() {
            Some(b' ') => (LineKind::Context, &raw[1..]),
            Some(b'-') => (LineKind::Removed, &raw[1..]),
            Some(b'+') => (LineKind::Added, &raw[1..]),
            // Some tools drop the space of an empty context line.
            None => (LineKind::Context, &raw[..0]),
            Some(b'\\') => {
                mark_no_newline(&mut body, i + 1)?;
                i += 1;
                continue;
            }
            Some(_) => {
                return Err(err(
                    i + 1,
                    format!(
                        "hunk at line {header_line} promises {old_len} old and {new_len} new lines but has {old_seen} and {new_seen}"
                    ),
                ))
            }
        };
        match kind {
            LineKind::Context => {
                old_seen += 1;
                new_seen += 1
            }
            LineKind::Removed => old_seen += 1,
            LineKind::Added => new_seen += 1,
        }
        if old_seen > old_len || new_seen > new_len {
            return Err(err(i + 1, format!("hunk at line {header_line} has more lines than its header says")));
        }
        body.push(Line { kind, text: text.to_vec(), no_newline: false });
        i += 1;
    }
    if lines.get(i).is_some_and(|l| l.starts_with(b"\\")) {
        mark_no_newline(&mut body, i + 1)?;
        i += 1;
    }
    Ok((
        Hunk {
            old_start,
            old_len,
            new_start,
            new_len,
            section: section.trim_start().to_string(),
            header_line,
            lines: body,
        },
        i,
    ))
}

fn mark_no_newline(body: &mut [Line], line: usize) -> Result<(), ParseError> {
    body.last_mut().map(|l| l.no_newline = true).ok_or_else(|| err(line, "`\\ No newline` marker before any line"))
}

fn parse_range(s: &str) -> Option<(usize, usize)> {
    match s.split_once(',') {
        Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
        None => Some((s.parse().ok()?, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF_N: &str = "\
diff -urN -p a/x.h b/x.h
--- a/arch/arm/x.h
+++ b/arch/arm/x.h
@@ -1,3 +1,3 @@ intro
 one
-two
+2
 three
--- a/arch/arm/gone.h
+++ b/arch/arm/gone.h
@@ -1,2 +0,0 @@
-a
-b
";

    #[test]
    fn reads_files_hunks_and_deletions() {
        let p = parse_patch(DIFF_N.as_bytes()).unwrap();
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.files[0].path, "arch/arm/x.h");
        assert_eq!(p.files[0].kind, FileChange::Modified);
        assert_eq!(p.files[0].hunks[0].section, "intro");
        assert_eq!(p.files[0].hunks[0].first_change(), "-two");
        assert_eq!(p.files[1].kind, FileChange::Deleted);
        assert_eq!(p.files[1].hunks[0].counts(), (0, 2));
    }

    #[test]
    fn git_headers_and_missing_newline() {
        let text = "diff --git a/n.c b/n.c\nnew file mode 100644\n--- /dev/null\n+++ b/n.c\n@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\n";
        let p = parse_patch(text.as_bytes()).unwrap();
        assert_eq!(p.files[0].kind, FileChange::Created);
        assert!(p.files[0].hunks[0].lines[0].no_newline);
    }

    #[test]
    fn writes_back_what_it_read() {
        let p = parse_patch(DIFF_N.as_bytes()).unwrap();
        let mut out = Vec::new();
        p.files[0].write_hunks(&p.files[0].hunks, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "--- a/arch/arm/x.h\n+++ b/arch/arm/x.h\n@@ -1,3 +1,3 @@ intro\n one\n-two\n+2\n three\n"
        );
    }

    #[test]
    fn rejects_what_is_not_a_patch() {
        let e = parse_patch(b"hello\nworld\n").unwrap_err();
        assert!(e.to_string().contains("not a unified diff"), "{e}");
        let e = parse_patch(b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n").unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = parse_patch(b"--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
        assert!(e.to_string().contains("unsafe path"), "{e}");
    }
}
