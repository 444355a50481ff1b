//! Why a port, a contract or a scenario cannot be checked at all.
//!
//! These are input errors, found before the search starts; a property
//! that fails during the search is a [`Verdict`](super::Verdict), not an
//! error.

use std::fmt;

use crate::{Effect, Hook};

/// An input the model cannot run, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct ModelError {
    /// Where the input is wrong.
    pub location: Location,
    /// What is wrong there.
    pub kind: ErrorKind,
}

/// Where in the input an error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// One hook of the port.
    Hook(Hook),
    /// One script of the scenario, by name.
    Script(String),
    /// The bounds as a whole.
    Bounds,
    /// The generic code's contract, by name.
    Contract(String),
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The hook lists an effect that the generic code gives no meaning
    /// there (a flush in `map_idx`, colouring in `post_map`, ...).
    #[error("effect `{0}` has no meaning in this hook")]
    EffectOutOfPlace(Effect),
    /// The hook returns with interrupts disabled, or enables them first.
    #[error("irq_disable and irq_enable do not pair up within the hook")]
    UnbalancedIrqs,
    /// The contract has a path the model cannot run.
    #[error("{0}")]
    BadContract(String),
    /// Operation number `.0` reads, writes or unmaps with no live mapping.
    #[error("operation {0} uses a mapping but none is live")]
    NoLiveMapping(usize),
    /// Operation number `.0` writes a page through a kmap() address the
    /// scenario does not give it.
    #[error("operation {0} uses a pkmap address of a page that is not permanently mapped")]
    NotPermanentlyMapped(usize),
    /// Operation number `.0` (or, for the bounds, the permanently mapped
    /// page `.0`) names a page outside the scenario's pages.
    #[error("operation or page {0} names a page the scenario does not have")]
    NoSuchPage(usize),
    /// A task script does not end by returning to user space.
    #[error("a task script must end by returning to user space, and only there")]
    MissingUserReturn,
    /// Operation number `.0` of the interrupt script sleeps, waits or
    /// returns to user space, which an interrupt handler cannot do.
    #[error("operation {0} cannot run in interrupt context")]
    NotInInterrupt(usize),
    /// Operation number `.0` sleeps, or leaves the script, with
    /// interrupts disabled, or enables interrupts it did not disable.
    #[error("operation {0} sleeps or ends with interrupts disabled, or enables them unpaired")]
    IrqsOffAcrossSleep(usize),
    /// Page `.0` is used by two scripts without a completion ordering
    /// the uses: the property is about race-free accesses only.
    #[error("page P{0} is used by two scripts without a completion between the uses")]
    Racy(u32),
    /// A completion is waited for but never completed, or completed twice.
    #[error("completion {0} is waited for without being completed once")]
    UnpairedCompletion(u8),
    /// A script starts on a CPU the bounds do not have.
    #[error("the script starts on a CPU outside the bounds")]
    NoSuchCpu,
    /// The bounds have no CPU to run anything on.
    #[error("the bounds have no CPU")]
    NoCpu,
    /// More of something than the model's small integers hold.
    #[error("too many {what} for the model (at most {limit})")]
    TooLarge {
        /// What there is too much of.
        what: &'static str,
        /// The most the model takes.
        limit: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Hook(hook) => write!(f, "hook {}", hook.c_name()),
            Location::Script(name) => write!(f, "script {name}"),
            Location::Bounds => f.write_str("bounds"),
            Location::Contract(name) => write!(f, "contract {name}"),
        }
    }
}
