"""Upstream API keys, read on first use and cached: from the environment variable a catalog entry names, or
(in AWS) from the stage's provider secret in Secrets Manager, a JSON object keyed by those variable names,
fetched through Powertools parameters with a 5-minute cache. Nothing is read at import time."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from empirio.domain.catalog import CatalogModel
from empirio.providers.base import UpstreamError

logger = logging.getLogger("empirio.upstream")
SECRET_ARN_VARIABLE = "EMPIRIO_PROVIDER_SECRET_ARN"  # noqa: S105 (the name of a variable, not a secret)
CACHE_SECONDS = 300


def _from_secret(name: str) -> str | None:
    arn = os.environ.get(SECRET_ARN_VARIABLE)
    if not arn:
        return None
    from aws_lambda_powertools.utilities import parameters

    raw: Any = parameters.get_secret(arn, max_age=CACHE_SECONDS)
    values = json.loads(raw) if isinstance(raw, str) else raw
    value = values.get(name) if isinstance(values, dict) else None
    return str(value) if value else None


def api_key(model: CatalogModel) -> str:
    """The upstream key for ``model``. Missing, the model is unavailable (503): the client is told only that,
    and the log names the variable to set."""
    if not model.api_key_env:
        return ""
    value = os.environ.get(model.api_key_env) or _from_secret(model.api_key_env)
    if not value:
        where = f"the environment or the secret {SECRET_ARN_VARIABLE} names"
        logger.error("provider key missing: set %s (in %s) to serve %s", model.api_key_env, where, model.id)
        raise UpstreamError(503, f"The model {model.id} is temporarily unavailable. Try another model.")
    return value
