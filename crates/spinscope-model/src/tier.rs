//! The `full` tier: the encoder's heads add findings next to the rules'. Every model finding
//! says `detector: "model"`, carries the head's probability, and its evidence says whether the
//! rules found the same thing.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use spinscope_core::analyze::calibration::{ENCODER_AGREES, RULES_AGREE};
use spinscope_core::analyze::{claims, techniques};
use spinscope_core::report::Extent;
use spinscope_core::{Finding, Lang, Span, Technique, TextView};

use crate::features::{self, Encoded};
use crate::heads::Mlp;
use crate::{Error, Model};

/// The heads' file in `models/`.
pub const HEADS_FILE: &str = "encoder-heads.safetensors";
/// What the heads said on a fixed text when they were trained ([`crate::train::Check`]).
pub const CHECK_FILE: &str = "encoder-check.json";

/// The trained heads over the encoder's states.
#[derive(Debug)]
pub struct Heads {
    /// Token → inside a technique span or not.
    pub span: Mlp,
    /// [`span_features`] → one of the 14 techniques.
    pub technique: Mlp,
    /// Sentence mean → check-worthy or not.
    pub claim: Mlp,
    /// Token → BIO of attribution source, cue, content (fine-tuned models only).
    pub attribution: Option<Mlp>,
    /// The fine-tuned encoder's low-rank updates; `None`: the base as it is.
    pub adapter: Option<crate::encoder::Adapter>,
    pub span_decoding: SpanDecoding,
    pub claim_threshold: f32,
    /// Weight of the technique head against the rule tier's linear classifier in their
    /// log-linear mix on English spans ([`mix_techniques`]); 1: the head alone. Chosen by
    /// cross-validation.
    pub technique_mix: f32,
    /// Weight of the span head against the rule tier's tagger on English words
    /// ([`mix_span_probabilities`]); 1: the head alone. Chosen with the span decoding.
    pub span_mix: f32,
    /// The encoder layer (counted from 1) whose states the span and technique heads read;
    /// `None`: the last, as the claim head (and heads saved before this choice) read.
    pub technique_layer: Option<usize>,
    /// The layer the attribution tagger reads; `None`: the last (the fine-tuned run's tagger).
    pub attribution_layer: Option<usize>,
    /// Consecutive sentences share windows of up to this many tokens, as the heads were trained
    /// ([`features::windows`]); `None`: a window per sentence.
    pub window_pack: Option<usize>,
}

/// A document's states as the heads read them: the technique heads' layer, the attribution
/// tagger's and the last layer's (claims), each encoded once, all from one pass.
#[derive(Debug, Clone)]
pub struct States {
    layers: Vec<Encoded>,
    /// Indices into `layers`.
    techniques: usize,
    attribution: usize,
    last: usize,
}

impl States {
    /// What the span and technique heads read.
    pub fn techniques(&self) -> &Encoded {
        &self.layers[self.techniques]
    }

    /// What the attribution tagger reads.
    pub fn attribution(&self) -> &Encoded {
        &self.layers[self.attribution]
    }

    /// The last layer's states: what the claim head reads.
    pub fn last(&self) -> &Encoded {
        &self.layers[self.last]
    }
}

impl Heads {
    pub fn save(&self, path: &Path) -> candle_core::Result<()> {
        let mut tensors = HashMap::new();
        self.span.tensors("span", &mut tensors);
        self.technique.tensors("technique", &mut tensors);
        self.claim.tensors("claim", &mut tensors);
        if let Some(head) = &self.attribution {
            head.tensors("attribution", &mut tensors);
        }
        for (name, t) in self.adapter.iter().flatten() {
            tensors.insert(name.clone(), t.clone());
        }
        let device = Device::Cpu;
        tensors.insert(
            "span.threshold".into(),
            Tensor::new(&[self.span_decoding.threshold], &device)?,
        );
        tensors.insert(
            "span.extend".into(),
            Tensor::new(&[self.span_decoding.extend], &device)?,
        );
        if let Some(cover) = self.span_decoding.cover {
            tensors.insert("span.cover".into(), Tensor::new(&[cover], &device)?);
        }
        tensors.insert(
            "claim.threshold".into(),
            Tensor::new(&[self.claim_threshold], &device)?,
        );
        tensors.insert(
            "technique.mix".into(),
            Tensor::new(&[self.technique_mix], &device)?,
        );
        tensors.insert("span.mix".into(), Tensor::new(&[self.span_mix], &device)?);
        for (name, layer) in [
            ("technique.layer", self.technique_layer),
            ("attribution.layer", self.attribution_layer),
            ("window.pack", self.window_pack),
        ] {
            if let Some(layer) = layer {
                tensors.insert(name.into(), Tensor::new(&[layer as f32], &device)?);
            }
        }
        candle_core::safetensors::save(&tensors, path)
    }

    /// Reads heads written by [`Heads::save`].
    pub fn from_bytes(bytes: &[u8]) -> candle_core::Result<Heads> {
        let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?;
        let threshold = |name: &str| -> candle_core::Result<f32> {
            tensors
                .get(name)
                .ok_or_else(|| candle_core::Error::Msg(format!("{name} missing")))?
                .to_vec1::<f32>()?
                .first()
                .copied()
                .ok_or_else(|| candle_core::Error::Msg(format!("{name} empty")))
        };
        // Numbers heads saved before them lack: what those heads did (a plain threshold, no
        // mix).
        let or_older = |name: &str, older: f32| {
            if tensors.contains_key(name) {
                threshold(name)
            } else {
                Ok(older)
            }
        };
        // A layer a head reads (none named: the last), or the window packing (none: a window
        // per sentence): whole numbers.
        let whole = |name: &str| match or_older(name, f32::NAN)? {
            l if l.is_nan() => Ok(None),
            l => layer_number(l).map(Some).ok_or_else(|| {
                candle_core::Error::Msg(format!("{name} {l} is not a whole number"))
            }),
        };
        Ok(Heads {
            span: Mlp::from_tensors("span", &tensors)?,
            technique: Mlp::from_tensors("technique", &tensors)?,
            claim: Mlp::from_tensors("claim", &tensors)?,
            attribution: tensors
                .contains_key("attribution.w1")
                .then(|| Mlp::from_tensors("attribution", &tensors))
                .transpose()?,
            adapter: {
                let lora: crate::encoder::Adapter = tensors
                    .iter()
                    .filter(|(name, _)| name.starts_with("lora."))
                    .map(|(name, t)| (name.clone(), t.clone()))
                    .collect();
                (!lora.is_empty()).then_some(lora)
            },
            span_decoding: {
                let seed = threshold("span.threshold")?;
                SpanDecoding {
                    threshold: seed,
                    extend: or_older("span.extend", seed)?,
                    cover: tensors
                        .contains_key("span.cover")
                        .then(|| threshold("span.cover"))
                        .transpose()?,
                }
            },
            claim_threshold: threshold("claim.threshold")?,
            technique_mix: or_older("technique.mix", 1.0)?,
            span_mix: or_older("span.mix", 1.0)?,
            technique_layer: whole("technique.layer")?,
            attribution_layer: whole("attribution.layer")?,
            window_pack: whole("window.pack")?,
        })
    }

