//! From a report (its JSON form, so fresh and stored reports render alike) to what the HTML
//! templates show. Nothing here writes markup: every string goes through askama's escaping.

use serde_json::Value;
use spinscope_core::report::Technique;

/// A stretch of the article with the same findings over all of it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub text: String,
    /// Empty for plain text; else CSS classes: `t<i>` per technique (the innermost first),
    /// `multi` where techniques overlap, `attr`/`src` inside an attribution/its source, `sq`.
    pub classes: String,
    /// What the hover shows: technique names, the source of an attribution, "scare quote".
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub class: String,
    pub name: String,
    pub count: usize,
}

/// One horizontal bar of an inline SVG chart (geometry in SVG units, no inline styles: the
/// server's Content-Security-Policy forbids them).
#[derive(Debug, Clone)]
pub struct Bar {
    pub class: String,
    pub label: String,
    pub count: usize,
    pub width: usize,
}

#[derive(Debug, Clone)]
pub struct SourceRow {
    pub source: String,
    pub kind: String,
    pub descriptor: String,
    pub cue: String,
    pub quote: String,
    pub anonymous: bool,
    pub self_citation: bool,
}

/// A part of the sourcing bar: named, anonymous, self-citation, other.
#[derive(Debug, Clone)]
pub struct BarPart {
    pub class: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub x: usize,
    pub width: usize,
}

#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub text: String,
    pub score: String,
    pub quantities: String,
}

/// Everything one report's section shows.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub heading: String,
    pub facts: Vec<(String, String)>,
    pub segments: Vec<Segment>,
    pub legend: Vec<LegendItem>,
    pub chart: Vec<Bar>,
    pub sources: Vec<SourceRow>,
    pub sourcing: Vec<BarPart>,
    pub claims: Vec<ClaimRow>,
    pub scare_quotes: Vec<String>,
    pub summary: Vec<(String, String)>,
}

/// Width of the technique chart's longest bar and of the sourcing bar, SVG units.
pub const BAR_WIDTH: usize = 100;
pub const SOURCING_WIDTH: usize = 200;

/// The human name of a PTC label: "Name_Calling,Labeling" → "Name calling, labeling".
pub fn technique_name(label: &str) -> String {
    let spaced = label.replace('_', " ").replace(',', ", ");
    let mut chars = spaced.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_uppercase()
            .chain(chars.map(|c| c.to_ascii_lowercase()))
            .collect()
    })
}

