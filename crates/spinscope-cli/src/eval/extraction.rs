//! `eval extraction`: the text and metadata `extract` prints for each page, against the
//! benchmarks' truth.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use spinscope_core::eval::extraction::{self as bench, SnippetCounts};
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::Document;

use super::{nothing_to_score, Scored};
use crate::product::{each_document, Read};
use crate::progress::Progress;

/// Finds the benchmark layouts under `dir`: the folder itself or its immediate subfolders.
fn layouts(dir: &Path) -> anyhow::Result<(Option<PathBuf>, Option<PathBuf>)> {
    let is_zyte = |d: &Path| d.join("ground-truth.json").is_file();
    let is_snippets = |d: &Path| {
        std::fs::read_dir(d).is_ok_and(|mut r| {
            r.any(|e| {
                e.ok().is_some_and(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.starts_with("evaldata") && n.ends_with(".json")
                })
            })
        })
    };
    let mut dirs = vec![dir.to_path_buf()];
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))?;
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    dirs.extend(subdirs);
    let zyte = dirs.iter().find(|d| is_zyte(d)).cloned();
    let snippets = dirs.iter().find(|d| is_snippets(d)).cloned();
    if zyte.is_none() && snippets.is_none() {
        anyhow::bail!(
            "{}: neither benchmark layout (ground-truth.json + html/, or evaldata*.json + html/)",
            dir.display()
        );
    }
    Ok((zyte, snippets))
}

/// Each page as `extract` reads it (one document per page; an empty one when it cannot be
/// read, which scores as nothing extracted), and the seconds it took.
fn extract_timed<'a>(
    paths: impl Iterator<Item = &'a Path>,
) -> anyhow::Result<(Vec<Document>, f64)> {
    let start = Instant::now();
    let progress = Progress::for_output("extracted");
    let mut docs = Vec::new();
    for path in paths {
        let mut page = None;
        each_document(&[path.display().to_string()], &progress, |read| {
            if let Read::Document(doc) = read {
                page.get_or_insert(doc);
            }
            Ok(())
        })?;
        docs.push(page.unwrap_or_else(|| Document::from_text("", "")));
    }
    Ok((docs, start.elapsed().as_secs_f64()))
}

pub fn run(dir: &Path, worst: usize, split: Split, json: bool) -> anyhow::Result<bool> {
    let (zyte, snippets) = layouts(dir)?;
    let mut out = io::stdout().lock();
    let mut result = serde_json::Map::new();
    if let Some(d) = zyte {
        let pages: Vec<_> = bench::load_zyte(&d)?
            .into_iter()
            .filter(|p| split.keeps(DataSet::Zyte, &p.id))
            .collect();
        if pages.is_empty() {
            return Err(nothing_to_score("pages", &d, split));
        }
        let (extracted, seconds) = extract_timed(pages.iter().map(|p| p.path.as_path()))?;
        let per_page: Vec<[f64; 3]> = pages
            .iter()
            .zip(&extracted)
            .map(|(p, e)| bench::shingle_match(&p.truth, &e.text))
            .collect();
        let score = bench::shingle_score(&per_page);
        let rate = pages.len() as f64 / seconds.max(1e-9);
        let scored = Scored::new(DataSet::Zyte, split, pages.len(), "extract");
        if json {
            result.insert(
                "zyte".into(),
                serde_json::json!({"scored": scored, "score": score, "pages_per_second": rate}),
            );
        } else {
            writeln!(out, "{}", scored.line("pages"))?;
            writeln!(
                out,
                "  4-token shingles: P {:.3}  R {:.3}  F1 {:.3}   ({rate:.0} pages/s)",
                score.precision, score.recall, score.f1
            )?;
            let mut order: Vec<usize> = (0..pages.len()).collect();
            let f1 = |c: [f64; 3]| 2.0 * c[0] / (2.0 * c[0] + c[1] + c[2]).max(1e-9);
            order.sort_by(|&a, &b| f1(per_page[a]).total_cmp(&f1(per_page[b])));
            for &i in order.iter().take(worst) {
                let [tp, fp, fn_] = per_page[i];
                writeln!(
                    out,
                    "  {:.3}  tp {tp:.2} fp {fp:.2} fn {fn_:.2}  {}  {}",
                    f1(per_page[i]),
                    pages[i].id,
                    pages[i].url
                )?;
            }
        }
    }
    if let Some(d) = snippets {
        let pages: Vec<_> = bench::load_snippets(&d)?
            .into_iter()
            .filter(|p| split.keeps(DataSet::Trafilatura, &p.key))
            .collect();
        if pages.is_empty() {
            return Err(nothing_to_score("pages", &d, split));
        }
        let (extracted, seconds) = extract_timed(pages.iter().map(|p| p.path.as_path()))?;
        let mut total = SnippetCounts::default();
        let mut zh = SnippetCounts::default();
        let mut meta = [(0usize, 0usize); 3];
        let mut per_page = Vec::new();
        for (p, e) in pages.iter().zip(&extracted) {
            let c = SnippetCounts::page(&e.text, &p.with, &p.without);
            total.add(c);
            if spinscope_core::TextView::new(&e.text).main_lang() == Some(spinscope_core::Lang::Zh)
            {
                zh.add(c);
            }
            per_page.push(c);
            for (k, (gold, got)) in [
                (&p.title, &e.title),
                (&p.author, &e.author),
                (&p.date, &e.published),
            ]
            .into_iter()
            .enumerate()
            {
                if let Some(gold) = gold {
                    meta[k].1 += 1;
                    if got.as_deref().map(collapse) == Some(collapse(gold)) {
                        meta[k].0 += 1;
                    }
                }
            }
        }
        let rate = pages.len() as f64 / seconds.max(1e-9);
        let share = |(a, b): (usize, usize)| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let scored = Scored::new(DataSet::Trafilatura, split, pages.len(), "extract");
        if json {
            result.insert(
                "snippets".into(),
                serde_json::json!({
                    "scored": scored, "counts": total, "precision": total.precision(),
                    "recall": total.recall(), "f1": total.f1(), "accuracy": total.accuracy(),
                    "zh": {"counts": zh, "f1": zh.f1()},
                    "title_exact": share(meta[0]), "author_exact": share(meta[1]), "date_exact": share(meta[2]),
                    "pages_per_second": rate,
                }),
            );
        } else {
            writeln!(out, "{}", scored.line("pages"))?;
            writeln!(
                out,
                "  with/without snippets: P {:.3}  R {:.3}  F1 {:.3}  accuracy {:.3}   ({rate:.0} pages/s)",
                total.precision(), total.recall(), total.f1(), total.accuracy()
            )?;
            writeln!(
                out,
                "  Chinese pages: F1 {:.3} ({} with, {} without)   metadata exact: title {}/{}, author {}/{}, date {}/{}",
                zh.f1(), zh.tp + zh.fn_, zh.fp + zh.tn, meta[0].0, meta[0].1, meta[1].0, meta[1].1, meta[2].0, meta[2].1
            )?;
            let mut order: Vec<usize> = (0..pages.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(per_page[i].fp + per_page[i].fn_));
            for &i in order.iter().take(worst) {
                let c = per_page[i];
                if c.fp + c.fn_ == 0 {
                    break;
                }
                writeln!(out, "  fn {} fp {}  {}", c.fn_, c.fp, pages[i].file)?;
            }
        }
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
    }
    Ok(true)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
