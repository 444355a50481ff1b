//! A recipe's options applied to a `.config`, and the configuration
//! Kbuild actually made checked against what was asked.
//!
//! `make olddefconfig` silently drops an option whose dependencies are
//! unmet, so every option the recipe sets, and the options the kmap_local
//! code needs, are read back from the resulting configuration.

use serde::Serialize;

use super::recipe::{ConfigRecipe, REQUIRED_OPTIONS};

/// `text` (a `.config`) with the recipe's options set: each option's old
/// line removed, then `CONFIG_X=y` or `# CONFIG_X is not set` appended,
/// as `scripts/config -e/-d` does. `olddefconfig` resolves the rest.
pub fn apply_options(text: &str, recipe: &ConfigRecipe) -> String {
    let names: Vec<&String> = recipe.enable.keys().chain(recipe.disable.keys()).collect();
    let mut out: String = text
        .lines()
        .filter(|l| option_of_line(l).is_none_or(|o| !names.iter().any(|n| *n == o)))
        .flat_map(|l| [l, "\n"])
        .collect();
    for name in recipe.enable.keys() {
        out.push_str(&format!("CONFIG_{name}=y\n"));
    }
    for name in recipe.disable.keys() {
        out.push_str(&format!("# CONFIG_{name} is not set\n"));
    }
    out
}

/// The option a `.config` line sets or unsets.
fn option_of_line(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("# CONFIG_") {
        return rest.strip_suffix(" is not set");
    }
    line.strip_prefix("CONFIG_").and_then(|rest| rest.split_once('=')).map(|(name, _)| name)
}

/// The value of `CONFIG_<name>` in a `.config` or `auto.conf`.
pub fn value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find(|l| option_of_line(l) == Some(name)).and_then(|l| l.split_once('=')).map(|(_, v)| v)
}

/// One option as asked and as found.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OptionCheck {
    pub option: String,
    /// `y` when the recipe or the kmap_local code needs it on, `n` when
    /// the recipe turns it off.
    pub wanted: char,
    /// The value in the resulting configuration (`None`: not set).
    pub found: Option<String>,
}

impl OptionCheck {
    pub fn holds(&self) -> bool {
        match self.wanted {
            'y' => self.found.as_deref() == Some("y"),
            _ => self.found.as_deref().is_none_or(|v| v == "n"),
        }
    }
}

/// Every option to check in the resulting configuration: the required
/// ones (when `require_kmap_local`) and the recipe's.
pub fn check(text: &str, recipe: &ConfigRecipe, require_kmap_local: bool) -> Vec<OptionCheck> {
    let found = |name: &str| value(text, name).map(str::to_string);
    let mut wanted: Vec<(&str, char)> = Vec::new();
    if require_kmap_local {
        wanted.extend(REQUIRED_OPTIONS.iter().map(|o| (*o, 'y')));
    }
    wanted.extend(recipe.enable.keys().map(|o| (o.as_str(), 'y')));
    wanted.extend(recipe.disable.keys().map(|o| (o.as_str(), 'n')));
    let mut seen = std::collections::BTreeSet::new();
    wanted
        .into_iter()
        .filter(|(o, _)| seen.insert(*o))
        .map(|(o, w)| OptionCheck { option: o.to_string(), wanted: w, found: found(o) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(enable: &[&str], disable: &[&str]) -> ConfigRecipe {
        let reasons = |v: &[&str]| v.iter().map(|o| (o.to_string(), "r".to_string())).collect();
        ConfigRecipe {
            name: "c".into(),
            defconfig: "defconfig".into(),
            reason: "r".into(),
            enable: reasons(enable),
            disable: reasons(disable),
        }
    }

    #[test]
    fn options_replace_their_old_lines() {
        let text = "CONFIG_A=y\n# CONFIG_HIGHMEM is not set\nCONFIG_NOHIGHMEM=y\nCONFIG_AB=y\n";
        let out = apply_options(text, &recipe(&["HIGHMEM"], &["NOHIGHMEM"]));
        assert_eq!(out, "CONFIG_A=y\nCONFIG_AB=y\nCONFIG_HIGHMEM=y\n# CONFIG_NOHIGHMEM is not set\n");
    }

    #[test]
    fn an_option_olddefconfig_dropped_fails_its_check() {
        let conf = "CONFIG_HIGHMEM=y\nCONFIG_KMAP_LOCAL=y\n# CONFIG_DEBUG_HIGHMEM is not set\nCONFIG_X=m\n";
        let checks = check(conf, &recipe(&["HIGHMEM", "DEBUG_HIGHMEM"], &["X"]), true);
        let failed: Vec<&str> = checks.iter().filter(|c| !c.holds()).map(|c| c.option.as_str()).collect();
        assert_eq!(failed, ["DEBUG_HIGHMEM", "X"]);
        assert_eq!(checks.len(), 4, "HIGHMEM is checked once: {checks:?}");
    }

    #[test]
    fn kmap_local_is_required_of_a_port_only() {
        let conf = "CONFIG_HIGHMEM=y\n";
        assert!(check(conf, &recipe(&[], &[]), true).iter().any(|c| c.option == "KMAP_LOCAL" && !c.holds()));
        assert!(check(conf, &recipe(&[], &[]), false).is_empty());
    }
}
