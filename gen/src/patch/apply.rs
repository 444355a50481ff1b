//! Applying some or all hunks of one file's patch to its content.
//!
//! Hunks are matched at the line their header names, or at the nearest
//! offset where their old lines match exactly (as `patch` does, but
//! without fuzz: a context mismatch is an error, not a guess). Choosing a
//! subset of hunks is what builds the pre-port tree from the golden one.

use super::{FileChange, FilePatch, LineKind};

/// The result of applying hunks to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Content(Vec<u8>),
    Deleted,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: hunk at patch line {hunk_line} (@@ -{old_start}) does not match the file")]
    Mismatch { path: String, hunk_line: usize, old_start: usize },
    #[error("{path}: the patch modifies the file but the tree does not have it")]
    Missing { path: String },
    #[error("{path}: the patch creates the file but the tree already has it")]
    Exists { path: String },
}

/// How far from its stated line a hunk is searched for.
const MAX_OFFSET: usize = 200;

/// Applies the hunks of `patch` whose indices `take` accepts to
/// `original` (`None`: the file does not exist).
pub fn apply_hunks(
    original: Option<&[u8]>,
    patch: &FilePatch,
    take: impl Fn(usize) -> bool,
) -> Result<Applied, ApplyError> {
    let path = || patch.path.clone();
    let chosen: Vec<usize> = (0..patch.hunks.len()).filter(|&i| take(i)).collect();
    let text = match (original, patch.kind) {
        (None, FileChange::Created) => &[][..],
        (None, _) => return Err(ApplyError::Missing { path: path() }),
        (Some(t), FileChange::Created) if !chosen.is_empty() => {
            if !t.is_empty() {
                return Err(ApplyError::Exists { path: path() });
            }
            t
        }
        (Some(t), _) => t,
    };
    let lines = split_keep(text);
    let mut out = Vec::with_capacity(text.len());
    let mut cursor = 0; // next original line to copy
    for &i in &chosen {
        let hunk = &patch.hunks[i];
        let old: Vec<&[u8]> =
            hunk.lines.iter().filter(|l| l.kind != LineKind::Added).map(|l| l.text.as_slice()).collect();
        let stated = if hunk.old_len == 0 { hunk.old_start } else { hunk.old_start.saturating_sub(1) };
        let at = find(&lines, &old, stated, cursor).ok_or(ApplyError::Mismatch {
            path: path(),
            hunk_line: hunk.header_line,
            old_start: hunk.old_start,
        })?;
        for l in &lines[cursor..at] {
            out.extend_from_slice(l);
        }
        let mut pos = at;
        for line in &hunk.lines {
            match line.kind {
                LineKind::Context => {
                    out.extend_from_slice(lines[pos]);
                    pos += 1;
                }
                LineKind::Removed => pos += 1,
                LineKind::Added => {
                    out.extend_from_slice(&line.text);
                    if !line.no_newline {
                        out.push(b'\n');
                    }
                }
            }
        }
        cursor = pos;
    }
    for l in &lines[cursor..] {
        out.extend_from_slice(l);
    }
    let all_taken = chosen.len() == patch.hunks.len();
    if patch.kind == FileChange::Deleted && all_taken && out.is_empty() {
        return Ok(Applied::Deleted);
    }
    Ok(Applied::Content(out))
}

/// Splits into lines that keep their terminator, so copying them back
/// reproduces the input byte for byte (CRLF and a missing final newline
/// included).
pub(crate) fn split_keep(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

fn strip_nl(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

fn matches_at(lines: &[&[u8]], old: &[&[u8]], at: usize) -> bool {
    at + old.len() <= lines.len() && old.iter().zip(&lines[at..]).all(|(o, l)| *o == strip_nl(l))
}

/// The position nearest `stated` (not before `floor`) where `old` matches.
fn find(lines: &[&[u8]], old: &[&[u8]], stated: usize, floor: usize) -> Option<usize> {
    (0..=MAX_OFFSET).find_map(|d| {
        [stated.checked_add(d), stated.checked_sub(d)]
            .into_iter()
            .flatten()
            .find(|&at| at >= floor && matches_at(lines, old, at))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patch;

    const PATCH: &str = "\
--- a/f
+++ b/f
@@ -1,3 +1,3 @@
 a
-b
+B
 c
@@ -5,3 +5,2 @@
 e
-f
 g
";

    fn file() -> crate::patch::FilePatch {
        parse_patch(PATCH.as_bytes()).unwrap().files.remove(0)
    }

    #[test]
    fn applies_all_or_a_subset() {
        let orig = b"a\nb\nc\nd\ne\nf\ng\n";
        assert_eq!(
            apply_hunks(Some(orig), &file(), |_| true).unwrap(),
            Applied::Content(b"a\nB\nc\nd\ne\ng\n".to_vec())
        );
        assert_eq!(
            apply_hunks(Some(orig), &file(), |i| i == 1).unwrap(),
            Applied::Content(b"a\nb\nc\nd\ne\ng\n".to_vec())
        );
        assert_eq!(apply_hunks(Some(orig), &file(), |_| false).unwrap(), Applied::Content(orig.to_vec()));
    }

    #[test]
    fn finds_a_moved_hunk_and_keeps_bytes_outside_it() {
        let orig = b"x\r\ny\na\nb\nc\nd\ne\nf\ng";
        let got = apply_hunks(Some(orig), &file(), |_| true).unwrap();
        assert_eq!(got, Applied::Content(b"x\r\ny\na\nB\nc\nd\ne\ng".to_vec()));
    }

    #[test]
    fn refuses_a_mismatch() {
        let e = apply_hunks(Some(b"a\nX\nc\n"), &file(), |i| i == 0).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }
}
