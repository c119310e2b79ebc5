//! A forgiving HTML parser into an arena tree, built for extraction rather than rendering.
//!
//! Written here instead of using html5ever because extraction needs neither scripting nor the
//! full adoption-agency rules, and because hostile input must stay cheap: nesting is capped (as
//! browsers do), so 20 MB of nested `<div>`s is linear, and nothing here recurses.

use crate::ingest::find_bytes;

/// Index of a node in [`Dom::nodes`]; the document root is 0.
pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeData {
    Root,
    Element {
        /// Lower-case tag name.
        tag: Box<str>,
        /// Lower-case attribute names, values with character references decoded.
        attrs: Vec<(Box<str>, String)>,
    },
    /// Text with character references decoded, whitespace as in the source.
    Text(String),
}

impl NodeData {
    /// An element's attribute value; `None` for other nodes.
    pub fn attr(&self, name: &str) -> Option<&str> {
        match self {
            NodeData::Element { attrs, .. } => attrs
                .iter()
                .find(|(n, _)| &**n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub data: NodeData,
}

#[derive(Debug, Clone)]
pub struct Dom {
    pub nodes: Vec<Node>,
}

/// Deeper elements are dropped (their text is kept in the deepest open element).
pub const MAX_DEPTH: usize = 512;

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Elements whose content is not markup. `title` and `textarea` content is text with references.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "textarea",
    "title",
    "plaintext",
];

/// Elements that belong in `<head>`; anything else ends it.
const HEAD_CONTENT: &[&str] = &[
    "meta", "link", "title", "script", "style", "base", "noscript", "template",
];

/// Start tags that close an open `<p>`, as in the HTML standard.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
    "li",
    "dd",
    "dt",
];

/// Elements that stop the search for an open element to close implicitly.
const SCOPE: &[&str] = &[
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "button",
];

impl Dom {
    pub fn parse(html: &str) -> Dom {
        Builder::new().run(html)
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn tag(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].data {
            NodeData::Element { tag, .. } => Some(tag),
            _ => None,
        }
    }

    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.nodes[id].data.attr(name)
    }

    /// All nodes below `id` (not `id` itself) in document order, without recursion.
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        let mut stack: Vec<NodeId> = self.nodes[id].children.iter().rev().copied().collect();
        stack.reserve(64);
        Descendants { dom: self, stack }
    }

    /// Elements with the given tag anywhere in the document, in order.
    pub fn elements<'d>(&'d self, tag: &'d str) -> impl Iterator<Item = NodeId> + 'd {
        self.descendants(0)
            .filter(move |&n| self.tag(n) == Some(tag))
    }

    /// The text below `id` with a space between text nodes, whitespace collapsed: lines split
    /// by markup ("Written by A<br>Edited by B") must not run together.
    pub fn spaced_text(&self, id: NodeId) -> String {
        let mut out = String::new();
        for n in self.descendants(id) {
            if let NodeData::Text(t) = &self.nodes[n].data {
                out.push(' ');
                push_collapsed(&mut out, t);
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The concatenated text below `id`, whitespace collapsed to single spaces.
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        for n in self.descendants(id) {
            if let NodeData::Text(t) = &self.nodes[n].data {
                push_collapsed(&mut out, t);
            }
        }
        out.trim().to_string()
    }
}

/// `h1` to `h6`.
pub fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Appends `text` with runs of whitespace as one space.
pub fn push_collapsed(out: &mut String, text: &str) {
    for (i, word) in text.split_whitespace().enumerate() {
        let gap = i > 0 || text.starts_with(char::is_whitespace);
        if gap && !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(word);
    }
    if text.ends_with(char::is_whitespace) && !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

#[derive(Debug)]
pub struct Descendants<'d> {
    dom: &'d Dom,
    stack: Vec<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.stack.pop()?;
        self.stack
            .extend(self.dom.nodes[id].children.iter().rev().copied());
        Some(id)
    }
}

struct Builder {
    nodes: Vec<Node>,
    /// Open elements, innermost last; `open[0]` is the root.
    open: Vec<NodeId>,
    /// Start tags dropped for depth, so their end tags can be dropped too.
    dropped: usize,
}

impl Builder {
    fn new() -> Self {
        Builder {
            nodes: vec![Node {
                parent: None,
                children: Vec::new(),
                data: NodeData::Root,
            }],
            open: vec![0],
            dropped: 0,
        }
    }

