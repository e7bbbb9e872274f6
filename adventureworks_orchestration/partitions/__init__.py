"""The day partitions everything shares, and day arithmetic (no storage, no paths).

``days`` is pure Python; ``daily_partitions_def`` (which needs Dagster) is imported on first use,
so ``awo --help`` and other light callers do not pay for Dagster.
"""

from __future__ import annotations

from typing import Any

from .days import days_before, days_in_range, parse_day

__all__ = ["daily_partitions_def", "days_before", "days_in_range", "parse_day"]


def __getattr__(name: str) -> Any:
    if name == "daily_partitions_def":
        from .daily import daily_partitions_def

        return daily_partitions_def
    raise AttributeError(name)
