//! Side-by-side rows of a golden file and a generated one: a changed
//! line is paired with the line that replaced it, the words that differ
//! inside it are emphasised, C comments are marked so the report can
//! show them apart from code, and rows that differ only in whitespace
//! are flagged so the page can hide them.

use std::ops::Range;

use serde::Serialize;
use similar::{ChangeTag, DiffTag, InlineChange};

/// One row: the golden line on the left, the generated on the right.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Row {
    /// `same`, `changed` (both sides, different), `removed` (golden
    /// only), `added` (generated only), or `gap` (unchanged lines folded
    /// away).
    pub kind: &'static str,
    /// The two sides differ only in whitespace (or the one side is a
    /// blank line).
    pub ws: bool,
    pub left_no: Option<usize>,
    pub left: Vec<Segment>,
    pub right_no: Option<usize>,
    pub right: Vec<Segment>,
}

/// A piece of a line with one look.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    /// Space-separated CSS classes: `c` a comment, `e` a word that
    /// differs from the other side, `w` such a word made of whitespace;
    /// empty for plain code.
    pub class: String,
}

/// Rows for the changed regions with three lines of context.
pub fn rows(golden: Option<&[u8]>, generated: Option<&[u8]>) -> Vec<Row> {
    let g = String::from_utf8_lossy(golden.unwrap_or_default()).into_owned();
    let n = String::from_utf8_lossy(generated.unwrap_or_default()).into_owned();
    let (gc, nc) = (comments(&g), comments(&n));
    let diff = crate::diff_budget::line_diff(&g, &n);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push(Row { kind: "gap", ws: false, left_no: None, left: vec![], right_no: None, right: vec![] });
        }
        for op in group {
            if op.tag() == DiffTag::Equal {
                for c in diff.iter_changes(op) {
                    let (l, r) = (c.old_index().unwrap_or(0), c.new_index().unwrap_or(0));
                    let text = plain(&c);
                    out.push(Row {
                        kind: "same",
                        ws: false,
                        left_no: Some(l + 1),
                        left: plain_segments(&text, marks(&gc, l)),
                        right_no: Some(r + 1),
                        right: plain_segments(&text, marks(&nc, r)),
                    });
                }
                continue;
            }
            let (o, n) = (op.old_range(), op.new_range());
            let (olds, news) = (diff.old_slices(), diff.new_slices());
            for (l, r) in align(&olds[o.clone()], &news[n.clone()]) {
                let (l, r) = (l.map(|k| o.start + k), r.map(|k| n.start + k));
                let (segs_l, segs_r) = match (l, r) {
                    (Some(a), Some(b)) => {
                        let (x, y) = emphasis(olds[a], news[b], marks(&gc, a), marks(&nc, b));
                        (Some(x), Some(y))
                    }
                    _ => (
                        l.map(|a| plain_segments(olds[a], marks(&gc, a))),
                        r.map(|b| plain_segments(news[b], marks(&nc, b))),
                    ),
                };
                out.push(paired(
                    l.zip(segs_l).map(|(a, segs)| Line::new(a, olds[a], segs)),
                    r.zip(segs_r).map(|(b, segs)| Line::new(b, news[b], segs)),
                ));
            }
        }
    }
    out
}

/// One side of a changed row.
struct Line {
    no: usize,
    segments: Vec<Segment>,
    text: String,
}

impl Line {
    /// Line `index` (from 0) of its file, with its text and segments.
    fn new(index: usize, text: &str, segments: Vec<Segment>) -> Line {
        Line { no: index + 1, segments, text: text.trim_end_matches(['\n', '\r']).to_string() }
    }
}

/// The row of a golden line and the generated line that replaced it
/// (either may be missing).
fn paired(l: Option<Line>, r: Option<Line>) -> Row {
    let ws = match (&l, &r) {
        (Some(a), Some(b)) => fold(&a.text) == fold(&b.text),
        (Some(one), None) | (None, Some(one)) => one.text.trim().is_empty(),
        (None, None) => false,
    };
    let kind = match (&l, &r) {
        (Some(_), Some(_)) => "changed",
        (Some(_), None) => "removed",
        _ => "added",
    };
    Row {
        kind,
        ws,
        left_no: l.as_ref().map(|x| x.no),
        left: l.map(|x| x.segments).unwrap_or_default(),
        right_no: r.as_ref().map(|x| x.no),
        right: r.map(|x| x.segments).unwrap_or_default(),
    }
}

fn marks(comments: &[Vec<Range<usize>>], line: usize) -> &[Range<usize>] {
    comments.get(line).map(Vec::as_slice).unwrap_or_default()
}

/// The most line pairs [`align`] weighs against each other; past it,
/// lines are paired in order.
const ALIGN_BUDGET: usize = 40_000;

