//! The hardware that kmap_local's hooks exist for: the kernel page
//! table's fixmap PTEs, per-CPU TLBs that may keep stale entries, the PTE
//! writes lazy MMU mode defers, a data cache that may be virtually
//! indexed, and memory.
//!
//! Modelling choices, and why:
//! - A TLB entry is loaded only by an access or by a hook's TLB write, and
//!   leaves only by a flush (or at once on every CPU when the facts say
//!   the TLB keeps nothing stale). When the TLB may cache a cleared PTE,
//!   it is assumed to have done so speculatively whenever a PTE is set
//!   over an entry-less slot: the worst case the hardware allows.
//! - The data cache is one for the system, not one per CPU. SMP parts keep
//!   their CPUs' caches coherent for one index and tag (arm's VIVT cores
//!   are uniprocessor), and the hooks' flushes are local anyway: what they
//!   handle is aliasing between addresses of one page, which one cache
//!   shows. Per-CPU incoherent caches would blame every port for
//!   migration, which no hook can fix. A physically indexed cache is not
//!   modelled: for kmap it is memory.
//! - A virtually tagged line is keyed by its address and hits whatever
//!   page the address maps now; a VIPT line is keyed by colour and page.
//! - Lines are never evicted on their own: an eviction writes back earlier
//!   than a flush would, so it could only hide a missing flush.

use super::layout::Layout;
use super::property::{Property, Violation};
use super::trace::{Addr, CacheIndex, CacheLineView};
use crate::{DcacheKind, HardwareFacts, Page, Pfn, PteVal, Vaddr};

/// The constant side of the hardware: its facts and the address layout.
#[derive(Clone, Copy, Debug)]
pub(super) struct Platform {
    pub facts: HardwareFacts,
    pub layout: Layout,
}

/// A TLB entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlbEntry {
    /// Translates the slot to this page frame.
    Maps(Pfn),
    /// A cached cleared PTE: accesses fault until the entry is flushed.
    NotPresent,
}

/// A data cache line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct CacheLine {
    /// The address (VIVT) or the colour (VIPT) the line is indexed by.
    index: u32,
    pfn: Pfn,
    version: u8,
    dirty: bool,
}

/// The changing side of the hardware.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Hardware {
    /// The fixmap PTEs of the kernel page table, shared by all CPUs.
    ptes: Vec<PteVal>,
    /// The TLB entry, if any, of each CPU for each fixmap slot, CPU-major.
    tlbs: Vec<Option<TlbEntry>>,
    /// PTE writes deferred by lazy MMU mode: CPU, slot, value; one per
    /// CPU and slot, sorted.
    deferred: Vec<(u8, Vaddr, PteVal)>,
    /// Data cache lines, sorted; always empty for a physically indexed cache.
    lines: Vec<CacheLine>,
    /// The version of each page's data in memory.
    memory: Vec<u8>,
}

impl Hardware {
    pub fn new(p: &Platform) -> Hardware {
        let slots = p.layout.fix_slots() as usize;
        let cpus = p.layout.cpus as usize;
        Hardware {
            ptes: vec![None; slots],
            tlbs: vec![None; slots * cpus],
            deferred: Vec::new(),
            lines: Vec::new(),
            memory: vec![0; p.layout.pages as usize],
        }
    }

    /// The PTE of a fixmap slot as the page table holds it.
    pub fn pte(&self, slot: Vaddr) -> PteVal {
        self.ptes[slot as usize]
    }

    /// `set_pte()` / `pte_clear()` on `cpu`; returns whether lazy MMU mode
    /// deferred the write.
    pub fn set_pte(&mut self, p: &Platform, cpu: usize, slot: Vaddr, val: PteVal) -> bool {
        if p.facts.lazy_mmu {
            let key = (cpu as u8, slot);
            self.deferred.retain(|&(c, s, _)| (c, s) != key);
            let at = self.deferred.partition_point(|&(c, s, _)| (c, s) < key);
            self.deferred.insert(at, (key.0, slot, val));
            true
        } else {
            self.commit(p, cpu, slot, val);
            false
        }
    }

