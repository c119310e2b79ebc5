//! Agitative Chinese sentences — inflammatory, fear-mongering, group opposition, offensive,
//! extreme — read by a linear model over the characters of the Simplified view, trained on the
//! train part of CAOD (`spinscope train agitation`). CAOD labels whole sentences, not PTC's
//! techniques, so a sentence it flags becomes a Loaded_Language finding (the nearest of the 14)
//! whose evidence says what the model saw; where the phrase lists or patterns already found a
//! technique in the sentence, their findings stand and this one is not added.

use std::sync::OnceLock;

use crate::doc::Lang;
use crate::learn::features::Prefix;
use crate::learn::{Features, Linear, TrainConfig};
use crate::report::Technique;
use crate::text::TextView;

use super::Hit;

const BITS: u32 = 19;
const WEIGHTS: &[u8] = include_bytes!("../../../../../models/agitation-zh.bin");
/// A sentence is a candidate from this probability on; calibration (on CAOD's tune part) and
/// the report threshold decide. From here on the calibrated probability under an even mix
/// passed one half on the tune part; lower, candidates were mostly neutral news sentences.
pub const CANDIDATE_MIN_SCORE: f32 = 0.3;
/// Nor is a sentence of fewer Chinese characters, or a heading or list item ("## 新闻摘要",
/// "7.德国总理将访华；"): they carry too little for the model, which reads shortness itself
/// as a sign (CAOD's agitative sentences are short more often: 4 % under six characters
/// against 3 % of the neutral ones), and news pages are full of them. On CAOD's tune part
/// this cost nothing; on 91 CCTV bulletins it removed three candidates in four.
pub const MIN_HAN_CHARS: usize = 6;
pub const DETECTOR: &str = "model:agitation";

fn shipped() -> Option<&'static Linear> {
    static MODEL: OnceLock<Option<Linear>> = OnceLock::new();
    MODEL
        .get_or_init(|| Linear::read(WEIGHTS).ok().filter(|m| m.classes == 1))
        .as_ref()
}

/// Character 1- to 3-grams of a sentence (Simplified), spaces left out, each weighing
/// 1/sqrt(count) so that long and short sentences score alike.
pub fn features(simplified: &str, keep_names: bool) -> Features {
    const GRAM: Prefix = Prefix::new("c=");
    let chars: Vec<&str> = simplified
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, c)| &simplified[i..i + c.len_utf8()])
        .collect();
    let mut f = Features::new(BITS, keep_names);
    for n in 1..=3 {
        for gram in chars.windows(n) {
            f.set_prefixed(&GRAM, gram);
        }
    }
    let norm = (f.value.len().max(1) as f32).sqrt();
    f.value.iter_mut().for_each(|v| *v /= norm);
    f.add("bias-agitation", 1.0);
    f
}

/// Trains on `(sentence, is agitative)` pairs. CAOD holds one agitative sentence in fourteen;
/// each is seen as often as the neutral ones together, so a score reads as the probability
/// under an even prior. Epochs, rate and L2 were chosen by 5-fold cross-validation on the
/// train part (`train agitation` prints the estimate).
pub fn train(data: &[(String, bool)], seed: u64) -> Linear {
    let positives = data.iter().filter(|r| r.1).count().max(1);
    let repeat = ((data.len() - positives) as f32 / positives as f32)
        .round()
        .max(1.0) as usize;
    let examples: Vec<(Features, usize)> = data
        .iter()
        .flat_map(|r| std::iter::repeat_n(r, if r.1 { repeat } else { 1 }))
        .map(|(text, yes)| {
            let simplified = crate::text::zh::simplified_view(text);
            (features(&simplified, false), usize::from(*yes))
        })
        .collect();
    let cfg = TrainConfig {
        epochs: 3,
        learning_rate: 0.05,
        l2: 1e-5,
        seed,
        balance: false,
    };
    Linear::train(BITS, 1, &examples, &cfg)
}

/// P(agitative) of one sentence by a model of [`train`].
pub fn probability(model: &Linear, text: &str) -> f32 {
    let simplified = crate::text::zh::simplified_view(text);
    model.probabilities(&features(&simplified, false))[0]
}

fn han_chars(text: &str) -> usize {
    text.chars()
        .filter(|&c| crate::text::script::is_han(c))
        .count()
}

/// A Markdown heading ("## …") or a numbered item ("7.…", "7、…", "（7）…", "(7)…").
pub(super) fn is_heading_or_list_item(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with('#') {
        return true;
    }
    let t = t
        .strip_prefix('（')
        .or_else(|| t.strip_prefix('('))
        .unwrap_or(t);
    let rest = t.trim_start_matches(|c: char| c.is_ascii_digit());
    let mut after = rest.chars();
    let marker = after.next().is_some_and(|c| ".．、）)".contains(c));
    // "2.5亿" is a number, not an item.
    rest.len() < t.len() && marker && !after.next().is_some_and(|c| c.is_ascii_digit())
}

