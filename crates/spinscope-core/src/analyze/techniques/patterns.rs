//! Structural patterns a phrase list cannot hold: "no X, no Y and no Z", "nearly 100
//! countries", 近100个国家, short exclamations.

use std::sync::OnceLock;

use regex::Regex;

use super::Hit;
use crate::doc::{Lang, Span};
use crate::report::Technique;
use crate::text::TextView;

struct Pattern {
    technique: Technique,
    regex: Regex,
    /// Run on the Simplified view instead of the text.
    simplified: bool,
    name: &'static str,
    why: &'static str,
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| {
        let p = |technique, re: &str, simplified, name, why| Pattern {
            technique,
            regex: Regex::new(re).unwrap_or_else(|e| panic!("pattern {name}: {e}")),
            simplified,
            name,
            why,
        };
        vec![
            p(
                Technique::ExaggerationMinimisation,
                r"(?i)\bno \w+(?:, no \w+)*,? (?:and|or|nor) no \w+",
                false,
                "pattern:no-x-no-y",
                "a sweeping “no X, no Y and no Z” list",
            ),
            p(
                Technique::BandwagonReductioAdHitlerum,
                r"(?i)\b(?:nearly|almost|more than|over|some|about|around) \d[\d,]* (?:countries|nations|governments)\b",
                false,
                "pattern:many-countries",
                "a count of countries offered as support",
            ),
            p(
                Technique::BandwagonReductioAdHitlerum,
                r"(?:近|超过|上|数)?\d+(?:多)?个国家|上百个国家|绝大多数国家",
                true,
                "pattern:many-countries",
                "a count of countries offered as support",
            ),
            p(
                Technique::WhataboutismStrawMenRedHerring,
                r"(?i)\bthe real [\w ]{0,30}?(?:issues?|problems?|threats?) (?:in|of|facing) ",
                false,
                "pattern:the-real-issue",
                "turns attention to “the real” problem elsewhere",
            ),
            p(
                Technique::BlackAndWhiteFallacy,
                r"(?i)\beither\b[^.;!?]{1,80}\bor\b",
                false,
                "pattern:either-or",
                "an either/or choice",
            ),
            p(
                Technique::BlackAndWhiteFallacy,
                r"要么[^。；！？]{1,30}要么",
                true,
                "pattern:either-or",
                "an either/or choice",
            ),
        ]
    })
}

pub fn find(view: &TextView<'_>, out: &mut Vec<Hit>) {
    for p in patterns() {
        let haystack: &str = if p.simplified {
            &view.simplified
        } else {
            view.text
        };
        if p.simplified && !haystack.chars().any(crate::text::script::is_han) {
            continue;
        }
        for m in p.regex.find_iter(haystack) {
            let trimmed = m.as_str().trim_end();
            let span = Span::new(m.start(), m.start() + trimmed.len());
            out.push(Hit {
                technique: p.technique,
                span,
                score: 0.7,
                detector: p.name,
                evidence: format!("“{}”: {}", span.slice(view.text), p.why),
                occurrences: Vec::new(),
            });
        }
    }
    slogans(view, out);
}

/// A short exclamation standing alone: "Lock her up!", "打倒霸权主义！".
fn slogans(view: &TextView<'_>, out: &mut Vec<Hit>) {
    for s in &view.sentences {
        let text = s.span.slice(view.text);
        if !text.ends_with(['!', '！']) || text.ends_with("?!") {
            continue;
        }
        let words = view
            .sentence_tokens(s)
            .iter()
            .filter(|t| t.is_word())
            .count();
        let short = match s.lang {
            Lang::Zh => (2..=8).contains(&words),
            _ => (2..=6).contains(&words),
        };
        if short {
            out.push(Hit {
                technique: Technique::Slogans,
                span: s.span,
                score: 0.5,
                detector: "pattern:short-exclamation",
                evidence: format!("a short exclamation of {words} words"),
                occurrences: Vec::new(),
            });
        }
    }
}
