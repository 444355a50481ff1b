//! The executable model against the real ports: generated and golden.

use archport::arch::Arch;
use archport::descriptor::{self, ArchSpec};
use archport::verify;
use archport_generic::model::{Contract, PortSpec};
use archport_generic::Hook;

use crate::support::{archport, assert_status, kernel, stdout};

fn specs() -> Vec<ArchSpec> {
    Arch::ALL.iter().map(|&a| descriptor::load(&descriptor::templates_root(None), a).unwrap()).collect()
}

#[test]
fn every_generated_header_says_what_its_descriptor_declares() {
    // The hooks are read back from the generated asm/highmem.h (template
    // hooks such as arm's high_get included) through the descriptor's own
    // [c_effects]: the C and the model check are about the same thing.
    let k = kernel();
    for spec in specs() {
        let p = archport::pipeline::port_arch(spec.arch, &k.pre_port, &descriptor::templates_root(None))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let declared = verify::declared_port(&spec);
        for model in [&p.model.normal, &p.model.debug] {
            for hook in Hook::ALL {
                let (read, says) = (model.effects(hook), declared.effects(hook));
                assert_eq!(read, says, "{}: {}", spec.arch, hook.c_name());
                assert_eq!(model.defines(hook), declared.defines(hook), "{}: {}", spec.arch, hook.c_name());
            }
        }
    }
}

