//! A justified difference must be the golden port's fault alone: break a
//! port beside the part the model (or the preprocessor check) vouches
//! for, and the verdict must turn to `differs`. Each case is a way a
//! reviewer once got a wrong port past `check`.

use crate::support::{archport, assert_status, edit, stderr, stdout, templates_copy};

/// `archport diff --arch ARCH` with a descriptor changed by `change`.
fn diff_with(arch: &str, change: impl FnOnce(&std::path::Path)) -> std::process::Output {
    let tpl = templates_copy();
    change(&tpl.path().join(arch).join("port.toml"));
    archport(&["diff", "--quiet", "--arch", arch, "--templates", tpl.path().to_str().unwrap()])
}

#[test]
fn a_stale_declaration_beside_the_refuted_call_site_differs() {
    let o = diff_with("mips", |d| edit(d, "\t{ op = \"remove_declaration\", name = \"kdump_buf_page\" },\n", ""));
    assert_status(&o, 1);
    assert!(stdout(&o).contains("kernel/crash_dump.c differs") && !stdout(&o).contains("justified:"), "{}", stdout(&o));
}

#[test]
fn a_leftover_statement_beside_the_unbalanced_golden_conditional_differs() {
    let o = diff_with("microblaze", |d| edit(d, "\t{ op = \"remove_statements\", mentioning = \"kmap_pte\" },\n", ""));
    assert_status(&o, 1);
    assert!(!stdout(&o).contains("justified:"), "{}", stdout(&o));
}

#[test]
fn a_leftover_include_beside_the_refuted_golden_hooks_differs() {
    let o = diff_with("sparc", |d| edit(d, "\t{ op = \"drop_include\", header = \"asm/kmap_types.h\" },\n", ""));
    assert_status(&o, 1);
    assert!(!stdout(&o).contains("justified:"), "{}", stdout(&o));
}

#[test]
fn hook_c_that_does_not_do_what_the_descriptor_declares_is_refused() {
    // The golden sparc hook's C with the correct port's declared effect.
    let o = diff_with("sparc", |d| {
        edit(
            d,
            "effects = [\"tlb_flush_all\"]\nc = \"flush_tlb_all()\"\n\n[[file]]",
            "effects = [\"tlb_flush_all\"]\nc = \"flush_cache_all()\"\n\n[[file]]",
        )
    });
    assert_status(&o, 2);
    assert!(
        stderr(&o).contains("arch_kmap_local_post_unmap in the generated arch/sparc/include/asm/highmem.h performs cache_flush_all but the descriptor declares tlb_flush_all"),
        "{}",
        stderr(&o)
    );
}
