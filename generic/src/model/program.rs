//! Scripts compiled to the steps of generic code they run.
//!
//! A script says "map P0, write, unmap"; the program says which lines of
//! mm/highmem.c, and which steps of the arch's hooks, that takes, in the
//! order the contract calls them. A step is one interleaving point: a
//! preemption where preemption is enabled, an interrupt or another CPU's
//! step anywhere. Each effect of a hook is a step of its own, since an
//! interrupt may arrive between two of them. Lines with nothing
//! observable between them share a step:
//! - a hook that does nothing joins the step before it;
//! - a line that only reads or changes what no other context looks at
//!   while it runs joins a neighbouring step (Lipton's reduction: it
//!   moves past any other context's step without changing either). Right
//!   movers join the step after them: `arch_kmap_local_high_get()` (the
//!   pkmap entries are fixed for a run), `migrate_disable()` (only the
//!   load balancer reads it, and not while the task runs), and the start
//!   of `kunmap_local_indexed()` (the index an interrupt pushes is popped
//!   again before the task runs on). Left movers join the step before
//!   them: the pteval store at the end of kmap_local (no one else reads
//!   this index's entry), `migrate_enable()`, and the return from an
//!   interrupt (only other CPUs can run in between, and they look at
//!   nothing of the handler's).
//!
//! A merged step keeps the preemption point before its first line, so no
//! context switch, migration or interrupt outcome is lost, only repeats
//! of the same outcome in a different order.

use super::contract::{Call, Contract};
use super::port::ActiveHooks;
use super::scenario::Op;
use crate::{Effect, Hook, Page};

/// One line of generic code or one step of a hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// A line of `__kmap_local_page_prot()` / `__kmap_local_pfn_prot()`.
    Kmap(KmapLine),
    /// A line of `kunmap_local_indexed()`.
    Kunmap(KunmapLine),
    /// A line of the restore loop of `__kmap_local_sched_in()`.
    Restore(RestoreLine),
    /// One step of an arch hook, or the call of one that does nothing.
    Hook(HookLine),
    /// A line of the script around kmap_local.
    Script(ScriptLine),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KmapLine {
    /// `kmap = arch_kmap_local_high_get(page); if (kmap) return kmap;`
    HighGet(Page),
    /// `migrate_disable();`
    MigrateDisable,
    /// `preempt_disable(); idx = arch_kmap_local_map_idx(kmap_local_idx_push(), pfn);`
    /// and `BUG_ON(!pte_none(*(kmap_pte - idx)));`
    Push(Page),
    /// `set_pte_at(&init_mm, vaddr, kmap_pte - idx, pteval);`
    SetPte(Page),
    /// `current->kmap_ctrl.pteval[kmap_local_idx()] = pteval; preempt_enable(); return vaddr;`
    Save(Page),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KunmapLine {
    /// `preempt_disable(); idx = arch_kmap_local_unmap_idx(kmap_local_idx(), addr); WARN_ON_ONCE(...)`,
    /// or for a pkmap address `kmap_high_unmap_local()` and return.
    Find,
    /// `pte_clear(&init_mm, addr, kmap_pte - idx);`
    PteClear,
    /// `current->kmap_ctrl.pteval[kmap_local_idx()] = __pte(0); kmap_local_idx_pop(); preempt_enable();`
    Pop,
    /// `migrate_enable();`
    MigrateEnable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RestoreLine {
    /// `set_pte_at(&init_mm, addr, kmap_pte - idx, pteval);`
    SetPte,
    /// The end of one iteration: the next live index, or the end of the loop.
    Next,
}

/// Step `step` of `steps` of an arch hook; `steps` 0 is the call of a
/// hook that does nothing on this hardware (or the empty default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct HookLine {
    pub hook: Acting,
    pub step: u8,
    pub steps: u8,
}

/// A hook that acts on the hardware, as opposed to the index hooks and
/// `high_get`, which compute a value where the generic code needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Acting {
    SetPte,
    PostMap,
    PreUnmap,
    PostUnmap,
}

