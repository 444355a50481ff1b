//! Who a patch goes to: the tree's own `scripts/get_maintainer.pl`,
//! asked with role statistics so that maintainers go to `To:` and
//! reviewers and lists to `Cc:`, and asked for the SCM tree the patch
//! belongs to (for `--split-per-tree`).
//!
//! The script runs with perl, from the tree, on a copy of the patch in a
//! temporary folder: nothing is written into the tree. `--no-git
//! --no-git-fallback` keeps the answer to the MAINTAINERS file, so it
//! does not depend on the tree's history or on whether it has one.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Serialize;

/// The addresses of one mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// What get_maintainer.pl says about one patch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Maintainers {
    pub recipients: Recipients,
    /// The first SCM tree named (`git git://...`): the most specific one.
    pub tree: Option<String>,
}

/// The flags every run uses: MAINTAINERS only, no history.
pub const BASE_FLAGS: [&str; 2] = ["--no-git", "--no-git-fallback"];

/// Runs the tree's get_maintainer.pl on `patch`.
pub fn get_maintainer(tree: &Path, patch: &[u8]) -> Result<Maintainers> {
    let script = tree.join("scripts/get_maintainer.pl");
    if !script.is_file() {
        bail!("{} has no scripts/get_maintainer.pl to find the recipients with", tree.display());
    }
    let dir = tempfile::Builder::new().prefix("archport-series-").tempdir()?;
    let file = dir.path().join("patch");
    std::fs::write(&file, patch)?;
    Ok(parse(&run(tree, &["--roles", "--scm"], &file)?))
}

/// The SCM kinds a MAINTAINERS `T:` line starts with.
const SCM_KINDS: [&str; 5] = ["git", "hg", "quilt", "stgit", "topgit"];

/// Splits `--roles --scm` output into recipients and the first SCM tree.
pub fn parse(output: &str) -> Maintainers {
    let is_scm = |l: &str| l.split_once(' ').is_some_and(|(kind, _)| SCM_KINDS.contains(&kind)) && !l.ends_with(')');
    let (scm, people): (Vec<&str>, Vec<&str>) =
        output.lines().map(str::trim).filter(|l| !l.is_empty()).partition(|l| is_scm(l));
    Maintainers { recipients: parse_roles(&people.join("\n")), tree: scm.first().map(|t| t.to_string()) }
}

fn run(tree: &Path, flags: &[&str], patch: &Path) -> Result<String> {
    let out = Command::new("perl")
        .arg("scripts/get_maintainer.pl")
        .args(BASE_FLAGS)
        .args(flags)
        .arg(patch)
        .current_dir(tree)
        .stdin(Stdio::null())
        .output()
        .context("running perl scripts/get_maintainer.pl (is perl installed?)")?;
    if !out.status.success() {
        bail!(
            "scripts/get_maintainer.pl {} failed in {}: {}",
            flags.join(" "),
            tree.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("get_maintainer.pl printed something that is not UTF-8")
}

/// Splits `--roles` output: people from `M:` lines (maintainer, supporter,
/// odd fixer, ...) go to `To:`; reviewers and mailing lists to `Cc:`.
/// With no maintainer at all, the first list becomes the `To:`.
pub fn parse_roles(output: &str) -> Recipients {
    let mut r = Recipients::default();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // The role follows the address and may hold parentheses itself:
        // `Name <a@b> (supporter:LINUX FOR POWERPC (32-BIT AND 64-BIT))`.
        let end = line.find('>').map(|i| i + 1).or_else(|| line.find(" (")).unwrap_or(line.len());
        let (address, role) = (line[..end].trim(), line[end..].trim());
        let kind = role.trim_start_matches('(').split([':', ')']).next().unwrap_or("");
        if kind.contains("list") || kind == "reviewer" {
            r.cc.push(address.to_string());
        } else {
            r.to.push(address.to_string());
        }
    }
    if r.to.is_empty() && !r.cc.is_empty() {
        r.to.push(r.cc.remove(0));
    }
    r
}

/// The recipients of a cover letter: everyone any patch goes to, in
/// first-seen order; an address in some patch's `To:` stays in `To:`.
pub fn union<'a>(all: impl IntoIterator<Item = &'a Recipients> + Clone) -> Recipients {
    let mut u = Recipients::default();
    for r in all.clone() {
        for a in &r.to {
            if !u.to.contains(a) {
                u.to.push(a.clone());
            }
        }
    }
    for r in all {
        for a in &r.cc {
            if !u.to.contains(a) && !u.cc.contains(a) {
                u.cc.push(a.clone());
            }
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintainers_go_to_to_and_lists_to_cc() {
        let out = "Michael Ellerman <mpe@ellerman.id.au> (supporter:LINUX FOR POWERPC (32-BIT AND 64-BIT))\n\
Benjamin Herrenschmidt <benh@kernel.crashing.org> (reviewer:LINUX FOR POWERPC (32-BIT AND 64-BIT))\n\
linuxppc-dev@lists.ozlabs.org (open list:LINUX FOR POWERPC (32-BIT AND 64-BIT))\n\
Russell King <linux@armlinux.org.uk> (odd fixer:ARM PORT)\n\
linux-arm-kernel@lists.infradead.org (moderated list:ARM PORT)\n\
x86@kernel.org (maintainer:X86 ARCHITECTURE (32-BIT AND 64-BIT))\n\
linux-kernel@vger.kernel.org (open list)\n";
        let r = parse_roles(out);
        assert_eq!(
            r.to,
            ["Michael Ellerman <mpe@ellerman.id.au>", "Russell King <linux@armlinux.org.uk>", "x86@kernel.org"]
        );
        assert_eq!(
            r.cc,
            [
                "Benjamin Herrenschmidt <benh@kernel.crashing.org>",
                "linuxppc-dev@lists.ozlabs.org",
                "linux-arm-kernel@lists.infradead.org",
                "linux-kernel@vger.kernel.org"
            ]
        );
        let lists_only = parse_roles("a@lists.org (open list:A)\nb@lists.org (open list)\n");
        assert_eq!((lists_only.to, lists_only.cc), (vec!["a@lists.org".to_string()], vec!["b@lists.org".to_string()]));
    }

    #[test]
    fn scm_lines_name_the_tree() {
        let m = parse("Russell King <linux@armlinux.org.uk> (odd fixer:ARM PORT)\nlinux-kernel@vger.kernel.org (open list)\ngit git://git.armlinux.org.uk/~rmk/linux-arm.git\ngit git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git\n");
        assert_eq!(m.tree.as_deref(), Some("git git://git.armlinux.org.uk/~rmk/linux-arm.git"));
        assert_eq!(m.recipients.to, ["Russell King <linux@armlinux.org.uk>"]);
        assert_eq!(m.recipients.cc, ["linux-kernel@vger.kernel.org"]);
    }

    #[test]
    fn the_union_keeps_order_and_never_repeats() {
        let a = Recipients { to: vec!["A <a@x>".into()], cc: vec!["l@x".into(), "B <b@x>".into()] };
        let b = Recipients { to: vec!["B <b@x>".into()], cc: vec!["l@x".into(), "m@x".into()] };
        let u = union([&a, &b]);
        assert_eq!(u.to, ["A <a@x>", "B <b@x>"]);
        assert_eq!(u.cc, ["l@x", "m@x"]);
    }
}
