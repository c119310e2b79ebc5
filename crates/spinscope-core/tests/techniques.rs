//! Persuasion techniques on the shipped examples: found where a careful reader marks them (every
//! finding, `--all`), shown by default only where calibration says they are likely right, and
//! rare in a neutral wire story.

use spinscope_core::analyze::techniques::model;
use spinscope_core::{analyze, Document, Finding, Options, Technique};

fn techniques(name: &str) -> (Vec<(Technique, String, String)>, f64) {
    techniques_with(name, &Options::default())
}

/// Every technique finding, whatever its score.
fn all_techniques(name: &str) -> Vec<(Technique, String, String)> {
    let all = Options {
        all: true,
        ..Options::default()
    };
    techniques_with(name, &all).0
}

fn techniques_with(name: &str, options: &Options) -> (Vec<(Technique, String, String)>, f64) {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example exists");
    let report = analyze(&Document::from_text(name, text), options);
    let found = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique {
                label,
                extent,
                detector,
                ..
            } => Some((*label, extent.text.clone(), detector.clone())),
            _ => None,
        })
        .collect();
    (found, report.summary.techniques_per_1k_words)
}

fn marked(found: &[(Technique, String, String)], technique: Technique, words: &str) -> bool {
    found
        .iter()
        .any(|(t, text, _)| *t == technique && text.contains(words))
}

#[test]
fn shipped_weights_load() {
    assert!(
        model::shipped().is_some(),
        "models/techniques-*.bin are missing or damaged"
    );
}

#[test]
fn state_media_article_techniques() {
    let found = all_techniques("en-state-media.txt");
    use Technique::*;
    let expected = [
        (LoadedLanguage, "farce"),
        (NameCallingLabeling, "anti-China politicians"),
        (WhataboutismStrawMenRedHerring, "What about"),
        (BandwagonReductioAdHitlerum, "nearly 100 countries"),
        (BandwagonReductioAdHitlerum, "international community"),
        (FlagWaving, "the Chinese people"),
        (AppealToAuthority, "experts say"),
        (Doubt, "so-called"),
        (
            ExaggerationMinimisation,
            "No lies, no smears and no sanctions",
        ),
    ];
    for (technique, words) in expected {
        assert!(
            marked(&found, technique, words),
            "{} not marked on “{words}”: {found:#?}",
            technique.label()
        );
    }
    // Every finding says what fired.
    assert!(found.iter().all(|(_, _, d)| !d.is_empty()));
    // The outlet citing itself three times is no repeated message.
    assert!(
        !found
            .iter()
            .any(|(t, text, _)| *t == Repetition && text.contains("Global Times")),
        "{found:#?}"
    );
    // By default, the likely ones: a handful, the strongest among them.
    let (shown, _) = techniques("en-state-media.txt");
    assert!((3..=15).contains(&shown.len()), "{shown:#?}");
    for (technique, words) in [
        (LoadedLanguage, "farce"),
        (NameCallingLabeling, "anti-China politicians"),
    ] {
        assert!(marked(&shown, technique, words), "{words}: {shown:#?}");
    }
}

#[test]
fn neutral_wire_story_has_few_techniques() {
    let (found, per_1k) = techniques("en-wire-neutral.txt");
    assert!(found.len() <= 2, "{found:#?}");
    assert!(per_1k < 15.0, "{per_1k} per 1k words");
    let (loaded, loaded_per_1k) = techniques("en-state-media.txt");
    assert!(loaded.len() >= 5 * found.len().max(1));
    assert!(loaded_per_1k > 3.0 * per_1k.max(1.0));
}

#[test]
fn neutral_chinese_wire_item_has_few_techniques() {
    let (found, _) = techniques("zh-wire-neutral.txt");
    assert!(found.len() <= 1, "{found:#?}");
    let all = all_techniques("zh-wire-neutral.txt");
    let (loaded, _) = techniques("zh-simplified.txt");
    assert!(loaded.len() >= 10 * all.len().max(1), "{all:#?}");
}

#[test]
fn chinese_article_techniques() {
    let (found, _) = techniques("zh-simplified.txt");
    use Technique::*;
    for (technique, words) in [
        (LoadedLanguage, "颠倒黑白"),
        (Doubt, "所谓"),
        (WhataboutismStrawMenRedHerring, "反观美国"),
        (BandwagonReductioAdHitlerum, "近100个国家"),
        (NameCallingLabeling, "反华政客"),
        (BandwagonReductioAdHitlerum, "国际社会"),
        (FlagWaving, "14亿中国人民"),
        (AppealToAuthority, "分析人士指出"),
        (Repetition, "不会变"),
    ] {
        assert!(
            marked(&found, technique, words),
            "{} not marked on “{words}”: {found:#?}",
            technique.label()
        );
    }
    // Traditional text is matched through the Simplified view.
    let report = analyze(
        &Document::from_text("t", "美方所謂的「調查」顛倒黑白。"),
        &Options::default(),
    );
    let labels: Vec<Technique> = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::Technique { label, .. } => Some(*label),
            _ => None,
        })
        .collect();
    assert!(
        labels.contains(&Technique::Doubt) && labels.contains(&Technique::LoadedLanguage),
        "{labels:?}"
    );
}

fn claims(name: &str) -> Vec<(f32, Vec<String>, String)> {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example exists");
    let report = analyze(&Document::from_text(name, text), &Options::default());
    report
        .findings
        .into_iter()
        .filter_map(|f| match f {
            Finding::Claim {
                checkworthy,
                quantities,
                extent,
                ..
            } => Some((checkworthy, quantities, extent.text)),
            _ => None,
        })
        .collect()
}

#[test]
fn check_worthy_claims_with_their_quantities() {
    let en = claims("en-wire-neutral.txt");
    assert!(en.iter().all(|(s, _, _)| (0.0..=1.0).contains(s)));
    assert!(
        en.iter()
            .any(|(_, q, _)| q.contains(&"about 4.2 million dollars".to_string())),
        "{en:#?}"
    );
    assert!(
        en.iter()
            .any(|(_, q, _)| q.contains(&"1.3 million containers".to_string())),
        "{en:#?}"
    );
    // "She said …" is a claim about money; the headline without numbers or names is not.
    assert!(
        !en.iter()
            .any(|(_, _, t)| t.starts_with("Port authority reopens")),
        "{en:#?}"
    );
    let state = claims("en-state-media.txt");
    assert!(
        state
            .iter()
            .any(|(_, q, _)| q.contains(&"nearly 100 countries".to_string())),
        "{state:#?}"
    );
    let zh = claims("zh-simplified.txt");
    assert!(
        zh.iter()
            .any(|(_, q, _)| q.contains(&"近100个国家".to_string())),
        "{zh:#?}"
    );
}

#[test]
fn chinese_spans_take_the_label_of_the_rule_that_marks_them() {
    use spinscope_core::analyze::techniques::classify_spans;
    let text =
        "国际社会普遍认为，中方坚持和平的方针不会变，坚持合作的原则不会变，坚持正义的立场不会变。";
    let doc = Document::from_text("t", text.to_string());
    let at = |words: &str| {
        let start = text[..text.find(words).expect("in text")].chars().count();
        spinscope_core::Span::new(start, start + words.chars().count())
    };
    let (labels, _) = classify_spans(&doc, &[at("国际社会"), at("不会变")], None);
    assert_eq!(
        labels,
        vec![
            Technique::BandwagonReductioAdHitlerum,
            Technique::Repetition
        ]
    );
}
