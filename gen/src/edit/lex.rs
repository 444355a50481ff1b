//! The C lexer every stage shares: the token stream of C text with
//! comments removed, as the code-equivalence check and the hook reader
//! see it.
//!
//! It works on bytes, never slicing inside a character, so any input,
//! UTF-8 or not, gives tokens and never a panic: non-ASCII bytes belong
//! to identifiers (as GCC reads UTF-8 ones), invalid UTF-8 is shown
//! lossily.
//! Backslash-newline continuations are joined first, as the
//! preprocessor's translation phase 2 does, and a preprocessor line
//! ends in a `\n` token, since there a line break is syntax.

use compact_str::CompactString;

/// One token and the line of the original text it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Inline up to 24 bytes (nearly every C token), so lexing a file
    /// and copying function bodies allocate per file, not per token.
    pub text: CompactString,
    /// 1-based, counted in the text as given (continuations included).
    pub line: u32,
    /// Whether whitespace or a comment separates it from the token before:
    /// how `&` `&` is told from `&&`, and `-` `>` from `->`.
    pub spaced: bool,
}

/// C tokens with comments removed; preprocessor lines end in a `\n` token.
pub fn c_tokens(text: &[u8]) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.text.into()).collect()
}

/// [`c_tokens`] with the line each token starts on.
pub fn tokens(text: &[u8]) -> Vec<Token> {
    let (joined, lines) = join_continuations(text);
    let b = joined.as_slice();
    // Checked once for the whole text (nearly always UTF-8), so tokens
    // are sliced from it rather than each checked again.
    let utf8 = std::str::from_utf8(b).ok();
    // Kernel C has about one token per five bytes.
    let mut out: Vec<Token> = Vec::with_capacity(b.len() / 5);
    let mut i = 0;
    let mut in_directive = false;
    let mut line_start = true;
    let mut spaced = true;
    let end_directive = |out: &mut Vec<Token>, in_directive: &mut bool, at: usize| {
        if *in_directive {
            out.push(Token { text: CompactString::const_new("\n"), line: lines.line_of(at), spaced: true });
            *in_directive = false;
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            end_directive(&mut out, &mut in_directive, i);
            line_start = true;
            spaced = true;
            i += 1;
            continue;
        }
        // C's whitespace, vertical tab and form feed included.
        if matches!(c, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r') {
            spaced = true;
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"/*") {
            let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            // A comment spanning lines still ends a directive's line.
            if b[i..end].contains(&b'\n') {
                end_directive(&mut out, &mut in_directive, i);
            }
            spaced = true;
            i = end;
            continue;
        }
        if b[i..].starts_with(b"//") {
            i = find(b, i, b"\n").unwrap_or(b.len());
            continue;
        }
        if c == b'#' && line_start {
            in_directive = true;
        }
        line_start = false;
        let start = i;
        if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if is_ident_byte(c) {
            while i < b.len() && is_ident_byte(b[i]) {
                i += 1;
            }
        } else {
            i += 1;
        }
        // Tokens end at ASCII bytes or the end, so the slice is on
        // character boundaries; `get` keeps that a check, not a panic.
        let text = match utf8.and_then(|s| s.get(start..i)) {
            Some(s) => CompactString::new(s),
            None => CompactString::from_utf8_lossy(&b[start..i]),
        };
        out.push(Token { text, line: lines.line_of(start), spaced });
        spaced = false;
    }
    end_directive(&mut out, &mut in_directive, b.len());
    out
}

