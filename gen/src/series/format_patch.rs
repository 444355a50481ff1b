//! Mails in `git format-patch` form: the `diff --git` section of each
//! file, and the mail around a commit message and its diffs.
//!
//! Pure: bytes in, bytes out. What goes into a mail (message,
//! recipients, date) is decided elsewhere; this module only lays it out
//! the way `git am`, `scripts/checkpatch.pl` and mail readers expect.

use std::fmt;

use crate::patch::FileChange;
use crate::series::date::MailDate;
use crate::series::diffstat::{FileStat, ModeChange};
use crate::series::objid::blob_id;

/// The `From ` line that opens every mail: git writes the commit id
/// there; the series is not committed anywhere, so the id is all zeros
/// (as git writes for a cover letter). `git am` reads it as a separator.
const MBOX_FROM: &str = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n";

/// Digits of the abbreviated blob ids in `index` lines (the kernel's
/// `core.abbrev`).
const ABBREV: usize = 12;

/// Who writes and signs off the series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Identity {
    /// Reads `Name <email>`. What a mail header cannot carry safely is
    /// refused, never written raw: control characters (a CR or LF would
    /// start a header of its own), an address that is not one `@`
    /// between a user and a host, a name or address past the lengths
    /// mail allows (RFC 5321's 64 and 255 octets, a name that keeps the
    /// `From:` line within 998).
    pub fn parse(s: &str) -> Result<Identity, String> {
        let bad = |why: &str| format!("`{}` is not of the form `Name <email@example.org>`: {why}", s.escape_debug());
        if s.chars().any(char::is_control) {
            return Err(bad("it holds a control character (a line break would inject a mail header)"));
        }
        let (name, rest) = s.trim().split_once('<').ok_or_else(|| bad("no `<`"))?;
        let email = rest.strip_suffix('>').ok_or_else(|| bad("it does not end with `>`"))?.trim();
        let name = name.trim();
        let (user, host) = email.split_once('@').ok_or_else(|| bad("the address has no `@`"))?;
        let clean = |t: &str| !t.is_empty() && !t.contains(|c: char| c.is_whitespace() || "<>,\"@".contains(c));
        if name.is_empty() || name.contains(['<', '>']) {
            return Err(bad("the name is empty or holds `<` or `>`"));
        }
        if !clean(user) || !clean(host) {
            return Err(bad("the address must be one `@` between a user and a host, without spaces or `<>,\"`"));
        }
        if user.len() > 64 || host.len() > 255 || name.len() > 400 {
            return Err(bad("too long for a mail header (user 64, host 255, name 400 bytes at most)"));
        }
        Ok(Identity { name: name.to_string(), email: email.to_string() })
    }

    /// The address as a mail header carries it: quoted when the name has
    /// RFC 5322 specials, RFC 2047 encoded when it is not ASCII.
    pub fn header(&self) -> String {
        encode_address(&self.to_string())
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// One file's `diff --git` section with the counts its stat needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub change: FileChange,
    /// The file's mode (`0o100644`, or `0o100755` for an executable).
    pub mode: u32,
    pub added: usize,
    pub removed: usize,
    pub text: Vec<u8>,
}

impl FileDiff {
    pub fn stat(&self) -> FileStat {
        let summary = match self.change {
            FileChange::Created => Some(ModeChange::Create(self.mode)),
            FileChange::Deleted => Some(ModeChange::Delete(self.mode)),
            FileChange::Modified => None,
        };
        FileStat { path: self.path.clone(), added: self.added, removed: self.removed, summary }
    }
}

