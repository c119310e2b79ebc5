//! Technique phrase lists (`data/{en,zh}/techniques.txt`) matched with Aho-Corasick: English
//! case-insensitively on word boundaries, Chinese on the Simplified view.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Hit;
use crate::doc::Span;
use crate::report::Technique;
use crate::text::sentences::data_lines;
use crate::text::TextView;

const EN: &str = include_str!("../../../data/en/techniques.txt");
const ZH: &str = include_str!("../../../data/zh/techniques.txt");

/// One list: the automaton, and for each pattern the techniques it marks and whether it is a
/// prefix ("smear*").
struct List {
    automaton: AhoCorasick,
    labels: Vec<Vec<Technique>>,
    prefix: Vec<bool>,
    words: bool,
}

fn build(data: &'static str, words: bool) -> List {
    let mut patterns: Vec<String> = Vec::new();
    let mut labels: Vec<Vec<Technique>> = Vec::new();
    let mut prefix: Vec<bool> = Vec::new();
    let mut current = None;
    for line in data_lines(data) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Technique::from_label(name);
            continue;
        }
        let Some(technique) = current else {
            continue;
        };
        let (pattern, is_prefix) = match line.strip_suffix('*') {
            Some(p) => (p.to_lowercase(), true),
            None => (line.to_lowercase(), false),
        };
        match patterns.iter().position(|p| *p == pattern) {
            Some(i) => {
                if !labels[i].contains(&technique) {
                    labels[i].push(technique);
                }
            }
            None => {
                patterns.push(pattern);
                labels.push(vec![technique]);
                prefix.push(is_prefix);
            }
        }
    }
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .unwrap_or_else(|e| panic!("technique phrases compile: {e}"));
    List {
        automaton,
        labels,
        prefix,
        words,
    }
}

fn lists() -> &'static (List, List) {
    static LISTS: OnceLock<(List, List)> = OnceLock::new();
    LISTS.get_or_init(|| (build(EN, true), build(ZH, false)))
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '\'' || c == '’')
}

/// Every phrase hit in the document.
pub fn find(view: &TextView<'_>, out: &mut Vec<Hit>) {
    let (en, zh) = lists();
    scan(en, view.text, view.text, "lexicon:en", out);
    if view.simplified.chars().any(crate::text::script::is_han) {
        scan(zh, &view.simplified, view.text, "lexicon:zh", out);
    }
}

fn scan(list: &List, haystack: &str, original: &str, detector: &'static str, out: &mut Vec<Hit>) {
    for m in list.automaton.find_iter(haystack) {
        let (start, mut end) = (m.start(), m.end());
        let i = m.pattern().as_usize();
        if list.words {
            if is_word_char(haystack[..start].chars().next_back()) {
                continue;
            }
            if list.prefix[i] {
                end += haystack[end..]
                    .char_indices()
                    .find(|&(_, c)| !c.is_alphanumeric() && c != '-')
                    .map_or(haystack.len() - end, |(k, _)| k);
            } else if is_word_char(haystack[end..].chars().next()) {
                continue;
            }
        }
        let span = Span::new(start, end);
        for &technique in &list.labels[i] {
            out.push(Hit {
                technique,
                span,
                score: 0.6,
                detector,
                evidence: format!(
                    "“{}” is in the {} list",
                    span.slice(original),
                    technique.label()
                ),
                occurrences: Vec::new(),
            });
        }
    }
}
