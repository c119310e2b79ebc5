//! Repetition: the same multiword expression used again and again in one document.

use std::borrow::Cow;
use std::collections::HashMap;

use super::Hit;
use crate::report::Technique;
use crate::text::{lowercase, TextView, TokenKind};

/// How often an expression must appear before its later uses count as repetition.
const MIN_COUNT: usize = 3;
/// Expressions of this many words (Chinese: jieba words), longest first.
const LENGTHS: [usize; 3] = [4, 3, 2];

/// Words too common to make an expression on their own ("of the", "in the").
const STOP: [&str; 40] = [
    "the", "a", "an", "of", "to", "in", "and", "or", "is", "was", "are", "were", "be", "for", "on",
    "at", "by", "with", "that", "this", "it", "as", "from", "has", "have", "had", "he", "she",
    "they", "we", "said", "not", "but", "its", "his", "her", "的", "了", "是", "在",
];

/// A word too common to carry meaning alone.
pub fn is_stopword(word: &str) -> bool {
    STOP.contains(&word)
        || matches!(
            word,
            "is" | "are"
                | "had"
                | "be"
                | "been"
                | "would"
                | "will"
                | "could"
                | "there"
                | "their"
                | "which"
                | "who"
                | "what"
                | "however"
                | "still"
                | "also"
                | "according"
        )
}

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
    let stop: Vec<bool> = words
        .iter()
        .map(|(w, _)| STOP.contains(&w.as_ref()))
        .collect();
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
                    detector: "rules:repeated-expression",
                    evidence: format!(
                        "“{}” appears {} times in the document",
                        span.slice(view.text),
                        at.len()
                    ),
                });
            }
        }
    }
}
