//! The corpus commands through the binary: ingest (killed and resumed), search, reuse, trends,
//! export, and their errors.

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use spinscope_corpus::Corpus;

/// `n` distinct articles from a seeded generator, one JSONL line each; article `i` holds the
/// made-up word `tokenNNNN` so a search can find exactly it.
fn synthetic_jsonl(n: usize) -> String {
    const WORDS: &[&str] = &[
        "officials",
        "said",
        "the",
        "plan",
        "would",
        "raise",
        "taxes",
        "on",
        "imports",
        "critics",
        "warned",
        "that",
        "prices",
        "could",
        "rise",
        "sources",
        "told",
        "reporters",
        "minister",
        "denied",
        "any",
        "wrongdoing",
        "analysts",
        "expect",
        "growth",
        "to",
        "slow",
        "next",
        "year",
        "while",
        "unions",
        "demand",
        "higher",
        "wages",
        "and",
        "better",
        "conditions",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::new();
    for i in 0..n {
        let mut text = format!("Report token{i:04}.");
        for s in 0..6 {
            text.push(' ');
            for w in 0..12 {
                let word = WORDS[(next() % WORDS.len() as u64) as usize];
                if w == 0 && s == 0 {
                    text.push_str("Analysts said ");
                }
                text.push_str(word);
                text.push(' ');
            }
            text.pop();
            text.push('.');
        }
        let doc = serde_json::json!({
            "id": format!("a{i:04}"), "outlet": format!("Outlet {}", i % 3),
            "published": format!("2024-0{}-01", 1 + i % 3), "text": text,
        });
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    out
}

fn count(db: &Path) -> u64 {
    if !Corpus::exists(db) {
        return 0;
    }
    Corpus::open(db).and_then(|c| c.store.count()).unwrap_or(0)
}

#[test]
fn killed_ingest_resumes_with_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 6000;
    let input = temp_file(&dir, "feed.jsonl", synthetic_jsonl(n).as_bytes());
    let db = dir.path().join("db");
    let args = [
        "ingest",
        input.to_str().unwrap_or_default(),
        "--db",
        db.to_str().unwrap_or_default(),
    ];

    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ingest starts");
    // Wait cheaply (the file's size, every millisecond) until the write-ahead log holds about
    // a batch, then count until one is committed: opening the corpus to count from the start
    // was slow enough that a fast ingest finished first.
    let wal = db.join("corpus.sqlite-wal");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120)
        && std::fs::metadata(&wal).map_or(0, |m| m.len()) < 1 << 20
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut stored_at_kill = 0;
    while started.elapsed() < Duration::from_secs(120) && stored_at_kill == 0 {
        stored_at_kill = count(&db);
    }
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(9),
        "ingest finished before it could be killed"
    );
    assert!(
        stored_at_kill > 0 && stored_at_kill < n as u64,
        "{stored_at_kill}"
    );

    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_all_stored_once(&db, n);
}

/// Every one of the `n` synthetic documents is stored exactly once, and the search index holds
/// the first and the last (so it caught up with what was stored before an interruption).
fn assert_all_stored_once(db: &Path, n: usize) {
    assert_eq!(count(db), n as u64);
    let exported = run(&[
        "export",
        "--db",
        db.to_str().unwrap_or_default(),
        "--format",
        "jsonl",
    ]);
    let ids: Vec<String> = jsonl(&exported)
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (n, n));
    for i in [0, n - 1] {
        let found = run(&[
            "search",
            "--db",
            db.to_str().unwrap_or_default(),
            &format!("token{i:04}"),
        ]);
        let hits = json(&found)["hits"].as_array().cloned().unwrap_or_default();
        assert_eq!(hits.len(), 1, "token{i:04}: {}", stdout(&found));
        assert_eq!(hits[0]["id"], format!("a{i:04}"));
    }
}

/// A small tmpfs mounted for one test and unmounted afterwards, even when the test fails.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    /// None where mounting is not allowed (not root, or a container without the capability).
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(status.success(), "remount {size}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn full_disk_during_ingest_is_one_clear_error_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), "2m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root); CI runs as root");
        return;
    };
    let n = 1500;
    let input = temp_file(&dir, "feed.jsonl", synthetic_jsonl(n).as_bytes());
    let db = disk.0.join("db");
    let args = [
        "ingest",
        input.to_str().unwrap_or_default(),
        "--db",
        db.to_str().unwrap_or_default(),
    ];

    let out = run(&args);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(db.to_str().unwrap_or_default()) && message.contains("disk is full"),
        "{message}"
    );
    let stored_when_full = count(&db);
    assert!(stored_when_full < n as u64, "{stored_when_full}");

    // Space freed: the same command finishes the job, nothing lost or doubled.
    disk.resize("256m");
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_all_stored_once(&db, n);
}

#[test]
fn corpus_commands_over_the_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let db = db.to_str().unwrap_or_default();
    let examples = example("");
    let out = run(&["ingest", &examples, "--db", db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let documents = count(Path::new(db));
    assert!(documents >= 6, "{documents}");

    // Again: nothing new, every file skipped unread.
    let again = run(&["ingest", &examples, "--db", db]);
    assert!(again.status.success());
    assert_eq!(count(Path::new(db)), documents);

    let hits = json(&run(&["search", "--db", db, "外交部"]));
    let hits = hits["hits"].as_array().cloned().unwrap_or_default();
    assert!(!hits.is_empty());
    for key in ["id", "outlet", "title", "score", "snippet"] {
        assert!(hits[0].get(key).is_some(), "{key} missing: {}", hits[0]);
    }
    let table = stdout(&run(&[
        "search", "--db", db, "--format", "table", "sources",
    ]));
    assert!(table.contains('«'), "{table}");

    let reuse = json(&run(&["reuse", "--db", db, "--format", "json"]));
    assert!(reuse["clusters"].is_array());

    let trends = stdout(&run(&["trends", "--db", db, "--by", "outlet"]));
    assert!(trends.starts_with("outlet,period,documents,words,techniques,"));
    let total: u64 = trends
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').nth(9).and_then(|d| d.parse::<u64>().ok()))
        .sum();
    assert_eq!(total, documents);
    let trends_json = json(&run(&["trends", "--db", db, "--format", "json"]));
    assert!(trends_json["trends"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));

    let parquet = dir.path().join("all.parquet");
    let out = run(&[
        "export",
        "--db",
        db,
        "--format",
        "parquet",
        "-o",
        parquet.to_str().unwrap_or_default(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&parquet).is_ok_and(|b| b.starts_with(b"PAR1") && b.ends_with(b"PAR1")));
}

#[test]
fn corpus_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let out = run(&["search", "--db", missing.to_str().unwrap_or_default(), "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("nope") && err.contains("not a spinscope corpus"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // A bad input is reported and the good ones are still stored.
    let good = temp_file(&dir, "good.txt", b"Officials said the plan failed.");
    let bad = temp_file(&dir, "bad.bin", &[0u8, 1, 2, 3, 0, 0, 0xff, 0]);
    let db = dir.path().join("db");
    let out = run(&[
        "ingest",
        bad.to_str().unwrap_or_default(),
        good.to_str().unwrap_or_default(),
        "missing.txt",
        "--db",
        db.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("bad.bin: binary") && err.contains("missing.txt: no such file"),
        "{err}"
    );
    assert_eq!(count(&db), 1);
    let rows: Vec<Value> = jsonl(&run(&[
        "export",
        "--db",
        db.to_str().unwrap_or_default(),
        "--format",
        "jsonl",
    ]));
    assert_eq!(rows[0]["id"], "good");
}
