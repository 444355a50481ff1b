//! The port the model checks, read from C: the arch's hooks header and
//! its `mm/` files (a generated port's files laid over them), read under
//! the configuration the verdict is for, each hook the tree's generic
//! code calls run through the hook reader.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use archport_generic::model::{Contract, PortSpec};
use archport_generic::{GuardedEffect, HardwareFacts, Hook};

use super::cpp::{Config, MacroState, Scope};
use super::hook_reader::{read_hook, HookReading, Knowledge};
use super::HOOK_PREFIX;
use crate::descriptor::ArchSpec;
use crate::edit::lex::{self, Token};
use crate::port::Port;

/// The files a port's hooks are read from, in the order the compiler
/// meets them: the hooks header, then the arch's `mm/*.c`.
#[derive(Clone, Debug, Default)]
pub struct HookFiles {
    pub files: Vec<(String, Vec<u8>)>,
    /// The arch's other headers whose code names an `arch_kmap_local_`
    /// hook. `#include` is not followed, so the reader cannot tell
    /// whether such a header defines, redefines or undefines a hook
    /// before the generic code reads it: any of them makes the port
    /// unmodelled, with its place.
    pub elsewhere: Vec<(String, Vec<u8>)>,
}

/// A port as read from C.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CPort {
    /// The hooks without CONFIG_DEBUG_HIGHMEM.
    pub normal: PortSpec,
    /// The hooks with CONFIG_DEBUG_HIGHMEM.
    pub debug: PortSpec,
    /// What a reviewer should know: hooks defined that the generic code
    /// never calls, inline functions without their alias line.
    pub notes: Vec<String>,
}

impl CPort {
    /// The port in a case with or without CONFIG_DEBUG_HIGHMEM.
    pub fn under(&self, debug_highmem: bool) -> &PortSpec {
        if debug_highmem {
            &self.debug
        } else {
            &self.normal
        }
    }

    /// The same hooks under both settings (the usual case).
    pub fn uniform(port: PortSpec) -> CPort {
        CPort { normal: port.clone(), debug: port, notes: Vec::new() }
    }
}

/// What a tree holds for an arch.
#[derive(Clone, Debug)]
pub enum TreePort {
    Read(CPort),
    /// The C says things the reader cannot decide: each with its place.
    Unmodelled(Vec<String>),
    /// The arch is in the tree but does not use kmap_local yet.
    NotPorted(String),
    /// The tree has no such arch.
    NotInTree,
}

/// The hooks header and every C file of `arch/<arch>/mm/`, as `tree` has them.
pub fn hook_files(tree: &Path, spec: &ArchSpec) -> Result<HookFiles> {
    let header = super::hooks_header(spec.arch);
    let mut files = vec![(header.clone(), crate::input::read(&tree.join(&header))?)];
    let mm = tree.join(spec.arch.dir()).join("mm");
    let mut names: Vec<String> = match std::fs::read_dir(&mm) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".c"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    for name in names {
        let rel = format!("{}mm/{name}", spec.arch.dir());
        files.push((rel.clone(), crate::input::read(&tree.join(&rel))?));
    }
    Ok(HookFiles { files, elsewhere: headers_naming_hooks(tree, spec)? })
}

/// Every header under `arch/<arch>/include/` but the hooks header whose
/// text names a hook (comments included: the reader decides later).
fn headers_naming_hooks(tree: &Path, spec: &ArchSpec) -> Result<Vec<(String, Vec<u8>)>> {
    let header = super::hooks_header(spec.arch);
    let include = tree.join(spec.arch.dir()).join("include");
    let finder = memchr::memmem::Finder::new(HOOK_PREFIX);
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(&include).sort_by_file_name() {
        let e = match e {
            Ok(e) => e,
            Err(e) if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => continue,
            Err(e) => return Err(e).with_context(|| format!("listing {}", include.display())),
        };
        if e.file_type().is_dir() || !e.file_name().as_encoded_bytes().ends_with(b".h") {
            continue;
        }
        let rel = e.path().strip_prefix(tree).expect("the walk stays in the tree").to_string_lossy().into_owned();
        if rel == header {
            continue;
        }
        if let Some(text) = crate::input::read_optional(e.path())? {
            if finder.find(&text).is_some() {
                found.push((rel, text));
            }
        }
    }
    Ok(found)
}

