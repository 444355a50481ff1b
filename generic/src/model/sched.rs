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
use super::machine::Machine;
use super::narrator::Narrator;
use super::program::{Acting, Program};
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

impl Action {
    /// The same action with CPU `c` called `names[c]`.
    pub fn renamed(self, names: &[u8]) -> Action {
        let n = |c: u8| names[usize::from(c)];
        match self {
            Action::Run(c) => Action::Run(n(c)),
            Action::Switch { cpu, to } => Action::Switch { cpu: n(cpu), to },
            Action::Interrupt(c) => Action::Interrupt(n(c)),
            Action::Wake(t) => Action::Wake(t),
            Action::Migrate { task, to } => Action::Migrate { task, to: n(to) },
        }
    }
}

impl Machine {
    /// The transitions `s` allows, appended to `actions`.
    pub fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        let shape = &self.platform.shape;
        let cpus = self.platform.layout.cpus;
        let mut running = [false; super::state::MAX_TASKS];
        for cpu in 0..cpus {
            if let Some(t) = shape.current(s, cpu) {
                running[t] = true;
            }
        }
        // Partial-order reduction: a step that touches only its own CPU's
        // state, on a CPU that can do nothing else, commutes with every
        // other transition; running it at once loses no outcome.
        if let Some(cpu) = (0..cpus).find(|&cpu| self.eager_local_steps && self.eager(s, cpu)) {
            actions.push(Action::Run(cpu as u8));
            return;
        }
        for cpu in 0..cpus {
            self.cpu_actions(s, cpu, &running, actions);
        }
        for (t, &busy) in running.iter().enumerate().take(self.tasks.len()) {
            let run = shape.run(s, t);
            if run == Run::Exited || busy {
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

    /// Whether the only thing `cpu` can do is its next step, and that step
    /// is local (`Step::local`): no interrupt can arrive (one is running,
    /// interrupts are off, or none is left) and no switch can happen.
    fn eager(&self, s: &State, cpu: usize) -> bool {
        let shape = &self.platform.shape;
        let no_irq = shape.irqs_off(s, cpu) > 0 || shape.irqs_left(s) == 0;
        let local = |program: &Program, ctx: super::state::Ctx| program.steps[ctx.pc(s)].local;
        if shape.irq(cpu).present(s) {
            return local(&self.irq, shape.irq(cpu));
        }
        if shape.restore(cpu).present(s) {
            let irqs_on_restore = self.contract.switch.as_ref().is_some_and(|sw| sw.irqs_on_sched_in);
            return (no_irq || !irqs_on_restore) && local(&self.restore, shape.restore(cpu));
        }
        let Some(t) = shape.current(s, cpu) else { return false };
        let ctx = shape.task_ctx(t);
        let Some(step) = self.tasks[t].steps.get(ctx.pc(s)) else { return false };
        shape.run(s, t) == Run::Ready && no_irq && (!step.preemptible || shape.irqs_off(s, cpu) > 0) && step.local
    }

    /// What `cpu` can do: run a step, take an interrupt, switch tasks.
    fn cpu_actions(&self, s: &State, cpu: usize, running: &[bool], actions: &mut Vec<Action>) {
        let shape = &self.platform.shape;
        let c = cpu as u8;
        if shape.irq(cpu).present(s) {
            actions.push(Action::Run(c));
            return;
        }
        let irqs_on = shape.irqs_off(s, cpu) == 0 && shape.irqs_left(s) > 0;
        if shape.restore(cpu).present(s) {
            actions.push(Action::Run(c));
            let irqs_on_restore = self.contract.switch.as_ref().is_some_and(|sw| sw.irqs_on_sched_in);
            if irqs_on && irqs_on_restore {
                actions.push(Action::Interrupt(c));
            }
            return;
        }
        let current = shape.current(s, cpu);
        if let Some(t) = current {
            if shape.run(s, t) == Run::Ready {
                actions.push(Action::Run(c));
                if irqs_on {
                    actions.push(Action::Interrupt(c));
                }
                let pc = shape.task_ctx(t).pc(s);
                let preemptible = self.tasks[t].steps.get(pc).is_none_or(|step| step.preemptible);
                if !preemptible || shape.irqs_off(s, cpu) > 0 {
                    return;
                }
            }
            actions.push(Action::Switch { cpu: c, to: None });
        }
        for (u, &busy) in running.iter().enumerate().take(self.tasks.len()) {
            if !busy && shape.run(s, u) == Run::Ready && shape.task_cpu(s, u) == cpu {
                actions.push(Action::Switch { cpu: c, to: Some(u as u8) });
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
            let written = self.platform.flush_deferred(s, cpu);
            n.say(|| format!("arch_start_context_switch(): deferred PTE writes are flushed{}", written.note()));
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
                        let written = p.set_pte(hooks.s, cpu, slot, None);
                        let at = p.layout.addr(slot);
                        hooks.n.say(|| format!("pte_clear({at}){}", written.note()));
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
