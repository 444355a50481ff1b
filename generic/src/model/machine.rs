//! The fixed part of one check: the contract the generic code follows,
//! the port's resolved hooks, the compiled scripts and the layout; and
//! the initial state they start from.

use super::contract::{Contract, IndexStack};
use super::error::{ErrorKind, Location, ModelError};
use super::hardware::Platform;
use super::hook_runner::HookRunner;
use super::layout::Layout;
use super::narrator::Narrator;
use super::port::{ActiveHooks, PortSpec};
use super::program::{Compiler, Program};
use super::scenario::Case;
use super::state::{Ctrl, Run, Shape, State};
use super::symmetry::{Renaming, Scratch, Symmetry};
use crate::{Effect, Hook, Page};

/// Everything a check holds fixed.
#[derive(Debug)]
pub(super) struct Machine {
    pub contract: Contract,
    pub platform: Platform,
    pub hooks: ActiveHooks,
    pub pkmapped: Vec<Page>,
    /// One program per task, in script order.
    pub tasks: Vec<Program>,
    pub irq: Program,
    /// One iteration of the restore loop of `__kmap_local_sched_in()`.
    pub restore: Program,
    pub names: Vec<String>,
    /// How CPUs may be renamed, where that is a symmetry.
    pub symmetry: Option<Symmetry>,
    /// Whether steps that touch only their own CPU run at once when their
    /// CPU can do nothing else (partial-order reduction, `sched.rs`).
    pub eager_local_steps: bool,
    start_cpus: Vec<u8>,
    interrupts: u8,
}

impl Machine {
    pub fn new(port: &PortSpec, contract: &Contract, case: &Case) -> Result<Machine, ModelError> {
        port.validate()?;
        contract.validate().map_err(|e| ModelError {
            location: Location::Contract(contract.name.clone()),
            kind: ErrorKind::BadContract(e),
        })?;
        case.validate()?;
        let hooks = ActiveHooks::new(port);
        let layout = Layout::new(case, &port.facts, contract, hooks.performs(Hook::MapIdx, Effect::ColourIndex));
        let shape =
            Shape::new(case, &port.facts, &layout, contract.stack == IndexStack::PerCpu).map_err(|_| ModelError {
                location: Location::Bounds,
                kind: ErrorKind::TooLarge { what: "bytes of machine state", limit: super::state::STATE_BYTES },
            })?;
        let scenario = &case.scenario;
        let compiler = Compiler {
            contract,
            hooks: &hooks,
            cached: port.facts.dcache != crate::DcacheKind::Pipt,
            shared_pages: scenario.shared_pages(),
        };
        let tasks = scenario.tasks.iter().map(|t| compiler.script(&t.ops, false)).collect();
        let irq = compiler.script(&scenario.interrupt, true);
        let restore = compiler.restore(contract.switch.as_ref().map_or(&[][..], |s| &s.sched_in));
        let vivt = port.facts.dcache == crate::DcacheKind::Vivt;
        let coloured = |hook| hooks.performs(hook, Effect::ColourIndex);
        let symmetry = Symmetry::new(&shape, &layout, vivt, (coloured(Hook::MapIdx), coloured(Hook::UnmapIdx)));
        Ok(Machine {
            contract: contract.clone(),
            symmetry,
            eager_local_steps: true,
            platform: Platform { facts: port.facts, layout, shape },
            pkmapped: scenario.pkmapped.clone(),
            tasks,
            irq,
            restore,
            hooks,
            names: scenario.tasks.iter().map(|t| t.name.clone()).collect(),
            start_cpus: scenario.tasks.iter().map(|t| t.cpu).collect(),
            interrupts: case.interrupts,
        })
    }

    /// Every task runnable on its first CPU, the first of each CPU running.
    pub fn initial(&self) -> State {
        let shape = &self.platform.shape;
        let mut s = shape.empty(self.platform.layout.cpus, self.tasks.len());
        for (task, &cpu) in self.start_cpus.iter().enumerate() {
            shape.set_task_cpu(&mut s, task, usize::from(cpu));
            shape.set_run(&mut s, task, Run::Ready);
            if shape.current(&s, usize::from(cpu)).is_none() {
                shape.set_current(&mut s, usize::from(cpu), Some(task));
            }
        }
        shape.set_irqs_left(&mut s, self.interrupts);
        s
    }

    /// Renames `s`'s CPUs to its class's representative; returns the
    /// renaming (`[old] = new`), the identity where there is no symmetry.
    pub fn canonicalize(&self, s: &mut State, scratch: &mut Scratch) -> Renaming {
        match &self.symmetry {
            Some(symmetry) => symmetry.canonicalize(s, scratch),
            None => std::array::from_fn(|c| c as u8),
        }
    }

    /// The port's hooks, running step `step` (or all steps) on `cpu`.
    pub fn hooks_on<'a>(
        &'a self,
        s: &'a mut State,
        cpu: usize,
        step: Option<usize>,
        n: &'a mut Narrator,
    ) -> HookRunner<'a> {
        HookRunner {
            hooks: &self.hooks,
            platform: &self.platform,
            pkmapped: &self.pkmapped,
            s,
            cpu,
            step,
            n,
            failed: None,
        }
    }

    /// The index stack the generic code on `cpu` works on: the current
    /// task's, or the CPU's own when the stack is per CPU.
    pub fn ctrl(&self, s: &State, cpu: usize) -> Ctrl {
        let shape = &self.platform.shape;
        match self.contract.stack {
            IndexStack::PerCpu => shape.cpu_ctrl(cpu),
            IndexStack::PerTask => {
                shape.task_ctrl(shape.current(s, cpu).expect("generic code runs in a task's context"))
            }
        }
    }

    /// How traces name the index stack.
    pub fn ctrl_name(&self) -> &'static str {
        match self.contract.stack {
            IndexStack::PerCpu => "this_cpu(kmap_ctrl)",
            IndexStack::PerTask => "current->kmap_ctrl",
        }
    }

    /// Who runs generic code on `cpu`, in words.
    pub fn who(&self, cpu: usize, task: usize, in_irq: bool) -> String {
        if in_irq {
            format!("interrupt on CPU{cpu} (over task {})", self.names[task])
        } else {
            format!("task {} on CPU{cpu}", self.names[task])
        }
    }

    /// A task's name, or `idle`.
    pub fn task_name(&self, task: Option<usize>) -> String {
        task.map_or("idle".to_string(), |t| format!("task {}", self.names[t]))
    }
}
