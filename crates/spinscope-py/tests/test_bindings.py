"""The Python API gives the CLI's reports, in parallel, and as Arrow."""

import json
import os
import random
import subprocess
import sys
import warnings

import pytest

import spinscope
from conftest import EXAMPLES, cli_reports, model_dir


def comparable(report):
    """A report without the fields that name the input (id, source)."""
    document = {k: v for k, v in report["document"].items() if k not in ("id", "source")}
    return {**report, "document": document}


def test_readme_example():
    report = spinscope.analyze("Analysts said the plan failed.")
    assert report["schema"] == "spinscope/report@1"
    assert report["summary"]["attributions"]["anonymous"] == 1


def test_examples_match_the_cli():
    assert EXAMPLES, "the repository's examples are missing"
    for path, cli in zip(EXAMPLES, cli_reports(EXAMPLES)):
        ours = spinscope.analyze(path.read_text(encoding="utf-8"))
        assert comparable(ours) == comparable(cli), path.name
        text = path.read_text(encoding="utf-8")
        for f in ours["findings"]:
            assert text[f["start"]:f["end"]] == f["text"]


def test_thresholds_are_the_clis():
    path = next(p for p in EXAMPLES if p.name == "en-state-media.txt")
    text = path.read_text(encoding="utf-8")
    shown = spinscope.analyze(text)
    everything = spinscope.analyze(text, all=True)
    assert comparable(everything) == comparable(cli_reports([path], flags=["--all"])[0])
    assert len(everything["findings"]) > len(shown["findings"])
    strict = spinscope.analyze(text, min_score={"claim": 0.95, "technique": 0.9})
    (cli,) = cli_reports([path], flags=["--min-score", "claim=0.95", "--min-score", "technique=0.9"])
    assert comparable(strict) == comparable(cli)
    assert strict["summary"]["claims"] <= shown["summary"]["claims"]
    with pytest.raises(ValueError):
        spinscope.analyze(text, min_score={"rumour": 0.5})
    with pytest.raises(ValueError):
        spinscope.analyze(text, min_score={"claim": 1.5})


def test_analyze_many_equals_a_loop():
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES] * 3 + ["", "据知情人士透露，所谓“报告”不实。"]
    assert spinscope.analyze_many(texts, threads=2) == [spinscope.analyze(t) for t in texts]
    assert spinscope.analyze_many([]) == []


def test_metadata_and_options():
    report = spinscope.analyze(
        "The Global Times learned from sources that the plan failed.",
        outlet="Global Times",
        title="Plan",
    )
    assert report["document"]["outlet"] == "Global Times"
    assert report["document"]["title"] == "Plan"
    assert report["summary"]["attributions"]["self_citation"] == 1


def test_the_full_tier_gives_the_cli_full_reports():
    # scripts/test-all installs the base first, as the README's set-up does.
    if not (model_dir() / "e5-small-q4.bin").exists():
        pytest.skip("the full tier's base is not installed (scripts/fetch-model)")
    path = next(p for p in EXAMPLES if p.name == "en-state-media.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = spinscope.analyze(path.read_text(encoding="utf-8"), tier="full")
    (cli,) = cli_reports([path], tier="full")
    assert comparable(ours) == comparable(cli)
    assert any(f.get("detector") == "model" for f in ours["findings"]), "no model findings"
    assert ours != spinscope.analyze(path.read_text(encoding="utf-8"), tier="fast")


def test_without_the_base_the_full_tier_warns_and_runs_the_fast_one(tmp_path):
    # In a process of its own: a process loads the full tier once.
    code = (
        "import json, warnings, spinscope\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    full = spinscope.analyze('Analysts said the plan failed.', tier='full')\n"
        "fast = spinscope.analyze('Analysts said the plan failed.')\n"
        "print(json.dumps([full == fast, [str(w.message) for w in caught]]))\n"
    )
    env = {**os.environ, "SPINSCOPE_MODEL_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    same, messages = json.loads(out.stdout)
    assert same
    assert len(messages) == 1 and "using the fast tier" in messages[0], messages
    assert str(tmp_path) in messages[0], messages


def test_errors_are_python_exceptions():
    with pytest.raises(TypeError):
        spinscope.analyze(b"bytes")
    with pytest.raises(TypeError):
        spinscope.analyze_many(["ok", None])
    with pytest.raises(ValueError):
        spinscope.analyze("x", tier="turbo")
    with pytest.raises(ValueError):
        spinscope.analyze("x", lang="fr")
    with pytest.raises(ValueError):
        spinscope.analyze_many(["x"], threads=0)


def test_arrow_batch_has_the_summary_columns():
    pa = pytest.importorskip("pyarrow")
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    table = pa.table({"id": list(range(len(texts))), "text": texts})
    batch = spinscope.analyze_arrow(table)
    assert isinstance(batch, pa.RecordBatch)
    assert batch.schema.names == ["id", "text", *spinscope.SUMMARY_COLUMNS]
    rows = batch.to_pylist()
    for row, text in zip(rows, texts):
        report = spinscope.analyze(text)
        assert row["claims"] == report["summary"]["claims"]
        assert row["scare_quotes"] == report["summary"]["scare_quotes"]
        assert json.loads(row["findings"]) == report["findings"]
    with pytest.raises(KeyError):
        spinscope.analyze_arrow(table, text_column="body")


def generated_articles(n, seed=11):
    """Articles assembled from persuasive and neutral sentences in both languages."""
    rng = random.Random(seed)
    sentences = [
        "Sources told the paper that the so-called \"report\" was a lie.",
        "Analysts said the economy grew 5.2% last year.",
        "The minister, John Smith, said the plan would go ahead.",
        "This disgraceful betrayal will destroy our nation!",
        "据知情人士透露，所谓“报告”罔顾事实。",
        "外交部发言人表示，中方坚决反对。",
        "The committee met on Tuesday.",
        "Everyone knows the truth: they lied again and again.",
    ]
    return [" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 12))) for _ in range(n)]
