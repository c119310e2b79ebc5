//! From bytes to documents: open a path or stdin, tell the input kind from its content, decode.
//!
//! Inputs are read as streams: a JSONL file yields one document per line without being held in
//! memory whole.

pub mod html;
mod jsonl;
mod sniff;
mod warc;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::doc::Document;
use crate::error::{Error, Result};
pub use sniff::InputKind;

/// An opened input: its name as the user gave it and a buffered reader.
pub struct Input {
    pub source: String,
    reader: Box<dyn BufRead + Send>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("source", &self.source)
            .finish()
    }
}

const BUFFER: usize = 256 * 1024;

impl Input {
    /// Opens a file, or stdin for `-`.
    pub fn open(path: &str) -> Result<Input> {
        if path == "-" {
            return Ok(Input::from_reader("-", io::stdin()));
        }
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::Directory { path: path.into() });
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Input::from_reader(path, file))
    }

    /// An input over any reader (tests, bindings, an HTTP body).
    pub fn from_reader(source: &str, reader: impl Read + Send + 'static) -> Input {
        Input {
            source: source.to_string(),
            reader: Box::new(BufReader::with_capacity(BUFFER, reader)),
        }
    }
}

/// One document read from an input, with a warning to show the user if reading it needed one.
#[derive(Debug)]
pub struct Loaded {
    pub document: Document,
    pub warning: Option<String>,
}

/// The documents of one input, in order. A bad JSONL line yields an error and reading goes on.
pub struct Documents {
    inner: DocumentsInner,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents")
    }
}

enum DocumentsInner {
    One(Option<Loaded>),
    Jsonl(jsonl::Records),
    Warc(warc::Records),
}

impl Iterator for Documents {
    type Item = Result<Loaded>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            DocumentsInner::One(doc) => doc.take().map(Ok),
            DocumentsInner::Jsonl(records) => records.next(),
            DocumentsInner::Warc(records) => records.next(),
        }
    }
}

/// Reads an input's documents. Fails as a whole only when the input cannot be read at all or is
/// not text.
pub fn documents(mut input: Input) -> Result<Documents> {
    let source = input.source.clone();
    let head = input
        .reader
        .fill_buf()
        .map_err(|e| Error::io(&source, e))?
        .to_vec();
    if head.starts_with(GZIP_MAGIC) {
        // Compressed inputs (`.warc.gz`, `.html.gz`, `.jsonl.gz`) are read through a decoder and
        // told apart by what they hold.
        let reader = std::mem::replace(&mut input.reader, Box::new(io::empty()));
        let inner = Input::from_reader(&source, flate2::read::MultiGzDecoder::new(reader));
        return documents(inner).map_err(gzip_error);
    }
    let kind = sniff::sniff(&head, &source)?;
    match kind {
        InputKind::Jsonl => Ok(Documents {
            inner: DocumentsInner::Jsonl(jsonl::Records::new(source, input.reader)),
        }),
        InputKind::Text | InputKind::Utf16 => {
            let mut bytes = Vec::new();
            input
                .reader
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&source, e))?;
            let (text, lossy) = if kind == InputKind::Utf16 {
                sniff::decode_utf16(&bytes)
            } else {
                decode_utf8(bytes)
            };
            let warning = lossy.then(|| lossy_warning(&source));
            let document = Document {
                id: id_from_source(&source),
                source: source.clone(),
                text,
                ..Document::default()
            };
            Ok(Documents {
                inner: DocumentsInner::One(Some(Loaded { document, warning })),
            })
        }
        InputKind::Html => {
            let mut bytes = Vec::new();
            input
                .reader
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&source, e))?;
            let page = html::read(&bytes, None, None);
            let warning = page.warning.as_ref().map(|w| format!("{source}: {w}"));
            let document = page.into_document(id_from_source(&source), source);
            Ok(Documents {
                inner: DocumentsInner::One(Some(Loaded { document, warning })),
            })
        }
        InputKind::Warc => Ok(Documents {
            inner: DocumentsInner::Warc(warc::Records::new(source, input.reader)),
        }),
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// Where `needle` first occurs in `hay` at or after `from` (the readers' one byte search).
pub(crate) fn find_bytes(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| from + i)
}