impl HookFiles {
    /// The files read under each CONFIG_DEBUG_HIGHMEM setting (off, then
    /// on), as the compiler meets them, each file lexed once: the
    /// setting, its configuration, and what the files leave in scope.
    pub fn read_both(&self, spec: &ArchSpec) -> [(bool, Config, Scope); 2] {
        let lexed: Vec<(&str, Arc<Vec<Token>>)> =
            self.files.iter().map(|(p, text)| (p.as_str(), Arc::new(lex::tokens(text)))).collect();
        [false, true].map(|debug| {
            let config = spec.config(debug);
            let mut scope = Scope::default();
            for (path, toks) in &lexed {
                scope.read_tokens(path, toks, &config);
            }
            (debug, config, scope)
        })
    }

    /// The files as a port leaves them: its post-states laid over them,
    /// the files it deletes gone, the ones it adds in `mm/` added.
    pub fn with_port(mut self, port: &Port) -> HookFiles {
        let header = super::hooks_header(port.arch);
        let include = format!("{}include/", port.arch.dir());
        for f in
            port.files.iter().filter(|f| f.path != header && f.path.starts_with(&include) && f.path.ends_with(".h"))
        {
            self.elsewhere.retain(|(p, _)| *p != f.path);
            if let Some(after) = f.after.as_ref().filter(|a| memchr::memmem::find(a, HOOK_PREFIX.as_bytes()).is_some())
            {
                self.elsewhere.push((f.path.clone(), after.clone()));
            }
        }
        self.elsewhere.sort();
        for f in &port.files {
            let relevant = self.files.iter().any(|(p, _)| *p == f.path)
                || (f.path.starts_with(&format!("{}mm/", port.arch.dir())) && f.path.ends_with(".c"));
            if !relevant {
                continue;
            }
            self.files.retain(|(p, _)| *p != f.path);
            if let Some(after) = &f.after {
                self.files.push((f.path.clone(), after.clone()));
            }
        }
        self.files.sort_by_key(|(p, _)| (*p != header, p.clone()));
        self
    }
}

/// The port the files define for the hooks `contract` calls, on the
/// descriptor's facts and configuration. `Err` lists what the reader
/// could not decide.
pub fn read_port(spec: &ArchSpec, files: &HookFiles, contract: &Contract) -> Result<CPort, Vec<String>> {
    let facts = &spec.descriptor.facts;
    let mut problems = hooks_named_elsewhere(spec, files);
    let mut ports = Vec::new();
    let mut notes = Vec::new();
    for (_, config, scope) in files.read_both(spec) {
        if let Some(at) = scope.errors.first() {
            problems.push(format!(
                "{at}: an #error the configuration reaches: the [config] the verdict is for is impossible"
            ));
        }
        problems.extend(scope.too_deep.iter().map(|at| format!("{at}: conditionals nested past the reader's limit")));
        let k = Knowledge {
            facts,
            config: &config,
            c_effects: &spec.descriptor.c_effects,
            c_values: &spec.descriptor.c_values,
        };
        let mut port = PortSpec::new(*facts);
        for hook in contract.hooks() {
            match read_hook(&scope, hook, &k) {
                HookReading::Default { note } => notes.extend(note),
                HookReading::Defined { effects, .. } => port = port.with_hook(hook, &effects),
                HookReading::Unmodelled(what) => {
                    problems.extend(what.into_iter().map(|w| format!("{}: {w}", hook.c_name())))
                }
            }
        }
        notes.extend(never_called(&scope, contract));
        ports.push(port);
    }
    problems.dedup();
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(problems);
    }
    notes.sort();
    notes.dedup();
    let debug = ports.pop().expect("two settings");
    let normal = ports.pop().expect("two settings");
    Ok(CPort { normal, debug, notes })
}

