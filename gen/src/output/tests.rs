//! The output folder's promises, each broken on purpose.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs.iter().map(|(p, b)| (p.to_string(), b.as_bytes().to_vec())).collect()
}

fn open(dir: &Path, force: bool) -> Result<OutputDir> {
    OutputDir::open("--out", dir, &Inputs::default(), force)
}

fn everything(_: &str) -> bool {
    true
}

#[test]
fn a_folder_with_files_archport_did_not_write_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("arm/kernel")).unwrap();
    std::fs::write(dir.path().join("arm/kernel/entry.S"), "user's own").unwrap();
    let err = open(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("holds 1 file(s) archport did not write") && err.contains("arm/kernel/entry.S"), "{err}");

    // With --force archport writes beside the file and still never deletes it.
    let mut out = open(dir.path(), true).unwrap();
    out.replace(&files(&[("arm.diff", "diff")]), everything).unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("arm/kernel/entry.S")).unwrap(), "user's own");
}

#[test]
fn only_files_archport_wrote_and_left_unchanged_are_deleted_as_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = open(dir.path(), false).unwrap();
    out.replace(&files(&[("arm/a.c", "a"), ("arm/b.c", "b"), ("x86/c.c", "c")]), everything).unwrap();
    drop(out);
    std::fs::write(dir.path().join("arm/b.c"), "edited by hand").unwrap();

    let mut out = open(dir.path(), true).unwrap();
    out.replace(&files(&[("arm/new.c", "n")]), |rel| rel.starts_with("arm/")).unwrap();
    assert!(!dir.path().join("arm/a.c").exists(), "archport's own stale file goes");
    assert_eq!(std::fs::read_to_string(dir.path().join("arm/b.c")).unwrap(), "edited by hand", "an edited file stays");
    assert!(dir.path().join("x86/c.c").exists(), "outside the scope nothing goes");
    assert!(dir.path().join("arm/new.c").exists());
}

#[test]
fn a_file_edited_after_archport_wrote_it_is_the_users() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path(), false).unwrap().replace(&files(&[("a.c", "a")]), everything).unwrap();
    std::fs::write(dir.path().join("a.c"), "mine now").unwrap();
    let err = open(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("(or that changed since): a.c"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("a.c")).unwrap(), "mine now");
}

#[test]
fn a_symbolic_link_below_the_folder_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut out = open(dir.path(), false).unwrap();
    out.replace(&files(&[("csky/keep", "k")]), everything).unwrap();
    drop(out);
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("csky/arch")).unwrap();
    let mut out = open(dir.path(), true).unwrap();
    let err = out.replace(&files(&[("csky/arch/csky/mm/highmem.c", "x")]), everything).unwrap_err().to_string();
    assert!(err.contains("csky/arch is a symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0, "nothing lands where the link points");
}

#[test]
fn an_interrupted_batch_is_still_recognised() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path(), false).unwrap().replace(&files(&[("a.c", "old")]), everything).unwrap();
    // As a kill after the pending manifest and the new file were written.
    let mut m = Manifest::read(dir.path()).unwrap();
    m.complete = false;
    m.also("a.c", manifest::hash(b"new"));
    m.also("b.c", manifest::hash(b"b"));
    m.write(dir.path()).unwrap();
    std::fs::write(dir.path().join("a.c"), "new").unwrap();
    let mut out = open(dir.path(), false).expect("a half-written batch is archport's own");
    out.replace(&files(&[("a.c", "newer")]), everything).unwrap();
    let m = Manifest::read(dir.path()).unwrap();
    assert!(m.complete && m.lists("a.c", &manifest::hash(b"newer")) && !m.lists("a.c", &manifest::hash(b"new")));
    assert_eq!(m.paths().collect::<Vec<_>>(), ["a.c"], "b.c was never written, so it is forgotten");
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path(), false).unwrap();
    let err = open(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("another archport is writing into"), "{err}");
}

#[test]
fn files_recorded_by_a_folder_around_or_below_count_as_archports() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path(), false)
        .unwrap()
        .replace(&files(&[("series/0001-a.patch", "a"), ("report.html", "r")]), everything)
        .unwrap();
    // `series --out OUT/series` finds OUT's manifest above it.
    let mut series = open(&dir.path().join("series"), false).unwrap();
    series.replace(&files(&[("0001-b.patch", "b")]), everything).unwrap();
    assert!(!dir.path().join("series/0001-a.patch").exists(), "the old patch was archport's: stale");
    drop(series);
    // `run --out OUT` finds the series folder's own manifest below it.
    let out = open(dir.path(), false).expect("everything here is archport's");
    assert_eq!(out.owned().unwrap().keys().collect::<Vec<_>>(), ["report.html", "series/0001-b.patch"]);
}

