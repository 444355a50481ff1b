//! The architectures of the kmap_local conversion.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// One of the ten architectures whose kmap_atomic implementation the
/// kmap_local conversion replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Arc,
    Arm,
    Csky,
    Microblaze,
    Mips,
    Nds32,
    Powerpc,
    Sparc,
    X86,
    Xtensa,
}

impl Arch {
    pub const ALL: [Arch; 10] = [
        Arch::Arc,
        Arch::Arm,
        Arch::Csky,
        Arch::Microblaze,
        Arch::Mips,
        Arch::Nds32,
        Arch::Powerpc,
        Arch::Sparc,
        Arch::X86,
        Arch::Xtensa,
    ];

    /// The folder name under `arch/` (and under `arch-templates/`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Arc => "arc",
            Arch::Arm => "arm",
            Arch::Csky => "csky",
            Arch::Microblaze => "microblaze",
            Arch::Mips => "mips",
            Arch::Nds32 => "nds32",
            Arch::Powerpc => "powerpc",
            Arch::Sparc => "sparc",
            Arch::X86 => "x86",
            Arch::Xtensa => "xtensa",
        }
    }

    /// `arch/<name>/`, the prefix of every file the arch owns.
    pub fn dir(self) -> String {
        format!("arch/{}/", self.name())
    }

    /// The arch that owns a tree path, if any of the ten does.
    pub fn of_path(path: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| path.starts_with(&a.dir()))
    }

    /// `arches` or, when empty, all ten (the `--arch` convention).
    pub fn selected(arches: &[Arch]) -> Vec<Arch> {
        if arches.is_empty() {
            Arch::ALL.to_vec()
        } else {
            let mut v = arches.to_vec();
            v.sort();
            v.dedup();
            v
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
            format!("unknown arch `{s}` (expected one of: {})", names.join(", "))
        })
    }
}
