//! The generic kmap_local code as a value: which hooks a kernel's
//! mm/highmem.c calls, in what order around the PTE write and clear, and
//! what the rest of the design around them is (migration, the context
//! switch, the index stack, KM_MAX_IDX).
//!
//! `Contract::linux_5_10()` is the code as merged, the one archport
//! generates ports for and the default of every check. A tree's own
//! contract (read from its mm/highmem.c by `archport`) is checked the
//! same way, and the [`Variant`]s that answer the design question are
//! modifications of the merged one.
//!
//! How it relates to the declared hook contract ([`ArchHooks`](crate::ArchHooks)
//! and the generated [`Hook`] table): the declaration is the vocabulary
//! of every hook any supported kernel calls, with C names, parameters and
//! defaults, and the source of truth for rendering ports. A `Contract`
//! picks from that vocabulary; it never adds a hook the declaration does
//! not know.

use std::fmt;

use crate::Hook;

/// One thing a path of the generic code does, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// The arch hook, or its generic default when the arch leaves it.
    Hook(Hook),
    /// `set_pte_at(&init_mm, vaddr, ptep, pteval)` written out in the
    /// generic code (5.10), not through a hook.
    SetPte,
    /// `pte_clear(&init_mm, vaddr, ptep)`.
    PteClear,
}

/// Whose index stack `kmap_local_idx_push()` works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexStack {
    /// `current->kmap_ctrl`: as merged.
    PerTask,
    /// One stack per CPU, as the old kmap_atomic had.
    PerCpu,
}

/// `__kmap_local_sched_out()` and `__kmap_local_sched_in()`: what the
/// context switch does with the mappings of the tasks it switches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Switch {
    /// Run for each live mapping of the outgoing task, before `switch_to()`
    /// with interrupts off.
    pub sched_out: Vec<Call>,
    /// Run for each live mapping of the incoming task, in
    /// `finish_task_switch()`.
    pub sched_in: Vec<Call>,
    /// Whether interrupts are on while the incoming task's mappings are
    /// restored: in 5.10 `finish_lock_switch()` enables them before
    /// `kmap_local_sched_in()` runs.
    pub irqs_on_sched_in: bool,
}

/// The generic kmap_local code of one kernel, as the model runs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Contract {
    /// Which code this is, for reports (`Linux 5.10`).
    pub name: String,
    /// `__kmap_local_pfn_prot()` between `kmap_local_idx_push()` and the
    /// pteval store; an index hook, if listed, comes first.
    pub map: Vec<Call>,
    /// `kunmap_local_indexed()` between `kmap_local_idx()` and the pop;
    /// an index hook, if listed, comes first.
    pub unmap: Vec<Call>,
    /// Whether `__kmap_local_page_prot()` first asks
    /// `arch_kmap_local_high_get()` for an existing permanent mapping.
    pub high_get: bool,
    /// Whether a mapping holds `migrate_disable()` for its life.
    pub migrate_disable: bool,
    /// The context switch's save and restore; `None` when it does neither.
    pub switch: Option<Switch>,
    /// Whose index stack the code uses.
    pub stack: IndexStack,
    /// KM_MAX_IDX without CONFIG_DEBUG_HIGHMEM (`asm-generic/kmap_size.h`).
    pub km_max_idx: u32,
    /// KM_MAX_IDX with CONFIG_DEBUG_HIGHMEM, whose even indexes are guards.
    pub km_max_idx_debug: u32,
}

impl Contract {
    /// mm/highmem.c and kernel/sched/core.c as merged (the 5.10 backport
    /// in Debian's PREEMPT_RT patch): what archport generates ports for.
    pub fn linux_5_10() -> Contract {
        let unmap =
            vec![Call::Hook(Hook::UnmapIdx), Call::Hook(Hook::PreUnmap), Call::PteClear, Call::Hook(Hook::PostUnmap)];
        // The restore loops compute the slot with map_idx: the virtual
        // address is not saved, only the PTE (xtensa's "horrible hack").
        let sched_out =
            vec![Call::Hook(Hook::MapIdx), Call::Hook(Hook::PreUnmap), Call::PteClear, Call::Hook(Hook::PostUnmap)];
        let map = vec![Call::Hook(Hook::MapIdx), Call::SetPte, Call::Hook(Hook::PostMap)];
        Contract {
            name: "Linux 5.10".to_string(),
            map: map.clone(),
            unmap,
            high_get: true,
            migrate_disable: true,
            switch: Some(Switch { sched_out, sched_in: map, irqs_on_sched_in: true }),
            stack: IndexStack::PerTask,
            km_max_idx: 16,
            km_max_idx_debug: 33,
        }
    }

    /// Linux 6.1 (Debian bookworm): as 5.10, but the map path writes the
    /// PTE through `arch_kmap_local_set_pte()` (default `set_pte_at()`);
    /// the restore in `__kmap_local_sched_in()` still calls `set_pte_at()`.
    pub fn linux_6_1() -> Contract {
        let mut contract = Contract::linux_5_10();
        contract.name = "Linux 6.1".to_string();
        contract.map = vec![Call::Hook(Hook::MapIdx), Call::Hook(Hook::SetPte), Call::Hook(Hook::PostMap)];
        contract
    }

    /// Every hook the code calls, in declaration order.
    pub fn hooks(&self) -> Vec<Hook> {
        Hook::ALL.into_iter().filter(|&h| self.calls(h)).collect()
    }

