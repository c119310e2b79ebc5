//! The analysers. Each is a plain function over the segmented text that appends findings with
//! byte offsets; the report converts them.

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

/// Every analyser's findings for one document, byte offsets.
pub fn find(_doc: &Document, _view: &TextView<'_>) -> Vec<Finding> {
    Vec::new()
}
