//! Property tests: every offset the pipeline produces lands on a character boundary, and the
//! report's code point offsets select exactly the text they claim.

use proptest::prelude::*;
use spinscope_core::doc::OffsetMap;
use spinscope_core::{analyze, Document, Finding, Options, TextView};

/// Text mixing what real pages mix: ASCII, CJK, astral characters, CRLF, combining marks,
/// quotes of every style, sentence marks, zero-width and RTL characters.
fn messy_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "The", " ", "U.S.", "Prof.", " said", ".", "!", "?", "\r\n", "\n", "\n\n", "“", "”", "\"",
        "'", "‘", "’", "「", "」", "『", "』", "中国", "國", "。", "！", "？", "；", "……", "𝒳",
        "😀", "e\u{301}", "\u{200b}", "\u{202e}", "שלום", "\u{feff}", "3.5", "所谓", "sources",
        "told", "analysts", "said", ":", "：", "\t", "\u{2028}", "\r", "…", "—",
    ]);
    prop::collection::vec(
        prop_oneof![
            3 => pieces.prop_map(str::to_string),
            1 => any::<String>(),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn offset_map_matches_char_counting(text in messy_text()) {
        let map = OffsetMap::new(&text);
        for (chars, (byte, _)) in text.char_indices().enumerate() {
            prop_assert_eq!(map.char_index(byte), chars);
        }
        prop_assert_eq!(map.char_index(text.len()), text.chars().count());
        prop_assert_eq!(map.char_len(), text.chars().count());
    }

    #[test]
    fn pipeline_spans_are_ordered_and_on_boundaries(text in messy_text()) {
        let view = TextView::new(&text);
        prop_assert_eq!(view.simplified.len(), text.len());
        let mut last_end = 0;
        for s in &view.sentences {
            prop_assert!(s.span.start >= last_end && s.span.start < s.span.end);
            prop_assert!(text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
            last_end = s.span.end;
            for t in view.sentence_tokens(s) {
                prop_assert!(s.span.contains(&t.span));
                prop_assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
            }
        }
        for q in &view.quotes {
            prop_assert!(q.span.contains(&q.content));
            prop_assert!(text.is_char_boundary(q.content.start) && text.is_char_boundary(q.content.end));
        }
    }

    #[test]
    fn report_text_equals_code_point_slice(text in messy_text()) {
        let report = analyze(&Document::from_text("p", text.clone()), &Options::default());
        let chars: Vec<char> = text.chars().collect();
        prop_assert_eq!(report.document.chars, chars.len());
        let slice = |s: usize, e: usize| chars[s..e].iter().collect::<String>();
        for f in &report.findings {
            let e = f.extent();
            prop_assert_eq!(&e.text, &slice(e.start, e.end));
            if let Finding::Attribution { source, cue, .. } = f {
                prop_assert_eq!(&source.extent.text, &slice(source.extent.start, source.extent.end));
                if let Some(cue) = cue {
                    prop_assert_eq!(&cue.text, &slice(cue.start, cue.end));
                }
            }
        }
    }
}