/// Where the arch's other headers name a hook in code: the reader does
/// not follow `#include`, so what each does to the hook is unknown.
fn hooks_named_elsewhere(spec: &ArchSpec, files: &HookFiles) -> Vec<String> {
    let header = super::hooks_header(spec.arch);
    let mut out = Vec::new();
    for (path, text) in &files.elsewhere {
        let mut seen = std::collections::BTreeSet::new();
        for t in lex::tokens(text).into_iter().filter(|t| t.text.starts_with(HOOK_PREFIX)) {
            if seen.insert(t.text.clone()) {
                out.push(format!(
                    "{path}:{}: names {} outside {header}; archport does not follow #include, so whether this header \
                     defines, redefines or undefines the hook cannot be decided",
                    t.line, t.text
                ));
            }
        }
    }
    out
}

/// The `arch_kmap_local_*` macros and functions the files define that the
/// tree's generic code never calls.
fn never_called(scope: &Scope, contract: &Contract) -> Vec<String> {
    let defined = scope.macros.iter().filter_map(|(name, m)| match m {
        MacroState::Defined(m) => Some((name, m.at.to_string())),
        MacroState::Undefined { .. } => None,
    });
    defined
        .filter_map(|(name, at)| {
            let short = name.strip_prefix(HOOK_PREFIX)?;
            let called = Hook::from_name(short).is_some_and(|h| contract.calls(h));
            (!called).then(|| format!("{at}: defines {name}, which this tree's generic code never calls"))
        })
        .collect()
}

/// The port a descriptor declares, as the model sees it.
pub fn declared_port(spec: &ArchSpec) -> PortSpec {
    let mut port = PortSpec::new(spec.descriptor.facts);
    for (hook, h) in spec.hooks() {
        port = port.with_hook(hook, &h.effects);
    }
    port
}

/// The port the generated files define, read back from their C (the C
/// the series would send) under the 5.10 contract archport generates
/// for. It must do what the descriptor declares: a descriptor whose C
/// does something else than its `effects` is an error, never checked by
/// its declaration alone.
pub fn generated_port(spec: &ArchSpec, tree: &Path, port: &Port) -> Result<CPort> {
    let files = hook_files(tree, spec)?.with_port(port);
    let contract = Contract::linux_5_10();
    let read = read_port(spec, &files, &contract).map_err(|what| {
        anyhow::anyhow!("{}: the generated hooks cannot be modelled:\n  {}", spec.arch, what.join("\n  "))
    })?;
    let declared = declared_port(spec);
    let header = super::hooks_header(spec.arch);
    for (setting, read) in [("", &read.normal), (" (with CONFIG_DEBUG_HIGHMEM)", &read.debug)] {
        for hook in contract.hooks() {
            let (ours, says) =
                (resolved(read, hook, &spec.descriptor.facts), resolved(&declared, hook, &spec.descriptor.facts));
            if ours != says {
                bail!(
                    "{}: {} in the generated {header} performs {}{setting} but the descriptor declares {}",
                    spec.arch,
                    hook.c_name(),
                    describe(ours.as_deref()),
                    describe(says.as_deref())
                );
            }
        }
    }
    Ok(read)
}

/// The effects a hook performs on this hardware, `None` for the default.
fn resolved(port: &PortSpec, hook: Hook, facts: &HardwareFacts) -> Option<Vec<GuardedEffect>> {
    debug_assert_eq!(&port.facts, facts);
    port.defines(hook)
        .then(|| port.effects(hook).into_iter().map(|effect| GuardedEffect { effect, when: None }).collect())
}