    /// The states of the sentences (`(start, end)` bytes of `text`) the heads read, from one pass
    /// of `model`'s encoder.
    pub fn encode(
        &self,
        model: &Model,
        text: &str,
        sentences: &[(usize, usize)],
    ) -> candle_core::Result<States> {
        let last = model.encoder.config.layers;
        let wanted = [
            self.technique_layer.unwrap_or(last),
            self.attribution_layer.unwrap_or(last),
            last,
        ];
        let mut layers = wanted.to_vec();
        layers.sort_unstable();
        layers.dedup();
        let index = |l: usize| layers.iter().position(|&x| x == l).unwrap_or(0);
        let [techniques, attribution, last] = wanted.map(index);
        Ok(States {
            layers: features::encode_layers(
                &model.encoder,
                &model.tokenizer,
                text,
                sentences,
                self.window_pack,
                &layers,
            )?,
            techniques,
            attribution,
            last,
        })
    }

    /// P(inside a technique span) of every token.
    pub fn span_probabilities(&self, e: &Encoded) -> candle_core::Result<Vec<f32>> {
        Ok(token_probabilities(&self.span, e)?
            .into_iter()
            .map(|p| p[1])
            .collect())
    }

    /// The technique head's probability of each technique ([`Technique::ALL`] order) for
    /// bytes `start..end`.
    pub fn technique_probabilities(
        &self,
        e: &Encoded,
        doc: &DocText,
        start: usize,
        end: usize,
    ) -> candle_core::Result<Vec<f32>> {
        let width = self.technique.inputs();
        let x = Tensor::from_vec(
            span_features(e, doc, start, end, width),
            (1, width),
            &Device::Cpu,
        )?;
        Ok(self.technique.probabilities(&x)?.remove(0))
    }

    /// The technique head's likeliest technique of bytes `start..end`, with its probability.
    pub fn label(
        &self,
        e: &Encoded,
        doc: &DocText,
        start: usize,
        end: usize,
    ) -> candle_core::Result<(Technique, f32)> {
        Ok(likeliest(
            &self.technique_probabilities(e, doc, start, end)?,
        ))
    }

    /// The attribution tagger's BIO tags of every token, with their probabilities ([`tags`]);
    /// `None` for heads without a tagger.
    pub fn attribution_tags(
        &self,
        e: &Encoded,
    ) -> candle_core::Result<Option<(Vec<u8>, Vec<f32>)>> {
        self.attribution
            .as_ref()
            .map(|head| tags(head, e))
            .transpose()
    }

    /// The attribution tagger's BIO probabilities of every token; `None` without a tagger.
    pub fn attribution_probabilities(
        &self,
        e: &Encoded,
    ) -> candle_core::Result<Option<Vec<Vec<f32>>>> {
        self.attribution
            .as_ref()
            .map(|head| token_probabilities(head, e))
            .transpose()
    }

    /// P(check-worthy) of every sentence of `e`.
    pub fn claim_probabilities(&self, e: &Encoded) -> candle_core::Result<Vec<f32>> {
        if e.sentences.is_empty() {
            return Ok(Vec::new());
        }
        let x: Vec<f32> = e
            .sentences
            .iter()
            .flat_map(|s| e.mean(s.tokens.clone()))
            .collect();
        let x = Tensor::from_vec(x, (e.sentences.len(), e.hidden_size), &Device::Cpu)?;
        Ok(self
            .claim
            .probabilities(&x)?
            .into_iter()
            .map(|p| p[1])
            .collect())
    }
}

/// The layer a heads file's `*.layer` number names: a whole number, 0 the embeddings.
pub(crate) fn layer_number(l: f32) -> Option<usize> {
    (l >= 0.0 && l.fract() == 0.0 && l < 1e4).then_some(l as usize)
}

/// A BIO tagger's tags of every token of `e` as the `full` tier reads them (the likeliest
/// sequence BIO allows: [`crate::attribution::constrained_tags`]), with each tag's probability.
pub(crate) fn tags(head: &Mlp, e: &Encoded) -> candle_core::Result<(Vec<u8>, Vec<f32>)> {
    let p = token_probabilities(head, e)?;
    let tags = crate::attribution::constrained_tags(&p);
    let confidence = tags
        .iter()
        .zip(&p)
        .map(|(&t, row)| row.get(usize::from(t)).copied().unwrap_or(0.0))
        .collect();
    Ok((tags, confidence))
}

/// A token head's class probabilities of every token of `e`.
pub(crate) fn token_probabilities(head: &Mlp, e: &Encoded) -> candle_core::Result<Vec<Vec<f32>>> {
    if e.spans.is_empty() {
        return Ok(Vec::new());
    }
    let x = Tensor::from_slice(&e.states, (e.spans.len(), e.hidden_size), &Device::Cpu)?;
    head.probabilities(&x)
}

