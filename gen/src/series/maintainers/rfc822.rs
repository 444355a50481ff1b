//! Whether an `M:` or `R:` value is one RFC 822 address or a
//! comma-separated list of them: `get_maintainer.pl` takes a value that
//! is not one valid address but is a valid list as several people.
//!
//! The grammar is RFC 822's (section 6.1 addresses, 3.3 lexical tokens),
//! written as one regular expression over the text with its comments
//! removed. An atom is a maximal run of its characters; the regex crate
//! has no look-ahead to say so, but splitting an atom in two never lets
//! a text match that could not match whole, so the language is the same.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::email::byte_regex;

/// Linear white space: an optional CRLF and a space or tab.
const LWSP: &str = r"(?:(?:\r\n)?[ \t])";

fn grammar() -> String {
    // Specials and controls cannot appear in an atom.
    let atom = format!(r#"[^()<>@,;:\\".\[\] \x00-\x1f\x7f]+{LWSP}*"#);
    let quoted = format!(r#""(?:[^"\r\\]|\\.|{LWSP})*"{LWSP}*"#);
    let literal = format!(r"\[(?:[^\[\]\r\\]|\\.)*\]{LWSP}*");
    let word = format!("(?:{atom}|{quoted})");
    let local = format!(r"{word}(?:\.{LWSP}*{word})*");
    let sub_domain = format!("(?:{atom}|{literal})");
    let domain = format!(r"{sub_domain}(?:\.{LWSP}*{sub_domain})*");
    let spec = format!("{local}@{LWSP}*{domain}");
    let phrase = format!("{word}*");
    let route = format!("(?:@{domain}(?:,@{LWSP}*{domain})*:{LWSP}*)");
    let angle = format!(r"<{LWSP}*{route}?{spec}>{LWSP}*");
    let mailbox = format!("(?:{spec}|{phrase}{angle})");
    let group = format!(r"{phrase}:{LWSP}*(?:{mailbox}(?:,\s*{mailbox})*)?;\s*");
    format!("{LWSP}*(?:{mailbox}|{group})")
}

fn compiled(pattern: String) -> Regex {
    regex::bytes::RegexBuilder::new(&pattern)
        .unicode(false)
        .dot_matches_new_line(true)
        .size_limit(64 << 20)
        .build()
        .expect("the RFC 822 grammar compiles")
}

static ONE: LazyLock<Regex> = LazyLock::new(|| compiled(format!("^{}$", grammar())));
static LIST: LazyLock<Regex> = LazyLock::new(|| compiled(format!("^(?:{g})?(?:,(?:{g})?)*$", g = grammar())));
static ITEM: LazyLock<Regex> = LazyLock::new(|| compiled(format!("(?:^|,{LWSP}*)({})", grammar())));

/// The text with each comment `( ... )` outside quoted strings replaced
/// by a space, innermost first.
fn strip_comments(s: &[u8]) -> Vec<u8> {
    static COMMENT: LazyLock<Regex> = LazyLock::new(|| {
        byte_regex(r#"(?s)^((?:[^"\\]|\\.)*(?:"(?:[^"\\]|\\.)*"(?:[^"\\]|\\.)*)*)\((?:[^()\\]|\\.)*\)"#)
            .expect("the comment pattern compiles")
    });
    let mut s = s.to_vec();
    while let Some(c) = COMMENT.captures(&s) {
        let (whole, before) = (c.get(0).expect("a match").end(), c.get(1).map_or(0, |m| m.end()));
        s = [&s[..before], b" ", &s[whole..]].concat();
    }
    s
}

/// The people a value names: itself when it is one address (or neither
/// one nor a list), each address when it is a list of them.
pub(super) fn people(value: &[u8]) -> Vec<Vec<u8>> {
    let s = strip_comments(value);
    if ONE.is_match(&s) || !LIST.is_match(&s) {
        return vec![value.to_vec()];
    }
    ITEM.captures_iter(&s).filter_map(|c| c.get(1)).map(|m| m.as_bytes().to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people_of(v: &str) -> Vec<String> {
        people(v.as_bytes()).into_iter().map(|p| String::from_utf8(p).unwrap()).collect()
    }

    #[test]
    fn one_address_stays_whole_even_with_commas_or_comments() {
        for v in [
            "\"Lee, Chun-Yi\" <jlee@suse.com>",
            "Juri Lelli <juri.lelli@redhat.com> (SCHED_DEADLINE)",
            "James (Qian) Wang <james.qian.wang@arm.com>",
            "soc@kernel.org",
        ] {
            assert_eq!(people_of(v), [v], "{v}");
        }
    }

    #[test]
    fn a_value_that_is_neither_stays_whole() {
        let v = "Enrico Weigelt, metux IT consult <info@metux.net>";
        assert_eq!(people_of(v), [v]);
    }

    #[test]
    fn a_list_of_addresses_is_split() {
        assert_eq!(people_of("a@b.org, C D <c@d.org>"), ["a@b.org", "C D <c@d.org>"]);
    }

    #[test]
    fn comments_are_removed_outside_quotes_only() {
        assert_eq!(strip_comments(b"A (x (y) z) <a@b>"), b"A   <a@b>");
        assert_eq!(strip_comments(b"\"A (q)\" <a@b>"), b"\"A (q)\" <a@b>");
    }
}
