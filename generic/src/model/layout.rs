//! Where kmap_local's mappings live: fixmap slot numbering, per-CPU slot
//! ranges, cache colours and the pkmap addresses of permanently mapped
//! pages; and the dense numbering the packed state uses for them.
//!
//! Addresses are page-sized slots, not bytes. Fixmap slot `n` stands for
//! `__fix_to_virt(FIX_KMAP_BEGIN + n)`, numbered as the kernel numbers
//! them with its own KM_MAX_IDX (16, or 33 with CONFIG_DEBUG_HIGHMEM):
//! `idx + KM_MAX_IDX * cpu`, and for a colour-aware index xtensa's
//! `(idx + KM_MAX_IDX * cpu) * colours + colour`. The fixmap holds
//! `KM_MAX_IDX * cpus * colours` slots, as the generated fixmap.h sizes it.
//! The pkmap address of page `p` comes after all fixmap slots. An address
//! has colour `address % colours` and a page `pfn % colours`: xtensa
//! aligns the fixmap and the pkmap area so.
//!
//! Why the state stores only a few of those slots (the symmetry argument
//! for keeping the state small while the numbering stays the kernel's):
//! a stack index is reached only by pushing every index below it, so a
//! run whose scripts nest at most `d` deep on one CPU's stack touches the
//! `d` lowest indexes and no others; every other slot keeps a clear PTE,
//! no TLB entry and no cache line for the whole run, and nothing the
//! hooks do depends on an untouched slot (they act on the slot they are
//! given, or on everything, which for an untouched slot is a no-op). So
//! the state keeps the touched slots, densely numbered ([`Loc`]), and
//! every name, colour and overflow check uses the kernel's numbers.

use super::contract::{Contract, IndexStack};
use super::scenario::{Case, Scenario};
use crate::{HardwareFacts, Idx, Page, Vaddr};

/// A densely numbered address: a touched fixmap slot, or the pkmap
/// address of a permanently mapped page. Fits a byte of the state.
pub(super) type Loc = u8;

/// An address as the kernel would name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Addr {
    /// Fixmap slot `FIX_KMAP_BEGIN + n`.
    Slot(u32),
    /// The permanent kmap() address of a page.
    Pkmap(Page),
}

/// The address layout of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    pub cpus: usize,
    pub km_incr: u32,
    pub km_max_idx: u32,
    pub colours: u32,
    pub pages: u32,
    /// Fixmap slots below this [`Loc`]; pkmap addresses from here on.
    pub slots: usize,
    /// Entries of `kmap_ctrl.pteval` that can be live: the highest
    /// reachable index plus one.
    pub ctrl_cap: usize,
    /// Each loc's kernel address.
    reals: Vec<Vaddr>,
    /// Each kernel address's loc, where it has one.
    locs: Vec<Option<Loc>>,
}

impl Layout {
    /// The layout of a case; `coloured` says whether the port's `map_idx`
    /// picks slots by colour, which decides the slots a mapping can take.
    pub fn new(case: &Case, facts: &HardwareFacts, contract: &Contract, coloured: bool) -> Layout {
        let cpus = usize::from(case.cpus);
        let km_incr = case.km_incr();
        let km_max_idx = contract.km_max_idx(case.debug_highmem);
        let colours = u32::from(facts.dcache_colours.max(1));
        let fix_slots = km_max_idx * cpus as u32 * colours;
        // Mappings one CPU's stack can hold at once, and how many of them
        // fit below KM_MAX_IDX before kmap_local_idx_push()'s BUG_ON.
        let live = live_depth(case, contract).min((km_max_idx - 1) / km_incr);
        let indexes: Vec<Idx> = (1..=live).map(|k| k * km_incr - 1).collect();
        let mut reals: Vec<Vaddr> = Vec::new();
        for cpu in 0..cpus as u32 {
            for &idx in &indexes {
                let plain = idx + km_max_idx * cpu;
                if coloured {
                    reals.extend((0..colours).map(|c| plain * colours + c));
                } else {
                    reals.push(plain);
                }
            }
        }
        reals.sort_unstable();
        reals.dedup();
        let slots = reals.len();
        reals.extend(case.scenario.pkmapped.iter().map(|&p| fix_slots + p));
        let top = fix_slots as usize + case.scenario.pages as usize;
        let mut locs = vec![None; top];
        for (loc, &real) in reals.iter().enumerate() {
            locs[real as usize] = Some(loc as Loc);
        }
        Layout {
            cpus,
            km_incr,
            km_max_idx,
            colours,
            pages: case.scenario.pages,
            slots,
            ctrl_cap: (live * km_incr) as usize,
            reals,
            locs,
        }
    }

    /// Every loc: the touched slots, then the pkmap addresses.
    pub fn locs(&self) -> usize {
        self.reals.len()
    }

    /// Number of fixmap slots for kmap_local, as the kernel sizes them.
    pub fn fix_slots(&self) -> u32 {
        self.km_max_idx * self.cpus as u32 * self.colours
    }

    /// The loc of a kernel address the run can reach.
    pub fn loc(&self, vaddr: Vaddr) -> Loc {
        self.locs.get(vaddr as usize).copied().flatten().expect("every reachable address has a loc")
    }

    /// The kernel address of a loc.
    pub fn vaddr(&self, loc: Loc) -> Vaddr {
        self.reals[usize::from(loc)]
    }

    pub fn is_fixmap(&self, loc: Loc) -> bool {
        usize::from(loc) < self.slots
    }

    /// The kmap() address of a permanently mapped page.
    pub fn pkmap_loc(&self, page: Page) -> Loc {
        self.loc(self.fix_slots() + page)
    }

    /// How the kernel names a loc.
    pub fn addr(&self, loc: Loc) -> Addr {
        let vaddr = self.vaddr(loc);
        if self.is_fixmap(loc) {
            Addr::Slot(vaddr)
        } else {
            Addr::Pkmap(vaddr - self.fix_slots())
        }
    }

    /// The cache colour of a page frame.
    pub fn colour(&self, pfn: u32) -> u32 {
        pfn % self.colours
    }

    /// The cache colour of a loc's address.
    pub fn loc_colour(&self, loc: Loc) -> u32 {
        self.vaddr(loc) % self.colours
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

/// The most mappings one CPU's index stack holds at once: a task's
/// deepest nesting with an interrupt's on top, or with one stack per CPU
/// every task's at once.
fn live_depth(case: &Case, contract: &Contract) -> u32 {
    let tasks = case.scenario.tasks.iter().map(|t| Scenario::depth(&t.ops));
    let tasks = match contract.stack {
        IndexStack::PerTask => tasks.max().unwrap_or(0),
        IndexStack::PerCpu => tasks.sum(),
    };
    tasks + case.interrupt_depth()
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Slot(n) => write!(f, "slot {n}"),
            Addr::Pkmap(page) => write!(f, "pkmap(P{page})"),
        }
    }
}
