//! Progress on long work, on stderr. `--quiet` turns it off.
//!
//! Outside a terminal (a CI log, a pipe) each step is one plain line as
//! it starts (`[3/10] port arm`, `fetch: downloading linux-source-5.10
//! (about 120 MB)`), so the log shows where the time goes. On a
//! terminal a step is a spinner with its elapsed time (from 0 for each
//! step), a run over the arches is one bar with `N/10`, a download shows
//! the bytes it has so far; every line fits 80 columns, and a finished
//! step leaves one summary line with its time, which stays on screen.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is shown at all (`--quiet` turns it off).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub enabled: bool,
}

/// The widest line progress draws on a terminal.
pub const WIDTH: usize = 80;

/// One running step; on a terminal it leaves its summary line when
/// dropped.
pub enum Step {
    Hidden,
    /// Outside a terminal: each message is a line of its own.
    Lines,
    Spinner(ProgressBar, Option<Watcher>),
}

/// A run of numbered steps (`[3/10] port arm`): one bar on a terminal.
pub enum Bar {
    Hidden,
    Lines { total: usize },
    Bar(ProgressBar),
}

/// Polls the size of a folder while a download fills it.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn on_terminal(&self) -> Option<bool> {
        self.enabled.then(|| std::io::stderr().is_terminal())
    }

    /// Starts a step.
    pub fn step(&self, message: impl Into<String>) -> Step {
        let message = message.into();
        match self.on_terminal() {
            None => Step::Hidden,
            Some(false) => {
                eprintln!("{message}");
                Step::Lines
            }
            Some(true) => Step::Spinner(spinner("{spinner} {msg} {elapsed}", &message), None),
        }
    }

    /// Starts a download into `folder`: on a terminal, the bytes it has
    /// so far are shown as they grow.
    pub fn download(&self, message: impl Into<String>, folder: &Path) -> Step {
        let mut step = self.step(message);
        if let Step::Spinner(bar, watcher) = &mut step {
            bar.set_style(style("{spinner} {msg} {bytes} ({binary_bytes_per_sec}) {elapsed}"));
            *watcher = Some(Watcher::start(bar.clone(), folder.to_path_buf()));
        }
        step
    }

    /// Starts a run of `total` numbered steps.
    pub fn bar(&self, total: usize) -> Bar {
        match self.on_terminal() {
            None => Bar::Hidden,
            Some(false) => Bar::Lines { total },
            Some(true) => {
                let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
                bar.set_style(style("[{bar:20}] {pos}/{len} {msg} {elapsed}").progress_chars("=> "));
                bar.enable_steady_tick(Duration::from_millis(120));
                Bar::Bar(bar)
            }
        }
    }

    /// Starts step `n` of `total` on its own (`[3/10] checkpatch arm`).
    pub fn step_of(&self, n: usize, total: usize, message: impl Into<String>) -> Step {
        self.step(format!("[{n}/{total}] {}", message.into()))
    }
}

impl Bar {
    /// Step `n` (from 1) starts.
    pub fn start(&self, n: usize, message: &str) {
        match self {
            Bar::Hidden => {}
            Bar::Lines { total } => eprintln!("[{n}/{total}] {message}"),
            Bar::Bar(bar) => {
                bar.set_position(n as u64);
                bar.set_message(fit(message, WIDTH - 44));
            }
        }
    }

    /// The run is over: on a terminal the bar gives way to `summary`
    /// and the time the run took, which stay.
    pub fn finish(self, summary: &str) {
        if let Bar::Bar(bar) = &self {
            bar.finish_and_clear();
            eprintln!("{}", done(summary, bar.elapsed()));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Bar::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Step {
    /// Replaces the step's message (outside a terminal: a new line).
    pub fn set_message(&self, message: impl Into<String>) {
        match self {
            Step::Hidden => {}
            Step::Lines => eprintln!("{}", message.into()),
            Step::Spinner(bar, _) => bar.set_message(fit(&message.into(), WIDTH - 30)),
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Step::Spinner(bar, watcher) = self {
            drop(watcher.take());
            bar.finish_and_clear();
            eprintln!("{}", done(&bar.message(), bar.elapsed()));
        }
    }
}

impl Watcher {
    fn start(bar: ProgressBar, folder: PathBuf) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = stop.clone();
        let thread = std::thread::spawn(move || {
            while !seen.load(Ordering::Relaxed) {
                bar.set_position(folder_size(&folder));
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Watcher { stop, thread: Some(thread) }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The bytes of every file below `folder`.
fn folder_size(folder: &Path) -> u64 {
    walkdir::WalkDir::new(folder)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("a valid template")
}

fn spinner(template: &str, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(style(template));
    bar.set_message(fit(message, WIDTH - 30));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The line a finished step leaves: what it did and how long it took.
fn done(message: &str, elapsed: Duration) -> String {
    let time = format!(" ({:.1} s)", elapsed.as_secs_f64());
    format!("{}{time}", fit(message, WIDTH - time.len()))
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_to_fit_and_a_finished_step_says_how_long_it_took() {
        assert_eq!(fit("port arm", 20), "port arm");
        let long = "arm: config multi_v7: building arch/arm/mm/highmem.o arch/arm/mm/cache-feroceon-l2.o";
        assert_eq!(fit(long, 30).chars().count(), 30);
        assert!(fit(long, 30).ends_with('…'));
        let line = done(long, Duration::from_millis(4250));
        assert!(line.ends_with(" (4.2 s)") || line.ends_with(" (4.3 s)"), "{line}");
        assert!(line.chars().count() <= WIDTH, "{line}");
    }
}
