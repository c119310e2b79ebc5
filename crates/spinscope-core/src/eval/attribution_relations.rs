//! `spinscope eval polnear`: attribution against PolNeAR's brat files, scored per role (source,
//! cue, content) by exact match and by overlap, as the PolNeAR and CofeNet papers report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::brat;
use super::spans::Counts;
use crate::analyze::attribution;
use crate::doc::{Document, OffsetMap, Span};
use crate::error::{Error, Result};
use crate::text::TextView;

/// Which articles of the folder to score, in file-name order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    All,
    FirstHalf,
    SecondHalf,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub documents: usize,
    pub source: Counts,
    pub cue: Counts,
    pub content: Counts,
}

/// The annotated articles of `dir` (holding `text/` and `attributions/`) in file-name order:
/// (text path, annotation path), one annotator per article, the first `.ann` file by name.
pub fn annotated(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let text_dir = dir.join("text");
    let ann_dir = dir.join("attributions");
    let list = |d: &Path| -> Result<Vec<String>> {
        let entries = std::fs::read_dir(d).map_err(|e| Error::io(&d.display().to_string(), e))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    };
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    for name in list(&ann_dir)? {
        if let Some(base) = name.strip_suffix(".ann") {
            if let Some((stem, _annotator)) = base.rsplit_once('_') {
                annotations.entry(stem.to_string()).or_insert(name);
            }
        }
    }
    Ok(list(&text_dir)?
        .into_iter()
        .filter_map(|n| {
            let ann = annotations.get(n.strip_suffix(".txt")?)?;
            Some((text_dir.join(&n), ann_dir.join(ann)))
        })
        .collect())
}

/// Scores the rule tier on `dir` (holding `text/` and `attributions/`), one annotator per
/// article: the first `.ann` file by name.
pub fn evaluate(dir: &Path, subset: Subset) -> Result<Scores> {
    let texts = annotated(dir)?;
    let half = texts.len() / 2;
    let chosen = match subset {
        Subset::All => &texts[..],
        Subset::FirstHalf => &texts[..half],
        Subset::SecondHalf => &texts[half..],
    };
    let mut scores = Scores::default();
    for (text_path, ann_path) in chosen {
        let stem = text_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(text_path)
            .map_err(|e| Error::io(&text_path.display().to_string(), e))?;
        let ann = std::fs::read_to_string(ann_path)
            .map_err(|e| Error::io(&ann_path.display().to_string(), e))?;
        let gold = brat::parse(&ann_path.display().to_string(), &ann)?;
        let gold_of = |role: &str| -> Vec<Span> {
            gold.iter()
                .filter(|t| t.role == role)
                .map(|t| t.span)
                .collect()
        };
        let predicted = predict(&stem, &text);
        scores.source.add(&predicted.0, &gold_of("Source"));
        scores.cue.add(&predicted.1, &gold_of("Cue"));
        scores.content.add(&predicted.2, &gold_of("Content"));
        scores.documents += 1;
    }
    Ok(scores)
}

/// Source, cue and content spans in code points.
fn predict(id: &str, text: &str) -> (Vec<Span>, Vec<Span>, Vec<Span>) {
    let doc = Document::from_text(id, text);
    let view = TextView::new(text);
    let map = OffsetMap::new(text);
    let chars = |s: Span| Span::new(map.char_index(s.start), map.char_index(s.end));
    let found = attribution::find(&doc, &view);
    (
        found.iter().map(|a| chars(a.source)).collect(),
        found.iter().filter_map(|a| a.cue).map(chars).collect(),
        found.iter().map(|a| chars(a.content)).collect(),
    )
}
