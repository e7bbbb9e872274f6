"""What a landing-sensor tick decides, as plain functions: which days to list, which complete days
are not ingested yet, which of those to (re)request now, and how they group into runs.

The rules, and why each is there:

* **Confirmed by data.** A day is ingested when the source assets' latest materialization of that
  day records, for every table, the etag of the landing file now there (``recorded``, read from
  the instance). A request is only a to-do item: it stays open until the data confirms it.
* **Failures are retried, then reported.** When the run of an open request has failed (and
  Dagster will not retry it itself), the day is requested again after a backoff
  (``backoff_seconds * 2**(attempt-1)``), at most ``max_attempts`` times in all; then the sensor
  gives up on it loudly (the caller logs a warning and reports a failing asset check). A changed
  file starts its day, and the days that failed in the same run, from attempt 1 again.
* **Run keys.** A run key names the stretch's files (key and etag), the provenance it replaces
  (the storage ids of the days' latest source materializations) and the attempt. The same state
  gives the same key (a tick evaluated twice, two sensor instances: the daemon drops the
  duplicate); a restored file (A -> B -> A) replaces a newer materialization, and a retry has a
  new attempt number, so both get new keys. Before asking, the planner looks up its keys in the
  instance: a key already used by a finished run (e.g. after a cursor reset) moves to the next
  attempt instead of being silently dropped by the daemon.
* **One window for all tables.** Each tick lists days ``lo..hi`` for every table: ``hi`` is the
  latest complete day, ``lo`` is ``lookback_days`` before the newest day seen (the partitions'
  first day while no landing file has been seen), lowered to include
  every open request and incomplete day, and to ``lookback_days`` below the oldest new day an
  ordinary tick requested within the last reconciliation interval (so an upload that goes
  backwards in time, newest day first, is followed day by day). It never reaches further back
  than ``MAX_WINDOW_DAYS``.
* **Reconciliation.** Every ``reconcile_seconds`` (and on a fresh or reset cursor) the whole
  landing prefix is listed once and every complete day is judged: a file for any old day is found.
* **Bounded runs.** Days to request become runs of consecutive days with the same attempt number,
  at most ``max_days_per_run`` days each.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from ..landing.objects import LandingObject
from .cursor import DayRequest, LandingCursor, Recorded
from .landing_scan import Scan, days_between, shift

MAX_WINDOW_DAYS = 366  # an ordinary tick never lists further back; the reconciliation does
LOST_REQUEST_SECONDS = 900  # a request with no run after this long counts as a failed attempt
MAX_REPORTED_JUNK = 1000  # junk keys remembered as reported; beyond, a count per reconciliation


@dataclass(frozen=True)
class Policy:
    lookback_days: int = 7
    max_days_per_run: int = 31
    max_attempts: int = 3
    backoff_seconds: float = 120.0
    reconcile_seconds: float = 24 * 3600.0

    def __post_init__(self) -> None:
        for name in ("lookback_days", "max_days_per_run", "max_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"the landing sensor's {name} must be at least 1")
        if self.backoff_seconds < 0 or self.reconcile_seconds <= 0:
            raise ValueError("the landing sensor's backoff must be >= 0, reconciliation > 0")

    def retry_delay(self, attempt: int) -> float:
        return self.backoff_seconds * 2 ** (attempt - 1)


class RunState(Enum):
    MISSING = "missing"  # no run carries the key (not created yet, or lost)
    IN_FLIGHT = "in flight"  # queued or running, or failed with Dagster's own retry coming
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # failed or canceled, no retry coming


@dataclass(frozen=True)
class RunOutcome:
    state: RunState
    run_id: str | None = None
    ended_at: float | None = None


MISSING = RunOutcome(RunState.MISSING)
OutcomeLookup = Callable[[Sequence[str]], Mapping[str, RunOutcome]]


def files_digest(files: Mapping[str, LandingObject]) -> str:
    text = "".join(f"{files[t].key}@{files[t].etag}\n" for t in sorted(files))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_ingested(files: Mapping[str, LandingObject], recorded: Recorded | None) -> bool:
    """Every table's latest materialization of the day recorded the file that is there now."""
    recorded = recorded or {}
    return all(recorded.get(table, (None, 0))[0] == item.etag for table, item in files.items())