/// The index of the largest of `p`, with its value (the first of equals; 0 for none).
pub(crate) fn argmax(p: &[f32]) -> (usize, f32) {
    p.iter()
        .enumerate()
        .fold((0, f32::MIN), |b, (i, &s)| if s > b.1 { (i, s) } else { b })
}

/// The likeliest technique of probabilities in [`Technique::ALL`] order, with its probability.
pub fn likeliest(p: &[f32]) -> (Technique, f32) {
    let (best, score) = argmax(p);
    (Technique::ALL[best.min(Technique::ALL.len() - 1)], score)
}

/// The technique head's probabilities mixed with the rule tier's linear classifier's:
/// normalised `head^weight × linear^(1 - weight)`. The two err differently (states against
/// words and rule hits): on PTC, held out, the mix labels 63.8% of gold spans right where the
/// head alone (frozen encoder) gets 60.1% and the classifier 56.1%.
pub fn mix_techniques(head: &[f32], linear: &[f32], weight: f32) -> Vec<f32> {
    const FLOOR: f32 = 1e-6;
    let logs: Vec<f32> = head
        .iter()
        .zip(linear)
        .map(|(&h, &l)| weight * (h + FLOOR).ln() + (1.0 - weight) * (l + FLOOR).ln())
        .collect();
    let top = logs.iter().copied().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = logs.iter().map(|&x| (x - top).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|x| x / sum).collect()
}

/// The span head's token probabilities `p` mixed, as [`mix_techniques`] mixes labels, with the
/// rule tier's tagger's probability of the word each piece starts in (`words`, one per token of
/// `view`; `None` where the tagger does not read the sentence: those pieces keep the head's).
pub fn mix_span_probabilities(
    e: &Encoded,
    p: &[f32],
    view: &TextView<'_>,
    words: &[Option<f32>],
    weight: f32,
) -> Vec<f32> {
    if weight >= 1.0 {
        return p.to_vec();
    }
    p.iter()
        .zip(&e.spans)
        .map(|(&p, &(start, _))| {
            let k = view.tokens.partition_point(|t| t.span.end <= start);
            let word = view
                .tokens
                .get(k)
                .filter(|t| t.span.start <= start)
                .and_then(|_| words.get(k).copied().flatten());
            match word {
                Some(q) => mix_techniques(&[p, 1.0 - p], &[q, 1.0 - q], weight)[0],
                None => p,
            }
        })
        .collect()
}

/// Parts of a span's features, each `hidden` wide: see [`span_features`].
pub const SPAN_FEATURE_PARTS: usize = 3;
/// Numbers after the parts: see [`span_extras`].
pub const SPAN_EXTRAS: usize = 2;

/// Width of the technique head's input over an encoder of `hidden` states.
pub fn span_width(hidden: usize) -> usize {
    SPAN_FEATURE_PARTS * hidden + SPAN_EXTRAS
}

/// A document's text with its lower-cased copy (made once per document), for repetition counts.
#[derive(Debug, Clone)]
pub struct DocText<'a> {
    pub text: &'a str,
    pub lower: std::borrow::Cow<'a, str>,
}

impl<'a> DocText<'a> {
    /// `text` with its copy lower-cased here.
    pub fn new(text: &'a str) -> DocText<'a> {
        DocText {
            text,
            lower: text.to_lowercase().into(),
        }
    }
}

/// A span's features, `width` long: the mean state of its tokens, of the sentences around it,
/// the elementwise max over its tokens (TC micro-F1 on the frozen encoder 54.0 -> 58.6, held
/// out), then [`span_extras`]. Older heads read fewer and get the first `width`.
pub fn span_features(
    e: &Encoded,
    doc: &DocText,
    start: usize,
    end: usize,
    width: usize,
) -> Vec<f32> {
    let tokens = e.tokens_in(start, end);
    let mut x = e.mean(tokens.clone());
    x.extend(e.mean(e.context(tokens.clone())));
    if width > x.len() {
        x.extend(e.max(tokens.clone()));
    }
    if width > x.len() {
        x.extend(span_extras(doc, start, end, tokens.len()));
    }
    x.truncate(width);
    x
}

/// ln(1 + times the span's text occurs in the document) and ln(1 + its pieces): repetition
/// and length, which mean and max states cannot carry ("Repetition" is a count, "Loaded
/// language" a word or two).
pub fn span_extras(doc: &DocText, start: usize, end: usize, pieces: usize) -> [f32; 2] {
    let needle = doc.text.get(start..end).unwrap_or("").trim().to_lowercase();
    let occurrences = if needle.is_empty() {
        0
    } else {
        doc.lower.matches(needle.as_str()).count()
    };
    [(occurrences as f32).ln_1p(), (pieces as f32).ln_1p()]
}

/// How token probabilities become technique spans: runs of tokens at or above `extend`, within
/// one sentence, that hold at least one token at or above `threshold`. The lower edge keeps a
/// phrase's weaker words (an article, the object of a loaded verb) in the span a confident
/// token starts; `extend == threshold` is a plain threshold. With `cover`, a sentence whose
/// share of tokens at or above `extend` reaches it, and that holds a span, becomes one span
/// whole: PTC marks whole sentences and clauses (a slogan, a doubt) that per-token runs cut up.
/// All three are chosen by cross-validation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanDecoding {
    pub threshold: f32,
    pub extend: f32,
    pub cover: Option<f32>,
}

impl SpanDecoding {
    pub fn plain(threshold: f32) -> SpanDecoding {
        SpanDecoding {
            threshold,
            extend: threshold,
            cover: None,
        }
    }
}

