//! A small bilingual corpus end to end: ingest, idempotence, search, reuse, trends, export.
//!
//! Reprints are made from the fixture stories the way outlets make them: a new header, one
//! sentence dropped, one word in forty changed (one Han character in forty for Chinese).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use spinscope_corpus::export::{export, ExportOptions, Format};
use spinscope_corpus::ingest::{ingest, IngestOptions};
use spinscope_corpus::reuse::{clusters, ReuseOptions};
use spinscope_corpus::trends::{trends, By};
use spinscope_corpus::{Corpus, Filter};

fn stories() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stories.jsonl");
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

fn story(id: &str) -> Value {
    stories()
        .into_iter()
        .find(|s| s["id"] == id)
        .expect("story")
}

/// Changes every 40th English word (appends "-ish") and drops the `drop`th sentence.
fn reprint_en(text: &str, header: &str, drop: usize) -> String {
    let sentences: Vec<&str> = text.split_inclusive(". ").collect();
    let kept: String = sentences
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, s)| *s)
        .collect();
    let edited: Vec<String> = kept
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i % 40 == 39 {
                format!("{w}-ish")
            } else {
                w.to_string()
            }
        })
        .collect();
    format!("{header}\n\n{}", edited.join(" "))
}

/// Changes every 40th Han character and drops the `drop`th sentence.
fn reprint_zh(text: &str, header: &str, drop: usize) -> String {
    let kept: String = text
        .split_inclusive('。')
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, s)| s)
        .collect();
    let mut n = 0;
    let edited: String = kept
        .chars()
        .map(|c| {
            if ('\u{4e00}'..='\u{9fff}').contains(&c) {
                n += 1;
                if n % 40 == 0 {
                    return '新';
                }
            }
            c
        })
        .collect();
    format!("{header}\n{edited}")
}

fn build(dir: &Path) -> (Corpus, usize) {
    let mut docs = stories();
    let wire = story("wire-port");
    docs.push(json!({
        "id": "gazette-port-reprint", "outlet": "Daily Gazette", "published": "2024-03-05",
        "title": "Marlow to build deep-water berth",
        "text": reprint_en(wire["text"].as_str().unwrap_or_default(),
            "From our partners at Harbor Wire. Sign up for the morning briefing.", 6),
    }));
    let ev = story("haigang-ev");
    docs.push(json!({
        "id": "shibao-ev-reprint", "outlet": "时报", "published": "2024-05-11",
        "title": "新能源汽车出口增长",
        "text": reprint_zh(ev["text"].as_str().unwrap_or_default(), "本文转载自合作媒体，欢迎关注我们的公众号。", 2),
    }));
    let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
    let input = dir.join("input.jsonl");
    std::fs::write(&input, lines.join("\n")).expect("write input");
    let mut corpus = Corpus::create_or_open(&dir.join("db")).expect("corpus");
    let stats = ingest(
        &mut corpus,
        &[input.display().to_string()],
        &IngestOptions::default(),
        &|e| panic!("unexpected error: {e}"),
    )
    .expect("ingest");
    assert_eq!(stats.added as usize, docs.len());
    (corpus, docs.len())
}

#[test]
fn reprints_cluster_with_their_original_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (corpus, _) = build(dir.path());
    let (found, stats) = clusters(&corpus, &ReuseOptions::default()).expect("reuse");
    let groups: BTreeSet<Vec<String>> = found
        .iter()
        .map(|c| c.members.iter().map(|m| m.document.clone()).collect())
        .collect();
    let expected: BTreeSet<Vec<String>> = [
        vec!["wire-port".to_string(), "gazette-port-reprint".to_string()],
        vec!["haigang-ev".to_string(), "shibao-ev-reprint".to_string()],
    ]
    .into_iter()
    .collect();
    assert_eq!(groups, expected, "stats: {stats:?}");

    // The original comes first; the reprint's shared text starts after its new header.
    let en = found
        .iter()
        .find(|c| c.members[0].document == "wire-port")
        .expect("en cluster");
    let reprint = &en.members[1];
    assert!(
        reprint.start >= "From our partners at Harbor Wire.".len(),
        "{reprint:?}"
    );
    assert!(en.shared_chars > 1000, "{}", en.shared_chars);
    let original = &en.members[0];
    assert!(
        original.passages.len() >= 2,
        "the dropped sentence splits the original's passage"
    );
    let zh = found
        .iter()
        .find(|c| c.members[0].document == "haigang-ev")
        .expect("zh cluster");
    assert!(zh.members[1].start >= "本文转载自合作媒体".chars().count());
}

#[test]
fn ingest_is_idempotent_and_skips_finished_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut corpus, n) = build(dir.path());
    let input = dir.path().join("input.jsonl").display().to_string();
    let again = ingest(
        &mut corpus,
        std::slice::from_ref(&input),
        &IngestOptions::default(),
        &|_| {},
    )
    .expect("again");
    assert_eq!((again.added, again.inputs_skipped), (0, 1));
    // A copy of the same file elsewhere is read, and adds nothing: the content is known.
    let copy = dir.path().join("copy.jsonl");
    std::fs::copy(&input, &copy).expect("copy");
    let copied = ingest(
        &mut corpus,
        &[copy.display().to_string()],
        &IngestOptions::default(),
        &|_| {},
    )
    .expect("copy");
    assert_eq!((copied.added, copied.known), (0, n as u64));
    assert_eq!(corpus.store.count().expect("count"), n as u64);
}

