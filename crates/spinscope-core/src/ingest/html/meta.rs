//! Page metadata: title, author, publication date, outlet and canonical URL, from (in order of
//! trust) JSON-LD, `<meta>` tags, microdata and the visible page.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::dom::{Dom, NodeData, NodeId};
use crate::analyze::lexicon::Sections;
use crate::doc::{FieldSource, Provenance};

const BYLINES: &str = include_str!("../../../data/html/bylines.txt");

fn bylines() -> &'static Sections {
    static CELL: OnceLock<Sections> = OnceLock::new();
    CELL.get_or_init(|| Sections::parse(BYLINES))
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    /// Several authors joined by "; ".
    pub author: Option<String>,
    /// ISO 8601: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` with its offset when the page gives
    /// a time with a time zone.
    pub published: Option<String>,
    /// Where title, author and date were read from.
    pub from: Provenance,
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// The page's declared language (`<html lang>`), lower-case primary subtag.
    pub declared_lang: Option<String>,
}

pub fn metadata(dom: &Dom, known_url: Option<&str>) -> Metadata {
    let metas = meta_tags(dom);
    let ld = json_ld(dom);
    let get = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| metas.get(*k))
            .map(|v| clean(v))
            .filter(|v| !v.is_empty())
    };

    let url = known_url
        .map(str::to_string)
        .or_else(|| link_href(dom, "canonical"))
        .or_else(|| get(&["og:url", "twitter:url"]))
        .filter(|u| u.starts_with("http"));

    let named_outlet = get(&[
        "og:site_name",
        "application-name",
        "publisher",
        "dc.publisher",
    ])
    .or_else(|| ld_string(&ld, &["publisher", "name"]));

    let page_title = dom
        .elements("title")
        .next()
        .map(|t| clean(&dom.text(t)))
        .filter(|t| !t.is_empty());
    let h1 = dom
        .elements("h1")
        .map(|h| dom.text(h))
        .find(|t| !t.is_empty());
    let trimmed = page_title
        .as_deref()
        .map(|t| trim_site_name(t, h1.as_deref(), named_outlet.as_deref()));
    // Dublin Core first, as Readability reads it: a page that bothers with it means it.
    let declared = get(&[
        "dc:title",
        "dcterm:title",
        "og:title",
        "twitter:title",
        "dc.title",
        "headline",
        "parsely-title",
    ])
    .map(|t| (t, FieldSource::Meta))
    .or_else(|| ld_string(&ld, &["headline"]).map(|t| (t, FieldSource::JsonLd)))
    .map(|(t, from)| {
        let t = trim_site_name(&t, h1.as_deref(), named_outlet.as_deref()).0;
        (t, from)
    })
    .or_else(|| {
        trimmed
            .as_ref()
            .map(|(t, _)| (t.clone(), FieldSource::TitleTag))
    });
    // The heading the reader sees beats a shortened social-media or SEO title of the same
    // story; an h1 about something else (a logo, a section) does not.
    let title = match (declared, h1.clone()) {
        (Some(d), Some(h))
            if h.chars().count() * 10 > d.0.chars().count() * 11 && same_story(&h, &d.0) =>
        {
            Some((h, FieldSource::Heading))
        }
        (Some(d), _) => Some(d),
        (None, h) => h.map(|t| (t, FieldSource::Heading)),
    };
    // "Headline_新华网": the site name in the page title beats a bare host name.
    let outlet = named_outlet
        .or_else(|| trimmed.and_then(|(_, site)| site))
        .or_else(|| url.as_deref().and_then(host));

    let author = ld_author(&ld)
        .map(|a| (a, FieldSource::JsonLd))
        .or_else(|| {
            get(&[
                "dc:creator",
                "dcterm:creator",
                "author",
                "article:author",
                "dc.creator",
                "byl",
                "sailthru.author",
                "parsely-author",
                "twitter:creator",
            ])
            .and_then(|a| person(&a, false))
            .map(|a| (a, FieldSource::Meta))
        })
        .or_else(|| rel_author(dom).map(|a| (a, FieldSource::RelAuthor)))
        .or_else(|| itemprop_author(dom).map(|a| (a, FieldSource::Microdata)))
        .or_else(|| author_link(dom).map(|a| (a, FieldSource::AuthorLink)))
        .or_else(|| byline_element(dom).map(|a| (a, FieldSource::Byline)))
        .or_else(|| zh_byline(dom).map(|a| (a, FieldSource::Byline)));

    let published = ld_string(&ld, &["datePublished"])
        .and_then(|d| iso_datetime(&d))
        .map(|d| (d, FieldSource::JsonLd))
        .or_else(|| {
            get(&[
                "article:published_time",
                "og:published_time",
                "datepublished",
                "publishdate",
                "pubdate",
                "publish-date",
                "publication_date",
                "date",
                "dc.date",
                "dc.date.issued",
                "dcterms.created",
                "sailthru.date",
                "parsely-pub-date",
                "article.published",
                "originalpublicationdate",
                "og:updated_time",
                "article:modified_time",
                "lastmod",
            ])
            .and_then(|d| iso_datetime(&d))
            .map(|d| (d, FieldSource::Meta))
        })
        .or_else(|| time_element(dom).map(|d| (d, FieldSource::TimeElement)))
        .or_else(|| {
            url.as_deref()
                .and_then(url_date)
                .map(|d| (d, FieldSource::Url))
        })
        .or_else(|| visible_date(dom).map(|d| (d, FieldSource::VisibleText)));

    let declared_lang = dom
        .elements("html")
        .next()
        .and_then(|h| dom.attr(h, "lang").or_else(|| dom.attr(h, "xml:lang")))
        .map(|l| {
            l.split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .filter(|l| !l.is_empty());

    let from = Provenance {
        title: title.as_ref().map(|(_, from)| *from),
        author: author.as_ref().map(|(_, from)| *from),
        published: published.as_ref().map(|(_, from)| *from),
    };
    Metadata {
        title: title.map(|(t, _)| t),
        author: author.map(|(a, _)| a),
        published: published.map(|(d, _)| d),
        from,
        outlet,
        url,
        declared_lang,
    }
}

/// Whether two titles share most of their words (at least half of the shorter one's).
fn same_story(a: &str, b: &str) -> bool {
    let words = |s: &str| -> HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 2 || !w.is_ascii())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let shorter = a.len().min(b.len());
    let shared = a.intersection(&b).count();
    shared >= 2 && shared * 2 >= shorter
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn meta_tags(dom: &Dom) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for m in dom.elements("meta") {
        let key = dom
            .attr(m, "property")
            .or_else(|| dom.attr(m, "name"))
            .or_else(|| dom.attr(m, "itemprop"));
        if let (Some(key), Some(content)) = (key, dom.attr(m, "content")) {
            out.entry(key.to_ascii_lowercase())
                .or_insert_with(|| content.to_string());
        }
    }
    out
}

