//! Word tokens: Unicode word boundaries (UAX #29) for alphabetic text, jieba for Han runs.

use unicode_segmentation::UnicodeSegmentation;

use super::script::{is_han, script, Script};
use super::zh;
use crate::doc::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word of an alphabetic script ("U.S", "don't", "Ghebreyesus").
    Word,
    /// A Chinese word from jieba ("外交部", "汪文斌").
    Han,
    Number,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
}

impl Token {
    /// Words of any script (what "per 1k words" counts).
    pub fn is_word(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::Han)
    }
}

/// Tokens of `span` in `text`, appended to `out`. `simplified` is the Simplified view of the
/// whole text (same offsets), which jieba's dictionary expects.
pub fn tokenize(text: &str, simplified: &str, span: Span, out: &mut Vec<Token>) {
    let mut run_start = span.start;
    let mut run_han = None;
    for (i, c) in span.slice(text).char_indices() {
        let han = is_han(c);
        let at = span.start + i;
        match run_han {
            Some(h) if h == han => {}
            Some(h) => {
                push_run(text, simplified, Span::new(run_start, at), h, out);
                run_start = at;
                run_han = Some(han);
            }
            None => run_han = Some(han),
        }
    }
    if let Some(h) = run_han {
        push_run(text, simplified, Span::new(run_start, span.end), h, out);
    }
}

fn push_run(text: &str, simplified: &str, run: Span, han: bool, out: &mut Vec<Token>) {
    if han {
        for (s, e) in zh::words(run.slice(simplified)) {
            out.push(Token {
                span: Span::new(run.start + s, run.start + e),
                kind: TokenKind::Han,
            });
        }
        return;
    }
    for (i, piece) in run.slice(text).split_word_bound_indices() {
        let Some(kind) = classify(piece) else {
            continue;
        };
        let start = run.start + i;
        out.push(Token {
            span: Span::new(start, start + piece.len()),
            kind,
        });
    }
}

fn classify(piece: &str) -> Option<TokenKind> {
    let mut kind = None;
    for c in piece.chars() {
        match script(c) {
            Script::Space => {}
            Script::Digit => {
                kind.get_or_insert(TokenKind::Number);
            }
            Script::Other => {
                kind.get_or_insert(TokenKind::Punct);
            }
            _ => return Some(TokenKind::Word),
        }
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(&str, TokenKind)> {
        let view = zh::simplified_view(text);
        let mut out = Vec::new();
        tokenize(text, &view, Span::new(0, text.len()), &mut out);
        out.iter().map(|t| (t.span.slice(text), t.kind)).collect()
    }

    #[test]
    fn english_words_numbers_punct() {
        let t = toks("The U.S. didn't pay $3.5 billion.");
        let words: Vec<&str> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            words,
            vec!["The", "U.S", ".", "didn't", "pay", "$", "3.5", "billion", "."]
        );
        assert_eq!(t[6].1, TokenKind::Number);
        assert_eq!(t[0].1, TokenKind::Word);
    }

    #[test]
    fn mixed_han_and_latin() {
        let t = toks("賴岳謙嗆:就是想偷技術! Prof. Lai");
        let words: Vec<&str> = t.iter().map(|x| x.0).collect();
        assert!(words.contains(&"技術"), "{words:?}");
        assert!(words.contains(&"Prof"), "{words:?}");
        assert_eq!(
            t.iter().find(|x| x.0 == "技術").map(|x| x.1),
            Some(TokenKind::Han)
        );
        // Tokens never overlap and stay in order.
        let spans: Vec<usize> = t.iter().map(|x| x.0.len()).collect();
        assert!(spans.iter().all(|&n| n > 0));
    }
}
