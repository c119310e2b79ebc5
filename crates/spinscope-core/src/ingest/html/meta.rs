//! Page metadata: title, author, publication date, outlet and canonical URL, from (in order of
//! trust) JSON-LD, `<meta>` tags, microdata and the visible page.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::dom::{Dom, NodeData, NodeId};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    /// `YYYY-MM-DD`.
    pub published: Option<String>,
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
    let title = get(&["og:title", "twitter:title", "dc.title", "headline"])
        .or_else(|| ld_string(&ld, &["headline"]))
        .or_else(|| trimmed.as_ref().map(|(t, _)| t.clone()))
        .or(h1);
    // "Headline_新华网": the site name in the page title beats a bare host name.
    let outlet = named_outlet
        .or_else(|| trimmed.and_then(|(_, site)| site))
        .or_else(|| url.as_deref().and_then(host));

    let author = ld_author(&ld)
        .or_else(|| {
            get(&[
                "author",
                "article:author",
                "dc.creator",
                "byl",
                "sailthru.author",
                "parsely-author",
                "twitter:creator",
            ])
        })
        .filter(|a| !a.starts_with("http") && !a.starts_with('@'))
        .or_else(|| itemprop_text(dom, "author"))
        .or_else(|| zh_byline(dom));

    let published = ld_string(&ld, &["datePublished"])
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
        })
        .and_then(|d| iso_date(&d))
        .or_else(|| time_element(dom))
        .or_else(|| url.as_deref().and_then(url_date))
        .or_else(|| visible_date(dom));

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

    Metadata {
        title,
        author,
        published,
        outlet,
        url,
        declared_lang,
    }
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
        let names: Vec<String> = names
            .iter()
            .map(|n| clean(n))
            .filter(|n| !n.is_empty())
            .collect();
        (!names.is_empty()).then(|| names.join("; "))
    })
}

fn itemprop_text(dom: &Dom, prop: &str) -> Option<String> {
    dom.descendants(0)
        .find(|&n| dom.attr(n, "itemprop") == Some(prop) && dom.tag(n) != Some("meta"))
        .map(|n| {
            dom.descendants(n)
                .find(|&c| dom.attr(c, "itemprop") == Some("name"))
                .map_or_else(|| dom.text(n), |c| dom.text(c))
        })
        .map(|t| {
            t.trim_start_matches("By ")
                .trim_start_matches("by ")
                .to_string()
        })
        .filter(|t| !t.is_empty() && t.chars().count() < 80)
}

fn zh_byline(dom: &Dom) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:作者|记者|文|撰稿|责任编辑|责编)[：:\s]\s*([\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}·]{2,4})(?:[\s，,）)】\]]|$)")
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
        .filter(|&n| dom.tag(n) == Some("time") || dom.attr(n, "itemprop") == Some("datePublished"))
        .find_map(|n: NodeId| {
            dom.attr(n, "datetime")
                .or_else(|| dom.attr(n, "content"))
                .and_then(iso_date)
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
        assert_eq!(m.published.as_deref(), Some("2024-03-05"));
        assert_eq!(m.outlet.as_deref(), Some("The Daily Paper"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://daily.example/2024/03/05/plan")
        );
        assert_eq!(m.declared_lang.as_deref(), Some("en"));
    }
}
