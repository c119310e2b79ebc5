//! Fine-tuning the encoder (LoRA adapters on every matrix, and the heads), which two CPU cores
//! cannot do in useful time (about 15 minutes per PTC epoch per fold), so it runs where a GPU is:
//!
//! 1. [`export`] (here) cuts the training data into the exact windows the `full` tier runs, as
//!    token ids with their labels, and writes the base weights those tokens need (4-bit, as
//!    shipped; the vocabulary pruned to the pieces the data uses, which makes it small enough to
//!    travel);
//! 2. `scripts/finetune.py` (PyTorch) trains five folds by article and the final model, and writes
//!    out-of-fold predictions and the adapters;
//! 3. [`import`] (here) scores those predictions with the same scorers as the rest of spinscope,
//!    picks thresholds and the epoch on held-out folds only, and writes the shipped file.
//!
//! Folds: PTC article i, PolNeAR article i and CheckThat! row i are in fold i mod 5.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use spinscope_core::doc::{byte_offsets, OffsetMap};
use spinscope_core::eval::spans::{Counts, Prf};
use spinscope_core::eval::splits::{self, train_part, DataSet};
use spinscope_core::eval::{attribution_relations, brat, checkworthy, ptc};
use spinscope_core::{Span, Technique, TextView};

use crate::base::{Base, Weights};
use crate::encoder::MAX_WINDOW;
use crate::features::{self, Encoded};
use crate::tier::{self, DocText};
use crate::train::Log;
use crate::Model;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The data file [`export`] writes and `scripts/finetune.py` reads.
pub const DATA_FILE: &str = "data.safetensors";
/// The pruned base weights.
pub const BASE_FILE: &str = "base.safetensors";
/// Sizes of the encoder, for the script.
pub const CONFIG_FILE: &str = "config.json";

/// Attribution roles as the token tagger sees them (BIO): 0 outside, then B and I of each.
pub const ROLES: [&str; 3] = ["Source", "Cue", "Content"];

/// A document cut into the encoder's windows.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    pub text: String,
    pub sentences: Vec<(usize, usize)>,
    /// Token layout (no states).
    pub layout: Encoded,
    /// Ids of each window, `<s>` and `</s>` included.
    pub windows: Vec<Vec<u32>>,
}

impl Doc {
    fn new(
        model: &Model,
        id: &str,
        text: &str,
        sentences: Vec<(usize, usize)>,
        pack: Option<usize>,
    ) -> Doc {
        let windows = features::windows(&model.tokenizer, text, &sentences, MAX_WINDOW - 2, pack);
        Doc {
            id: id.to_string(),
            text: text.to_string(),
            layout: features::layout(&windows, &sentences),
            windows: windows
                .iter()
                .map(|w| features::window_ids(&model.tokenizer, w))
                .collect(),
            sentences,
        }
    }

    /// A document cut into sentences as `analyze` cuts it, packed into windows as `pack` says
    /// ([`features::windows`]).
    pub fn from_text(model: &Model, id: &str, text: &str, pack: Option<usize>) -> Doc {
        let view = TextView::new(text);
        let sentences = features::sentence_spans(&view);
        Doc::new(model, id, text, sentences, pack)
    }

    /// One sentence, one document (CheckThat! rows).
    fn sentence(model: &Model, id: &str, text: &str) -> Doc {
        Doc::new(model, id, text, vec![(0, text.len())], None)
    }
}

/// One PolNeAR article: its text and the gold spans of each role, in bytes.
#[derive(Debug, Clone)]
pub struct Attributed {
    pub id: String,
    pub text: String,
    pub roles: [Vec<Span>; 3],
}

