//! Side-by-side rows of a golden file and a generated one, with C
//! comments marked so the report can show them apart from code.

use serde::Serialize;
use similar::ChangeTag;

/// One row: the golden line on the left, the generated on the right.
/// Each side is a list of segments `(is_comment, text)`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Row {
    /// `same`, `removed` (golden only), `added` (generated only), or `gap`
    /// (unchanged lines folded away).
    pub kind: &'static str,
    pub left_no: Option<usize>,
    pub left: Vec<(bool, String)>,
    pub right_no: Option<usize>,
    pub right: Vec<(bool, String)>,
}

/// Rows for the changed regions with three lines of context.
pub fn rows(golden: Option<&[u8]>, generated: Option<&[u8]>) -> Vec<Row> {
    let g = String::from_utf8_lossy(golden.unwrap_or_default()).into_owned();
    let n = String::from_utf8_lossy(generated.unwrap_or_default()).into_owned();
    let (gl, nl) = (segments(&g), segments(&n));
    let diff = crate::diff_budget::line_diff(&g, &n);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push(Row { kind: "gap", left_no: None, left: vec![], right_no: None, right: vec![] });
        }
        for op in group {
            for c in diff.iter_changes(op) {
                let (o, n_) = (c.old_index(), c.new_index());
                let row = match c.tag() {
                    ChangeTag::Equal => Row {
                        kind: "same",
                        left_no: o.map(|x| x + 1),
                        left: o.map(|x| gl[x].clone()).unwrap_or_default(),
                        right_no: n_.map(|x| x + 1),
                        right: n_.map(|x| nl[x].clone()).unwrap_or_default(),
                    },
                    ChangeTag::Delete => Row {
                        kind: "removed",
                        left_no: o.map(|x| x + 1),
                        left: o.map(|x| gl[x].clone()).unwrap_or_default(),
                        right_no: None,
                        right: vec![],
                    },
                    ChangeTag::Insert => Row {
                        kind: "added",
                        left_no: None,
                        left: vec![],
                        right_no: n_.map(|x| x + 1),
                        right: n_.map(|x| nl[x].clone()).unwrap_or_default(),
                    },
                };
                out.push(row);
            }
        }
    }
    out
}

/// Splits each line into code and comment segments, following block
/// comments across lines.
fn segments(text: &str) -> Vec<Vec<(bool, String)>> {
    let mut in_block = false;
    text.lines()
        .map(|line| {
            let mut segs: Vec<(bool, String)> = Vec::new();
            let mut rest = line;
            while !rest.is_empty() {
                if in_block {
                    match rest.find("*/") {
                        Some(end) => {
                            segs.push((true, rest[..end + 2].to_string()));
                            rest = &rest[end + 2..];
                            in_block = false;
                        }
                        None => {
                            segs.push((true, rest.to_string()));
                            rest = "";
                        }
                    }
                } else {
                    let block = rest.find("/*");
                    let line_c = rest.find("//");
                    match (block, line_c) {
                        (Some(b), l) if l.is_none_or(|l| b < l) => {
                            if b > 0 {
                                segs.push((false, rest[..b].to_string()));
                            }
                            rest = &rest[b..];
                            in_block = true;
                        }
                        (_, Some(l)) => {
                            if l > 0 {
                                segs.push((false, rest[..l].to_string()));
                            }
                            segs.push((true, rest[l..].to_string()));
                            rest = "";
                        }
                        _ => {
                            segs.push((false, rest.to_string()));
                            rest = "";
                        }
                    }
                }
            }
            segs
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_segments_of_their_own() {
        let s = segments("int x; /* a\n b */ int y; // c\n");
        assert_eq!(s[0], vec![(false, "int x; ".into()), (true, "/* a".into())]);
        assert_eq!(s[1], vec![(true, " b */".into()), (false, " int y; ".into()), (true, "// c".into())]);
    }

    #[test]
    fn rows_pair_golden_and_generated_lines() {
        let r = rows(Some(b"a\nb\nc\n"), Some(b"a\nB\nc\n"));
        let kinds: Vec<&str> = r.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["same", "removed", "added", "same"]);
        assert_eq!((r[1].left_no, r[2].right_no), (Some(2), Some(2)));
    }
}