/// The `diff --git` section of one file (`None` when nothing changed),
/// with git's extended headers and hunk headers that name the enclosing
/// function as git's `diff=cpp` (C files) or default funcname rule does.
pub fn file_diff(path: &str, before: Option<&[u8]>, after: Option<&[u8]>, mode: u32) -> Option<FileDiff> {
    if before == after {
        return None;
    }
    // The hunks are the project's diff; the headers are git's, written
    // here with the `index` line and the file's real mode.
    let mut hunks = Vec::new();
    crate::patch::write_hunks(before.unwrap_or_default(), after.unwrap_or_default(), &mut hunks);
    let change = match (before, after) {
        (None, _) => FileChange::Created,
        (_, None) => FileChange::Deleted,
        _ => FileChange::Modified,
    };
    let id = |c: Option<&[u8]>| c.map_or_else(|| "0".repeat(ABBREV), |c| blob_id(c)[..ABBREV].to_string());
    let mut text = format!("diff --git a/{path} b/{path}\n").into_bytes();
    match change {
        FileChange::Created => {
            text.extend(format!("new file mode {mode:06o}\nindex {}..{}\n", id(None), id(after)).bytes())
        }
        FileChange::Deleted => {
            text.extend(format!("deleted file mode {mode:06o}\nindex {}..{}\n", id(before), id(None)).bytes())
        }
        FileChange::Modified => text.extend(format!("index {}..{} {mode:06o}\n", id(before), id(after)).bytes()),
    }
    if !hunks.is_empty() {
        let old_name = if before.is_some() { format!("a/{path}") } else { "/dev/null".into() };
        let new_name = if after.is_some() { format!("b/{path}") } else { "/dev/null".into() };
        text.extend(format!("--- {old_name}\n+++ {new_name}\n").bytes());
    }
    let old_lines: Vec<&[u8]> = before.map(|b| b.split(|c| *c == b'\n').collect()).unwrap_or_default();
    let funcname = Funcname::for_path(path);
    let (mut added, mut removed) = (0, 0);
    for line in hunks.split_inclusive(|c| *c == b'\n') {
        if line.starts_with(b"@@ ") {
            text.extend_from_slice(&with_section(line, &old_lines, funcname));
        } else {
            match line.first() {
                Some(b'+') => added += 1,
                Some(b'-') => removed += 1,
                _ => {}
            }
            text.extend_from_slice(line);
        }
    }
    Some(FileDiff { path: path.to_string(), change, mode, added, removed, text })
}

/// Which of git's funcname rules a path gets: the kernel's
/// `.gitattributes` marks `*.c` and `*.h` as `diff=cpp`.
#[derive(Clone, Copy)]
enum Funcname {
    Cpp,
    Default,
}

impl Funcname {
    fn for_path(path: &str) -> Funcname {
        if path.ends_with(".c") || path.ends_with(".h") {
            Funcname::Cpp
        } else {
            Funcname::Default
        }
    }

    fn matches(self, line: &[u8]) -> bool {
        let first = line.first().copied().unwrap_or(b' ');
        match self {
            Funcname::Default => first.is_ascii_alphabetic() || first == b'_' || first == b'$',
            Funcname::Cpp => (first.is_ascii_alphabetic() || first == b'_') && !is_label(line),
        }
    }
}

/// `label:` alone (or before a comment): git's cpp rule skips it.
fn is_label(line: &[u8]) -> bool {
    let ident = line.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
    let rest = &line[ident..];
    let Some(after) = rest.strip_prefix(b":") else { return false };
    let after = after.trim_ascii_start();
    after.is_empty() || after.starts_with(b"//") || after.starts_with(b"/*")
}

