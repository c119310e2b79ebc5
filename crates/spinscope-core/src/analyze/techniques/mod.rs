//! Persuasion techniques (the 14 of SemEval-2020 Task 11), explainable tier: phrase lists,
//! structural patterns, repetition within the document, and what attribution found. Every hit
//! names the rule that made it.

mod lexicon;
mod patterns;
mod repetition;

use super::attribution::Attribution;
use crate::doc::Span;
use crate::report::{Extent, Finding, SourceType, Technique};
use crate::text::TextView;

/// One technique found by a rule, with byte offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub technique: Technique,
    pub span: Span,
    pub score: f32,
    pub detector: &'static str,
    pub evidence: String,
}

impl Hit {
    pub fn into_finding(self) -> Finding {
        Finding::Technique {
            label: self.technique,
            extent: Extent::new(self.span),
            score: self.score,
            detector: self.detector.to_string(),
            evidence: self.evidence,
        }
    }
}

/// All rule hits for one document, one per technique and span (overlaps of one technique
/// keep the longer span).
pub fn find(view: &TextView<'_>, attributions: &[Attribution]) -> Vec<Hit> {
    let mut hits = Vec::new();
    lexicon::find(view, &mut hits);
    patterns::find(view, &mut hits);
    repetition::find(view, &mut hits);
    authority(view, attributions, &mut hits);
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
                if h.span.len() > last.span.len() || h.score > last.score {
                    last.span = last.span.cover(&h.span);
                    last.score = last.score.max(h.score);
                }
            }
            _ => kept.push(h),
        }
    }
    kept.sort_by_key(|h| (h.span.start, h.technique));
    kept
}

/// "Experts pointed out…": an unnamed authority as the source of a claim.
fn authority(view: &TextView<'_>, attributions: &[Attribution], out: &mut Vec<Hit>) {
    const AUTHORITIES: [&str; 10] = [
        "expert",
        "experts",
        "scientist",
        "scientists",
        "scholar",
        "scholars",
        "专家",
        "学者",
        "professor",
        "analysts",
    ];
    for a in attributions {
        if a.source_type != SourceType::Anonymous {
            continue;
        }
        let source = a.source.slice(&view.simplified).to_lowercase();
        let Some(word) = AUTHORITIES.iter().find(|w| source.contains(*w)) else {
            continue;
        };
        let span = a.cue.map_or(a.source, |c| a.source.cover(&c));
        out.push(Hit {
            technique: Technique::AppealToAuthority,
            span,
            score: 0.65,
            detector: "rules:unnamed-authority",
            evidence: format!("an unnamed authority (“{word}”) is cited to support the claim"),
        });
    }
}
