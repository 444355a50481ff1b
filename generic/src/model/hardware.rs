//! The hardware that kmap_local's hooks exist for: the kernel page
//! table's fixmap PTEs, per-CPU TLBs that may keep stale entries or fill
//! ahead of the program, the PTE writes lazy MMU mode defers, a data
//! cache that may be virtually indexed, and memory.
//!
//! Modelling choices, and why:
//! - A TLB entry is loaded by an access, by a hook's TLB write, or (on a
//!   walker that runs ahead, `tlb_speculative_fill`) at any time while
//!   the PTE is valid; it leaves only by a flush, or at once on every CPU
//!   when the facts say the TLB keeps nothing stale. A fill ahead matters
//!   only once the PTE changes, so it is taken at its worst moment: just
//!   before each change of a valid PTE, on the CPU that changes it, which
//!   is the only CPU that uses the slot (slots are per CPU, and a task
//!   holding one cannot migrate). When the TLB may cache a cleared PTE,
//!   it is assumed to have done so whenever a PTE is set over an
//!   entry-less slot: the worst case the hardware allows.
//! - The data cache is one for the system, not one per CPU. SMP parts keep
//!   their CPUs' caches coherent for one index and tag (arm's VIVT cores
//!   are uniprocessor), and the hooks' flushes are local anyway: what they
//!   handle is aliasing between addresses of one page, which one cache
//!   shows. Per-CPU incoherent caches would blame every port for
//!   migration, which no hook can fix. A physically indexed cache is not
//!   modelled: for kmap it is memory.
//! - A virtually tagged line is keyed by its address and hits whatever
//!   page the address maps now; a VIPT line is keyed by colour and page.
//!   Writing a dirty virtually tagged line back goes through the MMU on
//!   hardware that says so (`writeback_needs_translation`): without a
//!   translation to the line's page the data is lost.
//! - Lines are never evicted on their own: an eviction writes back earlier
//!   than a flush would, so it could only hide a missing flush.
//! - Lazy MMU mode (paravirt, `lazy_mmu`) queues a CPU's PTE writes and,
//!   behind them, its local TLB flushes of the slots written (Xen PV
//!   batches both into one multicall), so a flush issued after a deferred
//!   write still happens after it.
//!
//! Layout of the lines in the state: for a VIVT cache two bytes per
//! address (the page plus one, 0 for no line; the version with the dirty
//! bit 0x80), for a VIPT one a byte per colour and page (the version plus
//! one with the dirty bit, 0 for no line).

use super::layout::{Addr, Layout, Loc};
use super::property::{Property, Violation};
use super::state::{Shape, State};
use crate::{DcacheKind, HardwareFacts, Page, Pfn, PteVal};

/// The constant side of the hardware: its facts, the address layout and
/// where each field sits in a state.
#[derive(Clone, Debug)]
pub(super) struct Platform {
    pub facts: HardwareFacts,
    pub layout: Layout,
    pub shape: Shape,
}

/// What became of a PTE write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Written {
    /// Lazy MMU mode queued it.
    Deferred,
    /// It reached the page table; the MMU may have loaded the old PTE's
    /// translation into the TLB just before (`tlb_speculative_fill`).
    Now(Option<(Addr, Pfn)>),
}

impl Written {
    /// What a trace adds after the write.
    pub fn note(self) -> String {
        match self {
            Written::Deferred => " (deferred by lazy MMU mode)".to_string(),
            Written::Now(None) => String::new(),
            Written::Now(Some((at, pfn))) => format!(" (the MMU loaded {at}->P{pfn} into the TLB ahead of the change)"),
        }
    }
}

/// A TLB entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TlbEntry {
    /// Translates the slot to this page frame.
    Maps(Pfn),
    /// A cached cleared PTE: accesses fault until the entry is flushed.
    NotPresent,
}

/// What a data cache line is indexed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CacheIndex {
    /// A virtually tagged line belongs to an address.
    Addr(Addr),
    /// A physically tagged line of an aliasing cache sits at a colour.
    Colour(u32),
}

/// A data cache line as a trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CacheLineView {
    /// Where the line sits.
    pub index: CacheIndex,
    /// The page whose data it holds.
    pub page: Page,
    /// How many writes of the page the line's data includes.
    pub version: u8,
    /// Whether memory lacks what the line holds.
    pub dirty: bool,
}

