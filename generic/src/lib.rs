//! The generic model of the kmap_local change.
//!
//! What is the same for every architecture lives here: the hook contract
//! ([`ArchHooks`], and the generated [`Hook`] table), the vocabulary of
//! hook [`Effect`]s, the [`HardwareFacts`] an arch states, the generic
//! code as a value ([`model::Contract`]) and the executable semantic
//! model of it.
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
    cases, check, check_all, Addr, Bounds, CacheIndex, CacheLineView, Call, Case, Contract, ErrorKind, Event, HookCall,
    Location, ModelError, Op, PortSpec, Property, Remark, Scenario, Script, Step, TlbEntry, Trace, Variant, Verdict,
    Violation, Witness,
};
pub use types::{Idx, InitMm, Page, Pfn, PtePtr, PteVal, Vaddr};

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
                ("set_pte", "arch_kmap_local_set_pte", &["mm", "vaddr", "ptep", "ptev"][..]),
                ("post_map", "arch_kmap_local_post_map", &["vaddr", "pteval"][..]),
                ("unmap_idx", "arch_kmap_local_unmap_idx", &["idx", "vaddr"][..]),
                ("pre_unmap", "arch_kmap_local_pre_unmap", &["vaddr"][..]),
                ("post_unmap", "arch_kmap_local_post_unmap", &["vaddr"][..]),
                ("high_get", "arch_kmap_local_high_get", &["page"][..]),
            ]
        );
        assert_eq!(Hook::PostMap.c_default(), "do { } while (0)");
        assert_eq!(Hook::SetPte.c_default(), "set_pte_at(mm, vaddr, ptep, ptev)");
        assert_eq!(Hook::from_name("pre_unmap"), Some(Hook::PreUnmap));
        assert_eq!(Hook::from_name("pre_map"), None);
    }

    #[test]
    fn descriptors_key_hooks_by_their_short_names() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::{Deserialize, IntoDeserializer};
        for hook in Hook::ALL {
            let named: StrDeserializer<Error> = hook.name().into_deserializer();
            assert_eq!(Hook::deserialize(named), Ok(hook));
        }
        let unknown: StrDeserializer<Error> = "pre_map".into_deserializer();
        let err = Hook::deserialize(unknown).unwrap_err().to_string();
        assert!(err.contains("unknown variant `pre_map`") && err.contains("post_unmap"), "{err}");
    }

    #[test]
    fn the_5_10_contract_calls_the_six_hooks_archport_generates() {
        let calls = Contract::linux_5_10().hooks();
        assert_eq!(
            calls,
            [Hook::MapIdx, Hook::PostMap, Hook::UnmapIdx, Hook::PreUnmap, Hook::PostUnmap, Hook::HighGet]
        );
        assert!(Contract::linux_6_1().calls(Hook::SetPte));
    }
}
