//! Building ports with real compilers, as the kernel's build bots would.
//!
//! For one arch: a scratch tree (the input tree through hard links plus
//! an overlay: the generated port, or the golden tree's differences),
//! then per configuration of the arch's `[build]` recipe `make
//! <defconfig>` with the recipe's options, `make prepare`, and the
//! objects the port touches plus `mm/highmem.o`, out of tree (`O=`). Every
//! error and warning is mapped back to a tree path and marked when it is
//! in a file the port touches. Scratch trees and build folders are kept
//! under `<cache>/build/` (one per arch and input tree), so a later run
//! rebuilds only what changed.
//!
//! Not for: deciding what a port is (that is `port.rs`), or how results
//! are shown (`cli/compile.rs`). Arches without a Debian compiler get a
//! front-end-only check (`front_end.rs`), labelled so everywhere.

mod build_dir;
mod config;
mod diagnostics;
mod front_end;
pub mod recipe;
mod runner;
mod scratch;
mod toolchain;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::arch::Arch;
use crate::descriptor::ArchSpec;
use crate::port::Port;
use crate::progress::Progress;

pub use build_dir::{clean, BuildDir};
pub use config::OptionCheck;
pub use diagnostics::{Diagnostic, Severity};
pub use front_end::plain_register_variables;
pub use recipe::{BuildRecipe, Compiler, ConfigRecipe, ExtraObject, FrontEnd};
pub use scratch::Overlay;
pub use toolchain::{Missing, Toolchain};

/// The object every port must compile: the generic kmap_local code.
pub const GENERIC_OBJECT: &str = "mm/highmem.o";

/// How builds run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The archport cache folder; builds go under `<cache>/build/`.
    pub cache: PathBuf,
    /// `make -j`.
    pub jobs: usize,
    /// The longest one `make` run may take before it is killed.
    pub timeout: Duration,
    pub progress: Progress,
}

impl Options {
    /// One job per core, and a time limit far above a cold build (about
    /// 30 s per arch on two cores).
    pub fn new(cache: PathBuf, progress: Progress) -> Options {
        let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Options { cache, jobs, timeout: Duration::from_secs(900), progress }
    }
}

/// What a build was made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The input tree with the generated port.
    Port,
    /// The golden tree (the input tree with the golden tree's differences).
    Golden,
    /// The input tree as it is, before any port.
    Input,
}

/// One arch built: per configuration, and the verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ArchBuild {
    pub arch: Arch,
    pub source: Source,
    pub toolchain: Toolchain,
    pub configs: Vec<ConfigBuild>,
    /// Every distinct error and warning, in order of appearance.
    pub diagnostics: Vec<Diagnostic>,
    /// Why the arch does not build (or fails the front end); empty when
    /// it does.
    pub problems: Vec<String>,
    pub seconds: f64,
}

/// One configuration of an arch built.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigBuild {
    pub name: String,
    pub defconfig: String,
    /// The options asked for (and the ones kmap_local needs), as found.
    pub options: Vec<OptionCheck>,
    pub objects: Vec<ObjectResult>,
    /// The step that failed before the objects could be built.
    pub failed_step: Option<String>,
    pub timed_out: bool,
    /// The first lines that say what failed, when no error in a touched
    /// file explains it.
    pub first_error_lines: Vec<String>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ObjectResult {
    pub object: String,
    pub status: ObjectStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStatus {
    Built,
    /// The configuration does not build this object (`No rule to make
    /// target`).
    NotInConfig,
    Failed,
}

impl ArchBuild {
    /// Whether every object compiled under the recipe as asked.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn front_end_only(&self) -> bool {
        self.toolchain.front_end_only
    }

    /// "builds", "fails", or their front-end-only forms.
    pub fn verdict(&self) -> &'static str {
        match (self.ok(), self.front_end_only()) {
            (true, false) => "builds",
            (false, false) => "fails",
            (true, true) => "passes (front end only)",
            (false, true) => "fails (front end only)",
        }
    }

    /// Errors and warnings in files the port touches.
    pub fn in_touched_files(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.touched)
    }

    /// Errors anywhere else: unrelated to the port's own files.
    pub fn errors_elsewhere(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.touched && d.severity == Severity::Error)
    }
}