/// The spans `decoding` reads in the token probabilities `p`, as byte ranges.
pub fn spans_from(e: &Encoded, p: &[f32], decoding: SpanDecoding) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for s in &e.sentences {
        // (start, end, whether a token reached the threshold)
        let mut run: Option<(usize, usize, bool)> = None;
        let mut runs = Vec::new();
        let (mut pieces, mut high) = (0usize, 0usize);
        let mut text = None; // the sentence's first and last byte of token text
        for t in s.tokens.clone() {
            let (start, end) = e.spans[t];
            if start >= end {
                continue; // pieces without text neither extend a run nor end it
            }
            pieces += 1;
            text = Some(text.map_or((start, end), |(a, _)| (a, end)));
            match p.get(t).copied().filter(|&p| p >= decoding.extend) {
                Some(p) => {
                    high += 1;
                    let seeded = p >= decoding.threshold;
                    run = Some(run.map_or((start, end, seeded), |r| (r.0, end, r.2 || seeded)));
                }
                None => runs.extend(run.take()),
            }
        }
        runs.extend(run);
        runs.retain(|r| r.2);
        let covered = decoding
            .cover
            .is_some_and(|c| high as f32 >= c * pieces as f32);
        match text {
            Some(whole) if covered && !runs.is_empty() => out.push(whole),
            _ => out.extend(runs.iter().map(|r| (r.0, r.1))),
        }
    }
    out
}

/// Attributions from tagged spans (bytes, per role as [`crate::finetune::ROLES`]): each cue
/// with the nearest source of its sentence and the nearest content of its sentence or the one
/// before or after (PolNeAR's quotes often run over a sentence). A cue lacking either is left out.
pub fn attribution_triples(
    e: &Encoded,
    found: &[Vec<(usize, usize)>; 3],
) -> Vec<[(usize, usize); 3]> {
    let sentence_of = |at: usize| e.sentences.iter().position(|s| s.start <= at && at < s.end);
    let gap = |a: (usize, usize), b: (usize, usize)| {
        if a.1 <= b.0 {
            b.0 - a.1
        } else {
            a.0.saturating_sub(b.1)
        }
    };
    let nearest = |cue: (usize, usize), spans: &[(usize, usize)], near: &dyn Fn(usize) -> bool| {
        spans
            .iter()
            .copied()
            // Apart from the cue, or around it: a content its source and cue interrupt.
            .filter(|s| !(s.0 < cue.1 && cue.0 < s.1) || (s.0 < cue.0 && cue.1 < s.1))
            .filter(|s| sentence_of(s.0).is_some_and(near))
            .min_by_key(|&s| gap(cue, s))
    };
    let mut out = Vec::new();
    for &cue in &found[1] {
        let Some(here) = sentence_of(cue.0) else {
            continue;
        };
        let source = nearest(cue, &found[0], &|i| i == here);
        let content = nearest(cue, &found[2], &|i| i + 1 >= here && i <= here + 1);
        if let (Some(source), Some(content)) = (source, content) {
            out.push([source, cue, content]);
        }
    }
    out
}

/// Attributions only the encoder found are candidates from this mean tag probability;
/// calibration gives their probability and the report threshold decides which are shown.
/// Agreement with the rules is noted at any probability.
pub const MIN_ATTRIBUTION_P: f32 = 0.5;

/// Model technique spans scoring less (span p, its likeliest token's, × label p), or without a
/// content word, are no candidates at all; calibration and the report threshold decide which of
/// the rest a report shows.
pub const MIN_REPORTED_SCORE: f32 = 0.1;

/// The model's claims are candidates from this probability (the head's own threshold, chosen
/// for F1, may be higher); calibration decides which are shown.
pub const MIN_CLAIM_P: f32 = 0.2;

/// Widens a span to whole words of the text (XLM-R pieces can cut a Chinese word in two) and
/// trims punctuation off its ends ("、颠倒黑白" reads as 颠倒黑白).
pub(crate) fn snap_to_words(view: &TextView<'_>, start: usize, end: usize) -> (usize, usize) {
    let tokens = &view.tokens;
    let first = tokens.partition_point(|t| t.span.end <= start);
    let last = tokens.partition_point(|t| t.span.start < end).max(first);
    let mut words = tokens[first..last].iter().filter(|t| t.is_word());
    match words.next() {
        Some(a) => (a.span.start, words.next_back().unwrap_or(a).span.end),
        None => (start, end),
    }
}

/// The encoder and its heads, loaded once per process.
#[derive(Debug)]
pub struct FullTier {
    model: Model,
    heads: Heads,
    min_score: f32,
}

impl FullTier {
    pub fn new(model: Model, heads: Heads) -> FullTier {
        FullTier {
            model,
            heads,
            min_score: MIN_REPORTED_SCORE,
        }
    }

    /// Reports technique spans down to `min_score` ([`MIN_REPORTED_SCORE`] by default).
    pub fn with_min_score(mut self, min_score: f32) -> FullTier {
        self.min_score = min_score;
        self
    }

    /// The base from [`crate::model_dir`] and the heads built into this binary.
    pub fn load() -> Result<FullTier, Error> {
        let path = crate::model_dir().join(crate::base::FILE_NAME);
        if !path.exists() {
            return Err(Error::Missing(path.display().to_string()));
        }
        let heads = Heads::from_bytes(crate::SHIPPED_HEADS)?;
        let model = Model::adapted(&crate::base::Base::load(&path)?, heads.adapter.as_ref())?;
        // Said once here rather than on every document.
        let layers = model.encoder.config.layers;
        let deepest = heads.technique_layer.max(heads.attribution_layer);
        if let Some(layer) = deepest.filter(|&l| l > layers) {
            return Err(Error::Format(
                HEADS_FILE.into(),
                format!("its heads read layer {layer}; the encoder has {layers}"),
            ));
        }
        Ok(FullTier::new(model, heads))
    }

