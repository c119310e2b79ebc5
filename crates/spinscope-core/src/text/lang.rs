//! Language per sentence (English, Chinese, other) and character shares per document.
//!
//! Written here rather than taken from a language-id crate: the question is narrow (Han text vs
//! Latin text, and English vs another Latin-script language), scripts answer most of it, and a
//! function-word vote answers the rest at memory speed with no model to ship. `whatlang` without
//! an allow-list calls short English headlines Dutch or Tagalog (STACK.md).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use super::script::{script, Script};
use super::sentences::data_lines;
use crate::doc::Lang;

const FUNCTION_WORDS: &str = include_str!("../../data/lang/function_words.txt");

/// Function word → the languages it votes for (`true` for English).
fn function_words() -> &'static HashMap<&'static str, Vec<bool>> {
    static WORDS: OnceLock<HashMap<&'static str, Vec<bool>>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<bool>> = HashMap::new();
        for line in data_lines(FUNCTION_WORDS) {
            let Some((code, words)) = line.split_once(':') else {
                continue;
            };
            let english = code.trim() == "en";
            for w in words.split_whitespace() {
                map.entry(w).or_default().push(english);
            }
        }
        map
    })
}

/// What one sentence's letters say about its language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LetterCounts {
    pub han: usize,
    pub latin: usize,
    pub kana: usize,
    pub other: usize,
    /// The language of the Latin-script words, when function words tell (`None`: no evidence).
    pub latin_lang: Option<Lang>,
}

impl LetterCounts {
    pub fn of(sentence: &str) -> Self {
        let mut counts = LetterCounts::default();
        for c in sentence.chars() {
            match script(c) {
                Script::Han => counts.han += 1,
                Script::Latin => counts.latin += 1,
                Script::Kana => counts.kana += 1,
                Script::Hangul | Script::OtherLetter => counts.other += 1,
                _ => {}
            }
        }
        if counts.latin > 0 {
            counts.latin_lang = vote_latin(sentence);
        }
        counts
    }

    /// The sentence's main language, or `None` when it has Latin letters but no function word
    /// to tell English from another language ("Trump Wins"), or no letters at all.
    pub fn lang(&self) -> Option<Lang> {
        // Japanese writes Han with kana; Chinese text has almost none.
        if self.kana >= 2 && self.kana * 10 >= self.han + self.kana {
            return Some(Lang::Other);
        }
        // One Han character carries about a word; an English word has about five letters.
        let han = self.han * 3;
        if han == 0 && self.latin == 0 && self.other == 0 && self.kana == 0 {
            return None;
        }
        if self.other > han.max(self.latin) {
            return Some(Lang::Other);
        }
        if han >= self.latin {
            return Some(Lang::Zh);
        }
        self.latin_lang
    }
}

fn vote_latin(sentence: &str) -> Option<Lang> {
    let words = function_words();
    let mut english = 0usize;
    let mut others = 0usize;
    let mut lower = String::new();
    for word in sentence
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty() && w.len() <= 12)
    {
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        if let Some(votes) = words.get(lower.as_str()) {
            for &is_english in votes {
                if is_english {
                    english += 1;
                } else {
                    others += 1;
                }
            }
        }
    }
    // Several languages can share one word, so `others` counts votes, and English must beat the
    // best single rival rather than their sum; half the votes is a fair stand-in for that.
    if english == 0 && others == 0 {
        None
    } else if english * 2 >= others {
        Some(Lang::En)
    } else {
        Some(Lang::Other)
    }
}

/// Share of letters per language in a document, in `[0, 1]`, summing to 1 (unless empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LangShares {
    counts: BTreeMap<Lang, usize>,
}

impl LangShares {
    /// Adds one sentence's letters; Latin letters go to `latin_lang` (resolved by the caller).
    pub fn add(&mut self, letters: &LetterCounts, latin_lang: Lang) {
        *self.counts.entry(Lang::Zh).or_default() += letters.han;
        *self.counts.entry(latin_lang).or_default() += letters.latin;
        *self.counts.entry(Lang::Other).or_default() += letters.kana + letters.other;
    }

    /// Languages with a non-zero share, largest first.
    pub fn shares(&self) -> Vec<(Lang, f64)> {
        let total: usize = self.counts.values().sum();
        if total == 0 {
            return Vec::new();
        }
        let mut out: Vec<(Lang, f64)> = self
            .counts
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(&l, &n)| (l, n as f64 / total as f64))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The language with the largest share; `None` for a text without letters.
    pub fn main(&self) -> Option<Lang> {
        self.shares().first().map(|&(l, _)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(s: &str) -> Option<Lang> {
        LetterCounts::of(s).lang()
    }

    #[test]
    fn sentences() {
        assert_eq!(lang("The minister said the plan failed."), Some(Lang::En));
        assert_eq!(lang("外交部发言人汪文斌表示反对。"), Some(Lang::Zh));
        assert_eq!(lang("美國對西北工業大學千次網攻?"), Some(Lang::Zh));
        assert_eq!(
            lang("Prof. Lai: US just want to steal technology"),
            Some(Lang::En)
        );
        assert_eq!(
            lang("Le président a dit que la guerre est finie."),
            Some(Lang::Other)
        );
        assert_eq!(
            lang("Der Minister sagte, dass die Lage ernst ist."),
            Some(Lang::Other)
        );
        assert_eq!(lang("Министр заявил об этом."), Some(Lang::Other));
        assert_eq!(lang("これは日本語の文です。"), Some(Lang::Other));
        assert_eq!(lang("Trump Wins"), None);
        assert_eq!(lang("2024 — 17%"), None);
        assert_eq!(lang("US 制裁华为"), Some(Lang::Zh));
        assert_eq!(
            lang("Wang Wenbin (汪文斌) said the US would lose."),
            Some(Lang::En)
        );
    }

    #[test]
    fn shares_sum_to_one() {
        let mut shares = LangShares::default();
        shares.add(&LetterCounts::of("中文中文"), Lang::En);
        shares.add(&LetterCounts::of("abcd"), Lang::En);
        let s = shares.shares();
        assert_eq!(s.len(), 2);
        assert!((s.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(LangShares::default().shares().is_empty());
    }
}
