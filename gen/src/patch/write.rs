//! Writing unified diffs of whole files, as `git diff` would.
//!
//! `similar` finds the changes; the hunks are written here, byte for
//! byte, so that files that are not valid UTF-8 or lack a final newline
//! round-trip exactly (`\ No newline at end of file` where it applies).

use similar::{ChangeTag, DiffOp, TextDiff};

use super::range;
use crate::port::Port;

/// The git-style diff of one file: a `diff --git` line, `new file mode`
/// or `deleted file mode` where that applies, `a/`/`b/` headers and
/// `/dev/null` for the missing side. Empty when nothing changed.
pub fn file_diff(path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> Vec<u8> {
    let old_name = if before.is_some() { format!("a/{path}") } else { "/dev/null".into() };
    let new_name = if after.is_some() { format!("b/{path}") } else { "/dev/null".into() };
    let (old, new) = (before.unwrap_or_default(), after.unwrap_or_default());
    if old == new && before.is_some() == after.is_some() {
        return Vec::new();
    }
    let mode = match (before, after) {
        (None, Some(_)) => "new file mode 100644\n",
        (Some(_), None) => "deleted file mode 100644\n",
        _ => "",
    };
    let mut out = format!("diff --git a/{path} b/{path}\n{mode}--- {old_name}\n+++ {new_name}\n").into_bytes();
    write_hunks(old, new, &mut out);
    out
}

/// Writes the `@@` hunks turning `old` into `new`, with three lines of
/// context.
pub fn write_hunks(old: &[u8], new: &[u8], out: &mut Vec<u8>) {
    let diff = crate::diff_budget::byte_line_diff(old, new);
    for group in diff.grouped_ops(3) {
        let mut body = Vec::new();
        let (mut old_len, mut new_len) = (0, 0);
        for op in &group {
            for change in diff.iter_changes(op) {
                match change.tag() {
                    ChangeTag::Equal => (old_len, new_len) = (old_len + 1, new_len + 1),
                    ChangeTag::Delete => old_len += 1,
                    ChangeTag::Insert => new_len += 1,
                }
            }
            write_op(&diff, op, &mut body);
        }
        // Ranges are 1-based; an empty side names the line before it.
        let start = |first: usize, len: usize| if len == 0 { first } else { first + 1 };
        let (old_first, new_first) = (group[0].old_range().start, group[0].new_range().start);
        out.extend_from_slice(
            format!(
                "@@ -{} +{} @@\n",
                range(start(old_first, old_len), old_len),
                range(start(new_first, new_len), new_len)
            )
            .as_bytes(),
        );
        out.extend_from_slice(&body);
    }
}

fn write_op(diff: &TextDiff<'_, '_, '_, [u8]>, op: &DiffOp, out: &mut Vec<u8>) {
    for change in diff.iter_changes(op) {
        out.push(match change.tag() {
            ChangeTag::Equal => b' ',
            ChangeTag::Delete => b'-',
            ChangeTag::Insert => b'+',
        });
        let value = change.value();
        out.extend_from_slice(value);
        if !value.ends_with(b"\n") {
            out.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    }
}

/// All files of a port as one diff against the input tree.
pub fn unified_diff(port: &Port) -> Vec<u8> {
    port.files.iter().flat_map(|f| file_diff(&f.path, f.before.as_deref(), f.after.as_deref())).collect()
}
