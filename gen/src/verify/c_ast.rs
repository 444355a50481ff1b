//! C statements and expressions as the hook reader needs them: a small
//! recursive-descent parser over preprocessor-free tokens (a macro body,
//! a function body).
//!
//! It knows the statement forms hook code is written in (blocks,
//! `do { } while (0)`, `if`/`else`, loops, `return`, declarations,
//! expressions) and C's expression grammar with its precedence. Anything
//! it cannot parse becomes an `Unparsed` node with its line, which the
//! reader reports as unmodelled; nesting deeper than [`MAX_DEPTH`] is
//! refused the same way, so hostile input never overflows the stack.

use super::operators;
use crate::edit::lex::Token;

/// How deep statements and expressions may nest.
pub const MAX_DEPTH: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Expr(Expr),
    Block(Vec<Stmt>),
    If {
        cond: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
        line: u32,
    },
    /// `while (cond) body` (`do body while (cond)` with `do_first`).
    While {
        cond: Expr,
        body: Box<Stmt>,
        do_first: bool,
        line: u32,
    },
    Return(Option<Expr>),
    /// `type name [= init];`, one per declarator.
    Decl {
        name: String,
        init: Option<Expr>,
    },
    /// A statement form the reader does not follow (`for`, `switch`,
    /// `goto`, asm, ...), or tokens that do not parse.
    Unparsed {
        what: String,
        line: u32,
    },
    Empty,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Ident(String, u32),
    Int(i64),
    Str,
    Call {
        callee: String,
        args: Vec<Expr>,
        line: u32,
    },
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Cast(Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Assign(Box<Expr>, Box<Expr>),
    /// `a->b`, `a.b`, `a[i]`, `sizeof x`, ...: a value the reader does not
    /// compute.
    Opaque(String, u32),
    Unparsed(String, u32),
}

/// Parses a sequence of statements (a function body, a macro body that
/// is statements or one expression).
pub fn statements(t: &[Token]) -> Vec<Stmt> {
    let mut p = Parser { t, i: 0, depth: 0, overflowed: None };
    let mut out = Vec::new();
    while p.i < t.len() {
        let start = p.i;
        out.push(p.statement());
        if p.i == start {
            p.i += 1;
        }
    }
    // Whatever the parse made of the rest, past the limit nothing counts.
    match p.overflowed {
        Some(line) => vec![Stmt::Unparsed { what: format!("nesting deeper than {MAX_DEPTH}"), line }],
        None => out,
    }
}

/// Parses one expression, for a macro body that is an expression.
pub fn expression(t: &[Token]) -> Expr {
    let mut p = Parser { t, i: 0, depth: 0, overflowed: None };
    let e = p.expr();
    if let Some(line) = p.overflowed {
        return Expr::Unparsed(format!("nesting deeper than {MAX_DEPTH}"), line);
    }
    if p.i < t.len() && p.at(0) != ";" {
        return Expr::Unparsed(format!("`{}`", crate::verify::cpp::join(&t[p.i..])), p.line());
    }
    e
}

const TYPE_WORDS: [&str; 17] = [
    "void",
    "char",
    "short",
    "int",
    "long",
    "unsigned",
    "signed",
    "const",
    "volatile",
    "struct",
    "enum",
    "union",
    "static",
    "inline",
    "register",
    "bool",
    "__always_inline",
];

fn is_type_word(t: &str) -> bool {
    TYPE_WORDS.contains(&t) || (t.ends_with("_t") && crate::verify::cpp::is_ident(t))
}

struct Parser<'a> {
    t: &'a [Token],
    i: usize,
    depth: usize,
    /// The line where nesting went past the limit, if it did.
    overflowed: Option<u32>,
}

