//! Hand-written ports of representative hardware, checked by the model.
//!
//! Each port is the smallest honest description of a kind of hardware;
//! a test removes one hook effect, or changes the generic code, and
//! expects the property that effect or that code exists for to break.

use std::collections::HashMap;

use super::machine::Machine;
use super::narrator::Narrator;
use super::state::State;
use super::*;
use crate::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

fn always(effect: Effect) -> GuardedEffect {
    GuardedEffect { effect, when: None }
}

/// A physically indexed cache and a TLB that keeps stale entries and may
/// cache a cleared PTE: arm without VIVT, csky, mips, microblaze.
fn pipt() -> HardwareFacts {
    HardwareFacts {
        tlb_keeps_stale: true,
        tlb_caches_cleared_pte: true,
        tlb_refill_from_pte: true,
        dcache: DcacheKind::Pipt,
        dcache_colours: 1,
        lazy_mmu: false,
    }
}

/// Flushes the local TLB entry after writing and after clearing the PTE.
fn pipt_port() -> PortSpec {
    PortSpec::new(pipt())
        .with_hook(Hook::PostMap, &[always(Effect::TlbFlushPage)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

/// arm on a VIVT core: also writes the cache back before the mapping goes.
fn vivt_port() -> PortSpec {
    let vivt_flush = GuardedEffect { effect: Effect::CacheFlushPage, when: Some(Condition::CacheIsVivt) };
    PortSpec::new(HardwareFacts { dcache: DcacheKind::Vivt, ..pipt() })
        .with_hook(Hook::PostMap, &[always(Effect::TlbFlushPage)])
        .with_hook(Hook::PreUnmap, &[vivt_flush])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

/// xtensa: an aliasing VIPT cache with two colours, mapped colour-aware.
fn coloured_port() -> PortSpec {
    let facts =
        HardwareFacts { dcache: DcacheKind::ViptAliasing, dcache_colours: 2, tlb_caches_cleared_pte: false, ..pipt() };
    PortSpec::new(facts)
        .with_hook(Hook::MapIdx, &[always(Effect::ColourIndex)])
        .with_hook(Hook::UnmapIdx, &[always(Effect::ColourIndex)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

/// x86 with paravirt lazy MMU mode.
fn lazy_port() -> PortSpec {
    PortSpec::new(HardwareFacts { lazy_mmu: true, tlb_caches_cleared_pte: false, ..pipt() })
        .with_hook(Hook::PostMap, &[always(Effect::LazyMmuFlush)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage), always(Effect::LazyMmuFlush)])
}

fn without(mut port: PortSpec, hook: Hook) -> PortSpec {
    port.hooks.remove(&hook);
    port
}

/// Checks and prints a one-line summary (seen with `--nocapture`).
fn run(name: &str, port: &PortSpec, variant: Variant, bounds: &Bounds) -> Verdict {
    let started = std::time::Instant::now();
    let verdict = check(port, variant, bounds).expect("the test inputs are valid");
    let outcome = match &verdict {
        Verdict::Proved { .. } => "proved".to_string(),
        Verdict::Counterexample { property, trace, .. } => format!("{} in {} steps", property.name(), trace.len()),
    };
    println!("{name} [{variant}]: {outcome}, {} states, {:?}", verdict.states(), started.elapsed());
    verdict
}

fn assert_proved(name: &str, port: &PortSpec, bounds: &Bounds) -> usize {
    match run(name, port, Variant::Merged, bounds) {
        Verdict::Proved { states, .. } => states,
        other => panic!("{name}: expected a proof, got\n{other}"),
    }
}

fn assert_breaks(name: &str, port: &PortSpec, variant: Variant, bounds: &Bounds, expected: Property) -> Trace {
    match run(name, port, variant, bounds) {
        Verdict::Counterexample { property, trace, .. } if property == expected => trace,
        other => panic!("{name}: expected {}, got\n{other}", expected.name()),
    }
}

fn last_violation(trace: &Trace) -> &Violation {
    trace.steps.last().and_then(|s| s.violation.as_ref()).expect("a counterexample ends in its violation")
}

#[test]
fn pipt_port_that_flushes_after_map_and_unmap_is_proved() {
    let states = assert_proved("pipt", &pipt_port(), &Bounds::standard());
    assert!(states > 1_000 && states < 100_000, "{states} states");
}

#[test]
fn pipt_port_without_post_unmap_flush_leaves_a_stale_translation() {
    let port = without(pipt_port(), Hook::PostUnmap);
    let trace =
        assert_breaks("pipt - post_unmap", &port, Variant::Merged, &Bounds::standard(), Property::NoStaleTranslation);
    assert!(last_violation(&trace).detail.contains("TLB still translates slot 0 to P0"), "{trace}");
}

#[test]
fn tlb_that_caches_cleared_ptes_needs_the_post_map_flush() {
    let port = without(pipt_port(), Hook::PostMap);
    let trace =
        assert_breaks("pipt - post_map", &port, Variant::Merged, &Bounds::standard(), Property::NoStaleTranslation);
    assert!(last_violation(&trace).detail.contains("holds the cleared PTE"), "{trace}");
}

#[test]
fn vivt_cache_needs_the_pre_unmap_flush() {
    assert_proved("vivt", &vivt_port(), &Bounds::standard());
    let port = without(vivt_port(), Hook::PreUnmap);
    let trace =
        assert_breaks("vivt - pre_unmap", &port, Variant::Merged, &Bounds::standard(), Property::NoStaleCacheLine);
    assert!(last_violation(&trace).detail.contains("dirty line of P0 at slot 0"), "{trace}");
}

#[test]
fn vivt_flush_guarded_by_cache_is_vivt_does_nothing_on_pipt() {
    let port = PortSpec { facts: pipt(), ..vivt_port() };
    let trace = assert_breaks(
        "vivt hooks on pipt",
        &without(port, Hook::PostUnmap),
        Variant::Merged,
        &Bounds::standard(),
        Property::NoStaleTranslation,
    );
    let pre_unmap = trace.steps.iter().flat_map(Step::hooks).find(|h| h.hook == Hook::PreUnmap).expect("pre_unmap ran");
    assert!(pre_unmap.defined && pre_unmap.effects.is_empty(), "{pre_unmap}");
}

#[test]
fn colour_aware_cache_needs_colour_index_on_map_and_unmap() {
    assert_proved("coloured", &coloured_port(), &Bounds::standard());
    let uncoloured = without(without(coloured_port(), Hook::MapIdx), Hook::UnmapIdx);
    let trace = assert_breaks(
        "coloured - colour_index",
        &uncoloured,
        Variant::Merged,
        &Bounds::standard(),
        Property::NoStaleCacheLine,
    );
    assert!(last_violation(&trace).detail.contains("alias"), "{trace}");
    let half = without(coloured_port(), Hook::UnmapIdx);
    let trace = assert_breaks(
        "coloured - unmap colour_index",
        &half,
        Variant::Merged,
        &Bounds::standard(),
        Property::BalancedIndexStack,
    );
    assert!(last_violation(&trace).detail.contains("WARN_ON_ONCE(addr != __fix_to_virt"), "{trace}");
}

#[test]
fn lazy_mmu_port_flushes_deferred_writes_after_map_and_unmap() {
    assert_proved("lazy", &lazy_port(), &Bounds::standard());
    let no_map_flush = without(lazy_port(), Hook::PostMap);
    let trace =
        assert_breaks("lazy - post_map", &no_map_flush, Variant::Merged, &Bounds::standard(), Property::CurrentData);
    assert!(last_violation(&trace).detail.contains("deferred by lazy MMU mode"), "{trace}");
    let no_unmap_flush = lazy_port().with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    let trace = assert_breaks(
        "lazy - post_unmap lazy flush",
        &no_unmap_flush,
        Variant::Merged,
        &Bounds::standard(),
        Property::NoStaleTranslation,
    );
    assert!(last_violation(&trace).detail.contains("still deferred"), "{trace}");
}

#[test]
fn software_loaded_tlb_needs_the_hook_to_write_the_entry() {
    let facts = HardwareFacts { tlb_refill_from_pte: false, tlb_caches_cleared_pte: false, ..pipt() };
    let port = PortSpec::new(facts)
        .with_hook(Hook::PostMap, &[always(Effect::TlbWrite)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    assert_proved("software tlb", &port, &Bounds::standard());
    let port = port.with_hook(Hook::PostMap, &[]);
    assert_breaks("software tlb - tlb_write", &port, Variant::Merged, &Bounds::standard(), Property::CurrentData);
}

#[test]
fn tlb_that_keeps_nothing_stale_needs_no_hook() {
    let facts = HardwareFacts { tlb_keeps_stale: false, tlb_caches_cleared_pte: false, ..pipt() };
    assert_proved("coherent tlb", &PortSpec::new(facts), &Bounds::standard());
}

#[test]
fn high_get_keeps_a_vivt_page_at_its_pkmap_address() {
    let bounds = Bounds { scenario: Scenario::with_pkmap(), ..Bounds::standard() };
    let arm = vivt_port().with_hook(Hook::HighGet, &[always(Effect::PkmapLookup)]);
    assert_proved("vivt + high_get", &arm, &bounds);
    let trace = assert_breaks("vivt - high_get", &vivt_port(), Variant::Merged, &bounds, Property::NoStaleCacheLine);
    assert!(last_violation(&trace).detail.contains("pkmap(P0)"), "{trace}");
}

#[test]
fn debug_highmem_uses_odd_indexes_and_keeps_the_proofs() {
    let bounds = Bounds { debug_highmem: true, ..Bounds::standard() };
    assert_proved("vivt, DEBUG_HIGHMEM", &vivt_port(), &bounds);
    let port = without(pipt_port(), Hook::PostUnmap);
    let trace = assert_breaks(
        "pipt - post_unmap, DEBUG_HIGHMEM",
        &port,
        Variant::Merged,
        &bounds,
        Property::NoStaleTranslation,
    );
    assert!(trace.to_string().contains("kmap_local_idx_push() = 1"), "{trace}");
}

#[test]
fn every_other_variant_breaks_a_correct_port() {
    let expected = [
        (Variant::NoMigrateDisable, Property::CurrentData),
        (Variant::NoSchedSaveRestore, Property::NoStaleTranslation),
        (Variant::PerCpuIndex, Property::BalancedIndexStack),
    ];
    for (name, port) in [("pipt", pipt_port()), ("vivt", vivt_port()), ("coloured", coloured_port())] {
        for (variant, property) in expected {
            assert_breaks(name, &port, variant, &Bounds::standard(), property);
        }
    }
}

#[test]
fn without_migrate_disable_a_task_resumes_on_a_cpu_whose_slot_it_does_not_own() {
    let trace =
        assert_breaks("pipt", &pipt_port(), Variant::NoMigrateDisable, &Bounds::standard(), Property::CurrentData);
    let text = trace.to_string();
    assert!(text.contains("migration to CPU1") && text.contains("task A on CPU1"), "{text}");
    let detail = &last_violation(&trace).detail;
    assert!(detail.contains("the PTE of slot 0 is clear"), "{trace}");
    assert!(detail.contains("got slot 0 on another CPU, and this CPU keeps its mappings at slot 3"), "{trace}");
}

/// Whether some path of at most `depth` transitions breaks a property,
/// found by a depth-first search independent of the checker's.
fn breaks_within(machine: &Machine, depth: usize) -> bool {
    fn search(m: &Machine, s: &State, depth: usize, done: &mut HashMap<State, usize>) -> bool {
        if depth == 0 || done.get(s).is_some_and(|&d| d >= depth) {
            return false;
        }
        done.insert(s.clone(), depth);
        m.actions(s).into_iter().any(|action| {
            let mut next = s.clone();
            match m.apply(&mut next, action, &mut Narrator::silent()) {
                Err(_) => true,
                Ok(()) => search(m, &next, depth - 1, done),
            }
        })
    }
    search(machine, &machine.initial(), depth, &mut HashMap::new())
}

#[test]
fn counterexamples_are_shortest_and_end_in_their_violation() {
    let cases = [
        (without(pipt_port(), Hook::PostUnmap), Variant::Merged),
        (without(vivt_port(), Hook::PreUnmap), Variant::Merged),
        (without(without(coloured_port(), Hook::MapIdx), Hook::UnmapIdx), Variant::Merged),
        (pipt_port(), Variant::NoMigrateDisable),
        (pipt_port(), Variant::NoSchedSaveRestore),
        (pipt_port(), Variant::PerCpuIndex),
    ];
    for (port, variant) in cases {
        let bounds = Bounds::standard();
        let Verdict::Counterexample { trace, .. } = check(&port, variant, &bounds).unwrap() else {
            panic!("{variant}: expected a counterexample");
        };
        assert!(!trace.is_empty());
        let with_violation = trace.steps.iter().filter(|s| s.violation.is_some()).count();
        assert!(with_violation == 1 && trace.steps.last().unwrap().violation.is_some(), "{trace}");
        let machine = Machine::new(&port, variant, &bounds).unwrap();
        assert!(breaks_within(&machine, trace.len()), "{variant}: the trace itself breaks a property");
        assert!(!breaks_within(&machine, trace.len() - 1), "{variant}: a shorter counterexample exists than\n{trace}");
    }
}

#[test]
fn a_trace_reads_in_kernel_terms() {
    let Verdict::Counterexample { trace, .. } =
        check(&without(pipt_port(), Hook::PostUnmap), Variant::Merged, &Bounds::standard()).unwrap()
    else {
        panic!("expected a counterexample");
    };
    let text = trace.to_string();
    for expected in [
        "  1. CPU0  task A",
        "kmap_local_page(P0)",
        "arch_kmap_local_map_idx(0, P0) = slot 0: generic default",
        "set_pte(slot 0, P0)",
        "arch_kmap_local_post_map(slot 0, P0): tlb_flush_page",
        "write P0 through slot 0: version 1",
        "schedule(): task A -> idle",
        "arch_kmap_local_post_unmap(slot 0): generic default",
        "TLB0: slot 0->P0",
        "==> no_stale_translation broken",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn bounds_say_what_was_explored() {
    let text = Bounds::standard().to_string();
    for expected in [
        "2 CPUs",
        "task A from CPU0: kmap_local_page(P0), write, fault and sleep, read, kunmap_local(), return to user space",
        "nesting depth 2 (1 in interrupt context)",
        "KM_MAX_IDX 3 per CPU",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    let Verdict::Proved { bounds, .. } = check(&pipt_port(), Variant::Merged, &Bounds::standard()).unwrap() else {
        panic!("expected a proof");
    };
    assert_eq!(bounds, Bounds::standard());
}

#[test]
fn an_effect_out_of_place_is_rejected() {
    let port = pipt_port().with_hook(Hook::PostMap, &[always(Effect::ColourIndex)]);
    let err = check(&port, Variant::Merged, &Bounds::standard()).unwrap_err();
    assert_eq!(err.location, Location::Hook(Hook::PostMap));
    assert_eq!(err.kind, ErrorKind::EffectOutOfPlace(Effect::ColourIndex));
    assert_eq!(err.to_string(), "hook arch_kmap_local_post_map: effect `colour_index` has no meaning in this hook");
}

#[test]
fn scripts_and_bounds_the_model_cannot_run_are_rejected() {
    let mut bounds = Bounds::standard();
    bounds.scenario.interrupt = vec![Op::Read];
    let err = check(&pipt_port(), Variant::Merged, &bounds).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NoLiveMapping(0));
    bounds.scenario.interrupt = vec![Op::Map(2), Op::Fault, Op::Unmap];
    let err = check(&pipt_port(), Variant::Merged, &bounds).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotInInterrupt(1));
    let err = check(&pipt_port(), Variant::Merged, &Bounds { cpus: 9, ..Bounds::standard() }).unwrap_err();
    assert_eq!(err.to_string(), "bounds: too many CPUs for the model (at most 8)");
}

#[test]
fn hooks_deserialize_by_their_short_names() {
    use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
    let empty = || SeqDeserializer::<_, Error>::new(Vec::<u8>::new().into_iter());
    let named = MapDeserializer::<_, Error>::new(vec![("post_unmap", empty())].into_iter());
    let hooks = super::port::hooks_by_name(named).unwrap();
    assert_eq!(hooks.keys().copied().collect::<Vec<_>>(), vec![Hook::PostUnmap]);
    let unknown = MapDeserializer::<_, Error>::new(vec![("pre_map", empty())].into_iter());
    let err = super::port::hooks_by_name(unknown).unwrap_err();
    assert!(err.to_string().contains("unknown hook `pre_map`"), "{err}");
}
