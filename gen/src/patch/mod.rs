//! Unified diffs as plain values: parsing, applying a chosen subset of
//! hunks, and writing.
//!
//! Lines are bytes, not strings: kernel files are not all valid UTF-8,
//! and a patch must reproduce them exactly. A line's text excludes its
//! `\n`; `no_newline` records a `\ No newline at end of file` marker.

mod apply;
mod parse;
mod write;

#[cfg(test)]
mod proptests;

pub use apply::{apply_hunks, Applied, ApplyError};
pub use parse::{parse_patch, ParseError};
pub use write::{file_diff, unified_diff, write_hunks};

/// A whole patch: one entry per file it touches, in patch order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    pub files: Vec<FilePatch>,
}

/// The changes a patch makes to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePatch {
    /// Path relative to the tree root (the `b/` side, or `a/` when the
    /// file is deleted).
    pub path: String,
    /// 1-based line of the `diff`/`---` header in the patch text.
    pub header_line: usize,
    pub kind: FileChange,
    pub hunks: Vec<Hunk>,
}

/// What happens to the file as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileChange {
    Modified,
    Created,
    Deleted,
}

/// One `@@ -a,b +c,d @@` hunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    /// The text after the second `@@` (often the enclosing function).
    pub section: String,
    /// 1-based line of the `@@` header in the patch text.
    pub header_line: usize,
    pub lines: Vec<Line>,
}

/// One line of a hunk body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: Vec<u8>,
    pub no_newline: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Removed,
    Added,
}

impl Hunk {
    /// The lines this hunk adds or removes.
    pub fn changed_lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.kind != LineKind::Context)
    }

    /// The first changed line, for reports, as `-text` or `+text`.
    pub fn first_change(&self) -> String {
        self.changed_lines()
            .next()
            .map(|l| {
                format!("{}{}", if l.kind == LineKind::Added { '+' } else { '-' }, String::from_utf8_lossy(&l.text))
            })
            .unwrap_or_default()
    }

    /// Number of added and removed lines.
    pub fn counts(&self) -> (usize, usize) {
        let added = self.lines.iter().filter(|l| l.kind == LineKind::Added).count();
        let removed = self.lines.iter().filter(|l| l.kind == LineKind::Removed).count();
        (added, removed)
    }

    /// Writes the hunk back in unified format, header included.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            format!("@@ -{} +{} @@", range(self.old_start, self.old_len), range(self.new_start, self.new_len))
                .as_bytes(),
        );
        if !self.section.is_empty() {
            out.push(b' ');
            out.extend_from_slice(self.section.as_bytes());
        }
        out.push(b'\n');
        for line in &self.lines {
            out.push(match line.kind {
                LineKind::Context => b' ',
                LineKind::Removed => b'-',
                LineKind::Added => b'+',
            });
            out.extend_from_slice(&line.text);
            out.push(b'\n');
            if line.no_newline {
                out.extend_from_slice(b"\\ No newline at end of file\n");
            }
        }
    }
}

/// `start,len` as unified diffs write it (`len` omitted when it is 1).
pub(crate) fn range(start: usize, len: usize) -> String {
    if len == 1 {
        start.to_string()
    } else {
        format!("{start},{len}")
    }
}

impl FilePatch {
    /// Writes the file's header and the given hunks in unified format.
    pub fn write_hunks<'a>(&self, hunks: impl IntoIterator<Item = &'a Hunk>, out: &mut Vec<u8>) {
        let (old, new) = match self.kind {
            FileChange::Created => ("/dev/null".to_string(), format!("b/{}", self.path)),
            FileChange::Deleted => (format!("a/{}", self.path), "/dev/null".to_string()),
            FileChange::Modified => (format!("a/{}", self.path), format!("b/{}", self.path)),
        };
        out.extend_from_slice(format!("--- {old}\n+++ {new}\n").as_bytes());
        for hunk in hunks {
            hunk.write_to(out);
        }
    }
}
