//! The text pipeline: paragraphs, sentences with their language, word tokens, quotes, and a
//! Simplified-Chinese view with the same offsets. Everything here speaks byte offsets.

pub mod lang;
pub mod quotes;
pub mod script;
pub mod sentences;
pub mod tokens;
pub mod zh;

use std::borrow::Cow;
use std::ops::Range;

use crate::doc::{Lang, Span, ZhScript};
use lang::{LangShares, LetterCounts};
pub use quotes::{Quote, QuoteStyle};
pub use tokens::{Token, TokenKind};

/// One sentence and what the pipeline knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub span: Span,
    /// Index into [`TextView::paragraphs`].
    pub paragraph: usize,
    pub lang: Lang,
    /// For Chinese sentences, which script they are written in.
    pub script: Option<ZhScript>,
    /// Index range into [`TextView::tokens`].
    pub tokens: Range<usize>,
}

/// A document's text after segmentation: what every analyser reads.
#[derive(Debug, Clone)]
pub struct TextView<'t> {
    pub text: &'t str,
    /// The text with Traditional characters replaced by Simplified ones; same byte offsets, so
    /// Chinese lexicons are written once, in Simplified.
    pub simplified: Cow<'t, str>,
    pub paragraphs: Vec<Span>,
    pub sentences: Vec<Sentence>,
    pub tokens: Vec<Token>,
    /// All quotes, ordered by start (outer before inner).
    pub quotes: Vec<Quote>,
    /// Indices into `quotes` of the outermost ones (depth 0): disjoint and ordered, so both
    /// their starts and their ends are sorted and lookups are binary searches.
    top: Vec<usize>,
    pub langs: LangShares,
    /// The text lower-cased, made on first use (repetition counts).
    lower: std::sync::OnceLock<String>,
}

impl<'t> TextView<'t> {
    pub fn new(text: &'t str) -> Self {
        let simplified = zh::simplified_view(text);
        let paragraphs = sentences::paragraphs(text);
        let mut sentence_spans = Vec::new();
        let mut sentence_paragraph = Vec::new();
        let mut quotes = Vec::new();
        for (p, &para) in paragraphs.iter().enumerate() {
            let before = sentence_spans.len();
            sentences::sentences(text, para, &mut sentence_spans);
            sentence_paragraph.resize(sentence_spans.len().max(before), p);
            quotes::pair_quotes(text, para, &mut quotes);
        }

        let letters: Vec<LetterCounts> = sentence_spans
            .iter()
            .map(|s| LetterCounts::of(s.slice(text)))
            .collect();
        // Latin text with no function word at all ("Trump Wins") takes the language of the
        // document's other Latin-script sentences; English when there are none.
        let (en_votes, other_votes) = letters.iter().fold((0, 0), |(e, o), l| match l.latin_lang {
            Some(Lang::En) => (e + l.latin, o),
            Some(_) => (e, o + l.latin),
            None => (e, o),
        });
        let default_latin = if other_votes > en_votes {
            Lang::Other
        } else {
            Lang::En
        };

        let mut langs = LangShares::default();
        let mut tokens = Vec::new();
        let mut sentences = Vec::with_capacity(sentence_spans.len());
        for ((span, paragraph), letter) in sentence_spans
            .into_iter()
            .zip(sentence_paragraph)
            .zip(&letters)
        {
            let latin = letter.latin_lang.unwrap_or(default_latin);
            langs.add(letter, latin);
            let lang = letter
                .lang()
                .unwrap_or(if letter.latin > 0 { latin } else { Lang::Other });
            let script = (letter.han > 0).then(|| zh::ScriptCounts::of(span.slice(text)).script());
            let first = tokens.len();
            tokens::tokenize(text, &simplified, span, &mut tokens);
            sentences.push(Sentence {
                span,
                paragraph,
                lang,
                script,
                tokens: first..tokens.len(),
            });
        }
        let top = (0..quotes.len())
            .filter(|&i| quotes[i].depth == 0)
            .collect();
        TextView {
            text,
            simplified,
            paragraphs,
            sentences,
            tokens,
            quotes,
            top,
            langs,
            lower: std::sync::OnceLock::new(),
        }
    }

    /// The tokens of one sentence.
    pub fn sentence_tokens(&self, sentence: &Sentence) -> &[Token] {
        self.tokens.get(sentence.tokens.clone()).unwrap_or(&[])
    }

    /// Words in the document (English words plus Chinese words), for per-1k-words rates.
    pub fn word_count(&self) -> usize {
        self.tokens.iter().filter(|t| t.is_word()).count()
    }

