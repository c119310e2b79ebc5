//! The analysers. Each is a plain function over the segmented text that appends findings with
//! byte offsets; the report converts them.

pub mod attribution;
pub mod claims;
pub mod lexicon;
pub mod scare_quotes;
pub mod techniques;

use crate::doc::Document;
use crate::report::{Finding, Report};
use crate::text::TextView;

/// How to analyse.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Put the document's text into the report (`document.text`).
    pub include_text: bool,
}

/// Analyses one document with the rule tier.
pub fn analyze(doc: &Document, options: &Options) -> Report {
    let view = TextView::new(&doc.text);
    let findings = find(doc, &view);
    Report::new(doc, &view, findings, options.include_text)
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

/// Analyses one document with the rules, then `extra` when given. When `extra` fails on this
/// document the report holds the rules' findings and the reason comes back for a warning.
pub fn analyze_with(
    doc: &Document,
    options: &Options,
    extra: Option<&dyn Annotator>,
) -> (Report, Option<String>) {
    let view = TextView::new(&doc.text);
    let mut findings = find(doc, &view);
    let warning = extra.and_then(|extra| extra.annotate(&view, &mut findings).err());
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
