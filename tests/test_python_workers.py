"""Spark's Python workers run the run's own interpreter, whatever PATH says.

A run started as ``.venv/bin/dg launch`` without the venv activated (or by a service whose PATH
has only the system Python) must not hand the landing parser (a ``mapInArrow`` in a Python
worker) to an interpreter without pyarrow or this project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import dagster as dg
from adventureworks_orchestration.resources.spark import build_spark_resource
from adventureworks_orchestration.settings import settings_from_env

resource = build_spark_resource(settings_from_env())
with dg.build_init_resource_context() as context:
    resource.setup_for_execution(context)
spark = resource.spark_session

def interpreter(batches):
    import sys
    import pyarrow as pa
    for _ in batches:
        yield pa.RecordBatch.from_pydict({"python": [sys.executable]})

found = spark.range(1).mapInArrow(interpreter, "python string").collect()[0]["python"]
print(json.dumps({"worker": found, "driver": sys.executable}))
spark.stop()
"""


def test_workers_use_the_runs_interpreter_when_the_venv_is_not_on_path(tmp_path: Path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "VIRTUAL_ENV"}
    }
    env["PATH"] = "/usr/bin:/bin"  # the system's python3, if any: no pyarrow, no project
    env["AWO_DATA_DIR"] = str(tmp_path / "data")
    env["AWO_STORAGE"] = "local"
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen = json.loads(completed.stdout.strip().splitlines()[-1])
    assert Path(seen["worker"]).resolve() == Path(seen["driver"]).resolve()
