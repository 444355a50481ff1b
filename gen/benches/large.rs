//! Benchmark: large inputs stay near-linear. x86 is ported and reviewed
//! on copies of its files where one file is made huge, at two sizes in
//! the same run, so the ratio between them shows how the time grows
//! (twice the input should take about twice the time):
//!
//! - `arch/x86/mm/init_32.c` followed by one block comment of 4 MiB and
//!   of 8 MiB (the input size limit, `input::MAX_FILE_BYTES`);
//! - `arch/x86/include/asm/highmem.h` with 25,000 and 50,000 nested
//!   `#ifdef`s before its guard's `#endif`.
//!
//! The golden side gets the same addition, so the review compares two
//! huge files that differ where the port differs. The baseline is
//! reading the same files.
//!
//!     cargo bench -p archport --bench large

use std::path::Path;
use std::time::Duration;

use archport::arch::Arch;
use archport::kernel;
use archport::pipeline;
use archport::progress::Progress;
use criterion::{criterion_group, criterion_main, Criterion};

/// The C file and the header that are made huge.
const BIG_C: &str = "arch/x86/mm/init_32.c";
const DEEP_H: &str = "arch/x86/include/asm/highmem.h";

/// Makes a file large.
type Grow = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// `init_32.c` and one block comment, `bytes` long in all.
fn with_comment(text: &[u8], bytes: usize) -> Vec<u8> {
    let line = b" * A comment line that only makes the file large, as a hostile tree might.\n";
    let mut out = text.to_vec();
    out.extend_from_slice(b"/*\n");
    while out.len() + line.len() + 4 < bytes {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b" */\n");
    out
}

/// The header with `depth` nested `#ifdef`s before its last `#endif`.
fn with_nesting(text: &[u8], depth: usize) -> Vec<u8> {
    let at = text.windows(6).rposition(|w| w == b"#endif").expect("an include guard");
    let mut out = text[..at].to_vec();
    for i in 0..depth {
        out.extend_from_slice(format!("#ifdef CONFIG_DEEP_{i}\n").as_bytes());
    }
    out.extend_from_slice(b"int deepest;\n");
    out.extend(std::iter::repeat_n(&b"#endif\n"[..], depth).flatten());
    out.extend_from_slice(&text[at..]);
    out
}

/// Copies of x86's files from `from` into `to`, with `change` applied to
/// the file at `path`.
fn copy_x86(
    from: &Path,
    to: &Path,
    spec: &archport::descriptor::ArchSpec,
    path: &str,
    change: &dyn Fn(&[u8]) -> Vec<u8>,
) {
    for f in &spec.descriptor.files {
        let Ok(text) = std::fs::read(from.join(&f.path)) else { continue };
        let text = if f.path == path { change(&text) } else { text };
        let dest = to.join(&f.path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, text).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let root = kernel::cache_root(None).expect("a cache folder");
    let k = kernel::ensure(&root, false, Progress { enabled: false }).expect("the fetched kernel");
    let templates = archport::descriptor::templates_root(None);
    let spec = archport::descriptor::load(&templates, Arch::X86).unwrap();
    let cases: [(&str, &str, Grow); 4] = [
        ("4 MiB block comment", BIG_C, Box::new(|t| with_comment(t, 4 << 20))),
        ("8 MiB block comment", BIG_C, Box::new(|t| with_comment(t, archport::input::MAX_FILE_BYTES as usize))),
        ("25k nested #ifdef", DEEP_H, Box::new(|t| with_nesting(t, 25_000))),
        ("50k nested #ifdef", DEEP_H, Box::new(|t| with_nesting(t, 50_000))),
    ];

    let mut group = c.benchmark_group("x86 with a large file");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, path, change) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let (tree, golden) = (dir.path().join("tree"), dir.path().join("golden"));
        copy_x86(&k.pre_port, &tree, &spec, path, change);
        copy_x86(&k.golden, &golden, &spec, path, change);
        let size = std::fs::metadata(tree.join(path)).unwrap().len();
        group.bench_function(format!("{name}: read the files (baseline), {size} bytes"), |b| {
            b.iter(|| std::hint::black_box(archport::port::read_inputs(&tree, &spec).unwrap()))
        });
        group.bench_function(format!("{name}: port + review"), |b| {
            b.iter(|| {
                let p = pipeline::port_arch(Arch::X86, &tree, &templates).unwrap();
                std::hint::black_box(pipeline::review(&p, &tree, &golden).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
