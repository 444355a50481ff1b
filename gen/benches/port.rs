//! Benchmark: port + review of all ten arches, against the baseline of
//! only reading the same input files, measured in the same run.
//!
//!     cargo bench -p archport --bench port
//!
//! Needs the fetched kernel (fetched on first use, like every command).

use std::time::Duration;

use archport::arch::Arch;
use archport::kernel;
use archport::pipeline;
use archport::progress::Progress;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let root = kernel::cache_root(None).expect("a cache folder");
    let k = kernel::ensure(&root, false, Progress { enabled: false }).expect("the fetched kernel");
    let templates = archport::descriptor::templates_root(None);
    let specs: Vec<_> = Arch::ALL.iter().map(|&a| archport::descriptor::load(&templates, a).unwrap()).collect();

    let mut group = c.benchmark_group("all ten arches");
    group.sample_size(20).measurement_time(Duration::from_secs(20));
    group.bench_function("read inputs (baseline)", |b| {
        b.iter(|| {
            for spec in &specs {
                std::hint::black_box(archport::port::read_inputs(&k.pre_port, spec).unwrap());
            }
        })
    });
    group.bench_function("port + review", |b| {
        b.iter(|| {
            for &arch in &Arch::ALL {
                let p = pipeline::port_arch(arch, &k.pre_port, &templates).unwrap();
                std::hint::black_box(pipeline::review(&p, &k.pre_port, &k.golden).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
