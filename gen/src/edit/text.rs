//! Byte-level line helpers shared by the edit operations.
//!
//! Edits work on bytes so that a file that is not valid UTF-8, uses CRLF
//! or lacks a final newline comes out unchanged outside the edited lines.

use std::ops::Range;

/// Byte ranges of every line, terminator included.
pub fn line_ranges(text: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', text) {
        out.push(start..i + 1);
        start = i + 1;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Bytes compared at once before the byte-wise tail: slice equality is
/// a `memcmp`, many times faster than comparing byte pairs.
const BLOCK: usize = 256;

/// The length of the longest common prefix of `a` and `b`.
pub fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n].iter().zip(&b[i..n]).take_while(|(x, y)| x == y).count()
}

/// The length of the longest common suffix of `a` and `b`.
pub fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    i + a[..n - i].iter().rev().zip(b[..n - i].iter().rev()).take_while(|(x, y)| x == y).count()
}

/// Where `new` differs from `old`, as `(start, old_end, new_end)`: the
/// bytes `start..old_end` of `old` became `start..new_end` of `new`,
/// and everything before and after is the same in both.
pub fn changed_span(old: &[u8], new: &[u8]) -> (usize, usize, usize) {
    let start = common_prefix(old, new);
    let room = old.len().min(new.len()) - start;
    let suffix = common_suffix(&old[old.len() - room..], &new[new.len() - room..]);
    (start, old.len() - suffix, new.len() - suffix)
}

/// A line's content without its terminator (`\n` or `\r\n`).
pub fn content(text: &[u8], line: &Range<usize>) -> Vec<u8> {
    let l = &text[line.clone()];
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l).to_vec()
}

/// A line's content as text (invalid UTF-8 replaced), for matching.
pub fn line_str(text: &[u8], line: &Range<usize>) -> String {
    String::from_utf8_lossy(&content(text, line)).into_owned()
}

/// Every `#define NAME` whose NAME satisfies `wanted`, as the lines
/// `first..=last` it spans with its continuation lines.
pub fn defines(text: &[u8], wanted: impl Fn(&str) -> bool) -> Vec<(usize, usize)> {
    let lines = line_ranges(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = line_str(text, &lines[i]);
        let rest = line.trim_start().strip_prefix('#').map(str::trim_start).and_then(|d| d.strip_prefix("define"));
        let name: String = rest
            .filter(|r| r.starts_with(char::is_whitespace))
            .map(|r| r.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
            .unwrap_or_default();
        if !name.is_empty() && wanted(&name) {
            let first = i;
            while i + 1 < lines.len() && content(text, &lines[i]).ends_with(b"\\") {
                i += 1;
            }
            out.push((first, i));
        }
        i += 1;
    }
    out
}

pub fn is_blank(text: &[u8], line: &Range<usize>) -> bool {
    text[line.clone()].iter().all(|b| b.is_ascii_whitespace())
}

/// The line index containing byte `pos`.
pub fn line_of(lines: &[Range<usize>], pos: usize) -> usize {
    lines.partition_point(|l| l.end <= pos).min(lines.len().saturating_sub(1))
}

/// Replaces `range` in `text` with `with`.
pub fn splice(text: &mut Vec<u8>, range: Range<usize>, with: &[u8]) {
    text.splice(range, with.iter().copied());
}

/// Inserts `bytes` (whole lines) after line `idx`; a last line without
/// a terminator gets one first, so the inserted text starts a new line.
pub fn insert_after_line(text: &mut Vec<u8>, idx: usize, bytes: &[u8]) {
    let lines = line_ranges(text);
    let pos = lines[idx].end;
    let mut ins = Vec::new();
    if !text[..pos].ends_with(b"\n") {
        ins.extend_from_slice(newline(text));
    }
    ins.extend_from_slice(bytes);
    splice(text, pos..pos, &ins);
}

/// Removes whole lines `first..=last` and then, if that left two blank
/// lines next to each other (or a blank line just after an opening or
/// before a closing line), removes one blank line: a removed definition
/// takes its separating blank line with it.
pub fn remove_lines(text: &mut Vec<u8>, first: usize, last: usize) {
    let lines = line_ranges(text);
    let start = lines[first].start;
    let end = lines[last].end;
    let before_blank = first > 0 && is_blank(text, &lines[first - 1]);
    let after_blank = last + 1 < lines.len() && is_blank(text, &lines[last + 1]);
    let after_is_end = last + 1 >= lines.len() || closes(&content(text, &lines[last + 1]));
    let before_is_open = first > 0 && opens(&content(text, &lines[first - 1]));
    let (start, end) = if (before_blank || before_is_open) && after_blank {
        (start, lines[last + 1].end)
    } else if before_blank && after_is_end {
        (lines[first - 1].start, end)
    } else {
        (start, end)
    };
    splice(text, start..end, b"");
}

/// A line that opens a block: it ends with `{`, or it is `#if...` or
/// `#else`.
fn opens(line: &[u8]) -> bool {
    let t = String::from_utf8_lossy(line);
    let d = t.trim_start().strip_prefix('#').map(str::trim_start).unwrap_or("");
    t.trim_end().ends_with('{') || d.starts_with("if") || d.starts_with("else")
}

/// A line that closes a block: `}`, `#endif`, `#else`.
fn closes(line: &[u8]) -> bool {
    let t = String::from_utf8_lossy(line);
    let t = t.trim_start();
    t.starts_with('}') || t.starts_with("#endif") || t.starts_with("#else")
}

/// The line terminator a file uses, so inserted lines match it.
pub fn newline(text: &[u8]) -> &'static [u8] {
    if text.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    }
}

