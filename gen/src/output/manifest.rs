//! The record of what archport wrote into a folder, kept in the folder.
//!
//! Each output folder holds `.archport-manifest`: for every file archport
//! wrote there, the SHA-1 of its content, one `HASH  PATH` line each (the
//! format `sha1sum -c` reads). A file counts as archport's own only when
//! the manifest lists it with the content it has now; anything else, a
//! file a user put there or edited afterwards, is never deleted or
//! replaced. While a batch of writes is in progress the manifest lists a
//! path with its old and its new hash and says so in a comment, so a run
//! killed half-way still recognises both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// The manifest's file name.
pub const MANIFEST: &str = ".archport-manifest";

const HEADER: &str = "# Files archport wrote here, with their SHA-1; archport deletes or replaces no other file.\n";
const INCOMPLETE: &str = "# incomplete: a write was interrupted; a path listed twice may hold either content\n";

/// What archport wrote into one folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Path relative to the folder -> every content hash it may hold.
    entries: BTreeMap<String, BTreeSet<String>>,
    /// False while a batch of writes is in progress.
    pub complete: bool,
}

/// The SHA-1 of `bytes`, in hex.
pub fn hash(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

impl Manifest {
    /// The manifest of `dir`; an empty one when the folder has none.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest { complete: true, ..Default::default() })
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut m = Manifest { entries: BTreeMap::new(), complete: !text.contains(INCOMPLETE.trim_end()) };
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.is_empty()) {
            let Some((hash, rel)) = line.split_once("  ").filter(|(h, _)| h.len() == 40) else {
                bail!(
                    "{}:{}: not a `SHA1  PATH` line; delete the file to start the folder afresh",
                    path.display(),
                    n + 1
                );
            };
            m.entries.entry(rel.to_string()).or_default().insert(hash.to_string());
        }
        Ok(m)
    }

    /// Writes the manifest into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut text = String::from(HEADER);
        if !self.complete {
            text.push_str(INCOMPLETE);
        }
        for (rel, hashes) in &self.entries {
            for h in hashes {
                text.push_str(&format!("{h}  {rel}\n"));
            }
        }
        super::atomic::write_atomic(&dir.join(MANIFEST), text.as_bytes())
    }

    /// Whether archport wrote `rel` with content hashing to `hash`.
    pub fn lists(&self, rel: &str, hash: &str) -> bool {
        self.entries.get(rel).is_some_and(|h| h.contains(hash))
    }

    /// Records that `rel` may now also hold `hash` (a write in progress).
    pub fn also(&mut self, rel: &str, hash: String) {
        self.entries.entry(rel.to_string()).or_default().insert(hash);
    }

    /// Records that `rel` holds exactly `hash`.
    pub fn set(&mut self, rel: &str, hash: String) {
        self.entries.insert(rel.to_string(), BTreeSet::from([hash]));
    }

    /// Forgets `rel`.
    pub fn forget(&mut self, rel: &str) {
        self.entries.remove(rel);
    }

    /// Every path listed.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_as_sha1sum_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest { complete: false, ..Default::default() };
        m.also("arm/a.c", hash(b"old"));
        m.also("arm/a.c", hash(b"new"));
        m.set("arm.diff", hash(b"diff"));
        m.write(dir.path()).unwrap();
        let back = Manifest::read(dir.path()).unwrap();
        assert_eq!(back, m);
        assert!(back.lists("arm/a.c", &hash(b"old")) && back.lists("arm/a.c", &hash(b"new")));
        assert!(!back.lists("arm/a.c", &hash(b"edited")));
        let text = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
        assert!(text.contains(&format!("{}  arm.diff\n", hash(b"diff"))), "{text}");
    }

    #[test]
    fn a_garbled_line_names_the_manifest_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), "# header\nnot a line\n").unwrap();
        let err = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains(".archport-manifest:2:"), "{err}");
    }
}
