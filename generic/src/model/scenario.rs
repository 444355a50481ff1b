//! What the checker explores: the scripted scenarios, the bounds a user
//! sets around them, and which scenarios an arch's hardware calls for.
//!
//! A scenario is a few task scripts and one interrupt handler script,
//! written in terms of kmap_local's callers (map a page, access it, fault
//! and sleep, unmap, hand a page over, return to user space). A [`Case`]
//! adds how many CPUs run it, how many interrupts arrive and the kernel
//! configuration; every interleaving within it is explored: context
//! switches at every preemptible point, migration whenever a task is not
//! migrate-disabled, interrupts between any two steps that run with
//! interrupts on.
//!
//! Which cases a port is checked in follows from its hardware facts
//! alone ([`cases`]), never from the hooks it defines: removing a hook
//! never removes the case that shows it is needed.

use std::fmt;

use super::error::{ErrorKind, Location, ModelError};
use crate::{DcacheKind, HardwareFacts, Page};

/// Most CPUs, tasks, pages and nested mappings per script a case may
/// have: each is a byte or an index into a fixed array of a state.
pub(super) const MAX_CPUS: usize = 4;
pub(super) const MAX_TASKS: usize = 4;
pub(super) const MAX_PAGES: usize = 8;
pub(super) const MAX_HELD: usize = 20;

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
    /// other code holds for the whole scenario (`kunmap()` leaves the
    /// pkmap entry, and its cache lines, in place).
    WritePkmap(Page),
    /// `local_irq_disable()`.
    IrqsOff,
    /// `local_irq_enable()`.
    IrqsOn,
    /// `complete(&done[n])`: everything before it happens before what
    /// follows the matching wait.
    Complete(u8),
    /// `wait_for_completion(&done[n])`: sleeps until it is completed.
    Wait(u8),
    /// Return to user space; ends a task script.
    ReturnToUser,
}

/// A task's script, and the CPU the task starts on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Script {
    /// The task's name in traces (`A`).
    pub name: String,
    /// The CPU whose runqueue the task starts on.
    pub cpu: u8,
    /// What the task does, in order.
    pub ops: Vec<Op>,
}

/// Task scripts, the interrupt handler's script, and the pages they use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// What the scenario shows, in a few words (`standard`, `hand-over`).
    pub name: String,
    /// Pages P0 .. P(pages-1), all in highmem.
    pub pages: u32,
    /// Pages that have a permanent kmap() mapping for the whole scenario.
    pub pkmapped: Vec<Page>,
    /// The tasks; the first task of each CPU runs first there.
    pub tasks: Vec<Script>,
    /// What an interrupt handler does; it returns after its last operation.
    pub interrupt: Vec<Op>,
}

/// The bounds a user sets: how much of each thing the scenarios have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// CPUs, each with its own slots and TLB.
    pub cpus: u8,
    /// Interrupts delivered in one run, each on any CPU running a task.
    pub interrupts: u8,
    /// Tasks; the first two share CPU0, the rest start on the others.
    pub tasks: u8,
    /// How deep kmap_local calls nest, in the first task and in the
    /// interrupt handler each.
    pub depth: u8,
}

/// One run of the checker: a scenario on some CPUs with some interrupts,
/// under a kernel configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// CPUs, each with its own slots and TLB.
    pub cpus: u8,
    /// Interrupts delivered in one run, each on any CPU running a task,
    /// between any two steps that run with interrupts on.
    pub interrupts: u8,
    /// CONFIG_DEBUG_HIGHMEM: KM_INCR is 2 and every even index is an unused guard.
    pub debug_highmem: bool,
    /// What runs.
    pub scenario: Scenario,
}

impl Bounds {
    /// Two CPUs, one interrupt, two tasks, no nesting beyond the
    /// interrupt's mapping on top of a task's.
    pub fn standard() -> Bounds {
        Bounds { cpus: 2, interrupts: 1, tasks: 2, depth: 1 }
    }

