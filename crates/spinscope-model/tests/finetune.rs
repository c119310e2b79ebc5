//! The fine-tuning bundle (`spinscope train model --export`) on a small corpus we write here: labels
//! land on the right tokens (offsets in label files count code points, tokens count bytes), and
//! attribution BIO tags decode back to the gold spans; and the import of a run's results, made here
//! from tiny heads, ships them or refuses when candle and PyTorch disagree.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use spinscope_core::Technique;
use spinscope_model::base;
use spinscope_model::finetune::{self, Data};
use spinscope_model::tier::{self, Heads};
use spinscope_model::train::Log;
use spinscope_model::Model;

const PTC_TEXT: &str =
    "He called “the report” a disgraceful lie.\nOfficials said it was a farce.\n";
const POLNEAR_TEXT: &str =
    "The report said “prices rose”. Officials told the paper that sources agree. The economy, the mayor argued, is fine.";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn chars(text: &str, needle: &str) -> (usize, usize) {
    let start = text.find(needle).expect("needle");
    let c = text[..start].chars().count();
    (c, c + needle.chars().count())
}

/// A data folder shaped like ../shared/data: ptc/, polnear/data/train/, checkworthy/.
fn corpus(dir: &Path) {
    write(&dir.join("ptc/train-articles/article1.txt"), PTC_TEXT);
    let (s, e) = chars(PTC_TEXT, "disgraceful");
    let (s2, e2) = chars(PTC_TEXT, "a farce");
    write(
        &dir.join("ptc/train-labels-task-flc-tc/article1.task-flc-tc.labels"),
        &format!("1\tLoaded_Language\t{s}\t{e}\n1\tName_Calling,Labeling\t{s2}\t{e2}\n"),
    );
    let polnear = dir.join("polnear/data/train");
    write(&polnear.join("text/doc_one.txt"), POLNEAR_TEXT);
    let mut ann = String::new();
    for (i, (role, needle)) in [
        ("Source", "The report"),
        ("Cue", "said"),
        ("Content", "“prices rose”"),
        ("Source", "Officials"),
        ("Cue", "told the paper"),
        ("Content", "sources agree"),
        // PolNeAR's content spans a source and cue that interrupt it.
        ("Content", "The economy, the mayor argued, is fine"),
        ("Source", "the mayor"),
        ("Cue", "argued"),
    ]
    .iter()
    .enumerate()
    {
        let (s, e) = chars(POLNEAR_TEXT, needle);
        ann.push_str(&format!("T{}\t{role} {s} {e}\t{needle}\n", i + 1));
    }
    write(&polnear.join("attributions/doc_one_a1.ann"), &ann);
    let tsv =
        "Sentence_id\tText\tclass_label\n1\tThe report said 3 percent.\tYes\n2\tHello world.\tNo\n";
    write(
        &dir.join("checkworthy/CT24_checkworthy_english_train.tsv"),
        tsv,
    );
    write(
        &dir.join("checkworthy/CT24_checkworthy_english_dev.tsv"),
        tsv,
    );
}

/// The corpus in a temporary folder, read with the tiny encoder's tokeniser.
fn fixture() -> (tempfile::TempDir, base::Base, Data, Log) {
    packed_fixture(None)
}

/// [`fixture`] with the articles' sentences packed into windows of up to `pack` tokens.
fn packed_fixture(pack: Option<usize>) -> (tempfile::TempDir, base::Base, Data, Log) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus(dir.path());
    let base = base::tiny(1);
    let model = Model::from_base(&base).expect("model");
    let mut log = Log::create(&dir.path().join("log")).expect("log");
    let data = Data::load(&model, dir.path(), pack, &mut log).expect("data");
    (dir, base, data, log)
}

fn load(path: &Path) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(path, &Device::Cpu).expect("safetensors")
}

fn u32s(t: &HashMap<String, Tensor>, name: &str) -> Vec<u32> {
    t[name].flatten_all().and_then(|x| x.to_vec1()).expect(name)
}

fn u8s(t: &HashMap<String, Tensor>, name: &str) -> Vec<u8> {
    t[name].flatten_all().and_then(|x| x.to_vec1()).expect(name)
}