    /// `arch_flush_lazy_mmu_mode()` on `cpu`.
    pub fn flush_deferred(&mut self, p: &Platform, cpu: usize) {
        let (mine, others) =
            std::mem::take(&mut self.deferred).into_iter().partition(|&(c, _, _)| usize::from(c) == cpu);
        self.deferred = others;
        for (_, slot, val) in mine {
            self.commit(p, cpu, slot, val);
        }
    }

    fn commit(&mut self, p: &Platform, cpu: usize, slot: Vaddr, val: PteVal) {
        let s = slot as usize;
        self.ptes[s] = val;
        if !p.facts.tlb_keeps_stale {
            for c in 0..p.layout.cpus as usize {
                *self.entry(c, slot) = None;
            }
        } else if p.facts.tlb_caches_cleared_pte && val.is_some() && self.entry(cpu, slot).is_none() {
            *self.entry(cpu, slot) = Some(TlbEntry::NotPresent);
        }
    }

    /// The TLB entry of `cpu` for `slot`.
    fn entry(&mut self, cpu: usize, slot: Vaddr) -> &mut Option<TlbEntry> {
        &mut self.tlbs[cpu * self.ptes.len() + slot as usize]
    }

    fn cpu_tlb(&self, cpu: usize) -> &[Option<TlbEntry>] {
        let slots = self.ptes.len();
        &self.tlbs[cpu * slots..(cpu + 1) * slots]
    }

    fn deferred_write(&self, cpu: usize, slot: Vaddr) -> Option<PteVal> {
        self.deferred.iter().find(|&&(c, s, _)| (usize::from(c), s) == (cpu, slot)).map(|&(_, _, val)| val)
    }

    pub fn tlb_flush_page(&mut self, cpu: usize, slot: Vaddr) {
        *self.entry(cpu, slot) = None;
    }

    pub fn tlb_flush_all(&mut self, cpu: usize) {
        let slots = self.ptes.len();
        self.tlbs[cpu * slots..(cpu + 1) * slots].iter_mut().for_each(|e| *e = None);
    }

    /// Loads the local TLB entry of `slot` with `val` (a cleared PTE leaves no entry).
    pub fn tlb_write(&mut self, cpu: usize, slot: Vaddr, val: PteVal) {
        *self.entry(cpu, slot) = val.map(TlbEntry::Maps);
    }

    /// Writes back and invalidates the lines `vaddr` indexes: its own for a
    /// VIVT cache, every line of its colour for a VIPT one.
    pub fn cache_flush_page(&mut self, p: &Platform, vaddr: Vaddr) {
        let index = line_index(p, vaddr);
        self.flush_lines(|l| l.index == index);
    }

    pub fn cache_flush_all(&mut self) {
        self.flush_lines(|_| true);
    }

    fn flush_lines(&mut self, pick: impl Fn(&CacheLine) -> bool) {
        let memory = &mut self.memory;
        self.lines.retain(|l| {
            if !pick(l) {
                return true;
            }
            if l.dirty {
                memory[l.pfn as usize] = l.version;
            }
            false
        });
    }

    /// A read or write of `page` through `vaddr` on `cpu`; `data` holds each
    /// page's current version, which a read must see and a write bumps.
    pub fn access(
        &mut self,
        p: &Platform,
        cpu: usize,
        vaddr: Vaddr,
        page: Page,
        write: bool,
        data: &mut [u8],
    ) -> Result<(), Violation> {
        if p.layout.is_fixmap(vaddr) {
            self.translate(p, cpu, vaddr, page)?;
        }
        if p.facts.dcache != DcacheKind::Pipt {
            self.cached_read(p, vaddr, page, data)?;
        }
        if write {
            let version = data[page as usize] + 1;
            data[page as usize] = version;
            match p.facts.dcache {
                DcacheKind::Pipt => self.memory[page as usize] = version,
                _ => self.put_line(p, CacheLine { index: line_index(p, vaddr), pfn: page, version, dirty: true }),
            }
        }
        Ok(())
    }

