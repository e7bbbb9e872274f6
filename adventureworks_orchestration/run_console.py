"""The console logger of our runs: a failure said once, in its own words; a line per asset.

Dagster's default console logger prints a deliberate ``dg.Failure`` (whose description already
says which file is wrong and what to do) with its Python stack trace, and then prints the same
error and trace again on the run's failure event. This logger prints a ``Failure`` as its
description alone, the run failure without repeating the step's error, and any other error with
Dagster's own text (trace included) once. The full events, traces included, stay in the run's
event log for the UI.

With ``compact`` (what ``awo`` asks for), INFO shows one line per materialized asset (days, rows,
seconds of its step) and the Spark start, instead of every log line of every step.

It is registered under the key ``console`` in the definitions, so a run whose run config names
``loggers: console`` (``awo`` always does) uses it. Runs with no logger config (``dg launch``,
the UI, sensors) get Dagster's default console logger at the instance's ``python_log_level``,
which the project's Dagster home sets to INFO (see ``dagster_home``).
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from typing import Any

import dagster as dg

from .constants import QUARANTINED_ROWS_METADATA_KEY

CONSOLE_LOGGER_KEY = "console"
FAILURE_CLASS = "Failure"


def console_run_config(log_level: str = "INFO", compact: bool = True) -> dict[str, Any]:
    """The run config that selects this logger (``awo`` passes it to every run it starts)."""
    return {
        "loggers": {CONSOLE_LOGGER_KEY: {"config": {"log_level": log_level, "compact": compact}}}
    }


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "compact": dg.Field(bool, is_required=False, default_value=False),
    },
    description="Console logger: a Failure once, without its trace; optionally a line per asset.",
)
def run_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config
    level = logging.getLevelName(config["log_level"].upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {config['log_level']!r}")
    # compact mode needs the DEBUG-level step and materialization events to summarize them
    logger = logging.Logger("adventureworks_orchestration.run", logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RunLogFormatter(compact=config["compact"]))
    handler.addFilter(AssetSummaryFilter(level) if config["compact"] else _LevelFilter(level))
    logger.addHandler(handler)
    return logger


def error_text(event: Any) -> str | None:
    """What to print of an event's error: a Failure's description, else Dagster's text, or None
    when the event repeats an error already printed (the run failure after a step failure)."""
    data = getattr(event, "event_specific_data", None)
    error = getattr(data, "error", None)
    if error is None:
        return None
    if getattr(data, "first_step_failure_event", None) is not None:
        return None
    cause = error
    while cause is not None:
        if cause.cls_name == FAILURE_CLASS:
            return _without_class_prefix(cause.message)
        cause = cause.cause
    return getattr(data, "error_display_string", None) or error.to_string()


def _without_class_prefix(message: str) -> str:
    head, sep, rest = message.partition(": ")
    return rest.strip() if sep and "." in head and " " not in head else message.strip()


def _meta(record: logging.LogRecord) -> dict[str, Any]:
    return getattr(record, "dagster_meta", None) or {}


class RunLogFormatter(logging.Formatter):
    """Dagster's line layout (or a short one), with errors said once (see ``error_text``)."""

    def __init__(self, compact: bool) -> None:
        self.compact = compact
        super().__init__(
            "%(asctime)s %(levelname)s %(message)s" if compact else None,
            "%H:%M:%S" if compact else None,
        )

    def format(self, record: logging.LogRecord) -> str:
        meta = _meta(record)
        if not meta:
            return super().format(record) if self.compact else record.getMessage()
        event = meta.get("dagster_event")
        summary = getattr(record, "awo_summary", None)
        if summary:
            return "\n".join(
                super(RunLogFormatter, self).format(_with(record, line)) for line in summary
            )
        message = meta["orig_message"] if self.compact else record.getMessage().split("\n\n")[0]
        text = error_text(event)
        record = _with(record, message + (f"\n\n{text}" if text else ""))
        if self.compact:
            return super().format(record)
        return f"{self.formatTime(record)} - dagster - {record.levelname} - {record.getMessage()}"


def _with(record: logging.LogRecord, message: str) -> logging.LogRecord:
    return logging.makeLogRecord({**record.__dict__, "msg": message, "args": ()})


class _LevelFilter(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


class AssetSummaryFilter(logging.Filter):
    """Compact mode: lets through warnings and errors, the Spark start, and, when a step
    succeeds, one line per asset it materialized (days, rows, seconds); drops the rest below
    WARNING. Rows come from each day's ``dagster/row_count`` materialization metadata, and the
    landing rows a source asset quarantined from its ``quarantined_rows``."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level
        self.days: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.quarantined: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def filter(self, record: logging.LogRecord) -> bool:
        meta = _meta(record)
        event = meta.get("dagster_event")
        if self.level < logging.INFO:
            return True
        if record.levelno >= logging.WARNING:
            # the steps skipped after a failure: the run's failure line already names the cause
            return not meta.get("orig_message", "").startswith("Dependencies for step")
        if event is None:
            return bool(meta.get("resource_name")) and "ready" in meta.get("orig_message", "")
        step = event.step_key or ""
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            if materialization.partition:
                self.days[step][key].add(materialization.partition)
            row_count = materialization.metadata.get("dagster/row_count")
            self.rows[step][key] += int(getattr(row_count, "value", 0) or 0)
            quarantined = materialization.metadata.get(QUARANTINED_ROWS_METADATA_KEY)
            self.quarantined[step][key] += int(getattr(quarantined, "value", 0) or 0)
        elif event.event_type_value == "STEP_SUCCESS":
            seconds = event.event_specific_data.duration_ms / 1000
            record.awo_summary = [
                f"{key}: {len(days)} day(s), {self.rows[step][key]} rows"
                + self._quarantined(step, key)
                + f", step {seconds:.1f}s"
                for key, days in sorted(self.days[step].items())
            ] or [f"{step}: done in {seconds:.1f}s"]
            record.levelno, record.levelname = logging.INFO, "INFO"
            return True
        return False

    def _quarantined(self, step: str, key: str) -> str:
        count = self.quarantined[step][key]
        return f" ({count} landing rows quarantined: awo quarantine)" if count else ""