/// PolNeAR's `train/` folder: every article with an annotation, the first annotator's by file
/// name (as `spinscope eval polnear` reads it), offsets turned from code points into bytes.
pub fn load_polnear(dir: &Path) -> AnyResult<Vec<Attributed>> {
    let mut out = Vec::new();
    for (text_path, ann_path) in attribution_relations::annotated(dir)? {
        let read =
            |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let (text, data) = (read(&text_path)?, read(&ann_path)?);
        let bytes = byte_offsets(&text);
        let to_bytes = |i: usize| bytes[i.min(bytes.len() - 1)];
        let mut roles: [Vec<Span>; 3] = Default::default();
        for t in brat::parse(&ann_path.display().to_string(), &data)? {
            if let Some(r) = ROLES.iter().position(|&r| r == t.role) {
                roles[r].push(Span::new(to_bytes(t.span.start), to_bytes(t.span.end)));
            }
        }
        out.push(Attributed {
            id: text_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text,
            roles,
        });
    }
    Ok(out)
}

/// Everything the fine-tuning reads, cut and labelled.
#[derive(Debug)]
pub struct Data {
    pub ptc: Vec<ptc::Article>,
    pub ptc_docs: Vec<Doc>,
    pub polnear: Vec<Attributed>,
    pub polnear_docs: Vec<Doc>,
    pub checkthat_train: Vec<(String, bool)>,
    pub checkthat_train_docs: Vec<Doc>,
    pub check: Doc,
    /// How the articles' sentences share windows ([`features::windows`]).
    pub window_pack: Option<usize>,
}

impl Data {
    /// Reads the fit split of `ptc/`, `polnear/data/train/` and CheckThat! train under `data`
    /// (the held-out articles and rows left out: sealed and tune), the articles cut into windows
    /// as `window_pack` says.
    pub fn load(
        model: &Model,
        data: &Path,
        window_pack: Option<usize>,
        log: &mut Log,
    ) -> AnyResult<Data> {
        let (mut ptc, ptc_left_out) =
            train_part(DataSet::Ptc, ptc::load(&data.join("ptc"))?, |a| &a.id);
        // Bytes from here on, as the encoder's token offsets.
        for a in &mut ptc {
            a.spans = a.byte_spans();
        }
        let ptc_docs = ptc
            .iter()
            .map(|a| Doc::from_text(model, &a.id, &a.text, window_pack))
            .collect();
        let (polnear, polnear_left_out) = train_part(
            DataSet::Polnear,
            load_polnear(&data.join("polnear/data/train"))?,
            |a| &a.id,
        );
        let polnear_docs = polnear
            .iter()
            .map(|a| Doc::from_text(model, &a.id, &a.text, window_pack))
            .collect();
        let rows = |name: &str| -> AnyResult<(Vec<(String, bool)>, splits::LeftOut)> {
            let (rows, _, left_out) = checkworthy::load(&data.join("checkworthy").join(name))?;
            Ok((rows, left_out))
        };
        let (checkthat_train, checkthat_left_out) = rows("CT24_checkworthy_english_train.tsv")?;
        let sentences = |rows: &[(String, bool)]| -> Vec<Doc> {
            rows.iter()
                .enumerate()
                .map(|(i, (s, _))| Doc::sentence(model, &i.to_string(), s))
                .collect()
        };
        let data = Data {
            checkthat_train_docs: sentences(&checkthat_train),
            check: Doc::from_text(model, "check", crate::train::CHECK_TEXT, window_pack),
            window_pack,
            ptc,
            ptc_docs,
            polnear,
            polnear_docs,
            checkthat_train,
        };
        let tokens = |docs: &[Doc]| docs.iter().map(|d| d.layout.spans.len()).sum::<usize>();
        log.line(&format!(
            "data (train part): PTC {} articles ({} tokens; {ptc_left_out}), PolNeAR {} articles ({} tokens; {polnear_left_out}), CheckThat! {} train sentences ({} tokens; {checkthat_left_out}; dev is sealed)",
            data.ptc.len(),
            tokens(&data.ptc_docs),
            data.polnear.len(),
            tokens(&data.polnear_docs),
            data.checkthat_train.len(),
            tokens(&data.checkthat_train_docs),
        ));
        Ok(data)
    }
}

