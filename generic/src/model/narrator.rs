//! Collects what a transition did, in words, when a trace is being told.
//!
//! The search runs every transition silently; only the replay of a
//! counterexample's path records, so the search never formats a string.

use super::trace::{Event, HookCall};

/// Records the events of one transition, or ignores them.
#[derive(Debug, Default)]
pub(super) struct Narrator {
    recording: bool,
    events: Vec<Event>,
}

impl Narrator {
    pub fn silent() -> Narrator {
        Narrator::default()
    }

    pub fn recording() -> Narrator {
        Narrator { recording: true, events: Vec::new() }
    }

    /// Records a line of generic code, built only when recording.
    pub fn say(&mut self, line: impl FnOnce() -> String) {
        if self.recording {
            self.events.push(Event::Code(line()));
        }
    }

    /// Records a hook call, built only when recording.
    pub fn hook(&mut self, call: impl FnOnce() -> HookCall) {
        if self.recording {
            self.events.push(Event::Hook(call()));
        }
    }

    /// Hands over what was recorded since the last call.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}