@dataclass(frozen=True)
class PlannedRun:
    first_day: str
    last_day: str
    files: tuple[LandingObject, ...]
    attempt: int
    replaces: tuple[int, ...]  # storage ids of the days' latest source materializations

    @property
    def days(self) -> list[str]:
        return [
            shift(self.first_day, i) for i in range(days_between(self.first_day, self.last_day) + 1)
        ]

    @property
    def run_key(self) -> str:
        """Same files, same provenance replaced, same attempt: same key (see module doc)."""
        digest = hashlib.sha256()
        for item in sorted(self.files, key=lambda f: f.key):
            digest.update(f"{item.key}@{item.etag}\n".encode())
        digest.update(",".join(map(str, self.replaces)).encode())
        return f"landing-{self.first_day}-{self.last_day}-a{self.attempt}-{digest.hexdigest()[:16]}"


@dataclass
class TickPlan:
    cursor: LandingCursor
    runs: list[PlannedRun] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)  # days given up on at this tick
    resolved: list[str] = field(default_factory=list)  # given-up days now ingested


def reconcile_due(cursor: LandingCursor, now: float, policy: Policy) -> bool:
    return cursor.reconciled_at is None or now - cursor.reconciled_at >= policy.reconcile_seconds


def window_start(cursor: LandingCursor, first_day: str, hi: str, now: float, policy: Policy) -> str:
    """``lo`` of the days an ordinary tick lists (see module doc)."""
    if cursor.newest_day:
        candidates = [shift(min(hi, cursor.newest_day), -policy.lookback_days)]
    else:  # nothing landed yet: every day from the start (which holds no key yet) is cheap
        candidates = [first_day]
    candidates += [*cursor.requests, *cursor.waiting]
    if cursor.chase_day and cursor.chase_until and now < cursor.chase_until:
        candidates.append(shift(cursor.chase_day, -policy.lookback_days))
    lo = min(candidates)
    return max(lo, first_day, shift(hi, -MAX_WINDOW_DAYS))


def plan_tick(
    cursor: LandingCursor,
    scan: Scan,
    now: float,
    policy: Policy,
    outcomes: OutcomeLookup,
) -> TickPlan:
    """Decide one tick. ``cursor.recorded`` must hold the provenance of every day in ``scan``."""
    plan = TickPlan(cursor=copy.deepcopy(cursor))
    state = plan.cursor
    complete = scan.complete()
    _note_waiting(plan, scan)
    _note_junk(plan, scan)
    if scan.files:
        state.newest_day = max(state.newest_day or "", max(scan.files))

    pending: dict[str, Mapping[str, LandingObject]] = {}
    for day, files in sorted(complete.items()):
        if is_ingested(files, state.recorded.get(day)):
            request = state.requests.pop(day, None)
            if request is not None and (request.gave_up or request.gave_up_before):
                plan.resolved.append(day)
        else:
            pending[day] = files
    for day in [d for d in state.requests if scan.covers(d) and d not in complete]:
        del state.requests[day]  # a file went away: the day waits again (see ``waiting``)

    due = _due_days(plan, pending, now, policy, outcomes)
    _request(plan, due, pending, now, policy, outcomes, chase=not scan.full)
    if scan.full:
        state.reconciled_at = now
    _prune(state, scan, now, policy)
    return plan


