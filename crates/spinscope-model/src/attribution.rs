//! Reading the attribution tagger: per-piece BIO tags of PolNeAR's source, cue and content
//! become byte spans of each role, as the `full` tier reports them and the import scores them.

use crate::features::Encoded;

/// What entering a content's interruption costs (log-probability): the tagger's I-content on
/// one word after a source and cue is weak evidence that a content resumes. Chosen on the
/// out-of-fold predictions of the 2026-11-30 GPU run (epoch 6): content exact F1 53.9 at 0,
/// 55.6 at 0.5, 56.5 at 1, 56.4 at 1.5, 56.3 at 2, 55.9 at 3 (54.8 without these states;
/// source and cue within 0.4 of 76.1 and 68.9 throughout).
pub const NESTING_COST: f32 = 1.5;

/// The likeliest tag sequence BIO allows (an I only after its own role's B or I, or an
/// I-content resuming a content its source and cue interrupt), from each piece's tag
/// probabilities `[O, B-source, I-source, B-cue, I-cue, B-content, I-content]`.
/// Per-piece argmax leaves runs broken by a stray O or another role's I, which exact-match
/// F1 punishes: on the out-of-fold PolNeAR predictions of the 2026-11-30 GPU run (epoch 6)
/// this lifted exact F1 source / cue / content from 73.5 / 64.9 / 48.6 to 75.5 / 67.7 / 54.2
/// (76.1 / 68.9 / 54.8 with [`MEND_GAP`] 0, 76.1 / 68.9 / 56.4 with interruptions); the frozen
/// encoder's tagger went from 50.1 / 56.3 / 24.5 to 60.6 / 62.7 / 39.0 (60.5 / 62.7 / 38.2 with
/// interruptions).
/// Written here because it is a short Viterbi pass: the crates that do it pull in a CRF trainer.
pub fn constrained_tags(probabilities: &[Vec<f32>]) -> Vec<u8> {
    // The seven tags, then a source's and a cue's B and I inside a content (7..=10): PolNeAR's
    // content of "the economy, he said, is fine" spans its source and cue, and the tagger
    // learnt to tag the words after them I-content. These states are entered from a content
    // only and leave to I-content only, so a content resumes just where one was interrupted
    // ([`decode_bio`] joins it); they read the plain source and cue probabilities.
    const PLAIN: usize = 1 + 2 * crate::finetune::ROLES.len();
    const STATES: usize = PLAIN + 4;
    const I_CONTENT: usize = 6;
    let plain = |s: usize| if s < PLAIN { s } else { s - (PLAIN - 1) };
    let nested = |s: usize| s >= PLAIN;
    let is_inside = |s: usize| s > 0 && s % 2 == 0;
    let in_content = |s: usize| s == I_CONTENT - 1 || s == I_CONTENT;
    let allowed = |from: usize, to: usize| match (nested(from), nested(to)) {
        (false, false) => !is_inside(to) || from == to || from + 1 == to,
        (true, false) => to == I_CONTENT,
        (_, true) if is_inside(to) => from == to || from + 1 == to,
        (_, true) => in_content(from) || nested(from),
    };
    let transition = |from: usize, to: usize| match (allowed(from, to), nested(to) && !nested(from))
    {
        (false, _) => f32::NEG_INFINITY,
        (true, true) => -NESTING_COST,
        (true, false) => 0.0,
    };
    // Worked out once, not for every pair at every piece.
    let transitions: [[f32; STATES]; STATES] =
        std::array::from_fn(|from| std::array::from_fn(|to| transition(from, to)));
    let log_p = |row: &Vec<f32>, s: usize| {
        row.get(plain(s))
            .map_or(f32::NEG_INFINITY, |p| p.max(1e-9).ln())
    };
    let Some(first) = probabilities.first() else {
        return Vec::new();
    };
    let mut score: Vec<f32> = (0..STATES)
        .map(|s| {
            if is_inside(s) || nested(s) {
                f32::NEG_INFINITY
            } else {
                log_p(first, s)
            }
        })
        .collect();
    let mut back: Vec<[u8; STATES]> = Vec::with_capacity(probabilities.len());
    for row in &probabilities[1..] {
        let mut from = [0u8; STATES];
        let next: Vec<f32> = (0..STATES)
            .map(|to| {
                let (best, s) = (0..STATES)
                    .map(|f| (f, score[f] + transitions[f][to]))
                    .fold((0, f32::NEG_INFINITY), |b, c| if c.1 > b.1 { c } else { b });
                from[to] = best as u8;
                s + log_p(row, to)
            })
            .collect();
        back.push(from);
        score = next;
    }
    // A sequence cannot end inside a content's interruption.
    for (s, v) in score.iter_mut().enumerate() {
        if nested(s) {
            *v = f32::NEG_INFINITY;
        }
    }
    let mut state = crate::tier::argmax(&score).0;
    let mut states = vec![state];
    for from in back.iter().rev() {
        state = usize::from(from[state]);
        states.push(state);
    }
    states.reverse();
    states.into_iter().map(|s| plain(s) as u8).collect()
}