impl Acting {
    pub fn of(hook: Hook) -> Option<Acting> {
        match hook {
            Hook::SetPte => Some(Acting::SetPte),
            Hook::PostMap => Some(Acting::PostMap),
            Hook::PreUnmap => Some(Acting::PreUnmap),
            Hook::PostUnmap => Some(Acting::PostUnmap),
            Hook::MapIdx | Hook::UnmapIdx | Hook::HighGet => None,
        }
    }

    pub fn hook(self) -> Hook {
        match self {
            Acting::SetPte => Hook::SetPte,
            Acting::PostMap => Hook::PostMap,
            Acting::PreUnmap => Hook::PreUnmap,
            Acting::PostUnmap => Hook::PostUnmap,
        }
    }

    /// Whether the hook gets the new PTE value (`pteval`) as an argument.
    pub fn maps(self) -> bool {
        matches!(self, Acting::SetPte | Acting::PostMap)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScriptLine {
    Read,
    Write,
    WritePkmap(Page),
    Fault,
    IrqsOff,
    IrqsOn,
    Complete(u8),
    Wait(u8),
    ReturnToUser,
    /// The interrupt handler returns.
    IrqReturn,
}

/// The lines of one interleaving step, and the script operation they
/// belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Step {
    pub op: usize,
    pub lines: Vec<Line>,
    /// Whether the context may be switched out before this step: not
    /// between the push and the pteval store, nor between finding the
    /// slot to unmap and the pop.
    pub preemptible: bool,
    /// Whether the step touches only what no other CPU reads or writes:
    /// its CPU's slots, TLB and registers, its own context, pages no
    /// other script uses, and no cache. The search runs such a step at
    /// once when its CPU can do nothing else (see `sched.rs`).
    pub local: bool,
}

/// One script, compiled; or one iteration of the restore loop.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub ops: Vec<Op>,
    pub steps: Vec<Step>,
}

/// What the compiler needs to know about the generic code, the port and
/// the scenario.
pub(super) struct Compiler<'a> {
    pub contract: &'a Contract,
    pub hooks: &'a ActiveHooks,
    /// Whether the data cache is modelled (it is shared by all CPUs).
    pub cached: bool,
    /// Whether some page is used by more than one script.
    pub shared_pages: bool,
}

