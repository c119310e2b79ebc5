//! `spinscope eval` scores exactly what `analyze` emits: each figure is recomputed here, by a
//! second implementation of the official metric, from the binary's own `analyze` output on the
//! same fixture folders (written here, never the shared data).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// An article: its id, its text, and (label, phrase) of each technique span.
type Article = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Three short articles in the PTC layout, with technique labels in code points.
const ARTICLES: [Article; 3] = [
    (
        "9001",
        "The so-called experts are traitors. They lied to the nation, and the lie of the century \
         is still told. No lies, no smears and no sanctions can stop us!\nMake our country great \
         again. Make our country great again.\n",
        &[
            ("Loaded_Language", "so-called"),
            ("Name_Calling,Labeling", "traitors"),
            ("Exaggeration,Minimisation", "the lie of the century"),
            ("Slogans", "Make our country great again"),
            ("Flag-Waving", "the nation"),
        ],
    ),
    (
        "9002",
        "Officials said the plan would cost 3 billion dollars. Critics called it a disgraceful \
         farce that only a fool would back.\nEither you are with us or you are against us.\n",
        &[
            ("Loaded_Language", "disgraceful farce"),
            ("Name_Calling,Labeling", "a fool"),
            (
                "Black-and-White_Fallacy",
                "Either you are with us or you are against us",
            ),
        ],
    ),
    (
        "9003",
        "What about the crimes of the other side? Nobody asks. Everyone knows the truth: the \
         corrupt elite has betrayed us all.\n",
        &[
            (
                "Whataboutism,Straw_Men,Red_Herring",
                "What about the crimes of the other side?",
            ),
            ("Bandwagon,Reductio_ad_hitlerum", "Everyone knows the truth"),
            ("Loaded_Language", "corrupt elite"),
        ],
    ),
];

/// Writes the articles and their TC labels; returns the article files.
fn ptc_folder(dir: &Path) -> Vec<String> {
    let mut labels = String::new();
    let mut files = Vec::new();
    for (id, text, spans) in ARTICLES {
        let file = dir.join(format!("train-articles/article{id}.txt"));
        write(&file, text);
        files.push(path(&file));
        for (label, phrase) in spans {
            let at = text.find(phrase).expect("phrase in its article");
            let start = text[..at].chars().count();
            let end = start + phrase.chars().count();
            labels.push_str(&format!("{id}\t{label}\t{start}\t{end}\n"));
        }
    }
    write(&dir.join("train-task-flc-tc.labels"), &labels);
    files
}

/// (article, start, end) of each line, with its label when it has one.
fn ptc_lines(text: &str) -> Vec<(String, String, usize, usize)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            let n = |s: &str| s.parse::<usize>().expect("offset");
            (f[0].to_string(), f[1].to_string(), n(f[2]), n(f[3]))
        })
        .collect()
}

/// SemEval-2020 Task 11 SI, written again from the task's definition: spans of an article
/// merged where they overlap; P = Σ|s∩t|/|s| / |S|, R = Σ|s∩t|/|t| / |T|.
fn official_si(predicted: &[(String, usize, usize)], gold: &[(String, usize, usize)]) -> [f64; 3] {
    fn merged(spans: &[(String, usize, usize)]) -> BTreeMap<String, Vec<(usize, usize)>> {
        let mut by: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for (id, s, e) in spans {
            by.entry(id.clone()).or_default().push((*s, *e));
        }
        for v in by.values_mut() {
            v.sort();
            let mut out: Vec<(usize, usize)> = Vec::new();
            for &(s, e) in v.iter() {
                match out.last_mut() {
                    Some(last) if s < last.1 => last.1 = last.1.max(e),
                    _ => out.push((s, e)),
                }
            }
            *v = out;
        }
        by
    }
    let (p, g) = (merged(predicted), merged(gold));
    let (mut ps, mut rs) = (0.0, 0.0);
    for (id, spans) in &p {
        for &(s, e) in spans {
            for &(t, u) in g.get(id).map_or(&[][..], Vec::as_slice) {
                let i = e.min(u).saturating_sub(s.max(t)) as f64;
                ps += i / (e - s) as f64;
                rs += i / (u - t) as f64;
            }
        }
    }
    let count = |m: &BTreeMap<String, Vec<(usize, usize)>>| m.values().map(Vec::len).sum::<usize>();
    let precision = ps / count(&p).max(1) as f64;
    let recall = rs / count(&g).max(1) as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    [precision, recall, f1]
}

