//! Reading what an arch's hooks do, as the compiled C would do it.
//!
//! A hook is looked up as the generic code sees it after the arch's
//! header: a macro (`#define arch_kmap_local_post_map(vaddr, pteval)
//! ...`), an object-like alias to a function (`#define
//! arch_kmap_local_map_idx kmap_local_map_idx`, or to itself for an
//! inline function), or nothing, in which case the generic default runs
//! (an inline function without its alias line is *not* the hook). Its
//! body is then run symbolically: `do { } while (0)` once, `while (0)`
//! never, an `if` taken or skipped by what the configuration and the
//! hardware facts decide, arguments evaluated to what they address (the
//! hook's own page, another page, a range that covers it or not).
//!
//! Calls are resolved in this order: what every kernel defines the same
//! way (`smp_processor_id()`, `set_pte_at()`, `local_irq_save()`, ...),
//! functions and macros the arch's own files define (followed into their
//! bodies), then the descriptor's `[c_effects]` and `[c_values]` (the
//! primitives below which the reader does not go: TLB and cache
//! instructions). Anything else, and anything the reader cannot decide,
//! is *unmodelled* with its file and line: the hook is never guessed.

use std::collections::BTreeMap;

use archport_generic::{DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

use super::c_ast::{self, Expr, Stmt};
use super::cpp::{Config, Loc, MacroState, Scope};
use crate::descriptor::{ArgSpec, CEffect, CValue};

/// What reading one hook found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookReading {
    /// The arch does not define the hook: the generic default runs.
    Default { note: Option<String> },
    /// The hook's steps, in order (conditions already decided).
    Defined { effects: Vec<GuardedEffect>, at: Loc },
    /// What the reader could not decide, each with its place.
    Unmodelled(Vec<String>),
}

/// The tables and facts a reading rests on.
pub struct Knowledge<'a> {
    pub facts: &'a HardwareFacts,
    pub config: &'a Config,
    pub c_effects: &'a BTreeMap<String, CEffect>,
    pub c_values: &'a BTreeMap<String, CValue>,
}

/// How deep calls may be followed into the arch's helpers.
const MAX_CALLS: usize = 16;

/// Reads `hook` from `scope`.
pub fn read_hook(scope: &Scope, hook: Hook, k: &Knowledge) -> HookReading {
    let name = hook.c_name();
    let params: Vec<Val> = hook.params().iter().map(|p| param_value(p)).collect();
    let mut r = Reader { scope, k, effects: Vec::new(), problems: Vec::new(), calls: 0, file: String::new() };
    let at = match scope.macros.get(name) {
        None | Some(MacroState::Undefined { undecided: None, .. }) => {
            let note = scope.functions.get(name).map(|f| {
                format!(
                    "{} defines the function {name}() but not the macro `#define {name} {name}`: the generic default runs",
                    f.at
                )
            });
            return HookReading::Default { note };
        }
        Some(MacroState::Undefined { at, undecided: Some(u) }) => {
            return HookReading::Unmodelled(vec![format!(
                "{at}: whether {name} is #undef-ined depends on `{}` ({}), which the configuration does not decide",
                u.condition, u.at
            )])
        }
        Some(MacroState::Defined(m)) => {
            if let Some(u) = &m.undecided {
                return HookReading::Unmodelled(vec![format!(
                    "{}: whether {name} is defined depends on `{}` ({}), which the configuration does not decide",
                    m.at, u.condition, u.at
                )]);
            }
            r.file = m.at.file.clone();
            match (&m.params, m.body.as_slice()) {
                // `#define NAME other`: the hook is a call of `other`.
                (None, [alias]) if c_ast_ident(&alias.text) => {
                    let ret = r.call(&alias.text, params, alias.line);
                    r.finish_index(hook, ret, alias.line);
                }
                (None, _) => {
                    r.problem(m.at.line, format!("{name} is an object-like macro that is not a function name"))
                }
                (Some(names), body) => {
                    let env: BTreeMap<String, Val> = names.iter().cloned().zip(params).collect();
                    let ret = r.run_body(body, env);
                    r.finish_index(hook, ret, m.at.line);
                }
            }
            m.at.clone()
        }
    };
    if r.problems.is_empty() {
        HookReading::Defined {
            effects: r.effects.into_iter().map(|effect| GuardedEffect { effect, when: None }).collect(),
            at,
        }
    } else {
        HookReading::Unmodelled(r.problems)
    }
}

