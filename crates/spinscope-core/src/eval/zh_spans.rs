//! Our Chinese technique span set: passages of the Chinese corpora (`../shared/data/corpora`,
//! CCTV news bulletins and terminus2049's reposted commentary, both scripts) annotated with PTC's
//! 14 techniques following PTC's guidelines. Only offsets and labels are committed
//! (`data/zh-spans/`): `passages.tsv` says where each passage lies in which file, with the hash
//! of its text so a changed corpus is noticed; `spans.tsv` holds its technique spans, in code
//! points from the passage's start. `eval zh-spans --data <corpora>` reads the text from there.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::doc::Span;
use crate::report::Technique;

const PASSAGES: &str = include_str!("../../data/zh-spans/passages.tsv");
const SPANS: &str = include_str!("../../data/zh-spans/spans.tsv");

/// The script a passage is written in, as annotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Script {
    Simplified,
    Traditional,
}

impl Script {
    pub const fn name(self) -> &'static str {
        match self {
            Script::Simplified => "Simplified",
            Script::Traditional => "Traditional",
        }
    }
}

/// One annotated passage, as committed (no text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `<corpus>-<file stem>-<start>`, unique.
    pub id: String,
    /// The file, relative to the corpora folder.
    pub path: String,
    /// Code points into the file.
    pub start: usize,
    pub end: usize,
    /// The first 16 hex digits of the sha256 of the passage's text.
    pub hash: String,
    pub script: Script,
    pub spans: Vec<(Technique, Span)>,
}

impl Entry {
    /// The article a passage comes from (its id without the offset): the sealed rule draws
    /// whole articles, so no article is split between sealed and fitted passages.
    pub fn article(&self) -> &str {
        article_of(&self.id)
    }
}

/// The article part of a passage id (`cctv-20221230-3276` → `cctv-20221230`).
pub fn article_of(id: &str) -> &str {
    id.rsplit_once('-').map_or(id, |(article, _)| article)
}

/// A passage with its text, read from the corpora folder.
#[derive(Debug, Clone)]
pub struct Passage {
    pub entry: Entry,
    pub text: String,
}

/// The committed passages and their spans; an error names the line of the committed table that
/// is wrong (a test keeps them right).
pub fn entries() -> Result<Vec<Entry>, String> {
    let rows = |data: &'static str| {
        data.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|(i, l)| (i + 1, l.split('\t').collect::<Vec<&str>>()))
    };
    let number = |file: &str, line: usize, s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("{file}:{line}: {s:?} is not an offset"))
    };
    let mut entries: Vec<Entry> = Vec::new();
    for (line, f) in rows(PASSAGES) {
        let [id, path, start, end, hash, script] = f[..] else {
            return Err(format!("passages.tsv:{line}: expected 6 columns"));
        };
        let script = match script {
            "simplified" => Script::Simplified,
            "traditional" => Script::Traditional,
            other => return Err(format!("passages.tsv:{line}: unknown script {other:?}")),
        };
        entries.push(Entry {
            id: id.to_string(),
            path: path.to_string(),
            start: number("passages.tsv", line, start)?,
            end: number("passages.tsv", line, end)?,
            hash: hash.to_string(),
            script,
            spans: Vec::new(),
        });
    }
    for (line, f) in rows(SPANS) {
        let [id, label, start, end] = f[..] else {
            return Err(format!("spans.tsv:{line}: expected 4 columns"));
        };
        let technique = Technique::from_label(label)
            .ok_or_else(|| format!("spans.tsv:{line}: unknown technique {label:?}"))?;
        let span = Span::new(
            number("spans.tsv", line, start)?,
            number("spans.tsv", line, end)?,
        );
        let entry = entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| format!("spans.tsv:{line}: no passage {id:?}"))?;
        if span.is_empty() || span.end > entry.end - entry.start {
            return Err(format!("spans.tsv:{line}: span outside passage {id}"));
        }
        entry.spans.push((technique, span));
    }
    Ok(entries)
}

/// The text of `entry` in the corpora folder `corpora`, checked against its hash. The error is
/// one line naming the file and what is wrong with it.
pub fn read(corpora: &Path, entry: &Entry) -> Result<Passage, String> {
    let file = corpora.join(&entry.path);
    let whole = std::fs::read_to_string(&file)
        .map_err(|e| crate::error::Error::io(&file.display().to_string(), e).to_string())?;
    let text: String = whole
        .chars()
        .skip(entry.start)
        .take(entry.end - entry.start)
        .collect();
    if hash_of(&text) != entry.hash {
        return Err(format!(
            "{}: passage {} (code points {}–{}) is not the annotated text (another copy of the corpus?)",
            file.display(),
            entry.id,
            entry.start,
            entry.end
        ));
    }
    Ok(Passage {
        entry: entry.clone(),
        text,
    })
}

/// The first 16 hex digits of the sha256 of `text`.
pub fn hash_of(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_committed_set_parses_and_covers_every_technique() {
        let entries = entries().expect("the committed tables parse");
        assert!(entries.len() >= 40, "{} passages", entries.len());
        let spans: usize = entries.iter().map(|e| e.spans.len()).sum();
        assert!(spans >= 300, "{spans} spans");
        let labels: BTreeSet<&str> = entries
            .iter()
            .flat_map(|e| e.spans.iter().map(|(t, _)| t.label()))
            .collect();
        assert_eq!(labels.len(), 14, "{labels:?}");
        let ids: BTreeSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), entries.len(), "passage ids are unique");
        for script in [Script::Simplified, Script::Traditional] {
            assert!(entries
                .iter()
                .any(|e| e.script == script && !e.spans.is_empty()));
        }
        assert!(entries.iter().all(|e| e.article() != e.id));
    }

    #[test]
    fn a_passage_is_read_by_code_points_and_a_changed_file_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("c")).expect("mkdir");
        std::fs::write(dir.path().join("c/a.md"), "标题\n反观美国，所谓“民主”。").expect("write");
        let entry = Entry {
            id: "c-a-3".into(),
            path: "c/a.md".into(),
            start: 3,
            end: 15,
            hash: hash_of("反观美国，所谓“民主”。"),
            script: Script::Simplified,
            spans: vec![],
        };
        let passage = read(dir.path(), &entry).expect("read");
        assert_eq!(passage.text, "反观美国，所谓“民主”。");
        let moved = Entry {
            start: 2,
            ..entry.clone()
        };
        let e = read(dir.path(), &moved).expect_err("another text");
        assert!(e.contains("a.md") && e.contains("c-a-3"), "{e}");
        let missing = Entry {
            path: "c/none.md".into(),
            ..entry
        };
        let e = read(dir.path(), &missing).expect_err("missing");
        assert!(e.contains("none.md") && e.contains("no such file"), "{e}");
    }
}
