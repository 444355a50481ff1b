//! The generic kmap_local code of mm/highmem.c and the restore loop of
//! the context switch, one step at a time.
//!
//! Each line does what its C counterpart does (see `program.rs` for the
//! C text) and calls the arch hooks only through [`ArchHooks`], where the
//! [`Contract`](super::Contract) calls them. The kernel's own assertions
//! (`BUG_ON`, `WARN_ON_ONCE`) count as broken properties: they are how
//! the generic code says its invariants failed.

use super::contract::{Contract, IndexStack};
use super::hook_runner::{slot_of, HookRunner};
use super::layout::{Addr, Loc};
use super::machine::Machine;
use super::narrator::Narrator;
use super::program::{HookLine, KmapLine, KunmapLine, Line, Program, RestoreLine, ScriptLine};
use super::property::{Property, Violation};
use super::scenario::Op;
use super::state::{Ctrl, Ctx, Run, State};
use crate::{ArchHooks, Hook, Page, Pfn, PteVal};

/// Who runs on a CPU: its interrupt handler, its restore of the incoming
/// task's mappings, or its current task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Runner {
    Irq,
    Restore,
    Task,
}

/// Whether the rest of a step's lines run.
enum Flow {
    Next,
    /// The context returned early, or ended.
    Stop,
}

impl Machine {
    /// Who runs the next step on `cpu`, and its context and program.
    pub(super) fn runner(&self, s: &State, cpu: usize) -> (Runner, Ctx, &Program) {
        let shape = &self.platform.shape;
        if shape.irq(cpu).present(s) {
            return (Runner::Irq, shape.irq(cpu), &self.irq);
        }
        if shape.restore(cpu).present(s) {
            return (Runner::Restore, shape.restore(cpu), &self.restore);
        }
        let task = shape.current(s, cpu).expect("only a CPU with a task runs generic code");
        (Runner::Task, shape.task_ctx(task), &self.tasks[task])
    }

    /// Runs one step for whoever runs on `cpu`.
    pub(super) fn run_step(&self, s: &mut State, cpu: usize, n: &mut Narrator) -> Result<(), Violation> {
        let task = self.platform.shape.current(s, cpu).expect("only a CPU with a task runs generic code");
        let (runner, ctx, program) = self.runner(s, cpu);
        let pc = ctx.pc(s);
        ctx.set_pc(s, pc + 1);
        let mut exec = Exec { m: self, s, cpu, task, runner, ctx, n, program, pc };
        for &line in &program.steps[pc].lines {
            match exec.line(line) {
                Ok(Flow::Next) => {}
                Ok(Flow::Stop) => break,
                Err(v) => return Err(v.seen_by(&self.who(cpu, task, runner == Runner::Irq))),
            }
        }
        Ok(())
    }