fn c_ast_ident(t: &str) -> bool {
    super::cpp::is_ident(t)
}

/// The value a hook parameter stands for, by its name in the contract.
fn param_value(name: &str) -> Val {
    match name {
        "vaddr" => Val::Slot(0),
        "pteval" | "ptev" => Val::PteVal,
        "ptep" => Val::Ptep(0),
        "idx" => Val::Index(Poly::var(Var::Idx)),
        "pfn" => Val::Pfn,
        "page" => Val::Page,
        "mm" => Val::Mm,
        other => Val::Unknown(format!("the parameter {other}")),
    }
}

/// A value as far as the reader follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // PteVal is the kernel's name
enum Val {
    /// A known integer (`0`, `NULL`, a condition's value).
    Int(i64),
    /// The hook's address plus this many pages.
    Slot(i64),
    /// A size of this many pages.
    Pages(i64),
    /// The hook's PTE pointer plus this many entries.
    Ptep(i64),
    PteVal,
    Pfn,
    Page,
    /// The physical address of the hook's page frame (`pfn << PAGE_SHIFT`).
    PagePhys,
    /// `&init_mm`.
    Mm,
    /// Index arithmetic.
    Index(Poly),
    /// What the reader does not follow, and why.
    Unknown(String),
}

/// The variables of index arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Var {
    Idx,
    Cpu,
    KmMaxIdx,
    Colours,
    /// The cache colour of the hook's page.
    PageColour,
    /// The cache colour of the hook's address.
    SlotColour,
}

/// A polynomial over [`Var`] with integer coefficients: monomial -> coefficient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Poly(BTreeMap<Vec<Var>, i64>);

impl Poly {
    fn var(v: Var) -> Poly {
        Poly([(vec![v], 1)].into())
    }

    fn constant(c: i64) -> Poly {
        let mut p = Poly::default();
        if c != 0 {
            p.0.insert(Vec::new(), c);
        }
        p
    }

    fn add(&self, o: &Poly, sign: i64) -> Poly {
        let mut out = self.0.clone();
        for (m, c) in &o.0 {
            *out.entry(m.clone()).or_default() += sign * c;
        }
        out.retain(|_, c| *c != 0);
        Poly(out)
    }

    fn mul(&self, o: &Poly) -> Poly {
        let mut out: BTreeMap<Vec<Var>, i64> = BTreeMap::new();
        for (a, x) in &self.0 {
            for (b, y) in &o.0 {
                let mut m: Vec<Var> = a.iter().chain(b).copied().collect();
                m.sort();
                *out.entry(m).or_default() += x * y;
            }
        }
        out.retain(|_, c| *c != 0);
        Poly(out)
    }

    /// `idx + KM_MAX_IDX * cpu`: `kmap_local_calc_idx()`.
    fn calc_idx() -> Poly {
        Poly::var(Var::Idx).add(&Poly::var(Var::KmMaxIdx).mul(&Poly::var(Var::Cpu)), 1)
    }

    /// `calc_idx * colours + colour`: xtensa's colour-aware slot.
    fn coloured(colour: Var) -> Poly {
        Poly::calc_idx().mul(&Poly::var(Var::Colours)).add(&Poly::var(colour), 1)
    }
}

enum Flow {
    Next,
    Return(Val),
}

struct Reader<'a> {
    scope: &'a Scope,
    k: &'a Knowledge<'a>,
    effects: Vec<Effect>,
    problems: Vec<String>,
    calls: usize,
    /// The file whose code runs now, for messages.
    file: String,
}