def _due_days(
    plan: TickPlan,
    pending: Mapping[str, Mapping[str, LandingObject]],
    now: float,
    policy: Policy,
    outcomes: OutcomeLookup,
) -> dict[str, int]:
    """Days to request now -> attempt number; gives up on days out of attempts."""
    state = plan.cursor
    open_requests = {
        day: state.requests[day]
        for day in pending
        if day in state.requests and state.requests[day].digest == files_digest(pending[day])
    }
    known = outcomes(sorted({r.key for r in open_requests.values()})) if open_requests else {}
    due: dict[str, int] = {}
    noticed: dict[str, tuple[RunOutcome, int, float, list[str]]] = {}
    restart: set[str] = set()  # keys of failed runs one of whose files has changed since
    failed: set[str] = set()
    for day in pending:
        request = open_requests.get(day)
        if request is None:
            if day in state.requests:
                restart.add(state.requests[day].key)
            due[day] = 1
            continue
        if request.gave_up:
            failed.add(request.key)
            continue
        outcome = _effective(known.get(request.key, MISSING), request, now)
        if outcome.state in (RunState.IN_FLIGHT, RunState.MISSING):
            continue
        failed.add(request.key)
        if request.attempt >= policy.max_attempts:
            _give_up(plan, day, request, outcome)
            continue
        if request.failed_at is None:  # the clock of whoever ended the run may be ahead of ours
            request.failed_at = _failed_at(outcome, now)
            retry_at = request.failed_at + policy.retry_delay(request.attempt)
            noticed.setdefault(request.key, (outcome, request.attempt, retry_at, []))[3].append(day)
        retry_at = request.failed_at + policy.retry_delay(request.attempt)
        if now >= retry_at:
            due[day] = request.attempt + 1
    for day, request in open_requests.items():
        if request.key in restart & failed and day not in due:
            due[day] = 1  # its run failed with a file that has since been replaced
    for outcome, attempt, retry_at, days in noticed.values():
        plan.warnings.append(
            f"run {outcome.run_id or '(none was started)'} for {days[0]}..{days[-1]} failed "
            f"(attempt {attempt} of {policy.max_attempts}); asking again after "
            f"{to_datetime(retry_at)}"
        )
    return due


def _failed_at(outcome: RunOutcome, now: float) -> float:
    """When a failed run ended, by our clock at the latest."""
    return min(outcome.ended_at or now, now)


def _effective(outcome: RunOutcome, request: DayRequest, now: float) -> RunOutcome:
    if outcome.state is RunState.MISSING and now - request.requested_at >= LOST_REQUEST_SECONDS:
        return RunOutcome(RunState.FAILED, None, request.requested_at + LOST_REQUEST_SECONDS)
    if outcome.state is RunState.SUCCEEDED:  # it ran, yet these files are not what it recorded
        return RunOutcome(RunState.FAILED, outcome.run_id, outcome.ended_at)
    return outcome


def _give_up(plan: TickPlan, day: str, request: DayRequest, outcome: RunOutcome) -> None:
    request.gave_up = True
    plan.gave_up.append(day)
    plan.warnings.append(
        f"GAVE UP on {day} after {request.attempt} attempt(s); last run "
        f"{outcome.run_id or '(none was started)'} failed. Fix or replace its landing files (a "
        "changed file starts again), or launch the day by hand once fixed."
    )


def _request(
    plan: TickPlan,
    due: Mapping[str, int],
    pending: Mapping[str, Mapping[str, LandingObject]],
    now: float,
    policy: Policy,
    outcomes: OutcomeLookup,
    chase: bool,
) -> None:
    state = plan.cursor
    stretches = _stretches(due, policy.max_days_per_run)
    candidates = {
        (index, attempt): _planned(days, attempt, pending, state)
        for index, (days, first_attempt) in enumerate(stretches)
        for attempt in range(first_attempt, policy.max_attempts + 1)
    }
    known = outcomes(sorted({run.run_key for run in candidates.values()})) if candidates else {}
    previously_open = set(state.requests)
    requested: list[str] = []  # days asked for the first time
    for index, (days, first_attempt) in enumerate(stretches):
        chosen, last = None, None
        for attempt in range(first_attempt, policy.max_attempts + 1):
            run = candidates[(index, attempt)]
            outcome = known.get(run.run_key, MISSING)
            last = (run, outcome)
            failed = outcome.state is RunState.FAILED
            if failed and now < _failed_at(outcome, now) + policy.retry_delay(attempt):
                chosen = (run, outcome)  # an earlier tick's failed run: wait out its backoff
                break
            if outcome.state in (RunState.MISSING, RunState.IN_FLIGHT):
                chosen = (run, outcome)
                break
        run, outcome = chosen or last
        for day in days:
            previous = state.requests.get(day)
            state.requests[day] = DayRequest(
                key=run.run_key,
                attempt=run.attempt,
                digest=files_digest(pending[day]),
                requested_at=now,
                failed_at=_failed_at(outcome, now) if outcome.state is RunState.FAILED else None,
                gave_up_before=previous is not None
                and (previous.gave_up or previous.gave_up_before),
            )
        if chosen is None:
            for day in days:
                _give_up(plan, day, state.requests[day], outcome)
        elif outcome.state is RunState.MISSING:
            plan.runs.append(run)
            requested.extend(day for day in days if day not in previously_open)
    if requested and chase:  # a reconciliation's finds say nothing about the upload order
        oldest = min(requested)
        if not (state.chase_until and now < state.chase_until and state.chase_day <= oldest):
            state.chase_day = oldest
        state.chase_until = now + policy.reconcile_seconds


