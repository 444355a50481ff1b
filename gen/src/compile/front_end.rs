//! The front-end-only check: the host gcc through Kbuild, for an arch
//! Debian ships no compiler for (csky, microblaze, nds32, xtensa).
//!
//! Kbuild runs unchanged with `CC` pointing at a small generated script
//! that calls the host gcc: the target's `-m*`, `-EL`/`-EB`, `-G` and
//! fixed-register flags are dropped, `-m32` and the target's predefined
//! macros are added, C is run through the front end only
//! (`-fsyntax-only`; `-S` for the asm-offsets and bounds files, whose
//! output Kbuild reads), assembler sources are preprocessed only, and an
//! empty host object stands where Kbuild expects one. Headers the target
//! compiler ships (nds32's intrinsics) come from the recipe, and arch
//! headers declaring global register variables (`register ... asm("r31")`,
//! a register the host does not have) are read through rewritten copies
//! in which the variable is a plain `extern` declaration.
//!
//! What it catches: preprocessor errors, undeclared identifiers, implicit
//! declarations, wrong argument counts and types, and every other
//! front-end diagnostic. What it cannot: code generation, inline assembly
//! the target rejects, warnings that need the optimiser, and anything the
//! host's 32-bit x86 ABI decides differently. It is labelled "front end
//! only" wherever it is shown, never "builds".

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use regex::Regex;

use super::recipe::FrontEnd;

/// The files a front-end build uses, under `<build dir>/front-end/`.
pub struct FrontEndFiles {
    /// The script Kbuild runs as `CC`.
    pub cc: PathBuf,
    /// The folder of rewritten arch headers, and the tree folder it
    /// stands for.
    pub shadow: (PathBuf, String),
}

/// Writes (or refreshes) the wrapper, the recipe's headers and the
/// rewritten arch headers. Files whose content is unchanged are left
/// alone, so `make` does not rebuild for nothing.
pub fn prepare(dir: &Path, fe: &FrontEnd, tree: &Path, src_arch: &str) -> Result<FrontEndFiles> {
    let stubs = dir.join("include");
    let shadow = dir.join("shadow");
    for (name, text) in &fe.headers {
        write_if_changed(&stubs.join(name), text.as_bytes())?;
    }
    let arch_include = format!("arch/{src_arch}/include");
    write_shadow_headers(&tree.join(&arch_include).join("asm"), &shadow.join("asm"))?;
    let cc = dir.join("cc");
    write_if_changed(&cc, script(fe, &shadow, &stubs).as_bytes())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755))?;
    Ok(FrontEndFiles { cc, shadow: (shadow, arch_include) })
}

