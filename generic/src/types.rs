//! Plain value types shared by the hook contract and the model.
//!
//! They are small integers on purpose: the model explores every
//! interleaving of a few CPUs, tasks and pages, and hashes whole states.

/// A kernel virtual address, in units of pages: the fixmap slot number
/// `FIX_KMAP_BEGIN + n` for a kmap_local mapping, past the last slot for
/// a permanent (pkmap) mapping.
pub type Vaddr = u32;
/// A page frame number.
pub type Pfn = u32;
/// An index into the per-task kmap stack or the fixmap slot range.
pub type Idx = u32;
/// A page, identified by its page frame number.
pub type Page = u32;
/// A pointer to a fixmap PTE (`kmap_pte - idx`), named by the slot whose
/// PTE it is.
pub type PtePtr = Vaddr;

/// The value of a page table entry: `None` is a cleared (`pte_none`) entry.
pub type PteVal = Option<Pfn>;

/// `&init_mm`: the only address space kmap_local's PTEs belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitMm;
