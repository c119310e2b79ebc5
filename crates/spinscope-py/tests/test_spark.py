"""A PySpark local-mode job gives the same summaries as the CLI."""

import json
import os
import shutil
import sys

import pytest

from conftest import cli_reports
from test_bindings import generated_articles

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark")
    from pyspark.sql import SparkSession

    # Spark's Python workers must import spinscope: run them on this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("spinscope-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_job_matches_the_cli(spark, tmp_path):
    from spinscope.spark import analyze_dataframe

    texts = generated_articles(300)
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    df = spark.read.json(str(source)).repartition(3)
    out = tmp_path / "summaries.parquet"
    analyze_dataframe(df, text_col="text").write.parquet(str(out))
    rows = {r["id"]: r for r in spark.read.parquet(str(out)).collect()}
    assert len(rows) == len(texts)

    cli = cli_reports([source])
    for i, report in enumerate(cli):
        row = rows[i]
        summary = report["summary"]
        assert row["claims"] == summary["claims"], i
        assert row["scare_quotes"] == summary["scare_quotes"], i
        assert row["attributions"] == summary["attributions"]["total"], i
        assert row["attributions_anonymous"] == summary["attributions"]["anonymous"], i
        assert row["techniques"] == sum(summary["techniques"].values()), i
        assert row["anonymous_share"] == summary["anonymous_share"], i
        assert json.loads(row["findings"]) == report["findings"], i
