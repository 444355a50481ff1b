//! Hand-written ports of representative hardware, checked by the model.

use super::*;
use crate::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

fn always(effect: Effect) -> GuardedEffect {
    GuardedEffect { effect, when: None }
}

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

fn pipt_port() -> PortSpec {
    PortSpec::new(pipt())
        .with_hook(Hook::PostMap, &[always(Effect::TlbFlushPage)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

fn vivt_port() -> PortSpec {
    PortSpec::new(HardwareFacts { dcache: DcacheKind::Vivt, ..pipt() })
        .with_hook(Hook::PostMap, &[always(Effect::TlbFlushPage)])
        .with_hook(
            Hook::PreUnmap,
            &[GuardedEffect { effect: Effect::CacheFlushPage, when: Some(Condition::CacheIsVivt) }],
        )
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

fn coloured_port() -> PortSpec {
    let facts =
        HardwareFacts { dcache: DcacheKind::ViptAliasing, dcache_colours: 2, tlb_caches_cleared_pte: false, ..pipt() };
    PortSpec::new(facts)
        .with_hook(Hook::MapIdx, &[always(Effect::ColourIndex)])
        .with_hook(Hook::UnmapIdx, &[always(Effect::ColourIndex)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage)])
}

fn lazy_port() -> PortSpec {
    PortSpec::new(HardwareFacts { lazy_mmu: true, tlb_caches_cleared_pte: false, ..pipt() })
        .with_hook(Hook::PostMap, &[always(Effect::LazyMmuFlush)])
        .with_hook(Hook::PostUnmap, &[always(Effect::TlbFlushPage), always(Effect::LazyMmuFlush)])
}

fn without(mut port: PortSpec, hook: Hook) -> PortSpec {
    port.hooks.remove(&hook);
    port
}

#[test]
fn explore() {
    let debug = Bounds { debug_highmem: true, ..Bounds::standard() };
    let pk = Bounds { scenario: Scenario::with_pkmap(), ..Bounds::standard() };
    let arm = vivt_port().with_hook(Hook::HighGet, &[always(Effect::PkmapLookup)]);
    let cases = [
        ("pipt no post_unmap", without(pipt_port(), Hook::PostUnmap), Bounds::standard()),
        ("pipt no post_map", without(pipt_port(), Hook::PostMap), Bounds::standard()),
        ("vivt no pre_unmap", without(vivt_port(), Hook::PreUnmap), Bounds::standard()),
        ("coloured no colour", without(without(coloured_port(), Hook::MapIdx), Hook::UnmapIdx), Bounds::standard()),
        ("coloured no unmap colour", without(coloured_port(), Hook::UnmapIdx), Bounds::standard()),
        ("lazy", lazy_port(), Bounds::standard()),
        ("lazy no post_map", without(lazy_port(), Hook::PostMap), Bounds::standard()),
        ("lazy debug", lazy_port(), debug.clone()),
        ("vivt debug", vivt_port(), debug.clone()),
        ("arm pkmap", arm.clone(), pk.clone()),
        ("vivt pkmap no high_get", vivt_port(), pk.clone()),
        ("pipt pkmap", pipt_port(), pk.clone()),
    ];
    for (name, port, bounds) in cases {
        let t = std::time::Instant::now();
        let v = check(&port, Variant::Merged, &bounds).unwrap();
        println!("=== {name}: {:?} states {}", t.elapsed(), v.states());
        println!("{v}");
    }
}
