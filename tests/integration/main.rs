//! Integration tests against the real kernel tree and golden ports.
//!
//! The first test that needs the kernel fetches Debian's linux-source-5.10
//! into the cache (`ARCHPORT_CACHE`, else `$XDG_CACHE_HOME/archport`);
//! the others wait on the cache lock and reuse it.

mod support;

mod bless;
mod cache;
mod check;
mod cli_errors;
mod compile;
mod fetch;
mod golden;
mod justification;
mod later_tree;
mod maintainers;
mod mutants;
mod output_safety;
mod pinned;
mod port;
mod report;
mod robustness;
mod run;
mod series;
mod snapshots;
mod verify;