/// A line where it sits: its byte offset among the lines, and its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Line {
    at: usize,
    /// The address (VIVT) or the colour (VIPT) it is indexed by.
    index: u32,
    pfn: Pfn,
    version: u8,
    dirty: bool,
}

const DIRTY: u8 = 0x80;
/// In a deferred write: a TLB flush of the slot is queued behind it.
const FLUSH_AFTER: u8 = 0x80;

fn tlb_entry(byte: u8) -> Option<TlbEntry> {
    match byte {
        0 => None,
        1 => Some(TlbEntry::NotPresent),
        b => Some(TlbEntry::Maps(Pfn::from(b - 2))),
    }
}

fn tlb_byte(entry: Option<TlbEntry>) -> u8 {
    match entry {
        None => 0,
        Some(TlbEntry::NotPresent) => 1,
        Some(TlbEntry::Maps(pfn)) => pfn as u8 + 2,
    }
}

impl Platform {
    fn vivt(&self) -> bool {
        self.facts.dcache == DcacheKind::Vivt
    }

    pub fn pte(&self, s: &State, slot: Loc) -> PteVal {
        self.shape.pte(s, slot)
    }

    pub fn tlb(&self, s: &State, cpu: usize, slot: Loc) -> Option<TlbEntry> {
        tlb_entry(self.shape.tlb(s, cpu, slot))
    }

    fn set_tlb(&self, s: &mut State, cpu: usize, slot: Loc, entry: Option<TlbEntry>) {
        self.shape.set_tlb(s, cpu, slot, tlb_byte(entry));
    }

    /// `set_pte()` / `pte_clear()` on `cpu`; says whether lazy MMU mode
    /// deferred the write, or the MMU filled its TLB from the old PTE first.
    pub fn set_pte(&self, s: &mut State, cpu: usize, slot: Loc, val: PteVal) -> Written {
        if self.facts.lazy_mmu {
            self.shape.set_deferred(s, cpu, slot, val.map_or(1, |pfn| pfn as u8 + 2));
            Written::Deferred
        } else {
            Written::Now(self.commit(s, cpu, slot, val).map(|pfn| (self.layout.addr(slot), pfn)))
        }
    }

    /// The write lazy MMU mode still defers on `cpu` for `slot`.
    fn deferred_write(&self, s: &State, cpu: usize, slot: Loc) -> Option<PteVal> {
        if !self.facts.lazy_mmu {
            return None;
        }
        match self.shape.deferred(s, cpu, slot) & !FLUSH_AFTER {
            0 => None,
            1 => Some(None),
            b => Some(Some(Pfn::from(b - 2))),
        }
    }

    /// `arch_flush_lazy_mmu_mode()` on `cpu`: the queued writes, each
    /// with the TLB flush queued behind it.
    pub fn flush_deferred(&self, s: &mut State, cpu: usize) -> Written {
        let mut filled = None;
        if !self.facts.lazy_mmu {
            return Written::Now(filled);
        }
        for slot in 0..self.layout.slots as Loc {
            if let Some(val) = self.deferred_write(s, cpu, slot) {
                let flush = self.shape.deferred(s, cpu, slot) & FLUSH_AFTER != 0;
                self.shape.set_deferred(s, cpu, slot, 0);
                if let Some(pfn) = self.commit(s, cpu, slot, val) {
                    filled = Some((self.layout.addr(slot), pfn));
                }
                if flush {
                    self.set_tlb(s, cpu, slot, None);
                }
            }
        }
        Written::Now(filled)
    }

    /// Writes the PTE; returns the frame the MMU loaded ahead of the
    /// change, when it did.
    fn commit(&self, s: &mut State, cpu: usize, slot: Loc, val: PteVal) -> Option<Pfn> {
        let old = self.pte(s, slot);
        let fill = self.facts.tlb_speculative_fill && old.is_some() && old != val && self.tlb(s, cpu, slot).is_none();
        if fill {
            self.set_tlb(s, cpu, slot, old.map(TlbEntry::Maps));
        }
        self.shape.set_pte(s, slot, val);
        if !self.facts.tlb_keeps_stale {
            for c in 0..self.layout.cpus {
                self.set_tlb(s, c, slot, None);
            }
        } else if self.facts.tlb_caches_cleared_pte && val.is_some() && self.tlb(s, cpu, slot).is_none() {
            self.set_tlb(s, cpu, slot, Some(TlbEntry::NotPresent));
        }
        if fill {
            old
        } else {
            None
        }
    }

