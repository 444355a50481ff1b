//! The patch series: each arch's port as one mail in `git format-patch`
//! form, and a cover letter, ready for `git am` and `git send-email`.
//!
//! - `manifest`: the series manifest (order, subjects) and its templates;
//! - `format_patch`: `diff --git` sections and the mail layout;
//! - `diffstat`: git's `--stat --summary` block;
//! - `recipients`, `maintainers`: To/Cc from the tree's MAINTAINERS file,
//!   read in-process as `scripts/get_maintainer.pl` reads it (or, when
//!   asked, from the script itself, with a timeout);
//! - `addressees`: the To/Cc and SCM tree of one mail, and their union
//!   for a cover letter (both sources above build them);
//! - `range_diff`: each patch against its golden port, or against the
//!   previous version of the series;
//! - `checkpatch`: the tree's `scripts/checkpatch.pl` on each patch
//!   (`series --check`);
//! - `tree_script`: how a script of the tree is run (timeout, process
//!   group);
//! - `git`: sign-off identity, base commit and prerequisites from git;
//! - `date`, `objid`: mail dates and git blob ids.
//!
//! - `assemble`: ported arches to the files of one series, or one per
//!   maintainer tree (the sign-off, date and base resolved for them).
//!
//! [`render_series`] is pure: it lays out the mails of a series whose
//! parts `assemble` gathered; the caller writes the files.

pub mod addressees;
pub mod assemble;
pub mod checkpatch;
pub mod date;
pub mod diffstat;
pub mod format_patch;
pub mod git;
pub mod maintainers;
pub mod manifest;
pub mod objid;
pub mod range_diff;
pub mod recipients;
pub mod tree_script;

use crate::arch::Arch;
use crate::port::Port;
use date::MailDate;
use diffstat::{FileStat, MAIL_WIDTH};
use format_patch::{FileDiff, Identity, Mail, SubjectPrefix};
use git::BaseInfo;
use manifest::CoverPatch;
use recipients::Recipients;

/// One arch's patch, gathered and ready to be laid out.
#[derive(Clone, Debug)]
pub struct ArchPatch {
    pub arch: Arch,
    pub subject: String,
    /// The commit message body (no subject, no sign-off).
    pub message: String,
    pub diffs: Vec<FileDiff>,
    pub recipients: Recipients,
    /// The maintainer tree get_maintainer.pl names first.
    pub tree: Option<String>,
    /// What the cover letter says about it.
    pub cover: CoverPatch,
}

/// A port's file diffs in git's order (by path), unchanged files left out.
pub fn port_diffs(port: &Port, mode_of: impl Fn(&str) -> u32) -> Vec<FileDiff> {
    let mut diffs: Vec<FileDiff> = port
        .files
        .iter()
        .filter_map(|f| format_patch::file_diff(&f.path, f.before.as_deref(), f.after.as_deref(), mode_of(&f.path)))
        .collect();
    diffs.sort_by(|a, b| a.path.cmp(&b.path));
    diffs
}

/// The diffs as one patch text (what get_maintainer.pl is given).
pub fn diff_bytes(diffs: &[FileDiff]) -> Vec<u8> {
    diffs.iter().flat_map(|d| d.text.iter().copied()).collect()
}

/// What every mail of a series shares.
pub struct Envelope<'a> {
    pub from: &'a Identity,
    pub date: MailDate,
    /// What the subjects' brackets hold besides the numbers.
    pub prefix: &'a SubjectPrefix,
    /// The message every mail answers (`In-Reply-To:`, `References:`).
    pub in_reply_to: Option<&'a str>,
    /// The `-- ` trailer's text (`archport 0.1.0`).
    pub version: &'a str,
}

/// The cover letter's own parts.
pub struct Cover<'a> {
    pub subject: &'a str,
    /// The rendered `cover.tera`.
    pub text: &'a str,
    /// Range-diffs, each under its heading (`Range-diff against v1:`).
    pub range_diffs: &'a [(String, String)],
    pub base: Option<&'a BaseInfo>,
}

/// One file of the series: its name and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Lays out a cover letter and one mail per patch, numbered in order as
/// `git format-patch --cover-letter` does. A series of one patch is one
/// mail, `[PATCH]` alone, as `git format-patch -1` writes it, with what
/// the cover letter would say below its `---` line (as b4 does).
pub fn render_series(patches: &[ArchPatch], cover: &Cover, env: &Envelope) -> Vec<SeriesFile> {
    let total = patches.len();
    if let [p] = patches {
        let notes = cover_notes(cover);
        return vec![patch_mail(p, None, &notes, cover.base, env)];
    }
    let mut files =
        vec![SeriesFile { name: env.prefix.file_name(0, "cover-letter"), bytes: cover_letter(patches, cover, env) }];
    for (i, p) in patches.iter().enumerate() {
        files.push(patch_mail(p, Some((i + 1, total)), "", None, env));
    }
    files
}

