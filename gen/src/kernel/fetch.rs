//! Fetching a Debian linux-source package through a private apt setup.
//!
//! The host's apt configuration is only read (for the mirror); lists,
//! caches and the downloaded package live in a scratch folder that is
//! removed afterwards. Everything is built in a temporary folder inside
//! the cache and renamed into place when complete, so an interrupted or
//! failed fetch leaves no half-built cache behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};

use super::entry::assemble;
use super::mirror::{find_mirror, Mirror};
use super::package::{Kernel, Meta};
use crate::progress::Progress;

/// Downloads and unpacks `kernel`'s package into `dest` (which must not
/// exist yet) and builds its entry there, using `scratch` for
/// intermediate files.
pub fn fetch_into(kernel: Kernel, dest: &Path, scratch: &Path, progress: Progress) -> Result<Meta> {
    let package = kernel.package();
    let suites = kernel.suites();
    let mirror = find_mirror(Path::new("/etc/apt")).map_err(|e| anyhow!(e))?;
    for tool in ["apt-get", "dpkg-deb", "tar", "xz"] {
        which(tool, package)?;
    }

    let step = progress.step(format!("fetch: updating package lists for {package} ({})...", suites.join(", ")));
    let apt = PrivateApt::new(scratch, &mirror, suites)?;
    apt.run(&["update"]).with_context(|| {
        format!(
            "cannot fetch {package}: Debian's {} suites at {} and {} are unreachable",
            suites.join(", "),
            mirror.main,
            mirror.security
        )
    })?;
    drop(step);
    let download = scratch.join("download");
    std::fs::create_dir_all(&download)?;
    let step = progress.download(format!("fetch: downloading {package} (about 120-140 MB)..."), &download);
    apt.run_in(&download, &["download", package])
        .with_context(|| format!("cannot download {package} from Debian's {} suites", suites.join(", ")))?;
    let deb = single_deb(&download)?;
    let version = deb_version(&deb)?;
    if !kernel.accepts(&version) {
        bail!("{package} has version {version}, expected {}.x", kernel.series());
    }
    drop(step);

    let step = progress.step(format!("fetch: unpacking {package} {version}..."));
    let unpacked = scratch.join("unpacked");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    std::fs::remove_file(&deb).ok();
    let src = unpacked.join("usr/src");
    std::fs::create_dir_all(dest)?;
    run(Command::new("tar").arg("-xJf").arg(src.join(kernel.tarball())).arg("-C").arg(dest))?;
    std::fs::rename(dest.join(package), dest.join("base"))
        .with_context(|| format!("the tarball {} has no {package}/ folder", kernel.tarball()))?;
    if let Some(rt) = kernel.rt_patch() {
        let out = Command::new("xz").arg("-dc").arg(src.join(&rt)).output()?;
        if !out.status.success() {
            bail!("xz could not decompress the RT patch {rt}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        std::fs::write(dest.join("rt.patch"), &out.stdout)?;
    }
    drop(step);
    assemble(dest, kernel, &version, progress)
}

/// apt-get with a private sources list, lists and caches.
struct PrivateApt {
    options: Vec<String>,
}

impl PrivateApt {
    fn new(scratch: &Path, mirror: &Mirror, suites: [&str; 2]) -> Result<PrivateApt> {
        let dir = |name: &str| -> Result<PathBuf> {
            let d = scratch.join(name);
            std::fs::create_dir_all(d.join("partial"))?;
            Ok(d)
        };
        let lists = dir("lists")?;
        let cache = dir("cache")?;
        std::fs::create_dir_all(cache.join("archives/partial"))?;
        let parts = scratch.join("sources.list.d");
        std::fs::create_dir_all(&parts)?;
        let keyring = Path::new("/usr/share/keyrings/debian-archive-keyring.gpg");
        let signed = if keyring.exists() { format!("[signed-by={}] ", keyring.display()) } else { String::new() };
        let list = scratch.join("sources.list");
        std::fs::write(
            &list,
            format!(
                "deb {signed}{} {} main\ndeb {signed}{} {} main\n",
                mirror.main, suites[0], mirror.security, suites[1]
            ),
        )?;
        let options = [
            format!("Dir::Etc::SourceList={}", list.display()),
            format!("Dir::Etc::SourceParts={}", parts.display()),
            format!("Dir::State::Lists={}", lists.display()),
            format!("Dir::Cache={}", cache.display()),
            "APT::Sandbox::User=root".to_string(),
            "Acquire::Retries=2".to_string(),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_string(), o])
        .collect();
        Ok(PrivateApt { options })
    }

    fn run(&self, args: &[&str]) -> Result<()> {
        self.run_in(Path::new("."), args)
    }

    fn run_in(&self, cwd: &Path, args: &[&str]) -> Result<()> {
        let out = Command::new("apt-get").arg("-q").args(&self.options).args(args).current_dir(cwd).output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // apt-get update exits 0 when a source cannot be reached; its
        // `W:`/`E:` lines are the only sign.
        let failed = stderr.lines().find(|l| {
            l.starts_with("E:") || l.starts_with("W: Failed to fetch") || l.starts_with("W: Some index files failed")
        });
        if !out.status.success() || failed.is_some() {
            bail!("apt-get {}: {}", args.join(" "), failed.unwrap_or(stderr.trim()));
        }
        Ok(())
    }
}

fn which(tool: &str, package: &str) -> Result<()> {
    if crate::host::which(tool).is_none() {
        bail!("`{tool}` is not installed; archport needs apt-get, dpkg-deb, tar and xz to fetch {package}");
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

fn single_deb(dir: &Path) -> Result<PathBuf> {
    std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or_else(|| anyhow!("apt-get download left no .deb file"))
}

/// `linux-source-5.10_5.10.262-1_all.deb` -> `5.10.262-1`.
fn deb_version(deb: &Path) -> Result<String> {
    let name = deb.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split('_').nth(1).map(|v| v.replace("%3a", ":")).ok_or_else(|| anyhow!("unexpected package file name {name}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_comes_from_the_file_name() {
        let v = super::deb_version(std::path::Path::new("/x/linux-source-5.10_5.10.262-1_all.deb")).unwrap();
        assert_eq!(v, "5.10.262-1");
    }
}
