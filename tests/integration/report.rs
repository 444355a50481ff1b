//! The HTML report, opened in a real browser (headless Chromium, which
//! `tests/run` installs from Debian's `chromium` package): every arch
//! laid out, code that never wraps inside an identifier at 1400 px, a
//! page that still fits its cards at 800 px, the whitespace toggle, and
//! what the page says about files, hooks and paths.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{archport, assert_status, cache_root, stdout};

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    let bin = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("a Chromium browser on PATH (Debian package `chromium`; tests/run installs it)");
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

/// The report of all ten arches, written once for every test here.
fn report() -> &'static (tempfile::TempDir, PathBuf, String) {
    static R: OnceLock<(tempfile::TempDir, PathBuf, String)> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("review.html");
        assert_status(&archport(&["report", "--quiet", "--html", html.to_str().unwrap()]), 0);
        let page = std::fs::read_to_string(&html).unwrap();
        (dir, html, page)
    })
}

/// What the page's text holds, with tera's escapes undone.
fn unescaped(page: &str) -> String {
    page.replace("&#x2F;", "/").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// The page with `script` run after it loaded, at a window of `width`
/// px: what the script wrote into `<pre id="measured">`, as JSON.
fn measure(name: &str, width: u32, script: &str) -> serde_json::Value {
    let (dir, _, page) = report();
    let probe = dir.path().join(format!("{name}.html"));
    let body = format!("<pre id=\"measured\"></pre><script>{script}</script></body>");
    std::fs::write(&probe, page.replace("</body>", &body)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let size = format!("--window-size={width},2000");
    let url = format!("file://{}", probe.display());
    let dom = chromium(&[&size, "--virtual-time-budget=2000", "--dump-dom", &url], profile.path());
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    let text = dom
        .split("<pre id=\"measured\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("nothing measured in the rendered DOM:\n{dom}"));
    serde_json::from_str(&unescaped(text)).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Opens every folded part of the page, so that all of it is laid out.
const OPEN_ALL: &str = "document.querySelectorAll('details').forEach(function (d) { d.open = true; });";

/// For every identifier in a code cell of the side-by-side tables, the
/// number of line boxes it is laid out on: more than one is a wrap
/// inside it.
const WRAPPED_IDENTIFIERS: &str = r#"
var wrapped = [], identifiers = 0, cells = 0, widest_no = 0;
document.querySelectorAll('table.sbs td.code').forEach(function (td) {
  cells++;
  var walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  for (var node = walk.nextNode(); node; node = walk.nextNode()) {
    var re = /[A-Za-z_][A-Za-z0-9_]*/g, m;
    while ((m = re.exec(node.data))) {
      identifiers++;
      var r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      var lines = {};
      Array.prototype.forEach.call(r.getClientRects(), function (b) { if (b.width > 0) lines[Math.round(b.top)] = 1; });
      if (Object.keys(lines).length > 1) wrapped.push(m[0]);
    }
  }
});
document.querySelectorAll('table.sbs td.no').forEach(function (td) { widest_no = Math.max(widest_no, td.getBoundingClientRect().width); });
document.getElementById('measured').textContent = JSON.stringify({cells: cells, identifiers: identifiers, wrapped: wrapped, widest_no: widest_no});
"#;

/// Every element that reaches past the right edge of its arch's card
/// without a scrolling box around it.
const OVERFLOWING: &str = r#"
var out = [];
function scrolls(el, card) {
  for (var e = el.parentElement; e && e !== card; e = e.parentElement) {
    var o = getComputedStyle(e).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
}
document.querySelectorAll('section.arch').forEach(function (card) {
  var right = card.getBoundingClientRect().right;
  card.querySelectorAll('*').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right + 1 && !scrolls(el, card)) out.push(card.dataset.arch + ': ' + el.tagName + '.' + el.className);
  });
});
var hooks = document.querySelectorAll('.hook pre').length;
document.getElementById('measured').textContent = JSON.stringify({overflowing: out, hook_blocks: hooks, page_width: document.documentElement.scrollWidth});
"#;

/// The look of whitespace-only rows before and after the toggle.
const WHITESPACE_TOGGLE: &str = r#"
function look() {
  var changed = document.querySelector('tr.ws.changed td.code.r');
  var plain = document.querySelector('tr.changed:not(.ws) td.code.r');
  var added = document.querySelector('tr.ws.added');
  return {ws_row: getComputedStyle(changed).backgroundColor, other_row: getComputedStyle(plain).backgroundColor,
          blank_added: getComputedStyle(added).display};
}
var before = look();
document.getElementById('hide-ws').click();
document.getElementById('measured').textContent = JSON.stringify({before: before, after: look()});
"#;

#[test]
fn report_opens_in_chromium_with_all_ten_arch_sections_visible() {
    let (_, html, page) = report();
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

    // Screenshots for a human to look at, of the top of the page and of
    // the page with every part open.
    let (dir, _, page) = report();
    let open = dir.path().join("open.html");
    std::fs::write(&open, page.replace("<details ", "<details open ")).unwrap();
    for (width, name, target) in
        [(1400, "report-1400.png", html), (800, "report-800.png", &open), (1400, "report-open-1400.png", &open)]
    {
        let shot = artifacts().join(name);
        let _ = std::fs::remove_file(&shot);
        let size = format!("--window-size={width},2400");
        let url = format!("file://{}", target.display());
        let out = chromium(&[&size, &format!("--screenshot={}", shot.display()), &url], profile.path());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot too small: {} bytes", png.len());
    }
}

#[test]
fn at_1400_px_no_code_wraps_inside_an_identifier_and_line_numbers_stay_narrow() {
    let m = measure("wrapped", 1400, &format!("{OPEN_ALL}{WRAPPED_IDENTIFIERS}"));
    println!("1400 px: {m}");
    assert!(m["cells"].as_u64().unwrap() > 500 && m["identifiers"].as_u64().unwrap() > 1000, "{m}");
    assert_eq!(m["wrapped"], serde_json::json!([]), "identifiers wrapped at 1400 px");
    assert!(m["widest_no"].as_f64().unwrap() < 50.0, "line-number columns are too wide: {m}");
}

#[test]
fn at_800_px_nothing_runs_out_of_its_card() {
    let m = measure("overflowing", 800, &format!("{OPEN_ALL}{OVERFLOWING}"));
    println!("800 px: {m}");
    assert!(m["hook_blocks"].as_u64().unwrap() >= 10, "{m}");
    assert_eq!(m["overflowing"], serde_json::json!([]), "elements overflow their card at 800 px");
    assert!(m["page_width"].as_f64().unwrap() <= 800.0, "the page scrolls sideways at 800 px: {m}");
}

#[test]
fn the_whitespace_toggle_shows_whitespace_only_rows_as_unchanged() {
    let m = measure("toggle", 1400, &format!("{OPEN_ALL}{WHITESPACE_TOGGLE}"));
    println!("toggle: {m}");
    let transparent = "rgba(0, 0, 0, 0)";
    assert_ne!(m["before"]["ws_row"], transparent, "{m}");
    assert_eq!(m["after"]["ws_row"], transparent, "{m}");
    assert_eq!(m["after"]["other_row"], m["before"]["other_row"], "a real change stays marked: {m}");
    assert_eq!(
        (m["before"]["blank_added"].as_str(), m["after"]["blank_added"].as_str()),
        (Some("table-row"), Some("none"))
    );
}

#[test]
fn the_page_lists_every_file_badges_justified_ones_and_shows_the_real_hook_c() {
    let (_, _, page) = report();
    let text = unescaped(page);
    let o = archport(&["diff", "--quiet", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut files = 0;
    for a in json["arches"].as_array().unwrap() {
        let arch = a["arch"].as_str().unwrap();
        let start = text.find(&format!("<section class=\"arch\" id=\"arch-{arch}\"")).unwrap();
        let section = &text[start..start + text[start..].find("</section>").unwrap()];
        for f in a["files"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap();
            files += 1;
            assert!(section.contains(&format!("<code>{path}</code>")), "{arch}: {path} is not listed");
            let badge = match (f["status"].as_str().unwrap(), f.get("justification")) {
                ("identical", _) => continue,
                (_, Some(_)) => "justified",
                (status, None) => status,
            };
            let summary = format!("<summary><code>{path}</code> <span class=\"badge {badge}\">{badge}</span>");
            assert!(section.contains(&summary), "{arch}: {path} is not badged {badge}");
        }
    }
    assert!(files > 60, "{files} files");
    assert!(text.contains("<span class=\"badge justified\">justified</span>"));
    assert!(!text.contains("<span class=\"badge differs\">differs</span> <span class=\"note\">12 code tokens"));

    // arm's high_get is rendered from a template: the page shows its C.
    assert!(!text.contains("(template "), "a hook shown by its template's name");
    assert!(text.contains("static inline void *arch_kmap_local_high_get(struct page *page)\n{"), "no C for high_get");

    // Intra-line emphasis: sparc's golden post_map is one call where the
    // generated one opens a block; x86's generated post_map is one call
    // where the golden one continues on the next line.
    assert!(text.contains("<span class=\"e\">flush_cache_all()</span></td>"), "no emphasis on the changed word");
    assert!(
        text.contains("<span class=\"e\">arch_flush_lazy_mmu_mode()</span></td>"),
        "no emphasis on the changed word"
    );

    // The legend names every badge the page uses.
    let legend = &text[text.find("id=\"legend\"").unwrap()..text.find("id=\"hide-ws\"").unwrap()];
    for badge in [
        "identical",
        "equivalent",
        "justified",
        "differs",
        "missing",
        "extra",
        "proved",
        "counterexample",
        "unmodelled",
        "kept",
        "moved",
        "unneeded",
        "dropped",
    ] {
        assert!(legend.contains(&format!("<span class=\"badge {badge}\">{badge}</span>")), "the legend lacks {badge}");
    }

    // No path of this machine's cache in the page.
    let cache = cache_root();
    for shown in [cache.clone(), std::fs::canonicalize(&cache).unwrap()] {
        assert!(!text.contains(shown.to_str().unwrap()), "the page shows the cache path {}", shown.display());
    }
    assert!(text.contains("--tree <golden tree>"), "the justification names the golden tree by its role");
}

/// Each arch's section lists the old kmap_atomic code's operations with
/// the fates `verify` gives them.
#[test]
fn the_page_shows_what_became_of_the_old_code_as_verify_does() {
    let (_, _, page) = report();
    let text = unescaped(page);
    let o = archport(&["verify", "--quiet", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut rows = 0;
    for a in json["old_code"].as_array().unwrap() {
        let arch = a["arch"].as_str().unwrap();
        let start = text.find(&format!("<section class=\"arch\" id=\"arch-{arch}\"")).unwrap();
        let section = &text[start..start + text[start..].find("</section>").unwrap()];
        for op in a["operations"].as_array().unwrap() {
            let (at, fate) = (op["at"].as_str().unwrap(), op["fate"].as_str().unwrap());
            let badge = match fate {
                "kept" => "kept",
                "moved" => "moved",
                "proved_unneeded" => "unneeded",
                "dropped_without_proof" => "dropped",
                other => panic!("unknown fate {other}"),
            };
            let row = format!("<td><code>{at}</code></td><td><span class=\"badge {badge}\">{badge}</span>");
            assert!(section.contains(&row), "{arch}: no row for {at} badged {badge}");
            rows += 1;
        }
    }
    assert!(rows >= 20, "{rows} old operations");
    assert!(text.contains("kept by arch_kmap_local_post_map"), "the detail names the hook that keeps it");
}
