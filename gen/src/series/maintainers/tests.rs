//! The reader on a toy MAINTAINERS: globs, folders, exclusions, name and
//! keyword regexes, ordering and merging. The integration tests check
//! the same rules against get_maintainer.pl itself.

use super::*;

const TOY: &str = "\
Intro prose is kept as a line but belongs to no section.
\tM: an indented example is not a field

ARM PORT
M:\tRussell King <linux@armlinux.org.uk>
L:\tlinux-arm-kernel@lists.infradead.org (moderated for non-subscribers)
S:\tOdd Fixes
T:\tgit git://git.armlinux.org.uk/~rmk/linux-arm.git
F:\tarch/arm/
X:\tarch/arm/boot/dts/

ARM MM
M:\tMm Person <mm@example.org>
R:\tH. Peter Reviewer <hpr@example.org>
S:\tMaintained
F:\tarch/arm/mm
F:\tarch/arm/mach.d

HIGHMEM GLOBS
M:\tGlob Person <glob@example.org>
L:\tsubs@example.org (subscribers-only)
S:\tSupported
F:\tarch/*/mm/highmem.c
F:\tarch/arm/include/asm/k?ap*.h
F:\tdrivers/notafolder

NAMED
M:\tName Regex <nr@example.org>
S:\tMaintained
N:\tfixmap

KEYWORDS
M:\tKey Word <kw@example.org>
S:\tMaintained
K:\t\\bkmap_atomic_idx\\b

A SECTION WHOSE NAME IS LONGER THAN FIFTY BYTES, FOR SURE
M:\t\"Doe, Jane\" <jane@example.org>
M:\tOther Person <MM@EXAMPLE.ORG>
L:\tlinux-arm-kernel@LISTS.infradead.org
S:\tBuried alive in reporters
F:\tarch/arm/mm/dma*

THE REST
M:\tLinus Torvalds <torvalds@linux-foundation.org>
L:\tlinux-kernel@vger.kernel.org
S:\tBuried alive in reporters
T:\tgit git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git
F:\t*
F:\t*/
";

/// The toy in a tree with the folders its patterns name.
fn toy(mailmap: &str) -> (tempfile::TempDir, MaintainersFile) {
    let tree = tempfile::tempdir().unwrap();
    for d in ["arch/arm/mm", "arch/arm/mach.d", "arch/arm/boot/dts"] {
        std::fs::create_dir_all(tree.path().join(d)).unwrap();
    }
    let file = MaintainersFile::parse(TOY.as_bytes(), tree.path(), Mailmap::parse(mailmap.as_bytes())).unwrap();
    (tree, file)
}

fn patch(files: &[&str], added: &str) -> String {
    files
        .iter()
        .map(|f| format!("diff --git a/{f} b/{f}\n--- a/{f}\n+++ b/{f}\n@@ -1,1 +1,1 @@\n-old\n+{added}\n"))
        .collect()
}

fn answer(files: &[&str]) -> String {
    toy("").1.for_patch(patch(files, "new").as_bytes()).text()
}

#[track_caller]
fn check(files: &[&str], expected: &str) {
    assert_eq!(answer(files), expected, "files {files:?}");
}

const REST: &str = "linux-kernel@vger.kernel.org (open list)\n\
git git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git\n";

#[test]
fn a_folder_pattern_matches_below_it_and_the_deeper_section_comes_first() {
    check(
        &["arch/arm/mm/init.c"],
        "Mm Person <mm@example.org> (maintainer:ARM MM)\n\
         \"H. Peter Reviewer\" <hpr@example.org> (reviewer:ARM MM)\n\
         Russell King <linux@armlinux.org.uk> (odd fixer:ARM PORT)\n\
         linux-arm-kernel@lists.infradead.org (moderated list:ARM PORT)\n\
         linux-kernel@vger.kernel.org (open list)\n\
         git git://git.armlinux.org.uk/~rmk/linux-arm.git\n\
         git git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git\n",
    );
}

#[test]
fn an_excluded_file_skips_the_section() {
    check(&["arch/arm/boot/dts/board.dts"], REST);
}

#[test]
fn globs_match_one_or_many_bytes_and_need_as_many_slashes() {
    let glob = "Glob Person <glob@example.org> (supporter:HIGHMEM GLOBS)\n";
    assert!(answer(&["arch/xtensa/mm/highmem.c"]).starts_with(glob));
    assert!(answer(&["arch/arm/include/asm/kmap_size.h"]).starts_with(glob));
    assert!(answer(&["arch/arm/include/asm/kxap.h"]).starts_with(glob));
    // `?` needs one byte; a non-folder pattern needs as many slashes.
    assert!(!answer(&["arch/arm/include/asm/kap.h"]).contains("glob@"));
    assert!(!answer(&["arch/xtensa/mm/sub/highmem.c"]).contains("glob@"));
    // A pattern that names no folder is not one: it matches the file alone.
    assert!(answer(&["drivers/notafolder"]).contains("glob@"));
    assert!(!answer(&["drivers/notafolder/x.c"]).contains("glob@"));
}

#[test]
fn a_folder_with_a_dot_in_its_name_is_not_taken_for_a_folder() {
    // The script tests `arch/arm/mach\.d` for a folder, which never is.
    assert!(answer(&["arch/arm/mach.d"]).contains("mm@example.org"));
    assert!(!answer(&["arch/arm/mach.d/x.c"]).contains("mm@example.org"));
}

#[test]
fn a_name_regex_matches_anywhere_in_the_path() {
    assert!(
        answer(&["arch/xtensa/include/asm/fixmap.h"]).starts_with("Name Regex <nr@example.org> (maintainer:NAMED)\n")
    );
}

