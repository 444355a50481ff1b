//! Tells a path of transitions as a trace: runs it again from the initial
//! state with the narrator recording, and snapshots the hardware after
//! each step.

use super::generic_code::Runner;
use super::machine::Machine;
use super::narrator::Narrator;
use super::scenario::Op;
use super::sched::Action;
use super::state::State;
use super::symmetry::{Renaming, Scratch, Symmetry};
use super::trace::{Step, Trace};

/// Replays `path` from the initial state; the last step carries the
/// violation, if the path ends in one.
///
/// The search found the path between representatives (`symmetry.rs`),
/// whose CPUs are renamed at every step; the replay runs it on the
/// states as they are, renaming each action's CPUs back, so the trace
/// keeps one numbering from start to end.
pub(super) fn replay(machine: &Machine, path: &[Action]) -> Trace {
    let mut state = machine.initial();
    let (mut canonical, mut scratch) = (state, Scratch::new(state));
    let mut back = Symmetry::invert(&machine.canonicalize(&mut canonical, &mut scratch), machine.platform.layout.cpus);
    let mut steps = Vec::with_capacity(path.len());
    for &found in path {
        let action = found.renamed(&back);
        let _ = machine.apply(&mut canonical, found, &mut Narrator::silent());
        let renaming = machine.canonicalize(&mut canonical, &mut scratch);
        back = rename_back(&back, &renaming, machine.platform.layout.cpus);
        let (cpu, actor, call) = describe(machine, &state, action);
        let mut narrator = Narrator::recording();
        let result = machine.apply(&mut state, action, &mut narrator);
        let platform = &machine.platform;
        steps.push(Step {
            cpu: cpu.map(|c| c as u8),
            actor,
            call,
            events: narrator.take(),
            ptes: platform.live_ptes(&state),
            tlb: cpu.map(|c| platform.tlb_view(&state, c)).unwrap_or_default(),
            cache: platform.cache_view(&state),
            violation: result.err(),
        });
    }
    Trace { steps }
}

/// After a step renamed the representative's CPUs by `renaming`
/// (`[old] = new`), which CPU of the real state each new number stands for.
fn rename_back(back: &Renaming, renaming: &Renaming, cpus: usize) -> Renaming {
    let mut next = *back;
    for old in 0..cpus {
        next[usize::from(renaming[old])] = back[old];
    }
    next
}

/// The CPU, the actor and the call of a transition, before it is made.
fn describe(m: &Machine, s: &State, action: Action) -> (Option<usize>, String, String) {
    let shape = &m.platform.shape;
    let name = |t: usize| format!("task {}", m.names[t]);
    match action {
        Action::Run(cpu) => {
            let cpu = usize::from(cpu);
            let task = shape.current(s, cpu).expect("a CPU that runs code has a task");
            let (runner, ctx, program) = m.runner(s, cpu);
            let actor = match runner {
                Runner::Irq => format!("interrupt over {}", name(task)),
                Runner::Restore => format!("sched_in of {}", name(task)),
                Runner::Task => name(task),
            };
            let pc = ctx.pc(s);
            let call = match (program.op(pc), ctx.held_top(s)) {
                (Some(Op::Unmap), Some((loc, _))) => format!("kunmap_local({})", m.platform.layout.addr(loc)),
                _ => program.call(pc),
            };
            (Some(cpu), actor, call)
        }
        Action::Switch { cpu, to } => {
            let from = shape.current(s, usize::from(cpu));
            let to = to.map(usize::from);
            (
                Some(usize::from(cpu)),
                "scheduler".to_string(),
                format!("schedule(): {} -> {}", m.task_name(from), m.task_name(to)),
            )
        }
        Action::Interrupt(cpu) => {
            let task = shape.current(s, usize::from(cpu));
            (Some(usize::from(cpu)), "interrupt".to_string(), format!("arrives over {}", m.task_name(task)))
        }
        Action::Wake(task) => (None, name(usize::from(task)), "wake-up".to_string()),
        Action::Migrate { task, to } => (None, name(usize::from(task)), format!("migration to CPU{to}")),
    }
}
