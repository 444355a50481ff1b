//! Locating the lines of what an edit works on: a node tree-sitter
//! found, widened to the comment above it; a named definition (macro,
//! function or declaration). Both placing and removing text start here.

use super::{c, text};

/// Lines `first..=last` of the node at `range`, widened to include a
/// comment block that ends right above it.
pub(super) fn node_lines(t: &[u8], range: &std::ops::Range<usize>, with_comment: bool) -> (usize, usize) {
    let lines = text::line_ranges(t);
    let mut first = text::line_of(&lines, range.start);
    let last = text::line_of(&lines, range.end.saturating_sub(1));
    if with_comment && first > 0 && text::line_str(t, &lines[first - 1]).trim_end().ends_with("*/") {
        let mut i = first - 1;
        loop {
            let c = text::line_str(t, &lines[i]);
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

/// Finds the lines of a named definition: a `#define NAME` (with its
/// continuation lines), a function, or a declaration, with a comment
/// right above it.
pub(super) fn definition_lines(t: &[u8], name: &str) -> Option<(usize, usize)> {
    definition_span(t, name).map(|(first, _, last)| (first, last))
}

/// The lines of a named definition as `definition_lines` finds it: the
/// first line of a comment right above it (else its own first line), its
/// own first line, and its last line.
pub(super) fn definition_span(t: &[u8], name: &str) -> Option<(usize, usize, usize)> {
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
pub(super) fn define_lines(t: &[u8], name: &str) -> Option<(usize, usize)> {
    text::defines(t, |n| n == name).into_iter().next()
}
