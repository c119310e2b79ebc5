//! The server over real sockets: the JSON API, the report page, limits, escaping, static files,
//! and the corpus pages.

mod support;

use std::path::Path;

use support::*;

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name),
    )
    .expect("example")
}

const XSS: &str = "Officials said the plan was a “disaster”. \
    <script>window.__xss = 1</script> <img src=x onerror=\"window.__xss = 2\"> \
    <a href=\"javascript:window.__xss=3\">click</a> Analysts said it would fail.";

#[test]
fn api_analyzes_json_raw_text_and_html() {
    let addr = start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let text = String::from_utf8(example("en-state-media.txt")).expect("utf-8");
    let body = serde_json::json!({"text": text, "outlet": "Global Times"}).to_string();
    let r = request(
        addr,
        "POST",
        "/api/analyze",
        "application/json",
        body.as_bytes(),
    )
    .expect("post");
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json();
    assert_eq!(report["schema"], "spinscope/report@1");
    assert_eq!(report["document"]["outlet"], "Global Times");
    assert!(report["summary"]["attributions"]["total"].as_u64() > Some(0));

    let raw = request(addr, "POST", "/api/analyze", "text/plain", text.as_bytes()).expect("raw");
    assert_eq!(raw.json()["findings"], report["findings"]);

    let html = request(
        addr,
        "POST",
        "/api/analyze",
        "text/html",
        &example("en-tabloid.html"),
    )
    .expect("html");
    assert_eq!(html.status, 200);
    assert!(html.json()["document"]["title"].is_string());

    let bad = request(
        addr,
        "POST",
        "/api/analyze",
        "application/json",
        b"{\"txt\": 1}",
    )
    .expect("bad");
    assert_eq!(bad.status, 422);
    assert!(bad.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("text")));
    let binary = request(
        addr,
        "POST",
        "/api/analyze",
        "application/octet-stream",
        &[0, 1, 2, 0, 0, 0xff],
    )
    .expect("bin");
    assert_eq!(binary.status, 422);
}

#[test]
fn api_thresholds_are_the_clis_flags() {
    let addr = start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let text = String::from_utf8(example("en-state-media.txt")).expect("utf-8");
    let post = |extra: serde_json::Value| {
        let mut body = serde_json::json!({ "text": text });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        request(
            addr,
            "POST",
            "/api/analyze",
            "application/json",
            body.to_string().as_bytes(),
        )
        .expect("post")
    };
    let count = |r: &Response| r.json()["findings"].as_array().map_or(0, Vec::len);
    let shown = post(serde_json::json!({}));
    let all = post(serde_json::json!({ "all": true }));
    assert!(
        count(&all) > count(&shown),
        "{} vs {}",
        count(&all),
        count(&shown)
    );
    let strict = post(serde_json::json!({ "min_score": { "claim": 0.99, "technique": 0.99 } }));
    assert!(
        strict.json()["summary"]["claims"].as_u64() <= shown.json()["summary"]["claims"].as_u64()
    );
    let bad = post(serde_json::json!({ "min_score": { "rumour": 0.5 } }));
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("rumour"), "{}", bad.text());
    // The form's "every finding" box does what --all does.
    let (ct, form) = multipart(&[("text", text.as_str()), ("all", "1")], None);
    let page = request(addr, "POST", "/report", &ct, &form).expect("form");
    let (ct, form) = multipart(&[("text", text.as_str())], None);
    let default_page = request(addr, "POST", "/report", &ct, &form).expect("form");
    assert!(page.text().matches("<mark").count() > default_page.text().matches("<mark").count());
}

