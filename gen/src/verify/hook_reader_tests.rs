//! The hook reader on small headers written for each construct: a port
//! right without the construct's meaning becomes wrong with it.

use std::collections::BTreeMap;

use archport_generic::{DcacheKind, Effect, HardwareFacts, Hook};

use super::*;
use crate::descriptor::{ArgSpec, CEffect, CValue};

fn facts(dcache: DcacheKind) -> HardwareFacts {
    HardwareFacts {
        tlb_keeps_stale: true,
        tlb_caches_cleared_pte: false,
        tlb_refill_from_pte: true,
        tlb_speculative_fill: false,
        dcache,
        dcache_colours: if dcache == DcacheKind::ViptAliasing { 2 } else { 1 },
        writeback_needs_translation: false,
        lazy_mmu: false,
    }
}

fn c_effects() -> BTreeMap<String, CEffect> {
    [
        ("flush_page", CEffect { effects: vec![Effect::TlbFlushPage], args: ArgSpec::Addr(0) }),
        ("flush_range", CEffect { effects: vec![Effect::TlbFlushPage], args: ArgSpec::Range(0, 1) }),
        ("flush_area", CEffect { effects: vec![Effect::CacheFlushPage], args: ArgSpec::Area(0, 1) }),
        ("flush_all", CEffect { effects: vec![Effect::TlbFlushAll], args: ArgSpec::None }),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn c_values() -> BTreeMap<String, CValue> {
    [("ALIAS".to_string(), CValue::ColourOf { colour_of: 0 }), ("N_COLOURS".to_string(), CValue::Colours)].into()
}

/// Reads `hook` from `header` (and helper files) under a configuration.
fn read_with(files: &[&str], hook: Hook, debug: bool, dcache: DcacheKind) -> HookReading {
    let mut config = Config::default();
    config.symbols.insert("CONFIG_DEBUG_HIGHMEM".into(), debug);
    let mut scope = Scope::default();
    for (i, f) in files.iter().enumerate() {
        scope.read(&format!("file{i}.h"), f.as_bytes(), &config);
    }
    let (f, e, v) = (facts(dcache), c_effects(), c_values());
    read_hook(&scope, hook, &Knowledge { facts: &f, config: &config, c_effects: &e, c_values: &v })
}

fn read(header: &str) -> HookReading {
    read_with(&[header], Hook::PostUnmap, false, DcacheKind::Pipt)
}

fn effects(r: &HookReading) -> Vec<Effect> {
    match r {
        HookReading::Defined { effects, .. } => effects.iter().map(|g| g.effect).collect(),
        other => panic!("expected a defined hook, got {other:?}"),
    }
}

fn unmodelled(r: &HookReading) -> String {
    match r {
        HookReading::Unmodelled(what) => what.join("; "),
        other => panic!("expected unmodelled, got {other:?}"),
    }
}

const HOOK: &str = "#define arch_kmap_local_post_unmap(vaddr)";

#[test]
fn arguments_decide_which_page_a_flush_covers() {
    assert_eq!(effects(&read(&format!("{HOOK} flush_page(vaddr)\n"))), [Effect::TlbFlushPage]);
    assert_eq!(
        effects(&read(&format!("{HOOK} flush_page((unsigned long)(vaddr) & PAGE_MASK)\n"))),
        [Effect::TlbFlushPage]
    );
    assert_eq!(effects(&read(&format!("{HOOK} flush_page(vaddr + PAGE_SIZE)\n"))), [], "another page");
    assert_eq!(effects(&read(&format!("{HOOK} flush_page(0)\n"))), [], "address 0");
    assert_eq!(effects(&read(&format!("{HOOK} flush_range(vaddr, vaddr + PAGE_SIZE)\n"))), [Effect::TlbFlushPage]);
    assert_eq!(effects(&read(&format!("{HOOK} flush_range(vaddr, vaddr)\n"))), [], "an empty range");
    assert_eq!(effects(&read(&format!("{HOOK} flush_area((void *)vaddr, PAGE_SIZE)\n"))), [Effect::CacheFlushPage]);
    assert_eq!(effects(&read(&format!("{HOOK} flush_area((void *)vaddr, 0)\n"))), []);
    assert!(unmodelled(&read(&format!("{HOOK} flush_page(some_global)\n"))).contains("cannot place"));
}

#[test]
fn a_helper_whose_body_nothing_decides_is_unmodelled_not_read_whole() {
    // The flush is compiled only with CONFIG_FOO, which no configuration
    // states: the helper's body is not known, so neither is the hook.
    let helper = "static void helper(unsigned long a)\n{\n#ifdef CONFIG_FOO\n\tflush_page(a);\n#endif\n}\n";
    let hook = format!("{HOOK} helper(vaddr)\n");
    let r = read_with(&[&hook, helper], Hook::PostUnmap, false, DcacheKind::Pipt);
    let what = unmodelled(&r);
    assert!(what.contains("helper() depends on `#ifdef CONFIG_FOO` (file1.h:3)"), "{what}");
    // Decided by the configuration, the same body is read as it compiles.
    let decided = helper.replace("CONFIG_FOO", "CONFIG_DEBUG_HIGHMEM");
    assert_eq!(
        effects(&read_with(&[&hook, &decided], Hook::PostUnmap, true, DcacheKind::Pipt)),
        [Effect::TlbFlushPage]
    );
    assert_eq!(effects(&read_with(&[&hook, &decided], Hook::PostUnmap, false, DcacheKind::Pipt)), []);
}

#[test]
fn control_flow_runs_as_c_runs_it() {
    let body = |b: &str| read(&format!("{HOOK} do {{ {b} }} while (0)\n"));
    assert_eq!(effects(&body("flush_page(vaddr); flush_all();")), [Effect::TlbFlushPage, Effect::TlbFlushAll]);
    assert_eq!(effects(&body("while (0) { flush_page(vaddr); }")), [], "a while (0) loop never runs");
    assert_eq!(effects(&body("if (0) flush_page(vaddr); else flush_all();")), [Effect::TlbFlushAll]);
    assert_eq!(effects(&body("if (1 && !0) flush_page(vaddr);")), [Effect::TlbFlushPage]);
    assert!(unmodelled(&body("if (some_flag) flush_page(vaddr);")).contains("do not decide"));
    assert!(unmodelled(&body("for (;;) flush_page(vaddr);")).contains("`for`"));
    assert!(unmodelled(&body("unknown_op(vaddr);")).contains("unknown_op(), which neither"));
}

#[test]
fn what_an_undecided_operand_guards_is_unmodelled_not_run_or_dropped() {
    let body = |b: &str| read(&format!("{HOOK} do {{ {b} }} while (0)\n"));
    // Decided: C's short circuit.
    assert_eq!(effects(&body("1 && flush_page(vaddr);")), [Effect::TlbFlushPage]);
    assert_eq!(effects(&body("0 && flush_page(vaddr);")), []);
    assert_eq!(effects(&body("0 ? flush_all() : flush_page(vaddr);")), [Effect::TlbFlushPage]);
    // Undecided: the flush may or may not run.
    assert!(unmodelled(&body("some_flag && flush_page(vaddr);")).contains("`&&` does what its right side does"));
    assert!(unmodelled(&body("some_flag || flush_page(vaddr);")).contains("`||` does what its right side does"));
    assert!(unmodelled(&body("some_flag ? flush_page(vaddr) : 0;")).contains("a `?:` whose branches"));
    // An undecided operand without effects changes nothing.
    assert_eq!(effects(&body("some_flag && 1; flush_page(vaddr);")), [Effect::TlbFlushPage]);
    // WARN_ON() returns what it tests.
    assert_eq!(effects(&body("if (WARN_ON(0)) return; flush_page(vaddr);")), [Effect::TlbFlushPage]);
    assert_eq!(effects(&body("if (WARN_ON(1)) return; flush_page(vaddr);")), []);
    assert!(unmodelled(&body("if (WARN_ON(some_flag)) return; flush_page(vaddr);")).contains("WARN_ON() tests"));
    // A store through a pointer (a PTE written by hand) is not followed.
    assert!(unmodelled(&body("*ptep = pteval; flush_page(vaddr);")).contains("an assignment through a pointer"));
}

#[test]
fn the_preprocessor_decides_what_is_compiled() {
    let debug_only = format!("#ifdef CONFIG_DEBUG_HIGHMEM\n{HOOK} flush_page(vaddr)\n#endif\n");
    assert!(matches!(read(&debug_only), HookReading::Default { .. }), "without DEBUG_HIGHMEM the default runs");
    assert_eq!(effects(&read_with(&[&debug_only], Hook::PostUnmap, true, DcacheKind::Pipt)), [Effect::TlbFlushPage]);
    assert!(matches!(read(&format!("#if 0\n{HOOK} flush_page(vaddr)\n#endif\n")), HookReading::Default { .. }));
    assert!(matches!(
        read(&format!("{HOOK} flush_page(vaddr)\n#undef arch_kmap_local_post_unmap\n")),
        HookReading::Default { .. }
    ));
    let undecided = read(&format!("#ifdef CONFIG_SOMETHING\n{HOOK} flush_page(vaddr)\n#endif\n"));
    assert!(unmodelled(&undecided).contains("file0.h:1"), "{undecided:?}");
}

#[test]
fn an_inline_function_is_the_hook_only_with_its_alias_line() {
    let function = "static inline void arch_kmap_local_post_unmap(unsigned long vaddr)\n{\n\tflush_page(vaddr);\n}\n";
    match read(function) {
        HookReading::Default { note: Some(n) } => assert!(n.contains("generic default runs"), "{n}"),
        other => panic!("{other:?}"),
    }
    let aliased = format!("{function}#define arch_kmap_local_post_unmap arch_kmap_local_post_unmap\n");
    assert_eq!(effects(&read(&aliased)), [Effect::TlbFlushPage]);
}

#[test]
fn helpers_of_the_arch_are_followed_into() {
    let header = format!("{HOOK} my_flush(vaddr)\n");
    let helper = |body: &str| format!("void my_flush(unsigned long addr)\n{{\n{body}\n}}\n");
    assert_eq!(
        effects(&read_with(&[&header, &helper("flush_page(addr);")], Hook::PostUnmap, false, DcacheKind::Pipt)),
        [Effect::TlbFlushPage]
    );
    assert_eq!(
        effects(&read_with(&[&header, &helper("")], Hook::PostUnmap, false, DcacheKind::Pipt)),
        [],
        "an emptied helper"
    );
    assert!(unmodelled(&read(&header)).contains("my_flush(), which neither"), "a helper nowhere defined");
}

#[test]
fn index_hooks_are_the_generic_slot_a_colour_aware_one_or_unmodelled() {
    let header = "#define arch_kmap_local_map_idx kmap_local_map_idx\n";
    let helper = |ret: &str| {
        format!(
            "static inline int kmap_idx(int type, unsigned long color)\n{{\n\treturn {ret};\n}}\n\
             int kmap_local_map_idx(int type, unsigned long pfn)\n{{\n\treturn kmap_idx(type, ALIAS(pfn << PAGE_SHIFT));\n}}\n"
        )
    };
    let idx = |ret: &str| read_with(&[header, &helper(ret)], Hook::MapIdx, false, DcacheKind::ViptAliasing);
    assert_eq!(effects(&idx("(type + KM_MAX_IDX * smp_processor_id()) * N_COLOURS + color")), [Effect::ColourIndex]);
    assert_eq!(effects(&idx("type + KM_MAX_IDX * smp_processor_id()")), [], "the generic slot");
    assert!(unmodelled(&idx("(type + KM_MAX_IDX * smp_processor_id()) * N_COLOURS")).contains("neither the generic"));
    assert!(unmodelled(&idx("(type + KM_MAX_IDX * smp_processor_id()) * N_COLOURS + N_COLOURS - 1 - color"))
        .contains("grows down"));
    // A misspelt macro is named, with the hook's line.
    let why = unmodelled(&idx("(type + KM_MAXIDX * smp_processor_id()) * N_COLOURS + color"));
    assert!(why.contains(":1: arch_kmap_local_map_idx computes the slot from `KM_MAXIDX`"), "{why}");
}

#[test]
fn runtime_conditions_are_decided_by_the_facts() {
    let vivt = format!("{HOOK} do {{ if (cache_is_vivt()) flush_area((void *)vaddr, PAGE_SIZE); }} while (0)\n");
    assert_eq!(effects(&read_with(&[&vivt], Hook::PostUnmap, false, DcacheKind::Vivt)), [Effect::CacheFlushPage]);
    assert_eq!(effects(&read_with(&[&vivt], Hook::PostUnmap, false, DcacheKind::Pipt)), []);
}

#[test]
fn hostile_hook_bodies_are_refused_not_crashed_on() {
    let braces = format!("{HOOK} do {}flush_page(vaddr);{} while (0)\n", "{".repeat(50_000), "}".repeat(50_000));
    let bangs = format!("{HOOK} do {{ if ({}1) flush_page(vaddr); }} while (0)\n", "!".repeat(200_000));
    for text in [braces, bangs] {
        let r = std::thread::Builder::new().stack_size(1 << 20).spawn(move || read(&text)).unwrap().join();
        let r = r.expect("no stack overflow");
        assert!(unmodelled(&r).contains("nesting deeper than"), "{r:?}");
    }
}

/// Property tests over the reader, as the hostile-input issue asks: any
/// bytes read without a panic, and code the preprocessor removes changes
/// nothing wherever it stands.
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Lines of hook C, each complete (no continuation, no comment across
    /// lines), so a directive may stand between any two of them.
    const LINES: &[&str] = &[
        "#define arch_kmap_local_post_unmap(vaddr) flush_page(vaddr)",
        "#define arch_kmap_local_pre_unmap(vaddr) do { flush_all(); } while (0)",
        "static inline void arch_kmap_local_post_unmap(unsigned long vaddr)",
        "static inline void helper(unsigned long a)",
        "#define arch_kmap_local_post_unmap arch_kmap_local_post_unmap",
        "#define arch_kmap_local_post_map(vaddr, pteval) helper(vaddr)",
        "{",
        "}",
        "flush_page(vaddr);",
        "flush_range(vaddr, vaddr + PAGE_SIZE);",
        "flush_area(vaddr & PAGE_MASK, PAGE_SIZE);",
        "do { flush_all(); } while (0);",
        "while (0) { flush_page(vaddr); }",
        "if (vaddr) flush_page(vaddr); else flush_all();",
        "for (;;) { }",
        "unknown_call(a);",
        "helper(a + 1);",
        "#ifdef CONFIG_DEBUG_HIGHMEM",
        "#if 0",
        "#if defined(CONFIG_X) && (1 << 3) > 4",
        "#else",
        "#endif",
        "#undef arch_kmap_local_post_unmap",
        "#error impossible",
    ];

    /// Statements and conditionals of a hook body.
    const BODY: &[&str] = &[
        "flush_page(vaddr);",
        "flush_range(vaddr, vaddr + PAGE_SIZE);",
        "do { flush_all(); } while (0);",
        "while (0) { flush_page(vaddr); }",
        "if (vaddr) flush_page(vaddr); else flush_all();",
        "unsigned long a = vaddr;",
        "helper(vaddr);",
        "#ifdef CONFIG_DEBUG_HIGHMEM",
        "#else",
        "#endif",
    ];

    /// What a reading decides, without places (inserted lines move them).
    fn decision(r: &HookReading) -> String {
        match r {
            HookReading::Default { .. } => "default".into(),
            HookReading::Defined { effects, .. } => format!("{effects:?}"),
            HookReading::Unmodelled(_) => "unmodelled".into(),
        }
    }

    fn decisions(text: &str, debug: bool) -> Vec<String> {
        Hook::ALL.iter().map(|&h| decision(&read_with(&[text], h, debug, DcacheKind::ViptAliasing))).collect()
    }

    proptest! {
        #[test]
        fn any_bytes_among_hook_lines_read_without_a_panic(
            parts in proptest::collection::vec(
                prop_oneof![
                    (0..LINES.len()).prop_map(|i| LINES[i].as_bytes().to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..12),
                ],
                0..30,
            ),
            debug in any::<bool>(),
        ) {
            let text = String::from_utf8_lossy(&parts.join(&b"\n"[..])).into_owned();
            for h in Hook::ALL {
                let _ = read_with(&[&text], h, debug, DcacheKind::ViptAliasing);
            }
        }

        #[test]
        fn code_under_if_0_changes_nothing_wherever_it_stands(
            prefix in proptest::collection::vec(0..LINES.len(), 0..6),
            body in proptest::collection::vec(0..BODY.len(), 0..8),
            suffix in proptest::collection::vec(0..LINES.len(), 0..4),
            at in any::<prop::sample::Index>(),
            dead in "[a-z_(){};=+&|!<> 0-9]{0,40}",
            debug in any::<bool>(),
        ) {
            // A hook defined as an inline function with its alias line, a
            // body of statements and conditionals, between other lines.
            let mut lines: Vec<String> = prefix.iter().map(|&i| LINES[i].to_string()).collect();
            lines.push("static inline void arch_kmap_local_post_unmap(unsigned long vaddr)".into());
            lines.push("{".into());
            lines.extend(body.iter().map(|&i| BODY[i].to_string()));
            lines.push("}".into());
            lines.push("#define arch_kmap_local_post_unmap arch_kmap_local_post_unmap".into());
            lines.extend(suffix.iter().map(|&i| LINES[i].to_string()));
            let text = |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
            let before = text(&lines);
            lines.insert(at.index(lines.len() + 1), format!("#if 0\n{dead}\nflush_all();\n#endif"));
            let after = text(&lines);
            prop_assert_eq!(decisions(&before, debug), decisions(&after, debug), "{}", after);
        }
    }
}
