//! The learned part of the explainable tier: a token tagger that proposes technique spans (SI)
//! and a span classifier that names the technique (TC), both linear over hashed features of the
//! words, their context and what the rules found. Trained by `spinscope train techniques`;
//! weights in `models/`. English sentences only: the features are English words.

use std::sync::OnceLock;

use super::Hit;
use crate::doc::{Lang, Span};
use crate::learn::features::{hash_parts, Prefix};
use crate::learn::linear::sigmoid;
use crate::learn::{Features, Linear, TrainConfig};
use crate::report::Technique;
use crate::text::{lowercase, Sentence, TextView, TokenKind};

const TC_BITS: u32 = 16;
const SI_BITS: u32 = 18;
/// The longest sentence, in tokens, the tagger reads.
const MAX_SENTENCE_TOKENS: usize = 300;
/// Tokens below the threshold a proposed span may bridge.
const MAX_GAP: usize = 0;

/// One training article: its view, the rule hits, and gold (technique, byte span) pairs.
pub type TrainingDoc<'a> = (TextView<'a>, Vec<Hit>, Vec<(Technique, Span)>);

/// The two models and the tagger's decision threshold.
#[derive(Debug, Clone)]
pub struct TechniqueModels {
    pub tc: Linear,
    pub si: Linear,
    pub threshold: f32,
}

const TC_WEIGHTS: &[u8] = include_bytes!("../../../../../models/techniques-tc.bin");
const SI_WEIGHTS: &[u8] = include_bytes!("../../../../../models/techniques-si.bin");
/// Chosen by cross-validation when the shipped weights were trained (see the model card).
pub const SHIPPED_THRESHOLD: f32 = 0.2;

/// The shipped models, or `None` when the build carries no (valid) weights.
pub fn shipped() -> Option<&'static TechniqueModels> {
    static MODELS: OnceLock<Option<TechniqueModels>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let tc = Linear::read(TC_WEIGHTS).ok()?;
            let si = Linear::read(SI_WEIGHTS).ok()?;
            (tc.classes == Technique::ALL.len() && si.classes == 1).then_some(TechniqueModels {
                tc,
                si,
                threshold: SHIPPED_THRESHOLD,
            })
        })
        .as_ref()
}

fn word_of(view: &TextView<'_>, span: Span) -> String {
    let word = lowercase(span.slice(view.text));
    if word.contains('’') {
        word.replace('’', "'")
    } else {
        word.into_owned()
    }
}

fn shape(w: &str) -> &'static str {
    let mut cs = w.chars();
    match cs.next() {
        Some(c) if c.is_uppercase() => {
            if w.chars().all(|c| !c.is_lowercase()) && w.chars().count() > 1 {
                "XX"
            } else {
                "Xx"
            }
        }
        Some(c) if c.is_numeric() => "d",
        Some(c) if c.is_alphabetic() => "x",
        _ => "p",
    }
}

/// Most words of the sentence bag a token sees.
const BAG: usize = 40;

/// What the tagger needs per token, computed once per document in linear time (a 50 MB line is
/// one sentence; nothing here may look at the whole sentence per token).
struct Context {
    /// Rule techniques covering each token.
    cover: Vec<Vec<Technique>>,
    /// Tokens inside a quotation.
    quoted: Vec<bool>,
    /// Tokens covered by some rule, per sentence.
    sentence_rules: Vec<usize>,
    /// Whether each sentence has an exclamation mark, a question mark.
    marks: Vec<(bool, bool)>,
    /// Lower-cased words of the tokens the tagger reads (empty elsewhere).
    words: Vec<String>,
    /// Per sentence the tagger reads: its first words (token, hashed "sw=" feature).
    bags: Vec<Vec<(usize, u32)>>,
}