    /// A local TLB flush of `slot`: queued behind a write lazy MMU mode
    /// defers for it, else at once.
    pub fn tlb_flush_page(&self, s: &mut State, cpu: usize, slot: Loc) {
        if self.deferred_write(s, cpu, slot).is_some() {
            let queued = self.shape.deferred(s, cpu, slot) | FLUSH_AFTER;
            self.shape.set_deferred(s, cpu, slot, queued);
        } else {
            self.set_tlb(s, cpu, slot, None);
        }
    }

    pub fn tlb_flush_all(&self, s: &mut State, cpu: usize) {
        for slot in 0..self.layout.slots as Loc {
            self.tlb_flush_page(s, cpu, slot);
        }
    }

    /// Loads the local TLB entry of `slot` with `val` (a cleared PTE leaves no entry).
    pub fn tlb_write(&self, s: &mut State, cpu: usize, slot: Loc, val: PteVal) {
        self.set_tlb(s, cpu, slot, val.map(TlbEntry::Maps));
    }

    // The data cache.

    fn line(&self, s: &State, i: usize) -> Option<Line> {
        let shape = &self.shape;
        if self.vivt() {
            let tag = shape.line_byte(s, 2 * i);
            let v = shape.line_byte(s, 2 * i + 1);
            (tag != 0).then(|| Line {
                at: i,
                index: i as u32,
                pfn: Pfn::from(tag - 1),
                version: v & !DIRTY,
                dirty: v & DIRTY != 0,
            })
        } else {
            let b = shape.line_byte(s, i);
            let pages = self.layout.pages as usize;
            let (colour, pfn) = (i / pages, i % pages);
            (b != 0).then(|| Line {
                at: i,
                index: colour as u32,
                pfn: pfn as Pfn,
                version: (b & !DIRTY) - 1,
                dirty: b & DIRTY != 0,
            })
        }
    }

    fn line_slots(&self) -> usize {
        match self.facts.dcache {
            DcacheKind::Pipt => 0,
            DcacheKind::Vivt => self.layout.locs(),
            DcacheKind::ViptAliasing => self.layout.colours as usize * self.layout.pages as usize,
        }
    }

    fn lines(&self, s: &State) -> Vec<Line> {
        (0..self.line_slots()).filter_map(|i| self.line(s, i)).collect()
    }

    /// Where the line a lookup of `page` at `loc` hits would sit: by
    /// address alone in a virtually tagged cache, by colour and page in a
    /// VIPT one.
    fn line_at(&self, loc: Loc, page: Page) -> usize {
        if self.vivt() {
            usize::from(loc)
        } else {
            self.layout.loc_colour(loc) as usize * self.layout.pages as usize + page as usize
        }
    }

    fn put_line(&self, s: &mut State, loc: Loc, page: Page, version: u8, dirty: bool) {
        let at = self.line_at(loc, page);
        let flag = if dirty { DIRTY } else { 0 };
        if self.vivt() {
            self.shape.set_line_byte(s, 2 * at, page as u8 + 1);
            self.shape.set_line_byte(s, 2 * at + 1, version | flag);
        } else {
            self.shape.set_line_byte(s, at, (version + 1) | flag);
        }
    }

    fn drop_line(&self, s: &mut State, line: &Line) {
        if self.vivt() {
            self.shape.set_line_byte(s, 2 * line.at, 0);
            self.shape.set_line_byte(s, 2 * line.at + 1, 0);
        } else {
            self.shape.set_line_byte(s, line.at, 0);
        }
    }

    /// Writes back and invalidates the lines `loc` indexes on `cpu`: its
    /// own for a VIVT cache, every line of its colour for a VIPT one.
    pub fn cache_flush_page(&self, s: &mut State, cpu: usize, loc: Loc) -> Result<(), Violation> {
        let colour = self.layout.loc_colour(loc);
        let vivt = self.vivt();
        self.flush_lines(s, cpu, |l| if vivt { l.at == usize::from(loc) } else { l.index == colour })
    }