/// Turns `\n`-terminated rendered text into the file's line endings.
pub fn with_newlines(rendered: &str, nl: &[u8]) -> Vec<u8> {
    if nl == b"\n" {
        return rendered.as_bytes().to_vec();
    }
    rendered.replace('\n', "\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_and_suffix_agree_with_byte_by_byte() {
        let a: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
        for (at, cut) in [(0, 1), (255, 3), (256, 0), (1000, 700), (1999, 1), (2000, 0)] {
            let mut b = a.clone();
            b.splice(at..(at + cut).min(a.len()), *b"xy");
            let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
            assert_eq!((common_prefix(&a, &b), common_suffix(&a, &b)), (prefix, suffix), "{at} {cut}");
        }
        assert_eq!(common_suffix(b"abc", b"xbc"), 2);
        assert_eq!(common_prefix(b"", b"abc"), 0);
    }

    #[test]
    fn a_conditional_does_not_open_with_a_blank_line() {
        let mut t = b"#ifdef A\nint x;\n\nint y;\n#endif\n".to_vec();
        remove_lines(&mut t, 1, 1);
        assert_eq!(t, b"#ifdef A\nint y;\n#endif\n");
        let mut t = b"#if A\n#else\nint x;\n\nint y;\n#endif\n".to_vec();
        remove_lines(&mut t, 2, 2);
        assert_eq!(t, b"#if A\n#else\nint y;\n#endif\n");
    }

    #[test]
    fn removing_lines_takes_one_separating_blank_line() {
        let mut t = b"a\n\nb\n\nc\n".to_vec();
        remove_lines(&mut t, 2, 2);
        assert_eq!(t, b"a\n\nc\n");
        let mut t = b"a\n\nb\n}\n".to_vec();
        remove_lines(&mut t, 2, 2);
        assert_eq!(t, b"a\n}\n");
        let mut t = b"a\nb\nc".to_vec();
        remove_lines(&mut t, 2, 2);
        assert_eq!(t, b"a\nb\n");
        let mut t = b"f()\n{\n\tint v;\n\n\tg();\n}\n".to_vec();
        remove_lines(&mut t, 2, 2);
        assert_eq!(t, b"f()\n{\n\tg();\n}\n", "a block does not start with a blank line");
    }
}