/// Tags per word rather than per piece, as taggers over sub-word pieces are read: every piece
/// takes its word's first piece's role (B inside a word becomes I), so a word is never cut.
/// A piece continues a word when it follows the last one with no gap and both sides are
/// letters or digits outside CJK; punctuation and Chinese characters are words of their own.
pub fn word_tags(text: &str, layout: &Encoded, tags: &[u8]) -> Vec<u8> {
    let is_cjk =
        |c: char| ('\u{2e80}'..='\u{9fff}').contains(&c) || ('\u{f900}'..='\u{faff}').contains(&c);
    let wordy = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
    let mut out = tags.to_vec();
    for t in 1..tags.len().min(layout.spans.len()) {
        let (prev, here) = (layout.spans[t - 1], layout.spans[t]);
        let joined = prev.1 == here.0
            && wordy(text.get(prev.0..prev.1).and_then(|s| s.chars().last()))
            && wordy(text.get(here.0..here.1).and_then(|s| s.chars().next()));
        if joined {
            // B tags are odd (1 + 2 × role), I tags the next even number; anything else (a
            // "not predicted" 255 in a partial run) stays as it is.
            let tag = out[t - 1];
            let begins = tag % 2 == 1 && usize::from(tag) < 1 + 2 * crate::finetune::ROLES.len();
            out[t] = if begins { tag + 1 } else { tag };
        }
    }
    out
}

/// Pieces between two spans of one role that [`mend_spans`] bridges. With per-piece argmax
/// tags 2 was best on the out-of-fold PolNeAR predictions (content exact F1 38.3, 41.0, 42.3,
/// 41.6 for 0, 1, 2, 4); [`constrained_tags`] mends those breaks itself, and then 0 is best
/// (54.8, 54.7, 54.2, 52.2; source 76.1 at 0, 75.5 at 2).
pub const MEND_GAP: usize = 0;

/// Source, cue and content spans (bytes) from per-piece BIO tags: read per word, decoded,
/// mended, made to hang together.
pub fn spans(text: &str, layout: &Encoded, tags: &[u8]) -> [Vec<(usize, usize)>; 3] {
    let mut found = decode_bio(layout, &word_tags(text, layout, tags));
    mend_spans(text, layout, &mut found, MEND_GAP);
    cohere(text, layout, &mut found);
    found
}

/// Joins runs of one role split by at most `gap` untagged pieces in the same sentence, and
/// drops runs without a letter or digit (a stray comma tagged content is no quote).
pub fn mend_spans(text: &str, e: &Encoded, found: &mut [Vec<(usize, usize)>; 3], gap: usize) {
    let sentence_of = |at: usize| e.sentences.iter().position(|s| s.start <= at && at < s.end);
    for spans in found.iter_mut() {
        spans.retain(|&(s, t)| {
            text.get(s..t)
                .is_some_and(|x| x.chars().any(char::is_alphanumeric))
        });
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for &(s, t) in spans.iter() {
            if let Some(last) = merged.last_mut() {
                let between = e.tokens_in(last.1, s).len();
                if between <= gap && sentence_of(last.0) == sentence_of(s) {
                    last.1 = t;
                    continue;
                }
            }
            merged.push((s, t));
        }
        *spans = merged;
    }
}

