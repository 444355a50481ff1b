//! Running one stage over the selected arches, with one failure policy.
//!
//! Every command works arch by arch. An arch that fails (its descriptor
//! does not load, an edit cannot be placed, its files cannot be read)
//! does not stop the others: its error is kept with the arch it belongs
//! to, the stage goes on, and the command decides what the failures mean
//! for its output (see `cli`: a per-arch output is written for the arches
//! that worked, a whole output such as a series is not written at all;
//! either way the exit status is 2 and each failure is named).

use crate::arch::Arch;
use crate::progress::Progress;

/// One arch's failure.
#[derive(Debug)]
pub struct Failure {
    pub arch: Arch,
    pub error: anyhow::Error,
}

impl std::fmt::Display for Failure {
    /// The error, with the arch in front unless the message already says it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = format!("{:#}", self.error);
        if message.starts_with(&format!("{}:", self.arch)) {
            f.write_str(&message)
        } else {
            write!(f, "{}: {message}", self.arch)
        }
    }
}

/// What a stage gave for each arch.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The arches that worked, in the order they were run.
    pub done: Vec<T>,
    pub failed: Vec<Failure>,
}

/// Runs `stage` for each arch, showing `label` as progress.
pub fn each<T>(
    arches: &[Arch],
    progress: Progress,
    label: impl Fn(Arch) -> String,
    mut stage: impl FnMut(Arch) -> anyhow::Result<T>,
) -> Outcome<T> {
    let mut out = Outcome { done: Vec::new(), failed: Vec::new() };
    let bar = progress.bar(arches.len());
    for (i, &arch) in arches.iter().enumerate() {
        bar.start(i + 1, &label(arch));
        match stage(arch) {
            Ok(t) => out.done.push(t),
            Err(error) => out.failed.push(Failure { arch, error }),
        }
    }
    let failed = match out.failed.len() {
        0 => String::new(),
        n => format!(", {n} failed"),
    };
    bar.finish(&format!("{} of {} arches done{failed}", out.done.len(), arches.len()));
    out
}

impl<T> Outcome<T> {
    /// Every arch's result, or one error naming each arch that failed:
    /// for outputs that are whole or nothing.
    pub fn all(self, what: &str) -> anyhow::Result<Vec<T>> {
        if self.failed.is_empty() {
            return Ok(self.done);
        }
        let total = self.done.len() + self.failed.len();
        let lines: Vec<String> = self.failed.iter().map(|f| f.to_string()).collect();
        anyhow::bail!("{} of {total} arches failed, so {what}:\n  {}", self.failed.len(), lines.join("\n  "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arch_runs_and_failures_keep_their_arch() {
        let outcome = each(
            &Arch::ALL,
            Progress { enabled: false },
            |a| a.to_string(),
            |a| match a {
                Arch::Arm => anyhow::bail!("arm: no such file"),
                Arch::Mips => anyhow::bail!("no descriptor"),
                a => Ok(a),
            },
        );
        assert_eq!(outcome.done.len(), 8);
        let shown: Vec<String> = outcome.failed.iter().map(|f| f.to_string()).collect();
        assert_eq!(shown, ["arm: no such file", "mips: no descriptor"]);
        let err = outcome.all("no series is written").unwrap_err().to_string();
        assert!(err.starts_with("2 of 10 arches failed, so no series is written:\n  arm: no such file"), "{err}");
    }
}
