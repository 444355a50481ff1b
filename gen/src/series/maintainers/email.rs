//! Addresses the way `get_maintainer.pl` handles them: split into a name
//! and an address, formatted back (a name with anything but letters,
//! digits, `_`, space and `-` is quoted), mapped through the tree's
//! `.mailmap`, and picked out of a file's text for the `.yaml` files a
//! patch touches.
//!
//! Everything works on bytes with ASCII rules, because the script reads
//! its files undecoded: `é` is two bytes that are not word characters,
//! so `Pali Rohár` comes out quoted, and only `A`-`Z` are lowercased.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder};

/// A byte regex with Perl's rules for undecoded text: `.` is any byte
/// but `\n`, classes and `\b` are ASCII.
pub(super) fn byte_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).unicode(false).build()
}

fn fixed(pattern: &str) -> Regex {
    byte_regex(pattern).expect("a fixed pattern compiles")
}

/// Perl's `\s` on bytes.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub(super) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_space(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

pub(super) fn trim_end(s: &[u8]) -> &[u8] {
    &s[..s.iter().rposition(|&b| !is_space(b)).map_or(0, |i| i + 1)]
}

/// Perl's `lc` on undecoded text.
pub(super) fn lc(s: &[u8]) -> Vec<u8> {
    s.to_ascii_lowercase()
}

/// A name as the script keeps it: trimmed, outer quotes dropped, and
/// quoted again (inner quotes escaped) if it holds a "must quote" byte.
fn clean_name(name: &[u8]) -> Vec<u8> {
    let name = trim(name);
    let name = name.strip_prefix(b"\"").unwrap_or(name);
    let name = name.strip_suffix(b"\"").unwrap_or(name);
    if name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'-')) {
        return name.to_vec();
    }
    let mut quoted = vec![b'"'];
    for (i, &b) in name.iter().enumerate() {
        if b == b'"' && (i == 0 || name[i - 1] != b'\\') {
            quoted.push(b'\\');
        }
        quoted.push(b);
    }
    quoted.push(b'"');
    quoted
}

/// Splits `Name <address>`, `<address>` or `address ...` into a cleaned
/// name (maybe empty) and address (empty when there is none).
pub(super) fn parse_email(s: &[u8]) -> (Vec<u8>, Vec<u8>) {
    static NAMED: LazyLock<Regex> = LazyLock::new(|| fixed(r"^([^<]+)<(.+@.*)>.*$"));
    static BRACKETED: LazyLock<Regex> = LazyLock::new(|| fixed(r"^\s*<(.+@\S*)>.*$"));
    static BARE: LazyLock<Regex> = LazyLock::new(|| fixed(r"^(.+@\S*).*$"));
    let (name, address): (&[u8], &[u8]) = if let Some(c) = NAMED.captures(s) {
        (c.get(1).map_or(&[], |m| m.as_bytes()), c.get(2).map_or(&[], |m| m.as_bytes()))
    } else if let Some(c) = BRACKETED.captures(s) {
        (&[], c.get(1).map_or(&[], |m| m.as_bytes()))
    } else if let Some(c) = BARE.captures(s) {
        (&[], c.get(1).map_or(&[], |m| m.as_bytes()))
    } else {
        (&[], &[])
    };
    (clean_name(name), trim(address).to_vec())
}

/// `Name <address>`, or the bare address when there is no name.
pub(super) fn format_email(name: &[u8], address: &[u8]) -> Vec<u8> {
    let name = clean_name(name);
    let address = trim(address);
    if name.is_empty() {
        return address.to_vec();
    }
    [&name[..], b" <", address, b">"].concat()
}

/// The tree's `.mailmap`: real names and addresses by the address (or
/// the whole `Name <address>`) a person also wrote.
#[derive(Debug, Default)]
pub(super) struct Mailmap {
    names: HashMap<Vec<u8>, Vec<u8>>,
    addresses: HashMap<Vec<u8>, Vec<u8>>,
}

