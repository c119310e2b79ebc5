//! SemEval-2020 Task 11 lines: `article_id<TAB>label<TAB>start<TAB>end`, one per technique span.

use std::io::{self, Write};

use super::{Finding, Report};

/// The article id PTC files use: `123` for a document named `article123`; the id unchanged
/// otherwise.
pub fn ptc_article_id(document_id: &str) -> &str {
    document_id.strip_prefix("article").unwrap_or(document_id)
}

/// Writes the report's technique spans, in report order.
pub fn write_ptc(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let id = ptc_article_id(&report.document.id);
    for f in &report.findings {
        if let Finding::Technique { label, extent, .. } = f {
            writeln!(
                out,
                "{id}\t{}\t{}\t{}",
                label.label(),
                extent.start,
                extent.end
            )?;
        }
    }
    Ok(())
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
