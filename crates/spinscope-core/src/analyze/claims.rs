//! Check-worthy factual claims: sentences a fact-checker would want to verify (quantities,
//! comparisons, named entities, dates, superlatives), scored by a linear model trained on
//! CheckThat! 2024 English, with the quantities pulled out. Chinese sentences are scored by
//! the same kind of cues through patterns (数字 + 量词, 近100个国家, 14亿).

use std::sync::OnceLock;

use regex::Regex;

use crate::doc::{Lang, Span};
use crate::learn::features::Prefix;
use crate::learn::{Features, Linear, TrainConfig};
use crate::report::{Extent, Finding};
use crate::text::TextView;

const BITS: u32 = 18;
const WEIGHTS: &[u8] = include_bytes!("../../../../models/claims.bin");
/// The linear model's decision threshold (what its training and cross-validation score at).
pub const THRESHOLD: f32 = 0.5;
/// A sentence is a candidate claim from this raw check-worthiness on; calibration then gives
/// its probability and the report threshold decides whether it is shown.
pub const CANDIDATE_MIN_SCORE: f32 = 0.2;

fn shipped() -> Option<&'static Linear> {
    static MODEL: OnceLock<Option<Linear>> = OnceLock::new();
    MODEL
        .get_or_init(|| Linear::read(WEIGHTS).ok().filter(|m| m.classes == 1))
        .as_ref()
}

fn quantity_en() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(?:\b(?:nearly|almost|about|around|over|more than|less than|fewer than|at least|up to|some)\s+)?(?:[$€£¥]\s?)?\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|hundred))*(?:\s+(?:[a-z]+\s+)?(?:people|countries|nations|dollars|euros|yuan|cases|deaths|votes|jobs|times|years|months|days|attacks|containers|tons|tonnes|miles|kilometres|kilometers|percent))?")
            .unwrap_or_else(|e| panic!("quantity pattern: {e}"))
    })
}

fn quantity_zh() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:近|约|超过|逾|上|数)?[\d０-９.,]+(?:多)?(?:万|亿|千|百)?(?:%|％|个|名|人|次|起|家|国|年|倍|元|美元|吨|公里|架|艘|项)(?:国家|人次)?|[一二三四五六七八九十百千万亿两]+(?:万|亿)(?:人|元|美元)?")
            .unwrap_or_else(|e| panic!("quantity pattern: {e}"))
    })
}

/// The quantities a sentence states ("nearly 100 countries", "14亿").
pub fn quantities(text: &str, lang: Lang) -> Vec<String> {
    let re = if lang == Lang::Zh {
        quantity_zh()
    } else {
        quantity_en()
    };
    re.find_iter(text)
        .map(|m| m.as_str().trim().to_string())
        .filter(|q| {
            q.chars()
                .any(|c| c.is_numeric() || "一二三四五六七八九十百千万亿两".contains(c))
        })
        // A bare year or list number is not a quantity worth checking on its own.
        .filter(|q| q.chars().filter(|c| c.is_ascii_digit()).count() > 0 || lang == Lang::Zh)
        .collect()
}

/// Features of one sentence's text.
pub fn features(text: &str, keep: bool) -> Features {
    let mut f = Features::new(BITS, keep);
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '%')
        .filter(|w| !w.is_empty())
        .collect();
    const WORD: Prefix = Prefix::new("w=");
    const BIGRAM: Prefix = Prefix::new("b=");
    // Words, bigrams and a dozen cues: no regrowth.
    f.index.reserve(2 * words.len() + 16);
    f.value.reserve(2 * words.len() + 16);
    for w in &words {
        f.set_prefixed(&WORD, &[w]);
    }
    for pair in words.windows(2) {
        f.set_prefixed(&BIGRAM, &[pair[0], "|", pair[1]]);
    }
    let capitalised = text
        .split_whitespace()
        .skip(1)
        .filter(|w| w.starts_with(|c: char| c.is_uppercase()))
        .count();
    f.set("caps=", bucket(capitalised, &[0, 1, 3]));
    let digits = text.chars().any(|c| c.is_ascii_digit());
    if digits {
        f.set("has-number", "");
    }
    if lower.contains('%') || lower.contains("percent") {
        f.set("has-percent", "");
    }
    if lower.contains('$')
        || lower.contains("dollar")
        || lower.contains("billion")
        || lower.contains("million")
    {
        f.set("has-money", "");
    }
    if words
        .iter()
        .any(|w| w.len() == 4 && w.starts_with(['1', '2']) && w.chars().all(|c| c.is_ascii_digit()))
    {
        f.set("has-year", "");
    }
    if words.iter().any(|w| w.ends_with("est") && w.len() > 5) || lower.contains("the most") {
        f.set("superlative", "");
    }
    if lower.contains(" than ") {
        f.set("comparison", "");
    }
    if words
        .iter()
        .any(|w| matches!(*w, "i" | "we" | "you" | "me" | "us" | "my" | "our"))
    {
        f.set("first-person", "");
    }
    if text.trim_end().ends_with('?') {
        f.set("question", "");
    }
    f.set("len=", bucket(words.len(), &[5, 10, 20, 35]));
    f.add("bias-claim", 1.0);
    f
}

