//! Word-level edits: renaming an identifier, replacing exact text.

use super::text;

pub(super) fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    (0..hay.len().saturating_sub(needle.len() - 1)).filter(|&i| hay[i..].starts_with(needle)).collect()
}

pub(super) fn replace_once(t: &mut Vec<u8>, from: &[u8], to: &[u8]) -> Result<(), String> {
    match find_all(t, from).as_slice() {
        [at] => {
            text::splice(t, *at..*at + from.len(), to);
            Ok(())
        }
        [] => Err(format!("text not found: `{}`", String::from_utf8_lossy(from).lines().next().unwrap_or(""))),
        many => Err(format!("text found {} times, expected once", many.len())),
    }
}

pub(super) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(super) fn rename(t: &mut Vec<u8>, from: &str, to: &str) -> Result<(), String> {
    let hits: Vec<usize> = find_all(t, from.as_bytes())
        .into_iter()
        .filter(|&i| (i == 0 || !is_ident(t[i - 1])) && t.get(i + from.len()).is_none_or(|&b| !is_ident(b)))
        .collect();
    if hits.is_empty() {
        return Err(format!("identifier `{from}` does not occur"));
    }
    for &i in hits.iter().rev() {
        text::splice(t, i..i + from.len(), to.as_bytes());
    }
    Ok(())
}
