//! Runs an arch port's hooks on the modelled hardware, through the hook
//! contract.
//!
//! The generic code in `generic_code.rs` calls hooks only through
//! [`ArchHooks`], exactly where the contract calls its `arch_kmap_local_*`
//! macros; this runner is the one implementation. The index hooks and
//! `high_get` compute a value and run whole; the hooks that act on the
//! hardware run one step (one effect) per call when the generic code
//! interleaves other CPUs and interrupts between their steps, or all of
//! them at once where nothing can come in between (the switch-out, with
//! interrupts off). A hook the port does not define runs the generic
//! default: nothing, the plain slot, or for `set_pte` a PTE write.

use super::hardware::{pte_name, Platform};
use super::layout::{Addr, Layout, Loc};
use super::narrator::Narrator;
use super::port::ActiveHooks;
use super::program::Acting;
use super::property::{Property, Violation};
use super::state::State;
use super::trace::{HookCall, Remark};
use crate::{ArchHooks, Effect, Hook, Idx, InitMm, Page, Pfn, PtePtr, PteVal, Vaddr};

/// The hooks of one port, bound to one CPU of one state.
pub(super) struct HookRunner<'a> {
    pub hooks: &'a ActiveHooks,
    pub platform: &'a Platform,
    /// Pages with a permanent kmap() mapping, for `high_get`.
    pub pkmapped: &'a [Page],
    pub s: &'a mut State,
    pub cpu: usize,
    /// The step of an acting hook to run; every step when `None`.
    pub step: Option<usize>,
    pub n: &'a mut Narrator,
    /// What broke while a step ran, if anything did.
    pub failed: Option<Violation>,
}

/// What `set_pte_at()`, the default of `set_pte`, does.
const SET_PTE_DEFAULT: [Effect; 1] = [Effect::PteWrite];

impl HookRunner<'_> {
    /// Calls an acting hook through the contract, with the arguments the
    /// generic code passes it (`pteval` only reaches the hooks that map).
    pub fn call(&mut self, hook: Acting, vaddr: Vaddr, pteval: PteVal) {
        match hook {
            Acting::SetPte => self.set_pte(InitMm, vaddr, vaddr, pteval),
            Acting::PostMap => self.post_map(vaddr, pteval),
            Acting::PreUnmap => self.pre_unmap(vaddr),
            Acting::PostUnmap => self.post_unmap(vaddr),
        }
    }

    /// Performs `hook`'s effects, or the one step asked for, in order.
    fn act(&mut self, hook: Hook, vaddr: Vaddr, pteval: Option<PteVal>) {
        let effects = effects_of(self.hooks, hook);
        let range = match self.step {
            Some(k) => k.min(effects.len())..(k + 1).min(effects.len()),
            None => 0..effects.len(),
        };
        let slot = self.platform.layout.loc(vaddr);
        self.narrate(hook, slot, pteval, &effects[range.clone()], range.start, effects.len());
        for &effect in &effects[range] {
            if let Err(v) = self.perform(effect, slot, pteval) {
                self.failed = Some(v);
                return;
            }
        }
    }

    fn perform(&mut self, effect: Effect, slot: Loc, pteval: Option<PteVal>) -> Result<(), Violation> {
        let (p, cpu) = (self.platform, self.cpu);
        match effect {
            Effect::TlbFlushPage => p.tlb_flush_page(self.s, cpu, slot),
            Effect::TlbFlushAll => p.tlb_flush_all(self.s, cpu),
            Effect::CacheFlushPage => p.cache_flush_page(self.s, cpu, slot)?,
            Effect::CacheFlushAll => p.cache_flush_all(self.s, cpu)?,
            // Without a pteval argument the hook reloads what the page table holds.
            Effect::TlbWrite => {
                let val = pteval.unwrap_or_else(|| p.pte(self.s, slot));
                p.tlb_write(self.s, cpu, slot, val);
            }
            Effect::TlbVpnSet => p.shape.set_vpn(self.s, cpu, slot),
            Effect::TlbWriteVpn => self.write_vpn(slot, pteval)?,
            Effect::PteWrite => {
                let val = pteval.flatten();
                let written = p.set_pte(self.s, cpu, slot, val);
                let at = p.layout.addr(slot);
                self.n.say(|| format!("set_pte({at}, {}){}", pte_name(val), written.note()));
            }
            Effect::LazyMmuFlush => {
                let written = p.flush_deferred(self.s, cpu);
                self.n.say(|| format!("deferred PTE writes reach the page table{}", written.note()));
            }
            Effect::IrqDisable => p.shape.set_irqs_off(self.s, cpu, p.shape.irqs_off(self.s, cpu) + 1),
            Effect::IrqEnable => p.shape.set_irqs_off(self.s, cpu, p.shape.irqs_off(self.s, cpu) - 1),
            // They pick a slot or a mapping, which the index hooks and
            // high_get do; PortSpec::validate keeps them out of acting hooks.
            Effect::ColourIndex | Effect::PkmapLookup => {}
        }
        Ok(())
    }

    /// `tlbop_rwr`: loads an entry for the address the CPU's TLB VPN
    /// register holds, whichever hook loaded it. Before any hook loaded
    /// it, the register holds whatever the hardware last put there (a
    /// TLB exception's address): an entry for an address nobody chose,
    /// which may be a live mapping's.
    fn write_vpn(&mut self, slot: Loc, pteval: Option<PteVal>) -> Result<(), Violation> {
        let (p, cpu) = (self.platform, self.cpu);
        let Some(vpn) = p.shape.vpn(self.s, cpu) else {
            let at = p.layout.addr(slot);
            return Err(Violation::new(
                Property::NoStaleTranslation,
                format!("the TLB write meant for {at} goes to whatever address CPU{cpu}'s TLB VPN register holds: no hook has loaded it"),
            ));
        };
        let val = pteval.unwrap_or_else(|| p.pte(self.s, vpn));
        p.tlb_write(self.s, cpu, vpn, val);
        if vpn != slot {
            let (to, meant) = (p.layout.addr(vpn), p.layout.addr(slot));
            self.n.remark(Remark::RedirectedTlbWrite, || {
                format!("the TLB VPN register holds {to}, so the entry meant for {meant} is loaded at {to}")
            });
        }
        Ok(())
    }

    fn narrate(&mut self, hook: Hook, slot: Loc, pteval: Option<PteVal>, done: &[Effect], first: usize, steps: usize) {
        let (hooks, layout) = (self.hooks, &self.platform.layout);
        self.n.hook(|| {
            let at = layout.addr(slot);
            let args = match pteval {
                Some(val) => format!("{at}, {}", pte_name(val)),
                None => at.to_string(),
            };
            let step = (steps > 1).then_some((first as u8 + 1, steps as u8));
            HookCall { hook, args, defined: hooks.get(hook).is_some(), effects: done.to_vec(), step, result: None }
        });
    }

    /// The slot of stack index `idx` with colour `colour`, or the generic one
    /// when `hook` does not colour.
    fn slot(&mut self, hook: Hook, idx: Idx, colour: u32, arg: impl FnOnce() -> String) -> Idx {
        let (hooks, layout) = (self.hooks, &self.platform.layout);
        let slot = slot_of(hooks, layout, hook, idx, self.cpu, colour);
        self.n.hook(|| {
            // An index the generic code rejects may name a slot no mapping takes.
            let at = Addr::Slot(slot);
            let effects = hooks.get(hook).unwrap_or_default().to_vec();
            let args = format!("{idx}, {}", arg());
            HookCall {
                hook,
                args,
                defined: hooks.get(hook).is_some(),
                effects,
                step: None,
                result: Some(at.to_string()),
            }
        });
        slot
    }
}

