//! `spinscope train model` through the binary, on a data folder written here (needs the base
//! encoder that `scripts/fetch-model` installs, as `.ci/run` does).

mod common;

use std::path::Path;

use common::*;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The smallest folder shaped like ../shared/data: one PTC article, one PolNeAR article, two
/// CheckThat! rows.
fn data(dir: &Path) {
    write(
        &dir.join("ptc/train-articles/article1.txt"),
        "It was a disgraceful lie.\n",
    );
    write(
        &dir.join("ptc/train-labels-task-flc-tc/article1.task-flc-tc.labels"),
        "1\tLoaded_Language\t9\t20\n",
    );
    let polnear = dir.join("polnear/data/train");
    write(
        &polnear.join("text/doc_one.txt"),
        "Officials said prices rose.",
    );
    write(
        &polnear.join("attributions/doc_one_a1.ann"),
        "T1\tSource 0 9\tOfficials\nT2\tCue 10 14\tsaid\n",
    );
    let tsv = "Sentence_id\tText\tclass_label\n1\tPrices rose 3 percent.\tYes\n2\tHello.\tNo\n";
    for split in ["train", "dev"] {
        write(
            &dir.join(format!("checkworthy/CT24_checkworthy_english_{split}.tsv")),
            tsv,
        );
    }
}

#[test]
fn the_export_logs_into_its_bundle_and_leaves_the_shipped_log_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    data(dir.path());
    let (out, bundle) = (dir.path().join("out"), dir.path().join("bundle"));
    write(&out.join("train-model.log"), "the shipped run's log\n");
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let done = run(&[
        "train",
        "model",
        "--data",
        &path(dir.path()),
        "--out",
        &path(&out),
        "--export",
        &path(&bundle),
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    let kept = std::fs::read_to_string(out.join("train-model.log")).expect("log");
    assert_eq!(kept, "the shipped run's log\n");
    let log = std::fs::read_to_string(bundle.join("export.log")).expect("export log");
    assert!(log.contains("wrote the fine-tuning data"), "{log}");
    assert!(bundle.join("config.json").exists());
}

#[test]
fn the_mined_chinese_words_come_from_the_train_part_with_their_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Written for this test: an insult in agitative sentences only, weather in neutral ones.
    let mut tsv = String::new();
    for i in 0..12 {
        tsv.push_str(&format!("这些骗子又来了，第{i}次！\t1\n"));
        tsv.push_str(&format!("天气预报说明天第{i}次降温。\t0\n"));
        tsv.push_str(&format!("政府今天发布了第{i}份报告。\t0\n"));
    }
    write(&dir.path().join("zh-agitative/caod.tsv"), &tsv);
    let out = dir.path().join("out");
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let done = run(&[
        "train",
        "lexicon-zh",
        "--data",
        &path(&dir.path().join("zh-agitative")),
        "--out",
        &path(&out),
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stderr(&done).contains("sealed"), "{}", stderr(&done));
    let list = std::fs::read_to_string(out.join("agitative_words.tsv")).expect("list");
    assert!(
        list.starts_with("# Chinese words mined from CAOD's train part"),
        "{list}"
    );
    let liar = list
        .lines()
        .find(|l| l.starts_with("骗子\t"))
        .unwrap_or_else(|| panic!("骗子 mined: {list}"));
    let counts: Vec<&str> = liar.split('\t').collect();
    // Only train-part sentences count: fewer than the 12 written.
    let (agitative, sentences): (u32, u32) = (
        counts[1].parse().expect("a count"),
        counts[2].parse().expect("a count"),
    );
    assert!(
        agitative == sentences && (5..12).contains(&agitative),
        "{liar}"
    );
    assert!(!list.contains("天气"), "{list}");
}