fn describe(effects: Option<&[GuardedEffect]>) -> String {
    match effects {
        None => "nothing (the generic default)".into(),
        Some([]) => "no effect".into(),
        Some(list) => list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// What `tree` holds for the descriptor's arch, read under `contract`
/// (the tree's own generic code).
pub fn tree_port(spec: &ArchSpec, tree: &Path, contract: &Contract) -> Result<TreePort> {
    if !tree.join(spec.arch.dir()).is_dir() {
        return Ok(TreePort::NotInTree);
    }
    if !selects_kmap_local(tree, spec)? {
        return Ok(TreePort::NotPorted(format!("no Kconfig file under {} selects KMAP_LOCAL", spec.arch.dir())));
    }
    let files = hook_files(tree, spec)?;
    Ok(match read_port(spec, &files, contract) {
        Ok(port) => TreePort::Read(port),
        Err(what) => TreePort::Unmodelled(what),
    })
}

/// Whether the arch's Kconfig files select KMAP_LOCAL: the tree has its port.
fn selects_kmap_local(tree: &Path, spec: &ArchSpec) -> Result<bool> {
    let dir = tree.join(spec.arch.dir());
    for e in walkdir::WalkDir::new(&dir).max_depth(2).into_iter().filter_map(|e| e.ok()) {
        if e.file_type().is_file() && e.file_name().to_string_lossy().starts_with("Kconfig") {
            let text = crate::input::read(e.path())?;
            let text = String::from_utf8_lossy(&text);
            // `select KMAP_LOCAL`, possibly with an `if`.
            if text.lines().any(|l| l.split_whitespace().take(2).eq(["select", "KMAP_LOCAL"])) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::port::PortedFile;

    /// A csky tree of small files: the hooks header (no hooks: the
    /// generic defaults), one `mm/` file, and `headers` under its include/.
    fn tree(headers: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("arch/csky/include/asm/highmem.h", "#ifndef _H\n#define _H\n#endif\n");
        write("arch/csky/mm/highmem.c", "int x;\n");
        for (rel, text) in headers {
            write(&format!("arch/csky/include/{rel}"), text);
        }
        dir
    }

    fn spec() -> ArchSpec {
        crate::descriptor::load(&crate::descriptor::templates_root(None), Arch::Csky).unwrap()
    }

    #[test]
    fn a_hook_named_in_a_header_the_reader_does_not_follow_is_unmodelled_with_its_place() {
        let t = tree(&[
            ("asm/fixmap.h", "/* a fixmap */\n#undef arch_kmap_local_post_map\n"),
            ("asm/mach/deep.h", "#define arch_kmap_local_post_unmap(v) do { } while (0)\n"),
            ("asm/cacheflush.h", "/* arch_kmap_local_post_map lives in highmem.h */\n"),
            ("asm/other.h", "#define flush_cache_all() do { } while (0)\n"),
            ("asm/fixmap.c", "#undef arch_kmap_local_post_map\n"),
        ]);
        let files = hook_files(t.path(), &spec()).unwrap();
        let kept: Vec<&str> = files.elsewhere.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            kept,
            [
                "arch/csky/include/asm/cacheflush.h",
                "arch/csky/include/asm/fixmap.h",
                "arch/csky/include/asm/mach/deep.h"
            ],
            "headers naming a hook, at any depth; never the hooks header or another kind of file"
        );
        let what = read_port(&spec(), &files, &Contract::linux_5_10()).unwrap_err().join("\n");
        assert!(what.contains("arch/csky/include/asm/fixmap.h:2: names arch_kmap_local_post_map outside"), "{what}");
        assert!(what.contains("asm/mach/deep.h:1: names arch_kmap_local_post_unmap"), "{what}");
        assert!(!what.contains("cacheflush.h"), "a comment changes no hook: {what}");
    }

    #[test]
    fn a_port_that_names_a_hook_in_another_header_is_read_as_it_leaves_it() {
        let t = tree(&[("asm/fixmap.h", "#undef arch_kmap_local_post_map\n")]);
        let files = hook_files(t.path(), &spec()).unwrap();
        let port = |path: &str, after: &str| Port {
            arch: Arch::Csky,
            files: vec![PortedFile { path: path.into(), before: None, after: Some(after.as_bytes().to_vec()) }],
            template_lines: 0,
        };
        let cleaned = files.clone().with_port(&port("arch/csky/include/asm/fixmap.h", "int fixmap;\n"));
        assert!(cleaned.elsewhere.is_empty(), "the port removed the name");
        assert!(read_port(&spec(), &cleaned, &Contract::linux_5_10()).is_ok());
        let added = files.with_port(&port("arch/csky/include/asm/tlb.h", "#define arch_kmap_local_pre_map(v, p)\n"));
        assert_eq!(added.elsewhere.len(), 2, "the port's new header is read too");
    }
}
