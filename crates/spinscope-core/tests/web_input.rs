//! Property tests over hostile web input: random markup soups, random bytes and mutated WARC
//! archives never panic, and what comes out keeps its invariants. (Longer fuzzing: `fuzz/`.)

use proptest::prelude::*;
use spinscope_core::ingest::{documents, html, Input};

/// Pieces that real pages and broken pages are made of.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<article class=\"story-body\">".to_string()),
        Just("<nav class=menu><a href=/>Home</a>".to_string()),
        Just("<script>var x = '</p>' < 3;</script>".to_string()),
        Just("<style>p{}</style>".to_string()),
        Just("<!-- note -->".to_string()),
        Just("<!--".to_string()),
        Just("<h2>".to_string()),
        Just("</h3>".to_string()),
        Just("<br>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("<li>".to_string()),
        Just("&amp;&#x4e2d;&bogus;&#xFFFFFFF;".to_string()),
        Just("<meta charset=\"gbk\">".to_string()),
        Just("<title>新华网".to_string()),
        Just("<a href=\"x".to_string()),
        Just("<".to_string()),
        "[a-zA-Z ,.“”\"'中文。，]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn markup_soup_extracts_without_panicking(parts in proptest::collection::vec(fragment(), 0..80)) {
        let page = html::read(parts.concat().as_bytes(), None, None);
        prop_assert_eq!(page.text.trim(), page.text.as_str());
        // A bare "<" or an unclosed tag swallows the next "<script>" into its own name or
        // attributes ("<A<script>" is one tag named "a<script"), in browsers too: the script's
        // text is then page text. Only a script that really is a tag must stay hidden.
        let swallowing = parts.iter().any(|p| p == "<" || p.starts_with("<a href=\"x"));
        if !swallowing {
            prop_assert!(!page.text.contains("var x"), "script text leaked: {}", page.text);
        }
        prop_assert!(!page.text.contains("\n\n\n"));
    }

    #[test]
    fn random_bytes_as_html(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut page = b"<html><body><p>".to_vec();
        page.extend(bytes);
        let _ = html::read(&page, None, None);
    }

    #[test]
    fn mutated_warc_archives_never_panic(
        cut in 0usize..400,
        flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..6),
    ) {
        let body = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
                    1a\r\n<p>Officials said it fail\r\n6\r\ned.</p\r\n0\r\n\r\n";
        let record = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n\
             Content-Type: application/http\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        );
        let mut bytes = record.repeat(2).into_bytes();
        for (at, b) in flips {
            if let Some(x) = bytes.get_mut(at) {
                *x = b;
            }
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        if let Ok(docs) = documents(Input::from_reader("m.warc", std::io::Cursor::new(bytes))) {
            for doc in docs.take(10) {
                let _ = doc;
            }
        }
    }
}
