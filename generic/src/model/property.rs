//! The properties the checker proves, and what a broken one looks like.

use std::fmt;

/// A promise of the generic kmap_local code that a port must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// Every access through a live mapping reaches the mapped page's
    /// current data (it neither faults nor lands on another page).
    CurrentData,
    /// No stale translation is observable after an unmap or a context
    /// switch: no TLB entry or PTE still maps a slot that was torn down,
    /// and no TLB entry contradicts a slot's new PTE.
    NoStaleTranslation,
    /// No stale or aliased cache line is observable: reads hit no line
    /// older than the page, and no line of a torn-down mapping survives
    /// where a later mapping or another colour would meet it.
    NoStaleCacheLine,
    /// A new mapping finds its fixmap slot free
    /// (`BUG_ON(!pte_none(*(kmap_pte - idx)))`).
    SlotFree,
    /// The index stack stays balanced: no overflow or underflow, every
    /// unmap undoes the innermost mapping, every live index has its
    /// saved PTE, interrupts return with the stack as they found it.
    BalancedIndexStack,
    /// No mapping is live (and migration is enabled) on return to user space.
    NoMappingAtUserReturn,
}

impl Property {
    /// Every property, in the order reports list them.
    pub const ALL: [Property; 6] = [
        Property::CurrentData,
        Property::NoStaleTranslation,
        Property::NoStaleCacheLine,
        Property::SlotFree,
        Property::BalancedIndexStack,
        Property::NoMappingAtUserReturn,
    ];

    /// A short name for reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Property::CurrentData => "current_data",
            Property::NoStaleTranslation => "no_stale_translation",
            Property::NoStaleCacheLine => "no_stale_cache_line",
            Property::SlotFree => "slot_free",
            Property::BalancedIndexStack => "balanced_index_stack",
            Property::NoMappingAtUserReturn => "no_mapping_at_user_return",
        }
    }

    /// The property as one sentence.
    pub fn statement(self) -> &'static str {
        match self {
            Property::CurrentData => "every access through a live mapping reaches the mapped page's current data",
            Property::NoStaleTranslation => "no stale translation is observable after unmap or context switch",
            Property::NoStaleCacheLine => "no stale or aliased cache line is observable",
            Property::SlotFree => "a new mapping finds its fixmap slot free",
            Property::BalancedIndexStack => "the kmap index stack stays balanced",
            Property::NoMappingAtUserReturn => "no mapping is live on return to user space",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.statement())
    }
}

/// A broken property, with what happened in kernel terms.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The property that broke.
    pub property: Property,
    /// Who saw what, in kernel terms.
    pub detail: String,
}

impl Violation {
    pub(super) fn new(property: Property, detail: impl Into<String>) -> Violation {
        Violation { property, detail: detail.into() }
    }

    /// The same violation with who saw it put in front.
    pub(super) fn seen_by(mut self, who: &str) -> Violation {
        self.detail = format!("{who}: {}", self.detail);
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} broken: {}", self.property.name(), self.detail)
    }
}