/// What to build for one arch.
pub struct Target<'a> {
    pub spec: &'a ArchSpec,
    /// The tree the scratch tree links to.
    pub base: &'a Path,
    pub overlay: Overlay,
    /// Tree paths of the files the port touches.
    pub touched: BTreeSet<String>,
    pub source: Source,
}

/// The arch's recipe, or an error naming its descriptor.
pub fn recipe(spec: &ArchSpec) -> Result<&BuildRecipe> {
    spec.descriptor
        .build
        .as_ref()
        .with_context(|| format!("{}: the descriptor {}/port.toml has no [build] table", spec.arch, spec.dir.display()))
}

/// The generated port: `tree` with the port's files.
pub fn port_target<'a>(spec: &'a ArchSpec, port: &Port, tree: &'a Path) -> Target<'a> {
    Target {
        spec,
        base: tree,
        overlay: Overlay::of_port(port),
        touched: port.files.iter().map(|f| f.path.clone()).collect(),
        source: Source::Port,
    }
}

/// The golden tree, built as `tree` plus every file in which `golden`
/// differs (so it shares the port's build folder and rebuilds only what
/// differs). The touched files are the descriptor's and every file the
/// golden tree changes under the arch's folder.
pub fn golden_target<'a>(spec: &'a ArchSpec, tree: &'a Path, golden: &Path) -> Result<Target<'a>> {
    let overlay = Overlay::between(tree, golden)
        .with_context(|| format!("comparing {} with {}", golden.display(), tree.display()))?;
    let dir = spec.arch.dir();
    let mut touched: BTreeSet<String> = spec.descriptor.files.iter().map(|f| f.path.clone()).collect();
    touched.extend(overlay.paths().filter(|p| p.starts_with(&dir)).cloned());
    Ok(Target { spec, base: tree, overlay, touched, source: Source::Golden })
}

/// The input tree as it is, with the descriptor's files as the touched
/// ones: the baseline for warnings a port adds.
pub fn input_target<'a>(spec: &'a ArchSpec, tree: &'a Path) -> Target<'a> {
    Target {
        spec,
        base: tree,
        overlay: Overlay::default(),
        touched: spec.descriptor.files.iter().map(|f| f.path.clone()).collect(),
        source: Source::Input,
    }
}

/// Builds the generated port of one arch.
pub fn build_port(
    spec: &ArchSpec,
    port: &Port,
    tree: &Path,
    toolchain: &Toolchain,
    opts: &Options,
) -> Result<ArchBuild> {
    build(&port_target(spec, port, tree), toolchain, opts)
}

