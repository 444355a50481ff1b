//! What the checker explores: the scripted scenario and the bounds
//! around it.
//!
//! A scenario is a few task scripts and one interrupt handler script,
//! written in terms of kmap_local's callers (map a page, access it, fault
//! and sleep, unmap, return to user space). The bounds add how many CPUs
//! run them and how many interrupts arrive; every interleaving within them
//! is explored: context switches at every preemptible point, migration
//! whenever a task is not migrate-disabled, interrupts between any two
//! lines of generic code.

use std::fmt;

use super::error::{ErrorKind, Location, ModelError};
use crate::Page;

/// One operation of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `kmap_local_page(page)`.
    Map(Page),
    /// Read through the innermost live mapping.
    Read,
    /// Write through the innermost live mapping.
    Write,
    /// `copy_from_user()` faults and the fault handler sleeps until the
    /// page is read in; the task is off the CPU until woken.
    Fault,
    /// `kunmap_local()` of the innermost live mapping.
    Unmap,
    /// Write the page through its permanent kmap() address, which some
    /// other code holds for the whole scenario.
    WritePkmap(Page),
    /// Return to user space; ends a task script.
    ReturnToUser,
}

/// A task's script, and the CPU the task starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The task's name in traces (`A`).
    pub name: String,
    /// The CPU whose runqueue the task starts on.
    pub cpu: u8,
    /// What the task does, in order.
    pub ops: Vec<Op>,
}

/// Task scripts, the interrupt handler's script, and the pages they use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Pages P0 .. P(pages-1), all in highmem.
    pub pages: u32,
    /// Pages that have a permanent kmap() mapping for the whole scenario.
    pub pkmapped: Vec<Page>,
    /// The tasks; the first task of each CPU runs first there.
    pub tasks: Vec<Script>,
    /// What an interrupt handler does; it returns after its last operation.
    pub interrupt: Vec<Op>,
}

/// The bounds of one check: the scenario, how many CPUs run it, how many
/// interrupts arrive, and the kernel configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// CPUs, each with its own slots and TLB.
    pub cpus: u8,
    /// Interrupts delivered in one run, each on any CPU running a task, between any two lines.
    pub interrupts: u8,
    /// CONFIG_DEBUG_HIGHMEM: KM_INCR is 2 and every even index is an unused guard.
    pub debug_highmem: bool,
    /// What runs.
    pub scenario: Scenario,
}

impl Scenario {
    /// The scenario of the design: task A keeps a page mapped across a
    /// page fault that sleeps, task B maps another page on the same CPU,
    /// and an interrupt nests a mapping of a third page.
    pub fn standard() -> Scenario {
        use Op::*;
        Scenario {
            pages: 3,
            pkmapped: Vec::new(),
            tasks: vec![
                Script { name: "A".into(), cpu: 0, ops: vec![Map(0), Write, Fault, Read, Unmap, ReturnToUser] },
                Script { name: "B".into(), cpu: 0, ops: vec![Map(1), Write, Unmap, ReturnToUser] },
            ],
            interrupt: vec![Map(2), Read, Unmap],
        }
    }

    /// The standard scenario plus a page that is permanently mapped by
    /// kmap() and written through that address by task B while task A
    /// maps it with kmap_local: what `arch_kmap_local_high_get` is for.
    pub fn with_pkmap() -> Scenario {
        use Op::*;
        let mut s = Scenario::standard();
        s.pkmapped = vec![0];
        s.tasks[1].ops = vec![WritePkmap(0), Map(1), Write, Unmap, ReturnToUser];
        s
    }

    fn depth(ops: &[Op]) -> u32 {
        let mut live = 0u32;
        let mut deepest = 0;
        for op in ops {
            match op {
                Op::Map(_) => live += 1,
                Op::Unmap => live = live.saturating_sub(1),
                _ => {}
            }
            deepest = deepest.max(live);
        }
        deepest
    }
}

impl Bounds {
    /// Two CPUs, one interrupt, the standard scenario, no debug guards.
    pub fn standard() -> Bounds {
        Bounds { cpus: 2, interrupts: 1, debug_highmem: false, scenario: Scenario::standard() }
    }

    /// Deepest kmap_local nesting in a task's script.
    pub fn task_depth(&self) -> u32 {
        self.scenario.tasks.iter().map(|t| Scenario::depth(&t.ops)).max().unwrap_or(0)
    }

    /// Nesting the interrupt handler adds on top of a task's.
    pub fn interrupt_depth(&self) -> u32 {
        if self.interrupts == 0 {
            0
        } else {
            Scenario::depth(&self.scenario.interrupt)
        }
    }

    /// KM_INCR: 2 with CONFIG_DEBUG_HIGHMEM, whose even indexes are guards.
    pub fn km_incr(&self) -> u32 {
        if self.debug_highmem {
            2
        } else {
            1
        }
    }

    /// KM_MAX_IDX: just enough for one task's deepest nesting with an
    /// interrupt on top, as `idx` must stay below it after each push. Like
    /// the kernel's, it bounds one task's stack; a per-CPU stack that
    /// preempted tasks share (`Variant::PerCpuIndex`) can outgrow it.
    pub fn km_max_idx(&self) -> u32 {
        (self.task_depth() + self.interrupt_depth()) * self.km_incr() + 1
    }