    /// Three CPUs, two interrupts, and two nested mappings in task and in
    /// interrupt context.
    pub fn deep() -> Bounds {
        Bounds { cpus: 3, interrupts: 2, tasks: 2, depth: 2 }
    }
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::standard()
    }
}

/// The cases an arch's hardware calls for, within `bounds`: the standard
/// scenario with and without CONFIG_DEBUG_HIGHMEM, and, where the data
/// cache can alias, a page handed over from a kmap() mapping to a
/// kmap_local one.
pub fn cases(facts: &HardwareFacts, bounds: &Bounds) -> Vec<Case> {
    let case =
        |debug_highmem, scenario| Case { cpus: bounds.cpus, interrupts: bounds.interrupts, debug_highmem, scenario };
    let mut all = vec![case(false, Scenario::standard(bounds)), case(true, Scenario::standard(bounds))];
    if facts.dcache != DcacheKind::Pipt {
        all.push(case(false, Scenario::hand_over(bounds)));
    }
    all
}

impl Scenario {
    /// The scenario of the design: task A keeps its pages mapped across a
    /// page fault that sleeps, task B maps another page on the same CPU,
    /// further tasks do the same on the other CPUs, and an interrupt
    /// nests mappings of its own.
    pub fn standard(bounds: &Bounds) -> Scenario {
        use Op::*;
        let mut pages = 0u32;
        let mut next_page = || {
            pages += 1;
            pages - 1
        };
        let depth = u32::from(bounds.depth.max(1));
        let mut a: Vec<Op> = Vec::new();
        for _ in 0..depth {
            a.extend([Map(next_page()), Write]);
        }
        a.push(Fault);
        for _ in 0..depth {
            a.extend([Read, Unmap]);
        }
        a.push(ReturnToUser);
        let mut tasks = vec![Script { name: "A".into(), cpu: 0, ops: a }];
        for t in 1..bounds.tasks.max(1) {
            let cpu = if t == 1 { 0 } else { (t - 1) % bounds.cpus.max(1) };
            let name = char::from(b'A' + t).to_string();
            tasks.push(Script { name, cpu, ops: vec![Map(next_page()), Write, Unmap, ReturnToUser] });
        }
        let mut interrupt = Vec::new();
        for _ in 0..depth {
            interrupt.push(Map(next_page()));
        }
        interrupt.push(Read);
        interrupt.extend((0..depth).map(|_| Unmap));
        Scenario { name: "standard".into(), pages, pkmapped: Vec::new(), tasks, interrupt }
    }

    /// A page handed over between mappings: task B writes P0 through its
    /// permanent kmap() address and completes; task A waits for that,
    /// then maps P0 with kmap_local and must read what B wrote. The
    /// accesses are ordered by the completion, so a stale read is the
    /// port's fault, not a race.
    pub fn hand_over(bounds: &Bounds) -> Scenario {
        use Op::*;
        let depth = u32::from(bounds.depth.max(1));
        let mut interrupt: Vec<Op> = (1..=depth).map(Map).collect();
        interrupt.push(Read);
        interrupt.extend((0..depth).map(|_| Unmap));
        Scenario {
            name: "hand-over".into(),
            pages: 1 + depth,
            pkmapped: vec![0],
            tasks: vec![
                Script { name: "A".into(), cpu: 0, ops: vec![Wait(0), Map(0), Read, Unmap, ReturnToUser] },
                Script { name: "B".into(), cpu: 0, ops: vec![WritePkmap(0), Complete(0), ReturnToUser] },
            ],
            interrupt,
        }
    }