#[test]
fn bodies_over_the_limit_get_413() {
    let addr = start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let big = vec![b'a'; 60 * 1024 * 1024];
    let r = request(addr, "POST", "/api/analyze", "text/plain", &big).expect("post");
    assert_eq!(r.status, 413);
    let (ct, form) = multipart(
        &[("text", "x")],
        Some(("big.txt", &big[..11 * 1024 * 1024])),
    );
    let r = request(addr, "POST", "/report", &ct, &form).expect("form");
    assert_eq!(r.status, 413);
    // The server is still fine afterwards.
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn article_text_is_escaped_and_pages_forbid_scripts() {
    let addr = start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let (ct, form) = multipart(&[("text", XSS), ("outlet", "<b>Outlet</b>")], None);
    let r = request(addr, "POST", "/report", &ct, &form).expect("report");
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(!page.contains("<script"), "a script tag reached the page");
    assert!(!page.contains("<img"), "an img tag reached the page");
    assert!(
        !page.contains("href=\"javascript"),
        "a javascript: link reached the page"
    );
    assert!(page.contains("&#60;script&#62;"));
    assert!(page.contains("&#60;b&#62;Outlet&#60;/b&#62;"));
    assert!(page.contains("<mark class=\""), "findings are highlighted");
    assert!(page.contains("id=\"sourcing\""));
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    let empty = {
        let (ct, form) = multipart(&[("text", "  ")], None);
        request(addr, "POST", "/report", &ct, &form).expect("empty")
    };
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains("Paste a text"));

    let (ct, form) = multipart(
        &[],
        Some(("page.html", &example("zh-state-media-gbk.html"))),
    );
    let upload = request(addr, "POST", "/report", &ct, &form).expect("upload");
    assert_eq!(upload.status, 200);
    assert!(upload.text().contains("<mark class=\""));
}

#[test]
fn static_files_come_from_a_fixed_table() {
    let addr = start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let css = get(addr, "/static/spinscope.css");
    assert_eq!(css.status, 200);
    assert!(css
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/css")));
    for path in [
        "/static/../Cargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/",
        "/etc/passwd",
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("[package]"), "{path}");
    }
    // Without a corpus the corpus pages say how to get one.
    let search = get(addr, "/api/search?q=x");
    assert_eq!(search.status, 404);
    assert!(search.text().contains("--db"));
}

#[test]
fn corpus_pages_search_chart_and_cluster() {
    use spinscope_corpus::ingest::{ingest, IngestOptions};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = Vec::new();
    let original = "The harbour authority voted on Monday to build a deep-water berth that would let the largest container ships dock at the town for the first time, officials said. The project will be financed by regional bonds and a state loan. Opponents warned that dredging could damage oyster beds that fishermen have worked for generations.";
    for (i, (outlet, month, text)) in [
        ("Harbor Wire", "2024-03", original.to_string()),
        ("Daily Gazette", "2024-04", format!("From our partners. {original}")),
        ("Coastal Tribune", "2024-04", "Fishermen say the port plan will bury their oyster beds in silt, sources told the paper.".to_string()),
    ]
    .into_iter()
    .enumerate()
    {
        lines.push(serde_json::json!({"id": format!("d{i}"), "outlet": outlet, "published": format!("{month}-02"), "title": format!("<i>Story {i}</i>"), "text": text}).to_string());
    }
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines.join("\n")).expect("write");
    let mut corpus =
        spinscope_corpus::Corpus::create_or_open(&dir.path().join("db")).expect("corpus");
    ingest(
        &mut corpus,
        &[input.display().to_string()],
        &IngestOptions::default(),
        &|e| panic!("{e}"),
    )
    .expect("ingest");
    let addr = start(Some(corpus), spinscope_server::DEFAULT_BODY_LIMIT);

    let hits = get(addr, "/api/search?q=oyster&outlet=Coastal%20Tribune").json();
    assert_eq!(hits["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(hits["hits"][0]["id"], "d2");
    let page = get(addr, "/search?q=oyster").text();
    assert!(page.contains("<b>oyster</b>"), "{page}");
    assert!(
        page.contains("&#60;i&#62;Story 0&#60;/i&#62;"),
        "titles are escaped"
    );
    let trends = get(addr, "/trends");
    assert_eq!(trends.status, 200);
    assert!(trends.text().contains("<polyline"));
    let reuse = get(addr, "/reuse").text();
    assert!(reuse.contains("2 documents"), "{reuse}");
    let doc = get(addr, "/document/1");
    assert_eq!(doc.status, 200);
    assert!(doc.text().contains("id=\"article\""));
    assert_eq!(get(addr, "/document/99").status, 404);
}

#[test]
fn trickled_headers_are_cut_off() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let addr = serve(spinscope_server::Config {
        port: 0,
        header_timeout: Duration::from_millis(500),
        ..spinscope_server::Config::default()
    });
    // A slowloris client: headers begun, never finished.
    let mut slow = std::net::TcpStream::connect(addr).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "held for {waited:?}");
    let answer = String::from_utf8_lossy(&buf);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The server still answers everyone else.
    let mut ok = std::net::TcpStream::connect(addr).expect("connect");
    ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut buf = Vec::new();
    ok.read_to_end(&mut buf).expect("read");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}