    fn run(mut self, html: &str) -> Dom {
        let bytes = html.as_bytes();
        let mut pos = 0;
        let mut text_start = 0;
        while let Some(offset) = memchr::memchr(b'<', &bytes[pos..]) {
            let lt = pos + offset;
            let Some((next, tag)) = markup_at(html, lt) else {
                pos = lt + 1;
                continue;
            };
            self.text(&html[text_start..lt]);
            pos = next;
            match tag {
                Markup::Start {
                    name,
                    attrs,
                    self_closing,
                } => {
                    let raw = RAW_TEXT.contains(&name.as_str());
                    let id = self.start(name.clone(), attrs, self_closing);
                    if raw && !self_closing {
                        let end = find_end_tag(html, pos, &name);
                        if let Some(id) = id {
                            let json_ld = name == "script"
                                && self.nodes[id]
                                    .data
                                    .attr("type")
                                    .is_some_and(|t| t.contains("ld+json"));
                            if json_ld {
                                // Structured metadata (JSON-LD) is the one script worth keeping.
                                self.append(id, NodeData::Text(html[pos..end.0].to_string()));
                            } else if name == "title" || name == "textarea" || name == "noscript" {
                                let content = &html[pos..end.0];
                                let content = if name == "noscript" {
                                    // Markup inside noscript is kept as plain text to look at.
                                    content.to_string()
                                } else {
                                    decode(content)
                                };
                                self.append(id, NodeData::Text(content));
                            }
                            self.end(&name);
                        } else {
                            // Dropped for depth: its end tag was consumed with the content.
                            self.dropped = self.dropped.saturating_sub(1);
                        }
                        pos = end.1;
                    }
                }
                Markup::End { name } => self.end(&name),
                Markup::Other => {}
            }
            text_start = pos;
        }
        self.text(&html[text_start.min(html.len())..]);
        Dom { nodes: self.nodes }
    }

    fn append(&mut self, parent: NodeId, data: NodeData) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            parent: Some(parent),
            children: Vec::new(),
            data,
        });
        self.nodes[parent].children.push(id);
        id
    }

    fn current(&self) -> NodeId {
        self.open.last().copied().unwrap_or(0)
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let parent = self.current();
        // Adjacent text (split by a dropped or ignored tag) joins the previous text node.
        if let Some(&last) = self.nodes[parent].children.last() {
            if let NodeData::Text(t) = &mut self.nodes[last].data {
                t.push_str(&decode(raw));
                return;
            }
        }
        self.append(parent, NodeData::Text(decode(raw)));
    }

    fn open_tag(&self, i: usize) -> &str {
        match &self.nodes[self.open[i]].data {
            NodeData::Element { tag, .. } => tag,
            _ => "",
        }
    }

    /// Index in `open` of the innermost open `tag`, searching no further out than a scope element.
    fn in_scope(&self, tags: &[&str], stop: &[&str]) -> Option<usize> {
        for i in (1..self.open.len()).rev() {
            let t = self.open_tag(i);
            if tags.contains(&t) {
                return Some(i);
            }
            if SCOPE.contains(&t) || stop.contains(&t) {
                return None;
            }
        }
        None
    }

    fn close_from(&mut self, i: usize) {
        self.open.truncate(i.max(1));
    }

    fn start(
        &mut self,
        name: String,
        attrs: Vec<(Box<str>, String)>,
        self_closing: bool,
    ) -> Option<NodeId> {
        let void = VOID.contains(&name.as_str());
        // Past the cap nothing is built, so hostile nesting costs no scope searches either.
        if self.open.len() > MAX_DEPTH {
            if !void && !self_closing {
                self.dropped += 1;
            }
            return None;
        }
        if name != "html" && name != "head" && !HEAD_CONTENT.contains(&name.as_str()) {
            // The head ends where body content starts, whether or not `</head>` was written.
            if let Some(i) = self.outer("head") {
                self.close_from(i);
            }
        }
        match name.as_str() {
            // One of each: a repeated tag only adds attributes nobody reads.
            "html" | "body" | "head" if self.outer(&name).is_some() => return None,
            "li" => self.close_implied(&["li"], &["ul", "ol", "menu"]),
            "dt" | "dd" => self.close_implied(&["dt", "dd"], &["dl"]),
            "option" => self.close_implied(&["option"], &["select"]),
            "tr" => self.close_implied(&["tr", "td", "th"], &["tbody", "thead", "tfoot"]),
            "td" | "th" => self.close_implied(&["td", "th"], &["tr"]),
            "a" => self.close_implied(&["a"], &[]),
            _ => {}
        }
        if CLOSES_P.contains(&name.as_str()) {
            if let Some(i) = self.in_scope(&["p"], &[]) {
                self.close_from(i);
            }
        }
        if is_heading(&name) && is_heading(self.open_tag(self.open.len() - 1)) {
            self.open.pop();
        }
        let parent = self.current();
        let id = self.append(
            parent,
            NodeData::Element {
                tag: name.into_boxed_str(),
                attrs,
            },
        );
        if !void && !self_closing {
            self.open.push(id);
        }
        Some(id)
    }

    /// Index in `open` of an open `html`, `head` or `body` (always among the outermost three).
    fn outer(&self, tag: &str) -> Option<usize> {
        (1..self.open.len().min(4)).find(|&i| self.open_tag(i) == tag)
    }

    fn close_implied(&mut self, tags: &[&str], stop: &[&str]) {
        if let Some(i) = self.in_scope(tags, stop) {
            self.close_from(i);
        }
    }

    fn end(&mut self, name: &str) {
        if VOID.contains(&name) {
            return;
        }
        if self.dropped > 0 {
            self.dropped -= 1;
            return;
        }
        // `</body>` and `</html>` are often followed by more content; browsers keep it in the body.
        if matches!(name, "html" | "body") {
            return;
        }
        // Pop to the innermost open element of that name; an end tag with none open is ignored.
        // Any heading end tag closes any open heading (`<h2>…</h3>`), as in the standard.
        let matches = |t: &str| t == name || (is_heading(name) && is_heading(t));
        if let Some(i) = (1..self.open.len())
            .rev()
            .find(|&i| matches(self.open_tag(i)))
        {
            self.close_from(i);
        }
    }
}