/// `register T name asm("reg");` at the start of a line: a global
/// register variable.
fn global_register_variable() -> Regex {
    Regex::new(r#"(?m)^register\s+([^;=()]*?)\s*(?:__asm__|asm)\s*\(\s*"[^"]*"\s*\)\s*;"#).expect("valid regex")
}

/// `text` with every global register variable turned into a plain
/// `extern` declaration, or `None` when it declares none.
pub fn plain_register_variables(text: &str) -> Option<String> {
    let re = global_register_variable();
    re.is_match(text)
        .then(|| re.replace_all(text, "extern $1; /* archport front end: was a register variable */").into_owned())
}

/// A rewritten copy of every header in `asm_dir` that declares a global
/// register variable; copies whose header no longer needs one go away.
fn write_shadow_headers(asm_dir: &Path, shadow_asm: &Path) -> Result<()> {
    let mut wanted = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(asm_dir).with_context(|| format!("listing {}", asm_dir.display()))? {
        let path = e?.path();
        if path.extension().is_none_or(|x| x != "h") {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        if let Some(rewritten) = plain_register_variables(&text) {
            let name = path.file_name().expect("a listed file has a name");
            write_if_changed(&shadow_asm.join(name), rewritten.as_bytes())?;
            wanted.insert(name.to_owned());
        }
    }
    if let Ok(entries) = std::fs::read_dir(shadow_asm) {
        for e in entries {
            let e = e?;
            if !wanted.contains(&e.file_name()) {
                std::fs::remove_file(e.path()).with_context(|| format!("removing {}", e.path().display()))?;
            }
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        crate::output::write_atomic(path, bytes)?;
    }
    Ok(())
}

/// Single-quoted for the shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The wrapper Kbuild runs as `$(CC)`.
fn script(fe: &FrontEnd, shadow: &Path, stubs: &Path) -> String {
    let macros: Vec<String> = fe.macros.iter().map(|m| quote(&format!("-D{m}"))).collect();
    SCRIPT
        .replace("@MACROS@", &macros.join(" "))
        .replace("@SHADOW@", &quote(&shadow.to_string_lossy()))
        .replace("@STUBS@", &quote(&stubs.to_string_lossy()))
}

const SCRIPT: &str = r#"#!/bin/bash
# Generated by archport for a front-end-only check; do not edit.
# Kbuild runs this as $(CC): the host gcc's front end stands in for a
# cross compiler Debian does not ship (see gen/src/compile/front_end.rs).
set -u
extra=(-m32 @MACROS@ -I @SHADOW@ -isystem @STUBS@)
keep=(); out=""; mode=link; next=""; asm=0; stdin=0; query=0
for a in "$@"; do
	if [ -n "$next" ]; then
		case "$next" in
		o) out=$a ;;
		x) keep+=("$a"); case "$a" in assembler*) asm=1 ;; esac ;;
		*) keep+=("$a") ;;
		esac
		next=""
		continue
	fi
	case "$a" in
	-o) next=o ;;
	-x) keep+=("$a"); next=x ;;
	-include|-isystem|-imacros|-I|-D|-U|-MF|-MT|-MQ) keep+=("$a"); next=k ;;
	-c|-S|-E) mode=$a ;;
	-m*|-EL|-EB|-G*|-ffixed-*|-fcall-used-*|-fcall-saved-*) ;;
	-Wa,--version|--version|-v|-dumpversion|-dumpmachine|-print-*|--print-*) query=1; keep+=("$a") ;;
	-) stdin=1; keep+=("$a") ;;
	*.S|*.s) asm=1; keep+=("$a") ;;
	*) keep+=("$a") ;;
	esac
done
# An empty host object where Kbuild expects the target's.
empty_object() { [ -z "$out" ] || exec gcc -m32 -c -x c /dev/null -o "$out"; exit 0; }
if [ $query = 1 ]; then exec gcc -m32 "${keep[@]}"; fi
case "$mode" in
-E)
	if [ -n "$out" ]; then exec gcc "${extra[@]}" -E "${keep[@]}" -o "$out"; fi
	exec gcc "${extra[@]}" -E "${keep[@]}" ;;
link) empty_object ;;
esac
if [ $asm = 1 ]; then
	# A probe of the assembler (as-instr) fails: the host cannot
	# assemble the target's instructions. A source is preprocessed.
	[ $stdin = 0 ] || exit 1
	gcc "${extra[@]}" -E "${keep[@]}" -o /dev/null || exit 1
	empty_object
fi
if [ "$mode" = -S ]; then exec gcc "${extra[@]}" -S "${keep[@]}" -o "$out"; fi
gcc "${extra[@]}" -fsyntax-only "${keep[@]}" || exit 1
empty_object
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_register_variable_becomes_a_plain_declaration() {
        let text = "#include <x.h>\nregister struct task_struct *current asm(\"r31\");\n\
                    static inline f(void) { register unsigned long sp asm(\"r1\"); }\n";
        let out = plain_register_variables(text).unwrap();
        assert!(out.contains("extern struct task_struct *current; /* archport"), "{out}");
        assert!(out.contains("register unsigned long sp asm(\"r1\")"), "locals stay: {out}");
        assert_eq!(plain_register_variables("int x;\n"), None);
    }

    #[test]
    fn the_wrapper_quotes_what_it_is_given() {
        let fe = FrontEnd {
            macros: vec!["__nds32__".into(), "X=1".into()],
            headers: Default::default(),
            headers_reason: None,
        };
        let s = script(&fe, Path::new("/b/shadow"), Path::new("/b/it's"));
        assert!(s.contains("extra=(-m32 '-D__nds32__' '-DX=1' -I '/b/shadow' -isystem '/b/it'\\''s')"), "{s}");
    }
}
