//! Hand-written ports of representative hardware, checked by the model.
//!
//! Each port is the smallest honest description of a kind of hardware;
//! a test removes one hook effect, changes the generic code, or turns on
//! one behaviour of the hardware, and expects the property that effect,
//! that code or that behaviour is about to break.

use std::collections::HashMap;

use super::machine::Machine;
use super::narrator::Narrator;
use super::state::State;
use super::*;
use crate::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

fn always(effect: Effect) -> GuardedEffect {
    GuardedEffect { effect, when: None }
}

fn effects(list: &[Effect]) -> Vec<GuardedEffect> {
    list.iter().copied().map(always).collect()
}

/// A physically indexed cache and a TLB that keeps stale entries and may
/// cache a cleared PTE: arm without VIVT, csky, mips, microblaze.
fn pipt() -> HardwareFacts {
    HardwareFacts {
        tlb_keeps_stale: true,
        tlb_caches_cleared_pte: true,
        tlb_refill_from_pte: true,
        tlb_speculative_fill: false,
        dcache: DcacheKind::Pipt,
        dcache_colours: 1,
        writeback_needs_translation: false,
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
        .with_hook(Hook::PostUnmap, &effects(&[Effect::TlbFlushPage, Effect::LazyMmuFlush]))
}

/// nds32: the walker refills, and post_map also loads the entry itself
/// through the TLB VPN register.
fn vpn_port(refill: bool) -> PortSpec {
    let facts = HardwareFacts { tlb_caches_cleared_pte: false, tlb_refill_from_pte: refill, ..pipt() };
    PortSpec::new(facts)
        .with_hook(Hook::PostMap, &effects(&[Effect::TlbFlushPage, Effect::TlbVpnSet, Effect::TlbWriteVpn]))
        .with_hook(Hook::PreUnmap, &[always(Effect::TlbFlushPage)])
}

fn without(mut port: PortSpec, hook: Hook) -> PortSpec {
    port.hooks.remove(&hook);
    port
}

fn standard() -> Case {
    Case::standard(&Bounds::standard())
}

fn debug() -> Case {
    Case { debug_highmem: true, ..standard() }
}

fn hand_over() -> Case {
    Case { scenario: Scenario::hand_over(&Bounds::standard()), ..standard() }
}

/// Checks and prints a one-line summary (seen with `--nocapture`).
fn run(name: &str, port: &PortSpec, contract: &Contract, case: &Case) -> Verdict {
    let started = std::time::Instant::now();
    let verdict = check(port, contract, case).expect("the test inputs are valid");
    let outcome = match &verdict {
        Verdict::Proved { .. } => "proved".to_string(),
        Verdict::Counterexample { property, trace, .. } => format!("{} in {} steps", property.name(), trace.len()),
    };
    println!("{name} [{}]: {outcome}, {} states, {:?}", contract.name, verdict.states(), started.elapsed());
    verdict
}

fn assert_proved_by(name: &str, port: &PortSpec, contract: &Contract, case: &Case) -> Verdict {
    let verdict = run(name, port, contract, case);
    assert!(verdict.is_proved(), "{name}: expected a proof, got\n{verdict}");
    verdict
}

fn assert_proved(name: &str, port: &PortSpec, case: &Case) -> usize {
    assert_proved_by(name, port, &Contract::linux_5_10(), case).states()
}

fn assert_breaks_by(name: &str, port: &PortSpec, contract: &Contract, case: &Case, expected: Property) -> Trace {
    match run(name, port, contract, case) {
        Verdict::Counterexample { property, trace, .. } if property == expected => trace,
        other => panic!("{name}: expected {}, got\n{other}", expected.name()),
    }
}

fn assert_breaks(name: &str, port: &PortSpec, case: &Case, expected: Property) -> Trace {
    assert_breaks_by(name, port, &Contract::linux_5_10(), case, expected)
}

fn last_violation(trace: &Trace) -> &Violation {
    trace.steps.last().and_then(|s| s.violation.as_ref()).expect("a counterexample ends in its violation")
}

#[test]
fn pipt_port_that_flushes_after_map_and_unmap_is_proved() {
    let states = assert_proved("pipt", &pipt_port(), &standard());
    assert!(states > 1_000 && states < 200_000, "{states} states");
}

#[test]
fn pipt_port_without_post_unmap_flush_leaves_a_stale_translation() {
    let trace = assert_breaks(
        "pipt - post_unmap",
        &without(pipt_port(), Hook::PostUnmap),
        &standard(),
        Property::NoStaleTranslation,
    );
    assert!(last_violation(&trace).detail.contains("TLB still translates slot 0 to P0"), "{trace}");
}

#[test]
fn tlb_that_caches_cleared_ptes_needs_the_post_map_flush() {
    let trace = assert_breaks(
        "pipt - post_map",
        &without(pipt_port(), Hook::PostMap),
        &standard(),
        Property::NoStaleTranslation,
    );
    assert!(last_violation(&trace).detail.contains("holds the cleared PTE"), "{trace}");
}

#[test]
fn vivt_cache_needs_the_pre_unmap_flush() {
    assert_proved("vivt", &vivt_port(), &standard());
    let trace = assert_breaks(
        "vivt - pre_unmap",
        &without(vivt_port(), Hook::PreUnmap),
        &standard(),
        Property::NoStaleCacheLine,
    );
    assert!(last_violation(&trace).detail.contains("dirty line of P0 at slot 0"), "{trace}");
}

#[test]
fn vivt_flush_guarded_by_cache_is_vivt_does_nothing_on_pipt() {
    let port = PortSpec { facts: pipt(), ..vivt_port() };
    let trace =
        assert_breaks("vivt hooks on pipt", &without(port, Hook::PostUnmap), &standard(), Property::NoStaleTranslation);
    let pre_unmap = trace.steps.iter().flat_map(Step::hooks).find(|h| h.hook == Hook::PreUnmap).expect("pre_unmap ran");
    assert!(pre_unmap.defined && pre_unmap.effects.is_empty(), "{pre_unmap}");
}

#[test]
fn colour_aware_cache_needs_colour_index_on_map_and_unmap() {
    assert_proved("coloured", &coloured_port(), &standard());
    let uncoloured = without(without(coloured_port(), Hook::MapIdx), Hook::UnmapIdx);
    let trace = assert_breaks("coloured - colour_index", &uncoloured, &standard(), Property::NoStaleCacheLine);
    assert!(last_violation(&trace).detail.contains("alias"), "{trace}");
    let half = without(coloured_port(), Hook::UnmapIdx);
    let trace = assert_breaks("coloured - unmap colour_index", &half, &standard(), Property::BalancedIndexStack);
    assert!(last_violation(&trace).detail.contains("WARN_ON_ONCE(addr != __fix_to_virt"), "{trace}");
}

#[test]
fn lazy_mmu_port_flushes_deferred_writes_after_map_and_unmap() {
    assert_proved("lazy", &lazy_port(), &standard());
    let trace =
        assert_breaks("lazy - post_map", &without(lazy_port(), Hook::PostMap), &standard(), Property::CurrentData);
    assert!(last_violation(&trace).detail.contains("deferred by lazy MMU mode"), "{trace}");
    let no_unmap_flush = lazy_port().with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    let trace =
        assert_breaks("lazy - post_unmap lazy flush", &no_unmap_flush, &standard(), Property::NoStaleTranslation);
    assert!(last_violation(&trace).detail.contains("still deferred"), "{trace}");
}

#[test]
fn software_loaded_tlb_needs_the_hook_to_write_the_entry() {
    let facts = HardwareFacts { tlb_refill_from_pte: false, tlb_caches_cleared_pte: false, ..pipt() };
    let port = PortSpec::new(facts)
        .with_hook(Hook::PostMap, &[always(Effect::TlbWrite)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    assert_proved("software tlb", &port, &standard());
    let port = port.with_hook(Hook::PostMap, &[]);
    assert_breaks("software tlb - tlb_write", &port, &standard(), Property::CurrentData);
}

#[test]
fn tlb_that_keeps_nothing_stale_needs_no_hook() {
    let facts = HardwareFacts { tlb_keeps_stale: false, tlb_caches_cleared_pte: false, ..pipt() };
    assert_proved("coherent tlb", &PortSpec::new(facts), &standard());
}

#[test]
fn debug_highmem_uses_odd_indexes_and_keeps_the_proofs() {
    assert_proved("vivt, DEBUG_HIGHMEM", &vivt_port(), &debug());
    let trace = assert_breaks(
        "pipt - post_unmap, DEBUG_HIGHMEM",
        &without(pipt_port(), Hook::PostUnmap),
        &debug(),
        Property::NoStaleTranslation,
    );
    assert!(trace.to_string().contains("kmap_local_idx_push() = 1"), "{trace}");
}

// Speculative TLB fills (issue 13, item 1).

#[test]
fn a_walker_that_fills_ahead_undoes_a_flush_placed_before_the_pte_clear() {
    // x86's flush moved from post_unmap to pre_unmap: right on a TLB that
    // loads entries only on an access, wrong on one that fills ahead.
    let moved = lazy_port()
        .with_hook(Hook::PreUnmap, &[always(Effect::TlbFlushPage)])
        .with_hook(Hook::PostUnmap, &[always(Effect::LazyMmuFlush)]);
    assert_proved("flush before clear, no fills ahead", &moved, &standard());
    let walker = |mut port: PortSpec| {
        port.facts.tlb_speculative_fill = true;
        port
    };
    let trace =
        assert_breaks("flush before clear, fills ahead", &walker(moved), &standard(), Property::NoStaleTranslation);
    assert!(last_violation(&trace).detail.contains("TLB still translates slot 0 to P0"), "{trace}");
    assert!(trace.to_string().contains("the MMU loaded slot 0->P0 into the TLB ahead of the change"), "{trace}");
    assert_proved("x86 as ported, fills ahead", &walker(lazy_port()), &standard());
}

// Write-back of virtually tagged lines (issue 13, item 2).

#[test]
fn a_write_back_that_needs_the_translation_fails_after_the_pte_clear() {
    let vivt_flush = GuardedEffect { effect: Effect::CacheFlushPage, when: Some(Condition::CacheIsVivt) };
    let late = vivt_port()
        .with_hook(Hook::PreUnmap, &[])
        .with_hook(Hook::PostUnmap, &[vivt_flush, always(Effect::TlbFlushPage)]);
    let hypersparc = |mut port: PortSpec| {
        port.facts.writeback_needs_translation = true;
        port
    };
    // The flush comes before the TLB flush, but the entry may be gone by
    // then: nothing guarantees the TLB holds it.
    let mut late_after_tlb = late.clone();
    late_after_tlb.hooks.insert(Hook::PostUnmap, vec![always(Effect::TlbFlushPage), vivt_flush]);
    assert_proved("flush after clear, physical write-back", &late_after_tlb, &standard());
    let trace = assert_breaks(
        "flush after clear, write-back through the MMU",
        &hypersparc(late_after_tlb),
        &standard(),
        Property::CurrentData,
    );
    assert!(last_violation(&trace).detail.contains("the write-back is lost"), "{trace}");
    assert_proved("flush before clear, write-back through the MMU", &hypersparc(vivt_port()), &standard());
    assert_eq!(late.hooks.len(), 3);
}

// Interrupts between the steps of a hook (issue 13, item 3).

#[test]
fn an_interrupt_between_two_steps_of_a_hook_redirects_a_vpn_tlb_write() {
    // A software-loaded TLB written through the VPN register: right when
    // the hook runs with interrupts off, wrong when an interrupt's own
    // kmap comes between the register write and the TLB write.
    let guarded = vpn_port(false).with_hook(
        Hook::PostMap,
        &effects(&[
            Effect::IrqDisable,
            Effect::TlbFlushPage,
            Effect::TlbVpnSet,
            Effect::TlbWriteVpn,
            Effect::IrqEnable,
        ]),
    );
    let guarded = guarded.with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    assert_proved("vpn write, interrupts off", &guarded, &standard());
    let open = guarded
        .clone()
        .with_hook(Hook::PostMap, &effects(&[Effect::TlbFlushPage, Effect::TlbVpnSet, Effect::TlbWriteVpn]));
    let trace = assert_breaks("vpn write, interrupts on", &open, &standard(), Property::CurrentData);
    let text = trace.to_string();
    assert!(text.contains("[step 2/3]: tlb_vpn_set") && text.contains("arrives over task A"), "{text}");
    assert!(
        text.contains("the TLB VPN register holds slot 1, so the entry meant for slot 0 is loaded at slot 1"),
        "{text}"
    );
}

#[test]
fn nds32s_post_map_survives_the_redirect_its_fixme_asks_about() {
    // The golden header's FIXME: an interrupt's kmap between mtsr and rwr.
    // The model finds that interleaving (the witness) and proves every
    // property anyway: the walker refills the task's entry, and the
    // stray entry sits on a slot whose next mapping invalidates it first.
    let verdict = assert_proved_by("nds32", &vpn_port(true), &Contract::linux_5_10(), &standard());
    let Verdict::Proved { witnesses, .. } = verdict else { unreachable!("asserted above") };
    let witness = witnesses.iter().find(|w| w.remark == Remark::RedirectedTlbWrite).expect("the redirect is reachable");
    let text = witness.trace.to_string();
    assert!(text.contains("arrives over task A") && text.contains("loaded at slot 1"), "{text}");
    assert!(witnesses.len() == 1, "{witnesses:?}");
}

#[test]
fn a_vpn_tlb_write_needs_the_register_loaded_first() {
    let unnamed = vpn_port(true).with_hook(Hook::PostMap, &effects(&[Effect::TlbFlushPage, Effect::TlbWriteVpn]));
    let trace = assert_breaks("vpn write, register never loaded", &unnamed, &standard(), Property::NoStaleTranslation);
    assert!(last_violation(&trace).detail.contains("no hook has loaded it"), "{trace}");
    let swapped = vpn_port(true)
        .with_hook(Hook::PostMap, &effects(&[Effect::TlbFlushPage, Effect::TlbWriteVpn, Effect::TlbVpnSet]));
    assert_breaks("vpn write before the register", &swapped, &standard(), Property::NoStaleTranslation);
}

// Interrupts during the switch-in restore (issue 13, item 4).

#[test]
fn an_interrupt_during_the_switch_in_restore_meets_the_restored_mappings_half_done() {
    use Op::*;
    // Tasks map with interrupts off, so only the restore in
    // finish_task_switch(), which runs with interrupts on, lets an
    // interrupt in between the steps of post_map.
    let port = vpn_port(false).with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)]);
    let mut case = standard();
    case.scenario.tasks[0].ops = vec![IrqsOff, Map(0), IrqsOn, Write, Fault, Read, Unmap, ReturnToUser];
    case.scenario.tasks[1].ops = vec![IrqsOff, Map(1), IrqsOn, Write, Unmap, ReturnToUser];
    let mut atomic_restore = Contract::linux_5_10();
    atomic_restore.switch.as_mut().expect("5.10 switches").irqs_on_sched_in = false;
    assert_proved_by("restore with interrupts off", &port, &atomic_restore, &case);
    let trace = assert_breaks("restore with interrupts on", &port, &case, Property::CurrentData);
    let text = trace.to_string();
    assert!(text.contains("sched_in of task A") && text.contains("arrives over task A"), "{text}");
}