/// How the base's sizes are passed to the script.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub max_positions: usize,
    pub layer_norm_eps: f64,
    /// Rows of the pruned word embedding.
    pub vocabulary: usize,
    pub techniques: Vec<String>,
    pub roles: Vec<String>,
    pub folds: usize,
    /// The layer `finetune.py` trains the span and technique heads on, as `train model` does.
    pub technique_layer: usize,
    /// How the articles' sentences share windows; `finetune.py` writes it into its results,
    /// and the import refuses data cut otherwise.
    #[serde(default)]
    pub window_pack: Option<usize>,
}

/// Writes [`DATA_FILE`], [`BASE_FILE`] and [`CONFIG_FILE`] into `out`.
pub fn export(base: &Base, data: &Data, out: &Path, folds: usize) -> AnyResult<()> {
    std::fs::create_dir_all(out)?;
    // The pieces the data uses, in id order; the script sees compact ids.
    let mut used: Vec<u32> = [&data.ptc_docs, &data.polnear_docs]
        .into_iter()
        .chain([&data.checkthat_train_docs])
        .flat_map(|docs| docs.iter())
        .chain(std::iter::once(&data.check))
        .flat_map(|d| d.windows.iter().flatten().copied())
        .collect();
    used.sort_unstable();
    used.dedup();
    let compact: HashMap<u32, u32> = used
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();

    let device = Device::Cpu;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, t: Tensor| {
        tensors.insert(name, t);
    };
    // Ids and offsets as u32, labels as u8: half the size of i64, and the bundle has to travel.
    let u32s = |v: Vec<i64>| {
        let v: Vec<u32> = v.into_iter().map(|x| x as u32).collect();
        let n = v.len();
        Tensor::from_vec(v, n, &device)
    };
    let u8s = |v: Vec<i64>| {
        let v: Vec<u8> = v.into_iter().map(|x| x as u8).collect();
        let n = v.len();
        Tensor::from_vec(v, n, &device)
    };
    let mut docs_tensors = |prefix: &str, docs: &[Doc]| -> candle_core::Result<()> {
        let (mut ids, mut win_off, mut doc_win, mut doc_tok) =
            (Vec::new(), vec![0i64], vec![0i64], vec![0i64]);
        for d in docs {
            for w in &d.windows {
                ids.extend(w.iter().map(|id| i64::from(compact[id])));
                win_off.push(ids.len() as i64);
            }
            doc_win.push(win_off.len() as i64 - 1);
            doc_tok.push(doc_tok.last().copied().unwrap_or(0) + d.layout.spans.len() as i64);
        }
        put(format!("{prefix}.ids"), u32s(ids)?);
        put(format!("{prefix}.win_off"), u32s(win_off)?);
        put(format!("{prefix}.doc_win"), u32s(doc_win)?);
        put(format!("{prefix}.doc_tok"), u32s(doc_tok)?);
        Ok(())
    };
    docs_tensors("ptc", &data.ptc_docs)?;
    docs_tensors("polnear", &data.polnear_docs)?;
    docs_tensors("ct_train", &data.checkthat_train_docs)?;
    docs_tensors("check", std::slice::from_ref(&data.check))?;

    let (si, tc, tc_extra, tc_label) = ptc_labels(data);
    put("ptc.si".into(), u8s(si)?);
    let n = tc_label.len();
    put("ptc.tc".into(), u32s(tc)?.reshape((n, 5))?);
    let extras = tier::SPAN_EXTRAS;
    put(
        "ptc.tc_extra".into(),
        Tensor::from_vec(tc_extra, (n, extras), &device)?,
    );
    put(
        "check.extra".into(),
        Tensor::from_vec(check_extras(&data.check), (1, extras), &device)?,
    );
    put("ptc.tc_label".into(), u8s(tc_label)?);
    put("polnear.bio".into(), u8s(bio_labels(data))?);
    let y = |rows: &[(String, bool)]| rows.iter().map(|r| i64::from(r.1)).collect::<Vec<_>>();
    put("ct_train.y".into(), u8s(y(&data.checkthat_train))?);
    let check_sentences: Vec<i64> = data
        .check
        .layout
        .sentences
        .iter()
        .flat_map(|s| [s.tokens.start as i64, s.tokens.end as i64])
        .collect();
    let n = check_sentences.len() / 2;
    put("check.sent".into(), u32s(check_sentences)?.reshape((n, 2))?);
    put(
        "vocab".into(),
        u32s(used.iter().map(|&i| i64::from(i)).collect())?,
    );
    candle_core::safetensors::save(&tensors, out.join(DATA_FILE))?;

    // The base: 4-bit matrices as raw Q4_0 blocks (u8), the rest f32.
    let mut weights: HashMap<String, Tensor> = HashMap::new();
    for (name, w) in &base.tensors {
        let t = match w {
            Weights::F32(v) => Tensor::from_vec(v.clone(), v.len(), &device)?,
            Weights::Q4 { blocks, cols } => {
                let per_row = cols / crate::base::BLOCK * crate::base::BLOCK_BYTES;
                let rows = blocks.len() / per_row;
                if name == "emb.word" {
                    let mut picked = Vec::with_capacity(used.len() * per_row);
                    for &id in &used {
                        let id = id as usize;
                        picked.extend_from_slice(&blocks[id * per_row..(id + 1) * per_row]);
                    }
                    Tensor::from_vec(picked, (used.len(), per_row), &device)?
                } else {
                    Tensor::from_vec(blocks.clone(), (rows, per_row), &device)?
                }
            }
        };
        weights.insert(name.clone(), t);
    }
    candle_core::safetensors::save(&weights, out.join(BASE_FILE))?;
    let c = base.config;
    let config = ExportedConfig {
        hidden: c.hidden,
        layers: c.layers,
        heads: c.heads,
        intermediate: c.intermediate,
        max_positions: c.max_positions,
        layer_norm_eps: c.layer_norm_eps,
        vocabulary: used.len(),
        techniques: Technique::ALL
            .iter()
            .map(|t| t.label().to_string())
            .collect(),
        roles: ROLES.iter().map(|r| r.to_string()).collect(),
        folds,
        technique_layer: crate::train::technique_layer(c.layers),
        window_pack: data.window_pack,
    };
    std::fs::write(
        out.join(CONFIG_FILE),
        serde_json::to_string_pretty(&config)? + "\n",
    )?;
    Ok(())
}