/// Appends the enclosing function to an `@@ -a,b +c,d @@` line: the
/// nearest line above the hunk that the rule matches, cut to 80 bytes
/// and stripped of trailing blanks, as git's xdiff does.
fn with_section(header: &[u8], old_lines: &[&[u8]], funcname: Funcname) -> Vec<u8> {
    let head = header.strip_suffix(b"\n").unwrap_or(header);
    let old_start: usize = std::str::from_utf8(head)
        .ok()
        .and_then(|h| h.strip_prefix("@@ -"))
        .and_then(|h| h.split([',', ' ']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut out = head.to_vec();
    let first = old_start.saturating_sub(1);
    if let Some(line) = old_lines[..first.min(old_lines.len())].iter().rev().find(|l| funcname.matches(l)) {
        let cut = &line[..line.len().min(80)];
        out.push(b' ');
        out.extend_from_slice(cut.trim_ascii_end());
    }
    out.push(b'\n');
    out
}

/// What the brackets of a series' subjects hold: `[RFC PATCH net v2
/// 03/10]`, as `git format-patch --rfc --subject-prefix='PATCH net' -v 2`
/// writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectPrefix {
    pub rfc: bool,
    /// `PATCH` unless `--subject-prefix` says otherwise.
    pub prefix: String,
    /// The version of a rerolled series (`-v 2`).
    pub reroll: Option<String>,
}

impl Default for SubjectPrefix {
    fn default() -> SubjectPrefix {
        SubjectPrefix { rfc: false, prefix: "PATCH".to_string(), reroll: None }
    }
}

impl SubjectPrefix {
    /// The bracket, with `n/total` when the mail is numbered: numbers
    /// zero-padded to the width of the total (`03/10`, `00/10` for the
    /// cover letter), as git writes them.
    pub fn tag(&self, number: Option<(usize, usize)>) -> String {
        let mut words = Vec::new();
        if self.rfc {
            words.push("RFC".to_string());
        }
        words.push(self.prefix.clone());
        if let Some(v) = &self.reroll {
            words.push(format!("v{v}"));
        }
        if let Some((n, total)) = number {
            let width = total.to_string().len();
            words.push(format!("{n:0width$}/{total}"));
        }
        format!("[{}]", words.join(" ").trim())
    }

    /// `NNNN-<subject>.patch` as git names it (`vN-NNNN-...` for a
    /// rerolled series): the subject as [`slug`] writes it, and the name
    /// before `.patch` cut to 57 characters, the version included.
    pub fn file_name(&self, number: usize, subject: &str) -> String {
        let version = self.reroll.as_ref().map(|v| format!("{}-", slug(&format!("v{v}")))).unwrap_or_default();
        let mut name = format!("{version}{number:04}-{}", slug(subject));
        name.truncate(64 - ".patch".len() - 1);
        name + ".patch"
    }
}

/// A mail's parts, in the order `git format-patch` writes them.
pub struct Mail<'a> {
    pub from: &'a Identity,
    pub date: MailDate,
    /// The whole subject, `[PATCH n/N]` included.
    pub subject: &'a str,
    pub to: &'a [String],
    pub cc: &'a [String],
    /// The message id this mail answers, without its `<>`.
    pub in_reply_to: Option<&'a str>,
    /// The text part: message, sign-off, `---`, stat and diffs.
    pub body: &'a [u8],
    /// The part of the body that decides whether the mail needs MIME
    /// headers (git looks at the message, not the diffs).
    pub message: &'a str,
}

/// The mail, from the `From ` line to the `-- ` version trailer.
pub fn write_mail(mail: &Mail, version: &str) -> Vec<u8> {
    let mut out = String::from(MBOX_FROM);
    if let Some(id) = mail.in_reply_to {
        out.push_str(&format!("In-Reply-To: <{id}>\nReferences: <{id}>\n"));
    }
    out.push_str(&format!("From: {}\n", mail.from.header()));
    out.push_str(&format!("Date: {}\n", mail.date.rfc2822()));
    out.push_str(&fold_header("Subject", &encode_words(mail.subject)));
    if !mail.message.is_ascii() || !mail.from.name.is_ascii() {
        out.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n");
    }
    for (name, list) in [("To", mail.to), ("Cc", mail.cc)] {
        if !list.is_empty() {
            let encoded: Vec<String> = list.iter().map(|a| encode_address(a)).collect();
            out.push_str(&format!("{name}: {}\n", encoded.join(",\n    ")));
        }
    }
    out.push('\n');
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(mail.body);
    bytes.extend_from_slice(format!("-- \n{version}\n\n").as_bytes());
    bytes
}

