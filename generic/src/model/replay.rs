//! Tells a path of transitions as a trace: runs it again from the initial
//! state with the narrator recording, and snapshots the hardware after
//! each step.

use super::generic_code::Runner;
use super::machine::Machine;
use super::narrator::Narrator;
use super::scenario::Op;
use super::sched::Action;
use super::state::State;
use super::trace::{Step, Trace};

/// Replays `path` from the initial state; the last step carries the
/// violation, if the path ends in one.
pub(super) fn replay(machine: &Machine, path: &[Action]) -> Trace {
    let mut state = machine.initial();
    let mut steps = Vec::with_capacity(path.len());
    for &action in path {
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
