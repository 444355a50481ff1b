//! Locating C definitions with tree-sitter's C grammar.
//!
//! Kernel C is parsed before preprocessing, so macros such as `__init`
//! or `EXPORT_SYMBOL(x);` sometimes parse as error nodes; the grammar
//! recovers locally, and the lookups below only trust nodes whose kind
//! and declared name are unambiguous. A name that cannot be found is an
//! error for the caller to report, never a guess.
//!
//! Parsing is most of what porting costs, and a file is looked up after
//! every edit. Inside a [`session`] (one arch's port, one review) each
//! text is parsed once: a lookup on a text parsed before reuses its
//! tree, and a text that an edit made from one parsed before is
//! re-parsed incrementally (tree-sitter re-reads only the changed bytes
//! and what they touch). A session belongs to one thread and one piece
//! of work, so its trees depend only on that work, never on what ran
//! before or beside it. Outside a session every lookup parses afresh.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;

use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

use super::text;

/// How a session came by its trees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Texts parsed from scratch: no text parsed before shares at least
    /// half of them.
    pub full: usize,
    /// Texts re-parsed incrementally from an earlier tree.
    pub incremental: usize,
    /// Lookups answered with a tree already parsed for the same text.
    pub reused: usize,
}

impl std::ops::Sub for ParseStats {
    type Output = ParseStats;
    fn sub(self, o: ParseStats) -> ParseStats {
        ParseStats {
            full: self.full - o.full,
            incremental: self.incremental - o.incremental,
            reused: self.reused - o.reused,
        }
    }
}

/// Runs `work` with a parse session on this thread, and says how it
/// parsed. Inside a session already running, `work` joins it (and the
/// stats are what `work` added).
pub fn session<R>(work: impl FnOnce() -> R) -> (R, ParseStats) {
    /// Ends the session even when `work` panics.
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            SESSION.with(|s| s.borrow_mut().take());
        }
    }
    let stats = || SESSION.with(|s| s.borrow().as_ref().map(|s| s.stats));
    if let Some(before) = stats() {
        let r = work();
        return (r, stats().unwrap_or_default() - before);
    }
    SESSION.with(|s| *s.borrow_mut() = Some(Session::new()));
    let _end = End;
    let r = work();
    (r, stats().unwrap_or_default())
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

/// Trees kept by a session: enough for every file of an arch and the
/// versions its edits go through, bounded in bytes for huge inputs.
const KEEP_TREES: usize = 16;
const KEEP_BYTES: usize = 64 << 20;

/// The trees of the texts parsed recently, most recent last.
struct Session {
    parser: Parser,
    recent: VecDeque<(Vec<u8>, Tree)>,
    stats: ParseStats,
}

impl Session {
    fn new() -> Session {
        Session { parser: c_parser(), recent: VecDeque::new(), stats: ParseStats::default() }
    }

    fn tree(&mut self, text: &[u8]) -> Tree {
        if let Some(i) = self.recent.iter().position(|(t, _)| t == text) {
            self.stats.reused += 1;
            let entry = self.recent.remove(i).expect("found above");
            let tree = entry.1.clone();
            self.recent.push_back(entry);
            return tree;
        }
        // The earlier text sharing the most bytes with this one (at its
        // start and end) is the one an edit most likely made it from.
        let base = self
            .recent
            .iter()
            .map(|(old, tree)| (Change::between(old, text), old, tree))
            .max_by_key(|(change, _, _)| change.shared)
            .filter(|(change, _, _)| change.shared > 0 && 2 * change.shared >= text.len());
        let tree = match base {
            Some((change, old_text, old)) => {
                self.stats.incremental += 1;
                let mut old = old.clone();
                old.edit(&change.edit(old_text, text));
                let tree = parse_with(&mut self.parser, text, Some(&old));
                debug_assert!(
                    shape(&tree) == shape(&parse_with(&mut self.parser, text, None)),
                    "an incremental re-parse differs from a fresh parse"
                );
                tree
            }
            None => {
                self.stats.full += 1;
                parse_with(&mut self.parser, text, None)
            }
        };
        self.recent.push_back((text.to_vec(), tree.clone()));
        while self.recent.len() > KEEP_TREES
            || self.recent.len() > 1 && self.recent.iter().map(|(t, _)| t.len()).sum::<usize>() > KEEP_BYTES
        {
            self.recent.pop_front();
        }
        tree
    }
}

/// How a new text differs from an old one: the bytes they share at the
/// start and at the end; between them, the old bytes were replaced.
struct Change {
    prefix: usize,
    suffix: usize,
    shared: usize,
}

impl Change {
    fn between(old: &[u8], new: &[u8]) -> Change {
        let (prefix, old_end, _) = text::changed_span(old, new);
        let suffix = old.len() - old_end;
        Change { prefix, suffix, shared: prefix + suffix }
    }