fn technique_index(label: &str) -> Option<usize> {
    Technique::ALL.iter().position(|t| t.label() == label)
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn num(v: &Value, key: &str) -> usize {
    v.get(key).and_then(Value::as_u64).unwrap_or(0) as usize
}

fn range(v: &Value) -> Option<(usize, usize)> {
    let (s, e) = (v.get("start")?.as_u64()?, v.get("end")?.as_u64()?);
    (s < e).then_some((s as usize, e as usize))
}

/// What a finding contributes to the segments it covers.
enum Mark {
    Technique(usize, String),
    Attribution(String),
    Source,
    Scare,
}

impl ReportView {
    /// `report` is a `spinscope/report@1` object; `text` the document's text (offsets are code
    /// points into it).
    pub fn new(report: &Value, text: &str) -> ReportView {
        let doc = &report["document"];
        let findings = report["findings"].as_array().cloned().unwrap_or_default();
        let chars: Vec<char> = text.chars().collect();
        let slice = |(s, e): (usize, usize)| -> String {
            chars[s.min(chars.len())..e.min(chars.len())]
                .iter()
                .collect()
        };

        let mut marks: Vec<((usize, usize), Mark)> = Vec::new();
        let mut sources = Vec::new();
        let mut claims = Vec::new();
        let mut scare_quotes = Vec::new();
        for f in &findings {
            let Some(span) = range(f) else { continue };
            match str_of(f, "kind") {
                "technique" => {
                    let label = str_of(f, "label");
                    if let Some(i) = technique_index(label) {
                        marks.push((span, Mark::Technique(i, technique_name(label))));
                    }
                }
                "attribution" => {
                    let source = &f["source"];
                    let who = str_of(source, "text").to_string();
                    let kind = str_of(source, "type").replace('_', " ");
                    let hover = format!("source: {who} ({kind})");
                    marks.push((span, Mark::Attribution(hover)));
                    if let Some(s) = range(source) {
                        marks.push((s, Mark::Source));
                    }
                    sources.push(SourceRow {
                        source: who,
                        kind,
                        descriptor: str_of(source, "descriptor").to_string(),
                        cue: str_of(&f["cue"], "text").to_string(),
                        quote: str_of(f, "quote").to_string(),
                        anonymous: f["anonymous"].as_bool().unwrap_or(false),
                        self_citation: f["self_citation"].as_bool().unwrap_or(false),
                    });
                }
                "scare_quote" => {
                    marks.push((span, Mark::Scare));
                    scare_quotes.push(slice(span));
                }
                "claim" => claims.push(ClaimRow {
                    text: slice(span),
                    score: f["checkworthy"]
                        .as_f64()
                        .map_or(String::new(), |s| format!("{s:.2}")),
                    quantities: f["quantities"]
                        .as_array()
                        .map(|q| {
                            q.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .unwrap_or_default(),
                }),
                _ => {}
            }
        }

        let segments = segments(&chars, &marks);
        let summary = &report["summary"];
        let counts = summary["techniques"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut legend: Vec<LegendItem> = counts
            .iter()
            .filter_map(|(label, n)| {
                Some(LegendItem {
                    class: format!("t{}", technique_index(label)?),
                    name: technique_name(label),
                    count: n.as_u64().unwrap_or(0) as usize,
                })
            })
            .collect();
        legend.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let most = legend.first().map_or(1, |l| l.count.max(1));
        let chart = legend
            .iter()
            .map(|l| Bar {
                class: l.class.clone(),
                label: l.name.clone(),
                count: l.count,
                width: (l.count * BAR_WIDTH / most).max(2),
            })
            .collect();

        // One category per attribution, so the bar adds up: the outlet citing itself first
        // (it may also be anonymous), then anonymous, then on the record.
        let total = sources.len();
        let mut counts = [0usize; 4];
        for s in &sources {
            let i = if s.self_citation {
                2
            } else if s.anonymous {
                1
            } else if matches!(s.kind.as_str(), "named person" | "named org" | "role") {
                0
            } else {
                3
            };
            counts[i] += 1;
        }
        let mut x = 0;
        let sourcing = [
            ("named", "named", counts[0]),
            ("anon", "anonymous", counts[1]),
            ("self", "self-citation", counts[2]),
            ("other", "other", counts[3]),
        ]
        .into_iter()
        .filter(|p| p.2 > 0)
        .map(|(class, label, count)| {
            let width = count * SOURCING_WIDTH / total.max(1);
            let part = BarPart {
                class,
                label,
                count,
                x,
                width,
            };
            x += width;
            part
        })
        .collect();

        // Pasted text has no title: its first line stands in.
        let first_line: String = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().chars().take(90).collect())
            .unwrap_or_default();
        let heading = [str_of(doc, "title"), first_line.as_str(), str_of(doc, "id")]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("Untitled")
            .to_string();
        let facts = ["outlet", "published", "author", "url", "lang", "chars"]
            .into_iter()
            .filter_map(|k| {
                let v = &doc[k];
                let shown = match v {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((k.to_string(), shown))
            })
            .collect();
        let summary_rows = vec![
            (
                "techniques".to_string(),
                legend.iter().map(|l| l.count).sum::<usize>().to_string(),
            ),
            (
                "per 1,000 words".to_string(),
                summary["techniques_per_1k_words"].to_string(),
            ),
            ("attributions".to_string(), total.to_string()),
            (
                "anonymous share".to_string(),
                summary["anonymous_share"].to_string(),
            ),
            (
                "scare quotes".to_string(),
                num(summary, "scare_quotes").to_string(),
            ),
            ("claims".to_string(), num(summary, "claims").to_string()),
        ];
        // Claims ranked, the most check-worthy first: a list to triage, not the text's order.
        claims.sort_by(|a: &ClaimRow, b: &ClaimRow| {
            let score = |c: &ClaimRow| c.score.parse::<f64>().unwrap_or(0.0);
            score(b).total_cmp(&score(a))
        });
        ReportView {
            heading,
            facts,
            segments,
            legend,
            chart,
            sources,
            sourcing,
            claims,
            scare_quotes,
            summary: summary_rows,
        }
    }
}

/// Cuts the text at every finding boundary; each piece carries the marks covering it.
fn segments(chars: &[char], marks: &[((usize, usize), Mark)]) -> Vec<Segment> {
    let n = chars.len();
    let mut cuts: Vec<usize> = vec![0, n];
    for ((s, e), _) in marks {
        cuts.push((*s).min(n));
        cuts.push((*e).min(n));
    }
    cuts.sort_unstable();
    cuts.dedup();
    // Marks sorted by start; the active set is small, so a linear scan per piece is enough.
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&i| marks[i].0);
    let mut next = 0;
    let mut active: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(cuts.len());
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        while next < order.len() && marks[order[next]].0 .0 <= a {
            active.push(order[next]);
            next += 1;
        }
        active.retain(|&i| marks[i].0 .1 > a);
        let text: String = chars[a..b].iter().collect();
        let mut techniques: Vec<(usize, usize, &str)> = Vec::new();
        let (mut classes, mut titles) = (Vec::new(), Vec::new());
        for &i in &active {
            let ((s, e), mark) = &marks[i];
            match mark {
                Mark::Technique(t, name) => techniques.push((e - s, *t, name)),
                Mark::Attribution(hover) => {
                    classes.push("attr".to_string());
                    titles.push(hover.clone());
                }
                Mark::Source => classes.push("src".to_string()),
                Mark::Scare => {
                    classes.push("sq".to_string());
                    titles.push("scare quote".to_string());
                }
            }
        }
        techniques.sort();
        techniques.dedup_by_key(|t| t.1);
        let mut all: Vec<String> = techniques.iter().map(|t| format!("t{}", t.1)).collect();
        if techniques.len() > 1 {
            all.push("multi".to_string());
        }
        all.extend(classes);
        all.dedup();
        let mut title: Vec<String> = techniques.iter().map(|t| t.2.to_string()).collect();
        title.extend(titles);
        title.dedup();
        out.push(Segment {
            text,
            classes: all.join(" "),
            title: title.join(" · "),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overlapping_spans_split_into_marked_pieces() {
        let text = "A shameful lie of the century, sources said.";
        let report = json!({
            "document": {"id": "x", "title": null},
            "findings": [
                {"kind": "technique", "label": "Loaded_Language", "start": 2, "end": 10},
                {"kind": "technique", "label": "Exaggeration,Minimisation", "start": 2, "end": 29},
                {"kind": "attribution", "start": 0, "end": 43, "source": {"text": "sources", "type": "anonymous", "start": 31, "end": 38}, "cue": {"text": "said"}, "anonymous": true},
            ],
            "summary": {"techniques": {"Loaded_Language": 1, "Exaggeration,Minimisation": 1},
                        "attributions": {"total": 1, "named": 0, "anonymous": 1, "self_citation": 0}},
        });
        let view = ReportView::new(&report, text);
        let joined: String = view.segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
        let shameful = view
            .segments
            .iter()
            .find(|s| s.text == "shameful")
            .expect("piece");
        assert!(
            shameful.classes.starts_with("t8 t6 multi"),
            "{}",
            shameful.classes
        );
        assert!(
            shameful.title.contains("Loaded language")
                && shameful.title.contains("source: sources")
        );
        let src = view
            .segments
            .iter()
            .find(|s| s.text == "sources")
            .expect("source piece");
        assert!(src.classes.contains("src"));
        assert_eq!(view.sourcing.len(), 1);
        assert_eq!(view.sourcing[0].width, SOURCING_WIDTH);
        assert_eq!(view.heading, text);
    }

    #[test]
    fn names_read_as_words() {
        assert_eq!(
            technique_name("Name_Calling,Labeling"),
            "Name calling, labeling"
        );
        assert_eq!(
            technique_name("Appeal_to_fear-prejudice"),
            "Appeal to fear-prejudice"
        );
    }
}