impl Context {
    fn new(view: &TextView<'_>, rules: &[Hit]) -> Self {
        let toks = &view.tokens;
        let mut cover = vec![Vec::new(); toks.len()];
        for h in rules {
            let from = toks.partition_point(|t| t.span.end <= h.span.start);
            for (i, t) in toks.iter().enumerate().skip(from) {
                if t.span.start >= h.span.end {
                    break;
                }
                cover[i].push(h.technique);
            }
        }
        let mut quoted = vec![false; toks.len()];
        for q in view.quotes.iter().filter(|q| q.depth == 0) {
            let from = toks.partition_point(|t| t.span.start < q.content.start);
            for (i, t) in toks.iter().enumerate().skip(from) {
                if t.span.end > q.content.end {
                    break;
                }
                quoted[i] = true;
            }
        }
        let sentence_rules = view
            .sentences
            .iter()
            .map(|s| s.tokens.clone().filter(|&j| !cover[j].is_empty()).count())
            .collect();
        let marks = view
            .sentences
            .iter()
            .map(|s| {
                let text = s.span.slice(view.text);
                (text.contains('!'), text.contains('?'))
            })
            .collect();
        let mut words = vec![String::new(); toks.len()];
        let mut bags = vec![Vec::new(); view.sentences.len()];
        let probe = Features::new(SI_BITS, false);
        for (si, s) in view.sentences.iter().enumerate() {
            if s.tokens.len() > MAX_SENTENCE_TOKENS {
                continue;
            }
            for j in s.tokens.clone() {
                words[j] = word_of(view, toks[j].span);
            }
            bags[si] = s
                .tokens
                .clone()
                .take(60)
                .filter(|&j| toks[j].kind == TokenKind::Word)
                .map(|j| (j, probe.bucket(hash_parts(&["sw=", &words[j]]))))
                .collect();
        }
        Context {
            cover,
            quoted,
            sentence_rules,
            marks,
            words,
            bags,
        }
    }

    /// The bag entries token `i` sees (the first [`BAG`] of its sentence's, itself excepted:
    /// the slice may hold `i`, to be skipped) and the weight each gets.
    fn others(&self, sentence: usize, i: usize) -> (&[(usize, u32)], f32) {
        let bag = &self.bags[sentence];
        let within = bag.iter().take(BAG).any(|&(j, _)| j == i);
        let seen = if within { BAG + 1 } else { BAG };
        let others = &bag[..bag.len().min(seen)];
        let count = others.len() - usize::from(within);
        (others, 1.0 / (count.max(1) as f32).sqrt())
    }
}

/// Features of token `i` for the span tagger.
fn token_features(
    view: &TextView<'_>,
    i: usize,
    sentence: usize,
    ctx: &Context,
    keep: bool,
) -> Features {
    let mut f = Features::new(SI_BITS, keep);
    own_features(view, i, sentence, ctx, &mut f);
    // The sentence's other words, weakly: some sentences are propaganda through and through.
    let (others, weight) = ctx.others(sentence, i);
    for &(j, bucket) in others.iter().filter(|&&(j, _)| j != i) {
        f.add_bucket(bucket, weight, || format!("sw={}", ctx.words[j]));
    }
    f
}