fn link_href(dom: &Dom, rel: &str) -> Option<String> {
    dom.elements("link")
        .find(|&l| {
            dom.attr(l, "rel")
                .is_some_and(|r| r.eq_ignore_ascii_case(rel))
        })
        .and_then(|l| dom.attr(l, "href"))
        .map(str::to_string)
}

fn host(url: &str) -> Option<String> {
    let rest = url.split("://").nth(1)?;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    (!host.is_empty()).then(|| host.to_string())
}

/// "Headline - The Paper" → ("Headline", Some("The Paper")) when the rest is the outlet or
/// looks like a site name; the title unchanged otherwise.
fn trim_site_name(title: &str, h1: Option<&str>, outlet: Option<&str>) -> (String, Option<String>) {
    if let Some(h1) = h1 {
        if !h1.is_empty() && title.starts_with(h1) {
            let rest = title[h1.len()..]
                .trim_matches(|c: char| c.is_whitespace() || "|-–—_:·｜".contains(c));
            return (h1.to_string(), (!rest.is_empty()).then(|| rest.to_string()));
        }
    }
    for sep in [
        " | ", " - ", " – ", " — ", " :: ", " · ", "｜", "|", "_", "-",
    ] {
        let Some((head, tail)) = title.rsplit_once(sep) else {
            continue;
        };
        let (head_len, tail_len) = (head.chars().count(), tail.trim().chars().count());
        let tail_is_outlet = outlet.is_some_and(|o| {
            let (o, t) = (o.to_lowercase(), tail.trim().to_lowercase());
            t.contains(&o) || o.contains(&t)
        });
        // Spaced separators mark a site name; bare ones ("标题_新华网") only before a short name.
        let spaced = sep.starts_with(' ') || sep == "｜";
        let joins_words = head.ends_with(|c: char| c.is_ascii_alphanumeric())
            && tail.starts_with(|c: char| c.is_ascii_alphanumeric());
        let short_tail = tail_len > 0 && tail_len <= 8 && head_len >= 2 * tail_len && !joins_words;
        if tail_is_outlet || (spaced && head_len > tail_len * 2) || (!spaced && short_tail) {
            return (head.trim().to_string(), Some(tail.trim().to_string()));
        }
    }
    (title.to_string(), None)
}