/// Per-token "inside a technique" labels; each gold span as (document, tokens, context
/// tokens), token indices relative to the document, with its [`tier::span_extras`] and its
/// technique.
fn ptc_labels(data: &Data) -> (Vec<i64>, Vec<i64>, Vec<f32>, Vec<i64>) {
    let (mut si, mut tc, mut extras, mut label) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, (a, d)) in data.ptc.iter().zip(&data.ptc_docs).enumerate() {
        for &(start, end) in &d.layout.spans {
            let inside = a.spans.iter().any(|(_, s)| s.start < end && start < s.end);
            si.push(i64::from(inside));
        }
        let doc = DocText::new(&a.text);
        for (technique, span) in &a.spans {
            let tokens = d.layout.tokens_in(span.start, span.end);
            let context = d.layout.context(tokens.clone());
            tc.extend([
                i as i64,
                tokens.start as i64,
                tokens.end as i64,
                context.start as i64,
                context.end as i64,
            ]);
            extras.extend(tier::span_extras(&doc, span.start, span.end, tokens.len()));
            label.push(i64::from(crate::train::technique_index(*technique)));
        }
    }
    (si, tc, extras, label)
}

/// [`tier::span_extras`] of the check text's first sentence, which the check labels.
fn check_extras(check: &Doc) -> Vec<f32> {
    let Some(&(start, end)) = check.sentences.first() else {
        return vec![0.0; tier::SPAN_EXTRAS];
    };
    let doc = DocText::new(&check.text);
    tier::span_extras(&doc, start, end, check.layout.tokens_in(start, end).len()).to_vec()
}

