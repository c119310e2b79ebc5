//! Chinese attribution rules, on the Simplified view (the same offsets serve Traditional text).
//!
//! Patterns: SOURCE [time/place] CUE，CONTENT ("外交部发言人汪文斌27日在例行记者会上表示，…");
//! 据 SOURCE 报道/透露，CONTENT; unsourced openers (据悉、据了解); the outlet learning itself
//! (本报记者获悉); colon attributions (賴岳謙嗆:…).

use std::sync::OnceLock;

use super::{content_from, Attribution, Outlet};
use crate::analyze::lexicon::Sections;
use crate::doc::Span;
use crate::report::SourceType;
use crate::text::{zh, TextView, Token, TokenKind};

const CUES: &str = include_str!("../../../data/zh/cues.txt");
const SOURCES: &str = include_str!("../../../data/zh/sources.txt");

struct Lexicon {
    cues: Sections,
    sources: Sections,
    /// `据…报道` split into (opener, closer).
    according: Vec<(String, String)>,
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let cues = Sections::parse(CUES);
        let according = cues
            .list("according")
            .iter()
            .filter_map(|e| e.split_once('…'))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Lexicon {
            cues,
            sources: Sections::parse(SOURCES),
            according,
        }
    })
}

/// Whether `word` (Simplified) is a Chinese reporting verb ("指出", "表示"): sourcing, which
/// attributions count, not a repeated message.
pub fn is_cue_verb(word: &str) -> bool {
    lexicon().cues.list("verb").iter().any(|v| v == word)
}

/// Punctuation that starts a new clause.
fn clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | ','
            | '。'
            | '；'
            | ';'
            | '：'
            | ':'
            | '！'
            | '？'
            | '!'
            | '?'
            | '“'
            | '”'
            | '「'
            | '」'
            | '、'
            | '【'
            | '】'
            | '（'
            | '）'
            | '('
            | ')'
    )
}

pub(super) fn sentence(view: &TextView<'_>, i: usize, outlet: &Outlet, out: &mut Vec<Attribution>) {
    let s = &view.sentences[i];
    let lex = lexicon();
    let toks = view.sentence_tokens(s);
    let simp: &str = &view.simplified;
    let mut claimed = s.span.start;
    if let Some(a) = colon(view, s.span, s.paragraph, outlet) {
        claimed = a.content.end;
        out.push(a);
    }
    for (k, t) in toks.iter().enumerate() {
        if t.span.start < claimed || t.kind != TokenKind::Han || quoted(view, t.span) {
            continue;
        }
        let clause = clause_start(simp, s.span.start, t.span.start);
        let found = unsourced(view, s, clause, t, lex)
            .or_else(|| according(view, s, toks, k, lex, outlet))
            .or_else(|| verb(view, s, toks, k, clause, lex, outlet))
            .or_else(|| fused(view, s, t, clause, lex, outlet));
        if let Some(a) = found {
            claimed = a.content.end.max(a.source.end);
            out.push(a);
        }
    }
}

fn quoted(view: &TextView<'_>, span: Span) -> bool {
    view.quote_around(span).is_some()
}

/// The start of the clause that contains `at`.
fn clause_start(simp: &str, sentence_start: usize, at: usize) -> usize {
    simp[sentence_start..at]
        .char_indices()
        .rev()
        .find(|&(_, c)| clause_break(c))
        .map_or(sentence_start, |(i, c)| sentence_start + i + c.len_utf8())
}

/// "据悉，…", "据了解，…": a cue with no source named.
fn unsourced(
    view: &TextView<'_>,
    s: &crate::text::Sentence,
    clause: usize,
    t: &Token,
    lex: &Lexicon,
) -> Option<Attribution> {
    if t.span.start != clause {
        return None;
    }
    let simp = &view.simplified[clause..s.span.end];
    let opener = lex
        .cues
        .list("unsourced")
        .iter()
        .filter(|o| simp.starts_with(o.as_str()))
        .max_by_key(|o| o.len())?;
    let cue = Span::new(clause, clause + opener.len());
    let content = content_from(view, s.span, skip_marks(view, cue.end))?;
    let kind = if opener.starts_with('有') || opener.contains("报道") {
        SourceType::VagueGroup
    } else {
        SourceType::Anonymous
    };
    Some(Attribution::new(
        cue,
        (kind, Some("no source named".into())),
        cue,
        content,
        "zh unsourced",
        s.paragraph,
    ))
}

