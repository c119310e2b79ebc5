//! The report (`spinscope/report@1`): findings, summary, and the writers for each format.
//!
//! Analysers produce findings with byte offsets; [`Report::new`] converts every offset to Unicode
//! code points in one place and fills each span's `text` from the document, so `text` always
//! equals `document.text[start:end]`.

mod ptc;
mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::doc::{Document, OffsetMap, Span};
use crate::text::TextView;

pub use ptc::{ptc_article_id, technique_spans, technique_uses, write_ptc};
pub use table::write_table;

pub const SCHEMA: &str = "spinscope/report@1";

/// The 14 techniques of SemEval-2020 Task 11, spelled as in PTC label files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Technique {
    #[serde(rename = "Appeal_to_Authority")]
    AppealToAuthority,
    #[serde(rename = "Appeal_to_fear-prejudice")]
    AppealToFearPrejudice,
    #[serde(rename = "Bandwagon,Reductio_ad_hitlerum")]
    BandwagonReductioAdHitlerum,
    #[serde(rename = "Black-and-White_Fallacy")]
    BlackAndWhiteFallacy,
    #[serde(rename = "Causal_Oversimplification")]
    CausalOversimplification,
    #[serde(rename = "Doubt")]
    Doubt,
    #[serde(rename = "Exaggeration,Minimisation")]
    ExaggerationMinimisation,
    #[serde(rename = "Flag-Waving")]
    FlagWaving,
    #[serde(rename = "Loaded_Language")]
    LoadedLanguage,
    #[serde(rename = "Name_Calling,Labeling")]
    NameCallingLabeling,
    #[serde(rename = "Repetition")]
    Repetition,
    #[serde(rename = "Slogans")]
    Slogans,
    #[serde(rename = "Thought-terminating_Cliches")]
    ThoughtTerminatingCliches,
    #[serde(rename = "Whataboutism,Straw_Men,Red_Herring")]
    WhataboutismStrawMenRedHerring,
}

impl Technique {
    pub const ALL: [Technique; 14] = [
        Technique::AppealToAuthority,
        Technique::AppealToFearPrejudice,
        Technique::BandwagonReductioAdHitlerum,
        Technique::BlackAndWhiteFallacy,
        Technique::CausalOversimplification,
        Technique::Doubt,
        Technique::ExaggerationMinimisation,
        Technique::FlagWaving,
        Technique::LoadedLanguage,
        Technique::NameCallingLabeling,
        Technique::Repetition,
        Technique::Slogans,
        Technique::ThoughtTerminatingCliches,
        Technique::WhataboutismStrawMenRedHerring,
    ];

    /// The label as PTC files spell it.
    pub const fn label(self) -> &'static str {
        match self {
            Technique::AppealToAuthority => "Appeal_to_Authority",
            Technique::AppealToFearPrejudice => "Appeal_to_fear-prejudice",
            Technique::BandwagonReductioAdHitlerum => "Bandwagon,Reductio_ad_hitlerum",
            Technique::BlackAndWhiteFallacy => "Black-and-White_Fallacy",
            Technique::CausalOversimplification => "Causal_Oversimplification",
            Technique::Doubt => "Doubt",
            Technique::ExaggerationMinimisation => "Exaggeration,Minimisation",
            Technique::FlagWaving => "Flag-Waving",
            Technique::LoadedLanguage => "Loaded_Language",
            Technique::NameCallingLabeling => "Name_Calling,Labeling",
            Technique::Repetition => "Repetition",
            Technique::Slogans => "Slogans",
            Technique::ThoughtTerminatingCliches => "Thought-terminating_Cliches",
            Technique::WhataboutismStrawMenRedHerring => "Whataboutism,Straw_Men,Red_Herring",
        }
    }

    pub fn from_label(label: &str) -> Option<Technique> {
        Technique::ALL.into_iter().find(|t| t.label() == label)
    }
}

