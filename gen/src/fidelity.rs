//! How close a generated port is to its golden port.
//!
//! Per file: *text-identical* (byte for byte) or *code-equivalent*
//! (equal after removing comments and folding whitespace: C token
//! streams for C, non-comment lines for Makefiles, and for Kconfig each
//! entry's property lines as a set, since their order carries no
//! meaning), plus the number of differing code tokens and `similar`'s
//! ratio. A file deleted on one side must be deleted on the other.

use crate::diff_budget;
use serde::Serialize;

/// Per-file outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Identical,
    Equivalent,
    Differs,
    /// The golden port changes the file, the generated one does not.
    Missing,
    /// The generated port changes the file, the golden one does not.
    Extra,
}

/// Per-arch verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Identical,
    Equivalent,
    Justified,
    Differs,
}

impl FileStatus {
    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            FileStatus::Identical => "identical",
            FileStatus::Equivalent => "equivalent",
            FileStatus::Differs => "differs",
            FileStatus::Missing => "missing",
            FileStatus::Extra => "extra",
        }
    }
}

impl Verdict {
    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Equivalent => "equivalent",
            Verdict::Justified => "justified",
            Verdict::Differs => "differs",
        }
    }
}

impl std::fmt::Display for FileStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FileComparison {
    pub path: String,
    pub status: FileStatus,
    pub code_token_diff: usize,
    /// The token streams are too far apart to count within the diff
    /// budget: `code_token_diff` is a lower bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tokens_at_least: bool,
    pub similarity: f32,
    /// The lines are too far apart to compare within the diff budget:
    /// `similarity` is an upper bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub similarity_at_most: bool,
    /// Why a difference is the golden port's fault, found mechanically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// The kind of text a file holds, which decides how code is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    C,
    Kconfig,
    Make,
}

impl Language {
    pub fn of(path: &str) -> Language {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.starts_with("Kconfig") {
            Language::Kconfig
        } else if name.starts_with("Makefile") || name == "Kbuild" || name.ends_with(".mk") {
            Language::Make
        } else {
            Language::C
        }
    }
}

/// Compares one file's generated and golden post-states (`None`: deleted).
pub fn compare(
    path: &str,
    generated: Option<&[u8]>,
    golden: Option<&[u8]>,
    changed_by_gen: bool,
    changed_by_golden: bool,
) -> FileComparison {
    let lang = Language::of(path);
    let tokens = |t: Option<&[u8]>| t.map(|t| code_units(lang, t)).unwrap_or_default();
    // Each text is tokenized once: an identical golden file shares the
    // generated one's tokens.
    let gt = tokens(generated);
    let golden_tokens;
    let rt = if golden == generated {
        &gt
    } else {
        golden_tokens = tokens(golden);
        &golden_tokens
    };
    let tokens_apart = diff_budget::distance(rt, &gt);
    let (similarity, similarity_at_most) = match (generated, golden) {
        (Some(a), Some(b)) => {
            let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
            let (al, bl) = (diff_budget::lines(&a), diff_budget::lines(&b));
            let d = diff_budget::distance(&bl, &al);
            (diff_budget::ratio(d, bl.len(), al.len()), !d.is_exact())
        }
        (None, None) => (1.0, false),
        _ => (0.0, false),
    };
    let status = if generated == golden {
        FileStatus::Identical
    } else if generated.is_some() == golden.is_some() && gt == *rt {
        FileStatus::Equivalent
    } else if !changed_by_gen {
        FileStatus::Missing
    } else if !changed_by_golden {
        FileStatus::Extra
    } else {
        FileStatus::Differs
    };
    FileComparison {
        path: path.to_string(),
        status,
        code_token_diff: tokens_apart.count(),
        tokens_at_least: !tokens_apart.is_exact(),
        similarity,
        similarity_at_most,
        justification: None,
    }
}

/// The units compared for code equivalence.
pub fn code_units(lang: Language, text: &[u8]) -> Vec<String> {
    let joined = || String::from_utf8_lossy(text).replace("\\\r\n", " ").replace("\\\n", " ");
    match lang {
        Language::C => crate::edit::lex::c_tokens(text),
        Language::Make => joined()
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect(),
        Language::Kconfig => kconfig_units(&joined()),
    }
}