/// "据知情人士透露，…", "援引消息人士称…".
fn according(
    view: &TextView<'_>,
    s: &crate::text::Sentence,
    toks: &[Token],
    k: usize,
    lex: &Lexicon,
    outlet: &Outlet,
) -> Option<Attribution> {
    let simp: &str = &view.simplified;
    let word = toks[k].span.slice(simp);
    let pairs: Vec<&(String, String)> = lex.according.iter().filter(|(o, _)| o == word).collect();
    if pairs.is_empty() {
        return None;
    }
    let (j, closer) = toks
        .iter()
        .enumerate()
        .skip(k + 1)
        .take(15)
        .take_while(|(_, t)| !t.span.slice(simp).chars().any(clause_break))
        .find_map(|(j, t)| {
            let w = t.span.slice(simp);
            pairs.iter().find(|(_, c)| c == w).map(|_| (j, t.span))
        })?;
    if j == k + 1 {
        return None;
    }
    let source = Span::new(toks[k + 1].span.start, toks[j - 1].span.end);
    let cue = toks[k].span.cover(&closer);
    let content = content_from(view, s.span, skip_marks(view, closer.end))?;
    let (kind, descriptor) = classify(view, source, outlet);
    Some(Attribution::new(
        source,
        (kind, descriptor),
        cue,
        content,
        "zh according",
        s.paragraph,
    ))
}

/// "外交部发言人汪文斌27日在例行记者会上表示，…", "本报记者获悉，…", "一位专家告诉环球时报记者：…".
#[allow(clippy::too_many_arguments)]
fn verb(
    view: &TextView<'_>,
    s: &crate::text::Sentence,
    toks: &[Token],
    k: usize,
    clause: usize,
    lex: &Lexicon,
    outlet: &Outlet,
) -> Option<Attribution> {
    let simp: &str = &view.simplified;
    let word = toks[k].span.slice(simp);
    let is_self_cue = lex.cues.has("self", word);
    if !lex.cues.has("verb", word) && !is_self_cue {
        return None;
    }
    // "不愿透露姓名的专家": a cue inside a modifier ending in 的 describes the source.
    let modifier = toks[k + 1..]
        .iter()
        .take(3)
        .take_while(|t| !t.span.slice(simp).chars().any(clause_break))
        .any(|t| t.span.slice(simp) == "的");
    if modifier {
        return None;
    }
    // The source: the clause up to the first time, place or manner word.
    let mut end = clause;
    for t in toks
        .iter()
        .filter(|t| t.span.start >= clause && t.span.end <= toks[k].span.start)
    {
        let w = t.span.slice(simp);
        let numeric = t.kind == TokenKind::Number;
        if end > clause && (numeric || lexicon().sources.has("adverbial", w)) {
            break;
        }
        if matches!(t.kind, TokenKind::Han | TokenKind::Word) {
            end = t.span.end;
        } else if !numeric {
            break;
        }
    }
    let source = Span::new(clause, end);
    let chars = source.slice(simp).chars().count();
    if source.is_empty() || chars > 30 {
        return None;
    }
    let (mut kind, mut descriptor) = classify(view, source, outlet);
    // "环球时报记者了解到": a publication that learns something is the outlet itself.
    if is_self_cue && outlet.is_self(source.slice(simp)) {
        (kind, descriptor) = (SourceType::SelfOutlet, None);
    }
    if is_self_cue && kind != SourceType::SelfOutlet {
        // "发现" and "注意到" are cues only when the outlet itself finds something.
        return None;
    }
    let mut self_citation = kind == SourceType::SelfOutlet;
    let mut cue = toks[k].span;
    // jieba cuts "了解到" into "了解" + "到".
    if toks.get(k + 1).is_some_and(|t| t.span.slice(simp) == "到") {
        cue = cue.cover(&toks[k + 1].span);
    }
    let mut after = cue.end;
    // "告诉环球时报记者：…": the receiver runs to the colon or comma.
    if word == "告诉" || word == "向" {
        let rest = &simp[after..s.span.end];
        if let Some((i, _)) = rest.char_indices().find(|&(_, c)| clause_break(c)) {
            let receiver = &rest[..i];
            if outlet.is_self(receiver) {
                self_citation = true;
            }
            after += i;
        }
    }
    if kind == SourceType::Pronoun && source.slice(simp) == "其" {
        kind = SourceType::Pronoun;
    }
    let content = content_from(view, s.span, skip_marks(view, after))
        .or_else(|| quote_before(view, clause))?;
    Some(Attribution {
        self_citation,
        ..Attribution::new(
            source,
            (kind, descriptor),
            cue,
            content,
            "zh source-cue-content",
            s.paragraph,
        )
    })
}

/// "外媒称": jieba keeps a source noun and a one-character cue as one word.
fn fused(
    view: &TextView<'_>,
    s: &crate::text::Sentence,
    t: &Token,
    clause: usize,
    lex: &Lexicon,
    outlet: &Outlet,
) -> Option<Attribution> {
    let word = t.span.slice(&view.simplified);
    let cue = lex
        .cues
        .list("verb")
        .iter()
        .filter(|c| word.len() > c.len() && word.ends_with(c.as_str()))
        .max_by_key(|c| c.len())?;
    let prefix = &word[..word.len() - cue.len()];
    let known = ["anonymous", "vague_group", "pronoun", "self"]
        .iter()
        .any(|section| lex.sources.has(section, prefix));
    if !known || t.span.start != clause {
        return None;
    }
    let source = Span::new(t.span.start, t.span.start + prefix.len());
    let cue = Span::new(source.end, t.span.end);
    let content = content_from(view, s.span, skip_marks(view, cue.end))?;
    let (kind, descriptor) = classify(view, source, outlet);
    Some(Attribution::new(
        source,
        (kind, descriptor),
        cue,
        content,
        "zh source-cue-content",
        s.paragraph,
    ))
}

