"""HTTP routes of the usage family."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Query

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope
from empirio.domain.usage import parse_group_by
from empirio.errors import InvalidRequestError
from empirio.web.auth import authenticate, require_scope
from functions.usage import service

router = APIRouter()


@router.get("/v1/usage")
def get_usage(
    start: str | None = None,
    end: str | None = None,
    group_by: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    after: int = Query(default=0, ge=0),
    principal: Principal = Depends(require_scope(Scope.MANAGE)),
) -> dict[str, Any]:
    now = int(time.time())
    try:
        groups = parse_group_by(group_by)
    except ValueError as error:
        raise InvalidRequestError(f"Invalid value for 'group_by': {error}.", param="group_by") from None
    body = service.usage(
        get_context().usage,
        principal.account_id,
        service.parse_time(start, "start", now - 30 * 86400),
        service.parse_time(end, "end", now + 1),
        groups,
        now,
    )
    page = body["data"][after : after + limit]
    body["next"] = after + limit if after + limit < len(body["data"]) else None
    body["data"] = page
    return body


@router.get("/v1/generations/{generation_id}")
def get_generation(generation_id: str, principal: Principal = Depends(authenticate)) -> dict[str, Any]:
    return service.generation(get_context().usage, principal.account_id, generation_id)