#[test]
fn the_bundle_labels_the_right_tokens_and_decodes_back() {
    let (dir, base, data, _log) = fixture();
    let out = dir.path().join("bundle");
    finetune::export(&base, &data, &out, 5).expect("export");
    let t = load(&out.join(finetune::DATA_FILE));

    // Windows: every id is a compact one, and the offsets cover the ids.
    let vocab = u32s(&t, "vocab");
    let ids = u32s(&t, "ptc.ids");
    assert!(ids.iter().all(|&i| (i as usize) < vocab.len()));
    assert_eq!(
        *u32s(&t, "ptc.win_off").last().expect("offsets") as usize,
        ids.len()
    );

    // Technique labels sit on "disgraceful" and "a farce", whatever the curly quotes before them.
    let doc = &data.ptc_docs[0];
    let si = u8s(&t, "ptc.si");
    assert_eq!(si.len(), doc.layout.spans.len());
    let inside: String = doc
        .layout
        .spans
        .iter()
        .zip(&si)
        .filter(|(_, &y)| y == 1)
        .map(|(&(s, e), _)| &PTC_TEXT[s..e])
        .collect();
    assert_eq!(inside, "disgracefulafarce");
    let tc = u32s(&t, "ptc.tc");
    assert_eq!(tc.len(), 2 * 5);
    let (first, last) = (tc[1] as usize, tc[2] as usize);
    let (s, e) = (doc.layout.spans[first].0, doc.layout.spans[last - 1].1);
    assert_eq!(&PTC_TEXT[s..e], "disgraceful");
    // Each gold span's repetition and length numbers, as the technique head reads them.
    let extra = t["ptc.tc_extra"].to_vec2::<f32>().expect("extras");
    assert_eq!(extra.len(), 2);
    assert_eq!(extra[0], [1f32.ln_1p(), ((last - first) as f32).ln_1p()]);
    assert_eq!(
        t["check.extra"].dims(),
        [1, spinscope_model::tier::SPAN_EXTRAS]
    );

    // Attribution: BIO tags decode back to the gold spans.
    let bio = u8s(&t, "polnear.bio");
    let doc = &data.polnear_docs[0];
    assert_eq!(bio.len(), doc.layout.spans.len());
    let found = spinscope_model::attribution::decode_bio(&doc.layout, &bio);
    for (r, role) in finetune::ROLES.iter().enumerate() {
        let mut got: Vec<&str> = found[r].iter().map(|&(s, e)| &POLNEAR_TEXT[s..e]).collect();
        let mut want: Vec<&str> = data.polnear[0].roles[r]
            .iter()
            .map(|s| &POLNEAR_TEXT[s.start..s.end])
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{role}");
    }

    // CheckThat!: one document per sentence, labels kept.
    assert_eq!(u8s(&t, "ct_train.y"), vec![1, 0]);

    // The base: the word embedding pruned to the pieces used, four-bit rows kept as they are.
    let b = load(&out.join(finetune::BASE_FILE));
    assert_eq!(b["emb.word"].dims()[0], vocab.len());
    let config: finetune::ExportedConfig = serde_json::from_str(
        &std::fs::read_to_string(out.join(finetune::CONFIG_FILE)).expect("config"),
    )
    .expect("config json");
    assert_eq!(config.vocabulary, vocab.len());
    assert_eq!(config.techniques.len(), 14);
}

#[test]
fn a_results_folder_without_checkpoints_is_a_clear_error() {
    let (dir, base, data, mut log) = fixture();
    let err = finetune::import(
        &base,
        &data,
        dir.path(),
        &dir.path().join("out"),
        5,
        &mut log,
    )
    .expect_err("no out-of-fold predictions");
    assert!(err.to_string().contains("oof-eN.safetensors"), "{err}");
}

