//! archport never loses a user's file (issue 10, items 1-5 and 14): it
//! deletes and replaces only what it wrote, never writes into an input
//! by any spelling of its path, never follows a link below its output
//! folder, never replaces a non-regular file, and takes one writer per
//! folder at a time.

use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::Output;

use crate::support::{archport, assert_status, kernel, read_tree, stderr};

#[track_caller]
fn refused(o: &Output, needle: &str) {
    assert_status(o, 2);
    let err = stderr(o);
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A folder that looks like a kernel checkout's `arch/`, with files of
/// the user's own.
fn users_arch_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["arm/Kconfig", "arm/mm/highmem.c", "arm/kernel/entry.S", "csky/Kconfig"] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("the user's {f}\n")).unwrap();
    }
    dir
}

#[test]
fn port_into_a_folder_of_the_users_own_deletes_nothing() {
    let arch = users_arch_folder();
    let before = read_tree(arch.path());
    refused(&archport(&["port", "--quiet", "--arch", "arm", "--out", s(arch.path())]), "archport did not write");
    assert_eq!(read_tree(arch.path()), before, "refused: nothing touched");

    // With --force archport writes beside the user's files and deletes none.
    assert_status(&archport(&["port", "--quiet", "--arch", "arm", "--out", s(arch.path()), "--force"]), 0);
    let after = read_tree(arch.path());
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path} survives");
    }
    assert!(after.contains_key("arm.diff"));
    // The user's files are still there, so the folder still needs --force.
    refused(&archport(&["port", "--quiet", "--arch", "arm", "--out", s(arch.path())]), "archport did not write");
}

#[test]
fn bless_refuses_a_folder_it_did_not_write_and_any_input_tree() {
    let arch = users_arch_folder();
    let before = read_tree(arch.path());
    let o = archport(&["check", "--quiet", "--arch", "csky", "--golden-dir", s(arch.path()), "--bless"]);
    refused(&o, "archport did not write");
    assert_eq!(read_tree(arch.path()), before);

    let k = kernel();
    let inside = k.pre_port.join("arch");
    let o = archport(&["check", "--quiet", "--arch", "csky", "--golden-dir", s(&inside), "--bless"]);
    refused(&o, "inside the input tree");
}

#[test]
fn series_keeps_a_patch_of_the_users_own() {
    let out = tempfile::tempdir().unwrap();
    let mine = out.path().join("0001-my-work.patch");
    std::fs::write(&mine, "my work\n").unwrap();
    let signoff = "A U Thor <author@example.org>";
    let args = ["series", "--quiet", "--arch", "csky", "--signoff", signoff, "--out", s(out.path())];
    refused(&archport(&args), "0001-my-work.patch");
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_status(&archport(&forced), 0);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my work\n");
    assert!(out.path().join("0001-csky-mm-highmem-Switch-to-generic-kmap-atomic.patch").is_file());
}

/// `mkfifo`, for the tests that need a FIFO.
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(s(path)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn report_never_replaces_a_fifo_a_link_or_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.html");
    mkfifo(&fifo);
    refused(&archport(&["report", "--quiet", "--arch", "csky", "--html", s(&fifo)]), "is a FIFO");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

    let target = dir.path().join("notes.html");
    std::fs::write(&target, "my notes").unwrap();
    let link = dir.path().join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    refused(&archport(&["report", "--quiet", "--arch", "csky", "--html", s(&link), "--force"]), "symbolic link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "my notes");

    // A page the user wrote is not replaced without --force.
    refused(&archport(&["report", "--quiet", "--arch", "csky", "--html", s(&target)]), "archport did not write it");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "my notes");

    // A device node of our own, like /dev/full (needs root: skipped otherwise).
    let dev = dir.path().join("full");
    let c = std::ffi::CString::new(s(&dev)).unwrap();
    // SAFETY: a valid path; makedev(1, 7) is /dev/full's device number.
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 7)) } != 0 {
        eprintln!("skipped the device node: mknod needs root");
        return;
    }
    refused(&archport(&["report", "--quiet", "--arch", "csky", "--html", s(&dev), "--force"]), "is a device");
    assert!(std::fs::symlink_metadata(&dev).unwrap().file_type().is_char_device());
}

#[test]
fn every_spelling_of_a_path_into_the_input_tree_is_refused() {
    let k = kernel();
    let pre = &k.pre_port;
    let top = pre.parent().unwrap();
    let name = pre.file_name().unwrap().to_str().unwrap();
    let dotted = format!("{}/../{name}/out", s(&top.join("golden")));
    let link_dir = tempfile::tempdir().unwrap();
    let link = link_dir.path().join("tree");
    std::os::unix::fs::symlink(pre, &link).unwrap();
    let via_link = link.join("out");
    for out in [dotted.as_str(), s(&via_link)] {
        refused(&archport(&["port", "--quiet", "--arch", "csky", "--out", out]), "inside the input tree");
    }
    refused(
        &archport(&["report", "--quiet", "--arch", "csky", "--html", s(&pre.join("r.html"))]),
        "inside the input tree",
    );

    // `--tree ..` with a relative `--out`, from inside the tree.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_archport"))
        .args(["port", "--quiet", "--arch", "csky", "--tree", "..", "--out", "out"])
        .current_dir(pre.join("arch"))
        .env("ARCHPORT_CACHE", crate::support::cache_root())
        .output()
        .unwrap();
    refused(&o, "inside the input tree");
    assert!(!pre.join("arch/out").exists());
}

#[test]
fn a_link_below_the_output_folder_is_never_followed() {
    let out = tempfile::tempdir().unwrap();
    assert_status(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path())]), 0);
    let elsewhere = tempfile::tempdir().unwrap();
    let arch = out.path().join("csky/arch");
    std::fs::rename(&arch, out.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), &arch).unwrap();
    // The link is not archport's: refused at once; with --force, refused at the link.
    refused(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path())]), "archport did not write");
    refused(
        &archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path()), "--force"]),
        "csky/arch is a symbolic link",
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0, "nothing lands where the link points");
}

#[test]
fn a_second_writer_into_the_same_folder_is_refused() {
    let out = tempfile::tempdir().unwrap();
    assert_status(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path())]), 0);
    let lock = std::fs::File::open(out.path()).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    refused(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path())]), "another archport");
    drop(lock);
    assert_status(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(out.path())]), 0);
}

#[test]
fn a_manifest_another_user_left_above_the_folder_claims_nothing() {
    // archport writes T (its manifest lists T/arm/...), then the manifest
    // becomes another user's, as one left in a shared /tmp would be.
    let top = tempfile::tempdir().unwrap();
    assert_status(&archport(&["port", "--quiet", "--arch", "arm", "--out", s(top.path())]), 0);
    let manifest = top.path().join(".archport-manifest");
    let c = std::ffi::CString::new(s(&manifest)).unwrap();
    // SAFETY: chown on a path this test owns; fails unless root.
    if unsafe { libc::chown(c.as_ptr(), 65534, 65534) } != 0 {
        eprintln!("skipped: changing a file's owner needs root");
        return;
    }
    let inner = top.path().join("arm");
    let before = read_tree(&inner);
    // Its files are not this user's archport's to replace or delete.
    refused(&archport(&["port", "--quiet", "--arch", "csky", "--out", s(&inner)]), "archport did not write");
    assert_eq!(read_tree(&inner), before, "nothing under it touched");
}
