//! The state of the modelled machine, packed: one node of the search.
//!
//! Everything that changes while a scenario runs lives in one fixed-size
//! byte array, and nothing else does; the port, the scripts and the
//! layout are fixed for a check and live in the `Machine`. A state holds
//! no pointer and allocates nothing: copying one is a memcpy, and the
//! checker hashes and stores its first [`Shape::len`] bytes as they are.
//! Each field is a byte at an offset the [`Shape`] of the check computes
//! once; the accessors below name them in kernel terms. Unused entries
//! are always zero (or [`NONE`]), so equal machines have equal bytes.

use super::layout::{Layout, Loc};
use super::scenario::Case;
pub(super) use super::scenario::{MAX_CPUS, MAX_TASKS};
use crate::{DcacheKind, HardwareFacts, Page, Pfn, PteVal};

/// Bytes a state may take; a case that needs more is rejected as too large.
pub(super) const STATE_BYTES: usize = 256;
const _: () = assert!(STATE_BYTES == 1 << u8::BITS, "State::byte indexes with a u8");

/// "Nothing here": an idle CPU, an absent context, no slot.
pub(super) const NONE: u8 = 0xFF;

/// The whole machine, packed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct State {
    bytes: [u8; STATE_BYTES],
}

impl State {
    pub fn get(&self, at: usize) -> u8 {
        self.bytes[at]
    }

    /// The byte at `at`: a state is at most 256 bytes, so no bound check.
    pub fn byte(&self, at: u8) -> u8 {
        self.bytes[usize::from(at)]
    }

    pub fn set(&mut self, at: usize, value: u8) {
        self.bytes[at] = value;
    }

    /// The bytes that make the state, for hashing and storing.
    pub fn bytes(&self, len: usize) -> &[u8] {
        &self.bytes[..len]
    }

    /// Overwrites the first bytes with stored ones.
    pub fn load(&mut self, stored: &[u8]) {
        self.bytes[..stored.len()].copy_from_slice(stored);
    }
}

/// Whether a task can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Run {
    /// Running or runnable.
    Ready,
    /// Asleep in a page fault until woken.
    Blocked,
    /// Asleep in `wait_for_completion()` of this completion.
    Waiting(u8),
    /// Returned to user space; its script is done.
    Exited,
}

impl Run {
    fn code(self) -> u8 {
        match self {
            Run::Ready => 0,
            Run::Blocked => 1,
            Run::Exited => 2,
            Run::Waiting(n) => 3 + n,
        }
    }

    fn from_code(code: u8) -> Run {
        match code {
            0 => Run::Ready,
            1 => Run::Blocked,
            2 => Run::Exited,
            n => Run::Waiting(n - 3),
        }
    }
}

/// A thread of control running a program: a task, an interrupt handler,
/// or a CPU's restore of the incoming task's mappings. Fields, relative
/// to its offset: the next step (`NONE` when absent), the slot of the
/// call in progress, an extra byte (an interrupt's entry `idx`, the
/// restore's stack index), and the mappings it holds, innermost last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ctx {
    at: usize,
    /// How many mappings it can hold.
    cap: usize,
}

impl Ctx {
    const PC: usize = 0;
    const SLOT: usize = 1;
    const AUX: usize = 2;
    const HELD: usize = 3;

    fn size(cap: usize) -> usize {
        Ctx::HELD + 1 + 2 * cap
    }

    pub fn present(self, s: &State) -> bool {
        s.get(self.at + Ctx::PC) != NONE
    }

    pub fn pc(self, s: &State) -> usize {
        usize::from(s.get(self.at + Ctx::PC))
    }

    pub fn set_pc(self, s: &mut State, pc: usize) {
        s.set(self.at + Ctx::PC, pc as u8);
    }

    /// Starts the context at its first step, holding nothing.
    pub fn start(self, s: &mut State, aux: u8) {
        s.set(self.at + Ctx::PC, 0);
        s.set(self.at + Ctx::SLOT, NONE);
        s.set(self.at + Ctx::AUX, aux);
        s.set(self.at + Ctx::HELD, 0);
    }