fn bucket(n: usize, edges: &[usize]) -> &'static str {
    const NAMES: [&str; 6] = ["b0", "b1", "b2", "b3", "b4", "b5"];
    NAMES[edges
        .iter()
        .position(|&e| n <= e)
        .unwrap_or(edges.len())
        .min(5)]
}

/// Trains the check-worthiness model on `(sentence, is_checkworthy)` pairs.
pub fn train(data: &[(String, bool)], seed: u64) -> Linear {
    let examples: Vec<(Features, usize)> = data
        .iter()
        .map(|(text, yes)| (features(text, false), usize::from(*yes)))
        .collect();
    let cfg = TrainConfig {
        epochs: 6,
        learning_rate: 0.1,
        l2: 1e-6,
        seed,
        balance: false,
    };
    Linear::train(BITS, 1, &examples, &cfg)
}

/// P(check-worthy) of one English sentence by a linear model of [`train`].
pub fn probability(model: &Linear, text: &str) -> f32 {
    model.probabilities(&features(text, false))[0]
}

/// The Chinese cue lists (`data/zh/claim_cues.txt`), loaded once.
fn cues() -> &'static crate::analyze::lexicon::Sections {
    static CUES: OnceLock<crate::analyze::lexicon::Sections> = OnceLock::new();
    CUES.get_or_init(|| {
        crate::analyze::lexicon::Sections::parse(include_str!("../../data/zh/claim_cues.txt"))
    })
}

/// Check-worthiness of a sentence by the Chinese cues: a stated quantity, a comparison, a date.
fn chinese_score(text: &str) -> (f32, String) {
    let simplified = crate::text::zh::simplified_view(text);
    let mut score: f32 = 0.2;
    let mut why = Vec::new();
    if !quantities(&simplified, Lang::Zh).is_empty() {
        score += 0.4;
        why.push("a quantity");
    }
    let has = |section: &str| {
        cues()
            .list(section)
            .iter()
            .any(|w| simplified.contains(w.as_str()))
    };
    if has("comparison") {
        score += 0.15;
        why.push("a comparison or change");
    }
    if has("date") {
        score += 0.1;
        why.push("a date");
    }
    (
        score.min(0.95),
        format!(
            "Chinese patterns: {}",
            if why.is_empty() {
                "none".to_string()
            } else {
                why.join(", ")
            }
        ),
    )
}

/// Claim findings for every sentence scored at or above [`CANDIDATE_MIN_SCORE`].
pub fn find(view: &TextView<'_>, out: &mut Vec<Finding>) {
    let model = shipped();
    for s in &view.sentences {
        let text = s.span.slice(view.text);
        let (score, evidence) = match (s.lang, model) {
            (Lang::Zh, _) => chinese_score(text),
            (Lang::En, Some(m)) if s.tokens.len() <= 200 => {
                let x = features(text, true);
                let p = m.probabilities(&x)[0];
                if p < CANDIDATE_MIN_SCORE {
                    continue;
                }
                let why: Vec<String> = m
                    .explain(&x, 0, 3)
                    .into_iter()
                    .map(|(n, w)| format!("{n} (+{w:.2})"))
                    .collect();
                (
                    p,
                    format!(
                        "linear model, p={p:.2}; strongest features: {}",
                        why.join(", ")
                    ),
                )
            }
            _ => continue,
        };
        if score < CANDIDATE_MIN_SCORE {
            continue;
        }
        out.push(Finding::Claim {
            extent: Extent::new(Span::new(s.span.start, s.span.end)),
            checkworthy: (score * 1000.0).round() / 1000.0,
            quantities: quantities(text, s.lang),
            detector: if s.lang == Lang::Zh {
                "pattern:zh-claim".into()
            } else {
                "model:linear".into()
            },
            evidence,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_both_languages() {
        assert_eq!(
            quantities(
                "Nearly 100 countries backed it and 3.5 percent more.",
                Lang::En
            ),
            vec!["Nearly 100 countries", "3.5 percent"]
        );
        let zh = quantities("近100个国家支持，中国有14亿人口。", Lang::Zh);
        assert!(zh.contains(&"近100个国家".to_string()), "{zh:?}");
        assert!(zh.iter().any(|q| q.contains("14亿")), "{zh:?}");
    }

    #[test]
    fn chinese_cues_come_from_the_data_file() {
        let (_, why) = chinese_score("今年出口比去年明显增长。");
        assert!(
            why.contains("a comparison or change") && why.contains("a date"),
            "{why}"
        );
        assert_eq!(
            chinese_score("我们去公园散步。").1,
            "Chinese patterns: none"
        );
    }

    #[test]
    fn chinese_quantity_makes_a_claim() {
        assert!(chinese_score("近100个国家在联合国人权理事会上支持中方立场。").0 >= THRESHOLD);
        assert!(chinese_score("我们去公园散步。").0 < THRESHOLD);
    }
}