enum Markup {
    Start {
        name: String,
        attrs: Vec<(Box<str>, String)>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    /// A comment, doctype, processing instruction or CDATA section: skipped.
    Other,
}

/// The markup starting at `html[lt] == '<'`, and where it ends; `None` when `<` is just text.
fn markup_at(html: &str, lt: usize) -> Option<(usize, Markup)> {
    let bytes = html.as_bytes();
    let rest = &bytes[lt + 1..];
    match rest.first()? {
        b'!' => {
            if rest.starts_with(b"!--") {
                let end = find_bytes(bytes, lt + 4, b"-->").map_or(bytes.len(), |i| i + 3);
                return Some((end, Markup::Other));
            }
            let end = find_bytes(bytes, lt, b">").map_or(bytes.len(), |i| i + 1);
            Some((end, Markup::Other))
        }
        b'?' => {
            let end = find_bytes(bytes, lt, b">").map_or(bytes.len(), |i| i + 1);
            Some((end, Markup::Other))
        }
        b'/' => {
            let name_start = lt + 2;
            if !bytes.get(name_start)?.is_ascii_alphabetic() {
                let end = find_bytes(bytes, lt, b">").map_or(bytes.len(), |i| i + 1);
                return Some((end, Markup::Other));
            }
            let name_end = scan(bytes, name_start, |b| {
                !(b.is_ascii_whitespace() || b == b'/' || b == b'>')
            });
            let end = find_bytes(bytes, name_end, b">").map_or(bytes.len(), |i| i + 1);
            let name = html[name_start..name_end].to_ascii_lowercase();
            Some((end, Markup::End { name }))
        }
        b if b.is_ascii_alphabetic() => {
            let name_start = lt + 1;
            let name_end = scan(bytes, name_start, |b| {
                !(b.is_ascii_whitespace() || b == b'/' || b == b'>')
            });
            let name = html[name_start..name_end].to_ascii_lowercase();
            let (end, attrs, self_closing) = attributes(html, name_end);
            Some((
                end,
                Markup::Start {
                    name,
                    attrs,
                    self_closing,
                },
            ))
        }
        _ => None,
    }
}

/// Parses attributes from `pos` to the closing `>`; returns the position after it.
fn attributes(html: &str, mut pos: usize) -> (usize, Vec<(Box<str>, String)>, bool) {
    let bytes = html.as_bytes();
    let mut attrs: Vec<(Box<str>, String)> = Vec::new();
    let mut self_closing = false;
    loop {
        pos = scan(bytes, pos, |b| b.is_ascii_whitespace());
        match bytes.get(pos) {
            None => return (bytes.len(), attrs, self_closing),
            Some(b'>') => return (pos + 1, attrs, self_closing),
            Some(b'/') => {
                self_closing = bytes.get(pos + 1) == Some(&b'>');
                pos += 1;
                continue;
            }
            _ => {}
        }
        self_closing = false;
        let name_start = pos;
        pos = scan(bytes, pos + 1, |b| {
            !(b.is_ascii_whitespace() || b == b'=' || b == b'>' || b == b'/')
        });
        let name = html[name_start..pos].to_ascii_lowercase();
        let after_name = scan(bytes, pos, |b| b.is_ascii_whitespace());
        let mut value = String::new();
        if bytes.get(after_name) == Some(&b'=') {
            pos = scan(bytes, after_name + 1, |b| b.is_ascii_whitespace());
            match bytes.get(pos) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end =
                        memchr::memchr(q, &bytes[pos + 1..]).map_or(bytes.len(), |i| pos + 1 + i);
                    value = decode(&html[pos + 1..end]);
                    pos = (end + 1).min(bytes.len());
                }
                _ => {
                    let end = scan(bytes, pos, |b| !(b.is_ascii_whitespace() || b == b'>'));
                    value = decode(&html[pos..end]);
                    pos = end;
                }
            }
        }
        // The first of repeated attributes wins, as in browsers; a cap keeps hostile tags cheap.
        if attrs.len() < 64 && !attrs.iter().any(|(n, _)| **n == *name) {
            attrs.push((name.into_boxed_str(), value));
        }
    }
}

