//! The review report: one self-contained HTML file (no network, no
//! external assets) with the summary table and a legend, and per arch
//! every file it touches (the identical ones folded into one line, the
//! others with the golden file beside the generated one, the words that
//! differ marked, comments set apart from code, whitespace-only rows
//! hideable), the hooks with their effects and C, the model's verdict
//! and trace, and the patch.

mod entry;
mod side_by_side;

use serde::Serialize;

use crate::fidelity::{FileComparison, FileStatus};
use crate::review::ArchReview;

pub use entry::{arch_entry, hook_entries, model_entry};
pub use side_by_side::{rows, Row, Segment};

/// Whether an existing file is a report archport wrote (and may replace).
pub fn is_report(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(GENERATOR.len()).any(|w| w == GENERATOR.as_bytes())
}

/// The mark every report carries in its head.
const GENERATOR: &str = r#"<meta name="generator" content="archport">"#;

/// One hook as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct HookEntry {
    pub c_name: String,
    pub effects: Vec<String>,
    pub c: String,
}

/// The model's verdicts for one arch: on the generated port, and on the
/// golden port's hooks.
#[derive(Clone, Debug, Serialize)]
pub struct ModelEntry {
    pub status: crate::verify::Status,
    /// States explored and bounds, or what was not modelled.
    pub detail: String,
    pub trace: Option<String>,
    pub golden_status: crate::verify::Status,
    pub golden_detail: String,
    pub golden_trace: Option<String>,
    /// What became of each TLB and cache operation of the old
    /// kmap_atomic code in the generated port.
    pub old_code: Vec<OldCodeRow>,
}

/// One operation of the old kmap_atomic code, and its fate in the port.
#[derive(Clone, Debug, Serialize)]
pub struct OldCodeRow {
    pub operation: String,
    /// Where it ran, and under which configuration.
    pub place: String,
    /// file:line in the tree before the port.
    pub at: String,
    /// The badge: kept, moved, unneeded, dropped.
    pub fate: &'static str,
    pub detail: String,
}

/// Everything the report shows about one arch.
#[derive(Clone, Debug)]
pub struct ArchEntry {
    pub review: ArchReview,
    pub hooks: Vec<HookEntry>,
    pub model: ModelEntry,
    pub patch: String,
}

/// One file of an arch as the page shows it.
#[derive(Serialize)]
struct FileView {
    path: String,
    /// The badge: the file's status, or `justified` when a mechanical
    /// check shows the difference to be the golden port's fault.
    badge: &'static str,
    /// What the numbers say, in words.
    figures: String,
    justification: Option<String>,
    /// Shown unfolded: everything but an equivalent file.
    open: bool,
    rows: Vec<Row>,
}

/// One line of the patch with its look (`add`, `del`, `hunk`, `meta` or
/// empty).
#[derive(Serialize)]
struct PatchLine {
    class: &'static str,
    text: String,
}

#[derive(Serialize)]
struct ArchView<'a> {
    arch: &'a str,
    verdict: String,
    files: usize,
    template_lines: usize,
    generic_share: String,
    model: &'a ModelEntry,
    hooks: &'a [HookEntry],
    /// The files that are not identical to the golden ones, in path order.
    changed: Vec<FileView>,
    /// The files identical to the golden ones.
    identical: Vec<String>,
    patch: Vec<PatchLine>,
}

const TEMPLATE: &str = include_str!("report.html.tera");

/// Renders the report. Pure: the caller writes it.
pub fn render(version: &str, arches: &[ArchEntry]) -> anyhow::Result<String> {
    let views: Vec<ArchView> = arches.iter().map(view).collect();
    let mut tera = tera::Tera::default();
    tera.add_raw_template("report.html", TEMPLATE)?;
    tera.autoescape_on(vec!["report.html"]);
    let mut ctx = tera::Context::new();
    ctx.insert("version", version);
    ctx.insert("arches", &views);
    Ok(tera.render("report.html", &ctx)?)
}

fn view(a: &ArchEntry) -> ArchView<'_> {
    let r = &a.review;
    let share = format!("{:.0}%", 100.0 * r.generic_share());
    let (identical, changed): (Vec<_>, Vec<_>) = r.files.iter().partition(|f| f.status == FileStatus::Identical);
    ArchView {
        arch: r.arch.name(),
        verdict: r.verdict().to_string(),
        files: r.files.len(),
        template_lines: r.template_lines,
        generic_share: share,
        model: &a.model,
        hooks: &a.hooks,
        changed: changed.into_iter().map(|f| file_view(f, r.sides.get(&f.path))).collect(),
        identical: identical.into_iter().map(|f| f.path.clone()).collect(),
        patch: patch_lines(&a.patch),
    }
}

fn file_view(f: &FileComparison, sides: Option<&crate::review::Sides>) -> FileView {
    let badge = if f.justification.is_some() { "justified" } else { f.status.name() };
    let figures = match f.status {
        FileStatus::Equivalent => "the same code; comments or whitespace differ".to_string(),
        _ => format!(
            "{}{} code tokens differ · similarity {}{:.2}",
            if f.tokens_at_least { "more than " } else { "" },
            f.code_token_diff,
            if f.similarity_at_most { "at most " } else { "" },
            f.similarity
        ),
    };
    FileView {
        path: f.path.clone(),
        badge,
        figures,
        justification: f.justification.clone(),
        open: f.status != FileStatus::Equivalent,
        rows: sides.map(|(generated, golden)| rows(golden.as_deref(), generated.as_deref())).unwrap_or_default(),
    }
}

/// The patch's lines, each with the look of its kind.
fn patch_lines(patch: &str) -> Vec<PatchLine> {
    let mut in_diff = false;
    patch
        .lines()
        .map(|line| {
            in_diff |= line.starts_with("diff --git ");
            let class = match line.as_bytes().first() {
                _ if !in_diff => "",
                _ if line.starts_with("diff --git ")
                    || line.starts_with("index ")
                    || line.starts_with("--- ")
                    || line.starts_with("+++ ") =>
                {
                    "meta"
                }
                Some(b'@') => "hunk",
                Some(b'+') => "add",
                Some(b'-') => "del",
                _ => "",
            };
            PatchLine { class, text: line.to_string() }
        })
        .collect()
}