    /// Checks that the scripts make sense and fit the model.
    pub fn validate(&self) -> Result<(), ModelError> {
        let s = &self.scenario;
        let bounds_error = |kind| ModelError { location: Location::Bounds, kind };
        if self.cpus == 0 {
            return Err(bounds_error(ErrorKind::NoCpu));
        }
        // States keep CPUs, tasks, pages, indexes, program counters and data
        // versions in bytes; the limits keep every one of them far below 256.
        let writes = |ops: &[Op]| ops.iter().filter(|op| matches!(op, Op::Write | Op::WritePkmap(_))).count();
        let all_writes =
            s.tasks.iter().map(|t| writes(&t.ops)).sum::<usize>() + usize::from(self.interrupts) * writes(&s.interrupt);
        let longest = s.tasks.iter().map(|t| t.ops.len()).chain([s.interrupt.len()]).max().unwrap_or(0);
        let sizes = [
            ("CPUs", usize::from(self.cpus), 8),
            ("tasks", s.tasks.len(), 8),
            ("pages", s.pages as usize, 8),
            ("indexes per CPU (KM_MAX_IDX)", self.km_max_idx() as usize, 8),
            ("operations in one script", longest, 32),
            ("writes in one run", all_writes, 200),
        ];
        if let Some(&(what, _, limit)) = sizes.iter().find(|&&(_, n, limit)| n > limit) {
            return Err(bounds_error(ErrorKind::TooLarge { what, limit }));
        }
        if let Some(&page) = s.pkmapped.iter().find(|&&p| p >= s.pages) {
            return Err(bounds_error(ErrorKind::NoSuchPage(page as usize)));
        }
        for task in &s.tasks {
            let fail = |kind| ModelError { location: Location::Script(task.name.clone()), kind };
            if task.cpu >= self.cpus {
                return Err(fail(ErrorKind::NoSuchCpu));
            }
            let last = task.ops.len().checked_sub(1);
            if last.map(|i| task.ops[i]) != Some(Op::ReturnToUser)
                || task.ops.iter().filter(|&&op| op == Op::ReturnToUser).count() != 1
            {
                return Err(fail(ErrorKind::MissingUserReturn));
            }
            self.validate_ops(&task.ops).map_err(fail)?;
        }
        let fail = |kind| ModelError { location: Location::Script("interrupt".into()), kind };
        if let Some(i) = s.interrupt.iter().position(|op| matches!(op, Op::Fault | Op::ReturnToUser)) {
            return Err(fail(ErrorKind::NotInInterrupt(i)));
        }
        self.validate_ops(&s.interrupt).map_err(fail)
    }

    fn validate_ops(&self, ops: &[Op]) -> Result<(), ErrorKind> {
        let mut live = 0;
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Op::Map(page) if page >= self.scenario.pages => return Err(ErrorKind::NoSuchPage(i)),
                Op::WritePkmap(page) if !self.scenario.pkmapped.contains(&page) => {
                    return Err(ErrorKind::NotPermanentlyMapped(i))
                }
                Op::Map(_) => live += 1,
                Op::Read | Op::Write | Op::Unmap if live == 0 => return Err(ErrorKind::NoLiveMapping(i)),
                Op::Unmap => live -= 1,
                _ => {}
            }
        }
        Ok(())
    }
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::standard()
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Map(page) => write!(f, "kmap_local_page(P{page})"),
            Op::Read => f.write_str("read"),
            Op::Write => f.write_str("write"),
            Op::Fault => f.write_str("fault and sleep"),
            Op::Unmap => f.write_str("kunmap_local()"),
            Op::WritePkmap(page) => write!(f, "write P{page} through kmap()"),
            Op::ReturnToUser => f.write_str("return to user space"),
        }
    }
}

fn ops_list(ops: &[Op]) -> String {
    ops.iter().map(Op::to_string).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scenario;
        write!(f, "{} CPUs; ", self.cpus)?;
        for task in &s.tasks {
            write!(f, "task {} from CPU{}: {}; ", task.name, task.cpu, ops_list(&task.ops))?;
        }
        write!(f, "{} interrupt(s) between any two lines: {}; ", self.interrupts, ops_list(&s.interrupt))?;
        write!(
            f,
            "nesting depth {} ({} in interrupt context); KM_INCR {}, KM_MAX_IDX {} per CPU (CONFIG_DEBUG_HIGHMEM {}); ",
            self.task_depth() + self.interrupt_depth(),
            self.interrupt_depth(),
            self.km_incr(),
            self.km_max_idx(),
            if self.debug_highmem { "on" } else { "off" },
        )?;
        let pkmapped: Vec<String> = s.pkmapped.iter().map(|p| format!("P{p}")).collect();
        write!(
            f,
            "pages P0-P{}, permanently mapped: {}; ",
            s.pages.saturating_sub(1),
            if pkmapped.is_empty() { "none".to_string() } else { pkmapped.join(", ") }
        )?;
        f.write_str("context switch at every preemptible point, migration whenever not migrate-disabled")
    }
}
