//! Each generated patch against its golden port, in the style of `git
//! range-diff`: `=` when the two carry the same changes, `!` with the
//! diff between them when they do not.
//!
//! Both sides are first written in one neutral form: a `## path ##` line
//! per file (`(deleted)`/`(new)` when the file goes or comes), a bare `@@`
//! per hunk, then the hunk's lines. Hunk headers keep neither line
//! numbers (the golden hunks apply to the tree before the RT patch's
//! other changes, the generated ones to the pre-port tree) nor function
//! names (the RT patch was made by GNU diff, which cuts them at 40
//! characters; git does not).

use serde::Serialize;
use similar::ChangeTag;

use crate::arch::Arch;
use crate::golden::GoldenPort;
use crate::patch::{parse_patch, FileChange, Hunk, LineKind};
use crate::series::format_patch::FileDiff;
use crate::series::objid::{hex, sha1};

/// One arch's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct RangeDiff {
    pub arch: Arch,
    pub subject: String,
    /// Short ids of the neutral forms: equal ids, equal changes.
    pub golden_id: String,
    pub generated_id: String,
    pub same: bool,
    /// The golden port has no hunk for this arch at all.
    pub golden_missing: bool,
    /// The diff of the neutral forms (golden `-`, generated `+`), one
    /// entry per line, without indentation; empty when `same`.
    pub inner: Vec<String>,
}

/// The golden port's taken hunks in the neutral form.
pub fn golden_text(port: &GoldenPort) -> String {
    let mut files: Vec<(&str, FileChange, Vec<&Hunk>)> = port
        .port_files()
        .map(|f| {
            let change = if f.deleted_by_port() {
                FileChange::Deleted
            } else if f.patch.kind == FileChange::Created && f.left.is_empty() {
                FileChange::Created
            } else {
                FileChange::Modified
            };
            (f.path.as_str(), change, f.taken.iter().map(|h| &f.patch.hunks[h.index]).collect())
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    neutral(&files)
}

/// A generated patch's diffs in the neutral form.
pub fn generated_text(diffs: &[FileDiff]) -> String {
    let text: Vec<u8> = diffs.iter().flat_map(|d| d.text.iter().copied()).collect();
    let Ok(patch) = parse_patch(&text) else { return String::new() };
    let mut files: Vec<(&str, FileChange, Vec<&Hunk>)> =
        patch.files.iter().map(|f| (f.path.as_str(), f.kind, f.hunks.iter().collect())).collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    neutral(&files)
}

fn neutral(files: &[(&str, FileChange, Vec<&Hunk>)]) -> String {
    let mut s = String::new();
    for (path, change, hunks) in files {
        let tag = match change {
            FileChange::Deleted => " (deleted)",
            FileChange::Created => " (new)",
            FileChange::Modified => "",
        };
        s.push_str(&format!("## {path}{tag} ##\n"));
        for hunk in hunks {
            s.push_str("@@\n");
            for line in &hunk.lines {
                let sign = match line.kind {
                    LineKind::Context => ' ',
                    LineKind::Removed => '-',
                    LineKind::Added => '+',
                };
                s.push(sign);
                s.push_str(&String::from_utf8_lossy(&line.text));
                s.push('\n');
                if line.no_newline {
                    s.push_str("\\ No newline at end of file\n");
                }
            }
        }
    }
    s
}

fn short_id(text: &str) -> String {
    if text.is_empty() {
        "-------".to_string()
    } else {
        hex(&sha1(text.as_bytes()))[..7].to_string()
    }
}

/// Compares the neutral forms of the golden and the generated patch.
pub fn compare(arch: Arch, subject: &str, golden: &str, generated: &str) -> RangeDiff {
    let mut inner = Vec::new();
    if golden != generated {
        let diff = crate::diff_budget::line_diff(golden, generated);
        let old_lines: Vec<&str> = golden.lines().collect();
        for group in diff.grouped_ops(3) {
            let first_old = group.first().map_or(0, |op| op.old_range().start);
            let file = old_lines[..first_old.min(old_lines.len())]
                .iter()
                .rev()
                .find_map(|l| l.strip_prefix("## ").and_then(|l| l.strip_suffix(" ##")))
                .unwrap_or("");
            inner.push(if file.is_empty() { "@@".to_string() } else { format!("@@ {file}") });
            for op in &group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        ChangeTag::Equal => ' ',
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                    };
                    inner.push(format!("{sign}{}", change.value().strip_suffix('\n').unwrap_or(change.value())));
                }
            }
        }
    }
    RangeDiff {
        arch,
        subject: subject.to_string(),
        golden_id: short_id(golden),
        generated_id: short_id(generated),
        same: golden == generated,
        golden_missing: golden.is_empty(),
        inner,
    }
}