/// Token `i`'s features but the sentence bag (see [`Context::others`]), appended to `f`.
fn own_features(view: &TextView<'_>, i: usize, sentence: usize, ctx: &Context, f: &mut Features) {
    let cover = &ctx.cover;
    let toks = &view.tokens;
    let s = &view.sentences[sentence];
    let w = |j: isize| -> &str {
        let k = i as isize + j;
        if k < s.tokens.start as isize || k >= s.tokens.end as isize {
            return "<s>";
        }
        &ctx.words[k as usize]
    };
    const WINDOW: [(isize, Prefix); 7] = [
        (0, Prefix::new("w=")),
        (-1, Prefix::new("w-1=")),
        (1, Prefix::new("w+1=")),
        (-2, Prefix::new("w-2=")),
        (2, Prefix::new("w+2=")),
        (-3, Prefix::new("w-3=")),
        (3, Prefix::new("w+3=")),
    ];
    const BEFORE: Prefix = Prefix::new("b-=");
    const AFTER: Prefix = Prefix::new("b+=");
    let w0 = w(0);
    for (at, prefix) in &WINDOW {
        f.set_prefixed(prefix, &[w(*at)]);
    }
    f.set_prefixed(&BEFORE, &[w(-1), "|", w0]);
    f.set_prefixed(&AFTER, &[w0, "|", w(1)]);
    f.set("shape=", shape(toks[i].span.slice(view.text)));
    if w0.chars().count() > 4 {
        let cut = w0.char_indices().rev().nth(2).map_or(0, |(b, _)| b);
        f.set("suf=", &w0[cut..]);
    }
    for t in &cover[i] {
        f.set("rule=", t.label());
    }
    if !cover[i].is_empty() {
        f.set("rule", "");
    }
    // Rules nearby: techniques often span more than the trigger word.
    for j in [i.saturating_sub(2), i.saturating_sub(1), i + 1, i + 2] {
        if j != i && j < cover.len() && !cover[j].is_empty() && s.tokens.contains(&j) {
            f.set("near-rule", "");
            break;
        }
    }
    // How much the rules found in the whole sentence: techniques cluster in sentences.
    f.set(
        "srules=",
        bucket(ctx.sentence_rules[sentence], &[0, 1, 2, 4]),
    );
    if ctx.quoted[i] {
        f.set("quoted", "");
    }
    let len = s.tokens.len();
    f.set("slen=", bucket(len, &[5, 10, 20, 40]));
    let pos = i - s.tokens.start;
    f.set(
        "pos=",
        if pos == 0 {
            "first"
        } else if pos + 1 == len {
            "last"
        } else {
            "mid"
        },
    );
    let (exclamation, question) = ctx.marks[sentence];
    if exclamation {
        f.set("s!", "");
    }
    if question {
        f.set("s?", "");
    }
    f.add("bias-si", 1.0);
}

/// Features of a candidate span for the technique classifier.
/// Rule hits sorted by start, so the hits overlapping a span are found in O(log n + k): a scan
/// of every hit per span made long documents quadratic.
#[derive(Debug)]
pub struct RuleIndex<'h> {
    hits: Vec<&'h Hit>,
    longest: usize,
}

impl<'h> RuleIndex<'h> {
    pub fn new(hits: &'h [Hit]) -> Self {
        let mut sorted: Vec<&Hit> = hits.iter().collect();
        sorted.sort_by_key(|h| h.span.start);
        let longest = hits.iter().map(|h| h.span.len()).max().unwrap_or(0);
        RuleIndex {
            hits: sorted,
            longest,
        }
    }

    /// The hits overlapping `span`: only those starting within `longest` bytes before it can.
    pub fn overlapping(&self, span: Span) -> impl Iterator<Item = &'h Hit> + '_ {
        let from = self
            .hits
            .partition_point(|h| h.span.start + self.longest <= span.start);
        let to = self.hits.partition_point(|h| h.span.start < span.end);
        self.hits[from..to.max(from)]
            .iter()
            .copied()
            .filter(move |h| h.span.overlaps(&span))
    }
}