#[test]
fn a_single_file_is_replaced_only_when_it_looks_like_archports() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("review.html");
    std::fs::write(&page, "my notes").unwrap();
    let is_ours = |b: &[u8]| b.starts_with(b"<!-- archport -->");
    let err = write_file("--html", &page, b"<!-- archport -->new", &Inputs::default(), false, is_ours).unwrap_err();
    assert!(err.to_string().contains("archport did not write it"), "{err}");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "my notes");
    write_file("--html", &page, b"<!-- archport -->new", &Inputs::default(), true, is_ours).unwrap();
    write_file("--html", &page, b"<!-- archport -->newer", &Inputs::default(), false, is_ours).unwrap();
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "<!-- archport -->newer");
}

#[test]
fn a_file_already_as_it_should_be_is_not_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = open(dir.path(), false).unwrap();
    out.replace(&files(&[("arm/a.c", "a"), ("arm/b.c", "b")]), everything).unwrap();
    let inode = |rel: &str| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.path().join(rel)).unwrap());
    let (a, b) = (inode("arm/a.c"), inode("arm/b.c"));
    out.replace(&files(&[("arm/a.c", "a"), ("arm/b.c", "b2")]), everything).unwrap();
    assert_eq!(inode("arm/a.c"), a, "the unchanged file is the same file, not a renamed copy");
    assert_ne!(inode("arm/b.c"), b, "the changed file is replaced");
    drop(out);
    let out = open(dir.path(), false).unwrap();
    assert_eq!(out.owned().unwrap(), files(&[("arm/a.c", "a"), ("arm/b.c", "b2")]), "both are still archport's");
}

#[test]
fn a_batch_refused_leaves_the_other_batches_written_and_its_own_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = open(dir.path(), false).unwrap();
    out.replace(&files(&[("arm/old.c", "o"), ("x86/old.c", "o")]), everything).unwrap();
    drop(out);
    // A file of the user's where the x86 batch writes, with --force off
    // for that path (opened with --force, then the file appears).
    let mut out = open(dir.path(), true).unwrap();
    out.force = false;
    std::fs::write(dir.path().join("x86/new.c"), "the user's").unwrap();
    let (arm, x86) = (files(&[("arm/new.c", "a")]), files(&[("x86/new.c", "x")]));
    let in_arm = |rel: &str| rel.starts_with("arm/");
    let in_x86 = |rel: &str| rel.starts_with("x86/");
    let results = out.replace_each(&[Batch { files: &arm, scope: &in_arm }, Batch { files: &x86, scope: &in_x86 }]);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let err = results[1].as_ref().unwrap_err().to_string();
    assert!(err.contains("x86/new.c exists and archport did not write it"), "{err}");
    assert!(dir.path().join("arm/new.c").exists() && !dir.path().join("arm/old.c").exists(), "arm written");
    assert_eq!(std::fs::read_to_string(dir.path().join("x86/new.c")).unwrap(), "the user's");
    assert!(dir.path().join("x86/old.c").exists(), "a refused batch deletes nothing");
}

#[test]
fn a_file_another_batch_writes_is_never_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = open(dir.path(), false).unwrap();
    out.replace(&files(&[("shared.c", "1")]), everything).unwrap();
    let (first, second) = (files(&[("a.c", "a")]), files(&[("shared.c", "2")]));
    let results =
        out.replace_each(&[Batch { files: &first, scope: &everything }, Batch { files: &second, scope: &everything }]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("shared.c")).unwrap(), "2");
}

#[test]
fn an_output_folder_replaced_by_a_link_after_opening_is_not_written_through() {
    let top = tempfile::tempdir().unwrap();
    let (dir, elsewhere) = (top.path().join("out"), top.path().join("elsewhere"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut out = open(&dir, false).unwrap();
    std::fs::rename(&dir, top.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
    let err = out.replace(&files(&[("a.c", "a")]), everything).unwrap_err().to_string();
    assert!(err.contains("was moved or replaced by a link"), "{err}");
    assert!(!elsewhere.join("a.c").exists());
}

#[test]
fn no_batch_to_write_leaves_no_folder() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("out");
    assert!(open(&dir, false).unwrap().replace_each(&[]).is_empty());
    assert!(!dir.exists(), "an already-ported tree makes no output folder");
}
