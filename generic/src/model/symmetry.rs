//! Symmetry reduction over CPUs: states that differ only in which CPU is
//! which are one state to the search.
//!
//! Every CPU of the model is alike: its own slots (numbered alike within
//! its range), its own TLB and registers, the same generic code; the
//! cache is indexed by colours no CPU owns. So renaming CPUs (and their
//! slots with them) maps runs to runs and violations to violations, and
//! the search keeps one representative of each class: the renaming that
//! sorts the CPUs by what each holds, told relative to itself. A view
//! that misses a difference (a CPU's TLB entries for other CPUs' slots)
//! only makes two representatives of one class, never merges two
//! classes, because the representative is always a renaming of the
//! state itself. Breadth first over representatives
//! still finds a shortest counterexample: renaming keeps path lengths.
//!
//! Where renaming is not a symmetry it is off: one CPU; index hooks that
//! disagree about colours (one CPU's slots then pass the unmap check
//! where another's fail); or a colour-blind slot numbering (`idx +
//! KM_MAX_IDX * cpu`) on an aliasing cache with a KM_MAX_IDX the colours
//! do not divide (33 with CONFIG_DEBUG_HIGHMEM), where slot colours
//! differ from CPU to CPU.

use super::layout::Layout;
use super::state::{Position, Shape, State, Value, MAX_CPUS, NONE, STATE_BYTES};

/// How CPUs may be renamed in one check.
#[derive(Clone, Debug)]
pub(super) struct Symmetry {
    cpus: usize,
    len: usize,
    /// One renaming per permutation of the CPUs, by `perm_index`.
    plans: Vec<Plan>,
    /// For each CPU, the bytes that describe it, in the same relative
    /// order for every CPU: first those taken as they are, then those
    /// that name a CPU or a slot (its own and the ones elsewhere), with
    /// what their value means.
    views: Vec<ViewPlan>,
    /// For each CPU, each loc as that CPU sees it: its own slots by their
    /// place in its range, other CPUs' slots alike, pkmap addresses as
    /// they are.
    relative: Vec<Vec<u8>>,
}

/// One renaming: each CPU's new number, each loc's new loc, and the
/// bytes that move or change: from where, to where, meaning what.
#[derive(Clone, Debug)]
struct Plan {
    cpu_map: [u8; MAX_CPUS],
    loc_map: Vec<u8>,
    changes: Vec<(u16, u16, Value)>,
}

/// Room for renaming a state and for the CPUs' views, kept between calls.
pub(super) struct Scratch {
    state: State,
    views: [[u8; STATE_BYTES]; MAX_CPUS],
}

impl Scratch {
    pub fn new(state: State) -> Scratch {
        Scratch { state, views: [[0; STATE_BYTES]; MAX_CPUS] }
    }
}

/// Where a byte sits relative to the CPU that owns it: the region, the
/// slot or offset within the CPU's part of it, the byte within that.
type Order = (usize, usize, usize);

/// How to read one CPU's view: the bytes taken as they are, then the
/// bytes naming a CPU or a slot with what they name.
type ViewPlan = (Vec<u8>, Vec<(u8, Value)>);

/// A renaming of CPUs: `cpu_map[old] = new`.
pub(super) type Renaming = [u8; MAX_CPUS];

impl Symmetry {
    /// The symmetry of a check, if renaming CPUs is one; `coloured` says
    /// whether `map_idx` and `unmap_idx` pick slots by colour.
    pub fn new(shape: &Shape, layout: &Layout, vivt: bool, coloured: (bool, bool)) -> Option<Symmetry> {
        let cpus = layout.cpus;
        let blind_misfit = !coloured.0 && layout.colours > 1 && !layout.km_max_idx.is_multiple_of(layout.colours);
        if cpus < 2 || coloured.0 != coloured.1 || blind_misfit {
            return None;
        }
        let per = layout.slots / cpus;
        let roles = shape.roles(layout, vivt);
        let values: Vec<Value> = roles.iter().map(|&(_, v)| v).collect();
        let plans = permutations(cpus)
            .into_iter()
            .map(|perm| {
                let mut cpu_map = [0u8; MAX_CPUS];
                cpu_map[..cpus].copy_from_slice(&perm);
                let loc_map: Vec<u8> = (0..layout.locs())
                    .map(
                        |l| if l < layout.slots { (usize::from(perm[l / per]) * per + l % per) as u8 } else { l as u8 },
                    )
                    .collect();
                let changes = roles
                    .iter()
                    .enumerate()
                    .map(|(i, &(p, v))| (i as u16, shape.moved(i, p, &cpu_map, &loc_map) as u16, v))
                    .filter(|&(from, to, v)| from != to || v != Value::Plain)
                    .collect();
                Plan { cpu_map, loc_map, changes }
            })
            .collect();
        let owner = |p: Position| -> Option<(usize, Order)> {
            match p {
                Position::Fixed => None,
                Position::Cpu { cpu, offset } => Some((usize::from(cpu), (0, usize::from(offset), 0))),
                Position::Slot { base, loc, byte, .. } => {
                    let l = usize::from(loc);
                    Some((l / per, (base, l % per, usize::from(byte))))
                }
                Position::Matrix { base, row, loc } => {
                    let (row, l) = (usize::from(row), usize::from(loc));
                    (l / per == row).then_some((row, (base, l % per, 1)))
                }
            }
        };
        let mut own: Vec<Vec<(usize, Order)>> = vec![Vec::new(); cpus];
        let mut refs: Vec<u16> = Vec::new();
        for (i, &(position, value)) in roles.iter().enumerate() {
            match owner(position) {
                Some((cpu, order)) => own[cpu].push((i, order)),
                None if value != Value::Plain => refs.push(i as u16),
                None => {}
            }
        }
        let views = own
            .into_iter()
            .map(|mut bytes| {
                bytes.sort_by_key(|&(_, order)| order);
                let all = bytes.iter().map(|&(i, _)| i as u8).chain(refs.iter().map(|&i| i as u8));
                let (plain, named): (Vec<u8>, Vec<u8>) = all.partition(|&i| values[usize::from(i)] == Value::Plain);
                (plain, named.into_iter().map(|i| (i, values[usize::from(i)])).collect())
            })
            .collect();
        let relative = (0..cpus)
            .map(|cpu| {
                (0..layout.locs())
                    .map(|l| {
                        if l >= layout.slots {
                            0xc0 | l as u8
                        } else if l / per == cpu {
                            1 + (l % per) as u8
                        } else {
                            0x80 | (l % per) as u8
                        }
                    })
                    .collect()
            })
            .collect();
        Some(Symmetry { cpus, len: shape.len, plans, views, relative })
    }

