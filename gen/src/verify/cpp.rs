//! The preprocessor, as far as a hook's meaning depends on it.
//!
//! Each file is read as the compiler would under one configuration:
//! `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` are evaluated, and
//! `#define` and `#undef` take effect in order, so a hook defined inside
//! `#if 0`, undefined after its definition, or defined only with
//! `CONFIG_DEBUG_HIGHMEM` is read as what it is. What the configuration
//! does not decide (a condition on a symbol from a header that is not
//! read, or a `CONFIG_` option the verdict is not about) makes the
//! region *undecided*: the definitions in it are kept, marked with the
//! condition and its place, and a hook that needs one is unmodelled,
//! never guessed. `#include` is not followed: the reader works on the
//! files it is given.
//!
//! Besides macros, the top-level function definitions of the active
//! code are collected (their bodies as tokens), so that the hook reader
//! can follow a hook into the helpers the arch defines.

use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use super::operators;
use crate::edit::lex::{self, Token};

/// A place in a file, for messages.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What the configuration says about symbols in conditions.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `CONFIG_X` (and other symbols) known to be set (`true`) or unset.
    pub symbols: BTreeMap<String, bool>,
    /// Whole `#if` conditions, as written with single spaces, whose value
    /// the arch's descriptor states (`DCACHE_WAY_SIZE > PAGE_SIZE`).
    pub conditions: BTreeMap<String, bool>,
}

/// Why a region's code may or may not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undecided {
    pub at: Loc,
    /// The condition as written.
    pub condition: String,
}

/// A macro definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Macro {
    /// `Some` for a function-like macro.
    pub params: Option<Vec<String>>,
    pub body: Vec<Token>,
    pub at: Loc,
    pub undecided: Option<Undecided>,
}

/// A function definition at top level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub params: Vec<String>,
    /// The tokens between the braces.
    pub body: Body,
    pub at: Loc,
    pub undecided: Option<Undecided>,
}

/// A function body: the active code tokens between its braces. Kept as
/// positions in its file's tokens and copied out only when first looked
/// at: a port's `mm/` holds thousands of functions, and a hook follows
/// a handful of them.
#[derive(Clone)]
pub struct Body {
    file: Arc<Vec<Token>>,
    /// The file's active code, as positions in `file`.
    code: Arc<Vec<u32>>,
    /// The body's part of `code`.
    range: Range<usize>,
    tokens: OnceLock<Vec<Token>>,
}

impl Body {
    fn new(file: &Arc<Vec<Token>>, code: &Arc<Vec<u32>>, range: Range<usize>) -> Body {
        Body { file: file.clone(), code: code.clone(), range, tokens: OnceLock::new() }
    }
}

impl std::ops::Deref for Body {
    type Target = [Token];

    fn deref(&self) -> &[Token] {
        self.tokens
            .get_or_init(|| self.code[self.range.clone()].iter().map(|&i| self.file[i as usize].clone()).collect())
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        **self == **other
    }
}

impl Eq for Body {}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// The state of a macro name after a file: defined, or undefined by an
/// `#undef` (which matters: it removes a hook).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacroState {
    Defined(Macro),
    Undefined { at: Loc, undecided: Option<Undecided> },
}

/// Everything read from the files, by name.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub macros: BTreeMap<String, MacroState>,
    pub functions: BTreeMap<String, Function>,
    /// `#error` lines the configuration reaches: it is impossible.
    pub errors: Vec<Loc>,
    /// Limits hit while reading, with where.
    pub too_deep: Vec<Loc>,
}

/// How deep conditionals may nest before a file is refused as hostile.
const MAX_NESTING: usize = 256;

/// A value in a `#if` expression: known, or not decided by the
/// configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Known(i64),
    Unknown,
}

impl Scope {
    /// Reads `text` (labelled `file`) under `config`, on top of what the
    /// scope already holds (as the compiler reads a header, then the
    /// files after it).
    pub fn read(&mut self, file: &str, text: &[u8], config: &Config) {
        self.read_tokens(file, &Arc::new(lex::tokens(text)), config);
    }

