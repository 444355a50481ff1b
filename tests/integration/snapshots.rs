//! Snapshots of what a reviewer reads (insta): the ten commit messages,
//! the cover letter, and the model's counterexample on the golden sparc
//! hooks. A changed text fails with the diff; review it, then accept it
//! with `cargo insta review` (or INSTA_UPDATE=always). Kernel code is
//! left out: the messages stop before their diff, the cover letter has
//! only file names.

use crate::pinned::generated;

/// A mail's subject and message, without the diff that follows `---`.
fn message(mail: &[u8]) -> String {
    let text = String::from_utf8_lossy(mail);
    let body = text.split("\n---\n").next().unwrap_or_default();
    body.lines().filter(|l| !l.starts_with("From ") && !l.starts_with("Date: ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn commit_messages_and_cover_letter() {
    for (path, bytes) in generated().iter().filter(|(p, _)| p.starts_with("series/")) {
        let name = path.trim_start_matches("series/").trim_end_matches(".patch");
        let text = if name.starts_with("0000") {
            // The cover letter holds no code: all of it, but the date.
            String::from_utf8_lossy(bytes).lines().filter(|l| !l.starts_with("Date: ")).collect::<Vec<_>>().join("\n")
        } else {
            message(bytes)
        };
        insta::assert_snapshot!(name.to_string(), text);
    }
}

#[test]
fn the_golden_sparc_counterexample_trace() {
    let k = crate::support::kernel();
    let o = crate::support::archport(&["verify", "--arch", "sparc", "--tree", k.golden.to_str().unwrap()]);
    crate::support::assert_status(&o, 1);
    insta::assert_snapshot!(crate::support::stdout(&o).replace(&k.golden.display().to_string(), "<golden>"));
}