/// How two lines of a replaced run are shown: paired on one row when
/// they are alike (half their words in common or more), each alone on a
/// row otherwise; the most alike pairing, in order (a longest common
/// subsequence weighted by likeness). Lines that pair with nothing share
/// rows in order with those of the other side.
fn align(old: &[&str], new: &[&str]) -> Vec<(Option<usize>, Option<usize>)> {
    let (m, n) = (old.len(), new.len());
    if m * n > ALIGN_BUDGET {
        return (0..m.max(n)).map(|k| ((k < m).then_some(k), (k < n).then_some(k))).collect();
    }
    let (ow, nw): (Vec<Vec<&str>>, Vec<Vec<&str>>) =
        (old.iter().map(|l| words(l)).collect(), new.iter().map(|l| words(l)).collect());
    let like = |i: usize, j: usize| likeness(old[i], &ow[i], new[j], &nw[j]);
    // best[i][j]: the most likeness pairing old[i..] with new[j..] gives.
    let mut best = vec![vec![0.0f32; n + 1]; m + 1];
    for i in (0..m).rev() {
        for j in (0..n).rev() {
            let pair = like(i, j).map_or(0.0, |l| l + best[i + 1][j + 1]);
            best[i][j] = pair.max(best[i + 1][j]).max(best[i][j + 1]);
        }
    }
    let mut out = Vec::new();
    let (mut lone_old, mut lone_new) = (Vec::new(), Vec::new());
    let flush = |out: &mut Vec<_>, lo: &mut Vec<usize>, ln: &mut Vec<usize>| {
        for k in 0..lo.len().max(ln.len()) {
            out.push((lo.get(k).copied(), ln.get(k).copied()));
        }
        lo.clear();
        ln.clear();
    };
    let (mut i, mut j) = (0, 0);
    while i < m || j < n {
        if i < m && j < n && like(i, j).is_some_and(|l| best[i][j] == l + best[i + 1][j + 1]) {
            flush(&mut out, &mut lone_old, &mut lone_new);
            out.push((Some(i), Some(j)));
            (i, j) = (i + 1, j + 1);
        } else if j == n || i < m && best[i][j] == best[i + 1][j] {
            lone_old.push(i);
            i += 1;
        } else {
            lone_new.push(j);
            j += 1;
        }
    }
    flush(&mut out, &mut lone_old, &mut lone_new);
    out
}

