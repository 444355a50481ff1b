//! `archport run`: the README's main command, end to end.

use crate::support::{archport, assert_status, edit, read_tree, stderr, stdout, templates_copy};

#[test]
fn run_writes_ports_series_and_report_and_prints_one_table() {
    let out = tempfile::tempdir().unwrap();
    let o = archport(&["run", "--out", out.path().to_str().unwrap(), "--signoff", "A U Thor <author@example.org>"]);
    assert_status(&o, 0);
    let text = stdout(&o);
    for arch in archport::arch::Arch::ALL {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{:<11} ", arch.name())))
            .unwrap_or_else(|| panic!("no row for {arch}:\n{text}"));
        assert!(row.contains("proved") && row.contains(".patch"), "{row}");
        assert!(["equivalent", "identical", "justified"].iter().any(|v| row.contains(v)), "{row}");
    }
    // Each justified arch has its reasons beside it, within 80 columns.
    for (arch, reason) in [
        ("microblaze", "    justified: arch/microblaze/mm/init.c: the golden file does not preprocess"),
        ("mips", "    justified: arch/mips/kernel/crash_dump.c: the golden copy_oldmem_page()"),
        ("sparc", "    justified: arch/sparc/include/asm/highmem.h: the golden hooks fail the"),
    ] {
        let row = text.find(&format!("\n{arch:<11} ")).unwrap_or_else(|| panic!("no row for {arch}"));
        let next = text[row + 1..].find('\n').unwrap() + row + 2;
        assert!(text[next..].starts_with(reason), "{arch}: no reason under its row:\n{text}");
    }
    for line in text.lines().filter(|l| l.starts_with("    ")) {
        assert!(line.chars().count() <= 80, "longer than 80 columns: {line}");
    }
    assert!(out.path().join("report.html").is_file());

    // `run`'s report shows each patch as `report`'s does.
    let alone = tempfile::tempdir().unwrap();
    let html = alone.path().join("review.html");
    assert_status(&archport(&["report", "--quiet", "--html", html.to_str().unwrap()]), 0);
    let patches = |page: &str| -> Vec<String> {
        page.split("<pre class=\"patch\">").skip(1).map(|p| p[..p.find("</pre>").unwrap()].to_string()).collect()
    };
    let (ours, theirs) =
        (std::fs::read_to_string(out.path().join("report.html")).unwrap(), std::fs::read_to_string(&html).unwrap());
    assert_eq!(patches(&ours).len(), 10);
    assert!(patches(&ours) == patches(&theirs), "run's report shows other patches than report's");
    assert!(out.path().join("series/0000-cover-letter.patch").is_file());
    assert_eq!(std::fs::read_dir(out.path().join("series")).unwrap().count(), 11);
    assert!(
        out.path().join("ports/arm.diff").is_file()
            && out.path().join("ports/sparc/arch/sparc/include/asm/highmem.h").is_file()
    );

    let o = archport(&[
        "run",
        "--quiet",
        "--format",
        "json",
        "--out",
        out.path().to_str().unwrap(),
        "--signoff",
        "A U Thor <author@example.org>",
    ]);
    assert_status(&o, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["arches"].as_array().unwrap().len(), 10);

    // A run that fails for one arch changes nothing in OUT: no new ports
    // beside the old series and report.
    let before = read_tree(out.path());
    let tpl = templates_copy();
    edit(&tpl.path().join("x86/port.toml"), "name = \"kmap_atomic_pfn\"", "name = \"no_such_function\"");
    let o = archport(&[
        "run",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
        "--templates",
        tpl.path().to_str().unwrap(),
        "--signoff",
        "Someone Else <else@example.org>",
    ]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("x86: arch/x86/"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing is written"), "{}", stderr(&o));
    assert_eq!(read_tree(out.path()), before, "OUT is as the last whole run left it");
}