    /// Deepest kmap_local nesting in `ops`.
    pub(super) fn depth(ops: &[Op]) -> u32 {
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

    /// Whether some page is mapped or written by more than one script.
    pub(super) fn shared_pages(&self) -> bool {
        let pages = |ops: &[Op]| -> Vec<Page> {
            let mut p: Vec<Page> = ops
                .iter()
                .filter_map(|op| match *op {
                    Op::Map(p) | Op::WritePkmap(p) => Some(p),
                    _ => None,
                })
                .collect();
            p.sort_unstable();
            p.dedup();
            p
        };
        let mut all: Vec<Page> =
            self.tasks.iter().map(|t| &t.ops[..]).chain([&self.interrupt[..]]).flat_map(pages).collect();
        let used = all.len();
        all.sort_unstable();
        all.dedup();
        all.len() != used
    }

    /// Completions the scripts use: one more than the highest number.
    pub(super) fn completions(&self) -> u8 {
        let all = self.tasks.iter().flat_map(|t| &t.ops).chain(&self.interrupt);
        all.filter_map(|op| match *op {
            Op::Complete(n) | Op::Wait(n) => Some(n + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0)
    }
}

impl Case {
    /// A case of the standard scenario within `bounds`.
    pub fn standard(bounds: &Bounds) -> Case {
        Case {
            cpus: bounds.cpus,
            interrupts: bounds.interrupts,
            debug_highmem: false,
            scenario: Scenario::standard(bounds),
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

    /// Checks that the scripts make sense, are free of races, and fit
    /// the model.
    pub fn validate(&self) -> Result<(), ModelError> {
        let s = &self.scenario;
        let bounds_error = |kind| ModelError { location: Location::Bounds, kind };
        if self.cpus == 0 {
            return Err(bounds_error(ErrorKind::NoCpu));
        }
        // Versions share a byte with a cache line's dirty bit.
        let writes = |ops: &[Op]| ops.iter().filter(|op| matches!(op, Op::Write | Op::WritePkmap(_))).count();
        let all_writes =
            s.tasks.iter().map(|t| writes(&t.ops)).sum::<usize>() + usize::from(self.interrupts) * writes(&s.interrupt);
        let longest = s.tasks.iter().map(|t| t.ops.len()).chain([s.interrupt.len()]).max().unwrap_or(0);
        let deepest = s.tasks.iter().map(|t| &t.ops).chain([&s.interrupt]).map(|ops| Scenario::depth(ops)).max();
        let sizes = [
            ("CPUs", usize::from(self.cpus), MAX_CPUS),
            ("tasks", s.tasks.len(), MAX_TASKS),
            ("pages", s.pages as usize, MAX_PAGES),
            ("operations in one script", longest, 40),
            ("nested mappings in one script", deepest.unwrap_or(0) as usize, MAX_HELD),
            ("writes in one run", all_writes, 120),
            ("completions", usize::from(s.completions()), 8),
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
        let sleeps = |op: &Op| matches!(op, Op::Fault | Op::ReturnToUser | Op::Wait(_) | Op::Complete(_));
        if let Some(i) = s.interrupt.iter().position(sleeps) {
            return Err(fail(ErrorKind::NotInInterrupt(i)));
        }
        self.validate_ops(&s.interrupt).map_err(fail)?;
        self.validate_completions().map_err(bounds_error)?;
        self.validate_races().map_err(bounds_error)
    }

    fn validate_ops(&self, ops: &[Op]) -> Result<(), ErrorKind> {
        let mut live = 0;
        let mut irqs_off = 0;
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Op::Map(page) if page >= self.scenario.pages => return Err(ErrorKind::NoSuchPage(i)),
                Op::WritePkmap(page) if !self.scenario.pkmapped.contains(&page) => {
                    return Err(ErrorKind::NotPermanentlyMapped(i))
                }
                Op::Map(_) => live += 1,
                Op::Read | Op::Write | Op::Unmap if live == 0 => return Err(ErrorKind::NoLiveMapping(i)),
                Op::Unmap => live -= 1,
                Op::IrqsOff => irqs_off += 1,
                Op::IrqsOn if irqs_off == 0 => return Err(ErrorKind::IrqsOffAcrossSleep(i)),
                Op::IrqsOn => irqs_off -= 1,
                Op::Fault | Op::Wait(_) | Op::ReturnToUser if irqs_off > 0 => {
                    return Err(ErrorKind::IrqsOffAcrossSleep(i))
                }
                _ => {}
            }
        }
        if irqs_off > 0 {
            return Err(ErrorKind::IrqsOffAcrossSleep(ops.len()));
        }
        Ok(())
    }

    /// Every completion waited for is completed exactly once.
    fn validate_completions(&self) -> Result<(), ErrorKind> {
        let ops = || self.scenario.tasks.iter().flat_map(|t| &t.ops);
        for n in 0..self.scenario.completions() {
            let completed = ops().filter(|&&op| op == Op::Complete(n)).count();
            if completed != 1 {
                return Err(ErrorKind::UnpairedCompletion(n));
            }
        }
        Ok(())
    }

    /// The property is about race-free accesses: a page two scripts use
    /// must be handed from one to the other by a completion, and the
    /// interrupt handler, which can run at any time, uses pages of its own.
    fn validate_races(&self) -> Result<(), ErrorKind> {
        let s = &self.scenario;
        let uses = |ops: &[Op], page: Page| -> Vec<usize> {
            let hit = |op: &Op| matches!(*op, Op::Map(p) | Op::WritePkmap(p) if p == page);
            ops.iter().enumerate().filter(|(_, op)| hit(op)).map(|(i, _)| i).collect()
        };
        for page in 0..s.pages {
            if !uses(&s.interrupt, page).is_empty() && s.tasks.iter().any(|t| !uses(&t.ops, page).is_empty()) {
                return Err(ErrorKind::Racy(page));
            }
            for (x, tx) in s.tasks.iter().enumerate() {
                for ty in &s.tasks[x + 1..] {
                    let (ux, uy) = (uses(&tx.ops, page), uses(&ty.ops, page));
                    if !ux.is_empty()
                        && !uy.is_empty()
                        && !ordered(&tx.ops, &ux, &ty.ops, &uy)
                        && !ordered(&ty.ops, &uy, &tx.ops, &ux)
                    {
                        return Err(ErrorKind::Racy(page));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether some completion orders every use in `first` (at indexes
/// `a`) before every use in `then` (at indexes `b`): `first` completes
/// it after its last use and `then` waits for it before its first.
fn ordered(first: &[Op], a: &[usize], then: &[Op], b: &[usize]) -> bool {
    let (last_a, first_b) = (a.iter().max().copied().unwrap_or(0), b.iter().min().copied().unwrap_or(0));
    first[last_a..].iter().any(|op| match *op {
        Op::Complete(n) => then[..first_b].contains(&Op::Wait(n)),
        _ => false,
    })
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
            Op::IrqsOff => f.write_str("local_irq_disable()"),
            Op::IrqsOn => f.write_str("local_irq_enable()"),
            Op::Complete(n) => write!(f, "complete(&done{n})"),
            Op::Wait(n) => write!(f, "wait_for_completion(&done{n})"),
            Op::ReturnToUser => f.write_str("return to user space"),
        }
    }
}

fn ops_list(ops: &[Op]) -> String {
    ops.iter().map(Op::to_string).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CPUs, {} interrupt(s), {} tasks, nesting {} in task and interrupt context",
            self.cpus, self.interrupts, self.tasks, self.depth
        )
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scenario;
        write!(f, "{} scenario on {} CPUs; ", s.name, self.cpus)?;
        for task in &s.tasks {
            write!(f, "task {} from CPU{}: {}; ", task.name, task.cpu, ops_list(&task.ops))?;
        }
        write!(
            f,
            "{} interrupt(s) between any two steps with interrupts on: {}; ",
            self.interrupts,
            ops_list(&s.interrupt)
        )?;
        write!(
            f,
            "nesting depth {} ({} in interrupt context); KM_INCR {} (CONFIG_DEBUG_HIGHMEM {}); ",
            self.task_depth() + self.interrupt_depth(),
            self.interrupt_depth(),
            self.km_incr(),
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
