//! Chinese loaded words mined from data, not written by hand: the jieba words of CAOD's train
//! part that sit in agitative sentences far more often than in neutral ones
//! (`spinscope train lexicon-zh` writes `data/zh/agitative_words.tsv`). They are evidence, not
//! findings of their own: a sentence the agitation model flags names the mined words it holds
//! with the counts that put each on the list, so a reader can judge it. On their own they
//! would flag topics as well as heat (穷人 and 富婆 are mined next to 婊子, CAOD labelling
//! whole sentences of a few threads); the model's reading of the sentence gates them.
//! Traditional text is matched through the Simplified view.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::text::sentences::data_lines;

const SHIPPED: &str = include_str!("../../../data/zh/agitative_words.tsv");

/// What puts a word on the list.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Agitative sentences that must contain the word.
    pub min_agitative: u32,
    /// The smallest share of agitative sentences among those holding the word, under an even
    /// mix of agitative and neutral ones, with one neutral sentence added to its count (so a
    /// word never seen in a neutral sentence is not taken as certain).
    pub min_share: f32,
}

impl Default for Rule {
    /// Chosen on CAOD's train part alone by reading what each setting let in: below 5 sentences
    /// the list fills with names of one story; below 0.9, with the topics people argue about
    /// (男人, 美国) rather than words that carry the heat.
    fn default() -> Self {
        Rule {
            min_agitative: 5,
            min_share: 0.9,
        }
    }
}

/// One mined word and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub word: String,
    /// Agitative sentences of the train part holding it.
    pub agitative: u32,
    /// All sentences of the train part holding it.
    pub sentences: u32,
    /// Its share of agitative sentences under an even mix, smoothed as [`Rule::min_share`] says.
    pub share: f32,
}

/// The words of a sentence as jieba cuts its Simplified view: two or more Han characters, each
/// once.
fn words_of(simplified: &str) -> HashSet<&str> {
    crate::text::zh::words(simplified)
        .into_iter()
        .map(|(a, b)| &simplified[a..b])
        .filter(|w| w.chars().count() >= 2 && w.chars().all(crate::text::script::is_han))
        .collect()
}

/// Mines `(sentence, agitative)` rows: every word the rule keeps, most agitative first.
pub fn mine(rows: &[(String, bool)], rule: Rule) -> Vec<Word> {
    let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
    let (mut agitative, mut neutral) = (0u32, 0u32);
    for (text, yes) in rows {
        if *yes {
            agitative += 1;
        } else {
            neutral += 1;
        }
        let simplified = crate::text::zh::simplified_view(text);
        for w in words_of(&simplified) {
            let c = counts.entry(w.to_string()).or_default();
            c.0 += u32::from(*yes);
            c.1 += 1;
        }
    }
    let (agitative, neutral) = (agitative.max(1) as f32, neutral.max(1) as f32);
    let mut out: Vec<Word> = counts
        .into_iter()
        .filter(|(_, (a, _))| *a >= rule.min_agitative)
        .map(|(word, (a, n))| {
            let rate_a = a as f32 / agitative;
            let rate_n = (n - a + 1) as f32 / neutral;
            Word {
                word,
                agitative: a,
                sentences: n,
                share: rate_a / (rate_a + rate_n),
            }
        })
        .filter(|w| w.share >= rule.min_share)
        .collect();
    out.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(b.agitative.cmp(&a.agitative))
            .then(a.word.cmp(&b.word))
    });
    out
}

/// The list as `agitative_words.tsv` holds it: a header saying how it was made, then
/// word, agitative sentences, sentences, share.
pub fn to_tsv(words: &[Word], made_from: &str) -> String {
    let mut out = format!(
        "# Chinese words mined from {made_from} by `spinscope train lexicon-zh`; do not edit by hand.\n\
         # word\tagitative sentences holding it\tall sentences holding it\tshare agitative under an even mix\n"
    );
    for w in words {
        out.push_str(&format!(
            "{}\t{}\t{}\t{:.3}\n",
            w.word, w.agitative, w.sentences, w.share
        ));
    }
    out
}

fn parse(data: &str) -> HashMap<String, Word> {
    data_lines(data)
        .filter_map(|line| {
            let mut f = line.split('\t');
            let word = f.next()?.to_string();
            let agitative = f.next()?.parse().ok()?;
            let sentences = f.next()?.parse().ok()?;
            let share = f.next()?.parse().ok()?;
            Some((
                word.clone(),
                Word {
                    word,
                    agitative,
                    sentences,
                    share,
                },
            ))
        })
        .collect()
}

fn shipped() -> &'static HashMap<String, Word> {
    static WORDS: OnceLock<HashMap<String, Word>> = OnceLock::new();
    WORDS.get_or_init(|| parse(SHIPPED))
}

/// The mined words of one sentence's Simplified view where jieba cuts them as words (not the
/// 穷人 of 穷人家), each once, in order.
pub fn in_sentence(simplified: &str) -> Vec<&'static Word> {
    let words = shipped();
    let mut out: Vec<&'static Word> = Vec::new();
    if words.is_empty() {
        return out;
    }
    for (a, b) in crate::text::zh::words(simplified) {
        if let Some(w) = words.get(&simplified[a..b]) {
            if !out.iter().any(|o| o.word == w.word) {
                out.push(w);
            }
        }
    }
    out
}

/// "「婊子」 in 23 of 26 CAOD train sentences agitative" for each word, joined.
pub fn evidence(words: &[&Word]) -> String {
    words
        .iter()
        .map(|w| {
            format!(
                "「{}」 (agitative in {} of the {} CAOD train sentences holding it)",
                w.word, w.agitative, w.sentences
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(String, bool)> {
        // Written for this test: an insult only in agitative sentences, a topic word only in
        // neutral ones.
        let mut rows = Vec::new();
        for i in 0..6 {
            rows.push((format!("这些骗子又来了，第{i}次！"), true));
            rows.push((format!("政府今天发布了第{i}份报告。"), false));
            rows.push((format!("天气预报说明天第{i}次降温。"), false));
        }
        rows
    }

    #[test]
    fn mining_keeps_the_words_of_agitation_and_says_how_often() {
        let words = mine(&rows(), Rule::default());
        let liar = words.iter().find(|w| w.word == "骗子").expect("骗子 mined");
        assert_eq!((liar.agitative, liar.sentences), (6, 6));
        assert!(liar.share > 0.9 && liar.share < 1.0, "{liar:?}");
        assert!(words.iter().all(|w| w.word != "政府"), "{words:?}");
        let back = parse(&to_tsv(&words, "a test"));
        assert_eq!(back["骗子"].agitative, 6);
        assert_eq!(back["骗子"].sentences, 6);
    }

    #[test]
    fn the_shipped_list_is_read_and_matched_on_word_boundaries() {
        let list = shipped();
        assert!(list.len() >= 10, "{} mined words", list.len());
        // Most words are found as words in a plain frame sentence.
        let mut sample: Vec<&String> = list.keys().collect();
        sample.sort();
        let found = sample
            .iter()
            .filter(|word| {
                let text = format!("有人说：{word}。");
                in_sentence(&text)
                    .iter()
                    .any(|w| w.word.as_str() == word.as_str())
            })
            .count();
        assert!(
            2 * found >= sample.len(),
            "{found} of {} found",
            sample.len()
        );
        // Not inside a longer word.
        assert!(in_sentence("穷人家的孩子早当家。")
            .iter()
            .all(|w| w.word != "穷人"));
        let said = evidence(&in_sentence("有人说：绿茶。"));
        assert!(said.contains("「绿茶」") && said.contains("CAOD"), "{said}");
    }
}