    pub fn cache_flush_all(&self, s: &mut State, cpu: usize) -> Result<(), Violation> {
        self.flush_lines(s, cpu, |_| true)
    }

    fn flush_lines(&self, s: &mut State, cpu: usize, pick: impl Fn(&Line) -> bool) -> Result<(), Violation> {
        for i in 0..self.line_slots() {
            let Some(line) = self.line(s, i).filter(|l| pick(l)) else { continue };
            if line.dirty {
                self.check_writeback(s, cpu, &line)?;
                self.shape.set_memory(s, line.pfn, line.version);
            }
            self.drop_line(s, &line);
        }
        Ok(())
    }

    /// On hardware whose write-back of a virtually tagged line goes
    /// through the MMU: the line's address must still translate to its
    /// page, through `cpu`'s TLB or, with no entry there, the page table.
    fn check_writeback(&self, s: &State, cpu: usize, line: &Line) -> Result<(), Violation> {
        let loc = line.at as Loc;
        if !(self.facts.writeback_needs_translation && self.vivt() && self.layout.is_fixmap(loc)) {
            return Ok(());
        }
        let at = self.layout.addr(loc);
        let pte = self.pte(s, loc);
        let lost = |why: String| {
            Err(Violation::new(
                Property::CurrentData,
                format!(
                    "CPU{cpu} writes back the dirty line of P{} at {at}, but {why}: the write-back is lost",
                    line.pfn
                ),
            ))
        };
        match (self.tlb(s, cpu, loc), pte) {
            (Some(TlbEntry::Maps(pfn)), _) if pfn == line.pfn => Ok(()),
            (Some(entry), _) => lost(format!("CPU{cpu}'s TLB translates {at} to {entry}")),
            (None, Some(pfn)) if pfn == line.pfn => Ok(()),
            (None, Some(pfn)) => lost(format!("the PTE of {at} maps P{pfn} now")),
            (None, None) => lost(format!("the PTE of {at} is clear and no TLB entry translates it")),
        }
    }

    /// A read or write of `page` through `loc` on `cpu`; the state's data
    /// holds each page's current version, which a read must see and a
    /// write bumps.
    pub fn access(&self, s: &mut State, cpu: usize, loc: Loc, page: Page, write: bool) -> Result<(), Violation> {
        if self.layout.is_fixmap(loc) {
            self.translate(s, cpu, loc, page)?;
        }
        if self.facts.dcache != DcacheKind::Pipt {
            self.cached_read(s, loc, page)?;
        }
        if write {
            let version = self.shape.data(s, page) + 1;
            self.shape.set_data(s, page, version);
            match self.facts.dcache {
                DcacheKind::Pipt => self.shape.set_memory(s, page, version),
                _ => self.put_line(s, loc, page, version, true),
            }
        }
        Ok(())
    }

