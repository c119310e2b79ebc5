//! PolNeAR's layout (brat standoff over `text/*.txt`) and its attribution score per role (source,
//! cue, content) by exact match and by overlap, as the PolNeAR and CofeNet papers report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::brat;
use super::spans::Counts;
use crate::doc::Span;
use crate::error::{Error, Result};

/// Source, cue and content spans of one article (code points), as PolNeAR annotates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    pub source: Vec<Span>,
    pub cue: Vec<Span>,
    pub content: Vec<Span>,
}

/// Exact and overlap counts per role over a set of articles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub documents: usize,
    pub source: Counts,
    pub cue: Counts,
    pub content: Counts,
}

impl Scores {
    /// Adds one article's predicted roles against its gold ones.
    pub fn add(&mut self, predicted: &Roles, gold: &Roles) {
        self.source.add(&predicted.source, &gold.source);
        self.cue.add(&predicted.cue, &gold.cue);
        self.content.add(&predicted.content, &gold.content);
        self.documents += 1;
    }
}

/// The gold roles of one brat annotation file (discontinuous spans as their cover).
pub fn gold(ann_path: &Path) -> Result<Roles> {
    let path = ann_path.display().to_string();
    let data = std::fs::read_to_string(ann_path).map_err(|e| Error::io(&path, e))?;
    let mut roles = Roles::default();
    for t in brat::parse(&path, &data)? {
        match t.role.as_str() {
            "Source" => roles.source.push(t.span),
            "Cue" => roles.cue.push(t.span),
            "Content" => roles.content.push(t.span),
            _ => {}
        }
    }
    Ok(roles)
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