    /// Adds the model's technique and claim findings (byte offsets) to the rules' `findings`.
    pub fn annotate(&self, view: &TextView<'_>, findings: &mut Vec<Finding>) -> Result<(), Error> {
        let sentences = features::sentence_spans(view);
        let states = self.heads.encode(&self.model, view.text, &sentences)?;
        let e = states.techniques();
        let mut added = Vec::new();
        // The rules' techniques (label, start, end, index in `findings`), looked up per model
        // finding: gathered once, not scanned each time (a long document has thousands of both).
        let mut rule_techniques: Vec<(Technique, usize, usize, usize)> = findings
            .iter()
            .enumerate()
            .filter_map(|(i, f)| match f {
                Finding::Technique { label, extent, .. } => {
                    Some((*label, extent.start, extent.end, i))
                }
                _ => None,
            })
            .collect();
        rule_techniques.sort_by_key(|r| r.1);

        // The rule tier's tagger and classifier, mixed in on English words and spans (they read
        // English). Their rule hits are found again here rather than passed from the fast tier:
        // these leave out the document's metadata, as in training, and cost nothing measurable
        // (bench: full tier 0.95 of the encoder alone).
        let linear = techniques::model::shipped();
        let tagger = linear.filter(|_| self.heads.span_mix < 1.0);
        let classifier = linear.filter(|_| self.heads.technique_mix < 1.0);
        let any_english = view.sentences.iter().any(|s| s.lang == Lang::En);
        let hits = if any_english && (tagger.is_some() || classifier.is_some()) {
            techniques::rule_hits(view)
        } else {
            Vec::new()
        };
        let index = techniques::model::RuleIndex::new(&hits);
        let mut p = self.heads.span_probabilities(e)?;
        if let Some(tagger) = tagger.filter(|_| any_english) {
            let words = tagger.token_probabilities(view, &hits);
            p = mix_span_probabilities(e, &p, view, &words, self.heads.span_mix);
        }
        // The view lower-cases its text once; the rules' repetition counts read it too.
        let doc = DocText {
            text: view.text,
            lower: view.lower().into(),
        };
        let spans = spans_from(e, &p, self.heads.span_decoding);
        for (start, end) in spans {
            let (start, end) = snap_to_words(view, start, end);
            let mut probabilities = self.heads.technique_probabilities(e, &doc, start, end)?;
            let english = view
                .sentence_at(start)
                .is_some_and(|s| view.sentences[s].lang == Lang::En);
            let mixed = match classifier {
                Some(linear) if english => {
                    let span = Span::new(start, end);
                    let theirs = linear.technique_probabilities(view, span, &index);
                    probabilities =
                        mix_techniques(&probabilities, &theirs, self.heads.technique_mix);
                    true
                }
                _ => false,
            };
            let (label, label_p) = likeliest(&probabilities);
            let tokens = e.tokens_in(start, end);
            // The span's most confident token: its edges are weaker by design (they only
            // extend a run), and their mean would rank a long phrase below a lone word.
            let span_p = tokens.clone().map(|t| p[t]).fold(0.0, f32::max);
            let reported = span_p * label_p >= self.min_score
                && (self.min_score <= 0.0
                    || techniques::has_content_word(view, Span::new(start, end)));
            if !reported {
                continue;
            }
            // Rule techniques of this label starting before the span ends; keep those
            // reaching into it.
            let before = rule_techniques.partition_point(|r| r.1 < end);
            let agree: Vec<(Technique, usize, usize, usize)> = rule_techniques[..before]
                .iter()
                .filter(|r| r.0 == label && start < r.2)
                .copied()
                .collect();
            // Where the rules found most of it, their finding says so (with its evidence) rather
            // than a second finding counting the same passage twice in the summary; a span that
            // says much more than the rules' stands on its own.
            if !agree.is_empty() && 2 * covered(&agree, start, end) >= end - start {
                for &(.., i) in &agree {
                    if let Finding::Technique { evidence, .. } = &mut findings[i] {
                        if !evidence.contains(ENCODER_AGREES) {
                            evidence.push_str(&format!(
                                "; {ENCODER_AGREES} (span p={span_p:.2}, label p={label_p:.2})"
                            ));
                        }
                    }
                }
                continue;
            }
            let mut detectors: Vec<&str> = Vec::new();
            for &(.., i) in &agree {
                if let Finding::Technique { detector, .. } = &findings[i] {
                    if !detectors.contains(&detector.as_str()) {
                        detectors.push(detector);
                    }
                }
            }
            let agreement = agreement(&detectors);
            added.push(Finding::Technique {
                label,
                extent: Extent::new(Span::new(start, end)),
                score: round(span_p * label_p),
                detector: "model".into(),
                occurrences: Vec::new(),
                evidence: format!(
                    "encoder heads: span p={span_p:.2}{}, {} p={label_p:.2}{}; {agreement}",
                    if english && tagger.is_some() {
                        " (with the rules' tagger)"
                    } else {
                        ""
                    },
                    label.label(),
                    if mixed {
                        " (mixed with the rules' classifier)"
                    } else {
                        ""
                    },
                ),
            });
        }

        let mut rule_claims: HashMap<(usize, usize), Vec<&str>> = HashMap::new();
        for f in findings.iter() {
            if let Finding::Claim {
                extent, detector, ..
            } = f
            {
                rule_claims
                    .entry((extent.start, extent.end))
                    .or_default()
                    .push(detector.as_str());
            }
        }
        let last = states.last();
        let p = self.heads.claim_probabilities(last)?;
        let mut replaced = std::collections::HashSet::new();
        for (s, &p) in last.sentences.iter().zip(&p) {
            if p < MIN_CLAIM_P.min(self.heads.claim_threshold) {
                continue;
            }
            let rules = rule_claims
                .get(&(s.start, s.end))
                .map_or(&[][..], Vec::as_slice);
            let lang = view
                .sentences
                .binary_search_by_key(&s.start, |v| v.span.start)
                .map_or(Lang::En, |i| view.sentences[i].lang);
            let text = &view.text[s.start..s.end];
            let evidence = format!("encoder head, p={p:.2}; {}", agreement(rules));
            // One finding per sentence: the model's, saying whether the rules agree.
            if !rules.is_empty() {
                replaced.insert((s.start, s.end));
            }
            added.push(Finding::Claim {
                extent: Extent::new(Span::new(s.start, s.end)),
                checkworthy: round(p),
                quantities: claims::quantities(text, lang),
                detector: "model".into(),
                evidence,
            });
        }
        findings.retain(|f| {
            !matches!(f, Finding::Claim { extent, .. } if replaced.contains(&(extent.start, extent.end)))
        });
        self.attributions(view, states.attribution(), findings, &mut added)?;
        findings.extend(added);
        Ok(())
    }

