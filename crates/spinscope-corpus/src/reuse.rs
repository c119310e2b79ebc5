//! `reuse`: documents that reprint or closely paraphrase each other, and the passages they share.
//!
//! 1. Candidates: MinHash-LSH over the signatures stored at ingest ([`crate::shingles`]): for
//!    each band, sort the documents by the band's hash; equal hashes are candidate pairs.
//!    Buckets larger than [`ReuseOptions::max_bucket`] are boilerplate that every page of a site
//!    shares, and are skipped rather than paired quadratically.
//! 2. Verification: the shingles two candidates share, mapped back onto their tokens, must cover
//!    at least [`ReuseOptions::min_share`] of the shorter one. A new header, a dropped sentence
//!    or a changed word every forty leave most of a reprint covered; a shared footer or a few
//!    common phrases in two stories on the same topic do not.
//! 3. Clusters: connected components of verified pairs; each member is aligned against the
//!    cluster's earliest document (its likely original) to give the shared passages' offsets.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use serde::Serialize;
use spinscope_core::doc::OffsetMap;

use crate::shingles::{self, Tok, BANDS, K, PERMUTATIONS};
use crate::store::{meta_of, Meta, Store, META_COLUMNS};
use crate::{Corpus, Result};

#[derive(Debug, Clone)]
pub struct ReuseOptions {
    /// Share of the shorter document's tokens that shared passages must cover.
    pub min_share: f64,
    /// LSH buckets with more documents than this are skipped.
    pub max_bucket: usize,
    /// Verification threads (0: one per core).
    pub threads: usize,
}

impl Default for ReuseOptions {
    fn default() -> Self {
        ReuseOptions {
            min_share: 0.5,
            max_bucket: 500,
            threads: 0,
        }
    }
}

/// A group of documents sharing text.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// `c` and the key of the cluster's earliest document: stable while the corpus grows.
    pub id: String,
    /// The earliest document first, then by date.
    pub members: Vec<Member>,
    /// Characters of the first member that at least one other member shares.
    pub shared_chars: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// The document's id.
    pub document: String,
    /// Its key in the corpus (ids from different inputs may repeat; keys do not).
    pub key: i64,
    pub outlet: Option<String>,
    pub published: Option<String>,
    pub title: Option<String>,
    /// Code point offsets of the first and last shared character in this document.
    pub start: usize,
    pub end: usize,
    /// The shared passages themselves, code point ranges.
    pub passages: Vec<Passage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Passage {
    pub start: usize,
    pub end: usize,
}

/// Counts of each stage, for progress messages and benchmarks.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ReuseStats {
    pub documents: usize,
    pub candidate_pairs: usize,
    pub verified_pairs: usize,
    pub clusters: usize,
}

/// Finds the reuse clusters of a corpus, largest first.
pub fn clusters(corpus: &Corpus, options: &ReuseOptions) -> Result<(Vec<Cluster>, ReuseStats)> {
    let (keys, sigs) = signatures(&corpus.store)?;
    let mut stats = ReuseStats {
        documents: keys.len(),
        ..ReuseStats::default()
    };
    let pairs = candidates(&sigs, options.max_bucket);
    stats.candidate_pairs = pairs.len();
    let pairs: Vec<(i64, i64)> = pairs
        .into_iter()
        .map(|(a, b)| (keys[a as usize], keys[b as usize]))
        .collect();
    let verified = verify(corpus.dir(), &pairs, options)?;
    stats.verified_pairs = verified.len();
    let groups = components(&verified);
    let mut out = Vec::with_capacity(groups.len());
    let mut neighbours: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(a, b) in &verified {
        neighbours.entry(a).or_default().push(b);
        neighbours.entry(b).or_default().push(a);
    }
    for group in groups {
        out.push(describe(&corpus.store, &group, &neighbours)?);
    }
    out.sort_by(|a, b| {
        (b.members.len(), b.shared_chars)
            .cmp(&(a.members.len(), a.shared_chars))
            .then_with(|| a.id.cmp(&b.id))
    });
    stats.clusters = out.len();
    Ok((out, stats))
}

/// Keys and signatures of every document long enough to have shingles, in key order.
fn signatures(store: &Store) -> Result<(Vec<i64>, Vec<[u32; PERMUTATIONS]>)> {
    let mut stmt = store
        .conn
        .prepare("SELECT key, signature FROM documents WHERE signature IS NOT NULL ORDER BY key")?;
    let mut rows = stmt.query([])?;
    let (mut keys, mut sigs) = (Vec::new(), Vec::new());
    while let Some(row) = rows.next()? {
        let bytes: Vec<u8> = row.get(1)?;
        if let Some(sig) = shingles::from_bytes(&bytes) {
            keys.push(row.get(0)?);
            sigs.push(sig);
        }
    }
    Ok((keys, sigs))
}

