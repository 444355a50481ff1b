//! The hook contract of the generic kmap_local code, declared once.
//!
//! `mm/highmem.c` calls per-architecture hooks, each a C macro named
//! `arch_kmap_local_<name>` with a fixed parameter list, and supplies a
//! default for every hook an architecture leaves undefined. This trait is
//! the single declaration of every hook archport knows: `build.rs` reads
//! it with `syn` and generates the [`Hook`](crate::Hook) table (C names,
//! parameter lists, defaults), and the executable model implements it to
//! run an arch's hooks, one step at a time. The C glue and the model
//! therefore cannot drift apart.
//!
//! The declared contract and a kernel's contract: this trait is the
//! vocabulary, the union of the hooks the generic code of any supported
//! kernel calls (5.10 calls the first six; later kernels added
//! `set_pte`). Which of them one kernel's code calls, and where around
//! the PTE write and clear, is a [`Contract`](crate::model::Contract)
//! value: `Contract::linux_5_10()` is the code archport generates ports
//! for, and a port may define only hooks that contract calls
//! (`Contract::calls`). The declaration stays the Rust source of truth
//! for rendering hooks; a tree's contract is read from its mm/highmem.c
//! and compared with the declared one, never written back into it.
//!
//! Conventions read by `build.rs`:
//! - each method is one hook; its name without `arch_kmap_local_` prefix;
//! - the parameters after `&mut self` are the C macro parameters, in order;
//! - the `#[doc]` first line is the hook's one-line summary;
//! - the `c_default` string in a `/// default: ...` doc line is the C text
//!   of the generic fallback in mm/highmem.c.

use crate::types::{Idx, InitMm, Page, Pfn, PtePtr, PteVal, Vaddr};

/// The per-architecture hooks of kmap_local, in the order mm/highmem.c
/// calls them during one map/unmap cycle.
pub trait ArchHooks {
    /// Pick the fixmap slot for a new mapping of `pfn` at stack index `idx`.
    /// default: kmap_local_calc_idx(idx)
    fn map_idx(&mut self, idx: Idx, pfn: Pfn) -> Idx;

    /// Called to write the PTE of a new mapping (Linux 5.11 and later).
    /// default: set_pte_at(mm, vaddr, ptep, ptev)
    fn set_pte(&mut self, mm: InitMm, vaddr: Vaddr, ptep: PtePtr, ptev: PteVal);

    /// Called after the PTE of a new mapping was written.
    /// default: do { } while (0)
    fn post_map(&mut self, vaddr: Vaddr, pteval: PteVal);

    /// Pick the fixmap slot of the mapping at `vaddr` being torn down.
    /// default: kmap_local_calc_idx(idx)
    fn unmap_idx(&mut self, idx: Idx, vaddr: Vaddr) -> Idx;

    /// Called before the PTE of a mapping is cleared.
    /// default: do { } while (0)
    fn pre_unmap(&mut self, vaddr: Vaddr);

    /// Called after the PTE of a mapping was cleared.
    /// default: do { } while (0)
    fn post_unmap(&mut self, vaddr: Vaddr);

    /// Return an existing permanent mapping of `page`, if the arch keeps one.
    /// default: NULL
    fn high_get(&mut self, page: Page) -> Option<Vaddr>;
}
