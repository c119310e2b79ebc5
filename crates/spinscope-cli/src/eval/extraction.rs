//! `eval extraction`: the text and metadata `extract` prints for each page (or another tool
//! printed, with `--predictions`), against the benchmarks' truth.

use std::collections::HashMap;
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

/// The benchmark folders found under `--data`.
#[derive(Default)]
struct Layouts {
    zyte: Option<PathBuf>,
    snippets: Option<PathBuf>,
    readability: Option<PathBuf>,
}

/// Finds the benchmark layouts under `dir`: the folder itself or its immediate subfolders.
fn layouts(dir: &Path) -> anyhow::Result<Layouts> {
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
    let is_readability = |d: &Path| {
        std::fs::read_dir(d.join("pages")).is_ok_and(|mut r| {
            r.any(|e| {
                e.ok()
                    .is_some_and(|e| e.path().join("expected.html").is_file())
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
    let found = Layouts {
        zyte: dirs.iter().find(|d| is_zyte(d)).cloned(),
        snippets: dirs.iter().find(|d| is_snippets(d)).cloned(),
        readability: dirs.iter().find(|d| is_readability(d)).cloned(),
    };
    if found.zyte.is_none() && found.snippets.is_none() && found.readability.is_none() {
        anyhow::bail!(
            "{}: no benchmark layout (ground-truth.json + html/; evaldata*.json + html/; or \
             pages/<name>/expected.html)",
            dir.display()
        );
    }
    Ok(found)
}

/// Where the extracted pages come from.
pub enum Extractor {
    /// `extract` itself, timed.
    Product,
    /// Another tool's output, read from a JSON-lines file: one object per page with `layout`
    /// (`zyte`, `snippets`, `readability`), `id` (the page's id, evaldata key or folder name),
    /// `text`, and optionally `title`, `author`, `published`.
    Predictions(HashMap<(String, String), Document>),
}

impl Extractor {
    pub fn predictions(path: &Path) -> anyhow::Result<Extractor> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        let mut pages = HashMap::new();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not JSON", path.display(), n + 1))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let (Some(layout), Some(id)) = (field("layout"), field("id")) else {
                anyhow::bail!("{}:{}: needs \"layout\" and \"id\"", path.display(), n + 1);
            };
            let mut doc = Document::from_text(&id, field("text").unwrap_or_default());
            doc.title = field("title").filter(|s| !s.trim().is_empty());
            doc.author = field("author").filter(|s| !s.trim().is_empty());
            doc.published = field("published").filter(|s| !s.trim().is_empty());
            pages.insert((layout, id), doc);
        }
        Ok(Extractor::Predictions(pages))
    }

    fn tier(&self) -> &'static str {
        match self {
            Extractor::Product => "extract",
            Extractor::Predictions(_) => "predictions",
        }
    }

    /// Each page as extracted (an empty document when it cannot be read or has no prediction,
    /// which scores as nothing extracted), and pages per second (`None` for predictions).
    fn pages<'a>(
        &self,
        layout: &str,
        pages: impl Iterator<Item = (&'a str, &'a Path)>,
    ) -> anyhow::Result<(Vec<Document>, Option<f64>)> {
        let start = Instant::now();
        let progress = Progress::for_output("extracted");
        let mut docs = Vec::new();
        for (id, path) in pages {
            let page = match self {
                Extractor::Product => {
                    let mut page = None;
                    each_document(&[path.display().to_string()], &progress, |read| {
                        if let Read::Document(doc) = read {
                            page.get_or_insert(doc);
                        }
                        Ok(())
                    })?;
                    page
                }
                Extractor::Predictions(p) => p.get(&(layout.to_string(), id.to_string())).cloned(),
            };
            docs.push(page.unwrap_or_else(|| Document::from_text("", "")));
        }
        let rate = docs.len() as f64 / start.elapsed().as_secs_f64().max(1e-9);
        Ok((docs, matches!(self, Extractor::Product).then_some(rate)))
    }
}

fn per_second(rate: Option<f64>) -> String {
    rate.map_or(String::new(), |r| format!("   ({r:.0} pages/s)"))
}

