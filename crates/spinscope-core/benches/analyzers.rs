//! Analyser throughput (MB/s) on a folder of articles, next to the text pipeline alone measured
//! in the same run (the reference: what every analyser starts from).
//!
//! `SPINSCOPE_BENCH_DATA=../shared/data/ptc/unlabeled-articles cargo bench -p spinscope-core --bench analyzers`
//! Without the variable it runs on the project's own examples.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spinscope_core::analyze::{attribution, scare_quotes};
use spinscope_core::{analyze, Document, Options, TextView};

fn documents() -> Vec<Document> {
    let dir = std::env::var("SPINSCOPE_BENCH_DATA")
        .unwrap_or_else(|_| format!("{}/../../examples", env!("CARGO_MANIFEST_DIR")));
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(Document::from_text(p.display().to_string(), text))
        })
        .collect()
}

fn analyzers(c: &mut Criterion) {
    let docs = documents();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    eprintln!("{} documents, {:.2} MB", docs.len(), bytes as f64 / 1e6);
    let views: Vec<TextView<'_>> = docs.iter().map(|d| TextView::new(&d.text)).collect();
    let mut group = c.benchmark_group("analyzers");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("reference: text pipeline (TextView)", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| TextView::new(black_box(&d.text)).tokens.len())
                .sum::<usize>()
        })
    });
    group.bench_function("attribution + scare quotes (on a built view)", |b| {
        b.iter(|| {
            let mut n = 0;
            for (doc, view) in docs.iter().zip(&views) {
                let found = attribution::find(doc, view);
                let mut out = Vec::new();
                scare_quotes::find(view, &found, &mut out);
                n += found.len() + out.len();
            }
            n
        })
    });
    group.bench_function("analyze: rule tier end to end", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| analyze(black_box(d), &Options::default()).findings.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, analyzers);
criterion_main!(benches);
