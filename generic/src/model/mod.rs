//! The executable model of the generic kmap_local code and its checker.
//!
//! It answers one question about an arch port: does the generic code of
//! mm/highmem.c, run with this arch's hooks on hardware with this arch's
//! facts, keep its promises? The model runs small scripted scenarios
//! (tasks that map pages, sleep in page faults, get preempted and
//! migrated, interrupts that nest their own mappings) and the checker
//! explores every interleaving of them, breadth first, so that the
//! counterexample it reports is a shortest one.
//!
//! Code map, in the order data flows:
//! - [`PortSpec`] (`port.rs`): an arch port as the model sees it.
//! - [`Bounds`] and [`Scenario`] (`scenario.rs`): what is explored.
//! - `layout.rs`: fixmap slots, per-CPU ranges, colours, pkmap addresses.
//! - `program.rs`: scenario operations compiled to lines of generic code.
//! - `state.rs`: one node of the search.
//! - `hardware.rs`: page table, TLBs, lazy MMU queue, data cache, memory.
//! - `hook_runner.rs`: runs a port's hooks through [`ArchHooks`](crate::ArchHooks).
//! - `generic_code.rs`: the lines of mm/highmem.c, and [`Variant`]s of it.
//! - `sched.rs`: the transitions: context switch, wake-up, migration,
//!   interrupt arrival, and a line of generic code.
//! - `machine.rs`: the fixed part of a check, and its initial state.
//! - `checker.rs`: the breadth-first search and its [`Verdict`].
//! - [`Property`] (`property.rs`), [`Trace`] (`trace.rs`), `narrator.rs`,
//!   `replay.rs`: what can go wrong, and how a counterexample is told.
//! - `error.rs`: inputs that cannot be checked at all.
//!
//! Architecture invariant: no I/O here either; a check takes values and
//! returns a value.

mod checker;
mod error;
mod generic_code;
mod hardware;
mod hook_runner;
mod layout;
mod machine;
mod narrator;
mod port;
mod program;
mod property;
mod replay;
mod scenario;
mod sched;
mod state;
mod trace;

#[cfg(test)]
mod tests;

pub use checker::{check, Verdict};
pub use error::{ErrorKind, Location, ModelError};
pub use generic_code::Variant;
pub use hardware::TlbEntry;
pub use port::PortSpec;
pub use property::{Property, Violation};
pub use scenario::{Bounds, Op, Scenario, Script};
pub use trace::{Addr, CacheIndex, CacheLineView, Event, HookCall, Step, Trace};