    /// `read` of a file already lexed (a port is read under two
    /// configurations; its files are lexed once, and the functions read
    /// keep their bodies as places in `toks`).
    pub fn read_tokens(&mut self, file: &str, toks: &Arc<Vec<Token>>, config: &Config) {
        let mut frames: Vec<Frame> = Vec::new();
        // The code tokens, as positions in `toks`, and where the innermost
        // undecided conditional around them changes (only at a directive).
        let mut code: Vec<u32> = Vec::with_capacity(toks.len());
        let mut code_undecided = Undecideds::default();
        let mut undecided: Option<Rc<Undecided>> = None;
        // Whether code here is compiled (or may be): it changes only at a directive.
        let mut active = true;
        let mut i = 0;
        while i < toks.len() {
            if toks[i].text == "#" && is_directive_start(toks, i) {
                let end = toks[i..].iter().position(|t| t.text == "\n").map_or(toks.len(), |p| i + p);
                let line = &toks[i + 1..end];
                let loc = Loc { file: file.to_string(), line: toks[i].line };
                // Only the file's first directive can be its include guard.
                let guard = i == 0 && is_include_guard(line, &toks[(end + 1).min(toks.len())..], &self.macros);
                self.directive(line, loc, config, guard, &mut frames);
                undecided = undecided_of(&frames).map(Rc::new);
                active = frames.iter().all(|f| f.state != State::Skipping);
                i = end + 1;
                continue;
            }
            if active {
                code_undecided.at(code.len(), &undecided);
                code.push(i as u32);
            }
            i += 1;
        }
        self.collect_functions(file, toks, Arc::new(code), &code_undecided);
    }

    fn directive(&mut self, line: &[Token], at: Loc, config: &Config, guard: bool, frames: &mut Vec<Frame>) {
        let Some(name) = line.first().map(|t| t.text.as_str()) else { return };
        let rest = &line[1..];
        let active = frames.iter().all(|f| f.state != State::Skipping);
        match name {
            "if" | "ifdef" | "ifndef" => {
                if frames.len() >= MAX_NESTING {
                    self.too_deep.push(at.clone());
                }
                let state = if !active {
                    State::Skipping
                } else {
                    let v = match name {
                        "ifdef" => self.defined(rest.first().map(|t| t.text.as_str()).unwrap_or(""), config),
                        "ifndef" if guard => Val::Known(1),
                        "ifndef" => not(self.defined(rest.first().map(|t| t.text.as_str()).unwrap_or(""), config)),
                        _ => self.condition(rest, config),
                    };
                    state_of(v)
                };
                let condition = format!("#{name} {}", join(rest));
                frames.push(Frame { state, taken: state == State::Taking, condition, at });
            }
            "elif" => {
                let outer_active =
                    frames.len() < 2 || frames[..frames.len() - 1].iter().all(|f| f.state != State::Skipping);
                let v = self.condition(rest, config);
                if let Some(f) = frames.last_mut() {
                    f.state = match (f.taken, f.state, outer_active) {
                        (_, _, false) => State::Skipping,
                        (true, _, _) => State::Skipping,
                        (false, State::Undecided, _) => State::Undecided,
                        (false, _, _) => state_of(v),
                    };
                    f.taken |= f.state == State::Taking;
                    f.condition = format!("#elif {}", join(rest));
                    f.at = at;
                }
            }
            "else" => {
                let outer_active =
                    frames.len() < 2 || frames[..frames.len() - 1].iter().all(|f| f.state != State::Skipping);
                if let Some(f) = frames.last_mut() {
                    f.state = match (f.taken, f.state, outer_active) {
                        (_, _, false) => State::Skipping,
                        (true, _, _) => State::Skipping,
                        (false, State::Undecided, _) => State::Undecided,
                        (false, _, _) => State::Taking,
                    };
                    f.taken = true;
                    f.condition = format!("#else of {}", f.condition);
                }
            }
            "endif" => {
                frames.pop();
            }
            "define" if active => {
                if let Some(m) = parse_define(rest, at.clone(), undecided_of(frames)) {
                    self.macros.insert(m.0, MacroState::Defined(m.1));
                }
            }
            "undef" if active => {
                if let Some(t) = rest.first() {
                    self.macros
                        .insert(t.text.to_string(), MacroState::Undefined { at, undecided: undecided_of(frames) });
                }
            }
            "error" if active && undecided_of(frames).is_none() => self.errors.push(at),
            _ => {}
        }
    }

