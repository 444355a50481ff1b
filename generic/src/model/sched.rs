//! What happens around the generic code: which transitions a state
//! allows (a step of code, a context switch, an interrupt, a wake-up, a
//! migration) and the ones the scheduler and the interrupt entry make.
//!
//! The rules are the kernel's, cut down to what kmap_local can observe:
//! `schedule()` runs where the current task is preemptible, or where it
//! sleeps or exits; an interrupt arrives between any two steps on a CPU
//! that runs a task with interrupts on (not inside an interrupt handler,
//! not between a hook's `irq_disable` and `irq_enable`); a task that is
//! not running may be woken, and may move to another CPU unless it is
//! migrate-disabled. The switch itself runs `prepare_task_switch()` (with
//! `kmap_local_sched_out()`) and `switch_to()` in one transition, with
//! interrupts off as the kernel runs them; `finish_task_switch()` then
//! enables interrupts (`finish_lock_switch()`) before
//! `kmap_local_sched_in()` restores the incoming task's mappings, so the
//! restore runs as steps an interrupt can come between, with preemption
//! still off.

use super::contract::{Call, Contract, IndexStack};
use super::hook_runner::lazily;
use super::machine::Machine;
use super::narrator::Narrator;
use super::program::Acting;
use super::property::Violation;
use super::state::{Run, State};

/// One transition of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Action {
    /// The CPU runs one step: its interrupt handler's, else its restore's,
    /// else its task's.
    Run(u8),
    /// `schedule()` on the CPU switches to a task, or to idle.
    Switch { cpu: u8, to: Option<u8> },
    /// An interrupt arrives on the CPU.
    Interrupt(u8),
    /// A task's page fault is resolved and the task is woken.
    Wake(u8),
    /// A task that is not running moves to another CPU's runqueue.
    Migrate { task: u8, to: u8 },
}

