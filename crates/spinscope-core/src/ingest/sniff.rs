//! Telling the input kind from the first bytes, never from the file name alone.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Text,
    /// Text with a UTF-16 byte-order mark.
    Utf16,
    Jsonl,
    Html,
    Warc,
}

/// How many leading bytes decide.
const SNIFF: usize = 8192;

pub fn sniff(head: &[u8], source: &str) -> Result<InputKind> {
    let head = &head[..head.len().min(SNIFF)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(InputKind::Utf16);
    }
    if looks_binary(head) {
        return Err(Error::Binary {
            path: source.to_string(),
        });
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    if body.starts_with(b"WARC/") {
        return Ok(InputKind::Warc);
    }
    if body.starts_with(b"{") && first_line_is_object(body, source) {
        return Ok(InputKind::Jsonl);
    }
    if body.starts_with(b"<") && looks_html(body) {
        return Ok(InputKind::Html);
    }
    Ok(InputKind::Text)
}

/// NUL bytes, or many control characters other than tab, newlines and form feed.
fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    controls * 10 > head.len()
}

fn first_line_is_object(body: &[u8], source: &str) -> bool {
    let line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let complete = line.len() < body.len();
    if complete || body.len() < SNIFF {
        return serde_json::from_slice::<serde_json::Value>(line)
            .map(|v| v.is_object())
            .unwrap_or(false);
    }
    // A first line longer than the sniffed head: trust an object start and the extension.
    source.ends_with(".jsonl") || source.ends_with(".ndjson") || line.starts_with(b"{\"")
}

/// Whether bytes of unknown type (an HTTP body without a Content-Type) are HTML.
pub(crate) fn looks_like_html(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body[start..].starts_with(b"<") && looks_html(&body[start..])
}

/// Starts with markup and has an HTML element in the head (a page may open with kilobytes of
/// inline CSS or script, so the whole sniffed head counts).
fn looks_html(body: &[u8]) -> bool {
    let head: Vec<u8> = body
        .iter()
        .take(SNIFF)
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<meta",
        b"<div",
        b"<p>",
        b"<article",
        b"<style",
        b"<script",
        b"<link",
        b"<title",
    ]
    .iter()
    .any(|needle| has(needle))
}

/// Decodes UTF-16 with its byte-order mark (dropped; it is not text).
pub fn decode_utf16(bytes: &[u8]) -> (String, bool) {
    let big_endian = bytes.starts_with(&[0xFE, 0xFF]);
    let body = bytes.get(2..).unwrap_or(&[]);
    let units: Vec<u16> = body
        .chunks(2)
        .map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        })
        .collect();
    let mut lossy = body.len() % 2 == 1;
    let text: String = char::decode_utf16(units)
        .map(|r| {
            r.unwrap_or_else(|_| {
                lossy = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    (text, lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let kind = |b: &[u8]| sniff(b, "x").ok();
        assert_eq!(kind(b"Hello world"), Some(InputKind::Text));
        assert_eq!(kind(b""), Some(InputKind::Text));
        assert_eq!(
            kind(b"{\"id\": 1, \"text\": \"a\"}\n{}"),
            Some(InputKind::Jsonl)
        );
        assert_eq!(kind(b"{not json at all"), Some(InputKind::Text));
        assert_eq!(kind(b"  <!DOCTYPE html><html>"), Some(InputKind::Html));
        assert_eq!(kind(b"<3 you"), Some(InputKind::Text));
        assert_eq!(kind(b"WARC/1.0\r\n"), Some(InputKind::Warc));
        assert_eq!(kind(b"\xFF\xFEa\x00"), Some(InputKind::Utf16));
        assert!(sniff(b"PK\x03\x04\x00\x00", "x.zip").is_err());
    }

    #[test]
    fn utf16() {
        let (text, lossy) = decode_utf16(b"\xFF\xFEh\x00i\x00");
        assert_eq!(text, "hi");
        assert!(!lossy);
    }
}