impl Reader<'_> {
    fn problem(&mut self, line: u32, what: String) {
        self.problems.push(format!("{}:{line}: {what}", self.file));
    }

    /// A macro or function body: statements, or one expression.
    fn run_body(&mut self, body: &[crate::edit::lex::Token], mut env: BTreeMap<String, Val>) -> Val {
        let stmts = c_ast::statements(body);
        let is_expression = matches!(stmts.as_slice(), [Stmt::Expr(_)]) && !body.iter().any(|t| t.text == ";");
        if is_expression {
            if let [Stmt::Expr(e)] = stmts.as_slice() {
                return self.eval(e, &mut env);
            }
        }
        match self.block(&stmts, &mut env) {
            Flow::Return(v) => v,
            Flow::Next => Val::Unknown("no value".into()),
        }
    }

    fn block(&mut self, stmts: &[Stmt], env: &mut BTreeMap<String, Val>) -> Flow {
        for s in stmts {
            if let Flow::Return(v) = self.stmt(s, env) {
                return Flow::Return(v);
            }
        }
        Flow::Next
    }

    fn stmt(&mut self, s: &Stmt, env: &mut BTreeMap<String, Val>) -> Flow {
        match s {
            Stmt::Empty => Flow::Next,
            Stmt::Expr(e) => {
                self.eval(e, env);
                Flow::Next
            }
            Stmt::Block(b) => self.block(b, env),
            Stmt::Decl { name, init } => {
                let v = match init {
                    Some(e) => self.eval(e, env),
                    None => Val::Unknown(format!("the uninitialised {name}")),
                };
                env.insert(name.clone(), v);
                Flow::Next
            }
            Stmt::Return(e) => Flow::Return(match e {
                Some(e) => self.eval(e, env),
                None => Val::Int(0),
            }),
            Stmt::If { cond, then, otherwise, line } => match self.decide(cond, env, *line) {
                Some(true) => self.stmt(then, env),
                Some(false) => otherwise.as_ref().map_or(Flow::Next, |o| self.stmt(o, env)),
                None => Flow::Next,
            },
            Stmt::While { cond, body, do_first, line } => {
                if *do_first {
                    if let Flow::Return(v) = self.stmt(body, env) {
                        return Flow::Return(v);
                    }
                }
                match self.decide(cond, env, *line) {
                    Some(false) => Flow::Next,
                    Some(true) => {
                        self.problem(*line, "a loop that runs more than once".into());
                        Flow::Next
                    }
                    None => Flow::Next,
                }
            }
            Stmt::Unparsed { what, line } => {
                self.problem(*line, format!("{what}, which the reader does not follow"));
                Flow::Next
            }
        }
    }

    /// A condition decided by the configuration and the facts, or a
    /// problem (`None`).
    fn decide(&mut self, cond: &Expr, env: &mut BTreeMap<String, Val>, line: u32) -> Option<bool> {
        match self.eval(cond, env) {
            Val::Int(v) => Some(v != 0),
            Val::Unknown(why) => {
                self.problem(line, format!("a condition the configuration and the facts do not decide ({why})"));
                None
            }
            other => {
                self.problem(line, format!("a condition on {other:?}"));
                None
            }
        }
    }

    fn eval(&mut self, e: &Expr, env: &mut BTreeMap<String, Val>) -> Val {
        match e {
            Expr::Int(v) => Val::Int(*v),
            Expr::Str => Val::Unknown("a string".into()),
            Expr::Ident(name, line) => self.ident(name, env, *line),
            Expr::Cast(inner) => self.eval(inner, env),
            Expr::Call { callee, args, .. } if matches!(callee.as_str(), "IS_ENABLED" | "IS_BUILTIN") => {
                match args.as_slice() {
                    [Expr::Ident(name, _)] => match self.k.config.symbols.get(name) {
                        Some(&on) => Val::Int(i64::from(on)),
                        None => Val::Unknown(format!("IS_ENABLED({name}), which the configuration does not decide")),
                    },
                    _ => Val::Unknown("IS_ENABLED of an expression".into()),
                }
            }
            Expr::Call { callee, args, line } => {
                let args: Vec<Val> = args.iter().map(|a| self.eval(a, env)).collect();
                self.call(callee, args, *line)
            }
            Expr::Unary("&", inner) if matches!(inner.as_ref(), Expr::Ident(n, _) if n == "init_mm") => Val::Mm,
            Expr::Unary(op, inner) => {
                let v = self.eval(inner, env);
                match (*op, v) {
                    ("!", Val::Int(x)) => Val::Int(i64::from(x == 0)),
                    ("-", Val::Int(x)) => Val::Int(x.wrapping_neg()),
                    ("~", Val::Int(x)) => Val::Int(!x),
                    ("+", v) => v,
                    ("*", Val::Ptep(0)) => Val::Unknown("the PTE as the page table holds it".into()),
                    (op, v) => Val::Unknown(format!("`{op}` of {}", describe(&v))),
                }
            }
            // C does not evaluate the right side once the left decides.
            Expr::Binary(op @ ("&&" | "||"), a, b) => match (*op, self.eval(a, env)) {
                ("&&", Val::Int(0)) => Val::Int(0),
                ("||", Val::Int(x)) if x != 0 => Val::Int(1),
                (_, x) => {
                    let before = self.effects.len();
                    let y = self.eval(b, env);
                    if !matches!(x, Val::Int(_)) && self.effects.len() > before {
                        self.problem(
                            first_line(b),
                            format!("`{op}` does what its right side does only as its left side decides, which the configuration and the facts do not ({})", describe(&x)),
                        );
                    }
                    match (op, x, y) {
                        (&"&&", _, Val::Int(0)) => Val::Int(0),
                        (&"||", _, Val::Int(y)) if y != 0 => Val::Int(1),
                        (op, x, y) => binary(op, x, y),
                    }
                }
            },
            Expr::Binary(op, a, b) => {
                let (x, y) = (self.eval(a, env), self.eval(b, env));
                binary(op, x, y)
            }
            Expr::Ternary(c, a, b) => match self.eval(c, env) {
                Val::Int(0) => self.eval(b, env),
                Val::Int(_) => self.eval(a, env),
                v => {
                    // Either branch may run: what they do is not known
                    // (each runs on a copy, so neither decides a local).
                    let before = self.effects.len();
                    self.eval(a, &mut env.clone());
                    self.eval(b, &mut env.clone());
                    if self.effects.len() > before {
                        self.problem(
                            first_line(c),
                            format!("a `?:` whose branches do different things, on {}, which the configuration and the facts do not decide", describe(&v)),
                        );
                    }
                    Val::Unknown(format!("a `?:` on {}", describe(&v)))
                }
            },
            Expr::Assign(target, value) => {
                let v = self.eval(value, env);
                match target.as_ref() {
                    Expr::Ident(name, _) => {
                        env.insert(name.clone(), v.clone());
                        v
                    }
                    _ => {
                        self.problem(
                            first_line(target),
                            "an assignment through a pointer, which the reader does not follow".into(),
                        );
                        Val::Unknown("an assignment through a pointer".into())
                    }
                }
            }
            Expr::Opaque(what, _) => Val::Unknown(what.clone()),
            Expr::Unparsed(what, line) => {
                self.problem(*line, format!("{what}, which the reader does not parse"));
                Val::Unknown(what.clone())
            }
        }
    }

    /// A name in an expression: a local, a value every kernel defines,
    /// an object-like macro of the arch's files, a `[c_values]` entry.
    fn ident(&mut self, name: &str, env: &mut BTreeMap<String, Val>, line: u32) -> Val {
        if let Some(v) = env.get(name) {
            return v.clone();
        }
        match name {
            "NULL" | "false" => return Val::Int(0),
            "true" => return Val::Int(1),
            "PAGE_SIZE" => return Val::Pages(1),
            "PAGE_MASK" => return Val::Unknown("PAGE_MASK".into()),
            "PAGE_SHIFT" => return Val::Unknown("PAGE_SHIFT".into()),
            "KM_MAX_IDX" => return Val::Index(Poly::var(Var::KmMaxIdx)),
            _ => {}
        }
        if let Some(MacroState::Defined(m)) = self.scope.macros.get(name) {
            if m.params.is_none() && m.undecided.is_none() && self.calls < MAX_CALLS {
                self.calls += 1;
                let saved = std::mem::replace(&mut self.file, m.at.file.clone());
                let v = match c_ast::expression(&m.body) {
                    Expr::Unparsed(..) => Val::Unknown(format!("the macro {name}")),
                    e => self.eval(&e, &mut BTreeMap::new()),
                };
                self.file = saved;
                self.calls -= 1;
                return v;
            }
        }
        match self.k.c_values.get(name) {
            Some(CValue::Colours) => Val::Index(Poly::var(Var::Colours)),
            Some(_) => Val::Unknown(format!("{name} is a function in [c_values]")),
            None => {
                let _ = line;
                Val::Unknown(name.to_string())
            }
        }
    }

    /// A call: a kernel-wide primitive, a helper of the arch's files
    /// (followed), a `[c_effects]` or `[c_values]` primitive, or a problem.
    fn call(&mut self, name: &str, args: Vec<Val>, line: u32) -> Val {
        if let Some(v) = self.builtin(name, &args, line) {
            return v;
        }
        // The descriptor's primitives first: below them are the arch's
        // TLB and cache instructions, which the reader does not go into.
        if let Some(effect) = self.k.c_effects.get(name) {
            return self.primitive(name, effect, &args, line);
        }
        if let Some(CValue::ColourOf { colour_of: arg }) = self.k.c_values.get(name) {
            return match args.get(*arg) {
                Some(Val::PagePhys) => Val::Index(Poly::var(Var::PageColour)),
                Some(Val::Slot(0)) => Val::Index(Poly::var(Var::SlotColour)),
                other => Val::Unknown(format!("the colour of {}", other.map_or("nothing".into(), describe))),
            };
        }
        if self.calls >= MAX_CALLS {
            self.problem(line, format!("calls nested deeper than {MAX_CALLS} at {name}()"));
            return Val::Unknown(name.into());
        }
        match self.scope.macros.get(name) {
            Some(MacroState::Defined(m)) if m.undecided.is_some() => {
                let u = m.undecided.as_ref().expect("matched");
                self.problem(line, format!("{name}() depends on `{}` ({})", u.condition, u.at));
                return Val::Unknown(name.into());
            }
            Some(MacroState::Defined(m)) => match (&m.params, m.body.as_slice()) {
                (Some(params), body) => {
                    let env: BTreeMap<String, Val> = params.iter().cloned().zip(args).collect();
                    return self.follow(m.at.file.clone(), |r| r.run_body(body, env));
                }
                // `#define f f` names the function below; `#define f g` calls g.
                (None, [alias]) if alias.text != name => {
                    let alias = alias.text.clone();
                    return self.follow(m.at.file.clone(), |r| r.call(&alias, args, line));
                }
                _ => {}
            },
            _ => {}
        }
        if let Some(f) = self.scope.functions.get(name) {
            if let Some(u) = &f.undecided {
                self.problem(
                    line,
                    format!(
                        "{name}() depends on `{}` ({}), which the configuration does not decide",
                        u.condition, u.at
                    ),
                );
                return Val::Unknown(name.into());
            }
            let env: BTreeMap<String, Val> = f.params.iter().cloned().zip(args).collect();
            return self.follow(f.at.file.clone(), |r| r.run_body(&f.body, env));
        }
        self.problem(line, format!("calls {name}(), which neither the arch's files define nor [c_effects] lists"));
        Val::Unknown(name.into())
    }

    fn follow(&mut self, file: String, run: impl FnOnce(&mut Self) -> Val) -> Val {
        self.calls += 1;
        let saved = std::mem::replace(&mut self.file, file);
        let v = run(self);
        self.file = saved;
        self.calls -= 1;
        v
    }

    /// What every kernel defines the same way.
    fn builtin(&mut self, name: &str, args: &[Val], line: u32) -> Option<Val> {
        Some(match name {
            "smp_processor_id" | "raw_smp_processor_id" => Val::Index(Poly::var(Var::Cpu)),
            "kmap_local_calc_idx" => match args.first() {
                Some(Val::Index(p)) if *p == Poly::var(Var::Idx) => Val::Index(Poly::calc_idx()),
                _ => Val::Unknown("kmap_local_calc_idx of something else".into()),
            },
            "cache_is_vivt" => Val::Int(i64::from(self.k.facts.dcache == DcacheKind::Vivt)),
            "local_irq_save" | "local_irq_disable" | "raw_local_irq_save" => {
                self.effects.push(Effect::IrqDisable);
                Val::Int(0)
            }
            "local_irq_restore" | "local_irq_enable" | "raw_local_irq_restore" => {
                self.effects.push(Effect::IrqEnable);
                Val::Int(0)
            }
            "barrier" | "BUILD_BUG_ON" | "BUG_ON" => Val::Int(0),
            // WARN_ON() returns what it tests; it decides an `if` only as
            // far as its argument is known.
            "WARN_ON" | "WARN_ON_ONCE" => match args.first() {
                Some(Val::Int(x)) => Val::Int(i64::from(*x != 0)),
                _ => Val::Unknown(format!("what {name}() tests")),
            },
            "set_pte_at" => {
                self.pte_write(args.get(2), args.get(3), line);
                Val::Int(0)
            }
            "set_pte" => {
                self.pte_write(args.first(), args.get(1), line);
                Val::Int(0)
            }
            _ => return None,
        })
    }

    fn pte_write(&mut self, ptep: Option<&Val>, pte: Option<&Val>, line: u32) {
        match (ptep, pte) {
            (Some(Val::Ptep(0)), Some(Val::PteVal)) => self.effects.push(Effect::PteWrite),
            (p, v) => self.problem(
                line,
                format!(
                    "writes {} to {}, not the hook's pteval to its PTE",
                    v.map_or("nothing".into(), describe),
                    p.map_or("nothing".into(), describe)
                ),
            ),
        }
    }

    /// A `[c_effects]` primitive: its effects when its arguments address
    /// the hook's page, none when they address another one.
    fn primitive(&mut self, name: &str, p: &CEffect, args: &[Val], line: u32) -> Val {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Unknown("a missing argument".into()));
        let applies = match &p.args {
            ArgSpec::None => Ok(true),
            ArgSpec::Addr(i) => covers_page(&arg(*i)),
            ArgSpec::Range(a, b) => match (arg(*a), arg(*b)) {
                (Val::Slot(x), Val::Slot(y)) => Ok(x <= 0 && 0 < y),
                (Val::Int(_), Val::Int(_)) => Ok(false),
                (x, y) => Err(format!("the range {} to {}", describe(&x), describe(&y))),
            },
            ArgSpec::Area(a, n) => match (arg(*a), arg(*n)) {
                (Val::Slot(x), Val::Pages(n)) => Ok(x <= 0 && 0 < x + n),
                (_, Val::Int(0)) => Ok(false),
                (x, y) => Err(format!("the area of {} at {}", describe(&y), describe(&x))),
            },
            ArgSpec::Pte(i) => match arg(*i) {
                Val::PteVal => Ok(true),
                v => Err(format!("the PTE value {}", describe(&v))),
            },
            ArgSpec::PtepPte(p, v) => match (arg(*p), arg(*v)) {
                (Val::Ptep(0), Val::PteVal) => Ok(true),
                (p, v) => Err(format!("a write of {} to {}", describe(&v), describe(&p))),
            },
        };
        match applies {
            Ok(true) => self.effects.extend(p.effects.iter().copied()),
            Ok(false) => {}
            Err(what) => self.problem(line, format!("{name}() on {what}, which the reader cannot place")),
        }
        Val::Int(0)
    }

    /// Turns an index hook's result into its effect: the generic slot (no
    /// effect), a colour-aware one, or a problem.
    fn finish_index(&mut self, hook: Hook, ret: Val, line: u32) {
        let colour = match hook {
            Hook::MapIdx => Var::PageColour,
            Hook::UnmapIdx => Var::SlotColour,
            _ => return,
        };
        // The colour-aware slot for a fixmap that grows down, as later
        // kernels lay xtensa's out: the model's addresses grow up.
        let reversed = Poly::calc_idx()
            .mul(&Poly::var(Var::Colours))
            .add(&Poly::var(Var::Colours), 1)
            .add(&Poly::constant(1), -1)
            .add(&Poly::var(colour), -1);
        match ret {
            Val::Index(p) if p == Poly::calc_idx() => {}
            Val::Index(p) if p == Poly::coloured(colour) => self.effects.push(Effect::ColourIndex),
            Val::Index(p) if p == reversed => self.problem(
                line,
                format!("{} picks the slot of the reversed colour, for a fixmap that grows down from FIXADDR_TOP; the model lays the fixmap out upwards, as 5.10 does, and cannot tell whether this one is right",
                hook.c_name()
            )),
            Val::Unknown(what) => self.problem(
                line,
                format!("{} computes the slot from `{what}`, which the reader cannot evaluate",
                hook.c_name()
            )),
            other => self.problem(
                line,
                format!("{} computes the slot {}, neither the generic one nor a colour-aware one",
                hook.c_name(),
                describe(&other)
            )),
        }
    }
}

