//! Attribution: who says what, through which cue, and whether the source is named, anonymous,
//! or the outlet itself. English and Chinese rules share the source model and the resolution of
//! pronouns ("They also pointed out…") to the previous source.

mod en;
pub use en::{is_reporting_verb, is_source_noun};
pub use zh::is_cue_verb;
mod outlet;
mod zh;

use crate::doc::{Document, Lang, Span};
use crate::report::{Extent, Finding, QuoteKind, Range, Source, SourceType};
use crate::text::TextView;

pub use outlet::Outlet;

/// One attribution with byte offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub source: Span,
    pub source_type: SourceType,
    pub descriptor: Option<String>,
    pub cue: Option<Span>,
    pub content: Span,
    pub self_citation: bool,
    /// For a pronoun source: the type of the source it refers to.
    pub resolved_type: Option<SourceType>,
    /// Which rule matched, for the finding's `detector`.
    pub rule: &'static str,
    pub paragraph: usize,
}

impl Attribution {
    /// An attribution through `cue`; a source that is the outlet itself makes it a
    /// self-citation.
    fn new(
        source: Span,
        (source_type, descriptor): (SourceType, Option<String>),
        cue: Span,
        content: Span,
        rule: &'static str,
        paragraph: usize,
    ) -> Self {
        Attribution {
            source,
            source_type,
            descriptor,
            cue: Some(cue),
            content,
            self_citation: source_type == SourceType::SelfOutlet,
            resolved_type: None,
            rule,
            paragraph,
        }
    }

    /// Anonymous sources, vague groups, and pronouns that refer to either.
    pub fn anonymous(&self) -> bool {
        let kind = match self.source_type {
            SourceType::Pronoun => self.resolved_type.unwrap_or(SourceType::Pronoun),
            k => k,
        };
        matches!(kind, SourceType::Anonymous | SourceType::VagueGroup)
    }

    /// The whole attributed stretch: source, cue and content.
    pub fn span(&self) -> Span {
        let mut span = self.content;
        // A continuation's source sits in an earlier sentence; the finding covers the quote.
        if self.rule != "continuation" {
            span = span.cover(&self.source);
            if let Some(cue) = self.cue {
                span = span.cover(&cue);
            }
        }
        span
    }

    fn quote_kind(&self, view: &TextView<'_>) -> QuoteKind {
        if view
            .quote_covering(trim_punct(view.text, self.content))
            .is_some()
        {
            return QuoteKind::Direct;
        }
        if view
            .quotes_within(self.content)
            .any(|q| !q.content.is_empty())
        {
            QuoteKind::Mixed
        } else {
            QuoteKind::Indirect
        }
    }

    pub fn into_finding(self, view: &TextView<'_>) -> Finding {
        let quote = self.quote_kind(view);
        let anonymous = self.anonymous();
        let evidence = format!(
            "{} source “{}”{}{}",
            self.source_type.as_str(),
            self.source.slice(view.text),
            self.cue
                .map(|c| format!(", cue “{}”", c.slice(view.text)))
                .unwrap_or_default(),
            if self.self_citation {
                ", the outlet cites itself"
            } else {
                ""
            }
        );
        Finding::Attribution {
            extent: Extent::new(self.span()),
            source: Source {
                extent: Extent::new(self.source),
                kind: self.source_type,
                descriptor: self.descriptor,
            },
            cue: self.cue.map(Extent::new),
            content: Some(Range {
                start: self.content.start,
                end: self.content.end,
            }),
            quote,
            anonymous,
            self_citation: self.self_citation,
            score: RAW_RULE_SCORE,
            detector: if self.rule == MODEL {
                MODEL.to_string()
            } else {
                format!("rules:{}", self.rule)
            },
            evidence,
        }
    }
}

/// The span without surrounding whitespace and final sentence punctuation.
fn trim_punct(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let trimmed = s.trim_end_matches(|c: char| c.is_whitespace() || ".,;:。，；：".contains(c));
    let lead = trimmed.len() - trimmed.trim_start().len();
    Span::new(span.start + lead, span.start + trimmed.len())
}

