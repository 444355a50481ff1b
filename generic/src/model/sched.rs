//! What happens around the generic code: which transitions a state
//! allows (a line of code, a context switch, an interrupt, a wake-up, a
//! migration) and the ones the scheduler and the interrupt entry make.
//!
//! The rules are the kernel's, cut down to what kmap_local can observe:
//! `schedule()` runs where the current task is preemptible, or where it
//! sleeps or exits; an interrupt arrives between any two lines on a CPU
//! that runs a task, and no switch happens inside it; a task that is not
//! running may be woken, and may move to another CPU unless it is
//! migrate-disabled. The context switch is one step: it runs with
//! interrupts off, touches only its own CPU's slots and TLB, and does
//! nothing to the cache that another CPU could tell from a write-back.

use super::machine::Machine;
use super::narrator::Narrator;
use super::property::Violation;
use super::state::{Context, Run, State};

/// One transition of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Action {
    /// The CPU runs one line: its interrupt handler's, else its task's.
    Run(usize),
    /// `schedule()` on the CPU switches to a task, or to idle.
    Switch { cpu: usize, to: Option<usize> },
    /// An interrupt arrives on the CPU.
    Interrupt(usize),
    /// A task's page fault is resolved and the task is woken.
    Wake(usize),
    /// A task that is not running moves to another CPU's runqueue.
    Migrate { task: usize, to: usize },
}

impl Machine {
    /// The transitions `s` allows.
    pub fn actions(&self, s: &State) -> Vec<Action> {
        let mut actions = Vec::new();
        for (cpu, c) in s.cpus.iter().enumerate() {
            if c.irq.is_some() {
                actions.push(Action::Run(cpu));
                continue;
            }
            let current = c.current.map(usize::from);
            if let Some(t) = current {
                let task = &s.tasks[t];
                if task.run == Run::Ready {
                    actions.push(Action::Run(cpu));
                    if s.irqs_left > 0 {
                        actions.push(Action::Interrupt(cpu));
                    }
                    if task.ctx.preempt > 0 {
                        continue;
                    }
                }
                actions.push(Action::Switch { cpu, to: None });
            }
            for (u, task) in s.tasks.iter().enumerate() {
                if Some(u) != current && task.run == Run::Ready && usize::from(task.cpu) == cpu && !s.is_running(u) {
                    actions.push(Action::Switch { cpu, to: Some(u) });
                }
            }
        }
        for (t, task) in s.tasks.iter().enumerate() {
            if s.is_running(t) || task.run == Run::Exited {
                continue;
            }
            if task.run == Run::Blocked {
                actions.push(Action::Wake(t));
            }
            if task.migrate_disable == 0 {
                let others = (0..s.cpus.len()).filter(|&c| c != usize::from(task.cpu));
                actions.extend(others.map(|to| Action::Migrate { task: t, to }));
            }
        }
        actions
    }

    /// Makes one transition; a broken property stops it.
    pub fn apply(&self, s: &mut State, action: Action, n: &mut Narrator) -> Result<(), Violation> {
        match action {
            Action::Run(cpu) => self.run_line(s, cpu, n),
            Action::Switch { cpu, to } => self.switch(s, cpu, to, n),
            Action::Interrupt(cpu) => {
                let entry_idx = s.kmap_ctrl(cpu, self.variant.per_cpu_index()).idx;
                s.cpus[cpu].irq = Some(Context { entry_idx, ..Context::default() });
                s.irqs_left -= 1;
                n.say(|| format!("the handler's kmap_local calls use the index stack at idx {entry_idx}"));
                Ok(())
            }
            Action::Wake(task) => {
                s.tasks[task].run = Run::Ready;
                n.say(|| "the fault's I/O completes: wake_up_process()".to_string());
                Ok(())
            }
            Action::Migrate { task, to } => {
                s.tasks[task].cpu = to as u8;
                n.say(|| format!("the load balancer moves it to CPU{to}'s runqueue"));
                Ok(())
            }
        }
    }

    /// `schedule()` on `cpu`: `prepare_task_switch()` (with
    /// `kmap_local_sched_out()`), `arch_start_context_switch()`, which
    /// leaves lazy MMU mode, `switch_to()`, then `finish_task_switch()`
    /// (with `kmap_local_sched_in()`).
    fn switch(&self, s: &mut State, cpu: usize, to: Option<usize>, n: &mut Narrator) -> Result<(), Violation> {
        let from = s.cpus[cpu].current.map(usize::from);
        let saves = self.variant.saves_on_switch();
        // kmap_local_sched_out() and _in() call the real work only when the task holds mappings.
        let holds = |s: &State, task: Option<usize>| task.filter(|&t| s.tasks[t].kmap_ctrl.idx != 0);
        if let (true, Some(out)) = (saves, holds(s, from)) {
            n.say(|| format!("__kmap_local_sched_out() for {}", self.task_name(from)));
            self.sched_out(s, cpu, out, n)?;
        }
        if self.platform.facts.lazy_mmu {
            s.hw.flush_deferred(&self.platform, cpu);
            n.say(|| "arch_start_context_switch(): deferred PTE writes are flushed".to_string());
        }
        n.say(|| format!("switch_to({})", self.task_name(to)));
        s.cpus[cpu].current = to.map(|t| t as u8);
        if let (true, Some(back)) = (saves, holds(s, to)) {
            n.say(|| format!("__kmap_local_sched_in() for {}", self.task_name(to)));
            self.sched_in(s, cpu, back, n)?;
        }
        if self.variant.per_cpu_index() {
            return Ok(());
        }
        self.check_switch(s, cpu, from, to).map_err(|v| {
            v.seen_by(&format!("after switching CPU{cpu} from {} to {}", self.task_name(from), self.task_name(to)))
        })
    }

    /// After a switch, the CPU's slots hold the incoming task's mappings and
    /// nothing of the outgoing task's is left in the page table, the TLB or
    /// the cache.
    fn check_switch(&self, s: &State, cpu: usize, from: Option<usize>, to: Option<usize>) -> Result<(), Violation> {
        let gone = match from {
            Some(t) => self.live_slots(s, cpu, t)?,
            None => Vec::new(),
        };
        let back = match to {
            Some(t) => self.live_slots(s, cpu, t)?,
            None => Vec::new(),
        };
        for &(slot, pfn) in &gone {
            if !back.iter().any(|&(b, _)| b == slot) {
                s.hw.check_torn_down(&self.platform, cpu, slot, pfn)?;
            }
        }
        for &(slot, pfn) in &back {
            s.hw.check_remapped(&self.platform, cpu, slot, pfn)?;
        }
        Ok(())
    }
}
