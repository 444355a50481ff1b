//! Finding the programs a build needs, and saying which Debian package
//! brings each one that is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::recipe::{BuildRecipe, Compiler};

/// A program a build needs and the Debian package that provides it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub program: String,
    pub package: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not installed (Debian package: {})", self.program, self.package)
    }
}

/// The compiler found for an arch.
#[derive(Clone, Debug, Serialize)]
pub struct Toolchain {
    /// The gcc that compiles (or, front end only, checks) the port.
    pub gcc: PathBuf,
    /// The first line of `gcc --version`.
    pub version: String,
    pub front_end_only: bool,
}

/// Kbuild's own tools, needed for every arch (`make prepare` builds the
/// Kconfig parser with flex and bison, and `bc` computes timeconst.h).
const HOST_TOOLS: [(&str, &str); 5] =
    [("make", "make"), ("gcc", "gcc"), ("flex", "flex"), ("bison", "bison"), ("bc", "bc")];

/// The arch's compiler, or every missing program with its package.
pub fn find(recipe: &BuildRecipe) -> Result<Toolchain, Vec<Missing>> {
    let mut missing: Vec<Missing> = HOST_TOOLS
        .iter()
        .filter(|(p, _)| crate::host::which(p).is_none())
        .map(|(p, pkg)| Missing { program: p.to_string(), package: pkg.to_string() })
        .collect();
    let (program, package, front_end_only) = match recipe.compiler() {
        Compiler::Cross { prefix, package } => (format!("{prefix}gcc"), package.to_string(), false),
        Compiler::FrontEnd(_) => ("gcc".to_string(), "gcc".to_string(), true),
    };
    let gcc = crate::host::which(&program);
    if gcc.is_none() && !missing.iter().any(|m| m.program == program) {
        missing.push(Missing { program, package });
    }
    match gcc {
        Some(gcc) if missing.is_empty() => {
            let version = version_line(&gcc);
            Ok(Toolchain { gcc, version, front_end_only })
        }
        _ => Err(missing),
    }
}

/// The first line `gcc --version` prints.
fn version_line(gcc: &Path) -> String {
    Command::new(gcc)
        .arg("--version")
        .env("LC_ALL", "C")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_string))
        .unwrap_or_else(|| gcc.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(prefix: &str, package: &str) -> BuildRecipe {
        toml::from_str(&format!(
            "make_arch = \"arm\"\ncross_compile = \"{prefix}\"\npackage = \"{package}\"\nreason = \"r\"\n\
             [[config]]\nname = \"c\"\ndefconfig = \"defconfig\"\nreason = \"r\"\n"
        ))
        .unwrap()
    }

    #[test]
    fn a_missing_cross_compiler_names_its_package() {
        let missing = find(&recipe("archport-no-such-target-", "gcc-no-such-target")).unwrap_err();
        assert!(
            missing.contains(&Missing {
                program: "archport-no-such-target-gcc".into(),
                package: "gcc-no-such-target".into()
            }),
            "{missing:?}"
        );
    }
}
