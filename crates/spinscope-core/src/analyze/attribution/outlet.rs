//! Recognising the outlet when it names itself: "told the Global Times", "The Post has learned",
//! "本报记者获悉", "GT:".

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::analyze::lexicon;
use crate::text::zh::simplified_view;

const PUBLICATIONS_EN: &str = include_str!("../../../data/en/publications.txt");
const PUBLICATIONS_ZH: &str = include_str!("../../../data/zh/publications.txt");

fn publications() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = lexicon::words(PUBLICATIONS_EN);
        set.extend(lexicon::words(PUBLICATIONS_ZH));
        set
    })
}

const SELF_PHRASES: &str = include_str!("../../../data/self_phrases.txt");

/// The document's outlet, if known, and how to tell a mention of it.
#[derive(Debug, Clone)]
pub struct Outlet {
    /// Normalised outlet name, when the document gives one.
    name: Option<String>,
}

impl Outlet {
    pub fn new(outlet: Option<&str>) -> Self {
        Outlet {
            name: outlet.map(normalise).filter(|n| !n.is_empty()),
        }
    }

    /// Whether `mention` is the outlet by its own known name or a phrase any outlet uses for
    /// itself ("this newspaper", "本报"): safe for any role, including "X reported".
    pub fn is_known_self(&self, mention: &str) -> bool {
        self.name.is_some() && self.is_self(mention) || is_self_phrase(&normalise(mention))
    }

    /// Whether `mention` names the outlet that publishes the document.
    ///
    /// With a known outlet: its name, its last word ("the Post" for the South China Morning
    /// Post), or its initials ("GT"). Without: any publication in the lists, since an outlet
    /// naming a publication as the one that learned or was told something is nearly always
    /// naming itself.
    pub fn is_self(&self, mention: &str) -> bool {
        let m = normalise(mention);
        if m.is_empty() {
            return false;
        }
        let m = m
            .trim_end_matches("记者")
            .trim_end_matches(" reporter")
            .trim_end_matches(" reporters")
            .trim_end_matches("'s")
            .to_string();
        if is_self_phrase(&m) {
            return true;
        }
        match &self.name {
            Some(name) => {
                *name == m
                    || name.ends_with(&format!(" {m}"))
                    || initials(name) == m.replace(['.', ' '], "")
            }
            None => {
                publications().contains(&m)
                    || (m.len() <= 4 && m.chars().all(|c| c.is_ascii_alphabetic()) && m == "gt")
            }
        }
    }
}

fn is_self_phrase(m: &str) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| lexicon::words(SELF_PHRASES))
        .iter()
        .any(|p| m == p || m.starts_with(p.as_str()))
}

fn normalise(s: &str) -> String {
    let s = simplified_view(s.trim()).to_lowercase();
    let s = s.trim_matches(|c: char| !c.is_alphanumeric());
    let s = s.strip_prefix("the ").unwrap_or(s);
    s.replace('’', "'")
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_outlet() {
        let gt = Outlet::new(Some("Global Times"));
        assert!(gt.is_self("the Global Times"));
        assert!(gt.is_self("GT"));
        assert!(!gt.is_self("Reuters"));
        let scmp = Outlet::new(Some("South China Morning Post"));
        assert!(scmp.is_self("The Post"));
        assert!(scmp.is_self("本报记者"));
    }

    #[test]
    fn unknown_outlet_uses_the_lists() {
        let none = Outlet::new(None);
        assert!(none.is_self("the Global Times"));
        assert!(none.is_self("環球時報記者"));
        assert!(none.is_self("the paper"));
        assert!(!none.is_self("the ministry"));
    }
}