/// A decoder error says "corrupt deflate stream" or "unexpected end of file"; name the gzip.
fn gzip_error(e: Error) -> Error {
    match e {
        Error::Io { path, source: io } if io.kind() == io::ErrorKind::UnexpectedEof => Error::Io {
            path,
            source: io::Error::new(io::ErrorKind::UnexpectedEof, "truncated gzip data"),
        },
        Error::Io { path, source: io }
            if io.kind() == io::ErrorKind::InvalidInput
                || io.kind() == io::ErrorKind::InvalidData =>
        {
            Error::Io {
                path,
                source: io::Error::new(io.kind(), format!("corrupt gzip data ({io})")),
            }
        }
        other => other,
    }
}

/// UTF-8 as read; invalid sequences become U+FFFD. Returns whether any did.
pub fn decode_utf8(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        // A byte-order mark stays: offsets count it, as Python's `open(..., encoding="utf-8")` does.
        Ok(s) => (s, false),
        Err(e) => {
            let s = String::from_utf8_lossy(e.as_bytes()).into_owned();
            (s, true)
        }
    }
}

pub(crate) fn lossy_warning(source: &str) -> String {
    format!("{source}: invalid UTF-8, decoded with replacement characters")
}

/// The file name without its extension; `stdin` for `-`.
pub fn id_from_source(source: &str) -> String {
    if source == "-" {
        return "stdin".into();
    }
    let path = Path::new(source);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string());
    // "a.warc.gz" and "a.jsonl.gz" lose both extensions.
    match stem.rsplit_once('.') {
        Some((base, "warc" | "jsonl" | "txt" | "html")) => base.to_string(),
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(source: &str, bytes: &[u8]) -> Vec<Result<Loaded>> {
        match documents(Input::from_reader(source, io::Cursor::new(bytes.to_vec()))) {
            Ok(d) => d.collect(),
            Err(e) => vec![Err(e)],
        }
    }

    #[test]
    fn plain_text_is_kept_exactly() {
        let text = "Title\r\n\r\n  Body “quoted”.\n";
        let out = docs("dir/story.txt", text.as_bytes());
        assert_eq!(out.len(), 1);
        let loaded = out
            .into_iter()
            .next()
            .and_then(Result::ok)
            .expect("one document");
        assert_eq!(loaded.document.text, text);
        assert_eq!(loaded.document.id, "story");
        assert_eq!(loaded.document.source, "dir/story.txt");
        assert!(loaded.warning.is_none());
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_with_a_warning() {
        let out = docs("bad.txt", b"caf\xe9 au lait");
        let loaded = out
            .into_iter()
            .next()
            .and_then(Result::ok)
            .expect("decoded");
        assert_eq!(loaded.document.text, "caf\u{fffd} au lait");
        assert!(loaded.warning.is_some_and(|w| w.contains("bad.txt")));
    }

    #[test]
    fn binary_is_refused() {
        let out = docs("x.bin", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00");
        let msg = out
            .into_iter()
            .next()
            .and_then(|r| r.err())
            .map(|e| e.to_string());
        assert_eq!(msg.as_deref(), Some("x.bin: binary, not text"));
    }

    #[test]
    fn empty_input_is_one_empty_document() {
        let out = docs("empty.txt", b"");
        assert_eq!(out.len(), 1);
        assert!(out[0].as_ref().is_ok_and(|l| l.document.text.is_empty()));
    }

    #[test]
    fn ids() {
        assert_eq!(id_from_source("a/b/article123.txt"), "article123");
        assert_eq!(id_from_source("crawl.warc.gz"), "crawl");
        assert_eq!(id_from_source("-"), "stdin");
        assert_eq!(id_from_source("noext"), "noext");
    }
}
