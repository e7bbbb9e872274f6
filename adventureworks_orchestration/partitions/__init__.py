"""The day partitions everything shares, and how a day maps to folders, file names and columns."""

from .daily import daily_partitions_def, days_in_range, parse_day
from .landing import (
    LANDING_DATASET,
    LANDING_TABLES,
    LandingFile,
    landing_file_path,
    parse_landing_path,
)

__all__ = [
    "LANDING_DATASET",
    "LANDING_TABLES",
    "LandingFile",
    "daily_partitions_def",
    "days_in_range",
    "landing_file_path",
    "parse_day",
    "parse_landing_path",
]
