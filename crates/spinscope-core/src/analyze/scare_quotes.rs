//! Scare quotes: short quoted words the writer holds at a distance ("the “report”", 所谓的“人权”),
//! told apart from quotations of a speaker, from titles, and from quoted speech.

use std::sync::OnceLock;

use super::attribution::Attribution;
use super::lexicon::Sections;
use crate::doc::Span;
use crate::report::{Extent, Finding, SourceType};
use crate::text::script::is_han;
use crate::text::{Quote, TextView};

const CUES_EN: &str = include_str!("../../data/en/scare_quote_cues.txt");
const CUES_ZH: &str = include_str!("../../data/zh/scare_quote_cues.txt");

fn cues() -> &'static (Sections, Sections) {
    static CUES: OnceLock<(Sections, Sections)> = OnceLock::new();
    CUES.get_or_init(|| (Sections::parse(CUES_EN), Sections::parse(CUES_ZH)))
}

/// The most words a scare quote holds; longer quotations are quoted speech.
const MAX_WORDS: usize = 4;
const MAX_HAN: usize = 8;
/// Longer contents are not even looked at: with quotes nested 50,000 deep, reading each one
/// made the judge quadratic.
const MAX_BYTES: usize = 160;

pub fn find(view: &TextView<'_>, attributions: &[Attribution], out: &mut Vec<Finding>) {
    // Sorted views of the attributions, so each quote looks them up by binary search.
    let mut contents: Vec<Span> = attributions
        .iter()
        .filter(|a| a.source_type != SourceType::SelfOutlet)
        .map(|a| a.content)
        .collect();
    contents.sort();
    let mut cue_ends: Vec<usize> = attributions
        .iter()
        .filter_map(|a| a.cue.map(|c| c.end))
        .collect();
    cue_ends.sort_unstable();
    let index = Index { contents, cue_ends };
    for q in view.quotes.iter().filter(|q| q.closed) {
        if let Some((score, evidence)) = judge(view, q, &index) {
            out.push(Finding::ScareQuote {
                extent: Extent::new(q.span),
                score,
                detector: "rules:scare-quote".into(),
                evidence,
            });
        }
    }
}

struct Index {
    /// Contents of attributions to a source other than the outlet, sorted.
    contents: Vec<Span>,
    cue_ends: Vec<usize>,
}

impl Index {
    /// The content of what some source says that the quote lies inside. Contents rarely nest,
    /// so the few that start before the quote are enough to look at.
    fn attributed(&self, q: Span) -> Option<Span> {
        let k = self.contents.partition_point(|c| c.start <= q.start);
        self.contents[..k]
            .iter()
            .rev()
            .take(4)
            .find(|c| c.contains(&q))
            .copied()
    }

    /// Whether a cue ends at most three bytes before `at` ("said “no”").
    fn right_after_cue(&self, at: usize) -> bool {
        let k = self.cue_ends.partition_point(|&e| e <= at);
        k > 0 && at - self.cue_ends[k - 1] <= 3
    }
}

fn judge(view: &TextView<'_>, q: &Quote, index: &Index) -> Option<(f32, String)> {
    if q.content.len() > MAX_BYTES {
        return None;
    }
    let raw = q.content.slice(view.text);
    // "threat." at the end of a sentence: the full stop is not part of the phrase.
    let content = raw
        .trim()
        .trim_end_matches(['.', ',', '!', '?', '。', '，']);
    // Sentence punctuation means quoted speech; quote marks inside mean nested quotations.
    if content.is_empty()
        || content.contains([
            '.', '!', '?', '。', '！', '？', ',', '，', ';', '；', ':', '：', '"', '“', '”', '「',
            '」', '『', '』',
        ])
    {
        return None;
    }
    let words = content.split_whitespace().count();
    let han = content.chars().filter(|&c| is_han(c)).count();
    let chinese = han > 0;
    if (chinese && han > MAX_HAN) || (!chinese && words > MAX_WORDS) {
        return None;
    }
    let (en, zh) = cues();
    let before_simplified = preceding(&view.simplified, q.span.start, 24);
    let before = before_simplified.to_lowercase();
    let last_words: Vec<&str> = before.split_whitespace().rev().take(2).collect();
    let strong = en
        .list("strong")
        .iter()
        .any(|c| before.trim_end().ends_with(c.as_str()))
        || zh
            .list("strong")
            .iter()
            .any(|c| before.trim_end().ends_with(c.as_str()));
    if strong {
        // "所谓“双碳”，就是……": a definition of the term, not a distance from it.
        let after = view.simplified[q.span.end..].trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '，' | ',' | '：' | ':')
        });
        if zh
            .list("definition")
            .iter()
            .any(|d| after.starts_with(d.as_str()))
        {
            return None;
        }
        let cue = before.split_whitespace().last().unwrap_or("").to_string();
        return Some((0.9, format!("short quotation after “{}”", cue.trim())));
    }
    let title_cue = last_words
        .iter()
        .any(|w| en.has("title", w.trim_matches(|c: char| !c.is_alphanumeric())))
        || zh
            .list("title")
            .iter()
            .any(|c| before.trim_end().ends_with(c.as_str()));
    let capitalised = content
        .split_whitespace()
        .filter(|w| w.starts_with(|c: char| c.is_uppercase()))
        .count();
    let title_case = !chinese && words >= 2 && capitalised == words;
    if title_cue || title_case {
        return None;
    }
    let determiner = last_words
        .first()
        .is_some_and(|w| cues().0.list("determiner").iter().any(|d| d == w))
        && words <= 2
        && !content.starts_with(|c: char| c.is_uppercase());
    if determiner {
        return Some((
            0.75,
            format!("“{content}” quoted after a determiner, as a term held at a distance"),
        ));
    }
    // Right after a cue ("said “no”") a quotation is the speaker's words.
    if index.right_after_cue(q.span.start) {
        return None;
    }
    // Inside what a source says, a quoted fragment that ends it ("the move was “a
    // provocation”") is the speaker's own words; a quoted term in the middle of the clause, or
    // one of several ("held “interviews” with “witnesses”"), is the writer's distance.
    if let Some(content_span) = index.attributed(q.span) {
        let after = Span::new(q.span.end, content_span.end.max(q.span.end)).slice(view.text);
        let continues = after
            .split_whitespace()
            .any(|w| w.chars().any(char::is_alphanumeric));
        let terms = view
            .quotes_within(content_span)
            .filter(|o| o.closed && o.content.len() <= 40)
            .count();
        if words <= 2 && (continues || terms >= 2) {
            return Some((
                0.5,
                format!("“{content}” quoted inside reported speech, a term held at a distance"),
            ));
        }
        return None;
    }
    let score = if chinese { 0.55 } else { 0.6 };
    Some((
        score,
        format!("short quotation “{content}” attributed to nobody"),
    ))
}

/// Up to `max` bytes of text before `at`, cut on a character boundary.
fn preceding(text: &str, at: usize, max: usize) -> &str {
    let mut from = at.saturating_sub(max);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    Span::new(from, at).slice(text)
}
