//! WARC crawl archives: every HTML `response` record becomes a document named by its record id,
//! with its target URI.
//!
//! A small reader of our own: the `warc` crate pulls old dependencies and stops at the first bad
//! record, where we skip it with a warning and read on. Records stream one at a time, so an
//! archive of any size needs memory for one record only.

use std::io::{BufRead, ErrorKind, Read};

use super::html;
use super::{find_bytes, id_from_source, Loaded};
use crate::error::{Error, Result};

/// Records larger than this are skipped (their content still consumed), with a warning.
const MAX_RECORD: u64 = 64 * 1024 * 1024;
/// Header blocks longer than this are not WARC headers.
const MAX_HEADER_LINE: usize = 64 * 1024;

pub struct Records {
    source: String,
    reader: Box<dyn BufRead + Send>,
    /// Records seen, for naming one that has no id.
    count: usize,
    done: bool,
}

impl Records {
    pub fn new(source: String, reader: Box<dyn BufRead + Send>) -> Self {
        Records {
            source,
            reader,
            count: 0,
            done: false,
        }
    }

    fn error(&self, record: &str, message: impl std::fmt::Display) -> Error {
        Error::Record {
            path: self.source.clone(),
            line: self.count,
            message: format!("{record}: {message}"),
        }
    }

    /// Reads one line (up to `\n`), at most `MAX_HEADER_LINE` bytes; `None` at the end.
    fn line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        Ok((n > 0).then_some(line))
    }

    /// Skips past the next `WARC/` version line; `false` at the end of the input.
    fn skip_to_version_line(&mut self) -> std::io::Result<bool> {
        while let Some(line) = self.line()? {
            if line.starts_with(b"WARC/") {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The next record that is an HTML response, or an error for a bad one.
    fn next_record(&mut self) -> Option<Result<Loaded>> {
        loop {
            match self.skip_to_version_line() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(self.read_error(e))),
            }
            self.count += 1;
            let mut headers: Vec<(String, String)> = Vec::new();
            loop {
                match self.line() {
                    Ok(Some(line)) => {
                        let line = String::from_utf8_lossy(&line);
                        let line = line.trim_end_matches(['\r', '\n']);
                        if line.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            headers
                                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                        }
                        if headers.len() > 1000 {
                            break;
                        }
                    }
                    Ok(None) => {
                        return Some(Err(
                            self.error(&self.record_name(&headers), "truncated header")
                        ))
                    }
                    Err(e) => return Some(Err(self.read_error(e))),
                }
            }
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            let name = self.record_name(&headers);
            let Some(length) = header("content-length").and_then(|l| l.parse::<u64>().ok()) else {
                // Without a length the block cannot be skipped exactly; resynchronise on the next
                // version line.
                return Some(Err(self.error(&name, "no valid Content-Length; skipped")));
            };
            let kind = header("warc-type").unwrap_or("").to_ascii_lowercase();
            let http = header("content-type").is_some_and(|t| t.contains("application/http"));
            if kind != "response" || !http || length > MAX_RECORD {
                if let Err(e) = self.skip(length) {
                    return Some(Err(self.read_error(e)));
                }
                if length > MAX_RECORD && kind == "response" {
                    return Some(Err(self.error(
                        &name,
                        format!("{length} bytes, over the {MAX_RECORD}-byte limit; skipped"),
                    )));
                }
                continue;
            }
            let mut block = Vec::with_capacity(length as usize);
            match (&mut self.reader).take(length).read_to_end(&mut block) {
                Ok(n) if (n as u64) < length => {
                    self.done = true;
                    return Some(Err(self.error(&name, "truncated record")));
                }
                Ok(_) => {}
                Err(e) => return Some(Err(self.read_error(e))),
            }
            let uri = header("warc-target-uri").map(|u| u.trim_matches(['<', '>']).to_string());
            let id = header("warc-record-id")
                .map(|i| i.trim_matches(['<', '>']).to_string())
                .unwrap_or_else(|| format!("{}:{}", id_from_source(&self.source), self.count));
            match http_response(&block) {
                Some(response) if response.is_html => {
                    let page =
                        html::read(&response.body, response.charset.as_deref(), uri.as_deref());
                    let warning = page
                        .warning
                        .as_ref()
                        .map(|w| format!("{}: {name}: {w}", self.source));
                    let document = page.into_document(id, self.source.clone());
                    return Some(Ok(Loaded { document, warning }));
                }
                Some(_) => continue,
                None => return Some(Err(self.error(&name, "not an HTTP response"))),
            }
        }
    }

    fn record_name(&self, headers: &[(String, String)]) -> String {
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        match (get("warc-record-id"), get("warc-target-uri")) {
            (Some(id), Some(uri)) => format!("record {} ({id}, {uri})", self.count),
            (Some(id), None) => format!("record {} ({id})", self.count),
            _ => format!("record {}", self.count),
        }
    }

    fn skip(&mut self, length: u64) -> std::io::Result<()> {
        std::io::copy(&mut (&mut self.reader).take(length), &mut std::io::sink()).map(|_| ())
    }

    fn read_error(&mut self, e: std::io::Error) -> Error {
        // A decoder error (corrupt or truncated gzip) cannot be skipped past: stop here.
        self.done = true;
        let message = match e.kind() {
            ErrorKind::UnexpectedEof => {
                "truncated gzip data; the records before it were read".to_string()
            }
            _ => format!("{e}; the records before it were read"),
        };
        Error::Record {
            path: self.source.clone(),
            line: self.count,
            message: format!("record {}: {message}", self.count),
        }
    }
}

