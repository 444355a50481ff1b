//! Where builds are kept: `<cache>/build/<arch>-<hash of the input
//! tree's path>/`, holding the scratch tree (`tree/`), the overlay
//! manifest, the front end's files, and one `O=` folder per configuration
//! (`obj-<name>-<hash of the recipe>/`, so a changed recipe starts
//! afresh). `compile --clean` removes them all.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::recipe::{BuildRecipe, ConfigRecipe};
use super::scratch::{self, Overlay, SyncStats};
use crate::arch::Arch;

/// One arch's build folder for one input tree.
pub struct BuildDir {
    dir: PathBuf,
}

/// The folder every build lives under.
fn root(cache: &Path) -> PathBuf {
    cache.join("build")
}

fn short_hash(text: &str, len: usize) -> String {
    crate::output::manifest::hash(text.as_bytes())[..len].to_string()
}

impl BuildDir {
    /// The build folder of `arch` for the input tree `base`, created if
    /// needed.
    pub fn open(cache: &Path, arch: Arch, base: &Path) -> Result<BuildDir> {
        let base = base.canonicalize().with_context(|| format!("reading {}", base.display()))?;
        let dir = root(cache).join(format!("{arch}-{}", short_hash(&base.to_string_lossy(), 16)));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating the build folder {}", dir.display()))?;
        Ok(BuildDir { dir })
    }

    /// Holds the folder for this process until dropped: two builds of
    /// the same arch and tree (parallel tests, two terminals) take turns.
    pub fn lock(&self) -> Result<File> {
        let file = File::create(self.dir.join("lock"))?;
        file.lock().with_context(|| format!("locking {}", self.dir.display()))?;
        Ok(file)
    }

    pub fn tree(&self) -> PathBuf {
        scratch::tree_dir(&self.dir)
    }

    pub fn front_end_dir(&self) -> PathBuf {
        self.dir.join("front-end")
    }

    /// Brings the scratch tree in step with `base` plus `overlay`.
    pub fn sync(&self, base: &Path, overlay: &Overlay) -> Result<SyncStats> {
        scratch::sync(base, &self.tree(), overlay, &self.dir.join("overlay.json"))
    }

    /// The `O=` folder of one configuration, keyed by everything in the
    /// recipe that changes the configuration or the compiler.
    pub fn obj_dir(&self, recipe: &BuildRecipe, config: &ConfigRecipe) -> Result<PathBuf> {
        let key = serde_json::to_string(&(&recipe.make_arch, &recipe.cross_compile, &recipe.front_end, config))?;
        let dir = self.dir.join(format!("obj-{}-{}", config.name, short_hash(&key, 8)));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}

/// Removes every build folder under `cache`; returns the folder removed,
/// if there was one.
pub fn clean(cache: &Path) -> Result<Option<PathBuf>> {
    let dir = root(cache);
    if !dir.exists() {
        return Ok(None);
    }
    // Renamed first, so a build starting meanwhile starts afresh instead
    // of finding half a folder.
    let doomed = cache.join(format!(".build-removing-{}", std::process::id()));
    std::fs::rename(&dir, &doomed).with_context(|| format!("moving {} away", dir.display()))?;
    std::fs::remove_dir_all(&doomed).with_context(|| format!("removing {}", doomed.display()))?;
    Ok(Some(dir))
}