    /// Ends the context: all its bytes back to their empty values.
    pub fn clear(self, s: &mut State) {
        for i in 0..Ctx::size(self.cap) {
            s.set(self.at + i, 0);
        }
        s.set(self.at + Ctx::PC, NONE);
        s.set(self.at + Ctx::SLOT, NONE);
    }

    pub fn slot(self, s: &State) -> Option<Loc> {
        some(s.get(self.at + Ctx::SLOT))
    }

    pub fn set_slot(self, s: &mut State, slot: Option<Loc>) {
        s.set(self.at + Ctx::SLOT, slot.unwrap_or(NONE));
    }

    pub fn aux(self, s: &State) -> u8 {
        s.get(self.at + Ctx::AUX)
    }

    pub fn held_len(self, s: &State) -> usize {
        usize::from(s.get(self.at + Ctx::HELD))
    }

    /// The innermost mapping held: its address and page.
    pub fn held_top(self, s: &State) -> Option<(Loc, Page)> {
        let n = self.held_len(s);
        (n > 0).then(|| self.held_at(s, n - 1))
    }

    /// Entry `i`: the loc is stored plus one, so an empty entry is all zero.
    fn held_at(self, s: &State, i: usize) -> (Loc, Page) {
        let at = self.at + Ctx::HELD + 1 + 2 * i;
        (s.get(at) - 1, Page::from(s.get(at + 1)))
    }

    pub fn push_held(self, s: &mut State, loc: Loc, page: Page) {
        let n = self.held_len(s);
        let at = self.at + Ctx::HELD + 1 + 2 * n;
        s.set(at, loc + 1);
        s.set(at + 1, page as u8);
        s.set(self.at + Ctx::HELD, n as u8 + 1);
    }

    pub fn pop_held(self, s: &mut State) {
        let n = self.held_len(s) - 1;
        let at = self.at + Ctx::HELD + 1 + 2 * n;
        s.set(at, 0);
        s.set(at + 1, 0);
        s.set(self.at + Ctx::HELD, n as u8);
    }
}

/// `struct kmap_ctrl`: the index stack and the PTE saved for each index.
/// The kernel's `pteval[]` has KM_MAX_IDX entries, all none above `idx`;
/// the ones that can be live are kept, none encoded as 0 and a page as
/// its frame plus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ctrl(usize);

impl Ctrl {
    pub fn idx(self, s: &State) -> u8 {
        s.get(self.0)
    }

    /// `kmap_local_idx_push()` without its BUG_ON: the new `idx`.
    pub fn push(self, s: &mut State, incr: u8) -> u8 {
        let idx = self.idx(s) + incr;
        s.set(self.0, idx);
        idx
    }

    /// `pteval[i] = val`.
    pub fn set_saved(self, s: &mut State, i: u8, val: PteVal) {
        s.set(self.0 + 1 + usize::from(i), encode_pte(val));
    }

    /// `kmap_local_idx_pop()`.
    pub fn pop(self, s: &mut State, incr: u8) {
        let idx = self.idx(s) - incr;
        s.set(self.0, idx);
    }

    /// `pteval[i]`.
    pub fn saved(self, s: &State, i: u8) -> PteVal {
        decode_pte(s.get(self.0 + 1 + usize::from(i)))
    }
}

/// Where a byte of a state sits, in terms that a relabelling of CPUs
/// moves: a fixed place, a CPU's block, a slot's entry, or a CPU's entry
/// for a slot (TLB, deferred writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Position {
    Fixed,
    Cpu { cpu: u8, offset: u16 },
    Slot { base: usize, stride: u8, loc: u8, byte: u8 },
    Matrix { base: usize, row: u8, loc: u8 },
}

/// What a byte's value names, in terms that a relabelling changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Value {
    Plain,
    /// A loc, or `NONE`.
    Loc,
    /// A loc plus one, or 0.
    LocPlus1,
    /// A CPU number.
    Cpu,
}

/// Where each field of a check's states lives.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    /// Bytes a state of this check takes.
    pub len: usize,
    irqs_left: usize,
    completions: usize,
    data: usize,
    memory: usize,
    ptes: usize,
    tlbs: usize,
    deferred: usize,
    lines: usize,
    slots: usize,
    cpus: usize,
    cpu_size: usize,
    tasks: usize,
    task_size: usize,
    ctrl_size: usize,
    /// Mappings one context can hold: the deepest nesting of any script.
    held: usize,
    /// Whether lazy MMU mode's deferred writes have a region.
    lazy: bool,
    task_count: usize,
}

