"""Row-level validation of landing records: each is accepted, quarantined with ONE reason, or
dropped as an exact duplicate, so that for every table and day

    landing rows = accepted + quarantined + exact duplicates.

Plain DataFrame -> DataFrame functions over the records of ``landing.reader``; what a table must
satisfy is its ``Contract`` (declared with the assets, in ``assets/sample/schemas.py``). The
rules, in the order they are tried (a record gets the reason of the first it breaks):

1. it parses (``landing.parser``: UTF-8, the header's number of fields, quotes closed);
2. no text value holds a line break (the warehouse's CSV tables cannot store one yet);
3. every value parses as its column's type (``try_cast``: nothing becomes null silently);
4. key and required columns are not empty;
5. the contract's own rules: a timestamp that must fall on the file's day (the partition day of
   a row must agree with its data, not only with its file name), smallest allowed values;
6. references resolve in the SAME day's snapshot of the referenced table (exempt values, like
   member 0, the guest, need none); a day whose snapshot is not known is not checked;
7. duplicates, among the records that passed 1-6: a record equal in every value to an earlier
   one of the same day is an exact duplicate (dropped, counted); two different records with the
   same key are resolved by ONE rule, **a stored row wins, then the earliest day, then the lowest
   line**, and the losers are quarantined naming the row that was kept:

   - a key already stored for ANOTHER day (``stored_keys``: the ``duplicate_lookback_days``,
     ``AWO_DUPLICATE_LOOKBACK_DAYS``, before the run's first day and after its last day; never
     the run's own days, which the run replaces) beats every record of the run, whether that day
     is earlier or later: a published row is not un-published, so the row ingested first stays
     (a late file for day D, ingested after D+1, loses a bookid that D+1 holds); the reason
     names the day that holds it (the earliest, if several do);
   - among the run's own records (a range run holds several days), the earliest day, then the
     lowest line, wins.

   So the same input on the same stored state gives the same output, and a bookid is accepted
   on one day only within the lookback; which day keeps it depends on what was ingested first.
   Days farther apart than the lookback are not compared: a bookid re-sent after it can be
   accepted again (``primary_key_unique`` is per day).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DataType,
    DecimalType,
    IntegralType,
    StringType,
    StructType,
    TimestampType,
)

from .reader import LINE, PARSE_ERROR, PARSE_ERROR_CODE, RECORD_COLUMNS, SOURCE_FILE

STATUS = "status"
REASON_CODE = "reason_code"
REASON = "reason"
ACCEPTED = "accepted"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"

# reason codes besides the parser's (not_utf8, field_count, unclosed_quote, bad_csv) and each
# Reference's own (e.g. unknown_facility)
LINE_BREAK = "line_break"
BAD_VALUE = "bad_value"
MISSING_KEY = "missing_key"
MISSING_VALUE = "missing_value"
OTHER_DAY = "other_day"
BELOW_MINIMUM = "below_minimum"
DUPLICATE_KEY = "duplicate_key"
EXACT_DUPLICATE = "exact_duplicate"

_REASON = "_reason"
_EXACT_COPY_OF = "_exact_copy_of"
_KEPT = "_kept"
_WINNER = "_winner"
_STORED_DAY = "_stored_day"
_SNAPSHOT_DAY = "_snapshot_day"


@dataclass(frozen=True)
class Reference:
    """``column`` must name a row of the same day's ``table`` (whose key column has that name)."""

    column: str
    table: str
    code: str  # the reason code of a record whose reference does not resolve
    noun: str  # what the column names, for the reason text ("facility")
    exempt: tuple[int, ...] = ()  # values that need no row (member 0, the guest)


