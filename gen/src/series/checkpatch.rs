//! `series --check`: the tree's own `scripts/checkpatch.pl` on every
//! patch of a series, as `b4 prep --check` runs it, with its findings
//! per patch. It is code from the tree, so it runs only when asked, the
//! way [`super::tree_script`] runs the tree's scripts.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};
use serde::Serialize;

use super::tree_script;

const SCRIPT: &str = "scripts/checkpatch.pl";

/// What checkpatch.pl says about one patch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    pub errors: usize,
    pub warnings: usize,
    pub checks: usize,
    /// Each finding as `LINE: LEVEL: message` (the line in the patch file).
    pub lines: Vec<String>,
}

/// Runs the tree's checkpatch.pl on `patch` (a mail of the series),
/// stopped after `timeout`.
pub fn check(tree: &Path, patch: &[u8], timeout: Duration) -> Result<Findings> {
    let out = tree_script::run_perl(tree, SCRIPT, &["--terse"], patch, timeout)?;
    let text = String::from_utf8_lossy(&out.stdout);
    // checkpatch.pl exits 1 when it finds anything; only output without
    // its totals means it did not run through.
    match parse(&text) {
        Some(f) => Ok(f),
        None => bail!(
            "{SCRIPT} in {} ({}) printed no totals: {}",
            tree.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

/// Reads `--terse` output: `FILE:LINE: LEVEL: message` per finding, then
/// `total: E errors, W warnings[, C checks], N lines checked`.
pub fn parse(output: &str) -> Option<Findings> {
    let mut f = Findings::default();
    let mut total = false;
    for line in output.lines() {
        if let Some(counts) = line.strip_prefix("total: ") {
            total = true;
            for part in counts.split(", ") {
                let mut words = part.split_whitespace();
                let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse().ok()), words.next()) else { continue };
                match what.trim_end_matches('s') {
                    "error" => f.errors = n,
                    "warning" => f.warnings = n,
                    "check" => f.checks = n,
                    _ => {}
                }
            }
        } else if let Some(k) = ["ERROR: ", "WARNING: ", "CHECK: "].iter().find_map(|l| line.find(&format!(": {l}"))) {
            // `FILE:LINE` before the level; keep the line number.
            let place = &line[..k];
            let number = place.rsplit(':').next().filter(|n| n.chars().all(|c| c.is_ascii_digit()));
            let finding = &line[k + 2..];
            f.lines.push(match number {
                Some(n) => format!("{n}: {finding}"),
                None => finding.to_string(),
            });
        }
    }
    total.then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terse_output_is_read_per_finding_with_its_totals() {
        let out = "/tmp/x/input:135: WARNING: usage of NR_CPUS is often wrong - consider using cpu_possible()\n\
/tmp/x/input:200: WARNING: added, moved or deleted file(s), does MAINTAINERS need updating?\n\
/tmp/x/input:12: ERROR: trailing whitespace\n\
total: 1 errors, 2 warnings, 303 lines checked\n";
        let f = parse(out).unwrap();
        assert_eq!((f.errors, f.warnings, f.checks), (1, 2, 0));
        assert_eq!(f.lines[0], "135: WARNING: usage of NR_CPUS is often wrong - consider using cpu_possible()");
        assert_eq!(f.lines[2], "12: ERROR: trailing whitespace");
        assert_eq!(parse("total: 0 errors, 0 warnings, 2 checks, 9 lines checked\n").unwrap().checks, 2);
        assert_eq!(parse("Can't open input\n"), None);
    }
}