fn bio_labels(data: &Data) -> Vec<i64> {
    let labels = data.polnear.iter().zip(&data.polnear_docs);
    labels
        .flat_map(|(a, d)| bio_tags(a, &d.layout))
        .map(i64::from)
        .collect()
}

/// BIO tags of PolNeAR's roles for each token of `layout`: 0 outside, 1 + 2r at a span's first
/// token, 2 + 2r inside. Longer spans are laid first, so a quote's inner source and cue stay
/// visible.
pub fn bio_tags(a: &Attributed, layout: &Encoded) -> Vec<u8> {
    let mut tags = vec![0u8; layout.spans.len()];
    let mut spans: Vec<(usize, Span)> = a
        .roles
        .iter()
        .enumerate()
        .flat_map(|(r, spans)| spans.iter().map(move |&s| (r, s)))
        .collect();
    spans.sort_by_key(|(_, s)| std::cmp::Reverse(s.end - s.start));
    for (r, s) in spans {
        let tokens = layout.tokens_in(s.start, s.end);
        for t in tokens.clone() {
            tags[t] = if t == tokens.start { 1 } else { 2 } + 2 * r as u8;
        }
    }
    tags
}

/// Exact and overlap counts of source, cue and content over `articles`, each decoded from the
/// tags `tagged(i)` gives for its layout, as the `full` tier reads them; offsets in characters,
/// as `spinscope eval polnear` scores.
pub fn score_roles<'a>(
    articles: &[Attributed],
    tagged: impl Fn(usize) -> (&'a Encoded, &'a [u8]),
) -> [Counts; 3] {
    let mut roles: [Counts; 3] = Default::default();
    for (i, a) in articles.iter().enumerate() {
        let chars = OffsetMap::new(&a.text);
        let to_chars = |s: &Span| Span::new(chars.char_index(s.start), chars.char_index(s.end));
        let (layout, tags) = tagged(i);
        let found = crate::attribution::spans(&a.text, layout, tags);
        for r in 0..3 {
            let predicted: Vec<Span> = found[r]
                .iter()
                .map(|&(s, e)| to_chars(&Span::new(s, e)))
                .collect();
            let gold: Vec<Span> = a.roles[r].iter().map(to_chars).collect();
            roles[r].add(&predicted, &gold);
        }
    }
    roles
}

/// Scores of the fine-tuned model, written to `encoder-scores.json` and quoted in the model card.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Scores {
    /// The epoch shipped: best sum of the four held-out figures below over the checkpoints.
    pub epoch: usize,
    #[serde(flatten)]
    pub techniques: crate::train::TechniqueScores,
    pub polnear_articles: usize,
    /// Exact-match F1 of source, cue and content, out of fold.
    pub polnear_source: Prf,
    pub polnear_cue: Prf,
    pub polnear_content: Prf,
    /// Whether the attribution tags scored are the tier's ([`crate::attribution::constrained_tags`]
    /// over the run's probabilities) or each token's likeliest (runs that kept no probabilities).
    pub polnear_constrained: bool,
    pub checkthat_train: usize,
    /// CheckThat! train, out of fold, at the chosen threshold (chosen on the same predictions).
    pub checkthat_train_f1: f64,
    pub claim_threshold: f32,
    /// Largest difference between PyTorch's and candle's outputs on the check text.
    pub check_max_difference: f32,
    /// Every checkpoint's figures (SI F1, TC F1, source / cue / content F1, CheckThat! out-of-fold F1).
    pub by_epoch: BTreeMap<usize, [f64; 6]>,
}

/// One checkpoint's out-of-fold predictions.
struct Predictions {
    si: Vec<f32>,
    tc: Vec<Vec<f32>>,
    bio: Vec<u8>,
    /// `bio` decoded from probabilities as the tier decodes them (else each token's argmax).
    bio_constrained: bool,
    claims: Vec<f32>,
}

