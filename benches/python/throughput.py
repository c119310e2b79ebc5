"""Articles/s of spinscope.analyze_many against a Python loop of spinscope.analyze (the reference,
measured in the same run), and of the Spark local-mode job.

    python benches/python/throughput.py [--articles 2000] [--spark]

Uses the generated articles of the test suite (both languages, 1-12 sentences each).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "crates/spinscope-py/tests"))
from test_bindings import generated_articles  # noqa: E402

import spinscope  # noqa: E402


def rate(n, seconds):
    return n / seconds if seconds > 0 else float("inf")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args()
    texts = generated_articles(args.articles)

    start = time.perf_counter()
    for t in texts:
        spinscope.analyze(t)
    loop = rate(len(texts), time.perf_counter() - start)

    start = time.perf_counter()
    spinscope.analyze_many(texts)
    many = rate(len(texts), time.perf_counter() - start)
    cores = os.cpu_count()
    print(f"{len(texts)} articles, {cores} cores")
    print(f"  loop of analyze (reference)  {loop:8.0f} articles/s   1.00x")
    print(f"  analyze_many                 {many:8.0f} articles/s   {many / loop:4.2f}x")

    if args.spark:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        from spinscope.spark import analyze_dataframe

        spark = SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false").getOrCreate()
        df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "id long, text string").cache()
        df.count()
        start = time.perf_counter()
        analyze_dataframe(df).select("claims").count()
        spark_rate = rate(len(texts), time.perf_counter() - start)
        print(f"  Spark local[*] mapInArrow    {spark_rate:8.0f} articles/s   {spark_rate / loop:4.2f}x")
        spark.stop()


if __name__ == "__main__":
    main()
