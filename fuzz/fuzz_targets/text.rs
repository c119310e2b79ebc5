//! Any text straight into the analysers (no sniffing): sentences, quotes, attribution,
//! techniques, claims. Every finding's extent must lie inside the text (offsets are characters).
#![no_main]

use spinscope_core::doc::Document;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let chars = text.chars().count();
    let document = Document::from_text("fuzz", text);
    let report = spinscope_core::analyze(&document, &spinscope_core::Options::default());
    for finding in &report.findings {
        let extent = finding.extent();
        assert!(extent.start <= extent.end && extent.end <= chars, "{extent:?} outside {chars}");
    }
});
