//! Quote pairing: “” ‘’ 「」 『』 «» and ASCII " ', tolerant of the unbalanced quotes real text has.
//!
//! Pairs are found within a paragraph. A quote left open at the end of a paragraph runs to its
//! end (news style opens a long quotation again on each paragraph and closes it only on the
//! last); a closing mark without an opener is ignored.

use crate::doc::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteStyle {
    /// “ ”
    Double,
    /// ‘ ’
    Single,
    /// 「 」
    Corner,
    /// 『 』
    WhiteCorner,
    /// « » and ‹ ›
    Guillemet,
    /// ASCII "
    StraightDouble,
    /// ASCII '
    StraightSingle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub style: QuoteStyle,
    /// From the opening mark to the closing mark (or the paragraph's end), marks included.
    pub span: Span,
    /// The quoted words, marks excluded.
    pub content: Span,
    /// False when no closing mark was found.
    pub closed: bool,
    /// Nesting depth: 0 for an outermost quote.
    pub depth: usize,
}

/// How far down the stack a closing mark looks for its opener; keeps 100k nested quotes linear.
const MAX_REPAIR_DEPTH: usize = 8;

/// Quotes in one paragraph of `text`, appended to `out` ordered by their start.
pub fn pair_quotes(text: &str, paragraph: Span, out: &mut Vec<Quote>) {
    let s = paragraph.slice(text);
    let base = paragraph.start;
    let first = out.len();
    // (style, byte offset of the opening mark, its length, index in `out` reserved later)
    let mut stack: Vec<(QuoteStyle, usize, usize)> = Vec::new();
    let mut prev: Option<char> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((i, mut c)) = iter.next() {
        let mut len = c.len_utf8();
        // Two apostrophes are a double quotation mark (''like this'' in older wire copy).
        if c == '\'' && iter.peek().is_some_and(|&(_, n)| n == '\'') {
            iter.next();
            c = '"';
            len = 2;
        }
        let next = iter.peek().map(|&(_, n)| n);
        let action = classify(c, prev, next, &stack);
        match action {
            Mark::Open(style) => stack.push((style, i, len)),
            Mark::Close(style) => {
                let found = stack
                    .iter()
                    .rev()
                    .take(MAX_REPAIR_DEPTH)
                    .position(|&(st, _, _)| st == style);
                if let Some(from_top) = found {
                    let keep = stack.len() - from_top - 1;
                    // Openers above the match were never closed: they end where this one does.
                    while stack.len() > keep + 1 {
                        if let Some((st, at, l)) = stack.pop() {
                            out.push(quote(st, base + at, l, base + i, 0, false, stack.len()));
                        }
                    }
                    if let Some((st, at, l)) = stack.pop() {
                        out.push(quote(st, base + at, l, base + i, len, true, stack.len()));
                    }
                }
            }
            Mark::None => {}
        }
        prev = Some(c);
    }
    while let Some((st, at, l)) = stack.pop() {
        out.push(quote(
            st,
            base + at,
            l,
            base + s.len(),
            0,
            false,
            stack.len(),
        ));
    }
    out[first..].sort_by_key(|q| (q.span.start, std::cmp::Reverse(q.span.end)));
}

fn quote(
    style: QuoteStyle,
    open: usize,
    open_len: usize,
    close: usize,
    close_len: usize,
    closed: bool,
    depth: usize,
) -> Quote {
    Quote {
        style,
        span: Span::new(open, close + close_len),
        content: Span::new(open + open_len, close),
        closed,
        depth,
    }
}

enum Mark {
    Open(QuoteStyle),
    Close(QuoteStyle),
    None,
}