    /// The MMU's view of `slot` on `cpu`: the TLB, else a refill from the PTE.
    fn translate(&self, s: &mut State, cpu: usize, slot: Loc, page: Page) -> Result<(), Violation> {
        let at = self.layout.addr(slot);
        let pte = self.pte(s, slot);
        let why_none = if self.deferred_write(s, cpu, slot).is_some() {
            " (its set_pte() is still deferred by lazy MMU mode)"
        } else {
            ""
        };
        match (self.tlb(s, cpu, slot), pte) {
            (Some(TlbEntry::Maps(pfn)), _) if pfn == page => Ok(()),
            (Some(TlbEntry::Maps(pfn)), Some(now)) if now == page => Err(Violation::new(
                Property::NoStaleTranslation,
                format!("CPU{cpu}'s TLB still translates {at} to P{pfn}, while its PTE maps P{page}: the access reaches P{pfn}"),
            )),
            (Some(TlbEntry::NotPresent), Some(now)) if now == page => Err(Violation::new(
                Property::NoStaleTranslation,
                format!("CPU{cpu}'s TLB holds the cleared PTE of {at}, so the access faults although the PTE now maps P{page}"),
            )),
            (Some(entry), _) => Err(Violation::new(
                Property::CurrentData,
                format!("the access through {at} meets TLB entry {entry} and PTE {}{why_none}, not P{page}", pte_name(pte)),
            )),
            (None, _) if !self.facts.tlb_refill_from_pte => Err(Violation::new(
                Property::CurrentData,
                format!("CPU{cpu}'s TLB has no entry for {at} and nothing loads one from the PTE: the access faults"),
            )),
            (None, Some(pfn)) => {
                self.set_tlb(s, cpu, slot, Some(TlbEntry::Maps(pfn)));
                if pfn == page {
                    Ok(())
                } else {
                    Err(Violation::new(
                        Property::CurrentData,
                        format!("{at} maps P{pfn}, not P{page}: the slot belongs to another mapping now"),
                    ))
                }
            }
            (None, None) => {
                if self.facts.tlb_caches_cleared_pte {
                    self.set_tlb(s, cpu, slot, Some(TlbEntry::NotPresent));
                }
                Err(Violation::new(
                    Property::CurrentData,
                    format!("the PTE of {at} is clear{why_none}: the access to P{page} faults in the kernel"),
                ))
            }
        }
    }

