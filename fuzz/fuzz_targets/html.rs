//! Any bytes as a web page: decode, parse, extract, read metadata. Must never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let page = spinscope_core::ingest::html::read(data, None, None);
    // Offsets into the extracted text must be usable: it is valid UTF-8 by construction.
    let _ = page.text.len();
});
