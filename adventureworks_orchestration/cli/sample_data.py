"""Landing sample data for ``demo`` and ``generate``: a progress bar, existing files kept, and
with ``--faults`` one file held back as a late file."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..settings import Settings


@dataclass
class Landed:
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    late: tuple[str, str, str] | None = None  # (table, day, path) held back: a late file

    def describe(self, root: str) -> str:
        text = f"wrote {len(self.written)} landing file(s) to {root}"
        if self.kept:
            shown = ", ".join(self.kept[:3]) + (" ..." if len(self.kept) > 3 else "")
            text += (
                f"; kept {len(self.kept)} that already existed ({shown}); --overwrite replaces them"
            )
        return text


def land_sample_data(
    settings: Settings,
    days: Sequence[str],
    bookings_per_day: int,
    seed: int,
    overwrite: bool,
    faults: bool = False,
) -> Landed:
    """Generate each table-day not already in the landing area (all of them with ``overwrite``).

    A user's own or edited landing files are never replaced unless asked: the existing keys are
    listed first (one listing per table), and each missing file is generated and written whole
    (with ``faults``, with the day's bad rows: ``datagen.faults``). With ``faults``, the late file
    (``datagen.faults.late_file``) is not written when it is not there yet; one already there
    has arrived, and is kept or overwritten like any other.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..datagen import GeneratorConfig, LandingWriter, S3LandingSink, generate_table
    from ..datagen.faults import late_file
    from ..landing.listing import build_landing_lister
    from ..landing.paths import LANDING_DATASET, LANDING_TABLES, landing_file_path

    if settings.uses_s3:
        from ..storage.s3 import check_buckets, s3_client

        check_buckets(settings.s3, [settings.s3.landing_bucket])
        writer = LandingWriter(S3LandingSink(s3_client(settings.s3), settings.s3.landing_bucket))
    else:
        writer = LandingWriter.local(settings.landing_dir)
    late = late_file(days) if faults else None
    existing: set[str] = set()
    if not overwrite or late:
        lister = build_landing_lister(settings)
        for table in LANDING_TABLES:
            existing.update(item.key for item in lister.list_after(f"{LANDING_DATASET}/{table}/"))
    config = GeneratorConfig(bookings_per_day=bookings_per_day, seed=seed, faults=faults)
    landed = Landed()
    columns = (TextColumn("generating {task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task(f"{days[0]}..{days[-1]}", total=len(days) * len(LANDING_TABLES))
        for day in days:
            for table in LANDING_TABLES:
                path = landing_file_path(table, day)
                if (table, day) == late and path not in existing:
                    landed.late = (table, day, path)
                elif path in existing and not overwrite:
                    landed.kept.append(path)
                else:
                    data = generate_table(table, day, config)
                    writer.write_table(table, day, data, config.seed, config.faults)
                    landed.written.append(path)
                progress.advance(task)
    return landed


def late_file_line(landed: Landed, args: argparse.Namespace, run: bool = False) -> str | None:
    """One line naming the held-back file and the ``awo generate`` that writes it later (the same
    file: same seed, size and faults), and with ``run`` that the run leaves its day out and how to
    materialize it then; None when nothing was held back."""
    if landed.late is None:
        return None
    table, day, path = landed.late
    generate = ["generate", "--start", day, "--days", "1", "--faults"]
    generate += ["--seed", str(args.seed), "--bookings-per-day", str(args.bookings_per_day)]
    line = f"late file (--faults): {path} ({table} of {day}) held back, not written"
    if not run:
        return f"{line}; write it later with: {_awo(args, generate)}"
    return (
        f"{line}, so this run leaves {day} out; write it later with: {_awo(args, generate)}, "
        f"then: {_awo(args, ['backfill', day, day])} (or let awo ui's landing sensor run it)"
    )


def _awo(args: argparse.Namespace, words: list[str]) -> str:
    """An ``awo`` command line with this invocation's data folder and storage."""
    command = ["awo"]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    if args.storage:
        command += ["--storage", args.storage]
    return shlex.join([*command, *words])