impl Shape {
    /// Offsets for a case on hardware with `facts`, or the bytes it would
    /// need when they exceed [`STATE_BYTES`].
    /// `per_cpu_stack` says whether CPUs have index stacks of their own.
    pub fn new(case: &Case, facts: &HardwareFacts, layout: &Layout, per_cpu_stack: bool) -> Result<Shape, usize> {
        let (cpus, slots, pages) = (layout.cpus, layout.slots, layout.pages as usize);
        let ctrl_size = 1 + layout.ctrl_cap;
        let held = case.task_depth().max(case.interrupt_depth()).max(1) as usize;
        // The restore holds no mapping of its own; a CPU's stack exists
        // only when the contract keeps one per CPU.
        let cpu_size = 3 + Ctx::size(held) + Ctx::size(0) + if per_cpu_stack { ctrl_size } else { 0 };
        let task_size = Ctx::size(held) + ctrl_size + 3;
        let line_bytes = match facts.dcache {
            DcacheKind::Pipt => 0,
            DcacheKind::Vivt => 2 * layout.locs(),
            DcacheKind::ViptAliasing => layout.colours as usize * pages,
        };
        let deferred_bytes = if facts.lazy_mmu { cpus * slots } else { 0 };
        let mut at = 0;
        let mut region = |size: usize| {
            at += size;
            at - size
        };
        let irqs_left = region(1);
        let completions = region(1);
        let data = region(pages);
        let memory = region(pages);
        let ptes = region(slots);
        let tlbs = region(cpus * slots);
        let deferred = region(deferred_bytes);
        let lines = region(line_bytes);
        let cpus_at = region(cpus * cpu_size);
        let tasks = region(case.scenario.tasks.len() * task_size);
        let len = at;
        if len > STATE_BYTES {
            return Err(len);
        }
        Ok(Shape {
            len,
            irqs_left,
            completions,
            data,
            memory,
            ptes,
            tlbs,
            deferred,
            lines,
            slots,
            cpus: cpus_at,
            cpu_size,
            tasks,
            task_size,
            ctrl_size,
            held,
            lazy: facts.lazy_mmu,
            task_count: case.scenario.tasks.len(),
        })
    }

    /// Where each byte of a state sits and what its value means, for
    /// relabelling CPUs (`symmetry.rs`).
    pub fn roles(&self, layout: &Layout, vivt: bool) -> Vec<(Position, Value)> {
        let mut roles = vec![(Position::Fixed, Value::Plain); self.len];
        let cpus = layout.cpus;
        for loc in 0..self.slots {
            roles[self.ptes + loc] =
                (Position::Slot { base: self.ptes, stride: 1, loc: loc as u8, byte: 0 }, Value::Plain);
            if vivt {
                for byte in 0..2 {
                    let position = Position::Slot { base: self.lines, stride: 2, loc: loc as u8, byte };
                    roles[self.lines + 2 * loc + usize::from(byte)] = (position, Value::Plain);
                }
            }
            for row in 0..cpus {
                let tlb = self.tlbs + row * self.slots + loc;
                roles[tlb] = (Position::Matrix { base: self.tlbs, row: row as u8, loc: loc as u8 }, Value::Plain);
                if self.lazy {
                    let deferred = self.deferred + row * self.slots + loc;
                    roles[deferred] =
                        (Position::Matrix { base: self.deferred, row: row as u8, loc: loc as u8 }, Value::Plain);
                }
            }
        }
        let ctx_values = |ctx: Ctx, roles: &mut Vec<(Position, Value)>| {
            roles[ctx.at + Ctx::SLOT].1 = Value::Loc;
            for i in 0..ctx.cap {
                roles[ctx.at + Ctx::HELD + 1 + 2 * i].1 = Value::LocPlus1;
            }
        };
        for cpu in 0..cpus {
            let at = self.cpu(cpu);
            for off in 0..self.cpu_size {
                roles[at + off] = (Position::Cpu { cpu: cpu as u8, offset: off as u16 }, Value::Plain);
            }
            roles[at + 2].1 = Value::Loc;
            ctx_values(self.irq(cpu), &mut roles);
            ctx_values(self.restore(cpu), &mut roles);
        }
        for task in 0..self.task_count {
            ctx_values(self.task_ctx(task), &mut roles);
            roles[self.task_field(task, 1)].1 = Value::Cpu;
        }
        roles
    }