    /// The MMU's view of `slot` on `cpu`: the TLB, else a refill from the PTE.
    fn translate(&mut self, p: &Platform, cpu: usize, slot: Vaddr, page: Page) -> Result<(), Violation> {
        let s = slot as usize;
        let at = Addr::new(&p.layout, slot);
        let pte = self.ptes[s];
        let why_none = if self.deferred_write(cpu, slot).is_some() {
            " (its set_pte() is still deferred by lazy MMU mode)"
        } else {
            ""
        };
        match (self.cpu_tlb(cpu)[s], pte) {
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
            (None, _) if !p.facts.tlb_refill_from_pte => Err(Violation::new(
                Property::CurrentData,
                format!("CPU{cpu}'s TLB has no entry for {at} and nothing loads one from the PTE: the access faults"),
            )),
            (None, Some(pfn)) => {
                *self.entry(cpu, slot) = Some(TlbEntry::Maps(pfn));
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
                if p.facts.tlb_caches_cleared_pte {
                    *self.entry(cpu, slot) = Some(TlbEntry::NotPresent);
                }
                Err(Violation::new(
                    Property::CurrentData,
                    format!("the PTE of {at} is clear{why_none}: the access to P{page} faults in the kernel"),
                ))
            }
        }
    }

    /// Checks what a read of `page` through `vaddr` gets from the cache or
    /// memory, and leaves the line it fills behind.
    fn cached_read(&mut self, p: &Platform, vaddr: Vaddr, page: Page, data: &[u8]) -> Result<(), Violation> {
        let at = Addr::new(&p.layout, vaddr);
        let current = data[page as usize];
        match self.find_line(p, vaddr, page) {
            Some(l) if l.pfn != page => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("the virtually tagged line at {at} still holds P{}'s data: reading P{page} there hits it", l.pfn),
            )),
            Some(l) if l.version != current => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!(
                    "the cache line of P{page} at {at} holds version {} but the page is at version {current}{}",
                    l.version,
                    self.newest(p, page, current)
                ),
            )),
            Some(_) => Ok(()),
            None if self.memory[page as usize] != current => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!(
                    "the access to P{page} through {at} misses the cache and gets version {} from memory, but the page is at version {current}{}",
                    self.memory[page as usize],
                    self.newest(p, page, current)
                ),
            )),
            None => {
                let line = CacheLine { index: line_index(p, vaddr), pfn: page, version: current, dirty: false };
                self.put_line(p, line);
                Ok(())
            }
        }
    }

    /// Where the current data of `page` sits, for a violation's detail.
    fn newest(&self, p: &Platform, page: Page, current: u8) -> String {
        match self.lines.iter().find(|l| l.pfn == page && l.version == current && l.dirty) {
            Some(l) => format!("; the current data sits dirty in the line at {}", view(p, l).index),
            None => "; the current data is lost".to_string(),
        }
    }

    /// The line a lookup of `page` at `vaddr` hits: by address alone in a
    /// virtually tagged cache, by colour and page in a VIPT one.
    fn find_line(&self, p: &Platform, vaddr: Vaddr, page: Page) -> Option<CacheLine> {
        let index = line_index(p, vaddr);
        let vivt = p.facts.dcache == DcacheKind::Vivt;
        self.lines.iter().copied().find(|l| l.index == index && (vivt || l.pfn == page))
    }

    fn put_line(&mut self, p: &Platform, line: CacheLine) {
        let vivt = p.facts.dcache == DcacheKind::Vivt;
        self.lines.retain(|l| !(l.index == line.index && (vivt || l.pfn == line.pfn)));
        let at = self.lines.partition_point(|l| l < &line);
        self.lines.insert(at, line);
    }

    /// After `slot`, which mapped `pfn`, was torn down on `cpu`: nothing may
    /// still reach the old mapping through the page table, the TLB or the
    /// cache.
    pub fn check_torn_down(&self, p: &Platform, cpu: usize, slot: Vaddr, pfn: Pfn) -> Result<(), Violation> {
        let s = slot as usize;
        let at = Addr::new(&p.layout, slot);
        let stale = |detail: String| Err(Violation::new(Property::NoStaleTranslation, detail));
        if let Some(val) = self.deferred_write(cpu, slot) {
            return stale(format!(
                "the write of {} to the PTE of {at} is still deferred by lazy MMU mode, which keeps P{pfn} mapped",
                pte_name(val)
            ));
        }
        if let Some(live) = self.ptes[s] {
            return stale(format!("the PTE of {at} still maps P{live}"));
        }
        if let Some(TlbEntry::Maps(old)) = self.cpu_tlb(cpu)[s] {
            return stale(format!("CPU{cpu}'s TLB still translates {at} to P{old} though its PTE is clear"));
        }
        let left = match p.facts.dcache {
            DcacheKind::Pipt => None,
            DcacheKind::Vivt => self.lines.iter().find(|l| l.index == slot),
            DcacheKind::ViptAliasing => {
                let colour = p.layout.colour(slot);
                (colour != p.layout.colour(pfn))
                    .then(|| self.lines.iter().find(|l| l.index == colour && l.pfn == pfn))
                    .flatten()
            }
        };
        match left {
            Some(l) => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("{} survives the teardown of {at}: {}", line_name(p, l), stale_line_risk(p, l)),
            )),
            None => Ok(()),
        }
    }

    /// After `slot` was mapped to `pfn` again on `cpu` (a context switch
    /// restored it): nothing left over may contradict the new mapping.
    pub fn check_remapped(&self, p: &Platform, cpu: usize, slot: Vaddr, pfn: Pfn) -> Result<(), Violation> {
        let at = Addr::new(&p.layout, slot);
        match self.cpu_tlb(cpu)[slot as usize] {
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
        let vivt = p.facts.dcache == DcacheKind::Vivt;
        match self.lines.iter().find(|l| vivt && l.index == slot && l.pfn != pfn) {
            Some(l) => Err(Violation::new(
                Property::NoStaleCacheLine,
                format!("{} is still in the cache, where {at} now maps P{pfn}", line_name(p, l)),
            )),
            None => Ok(()),
        }
    }

    /// Live fixmap PTEs, for traces.
    pub fn live_ptes(&self, p: &Platform) -> Vec<(Addr, Pfn)> {
        let named = |(slot, pte): (usize, &PteVal)| pte.map(|pfn| (Addr::new(&p.layout, slot as Vaddr), pfn));
        self.ptes.iter().enumerate().filter_map(named).collect()
    }

    /// One CPU's TLB, for traces.
    pub fn tlb(&self, p: &Platform, cpu: usize) -> Vec<(Addr, TlbEntry)> {
        let named = |(slot, e): (usize, &Option<TlbEntry>)| e.map(|e| (Addr::new(&p.layout, slot as Vaddr), e));
        self.cpu_tlb(cpu).iter().enumerate().filter_map(named).collect()
    }

    /// The data cache, for traces.
    pub fn cache(&self, p: &Platform) -> Vec<CacheLineView> {
        self.lines.iter().map(|l| view(p, l)).collect()
    }
}

