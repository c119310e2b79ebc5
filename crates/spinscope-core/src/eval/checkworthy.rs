//! CheckThat! 2024 Task 1 (English check-worthiness): `Sentence_id<TAB>Text<TAB>class_label`.

use std::path::Path;

use super::splits::{self, DataSet, LeftOut};
use crate::error::{Error, Result};

/// Labelled sentences: (text, is check-worthy).
pub type Labelled = Vec<(String, bool)>;

/// One labelled sentence of a CheckThat! file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub text: String,
    /// Check-worthy (`Yes`).
    pub yes: bool,
}

/// Reads the rows of a CheckThat! TSV that models may be fitted on: (sentence, is
/// check-worthy) pairs of the train part ([`splits`]: dev is sealed, a fifth of train is the
/// tune part), the lines it skipped, and how many held-out rows it left out.
pub fn load(path: &Path) -> Result<(Labelled, Vec<usize>, LeftOut)> {
    let (rows, skipped) = read(path)?;
    let (rows, left_out) = splits::train_part(DataSet::Checkworthy, rows, |r| &r.id);
    Ok((
        rows.into_iter().map(|r| (r.text, r.yes)).collect(),
        skipped,
        left_out,
    ))
}

/// Reads a CheckThat! TSV into rows, and the lines it skipped: the published train file has
/// one line with two records run together.
pub fn read(path: &Path) -> Result<(Vec<Row>, Vec<usize>)> {
    let p = path.display().to_string();
    let data = std::fs::read_to_string(path).map_err(|e| Error::io(&p, e))?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in data.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, text, label] = fields.as_slice() else {
            skipped.push(n + 1);
            continue;
        };
        // Texts with quotes are CSV-quoted: "He said ""no""."
        let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => inner.replace("\"\"", "\""),
            None => text.to_string(),
        };
        out.push(Row {
            id: id.trim().to_string(),
            text,
            yes: label.trim().eq_ignore_ascii_case("yes"),
        });
    }
    if out.is_empty() {
        return Err(Error::Record {
            path: p,
            line: 0,
            message: "no Sentence_id<TAB>Text<TAB>class_label rows".into(),
        });
    }
    Ok((out, skipped))
}
