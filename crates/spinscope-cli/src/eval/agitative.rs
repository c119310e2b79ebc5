//! `eval agitative`: each CAOD sentence analysed as a document of its own; it is flagged when
//! the report holds a technique finding (shown at the report's default threshold), scored
//! against the agitative label. The sample is balanced, so the reliability table checks the
//! Chinese maps `train calibration` fitted on the tune part's balanced sample.

use std::path::Path;

use spinscope_core::eval::agitative::{self, Row};
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::report::Finding;

use super::{nothing_to_score, run_sentences, Common};

/// Every row of the CAOD file `data` (or `caod.tsv` in the folder `data`), a warning for each
/// line skipped: what `eval agitative` and `train agitation` read.
pub(crate) fn read(data: &Path) -> anyhow::Result<Vec<Row>> {
    let file = if data.is_dir() {
        data.join("caod.tsv")
    } else {
        data.to_path_buf()
    };
    let (rows, skipped) = agitative::read(&file)?;
    for line in skipped {
        eprintln!(
            "spinscope: warning: {}:{line}: not text<TAB>0|1, skipped",
            file.display()
        );
    }
    Ok(rows)
}

/// The rows of `split` in the CAOD file or folder `data`.
fn rows(data: &Path, split: Split) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<Row> = read(data)?
        .into_iter()
        .filter(|r| split.keeps(DataSet::Caod, &r.id))
        .collect();
    if rows.is_empty() {
        return Err(nothing_to_score("sentences", data, split));
    }
    Ok(rows)
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let rows = rows(data, common.split.into())?;
    let sentences: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.text.as_str(), r.agitative))
        .collect();
    run_sentences(
        DataSet::Caod,
        common,
        &sentences,
        ("agitative", "technique"),
        |f| match f {
            Finding::Technique { score, .. } => Some(*score),
            _ => None,
        },
    )
}
