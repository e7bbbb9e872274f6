"""Deterministic sample data for the landing zone (the course's country-club bookings)."""

from .bookings import GeneratorConfig, generate_table
from .landing_writer import LandingWriter, WrittenFile

__all__ = ["GeneratorConfig", "LandingWriter", "WrittenFile", "generate_table"]
