//! Progress on long work: a spinner per step on a terminal, nothing
//! otherwise (so logs and pipes stay clean).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is drawn at all (`--quiet` turns it off).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub enabled: bool,
}

/// One running step; it clears itself when dropped.
pub struct Step(ProgressBar);

impl Progress {
    pub fn step(&self, message: impl Into<String>) -> Step {
        let bar = if self.enabled {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").unwrap());
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        Step(bar)
    }
}

impl Step {
    pub fn set_message(&self, message: impl Into<String>) {
        self.0.set_message(message.into());
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