/// What `eval KIND --data DATA --split all --format json` prints (with `--tier tier`).
fn eval_json(kind: &str, data: &Path, tier: &str) -> Value {
    let out = run(&[
        "eval",
        kind,
        "--data",
        &path(data),
        "--split",
        "all",
        "--tier",
        tier,
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    json(&out)
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: not a number"));
    assert!(
        (a - b).abs() < 1e-9,
        "{what}: eval says {a}, analyze's output {b}"
    );
}

/// SI from `analyze --format ptc`, TC from `analyze --format ptc --spans` with the gold spans as
/// the template, both from the same binary with `tier`; and what `eval ptc` prints.
fn product_and_eval(
    dir: &Path,
    files: &[String],
    tier: &str,
) -> ([f64; 3], f64, Vec<String>, Value) {
    let mut args = vec!["analyze", "--tier", tier, "--format", "ptc"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let predicted: Vec<(String, usize, usize)> = ptc_lines(&stdout(&out))
        .into_iter()
        .map(|(id, _, s, e)| (id, s, e))
        .collect();
    let gold_lines =
        ptc_lines(&std::fs::read_to_string(dir.join("train-task-flc-tc.labels")).expect("labels"));
    let gold: Vec<(String, usize, usize)> = gold_lines
        .iter()
        .map(|(id, _, s, e)| (id.clone(), *s, *e))
        .collect();
    let si = official_si(&predicted, &gold);

    let template: String = gold_lines
        .iter()
        .map(|(id, _, s, e)| format!("{id}\t?\t{s}\t{e}\n"))
        .collect();
    let template_file = dir.join("template.txt");
    write(&template_file, &template);
    let template_path = path(&template_file);
    let mut args = vec![
        "analyze",
        "--tier",
        tier,
        "--format",
        "ptc",
        "--spans",
        &template_path,
    ];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let labelled = ptc_lines(&stdout(&out));
    assert_eq!(labelled.len(), gold_lines.len());
    let right = labelled
        .iter()
        .zip(&gold_lines)
        .filter(|(l, g)| l.1 == g.1 && (l.2, l.3) == (g.2, g.3))
        .count();
    let tc = right as f64 / gold_lines.len() as f64;

    let labels = labelled.into_iter().map(|l| l.1).collect();
    (si, tc, labels, eval_json("ptc", dir, tier))
}

#[test]
fn eval_ptc_scores_what_analyze_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = ptc_folder(dir.path());
    let (si, tc, _, eval) = product_and_eval(dir.path(), &files, "fast");
    assert_eq!(eval["scored"]["split"], "all");
    assert_eq!(eval["scored"]["items"], 3);
    assert_eq!(eval["scored"]["tier"], "fast");
    assert!(si[2] > 0.0, "the fixture has findings to score: {si:?}");
    close(&eval["si"]["precision"], si[0], "SI precision");
    close(&eval["si"]["recall"], si[1], "SI recall");
    close(&eval["si"]["f1"], si[2], "SI F1");
    close(&eval["tc"]["f1"], tc, "TC micro-F1");
}

#[test]
fn full_tier_labels_template_spans_with_the_model() {
    // Needs the base encoder, which scripts/test-all installs with scripts/fetch-model.
    let dir = tempfile::tempdir().expect("tempdir");
    let files = ptc_folder(dir.path());
    let (_, _, fast, _) = product_and_eval(dir.path(), &files, "fast");
    let (_, tc, full, eval) = product_and_eval(dir.path(), &files, "full");
    assert_eq!(eval["scored"]["tier"], "full");
    assert_ne!(fast, full, "the learned tier labels some spans otherwise");
    close(&eval["tc"]["f1"], tc, "TC micro-F1 of the full tier");
}

#[test]
fn the_sealed_split_is_the_default_and_an_empty_one_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    ptc_folder(dir.path());
    let out = run(&["eval", "ptc", "--data", &path(dir.path())]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no articles of the sealed split") && err.contains("--split all"),
        "{err}"
    );
}

#[test]
fn eval_zh_spans_names_each_passage_it_cannot_read() {
    // The committed passages point into ../shared/data/corpora; an empty folder holds none.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run(&[
        "eval",
        "zh-spans",
        "--data",
        &path(dir.path()),
        "--split",
        "all",
        "--tier",
        "fast",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("zh-cctv-xinwenlianbo/news/") && err.contains("no such file"),
        "{err}"
    );
    assert!(err.contains("no annotated passages"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn training_leaves_sealed_articles_out() {
    // One of PTC's sealed ids, as an article of our own: fitting must not see it.
    let sealed = include_str!("../../spinscope-core/data/splits/ptc-sealed.txt")
        .lines()
        .next()
        .expect("a sealed id")
        .to_string();
    let with = tempfile::tempdir().expect("tempdir");
    let without = tempfile::tempdir().expect("tempdir");
    ptc_folder(with.path());
    ptc_folder(without.path());
    write(
        &with
            .path()
            .join(format!("train-articles/article{sealed}.txt")),
        "A sealed article: they are lying traitors.\n",
    );
    let labels = with.path().join("train-task-flc-tc.labels");
    let mut text = std::fs::read_to_string(&labels).expect("labels");
    text.push_str(&format!("{sealed}\tName_Calling,Labeling\t33\t41\n"));
    write(&labels, &text);
    let train = |data: &Path| -> PathBuf {
        let out = data.join("models");
        let done = run(&[
            "train",
            "techniques",
            "--data",
            &path(data),
            "--out",
            &path(&out),
            "--folds",
            "0",
        ]);
        assert!(done.status.success(), "{}", stderr(&done));
        if data == with.path() {
            assert!(
                stderr(&done).contains("1 sealed and 0 tune left out"),
                "{}",
                stderr(&done)
            );
        }
        out
    };
    let (a, b) = (train(with.path()), train(without.path()));
    for file in ["techniques-si.bin", "techniques-tc.bin"] {
        let read = |d: &Path| std::fs::read(d.join(file)).expect("model");
        assert!(
            read(&a) == read(&b),
            "{file}: the sealed article changed the model"
        );
    }
}

#[test]
fn eval_polnear_scores_the_reports_attributions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text =
        "Officials said prices rose sharply. \"We will act,\" the minister told reporters.\n";
    write(&dir.path().join("text/doc_one.txt"), text);
    let at = |phrase: &str| {
        let b = text.find(phrase).expect("phrase");
        let s = text[..b].chars().count();
        (s, s + phrase.chars().count())
    };
    let mut ann = String::new();
    for (n, (role, phrase)) in [
        ("Source", "Officials"),
        ("Cue", "said"),
        ("Content", "prices rose sharply"),
        ("Source", "the minister"),
        ("Cue", "told"),
        ("Content", "\"We will act,\""),
    ]
    .iter()
    .enumerate()
    {
        let (s, e) = at(phrase);
        ann.push_str(&format!("T{}\t{role} {s} {e}\t{phrase}\n", n + 1));
    }
    write(&dir.path().join("attributions/doc_one_a1.ann"), &ann);
    let out = run(&[
        "analyze",
        "--format",
        "json",
        &path(&dir.path().join("text/doc_one.txt")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let gold: Vec<(&str, (usize, usize))> = ann
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let r: Vec<&str> = f[1].split(' ').collect();
            (
                r[0],
                (r[1].parse().expect("start"), r[2].parse().expect("end")),
            )
        })
        .collect();
    let eval = eval_json("polnear", dir.path(), "fast");
    for (role, key, name) in [
        ("Source", "source", "source"),
        ("Cue", "cue", "cue"),
        ("Content", "content", "content"),
    ] {
        let predicted: Vec<(usize, usize)> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "attribution")
            .filter_map(|f| {
                let part = &f[key];
                Some((
                    part["start"].as_u64()? as usize,
                    part["end"].as_u64()? as usize,
                ))
            })
            .collect();
        let wanted: Vec<(usize, usize)> =
            gold.iter().filter(|g| g.0 == role).map(|g| g.1).collect();
        let exact = predicted.iter().filter(|p| wanted.contains(p)).count();
        assert!(
            exact > 0,
            "{name}: the fixture's attributions are found: {predicted:?}"
        );
        let precision = exact as f64 / predicted.len().max(1) as f64;
        let recall = exact as f64 / wanted.len() as f64;
        close(
            &eval[name]["exact"]["precision"],
            precision,
            &format!("{name} precision"),
        );
        close(
            &eval[name]["exact"]["recall"],
            recall,
            &format!("{name} recall"),
        );
    }
}

#[test]
fn eval_checkworthy_counts_sentences_whose_report_holds_a_claim() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [
        (
            "90001",
            "Unemployment fell to 3.5 percent last year, the lowest in fifty years.",
            "Yes",
        ),
        (
            "90002",
            "We spent 2 billion dollars on 40,000 new homes in 2019.",
            "Yes",
        ),
        ("90003", "Thank you all for coming tonight.", "No"),
        ("90004", "I love this country and its people.", "No"),
        (
            "90005",
            "Crime has doubled in every big city since 2010.",
            "No",
        ),
    ];
    let mut tsv = String::from("Sentence_id\tText\tclass_label\n");
    let mut feed_lines = String::new();
    for (id, text, label) in rows {
        tsv.push_str(&format!("{id}\t{text}\t{label}\n"));
        feed_lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": id, "text": text})
        ));
    }
    let file = dir.path().join("ct.tsv");
    write(&file, &tsv);
    let feed = dir.path().join("ct.jsonl");
    write(&feed, &feed_lines);
    let labels: Vec<bool> = rows.iter().map(|r| r.2 == "Yes").collect();
    let flags = Flags::of(&flagged(&feed, "fast", "claim"), &labels);
    assert!(flags.tp > 0.0, "the fixture has claims to find: {flags:?}");
    let eval = eval_json("checkworthy", &file, "fast");
    assert_eq!(eval["scored"]["items"], 5);
    flags.check(&eval["yes"]);
}

