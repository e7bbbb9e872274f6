"""The stored Delta table of an asset, for the commands that inspect or repair one (history,
restore): the asset key checked against the definitions, the table opened where the IO manager
keeps it, in a Spark session started with Delta."""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING

from ..settings import Settings
from .parser import fail

if TYPE_CHECKING:
    from ..storage.delta_table import DeltaDayTable


def open_delta_table(settings: Settings, asset: str) -> DeltaDayTable:
    """The asset's table, or one line saying why there is none to work on."""
    import dagster as dg

    from ..constants import IO_MANAGER_KEY
    from ..definitions import build_definitions
    from ..resources.table_io_manager import TABLE_FORMAT_METADATA_KEY
    from ..storage.delta_table import DeltaDayTable
    from ..storage.object_store import object_store_for
    from ..storage.table_formats import stored_format

    definitions = build_definitions(settings)
    graph = definitions.resolve_asset_graph()
    known = sorted(key.to_user_string() for key in graph.get_all_asset_keys())
    if asset not in known:
        close = difflib.get_close_matches(asset, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
        fail(f"no asset {asset!r}; {hint}")
    key = dg.AssetKey.from_user_string(asset)
    io_manager = definitions.resources[IO_MANAGER_KEY]
    root = io_manager.table_uri(key)
    # what is stored decides, whatever AWO_TABLE_FORMAT says now
    found = stored_format(object_store_for(root, settings.s3))
    if found is None:
        fail(f"{asset} has no table at {root} yet: materialize it first")
    if found != "delta":
        fail(
            f"{asset} is stored as CSV at {root}, which keeps no history to show or restore; "
            "Delta tables do (AWO_TABLE_FORMAT=delta, or the asset's table_format metadata)"
        )
    metadata = {**graph.get(key).metadata, TABLE_FORMAT_METADATA_KEY: "delta"}
    table = io_manager.table_for(_delta_session(settings), key, metadata)
    assert isinstance(table, DeltaDayTable)
    return table


def _delta_session(settings: Settings):  # noqa: ANN202 - a SparkSession, imported lazily
    from pyspark.sql import SparkSession

    from ..resources.spark_config import spark_config

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for name, value in spark_config(settings, delta=True).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