// Hand-over between mappings (issue 13, item 5).

#[test]
fn a_page_handed_over_from_kmap_needs_its_alias_written_back_or_reused() {
    // Proved where nothing hands a page over, wrong where one is.
    let port = vivt_port();
    assert_proved("vivt, standard", &port, &standard());
    let trace = assert_breaks("vivt, hand-over", &port, &hand_over(), Property::NoStaleCacheLine);
    let text = trace.to_string();
    assert!(text.contains("wait_for_completion(&done0)") && text.contains("complete(&done0)"), "{text}");
    assert!(last_violation(&trace).detail.contains("dirty in the line at pkmap(P0)"), "{trace}");
    // arm reuses the kmap() address; the old sparc code flushed the whole
    // cache before mapping.
    assert_proved(
        "vivt + high_get",
        &port.clone().with_hook(Hook::HighGet, &[always(Effect::PkmapLookup)]),
        &hand_over(),
    );
    let flush_at_map = port.with_hook(Hook::PostMap, &effects(&[Effect::CacheFlushAll, Effect::TlbFlushPage]));
    assert_proved("vivt + flush at map", &flush_at_map, &hand_over());
}

#[test]
fn unsynchronised_uses_of_one_page_are_not_a_ports_to_answer_for() {
    use Op::*;
    let mut case = hand_over();
    case.scenario.tasks[0].ops = vec![Map(0), Read, Unmap, ReturnToUser];
    case.scenario.tasks[1].ops = vec![WritePkmap(0), ReturnToUser];
    let err = check(&vivt_port(), &Contract::linux_5_10(), &case).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Racy(0));
}

