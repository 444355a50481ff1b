//! The edit operations a descriptor can ask for, and applying them.
//!
//! Each operation is written once and used by every arch that needs it;
//! an arch descriptor only names them and their arguments. An operation
//! that cannot find what it is asked to change fails with a message
//! naming the file, the operation and what was missing.

use serde::Deserialize;

use super::doc::replace_doc_paragraphs;
use super::includes::{add_include, replace_include};
use super::place::{insert, move_definition, replace_statement};
use super::remove::{
    drop_static, first_code_line, remove_declaration, remove_function, remove_macro, remove_statements,
};
use super::words::{rename, replace_once};
use super::{kbuild, text};

/// One edit, as written in a descriptor's `edits = [...]` list.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Add `select SYMBOL` to the Kconfig entry `config CONFIG`.
    KconfigSelect { config: String, symbol: String },
    /// Replace every `#include <FROM>` with `#include <TO>`.
    ReplaceInclude { from: String, to: String },
    /// Remove every `#include <HEADER>`.
    DropInclude { header: String },
    /// Add `#include <HEADER>` right after `#include <AFTER>`.
    AddInclude { header: String, after: String },
    /// Rename an identifier everywhere in the file (comments included).
    Rename { from: String, to: String },
    /// Remove every definition of a function, the comment right above
    /// it, its EXPORT_SYMBOL and the blank line it leaves.
    RemoveFunction { name: String },
    /// Remove every declaration or definition of a variable or prototype,
    /// its EXPORT_SYMBOL, and an `#ifdef` block left empty.
    RemoveDeclaration { name: String },
    /// Remove the statements inside functions that mention an identifier
    /// (a call or an assignment), the comment right above each, and an
    /// `#ifdef` block left empty.
    RemoveStatements { mentioning: String },
    /// Remove the Makefile line building OBJECT, with a comment line that
    /// only described it.
    RemoveMakefileObject { object: String },
    /// Delete the file outright (a header the change makes obsolete).
    DeleteFile,
    /// Delete a file the previous edits left with nothing but includes,
    /// comments and guards; an error if code remains.
    DeleteEmptiedFile,
    /// Insert the arch's hook macros (shared template) at an anchor.
    InsertHooks {
        #[serde(flatten)]
        at: Anchor,
    },
    /// Insert a rendered template at an anchor.
    InsertTemplate {
        template: String,
        #[serde(flatten)]
        at: Anchor,
    },
    /// Replace the statement of function `function`'s body that mentions
    /// `mentioning` (an `if`, a loop, an expression) with a rendered
    /// template: how a call site changes without restating the function.
    ReplaceStatement { function: String, mentioning: String, template: String },
    /// Replace the paragraphs of a function's doc comment, from the first
    /// line mentioning `from_mentioning` to the comment's end, with a
    /// rendered template.
    ReplaceDocParagraphs { function: String, from_mentioning: String, template: String },
    /// Replace one exact occurrence of FROM with a rendered template.
    ReplaceText { from: String, template: String },
    /// Remove `#define NAME` with its continuation lines, and an `#ifdef`
    /// block left empty.
    RemoveMacro { name: String },
    /// Move a named definition (macro, function, declaration) to an
    /// anchor: a macro moved next to a macro joins its paragraph.
    MoveDefinition {
        name: String,
        #[serde(flatten)]
        at: Anchor,
    },
    /// Remove `static` from the definition of function NAME, so that
    /// other files can call it.
    DropStatic { name: String },
}

/// Where inserted text goes: after or before a named definition (macro,
/// function, declaration), or at the end of a header, before its guard's
/// closing `#endif`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub after: Option<String>,
    pub before: Option<String>,
    #[serde(default)]
    pub at_end: bool,
}

