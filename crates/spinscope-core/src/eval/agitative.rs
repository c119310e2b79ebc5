//! CAOD, the Chinese Agitative Opinion Dataset: `text<TAB>label` rows (header first; label 1
//! when the sentence holds an agitative opinion: inflammatory, fear-mongering, group
//! opposition, offensive, extreme …). Rows have no ids, so a row's id is the start of the
//! sha256 of its text: stable when the file is reordered, and a sentence repeated in the file
//! lands in one part only.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub text: String,
    pub agitative: bool,
}

/// The id of a CAOD sentence: the first 16 hex digits of the sha256 of its text.
pub fn id_of(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a CAOD TSV into rows (repeated sentences once), and the lines it skipped.
pub fn read(path: &Path) -> Result<(Vec<Row>, Vec<usize>)> {
    let p = path.display().to_string();
    let data = std::fs::read_to_string(path).map_err(|e| Error::io(&p, e))?;
    let (rows, skipped) = parse(&data);
    if rows.is_empty() {
        return Err(Error::Record {
            path: p,
            line: 0,
            message: "no text<TAB>label rows (CAOD: a header, then sentence, tab, 0 or 1)".into(),
        });
    }
    Ok((rows, skipped))
}

/// The rows of a CAOD file's text (repeated sentences once) and the line numbers skipped.
pub fn parse(data: &str) -> (Vec<Row>, Vec<usize>) {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in data.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let Some((text, label)) = line.rsplit_once('\t') else {
            skipped.push(n + 1);
            continue;
        };
        let agitative = match label.trim() {
            "1" => true,
            "0" => false,
            _ => {
                skipped.push(n + 1);
                continue;
            }
        };
        let id = id_of(text);
        if seen.insert(id.clone()) {
            out.push(Row {
                id,
                text: text.to_string(),
                agitative,
            });
        }
    }
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_hash_the_text_and_repeats_are_read_once() {
        let (rows, skipped) = parse(
            "text\tlabel\n他们就是一群骗子\t1\n今天天气晴\t0\n他们就是一群骗子\t1\n坏行\tx\n",
        );
        assert_eq!(rows.len(), 2);
        assert!(rows[0].agitative && !rows[1].agitative);
        assert_eq!(rows[0].id, id_of("他们就是一群骗子"));
        assert_eq!(rows[0].id.len(), 16);
        assert_eq!(skipped, vec![5]);
    }
}
