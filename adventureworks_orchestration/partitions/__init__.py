"""The day partitions everything shares, and day arithmetic (no storage, no paths)."""

from .daily import daily_partitions_def, days_in_range, parse_day

__all__ = ["daily_partitions_def", "days_in_range", "parse_day"]
