//! Hardware facts about an architecture that decide which hook effects
//! its port needs.
//!
//! Facts are inputs to the model, stated in each arch's descriptor with a
//! one-line reason. They must come from evidence independent of the port
//! being checked: the arch's pre-conversion kmap_atomic code in the base
//! tree and its cache and TLB code, never the new hooks themselves. Where
//! the evidence leaves a behaviour open, a descriptor states the worst
//! case the hardware allows, and its reason says so.

use serde::{Deserialize, Serialize};

/// How the data cache is indexed and tagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcacheKind {
    /// Physically indexed: no aliasing, nothing to flush for kmap.
    Pipt,
    /// Virtually indexed, physically tagged, larger than a page way:
    /// two virtual addresses of one page may land in different sets.
    ViptAliasing,
    /// Virtually indexed and tagged: lines belong to virtual addresses
    /// and must be written back before the address is reused.
    Vivt,
}

/// The facts the model needs about one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareFacts {
    /// The TLB keeps a translation after its PTE changes until that entry
    /// is flushed (true on every arch modelled here).
    pub tlb_keeps_stale: bool,
    /// The TLB may hold an entry for a cleared PTE, so a new PTE at that
    /// slot is not seen until the entry is flushed.
    pub tlb_caches_cleared_pte: bool,
    /// The TLB is refilled by hardware from the page tables on a miss;
    /// when false, the hook that writes the PTE must load the TLB itself
    /// or a miss handler does (see `tlb_refill_from_pte`).
    pub tlb_refill_from_pte: bool,
    /// The MMU may load a translation from a valid PTE at any time, not
    /// only when an access misses (a page table walker that runs ahead of
    /// the program, as x86 and ARMv6+ walkers do): a TLB flush placed
    /// before the PTE is cleared can be undone before the clear.
    pub tlb_speculative_fill: bool,
    /// The data cache kind.
    pub dcache: DcacheKind,
    /// Number of cache colours (1 when the cache cannot alias).
    pub dcache_colours: u8,
    /// Writing back a dirty virtually tagged line translates its address
    /// through the MMU, so the line must be flushed while the mapping
    /// still exists (`Documentation/core-api/cachetlb.rst`: "The HyperSparc
    /// cpu is one such cpu"); a write-back without one loses the data.
    /// Only a VIVT cache has such lines.
    pub writeback_needs_translation: bool,
    /// Page table writes may be deferred until an explicit flush
    /// (x86 paravirt lazy MMU mode).
    pub lazy_mmu: bool,
}
