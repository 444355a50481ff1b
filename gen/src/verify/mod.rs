//! Checking ports with the executable model: the hooks a port's C
//! defines (generated, golden, or any tree's), read as the compiler
//! would run them, against the generic kmap_local code of the tree.
//!
//! - `cpp`: the preprocessor, as far as a hook's meaning depends on it;
//! - `c_ast`: statements and expressions of hook code;
//! - `operators`: C's binary operators, shared by `c_ast` and `cpp`;
//! - `hook_reader`: a hook's C run symbolically to the model's effects;
//! - `read`: the arch's files, a port's files laid over them, and the
//!   port the model checks (per CONFIG_DEBUG_HIGHMEM setting);
//! - `contract`: a tree's mm/highmem.c as the model's `Contract`;
//! - `verdict`: the checks, memoized within a run, and their outcomes;
//! - `old_code`: the arch's old kmap_atomic operations, kept or dropped;
//! - `call_sites`: a function's kmap_local calls as a task script.
//!
//! Invariant: what the reader cannot decide is unmodelled with its file
//! and line, never guessed; a verdict is about the C a tree (or a port)
//! has, on the hardware its descriptor's facts describe.

pub mod c_ast;
pub mod call_sites;
pub mod contract;
pub mod cpp;
pub mod hook_reader;
pub mod old_code;
mod operators;
mod read;
mod verdict;

use std::ops::Range;

use archport_generic::Hook;

use crate::arch::Arch;

pub use read::{declared_port, generated_port, hook_files, read_port, tree_port, CPort, HookFiles, TreePort};
pub use verdict::{check, check_declared, check_under, tree_verdict, ArchVerdict, Outcome, Status};

/// What every hook's name starts with.
pub const HOOK_PREFIX: &str = "arch_kmap_local_";

/// Where an arch's hooks live.
pub fn hooks_header(arch: Arch) -> String {
    format!("{}include/asm/highmem.h", arch.dir())
}

/// Byte ranges of the hook definitions in a header: each `#define
/// arch_kmap_local_*` with its continuation lines, and each inline
/// function named `arch_kmap_local_*`: the part of a hooks header a
/// justification by the model vouches for.
pub fn hook_definition_ranges(text: &[u8]) -> Vec<Range<usize>> {
    let lines = crate::edit::text::line_ranges(text);
    let mut out: Vec<Range<usize>> = crate::edit::text::defines(text, |n| n.starts_with(HOOK_PREFIX))
        .into_iter()
        .map(|(first, last)| lines[first].start..lines[last].end)
        .collect();
    for hook in Hook::ALL {
        out.extend(crate::edit::c::function(text, hook.c_name()));
    }
    out
}
