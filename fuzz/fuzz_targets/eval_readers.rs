//! The benchmark-layout readers `eval` uses: brat standoff (.ann, PolNeAR) and PTC label and
//! template lines, on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = spinscope_core::eval::brat::parse("fuzz.ann", &text);
    let _ = spinscope_core::eval::ptc::parse_labels("fuzz.labels", &text);
});
