//! The learned tier on a tiny random encoder of the real architecture: file format, tokeniser,
//! encoder, heads and findings, without the 70 MB base.

use candle_core::{Device, Tensor};
use spinscope_core::{Finding, TextView};
use spinscope_model::base::{self, Base};
use spinscope_model::features;
use spinscope_model::heads::{Mlp, Training};
use spinscope_model::tier::{self, Heads, SpanDecoding};
use spinscope_model::tokenizer::Tokenizer;
use spinscope_model::{FullTier, Model};

fn model() -> Model {
    Model::from_base(&base::tiny(1)).expect("tiny model")
}

#[test]
fn the_file_format_round_trips() {
    let tiny = base::tiny(1);
    let bytes = base::write(&tiny);
    let back = Base::parse(&bytes).expect("parse");
    assert_eq!(back.config, tiny.config);
    assert_eq!(back.vocabulary.pieces, tiny.vocabulary.pieces);
    assert_eq!(back.vocabulary.normalise, tiny.vocabulary.normalise);
    assert_eq!(
        back.tensor("l1.fo.w").to_f32(),
        tiny.tensor("l1.fo.w").to_f32()
    );
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let bytes = base::write(&base::tiny(1));
    for cut in [0, 3, 4, 40, 200, bytes.len() / 2, bytes.len() - 1] {
        assert!(Base::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut flipped = bytes.clone();
    for at in (0..flipped.len()).step_by(97) {
        flipped[at] ^= 0xff;
    }
    // Anything may come out of garbage, but never a panic.
    let _ = Base::parse(&flipped);
    assert!(Base::parse(b"GGUF and something else").is_err());
}

#[test]
fn a_file_with_another_checksum_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(base::FILE_NAME);
    std::fs::write(&path, base::write(&base::tiny(1))).expect("write");
    let err = Base::load(&path).expect_err("checksum");
    let message = err.to_string();
    assert!(
        message.contains("sha256") && message.contains("scripts/fetch-model"),
        "{message}"
    );
}

#[test]
fn a_failed_check_is_not_remembered_and_a_changed_file_is_hashed_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(base::FILE_NAME);
    std::fs::write(&path, base::write(&base::tiny(1))).expect("write");
    assert!(Base::load(&path).is_err());
    assert!(
        !base::Stamp::record_path(&path).exists(),
        "a refused file left a stamp"
    );

    // A stamp recorded for this version lets it through unhashed ...
    base::Stamp::of(&path).expect("stamp").remember(&path);
    assert!(
        Base::load(&path).is_ok(),
        "a remembered stamp was not honoured"
    );
    // ... and once the file changes, the stamp no longer matches and the checksum is read again.
    // (One byte longer, so the stamp differs even where mtimes are coarse.)
    let mut changed = base::write(&base::tiny(1));
    changed.push(0);
    std::fs::write(&path, changed).expect("rewrite");
    let err = Base::load(&path).expect_err("a changed file must be hashed again");
    assert!(err.to_string().contains("sha256"), "{err}");
}

#[test]
fn the_tokeniser_prefers_likelier_pieces_and_keeps_offsets() {
    let tiny = base::tiny(1);
    let t = Tokenizer::new(&tiny.vocabulary);
    let piece = |id: u32| tiny.vocabulary.pieces[id as usize].as_str();
    let text = "the  report said";
    let tokens = t.encode(text);
    let pieces: Vec<&str> = tokens.iter().map(|k| piece(k.id)).collect();
    assert_eq!(pieces, ["▁the", "▁report", "▁said"]);
    let spans: Vec<&str> = tokens.iter().map(|k| &text[k.start..k.end]).collect();
    assert_eq!(spans, ["the", "report", "said"]);

    // Normalisation (full-width R, ideographic space) keeps offsets on the original text.
    let text = "新华社\u{3000}Ｒeport";
    let tokens = t.encode(text);
    assert!(tokens
        .iter()
        .all(|k| text.is_char_boundary(k.start) && text.is_char_boundary(k.end)));
    assert_eq!(&text[tokens[1].start..tokens[1].end], "新华社");
    // Characters outside the vocabulary become <unk>, one each.
    let tokens = t.encode("ж");
    assert_eq!(tokens.last().map(|k| k.id), Some(t.unk));
    assert!(t.encode("").iter().all(|k| k.start == 0 && k.end == 0));
}

