//! Any bytes as the lines of a JSONL file after one valid record: the record reader must turn
//! every bad line into an error for that line and go on.
#![no_main]

use spinscope_core::ingest::{documents, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = b"{\"text\": \"first\"}\n".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(docs) = documents(Input::from_reader("fuzz.jsonl", std::io::Cursor::new(bytes))) {
        for doc in docs.take(1000) {
            let _ = doc;
        }
    }
});
