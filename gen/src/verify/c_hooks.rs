//! Reading the hooks an arch actually defines in a tree, and mapping
//! their C text back to effects in the model's vocabulary.
//!
//! The mapping is the arch descriptor's `[c_effects]` table (which C
//! function performs which effects) plus the few run-time conditions the
//! model knows (`cache_is_vivt()`). A call the table does not know makes
//! the hook *unmodelled*: it is reported, never silently accepted.

use std::collections::BTreeMap;

use archport_generic::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

use crate::edit::lex::c_tokens;

/// A hook definition found in a header: its body as C tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundHook {
    pub hook: Hook,
    pub tokens: Vec<String>,
}

/// C identifiers that are syntax or compile-time switches, not calls
/// with an effect on the hardware.
const NOT_CALLS: [&str; 8] = ["do", "while", "if", "return", "IS_ENABLED", "sizeof", "unlikely", "likely"];

/// Finds `#define arch_kmap_local_*` macros and `arch_kmap_local_*`
/// inline functions in a header.
pub fn find_hooks(header: &[u8]) -> Vec<FoundHook> {
    let tokens = c_tokens(header);
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

/// Byte ranges of the hook definitions in a header: each `#define
/// arch_kmap_local_*` with its continuation lines, and each inline
/// function named `arch_kmap_local_*`.
pub fn hook_definition_ranges(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let lines = crate::edit::text::line_ranges(text);
    let mut out: Vec<std::ops::Range<usize>> = crate::edit::text::defines(text, |n| n.starts_with("arch_kmap_local_"))
        .into_iter()
        .map(|(first, last)| lines[first].start..lines[last].end)
        .collect();
    for hook in Hook::ALL {
        out.extend(crate::edit::c::function(text, hook.c_name()));
    }
    out
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

/// Maps a hook body to effects, reading it as C statements: each call
/// through `c_effects`; an `if (cache_is_vivt())` guards its statement;
/// any other condition must be decided by the arch's facts whatever
/// CONFIG_DEBUG_HIGHMEM is (arm's `IS_ENABLED(CONFIG_DEBUG_HIGHMEM) &&
/// !cache_is_vivt()` on a VIVT arch is always false), and its statement
/// is then taken or skipped. What this reading cannot express (`else`, a
/// `return` under a guard, a condition that depends on the config, an
/// unknown call) is returned as `Err`: unmodelled, never guessed.
pub fn effects_of(
    tokens: &[String],
    c_effects: &BTreeMap<String, Vec<Effect>>,
    facts: &HardwareFacts,
) -> Result<Vec<GuardedEffect>, Vec<String>> {
    let mut r = Reader { t: tokens, i: 0, c_effects, facts, out: Vec::new(), unknown: Vec::new() };
    // A body that is just a function name aliases that function.
    if let [name] = tokens {
        r.call(name, None, true);
    } else {
        while r.i < tokens.len() {
            if r.statement(None, true) == Flow::Returned {
                break;
            }
        }
    }
    if r.unknown.is_empty() {
        Ok(r.out)
    } else {
        Err(r.unknown)
    }
}

#[derive(PartialEq, Eq)]
enum Flow {
    Next,
    Returned,
}

/// A condition as written: the parts the model knows, and anything else.
enum Cond {
    Vivt,
    Debug,
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Unknown(String),
}

impl Cond {
    fn eval(&self, vivt: bool, debug: bool) -> Result<bool, String> {
        Ok(match self {
            Cond::Vivt => vivt,
            Cond::Debug => debug,
            Cond::Not(c) => !c.eval(vivt, debug)?,
            Cond::And(a, b) => a.eval(vivt, debug)? && b.eval(vivt, debug)?,
            Cond::Or(a, b) => a.eval(vivt, debug)? || b.eval(vivt, debug)?,
            Cond::Unknown(what) => return Err(what.clone()),
        })
    }
}

struct Reader<'a> {
    t: &'a [String],
    i: usize,
    c_effects: &'a BTreeMap<String, Vec<Effect>>,
    facts: &'a HardwareFacts,
    out: Vec<GuardedEffect>,
    unknown: Vec<String>,
}

impl Reader<'_> {
    fn at(&self, k: usize) -> &str {
        self.t.get(k).map(String::as_str).unwrap_or("")
    }

    fn eat(&mut self, tok: &str) -> bool {
        let hit = self.at(self.i) == tok;
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Reads one statement; `record` is false for a statement a condition
    /// skips.
    fn statement(&mut self, guard: Option<Condition>, record: bool) -> Flow {
        let start = self.i;
        let flow = match self.at(self.i) {
            "{" => self.block(guard, record),
            "do" => {
                self.i += 1;
                let flow = self.block(guard, record);
                // `while (0)` and the `;` that may follow.
                if self.eat("while") && self.at(self.i) == "(" {
                    self.i = close_paren(self.t, self.i) + 1;
                }
                self.eat(";");
                flow
            }
            "if" => self.conditional(guard, record),
            "return" => {
                self.i += 1;
                self.expression(guard, record);
                if record && guard.is_some() {
                    self.unknown.push("a return under a condition".into());
                }
                Flow::Returned
            }
            ";" => {
                self.i += 1;
                Flow::Next
            }
            _ => {
                self.expression(guard, record);
                Flow::Next
            }
        };
        if self.i == start {
            // Never loop on a token nothing above consumes.
            self.i += 1;
        }
        flow
    }

    fn block(&mut self, guard: Option<Condition>, record: bool) -> Flow {
        let close = close_brace(self.t, self.i);
        self.i += 1;
        let mut flow = Flow::Next;
        while self.i < close && flow == Flow::Next {
            flow = self.statement(guard, record);
        }
        self.i = close + 1;
        flow
    }

    fn conditional(&mut self, guard: Option<Condition>, record: bool) -> Flow {
        let open = self.i + 1;
        let close = close_paren(self.t, open);
        let cond = self.condition(open + 1, close);
        self.i = close + 1;
        let (inner_guard, take) = match cond {
            Cond::Vivt if guard.is_none() => (Some(Condition::CacheIsVivt), true),
            Cond::Vivt => {
                self.unknown.push("nested conditions".into());
                (guard, false)
            }
            c => {
                let vivt = self.facts.dcache == DcacheKind::Vivt;
                match (c.eval(vivt, false), c.eval(vivt, true)) {
                    (Ok(a), Ok(b)) if a == b => (guard, a),
                    (Ok(_), Ok(_)) => {
                        self.unknown.push("a condition that depends on CONFIG_DEBUG_HIGHMEM".into());
                        (guard, false)
                    }
                    (Err(what), _) | (_, Err(what)) => {
                        self.unknown.push(what);
                        (guard, false)
                    }
                }
            }
        };
        let flow = self.statement(inner_guard, record && take);
        if self.at(self.i) == "else" {
            self.unknown.push("an else branch".into());
            self.i += 1;
            self.statement(guard, false);
        }
        // A statement skipped by its condition never returns.
        if take {
            flow
        } else {
            Flow::Next
        }
    }

    /// Reads an expression up to its `;` (or the end of a macro body):
    /// the calls in it, not descending into their arguments.
    fn expression(&mut self, guard: Option<Condition>, record: bool) {
        while self.i < self.t.len() && self.at(self.i) != ";" && self.at(self.i) != "}" {
            let tok = self.t[self.i].clone();
            if is_ident(&tok) && self.at(self.i + 1) == "(" {
                self.call(&tok, guard, record);
                self.i = close_paren(self.t, self.i + 1) + 1;
            } else {
                self.i += 1;
            }
        }
        self.eat(";");
    }

    fn call(&mut self, name: &str, guard: Option<Condition>, record: bool) {
        if !record || NOT_CALLS.contains(&name) {
            return;
        }
        match self.c_effects.get(name) {
            Some(effects) => self.out.extend(effects.iter().map(|&effect| GuardedEffect { effect, when: guard })),
            None => self.unknown.push(format!("{name}()")),
        }
    }

    /// Parses tokens `a..b` of a condition: `||`, `&&`, `!`, parentheses,
    /// `cache_is_vivt()` and `IS_ENABLED(CONFIG_DEBUG_HIGHMEM)`.
    fn condition(&self, a: usize, b: usize) -> Cond {
        let mut p = CondParser { t: &self.t[a..b], i: 0 };
        let c = p.or();
        if p.i < p.t.len() {
            return Cond::Unknown(format!("the condition `{}`", self.t[a..b].join(" ")));
        }
        c
    }
}

struct CondParser<'a> {
    t: &'a [String],
    i: usize,
}