fn json_ld(dom: &Dom) -> Vec<Value> {
    let mut out = Vec::new();
    for s in dom.elements("script") {
        if !dom.attr(s, "type").is_some_and(|t| t.contains("ld+json")) {
            continue;
        }
        let text: String = dom.nodes[s]
            .children
            .iter()
            .filter_map(|&c| match &dom.nodes[c].data {
                NodeData::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
            flatten_ld(v, &mut out);
        }
    }
    // Article objects first: their headline and date are the story's, not the site's.
    out.sort_by_key(|v| !is_article(v));
    out
}

fn flatten_ld(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten_ld(i, out)),
        Value::Object(mut map) => {
            if let Some(graph) = map.remove("@graph") {
                flatten_ld(graph, out);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

fn is_article(v: &Value) -> bool {
    let t = match v.get("@type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => return false,
    };
    t.contains("Article")
        || t.contains("BlogPosting")
        || t.contains("Report")
        || t.contains("NewsArticle")
}

fn ld_string(ld: &[Value], path: &[&str]) -> Option<String> {
    ld.iter().find_map(|v| {
        let mut cur = v;
        for key in path {
            cur = cur.get(key)?;
            if let Value::Array(items) = cur {
                cur = items.first()?;
            }
        }
        cur.as_str().map(clean).filter(|s| !s.is_empty())
    })
}

fn ld_author(ld: &[Value]) -> Option<String> {
    ld.iter().filter(|v| is_article(v)).find_map(|v| {
        let names: Vec<String> = match v.get("author")? {
            Value::String(s) => vec![s.clone()],
            Value::Object(o) => vec![o.get("name")?.as_str()?.to_string()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
                    _ => None,
                })
                .collect(),
            _ => return None,
        };
        join_names(names.iter().filter_map(|n| person(n, false)))
    })
}

/// The words of an element's class and id, lower-cased.
fn class_words(dom: &Dom, n: NodeId) -> Vec<String> {
    [dom.attr(n, "class"), dom.attr(n, "id")]
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `n` or an element around it is a comment thread, a related-stories box or the
/// like, whose author links name someone else.
fn outside_article(dom: &Dom, n: NodeId) -> bool {
    let mut cur = Some(n);
    while let Some(id) = cur {
        if matches!(dom.tag(id), Some("body" | "html")) {
            return false;
        }
        if class_words(dom, id)
            .iter()
            .any(|w| bylines().has("not_the_article", w))
        {
            return true;
        }
        cur = dom.nodes[id].parent;
    }
    false
}

/// A name as a byline slot holds it, cleaned: labels ("By", "Von:") and handles dropped, cut
/// before a separator or a date. `strict` (visible text rather than a field made for names)
/// also wants capitalised words, at most eight of them.
fn person(text: &str, strict: bool) -> Option<String> {
    let lists = bylines();
    let mut t = clean(text);
    for sep in [" | ", " - ", " – ", " — ", " • ", "•", " · "] {
        if let Some(i) = t.find(sep) {
            t.truncate(i);
        }
    }
    let lower = t.to_lowercase();
    // Free text runs on after the name; a field made for names ("… For The Mail On Sunday") does not.
    if let Some(i) = strict.then_some(()).and_then(|()| {
        lists
            .list("end")
            .iter()
            .filter_map(|e| {
                lower.find(&format!(" {e} ")).or_else(|| {
                    lower
                        .ends_with(&format!(" {e}"))
                        .then(|| lower.len() - e.len() - 1)
                })
            })
            .min()
    }) {
        // Lower-casing keeps ASCII offsets; cut only where the original has a boundary.
        if t.is_char_boundary(i) {
            t.truncate(i);
        }
    }
    let mut labelled = false;
    for _ in 0..2 {
        for label in lists.list("label") {
            let head = t.get(..label.len());
            let rest = t.get(label.len()..).unwrap_or("");
            if head.is_some_and(|h| h.eq_ignore_ascii_case(label))
                && (rest.is_empty() || rest.starts_with([' ', ':', '/', '：']))
            {
                t = rest.trim_start_matches([' ', ':', '/', '：']).to_string();
                labelled = true;
                break;
            }
        }
    }
    let words: Vec<&str> = t
        .split(' ')
        .filter(|w| !w.starts_with('@') && !w.contains("://"))
        .take_while(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let name = words
        .join(" ")
        .trim_matches(|c: char| c.is_whitespace() || ",;:-–|/".contains(c))
        .to_string();
    let lower = name.to_lowercase();
    if name.is_empty()
        || name.chars().count() > 80
        || name.contains('@')
        || lists.has("not_a_name", &lower)
    {
        return None;
    }
    if strict {
        let names: Vec<&str> = name
            .split([' ', ','])
            .filter(|w| !w.is_empty() && !lists.has("connector", w))
            .collect();
        let capitalised = |w: &&str| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()))
        };
        // A Chinese name is two to five characters; a longer run of Han is a headline.
        let han_name = |w: &&str| {
            !w.chars().any(crate::text::script::is_han) || (2..=5).contains(&w.chars().count())
        };
        if names.is_empty()
            || names.len() > 8
            || !names.iter().all(capitalised)
            || !names.iter().all(han_name)
        {
            return None;
        }
        // A lone word left of longer free text ("Comments 24") is a label; alone it is a name.
        if names.len() == 1 && !labelled && text.split_whitespace().count() > 1 {
            return None;
        }
    }
    Some(name)
}

/// Distinct names, in order, joined as several authors are.
fn join_names(names: impl Iterator<Item = String>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&n)) && out.len() < 6 {
            out.push(n);
        }
    }
    (!out.is_empty()).then(|| out.join("; "))
}