    /// The PTE saved for index `i`, skipping the guard indexes of
    /// CONFIG_DEBUG_HIGHMEM; both restore loops `WARN_ON_ONCE` when one
    /// is off.
    pub(super) fn saved_pte(&self, s: &State, ctrl: Ctrl, i: u8) -> Result<Option<Pfn>, Violation> {
        let guard = self.platform.layout.km_incr == 2 && i & 1 == 0;
        match (guard, ctrl.saved(s, i)) {
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

    /// The slot of stack index `i` mapping `pfn` on `cpu`, as a path
    /// computes it: with the arch's index hook if the path lists one.
    pub(super) fn path_slot(
        &self,
        s: &mut State,
        path: &[super::contract::Call],
        cpu: usize,
        i: u8,
        pfn: Pfn,
        n: &mut Narrator,
    ) -> Loc {
        let layout = &self.platform.layout;
        let slot = match Contract::index_hook(path) {
            Some(_) => self.hooks_on(s, cpu, None, n).map_idx(u32::from(i), pfn),
            None => layout.calc_idx(u32::from(i), cpu),
        };
        layout.loc(slot)
    }

    /// The slots a task's mappings occupy on `cpu`, as the save and
    /// restore loops compute them with the port's `map_idx`.
    pub(super) fn live_slots(&self, s: &State, cpu: usize, task: usize) -> Result<Vec<(Loc, Pfn)>, Violation> {
        let ctrl = self.platform.shape.task_ctrl(task);
        let layout = &self.platform.layout;
        let mut slots = Vec::new();
        for i in 0..ctrl.idx(s) {
            if let Some(pfn) = self.saved_pte(s, ctrl, i)? {
                let slot = slot_of(&self.hooks, layout, Hook::MapIdx, u32::from(i), cpu, layout.colour(pfn));
                slots.push((layout.loc(slot), pfn));
            }
        }
        Ok(slots)
    }

    /// Starts the restore of `task`'s mappings on `cpu` at the first live
    /// index from `from`: computes its slot and points the CPU's restore
    /// at it; ends the restore when no live index is left.
    pub(super) fn restore_from(
        &self,
        s: &mut State,
        cpu: usize,
        task: usize,
        from: u8,
        n: &mut Narrator,
    ) -> Result<(), Violation> {
        let shape = &self.platform.shape;
        let (ctrl, ctx) = (shape.task_ctrl(task), shape.restore(cpu));
        let path = self.contract.switch.as_ref().map_or(&[][..], |sw| &sw.sched_in);
        for i in from..ctrl.idx(s) {
            if let Some(pfn) = self.saved_pte(s, ctrl, i)? {
                let slot = self.path_slot(s, path, cpu, i, pfn, n);
                ctx.start(s, i);
                ctx.set_slot(s, Some(slot));
                return Ok(());
            }
        }
        ctx.clear(s);
        Ok(())
    }
}

/// One step being run: by whom, where, on which state.
struct Exec<'a> {
    m: &'a Machine,
    s: &'a mut State,
    cpu: usize,
    /// The CPU's current task.
    task: usize,
    runner: Runner,
    ctx: Ctx,
    n: &'a mut Narrator,
    program: &'a Program,
    pc: usize,
}

impl Exec<'_> {
    fn line(&mut self, line: Line) -> Result<Flow, Violation> {
        match line {
            Line::Kmap(l) => self.kmap(l),
            Line::Kunmap(l) => self.kunmap(l),
            Line::Restore(l) => self.restore(l).map(|()| Flow::Next),
            Line::Hook(h) => self.hook(h).map(|()| Flow::Next),
            Line::Script(l) => self.script(l),
        }
    }

    /// The lines of `__kmap_local_page_prot()` and `__kmap_local_pfn_prot()`.
    fn kmap(&mut self, line: KmapLine) -> Result<Flow, Violation> {
        let layout = &self.m.platform.layout;
        match line {
            KmapLine::HighGet(page) => {
                if let Some(vaddr) = self.hooks(None).high_get(page) {
                    let loc = layout.loc(vaddr);
                    self.ctx.push_held(self.s, loc, page);
                    self.ctx.set_pc(self.s, self.program.next_op(self.pc));
                    let at = layout.addr(loc);
                    self.n.say(|| format!("return {at}: no fixmap slot, no migrate_disable()"));
                    return Ok(Flow::Stop);
                }
            }
            KmapLine::MigrateDisable => {
                let shape = &self.m.platform.shape;
                shape.set_migrate_disable(self.s, self.task, shape.migrate_disable(self.s, self.task) + 1);
                self.n.say(|| "migrate_disable()".to_string());
            }
            KmapLine::Push(page) => self.push(page)?,
            KmapLine::SetPte(page) => {
                let slot = self.slot();
                let written = self.m.platform.set_pte(self.s, self.cpu, slot, Some(page));
                let at = layout.addr(slot);
                self.n.say(|| format!("set_pte_at({at}, P{page}){}", written.note()));
            }
            KmapLine::Save(page) => {
                let slot = self.slot();
                let ctrl = self.ctrl();
                let top = ctrl.idx(self.s) - 1;
                ctrl.set_saved(self.s, top, Some(page));
                self.ctx.set_slot(self.s, None);
                self.ctx.push_held(self.s, slot, page);
                let (name, at) = (self.m.ctrl_name(), layout.addr(slot));
                self.n.say(|| format!("{name}.pteval[{top}] = P{page}; preempt_enable(); return {at}"));
            }
        }
        Ok(Flow::Next)
    }

