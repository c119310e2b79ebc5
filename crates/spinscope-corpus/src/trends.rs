//! `trends`: per outlet (and month), how the coverage persuades — technique density, the share
//! of anonymous and self-citing attributions, scare quotes — weighted by length, so one long
//! article counts for its words, not as one vote.

use serde::Serialize;

use crate::store::Store;
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// One row per outlet over all time.
    Outlet,
    /// One row per outlet and month (`YYYY-MM` of `published`; `undated` when unknown).
    Month,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// `null` for documents without an outlet.
    pub outlet: Option<String>,
    /// `YYYY-MM`, `undated`, or `all` when grouping by outlet only.
    pub period: String,
    pub documents: u64,
    pub words: u64,
    pub techniques: u64,
    pub techniques_per_1k_words: f64,
    pub attributions: u64,
    pub anonymous_share: f64,
    pub self_citation_share: f64,
    pub scare_quotes: u64,
    pub scare_quotes_per_1k_words: f64,
    pub claims: u64,
}

/// Every group's figures, by outlet then period.
pub fn trends(store: &Store, by: By) -> Result<Vec<Trend>> {
    let period = match by {
        By::Outlet => "'all'",
        By::Month => "coalesce(month, 'undated')",
    };
    let mut stmt = store.conn.prepare(&format!(
        "SELECT outlet, {period} AS period, count(*), sum(words), sum(techniques),
                sum(attributions), sum(anonymous), sum(self_citations), sum(scare_quotes),
                sum(claims)
         FROM documents GROUP BY outlet, period ORDER BY outlet, period"
    ))?;
    let rows = stmt.query_map([], |r| {
        let get = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let (words, techniques, attributions) = (get(3)?, get(4)?, get(5)?);
        let (anonymous, self_citations, scare_quotes) = (get(6)?, get(7)?, get(8)?);
        Ok(Trend {
            outlet: r.get(0)?,
            period: r.get(1)?,
            documents: get(2)?,
            words,
            techniques,
            techniques_per_1k_words: per(techniques * 1000, words, 2),
            attributions,
            anonymous_share: per(anonymous, attributions, 3),
            self_citation_share: per(self_citations, attributions, 3),
            scare_quotes,
            scare_quotes_per_1k_words: per(scare_quotes * 1000, words, 2),
            claims: get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `part / whole` rounded; 0 for an empty whole.
fn per(part: u64, whole: u64, decimals: i32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    let f = 10f64.powi(decimals);
    (part as f64 / whole as f64 * f).round() / f
}

/// The CSV header and rows.
pub fn write_csv(out: &mut impl std::io::Write, trends: &[Trend]) -> std::io::Result<()> {
    writeln!(
        out,
        "outlet,period,documents,words,techniques,techniques_per_1k_words,attributions,anonymous_share,self_citation_share,scare_quotes,scare_quotes_per_1k_words,claims"
    )?;
    for t in trends {
        crate::export::csv_field(out, t.outlet.as_deref().unwrap_or(""))?;
        writeln!(
            out,
            ",{},{},{},{},{},{},{},{},{},{},{}",
            t.period,
            t.documents,
            t.words,
            t.techniques,
            t.techniques_per_1k_words,
            t.attributions,
            t.anonymous_share,
            t.self_citation_share,
            t.scare_quotes,
            t.scare_quotes_per_1k_words,
            t.claims
        )?;
    }
    Ok(())
}