impl CondParser<'_> {
    fn at(&self, k: usize) -> &str {
        self.t.get(self.i + k).map(String::as_str).unwrap_or("")
    }

    fn or(&mut self) -> Cond {
        let mut left = self.and();
        while self.at(0) == "|" && self.at(1) == "|" {
            self.i += 2;
            left = Cond::Or(Box::new(left), Box::new(self.and()));
        }
        left
    }

    fn and(&mut self) -> Cond {
        let mut left = self.not();
        while self.at(0) == "&" && self.at(1) == "&" {
            self.i += 2;
            left = Cond::And(Box::new(left), Box::new(self.not()));
        }
        left
    }

    fn not(&mut self) -> Cond {
        match self.at(0) {
            "!" => {
                self.i += 1;
                Cond::Not(Box::new(self.not()))
            }
            "(" => {
                self.i += 1;
                let c = self.or();
                if self.at(0) == ")" {
                    self.i += 1;
                }
                c
            }
            "cache_is_vivt" if self.at(1) == "(" && self.at(2) == ")" => {
                self.i += 3;
                Cond::Vivt
            }
            "IS_ENABLED" if self.at(1) == "(" && self.at(2) == "CONFIG_DEBUG_HIGHMEM" && self.at(3) == ")" => {
                self.i += 4;
                Cond::Debug
            }
            other => {
                let what = format!("`{other}` in a condition");
                self.i = self.t.len();
                Cond::Unknown(what)
            }
        }
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

    fn facts(dcache: DcacheKind) -> HardwareFacts {
        HardwareFacts {
            tlb_keeps_stale: true,
            tlb_caches_cleared_pte: true,
            tlb_refill_from_pte: true,
            tlb_speculative_fill: false,
            dcache,
            dcache_colours: 1,
            writeback_needs_translation: false,
            lazy_mmu: false,
        }
    }

    /// Reads the body of one `post_unmap` macro.
    fn read(body: &str, dcache: DcacheKind) -> Result<Vec<GuardedEffect>, Vec<String>> {
        let header = format!("#define arch_kmap_local_post_unmap(vaddr) {body}\n");
        effects_of(&find_hooks(header.as_bytes())[0].tokens, &table(), &facts(dcache))
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
        let (t, vivt) = (table(), facts(DcacheKind::Vivt));
        let effects = |h: Hook| effects_of(&found.iter().find(|f| f.hook == h).unwrap().tokens, &t, &vivt).unwrap();
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
        assert_eq!(read("flush_everything(vaddr)", DcacheKind::Pipt), Err(vec!["flush_everything()".to_string()]));
    }

    #[test]
    fn conditions_are_decided_by_the_facts_or_unmodelled() {
        let flush = "local_flush_tlb_kernel_page(vaddr);";
        let page = GuardedEffect { effect: Effect::TlbFlushPage, when: None };
        // A negated fact is decided by the facts, not read as its guard.
        assert_eq!(read(&format!("do {{ if (!cache_is_vivt()) {flush} }} while (0)"), DcacheKind::Vivt), Ok(vec![]));
        assert_eq!(
            read(&format!("do {{ if (!cache_is_vivt()) {flush} }} while (0)"), DcacheKind::Pipt),
            Ok(vec![page])
        );
        // A block takes its guard to every statement in it.
        let two = read(&format!("do {{ if (cache_is_vivt()) {{ {flush} {flush} }} }} while (0)"), DcacheKind::Vivt);
        assert_eq!(two.unwrap().iter().filter(|g| g.when == Some(Condition::CacheIsVivt)).count(), 2);
        // What the reading cannot express is unmodelled.
        let unmodelled = |body: &str| read(body, DcacheKind::Vivt).unwrap_err().join("; ");
        assert!(unmodelled(&format!("do {{ if (IS_ENABLED(CONFIG_DEBUG_HIGHMEM)) {flush} }} while (0)"))
            .contains("CONFIG_DEBUG_HIGHMEM"));
        assert!(unmodelled(&format!("do {{ if (cache_is_vivt()) {flush} else {flush} }} while (0)")).contains("else"));
        assert!(
            unmodelled(&format!("do {{ if (cache_is_vivt()) return; {flush} }} while (0)")).contains("return under")
        );
        assert!(unmodelled(&format!("do {{ if (cpu_is_odd()) {flush} }} while (0)")).contains("cpu_is_odd"));
    }
}