#[test]
fn eval_agitative_counts_chinese_sentences_whose_report_holds_a_technique() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Written for this test in the style of CAOD: commentary that agitates, and plain reporting.
    let rows = [
        (
            "美国政客颠倒黑白，充斥着政治偏见，所谓“人权报告”就是一场闹剧。",
            "1",
        ),
        ("这些反华势力的图谋注定不会得逞！", "1"),
        ("吃了这种东西会致癌，很多人还蒙在鼓里。", "1"),
        ("市政府今天上午召开新闻发布会，介绍了今年的工作安排。", "0"),
        ("该公司第三季度营业收入同比增长百分之五。", "0"),
        ("市政府今天上午召开新闻发布会，介绍了今年的工作安排。", "0"),
    ];
    let mut tsv = String::from("text\tlabel\n");
    let mut feed_lines = String::new();
    for (text, label) in rows.iter().take(5) {
        tsv.push_str(&format!("{text}\t{label}\n"));
        feed_lines.push_str(&format!("{}\n", serde_json::json!({"text": text})));
    }
    // A repeated sentence is one row; a malformed line is skipped with a warning.
    tsv.push_str(&format!("{}\t{}\nno label here\n", rows[5].0, rows[5].1));
    let file = dir.path().join("caod.tsv");
    write(&file, &tsv);
    let feed = dir.path().join("caod.jsonl");
    write(&feed, &feed_lines);
    let labels: Vec<bool> = rows.iter().take(5).map(|r| r.1 == "1").collect();
    let flags = Flags::of(&flagged(&feed, "fast", "technique"), &labels);
    assert!(
        flags.tp > 0.0,
        "the fixture has techniques to find: {flags:?}"
    );
    let out = run(&[
        "eval",
        "agitative",
        "--data",
        &path(dir.path()),
        "--split",
        "all",
        "--tier",
        "fast",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(":8: not text<TAB>0|1, skipped"),
        "{}",
        stderr(&out)
    );
    let eval = json(&out);
    assert_eq!(eval["scored"]["items"], 5);
    assert_eq!(eval["scored"]["dataset"], "caod");
    flags.check(&eval["agitative"]);
}

