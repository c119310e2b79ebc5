//! Repetition: the same message used again and again in one document.
//!
//! Two readings of the words. [`find`] marks every later use of a multiword expression that
//! occurs three times or more — a feature the linear tagger and classifier were trained with, not
//! a finding. [`messages`] makes the findings: a phrase that carries a persuasion technique found
//! by another detector (a loaded phrase, a label, a slogan) and is used again, one finding per
//! phrase listing every use. Names, the outlet's own name, function-word runs and the story's
//! topic words are used again because the story is about them, and carry no technique: they are
//! not messages.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::Hit;
use crate::report::{Finding, Range, Technique};
use crate::text::{lowercase, TextView, TokenKind};

/// How often an expression must appear before its later uses count as repetition.
const MIN_COUNT: usize = 3;
/// Expressions of this many words (Chinese: jieba words), longest first.
const LENGTHS: [usize; 3] = [4, 3, 2];

const STOPWORDS: &str = include_str!("../../../data/stopwords.txt");

/// A word too common to carry meaning alone (`data/stopwords.txt`).
pub fn is_stopword(word: &str) -> bool {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS
        .get_or_init(|| crate::analyze::lexicon::words(STOPWORDS))
        .contains(word)
}

/// The detector name of [`find`]'s feature hits (never shown as findings).
pub const REPEATED_EXPRESSION: &str = "rules:repeated-expression";

/// Marks the later uses of every multiword expression used three times or more.
pub fn find(view: &TextView<'_>, out: &mut Vec<Hit>) {
    // Words only, lower-cased, with their spans.
    let words: Vec<(Cow<str>, crate::doc::Span)> = view
        .tokens
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Han | TokenKind::Number))
        .map(|t| (lowercase(t.span.slice(&view.simplified)), t.span))
        .collect();
    // Each word once: an id (n-grams become small integer keys) and whether it is a stopword
    // or a single character; this runs on every document, so no per-n-gram strings.
    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(words.len());
    let word_ids: Vec<u32> = words
        .iter()
        .map(|(w, _)| {
            let next = ids.len() as u32;
            *ids.entry(w.as_ref()).or_insert(next)
        })
        .collect();
    let stop: Vec<bool> = words.iter().map(|(w, _)| is_stopword(w)).collect();
    let single: Vec<bool> = words.iter().map(|(w, _)| w.chars().count() == 1).collect();
    let mut taken = vec![false; words.len()];
    for n in LENGTHS {
        if words.len() < n {
            continue;
        }
        // Every n-gram with its position, sorted: equal n-grams end up adjacent, their
        // positions in order. (A map to a Vec of positions allocated once per distinct n-gram,
        // and nearly all occur once.)
        let mut seen: Vec<([u32; 4], usize)> = Vec::with_capacity(words.len());
        for i in 0..=words.len() - n {
            let content = stop[i..i + n].iter().filter(|&&s| !s).count();
            let han_only_short = single[i..i + n].iter().all(|&s| s);
            if content < 2 || han_only_short {
                continue;
            }
            let mut key = [u32::MAX; 4];
            key[..n].copy_from_slice(&word_ids[i..i + n]);
            seen.push((key, i));
        }
        seen.sort_unstable();
        let mut grams: Vec<Vec<usize>> = seen
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|group| group.len() >= MIN_COUNT)
            .map(|group| group.iter().map(|&(_, i)| i).collect())
            .collect();
        grams.sort_by_key(|at| at[0]);
        for at in grams {
            for &i in at.iter().skip(1) {
                if taken[i..i + n].iter().any(|&t| t) {
                    continue;
                }
                taken[i..i + n].iter_mut().for_each(|t| *t = true);
                let span = words[i].1.cover(&words[i + n - 1].1);
                out.push(Hit {
                    technique: Technique::Repetition,
                    span,
                    score: 0.6,
                    detector: REPEATED_EXPRESSION,
                    evidence: format!(
                        "“{}” appears {} times in the document",
                        span.slice(view.text),
                        at.len()
                    ),
                    occurrences: Vec::new(),
                });
            }
        }
    }
}

/// A phrase's words: lower-cased (Chinese through the Simplified view), with their spans.
fn words<'a>(view: &'a TextView<'_>) -> Vec<(Cow<'a, str>, crate::doc::Span)> {
    view.tokens
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Han | TokenKind::Number))
        .map(|t| (lowercase(t.span.slice(&view.simplified)), t.span))
        .collect()
}

/// Whether a word can carry a message: not a function word, a reporting verb ("told the
/// Global Times" is the outlet citing itself) or a kind of source ("officials", "experts":
/// sourcing, which attributions count), not a number, not a word of one or two Latin letters
/// or a lone Han character.
fn carries(word: &str) -> bool {
    let chars = word.chars().count();
    !is_stopword(word)
        && !crate::analyze::attribution::is_reporting_verb(word)
        && !crate::analyze::attribution::is_cue_verb(word)
        && !crate::analyze::attribution::is_source_noun(word)
        && !word.chars().all(|c| c.is_ascii_digit())
        && if word.chars().any(|c| c.is_ascii_alphabetic()) {
            chars >= 3
        } else {
            chars >= 2
        }
}

