//! brat standoff annotations (`.ann`): text-bound lines `T1<TAB>Role START END[;START END]<TAB>text`.

use crate::doc::Span;
use crate::error::{Error, Result};

/// One text-bound annotation; offsets are code points, as brat writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBound {
    pub id: String,
    pub role: String,
    /// From the first fragment's start to the last fragment's end.
    pub span: Span,
}

/// Reads the text-bound lines of an `.ann` file; relations, events and notes are skipped.
pub fn parse(path: &str, data: &str) -> Result<Vec<TextBound>> {
    let mut out = Vec::new();
    for (n, line) in data.lines().enumerate() {
        // Only `T<digits><TAB>` starts a text-bound annotation; a multi-line annotation text
        // continues on lines of its own, which are skipped.
        let is_text_bound = line.split_once('\t').is_some_and(|(id, _)| {
            id.len() > 1 && id.starts_with('T') && id[1..].bytes().all(|b| b.is_ascii_digit())
        });
        if !is_text_bound {
            continue;
        }
        let bad = |why: &str| Error::Record {
            path: path.to_string(),
            line: n + 1,
            message: why.to_string(),
        };
        let mut fields = line.splitn(3, '\t');
        let id = fields.next().unwrap_or_default().to_string();
        let middle = fields.next().ok_or_else(|| bad("no annotation field"))?;
        let (role, offsets) = middle.split_once(' ').ok_or_else(|| bad("no offsets"))?;
        let mut start = usize::MAX;
        let mut end = 0;
        for fragment in offsets.split(';') {
            let (s, e) = fragment
                .trim()
                .split_once(' ')
                .ok_or_else(|| bad("bad offsets"))?;
            let s: usize = s.parse().map_err(|_| bad("bad start offset"))?;
            let e: usize = e.parse().map_err(|_| bad("bad end offset"))?;
            if e < s {
                return Err(bad("end before start"));
            }
            start = start.min(s);
            end = end.max(e);
        }
        out.push(TextBound {
            id,
            role: role.to_string(),
            span: Span::new(start, end),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_bound_lines() {
        let ann = "T1\tSource 0 5\tHaley\nT2\tCue 6 10;12 14\tsays\nThe rest of a text\nE1\tAttribution:T2 Source:T1\n#1\tAnnotatorNotes T1\tx\n";
        let t = parse("a.ann", ann).expect("parses");
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].role, "Cue");
        assert_eq!(t[1].span, Span::new(6, 14));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let err = parse("a.ann", "T1\tSource x 5\tHaley\n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("a.ann:1: bad start offset"));
    }
}
