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

/// Removes every build folder archport made under `cache` (and the
/// `build` folder itself once nothing else is in it); returns that
/// folder when something was removed. Anything else there, put by hand
/// or by another program, stays: `--cache` may point anywhere.
pub fn clean(cache: &Path) -> Result<Option<PathBuf>> {
    let dir = root(cache);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(None) };
    let mut removed = false;
    for e in entries {
        let e = e.with_context(|| format!("listing {}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        // A folder, not a link to one, named as `BuildDir::open` names
        // them; or one an interrupted clean had moved away.
        let ours = is_build_folder(&name) || removing_of(&name).is_some_and(is_build_folder);
        if !ours || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // Renamed first, so a build starting meanwhile starts afresh
        // instead of finding half a folder.
        let doomed = match removing_of(&name) {
            Some(_) => e.path(),
            None => dir.join(format!(".removing-{name}-{}", std::process::id())),
        };
        if doomed != e.path() {
            std::fs::rename(e.path(), &doomed).with_context(|| format!("moving {} away", e.path().display()))?;
        }
        std::fs::remove_dir_all(&doomed).with_context(|| format!("removing {}", doomed.display()))?;
        removed = true;
    }
    // Fails, and so keeps it, when anything else is left in it.
    let _ = std::fs::remove_dir(&dir);
    Ok(removed.then_some(dir))
}

/// `<arch>-<16 hex digits>`: the name of a build folder archport makes.
fn is_build_folder(name: &str) -> bool {
    name.rsplit_once('-').is_some_and(|(arch, hash)| {
        arch.parse::<Arch>().is_ok() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The build folder a `.removing-<folder>-<pid>` name was moved from.
fn removing_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(".removing-")?;
    let (folder, pid) = rest.rsplit_once('-')?;
    pid.bytes().all(|b| b.is_ascii_digit()).then_some(folder)
}
