//! HTML and WARC input, `spinscope extract`, and the bad web input users meet: truncated gzip,
//! pages without a body, hostile nesting, wrong charset labels, corrupt WARC records.

mod common;

use std::io::Write;

use common::*;
use serde_json::Value;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("compress");
    gz.finish().expect("finish gzip")
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

fn warc_record(kind: &str, id: &str, uri: &str, block: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\nWARC-Target-URI: {uri}\r\n\
         Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

fn http_page(charset: &str, html: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset={charset}\r\n\r\n")
        .into_bytes();
    out.extend_from_slice(html);
    out
}

#[test]
fn extract_gbk_state_media_page_with_metadata() {
    let out = run(&[
        "extract",
        "--format",
        "json",
        &example("zh-state-media-gbk.html"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = &jsonl(&out)[0];
    assert_eq!(page["title"], "外交部：所谓“报告”罔顾事实 别有用心");
    assert_eq!(page["published"], "2024-03-05");
    assert_eq!(page["outlet"], "环球新闻网");
    assert_eq!(page["lang"], "zh");
    let text = page["text"].as_str().expect("text");
    assert!(
        text.starts_with("本报北京3月5日电 据知情人士透露"),
        "{text}"
    );
    assert_eq!(text.split("\n\n").count(), 3, "three paragraphs: {text}");
    for furniture in ["首页", "相关新闻", "Copyright", "责任编辑"] {
        assert!(!text.contains(furniture), "{furniture} leaked into {text}");
    }
}

#[test]
fn extract_text_prints_the_body_alone() {
    let out = run(&["extract", &example("en-tabloid.html")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Sources told the Daily Example"), "{text}");
    assert!(text.contains("\n\nWhat happens next\n\n"));
    for furniture in [
        "Most read",
        "Reader1",
        "Share on",
        "Advertisement",
        "All rights reserved",
        "By Sam",
    ] {
        assert!(!text.contains(furniture), "{furniture} leaked into {text}");
    }
}

#[test]
fn analyze_html_reports_offsets_into_the_extracted_text() {
    let path = example("en-tabloid.html");
    let extracted = jsonl(&run(&["extract", "--format", "json", &path])).remove(0);
    let out = run(&["analyze", "--format", "json", "--include-text", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let doc = &report["document"];
    assert_eq!(doc["text"], extracted["text"]);
    assert_eq!(doc["title"], "Officials 'stunned' as secret report leaks");
    assert_eq!(doc["outlet"], "The Daily Example");
    // The page gives a time and a zone; both are kept, and `extract` says where they came from.
    assert_eq!(doc["published"], "2024-05-14T07:30:00+01:00");
    assert!(extracted["published_from"].is_string(), "{extracted}");
    assert_eq!(
        doc["url"],
        "https://daily.example/news/2024/05/14/secret-report"
    );
    assert_eq!(doc["author"], "Sam Reporter");
    let text: Vec<char> = doc["text"].as_str().expect("text").chars().collect();
    let findings = report["findings"].as_array().expect("findings");
    assert!(findings
        .iter()
        .any(|f| f["kind"] == "attribution" && f["source"]["type"] == "anonymous"));
    assert!(findings.iter().any(|f| f["kind"] == "scare_quote"));
    for f in findings {
        let (s, e) = (
            f["start"].as_u64().expect("start") as usize,
            f["end"].as_u64().expect("end") as usize,
        );
        let slice: String = text[s..e].iter().collect();
        assert_eq!(slice, f["text"].as_str().expect("finding text"));
    }
}

#[test]
fn warc_gz_with_a_corrupt_record_reports_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = |n: usize| {
        http_page(
            "utf-8",
            format!("<html><body><article><p>Story number {n}: analysts said the plan failed, officials said.</p></article></body></html>").as_bytes(),
        )
    };
    let mut warc = warc_record("warcinfo", "0", "", b"software: test\r\n");
    warc.extend(warc_record(
        "response",
        "1",
        "https://a.example/1",
        &good(1),
    ));
    warc.extend_from_slice(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:broken>\r\nContent-Length: twelve\r\n\r\njunk\r\n\r\n");
    let gbk = gbk("<html><body><div class=content><p>新华社北京电 外交部发言人表示，所谓“报告”罔顾事实。</p></div></body></html>");
    warc.extend(warc_record(
        "response",
        "3",
        "https://b.example/3",
        &http_page("gbk", &gbk),
    ));
    let path = temp_file(&dir, "crawl.warc.gz", &gzip(&warc));
    let out = run(&["analyze", "--format", "jsonl", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1), "a bad record fails the run");
    let err = stderr(&out);
    assert!(
        err.contains("crawl.warc.gz") && err.contains("urn:uuid:broken"),
        "{err}"
    );
    let reports = jsonl(&out);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["document"]["id"], "urn:uuid:1");
    assert_eq!(reports[0]["document"]["url"], "https://a.example/1");
    assert_eq!(reports[1]["document"]["lang"], "zh");
}

#[test]
fn truncated_gzip_names_the_file_and_other_files_go_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = gzip(
        b"<html><body><p>Officials said the plan failed, sources told the paper.</p></body></html>",
    );
    let cut = temp_file(&dir, "cut.html.gz", &page[..page.len() / 2]);
    let out = run(&[
        "analyze",
        "--format",
        "jsonl",
        cut.to_str().expect("path"),
        &example("en-tabloid.html"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cut.html.gz") && err.contains("gzip"), "{err}");
    assert_eq!(jsonl(&out).len(), 1, "the good file is still analysed");
}

#[test]
fn page_without_body_is_an_empty_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = temp_file(
        &dir,
        "empty.html",
        b"<!DOCTYPE html><html><head><title>Nothing here</title></head></html>",
    );
    let out = run(&["extract", "--format", "json", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = &jsonl(&out)[0];
    assert_eq!(page["text"], "");
    assert_eq!(page["title"], "Nothing here");
}

#[test]
fn twenty_megabytes_of_nested_divs_do_not_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2_000_000;
    let mut html = String::with_capacity(n * 11 + 100);
    html.push_str("<html><body>");
    for _ in 0..n {
        html.push_str("<div>");
    }
    html.push_str("Deep text, as deep as it goes.");
    for _ in 0..n {
        html.push_str("</div>");
    }
    let path = temp_file(&dir, "deep.html", html.as_bytes());
    let out = run(&["extract", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Deep text, as deep as it goes."
    );
}

#[test]
fn mislabelled_charset_is_decoded_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>Café owners said the “report” was wrong, officials told the paper.</p></body></html>";
    let path = temp_file(&dir, "label.html", html.as_bytes());
    let out = run(&["extract", path.to_str().expect("path")]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Café owners said the “report”"));
    assert!(
        stderr(&out).contains("label.html") && stderr(&out).contains("charset"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn extract_reads_stdin_and_every_warc_record() {
    let page = std::fs::read(example("en-tabloid.html")).expect("example");
    let out = run_stdin(&["extract", "-"], &page);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Sources told the Daily Example"));

    let dir = tempfile::tempdir().expect("tempdir");
    let mut warc = Vec::new();
    for n in 1..=3 {
        let html = format!("<html><body><article><p>Report {n}: officials said the plan failed, sources told the paper.</p></article></body></html>");
        warc.extend(warc_record(
            "response",
            &n.to_string(),
            &format!("https://a.example/{n}"),
            &http_page("utf-8", html.as_bytes()),
        ));
    }
    let path = temp_file(&dir, "three.warc", &warc);
    let out = run(&["extract", "--format", "json", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pages = jsonl(&out);
    assert_eq!(pages.len(), 3);
    for (n, page) in (1..=3).zip(&pages) {
        assert_eq!(page["url"], format!("https://a.example/{n}"));
        assert_eq!(page["id"], format!("urn:uuid:{n}"));
        assert!(page["text"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("Report {n}:"))));
    }
}