impl Machine {
    /// The transitions `s` allows, appended to `actions`.
    pub fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        let shape = &self.platform.shape;
        let cpus = self.platform.layout.cpus;
        for cpu in 0..cpus {
            let c = cpu as u8;
            if shape.irq(cpu).present(s) {
                actions.push(Action::Run(c));
                continue;
            }
            let irqs_on = shape.irqs_off(s, cpu) == 0 && shape.irqs_left(s) > 0;
            if shape.restore(cpu).present(s) {
                actions.push(Action::Run(c));
                let irqs_on_restore = self.contract.switch.as_ref().is_some_and(|sw| sw.irqs_on_sched_in);
                if irqs_on && irqs_on_restore {
                    actions.push(Action::Interrupt(c));
                }
                continue;
            }
            let current = shape.current(s, cpu);
            if let Some(t) = current {
                if shape.run(s, t) == Run::Ready {
                    actions.push(Action::Run(c));
                    if irqs_on {
                        actions.push(Action::Interrupt(c));
                    }
                    let ctx = shape.task_ctx(t);
                    let preemptible = self.tasks[t].steps.get(ctx.pc(s)).is_none_or(|step| step.preemptible);
                    if !preemptible || shape.irqs_off(s, cpu) > 0 {
                        continue;
                    }
                }
                actions.push(Action::Switch { cpu: c, to: None });
            }
            for u in 0..self.tasks.len() {
                if Some(u) != current
                    && shape.run(s, u) == Run::Ready
                    && shape.task_cpu(s, u) == cpu
                    && !shape.is_running(s, cpus, u)
                {
                    actions.push(Action::Switch { cpu: c, to: Some(u as u8) });
                }
            }
        }
        for t in 0..self.tasks.len() {
            let run = shape.run(s, t);
            if run == Run::Exited || shape.is_running(s, cpus, t) {
                continue;
            }
            if run == Run::Blocked {
                actions.push(Action::Wake(t as u8));
            }
            if shape.migrate_disable(s, t) == 0 {
                let from = shape.task_cpu(s, t);
                let others = (0..cpus).filter(|&c| c != from);
                actions.extend(others.map(|to| Action::Migrate { task: t as u8, to: to as u8 }));
            }
        }
    }

    /// Makes one transition; a broken property stops it.
    pub fn apply(&self, s: &mut State, action: Action, n: &mut Narrator) -> Result<(), Violation> {
        let shape = &self.platform.shape;
        match action {
            Action::Run(cpu) => self.run_step(s, usize::from(cpu), n),
            Action::Switch { cpu, to } => self.switch(s, usize::from(cpu), to.map(usize::from), n),
            Action::Interrupt(cpu) => {
                let cpu = usize::from(cpu);
                let entry_idx = self.ctrl(s, cpu).idx(s);
                shape.irq(cpu).start(s, entry_idx);
                shape.set_irqs_left(s, shape.irqs_left(s) - 1);
                n.say(|| format!("the handler's kmap_local calls use the index stack at idx {entry_idx}"));
                Ok(())
            }
            Action::Wake(task) => {
                shape.set_run(s, usize::from(task), Run::Ready);
                n.say(|| "the fault's I/O completes: wake_up_process()".to_string());
                Ok(())
            }
            Action::Migrate { task, to } => {
                shape.set_task_cpu(s, usize::from(task), usize::from(to));
                n.say(|| format!("the load balancer moves it to CPU{to}'s runqueue"));
                Ok(())
            }
        }
    }

    /// `schedule()` on `cpu`: `prepare_task_switch()` with
    /// `kmap_local_sched_out()`, `arch_start_context_switch()`, which
    /// leaves lazy MMU mode, `switch_to()`; then `finish_task_switch()`
    /// starts restoring the incoming task's mappings.
    fn switch(&self, s: &mut State, cpu: usize, to: Option<usize>, n: &mut Narrator) -> Result<(), Violation> {
        let shape = &self.platform.shape;
        let from = shape.current(s, cpu);
        // kmap_local_sched_out() and _in() call the real work only when the task holds mappings.
        let holds = |s: &State, task: Option<usize>| task.filter(|&t| shape.task_ctrl(t).idx(s) != 0);
        if let (Some(sw), Some(out)) = (&self.contract.switch, holds(s, from)) {
            n.say(|| format!("__kmap_local_sched_out() for {}", self.task_name(from)));
            self.sched_out(s, cpu, out, &sw.sched_out, n)?;
        }
        if self.platform.facts.lazy_mmu {
            self.platform.flush_deferred(s, cpu);
            n.say(|| "arch_start_context_switch(): deferred PTE writes are flushed".to_string());
        }
        n.say(|| format!("switch_to({})", self.task_name(to)));
        shape.set_current(s, cpu, to);
        let seen = |v: Violation| {
            v.seen_by(&format!("after switching CPU{cpu} from {} to {}", self.task_name(from), self.task_name(to)))
        };
        if self.contract.stack == IndexStack::PerTask {
            self.check_switched_out(s, cpu, from).map_err(seen)?;
        }
        let Some((sw, back)) = self.contract.switch.as_ref().zip(holds(s, to)) else { return Ok(()) };
        n.say(|| {
            format!("finish_lock_switch() enables interrupts; __kmap_local_sched_in() for {}", self.task_name(to))
        });
        self.restore_from(s, cpu, back, 0, n).map_err(seen)?;
        if !sw.irqs_on_sched_in {
            // Nothing can come between the steps: run them all now.
            while shape.restore(cpu).present(s) {
                self.run_step(s, cpu, n)?;
            }
        }
        Ok(())
    }

    /// `__kmap_local_sched_out()`: before `switch_to()`, with interrupts
    /// off, take the outgoing task's mappings out of this CPU's slots,
    /// each hook with all its steps.
    fn sched_out(
        &self,
        s: &mut State,
        cpu: usize,
        task: usize,
        path: &[Call],
        n: &mut Narrator,
    ) -> Result<(), Violation> {
        let p = &self.platform;
        let ctrl = p.shape.task_ctrl(task);
        let skip = usize::from(Contract::index_hook(path).is_some());
        for i in 0..ctrl.idx(s) {
            let Some(pfn) = self.saved_pte(s, ctrl, i)? else { continue };
            let slot = self.path_slot(s, path, cpu, i, pfn, n);
            let vaddr = p.layout.vaddr(slot);
            for &call in &path[skip..] {
                let mut hooks = self.hooks_on(s, cpu, None, n);
                match call {
                    // Contract::validate keeps index hooks after the first
                    // call, high_get and PTE writes out of this path.
                    Call::Hook(hook) => Acting::of(hook).into_iter().for_each(|a| hooks.call(a, vaddr, Some(pfn))),
                    Call::SetPte => {}
                    Call::PteClear => {
                        let deferred = p.set_pte(hooks.s, cpu, slot, None);
                        let at = p.layout.addr(slot);
                        hooks.n.say(|| format!("pte_clear({at}){}", lazily(deferred)));
                    }
                }
                if let Some(v) = hooks.failed {
                    return Err(v);
                }
            }
        }
        Ok(())
    }

    /// After `switch_to()`, nothing of the outgoing task's mappings is left
    /// in this CPU's page table slots, TLB or cache.
    fn check_switched_out(&self, s: &State, cpu: usize, from: Option<usize>) -> Result<(), Violation> {
        let Some(task) = from else { return Ok(()) };
        for (slot, pfn) in self.live_slots(s, cpu, task)? {
            self.platform.check_torn_down(s, cpu, slot, pfn)?;
        }
        Ok(())
    }
}
