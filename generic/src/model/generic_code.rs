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
use super::hook_runner::HookRunner;
use super::machine::Machine;
use super::narrator::Narrator;
use super::program::{Line, Program};
use super::property::{Property, Violation};
use super::state::{Context, KmapCtrl, Run, State};
use super::trace::Addr;
use crate::{ArchHooks, Hook, Page, Pfn, Vaddr};

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
    /// Every variant, the merged code first.
    pub const ALL: [Variant; 4] =
        [Variant::Merged, Variant::NoMigrateDisable, Variant::NoSchedSaveRestore, Variant::PerCpuIndex];

    /// A short name for reports and JSON.
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
        let program = if in_irq { &self.irq } else { &self.tasks[task] };
        let pc = usize::from(ctx.pc);
        ctx.pc += 1;
        let mut exec = Exec { m: self, s, cpu, task, in_irq, ctx: &mut ctx, n, program, pc };
        let flow = match program.instrs[pc].line {
            line @ (Line::HighGet(_)
            | Line::MigrateDisable
            | Line::Push(_)
            | Line::SetPte(_)
            | Line::PostMap(_)
            | Line::SavePteval(_)) => exec.kmap(line).map(|()| Flow::Next),
            line @ (Line::UnmapIdx
            | Line::PreUnmap
            | Line::PteClear
            | Line::PostUnmap
            | Line::Pop
            | Line::MigrateEnable) => exec.kunmap(line).map(|()| Flow::Next),
            line => exec.script(line),
        };
        match flow {
            Ok(Flow::IrqDone) => {}
            _ if in_irq => s.cpus[cpu].irq = Some(ctx),
            _ => s.tasks[task].ctx = ctx,
        }
        flow.map(|_| ()).map_err(|v| v.seen_by(&self.who(cpu, task, in_irq)))
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

/// One line being run: by whom, where, on which state.
struct Exec<'a> {
    m: &'a Machine,
    s: &'a mut State,
    cpu: usize,
    task: usize,
    in_irq: bool,
    ctx: &'a mut Context,
    n: &'a mut Narrator,
    program: &'a Program,
    pc: usize,
}

