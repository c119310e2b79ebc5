//! Runs the `spinscope` binary the way a user does, on the examples and on bad input.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Every finding's texts equal the document text sliced by code points.
fn assert_offsets(report: &Value, text: &str) {
    let chars: Vec<char> = text.chars().collect();
    let slice = |v: &Value| -> Option<String> {
        let s = v.get("start")?.as_u64()? as usize;
        let e = v.get("end")?.as_u64()? as usize;
        Some(chars.get(s..e)?.iter().collect())
    };
    for f in report["findings"].as_array().expect("findings") {
        assert_eq!(f["text"].as_str(), slice(f).as_deref(), "finding {f}");
        for part in ["source", "cue"] {
            if f[part].is_object() {
                assert_eq!(
                    f[part]["text"].as_str(),
                    slice(&f[part]).as_deref(),
                    "{part} of {f}"
                );
            }
        }
    }
}

#[test]
fn json_report_follows_the_schema() {
    let path = example("en-state-media.txt");
    let out = run(&["analyze", "--format", "json", "--include-text", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["schema"], "spinscope/report@1");
    let doc = &report["document"];
    assert_eq!(doc["id"], "en-state-media");
    assert_eq!(doc["source"], path.as_str());
    assert_eq!(doc["lang"], "en");
    for key in ["title", "published", "outlet"] {
        assert!(doc.get(key).is_some_and(Value::is_null), "{key}");
    }
    let text = std::fs::read_to_string(&path).expect("example");
    assert_eq!(doc["text"].as_str(), Some(text.as_str()));
    assert_eq!(doc["chars"].as_u64(), Some(text.chars().count() as u64));
    let summary = &report["summary"];
    for key in [
        "techniques",
        "techniques_per_1k_words",
        "attributions",
        "anonymous_share",
        "scare_quotes",
        "claims",
    ] {
        assert!(summary.get(key).is_some(), "summary.{key}");
    }
    assert_offsets(&report, &text);
}

#[test]
fn text_is_left_out_unless_asked_for() {
    let out = run(&["analyze", "--format", "json", &example("zh-simplified.txt")]);
    let report = json(&out);
    assert!(report["document"].get("text").is_none());
    assert_eq!(report["document"]["lang"], "zh");
}

#[test]
fn mixed_page_reports_both_languages() {
    let out = run(&[
        "analyze",
        "--format",
        "json",
        &example("mixed-en-zh-hant.txt"),
    ]);
    assert!(out.status.success());
    let langs = &json(&out)["document"]["langs"];
    let en = langs["en"].as_f64().unwrap_or(0.0);
    let zh = langs["zh"].as_f64().unwrap_or(0.0);
    assert!(en > 0.3 && zh > 0.2, "{langs}");
    assert!((en + zh - 1.0).abs() < 0.01, "{langs}");
}

#[test]
fn several_documents_default_to_jsonl_when_piped() {
    let out = run(&[
        "analyze",
        &example("en-state-media.txt"),
        &example("zh-simplified.txt"),
    ]);
    assert!(out.status.success());
    let reports = jsonl(&out);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1]["document"]["id"], "zh-simplified");
}

#[test]
fn json_format_gives_an_array_for_several() {
    let out = run(&[
        "analyze",
        "--format",
        "json",
        &example("en-state-media.txt"),
        &example("zh-simplified.txt"),
    ]);
    let all = json(&out);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
}

#[test]
fn table_and_ptc_formats() {
    let out = run(&[
        "analyze",
        "--format",
        "table",
        &example("en-state-media.txt"),
    ]);
    assert!(out.status.success());
    let table = stdout(&out);
    assert!(table.contains("en-state-media"), "{table}");
    assert!(table.contains("sourcing"), "{table}");
    let out = run(&["analyze", "--format", "ptc", &example("en-state-media.txt")]);
    assert!(out.status.success());
    for line in stdout(&out).lines() {
        assert_eq!(line.split('\t').count(), 4, "{line}");
    }
}