/// Spans of each role from per-token BIO labels; an I after a different label opens a span,
/// except an I-content right after a source or cue that interrupts a content: that resumes the
/// content, which then spans them (PolNeAR's "the economy, he said, is fine").
pub fn decode_bio(layout: &Encoded, labels: &[u8]) -> [Vec<(usize, usize)>; 3] {
    const CONTENT: usize = 2;
    let mut out: [Vec<(usize, usize)>; 3] = Default::default();
    // The run being read: role, start, end.
    let mut open: Option<(usize, usize, usize)> = None;
    // The start of the last content while only sources and cues have followed it.
    let mut interrupted: Option<usize> = None;
    for (t, &label) in labels.iter().enumerate().take(layout.spans.len()) {
        let (start, end) = layout.spans[t];
        let role = (label > 0)
            .then(|| usize::from(label - 1) / 2)
            .filter(|&r| r <= CONTENT);
        let begins = label > 0 && (label - 1) % 2 == 0;
        let closed = open.take();
        if let Some((o, s, e)) = closed {
            if role == Some(o) && !begins {
                open = Some((o, s, e.max(end)));
                continue;
            }
            out[o].push((s, e));
        }
        open = match (role, interrupted) {
            (Some(CONTENT), Some(s)) if !begins => {
                out[CONTENT].pop();
                Some((CONTENT, s, end))
            }
            (Some(r), _) => Some((r, start, end)),
            (None, _) => None,
        };
        interrupted = match (closed, role) {
            (Some((CONTENT, s, _)), Some(r)) if r != CONTENT => Some(s),
            (_, Some(r)) if r != CONTENT => interrupted,
            _ => None,
        };
    }
    if let Some((o, s, e)) = open {
        out[o].push((s, e));
    }
    out
}

/// Pieces between two halves of a quote that a source and cue interrupt, at most.
const MAX_QUOTE_BREAK: usize = 40;