/// From `start` to the end of the sentence, without the final full stop (kept inside a closing
/// quote), and on through a quotation that goes on past the sentence.
fn content_from(view: &TextView<'_>, sentence: Span, start: usize) -> Option<Span> {
    let mut end = sentence.end;
    let start = start.min(end);
    let body = &view.text[start..end];
    let lead = body.len() - body.trim_start().len();
    let start = start + lead;
    let body = body.trim_start();
    // "…, while a source said…": a second attribution starts there.
    let body = [
        ", while ",
        ", whereas ",
        ", adding ",
        ", saying ",
        ", noting ",
        ", arguing ",
        ", insisting ",
        ", warning ",
        ", claiming ",
        ", calling ",
    ]
    .iter()
    .filter_map(|m| body.find(m))
    .min()
    .map_or(body, |i| &body[..i]);
    end = start + body.len();
    if !body.ends_with(['”', '"', '’', '」', '』', '\'']) {
        let trimmed = body.trim_end_matches(['.', '!', '?', ';', ' ', '。', '！', '？', '；']);
        end = start + trimmed.len();
    }
    if let Some(q) = view.quote_crossing(start, end) {
        end = q.span.end;
    }
    let span = Span::new(start, end);
    (span.len() > 1).then_some(span)
}

/// The `rule` of attributions a learned model found; their findings say `detector: "model"`.
pub const MODEL: &str = "model";

/// A rule attribution's score before calibration (`analyze::calibration` replaces it with its
/// pattern's measured precision): about what the rules score on PolNeAR's sources overall.
pub const RAW_RULE_SCORE: f32 = 0.8;

/// An attribution found by someone other than the rules (the learned tier's tagger), with its
/// source classified as the rules classify theirs: named, anonymous, the outlet itself…
/// `None` when `source` lies in no sentence or is no noun phrase (a clause, an adverb).
pub fn from_spans(
    view: &TextView<'_>,
    outlet: &Outlet,
    source: Span,
    cue: Span,
    content: Span,
) -> Option<Attribution> {
    let i = view.sentence_at(source.start)?;
    let sentence = &view.sentences[i];
    let (source_type, descriptor) = match sentence.lang {
        Lang::Zh => zh::classify(view, source, outlet),
        _ => en::classify_span(view, i, source, cue, outlet)?,
    };
    Some(Attribution::new(
        source,
        (source_type, descriptor),
        cue,
        content,
        MODEL,
        sentence.paragraph,
    ))
}

/// The learned tier types its attributions' sources without knowing the document's outlet;
/// a source that names the outlet ("The Global Times has learned …" in the Global Times) is
/// the outlet citing itself, as the rules would have typed it.
pub fn type_self_citations(doc: &Document, view: &TextView<'_>, findings: &mut [Finding]) {
    let outlet = Outlet::new(doc.outlet.as_deref());
    for f in findings.iter_mut() {
        if let Finding::Attribution {
            source,
            anonymous,
            self_citation,
            detector,
            evidence,
            ..
        } = f
        {
            if detector.as_str() != MODEL
                || *self_citation
                || !outlet.is_known_self(&view.text[source.extent.start..source.extent.end])
            {
                continue;
            }
            source.kind = SourceType::SelfOutlet;
            source.descriptor = None;
            (*anonymous, *self_citation) = (false, true);
            evidence.push_str("; the outlet cites itself");
        }
    }
}

