//! The article body of a page: drop what is never content, score text blocks, pick the element
//! that holds the article, and print its blocks as paragraphs.
//!
//! The scoring follows Readability (paragraph scores flow to their ancestors, discounted by link
//! density); the pruning and the paragraph filters follow trafilatura. Both are re-derived here
//! on our own tree because the crates that port them scored below our bar on the benchmarks and
//! are several times slower (ARCHITECTURE.md has the figures).

use std::sync::OnceLock;

use regex::Regex;

use super::dom::{is_heading, push_collapsed, Dom, NodeData, NodeId};

/// Tags whose subtree is never article text.
const NEVER_CONTENT: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "button",
    "select",
    "option",
    "input",
    "textarea",
    "head",
    "title",
    "nav",
    "footer",
    "aside",
    "menu",
    "dialog",
    "label",
    "figcaption",
    "map",
    "picture",
    "source",
    "img",
];

/// Tags that flow inside a paragraph; every other element starts a new block.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr", "br", "img", "label", "acronym", "o:p",
];

fn is_inline(tag: &str) -> bool {
    INLINE.contains(&tag)
}

/// Declares `fn $name(text: &str) -> bool`: does the trimmed text match the pattern (compiled
/// once, on first use)?
macro_rules! matcher {
    ($(#[$doc:meta])* $name:ident, $pattern:expr) => {
        $(#[$doc])*
        fn $name(text: &str) -> bool {
            static RE: OnceLock<Regex> = OnceLock::new();
            regex(&RE, $pattern).is_match(text.trim())
        }
    };
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern: {e}")))
}

matcher!(
    /// Class or id words of page furniture (readability's "unlikely candidates", trafilatura's
    /// discard list, and what the benchmark pages use).
    boilerplate_name,
    r"(?i)(^|[-_ ])(comments?|comment-?list|disqus|share|sharing|social|related|recommend(ed|ations)?|newsletter|subscribe|subscription|promo|advert|advertisement|ads?|ad-?slot|sponsor(ed)?|cookie|popup|modal|breadcrumbs?|pagination|pager|sidebar|side-?bar|widget|footer|nav|navbar|navigation|menu|masthead|toolbar|print|login|signup|outbrain|taboola|rss|skip|banner|byline|author-?(bio|info|box)|tags?|tag-?list|categories|meta|caption|credit|inline-?ad|most-?(read|popular)|trending|more-?stories|read-?more|read-?next|up-?next|also-?read|hidden|visually-?hidden|sr-only|screen-?reader|jump-?link|toc|table-?of-?contents|newsletter-?signup|paywall|login-?wall|supplemental|yom-remote|gdpr|consent|overlay|infobox|sitemap|copyright|disclaimer|references|bibliography)($|[-_ 0-9])"
);

matcher!(
    /// Class or id words of article containers.
    content_name,
    r"(?i)article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|column"
);

matcher!(
    strong_content_name,
    r"(?i)(article|story|entry|post|news)[-_]?(body|content|text|main)|articlebody|article__body|storytext|main-?content|detail[-_]?content|rich-?text|content[-_]?(body|text|article)|body[-_]?(text|copy)|artibody|article-?detail|text-?content"
);

matcher!(
    /// Whole blocks that are a platform's voice rather than the article's.
    boilerplate_block,
    r"(?i)^[【\[(（]?(advertisement|ad|sponsored( content)?|story continues below( advertisement)?|continue reading( below)?|read more|related( articles| stories| content)?|share( this( article| story)?)?|follow us|sign up|subscribe( now)?|click here|see also|more from .{0,40}|recommended( for you)?|you may also like.*|this article is more than .{0,30} old|image|photo|video|getty images|caption|advertisement - scroll to continue|skip (to|advertisement).*|loading\.*|相关(新闻|阅读|文章)|图集|组图|视频|图片|责任编辑.{0,20}|编辑.{0,10}|分享到.*|返回顶部|点击.{0,10}|【纠错】.*|扫一扫.*)[.:：!！]*[】\])）]?$"
);

matcher!(
    /// Sentences that, in a short block, mark it as the platform's notice (rights, app and
    /// newsletter promotion, disclaimers, reading-time labels).
    boilerplate_sentence,
    r"(?i)©|\bcopyright(ed)?\b|all rights reserved|版权所有|written permission|(follow|like) (us|\w+( \w+)?) on (twitter|facebook|instagram)|subscribe (now|to|for)|sign up (for|to)|(get|download|install) .{0,80}\bapps?\b|last (modified|updated):?\s*\d|(immediate|instant|unlimited) (online |digital )?access to|(buy|purchase) (this )?(article|issue|subscription)|(log|sign) in to (read|continue|comment)|not responsible for the (opinions|content)|^\d+ min(ute)?s? read$|^(related coverage|latest (articles|news|stories)|search .{0,30}|last (modified|updated):?|release date:?)$|we want to hear what you think|get the latest .{0,40} (delivered|in your inbox)|(本文|本网)?(来源|稿件来源)[:：].{0,20}$|转载请注明"
);

matcher!(
    /// A block that is only a date line ("Last modified: 11 Jan 2019 10:02") or only a web address.
    date_or_address_line,
    r"(?i)^((last )?(modified|updated|published|posted|release date)( on)?:?\s*)?((\w{3,9},?\s+)?\d{1,2}(st|nd|rd|th)?\.?\s+\w{3,9}\.?,?\s+\d{4}|\w{3,9}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}/\d{1,2}/\d{2,4})?([\sT,]+(at\s+)?\d{1,2}:\d{2}(:\d{2})?\s*([ap]\.?m\.?)?(\s*[a-z]{2,4})?)?$|^(https?://)?(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/\S*)?$"
);

matcher!(
    /// A block that opens with a copyright sign or word is a rights notice, however long.
    rights_notice,
    r"(?i)^(©|\(c\)\s*\d{4}|copyright\b|版权所有)"
);

matcher!(
    /// Headings that announce the page's furniture after an article.
    furniture_heading,
    r"(?i)^(\d+\s+)?(comments?|responses?|replies|leave a (reply|comment)|join the (conversation|discussion)|related( articles| stories| posts| content| coverage| news| links)?|(read|see) (more|also)|more (stories|from .{1,40}|on this( story| topic)?|news)|you (may|might) also like|recommended( for you| stories)?|latest (news|articles|stories|posts)|popular( now| stories)?|most (read|popular|viewed)|trending( now)?|share this( article| story| post)?|about the author|newsletter|评论|网友评论|相关(新闻|阅读|文章|推荐|报道)|热门推荐|推荐阅读)(\s*\(\d+\))?[:：]?$"
);

/// One item of a block's content as `Analysis::inline_content` walks it.
enum Inline<'a> {
    /// Text, and whether it is inside a link.
    Text(&'a str, bool),
    Break,
    Block(NodeId),
}

/// Part of a block's content, in order (see `Analysis::block_pieces`).
enum Piece {
    Text(String, usize),
    Block(NodeId),
}

/// Ends the current run of text as a piece (when it holds any).
fn flush(text: &mut String, link: &mut usize, pieces: &mut Vec<Piece>) {
    if !text.trim().is_empty() {
        pieces.push(Piece::Text(std::mem::take(text), *link));
    }
    text.clear();
    *link = 0;
}

fn names(dom: &Dom, id: NodeId) -> String {
    let mut s = String::new();
    if let Some(c) = dom.attr(id, "class") {
        s.push_str(c);
    }
    if let Some(i) = dom.attr(id, "id") {
        s.push(' ');
        s.push_str(i);
    }
    s
}

fn hidden(dom: &Dom, id: NodeId) -> bool {
    if dom.attr(id, "hidden").is_some() || dom.attr(id, "aria-hidden") == Some("true") {
        return true;
    }
    dom.attr(id, "style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// Length that treats a Han character as a short word, so thresholds fit both languages.
fn weighted_len(text: &str) -> usize {
    text.chars()
        .map(|c| if crate::text::script::is_han(c) { 3 } else { 1 })
        .sum()
}

struct Analysis<'d> {
    dom: &'d Dom,
    pass: Pass,
    removed: Vec<bool>,
    /// Per element: weighted length of its text, and of the part inside links.
    text_len: Vec<usize>,
    link_len: Vec<usize>,
    score: Vec<f64>,
    scored: Vec<bool>,
}

/// The main text of a page, paragraphs separated by blank lines.
pub fn main_text(dom: &Dom) -> String {
    let body = dom.elements("body").next().unwrap_or(0);
    let mut pass = Pass {
        by_name: true,
        captions: false,
    };
    let mut text = main_text_with(dom, body, pass);
    // Class names mislead on some sites (a page-wide wrapper called "…sidebar"); when the
    // result is thin, Readability's way applies: try again trusting tags alone.
    if weighted_len(&text) < 250 {
        let retry = main_text_with(
            dom,
            body,
            Pass {
                by_name: false,
                ..pass
            },
        );
        if weighted_len(&retry) > 2 * weighted_len(&text) {
            pass.by_name = false;
            text = retry;
        }
    }
    // A short result may be a gallery whose story is told in its captions.
    if weighted_len(&text) < 1000 {
        let retry = main_text_with(
            dom,
            body,
            Pass {
                captions: true,
                ..pass
            },
        );
        if weighted_len(&retry) > 2 * weighted_len(&text) {
            text = retry;
        }
    }
    text
}

/// What one extraction pass may trust.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Class and id names may remove elements.
    by_name: bool,
    /// Figure captions count as text.
    captions: bool,
}

fn main_text_with(dom: &Dom, body: NodeId, pass: Pass) -> String {
    let mut a = Analysis::new(dom, pass);
    a.mark_removed(body);
    a.measure();
    a.score_blocks();
    let containers = a.containers(body);
    let mut out = Vec::new();
    if let Some(lead) = containers.first().and_then(|&c| a.standfirst(c)) {
        out.push(lead);
    }
    for c in containers {
        a.emit(c, &mut out);
    }
    out.join("\n\n")
}

matcher!(
    /// Class words of a standfirst: the lead paragraph printed under the headline.
    standfirst_name,
    r"(?i)(^|[-_ ])(lead|standfirst|dek|deck|sub-?title|sub-?head(line)?|summary|excerpt|intro|teaser|sapo|bajada|entradilla|chapeau|article-?description)($|[-_ ])"
);

impl<'d> Analysis<'d> {
    fn new(dom: &'d Dom, pass: Pass) -> Self {
        let n = dom.nodes.len();
        Analysis {
            dom,
            pass,
            removed: vec![false; n],
            text_len: vec![0; n],
            link_len: vec![0; n],
            score: vec![0.0; n],
            scored: vec![false; n],
        }
    }

    fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.dom.nodes[id].parent
    }

    /// Parents come before children in the arena, so one forward pass propagates removal.
    /// First by tag; then, with the text measured, by class and id names.
    fn mark_removed(&mut self, body: NodeId) {
        let dom = self.dom;
        for id in 1..dom.nodes.len() {
            let parent_removed = self.parent(id).is_some_and(|p| self.removed[p]);
            self.removed[id] = parent_removed || self.drops_by_tag(id);
        }
        self.measure();
        let holds_article = self.holds_article();
        let page_len = self.text_len[body] - self.link_len[body];
        for (id, &holds_article) in holds_article.iter().enumerate().skip(1) {
            if self.removed[id] {
                continue;
            }
            let parent_removed = self.parent(id).is_some_and(|p| self.removed[p]);
            // A wrapper holding most of the page's prose is never furniture, whatever its name.
            let prose = self.text_len[id] - self.link_len[id];
            self.removed[id] = parent_removed
                || (!holds_article && prose * 2 < page_len && self.drops_by_name(id));
        }
    }

    /// Per node: whether it is or contains an element marked as the article body.
    fn holds_article(&self) -> Vec<bool> {
        let dom = self.dom;
        let mut holds = vec![false; dom.nodes.len()];
        for id in (1..dom.nodes.len()).rev() {
            let Some(tag) = dom.tag(id) else { continue };
            let marked = matches!(tag, "article" | "main")
                || dom
                    .attr(id, "itemprop")
                    .is_some_and(|p| p.contains("articleBody"))
                || strong_content_name(&names(dom, id));
            if marked || holds[id] {
                if let Some(p) = self.parent(id) {
                    holds[p] = true;
                }
                holds[id] = true;
            }
        }
        holds
    }

    fn drops_by_tag(&self, id: NodeId) -> bool {
        let dom = self.dom;
        match dom.tag(id) {
            Some("html" | "body" | "article" | "main") | None => false,
            Some("figcaption") if self.pass.captions => hidden(dom, id),
            Some(tag) => NEVER_CONTENT.contains(&tag) || hidden(dom, id),
        }
    }

    /// Forms (search boxes, sign-up forms) and headers go too, unless a page wraps itself in
    /// one. A page or article header (masthead, headline, byline) is not body text; a section
    /// header around an h2–h6 (accordions, long guides) is.
    fn drops_by_name(&self, id: NodeId) -> bool {
        let dom = self.dom;
        match dom.tag(id) {
            Some("form") => true,
            Some("header") => {
                let mut headings = dom
                    .descendants(id)
                    .filter_map(|n| dom.tag(n))
                    .filter(|t| is_heading(t))
                    .peekable();
                headings.peek().is_none() || headings.any(|t| t == "h1")
            }
            _ if !self.pass.by_name => false,
            Some("html" | "body" | "article" | "main" | "a") | None => false,
            Some(_) => {
                let names = names(dom, id);
                let caption = self.pass.captions && names.to_ascii_lowercase().contains("caption");
                !names.is_empty() && !caption && boilerplate_name(&names)
            }
        }
    }

    /// Text and link lengths per element, children before parents (reverse arena order).
    fn measure(&mut self) {
        let dom = self.dom;
        for id in (0..dom.nodes.len()).rev() {
            if self.removed[id] {
                continue;
            }
            let own = match &dom.nodes[id].data {
                NodeData::Text(t) => weighted_len(t.trim()),
                _ => 0,
            };
            let mut len = own;
            let mut link = 0;
            for &c in &dom.nodes[id].children {
                if self.removed[c] {
                    continue;
                }
                len += self.text_len[c];
                link += self.link_len[c];
            }
            if dom.tag(id) == Some("a") {
                link = len;
            }
            self.text_len[id] = len;
            self.link_len[id] = link;
        }
    }

    fn link_density(&self, id: NodeId) -> f64 {
        if self.text_len[id] == 0 {
            return 0.0;
        }
        self.link_len[id] as f64 / self.text_len[id] as f64
    }

    /// A block: an element that is not inline and holds inline text directly.
    fn is_block(&self, id: NodeId) -> bool {
        let dom = self.dom;
        match dom.tag(id) {
            Some(tag) if !is_inline(tag) => dom.nodes[id].children.iter().any(|&c| {
                !self.removed[c]
                    && match &dom.nodes[c].data {
                        NodeData::Text(t) => !t.trim().is_empty(),
                        NodeData::Element { tag, .. } => is_inline(tag) && self.text_len[c] > 0,
                        NodeData::Root => false,
                    }
            }),
            _ => false,
        }
    }

    /// What a block holds, in order: its text (and whether a link holds it), its line breaks,
    /// and its nested blocks (not entered). Inline elements are walked through.
    fn inline_content(&self, id: NodeId, mut visit: impl FnMut(Inline<'_>)) {
        let dom = self.dom;
        let mut stack: Vec<(NodeId, bool)> = dom.nodes[id]
            .children
            .iter()
            .rev()
            .map(|&c| (c, false))
            .collect();
        while let Some((n, in_link)) = stack.pop() {
            if self.removed[n] {
                continue;
            }
            match &dom.nodes[n].data {
                NodeData::Text(t) => visit(Inline::Text(t, in_link)),
                NodeData::Element { tag, .. } if &**tag == "br" => visit(Inline::Break),
                NodeData::Element { tag, .. } if is_inline(tag) => {
                    let in_link = in_link || &**tag == "a";
                    stack.extend(dom.nodes[n].children.iter().rev().map(|&c| (c, in_link)));
                }
                NodeData::Element { .. } => visit(Inline::Block(n)),
                NodeData::Root => {}
            }
        }
    }

    /// The inline text directly in a block (not in nested blocks), and how much of it is links.
    fn block_text(&self, id: NodeId) -> (String, usize) {
        let (mut out, mut link) = (String::new(), 0);
        self.inline_content(id, |item| match item {
            Inline::Text(t, in_link) => {
                let before = out.len();
                push_collapsed(&mut out, t);
                if in_link {
                    link += weighted_len(&out[before..]);
                }
            }
            Inline::Break => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            Inline::Block(_) => {}
        });
        (out, link)
    }

    fn initial_score(&self, id: NodeId) -> f64 {
        let dom = self.dom;
        let base = match dom.tag(id).unwrap_or("") {
            "div" | "article" | "section" | "main" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        let names = names(dom, id);
        let mut weight = 0.0;
        if !names.is_empty() {
            if content_name(&names) {
                weight += 25.0;
            }
            if strong_content_name(&names) {
                weight += 25.0;
            }
            if dom
                .attr(id, "itemprop")
                .is_some_and(|p| p.contains("articleBody"))
            {
                weight += 50.0;
            }
        }
        base + weight
    }

    /// Readability's paragraph scores, given to the block's container and its ancestors.
    fn score_blocks(&mut self) {
        let dom = self.dom;
        for id in 1..dom.nodes.len() {
            if self.removed[id] || !self.is_block(id) {
                continue;
            }
            let (text, _) = self.block_text(id);
            let len = weighted_len(&text);
            if len < 25 {
                continue;
            }
            let commas = text
                .chars()
                .filter(|c| matches!(c, ',' | '，' | '、' | '。'))
                .count() as f64;
            let points = 1.0 + commas + (len as f64 / 100.0).min(3.0);
            let mut ancestor = if dom.tag(id).is_some_and(|t| {
                matches!(
                    t,
                    "p" | "pre" | "td" | "li" | "blockquote" | "h2" | "h3" | "h4" | "dd"
                )
            }) {
                self.parent(id)
            } else {
                Some(id)
            };
            for level in 0..5 {
                let Some(a) = ancestor else { break };
                if a == 0 {
                    break;
                }
                if !self.scored[a] {
                    self.scored[a] = true;
                    self.score[a] = self.initial_score(a);
                }
                let divider = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f64 * 3.0,
                };
                self.score[a] += points / divider;
                ancestor = self.parent(a);
            }
        }
    }

    fn is_ancestor(&self, ancestor: NodeId, mut node: NodeId) -> bool {
        while let Some(p) = self.parent(node) {
            if p == ancestor {
                return true;
            }
            node = p;
        }
        false
    }

    /// The best-scoring element, plus siblings that look like more of the same article.
    fn containers(&self, body: NodeId) -> Vec<NodeId> {
        let dom = self.dom;
        let mut ranked: Vec<(NodeId, f64)> = (1..dom.nodes.len())
            .filter(|&id| self.scored[id] && !self.removed[id])
            .map(|id| (id, self.score[id] * (1.0 - self.link_density(id))))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let Some(&(mut top, top_score)) = ranked.first() else {
            return vec![body];
        };
        // Several near-best candidates under one ancestor (slides, a story split into sections)
        // mean the article is that ancestor, as in Readability.
        let rivals: Vec<NodeId> = ranked[1..ranked.len().min(5)]
            .iter()
            .filter(|(id, score)| {
                *score >= 0.75 * top_score
                    && !self.is_ancestor(*id, top)
                    && !self.is_ancestor(top, *id)
            })
            .map(|(id, _)| *id)
            .collect();
        if rivals.len() >= 2 {
            let mut ancestor = self.parent(top);
            while let Some(a) = ancestor {
                if a == 0 || a == body {
                    break;
                }
                if rivals.iter().filter(|&&r| self.is_ancestor(a, r)).count() >= 2 {
                    top = a;
                    break;
                }
                ancestor = self.parent(a);
            }
        }
        let Some(parent) = self.parent(top) else {
            return vec![top];
        };
        let threshold = (top_score * 0.2).max(10.0);
        let mut out = Vec::new();
        for &sibling in &dom.nodes[parent].children {
            if sibling == top {
                out.push(sibling);
                continue;
            }
            if self.removed[sibling] || dom.tag(sibling).is_none() {
                continue;
            }
            let same_class = dom.attr(top, "class").is_some()
                && dom.attr(sibling, "class") == dom.attr(top, "class");
            let score = self.score[sibling] * (1.0 - self.link_density(sibling))
                + if same_class { top_score * 0.2 } else { 0.0 };
            let keep = if self.scored[sibling] && score >= threshold {
                true
            } else if self.is_block(sibling) {
                let (text, _) = self.block_text(sibling);
                let len = weighted_len(&text);
                let ld = self.link_density(sibling);
                (len > 80 && ld < 0.25)
                    || (dom.tag(sibling) == Some("p")
                        && len > 0
                        && ld == 0.0
                        && text.trim_end().ends_with(['.', '。', '!', '?', '！', '？']))
            } else {
                false
            };
            if keep {
                out.push(sibling);
            }
        }
        out
    }

    /// The standfirst before `container`, outside it: the first element named like one whose
    /// text reads as a sentence and is not links.
    fn standfirst(&self, container: NodeId) -> Option<String> {
        let dom = self.dom;
        (1..container)
            .filter(|&id| !self.removed[id] && !self.is_ancestor(id, container))
            .filter(|&id| dom.tag(id).is_some_and(|t| t != "a" && t != "meta"))
            .find(|&id| {
                let len = self.text_len[id];
                (40..=600).contains(&len)
                    && self.link_density(id) < 0.3
                    && standfirst_name(&names(dom, id))
            })
            .map(|id| dom.text(id))
            .filter(|t| t.ends_with(['.', '!', '?', '。', '！', '？', '"', '”']) || t.len() > 80)
    }

    /// Prints the blocks under `root` as paragraphs, in document order: a block's own text
    /// around its nested blocks is cut there ("text <p>a</p> more text" is three paragraphs),
    /// and at a double `<br>`.
    fn emit(&self, root: NodeId, out: &mut Vec<String>) {
        enum Item {
            Node(NodeId),
            Paragraph(NodeId, String, usize),
        }
        let dom = self.dom;
        let mut stack = vec![Item::Node(root)];
        let mut skipped = std::collections::HashSet::new();
        while let Some(item) = stack.pop() {
            let id = match item {
                Item::Paragraph(id, text, link) => {
                    let text = text.trim();
                    if !text.is_empty() && self.keep_block(id, text, weighted_len(text), link) {
                        out.push(text.to_string());
                    }
                    continue;
                }
                Item::Node(id) => id,
            };
            if self.removed[id] || skipped.contains(&id) || dom.tag(id) == Some("h1") {
                continue;
            }
            if !self.is_block(id) {
                // Inline elements are walked too: pages put paragraphs inside spans.
                stack.extend(dom.nodes[id].children.iter().rev().map(|&c| Item::Node(c)));
                continue;
            }
            if dom.tag(id).is_some_and(is_heading) {
                let (text, _) = self.block_text(id);
                if furniture_heading(text.trim()) {
                    // "Comments", "Related stories": what follows the heading at its level is
                    // that furniture, not more article.
                    if let Some(parent) = self.parent(id) {
                        let siblings = &dom.nodes[parent].children;
                        let after = siblings.iter().position(|&c| c == id).map_or(0, |i| i + 1);
                        skipped.extend(siblings[after..].iter().copied());
                    }
                    continue;
                }
            }
            for piece in self.block_pieces(id).into_iter().rev() {
                stack.push(match piece {
                    Piece::Text(text, link) => Item::Paragraph(id, text, link),
                    Piece::Block(n) => Item::Node(n),
                });
            }
        }
    }

    /// A block's content in order: runs of inline text (with their link length), cut at
    /// nested blocks and at double `<br>`s, and the nested blocks themselves.
    fn block_pieces(&self, id: NodeId) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let (mut text, mut link, mut breaks) = (String::new(), 0, 0);
        self.inline_content(id, |item| match item {
            Inline::Text(t, _) if t.trim().is_empty() => {
                if !text.ends_with(' ') && !text.is_empty() {
                    text.push(' ');
                }
            }
            Inline::Text(t, in_link) => {
                breaks = 0;
                let before = text.len();
                push_collapsed(&mut text, t);
                if in_link {
                    link += weighted_len(&text[before..]);
                }
            }
            Inline::Break => {
                breaks += 1;
                if breaks >= 2 {
                    flush(&mut text, &mut link, &mut pieces);
                } else if !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            Inline::Block(n) => {
                breaks = 0;
                flush(&mut text, &mut link, &mut pieces);
                pieces.push(Piece::Block(n));
            }
        });
        flush(&mut text, &mut link, &mut pieces);
        pieces
    }

    fn keep_block(&self, id: NodeId, text: &str, len: usize, link: usize) -> bool {
        // Code is quoted verbatim; notice patterns ("install … app") are not about it.
        let code = matches!(self.dom.tag(id), Some("pre" | "code"));
        if !code
            && (boilerplate_block(text)
                || (len < 250 && boilerplate_sentence(text))
                || rights_notice(text)
                || date_or_address_line(text))
        {
            return false;
        }
        let density = link as f64 / len.max(1) as f64;
        !(density > 0.5 || (density > 0.25 && len < 80))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_article_over_navigation_and_comments() {
        let html = r#"<html><body>
          <nav><a href=/>Home</a> <a href=/world>World</a></nav>
          <div class="sidebar"><p>Most read: a story about something else entirely, with commas, many.</p></div>
          <article><h1>Headline</h1>
            <p>The first paragraph of the story, which says what happened, where, and when it did.</p>
            <p>The second paragraph adds a quote, from an official, and some context for readers.</p>
            <div class="share">Share this article</div>
            <h2>A subheading</h2>
            <p>The third paragraph ends the story, with a final remark, and a date.</p>
          </article>
          <div id="comments"><p>First comment: I disagree with this article, strongly, and here is why.</p></div>
          <footer>Copyright 2024 The Paper</footer></body></html>"#;
        let text = main_text(&Dom::parse(html));
        assert_eq!(
            text,
            "The first paragraph of the story, which says what happened, where, and when it did.\n\n\
             The second paragraph adds a quote, from an official, and some context for readers.\n\n\
             A subheading\n\n\
             The third paragraph ends the story, with a final remark, and a date."
        );
    }

    #[test]
    fn notices_dates_and_addresses_are_not_body_text() {
        for line in [
            "11 Jan 2019",
            "Last Modified:",
            "Published: March 5, 2024 at 10:02 am",
            "2020-02-19 09:35:19",
            "BVINEWS.COM",
            "© 2022, BreakingBelizeNews.com. This article is the copyrighted property of the site.",
        ] {
            assert!(date_or_address_line(line) || rights_notice(line), "{line}");
        }
        for line in [
            "The plan failed on 5 March 2024.",
            "Visit www.example.com for details.",
        ] {
            assert!(
                !date_or_address_line(line) && !rights_notice(line),
                "{line}"
            );
        }
        assert!(furniture_heading("Comments (2)") && furniture_heading("相关新闻"));
        assert!(!furniture_heading("Comments from the minister"));
    }

    #[test]
    fn standfirst_paragraphs_in_spans_and_the_end_of_the_article() {
        let html = r#"<body><div class="intro">The lead says what the story is about, in one line.</div>
          <div class="content"><span class="wrap">
            <p>First paragraph of the body, long enough to score, with commas, and more words.</p>
            <header><h2>Second part</h2></header>
            <p>Second paragraph of the body, also long enough to score, with commas, again.</p>
            <h3>Comments (3)</h3>
            <p>A reader says this is all wrong, and writes a long comment about it, too.</p>
          </span></div></body>"#;
        assert_eq!(
            main_text(&Dom::parse(html)),
            "The lead says what the story is about, in one line.\n\n\
             First paragraph of the body, long enough to score, with commas, and more words.\n\n\
             Second part\n\n\
             Second paragraph of the body, also long enough to score, with commas, again."
        );
    }

    #[test]
    fn text_around_nested_blocks_and_double_breaks_keeps_its_order() {
        let html = r#"<body><div class="content">The first paragraph, loose in the container, with commas, and words.
            <p>A nested paragraph in the middle, long enough to keep, with commas, and more.</p>
            The closing paragraph, loose again, after the nested one, with commas, too.<br><br>
            And one more after a double break, which a page uses for paragraphs, as well.</div></body>"#;
        assert_eq!(
            main_text(&Dom::parse(html)),
            "The first paragraph, loose in the container, with commas, and words.\n\n\
             A nested paragraph in the middle, long enough to keep, with commas, and more.\n\n\
             The closing paragraph, loose again, after the nested one, with commas, too.\n\n\
             And one more after a double break, which a page uses for paragraphs, as well."
        );
    }

    #[test]
    fn a_gallery_is_read_from_its_captions() {
        let slide = |n: u32| {
            format!("<figure><img src=x{n}.jpg><figcaption>Look {n}: a bowler hat, false lashes and a cane make this costume work, whatever your hair.</figcaption></figure>")
        };
        let html = format!(
            "<body><article><p>Ideas for tonight.</p>{}</article></body>",
            (1..6).map(slide).collect::<String>()
        );
        let text = main_text(&Dom::parse(&html));
        assert!(
            text.contains("Look 1: a bowler hat") && text.contains("Look 5:"),
            "{text}"
        );
    }

    #[test]
    fn page_without_body_or_text_is_empty() {
        assert_eq!(main_text(&Dom::parse("")), "");
        assert_eq!(
            main_text(&Dom::parse("<html><head><title>x</title></head></html>")),
            ""
        );
    }
}
