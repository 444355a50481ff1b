//! Porting one arch: apply its descriptor's edits to the input tree's
//! files and return the post-state of every touched file.
//!
//! Reading the inputs is the only I/O; applying edits is pure, so the
//! result can be compared, diffed and written by later stages.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use crate::arch::Arch;
use crate::descriptor::ArchSpec;
use crate::edit;
use crate::input::read_optional;
use crate::render::{ArchRenderer, Templates};

/// One file the port touches: its content before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortedFile {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

/// The result of porting one arch.
#[derive(Clone, Debug)]
pub struct Port {
    pub arch: Arch,
    pub files: Vec<PortedFile>,
    /// Lines of arch-specific text used: arch templates and hook C text.
    pub template_lines: usize,
}

/// An edit that could not be placed: which arch, file and edit.
#[derive(Debug, thiserror::Error)]
#[error("{arch}: {path}: {op}: {message}")]
pub struct EditError {
    pub arch: Arch,
    pub path: String,
    pub op: String,
    pub message: String,
}

/// Reads the files the descriptor names from `tree`.
pub fn read_inputs(tree: &Path, spec: &ArchSpec) -> Result<BTreeMap<String, Option<Vec<u8>>>> {
    spec.descriptor
        .files
        .iter()
        .map(|f| {
            let p = tree.join(&f.path);
            let meta = p.symlink_metadata();
            if meta.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
                anyhow::bail!("{}: {} is a symbolic link; archport does not edit through links", spec.arch, f.path);
            }
            Ok((f.path.clone(), read_optional(&p).with_context(|| format!("{}: reading {}", spec.arch, f.path))?))
        })
        .collect()
}

/// Applies the descriptor's edits to `inputs`. Pure. The edits share
/// one parse session: each file is parsed once, then re-parsed
/// incrementally after each edit that a later one looks up.
pub fn port(
    spec: &ArchSpec,
    templates: &Templates,
    inputs: &BTreeMap<String, Option<Vec<u8>>>,
) -> Result<Port, EditError> {
    edit::c::session(|| edit_files(spec, templates, inputs)).0
}

fn edit_files(
    spec: &ArchSpec,
    templates: &Templates,
    inputs: &BTreeMap<String, Option<Vec<u8>>>,
) -> Result<Port, EditError> {
    let render = ArchRenderer { spec, templates };
    let mut files = Vec::new();
    for f in &spec.descriptor.files {
        let before = inputs.get(&f.path).cloned().flatten();
        let err = |op: String, message: String| EditError { arch: spec.arch, path: f.path.clone(), op, message };
        let mut after = Some(before.clone().ok_or_else(|| err("read".into(), "the tree has no such file".into()))?);
        for op in &f.edits {
            edit::apply(&mut after, op, &render).map_err(|m| err(op.describe(), m))?;
        }
        files.push(PortedFile { path: f.path.clone(), before, after });
    }
    Ok(Port { arch: spec.arch, files, template_lines: templates.arch_text(spec).len() })
}