#[test]
fn int8_states_stay_close_to_f32_states_and_f32_ignores_padding() {
    use spinscope_model::encoder::Precision;
    let tiny = base::tiny(1);
    let at = |p| Model::with_precision(&tiny, None, p).expect("model");
    let (int8, f32) = (at(Precision::Int8), at(Precision::F32));
    let batch = [vec![0, 4, 5, 6, 7, 8, 9, 10, 2], vec![0, 4, 5, 6, 2]];
    let a = int8.encoder.forward(&batch).expect("int8");
    let b = f32.encoder.forward(&batch).expect("f32");
    let alone = f32.encoder.forward(&batch[1..]).expect("f32 alone");
    let largest = |x: Tensor, y: &Tensor| -> f32 {
        (x - y)
            .and_then(|d| d.abs())
            .and_then(|d| d.max_all())
            .and_then(|d| d.to_scalar::<f32>())
            .expect("diff")
    };
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.dims(), y.dims());
        // Post-norm states are about unit size; int8 of a random encoder keeps them to ~1e-2.
        let diff = largest(x.clone(), y);
        assert!(diff < 0.1, "int8 vs f32: {diff}");
    }
    assert!(largest(alone[0].clone(), &b[1]) < 1e-4, "f32 padding");
}

#[test]
fn padding_does_not_change_a_sequence_states() {
    let m = model();
    let short = vec![0, 4, 5, 6, 2];
    let long = vec![0, 4, 5, 6, 7, 8, 9, 10, 2];
    let alone = m
        .encoder
        .forward(std::slice::from_ref(&short))
        .expect("forward")
        .remove(0);
    let batched = m
        .encoder
        .forward(&[long, short])
        .expect("forward")
        .remove(1);
    assert_eq!(alone.dims(), &[5, 32]);
    let diff = (alone - batched)
        .and_then(|d| d.abs())
        .and_then(|d| d.max_all())
        .and_then(|d| d.to_scalar::<f32>())
        .expect("diff");
    assert!(diff < 1e-4, "{diff}");
    assert!(m.encoder.forward(&[vec![0, 9999, 2]]).is_err());
    assert!(m.encoder.forward(&[vec![0; 65]]).is_err());
}

#[test]
fn long_sentences_are_cut_into_windows() {
    let m = model();
    let text = "the report said ".repeat(60).trim_end().to_string();
    let e = features::encode(&m.encoder, &m.tokenizer, &text, &[(0, text.len())]).expect("encode");
    assert_eq!(e.spans.len(), 180);
    assert_eq!(e.sentences.len(), 1);
    assert_eq!(e.sentences[0].tokens, 0..180);
    assert_eq!(e.states.len(), 180 * 32);
    assert_eq!(e.tokens_in(4, 10), 1..2);
}

