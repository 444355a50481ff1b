//! The exhaustive checker: breadth-first search over every interleaving
//! of a case, within its bounds.
//!
//! States are deduplicated whole, so the search visits each reachable
//! state once and stops when no new state appears. Breadth first means
//! the first broken property it meets is at the smallest depth, so the
//! counterexample it reports has no shorter one; the same holds for the
//! trace of each [`Remark`] it witnesses.
//!
//! How it is fast: a state is a fixed-size byte array (`state.rs`), so a
//! successor is a copy and its identity is its first `len` bytes. Every
//! distinct state is appended once to one arena, which is at once the
//! seen set's storage and the breadth-first queue (a cursor walks it).
//! The seen set is a `hashbrown::HashTable` of arena indexes with 32 bits
//! of each state's hash beside them: each new state is hashed once and
//! probed once (the entry API), and the table grows without touching the
//! arena. Per state that is about `len + 17` bytes and no allocation.
//! Two reductions keep the states few: steps that touch only their own
//! CPU run at once when their CPU can do nothing else (`sched.rs`), and
//! CPUs are renamed to one representative per class (`symmetry.rs`),
//! which keeps counterexamples shortest.
//!
//! Why not the `stateright` crate: it was evaluated against this checker
//! (see ARCHITECTURE.md, "The model checker"). Its checkers keep 64-bit
//! fingerprints of states, not states, so a fingerprint collision hides a
//! state without a word (hash compaction), which a "proved" must not
//! rest on; its multi-threaded BFS does not keep breadth-first order
//! across threads, so counterexamples are not always shortest; and its
//! `Model` takes owned states that allocate, where this one copies bytes.
//! What it offers beyond this checker (symmetry reduction, liveness
//! properties, an explorer UI) the model does not need at these bounds.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use hashbrown::HashTable;

use super::contract::Contract;
use super::error::ModelError;
use super::machine::Machine;
use super::narrator::Narrator;
use super::port::PortSpec;
use super::property::Property;
use super::replay::replay;
use super::scenario::Case;
use super::sched::Action;
use super::state::State;
use super::symmetry::Scratch;
use super::trace::{Remark, Trace, Witness};

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every property holds in every reachable state of the case.
    Proved {
        /// Distinct states explored: every state reachable within the case.
        states: usize,
        /// What was explored.
        case: Case,
        /// What the search saw happen that breaks nothing, with a shortest
        /// trace to each (an interrupt redirecting a hook's TLB write).
        witnesses: Vec<Witness>,
    },
    /// A property breaks; the trace is a shortest way to break it.
    Counterexample {
        /// The property that breaks.
        property: Property,
        /// From the initial state to the step that breaks it.
        trace: Trace,
        /// Distinct states explored before the search stopped.
        states: usize,
        /// The case it broke in.
        case: Case,
    },
}

impl Verdict {
    /// Whether every property held.
    pub fn is_proved(&self) -> bool {
        matches!(self, Verdict::Proved { .. })
    }

    /// States explored before the search ended.
    pub fn states(&self) -> usize {
        match self {
            Verdict::Proved { states, .. } | Verdict::Counterexample { states, .. } => *states,
        }
    }

    /// The case the search explored.
    pub fn case(&self) -> &Case {
        match self {
            Verdict::Proved { case, .. } | Verdict::Counterexample { case, .. } => case,
        }
    }
}

/// Checks `port` against the generic code `contract` describes, in `case`.
pub fn check(port: &PortSpec, contract: &Contract, case: &Case) -> Result<Verdict, ModelError> {
    let machine = Machine::new(port, contract, case)?;
    Ok(search(&machine, case))
}

/// Searches every state `machine` reaches in `case`.
pub(super) fn search(machine: &Machine, case: &Case) -> Verdict {
    Search::new(machine).run(case)
}

/// Checks `port` in each of `cases`, on as many threads as the machine
/// has cores (each case is a search of its own); verdicts come in the
/// order of `cases`.
pub fn check_all(port: &PortSpec, contract: &Contract, cases: &[Case]) -> Result<Vec<Verdict>, ModelError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(cases.len()).max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Verdict, ModelError>>> = vec![None; cases.len()];
    let done: Vec<Vec<(usize, Result<Verdict, ModelError>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(case) = cases.get(i) else { return mine };
                        mine.push((i, check(port, contract, case)));
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a check never panics")).collect()
    });
    for (i, verdict) in done.into_iter().flatten() {
        results[i] = Some(verdict);
    }
    results.into_iter().map(|r| r.expect("every case was checked")).collect()
}

/// Where a state came from: its parent's number and the transition taken.
type Origin = (u32, Action);

/// One breadth-first search.
struct Search<'m> {
    m: &'m Machine,
    /// Every distinct state, in the order found: the seen set's storage
    /// and, read from a cursor on, the queue.
    arena: Arena,
    /// Arena indexes, with the high half of each state's hash.
    seen: HashTable<(u32, u32)>,
    /// For every state but the initial one, where it came from.
    origins: Vec<Origin>,
    /// For each remark, the first transition that made it.
    remarks: Vec<(Remark, Origin)>,
}

/// States stored back to back in chunks of a fixed size, so that growing
/// never moves what is stored.
struct Arena {
    /// Bytes per state.
    len: usize,
    chunks: Vec<Vec<u8>>,
    count: usize,
}

impl Arena {
    /// States per chunk.
    const CHUNK: usize = 1 << 14;

    fn new(len: usize) -> Arena {
        Arena { len: len.max(1), chunks: Vec::new(), count: 0 }
    }