#[test]
fn search_finds_english_stems_and_chinese_in_either_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (corpus, _) = build(dir.path());
    let ids = |q: &str, filter: &Filter| -> BTreeSet<String> {
        corpus
            .search(q, filter, 10)
            .expect("search")
            .into_iter()
            .map(|h| h.meta.id)
            .collect()
    };
    let all = Filter::default();
    // "oysters" stems to the "oyster" of the stories.
    assert_eq!(
        ids("oysters", &all),
        ["wire-port", "tribune-port", "gazette-port-reprint"]
            .map(String::from)
            .into()
    );
    let tribune = Filter {
        outlet: Some("Coastal Tribune".into()),
        lang: None,
    };
    assert_eq!(
        ids("oysters", &tribune),
        ["tribune-port"].map(String::from).into()
    );
    // A substring of a longer jieba word, in Simplified and in Traditional.
    let zh = ids("售后服务", &all);
    assert!(
        zh.contains("dongfang-ev") && zh.contains("haigang-ev"),
        "{zh:?}"
    );
    assert_eq!(ids("售後服務", &all), zh);
    let only_zh = Filter {
        outlet: None,
        lang: Some("zh".into()),
    };
    assert!(ids("oysters", &only_zh).is_empty());

    let hit = &corpus.search("injunction", &all, 1).expect("search")[0];
    let marked: Vec<String> = hit
        .highlights
        .iter()
        .map(|r| {
            hit.snippet
                .chars()
                .skip(r.start)
                .take(r.end - r.start)
                .collect()
        })
        .collect();
    assert_eq!(marked, ["injunction"]);
}

#[test]
fn trends_weight_by_words_and_group_by_month() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (corpus, n) = build(dir.path());
    let by_outlet = trends(&corpus.store, By::Outlet).expect("trends");
    let gazette = by_outlet
        .iter()
        .find(|t| t.outlet.as_deref() == Some("Valley Gazette"))
        .expect("gazette row");
    assert_eq!((gazette.documents, gazette.period.as_str()), (2, "all"));
    assert!(gazette.words > 200);
    let total: u64 = by_outlet.iter().map(|t| t.documents).sum();
    assert_eq!(total as usize, n);
    let by_month = trends(&corpus.store, By::Month).expect("trends");
    assert!(by_month
        .iter()
        .any(|t| t.period == "2024-04" && t.documents == 2));
}

#[test]
fn export_writes_every_document_in_each_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (corpus, n) = build(dir.path());
    let options = ExportOptions {
        text: true,
        findings: false,
    };

    let mut jsonl = Vec::new();
    assert_eq!(
        export(&corpus.store, Format::Jsonl, options, &mut jsonl).expect("jsonl"),
        n as u64
    );
    let rows: Vec<Value> = String::from_utf8(jsonl)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), n);
    assert_eq!(rows[0]["id"], "wire-port");
    assert!(rows[0]["summary"]["techniques_per_1k_words"].is_number());
    assert!(rows[0]["text"]
        .as_str()
        .is_some_and(|t| t.starts_with("The harbour authority")));

    let mut csv = Vec::new();
    export(&corpus.store, Format::Csv, options, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("key,id,source,outlet,published,url,title,author,lang,"));
    // Quoted texts span lines: count records (and the header) by their CRLF ends.
    assert_eq!(csv.matches("\r\n").count(), n + 1);

    let path = dir.path().join("out.parquet");
    let file = std::fs::File::create(&path).expect("create");
    export(&corpus.store, Format::Parquet, options, file).expect("parquet");
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(&path).expect("open"))
        .expect("parquet reader");
    assert_eq!(reader.metadata().file_metadata().num_rows() as usize, n);
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("text"));
}

#[test]
fn findings_are_stored_compressed_and_older_plain_rows_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (corpus, _) = build(dir.path());
    let (_, _, _, findings) = corpus
        .store
        .stored_report(1)
        .expect("read")
        .expect("document 1");
    let parsed: Value = serde_json::from_str(&findings).expect("findings JSON");
    assert!(
        parsed.as_array().is_some_and(|f| !f.is_empty()),
        "{findings}"
    );

    let sqlite = rusqlite::Connection::open(dir.path().join("db/corpus.sqlite")).expect("sqlite");
    let (blobs, rows, stored): (i64, i64, i64) = sqlite
        .query_row(
            "SELECT sum(typeof(findings) = 'blob'), count(*), sum(length(findings)) FROM documents",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("query");
    assert_eq!(blobs, rows);
    let json: usize = (1..=rows)
        .map(|key| {
            corpus
                .store
                .stored_report(key)
                .expect("read")
                .expect("doc")
                .3
                .len()
        })
        .sum();
    assert!(
        (stored as usize) * 2 < json,
        "{stored} bytes stored for {json} bytes of JSON"
    );

    // A corpus written before compression holds the JSON as TEXT: still read as is.
    sqlite
        .execute(
            "UPDATE documents SET findings = ?1 WHERE key = 1",
            [&findings],
        )
        .expect("update");
    let (_, _, _, plain) = corpus.store.stored_report(1).expect("read").expect("doc");
    assert_eq!(plain, findings);
}
