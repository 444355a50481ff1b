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
        let left = (!e.golden_missing).then_some(n);
        s.push_str(&line(width, (left, &e.golden_id), (Some(n), &e.generated_id), e.same, &e.subject, &e.inner));
    }
    s
}

/// One entry: `N:  id OP M:  id subject` (`-` for a side that has no
/// such patch), and the inner diff of a changed one.
fn line(
    width: usize,
    (l, l_id): (Option<usize>, &str),
    (r, r_id): (Option<usize>, &str),
    same: bool,
    subject: &str,
    inner: &[String],
) -> String {
    let number = |n: Option<usize>| n.map_or_else(|| format!("{:>width$}", "-"), |n| format!("{n:>width$}"));
    let op = match (l, r) {
        (None, _) => '>',
        (_, None) => '<',
        _ if same => '=',
        _ => '!',
    };
    let mut s = format!("{}:  {l_id} {op} {}:  {r_id} {subject}\n", number(l), number(r));
    if l.is_some() && r.is_some() {
        for text in inner {
            s.push_str(&format!("    {text}\n"));
        }
    }
    s
}

/// A patch of the previous version of a series, read from its mail.
#[derive(Clone, Debug)]
pub struct PreviousPatch {
    /// Its place in that series, from 1.
    pub number: usize,
    /// The subject without its `[PATCH ...]`.
    pub subject: String,
    /// Its changes in the neutral form.
    pub neutral: String,
}

/// The patches of a series written earlier into `dir` (its `*.patch`
/// mails in name order, the cover letter left out).
pub fn read_previous(dir: &std::path::Path) -> anyhow::Result<Vec<PreviousPatch>> {
    use anyhow::Context;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--previous {}: reading the folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("0000-cover-letter.patch")))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("--previous {}: no *.patch mails of a series there", dir.display());
    }
    let mut out = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let bytes = crate::input::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        let subject = mail_subject(&text).with_context(|| format!("{}: no Subject: header", path.display()))?;
        let message = mail_message(&text);
        let diff_start = text.find("\ndiff --git ").map_or(text.len(), |k| k + 1);
        let diff_end = text.rfind("\n-- \n").map_or(text.len(), |k| k + 1).max(diff_start);
        let patch = parse_patch(text[diff_start..diff_end].as_bytes())
            .with_context(|| format!("{}: the diffs do not parse", path.display()))?;
        let mut files: Vec<(&str, FileChange, Vec<&Hunk>)> =
            patch.files.iter().map(|f| (f.path.as_str(), f.kind, f.hunks.iter().collect())).collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        out.push(PreviousPatch { number: i + 1, subject, neutral: with_message(message, &neutral(&files)) });
    }
    Ok(out)
}

/// A mail's commit message: from the end of its headers to its `---`.
fn mail_message(mail: &str) -> &str {
    let start = mail.find("\n\n").map_or(mail.len(), |k| k + 2);
    let end = mail[start..].find("\n---\n").map_or(mail.len(), |k| start + k + 1);
    &mail[start..end]
}

/// The neutral form with the commit message in front, as `git
/// range-diff` compares commits: a change of wording shows as well.
fn with_message(message: &str, changes: &str) -> String {
    let mut s = String::from("## Commit message ##\n");
    for line in message.trim_end().lines() {
        s.push_str(&format!("    {line}\n"));
    }
    s + changes
}

/// A mail's subject, unfolded, without its leading `[...]`.
fn mail_subject(mail: &str) -> Option<String> {
    let head = &mail[..mail.find("\n\n").unwrap_or(mail.len())];
    let mut lines = head.lines().skip_while(|l| !l.starts_with("Subject: "));
    let mut subject = lines.next()?.trim_start_matches("Subject: ").to_string();
    for more in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        subject.push(' ');
        subject.push_str(more.trim());
    }
    let subject = subject.trim();
    Some(match subject.strip_prefix('[').and_then(|s| s.split_once("] ")) {
        Some((_, rest)) => rest.trim().to_string(),
        None => subject.to_string(),
    })
}

/// This version of a series against the previous one, as `git
/// range-diff` prints it: the patches matched by subject, in this
/// version's order, then the previous version's patches it dropped; a
/// patch is the same when its message (signed off by `from`) and its
/// changes are.
pub fn against_previous(previous: &[PreviousPatch], patches: &[super::ArchPatch], from: &str) -> String {
    let width = previous.len().max(patches.len()).to_string().len();
    let mut s = String::new();
    for (i, p) in patches.iter().enumerate() {
        let ours = with_message(&format!("{}\n\nSigned-off-by: {from}\n", p.message), &generated_text(&p.diffs));
        let old = previous.iter().find(|o| o.subject == p.subject);
        let e = compare(p.arch, &p.subject, old.map_or("", |o| o.neutral.as_str()), &ours);
        let left = (old.map(|o| o.number), e.golden_id.as_str());
        s.push_str(&line(width, left, (Some(i + 1), &e.generated_id), e.same, &e.subject, &e.inner));
    }
    for old in previous.iter().filter(|o| !patches.iter().any(|p| p.subject == o.subject)) {
        let (left, right) = ((Some(old.number), short_id(&old.neutral)), (None, short_id("")));
        s.push_str(&line(width, (left.0, &left.1), (right.0, &right.1), false, &old.subject, &[]));
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