/// The index of the token that closes the bracket `open` opens (`(`,
/// `[` or `{`), counting nested pairs of the same kind; the length of
/// `toks` when it is never closed.
pub fn matching<T: std::borrow::Borrow<Token>>(toks: &[T], open: usize) -> usize {
    let (opener, closer) = match toks.get(open).map(|t| t.borrow().text.as_str()) {
        Some("(") => ("(", ")"),
        Some("[") => ("[", "]"),
        Some("{") => ("{", "}"),
        _ => return toks.len(),
    };
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        let t = t.borrow().text.as_str();
        if t == opener {
            depth += 1;
        } else if t == closer {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    toks.len()
}

/// Where the lines of the original text start in the joined one.
struct Lines {
    /// Position in the joined text of each original line break, the
    /// continuations' included (they became spaces there).
    breaks: Vec<usize>,
    /// How many breaks lie before the last position asked about: the
    /// lexer asks in increasing order, so each answer continues the last.
    passed: std::cell::Cell<usize>,
}

impl Lines {
    fn line_of(&self, at: usize) -> u32 {
        let mut passed = self.passed.get();
        if passed > 0 && self.breaks[passed - 1] >= at {
            passed = self.breaks.partition_point(|&b| b < at);
        }
        while passed < self.breaks.len() && self.breaks[passed] < at {
            passed += 1;
        }
        self.passed.set(passed);
        passed as u32 + 1
    }
}

/// `text` with every backslash-newline (and backslash-CR-LF) replaced by
/// a space: the line is joined, and the tokens on either side stay apart
/// as the kernel's aligned continuations expect. Also where each original
/// line break ended up.
fn join_continuations(text: &[u8]) -> (Vec<u8>, Lines) {
    let mut out = Vec::with_capacity(text.len());
    let mut breaks = Vec::new();
    // Copies run by run between line breaks (memchr finds them): a
    // byte-at-a-time copy was a tenth of the reader's time.
    let mut copied = 0;
    for nl in memchr::memchr_iter(b'\n', text) {
        let continuation = match text[..nl] {
            [.., b'\\'] => Some(nl - 1),
            [.., b'\\', b'\r'] => Some(nl - 2),
            _ => None,
        };
        out.extend_from_slice(&text[copied..continuation.unwrap_or(nl)]);
        breaks.push(out.len());
        out.push(if continuation.is_some() { b' ' } else { b'\n' });
        copied = nl + 1;
    }
    out.extend_from_slice(&text[copied..]);
    (out, Lines { breaks, passed: std::cell::Cell::new(0) })
}

/// Identifier bytes: ASCII letters, digits and `_`, and every byte of a
/// non-ASCII character (GCC takes UTF-8 in identifiers), so a multibyte
/// character is never cut in two.
fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The first `needle` in `hay` at or after `from`.
fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn comments_go_and_directives_end_at_their_line() {
        assert_eq!(c_tokens(b"/* c */ int x; // tail\n"), ["int", "x", ";"]);
        assert_eq!(
            c_tokens(b"#define A(x)\t\\\n\tf(x)\nint"),
            ["#", "define", "A", "(", "x", ")", "f", "(", "x", ")", "\n", "int"]
        );
        assert_eq!(c_tokens(b"s = \"a \\\" b\";"), ["s", "=", "\"a \\\" b\"", ";"]);
    }

    #[test]
    fn non_ascii_bytes_anywhere_are_tokens_not_panics() {
        // `# Zoë` outside a comment, as in a Makefile-like comment line of a .S file.
        assert_eq!(c_tokens("# Zoë\n".as_bytes()), ["#", "Zoë", "\n"]);
        // A character constant holding a multibyte character after a backslash.
        assert_eq!(c_tokens("c = '\\é';".as_bytes()), ["c", "=", "'\\é'", ";"]);
        assert_eq!(c_tokens(b"\xff\xfe x"), ["\u{fffd}\u{fffd}", "x"]);
    }

    #[test]
    fn tokens_know_their_lines_across_continuations_and_comments() {
        let t = tokens(b"a\n#define X \\\n  y\n/* c\n c */ z w\n");
        let at: Vec<(&str, u32, bool)> = t.iter().map(|t| (t.text.as_str(), t.line, t.spaced)).collect();
        assert_eq!(
            at,
            [
                ("a", 1, true),
                ("#", 2, true),
                ("define", 2, false),
                ("X", 2, true),
                ("y", 3, true),
                ("\n", 3, true),
                ("z", 5, true),
                ("w", 5, true)
            ]
        );
        assert!(!tokens(b"a&&b")[2].spaced && tokens(b"a& &b")[2].spaced);
    }

    #[test]
    fn matching_counts_nested_pairs_of_its_own_kind() {
        let t = tokens(b"f(a, (b), {c}) { x; { y; } }");
        assert_eq!(matching(&t, 1), 11, "the `)` after `{{c}}`");
        assert_eq!(matching(&t, 12), t.len() - 1, "the last `}}`");
        assert_eq!(matching(&t[..5], 1), 5, "never closed: the length");
        assert_eq!(matching(&t, 0), t.len(), "`f` opens nothing");
    }

    /// The byte-at-a-time join this module had first: the oracle.
    fn join_continuations_byte_by_byte(text: &[u8]) -> (Vec<u8>, Lines) {
        let mut out = Vec::with_capacity(text.len());
        let mut breaks = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'\\' && text[i + 1..].starts_with(b"\n") {
                breaks.push(out.len());
                out.push(b' ');
                i += 2;
            } else if text[i] == b'\\' && text[i + 1..].starts_with(b"\r\n") {
                breaks.push(out.len());
                out.push(b' ');
                i += 3;
            } else {
                if text[i] == b'\n' {
                    breaks.push(out.len());
                }
                out.push(text[i]);
                i += 1;
            }
        }
        (out, Lines { breaks, passed: std::cell::Cell::new(0) })
    }

    proptest! {
        #[test]
        fn continuations_join_as_the_byte_loop_joined_them(text in proptest::collection::vec(prop::sample::select(b"ab \\\r\n".to_vec()), 0..80)) {
            let (fast, fast_lines) = join_continuations(&text);
            let (slow, slow_lines) = join_continuations_byte_by_byte(&text);
            prop_assert_eq!(fast, slow);
            prop_assert_eq!(fast_lines.breaks, slow_lines.breaks);
        }

        #[test]
        fn any_bytes_lex_without_panic_and_tokens_hold_no_blank(text in proptest::collection::vec(any::<u8>(), 0..400)) {
            // No token is empty or C whitespace (a non-ASCII space such as
            // U+00A0 is not C whitespace: GCC calls it a stray character).
            for t in c_tokens(&text) {
                prop_assert!(t == "\n" || (!t.is_empty() && !t.bytes().all(|b| b.is_ascii_whitespace())), "blank token {t:?}");
            }
        }

        #[test]
        fn comments_never_change_the_tokens(code in "[a-z_ ;(){}#\n]{0,60}", comment in "[a-zé *]{0,20}") {
            let with = format!("{code} /*{}*/", comment.replace("*/", ""));
            prop_assert_eq!(c_tokens(with.as_bytes()), c_tokens(code.as_bytes()));
        }
    }
}