/// Candidate pairs (indices into `sigs`, smaller first), sorted and without repeats.
pub fn candidates(sigs: &[[u32; PERMUTATIONS]], max_bucket: usize) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let mut band: Vec<(u64, u32)> = Vec::with_capacity(sigs.len());
    for b in 0..BANDS {
        band.clear();
        band.extend(
            sigs.iter()
                .enumerate()
                .map(|(i, sig)| (shingles::band_key(sig, b), i as u32)),
        );
        band.sort_unstable();
        for bucket in band.chunk_by(|x, y| x.0 == y.0) {
            if bucket.len() < 2 || bucket.len() > max_bucket {
                continue;
            }
            for (i, x) in bucket.iter().enumerate() {
                for y in &bucket[i + 1..] {
                    pairs.push((x.1, y.1));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// A document's tokens and shingles, ready to align.
struct Shingled {
    text: String,
    tokens: Vec<Tok>,
    shingles: Vec<u64>,
}

impl Shingled {
    fn new(text: String) -> Self {
        let tokens = shingles::tokens(&text);
        let shingles = shingles::shingles(&tokens);
        Shingled {
            text,
            tokens,
            shingles,
        }
    }

    fn load(store: &Store, key: i64) -> Result<Shingled> {
        Ok(Shingled::new(store.text(key)?.unwrap_or_default()))
    }

    /// Which tokens lie in a shingle that `other` also has.
    fn covered_by(&self, other: &HashSet<u64>) -> Vec<bool> {
        let mut covered = vec![false; self.tokens.len()];
        for (i, h) in self.shingles.iter().enumerate() {
            if other.contains(h) {
                covered[i..i + K].iter_mut().for_each(|c| *c = true);
            }
        }
        covered
    }

    fn set(&self) -> HashSet<u64> {
        self.shingles.iter().copied().collect()
    }

    /// Covered token runs, joined across gaps of up to `K` tokens (an edited word breaks `K`
    /// shingles), as code point ranges.
    fn passages(&self, covered: &[bool]) -> Vec<Passage> {
        let map = OffsetMap::new(&self.text);
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut i = 0;
        while i < covered.len() {
            if !covered[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < covered.len() && covered[i] {
                i += 1;
            }
            match runs.last_mut() {
                Some(last) if start - last.end <= K => last.end = i,
                _ => runs.push(start..i),
            }
        }
        runs.into_iter()
            .map(|r| Passage {
                start: map.char_index(self.tokens[r.start].start),
                end: map.char_index(self.tokens[r.end - 1].end),
            })
            .collect()
    }
}

fn share(covered: &[bool]) -> f64 {
    if covered.is_empty() {
        return 0.0;
    }
    covered.iter().filter(|&&c| c).count() as f64 / covered.len() as f64
}

/// Whether two documents share enough text to be one story.
fn same_story(a: &Shingled, b: &Shingled, min_share: f64) -> bool {
    let (short, long) = if a.tokens.len() <= b.tokens.len() {
        (a, b)
    } else {
        (b, a)
    };
    share(&short.covered_by(&long.set())) >= min_share
}

/// The candidate pairs that hold up, checked on `threads` database connections.
fn verify(dir: &Path, pairs: &[(i64, i64)], options: &ReuseOptions) -> Result<Vec<(i64, i64)>> {
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let chunk = pairs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<Vec<(i64, i64)>> {
                    let store = Store::open(&dir.join(crate::DATABASE), false)?;
                    let mut out = Vec::new();
                    // Pairs come sorted by their first key: load it once for its run.
                    let mut current: Option<(i64, Shingled)> = None;
                    for &(a, b) in part {
                        if current.as_ref().map(|c| c.0) != Some(a) {
                            current = Some((a, Shingled::load(&store, a)?));
                        }
                        let Some((_, first)) = &current else { continue };
                        let second = Shingled::load(&store, b)?;
                        if same_story(first, &second, options.min_share) {
                            out.push((a, b));
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => all.extend(part?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(all)
    })
}

/// Connected components of the pair graph (union-find), each sorted, smallest key first.
fn components(pairs: &[(i64, i64)]) -> Vec<Vec<i64>> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut keys = Vec::new();
    let mut id = |k: i64, keys: &mut Vec<i64>| {
        *index.entry(k).or_insert_with(|| {
            keys.push(k);
            keys.len() - 1
        })
    };
    let edges: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(a, b)| (id(a, &mut keys), id(b, &mut keys)))
        .collect();
    let mut parent: Vec<usize> = (0..keys.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (a, b) in edges {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: HashMap<usize, Vec<i64>> = HashMap::new();
    for (i, &k) in keys.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(k);
    }
    let mut out: Vec<Vec<i64>> = groups.into_values().collect();
    for g in &mut out {
        g.sort_unstable();
    }
    out.sort();
    out
}

/// Aligns every member of a group against its earliest document.
fn describe(store: &Store, group: &[i64], neighbours: &HashMap<i64, Vec<i64>>) -> Result<Cluster> {
    let mut metas = Vec::with_capacity(group.len());
    for &key in group {
        let mut stmt = store.conn.prepare_cached(&format!(
            "SELECT {META_COLUMNS} FROM documents WHERE key = ?1"
        ))?;
        metas.push(stmt.query_row([key], meta_of)?);
    }
    // Earliest first; undated documents after dated ones; then by key.
    metas.sort_by(|a: &Meta, b: &Meta| {
        (a.published.is_none(), &a.published, a.key).cmp(&(
            b.published.is_none(),
            &b.published,
            b.key,
        ))
    });
    let root = Shingled::load(store, metas[0].key)?;
    let root_set = root.set();
    let mut root_covered = vec![false; root.tokens.len()];
    let mut members = Vec::with_capacity(metas.len());
    for meta in &metas[1..] {
        let doc = Shingled::load(store, meta.key)?;
        let mut passages = doc.passages(&doc.covered_by(&root_set));
        for (c, shared) in root_covered.iter_mut().zip(root.covered_by(&doc.set())) {
            *c |= shared;
        }
        if passages.is_empty() {
            // Linked through another member only: show what it shares with that one.
            if let Some(&other) = neighbours.get(&meta.key).and_then(|n| n.first()) {
                let other = Shingled::load(store, other)?;
                passages = doc.passages(&doc.covered_by(&other.set()));
            }
        }
        members.push(member(meta, passages));
    }
    let root_passages = root.passages(&root_covered);
    let shared_chars = root_passages.iter().map(|p| p.end - p.start).sum();
    members.insert(0, member(&metas[0], root_passages));
    Ok(Cluster {
        id: format!("c{}", metas[0].key),
        members,
        shared_chars,
    })
}

fn member(meta: &Meta, passages: Vec<Passage>) -> Member {
    Member {
        document: meta.id.clone(),
        key: meta.key,
        outlet: meta.outlet.clone(),
        published: meta.published.clone(),
        title: meta.title.clone(),
        start: passages.first().map_or(0, |p| p.start),
        end: passages.last().map_or(0, |p| p.end),
        passages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_join_chains() {
        let got = components(&[(1, 2), (2, 3), (7, 9)]);
        assert_eq!(got, vec![vec![1, 2, 3], vec![7, 9]]);
    }

    #[test]
    fn passages_bridge_an_edited_word() {
        let a =
            Shingled::new("one two three four five six seven eight nine ten eleven twelve".into());
        let b =
            Shingled::new("one two three four five six SEVEN eight nine ten eleven twelve".into());
        let covered = a.covered_by(&b.set());
        assert!(share(&covered) > 0.9);
        let p = a.passages(&covered);
        assert_eq!(
            p,
            vec![Passage {
                start: 0,
                end: a.text.chars().count()
            }]
        );
    }

    #[test]
    fn a_shared_footer_is_not_a_story() {
        let footer = "Subscribe to the Valley Gazette for unlimited access to local reporting. \
                      Copyright Valley Gazette Media Group. All rights reserved.";
        let a = Shingled::new(format!(
            "The council postponed a vote on new bus lanes along Elm Avenue after shop owners \
             packed the chamber to object to the loss of parking, and the councillor who \
             proposed the lanes said officials would redraw the plan before May. {footer}"
        ));
        let b = Shingled::new(format!(
            "Students moved into a new science wing on Tuesday, two years after a fire \
             destroyed the old laboratories; the building has six labs, a greenhouse on the \
             roof and solar panels that cover most of its electricity. {footer}"
        ));
        assert!(!same_story(&a, &b, 0.5));
        let reprint = Shingled::new(format!("Breaking news from our partners. {}", a.text));
        assert!(same_story(&a, &reprint, 0.5));
    }

    #[test]
    fn candidates_pair_equal_signatures_only() {
        let s1 = shingles::signature(&[1, 2, 3]).expect("signed");
        let s2 = shingles::signature(&[9, 8, 7]).expect("signed");
        assert_eq!(candidates(&[s1, s2, s1], 10), vec![(0, 2)]);
        // A bucket over the cap is boilerplate, not reuse.
        assert!(candidates(&[s1, s1, s1], 2).is_empty());
    }
}
