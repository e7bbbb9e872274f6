"""Freshness on the deployed stack: a missing day turns its freshness check red, as the webserver
reports it through GraphQL.

NOT BUILT YET: the platform has no freshness checks so far (another issue adds them, see
ARCHITECTURE.md, "Freshness per day"). This is their place in the deployment tests: once the
checks exist, land every day of a range but one, let the daemon evaluate the freshness checks,
and assert through GraphQL (``assetCheckExecutions`` for the check's asset and name, with
``partition`` = the missing day) that exactly that day's execution failed.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.skip(reason="freshness checks do not exist yet (built by another issue)"),
]


def test_a_missing_day_turns_its_freshness_check_red(deployment, deployed_settings):
    raise NotImplementedError("write this with the freshness checks; see the module docstring")