fn line_index(p: &Platform, vaddr: Vaddr) -> u32 {
    match p.facts.dcache {
        DcacheKind::Vivt => vaddr,
        DcacheKind::Pipt | DcacheKind::ViptAliasing => p.layout.colour(vaddr),
    }
}

fn view(p: &Platform, l: &CacheLine) -> CacheLineView {
    let index = match p.facts.dcache {
        DcacheKind::Vivt => CacheIndex::Addr(Addr::new(&p.layout, l.index)),
        DcacheKind::Pipt | DcacheKind::ViptAliasing => CacheIndex::Colour(l.index),
    };
    CacheLineView { index, page: l.pfn, version: l.version, dirty: l.dirty }
}

fn line_name(p: &Platform, l: &CacheLine) -> String {
    format!("the {} line of P{} at {}", if l.dirty { "dirty" } else { "clean" }, l.pfn, view(p, l).index)
}

/// Why a line left behind by a teardown is observable.
fn stale_line_risk(p: &Platform, l: &CacheLine) -> String {
    match p.facts.dcache {
        DcacheKind::Vivt => "the next mapping of that address hits it whatever page it maps".to_string(),
        _ => format!(
            "P{} has colour {}, so accesses at its own colour never see this alias",
            l.pfn,
            p.layout.colour(l.pfn)
        ),
    }
}

fn pte_name(pte: PteVal) -> String {
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