    /// The change as tree-sitter takes it (rows and columns too).
    fn edit(&self, old: &[u8], new: &[u8]) -> InputEdit {
        let (old_end, new_end) = (old.len() - self.suffix, new.len() - self.suffix);
        InputEdit {
            start_byte: self.prefix,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position: point_at(new, self.prefix),
            old_end_position: point_at(old, old_end),
            new_end_position: point_at(new, new_end),
        }
    }
}

/// Row and byte column of byte `at`.
fn point_at(text: &[u8], at: usize) -> Point {
    let before = &text[..at];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = before.iter().rposition(|&b| b == b'\n').map_or(at, |nl| at - nl - 1);
    Point { row, column }
}

fn c_parser() -> Parser {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_c::LANGUAGE.into()).expect("the C grammar matches the tree-sitter version");
    parser
}

fn parse_with(parser: &mut Parser, text: &[u8], old: Option<&Tree>) -> Tree {
    parser.parse(text, old).expect("parsing without a timeout or cancellation always yields a tree")
}

/// The tree of `text`: the session's, or parsed afresh outside one.
fn parse(text: &[u8]) -> Tree {
    SESSION
        .with(|s| s.borrow_mut().as_mut().map(|s| s.tree(text)))
        .unwrap_or_else(|| parse_with(&mut c_parser(), text, None))
}

/// Every node's kind, field, byte range and whether the parser made it
/// up, in document order: two trees with the same shape answer every
/// lookup alike.
fn shape(tree: &Tree) -> Vec<(u16, Option<&'static str>, Range<usize>, bool)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let n = cursor.node();
        out.push((n.kind_id(), cursor.field_name(), n.byte_range(), n.is_missing()));
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// Whether `name` occurs in `text` at all: a lookup for a name the text
/// does not hold needs no tree (as when a removal looks again for what
/// it has just removed).
fn occurs(text: &[u8], name: &str) -> bool {
    !name.is_empty() && memchr::memmem::find(text, name.as_bytes()).is_some()
}

/// The identifier a declarator declares (`*kmap_pte`, `f(void)`, ...).
fn declarator_name<'a>(mut node: Node<'a>, src: &'a [u8]) -> Option<&'a str> {
    loop {
        match node.kind() {
            "identifier" | "field_identifier" => return node.utf8_text(src).ok(),
            "function_declarator"
            | "pointer_declarator"
            | "init_declarator"
            | "array_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator" => {
                node = node.child_by_field_name("declarator").or_else(|| node.named_child(0))?;
            }
            _ => return None,
        }
    }
}

/// Visits every node in document order.
fn walk<'a>(tree: &'a Tree, visit: impl FnMut(Node<'a>)) {
    descendants(tree.root_node(), visit);
}

/// Visits `node` and everything below it, in document order, with a
/// cursor rather than recursion: a file of 50,000 nested braces is as
/// deep a tree as it is, and must not overflow the stack.
fn descendants<'a>(node: Node<'a>, mut visit: impl FnMut(Node<'a>)) {
    let mut cursor = node.walk();
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The first definition of function `name`.
fn function_node<'a>(tree: &'a Tree, text: &[u8], name: &str) -> Option<Node<'a>> {
    let mut found = None;
    walk(tree, |n| {
        if found.is_none()
            && n.kind() == "function_definition"
            && n.child_by_field_name("declarator").and_then(|d| declarator_name(d, text)) == Some(name)
        {
            found = Some(n);
        }
    });
    found
}

/// Byte range of the definition of function `name`.
pub fn function(text: &[u8], name: &str) -> Option<Range<usize>> {
    if !occurs(text, name) {
        return None;
    }
    function_node(&parse(text), text, name).map(|n| n.byte_range())
}

/// Every function definition: its name and the names of the functions
/// it calls, in source order.
pub fn calls_by_function(text: &[u8]) -> Vec<(String, Vec<String>)> {
    let tree = parse(text);
    let mut out = Vec::new();
    walk(&tree, |n| {
        if n.kind() != "function_definition" {
            return;
        }
        let Some(name) = n.child_by_field_name("declarator").and_then(|d| declarator_name(d, text)) else { return };
        let mut calls = Vec::new();
        collect_calls(n, text, &mut calls);
        out.push((name.to_string(), calls));
    });
    out
}

fn collect_calls(n: Node, text: &[u8], calls: &mut Vec<String>) {
    descendants(n, |n| {
        if n.kind() != "call_expression" {
            return;
        }
        if let Some(f) = n.child_by_field_name("function").filter(|f| f.kind() == "identifier") {
            if let Ok(name) = f.utf8_text(text) {
                calls.push(name.to_string());
            }
        }
    });
}

