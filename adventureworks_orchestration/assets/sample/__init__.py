"""The course's bookings lab.

``build_sample_assets`` (which needs Dagster) is imported on first use, so the pure modules
(``schemas``, ``transforms``) load without Dagster: the bare-Spark benchmark imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assets import build_sample_assets

__all__ = ["build_sample_assets"]


def __getattr__(name: str) -> Any:
    if name == "build_sample_assets":
        from .assets import build_sample_assets

        return build_sample_assets
    raise AttributeError(name)
