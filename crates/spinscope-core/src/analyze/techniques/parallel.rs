//! Chinese parallelism (排比): the same words opening, or closing, three clauses or more in a
//! row — "坚定不移坚持…，坚定不移落实…，坚定不移贯彻…", "…方针不会变，…决心不会变，…意志不会变".
//! It is the commonest rhetorical repetition of Chinese commentary and state media, and unlike a
//! repeated English message it needs no other technique to carry it: the parallel position is
//! the signal. Words are compared as Han characters (2–4 of them) in the Simplified view, not as
//! jieba words, which segment "坚定不移坚持" and "坚定不移落实" differently.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::agitation::is_heading_or_list_item;
use super::Hit;
use crate::doc::{Lang, Span};
use crate::report::Technique;
use crate::text::script::is_han;
use crate::text::TextView;

pub const DETECTOR: &str = "rules:parallel-clauses";
/// Clauses in a row that must open (or close) with the same words.
const MIN_CLAUSES: usize = 3;
/// One clause may come between two parallel ones ("…，…，坚定不移…").
const MAX_GAP: usize = 2;
/// The raw score: the rule has no annotated Chinese data to calibrate on beyond our span set.
const SCORE: f32 = 0.6;

const LISTS: &str = include_str!("../../../data/zh/parallel_clauses.txt");

/// The entries of one `[section]` of the lists.
fn section(name: &str) -> impl Iterator<Item = &'static str> + '_ {
    let header = format!("[{name}]");
    LISTS
        .lines()
        .skip_while(move |l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
}

fn is_particle(c: char) -> bool {
    static SET: OnceLock<HashSet<char>> = OnceLock::new();
    SET.get_or_init(|| {
        section("particles")
            .filter_map(|w| w.chars().next())
            .collect()
    })
    .contains(&c)
}

fn is_not_message(words: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| section("not_messages").collect())
        .contains(words)
}

/// Where a clause ends: Chinese and Latin clause and sentence punctuation, line breaks. Not the
/// enumeration comma 、: "甲草案、乙草案、丙草案" is a list of names, not parallel clauses.
fn ends_clause(c: char) -> bool {
    "，,；;。！？!?：:…\n".contains(c)
}

/// Wrapping that does not belong to a clause's words: quotes, brackets, spaces.
fn is_wrapping(c: char) -> bool {
    c.is_whitespace() || "“”「」『』‘’\"'《》（）()【】—".contains(c)
}

/// The clauses of one sentence: byte spans of their words, wrapping trimmed and, at the end,
/// particles too.
fn clauses(text: &str, sentence: Span) -> Vec<Span> {
    let mut out = Vec::new();
    let mut push = |from: usize, to: usize| {
        let s = &text[from..to];
        let lead = s.len() - s.trim_start_matches(is_wrapping).len();
        let body = s[lead..].trim_end_matches(is_wrapping);
        let body = body.trim_end_matches(is_particle);
        if body.chars().any(is_han) {
            out.push(Span::new(from + lead, from + lead + body.len()));
        }
    };
    let mut start = sentence.start;
    for (i, c) in sentence.slice(text).char_indices() {
        if ends_clause(c) {
            push(start, sentence.start + i);
            start = sentence.start + i + c.len_utf8();
        }
    }
    push(start, sentence.end);
    out
}

/// The first (or last) `n` characters of a clause (maybe all of it) when they are all Han: a
/// byte span.
fn edge(
    text: &str,
    clause: Span,
    n: usize,
    opening: bool,
    boundaries: &HashSet<usize>,
) -> Option<Span> {
    let s = clause.slice(text);
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    if chars.len() < n {
        return None;
    }
    let picked = if opening {
        &chars[..n]
    } else {
        &chars[chars.len() - n..]
    };
    if !picked.iter().all(|&(_, c)| is_han(c)) {
        return None;
    }
    let from = clause.start + picked[0].0;
    let to = clause.start + picked[n - 1].0 + picked[n - 1].1.len_utf8();
    // Whole words only ("员会委员" is not one), and no number's unit ("5.89万亿元").
    let inner = if opening { to } else { from };
    let next_to_number = if opening {
        text[to..].chars().next()
    } else {
        text[..from].chars().next_back()
    }
    .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == '%');
    (boundaries.contains(&inner) && !next_to_number).then_some(Span::new(from, to))
}

/// Every run of parallel clauses inside one Chinese sentence (headings and list items left
/// out: a bulletin's running order is not rhetoric): one finding per run, listing each use.
pub fn find(view: &TextView<'_>) -> Vec<Hit> {
    let text = view.simplified.as_ref();
    // Where jieba (or the tokenizer) puts a word boundary.
    let boundaries: HashSet<usize> = view
        .tokens
        .iter()
        .flat_map(|t| [t.span.start, t.span.end])
        .collect();
    let mut out = Vec::new();
    // A sentence, with the ones after it while it ends in a semicolon: "是内战，…；是内战，…；"
    // is one period of the figure.
    let mut period: Option<Span> = None;
    for s in view.sentences.iter().filter(|s| s.lang == Lang::Zh) {
        if is_heading_or_list_item(s.span.slice(view.text)) {
            continue;
        }
        let joined = match period {
            Some(p) if text[p.end..s.span.start].trim().is_empty() => p.cover(&s.span),
            Some(p) => {
                runs(view, &clauses(text, p), &boundaries, &mut out);
                s.span
            }
            None => s.span,
        };
        if s.span.slice(text).trim_end().ends_with(['；', ';']) {
            period = Some(joined);
        } else {
            runs(view, &clauses(text, joined), &boundaries, &mut out);
            period = None;
        }
    }
    if let Some(p) = period {
        runs(view, &clauses(text, p), &boundaries, &mut out);
    }
    out.sort_by_key(|h| h.span.start);
    out
}

