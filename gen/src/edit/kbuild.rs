//! Edits to Kconfig and Makefiles.

use super::text::{self, line_str};

/// The entry `config CONFIG` (or `menuconfig`): its head line and its
/// property lines (indented, up to `help` or the entry's end) with their
/// line numbers.
fn entry(t: &[u8], config: &str) -> Option<(usize, Vec<(usize, String)>)> {
    let lines = text::line_ranges(t);
    let head = lines.iter().position(|l| {
        let s = line_str(t, l);
        let mut w = s.split_whitespace();
        matches!(w.next(), Some("config") | Some("menuconfig")) && w.next() == Some(config) && w.next().is_none()
    })?;
    let props = lines
        .iter()
        .enumerate()
        .skip(head + 1)
        .map(|(i, l)| (i, line_str(t, l)))
        .take_while(|(_, s)| {
            let key = s.split_whitespace().next().unwrap_or("");
            !s.trim().is_empty() && s.starts_with(char::is_whitespace) && key != "help" && key != "---help---"
        })
        .collect();
    Some((head, props))
}

fn is_select_of(line: &str, symbol: &str) -> bool {
    line.split_whitespace().collect::<Vec<_>>() == ["select", symbol]
}

/// Adds `select SYMBOL` to the entry `config CONFIG`: after its
/// `depends on`/`select` lines (in sorted position when the selects are
/// sorted), before `default`/`help`, with the entry's indentation.
pub fn kconfig_select(t: &mut Vec<u8>, config: &str, symbol: &str) -> Result<(), String> {
    let (head, props) = entry(t, config).ok_or_else(|| format!("no `config {config}` entry"))?;
    let Some((_, first)) = props.first() else {
        return Err(format!("`config {config}` has no properties to place `select {symbol}` among"));
    };
    let indent: String = first.chars().take_while(|c| c.is_whitespace()).collect();
    if props.iter().any(|(_, s)| is_select_of(s, symbol)) {
        return Err(format!("`config {config}` already selects {symbol}"));
    }
    let is = |s: &str, key: &str| s.trim_start().starts_with(key);
    let selects: Vec<&(usize, String)> = props.iter().filter(|(_, s)| is(s, "select ")).collect();
    let names: Vec<&str> = selects.iter().map(|(_, s)| s.split_whitespace().nth(1).unwrap_or("")).collect();
    let sorted = names.len() > 1 && names.windows(2).all(|w| w[0] <= w[1]);
    let after = if sorted {
        selects.iter().rev().find(|(_, s)| s.split_whitespace().nth(1).unwrap_or("") < symbol).map(|(i, _)| *i)
    } else {
        None
    };
    let after = after.or_else(|| {
        props
            .iter()
            .filter(|(_, s)| {
                is(s, "depends on") || is(s, "select ") || is(s, "bool") || is(s, "def_bool") || is(s, "tristate")
            })
            .map(|(i, _)| *i)
            .next_back()
    });
    let after = after.unwrap_or(head);
    let nl = text::newline(t);
    let mut ins = format!("{indent}select {symbol}").into_bytes();
    ins.extend_from_slice(nl);
    text::insert_after_line(t, after, &ins);
    Ok(())
}

/// Whether the entry `config CONFIG` already selects SYMBOL.
pub fn kconfig_selects(t: &[u8], config: &str, symbol: &str) -> bool {
    entry(t, config).is_some_and(|(_, props)| props.iter().any(|(_, s)| is_select_of(s, symbol)))
}

/// Removes every Makefile line that builds `object` (as the line's only
/// object), and a comment line right above one that described it.
pub fn remove_object(t: &mut Vec<u8>, object: &str) -> Result<(), String> {
    let mut removed = 0;
    while let Some(idx) = object_line(t, object) {
        remove_object_line(t, idx);
        removed += 1;
    }
    if removed == 0 {
        return Err(format!("no Makefile line building only `{object}`"));
    }
    Ok(())
}

fn object_line(t: &[u8], object: &str) -> Option<usize> {
    text::line_ranges(t).iter().position(|l| {
        let s = line_str(t, l);
        let Some((lhs, rhs)) = s.split_once("+=").or_else(|| s.split_once(":=")) else { return false };
        lhs.trim_start().starts_with("obj-") && rhs.split_whitespace().collect::<Vec<_>>() == [object]
    })
}

fn remove_object_line(t: &mut Vec<u8>, idx: usize) {
    let lines = text::line_ranges(t);
    let mut first = idx;
    let comment_above = idx > 0 && line_str(t, &lines[idx - 1]).trim_start().starts_with('#');
    let ends_paragraph = idx + 1 >= lines.len() || text::is_blank(t, &lines[idx + 1]);
    if comment_above && ends_paragraph && (idx < 2 || text::is_blank(t, &lines[idx - 2])) {
        first = idx - 1;
    }
    // A paragraph at the end of the file takes its leading blank line.
    if idx + 1 >= lines.len() && first > 0 && text::is_blank(t, &lines[first - 1]) {
        first -= 1;
    }
    text::remove_lines(t, first, idx);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(src: &str, config: &str) -> String {
        let mut t = src.as_bytes().to_vec();
        kconfig_select(&mut t, config, "KMAP_LOCAL").unwrap();
        String::from_utf8(t).unwrap()
    }

    #[test]
    fn select_goes_after_depends_and_before_help_or_default() {
        let src = "config HIGHMEM\n\tbool \"High\"\n\tdepends on MMU\n\thelp\n\t  text\n";
        assert_eq!(
            select(src, "HIGHMEM"),
            "config HIGHMEM\n\tbool \"High\"\n\tdepends on MMU\n\tselect KMAP_LOCAL\n\thelp\n\t  text\n"
        );
        let src = "config HIGHMEM\n\tbool\n\tdepends on !X\n\tdefault y\n\nconfig N\n";
        assert_eq!(
            select(src, "HIGHMEM"),
            "config HIGHMEM\n\tbool\n\tdepends on !X\n\tselect KMAP_LOCAL\n\tdefault y\n\nconfig N\n"
        );
    }

    #[test]
    fn select_keeps_sorted_selects_sorted() {
        let src = "config X86_32\n\tdef_bool y\n\tselect CLONE_BACKWARDS\n\tselect HAVE_DEBUG\n\tselect MODULES_USE\n";
        assert_eq!(
            select(src, "X86_32"),
            "config X86_32\n\tdef_bool y\n\tselect CLONE_BACKWARDS\n\tselect HAVE_DEBUG\n\tselect KMAP_LOCAL\n\tselect MODULES_USE\n"
        );
    }

    #[test]
    fn select_errors_name_what_is_missing() {
        let mut t = b"config A\n\tbool\n".to_vec();
        assert_eq!(kconfig_select(&mut t, "HIGHMEM", "KMAP_LOCAL").unwrap_err(), "no `config HIGHMEM` entry");
    }

    #[test]
    fn makefile_object_goes_with_its_comment() {
        let mut t = b"obj-y += a.o\n\n# Only used by sparc32\nobj-$(CONFIG_HIGHMEM)   += highmem.o\n".to_vec();
        remove_object(&mut t, "highmem.o").unwrap();
        assert_eq!(t, b"obj-y += a.o\n");
        let mut t = b"obj-y += a.o\nobj-$(CONFIG_HIGHMEM) += highmem.o\nobj-y += b.o\n".to_vec();
        remove_object(&mut t, "highmem.o").unwrap();
        assert_eq!(t, b"obj-y += a.o\nobj-y += b.o\n");
    }
}
