//! Runs an arch port's hooks on the modelled hardware, through the hook
//! contract.
//!
//! The generic code in `generic_code.rs` calls hooks only through
//! [`ArchHooks`], exactly where mm/highmem.c calls its
//! `arch_kmap_local_*` macros; this runner is the one implementation,
//! turning each hook's listed effects into hardware operations on the
//! calling CPU. A hook the port does not define runs the generic default.

use super::hardware::{Hardware, Platform};
use super::layout::Layout;
use super::narrator::Narrator;
use super::port::ActiveHooks;
use super::trace::{Addr, HookCall};
use crate::{ArchHooks, Effect, Hook, Idx, Page, Pfn, PteVal, Vaddr};

/// The hooks of one port, bound to one CPU of one state.
pub(super) struct HookRunner<'a> {
    pub hooks: &'a ActiveHooks,
    pub platform: &'a Platform,
    /// Pages with a permanent kmap() mapping, for `high_get`.
    pub pkmapped: &'a [Page],
    pub hw: &'a mut Hardware,
    pub cpu: usize,
    pub narrator: &'a mut Narrator,
}

impl HookRunner<'_> {
    /// Performs `hook`'s effects in order, for the hooks that act on hardware.
    fn act(&mut self, hook: Hook, vaddr: Vaddr, pteval: Option<PteVal>) {
        let effects = self.hooks.get(hook).unwrap_or_default();
        for &effect in effects {
            match effect {
                Effect::TlbFlushPage => self.hw.tlb_flush_page(self.cpu, vaddr),
                Effect::TlbFlushAll => self.hw.tlb_flush_all(self.cpu),
                Effect::CacheFlushPage => self.hw.cache_flush_page(self.platform, vaddr),
                Effect::CacheFlushAll => self.hw.cache_flush_all(),
                // Without a pteval argument the hook reloads what the page table holds.
                Effect::TlbWrite => {
                    let val = pteval.unwrap_or_else(|| self.hw.pte(vaddr));
                    self.hw.tlb_write(self.cpu, vaddr, val);
                }
                Effect::LazyMmuFlush => self.hw.flush_deferred(self.platform, self.cpu),
                Effect::ColourIndex | Effect::PkmapLookup => {
                    unreachable!("PortSpec::validate keeps {effect} out of {}", hook.c_name())
                }
            }
        }
        let (hooks, layout) = (self.hooks, &self.platform.layout);
        self.narrator.hook(|| {
            let at = Addr::new(layout, vaddr);
            let args = match pteval {
                Some(val) => format!("{at}, {}", val.map_or("none".to_string(), |pfn| format!("P{pfn}"))),
                None => at.to_string(),
            };
            call(hooks, hook, args, None)
        });
    }

    /// The slot of stack index `idx` with colour `colour`, or the generic one
    /// when `hook` does not colour.
    fn slot(&mut self, hook: Hook, idx: Idx, colour: u32, arg: impl FnOnce() -> String) -> Idx {
        let (hooks, layout) = (self.hooks, self.platform.layout);
        let slot = slot_of(hooks, &layout, hook, idx, self.cpu, colour);
        self.narrator
            .hook(|| call(hooks, hook, format!("{idx}, {}", arg()), Some(Addr::new(&layout, slot).to_string())));
        slot
    }
}

impl ArchHooks for HookRunner<'_> {
    fn map_idx(&mut self, idx: Idx, pfn: Pfn) -> Idx {
        let colour = self.platform.layout.colour(pfn);
        self.slot(Hook::MapIdx, idx, colour, || format!("P{pfn}"))
    }

    fn post_map(&mut self, vaddr: Vaddr, pteval: PteVal) {
        self.act(Hook::PostMap, vaddr, Some(pteval));
    }

    fn unmap_idx(&mut self, idx: Idx, vaddr: Vaddr) -> Idx {
        let layout = self.platform.layout;
        self.slot(Hook::UnmapIdx, idx, layout.colour(vaddr), || Addr::new(&layout, vaddr).to_string())
    }

    fn pre_unmap(&mut self, vaddr: Vaddr) {
        self.act(Hook::PreUnmap, vaddr, None);
    }

    fn post_unmap(&mut self, vaddr: Vaddr) {
        self.act(Hook::PostUnmap, vaddr, None);
    }

    fn high_get(&mut self, page: Page) -> Option<Vaddr> {
        let found = (self.hooks.performs(Hook::HighGet, Effect::PkmapLookup) && self.pkmapped.contains(&page))
            .then(|| self.platform.layout.pkmap_vaddr(page));
        let (hooks, layout) = (self.hooks, self.platform.layout);
        self.narrator.hook(|| {
            let result = found.map_or("NULL".to_string(), |v| Addr::new(&layout, v).to_string());
            call(hooks, Hook::HighGet, format!("P{page}"), Some(result))
        });
        found
    }
}

/// The slot an index hook picks for stack index `idx` on `cpu`: the one of
/// colour `colour` when the hook colours, else the generic one.
pub(super) fn slot_of(hooks: &ActiveHooks, layout: &Layout, hook: Hook, idx: Idx, cpu: usize, colour: u32) -> Idx {
    if hooks.performs(hook, Effect::ColourIndex) {
        layout.coloured_idx(idx, cpu, colour)
    } else {
        layout.calc_idx(idx, cpu)
    }
}

fn call(hooks: &ActiveHooks, hook: Hook, args: String, result: Option<String>) -> HookCall {
    let effects = hooks.get(hook);
    HookCall { hook, args, defined: effects.is_some(), effects: effects.unwrap_or_default().to_vec(), result }
}
