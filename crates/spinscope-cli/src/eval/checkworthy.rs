//! `eval checkworthy`: each CheckThat! sentence analysed as a document of its own; it is Yes
//! when the report holds a claim finding (shown at the report's default threshold).

use std::path::{Path, PathBuf};

use spinscope_core::eval::checkworthy::{self, Row};
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::report::Finding;

use super::{nothing_to_score, run_sentences, Common};

/// The rows of `split` in the CheckThat! file or folder `data`; an error when there are none.
pub(crate) fn rows(data: &Path, split: Split) -> anyhow::Result<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    for file in tsv_files(data)? {
        let (read, skipped) = checkworthy::read(&file)?;
        for line in skipped {
            eprintln!(
                "spinscope: warning: {}:{line}: not 3 tab-separated fields, skipped",
                file.display()
            );
        }
        rows.extend(
            read.into_iter()
                .filter(|r| split.keeps(DataSet::Checkworthy, &r.id)),
        );
    }
    if rows.is_empty() {
        return Err(nothing_to_score("sentences", data, split));
    }
    Ok(rows)
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let rows = rows(data, common.split.into())?;
    let sentences: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.text.as_str(), r.yes))
        .collect();
    run_sentences(
        DataSet::Checkworthy,
        common,
        &sentences,
        ("yes", "claim"),
        |f| match f {
            Finding::Claim { checkworthy, .. } => Some(*checkworthy),
            _ => None,
        },
    )
}

/// `data` itself when it is a file, else the `.tsv` files in it, by name.
fn tsv_files(data: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if data.is_file() {
        return Ok(vec![data.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .map_err(|e| spinscope_core::Error::io(&data.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{}: no .tsv files", data.display());
    }
    Ok(files)
}
