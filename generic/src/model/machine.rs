//! The fixed part of one check: the port's resolved hooks, the variant of
//! the generic code, the compiled scripts and the layout; and the initial
//! state they start from.

use super::error::ModelError;
use super::generic_code::Variant;
use super::hardware::{Hardware, Platform};
use super::hook_runner::HookRunner;
use super::layout::Layout;
use super::narrator::Narrator;
use super::port::{ActiveHooks, PortSpec};
use super::program::Program;
use super::scenario::Bounds;
use super::state::{Context, Cpu, KmapCtrl, Run, State, Task};
use crate::{Hook, Page};

/// Everything a check holds fixed.
#[derive(Debug)]
pub(super) struct Machine {
    pub variant: Variant,
    pub platform: Platform,
    pub hooks: ActiveHooks,
    pub pkmapped: Vec<Page>,
    /// One program per task, in script order.
    pub tasks: Vec<Program>,
    pub irq: Program,
    pub names: Vec<String>,
    start_cpus: Vec<u8>,
    interrupts: u8,
}

impl Machine {
    pub fn new(port: &PortSpec, variant: Variant, bounds: &Bounds) -> Result<Machine, ModelError> {
        port.validate()?;
        bounds.validate()?;
        let scenario = &bounds.scenario;
        let high_get = port.defines(Hook::HighGet);
        let compile = |ops: &[_], irq| Program::compile(ops, variant, high_get, irq);
        Ok(Machine {
            variant,
            platform: Platform { facts: port.facts, layout: Layout::new(bounds, &port.facts) },
            hooks: ActiveHooks::new(port),
            pkmapped: scenario.pkmapped.clone(),
            tasks: scenario.tasks.iter().map(|t| compile(&t.ops, false)).collect(),
            irq: compile(&scenario.interrupt, true),
            names: scenario.tasks.iter().map(|t| t.name.clone()).collect(),
            start_cpus: scenario.tasks.iter().map(|t| t.cpu).collect(),
            interrupts: bounds.interrupts,
        })
    }

    /// Every task runnable on its first CPU, the first of each CPU running.
    pub fn initial(&self) -> State {
        let layout = &self.platform.layout;
        let cpus = (0..layout.cpus as u8)
            .map(|c| Cpu {
                current: self.start_cpus.iter().position(|&s| s == c).map(|t| t as u8),
                irq: None,
                kmap_ctrl: KmapCtrl::default(),
            })
            .collect();
        let tasks = self
            .start_cpus
            .iter()
            .map(|&cpu| Task {
                ctx: Context::default(),
                kmap_ctrl: KmapCtrl::default(),
                migrate_disable: 0,
                cpu,
                run: Run::Ready,
            })
            .collect();
        State {
            cpus,
            tasks,
            hw: Hardware::new(&self.platform),
            data: vec![0; layout.pages as usize],
            irqs_left: self.interrupts,
        }
    }

    /// The port's hooks, running on `cpu` of this hardware.
    pub fn hooks_on<'a>(&'a self, hw: &'a mut Hardware, cpu: usize, narrator: &'a mut Narrator) -> HookRunner<'a> {
        HookRunner { hooks: &self.hooks, platform: &self.platform, pkmapped: &self.pkmapped, hw, cpu, narrator }
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
