//! Benchmark: the model check of all ten generated ports at the default
//! bounds, against the baseline of loading the ten descriptors (the
//! fixed cost every verify pays), measured in the same run.
//!
//!     cargo bench -p archport --bench verify

use std::time::Duration;

use archport::arch::Arch;
use archport::descriptor;
use archport::verify;
use archport_generic::model::{self, Bounds, Contract};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let templates = descriptor::templates_root(None);
    let mut group = c.benchmark_group("verify all ten arches");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("load descriptors (baseline)", |b| {
        b.iter(|| {
            for &arch in &Arch::ALL {
                std::hint::black_box(descriptor::load(&templates, arch).unwrap());
            }
        })
    });
    group.bench_function("load + model check", |b| {
        b.iter(|| {
            for &arch in &Arch::ALL {
                // The model itself, not archport's memo of its verdicts.
                let spec = descriptor::load(&templates, arch).unwrap();
                let port = verify::declared_port(&spec);
                for case in model::cases(&port.facts, &Bounds::standard()) {
                    let v = model::check(&port, &Contract::linux_5_10(), &case).unwrap();
                    assert!(v.is_proved(), "{arch}: {case}");
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