    /// Whether the code calls `hook` anywhere.
    pub fn calls(&self, hook: Hook) -> bool {
        let switch = self.switch.iter().flat_map(|s| s.sched_out.iter().chain(&s.sched_in));
        (hook == Hook::HighGet && self.high_get)
            || self.map.iter().chain(&self.unmap).chain(switch).any(|&c| c == Call::Hook(hook))
    }

    /// KM_MAX_IDX under the configuration.
    pub fn km_max_idx(&self, debug_highmem: bool) -> u32 {
        if debug_highmem {
            self.km_max_idx_debug
        } else {
            self.km_max_idx
        }
    }

    /// Checks that the model can run the paths: index hooks only first,
    /// `set_pte` only where there is a PTE value to write, `high_get`
    /// only through the flag. A path that lacks a PTE write or a flush is
    /// runnable, and the check says what breaks.
    pub fn validate(&self) -> Result<(), String> {
        let paths = [("map", &self.map, Hook::MapIdx, true), ("unmap", &self.unmap, Hook::UnmapIdx, false)];
        let switch = self.switch.iter().flat_map(|s| {
            [("sched_out", &s.sched_out, Hook::MapIdx, false), ("sched_in", &s.sched_in, Hook::MapIdx, true)]
        });
        for (name, path, index, maps) in paths.into_iter().chain(switch) {
            for (i, call) in path.iter().enumerate() {
                let wrong = match *call {
                    Call::Hook(Hook::MapIdx | Hook::UnmapIdx) if i > 0 || *call != Call::Hook(index) => {
                        Some("an index hook other than first, or of the other direction")
                    }
                    Call::Hook(Hook::SetPte) | Call::SetPte if !maps => Some("a PTE write where nothing is mapped"),
                    Call::Hook(Hook::HighGet) => Some("high_get inside a path (it is the `high_get` flag)"),
                    _ => None,
                };
                if let Some(what) = wrong {
                    return Err(format!("{}: the {name} path has {what} ({})", self.name, path_text(path)));
                }
            }
        }
        Ok(())
    }

    /// The index hook a path computes its slot with, if it lists one.
    pub(crate) fn index_hook(path: &[Call]) -> Option<Hook> {
        match path.first() {
            Some(&Call::Hook(h @ (Hook::MapIdx | Hook::UnmapIdx))) => Some(h),
            _ => None,
        }
    }
}

impl Default for Contract {
    fn default() -> Contract {
        Contract::linux_5_10()
    }
}

/// A change to the merged code that the design decisions rule out: each
/// shows what breaks without one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// mm/highmem.c as merged.
    Merged,
    /// As merged, but a mapping does not disable migration.
    NoMigrateDisable,
    /// As merged, but the context switch neither clears the outgoing
    /// task's mappings nor restores the incoming one's.
    NoSchedSaveRestore,
    /// The old kmap_atomic layout made preemptible: one index stack per
    /// CPU, nothing to save or restore per task.
    PerCpuIndex,
}

impl Variant {
    /// Every variant, the merged code first.
    pub const ALL: [Variant; 4] =
        [Variant::Merged, Variant::NoMigrateDisable, Variant::NoSchedSaveRestore, Variant::PerCpuIndex];

    /// A short name for reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Merged => "merged",
            Variant::NoMigrateDisable => "no_migrate_disable",
            Variant::NoSchedSaveRestore => "no_sched_save_restore",
            Variant::PerCpuIndex => "per_cpu_index",
        }
    }

    /// `contract` with this change made.
    pub fn apply(self, mut contract: Contract) -> Contract {
        match self {
            Variant::Merged => {}
            Variant::NoMigrateDisable => contract.migrate_disable = false,
            Variant::NoSchedSaveRestore => contract.switch = None,
            Variant::PerCpuIndex => {
                contract.stack = IndexStack::PerCpu;
                contract.switch = None;
            }
        }
        if self != Variant::Merged {
            contract.name = format!("{} ({})", contract.name, self.name());
        }
        contract
    }

    /// The merged 5.10 code with this change made.
    pub fn contract(self) -> Contract {
        self.apply(Contract::linux_5_10())
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Hook(hook) => f.write_str(hook.name()),
            Call::SetPte => f.write_str("set_pte_at()"),
            Call::PteClear => f.write_str("pte_clear()"),
        }
    }
}

fn path_text(path: &[Call]) -> String {
    path.iter().map(Call::to_string).collect::<Vec<_>>().join(", ")
}

/// The contract path by path, one line each, for side-by-side reports.
impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.name)?;
        let high_get = if self.high_get { "high_get, " } else { "" };
        let migrate = if self.migrate_disable { "migrate_disable(), " } else { "" };
        writeln!(f, "  map:       {high_get}{migrate}push, {}, save pteval", path_text(&self.map))?;
        let migrate = if self.migrate_disable { ", migrate_enable()" } else { "" };
        writeln!(f, "  unmap:     {}, pop{migrate}", path_text(&self.unmap))?;
        match &self.switch {
            Some(s) => {
                writeln!(f, "  sched_out: {} (interrupts off)", path_text(&s.sched_out))?;
                let irqs = if s.irqs_on_sched_in { "on" } else { "off" };
                writeln!(f, "  sched_in:  {} (interrupts {irqs})", path_text(&s.sched_in))?;
            }
            None => writeln!(f, "  context switch: neither saves nor restores")?,
        }
        let stack = match self.stack {
            IndexStack::PerTask => "per task",
            IndexStack::PerCpu => "per CPU",
        };
        write!(
            f,
            "  index stack {stack}; KM_MAX_IDX {} ({} with CONFIG_DEBUG_HIGHMEM)",
            self.km_max_idx, self.km_max_idx_debug
        )
    }
}
