//! Edits to the kernel-doc comment right above a function: a call site
//! that changes how it works takes the paragraphs describing the old way
//! along.

use super::locate::node_lines;
use super::{c, text};

/// Replaces the paragraphs of `function`'s doc comment, from the first
/// line mentioning `from_mentioning` to the comment's closing line, with
/// `rendered` (whole comment lines, ` * ...`).
pub(super) fn replace_doc_paragraphs(
    t: &mut Vec<u8>,
    function: &str,
    from_mentioning: &str,
    rendered: &str,
) -> Result<(), String> {
    let r = c::function(t, function).ok_or_else(|| format!("no definition of function `{function}`"))?;
    let (comment_first, body_first) = (node_lines(t, &r, true).0, node_lines(t, &r, false).0);
    if comment_first == body_first {
        return Err(format!("`{function}` has no comment right above it"));
    }
    let lines = text::line_ranges(t);
    let line = |i: usize| text::line_str(t, &lines[i]);
    let close = body_first - 1;
    let from = (comment_first..close)
        .find(|&i| line(i).contains(from_mentioning))
        .ok_or_else(|| format!("the comment above `{function}` never mentions `{from_mentioning}`"))?;
    let mut with = text::with_newlines(rendered, text::newline(t));
    if !with.ends_with(b"\n") {
        with.extend_from_slice(text::newline(t));
    }
    text::splice(t, lines[from].start..lines[close - 1].end, &with);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_from_the_mention_to_the_end_are_replaced() {
        let src = "/**\n * f - do it\n * @a: an argument\n *\n * Old way, part one.\n *\n * Old way, part two.\n */\nint f(int a)\n{\n\treturn a;\n}\n";
        let mut t = src.as_bytes().to_vec();
        replace_doc_paragraphs(&mut t, "f", "Old way", " * New way.\n").unwrap();
        assert_eq!(
            String::from_utf8(t).unwrap(),
            "/**\n * f - do it\n * @a: an argument\n *\n * New way.\n */\nint f(int a)\n{\n\treturn a;\n}\n"
        );
        let mut t = src.as_bytes().to_vec();
        assert!(replace_doc_paragraphs(&mut t, "f", "Nowhere", "x").unwrap_err().contains("never mentions"));
    }
}
