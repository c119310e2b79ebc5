//! Chinese: a Simplified view of the text with the same byte offsets, script detection
//! (Traditional vs Simplified), and word segmentation with jieba.
//!
//! The conversion is character level on purpose (OpenCC's character tables, data/zh/NOTICE.md):
//! a phrase-level converter can change the length of the text, and then no offset would line up.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::script::is_han;
use crate::doc::ZhScript;

const TS_CHARACTERS: &str = include_str!("../../data/zh/ts_characters.txt");
const ST_CHARACTERS: &str = include_str!("../../data/zh/st_characters.txt");

/// The character tables, parsed once per process.
struct Tables {
    /// Traditional → Simplified, only where the answer is unambiguous and keeps the UTF-8 length.
    to_simplified: HashMap<char, char>,
    /// Characters used only in Traditional writing.
    traditional_only: HashSet<char>,
    /// Characters used only in Simplified writing.
    simplified_only: HashSet<char>,
    /// Simplified → Traditional, the preferred candidate (for [`traditional_view`] only).
    to_traditional: HashMap<char, char>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut to_simplified = HashMap::new();
        let mut traditional_only = HashSet::new();
        for (from, candidates) in parse_table(TS_CHARACTERS) {
            // 乾 → "干 乾": the character is also its own reading, so it is not Traditional-only.
            if candidates.contains(&from) {
                continue;
            }
            traditional_only.insert(from);
            if let Some(&to) = candidates.first() {
                if to.len_utf8() == from.len_utf8() {
                    to_simplified.insert(from, to);
                }
            }
        }
        let mut simplified_only = HashSet::new();
        let mut to_traditional = HashMap::new();
        for (from, candidates) in parse_table(ST_CHARACTERS) {
            if !candidates.contains(&from) {
                simplified_only.insert(from);
            }
            if let Some(&to) = candidates.first() {
                to_traditional.insert(from, to);
            }
        }
        Tables {
            to_simplified,
            traditional_only,
            simplified_only,
            to_traditional,
        }
    })
}

/// Lines of `X<TAB>Y Z`: a character and its candidates, the preferred first.
fn parse_table(data: &str) -> impl Iterator<Item = (char, Vec<char>)> + '_ {
    data.lines().filter_map(|line| {
        let (from, to) = line.split_once('\t')?;
        let mut from_chars = from.chars();
        let from = from_chars.next()?;
        if from_chars.next().is_some() {
            return None;
        }
        let candidates: Vec<char> = to
            .split_whitespace()
            .filter_map(|w| {
                let mut cs = w.chars();
                let c = cs.next()?;
                cs.next().is_none().then_some(c)
            })
            .collect();
        Some((from, candidates))
    })
}

/// The Simplified form of one character (itself when it has none).
pub fn simplify_char(c: char) -> char {
    if !is_han(c) {
        return c;
    }
    tables().to_simplified.get(&c).copied().unwrap_or(c)
}

/// `text` with every Traditional character replaced by its Simplified form.
///
/// The result has exactly the same byte length and char boundaries as `text`, so a span found in
/// the view is a span of the original. Texts without Han characters are returned borrowed.
pub fn simplified_view(text: &str) -> std::borrow::Cow<'_, str> {
    let tables = tables();
    let needs = text
        .chars()
        .any(|c| is_han(c) && tables.to_simplified.contains_key(&c));
    if !needs {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    out.extend(text.chars().map(|c| {
        if is_han(c) {
            tables.to_simplified.get(&c).copied().unwrap_or(c)
        } else {
            c
        }
    }));
    debug_assert_eq!(out.len(), text.len());
    std::borrow::Cow::Owned(out)
}

/// `text` in Traditional characters, one character for one (the table's preferred candidate),
/// so code-point offsets still line up. Not a faithful converter (发 is always 發, never 髮): it
/// is for checking that Traditional text reads as its Simplified original does.
pub fn traditional_view(text: &str) -> String {
    let tables = tables();
    text.chars()
        .map(|c| tables.to_traditional.get(&c).copied().unwrap_or(c))
        .collect()
}

/// Counts of script-specific characters in a stretch of text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    pub traditional: usize,
    pub simplified: usize,
}

impl ScriptCounts {
    pub fn of(text: &str) -> Self {
        let tables = tables();
        let mut counts = ScriptCounts::default();
        for c in text.chars().filter(|&c| is_han(c)) {
            if tables.traditional_only.contains(&c) {
                counts.traditional += 1;
            } else if tables.simplified_only.contains(&c) {
                counts.simplified += 1;
            }
        }
        counts
    }

    /// The script the counts point to; ties and texts with only shared characters are `Either`.
    pub fn script(&self) -> ZhScript {
        use std::cmp::Ordering::*;
        match self.traditional.cmp(&self.simplified) {
            Greater => ZhScript::Traditional,
            Less => ZhScript::Simplified,
            Equal => ZhScript::Either,
        }
    }
}

/// The jieba segmenter with its embedded dictionary, built on first use: English-only runs never
/// pay for it.
pub fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// Word boundaries of a run of Chinese text, as byte ranges relative to `run`.
///
/// `run` should be the Simplified view (jieba's dictionary is Simplified); the HMM finds names
/// that are not in the dictionary (汪文斌).
pub fn words(run: &str) -> Vec<(usize, usize)> {
    jieba()
        .cut(run, true)
        .into_iter()
        .map(|t| (t.byte_start, t.byte_end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_keeps_offsets_and_simplifies() {
        let text = "美國對西北工業大學千次網攻? 賴岳謙嗆:就是想偷技術! Prof. Lai";
        let view = simplified_view(text);
        assert_eq!(view.len(), text.len());
        assert!(view.starts_with("美国对西北工业大学千次网攻?"));
        assert!(view.contains("就是想偷技术!"));
        assert!(view.ends_with("Prof. Lai"));
    }

    #[test]
    fn traditional_view_keeps_code_points_and_reads_back() {
        let text = "美国对西北工业大学千次网攻？Prof. Lai";
        let view = traditional_view(text);
        assert_eq!(view.chars().count(), text.chars().count());
        assert!(view.starts_with("美國對西北工業大學千次網攻？"), "{view}");
        assert_eq!(ScriptCounts::of(&view).script(), ZhScript::Traditional);
        assert_eq!(simplified_view(&view), text);
    }

    #[test]
    fn tells_scripts_apart() {
        assert_eq!(
            ScriptCounts::of("美國對西北工業大學").script(),
            ZhScript::Traditional
        );
        assert_eq!(
            ScriptCounts::of("美国对西北工业大学").script(),
            ZhScript::Simplified
        );
        assert_eq!(ScriptCounts::of("中文人民").script(), ZhScript::Either);
        assert_eq!(ScriptCounts::of("English only").script(), ZhScript::Either);
    }

    #[test]
    fn ambiguous_characters_are_kept() {
        // 乾 is both a Traditional form of 干 and a character of its own (乾隆).
        assert_eq!(simplify_char('乾'), '乾');
        assert_eq!(simplify_char('發'), '发');
    }

    #[test]
    fn jieba_segments_words() {
        let run = "外交部发言人汪文斌表示";
        let words: Vec<&str> = words(run).into_iter().map(|(s, e)| &run[s..e]).collect();
        assert!(words.contains(&"外交部"), "{words:?}");
        assert!(words.contains(&"表示"), "{words:?}");
        assert_eq!(words.concat(), run);
    }
}