/// Byte ranges of the declarations (variables, prototypes) of `name`.
pub fn declarations(text: &[u8], name: &str) -> Vec<Range<usize>> {
    if !occurs(text, name) {
        return Vec::new();
    }
    let tree = parse(text);
    let mut found = Vec::new();
    walk(&tree, |n| {
        if n.kind() == "declaration" {
            let mut c = n.walk();
            let declares =
                n.children_by_field_name("declarator", &mut c).any(|d| declarator_name(d, text) == Some(name));
            if declares {
                found.push(n.byte_range());
            }
        } else if let Some(r) = attributed_prototype(n, text, name) {
            found.push(r);
        }
    });
    found
}

/// A prototype followed by attribute macros, `void f(void) __init;`:
/// the grammar, not knowing the macro, makes it an error node holding
/// the type and a function declarator whose trailing children are the
/// macro identifiers, followed by an empty statement `;`. Only that
/// exact shape is taken, with the `;` included in the range.
fn attributed_prototype(n: Node, text: &[u8], name: &str) -> Option<Range<usize>> {
    if n.kind() != "ERROR" {
        return None;
    }
    // The children with their field names (an error node has no
    // `child_by_field_name`, but its cursor still knows the fields).
    let mut children: Vec<(Node, Option<&str>)> = Vec::new();
    let mut c = n.walk();
    if c.goto_first_child() {
        loop {
            children.push((c.node(), c.field_name()));
            if !c.goto_next_sibling() {
                break;
            }
        }
    }
    let ((f, _), specifiers) = children.split_last()?;
    let types = specifiers.iter().filter(|(_, field)| *field == Some("type")).count();
    let only_specifiers = specifiers
        .iter()
        .all(|(k, field)| *field == Some("type") || matches!(k.kind(), "storage_class_specifier" | "type_qualifier"));
    if f.kind() != "function_declarator" || types != 1 || !only_specifiers || declarator_name(*f, text) != Some(name) {
        return None;
    }
    let (decl, params) = (f.child_by_field_name("declarator")?, f.child_by_field_name("parameters")?);
    let mut fc = f.walk();
    let trailing: Vec<Node> = f.children(&mut fc).filter(|k| k.id() != decl.id() && k.id() != params.id()).collect();
    if trailing.is_empty() || trailing.iter().any(|k| k.kind() != "identifier" || k.start_byte() < params.end_byte()) {
        return None;
    }
    let semi =
        n.next_sibling().filter(|s| s.kind() == "expression_statement" && s.utf8_text(text).ok() == Some(";"))?;
    Some(n.start_byte()..semi.end_byte())
}

/// Byte ranges of the statements inside function bodies that mention
/// the identifier `name` (a call `name();` or an assignment `name = ...;`).
pub fn statements_mentioning(text: &[u8], name: &str) -> Vec<Range<usize>> {
    if !occurs(text, name) {
        return Vec::new();
    }
    let tree = parse(text);
    let mut found: Vec<Range<usize>> = Vec::new();
    walk(&tree, |n| {
        if n.kind() == "expression_statement" && inside_function(n) && mentions(n, text, name) {
            found.push(n.byte_range());
        }
    });
    found
}

/// Byte range of the first statement directly in the body of function
/// `function` that mentions the identifier `name`.
pub fn body_statement_mentioning(text: &[u8], function: &str, name: &str) -> Option<Range<usize>> {
    if !occurs(text, function) || !occurs(text, name) {
        return None;
    }
    let tree = parse(text);
    let body = function_node(&tree, text, function)?.child_by_field_name("body")?;
    let mut c = body.walk();
    let found = body
        .named_children(&mut c)
        .find(|s| s.kind().ends_with("_statement") && mentions(*s, text, name))
        .map(|s| s.byte_range());
    found
}

fn inside_function(mut n: Node) -> bool {
    while let Some(p) = n.parent() {
        if p.kind() == "function_definition" {
            return true;
        }
        n = p;
    }
    false
}

fn mentions(n: Node, text: &[u8], name: &str) -> bool {
    let mut found = false;
    descendants(n, |n| found |= n.kind() == "identifier" && n.utf8_text(text).ok() == Some(name));
    found
}

