//! The record of a cache entry, written when it is built and read to
//! check it.
//!
//! Two text files in the entry folder:
//!
//! - `manifest.txt` names every folder, file and link of the trees and
//!   `rt.patch` with its kind, mode, size and the SHA-1 of its content
//!   (of a link: of its target). The derived trees (`golden/`,
//!   `pre-port/`) are recorded as the base tree plus what differs, so the
//!   file stays near the size of one tree's list (7 MB). `archport fetch
//!   --verify` reads every byte against it: seconds for 1.1 GB.
//! - `manifest-quick.txt` holds the paths archport reads most (the
//!   top-level entries, the golden ports' files, every path named
//!   highmem, kmap or fixmap, and the folders above them, in each tree)
//!   with size, mode and modification time. Every use of the cache
//!   compares them with `lstat`: about 700 calls, a few milliseconds,
//!   where stating all 226,000 paths of the three trees takes half a
//!   second or more.
//!
//! Modes are compared without their write bits, so a cache made
//! read-only with `chmod -R a-w` still passes. Modification times are
//! kept by `cp -a`, `rsync -a` and hard-link copies, so a copied cache
//! still passes; a cache copied without them
//! fails the quick check, passes `--verify`, and `--repair` records the
//! new times.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use super::package::{Layout, Meta};

pub const FULL: &str = "manifest.txt";
pub const QUICK: &str = "manifest-quick.txt";
const MAGIC: &str = "# archport manifest 1";

/// The trees of a layout, the base tree first.
pub fn trees(layout: Layout) -> &'static [&'static str] {
    match layout {
        Layout::Rt => &["base", "golden", "pre-port"],
        Layout::Tree => &["base"],
    }
}

/// One difference between an entry and its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Relative to the entry folder: `base/mm/highmem.c`.
    pub path: String,
    pub what: String,
}

/// One manifest line: `KIND MODE SIZE VALUE PATH`, where VALUE is the
/// content hash (full) or the modification time (quick), and `-` stands
/// for a field that does not apply. Kind `!` says the path must not
/// exist.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line {
    kind: char,
    mode: u32,
    size: Option<u64>,
    value: Option<String>,
    path: String,
}

impl Line {
    fn absent(path: String) -> Line {
        Line { kind: '!', mode: 0, size: None, value: None, path }
    }

    fn render(&self, out: &mut String) {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
        let mode = if self.kind == '!' { "-".to_string() } else { format!("{:o}", self.mode) };
        let _ = writeln!(
            out,
            "{} {mode} {} {} {}",
            self.kind,
            opt(self.size.map(|s| s.to_string())),
            opt(self.value.clone()),
            self.path
        );
    }

    fn parse(line: &str) -> Option<Line> {
        let mut w = line.split(' ');
        let kind = w.next()?.chars().next()?;
        let field = |s: &str| (s != "-").then(|| s.to_string());
        let mode = w.next()?;
        let size = w.next()?;
        let value = w.next()?;
        let path = w.next()?.to_string();
        if w.next().is_some() || !"fdl!".contains(kind) {
            return None;
        }
        let mode = if mode == "-" { 0 } else { u32::from_str_radix(mode, 8).ok()? };
        let size = match size {
            "-" => None,
            s => Some(s.parse().ok()?),
        };
        Some(Line { kind, mode, size, value: field(value), path })
    }

    /// What differs from `expected`, in words.
    fn differs(&self, expected: &Line, value_name: &str) -> Option<String> {
        let kind = |k: char| match k {
            'f' => "a file",
            'd' => "a folder",
            'l' => "a symbolic link",
            _ => "absent",
        };
        if self.kind != expected.kind {
            Some(format!("is {}, recorded as {}", kind(self.kind), kind(expected.kind)))
        } else if self.size != expected.size {
            Some(format!("size {}, recorded {}", self.size.unwrap_or(0), expected.size.unwrap_or(0)))
        } else if self.mode != expected.mode {
            Some(format!("mode {:o}, recorded {:o}", self.mode, expected.mode))
        } else if self.value != expected.value {
            Some(format!("{value_name} differs from the one recorded"))
        } else {
            None
        }
    }
}

/// A path as the manifest writes it: printable ASCII, with `%XX` for
/// `%`, spaces, control and non-ASCII bytes.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if b == b'%' || !(0x21..0x7f).contains(&b) {
            let _ = write!(s, "%{b:02X}");
        } else {
            s.push(b as char);
        }
    }
    s
}

fn unescape(s: &str) -> PathBuf {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(OsStr::from_bytes(&out))
}

