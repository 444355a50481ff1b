//! Progress on long work, on stderr: a spinner with the elapsed time per
//! step on a terminal; one plain line per step otherwise, so a CI log
//! shows where the time goes. `--quiet` turns both off.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is shown at all (`--quiet` turns it off).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub enabled: bool,
}

/// One running step; a spinner clears itself when dropped.
pub enum Step {
    Hidden,
    /// Outside a terminal: each message is a line of its own.
    Lines,
    Spinner(ProgressBar),
}

impl Progress {
    /// Starts a step.
    pub fn step(&self, message: impl Into<String>) -> Step {
        let message = message.into();
        if !self.enabled {
            return Step::Hidden;
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("{message}");
            return Step::Lines;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"));
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Step::Spinner(bar)
    }

    /// Starts step `n` of `total` (`[3/10] port arm`).
    pub fn step_of(&self, n: usize, total: usize, message: impl Into<String>) -> Step {
        self.step(format!("[{n}/{total}] {}", message.into()))
    }
}

impl Step {
    pub fn set_message(&self, message: impl Into<String>) {
        match self {
            Step::Hidden => {}
            Step::Lines => eprintln!("{}", message.into()),
            Step::Spinner(bar) => bar.set_message(message.into()),
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Step::Spinner(bar) = self {
            bar.finish_and_clear();
        }
    }
}
