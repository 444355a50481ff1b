//! The generic edit operations: each written once, used by every arch.
//!
//! `ops` lists them and dispatches one to its module: `includes`,
//! `words` (renames, exact text), `doc` (kernel-doc paragraphs), `remove` (definitions, declarations,
//! statements), `place` (anchors, inserting and moving text), `kbuild`
//! (Kconfig, Makefiles). `c` locates C definitions with tree-sitter;
//! `lex` is the C token stream the fidelity check and the hook reader share;
//! `locate` finds the lines an edit works on (a node with its comment, a
//! named definition); `text` holds the byte-level line helpers they all share.

pub mod c;
mod doc;
mod includes;
pub mod kbuild;
pub mod lex;
mod locate;
mod ops;
mod place;
mod remove;
pub mod text;
mod words;

pub use ops::{apply, Anchor, Op, Render};

#[cfg(test)]
mod op_tests;
#[cfg(test)]
mod proptests;