impl Iterator for Records {
    type Item = Result<Loaded>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.next_record()
    }
}

struct Response {
    is_html: bool,
    charset: Option<String>,
    body: Vec<u8>,
}

/// Splits an HTTP response into headers and body; undoes chunked transfer and gzip/deflate
/// content encodings.
fn http_response(block: &[u8]) -> Option<Response> {
    if !block.starts_with(b"HTTP/") {
        return None;
    }
    let split = find_bytes(block, 0, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| find_bytes(block, 0, b"\n\n").map(|i| (i, i + 2)))?;
    let head = String::from_utf8_lossy(&block[..split.0]);
    let mut body = block[split.1..].to_vec();
    let mut content_type = String::new();
    let mut chunked = false;
    let mut encoding = String::new();
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = value,
            "transfer-encoding" => chunked = value.contains("chunked"),
            "content-encoding" => encoding = value,
            _ => {}
        }
    }
    if chunked {
        body = dechunk(&body).unwrap_or(body);
    }
    if encoding.contains("gzip") || encoding.contains("deflate") {
        let mut out = Vec::new();
        let ok = if encoding.contains("gzip") {
            flate2::read::MultiGzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .is_ok()
        } else {
            flate2::read::ZlibDecoder::new(&body[..])
                .read_to_end(&mut out)
                .is_ok()
        };
        if ok {
            body = out;
        }
    }
    let charset = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .next()
        .map(|c| c.trim_matches(['"', '\'']).to_string());
    let is_html = content_type.contains("html")
        || (content_type.is_empty() && super::sniff::looks_like_html(&body));
    Some(Response {
        is_html,
        charset,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let eol = find_bytes(data, 0, b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size..)?;
        data = data.strip_prefix(b"\r\n").unwrap_or(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record(kind: &str, uri: &str, id: &str, block: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        out.extend_from_slice(block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }

    fn page(body: &str) -> Vec<u8> {
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><article><p>{body}</p></article></body></html>").into_bytes()
    }

    fn read_all(bytes: Vec<u8>) -> Vec<Result<Loaded>> {
        Records::new("crawl.warc".into(), Box::new(std::io::Cursor::new(bytes))).collect()
    }

    #[test]
    fn html_responses_become_documents_and_the_rest_is_skipped() {
        let mut warc = record("warcinfo", "", "0", b"software: test\r\n");
        warc.extend(record(
            "request",
            "http://a.example/1",
            "1",
            b"GET /1 HTTP/1.1\r\n\r\n",
        ));
        warc.extend(record(
            "response",
            "http://a.example/1",
            "2",
            &page("First story, with enough words to count as text."),
        ));
        warc.extend(record(
            "response",
            "http://a.example/img.png",
            "3",
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
        ));
        warc.extend(record(
            "response",
            "http://a.example/2",
            "4",
            &page("Second story."),
        ));
        let docs: Vec<_> = read_all(warc)
            .into_iter()
            .map(|r| r.map(|l| l.document))
            .collect();
        assert_eq!(docs.len(), 2);
        let first = docs[0].as_ref().expect("first");
        assert_eq!(first.id, "urn:uuid:2");
        assert_eq!(first.url.as_deref(), Some("http://a.example/1"));
        assert_eq!(
            first.text,
            "First story, with enough words to count as text."
        );
        assert_eq!(
            docs[1].as_ref().map(|d| d.text.as_str()).ok(),
            Some("Second story.")
        );
    }

    #[test]
    fn a_corrupt_record_is_skipped_with_its_name_and_reading_goes_on() {
        let mut warc = record("response", "http://a.example/1", "1", &page("One."));
        warc.extend(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bad>\r\nContent-Length: lots\r\n\r\ngarbage\r\n\r\n");
        warc.extend(record(
            "response",
            "http://a.example/3",
            "3",
            &page("Three."),
        ));
        let out = read_all(warc);
        assert_eq!(out.len(), 3);
        let err = out[1]
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("crawl.warc") && err.contains("urn:uuid:bad"),
            "{err}"
        );
        assert!(out[2].as_ref().is_ok_and(|l| l.document.text == "Three."));
    }

    #[test]
    fn a_truncated_record_ends_the_archive_with_an_error() {
        let mut warc = record("response", "http://a.example/1", "1", &page("One."));
        let second = record("response", "http://a.example/2", "2", &page("Two."));
        warc.extend(&second[..second.len() - 40]);
        let out = read_all(warc);
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        assert!(out[1]
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("truncated")));
    }

    #[test]
    fn chunked_and_gzip_bodies() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n").as_deref(),
            Some(&b"Wikipedia"[..])
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"<p>Zipped body text.</p>").expect("write");
        let body = gz.finish().expect("finish");
        let mut block =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
                .to_vec();
        block.extend(body);
        let r = http_response(&block).expect("response");
        assert_eq!(r.body, b"<p>Zipped body text.</p>");
    }
}