#[test]
fn packed_sentences_share_windows_and_keep_their_layout() {
    let m = model();
    let text = "The report said so. Officials agree. 新华社报道称。 ".repeat(4);
    let view = spinscope_core::TextView::new(&text);
    let sentences = features::sentence_spans(&view);
    assert_eq!(sentences.len(), 12);
    let alone = features::windows(&m.tokenizer, &text, &sentences, 62, None);
    let packed = features::windows(&m.tokenizer, &text, &sentences, 62, Some(30));
    assert_eq!(alone.len(), 12, "a window per sentence");
    assert!(packed.len() < alone.len(), "{} windows", packed.len());
    for w in &packed {
        assert!(w.tokens.len() <= 30 && w.tokens.len() == w.sentence_of.len());
        // Whole sentences only: a window starts where a sentence starts.
        assert_eq!(w.tokens[0].start, sentences[w.sentence_of[0]].0);
    }
    // The same tokens and sentences, laid out alike; the states see their neighbours.
    let layout = |w: &[features::Window]| features::layout(w, &sentences);
    assert_eq!(layout(&packed), layout(&alone));
    let encode = |pack| {
        features::encode_layers(&m.encoder, &m.tokenizer, &text, &sentences, pack, &[2])
            .expect("encode")
            .remove(0)
    };
    let (one, many) = (encode(None), encode(Some(30)));
    assert_eq!(
        (one.spans.len(), one.sentences.clone()),
        (many.spans.len(), many.sentences.clone())
    );
    assert_ne!(one.states, many.states);
    // A sentence longer than the pack is cut as before, and its neighbours still packed.
    let long = format!("{} {}", "the report said ".repeat(30).trim_end(), text);
    let view = spinscope_core::TextView::new(&long);
    let sentences = features::sentence_spans(&view);
    let packed = features::windows(&m.tokenizer, &long, &sentences, 62, Some(30));
    assert!(packed.iter().all(|w| w.tokens.len() <= 62));
    assert_eq!(
        features::layout(&packed, &sentences),
        features::layout(
            &features::windows(&m.tokenizer, &long, &sentences, 62, None),
            &sentences
        )
    );
}

#[test]
fn heads_learn_and_survive_saving() {
    let device = Device::Cpu;
    // Two clusters: class = sign of the first feature.
    let mut rng = spinscope_model::heads::SplitMix(3);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..400 {
        let row: Vec<f32> = (0..8).map(|_| rng.unit() as f32 * 2.0 - 1.0).collect();
        y.push(u32::from(row[0] > 0.0));
        x.extend(row);
    }
    let x = Tensor::from_vec(x, (400, 8), &device).expect("x");
    let training = Training {
        epochs: 30,
        batch: 32,
        learning_rate: 1e-2,
        ..Training::default()
    };
    let mlp = Mlp::new(8, 16, 2, 7, &device).expect("mlp");
    let losses = mlp.train(&x, &y, &[1.0, 1.0], &training).expect("train");
    assert!(losses[29] < losses[0] * 0.5, "{losses:?}");
    let p = mlp.probabilities(&x).expect("p");
    let right = p
        .iter()
        .zip(&y)
        .filter(|(p, &y)| (p[1] > 0.5) == (y == 1))
        .count();
    assert!(right > 380, "{right}/400");

    // Same seed, same model.
    let again = Mlp::new(8, 16, 2, 7, &device).expect("mlp");
    again.train(&x, &y, &[1.0, 1.0], &training).expect("train");
    assert_eq!(again.probabilities(&x).expect("p"), p);

    let mut heads = random_heads(8, 0.5);
    heads.technique_mix = 0.55;
    heads.span_decoding.extend = 0.3;
    heads.span_decoding.cover = Some(0.6);
    heads.span_mix = 0.7;
    heads.technique_layer = Some(9);
    heads.attribution_layer = Some(8);
    heads.window_pack = Some(128);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(tier::HEADS_FILE);
    heads.save(&path).expect("save");
    let back = Heads::from_bytes(&std::fs::read(&path).expect("read")).expect("load");
    assert_eq!(back.claim_threshold, 0.5);
    assert_eq!(back.technique_mix, 0.55);
    assert_eq!(back.span_mix, 0.7);
    assert_eq!(back.technique_layer, Some(9));
    assert_eq!(back.attribution_layer, Some(8));
    assert_eq!(back.window_pack, Some(128));
    assert_eq!(
        back.span_decoding,
        SpanDecoding {
            threshold: 0.5,
            extend: 0.3,
            cover: Some(0.6)
        }
    );
    assert_eq!(
        back.claim.probabilities(&x).expect("p"),
        heads.claim.probabilities(&x).expect("p")
    );
    assert!(Heads::from_bytes(b"not safetensors").is_err());

    // Heads saved before spans had a lower edge or a mix decode the head's probabilities with
    // a plain threshold.
    let mut tensors = candle_core::safetensors::load(&path, &device).expect("tensors");
    tensors.remove("span.extend").expect("span.extend saved");
    tensors.remove("span.cover").expect("span.cover saved");
    tensors.remove("span.mix").expect("span.mix saved");
    // ... and heads saved before they chose a layer read the last.
    for layer in ["technique.layer", "attribution.layer"] {
        tensors.remove(layer).expect("layer saved");
    }
    candle_core::safetensors::save(&tensors, &path).expect("save");
    let old = Heads::from_bytes(&std::fs::read(&path).expect("read")).expect("load");
    assert_eq!(old.span_decoding, SpanDecoding::plain(0.5));
    assert_eq!(old.span_mix, 1.0);
    assert_eq!(old.technique_layer, None);
    assert_eq!(old.attribution_layer, None);

    // A layer that is no whole number is a damaged file.
    tensors.insert(
        "technique.layer".into(),
        Tensor::new(&[2.5f32], &device).expect("t"),
    );
    candle_core::safetensors::save(&tensors, &path).expect("save");
    assert!(Heads::from_bytes(&std::fs::read(&path).expect("read")).is_err());
}

