//! The generic edit operations: each written once, used by every arch.
//!
//! `ops` lists them and applies one to a file's content; `c` locates C
//! definitions with tree-sitter; `kbuild` edits Kconfig and Makefiles;
//! `text` holds the byte-level line helpers they share.

pub mod c;
pub mod kbuild;
mod ops;
pub mod text;

pub use ops::{apply, Anchor, Op, Render};

#[cfg(test)]
mod proptests;