impl Op {
    /// A short human name for messages: `remove_function kmap_atomic_pfn`.
    pub fn describe(&self) -> String {
        match self {
            Op::KconfigSelect { config, symbol } => format!("kconfig_select {symbol} in {config}"),
            Op::ReplaceInclude { from, to } => format!("replace_include <{from}> by <{to}>"),
            Op::DropInclude { header } => format!("drop_include <{header}>"),
            Op::AddInclude { header, after } => format!("add_include <{header}> after <{after}>"),
            Op::Rename { from, to } => format!("rename {from} to {to}"),
            Op::RemoveFunction { name } => format!("remove_function {name}"),
            Op::RemoveDeclaration { name } => format!("remove_declaration {name}"),
            Op::RemoveStatements { mentioning } => format!("remove_statements mentioning {mentioning}"),
            Op::RemoveMakefileObject { object } => format!("remove_makefile_object {object}"),
            Op::DeleteFile => "delete_file".into(),
            Op::DeleteEmptiedFile => "delete_emptied_file".into(),
            Op::InsertHooks { .. } => "insert_hooks".into(),
            Op::InsertTemplate { template, .. } => format!("insert_template {template}"),
            Op::ReplaceStatement { function, mentioning, template } => {
                format!("replace_statement in {function} mentioning {mentioning} with {template}")
            }
            Op::ReplaceDocParagraphs { function, template, .. } => {
                format!("replace_doc_paragraphs of {function} with {template}")
            }
            Op::ReplaceText { template, .. } => format!("replace_text with {template}"),
            Op::RemoveMacro { name } => format!("remove_macro {name}"),
            Op::MoveDefinition { name, .. } => format!("move_definition {name}"),
            Op::DropStatic { name } => format!("drop_static {name}"),
        }
    }

    /// The template an operation renders, if any.
    pub fn template(&self) -> Option<&str> {
        match self {
            Op::InsertTemplate { template, .. }
            | Op::ReplaceStatement { template, .. }
            | Op::ReplaceDocParagraphs { template, .. }
            | Op::ReplaceText { template, .. } => Some(template),
            _ => None,
        }
    }
}

/// Supplies rendered text to the operations that insert it.
pub trait Render {
    fn hooks(&self) -> Result<String, String>;
    fn template(&self, name: &str) -> Result<String, String>;
}

/// Applies one operation to a file's content (`None`: deleted).
pub fn apply(content: &mut Option<Vec<u8>>, op: &Op, render: &dyn Render) -> Result<(), String> {
    let Some(t) = content.as_mut() else {
        return Err("the file was already deleted by an earlier edit".into());
    };
    match op {
        Op::KconfigSelect { config, symbol } => kbuild::kconfig_select(t, config, symbol),
        Op::ReplaceInclude { from, to } => replace_include(t, from, Some(to)),
        Op::DropInclude { header } => replace_include(t, header, None),
        Op::AddInclude { header, after } => add_include(t, header, after),
        Op::Rename { from, to } => rename(t, from, to),
        Op::RemoveFunction { name } => remove_function(t, name),
        Op::RemoveDeclaration { name } => remove_declaration(t, name),
        Op::RemoveStatements { mentioning } => remove_statements(t, mentioning),
        Op::RemoveMakefileObject { object } => kbuild::remove_object(t, object),
        Op::DeleteFile => {
            *content = None;
            Ok(())
        }
        Op::DeleteEmptiedFile => {
            if let Some(line) = first_code_line(t) {
                return Err(format!("the file still has code at line {line}; not deleting it"));
            }
            *content = None;
            Ok(())
        }
        Op::InsertHooks { at } => insert(t, at, &render.hooks()?),
        Op::InsertTemplate { template, at } => insert(t, at, &render.template(template)?),
        Op::ReplaceStatement { function, mentioning, template } => {
            replace_statement(t, function, mentioning, &render.template(template)?)
        }
        Op::ReplaceDocParagraphs { function, from_mentioning, template } => {
            replace_doc_paragraphs(t, function, from_mentioning, &render.template(template)?)
        }
        Op::ReplaceText { from, template } => {
            let rendered = render.template(template)?;
            replace_once(t, from.as_bytes(), &text::with_newlines(&rendered, text::newline(t)))
        }
        Op::RemoveMacro { name } => remove_macro(t, name),
        Op::MoveDefinition { name, at } => move_definition(t, name, at),
        Op::DropStatic { name } => drop_static(t, name),
    }
}
