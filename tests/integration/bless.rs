//! `check --golden-dir` and `--bless`: the blessed-output workflow.

use crate::support::{archport, assert_status, stderr, stdout};

#[test]
fn bless_then_check_round_trips_and_an_edit_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden");
    let g = golden.to_str().unwrap();

    // Nothing blessed yet: every file is new, check fails.
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g, "--quiet"]);
    assert_status(&o, 1);
    assert!(stdout(&o).contains("new arm/arch/arm/Kconfig"), "{}", stdout(&o));

    let o = archport(&["check", "--arch", "arm", "--golden-dir", g, "--bless", "--quiet"]);
    assert_status(&o, 0);
    assert!(golden.join("arm/arch/arm/Kconfig").is_file() && golden.join("arm.diff").is_file());
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", g]), 0);

    // A hand edit to one golden: check exits 1 and shows the diff.
    let kconfig = golden.join("arm/arch/arm/include/asm/fixmap.h");
    let text = std::fs::read_to_string(&kconfig).unwrap().replace("KM_MAX_IDX", "KM_TYPE_NR");
    std::fs::write(&kconfig, text).unwrap();
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("changed arm/arch/arm/include/asm/fixmap.h"), "{out}");
    assert!(out.contains("-\tFIX_KMAP_END = FIX_KMAP_BEGIN + (KM_TYPE_NR * NR_CPUS) - 1,"), "{out}");
    assert!(out.contains("+\tFIX_KMAP_END = FIX_KMAP_BEGIN + (KM_MAX_IDX * NR_CPUS) - 1,"), "{out}");

    // A stray file is reported too. Both it and the hand edit are the
    // user's now: blessing over them takes --force, and the stray file
    // stays (archport deletes only what it wrote).
    std::fs::write(golden.join("arm/arch/arm/stale.h"), "x\n").unwrap();
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g, "--quiet"]);
    assert!(stdout(&o).contains("gone arm/arch/arm/stale.h"), "{}", stdout(&o));
    let o = archport(&["check", "--arch", "arm", "--golden-dir", g, "--bless", "--quiet"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("arm/arch/arm/include/asm/fixmap.h, arm/arch/arm/stale.h"), "{}", stderr(&o));
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", g, "--bless", "--quiet", "--force"]), 0);
    assert!(golden.join("arm/arch/arm/stale.h").exists(), "not archport's, so not deleted");
    std::fs::remove_file(golden.join("arm/arch/arm/stale.h")).unwrap();
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", g]), 0);

    // A file archport blessed and no longer generates goes with the next bless.
    let feroceon = golden.join("arm/arch/arm/mm/cache-feroceon-l2.c");
    assert!(feroceon.is_file());
    let tpl = crate::support::templates_copy();
    let desc = tpl.path().join("arm/port.toml");
    let text = std::fs::read_to_string(&desc).unwrap();
    let (head, rest) = text.split_once("[[file]]\npath = \"arch/arm/mm/cache-feroceon-l2.c\"").unwrap();
    let tail = &rest[rest.find("[[file]]").unwrap()..];
    std::fs::write(&desc, format!("{head}{tail}")).unwrap();
    let t = tpl.path().to_str().unwrap();
    assert_status(&archport(&["check", "--arch", "arm", "--golden-dir", g, "--bless", "--quiet", "--templates", t]), 0);
    assert!(!feroceon.exists(), "archport's own stale file is removed");
}
