"""Posting one alert to a webhook: a JSON body, an answer in 2xx or an error naming the URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

TIMEOUT_SECONDS = 10.0


class WebhookError(RuntimeError):
    pass


def post_json(url: str, payload: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> None:
    """POST ``payload`` as ``application/json``; raises ``WebhookError`` unless answered 2xx."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"alert webhook {url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"alert webhook {url} unreachable: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"alert webhook {url} answered {status}")