/// The text of `rel="author"` links (the HTML way to mark an article's author).
fn rel_author(dom: &Dom) -> Option<String> {
    join_names(
        dom.descendants(0)
            .filter(|&n| {
                !matches!(dom.tag(n), Some("link" | "meta"))
                    && dom.attr(n, "rel").is_some_and(|r| {
                        r.split_whitespace()
                            .any(|t| t.eq_ignore_ascii_case("author"))
                    })
                    && !outside_article(dom, n)
            })
            .filter_map(|n| person(&dom.spaced_text(n), true)),
    )
}

/// schema.org microdata: an `itemprop="author"` element, or the `name` inside it.
fn itemprop_author(dom: &Dom) -> Option<String> {
    join_names(
        dom.descendants(0)
            .filter(|&n| {
                dom.tag(n) != Some("meta")
                    && dom
                        .attr(n, "itemprop")
                        .is_some_and(|p| p.split_whitespace().any(|t| t == "author"))
                    && !outside_article(dom, n)
            })
            .filter_map(|n| {
                let named = dom
                    .descendants(n)
                    .find(|&c| dom.attr(c, "itemprop") == Some("name"));
                let text = match named {
                    Some(c) => dom
                        .attr(c, "content")
                        .map_or_else(|| dom.text(c), str::to_string),
                    None => dom.text(n),
                };
                person(&text, false).filter(|_| text.chars().count() < 100)
            }),
    )
}