/// `lstat` facts of one path.
struct Stat {
    kind: char,
    mode: u32,
    size: u64,
    mtime: String,
    inode: (u64, u64),
}

fn stat(path: &Path) -> std::io::Result<Stat> {
    let m = path.symlink_metadata()?;
    let ft = m.file_type();
    let kind = if ft.is_dir() {
        'd'
    } else if ft.is_symlink() {
        'l'
    } else if ft.is_file() {
        'f'
    } else {
        // A device, FIFO or socket never belongs in a kernel tree.
        '?'
    };
    Ok(Stat {
        kind,
        // Write bits aside: a cache made read-only with `chmod -R a-w`
        // holds the same trees.
        mode: m.mode() & 0o7555,
        size: if kind == 'd' { 0 } else { m.size() },
        mtime: format!("{}.{:09}", m.mtime(), m.mtime_nsec()),
        inode: (m.dev(), m.ino()),
    })
}

/// Content hashes, computed once per inode: the derived trees share
/// most files with the base tree through hard links.
#[derive(Default)]
struct Hasher {
    by_inode: HashMap<(u64, u64), String>,
    buf: Vec<u8>,
}

impl Hasher {
    fn hash(&mut self, path: &Path, st: &Stat) -> Result<Option<String>> {
        if st.kind == 'd' {
            return Ok(None);
        }
        if let Some(h) = self.by_inode.get(&st.inode) {
            return Ok(Some(h.clone()));
        }
        let mut sha = sha1_smol::Sha1::new();
        if st.kind == 'l' {
            let target = std::fs::read_link(path).with_context(|| format!("reading the link {}", path.display()))?;
            sha.update(target.as_os_str().as_bytes());
        } else if st.kind == 'f' {
            self.buf.resize(1 << 18, 0);
            let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
            loop {
                let n = f.read(&mut self.buf).with_context(|| format!("reading {}", path.display()))?;
                if n == 0 {
                    break;
                }
                sha.update(&self.buf[..n]);
            }
        }
        let h = sha.digest().to_string();
        self.by_inode.insert(st.inode, h.clone());
        Ok(Some(h))
    }

    /// The full-manifest line of a path that exists.
    fn line(&mut self, path: &Path, rel: String, st: &Stat) -> Result<Line> {
        let hash = self.hash(path, st)?;
        let size = (st.kind != 'd').then_some(st.size);
        Ok(Line { kind: st.kind, mode: st.mode, size, value: hash, path: rel })
    }
}

fn quick_line(rel: String, st: &Stat) -> Line {
    let size = (st.kind != 'd').then_some(st.size);
    Line { kind: st.kind, mode: st.mode, size, value: Some(st.mtime.clone()), path: rel }
}

/// Every path of a tree, sorted, relative to the tree (the root is "").
fn walk(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let e = e.with_context(|| format!("reading {}", root.display()))?;
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        out.push((escape(rel.as_os_str().as_bytes()), e.path().to_path_buf()));
    }
    Ok(out)
}

fn join(tree: &str, rel: &str) -> String {
    if rel.is_empty() {
        tree.to_string()
    } else {
        format!("{tree}/{rel}")
    }
}

/// Whether a tree path is one the quick check covers (see the module
/// doc); `ported` are the golden ports' files.
fn is_hot(rel: &str, ported: &BTreeSet<String>) -> bool {
    !rel.contains('/')
        || ported.contains(rel)
        || ["highmem", "kmap", "fixmap"].iter().any(|w| rel.contains(w))
        || rel == "scripts/get_maintainer.pl"
        || rel == "scripts/checkpatch.pl"
}

/// Adds every folder above each path ("" is the tree's root).
fn with_ancestors(paths: BTreeSet<String>) -> BTreeSet<String> {
    let mut all = paths.clone();
    for p in &paths {
        let mut rest = p.as_str();
        while let Some((dir, _)) = rest.rsplit_once('/') {
            all.insert(dir.to_string());
            rest = dir;
        }
        all.insert(String::new());
    }
    all
}

fn header(meta: &Meta, layout: Layout) -> String {
    let derived = trees(layout)[1..].join(" ");
    format!("{MAGIC}\n# package {}\n# version {}\n# derived {derived}\n", meta.package, meta.version)
}