#[test]
fn scenarios_follow_the_hardware_not_the_hooks() {
    let bounds = Bounds::standard();
    let names = |facts: &HardwareFacts| {
        cases(facts, &bounds).iter().map(|c| (c.scenario.name.clone(), c.debug_highmem)).collect::<Vec<_>>()
    };
    let standard = vec![("standard".to_string(), false), ("standard".to_string(), true)];
    assert_eq!(names(&pipt()), standard);
    let mut aliasing = standard.clone();
    aliasing.push(("hand-over".to_string(), false));
    assert_eq!(names(&vivt_port().facts), aliasing);
    assert_eq!(names(&coloured_port().facts), aliasing);
    // arm without its high_get still meets the case that needs it.
    let all = cases(&vivt_port().facts, &bounds);
    let refuted = check_all(&vivt_port(), &Contract::linux_5_10(), &all).unwrap();
    assert!(!refuted[2].is_proved() && refuted[..2].iter().all(Verdict::is_proved));
}

// Real index bounds (issue 13, item 7).

#[test]
fn the_stack_overflows_at_the_kernels_km_max_idx() {
    let nested = |depth: usize| {
        let mut ops = vec![Op::Map(0); depth];
        ops.extend(vec![Op::Unmap; depth]);
        ops.push(Op::ReturnToUser);
        Case {
            cpus: 1,
            interrupts: 0,
            debug_highmem: false,
            scenario: Scenario {
                name: "nested".into(),
                pages: 1,
                pkmapped: Vec::new(),
                tasks: vec![Script { name: "A".into(), cpu: 0, ops }],
                interrupt: Vec::new(),
            },
        }
    };
    assert_proved("15 nested", &pipt_port(), &nested(15));
    let trace = assert_breaks("16 nested", &pipt_port(), &nested(16), Property::BalancedIndexStack);
    assert!(last_violation(&trace).detail.contains("BUG_ON(idx 16 >= KM_MAX_IDX 16)"), "{trace}");
    assert_proved("16 nested, DEBUG_HIGHMEM", &pipt_port(), &Case { debug_highmem: true, ..nested(16) });
    let trace = assert_breaks(
        "17 nested, DEBUG_HIGHMEM",
        &pipt_port(),
        &Case { debug_highmem: true, ..nested(17) },
        Property::BalancedIndexStack,
    );
    assert!(last_violation(&trace).detail.contains("BUG_ON(idx 34 >= KM_MAX_IDX 33)"), "{trace}");
}

