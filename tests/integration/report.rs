//! The HTML report, opened in a real browser (headless Chromium, which
//! `.ci/run` installs from Debian's `chromium` package).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{archport, assert_status};

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    let bin = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("a Chromium browser on PATH (Debian package `chromium`; .ci/run installs it)");
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("running chromium")
}

/// Where test artifacts are kept for a human to look at.
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn report_opens_in_chromium_with_all_ten_arch_sections_visible() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("review.html");
    assert_status(&archport(&["report", "--quiet", "--html", html.to_str().unwrap()]), 0);
    let page = std::fs::read_to_string(&html).unwrap();

    // Self-contained: no external scripts, styles, images or fonts.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(needle), "the report loads an external asset: {needle}");
    }

    let url = format!("file://{}", html.display());
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(&["--virtual-time-budget=2000", "--dump-dom", &url], profile.path());
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    let check = dom
        .split("<pre id=\"selfcheck\" hidden=\"\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("no self-check in the rendered DOM:\n{dom}"));
    let visible: serde_json::Value = serde_json::from_str(check).unwrap();
    for arch in archport::arch::Arch::ALL {
        assert_eq!(visible[arch.name()], true, "section {arch} is not visible: {check}");
    }

    let shot = artifacts().join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(&["--window-size=1400,2400", &format!("--screenshot={}", shot.display()), &url], profile.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot too small: {} bytes", png.len());
}