impl Compiler<'_> {
    /// Compiles a task's or the interrupt handler's script.
    pub fn script(&self, ops: &[Op], interrupt: bool) -> Program {
        let mut steps = Vec::new();
        for (i, &op) in ops.iter().enumerate() {
            let mut op_steps = match op {
                Op::Map(page) => self.map(page),
                Op::Unmap => self.unmap(),
                Op::Read => one(Line::Script(ScriptLine::Read)),
                Op::Write => one(Line::Script(ScriptLine::Write)),
                Op::WritePkmap(page) => one(Line::Script(ScriptLine::WritePkmap(page))),
                Op::Fault => one(Line::Script(ScriptLine::Fault)),
                Op::IrqsOff => one(Line::Script(ScriptLine::IrqsOff)),
                Op::IrqsOn => one(Line::Script(ScriptLine::IrqsOn)),
                Op::Complete(n) => one(Line::Script(ScriptLine::Complete(n))),
                Op::Wait(n) => one(Line::Script(ScriptLine::Wait(n))),
                Op::ReturnToUser => one(Line::Script(ScriptLine::ReturnToUser)),
            };
            op_steps.iter_mut().for_each(|s| s.op = i);
            steps.extend(op_steps);
        }
        if interrupt {
            steps.push(step(Line::Script(ScriptLine::IrqReturn), false));
            steps.last_mut().expect("pushed above").op = ops.len();
        }
        let mut steps = fuse(steps);
        steps.iter_mut().for_each(|s| s.local = s.lines.iter().all(|l| self.local(l)));
        Program { ops: ops.to_vec(), steps }
    }

    /// One iteration of the restore loop, after its slot is computed.
    pub fn restore(&self, sched_in: &[Call]) -> Program {
        let mut steps = Vec::new();
        self.calls(&mut steps, sched_in, |call| (call == Call::SetPte).then_some(Line::Restore(RestoreLine::SetPte)));
        match steps.last_mut() {
            Some(last) => last.lines.push(Line::Restore(RestoreLine::Next)),
            None => steps = one(Line::Restore(RestoreLine::Next)),
        }
        for s in &mut steps {
            s.preemptible = false;
            s.local = s.lines.iter().all(|l| self.local(l));
        }
        Program { ops: Vec::new(), steps }
    }

    fn map(&self, page: Page) -> Vec<Step> {
        let mut steps = Vec::new();
        if self.contract.high_get && self.hooks.get(Hook::HighGet).is_some() {
            steps.push(step(Line::Kmap(KmapLine::HighGet(page)), true));
        }
        if self.contract.migrate_disable {
            steps.push(step(Line::Kmap(KmapLine::MigrateDisable), true));
        }
        steps.push(step(Line::Kmap(KmapLine::Push(page)), true));
        let first = steps.len();
        self.calls(&mut steps, &self.contract.map, |call| {
            (call == Call::SetPte).then_some(Line::Kmap(KmapLine::SetPte(page)))
        });
        steps.push(step(Line::Kmap(KmapLine::Save(page)), false));
        steps[first..].iter_mut().for_each(|s| s.preemptible = false);
        steps
    }

    fn unmap(&self) -> Vec<Step> {
        let mut steps = vec![step(Line::Kunmap(KunmapLine::Find), true)];
        self.calls(&mut steps, &self.contract.unmap, |call| {
            (call == Call::PteClear).then_some(Line::Kunmap(KunmapLine::PteClear))
        });
        steps.push(step(Line::Kunmap(KunmapLine::Pop), false));
        steps[1..].iter_mut().for_each(|s| s.preemptible = false);
        if self.contract.migrate_disable {
            steps.push(step(Line::Kunmap(KunmapLine::MigrateEnable), true));
        }
        steps
    }

    /// The steps of a path's calls after its index hook; `generic` gives
    /// the line of this path for a PTE write or clear the generic code
    /// does itself (`Contract::validate` keeps the others out).
    fn calls(&self, steps: &mut Vec<Step>, path: &[Call], generic: impl Fn(Call) -> Option<Line>) {
        let skip = usize::from(Contract::index_hook(path).is_some());
        for &call in &path[skip..] {
            match call {
                // Contract::validate keeps index hooks and high_get out of
                // this part of a path.
                Call::Hook(hook) => steps.extend(Acting::of(hook).map(|a| self.hook(a)).into_iter().flatten()),
                pte => steps.extend(generic(pte).map(|l| step(l, false))),
            }
            merge_empty_calls(steps);
        }
    }

    /// A hook's steps: one per effect, or one that only shows the call
    /// when it does nothing (`merge_empty_calls` then folds it into the
    /// step before). The default of `set_pte` writes the PTE, in one step.
    fn hook(&self, hook: Acting) -> Vec<Step> {
        let count = match self.hooks.get(hook.hook()) {
            Some(effects) => effects.len(),
            None => usize::from(hook == Acting::SetPte),
        };
        let steps = count.max(1) as u8;
        (0..steps).map(|i| step(Line::Hook(HookLine { hook, step: i, steps: count as u8 }), false)).collect()
    }
}