// The generic code as a value (issue 12).

#[test]
fn every_other_variant_breaks_a_correct_port() {
    let expected = [
        (Variant::NoMigrateDisable, Property::CurrentData),
        (Variant::NoSchedSaveRestore, Property::NoStaleTranslation),
        (Variant::PerCpuIndex, Property::BalancedIndexStack),
    ];
    for (name, port) in [("pipt", pipt_port()), ("vivt", vivt_port()), ("coloured", coloured_port())] {
        for (variant, property) in expected {
            assert_breaks_by(name, &port, &variant.contract(), &standard(), property);
        }
    }
}

#[test]
fn a_set_pte_hook_must_write_the_pte() {
    let later = Contract::linux_6_1();
    assert_proved_by("6.1, set_pte default", &pipt_port(), &later, &standard());
    let writes = pipt_port().with_hook(Hook::SetPte, &[always(Effect::PteWrite)]);
    assert_proved_by("6.1, set_pte writes", &writes, &later, &standard());
    let silent = pipt_port().with_hook(Hook::SetPte, &[]);
    let trace = assert_breaks_by("6.1, set_pte writes nothing", &silent, &later, &standard(), Property::CurrentData);
    assert!(last_violation(&trace).detail.contains("the PTE of slot 0 is clear"), "{trace}");
    // 5.10 never calls it: the same port is proved there.
    assert_proved("5.10, set_pte writes nothing", &silent, &standard());
}