impl ArchHooks for HookRunner<'_> {
    fn map_idx(&mut self, idx: Idx, pfn: Pfn) -> Idx {
        let colour = self.platform.layout.colour(pfn);
        self.slot(Hook::MapIdx, idx, colour, || format!("P{pfn}"))
    }

    fn set_pte(&mut self, _mm: InitMm, vaddr: Vaddr, _ptep: PtePtr, ptev: PteVal) {
        self.act(Hook::SetPte, vaddr, Some(ptev));
    }

    fn post_map(&mut self, vaddr: Vaddr, pteval: PteVal) {
        self.act(Hook::PostMap, vaddr, Some(pteval));
    }

    fn unmap_idx(&mut self, idx: Idx, vaddr: Vaddr) -> Idx {
        let layout = &self.platform.layout;
        let (colour, at) = (vaddr % layout.colours, layout.addr(layout.loc(vaddr)));
        self.slot(Hook::UnmapIdx, idx, colour, || at.to_string())
    }

    fn pre_unmap(&mut self, vaddr: Vaddr) {
        self.act(Hook::PreUnmap, vaddr, None);
    }

    fn post_unmap(&mut self, vaddr: Vaddr) {
        self.act(Hook::PostUnmap, vaddr, None);
    }

    fn high_get(&mut self, page: Page) -> Option<Vaddr> {
        let layout = &self.platform.layout;
        let found = (self.hooks.performs(Hook::HighGet, Effect::PkmapLookup) && self.pkmapped.contains(&page))
            .then(|| layout.vaddr(layout.pkmap_loc(page)));
        let hooks = self.hooks;
        self.n.hook(|| {
            let result = found.map_or("NULL".to_string(), |v| layout.addr(layout.loc(v)).to_string());
            let effects = hooks.get(Hook::HighGet).unwrap_or_default().to_vec();
            HookCall {
                hook: Hook::HighGet,
                args: format!("P{page}"),
                defined: true,
                effects,
                step: None,
                result: Some(result),
            }
        });
        found
    }
}

/// The effects `hook` performs on a port: its own, or its default's.
fn effects_of(hooks: &ActiveHooks, hook: Hook) -> &[Effect] {
    match hooks.get(hook) {
        Some(effects) => effects,
        None if hook == Hook::SetPte => &SET_PTE_DEFAULT,
        None => &[],
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
