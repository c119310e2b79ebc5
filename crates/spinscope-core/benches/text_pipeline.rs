//! Text pipeline throughput (MB/s) on the project's own examples, repeated to about 1 MB per
//! language mix, next to a reference measured in the same run: UAX #29 word splitting alone
//! (`unicode-segmentation`), the floor any tokenising pipeline pays.
//!
//! `cargo bench -p spinscope-core --bench text_pipeline`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spinscope_core::{analyze, Document, Options, TextView};
use unicode_segmentation::UnicodeSegmentation;

fn corpus(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let one = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut text = String::with_capacity(1 << 20);
    while text.len() < 1 << 20 {
        text.push_str(&one);
        text.push('\n');
    }
    text
}

fn pipeline(c: &mut Criterion) {
    for name in [
        "en-state-media.txt",
        "zh-simplified.txt",
        "mixed-en-zh-hant.txt",
    ] {
        let text = corpus(name);
        let mut group = c.benchmark_group(name.trim_end_matches(".txt"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.sample_size(10);
        group.bench_function("reference: UAX29 word split", |b| {
            b.iter(|| black_box(&text).split_word_bounds().count())
        });
        group.bench_function("text pipeline (TextView)", |b| {
            b.iter(|| TextView::new(black_box(&text)).tokens.len())
        });
        let doc = Document::from_text("bench", text.clone());
        group.bench_function("analyze (rule tier, report)", |b| {
            b.iter(|| analyze(black_box(&doc), &Options::default()).findings.len())
        });
        group.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