    /// The technique of each given span (bytes of `view.text`), as the tier labels its own
    /// spans: the technique head, mixed on English spans with the rule tier's classifier as
    /// trained (`technique.mix`).
    pub fn classify(&self, view: &TextView<'_>, spans: &[Span]) -> Result<Vec<Technique>, Error> {
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let sentences = features::sentence_spans(view);
        let states = self.heads.encode(&self.model, view.text, &sentences)?;
        let e = states.techniques();
        let doc = DocText {
            text: view.text,
            lower: view.lower().into(),
        };
        let classifier = techniques::model::shipped().filter(|_| self.heads.technique_mix < 1.0);
        let hits = if classifier.is_some() {
            techniques::rule_hits(view)
        } else {
            Vec::new()
        };
        let index = techniques::model::RuleIndex::new(&hits);
        spans
            .iter()
            .map(|span| {
                let mut p = self
                    .heads
                    .technique_probabilities(e, &doc, span.start, span.end)?;
                let english = view
                    .sentence_at(span.start)
                    .is_some_and(|s| view.sentences[s].lang == Lang::En);
                if let Some(linear) = classifier.filter(|_| english) {
                    let theirs = linear.technique_probabilities(view, *span, &index);
                    p = mix_techniques(&p, &theirs, self.heads.technique_mix);
                }
                Ok(likeliest(&p).0)
            })
            .collect()
    }

    /// The attribution tagger's (source, cue, content) triples: where the rules found the same
    /// source and the same cue or content, their finding's evidence says the encoder agrees
    /// (once); the others become `detector: "model"` findings, the source classified as the
    /// rules classify theirs (without the document's outlet, which annotators do not see).
    fn attributions(
        &self,
        view: &TextView<'_>,
        e: &Encoded,
        findings: &mut [Finding],
        added: &mut Vec<Finding>,
    ) -> Result<(), Error> {
        let Some((tags, confidence)) = self.heads.attribution_tags(e)? else {
            return Ok(());
        };
        let found = crate::attribution::spans(view.text, e, &tags);
        let outlet = spinscope_core::analyze::attribution::Outlet::new(None);
        let span = |(s, t): (usize, usize)| Span::new(s, t);
        for [source, cue, content_span] in attribution_triples(e, &found) {
            let mean = |(s, t): (usize, usize)| {
                let tokens = e.tokens_in(s, t);
                tokens.clone().map(|k| confidence[k]).sum::<f32>() / tokens.len().max(1) as f32
            };
            let p = (mean(source) + mean(cue) + mean(content_span)) / 3.0;
            let overlaps = |a: (usize, usize), s: usize, t: usize| s < a.1 && a.0 < t;
            // The same source, and the same cue or content.
            let agreeing = findings.iter_mut().find(|f| match f {
                Finding::Attribution {
                    source: s,
                    cue: c,
                    content,
                    ..
                } => {
                    overlaps(source, s.extent.start, s.extent.end)
                        && (c.as_ref().is_some_and(|c| overlaps(cue, c.start, c.end))
                            || content.is_some_and(|c| overlaps(content_span, c.start, c.end)))
                }
                _ => false,
            });
            if let Some(finding) = agreeing {
                if !view.is_chinese_at(source.0) {
                    adopt_boundaries(view, &outlet, finding, span(source), span(content_span));
                }
                if let Finding::Attribution { evidence, .. } = finding {
                    if !evidence.contains(ENCODER_AGREES) {
                        evidence.push_str(&format!("; {ENCODER_AGREES} (p={p:.2})"));
                    }
                }
                continue;
            }
            if p < MIN_ATTRIBUTION_P {
                continue;
            }
            let Some(a) = spinscope_core::analyze::attribution::from_spans(
                view,
                &outlet,
                span(source),
                span(cue),
                span(content_span),
            ) else {
                continue;
            };
            let mut finding = a.into_finding(view);
            if let Finding::Attribution {
                evidence, score, ..
            } = &mut finding
            {
                *score = round(p);
                evidence.push_str(&format!(
                    "; encoder tags, p={p:.2}; the rules did not find it"
                ));
            }
            added.push(finding);
        }
        Ok(())
    }
}

/// Where the rules and the tagger agree on an English attribution, the tagger's source and
/// content boundaries replace the rules' (it learnt PolNeAR's: on the tune part, source exact
/// F1 69.3 -> 73.2, content 53.7 -> 54.8), if the rules' typer accepts the source as a noun
/// phrase; the rules' cue, detector and score stay (their cues were the more exact: cue F1
/// 68.4 kept, 67.3 adopted), and the evidence says where the boundaries came from. The
/// outlet citing itself keeps the rules' reading: the tier does not know the outlet's name.
/// Rule attributions the tagger does not find stay too: dropping them scored higher on
/// PolNeAR but lost "an expert who asked not to be named told the Global Times".
fn adopt_boundaries(
    view: &TextView<'_>,
    outlet: &spinscope_core::analyze::attribution::Outlet,
    finding: &mut Finding,
    source: Span,
    content: Span,
) {
    let Finding::Attribution {
        cue: Some(cue),
        score,
        detector,
        self_citation: false,
        ..
    } = &*finding
    else {
        return;
    };
    let cue = Span::new(cue.start, cue.end);
    let Some(a) =
        spinscope_core::analyze::attribution::from_spans(view, outlet, source, cue, content)
    else {
        return;
    };
    let (score, detector) = (*score, detector.clone());
    let mut adopted = a.into_finding(view);
    if let Finding::Attribution {
        score: s,
        detector: d,
        evidence,
        ..
    } = &mut adopted
    {
        (*s, *d) = (score, detector);
        evidence.push_str("; source and content boundaries from the encoder's tagger");
    }
    *finding = adopted;
}

impl spinscope_core::Annotator for FullTier {
    fn annotate(&self, view: &TextView<'_>, findings: &mut Vec<Finding>) -> Result<(), String> {
        FullTier::annotate(self, view, findings).map_err(|e| e.to_string())
    }