/// Heads over the tiny encoder with a small adapter on layer 0's query matrix.
fn adapted_heads(with_adapter: bool) -> spinscope_model::tier::Heads {
    use spinscope_model::heads::Mlp;
    let device = Device::Cpu;
    let h = 32;
    let mut adapter = spinscope_model::encoder::Adapter::new();
    adapter.insert(
        "lora.l0.q.a".into(),
        Tensor::full(0.01f32, (2, h), &device).expect("a"),
    );
    adapter.insert(
        "lora.l0.q.b".into(),
        Tensor::full(0.02f32, (h, 2), &device).expect("b"),
    );
    spinscope_model::tier::Heads {
        span: Mlp::new(h, 16, 2, 1, &device).expect("span"),
        technique: Mlp::new(2 * h, 16, 14, 2, &device).expect("technique"),
        claim: Mlp::new(h, 16, 2, 3, &device).expect("claim"),
        attribution: Some(Mlp::new(h, 16, 7, 4, &device).expect("attribution")),
        adapter: with_adapter.then_some(adapter),
        span_decoding: spinscope_model::tier::SpanDecoding {
            threshold: 0.5,
            extend: 0.3,
            cover: None,
        },
        claim_threshold: 0.45,
        technique_mix: 1.0,
        span_mix: 1.0,
        technique_layer: None,
        attribution_layer: None,
        window_pack: None,
    }
}

fn refit_config(dir: &Path) -> spinscope_model::train::Config {
    spinscope_model::train::Config {
        data: dir.to_path_buf(),
        out: dir.join("out"),
        cache: dir.join("cache"),
        seed: 7,
        folds: 2,
        window_pack: None,
    }
}

#[test]
fn refitting_replaces_the_technique_heads_and_keeps_the_rest() {
    let (dir, base, _data, mut log) = fixture();
    let heads = adapted_heads(true);
    let before = dir.path().join("before.safetensors");
    heads.save(&before).expect("save");
    let model = Model::adapted(&base, heads.adapter.as_ref()).expect("model");
    let cfg = refit_config(dir.path());
    let scores = spinscope_model::train::refit(&model, heads, &cfg, &mut log).expect("refit");
    assert!(!scores.held_out_for_the_encoder);
    assert_eq!(scores.techniques.ptc_articles, 1);
    let (old, new) = (
        load(&before),
        load(&cfg.out.join(spinscope_model::tier::HEADS_FILE)),
    );
    let same = |name: &str| {
        let flat = |t: &HashMap<String, Tensor>| -> Vec<f32> {
            t[name].flatten_all().and_then(|x| x.to_vec1()).expect(name)
        };
        flat(&old) == flat(&new)
    };
    for kept in [
        "lora.l0.q.a",
        "lora.l0.q.b",
        "attribution.w1",
        "claim.w1",
        "claim.threshold",
    ] {
        assert!(same(kept), "{kept} changed");
    }
    for refit in ["span.w1", "technique.w1"] {
        assert!(!same(refit), "{refit} was not retrained");
    }
    assert!(cfg
        .out
        .join(spinscope_model::train::REFIT_SCORES_FILE)
        .exists());
}

#[test]
fn refitting_heads_without_an_adapter_is_refused() {
    let (dir, base, _data, mut log) = fixture();
    let model = Model::from_base(&base).expect("model");
    let cfg = refit_config(dir.path());
    let err = spinscope_model::train::refit(&model, adapted_heads(false), &cfg, &mut log)
        .expect_err("no adapter");
    assert!(err.to_string().contains("no adapter"), "{err}");
}

