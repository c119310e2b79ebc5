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
