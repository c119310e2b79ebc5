//! spinscope's engine: read documents, segment bilingual text, find how it persuades, report.
//!
//! ```
//! use spinscope_core::{analyze, Document, Options};
//! let doc = Document::from_text("note", "Analysts said the plan failed.");
//! let report = analyze(&doc, &Options::default());
//! assert_eq!(report.document.lang, "en");
//! ```

pub mod analyze;
pub mod doc;
pub mod error;
pub mod eval;
pub mod ingest;
pub mod learn;
pub mod report;
pub mod text;

pub use analyze::{analyze, analyze_with, Annotator, Options};
pub use doc::{Document, Lang, Provenance, Span, ZhScript};
pub use error::{Error, Result};
pub use report::{Finding, Report, Summary, Technique};
pub use text::TextView;