fn scan(bytes: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    let from = from.min(bytes.len());
    bytes[from..]
        .iter()
        .position(|&b| !keep(b))
        .map_or(bytes.len(), |i| from + i)
}

/// Where raw text content ends: (start of `</name`, position after its `>`).
fn find_end_tag(html: &str, from: usize, name: &str) -> (usize, usize) {
    let bytes = html.as_bytes();
    let mut pos = from;
    while let Some(i) = find_bytes(bytes, pos, b"</") {
        let name_end = i + 2 + name.len();
        if bytes.len() >= name_end && bytes[i + 2..name_end].eq_ignore_ascii_case(name.as_bytes()) {
            let end = find_bytes(bytes, name_end, b">").map_or(bytes.len(), |j| j + 1);
            return (i, end);
        }
        pos = i + 2;
    }
    (bytes.len(), bytes.len())
}

/// Text with character references decoded (all HTML5 named ones, numeric ones).
pub fn decode(raw: &str) -> String {
    if raw.contains('&') {
        htmlize::unescape(raw).into_owned()
    } else {
        raw.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_text(html: &str) -> String {
        let dom = Dom::parse(html);
        dom.text(0)
    }

    #[test]
    fn parses_nested_markup_and_references() {
        let dom = Dom::parse(
            "<!DOCTYPE html><html><head><title>A &amp; B</title></head>\
             <body><div class=x><p>One &lt;two&gt; &#x4e2d;&eacute;<p>Three<br>four</div></body></html>",
        );
        let ps: Vec<_> = dom.elements("p").collect();
        assert_eq!(ps.len(), 2, "the second <p> closes the first");
        assert_eq!(dom.text(ps[0]), "One <two> 中é");
        assert_eq!(dom.text(ps[1]), "Threefour");
        let title = dom.elements("title").next().map(|t| dom.text(t));
        assert_eq!(title.as_deref(), Some("A & B"));
        let div = dom.elements("div").next().expect("div");
        assert_eq!(dom.attr(div, "class"), Some("x"));
    }

    #[test]
    fn scripts_styles_and_comments_are_not_text() {
        let text = body_text(
            "<p>a<script>if (x < 1) { document.write('</p>') }</script>b<!-- c --><style>p{}</style></p>",
        );
        assert_eq!(text, "ab");
    }

    #[test]
    fn implied_ends_for_lists_and_tables() {
        let dom = Dom::parse("<ul><li>a<li>b</ul><table><tr><td>1<td>2<tr><td>3</table>");
        assert_eq!(dom.elements("li").count(), 2);
        assert_eq!(dom.elements("tr").count(), 2);
        let tds: Vec<_> = dom.elements("td").map(|n| dom.text(n)).collect();
        assert_eq!(tds, ["1", "2", "3"]);
    }

    #[test]
    fn stray_and_unterminated_markup_is_text_or_ignored() {
        assert_eq!(body_text("a < b and c<3 </p> d"), "a < b and c<3 d");
        assert_eq!(body_text("<p title=\"unterminated>x"), "");
        assert_eq!(body_text("<div><p>x"), "x");
        assert_eq!(body_text("x <!-- never closed"), "x");
    }

    #[test]
    fn deep_nesting_is_capped_and_linear() {
        let n = 200_000;
        let html = format!("{}deep{}", "<div>".repeat(n), "</div>".repeat(n));
        let dom = Dom::parse(&html);
        assert!(dom.nodes.len() <= MAX_DEPTH + 2);
        assert_eq!(dom.text(0), "deep");
    }
}