/// Whether each document of the JSONL `feed` gets a finding of `kind` from `analyze`.
fn flagged(feed: &Path, tier: &str, kind: &str) -> Vec<bool> {
    let out = run(&["analyze", "--tier", tier, "--format", "jsonl", &path(feed)]);
    assert!(out.status.success(), "{}", stderr(&out));
    jsonl(&out)
        .iter()
        .map(|r| {
            r["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["kind"] == kind)
        })
        .collect()
}

/// Flags against labels, counted from `analyze`'s output.
#[derive(Debug)]
struct Flags {
    tp: f64,
    fp: f64,
    fneg: f64,
}

impl Flags {
    fn of(flagged: &[bool], labels: &[bool]) -> Flags {
        assert_eq!(flagged.len(), labels.len());
        let count = |f: bool, l: bool| {
            flagged
                .iter()
                .zip(labels)
                .filter(|&(&a, &b)| a == f && b == l)
                .count() as f64
        };
        Flags {
            tp: count(true, true),
            fp: count(true, false),
            fneg: count(false, true),
        }
    }

    /// `eval`'s precision and recall are the ones `analyze`'s output gives.
    fn check(&self, eval: &Value) {
        let precision = self.tp / (self.tp + self.fp).max(1.0);
        close(&eval["precision"], precision, "precision");
        close(
            &eval["recall"],
            self.tp / (self.tp + self.fneg).max(1.0),
            "recall",
        );
    }
}