/// Byte range of the declaration specifier `keyword` (`static`,
/// `inline`, ...) of the definition of function `name`.
pub fn function_specifier(text: &[u8], name: &str, keyword: &str) -> Option<Range<usize>> {
    if !occurs(text, name) || !occurs(text, keyword) {
        return None;
    }
    let tree = parse(text);
    let f = function_node(&tree, text, name)?;
    let mut c = f.walk();
    let found = f
        .children(&mut c)
        .find(|k| {
            matches!(k.kind(), "storage_class_specifier" | "type_qualifier") && k.utf8_text(text).ok() == Some(keyword)
        })
        .map(|k| k.byte_range());
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "\
static pte_t *kmap_pte;
extern void *kmap_atomic_pfn(unsigned long pfn);

void __init kmap_init(void)
{
\tunsigned long v;

\tkmap_pte = virt_to_kpte(v);
\tother();
}
EXPORT_SYMBOL(kmap_init);
";

    #[test]
    fn deep_nesting_is_walked_without_recursion() {
        // Run on a thread with a small stack: recursion per nesting level
        // would overflow it long before 50,000 levels.
        let deep = format!("void f(void)\n{{\n{}g();{}\n}}\n", "{".repeat(50_000), "}".repeat(50_000));
        let calls = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || calls_by_function(deep.as_bytes()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(calls, [("f".to_string(), vec!["g".to_string()])]);
    }

    #[test]
    fn finds_functions_declarations_and_statements() {
        let t = SRC.as_bytes();
        let f = function(t, "kmap_init").expect("function with __init");
        assert!(SRC[f].starts_with("void __init kmap_init"));
        let d = declarations(t, "kmap_pte");
        assert_eq!(&SRC[d[0].clone()], "static pte_t *kmap_pte;");
        let d = declarations(t, "kmap_atomic_pfn");
        assert_eq!(&SRC[d[0].clone()], "extern void *kmap_atomic_pfn(unsigned long pfn);");
        let s = statements_mentioning(t, "kmap_pte");
        assert_eq!(s.len(), 1);
        assert_eq!(&SRC[s[0].clone()], "kmap_pte = virt_to_kpte(v);");
        assert!(function(t, "missing").is_none());
    }

    #[test]
    fn a_session_parses_a_text_once_and_an_edited_text_incrementally() {
        let mut t = SRC.as_bytes().to_vec();
        let ((), stats) = session(|| {
            assert!(function(&t, "kmap_init").is_some());
            assert_eq!(declarations(&t, "kmap_pte").len(), 1);
            assert_eq!(statements_mentioning(&t, "kmap_pte").len(), 1);
            // An edit, then a lookup on the edited text.
            let r = declarations(&t, "kmap_atomic_pfn")[0].clone();
            t.splice(r, []);
            // A name the text no longer holds is not looked for in a tree.
            assert!(declarations(&t, "kmap_atomic_pfn").is_empty());
            assert!(function(&t, "kmap_init").is_some());
        });
        assert_eq!(stats, ParseStats { full: 1, incremental: 1, reused: 3 });
        let ((), outside) = session(|| ());
        assert_eq!(outside, ParseStats::default(), "a session starts empty");
    }

    #[test]
    fn an_incremental_reparse_gives_the_tree_a_fresh_parse_gives() {
        // Edits next to and inside what the grammar recovers from as
        // errors (attribute macros, EXPORT_SYMBOL), and edits that change
        // how the rest of the file reads (an opening comment or brace).
        let src = format!("{SRC}void setup_tables(void) __init;\n#define X(a) \\\n\tf(a)\nint tail;\n");
        let edits: [(&str, &str); 7] = [
            ("other();", ""),
            ("__init", ""),
            ("EXPORT_SYMBOL(kmap_init);", "EXPORT_SYMBOL_GPL(kmap_init);"),
            ("static pte_t", "/* static pte_t"),
            ("{\n\tunsigned", "\n\tunsigned"),
            ("\\\n", "\n"),
            ("int tail;", "int tail"),
        ];
        for (from, to) in edits {
            let at = src.find(from).unwrap();
            let new = format!("{}{to}{}", &src[..at], &src[at + from.len()..]);
            let ((), stats) = session(|| {
                parse(src.as_bytes());
                let incremental = parse(new.as_bytes());
                assert!(shape(&incremental) == shape(&parse_with(&mut c_parser(), new.as_bytes(), None)), "{from:?}");
            });
            assert_eq!(stats.incremental, 1, "{from:?}");
        }
    }

    #[test]
    fn finds_prototypes_with_trailing_attribute_macros() {
        let src = "int before;\nvoid setup_tables(void) __init;\nextern long count(int a) __cold __pure;\nint after;\n";
        let t = src.as_bytes();
        let d = declarations(t, "setup_tables");
        assert_eq!(d.len(), 1);
        assert_eq!(&src[d[0].clone()], "void setup_tables(void) __init;");
        let d = declarations(t, "count");
        assert_eq!(&src[d[0].clone()], "extern long count(int a) __cold __pure;");
        assert_eq!(declarations(t, "after").len(), 1, "the recovery does not swallow what follows");
        assert!(declarations(t, "__init").is_empty());
    }
}
