//! Who a patch goes to, read from the tree's `MAINTAINERS` in-process:
//! no Perl, and no code from the tree runs.
//!
//! The answer is the one `perl scripts/get_maintainer.pl --no-git
//! --no-git-fallback --roles --scm PATCH` prints (the script's defaults
//! otherwise: keywords on, moderated lists in, subscribers-only lists
//! out, duplicates merged, `.mailmap` applied). Its rules, as read from
//! the script:
//!
//! - `MAINTAINERS` is a list of sections: a header line, then `X:`
//!   lines. `F:`/`X:` are globs (`*`, `?`; other regex syntax passes
//!   through) matched at the start of the path; a pattern that names a
//!   folder of the tree matches below it, any other must match a path
//!   with as many `/`. `N:` is a regex on the path, `K:` a regex on the
//!   patch's `+`/`-` lines (and on any line before the first file
//!   header). A section with a matching `X:` is skipped for that file.
//! - A file's sections go deepest pattern first (`/`s in the pattern, +1
//!   unless it ends in `/`; `*...` and `N:` count 0 or less); the last
//!   matching `F:` of a section gives its depth. The script leaves equal
//!   depths in Perl's hash order, which changes from run to run; here
//!   they keep `MAINTAINERS` order.
//! - Files in sorted order, then keyword sections (in the string order
//!   of their line numbers). Per section: `M:` (role from `S:`: Supported
//!   -> supporter, Maintained -> maintainer, Odd Fixes -> odd fixer, ...),
//!   `R:` reviewers, `L:` lists (subscribers-only left out), `T:` trees.
//!   A person already named (same name or address, any case) or a list
//!   already named is not repeated; names and addresses go through
//!   `.mailmap`; Linus Torvalds (THE REST's `M:`) is dropped; the
//!   addresses in the `.yaml` files a patch touches are added.
//!
//! What is not reproduced: a `MAINTAINERS` folder, the options a
//! `.get_maintainer.conf` would add, and the signers of `Fixes:` commits
//! (the script asks git for them in a git tree even with `--no-git`;
//! archport's patches carry no `Fixes:`). A pattern whose Perl regex
//! syntax the regex crate does not read is an error naming its line.

mod email;
mod rfc822;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{bail, Context, Result};
use regex::bytes::Regex;

use super::addressees::{Maintainers, Recipients};
use email::{byte_regex, format_email, lc, parse_email, Mailmap};

/// A parsed `MAINTAINERS` (and the tree's `.mailmap`): read once, asked
/// for any number of patches.
#[derive(Debug)]
pub struct MaintainersFile {
    /// The kept lines in file order, as the script indexes them: fields
    /// and the other lines (section headers); blank lines and `#`
    /// comments are dropped.
    lines: Vec<Line>,
    /// Where each section's fields start, in file order.
    sections: Vec<usize>,
    /// `K:` fields by line index.
    keywords: Vec<(usize, Keyword)>,
    mailmap: Mailmap,
    /// The tree, to read the `.yaml` files a patch touches.
    tree: PathBuf,
}

#[derive(Debug)]
enum Line {
    /// Any line that is not a field: a section header, or prose.
    Text(Vec<u8>),
    Field {
        kind: u8,
        value: Vec<u8>,
        pattern: Option<Pattern>,
    },
}

/// What an `F:`, `X:` or `N:` field matches.
#[derive(Debug)]
enum Pattern {
    Files(FilePattern),
    Name(Regex),
}

#[derive(Debug)]
struct FilePattern {
    matcher: Matcher,
    /// Ends in `/`: matches everything below.
    folder: bool,
    slashes: usize,
    /// How specific a match is.
    depth: i64,
}

#[derive(Debug)]
enum Matcher {
    /// A glob of literal bytes, `*` and `?`, matched as a prefix.
    Glob(Vec<GlobPart>),
    /// Anything else: the converted pattern as a regex, anchored at the start.
    Regex(Regex),
}

#[derive(Debug, Clone, PartialEq)]
enum GlobPart {
    Byte(u8),
    One,
    Any,
}

#[derive(Debug)]
struct Keyword {
    /// On a whole file's text or on lines before the patch's first file header.
    anywhere: Regex,
    /// On a patch line after it: only `+`/`-` lines.
    in_diff: Regex,
    /// Perl's `$` also matches before a final newline: try without it.
    ends: bool,
}

