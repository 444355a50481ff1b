//! Deciding, hunk by hunk, what belongs to the kmap_local conversion.
//!
//! The RT patch mixes the conversion with unrelated realtime work, often
//! in the same file (a Kconfig gets both `select KMAP_LOCAL` and `select
//! ARCH_SUPPORTS_RT`). A hunk is taken when its changed lines name the
//! kmap machinery; left when they name realtime machinery; and a hunk that
//! names neither is taken only when it sits in a file whose other hunks
//! were taken (the conversion's cleanups, such as the `kdump_buf_page`
//! bounce buffer that kmap_local made unnecessary). Every decision carries
//! the word that made it, so a reviewer can audit the split.

use std::sync::OnceLock;

use regex::bytes::Regex;
use serde::Serialize;

use crate::patch::{FilePatch, Hunk};

/// Why a hunk was taken or left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", content = "word", rename_all = "snake_case")]
pub enum Reason {
    /// Its changed lines name the kmap machinery (the word that matched).
    Kmap(String),
    /// Its changed lines name realtime machinery (the word that matched).
    Realtime(String),
    /// It names both: never taken, since a taken hunk must carry no
    /// realtime change. Reported so the split can be fixed by hand.
    Mixed(String),
    /// It names neither, in a file with kmap hunks: a cleanup of the
    /// conversion.
    SameFile,
    /// It names neither, in a file without kmap hunks.
    Unrelated,
}

impl Reason {
    pub fn is_taken(&self) -> bool {
        matches!(self, Reason::Kmap(_) | Reason::SameFile)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Kmap(w) => write!(f, "kmap: `{w}`"),
            Reason::Realtime(w) => write!(f, "realtime: `{w}`"),
            Reason::Mixed(w) => write!(f, "mixed kmap and realtime: `{w}`"),
            Reason::SameFile => f.write_str("cleanup in a kmap file"),
            Reason::Unrelated => f.write_str("unrelated"),
        }
    }
}

fn kmap_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)kmap|highmem|fixmap|\bKM_TYPE_NR\b|\bKM_MAX_IDX\b|iomap_atomic|iounmap_atomic").unwrap()
    })
}

fn realtime_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"PREEMPT_RT|PREEMPT_LAZY|NEED_RESCHED_LAZY|preempt_lazy|ARCH_SUPPORTS_RT|POSIX_CPU_TIMERS_TASK_WORK|local_lock|printk_nmi",
        )
        .unwrap()
    })
}

fn first_match(re: &Regex, hunk: &Hunk) -> Option<String> {
    hunk.changed_lines().find_map(|l| re.find(&l.text).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()))
}

/// Classifies every hunk of one file, in order.
pub fn classify_file(file: &FilePatch) -> Vec<Reason> {
    let direct: Vec<Option<Reason>> = file
        .hunks
        .iter()
        .map(|h| match (first_match(kmap_words(), h), first_match(realtime_words(), h)) {
            (Some(_), Some(rt)) => Some(Reason::Mixed(rt)),
            (Some(k), None) => Some(Reason::Kmap(k)),
            (None, Some(rt)) => Some(Reason::Realtime(rt)),
            (None, None) => None,
        })
        .collect();
    let file_is_kmap = direct.iter().any(|r| matches!(r, Some(Reason::Kmap(_))));
    direct.into_iter().map(|r| r.unwrap_or(if file_is_kmap { Reason::SameFile } else { Reason::Unrelated })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patch;

    fn classes(patch: &str) -> Vec<String> {
        let p = parse_patch(patch.as_bytes()).unwrap();
        classify_file(&p.files[0]).iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn kconfig_takes_kmap_and_leaves_realtime() {
        let patch = "\
--- a/arch/x/Kconfig
+++ b/arch/x/Kconfig
@@ -1,2 +1,3 @@ config X
 \tselect A
+\tselect ARCH_SUPPORTS_RT
 \tselect B
@@ -10,2 +11,3 @@ config HIGHMEM
 \tbool \"High Memory Support\"
+\tselect KMAP_LOCAL
 \thelp
";
        assert_eq!(classes(patch), ["realtime: `ARCH_SUPPORTS_RT`", "kmap: `KMAP`"]);
    }

    #[test]
    fn cleanup_follows_its_file() {
        let patch = "\
--- a/arch/x/kernel/crash_dump.c
+++ b/arch/x/kernel/crash_dump.c
@@ -1,3 +1,1 @@
-static void *kdump_buf_page;
-
 int x;
@@ -10,1 +8,1 @@
-\tvaddr = kmap_atomic_pfn(pfn);
+\tvaddr = kmap_local_pfn(pfn);
";
        assert_eq!(classes(patch), ["cleanup in a kmap file", "kmap: `kmap`"]);
    }

    #[test]
    fn unrelated_file_and_mixed_hunk_are_left() {
        let unrelated = "--- a/arch/x/irq.c\n+++ b/arch/x/irq.c\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(classes(unrelated), ["unrelated"]);
        let mixed =
            "--- a/arch/x/Kconfig\n+++ b/arch/x/Kconfig\n@@ -1 +1,2 @@\n a\n+\tselect KMAP_LOCAL if !PREEMPT_RT\n";
        assert_eq!(classes(mixed), ["mixed kmap and realtime: `PREEMPT_RT`"]);
        assert!(!Reason::Mixed(String::new()).is_taken());
    }
}
