//! The review report: one self-contained HTML file (no network, no
//! external assets) with the summary table and, per arch, the generated
//! port beside the golden one (comments set apart from code), the hooks
//! with their effects, the model's verdict and trace, and the patch.

mod entry;
mod side_by_side;

use serde::Serialize;

use crate::review::ArchReview;

pub use entry::{arch_entry, hook_entries, model_entry};
pub use side_by_side::{rows, Row};

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
}

/// Everything the report shows about one arch.
#[derive(Clone, Debug)]
pub struct ArchEntry {
    pub review: ArchReview,
    pub hooks: Vec<HookEntry>,
    pub model: ModelEntry,
    pub patch: String,
}

#[derive(Serialize)]
struct FileView {
    path: String,
    status: String,
    tokens: usize,
    similarity: String,
    justification: Option<String>,
    rows: Vec<Row>,
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
    differing: Vec<FileView>,
    patch: &'a str,
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
    let differing = r
        .files
        .iter()
        .filter_map(|f| {
            let (generated, golden) = r.sides.get(&f.path)?;
            Some(FileView {
                path: f.path.clone(),
                status: f.status.to_string(),
                tokens: f.code_token_diff,
                similarity: format!("{}{:.2}", if f.similarity_at_most { "≤ " } else { "" }, f.similarity),
                justification: f.justification.clone(),
                rows: rows(golden.as_deref(), generated.as_deref()),
            })
        })
        .collect();
    ArchView {
        arch: r.arch.name(),
        verdict: r.verdict().to_string(),
        files: r.files.len(),
        template_lines: r.template_lines,
        generic_share: share,
        model: &a.model,
        hooks: &a.hooks,
        differing,
        patch: &a.patch,
    }
}