@dataclass(frozen=True)
class Contract:
    """What every accepted row of a landing table satisfies."""

    table: str
    schema: StructType
    partition_column: str
    key: tuple[str, ...]
    key_across_days: bool = False  # the key is unique across days (bookings), not per day
    on_day: str | None = None  # a timestamp column that must fall on the file's day
    minimums: tuple[tuple[str, int], ...] = ()
    references: tuple[Reference, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return self.schema.fieldNames()


@dataclass(frozen=True)
class Snapshot:
    """The keys of a referenced table per day (columns ``_snapshot_day``, key) and the days they
    are known for; ``keys`` for a day outside ``days`` are ignored."""

    keys: DataFrame
    days: frozenset[str]

    @classmethod
    def of(cls, rows: DataFrame, partition_column: str, key: str, days: Sequence[str]) -> Snapshot:
        keys = rows.select(F.col(partition_column).alias(_SNAPSHOT_DAY), key).distinct()
        return cls(keys, frozenset(days))


def validate(
    records: DataFrame,
    contract: Contract,
    snapshots: Mapping[str, Snapshot] | None = None,
    stored_keys: DataFrame | None = None,
) -> DataFrame:
    """``records`` with typed columns and ``status``, ``reason_code``, ``reason`` (see above).

    ``snapshots``: per referenced table, its keys per day. ``stored_keys``: the key columns and
    ``contract.partition_column`` of rows stored for the lookback days around the run, none of
    the run's own days (``key_across_days``).
    """
    day = F.col(contract.partition_column)
    typed = {f.name: _typed(f.name, f.dataType) for f in contract.schema.fields}
    rules = _record_rules(contract, typed) + _contract_rules(contract, typed, day)
    frame = records.select(
        *[c for c in records.columns if c not in typed],
        *[typed[name].alias(name) for name in contract.columns],
        _first(rules).alias(_REASON),
    )
    for reference in contract.references:
        snapshot = (snapshots or {}).get(reference.table)
        if snapshot is not None and snapshot.days:
            frame = _resolve(frame, contract, reference, snapshot)
    # ONE shuffle and ONE sort for the duplicate rules below (and the stored keys' join): the
    # rows hashed by the scope of a key, then sorted as the exact duplicates' window needs,
    # which begins with that scope, as the key rules need
    frame = frame.repartition(*_key_scope(contract))
    frame = _exact_duplicates(frame, contract)
    if stored_keys is not None and contract.key_across_days:
        frame = _stored_keys(frame, contract, stored_keys)
    frame = _conflicting_keys(frame, contract)
    reason = F.col(_REASON)
    return frame.select(
        *[c for c in frame.columns if not c.startswith("_")],
        F.when(F.col(_EXACT_COPY_OF).isNotNull(), F.lit(DUPLICATE))
        .when(reason.isNull(), F.lit(ACCEPTED))
        .otherwise(F.lit(QUARANTINED))
        .alias(STATUS),
        F.when(F.col(_EXACT_COPY_OF).isNotNull(), F.lit(EXACT_DUPLICATE))
        .otherwise(reason["code"])
        .alias(REASON_CODE),
        F.when(
            F.col(_EXACT_COPY_OF).isNotNull(),
            F.concat(F.lit("an exact copy of line "), F.col(_EXACT_COPY_OF).cast("string")),
        )
        .otherwise(reason["text"])
        .alias(REASON),
    )


Rule = tuple[Column, Column, Column]  # (broken when, reason code, reason text)


def _typed(name: str, kind: DataType) -> Column:
    return F.col(name) if isinstance(kind, StringType) else F.col(name).try_cast(kind)


def _describe(kind: DataType) -> str:
    if isinstance(kind, IntegralType):
        return "a whole number"
    if isinstance(kind, DecimalType):
        return f"a number (at most {kind.precision - kind.scale} digits before the point)"
    if isinstance(kind, TimestampType):
        return "a date and time (YYYY-MM-DD HH:MM:SS)"
    return f"a {kind.simpleString()}"


def _record_rules(contract: Contract, typed: Mapping[str, Column]) -> list[Rule]:
    rules: list[Rule] = [
        (F.col(PARSE_ERROR).isNotNull(), F.col(PARSE_ERROR_CODE), F.col(PARSE_ERROR))
    ]
    fields = contract.schema.fields
    for f in fields:
        if isinstance(f.dataType, StringType):
            rules.append(
                (
                    F.col(f.name).rlike("[\\r\\n]"),
                    F.lit(LINE_BREAK),
                    F.lit(
                        f"line break in {f.name}: the value spans lines, which the warehouse's "
                        "CSV tables cannot store"
                    ),
                )
            )
    for f in fields:
        if not isinstance(f.dataType, StringType):
            rules.append(
                (
                    F.col(f.name).isNotNull() & typed[f.name].isNull(),
                    F.lit(BAD_VALUE),
                    F.concat(
                        F.lit(f"bad value: {f.name} '"),
                        F.col(f.name),
                        F.lit(f"' is not {_describe(f.dataType)}"),
                    ),
                )
            )
    for f in fields:
        if not f.nullable or f.name in contract.key:
            is_key = f.name in contract.key
            rules.append(
                (
                    F.col(f.name).isNull(),
                    F.lit(MISSING_KEY if is_key else MISSING_VALUE),
                    F.lit(
                        f"missing {'key' if is_key else 'value'}: {f.name} is empty; "
                        "every row needs one"
                    ),
                )
            )
    return rules


def _contract_rules(contract: Contract, typed: Mapping[str, Column], day: Column) -> list[Rule]:
    rules: list[Rule] = []
    if contract.on_day:
        value = typed[contract.on_day]
        rules.append(
            (
                F.to_date(value) != day,
                F.lit(OTHER_DAY),
                F.concat(
                    F.lit(f"on another day: {contract.on_day} "),
                    F.date_format(value, "yyyy-MM-dd HH:mm:ss"),
                    F.lit(" is not on "),
                    F.date_format(day, "yyyy-MM-dd"),
                    F.lit(", the day of its file"),
                ),
            )
        )
    for name, minimum in contract.minimums:
        rules.append(
            (
                typed[name] < minimum,
                F.lit(BELOW_MINIMUM),
                F.concat(
                    F.lit(f"{name} must be {minimum} or more, got "), typed[name].cast("string")
                ),
            )
        )
    return rules


def _first(rules: Sequence[Rule]) -> Column:
    """The first broken rule as a struct (code, text), or null when none is broken."""
    return F.coalesce(
        *[
            F.when(broken, F.struct(code.alias("code"), text.alias("text")))
            for broken, code, text in rules
        ]
    )


def _unbroken() -> Column:
    return F.col(_REASON).isNull()


def _with_reason(frame: DataFrame, broken: Column, code: Column, text: Column) -> DataFrame:
    """Give the records that break a rule (and no earlier one) its reason."""
    return frame.withColumn(
        _REASON,
        F.when(_unbroken() & broken, F.struct(code.alias("code"), text.alias("text"))).otherwise(
            F.col(_REASON)
        ),
    )


def _resolve(
    frame: DataFrame, contract: Contract, reference: Reference, snapshot: Snapshot
) -> DataFrame:
    found = f"_found_{reference.table}"
    keys = snapshot.keys.select(
        F.col(_SNAPSHOT_DAY).alias(contract.partition_column),
        F.col(reference.column),
        F.lit(True).alias(found),
    )
    day_text = F.date_format(F.col(contract.partition_column), "yyyy-MM-dd")
    joined = frame.join(F.broadcast(keys), [contract.partition_column, reference.column], "left")
    value = F.col(reference.column)
    broken = day_text.isin(sorted(snapshot.days)) & F.col(found).isNull()
    if reference.exempt:
        broken = broken & ~value.isin(list(reference.exempt))
    exempt = " and ".join(str(v) for v in reference.exempt)
    text = F.concat(
        F.lit(f"unknown {reference.noun}: {reference.column} "),
        value.cast("string"),
        F.lit(f" is not in the {reference.table} snapshot of "),
        day_text,
        F.lit(f" ({exempt} needs none)" if exempt else ""),
    )
    return _with_reason(joined, broken, F.lit(reference.code), text).drop(found)


def _key_scope(contract: Contract) -> list[str]:
    """Where a key must be unique: across days, or within a day."""
    return list(contract.key) + ([] if contract.key_across_days else [contract.partition_column])


def _exact_duplicates(frame: DataFrame, contract: Contract) -> DataFrame:
    """``_exact_copy_of``: the line of the first record of the day equal in every value.

    The window's columns begin with the key's scope (``_key_scope``): its sort is the one
    ``_conflicting_keys`` needs too."""
    scope = _key_scope(contract)
    values = [
        *scope,
        *(c for c in [contract.partition_column, *contract.columns] if c not in scope),
    ]
    same = Window.partitionBy(*values, _unbroken()).orderBy(LINE)
    first_line = F.first(LINE).over(same)
    return frame.withColumn(
        _EXACT_COPY_OF,
        F.when(_unbroken() & (F.row_number().over(same) > 1), first_line),
    )


def _stored_keys(frame: DataFrame, contract: Contract, stored: DataFrame) -> DataFrame:
    """A key stored for another day (before or after the run's days) wins over every record of
    the run: that row was ingested first; the reason names its day (the earliest, if several)."""
    held_on = stored.groupBy(*contract.key).agg(F.min(contract.partition_column).alias(_STORED_DAY))
    joined = frame.join(held_on, list(contract.key), "left")
    text = F.concat(
        F.lit(f"duplicate key: {_key_text(contract)} "),
        _key_value(contract),
        F.lit(" is already stored for "),
        F.date_format(F.col(_STORED_DAY), "yyyy-MM-dd"),
        F.lit(" (a row ingested first is kept)"),
    )
    broken = F.col(_STORED_DAY).isNotNull() & F.col(_EXACT_COPY_OF).isNull()
    return _with_reason(joined, broken, F.lit(DUPLICATE_KEY), text).drop(_STORED_DAY)


def _conflicting_keys(frame: DataFrame, contract: Contract) -> DataFrame:
    """Records of the run with the same key: the earliest day, then the lowest line, wins.

    The winner is the least (day, line, file) of the candidates in the key's scope (a window
    with no order, so no sort of its own: the exact duplicates' sort serves it)."""
    candidate = _unbroken() & F.col(_EXACT_COPY_OF).isNull()
    day = contract.partition_column
    record = F.struct(F.col(day).alias("day"), F.col(LINE), F.col(SOURCE_FILE))
    frame = frame.withColumn(
        _WINNER,
        F.min(F.when(candidate, record)).over(Window.partitionBy(*_key_scope(contract))),
    )
    winner = F.col(_WINNER)
    lost = candidate & (record != winner)
    frame = frame.withColumn(
        _KEPT, F.when(lost, F.struct(winner[SOURCE_FILE].alias("file"), winner[LINE].alias(LINE)))
    ).drop(_WINNER)
    text = F.concat(
        F.lit(f"duplicate key: {_key_text(contract)} "),
        _key_value(contract),
        F.lit(" is also on line "),
        F.col(_KEPT)[LINE].cast("string"),
        F.lit(" of "),
        F.col(_KEPT)["file"],
        F.lit(
            " with other values; that row is kept (the earliest day, then the lowest line, wins)"
        ),
    )
    return _with_reason(frame, F.col(_KEPT).isNotNull(), F.lit(DUPLICATE_KEY), text).drop(_KEPT)


def _key_text(contract: Contract) -> str:
    return ", ".join(contract.key)


def _key_value(contract: Contract) -> Column:
    return F.concat_ws(", ", *[F.col(name).cast("string") for name in contract.key])


def for_keeping(validated: DataFrame) -> DataFrame:
    """``validated`` as the source step keeps it for its writes: a record's location, text,
    parse verdict and reason only where the quarantine stores them (quarantined records), null
    on accepted records and exact duplicates, which are written by their typed columns or only
    counted. The kept rows are then mostly the typed columns: validating, counting and keeping 3
    million bookings (30 days of 100,000, one Spark session, median of 3) took 8.4 s instead of
    10.1 s."""
    quarantined = F.col(STATUS) == QUARANTINED
    only_quarantined = {*RECORD_COLUMNS, REASON, REASON_CODE}
    return validated.select(
        *[
            F.when(quarantined, F.col(name)).alias(name) if name in only_quarantined else name
            for name in validated.columns
        ]
    )


def accepted(validated: DataFrame, contract: Contract) -> DataFrame:
    """The accepted rows, typed as the contract says. (The CSV table write sorts each day's rows,
    so the same input gives the same files, byte for byte: ``PartitionedTable._rows_to_write``.)"""
    return validated.where(F.col(STATUS) == ACCEPTED).select(
        *contract.columns, contract.partition_column
    )


@dataclass(frozen=True)
class DayCounts:
    """What became of one table-day's landing rows."""

    landing: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0

    @property
    def balanced(self) -> bool:
        return self.landing == self.accepted + self.quarantined + self.duplicates


def day_counts(
    validated: DataFrame, partition_column: str, days: Sequence[str]
) -> dict[str, DayCounts]:
    """Counts per day (every day of ``days``, zero when it had no rows), in one Spark job.

    Every record must carry one of ``days`` (its file's day): a record of no day or of another
    day would be in no count, and a quarantine the counts call empty is written without looking
    at its rows (``PartitionedTable.write_empty``); so such a record fails here, loudly."""
    rows = (
        validated.groupBy(F.date_format(partition_column, "yyyy-MM-dd").alias("day"))
        .agg(
            F.count(F.lit(1)).alias("landing"),
            F.count_if(F.col(STATUS) == ACCEPTED).alias("accepted"),
            F.count_if(F.col(STATUS) == QUARANTINED).alias("quarantined"),
            F.count_if(F.col(STATUS) == DUPLICATE).alias("duplicates"),
        )
        .collect()
    )
    found = {
        row["day"]: DayCounts(
            *(row[name] for name in ("landing", "accepted", "quarantined", "duplicates"))
        )
        for row in rows
    }
    wanted = set(days)
    strays = {day: count.landing for day, count in found.items() if day not in wanted}
    if strays:
        raise ValueError(
            f"{sum(strays.values())} landing record(s) of {partition_column} "
            f"{sorted(strays, key=str)}, none of the {len(wanted)} day(s) counted: every record "
            "carries its file's day, so this is a bug"
        )
    return {day: found.get(day, DayCounts()) for day in days}
