"""What every benchmark script needs besides its measurements: a work folder, progress lines and
a results file under bench/results/ (git-ignored)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def make_workdir(benchmark: str, requested: str | None) -> tuple[Path, bool]:
    """The folder to work in and whether it is ours to delete; never reuses old results."""
    if requested is None:
        return Path(tempfile.mkdtemp(prefix=f"awo-bench-{benchmark}-")), True
    workdir = Path(requested).expanduser().absolute()
    if workdir.exists() and any(workdir.iterdir()):
        raise SystemExit(f"{benchmark}.py: --workdir {workdir} is not empty; give a new folder")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, False


def write_results(benchmark: str, results: Mapping[str, object]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{benchmark}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def step(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)