/// Whether an address argument is the hook's page (`Ok(false)`: another
/// page or a constant address).
fn covers_page(v: &Val) -> Result<bool, String> {
    match v {
        Val::Slot(0) => Ok(true),
        Val::Slot(_) | Val::Int(_) => Ok(false),
        other => Err(format!("the address {}", describe(other))),
    }
}

fn binary(op: &str, x: Val, y: Val) -> Val {
    use Val::*;
    match (op, x, y) {
        (_, Int(a), Int(b)) => match int_op(op, a, b) {
            Some(v) => Int(v),
            None => Unknown(format!("{a} {op} {b}")),
        },
        ("+", Slot(k), Pages(n)) | ("+", Pages(n), Slot(k)) => Slot(k + n),
        ("-", Slot(k), Pages(n)) => Slot(k - n),
        ("+", Slot(k), Int(0)) | ("-", Slot(k), Int(0)) => Slot(k),
        ("+", Pages(a), Pages(b)) => Pages(a + b),
        ("*", Pages(a), Int(b)) | ("*", Int(b), Pages(a)) => Pages(a * b),
        ("+", Ptep(k), Int(n)) => Ptep(k + n),
        ("-", Ptep(k), Int(n)) => Ptep(k - n),
        // The hook's address is page aligned.
        ("&", Slot(k), Unknown(m)) | ("&", Unknown(m), Slot(k)) if m == "PAGE_MASK" => Slot(k),
        ("<<", Pfn, Unknown(s)) if s == "PAGE_SHIFT" => PagePhys,
        ("+", Index(a), Index(b)) => Index(a.add(&b, 1)),
        ("-", Index(a), Index(b)) => Index(a.add(&b, -1)),
        ("*", Index(a), Index(b)) => Index(a.mul(&b)),
        ("+", Index(a), Int(c)) | ("+", Int(c), Index(a)) => Index(a.add(&Poly::constant(c), 1)),
        ("-", Index(a), Int(c)) => Index(a.add(&Poly::constant(c), -1)),
        ("*", Index(a), Int(c)) | ("*", Int(c), Index(a)) => Index(a.mul(&Poly::constant(c))),
        // What the reader could not evaluate is the useful part of the
        // message, not the expression built around it.
        (_, u @ Unknown(_), _) | (_, _, u @ Unknown(_)) => u,
        (op, x, y) => Unknown(format!("{} {op} {}", describe(&x), describe(&y))),
    }
}

