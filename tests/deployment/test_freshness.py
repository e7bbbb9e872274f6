"""Freshness on the deployed stack: a missing day turns its freshness check red, as the webserver
reports it through GraphQL.

NOT WORKING YET, so skipped (never claimed): the checks exist (checks/freshness_check.py, reported
by the daemon's freshness_sensor, proven in-process by tests/test_freshness.py), and the deployed
daemon does run the sensor (its code-location log shows LATE / "is there" lines per asset and
day). A first version of this test reported materializations of two recent days through the
UI's reportRunlessAssetEvents mutation (tests/deployment/graphql.py: report_materialization) and
waited for a failing evaluation naming only the third day; in the one run it had, the sensor
never logged those days as arrived. Still to find out: whether the mutation answered an error,
or the sensor does not count runless materializations. Next: print the mutation's answer and
the sensor's verdict in the test, or materialize the days with `dg launch` instead.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.skip(reason="unverified on the deployed stack; see the module docstring"),
]


def test_a_missing_day_turns_its_freshness_check_red(deployment):
    raise NotImplementedError("see the module docstring")
