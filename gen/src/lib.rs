//! archport: port one tree-wide Linux kernel change to every architecture.
//!
//! The library behind the `archport` binary. Data flows one way:
//! descriptor + templates + pre-port tree -> edit plan -> post-state files
//! -> (patch series | diff against the golden port | model check). Each
//! stage is a plain value that can be printed and tested alone.
//!
//! Architecture invariants: the input tree is never written; every output
//! file is written atomically under the output folder; per-arch knowledge
//! lives only in `arch-templates/<arch>/`.

pub mod arch;
pub mod blessed;
pub mod cli;
pub mod color;
pub mod compile;
pub mod data_file;
pub mod descriptor;
pub mod diff_budget;
pub mod edit;
pub mod fidelity;
pub mod golden;
pub mod host;
pub mod input;
pub mod justify;
pub mod kernel;
pub mod output;
pub mod patch;
pub mod per_arch;
pub mod pipeline;
pub mod port;
pub mod progress;
pub mod render;
pub mod report;
pub mod review;
pub mod series;
pub mod verify;

#[cfg(test)]
mod layout_tests;