/// Builds one target under every configuration of its arch's recipe.
/// `toolchain` comes from [`find_toolchain`].
pub fn build(target: &Target, toolchain: &Toolchain, opts: &Options) -> Result<ArchBuild> {
    let start = Instant::now();
    let arch = target.spec.arch;
    let recipe = recipe(target.spec)?;
    let dir = BuildDir::open(&opts.cache, arch, target.base)?;
    let _lock = dir.lock()?;
    let step = opts.progress.step(format!("{arch}: linking the scratch tree"));
    dir.sync(target.base, &target.overlay)?;
    drop(step);
    let fe = match &recipe.front_end {
        Some(fe) => Some(front_end::prepare(&dir.front_end_dir(), fe, &dir.tree(), arch.name())?),
        None => None,
    };
    let map = diagnostics::PathMap { tree: dir.tree(), shadows: fe.iter().map(|f| f.shadow.clone()).collect() };
    let objects = objects(target, recipe, &dir.tree());
    let mut configs = Vec::new();
    let mut outputs = String::new();
    for c in &recipe.configs {
        let obj = dir.obj_dir(recipe, c)?;
        let args = runner::MakeArgs {
            tree: &map.tree,
            obj: &obj,
            make_arch: &recipe.make_arch,
            cross_compile: recipe.cross_compile.as_deref().unwrap_or(""),
            cc: fe.as_ref().map(|f| f.cc.as_path()),
            jobs: opts.jobs,
        };
        let run = ConfigRun { arch, config: c, args, objects: &objects, opts, map: &map };
        let (built, output) = run.build(target.source != Source::Input, &target.touched)?;
        outputs.push_str(&output);
        configs.push(built);
    }
    let diagnostics = diagnostics::parse(&outputs, &map, &target.touched);
    let problems = problems(&configs, &objects, &diagnostics);
    Ok(ArchBuild {
        arch,
        source: target.source,
        toolchain: toolchain.clone(),
        configs,
        diagnostics,
        problems,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The arch's compiler, or the programs missing with their packages.
pub fn find_toolchain(spec: &ArchSpec) -> Result<Result<Toolchain, Vec<Missing>>> {
    Ok(toolchain::find(recipe(spec)?))
}

/// The objects to build: every touched C file the overlay leaves in the
/// tree, `mm/highmem.o`, and the recipe's extra objects.
fn objects(target: &Target, recipe: &BuildRecipe, tree: &Path) -> Vec<String> {
    let mut out: Vec<String> = target
        .touched
        .iter()
        .filter(|p| p.ends_with(".c") && tree.join(p).is_file())
        .map(|p| format!("{}.o", p.trim_end_matches(".c")))
        .collect();
    out.push(GENERIC_OBJECT.to_string());
    out.extend(recipe.extra_objects.iter().map(|x| x.object.clone()));
    let mut seen = BTreeSet::new();
    out.retain(|o| seen.insert(o.clone()));
    out
}

/// One configuration of one arch being built.
struct ConfigRun<'a> {
    arch: Arch,
    config: &'a ConfigRecipe,
    args: runner::MakeArgs<'a>,
    objects: &'a [String],
    opts: &'a Options,
    map: &'a diagnostics::PathMap,
}

impl ConfigRun<'_> {
    /// Configure (once per build folder), `make prepare`, then the
    /// objects; returns the result and everything make printed.
    fn build(&self, require_kmap_local: bool, touched: &BTreeSet<String>) -> Result<(ConfigBuild, String)> {
        let start = Instant::now();
        let mut result = ConfigBuild {
            name: self.config.name.clone(),
            defconfig: self.config.defconfig.clone(),
            options: Vec::new(),
            objects: Vec::new(),
            failed_step: None,
            timed_out: false,
            first_error_lines: Vec::new(),
            seconds: 0.0,
        };
        let mut output = String::new();
        let steps: [(&str, &dyn Fn() -> Result<runner::MakeRun>); 2] =
            [("configure", &|| self.configure()), ("make prepare", &|| self.make(&["prepare"]))];
        for (name, step) in steps {
            let progress = self.opts.progress.step(format!("{}: {}: {name}", self.arch, self.config.name));
            let run = step()?;
            drop(progress);
            output.push_str(&run.output);
            if !run.success {
                result.failed_step = Some(name.to_string());
                result.timed_out = run.timed_out;
                result.first_error_lines = unexplained(&run.output, self.map, touched);
                break;
            }
        }
        if result.failed_step.is_none() {
            let progress = self.opts.progress.step(format!(
                "{}: {}: building {}",
                self.arch,
                self.config.name,
                self.objects.join(" ")
            ));
            let (objects, run) = self.build_objects()?;
            drop(progress);
            output.push_str(&run.output);
            result.timed_out = run.timed_out;
            if objects.iter().any(|o| o.status == ObjectStatus::Failed) {
                result.first_error_lines = unexplained(&run.output, self.map, touched);
            }
            result.objects = objects;
        }
        let conf = self.resulting_config()?;
        result.options = config::check(&conf, self.config, require_kmap_local);
        result.seconds = start.elapsed().as_secs_f64();
        Ok((result, output))
    }

    fn make(&self, goals: &[&str]) -> Result<runner::MakeRun> {
        runner::make(&self.args, goals, self.opts.timeout)
    }

    /// `make <defconfig>`, the recipe's options, `make olddefconfig`;
    /// done once per build folder (a stamp records it).
    fn configure(&self) -> Result<runner::MakeRun> {
        let stamp = self.args.obj.join(".archport-configured");
        if stamp.exists() {
            return Ok(runner::MakeRun { output: String::new(), success: true, timed_out: false });
        }
        let first = self.make(&[&self.config.defconfig])?;
        if !first.success {
            return Ok(first);
        }
        let dot_config = self.args.obj.join(".config");
        let text = std::fs::read_to_string(&dot_config).with_context(|| format!("reading {}", dot_config.display()))?;
        crate::output::write_atomic(&dot_config, config::apply_options(&text, self.config).as_bytes())?;
        let mut second = self.make(&["olddefconfig"])?;
        if second.success {
            crate::output::write_atomic(&stamp, b"")?;
        }
        second.output.insert_str(0, &first.output);
        Ok(second)
    }

    /// Builds the objects afresh (so their diagnostics are printed on
    /// every run) and sorts them into built, not in this configuration,
    /// and failed.
    fn build_objects(&self) -> Result<(Vec<ObjectResult>, runner::MakeRun)> {
        for o in self.objects {
            let path = self.args.obj.join(o);
            if path.exists() {
                std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        let goals: Vec<&str> = self.objects.iter().map(String::as_str).collect();
        let run = self.make(&goals)?;
        let unbuildable = diagnostics::unbuildable_targets(&run.output);
        let results = self
            .objects
            .iter()
            .map(|o| {
                let status = if self.args.obj.join(o).is_file() {
                    ObjectStatus::Built
                } else if unbuildable.contains(o) {
                    ObjectStatus::NotInConfig
                } else {
                    ObjectStatus::Failed
                };
                ObjectResult { object: o.clone(), status }
            })
            .collect();
        Ok((results, run))
    }

    /// The configuration the build used (`auto.conf`, written by `make
    /// prepare`), else the `.config`.
    fn resulting_config(&self) -> Result<String> {
        let auto = self.args.obj.join("include/config/auto.conf");
        let path = if auto.exists() { auto } else { self.args.obj.join(".config") };
        Ok(crate::kernel::trees::read_optional(&path)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default())
    }
}

/// A failure's first lines, unless an error in a touched file explains it.
fn unexplained(output: &str, map: &diagnostics::PathMap, touched: &BTreeSet<String>) -> Vec<String> {
    let explained = diagnostics::parse(output, map, touched).iter().any(|d| d.touched && d.severity == Severity::Error);
    if explained {
        Vec::new()
    } else {
        diagnostics::first_error_lines(output, 8)
    }
}

/// Why an arch does not build as asked, one line per reason.
fn problems(configs: &[ConfigBuild], objects: &[String], diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut out = Vec::new();
    for c in configs {
        if let Some(step) = &c.failed_step {
            let why = if c.timed_out { "timed out" } else { "failed" };
            out.push(format!("config {}: {step} {why}", c.name));
        }
        for o in c.options.iter().filter(|o| !o.holds()) {
            let found = o.found.as_deref().map(|v| format!("={v}")).unwrap_or_else(|| " is not set".into());
            out.push(format!("config {}: CONFIG_{}{found}, wanted {}", c.name, o.option, o.wanted));
        }
        for o in c.objects.iter().filter(|o| o.status == ObjectStatus::Failed) {
            out.push(format!("config {}: {} does not compile", c.name, o.object));
        }
        let generic = c.objects.iter().find(|o| o.object == GENERIC_OBJECT);
        if generic.is_some_and(|o| o.status == ObjectStatus::NotInConfig) {
            out.push(format!("config {}: {GENERIC_OBJECT} is not built (HIGHMEM off?)", c.name));
        }
    }
    let configured = configs.iter().all(|c| c.failed_step.is_none());
    for o in objects.iter().filter(|o| configured && *o != GENERIC_OBJECT) {
        let built_somewhere =
            configs.iter().flat_map(|c| &c.objects).any(|r| r.object == *o && r.status != ObjectStatus::NotInConfig);
        if !built_somewhere {
            out.push(format!("{o} is built under none of the configs ({})", names(configs)));
        }
    }
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 && out.is_empty() {
        out.push(format!("{errors} compiler errors"));
    }
    out
}

fn names(configs: &[ConfigBuild]) -> String {
    configs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Warnings in files the port touches that `baseline` (the same arch's
/// input tree, built alike) does not also have. Line numbers move when a
/// port edits a file, so a warning is matched by file and message.
pub fn new_warnings<'a>(build: &'a ArchBuild, baseline: &ArchBuild) -> Vec<&'a Diagnostic> {
    let known: BTreeSet<(&str, &str)> =
        baseline.diagnostics.iter().map(|d| (d.file.as_str(), d.message.as_str())).collect();
    build
        .in_touched_files()
        .filter(|d| d.severity == Severity::Warning && !known.contains(&(d.file.as_str(), d.message.as_str())))
        .collect()
}