/// What `scripts/finetune.py` leaves for one checkpoint (epoch 1): out-of-fold predictions and
/// the final model, made here from `heads`, with candle's own check values shifted by `off`
/// (PyTorch's, when the two engines agree, are within 0.02 of them).
fn results(dir: &Path, base: &base::Base, data: &Data, heads: &Heads, off: f32) {
    let device = Device::Cpu;
    let tokens = |docs: &[finetune::Doc]| docs.iter().map(|d| d.layout.spans.len()).sum();
    let (ptc_tokens, pol_tokens): (usize, usize) =
        (tokens(&data.ptc_docs), tokens(&data.polnear_docs));
    let gold: usize = data.ptc.iter().map(|a| a.spans.len()).sum();
    let floats = |v: Vec<f32>| {
        let n = v.len();
        Tensor::from_vec(v, n, &device).expect("tensor")
    };
    let ramp: Vec<f32> = (0..ptc_tokens).map(|i| (i % 10) as f32 / 10.0).collect();
    let oof = HashMap::from([
        ("e1.ptc.si_p".to_string(), floats(ramp)),
        (
            "e1.ptc.tc_p".to_string(),
            Tensor::full(1.0f32 / 14.0, (gold, 14), &device).expect("tc"),
        ),
        (
            "e1.polnear.bio".to_string(),
            Tensor::zeros(pol_tokens, DType::U8, &device).expect("bio"),
        ),
        ("e1.ct_train.p".to_string(), floats(vec![0.9, 0.1])),
    ]);
    candle_core::safetensors::save(&oof, dir.join("oof.safetensors")).expect("oof");

    let path = dir.join("final-e1.safetensors");
    heads.save(&path).expect("save");
    let mut model_file = load(&path);
    let model = Model::adapted(base, heads.adapter.as_ref()).expect("model");
    let check = spinscope_model::train::Check::compute(&model, heads).expect("check");
    let mut technique_p = vec![0.0; 14];
    let label = Technique::ALL.iter().position(|t| t.label() == check.label);
    technique_p[label.expect("a label")] = check.label_p;
    let shifted: Vec<f32> = check.spans.iter().map(|p| p + off).collect();
    let n = check.attribution.len();
    for (name, t) in [
        ("ct_dev.p", floats(vec![0.9, 0.1])),
        ("check.span_p", floats(shifted)),
        ("check.claim_p", floats(check.claims.clone())),
        ("check.technique_p", floats(technique_p)),
        (
            "check.attribution",
            Tensor::from_vec(check.attribution.clone(), n, &device).expect("tags"),
        ),
    ] {
        model_file.insert(name.to_string(), t);
    }
    candle_core::safetensors::save(&model_file, &path).expect("final");
}

/// Imports a made-up run (see [`results`]) into `out` under the returned folder; its span and
/// technique heads and its attribution tagger read `layers` (`None`: the last, as
/// `finetune.py` trained them at first).
fn import_made_up_run(
    off: f32,
    layers: [Option<usize>; 2],
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Result<finetune::Scores, Box<dyn std::error::Error + Send + Sync>>,
) {
    let (dir, base, data, mut log) = fixture();
    let run = dir.path().join("results");
    std::fs::create_dir_all(&run).expect("mkdir");
    let mut heads = adapted_heads(true);
    [heads.technique_layer, heads.attribution_layer] = layers;
    results(&run, &base, &data, &heads, off);
    let out = dir.path().join("out");
    let imported = finetune::import(&base, &data, &run, &out, 2, &mut log);
    (dir, out, imported)
}

#[test]
fn importing_a_run_ships_its_heads_with_the_chosen_mixes() {
    let (_dir, out, imported) = import_made_up_run(0.001, [None, None]);
    let scores = imported.expect("import");
    assert_eq!(scores.epoch, 1);
    assert!(scores.check_max_difference < 0.002, "{scores:?}");
    let shipped = Heads::from_bytes(&std::fs::read(out.join(tier::HEADS_FILE)).expect("heads"))
        .expect("shipped heads");
    let t = &scores.techniques;
    assert_eq!(shipped.span_mix, t.span_mix);
    assert_eq!(shipped.technique_mix, t.technique_mix);
    assert_eq!(
        shipped.span_decoding,
        tier::SpanDecoding {
            threshold: t.span_threshold,
            extend: t.span_extend,
            cover: t.span_cover
        }
    );
    assert!(shipped.adapter.is_some() && shipped.attribution.is_some());
    assert_eq!(shipped.technique_layer, None);
    assert_eq!(shipped.attribution_layer, None);
    assert!(out.join(spinscope_model::train::SCORES_FILE).exists());
}

