"""Fault injection for a table's storage calls: fail (or die) right after the n-th call."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

STORE_METHODS = ("get", "put", "delete", "list", "delete_many")


class InjectedFault(Exception):
    pass


def fail_after_call(
    store: object, n: int, fault: Callable[[str], None], *, dark_after: bool = False
) -> list[str]:
    """Wrap ``store``'s methods so that ``fault(name)`` runs right after the n-th call returns.

    With ``dark_after`` every later call raises before it reaches the store: what storage holds
    is then exactly what the first n calls left, as when the process died right after call n
    (no clean-up of ours reaches storage; Spark's own file writes are not store calls).
    Returns the list of calls made, in order (its length is the number of calls when n is 0).
    """
    calls: list[str] = []
    for name in STORE_METHODS:
        original = getattr(store, name)

        def wrapped(*args, _original=original, _name=name, **kwargs):
            if dark_after and 0 < n <= len(calls):
                raise InjectedFault(f"the process is dead: {_name} after call {n}")
            result = _original(*args, **kwargs)
            if _name == "list":
                result = list(result)
            calls.append(_name)
            if len(calls) == n:
                fault(_name)
            return result

        setattr(store, name, wrapped)
    return calls


def raise_exception(name: str) -> None:
    raise InjectedFault(f"injected after {name}")


def raise_interrupt(name: str) -> None:
    raise KeyboardInterrupt(f"injected after {name}")  # what Dagster's terminate raises


def sigterm_self(name: str) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