/// All attributions of a document, in text order.
pub fn find(doc: &Document, view: &TextView<'_>) -> Vec<Attribution> {
    let outlet = Outlet::new(doc.outlet.as_deref());
    let mut out: Vec<Attribution> = Vec::new();
    for (i, sentence) in view.sentences.iter().enumerate() {
        let before = out.len();
        match sentence.lang {
            Lang::Zh => zh::sentence(view, i, &outlet, &mut out),
            _ => en::sentence(view, i, &outlet, &mut out),
        }
        // A sentence that is one quotation and names no speaker continues the previous one.
        // It extends that attribution's content, as one source quoted at length is one
        // attribution (PolNeAR marks it so).
        if out.len() == before {
            if let Some(a) = continuation(view, i, &out) {
                if let Some(prev) = out.last_mut() {
                    prev.content = prev.content.cover(&a.content);
                }
            }
        }
    }
    out.sort_by_key(|a| (a.content.start, a.source.start));
    // A quotation first read as a continuation and then claimed by "Li asked." keeps the cue.
    let cued: Vec<Span> = out
        .iter()
        .filter(|a| a.cue.is_some())
        .map(|a| a.content)
        .collect();
    out.retain(|a| a.cue.is_some() || !cued.iter().any(|c| c.overlaps(&a.content)));
    out.dedup_by(|b, a| a.content.overlaps(&b.content) && a.source == b.source);
    resolve_pronouns(view, &mut out);
    out
}

/// A sentence made of one closed quotation, right after an attribution with a direct quote in
/// the same paragraph: the same speaker goes on.
fn continuation(view: &TextView<'_>, i: usize, found: &[Attribution]) -> Option<Attribution> {
    let sentence = &view.sentences[i];
    let prev = found.last()?;
    if prev.paragraph != sentence.paragraph || prev.rule == "headline colon" {
        return None;
    }
    let body = trim_punct(view.text, sentence.span);
    let quote = view.quote_starting_at(body.start)?;
    // The whole sentence is the quote (a closing mark may follow the full stop).
    if quote.span.end + 4 < body.end {
        return None;
    }
    let prev_is_quote = view.quote_overlapping(prev.content);
    if !prev_is_quote {
        return None;
    }
    Some(Attribution {
        content: quote.span.cover(&body).cover(&quote.span),
        cue: None,
        rule: "continuation",
        paragraph: sentence.paragraph,
        ..prev.clone()
    })
}

/// "They also pointed out…": a pronoun source takes the type of the nearest earlier source in
/// the same or the previous paragraph that it can refer to.
fn resolve_pronouns(view: &TextView<'_>, found: &mut [Attribution]) {
    for i in 0..found.len() {
        if found[i].source_type != SourceType::Pronoun {
            continue;
        }
        let word = found[i].source.slice(view.text).to_lowercase();
        let plural = matches!(word.as_str(), "they" | "them" | "他们" | "她们");
        let paragraph = found[i].paragraph;
        let antecedent = found[..i].iter().rev().find(|a| {
            a.paragraph + 1 >= paragraph
                && a.source_type != SourceType::Pronoun
                && a.source.end <= found[i].source.start
                && refers(plural, a.source_type, a.source.slice(view.text))
        });
        if let Some(a) = antecedent {
            let (kind, text) = (a.source_type, a.source.slice(view.text).to_string());
            found[i].resolved_type = Some(kind);
            found[i].descriptor = Some(format!("refers to {text}"));
        }
    }
}

fn refers(plural: bool, kind: SourceType, text: &str) -> bool {
    let looks_plural = text.ends_with('s') || text.contains("人士") || text.contains("们");
    match kind {
        SourceType::NamedPerson | SourceType::Role => !plural,
        SourceType::Anonymous | SourceType::VagueGroup => plural == looks_plural || plural,
        SourceType::NamedOrg | SourceType::SelfOutlet => plural,
        SourceType::Pronoun => false,
    }
}

#[cfg(test)]
mod from_spans_tests {
    use super::*;