/// "賴岳謙嗆:就是想偷技術!", "汪文斌：美方应停止干涉": a short speaker before a colon.
fn colon(
    view: &TextView<'_>,
    sentence: Span,
    paragraph: usize,
    outlet: &Outlet,
) -> Option<Attribution> {
    let simp = &view.simplified[sentence.start..sentence.end];
    let (i, c) = simp
        .char_indices()
        .take(14)
        .find(|&(_, c)| c == ':' || c == '：')?;
    let head = &simp[..i];
    let han = head
        .chars()
        .filter(|&c| crate::text::script::is_han(c))
        .count();
    if !(2..=12).contains(&han) || head.chars().any(|c| clause_break(c) || c.is_whitespace()) {
        return None;
    }
    let lex = lexicon();
    // A cue word at the end of the head ("呛", "表示") is the cue; otherwise the colon is.
    let words = zh::words(head);
    let (source_end, cue) = match words.last() {
        Some(&(s, e)) if words.len() > 1 && lex.cues.has("verb", &head[s..e]) => {
            (s, Span::new(sentence.start + s, sentence.start + e))
        }
        _ => {
            let name_like = han <= 4 || outlet.is_self(head);
            if !name_like {
                return None;
            }
            (
                i,
                Span::new(sentence.start + i, sentence.start + i + c.len_utf8()),
            )
        }
    };
    let source = Span::new(sentence.start, sentence.start + source_end);
    let content = content_from(view, sentence, sentence.start + i + c.len_utf8())?;
    let (kind, descriptor) = classify(view, source, outlet);
    Some(Attribution::new(
        source,
        (kind, descriptor),
        cue,
        content,
        "headline colon",
        paragraph,
    ))
}

/// Skips "道", commas, colons and spaces after a cue.
fn skip_marks(view: &TextView<'_>, at: usize) -> usize {
    let rest = &view.simplified[at..];
    let skipped = rest.len()
        - rest
            .trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '，' | ',' | '：' | ':' | '道')
            })
            .len();
    at + skipped
}

/// "“……”，他说。": the quotation just before the clause.
fn quote_before(view: &TextView<'_>, clause: usize) -> Option<Span> {
    let before = view.text[..clause].trim_end_matches(['，', ',', ' ']);
    view.quote_ending_at(before.len()).map(|q| q.span)
}

/// What kind of source a Chinese phrase names, and its descriptor.
pub(super) fn classify(
    view: &TextView<'_>,
    source: Span,
    outlet: &Outlet,
) -> (SourceType, Option<String>) {
    let lex = lexicon();
    let simp = source.slice(&view.simplified);
    let original = source.slice(view.text);
    if lex.sources.has("pronoun", simp) {
        return (SourceType::Pronoun, None);
    }
    if outlet.is_known_self(simp)
        || lex
            .sources
            .list("self")
            .iter()
            .any(|w| simp.starts_with(w.as_str()))
    {
        return (SourceType::SelfOutlet, None);
    }
    let contains = |section: &str| {
        lex.sources
            .list(section)
            .iter()
            .any(|w| simp.contains(w.as_str()))
    };
    let tags = zh::jieba().tag(simp, true);
    // A person's name: jieba's "nr", or a short word unknown to the dictionary after a title.
    let mut offset = 0;
    let mut name = None;
    for t in &tags {
        let len = t.word.len();
        let han = t.word.chars().count();
        let unknown_after_role = t.tag == "x" && offset > 0 && (2..=3).contains(&han);
        if t.tag == "nr" || t.tag == "nrfg" || unknown_after_role {
            name = Some((offset, offset + len));
        }
        offset += len;
    }
    if contains("anonymous") && name.is_none() {
        return (SourceType::Anonymous, None);
    }
    if contains("vague_group") && name.is_none() {
        return (SourceType::VagueGroup, None);
    }
    if let Some((s, _)) = name {
        let descriptor = original.get(..s).map(str::trim).filter(|d| !d.is_empty());
        return (SourceType::NamedPerson, descriptor.map(str::to_string));
    }
    if lex
        .sources
        .list("role")
        .iter()
        .any(|w| simp.ends_with(w.as_str()))
    {
        return (SourceType::Role, Some(original.to_string()));
    }
    if contains("org") {
        return (SourceType::NamedOrg, None);
    }
    let han = simp.chars().count();
    if (2..=4).contains(&han) {
        (SourceType::NamedPerson, None)
    } else {
        (SourceType::NamedOrg, None)
    }
}