    /// `preempt_disable(); idx = arch_kmap_local_map_idx(kmap_local_idx_push(), pfn);`
    /// then `BUG_ON(!pte_none(*(kmap_pte - idx)))`.
    fn push(&mut self, page: Page) -> Result<(), Violation> {
        let layout = &self.m.platform.layout;
        let idx = self.ctrl().push(self.s, layout.km_incr as u8);
        self.n.say(|| format!("preempt_disable(); kmap_local_idx_push() = {}", idx - 1));
        if u32::from(idx) >= layout.km_max_idx {
            let max = layout.km_max_idx;
            return Err(Violation::new(
                Property::BalancedIndexStack,
                format!("kmap_local_idx_push(): BUG_ON(idx {idx} >= KM_MAX_IDX {max}): the stack overflows"),
            ));
        }
        let slot = self.m.path_slot(self.s, &self.m.contract.map, self.cpu, idx - 1, page, self.n);
        self.ctx.set_slot(self.s, Some(slot));
        if let Some(other) = self.m.platform.pte(self.s, slot) {
            return Err(Violation::new(
                Property::SlotFree,
                format!("BUG_ON(!pte_none()): mapping P{page} at {} which still maps P{other}", layout.addr(slot)),
            ));
        }
        Ok(())
    }

    /// The lines of `kunmap_local_indexed()`.
    fn kunmap(&mut self, line: KunmapLine) -> Result<Flow, Violation> {
        let (p, layout) = (&self.m.platform, &self.m.platform.layout);
        // Until the pop, the mapping being torn down is still the innermost held.
        match line {
            KunmapLine::Find => {
                let (loc, _) = self.ctx.held_top(self.s).expect("scripts unmap only what they hold");
                return self.find(loc);
            }
            KunmapLine::PteClear => {
                let slot = self.slot();
                let written = p.set_pte(self.s, self.cpu, slot, None);
                let at = layout.addr(slot);
                self.n.say(|| format!("pte_clear({at}){}", written.note()));
            }
            KunmapLine::Pop => {
                let (slot, (_, page)) = (self.slot(), self.ctx.held_top(self.s).expect("the unmapped one is held"));
                p.check_torn_down(self.s, self.cpu, slot, page)?;
                let ctrl = self.ctrl();
                let top = ctrl.idx(self.s) - 1;
                ctrl.set_saved(self.s, top, None);
                ctrl.pop(self.s, layout.km_incr as u8);
                self.ctx.set_slot(self.s, None);
                self.ctx.pop_held(self.s);
                let name = self.m.ctrl_name();
                self.n.say(|| format!("{name}.pteval[{top}] = none; kmap_local_idx_pop(); preempt_enable()"));
            }
            KunmapLine::MigrateEnable => {
                let shape = &p.shape;
                shape.set_migrate_disable(self.s, self.task, shape.migrate_disable(self.s, self.task) - 1);
                self.n.say(|| "migrate_enable()".to_string());
            }
        }
        Ok(Flow::Next)
    }

