"""Data-quality and freshness checks."""
