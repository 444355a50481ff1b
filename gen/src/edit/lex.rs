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

/// C tokens with comments removed; preprocessor lines end in a `\n` token.
pub fn c_tokens(text: &[u8]) -> Vec<String> {
    let joined = join_continuations(text);
    let b = joined.as_slice();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_directive = false;
    let mut line_start = true;
    let end_directive = |out: &mut Vec<String>, in_directive: &mut bool| {
        if *in_directive {
            out.push("\n".to_string());
            *in_directive = false;
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            end_directive(&mut out, &mut in_directive);
            line_start = true;
            i += 1;
            continue;
        }
        // C's whitespace, vertical tab and form feed included.
        if matches!(c, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r') {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"/*") {
            let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            // A comment spanning lines still ends a directive's line.
            if b[i..end].contains(&b'\n') {
                end_directive(&mut out, &mut in_directive);
            }
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
        out.push(String::from_utf8_lossy(&b[start..i]).into_owned());
    }
    end_directive(&mut out, &mut in_directive);
    out
}

/// `text` with every backslash-newline (and backslash-CR-LF) replaced by
/// a space: the line is joined, and the tokens on either side stay apart
/// as the kernel's aligned continuations expect.
fn join_continuations(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' && text[i + 1..].starts_with(b"\n") {
            out.push(b' ');
            i += 2;
        } else if text[i] == b'\\' && text[i + 1..].starts_with(b"\r\n") {
            out.push(b' ');
            i += 3;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Identifier bytes: ASCII letters, digits and `_`, and every byte of a
/// non-ASCII character (GCC takes UTF-8 in identifiers), so a multibyte
/// character is never cut in two.
fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The first `needle` in `hay` at or after `from`.
fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
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

    proptest! {
        #[test]
        fn any_bytes_lex_without_panic_and_tokens_hold_no_blank(text in proptest::collection::vec(any::<u8>(), 0..400)) {
            for t in c_tokens(&text) {
                prop_assert!(t == "\n" || !t.trim().is_empty(), "blank token {t:?}");
            }
        }

        #[test]
        fn comments_never_change_the_tokens(code in "[a-z_ ;(){}#\n]{0,60}", comment in "[a-zé *]{0,20}") {
            let with = format!("{code} /*{}*/", comment.replace("*/", ""));
            prop_assert_eq!(c_tokens(with.as_bytes()), c_tokens(code.as_bytes()));
        }
    }
}
