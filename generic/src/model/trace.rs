//! Counterexample traces, told in kernel terms: which task on which CPU,
//! in which call, ran which line of mm/highmem.c and which arch hook with
//! which effects, and what the page table, the TLB and the cache held
//! afterwards.

use std::fmt;

use super::hardware::TlbEntry;
use super::layout::Layout;
use super::property::Violation;
use crate::{Effect, Hook, Page, Pfn, Vaddr};

/// An address as the kernel would name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Addr {
    /// Fixmap slot `FIX_KMAP_BEGIN + n`.
    Slot(u32),
    /// The permanent kmap() address of a page.
    Pkmap(Page),
}

/// What a data cache line is indexed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheIndex {
    /// A virtually tagged line belongs to an address.
    Addr(Addr),
    /// A physically tagged line of an aliasing cache sits at a colour.
    Colour(u32),
}

/// A data cache line as a trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheLineView {
    /// Where the line sits.
    pub index: CacheIndex,
    /// The page whose data it holds.
    pub page: Page,
    /// How many writes of the page the line's data includes.
    pub version: u8,
    /// Whether memory lacks what the line holds.
    pub dirty: bool,
}

/// One call of an arch hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookCall {
    /// Which hook.
    pub hook: Hook,
    /// The C arguments, rendered (`slot 0, P1`).
    pub args: String,
    /// Whether the arch defines the hook; otherwise the generic default ran.
    pub defined: bool,
    /// The effects it performed, after their conditions.
    pub effects: Vec<Effect>,
    /// What it returned, for the hooks that return something.
    pub result: Option<String>,
}

/// One thing a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A line of generic code (mm/highmem.c, or the scheduler), rendered.
    Code(String),
    /// A call of an arch hook.
    Hook(HookCall),
}

/// One step of a trace: one transition of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

impl Addr {
    pub(super) fn new(layout: &Layout, vaddr: Vaddr) -> Addr {
        if layout.is_fixmap(vaddr) {
            Addr::Slot(vaddr)
        } else {
            Addr::Pkmap(vaddr - layout.fix_slots())
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Slot(n) => write!(f, "slot {n}"),
            Addr::Pkmap(page) => write!(f, "pkmap(P{page})"),
        }
    }
}

impl fmt::Display for CacheIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheIndex::Addr(a) => a.fmt(f),
            CacheIndex::Colour(c) => write!(f, "colour {c}"),
        }
    }
}

impl fmt::Display for CacheLineView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.dirty { "dirty" } else { "clean" };
        write!(f, "[{}] P{} v{} {state}", self.index, self.page, self.version)
    }
}

impl fmt::Display for HookCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.hook.c_name(), self.args)?;
        if let Some(result) = &self.result {
            write!(f, " = {result}")?;
        }
        if !self.defined {
            return f.write_str(": generic default");
        }
        if self.effects.is_empty() {
            return f.write_str(": no effect on this hardware");
        }
        let effects: Vec<&str> = self.effects.iter().map(|e| e.name()).collect();
        write!(f, ": {}", effects.join(", "))
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
