//! The generic model of the kmap_local change.
//!
//! What is the same for every architecture lives here: the hook contract
//! ([`ArchHooks`], and the generated [`Hook`] table), the vocabulary of
//! hook [`Effect`]s, the [`HardwareFacts`] an arch states, and the
//! executable semantic model of the generic mm/highmem.c code.
//!
//! Architecture invariant: this crate does no I/O. It takes values and
//! returns values; `archport` (the `gen/` crate) reads files and prints.

mod effect;
mod facts;
mod hooks;
pub mod model;
mod types;

pub use effect::{Condition, Effect, GuardedEffect};
pub use facts::{DcacheKind, HardwareFacts};
pub use hooks::ArchHooks;
pub use model::{
    check, Addr, Bounds, CacheIndex, CacheLineView, ErrorKind, Event, HookCall, Location, ModelError, Op, PortSpec,
    Property, Scenario, Script, Step, TlbEntry, Trace, Variant, Verdict, Violation,
};
pub use types::{Idx, Page, Pfn, PteVal, Vaddr};

include!(concat!(env!("OUT_DIR"), "/hook_table.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_table_follows_the_contract() {
        let table: Vec<(&str, &str, &[&str])> = Hook::ALL.iter().map(|h| (h.name(), h.c_name(), h.params())).collect();
        assert_eq!(
            table,
            vec![
                ("map_idx", "arch_kmap_local_map_idx", &["idx", "pfn"][..]),
                ("post_map", "arch_kmap_local_post_map", &["vaddr", "pteval"][..]),
                ("unmap_idx", "arch_kmap_local_unmap_idx", &["idx", "vaddr"][..]),
                ("pre_unmap", "arch_kmap_local_pre_unmap", &["vaddr"][..]),
                ("post_unmap", "arch_kmap_local_post_unmap", &["vaddr"][..]),
                ("high_get", "arch_kmap_local_high_get", &["page"][..]),
            ]
        );
        assert_eq!(Hook::PostMap.c_default(), "do { } while (0)");
        assert_eq!(Hook::from_name("pre_unmap"), Some(Hook::PreUnmap));
        assert_eq!(Hook::from_name("pre_map"), None);
    }
}
