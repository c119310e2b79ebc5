//! SemEval-2020 Task 11 lines: `article_id<TAB>label<TAB>start<TAB>end`, one per technique span.

use std::io::{self, Write};

use super::{Finding, Report, Technique};

/// The article id PTC files use: `123` for a document named `article123`; the id unchanged
/// otherwise.
pub fn ptc_article_id(document_id: &str) -> &str {
    document_id.strip_prefix("article").unwrap_or(document_id)
}

/// Writes the report's technique spans, in report order: one line per finding, and one per
/// occurrence of a repeated message, as PTC annotates every use.
pub fn write_ptc(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let id = ptc_article_id(&report.document.id);
    for (label, start, end) in technique_spans(report) {
        writeln!(out, "{id}\t{}\t{start}\t{end}", label.label())?;
    }
    Ok(())
}

/// Every technique span of a report (code points): each finding's, or each occurrence of a
/// repeated message.
pub fn technique_spans(report: &Report) -> Vec<(Technique, usize, usize)> {
    let mut out = Vec::new();
    for f in &report.findings {
        if let Finding::Technique { label, .. } = f {
            out.extend(technique_uses(f).iter().map(|s| (*label, s.start, s.end)));
        }
    }
    out
}

/// The spans a technique finding stands for: its extent, or every use of a repeated message
/// (none for other kinds).
pub fn technique_uses(f: &Finding) -> Vec<crate::Span> {
    match f {
        Finding::Technique {
            extent,
            occurrences,
            ..
        } if occurrences.is_empty() => vec![crate::Span::new(extent.start, extent.end)],
        Finding::Technique { occurrences, .. } => occurrences
            .iter()
            .map(|o| crate::Span::new(o.start, o.end))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_ids() {
        assert_eq!(ptc_article_id("article111111111"), "111111111");
        assert_eq!(ptc_article_id("story"), "story");
    }
}