/// The repeated messages of a document: phrases of one to four words, their edge words
/// carrying meaning ([`carries`]), used at least twice (a single word three times), not in
/// Title Case (names of people, places and bodies, the outlet's own), and with at least one use
/// (two, for a single word), and half of its uses, inside a technique that `others` found. Longer phrases first; a
/// use inside a longer message's use is not counted again.
pub fn messages(view: &TextView<'_>, others: &[Hit]) -> Vec<Hit> {
    let words = words(view);
    let mut others: Vec<crate::doc::Span> = others
        .iter()
        .filter(|h| h.technique != Technique::Repetition && h.detector != REPEATED_EXPRESSION)
        .map(|h| h.span)
        .collect();
    others.sort();
    let inside_technique = |span: crate::doc::Span| {
        let from = others.partition_point(|o| o.end <= span.start);
        others[from..]
            .iter()
            .take_while(|o| o.start < span.end)
            .any(|o| o.overlaps(&span))
    };
    let title_case = |span: crate::doc::Span| {
        let text = span.slice(view.text);
        text.split_whitespace()
            .filter(|w| carries(&w.to_lowercase()))
            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && text.chars().any(char::is_lowercase)
    };
    let mut taken = vec![false; words.len()];
    let mut out = Vec::new();
    for n in [4, 3, 2, 1] {
        if words.len() < n {
            continue;
        }
        let mut uses: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
        for i in 0..=words.len() - n {
            let gram: Vec<&str> = words[i..i + n].iter().map(|(w, _)| w.as_ref()).collect();
            if !carries(gram[0]) || !carries(gram[n - 1]) {
                continue;
            }
            // Within one sentence: a phrase does not run over a full stop.
            let span = words[i].1.cover(&words[i + n - 1].1);
            if view.sentence_at(span.start) != view.sentence_at(span.end.saturating_sub(1)) {
                continue;
            }
            uses.entry(gram).or_default().push(i);
        }
        let mut found: Vec<(usize, Vec<usize>)> = uses
            .into_values()
            .filter_map(|at| {
                // Uses that do not overlap each other or a longer message's.
                let mut kept: Vec<usize> = Vec::new();
                for i in at {
                    let free = !taken[i..i + n].iter().any(|&t| t);
                    if free && kept.last().is_none_or(|&k| k + n <= i) {
                        kept.push(i);
                    }
                }
                (kept.len() >= if n == 1 { 3 } else { 2 }).then(|| (kept[0], kept))
            })
            .collect();
        found.sort();
        for (_, at) in found {
            let spans: Vec<crate::doc::Span> = at
                .iter()
                .map(|&i| words[i].1.cover(&words[i + n - 1].1))
                .collect();
            let supported = spans.iter().filter(|s| inside_technique(**s)).count();
            // A story's topic ("the think tank", "the region") recurs in neutral sentences too;
            // a message carries its technique in at least half of its uses.
            let enough = supported >= if n == 1 { 2 } else { 1 } && 2 * supported >= spans.len();
            if !enough || spans.iter().all(|s| title_case(*s)) {
                continue;
            }
            for &i in &at {
                taken[i..i + n].iter_mut().for_each(|t| *t = true);
            }
            let share = supported as f32 / spans.len() as f32;
            out.push(Hit {
                technique: Technique::Repetition,
                span: spans[0],
                score: (0.3 + 0.5 * share).min(0.8),
                detector: "rules:repeated-message",
                evidence: format!(
                    "“{}” is used {} times, {supported} of them inside another technique",
                    spans[0].slice(view.text),
                    spans.len()
                ),
                occurrences: spans,
            });
        }
    }
    out.sort_by_key(|h| h.span.start);
    out
}

/// Makes every technique finding labelled Repetition a message: the models label single spans
/// Repetition when their words recur, and a report says which words and where. A span inside a
/// message already found is dropped; one whose words (the same words, any case) are used again
/// becomes a message listing every use; one used only once, or whose edge words carry no
/// message ([`carries`]), is no repetition and is dropped.
/// Byte offsets; runs after every detector, before calibration.
pub fn gather(view: &TextView<'_>, findings: &mut Vec<Finding>) {
    let is_single = |f: &Finding| matches!(f, Finding::Technique { label: Technique::Repetition, occurrences, .. } if occurrences.is_empty());
    if !findings.iter().any(is_single) {
        return;
    }
    let words = words(view);
    let mut covered: Vec<Range> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique { occurrences, .. } if !occurrences.is_empty() => {
                Some(occurrences.clone())
            }
            _ => None,
        })
        .flatten()
        .collect();
    let mut kept = Vec::with_capacity(findings.len());
    for mut f in std::mem::take(findings) {
        if !is_single(&f) {
            kept.push(f);
            continue;
        }
        let Finding::Technique {
            extent,
            occurrences,
            evidence,
            ..
        } = &mut f
        else {
            continue;
        };
        let overlaps = |r: &Range| r.start < extent.end && extent.start < r.end;
        if covered.iter().any(overlaps) {
            continue;
        }
        // The span's words, then every run of the same words.
        let first = words.partition_point(|(_, s)| s.end <= extent.start);
        let last = words.partition_point(|(_, s)| s.start < extent.end);
        if first >= last {
            continue;
        }
        let gram: Vec<&str> = words[first..last].iter().map(|(w, _)| w.as_ref()).collect();
        let n = gram.len();
        // As for the rules' messages: no sourcing nouns, reporting verbs or function words.
        if !carries(gram[0]) || !carries(gram[n - 1]) {
            continue;
        }
        let mut uses: Vec<Range> = Vec::new();
        let mut i = 0;
        while i + n <= words.len() {
            if words[i..i + n]
                .iter()
                .map(|(w, _)| w.as_ref())
                .eq(gram.iter().copied())
            {
                let span = words[i].1.cover(&words[i + n - 1].1);
                uses.push(Range {
                    start: span.start,
                    end: span.end,
                });
                i += n;
            } else {
                i += 1;
            }
        }
        if uses.len() < 2 {
            continue;
        }
        evidence.push_str(&format!("; these words are used {} times", uses.len()));
        extent.start = uses[0].start;
        extent.end = uses[0].end;
        covered.extend(uses.iter().copied());
        *occurrences = uses;
        kept.push(f);
    }
    *findings = kept;
}
