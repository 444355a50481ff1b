//! Property tests for the edit operations: no input makes them panic,
//! a second application never changes what the first produced, and
//! bytes outside the edited lines survive (CRLF, no final newline,
//! invalid UTF-8).

use proptest::prelude::*;

use super::{apply, Anchor, Op, Render};

struct Fixed;

impl Render for Fixed {
    fn hooks(&self) -> Result<String, String> {
        Ok("#define arch_kmap_local_post_map(vaddr, pteval)\tflush(vaddr)\n".into())
    }
    fn template(&self, _: &str) -> Result<String, String> {
        Ok("int replaced;\n".into())
    }
}

/// Lines that exercise the operations, mixed with arbitrary bytes.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"#include <asm/kmap_types.h>".to_vec()),
        Just(b"#ifdef CONFIG_HIGHMEM".to_vec()),
        Just(b"#endif".to_vec()),
        Just(b"static pte_t *kmap_pte;".to_vec()),
        Just(b"EXPORT_SYMBOL(kmap_pte);".to_vec()),
        Just(b"void *kmap_atomic_pfn(unsigned long pfn)".to_vec()),
        Just(b"{".to_vec()),
        Just(b"\tkmap_pte = virt_to_kpte(0);".to_vec()),
        Just(b"}".to_vec()),
        Just(b"config HIGHMEM".to_vec()),
        Just(b"\tdepends on MMU".to_vec()),
        Just(b"obj-$(CONFIG_HIGHMEM) += highmem.o".to_vec()),
        Just(b"/* comment */".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

fn file() -> impl Strategy<Value = Vec<u8>> {
    (proptest::collection::vec(line(), 0..16), prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])], any::<bool>())
        .prop_map(|(lines, nl, final_nl)| {
            let mut out = lines.join(nl);
            if final_nl && !out.is_empty() {
                out.extend_from_slice(nl);
            }
            out
        })
}

/// The operations whose contract makes a second application fail (the
/// thing to change is gone or already changed) rather than repeat.
fn once_only_ops() -> Vec<Op> {
    vec![
        Op::KconfigSelect { config: "HIGHMEM".into(), symbol: "KMAP_LOCAL".into() },
        Op::ReplaceInclude { from: "asm/kmap_types.h".into(), to: "asm/kmap_size.h".into() },
        Op::DropInclude { header: "asm/kmap_types.h".into() },
        Op::AddInclude { header: "asm/fixmap.h".into(), after: "asm/kmap_types.h".into() },
        Op::Rename { from: "kmap_pte".into(), to: "kmap_local_pte".into() },
        Op::RemoveFunction { name: "kmap_atomic_pfn".into() },
        Op::RemoveDeclaration { name: "kmap_pte".into() },
        Op::RemoveStatements { mentioning: "kmap_pte".into() },
        Op::RemoveMakefileObject { object: "highmem.o".into() },
        Op::DeleteFile,
        Op::DeleteEmptiedFile,
    ]
}

fn all_ops() -> Vec<Op> {
    let mut ops = once_only_ops();
    ops.push(Op::InsertHooks { at: Anchor { at_end: true, ..Anchor::default() } });
    ops.push(Op::InsertTemplate {
        template: "t".into(),
        at: Anchor { after: Some("kmap_pte".into()), ..Anchor::default() },
    });
    ops.push(Op::ReplaceStatement {
        function: "kmap_atomic_pfn".into(),
        mentioning: "kmap_pte".into(),
        template: "t".into(),
    });
    ops.push(Op::ReplaceDocParagraphs {
        function: "kmap_atomic_pfn".into(),
        from_mentioning: "comment".into(),
        template: "t".into(),
    });
    ops.push(Op::ReplaceText { from: "/* comment */".into(), template: "t".into() });
    ops
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_input_makes_an_operation_panic(text in file()) {
        for op in all_ops() {
            let mut content = Some(text.clone());
            let _ = apply(&mut content, &op, &Fixed);
        }
    }

    #[test]
    fn a_second_application_changes_nothing(text in file()) {
        for op in once_only_ops() {
            let mut once = Some(text.clone());
            if apply(&mut once, &op, &Fixed).is_err() {
                continue;
            }
            let mut twice = once.clone();
            let second = apply(&mut twice, &op, &Fixed);
            prop_assert!(second.is_err() || twice == once, "{}: second application changed the file", op.describe());
        }
    }

    #[test]
    fn failing_operations_leave_the_content_alone(text in file()) {
        for op in all_ops() {
            let mut content = Some(text.clone());
            if apply(&mut content, &op, &Fixed).is_err() {
                // The caller discards the content on error; it must still
                // never be a torn mixture of old and new for ops that
                // check before they change.
                prop_assert!(content.is_some());
            }
        }
    }
}

#[test]
fn bytes_outside_the_edit_are_preserved() {
    // CRLF endings, an invalid UTF-8 byte, and no final newline.
    let input =
        b"/* caf\xe9 */\r\n#include <asm/kmap_types.h>\r\nint x;\r\nstatic pte_t *kmap_pte;\r\nint y; /* \xff */";
    let mut content = Some(input.to_vec());
    apply(&mut content, &Op::ReplaceInclude { from: "asm/kmap_types.h".into(), to: "asm/kmap_size.h".into() }, &Fixed)
        .unwrap();
    apply(&mut content, &Op::RemoveDeclaration { name: "kmap_pte".into() }, &Fixed).unwrap();
    assert_eq!(
        content.unwrap(),
        b"/* caf\xe9 */\r\n#include <asm/kmap_size.h>\r\nint x;\r\nint y; /* \xff */".to_vec()
    );
}

#[test]
fn inserted_text_follows_the_file_line_endings() {
    let mut content = Some(b"#ifndef A\r\n#define A\r\nint x;\r\n#endif\r\n".to_vec());
    apply(&mut content, &Op::InsertHooks { at: Anchor { at_end: true, ..Anchor::default() } }, &Fixed).unwrap();
    let out = content.unwrap();
    assert_eq!(
        out,
        b"#ifndef A\r\n#define A\r\nint x;\r\n\r\n#define arch_kmap_local_post_map(vaddr, pteval)\tflush(vaddr)\r\n\r\n#endif\r\n".to_vec()
    );
}
