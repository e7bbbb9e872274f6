"""Runs that ``awo`` starts: one run over a range of days, on the project's Dagster instance.

The run goes to the persistent instance (``$DAGSTER_HOME``, else ``<data dir>/dagster_home``,
created by ``ensure_dagster_home``), so it is in the UI's history like a sensor's or the UI's own
runs. Its console shows a line per asset as steps finish (``run_console``), then a table.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..settings import Settings


def dagster_home(settings: Settings) -> Path:
    """The instance awo uses: an exported DAGSTER_HOME, else the data folder's (created here)."""
    from ..dagster_home import ensure_dagster_home

    return ensure_dagster_home(Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home))


def run_range(
    settings: Settings,
    days: Sequence[str],
    trigger: str,
    log_level: str,
    assets: Sequence[str] | None = None,
) -> int:
    """Materialize ``assets`` (default: the whole labs graph) for ``days`` in ONE run."""
    home = dagster_home(settings)
    os.environ["DAGSTER_HOME"] = str(home)

    import dagster as dg

    from ..constants import SAMPLE_JOB_NAME
    from ..definitions import build_definitions
    from ..run_console import console_run_config

    job = build_definitions(settings).resolve_job_def(SAMPLE_JOB_NAME)
    selection = [dg.AssetKey.from_user_string(key) for key in assets] if assets else None
    what = ", ".join(assets) if assets else "group labs"
    span = days[0] if len(days) == 1 else f"{days[0]}..{days[-1]}"
    print(f"materializing {what} for {span} in one run (Dagster home {home})", flush=True)
    started = time.monotonic()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config=console_run_config(log_level),
            asset_selection=selection,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
                "awo/trigger": trigger,
            },
            raise_on_error=False,
        )
    if not result.success:
        print(f"awo: run {result.run_id} failed (see above; details in the UI)", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    print(f"\nrun {result.run_id} succeeded in {seconds:.1f}s\n")
    print(summary_table(result.get_asset_materialization_events()))
    print(f"\nThe UI with this run: uv run awo ui. {instance_hint(home)}")
    return 0


def instance_hint(home: Path) -> str:
    """How to put Dagster's own commands (``dg launch``, ``dg dev``) on awo's instance."""
    path = shlex.quote(str(home))
    return f"For dg/dagster commands on the same instance: export DAGSTER_HOME={path}"


def summary_table(events: Sequence[Any]) -> str:
    """asset | days | rows | path, from each day's materialization and its metadata."""
    days: dict[str, set[str]] = defaultdict(set)
    rows: dict[str, int] = defaultdict(int)
    paths: dict[str, str] = {}
    for event in events:
        materialization = event.materialization
        key = materialization.asset_key.to_user_string()
        days[key].add(materialization.partition)
        rows[key] += int(materialization.metadata["dagster/row_count"].value)
        if "path" in materialization.metadata:
            paths[key] = str(materialization.metadata["path"].value)
    header = ("asset", "days", "rows", "path")
    lines = [(k, str(len(days[k])), str(rows[k]), paths.get(k, "")) for k in sorted(days)]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip()
        for row in [header, *lines]
    )