/// `Name: value` and its line break, folded as git folds a subject: at
/// spaces, into lines of at most 78 columns, each continued line
/// starting with one space. An encoded (non-ASCII) value stays whole.
fn fold_header(name: &str, value: &str) -> String {
    let mut out = String::new();
    let mut line = format!("{name}:");
    let mut words = 0;
    for word in value.split(' ') {
        if words > 0 && line.len() + 1 + word.len() > 78 && value.is_ascii() {
            out.push_str(&line);
            out.push('\n');
            line.clear();
            words = 0;
        }
        line.push(' ');
        line.push_str(word);
        words += 1;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A subject as git puts it in a file name: runs of characters other
/// than letters, digits, `.` and `_` become one `-`, `..` becomes `.`,
/// and no `.` or `-` ends it.
fn slug(subject: &str) -> String {
    let mut slug = String::new();
    let mut gap = false;
    let mut prev_dot = false;
    for c in subject.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            if c == '.' && prev_dot {
                continue;
            }
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            prev_dot = c == '.';
            slug.push(c);
        } else {
            gap = true;
            prev_dot = false;
        }
    }
    slug.trim_end_matches(['.', '-']).to_string()
}

/// An address `Name <email>` with its name encoded for a header.
fn encode_address(address: &str) -> String {
    let Some((name, email)) = address.rsplit_once('<') else { return address.to_string() };
    let name = name.trim();
    let bare = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
    if name.is_empty() {
        return address.to_string();
    }
    let name = if !bare.is_ascii() {
        rfc2047(&bare.replace("\\\"", "\""))
    } else if name.starts_with('"') || !bare.contains(|c: char| "()<>[]:;@\\,.\"".contains(c)) {
        name.to_string()
    } else {
        format!("\"{}\"", bare.replace('\\', "\\\\").replace('"', "\\\""))
    };
    format!("{name} <{email}")
}

/// A header text, RFC 2047 encoded when it is not ASCII.
fn encode_words(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        rfc2047(text)
    }
}

