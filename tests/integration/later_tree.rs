//! Any real tree: Debian's linux-source-6.1 (a later kernel, already
//! ported, without nds32, with the set_pte hook), and the base 5.10 tree
//! (no generic kmap_local code at all).

use archport::arch::Arch;
use archport::descriptor;
use archport::verify::{self, contract, Status, TreePort};
use archport_generic::model::{Bounds, Call};
use archport_generic::{Effect, Hook};

use crate::support::{archport, assert_status, kernel, stderr, stdout, tree_6_1};

#[test]
fn verify_on_6_1_reads_its_own_generic_code_and_names_what_is_not_there() {
    let t = tree_6_1().to_str().unwrap();
    let o = archport(&["verify", "--format", "json", "--tree", t]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    let status =
        |arch: &str| json["arches"].as_array().unwrap().iter().find(|a| a["arch"] == arch).unwrap()["status"].clone();
    assert_eq!(status("nds32"), "not_in_tree");
    for arch in ["mips", "powerpc"] {
        assert_eq!(status(arch), "proved", "{arch}: its set_pte hook is read and checked: {json}");
    }
    assert!(
        json["contract"].as_str().unwrap().contains("set_pte, post_map"),
        "the map path writes through the hook: {}",
        json["contract"]
    );
    let sparc = json["arches"].as_array().unwrap().iter().find(|a| a["arch"] == "sparc").unwrap();
    let notes = sparc["notes"].to_string();
    assert!(notes.contains("defines arch_kmap_local_pre_map, which this tree's generic code never calls"), "{notes}");
    // The exit status comes from the nine arches that are there.
    let failing = json["arches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| !matches!(a["status"].as_str(), Some("proved" | "not_in_tree")));
    assert_status(&o, if failing { 1 } else { 0 });

    let o = archport(&["verify", "--quiet", "--tree", t, "--arch", "nds32"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("nds32: is not in this tree"), "{}", stderr(&o));
}

#[test]
fn a_set_pte_hook_that_writes_nothing_is_a_counterexample() {
    let t = tree_6_1();
    let spec = descriptor::load(&descriptor::templates_root(None), Arch::Mips).unwrap();
    let c = contract::read(t).unwrap().contract;
    assert!(c.map.contains(&Call::Hook(Hook::SetPte)));
    let mut files = verify::hook_files(t, &spec).unwrap();
    let port = verify::read_port(&spec, &files, &c).unwrap();
    assert_eq!(port.normal.effects(Hook::SetPte), [Effect::PteWrite]);
    let header = &mut files.files[0].1;
    let text = String::from_utf8(header.clone()).unwrap();
    let from = "#define arch_kmap_local_set_pte(mm, vaddr, ptep, ptev)\tset_pte(ptep, ptev)";
    assert!(text.contains(from));
    *header =
        text.replace(from, "#define arch_kmap_local_set_pte(mm, vaddr, ptep, ptev)\tdo { } while (0)").into_bytes();
    let port = verify::read_port(&spec, &files, &c).unwrap();
    let v = verify::check(Arch::Mips, &port, &c, &Bounds::standard()).unwrap();
    assert_eq!(v.status(), Status::Counterexample, "{v:?}");
}

/// mips, read from a linked copy of the 6.1 tree whose `mm/highmem.c`
/// has `from` replaced by `to`, checked against that tree's own contract
/// (which `sees` must accept).
fn mips_on_6_1_with_highmem_edited(
    from: &str,
    to: &str,
    sees: impl Fn(&archport_generic::model::Contract) -> bool,
) -> Status {
    let top = tempfile::tempdir().unwrap();
    let tree = top.path().join("tree");
    archport::kernel::trees::link_tree(tree_6_1(), &tree).unwrap();
    let highmem = tree.join("mm/highmem.c");
    let text = std::fs::read_to_string(&highmem).unwrap();
    // A new file, not a write through the hard link into the cache.
    std::fs::remove_file(&highmem).unwrap();
    let edited = text.replacen(from, to, 1);
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&highmem, edited).unwrap();
    let c = contract::read(&tree).unwrap().contract;
    assert!(sees(&c), "the edited generic code is what is read: {c}");
    let spec = descriptor::load(&descriptor::templates_root(None), Arch::Mips).unwrap();
    let TreePort::Read(port) = verify::tree_port(&spec, &tree, &c).unwrap() else { panic!("mips reads") };
    verify::check(Arch::Mips, &port, &c, &Bounds::standard()).unwrap().status()
}

#[test]
fn a_generic_code_that_lost_a_call_is_checked_as_it_is() {
    // Without its post_unmap call the tree's contract has none, and
    // ports that need one break.
    let status = mips_on_6_1_with_highmem_edited(
        "\tpte_clear(&init_mm, addr, kmap_pte);\n\tarch_kmap_local_post_unmap(addr);\n",
        "\tpte_clear(&init_mm, addr, kmap_pte);\n",
        |c| !c.unmap.contains(&Call::Hook(Hook::PostUnmap)),
    );
    assert_eq!(status, Status::Counterexample, "mips needs its post_unmap flush");
}

#[test]
fn port_on_a_later_or_an_earlier_tree_says_what_is_there() {
    let out = tempfile::tempdir().unwrap();
    let o = archport(&["port", "--tree", tree_6_1().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_status(&o, 0);
    assert!(
        stdout(&o).contains("nds32       not in this tree") && stdout(&o).contains("mips        already ported"),
        "{}",
        stdout(&o)
    );

    let base = kernel().base.to_str().unwrap().to_string();
    let o = archport(&["port", "--quiet", "--tree", &base, "--out", out.path().to_str().unwrap()]);
    assert_status(&o, 2);
    assert!(
        stderr(&o).contains("has no generic kmap_local code to port to: mm/Kconfig has no `config KMAP_LOCAL`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn a_generic_code_without_migrate_disable_breaks_a_port_that_was_right() {
    let status = mips_on_6_1_with_highmem_edited(
        "\tmigrate_disable();\n\tpreempt_disable();\n\tidx = arch_kmap_local_map_idx",
        "\tpreempt_disable();\n\tidx = arch_kmap_local_map_idx",
        |c| !c.migrate_disable,
    );
    assert_eq!(status, Status::Counterexample, "a mapping that migrates with its task");
}
