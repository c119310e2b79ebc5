//! Paragraph and sentence segmentation for English, Chinese, and both mixed on one line.
//!
//! Hand-written rather than taken from `unicode-segmentation`: UAX #29 sentence breaks split after
//! every "Prof." and "U.S." and miss "網攻? 賴岳謙" (an ASCII question mark before Han text).
//! Every loop here moves forward only, so a 50 MB line costs linear time.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::script::{is_han, script, Script};
use crate::doc::Span;

const ABBREVIATIONS: &str = include_str!("../../data/en/abbreviations.txt");
const OPENERS: &str = include_str!("../../data/en/sentence_openers.txt");

/// How an abbreviation behaves before a full stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abbrev {
    /// Never ends a sentence (Prof., Mr.).
    Always,
    /// Only an abbreviation when a number follows (No. 5).
    BeforeNumber,
    /// May end a sentence; does when a typical opener follows (U.S., Inc.).
    CanEnd,
}

struct Rules {
    abbreviations: HashMap<&'static str, Abbrev>,
    openers: Vec<&'static str>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let abbreviations = data_lines(ABBREVIATIONS)
            .map(|line| match line.split_once(' ') {
                Some((word, "#")) => (word, Abbrev::BeforeNumber),
                Some((word, "$")) => (word, Abbrev::CanEnd),
                _ => (line, Abbrev::Always),
            })
            .collect();
        Rules {
            abbreviations,
            openers: data_lines(OPENERS).collect(),
        }
    })
}

/// Non-empty lines of a data file, without `#` comments.
pub(crate) fn data_lines(data: &str) -> impl Iterator<Item = &str> {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Paragraphs: runs of non-blank lines, where a line break starts a new paragraph unless the
/// line was merely wrapped (it ends mid-sentence and the next line goes on in lower case).
///
/// News files put one paragraph per line, often without blank lines between them (PTC does), so
/// a single line break separates paragraphs.
pub fn paragraphs(text: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut previous: Option<Span> = None;
    for line in lines(text) {
        let content = trim_span(text, line);
        let Some(current) = content else {
            if let Some(p) = previous.take() {
                out.push(p);
            }
            continue;
        };
        previous = Some(match previous {
            Some(p) if is_soft_wrap(text, p, current) => p.cover(&current),
            Some(p) => {
                out.push(p);
                current
            }
            None => current,
        });
    }
    out.extend(previous);
    out
}

/// Lines without their terminator; `\n`, `\r\n`, `\r`, U+2028 and U+2029 all end a line.
fn lines(text: &str) -> impl Iterator<Item = Span> + '_ {
    let mut pos = 0;
    let bytes = text.as_bytes();
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let rest = &text[start..];
        match rest.find(['\n', '\r', '\u{2028}', '\u{2029}']) {
            Some(off) => {
                let end = start + off;
                let term = rest[off..].chars().next().map_or(1, char::len_utf8);
                pos = end + term;
                if rest[off..].starts_with("\r\n") {
                    pos += 1;
                }
                Some(Span::new(start, end))
            }
            None => {
                pos = bytes.len();
                Some(Span::new(start, bytes.len()))
            }
        }
    })
}

/// The span without leading and trailing whitespace; `None` when nothing is left.
pub(crate) fn trim_span(text: &str, span: Span) -> Option<Span> {
    let s = span.slice(text);
    let trimmed_start = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return None;
    }
    let start = span.start + trimmed_start;
    Some(Span::new(start, start + trimmed.len()))
}

fn is_soft_wrap(text: &str, previous: Span, next: Span) -> bool {
    let last = previous.slice(text).chars().next_back();
    let first = next.slice(text).chars().next();
    matches!(last, Some(c) if c.is_alphanumeric() || matches!(c, ',' | '-' | ';'))
        && matches!(first, Some(c) if c.is_ascii_lowercase())
}

/// Sentences of one paragraph, trimmed, in order.
pub fn sentences(text: &str, paragraph: Span, out: &mut Vec<Span>) {
    let rules = rules();
    let s = paragraph.slice(text);
    let base = paragraph.start;
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        if !is_terminal(c) {
            i += c.len_utf8();
            continue;
        }
        // The whole cluster: "?!", "。”", "...", ".\"".
        let mut j = i + c.len_utf8();
        while let Some(d) = s[j..].chars().next() {
            if is_terminal(d) || is_closer(d) {
                j += d.len_utf8();
            } else {
                break;
            }
        }
        if ends_sentence(s, i, j, rules) {
            if let Some(span) = trim_span(text, Span::new(base + start, base + j)) {
                out.push(span);
            }
            start = j;
        }
        i = j;
    }
    if let Some(span) = trim_span(text, Span::new(base + start, base + s.len())) {
        out.push(span);
    }
}

fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '。' | '！' | '？' | '；' | '…' | '｡' | '‼' | '⁇' | '⁈' | '⁉'
    )
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '」' | '』' | ')' | '）' | ']' | '】' | '》' | '〉' | '»' | '›'
    )
}

