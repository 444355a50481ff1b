//! Benchmark: the model check of all ten generated ports, at the default
//! bounds on one core and on all cores, and at the deep profile (3 CPUs,
//! 2 interrupts, nesting 2) on all cores, against the baseline of
//! loading the ten descriptors (the fixed cost every verify pays),
//! measured in the same run. The states each check explores are printed
//! once before the measurements, for states per second.
//!
//!     cargo bench -p archport --bench verify

use std::time::Duration;

use archport::arch::Arch;
use archport::descriptor;
use archport::verify;
use archport_generic::model::{self, Bounds, Contract, PortSpec};
use criterion::{criterion_group, criterion_main, Criterion};

fn ports() -> Vec<(Arch, PortSpec)> {
    let templates = descriptor::templates_root(None);
    Arch::ALL.iter().map(|&arch| (arch, verify::declared_port(&descriptor::load(&templates, arch).unwrap()))).collect()
}

/// Every case of every port in turn, on the calling thread.
fn one_core(ports: &[(Arch, PortSpec)], bounds: &Bounds) -> usize {
    let contract = Contract::linux_5_10();
    let mut states = 0;
    for (arch, port) in ports {
        for case in model::cases(&port.facts, bounds) {
            let v = model::check(port, &contract, &case).unwrap();
            assert!(v.is_proved(), "{arch}: {v}");
            states += v.states();
        }
    }
    states
}

/// The ports in turn, each port's cases on all cores, as `archport verify`
/// runs them (without its memo of verdicts, which would time a lookup).
fn all_cores(ports: &[(Arch, PortSpec)], bounds: &Bounds) -> usize {
    let contract = Contract::linux_5_10();
    let mut states = 0;
    for (arch, port) in ports {
        let verdicts = model::check_all(port, &contract, &model::cases(&port.facts, bounds)).unwrap();
        for v in verdicts {
            assert!(v.is_proved(), "{arch}: {v}");
            states += v.states();
        }
    }
    states
}

fn bench(c: &mut Criterion) {
    let templates = descriptor::templates_root(None);
    let ports = ports();
    let (standard, deep) = (Bounds::standard(), Bounds::deep());
    eprintln!("states explored: default bounds {}, deep {}", one_core(&ports, &standard), all_cores(&ports, &deep));
    let mut group = c.benchmark_group("verify all ten arches");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("load descriptors (baseline)", |b| {
        b.iter(|| {
            for &arch in &Arch::ALL {
                std::hint::black_box(descriptor::load(&templates, arch).unwrap());
            }
        })
    });
    group.bench_function("load + model check, default bounds, one core", |b| {
        b.iter(|| std::hint::black_box(one_core(&self::ports(), &standard)))
    });
    group.bench_function("load + model check, default bounds, all cores", |b| {
        b.iter(|| std::hint::black_box(all_cores(&self::ports(), &standard)))
    });
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("load + model check, deep bounds, all cores", |b| {
        b.iter(|| std::hint::black_box(all_cores(&self::ports(), &deep)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
