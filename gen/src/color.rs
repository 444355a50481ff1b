//! Colour on the terminal: `--color auto|always|never`, `NO_COLOR`.
//!
//! `auto` colours only when stdout is a terminal and `NO_COLOR` is unset
//! or empty (https://no-color.org); `always` and `never` override both.

use std::io::IsTerminal;

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether output to stdout gets colour.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        }
    }
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Colours a unified diff: removed lines red, added green, hunk headers
/// cyan, file headers bold. Returns the text unchanged when `on` is false.
pub fn paint_diff(diff: &str, on: bool) -> String {
    if !on {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("+++") || body.starts_with("---") || body.starts_with("diff ") {
            Some(BOLD)
        } else if body.starts_with("@@") {
            Some(CYAN)
        } else if body.starts_with('+') {
            Some(GREEN)
        } else if body.starts_with('-') {
            Some(RED)
        } else {
            None
        };
        match style {
            Some(s) => {
                out.push_str(s);
                out.push_str(body);
                out.push_str(RESET);
            }
            None => out.push_str(body),
        }
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paints_only_when_asked() {
        let diff = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+new\n ctx\n";
        assert_eq!(paint_diff(diff, false), diff);
        let painted = paint_diff(diff, true);
        assert!(painted.contains("\x1b[31m-old\x1b[0m\n") && painted.contains("\x1b[32m+new\x1b[0m\n"));
        assert!(painted.ends_with(" ctx\n"));
    }

    #[test]
    fn never_and_always_override_the_environment() {
        assert!(ColorChoice::Always.enabled());
        assert!(!ColorChoice::Never.enabled());
    }
}