    fn get(&self, id: usize) -> &[u8] {
        let at = (id % Arena::CHUNK) * self.len;
        &self.chunks[id / Arena::CHUNK][at..at + self.len]
    }

    /// Stores `bytes` as the next state; returns its number.
    fn push(&mut self, bytes: &[u8]) -> usize {
        if self.count.is_multiple_of(Arena::CHUNK) {
            self.chunks.push(Vec::with_capacity(Arena::CHUNK * self.len));
        }
        self.chunks.last_mut().expect("a chunk was made above").extend_from_slice(bytes);
        self.count += 1;
        self.count - 1
    }
}

impl<'m> Search<'m> {
    fn new(m: &'m Machine) -> Search<'m> {
        let arena = Arena::new(m.platform.shape.len);
        Search { m, arena, seen: HashTable::with_capacity(1 << 12), origins: Vec::new(), remarks: Vec::new() }
    }

    fn count(&self) -> usize {
        self.arena.count
    }

    /// Adds `s` unless it was seen; returns whether it was new.
    fn insert(&mut self, s: &State) -> bool {
        let bytes = s.bytes(self.m.platform.shape.len);
        let hash = hash_bytes(bytes);
        let high = (hash >> 32) as u32;
        let arena = &self.arena;
        let entry = self.seen.entry(
            table_hash(high),
            |&(id, h)| h == high && arena.get(id as usize) == bytes,
            |&(_, h)| table_hash(h),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let id = self.arena.push(bytes);
                slot.insert((id as u32, high));
                true
            }
        }
    }

    fn run(mut self, case: &Case) -> Verdict {
        let mut initial = self.m.initial();
        let mut scratch = Scratch::new(initial);
        self.m.canonicalize(&mut initial, &mut scratch);
        self.insert(&initial);
        let mut actions = Vec::new();
        let mut silent = Narrator::silent();
        let mut next = 0;
        let len = self.m.platform.shape.len;
        let (mut state, mut succ) = (initial, initial);
        while next < self.count() {
            state.load(self.arena.get(next));
            actions.clear();
            self.m.actions(&state, &mut actions);
            for &action in &actions {
                succ.load(state.bytes(len));
                if let Err(violation) = self.m.apply(&mut succ, action, &mut silent) {
                    let mut path = self.path_to(next as u32);
                    path.push(action);
                    let trace = replay(self.m, &path);
                    debug_assert_eq!(
                        trace.steps.last().and_then(|s| s.violation.as_ref()).map(|v| v.property),
                        Some(violation.property),
                        "a replay ends where the search did"
                    );
                    let states = self.count();
                    return Verdict::Counterexample { property: violation.property, trace, states, case: case.clone() };
                }
                if let Some(remark) = silent.take_remark() {
                    if !self.remarks.iter().any(|(r, _)| *r == remark) {
                        self.remarks.push((remark, (next as u32, action)));
                    }
                }
                self.m.canonicalize(&mut succ, &mut scratch);
                if self.insert(&succ) {
                    self.origins.push((next as u32, action));
                }
            }
            next += 1;
        }
        let witnesses = self.witnesses();
        Verdict::Proved { states: self.count(), case: case.clone(), witnesses }
    }

    /// The transitions from the initial state to state number `id`.
    fn path_to(&self, mut id: u32) -> Vec<Action> {
        let mut path = Vec::new();
        while id != 0 {
            let (parent, action) = self.origins[id as usize - 1];
            path.push(action);
            id = parent;
        }
        path.reverse();
        path
    }

    fn witnesses(&self) -> Vec<Witness> {
        let mut remarks = self.remarks.clone();
        remarks.sort_by_key(|(r, _)| *r);
        remarks
            .into_iter()
            .map(|(remark, (parent, action))| {
                let mut path = self.path_to(parent);
                path.push(action);
                Witness { remark, trace: replay(self.m, &path) }
            })
            .collect()
    }
}

/// A 64-bit hash of a state's bytes, two words at a time in two lanes
/// that the CPU runs side by side: states come from no adversary, so
/// speed beats SipHash's guarantees.
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let (mut a, mut b) = (bytes.len() as u64, K2);
    let mut pairs = bytes.chunks_exact(16);
    for p in &mut pairs {
        a = (a ^ word(&p[..8])).wrapping_mul(K1).rotate_left(31);
        b = (b ^ word(&p[8..])).wrapping_mul(K2).rotate_left(27);
    }
    let mut tail = [0u8; 16];
    tail[..pairs.remainder().len()].copy_from_slice(pairs.remainder());
    a = (a ^ word(&tail[..8])).wrapping_mul(K1);
    b = (b ^ word(&tail[8..])).wrapping_mul(K2);
    let h = (a ^ b.rotate_left(32)).wrapping_mul(K1);
    h ^ (h >> 29)
}

/// The table's hash for a state whose hash has high half `high`: spread
/// over all 64 bits, since the table takes its bucket from the low bits
/// and its tag from the top ones.
fn table_hash(high: u32) -> u64 {
    u64::from(high).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(high)
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Proved { states, case, witnesses } => {
                write!(f, "proved, {states} states, within: {case}")?;
                for w in witnesses {
                    write!(f, "\nseen without harm: {} (shortest trace):\n{}", w.remark.statement(), w.trace)?;
                }
                Ok(())
            }
            Verdict::Counterexample { property, trace, states, .. } => {
                writeln!(
                    f,
                    "counterexample to \"{property}\" ({} steps, shortest; {states} states explored):",
                    trace.len()
                )?;
                write!(f, "{trace}")
            }
        }
    }
}