#[test]
fn generic_code_that_lost_its_post_unmap_call_is_refuted_with_a_right_port() {
    let mut lost = Contract::linux_5_10();
    lost.unmap.retain(|&c| c != Call::Hook(Hook::PostUnmap));
    assert_breaks_by("no post_unmap call", &pipt_port(), &lost, &standard(), Property::NoStaleTranslation);
    let mut misplaced = Contract::linux_5_10();
    misplaced.map.swap(0, 1);
    let err = check(&pipt_port(), &misplaced, &standard()).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::BadContract(_)), "{err}");
}

#[test]
fn without_migrate_disable_a_task_resumes_on_a_cpu_whose_slot_it_does_not_own() {
    let trace = assert_breaks_by(
        "pipt",
        &pipt_port(),
        &Variant::NoMigrateDisable.contract(),
        &standard(),
        Property::CurrentData,
    );
    let text = trace.to_string();
    assert!(text.contains("migration to CPU1") && text.contains("task A on CPU1"), "{text}");
    let detail = &last_violation(&trace).detail;
    assert!(detail.contains("the PTE of slot 0 is clear"), "{trace}");
    assert!(detail.contains("got slot 0 on another CPU, and this CPU keeps its mappings at slot 16"), "{trace}");
}

/// Whether some path of at most `depth` transitions breaks a property,
/// found by a depth-first search independent of the checker's.
fn breaks_within(machine: &Machine, depth: usize) -> bool {
    fn search(m: &Machine, s: &State, depth: usize, done: &mut HashMap<Vec<u8>, usize>) -> bool {
        let key = s.bytes(m.platform.shape.len).to_vec();
        if depth == 0 || done.get(&key).is_some_and(|&d| d >= depth) {
            return false;
        }
        done.insert(key, depth);
        let mut actions = Vec::new();
        m.actions(s, &mut actions);
        actions.into_iter().any(|action| {
            let mut next = *s;
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
    let merged = Contract::linux_5_10();
    let cases = [
        (without(pipt_port(), Hook::PostUnmap), merged.clone()),
        (without(vivt_port(), Hook::PreUnmap), merged.clone()),
        (without(without(coloured_port(), Hook::MapIdx), Hook::UnmapIdx), merged.clone()),
        (pipt_port(), Variant::NoMigrateDisable.contract()),
        (pipt_port(), Variant::NoSchedSaveRestore.contract()),
        (pipt_port(), Variant::PerCpuIndex.contract()),
    ];
    for (port, contract) in cases {
        let case = standard();
        let Verdict::Counterexample { trace, .. } = check(&port, &contract, &case).unwrap() else {
            panic!("{}: expected a counterexample", contract.name);
        };
        assert!(!trace.is_empty());
        let with_violation = trace.steps.iter().filter(|s| s.violation.is_some()).count();
        assert!(with_violation == 1 && trace.steps.last().unwrap().violation.is_some(), "{trace}");
        let machine = Machine::new(&port, &contract, &case).unwrap();
        assert!(breaks_within(&machine, trace.len()), "{}: the trace itself breaks a property", contract.name);
        assert!(
            !breaks_within(&machine, trace.len() - 1),
            "{}: a shorter counterexample exists than\n{trace}",
            contract.name
        );
    }
}

#[test]
fn the_reductions_keep_every_verdict_and_renaming_keeps_lengths() {
    // Against the full search: renaming CPUs must find the same verdict
    // and a counterexample of the same length; running local steps at
    // once may take another way to a violation, but must find one.
    let merged = Contract::linux_5_10();
    let ports = [
        (pipt_port(), merged.clone()),
        (without(pipt_port(), Hook::PostUnmap), merged.clone()),
        (without(vivt_port(), Hook::PreUnmap), merged.clone()),
        (vivt_port(), merged.clone()),
        (without(coloured_port(), Hook::UnmapIdx), merged.clone()),
        (lazy_port(), merged.clone()),
        (vpn_port(true), merged.clone()),
        (vpn_port(false), merged.clone()),
        (pipt_port(), Variant::NoMigrateDisable.contract()),
        (pipt_port(), Variant::PerCpuIndex.contract()),
    ];
    for (port, contract) in ports {
        for case in [standard(), hand_over()] {
            let run = |symmetry: bool, eager: bool| {
                let mut machine = Machine::new(&port, &contract, &case).unwrap();
                if !symmetry {
                    machine.symmetry = None;
                }
                machine.eager_local_steps = eager;
                super::checker::search(&machine, &case)
            };
            let outcome = |v: &Verdict| match v {
                Verdict::Proved { .. } => None,
                Verdict::Counterexample { property, trace, .. } => Some((*property, trace.len())),
            };
            let full = run(false, false);
            let renamed = run(true, false);
            assert_eq!(outcome(&renamed), outcome(&full), "{}: renaming changed\n{renamed}", contract.name);
            assert!(renamed.states() <= full.states());
            let both = run(true, true);
            assert_eq!(both.is_proved(), full.is_proved(), "{}: reductions changed\n{both}", contract.name);
        }
    }
}

#[test]
fn a_trace_reads_in_kernel_terms() {
    let Verdict::Counterexample { trace, .. } =
        check(&without(pipt_port(), Hook::PostUnmap), &Contract::linux_5_10(), &standard()).unwrap()
    else {
        panic!("expected a counterexample");
    };
    let text = trace.to_string();
    for expected in [
        "  1. CPU0  task A",
        "kmap_local_page(P0)",
        "arch_kmap_local_map_idx(0, P0) = slot 0: generic default",
        "set_pte_at(slot 0, P0)",
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
fn cases_say_what_was_explored() {
    let text = standard().to_string();
    for expected in [
        "standard scenario on 2 CPUs",
        "task A from CPU0: kmap_local_page(P0), write, fault and sleep, read, kunmap_local(), return to user space",
        "nesting depth 2 (1 in interrupt context)",
        "CONFIG_DEBUG_HIGHMEM off",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    assert_eq!(Bounds::deep().to_string(), "3 CPUs, 2 interrupt(s), 2 tasks, nesting 2 in task and interrupt context");
    let deep = Case::standard(&Bounds::deep()).to_string();
    assert!(deep.contains("kmap_local_page(P0), write, kmap_local_page(P1), write, fault and sleep"), "{deep}");
    let Verdict::Proved { case, .. } = check(&pipt_port(), &Contract::linux_5_10(), &standard()).unwrap() else {
        panic!("expected a proof");
    };
    assert_eq!(case, standard());
}

#[test]
fn an_effect_out_of_place_is_rejected() {
    let port = pipt_port().with_hook(Hook::PostMap, &[always(Effect::ColourIndex)]);
    let err = check(&port, &Contract::linux_5_10(), &standard()).unwrap_err();
    assert_eq!(err.location, Location::Hook(Hook::PostMap));
    assert_eq!(err.kind, ErrorKind::EffectOutOfPlace(Effect::ColourIndex));
    assert_eq!(err.to_string(), "hook arch_kmap_local_post_map: effect `colour_index` has no meaning in this hook");
    let unbalanced = pipt_port().with_hook(Hook::PostMap, &[always(Effect::IrqDisable)]);
    let err = check(&unbalanced, &Contract::linux_5_10(), &standard()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnbalancedIrqs);
}

#[test]
fn scripts_and_bounds_the_model_cannot_run_are_rejected() {
    let contract = Contract::linux_5_10();
    let mut case = standard();
    case.scenario.interrupt = vec![Op::Read];
    assert_eq!(check(&pipt_port(), &contract, &case).unwrap_err().kind, ErrorKind::NoLiveMapping(0));
    case.scenario.interrupt = vec![Op::Map(2), Op::Fault, Op::Unmap];
    assert_eq!(check(&pipt_port(), &contract, &case).unwrap_err().kind, ErrorKind::NotInInterrupt(1));
    let err = check(&pipt_port(), &contract, &Case { cpus: 9, ..standard() }).unwrap_err();
    assert_eq!(err.to_string(), "bounds: too many CPUs for the model (at most 4)");
    let mut case = standard();
    case.scenario.tasks[0].ops.insert(2, Op::IrqsOff);
    assert_eq!(check(&pipt_port(), &contract, &case).unwrap_err().kind, ErrorKind::IrqsOffAcrossSleep(3));
}
