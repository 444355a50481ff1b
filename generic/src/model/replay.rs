//! Tells a path of transitions as a trace: runs it again from the initial
//! state with the narrator recording, and snapshots the hardware after
//! each step.

use super::machine::Machine;
use super::narrator::Narrator;
use super::scenario::Op;
use super::sched::Action;
use super::state::State;
use super::trace::{Addr, Step, Trace};

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
            ptes: state.hw.live_ptes(platform),
            tlb: cpu.map(|c| state.hw.tlb(platform, c)).unwrap_or_default(),
            cache: state.hw.cache(platform),
            violation: result.err(),
        });
    }
    Trace { steps }
}

/// The CPU, the actor and the call of a transition, before it is made.
fn describe(m: &Machine, s: &State, action: Action) -> (Option<usize>, String, String) {
    let name = |t: usize| format!("task {}", m.names[t]);
    match action {
        Action::Run(cpu) => {
            let task = usize::from(s.cpus[cpu].current.expect("a CPU that runs code has a task"));
            let (actor, program, ctx) = match &s.cpus[cpu].irq {
                Some(irq) => (format!("interrupt over {}", name(task)), &m.irq, irq),
                None => (name(task), &m.tasks[task], &s.tasks[task].ctx),
            };
            let pc = usize::from(ctx.pc);
            let call = match (program.op(pc), ctx.held.last()) {
                (Some(Op::Unmap), Some(&(vaddr, _))) => {
                    format!("kunmap_local({})", Addr::new(&m.platform.layout, vaddr))
                }
                _ => program.call(pc),
            };
            (Some(cpu), actor, call)
        }
        Action::Switch { cpu, to } => {
            let from = s.cpus[cpu].current.map(usize::from);
            (Some(cpu), "scheduler".to_string(), format!("schedule(): {} -> {}", m.task_name(from), m.task_name(to)))
        }
        Action::Interrupt(cpu) => {
            let task = s.cpus[cpu].current.map(usize::from);
            (Some(cpu), "interrupt".to_string(), format!("arrives over {}", m.task_name(task)))
        }
        Action::Wake(task) => (None, name(task), "wake-up".to_string()),
        Action::Migrate { task, to } => (None, name(task), format!("migration to CPU{to}")),
    }
}