/// The comparisons as `git range-diff` prints them, numbered in series
/// order: `1:  abc1234 = 1:  abc1234 subject`, or `!` and the inner diff
/// indented by four columns, or `-:  ------- > 1:  ...` without a golden.
pub fn render(entries: &[&RangeDiff]) -> String {
    let width = entries.len().to_string().len();
    let mut s = String::new();
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        let left = if e.golden_missing {
            format!("{:>width$}:  {}", "-", e.golden_id)
        } else {
            format!("{n:>width$}:  {}", e.golden_id)
        };
        let op = if e.golden_missing {
            '>'
        } else if e.same {
            '='
        } else {
            '!'
        };
        s.push_str(&format!("{left} {op} {n:>width$}:  {} {}\n", e.generated_id, e.subject));
        if !e.golden_missing {
            for line in &e.inner {
                s.push_str(&format!("    {line}\n"));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLDEN: &str = "## arch/x/Kconfig ##\n@@\n config HIGHMEM\n+\tselect KMAP_LOCAL\n## arch/x/mm/highmem.c (deleted) ##\n@@\n-int x;\n";

    #[test]
    fn equal_changes_are_marked_equal() {
        let r = compare(Arch::Arm, "ARM: highmem: Switch to generic kmap atomic", GOLDEN, GOLDEN);
        assert!(r.same && r.inner.is_empty());
        assert_eq!(r.golden_id, r.generated_id);
        let text = render(&[&r]);
        assert_eq!(
            text,
            format!("1:  {id} = 1:  {id} ARM: highmem: Switch to generic kmap atomic\n", id = r.golden_id)
        );
    }

    #[test]
    fn different_changes_show_the_diff_between_them() {
        let ours = GOLDEN.replace("-int x;\n", "-int x;\n-int y;\n");
        let r = compare(Arch::Sparc, "sparc/mm/highmem: Switch to generic kmap atomic", GOLDEN, &ours);
        assert!(!r.same);
        assert_eq!(r.inner.first().map(String::as_str), Some("@@ arch/x/Kconfig"));
        assert!(r.inner.contains(&"+-int y;".to_string()), "{:?}", r.inner);
        let text = render(&[&r]);
        assert!(text.starts_with(&format!("1:  {} ! 1:  {} sparc/mm/highmem", r.golden_id, r.generated_id)), "{text}");
        assert!(text.contains("\n    +-int y;\n"), "{text}");
    }

    #[test]
    fn a_missing_golden_is_shown_as_new() {
        let r = compare(Arch::X86, "x86/mm/highmem: Use generic kmap atomic implementation", "", GOLDEN);
        assert!(render(&[&r]).starts_with("-:  ------- > 1:  "));
    }

    #[test]
    fn line_numbers_do_not_count() {
        let a = crate::patch::parse_patch(
            b"--- a/arch/x/f.c\n+++ b/arch/x/f.c\n@@ -10,2 +10,2 @@ int f(void)\n a\n-b\n+c\n",
        )
        .unwrap();
        let b =
            crate::patch::parse_patch(b"--- a/arch/x/f.c\n+++ b/arch/x/f.c\n@@ -99,2 +99,2 @@\n a\n-b\n+c\n").unwrap();
        let text = |p: &crate::patch::Patch| {
            neutral(&[(p.files[0].path.as_str(), p.files[0].kind, p.files[0].hunks.iter().collect())])
        };
        assert_eq!(text(&a), text(&b));
    }
}
