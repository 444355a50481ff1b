//! Keeping every diff archport computes within a stated budget.
//!
//! `similar`'s Myers diff takes time proportional to (N + M) · D, where D
//! is the number of inserted and deleted elements: linear for two files
//! that differ a little, quadratic for two that share nothing (a hostile
//! file of 50,000 nested `#ifdef`s took a minute). Before a diff is
//! computed, [`distance`] runs Myers' greedy forward pass, which finds D
//! itself in the same O((N + M) · D) time but can stop at a cap; the cap
//! is [`BUDGET`] steps divided by N + M. A pair of texts within the cap is
//! diffed exactly; one past it is reported as *too far apart* with the
//! lower bound on D that was proved. The outcome depends on the inputs
//! alone, never on the clock, so output stays deterministic.

use std::time::{Duration, Instant};

use similar::{DiffOp, DiffTag, DiffableStr, InlineChange, TextDiff};

/// Element comparisons one diff may cost (about a quarter of a second).
pub const BUDGET: usize = 200_000_000;

/// The most edits a diff of `n` and `m` elements may have within budget
/// (never fewer than 64: small files always diff exactly).
pub fn max_distance(n: usize, m: usize) -> usize {
    (BUDGET / (n + m).max(1)).max(64)
}

/// How far apart two sequences are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distance {
    /// Exactly this many elements are inserted or deleted.
    Exact(usize),
    /// More than this many: past the budget, the diff is not computed.
    AtLeast(usize),
}

impl Distance {
    /// The distance, or its lower bound.
    pub fn count(self) -> usize {
        match self {
            Distance::Exact(d) | Distance::AtLeast(d) => d,
        }
    }

    pub fn is_exact(self) -> bool {
        matches!(self, Distance::Exact(_))
    }
}

/// The number of insertions and deletions that turn `a` into `b`, if it
/// is within budget.
pub fn distance<T: Eq>(a: &[T], b: &[T]) -> Distance {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        return Distance::Exact(a.len() + b.len());
    }
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = max_distance(a.len(), b.len()).min(a.len() + b.len());
    let offset = max as isize + 1;
    // v[k + offset]: the furthest x reached on diagonal k = x - y.
    let mut v = vec![0isize; 2 * max + 3];
    for d in 0..=max as isize {
        let mut k = -d;
        while k <= d {
            let i = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) { v[i + 1] } else { v[i - 1] + 1 };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                return Distance::Exact(d as usize);
            }
            k += 2;
        }
    }
    Distance::AtLeast(max + 1)
}

/// Lines as `similar` splits them: each with its line break.
pub fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Whether two texts are close enough, line by line, to be diffed.
pub fn lines_within_budget(old: &str, new: &str) -> bool {
    distance(&lines(old), &lines(new)).is_exact()
}

/// A line diff of two texts: the minimal one within budget; past it,
/// the common head and tail with everything between replaced (what
/// `similar` gives once its deadline has passed, which this sets before
/// it starts, so the result is the same on every run).
pub fn line_diff<'a>(old: &'a str, new: &'a str) -> TextDiff<'a, 'a, 'a, str> {
    configured(lines_within_budget(old, new)).diff_lines(old, new)
}

/// [`line_diff`] for bytes.
pub fn byte_line_diff<'a>(old: &'a [u8], new: &'a [u8]) -> TextDiff<'a, 'a, 'a, [u8]> {
    let split = |t: &'a [u8]| t.split_inclusive(|&b| b == b'\n').collect::<Vec<_>>();
    configured(distance(&split(old), &split(new)).is_exact()).diff_lines(old, new)
}

fn configured(exact: bool) -> similar::TextDiffConfig {
    let mut config = TextDiff::configure();
    config.algorithm(similar::Algorithm::Myers);
    if !exact {
        let past = Instant::now().checked_sub(Duration::from_secs(1)).unwrap_or_else(Instant::now);
        config.deadline(past);
    }
    config
}

