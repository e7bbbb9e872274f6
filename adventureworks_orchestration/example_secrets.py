"""The deployment refuses the example secrets of ``.env.example`` unless told it is a local trial.

``docker-compose.yml`` has no default for any secret: each comes from ``.env``, which starts as a
copy of ``.env.example``. ``awo create-buckets``, which every Dagster service of the stack waits
for, calls ``refuse_example_secrets`` first, so a stack still on the example values stops there
unless ``AWO_LOCAL_TRIAL=true``. Messages name the variables, never their values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LOCAL_TRIAL_VARIABLE = "AWO_LOCAL_TRIAL"

# The values .env.example ships (tests/test_deploy_files.py checks the two agree).
EXAMPLE_SECRETS = {
    "AWS_ACCESS_KEY_ID": "awo-example-access-key",
    "AWS_SECRET_ACCESS_KEY": "awo-example-secret-key-change-me",
    "DAGSTER_POSTGRES_PASSWORD": "awo-example-postgres-password-change-me",
}


class ExampleSecretsError(RuntimeError):
    """The environment still holds example secrets and does not say it is a local trial."""


def refuse_example_secrets(env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    if env.get(LOCAL_TRIAL_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return
    still = [name for name, example in EXAMPLE_SECRETS.items() if env.get(name) == example]
    if still:
        raise ExampleSecretsError(
            f"{', '.join(still)} still hold the example values of .env.example: set your own in "
            f".env, or set {LOCAL_TRIAL_VARIABLE}=true for a local trial"
        )