    fn classify(
        &self,
        view: &TextView<'_>,
        spans: &[Span],
    ) -> Result<Option<Vec<Technique>>, String> {
        FullTier::classify(self, view, spans)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// Bytes of `start..end` that the spans (label, start, end, index) cover, overlaps counted once.
fn covered(spans: &[(Technique, usize, usize, usize)], start: usize, end: usize) -> usize {
    let mut parts: Vec<(usize, usize)> = spans
        .iter()
        .map(|&(_, s, e, _)| (s.max(start), e.min(end)))
        .filter(|(s, e)| s < e)
        .collect();
    parts.sort_unstable();
    let (mut total, mut reached) = (0, start);
    for (s, e) in parts {
        total += e.saturating_sub(s.max(reached));
        reached = reached.max(e);
    }
    total
}

fn agreement(detectors: &[&str]) -> String {
    if detectors.is_empty() {
        "the rules did not find it".into()
    } else {
        format!("{RULES_AGREE} ({})", detectors.join(", "))
    }
}

fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SentenceStates;

    #[test]
    fn agreement_takes_the_taggers_source_and_content_and_keeps_the_rules_cue() {
        // Written for this test: the rules read "Senior officials in the ministry" as the
        // source; the tagger (as PolNeAR marks it) the head phrase only.
        let text = "Senior officials in the ministry said on Monday that the plan had failed.";
        let doc = spinscope_core::Document::from_text("t", text);
        let view = TextView::new(text);
        let rules = spinscope_core::analyze::attribution::find(&doc, &view);
        let mut finding = rules
            .into_iter()
            .next()
            .expect("a rule attribution")
            .into_finding(&view);
        let Finding::Attribution {
            cue,
            detector,
            score,
            ..
        } = finding.clone()
        else {
            panic!("{finding:?}")
        };
        let at = |s: &str| {
            let i = text.find(s).expect("in the text");
            Span::new(i, i + s.len())
        };
        let outlet = spinscope_core::analyze::attribution::Outlet::new(None);
        adopt_boundaries(
            &view,
            &outlet,
            &mut finding,
            at("Senior officials"),
            at("the plan had failed"),
        );
        let Finding::Attribution {
            source,
            cue: kept_cue,
            content,
            detector: d,
            score: sc,
            ..
        } = &finding
        else {
            panic!("{finding:?}")
        };
        assert_eq!(
            &text[source.extent.start..source.extent.end],
            "Senior officials"
        );
        let content = content.expect("content");
        assert_eq!(&text[content.start..content.end], "the plan had failed");
        assert_eq!((kept_cue, d, *sc), (&cue, &detector, score));
        let Finding::Attribution { evidence, .. } = &finding else {
            unreachable!()
        };
        assert!(
            evidence.contains("“Senior officials”") && evidence.contains("encoder's tagger"),
            "{evidence}"
        );
    }

    #[test]
    fn spans_grow_from_confident_tokens_over_weaker_neighbours() {
        // Six words of 4 bytes and a piece without text, in two sentences: tokens 0..4, 4..7.
        let e = Encoded {
            spans: vec![
                (0, 4),
                (5, 9),
                (10, 14),
                (14, 14),
                (20, 24),
                (25, 29),
                (30, 34),
            ],
            sentences: vec![
                SentenceStates {
                    start: 0,
                    end: 15,
                    tokens: 0..4,
                },
                SentenceStates {
                    start: 20,
                    end: 35,
                    tokens: 4..7,
                },
            ],
            ..Encoded::default()
        };
        let p = [0.3, 0.6, 0.35, 0.0, 0.4, 0.45, 0.1];
        // A plain threshold keeps the confident word alone.
        assert_eq!(spans_from(&e, &p, SpanDecoding::plain(0.5)), vec![(5, 9)]);
        // Hysteresis widens it to its weaker neighbours (the textless piece neither ends nor
        // joins a run) and drops a run without a confident token; runs stop at a sentence.
        let wide = SpanDecoding {
            threshold: 0.5,
            extend: 0.25,
            cover: None,
        };
        assert_eq!(spans_from(&e, &p, wide), vec![(0, 14)]);
        let lower = SpanDecoding {
            threshold: 0.45,
            extend: 0.25,
            cover: None,
        };
        assert_eq!(spans_from(&e, &p, lower), vec![(0, 14), (20, 29)]);
        // Missing probabilities end a run rather than panic.
        assert_eq!(spans_from(&e, &p[..2], wide), vec![(0, 9)]);
        // Covering: the second sentence has two of its three text pieces at or above the
        // edge and a span, so it becomes one span, first piece to last, at a cover of 0.6
        // but not 0.7; without a confident token (the wide decoding) it gets none.
        let covering = |cover, d: SpanDecoding| SpanDecoding {
            cover: Some(cover),
            ..d
        };
        assert_eq!(
            spans_from(&e, &p, covering(0.6, lower)),
            vec![(0, 14), (20, 34)]
        );
        assert_eq!(
            spans_from(&e, &p, covering(0.7, lower)),
            vec![(0, 14), (20, 29)]
        );
        assert_eq!(spans_from(&e, &p, covering(0.6, wide)), vec![(0, 14)]);
    }

    #[test]
    fn span_probabilities_mix_with_the_tagger_where_it_read_the_word() {
        let view = TextView::new("Loaded words here");
        // Pieces: "Load", "ed" (inside the first word), "words", "here".
        let e = Encoded {
            spans: vec![(0, 4), (4, 6), (7, 12), (13, 17)],
            ..Encoded::default()
        };
        let p = [0.5, 0.5, 0.2, 0.3];
        let words: Vec<Option<f32>> = view
            .tokens
            .iter()
            .map(|t| match t.span.slice(view.text) {
                "Loaded" => Some(0.9),
                "here" => Some(0.1),
                _ => None,
            })
            .collect();
        assert_eq!(mix_span_probabilities(&e, &p, &view, &words, 1.0), p);
        let tagger = mix_span_probabilities(&e, &p, &view, &words, 0.0);
        let close = |a: f32, b: f32| (a - b).abs() < 1e-4;
        assert!(close(tagger[0], 0.9) && close(tagger[1], 0.9), "{tagger:?}");
        assert!(
            close(tagger[2], 0.2),
            "a word the tagger did not read keeps the head's"
        );
        assert!(close(tagger[3], 0.1), "{tagger:?}");
        // Half and half: sqrt(0.5 × 0.9) / (sqrt(0.5 × 0.9) + sqrt(0.5 × 0.1)) = 0.75.
        let half = mix_span_probabilities(&e, &p, &view, &words, 0.5);
        assert!(close(half[0], 0.75), "{half:?}");
        // Fewer words than tokens (a view of another text) leave the head's probabilities.
        assert_eq!(mix_span_probabilities(&e, &p, &view, &[], 0.5), p);
    }

    #[test]
    fn each_cue_takes_the_nearest_source_and_content_around_it() {
        // Two sentences: bytes 0..50 and 50..100.
        let e = Encoded {
            sentences: vec![
                SentenceStates {
                    start: 0,
                    end: 50,
                    tokens: 0..0,
                },
                SentenceStates {
                    start: 50,
                    end: 100,
                    tokens: 0..0,
                },
            ],
            ..Encoded::default()
        };
        let found = [
            vec![(0, 5), (20, 25), (60, 65)],   // sources
            vec![(26, 30), (66, 70), (90, 95)], // cues
            vec![(31, 48), (71, 80)],           // contents
        ];
        let triples = attribution_triples(&e, &found);
        assert_eq!(
            triples,
            vec![
                [(20, 25), (26, 30), (31, 48)],
                [(60, 65), (66, 70), (71, 80)],
                // The last cue has a source in its sentence, and the nearest content.
                [(60, 65), (90, 95), (71, 80)],
            ]
        );
        // A cue with no source in its sentence is left out.
        let lonely = [vec![(0, 5)], vec![(66, 70)], vec![(71, 80)]];
        assert!(attribution_triples(&e, &lonely).is_empty());
        // A content around its source and cue ("the economy, he said, is fine") is theirs;
        // one that only overlaps the cue is not.
        let around = [vec![(12, 14)], vec![(15, 19)], vec![(0, 30)]];
        assert_eq!(
            attribution_triples(&e, &around),
            vec![[(12, 14), (15, 19), (0, 30)]]
        );
        let across = [vec![(12, 14)], vec![(15, 19)], vec![(17, 30)]];
        assert!(attribution_triples(&e, &across).is_empty());
    }

    #[test]
    fn span_features_are_mean_context_max_and_extras_unless_the_head_is_older() {
        // Three one-byte tokens of width 2 in one sentence.
        let e = Encoded {
            hidden_size: 2,
            spans: vec![(0, 1), (1, 2), (2, 3)],
            states: vec![1.0, -4.0, 3.0, 0.0, 5.0, 2.0],
            sentences: vec![crate::features::SentenceStates {
                start: 0,
                end: 3,
                tokens: 0..3,
            }],
        };
        let doc = DocText::new("AbA");
        // The span is the first two tokens.
        let x = span_features(&e, &doc, 0, 2, span_width(2));
        let extras = [1f32.ln_1p(), 2f32.ln_1p()];
        assert_eq!(x[..6], [2.0, -2.0, 3.0, -2.0 / 3.0, 3.0, 0.0]);
        assert_eq!(x[6..], extras);
        assert_eq!(span_features(&e, &doc, 0, 2, 6), x[..6].to_vec());
        assert_eq!(span_features(&e, &doc, 0, 2, 4), x[..4].to_vec());
    }

    #[test]
    fn the_technique_mix_weighs_head_against_classifier() {
        let head = [0.5, 0.05, 0.45];
        let linear = [0.05, 0.5, 0.45];
        let top = |p: &[f32]| {
            p.iter()
                .enumerate()
                .fold((0, f32::MIN), |b, (i, &x)| if x > b.1 { (i, x) } else { b })
                .0
        };
        assert_eq!(top(&mix_techniques(&head, &linear, 1.0)), 0);
        assert_eq!(top(&mix_techniques(&head, &linear, 0.0)), 1);
        // Half and half: the label both find likely wins over each one's favourite.
        let mixed = mix_techniques(&head, &linear, 0.5);
        assert_eq!(top(&mixed), 2);
        assert!((mixed.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        // A zero probability does not make the mix undefined.
        assert!(mix_techniques(&[1.0, 0.0], &[0.0, 1.0], 0.5)
            .iter()
            .all(|p| p.is_finite()));
    }

    #[test]
    fn span_extras_count_the_text_in_any_case_and_the_pieces() {
        let text = "Lies. LIES and lies, never truth";
        let doc = DocText::new(text);
        // "Lies" (padded with a space it trims) occurs three times; an empty span never does.
        assert_eq!(span_extras(&doc, 0, 4, 1), [3f32.ln_1p(), 1f32.ln_1p()]);
        assert_eq!(span_extras(&doc, 5, 6, 0), [0.0, 0.0]);
        // Offsets off a character boundary or past the end count nothing rather than panic.
        assert_eq!(span_extras(&doc, 0, 99, 2)[0], 0.0);
    }

    #[test]
    fn model_spans_snap_to_whole_words_without_end_punctuation() {
        let text = "他们颠倒黑白、造谣。 A \"disgraceful\" lie";
        let view = TextView::new(text);
        let find = |part: &str| {
            let at = text.find(part).expect(part);
            (at, at + part.len())
        };
        // A piece ending inside a word is widened; punctuation at either end is dropped.
        let (s, e) = find("、造谣。");
        assert_eq!(snap_to_words(&view, s, e), find("造谣"));
        let (s, e) = find("\"disgraceful\"");
        assert_eq!(snap_to_words(&view, s, e - 3), find("disgraceful"));
        let (s, _) = find("lie");
        assert_eq!(snap_to_words(&view, s, s + 1), find("lie"));
    }
}
