//! The HTML pages (askama templates under `templates/`, every value escaped) and the data
//! they show.

use askama::Template;
use serde_json::Value;
use spinscope_corpus::reuse::Cluster;
use spinscope_corpus::trends::Trend;
use spinscope_corpus::Hit;

use crate::view::ReportView;

/// The stylesheet, embedded: served at `/static/spinscope.css`, inlined in standalone reports.
pub const CSS: &str = include_str!("../assets/spinscope.css");

/// What the shared layout needs.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// A file to open offline: stylesheet inlined, no navigation.
    pub standalone: bool,
    pub has_db: bool,
    pub css: &'static str,
}

impl Layout {
    pub fn served(has_db: bool) -> Layout {
        Layout {
            standalone: false,
            has_db,
            css: CSS,
        }
    }
    pub fn standalone() -> Layout {
        Layout {
            standalone: true,
            has_db: false,
            css: CSS,
        }
    }
}

#[derive(Template, Debug)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub title: String,
    pub reports: Vec<ReportView>,
}

impl ReportPage {
    /// Reports (JSON) with their texts.
    pub fn new(layout: Layout, reports: &[(Value, String)]) -> ReportPage {
        let reports: Vec<ReportView> = reports
            .iter()
            .map(|(r, text)| ReportView::new(r, text))
            .collect();
        let title = match reports.as_slice() {
            [one] => one.heading.clone(),
            many => format!("{} documents", many.len()),
        };
        ReportPage {
            layout,
            title,
            reports,
        }
    }
}

#[derive(Template, Debug)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub error: String,
}

/// A search hit as the page shows it: the snippet cut into (text, highlighted) pieces.
#[derive(Debug)]
pub struct HitView {
    pub key: i64,
    pub title: String,
    pub outlet: String,
    pub published: String,
    pub score: String,
    pub snippet: Vec<(String, bool)>,
}

impl HitView {
    pub fn new(h: &Hit) -> HitView {
        let chars: Vec<char> = h.snippet.chars().collect();
        let mut snippet = Vec::new();
        let mut at = 0;
        for r in &h.highlights {
            let (s, e) = (r.start.min(chars.len()), r.end.min(chars.len()));
            if s < at {
                continue;
            }
            snippet.push((chars[at..s].iter().collect(), false));
            snippet.push((chars[s..e].iter().collect(), true));
            at = e;
        }
        snippet.push((chars[at..].iter().collect(), false));
        HitView {
            key: h.meta.key,
            title: h.meta.title.clone().unwrap_or_else(|| h.meta.id.clone()),
            outlet: h.meta.outlet.clone().unwrap_or_default(),
            published: h.meta.published.clone().unwrap_or_default(),
            score: format!("{:.2}", h.score),
            snippet,
        }
    }
}

#[derive(Template, Debug)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub query: String,
    pub outlet: String,
    pub lang: String,
    pub searched: bool,
    pub error: String,
    pub hits: Vec<HitView>,
}

#[derive(Debug)]
pub struct Line {
    pub index: usize,
    pub outlet: String,
    /// SVG polyline points: numbers only.
    pub points: String,
}

#[derive(Debug)]
pub struct Chart {
    pub title: &'static str,
    pub max: String,
    pub lines: Vec<Line>,
    pub ticks: Vec<(usize, String)>,
}

#[derive(Debug)]
pub struct TrendRow {
    pub outlet: String,
    pub period: String,
    pub documents: u64,
    pub density: f64,
    pub anonymous: f64,
    pub self_citation: f64,
    pub scare_quotes: u64,
}

#[derive(Template, Debug)]
#[template(path = "trends.html")]
pub struct TrendsPage {
    pub layout: Layout,
    pub charts: Vec<Chart>,
    pub rows: Vec<TrendRow>,
}

/// Most outlets drawn on one chart (by documents); the table has them all.
const MAX_LINES: usize = 8;

