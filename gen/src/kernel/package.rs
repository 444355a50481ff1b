//! The Debian packages archport fetches, and what each one holds.
//!
//! `linux-source-5.10` (bullseye) ships the 5.10 tree and the PREEMPT_RT
//! patch that carries the golden ports, so its cache entry holds the base
//! tree, the RT patch and the golden and pre-port trees built from them.
//! `linux-source-6.1` (bookworm) ships only its tree, which already has
//! the generic kmap_local code and the ported arches: its entry is that
//! one tree. Nothing here does I/O.

use std::cmp::Ordering;
use std::fmt;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// Which kernel line to fetch: `--kernel 5.10|6.1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, ValueEnum, Serialize)]
pub enum Kernel {
    /// Debian bullseye's linux-source-5.10 with the RT patch: base, golden and pre-port trees.
    #[default]
    #[value(name = "5.10")]
    #[serde(rename = "5.10")]
    V5_10,
    /// Debian bookworm's linux-source-6.1: one tree, already ported.
    #[value(name = "6.1")]
    #[serde(rename = "6.1")]
    V6_1,
}

/// What a cache entry holds besides `meta.json` and the manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `base/`, `rt.patch`, and `golden/` and `pre-port/` built from them.
    Rt,
    /// `base/` alone: the tree as shipped.
    Tree,
}

impl Kernel {
    /// `5.10`: the upstream series, also the prefix every version must have.
    pub fn series(self) -> &'static str {
        match self {
            Kernel::V5_10 => "5.10",
            Kernel::V6_1 => "6.1",
        }
    }

    /// The Debian binary package, which is also the cache folder's name.
    pub fn package(self) -> &'static str {
        match self {
            Kernel::V5_10 => "linux-source-5.10",
            Kernel::V6_1 => "linux-source-6.1",
        }
    }

    /// The Debian release and its security suite.
    pub fn suites(self) -> [&'static str; 2] {
        match self {
            Kernel::V5_10 => ["bullseye", "bullseye-security"],
            Kernel::V6_1 => ["bookworm", "bookworm-security"],
        }
    }

    pub fn layout(self) -> Layout {
        match self {
            Kernel::V5_10 => Layout::Rt,
            Kernel::V6_1 => Layout::Tree,
        }
    }

    /// The tarball under `usr/src/` in the package; it unpacks into a
    /// folder of the package's name.
    pub fn tarball(self) -> String {
        format!("{}.tar.xz", self.package())
    }

    /// The compressed RT patch under `usr/src/`, for the layout that
    /// has one (`dpkg-deb -c` of linux-source-6.1 6.1.192-3 lists only
    /// the tarball).
    pub fn rt_patch(self) -> Option<String> {
        (self.layout() == Layout::Rt).then(|| format!("linux-patch-{}-rt.patch.xz", self.series()))
    }

    /// The `VERSION =` and `PATCHLEVEL =` of its top-level Makefile.
    pub fn makefile_version(self) -> (&'static str, &'static str) {
        match self {
            Kernel::V5_10 => ("5", "10"),
            Kernel::V6_1 => ("6", "1"),
        }
    }

    /// Whether a Debian version belongs to this line: `5.10.262-1`.
    pub fn accepts(self, version: &str) -> bool {
        version.strip_prefix(self.series()).is_some_and(|rest| rest.starts_with('.'))
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.series())
    }
}

/// What a fetched cache entry records about itself (`meta.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub package: String,
    pub version: String,
}

/// Whether `name` can be a version folder: a Debian version, never a
/// path (`..`, `/x`, `a/b`) and never a hidden name.
pub fn is_version_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
}

/// Orders Debian-like versions with numbers compared as numbers
/// (`5.10.99-1` < `5.10.262-1`); enough to choose among cache entries.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let number = |s: &str| s.trim_start_matches('0').len();
    for (x, y) in parts(a).into_iter().zip(parts(b)) {
        let order = match (x, y) {
            ((true, x), (true, y)) => {
                number(x).cmp(&number(y)).then_with(|| x.trim_start_matches('0').cmp(y.trim_start_matches('0')))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_are_never_paths() {
        for bad in ["", ".", "..", "../x", "/abs", "a/b", ".hidden", "5.10 1", "x\n"] {
            assert!(!is_version_name(bad), "{bad:?}");
        }
        assert!(is_version_name("5.10.262-1"));
        assert!(is_version_name("1:6.1.192-3+deb12u1"));
    }

    #[test]
    fn versions_compare_numbers_as_numbers() {
        assert_eq!(compare_versions("5.10.99-1", "5.10.262-1"), Ordering::Less);
        assert_eq!(compare_versions("5.10.262-2", "5.10.262-1"), Ordering::Greater);
        assert_eq!(compare_versions("5.10.262-1", "5.10.262-1"), Ordering::Equal);
    }

    #[test]
    fn a_line_accepts_only_its_own_versions() {
        assert!(Kernel::V5_10.accepts("5.10.262-1"));
        assert!(!Kernel::V5_10.accepts("5.100.1-1"));
        assert!(Kernel::V6_1.accepts("6.1.192-3"));
        assert!(!Kernel::V6_1.accepts("6.10.1-1"));
    }
}
