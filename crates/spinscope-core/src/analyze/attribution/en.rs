//! English attribution rules over word tokens.
//!
//! Patterns: SOURCE CUE [receiver] [that] CONTENT ("X told reporters that…"); CONTENT, SOURCE CUE
//! and CONTENT, CUE SOURCE ("“…,” said Wang"); "according to SOURCE"; headline and interview
//! colons ("Prof. Bernard Lai: US just want…", "GT: …"); "The Global Times has learned from
//! sources that…".

use std::borrow::Cow;
use std::sync::OnceLock;

use super::{Attribution, Outlet};
use crate::analyze::lexicon::{self, Sections};
use crate::doc::Span;
use crate::report::SourceType;
use crate::text::{lowercase, TextView, Token, TokenKind};

const VERBS: &str = include_str!("../../../data/en/reporting_verbs.txt");
const SOURCES: &str = include_str!("../../../data/en/sources.txt");

struct Lexicon {
    verbs: std::collections::HashSet<String>,
    sources: Sections,
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| Lexicon {
        verbs: lexicon::words(VERBS),
        sources: Sections::parse(SOURCES),
    })
}

/// Whether `word` (lower-case) names a kind of source ("officials", "experts", "spokesman"):
/// the head nouns of `data/en/sources.txt`'s anonymous, vague-group and role sections.
pub fn is_source_noun(word: &str) -> bool {
    let s = &lexicon().sources;
    s.has("anonymous", word) || s.has("vague_group", word) || s.has("role", word)
}

/// Whether `word` (lower-case) is a reporting verb of `data/en/reporting_verbs.txt`.
pub fn is_reporting_verb(word: &str) -> bool {
    lexicon().verbs.contains(word)
}

/// A cue verb whose object is the person told ("told reporters that…"): `[tell]` of
/// `data/en/sources.txt`.
fn tells(word: &str) -> bool {
    lexicon().sources.has("tell", word)
}

/// A cue verb by which the outlet itself learns or finds something: `[find]`.
fn finds(word: &str) -> bool {
    lexicon().sources.has("find", word)
}

/// A cue form that is a noun after a determiner ("the report", "a claim"): `[nounlike]`.
fn nounlike(word: &str) -> bool {
    lexicon().sources.has("nounlike", word)
}

/// The sentence being read: its tokens and their text.
struct Ctx<'a, 'v> {
    view: &'a TextView<'v>,
    toks: &'a [Token],
    span: Span,
    paragraph: usize,
    outlet: &'a Outlet,
    lex: &'static Lexicon,
}

pub(super) fn sentence(view: &TextView<'_>, i: usize, outlet: &Outlet, out: &mut Vec<Attribution>) {
    let ctx = Ctx::new(view, i, outlet);
    if ctx.toks.is_empty() {
        return;
    }
    if let Some(a) = ctx.colon() {
        out.push(a);
        return;
    }
    let mut claimed = 0usize;
    for k in 0..ctx.toks.len() {
        if ctx.toks[k].span.start < claimed {
            continue;
        }
        if let Some(a) = ctx.at_cue(k) {
            claimed = a.content.end.max(a.source.end);
            out.push(a);
        }
    }
}

/// What kind of source the words of `span` (in sentence `i`) name, for a source someone else
/// found (the learned tier's), as the rules type theirs; `None` when the words are no noun
/// phrase (a clause, an adverb) and so no source. A publication that learns or finds
/// (`cue`) is the outlet itself.
pub(super) fn classify_span(
    view: &TextView<'_>,
    i: usize,
    span: Span,
    cue: Span,
    outlet: &Outlet,
) -> Option<(SourceType, Option<String>)> {
    let ctx = Ctx::new(view, i, outlet);
    let from = ctx.toks.partition_point(|t| t.span.end <= span.start);
    let to = ctx.toks.partition_point(|t| t.span.start < span.end);
    if from >= to || !ctx.nominal(from, to) {
        return None;
    }
    let verb = lowercase(cue.slice(view.text));
    // After "told"/"asked" stands the one told, never the one telling.
    let last_verb = verb.split_whitespace().next_back().unwrap_or("");
    if span.start >= cue.end && tells(last_verb) {
        return None;
    }
    // "an expert who" + "asked": a relative clause cut in two, not a source and its cue.
    let last_word = (from..to).rev().find(|&j| ctx.is_word(j));
    if last_word.is_some_and(|j| ctx.has("relative", j)) {
        return None;
    }
    // Any word of the cue: the tagger's cues run on ("has learned from sources").
    if verb.split_whitespace().any(finds) && outlet.is_self(span.slice(view.text)) {
        return Some((SourceType::SelfOutlet, None));
    }
    Some(ctx.classify(from, to))
}

