"""The course's bookings lab."""

from .assets import build_sample_assets

__all__ = ["build_sample_assets"]
