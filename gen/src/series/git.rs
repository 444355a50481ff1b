//! What a series takes from git, when git is there: the sign-off
//! identity (`user.name`, `user.email`), and for a tree that is a git
//! repository its base commit, the patch ids of the prerequisite commits
//! (as `git format-patch --base` writes them) and a stable default date.
//!
//! Every call reads; none writes to the tree or its repository.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::series::date::MailDate;
use crate::series::format_patch::Identity;

/// `base-commit:` and `prerequisite-patch-id:` lines of a cover letter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaseInfo {
    pub commit: String,
    /// Stable patch ids of the commits between the base and the tree's
    /// HEAD, oldest first.
    pub prerequisites: Vec<String>,
}

impl BaseInfo {
    /// The lines as git writes them, each ending in `\n`.
    pub fn lines(&self) -> String {
        let mut s = format!("base-commit: {}\n", self.commit);
        for p in &self.prerequisites {
            s.push_str(&format!("prerequisite-patch-id: {p}\n"));
        }
        s
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<String> {
    let out = git(dir, args)?;
    if !out.status.success() {
        bail!("git {} in {}: {}", args.join(" "), dir.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// True when `tree` is the top of a git work tree (not merely inside one).
pub fn is_repository(tree: &Path) -> bool {
    let Ok(top) = git_ok(tree, &["rev-parse", "--show-toplevel"]) else { return false };
    match (std::fs::canonicalize(top), std::fs::canonicalize(tree)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `user.name <user.email>` from git's configuration as seen from `tree`
/// (its own repository's, else the user's), when both are set.
pub fn identity(tree: &Path) -> Option<Identity> {
    let get = |key: &str| git_ok(tree, &["config", "--get", key]).ok().filter(|v| !v.is_empty());
    Identity::parse(&format!("{} <{}>", get("user.name")?, get("user.email")?)).ok()
}

/// The base of a series on a git tree: `rev` (default `HEAD`), and the
/// stable patch ids of the commits from there to `HEAD`, which the
/// series needs first (for example the generic kmap_local core).
pub fn base_info(tree: &Path, rev: Option<&str>) -> Result<BaseInfo> {
    let rev = rev.unwrap_or("HEAD");
    let commit = git_ok(tree, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .with_context(|| format!("--base {rev} is not a commit of {}", tree.display()))?;
    let ancestor = git(tree, &["merge-base", "--is-ancestor", &commit, "HEAD"])?;
    if !ancestor.status.success() {
        bail!("--base {rev} is not an ancestor of HEAD in {}", tree.display());
    }
    let range = format!("{commit}..HEAD");
    let log = git(tree, &["log", "--reverse", "--topo-order", "--no-merges", "-p", "--format=commit %H", &range])?;
    if !log.status.success() {
        bail!("git log {range}: {}", String::from_utf8_lossy(&log.stderr).trim());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(["patch-id", "--stable"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running git patch-id")?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &log.stdout));
    let out = child.wait_with_output()?;
    writer.join().expect("the writer thread does not panic").context("feeding git patch-id")?;
    let prerequisites = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    Ok(BaseInfo { commit, prerequisites })
}

/// The committer date of `HEAD`: a default date that stays the same
/// however the tree was checked out.
pub fn head_date(tree: &Path) -> Result<MailDate> {
    let out = git_ok(tree, &["log", "-1", "--format=%cI", "HEAD"])?;
    MailDate::parse(&out).map_err(anyhow::Error::msg)
}
