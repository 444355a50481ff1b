//! Where kmap_local's mappings live: fixmap slot numbering, per-CPU slot
//! ranges, cache colours and the pkmap addresses of permanently mapped
//! pages.
//!
//! Addresses are page-sized slots, not bytes. Fixmap slot `n` stands for
//! `__fix_to_virt(FIX_KMAP_BEGIN + n)`; the fixmap holds `KM_MAX_IDX`
//! slots per CPU times the number of cache colours (xtensa sizes it so,
//! and colour 1 leaves it as everywhere else). The pkmap address of page
//! `p` comes after all fixmap slots. An address has colour `address %
//! colours` and a page `pfn % colours`: xtensa aligns the fixmap and the
//! pkmap area so, which is what lets a colour-aware index keep a mapping
//! at its page's colour.

use super::scenario::Bounds;
use crate::{HardwareFacts, Idx, Page, Vaddr};

/// The address layout of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    pub cpus: u32,
    pub km_incr: u32,
    pub km_max_idx: u32,
    pub colours: u32,
    pub pages: u32,
}

impl Layout {
    pub fn new(bounds: &Bounds, facts: &HardwareFacts) -> Layout {
        Layout {
            cpus: u32::from(bounds.cpus),
            km_incr: bounds.km_incr(),
            km_max_idx: bounds.km_max_idx(),
            colours: u32::from(facts.dcache_colours.max(1)),
            pages: bounds.scenario.pages,
        }
    }

    /// Number of fixmap slots for kmap_local.
    pub fn fix_slots(&self) -> u32 {
        self.km_max_idx * self.cpus * self.colours
    }

    pub fn is_fixmap(&self, vaddr: Vaddr) -> bool {
        vaddr < self.fix_slots()
    }

    /// The kmap() address of a permanently mapped page.
    pub fn pkmap_vaddr(&self, page: Page) -> Vaddr {
        self.fix_slots() + page
    }

    /// The cache colour of an address or a page frame.
    pub fn colour(&self, vaddr_or_pfn: u32) -> u32 {
        vaddr_or_pfn % self.colours
    }

    /// `kmap_local_calc_idx()`: the generic slot of stack index `idx` on `cpu`.
    pub fn calc_idx(&self, idx: Idx, cpu: usize) -> Idx {
        idx + self.km_max_idx * cpu as u32
    }

    /// xtensa's `kmap_idx(type, colour)`: the slot of stack index `idx` on
    /// `cpu` that has colour `colour`.
    pub fn coloured_idx(&self, idx: Idx, cpu: usize, colour: u32) -> Idx {
        self.calc_idx(idx, cpu) * self.colours + colour
    }
}