/// One patch's mail: `notes` go below its `---` line, `base` after its
/// diffs (where git writes them without a cover letter).
fn patch_mail(
    p: &ArchPatch,
    number: Option<(usize, usize)>,
    notes: &str,
    base: Option<&BaseInfo>,
    env: &Envelope,
) -> SeriesFile {
    let subject = format!("{} {}", env.prefix.tag(number), p.subject);
    let mut body = format!("{}\n\nSigned-off-by: {}\n---\n{notes}", p.message, env.from).into_bytes();
    body.extend(stat_and_diffs(p));
    if let Some(base) = base {
        body.push(b'\n');
        body.extend(base.lines().bytes());
    }
    let mail = Mail {
        from: env.from,
        date: env.date,
        subject: &subject,
        to: &p.recipients.to,
        cc: &p.recipients.cc,
        in_reply_to: env.in_reply_to,
        body: &body,
        message: &p.message,
    };
    SeriesFile {
        name: env.prefix.file_name(number.map_or(1, |(n, _)| n), &p.subject),
        bytes: format_patch::write_mail(&mail, env.version),
    }
}

/// What a cover letter says that a lone patch carries below its `---`
/// line: the cover text and the range-diffs.
fn cover_notes(cover: &Cover) -> String {
    let mut out = format!("{}\n\n", cover.text);
    for (heading, text) in cover.range_diffs {
        out.push_str(&format!("{heading}\n{text}\n"));
    }
    out
}

/// The diffstat, a blank line and the diffs, as a mail carries them
/// after its `---` line.
fn stat_and_diffs(p: &ArchPatch) -> Vec<u8> {
    let stats: Vec<FileStat> = p.diffs.iter().map(FileDiff::stat).collect();
    let mut out = diffstat::render(&stats, MAIL_WIDTH).into_bytes();
    out.push(b'\n');
    out.extend(diff_bytes(&p.diffs));
    out
}

/// A patch as a reviewer reads it, without the mail around it: the
/// subject, the commit message, `---`, the diffstat and the diffs.
pub fn review_text(p: &ArchPatch) -> String {
    let mut out = format!("{}\n\n{}\n---\n", p.subject, p.message).into_bytes();
    out.extend(stat_and_diffs(p));
    String::from_utf8_lossy(&out).into_owned()
}

