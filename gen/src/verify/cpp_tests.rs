//! The preprocessor on small headers written for the purpose.

use super::*;

fn read(text: &str, config: &Config) -> Scope {
    let mut s = Scope::default();
    s.read("h.h", text.as_bytes(), config);
    s
}

fn defined(s: &Scope, name: &str) -> Option<String> {
    match s.macros.get(name) {
        Some(MacroState::Defined(m)) if m.undecided.is_none() => Some(join(&m.body)),
        _ => None,
    }
}

#[test]
fn conditionals_decide_what_is_defined() {
    let text = "\
#ifndef _H
#define _H
#if 0
#define A dead
#elif defined(CONFIG_HIGHMEM) && !defined(__ASSEMBLY__)
#define A live
#else
#define A other
#endif
#ifdef CONFIG_DEBUG_HIGHMEM
#define B debug
#endif
#define C gone
#undef C
#if 1 + 2 * 3 == 7 && (1 << 4) > 15
#define D arithmetic
#endif
#endif
";
    let off = Config { symbols: [("CONFIG_DEBUG_HIGHMEM".to_string(), false)].into(), ..Default::default() };
    let s = read(text, &off);
    assert_eq!(defined(&s, "A").as_deref(), Some("live"));
    assert_eq!(defined(&s, "B"), None);
    assert!(matches!(s.macros.get("C"), Some(MacroState::Undefined { .. })));
    assert_eq!(defined(&s, "D").as_deref(), Some("arithmetic"));
    let on = Config { symbols: [("CONFIG_DEBUG_HIGHMEM".to_string(), true)].into(), ..Default::default() };
    assert_eq!(defined(&read(text, &on), "B").as_deref(), Some("debug"));
}

#[test]
fn what_the_configuration_does_not_decide_is_marked_with_its_place() {
    let s = read(
        "#if defined(CONFIG_SMP) && defined(CONFIG_HIGHMEM)\n#define X 1\n#else\n#define Y 2\n#endif\n",
        &Config::default(),
    );
    let MacroState::Defined(x) = &s.macros["X"] else { panic!() };
    let u = x.undecided.as_ref().expect("undecided");
    assert_eq!((u.at.line, u.condition.as_str()), (1, "#if defined(CONFIG_SMP) && defined(CONFIG_HIGHMEM)"));
    let MacroState::Defined(y) = &s.macros["Y"] else { panic!() };
    assert!(y.undecided.is_some(), "the #else of an undecided #if is undecided too");
    // A stated condition decides it.
    let stated = Config {
        conditions: [("defined(CONFIG_SMP) && defined(CONFIG_HIGHMEM)".to_string(), false)].into(),
        ..Default::default()
    };
    let s =
        read("#if defined(CONFIG_SMP) && defined(CONFIG_HIGHMEM)\n#define X 1\n#else\n#define Y 2\n#endif\n", &stated);
    assert_eq!((defined(&s, "X"), defined(&s, "Y").as_deref()), (None, Some("2")));
}

#[test]
fn functions_and_function_like_macros_are_collected() {
    let s = read(
        "#define M(a, b)\tf(a) + \\\n\tg(b)\n#define N (x)\nstatic inline int h(int type, unsigned long pfn)\n{\n\treturn type;\n}\n",
        &Config::default(),
    );
    let MacroState::Defined(m) = &s.macros["M"] else { panic!() };
    assert_eq!((m.params.clone(), join(&m.body)), (Some(vec!["a".into(), "b".into()]), "f(a) + g(b)".into()));
    let MacroState::Defined(n) = &s.macros["N"] else { panic!() };
    assert_eq!(n.params, None, "a space before `(` makes an object-like macro");
    let h = &s.functions["h"];
    assert_eq!(
        (h.params.clone(), join(&h.body), h.at.line),
        (vec!["type".into(), "pfn".into()], "return type;".into(), 4)
    );
}

#[test]
fn an_error_directive_the_configuration_reaches_is_recorded() {
    let s = read("#ifdef CONFIG_HIGHMEM\n#error impossible\n#endif\n", &Config::default());
    assert_eq!(s.errors.len(), 1);
}

