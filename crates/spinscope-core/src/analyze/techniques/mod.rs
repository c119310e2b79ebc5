//! Persuasion techniques (the 14 of SemEval-2020 Task 11), explainable tier: phrase lists,
//! structural patterns, repetition within the document, and what attribution found. Every hit
//! names the rule that made it.

pub mod agitation;
mod lexicon;
pub mod mined;
pub mod model;
mod parallel;
mod patterns;
pub mod repetition;

use std::sync::OnceLock;

use super::attribution::{self, Attribution};
use crate::doc::{Document, Span};
use crate::report::{Extent, Finding, Range, SourceType, Technique};
use crate::text::TextView;

/// One technique found by a rule, with byte offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub technique: Technique,
    pub span: Span,
    pub score: f32,
    pub detector: &'static str,
    pub evidence: String,
    /// A repeated message's every use (its `span` is the first); empty for other techniques.
    pub occurrences: Vec<Span>,
}

impl Hit {
    pub fn into_finding(self) -> Finding {
        Finding::Technique {
            label: self.technique,
            extent: Extent::new(self.span),
            score: self.score,
            detector: self.detector.to_string(),
            evidence: self.evidence,
            occurrences: self
                .occurrences
                .into_iter()
                .map(|s| Range {
                    start: s.start,
                    end: s.end,
                })
                .collect(),
        }
    }
}

/// All rule hits for one document, one per technique and span (overlaps of one technique
/// keep the longer span). The linear tagger's spans are candidates from [`CANDIDATE_MIN_SCORE`]
/// with a content word; calibration decides which a report shows, in every output alike.
pub fn find(view: &TextView<'_>, attributions: &[Attribution]) -> Vec<Hit> {
    let mut hits = rules(view, attributions);
    if let Some(models) = model::shipped() {
        let learned = models.find(view, &hits, CANDIDATE_MIN_SCORE);
        hits.extend(
            learned
                .into_iter()
                .filter(|h| h.score >= CANDIDATE_MIN_SCORE && has_content_word(view, h.span)),
        );
    }
    // Repeated expressions were the models' features; repeated messages are the findings.
    hits.retain(|h| h.detector != repetition::REPEATED_EXPRESSION);
    let messages = repetition::messages(view, &hits);
    let mut found = merge(hits);
    found.extend(messages);
    // Parallel clauses a repeated message already lists are not found twice.
    let parallel: Vec<Hit> = parallel::find(view)
        .into_iter()
        .filter(|p| {
            !found.iter().any(|f| {
                f.technique == Technique::Repetition
                    && f.occurrences.iter().any(|o| o.overlaps(&p.span))
            })
        })
        .collect();
    found.extend(parallel);
    agitation::find(view, &mut found);
    found.sort_by_key(|h| (h.span.start, h.technique));
    found
}

/// The technique of each given span (code point offsets into `doc.text`), as SemEval's TC task
/// asks and as `analyze --spans` answers: `tier`'s labels when it gives them (the learned tier
/// does), else the linear classifier when the build ships one, else the rule with the most
/// overlap, else Loaded_Language (the most frequent technique). When `tier` fails on this
/// document the rules answer and the reason comes back for a warning.
pub fn classify_spans(
    doc: &Document,
    spans: &[Span],
    tier: Option<&dyn crate::analyze::Annotator>,
) -> (Vec<Technique>, Option<String>) {
    let view = TextView::new(&doc.text);
    let bytes = crate::doc::byte_offsets(&doc.text);
    let to_byte = |c: usize| bytes.get(c).copied().unwrap_or(doc.text.len());
    let spans: Vec<Span> = spans
        .iter()
        .map(|s| Span::new(to_byte(s.start), to_byte(s.end.max(s.start))))
        .collect();
    let rule_hits = || rules(&view, &attribution::find(doc, &view));
    let mut warning = None;
    if let Some(tier) = tier {
        match tier.classify(&view, &spans) {
            Ok(Some(labels)) if labels.len() == spans.len() => {
                return (chinese_rules_first(&view, &spans, labels, rule_hits), None)
            }
            Ok(_) => {}
            Err(e) => warning = Some(e),
        }
    }
    let hits = rule_hits();
    let labels = rule_labels(&view, &spans, &hits);
    (chinese_rules_first(&view, &spans, labels, || hits), warning)
}

/// The tier's (or the linear classifier's) labels, except on Chinese spans that a Chinese rule
/// (of `rule_hits`, asked for only when a span is Chinese) covers at least half of: the tier's
/// heads learned on English PTC and label Chinese zero-shot, while the rule names the technique
/// its words carry ("国际社会" Bandwagon, parallel clauses Repetition). Byte offsets.
fn chinese_rules_first(
    view: &TextView<'_>,
    spans: &[Span],
    mut labels: Vec<Technique>,
    rule_hits: impl FnOnce() -> Vec<Hit>,
) -> Vec<Technique> {
    if !spans.iter().any(|s| view.is_chinese_at(s.start)) {
        return labels;
    }
    let mut marked: Vec<(Span, Technique)> = rule_hits()
        .into_iter()
        .filter(|h| h.detector != repetition::REPEATED_EXPRESSION)
        .map(|h| (h.span, h.technique))
        .collect();
    for h in parallel::find(view) {
        marked.extend(h.occurrences.iter().map(|&o| (o, h.technique)));
    }
    for (span, label) in spans.iter().zip(labels.iter_mut()) {
        if !view.is_chinese_at(span.start) {
            continue;
        }
        if let Some((_, technique)) = marked
            .iter()
            .filter(|(m, _)| 2 * m.overlap(span) >= span.len() && m.overlaps(span))
            .max_by_key(|(m, _)| m.overlap(span))
        {
            *label = *technique;
        }
    }
    labels
}

