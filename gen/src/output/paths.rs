//! Where an output really lands, and the folders it must never land in.
//!
//! Paths are compared after resolving them the way the kernel will when
//! the file is opened: `..`, `.`, relative paths and symbolic links in
//! every existing component. `--out /x/../T/out`, `--tree ..` with a
//! relative `--out`, or a link to the tree all resolve to the same place,
//! so none of them gets past the check.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// `path` as the kernel would resolve it: absolute, symbolic links of
/// the part that exists followed, `.` and `..` of the rest folded.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut out = PathBuf::from("/");
    let mut exists = true;
    for c in absolute.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if exists {
                    match out.canonicalize() {
                        Ok(real) => out = real,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => exists = false,
                        Err(e) => return Err(e).with_context(|| format!("resolving {}", out.display())),
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The folders archport reads from and never writes into: the input
/// trees, each under a name for messages.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    resolved: Vec<(String, PathBuf)>,
}

impl Inputs {
    /// Adds a folder; `what` names it in errors (`the input tree`).
    pub fn add(mut self, what: &str, dir: &Path) -> Result<Inputs> {
        self.resolved.push((what.to_string(), resolve(dir)?));
        Ok(self)
    }

    /// Fails when `target`, resolved, is one of the inputs or inside one.
    pub fn refuse(&self, flag: &str, target: &Path) -> Result<PathBuf> {
        let real = resolve(target)?;
        self.refuse_resolved(flag, target, &real)?;
        Ok(real)
    }

    /// [`Inputs::refuse`] for a path the caller has resolved already
    /// (`real`, shown to the user as `target`): resolving costs a system
    /// call per component, and an output folder checks every file in it.
    pub fn refuse_resolved(&self, flag: &str, target: &Path, real: &Path) -> Result<()> {
        if let Some((what, dir)) = self.resolved.iter().find(|(_, d)| real.starts_with(d)) {
            bail!(
                "{flag} {} resolves to {}, inside {what} {}; archport never writes into its inputs",
                target.display(),
                real.display(),
                dir.display()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_path_inside_the_tree_is_caught() {
        let top = tempfile::tempdir().unwrap();
        let tree = top.path().join("T");
        std::fs::create_dir_all(tree.join("arch")).unwrap();
        std::fs::create_dir_all(top.path().join("x")).unwrap();
        std::os::unix::fs::symlink(&tree, top.path().join("link")).unwrap();
        let inputs = Inputs::default().add("the input tree", &top.path().join("link")).unwrap();
        for spelling in ["T/out", "x/../T/out", "link/out", "T/arch/../../T/new/deeper", "T"] {
            let err = inputs.refuse("--out", &top.path().join(spelling)).unwrap_err().to_string();
            assert!(err.contains("inside the input tree"), "{spelling}: {err}");
        }
        assert!(inputs.refuse("--out", &top.path().join("x/out")).is_ok());
        assert!(
            inputs.refuse("--out", &top.path().join("Tother")).is_ok(),
            "a sibling with the same prefix is not inside"
        );
    }
}