/// Adds a finding for each Chinese sentence the shipped model reads as agitative and no other
/// hit already marks.
pub fn find(view: &TextView<'_>, hits: &mut Vec<Hit>) {
    let Some(model) = shipped() else { return };
    let mut found = Vec::new();
    for s in view.sentences.iter().filter(|s| s.lang == Lang::Zh) {
        let text = s.span.slice(view.text);
        if hits.iter().any(|h| h.span.overlaps(&s.span))
            || han_chars(text) < MIN_HAN_CHARS
            || is_heading_or_list_item(text)
        {
            continue;
        }
        let simplified = s.span.slice(&view.simplified);
        let x = features(simplified, true);
        let p = model.probabilities(&x)[0];
        if p < CANDIDATE_MIN_SCORE {
            continue;
        }
        let why: Vec<String> = model
            .explain(&x, 0, 3)
            .into_iter()
            .map(|(name, w)| format!("{} (+{w:.2})", name.trim_start_matches("c=")))
            .collect();
        let words = super::mined::in_sentence(simplified);
        let mined = if words.is_empty() {
            String::new()
        } else {
            format!("; mined words: {}", super::mined::evidence(&words))
        };
        found.push(Hit {
            technique: Technique::LoadedLanguage,
            span: s.span,
            score: (p * 1000.0).round() / 1000.0,
            detector: DETECTOR,
            evidence: format!(
                "the sentence reads as agitative (p={p:.2}, a character model trained on CAOD's \
                 WeChat sentences, which labels sentences, not techniques: Loaded_Language is \
                 the nearest of the 14); strongest: {}{mined}",
                why.join(", ")
            ),
            occurrences: Vec::new(),
        });
    }
    hits.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_tells_agitation_from_plain_reporting() {
        let model = shipped().expect("models/agitation-zh.bin ships with the build");
        // Written for this test: contempt and fear-mongering against plain wire copy.
        let agitative = [
            "这些无耻的骗子就是想把我们当傻子，简直丧尽天良！",
            "再不醒悟，你的孩子迟早会被这些毒食品害死！",
        ];
        let neutral = [
            "市政府今天上午召开新闻发布会，介绍了今年的工作安排。",
            "该公司第三季度营业收入同比增长百分之五。",
        ];
        for a in agitative {
            for n in neutral {
                let (pa, pn) = (probability(model, a), probability(model, n));
                assert!(pa > 0.5 && pn < 0.5, "{a}: {pa:.2}, {n}: {pn:.2}");
            }
        }
    }

    #[test]
    fn a_flagged_sentence_says_why_and_rules_keep_their_own() {
        let text = "这些无耻的骗子就是想把我们当傻子，简直丧尽天良！市政府今天上午召开新闻发布会。";
        let view = TextView::new(text);
        let mut hits = Vec::new();
        find(&view, &mut hits);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].detector, DETECTOR);
        assert!(
            hits[0].evidence.contains("agitative"),
            "{}",
            hits[0].evidence
        );
        // A sentence a rule already marked gets no second finding.
        let mut ruled = vec![Hit {
            span: hits[0].span,
            detector: "lexicon:zh",
            ..hits[0].clone()
        }];
        find(&view, &mut ruled);
        assert_eq!(ruled.len(), 1);
    }

    #[test]
    fn a_flagged_sentence_names_the_mined_words_it_holds() {
        // Written for this test.
        let view = TextView::new("这种绿茶真让人恶心，活该被大家骂！");
        let mut hits = Vec::new();
        find(&view, &mut hits);
        assert_eq!(hits.len(), 1, "{hits:?}");
        let evidence = &hits[0].evidence;
        assert!(
            evidence.contains("mined words") && evidence.contains("「恶心」"),
            "{evidence}"
        );
    }

    #[test]
    fn headings_list_items_and_short_lines_are_not_read() {
        for t in [
            "## 详细新闻",
            "7.德国总理将访华；",
            "（4）中国女篮夺得女篮世界杯亚军；",
            "滚！",
        ] {
            assert!(
                is_heading_or_list_item(t) || han_chars(t) < MIN_HAN_CHARS,
                "{t}"
            );
        }
        let line = "这些无耻的骗子就是想把我们当傻子，简直丧尽天良！";
        assert!(!is_heading_or_list_item(line) && !is_heading_or_list_item("2022年的报告说"));
        assert!(!is_heading_or_list_item("2.5亿人受影响"));
        let view = TextView::new("## 这些无耻的骗子就是想把我们当傻子，简直丧尽天良！");
        let mut hits = Vec::new();
        find(&view, &mut hits);
        assert!(hits.is_empty(), "{hits:?}");
    }
}