/// The runs of parallel clauses among `clauses` (one sentence's).
fn runs(view: &TextView<'_>, clauses: &[Span], boundaries: &HashSet<usize>, out: &mut Vec<Hit>) {
    let text = view.simplified.as_ref();
    let mut taken = vec![[false; 2]; clauses.len()];
    // Clauses in a run found already: a second run through the same clauses, or the ones just
    // after them ("是内战，使得…；是内战，使得…"), is the same parallelism.
    let mut in_run = vec![false; clauses.len()];
    for n in [4, 3, 2] {
        for (side, opening) in [(0, true), (1, false)] {
            let edges: Vec<Option<Span>> = clauses
                .iter()
                .map(|&c| edge(text, c, n, opening, boundaries))
                .collect();
            let mut i = 0;
            while i < clauses.len() {
                let Some(first) = edges[i].filter(|_| !taken[i][side]) else {
                    i += 1;
                    continue;
                };
                let words = first.slice(text);
                let mut run = vec![i];
                let mut j = i + 1;
                while j < clauses.len() && j - run[run.len() - 1] <= MAX_GAP {
                    if !taken[j][side] && edges[j].is_some_and(|e| e.slice(text) == words) {
                        run.push(j);
                    }
                    j += 1;
                }
                let same_figure = run.iter().all(|&k| in_run[k] || (k > 0 && in_run[k - 1]));
                if run.len() < MIN_CLAUSES || !carries(words) || same_figure {
                    i += 1;
                    continue;
                }
                for &k in &run {
                    taken[k][side] = true;
                    in_run[k] = true;
                    // A clause that is nothing but the words ("是内战，") is one use, not two.
                    if edges[k] == Some(clauses[k]) {
                        taken[k][1 - side] = true;
                    }
                }
                let uses: Vec<Span> = run.iter().filter_map(|&k| edges[k]).collect();
                out.push(Hit {
                    technique: Technique::Repetition,
                    span: uses[0],
                    score: SCORE,
                    detector: DETECTOR,
                    evidence: format!(
                        "“{}” {} {} clauses in a row (parallelism, 排比)",
                        uses[0].slice(view.text),
                        if opening { "opens" } else { "closes" },
                        uses.len()
                    ),
                    occurrences: uses,
                });
                i = run[run.len() - 1] + 1;
            }
        }
    }
}

/// Whether repeated words can be a message: not function words or a kind of source.
fn carries(words: &str) -> bool {
    !super::repetition::is_stopword(words)
        && !is_not_message(words)
        // "…的报告，…的报告": a list of documents, not a message.
        && !words.starts_with('的')
        && !words.ends_with('的')
        && !crate::analyze::attribution::is_source_noun(words)
        && !crate::analyze::attribution::is_reporting_verb(words)
        && !crate::analyze::attribution::is_cue_verb(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<Vec<String>> {
        let view = TextView::new(text);
        find(&view)
            .iter()
            .map(|h| {
                h.occurrences
                    .iter()
                    .map(|s| s.slice(text).to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn clauses_opening_or_closing_alike_are_one_repetition() {
        let text = "中方坚持中古长期友好的方针不会变，支持古巴走社会主义道路的决心不会变，\
                    反对霸权强权的意志不会变。";
        assert_eq!(uses(text), vec![vec!["不会变"; 3]]);
        let text = "要统一思想，坚定不移坚持人民至上，坚定不移落实总策略，坚定不移贯彻总方针。";
        assert_eq!(uses(text), vec![vec!["坚定不移"; 3]]);
        // Particles and one clause between do not break the run; Traditional reads the same.
        let text = "他們有罪，他們不應該來，他們就是有罪的，終身有罪。";
        assert_eq!(uses(text), vec![vec!["有罪"; 3]]);
        let text = "是内战，使得财富塞进炮筒；是内战，使得人民遭受毁灭；是内战，使得物价飞涨。";
        assert_eq!(uses(text), vec![vec!["是内战"; 3]]);
    }

    #[test]
    fn two_uses_scattered_words_and_english_are_not_parallelism() {
        assert!(uses("美国经济下滑，美国通胀高企。").is_empty());
        // One sentence each, a running order, numbers' units and half words are not figures.
        assert!(uses("他们有罪。他们有罪。他们有罪。").is_empty());
        assert!(uses("1.习近平会见古巴主席；习近平会见南非总统；习近平会见韩国总统；").is_empty());
        assert!(uses("东盟5.89万亿元，欧盟5.17万亿元，美国4.62万亿元。").is_empty());
        assert!(uses(
            "会议指出，经济运行总体平稳，就业形势稳定，物价水平温和，会议要求继续推进改革。"
        )
        .is_empty());
        assert!(uses("We will fight, we will win, we will never surrender, we will.").is_empty());
    }
}
