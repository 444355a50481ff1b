//! Mutation testing of verification, through the C reader: real hook C
//! (the golden ports, and for sparc, whose golden hooks are refuted, the
//! generated port) edited as a careless or hostile author would, each
//! mutant with the verdict its hardware calls for and why. A mutant that
//! removes or disables an operation the hardware needs must be a
//! counterexample or unmodelled; a harmless one must stay proved.
//!
//! `cargo test ... mutants -- --nocapture` prints the kill table.

use archport::arch::Arch;
use archport::descriptor;
use archport::verify::{self, contract, Outcome, Status};
use archport_generic::model::Bounds;

use crate::support::kernel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The model refutes it.
    Counterexample,
    /// The reader refuses to guess.
    Unmodelled,
    /// Either: the C no longer does what the hardware needs.
    Caught,
    /// Harmless on this hardware.
    Proved,
}

/// Which file a mutant edits.
#[derive(Clone, Copy)]
enum File {
    /// `arch/<arch>/include/asm/highmem.h`.
    Header,
    /// `arch/<arch>/mm/highmem.c`.
    MmHighmem,
    /// Another header of the arch, below `arch/<arch>/`.
    Other(&'static str),
}

struct Mutant {
    arch: Arch,
    file: File,
    from: &'static str,
    to: String,
    expect: Expect,
    why: &'static str,
}

fn m(arch: Arch, file: File, from: &'static str, to: impl Into<String>, expect: Expect, why: &'static str) -> Mutant {
    Mutant { arch, file, from, to: to.into(), expect, why }
}

use Arch::*;
use Expect::*;
use File::*;

fn mutants() -> Vec<Mutant> {
    let arc_flush = "\tlocal_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE)\n";
    let arc_def =
        "#define arch_kmap_local_post_unmap(vaddr)\t\t\t\\\n\tlocal_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE)\n";
    let arm_post_map =
        "#define arch_kmap_local_post_map(vaddr, pteval)\t\t\t\t\\\n\tlocal_flush_tlb_kernel_page(vaddr)\n";
    let arm_post_unmap = "#define arch_kmap_local_post_unmap(vaddr)\t\t\t\t\\\n\tlocal_flush_tlb_kernel_page(vaddr)\n";
    let arm_cache = "\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\\n";
    let arm_if_flush =
        "\tif (cache_is_vivt())\t\t\t\t\t\t\\\n\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\\n";
    let arm_unmaps = "#define arch_kmap_local_pre_unmap(vaddr)\t\t\t\t\\\ndo {\t\t\t\t\t\t\t\t\t\\\n\tif (cache_is_vivt())\t\t\t\t\t\t\\\n\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\\n} while (0)\n\n#define arch_kmap_local_post_unmap(vaddr)\t\t\t\t\\\n\tlocal_flush_tlb_kernel_page(vaddr)\n";
    let mb_unmap = "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr);\n";
    let mb_map = "#define arch_kmap_local_post_map(vaddr, pteval)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr);\n";
    let ppc_unmap = "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr)\n";
    let ppc_map = "#define arch_kmap_local_post_map(vaddr, pteval)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr)\n";
    let nds_post_map = "\t\t__nds32__tlbop_inv(vaddr);\t\t\t\\\n\t\t__nds32__mtsr_dsb(vaddr, NDS32_SR_TLB_VPN);\t\\\n";
    let nds_pre = "#define arch_kmap_local_pre_unmap(vaddr)\t\t\t\\\n\tdo {\t\t\t\t\t\t\t\\\n\t\t__nds32__tlbop_inv(vaddr);\t\t\t\\\n";
    let nds_steps = "\t\t__nds32__tlbop_inv(vaddr);\t\t\t\\\n\t\t__nds32__mtsr_dsb(vaddr, NDS32_SR_TLB_VPN);\t\\\n\t\t__nds32__tlbop_rwr(pteval);\t\t\t\\\n";
    let x86_unmap = "\t\tflush_tlb_one_kernel((vaddr));\t\t\\\n";
    let x86_lazy = "\t\tarch_flush_lazy_mmu_mode();\t\t\\\n";
    let xt_unmap =
        "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE)\n";
    let xt_idx = "\treturn (type + KM_MAX_IDX * smp_processor_id()) * DCACHE_N_COLORS +\n\t\tcolor;\n";
    let sparc_map = "#define arch_kmap_local_post_map(vaddr, pteval)\t\t\t\t\\\n";
    let deep = |n: usize| {
        format!(
            "\tdo {}local_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE);{} while (0)\n",
            "{".repeat(n),
            "}".repeat(n)
        )
    };
    vec![
        // arc: a stale TLB entry survives an unmap unless post_unmap flushes the slot.
        m(Arc, Header, arc_flush, "\tlocal_flush_tlb_kernel_range(vaddr, vaddr)\n", Counterexample, "an empty range flushes nothing"),
        m(Arc, Header, arc_flush, "\tlocal_flush_tlb_kernel_range(vaddr + PAGE_SIZE, vaddr + 2 * PAGE_SIZE)\n", Counterexample, "the next page, not the slot"),
        m(Arc, Header, arc_flush, "\tlocal_flush_tlb_kernel_range(0, PAGE_SIZE)\n", Caught, "address 0, not the slot"),
        m(Arc, Header, arc_flush, "\tlocal_flush_tlb_kernel_range(vaddr - PAGE_SIZE, vaddr + PAGE_SIZE)\n", Proved, "a range that covers the slot"),
        m(Arc, Header, arc_def, format!("#ifdef CONFIG_DEBUG_HIGHMEM\n{arc_def}#endif\n"), Counterexample, "flushes only with DEBUG_HIGHMEM"),
        m(Arc, Header, arc_def, format!("#if 0\n{arc_def}#endif\n"), Counterexample, "compiled out"),
        m(Arc, Header, arc_def, format!("{arc_def}#undef arch_kmap_local_post_unmap\n"), Counterexample, "#undef-ined: the generic default runs"),
        m(Arc, Header, arc_def, "", Counterexample, "the hook deleted"),
        m(Arc, Header, arc_flush, "\tdo { while (0) local_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE); } while (0)\n", Counterexample, "a while (0) loop never runs"),
        m(Arc, Header, arc_flush, "\tlocal_flush_tlb_all()\n", Unmodelled, "a call [c_effects] does not list"),
        m(Arc, Header, "#define arch_kmap_local_post_unmap(vaddr)", "#define arch_kmap_local_pre_unmap(vaddr)", Proved, "no speculative fills on arc: a flush before pte_clear leaves no window"),
        m(Arc, Header, arc_flush, deep(50_000), Unmodelled, "50,000 nested braces: past the reader's limit"),
        m(Arc, Header, arc_flush, format!("\tdo {{ if ({}1) local_flush_tlb_kernel_range(vaddr, vaddr + PAGE_SIZE); }} while (0)\n", "!".repeat(200_000)), Unmodelled, "200,000 `!`: past the reader's limit"),
        m(Arc, Header, arc_flush, "\t/* flush the slot's entry */ local_flush_tlb_kernel_range(vaddr,\t\tvaddr+PAGE_SIZE)\n", Proved, "comments and spacing"),
        // arm: VIVT cache, TLB caches cleared PTEs, speculative fills, kmap() aliases.
        m(Arm, Header, arm_post_map, "", Counterexample, "the TLB may hold the slot's cleared PTE: post_map must flush it"),
        m(Arm, Header, arm_post_unmap, "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Arm, Header, arm_if_flush, "", Counterexample, "the VIVT line of the old mapping survives"),
        m(Arm, Header, arm_cache, "\t\t__cpuc_flush_dcache_area((void *)vaddr, 0);\t\\\n", Counterexample, "a flush of no bytes"),
        m(Arm, Header, arm_cache, "\t\t__cpuc_flush_dcache_area((void *)(vaddr + PAGE_SIZE), PAGE_SIZE);\t\\\n", Counterexample, "the next page's lines"),
        m(Arm, Header, "\tif (cache_is_vivt())\t\t\t\t\t\t\\\n", "\tif (!cache_is_vivt())\t\t\t\t\t\t\\\n", Counterexample, "the flush runs only on caches that do not need it"),
        m(Arm, Header, arm_unmaps, "#define arch_kmap_local_post_unmap(vaddr)\t\\\ndo {\t\\\n\tlocal_flush_tlb_kernel_page(vaddr);\t\\\n\tif (cache_is_vivt())\t\\\n\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\\n} while (0)\n", Counterexample, "the cache write-back moved after pte_clear: writing back a VIVT line needs the translation"),
        m(Arm, Header, "#define arch_kmap_local_pre_unmap(vaddr)", "#define arch_kmap_local_pre_unmap_unused(vaddr)", Counterexample, "the cache flush hook renamed away"),
        m(Arm, Header, arm_post_unmap, "#define arch_kmap_local_post_unmap(vaddr)\n#undef arch_kmap_local_pre_unmap\n#define arch_kmap_local_pre_unmap(vaddr)\t\t\t\t\\\ndo {\t\\\n\tif (cache_is_vivt())\t\\\n\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\\n\tlocal_flush_tlb_kernel_page(vaddr);\t\\\n} while (0)\n", Counterexample, "the TLB flush moved before pte_clear: a speculative fill reloads the entry"),
        m(Arm, Header, "#define arch_kmap_local_high_get arch_kmap_local_high_get\n", "", Counterexample, "the inline function without its alias line: the generic default (no kmap() lookup) runs"),
        m(Arm, Header, "\treturn kmap_high_get(page);\n", "\treturn NULL;\n", Counterexample, "never reuses the kmap() mapping: two virtual aliases of one page in a VIVT cache"),
        m(Arm, Header, "#ifdef CONFIG_ARM_ERRATA_798181\n", "#if 1\n", Counterexample, "ARCH_NEEDS_KMAP_HIGH_GET undefined: no high_get"),
        m(Arm, Header, arm_post_map, "#define arch_kmap_local_post_map(vaddr, pteval)\t\\\n\tlocal_flush_tlb_kernel_page(0)\n", Counterexample, "address 0, not the slot"),
        m(Arm, Header, arm_post_map, "#define arch_kmap_local_post_map(vaddr, pteval)\t\\\n\tdo { local_flush_tlb_kernel_page(vaddr); local_flush_tlb_kernel_page(vaddr); } while (0)\n", Proved, "a second flush of the same entry"),
        m(Arm, Header, arm_post_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tdo { tlb_flush_wanted && local_flush_tlb_kernel_page(vaddr); } while (0)\n", Unmodelled, "the flush only as a flag no one decides says"),
        m(Arm, Header, arm_post_unmap, format!("{arm_post_unmap}#undef arch_kmap_local_post_map\n"), Counterexample, "post_map #undef-ined after its definition"),
        m(Arm, Header, arm_post_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tdo { local_flush_tlb_kernel_page(vaddr); local_flush_bp_all(); } while (0)\n", Unmodelled, "a call [c_effects] does not list"),
        m(Arm, Header, "\tif (cache_is_vivt())\t\t\t\t\t\t\\\n", "\tif (cache_is_vivt() && some_flag)\t\t\t\t\\\n", Unmodelled, "a condition neither the configuration nor the facts decide"),
        // csky: the helper kmap_flush_tlb() in mm/highmem.c is followed into.
        m(Csky, MmHighmem, "\tflush_tlb_one(addr);\n", "", Counterexample, "the helper emptied: nothing flushes the slot"),
        m(Csky, MmHighmem, "\tflush_tlb_one(addr);\n", "\tflush_tlb_one(addr + PAGE_SIZE);\n", Counterexample, "the helper flushes the next page"),
        m(Csky, MmHighmem, "void kmap_flush_tlb(unsigned long addr)\n", "#ifdef CONFIG_DEBUG_HIGHMEM\nvoid kmap_flush_tlb(unsigned long addr)\n", Caught, "the helper defined only with DEBUG_HIGHMEM"),
        m(Csky, Header, "#define arch_kmap_local_post_map(vaddr, pteval)\tkmap_flush_tlb(vaddr)\n", "", Proved, "defensive: a hardware refill never keeps a cleared PTE"),
        m(Csky, Header, "#define arch_kmap_local_post_unmap(vaddr)\tkmap_flush_tlb(vaddr)\n", "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Csky, Header, "#define arch_kmap_local_post_unmap(vaddr)\tkmap_flush_tlb(vaddr)\n", "#define arch_kmap_local_pre_unmap(vaddr)\tkmap_flush_tlb(vaddr)\n", Counterexample, "speculative fills reload the entry flushed before pte_clear"),
        m(Csky, Header, "#define arch_kmap_local_post_unmap(vaddr)\tkmap_flush_tlb(vaddr)\n", "#define arch_kmap_local_post_unmap(vaddr)\tkmap_flush_tlb(0)\n", Counterexample, "address 0, not the slot"),
        m(Csky, MmHighmem, "\tflush_tlb_one(addr);\n", "\tif (addr)\n\t\tflush_tlb_one(addr);\n", Unmodelled, "a condition on an address value the reader does not decide"),
        // microblaze
        m(Microblaze, Header, mb_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr + PAGE_SIZE);\n", Counterexample, "the next page, not the slot"),
        m(Microblaze, Header, mb_map, "", Proved, "defensive: the miss handlers never load a cleared PTE"),
        m(Microblaze, Header, mb_unmap, "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Microblaze, Header, mb_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(vaddr, NULL);\n", Counterexample, "arguments swapped: the address is NULL"),
        m(Microblaze, Header, mb_unmap, format!("#if 0\n{mb_unmap}#endif\n"), Counterexample, "compiled out"),
        m(Microblaze, Header, "#define arch_kmap_local_post_unmap(vaddr)", "#define arch_kmap_local_pre_unmap(vaddr)", Proved, "no speculative fills: a flush before pte_clear leaves no window"),
        // mips
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n", "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Mips, Header, "#define arch_kmap_local_post_map(vaddr, pteval)\tlocal_flush_tlb_one(vaddr)\n", "", Proved, "defensive: an entry holding the cleared PTE traps and is reloaded"),
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n", "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr + PAGE_SIZE)\n", Counterexample, "the next page, not the slot"),
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n", "#ifdef CONFIG_DEBUG_HIGHMEM\n#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n#endif\n", Counterexample, "flushes only with DEBUG_HIGHMEM"),
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n", "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n#undef arch_kmap_local_post_unmap\n", Counterexample, "#undef-ined"),
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)", "#define arch_kmap_local_pre_unmap(vaddr)", Proved, "no speculative fills: a flush before pte_clear leaves no window"),
        m(Mips, Header, "#define arch_kmap_local_post_unmap(vaddr)\tlocal_flush_tlb_one(vaddr)\n", "#define arch_kmap_local_post_unmap(vaddr)\tdo { while (0) { local_flush_tlb_one(vaddr); } } while (0)\n", Counterexample, "a while (0) loop never runs"),
        // nds32: post_map invalidates, names the VPN, writes the entry.
        m(Nds32, Header, nds_pre, "#define arch_kmap_local_pre_unmap(vaddr)\t\t\t\\\n\tdo {\t\t\t\t\t\t\t\\\n", Counterexample, "nothing invalidates the slot's entry at unmap"),
        m(Nds32, Header, nds_pre, "#define arch_kmap_local_pre_unmap(vaddr)\t\t\t\\\n\tdo {\t\t\t\t\t\t\t\\\n\t\t__nds32__tlbop_inv(vaddr + PAGE_SIZE);\t\t\t\\\n", Counterexample, "invalidates the next page"),
        m(Nds32, Header, nds_post_map, "\t\t__nds32__tlbop_inv(vaddr);\t\t\t\\\n", Caught, "the VPN register still names another slot: the entry write lands there"),
        m(Nds32, Header, nds_post_map, "\t\t__nds32__tlbop_inv(vaddr);\t\t\t\\\n\t\t__nds32__mtsr_dsb(vaddr + PAGE_SIZE, NDS32_SR_TLB_VPN);\t\\\n", Caught, "names the next page in the VPN register"),
        m(Nds32, Header, "\t\t__nds32__tlbop_rwr(pteval);\t\t\t\\\n", "", Proved, "defensive: the walker would load the same PTE"),
        m(Nds32, Header, nds_post_map, "\t\t__nds32__mtsr_dsb(vaddr, NDS32_SR_TLB_VPN);\t\\\n", Proved, "defensive: nothing stale to invalidate after set_pte on this walker"),
        m(Nds32, Header, "#define arch_kmap_local_pre_unmap(vaddr)", "#define arch_kmap_local_post_unmap(vaddr)", Proved, "no speculative fills: invalidating after pte_clear is as good"),
        m(Nds32, Header, "\t\t__nds32__isb();\t\t\t\t\t\\\n\t} while (0)\n\n#define arch_kmap_local_pre_unmap", "\t} while (0)\n\n#define arch_kmap_local_pre_unmap", Proved, "an instruction barrier: no effect in the model"),
        m(Nds32, Header, nds_steps, format!("\t\tlocal_irq_save(flags);\t\\\n{nds_steps}\t\tlocal_irq_restore(flags);\t\\\n"), Proved, "interrupts held off across the steps"),
        m(Nds32, Header, "\t\t__nds32__tlbop_rwr(pteval);\t\t\t\\\n", "\t\t__nds32__tlbop_rwr(pteval);\t\t\t\\\n\t\t__nds32__tlbop_flua();\t\\\n", Unmodelled, "a call [c_effects] does not list"),
        // powerpc: speculative fills.
        m(Powerpc, Header, ppc_unmap, "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Powerpc, Header, ppc_map, "", Proved, "defensive: the miss handlers never load a cleared PTE"),
        m(Powerpc, Header, ppc_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(NULL, vaddr + PAGE_SIZE)\n", Counterexample, "the next page"),
        m(Powerpc, Header, "#define arch_kmap_local_post_unmap(vaddr)", "#define arch_kmap_local_pre_unmap(vaddr)", Counterexample, "speculative fills reload the entry flushed before pte_clear"),
        m(Powerpc, Header, ppc_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_page(NULL, 0)\n", Counterexample, "address 0"),
        m(Powerpc, Header, ppc_unmap, format!("#ifdef CONFIG_PPC_E500\n{ppc_unmap}#endif\n"), Unmodelled, "defined under a configuration the verdict does not decide"),
        // sparc (the generated port): a VIVT cache whose write-back needs the translation.
        m(Sparc, Header, "#define arch_kmap_local_post_unmap(vaddr)\tflush_tlb_all()\n", "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Sparc, Header, "#define arch_kmap_local_pre_unmap(vaddr)\tflush_cache_all()\n", "", Counterexample, "the VIVT line of the old mapping survives"),
        m(Sparc, Header, "#define arch_kmap_local_pre_unmap(vaddr)\tflush_cache_all()\n", "#define arch_kmap_local_pre_unmap(vaddr)\tdo { } while (0)\n", Counterexample, "an empty hook"),
        m(Sparc, Header, "#define arch_kmap_local_post_unmap(vaddr)\tflush_tlb_all()\n", "#define arch_kmap_local_post_unmap(vaddr)\tflush_cache_all()\n", Counterexample, "the golden bug: a cache flush where the TLB needs one"),
        m(Sparc, Header, "#define arch_kmap_local_pre_unmap(vaddr)\tflush_cache_all()\n", "#if 0\n#define arch_kmap_local_pre_unmap(vaddr)\tflush_cache_all()\n#endif\n", Counterexample, "compiled out"),
        m(Sparc, Header, sparc_map, "#define arch_kmap_local_post_map_unused(vaddr, pteval)\t\\\n", Counterexample, "post_map renamed away: no cache flush at map, a kmap() hand-over reads stale data"),
        // x86: lazy MMU mode and speculative fills.
        m(X86, Header, x86_unmap, "\\\n", Counterexample, "a stale TLB entry survives the unmap"),
        m(X86, Header, "\t\tarch_flush_lazy_mmu_mode();\t\t\\\n\t} while (0)\n", "\t} while (0)\n", Counterexample, "the deferred pte_clear is never made visible"),
        m(X86, Header, "\tarch_flush_lazy_mmu_mode()\n", "\tdo { } while (0)\n", Counterexample, "the deferred set_pte is not visible when the mapping is used"),
        m(X86, Header, x86_unmap, "\t\tflush_tlb_one_kernel((vaddr) + PAGE_SIZE);\t\\\n", Counterexample, "the next page"),
        m(X86, Header, x86_unmap, "\t\twhile (0) flush_tlb_one_kernel((vaddr));\t\\\n", Counterexample, "a while (0) loop never runs"),
        m(X86, Header, "#define\tarch_kmap_local_post_unmap(vaddr)", "#define\tarch_kmap_local_pre_unmap(vaddr)", Counterexample, "speculative fills reload the entry flushed before pte_clear"),
        m(X86, Header, format!("{x86_unmap}{x86_lazy}").leak(), format!("{x86_lazy}{x86_unmap}"), Proved, "making the deferred clear visible first, then flushing, is as good"),
        m(X86, Header, "#define\tarch_kmap_local_post_map(vaddr, pteval)\t\t\\\n", "#undef arch_kmap_local_post_unmap\n#define\tarch_kmap_local_post_map(vaddr, pteval)\t\t\\\n", Proved, "an #undef of a name not yet defined changes nothing"),
        // xtensa: colour-aware slots from mm/highmem.c, an aliasing cache.
        m(Xtensa, MmHighmem, xt_idx, "\treturn (type + KM_MAX_IDX * smp_processor_id()) * DCACHE_N_COLORS +\n\t\t0;\n", Unmodelled, "every mapping at colour 0: neither generic nor colour-aware"),
        m(Xtensa, MmHighmem, xt_idx, "\treturn type * DCACHE_N_COLORS + color;\n", Unmodelled, "the CPU left out of the slot"),
        m(Xtensa, MmHighmem, "\treturn kmap_idx(type, DCACHE_ALIAS(pfn << PAGE_SHIFT));\n", "\treturn kmap_idx(type, DCACHE_ALIAS(0));\n", Unmodelled, "the colour of address 0, not of the page"),
        m(Xtensa, MmHighmem, "\treturn kmap_idx(type, DCACHE_ALIAS(addr));\n", "\treturn kmap_idx(type, DCACHE_ALIAS(addr + PAGE_SIZE));\n", Unmodelled, "the colour of the next page"),
        m(Xtensa, Header, "#define arch_kmap_local_map_idx\t\tkmap_local_map_idx\n", "", Counterexample, "map and unmap compute different slots"),
        m(Xtensa, Header, "#define arch_kmap_local_map_idx\t\tkmap_local_map_idx\n", "#define arch_kmap_local_map_idx\t\tkmap_local_unmap_idx\n", Caught, "the page frame read as an address"),
        m(Xtensa, Header, xt_unmap, "", Counterexample, "a stale TLB entry survives the unmap"),
        m(Xtensa, Header, xt_unmap, "#define arch_kmap_local_post_unmap(vaddr)\t\\\n\tlocal_flush_tlb_kernel_range(vaddr, vaddr)\n", Counterexample, "an empty range"),
        m(Xtensa, Header, "#define arch_kmap_local_post_unmap(vaddr)", "#define arch_kmap_local_pre_unmap(vaddr)", Counterexample, "speculative fills reload the entry flushed before pte_clear"),
        m(Xtensa, MmHighmem, xt_idx, format!("#ifdef CONFIG_NOTHING_DECIDES\n{xt_idx}#else\n\treturn type + KM_MAX_IDX * smp_processor_id();\n#endif\n"), Unmodelled, "the colour-aware slot only under a condition no configuration decides"),
        m(Xtensa, MmHighmem, xt_idx, "\t/* the colour-aware slot */\n\treturn (type + KM_MAX_IDX * smp_processor_id()) * DCACHE_N_COLORS + color;\n", Proved, "comments and spacing"),
        // Headers the reader does not follow: what they do to a hook is unknown.
        m(Arm, Other("include/asm/cacheflush.h"), "", "#undef arch_kmap_local_post_map\n", Unmodelled, "a hook undefined in another header"),
        m(X86, Other("include/asm/fixmap.h"), "", "#define arch_kmap_local_post_unmap(vaddr) do { } while (0)\n", Unmodelled, "a hook defined first in another header"),
        m(Arm, Other("include/asm/cacheflush.h"), "", "/* arch_kmap_local_post_map: see highmem.h */\n", Proved, "a hook named in another header's comment"),
    ]
}

/// What the model says of one mutant.
fn verdict(mutant: &Mutant) -> (Status, String) {
    let k = kernel();
    let templates = descriptor::templates_root(None);
    let spec = descriptor::load(&templates, mutant.arch).unwrap();
    // The golden hooks; sparc's golden hooks are refuted already, so its
    // mutants start from the generated port, whose hooks are proved.
    let files = match mutant.arch {
        Sparc => {
            let p = archport::pipeline::port_arch(Sparc, &k.pre_port, &templates).unwrap();
            verify::hook_files(&k.pre_port, &spec).unwrap().with_port(&p.port)
        }
        _ => verify::hook_files(&k.golden, &spec).unwrap(),
    };
    let path = match mutant.file {
        Header => verify::hooks_header(mutant.arch),
        MmHighmem => format!("{}mm/highmem.c", mutant.arch.dir()),
        Other(rel) => format!("{}{rel}", mutant.arch.dir()),
    };
    let mut files = files;
    if let Other(_) = mutant.file {
        // As hook_files keeps a header naming a hook (the real ones name none).
        assert!(files.elsewhere.is_empty(), "{}: {:?}", mutant.arch, files.elsewhere);
        files.elsewhere.push((path.clone(), std::fs::read(k.golden.join(&path)).unwrap()));
    }
    let text = &mut files
        .files
        .iter_mut()
        .chain(&mut files.elsewhere)
        .find(|(p, _)| *p == path)
        .unwrap_or_else(|| panic!("{path}"))
        .1;
    let s = String::from_utf8(text.clone()).unwrap();
    assert!(s.contains(mutant.from), "{}: {path} lacks {:?}", mutant.arch, mutant.from);
    *text = s.replacen(mutant.from, &mutant.to, 1).into_bytes();
    let contract = contract::read(&k.golden).unwrap().contract;
    match verify::read_port(&spec, &files, &contract) {
        Err(what) => (Status::Unmodelled, what.join("; ")),
        Ok(port) => {
            let v = verify::check(mutant.arch, &port, &contract, &Bounds::standard()).unwrap();
            let detail = match &v.outcome {
                Outcome::Counterexample { property, .. } => property.clone(),
                _ => String::new(),
            };
            (v.status(), detail)
        }
    }
}

#[test]
fn every_mutant_of_real_hook_c_gets_the_verdict_its_hardware_calls_for() {
    let all = mutants();
    assert!(all.len() >= 80, "only {} mutants", all.len());
    assert!(Arch::ALL.iter().all(|a| all.iter().any(|m| m.arch == *a)), "every arch has mutants");
    let mut table = String::from("arch        expected        got             why\n");
    let mut wrong = Vec::new();
    for mutant in &all {
        let (got, detail) = verdict(mutant);
        let ok = match mutant.expect {
            Counterexample => got == Status::Counterexample,
            Unmodelled => got == Status::Unmodelled,
            Caught => matches!(got, Status::Counterexample | Status::Unmodelled),
            Proved => got == Status::Proved,
        };
        table.push_str(&format!(
            "{:<11} {:<15} {:<15} {}{}\n",
            mutant.arch.name(),
            format!("{:?}", mutant.expect).to_lowercase(),
            got.name(),
            mutant.why,
            if ok { String::new() } else { format!("  <-- WRONG ({detail})") }
        ));
        if !ok {
            wrong.push(format!("{}: {} ({:?} expected, {got} got: {detail})", mutant.arch, mutant.why, mutant.expect));
        }
    }
    let killed = all.iter().filter(|m| m.expect != Proved).count();
    println!("{table}\n{} mutants: {killed} must be caught, {} must stay proved", all.len(), all.len() - killed);
    assert!(wrong.is_empty(), "{table}\n{}", wrong.join("\n"));
}

/// The contract of the golden tree's generic code with each `from`
/// replaced by its `to` in its file `file`.
fn generic_mutant(file: &str, edits: &[(&str, &str)]) -> contract::TreeContract {
    let k = kernel();
    let dir = tempfile::tempdir().unwrap();
    for rel in ["mm/highmem.c", "include/asm-generic/kmap_size.h", "kernel/sched/core.c"] {
        let text = std::fs::read_to_string(k.golden.join(rel)).unwrap();
        let text = if rel == file {
            edits.iter().fold(text, |text, (from, to)| {
                assert!(text.contains(from), "{rel} lacks {from:?}");
                text.replacen(from, to, 1)
            })
        } else {
            text
        };
        std::fs::create_dir_all(dir.path().join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(rel), text).unwrap();
    }
    contract::read(dir.path()).unwrap()
}

/// Arm's golden hooks checked under the golden generic code with `edits`
/// made to its mm/highmem.c.
fn arm_under_generic_mutant(edits: &[(&str, &str)]) -> (contract::TreeContract, Status) {
    let k = kernel();
    let c = generic_mutant("mm/highmem.c", edits);
    let spec = descriptor::load(&descriptor::templates_root(None), Arm).unwrap();
    let port = verify::read_port(&spec, &verify::hook_files(&k.golden, &spec).unwrap(), &c.contract).unwrap();
    (c.clone(), verify::check_under(Arm, &port, &c, &Bounds::standard()).unwrap().status())
}

#[test]
fn a_hook_call_of_the_generic_code_is_read_as_the_configuration_compiles_it() {
    let call = "\tarch_kmap_local_post_map(vaddr, pteval);\n";
    // As the tree has it: arm's post_map flush runs, and arm is proved.
    let (c, status) = arm_under_generic_mutant(&[(call, call)]);
    assert!(c.undecided.is_empty(), "{:?}", c.undecided);
    assert_eq!(status, Status::Proved);
    // Under a condition the configuration decides: compiled, or not.
    let (_, status) = arm_under_generic_mutant(&[(call, &format!("#ifdef CONFIG_KMAP_LOCAL\n{call}#endif\n"))]);
    assert_eq!(status, Status::Proved, "CONFIG_KMAP_LOCAL is set wherever this code is compiled");
    let (c, status) = arm_under_generic_mutant(&[(call, &format!("#if 0\n{call}#endif\n"))]);
    assert_eq!(status, Status::Counterexample, "the map path never calls the flush: a stale TLB entry is seen");
    assert!(!c.contract.map.contains(&archport_generic::model::Call::Hook(archport_generic::Hook::PostMap)));
    // Under a condition nothing decides: never a guess.
    let (c, status) = arm_under_generic_mutant(&[(call, &format!("#ifdef CONFIG_NOTHING_DECIDES\n{call}#endif\n"))]);
    assert_eq!(status, Status::Unmodelled);
    let what = c.undecided.join("\n");
    assert!(
        what.contains("mm/highmem.c:467: `#ifdef CONFIG_NOTHING_DECIDES` decides part of __kmap_local_pfn_prot()"),
        "{what}"
    );
}

#[test]
fn interrupts_at_switch_in_are_read_from_the_scheduler_and_taken_on_when_undecided() {
    let irqs_on = |c: &contract::TreeContract| c.contract.switch.as_ref().unwrap().irqs_on_sched_in;
    let (unlock, restore) = ("\tfinish_lock_switch(rq);\n", "\tkmap_local_sched_in();\n");
    let file = "kernel/sched/core.c";
    assert!(irqs_on(&generic_mutant(file, &[])), "5.10 unlocks (interrupts on) before restoring");
    let restore_first = format!("{restore}{unlock}");
    // The first restore is what runs at switch-in: now before the unlock.
    assert!(!irqs_on(&generic_mutant(file, &[(unlock, &restore_first)])), "restored before the unlock: interrupts off");
    let undecided = format!("#ifdef CONFIG_NOTHING_DECIDES\n{restore_first}#endif\n");
    assert!(irqs_on(&generic_mutant(file, &[(unlock, &undecided)])), "undecided: the case with more interleavings");
}

#[test]
fn a_hook_the_generic_code_calls_through_a_helper_is_never_missed() {
    let call = "\tarch_kmap_local_post_map(vaddr, pteval);\n";
    let helper = "static inline void kmap_local_flush(unsigned long vaddr, pte_t pteval)\n{\n\tarch_kmap_local_post_map(vaddr, pteval);\n}\n\nvoid *__kmap_local_pfn_prot(";
    let (c, status) = arm_under_generic_mutant(&[
        (call, "\tkmap_local_flush(vaddr, pteval);\n"),
        ("void *__kmap_local_pfn_prot(", helper),
    ]);
    // Read from the map function's own body, the flush is not called at
    // all and arm would be refuted for a flush it has.
    assert_eq!(status, Status::Unmodelled);
    let what = c.undecided.join("\n");
    assert!(
        what.contains("__kmap_local_pfn_prot() calls kmap_local_flush(), which reaches arch_kmap_local_post_map"),
        "{what}"
    );
    // Through macros: an alias of the hook's name, and one that expands
    // to the whole call without looking like a call itself.
    let alias = "#define kmap_local_flush arch_kmap_local_post_map\n\nvoid *__kmap_local_pfn_prot(";
    let whole = "#define KMAP_LOCAL_FLUSH arch_kmap_local_post_map(vaddr, pteval)\n\nvoid *__kmap_local_pfn_prot(";
    for (definition, use_) in [(alias, "\tkmap_local_flush(vaddr, pteval);\n"), (whole, "\tKMAP_LOCAL_FLUSH;\n")] {
        let (c, status) = arm_under_generic_mutant(&[(call, use_), ("void *__kmap_local_pfn_prot(", definition)]);
        assert_eq!(status, Status::Unmodelled, "{use_}");
        assert!(c.undecided.join("\n").contains("which reaches arch_kmap_local_post_map"), "{:?}", c.undecided);
    }
    // The hook taken as a value and called through it.
    let (c, status) =
        arm_under_generic_mutant(&[(call, "\tflush = arch_kmap_local_post_map;\n\tflush(vaddr, pteval);\n")]);
    assert_eq!(status, Status::Unmodelled);
    let what = c.undecided.join("\n");
    assert!(what.contains("__kmap_local_pfn_prot() names arch_kmap_local_post_map without calling it"), "{what}");
}