#[test]
fn jsonl_input_with_a_bad_line_still_reports_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = temp_file(
        &dir,
        "feed.jsonl",
        concat!(
            "{\"id\": \"one\", \"text\": \"Analysts said the plan failed.\", \"outlet\": \"Daily\"}\n",
            "{\"id\": \"two\", \"text\": oops}\n",
            "{\"id\": \"three\", \"text\": \"外交部发言人表示反对。\", \"title\": \"标题\"}\n",
        )
        .as_bytes(),
    );
    let out = run(&["analyze", "--format", "jsonl", &feed.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let reports = jsonl(&out);
    let ids: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["document"]["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["one", "three"]);
    assert_eq!(reports[0]["document"]["outlet"], "Daily");
    assert_eq!(reports[1]["document"]["title"], "标题");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("feed.jsonl:2:"), "{err}");
}

#[test]
fn stdin_is_read_with_dash() {
    let out = run_stdin(
        &["analyze", "--format", "json", "-"],
        "Sources said so.".as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["document"]["source"], "-");
    assert_eq!(report["document"]["chars"], 16);
}

#[test]
fn missing_file_and_directory_fail_but_good_files_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.txt");
    let out = run(&[
        "analyze",
        "--format",
        "jsonl",
        &missing.to_string_lossy(),
        &example("en-state-media.txt"),
        &dir.path().to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(jsonl(&out).len(), 1);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("missing.txt") && lines[0].contains("no such file"),
        "{err}"
    );
    assert!(lines[1].contains("is a directory"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn unreadable_file_fails_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = temp_file(&dir, "plain.txt", b"text");
    // A path through a file is unreadable for root too.
    let through = file.join("child.txt");
    let out = run(&["analyze", &through.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("child.txt") && err.contains("not a directory"),
        "{err}"
    );
    // A file whose read fails part-way (EIO) on Linux.
    if Path::new("/proc/self/mem").exists() {
        let out = run(&["analyze", "/proc/self/mem"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("/proc/self/mem"), "{}", stderr(&out));
    }
}

#[test]
fn binary_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin_file = temp_file(
        &dir,
        "photo.jpg",
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00",
    );
    let out = run(&["analyze", &bin_file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        format!("spinscope: {}: binary, not text", bin_file.display())
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn invalid_utf8_warns_once_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = temp_file(
        &dir,
        "latin1.txt",
        b"Caf\xe9 owners said \xabno\xbb. Na\xefve.",
    );
    let out = run(&["analyze", "--format", "json", &file.to_string_lossy()]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("latin1.txt") && err.contains("invalid UTF-8"),
        "{err}"
    );
    assert_eq!(json(&out)["document"]["chars"], 29);
}

#[test]
fn empty_file_gives_a_valid_empty_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = temp_file(&dir, "empty.txt", b"");
    let out = run(&["analyze", "--format", "json", &file.to_string_lossy()]);
    assert!(out.status.success());
    let report = json(&out);
    assert_eq!(report["document"]["chars"], 0);
    assert_eq!(report["document"]["lang"], "und");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_50_mb_single_line_is_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = "Officials said the “plan” failed, sources told reporters; 官员表示反对， ";
    let line = unit.repeat(50 * 1024 * 1024 / unit.len());
    let file = temp_file(&dir, "long.txt", line.as_bytes());
    let out = run(&["analyze", "--format", "json", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["document"]["chars"].as_u64(),
        Some(line.chars().count() as u64)
    );
}

#[test]
fn help_has_examples_and_usage_errors_exit_2() {
    let out = run(&["analyze", "--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Examples:"));
    let out = run(&["analyze"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["analyze", "--format", "xml", "x.txt"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ptc_lines_and_tc_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text =
        "The so-called experts are traitors.\nNo lies, no smears and no sanctions can stop us!\n";
    let article = temp_file(&dir, "article123.txt", text.as_bytes());
    let out = run(&["analyze", "--format", "ptc", &article.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = stdout(&out);
    assert!(!lines.is_empty());
    let chars: Vec<char> = text.chars().collect();
    for line in lines.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{line}");
        assert_eq!(f[0], "123");
        let (s, e): (usize, usize) = (f[2].parse().expect("start"), f[3].parse().expect("end"));
        assert!(s < e && e <= chars.len(), "{line}");
    }
    assert!(lines.contains("Doubt"), "{lines}");
    // A TC template: one label per line, in template order, whatever the order of inputs.
    let template = temp_file(&dir, "template.txt", b"123\t?\t48\t84\n123\t?\t4\t23\n");
    let out = run(&[
        "analyze",
        "--format",
        "ptc",
        "--spans",
        &template.to_string_lossy(),
        &article.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let labelled: Vec<Vec<String>> = stdout(&out)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    assert_eq!(labelled.len(), 2);
    assert_eq!(labelled[0][2..], ["48".to_string(), "84".to_string()]);
    assert_eq!(labelled[1][2..], ["4".to_string(), "23".to_string()]);
    for l in &labelled {
        assert!(is_technique_label(&l[1]), "{l:?}");
    }
    // A template naming an article that is not among the inputs is an error for that line.
    let missing = temp_file(&dir, "missing.txt", b"999\t?\t0\t3\n");
    let out = run(&[
        "analyze",
        "--format",
        "ptc",
        "--spans",
        &missing.to_string_lossy(),
        &article.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("999"));
}

/// One of the 14 SemEval-2020 Task 11 labels.
fn is_technique_label(l: &str) -> bool {
    [
        "Appeal_to_Authority",
        "Appeal_to_fear-prejudice",
        "Bandwagon,Reductio_ad_hitlerum",
        "Black-and-White_Fallacy",
        "Causal_Oversimplification",
        "Doubt",
        "Exaggeration,Minimisation",
        "Flag-Waving",
        "Loaded_Language",
        "Name_Calling,Labeling",
        "Repetition",
        "Slogans",
        "Thought-terminating_Cliches",
        "Whataboutism,Straw_Men,Red_Herring",
    ]
    .contains(&l)
}

#[test]
fn html_report_is_one_self_contained_page() {
    let out = run(&[
        "analyze",
        "--format",
        "html",
        &example("en-state-media.txt"),
        &example("zh-simplified.txt"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<style>") && !page.contains("<link") && !page.contains("<script"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    assert_eq!(page.matches("<article class=\"report\">").count(), 2);
    assert!(page.contains("<mark class=\"t"));
    assert!(page.contains("id=\"sourcing\"") && page.contains("id=\"claims\""));
}

#[test]
fn full_tier_adds_model_findings_next_to_the_rules() {
    // Needs the base encoder, which scripts/test-all installs with scripts/fetch-model.
    let path = example("en-state-media.txt");
    let out = run(&["analyze", "--tier", "full", "--format", "json", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("note:"), "{}", stderr(&out));
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    let model: Vec<&Value> = findings
        .iter()
        .filter(|f| f["detector"] == "model")
        .collect();
    assert!(!model.is_empty(), "no model findings");
    for f in &model {
        // Techniques, claims, and attributions the tagger found that the rules did not.
        assert!(
            ["technique", "claim", "attribution"].contains(&f["kind"].as_str().unwrap_or("")),
            "{f}"
        );
        let evidence = f["evidence"].as_str().expect("evidence");
        assert!(evidence.contains("the rules"), "{evidence}");
    }
    // The rules' own findings are still there.
    assert!(findings.iter().any(|f| f["kind"] == "attribution"));
}

#[test]
fn full_tier_without_the_encoder_falls_back_with_a_notice() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .env("SPINSCOPE_MODEL_DIR", empty.path())
        .env_remove("SPINSCOPE_TIER")
        .args([
            "analyze",
            "--format",
            "json",
            &example("en-state-media.txt"),
        ])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("scripts/fetch-model") && err.contains("fast tier"),
        "{err}"
    );
    let report = json(&out);
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["detector"] != "model"));
}

#[test]
fn full_tier_reads_chinese_with_heads_trained_on_english() {
    let out = run(&[
        "analyze",
        "--tier",
        "full",
        "--format",
        "json",
        &example("zh-simplified.txt"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    let model_claims: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "claim" && f["detector"] == "model")
        .collect();
    assert!(!model_claims.is_empty(), "no model claims on Chinese");
    // Where the Chinese patterns found the same sentence, the evidence says so.
    assert!(
        model_claims.iter().any(|f| f["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("the rules agree"))),
        "{model_claims:?}"
    );
    // The rules' Chinese findings stay.
    assert!(findings.iter().any(|f| f["detector"] == "lexicon:zh"));
}

/// `--format ptc` is for SemEval's scorer: its techniques come from a lower threshold than a
/// report's, so it holds every technique span the report shows, and more.
#[test]
fn the_semeval_export_holds_the_reports_techniques_and_more() {
    let file = example("en-state-media.txt");
    let out = run(&["analyze", "--format", "json", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let mut shown: Vec<(u64, u64)> = Vec::new();
    for f in report["findings"].as_array().expect("findings") {
        if f["kind"] != "technique" {
            continue;
        }
        let uses = match f["occurrences"].as_array() {
            Some(o) if !o.is_empty() => o.clone(),
            _ => vec![f.clone()],
        };
        for u in uses {
            shown.push((
                u["start"].as_u64().expect("start"),
                u["end"].as_u64().expect("end"),
            ));
        }
    }
    let out = run(&["analyze", "--format", "ptc", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported: Vec<(u64, u64)> = stdout(&out)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[2].parse().expect("start"), f[3].parse().expect("end"))
        })
        .collect();
    for s in &shown {
        assert!(exported.contains(s), "{s:?} shown but not exported");
    }
    assert!(
        exported.len() > shown.len(),
        "{} ≤ {}",
        exported.len(),
        shown.len()
    );
}