#[test]
fn middle_layers_come_from_the_same_pass_as_the_last() {
    let m = model();
    let ids = vec![vec![0, 5, 6, 7, 2], vec![0, 8, 2]];
    let last = m.encoder.config.layers;
    let by_layer = m
        .encoder
        .forward_layers(&ids, &[1, last, 0])
        .expect("forward");
    assert_eq!(by_layer.len(), 3);
    let same = |a: &Tensor, b: &Tensor| {
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.max_all())
            .and_then(|d| d.to_scalar::<f32>())
            .expect("diff")
            < 1e-6
    };
    let plain = m.encoder.forward(&ids).expect("forward");
    for (s, states) in plain.iter().enumerate() {
        assert!(same(&by_layer[1][s], states));
        assert_eq!(by_layer[0][s].dims(), states.dims());
        assert!(!same(&by_layer[0][s], states), "layer 1 is not the last");
        assert!(
            !same(&by_layer[2][s], &by_layer[0][s]),
            "embeddings are not layer 1"
        );
    }
    // Layer 1 alone stops early with the same states.
    let first = m.encoder.forward_layers(&ids, &[1]).expect("forward");
    assert!(same(&first[0][0], &by_layer[0][0]));
    assert!(m.encoder.forward_layers(&ids, &[last + 1]).is_err());

    // Documents: one Encoded per layer with the same layout.
    let text = "The report said so. 新华社报道称。";
    let sentences = [(0, 19), (20, text.len())];
    let layers =
        features::encode_layers(&m.encoder, &m.tokenizer, text, &sentences, None, &[1, last])
            .expect("encode");
    let alone = features::encode(&m.encoder, &m.tokenizer, text, &sentences).expect("encode");
    assert_eq!(layers[1], alone);
    assert_eq!(layers[0].spans, alone.spans);
    assert_eq!(layers[0].sentences, alone.sentences);
    assert_ne!(layers[0].states, alone.states);

    // Heads read their technique layer and the last from one call.
    let mut heads = random_heads(32, 0.0);
    let states = heads.encode(&m, text, &sentences).expect("states");
    assert_eq!(states.techniques(), &alone);
    assert_eq!(states.last(), &alone);
    heads.technique_layer = Some(1);
    let states = heads.encode(&m, text, &sentences).expect("states");
    assert_eq!(states.techniques(), &layers[0]);
    assert_eq!(states.last(), &alone);
    assert_eq!(states.attribution(), &alone);
    // The attribution tagger reads its own layer.
    heads.technique_layer = None;
    heads.attribution_layer = Some(1);
    let states = heads.encode(&m, text, &sentences).expect("states");
    assert_eq!(states.attribution(), &layers[0]);
    assert_eq!(states.techniques(), &alone);
    assert_eq!(states.last(), &alone);
    heads.technique_layer = Some(1);
    let tier = FullTier::new(m, heads).with_min_score(0.0);
    let mut findings = Vec::new();
    tier.annotate(&TextView::new(text), &mut findings)
        .expect("annotate");
    assert!(findings
        .iter()
        .any(|f| matches!(f, Finding::Technique { .. })));
}