def _stretches(due: Mapping[str, int], max_days: int) -> list[tuple[list[str], int]]:
    """Consecutive days with the same attempt number, at most ``max_days`` each, oldest first."""
    stretches: list[tuple[list[str], int]] = []
    for day in sorted(due):
        if stretches:
            days, attempt = stretches[-1]
            if attempt == due[day] and len(days) < max_days and days_between(days[-1], day) == 1:
                days.append(day)
                continue
        stretches.append(([day], due[day]))
    return stretches


def _planned(
    days: Sequence[str],
    attempt: int,
    pending: Mapping[str, Mapping[str, LandingObject]],
    state: LandingCursor,
) -> PlannedRun:
    files = tuple(item for day in days for item in pending[day].values())
    replaces = tuple(
        sorted(storage_id for day in days for _, storage_id in state.recorded.get(day, {}).values())
    )
    return PlannedRun(days[0], days[-1], files, attempt, replaces)


def _note_waiting(plan: TickPlan, scan: Scan) -> None:
    """Incomplete days that are not ingested: logged when first seen or when what is missing
    changes, not every tick."""
    state = plan.cursor
    now_waiting = {
        day: missing
        for day, missing in scan.incomplete().items()
        if not (
            set(state.recorded.get(day, {})) >= set(scan.tables)
            and is_ingested(scan.files[day], state.recorded.get(day))
        )
    }
    for day, missing in sorted(now_waiting.items()):
        if state.waiting.get(day) != missing:
            plan.infos.append(f"{day}: waiting for {', '.join(missing)} before starting its run")
    state.waiting = {
        **{day: m for day, m in state.waiting.items() if not scan.covers(day)},
        **now_waiting,
    }


def _note_junk(plan: TickPlan, scan: Scan) -> None:
    state = plan.cursor
    reported = set(state.reported)
    digests = {item.key: hashlib.sha256(item.key.encode()).hexdigest()[:12] for item in scan.junk}
    new = [item for item in scan.junk if digests[item.key] not in reported]
    room = max(0, MAX_REPORTED_JUNK - len(reported))
    for item in new[:room]:
        plan.warnings.append(f"skipped {item}")
        reported.add(digests[item.key])
    if len(new) > room:
        plan.warnings.append(
            f"skipped {len(new) - room} more key(s) that are not landing files (the first: "
            f"{new[room]}); only {MAX_REPORTED_JUNK} are remembered, so these are reported at "
            "every reconciliation"
        )
    if scan.full:  # forget keys that are gone, so a key put back is reported again
        reported &= set(digests.values())
    state.reported = sorted(reported)


def _prune(state: LandingCursor, scan: Scan, now: float, policy: Policy) -> None:
    """Keep provenance only for days the next ordinary tick lists or still has open."""
    if state.chase_until and now >= state.chase_until:
        state.chase_day = state.chase_until = None
    hi = scan.last
    lo = window_start(state, "0000-01-01", hi, now, policy)
    keep = set(state.requests) | set(state.waiting)
    state.recorded = {d: r for d, r in state.recorded.items() if d >= lo or d in keep}


def needs_provenance(cursor: LandingCursor, scan: Scan) -> list[str]:
    """Days of ``scan`` whose provenance the cursor does not hold yet."""
    return sorted(day for day in scan.files if day not in cursor.recorded)


def merge_provenance(
    cursor: LandingCursor, days: Iterable[str], found: Mapping[str, Recorded]
) -> None:
    """Cache what the instance recorded for ``days`` (an empty record is cached too)."""
    for day in days:
        cursor.recorded[day] = dict(found.get(day, {}))


def apply_provenance_events(
    cursor: LandingCursor, events: Iterable[tuple[str, str, str | None, int]]
) -> None:
    """Newer source materializations (table, day, etag, storage id) update cached days."""
    for table, day, etag, storage_id in events:
        cached = cursor.recorded.get(day)
        if cached is not None and storage_id > cached.get(table, (None, 0))[1]:
            cached[table] = (etag, storage_id)


def to_datetime(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
