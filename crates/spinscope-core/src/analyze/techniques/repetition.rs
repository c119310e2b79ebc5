//! Repetition: the same multiword expression used again and again in one document.

use std::collections::HashMap;

use super::Hit;
use crate::report::Technique;
use crate::text::{TextView, TokenKind};

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
    let words: Vec<(String, crate::doc::Span)> = view
        .tokens
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Han | TokenKind::Number))
        .map(|t| (t.span.slice(&view.simplified).to_lowercase(), t.span))
        .collect();
    // Each word once: an id (n-grams become small integer keys) and whether it is a stopword
    // or a single character; this runs on every document, so no per-n-gram strings.
    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(words.len());
    let word_ids: Vec<u32> = words
        .iter()
        .map(|(w, _)| {
            let next = ids.len() as u32;
            *ids.entry(w.as_str()).or_insert(next)
        })
        .collect();
    let stop: Vec<bool> = words
        .iter()
        .map(|(w, _)| STOP.contains(&w.as_str()))
        .collect();
    let single: Vec<bool> = words.iter().map(|(w, _)| w.chars().count() == 1).collect();
    let mut taken = vec![false; words.len()];
    for n in LENGTHS {
        if words.len() < n {
            continue;
        }
        let mut seen: HashMap<[u32; 4], Vec<usize>> = HashMap::with_capacity(words.len());
        for i in 0..=words.len() - n {
            let content = stop[i..i + n].iter().filter(|&&s| !s).count();
            let han_only_short = single[i..i + n].iter().all(|&s| s);
            if content < 2 || han_only_short {
                continue;
            }
            let mut key = [u32::MAX; 4];
            key[..n].copy_from_slice(&word_ids[i..i + n]);
            seen.entry(key).or_default().push(i);
        }
        let mut grams: Vec<([u32; 4], Vec<usize>)> = seen
            .into_iter()
            .filter(|(_, at)| at.len() >= MIN_COUNT)
            .collect();
        grams.sort_by_key(|(_, at)| at[0]);
        for (_, at) in grams {
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
