"""Dagster resources only: the Spark session, the IO managers over ``storage``, the landing zone.

Import the submodule you need; the package itself imports nothing (pyspark stays unloaded for
modules, like the sensors, that never touch Spark).
"""