/// The rule tier's label of each span (byte offsets), from the rules' `hits`.
fn rule_labels(view: &TextView<'_>, spans: &[Span], hits: &[Hit]) -> Vec<Technique> {
    let index = model::RuleIndex::new(hits);
    spans
        .iter()
        .map(|&span| match model::shipped() {
            Some(m) => m.technique_of(view, span, &index),
            None => hits
                .iter()
                .filter(|h| h.span.overlaps(&span))
                .max_by_key(|h| h.span.overlap(&span))
                .map_or(Technique::LoadedLanguage, |h| h.technique),
        })
        .collect()
}

/// The rules' technique hits of a text without its document's metadata: what the technique
/// classifier was trained on, and what the learned tier mixes it with.
pub fn rule_hits(view: &TextView<'_>) -> Vec<Hit> {
    let doc = Document::from_text(String::new(), String::new());
    rules(view, &attribution::find(&doc, view))
}

/// The least linear-model score a span needs to be a candidate finding at all: calibration
/// (fitted on the tune split) then gives its probability and the threshold decides whether a
/// report shows it. Below this the tagger's spans were hardly ever right on the tune split.
pub const CANDIDATE_MIN_SCORE: f32 = 0.3;

/// Whether `span` holds a word that is not a stopword: a report for people skips spans of bare
/// function words and punctuation.
pub fn has_content_word(view: &TextView<'_>, span: Span) -> bool {
    let from = view.tokens.partition_point(|t| t.span.start < span.start);
    view.tokens[from..]
        .iter()
        .take_while(|t| t.span.start < span.end)
        .filter(|t| span.contains(&t.span) && t.is_word())
        .any(|t| !repetition::is_stopword(&t.span.slice(view.text).to_lowercase()))
}

/// The hand-written rules alone.
pub fn rules(view: &TextView<'_>, attributions: &[Attribution]) -> Vec<Hit> {
    let mut hits = Vec::new();
    lexicon::find(view, &mut hits);
    patterns::find(view, &mut hits);
    repetition::find(view, &mut hits);
    authority(view, attributions, &mut hits);
    hits
}

/// One hit per technique and stretch of text: overlapping hits of one technique merge, and
/// when a rule and the model agree the evidence says so.
pub fn merge(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| {
        (a.technique, a.span.start, std::cmp::Reverse(a.span.end)).cmp(&(
            b.technique,
            b.span.start,
            std::cmp::Reverse(b.span.end),
        ))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match kept.last_mut() {
            Some(last) if last.technique == h.technique && last.span.overlaps(&h.span) => {
                let model = |d: &str| d.starts_with("model");
                if model(last.detector) != model(h.detector) {
                    last.detector = "rules+model";
                    last.evidence =
                        format!("rules and model agree: {}; {}", last.evidence, h.evidence);
                }
                last.span = last.span.cover(&h.span);
                last.score = last.score.max(h.score);
            }
            _ => kept.push(h),
        }
    }
    kept.sort_by_key(|h| (h.span.start, h.technique));
    kept
}

/// Words naming an authority, in the order tried (`data/authorities.txt`).
fn authorities() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        crate::text::sentences::data_lines(include_str!("../../../data/authorities.txt"))
            .map(str::to_lowercase)
            .collect()
    })
}

/// "Experts pointed out…": an unnamed authority as the source of a claim. In Chinese also a
/// named one introduced by the authority ("美国流行病学专家福奇指出"), the way state media settle
/// a point; English reports name their sources so, and PTC rarely marks that.
fn authority(view: &TextView<'_>, attributions: &[Attribution], out: &mut Vec<Hit>) {
    for a in attributions {
        let source = match (a.source_type, &a.descriptor) {
            (SourceType::Anonymous, _) => a.source.slice(&view.simplified).to_lowercase(),
            (SourceType::NamedPerson, Some(descriptor)) if view.is_chinese_at(a.source.start) => {
                descriptor.clone()
            }
            _ => continue,
        };
        let Some(word) = authorities().iter().find(|w| source.contains(w.as_str())) else {
            continue;
        };
        let span = a.cue.map_or(a.source, |c| a.source.cover(&c));
        out.push(Hit {
            technique: Technique::AppealToAuthority,
            span,
            score: 0.65,
            detector: "rules:unnamed-authority",
            evidence: format!("an unnamed authority (“{word}”) is cited to support the claim"),
            occurrences: Vec::new(),
        });
    }
}
