//! Sealed splits: the part of each data set kept for reporting, never for fitting or tuning.
//!
//! Each list (`data/splits/<set>-sealed.txt`, ids only) was drawn once by the rule that
//! `scripts/make-splits` states and checks: a hash of the set's name and the id, so no one chose
//! which texts are hard. Training refuses a sealed id ([`refuse_sealed`]); `eval --split sealed`
//! scores exactly these.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// A data set spinscope is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSet {
    /// PTC train articles (SemEval-2020 Task 11), by article id ("111111111").
    Ptc,
    /// PolNeAR train articles, by file stem.
    Polnear,
    /// CheckThat! 2024 English rows, by `Sentence_id`: the dev file is sealed, train is fitted on.
    Checkworthy,
    /// The Zyte article-extraction benchmark, by page id.
    Zyte,
    /// trafilatura's en+zh evaluation pages, by their `evaldata.json` key.
    Trafilatura,
    /// Mozilla Readability's test pages, by folder name.
    Readability,
}

impl DataSet {
    pub const ALL: [DataSet; 6] = [
        DataSet::Ptc,
        DataSet::Polnear,
        DataSet::Checkworthy,
        DataSet::Zyte,
        DataSet::Trafilatura,
        DataSet::Readability,
    ];

    /// The set's name in the lists' file names and in the hash rule.
    pub const fn name(self) -> &'static str {
        match self {
            DataSet::Ptc => "ptc",
            DataSet::Polnear => "polnear",
            DataSet::Checkworthy => "checkworthy",
            DataSet::Zyte => "zyte",
            DataSet::Trafilatura => "trafilatura",
            DataSet::Readability => "readability",
        }
    }

    fn list(self) -> &'static str {
        match self {
            DataSet::Ptc => include_str!("../../data/splits/ptc-sealed.txt"),
            DataSet::Polnear => include_str!("../../data/splits/polnear-sealed.txt"),
            DataSet::Checkworthy => include_str!("../../data/splits/checkworthy-sealed.txt"),
            DataSet::Zyte => include_str!("../../data/splits/zyte-sealed.txt"),
            DataSet::Trafilatura => include_str!("../../data/splits/trafilatura-sealed.txt"),
            DataSet::Readability => include_str!("../../data/splits/readability-sealed.txt"),
        }
    }

    /// The sealed ids, parsed once.
    pub fn sealed(self) -> &'static BTreeSet<String> {
        static LISTS: [OnceLock<BTreeSet<String>>; 6] = [const { OnceLock::new() }; 6];
        let index = DataSet::ALL.iter().position(|&d| d == self).unwrap_or(0);
        LISTS[index].get_or_init(|| {
            self.list()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
    }

    pub fn is_sealed(self, id: &str) -> bool {
        self.sealed().contains(id)
    }
}

/// Which part of a data set an `eval` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// The sealed ids only: the figures a report or README quotes.
    #[default]
    Sealed,
    /// Everything else: what fitting and tuning may look at.
    Fit,
    /// Both (the figure is then partly on fitted text; say so when quoting it).
    All,
}

impl Split {
    pub fn keeps(self, set: DataSet, id: &str) -> bool {
        match self {
            Split::Sealed => set.is_sealed(id),
            Split::Fit => !set.is_sealed(id),
            Split::All => true,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Split::Sealed => "sealed",
            Split::Fit => "fit",
            Split::All => "all",
        }
    }
}

/// An error when any of `ids` is sealed in `set`: fitting or tuning on it would make the sealed
/// figures meaningless. Training calls this on everything it is about to fit.
pub fn refuse_sealed<'a>(set: DataSet, ids: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let sealed: Vec<&str> = ids.into_iter().filter(|id| set.is_sealed(id)).collect();
    match sealed.first() {
        None => Ok(()),
        Some(first) => Err(Error::Sealed {
            set: set.name(),
            count: sealed.len(),
            first: first.to_string(),
        }),
    }
}

/// `items` without the sealed ones of `set`, and how many were left out.
pub fn fit_part<T>(set: DataSet, items: Vec<T>, id: impl Fn(&T) -> &str) -> (Vec<T>, usize) {
    let before = items.len();
    let kept: Vec<T> = items
        .into_iter()
        .filter(|item| !set.is_sealed(id(item)))
        .collect();
    let left_out = before - kept.len();
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The hash rule of `scripts/make-splits`.
    fn bucket(set: DataSet, id: &str) -> u64 {
        let digest = Sha256::digest(format!("spinscope-sealed/{}/{id}", set.name()).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % 10
    }

    #[test]
    fn every_listed_id_follows_the_stated_rule() {
        let limit = |set| match set {
            DataSet::Ptc => Some(2),
            DataSet::Polnear => Some(4),
            DataSet::Checkworthy => None,
            _ => Some(5),
        };
        for set in DataSet::ALL {
            assert!(!set.sealed().is_empty(), "{}: empty list", set.name());
            let Some(limit) = limit(set) else { continue };
            for id in set.sealed() {
                assert!(
                    bucket(set, id) < limit,
                    "{}: {id} does not follow the rule",
                    set.name()
                );
            }
        }
        // PolNeAR's sealed articles are all from the second half the rules were not tuned on.
        assert!(DataSet::Polnear
            .sealed()
            .iter()
            .all(|id| id.as_str() >= "politico_2016-04-08_families-of-mass-shooting-victim"));
    }

    #[test]
    fn sealed_ids_are_refused_and_left_out_of_fitting() {
        let sealed = DataSet::Ptc
            .sealed()
            .iter()
            .next()
            .expect("a sealed id")
            .clone();
        assert!(refuse_sealed(DataSet::Ptc, ["not-a-ptc-id"]).is_ok());
        let e = refuse_sealed(DataSet::Ptc, ["not-a-ptc-id", sealed.as_str()])
            .expect_err("a sealed id is refused");
        assert!(e.to_string().contains(&sealed), "{e}");
        assert!(
            Split::Sealed.keeps(DataSet::Ptc, &sealed) && !Split::Fit.keeps(DataSet::Ptc, &sealed)
        );
        let (kept, left_out) = fit_part(DataSet::Ptc, vec!["x".to_string(), sealed], |s| s);
        assert_eq!((kept, left_out), (vec!["x".to_string()], 1));
        assert!(Split::Fit.keeps(DataSet::Ptc, "x") && !Split::Sealed.keeps(DataSet::Ptc, "x"));
    }
}