    /// The start of `kunmap_local_indexed()`: a pkmap address goes back to
    /// kmap_high's accounting; a fixmap one must be the top of the stack.
    fn find(&mut self, held: Loc) -> Result<Flow, Violation> {
        let layout = &self.m.platform.layout;
        let at = layout.addr(held);
        if !layout.is_fixmap(held) {
            self.ctx.pop_held(self.s);
            self.ctx.set_pc(self.s, self.program.next_op(self.pc));
            self.n.say(|| format!("{at} is not a fixmap address: kmap_high_unmap_local()"));
            return Ok(Flow::Stop);
        }
        let name = self.m.ctrl_name();
        let Some(top) = self.ctrl().idx(self.s).checked_sub(1) else {
            return Err(Violation::new(Property::BalancedIndexStack, format!("kunmap_local({at}) finds {name} empty")));
        };
        self.n.say(|| format!("preempt_disable(); kmap_local_idx() = {top}"));
        let vaddr = layout.vaddr(held);
        let slot = match Contract::index_hook(&self.m.contract.unmap) {
            Some(_) => self.hooks(None).unmap_idx(u32::from(top), vaddr),
            None => layout.calc_idx(u32::from(top), self.cpu),
        };
        if slot != vaddr {
            return Err(Violation::new(
                Property::BalancedIndexStack,
                format!(
                    "WARN_ON_ONCE(addr != __fix_to_virt(FIX_KMAP_BEGIN + idx)): kunmap_local({at}) but index {top} is {}",
                    Addr::Slot(slot)
                ),
            ));
        }
        self.ctx.set_slot(self.s, Some(held));
        Ok(Flow::Next)
    }

    /// One line of the restore loop of `__kmap_local_sched_in()`.
    fn restore(&mut self, line: RestoreLine) -> Result<(), Violation> {
        let p = &self.m.platform;
        let (slot, i) = (self.slot(), self.ctx.aux(self.s));
        let pfn = p.shape.task_ctrl(self.task).saved(self.s, i).expect("the restore points at a live index");
        match line {
            RestoreLine::SetPte => {
                let written = p.set_pte(self.s, self.cpu, slot, Some(pfn));
                let at = p.layout.addr(slot);
                self.n.say(|| format!("set_pte_at({at}, P{pfn}){}", written.note()));
                Ok(())
            }
            RestoreLine::Next => {
                p.check_remapped(self.s, self.cpu, slot, pfn)?;
                self.m.restore_from(self.s, self.cpu, self.task, i + 1, self.n)
            }
        }
    }

    /// One step of an acting hook, with the arguments the generic code
    /// passes it here.
    fn hook(&mut self, line: HookLine) -> Result<(), Violation> {
        let slot = self.slot();
        let vaddr = self.m.platform.layout.vaddr(slot);
        let pteval: PteVal = match (line.hook.maps(), self.runner) {
            (false, _) => None,
            (true, Runner::Restore) => self.m.platform.shape.task_ctrl(self.task).saved(self.s, self.ctx.aux(self.s)),
            (true, _) => match self.program.op(self.pc) {
                Some(Op::Map(page)) => Some(page),
                _ => None,
            },
        };
        let mut hooks = self.hooks(Some(usize::from(line.step)));
        hooks.call(line.hook, vaddr, pteval);
        match hooks.failed {
            Some(v) => Err(v),
            None => Ok(()),
        }
    }