#[test]
fn all_ten_generated_ports_are_proved() {
    let out = archport(&["verify", "--format", "json"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let arches = json["arches"].as_array().unwrap();
    assert_eq!(arches.len(), 10);
    for a in arches {
        assert_eq!(a["status"], "proved", "{a}");
        assert!(a["states"].as_u64().unwrap() > 1000, "{a}");
        let cases = a["cases"].as_array().unwrap();
        assert!(cases.len() >= 2 && cases.iter().all(|c| c.as_str().unwrap().contains("2 CPUs")), "{a}");
    }
    // Every TLB and cache operation of the old kmap_atomic code is kept, or
    // dropped with the model's proof; each arch had some.
    let old = json["old_code"].as_array().unwrap();
    assert_eq!(old.len(), 10);
    for a in old {
        let ops = a["operations"].as_array().unwrap();
        assert!(!ops.is_empty(), "{a}");
        assert!(ops.iter().all(|o| o["fate"] != "dropped_without_proof"), "{a}");
    }
}

#[test]
fn the_golden_ports_get_a_verdict_each_and_sparc_is_refuted() {
    let k = kernel();
    let out = archport(&["verify", "--format", "json", "--tree", k.golden.to_str().unwrap()]);
    assert_status(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for a in json["arches"].as_array().unwrap() {
        let expected = if a["arch"] == "sparc" { "counterexample" } else { "proved" };
        assert_eq!(a["status"], expected, "{a}");
    }
    let sparc = json["arches"].as_array().unwrap().iter().find(|a| a["arch"] == "sparc").unwrap();
    let steps = sparc["trace"]["steps"].as_array().expect("the trace as structured steps");
    let hooks: Vec<&str> =
        steps.iter().flat_map(|s| s["events"].as_array().unwrap()).filter_map(|e| e["Hook"]["hook"].as_str()).collect();
    assert!(hooks.contains(&"post_unmap"), "{hooks:?}");
    assert!(steps.last().unwrap()["violation"]["property"] == "no_stale_translation", "{}", steps.last().unwrap());
}

#[test]
fn without_hooks_every_arch_whose_tlb_keeps_stale_entries_fails() {
    // Before the port no arch defines a hook: the generic defaults do
    // nothing, and every arch whose TLB keeps stale entries must fail.
    for spec in specs() {
        let v =
            verify::check_declared(spec.arch, &PortSpec::new(spec.descriptor.facts), &Contract::linux_5_10()).unwrap();
        if spec.descriptor.facts.tlb_keeps_stale {
            assert_eq!(v.status(), verify::Status::Counterexample, "{}", spec.arch);
        }
    }
}

#[test]
fn an_arch_the_tree_has_not_ported_is_not_ported_not_a_counterexample() {
    let k = kernel();
    let out = archport(&["verify", "--format", "json", "--arch", "x86", "--tree", k.pre_port.to_str().unwrap()]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["arches"][0]["status"], "not_ported", "{json}");
}

#[test]
fn removing_any_required_effect_is_caught() {
    // Mutation test, enumerated from the descriptors: drop each effect of
    // each hook in turn. An effect the hardware facts require must be
    // missed by the model when dropped; an effect the descriptor marks
    // `defensive` (kept as the old code did, though the facts do not
    // require it) must not be, or it is not defensive after all.
    let mut wrong = Vec::new();
    let mut required = 0;
    for spec in specs() {
        let full = verify::declared_port(&spec);
        for (hook, h) in spec.hooks() {
            for i in 0..h.effects.len() {
                let mut effects = h.effects.clone();
                let dropped = effects.remove(i);
                let mutant = full.clone().with_hook(hook, &effects);
                let v = verify::check_declared(spec.arch, &mutant, &Contract::linux_5_10()).unwrap();
                let defensive = h.defensive.contains(&dropped.effect);
                let caught = v.status() == verify::Status::Counterexample;
                if caught == defensive {
                    let what = if defensive { "marked defensive but the model needs it" } else { "not caught" };
                    wrong.push(format!("{}: dropping {} from {}: {what}", spec.arch, dropped.effect, hook.c_name()));
                }
                required += usize::from(!defensive);
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(required >= 10, "only {required} required effects");
}

#[test]
fn the_variants_answer_the_design_question() {
    let out = archport(&["verify", "--arch", "arm", "--variant", "--format", "json"]);
    assert_status(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let variants = json["variants"].as_array().unwrap();
    let names: Vec<&str> = variants.iter().map(|v| v["variant"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for v in variants {
        let arm = &v["arches"][0];
        assert_eq!(arm["status"], "counterexample", "variant {} must break something: {arm}", v["variant"]);
        assert!(arm["trace"]["steps"].as_array().unwrap().len() > 3, "{arm}");
    }
}

#[test]
fn the_old_codes_operations_are_kept_or_proved_unneeded_naming_the_fact() {
    use verify::old_code::{compare, old_files, old_ops, Fate, Place};
    let k = kernel();
    let templates = descriptor::templates_root(None);
    let contract = Contract::linux_5_10();
    let fate = |cs: &[verify::old_code::Comparison], effect, place| {
        cs.iter()
            .find(|c| c.op.effect == effect && c.op.place == place)
            .unwrap_or_else(|| panic!("{cs:?}"))
            .fate
            .clone()
    };

    // nds32's old kmap_atomic loaded the TLB entry itself after set_pte:
    // the generated post_map keeps that.
    let spec = descriptor::load(&templates, Arch::Nds32).unwrap();
    let ops = old_ops(&spec, &old_files(&k.pre_port, &spec).unwrap());
    let generated = archport::pipeline::port_arch(Arch::Nds32, &k.pre_port, &templates).unwrap();
    let kept = compare(&spec, &generated.model, &ops, &contract).unwrap();
    assert!(matches!(fate(&kept, archport_generic::Effect::TlbWriteVpn, Place::AfterPteWrite), Fate::Kept { .. }));

    // Without post_map that load is dropped, and unneeded only because the
    // hardware walker refills the TLB from the page table.
    let mut port = generated.model.clone();
    port.normal.hooks.remove(&Hook::PostMap);
    port.debug.hooks.remove(&Hook::PostMap);
    let dropped = compare(&spec, &port, &ops, &contract).unwrap();
    match fate(&dropped, archport_generic::Effect::TlbWriteVpn, Place::AfterPteWrite) {
        Fate::ProvedUnneeded { relies_on } => {
            assert!(relies_on.iter().any(|f| f.starts_with("tlb_refill_from_pte (")), "{relies_on:?}")
        }
        other => panic!("{other:?}"),
    }

    // mips without its TLB flushes: the port is not proved, the drop fails.
    let spec = descriptor::load(&templates, Arch::Mips).unwrap();
    let ops = old_ops(&spec, &old_files(&k.pre_port, &spec).unwrap());
    let mut port = archport::pipeline::port_arch(Arch::Mips, &k.pre_port, &templates).unwrap().model;
    for h in [Hook::PostMap, Hook::PostUnmap] {
        port.normal.hooks.remove(&h);
        port.debug.hooks.remove(&h);
    }
    let failed = compare(&spec, &port, &ops, &contract).unwrap();
    assert_eq!(fate(&failed, archport_generic::Effect::TlbFlushPage, Place::AfterPteWrite), Fate::DroppedWithoutProof);
}