impl Mailmap {
    /// Reads the four forms `git shortlog` knows; other lines are ignored.
    pub(super) fn parse(text: &[u8]) -> Mailmap {
        static NAME: LazyLock<Regex> = LazyLock::new(|| fixed(r"^([^<]+)<([^>]+)>$"));
        static ADDRESS: LazyLock<Regex> = LazyLock::new(|| fixed(r"^<([^>]+)>\s*<([^>]+)>$"));
        static NAME_ADDRESS: LazyLock<Regex> = LazyLock::new(|| fixed(r"^(.+)<([^>]+)>\s*<([^>]+)>$"));
        static BOTH: LazyLock<Regex> = LazyLock::new(|| fixed(r"^(.+)<([^>]+)>\s*(.+)\s*<([^>]+)>$"));
        let mut map = Mailmap::default();
        for line in text.split(|&b| b == b'\n') {
            let line = line.iter().position(|&b| b == b'#').map_or(line, |i| &line[..i]);
            let line = trim(line);
            if line.is_empty() {
                continue;
            }
            let g = |c: &regex::bytes::Captures, i| c.get(i).map_or(&[][..], |m| m.as_bytes()).to_vec();
            if let Some(c) = NAME.captures(line) {
                let (name, address) = parse_email(&named(trim_end(&g(&c, 1)), &g(&c, 2)));
                map.names.insert(address, name);
            } else if let Some(c) = ADDRESS.captures(line) {
                map.addresses.insert(g(&c, 2), g(&c, 1));
            } else if let Some(c) = NAME_ADDRESS.captures(line) {
                let (name, address) = parse_email(&named(trim_end(&g(&c, 1)), &g(&c, 2)));
                let wrong = g(&c, 3);
                map.names.insert(wrong.clone(), name);
                map.addresses.insert(wrong, address);
            } else if let Some(c) = BOTH.captures(line) {
                let (name, address) = parse_email(&named(trim_end(&g(&c, 1)), &g(&c, 2)));
                let (wrong_name, wrong_address) = parse_email(&named(trim_end(&g(&c, 3)), &g(&c, 4)));
                let wrong = format_email(&wrong_name, &wrong_address);
                map.names.insert(wrong.clone(), name);
                map.addresses.insert(wrong, address);
            }
        }
        map
    }

    /// The address as the mailmap would have it written.
    pub(super) fn map(&self, email: &[u8]) -> Vec<u8> {
        let (name, address) = parse_email(email);
        let whole = format_email(&name, &address);
        let key = if self.names.contains_key(&whole) || self.addresses.contains_key(&whole) {
            whole
        } else {
            address.clone()
        };
        let real_name = self.names.get(&key).unwrap_or(&name);
        let real_address = self.addresses.get(&key).unwrap_or(&address);
        format_email(real_name, real_address)
    }
}

fn named(name: &[u8], address: &[u8]) -> Vec<u8> {
    [name, b" <", address, b">"].concat()
}

/// The bytes the script's `À-ÿ` stands for in its undecoded source: the
/// two UTF-8 sequences make the range `\x80-\xC3` (plus `\xBF`, inside it).
const HIGH: &str = r"\x80-\xC3";

/// The addresses written in a file's text, cleaned into `Name <address>`
/// as the script does for the `.yaml` bindings a patch touches.
pub(super) fn file_emails(text: &[u8]) -> Vec<Vec<u8>> {
    static FOUND: LazyLock<Regex> = LazyLock::new(|| {
        fixed(&format!(
            r#"[A-Za-z{HIGH}"' ,.+-]*\s*[,]*\s*[(<{{]?[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9]+[)>}}]?"#
        ))
    });
    FOUND.find_iter(text).map(|m| clean_file_email(m.as_bytes())).collect()
}

