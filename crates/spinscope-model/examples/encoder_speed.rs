//! Tokens per second of the encoder (int8, as shipped, and f32) and of the whole `full` tier (as
//! shipped: `SPINSCOPE_PRECISION` unset) on the real base:
//! `cargo run --release -p spinscope-model --example encoder_speed -- [SENTENCES] [WINDOWS_JSON]`.
//! Prints JSON lines; with WINDOWS_JSON it also writes the token windows, batched as the
//! encoder ran them, for benches/encoder/torch_e5.py to run PyTorch on the same input.

use std::time::Instant;

use spinscope_core::TextView;
use spinscope_model::{base, encoder::Precision, features, FullTier, Model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let sentences: usize = args.next().map_or(Ok(256), |a| a.parse())?;
    let windows_out = args.next();
    let path = spinscope_model::model_dir().join(base::FILE_NAME);
    let base = base::Base::load(&path)?;
    let model = Model::from_base(&base)?;

    // Sentences of news length (20–40 words), the same text on every run.
    let words =
        "officials said the ministry report on trade talks was widely criticised by analysts \
                 who told the paper that sources close to the government had denied claims about \
                 the 3.5 percent figure released on Monday in Beijing and Washington";
    let words: Vec<&str> = words.split(' ').collect();
    let mut text = String::new();
    let mut spans = Vec::new();
    for i in 0..sentences {
        let n = 20 + (i * 7) % 21;
        let start = text.len();
        for k in 0..n {
            if k > 0 {
                text.push(' ');
            }
            let w = words[(i + k) % words.len()];
            if k == 0 {
                text.push_str(&w[..1].to_uppercase());
                text.push_str(&w[1..]);
            } else {
                text.push_str(w);
            }
        }
        text.push('.');
        spans.push((start, text.len()));
        text.push(' ');
    }

    if let Some(out) = windows_out {
        // The windows as features::encode batches them: by length, BATCH at a time.
        let mut windows: Vec<Vec<u32>> = spans
            .iter()
            .map(|&(s, e)| {
                let mut ids = vec![model.tokenizer.bos];
                ids.extend(model.tokenizer.encode(&text[s..e]).iter().map(|t| t.id));
                ids.push(model.tokenizer.eos);
                ids
            })
            .collect();
        windows.sort_by_key(Vec::len);
        let batches: Vec<&[Vec<u32>]> = windows.chunks(features::BATCH).collect();
        std::fs::write(&out, serde_json::to_string(&batches)?)?;
    }

    // The encoder alone at each precision, the shipped one first.
    let mut tokens = 0;
    for precision in [Precision::Int8, Precision::F32] {
        let model = Model::with_precision(&base, None, precision)?;
        let started = Instant::now();
        let encoded = features::encode(&model.encoder, &model.tokenizer, &text, &spans)?;
        let secs = started.elapsed().as_secs_f64();
        // Windows hold <s> and </s> too: count what the encoder ran.
        tokens = encoded.spans.len() + 2 * encoded.sentences.len();
        println!(
            "{{\"engine\": \"{precision:?}\", \"sentences\": {sentences}, \"tokens\": {tokens}, \"seconds\": {secs:.3}, \"tokens_per_s\": {:.1}}}",
            tokens as f64 / secs
        );
    }

    // The whole tier as shipped: the adapter merged into the base, segmentation, encoder, heads,
    // findings.
    drop((model, base));
    let tier = FullTier::load()?;
    let started = Instant::now();
    let view = TextView::new(&text);
    let mut findings = Vec::new();
    tier.annotate(&view, &mut findings)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"engine\": \"full tier\", \"sentences\": {}, \"tokens\": {tokens}, \"seconds\": {secs:.3}, \"tokens_per_s\": {:.1}, \"findings\": {}}}",
        view.sentences.len(),
        tokens as f64 / secs,
        findings.len()
    );
    Ok(())
}