    /// The index of the sentence containing byte `offset`, if any.
    pub fn sentence_at(&self, offset: usize) -> Option<usize> {
        let i = self.sentences.partition_point(|s| s.span.end <= offset);
        (i < self.sentences.len() && self.sentences[i].span.start <= offset).then_some(i)
    }

    /// Whether the byte `offset` lies in a Chinese sentence.
    pub fn is_chinese_at(&self, offset: usize) -> bool {
        self.sentence_at(offset)
            .is_some_and(|s| self.sentences[s].lang == crate::doc::Lang::Zh)
    }

    /// The whole text lower-cased; computed once per view.
    pub fn lower(&self) -> &str {
        self.lower.get_or_init(|| self.text.to_lowercase())
    }

    /// The outermost quotes, in order.
    pub fn top_quotes(&self) -> impl Iterator<Item = &Quote> + '_ {
        self.top.iter().map(|&i| &self.quotes[i])
    }

    fn top_at(&self, k: usize) -> Option<&Quote> {
        self.top.get(k).map(|&i| &self.quotes[i])
    }

    /// The closed outermost quote whose words contain `span` (a "said" inside quoted speech).
    pub fn quote_around(&self, span: Span) -> Option<&Quote> {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start <= span.start);
        let q = self.top_at(k.checked_sub(1)?)?;
        (q.closed && q.content.contains(&span)).then_some(q)
    }

    /// The outermost quote whose span (marks included) covers `span`.
    pub fn quote_covering(&self, span: Span) -> Option<&Quote> {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start <= span.start);
        let q = self.top_at(k.checked_sub(1)?)?;
        q.span.contains(&span).then_some(q)
    }

    /// Whether an outermost quote overlaps `span`.
    pub fn quote_overlapping(&self, span: Span) -> bool {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start < span.end);
        k.checked_sub(1)
            .and_then(|k| self.top_at(k))
            .is_some_and(|q| q.span.overlaps(&span))
    }

    /// The outermost quote that starts exactly at `pos`.
    pub fn quote_starting_at(&self, pos: usize) -> Option<&Quote> {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start < pos);
        self.top_at(k).filter(|q| q.span.start == pos)
    }

    /// The closed outermost quote that ends exactly at `pos`.
    pub fn quote_ending_at(&self, pos: usize) -> Option<&Quote> {
        let k = self.top.partition_point(|&i| self.quotes[i].span.end < pos);
        self.top_at(k).filter(|q| q.span.end == pos && q.closed)
    }

    /// An outermost quote that starts in `[from, end)` and runs on past `end`.
    pub fn quote_crossing(&self, from: usize, end: usize) -> Option<&Quote> {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start < end);
        let q = self.top_at(k.checked_sub(1)?)?;
        (q.span.start >= from && q.span.end > end).then_some(q)
    }

    /// The outermost quotes lying inside `span`.
    pub fn quotes_within(&self, span: Span) -> impl Iterator<Item = &Quote> + '_ {
        let k = self
            .top
            .partition_point(|&i| self.quotes[i].span.start < span.start);
        self.top[k..]
            .iter()
            .map(|&i| &self.quotes[i])
            .take_while(move |q| q.span.start < span.end)
            .filter(move |q| span.contains(&q.span))
    }

    /// The main language: the largest share of letters; `None` for a text without letters.
    pub fn main_lang(&self) -> Option<Lang> {
        self.langs.main()
    }
}

/// `word` lower-cased, borrowed when it already is (most words of English text: the analysers
/// ask this of every token, several times).
pub fn lowercase(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_page_reports_both_languages() {
        let text = "美國對西北工業大學千次網攻? 賴岳謙嗆:就是想偷技術! Prof. Lai: US just want to steal technology.\n\nThe ministry said the report was false.";
        let view = TextView::new(text);
        assert_eq!(view.sentences.len(), 4);
        assert_eq!(view.sentences[0].lang, Lang::Zh);
        assert_eq!(view.sentences[0].script, Some(ZhScript::Traditional));
        assert_eq!(view.sentences[2].lang, Lang::En);
        assert_eq!(view.sentences[3].paragraph, 1);
        let shares = view.langs.shares();
        let en = shares.iter().find(|s| s.0 == Lang::En).map_or(0.0, |s| s.1);
        let zh = shares.iter().find(|s| s.0 == Lang::Zh).map_or(0.0, |s| s.1);
        assert!(en > 0.4 && zh > 0.2, "{shares:?}");
        assert_eq!(view.sentence_at(0), Some(0));
        assert!(view.word_count() > 15);
    }

    #[test]
    fn empty_text() {
        let view = TextView::new("");
        assert!(view.sentences.is_empty());
        assert_eq!(view.main_lang(), None);
        assert_eq!(view.word_count(), 0);
    }
}
