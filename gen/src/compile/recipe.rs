//! The `[build]` table of an arch descriptor: how to build the arch's
//! port with a real compiler, or check it with the host gcc's front end
//! where Debian ships no compiler for it.
//!
//! Data only, with a reason per choice; `arch-templates/README.md`
//! documents every field. Checking the recipe against the `.config`
//! that Kbuild made of it lives in `config.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// How an arch's ports are built.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuildRecipe {
    /// `make ARCH=`: the arch's folder name, or a Kbuild alias of it
    /// (`i386` builds 32-bit x86).
    pub make_arch: String,
    /// `CROSS_COMPILE=`: the prefix of the cross tools; empty for the
    /// host gcc. Absent for a front-end-only arch.
    pub cross_compile: Option<String>,
    /// The Debian package that provides `<cross_compile>gcc`.
    pub package: Option<String>,
    /// Why this compiler (or why only the front end).
    pub reason: String,
    /// Front-end-only check with the host gcc, for an arch Debian has
    /// no compiler for.
    pub front_end: Option<FrontEnd>,
    /// One or more kernel configurations; every touched C file must be
    /// built under at least one.
    #[serde(rename = "config")]
    pub configs: Vec<ConfigRecipe>,
    /// Objects built besides the port's own C files and `mm/highmem.o`.
    #[serde(default)]
    pub extra_objects: Vec<ExtraObject>,
}

/// One kernel configuration: a defconfig and the options changed on it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct ConfigRecipe {
    /// A short name for reports and the build folder (`[a-z0-9_-]+`).
    pub name: String,
    /// The `make` target that writes the starting `.config`.
    pub defconfig: String,
    /// Why this configuration.
    pub reason: String,
    /// Options (without `CONFIG_`) set to `y`, each with its reason.
    #[serde(default)]
    pub enable: BTreeMap<String, String>,
    /// Options turned off, each with its reason.
    #[serde(default)]
    pub disable: BTreeMap<String, String>,
}

/// An object to build although the port does not touch its source.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct ExtraObject {
    /// Tree-relative path of the object, `*.o`.
    pub object: String,
    pub reason: String,
}

/// The host gcc standing in for a missing cross compiler.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct FrontEnd {
    /// Macros the target compiler predefines (`NAME` or `NAME=VALUE`),
    /// which the arch's headers test.
    pub macros: Vec<String>,
    /// Headers the target compiler ships and the kernel includes, as C
    /// text (file name -> contents), put on the include path.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Why each header is needed and what it declares.
    #[serde(default)]
    pub headers_reason: Option<String>,
}

/// The compiler a recipe asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compiler<'a> {
    /// `<prefix>gcc` from a Debian package.
    Cross { prefix: &'a str, package: &'a str },
    /// The host gcc's front end, with the target's macros.
    FrontEnd(&'a FrontEnd),
}

/// Options every port's configuration must end up with: without them
/// the kmap_local code is not compiled at all.
pub const REQUIRED_OPTIONS: [&str; 2] = ["HIGHMEM", "KMAP_LOCAL"];

impl BuildRecipe {
    pub fn compiler(&self) -> Compiler<'_> {
        match (&self.front_end, &self.cross_compile, &self.package) {
            (Some(fe), _, _) => Compiler::FrontEnd(fe),
            (None, Some(prefix), Some(package)) => Compiler::Cross { prefix, package },
            _ => unreachable!("validate() requires a cross compiler or a front end"),
        }
    }

    pub fn is_front_end_only(&self) -> bool {
        self.front_end.is_some()
    }

    /// Checks what serde cannot: one compiler, names and reasons present.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let at = || format!("{}: [build]", path.display());
        match (&self.front_end, &self.cross_compile, &self.package) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => bail!("{}: needs either `cross_compile` and `package`, or `front_end`, not both", at()),
        }
        if self.reason.trim().is_empty() {
            bail!("{}: `reason` is empty", at());
        }
        if !is_word(&self.make_arch, |c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("{}: `make_arch` `{}` is not an arch name", at(), self.make_arch);
        }
        if self.configs.is_empty() {
            bail!("{}: needs at least one [[build.config]]", at());
        }
        let mut names = std::collections::BTreeSet::new();
        for c in &self.configs {
            c.validate(&at())?;
            if !names.insert(&c.name) {
                bail!("{}: config `{}` is listed twice", at(), c.name);
            }
        }
        for x in &self.extra_objects {
            if !x.object.ends_with(".o") || !is_tree_path(&x.object) || x.reason.trim().is_empty() {
                bail!("{}: extra object `{}` must be a tree path ending in .o, with a reason", at(), x.object);
            }
        }
        if let Some(fe) = &self.front_end {
            fe.validate(&at())?;
        }
        Ok(())
    }
}