#[test]
fn an_import_keeps_the_layer_the_run_tapped_and_refuses_one_it_lacks() {
    let (_dir, out, imported) = import_made_up_run(0.001, [Some(1), Some(0)]);
    imported.expect("import");
    let shipped = Heads::from_bytes(&std::fs::read(out.join(tier::HEADS_FILE)).expect("heads"))
        .expect("shipped heads");
    assert_eq!(shipped.technique_layer, Some(1));
    assert_eq!(shipped.attribution_layer, Some(0));

    // A results file naming a layer the encoder lacks.
    let (dir, base, data, mut log) = fixture();
    let run = dir.path().join("results");
    std::fs::create_dir_all(&run).expect("mkdir");
    results(&run, &base, &data, &adapted_heads(true), 0.001);
    let path = run.join("final-e1.safetensors");
    let mut file = load(&path);
    file.insert(
        "attribution.layer".into(),
        Tensor::new(&[40f32], &Device::Cpu).expect("layer"),
    );
    candle_core::safetensors::save(&file, &path).expect("save");
    let out = dir.path().join("out");
    let err = finetune::import(&base, &data, &run, &out, 2, &mut log).expect_err("no layer 40");
    assert!(
        err.to_string()
            .contains("final-e1.safetensors: attribution.layer is not a whole number"),
        "{err}"
    );
    assert!(!out.join(tier::HEADS_FILE).exists());
}

#[test]
fn a_packed_run_ships_its_packing_and_data_cut_otherwise_is_refused() {
    let (dir, base, data, mut log) = packed_fixture(Some(48));
    let (_unpacked_dir, _, unpacked, _) = fixture();
    // Fewer windows than sentences, the same tokens.
    let windows = |d: &Data| d.polnear_docs[0].windows.len();
    assert!(windows(&data) < windows(&unpacked));
    assert_eq!(data.polnear_docs[0].layout, unpacked.polnear_docs[0].layout);
    // The bundle tells finetune.py, which writes it into its results.
    let bundle = dir.path().join("bundle");
    finetune::export(&base, &data, &bundle, 2).expect("export");
    let config: finetune::ExportedConfig = serde_json::from_str(
        &std::fs::read_to_string(bundle.join(finetune::CONFIG_FILE)).expect("config"),
    )
    .expect("config json");
    assert_eq!(config.window_pack, Some(48));

    let run = dir.path().join("results");
    std::fs::create_dir_all(&run).expect("mkdir");
    let mut heads = adapted_heads(true);
    heads.window_pack = Some(48);
    results(&run, &base, &data, &heads, 0.001);
    let out = dir.path().join("out");
    finetune::import(&base, &data, &run, &out, 2, &mut log).expect("import");
    let shipped = Heads::from_bytes(&std::fs::read(out.join(tier::HEADS_FILE)).expect("heads"))
        .expect("shipped heads");
    assert_eq!(shipped.window_pack, Some(48));

    // The same run against sentence windows: refused, nothing written.
    let out = dir.path().join("elsewhere");
    let err = finetune::import(&base, &unpacked, &run, &out, 2, &mut log).expect_err("packing");
    assert!(err.to_string().contains("packed to Some(48)"), "{err}");
    assert!(!out.join(tier::HEADS_FILE).exists());
}

#[test]
fn a_run_written_one_file_per_checkpoint_imports_as_one_file_did() {
    let (dir, base, data, mut log) = fixture();
    let run = dir.path().join("results");
    std::fs::create_dir_all(&run).expect("mkdir");
    results(&run, &base, &data, &adapted_heads(true), 0.001);
    let one_file = finetune::import(&base, &data, &run, &dir.path().join("a"), 2, &mut log)
        .expect("import of oof.safetensors");
    std::fs::rename(run.join("oof.safetensors"), run.join("oof-e1.safetensors")).expect("rename");
    let per_checkpoint = finetune::import(&base, &data, &run, &dir.path().join("b"), 2, &mut log)
        .expect("import of oof-e1.safetensors");
    assert_eq!(per_checkpoint.epoch, 1);
    assert_eq!(
        format!("{one_file:?}"),
        format!("{per_checkpoint:?}"),
        "the same predictions score the same"
    );
}

#[test]
fn an_import_whose_engines_disagree_writes_nothing() {
    let (_dir, out, imported) = import_made_up_run(0.05, [None, None]);
    let err = imported.expect_err("refused");
    assert!(err.to_string().contains("disagrees"), "{err}");
    assert!(!out.join(tier::HEADS_FILE).exists());
}