pub fn span_features(
    view: &TextView<'_>,
    span: Span,
    rules: &RuleIndex<'_>,
    keep: bool,
) -> Features {
    let mut f = Features::new(TC_BITS, keep);
    let from = view.tokens.partition_point(|t| t.span.start < span.start);
    let inside: Vec<usize> = (from..view.tokens.len())
        .take_while(|&i| view.tokens[i].span.end <= span.end)
        .collect();
    let words: Vec<String> = inside
        .iter()
        .map(|&i| word_of(view, view.tokens[i].span))
        .collect();
    for w in &words {
        f.set("w=", w);
    }
    for pair in words.windows(2) {
        f.set_parts(&["b=", &pair[0], "|", &pair[1]]);
    }
    if let (Some(first), Some(last)) = (words.first(), words.last()) {
        f.set("first=", first);
        f.set("last=", last);
    }
    let n = words
        .iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    f.set("len=", bucket(n, &[1, 2, 3, 5, 10, 20]));
    if let (Some(&a), Some(&b)) = (inside.first(), inside.last()) {
        for (name, j) in [("L1=", a.checked_sub(1)), ("L2=", a.checked_sub(2))] {
            if let Some(j) = j {
                f.set(name, &word_of(view, view.tokens[j].span));
            }
        }
        for (name, j) in [("R1=", b + 1), ("R2=", b + 2)] {
            if let Some(t) = view.tokens.get(j) {
                f.set(name, &word_of(view, t.span));
            }
        }
    }
    for h in rules.overlapping(span) {
        f.set("rule=", h.technique.label());
    }
    // Repetition: how often the span's words occur in the document.
    let lower = span.slice(view.text).to_lowercase();
    if lower.len() >= 3 {
        // Within 32 KB either side: the article, and bounded work on a 50 MB line.
        let window = around(view.lower(), span, 32 * 1024);
        let count = window.matches(lower.as_str()).count();
        f.set("rep=", bucket(count, &[1, 2, 3, 5]));
    }
    let text = span.slice(view.text);
    for (c, name) in [
        ('!', "has!"),
        ('?', "has?"),
        ('"', "hasquote"),
        ('“', "hasquote"),
    ] {
        if text.contains(c) {
            f.set(name, "");
        }
    }
    if let Some(s) = view.sentence_at(span.start) {
        let ratio = span.len() * 10 / view.sentences[s].span.len().max(1);
        f.set("cover=", bucket(ratio, &[2, 5, 8]));
    }
    f.add("bias-tc", 1.0);
    f
}

/// `span` widened by up to `margin` bytes each side, on character boundaries.
fn around(text: &str, span: Span, margin: usize) -> &str {
    let mut a = span.start.saturating_sub(margin);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (span.end + margin).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    // (`text` may be a lower-cased copy whose length differs a little from the original's.)
    &text[a.min(b)..b]
}

/// Whether the tagger reads a sentence: English prose. A "sentence" of thousands of tokens (a
/// table, a run-on dump) is left to the rules.
fn tagger_reads(s: &Sentence) -> bool {
    s.lang == Lang::En && s.tokens.len() <= MAX_SENTENCE_TOKENS
}

fn bucket(n: usize, edges: &[usize]) -> &'static str {
    const NAMES: [&str; 8] = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"];
    let i = edges.iter().position(|&e| n <= e).unwrap_or(edges.len());
    NAMES[i.min(NAMES.len() - 1)]
}

impl TechniqueModels {
    /// Technique spans the tagger proposes in English sentences, labelled by the classifier;
    /// only those that can reach `min_score` (0: all of them).
    pub fn find(&self, view: &TextView<'_>, rules: &[Hit], min_score: f32) -> Vec<Hit> {
        // A span scores sqrt(p * q) with q <= 1, so a run whose best token is below
        // min_score² cannot reach min_score: the classifier (a tenth of the analysis) is
        // spared (the margin absorbs rounding).
        let least_p = min_score * min_score * 0.999;
        let keep = |r: &(usize, usize, f32)| r.2 >= least_p;
        let ctx = Context::new(view, rules);
        let rules = &RuleIndex::new(rules);
        let mut out = Vec::new();
        let mut features = Features::new(SI_BITS, false);
        for (si, s) in view.sentences.iter().enumerate() {
            if !tagger_reads(s) {
                continue;
            }
            let probabilities = self.tagger_probabilities(view, si, &ctx, &mut features);
            let mut run: Option<(usize, usize, f32)> = None;
            let mut gap = 0;
            for (i, p) in s.tokens.clone().zip(probabilities) {
                let word = view.tokens[i].kind != TokenKind::Punct;
                if p >= self.threshold && word {
                    run = Some(match run {
                        Some((a, _, m)) => (a, i, m.max(p)),
                        None => (i, i, p),
                    });
                    gap = 0;
                } else if run.is_some() {
                    gap += 1;
                    if gap > MAX_GAP {
                        out.extend(run.take().filter(keep).map(|r| self.label(view, r, rules)));
                        gap = 0;
                    }
                }
            }
            out.extend(run.take().filter(keep).map(|r| self.label(view, r, rules)));
        }
        out
    }

