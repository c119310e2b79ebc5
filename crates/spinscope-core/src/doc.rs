//! Documents, byte spans, languages, and the byte → code point conversion used once, in the report.

use std::fmt;

/// One article (or one JSONL record, or one WARC record) with its metadata.
///
/// `text` is exactly what was read: no newline or whitespace rewriting, so offsets line up with
/// SemEval/PTC and PolNeAR files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The JSONL record's `id`, else the file name without its extension.
    pub id: String,
    /// The path as the user gave it, `-` for stdin.
    pub source: String,
    pub title: Option<String>,
    pub published: Option<String>,
    pub outlet: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub text: String,
    /// Where the page's title, author and date were read from, when it was a web page.
    pub provenance: Provenance,
}

impl Document {
    /// A document with just an id and a text (the rest empty), handy for bindings and tests.
    pub fn from_text(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            source: "-".into(),
            text: text.into(),
            ..Document::default()
        }
    }
}

/// The evidence a web page's metadata came from, so that a user can judge how far to trust it;
/// `None` for fields not found or documents that were not web pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Provenance {
    pub title: Option<FieldSource>,
    pub author: Option<FieldSource>,
    pub published: Option<FieldSource>,
}

/// Where one metadata field of a web page was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSource {
    JsonLd,
    Meta,
    TitleTag,
    Heading,
    RelAuthor,
    Microdata,
    AuthorLink,
    Byline,
    TimeElement,
    Url,
    VisibleText,
}

impl FieldSource {
    /// The name `extract --format json` prints (`"json-ld"`, `"meta"`, `"byline"` …).
    pub fn name(self) -> &'static str {
        match self {
            FieldSource::JsonLd => "json-ld",
            FieldSource::Meta => "meta",
            FieldSource::TitleTag => "title",
            FieldSource::Heading => "h1",
            FieldSource::RelAuthor => "rel-author",
            FieldSource::Microdata => "microdata",
            FieldSource::AuthorLink => "author-link",
            FieldSource::Byline => "byline",
            FieldSource::TimeElement => "time",
            FieldSource::Url => "url",
            FieldSource::VisibleText => "visible",
        }
    }
}

/// A half-open byte range `[start, end)` into a document's text.
///
/// Byte offsets are what Rust slices with; the report converts them to code point offsets once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True when the two spans share at least one byte.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// How many offsets the two spans share.
    pub fn overlap(&self, other: &Span) -> usize {
        self.end
            .min(other.end)
            .saturating_sub(self.start.max(other.start))
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The smallest span covering both.
    pub fn cover(&self, other: &Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text under the span; empty when the span does not fit `text` on char boundaries.
    pub fn slice<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// A language as spinscope reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    Zh,
    Other,
}

impl Lang {
    /// The code used in reports: `en`, `zh`, `other`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Other => "other",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Which Chinese script a stretch of Han text is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZhScript {
    Simplified,
    Traditional,
    /// Only characters both scripts share (中文, 人民): nothing to tell them apart.
    Either,
}

impl ZhScript {
    pub const fn name(self) -> &'static str {
        match self {
            ZhScript::Simplified => "simplified",
            ZhScript::Traditional => "traditional",
            ZhScript::Either => "either",
        }
    }
}

/// Converts byte offsets of one text to Unicode code point offsets (Python string indices).
///
/// Keeps the code point count at every 256th byte, so a lookup scans at most 255 bytes and the
/// table costs 1/32 of the text's size (a full per-byte table would cost 8×).
#[derive(Debug, Clone)]
pub struct OffsetMap<'t> {
    text: &'t str,
    checkpoints: Vec<usize>,
}

const CHECKPOINT_EVERY: usize = 256;

impl<'t> OffsetMap<'t> {
    pub fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let mut checkpoints = Vec::with_capacity(bytes.len() / CHECKPOINT_EVERY + 1);
        let mut chars = 0usize;
        for chunk in bytes.chunks(CHECKPOINT_EVERY) {
            checkpoints.push(chars);
            chars += count_char_starts(chunk);
        }
        checkpoints.push(chars);
        OffsetMap { text, checkpoints }
    }

    /// The code point index of byte offset `byte`. An offset inside a multi-byte character maps
    /// to that character's index; offsets past the end map to the character count.
    pub fn char_index(&self, byte: usize) -> usize {
        let bytes = self.text.as_bytes();
        let byte = byte.min(bytes.len());
        let block = byte / CHECKPOINT_EVERY;
        let from = block * CHECKPOINT_EVERY;
        let base = self.checkpoints.get(block).copied().unwrap_or(0);
        // A continuation byte at `byte` belongs to the character that started before it.
        base + count_char_starts(&bytes[from..byte])
    }

    /// The number of code points in the whole text.
    pub fn char_len(&self) -> usize {
        self.checkpoints.last().copied().unwrap_or(0)
    }
}

/// The byte offset of every code point index of `text`, plus one for its end: turns the code
/// point offsets of label files (PTC, templates) into byte offsets.
pub fn byte_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect()
}

/// Counts UTF-8 lead bytes, i.e. code points that start in `bytes`.
fn count_char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_counts_code_points_not_bytes() {
        let text = "a中𝒳b\r\né";
        let map = OffsetMap::new(text);
        let expect: Vec<(usize, usize)> = text
            .char_indices()
            .enumerate()
            .map(|(ci, (bi, _))| (bi, ci))
            .collect();
        for (byte, ch) in expect {
            assert_eq!(map.char_index(byte), ch, "byte {byte}");
        }
        assert_eq!(map.char_index(text.len()), text.chars().count());
        assert_eq!(map.char_len(), text.chars().count());
    }

    #[test]
    fn span_helpers() {
        let a = Span::new(2, 5);
        let b = Span::new(4, 9);
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&Span::new(5, 6)));
        assert_eq!(a.cover(&b), Span::new(2, 9));
        assert_eq!(Span::new(0, 3).slice("中"), "中");
        assert_eq!(Span::new(0, 2).slice("中"), "");
    }
}
