//! Plain value types shared by the hook contract and the model.
//!
//! They are small integers on purpose: the model explores every
//! interleaving of a few CPUs, tasks and pages, and hashes whole states.

/// A kernel virtual address, in units of pages (slot addresses only).
pub type Vaddr = u32;
/// A page frame number.
pub type Pfn = u32;
/// An index into the per-task kmap stack or the fixmap slot range.
pub type Idx = u32;
/// A page, identified by its page frame number.
pub type Page = u32;

/// The value of a page table entry: `None` is a cleared (`pte_none`) entry.
pub type PteVal = Option<Pfn>;
