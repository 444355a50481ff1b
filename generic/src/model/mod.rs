//! The executable model of the generic kmap_local code and its checker.
//!
//! It answers one question about an arch port: does the generic code of
//! mm/highmem.c, run with this arch's hooks on hardware with this arch's
//! facts, keep its promises? The model runs small scripted scenarios
//! (tasks that map pages, sleep in page faults, get preempted and
//! migrated, hand pages over, interrupts that nest their own mappings,
//! also between the steps of a hook and of the switch-in restore) and the
//! checker explores every interleaving of them, breadth first, so that
//! the counterexample it reports is a shortest one.
//!
//! Code map, in the order data flows:
//! - [`Contract`] and [`Variant`] (`contract.rs`): the generic code as a
//!   value: which hooks it calls where, and its design decisions.
//! - [`PortSpec`] (`port.rs`): an arch port as the model sees it.
//! - [`Bounds`], [`Case`], [`Scenario`] and [`cases`] (`scenario.rs`):
//!   what is explored, chosen by the hardware facts.
//! - `layout.rs`: fixmap slots, per-CPU ranges, colours, pkmap addresses,
//!   and the dense numbering of the slots a case touches.
//! - `program.rs`: scenario operations compiled to steps of generic code
//!   and hooks, in the contract's order.
//! - `state.rs`: one node of the search, packed into bytes.
//! - `hardware.rs`: page table, TLBs, lazy MMU queue, data cache, memory.
//! - `hook_runner.rs`: runs a port's hooks through [`ArchHooks`](crate::ArchHooks).
//! - `generic_code.rs`: the steps of mm/highmem.c and of the restore.
//! - `sched.rs`: the transitions: context switch, wake-up, migration,
//!   interrupt arrival, and a step of code.
//! - `machine.rs`: the fixed part of a check, and its initial state.
//! - `symmetry.rs`: CPUs renamed to one representative per class.
//! - `checker.rs`: the breadth-first search and its [`Verdict`].
//! - [`Property`] (`property.rs`), [`Trace`] (`trace.rs`), `narrator.rs`,
//!   `replay.rs`: what can go wrong, and how a trace is told.
//! - `error.rs`: inputs that cannot be checked at all.
//!
//! No two modules import each other, directly or through others:
//! `trace` shows what `hardware` and `layout` define and is not imported
//! by them; `generic_code` and `sched` extend the `Machine` that
//! `program` and `contract` feed, and neither of those imports them.
//!
//! Architecture invariant: no I/O here either; a check takes values and
//! returns a value.

mod checker;
mod contract;
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
mod symmetry;
mod trace;

#[cfg(test)]
mod tests;

pub use checker::{check, check_all, Verdict};
pub use contract::{Call, Contract, IndexStack, Switch, Variant};
pub use error::{ErrorKind, Location, ModelError};
pub use hardware::{CacheIndex, CacheLineView, TlbEntry};
pub use layout::Addr;
pub use port::PortSpec;
pub use property::{Property, Violation};
pub use scenario::{cases, Bounds, Case, Op, Scenario, Script};
pub use trace::{Event, HookCall, Remark, Step, Trace, Witness};
