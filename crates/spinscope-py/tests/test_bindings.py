"""The Python API gives the CLI's reports, in parallel, and as Arrow."""

import json
import random
import warnings

import pytest

import spinscope
from conftest import EXAMPLES, cli_reports


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spinscope.analyze("x", tier="full")
    assert any("full tier" in str(w.message) for w in caught)


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