/// Links to an author's page ("/author/jane-roe/"): the first, and the others beside it.
fn author_link(dom: &Dom) -> Option<String> {
    let lists = bylines();
    let links: Vec<(NodeId, String)> = dom
        .elements("a")
        .filter(|&a| {
            dom.attr(a, "href").is_some_and(|h| {
                let h = h.to_ascii_lowercase();
                lists
                    .list("author_path")
                    .iter()
                    .any(|p| h.contains(p.as_str()))
            }) && !outside_article(dom, a)
        })
        .filter_map(|a| person(&dom.spaced_text(a), true).map(|name| (a, name)))
        .collect();
    let (first, _) = links.first()?;
    let block = |n: NodeId| {
        let parent = dom.nodes[n].parent;
        parent.and_then(|p| dom.nodes[p].parent).or(parent)
    };
    let home = block(*first);
    join_names(
        links
            .into_iter()
            .filter(|(a, _)| block(*a) == home)
            .map(|(_, name)| name),
    )
}

/// A short element whose class or id says byline or author ("By Jane Roe", "Von: Jane Roe"),
/// else a short visible line that starts with "By " and a capitalised name.
fn byline_element(dom: &Dom) -> Option<String> {
    let lists = bylines();
    let body = dom.elements("body").next().unwrap_or(0);
    let short = |n: NodeId| {
        let t = dom.spaced_text(n);
        (t.chars().count() < 100).then_some(t)
    };
    let candidates: Vec<NodeId> = dom
        .descendants(body)
        .filter(|&n| {
            dom.tag(n).is_some()
                && class_words(dom, n)
                    .iter()
                    .any(|w| lists.has("byline_class", w))
        })
        .collect();
    // A class that recurs is a list of other posts, each with its author.
    let mut class_counts: HashMap<&str, usize> = HashMap::new();
    for &m in &candidates {
        if let Some(class) = dom.attr(m, "class") {
            *class_counts.entry(class).or_default() += 1;
        }
    }
    let recurs = |n: NodeId| {
        dom.attr(n, "class")
            .is_some_and(|class| class_counts.get(class).is_some_and(|&c| c >= 3))
    };
    let by_class = candidates.iter().find_map(|&n| {
        if outside_article(dom, n) || recurs(n) {
            return None;
        }
        person(&short(n)?, true)
    });
    by_class.or_else(|| {
        dom.descendants(body).find_map(|n| {
            let NodeData::Text(t) = &dom.nodes[n].data else {
                return None;
            };
            let t = t.trim();
            if !t.starts_with("By ") || t.chars().count() > 80 || outside_article(dom, n) {
                return None;
            }
            person(t, true).filter(|name| name.split(' ').count() >= 2)
        })
    })
}

/// "记者 王小明", "作者：…", "文/李华": the reporter or writer (an editor, 责任编辑, is not the author).
fn zh_byline(dom: &Dom) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:作者|记者|文|撰稿|撰文)[：:/／\s]\s*([\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}·]{2,4})(?:[\s，,）)】\]]|$)")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    dom.descendants(0)
        .filter_map(|n| match &dom.nodes[n].data {
            NodeData::Text(t) if t.len() < 200 => Some(t.as_str()),
            _ => None,
        })
        .find_map(|t| {
            re.captures(t)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
        })
}

fn time_element(dom: &Dom) -> Option<String> {
    dom.descendants(0)
        .filter(|&n| {
            (dom.tag(n) == Some("time") || dom.attr(n, "itemprop") == Some("datePublished"))
                && !outside_article(dom, n)
        })
        .find_map(|n: NodeId| {
            dom.attr(n, "datetime")
                .or_else(|| dom.attr(n, "content"))
                .and_then(iso_datetime)
                .or_else(|| iso_date(&dom.text(n)))
        })
}