impl Compiler<'_> {
    /// Whether a line touches only its own CPU's and context's state:
    /// no cache (shared by all CPUs), no page another script uses, no
    /// other task's run state (completions wake and wait).
    fn local(&self, line: &Line) -> bool {
        match line {
            Line::Kmap(_) | Line::Restore(RestoreLine::SetPte) => true,
            // The teardown and restore checks read the cache.
            Line::Kunmap(KunmapLine::Pop) | Line::Restore(RestoreLine::Next) => !self.cached,
            Line::Kunmap(_) => true,
            Line::Hook(h) => {
                let effects = self.hooks.get(h.hook.hook()).unwrap_or_default();
                let effect = effects.get(usize::from(h.step));
                !(self.cached && matches!(effect, Some(Effect::CacheFlushPage | Effect::CacheFlushAll)))
            }
            Line::Script(ScriptLine::Read | ScriptLine::Write | ScriptLine::WritePkmap(_)) => {
                !self.cached && !self.shared_pages
            }
            Line::Script(ScriptLine::Complete(_) | ScriptLine::Wait(_)) => false,
            Line::Script(_) => true,
        }
    }
}

/// Which neighbour a step moves into, if its lines all commute with
/// every other context's steps (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mover {
    Right,
    Left,
    Neither,
}

fn mover(line: &Line) -> Mover {
    match line {
        Line::Kmap(KmapLine::HighGet(_) | KmapLine::MigrateDisable) | Line::Kunmap(KunmapLine::Find) => Mover::Right,
        Line::Kmap(KmapLine::Save(_))
        | Line::Kunmap(KunmapLine::MigrateEnable)
        | Line::Script(ScriptLine::IrqReturn) => Mover::Left,
        _ => Mover::Neither,
    }
}

/// Joins each step of movers to its neighbour: right movers to the step
/// after them (within the same operation), left movers to the step
/// before them. The joined step keeps the first step's operation and
/// preemption point.
fn fuse(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    let mut pending: Option<Step> = None;
    for mut step in steps {
        if let Some(mut before) = pending.take() {
            if before.op == step.op {
                before.lines.append(&mut step.lines);
                step = before;
            } else {
                out.push(before);
            }
        }
        let all = |m: Mover| step.lines.iter().all(|l| mover(l) == m);
        if all(Mover::Left) && !out.is_empty() {
            out.last_mut().expect("checked above").lines.append(&mut step.lines);
        } else if all(Mover::Right) {
            pending = Some(step);
        } else {
            out.push(step);
        }
    }
    out.extend(pending);
    out
}

/// Folds a last step that only calls a hook doing nothing into the step
/// before it: nothing can observe the point between them.
fn merge_empty_calls(steps: &mut Vec<Step>) {
    let empty = |s: &Step| matches!(s.lines.as_slice(), [Line::Hook(HookLine { steps: 0, .. })]);
    if steps.len() >= 2 && steps.last().is_some_and(empty) {
        let call = steps.pop().expect("checked above").lines;
        steps.last_mut().expect("checked above").lines.extend(call);
    }
}

fn step(line: Line, preemptible: bool) -> Step {
    Step { op: 0, lines: vec![line], preemptible, local: false }
}

fn one(line: Line) -> Vec<Step> {
    vec![step(line, true)]
}

impl Program {
    /// The first step after the operation that step `pc` belongs to: where
    /// a kmap_local or kunmap_local of a pkmap address returns early.
    pub fn next_op(&self, pc: usize) -> usize {
        let op = self.steps[pc].op;
        self.steps.iter().position(|s| s.op > op).unwrap_or(self.steps.len())
    }

    /// The script operation step `pc` belongs to; none for the return
    /// from interrupt and for the restore loop.
    pub fn op(&self, pc: usize) -> Option<Op> {
        self.ops.get(self.steps.get(pc)?.op).copied()
    }

    /// The operation step `pc` belongs to, in words.
    pub fn call(&self, pc: usize) -> String {
        match self.op(pc) {
            Some(op) => op.to_string(),
            None if self.ops.is_empty() => "__kmap_local_sched_in()".to_string(),
            None => "return from interrupt".to_string(),
        }
    }
}
