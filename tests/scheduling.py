"""How the tests are shared between pytest-xdist's workers: every test on its own, except the
deployment tests (``tests/deployment``), which all go to ONE worker, in their file order.

Why: the deployment's package-scoped fixtures start the whole compose stack (PostgreSQL, a Spark
cluster, the Dagster services). On one worker, one after the other, it is started once; spread
over two workers, each starts a stack of its own, and a worker that runs another test in between
stops its stack and starts it again for the next deployment test (pytest tears package fixtures
down on leaving the package): measured on 2026-11-29, 1642 s for the whole suite, the UI backfill
module's fixture (the stack's start and a whole-graph run) paid twice.

Why not ``--dist loadgroup`` and an ``xdist_group`` mark: with pytest 9.2 the mark no longer
groups anything. xdist 3.8 groups by appending ``@<group>`` to the test's ``_nodeid``, which
pytest 9.2 no longer reads (node ids are structured now): pytest-dev/pytest-xdist#1386, open.
So the rule is ours, in a scheduler given to xdist by its public ``pytest_xdist_make_scheduler``
hook (``tests/conftest.py``); ``_split_scope`` is the method xdist's own scope schedulers
override to say which tests belong together.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

DEPLOYMENT_TESTS = "tests/deployment/"
DEPLOYMENT_SCOPE = "deployment"


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: the deployment, or the test itself."""
    return DEPLOYMENT_SCOPE if nodeid.startswith(DEPLOYMENT_TESTS) else nodeid


class DeploymentOnOneWorker(LoadScopeScheduling):
    """xdist's scope scheduling (a unit goes to a worker whole, the biggest unit first, units in
    collection order) with the units of ``scope_of``."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)