    /// Renames `s` to the representative of its class: the renaming that
    /// sorts the CPUs by what each holds; returns the renaming applied.
    pub fn canonicalize(&self, s: &mut State, scratch: &mut Scratch) -> Renaming {
        for (cpu, view) in scratch.views.iter_mut().enumerate().take(self.cpus) {
            self.view(s, cpu, view);
        }
        let (views, n) = (&scratch.views, self.views[0].0.len() + self.views[0].1.len());
        let mut order: [u8; MAX_CPUS] = std::array::from_fn(|c| c as u8);
        order[..self.cpus].sort_by(|&a, &b| views[usize::from(a)][..n].cmp(&views[usize::from(b)][..n]));
        let mut cpu_map: Renaming = [0; MAX_CPUS];
        for (new, &old) in order[..self.cpus].iter().enumerate() {
            cpu_map[usize::from(old)] = new as u8;
        }
        if (0..self.cpus).all(|c| usize::from(cpu_map[c]) == c) {
            return cpu_map;
        }
        let plan = &self.plans[perm_index(&cpu_map[..self.cpus])];
        let renamed = &mut scratch.state;
        renamed.load(s.bytes(self.len));
        for &(from, to, value) in &plan.changes {
            let v = s.get(usize::from(from));
            let v = match value {
                Value::Plain => v,
                Value::Loc if v == NONE => v,
                Value::Loc => plan.loc_map[usize::from(v)],
                Value::LocPlus1 if v == 0 => v,
                Value::LocPlus1 => plan.loc_map[usize::from(v) - 1] + 1,
                Value::Cpu => plan.cpu_map[usize::from(v)],
            };
            renamed.set(usize::from(to), v);
        }
        s.load(renamed.bytes(self.len));
        cpu_map
    }

    /// What CPU `cpu` holds, told the same way whichever number it has.
    fn view(&self, s: &State, cpu: usize, out: &mut [u8; STATE_BYTES]) {
        let (plain, named) = &self.views[cpu];
        for (o, &i) in out.iter_mut().zip(plain) {
            *o = s.byte(i);
        }
        let relative = &self.relative[cpu];
        for (o, &(i, value)) in out[plain.len()..].iter_mut().zip(named) {
            let v = s.byte(i);
            *o = match value {
                Value::Plain => v,
                Value::Loc if v == NONE => 0,
                Value::Loc => relative[usize::from(v)],
                Value::LocPlus1 if v == 0 => 0,
                Value::LocPlus1 => relative[usize::from(v) - 1],
                Value::Cpu => u8::from(usize::from(v) == cpu),
            };
        }
    }

    /// Renames an action's CPUs back: `canonical[c]` is the number the
    /// CPU called `c` in a representative has in the state it stands for.
    pub fn invert(cpu_map: &Renaming, cpus: usize) -> Renaming {
        let mut back = [0; MAX_CPUS];
        for old in 0..cpus {
            back[usize::from(cpu_map[old])] = old as u8;
        }
        back
    }
}

/// Every permutation of `0..n`, in the order `perm_index` numbers them.
fn permutations(n: usize) -> Vec<Vec<u8>> {
    let mut all = vec![Vec::new()];
    for k in 0..n {
        all = all
            .into_iter()
            .flat_map(|p: Vec<u8>| {
                (0..=k).map(move |at| {
                    let mut q = p.clone();
                    q.insert(at, k as u8);
                    q
                })
            })
            .collect();
    }
    all.sort();
    all
}

/// The position of a permutation among all of its length, in
/// lexicographic order (its Lehmer code).
fn perm_index(perm: &[u8]) -> usize {
    let n = perm.len();
    let mut index = 0;
    for i in 0..n {
        let smaller = perm[i + 1..].iter().filter(|&&q| q < perm[i]).count();
        index = index * (n - i) + smaller;
    }
    index
}