impl Keyword {
    fn is_match(&self, re: &Regex, text: &[u8]) -> bool {
        re.is_match(text) || (self.ends && text.strip_suffix(b"\n").is_some_and(|t| re.is_match(t)))
    }
}

/// What the reader says about one patch: the lines get_maintainer.pl
/// would print, and who goes to `To:` and `Cc:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// `address (role)`, in the script's order.
    pub people: Vec<Person>,
    /// `T:` values, first seen first.
    pub trees: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub address: String,
    pub role: String,
    /// Maintainers (and addresses found in a touched `.yaml`) go to
    /// `To:`; reviewers and lists to `Cc:`.
    pub to: bool,
}

impl Answer {
    /// The text `get_maintainer.pl --roles --scm` prints.
    pub fn text(&self) -> String {
        let people = self.people.iter().map(|p| format!("{} ({})\n", p.address, p.role));
        people.chain(self.trees.iter().map(|t| format!("{t}\n"))).collect()
    }

    pub fn maintainers(&self) -> Maintainers {
        Maintainers {
            recipients: Recipients::from_roles(self.people.iter().map(|p| (p.address.clone(), p.to))),
            tree: self.trees.first().cloned(),
        }
    }
}

impl MaintainersFile {
    /// Reads `TREE/MAINTAINERS` and `TREE/.mailmap` (optional).
    pub fn read(tree: &Path) -> Result<MaintainersFile> {
        let path = tree.join("MAINTAINERS");
        if path.is_dir() {
            bail!(
                "{} is a folder; archport reads one MAINTAINERS file (use the tree's get_maintainer.pl)",
                path.display()
            );
        }
        let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mailmap = match std::fs::read(tree.join(".mailmap")) {
            Ok(m) => Mailmap::parse(&m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Mailmap::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", tree.join(".mailmap").display())),
        };
        MaintainersFile::parse(&text, tree, mailmap).with_context(|| format!("reading {}", path.display()))
    }

    fn parse(text: &[u8], tree: &Path, mailmap: Mailmap) -> Result<MaintainersFile> {
        let mut lines = Vec::new();
        let mut keywords = Vec::new();
        for (number, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = raw.strip_suffix(b"\n").unwrap_or(raw);
            let Some((kind, value)) = field(line) else {
                let rest = email::trim(raw);
                if !rest.is_empty() && rest[0] != b'#' {
                    lines.push(Line::Text(line.to_vec()));
                }
                continue;
            };
            let at = || format!("line {}: {}", number + 1, String::from_utf8_lossy(line));
            let pattern = match kind {
                b'F' | b'X' => Some(Pattern::Files(FilePattern::new(value, tree).with_context(at)?)),
                b'N' => Some(Pattern::Name(perl_x_regex("", value).with_context(at)?)),
                b'K' => {
                    keywords.push((lines.len(), Keyword::new(value).with_context(at)?));
                    None
                }
                _ => None,
            };
            lines.push(Line::Field { kind, value: value.to_vec(), pattern });
        }
        let sections = section_starts(&lines);
        Ok(MaintainersFile { lines, sections, keywords, mailmap, tree: tree.to_path_buf() })
    }

    /// The answer for a patch: the files its headers name, the keywords
    /// its lines hold.
    pub fn for_patch(&self, patch: &[u8]) -> Answer {
        let scanned = self.scan_patch(patch);
        self.answer(&scanned.files, scanned.keywords)
    }

    /// The answer for one file of the tree (`get_maintainer.pl -f PATH`):
    /// keywords are looked for in `text`, the file's whole content.
    pub fn for_file(&self, path: &str, text: &[u8]) -> Answer {
        let keywords = if path == "MAINTAINERS" {
            Vec::new()
        } else {
            self.keywords.iter().filter(|(_, k)| k.is_match(&k.anywhere, text)).map(|(i, _)| *i).collect()
        };
        self.answer(&[path.as_bytes().to_vec()], keywords)
    }

    fn scan_patch(&self, patch: &[u8]) -> Scanned {
        static MODE: LazyLock<Regex> = LazyLock::new(|| fixed(r"^ mode change [0-7]+ => [0-7]+ (\S+)\s*$"));
        static RENAME: LazyLock<Regex> = LazyLock::new(|| fixed(r"^rename (?:from|to) (\S+)\s*$"));
        static GIT: LazyLock<Regex> = LazyLock::new(|| fixed(r"^diff --git a/(\S+) b/(\S+)\s*$"));
        static FIXES: LazyLock<Regex> = LazyLock::new(|| fixed(r"^Fixes:\s+[0-9a-fA-F]{6,40}"));
        static HEADER: LazyLock<Regex> = LazyLock::new(|| fixed(r"^(?:\+\+\+|---)\s+(\S+)"));
        static HUNK: LazyLock<Regex> = LazyLock::new(|| fixed(r"^@@ -\d+,\d+"));
        let mut files = Vec::new();
        let mut keywords = Vec::new();
        let mut in_diff = false;
        for line in patch.split_inclusive(|&b| b == b'\n') {
            let group = |re: &Regex, i| re.captures(line).and_then(|c| c.get(i)).map(|m| m.as_bytes().to_vec());
            if let Some(f) = group(&MODE, 1).or_else(|| group(&RENAME, 1)) {
                files.push(f);
            } else if let (Some(a), Some(b)) = (group(&GIT, 1), group(&GIT, 2)) {
                files.extend([a, b]);
            } else if FIXES.is_match(line) || HUNK.is_match(line) {
                // Git's business (blame, Fixes: signers), not the file's.
            } else if let Some(name) = group(&HEADER, 1) {
                // `a/x`, `b/x` and `/dev/null` (as `dev/null`) alike.
                let name = name.iter().position(|&b| b == b'/').map_or(&name[..], |i| &name[i + 1..]);
                files.push(name.to_vec());
                in_diff = true;
            } else {
                for (i, k) in &self.keywords {
                    if k.is_match(if in_diff { &k.in_diff } else { &k.anywhere }, line) {
                        keywords.push(*i);
                    }
                }
            }
        }
        files.sort();
        files.dedup();
        Scanned { files, keywords }
    }

    fn answer(&self, files: &[Vec<u8>], mut keywords: Vec<usize>) -> Answer {
        let mut c = Collector::new(self);
        for file in files {
            for section in self.sections_for(file) {
                c.add_section(section);
            }
            c.read_file_emails(file);
        }
        // The script sorts the line numbers as strings.
        keywords.sort_by_key(|i| i.to_string());
        keywords.dedup();
        for i in keywords {
            c.add_section(i);
        }
        c.finish()
    }

    /// The sections whose patterns match `file`, most specific first.
    fn sections_for(&self, file: &[u8]) -> Vec<usize> {
        let file_slashes = slashes(file);
        let mut found: Vec<(i64, usize)> = Vec::new();
        for &first in &self.sections {
            let (start, end) = (self.start(first), self.end(first));
            let fields = || {
                self.lines[start..end].iter().filter_map(|l| match l {
                    Line::Field { kind, pattern: Some(p), .. } => Some((*kind, p)),
                    _ => None,
                })
            };
            let excluded = fields()
                .any(|(kind, p)| kind == b'X' && matches!(p, Pattern::Files(f) if f.matches(file, file_slashes)));
            if excluded {
                continue;
            }
            let mut depth = None;
            for (kind, p) in fields() {
                match p {
                    Pattern::Files(f) if kind == b'F' && f.matches(file, file_slashes) => depth = Some(f.depth),
                    Pattern::Name(re) if re.is_match(file) => depth = Some(0),
                    _ => {}
                }
            }
            if let Some(d) = depth {
                found.push((d, first));
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(_, first)| first).collect()
    }

    fn is_field(&self, i: usize) -> bool {
        matches!(self.lines.get(i), Some(Line::Field { .. }))
    }

    /// The section's header line: walking back from `i` to the first
    /// line that is not a field (or to the first line).
    fn start(&self, mut i: usize) -> usize {
        while i > 0 && self.is_field(i) {
            i -= 1;
        }
        i
    }

    /// One past the section's last field.
    fn end(&self, mut i: usize) -> usize {
        while self.is_field(i) {
            i += 1;
        }
        i
    }

    /// The section's name as roles show it: its header, cut to 50 bytes.
    fn subsystem(&self, i: usize) -> Vec<u8> {
        let name = match &self.lines[self.start(i)] {
            Line::Text(t) => t.clone(),
            Line::Field { kind, value, .. } => [&[*kind, b':'][..], value].concat(),
        };
        if name.len() <= 50 {
            return name;
        }
        [email::trim_end(&name[..47]), b"..."].concat()
    }

    /// What a section's `M:` people are called, from its last `S:`.
    fn maintainer_role(&self, i: usize) -> Vec<u8> {
        let status = (self.start(i) + 1..self.end(i))
            .rev()
            .find_map(|j| match &self.lines[j] {
                Line::Field { kind: b'S', value, .. } => Some(lc(value)),
                _ => None,
            })
            .unwrap_or_else(|| b"unknown".to_vec());
        let role: &[u8] = match &status[..] {
            b"supported" => b"supporter",
            b"maintained" => b"maintainer",
            b"odd fixes" => b"odd fixer",
            b"orphan" => b"orphan minder",
            b"obsolete" => b"obsolete minder",
            b"buried alive in reporters" => b"chief penguin",
            other => other,
        };
        [role, b":", &self.subsystem(i)].concat()
    }
}

struct Scanned {
    files: Vec<Vec<u8>>,
    keywords: Vec<usize>,
}

/// Splits `X:value` (any capital letter, spaces after the colon skipped).
fn field(line: &[u8]) -> Option<(u8, &[u8])> {
    match line {
        [kind @ b'A'..=b'Z', b':', rest @ ..] => {
            let skip = rest.iter().position(|&b| !email::is_space(b)).unwrap_or(rest.len());
            Some((*kind, &rest[skip..]))
        }
        _ => None,
    }
}

/// The first field of each section, walking as the script does: from
/// the first field of the file, each next section starts two lines past
/// the end of the last (its header is skipped).
fn section_starts(lines: &[Line]) -> Vec<usize> {
    let is_field = |i: usize| matches!(lines.get(i), Some(Line::Field { .. }));
    let mut starts = Vec::new();
    let mut i = (0..lines.len()).find(|&i| is_field(i)).unwrap_or(lines.len());
    while i < lines.len() {
        let mut end = i;
        while is_field(end) {
            end += 1;
        }
        if end > i {
            starts.push(i);
        }
        i = end + 1;
    }
    starts
}

fn slashes(s: &[u8]) -> usize {
    s.iter().filter(|&&b| b == b'/').count()
}

fn fixed(pattern: &str) -> Regex {
    byte_regex(pattern).expect("a fixed pattern compiles")
}

impl FilePattern {
    /// Turns an `F:`/`X:` glob into the script's regex (`.` -> `\.`,
    /// `*` -> `.*`, `?` -> `.`), with a `/` added when that text names a
    /// folder of the tree.
    fn new(glob: &[u8], tree: &Path) -> Result<FilePattern> {
        let mut text = Vec::new();
        for &b in glob {
            match b {
                b'.' => text.extend(b"\\."),
                b'*' => text.extend(b".*"),
                b'?' => text.push(b'.'),
                _ => text.push(b),
            }
        }
        // The script asks the converted text (`\.` and all) whether it is
        // a folder, relative to the tree; a pattern with a dot never is.
        if !text.is_empty() && !text.ends_with(b"/") && tree.join(OsStr::from_bytes(&text)).is_dir() {
            text.push(b'/');
        }
        let folder = text.ends_with(b"/");
        let depth = if text.starts_with(b".*") { -1 } else { (slashes(&text) + usize::from(!folder)) as i64 };
        let matcher = match glob_parts(&text) {
            Some(parts) => Matcher::Glob(parts),
            None => Matcher::Regex(
                // Not grouped: `^a|b` is `(^a)|b` to Perl too.
                byte_regex(&format!("^{}", String::from_utf8_lossy(&text)))
                    .context("this file pattern is not a regex archport can read")?,
            ),
        };
        Ok(FilePattern { matcher, folder, slashes: slashes(&text), depth })
    }

    fn matches(&self, file: &[u8], file_slashes: usize) -> bool {
        let prefix = match &self.matcher {
            Matcher::Glob(parts) => glob_prefix_match(parts, file),
            Matcher::Regex(re) => re.is_match(file),
        };
        prefix && (self.folder || file_slashes == self.slashes)
    }
}

/// The converted text as glob parts, if it holds no regex syntax but
/// the conversion's own.
fn glob_parts(text: &[u8]) -> Option<Vec<GlobPart>> {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let (part, width) = match (text[i], text.get(i + 1)) {
            (b'\\', Some(b'.')) => (GlobPart::Byte(b'.'), 2),
            (b'.', Some(b'*')) => (GlobPart::Any, 2),
            (b'.', _) => (GlobPart::One, 1),
            (b'\\' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'|' | b'+' | b'^' | b'$' | b'*' | b'?', _) => {
                return None
            }
            (b, _) => (GlobPart::Byte(b), 1),
        };
        parts.push(part);
        i += width;
    }
    Some(parts)
}

/// Whether the glob matches a prefix of `s` (`.` never matches `\n`).
fn glob_prefix_match(parts: &[GlobPart], s: &[u8]) -> bool {
    // Classic wildcard matching with a backtrack point at the last `*`;
    // the pattern is done as soon as all its parts are consumed.
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == parts.len() {
            return true;
        }
        match parts[p] {
            GlobPart::Any => {
                star = Some((p, i));
                p += 1;
                continue;
            }
            GlobPart::One if i < s.len() && s[i] != b'\n' => (p, i) = (p + 1, i + 1),
            GlobPart::Byte(b) if i < s.len() && s[i] == b => (p, i) = (p + 1, i + 1),
            _ => match star {
                Some((sp, si)) if si < s.len() && s[si] != b'\n' => {
                    star = Some((sp, si + 1));
                    (p, i) = (sp + 1, si + 1);
                }
                _ => return false,
            },
        }
    }
}

