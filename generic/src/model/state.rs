//! The state of the modelled machine: one node of the checker's search.
//!
//! Everything that changes while a scenario runs lives here and nothing
//! else does; the port, the scripts and the layout are fixed for a check
//! and live in the `Machine`. States are hashed and compared whole, so
//! they hold small integers and nothing derived.

use super::hardware::Hardware;
use crate::{Page, PteVal, Vaddr};

/// The whole machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct State {
    pub cpus: Vec<Cpu>,
    pub tasks: Vec<Task>,
    pub hw: Hardware,
    /// Each page's current version: the data a read must see.
    pub data: Vec<u8>,
    /// Interrupts still to be delivered.
    pub irqs_left: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Cpu {
    /// The task running here (`current`), if the CPU is not idle.
    pub current: Option<u8>,
    /// The interrupt handler running here on top of `current`, if any.
    pub irq: Option<Context>,
    /// The CPU's own index stack: used only by `Variant::PerCpuIndex`.
    pub kmap_ctrl: KmapCtrl,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Task {
    /// Where the task is in its script.
    pub ctx: Context,
    /// `current->kmap_ctrl`.
    pub kmap_ctrl: KmapCtrl,
    /// `current->migration_disabled`.
    pub migrate_disable: u8,
    /// The CPU the task runs on or is queued on.
    pub cpu: u8,
    pub run: Run,
}

/// Whether a task can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Run {
    /// Running or runnable.
    Ready,
    /// Asleep in a page fault until woken.
    Blocked,
    /// Returned to user space; its script is done.
    Exited,
}

/// `struct kmap_ctrl`: the index stack and the PTE saved for each index.
///
/// The kernel's `pteval[]` has KM_MAX_IDX entries, all none above `idx`;
/// only the ones below `idx` are kept, so an empty stack allocates nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(super) struct KmapCtrl {
    pub idx: u8,
    pteval: Vec<PteVal>,
}

/// One thread of control running a script: a task or an interrupt handler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(super) struct Context {
    /// The next line of its program.
    pub pc: u8,
    /// `preempt_disable()` depth of the call in progress.
    pub preempt: u8,
    /// The fixmap slot the kmap_local or kunmap_local in progress works on.
    pub slot: Option<Vaddr>,
    /// The mappings the script holds, innermost last: address and page.
    pub held: Vec<(Vaddr, Page)>,
    /// For an interrupt: `kmap_ctrl.idx` when it arrived, to check on return.
    pub entry_idx: u8,
}

impl KmapCtrl {
    /// `kmap_local_idx_push()` without its BUG_ON: the new `idx`.
    pub fn push(&mut self, incr: u8) -> u8 {
        self.idx += incr;
        self.pteval.resize(usize::from(self.idx), None);
        self.idx
    }

    /// `pteval[kmap_local_idx()] = val`.
    pub fn set_top(&mut self, val: PteVal) {
        self.pteval[usize::from(self.idx) - 1] = val;
    }

    /// `kmap_local_idx_pop()`.
    pub fn pop(&mut self, incr: u8) {
        self.idx -= incr;
        self.pteval.truncate(usize::from(self.idx));
    }

    /// `pteval[i]`.
    pub fn saved(&self, i: u8) -> PteVal {
        self.pteval.get(usize::from(i)).copied().flatten()
    }
}

impl State {
    /// The index stack the generic code on `cpu` works on: the current
    /// task's, or the CPU's own when the stack is per CPU.
    pub fn kmap_ctrl(&mut self, cpu: usize, per_cpu: bool) -> &mut KmapCtrl {
        if per_cpu {
            return &mut self.cpus[cpu].kmap_ctrl;
        }
        let task = self.cpus[cpu].current.expect("generic code runs in a task's context");
        &mut self.tasks[usize::from(task)].kmap_ctrl
    }

    /// Whether `task` is `current` on some CPU.
    pub fn is_running(&self, task: usize) -> bool {
        self.cpus.iter().any(|c| c.current.map(usize::from) == Some(task))
    }
}
