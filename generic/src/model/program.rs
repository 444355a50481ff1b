//! Scripts compiled to the lines of generic code they run.
//!
//! A script says "map P0, write, unmap"; the program says which lines of
//! mm/highmem.c that takes, one interleaving point per line. Lines are cut
//! where something else can happen in between: a preemption where preemption
//! is enabled, an interrupt or another CPU's step anywhere. Lines with
//! nothing observable between them stay together (`preempt_disable()` with
//! the push that follows it, the pteval store with `preempt_enable()`).

use super::generic_code::Variant;
use super::scenario::Op;
use crate::Page;

/// One interleaving step of generic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// `kmap = arch_kmap_local_high_get(page); if (kmap) return kmap;`
    HighGet(Page),
    /// `migrate_disable();`
    MigrateDisable,
    /// `preempt_disable(); idx = arch_kmap_local_map_idx(kmap_local_idx_push(), pfn);`
    Push(Page),
    /// `BUG_ON(!pte_none(*(kmap_pte - idx))); set_pte_at(...);`
    SetPte(Page),
    /// `arch_kmap_local_post_map(vaddr, pteval);`
    PostMap(Page),
    /// `current->kmap_ctrl.pteval[kmap_local_idx()] = pteval; preempt_enable(); return vaddr;`
    SavePteval(Page),
    /// `preempt_disable(); idx = arch_kmap_local_unmap_idx(kmap_local_idx(), addr); WARN_ON_ONCE(...)`
    UnmapIdx,
    /// `arch_kmap_local_pre_unmap(addr);`
    PreUnmap,
    /// `pte_clear(&init_mm, addr, kmap_pte - idx);`
    PteClear,
    /// `arch_kmap_local_post_unmap(addr);`
    PostUnmap,
    /// `current->kmap_ctrl.pteval[kmap_local_idx()] = __pte(0); kmap_local_idx_pop(); preempt_enable();`
    Pop,
    /// `migrate_enable();`
    MigrateEnable,
    Read,
    Write,
    WritePkmap(Page),
    Fault,
    ReturnToUser,
    /// The interrupt handler returns.
    IrqReturn,
}

/// A line and the script operation it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Instr {
    pub op: usize,
    pub line: Line,
}

/// One script, compiled.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub ops: Vec<Op>,
    pub instrs: Vec<Instr>,
}

impl Program {
    /// Compiles `ops` for `variant`; `high_get` says whether the port
    /// defines `arch_kmap_local_high_get`, without which mm/highmem.c
    /// compiles the lookup away.
    pub fn compile(ops: &[Op], variant: Variant, high_get: bool, interrupt: bool) -> Program {
        let mut instrs = Vec::new();
        for (i, &op) in ops.iter().enumerate() {
            let lines = match op {
                Op::Map(page) => {
                    let mut lines = Vec::new();
                    if high_get {
                        lines.push(Line::HighGet(page));
                    }
                    if variant.disables_migration() {
                        lines.push(Line::MigrateDisable);
                    }
                    lines.extend([Line::Push(page), Line::SetPte(page), Line::PostMap(page), Line::SavePteval(page)]);
                    lines
                }
                Op::Unmap => {
                    let mut lines = vec![Line::UnmapIdx, Line::PreUnmap, Line::PteClear, Line::PostUnmap, Line::Pop];
                    if variant.disables_migration() {
                        lines.push(Line::MigrateEnable);
                    }
                    lines
                }
                Op::Read => vec![Line::Read],
                Op::Write => vec![Line::Write],
                Op::WritePkmap(page) => vec![Line::WritePkmap(page)],
                Op::Fault => vec![Line::Fault],
                Op::ReturnToUser => vec![Line::ReturnToUser],
            };
            instrs.extend(lines.into_iter().map(|line| Instr { op: i, line }));
        }
        if interrupt {
            instrs.push(Instr { op: ops.len(), line: Line::IrqReturn });
        }
        Program { ops: ops.to_vec(), instrs }
    }

    /// The first line after the operation that line `pc` belongs to: where
    /// a kmap_local or kunmap_local of a pkmap address returns early.
    pub fn next_op(&self, pc: usize) -> usize {
        let op = self.instrs[pc].op;
        self.instrs.iter().position(|i| i.op > op).unwrap_or(self.instrs.len())
    }

    /// The script operation line `pc` belongs to; none for the return
    /// from interrupt.
    pub fn op(&self, pc: usize) -> Option<Op> {
        self.ops.get(self.instrs[pc].op).copied()
    }

    /// The operation line `pc` belongs to, in words.
    pub fn call(&self, pc: usize) -> String {
        self.op(pc).map_or("return from interrupt".to_string(), |op| op.to_string())
    }
}
