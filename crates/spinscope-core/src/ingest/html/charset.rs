//! Bytes of a web page to text: byte-order mark, then the declared charset (HTTP header or
//! `<meta>`), checked against the bytes, then a guess from the bytes themselves.

use encoding_rs::{Encoding, UTF_8};

use crate::ingest::find_bytes;

/// The decoded page and how it was decoded.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    /// Set when the page needed replacement characters or its declaration was wrong.
    pub warning: Option<String>,
}

/// How far into the page a `<meta charset>` is looked for (the HTML standard says 1024; real
/// pages put long scripts first, so we look further).
const PRESCAN: usize = 8192;

pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return finish(&bytes[bom..], encoding, None);
    }
    let declared = http_charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(PRESCAN)]))
        // A page that reached us as bytes cannot be UTF-16 without a BOM; browsers do the same.
        .map(|e| {
            if e.output_encoding() == UTF_8 {
                UTF_8
            } else {
                e
            }
        });
    let valid_utf8 = std::str::from_utf8(bytes).is_ok();
    match declared {
        Some(encoding) if encoding == UTF_8 => {
            if valid_utf8 {
                return finish(bytes, UTF_8, None);
            }
            let guess = guess(bytes);
            if guess != UTF_8 && decodes_cleanly(bytes, guess) {
                return finish(bytes, guess, Some(mislabel(encoding, guess)));
            }
            finish(bytes, UTF_8, None)
        }
        Some(encoding) => {
            let ascii = bytes.is_ascii();
            if valid_utf8 && !ascii {
                // Valid multi-byte UTF-8 does not happen by chance in legacy encodings.
                return finish(bytes, UTF_8, Some(mislabel(encoding, UTF_8)));
            }
            if ascii || decodes_cleanly(bytes, encoding) && !is_single_byte(encoding) {
                return finish(bytes, encoding, None);
            }
            let guess = guess(bytes);
            if guess != encoding && !is_single_byte(guess) && decodes_cleanly(bytes, guess) {
                return finish(bytes, guess, Some(mislabel(encoding, guess)));
            }
            finish(bytes, encoding, None)
        }
        None if valid_utf8 => finish(bytes, UTF_8, None),
        None => finish(bytes, guess(bytes), None),
    }
}

fn mislabel(declared: &'static Encoding, used: &'static Encoding) -> String {
    format!(
        "declared charset {} does not fit the bytes; decoded as {}",
        declared.name(),
        used.name()
    )
}

fn finish(bytes: &[u8], encoding: &'static Encoding, warning: Option<String>) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let warning = warning.or_else(|| {
        had_errors.then(|| {
            format!(
                "invalid {} byte sequences, decoded with replacement characters",
                encoding.name()
            )
        })
    });
    Decoded {
        text: text.into_owned(),
        encoding,
        warning,
    }
}

fn decodes_cleanly(bytes: &[u8], encoding: &'static Encoding) -> bool {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .is_some()
}

fn is_single_byte(encoding: &'static Encoding) -> bool {
    encoding.is_single_byte()
}

fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// The charset a `<meta charset=…>` or `<meta http-equiv=Content-Type content="…; charset=…">`
/// declares in the page head.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(i) = find_bytes(&lower, from, b"<meta") {
        let end = find_bytes(&lower, i, b">").unwrap_or(lower.len());
        let tag = &lower[i..end];
        if let Some(c) = find_bytes(tag, 0, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let rest = skip(rest, |b| b.is_ascii_whitespace() || b == b'=');
            let rest = skip(rest, |b| b == b'"' || b == b'\'');
            let len = rest
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(&b)))
                .unwrap_or(rest.len());
            if let Some(e) = Encoding::for_label(&rest[..len]) {
                return Some(e);
            }
        }
        from = end;
    }
    None
}

fn skip(bytes: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let n = bytes.iter().position(|&b| !f(b)).unwrap_or(bytes.len());
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn meta_charset_is_honoured() {
        let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>".to_vec();
        page.extend(gbk("新华社北京电 记者从外交部获悉，会议将于明日举行。"));
        let d = decode(&page, None);
        assert!(d.text.contains("新华社北京电"), "{}", d.text);
        assert!(d.warning.is_none());
    }

    #[test]
    fn undeclared_big5_and_gbk_are_sniffed() {
        let text = "中央社記者今天報導，行政院表示將持續推動相關政策，並與各界溝通。";
        let big5 = encoding_rs::BIG5.encode(text).0.into_owned();
        assert_eq!(decode(&big5, None).text, text);
        let simplified = "据新华社报道，国务院常务会议今天召开，会议研究部署了相关工作。";
        assert_eq!(decode(&gbk(simplified), None).text, simplified);
    }

    #[test]
    fn mislabelled_charset_is_corrected() {
        let page = "<meta charset=iso-8859-1><p>Caf\u{e9} “quoted” 中文</p>";
        let d = decode(page.as_bytes(), None);
        assert_eq!(d.text, page);
        assert!(d.warning.is_some_and(|w| w.contains("windows-1252")));

        let mut gbk_page = b"<meta charset=utf-8><p>".to_vec();
        gbk_page.extend(gbk(
            "人民日报评论员文章指出，发展是第一要务，必须坚定不移推进改革。",
        ));
        let d = decode(&gbk_page, None);
        assert!(d.text.contains("人民日报评论员"), "{}", d.text);
    }

    #[test]
    fn bom_and_http_header_win() {
        let d = decode(b"\xEF\xBB\xBF<meta charset=gbk>caf\xC3\xA9", None);
        assert_eq!(d.text, "<meta charset=gbk>caf\u{e9}");
        let d = decode(&gbk("<p>中文内容的页面</p>"), Some("GB18030"));
        assert_eq!(d.text, "<p>中文内容的页面</p>");
    }
}
