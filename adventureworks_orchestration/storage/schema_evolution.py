"""Which column changes a table accepts between writes, and the columns a reader gets.

Each day keeps the columns it was written with (the manifest records a schema per day). A write
may add columns and reorder them: days it does not replace keep their files, and a reader gets
the new columns as null on them, matched by name. A write that drops, renames or retypes a column
is refused while any stored day outside the write still has the old shape, because those days
would then read differently (or not at all); a write that replaces every stored day may change
anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from pyspark.sql.types import DateType, StructField, StructType

from .errors import SchemaChangeError
from .manifest import Manifest, describe_days


def stored_schema(schema: StructType, partition_column: str) -> StructType:
    """The columns as stored: every column nullable, the day column a date."""
    return StructType(
        [
            StructField(f.name, DateType() if f.name == partition_column else f.dataType, True)
            for f in schema.fields
        ]
    )


def schema_fields(schema: StructType) -> list[dict]:
    return schema.jsonValue()["fields"]


def schema_from_fields(fields: list[dict]) -> StructType:
    return StructType.fromJson({"type": "struct", "fields": fields})


def schema_fingerprint(schema: StructType) -> str:
    """Names and types in order (nullability aside): equal shapes, equal ids."""
    shape = [(f.name, f.dataType.simpleString()) for f in schema.fields]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def check_schema_change(
    table_name: str, base: Manifest, new: StructType, days_written: Iterable[str]
) -> None:
    """Raise ``SchemaChangeError`` if ``new`` would contradict a day the write leaves in place."""
    written = set(days_written)
    kept: dict[str, list[str]] = {}
    for day, version in base.days.items():
        if day not in written:
            kept.setdefault(version.schema, []).append(day)
    new_types = {f.name: f.dataType.simpleString() for f in new.fields}
    dropped: dict[str, list[str]] = {}
    retyped: dict[str, tuple[str, str, list[str]]] = {}
    for schema_id, days in kept.items():
        for field in schema_from_fields(base.schemas[schema_id]).fields:
            old_type = field.dataType.simpleString()
            if field.name not in new_types:
                dropped.setdefault(field.name, []).extend(days)
            elif new_types[field.name] != old_type:
                retyped.setdefault(field.name, (old_type, new_types[field.name], []))[2].extend(
                    days
                )
    if not dropped and not retyped:
        return
    changes = [f"drops column {name!r}" for name in sorted(dropped)] + [
        f"changes column {name!r} from {old} to {new_type}"
        for name, (old, new_type, _) in sorted(retyped.items())
    ]
    affected = sorted({d for days in dropped.values() for d in days}) + sorted(
        {d for _, _, days in retyped.values() for d in days}
    )
    stored = sorted(base.days)
    raise SchemaChangeError(
        f"{table_name}: the new rows' columns do not fit the stored days this run leaves in "
        f"place: the write {' and '.join(changes)}, which {describe_days(set(affected))} still "
        f"have. Nothing was written. Either re-materialize every stored day in one run "
        f"({stored[0]}..{stored[-1]}) so that no day keeps the old columns, or publish the new "
        "shape under a new asset key (e.g. a _v2 suffix). Adding a column needs neither: older "
        "days read it as null."
    )


def day_schemas(base: Manifest) -> Mapping[str, StructType]:
    return {sid: schema_from_fields(fields) for sid, fields in base.schemas.items()}
