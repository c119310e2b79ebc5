//! Article-extraction benchmarks: the Zyte (Scrapinghub) shingle score, trafilatura's
//! with/without snippet tests, and Mozilla Readability's test pages (its own output as a second
//! opinion on the body, scored with the Zyte shingles, and its title, byline and date).
//!
//! Zyte: tokens are `\w+` runs, except that each Han or kana character is a token of its own
//! (a `\w+` run would make a whole Chinese sentence one token); shingles of 4 tokens with counts;
//! per page TP, FP and FN are normalised to sum 1; precision and recall are means over pages
//! (pages with no predicted or no true shingle left out, as upstream), F1 their harmonic mean.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// A Zyte benchmark page: its HTML and the true article body.
#[derive(Debug, Clone)]
pub struct ZytePage {
    pub id: String,
    /// The page's file (`html/<id>.html.gz`), as `extract` reads it.
    pub path: PathBuf,
    pub url: String,
    pub truth: String,
    pub html: Vec<u8>,
}

/// A trafilatura benchmark page: snippets that must and must not be in the extracted text.
#[derive(Debug, Clone)]
pub struct SnippetPage {
    /// The page's key in `evaldata.json` (the sealed split names pages by it).
    pub key: String,
    pub file: String,
    /// The page's file (`html/<file>.gz`), as `extract` reads it.
    pub path: PathBuf,
    pub url: String,
    pub with: Vec<String>,
    pub without: Vec<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub html: Vec<u8>,
}

/// Reads `ground-truth.json` and `html/<id>.html.gz` from the Zyte layout.
pub fn load_zyte(dir: &Path) -> Result<Vec<ZytePage>> {
    let truth_path = dir.join("ground-truth.json");
    let truth = read_json(&truth_path)?;
    let Some(map) = truth.as_object() else {
        return Err(bad(&truth_path, "not a JSON object"));
    };
    let mut pages = Vec::new();
    for (id, v) in map {
        let html_path = dir.join("html").join(format!("{id}.html.gz"));
        pages.push(ZytePage {
            id: id.clone(),
            url: v
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            truth: v
                .get("articleBody")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            html: read_gz(&html_path)?,
            path: html_path,
        });
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pages)
}

/// Reads `evaldata*.json` and `html/<file>.gz` from the trafilatura layout.
pub fn load_snippets(dir: &Path) -> Result<Vec<SnippetPage>> {
    let json_path = std::fs::read_dir(dir)
        .map_err(|e| Error::io(&dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("evaldata") && n.ends_with(".json"))
        })
        .ok_or_else(|| bad(dir, "no evaldata*.json"))?;
    let data = read_json(&json_path)?;
    let Some(map) = data.as_object() else {
        return Err(bad(&json_path, "not a JSON object"));
    };
    let strings = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |v: &Value, key: &str| -> Option<String> {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut pages = Vec::new();
    for (url, v) in map {
        let Some(file) = text(v, "file") else {
            return Err(bad(&json_path, &format!("entry {url} has no \"file\"")));
        };
        let html_path = dir.join("html").join(format!("{file}.gz"));
        pages.push(SnippetPage {
            url: url
                .split_once("::")
                .map_or(url.as_str(), |(_, u)| u)
                .to_string(),
            with: strings(v, "with"),
            without: strings(v, "without"),
            title: text(v, "title"),
            author: text(v, "author"),
            date: text(v, "date"),
            html: read_gz(&html_path)?,
            path: html_path,
            key: url.clone(),
            file,
        });
    }
    pages.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(pages)
}

/// A Mozilla Readability test page: the text of Readability.js's output and its metadata.
#[derive(Debug, Clone)]
pub struct ReadabilityPage {
    /// The page's folder name (the sealed split names pages by it).
    pub name: String,
    /// `source.html`, as `extract` reads it.
    pub path: PathBuf,
    /// The text of `expected.html`.
    pub truth: String,
    pub title: Option<String>,
    pub byline: Option<String>,
    /// `publishedTime` as Readability gives it (ISO 8601).
    pub published: Option<String>,
}

