//! Running one stage over the selected arches, with one failure policy.
//!
//! Every command works arch by arch. An arch that fails (its descriptor
//! does not load, an edit cannot be placed, its files cannot be read)
//! does not stop the others: its error is kept with the arch it belongs
//! to, the stage goes on, and the command decides what the failures mean
//! for its output (see `cli`: a per-arch output is written for the arches
//! that worked, a whole output such as a series is not written at all;
//! either way the exit status is 2 and each failure is named).

use std::sync::Mutex;

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

/// Runs `stage` for each arch, showing `label` as progress. The arches
/// are independent, so they are spread over the machine's cores; the
/// outcome keeps them in the order given, whatever order they finish in.
pub fn each<T: Send>(
    arches: &[Arch],
    progress: Progress,
    label: impl Fn(Arch) -> String + Sync,
    stage: impl Fn(Arch) -> anyhow::Result<T> + Sync,
) -> Outcome<T> {
    each_heaviest_first(arches, |_| 0, progress, label, stage)
}

/// [`each`], starting the arches in decreasing `weight` (the work each
/// is expected to take): the longest ones start first and short ones
/// fill in at the end, so no core is left with a long arch while the
/// other has finished (x86 alone is a quarter of `port`'s work).
pub fn each_heaviest_first<T: Send>(
    arches: &[Arch],
    weight: impl Fn(Arch) -> u64,
    progress: Progress,
    label: impl Fn(Arch) -> String + Sync,
    stage: impl Fn(Arch) -> anyhow::Result<T> + Sync,
) -> Outcome<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(arches.len());
    if workers <= 1 {
        return each_in_turn(arches, progress, label, stage);
    }
    let mut order: Vec<usize> = (0..arches.len()).collect();
    // Each weight once: it may read the tree.
    order.sort_by_cached_key(|&i| std::cmp::Reverse(weight(arches[i])));
    // How many arches have started, taken under the lock that also
    // announces the next one, so progress lines come in order.
    let started = Mutex::new(0);
    let bar = progress.bar(arches.len());
    let take = || {
        let mut started = started.lock().unwrap_or_else(|e| e.into_inner());
        let i = *order.get(*started)?;
        *started += 1;
        bar.start(*started, &label(arches[i]));
        Some(i)
    };
    let mut results: Vec<Option<anyhow::Result<T>>> = std::iter::repeat_with(|| None).take(arches.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(i) = take() {
                        done.push((i, stage(arches[i])));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            // A panic in a stage is a bug: let it surface as one.
            for (i, r) in worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)) {
                results[i] = Some(r);
            }
        }
    });
    let mut out = Outcome { done: Vec::new(), failed: Vec::new() };
    for (&arch, r) in arches.iter().zip(results) {
        match r.expect("every arch was taken by a worker") {
            Ok(t) => out.done.push(t),
            Err(error) => out.failed.push(Failure { arch, error }),
        }
    }
    bar.finish(&out.summary());
    out
}

/// Runs `stage` for each arch, one after the other: for stages that
/// use every core themselves (`compile` runs `make -jN`).
pub fn each_in_turn<T>(
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
    bar.finish(&out.summary());
    out
}

impl<T> Outcome<T> {
    /// What stays on a terminal when the run is over.
    fn summary(&self) -> String {
        let failed = match self.failed.len() {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        format!("{} of {} arches done{failed}", self.done.len(), self.done.len() + self.failed.len())
    }

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
    fn arches_run_side_by_side_and_keep_their_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let outcome = each(
            &Arch::ALL,
            Progress { enabled: false },
            |a| a.to_string(),
            |a| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // The first arches take longest, so they finish last.
                let slow = Arch::ALL.len() - Arch::ALL.iter().position(|&b| b == a).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(5 * slow as u64));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(a)
            },
        );
        assert_eq!(outcome.done, Arch::ALL, "the outcome keeps the order given");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(most.into_inner() > 1, cores > 1, "arches run side by side on {cores} cores");
    }

    #[test]
    fn the_heaviest_arches_start_first_and_the_outcome_keeps_the_order_given() {
        let started = Mutex::new(Vec::new());
        // x86 weighs most, then arm; the rest weigh alike and keep their order.
        let weight = |a: Arch| match a {
            Arch::X86 => 2,
            Arch::Arm => 1,
            _ => 0,
        };
        let outcome = each_heaviest_first(
            &Arch::ALL,
            weight,
            Progress { enabled: false },
            |a| {
                started.lock().unwrap().push(a);
                a.to_string()
            },
            Ok,
        );
        assert_eq!(outcome.done, Arch::ALL);
        let started = started.into_inner().unwrap();
        if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
            let mut expected = vec![Arch::X86, Arch::Arm];
            expected.extend(Arch::ALL.iter().filter(|a| weight(**a) == 0));
            assert_eq!(started, expected);
        } else {
            assert_eq!(started, Arch::ALL, "one core: in the order given");
        }
    }

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
