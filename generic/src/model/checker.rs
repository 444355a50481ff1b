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
    Ok(Search::new(&machine).run(case))
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
    /// Bytes per state.
    len: usize,
    /// Every distinct state, in the order found: the seen set's storage
    /// and, read from `next` on, the queue.
    arena: Vec<u8>,
    /// Arena indexes, with the high half of each state's hash.
    seen: HashTable<(u32, u32)>,
    /// For every state but the initial one, where it came from.
    origins: Vec<Origin>,
    /// For each remark, the first transition that made it.
    remarks: Vec<(Remark, Origin)>,
}

impl<'m> Search<'m> {
    fn new(m: &'m Machine) -> Search<'m> {
        let len = m.platform.shape.len;
        Search { m, len, arena: Vec::new(), seen: HashTable::new(), origins: Vec::new(), remarks: Vec::new() }
    }

    fn count(&self) -> usize {
        self.arena.len() / self.len.max(1)
    }

    fn state(&self, id: usize) -> State {
        State::from_bytes(&self.arena[id * self.len..(id + 1) * self.len])
    }

    /// Adds `s` unless it was seen; returns whether it was new.
    fn insert(&mut self, s: &State) -> bool {
        let bytes = s.bytes(self.len);
        let hash = hash_bytes(bytes);
        let high = (hash >> 32) as u32;
        let (arena, len) = (&self.arena, self.len);
        let entry = self.seen.entry(
            table_hash(high),
            |&(id, h)| h == high && &arena[id as usize * len..(id as usize + 1) * len] == bytes,
            |&(_, h)| table_hash(h),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let id = (self.arena.len() / len.max(1)) as u32;
                slot.insert((id, high));
                self.arena.extend_from_slice(bytes);
                true
            }
        }
    }

    fn run(mut self, case: &Case) -> Verdict {
        let initial = self.m.initial();
        self.insert(&initial);
        let mut actions = Vec::new();
        let mut silent = Narrator::silent();
        let mut next = 0;
        while next < self.count() {
            let state = self.state(next);
            actions.clear();
            self.m.actions(&state, &mut actions);
            for &action in &actions {
                let mut succ = state;
                if let Err(violation) = self.m.apply(&mut succ, action, &mut silent) {
                    let mut path = self.path_to(next as u32);
                    path.push(action);
                    let trace = replay(self.m, &path);
                    debug_assert_eq!(
                        trace.steps.last().and_then(|s| s.violation.as_ref()),
                        Some(&violation),
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

/// A 64-bit hash of a state's bytes, a word at a time: states come from
/// no adversary, so speed beats SipHash's guarantees.
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("chunks of 8"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^ (h >> 32)
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