impl Keyword {
    fn new(value: &[u8]) -> Result<Keyword> {
        Ok(Keyword {
            anywhere: perl_x_regex("", value)?,
            in_diff: perl_x_regex("^[+-].*", value)?,
            ends: value.contains(&b'$'),
        })
    }
}

/// A regex the script matches with `/x` after `prefix`: whitespace and
/// `#` comments are ignored outside brackets; inside brackets Perl keeps
/// them, so they are escaped for the regex crate, which would not.
fn perl_x_regex(prefix: &str, value: &[u8]) -> Result<Regex> {
    let mut out = String::from("(?x)");
    out.push_str(prefix);
    let text = String::from_utf8_lossy(value);
    let mut chars = text.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            c if in_class && (c.is_ascii_whitespace() || c == '#' || c == '\x0b') => {
                out.push_str(&format!(r"\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    byte_regex(&out).with_context(|| format!("`{text}` is not a regex archport can read"))
}

/// The script's running state while it collects one answer.
struct Collector<'a> {
    file: &'a MaintainersFile,
    people: Vec<(Vec<u8>, Vec<u8>, bool)>,
    lists: Vec<(Vec<u8>, Vec<u8>)>,
    names_seen: HashSet<Vec<u8>>,
    addresses_seen: HashSet<Vec<u8>>,
    lists_seen: HashSet<Vec<u8>>,
    trees: Vec<Vec<u8>>,
    file_emails: Vec<Vec<u8>>,
}

impl<'a> Collector<'a> {
    fn new(file: &'a MaintainersFile) -> Collector<'a> {
        Collector {
            file,
            people: Vec::new(),
            lists: Vec::new(),
            names_seen: HashSet::new(),
            addresses_seen: HashSet::new(),
            lists_seen: HashSet::new(),
            trees: Vec::new(),
            file_emails: Vec::new(),
        }
    }

    /// Everyone and everything the section of line `i` names.
    fn add_section(&mut self, i: usize) {
        let f = self.file;
        for j in f.start(i) + 1..f.end(i) {
            let Line::Field { kind, value, .. } = &f.lines[j] else { continue };
            match kind {
                b'L' => self.add_list(value, j),
                b'M' => {
                    let role = f.maintainer_role(j);
                    for person in rfc822::people(value) {
                        self.add_person(&person, &role, true);
                    }
                }
                b'R' => {
                    let role = [&b"reviewer:"[..], &f.subsystem(j)].concat();
                    for person in rfc822::people(value) {
                        self.add_person(&person, &role, false);
                    }
                }
                b'T' => self.trees.push(value.clone()),
                _ => {}
            }
        }
    }

    fn add_list(&mut self, value: &[u8], j: usize) {
        let (address, note) = match value.iter().position(|&b| email::is_space(b)) {
            Some(k) => (&value[..k], &value[k..]),
            None => (value, &[][..]),
        };
        let note = String::from_utf8_lossy(note);
        if note.contains("subscribers-only") || !self.lists_seen.insert(lc(address)) {
            return;
        }
        let kind: &[u8] = if note.contains("moderated") { b"moderated list" } else { b"open list" };
        let subsystem = self.file.subsystem(j);
        let role = if subsystem == b"THE REST" { kind.to_vec() } else { [kind, b":", &subsystem].concat() };
        self.lists.push((address.to_vec(), role));
    }

    /// Adds a person unless the name or address is already there.
    fn add_person(&mut self, text: &[u8], role: &[u8], to: bool) {
        let (name, address) = parse_email(text);
        if address.is_empty() || (!name.is_empty() && self.names_seen.contains(&lc(&name))) {
            return;
        }
        if !self.addresses_seen.insert(lc(&address)) {
            return;
        }
        if !name.is_empty() {
            self.names_seen.insert(lc(&name));
        }
        self.people.push((format_email(&name, &address), role.to_vec(), to));
    }

    /// A touched `.yaml` binding names its maintainers in its text.
    fn read_file_emails(&mut self, file: &[u8]) {
        if !file.ends_with(b".yaml") {
            return;
        }
        // Only a regular file: a FIFO would block the read.
        let path = self.file.tree.join(OsStr::from_bytes(file));
        if !path.metadata().is_ok_and(|m| m.is_file()) {
            return;
        }
        if let Ok(text) = std::fs::read(&path) {
            self.file_emails.extend(email::file_emails(&text));
        }
    }

    fn finish(mut self) -> Answer {
        let mut dedup = Dedup::default();
        for (address, ..) in &mut self.people {
            *address = dedup.email(&self.file.mailmap, address);
        }
        for (address, _) in &mut self.lists {
            *address = dedup.email(&self.file.mailmap, address);
        }
        // The script leaves the "chief penguin" to THE REST's list.
        static CHIEF: LazyLock<Regex> = LazyLock::new(|| fixed("Linus Torvalds <torvalds@linux-foundation.org>"));
        self.people.retain(|(address, ..)| !CHIEF.is_match(address));
        for found in std::mem::take(&mut self.file_emails) {
            let (name, address) = parse_email(&found);
            let formatted = format_email(&name, &address);
            self.add_person(&formatted, b"", true);
            self.add_in_file_role(&name, &address);
        }
        let mut seen = HashSet::new();
        let people = self
            .people
            .into_iter()
            .chain(self.lists.into_iter().map(|(a, r)| (a, r, false)))
            .filter(|(address, ..)| seen.insert(address.clone()))
            .map(|(address, role, to)| Person {
                address: String::from_utf8_lossy(&address).into_owned(),
                role: String::from_utf8_lossy(&role).into_owned(),
                to,
            })
            .collect();
        let mut trees_seen = HashSet::new();
        let trees = self
            .trees
            .into_iter()
            .filter(|t| trees_seen.insert(t.clone()))
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .collect();
        Answer { people, trees }
    }

    /// Marks everyone with this name or address as found in a file (an
    /// empty name matches every entry without one, as in the script).
    fn add_in_file_role(&mut self, name: &[u8], address: &[u8]) {
        for (entry, role, _) in &mut self.people {
            let (entry_name, entry_address) = parse_email(entry);
            if (name == entry_name || address == entry_address) && !String::from_utf8_lossy(role).contains("in file") {
                if !role.is_empty() {
                    role.push(b',');
                }
                role.extend(b"in file");
            }
        }
    }
}

/// One spelling per person across the answer: the first name or address
/// seen (any case) decides how the person is written.
#[derive(Default)]
struct Dedup {
    by_name: HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
    by_address: HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
}

impl Dedup {
    fn email(&mut self, mailmap: &Mailmap, email: &[u8]) -> Vec<u8> {
        let (name, address) = parse_email(email);
        let (name, address) = parse_email(&mailmap.map(&format_email(&name, &address)));
        let known = (!name.is_empty())
            .then(|| self.by_name.get(&lc(&name)))
            .flatten()
            .or_else(|| self.by_address.get(&lc(&address)));
        let (name, address) = match known {
            Some(k) => k.clone(),
            None => {
                self.by_name.insert(lc(&name), (name.clone(), address.clone()));
                self.by_address.insert(lc(&address), (name.clone(), address.clone()));
                (name, address)
            }
        };
        mailmap.map(&format_email(&name, &address))
    }
}

#[cfg(test)]
mod tests;