/// `=?UTF-8?q?...?=`, as git encodes a non-ASCII name or subject.
fn rfc2047(text: &str) -> String {
    let mut out = String::from("=?UTF-8?q?");
    for b in text.bytes() {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_git_format_patch() {
        let plain = SubjectPrefix::default();
        assert_eq!(
            plain.file_name(3, "ARM: highmem: Switch to generic kmap atomic"),
            "0003-ARM-highmem-Switch-to-generic-kmap-atomic.patch"
        );
        // git cuts the name to 57 characters, mid-word if need be, and
        // counts the version in (both seen with git 2.47).
        let x86 = "x86/mm/highmem: Use generic kmap atomic implementation";
        assert_eq!(plain.file_name(1, x86), "0001-x86-mm-highmem-Use-generic-kmap-atomic-implementatio.patch");
        let v2 = SubjectPrefix { reroll: Some("2".into()), ..SubjectPrefix::default() };
        assert_eq!(v2.file_name(1, x86), "v2-0001-x86-mm-highmem-Use-generic-kmap-atomic-implementa.patch");
        assert_eq!(plain.file_name(2, "a..b: c."), "0002-a.b-c.patch");
    }

    #[test]
    fn long_subjects_are_folded_at_78_columns_as_git_folds_them() {
        // Seen with git 2.47: a line of 78 columns stays whole, 79 is folded.
        let fits = "[PATCH] abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd zzzzzz";
        assert_eq!(fold_header("Subject", fits), format!("Subject: {fits}\n"));
        let long = "[RFC PATCH mm v2] x86/mm/highmem: Use generic kmap atomic implementation and a very long tail";
        assert_eq!(
            fold_header("Subject", long),
            "Subject: [RFC PATCH mm v2] x86/mm/highmem: Use generic kmap atomic\n implementation and a very long tail\n"
        );
    }

    #[test]
    fn subject_tags_follow_git_format_patch() {
        let plain = SubjectPrefix::default();
        assert_eq!(plain.tag(None), "[PATCH]");
        assert_eq!(plain.tag(Some((3, 9))), "[PATCH 3/9]");
        assert_eq!(plain.tag(Some((3, 10))), "[PATCH 03/10]");
        assert_eq!(plain.tag(Some((0, 10))), "[PATCH 00/10]");
        let all = SubjectPrefix { rfc: true, prefix: "PATCH net".into(), reroll: Some("2".into()) };
        assert_eq!(all.tag(Some((3, 9))), "[RFC PATCH net v2 3/9]");
        assert_eq!(all.tag(None), "[RFC PATCH net v2]");
    }

    #[test]
    fn identities_are_read_and_quoted_for_headers() {
        let id = Identity::parse("Jane Q. Hacker <jane@example.org>").unwrap();
        assert_eq!(id.to_string(), "Jane Q. Hacker <jane@example.org>");
        assert_eq!(id.header(), "\"Jane Q. Hacker\" <jane@example.org>");
        assert_eq!(
            Identity::parse("Zoë Ölund <z@example.org>").unwrap().header(),
            "=?UTF-8?q?Zo=C3=AB_=C3=96lund?= <z@example.org>"
        );
        for bad in ["jane@example.org", "Jane <>", "<j@e.org>", "Jane <j e@x.org>", "Jane <jane>"] {
            assert!(Identity::parse(bad).is_err(), "{bad}");
        }
        // What would inject a header or break the line is refused (issue 10, item 7).
        let long = format!("{} <j@e.org>", "J".repeat(999));
        for bad in
            ["Jane\r\nBcc: all@x.org <j@e.org>", "Jane <j@e.org>\nBcc: x", "Ja\u{7}ne <j@e.org>", "Jane <a@b@c>", &long]
        {
            let err = Identity::parse(bad).unwrap_err();
            assert!(err.contains("control character") || err.contains("one `@`") || err.contains("too long"), "{err}");
        }
        assert_eq!(
            encode_address("\"David S. Miller\" <davem@davemloft.net>"),
            "\"David S. Miller\" <davem@davemloft.net>"
        );
        assert_eq!(encode_address("linux-kernel@vger.kernel.org"), "linux-kernel@vger.kernel.org");
    }

    #[test]
    fn diffs_carry_git_headers_and_function_sections() {
        let before = b"int a;\n\nstatic void f(void)\n{\n\tint x;\n\n\tx = 1;\nout:\n\tx = 2;\n\tx = 3;\n}\n";
        let after = b"int a;\n\nstatic void f(void)\n{\n\tint x;\n\n\tx = 1;\nout:\n\tx = 2;\n\tx = 4;\n}\n";
        let d = file_diff("arch/x/f.c", Some(before), Some(after), 0o100644).unwrap();
        let text = String::from_utf8(d.text).unwrap();
        assert!(text.starts_with("diff --git a/arch/x/f.c b/arch/x/f.c\nindex "), "{text}");
        assert!(
            text.contains(" 100644\n--- a/arch/x/f.c\n+++ b/arch/x/f.c\n@@ -7,5 +7,5 @@ static void f(void)\n"),
            "{text}"
        );
        assert_eq!((d.added, d.removed), (1, 1));

        let gone = file_diff("arch/x/k.h", Some(b"#define K 1\n"), None, 0o100644).unwrap();
        let text = String::from_utf8(gone.text).unwrap();
        let id = &blob_id(b"#define K 1\n")[..12];
        assert_eq!(text, format!("diff --git a/arch/x/k.h b/arch/x/k.h\ndeleted file mode 100644\nindex {id}..000000000000\n--- a/arch/x/k.h\n+++ /dev/null\n@@ -1 +0,0 @@\n-#define K 1\n"));
        assert!(file_diff("same", Some(b"x\n"), Some(b"x\n"), 0o100644).is_none());
    }

    #[test]
    fn sections_follow_the_default_rule_outside_c() {
        let before = b"config A\n\tbool\n\nconfig B\n\tbool\n\tdepends on C\n\thelp\n\t  text\n";
        let after = b"config A\n\tbool\n\nconfig B\n\tbool\n\tdepends on C\n\tselect D\n\thelp\n\t  text\n";
        let d = file_diff("arch/x/Kconfig", Some(before), Some(after), 0o100644).unwrap();
        assert!(String::from_utf8(d.text).unwrap().contains("@@ -4,5 +4,6 @@ config A\n"));
    }
}