/// The whole number up to `at_most` a results file's `technique.layer`, `attribution.layer` or
/// `window.pack` holds (results of `finetune.py` before it tapped other layers or packed
/// sentences have none: every head read the last, a window per sentence).
fn whole_named(t: &Tensor, at_most: usize, what: &str) -> AnyResult<usize> {
    match t.flatten_all()?.to_vec1::<f32>()?[..] {
        [l] => tier::layer_number(l).filter(|&l| l <= at_most),
        _ => None,
    }
    .ok_or_else(|| format!("{what} is not a whole number up to {at_most}").into())
}

fn floats(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()
}

fn tensor<'a>(tensors: &'a HashMap<String, Tensor>, name: &str) -> AnyResult<&'a Tensor> {
    tensors
        .get(name)
        .ok_or_else(|| format!("{name} missing from the fine-tuning results").into())
}

/// Token offsets of each document in a dataset's flat arrays.
fn offsets(docs: &[Doc]) -> Vec<usize> {
    let mut out = vec![0];
    for d in docs {
        out.push(out.last().copied().unwrap_or(0) + d.layout.spans.len());
    }
    out
}

/// The out-of-fold predictions `finetune.py` wrote: one `oof-eN.safetensors` per checkpoint
/// (each small enough for the trip back from the GPU machine), or one `oof.safetensors` as
/// runs before 2026-12-04 wrote them; keys `eN.…` either way.
fn out_of_fold(results: &Path) -> AnyResult<HashMap<String, Tensor>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(results)
        .map_err(|e| format!("{}: {e}", results.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("oof") && n.ends_with(".safetensors"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!(
            "{}: no oof-eN.safetensors (out-of-fold predictions of scripts/finetune.py)",
            results.display()
        )
        .into());
    }
    let mut all = HashMap::new();
    for path in paths {
        let part = candle_core::safetensors::load(&path, &Device::Cpu)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        all.extend(part);
    }
    Ok(all)
}