/// Reads `<dir>/pages/<name>/{source.html, expected.html, expected-metadata.json}` (or the
/// same folders directly under `dir`).
pub fn load_readability(dir: &Path) -> Result<Vec<ReadabilityPage>> {
    let root = if dir.join("pages").is_dir() {
        dir.join("pages")
    } else {
        dir.to_path_buf()
    };
    let mut pages = Vec::new();
    let entries =
        std::fs::read_dir(&root).map_err(|e| Error::io(&root.display().to_string(), e))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let folder = entry.path();
        if !folder.join("source.html").is_file() {
            continue;
        }
        let expected = folder.join("expected.html");
        let html =
            std::fs::read(&expected).map_err(|e| Error::io(&expected.display().to_string(), e))?;
        let meta_path = folder.join("expected-metadata.json");
        let meta = read_json(&meta_path)?;
        let field = |key: &str| {
            meta.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        pages.push(ReadabilityPage {
            name: entry.file_name().to_string_lossy().into_owned(),
            path: folder.join("source.html"),
            // Readability's output is the body already; only its words matter to the score.
            truth: {
                let dom = crate::ingest::html::dom::Dom::parse(&String::from_utf8_lossy(&html));
                dom.spaced_text(0)
            },
            title: field("title"),
            byline: field("byline"),
            published: field("publishedTime"),
        });
    }
    if pages.is_empty() {
        return Err(bad(&root, "no <name>/source.html folders"));
    }
    pages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pages)
}

/// Lower-cased, whitespace collapsed, typographic quotes as plain ones.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace(['“', '”', '„'], "\"")
        .replace(['‘', '’'], "'")
}

/// Separators between a title and a site name.
const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", "_", " » ", "｜"];

/// A title is right when it equals the reference, or when one of them is the other with
/// site-name segments cut at a separator ("Title | Site", "Title_Section_Site"): the product
/// strips the site name on purpose and Readability sometimes keeps it.
pub fn title_matches(reference: &str, got: &str) -> bool {
    let (r, g) = (fold(reference), fold(got));
    if g.is_empty() {
        return false;
    }
    let trimmed = |full: &str, part: &str| {
        full.len() > part.len()
            && TITLE_SEPARATORS.iter().any(|sep| {
                full.strip_prefix(part)
                    .is_some_and(|rest| rest.starts_with(sep))
                    || full
                        .strip_suffix(part)
                        .is_some_and(|rest| rest.ends_with(sep))
            })
    };
    r == g || trimmed(&r, &g) || trimmed(&g, &r)
}

/// A byline is found when, with a leading "By" dropped, one holds the other on word
/// boundaries ("Dan Goodin" in "By Dan Goodin - Jan 23, 2015"; several authors in either order
/// of detail).
pub fn byline_matches(reference: &str, got: &str) -> bool {
    let norm = |s: &str| {
        let s = fold(s);
        let words: Vec<String> = s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let skip = usize::from(
            words
                .first()
                .is_some_and(|w| w == "by" || w == "von" || w == "por"),
        );
        words[skip..].to_vec()
    };
    let (r, g) = (norm(reference), norm(got));
    // One word against several is a surname or a "Staff", not the byline.
    if r.is_empty() || g.is_empty() || (r.len() != g.len() && r.len().min(g.len()) == 1) {
        return false;
    }
    let holds = |long: &[String], short: &[String]| long.windows(short.len()).any(|w| w == short);
    if r.len() >= g.len() {
        holds(&r, &g)
    } else {
        holds(&g, &r)
    }
}

/// A date is right when its calendar day is the reference's, as the reference writes it.
pub fn date_matches(reference: &str, got: &str) -> bool {
    let day = |s: &str| s.trim().get(..10).map(str::to_string);
    day(reference).is_some() && day(reference) == day(got)
}

fn bad(path: &Path, message: &str) -> Error {
    Error::Record {
        path: path.display().to_string(),
        line: 1,
        message: message.to_string(),
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(&path.display().to_string(), e))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, &e.to_string()))
}

fn read_gz(path: &PathBuf) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(&path.display().to_string(), e))?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(&path.display().to_string(), e))?;
    Ok(out)
}

/// Tokens for the shingle score: `\w+` runs, each Han or kana character alone.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let ideographic = crate::text::script::is_han(c) || matches!(c, '\u{3040}'..='\u{30ff}');
        if ideographic {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
            out.push(&text[i..i + c.len_utf8()]);
        } else if c.is_alphanumeric() || c == '_' {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// One page's shingle TP, FP and FN, normalised to sum 1 (all 0 when both texts are empty).
pub fn shingle_match(truth: &str, predicted: &str) -> [f64; 3] {
    fn shingles<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], usize> {
        let mut out = HashMap::new();
        let n = 4.min(tokens.len());
        if n == 0 {
            return out;
        }
        for w in tokens.windows(n) {
            *out.entry(w).or_insert(0) += 1;
        }
        out
    }
    let (t, p) = (tokens(truth), tokens(predicted));
    let (ts, ps) = (shingles(&t), shingles(&p));
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (k, &tc) in &ts {
        let pc = ps.get(k).copied().unwrap_or(0);
        tp += tc.min(pc) as f64;
        fn_ += tc.saturating_sub(pc) as f64;
    }
    for (k, &pc) in &ps {
        fp += pc.saturating_sub(ts.get(k).copied().unwrap_or(0)) as f64;
    }
    let sum = tp + fp + fn_;
    if sum == 0.0 {
        return [0.0; 3];
    }
    [tp / sum, fp / sum, fn_ / sum]
}