    /// The tagger's probability of each token of the text being inside a technique span, where
    /// it reads the sentence (English, not overlong); what the learned tier mixes with its own.
    pub fn token_probabilities(&self, view: &TextView<'_>, rules: &[Hit]) -> Vec<Option<f32>> {
        let ctx = Context::new(view, rules);
        let mut features = Features::new(SI_BITS, false);
        let mut out = vec![None; view.tokens.len()];
        for (si, s) in view.sentences.iter().enumerate() {
            if !tagger_reads(s) {
                continue;
            }
            let probabilities = self.tagger_probabilities(view, si, &ctx, &mut features);
            for (i, p) in s.tokens.clone().zip(probabilities) {
                out[i] = Some(p);
            }
        }
        out
    }

    /// The tagger's probability for each token of sentence `si`. The same as scoring
    /// [`token_features`], but the bag's part of the score is summed once per sentence (the model
    /// is linear): per token the bag was two thirds of the features.
    fn tagger_probabilities(
        &self,
        view: &TextView<'_>,
        si: usize,
        ctx: &Context,
        features: &mut Features,
    ) -> Vec<f32> {
        let bag_weights: Vec<f32> = ctx.bags[si]
            .iter()
            .take(BAG + 1)
            .map(|&(_, b)| self.si.weight(b, 0))
            .collect();
        let sum = |n: usize| bag_weights.iter().take(n).sum::<f32>();
        let (sum_without, sum_with) = (sum(BAG), sum(BAG + 1));
        view.sentences[si]
            .tokens
            .clone()
            .map(|i| {
                features.clear();
                own_features(view, i, si, ctx, features);
                let (others, weight) = ctx.others(si, i);
                let bag_sum = match others.iter().position(|&(j, _)| j == i) {
                    Some(k) => sum_with - bag_weights[k],
                    None => sum_without,
                };
                sigmoid(self.si.score(features, 0) + weight * bag_sum)
            })
            .collect()
    }

    fn label(
        &self,
        view: &TextView<'_>,
        (a, b, p): (usize, usize, f32),
        rules: &RuleIndex<'_>,
    ) -> Hit {
        let span = view.tokens[a].span.cover(&view.tokens[b].span);
        let x = span_features(view, span, rules, true);
        let (technique, q) = self.best_technique(&x);
        let score = (p * q).sqrt();
        // Formatting the strongest features is costly; only spans a report shows need them.
        let evidence = if score >= super::CANDIDATE_MIN_SCORE {
            self.explanation(&x, technique, q)
        } else {
            format!("linear model, p={q:.2}")
        };
        Hit {
            technique,
            span,
            score,
            detector: "model:linear",
            evidence,
            occurrences: Vec::new(),
        }
    }

    /// The most likely technique for a span's features, and its probability.
    fn best_technique(&self, x: &Features) -> (Technique, f32) {
        let p = self.tc.probabilities(x);
        let (best, prob) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or((0, 0.0), |(i, &q)| (i, q));
        (Technique::ALL[best.min(Technique::ALL.len() - 1)], prob)
    }

