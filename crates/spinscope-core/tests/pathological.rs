//! Hostile shapes of text: none may panic, and none may make the report grow faster than the
//! text (a quadratic report is a quadratic run). Speed itself is measured by
//! benches/pathological/run.sh, not asserted here.

use spinscope_core::{analyze, Document, Options};

fn report_bytes(text: String) -> (usize, usize) {
    let len = text.len();
    let report = analyze(&Document::from_text("x", text), &Options::default());
    (
        len,
        serde_json::to_string(&report).map(|s| s.len()).unwrap_or(0),
    )
}

#[test]
fn nested_quotes_do_not_multiply_findings() {
    // 20,000 quotations nested inside each other: each spans nearly the whole text.
    let text = format!("{}x{}", "“".repeat(20_000), "”".repeat(20_000));
    let (len, report) = report_bytes(text);
    assert!(
        report < len,
        "report of {report} bytes for {len} bytes of text"
    );
    let (len, report) = report_bytes(format!(
        "所谓的{}人权{}",
        "“".repeat(5_000),
        "”".repeat(5_000)
    ));
    assert!(
        report < len,
        "report of {report} bytes for {len} bytes of text"
    );
}

#[test]
fn odd_texts_are_analysed() {
    let cases = [
        "a".repeat(300_000),  // one word, no space
        "\"".repeat(100_000), // unpaired straight quotes
        "A. ".repeat(50_000), // tiny sentences
        "مرحبا بالعالم \u{200b}\u{200f}\u{202e} שלום עולם \u{200d}".repeat(2_000), // RTL, zero-width
        "所谓的“人权”".repeat(5_000), // many real scare quotes
        "\u{feff}\u{0}\u{1}\r\r\n\t".repeat(10_000), // controls and stray line ends
    ];
    for text in cases {
        let (len, report) = report_bytes(text);
        // Scare quotes on every phrase are findings with a few fields each: bounded by a
        // constant times the text, never by its square.
        assert!(
            report < 60 * len + 10_000,
            "report of {report} bytes for {len} bytes"
        );
    }
}