/// Writes both manifests of the entry `entry` (whose trees and files
/// are complete). `ported` are the tree paths of the golden ports.
pub fn write(entry: &Path, meta: &Meta, layout: Layout, ported: &[String]) -> Result<()> {
    let ported: BTreeSet<String> = ported.iter().map(|p| escape(p.as_bytes())).collect();
    let mut hasher = Hasher::default();
    let mut full = header(meta, layout);
    let mut quick = header(meta, layout);
    let mut base: BTreeMap<String, Line> = BTreeMap::new();
    for (i, tree) in trees(layout).iter().enumerate() {
        let paths = walk(&entry.join(tree))?;
        let hot = with_ancestors(
            paths.iter().map(|(rel, _)| rel).chain(&ported).filter(|r| is_hot(r, &ported)).cloned().collect(),
        );
        let mut seen = BTreeSet::new();
        for (rel, path) in &paths {
            let st = stat(path).with_context(|| format!("reading {}", path.display()))?;
            let line = hasher.line(path, join(tree, rel), &st)?;
            if i == 0 {
                line.render(&mut full);
                base.insert(rel.clone(), line);
            } else if base.get(rel).is_none_or(|b| b.differs(&line, "content").is_some()) {
                line.render(&mut full);
            }
            if hot.contains(rel) {
                quick_line(join(tree, rel), &st).render(&mut quick);
            }
            seen.insert(rel.clone());
        }
        if i > 0 {
            for rel in base.keys().filter(|r| !seen.contains(*r)) {
                Line::absent(join(tree, rel)).render(&mut full);
            }
        }
        for rel in hot.iter().filter(|r| !seen.contains(*r)) {
            Line::absent(join(tree, rel)).render(&mut quick);
        }
    }
    if layout == Layout::Rt {
        let path = entry.join("rt.patch");
        let st = stat(&path).with_context(|| format!("reading {}", path.display()))?;
        hasher.line(&path, "rt.patch".to_string(), &st)?.render(&mut full);
        quick_line("rt.patch".to_string(), &st).render(&mut quick);
    }
    crate::output::write_atomic(&entry.join(FULL), full.as_bytes())?;
    crate::output::write_atomic(&entry.join(QUICK), quick.as_bytes())
}

/// A manifest file read back: its header and lines.
struct Parsed {
    meta: Meta,
    lines: Vec<Line>,
}

fn read(path: &Path, header_only: bool) -> Result<Option<Parsed>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let bad = |n: usize| format!("{}:{n}: not an archport manifest line", path.display());
    let (mut package, mut version, mut lines) = (None, None, Vec::new());
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if i == 0 && line != MAGIC {
            bail!("{}:1: not an archport manifest (expected `{MAGIC}`)", path.display());
        }
        if let Some(h) = line.strip_prefix("# ") {
            match h.split_once(' ') {
                Some(("package", p)) => package = Some(p.to_string()),
                Some(("version", v)) => version = Some(v.to_string()),
                _ => {}
            }
            continue;
        }
        if header_only {
            break;
        }
        lines.push(Line::parse(&line).with_context(|| bad(i + 1))?);
    }
    match (package, version) {
        (Some(package), Some(version)) => Ok(Some(Parsed { meta: Meta { package, version }, lines })),
        _ => bail!("{}: the header names no package and version", path.display()),
    }
}

/// The package and version the full manifest of `entry` records, if it
/// has one: enough to rebuild a lost `meta.json`.
pub fn recorded_meta(entry: &Path) -> Result<Option<Meta>> {
    Ok(read(&entry.join(FULL), true)?.map(|p| p.meta))
}

/// Compares the quick manifest with the entry (`None`: the entry has
/// none, as entries fetched by an older archport).
pub fn check_quick(entry: &Path) -> Result<Option<Vec<Problem>>> {
    let Some(parsed) = read(&entry.join(QUICK), false)? else { return Ok(None) };
    let mut problems = Vec::new();
    for expected in &parsed.lines {
        let actual = match stat(&entry.join(unescape(&expected.path))) {
            Ok(st) => quick_line(expected.path.clone(), &st),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Line::absent(expected.path.clone()),
            Err(e) => {
                problems.push(Problem { path: expected.path.clone(), what: format!("cannot be read: {e}") });
                continue;
            }
        };
        if let Some(what) = describe(&actual, expected, "modification time") {
            problems.push(Problem { path: expected.path.clone(), what });
        }
    }
    Ok(Some(problems))
}

fn describe(actual: &Line, expected: &Line, value_name: &str) -> Option<String> {
    match (actual.kind, expected.kind) {
        ('!', '!') => None,
        ('!', _) => Some("is missing".to_string()),
        (_, '!') => Some("exists, but was not there when the cache was built".to_string()),
        _ => actual.differs(expected, value_name),
    }
}