/// Mean precision and recall over pages, and F1 from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ShingleScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub pages: usize,
}

pub fn shingle_score(per_page: &[[f64; 3]]) -> ShingleScore {
    let precision = |[tp, fp, fn_]: [f64; 3]| {
        if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fp == 0.0 {
            0.0
        } else {
            tp / (tp + fp)
        }
    };
    let recall = |[tp, fp, fn_]: [f64; 3]| {
        if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fn_ == 0.0 {
            0.0
        } else {
            tp / (tp + fn_)
        }
    };
    let mean = |xs: Vec<f64>| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    let p = mean(
        per_page
            .iter()
            .filter(|c| c[0] + c[1] > 0.0)
            .map(|&c| precision(c))
            .collect(),
    );
    let r = mean(
        per_page
            .iter()
            .filter(|c| c[0] + c[2] > 0.0)
            .map(|&c| recall(c))
            .collect(),
    );
    ShingleScore {
        precision: p,
        recall: r,
        f1: if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
        pages: per_page.len(),
    }
}

/// Snippet tests: a `with` snippet found is a true positive, one missing a false negative; a
/// `without` snippet found is a false positive, one absent a true negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SnippetCounts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl SnippetCounts {
    /// Whitespace is compared collapsed: line breaks are layout, not content.
    pub fn page(extracted: &str, with: &[String], without: &[String]) -> Self {
        let text = collapse(extracted);
        let found = |s: &String| {
            let s = collapse(s);
            !s.is_empty() && text.contains(&s)
        };
        let mut c = SnippetCounts::default();
        for s in with {
            if found(s) {
                c.tp += 1;
            } else {
                c.fn_ += 1;
            }
        }
        for s in without {
            if found(s) {
                c.fp += 1;
            } else {
                c.tn += 1;
            }
        }
        c
    }

    pub fn add(&mut self, o: SnippetCounts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }

    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_matches_forgive_site_names_and_by_lines_only() {
        use super::{byline_matches, date_matches, title_matches};
        assert!(title_matches(
            "Get your Code Covered | Code",
            "Get your Code Covered"
        ));
        assert!(title_matches(
            "DeepMind新电脑_科技_腾讯网",
            "DeepMind新电脑"
        ));
        assert!(title_matches("Sudan  Sanctions", "sudan sanctions"));
        assert!(title_matches("Pills \"Burned Her\"", "Pills “Burned Her”"));
        assert!(!title_matches("Sudan Sanctions", "Sudan"));
        assert!(!title_matches("Sudan Sanctions", ""));
        assert!(byline_matches("By Dan Goodin - Jan 23, 2015", "Dan Goodin"));
        assert!(byline_matches("Dan Goodin", "by DAN GOODIN"));
        assert!(!byline_matches("Dan Goodin", "Dan"));
        assert!(!byline_matches("Dan Goodin", "Goodinson"));
        assert!(date_matches("2015-01-23T13:20:00-05:00", "2015-01-23"));
        assert!(!date_matches("2015-01-23T13:20:00-05:00", "2015-01-24"));
        assert!(!date_matches("", ""));
    }

    use super::*;

    #[test]
    fn tokens_split_han_characters() {
        assert_eq!(
            tokens("Xi said 中国经济 grew, 5%"),
            ["Xi", "said", "中", "国", "经", "济", "grew", "5"]
        );
    }

    #[test]
    fn shingles_by_hand() {
        // truth: a b c d e → shingles abcd, bcde; predicted a b c d x → abcd, bcdx.
        let [tp, fp, fn_] = shingle_match("a b c d e", "a b c d x");
        assert_eq!([tp, fp, fn_], [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(
            shingle_match("same text here ok", "same  text\nhere ok"),
            [1.0, 0.0, 0.0]
        );
        // Nothing predicted: no precision term, recall 0.
        let s = shingle_score(&[shingle_match("a b c d", ""), [1.0, 0.0, 0.0]]);
        assert_eq!((s.precision, s.recall), (1.0, 0.5));
    }

    #[test]
    fn snippets_by_hand() {
        let c = SnippetCounts::page(
            "Para one.\n\nPara  two.",
            &["Para one. Para two.".into(), "missing".into()],
            &["two.".into(), "footer".into()],
        );
        assert_eq!(
            c,
            SnippetCounts {
                tp: 1,
                fn_: 1,
                fp: 1,
                tn: 1
            }
        );
        assert_eq!(c.f1(), 0.5);
    }
}