#[test]
fn an_import_decodes_kept_attribution_probabilities_as_the_tier_does() {
    let (dir, base, data, mut log) = fixture();
    let run = dir.path().join("results");
    std::fs::create_dir_all(&run).expect("mkdir");
    results(&run, &base, &data, &adapted_heads(true), 0.001);
    // A tagger that finds every gold I a little likelier as the next role's I: each token's
    // likeliest tag breaks the runs, BIO's rule (an I continues its own role) mends them.
    let gold: Vec<u8> = data
        .polnear
        .iter()
        .zip(&data.polnear_docs)
        .flat_map(|(a, d)| finetune::bio_tags(a, &d.layout))
        .collect();
    assert!(gold.contains(&6), "the corpus has content runs");
    let mut likeliest = Vec::new();
    let mut probabilities = Vec::new();
    for &g in &gold {
        let mut row = [0.01f32; 7];
        if g > 0 && g % 2 == 0 {
            let next_role = g % 6 + 2;
            (row[usize::from(g)], row[usize::from(next_role)]) = (0.45, 0.5);
            likeliest.push(next_role);
        } else {
            row[usize::from(g)] = 0.9;
            likeliest.push(g);
        }
        probabilities.extend(row);
    }
    let oof_path = run.join("oof.safetensors");
    let mut oof = load(&oof_path);
    let n = gold.len();
    oof.insert(
        "e1.polnear.bio".into(),
        Tensor::from_vec(likeliest, n, &Device::Cpu).expect("tags"),
    );
    candle_core::safetensors::save(&oof, &oof_path).expect("oof");
    let argmax = finetune::import(&base, &data, &run, &dir.path().join("a"), 2, &mut log)
        .expect("import without probabilities");
    oof.insert(
        "e1.polnear.bio_p".into(),
        Tensor::from_vec(probabilities, (n, 7), &Device::Cpu).expect("probabilities"),
    );
    candle_core::safetensors::save(&oof, &oof_path).expect("oof");
    let constrained = finetune::import(&base, &data, &run, &dir.path().join("c"), 2, &mut log)
        .expect("import with probabilities");
    assert!(!argmax.polnear_constrained && constrained.polnear_constrained);
    assert!(
        constrained.polnear_content.f1 > argmax.polnear_content.f1,
        "{constrained:?} against {argmax:?}"
    );
    assert_eq!(constrained.polnear_content.f1, 1.0, "{constrained:?}");
}

#[test]
fn training_on_the_frozen_encoder_ships_every_head_with_its_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus(dir.path());
    // A second PolNeAR article, so each of two folds trains on one.
    let polnear = dir.path().join("polnear/data/train");
    let text = "Critics said the plan failed.";
    write(&polnear.join("text/doc_two.txt"), text);
    let (s, e) = chars(text, "Critics");
    let (s2, e2) = chars(text, "said");
    write(
        &polnear.join("attributions/doc_two_a1.ann"),
        &format!("T1\tSource {s} {e}\tCritics\nT2\tCue {s2} {e2}\tsaid\n"),
    );
    let model = Model::from_base(&base::tiny(1)).expect("model");
    let mut log = Log::create(&dir.path().join("log")).expect("log");
    let cfg = refit_config(dir.path());
    let scores = spinscope_model::train::run(&model, &cfg, &mut log).expect("train");
    assert_eq!(scores.polnear_articles, 2);
    for role in [scores.polnear_source, scores.polnear_cue] {
        assert!((0.0..=1.0).contains(&role.f1), "{scores:?}");
    }
    let shipped = Heads::from_bytes(&std::fs::read(cfg.out.join(tier::HEADS_FILE)).expect("heads"))
        .expect("shipped heads");
    assert!(shipped.attribution.is_some() && shipped.adapter.is_none());
    // The tiny encoder's two layers: three quarters of the way up is the last.
    assert_eq!(shipped.technique_layer, Some(2));
    assert_eq!(shipped.attribution_layer, Some(2));
    let cached = |id: &str, layer: usize| cfg.cache.join(format!("polnear-{id}-layer{layer}.bin"));
    assert!(cached("doc_two", 2).exists() && cached("doc_one", 2).exists());
}