/// Makes the roles hang together as PolNeAR annotates them: a quote broken by its source and cue
/// ("“It's unusual,” said X. “It's hard …”") is one content span; content needs a cue in its
/// sentence and two pieces, and loses trailing commas and full stops outside quotes; a cue needs
/// a source or content in its sentence, a source a cue. Chosen on the out-of-fold predictions of
/// one GPU run (content exact F1 41.9 -> 47.5, source 70.8 -> 71.5, cue 63.0 -> 63.3) and the
/// same on the other run (42.3 -> 47.0, 71.6 -> 72.3, 64.4 -> 64.7).
pub fn cohere(text: &str, e: &Encoded, found: &mut [Vec<(usize, usize)>; 3]) {
    let is_quote = |c: char| "\"“”'‘’".contains(c);
    let piece = |s: usize, t: usize| text.get(s..t).unwrap_or("");
    let [sources, cues, contents] = found;
    contents.sort_unstable();
    let mut joined: Vec<(usize, usize)> = Vec::with_capacity(contents.len());
    for &(s, t) in contents.iter() {
        if let Some(last) = joined.last_mut() {
            let broken_quote = piece(last.0, last.1).trim_end().ends_with(is_quote)
                && piece(s, t).trim_start().starts_with(is_quote)
                && e.tokens_in(last.1, s).len() <= MAX_QUOTE_BREAK
                && sources
                    .iter()
                    .chain(cues.iter())
                    .any(|&(a, b)| last.1 <= a && b <= s);
            if broken_quote {
                last.1 = t;
                continue;
            }
        }
        joined.push((s, t));
    }
    // Sentences a span touches, as a range of sentence indices.
    let sentences = |(s, t): (usize, usize)| {
        let at = |b: usize| {
            e.sentences
                .partition_point(|x| x.start <= b)
                .saturating_sub(1)
        };
        (at(s), at(t.max(s + 1) - 1))
    };
    let share = |a: (usize, usize), others: &[(usize, usize)]| {
        let (first, last) = sentences(a);
        others.iter().any(|&o| {
            let (f, l) = sentences(o);
            f <= last && first <= l
        })
    };
    let kept_contents: Vec<(usize, usize)> = joined
        .iter()
        .filter(|&&c| share(c, cues) && e.tokens_in(c.0, c.1).len() >= 2)
        .map(|&(s, t)| {
            let kept = piece(s, t).trim_end_matches([',', '.', ';', ':', ' ']);
            (s, s + kept.len())
        })
        .filter(|&(s, t)| t > s)
        .collect();
    let partners: Vec<(usize, usize)> = sources.iter().chain(&joined).copied().collect();
    let kept_cues: Vec<(usize, usize)> = cues
        .iter()
        .copied()
        .filter(|&c| share(c, &partners))
        .collect();
    sources.retain(|&s| share(s, cues));
    *cues = kept_cues;
    *contents = kept_contents;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(n: usize) -> Encoded {
        Encoded {
            spans: (0..n).map(|i| (2 * i, 2 * i + 1)).collect(),
            ..Encoded::default()
        }
    }

    /// Probabilities putting `p` on each listed tag and the rest evenly on the others.
    fn rows(likeliest: &[(u8, f32)]) -> Vec<Vec<f32>> {
        likeliest
            .iter()
            .map(|&(t, p)| {
                (0..7)
                    .map(|k| if k == t { p } else { (1.0 - p) / 6.0 })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn constrained_tags_mend_what_argmax_breaks() {
        // A content run broken by a weak O: argmax reads B O I (the I opening a second span);
        // the I is likelier as a continuation, so the O is read as I too.
        let mut p = rows(&[(5, 0.9), (0, 0.4), (6, 0.9)]);
        p[1][6] = 0.35;
        assert_eq!(constrained_tags(&p), vec![5, 6, 6]);
        // No I opens a sequence or follows another role.
        let p = rows(&[(6, 0.6), (1, 0.9), (4, 0.6)]);
        let tags = constrained_tags(&p);
        assert!(tags[0] == 0 || tags[0] % 2 == 1, "{tags:?}");
        assert!(tags[2] != 4, "{tags:?}");
        // A valid argmax sequence stays as it is; nothing in, nothing out.
        let p = rows(&[(1, 0.8), (2, 0.8), (3, 0.8), (5, 0.8), (6, 0.8), (0, 0.8)]);
        assert_eq!(constrained_tags(&p), vec![1, 2, 3, 5, 6, 0]);
        assert!(constrained_tags(&[]).is_empty());
        // A head with fewer classes than BIO's seven only gets the tags it has.
        let short = constrained_tags(&vec![vec![0.2, 0.5, 0.3]; 4]);
        assert!(
            short.len() == 4 && short.iter().all(|&t| t < 3),
            "{short:?}"
        );
    }

    #[test]
    fn a_content_resumes_after_the_source_and_cue_that_interrupt_it() {
        // "the economy , he said , is fine": content, its source and cue inside it, content again.
        let p = rows(&[
            (5, 0.9),
            (6, 0.9),
            (6, 0.8),
            (1, 0.9),
            (3, 0.9),
            (6, 0.9),
            (6, 0.9),
        ]);
        let tags = constrained_tags(&p);
        assert_eq!(tags, vec![5, 6, 6, 1, 3, 6, 6]);
        let found = decode_bio(&layout(tags.len()), &tags);
        assert_eq!(
            found[2],
            vec![(0, 13)],
            "one content around its source and cue"
        );
        assert_eq!(
            (found[0].clone(), found[1].clone()),
            (vec![(6, 7)], vec![(8, 9)])
        );
        // A content that ends where its source and cue begin does not resume.
        let p = rows(&[(5, 0.9), (6, 0.9), (1, 0.9), (3, 0.9), (0, 0.9)]);
        assert_eq!(constrained_tags(&p), vec![5, 6, 1, 3, 0]);
        // Nor does an I-content after a source and cue with no content before them: it
        // opens a content, and a weak resumption loses to an O.
        let p = rows(&[(1, 0.9), (3, 0.9), (6, 0.9), (6, 0.9)]);
        assert_eq!(constrained_tags(&p), vec![1, 3, 5, 6]);
        let mut p = rows(&[(5, 0.9), (6, 0.9), (1, 0.9), (3, 0.9), (6, 0.55)]);
        p[4][0] = 0.35;
        assert_eq!(constrained_tags(&p), vec![5, 6, 1, 3, 0]);
        // Not even a sequence's end stops inside an interruption.
        let p = rows(&[(5, 0.9), (1, 0.9), (3, 0.9)]);
        assert_eq!(constrained_tags(&p), vec![5, 1, 3]);
    }

    #[test]
    fn bio_tags_become_spans_per_role() {
        // source (B I), cue (B), content (B I I), O, an I with no B opens a content span.
        let tags = [1, 2, 3, 5, 6, 6, 0, 6];
        let found = decode_bio(&layout(tags.len()), &tags);
        assert_eq!(found[0], vec![(0, 3)]);
        assert_eq!(found[1], vec![(4, 5)]);
        assert_eq!(found[2], vec![(6, 11), (14, 15)]);
    }

    #[test]
    fn tags_are_read_per_word_and_chinese_characters_are_words() {
        let text = "gunsmith said no, 新华社";
        let spans = vec![
            (0, 3),
            (3, 8),
            (9, 13),
            (14, 16),
            (16, 17),
            (18, 21),
            (21, 24),
            (24, 27),
        ];
        let e = Encoded {
            spans,
            ..Encoded::default()
        };
        // "smith" takes "gun"'s B as an I; the comma and each Chinese character keep their own.
        let tags = [5, 0, 3, 6, 6, 1, 1, 2];
        assert_eq!(word_tags(text, &e, &tags), vec![5, 6, 3, 6, 6, 1, 1, 2]);
        // A tag outside the roles (255: not predicted) is carried over, not overflowed.
        let tags = [255, 0, 3, 6, 6, 1, 1, 2];
        assert_eq!(word_tags(text, &e, &tags)[..2], [255, 255]);
    }

    #[test]
    fn mending_joins_near_runs_in_a_sentence_and_drops_bare_punctuation() {
        let text = "aa bb cc dd, ee ff";
        let e = Encoded {
            spans: vec![
                (0, 2),
                (3, 5),
                (6, 8),
                (9, 11),
                (11, 12),
                (13, 15),
                (16, 18),
            ],
            sentences: vec![crate::features::SentenceStates {
                start: 0,
                end: text.len(),
                tokens: 0..7,
            }],
            ..Encoded::default()
        };
        let mut found: [Vec<(usize, usize)>; 3] =
            [vec![], vec![(11, 12)], vec![(0, 2), (6, 8), (16, 18)]];
        mend_spans(text, &e, &mut found, 1);
        assert!(found[1].is_empty(), "a lone comma is no cue");
        // "aa" and "cc" are one piece apart; "ff" is three pieces after "cc".
        assert_eq!(found[2], vec![(0, 8), (16, 18)]);
    }

    #[test]
    fn a_b_tag_right_after_a_span_starts_another() {
        let tags = [5, 6, 5, 6];
        let found = decode_bio(&layout(tags.len()), &tags);
        assert_eq!(found[2], vec![(0, 3), (4, 7)]);
    }

    /// Every run of non-spaces a piece, and `sentences` as byte ranges.
    fn words(text: &str, sentences: &[(usize, usize)]) -> Encoded {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (c == ' ', start) {
                (true, Some(s)) => {
                    spans.push((s, i));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        let sentences = sentences
            .iter()
            .map(|&(start, end)| crate::features::SentenceStates {
                start,
                end,
                tokens: spans.partition_point(|s| s.1 <= start)
                    ..spans.partition_point(|s| s.0 < end),
            })
            .collect();
        Encoded {
            spans,
            sentences,
            ..Encoded::default()
        }
    }

    fn find(text: &str, part: &str) -> (usize, usize) {
        let at = text.find(part).expect(part);
        (at, at + part.len())
    }

    #[test]
    fn a_quote_broken_by_its_source_and_cue_is_one_content() {
        let text = "\"It is unusual,\" said Larry Noble . \"It is hard to do .\"";
        let e = words(text, &[(0, 36), (37, text.len())]);
        let (first, second) = (
            find(text, "\"It is unusual,\""),
            find(text, "\"It is hard to do .\""),
        );
        let mut found = [
            vec![find(text, "Larry Noble")],
            vec![find(text, "said")],
            vec![first, second],
        ];
        cohere(text, &e, &mut found);
        assert_eq!(found[2], vec![(first.0, second.1)]);
        assert_eq!(found[0].len(), 1);
        assert_eq!(found[1].len(), 1);
    }

    #[test]
    fn unquoted_neighbours_stay_apart_and_lose_trailing_commas() {
        let text = "Aides said taxes will rise , and critics said growth will stall";
        let e = words(text, &[(0, text.len())]);
        let mut found = [
            vec![find(text, "Aides"), find(text, "critics")],
            vec![
                find(text, "said"),
                (text.rfind("said").expect("two cues"), text.len() - 18),
            ],
            vec![
                find(text, "taxes will rise ,"),
                find(text, "growth will stall"),
            ],
        ];
        cohere(text, &e, &mut found);
        assert_eq!(
            found[2],
            vec![
                find(text, "taxes will rise"),
                find(text, "growth will stall")
            ]
        );
    }

    #[test]
    fn roles_without_partners_in_their_sentence_are_dropped() {
        // Sentence one: a content and a source but no cue; sentence two: a cue and its source,
        // a one-piece content.
        let text = "Voters the economy matters . Officials said yes";
        let e = words(text, &[(0, 27), (28, text.len())]);
        let mut found = [
            vec![find(text, "Voters"), find(text, "Officials")],
            vec![find(text, "said")],
            vec![find(text, "the economy matters"), find(text, "yes")],
        ];
        cohere(text, &e, &mut found);
        assert_eq!(
            found[0],
            vec![find(text, "Officials")],
            "a source needs a cue"
        );
        assert_eq!(found[1], vec![find(text, "said")]);
        assert!(
            found[2].is_empty(),
            "no cue for one, one piece for the other"
        );
    }
}