pub fn run(
    dir: &Path,
    worst: usize,
    split: Split,
    json: bool,
    extractor: &Extractor,
) -> anyhow::Result<bool> {
    let found = layouts(dir)?;
    let mut out = io::stdout().lock();
    let mut result = serde_json::Map::new();
    let tier = extractor.tier();
    if let Some(d) = found.zyte {
        let pages: Vec<_> = bench::load_zyte(&d)?
            .into_iter()
            .filter(|p| split.keeps(DataSet::Zyte, &p.id))
            .collect();
        if pages.is_empty() {
            return Err(nothing_to_score("pages", &d, split));
        }
        let (extracted, rate) = extractor.pages(
            "zyte",
            pages.iter().map(|p| (p.id.as_str(), p.path.as_path())),
        )?;
        let (per_page, score) = shingles(pages.iter().map(|p| p.truth.as_str()), &extracted);
        let scored = Scored::new(DataSet::Zyte, split, pages.len(), tier);
        if json {
            result.insert(
                "zyte".into(),
                serde_json::json!({"scored": scored, "score": score, "pages_per_second": rate}),
            );
        } else {
            writeln!(out, "{}", scored.line("pages"))?;
            writeln!(
                out,
                "  4-token shingles: P {:.3}  R {:.3}  F1 {:.3}{}",
                score.precision,
                score.recall,
                score.f1,
                per_second(rate)
            )?;
            let urls: Vec<&str> = pages.iter().map(|p| p.url.as_str()).collect();
            let ids: Vec<&str> = pages.iter().map(|p| p.id.as_str()).collect();
            write_worst(&mut out, &per_page, &ids, &urls, worst)?;
        }
    }
    if let Some(d) = found.snippets {
        let pages: Vec<_> = bench::load_snippets(&d)?
            .into_iter()
            .filter(|p| split.keeps(DataSet::Trafilatura, &p.key))
            .collect();
        if pages.is_empty() {
            return Err(nothing_to_score("pages", &d, split));
        }
        let (extracted, rate) = extractor.pages(
            "snippets",
            pages.iter().map(|p| (p.key.as_str(), p.path.as_path())),
        )?;
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
            // Titles and authors exact but for case and spacing; dates by calendar day (the
            // benchmark gives days, the product keeps a time zone when the page has one).
            let same = |a: &str, b: &str| collapse(a).to_lowercase() == collapse(b).to_lowercase();
            let rules: [fn(&str, &str) -> bool; 3] = [same, same, bench::date_matches];
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
                    if got.as_deref().is_some_and(|got| rules[k](gold, got)) {
                        meta[k].0 += 1;
                    }
                }
            }
        }
        let scored = Scored::new(DataSet::Trafilatura, split, pages.len(), tier);
        if json {
            result.insert(
                "snippets".into(),
                serde_json::json!({
                    "scored": scored, "counts": total, "precision": total.precision(),
                    "recall": total.recall(), "f1": total.f1(), "accuracy": total.accuracy(),
                    "zh": {"counts": zh, "f1": zh.f1()},
                    "title_right": share(meta[0]), "author_right": share(meta[1]), "date_right": share(meta[2]),
                    "pages_per_second": rate,
                }),
            );
        } else {
            writeln!(out, "{}", scored.line("pages"))?;
            writeln!(
                out,
                "  with/without snippets: P {:.3}  R {:.3}  F1 {:.3}  accuracy {:.3}{}",
                total.precision(),
                total.recall(),
                total.f1(),
                total.accuracy(),
                per_second(rate)
            )?;
            writeln!(
                out,
                "  Chinese pages: F1 {:.3} ({} with, {} without)   metadata right: title {}/{}, author {}/{}, date {}/{}",
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
    if let Some(d) = found.readability {
        let pages: Vec<_> = bench::load_readability(&d)?
            .into_iter()
            .filter(|p| split.keeps(DataSet::Readability, &p.name))
            .collect();
        if pages.is_empty() {
            return Err(nothing_to_score("pages", &d, split));
        }
        let (extracted, rate) = extractor.pages(
            "readability",
            pages.iter().map(|p| (p.name.as_str(), p.path.as_path())),
        )?;
        let (per_page, score) = shingles(pages.iter().map(|p| p.truth.as_str()), &extracted);
        let meta = MetadataScore::of(&pages, &extracted);
        let scored = Scored::new(DataSet::Readability, split, pages.len(), tier);
        if json {
            result.insert(
                "readability".into(),
                serde_json::json!({
                    "scored": scored, "body": score, "metadata": meta, "pages_per_second": rate,
                }),
            );
        } else {
            writeln!(out, "{}", scored.line("pages"))?;
            writeln!(
                out,
                "  body against Readability.js, 4-token shingles: P {:.3}  R {:.3}  F1 {:.3}{}",
                score.precision,
                score.recall,
                score.f1,
                per_second(rate)
            )?;
            writeln!(
                out,
                "  title {}/{}, byline {}/{}, date {}/{} (of pages that have one); \
                 dates where Readability has none: {} of {}, bylines: {} of {}",
                meta.title.0,
                meta.title.1,
                meta.byline.0,
                meta.byline.1,
                meta.date.0,
                meta.date.1,
                meta.date_without.0,
                meta.date_without.1,
                meta.byline_without.0,
                meta.byline_without.1
            )?;
            let names: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
            write_worst(&mut out, &per_page, &names, &vec![""; names.len()], worst)?;
            if worst > 0 {
                for (p, e) in pages.iter().zip(&extracted) {
                    for (what, gold, got, right) in meta_rows(p, e) {
                        if !right && (gold.is_some() || got.is_some()) {
                            writeln!(out, "  {what} {}: want {gold:?}, got {got:?}", p.name)?;
                        }
                    }
                }
            }
        }
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
    }
    Ok(true)
}

/// Title, byline and date of the Readability pages: (right, of pages that have one), and
/// (given, of pages that have none) for dates and bylines.
#[derive(Debug, Default, serde::Serialize)]
struct MetadataScore {
    title: (usize, usize),
    byline: (usize, usize),
    date: (usize, usize),
    date_without: (usize, usize),
    byline_without: (usize, usize),
}

impl MetadataScore {
    fn of(pages: &[bench::ReadabilityPage], extracted: &[Document]) -> MetadataScore {
        let mut m = MetadataScore::default();
        for (p, e) in pages.iter().zip(extracted) {
            for (what, gold, got, right) in meta_rows(p, e) {
                let (with, without) = match what {
                    "title" => (&mut m.title, None),
                    "byline" => (&mut m.byline, Some(&mut m.byline_without)),
                    _ => (&mut m.date, Some(&mut m.date_without)),
                };
                if gold.is_some() {
                    with.1 += 1;
                    with.0 += usize::from(right);
                } else if let Some(without) = without {
                    without.1 += 1;
                    without.0 += usize::from(got.is_some());
                }
            }
        }
        m
    }
}

/// Each metadata field of a page: its name, Readability's value, ours, and whether ours is
/// right (false when Readability has none).
fn meta_rows<'a>(
    p: &'a bench::ReadabilityPage,
    e: &'a Document,
) -> [(&'static str, Option<&'a str>, Option<&'a str>, bool); 3] {
    let row = |what,
               gold: &'a Option<String>,
               got: &'a Option<String>,
               matches: fn(&str, &str) -> bool| {
        let (gold, got) = (gold.as_deref(), got.as_deref());
        let right = matches!((gold, got), (Some(a), Some(b)) if matches(a, b));
        (what, gold, got, right)
    };
    [
        row("title", &p.title, &e.title, bench::title_matches),
        row("byline", &p.byline, &e.author, bench::byline_matches),
        row("date", &p.published, &e.published, bench::date_matches),
    ]
}

/// Each page's shingle counts against its truth, and the score over pages.
fn shingles<'a>(
    truths: impl Iterator<Item = &'a str>,
    extracted: &[Document],
) -> (Vec<[f64; 3]>, bench::ShingleScore) {
    let per_page: Vec<[f64; 3]> = truths
        .zip(extracted)
        .map(|(truth, e)| bench::shingle_match(truth, &e.text))
        .collect();
    let score = bench::shingle_score(&per_page);
    (per_page, score)
}

/// The `n` pages of lowest shingle F1, with their counts.
fn write_worst(
    out: &mut impl Write,
    per_page: &[[f64; 3]],
    ids: &[&str],
    urls: &[&str],
    n: usize,
) -> io::Result<()> {
    let f1 = |c: [f64; 3]| 2.0 * c[0] / (2.0 * c[0] + c[1] + c[2]).max(1e-9);
    let mut order: Vec<usize> = (0..per_page.len()).collect();
    order.sort_by(|&a, &b| f1(per_page[a]).total_cmp(&f1(per_page[b])));
    for &i in order.iter().take(n) {
        let [tp, fp, fn_] = per_page[i];
        writeln!(
            out,
            "  {:.3}  tp {tp:.2} fp {fp:.2} fn {fn_:.2}  {}  {}",
            f1(per_page[i]),
            ids[i],
            urls[i]
        )?;
    }
    Ok(())
}

fn share((a, b): (usize, usize)) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