fn cover_letter(patches: &[ArchPatch], cover: &Cover, env: &Envelope) -> Vec<u8> {
    let subject = format!("{} {}", env.prefix.tag(Some((0, patches.len()))), cover.subject);
    let mut body = format!("{}\n\n{} ({}):\n", cover.text, env.from.name, patches.len());
    for p in patches {
        body.push_str(&format!("  {}\n", p.subject));
    }
    body.push('\n');
    let mut stats: Vec<FileStat> = patches.iter().flat_map(|p| p.diffs.iter().map(FileDiff::stat)).collect();
    stats.sort_by(|a, b| a.path.cmp(&b.path));
    body.push_str(&diffstat::render(&stats, MAIL_WIDTH));
    body.push('\n');
    for (heading, text) in cover.range_diffs {
        body.push_str(&format!("{heading}\n{text}"));
    }
    if let Some(base) = cover.base {
        body.push('\n');
        body.push_str(&base.lines());
    }
    let all = recipients::union(patches.iter().map(|p| &p.recipients).collect::<Vec<_>>());
    let mail = Mail {
        from: env.from,
        date: env.date,
        subject: &subject,
        to: &all.to,
        cc: &all.cc,
        in_reply_to: env.in_reply_to,
        body: body.as_bytes(),
        message: cover.text,
    };
    format_patch::write_mail(&mail, env.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::FileChange;

    fn patch(arch: Arch, subject: &str, path: &str, to: &str) -> ArchPatch {
        let diffs = vec![format_patch::file_diff(path, Some(b"a\nb\n"), Some(b"a\nc\n"), 0o100644).unwrap()];
        ArchPatch {
            arch,
            subject: subject.to_string(),
            message: "Why.".to_string(),
            diffs,
            recipients: Recipients { to: vec![to.to_string()], cc: vec!["linux-kernel@vger.kernel.org".to_string()] },
            tree: None,
            cover: CoverPatch {
                arch,
                name: arch.name().to_string(),
                subject: subject.to_string(),
                hooks: vec![],
                deleted: 0,
            },
        }
    }

    #[test]
    fn a_series_is_laid_out_as_git_format_patch_does() {
        let id = Identity::parse("Jane Hacker <jane@example.org>").unwrap();
        let prefix = SubjectPrefix::default();
        let env = Envelope {
            from: &id,
            date: MailDate::parse("@1604395620 +0100").unwrap(),
            prefix: &prefix,
            in_reply_to: None,
            version: "archport 0.1.0",
        };
        let patches = [
            patch(
                Arch::X86,
                "x86/mm/highmem: Use generic kmap atomic implementation",
                "arch/x86/a.c",
                "X <x@kernel.org>",
            ),
            patch(Arch::Arm, "ARM: highmem: Switch to generic kmap atomic", "arch/arm/b.c", "R <r@arm.org>"),
        ];
        let base = BaseInfo { commit: "c0ffee".into(), prerequisites: vec!["beef".into()] };
        let cover = Cover { subject: "highmem: Switch", text: "Blurb.", range_diffs: &[], base: Some(&base) };
        let files = render_series(&patches, &cover, &env);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "0000-cover-letter.patch",
                "0001-x86-mm-highmem-Use-generic-kmap-atomic-implementatio.patch",
                "0002-ARM-highmem-Switch-to-generic-kmap-atomic.patch"
            ]
        );

        let cover = String::from_utf8(files[0].bytes.clone()).unwrap();
        let expect = "\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Hacker <jane@example.org>
Date: Tue, 3 Nov 2020 10:27:00 +0100
Subject: [PATCH 0/2] highmem: Switch
To: X <x@kernel.org>,
    R <r@arm.org>
Cc: linux-kernel@vger.kernel.org

Blurb.

Jane Hacker (2):
  x86/mm/highmem: Use generic kmap atomic implementation
  ARM: highmem: Switch to generic kmap atomic

 arch/arm/b.c | 2 +-
 arch/x86/a.c | 2 +-
 2 files changed, 2 insertions(+), 2 deletions(-)


base-commit: c0ffee
prerequisite-patch-id: beef
-- 
archport 0.1.0

";
        assert_eq!(cover, expect);

        let first = String::from_utf8(files[1].bytes.clone()).unwrap();
        let head = "\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Hacker <jane@example.org>
Date: Tue, 3 Nov 2020 10:27:00 +0100
Subject: [PATCH 1/2] x86/mm/highmem: Use generic kmap atomic implementation
To: X <x@kernel.org>
Cc: linux-kernel@vger.kernel.org

Why.

Signed-off-by: Jane Hacker <jane@example.org>
---
 arch/x86/a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/arch/x86/a.c b/arch/x86/a.c
index ";
        assert!(first.starts_with(head), "{first}");
        assert!(first.ends_with("@@ -1,2 +1,2 @@\n a\n-b\n+c\n-- \narchport 0.1.0\n\n"), "{first}");
        assert_eq!(patches[0].diffs[0].change, FileChange::Modified);
    }

    #[test]
    fn a_lone_patch_is_one_mail_with_the_cover_text_below_its_dashes() {
        let id = Identity::parse("Jane Hacker <jane@example.org>").unwrap();
        let prefix = SubjectPrefix { rfc: true, prefix: "PATCH".into(), reroll: Some("2".into()) };
        let env = Envelope {
            from: &id,
            date: MailDate::parse("@1604395620 +0100").unwrap(),
            prefix: &prefix,
            in_reply_to: Some("v1-cover@example.org"),
            version: "archport 0.1.0",
        };
        let patches =
            [patch(Arch::Arm, "ARM: highmem: Switch to generic kmap atomic", "arch/arm/b.c", "R <r@arm.org>")];
        let base = BaseInfo { commit: "c0ffee".into(), prerequisites: vec![] };
        let notes = [("Range-diff against v1:".to_string(), "1:  abc = 1:  abc ARM\n".to_string())];
        let cover = Cover { subject: "highmem: Switch", text: "This patch.", range_diffs: &notes, base: Some(&base) };
        let files = render_series(&patches, &cover, &env);
        assert_eq!(files.len(), 1, "no cover letter");
        assert_eq!(files[0].name, "v2-0001-ARM-highmem-Switch-to-generic-kmap-atomic.patch");
        let mail = String::from_utf8(files[0].bytes.clone()).unwrap();
        let head = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
In-Reply-To: <v1-cover@example.org>\nReferences: <v1-cover@example.org>\nFrom: Jane Hacker <jane@example.org>\n\
Date: Tue, 3 Nov 2020 10:27:00 +0100\nSubject: [RFC PATCH v2] ARM: highmem: Switch to generic kmap atomic\n";
        assert!(mail.starts_with(head), "{mail}");
        assert!(
            mail.contains("Signed-off-by: Jane Hacker <jane@example.org>\n---\nThis patch.\n\nRange-diff against v1:\n1:  abc = 1:  abc ARM\n\n arch/arm/b.c | 2 +-\n"),
            "{mail}"
        );
        assert!(mail.ends_with(" a\n-b\n+c\n\nbase-commit: c0ffee\n-- \narchport 0.1.0\n\n"), "{mail}");
    }
}
