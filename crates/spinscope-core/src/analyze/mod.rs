//! The analysers. Each is a plain function over the segmented text that appends findings with
//! byte offsets; [`calibration`] then turns every raw score into a probability and the report
//! shows the findings at or above its kind's threshold.

pub mod attribution;
pub mod calibration;
pub mod claims;
pub mod lexicon;
pub mod scare_quotes;
pub mod techniques;

use crate::doc::Document;
use crate::report::{Finding, Report};
use crate::text::TextView;

pub use calibration::{Calibration, Thresholds, Tier};

/// How to analyse.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Put the document's text into the report (`document.text`).
    pub include_text: bool,
    /// Per-kind thresholds that replace the shipped ones (`--min-score KIND=P`).
    pub min_score: Vec<(String, f32)>,
    /// Show every finding, whatever its score (`--all`).
    pub all: bool,
    /// The report is for SemEval's scorer (`--format ptc`): techniques are shown from the
    /// threshold chosen for its F1, not for precision.
    pub ptc: bool,
    /// Leave scores raw and show everything: what `train calibration` fits the calibration on.
    /// Reports for people and `eval` never set it.
    pub raw_scores: bool,
}

impl Options {
    /// The thresholds a report of `tier` shows findings from.
    pub fn thresholds(&self, tier: Tier) -> Thresholds {
        if self.all || self.raw_scores {
            return Thresholds::none();
        }
        let mut t = Calibration::shipped().thresholds(tier);
        if self.ptc {
            t = t.for_ptc();
        }
        for (kind, score) in &self.min_score {
            t.set(kind, *score);
        }
        t
    }
}

/// Analyses one document with the rule tier.
pub fn analyze(doc: &Document, options: &Options) -> Report {
    analyze_with(doc, options, None).0
}

/// A further tier run after the rules on the same segmented text: the learned tier of
/// `spinscope-model`. Kept as a trait so the corpus and server crates take it without
/// depending on the model.
pub trait Annotator: Send + Sync + std::fmt::Debug {
    /// Adds findings (byte offsets) to the rules' `findings`. On error `findings` must be left
    /// as they were: do the fallible work first, then change them.
    fn annotate(&self, view: &TextView<'_>, findings: &mut Vec<Finding>) -> Result<(), String>;

    /// The technique of each span (byte offsets), as this tier labels spans it is given
    /// (SemEval's TC task); `None` leaves them to the rule tier's classifier.
    fn classify(
        &self,
        _view: &TextView<'_>,
        _spans: &[crate::doc::Span],
    ) -> Result<Option<Vec<crate::report::Technique>>, String> {
        Ok(None)
    }
}

/// Analyses one document with the rules, then `extra` when given; calibrates every score and
/// keeps what the thresholds show. When `extra` fails on this document the report holds the
/// rules' findings (shown as the fast tier's) and the reason comes back for a warning.
pub fn analyze_with(
    doc: &Document,
    options: &Options,
    extra: Option<&dyn Annotator>,
) -> (Report, Option<String>) {
    let view = TextView::new(&doc.text);
    let mut findings = find(doc, &view);
    let warning = extra.and_then(|extra| extra.annotate(&view, &mut findings).err());
    attribution::type_self_citations(doc, &view, &mut findings);
    techniques::repetition::gather(&view, &mut findings);
    let tier = if extra.is_some() && warning.is_none() {
        Tier::Full
    } else {
        Tier::Fast
    };
    if !options.raw_scores {
        Calibration::shipped().apply(&mut findings, tier, &|at| view.is_chinese_at(at));
    }
    let thresholds = options.thresholds(tier);
    findings.retain(|f| thresholds.shows(f));
    (
        Report::new(doc, &view, findings, options.include_text),
        warning,
    )
}

/// Every analyser's findings for one document, byte offsets.
pub fn find(doc: &Document, view: &TextView<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let attributions = attribution::find(doc, view);
    scare_quotes::find(view, &attributions, &mut findings);
    findings.extend(
        techniques::find(view, &attributions)
            .into_iter()
            .map(techniques::Hit::into_finding),
    );
    claims::find(view, &mut findings);
    findings.extend(attributions.into_iter().map(|a| a.into_finding(view)));
    findings
}