/// A span of the document with its text; offsets are bytes until [`Report::new`] converts them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extent {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Extent {
    pub fn new(span: Span) -> Self {
        Extent {
            start: span.start,
            end: span.end,
            text: String::new(),
        }
    }
}

/// A span without its text (attribution content, which can be long and is in `text` already).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Range {
    pub start: usize,
    pub end: usize,
}

/// Who is quoted, as SPEC.md defines the seven types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    NamedPerson,
    NamedOrg,
    Role,
    Anonymous,
    VagueGroup,
    #[serde(rename = "self")]
    SelfOutlet,
    Pronoun,
}

impl SourceType {
    /// On the record: a name or an identifiable office.
    pub fn is_named(self) -> bool {
        matches!(
            self,
            SourceType::NamedPerson | SourceType::NamedOrg | SourceType::Role
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::NamedPerson => "named_person",
            SourceType::NamedOrg => "named_org",
            SourceType::Role => "role",
            SourceType::Anonymous => "anonymous",
            SourceType::VagueGroup => "vague_group",
            SourceType::SelfOutlet => "self",
            SourceType::Pronoun => "pronoun",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    #[serde(flatten)]
    pub extent: Extent,
    #[serde(rename = "type")]
    pub kind: SourceType,
    pub descriptor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    Direct,
    Indirect,
    Mixed,
}

/// Another document that shares a passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReuseOther {
    pub document: String,
    pub outlet: Option<String>,
}

/// One thing spinscope found, with where it is and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    Technique {
        label: Technique,
        #[serde(flatten)]
        extent: Extent,
        score: f32,
        detector: String,
        evidence: String,
        /// A repeated message's every use (`start`/`end` is the first); absent otherwise.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        occurrences: Vec<Range>,
    },
    Attribution {
        #[serde(flatten)]
        extent: Extent,
        source: Source,
        cue: Option<Extent>,
        content: Option<Range>,
        quote: QuoteKind,
        anonymous: bool,
        self_citation: bool,
        score: f32,
        detector: String,
        evidence: String,
    },
    ScareQuote {
        #[serde(flatten)]
        extent: Extent,
        score: f32,
        detector: String,
        evidence: String,
    },
    Claim {
        #[serde(flatten)]
        extent: Extent,
        checkworthy: f32,
        quantities: Vec<String>,
        detector: String,
        evidence: String,
    },
    Reuse {
        #[serde(flatten)]
        extent: Extent,
        cluster: String,
        other: Vec<ReuseOther>,
    },
}

impl Finding {
    /// The finding's main extent.
    pub fn extent(&self) -> &Extent {
        match self {
            Finding::Technique { extent, .. }
            | Finding::Attribution { extent, .. }
            | Finding::ScareQuote { extent, .. }
            | Finding::Claim { extent, .. }
            | Finding::Reuse { extent, .. } => extent,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Finding::Technique { .. } => "technique",
            Finding::Attribution { .. } => "attribution",
            Finding::ScareQuote { .. } => "scare_quote",
            Finding::Claim { .. } => "claim",
            Finding::Reuse { .. } => "reuse",
        }
    }

    /// Converts every byte offset in the finding to code points and fills in span texts.
    fn localise(&mut self, text: &str, map: &OffsetMap<'_>) {
        let fill = |e: &mut Extent| {
            e.text = Span::new(e.start, e.end).slice(text).to_string();
            e.start = map.char_index(e.start);
            e.end = map.char_index(e.end);
        };
        match self {
            Finding::Attribution {
                extent,
                source,
                cue,
                content,
                ..
            } => {
                fill(extent);
                fill(&mut source.extent);
                if let Some(cue) = cue {
                    fill(cue);
                }
                if let Some(content) = content {
                    content.start = map.char_index(content.start);
                    content.end = map.char_index(content.end);
                }
            }
            Finding::Technique {
                extent,
                occurrences,
                ..
            } => {
                fill(extent);
                for o in occurrences {
                    o.start = map.char_index(o.start);
                    o.end = map.char_index(o.end);
                }
            }
            Finding::ScareQuote { extent, .. }
            | Finding::Claim { extent, .. }
            | Finding::Reuse { extent, .. } => fill(extent),
        }
    }
}