/// The changes of one op of a [`line_diff`], with the words that differ
/// inside a changed line emphasised (`similar`'s inline diff), when the
/// op's words are within budget; past it, the plain line changes. No
/// deadline is set, so the emphasis is the same on every run.
pub fn inline_changes<'x>(diff: &'x TextDiff<'x, 'x, 'x, str>, op: &DiffOp) -> Vec<InlineChange<'x, str>> {
    let words = |lines: &[&'x str]| lines.iter().flat_map(|l| l.tokenize_words()).collect::<Vec<&str>>();
    let (old, new) = (&diff.old_slices()[op.old_range()], &diff.new_slices()[op.new_range()]);
    if op.tag() == DiffTag::Replace && distance(&words(old), &words(new)).is_exact() {
        diff.iter_inline_changes_deadline(op, None).collect()
    } else {
        diff.iter_changes(op).map(InlineChange::from).collect()
    }
}

/// `similar`'s ratio from a distance: matched elements over all.
pub fn ratio(d: Distance, n: usize, m: usize) -> f32 {
    if n + m == 0 {
        return 1.0;
    }
    (n + m).saturating_sub(d.count()) as f32 / (n + m) as f32
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use similar::ChangeTag;

    use super::*;

    fn similar_distance(a: &[u8], b: &[u8]) -> usize {
        let (a, b): (Vec<&str>, Vec<&str>) = (
            a.iter().map(|x| ["0", "1", "2", "3"][*x as usize]).collect(),
            b.iter().map(|x| ["0", "1", "2", "3"][*x as usize]).collect(),
        );
        TextDiff::from_slices(&a, &b).iter_all_changes().filter(|c| c.tag() != ChangeTag::Equal).count()
    }

    proptest! {
        #[test]
        fn the_distance_is_the_one_similar_finds(a in proptest::collection::vec(0u8..4, 0..60), b in proptest::collection::vec(0u8..4, 0..60)) {
            prop_assert_eq!(distance(&a, &b), Distance::Exact(similar_distance(&a, &b)));
        }
    }

    #[test]
    fn inline_changes_emphasise_the_words_that_differ() {
        let (old, new) = ("\tx = 0UL;\nkeep\n", "\tx  =  1UL;\nkeep\n");
        let diff = line_diff(old, new);
        let op = diff.ops()[0];
        let emphasised: Vec<(ChangeTag, String)> = inline_changes(&diff, &op)
            .iter()
            .flat_map(|c| c.values().iter().filter(|(e, _)| *e).map(move |(_, s)| (c.tag(), s.trim().to_string())))
            .collect();
        assert!(emphasised.contains(&(ChangeTag::Delete, "0UL;".into())), "{emphasised:?}");
        assert!(emphasised.contains(&(ChangeTag::Insert, "1UL;".into())), "{emphasised:?}");
    }

    #[test]
    fn far_apart_inputs_stop_at_the_budget() {
        // 50,000 nested conditionals where the other side has one line.
        let mut big = vec!["int a;\n"];
        big.extend(vec!["#ifdef X\n"; 50_000]);
        big.extend(vec!["#endif\n"; 50_000]);
        let small = vec!["int b;\n"];
        // Stopping at the cap is what bounds the work (the benchmark times it).
        assert_eq!(distance(&big, &small), Distance::AtLeast(max_distance(100_001, 1) + 1));
        assert_eq!(distance(&big, &big[..1]), Distance::Exact(100_000), "a pure deletion is exact at once");
        assert_eq!(ratio(Distance::Exact(0), 3, 3), 1.0);

        // Past the budget the diff is head, tail and one replaced middle.
        let (old, new) = (big.concat(), format!("{}int c;\n", small.concat()));
        let ops = line_diff(&old, &new).ops().to_vec();
        let tags: Vec<similar::DiffTag> = ops.iter().map(|o| o.tag()).collect();
        assert_eq!(tags, [similar::DiffTag::Replace]);
    }
}