impl TrendsPage {
    pub fn new(layout: Layout, trends: &[Trend]) -> TrendsPage {
        let mut months: Vec<&str> = trends
            .iter()
            .map(|t| t.period.as_str())
            .filter(|p| *p != "undated")
            .collect();
        months.sort_unstable();
        months.dedup();
        let mut outlets: Vec<(String, u64)> = Vec::new();
        for t in trends {
            let name = t.outlet.clone().unwrap_or_else(|| "(no outlet)".into());
            match outlets.iter_mut().find(|o| o.0 == name) {
                Some(o) => o.1 += t.documents,
                None => outlets.push((name, t.documents)),
            }
        }
        outlets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        outlets.truncate(MAX_LINES);
        let x = |i: usize| 40 + i * 590 / months.len().saturating_sub(1).max(1);
        let chart = |title: &'static str, value: fn(&Trend) -> f64| {
            let max = trends.iter().map(value).fold(0.0f64, f64::max).max(1e-9);
            let lines = outlets
                .iter()
                .enumerate()
                .map(|(index, (outlet, _))| {
                    let points = months
                        .iter()
                        .enumerate()
                        .filter_map(|(i, m)| {
                            let t = trends.iter().find(|t| {
                                t.period == *m
                                    && t.outlet.as_deref().unwrap_or("(no outlet)") == outlet
                            })?;
                            Some(format!("{},{:.0}", x(i), 170.0 - value(t) / max * 150.0))
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    Line {
                        index,
                        outlet: outlet.clone(),
                        points,
                    }
                })
                .collect();
            let step = months.len().div_ceil(8).max(1);
            let ticks = months
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(i, m)| (x(i).saturating_sub(18), m.to_string()))
                .collect();
            Chart {
                title,
                max: format!("{max:.2}"),
                lines,
                ticks,
            }
        };
        let charts = if months.is_empty() {
            Vec::new()
        } else {
            vec![
                chart("Techniques per 1,000 words", |t| t.techniques_per_1k_words),
                chart("Anonymous share of attributions", |t| t.anonymous_share),
                chart("Self-citation share of attributions", |t| {
                    t.self_citation_share
                }),
            ]
        };
        let rows = trends
            .iter()
            .map(|t| TrendRow {
                outlet: t.outlet.clone().unwrap_or_default(),
                period: t.period.clone(),
                documents: t.documents,
                density: t.techniques_per_1k_words,
                anonymous: t.anonymous_share,
                self_citation: t.self_citation_share,
                scare_quotes: t.scare_quotes,
            })
            .collect();
        TrendsPage {
            layout,
            charts,
            rows,
        }
    }
}

#[derive(Debug)]
pub struct MemberView {
    pub key: i64,
    pub title: String,
    pub outlet: String,
    pub published: String,
    pub start: usize,
    pub end: usize,
    pub excerpt: String,
}

#[derive(Debug)]
pub struct ClusterView {
    pub id: String,
    pub shared_chars: usize,
    pub members: Vec<MemberView>,
}

#[derive(Template, Debug)]
#[template(path = "reuse.html")]
pub struct ReusePage {
    pub layout: Layout,
    pub summary: String,
    pub clusters: Vec<ClusterView>,
}

/// Longest excerpt of a member's shared passages, in characters.
const EXCERPT: usize = 1200;

impl ClusterView {
    /// `text_of` gives a member's text by key.
    pub fn new(c: &Cluster, text_of: impl Fn(i64) -> String) -> ClusterView {
        let members = c
            .members
            .iter()
            .map(|m| {
                let chars: Vec<char> = text_of(m.key).chars().collect();
                let mut excerpt = String::new();
                for p in &m.passages {
                    if !excerpt.is_empty() {
                        excerpt.push_str(" … ");
                    }
                    let (s, e) = (p.start.min(chars.len()), p.end.min(chars.len()));
                    excerpt.extend(&chars[s..e]);
                    if excerpt.chars().count() > EXCERPT {
                        excerpt = excerpt.chars().take(EXCERPT).collect();
                        excerpt.push('…');
                        break;
                    }
                }
                MemberView {
                    key: m.key,
                    title: m.title.clone().unwrap_or_else(|| m.document.clone()),
                    outlet: m.outlet.clone().unwrap_or_default(),
                    published: m.published.clone().unwrap_or_default(),
                    start: m.start,
                    end: m.end,
                    excerpt,
                }
            })
            .collect();
        ClusterView {
            id: c.id.clone(),
            shared_chars: c.shared_chars,
            members,
        }
    }
}
