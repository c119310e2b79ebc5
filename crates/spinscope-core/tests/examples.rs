//! The shipped examples, read the way a fact-checker reads them.

use spinscope_core::report::SourceType;
use spinscope_core::{analyze, Document, Finding, Options};

fn attributions(name: &str, outlet: Option<&str>) -> Vec<(SourceType, String, String, bool, bool)> {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example exists");
    let mut doc = Document::from_text(name, text);
    doc.outlet = outlet.map(str::to_string);
    let report = analyze(&doc, &Options::default());
    report
        .findings
        .into_iter()
        .filter_map(|f| match f {
            Finding::Attribution {
                source,
                cue,
                anonymous,
                self_citation,
                ..
            } => Some((
                source.kind,
                source.extent.text,
                cue.map(|c| c.text).unwrap_or_default(),
                anonymous,
                self_citation,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn state_media_article_sourcing_profile() {
    for outlet in [None, Some("Global Times")] {
        let found = attributions("en-state-media.txt", outlet);
        let with = |source: &str| {
            found
                .iter()
                .find(|a| a.1 == source)
                .unwrap_or_else(|| panic!("no attribution to {source:?} in {found:#?}"))
        };
        // Every "sources told X", "analysts said", "an expert told X" is anonymous.
        for source in [
            "analysts",
            "Sources close to the matter",
            "an expert who asked not to be named",
            "sources",
        ] {
            assert!(with(source).3, "{source} should be anonymous");
        }
        // Every "told the Global Times" is the outlet citing itself.
        for source in [
            "Sources close to the matter",
            "an expert who asked not to be named",
            "sources",
        ] {
            assert!(with(source).4, "{source} should be a self-citation");
        }
        let li = with("Li Haidong, a professor at China Foreign Affairs University,");
        assert_eq!(li.0, SourceType::NamedPerson);
        assert!(li.4 && !li.3);
        // The named spokesperson is named, and "He added" refers back to him.
        let wang = with("Chinese Foreign Ministry spokesperson Wang Wenbin");
        assert_eq!(wang.0, SourceType::NamedPerson);
        assert!(!wang.3 && !wang.4);
        // "They also pointed out" resolves to the anonymous sources.
        let they = with("They");
        assert_eq!(they.0, SourceType::Pronoun);
        assert!(they.3);
        assert_eq!(with("Foreign media reports").0, SourceType::VagueGroup);
        assert_eq!(with("Some Western politicians").0, SourceType::VagueGroup);
        assert_eq!(with("Germany's foreign minister").0, SourceType::Role);
    }
}

#[test]
fn chinese_article_sourcing_profile() {
    let found = attributions("zh-simplified.txt", None);
    let kinds: Vec<(SourceType, &str, bool)> =
        found.iter().map(|a| (a.0, a.1.as_str(), a.4)).collect();
    assert!(
        kinds.contains(&(SourceType::NamedPerson, "外交部发言人汪文斌", false)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(SourceType::Anonymous, "知情人士", false)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(SourceType::Anonymous, "一位不愿透露姓名的专家", true)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(SourceType::SelfOutlet, "本报记者", true)),
        "{kinds:?}"
    );
}
