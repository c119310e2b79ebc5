//! Any bytes after a WARC version line: records, HTTP responses, chunked and gzip bodies.
#![no_main]

use spinscope_core::ingest::{documents, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = b"WARC/1.0\r\n".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(docs) = documents(Input::from_reader("fuzz.warc", std::io::Cursor::new(bytes))) {
        for doc in docs.take(1000) {
            let _ = doc;
        }
    }
});
