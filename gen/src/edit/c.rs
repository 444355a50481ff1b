//! Locating C definitions with tree-sitter's C grammar.
//!
//! Kernel C is parsed before preprocessing, so macros such as `__init`
//! or `EXPORT_SYMBOL(x);` sometimes parse as error nodes; the grammar
//! recovers locally, and the lookups below only trust nodes whose kind
//! and declared name are unambiguous. A name that cannot be found is an
//! error for the caller to report, never a guess.

use std::ops::Range;

use tree_sitter::{Node, Parser, Tree};

pub fn parse(text: &[u8]) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_c::LANGUAGE.into()).expect("the C grammar matches the tree-sitter version");
    parser.parse(text, None).expect("parsing without a timeout or cancellation always yields a tree")
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
