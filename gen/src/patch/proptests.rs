//! Property tests for the patch parser and writer: arbitrary input never
//! panics, and a diff written by `file_diff`, parsed back and applied to
//! its input, gives its output byte for byte.

use proptest::prelude::*;

use super::{apply_hunks, file_diff, parse_patch, Applied};

fn text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"a".to_vec()),
        Just(b"b".to_vec()),
        Just(b"\tint x;".to_vec()),
        Just(b"".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"x\r".to_vec()),
    ];
    (proptest::collection::vec(line, 0..20), any::<bool>()).prop_map(|(lines, final_nl)| {
        let mut out = lines.join(&b"\n"[..]);
        if final_nl && !out.is_empty() {
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_patch(&bytes);
    }

    #[test]
    fn patch_shaped_noise_never_panics(lines in proptest::collection::vec(prop_oneof![
        Just("--- a/f".to_string()), Just("+++ b/f".to_string()), Just("@@ -1,2 +1,2 @@".to_string()),
        Just("@@ -0,0 +1 @@".to_string()), Just(" ctx".to_string()), Just("-old".to_string()),
        Just("+new".to_string()), Just("\\ No newline at end of file".to_string()), Just("diff --git a/f b/f".to_string()),
    ], 0..30)) {
        let text = lines.join("\n");
        if let Ok(p) = parse_patch(text.as_bytes()) {
            for f in &p.files {
                let _ = apply_hunks(Some(b"ctx\nold\n"), f, |_| true);
            }
        }
    }

    #[test]
    fn written_diff_applied_to_the_input_gives_the_output(before in text(), after in text()) {
        let diff = file_diff("dir/file.c", Some(&before), Some(&after));
        if before == after {
            prop_assert!(diff.is_empty());
            return Ok(());
        }
        let patch = parse_patch(&diff).map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&diff))))?;
        prop_assert_eq!(patch.files.len(), 1);
        let got = apply_hunks(Some(&before), &patch.files[0], |_| true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, Applied::Content(after.clone()));
    }
}