    /// Where a byte with `position` goes when CPU `c` becomes `cpu_map[c]`
    /// and loc `l` becomes `loc_map[l]`.
    pub fn moved(&self, at: usize, position: Position, cpu_map: &[u8], loc_map: &[u8]) -> usize {
        match position {
            Position::Fixed => at,
            Position::Cpu { cpu, offset } => self.cpu(usize::from(cpu_map[usize::from(cpu)])) + usize::from(offset),
            Position::Slot { base, stride, loc, byte } => {
                base + usize::from(stride) * usize::from(loc_map[usize::from(loc)]) + usize::from(byte)
            }
            Position::Matrix { base, row, loc } => {
                base + usize::from(cpu_map[usize::from(row)]) * self.slots + usize::from(loc_map[usize::from(loc)])
            }
        }
    }

    /// A state with every field empty: no task on any CPU, nothing mapped.
    pub fn empty(&self, cpus: usize, tasks: usize) -> State {
        let mut s = State { bytes: [0; STATE_BYTES] };
        for cpu in 0..cpus {
            s.set(self.cpu(cpu), NONE);
            s.set(self.cpu(cpu) + 2, NONE);
            self.irq(cpu).clear(&mut s);
            self.restore(cpu).clear(&mut s);
        }
        for task in 0..tasks {
            self.task_ctx(task).clear(&mut s);
            self.task_ctx(task).start(&mut s, 0);
        }
        s
    }

    fn cpu(&self, cpu: usize) -> usize {
        self.cpus + cpu * self.cpu_size
    }

    fn task(&self, task: usize) -> usize {
        self.tasks + task * self.task_size
    }

    // Globals.

    pub fn irqs_left(&self, s: &State) -> u8 {
        s.get(self.irqs_left)
    }

    pub fn set_irqs_left(&self, s: &mut State, n: u8) {
        s.set(self.irqs_left, n);
    }

    pub fn completed(&self, s: &State, n: u8) -> bool {
        s.get(self.completions) & (1 << n) != 0
    }

    pub fn complete(&self, s: &mut State, n: u8) {
        s.set(self.completions, s.get(self.completions) | (1 << n));
    }

    /// Each page's current version: the data a read must see.
    pub fn data(&self, s: &State, page: Page) -> u8 {
        s.get(self.data + page as usize)
    }

    pub fn set_data(&self, s: &mut State, page: Page, version: u8) {
        s.set(self.data + page as usize, version);
    }

    /// The version of each page's data in memory.
    pub fn memory(&self, s: &State, page: Page) -> u8 {
        s.get(self.memory + page as usize)
    }

    pub fn set_memory(&self, s: &mut State, page: Page, version: u8) {
        s.set(self.memory + page as usize, version);
    }

    // Hardware, per slot.

    /// The PTE of a fixmap slot as the page table holds it.
    pub fn pte(&self, s: &State, slot: Loc) -> PteVal {
        decode_pte(s.get(self.ptes + usize::from(slot)))
    }

    pub fn set_pte(&self, s: &mut State, slot: Loc, val: PteVal) {
        s.set(self.ptes + usize::from(slot), encode_pte(val));
    }

    /// The TLB entry of `cpu` for `slot`: 0 none, 1 a cached cleared PTE,
    /// else the frame plus two.
    pub fn tlb(&self, s: &State, cpu: usize, slot: Loc) -> u8 {
        s.get(self.tlbs + cpu * self.slots + usize::from(slot))
    }

    pub fn set_tlb(&self, s: &mut State, cpu: usize, slot: Loc, entry: u8) {
        s.set(self.tlbs + cpu * self.slots + usize::from(slot), entry);
    }

    /// The PTE write lazy MMU mode deferred on `cpu` for `slot`: 0 none,
    /// 1 a clear, else the frame plus two.
    pub fn deferred(&self, s: &State, cpu: usize, slot: Loc) -> u8 {
        s.get(self.deferred + cpu * self.slots + usize::from(slot))
    }

