//! Reading the hooks an arch actually defines in a tree, and mapping
//! their C text back to effects in the model's vocabulary.
//!
//! The mapping is the arch descriptor's `[c_effects]` table (which C
//! function performs which effects) plus the few run-time conditions the
//! model knows (`cache_is_vivt()`). A call the table does not know makes
//! the hook *unmodelled*: it is reported, never silently accepted.

use std::collections::BTreeMap;

use archport_generic::{Condition, Effect, GuardedEffect, Hook};

use crate::fidelity::{code_units, Language};

/// A hook definition found in a header: its body as C tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundHook {
    pub hook: Hook,
    pub tokens: Vec<String>,
}

/// C identifiers that are syntax or compile-time switches, not calls
/// with an effect on the hardware.
const NOT_CALLS: [&str; 8] = ["do", "while", "if", "return", "IS_ENABLED", "sizeof", "unlikely", "likely"];

fn condition(name: &str) -> Option<Condition> {
    match name {
        "cache_is_vivt" => Some(Condition::CacheIsVivt),
        _ => None,
    }
}

/// Finds `#define arch_kmap_local_*` macros and `arch_kmap_local_*`
/// inline functions in a header.
pub fn find_hooks(header: &[u8]) -> Vec<FoundHook> {
    let tokens = code_units(Language::C, header);
    let mut found: Vec<FoundHook> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(hook) = tokens[i].strip_prefix("arch_kmap_local_").and_then(Hook::from_name) else {
            i += 1;
            continue;
        };
        let is_define = i >= 2 && tokens[i - 1] == "define" && tokens[i - 2] == "#";
        if is_define {
            // `#define NAME(params) body \n` or `#define NAME body \n`.
            let mut j = i + 1;
            if tokens.get(j).map(String::as_str) == Some("(") {
                j = close_paren(&tokens, j) + 1;
            }
            let end = tokens[j..].iter().position(|t| t == "\n").map(|p| j + p).unwrap_or(tokens.len());
            let body: Vec<String> = tokens[j..end].to_vec();
            // `#define arch_kmap_local_high_get arch_kmap_local_high_get`
            // only says the inline function below is the hook.
            if body.len() != 1 || body[0] != tokens[i] {
                found.retain(|f| f.hook != hook);
                found.push(FoundHook { hook, tokens: body });
            }
            i = end;
        } else if tokens.get(i + 1).map(String::as_str) == Some("(") {
            // An inline function definition: NAME(params) { body }.
            let close = close_paren(&tokens, i + 1);
            if tokens.get(close + 1).map(String::as_str) == Some("{") {
                let end = close_brace(&tokens, close + 1);
                found.retain(|f| f.hook != hook);
                found.push(FoundHook { hook, tokens: tokens[close + 2..end].to_vec() });
                i = end;
            } else {
                i = close;
            }
        } else {
            i += 1;
        }
    }
    found.sort_by_key(|f| f.hook);
    found
}

fn close_paren(tokens: &[String], open: usize) -> usize {
    matching(tokens, open, "(", ")")
}

fn close_brace(tokens: &[String], open: usize) -> usize {
    matching(tokens, open, "{", "}")
}

fn matching(tokens: &[String], open: usize, l: &str, r: &str) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        if t == l {
            depth += 1;
        } else if t == r {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    tokens.len().saturating_sub(1)
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// Maps a hook body to effects: each call through `c_effects`, a call in
/// an `if (...)` condition through the known conditions (guarding the
/// statement that follows). `Err` lists the calls nobody knows.
pub fn effects_of(
    tokens: &[String],
    c_effects: &BTreeMap<String, Vec<Effect>>,
) -> Result<Vec<GuardedEffect>, Vec<String>> {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    let mut guard: Option<Condition> = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if t == "if" && tokens.get(i + 1).map(String::as_str) == Some("(") {
            let close = close_paren(tokens, i + 1);
            for k in i + 2..close {
                let name = tokens[k].as_str();
                if is_ident(name) && tokens.get(k + 1).map(String::as_str) == Some("(") && !NOT_CALLS.contains(&name) {
                    match condition(name) {
                        Some(c) => guard = Some(c),
                        None => unknown.push(format!("{name}() in a condition")),
                    }
                }
            }
            i = close + 1;
            continue;
        }
        if t == ";" {
            guard = None;
        }
        let call = is_ident(t) && tokens.get(i + 1).map(String::as_str) == Some("(");
        // A body that is just a function name aliases that function.
        let alias = is_ident(t) && tokens.len() == 1;
        if (call || alias) && !NOT_CALLS.contains(&t) {
            match c_effects.get(t) {
                Some(effects) => out.extend(effects.iter().map(|&effect| GuardedEffect { effect, when: guard })),
                None if condition(t).is_some() => {}
                None => unknown.push(format!("{t}()")),
            }
            if call {
                i = close_paren(tokens, i + 1) + 1;
                continue;
            }
        }
        i += 1;
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> BTreeMap<String, Vec<Effect>> {
        [
            ("local_flush_tlb_kernel_page", vec![Effect::TlbFlushPage]),
            ("__cpuc_flush_dcache_area", vec![Effect::CacheFlushPage]),
            ("kmap_high_get", vec![Effect::PkmapLookup]),
            ("kmap_local_map_idx", vec![Effect::ColourIndex]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    const HEADER: &str = "\
#ifdef X
static inline void *arch_kmap_local_high_get(struct page *page)
{
\tif (IS_ENABLED(CONFIG_DEBUG_HIGHMEM) && !cache_is_vivt())
\t\treturn NULL;
\treturn kmap_high_get(page);
}
#define arch_kmap_local_high_get arch_kmap_local_high_get
#endif
#define arch_kmap_local_post_map(vaddr, pteval)\t\\
\tlocal_flush_tlb_kernel_page(vaddr)
#define arch_kmap_local_pre_unmap(vaddr)\t\\
do {\t\\
\tif (cache_is_vivt())\t\\
\t\t__cpuc_flush_dcache_area((void *)vaddr, PAGE_SIZE);\t\\
} while (0)
#define arch_kmap_local_map_idx\t\tkmap_local_map_idx
";

    #[test]
    fn finds_macros_aliases_and_inline_functions() {
        let found = find_hooks(HEADER.as_bytes());
        let hooks: Vec<Hook> = found.iter().map(|f| f.hook).collect();
        assert_eq!(hooks, [Hook::MapIdx, Hook::PostMap, Hook::PreUnmap, Hook::HighGet]);
        let t = table();
        let effects = |h: Hook| effects_of(&found.iter().find(|f| f.hook == h).unwrap().tokens, &t).unwrap();
        assert_eq!(effects(Hook::PostMap), [GuardedEffect { effect: Effect::TlbFlushPage, when: None }]);
        assert_eq!(
            effects(Hook::PreUnmap),
            [GuardedEffect { effect: Effect::CacheFlushPage, when: Some(Condition::CacheIsVivt) }]
        );
        assert_eq!(effects(Hook::HighGet), [GuardedEffect { effect: Effect::PkmapLookup, when: None }]);
        assert_eq!(effects(Hook::MapIdx), [GuardedEffect { effect: Effect::ColourIndex, when: None }]);
    }

    #[test]
    fn unknown_calls_are_unmodelled() {
        let found = find_hooks(b"#define arch_kmap_local_post_unmap(vaddr) flush_everything(vaddr)\n");
        assert_eq!(effects_of(&found[0].tokens, &table()), Err(vec!["flush_everything()".to_string()]));
    }
}
