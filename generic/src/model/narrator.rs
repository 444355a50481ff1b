//! Collects what a transition did, in words, when a trace is being told;
//! and, always, whether it did something worth remarking on.
//!
//! The search runs every transition silently; only the replay of a path
//! records, so the search never formats a string.

use super::trace::{Event, HookCall, Remark};

/// Records the events of one transition, or ignores them.
#[derive(Debug, Default)]
pub(super) struct Narrator {
    recording: bool,
    events: Vec<Event>,
    remark: Option<Remark>,
}

impl Narrator {
    pub fn silent() -> Narrator {
        Narrator::default()
    }

    pub fn recording() -> Narrator {
        Narrator { recording: true, ..Narrator::default() }
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

    /// Notes a remark, silent or not; its words are recorded as a line.
    pub fn remark(&mut self, remark: Remark, words: impl FnOnce() -> String) {
        self.remark = Some(remark);
        self.say(|| format!("note: {}", words()));
    }

    /// The remark made since the last call, if any.
    pub fn take_remark(&mut self) -> Option<Remark> {
        self.remark.take()
    }

    /// Hands over what was recorded since the last call.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}
