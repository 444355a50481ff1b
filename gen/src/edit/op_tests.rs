//! End-to-end tests of the operations through `apply`, on small fixtures.

mod definition_tests {
    use crate::edit::remove::is_initcall;
    use crate::edit::{apply, Anchor, Op, Render};

    struct NoRender;

    impl Render for NoRender {
        fn hooks(&self) -> Result<String, String> {
            Err("no hooks".into())
        }
        fn template(&self, _: &str) -> Result<String, String> {
            Err("no templates".into())
        }
    }

    fn run(src: &str, ops: &[Op]) -> Result<String, String> {
        let mut content = Some(src.as_bytes().to_vec());
        for op in ops {
            apply(&mut content, op, &NoRender)?;
        }
        Ok(String::from_utf8(content.unwrap()).unwrap())
    }

    fn before(name: &str) -> Anchor {
        Anchor { before: Some(name.into()), ..Anchor::default() }
    }

    fn after(name: &str) -> Anchor {
        Anchor { after: Some(name.into()), ..Anchor::default() }
    }

    const LAYOUT: &str = "\
#include <a.h>

/* the base */
#define BASE\t(TOP - SIZE - OTHER)
#define SIZE\t4096\t/* one */
#define SLOTS\t((SIZE >> 12) / NR)
#define ADDR(n)\t\\
\t(BASE + (n))

/* the rest */
#define REST\t(BASE + SIZE)
#define OTHER\t4096
#define LAST\t(OTHER >> 12)
";

    #[test]
    fn macros_are_removed_with_their_continuation_lines() {
        let out =
            run(LAYOUT, &[Op::RemoveMacro { name: "SLOTS".into() }, Op::RemoveMacro { name: "ADDR".into() }]).unwrap();
        assert!(!out.contains("SLOTS") && !out.contains("ADDR") && !out.contains("(BASE + (n))"), "{out}");
        assert!(out.contains("#define SIZE\t4096\t/* one */\n\n/* the rest */"), "{out}");
        assert_eq!(run(LAYOUT, &[Op::RemoveMacro { name: "SIZ".into() }]).unwrap_err(), "no `#define SIZ`");
        let out = run("#ifdef X\n#define A 1\n#endif\nint y;\n", &[Op::RemoveMacro { name: "A".into() }]).unwrap();
        assert_eq!(out, "int y;\n", "an #ifdef left empty goes too");
    }

    #[test]
    fn a_moved_macro_goes_above_the_comment_introducing_its_anchor() {
        let ops = [
            Op::MoveDefinition { name: "SIZE".into(), at: before("BASE") },
            Op::MoveDefinition { name: "OTHER".into(), at: after("SIZE") },
        ];
        let out = run(LAYOUT, &ops).unwrap();
        assert!(
            out.starts_with(
                "#include <a.h>\n\n#define SIZE\t4096\t/* one */\n#define OTHER\t4096\n\n/* the base */\n#define BASE\t(TOP - SIZE - OTHER)\n#define SLOTS"
            ),
            "{out}"
        );
        assert!(out.contains("#define REST\t(BASE + SIZE)\n#define LAST"), "{out}");
        assert_eq!(out.matches("#define OTHER").count(), 1);
    }

    #[test]
    fn a_macro_moved_before_a_macro_without_comment_joins_it() {
        let out = run(LAYOUT, &[Op::MoveDefinition { name: "LAST".into(), at: before("SLOTS") }]).unwrap();
        assert!(out.contains("/* one */\n#define LAST\t(OTHER >> 12)\n#define SLOTS"), "{out}");
    }

    #[test]
    fn moved_functions_are_set_off_by_blank_lines() {
        let src = "int a;\n\n/* f */\nint f(void)\n{\n\treturn 1;\n}\n\nint g(void)\n{\n\treturn 2;\n}\n";
        let out = run(src, &[Op::MoveDefinition { name: "f".into(), at: after("g") }]).unwrap();
        assert_eq!(out, "int a;\n\nint g(void)\n{\n\treturn 2;\n}\n\n/* f */\nint f(void)\n{\n\treturn 1;\n}\n");
    }

    #[test]
    fn moving_fails_without_changing_anything() {
        let err = run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: before("NOPE") }]).unwrap_err();
        assert_eq!(err, "anchor: no definition of `NOPE`");
        let at_end = Anchor { at_end: true, ..Anchor::default() };
        assert!(run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: at_end }]).is_err());
        assert!(run(LAYOUT, &[Op::MoveDefinition { name: "SIZE".into(), at: after("SIZE") }]).is_err());
    }

    #[test]
    fn drop_static_makes_a_function_global() {
        let src = "static int x;\n\nstatic void __init setup(void)\n{\n}\n\nstatic inline\nint other(void)\n{\n\treturn 0;\n}\n";
        let out = run(src, &[Op::DropStatic { name: "setup".into() }]).unwrap();
        assert!(out.starts_with("static int x;\n\nvoid __init setup(void)\n{"), "{out}");
        let out = run(src, &[Op::DropStatic { name: "other".into() }]).unwrap();
        assert!(out.ends_with("}\n\ninline\nint other(void)\n{\n\treturn 0;\n}\n"), "{out}");
        let err =
            run(src, &[Op::DropStatic { name: "setup".into() }, Op::DropStatic { name: "setup".into() }]).unwrap_err();
        assert_eq!(err, "no `static` definition of function `setup`");
    }

    #[test]
    fn a_removed_function_takes_its_initcall_along() {
        let src = "int keep;\n\nstatic int __init setup(void)\n{\n\treturn 0;\n}\narch_initcall(setup);\n";
        let out = run(src, &[Op::RemoveFunction { name: "setup".into() }]).unwrap();
        assert_eq!(out, "int keep;\n");
        assert!(is_initcall("late_initcall_sync(f);", "f") && is_initcall("module_init(f);", "f"));
        assert!(!is_initcall("arch_initcall(fg);", "f") && !is_initcall("call(f);", "f"));
    }
}

mod statement_tests {
    use crate::edit::remove::{remove_declaration, remove_statements};

    #[test]
    fn removed_statements_take_their_comment_and_no_block_opens_blank() {
        let mut t = b"void __init setup(void)\n{\n\tunsigned long v;\n\n\tcheck();\n\t/* cache the first pte */\n\tv = base();\n\tfirst_pte = lookup(v);\n\tother();\n}\n".to_vec();
        remove_declaration(&mut t, "v").unwrap();
        remove_statements(&mut t, "v").unwrap();
        assert_eq!(String::from_utf8(t).unwrap(), "void __init setup(void)\n{\n\tcheck();\n\tother();\n}\n");
    }
}
