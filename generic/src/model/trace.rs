//! Counterexample traces, told in kernel terms: which task on which CPU,
//! in which call, ran which line of mm/highmem.c and which arch hook with
//! which effects, and what the page table, the TLB and the cache held
//! afterwards.

use std::fmt;

use super::hardware::{CacheLineView, TlbEntry};
use super::layout::Addr;
use super::property::Violation;
use crate::{Effect, Hook, Pfn};

/// One call of an arch hook.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HookCall {
    /// Which hook.
    pub hook: Hook,
    /// The C arguments, rendered (`slot 0, P1`).
    pub args: String,
    /// Whether the arch defines the hook; otherwise the generic default ran.
    pub defined: bool,
    /// The effects it performed, after their conditions.
    pub effects: Vec<Effect>,
    /// For a hook of several steps: which one this is, from 1, and of how many.
    pub step: Option<(u8, u8)>,
    /// What it returned, for the hooks that return something.
    pub result: Option<String>,
}

/// Something the model saw happen that breaks no property but answers a
/// question about a port, with the shortest trace to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Remark {
    /// An interrupt between the steps of a hook loaded the CPU's TLB VPN
    /// register with its own slot, so the hook's TLB write landed there
    /// (nds32's `post_map`, the golden header's FIXME).
    RedirectedTlbWrite,
}

impl Remark {
    /// The remark as one sentence.
    pub fn statement(self) -> &'static str {
        match self {
            Remark::RedirectedTlbWrite => {
                "an interrupt between the steps of a hook moves the TLB VPN register, and the hook's TLB write lands on another slot"
            }
        }
    }
}

/// A remark, and a shortest trace to where it happens.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Witness {
    /// What happens.
    pub remark: Remark,
    /// From the initial state to the step where it happens.
    pub trace: Trace,
}

/// One thing a step did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Event {
    /// A line of generic code (mm/highmem.c, or the scheduler), rendered.
    Code(String),
    /// A call of an arch hook.
    Hook(HookCall),
}

/// One step of a trace: one transition of the model.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// The CPU the step runs on; none for a wake-up or a migration.
    pub cpu: Option<u8>,
    /// Who acts: `task A`, `interrupt on task A`, `scheduler`.
    pub actor: String,
    /// The kernel call or event the step belongs to.
    pub call: String,
    /// What the generic code did and which hooks it called, in order.
    pub events: Vec<Event>,
    /// Live fixmap PTEs after the step.
    pub ptes: Vec<(Addr, Pfn)>,
    /// The TLB of the step's CPU after the step.
    pub tlb: Vec<(Addr, TlbEntry)>,
    /// The data cache after the step.
    pub cache: Vec<CacheLineView>,
    /// On the last step of a counterexample: what broke.
    pub violation: Option<Violation>,
}

/// A sequence of steps from the initial state.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Trace {
    /// In order; the first starts from the initial state.
    pub steps: Vec<Step>,
}

impl Step {
    /// The arch hooks the step called, in order.
    pub fn hooks(&self) -> impl Iterator<Item = &HookCall> {
        self.events.iter().filter_map(|e| match e {
            Event::Hook(call) => Some(call),
            Event::Code(_) => None,
        })
    }
}

impl Trace {
    /// Number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there is no step.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for HookCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.hook.c_name(), self.args)?;
        if let Some((step, steps)) = self.step {
            write!(f, " [step {step}/{steps}]")?;
        }
        if let Some(result) = &self.result {
            write!(f, " = {result}")?;
        }
        let effects: Vec<&str> = self.effects.iter().map(|e| e.name()).collect();
        match (self.defined, effects.is_empty()) {
            (false, true) => f.write_str(": generic default"),
            (false, false) => write!(f, ": generic default: {}", effects.join(", ")),
            (true, true) => f.write_str(": no effect on this hardware"),
            (true, false) => write!(f, ": {}", effects.join(", ")),
        }
    }
}

fn list<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.iter().map(show).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cpu = self.cpu.map_or("    ".to_string(), |c| format!("CPU{c}"));
        writeln!(f, "{cpu}  {:<22} {}", self.actor, self.call)?;
        for event in &self.events {
            match event {
                Event::Code(line) => writeln!(f, "        {line}")?,
                Event::Hook(call) => writeln!(f, "        {call}")?,
            }
        }
        write!(f, "        PTEs: {}", list(&self.ptes, |(a, pfn)| format!("{a}->P{pfn}")))?;
        if let Some(c) = self.cpu {
            write!(f, " | TLB{c}: {}", list(&self.tlb, |(a, e)| format!("{a}->{e}")))?;
        }
        writeln!(f, " | cache: {}", list(&self.cache, |l| l.to_string()))?;
        if let Some(v) = &self.violation {
            writeln!(f, "        ==> {v}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            write!(f, "{:>3}. {step}", i + 1)?;
        }
        Ok(())
    }
}
