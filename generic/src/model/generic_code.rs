//! The generic kmap_local code of mm/highmem.c, one line at a time, and
//! the variants of it the checker holds the merged code against.
//!
//! Each line does what its C counterpart does (see `program.rs` for the
//! C text) and calls the arch hooks only through [`ArchHooks`], in the
//! order mm/highmem.c calls them. The kernel's own assertions (`BUG_ON`,
//! `WARN_ON_ONCE`) count as broken properties: they are how the generic
//! code says its invariants failed.

use std::fmt;

use super::hook_runner::slot_of;
use super::machine::Machine;
use super::narrator::Narrator;
use super::program::Line;
use super::property::{Property, Violation};
use super::state::{Context, KmapCtrl, Run, State};
use super::trace::Addr;
use crate::{ArchHooks, Hook, Pfn, Vaddr};

/// A version of the generic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// mm/highmem.c as merged: per-task `kmap_ctrl`, `migrate_disable()`
    /// for the life of a mapping, save and restore on context switch.
    Merged,
    /// As merged, but a mapping does not disable migration.
    NoMigrateDisable,
    /// As merged, but the context switch neither clears the outgoing
    /// task's mappings nor restores the incoming one's.
    NoSchedSaveRestore,
    /// The old kmap_atomic layout made preemptible: one index stack per
    /// CPU, nothing to save or restore per task.
    PerCpuIndex,
}