impl Exec<'_> {
    /// The lines of `__kmap_local_page_prot()` and `__kmap_local_pfn_prot()`.
    fn kmap(&mut self, line: Line) -> Result<(), Violation> {
        let layout = self.m.platform.layout;
        match line {
            Line::HighGet(page) => {
                if let Some(vaddr) = self.hooks().high_get(page) {
                    self.ctx.held.push((vaddr, page));
                    self.ctx.pc = self.program.next_op(self.pc) as u8;
                    let at = self.at(vaddr);
                    self.n.say(|| format!("return {at}: no fixmap slot, no migrate_disable()"));
                }
            }
            Line::MigrateDisable => {
                self.s.tasks[self.task].migrate_disable += 1;
                self.n.say(|| "migrate_disable()".to_string());
            }
            Line::Push(page) => {
                self.ctx.preempt += 1;
                let idx = self.ctrl().push(layout.km_incr as u8);
                self.n.say(|| format!("preempt_disable(); kmap_local_idx_push() = {}", idx - 1));
                if u32::from(idx) >= layout.km_max_idx {
                    let max = layout.km_max_idx;
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!("kmap_local_idx_push(): BUG_ON(idx {idx} >= KM_MAX_IDX {max}): the stack overflows"),
                    ));
                }
                self.ctx.slot = Some(self.hooks().map_idx(u32::from(idx - 1), page));
            }
            Line::SetPte(page) => {
                let slot = self.slot();
                if let Some(other) = self.s.hw.pte(slot) {
                    return Err(Violation::new(
                        Property::SlotFree,
                        format!("BUG_ON(!pte_none()): mapping P{page} at {} which still maps P{other}", self.at(slot)),
                    ));
                }
                let deferred = self.s.hw.set_pte(&self.m.platform, self.cpu, slot, Some(page));
                let at = self.at(slot);
                self.n.say(|| format!("set_pte({at}, P{page}){}", lazily(deferred)));
            }
            Line::PostMap(page) => {
                let slot = self.slot();
                self.hooks().post_map(slot, Some(page));
            }
            Line::SavePteval(page) => {
                let slot = self.slot();
                let ctrl = self.ctrl();
                let top = ctrl.idx - 1;
                ctrl.set_top(Some(page));
                self.ctx.preempt -= 1;
                self.ctx.slot = None;
                self.ctx.held.push((slot, page));
                let (name, at) = (self.ctrl_name(), self.at(slot));
                self.n.say(|| format!("{name}.pteval[{top}] = P{page}; preempt_enable(); return {at}"));
            }
            other => unreachable!("{other:?} is not a line of kmap_local"),
        }
        Ok(())
    }

    /// The lines of `kunmap_local_indexed()`.
    fn kunmap(&mut self, line: Line) -> Result<(), Violation> {
        let layout = self.m.platform.layout;
        // Until the pop, the mapping being torn down is still the innermost held.
        let held = || *self.ctx.held.last().expect("scripts unmap only what they hold");
        match line {
            Line::UnmapIdx => {
                let (vaddr, _) = held();
                let at = self.at(vaddr);
                if !layout.is_fixmap(vaddr) {
                    self.ctx.held.pop();
                    self.ctx.pc = self.program.next_op(self.pc) as u8;
                    self.n.say(|| format!("{at} is not a fixmap address: kmap_high_unmap_local()"));
                    return Ok(());
                }
                self.ctx.preempt += 1;
                let name = self.ctrl_name();
                let Some(top) = self.ctrl().idx.checked_sub(1) else {
                    let detail = format!("kunmap_local({at}) finds {name} empty");
                    return Err(Violation::new(Property::BalancedIndexStack, detail));
                };
                self.n.say(|| format!("preempt_disable(); kmap_local_idx() = {top}"));
                let slot = self.hooks().unmap_idx(u32::from(top), vaddr);
                if slot != vaddr {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "WARN_ON_ONCE(addr != __fix_to_virt(FIX_KMAP_BEGIN + idx)): kunmap_local({at}) but index {top} is {}",
                            self.at(slot)
                        ),
                    ));
                }
                self.ctx.slot = Some(slot);
            }
            Line::PreUnmap => {
                let slot = self.slot();
                self.hooks().pre_unmap(slot);
            }
            Line::PteClear => {
                let slot = self.slot();
                let deferred = self.s.hw.set_pte(&self.m.platform, self.cpu, slot, None);
                let at = self.at(slot);
                self.n.say(|| format!("pte_clear({at}){}", lazily(deferred)));
            }
            Line::PostUnmap => {
                let (slot, (_, page)) = (self.slot(), held());
                self.hooks().post_unmap(slot);
                self.s.hw.check_torn_down(&self.m.platform, self.cpu, slot, page)?;
            }
            Line::Pop => {
                let ctrl = self.ctrl();
                let top = ctrl.idx - 1;
                ctrl.set_top(None);
                ctrl.pop(layout.km_incr as u8);
                self.ctx.preempt -= 1;
                self.ctx.slot = None;
                self.ctx.held.pop();
                let name = self.ctrl_name();
                self.n.say(|| format!("{name}.pteval[{top}] = none; kmap_local_idx_pop(); preempt_enable()"));
            }
            Line::MigrateEnable => {
                self.s.tasks[self.task].migrate_disable -= 1;
                self.n.say(|| "migrate_enable()".to_string());
            }
            other => unreachable!("{other:?} is not a line of kunmap_local"),
        }
        Ok(())
    }

    /// The lines of the script around kmap_local: accesses, the sleeping
    /// fault, the return to user space, the return from interrupt.
    fn script(&mut self, line: Line) -> Result<Flow, Violation> {
        match line {
            Line::Read | Line::Write => {
                let (vaddr, page) = *self.ctx.held.last().expect("scripts access only what they hold");
                self.access(vaddr, page, line == Line::Write)?;
            }
            Line::WritePkmap(page) => self.access(self.m.platform.layout.pkmap_vaddr(page), page, true)?,
            Line::Fault => {
                self.s.tasks[self.task].run = Run::Blocked;
                self.n.say(|| "copy_from_user() faults; the fault handler sleeps until the page is in".to_string());
            }
            Line::ReturnToUser => {
                let (idx, held) = (self.ctrl().idx, self.ctx.held.len());
                let migrate_disable = self.s.tasks[self.task].migrate_disable;
                if idx != 0 || held != 0 || migrate_disable != 0 {
                    return Err(Violation::new(
                        Property::NoMappingAtUserReturn,
                        format!(
                            "returns to user space with {}.idx {idx}, {held} mapping(s) held and migrate_disable {migrate_disable}",
                            self.ctrl_name()
                        ),
                    ));
                }
                self.s.tasks[self.task].run = Run::Exited;
                self.n.say(|| "return to user space: no mapping live".to_string());
            }
            Line::IrqReturn => {
                let (idx, held, found) = (self.ctrl().idx, self.ctx.held.len(), self.ctx.entry_idx);
                let name = self.ctrl_name();
                if idx != found || held != 0 {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "the interrupt returns with {name}.idx {idx} (it found {found}) and {held} mapping(s) held"
                        ),
                    ));
                }
                self.n.say(|| format!("{name}.idx is back at {idx}"));
                return Ok(Flow::IrqDone);
            }
            other => unreachable!("{other:?} is a line of kmap_local or kunmap_local"),
        }
        Ok(Flow::Next)
    }

    fn access(&mut self, vaddr: Vaddr, page: Page, write: bool) -> Result<(), Violation> {
        let platform = &self.m.platform;
        if let Err(v) = self.s.hw.access(platform, self.cpu, vaddr, page, write, &mut self.s.data) {
            return Err(self.explain_moved(v, vaddr));
        }
        let (version, at) = (self.s.data[page as usize], self.at(vaddr));
        let verb = if write { "write" } else { "read" };
        self.n.say(|| format!("{verb} P{page} through {at}: version {version}"));
        Ok(())
    }

    /// Adds to a failed access whether the task's mapping lives in another
    /// CPU's slot than the one this CPU restored it to: the task moved.
    fn explain_moved(&self, mut v: Violation, vaddr: Vaddr) -> Violation {
        if self.in_irq || self.m.variant.per_cpu_index() || !self.m.platform.layout.is_fixmap(vaddr) {
            return v;
        }
        if let Ok(here) = self.m.live_slots(self.s, self.cpu, self.task) {
            if !here.iter().any(|&(slot, _)| slot == vaddr) {
                let here: Vec<String> = here.iter().map(|&(slot, _)| self.at(slot).to_string()).collect();
                v.detail += &format!(
                    "; the task got {} on another CPU, and this CPU keeps its mappings at {}",
                    self.at(vaddr),
                    here.join(", ")
                );
            }
        }
        v
    }

    fn hooks(&mut self) -> HookRunner<'_> {
        self.m.hooks_on(&mut self.s.hw, self.cpu, self.n)
    }

    /// The index stack this context works on.
    fn ctrl(&mut self) -> &mut KmapCtrl {
        self.s.kmap_ctrl(self.cpu, self.m.variant.per_cpu_index())
    }

    fn ctrl_name(&self) -> &'static str {
        if self.m.variant.per_cpu_index() {
            "this_cpu(kmap_ctrl)"
        } else {
            "current->kmap_ctrl"
        }
    }

    /// The slot of the kmap_local or kunmap_local call in progress.
    fn slot(&self) -> Vaddr {
        self.ctx.slot.expect("a kmap call in progress has its slot")
    }

    fn at(&self, vaddr: Vaddr) -> Addr {
        Addr::new(&self.m.platform.layout, vaddr)
    }
}

fn lazily(deferred: bool) -> &'static str {
    if deferred {
        " (deferred by lazy MMU mode)"
    } else {
        ""
    }
}