fn classify(
    c: char,
    prev: Option<char>,
    next: Option<char>,
    stack: &[(QuoteStyle, usize, usize)],
) -> Mark {
    use QuoteStyle::*;
    let is_open = |style| {
        stack
            .iter()
            .rev()
            .take(MAX_REPAIR_DEPTH)
            .any(|&(s, _, _)| s == style)
    };
    let prev_space = prev.is_none_or(|p| p.is_whitespace() || is_opening_context(p));
    let next_space = next.is_none_or(|n| n.is_whitespace());
    let prev_letter = prev.is_some_and(char::is_alphanumeric);
    let next_letter = next.is_some_and(char::is_alphanumeric);
    match c {
        '“' => Mark::Open(Double),
        '”' => Mark::Close(Double),
        '「' => Mark::Open(Corner),
        '」' => Mark::Close(Corner),
        '『' => Mark::Open(WhiteCorner),
        '』' => Mark::Close(WhiteCorner),
        '«' | '‹' => Mark::Open(Guillemet),
        '»' | '›' => Mark::Close(Guillemet),
        '‘' => Mark::Open(Single),
        // ’ is also the typographic apostrophe: "don’t", "China’s".
        '’' if prev_letter && next_letter => Mark::None,
        '’' if is_open(Single) => Mark::Close(Single),
        '"' => {
            if is_open(StraightDouble) && !prev_space {
                Mark::Close(StraightDouble)
            } else if prev_space && !next_space {
                Mark::Open(StraightDouble)
            } else if is_open(StraightDouble) {
                Mark::Close(StraightDouble)
            } else if !next_space {
                Mark::Open(StraightDouble)
            } else {
                Mark::None
            }
        }
        '\'' => {
            if prev_letter && next_letter {
                Mark::None // apostrophe
            } else if is_open(StraightSingle) && !prev_space && !next_letter {
                Mark::Close(StraightSingle)
            } else if prev_space && next_letter {
                Mark::Open(StraightSingle)
            } else {
                Mark::None // "the '90s", "Jesus' words"
            }
        }
        _ => Mark::None,
    }
}

/// Characters after which a quote mark opens: brackets, dashes, colons, other quotes.
fn is_opening_context(c: char) -> bool {
    matches!(
        c,
        '(' | '['
            | '{'
            | '（'
            | '【'
            | '—'
            | '–'
            | '-'
            | ':'
            | '：'
            | '“'
            | '‘'
            | '「'
            | '『'
            | '«'
            | '/'
            | '，'
            | '、'
            | '。'
    ) || super::script::is_han(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(text: &str) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        pair_quotes(text, Span::new(0, text.len()), &mut out);
        out.iter()
            .map(|q| (q.content.slice(text), q.closed))
            .collect()
    }

    #[test]
    fn curly_and_corner() {
        assert_eq!(
            quotes("He called it a “report” and 「假新聞」 and 『好』."),
            vec![("report", true), ("假新聞", true), ("好", true)]
        );
    }

    #[test]
    fn nested() {
        let text = "“He said ‘no’ twice,” she said.";
        let mut out = Vec::new();
        pair_quotes(text, Span::new(0, text.len()), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].content.slice(text), "He said ‘no’ twice,");
        assert_eq!(out[1].content.slice(text), "no");
        assert_eq!(out[1].depth, 1);
    }

    #[test]
    fn straight_quotes_and_apostrophes() {
        assert_eq!(
            quotes("\"The issue is serious,\" he said, calling it 'stronger'. Don't worry, it's China's."),
            vec![("The issue is serious,", true), ("stronger", true)]
        );
        assert_eq!(quotes("China’s “plan”"), vec![("plan", true)]);
        assert_eq!(
            quotes("''Family values people'' are ''not out to bash gays,'' he said."),
            vec![
                ("Family values people", true),
                ("not out to bash gays,", true)
            ]
        );
    }

    #[test]
    fn unbalanced_quotes() {
        // Opened and never closed: runs to the paragraph's end.
        assert_eq!(
            quotes("He said “we will win. Nobody"),
            vec![("we will win. Nobody", false)]
        );
        // Closed without an opener: ignored.
        assert_eq!(quotes("stray” mark"), Vec::<(&str, bool)>::new());
        // A mismatched closer repairs the inner quote.
        assert_eq!(
            quotes("“outer ‘inner” done"),
            vec![("outer ‘inner", true), ("inner", false)]
        );
    }

    #[test]
    fn many_nested_quotes_stay_linear() {
        let text = "“".repeat(100_000) + &"”".repeat(100_000);
        let mut out = Vec::new();
        pair_quotes(&text, Span::new(0, text.len()), &mut out);
        assert_eq!(out.len(), 100_000);
    }
}
