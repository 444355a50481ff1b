//! `archport run`: the whole job in one command. Fetch the tree if
//! needed, port all ten arches, compare them with the golden ports, check
//! them with the model, write the patch series and the HTML report, and
//! print one table.
//!
//! Everything is computed before anything is written, and OUT is written
//! as one batch: a run that fails leaves OUT as it was, never new ports
//! beside an old series and report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{emit, print_json, shown_path, DataArgs, ForceArg, Format, GlobalArgs, RecipientArgs};
use crate::arch::Arch;
use crate::fidelity::Verdict;
use crate::output::{port_layout, OutputDir};
use crate::per_arch;
use crate::pipeline::{self, Ported};
use crate::report::{self, ArchEntry};
use crate::series::assemble::{self, SeriesOptions, SeriesReport};
use crate::series::manifest::{self, Manifest};
use crate::series::recipients::RecipientFinder;

pub const AFTER_HELP: &str = "Examples:\n  archport run                            # everything, into ./out\n  \
archport run --out /tmp/kmap --signoff \"A U Thor <author@example.org>\"\n\n\
Exit 0 when every arch matches its golden port (or differs only where the golden one is provably \
wrong) and every generated port is proved; 1 when a check fails; 2 on bad input (and then nothing \
in OUT changes).";

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder: OUT/ports (ported files and diffs), OUT/series (the
    /// patch series), OUT/report.html.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
    #[command(flatten)]
    pub recipients: RecipientArgs,
    /// Sign the series off as "NAME <EMAIL>" [default: git's user.name and user.email].
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub signoff: Option<String>,
}

/// One row of the table.
#[derive(Serialize)]
struct Row {
    arch: Arch,
    files: usize,
    verdict: Verdict,
    template_lines: usize,
    model: crate::verify::Status,
    patch: Option<String>,
}

pub fn run(args: &RunArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let (tree, golden) = args.data.trees(progress)?;
    let version = args.data.version(progress)?;
    let templates = args.data.templates();
    pipeline::require_generic_code(&tree)?;
    let mut out = OutputDir::open("--out", &args.out, &args.data.inputs(&tree, &golden)?, args.force.force)?;

    let work = per_arch::each_heaviest_first(
        &Arch::ALL,
        pipeline::port_weight(&tree),
        progress,
        |a| format!("port, compare and model-check {a}"),
        |arch| {
            let p = pipeline::port_arch(arch, &tree, &templates)?;
            let entry = report::arch_entry(&p, &tree, &golden)?;
            let files = port_layout::files(&p.port);
            Ok(((p, entry), files))
        },
    )
    .all("nothing is written")?;
    let (work, outputs): (Vec<(Ported, ArchEntry)>, Vec<_>) = work.into_iter().unzip();
    let (ported, entries): (Vec<Ported>, Vec<ArchEntry>) = work.into_iter().unzip();

    let mut files = BTreeMap::new();
    for output in outputs {
        files.extend(output.into_iter().map(|(rel, bytes)| (format!("ports/{rel}"), bytes)));
    }
    let series = series(args, &tree, &ported, global)?;
    if let Ok(s) = &series {
        files.extend(assemble::files(std::slice::from_ref(s)).into_iter().map(|(rel, b)| (format!("series/{rel}"), b)));
    }
    files.insert("report.html".to_string(), report::render(&version, &entries)?.into_bytes());
    out.replace(&files, |_| true)?;

    let rows = rows(&entries, series.as_ref().ok());
    let ok = rows.iter().all(|r| r.verdict != Verdict::Differs && r.model == crate::verify::Status::Proved);
    print_summary(args, global, &version, &rows, &entries, series.as_ref().err(), ok)?;
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The series of the ported arches, or why it is not written: without an
/// identity there is nothing to sign it off with, and `run` says so and
/// does everything else. Any other failure is an error.
fn series(args: &RunArgs, tree: &Path, ported: &[Ported], global: &GlobalArgs) -> Result<Result<SeriesReport, String>> {
    let from = match assemble::identity(args.signoff.as_deref(), tree) {
        Ok(from) => from,
        Err(e) => return Ok(Err(format!("series not written: {e:#}"))),
    };
    let _step = global.progress().step("series: finding the recipients in MAINTAINERS");
    let opts = SeriesOptions::new(from, assemble::date(None, tree)?, None);
    let manifest = Manifest::load(&manifest::default_dir())?;
    let finder = RecipientFinder::new(args.recipients.source(), tree)?;
    let patches = assemble::gather(&manifest, ported, tree, |p| finder.recipients(p))?;
    Ok(Ok(assemble::assemble(&manifest, patches, &opts, &assemble::RangeDiffs::default())?.remove(0)))
}

fn print_summary(
    args: &RunArgs,
    global: &GlobalArgs,
    version: &str,
    rows: &[Row],
    entries: &[ArchEntry],
    series_note: Option<&String>,
    ok: bool,
) -> Result<()> {
    let (ports_dir, series_dir, html) = (args.out.join("ports"), args.out.join("series"), args.out.join("report.html"));
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": version,
            "arches": rows,
            "ports": shown_path(&ports_dir),
            "series": series_note.is_none().then(|| shown_path(&series_dir)),
            "series_note": series_note,
            "report": shown_path(&html),
            "ok": ok,
        })),
        Format::Text => {
            let mut text = format!("linux-source-5.10 {version}: the kmap_local conversion on ten arches\n\n");
            table(&mut text, rows, entries)?;
            writeln!(text, "\nported files   {}", shown_path(&ports_dir))?;
            match series_note {
                None => writeln!(text, "patch series   {}", shown_path(&series_dir))?,
                Some(note) => writeln!(text, "patch series   {note}")?,
            }
            writeln!(text, "report         {}", shown_path(&html))?;
            if !ok {
                writeln!(text, "\na check failed: see `archport diff` and `archport verify` for the details")?;
            }
            emit(&text)
        }
    }
}

/// One line per arch, and the reason under each justified one.
fn table(text: &mut String, rows: &[Row], entries: &[ArchEntry]) -> std::fmt::Result {
    writeln!(
        text,
        "{:<11} {:>5}  {:<18} {:>14}  {:<15} patch",
        "arch", "files", "verdict vs golden", "template lines", "model"
    )?;
    for (r, e) in rows.iter().zip(entries) {
        writeln!(
            text,
            "{:<11} {:>5}  {:<18} {:>14}  {:<15} {}",
            r.arch.name(),
            r.files,
            r.verdict.to_string(),
            r.template_lines,
            r.model.to_string(),
            r.patch.as_deref().unwrap_or("-")
        )?;
        for f in e.review.files.iter().filter(|_| r.verdict == Verdict::Justified) {
            if let Some(why) = &f.justification {
                // The check that justifies it, without its details.
                let short = why.split("; ").next().unwrap_or(why);
                let line = format!("    justified: {}: {short}", f.path);
                writeln!(text, "{}", crate::series::manifest::reflow(&line, 80))?;
            }
        }
    }
    Ok(())
}

fn rows(entries: &[ArchEntry], series: Option<&SeriesReport>) -> Vec<Row> {
    entries
        .iter()
        .map(|e| Row {
            arch: e.review.arch,
            files: e.review.files.len(),
            verdict: e.review.verdict(),
            template_lines: e.review.template_lines,
            model: e.model.status,
            patch: series.and_then(|s| s.patches.iter().find(|p| p.arch == e.review.arch)).map(|p| p.file.clone()),
        })
        .collect()
}
