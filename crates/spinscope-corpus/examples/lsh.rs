//! MinHash-LSH candidate generation alone, for the side-by-side with Python `datasketch`
//! (benches/corpus/run.sh):
//!
//!     lsh ARTICLES.jsonl SHINGLES.txt
//!
//! Shingles every article as `ingest` does, writes them (`id<TAB>hash hash ...`, decimal) so
//! datasketch hashes exactly the same sets, then times signatures plus banding from those
//! shingles and prints {"documents", "seconds", "pairs", "recall"} as JSON. `recall` counts
//! the synthetic reprints (`r<i>-of-<j>`) whose original is among the candidates.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use spinscope_corpus::reuse::candidates;
use spinscope_corpus::shingles::{shingles, signature, tokens};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: lsh ARTICLES.jsonl SHINGLES.txt".into());
    };
    let mut ids = Vec::new();
    let mut sets = Vec::new();
    let mut out = BufWriter::new(std::fs::File::create(&output)?);
    for line in BufReader::new(std::fs::File::open(&input)?).lines() {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let text = record["text"].as_str().unwrap_or_default();
        let mut set = shingles(&tokens(text));
        set.sort_unstable();
        set.dedup();
        let id = record["id"].as_str().unwrap_or_default().to_string();
        write!(out, "{id}\t")?;
        for (i, h) in set.iter().enumerate() {
            write!(out, "{}{h}", if i > 0 { " " } else { "" })?;
        }
        writeln!(out)?;
        ids.push(id);
        sets.push(set);
    }
    out.flush()?;

    let started = Instant::now();
    let (keep, sigs): (Vec<usize>, Vec<_>) = sets
        .iter()
        .enumerate()
        .filter_map(|(i, s)| signature(s).map(|sig| (i, sig)))
        .unzip();
    // No bucket cap: datasketch has none, and the comparison is like for like.
    let pairs = candidates(&sigs, usize::MAX);
    let seconds = started.elapsed().as_secs_f64();

    let found: HashSet<(&str, &str)> = pairs
        .iter()
        .map(|&(a, b)| {
            (
                ids[keep[a as usize]].as_str(),
                ids[keep[b as usize]].as_str(),
            )
        })
        .flat_map(|(a, b)| [(a, b), (b, a)])
        .collect();
    let reprints: Vec<(&str, String)> = ids
        .iter()
        .filter_map(|id| {
            let (_, original) = id.strip_prefix('r')?.split_once("-of-")?;
            Some((id.as_str(), format!("a{original}")))
        })
        .collect();
    let hit = reprints
        .iter()
        .filter(|(r, o)| found.contains(&(*r, o.as_str())))
        .count();
    println!(
        "{}",
        serde_json::json!({
            "documents": ids.len(),
            "seconds": seconds,
            "pairs": pairs.len(),
            "recall": hit as f64 / reprints.len().max(1) as f64,
        })
    );
    Ok(())
}
