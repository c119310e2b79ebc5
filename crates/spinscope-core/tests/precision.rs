//! Findings a fact-checker can trust, on texts written for these tests in the style of a
//! state-media page: sources are noun phrases, scare quotes inside reported speech are found
//! and a speaker's own quoted words are not, repeated messages are a handful, scores are
//! probabilities and reports show the likely findings.

use spinscope_core::report::{Finding, SourceType};
use spinscope_core::{analyze, Document, Options, Report, Technique};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn report(name: &str, all: bool) -> Report {
    let options = Options {
        all,
        ..Options::default()
    };
    analyze(&Document::from_text(name, fixture(name)), &options)
}

/// (source text, type, cue text) of every attribution.
fn sources(r: &Report) -> Vec<(String, SourceType, String)> {
    r.findings
        .iter()
        .filter_map(|f| match f {
            Finding::Attribution { source, cue, .. } => Some((
                source.extent.text.clone(),
                source.kind,
                cue.as_ref().map_or(String::new(), |c| c.text.clone()),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn sources_are_noun_phrases() {
    let found = sources(&report("state_media_long_en.txt", true));
    let source = |text: &str| found.iter().find(|(s, _, _)| s == text);
    // Not sources: an adverb, a gerund, half a compound noun, a clause.
    for (bad, why) in [
        ("The ministry merely", "the adverb belongs to the cue"),
        ("Reviewing", "a gerund phrase"),
        ("Reviewing earlier", "a gerund phrase"),
        ("The audit", "the first half of a compound noun"),
        ("After the minister left", "a temporal clause"),
        ("Economic", "an adjective before a plural noun"),
    ] {
        assert!(
            source(bad).is_none(),
            "{bad:?} read as a source ({why}): {found:#?}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|(_, _, cue)| cue == "pressures" || cue == "report"),
        "a noun read as a cue: {found:#?}"
    );
    let (_, kind, cue) = source("The ministry").expect("the ministry claims");
    assert_eq!(
        (kind, cue.as_str()),
        (&SourceType::NamedOrg, "merely claimed")
    );
    // A titled, named official who issued a statement is a named person.
    let (_, kind, cue) =
        source("Foreign Ministry spokesperson Zhang Wei").expect("the spokesperson: {found:#?}");
    assert_eq!(*kind, SourceType::NamedPerson);
    assert_eq!(cue, "issued a statement saying");
    // People named only by where they are: a vague group, not a person.
    let (_, kind, _) = source("People from the region").expect("people from the region");
    assert_eq!(*kind, SourceType::VagueGroup);
    assert!(found
        .iter()
        .any(|(s, k, _)| s == "The audit report" && *k != SourceType::Anonymous));
}

#[test]
fn scare_quotes_in_reported_speech_are_the_writers_and_a_speakers_words_are_not() {
    let r = report("state_media_long_en.txt", true);
    let quotes: Vec<&str> = r
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::ScareQuote { extent, .. } => Some(extent.text.as_str()),
            _ => None,
        })
        .collect();
    for term in ["“interviews”", "“witnesses”", "“reviews”"]
        .iter()
        .map(|t| t.replace(['“', '”'], "\""))
    {
        assert!(
            quotes.contains(&term.as_str()),
            "{term} not found: {quotes:?}"
        );
    }
    // Li Ming's own words, quoted at the end of what he told the paper: his, not a distance.
    assert!(
        !quotes.iter().any(|q| q.contains("provocation")),
        "{quotes:?}"
    );
    // The writer's “report”, after "so-called" and a determiner.
    assert!(quotes.contains(&"\"report\""), "{quotes:?}");
}

#[test]
fn repetition_is_a_handful_of_messages_with_every_use() {
    for (name, most) in [("state_media_long_en.txt", 6), ("state_media_zh.txt", 6)] {
        let r = report(name, true);
        let messages: Vec<(&str, usize)> = r
            .findings
            .iter()
            .filter_map(|f| match f {
                Finding::Technique {
                    label: Technique::Repetition,
                    extent,
                    occurrences,
                    ..
                } => Some((extent.text.as_str(), occurrences.len())),
                _ => None,
            })
            .collect();
        assert!(messages.len() <= most, "{name}: {messages:#?}");
        for (text, uses) in &messages {
            assert!(*uses >= 2, "{name}: “{text}” is one use, no repetition");
            // The outlet's own name and the story's topic words are not messages.
            for topic in ["Daily Herald", "think tank", "region", "officials", "报告"] {
                assert!(!text.eq_ignore_ascii_case(topic), "{name}: “{text}”");
            }
        }
        // The summary counts messages, not uses.
        assert_eq!(
            r.summary
                .techniques
                .get(&Technique::Repetition)
                .copied()
                .unwrap_or(0),
            messages.len()
        );
    }
}

#[test]
fn scores_are_probabilities_and_reports_show_the_likely_findings() {
    let all = report("state_media_long_en.txt", true);
    let shown = report("state_media_long_en.txt", false);
    assert!(shown.findings.len() < all.findings.len());
    for f in &all.findings {
        let score = match f {
            Finding::Technique { score, .. }
            | Finding::Attribution { score, .. }
            | Finding::ScareQuote { score, .. } => *score,
            Finding::Claim { checkworthy, .. } => *checkworthy,
            Finding::Reuse { .. } => continue,
        };
        assert!((0.0..=1.0).contains(&score), "{f:?}");
    }
    // The shown claims are the ones scored at least the least shown; none below it is hidden
    // by anything else.
    let claim_scores = |r: &Report| -> Vec<f32> {
        r.findings
            .iter()
            .filter_map(|f| match f {
                Finding::Claim { checkworthy, .. } => Some(*checkworthy),
                _ => None,
            })
            .collect()
    };
    let (every, kept) = (claim_scores(&all), claim_scores(&shown));
    if let Some(least) = kept.iter().copied().reduce(f32::min) {
        assert_eq!(kept.len(), every.iter().filter(|&&s| s >= least).count());
    }
    assert_eq!(shown.summary.claims, kept.len());
    // English scores say they were calibrated; Chinese ones say they were not.
    assert!(all
        .findings
        .iter()
        .any(|f| evidence(f).contains("calibrated on")));
    let zh = report("state_media_zh.txt", true);
    assert!(zh
        .findings
        .iter()
        .filter(|f| matches!(f, Finding::Technique { .. }))
        .all(|f| evidence(f).contains("not calibrated")));
}

fn evidence(f: &Finding) -> &str {
    match f {
        Finding::Technique { evidence, .. }
        | Finding::Attribution { evidence, .. }
        | Finding::ScareQuote { evidence, .. }
        | Finding::Claim { evidence, .. } => evidence,
        Finding::Reuse { .. } => "",
    }
}

#[test]
fn a_neutral_suo_wei_is_no_scare_quote_and_chinese_state_media_keeps_its_lexicon() {
    let r = report("state_media_zh.txt", false);
    let techniques: Vec<(Technique, &str)> = r
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique { label, extent, .. } => Some((*label, extent.text.as_str())),
            _ => None,
        })
        .collect();
    use Technique::*;
    for (t, words) in [
        (LoadedLanguage, "颠倒黑白"),
        (WhataboutismStrawMenRedHerring, "反观美国"),
        (BandwagonReductioAdHitlerum, "国际社会"),
        (FlagWaving, "14亿中国人民"),
    ] {
        assert!(
            techniques
                .iter()
                .any(|(l, text)| *l == t && text.contains(words)),
            "{} not shown on {words}: {techniques:#?}",
            t.label()
        );
    }
    let neutral = analyze(
        &Document::from_text(
            "n",
            "所谓“人工智能”，是指让机器模拟人的智能。所謂「雙碳」，就是碳達峰與碳中和。"
                .to_string(),
        ),
        &Options::default(),
    );
    assert!(
        !neutral
            .findings
            .iter()
            .any(|f| matches!(f, Finding::ScareQuote { .. })),
        "{:#?}",
        neutral.findings
    );
}