fn random_heads(h: usize, threshold: f32) -> Heads {
    let device = Device::Cpu;
    Heads {
        span: Mlp::new(h, 16, 2, 1, &device).expect("span"),
        technique: Mlp::new(2 * h, 16, 14, 2, &device).expect("technique"),
        claim: Mlp::new(h, 16, 2, 3, &device).expect("claim"),
        attribution: Some(Mlp::new(h, 16, 7, 4, &device).expect("attribution")),
        adapter: None,
        span_decoding: SpanDecoding::plain(threshold),
        claim_threshold: threshold,
        technique_mix: 1.0,
        span_mix: 1.0,
        technique_layer: None,
        attribution_layer: None,
        window_pack: None,
    }
}

#[test]
fn the_full_tier_adds_model_findings_with_offsets_and_evidence() {
    // Thresholds of 0: every token is "inside" and every sentence "check-worthy", so the
    // plumbing is exercised whatever the random weights say.
    let tier = FullTier::new(model(), random_heads(32, 0.0)).with_min_score(0.0);
    let text = "Analysts said the report was a \"report\". 新华社报道称，美国的 3.5 percent。";
    let view = TextView::new(text);
    let mut findings = Vec::new();
    tier.annotate(&view, &mut findings).expect("annotate");
    let claims: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f, Finding::Claim { .. }))
        .collect();
    assert_eq!(claims.len(), view.sentences.len());
    let techniques: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f, Finding::Technique { .. }))
        .collect();
    assert_eq!(
        techniques.len(),
        view.sentences.len(),
        "one run per sentence"
    );
    for f in &findings {
        let e = f.extent();
        assert!(e.start < e.end && e.end <= text.len());
        assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        match f {
            Finding::Technique {
                detector,
                evidence,
                score,
                ..
            } => {
                assert_eq!(detector, "model");
                assert!(evidence.contains("the rules did not find it"), "{evidence}");
                assert!((0.0..=1.0).contains(score));
            }
            Finding::Claim {
                detector, evidence, ..
            } => {
                assert_eq!(detector, "model");
                assert!(evidence.starts_with("encoder head, p="), "{evidence}");
            }
            _ => {}
        }
    }
    // Nothing to read, nothing found, no error.
    let mut none = Vec::new();
    tier.annotate(&TextView::new(""), &mut none).expect("empty");
    assert!(none.is_empty());

    // With mix weights below 1 the English span hears the rules' tagger and its label the
    // rules' classifier; the Chinese one the heads alone (the linear models read English).
    let mixed = |tune: fn(&mut Heads), said: &str| -> Vec<bool> {
        let mut heads = random_heads(32, 0.0);
        tune(&mut heads);
        let tier = FullTier::new(model(), heads).with_min_score(0.0);
        let mut findings = Vec::new();
        tier.annotate(&view, &mut findings).expect("annotate");
        findings
            .iter()
            .filter_map(|f| match f {
                Finding::Technique { evidence, .. } => Some(evidence.contains(said)),
                _ => None,
            })
            .collect()
    };
    let labels = mixed(
        |h| h.technique_mix = 0.5,
        "mixed with the rules' classifier",
    );
    assert_eq!(labels, vec![true, false]);
    let spans = mixed(|h| h.span_mix = 0.5, "(with the rules' tagger)");
    assert_eq!(spans, vec![true, false]);
}

