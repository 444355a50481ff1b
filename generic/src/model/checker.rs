//! The exhaustive checker: breadth-first search over every interleaving
//! of a scenario within its bounds.
//!
//! States are deduplicated whole, so the search visits each reachable
//! state once and stops when no new state appears. Breadth first means
//! the first broken property it meets is at the smallest depth, so the
//! counterexample it reports has no shorter one.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::error::ModelError;
use super::generic_code::Variant;
use super::machine::Machine;
use super::narrator::Narrator;
use super::port::PortSpec;
use super::property::Property;
use super::replay::replay;
use super::scenario::Bounds;
use super::sched::Action;
use super::state::State;
use super::trace::Trace;

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every property holds in every reachable state within the bounds.
    Proved {
        /// Distinct states explored: every state reachable within the bounds.
        states: usize,
        /// What was explored.
        bounds: Bounds,
    },
    /// A property breaks; the trace is a shortest way to break it.
    Counterexample {
        /// The property that breaks.
        property: Property,
        /// From the initial state to the step that breaks it.
        trace: Trace,
        /// Distinct states explored before the search stopped.
        states: usize,
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
}

/// Where a state came from: its parent's number and the transition taken.
type Origin = Option<(u32, Action)>;

/// Checks `port` against `variant` of the generic code within `bounds`.
pub fn check(port: &PortSpec, variant: Variant, bounds: &Bounds) -> Result<Verdict, ModelError> {
    let machine = Machine::new(port, variant, bounds)?;
    let initial = machine.initial();
    let mut origins: Vec<Origin> = vec![None];
    let mut seen: HashSet<Box<[u8]>, BuildHasherDefault<FxHasher>> = HashSet::default();
    let mut key = Encoder::default();
    seen.insert(key.encode(&initial).into());
    let mut queue = VecDeque::from([(initial, 0u32)]);
    let mut silent = Narrator::silent();
    while let Some((state, id)) = queue.pop_front() {
        for action in machine.actions(&state) {
            let mut next = state.clone();
            if let Err(violation) = machine.apply(&mut next, action, &mut silent) {
                let mut path = path_to(&origins, id);
                path.push(action);
                let trace = replay(&machine, &path);
                debug_assert_eq!(
                    trace.steps.last().and_then(|s| s.violation.as_ref()),
                    Some(&violation),
                    "a replay ends where the search did"
                );
                return Ok(Verdict::Counterexample { property: violation.property, trace, states: seen.len() });
            }
            if !seen.contains(key.encode(&next)) {
                seen.insert(key.encode(&next).into());
                origins.push(Some((id, action)));
                queue.push_back((next, (origins.len() - 1) as u32));
            }
        }
    }
    Ok(Verdict::Proved { states: seen.len(), bounds: bounds.clone() })
}

/// The transitions from the initial state to state number `id`.
fn path_to(origins: &[Origin], mut id: u32) -> Vec<Action> {
    let mut path = Vec::new();
    while let Some((parent, action)) = origins[id as usize] {
        path.push(action);
        id = parent;
    }
    path.reverse();
    path
}

/// Encodes a state exactly, as the bytes its derived `Hash` feeds a hasher.
///
/// The search keeps these encodings, not the states, in its seen set: one
/// allocation per state instead of one per vector inside it. The encoding
/// is exact because every type in a state hashes its fields in order,
/// enums their discriminant first and vectors their length first, and
/// integers are written in a prefix-free variable-length form.
#[derive(Default)]
struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    fn encode(&mut self, state: &State) -> &[u8] {
        self.bytes.clear();
        state.hash(self);
        &self.bytes
    }

    /// LEB128: seven bits a byte, the high bit set on all but the last.
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.bytes.push(n as u8);
    }
}

impl Hasher for Encoder {
    fn write(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    fn write_u8(&mut self, i: u8) {
        self.bytes.push(i);
    }

    fn write_u32(&mut self, i: u32) {
        self.varint(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.varint(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.varint(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.varint(i as u64);
    }

    /// Never called: the encoder is read through `encode`.
    fn finish(&self) -> u64 {
        0
    }
}

/// rustc's FxHash: states are hashed once or twice per transition and
/// come from no adversary, so speed beats SipHash's guarantees.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Proved { states, bounds } => {
                write!(f, "proved, {states} states, within bounds: {bounds}")
            }
            Verdict::Counterexample { property, trace, states } => {
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