#[test]
fn keywords_count_on_changed_lines_and_before_the_first_file_only() {
    let (_tree, f) = toy("");
    let kw = "Key Word <kw@example.org> (maintainer:KEYWORDS)\n";
    let changed = patch(&["init/main.c"], "int kmap_atomic_idx;");
    assert!(f.for_patch(changed.as_bytes()).text().starts_with(kw));
    let context = changed.replace("-old\n+int kmap_atomic_idx;", " int kmap_atomic_idx;");
    assert_eq!(f.for_patch(context.as_bytes()).text(), REST);
    let in_message = format!("Subject: drop kmap_atomic_idx\n\n{}", patch(&["init/main.c"], "x"));
    assert!(f.for_patch(in_message.as_bytes()).text().starts_with(kw));
    let not_a_word = patch(&["init/main.c"], "int kmap_atomic_idx2;");
    assert_eq!(f.for_patch(not_a_word.as_bytes()).text(), REST);
}

#[test]
fn people_and_lists_are_named_once_whatever_the_case_and_long_names_are_cut() {
    // The deepest section names MM@EXAMPLE.ORG first: ARM MM's Mm Person
    // has that address and is left out; so is its list in lower case.
    let long = "A SECTION WHOSE NAME IS LONGER THAN FIFTY BYTES...";
    check(
        &["arch/arm/mm/dma-mapping.c"],
        &format!(
            "\"Doe, Jane\" <jane@example.org> (chief penguin:{long})\n\
             Other Person <MM@EXAMPLE.ORG> (chief penguin:{long})\n\
             \"H. Peter Reviewer\" <hpr@example.org> (reviewer:ARM MM)\n\
             Russell King <linux@armlinux.org.uk> (odd fixer:ARM PORT)\n\
             linux-arm-kernel@LISTS.infradead.org (open list:{long})\n\
             linux-kernel@vger.kernel.org (open list)\n\
             git git://git.armlinux.org.uk/~rmk/linux-arm.git\n\
             git git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git\n"
        ),
    );
}

#[test]
fn the_mailmap_renames_and_merges_people() {
    let (_tree, f) = toy("Russell King <rmk@new.org> <linux@armlinux.org.uk>\n");
    let text = f.for_patch(patch(&["arch/arm/kernel/setup.c"], "x").as_bytes()).text();
    assert!(text.starts_with("Russell King <rmk@new.org> (odd fixer:ARM PORT)\n"), "{text}");
}

#[test]
fn files_come_from_every_header_of_the_patch_sorted() {
    let (_tree, f) = toy("");
    let scanned = f.scan_patch(
        b"diff --git a/z.c b/y.c\nrename from z.c\nrename to y.c\n--- /dev/null\n+++ b/new.c\n \
          mode change 100644 => 100755 arch/x.sh\n",
    );
    let files: Vec<String> = scanned.files.into_iter().map(|f| String::from_utf8(f).unwrap()).collect();
    assert_eq!(files, ["arch/x.sh", "dev/null", "new.c", "y.c", "z.c"]);
}

#[test]
fn maintainers_go_to_to_reviewers_and_lists_to_cc() {
    let (_tree, f) = toy("");
    let m = f.for_patch(patch(&["arch/arm/mm/init.c"], "x").as_bytes()).maintainers();
    assert_eq!(m.recipients.to, ["Mm Person <mm@example.org>", "Russell King <linux@armlinux.org.uk>"]);
    assert_eq!(
        m.recipients.cc,
        [
            "\"H. Peter Reviewer\" <hpr@example.org>",
            "linux-arm-kernel@lists.infradead.org",
            "linux-kernel@vger.kernel.org"
        ]
    );
    assert_eq!(m.tree.as_deref(), Some("git git://git.armlinux.org.uk/~rmk/linux-arm.git"));
}

#[test]
fn a_pattern_the_regex_crate_cannot_read_names_its_line() {
    let tree = tempfile::tempdir().unwrap();
    let text = "A\nM:\tA <a@b>\nK:\t(?<=x)y\n";
    let e = MaintainersFile::parse(text.as_bytes(), tree.path(), Mailmap::default()).unwrap_err();
    assert!(format!("{e:#}").contains("line 3: K:\t(?<=x)y"), "{e:#}");
}

#[test]
fn whitespace_inside_brackets_stays_under_perl_x_rules() {
    let re = perl_x_regex("", b"a [ b] c # comment").unwrap();
    assert!(re.is_match(b"a c") && re.is_match(b"abc") && !re.is_match(b"a b c"));
}

#[test]
fn glob_prefix_matching_backtracks_over_stars() {
    let parts = glob_parts(b"a.*b.c").unwrap();
    assert!(glob_prefix_match(&parts, b"axxbyc-tail"));
    assert!(glob_prefix_match(&parts, b"abbbc"));
    assert!(!glob_prefix_match(&parts, b"axxbc"));
    assert!(!glob_prefix_match(&parts, b"a\nbyc"));
    assert_eq!(glob_parts(b"a[bc]"), None);
}

#[test]
fn a_file_pattern_with_regex_syntax_is_anchored_as_perl_anchors_it() {
    let tree = tempfile::tempdir().unwrap();
    // `^x[12]\.c|y`: the anchor binds to the first alternative only.
    let p = FilePattern::new(b"x[12].c|y", tree.path()).unwrap();
    assert!(p.matches(b"x1.c", 0) && p.matches(b"any", 0));
    assert!(!p.matches(b"x3.c", 0) && !p.matches(b"dir/any", 1));
}
