//! The search index's tokenizers. Chinese is read on the Simplified view, so a Traditional query
//! finds a Simplified article and the other way round; the view keeps byte offsets, so snippet
//! highlights land on the original text.
//!
//! Two tokenizers, two fields: `words` (Latin words, lower-cased and stemmed by the analyser's
//! filters, plus jieba words for Chinese) ranks; `bigrams` (overlapping Han character pairs, as
//! Lucene's CJK analyser does) makes any Chinese substring a phrase query that matches, where
//! jieba would keep 美国国务院 as one word and miss a query for 国务院.

use std::collections::HashMap;

use spinscope_core::text::script::{script, Script};
use spinscope_core::text::zh::{jieba, simplified_view};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Latin/digit words and jieba words of Han runs, in text order, lower-cased and stemmed
/// exactly as tantivy's `LowerCaser` and English `Stemmer` filters did (corpora indexed with
/// them stay valid), but with the stems cached: stemming every word anew was a twentieth of
/// ingest, and news repeats its words.
#[derive(Clone, Debug, Default)]
pub struct Words {
    stems: HashMap<String, String>,
}

/// Most words [`Words`] remembers the stem of (then it starts over): ~10 MB.
const STEM_CACHE: usize = 100_000;

impl Words {
    /// The term indexed for `word`: lower-cased and stemmed.
    fn term(&mut self, word: &str) -> String {
        let mut lower = String::with_capacity(word.len());
        if word.is_ascii() {
            lower.push_str(word);
            lower.make_ascii_lowercase();
        } else {
            // As tantivy's LowerCaser: per character, no final-sigma rule.
            word.chars().for_each(|c| lower.extend(c.to_lowercase()));
        }
        if let Some(stem) = self.stems.get(&lower) {
            return stem.clone();
        }
        let stem = frostem::Stemmer::new(frostem::Algorithm::English)
            .stem(&lower)
            .into_owned();
        if self.stems.len() >= STEM_CACHE {
            self.stems.clear();
        }
        self.stems.insert(lower, stem.clone());
        stem
    }
}

/// Han character bigrams (a lone Han character stands as itself); nothing for other scripts.
#[derive(Clone, Debug, Default)]
pub struct Bigrams;

/// A finished list of tokens handed out one by one.
#[derive(Debug)]
pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Word,
    Han,
    Gap,
}

fn run_of(c: char) -> Run {
    match script(c) {
        Script::Han => Run::Han,
        Script::Space | Script::Other => Run::Gap,
        _ => Run::Word,
    }
}

/// Splits `text` into maximal runs of one kind: (kind, byte start, byte end).
fn runs(text: &str) -> impl Iterator<Item = (Run, usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, c) = chars.next()?;
        let kind = run_of(c);
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if run_of(c) != kind {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some((kind, start, end))
    })
}

fn push(tokens: &mut Vec<Token>, text: &str, start: usize, end: usize) {
    push_term(tokens, text[start..end].to_string(), start, end);
}

fn push_term(tokens: &mut Vec<Token>, text: String, start: usize, end: usize) {
    tokens.push(Token {
        offset_from: start,
        offset_to: end,
        position: tokens.len(),
        text,
        position_length: 1,
    });
}

impl Tokenizer for Words {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let view = simplified_view(text);
        let mut tokens = Vec::new();
        for (kind, start, end) in runs(&view) {
            match kind {
                Run::Word => {
                    let term = self.term(&view[start..end]);
                    push_term(&mut tokens, term, start, end);
                }
                Run::Han => {
                    for w in jieba().cut(&view[start..end], true) {
                        let (from, to) = (start + w.byte_start, start + w.byte_end);
                        let term = self.term(&view[from..to]);
                        push_term(&mut tokens, term, from, to);
                    }
                }
                Run::Gap => {}
            }
        }
        Tokens { tokens, next: 0 }
    }
}

impl Tokenizer for Bigrams {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        // Han characters start at U+3007, three UTF-8 bytes led by 0xE3 or more: a text without
        // such a byte (most English) has no bigram, and the byte scan is far cheaper than runs.
        if !text.bytes().any(|b| b >= 0xE3) {
            return Tokens {
                tokens: Vec::new(),
                next: 0,
            };
        }
        let view = simplified_view(text);
        let mut tokens = Vec::new();
        for (kind, start, end) in runs(&view) {
            if kind != Run::Han {
                continue;
            }
            let bounds: Vec<usize> = view[start..end]
                .char_indices()
                .map(|(i, _)| start + i)
                .chain([end])
                .collect();
            if bounds.len() == 2 {
                push(&mut tokens, &view, start, end);
            }
            for w in bounds.windows(3) {
                push(&mut tokens, &view, w[0], w[2]);
            }
        }
        Tokens { tokens, next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(mut t: impl Tokenizer, s: &str) -> Vec<String> {
        let mut stream = t.token_stream(s);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn words_split_scripts_and_simplify() {
        let got = texts(Words::default(), "Officials said 美國國務院 rejected it.");
        assert_eq!(got[..2], ["offici", "said"]);
        assert!(got.contains(&"美国".to_string()) || got.contains(&"美国国务院".to_string()));
        assert_eq!(got[got.len() - 2..], ["reject", "it"]);
    }

    #[test]
    fn words_give_the_terms_tantivys_filters_gave() {
        use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};
        let text = "Officials REJECTED the Ministry's running claims; ΣΟΦΊΑ Straße İstanbul \
                    officials rejected running";
        let mut old = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        let mut stream = old.token_stream(text);
        let mut words = Words::default();
        let mut count = 0;
        while stream.advance() {
            let t = stream.token();
            // The cache serves the repeated words the second time.
            assert_eq!(words.term(&text[t.offset_from..t.offset_to]), t.text);
            count += 1;
        }
        assert!(count >= 12, "{count}");
    }

    #[test]
    fn bigrams_cover_every_substring() {
        assert_eq!(texts(Bigrams, "国务院 a 美"), ["国务", "务院", "美"]);
        assert!(texts(Bigrams, "No Chinese here").is_empty());
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "賴岳謙說";
        let mut t = Bigrams;
        let mut stream = t.token_stream(text);
        assert!(stream.advance());
        let tok = stream.token();
        assert_eq!(&text[tok.offset_from..tok.offset_to], "賴岳");
        assert_eq!(tok.text, "赖岳");
    }
}
