//! Front-end speed: parse, check and compile a 1,000-line script (the target: start-up plus
//! compile under 10 ms), in one go and stage by stage.
//!
//! Run with `cargo bench --bench compile`. The script is `benches/data/1000-lines.atc`, the
//! file docs/performance.md times as a whole process (`atchat check`, `atchat compile`).

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use atchat::check::{check, CheckOptions};
use atchat::syntax::Sources;

/// A realistic 1,000-line script: procs, handlers, retries and expects.
const SCRIPT: &str = include_str!("data/1000-lines.atc");

fn bench(c: &mut Criterion) {
    let options = CheckOptions { params: None };
    c.bench_function("parse+check+compile 1000 lines", |b| {
        b.iter(|| {
            let sources = Sources::from_text("bench.atc", SCRIPT, None);
            assert!(check(&sources, &options).is_empty());
            atchat::bytecode::compiler::compile(&sources).unwrap()
        })
    });
    c.bench_function("parse 1000 lines", |b| b.iter(|| atchat::syntax::parse(black_box(SCRIPT)).unwrap()));
    let sources = Sources::from_text("bench.atc", SCRIPT, None);
    c.bench_function("check 1000 lines", |b| b.iter(|| check(black_box(&sources), &options)));
    c.bench_function("compile 1000 lines", |b| {
        b.iter(|| atchat::bytecode::compiler::compile(black_box(&sources)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