    /// The lines of the script around kmap_local: accesses, the sleeping
    /// fault, interrupts off and on, completions, the return to user
    /// space, the return from interrupt.
    fn script(&mut self, line: ScriptLine) -> Result<Flow, Violation> {
        let shape = &self.m.platform.shape;
        match line {
            ScriptLine::Read | ScriptLine::Write => {
                let (loc, page) = self.ctx.held_top(self.s).expect("scripts access only what they hold");
                self.access(loc, page, line == ScriptLine::Write)?;
            }
            ScriptLine::WritePkmap(page) => self.access(self.m.platform.layout.pkmap_loc(page), page, true)?,
            ScriptLine::Fault => {
                shape.set_run(self.s, self.task, Run::Blocked);
                self.n.say(|| "copy_from_user() faults; the fault handler sleeps until the page is in".to_string());
            }
            ScriptLine::IrqsOff => shape.set_irqs_off(self.s, self.cpu, shape.irqs_off(self.s, self.cpu) + 1),
            ScriptLine::IrqsOn => shape.set_irqs_off(self.s, self.cpu, shape.irqs_off(self.s, self.cpu) - 1),
            ScriptLine::Complete(c) => {
                shape.complete(self.s, c);
                for t in 0..self.m.tasks.len() {
                    if shape.run(self.s, t) == Run::Waiting(c) {
                        shape.set_run(self.s, t, Run::Ready);
                    }
                }
                self.n.say(|| format!("complete(&done{c}): its waiters are woken"));
            }
            ScriptLine::Wait(c) if shape.completed(self.s, c) => {
                self.n.say(|| format!("done{c} is already complete: no sleep"));
            }
            ScriptLine::Wait(c) => {
                shape.set_run(self.s, self.task, Run::Waiting(c));
                self.n.say(|| format!("wait_for_completion(&done{c}) sleeps"));
            }
            ScriptLine::ReturnToUser => self.return_to_user()?,
            ScriptLine::IrqReturn => {
                let (idx, held, found) = (self.ctrl().idx(self.s), self.ctx.held_len(self.s), self.ctx.aux(self.s));
                let name = self.m.ctrl_name();
                if idx != found || held != 0 {
                    return Err(Violation::new(
                        Property::BalancedIndexStack,
                        format!(
                            "the interrupt returns with {name}.idx {idx} (it found {found}) and {held} mapping(s) held"
                        ),
                    ));
                }
                self.ctx.clear(self.s);
                self.n.say(|| format!("{name}.idx is back at {idx}"));
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Next)
    }

    fn return_to_user(&mut self) -> Result<(), Violation> {
        let shape = &self.m.platform.shape;
        let (idx, held) = (self.ctrl().idx(self.s), self.ctx.held_len(self.s));
        let migrate_disable = shape.migrate_disable(self.s, self.task);
        if idx != 0 || held != 0 || migrate_disable != 0 {
            return Err(Violation::new(
                Property::NoMappingAtUserReturn,
                format!(
                    "returns to user space with {}.idx {idx}, {held} mapping(s) held and migrate_disable {migrate_disable}",
                    self.m.ctrl_name()
                ),
            ));
        }
        shape.set_run(self.s, self.task, Run::Exited);
        self.n.say(|| "return to user space: no mapping live".to_string());
        Ok(())
    }

    fn access(&mut self, loc: Loc, page: Page, write: bool) -> Result<(), Violation> {
        let platform = &self.m.platform;
        if let Err(v) = platform.access(self.s, self.cpu, loc, page, write) {
            return Err(self.explain_moved(v, loc));
        }
        let (version, at) = (platform.shape.data(self.s, page), platform.layout.addr(loc));
        let verb = if write { "write" } else { "read" };
        self.n.say(|| format!("{verb} P{page} through {at}: version {version}"));
        Ok(())
    }

    /// Adds to a failed access whether the task's mapping lives in another
    /// CPU's slot than the one this CPU restored it to: the task moved.
    fn explain_moved(&self, mut v: Violation, loc: Loc) -> Violation {
        let layout = &self.m.platform.layout;
        if self.runner != Runner::Task || self.m.contract.stack == IndexStack::PerCpu || !layout.is_fixmap(loc) {
            return v;
        }
        if let Ok(here) = self.m.live_slots(self.s, self.cpu, self.task) {
            if !here.iter().any(|&(slot, _)| slot == loc) {
                let here: Vec<String> = here.iter().map(|&(slot, _)| layout.addr(slot).to_string()).collect();
                v.detail += &format!(
                    "; the task got {} on another CPU, and this CPU keeps its mappings at {}",
                    layout.addr(loc),
                    here.join(", ")
                );
            }
        }
        v
    }

    fn hooks(&mut self, step: Option<usize>) -> HookRunner<'_> {
        self.m.hooks_on(self.s, self.cpu, step, self.n)
    }

    /// The index stack this context works on.
    fn ctrl(&self) -> Ctrl {
        self.m.ctrl(self.s, self.cpu)
    }

    /// The slot of the call in progress.
    fn slot(&self) -> Loc {
        self.ctx.slot(self.s).expect("a call in progress has its slot")
    }
}