    /// Checks what a read of `page` through `loc` gets from the cache or
    /// memory, and leaves the line it fills behind.
    fn cached_read(&self, s: &mut State, loc: Loc, page: Page) -> Result<(), Violation> {
        let at = self.layout.addr(loc);
        let current = self.shape.data(s, page);
        let memory = self.shape.memory(s, page);
        match self.line(s, self.line_at(loc, page)) {
            Some(l) if l.pfn != page => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("the virtually tagged line at {at} still holds P{}'s data: reading P{page} there hits it", l.pfn),
            )),
            Some(l) if l.version != current => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!(
                    "the cache line of P{page} at {at} holds version {} but the page is at version {current}{}",
                    l.version,
                    self.newest(s, page, current)
                ),
            )),
            Some(_) => Ok(()),
            None if memory != current => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!(
                    "the access to P{page} through {at} misses the cache and gets version {memory} from memory, but the page is at version {current}{}",
                    self.newest(s, page, current)
                ),
            )),
            None => {
                self.put_line(s, loc, page, current, false);
                Ok(())
            }
        }
    }

    /// Where the current data of `page` sits, for a violation's detail.
    fn newest(&self, s: &State, page: Page, current: u8) -> String {
        match self.lines(s).into_iter().find(|l| l.pfn == page && l.version == current && l.dirty) {
            Some(l) => format!("; the current data sits dirty in the line at {}", self.view(&l).index),
            None => "; the current data is lost".to_string(),
        }
    }

    /// After `slot`, which mapped `pfn`, was torn down on `cpu`: nothing may
    /// still reach the old mapping through the page table, the TLB or the
    /// cache.
    pub fn check_torn_down(&self, s: &State, cpu: usize, slot: Loc, pfn: Pfn) -> Result<(), Violation> {
        let at = self.layout.addr(slot);
        let stale = |detail: String| Err(Violation::new(Property::NoStaleTranslation, detail));
        if let Some(val) = self.deferred_write(s, cpu, slot) {
            return stale(format!(
                "the write of {} to the PTE of {at} is still deferred by lazy MMU mode, which keeps P{pfn} mapped",
                pte_name(val)
            ));
        }
        if let Some(live) = self.pte(s, slot) {
            return stale(format!("the PTE of {at} still maps P{live}"));
        }
        if let Some(TlbEntry::Maps(old)) = self.tlb(s, cpu, slot) {
            return stale(format!("CPU{cpu}'s TLB still translates {at} to P{old} though its PTE is clear"));
        }
        let colour = self.layout.loc_colour(slot);
        let left = match self.facts.dcache {
            DcacheKind::Pipt => None,
            DcacheKind::Vivt => self.line(s, usize::from(slot)),
            DcacheKind::ViptAliasing if colour != self.layout.colour(pfn) => self.line(s, self.line_at(slot, pfn)),
            DcacheKind::ViptAliasing => None,
        };
        match left {
            Some(l) => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("{} survives the teardown of {at}: {}", self.line_name(&l), self.stale_line_risk(&l)),
            )),
            None => Ok(()),
        }
    }

    /// After `slot` was mapped to `pfn` again on `cpu` (a context switch
    /// restored it): nothing left over may contradict the new mapping.
    pub fn check_remapped(&self, s: &State, cpu: usize, slot: Loc, pfn: Pfn) -> Result<(), Violation> {
        let at = self.layout.addr(slot);
        match self.tlb(s, cpu, slot) {
            Some(TlbEntry::Maps(old)) if old != pfn => {
                return Err(Violation::new(
                    Property::NoStaleTranslation,
                    format!("CPU{cpu}'s TLB still translates {at} to P{old}, while its PTE now maps P{pfn}"),
                ))
            }
            Some(TlbEntry::NotPresent) => {
                return Err(Violation::new(
                    Property::NoStaleTranslation,
                    format!("CPU{cpu}'s TLB holds the cleared PTE of {at}, while its PTE now maps P{pfn}"),
                ))
            }
            _ => {}
        }
        let left = if self.vivt() { self.line(s, usize::from(slot)).filter(|l| l.pfn != pfn) } else { None };
        match left {
            Some(l) => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("{} is still in the cache, where {at} now maps P{pfn}", self.line_name(&l)),
            )),
            None => Ok(()),
        }
    }

    /// Live fixmap PTEs, for traces.
    pub fn live_ptes(&self, s: &State) -> Vec<(Addr, Pfn)> {
        (0..self.layout.slots as Loc).filter_map(|l| self.pte(s, l).map(|pfn| (self.layout.addr(l), pfn))).collect()
    }

    /// One CPU's TLB, for traces.
    pub fn tlb_view(&self, s: &State, cpu: usize) -> Vec<(Addr, TlbEntry)> {
        (0..self.layout.slots as Loc).filter_map(|l| self.tlb(s, cpu, l).map(|e| (self.layout.addr(l), e))).collect()
    }

    /// The data cache, for traces, ordered by where the lines sit.
    pub fn cache_view(&self, s: &State) -> Vec<CacheLineView> {
        let mut lines: Vec<CacheLineView> = self.lines(s).iter().map(|l| self.view(l)).collect();
        lines.sort_by_key(|l| match l.index {
            CacheIndex::Addr(Addr::Slot(n)) => (0, n, l.page),
            CacheIndex::Addr(Addr::Pkmap(p)) => (1, p, l.page),
            CacheIndex::Colour(c) => (2, c, l.page),
        });
        lines
    }

    fn view(&self, l: &Line) -> CacheLineView {
        let index =
            if self.vivt() { CacheIndex::Addr(self.layout.addr(l.at as Loc)) } else { CacheIndex::Colour(l.index) };
        CacheLineView { index, page: l.pfn, version: l.version, dirty: l.dirty }
    }

    fn line_name(&self, l: &Line) -> String {
        format!("the {} line of P{} at {}", if l.dirty { "dirty" } else { "clean" }, l.pfn, self.view(l).index)
    }

    /// Why a line left behind by a teardown is observable.
    fn stale_line_risk(&self, l: &Line) -> String {
        if self.vivt() {
            "the next mapping of that address hits it whatever page it maps".to_string()
        } else {
            format!(
                "P{} has colour {}, so accesses at its own colour never see this alias",
                l.pfn,
                self.layout.colour(l.pfn)
            )
        }
    }
}

/// A PTE value as traces show it: `P3`, or `none`.
pub(super) fn pte_name(pte: PteVal) -> String {
    match pte {
        Some(pfn) => format!("P{pfn}"),
        None => "none".to_string(),
    }
}

impl std::fmt::Display for TlbEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlbEntry::Maps(pfn) => write!(f, "P{pfn}"),
            TlbEntry::NotPresent => f.write_str("not-present"),
        }
    }
}

impl std::fmt::Display for CacheIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheIndex::Addr(a) => a.fmt(f),
            CacheIndex::Colour(c) => write!(f, "colour {c}"),
        }
    }
}

impl std::fmt::Display for CacheLineView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.dirty { "dirty" } else { "clean" };
        write!(f, "[{}] P{} v{} {state}", self.index, self.page, self.version)
    }
}