/// Kconfig entries with their property lines sorted; help text keeps
/// its order.
fn kconfig_units(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut props: Vec<String> = Vec::new();
    let mut in_help = false;
    let flush = |props: &mut Vec<String>, out: &mut Vec<String>| {
        props.sort();
        out.append(props);
    };
    for line in text.lines() {
        let folded = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let trimmed = folded.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let indented = line.starts_with(char::is_whitespace);
        if !indented {
            flush(&mut props, &mut out);
            in_help = false;
            out.push(folded);
        } else if in_help {
            out.push(folded);
        } else if trimmed == "help" || trimmed == "---help---" {
            flush(&mut props, &mut out);
            in_help = true;
            out.push(folded);
        } else {
            props.push(folded);
        }
    }
    flush(&mut props, &mut out);
    out
}

/// The arch verdict from its files.
pub fn verdict(files: &[FileComparison]) -> Verdict {
    if files.iter().all(|f| f.status == FileStatus::Identical) {
        Verdict::Identical
    } else if files.iter().all(|f| matches!(f.status, FileStatus::Identical | FileStatus::Equivalent)) {
        Verdict::Equivalent
    } else if files
        .iter()
        .all(|f| matches!(f.status, FileStatus::Identical | FileStatus::Equivalent) || f.justification.is_some())
    {
        Verdict::Justified
    } else {
        Verdict::Differs
    }
}

/// A unified diff from the golden file to the generated one, for review.
pub fn review_diff(path: &str, generated: Option<&[u8]>, golden: Option<&[u8]>) -> String {
    let g = golden.map(|t| String::from_utf8_lossy(t).into_owned()).unwrap_or_default();
    let n = generated.map(|t| String::from_utf8_lossy(t).into_owned()).unwrap_or_default();
    diff_budget::line_diff(&g, &n)
        .unified_diff()
        .context_radius(3)
        .header(&format!("golden/{path}"), &format!("generated/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_whitespace_do_not_count_in_c() {
        let a = b"/* one */\n#define A(x)\t\\\n\tf(x)\nint  x; // tail\n";
        let b = b"#define A(x) f(x)\nint x;\n";
        assert_eq!(code_units(Language::C, a), code_units(Language::C, b));
        let c = b"#define A(x)\nf(x)\nint x;\n";
        assert_ne!(code_units(Language::C, a), code_units(Language::C, c), "a directive ends at its line");
    }

    #[test]
    fn kconfig_property_order_does_not_count() {
        let a = b"config HIGHMEM\n\tbool\n\tdefault y\n\tselect KMAP_LOCAL\n";
        let b = b"config HIGHMEM\n\tbool\n\tselect KMAP_LOCAL\n\tdefault y\n";
        assert_eq!(code_units(Language::Kconfig, a), code_units(Language::Kconfig, b));
        let c = b"config HIGHMEM\n\tbool\n\tdefault y\n";
        assert_ne!(code_units(Language::Kconfig, a), code_units(Language::Kconfig, c));
    }

    #[test]
    fn statuses_and_verdicts() {
        let same = compare("a.c", Some(b"int x;\n"), Some(b"int x;\n"), true, true);
        assert_eq!(same.status, FileStatus::Identical);
        let eq = compare("a.c", Some(b"int x;\n"), Some(b"int  x; /* c */\n"), true, true);
        assert_eq!(eq.status, FileStatus::Equivalent);
        let del = compare("a.c", None, Some(b""), true, true);
        assert_eq!(del.status, FileStatus::Differs, "deleted on one side only");
        let diff = compare("a.c", Some(b"int y;\n"), Some(b"int x;\n"), true, true);
        assert_eq!((diff.status, diff.code_token_diff), (FileStatus::Differs, 2));
        assert_eq!(verdict(&[same.clone(), eq.clone()]), Verdict::Equivalent);
        assert_eq!(verdict(&[same, diff]), Verdict::Differs);
    }
}
