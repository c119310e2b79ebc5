"""Run spinscope over a Spark DataFrame with ``mapInArrow``.

Example (local mode; the same code runs on a cluster whose workers have ``spinscope`` installed)::

    from pyspark.sql import SparkSession
    from spinscope.spark import analyze_dataframe

    # Workers need a Python with spinscope installed: PYSPARK_PYTHON, or the cluster's image.
    spark = SparkSession.builder.master("local[*]").getOrCreate()
    articles = spark.read.json("articles.jsonl")          # or spark.read.parquet(...)
    analyze_dataframe(articles, text_col="text").write.parquet("summaries.parquet")
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from . import SUMMARY_COLUMNS, analyze_arrow

_SPARK_TYPES = {"string": "string", "int64": "bigint", "float64": "double"}


def analyze_dataframe(df: Any, text_col: str = "text", *, threads: Optional[int] = 1):
    """The DataFrame with the summary columns (and the findings as JSON) appended.

    Each Spark task analyses its Arrow batches with ``threads`` threads (default 1: Spark
    already runs one task per core).
    """
    if text_col not in df.columns:
        raise KeyError(f"no column {text_col!r}; columns: {df.columns}")
    taken = [c for c in SUMMARY_COLUMNS if c in df.columns]
    if taken:
        raise ValueError(f"the DataFrame already has columns named {taken}; rename them first")
    extra = ", ".join(f"`{name}` {_SPARK_TYPES[kind]}" for name, kind in SUMMARY_COLUMNS.items())
    schema = _ddl(df) + ", " + extra

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            yield analyze_arrow(batch, text_col, threads=threads)

    return df.mapInArrow(run, schema)


def _ddl(df: Any) -> str:
    """The DataFrame's columns as a DDL string, names quoted."""
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema.fields)