/// Step 3: scores `results` (what `scripts/finetune.py` wrote), writes the shipped heads and
/// adapter, the check values and the scores into `out`.
pub fn import(
    base: &Base,
    data: &Data,
    results: &Path,
    out: &Path,
    folds: usize,
    log: &mut Log,
) -> AnyResult<Scores> {
    std::fs::create_dir_all(out)?;
    let oof = out_of_fold(results)?;
    let mut epochs: Vec<usize> = oof
        .keys()
        .filter_map(|k| k.strip_prefix('e')?.split_once('.')?.0.parse().ok())
        .collect();
    epochs.sort_unstable();
    epochs.dedup();
    epochs.retain(|e| results.join(format!("final-e{e}.safetensors")).exists());
    if epochs.is_empty() {
        return Err(format!(
            "{}: no checkpoint with both out-of-fold predictions and a final model",
            results.display()
        )
        .into());
    }
    let folds = folds.max(2);
    let ptc_off = offsets(&data.ptc_docs);
    let pol_off = offsets(&data.polnear_docs);

    let load = |e: usize| -> AnyResult<Predictions> {
        let get = |n: &str| tensor(&oof, &format!("e{e}.{n}"));
        let tc = get("ptc.tc_p")?.to_dtype(DType::F32)?.to_vec2::<f32>()?;
        // Decoded as the tier decodes them where the run kept the probabilities; older runs
        // kept each token's likeliest tag only.
        let bio_constrained = oof.contains_key(&format!("e{e}.polnear.bio_p"));
        let bio = if bio_constrained {
            let p = get("polnear.bio_p")?
                .to_dtype(DType::F32)?
                .to_vec2::<f32>()?;
            pol_off
                .windows(2)
                .flat_map(|d| crate::attribution::constrained_tags(&p[d[0]..d[1]]))
                .collect()
        } else {
            get("polnear.bio")?.flatten_all()?.to_vec1::<u8>()?
        };
        Ok(Predictions {
            si: floats(get("ptc.si_p")?)?,
            tc,
            bio,
            bio_constrained,
            claims: floats(get("ct_train.p")?)?,
        })
    };
    let views: Vec<TextView> = data.ptc.iter().map(|a| TextView::new(&a.text)).collect();
    use crate::train::{best_of as best, f1 as claim_f1};
    let claim_grid = crate::train::claim_grid();
    let ct_y: Vec<u32> = data
        .checkthat_train
        .iter()
        .map(|r| u32::from(r.1))
        .collect();

    // The rule tier's tagger and classifier, out of fold, for the heads' mixes.
    let linear =
        crate::train::linear_out_of_fold(&data.ptc, folds, crate::heads::Training::default().seed);

    // Every checkpoint scored out of fold.
    let mut per_epoch = Vec::new();
    for &e in &epochs {
        let p = load(e)?;
        let spans = crate::train::choose_spans(&data.ptc, &views, folds, &linear.words, |i| {
            (&data.ptc_docs[i].layout, &p.si[ptc_off[i]..ptc_off[i + 1]])
        });
        let si = spans.si;
        let mix = crate::train::choose_technique_mix(&data.ptc, folds, &p.tc, &linear.techniques);
        let tc = mix.mixed_f1;
        let roles = score_roles(&data.polnear, |i| {
            (
                &data.polnear_docs[i].layout,
                &p.bio[pol_off[i]..pol_off[i + 1]],
            )
        });
        let t = best(&claim_grid, |t| claim_f1(&p.claims, &ct_y, t).f1);
        let ct = claim_f1(&p.claims, &ct_y, t).f1;
        let figures = [
            si.f1,
            tc,
            roles[0].exact().f1,
            roles[1].exact().f1,
            roles[2].exact().f1,
            ct,
        ];
        log.line(&format!(
            "epoch {e}: PTC SI P {:.3} R {:.3} F1 {:.3} (span head alone {:.3}), TC {tc:.3}; PolNeAR exact F1 source {:.3} cue {:.3} content {:.3} ({}); CheckThat! train out of fold F1 {ct:.3} at {t:.2}",
            si.precision, si.recall, si.f1, spans.head_si.f1, figures[2], figures[3], figures[4],
            if p.bio_constrained { "tags decoded as the tier does" } else { "each token's likeliest tag: the run kept no probabilities" }
        ));
        per_epoch.push((e, spans, figures, roles, p, mix));
    }

    // The shipped checkpoint: best sum of the held-out figures.
    let chosen = per_epoch
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |b, (k, (_, _, f, _, _, _))| {
            let s: f64 = f[..5].iter().sum::<f64>() + f[5];
            if s > b.1 {
                (k, s)
            } else {
                b
            }
        })
        .0;
    let (epoch, spans, figures, roles, p, mix) = &per_epoch[chosen];
    let technique_mix = mix.weight;
    let claim_threshold = best(&claim_grid, |t| claim_f1(&p.claims, &ct_y, t).f1);

    let final_path = results.join(format!("final-e{epoch}.safetensors"));
    let final_tensors = candle_core::safetensors::load(&final_path, &Device::Cpu)
        .map_err(|e| format!("{}: {e}", final_path.display()))?;
    let mlp = |name: &str| crate::heads::Mlp::from_tensors(name, &final_tensors);
    let adapter: crate::encoder::Adapter = final_tensors
        .iter()
        .filter(|(n, _)| n.starts_with("lora."))
        .map(|(n, t)| Ok((n.clone(), t.to_dtype(DType::F32)?)))
        .collect::<candle_core::Result<_>>()?;
    let heads = tier::Heads {
        span: mlp("span")?,
        technique: mlp("technique")?,
        claim: mlp("claim")?,
        attribution: Some(mlp("attribution")?),
        adapter: Some(adapter),
        span_decoding: spans.decoding,
        claim_threshold,
        technique_mix,
        span_mix: spans.mix,
        // Results of finetune.py before it tapped a middle layer have every head on the last.
        technique_layer: final_tensors
            .get("technique.layer")
            .map(|t| whole_named(t, base.config.layers, "technique.layer"))
            .transpose()
            .map_err(|e| format!("{}: {e}", final_path.display()))?,
        // Results of finetune.py before it took --attribution-layer: the last.
        attribution_layer: final_tensors
            .get("attribution.layer")
            .map(|t| whole_named(t, base.config.layers, "attribution.layer"))
            .transpose()
            .map_err(|e| format!("{}: {e}", final_path.display()))?,
        // Results of finetune.py before it packed sentences: a window per sentence.
        window_pack: final_tensors
            .get("window.pack")
            .map(|t| whole_named(t, MAX_WINDOW, "window.pack"))
            .transpose()
            .map_err(|e| format!("{}: {e}", final_path.display()))?,
    };
    if heads.window_pack != data.window_pack {
        return Err(format!(
            "{}: the run's windows were packed to {:?} tokens, the data here to {:?}: import with the packing it was exported with",
            final_path.display(),
            heads.window_pack,
            data.window_pack
        )
        .into());
    }
    let model = Model::adapted(base, heads.adapter.as_ref())?;
    let check = crate::train::Check::compute(&model, &heads)?;
    let diff = |ours: &[f32], name: &str| -> AnyResult<f32> {
        let theirs = floats(tensor(&final_tensors, name)?)?;
        if theirs.len() < ours.len() {
            return Err(
                format!("{name}: {} values, candle has {}", theirs.len(), ours.len()).into(),
            );
        }
        Ok(ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max))
    };
    let technique_p = floats(tensor(&final_tensors, "check.technique_p")?)?;
    let label_index = Technique::ALL
        .iter()
        .position(|t| t.label() == check.label)
        .unwrap_or(0);
    let check_max_difference = diff(&check.spans, "check.span_p")?
        .max(diff(&check.claims, "check.claim_p")?)
        .max((technique_p.get(label_index).copied().unwrap_or(0.0) - check.label_p).abs());
    let their_tags = tensor(&final_tensors, "check.attribution")?
        .flatten_all()?
        .to_vec1::<u8>()?;
    let tags_differing = check
        .attribution
        .iter()
        .zip(&their_tags)
        .filter(|(a, b)| a != b)
        .count()
        + check.attribution.len().abs_diff(their_tags.len());
    log.line(&format!(
        "check text: candle and PyTorch differ by at most {check_max_difference:.4} (span, claim and label probabilities); attribution tags differ on {tags_differing} of {} tokens",
        their_tags.len()
    ));
    if tags_differing > 1 {
        return Err(format!(
            "candle's attribution tags differ from PyTorch's on {tags_differing} tokens of the check text: not writing the model"
        )
        .into());
    }
    if check_max_difference > 0.02 {
        return Err(format!(
            "candle's adapted encoder disagrees with PyTorch's by {check_max_difference} on the check text: not writing the model"
        )
        .into());
    }

    let scores = Scores {
        epoch: *epoch,
        techniques: crate::train::TechniqueScores::new(data.ptc.len(), spans, mix),
        polnear_articles: data.polnear.len(),
        polnear_source: roles[0].exact(),
        polnear_cue: roles[1].exact(),
        polnear_content: roles[2].exact(),
        polnear_constrained: p.bio_constrained,
        checkthat_train: data.checkthat_train.len(),
        checkthat_train_f1: figures[5],
        claim_threshold,
        check_max_difference,
        by_epoch: per_epoch
            .iter()
            .map(|(e, _, f, _, _, _)| (*e, *f))
            .collect(),
    };
    log.line(&format!(
        "shipped epoch {epoch}: PTC SI F1 {:.3}, TC {:.3}; PolNeAR exact F1 {:.3} / {:.3} / {:.3}; CheckThat! train out of fold F1 {:.3} at {claim_threshold:.2} (all out of fold on the fit split; `spinscope eval` scores the sealed one)",
        spans.si.f1, figures[1], figures[2], figures[3], figures[4], figures[5]
    ));
    crate::train::write_shipped(out, &heads, &check, crate::train::SCORES_FILE, &scores, log)?;
    Ok(scores)
}