fn int_op(op: &str, a: i64, b: i64) -> Option<i64> {
    Some(match op {
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" => a.checked_div(b)?,
        "%" => a.checked_rem(b)?,
        "&" => a & b,
        "|" => a | b,
        "^" => a ^ b,
        "<<" => a.checked_shl(b as u32)?,
        ">>" => a.checked_shr(b as u32)?,
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "<" => i64::from(a < b),
        ">" => i64::from(a > b),
        "<=" => i64::from(a <= b),
        ">=" => i64::from(a >= b),
        "&&" => i64::from(a != 0 && b != 0),
        "||" => i64::from(a != 0 || b != 0),
        _ => return None,
    })
}

/// A value in words, for messages.
fn describe(v: &Val) -> String {
    match v {
        Val::Int(0) => "0".into(),
        Val::Int(x) => format!("the constant {x}"),
        Val::Slot(0) => "the hook's address".into(),
        Val::Slot(k) => format!("the hook's address {k:+} pages"),
        Val::Pages(n) => format!("{n} page(s)"),
        Val::Ptep(0) => "the hook's PTE".into(),
        Val::Ptep(k) => format!("the hook's PTE {k:+} entries"),
        Val::PteVal => "the hook's pteval".into(),
        Val::Pfn => "the page frame".into(),
        Val::Page => "the page".into(),
        Val::PagePhys => "the page's physical address".into(),
        Val::Mm => "&init_mm".into(),
        Val::Index(_) => "an index expression".into(),
        Val::Unknown(what) => format!("`{what}`"),
    }
}

/// The line an expression starts on, from the first token that keeps one.
fn first_line(e: &Expr) -> u32 {
    match e {
        Expr::Ident(_, line) | Expr::Call { line, .. } | Expr::Opaque(_, line) | Expr::Unparsed(_, line) => *line,
        Expr::Int(_) | Expr::Str => 0,
        Expr::Unary(_, a) | Expr::Cast(a) => first_line(a),
        Expr::Binary(_, a, b) | Expr::Assign(a, b) => match first_line(a) {
            0 => first_line(b),
            l => l,
        },
        Expr::Ternary(c, a, b) => [c, a, b].into_iter().map(|e| first_line(e)).find(|&l| l != 0).unwrap_or(0),
    }
}

#[cfg(test)]
#[path = "hook_reader_tests.rs"]
mod tests;