/// The document part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentInfo {
    pub id: String,
    pub source: String,
    pub title: Option<String>,
    pub published: Option<String>,
    pub outlet: Option<String>,
    /// Where the page came from (HTML, WARC and JSONL inputs that say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `en`, `zh`, `other`, or `und` for a text without letters.
    pub lang: String,
    /// Share of letters per language, rounded to three decimals.
    pub langs: BTreeMap<String, f64>,
    /// Length of the text in code points.
    pub chars: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AttributionCounts {
    pub total: usize,
    pub named: usize,
    pub anonymous: usize,
    pub self_citation: usize,
}

/// Figures computed from the findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub techniques: BTreeMap<Technique, usize>,
    pub techniques_per_1k_words: f64,
    pub attributions: AttributionCounts,
    /// Anonymous attributions over all attributions; 0 when there are none.
    pub anonymous_share: f64,
    pub scare_quotes: usize,
    pub claims: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], words: usize) -> Summary {
        let mut s = Summary::default();
        let mut technique_total = 0usize;
        for f in findings {
            match f {
                Finding::Technique { label, .. } => {
                    *s.techniques.entry(*label).or_default() += 1;
                    technique_total += 1;
                }
                Finding::Attribution {
                    source,
                    anonymous,
                    self_citation,
                    ..
                } => {
                    s.attributions.total += 1;
                    s.attributions.named += usize::from(source.kind.is_named());
                    s.attributions.anonymous += usize::from(*anonymous);
                    s.attributions.self_citation += usize::from(*self_citation);
                }
                Finding::ScareQuote { .. } => s.scare_quotes += 1,
                Finding::Claim { .. } => s.claims += 1,
                Finding::Reuse { .. } => {}
            }
        }
        if words > 0 {
            s.techniques_per_1k_words = round(technique_total as f64 * 1000.0 / words as f64, 2);
        }
        if s.attributions.total > 0 {
            s.anonymous_share = round(
                s.attributions.anonymous as f64 / s.attributions.total as f64,
                3,
            );
        }
        s
    }
}

fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// One document's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub document: DocumentInfo,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// The word count behind the densities (Chinese words by jieba), for corpus aggregates that
    /// must weight documents by length; not part of the JSON schema.
    #[serde(skip)]
    pub words: usize,
}

impl Report {
    /// Builds the report from findings with byte offsets into `doc.text`.
    pub fn new(
        doc: &Document,
        view: &TextView<'_>,
        mut findings: Vec<Finding>,
        include_text: bool,
    ) -> Report {
        let map = OffsetMap::new(&doc.text);
        findings.sort_by_key(|f| {
            let e = f.extent();
            (e.start, std::cmp::Reverse(e.end), f.kind_name())
        });
        for f in &mut findings {
            f.localise(&doc.text, &map);
        }
        let words = view.word_count();
        let summary = Summary::of(&findings, words);
        let langs = view
            .langs
            .shares()
            .into_iter()
            .map(|(l, share)| (l.code().to_string(), round(share, 3)))
            .filter(|(_, share)| *share > 0.0)
            .collect();
        Report {
            schema: SCHEMA,
            document: DocumentInfo {
                id: doc.id.clone(),
                source: doc.source.clone(),
                title: doc.title.clone(),
                published: doc.published.clone(),
                outlet: doc.outlet.clone(),
                url: doc.url.clone(),
                author: doc.author.clone(),
                lang: view
                    .main_lang()
                    .map_or("und".to_string(), |l| l.code().to_string()),
                langs,
                chars: map.char_len(),
                text: include_text.then(|| doc.text.clone()),
            },
            findings,
            summary,
            words,
        }
    }
}
