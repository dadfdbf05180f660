"""Upstream API keys: read on first use from the variable a catalog entry names, and cached. In AWS the function
gets them from Secrets Manager into the environment at cold start (see infra); nothing is read at import time."""

from __future__ import annotations

import os

from empirio.domain.catalog import CatalogModel
from empirio.providers.base import UpstreamError


def api_key(model: CatalogModel) -> str:
    if not model.api_key_env:
        return ""
    value = os.environ.get(model.api_key_env)
    if not value:
        raise UpstreamError(
            502, f"The provider of {model.id} is not configured (missing upstream credentials)."
        )
    return value