    /// The classifier's probability of each technique (in [`Technique::ALL`] order) for a span.
    pub fn technique_probabilities(
        &self,
        view: &TextView<'_>,
        span: Span,
        rules: &RuleIndex<'_>,
    ) -> Vec<f32> {
        self.tc
            .probabilities(&span_features(view, span, rules, false))
    }

    /// The most likely technique for a span (no explanation).
    pub fn technique_of(
        &self,
        view: &TextView<'_>,
        span: Span,
        rules: &RuleIndex<'_>,
    ) -> Technique {
        self.best_technique(&span_features(view, span, rules, false))
            .0
    }

    /// The most likely technique for a span, its probability, and the features behind it.
    pub fn classify(
        &self,
        view: &TextView<'_>,
        span: Span,
        rules: &RuleIndex<'_>,
    ) -> (Technique, f32, String) {
        let x = span_features(view, span, rules, true);
        let (technique, prob) = self.best_technique(&x);
        (technique, prob, self.explanation(&x, technique, prob))
    }

    /// The evidence of a classification: the probability and the strongest features.
    fn explanation(&self, x: &Features, technique: Technique, prob: f32) -> String {
        let best = Technique::ALL
            .iter()
            .position(|&t| t == technique)
            .unwrap_or(0);
        let why: Vec<String> = self
            .tc
            .explain(x, best, 3)
            .into_iter()
            .map(|(name, w)| format!("{name} (+{w:.2})"))
            .collect();
        format!(
            "linear model, p={prob:.2}; strongest features: {}",
            why.join(", ")
        )
    }

    /// Trains both models on articles (offsets in bytes of their texts).
    pub fn train(docs: &[TrainingDoc<'_>], cfg: &TrainConfig) -> TechniqueModels {
        let mut tc_data = Vec::new();
        let mut si_data = Vec::new();
        for (view, rules, gold) in docs {
            let index = RuleIndex::new(rules);
            for (t, span) in gold {
                let class = Technique::ALL.iter().position(|x| x == t).unwrap_or(0);
                tc_data.push((span_features(view, *span, &index, false), class));
            }
            let ctx = Context::new(view, rules);
            for (si, s) in view.sentences.iter().enumerate() {
                for i in s.tokens.clone() {
                    let t = view.tokens[i].span;
                    let y = gold.iter().any(|(_, g)| g.overlaps(&t)) as usize;
                    si_data.push((token_features(view, i, si, &ctx, false), y));
                }
            }
        }
        let tc = Linear::train(TC_BITS, Technique::ALL.len(), &tc_data, cfg);
        let si = Linear::train(
            SI_BITS,
            1,
            &si_data,
            &TrainConfig {
                epochs: cfg.epochs.min(5),
                ..*cfg
            },
        );
        TechniqueModels {
            tc,
            si,
            threshold: SHIPPED_THRESHOLD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summing_the_bag_once_scores_as_the_full_features_do() {
        let models = shipped().expect("the build ships the technique models");
        // Sentences longer and shorter than the bag, words repeated, a rule or two.
        let long: Vec<String> = (0..70).map(|k| format!("word{}", k % 23)).collect();
        let text = format!(
            "This shameful farce must end now! Everyone knows the so-called experts lied. {}. \
             Why would anyone believe them?",
            long.join(" ")
        );
        let view = TextView::new(&text);
        let rules = super::super::rules(&view, &[]);
        let ctx = Context::new(&view, &rules);
        let mut scratch = Features::new(SI_BITS, false);
        let mut compared = 0;
        for si in 0..view.sentences.len() {
            let fast = models.tagger_probabilities(&view, si, &ctx, &mut scratch);
            for (i, p) in view.sentences[si].tokens.clone().zip(fast) {
                let full = models
                    .si
                    .probabilities(&token_features(&view, i, si, &ctx, false))[0];
                assert!((p - full).abs() < 1e-5, "token {i}: {p} vs {full}");
                compared += 1;
            }
        }
        assert!(compared > 80, "{compared}");
    }
}
