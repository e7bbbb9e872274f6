"""The project's embedded Dagster instance: SQLite storage under ``<data dir>/dagster_home``.

``awo`` (and the README's ``dagster dev`` / ``dg`` commands) use this folder, so every run shows in
one UI. Its ``dagster.yaml`` is written from ``EMBEDDED_INSTANCE_CONFIG`` below: the settings a
run of this platform relies on (concurrency pools so two runs never write one asset at once) are
the same here as in ``deploy/dagster.yaml``; a test holds the two together.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MARKER = "# written by awo (adventureworks_orchestration/dagster_home.py); edit freely"

# One slot per pool: each Spark asset names a pool of its own (see ``assets``), so runs that write
# the same asset queue behind each other while runs on different assets still run side by side.
EMBEDDED_INSTANCE_CONFIG: dict = {
    "concurrency": {"pools": {"default_limit": 1, "granularity": "op"}},
    # A run whose worker died (out of memory, killed, lost) is re-executed from the failure by the
    # daemon; a step that fails is not (its RetryPolicy covers transient storage errors, and the
    # landing sensor re-requests a day whose run failed, a bounded number of times).
    "run_retries": {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False},
}

# Laptop console: runs that name no logger (`dg launch`, the UI, sensors) print at INFO, so a
# range shows its log lines, not a DEBUG line per materialized day (events are stored regardless).
LOCAL_CONSOLE_CONFIG: dict = {"python_logs": {"python_log_level": "INFO"}}


EVENT_LOG_STORAGE_MODULE = "adventureworks_orchestration.event_log_storage"
EVENT_LOG_STORAGE_CLASS = "BatchedSqliteEventLogStorage"


def event_log_storage_config(folder: Path) -> dict:
    """Dagster's SQLite event log in its usual place (``history/runs``), writing the per-day
    asset events of a range in batches (``event_log_storage.py``); Dagster needs the path."""
    return {
        "module": EVENT_LOG_STORAGE_MODULE,
        "class": EVENT_LOG_STORAGE_CLASS,
        "config": {"base_dir": str(folder.absolute() / "history" / "runs")},
    }


def instance_config(folder: Path) -> dict:
    """What ``ensure_dagster_home`` writes for ``folder``: the shared settings, the laptop
    console level and the batched SQLite event log."""
    return {
        **EMBEDDED_INSTANCE_CONFIG,
        **LOCAL_CONSOLE_CONFIG,
        "event_log_storage": event_log_storage_config(folder),
    }


def ensure_dagster_home(folder: Path) -> Path:
    """Create the folder and its ``dagster.yaml`` unless the user already has one of their own.

    An empty ``dagster.yaml`` (what earlier versions of ``awo`` left) is replaced; one that awo
    wrote (it starts with ``MARKER``) gets the top-level sections it lacks, keeping the rest, and
    our event log's path follows the folder if it was moved.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dagster.yaml"
    text = config.read_text() if config.exists() else ""
    if not text.strip():
        current: dict = {}
    elif text.startswith(MARKER):
        current = yaml.safe_load(text) or {}
    else:
        return folder
    merged = {**instance_config(folder), **current}
    if "event_log_storage" not in current and any(
        key == "storage" or key.endswith("_storage") for key in current
    ):  # storage of the user's own choosing (Dagster refuses `storage` beside `*_storage`)
        del merged["event_log_storage"]
    if (current.get("event_log_storage") or {}).get("class") == EVENT_LOG_STORAGE_CLASS:
        merged["event_log_storage"] = event_log_storage_config(folder)
    if not text.strip() or merged != current:
        config.write_text(MARKER + "\n" + yaml.safe_dump(merged, sort_keys=False))
    if not (folder / "history" / "runs.db").exists():
        create_databases(folder)
    return folder


def create_databases(folder: Path) -> None:
    """Create the home's SQLite databases now, from one process.

    Dagster creates each on first use; two processes doing that at the same moment (two
    ``dg launch``, or a launch while the UI starts) both stamp the schema version, and Dagster then
    refuses the database ("more than one head"). Seen in this project's tests.
    """
    import dagster as dg

    with dg.DagsterInstance.from_config(str(folder)) as instance:
        instance.get_run_records(limit=1)
        instance.all_instigator_state()
        instance.fetch_materializations(dg.AssetKey("awo-create-databases"), limit=1)
