//! Any bytes as a file given to `analyze`: sniffing, gzip, text, JSONL, HTML and WARC, then the
//! analysers themselves.
#![no_main]

use spinscope_core::ingest::{documents, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(docs) = documents(Input::from_reader("fuzz", std::io::Cursor::new(data.to_vec()))) {
        for loaded in docs.take(100).flatten() {
            let _ = spinscope_core::analyze(&loaded.document, &spinscope_core::Options::default());
        }
    }
});
