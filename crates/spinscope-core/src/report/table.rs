//! A summary a person reads on a terminal: counts, the sourcing profile, the top findings.

use std::io::{self, Write};

use super::{Finding, Report};

/// How many findings the table lists before pointing to `--format json`.
const TOP_FINDINGS: usize = 25;
/// How many claims the ranked list shows.
const TOP_CLAIMS: usize = 10;
/// How many characters of a finding's text a row shows.
const TEXT_WIDTH: usize = 70;

pub fn write_table(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let d = &report.document;
    let s = &report.summary;
    let langs: Vec<String> = d
        .langs
        .iter()
        .map(|(l, share)| format!("{l} {}", percent(*share)))
        .collect();
    writeln!(out, "── {} ({}) ──", d.id, d.source)?;
    let mut meta = vec![format!("{} chars", d.chars)];
    if !langs.is_empty() {
        meta.push(langs.join(" · "));
    }
    for (name, value) in [("outlet", &d.outlet), ("published", &d.published)] {
        if let Some(v) = value {
            meta.push(format!("{name} {v}"));
        }
    }
    writeln!(out, "{}", meta.join("  ·  "))?;
    if let Some(title) = &d.title {
        writeln!(out, "title: {}", clip(title))?;
    }

    let a = &s.attributions;
    writeln!(
        out,
        "sourcing    {} attributions: {} named, {} anonymous, {} self-citing",
        a.total, a.named, a.anonymous, a.self_citation
    )?;
    if a.total > 0 {
        writeln!(
            out,
            "            anonymous {} {:.0}%",
            bar(s.anonymous_share),
            s.anonymous_share * 100.0
        )?;
    }
    let technique_total: usize = s.techniques.values().sum();
    write!(
        out,
        "techniques  {technique_total} ({:.1} per 1k words)",
        s.techniques_per_1k_words
    )?;
    let mut by_count: Vec<_> = s.techniques.iter().collect();
    by_count.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
    let listed: Vec<String> = by_count
        .iter()
        .map(|(t, n)| format!("{} {n}", t.label()))
        .collect();
    if listed.is_empty() {
        writeln!(out)?;
    } else {
        writeln!(out, ": {}", listed.join(", "))?;
    }
    writeln!(out, "scare quotes {}   claims {}", s.scare_quotes, s.claims)?;

    if report.findings.is_empty() {
        writeln!(out, "no findings")?;
        return writeln!(out);
    }
    writeln!(out)?;
    writeln!(out, "{:<12} {:<34} {:>13}  text", "kind", "what", "chars")?;
    for f in report.findings.iter().take(TOP_FINDINGS) {
        let e = f.extent();
        writeln!(
            out,
            "{:<12} {:<34} {:>13}  {}",
            f.kind_name(),
            what(f),
            format!("{}–{}", e.start, e.end),
            clip(&e.text)
        )?;
    }
    if report.findings.len() > TOP_FINDINGS {
        writeln!(
            out,
            "… {} more (all of them with --format json)",
            report.findings.len() - TOP_FINDINGS
        )?;
    }
    let claims = ranked_claims(report);
    if !claims.is_empty() {
        writeln!(out)?;
        writeln!(out, "claims to check, most check-worthy first:")?;
        for (score, text) in claims.iter().take(TOP_CLAIMS) {
            writeln!(out, "  {score:.2}  {}", clip(text))?;
        }
        if claims.len() > TOP_CLAIMS {
            writeln!(out, "  … {} more", claims.len() - TOP_CLAIMS)?;
        }
    }
    writeln!(out)
}

/// A share as a whole percentage; a share under one percent reads "<1%", never "0%".
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.005 {
        "<1%".to_string()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}

/// The claims, the most check-worthy first: what a fact-checker triages.
fn ranked_claims(report: &Report) -> Vec<(f32, &str)> {
    let mut claims: Vec<(f32, &str)> = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::Claim {
                checkworthy,
                extent,
                ..
            } => Some((*checkworthy, extent.text.as_str())),
            _ => None,
        })
        .collect();
    claims.sort_by(|a, b| b.0.total_cmp(&a.0));
    claims
}

/// The middle column: label, source type, score.
fn what(f: &Finding) -> String {
    match f {
        Finding::Technique { label, score, .. } => format!("{} {score:.2}", label.label()),
        Finding::Attribution {
            source,
            self_citation,
            quote,
            ..
        } => {
            let mut w = format!("{} ({quote:?})", source.kind.as_str()).to_lowercase();
            if *self_citation {
                w.push_str(" self-cited");
            }
            w
        }
        Finding::ScareQuote { score, .. } => format!("{score:.2}"),
        Finding::Claim { checkworthy, .. } => format!("checkworthy {checkworthy:.2}"),
        Finding::Reuse { cluster, .. } => cluster.clone(),
    }
}

fn bar(share: f64) -> String {
    let filled = (share.clamp(0.0, 1.0) * 20.0).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(20 - filled))
}

/// One line of at most `TEXT_WIDTH` characters.
fn clip(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(TEXT_WIDTH + 1)
        .collect();
    if flat.chars().count() > TEXT_WIDTH {
        let mut cut: String = flat.chars().take(TEXT_WIDTH - 1).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Document, Options};

    fn table(text: &str) -> String {
        let all = Options {
            all: true,
            ..Options::default()
        };
        let report = analyze(&Document::from_text("t", text), &all);
        let mut out = Vec::new();
        write_table(&mut out, &report).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_small_language_share_reads_under_one_percent_not_zero() {
        assert_eq!(percent(0.004), "<1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.93), "93%");
        let english =
            "The minister said the plan would cost money and take years to finish. ".repeat(20);
        let out = table(&format!("{english}\n\n中国"));
        assert!(out.contains("zh <1%"), "{out}");
    }

    #[test]
    fn claims_are_listed_most_check_worthy_first() {
        let out = table(
            "Hello to everyone here tonight. Unemployment fell to 3.5 percent in 2019, the \
             lowest in 50 years. We spent 2 billion dollars on 40,000 homes last year.",
        );
        let scores: Vec<f32> = out
            .lines()
            .skip_while(|l| !l.starts_with("claims to check"))
            .skip(1)
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        assert!(scores.len() >= 2, "{out}");
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    }
}
