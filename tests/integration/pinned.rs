//! Pins every file archport generates from the fetched tree (the ten
//! ports' files and diffs, and the patch series) by its SHA-256, as the
//! kernel's scripts/atomic/check-atomics.sh pins generated headers: a
//! byte change anywhere fails here, even in a file the fidelity check
//! calls "equivalent". Only hashes are committed, never kernel source.
//!
//! After reviewing a deliberate change, refresh the pins with
//! `ARCHPORT_UPDATE_PINS=1 tests/run pinned`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use archport::arch::Arch;
use archport::output::port_layout;
use archport::series::assemble::{self, SeriesOptions};
use archport::series::manifest::{self, Manifest};
use archport::series::recipients::{RecipientFinder, RecipientSource};
use sha2::{Digest, Sha256};

use crate::support::kernel;

fn pins_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/pinned/outputs.sha256")
}

/// Every generated file, by the path `archport run` gives it under OUT.
pub fn generated() -> BTreeMap<String, Vec<u8>> {
    let k = kernel();
    let templates = archport::descriptor::templates_root(None);
    let mut files = BTreeMap::new();
    let mut ported = Vec::new();
    for arch in Arch::ALL {
        let p = archport::pipeline::port_arch(arch, &k.pre_port, &templates).unwrap_or_else(|e| panic!("{e:#}"));
        for (rel, bytes) in port_layout::files(&p.port) {
            files.insert(format!("ports/{rel}"), bytes);
        }
        ported.push(p);
    }
    let manifest = Manifest::load(&manifest::default_dir()).unwrap();
    let finder = RecipientFinder::new(RecipientSource::Maintainers, &k.pre_port).unwrap();
    let patches = assemble::gather(&manifest, &ported, &k.pre_port, |p| finder.recipients(p)).unwrap();
    let opts = SeriesOptions::new(
        archport::series::format_patch::Identity::parse("A U Thor <author@example.org>").unwrap(),
        assemble::date(None, &k.pre_port).unwrap(),
        None,
    );
    let series = assemble::assemble(&manifest, patches, &opts, &assemble::RangeDiffs::default()).unwrap();
    for (rel, bytes) in assemble::files(&series) {
        files.insert(format!("series/{rel}"), bytes);
    }
    files
}

fn render(version: &str, files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut out = format!(
        "# SHA-256 of every file archport generates from linux-source-5.10 {version}\n\
         # (tests/integration/pinned.rs; refresh with ARCHPORT_UPDATE_PINS=1 after review)\n"
    );
    for (path, bytes) in files {
        let _ = writeln!(out, "{:x}  {path}", Sha256::digest(bytes));
    }
    out
}

#[test]
fn every_generated_file_matches_its_pinned_hash() {
    let now = render(&kernel().version, &generated());
    let path = pins_file();
    if std::env::var_os("ARCHPORT_UPDATE_PINS").is_some() {
        std::fs::write(&path, &now).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    if pinned == now {
        return;
    }
    let entries = |t: &str| -> BTreeMap<String, String> {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once("  ").map(|(h, p)| (p.to_string(), h.to_string())))
            .collect()
    };
    let (old, new) = (entries(&pinned), entries(&now));
    let mut report = String::new();
    for (p, h) in &new {
        match old.get(p) {
            None => report.push_str(&format!("  new      {p}\n")),
            Some(o) if o != h => report.push_str(&format!("  changed  {p}\n")),
            _ => {}
        }
    }
    for p in old.keys().filter(|p| !new.contains_key(*p)) {
        report.push_str(&format!("  gone     {p}\n"));
    }
    let header = |t: &str| t.lines().next().unwrap_or("").to_string();
    if report.is_empty() {
        report = format!("  the kernel differs: pinned `{}`, now `{}`\n", header(&pinned), header(&now));
    }
    panic!(
        "generated files differ from {}:\n{report}review the change (archport port / series), then refresh with \
         ARCHPORT_UPDATE_PINS=1 tests/run pinned",
        path.display()
    );
}
