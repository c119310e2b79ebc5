//! Word lists compiled into the binary: one file per list, or one file with `[section]`s.

use std::collections::{HashMap, HashSet};

use crate::text::sentences::data_lines;

/// A data file split into named sections of lower-cased entries.
#[derive(Debug, Default)]
pub struct Sections {
    map: HashMap<&'static str, HashSet<String>>,
    ordered: HashMap<&'static str, Vec<String>>,
}

impl Sections {
    pub fn parse(data: &'static str) -> Self {
        let mut out = Sections::default();
        let mut current = "";
        for line in data_lines(data) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = name;
                continue;
            }
            let entry = line.to_lowercase();
            out.ordered.entry(current).or_default().push(entry.clone());
            out.map.entry(current).or_default().insert(entry);
        }
        out
    }

    /// Whether `word` (any case) is in `section`.
    pub fn has(&self, section: &str, word: &str) -> bool {
        self.map.get(section).is_some_and(|set| {
            if word.chars().any(char::is_uppercase) {
                set.contains(&word.to_lowercase())
            } else {
                set.contains(word)
            }
        })
    }

    /// The entries of `section` in file order.
    pub fn list(&self, section: &str) -> &[String] {
        self.ordered.get(section).map_or(&[], Vec::as_slice)
    }
}

/// A plain list (no sections), lower-cased.
pub fn words(data: &'static str) -> HashSet<String> {
    data_lines(data).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_case() {
        let s = Sections::parse("# comment\n[a]\nOne\ntwo\n[b]\nthree\n");
        assert!(s.has("a", "one") && s.has("a", "ONE") && s.has("b", "three"));
        assert!(!s.has("b", "one") && !s.has("c", "one"));
        assert_eq!(s.list("a"), ["one", "two"]);
    }
}
