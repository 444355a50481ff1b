//! `archport run`: the whole job in one command. Fetch the tree if
//! needed, port all ten arches, compare them with the golden ports, check
//! them with the model, write the patch series and the HTML report, and
//! print one table.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::series::{self, SeriesArgs};
use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::fidelity::Verdict;
use crate::progress::Progress;
use crate::report;
use crate::{outdir, pipeline};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder: OUT/ports (ported files and diffs), OUT/series (the
    /// patch series), OUT/report.html.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
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

pub fn run(args: &RunArgs, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let (tree, golden) = args.data.trees(progress)?;
    let version = args.data.version(progress)?;
    let templates = args.data.templates();
    super::port::refuse_inside(&args.out, &tree)?;
    let ports_dir = args.out.join("ports");

    let mut rows = Vec::new();
    let mut entries = Vec::new();
    for arch in Arch::ALL {
        let step = progress.step(format!("{arch}: port, compare with golden, model check"));
        let p = pipeline::port_arch(arch, &tree, &templates)?;
        outdir::write(&ports_dir, &p.port)?;
        let entry = super::report::arch_entry(&p, &tree, &golden)?;
        rows.push(Row {
            arch,
            files: entry.review.files.len(),
            verdict: entry.review.verdict,
            template_lines: entry.review.template_lines,
            model: entry.model.status,
            patch: None,
        });
        entries.push(entry);
        drop(step);
    }

    let series_args = SeriesArgs {
        arches: Vec::new(),
        data: args.data.clone(),
        golden_patch: Default::default(),
        out: args.out.join("series"),
        signoff: args.signoff.clone(),
        base: None,
        date: None,
        split_per_tree: false,
        range_diff: false,
    };
    // Without an identity there is nothing to sign the series off with:
    // say so and do everything else.
    let series_note = match series::signoff(args.signoff.as_deref(), &tree) {
        Err(e) => Some(format!("series not written: {e:#}")),
        Ok(_) => {
            let written = series::write(&series_args, progress)?;
            for p in written.reports.iter().flat_map(|r| &r.patches) {
                if let Some(row) = rows.iter_mut().find(|r| r.arch == p.arch) {
                    row.patch = Some(p.file.clone());
                }
                if let Some(e) = entries.iter_mut().find(|e| e.review.arch == p.arch) {
                    let path = series_args.out.join(&p.file);
                    e.patch = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                }
            }
            None
        }
    };

    let html = args.out.join("report.html");
    crate::output::write_atomic(&html, report::render(&version, &entries)?.as_bytes())?;

    let ok = rows.iter().all(|r| r.verdict != Verdict::Differs && r.model == crate::verify::Status::Proved);
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": version,
            "arches": rows,
            "ports": super::absolute(&ports_dir),
            "series": series_note.is_none().then(|| super::absolute(&series_args.out)),
            "series_note": series_note,
            "report": super::absolute(&html),
            "ok": ok,
        }))?,
        Format::Text => {
            println!("linux-source-5.10 {version}: the kmap_local conversion on ten arches\n");
            println!(
                "{:<11} {:>5}  {:<18} {:>14}  {:<15} patch",
                "arch", "files", "verdict vs golden", "template lines", "model"
            );
            for r in &rows {
                println!(
                    "{:<11} {:>5}  {:<18} {:>14}  {:<15} {}",
                    r.arch.name(),
                    r.files,
                    format!("{:?}", r.verdict).to_lowercase(),
                    r.template_lines,
                    r.model.to_string(),
                    r.patch.as_deref().unwrap_or("-")
                );
            }
            println!();
            println!("ported files   {}", super::absolute(&ports_dir).display());
            match &series_note {
                None => println!("patch series   {}", super::absolute(&series_args.out).display()),
                Some(note) => println!("patch series   {note}"),
            }
            println!("report         {}", super::absolute(&html).display());
            if !ok {
                println!("\na check failed: see `archport diff` and `archport verify` for the details");
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