    /// `defined(NAME)`: a macro of the scope, a configuration symbol, or
    /// undecided.
    fn defined(&self, name: &str, config: &Config) -> Val {
        match self.macros.get(name) {
            Some(MacroState::Defined(m)) if m.undecided.is_none() => return Val::Known(1),
            Some(MacroState::Undefined { undecided: None, .. }) => return Val::Known(0),
            Some(_) => return Val::Unknown,
            None => {}
        }
        match config.symbols.get(name) {
            Some(&b) => Val::Known(i64::from(b)),
            None if is_builtin_defined(name) => Val::Known(1),
            None if is_builtin_undefined(name) => Val::Known(0),
            None => Val::Unknown,
        }
    }

    /// A `#if` condition's value, or undecided.
    fn condition(&self, toks: &[Token], config: &Config) -> Val {
        if let Some(&v) = config.conditions.get(&join(toks)) {
            return Val::Known(i64::from(v));
        }
        let mut p = CondParser { t: toks, i: 0, scope: self, config, depth: 0 };
        let v = p.ternary();
        if p.i == toks.len() {
            v
        } else {
            Val::Unknown
        }
    }

    /// Function definitions at the top level of the active code (`code`,
    /// positions in `toks`).
    fn collect_functions(&mut self, file: &str, toks: &Arc<Vec<Token>>, code: Arc<Vec<u32>>, undecided: &Undecideds) {
        let refs: Vec<&Token> = code.iter().map(|&i| &toks[i as usize]).collect();
        let mut depth = 0usize;
        let mut i = 0;
        while i < refs.len() {
            match refs[i].text.as_str() {
                "{" if depth == 0 => {
                    // `NAME ( params ) {` at top level is a function definition.
                    if let Some((name, params)) = function_head(&refs[..i]) {
                        let end = lex::matching(&refs, i);
                        let at = Loc { file: file.to_string(), line: refs[i.saturating_sub(1)].line };
                        let body = Body::new(toks, &code, i + 1..end.min(refs.len()));
                        // Undecided if any of it is: a conditional nothing
                        // decides inside the body makes the body unknown (the
                        // first such conditional is the one reported).
                        let undecided = undecided.first_in(i, end.min(refs.len() - 1)).map(|u| Undecided::clone(u));
                        self.functions.insert(name, Function { params, body, at, undecided });
                        i = end + 1;
                        continue;
                    }
                    depth += 1;
                }
                "{" => depth += 1,
                "}" => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
    }
}

/// The innermost undecided conditional around each code token, kept as
/// the positions where it changes: it changes only at a directive, and
/// a copy per token was a tenth of reading a file.
#[derive(Default)]
struct Undecideds {
    /// From this code position on (increasing), this conditional.
    changes: Vec<(usize, Option<Rc<Undecided>>)>,
}

impl Undecideds {
    /// Code token `at` (the next one) lies in `u`.
    fn at(&mut self, at: usize, u: &Option<Rc<Undecided>>) {
        let same = self.changes.last().map_or(u.is_none(), |(_, last)| match (last, u) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        });
        if !same {
            self.changes.push((at, u.clone()));
        }
    }

    /// The first undecided conditional around a code token in `from..=to`.
    fn first_in(&self, from: usize, to: usize) -> Option<&Rc<Undecided>> {
        // The change in force at `from`, then those starting up to `to`.
        let start = self.changes.partition_point(|(p, _)| *p <= from).saturating_sub(1);
        self.changes[start..].iter().take_while(|(p, _)| *p <= to).filter_map(|(_, u)| u.as_ref()).next()
    }
}

/// `#ifndef NAME` right before `#define NAME` with no body or a single
/// token, of a name not seen yet: a header's include guard, taken as the
/// compiler takes it the first time. Anything else (the fallback idiom
/// `#ifndef flush_x` / `#define flush_x() ...`, whose name an unread
/// header may define) is an ordinary `#ifndef`.
fn is_include_guard(line: &[Token], after: &[Token], macros: &BTreeMap<String, MacroState>) -> bool {
    let name = match line {
        [d, n] if d.text == "ifndef" => &n.text,
        _ => return false,
    };
    let defines_it = match after {
        [h, d, n, rest @ ..] if h.text == "#" && d.text == "define" && n.text == name => {
            // No body, or one token, before the line ends.
            rest.first().is_none_or(|t| t.text == "\n") || rest.get(1).is_none_or(|t| t.text == "\n")
        }
        _ => false,
    };
    defines_it && !macros.contains_key(name.as_str())
}

/// Whether token `i`, a `#`, starts a directive: the lexer ends every
/// directive with a `\n` token, and the token before a directive is one
/// of those or a code token on an earlier line.
fn is_directive_start(toks: &[Token], i: usize) -> bool {
    i == 0 || toks[i - 1].text == "\n" || toks[i - 1].line < toks[i].line
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Taking,
    Skipping,
    Undecided,
}

struct Frame {
    state: State,
    /// Whether a branch of this conditional was taken (so later ones are not).
    taken: bool,
    condition: String,
    at: Loc,
}

fn state_of(v: Val) -> State {
    match v {
        Val::Known(0) => State::Skipping,
        Val::Known(_) => State::Taking,
        Val::Unknown => State::Undecided,
    }
}

fn not(v: Val) -> Val {
    match v {
        Val::Known(x) => Val::Known(i64::from(x == 0)),
        Val::Unknown => Val::Unknown,
    }
}

/// The innermost undecided conditional around the current line, if any.
fn undecided_of(frames: &[Frame]) -> Option<Undecided> {
    frames
        .iter()
        .rev()
        .find(|f| f.state == State::Undecided)
        .map(|f| Undecided { at: f.at.clone(), condition: f.condition.clone() })
}

/// Symbols every kernel C file is compiled with.
fn is_builtin_defined(name: &str) -> bool {
    matches!(name, "__KERNEL__" | "CONFIG_HIGHMEM" | "CONFIG_KMAP_LOCAL" | "CONFIG_MMU")
}

/// Symbols no kernel C file is compiled with.
fn is_builtin_undefined(name: &str) -> bool {
    matches!(name, "__ASSEMBLY__" | "__ASSEMBLER__")
}

/// Tokens as written, each run of whitespace folded to one space: for
/// messages, and for matching a condition the descriptor states.
pub fn join(toks: &[Token]) -> String {
    let mut out = String::new();
    for t in toks.iter().filter(|t| t.text != "\n") {
        if t.spaced && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// `NAME body` or `NAME(params) body`: a function-like macro's `(`
/// follows its name with no space.
fn parse_define(rest: &[Token], at: Loc, undecided: Option<Undecided>) -> Option<(String, Macro)> {
    let name = rest.first()?.text.to_string();
    let mut i = 1;
    let params = if rest.get(1).is_some_and(|t| t.text == "(" && !t.spaced) {
        let close = rest.iter().position(|t| t.text == ")")?;
        let params = rest[2..close].iter().filter(|t| t.text != ",").map(|t| t.text.to_string()).collect();
        i = close + 1;
        Some(params)
    } else {
        None
    };
    Some((name, Macro { params, body: rest[i..].to_vec(), at, undecided }))
}

/// The name and parameter names of a function whose body starts right
/// after `before` (`... NAME(type a, type b)`), if it is one.
fn function_head(before: &[&Token]) -> Option<(String, Vec<String>)> {
    let close = before.len().checked_sub(1).filter(|&c| before[c].text == ")")?;
    let mut depth = 0;
    let mut open = None;
    for k in (0..=close).rev() {
        match before[k].text.as_str() {
            ")" => depth += 1,
            "(" => {
                depth -= 1;
                if depth == 0 {
                    open = Some(k);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let name = before.get(open.checked_sub(1)?)?;
    if !is_ident(&name.text) || ["if", "while", "for", "switch", "return", "sizeof"].contains(&name.text.as_str()) {
        return None;
    }
    // `f(...) __releases(rq->lock) {`: an annotation after the parameter
    // list is not the function; the name comes before it. Only these: a
    // function such as `typeof(x) __f(...)` is named `__f`.
    const ANNOTATIONS: [&str; 5] = ["__releases", "__acquires", "__must_hold", "__attribute__", "__attribute"];
    if ANNOTATIONS.contains(&name.text.as_str()) && open >= 2 && before[open - 2].text == ")" {
        return function_head(&before[..open - 1]);
    }
    // The last identifier of each comma-separated parameter is its name.
    let mut params = Vec::new();
    let mut last = None;
    for t in &before[open + 1..close] {
        match t.text.as_str() {
            "," => params.extend(last.take()),
            s if is_ident(s) && s != "void" => last = Some(s.to_string()),
            _ => {}
        }
    }
    params.extend(last);
    Some((name.text.to_string(), params))
}

pub fn is_ident(t: &str) -> bool {
    t.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
}

/// A `#if` expression: `defined`, integers, object-like macros of the
/// scope with integer bodies, `IS_ENABLED(CONFIG_X)`, and C's operators.
struct CondParser<'a> {
    t: &'a [Token],
    i: usize,
    scope: &'a Scope,
    config: &'a Config,
    depth: usize,
}

impl CondParser<'_> {
    fn at(&self, k: usize) -> &str {
        self.t.get(self.i + k).map_or("", |t| t.text.as_str())
    }

    /// Two adjacent one-character tokens read as one operator (`&&`).
    fn op2(&self, op: &str) -> bool {
        operators::op2_at(self.t, self.i, op)
    }

    fn ternary(&mut self) -> Val {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.i = self.t.len() + 1;
            return Val::Unknown;
        }
        let c = self.binary(0);
        let v = if self.at(0) == "?" {
            self.i += 1;
            let a = self.ternary();
            if self.at(0) == ":" {
                self.i += 1;
            }
            let b = self.ternary();
            match c {
                Val::Known(0) => b,
                Val::Known(_) => a,
                Val::Unknown => Val::Unknown,
            }
        } else {
            c
        };
        self.depth -= 1;
        v
    }

    /// Binary operators by precedence climbing (C's levels, lowest first).
    fn binary(&mut self, level: usize) -> Val {
        if level == operators::LEVEL_COUNT {
            return self.unary();
        }
        let mut left = self.binary(level + 1);
        loop {
            let op = operators::binary_at(self.t, self.i, level);
            let Some(op) = op else { return left };
            self.i += op.len();
            let right = self.binary(level + 1);
            left = apply(op, left, right);
        }
    }

    fn unary(&mut self) -> Val {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.i = self.t.len() + 1;
            return Val::Unknown;
        }
        let tok = self.at(0).to_string();
        let v = match tok.as_str() {
            "!" if !self.op2("!=") => {
                self.i += 1;
                not(self.unary())
            }
            "-" => {
                self.i += 1;
                match self.unary() {
                    Val::Known(x) => Val::Known(x.wrapping_neg()),
                    u => u,
                }
            }
            "(" => {
                self.i += 1;
                let v = self.ternary();
                if self.at(0) == ")" {
                    self.i += 1;
                }
                v
            }
            "defined" => {
                self.i += 1;
                let paren = self.at(0) == "(";
                if paren {
                    self.i += 1;
                }
                let name = self.at(0).to_string();
                self.i += 1;
                if paren && self.at(0) == ")" {
                    self.i += 1;
                }
                self.scope.defined(&name, self.config)
            }
            "IS_ENABLED" | "IS_BUILTIN" if self.at(1) == "(" && self.at(3) == ")" => {
                let name = self.at(2).to_string();
                self.i += 4;
                self.scope.defined(&name, self.config)
            }
            t if t.bytes().next().is_some_and(|c| c.is_ascii_digit()) => {
                self.i += 1;
                parse_int(t).map_or(Val::Unknown, Val::Known)
            }
            t if is_ident(t) => {
                self.i += 1;
                self.identifier(t)
            }
            _ => {
                self.i = self.t.len() + 1;
                Val::Unknown
            }
        };
        self.depth -= 1;
        v
    }

    /// An identifier in `#if`: an object-like macro of the scope with an
    /// integer body, a configuration symbol, or undecided (C would read an
    /// unknown name as 0, but it may come from a header not read here).
    fn identifier(&self, name: &str) -> Val {
        if let Some(MacroState::Defined(m)) = self.scope.macros.get(name) {
            if m.params.is_none() && m.undecided.is_none() {
                if let [t] = m.body.as_slice() {
                    if let Some(x) = parse_int(&t.text) {
                        return Val::Known(x);
                    }
                }
            }
            return Val::Unknown;
        }
        match self.config.symbols.get(name) {
            Some(&b) => Val::Known(i64::from(b)),
            None => Val::Unknown,
        }
    }
}

fn apply(op: &str, a: Val, b: Val) -> Val {
    let (x, y) = match (op, a, b) {
        // Short circuits decide even with one side unknown.
        ("&&", Val::Known(0), _) | ("&&", _, Val::Known(0)) => return Val::Known(0),
        ("||", Val::Known(x), _) | ("||", _, Val::Known(x)) if x != 0 => return Val::Known(1),
        (_, Val::Known(x), Val::Known(y)) => (x, y),
        _ => return Val::Unknown,
    };
    Val::Known(match op {
        "||" => i64::from(x != 0 || y != 0),
        "&&" => i64::from(x != 0 && y != 0),
        "|" => x | y,
        "^" => x ^ y,
        "&" => x & y,
        "==" => i64::from(x == y),
        "!=" => i64::from(x != y),
        "<" => i64::from(x < y),
        ">" => i64::from(x > y),
        "<=" => i64::from(x <= y),
        ">=" => i64::from(x >= y),
        // A shift by a negative count or past the width is undefined in
        // C: undecided, not 0.
        "<<" => return u32::try_from(y).ok().and_then(|y| x.checked_shl(y)).map_or(Val::Unknown, Val::Known),
        ">>" => return u32::try_from(y).ok().and_then(|y| x.checked_shr(y)).map_or(Val::Unknown, Val::Known),
        "+" => x.wrapping_add(y),
        "-" => x.wrapping_sub(y),
        "*" => x.wrapping_mul(y),
        "/" | "%" if y == 0 => return Val::Unknown,
        // i64::MIN / -1 overflows: undecided, as for a division by zero.
        "/" => return x.checked_div(y).map_or(Val::Unknown, Val::Known),
        "%" => return x.checked_rem(y).map_or(Val::Unknown, Val::Known),
        _ => return Val::Unknown,
    })
}

/// A C integer literal (with `u`/`l` suffixes), decimal, hex or octal.
pub fn parse_int(t: &str) -> Option<i64> {
    let t = t.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

#[cfg(test)]
#[path = "cpp_tests.rs"]
mod tests;