fn url_date(url: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"/((?:19|20)\d{2})[-/_]?(\d{2})[-/_]?(\d{2})[/_\-.]|/((?:19|20)\d{2})-(\d{2})/(\d{2})/")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    let c = re.captures(url)?;
    let (y, m, d) = if c.get(1).is_some() {
        (1, 2, 3)
    } else {
        (4, 5, 6)
    };
    ymd(c.get(y)?.as_str(), c.get(m)?.as_str(), c.get(d)?.as_str())
}

/// A date printed near a page's top, as Chinese news pages do ("2020-02-19 10:23:11", "2020年01月02日").
fn visible_date(dom: &Dom) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"((?:19|20)\d{2})(?:[-/.]|年)\s*(\d{1,2})(?:[-/.]|月)\s*(\d{1,2})(?:日|\s+\d{1,2}:\d{2}|$|[^\d])")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    let body = dom.elements("body").next()?;
    dom.descendants(body)
        .filter_map(|n| match &dom.nodes[n].data {
            NodeData::Text(t) if t.len() < 300 => Some(t.as_str()),
            _ => None,
        })
        .filter(|t| !t.contains("©") && !t.to_lowercase().contains("copyright"))
        .find_map(|t| {
            let c = re.captures(t)?;
            ymd(c.get(1)?.as_str(), c.get(2)?.as_str(), c.get(3)?.as_str())
        })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A machine date with its time and time zone kept when it has both
/// (`2015-01-23T13:20:00-05:00`, `…Z`), else its day as [`iso_date`] reads it.
pub fn iso_datetime(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})\s*$")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    let day = iso_date(s)?;
    let Some(c) = re.captures(s) else {
        return Some(day);
    };
    if c.get(1).map(|m| m.as_str()) != Some(day.as_str()) {
        return Some(day);
    }
    let (h, m) = (c.get(2)?.as_str(), c.get(3)?.as_str());
    let sec = c.get(4).map_or("00", |m| m.as_str());
    let zone = match c.get(5)?.as_str() {
        "Z" => "Z".to_string(),
        z if z.len() == 5 => format!("{}:{}", &z[..3], &z[3..]),
        z => z.to_string(),
    };
    let valid = h.parse::<u32>().is_ok_and(|h| h < 24) && m.parse::<u32>().is_ok_and(|m| m < 60);
    Some(if valid {
        format!("{day}T{h}:{m}:{sec}{zone}")
    } else {
        day
    })
}

