//! CheckThat! 2024 Task 1 (English check-worthiness): `Sentence_id<TAB>Text<TAB>class_label`.

use std::path::Path;

use super::spans::Prf;
use crate::error::{Error, Result};
use crate::learn::Linear;

/// Labelled sentences: (text, is check-worthy).
pub type Labelled = Vec<(String, bool)>;

/// Reads a CheckThat! TSV into (sentence, is check-worthy) pairs, and the lines it skipped:
/// the published train file has one line with two records run together.
pub fn load(path: &Path) -> Result<(Labelled, Vec<usize>)> {
    let p = path.display().to_string();
    let data = std::fs::read_to_string(path).map_err(|e| Error::io(&p, e))?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in data.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [_, text, label] = fields.as_slice() else {
            skipped.push(n + 1);
            continue;
        };
        // Texts with quotes are CSV-quoted: "He said ""no""."
        let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => inner.replace("\"\"", "\""),
            None => text.to_string(),
        };
        out.push((text, label.trim().eq_ignore_ascii_case("yes")));
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

/// F1 of the "Yes" class at `threshold`.
pub fn score(model: &Linear, data: &[(String, bool)], threshold: f32) -> Prf {
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (text, gold) in data {
        let p = model.probabilities(&crate::analyze::claims::features(text, false))[0];
        match (p >= threshold, *gold) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    let precision = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        0.0
    };
    let recall = if tp + fneg > 0 {
        tp as f64 / (tp + fneg) as f64
    } else {
        0.0
    };
    Prf::new(precision, recall)
}