impl Variant {
    pub const ALL: [Variant; 4] =
        [Variant::Merged, Variant::NoMigrateDisable, Variant::NoSchedSaveRestore, Variant::PerCpuIndex];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Merged => "merged",
            Variant::NoMigrateDisable => "no_migrate_disable",
            Variant::NoSchedSaveRestore => "no_sched_save_restore",
            Variant::PerCpuIndex => "per_cpu_index",
        }
    }

    pub(super) fn disables_migration(self) -> bool {
        self != Variant::NoMigrateDisable
    }

    pub(super) fn saves_on_switch(self) -> bool {
        matches!(self, Variant::Merged | Variant::NoMigrateDisable)
    }

    pub(super) fn per_cpu_index(self) -> bool {
        self == Variant::PerCpuIndex
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the context does after a line.
pub(super) enum Flow {
    Next,
    /// The interrupt handler returned; its context is gone.
    IrqDone,
}

impl Machine {
    /// Runs one line for the context on `cpu`: its interrupt handler if one
    /// is running, else its current task.
    pub(super) fn run_line(&self, s: &mut State, cpu: usize, n: &mut Narrator) -> Result<(), Violation> {
        let task = usize::from(s.cpus[cpu].current.expect("only a CPU with a task runs generic code"));
        let in_irq = s.cpus[cpu].irq.is_some();
        let mut ctx = match s.cpus[cpu].irq.take() {
            Some(irq) => irq,
            None => std::mem::take(&mut s.tasks[task].ctx),
        };
        let flow = self.exec(s, cpu, task, in_irq, &mut ctx, n);
        match flow {
            Ok(Flow::IrqDone) => {}
            _ if in_irq => s.cpus[cpu].irq = Some(ctx),
            _ => s.tasks[task].ctx = ctx,
        }
        flow.map(|_| ()).map_err(|v| v.seen_by(&self.who(cpu, task, in_irq)))
    }

    fn exec(
        &self,
        s: &mut State,
        cpu: usize,
        task: usize,
        in_irq: bool,
        ctx: &mut Context,
        n: &mut Narrator,
    ) -> Result<Flow, Violation> {
        let program = if in_irq { &self.irq } else { &self.tasks[task] };
        let pc = usize::from(ctx.pc);
        ctx.pc += 1;
        let per_cpu = self.variant.per_cpu_index();
        let layout = self.platform.layout;
        let at = |v: Vaddr| Addr::new(&layout, v);
        let ctrl_name = if per_cpu { "this_cpu(kmap_ctrl)" } else { "current->kmap_ctrl" };
        let slot = ctx.slot;
        let in_progress = || slot.expect("a kmap call in progress has its slot");
        match program.instrs[pc].line {
            Line::HighGet(page) => {
                if let Some(vaddr) = self.hooks_on(&mut s.hw, cpu, n).high_get(page) {
                    ctx.held.push((vaddr, page));
                    ctx.pc = program.next_op(pc) as u8;
                    n.say(|| format!("return {}: no fixmap slot, no migrate_disable()", at(vaddr)));
                }
            }
            Line::MigrateDisable => {
                s.tasks[task].migrate_disable += 1;
                n.say(|| "migrate_disable()".to_string());
            }
            Line::Push(page) => {
                ctx.preempt += 1;
                let idx = s.kmap_ctrl(cpu, per_cpu).push(layout.km_incr as u8);
                n.say(|| format!("preempt_disable(); kmap_local_idx_push() = {}", idx - 1));
                if u32::from(idx) >= layout.km_max_idx {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "kmap_local_idx_push(): BUG_ON(idx {idx} >= KM_MAX_IDX {}): the stack overflows",
                            layout.km_max_idx
                        ),
                    ));
                }
                ctx.slot = Some(self.hooks_on(&mut s.hw, cpu, n).map_idx(u32::from(idx - 1), page));
            }
            Line::SetPte(page) => {
                let slot = in_progress();
                if let Some(other) = s.hw.pte(slot) {
                    return Err(Violation::new(
                        Property::SlotFree,
                        format!("BUG_ON(!pte_none()): mapping P{page} at {} which still maps P{other}", at(slot)),
                    ));
                }
                let deferred = s.hw.set_pte(&self.platform, cpu, slot, Some(page));
                n.say(|| format!("set_pte({}, P{page}){}", at(slot), lazily(deferred)));
            }
            Line::PostMap(page) => self.hooks_on(&mut s.hw, cpu, n).post_map(in_progress(), Some(page)),
            Line::SavePteval(page) => {
                let slot = in_progress();
                let ctrl = s.kmap_ctrl(cpu, per_cpu);
                let top = ctrl.idx - 1;
                ctrl.set_top(Some(page));
                ctx.preempt -= 1;
                ctx.slot = None;
                ctx.held.push((slot, page));
                n.say(|| format!("{ctrl_name}.pteval[{top}] = P{page}; preempt_enable(); return {}", at(slot)));
            }
            Line::UnmapIdx => {
                let (vaddr, _) = *ctx.held.last().expect("scripts unmap only what they hold");
                if !layout.is_fixmap(vaddr) {
                    ctx.held.pop();
                    ctx.pc = program.next_op(pc) as u8;
                    n.say(|| format!("{} is not a fixmap address: kmap_high_unmap_local()", at(vaddr)));
                    return Ok(Flow::Next);
                }
                ctx.preempt += 1;
                let idx = s.kmap_ctrl(cpu, per_cpu).idx;
                let Some(top) = idx.checked_sub(1) else {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!("kunmap_local({}) finds {ctrl_name} empty", at(vaddr)),
                    ));
                };
                n.say(|| format!("preempt_disable(); kmap_local_idx() = {top}"));
                let slot = self.hooks_on(&mut s.hw, cpu, n).unmap_idx(u32::from(top), vaddr);
                if slot != vaddr {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "WARN_ON_ONCE(addr != __fix_to_virt(FIX_KMAP_BEGIN + idx)): kunmap_local({}) but index {top} is {}",
                            at(vaddr),
                            at(slot)
                        ),
                    ));
                }
                ctx.slot = Some(slot);
            }
            Line::PreUnmap => self.hooks_on(&mut s.hw, cpu, n).pre_unmap(in_progress()),
            Line::PteClear => {
                let deferred = s.hw.set_pte(&self.platform, cpu, in_progress(), None);
                n.say(|| format!("pte_clear({}){}", at(in_progress()), lazily(deferred)));
            }
            Line::PostUnmap => {
                let slot = in_progress();
                self.hooks_on(&mut s.hw, cpu, n).post_unmap(slot);
                let (_, page) = *ctx.held.last().expect("the mapping being torn down is held");
                s.hw.check_torn_down(&self.platform, cpu, slot, page)?;
            }
            Line::Pop => {
                let ctrl = s.kmap_ctrl(cpu, per_cpu);
                let top = ctrl.idx - 1;
                ctrl.set_top(None);
                ctrl.pop(layout.km_incr as u8);
                ctx.preempt -= 1;
                ctx.slot = None;
                ctx.held.pop();
                n.say(|| format!("{ctrl_name}.pteval[{top}] = none; kmap_local_idx_pop(); preempt_enable()"));
            }
            Line::MigrateEnable => {
                s.tasks[task].migrate_disable -= 1;
                n.say(|| "migrate_enable()".to_string());
            }
            Line::Read | Line::Write => {
                let write = program.instrs[pc].line == Line::Write;
                let (vaddr, page) = *ctx.held.last().expect("scripts access only what they hold");
                s.hw.access(&self.platform, cpu, vaddr, page, write, &mut s.data)?;
                let version = s.data[page as usize];
                let verb = if write { "write" } else { "read" };
                n.say(|| format!("{verb} P{page} through {}: version {version}", at(vaddr)));
            }
            Line::WritePkmap(page) => {
                let vaddr = layout.pkmap_vaddr(page);
                s.hw.access(&self.platform, cpu, vaddr, page, true, &mut s.data)?;
                let version = s.data[page as usize];
                n.say(|| format!("write P{page} through {}: version {version}", at(vaddr)));
            }
            Line::Fault => {
                s.tasks[task].run = Run::Blocked;
                n.say(|| "copy_from_user() faults; the fault handler sleeps until the page is in".to_string());
            }
            Line::ReturnToUser => {
                let t = &s.tasks[task];
                let idx = if per_cpu { s.cpus[cpu].kmap_ctrl.idx } else { t.kmap_ctrl.idx };
                if idx != 0 || !ctx.held.is_empty() || t.migrate_disable != 0 {
                    return Err(Violation::new(
                        Property::NoMappingAtUserReturn,
                        format!(
                            "returns to user space with {ctrl_name}.idx {idx}, {} mapping(s) held and migrate_disable {}",
                            ctx.held.len(),
                            t.migrate_disable
                        ),
                    ));
                }
                s.tasks[task].run = Run::Exited;
                n.say(|| "return to user space: no mapping live".to_string());
            }
            Line::IrqReturn => {
                let idx = s.kmap_ctrl(cpu, per_cpu).idx;
                if idx != ctx.entry_idx || !ctx.held.is_empty() {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "the interrupt returns with {ctrl_name}.idx {idx} (it found {}) and {} mapping(s) held",
                            ctx.entry_idx,
                            ctx.held.len()
                        ),
                    ));
                }
                n.say(|| format!("{ctrl_name}.idx is back at {idx}"));
                return Ok(Flow::IrqDone);
            }
        }
        Ok(Flow::Next)
    }

    /// `__kmap_local_sched_out()`: before `switch_to()`, take the outgoing
    /// task's mappings out of this CPU's slots.
    pub(super) fn sched_out(&self, s: &mut State, cpu: usize, task: usize, n: &mut Narrator) -> Result<(), Violation> {
        let ctrl = s.tasks[task].kmap_ctrl.clone();
        for i in 0..ctrl.idx {
            let Some(pfn) = self.saved_pte(&ctrl, i)? else { continue };
            let slot = self.hooks_on(&mut s.hw, cpu, n).map_idx(u32::from(i), pfn);
            self.hooks_on(&mut s.hw, cpu, n).pre_unmap(slot);
            let deferred = s.hw.set_pte(&self.platform, cpu, slot, None);
            n.say(|| format!("pte_clear({}){}", Addr::new(&self.platform.layout, slot), lazily(deferred)));
            self.hooks_on(&mut s.hw, cpu, n).post_unmap(slot);
        }
        Ok(())
    }

    /// `__kmap_local_sched_in()`: after `switch_to()`, put the incoming
    /// task's mappings back into this CPU's slots.
    pub(super) fn sched_in(&self, s: &mut State, cpu: usize, task: usize, n: &mut Narrator) -> Result<(), Violation> {
        let ctrl = s.tasks[task].kmap_ctrl.clone();
        for i in 0..ctrl.idx {
            let Some(pfn) = self.saved_pte(&ctrl, i)? else { continue };
            let slot = self.hooks_on(&mut s.hw, cpu, n).map_idx(u32::from(i), pfn);
            let deferred = s.hw.set_pte(&self.platform, cpu, slot, Some(pfn));
            n.say(|| format!("set_pte({}, P{pfn}){}", Addr::new(&self.platform.layout, slot), lazily(deferred)));
            self.hooks_on(&mut s.hw, cpu, n).post_map(slot, Some(pfn));
        }
        Ok(())
    }

    /// The slots a task's mappings occupy on `cpu`, as the save and
    /// restore loops compute them with the port's `map_idx`.
    pub(super) fn live_slots(&self, s: &State, cpu: usize, task: usize) -> Result<Vec<(Vaddr, Pfn)>, Violation> {
        let ctrl = &s.tasks[task].kmap_ctrl;
        let layout = &self.platform.layout;
        let mut slots = Vec::new();
        for i in 0..ctrl.idx {
            if let Some(pfn) = self.saved_pte(ctrl, i)? {
                let slot = slot_of(&self.hooks, layout, Hook::MapIdx, u32::from(i), cpu, layout.colour(pfn));
                slots.push((slot, pfn));
            }
        }
        Ok(slots)
    }

    /// The PTE saved for index `i`, skipping the guard indexes of
    /// CONFIG_DEBUG_HIGHMEM; both loops `WARN_ON_ONCE` when one is off.
    fn saved_pte(&self, ctrl: &KmapCtrl, i: u8) -> Result<Option<Pfn>, Violation> {
        let guard = self.platform.layout.km_incr == 2 && i & 1 == 0;
        match (guard, ctrl.saved(i)) {
            (true, None) => Ok(None),
            (false, Some(pfn)) => Ok(Some(pfn)),
            (true, Some(pfn)) => Err(Violation::new(
                Property::BalancedIndexStack,
                format!("WARN_ON_ONCE(!pte_none(pteval)): guard index {i} holds P{pfn}"),
            )),
            (false, None) => Err(Violation::new(
                Property::BalancedIndexStack,
                format!("WARN_ON_ONCE(pte_none(pteval)): index {i} is live but has no saved PTE"),
            )),
        }
    }
}

fn lazily(deferred: bool) -> &'static str {
    if deferred {
        " (deferred by lazy MMU mode)"
    } else {
        ""
    }
}