impl ConfigRecipe {
    fn validate(&self, at: &str) -> Result<()> {
        if !is_word(&self.name, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
            bail!("{at}: config name `{}` must be [a-z0-9_-]+", self.name);
        }
        if !is_word(&self.defconfig, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
            bail!("{at}: config `{}`: `defconfig` `{}` is not a make target", self.name, self.defconfig);
        }
        if self.reason.trim().is_empty() {
            bail!("{at}: config `{}` has no reason", self.name);
        }
        for (option, reason) in self.enable.iter().chain(&self.disable) {
            if !is_word(option, |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                || option.starts_with("CONFIG_")
            {
                bail!("{at}: config `{}`: `{option}` must be an option name without CONFIG_", self.name);
            }
            if reason.trim().is_empty() {
                bail!("{at}: config `{}`: option `{option}` has no reason", self.name);
            }
        }
        if let Some(both) = self.enable.keys().find(|o| self.disable.contains_key(*o)) {
            bail!("{at}: config `{}` both enables and disables `{both}`", self.name);
        }
        Ok(())
    }
}

impl FrontEnd {
    fn validate(&self, at: &str) -> Result<()> {
        for m in &self.macros {
            let name = m.split('=').next().unwrap_or_default();
            if !is_word(name, |c| c.is_ascii_alphanumeric() || c == '_') || m.contains(['\'', '\n']) {
                bail!("{at}: front-end macro `{m}` must be NAME or NAME=VALUE");
            }
        }
        for name in self.headers.keys() {
            if !is_tree_path(name) || !name.ends_with(".h") {
                bail!("{at}: front-end header `{name}` must be a relative path ending in .h");
            }
        }
        if !self.headers.is_empty() && self.headers_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            bail!("{at}: front-end headers need a `headers_reason`");
        }
        Ok(())
    }
}

fn is_word(s: &str, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(ok)
}

/// A relative path that stays inside the folder it is joined to.
fn is_tree_path(s: &str) -> bool {
    let p = Path::new(s);
    !s.is_empty() && p.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(text: &str) -> Result<BuildRecipe> {
        let r: BuildRecipe = toml::from_str(text)?;
        r.validate(Path::new("port.toml"))?;
        Ok(r)
    }

    const CONFIG: &str = "[[config]]\nname = \"v7\"\ndefconfig = \"multi_v7_defconfig\"\nreason = \"r\"\n";

    #[test]
    fn a_cross_recipe_names_its_compiler_and_package() {
        let r = recipe(&format!(
            "make_arch = \"arm\"\ncross_compile = \"arm-linux-gnueabihf-\"\npackage = \"gcc-arm-linux-gnueabihf\"\nreason = \"r\"\n{CONFIG}"
        ))
        .unwrap();
        assert_eq!(
            r.compiler(),
            Compiler::Cross { prefix: "arm-linux-gnueabihf-", package: "gcc-arm-linux-gnueabihf" }
        );
    }

    #[test]
    fn a_recipe_with_both_a_compiler_and_a_front_end_is_refused() {
        let e = recipe(&format!(
            "make_arch = \"arm\"\ncross_compile = \"x-\"\npackage = \"p\"\nreason = \"r\"\n[front_end]\nmacros = []\n{CONFIG}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
    }

    #[test]
    fn an_option_without_a_reason_is_refused() {
        let e = recipe(&format!(
            "make_arch = \"arm\"\ncross_compile = \"\"\npackage = \"gcc\"\nreason = \"r\"\n{CONFIG}[config.enable]\nHIGHMEM = \" \"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("option `HIGHMEM` has no reason"), "{e}");
    }

    #[test]
    fn an_option_spelled_with_its_config_prefix_is_refused() {
        let e = recipe(&format!(
            "make_arch = \"arm\"\ncross_compile = \"\"\npackage = \"gcc\"\nreason = \"r\"\n{CONFIG}[config.enable]\nCONFIG_HIGHMEM = \"r\"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("without CONFIG_"), "{e}");
    }

    #[test]
    fn a_front_end_header_outside_its_folder_is_refused() {
        let e = recipe(&format!(
            "make_arch = \"nds32\"\nreason = \"r\"\n[front_end]\nmacros = [\"__nds32__\"]\nheaders_reason = \"r\"\n[front_end.headers]\n\"../x.h\" = \"\"\n{CONFIG}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("relative path"), "{e}");
    }
}