/// The words of a line: runs of letters, digits and `_`, and each other
/// character that is not a space.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (k, c) in line.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (start, word) {
            (None, true) => start = Some(k),
            (Some(s), false) => {
                out.push(&line[s..k]);
                start = None;
            }
            _ => {}
        }
        if !word && !c.is_whitespace() {
            out.push(&line[k..k + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// How alike two lines are (the share of words they have in common),
/// when it is half or more: equal lines once whitespace is folded are
/// alike by 1.
fn likeness(a: &str, aw: &[&str], b: &str, bw: &[&str]) -> Option<f32> {
    if fold(a) == fold(b) {
        return Some(1.0);
    }
    let mut rest: Vec<&str> = bw.to_vec();
    let common = aw
        .iter()
        .filter(|w| match rest.iter().position(|x| x == *w) {
            Some(k) => {
                rest.swap_remove(k);
                true
            }
            None => false,
        })
        .count();
    let share = 2.0 * common as f32 / (aw.len() + bw.len()).max(1) as f32;
    (share >= 0.5).then_some(share)
}

/// The two lines of a pair cut into segments, with the words that
/// differ between them emphasised (`similar`'s inline diff of the pair).
fn emphasis(old: &str, new: &str, oc: &[Range<usize>], nc: &[Range<usize>]) -> (Vec<Segment>, Vec<Segment>) {
    let diff = crate::diff_budget::line_diff(old, new);
    let (mut l, mut r) = (Vec::new(), Vec::new());
    for op in diff.ops() {
        for c in crate::diff_budget::inline_changes(&diff, op) {
            match c.tag() {
                ChangeTag::Delete => l = segments(&c, oc),
                ChangeTag::Insert => r = segments(&c, nc),
                ChangeTag::Equal => {}
            }
        }
    }
    (l, r)
}

/// A line without emphasis, cut where its comments start and end.
fn plain_segments(text: &str, comments: &[Range<usize>]) -> Vec<Segment> {
    split(text.trim_end_matches(['\n', '\r']), comments, &[])
}

/// A line's text, without its line break.
fn plain(c: &similar::Change<&str>) -> String {
    c.value().trim_end_matches(['\n', '\r']).to_string()
}

fn fold(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The line of `c` cut where a comment or an emphasised word starts or
/// ends (`comments`: the byte ranges of the line that are comments).
fn segments(c: &InlineChange<str>, comments: &[Range<usize>]) -> Vec<Segment> {
    let mut emphasised = Vec::new();
    let mut at = 0;
    for (e, s) in c.values() {
        if *e {
            emphasised.push(at..at + s.len());
        }
        at += s.len();
    }
    let text = c.values().iter().map(|(_, s)| *s).collect::<String>();
    split(text.trim_end_matches(['\n', '\r']), comments, &emphasised)
}

/// `text` cut at the edges of its comments and emphasised ranges, each
/// piece with its classes; neighbours with the same look are merged.
fn split(text: &str, comments: &[Range<usize>], emphasised: &[Range<usize>]) -> Vec<Segment> {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for r in comments.iter().chain(emphasised) {
        cuts.extend([r.start.min(text.len()), r.end.min(text.len())]);
    }
    // Whitespace inside an emphasised range is a piece of its own, so
    // that hiding whitespace changes can unmark it alone.
    for r in emphasised {
        let r = r.start.min(text.len())..r.end.min(text.len());
        let blank: Vec<bool> = text[r.clone()].bytes().map(|b| b.is_ascii_whitespace()).collect();
        cuts.extend((1..blank.len()).filter(|&k| blank[k] != blank[k - 1]).map(|k| r.start + k));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let inside = |rs: &[Range<usize>], at: usize| rs.iter().any(|r| r.contains(&at));
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2).filter(|w| w[0] < w[1]) {
        let piece = &text[w[0]..w[1]];
        let mut class = Vec::new();
        if inside(comments, w[0]) {
            class.push("c");
        }
        if inside(emphasised, w[0]) {
            class.push(if piece.trim().is_empty() { "e w" } else { "e" });
        }
        let class = class.join(" ");
        match out.last_mut() {
            Some(last) if last.class == class => last.text.push_str(piece),
            _ => out.push(Segment { text: piece.to_string(), class }),
        }
    }
    out
}

/// For each line, the byte ranges that are C comments, following block
/// comments across lines.
fn comments(text: &str) -> Vec<Vec<Range<usize>>> {
    let mut in_block = false;
    text.lines()
        .map(|line| {
            let mut ranges = Vec::new();
            let (mut at, mut start) = (0, 0);
            while at < line.len() {
                let rest = &line[at..];
                if in_block {
                    match rest.find("*/") {
                        Some(e) => {
                            ranges.push(start..at + e + 2);
                            at += e + 2;
                            in_block = false;
                        }
                        None => {
                            ranges.push(start..line.len());
                            at = line.len();
                        }
                    }
                    continue;
                }
                match (rest.find("/*"), rest.find("//")) {
                    (Some(b), l) if l.is_none_or(|l| b < l) => {
                        start = at + b;
                        at = start + 2;
                        in_block = true;
                        if at >= line.len() {
                            ranges.push(start..line.len());
                        }
                    }
                    (_, Some(l)) => {
                        ranges.push(at + l..line.len());
                        at = line.len();
                    }
                    _ => at = line.len(),
                }
            }
            ranges
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(segs: &[Segment]) -> Vec<(&str, &str)> {
        segs.iter().map(|s| (s.class.as_str(), s.text.as_str())).collect()
    }

    #[test]
    fn comments_are_marked_across_lines() {
        let c = comments("int x; /* a\n b */ int y; // c\n");
        assert_eq!(c[0], vec![7..11]);
        assert_eq!(c[1], vec![0..5, 13..17]);
    }

    #[test]
    fn a_changed_line_is_paired_and_its_changed_word_emphasised() {
        let r = rows(Some(b"a\n\tx = 0UL; /* z */\nc\n"), Some(b"a\n\tx = 1UL; /* z */\nc\n"));
        let kinds: Vec<&str> = r.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["same", "changed", "same"]);
        assert_eq!((r[1].left_no, r[1].right_no), (Some(2), Some(2)));
        assert_eq!(shown(&r[1].left), [("", "\tx = "), ("e", "0UL;"), ("", " "), ("c", "/* z */")]);
        assert_eq!(shown(&r[1].right), [("", "\tx = "), ("e", "1UL;"), ("", " "), ("c", "/* z */")]);
        assert!(!r[1].ws);
    }

    #[test]
    fn whitespace_only_rows_are_flagged() {
        let r = rows(Some(b"a\nint  x;\nb\n"), Some(b"a\nint x;\n\nb\n"));
        let flagged: Vec<(&str, bool)> = r.iter().map(|r| (r.kind, r.ws)).collect();
        assert_eq!(flagged, [("same", false), ("changed", true), ("added", true), ("same", false)]);
        assert_eq!(shown(&r[1].left), [("", "int"), ("e w", "  "), ("", "x;")]);
    }

    #[test]
    fn unequal_runs_of_lines_pair_from_the_top() {
        let r = rows(Some(b"a\nb\nz\n"), Some(b"A\nz\n"));
        let kinds: Vec<&str> = r.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["changed", "removed", "same"]);
    }
}