fn clean_file_email(found: &[u8]) -> Vec<u8> {
    static BRACKET: LazyLock<Regex> = LazyLock::new(|| fixed(r"[(<{]?([A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+)[)>}]?"));
    static WORD_BREAK: LazyLock<Regex> = LazyLock::new(|| fixed(&format!(r"[^A-Za-z{HIGH}',.+-]")));
    let bracketed = BRACKET.replace_all(found, &b"<$1>"[..]);
    let (mut name, address) = parse_email(&bracketed);
    if name == br#""[,\.]""# {
        name.clear();
    }
    // Perl's split drops trailing empty fields.
    let mut words: Vec<&[u8]> = WORD_BREAK.split(&name).collect();
    while words.last().is_some_and(|w| w.is_empty()) {
        words.pop();
    }
    if let [.., first, middle, last] = words[..] {
        let initial = |w: &[u8]| w.len() == 1 || (w.len() == 2 && w[1] == b'.');
        let first_initial =
            (first.len() == 1 && first[0].is_ascii_alphabetic()) || (first.len() == 2 && first[1] == b'.');
        name = if first_initial || initial(middle) {
            [first, b" ", middle, b" ", last].concat()
        } else {
            [middle, b" ", last].concat()
        };
    }
    let punct = |b: u8| b == b',' || b == b'.';
    if name.last().is_some_and(|&b| punct(b)) {
        name.pop();
    } else if name.len() >= 2 && punct(name[name.len() - 2]) && name[name.len() - 1] == b'"' {
        name.truncate(name.len() - 2);
        name.push(b'"');
    }
    if name.first().is_some_and(|&b| punct(b)) {
        name.remove(0);
    } else if name.len() >= 2 && name[0] == b'"' && punct(name[1]) {
        name.remove(1);
    }
    format_email(&name, &address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn names_with_more_than_word_characters_are_quoted() {
        let (n, a) = parse_email(b"H. Peter Anvin <hpa@zytor.com>");
        assert_eq!((s(n.clone()), s(a.clone())), ("\"H. Peter Anvin\"".into(), "hpa@zytor.com".into()));
        assert_eq!(s(format_email(&n, &a)), "\"H. Peter Anvin\" <hpa@zytor.com>");
        assert_eq!(s(format_email(b"Pali Roh\xc3\xa1r", b"p@k.org")), "\"Pali Roh\u{e1}r\" <p@k.org>");
        assert_eq!(s(format_email(b"Jean-Luc Picard_2", b" j@e.org ")), "Jean-Luc Picard_2 <j@e.org>");
        assert_eq!(s(format_email(b"say \"hi\" \\\"x", b"a@b")), "\"say \\\"hi\\\" \\\"x\" <a@b>");
        assert_eq!(s(format_email(b"", b"list@vger.kernel.org")), "list@vger.kernel.org");
    }

    #[test]
    fn an_address_may_come_bracketed_bare_or_with_a_comment() {
        assert_eq!(parse_email(b"<a@b.org> trailing"), (vec![], b"a@b.org".to_vec()));
        assert_eq!(parse_email(b"a@b.org (comment)"), (vec![], b"a@b.org".to_vec()));
        assert_eq!(
            parse_email(b"Juri Lelli <j@r.com> (SCHED_DEADLINE)"),
            (b"Juri Lelli".to_vec(), b"j@r.com".to_vec())
        );
        assert_eq!(parse_email(b"no address here"), (vec![], vec![]));
    }

    #[test]
    fn the_mailmap_maps_by_whole_email_first_then_by_address() {
        let m = Mailmap::parse(
            b"# comment\nReal Name <real@x.org>\n<new@x.org> <old@x.org>\nOther One <o@x.org> <o-old@x.org>\n\
              Pat <pat@x.org> Patrick <pat@old.org>\n",
        );
        assert_eq!(s(m.map(b"Whoever <real@x.org>")), "Real Name <real@x.org>");
        assert_eq!(s(m.map(b"Someone <old@x.org>")), "Someone <new@x.org>");
        assert_eq!(s(m.map(b"X <o-old@x.org>")), "Other One <o@x.org>");
        assert_eq!(s(m.map(b"Patrick <pat@old.org>")), "Pat <pat@x.org>");
        assert_eq!(s(m.map(b"Patricia <pat@old.org>")), "Patricia <pat@old.org>");
    }

    #[test]
    fn file_emails_keep_the_last_words_of_the_name() {
        let found =
            file_emails(b"maintainers:\n  - John Ronald R. Tolkien <jrr@t.org>\n  - Jane Q. Public (jq@p.org)\n");
        let found: Vec<String> = found.into_iter().map(s).collect();
        assert_eq!(found, ["\"Ronald R. Tolkien\" <jrr@t.org>", "\"Jane Q. Public\" <jq@p.org>"]);
    }
}