#[test]
fn hostile_nesting_is_bounded() {
    let deep = format!("{}#define Z 1\n{}", "#if 1\n".repeat(50_000), "#endif\n".repeat(50_000));
    let s = read(&deep, &Config::default());
    assert!(!s.too_deep.is_empty());
    let bangs = format!("#if {}1\n#define Q 1\n#endif\n", "!".repeat(200_000));
    let s =
        std::thread::Builder::new().stack_size(1 << 20).spawn(move || read(&bangs, &Config::default())).unwrap().join();
    assert!(s.is_ok(), "no stack overflow");
}

#[test]
fn if_arithmetic_binds_as_c_does_and_never_overflows() {
    let text = "\
#if 1 ^ 1 | 2 == 2
#define XOR bound_below_or
#endif
#if (1 << 64) == 0 || (1 << -1) == 0
#define SHIFT_PAST_WIDTH taken
#endif
#if (-9223372036854775807 - 1) / -1
#define OVERFLOW taken
#elif 1
#define OVERFLOW_ELSE taken
#endif
";
    let s = read(text, &Config::default());
    // `1 ^ 1 | 2 == 2` is `(1 ^ 1) | (2 == 2)` = 1; read as `1 ^ (1 | 2) == 2` it would be 0.
    assert_eq!(defined(&s, "XOR").as_deref(), Some("bound_below_or"));
    // A shift past the width or by a negative count is undefined: not 0.
    assert_eq!(defined(&s, "SHIFT_PAST_WIDTH"), None);
    // i64::MIN / -1 is undecided (no panic), so neither branch is known.
    assert_eq!(defined(&s, "OVERFLOW"), None);
    assert_eq!(defined(&s, "OVERFLOW_ELSE"), None);
}

#[test]
fn only_a_files_first_ifndef_is_its_include_guard() {
    let guard = "#ifndef _ASM_H\n#define _ASM_H\n#define A guarded\n#endif\n";
    assert_eq!(defined(&read(guard, &Config::default()), "A").as_deref(), Some("guarded"));
    // The fallback idiom mid-file: the name may come from a header not
    // read, so whether the fallback is compiled is not known.
    let fallback = "#define B first\n#ifndef flush_x\n#define flush_x(a) do_flush(a)\n#endif\n";
    let s = read(fallback, &Config::default());
    assert_eq!(defined(&s, "flush_x"), None, "undecided, not taken");
    // A first #ifndef whose #define has a body is not a guard either.
    let s = read("#ifndef flush_y\n#define flush_y(a) do_flush(a)\n#endif\n", &Config::default());
    assert_eq!(defined(&s, "flush_y"), None);
}

#[test]
fn a_function_is_undecided_by_the_first_undecided_conditional_anywhere_in_it() {
    let text = "\
int before(void) { return 0; }
#ifdef CONFIG_SMP
int around(void) { return 1; }
#endif
int inside(void)
{
#ifdef CONFIG_X
\tflush();
#endif
#if 0
\tdead();
#endif
\treturn 2;
}
int after(void) { return 4; }
";
    let s = read(text, &Config::default());
    let undecided = |name: &str| s.functions[name].undecided.as_ref().map(|u| u.condition.clone());
    assert_eq!(undecided("before"), None);
    assert_eq!(undecided("around").as_deref(), Some("#ifdef CONFIG_SMP"));
    assert_eq!(undecided("inside").as_deref(), Some("#ifdef CONFIG_X"), "one at the body's middle counts");
    assert_eq!(join(&s.functions["inside"].body), "flush(); return 2;", "#if 0 code is not in the body");
    assert_eq!(undecided("after"), None, "a conditional closed before the function does not count");
}

#[test]
fn an_annotation_after_the_parameters_is_not_the_function() {
    let s = read(
        "static struct rq *finish_task_switch(struct task_struct *prev)\n\t__releases(rq->lock)\n{\n\tunlock(rq);\n}\n\
         void g(int a) __attribute__((noinline)) __must_hold(&l)\n{\n\treturn;\n}\n\
         typeof(int) __h(int b)\n{\n\treturn b;\n}\n",
        &Config::default(),
    );
    let names: Vec<&str> = s.functions.keys().map(String::as_str).collect();
    assert_eq!(names, ["__h", "finish_task_switch", "g"], "`__h` after `typeof(int)` is a name, not an annotation");
    assert_eq!(s.functions["finish_task_switch"].params, ["prev"]);
    assert_eq!(join(&s.functions["finish_task_switch"].body), "unlock(rq);");
}
