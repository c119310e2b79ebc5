//! The search index's tokenizers. Chinese is read on the Simplified view, so a Traditional query
//! finds a Simplified article and the other way round; the view keeps byte offsets, so snippet
//! highlights land on the original text.
//!
//! Two tokenizers, two fields: `words` (Latin words, lower-cased and stemmed by the analyser's
//! filters, plus jieba words for Chinese) ranks; `bigrams` (overlapping Han character pairs, as
//! Lucene's CJK analyser does) makes any Chinese substring a phrase query that matches, where
//! jieba would keep 美国国务院 as one word and miss a query for 国务院.

use spinscope_core::text::script::{script, Script};
use spinscope_core::text::zh::{jieba, simplified_view};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Latin/digit words and jieba words of Han runs, in text order.
#[derive(Clone, Debug, Default)]
pub struct Words;

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
    tokens.push(Token {
        offset_from: start,
        offset_to: end,
        position: tokens.len(),
        text: text[start..end].to_string(),
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
                Run::Word => push(&mut tokens, &view, start, end),
                Run::Han => {
                    for w in jieba().cut(&view[start..end], true) {
                        push(&mut tokens, &view, start + w.byte_start, start + w.byte_end);
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
        let got = texts(Words, "Officials said 美國國務院 rejected it.");
        assert_eq!(got[..2], ["Officials", "said"]);
        assert!(got.contains(&"美国".to_string()) || got.contains(&"美国国务院".to_string()));
        assert_eq!(got[got.len() - 2..], ["rejected", "it"]);
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