#[test]
fn rules_and_model_agreeing_is_said() {
    let tier = FullTier::new(model(), random_heads(32, 0.0));
    let text = "Officials said 35 percent of the report was wrong.";
    let view = TextView::new(text);
    let mut findings = vec![Finding::Claim {
        extent: spinscope_core::report::Extent::new(spinscope_core::Span::new(0, text.len())),
        checkworthy: 0.9,
        quantities: vec![],
        detector: "model:linear".into(),
        evidence: String::new(),
    }];
    tier.annotate(&view, &mut findings).expect("annotate");
    let claims: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f, Finding::Claim { .. }))
        .collect();
    assert_eq!(claims.len(), 1, "one finding per sentence");
    match claims[0] {
        Finding::Claim {
            evidence,
            quantities,
            ..
        } => {
            assert!(
                evidence.contains("the rules agree (model:linear)"),
                "{evidence}"
            );
            assert_eq!(quantities, &vec!["35 percent".to_string()]);
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_technique_the_rules_found_too_is_one_finding_that_says_so() {
    let tier = FullTier::new(model(), random_heads(32, 0.0)).with_min_score(0.0);
    let text = "Analysts said the report was a lie.";
    let view = TextView::new(text);
    // What the model finds alone: one span (every token is inside at threshold 0), one label.
    let mut alone = Vec::new();
    tier.annotate(&view, &mut alone).expect("annotate");
    let (label, (start, end)) = alone
        .iter()
        .find_map(|f| match f {
            Finding::Technique { label, extent, .. } => Some((*label, (extent.start, extent.end))),
            _ => None,
        })
        .expect("a model technique");
    let other = spinscope_core::report::Technique::ALL
        .into_iter()
        .find(|&t| t != label)
        .expect("another label");
    let rule = |label, start: usize, end: usize| Finding::Technique {
        label,
        extent: spinscope_core::report::Extent::new(spinscope_core::Span::new(start, end)),
        score: 0.6,
        detector: "lexicon:en".into(),
        evidence: "“a lie” is in the list".into(),
        occurrences: Vec::new(),
    };
    // The rules found most of that span with the same label: their finding stays, once, and
    // says the encoder agrees; no second finding counts the passage again.
    let mut findings = vec![rule(label, start + 2, end)];
    tier.annotate(&view, &mut findings).expect("annotate");
    let techniques: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f, Finding::Technique { .. }))
        .collect();
    assert_eq!(techniques.len(), 1, "{techniques:?}");
    match techniques[0] {
        Finding::Technique {
            detector, evidence, ..
        } => {
            assert_eq!(detector, "lexicon:en");
            assert!(
                evidence.starts_with("“a lie” is in the list; the encoder agrees (span p="),
                "{evidence}"
            );
        }
        _ => unreachable!(),
    }
    // Rules covering a small part of it: the model's span says more and stands beside theirs.
    let mut findings = vec![
        rule(label, start, start + 3),
        rule(label, start + 1, start + 4),
    ];
    tier.annotate(&view, &mut findings).expect("annotate");
    let evidence: Vec<&str> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique {
                detector, evidence, ..
            } if detector == "model" => Some(evidence.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(evidence.len(), 1, "{findings:?}");
    assert!(
        evidence[0].ends_with("the rules agree (lexicon:en)"),
        "{evidence:?}"
    );
    // Another label is another finding: the model's stands beside the rules'.
    let mut findings = vec![rule(other, start, end)];
    tier.annotate(&view, &mut findings).expect("annotate");
    let detectors: Vec<&str> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique {
                detector, evidence, ..
            } => {
                assert!(!evidence.contains("the encoder agrees"), "{evidence}");
                Some(detector.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(detectors, vec!["lexicon:en", "model"]);
}
