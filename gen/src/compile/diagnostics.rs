//! Reading a build's output: gcc's `file:line:col: error|warning:` lines
//! mapped back to tree paths and sorted into the port's touched files and
//! the rest, and what `make` said about the objects it was asked for.
//!
//! Runs with `LC_ALL=C`, so gcc's messages are plain ASCII-quoted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One error or warning, at a tree path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// Tree-relative path; a generated file of the build folder is
    /// `(build)/PATH`; what gcc read from a pipe is `<stdin>`.
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
    pub severity: Severity,
    pub message: String,
    /// Whether `file` is one the port touches.
    pub touched: bool,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let column = self.column.map(|c| format!(":{c}")).unwrap_or_default();
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}{column}: {severity}: {}", self.file, self.line, self.message)
    }
}

/// Where the paths in a build's output point, to turn them back into
/// tree paths.
#[derive(Clone, Debug)]
pub struct PathMap {
    /// The scratch tree the build reads (`srctree`).
    pub tree: PathBuf,
    /// Folders holding rewritten copies of tree folders (the front end's
    /// headers with global register variables made plain), each with the
    /// tree folder it stands for.
    pub shadows: Vec<(PathBuf, String)>,
}

impl PathMap {
    /// The tree path gcc's `path` stands for.
    fn tree_path(&self, path: &str) -> String {
        let p = Path::new(path);
        if p.is_relative() {
            // The compiler runs in the build folder: a relative path is a
            // generated file there (sources come as absolute paths).
            return if path.starts_with('<') {
                path.to_string()
            } else {
                format!("(build)/{}", path.trim_start_matches("./"))
            };
        }
        if let Ok(rel) = p.strip_prefix(&self.tree) {
            return rel.to_string_lossy().into_owned();
        }
        for (dir, stands_for) in &self.shadows {
            if let Ok(rel) = p.strip_prefix(dir) {
                return format!("{stands_for}/{}", rel.to_string_lossy());
            }
        }
        path.to_string()
    }
}

/// Every distinct error and warning in `output`, in order of appearance.
pub fn parse(output: &str, map: &PathMap, touched: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for line in output.lines() {
        let Some(d) = parse_line(line, map, touched) else { continue };
        if seen.insert(d.clone()) {
            out.push(d);
        }
    }
    out
}

/// `path:line[:col]: (error|fatal error|warning): message`.
fn parse_line(line: &str, map: &PathMap, touched: &BTreeSet<String>) -> Option<Diagnostic> {
    let (place, rest) = [": fatal error: ", ": error: ", ": warning: "]
        .iter()
        .find_map(|sep| line.find(sep).map(|i| ((&line[..i], sep), &line[i + sep.len()..])))?;
    let (place, sep) = place;
    let severity = if sep.contains("warning") { Severity::Warning } else { Severity::Error };
    let mut parts = place.rsplitn(3, ':');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next());
    let (file, line_no, column) = match (c, a.parse::<u32>(), b.parse::<u32>()) {
        (Some(file), Ok(col), Ok(l)) => (file, l, Some(col)),
        _ => {
            // `path:line: ...` (no column).
            let l = a.parse::<u32>().ok()?;
            (place.strip_suffix(&format!(":{a}"))?, l, None)
        }
    };
    if file.is_empty() || file.contains(' ') {
        return None;
    }
    let file = map.tree_path(file);
    Some(Diagnostic {
        touched: touched.contains(&file),
        file,
        line: line_no,
        column,
        severity,
        message: rest.trim().to_string(),
    })
}

/// Targets `make` has no rule for: objects the configuration does not
/// build (`No rule to make target 'X'.` without `needed by`).
pub fn unbuildable_targets(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter(|l| !l.contains("needed by"))
        .filter_map(|l| l.split_once("No rule to make target '").map(|(_, r)| r))
        .filter_map(|r| r.split_once('\'').map(|(t, _)| t.to_string()))
        .collect()
}

/// The first `n` lines that say something failed, for a failure no
/// diagnostic in a touched file explains.
pub fn first_error_lines(output: &str, n: usize) -> Vec<String> {
    output
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            (l.contains("error") || l.contains("***") || l.contains("fatal")) && !l.contains("warnings being treated")
        })
        .take(n)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> PathMap {
        PathMap {
            tree: PathBuf::from("/c/build/arm/tree"),
            shadows: vec![(PathBuf::from("/c/build/mb/front-end/shadow"), "arch/microblaze/include".into())],
        }
    }

    fn touched() -> BTreeSet<String> {
        ["arch/microblaze/mm/init.c".to_string()].into()
    }

    #[test]
    fn an_error_in_a_touched_file_keeps_its_place() {
        let out = "/c/build/arm/tree/arch/microblaze/mm/init.c:71:2: error: #endif without #if\n   71 | #endif\n";
        let d = parse(out, &map(), &touched());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].to_string(), "arch/microblaze/mm/init.c:71:2: error: #endif without #if");
        assert!(d[0].touched);
    }

    #[test]
    fn other_files_generated_files_and_shadows_map_to_their_tree_paths() {
        let out = "/c/build/arm/tree/mm/highmem.c:5: warning: unused\n\
                   ./include/generated/x.h:3:1: fatal error: y.h: No such file or directory\n\
                   /c/build/mb/front-end/shadow/asm/current.h:21:1: error: bad\n\
                   <stdin>:1511:2: warning: #warning syscall clone3 not implemented [-Wcpp]\n\
                   cc1: some warnings being treated as errors\n";
        let d: Vec<String> = parse(out, &map(), &touched()).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            d,
            [
                "mm/highmem.c:5: warning: unused",
                "(build)/include/generated/x.h:3:1: error: y.h: No such file or directory",
                "arch/microblaze/include/asm/current.h:21:1: error: bad",
                "<stdin>:1511:2: warning: #warning syscall clone3 not implemented [-Wcpp]",
            ]
        );
    }

    #[test]
    fn a_diagnostic_repeated_by_several_objects_is_kept_once() {
        let line = "/c/build/arm/tree/arch/microblaze/mm/init.c:1:1: warning: w\n";
        assert_eq!(parse(&line.repeat(3), &map(), &touched()).len(), 1);
    }

    #[test]
    fn targets_without_a_rule_are_the_unconfigured_objects() {
        let out = "make[4]: *** No rule to make target 'arch/arm/mm/cache-xsc3l2.o'.\n\
                   make[2]: *** No rule to make target 'a.h', needed by 'b.o'.  Stop.\n";
        assert_eq!(unbuildable_targets(out), ["arch/arm/mm/cache-xsc3l2.o".to_string()].into());
    }
}