impl<'a, 'v> Ctx<'a, 'v> {
    /// Sentence `i` of `view`.
    fn new(view: &'a TextView<'v>, i: usize, outlet: &'a Outlet) -> Self {
        let s = &view.sentences[i];
        Ctx {
            view,
            toks: view.sentence_tokens(s),
            span: s.span,
            paragraph: s.paragraph,
            outlet,
            lex: lexicon(),
        }
    }
}

impl Ctx<'_, '_> {
    fn text(&self) -> &str {
        self.view.text
    }

    fn word(&self, k: usize) -> &str {
        self.toks
            .get(k)
            .map_or("", |t| t.span.slice(self.view.text))
    }

    /// The word lower-cased, ’ as '.
    fn lower(&self, k: usize) -> Cow<'_, str> {
        match lowercase(self.word(k)) {
            Cow::Owned(word) if word.contains('’') => Cow::Owned(word.replace('’', "'")),
            word => word,
        }
    }

    fn is_word(&self, k: usize) -> bool {
        self.toks
            .get(k)
            .is_some_and(|t| matches!(t.kind, TokenKind::Word | TokenKind::Han))
    }

    fn punct(&self, k: usize) -> Option<char> {
        let t = self.toks.get(k)?;
        if t.kind != TokenKind::Punct {
            return None;
        }
        t.span.slice(self.view.text).chars().next()
    }

    /// A lower-case adverb in -ly ("merely", "repeatedly"): never part of a source.
    fn adverb(&self, k: usize) -> bool {
        let w = self.word(k);
        w.len() >= 5 && w.ends_with("ly") && w.starts_with(|c: char| c.is_lowercase())
    }

    /// Where "issued a statement" (or "released a notice", "put out a statement") starts, when
    /// it ends just before token `k`.
    fn statement_before(&self, k: usize) -> Option<usize> {
        let noun = k.checked_sub(1).filter(|&j| self.has("statement", j))?;
        let mut j = noun;
        if j > 0 && self.has("determiner", j - 1) {
            j -= 1;
        }
        if j > 0 && self.lower(j - 1) == "out" {
            j -= 1;
        }
        (j > 0 && self.has("statement_verb", j - 1)).then(|| j - 1)
    }

    /// Whether tokens `from..to` can be a source: a noun phrase, not a clause ("After the
    /// minister left"), a lone adverb or a lone lower-case -ing form ("reviewing").
    fn nominal(&self, from: usize, to: usize) -> bool {
        let words: Vec<usize> = (from..to).filter(|&j| self.is_word(j)).collect();
        let Some(&first) = words.first() else {
            return false;
        };
        // "After the minister left", "On Monday", "in a statement", "last week": a clause, a
        // prepositional phrase or a time is when or how something was said, not who said it.
        if self.has("subordinator", first)
            || self.has("preposition", first)
            || words
                .iter()
                .all(|&j| self.has("time", j) || self.has("determiner", j))
        {
            return false;
        }
        let lone = words.len() == 1;
        let gerund = !self.capitalised(first) && self.lower(first).ends_with("ing");
        !(lone && (self.adverb(first) || gerund))
    }

    fn capitalised(&self, k: usize) -> bool {
        self.word(k).chars().next().is_some_and(char::is_uppercase)
    }

    fn has(&self, section: &str, k: usize) -> bool {
        self.lex.sources.has(section, &self.lower(k))
    }

    /// Whether token `k` lies inside a quotation (then a "said" in it is quoted speech).
    fn quoted(&self, k: usize) -> bool {
        let Some(t) = self.toks.get(k) else {
            return false;
        };
        self.view.quote_around(t.span).is_some()
    }

    fn span_of(&self, from: usize, to: usize) -> Span {
        Span::new(self.toks[from].span.start, self.toks[to - 1].span.end)
    }

    /// "Prof. Bernard Lai: US just want…", "GT: …", "Hammond: …" at the start of a sentence.
    fn colon(&self) -> Option<Attribution> {
        let c = (1..self.toks.len().min(9)).find(|&k| self.punct(k) == Some(':'))?;
        let words: Vec<usize> = (0..c).filter(|&k| self.is_word(k)).collect();
        if words.is_empty() || words.len() > 6 {
            return None;
        }
        let label = (0..c).map(|k| self.lower(k)).collect::<Vec<_>>().join(" ");
        if self.lex.sources.has("label", label.trim()) {
            return None;
        }
        let name_like = words
            .iter()
            .all(|&k| self.capitalised(k) || self.has("determiner", k) || self.has("role", k))
            && words.iter().any(|&k| self.capitalised(k));
        let has_verb = words
            .iter()
            .any(|&k| self.lex.verbs.contains(self.lower(k).as_ref()));
        if !name_like || has_verb || c + 2 >= self.toks.len() {
            return None;
        }
        let source = self.span_of(0, c);
        let content = self.content_from(self.toks[c + 1].span.start)?;
        let (mut kind, mut descriptor) = self.classify(0, c);
        // "GT: …" in an interview: the outlet asking its own questions.
        if self.outlet.is_self(source.slice(self.text())) {
            (kind, descriptor) = (SourceType::SelfOutlet, None);
        }
        Some(self.build(
            source,
            (kind, descriptor),
            self.toks[c].span,
            content,
            "headline colon",
        ))
    }

    /// An attribution whose cue is token `k`, if the rules find a source and a content.
    fn at_cue(&self, k: usize) -> Option<Attribution> {
        let w = self.lower(k);
        if self.quoted(k) {
            return None;
        }
        if w == "according" {
            return (self.lower(k + 1) == "to")
                .then(|| self.according(k))
                .flatten();
        }
        if !self.lex.verbs.contains(w.as_ref())
            || !self.word(k).starts_with(|c: char| c.is_lowercase())
        {
            return None;
        }
        let next = self.lower(k + 1);
        let prev = if k > 0 {
            self.lower(k - 1)
        } else {
            Cow::Borrowed("")
        };
        if prev == "to" || (nounlike(&w) && self.has("determiner", k.wrapping_sub(1))) {
            return None;
        }
        // "media reports claimed": a cue form followed by a past-tense cue is a noun; so is one
        // of the noun-like forms before another cue ("the audit report said") or before a
        // clause break ("Reviewing earlier reports, the panel said").
        if self.lex.verbs.contains(next.as_ref()) && next.ends_with("ed") {
            return None;
        }
        if nounlike(&w)
            && (self.lex.verbs.contains(next.as_ref())
                || matches!(self.punct(k + 1), Some(',' | '.' | ';'))
                || k + 1 >= self.toks.len())
        {
            return None;
        }
        let mut cue_end = k + 1;
        match w.as_ref() {
            "point" | "points" | "pointed" => {
                if next != "out" {
                    return None;
                }
                cue_end = k + 2;
            }
            "called" | "call" | "calls" | "calling" => {
                let quote_soon = (k + 1..(k + 6).min(self.toks.len()))
                    .any(|j| matches!(self.punct(j), Some('“' | '"' | '‘')));
                if !quote_soon {
                    return None;
                }
            }
            "continued" | "continue" | "continues"
                if !(matches!(self.punct(k + 1), Some(',' | ':' | '“' | '"' | '.'))
                    || k + 1 >= self.toks.len()) =>
            {
                return None;
            }
            _ if finds(&w) && next != "that" && next != "from" => {
                return None;
            }
            _ => {}
        }
        // "added:" and "said of" keep the colon or "of" in the cue.
        if matches!(self.punct(cue_end), Some(':')) || self.lower(cue_end) == "of" {
            cue_end += 1;
        }
        // "has also said", "merely claimed": auxiliaries and adverbs between source and verb
        // belong to the cue, never to the source.
        let mut cue_start = k;
        while cue_start > 0
            && (self.has("auxiliary", cue_start - 1) || self.adverb(cue_start - 1))
            && k - cue_start < 3
        {
            cue_start -= 1;
        }
        // "issued a statement saying": the statement is part of the cue, its issuer the source.
        if w == "saying" {
            if let Some(from) = self.statement_before(k) {
                cue_start = from;
            }
        }
        let cue = self.span_of(cue_start, cue_end);

        if let Some((s_from, s_to)) = self
            .np_before(cue_start)
            .filter(|&(f, t)| self.nominal(f, t))
        {
            let mut source = self.span_of(s_from, s_to);
            let (mut kind, mut descriptor) = self.classify(s_from, s_to);
            // "The Global Times has learned": a publication that learns is the outlet itself.
            if finds(&w) && self.outlet.is_self(source.slice(self.text())) {
                (kind, descriptor) = (SourceType::SelfOutlet, None);
            }
            // The outlet that learns, or is told ("told the Global Times"), cites itself even
            // when the source becomes "sources" below.
            let mut self_cited = kind == SourceType::SelfOutlet;
            let mut after = cue_end;
            // "The Global Times has learned from sources that…"
            if finds(&w) && self.lower(cue_end) == "from" {
                if let Some((f_from, f_to)) = self.np_after(cue_end + 1) {
                    source = self.span_of(f_from, f_to);
                    (kind, descriptor) = self.classify(f_from, f_to);
                    after = f_to;
                }
            }
            let (_, receiver) = self.receiver(after, &w);
            if receiver.is_some_and(|r| self.outlet.is_self(r.slice(self.text()))) {
                self_cited = true;
            }
            let (content, rule) = match self.content_after(after, &w) {
                Some((content, _)) => (content, "source-cue-content"),
                None => {
                    let content = self.content_before(s_from)?;
                    (self.split_quote(content, cue_end), "content-source-cue")
                }
            };
            let mut found = self.build(source, (kind, descriptor), cue, content, rule);
            found.self_citation |= self_cited;
            return Some(found);
        }
        // "Trump visited Orlando and said…", "…, adding that…": the sentence's subject speaks.
        let coordinated = cue_start > 0
            && (matches!(self.lower(cue_start - 1).as_ref(), "and" | "but")
                || (self.punct(cue_start - 1) == Some(',') && w.ends_with("ing")));
        if coordinated {
            if let Some((s_from, s_to)) = self.np_after(0).filter(|&(_, to)| to < cue_start) {
                let (kind, descriptor) = self.classify(s_from, s_to);
                if let Some((content, _)) = self.content_after(cue_end, &w) {
                    return Some(self.build(
                        self.span_of(s_from, s_to),
                        (kind, descriptor),
                        cue,
                        content,
                        "subject-and-cue",
                    ));
                }
            }
        }
        // "“…,” said Wang Wenbin." — the cue comes first, the source after it.
        let content = self.content_before(cue_start)?;
        let (s_from, s_to) = self.np_after_appositive(cue_end)?;
        let content = self.split_quote(content, s_to);
        let (kind, descriptor) = self.classify(s_from, s_to);
        Some(self.build(
            self.span_of(s_from, s_to),
            (kind, descriptor),
            cue,
            content,
            "content-cue-source",
        ))
    }

    /// "According to X, …" and "…, according to X."
    fn according(&self, k: usize) -> Option<Attribution> {
        let (s_from, s_to) = self.np_after(k + 2)?;
        let (kind, descriptor) = self.classify(s_from, s_to);
        let cue = self.span_of(k, k + 2);
        let content = if k > 0 && self.punct(k - 1) == Some(',') {
            let end = self.toks[k - 1].span.start;
            super::trim_punct(self.text(), Span::new(self.span.start, end))
        } else {
            let comma = (s_to..self.toks.len()).find(|&j| self.punct(j) == Some(','))?;
            self.content_from(self.toks.get(comma + 1)?.span.start)?
        };
        if content.is_empty() {
            return None;
        }
        Some(self.build(
            self.span_of(s_from, s_to),
            (kind, descriptor),
            cue,
            content,
            "according-to",
        ))
    }

    /// The source phrase ending just before token `end` (exclusive), walking back.
    fn np_before(&self, end: usize) -> Option<(usize, usize)> {
        if end == 0 {
            return None;
        }
        // "Trump, who said…": the relative pronoun is the source.
        if self.lower(end - 1) == "who" {
            return Some((end - 1, end));
        }
        // "Li Haidong, a professor at …, told": a name and its apposition.
        if self.punct(end - 1) == Some(',') {
            let open = (end.saturating_sub(16)..end - 1)
                .rev()
                .find(|&j| self.punct(j) == Some(','))?;
            let (from, _) = self.np_walk(open)?;
            let words: Vec<usize> = (open + 1..end - 1).filter(|&j| self.is_word(j)).collect();
            // ", however," and ", too," are asides, not appositions.
            let aside = words.len() == 1
                && (self.lower(words[0]).ends_with("ly")
                    || matches!(
                        self.lower(words[0]).as_ref(),
                        "however"
                            | "meanwhile"
                            | "too"
                            | "though"
                            | "also"
                            | "instead"
                            | "moreover"
                    ));
            if aside {
                return Some((from, open));
            }
            // The comma closing the apposition belongs to the source, as PolNeAR marks it.
            return (!words.is_empty()).then_some((from, end));
        }
        // "an expert who asked not to be named told": keep the relative clause.
        if let Some(who) = (end.saturating_sub(10)..end)
            .rev()
            .find(|&j| self.lower(j) == "who")
        {
            let clause_clean = (who + 1..end).all(|j| self.is_word(j));
            if clause_clean && who > 0 {
                if let Some((from, _)) = self.np_walk(who) {
                    return Some((from, end));
                }
            }
        }
        self.np_walk(end)
    }

    /// Walks back from `end` over words that can belong to a noun phrase.
    fn np_walk(&self, end: usize) -> Option<(usize, usize)> {
        let mut from = end;
        let mut k = end;
        while k > 0 && end - k < 12 {
            let j = k - 1;
            if let Some(p) = self.punct(j) {
                // "Mr." "Dr." and initials keep going.
                let abbrev =
                    p == '.' && j > 0 && self.capitalised(j - 1) && self.word(j - 1).len() <= 4;
                if abbrev || matches!(p, '-' | '&' | '\'' | '’') {
                    k = j;
                    continue;
                }
                break;
            }
            if !self.is_word(j) {
                break;
            }
            // "sources close to the matter", "people familiar with the talks"
            let linked = j > 0
                && matches!(
                    self.lower(j - 1).as_ref(),
                    "close"
                        | "closest"
                        | "familiar"
                        | "linked"
                        | "near"
                        | "related"
                        | "briefed"
                        | "according"
                );
            if linked {
                from = j;
                k = j;
                continue;
            }
            if self.has("function", j)
                || self.has("time", j)
                || (!self.capitalised(j)
                    && self.lex.verbs.contains(self.lower(j).as_ref())
                    && !(j + 1 == end && nounlike(&self.lower(j))))
            {
                break;
            }
            if self.has("preposition", j) {
                // "the head of the ministry" keeps "of"-like links; "In 2015" or ", at …" ends.
                let starts_clause = j == 0 || self.punct(j - 1).is_some() || from == end;
                if starts_clause {
                    break;
                }
            }
            from = j;
            k = j;
        }
        // Leading prepositions left over from a clause start are not the source.
        while from < end && self.has("preposition", from) {
            from += 1;
        }
        (from < end && (from..end).any(|j| self.is_word(j))).then_some((from, end))
    }

    /// The source phrase starting at token `from`, walking forward ("said Wang Wenbin, …").
    fn np_after(&self, from: usize) -> Option<(usize, usize)> {
        let mut to = from;
        while to < self.toks.len() && to - from < 10 {
            if let Some(p) = self.punct(to) {
                let abbrev = p == '.'
                    && to > from
                    && self.capitalised(to - 1)
                    && self.word(to - 1).len() <= 3
                    && to + 1 < self.toks.len();
                if abbrev || matches!(p, '-' | '&' | '\'' | '’') {
                    to += 1;
                    continue;
                }
                break;
            }
            if to > from
                && (self.has("function", to) || self.has("time", to) || self.lower(to) == "that")
            {
                break;
            }
            if to > from
                && self.has("preposition", to)
                && !self.capitalised(to + 1)
                && self.lower(to) != "of"
            {
                break;
            }
            if self.lex.verbs.contains(self.lower(to).as_ref()) && !self.capitalised(to) {
                break;
            }
            to += 1;
        }
        let first_ok = self.capitalised(from)
            || self.has("determiner", from)
            || self.has("anonymous", from)
            || self.has("vague_group", from)
            || self.has("qualifier", from)
            || self.has("pronoun", from);
        if !(to > from && first_ok) {
            return None;
        }
        Some((from, to))
    }

    /// `np_after` plus an apposition: "said Gene B. Sperling, a former adviser to …" runs to
    /// the next comma (kept) or the end of the sentence.
    fn np_after_appositive(&self, from: usize) -> Option<(usize, usize)> {
        let (from, to) = self.np_after(from)?;
        if self.punct(to) == Some(',')
            && (self.has("determiner", to + 1)
                || self.has("role", to + 1)
                || self.capitalised(to + 1))
        {
            let mut j = to + 1;
            while j < self.toks.len() {
                match self.punct(j) {
                    Some(',') => return Some((from, j + 1)),
                    Some('.') if j + 1 == self.toks.len() => break,
                    Some('.' | '-' | '\'' | '’') | None => j += 1,
                    Some(_) => break,
                }
            }
            return Some((from, j));
        }
        Some((from, to))
    }

    /// The content after the cue (and after the person told), to the end of the sentence.
    fn content_after(&self, after: usize, verb: &str) -> Option<(Span, Option<Span>)> {
        let n = self.toks.len();
        let (k, receiver) = self.receiver(after, verb);
        // Skip "on Wednesday", "in a statement", "at a press conference" up to "that", a comma
        // or colon, or a quotation.
        let mut start = self.toks.get(k)?.span.start;
        for j in k..n.min(k + 14) {
            if self.lower(j) == "that" {
                start = self.toks[j].span.start;
                break;
            }
            match self.punct(j) {
                Some(',' | ':') => {
                    let next = self.toks.get(j + 1)?;
                    start = next.span.start;
                    break;
                }
                Some('“' | '"' | '‘' | '「') => {
                    start = self.toks[j].span.start;
                    break;
                }
                Some(_) => break,
                None => {}
            }
            let adverbial = self.has("preposition", j)
                || self.has("time", j)
                || self.has("determiner", j)
                || self.capitalised(j)
                || self.has("receiver", j)
                || matches!(
                    self.lower(j).as_ref(),
                    "statement"
                        | "interview"
                        | "conference"
                        | "press"
                        | "briefing"
                        | "rally"
                        | "speech"
                        | "post"
                        | "tweet"
                        | "email"
                        | "letter"
                        | "routine"
                        | "news"
                        | "television"
                );
            if !adverbial {
                break;
            }
        }
        let content = self.content_from(start)?;
        // Nothing but "on Tuesday." after the cue: the content must come before the source.
        let words = self.toks[k..]
            .iter()
            .filter(|t| t.span.start >= content.start && t.is_word())
            .count();
        let opens_clause = self.word_at(content.start).is_some_and(|w| w == "that")
            || self.view.text[content.start..].starts_with(['“', '"', '‘']);
        let trailing_adverbial =
            (self.has("preposition", k) || self.has("time", k)) && !opens_clause;
        if words == 0
            || (trailing_adverbial && start == self.toks[k].span.start && !self.comma_between(k))
        {
            return None;
        }
        Some((content, receiver))
    }

    /// The person told, after "told"/"asked": up to "that", punctuation, or a time phrase.
    /// Returns the token after it and its span.
    fn receiver(&self, after: usize, verb: &str) -> (usize, Option<Span>) {
        if !tells(verb) {
            return (after, None);
        }
        let n = self.toks.len();
        let mut k = after;
        while k < n && k - after < 8 {
            let stop = self.lower(k) == "that"
                || self
                    .punct(k)
                    .is_some_and(|p| !matches!(p, '.' | '\'' | '’' | '-'))
                || (k > after
                    && (self.has("preposition", k) || self.has("time", k))
                    && !self.capitalised(k));
            if stop {
                break;
            }
            k += 1;
        }
        (k, (k > after).then(|| self.span_of(after, k)))
    }

    fn word_at(&self, byte: usize) -> Option<String> {
        self.toks
            .iter()
            .find(|t| t.span.start == byte)
            .map(|t| t.span.slice(self.view.text).to_lowercase())
    }

    fn comma_between(&self, k: usize) -> bool {
        (k..self.toks.len()).any(|j| self.punct(j) == Some(','))
    }

    fn content_from(&self, start: usize) -> Option<Span> {
        super::content_from(self.view, self.span, start)
    }

    /// “A,” Wang said, “B.”: a quotation resumed right after the source and cue joins the first.
    fn split_quote(&self, content: Span, after: usize) -> Span {
        if self.punct(after) != Some(',') {
            return content;
        }
        let Some(next) = self.toks.get(after + 1) else {
            return content;
        };
        self.view
            .quote_starting_at(next.span.start)
            .map_or(content, |q| content.cover(&q.span))
    }

    /// The content before the source: the quotation ending just before it, or the clause up to
    /// the comma ("The plan failed, he said").
    fn content_before(&self, source_start: usize) -> Option<Span> {
        let at = self.toks.get(source_start)?.span.start;
        let before = self.view.text[..at].trim_end();
        // The quotation may be the sentence before: `…border?" Li asked.`
        let first = source_start == 0;
        if let Some(q) = self
            .view
            .quote_ending_at(before.len())
            .filter(|q| first || q.span.end > self.span.start)
        {
            return Some(q.span);
        }
        let end = self.span.start.max(before.len());
        if before.ends_with(',') && end > self.span.start + 1 {
            let span = super::trim_punct(self.text(), Span::new(self.span.start, end - 1));
            let words = self
                .toks
                .iter()
                .filter(|t| span.contains(&t.span) && t.is_word())
                .count();
            return (words >= 2).then_some(span);
        }
        None
    }

    /// What kind of source the tokens `from..to` name, and its descriptor.
    fn classify(&self, from: usize, to: usize) -> (SourceType, Option<String>) {
        let text = self.span_of(from, to).slice(self.text());
        if to - from == 1 && self.has("pronoun", from) {
            return (SourceType::Pronoun, None);
        }
        if self.lower(from) == "who" && to - from == 1 {
            return (SourceType::Pronoun, None);
        }
        // The head phrase before an apposition: "Li Haidong, a professor at …".
        let comma = (from..to).find(|&j| self.punct(j) == Some(','));
        let (head_to, appositive) = match comma {
            Some(c) if c > from => (
                c,
                Some(
                    self.span_of(c + 1, to)
                        .slice(self.text())
                        .trim()
                        .trim_end_matches(',')
                        .to_string(),
                ),
            ),
            _ => (to, None),
        };
        let head_phrase = self.span_of(from, head_to).slice(self.text());
        if self.outlet.is_known_self(head_phrase) {
            return (SourceType::SelfOutlet, None);
        }
        let words: Vec<usize> = (from..head_to).filter(|&j| self.is_word(j)).collect();
        let Some(&head) = words.last() else {
            return (SourceType::VagueGroup, None);
        };
        let qualified = words.iter().any(|&j| self.has("qualifier", j));
        // A "who" relative clause: the head is the word before "who".
        let head = words
            .iter()
            .position(|&j| self.lower(j) == "who")
            .and_then(|p| p.checked_sub(1).map(|p| words[p]))
            .unwrap_or(head);
        // "People from the region", "the head of the ministry": the head comes before the
        // first preposition.
        let head = words
            .iter()
            .position(|&j| j > from && self.has("preposition", j))
            .and_then(|p| p.checked_sub(1).map(|p| words[p]))
            .unwrap_or(head);
        let head_lower = self.lower(head);
        let lower_text = text.to_lowercase();
        let familiar = lower_text.contains("familiar with")
            || lower_text.contains("close to")
            || lower_text.contains("briefed")
            || lower_text.contains("knowledge of")
            || text.contains("anonymity")
            || text.contains("not to be named");
        if self.has("group_place", head) && !familiar && words.len() > 1 {
            return (SourceType::VagueGroup, None);
        }
        if self.has("vague_group", head)
            || (qualified && head_lower.ends_with('s') && !self.capitalised(head))
        {
            return (SourceType::VagueGroup, None);
        }
        if self.has("anonymous", head) || familiar {
            return (SourceType::Anonymous, None);
        }
        let acronym = |j: usize| {
            let w = self.word(j);
            w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase())
        };
        if self.capitalised(head) && !self.has("role", head) {
            // Only the trailing run of capitalised words is the name: "Chinese Foreign
            // Ministry spokesperson Wang Wenbin" is a person, "the US State Department" a body.
            let run_from = words
                .iter()
                .rposition(|&j| !self.capitalised(j))
                .map_or(0, |p| p + 1);
            let org = words[run_from..].iter().any(|&j| self.has("org", j)) || acronym(head);
            if org {
                return (SourceType::NamedOrg, appositive);
            }
            // The name is the run of capitalised words at the end; what precedes describes it.
            let mut name_from = words.len();
            while name_from > 0 {
                let j = words[name_from - 1];
                if self.capitalised(j) && !self.has("role", j) && !self.has("org", j) {
                    name_from -= 1;
                } else {
                    break;
                }
            }
            let descriptor = if name_from > 0 {
                let d = self
                    .span_of(from, words[name_from - 1] + 1)
                    .slice(self.text());
                let d = d.trim_start_matches(|c: char| !c.is_alphanumeric());
                Some(strip_determiner(d).to_string())
            } else {
                appositive
            };
            return (
                SourceType::NamedPerson,
                descriptor.filter(|d| !d.is_empty()),
            );
        }
        if self.has("org", head) {
            return (SourceType::NamedOrg, None);
        }
        if self.has("role", head) {
            return (
                SourceType::Role,
                Some(strip_determiner(head_phrase).to_string()),
            );
        }
        if self.has("determiner", from) && !self.has("qualifier", from) {
            return (SourceType::NamedOrg, None);
        }
        (
            if head_lower.ends_with('s') {
                SourceType::VagueGroup
            } else {
                SourceType::Anonymous
            },
            None,
        )
    }

    /// An attribution in this sentence; the outlet as source makes it a self-citation.
    fn build(
        &self,
        source: Span,
        kind_and_descriptor: (SourceType, Option<String>),
        cue: Span,
        content: Span,
        rule: &'static str,
    ) -> Attribution {
        Attribution::new(
            source,
            kind_and_descriptor,
            cue,
            content,
            rule,
            self.paragraph,
        )
    }
}

/// `s` without a leading article (`[article]`): "the spokesperson" → "spokesperson".
fn strip_determiner(s: &str) -> &str {
    match s.split_once(' ') {
        Some((first, rest)) if lexicon().sources.has("article", &lowercase(first)) => rest,
        _ => s,
    }
}