impl Parser<'_> {
    fn at(&self, k: usize) -> &str {
        self.t.get(self.i + k).map_or("", |t| t.text.as_str())
    }

    fn line(&self) -> u32 {
        self.t.get(self.i).or(self.t.last()).map_or(0, |t| t.line)
    }

    /// Two adjacent one-character tokens read as one operator.
    fn op2(&self, op: &str) -> bool {
        operators::op2_at(self.t, self.i, op)
    }

    fn eat(&mut self, tok: &str) -> bool {
        let hit = self.at(0) == tok;
        if hit {
            self.i += 1;
        }
        hit
    }

    fn deeper(&mut self) -> bool {
        self.depth += 1;
        let too_deep = self.depth > MAX_DEPTH;
        if too_deep && self.overflowed.is_none() {
            self.overflowed = Some(self.line());
        }
        too_deep
    }

    fn too_deep_stmt(&mut self) -> Stmt {
        let line = self.line();
        self.i = self.t.len();
        Stmt::Unparsed { what: format!("nesting deeper than {MAX_DEPTH}"), line }
    }

    fn statement(&mut self) -> Stmt {
        if self.deeper() {
            return self.too_deep_stmt();
        }
        let s = self.statement_inner();
        self.depth -= 1;
        s
    }

    fn statement_inner(&mut self) -> Stmt {
        let line = self.line();
        match self.at(0) {
            ";" => {
                self.i += 1;
                Stmt::Empty
            }
            "{" => {
                self.i += 1;
                let mut body = Vec::new();
                while self.i < self.t.len() && self.at(0) != "}" {
                    let start = self.i;
                    body.push(self.statement());
                    if self.i == start {
                        self.i += 1;
                    }
                }
                self.eat("}");
                Stmt::Block(body)
            }
            "if" => {
                self.i += 1;
                let cond = self.paren_expr();
                let then = Box::new(self.statement());
                let otherwise = self.eat("else").then(|| Box::new(self.statement()));
                Stmt::If { cond, then, otherwise, line }
            }
            "while" => {
                self.i += 1;
                let cond = self.paren_expr();
                let body = Box::new(self.statement());
                Stmt::While { cond, body, do_first: false, line }
            }
            "do" => {
                self.i += 1;
                let body = Box::new(self.statement());
                if !self.eat("while") {
                    return Stmt::Unparsed { what: "`do` without `while`".into(), line };
                }
                let cond = self.paren_expr();
                self.eat(";");
                Stmt::While { cond, body, do_first: true, line }
            }
            "return" => {
                self.i += 1;
                let e = (self.at(0) != ";" && self.i < self.t.len()).then(|| self.expr());
                self.eat(";");
                Stmt::Return(e)
            }
            w @ ("for" | "switch" | "goto" | "asm" | "__asm__" | "case" | "default" | "break" | "continue") => {
                let what = format!("`{w}`");
                self.skip_statement();
                Stmt::Unparsed { what, line }
            }
            t if is_type_word(t) => self.declaration(),
            _ => {
                let e = self.expr();
                if !self.eat(";") && self.i < self.t.len() && self.at(0) != "}" {
                    let what =
                        format!("`{}`", crate::verify::cpp::join(&self.t[self.i..(self.i + 8).min(self.t.len())]));
                    self.skip_statement();
                    return Stmt::Unparsed { what, line };
                }
                Stmt::Expr(e)
            }
        }
    }

    /// Skips to the end of the current statement (its `;`, or its block).
    fn skip_statement(&mut self) {
        let mut depth = 0i32;
        while self.i < self.t.len() {
            match self.at(0) {
                "(" | "{" | "[" => depth += 1,
                ")" | "]" => depth -= 1,
                "}" => {
                    depth -= 1;
                    if depth <= 0 {
                        self.i += 1;
                        return;
                    }
                }
                ";" if depth <= 0 => {
                    self.i += 1;
                    return;
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// `type name [= init] [, name [= init]];`
    fn declaration(&mut self) -> Stmt {
        let line = self.line();
        let mut decls = Vec::new();
        let mut name = None;
        while self.i < self.t.len() {
            match self.at(0) {
                ";" => {
                    self.i += 1;
                    decls.extend(name.take().map(|n| Stmt::Decl { name: n, init: None }));
                    break;
                }
                "," => {
                    self.i += 1;
                    decls.extend(name.take().map(|n| Stmt::Decl { name: n, init: None }));
                }
                "=" => {
                    self.i += 1;
                    let init = self.assignment();
                    match name.take() {
                        Some(n) => decls.push(Stmt::Decl { name: n, init: Some(init) }),
                        None => return Stmt::Unparsed { what: "a declaration".into(), line },
                    }
                }
                t if crate::verify::cpp::is_ident(t) && !is_type_word(t) => {
                    name = Some(t.to_string());
                    self.i += 1;
                }
                "*" | "__iomem" => self.i += 1,
                t if is_type_word(t) => self.i += 1,
                _ => {
                    let what = format!(
                        "the declaration `{}`",
                        crate::verify::cpp::join(&self.t[self.i..(self.i + 6).min(self.t.len())])
                    );
                    self.skip_statement();
                    return Stmt::Unparsed { what, line };
                }
            }
        }
        match decls.len() {
            1 => decls.remove(0),
            _ => Stmt::Block(decls),
        }
    }

    fn paren_expr(&mut self) -> Expr {
        let line = self.line();
        if !self.eat("(") {
            return Expr::Unparsed("a condition without parentheses".into(), line);
        }
        let e = self.expr();
        if !self.eat(")") {
            return Expr::Unparsed("an unclosed condition".into(), line);
        }
        e
    }

    /// The comma operator is not followed: hook code does not use it.
    fn expr(&mut self) -> Expr {
        self.assignment()
    }

    fn assignment(&mut self) -> Expr {
        if self.deeper() {
            let line = self.line();
            self.i = self.t.len();
            return Expr::Unparsed(format!("nesting deeper than {MAX_DEPTH}"), line);
        }
        let left = self.ternary();
        let e = if self.at(0) == "=" && self.at(1) != "=" {
            self.i += 1;
            Expr::Assign(Box::new(left), Box::new(self.assignment()))
        } else if ["+", "-", "|", "&", "^", "*", "/"].contains(&self.at(0))
            && self.at(1) == "="
            && !self.t[self.i + 1].spaced
        {
            let line = self.line();
            self.i = self.t.len();
            Expr::Unparsed("a compound assignment".into(), line)
        } else {
            left
        };
        self.depth -= 1;
        e
    }

    fn ternary(&mut self) -> Expr {
        let c = self.binary(0);
        if self.eat("?") {
            let a = self.assignment();
            self.eat(":");
            let b = self.assignment();
            return Expr::Ternary(Box::new(c), Box::new(a), Box::new(b));
        }
        c
    }

    fn binary(&mut self, level: usize) -> Expr {
        if level == operators::LEVEL_COUNT {
            return self.unary();
        }
        let mut left = self.binary(level + 1);
        loop {
            let op = operators::binary_at(self.t, self.i, level);
            let Some(op) = op else { return left };
            self.i += op.len();
            let right = self.binary(level + 1);
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Expr {
        if self.deeper() {
            let line = self.line();
            self.i = self.t.len();
            return Expr::Unparsed(format!("nesting deeper than {MAX_DEPTH}"), line);
        }
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }

    fn unary_inner(&mut self) -> Expr {
        let line = self.line();
        let tok = self.at(0).to_string();
        match tok.as_str() {
            "!" | "~" | "-" | "+" | "*" | "&" if !self.op2("&&") && !self.op2("--") && !self.op2("++") => {
                self.i += 1;
                let op = match tok.as_str() {
                    "!" => "!",
                    "~" => "~",
                    "-" => "-",
                    "+" => "+",
                    "*" => "*",
                    _ => "&",
                };
                Expr::Unary(op, Box::new(self.unary()))
            }
            "sizeof" => {
                self.i += 1;
                let _ = self.unary();
                Expr::Opaque("sizeof".into(), line)
            }
            "(" if self.is_cast() => {
                while self.at(0) != ")" {
                    self.i += 1;
                }
                self.i += 1;
                Expr::Cast(Box::new(self.unary()))
            }
            _ => self.postfix(),
        }
    }

    /// `(` type words and `*`s `)` followed by an operand.
    fn is_cast(&self) -> bool {
        let mut k = 1;
        let mut saw_type = false;
        loop {
            match self.at(k) {
                ")" => return saw_type && !matches!(self.at(k + 1), "" | ")" | ";" | "," | "]"),
                "*" => {}
                t if is_type_word(t) => saw_type = true,
                t if crate::verify::cpp::is_ident(t) && matches!(self.at(k - 1), "struct" | "enum" | "union") => {}
                _ => return false,
            }
            k += 1;
        }
    }

    fn postfix(&mut self) -> Expr {
        let mut e = self.primary();
        loop {
            let line = self.line();
            if self.at(0) == "(" {
                let Expr::Ident(callee, _) = &e else {
                    return Expr::Unparsed("a call through an expression".into(), line);
                };
                let callee = callee.clone();
                self.i += 1;
                let mut args = Vec::new();
                while self.i < self.t.len() && self.at(0) != ")" {
                    args.push(self.assignment());
                    if !self.eat(",") {
                        break;
                    }
                }
                if !self.eat(")") {
                    return Expr::Unparsed(format!("the arguments of {callee}()"), line);
                }
                e = Expr::Call { callee, args, line };
            } else if self.op2("->") || self.at(0) == "." {
                self.i += if self.at(0) == "." { 1 } else { 2 };
                let field = self.at(0).to_string();
                self.i += 1;
                e = Expr::Opaque(format!("a member `{field}`"), line);
            } else if self.at(0) == "[" {
                self.i += 1;
                let _ = self.expr();
                self.eat("]");
                e = Expr::Opaque("an array element".into(), line);
            } else if self.op2("++") || self.op2("--") {
                self.i += 2;
                return Expr::Unparsed("an increment".into(), line);
            } else {
                return e;
            }
        }
    }

    fn primary(&mut self) -> Expr {
        let line = self.line();
        let tok = self.at(0).to_string();
        match tok.as_str() {
            "(" => {
                self.i += 1;
                let e = self.expr();
                if !self.eat(")") {
                    return Expr::Unparsed("an unclosed parenthesis".into(), line);
                }
                e
            }
            t if t.starts_with('"') || t.starts_with('\'') => {
                self.i += 1;
                Expr::Str
            }
            t if t.bytes().next().is_some_and(|c| c.is_ascii_digit()) => {
                self.i += 1;
                crate::verify::cpp::parse_int(t)
                    .map_or_else(|| Expr::Opaque(format!("the number {t}"), line), Expr::Int)
            }
            t if crate::verify::cpp::is_ident(t) => {
                self.i += 1;
                Expr::Ident(t.to_string(), line)
            }
            t => {
                let what = if t.is_empty() { "a missing operand".to_string() } else { format!("`{t}`") };
                self.i = self.t.len();
                Expr::Unparsed(what, line)
            }
        }
    }
}
