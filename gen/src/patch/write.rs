//! Writing unified diffs of whole files, as `git diff` would.

use similar::TextDiff;

use crate::port::Port;

/// The unified diff of one file, with `a/`/`b/` headers and `/dev/null`
/// for a created or deleted file.
pub fn file_diff(path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> Vec<u8> {
    let old_name = if before.is_some() { format!("a/{path}") } else { "/dev/null".into() };
    let new_name = if after.is_some() { format!("b/{path}") } else { "/dev/null".into() };
    let (old, new) = (before.unwrap_or_default(), after.unwrap_or_default());
    if old == new {
        return Vec::new();
    }
    let mut out = Vec::new();
    let diff = TextDiff::configure().algorithm(similar::Algorithm::Myers).diff_lines(old, new);
    diff.unified_diff().context_radius(3).header(&old_name, &new_name).to_writer(&mut out).expect("writing to a Vec cannot fail");
    out
}

/// All files of a port as one diff against the input tree.
pub fn unified_diff(port: &Port) -> Vec<u8> {
    port.files.iter().flat_map(|f| file_diff(&f.path, f.before.as_deref(), f.after.as_deref())).collect()
}
