"""Deterministic sample data for the landing zone (the course's country-club bookings)."""

from .bookings import GeneratorConfig, generate_table
from .landing_writer import LandingWriter, LocalLandingSink, S3LandingSink, WrittenFile

__all__ = [
    "GeneratorConfig",
    "LandingWriter",
    "LocalLandingSink",
    "S3LandingSink",
    "WrittenFile",
    "generate_table",
]