/// A date in any of the usual machine or English forms, as `YYYY-MM-DD`.
pub fn iso_date(s: &str) -> Option<String> {
    static NUMERIC: OnceLock<Regex> = OnceLock::new();
    static WORDS: OnceLock<Regex> = OnceLock::new();
    let numeric = NUMERIC.get_or_init(|| {
        Regex::new(r"((?:19|20)\d{2})(?:[-/.]|年)?(\d{1,2})(?:[-/.]|月)?(\d{1,2})")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    let words = WORDS.get_or_init(|| {
        Regex::new(r"(?i)(?:(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+((?:19|20)\d{2}))|(?:([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2}))")
            .unwrap_or_else(|e| panic!("bad pattern: {e}"))
    });
    let s = s.trim();
    if let Some(c) = numeric.captures(s) {
        if let Some(d) = ymd(c.get(1)?.as_str(), c.get(2)?.as_str(), c.get(3)?.as_str()) {
            return Some(d);
        }
    }
    let c = words.captures(s)?;
    let (day, month, year) = if c.get(1).is_some() {
        (c.get(1)?, c.get(2)?, c.get(3)?)
    } else {
        (c.get(5)?, c.get(4)?, c.get(6)?)
    };
    let m = MONTHS
        .iter()
        .position(|m| month.as_str().eq_ignore_ascii_case(m))?
        + 1;
    ymd(year.as_str(), &m.to_string(), day.as_str())
}

fn ymd(y: &str, m: &str, d: &str) -> Option<String> {
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_common_forms() {
        assert_eq!(
            iso_date("2019-11-19T13:03:00Z").as_deref(),
            Some("2019-11-19")
        );
        assert_eq!(
            iso_date("2020年1月2日 10:00").as_deref(),
            Some("2020-01-02")
        );
        assert_eq!(iso_date("Nov. 19, 2019").as_deref(), Some("2019-11-19"));
        assert_eq!(
            iso_date("Tue, 5 Mar 2024 08:00:00 GMT").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(iso_date("20200102").as_deref(), Some("2020-01-02"));
        assert_eq!(iso_date("2019-13-45"), None);
        assert_eq!(
            url_date("http://www.xinhuanet.com/local/2020-02/19/c_1.htm").as_deref(),
            Some("2020-02-19")
        );
    }

    #[test]
    fn site_names_leave_titles() {
        let title = |t: &str, outlet: Option<&str>| trim_site_name(t, None, outlet).0;
        assert_eq!(
            trim_site_name("武汉的声音：有英勇的你！-新华网", None, None),
            (
                "武汉的声音：有英勇的你！".to_string(),
                Some("新华网".to_string())
            )
        );
        assert_eq!(
            title("Plan fails | The Daily Paper", None),
            "Plan fails | The Daily Paper"
        );
        assert_eq!(title("Plan fails | Daily", Some("Daily")), "Plan fails");
        assert_eq!(
            title("A long headline about the plan - Daily", None),
            "A long headline about the plan"
        );
        assert_eq!(
            title("Why the plan was well-known", None),
            "Why the plan was well-known"
        );
        assert_eq!(title("Covid-19 cases rise", None), "Covid-19 cases rise");
    }

    #[test]
    fn metadata_from_json_ld_meta_and_page() {
        let html = r#"<html lang="en-GB"><head><title>Plan fails | The Daily Paper</title>
            <meta property="og:site_name" content="The Daily Paper">
            <link rel="canonical" href="https://daily.example/2024/03/05/plan">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebSite","name":"Daily"},
              {"@type":"NewsArticle","datePublished":"2024-03-05T08:00:00Z","author":[{"@type":"Person","name":"Jane Roe"}]}]}</script>
            </head><body><h1>Plan fails</h1></body></html>"#;
        let m = metadata(&Dom::parse(html), None);
        assert_eq!(m.title.as_deref(), Some("Plan fails"));
        assert_eq!(m.author.as_deref(), Some("Jane Roe"));
        assert_eq!(m.published.as_deref(), Some("2024-03-05T08:00:00Z"));
        assert_eq!(m.from.published, Some(FieldSource::JsonLd));
        assert_eq!(m.outlet.as_deref(), Some("The Daily Paper"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://daily.example/2024/03/05/plan")
        );
        assert_eq!(m.declared_lang.as_deref(), Some("en"));
    }

    fn page(body: &str) -> Metadata {
        metadata(
            &Dom::parse(&format!("<html><body>{body}</body></html>")),
            None,
        )
    }

    #[test]
    fn dates_keep_their_time_zone_or_only_the_day() {
        assert_eq!(
            iso_datetime("2015-01-23T13:20:00-0500").as_deref(),
            Some("2015-01-23T13:20:00-05:00")
        );
        assert_eq!(
            iso_datetime("2024-04-20T04:20:00.000Z").as_deref(),
            Some("2024-04-20T04:20:00Z")
        );
        // A time without a zone says nothing certain about the hour; the day stays.
        assert_eq!(
            iso_datetime("2020-02-19 09:35:19").as_deref(),
            Some("2020-02-19")
        );
        assert_eq!(iso_datetime("March 3, 2021").as_deref(), Some("2021-03-03"));
    }

    #[test]
    fn bylines_from_the_visible_page() {
        let m = page(
            r#"<h1>T</h1><p class="byline author">Written by Rob Ewaschuk<br>Edited by Betsy Beyer</p>"#,
        );
        assert_eq!(m.author.as_deref(), Some("Rob Ewaschuk"));
        assert_eq!(m.from.author, Some(FieldSource::Byline));
        let m = page(
            r#"<span class="blog-author">By <a href="/blog/author/john-walk">John Walk</a> -</span> <time datetime="2020-01-10T00:00:00Z">January 10, 2020</time>"#,
        );
        assert_eq!(m.author.as_deref(), Some("John Walk"));
        assert_eq!(m.from.author, Some(FieldSource::AuthorLink));
        assert_eq!(m.published.as_deref(), Some("2020-01-10T00:00:00Z"));
        let m =
            page(r#"<a rel="author" href="/u/1">Kay</a><a rel="author" href="/u/2">Jo Roe</a>"#);
        assert_eq!(m.author.as_deref(), Some("Kay; Jo Roe"));
        let m = page(
            r#"<div class="info blog-author-wrapper"><span>Von: </span><span>Wolfgang Schmale</span></div>"#,
        );
        assert_eq!(m.author.as_deref(), Some("Wolfgang Schmale"));
        assert_eq!(
            page(r#"<a href="/author/x">跨流域调水缓解白洋淀水资源紧缺</a>"#).author,
            None
        );
        let m = page(r#"<a href="/author/x">Williams Perdomo @wperdomod</a>"#);
        assert_eq!(m.author.as_deref(), Some("Williams Perdomo"));
    }

    #[test]
    fn chinese_bylines_and_dates() {
        let m = page("<div>发布时间：2022-09-01 10:23 来源：新京报 记者 王小明</div><p>正文。</p>");
        assert_eq!(m.author.as_deref(), Some("王小明"));
        assert_eq!(m.published.as_deref(), Some("2022-09-01"));
        assert_eq!(
            page("<p>文/李华 市民表示</p>").author.as_deref(),
            Some("李华")
        );
        assert_eq!(
            page("<p>2022年9月1日</p>").published.as_deref(),
            Some("2022-09-01")
        );
        assert_eq!(page("<p>【责任编辑:焦鹏】</p>").author, None);
    }

    #[test]
    fn what_is_no_byline() {
        // "Staff" alone, a date, a comment's author, and the authors of a list of other posts.
        assert_eq!(page(r#"<span class="byline">By Staff</span>"#).author, None);
        assert_eq!(
            page(r#"<span class="byline">March 3, 2021</span>"#).author,
            None
        );
        assert_eq!(
            page(r#"<ol class="comment-list"><li><a rel="author" href="/u">Chandice Probst</a></li></ol>"#).author,
            None
        );
        let list = r#"<div class="post"><span class="author">Kate May</span></div>"#.repeat(3);
        assert_eq!(page(&list).author, None);
        assert_eq!(page("<p>By the way, nobody signed this.</p>").author, None);
        let m = metadata(
            &Dom::parse(r#"<html><head><meta name="author" content="No Author"></head></html>"#),
            None,
        );
        assert_eq!(m.author, None);
    }

    #[test]
    fn titles_prefer_the_longer_heading_of_the_same_story() {
        let html = |h1: &str| {
            format!(
                r#"<html><head><meta property="og:title" content="How to Care for Hydrangeas | Real Simple"><meta property="og:site_name" content="Real Simple"></head><body><h1>{h1}</h1></body></html>"#
            )
        };
        let m = metadata(
            &Dom::parse(&html(
                "How to Care for Hydrangeas to Get the Most Beautiful Blooms",
            )),
            None,
        );
        assert_eq!(
            m.title.as_deref(),
            Some("How to Care for Hydrangeas to Get the Most Beautiful Blooms")
        );
        assert_eq!(m.from.title, Some(FieldSource::Heading));
        let m = metadata(
            &Dom::parse(&html("Real Simple Newsletter Signup Today")),
            None,
        );
        assert_eq!(m.title.as_deref(), Some("How to Care for Hydrangeas"));
    }
}
