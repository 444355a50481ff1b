//! Who a patch goes to, from one of two sources:
//!
//! - [`RecipientSource::Maintainers`] (the default): the tree's
//!   `MAINTAINERS` read in-process by [`super::maintainers`], which runs
//!   no code from the tree and needs no Perl;
//! - [`RecipientSource::GetMaintainerScript`]: the tree's own
//!   `scripts/get_maintainer.pl`, only when the user asks for it, since
//!   it is code from the tree running as the user.
//!
//! Both give the answer of `get_maintainer.pl --no-git --no-git-fallback
//! --roles --scm`: maintainers to `To:`, reviewers and lists to `Cc:`,
//! and the SCM tree the patch belongs to (for `--split-per-tree`).
//! `--no-git --no-git-fallback` keeps the answer to the MAINTAINERS
//! file, so it does not depend on the tree's history.
//!
//! The script runs as [`super::tree_script`] runs the tree's scripts:
//! on a copy of the patch, with a timeout, in a process group that dies
//! with it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

pub use super::addressees::{union, Maintainers, Recipients};
use super::maintainers::MaintainersFile;
use super::tree_script;

/// The flags every run uses: MAINTAINERS only, no history.
pub const BASE_FLAGS: [&str; 2] = ["--no-git", "--no-git-fallback"];

/// How long the tree's script may run on one patch unless told otherwise.
pub const DEFAULT_SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a run's recipients come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecipientSource {
    /// The in-process MAINTAINERS reader: no tree code runs.
    #[default]
    Maintainers,
    /// The tree's `scripts/get_maintainer.pl`, stopped after `timeout`.
    GetMaintainerScript { timeout: Duration },
}

/// Finds the recipients of the patches of one run: MAINTAINERS is read
/// once, when the finder is made.
#[derive(Debug)]
pub struct RecipientFinder {
    tree: PathBuf,
    how: How,
}

#[derive(Debug)]
enum How {
    Reader(Box<MaintainersFile>),
    Script(Duration),
}

impl RecipientFinder {
    pub fn new(source: RecipientSource, tree: &Path) -> Result<RecipientFinder> {
        let how = match source {
            RecipientSource::Maintainers => How::Reader(Box::new(MaintainersFile::read(tree)?)),
            RecipientSource::GetMaintainerScript { timeout } => How::Script(timeout),
        };
        Ok(RecipientFinder { tree: tree.to_path_buf(), how })
    }

    /// Who `patch` (a unified diff) goes to, and its SCM tree.
    pub fn recipients(&self, patch: &[u8]) -> Result<Maintainers> {
        match &self.how {
            How::Reader(m) => Ok(m.for_patch(patch).maintainers()),
            How::Script(timeout) => get_maintainer_within(&self.tree, patch, *timeout),
        }
    }
}

/// Runs the tree's get_maintainer.pl on `patch`, stopped after
/// [`DEFAULT_SCRIPT_TIMEOUT`].
pub fn get_maintainer(tree: &Path, patch: &[u8]) -> Result<Maintainers> {
    get_maintainer_within(tree, patch, DEFAULT_SCRIPT_TIMEOUT)
}

/// Runs the tree's get_maintainer.pl on `patch`, stopped after `timeout`.
pub fn get_maintainer_within(tree: &Path, patch: &[u8], timeout: Duration) -> Result<Maintainers> {
    let mut args: Vec<&str> = BASE_FLAGS.to_vec();
    args.extend(["--roles", "--scm"]);
    let out = tree_script::run_perl(tree, SCRIPT, &args, patch, timeout)?;
    if !out.status.success() {
        bail!(
            "{SCRIPT} failed in {} ({}): {}",
            tree.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8(out.stdout).context("get_maintainer.pl printed something that is not UTF-8")?;
    Ok(parse(&text))
}

const SCRIPT: &str = "scripts/get_maintainer.pl";

/// The SCM kinds a MAINTAINERS `T:` line starts with.
const SCM_KINDS: [&str; 5] = ["git", "hg", "quilt", "stgit", "topgit"];

/// Splits `--roles --scm` output into recipients and the first SCM tree.
pub fn parse(output: &str) -> Maintainers {
    let is_scm = |l: &str| l.split_once(' ').is_some_and(|(kind, _)| SCM_KINDS.contains(&kind)) && !l.ends_with(')');
    let (scm, people): (Vec<&str>, Vec<&str>) =
        output.lines().map(str::trim).filter(|l| !l.is_empty()).partition(|l| is_scm(l));
    Maintainers { recipients: parse_roles(&people.join("\n")), tree: scm.first().map(|t| t.to_string()) }
}

/// Splits `--roles` output: people from `M:` lines (maintainer, supporter,
/// odd fixer, ...) go to `To:`; reviewers and mailing lists to `Cc:`.
/// With no maintainer at all, the first list becomes the `To:`.
pub fn parse_roles(output: &str) -> Recipients {
    Recipients::from_roles(output.lines().map(str::trim).filter(|l| !l.is_empty()).map(|line| {
        // The role follows the address and may hold parentheses itself:
        // `Name <a@b> (supporter:LINUX FOR POWERPC (32-BIT AND 64-BIT))`.
        let end = line.find('>').map(|i| i + 1).or_else(|| line.find(" (")).unwrap_or(line.len());
        let (address, role) = (line[..end].trim(), line[end..].trim());
        let kind = role.trim_start_matches('(').split([':', ')']).next().unwrap_or("");
        (address.to_string(), !(kind.contains("list") || kind == "reviewer"))
    }))
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