    #[test]
    fn the_learned_tiers_mention_of_the_outlet_is_the_outlet_citing_itself() {
        // Written for this test.
        let text = "The Daily Ledger has learned from sources that the plan was dropped.";
        let mut doc = Document::from_text("t", text);
        doc.outlet = Some("The Daily Ledger".into());
        let view = TextView::new(text);
        let source = Span::new(0, "The Daily Ledger".len());
        let cue = Span::new(17, 28);
        let content = Span::new(text.find("the plan").unwrap_or(0), text.len() - 1);
        let a = from_spans(&view, &Outlet::new(None), source, cue, content).expect("typed");
        let mut findings = vec![a.into_finding(&view)];
        type_self_citations(&doc, &view, &mut findings);
        let Finding::Attribution {
            source,
            self_citation,
            anonymous,
            ..
        } = &findings[0]
        else {
            panic!("{findings:?}")
        };
        assert_eq!(source.kind, SourceType::SelfOutlet, "{findings:?}");
        assert!(*self_citation && !*anonymous);
        // Without a known outlet, a publication that "has learned from sources" (the tagger's
        // cue runs on) is the outlet too, as the rules read "X has learned".
        let text = "The Global Times has learned from sources that the plan was dropped.";
        let view = TextView::new(text);
        let cue = Span::new(17, 41);
        assert_eq!(&text[cue.start..cue.end], "has learned from sources");
        let content = Span::new(text.find("the plan").unwrap_or(0), text.len() - 1);
        let a =
            from_spans(&view, &Outlet::new(None), Span::new(0, 16), cue, content).expect("typed");
        assert_eq!(a.source_type, SourceType::SelfOutlet);
    }

    #[test]
    fn a_model_found_source_is_classified_as_the_rules_classify() {
        let text = "Sources close to the matter told reporters the deal was off. \
                    新华社报道称，谈判已经结束。";
        let view = TextView::new(text);
        let outlet = Outlet::new(None);
        let at = |s: &str| {
            let i = text.find(s).expect("in text");
            Span::new(i, i + s.len())
        };
        let a = from_spans(
            &view,
            &outlet,
            at("Sources close to the matter"),
            at("told"),
            at("the deal was off"),
        )
        .expect("attribution");
        assert_eq!(a.source_type, SourceType::Anonymous);
        let zh = from_spans(
            &view,
            &outlet,
            at("新华社"),
            at("报道称"),
            at("谈判已经结束"),
        )
        .expect("attribution");
        assert_eq!(zh.source_type, SourceType::NamedOrg);
        match zh.into_finding(&view) {
            Finding::Attribution { detector, .. } => assert_eq!(detector, "model"),
            _ => panic!("an attribution"),
        }
    }

    #[test]
    fn the_one_told_and_a_cut_relative_clause_are_no_sources() {
        let text = "An expert who asked not to be named told the Global Times that it was staged.";
        let view = TextView::new(text);
        let outlet = Outlet::new(None);
        let at = |s: &str| {
            let i = text.find(s).expect("in text");
            Span::new(i, i + s.len())
        };
        let content = at("it was staged");
        // The tagger's misreadings on the state-media example.
        assert!(from_spans(&view, &outlet, at("the Global Times"), at("told"), content).is_none());
        assert!(from_spans(
            &view,
            &outlet,
            at("An expert who"),
            at("asked"),
            at("not to be named")
        )
        .is_none());
        let a = from_spans(
            &view,
            &outlet,
            at("An expert who asked not to be named"),
            at("told"),
            content,
        )
        .expect("the real source");
        assert_eq!(a.source_type, SourceType::Anonymous);
    }

    #[test]
    fn a_time_or_a_prepositional_phrase_is_no_source() {
        // Written for this test: shapes the tagger tags as sources on news text.
        let text = "On Monday the minister said in a statement that talks would resume next week.";
        let view = TextView::new(text);
        let outlet = Outlet::new(None);
        let at = |s: &str| {
            let i = text.find(s).expect("in text");
            Span::new(i, i + s.len())
        };
        let (cue, content) = (at("said"), at("talks would resume next week"));
        for garbage in ["On Monday", "in a statement", "next week"] {
            let a = from_spans(&view, &outlet, at(garbage), cue, content);
            assert!(a.is_none(), "{garbage}: {a:?}");
        }
        let a = from_spans(&view, &outlet, at("the minister"), cue, content).expect("a source");
        assert_eq!(a.source_type, SourceType::Role);
    }
}
