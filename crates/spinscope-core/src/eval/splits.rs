//! The parts of each data set: **sealed** (kept for reporting, never fitted or tuned on),
//! **tune** (where the product's calibration and report thresholds are fitted, by running it;
//! the models never see it) and **train** (what models are fitted on: the rest).
//!
//! Each list (`data/splits/<set>-sealed.txt`, `<set>-tune.txt`, ids only) was drawn once by the
//! rule that `scripts/make-splits` states and checks: a hash of the set's name and the id, so no
//! one chose which texts are hard. Fitting refuses a held-out id ([`refuse_held_out`]); `eval
//! --split sealed` scores exactly the sealed ids.

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
    /// CAOD Chinese sentences (agitative or not), by the hash of their text
    /// ([`super::agitative::id_of`]).
    Caod,
    /// Our Chinese technique span set ([`super::zh_spans`]), by passage id; sealed by article.
    ZhSpans,
}

/// A held-out part of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Sealed,
    Tune,
}

impl Part {
    pub const fn name(self) -> &'static str {
        match self {
            Part::Sealed => "sealed",
            Part::Tune => "tune",
        }
    }
}

impl DataSet {
    pub const ALL: [DataSet; 8] = [
        DataSet::Ptc,
        DataSet::Polnear,
        DataSet::Checkworthy,
        DataSet::Zyte,
        DataSet::Trafilatura,
        DataSet::Readability,
        DataSet::Caod,
        DataSet::ZhSpans,
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
            DataSet::Caod => "caod",
            DataSet::ZhSpans => "zh-spans",
        }
    }

    fn list(self, part: Part) -> &'static str {
        match (self, part) {
            (DataSet::Ptc, Part::Sealed) => include_str!("../../data/splits/ptc-sealed.txt"),
            (DataSet::Polnear, Part::Sealed) => {
                include_str!("../../data/splits/polnear-sealed.txt")
            }
            (DataSet::Checkworthy, Part::Sealed) => {
                include_str!("../../data/splits/checkworthy-sealed.txt")
            }
            (DataSet::Zyte, Part::Sealed) => include_str!("../../data/splits/zyte-sealed.txt"),
            (DataSet::Trafilatura, Part::Sealed) => {
                include_str!("../../data/splits/trafilatura-sealed.txt")
            }
            (DataSet::Readability, Part::Sealed) => {
                include_str!("../../data/splits/readability-sealed.txt")
            }
            (DataSet::Ptc, Part::Tune) => include_str!("../../data/splits/ptc-tune.txt"),
            (DataSet::Polnear, Part::Tune) => include_str!("../../data/splits/polnear-tune.txt"),
            (DataSet::Checkworthy, Part::Tune) => {
                include_str!("../../data/splits/checkworthy-tune.txt")
            }
            (DataSet::Caod, Part::Sealed) => include_str!("../../data/splits/caod-sealed.txt"),
            (DataSet::Caod, Part::Tune) => include_str!("../../data/splits/caod-tune.txt"),
            (DataSet::ZhSpans, Part::Sealed) => {
                include_str!("../../data/splits/zh-spans-sealed.txt")
            }
            // Extraction is rules only: nothing to calibrate; the Chinese span set is too small
            // to spare a tune part (its fit part is what Chinese rules may be grown on).
            (
                DataSet::Zyte | DataSet::Trafilatura | DataSet::Readability | DataSet::ZhSpans,
                Part::Tune,
            ) => "",
        }
    }

    /// The ids of one part, parsed once.
    pub fn ids(self, part: Part) -> &'static BTreeSet<String> {
        static LISTS: [OnceLock<BTreeSet<String>>; 2 * DataSet::ALL.len()] =
            [const { OnceLock::new() }; 2 * DataSet::ALL.len()];
        let set = DataSet::ALL.iter().position(|&d| d == self).unwrap_or(0);
        let index = 2 * set + usize::from(part == Part::Tune);
        LISTS[index].get_or_init(|| {
            self.list(part)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
    }

    /// The sealed ids.
    pub fn sealed(self) -> &'static BTreeSet<String> {
        self.ids(Part::Sealed)
    }

    pub fn is_sealed(self, id: &str) -> bool {
        self.sealed().contains(id)
    }

    /// The held-out part `id` belongs to, if any.
    pub fn held_out(self, id: &str) -> Option<Part> {
        [Part::Sealed, Part::Tune]
            .into_iter()
            .find(|&p| self.ids(p).contains(id))
    }
}

/// Which part of a data set an `eval` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// The sealed ids only: the figures a report or README quotes.
    #[default]
    Sealed,
    /// The tune part: where calibration and thresholds are fitted.
    Tune,
    /// What models are fitted on: neither sealed nor tune.
    Train,
    /// Everything but the sealed ids (tune and train).
    Fit,
    /// Everything (the figure is then partly on fitted text; say so when quoting it).
    All,
}