/// Whether the terminal cluster `s[i..j]` ends a sentence.
fn ends_sentence(s: &str, i: usize, j: usize, rules: &Rules) -> bool {
    let cluster = &s[i..j];
    let before = s[..i].chars().next_back();
    let after = s[j..].chars().next();
    let Some(after) = after else {
        return true;
    };
    let han_before = before.is_some_and(is_han);
    // Full-width marks end a sentence wherever they stand; so does "……" in Chinese text.
    if cluster.contains(['。', '！', '？', '；', '｡']) {
        return true;
    }
    if cluster.starts_with('…') && (han_before || is_han(after)) {
        return true;
    }
    if !after.is_whitespace() {
        // "網攻?賴岳謙": an ASCII ! or ? directly before Han text.
        return is_han(after) && cluster.contains(['!', '?']);
    }
    let rest = s[j..].trim_start();
    let Some(next) = rest.chars().next() else {
        return true;
    };
    if next.is_lowercase() {
        return false;
    }
    let next_word: &str = rest
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    if cluster.starts_with('.') && !cluster.starts_with("..") {
        let word = word_before(&s[..i]);
        if let Some(kind) = rules.abbreviations.get(word) {
            return match kind {
                Abbrev::Always => false,
                Abbrev::BeforeNumber => !next.is_ascii_digit(),
                Abbrev::CanEnd => rules.openers.contains(&next_word),
            };
        }
        if is_initial(word) {
            return rules.openers.contains(&next_word);
        }
    }
    !matches!(script(next), Script::Other) || is_opener(next)
}

/// The run of ASCII letters and inner dots just before a full stop: "U.S" in "the U.S.".
fn word_before(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut k = bytes.len();
    // Bounded: no abbreviation is longer than a dozen bytes.
    while k > 0 && bytes.len() - k < 12 {
        let b = bytes[k - 1];
        if b.is_ascii_alphabetic() || (b == b'.' && k < bytes.len()) {
            k -= 1;
        } else {
            break;
        }
    }
    let word = &s[k..];
    let standalone = k == 0 || !bytes[k - 1].is_ascii_alphanumeric();
    if standalone {
        word.trim_start_matches('.')
    } else {
        ""
    }
}

/// A single capital letter: a name's initial ("John F. Kennedy").
fn is_initial(word: &str) -> bool {
    let mut cs = word.chars();
    matches!((cs.next(), cs.next()), (Some(c), None) if c.is_ascii_uppercase())
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '「' | '『' | '(' | '（' | '[' | '【' | '《' | '«' | '—' | '-'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for p in paragraphs(text) {
            sentences(text, p, &mut out);
        }
        out.iter().map(|s| s.slice(text)).collect()
    }

    #[test]
    fn english_abbreviations_and_initials() {
        assert_eq!(
            split("Prof. Lai spoke to Dr. Wu. Mr. John F. Kennedy Jr. was not there. The U.S. Navy left."),
            vec![
                "Prof. Lai spoke to Dr. Wu.",
                "Mr. John F. Kennedy Jr. was not there.",
                "The U.S. Navy left."
            ]
        );
    }

    #[test]
    fn abbreviation_that_ends_a_sentence() {
        assert_eq!(
            split("Sanctions hit the U.S. The ministry said so."),
            vec!["Sanctions hit the U.S.", "The ministry said so."]
        );
    }

    #[test]
    fn numbers_and_decimals() {
        assert_eq!(
            split("Growth was 3.5 percent. Resolution No. 5 passed. He said no. It ended."),
            vec![
                "Growth was 3.5 percent.",
                "Resolution No. 5 passed.",
                "He said no.",
                "It ended."
            ]
        );
    }

    #[test]
    fn quotes_after_the_full_stop() {
        assert_eq!(
            split("He said \"we will win.\" Then he left. \"Why?\" she asked. “Fine.” OK."),
            vec![
                "He said \"we will win.\"",
                "Then he left.",
                "\"Why?\" she asked.",
                "“Fine.”",
                "OK."
            ]
        );
    }

    #[test]
    fn chinese_marks_and_closing_quotes() {
        assert_eq!(
            split("他说：“我们不同意。”外交部表示反对！真的吗？是的；好吧……结束了"),
            vec![
                "他说：“我们不同意。”",
                "外交部表示反对！",
                "真的吗？",
                "是的；",
                "好吧……",
                "结束了"
            ]
        );
        assert_eq!(
            split("「這是假新聞。」他說。『好』"),
            vec!["「這是假新聞。」", "他說。", "『好』"]
        );
    }

    #[test]
    fn mixed_line() {
        assert_eq!(
            split("美國對西北工業大學千次網攻? 賴岳謙嗆:就是想偷技術! Prof. Lai: US just want to steal technology…"),
            vec![
                "美國對西北工業大學千次網攻?",
                "賴岳謙嗆:就是想偷技術!",
                "Prof. Lai: US just want to steal technology…"
            ]
        );
    }

    #[test]
    fn lines_and_paragraphs() {
        let text =
            "Title here\n\nFirst para. Still first.\r\nSecond para\nwrapped here.\n  \nThird.";
        let paras: Vec<&str> = paragraphs(text).iter().map(|p| p.slice(text)).collect();
        assert_eq!(
            paras,
            vec![
                "Title here",
                "First para. Still first.",
                "Second para\nwrapped here.",
                "Third."
            ]
        );
    }

    #[test]
    fn runs_of_marks_and_empty_text() {
        assert_eq!(split(""), Vec::<&str>::new());
        assert_eq!(split("   \n\n "), Vec::<&str>::new());
        assert_eq!(split("What?!?! No way..."), vec!["What?!?!", "No way..."]);
        assert_eq!(split("!!!!"), vec!["!!!!"]);
    }
}
