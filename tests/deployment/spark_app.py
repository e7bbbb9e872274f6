"""A Spark application as a run of the platform starts one: ``spark_config`` of the settings in
the environment (``AWO_*``), then an S3A write and read done by the executors. It reports to
``--ready`` and keeps its executors until ``--stop`` exists, so a test can look at the cluster
while several applications hold their share of it.

usage: python -m tests.deployment.spark_app --out s3a://bucket/prefix --ready FILE --stop FILE
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("--out", "--ready", "--stop"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    from adventureworks_orchestration.resources.spark_config import spark_config
    from adventureworks_orchestration.settings import settings_from_env

    config = spark_config(settings_from_env())
    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        spark.range(0, 1000, numPartitions=2).write.mode("overwrite").csv(args.out)
        rows = spark.read.csv(args.out).count()
        report = {"app_id": spark.sparkContext.applicationId, "rows": rows, "config": config}
        Path(args.ready).write_text(json.dumps(report))
        deadline = time.monotonic() + 600
        while not Path(args.stop).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