/// Reads every file of the entry against the full manifest (`None`:
/// the entry has none). Returns the differences and the number of
/// paths checked.
pub fn check_full(entry: &Path, layout: Layout) -> Result<Option<(Vec<Problem>, usize)>> {
    let Some(parsed) = read(&entry.join(FULL), false)? else { return Ok(None) };
    let mut expected: BTreeMap<String, Line> = BTreeMap::new();
    for line in parsed.lines {
        expected.insert(line.path.clone(), line);
    }
    let mut hasher = Hasher::default();
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut compare = |problems: &mut Vec<Problem>, rel: String, actual: Line, expected: Option<&Line>| {
        checked += 1;
        let what = match expected {
            Some(e) => describe(&actual, e, "content"),
            None if actual.kind == '!' => None,
            None => Some("is not in the manifest (added after the fetch)".to_string()),
        };
        if let Some(what) = what {
            problems.push(Problem { path: rel, what });
        }
    };
    let trees = trees(layout);
    for tree in trees {
        let mut seen = BTreeSet::new();
        // walkdir follows a root that is a link; a tree must be a folder.
        let root = entry.join(tree);
        if !root.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            problems.push(Problem { path: tree.to_string(), what: "is missing, or is not a folder".to_string() });
            continue;
        }
        for (rel, path) in walk(&root)? {
            let st = stat(&path).with_context(|| format!("reading {}", path.display()))?;
            let key = join(tree, &rel);
            let actual = hasher.line(&path, key.clone(), &st)?;
            let base_key = join(trees[0], &rel);
            compare(&mut problems, key.clone(), actual, expected.get(&key).or_else(|| expected.get(&base_key)));
            seen.insert(rel);
        }
        // Paths recorded (for this tree, or for the base tree and not
        // overridden) that the walk did not find.
        let prefix = format!("{}/", trees[0]);
        let own = format!("{tree}/");
        let recorded: BTreeSet<String> = expected
            .keys()
            .filter_map(|k| k.strip_prefix(&own).or_else(|| k.strip_prefix(&prefix)))
            .map(str::to_string)
            .collect();
        for rel in recorded.into_iter().filter(|r| !seen.contains(r)) {
            let key = join(tree, &rel);
            let e = expected.get(&key).or_else(|| expected.get(&join(trees[0], &rel)));
            compare(&mut problems, key.clone(), Line::absent(key), e);
        }
    }
    if layout == Layout::Rt {
        let path = entry.join("rt.patch");
        let actual = match stat(&path) {
            Ok(st) => hasher.line(&path, "rt.patch".to_string(), &st)?,
            Err(_) => Line::absent("rt.patch".to_string()),
        };
        compare(&mut problems, "rt.patch".to_string(), actual, expected.get("rt.patch"));
    }
    Ok(Some((problems, checked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_path_bytes_survive_the_round_trip() {
        let raw = b"a b/%x\n\xff.c";
        let escaped = escape(raw);
        assert!(escaped.bytes().all(|b| (0x21..0x7f).contains(&b)), "{escaped}");
        assert_eq!(unescape(&escaped).as_os_str().as_bytes(), raw);
    }

    #[test]
    fn lines_round_trip() {
        for line in [
            Line { kind: 'f', mode: 0o644, size: Some(12), value: Some("ab".into()), path: "base/x".into() },
            Line { kind: 'd', mode: 0o755, size: None, value: None, path: "base".into() },
            Line::absent("golden/y".into()),
        ] {
            let mut s = String::new();
            line.render(&mut s);
            assert_eq!(Line::parse(s.trim_end()), Some(line));
        }
    }

    #[test]
    fn the_quick_set_holds_what_archport_reads() {
        let ported = BTreeSet::from(["arch/x86/mm/init_32.c".to_string()]);
        for hot in ["Makefile", "MAINTAINERS", "mm/highmem.c", "include/linux/highmem.h", "arch/x86/mm/init_32.c"] {
            assert!(is_hot(hot, &ported), "{hot}");
        }
        for cold in ["drivers/gpu/drm/drm_gem.c", "arch/arm64/mm/init.c", "kernel/sched/core.c"] {
            assert!(!is_hot(cold, &ported), "{cold}");
        }
        let all = with_ancestors(BTreeSet::from(["arch/x86/mm/init_32.c".to_string()]));
        assert_eq!(
            all.into_iter().collect::<Vec<_>>(),
            ["", "arch", "arch/x86", "arch/x86/mm", "arch/x86/mm/init_32.c"]
        );
    }
}