    pub fn set_deferred(&self, s: &mut State, cpu: usize, slot: Loc, write: u8) {
        s.set(self.deferred + cpu * self.slots + usize::from(slot), write);
    }

    /// Byte `i` of the data cache's lines (layout in `hardware.rs`).
    pub fn line_byte(&self, s: &State, i: usize) -> u8 {
        s.get(self.lines + i)
    }

    pub fn set_line_byte(&self, s: &mut State, i: usize, value: u8) {
        s.set(self.lines + i, value);
    }

    // Per CPU.

    /// The task running on `cpu` (`current`), if the CPU is not idle.
    pub fn current(&self, s: &State, cpu: usize) -> Option<usize> {
        some(s.get(self.cpu(cpu))).map(usize::from)
    }

    pub fn set_current(&self, s: &mut State, cpu: usize, task: Option<usize>) {
        s.set(self.cpu(cpu), task.map_or(NONE, |t| t as u8));
    }

    /// How many `local_irq_save()`s on `cpu` are not yet restored.
    pub fn irqs_off(&self, s: &State, cpu: usize) -> u8 {
        s.get(self.cpu(cpu) + 1)
    }

    pub fn set_irqs_off(&self, s: &mut State, cpu: usize, n: u8) {
        s.set(self.cpu(cpu) + 1, n);
    }

    /// The slot `cpu`'s TLB VPN register holds, if a hook loaded one.
    pub fn vpn(&self, s: &State, cpu: usize) -> Option<Loc> {
        some(s.get(self.cpu(cpu) + 2))
    }

    pub fn set_vpn(&self, s: &mut State, cpu: usize, slot: Loc) {
        s.set(self.cpu(cpu) + 2, slot);
    }

    /// The interrupt handler running on `cpu`, if present.
    pub fn irq(&self, cpu: usize) -> Ctx {
        Ctx { at: self.cpu(cpu) + 3, cap: self.held }
    }

    /// `cpu`'s restore of the incoming task's mappings, if in progress.
    pub fn restore(&self, cpu: usize) -> Ctx {
        Ctx { at: self.cpu(cpu) + 3 + Ctx::size(self.held), cap: 0 }
    }

    /// The CPU's own index stack (used only with a per-CPU stack).
    pub fn cpu_ctrl(&self, cpu: usize) -> Ctrl {
        Ctrl(self.cpu(cpu) + 3 + Ctx::size(self.held) + Ctx::size(0))
    }

    // Per task.

    pub fn task_ctx(&self, task: usize) -> Ctx {
        Ctx { at: self.task(task), cap: self.held }
    }

    /// `task->kmap_ctrl`.
    pub fn task_ctrl(&self, task: usize) -> Ctrl {
        Ctrl(self.task(task) + Ctx::size(self.held))
    }

    fn task_field(&self, task: usize, i: usize) -> usize {
        self.task(task) + Ctx::size(self.held) + self.ctrl_size + i
    }

    /// `task->migration_disabled`.
    pub fn migrate_disable(&self, s: &State, task: usize) -> u8 {
        s.get(self.task_field(task, 0))
    }

    pub fn set_migrate_disable(&self, s: &mut State, task: usize, n: u8) {
        s.set(self.task_field(task, 0), n);
    }

    /// The CPU the task runs on or is queued on.
    pub fn task_cpu(&self, s: &State, task: usize) -> usize {
        usize::from(s.get(self.task_field(task, 1)))
    }

    pub fn set_task_cpu(&self, s: &mut State, task: usize, cpu: usize) {
        s.set(self.task_field(task, 1), cpu as u8);
    }

    pub fn run(&self, s: &State, task: usize) -> Run {
        Run::from_code(s.get(self.task_field(task, 2)))
    }

    pub fn set_run(&self, s: &mut State, task: usize, run: Run) {
        s.set(self.task_field(task, 2), run.code());
    }
}

fn some(byte: u8) -> Option<u8> {
    (byte != NONE).then_some(byte)
}

pub(super) fn encode_pte(val: PteVal) -> u8 {
    val.map_or(0, |pfn| pfn as u8 + 1)
}

pub(super) fn decode_pte(byte: u8) -> PteVal {
    (byte != 0).then(|| Pfn::from(byte - 1))
}
