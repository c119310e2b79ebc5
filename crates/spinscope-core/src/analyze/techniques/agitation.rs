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
/// A sentence is a candidate from this probability on; the report threshold decides. Under
/// the even prior an uninformative sentence (a short headline) scores about 0.5, so nothing
/// under it is proposed: on CAOD's tune part this cost 2 points of F1 (fast tier), on nine
/// days of CCTV news bulletins it removed 14 of 21 such findings, all on neutral headlines.
pub const CANDIDATE_MIN_SCORE: f32 = 0.5;
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

/// Adds a finding for each Chinese sentence the shipped model reads as agitative and no other
/// hit already marks.
pub fn find(view: &TextView<'_>, hits: &mut Vec<Hit>) {
    let Some(model) = shipped() else { return };
    let mut found = Vec::new();
    for s in view.sentences.iter().filter(|s| s.lang == Lang::Zh) {
        if hits.iter().any(|h| h.span.overlaps(&s.span)) {
            continue;
        }
        let x = features(s.span.slice(&view.simplified), true);
        let p = model.probabilities(&x)[0];
        if p < CANDIDATE_MIN_SCORE {
            continue;
        }
        let why: Vec<String> = model
            .explain(&x, 0, 3)
            .into_iter()
            .map(|(name, w)| format!("{} (+{w:.2})", name.trim_start_matches("c=")))
            .collect();
        found.push(Hit {
            technique: Technique::LoadedLanguage,
            span: s.span,
            score: (p * 1000.0).round() / 1000.0,
            detector: DETECTOR,
            evidence: format!(
                "the sentence reads as agitative (p={p:.2}, a character model trained on CAOD's \
                 WeChat sentences, which labels sentences, not techniques: Loaded_Language is \
                 the nearest of the 14); strongest: {}",
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
}