impl Split {
    pub fn keeps(self, set: DataSet, id: &str) -> bool {
        let part = set.held_out(id);
        match self {
            Split::Sealed => part == Some(Part::Sealed),
            Split::Tune => part == Some(Part::Tune),
            Split::Train => part.is_none(),
            Split::Fit => part != Some(Part::Sealed),
            Split::All => true,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Split::Sealed => "sealed",
            Split::Tune => "tune",
            Split::Train => "train",
            Split::Fit => "fit",
            Split::All => "all",
        }
    }
}

/// An error when any of `ids` is held out in `set` (sealed or tune): fitting on it would make
/// the sealed figures, or the calibration, meaningless. Every fitting routine calls this.
pub fn refuse_held_out<'a>(set: DataSet, ids: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut held: Vec<(&str, Part)> = ids
        .into_iter()
        .filter_map(|id| set.held_out(id).map(|p| (id, p)))
        .collect();
    // The sealed ones are the worse news: name one of those first.
    held.sort_by_key(|&(_, p)| p != Part::Sealed);
    match held.first() {
        None => Ok(()),
        Some(&(first, part)) => Err(Error::HeldOut {
            set: set.name(),
            part: part.name(),
            count: held.len(),
            first: first.to_string(),
        }),
    }
}

/// The train part of `items` (neither sealed nor tune), and how many sealed and tune ones were
/// left out.
pub fn train_part<T>(set: DataSet, items: Vec<T>, id: impl Fn(&T) -> &str) -> (Vec<T>, LeftOut) {
    let mut left_out = LeftOut::default();
    let kept = items
        .into_iter()
        .filter(|item| match set.held_out(id(item)) {
            None => true,
            Some(Part::Sealed) => {
                left_out.sealed += 1;
                false
            }
            Some(Part::Tune) => {
                left_out.tune += 1;
                false
            }
        })
        .collect();
    (kept, left_out)
}

/// What [`train_part`] left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeftOut {
    pub sealed: usize,
    pub tune: usize,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} sealed and {} tune left out", self.sealed, self.tune)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The hash rule of `scripts/make-splits`.
    fn bucket(set: DataSet, id: &str, salt: &str) -> u64 {
        let digest = Sha256::digest(format!("{salt}/{}/{id}", set.name()).as_bytes());
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
            if let Some(limit) = limit(set) {
                for id in set.sealed() {
                    // The span set is sealed by article, so an article is never split.
                    let key = match set {
                        DataSet::ZhSpans => super::super::zh_spans::article_of(id),
                        _ => id,
                    };
                    assert!(
                        bucket(set, key, "spinscope-sealed") < limit,
                        "{}: {id} does not follow the rule",
                        set.name()
                    );
                }
            }
            for id in set.ids(Part::Tune) {
                assert!(
                    bucket(set, id, "spinscope-tune") < 2 && !set.is_sealed(id),
                    "{}: tune id {id} does not follow the rule",
                    set.name()
                );
            }
        }
        // PolNeAR's sealed articles are all from the second half the rules were not tuned on.
        assert!(DataSet::Polnear
            .sealed()
            .iter()
            .all(|id| id.as_str() >= "politico_2016-04-08_families-of-mass-shooting-victim"));
        for set in [DataSet::Ptc, DataSet::Polnear, DataSet::Checkworthy] {
            assert!(
                !set.ids(Part::Tune).is_empty(),
                "{}: no tune part",
                set.name()
            );
        }
    }

    #[test]
    fn held_out_ids_are_refused_and_left_out_of_fitting() {
        let sealed = DataSet::Ptc
            .sealed()
            .iter()
            .next()
            .expect("a sealed id")
            .clone();
        let tune = DataSet::Ptc
            .ids(Part::Tune)
            .iter()
            .next()
            .expect("a tune id")
            .clone();
        assert!(refuse_held_out(DataSet::Ptc, ["not-a-ptc-id"]).is_ok());
        let e = refuse_held_out(DataSet::Ptc, [tune.as_str(), sealed.as_str()])
            .expect_err("held-out ids are refused");
        assert!(
            e.to_string().contains(&sealed) && e.to_string().contains("sealed"),
            "{e}"
        );
        let e = refuse_held_out(DataSet::Ptc, [tune.as_str()]).expect_err("tune is refused");
        assert!(e.to_string().contains("tune"), "{e}");
        assert!(
            Split::Sealed.keeps(DataSet::Ptc, &sealed) && !Split::Fit.keeps(DataSet::Ptc, &sealed)
        );
        assert!(Split::Tune.keeps(DataSet::Ptc, &tune) && Split::Fit.keeps(DataSet::Ptc, &tune));
        assert!(!Split::Train.keeps(DataSet::Ptc, &tune) && Split::Train.keeps(DataSet::Ptc, "x"));
        let (kept, left_out) = train_part(DataSet::Ptc, vec!["x".to_string(), sealed, tune], |s| s);
        assert_eq!(kept, vec!["x".to_string()]);
        assert_eq!(left_out, LeftOut { sealed: 1, tune: 1 });
    }
}
