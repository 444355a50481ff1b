//! The diffstat under a patch's `---` and in a cover letter, laid out as
//! `git format-patch` lays it out (`--stat --summary`, 72 columns).
//!
//! The layout follows git's `show_stats()`: the name column is as wide as
//! the longest path unless the line would pass the width, the graph is
//! scaled so that every changed file gets at least one `+` or `-`, long
//! paths lose their head to `...`.

/// What happened to one file, as the stat shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub path: String,
    pub added: usize,
    pub removed: usize,
    /// `create mode 100644` / `delete mode 100644` for the summary.
    pub summary: Option<ModeChange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeChange {
    Create(u32),
    Delete(u32),
}

/// The width `git format-patch` gives its stat (`MAIL_DEFAULT_WRAP`).
pub const MAIL_WIDTH: usize = 72;

/// The stat lines, the `N files changed` line and the create/delete
/// summary, each ending in `\n`.
pub fn render(files: &[FileStat], width: usize) -> String {
    let max_len = files.iter().map(|f| f.path.chars().count()).max().unwrap_or(0) as i64;
    let max_change = files.iter().map(|f| f.added + f.removed).max().unwrap_or(0) as i64;
    let number_width = decimal_width(max_change);
    let width = (width as i64).max(16 + 6 + number_width);
    let mut graph_width = max_change;
    let mut name_width = max_len;
    if name_width + number_width + 6 + graph_width > width {
        if graph_width > width * 3 / 8 - number_width - 6 {
            graph_width = (width * 3 / 8 - number_width - 6).max(6);
        }
        if name_width > width - number_width - 6 - graph_width {
            name_width = width - number_width - 6 - graph_width;
        } else {
            graph_width = width - number_width - 6 - name_width;
        }
    }
    let mut out = String::new();
    for f in files {
        let (prefix, name, len) = scale_name(&f.path, name_width);
        let padding = (len - name.chars().count() as i64).max(0) as usize;
        let total = (f.added + f.removed) as i64;
        let (mut add, mut del) = (f.added as i64, f.removed as i64);
        if graph_width <= max_change {
            let mut scaled = scale_linear(add + del, graph_width, max_change);
            if scaled < 2 && add > 0 && del > 0 {
                scaled = 2;
            }
            if add < del {
                add = scale_linear(add, graph_width, max_change);
                del = scaled - add;
            } else {
                del = scale_linear(del, graph_width, max_change);
                add = scaled - del;
            }
        }
        out.push_str(&format!(
            " {prefix}{name}{:padding$} | {total:>nw$}{}{}{}\n",
            "",
            if total > 0 { " " } else { "" },
            "+".repeat(add as usize),
            "-".repeat(del as usize),
            nw = number_width as usize,
        ));
    }
    out.push_str(&summary_line(files));
    for f in files {
        match f.summary {
            Some(ModeChange::Create(mode)) => out.push_str(&format!(" create mode {mode:06o} {}\n", f.path)),
            Some(ModeChange::Delete(mode)) => out.push_str(&format!(" delete mode {mode:06o} {}\n", f.path)),
            None => {}
        }
    }
    out
}

/// ` 8 files changed, 32 insertions(+), 148 deletions(-)`.
fn summary_line(files: &[FileStat]) -> String {
    let added: usize = files.iter().map(|f| f.added).sum();
    let removed: usize = files.iter().map(|f| f.removed).sum();
    let n = files.len();
    let mut s = format!(" {n} file{} changed", if n == 1 { "" } else { "s" });
    if added > 0 || removed == 0 {
        s.push_str(&format!(", {added} insertion{}(+)", if added == 1 { "" } else { "s" }));
    }
    if removed > 0 || added == 0 {
        s.push_str(&format!(", {removed} deletion{}(-)", if removed == 1 { "" } else { "s" }));
    }
    s.push('\n');
    s
}

/// A path fitted into `width` columns: `.../tail` when too long, cut at a
/// `/` where one is left. Returns the prefix, the name and the width the
/// name is padded to.
fn scale_name(path: &str, width: i64) -> (&'static str, &str, i64) {
    let len = path.chars().count() as i64;
    if width >= len {
        return ("", path, width);
    }
    let room = (width - 3).max(0);
    let skip = (len - room) as usize;
    let start = path.char_indices().nth(skip).map_or(path.len(), |(i, _)| i);
    let tail = &path[start..];
    let tail = tail.find('/').map_or(tail, |i| &tail[i..]);
    ("...", tail, room)
}

fn decimal_width(n: i64) -> i64 {
    n.max(1).to_string().len() as i64
}

/// git's `scale_linear()`: at least one column for any change.
fn scale_linear(it: i64, width: i64, max_change: i64) -> i64 {
    if it == 0 {
        0
    } else {
        1 + it * (width - 1) / max_change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(path: &str, added: usize, removed: usize, summary: Option<ModeChange>) -> FileStat {
        FileStat { path: path.into(), added, removed, summary }
    }

    #[test]
    fn lays_out_the_arm_port_as_git_format_patch_does() {
        // `git format-patch` of the arm port, output taken from git 2.47.
        let files = [
            stat("arch/arm/Kconfig", 1, 0, None),
            stat("arch/arm/include/asm/fixmap.h", 2, 2, None),
            stat("arch/arm/include/asm/highmem.h", 24, 9, None),
            stat("arch/arm/include/asm/kmap_types.h", 0, 10, Some(ModeChange::Delete(0o100644))),
            stat("arch/arm/mm/Makefile", 0, 1, None),
            stat("arch/arm/mm/cache-feroceon-l2.c", 3, 3, None),
            stat("arch/arm/mm/cache-xsc3l2.c", 2, 2, None),
            stat("arch/arm/mm/highmem.c", 0, 121, Some(ModeChange::Delete(0o100644))),
        ];
        let expect = " arch/arm/Kconfig                  |   1 +
 arch/arm/include/asm/fixmap.h     |   4 +-
 arch/arm/include/asm/highmem.h    |  33 +++++---
 arch/arm/include/asm/kmap_types.h |  10 ---
 arch/arm/mm/Makefile              |   1 -
 arch/arm/mm/cache-feroceon-l2.c   |   6 +-
 arch/arm/mm/cache-xsc3l2.c        |   4 +-
 arch/arm/mm/highmem.c             | 121 ------------------------------
 8 files changed, 32 insertions(+), 148 deletions(-)
 delete mode 100644 arch/arm/include/asm/kmap_types.h
 delete mode 100644 arch/arm/mm/highmem.c
";
        assert_eq!(render(&files, MAIL_WIDTH), expect);
    }

    #[test]
    fn small_changes_are_not_scaled_and_one_file_is_singular() {
        assert_eq!(render(&[stat("h", 1, 0, Some(ModeChange::Create(0o100644)))], MAIL_WIDTH), {
            " h | 1 +\n 1 file changed, 1 insertion(+)\n create mode 100644 h\n"
        });
        assert_eq!(render(&[stat("a/b", 0, 2, None)], MAIL_WIDTH), " a/b | 2 --\n 1 file changed, 2 deletions(-)\n");
    }

    #[test]
    fn long_paths_lose_their_head() {
        let long = format!("arch/{}/mm/highmem.c", "x".repeat(70));
        let out = render(&[stat(&long, 5, 5, None)], MAIL_WIDTH);
        let first = out.lines().next().unwrap();
        assert!(first.starts_with(" .../mm/highmem.c"), "{first}");
        // name column: 72 - 2 (number) - 6 - 10 (graph) = 54 wide.
        assert_eq!(first.find('|'), Some(1 + 54 + 1), "{first}");
    }
}
